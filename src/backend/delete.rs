//! Delete a machine: first a plan the confirmation shows (each disk with whether it can
//! and should be deleted too, what else is lost), then the deletion itself.
//!
//! Rules: only volumes of active storage pools can be deleted (through libvirt); a volume
//! another machine uses is never deleted; CD-ROMs, floppies and read-only disks (installer
//! images) are offered unchecked. A running machine is forced off first. Everything that
//! can be refused is checked before anything is changed; once the machine is undefined,
//! a volume that fails to delete is reported in the outcome, not as a failed delete.

use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::sys;

use super::disks::{all_disks, open_volume, usage_by_others, Backing, DiskRef, Resolver};
use super::error::{BackendError, ErrorKind};
use super::summary::lookup;
use super::xml::parse_tree;
use crate::i18n::gettext_f;
use gettextrs::gettext;

/// One disk in the delete confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteDisk {
    pub target: String,
    /// "disk", "cdrom", "floppy", "lun".
    pub device: String,
    /// The path (for pool volumes too), or "pool/volume", or libvirt's name for network
    /// storage. This is what [`delete_vm`] takes to delete the volume.
    pub source: String,
    pub pool: Option<String>,
    pub volume: Option<String>,
    pub readonly: bool,
    /// Other machines whose disks use the same storage.
    pub shared_with: Vec<String>,
    /// Whether it can be deleted with the machine (a pool volume no one else uses).
    pub deletable: bool,
    pub checked_by_default: bool,
    /// Why it is not deletable or not checked, for the user (translated).
    pub note: Option<String>,
}

/// What deleting a machine involves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletePlan {
    pub uuid: String,
    pub name: String,
    /// It is running (or paused...): it will be forced off first.
    pub running: bool,
    /// A transient machine disappears when forced off; there is nothing to undefine.
    pub persistent: bool,
    /// Disks with storage (empty drives are left out).
    pub disks: Vec<DeleteDisk>,
    /// Snapshots whose metadata goes with the machine.
    pub snapshots: u32,
    /// UEFI variables (the NVRAM file) are deleted with the machine.
    pub has_nvram: bool,
    /// A saved memory image (managed save) is deleted with the machine.
    pub has_managed_save: bool,
}

/// A volume that could not be deleted after the machine was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeFailure {
    pub path: String,
    pub error: BackendError,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOutcome {
    pub name: String,
    /// It was running and was forced off.
    pub forced_off: bool,
    /// Paths of the volumes deleted.
    pub deleted: Vec<String>,
    pub failed: Vec<VolumeFailure>,
}

fn err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

fn plan_disk(d: &DiskRef, shared_with: Vec<String>) -> DeleteDisk {
    let (pool, volume) = match &d.backing {
        Backing::Volume { pool, volume, .. } | Backing::UnavailableVolume { pool, volume } => {
            (Some(pool.clone()), Some(volume.clone()))
        }
        _ => (None, None),
    };
    let is_volume = matches!(d.backing, Backing::Volume { .. });
    let note = if !shared_with.is_empty() {
        Some(gettext_f(
            "Also used by {machines}: it is kept. Remove it from them first to delete it.",
            &[("machines", &shared_with.join(", "))],
        ))
    } else {
        match &d.backing {
            Backing::Path(_) => Some(gettext("Not a volume of an active storage pool, so it cannot be deleted here. Delete the file yourself if it is no longer needed.")),
            Backing::UnavailableVolume { pool, .. } => Some(gettext_f(
                "Its storage pool “{pool}” is not active (or the volume is gone). Start the pool to delete it.",
                &[("pool", pool)],
            )),
            Backing::Other(_) => Some(gettext("Network or other storage: it is not deleted.")),
            _ if d.is_media() => Some(gettext("Read-only or removable media, such as an installer image: other machines may need it.")),
            _ => None,
        }
    };
    let deletable = is_volume && shared_with.is_empty();
    DeleteDisk {
        target: d.target.clone(),
        device: d.device.clone(),
        source: d.source_label(),
        pool,
        volume,
        readonly: d.readonly,
        deletable,
        checked_by_default: deletable && !d.is_media() && !d.shareable,
        shared_with,
        note,
    }
}

fn has_nvram(dom: &Domain) -> Result<bool, BackendError> {
    let xml = dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).map_err(err)?;
    let root = parse_tree(&xml)?;
    Ok(root.child("os").and_then(|os| os.child("nvram")).is_some())
}

/// What deleting the machine with `uuid` would do and offer.
pub fn delete_plan(conn: &Connect, uuid: &str) -> Result<DeletePlan, BackendError> {
    let dom = lookup(conn, uuid)?;
    let mut res = Resolver::default();
    let disks = all_disks(conn, &mut res, &dom)?;
    let users = usage_by_others(conn, &mut res, uuid)?;
    let disks = disks
        .iter()
        .filter_map(|d| {
            let key = d.key()?;
            Some(plan_disk(d, users.get(&key).cloned().unwrap_or_default()))
        })
        .collect();
    Ok(DeletePlan {
        uuid: dom.uuid_string().map_err(err)?.to_ascii_lowercase(),
        name: dom.name().map_err(err)?,
        running: dom.is_active().map_err(err)?,
        persistent: dom.is_persistent().map_err(err)?,
        disks,
        snapshots: dom.num_snapshots(0).map_err(err)?,
        has_nvram: has_nvram(&dom)?,
        has_managed_save: dom.has_managed_save(0).map_err(err)?,
    })
}

