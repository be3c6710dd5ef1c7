//! Clone a machine: a plan (suggested name, each disk and whether it can be copied), then
//! the clone itself with progress.
//!
//! The clone is the source's persistent definition with a new name, no UUID and no MAC
//! addresses (libvirt generates new ones), no SMBIOS UUID, no fixed tap device names and
//! no NVRAM path (libvirt makes a fresh variable store from the template). Each disk is
//! either shared with the source or copied into a new volume in the source volume's pool
//! (same format and size, named after the clone): with `virStorageVolCreateXMLFrom` when
//! the source is shut off, by QEMU itself (`live_copy`) when it has a QEMU process,
//! whose image locks keep libvirt's volume clone out. A running source is refused, or
//! paused while its disks are copied and resumed afterwards (also when the clone fails),
//! as the request says. Any failure removes the volumes made so far: nothing is left
//! half-done.

use virt::connect::Connect;
use virt::domain::Domain;
use virt::storage_vol::StorageVol;
use virt::sys;

use super::disks::{disks_of_xml, Backing, DiskRef, Resolver};
use super::error::{BackendError, ErrorKind};
use super::names::{check_new_name, suggest_clone_name};
use super::summary::{lookup, summary_of};
use super::types::{VmState, VmSummary};
use super::xml_define::define_domain;
use super::xml_edit::{apply, Path};
use crate::i18n::gettext_f;
use gettextrs::gettext;

mod live_copy;
mod rewrite;
mod volumes;

use volumes::{plan_jobs, roll_back, Job};

/// What happens to one disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiskMode {
    /// A new volume with the same content, in the same pool.
    Copy,
    /// The clone uses the same storage as the source.
    Share,
}

/// What to do when the source is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunningPolicy {
    /// Do not clone; say so.
    Refuse,
    /// Pause it while its disks are copied, then resume it.
    Pause,
}

/// One disk in the clone dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneDisk {
    pub target: String,
    /// "disk", "cdrom", "floppy", "lun".
    pub device: String,
    /// Path, "pool/volume" or libvirt's name of the storage.
    pub source: String,
    pub pool: Option<String>,
    pub volume: Option<String>,
    /// Driver format ("qcow2", "raw"), empty when not given.
    pub format: String,
    /// A writable disk that is a volume of an active pool.
    pub can_copy: bool,
    pub default_mode: DiskMode,
    /// Why it cannot be copied or is shared by default (translated).
    pub note: Option<String>,
}

/// What cloning a machine involves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClonePlan {
    pub source_uuid: String,
    pub source_name: String,
    /// A free name that follows the naming rule, e.g. "web-clone".
    pub suggested_name: String,
    pub state: VmState,
    /// It runs (not merely paused): the request must say to pause it, or it is refused.
    pub running: bool,
    /// Disks with storage (empty drives are left out: the clone gets them empty too).
    pub disks: Vec<CloneDisk>,
}

/// The user's choice for one disk, by target ("vda").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskChoice {
    pub target: String,
    pub mode: DiskMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneRequest {
    pub source_uuid: String,
    pub new_name: String,
    /// Disks not listed get their plan's default mode.
    pub disks: Vec<DiskChoice>,
    pub running_policy: RunningPolicy,
}

/// Progress of a clone, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloneStep {
    /// Pausing the running source.
    Pausing,
    /// Copying disk `index` (1-based) of `total` into a new volume.
    Copying {
        index: usize,
        total: usize,
        target: String,
        volume: String,
    },
    /// Defining the new machine.
    Defining,
    /// Resuming the source.
    Resuming,
    /// The source could not be resumed; it stays paused (the clone itself went on).
    ResumeFailed(BackendError),
    /// Something failed: removing the volumes copied so far.
    RollingBack,
}

fn err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

fn source_xml(dom: &Domain) -> Result<String, BackendError> {
    let flags = sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE;
    dom.xml_desc(flags).map_err(err)
}

fn can_copy(d: &DiskRef) -> bool {
    matches!(d.backing, Backing::Volume { .. }) && d.device == "disk" && !d.readonly
}

