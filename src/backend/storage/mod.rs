//! Storage pools and volumes: listing (with which machines use each volume), creating
//! pools of six types from a typed spec, pool actions, deleting a pool with an explicit
//! plan, creating, deleting, cloning and resizing volumes, and streaming a volume from
//! or to a local file. The worker serves these as [`StorageCommand`]s
//! (`worker_storage.rs`) and answers with [`StorageEvent`]s.
//!
//! Everything a person typed is checked before libvirt is touched ([`checks`]); a step
//! that fails after the first change undoes what was done (a pool defined but not
//! startable is undefined again). Local facts (a directory exists, a device is a block
//! device, a host resolves) are checked only when the connection is local; on a remote
//! host libvirt reports them.
//!
//! Inside: [`size`] (sizes with units), [`pool_spec`] (the typed pool model and its XML),
//! [`checks`] (validation), [`pools`] (list, create, actions, delete), [`volumes`]
//! (list and who uses what), [`volume_ops`] (create, delete, clone, resize) and
//! [`transfer`] (upload and download on their own thread and connection).

pub mod checks;
pub mod pool_spec;
pub mod pools;
pub mod size;
pub mod transfer;
pub mod volume_ops;
pub mod volumes;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use gettextrs::gettext;

use super::error::BackendError;

pub use pool_spec::PoolSpec;
pub use size::parse_size;

/// A storage pool's type (`<pool type>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PoolKind {
    Dir,
    Fs,
    Netfs,
    Logical,
    Iscsi,
    Disk,
    Other(String),
}

impl PoolKind {
    /// The type as a person reads it.
    pub fn label(&self) -> String {
        match self {
            PoolKind::Dir => gettext("Directory"),
            PoolKind::Fs => gettext("File system"),
            PoolKind::Netfs => gettext("Network file system (NFS)"),
            PoolKind::Logical => gettext("LVM volume group"),
            PoolKind::Iscsi => gettext("iSCSI target"),
            PoolKind::Disk => gettext("Physical disk"),
            PoolKind::Other(t) => t.clone(),
        }
    }

    /// From libvirt's `<pool type>` value.
    pub fn from_xml_type(t: &str) -> PoolKind {
        match t {
            "dir" => PoolKind::Dir,
            "fs" => PoolKind::Fs,
            "netfs" => PoolKind::Netfs,
            "logical" => PoolKind::Logical,
            "iscsi" => PoolKind::Iscsi,
            "disk" => PoolKind::Disk,
            other => PoolKind::Other(other.to_owned()),
        }
    }

    /// libvirt's `<pool type>` value.
    pub fn xml_type(&self) -> &str {
        match self {
            PoolKind::Dir => "dir",
            PoolKind::Fs => "fs",
            PoolKind::Netfs => "netfs",
            PoolKind::Logical => "logical",
            PoolKind::Iscsi => "iscsi",
            PoolKind::Disk => "disk",
            PoolKind::Other(t) => t,
        }
    }

    /// Volumes are files in a directory (so qcow2 and backing files are possible).
    /// Other types (block devices, and those KVM Manager does not create) get raw volumes.
    pub fn holds_files(&self) -> bool {
        matches!(self, PoolKind::Dir | PoolKind::Fs | PoolKind::Netfs)
    }

    /// `virStoragePoolDelete` removes only a directory (the pool's own, or the mount
    /// point); other types would destroy a volume group or are not supported.
    pub fn storage_is_a_directory(&self) -> bool {
        matches!(self, PoolKind::Dir | PoolKind::Fs | PoolKind::Netfs)
    }
}

/// One pool, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    pub name: String,
    pub uuid: String,
    pub kind: PoolKind,
    pub active: bool,
    pub autostart: bool,
    pub persistent: bool,
    /// Bytes; 0 while inactive.
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
    pub target_path: Option<String>,
    /// Where the storage comes from: "nfs.example.org:/export", "/dev/sdb1", "vg0",
    /// "iscsi.example.org: iqn.2004-04.com.example:disk1"; empty for a directory.
    pub source: String,
    /// Number of volumes (0 while inactive: libvirt lists none then).
    pub volumes: usize,
}

