//! Disks on a machine: attach an existing volume, a new volume or a file to a running
//! machine (hot-plug: live, and saved when it is persistent) or to a shut-off one (its
//! configuration), detach a disk, and change or eject the medium of a CD-ROM drive.
//!
//! Everything a request needs is checked before anything is touched ([`checks`]): the
//! target (free, and named for its bus), the source (the file exists and is no directory;
//! the pool and volume exist; a new volume fits its pool), what QEMU can hot-plug (no SATA
//! on a running machine), and storage a running machine writes to. Side effects are then
//! made in order and undone in reverse when a later one fails ([`apply`]): a new volume
//! is deleted again when the attach fails, a SCSI controller added for the disk removed.
//! Device XML is written with an XML writer ([`xml`]).
//!
//! Detaching from a running machine is a request to the guest, which must let the device
//! go: the live XML is watched for up to [`DETACH_WAIT`], and the answer says when the
//! guest has not released the disk yet.

use std::time::Duration;

use gettextrs::gettext;
use virt::connect::Connect;

use super::domain_spec::disk_suffix;
use super::edit::Applied;
use super::error::BackendError;
use crate::i18n::gettext_f;

mod apply;
pub mod checks;
mod machine;
pub mod xml;

pub use machine::{DiskSlot, Machine};

/// How long a detach from a running machine waits for the guest to release the disk.
pub const DETACH_WAIT: Duration = Duration::from_secs(10);

/// The bus a new disk is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiskBus {
    Virtio,
    Sata,
    Scsi,
}

impl DiskBus {
    pub const ALL: [DiskBus; 3] = [DiskBus::Virtio, DiskBus::Sata, DiskBus::Scsi];

    /// The name people know the bus by (translated where it is a word).
    pub fn label(self) -> String {
        match self {
            DiskBus::Virtio => gettext("VirtIO"),
            DiskBus::Sata => gettext("SATA"),
            DiskBus::Scsi => gettext("SCSI"),
        }
    }

    /// `<target bus>`.
    pub fn as_xml(self) -> &'static str {
        match self {
            DiskBus::Virtio => "virtio",
            DiskBus::Sata => "sata",
            DiskBus::Scsi => "scsi",
        }
    }

    pub fn from_xml(bus: &str) -> Option<DiskBus> {
        DiskBus::ALL.into_iter().find(|b| b.as_xml() == bus)
    }

    /// Target names on this bus start with this: `vd` for VirtIO, `sd` for SATA and SCSI.
    pub fn prefix(self) -> &'static str {
        match self {
            DiskBus::Virtio => "vd",
            DiskBus::Sata | DiskBus::Scsi => "sd",
        }
    }

    /// Whether QEMU can add a device on this bus to a running machine.
    pub fn hotpluggable(self) -> bool {
        self != DiskBus::Sata
    }
}

/// What kind of drive the guest sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiskDevice {
    Disk,
    Cdrom,
}

impl DiskDevice {
    pub const ALL: [DiskDevice; 2] = [DiskDevice::Disk, DiskDevice::Cdrom];

    pub fn label(self) -> String {
        match self {
            DiskDevice::Disk => gettext("Disk"),
            DiskDevice::Cdrom => gettext("CD-ROM"),
        }
    }

    /// `<disk device>`.
    pub fn as_xml(self) -> &'static str {
        match self {
            DiskDevice::Disk => "disk",
            DiskDevice::Cdrom => "cdrom",
        }
    }
}

/// What backs the new disk.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttachSource {
    /// A volume that exists in a storage pool.
    Volume { pool: String, name: String },
    /// A volume created for the disk (deleted again when the attach fails).
    NewVolume {
        pool: String,
        name: String,
        /// Bytes.
        capacity: u64,
        /// "qcow2" or "raw".
        format: String,
    },
    /// A file (or block device) on the host, by absolute path.
    File { path: String },
}

impl AttachSource {
    /// The source as a person reads it: "pool/volume" or the path.
    pub fn label(&self) -> String {
        match self {
            AttachSource::Volume { pool, name } | AttachSource::NewVolume { pool, name, .. } => {
                format!("{pool}/{name}")
            }
            AttachSource::File { path } => path.clone(),
        }
    }
}

/// Attach one disk to the machine `uuid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttachRequest {
    pub uuid: String,
    pub source: AttachSource,
    pub device: DiskDevice,
    pub bus: DiskBus,
    /// The guest's name for it (`vdb`, `sdc`); `None` = the first free one on the bus.
    pub target: Option<String>,
    /// Read-only to the guest (CD-ROMs always are).
    pub readonly: bool,
}

/// What the UI asks about a machine's disks (answered with [`DiskEvent::Done`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DiskCommand {
    Attach(AttachRequest),
    Detach {
        uuid: String,
        target: String,
    },
    /// Put the file at `path` into the CD-ROM drive `target`; `None` ejects.
    ChangeMedia {
        uuid: String,
        target: String,
        path: Option<String>,
    },
}