fn plan_disk(d: &DiskRef) -> CloneDisk {
    let (pool, volume) = match &d.backing {
        Backing::Volume { pool, volume, .. } | Backing::UnavailableVolume { pool, volume } => {
            (Some(pool.clone()), Some(volume.clone()))
        }
        _ => (None, None),
    };
    let copy = can_copy(d);
    let note = match &d.backing {
        _ if d.is_media() => Some(gettext("Read-only or removable media: the clone uses the same image.")),
        Backing::Volume { .. } if d.shareable => Some(gettext("Marked shareable: the clone uses it too unless you copy it.")),
        Backing::Volume { .. } if !copy => Some(gettext("This kind of device cannot be copied: the clone uses the same storage.")),
        Backing::Path(_) => Some(gettext("Not a volume of an active storage pool, so it cannot be copied: the clone uses the same file.")),
        Backing::UnavailableVolume { pool, .. } => Some(gettext_f(
            "Its storage pool “{pool}” is not active, so it cannot be copied: the clone uses the same volume.",
            &[("pool", pool)],
        )),
        Backing::Other(_) => Some(gettext("Network or other storage cannot be copied: the clone uses the same storage.")),
        _ => None,
    };
    CloneDisk {
        target: d.target.clone(),
        device: d.device.clone(),
        source: d.source_label(),
        pool,
        volume,
        format: d.format.clone(),
        can_copy: copy,
        default_mode: if copy && !d.shareable {
            DiskMode::Copy
        } else {
            DiskMode::Share
        },
        note,
    }
}

/// Running in the sense that matters for copying disks: the guest may write to them.
fn is_running(state: VmState) -> bool {
    state.is_active() && state != VmState::Paused
}

/// What cloning the machine with `uuid` would involve.
pub fn clone_plan(conn: &Connect, uuid: &str) -> Result<ClonePlan, BackendError> {
    let dom = lookup(conn, uuid)?;
    let summary = summary_of(&dom)?;
    let disks = disks_of_xml(conn, &mut Resolver::default(), &source_xml(&dom)?)?;
    Ok(ClonePlan {
        suggested_name: suggest_clone_name(conn, &summary.name)?,
        source_uuid: summary.uuid,
        source_name: summary.name,
        state: summary.state,
        running: is_running(summary.state),
        disks: disks
            .iter()
            .filter(|d| d.key().is_some())
            .map(plan_disk)
            .collect(),
    })
}

fn invalid(msg: String) -> BackendError {
    BackendError::new(ErrorKind::InvalidInput, msg)
}

/// Decide each disk's mode from the request, refusing impossible or unknown choices.
fn modes(disks: &[DiskRef], req: &CloneRequest) -> Result<Vec<DiskMode>, BackendError> {
    for c in &req.disks {
        if !disks
            .iter()
            .any(|d| d.target == c.target && d.key().is_some())
        {
            return Err(invalid(gettext_f(
                "The machine has no disk “{target}”",
                &[("target", &c.target)],
            )));
        }
    }
    disks
        .iter()
        .map(|d| {
            let default = plan_disk(d).default_mode;
            let chosen = req.disks.iter().find(|c| c.target == d.target);
            let mode = chosen.map_or(default, |c| c.mode);
            if d.key().is_none() {
                return Ok(DiskMode::Share);
            }
            if mode == DiskMode::Copy && !can_copy(d) {
                return Err(invalid(gettext_f(
                    "Disk “{target}” cannot be copied ({source}); share it instead",
                    &[("target", &d.target), ("source", &d.source_label())],
                )));
            }
            Ok(mode)
        })
        .collect()
}

