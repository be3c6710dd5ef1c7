//! Validating a [`CreatePlan`] against the host and turning it into a [`DomainSpec`] plus
//! the volumes to create. Nothing here changes the host: [`proposed_xml`] is this step
//! alone, and `run` performs the side effects afterwards.

use std::path::{Path, PathBuf};

use gettextrs::gettext;
use virt::connect::Connect;
use virt::error::ErrorNumber;
use virt::storage_pool::StoragePool;

use super::image::detect_image;
use super::options::{host_bridges, is_local, volume_format};
use super::url::parse_install_url;
use super::{human_bytes, validate_name, CreatePlan, InstallSource, NetworkChoice, StorageChoice};
use crate::backend::domain_spec::{
    DiskBus, DiskDevice, DiskSource, DiskSpec, DomainSpec, NicSource, NicSpec,
};
use crate::backend::error::{BackendError, ErrorKind};
use crate::backend::osinfo::read_iso_volume_id;
use crate::backend::xml::parse_tree;
use crate::i18n::gettext_f;

/// A volume `run` creates (and, for an import, fills from a local file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NewVolume {
    pub pool: String,
    pub name: String,
    pub capacity_bytes: u64,
    pub format: String,
    /// Local file to upload into the volume, with its size.
    pub upload: Option<(PathBuf, u64)>,
}

/// A validated plan: the domain to define and the volumes it needs first.
#[derive(Debug)]
pub(super) struct Prepared {
    pub spec: DomainSpec,
    pub volumes: Vec<NewVolume>,
}

/// A choice the user has to change; the message says which and why.
pub(super) fn invalid(message: String) -> BackendError {
    let mut e = BackendError::new(ErrorKind::Other, message);
    e.hint = gettext("Change this choice and try again.");
    e
}

fn has_code(e: &virt::error::Error, code: ErrorNumber) -> bool {
    e.code().unwrap_or(ErrorNumber::InternalError) == code
}

fn virt_err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

fn path_str(path: &Path) -> Result<String, BackendError> {
    path.to_str().map(str::to_owned).ok_or_else(|| {
        invalid(gettext_f(
            "The path “{path}” is not valid UTF-8; rename the file.",
            &[("path", &path.display().to_string())],
        ))
    })
}

/// The XML the plan would define (the generated one, not `custom_xml`), after the same
/// validation [`create`](super::create) does. Changes nothing on the host.
pub fn proposed_xml(conn: &Connect, plan: &CreatePlan) -> Result<String, BackendError> {
    Ok(prepare(conn, plan)?.spec.to_xml())
}

fn existing_names(conn: &Connect) -> Result<Vec<String>, BackendError> {
    conn.list_all_domains(0)
        .map_err(virt_err)?
        .iter()
        .map(|d| d.name().map_err(virt_err))
        .collect()
}

/// An active pool by name, with its free bytes.
fn active_pool(conn: &Connect, name: &str) -> Result<(StoragePool, u64), BackendError> {
    let pool = conn.lookup_storage_pool_by_name(name).map_err(|e| {
        if has_code(&e, ErrorNumber::NoStoragePool) {
            invalid(gettext_f(
                "The storage pool “{pool}” no longer exists. Choose another pool.",
                &[("pool", name)],
            ))
        } else {
            virt_err(e)
        }
    })?;
    if !pool.is_active().map_err(virt_err)? {
        return Err(invalid(gettext_f(
            "The storage pool “{pool}” is not active. Start it or choose another pool.",
            &[("pool", name)],
        )));
    }
    let free = pool.info().map_err(virt_err)?.available;
    Ok((pool, free))
}