impl DiskCommand {
    pub fn uuid(&self) -> &str {
        match self {
            DiskCommand::Attach(r) => &r.uuid,
            DiskCommand::Detach { uuid, .. } | DiskCommand::ChangeMedia { uuid, .. } => uuid,
        }
    }
}

/// The answer to a [`DiskCommand`]. `message` is one translated sentence for a toast: what
/// was done, or (with an `Err`) what could not be done; the error says why. A successful
/// `Done` is followed by a fresh `Event::Details` of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskEvent {
    Done {
        uuid: String,
        message: String,
        result: Result<Applied, BackendError>,
    },
}

/// The first target name on `bus` that none of `existing` has: `vda`, `vdb`...;
/// `sda`, `sdb`... (SATA and SCSI share the `sd` names).
pub fn free_target(existing: &[String], bus: DiskBus) -> String {
    (0..)
        .map(|i| format!("{}{}", bus.prefix(), disk_suffix(i)))
        .find(|t| !existing.iter().any(|e| e == t))
        .unwrap_or_default()
}

/// Run `cmd` on `conn`: the toast sentence and the outcome.
pub fn run(conn: &Connect, cmd: &DiskCommand) -> (String, Result<Applied, BackendError>) {
    let machine = match Machine::read(conn, cmd.uuid()) {
        Ok(m) => m,
        Err(e) => return (failed_sentence(cmd, cmd.uuid()), Err(e)),
    };
    let result = match cmd {
        DiskCommand::Attach(req) => apply::attach(conn, &machine, req),
        DiskCommand::Detach { target, .. } => apply::detach(conn, &machine, target, DETACH_WAIT),
        DiskCommand::ChangeMedia { target, path, .. } => {
            apply::change_media(conn, &machine, target, path.as_deref())
        }
    };
    let message = match &result {
        Ok((target, applied)) => done_sentence(cmd, &machine.name, target, applied),
        Err(_) => failed_sentence(cmd, &machine.name),
    };
    (message, result.map(|(_, applied)| applied))
}

fn done_sentence(cmd: &DiskCommand, name: &str, target: &str, applied: &Applied) -> String {
    match cmd {
        DiskCommand::Detach { .. } if applied.waits_for_restart() => gettext_f(
            "“{name}” was asked to release “{target}”",
            &[("target", target), ("name", name)],
        ),
        DiskCommand::Attach(req) => gettext_f(
            "“{source}” is attached to “{name}” as “{target}”",
            &[
                ("source", &req.source.label()),
                ("name", name),
                ("target", target),
            ],
        ),
        DiskCommand::Detach { .. } => gettext_f(
            "“{target}” is detached from “{name}”",
            &[("target", target), ("name", name)],
        ),
        DiskCommand::ChangeMedia {
            path: Some(path), ..
        } => gettext_f(
            "“{path}” is in drive “{target}” of “{name}”",
            &[("path", path), ("target", target), ("name", name)],
        ),
        DiskCommand::ChangeMedia { path: None, .. } => gettext_f(
            "Drive “{target}” of “{name}” is empty",
            &[("target", target), ("name", name)],
        ),
    }
}

fn failed_sentence(cmd: &DiskCommand, name: &str) -> String {
    match cmd {
        DiskCommand::Attach(req) => gettext_f(
            "Could not attach “{source}” to “{name}”",
            &[("source", &req.source.label()), ("name", name)],
        ),
        DiskCommand::Detach { target, .. } => gettext_f(
            "Could not detach “{target}” from “{name}”",
            &[("target", target), ("name", name)],
        ),
        DiskCommand::ChangeMedia { target, path, .. } => match path {
            Some(_) => gettext_f(
                "Could not change the medium in “{target}” of “{name}”",
                &[("target", target), ("name", name)],
            ),
            None => gettext_f(
                "Could not eject “{target}” of “{name}”",
                &[("target", target), ("name", name)],
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn free_target_takes_the_first_gap_per_bus() {
        assert_eq!(free_target(&[], DiskBus::Virtio), "vda");
        let have = names(&["vda", "vdc", "sda", "hdc"]);
        assert_eq!(free_target(&have, DiskBus::Virtio), "vdb");
        assert_eq!(free_target(&have, DiskBus::Sata), "sdb");
        assert_eq!(free_target(&have, DiskBus::Scsi), "sdb");
        let full: Vec<String> = (0..26).map(|i| format!("vd{}", disk_suffix(i))).collect();
        assert_eq!(free_target(&full, DiskBus::Virtio), "vdaa");
    }

    #[test]
    fn buses_round_trip_and_say_what_hot_plugs() {
        for b in DiskBus::ALL {
            assert_eq!(DiskBus::from_xml(b.as_xml()), Some(b));
        }
        assert_eq!(DiskBus::from_xml("ide"), None);
        assert!(!DiskBus::Sata.hotpluggable());
        assert!(DiskBus::Virtio.hotpluggable() && DiskBus::Scsi.hotpluggable());
    }
}