/// Clone per `req`, reporting each step to `progress`. Returns the new machine's row.
pub fn clone_vm(
    conn: &Connect,
    req: &CloneRequest,
    progress: &mut dyn FnMut(CloneStep),
) -> Result<VmSummary, BackendError> {
    check_new_name(conn, &req.new_name, None)?;
    let dom = lookup(conn, &req.source_uuid)?;
    let source = summary_of(&dom)?;
    let xml = source_xml(&dom)?;
    let disks = disks_of_xml(conn, &mut Resolver::default(), &xml)?;
    let modes = modes(&disks, req)?;
    let jobs = plan_jobs(conn, &disks, &modes, &req.new_name)?;

    let mut paused = false;
    if !jobs.is_empty() && is_running(source.state) {
        if req.running_policy == RunningPolicy::Refuse {
            return Err(BackendError::new(
                ErrorKind::InvalidState,
                gettext_f(
                    "“{name}” is running. Shut it down first, or let the clone pause it while its disks are copied.",
                    &[("name", &source.name)],
                ),
            ));
        }
        progress(CloneStep::Pausing);
        dom.suspend().map_err(err)?;
        paused = true;
    }
    let active = dom.is_active().map_err(err)?;
    let copier = Copier { dom: &dom, active };
    let result = copy_and_define(conn, &copier, &xml, &req.new_name, jobs, progress);
    if paused {
        progress(CloneStep::Resuming);
        if let Err(e) = dom.resume() {
            log::error!("resuming {} after cloning: {e}", source.name);
            progress(CloneStep::ResumeFailed(err(e)));
        }
    }
    result
}

/// Copies one disk: offline with libvirt's volume clone, or through QEMU when the source
/// has a QEMU process (see `live_copy`).
struct Copier<'a> {
    dom: &'a Domain,
    active: bool,
}

impl Copier<'_> {
    /// Make the copy of `job`; every volume created is added to `made` (for rollback).
    /// Returns the new volume's path.
    fn copy(
        &self,
        job: &Job,
        made: &mut Vec<(String, StorageVol)>,
    ) -> Result<String, BackendError> {
        if self.active {
            let vol = StorageVol::create_xml(&job.pool, &job.xml, 0).map_err(err)?;
            let path = vol.path().map_err(err);
            let block = vol.info().map(|i| i.kind == sys::VIR_STORAGE_VOL_BLOCK);
            made.push((job.volume.clone(), vol));
            let (path, block) = (path?, block.map_err(err)?);
            let format = job.format.as_deref();
            if live_copy::copy_disk(self.dom, &job.disk.target, &path, block, format)? {
                return Ok(path);
            }
            // No block copy in this driver: remove the empty volume, copy offline.
            if let Some((name, vol)) = made.pop() {
                vol.delete(0).map_err(|e| {
                    log::error!("removing the empty volume {name}: {e}");
                    err(e)
                })?;
            }
        }
        let vol = StorageVol::create_xml_from(&job.pool, &job.xml, &job.src, 0).map_err(err)?;
        let path = vol.path().map_err(err);
        made.push((job.volume.clone(), vol));
        path
    }
}

fn copy_and_define(
    conn: &Connect,
    copier: &Copier<'_>,
    xml: &str,
    new_name: &str,
    jobs: Vec<Job>,
    progress: &mut dyn FnMut(CloneStep),
) -> Result<VmSummary, BackendError> {
    let total = jobs.len();
    let mut made: Vec<(String, StorageVol)> = Vec::new();
    let mut copies = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        progress(CloneStep::Copying {
            index: i + 1,
            total,
            target: job.disk.target.clone(),
            volume: job.volume.clone(),
        });
        match copier.copy(job, &mut made) {
            Ok(path) => copies.push((job, path)),
            Err(e) => {
                progress(CloneStep::RollingBack);
                return Err(roll_back(made, e));
            }
        }
    }
    let edits = rewrite::edits(xml, new_name, &copies)?;
    let defined = apply(xml, &edits).and_then(|out| {
        progress(CloneStep::Defining);
        define_domain(conn, &out.xml)
    });
    match defined {
        // Defined: the clone owns its volumes now, whatever happens next.
        Ok(dom) => summary_of(&dom),
        Err(e) => {
            progress(CloneStep::RollingBack);
            Err(roll_back(made, e))
        }
    }
}

/// Where a copied disk's `<source>` is, for [`rewrite`].
fn source_path(disk: &DiskRef) -> Path {
    Path::parse("/domain/devices")
        .expect("a valid literal path")
        .child("disk")
        .nth(disk.index)
        .child("source")
}
