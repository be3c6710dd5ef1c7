//! Attach, detach and change media: check everything, then act, undoing what was done
//! when a later step fails. Each returns the target it acted on and when it applies.

use std::os::unix::fs::FileTypeExt;
use std::time::{Duration, Instant};

use gettextrs::gettext;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::sys;

use super::checks::{self, check_file, sniff_format};
use super::machine::{DiskSlot, Machine};
use super::xml::{disk_xml, element_xml, scsi_controller_xml, volume_xml, DiskSourceXml, DiskXml};
use super::{free_target, AttachRequest, AttachSource, DiskBus, DiskDevice};
use crate::backend::edit::Applied;
use crate::backend::error::{BackendError, ErrorKind};
use crate::backend::xml::parse_tree;
use crate::i18n::gettext_f;

const LIVE: u32 = sys::VIR_DOMAIN_AFFECT_LIVE;
const CONFIG: u32 = sys::VIR_DOMAIN_AFFECT_CONFIG;

fn virt_err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

fn refuse(kind: ErrorKind, message: String, hint: String) -> BackendError {
    BackendError {
        kind,
        message,
        hint,
    }
}

/// Whether `conn` talks to this computer, so paths can be checked here.
fn is_local(conn: &Connect) -> bool {
    let uri = conn.uri().unwrap_or_default();
    match uri.split_once("://") {
        Some((_, rest)) => rest.starts_with('/') || rest.is_empty(),
        None => true,
    }
}

/// The source of a disk to attach, resolved; a new volume is not created yet.
struct Source {
    xml: DiskSourceXml,
    format: String,
    /// What identifies the storage between machines (its path); `None` for a new volume.
    key: Option<String>,
    /// Pool and `<volume>` XML of a volume to create first.
    create: Option<(StoragePool, String, String)>,
}

fn open_pool(conn: &Connect, pool: &str) -> Result<StoragePool, BackendError> {
    let p = conn.lookup_storage_pool_by_name(pool).map_err(|_| {
        refuse(
            ErrorKind::InvalidInput,
            gettext_f("There is no storage pool “{pool}”.", &[("pool", pool)]),
            gettext("Choose one of the host’s pools."),
        )
    })?;
    if !p.is_active().map_err(virt_err)? {
        return Err(refuse(
            ErrorKind::InvalidState,
            gettext_f("Storage pool “{pool}” is not running.", &[("pool", pool)]),
            gettext("Start the pool first, or choose another one."),
        ));
    }
    Ok(p)
}