/// A machine that uses a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeUser {
    pub uuid: String,
    pub name: String,
    pub running: bool,
    /// The disk's target, e.g. "vda".
    pub target: String,
    /// Attached read-only (a CD-ROM, or `<readonly/>`).
    pub readonly: bool,
}

/// One volume of a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub pool: String,
    pub name: String,
    pub path: String,
    /// "qcow2", "raw", "iso", "dir"...; empty where the pool type has no formats.
    pub format: String,
    /// Bytes the guest sees.
    pub capacity: u64,
    /// Bytes used on the host.
    pub allocation: u64,
    /// Path of the backing file, for an overlay.
    pub backing: Option<String>,
    /// Machines whose disks use it (definition or live), sorted by name.
    pub used_by: Vec<VolumeUser>,
}

/// A volume's format for creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolFormat {
    Qcow2,
    Raw,
}

impl VolFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            VolFormat::Qcow2 => "qcow2",
            VolFormat::Raw => "raw",
        }
    }
}

/// A volume to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    pub pool: String,
    pub name: String,
    pub format: VolFormat,
    /// Bytes.
    pub capacity: u64,
    /// Path of a backing volume (qcow2 only): the new volume is an overlay on it.
    pub backing: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolAction {
    Start,
    Stop,
    Refresh,
    Autostart(bool),
}

/// What deleting a pool involves, for the confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolDeletePlan {
    pub pool: String,
    /// Its volumes (empty while inactive), with their users.
    pub volumes: Vec<VolumeInfo>,
    /// The pool's directory (or mount point) can be removed too (`virStoragePoolDelete`).
    pub can_delete_storage: bool,
    /// Removing the storage deletes the volumes listed (a directory pool's files); for
    /// file system and NFS pools only the empty mount point goes, the data stays.
    pub storage_deletes_volumes: bool,
    pub active: bool,
    /// Target directory, when there is one.
    pub target_path: Option<String>,
}

/// What the UI asks of the storage part of a worker (`Command::Storage`).
#[derive(Debug, Clone)]
pub enum StorageCommand {
    /// All pools ([`StorageEvent::Pools`]).
    List,
    /// The volumes of one pool ([`StorageEvent::Volumes`]).
    Volumes {
        pool: String,
    },
    /// Define a pool; optionally build it (create its directory, format, make the VG),
    /// start it and mark it autostart. Any failure after the define undoes it.
    CreatePool {
        spec: PoolSpec,
        build: bool,
        start: bool,
        autostart: bool,
    },
    PoolAction {
        pool: String,
        action: PoolAction,
    },
    /// What deleting would do ([`StorageEvent::DeletePlan`]).
    DeletePlan {
        pool: String,
    },
    /// Stop and undefine the pool; with `delete_storage`, remove its directory (and a
    /// directory pool's volumes) as well.
    DeletePool {
        pool: String,
        delete_storage: bool,
    },
    CreateVolume(VolumeSpec),
    /// Refused while any machine uses the volume (the message names them).
    DeleteVolume {
        pool: String,
        name: String,
    },
    CloneVolume {
        pool: String,
        name: String,
        new_name: String,
    },
    /// Grow a volume to `capacity` bytes: through the running machine that has it
    /// attached (the guest sees the new size at once), else offline.
    ResizeVolume {
        pool: String,
        name: String,
        capacity: u64,
    },
    /// Copy a local file into the volume (progress: [`StorageEvent::Transfer`], end:
    /// [`StorageEvent::TransferDone`]). Runs on its own thread; set `cancel` to stop.
    Upload {
        id: u64,
        pool: String,
        name: String,
        file: PathBuf,
        cancel: Arc<AtomicBool>,
    },
    /// Copy the volume into a local file (written as `FILE.part`, renamed at the end).
    Download {
        id: u64,
        pool: String,
        name: String,
        file: PathBuf,
        cancel: Arc<AtomicBool>,
    },
}