/// Validate `plan` and build what to create. Checks, in order: name, resources, install
/// source (file readable, ISO or image format, URL), storage (pool active, enough free
/// space, volume present), network or bridge present. `custom_xml` is not looked at
/// (see [`check_custom_xml`]).
pub(super) fn prepare(conn: &Connect, plan: &CreatePlan) -> Result<Prepared, BackendError> {
    let existing = existing_names(conn)?;
    validate_name(&plan.name, &existing).map_err(invalid)?;
    if plan.vcpus == 0 {
        return Err(invalid(gettext(
            "The machine needs at least one virtual CPU.",
        )));
    }
    if plan.memory_kib < 16 * 1024 {
        return Err(invalid(gettext(
            "The machine needs at least 16 MiB of memory.",
        )));
    }
    let local = is_local(conn);
    let mut volumes: Vec<NewVolume> = Vec::new();
    let mut disks: Vec<DiskSpec> = Vec::new();
    let mut cdrom: Option<DiskSpec> = None;
    let bus = plan.devices.disk_bus;
    let cdrom_bus = if bus == DiskBus::Ide {
        DiskBus::Ide
    } else {
        DiskBus::Sata
    };
    let hard_disk = |source: DiskSource, format: &str| DiskSpec {
        source,
        device: DiskDevice::Disk,
        bus,
        format: Some(format.to_owned()),
        readonly: false,
        boot_order: None,
        target: None,
    };
    let cd = |source: DiskSource| DiskSpec {
        source,
        device: DiskDevice::Cdrom,
        bus: cdrom_bus,
        format: Some("raw".into()),
        readonly: true,
        boot_order: None,
        target: None,
    };

    match &plan.source {
        InstallSource::Iso(path) => {
            if local {
                read_iso_volume_id(path)?;
            }
            cdrom = Some(cd(DiskSource::File(path_str(path)?)));
        }
        InstallSource::Url(url) => {
            let net = parse_install_url(url).map_err(invalid)?;
            cdrom = Some(cd(DiskSource::Network(net)));
        }
        InstallSource::Import {
            path,
            copy_into_pool,
        } => match copy_into_pool {
            Some(pool_name) => {
                // The upload reads the file on this machine, whatever the connection.
                let img = detect_image(path)?;
                let (pool, free) = active_pool(conn, pool_name)?;
                check_space(pool_name, img.file_bytes, free)?;
                let name = free_volume_name(&pool, &plan.name, &img.format, &volumes)?;
                disks.push(hard_disk(
                    DiskSource::Volume {
                        pool: pool_name.clone(),
                        volume: name.clone(),
                    },
                    &img.format,
                ));
                volumes.push(NewVolume {
                    pool: pool_name.clone(),
                    name,
                    capacity_bytes: img.virtual_bytes.max(img.file_bytes),
                    format: img.format,
                    upload: Some((path.clone(), img.file_bytes)),
                });
            }
            None => {
                let format = if local {
                    detect_image(path)?.format
                } else if path.extension().is_some_and(|e| e == "qcow2") {
                    "qcow2".into()
                } else {
                    "raw".into()
                };
                disks.push(hard_disk(DiskSource::File(path_str(path)?), &format));
            }
        },
        InstallSource::None => {}
    }

    match &plan.storage {
        StorageChoice::NewVolume { pool, size_bytes } => {
            if *size_bytes == 0 {
                return Err(invalid(gettext("The new disk needs a size above zero.")));
            }
            let (p, free) = active_pool(conn, pool)?;
            let planned: u64 = volumes
                .iter()
                .filter(|v| &v.pool == pool)
                .filter_map(|v| v.upload.as_ref().map(|u| u.1))
                .sum();
            check_space(pool, size_bytes.saturating_add(planned), free)?;
            let name = free_volume_name(&p, &plan.name, "qcow2", &volumes)?;
            disks.push(hard_disk(
                DiskSource::Volume {
                    pool: pool.clone(),
                    volume: name.clone(),
                },
                "qcow2",
            ));
            volumes.push(NewVolume {
                pool: pool.clone(),
                name,
                capacity_bytes: *size_bytes,
                format: "qcow2".into(),
                upload: None,
            });
        }
        StorageChoice::Existing { pool, volume } => {
            let (p, _) = active_pool(conn, pool)?;
            let vol = p.lookup_storage_vol_by_name(volume).map_err(|e| {
                if has_code(&e, ErrorNumber::NoStorageVolume) {
                    invalid(gettext_f(
                        "The volume “{volume}” no longer exists in the pool “{pool}”.",
                        &[("volume", volume), ("pool", pool)],
                    ))
                } else {
                    virt_err(e)
                }
            })?;
            let xml = parse_tree(&vol.xml_desc(0).map_err(virt_err)?)?;
            let format = match volume_format(&xml).as_str() {
                "" => "raw".to_owned(),
                f => f.to_owned(),
            };
            disks.push(hard_disk(
                DiskSource::Volume {
                    pool: pool.clone(),
                    volume: volume.clone(),
                },
                &format,
            ));
        }
        StorageChoice::None => {}
    }

    let nic = match &plan.network {
        NetworkChoice::Network(name) => {
            conn.lookup_network_by_name(name).map_err(|e| {
                if has_code(&e, ErrorNumber::NoNetwork) {
                    invalid(gettext_f(
                        "The virtual network “{network}” no longer exists. Choose another network.",
                        &[("network", name)],
                    ))
                } else {
                    virt_err(e)
                }
            })?;
            Some(NicSource::Network(name.clone()))
        }
        NetworkChoice::Bridge(name) => {
            if let Some(bridges) = host_bridges(conn) {
                if !bridges.contains(name) {
                    return Err(invalid(gettext_f(
                        "The host has no bridge “{bridge}”. Choose another bridge or a virtual network.",
                        &[("bridge", name)],
                    )));
                }
            }
            Some(NicSource::Bridge(name.clone()))
        }
        NetworkChoice::None => None,
    };

    // Boot from the first hard disk, then the installation CD-ROM; with neither, from the
    // network. An empty new disk is skipped by the firmware, so installs boot the CD.
    let mut order = 1;
    if let Some(first) = disks.first_mut() {
        first.boot_order = Some(order);
        order += 1;
    }
    if let Some(mut c) = cdrom {
        c.boot_order = Some(order);
        order += 1;
        disks.push(c);
    }
    let nics: Vec<NicSpec> = nic
        .into_iter()
        .map(|source| NicSpec {
            source,
            model: plan.devices.nic_model.clone(),
            mac: None,
            boot_order: (plan.source == InstallSource::None).then_some(order),
        })
        .collect();

    let spec = DomainSpec {
        name: plan.name.clone(),
        os_id: plan.os_id.clone(),
        virt_type: plan.virt_type.clone(),
        arch: plan.arch.clone(),
        machine: plan.machine.clone(),
        firmware: plan.firmware,
        cpu_mode: (plan.virt_type == "kvm").then(|| "host-passthrough".to_owned()),
        vcpus: plan.vcpus,
        memory_kib: plan.memory_kib,
        clock_localtime: plan.devices.clock_localtime,
        // Hyper-V enlightenments need KVM.
        hyperv: plan.devices.hyperv && plan.virt_type == "kvm",
        disks,
        nics,
        graphics: Some(plan.graphics),
        video: Some(plan.devices.video.clone()),
        rng: plan.devices.rng,
        ..DomainSpec::default()
    };
    Ok(Prepared { spec, volumes })
}