/// The driver format of a volume ("qcow2", "raw"...); ISO images and unknown ones are raw.
fn volume_format(vol: &StorageVol) -> String {
    let format = vol
        .xml_desc(0)
        .ok()
        .and_then(|x| parse_tree(&x).ok())
        .and_then(|root| {
            root.child("target")?
                .child("format")?
                .attr("type")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    match format.as_str() {
        "" | "iso" | "none" | "auto" => "raw".into(),
        _ => format,
    }
}

fn resolve(conn: &Connect, src: &AttachSource, device: DiskDevice) -> Result<Source, BackendError> {
    match src {
        AttachSource::Volume { pool, name } => {
            let p = open_pool(conn, pool)?;
            let vol = p.lookup_storage_vol_by_name(name).map_err(|_| {
                refuse(
                    ErrorKind::InvalidInput,
                    gettext_f(
                        "Pool “{pool}” has no volume “{volume}”.",
                        &[("pool", pool), ("volume", name)],
                    ),
                    gettext("Choose one of the pool’s volumes; the list has been updated."),
                )
            })?;
            Ok(Source {
                xml: DiskSourceXml::Volume {
                    pool: pool.clone(),
                    volume: name.clone(),
                },
                format: volume_format(&vol),
                key: Some(vol.path().map_err(virt_err)?),
                create: None,
            })
        }
        AttachSource::NewVolume {
            pool,
            name,
            capacity,
            format,
        } => {
            if device == DiskDevice::Cdrom {
                return Err(refuse(
                    ErrorKind::InvalidInput,
                    gettext("A new, empty volume cannot go into a CD-ROM drive."),
                    gettext("Choose an image file or an existing volume for a CD-ROM drive."),
                ));
            }
            checks::check_volume_name(name)?;
            let p = open_pool(conn, pool)?;
            if p.lookup_storage_vol_by_name(name).is_ok() {
                return Err(refuse(
                    ErrorKind::InvalidInput,
                    gettext_f(
                        "Pool “{pool}” already has a volume “{volume}”.",
                        &[("pool", pool), ("volume", name)],
                    ),
                    gettext("Choose another name, or attach the existing volume."),
                ));
            }
            let available = p.info().map_err(virt_err)?.available;
            checks::check_new_volume(*capacity, format, available, pool)?;
            Ok(Source {
                xml: DiskSourceXml::Volume {
                    pool: pool.clone(),
                    volume: name.clone(),
                },
                format: format.clone(),
                key: None,
                create: Some((p, name.clone(), volume_xml(name, *capacity, format))),
            })
        }
        AttachSource::File { path } => file_source(conn, path),
    }
}

/// A file or block device at `path`: checked here when the host is this computer.
fn file_source(conn: &Connect, path: &str) -> Result<Source, BackendError> {
    let local = is_local(conn);
    if local {
        check_file(path)?;
    }
    let block = std::fs::metadata(path)
        .map(|m| m.file_type().is_block_device())
        .unwrap_or_else(|_| path.starts_with("/dev/"));
    let format = match conn.lookup_storage_vol_by_path(path) {
        Ok(vol) => volume_format(&vol),
        Err(_) if local && !block => sniff_format(path).to_owned(),
        Err(_) => "raw".into(),
    };
    Ok(Source {
        xml: if block {
            DiskSourceXml::Block(path.to_owned())
        } else {
            DiskSourceXml::File(path.to_owned())
        },
        format,
        key: Some(path.to_owned()),
        create: None,
    })
}

/// What an attach did so far, to undo in reverse.
#[derive(Default)]
struct Undo {
    volume: Option<(String, StorageVol)>,
    /// States (flags) a SCSI controller was added to.
    controller: u32,
}

impl Undo {
    /// Undo; a sentence per thing that could not be undone.
    fn run(self, m: &Machine) -> Vec<String> {
        let mut left = Vec::new();
        for flag in [LIVE, CONFIG] {
            if self.controller & flag == 0 {
                continue;
            }
            let xml = if flag == LIVE {
                m.dom.xml_desc(0)
            } else {
                m.dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
            };
            let ctrl = xml.ok().and_then(|x| parse_tree(&x).ok()).and_then(|root| {
                root.child("devices")?
                    .children_named("controller")
                    .find(|c| c.attr("type") == Some("scsi"))
                    .map(element_xml)
            });
            if let Some(ctrl) = ctrl {
                if let Err(e) = m.dom.detach_device_flags(&ctrl, flag) {
                    left.push(gettext_f(
                        "the SCSI controller added for the disk could not be removed: {error}",
                        &[("error", e.message())],
                    ));
                }
            }
        }
        if let Some((name, vol)) = self.volume {
            if let Err(e) = vol.delete(0) {
                left.push(gettext_f(
                    "the new volume “{volume}” could not be deleted: {error}",
                    &[("volume", &name), ("error", e.message())],
                ));
            }
        }
        left
    }
}

pub(super) fn attach(
    conn: &Connect,
    m: &Machine,
    req: &AttachRequest,
) -> Result<(String, Applied), BackendError> {
    let disks = m.disks(conn)?;
    let taken: Vec<String> = disks.iter().map(|d| d.target.clone()).collect();
    checks::check_bus(req.device, req.bus, m.active, &m.name)?;
    let target = match req.target.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => free_target(&taken, req.bus),
    };
    checks::check_target(&target, req.bus, &taken, &m.name)?;
    let readonly = req.readonly || req.device == DiskDevice::Cdrom;
    let source = resolve(conn, &req.source, req.device)?;
    if let Some(key) = &source.key {
        if let Some(d) = disks.iter().find(|d| d.key.as_deref() == Some(key)) {
            return Err(refuse(
                ErrorKind::InvalidInput,
                gettext_f(
                    "“{source}” is already attached to “{name}” as “{target}”.",
                    &[("source", key), ("name", &m.name), ("target", &d.target)],
                ),
                gettext("A machine uses each disk once."),
            ));
        }
        checks::check_not_in_use(conn, &m.uuid, key, !readonly)?;
    }
    let missing_controller = if req.bus == DiskBus::Scsi {
        m.missing_scsi_controller()?
    } else {
        0
    };
    let xml = disk_xml(&DiskXml {
        source: source.xml,
        device: req.device.as_xml().into(),
        bus: req.bus.as_xml().into(),
        target: target.clone(),
        format: source.format,
        readonly,
    });

    let mut undo = Undo::default();
    let result = (|| {
        if let Some((pool, name, vol_xml)) = &source.create {
            let vol = StorageVol::create_xml(pool, vol_xml, 0).map_err(virt_err)?;
            undo.volume = Some((name.clone(), vol));
        }
        // Live first: the running machine is the one that can refuse.
        for flag in [LIVE, CONFIG] {
            if missing_controller & flag != 0 {
                m.dom
                    .attach_device_flags(&scsi_controller_xml(), flag)
                    .map_err(virt_err)?;
                undo.controller |= flag;
            }
        }
        log::debug!("attach to {} with flags {}: {xml}", m.name, m.flags());
        m.dom.attach_device_flags(&xml, m.flags()).map_err(virt_err)
    })();
    match result {
        Ok(()) => Ok((target, Applied::Now)),
        Err(mut e) => {
            let left = undo.run(m);
            if !left.is_empty() {
                log::error!("undoing a failed attach left: {left:?}");
                e.message = format!("{}; {}", e.message, left.join("; "));
            }
            Err(e)
        }
    }
}

fn find_slot(disks: Vec<DiskSlot>, m: &Machine, target: &str) -> Result<DiskSlot, BackendError> {
    disks
        .into_iter()
        .find(|d| d.target == target)
        .ok_or_else(|| {
            refuse(
                ErrorKind::InvalidInput,
                gettext_f(
                    "“{name}” has no disk “{target}”.",
                    &[("name", &m.name), ("target", target)],
                ),
                gettext("It may have been removed by another program; the list has been updated."),
            )
        })
}

/// The states a device change of `slot` goes to, and the element to name it by.
fn slot_states(slot: &DiskSlot) -> (u32, &str) {
    match (&slot.live, &slot.config) {
        (Some(l), Some(_)) => (LIVE | CONFIG, l),
        (Some(l), None) => (LIVE, l),
        (None, Some(c)) => (CONFIG, c),
        (None, None) => (0, ""),
    }
}

/// Whether the live XML still has a disk `target`.
fn still_attached(m: &Machine, target: &str) -> Result<bool, BackendError> {
    let xml = m.dom.xml_desc(0).map_err(virt_err)?;
    let root = parse_tree(&xml)?;
    Ok(root.child("devices").is_some_and(|d| {
        d.children_named("disk")
            .any(|disk| disk.child("target").and_then(|t| t.attr("dev")) == Some(target))
    }))
}

pub(super) fn detach(
    conn: &Connect,
    m: &Machine,
    target: &str,
    wait: Duration,
) -> Result<(String, Applied), BackendError> {
    let slot = find_slot(m.disks(conn)?, m, target)?;
    let (flags, xml) = slot_states(&slot);
    m.dom.detach_device_flags(xml, flags).map_err(virt_err)?;
    if flags & LIVE == 0 {
        return Ok((target.to_owned(), Applied::Now));
    }
    // QEMU removes the device once the guest has let it go (it may never).
    let deadline = Instant::now() + wait;
    loop {
        if !still_attached(m, target)? {
            return Ok((target.to_owned(), Applied::Now));
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let reason = if m.persistent {
        gettext_f(
            "the guest has not released “{target}” yet; it goes when the guest lets it go, or when “{name}” next starts.",
            &[("target", target), ("name", &m.name)],
        )
    } else {
        gettext_f(
            "the guest has not released “{target}” yet; it goes when the guest lets it go.",
            &[("target", target)],
        )
    };
    Ok((target.to_owned(), Applied::NowAndNextBoot { reason }))
}

pub(super) fn change_media(
    conn: &Connect,
    m: &Machine,
    target: &str,
    path: Option<&str>,
) -> Result<(String, Applied), BackendError> {
    let slot = find_slot(m.disks(conn)?, m, target)?;
    if !slot.removable() {
        return Err(refuse(
            ErrorKind::InvalidInput,
            gettext_f(
                "“{target}” of “{name}” is a disk, not a CD-ROM drive.",
                &[("target", target), ("name", &m.name)],
            ),
            gettext("Only the medium of a CD-ROM drive can be changed or ejected."),
        ));
    }
    let (source, format) = match path {
        None if slot.key.is_none() => return Ok((target.to_owned(), Applied::Now)),
        None => (DiskSourceXml::Empty, "raw".to_owned()),
        Some(p) => {
            let s = file_source(conn, p)?;
            (s.xml, s.format)
        }
    };
    let (flags, _) = slot_states(&slot);
    let xml = disk_xml(&DiskXml {
        source,
        device: slot.device.clone(),
        bus: slot.bus.clone(),
        target: target.to_owned(),
        format,
        readonly: true,
    });
    m.dom.update_device_flags(&xml, flags).map_err(virt_err)?;
    Ok((target.to_owned(), Applied::Now))
}