impl PartialEq for StorageCommand {
    /// Field by field; cancel flags are equal when they are the same flag.
    fn eq(&self, other: &Self) -> bool {
        use StorageCommand as C;
        match (self, other) {
            (C::List, C::List) => true,
            (C::Volumes { pool: a }, C::Volumes { pool: b }) => a == b,
            (
                C::CreatePool {
                    spec: s1,
                    build: b1,
                    start: t1,
                    autostart: a1,
                },
                C::CreatePool {
                    spec: s2,
                    build: b2,
                    start: t2,
                    autostart: a2,
                },
            ) => (s1, b1, t1, a1) == (s2, b2, t2, a2),
            (
                C::PoolAction {
                    pool: p1,
                    action: a1,
                },
                C::PoolAction {
                    pool: p2,
                    action: a2,
                },
            ) => (p1, a1) == (p2, a2),
            (C::DeletePlan { pool: a }, C::DeletePlan { pool: b }) => a == b,
            (
                C::DeletePool {
                    pool: p1,
                    delete_storage: d1,
                },
                C::DeletePool {
                    pool: p2,
                    delete_storage: d2,
                },
            ) => (p1, d1) == (p2, d2),
            (C::CreateVolume(a), C::CreateVolume(b)) => a == b,
            (C::DeleteVolume { pool: p1, name: n1 }, C::DeleteVolume { pool: p2, name: n2 }) => {
                (p1, n1) == (p2, n2)
            }
            (
                C::CloneVolume {
                    pool: p1,
                    name: n1,
                    new_name: m1,
                },
                C::CloneVolume {
                    pool: p2,
                    name: n2,
                    new_name: m2,
                },
            ) => (p1, n1, m1) == (p2, n2, m2),
            (
                C::ResizeVolume {
                    pool: p1,
                    name: n1,
                    capacity: c1,
                },
                C::ResizeVolume {
                    pool: p2,
                    name: n2,
                    capacity: c2,
                },
            ) => (p1, n1, c1) == (p2, n2, c2),
            (
                C::Upload {
                    id: i1,
                    pool: p1,
                    name: n1,
                    file: f1,
                    cancel: x1,
                },
                C::Upload {
                    id: i2,
                    pool: p2,
                    name: n2,
                    file: f2,
                    cancel: x2,
                },
            )
            | (
                C::Download {
                    id: i1,
                    pool: p1,
                    name: n1,
                    file: f1,
                    cancel: x1,
                },
                C::Download {
                    id: i2,
                    pool: p2,
                    name: n2,
                    file: f2,
                    cancel: x2,
                },
            ) => (i1, p1, n1, f1) == (i2, p2, n2, f2) && Arc::ptr_eq(x1, x2),
            _ => false,
        }
    }
}

impl Eq for StorageCommand {}

/// What the storage part of a worker tells the UI (`Event::Storage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageEvent {
    Pools(Result<Vec<PoolInfo>, BackendError>),
    Volumes {
        pool: String,
        result: Result<Vec<VolumeInfo>, BackendError>,
    },
    DeletePlan(Result<PoolDeletePlan, BackendError>),
    /// The end of a change: a sentence for a toast and the outcome. Followed by fresh
    /// `Pools` and the `Volumes` of the pool concerned (when it still exists).
    Done {
        message: String,
        result: Result<(), BackendError>,
    },
    /// Transfer progress, at most about ten a second.
    Transfer {
        id: u64,
        done: u64,
        total: u64,
    },
    /// The end of a transfer. A cancelled one is an `Err` of kind `Other` with an empty
    /// hint, whose message says it was cancelled (see [`transfer::is_cancelled`]). A
    /// finished upload is followed by fresh `Volumes` of its pool.
    TransferDone {
        id: u64,
        message: String,
        result: Result<(), BackendError>,
    },
}