fn check_space(pool: &str, needed: u64, free: u64) -> Result<(), BackendError> {
    if needed > free {
        return Err(invalid(gettext_f(
            "The disk needs {needed} but the storage pool “{pool}” has only {free} free. Choose a smaller size or another pool.",
            &[
                ("needed", &human_bytes(needed)),
                ("pool", pool),
                ("free", &human_bytes(free)),
            ],
        )));
    }
    Ok(())
}

/// `<vm>.<ext>`, or `<vm>-2.<ext>`..., free in `pool` and among `planned`.
fn free_volume_name(
    pool: &StoragePool,
    vm: &str,
    ext: &str,
    planned: &[NewVolume],
) -> Result<String, BackendError> {
    let taken =
        |n: &str| planned.iter().any(|v| v.name == n) || pool.lookup_storage_vol_by_name(n).is_ok();
    let first = format!("{vm}.{ext}");
    if !taken(&first) {
        return Ok(first);
    }
    (2..1000)
        .map(|i| format!("{vm}-{i}.{ext}"))
        .find(|n| !taken(n))
        .ok_or_else(|| invalid(gettext("No free volume name was found in the pool.")))
}

/// The user's edited XML must be a domain with a valid, unused name, and must not carry
/// the UUID of an existing machine (defining it would overwrite that machine).
pub(super) fn check_custom_xml(conn: &Connect, xml: &str) -> Result<(), BackendError> {
    let existing = existing_names(conn)?;
    let root = parse_tree(xml).map_err(|e| {
        invalid(gettext_f(
            "The edited XML is not well-formed: {error}",
            &[("error", &e.message)],
        ))
    })?;
    if root.name != "domain" {
        return Err(invalid(gettext(
            "The edited XML must describe a domain (its root element must be <domain>).",
        )));
    }
    validate_name(&root.child_text("name"), &existing).map_err(invalid)?;
    let uuid = root.child_text("uuid");
    if !uuid.is_empty() && conn.lookup_domain_by_uuid_string(&uuid).is_ok() {
        return Err(invalid(gettext_f(
            "The edited XML has the UUID {uuid} of an existing machine. Remove the <uuid> element.",
            &[("uuid", &uuid)],
        )));
    }
    Ok(())
}