/// Whether libvirt refused the flags themselves (an older or simpler driver).
fn flags_unsupported(e: &virt::error::Error) -> bool {
    let code = e.code();
    code.is(ErrorNumber::NoSupport)
        || code.is(ErrorNumber::OperationUnsupported)
        || (code.is(ErrorNumber::InvalidArg) && e.message().contains("unsupported flags"))
}

/// Undefine, dropping managed save, snapshot and checkpoint metadata and NVRAM; flags the
/// driver does not know are left out one by one (the test driver knows no NVRAM flag).
fn undefine(dom: &Domain) -> Result<(), BackendError> {
    const SAVE: u32 = sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
    const SNAPS: u32 = sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
    const CHECKS: u32 = sys::VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
    const NVRAM: u32 = sys::VIR_DOMAIN_UNDEFINE_NVRAM;
    let attempts = [
        SAVE | SNAPS | CHECKS | NVRAM,
        SAVE | SNAPS | CHECKS,
        SAVE | SNAPS | NVRAM,
        SAVE | SNAPS,
        0,
    ];
    let mut last = None;
    for flags in attempts {
        match dom.undefine_flags(flags) {
            Ok(()) => return Ok(()),
            Err(e) if flags_unsupported(&e) => {
                log::debug!("undefine flags {flags:#x} not supported: {e}");
                last = Some(e);
            }
            Err(e) => return Err(err(e)),
        }
    }
    let e = last.expect("at least one attempt was made");
    Err(err(e))
}

/// Check the volumes asked for: each must be a deletable disk of this machine that no
/// other machine uses now. Returns the matching disks.
fn chosen_disks<'a>(
    name: &str,
    disks: &'a [DiskRef],
    users: &std::collections::HashMap<String, Vec<String>>,
    volumes: &[String],
) -> Result<Vec<&'a DiskRef>, BackendError> {
    let mut chosen: Vec<&DiskRef> = Vec::new();
    for v in volumes {
        let Some(d) = disks
            .iter()
            .find(|d| d.key().as_deref() == Some(v.as_str()))
        else {
            return Err(BackendError::new(
                ErrorKind::InvalidInput,
                gettext_f(
                    "“{path}” is not a disk of “{name}”; nothing was deleted",
                    &[("path", v), ("name", name)],
                ),
            ));
        };
        if let Some(others) = users.get(v) {
            return Err(BackendError::new(
                ErrorKind::InvalidState,
                gettext_f(
                    "“{path}” is now also used by {machines}; nothing was deleted",
                    &[("path", v), ("machines", &others.join(", "))],
                ),
            ));
        }
        if !matches!(d.backing, Backing::Volume { .. }) {
            return Err(BackendError::new(
                ErrorKind::InvalidInput,
                gettext_f(
                    "“{path}” is not a volume of an active storage pool and cannot be deleted here; nothing was deleted",
                    &[("path", v)],
                ),
            ));
        }
        if !chosen.iter().any(|c| c.key() == d.key()) {
            chosen.push(d);
        }
    }
    Ok(chosen)
}

/// Delete the machine with `uuid` and the volumes whose source paths are in `volumes`
/// (as [`DeleteDisk::source`] gives them). See the module doc for the rules.
pub fn delete_vm(
    conn: &Connect,
    uuid: &str,
    volumes: &[String],
) -> Result<DeleteOutcome, BackendError> {
    let dom = lookup(conn, uuid)?;
    let name = dom.name().map_err(err)?;
    let mut res = Resolver::default();
    let disks = all_disks(conn, &mut res, &dom)?;
    let users = usage_by_others(conn, &mut res, uuid)?;
    let chosen = chosen_disks(&name, &disks, &users, volumes)?;
    // Open the volumes before anything changes, so a vanished one is refused up front.
    let handles = chosen
        .iter()
        .map(|d| {
            Ok((
                d.path().unwrap_or_default().to_owned(),
                open_volume(conn, d)?,
            ))
        })
        .collect::<Result<Vec<_>, BackendError>>()?;

    let persistent = dom.is_persistent().map_err(err)?;
    let forced_off = dom.is_active().map_err(err)?;
    if forced_off {
        dom.destroy().map_err(err)?;
    }
    if persistent {
        undefine(&dom)?;
    }
    let mut outcome = DeleteOutcome {
        name,
        forced_off,
        deleted: Vec::new(),
        failed: Vec::new(),
    };
    for (path, vol) in handles {
        match vol.delete(0) {
            Ok(()) => outcome.deleted.push(path),
            Err(e) => {
                log::warn!("deleting volume {path}: {e}");
                outcome.failed.push(VolumeFailure {
                    path,
                    error: err(e),
                });
            }
        }
    }
    Ok(outcome)
}
