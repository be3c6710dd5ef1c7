//! STUB (UI branch only; replaced by the storage helper's module at merge).
#![allow(dead_code, unused)]
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::BackendError;

#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub fn label(&self) -> String {
        String::new()
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    pub name: String,
    pub uuid: String,
    pub kind: PoolKind,
    pub active: bool,
    pub autostart: bool,
    pub persistent: bool,
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
    pub target_path: Option<String>,
    pub source: String,
    pub volumes: usize,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeUser {
    pub uuid: String,
    pub name: String,
    pub running: bool,
    pub target: String,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub pool: String,
    pub name: String,
    pub path: String,
    pub format: String,
    pub capacity: u64,
    pub allocation: u64,
    pub backing: Option<String>,
    pub used_by: Vec<VolumeUser>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolSpec {
    Dir {
        name: String,
        path: String,
    },
    Fs {
        name: String,
        device: String,
        path: String,
    },
    Netfs {
        name: String,
        host: String,
        export: String,
        path: String,
    },
    Logical {
        name: String,
        vg: String,
        devices: Vec<String>,
    },
    Iscsi {
        name: String,
        host: String,
        iqn: String,
        initiator: Option<String>,
    },
    Disk {
        name: String,
        device: String,
    },
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolFormat {
    Qcow2,
    Raw,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    pub pool: String,
    pub name: String,
    pub format: VolFormat,
    pub capacity: u64,
    pub backing: Option<String>,
}
pub fn parse_size(text: &str) -> Result<u64, String> {
    Err(String::new())
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolAction {
    Start,
    Stop,
    Refresh,
    Autostart(bool),
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolDeletePlan {
    pub pool: String,
    pub volumes: Vec<VolumeInfo>,
    pub can_delete_storage: bool,
    pub active: bool,
}
#[derive(Debug, Clone)]
pub enum StorageCommand {
    List,
    Volumes {
        pool: String,
    },
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
    DeletePlan {
        pool: String,
    },
    DeletePool {
        pool: String,
        delete_storage: bool,
    },
    CreateVolume(VolumeSpec),
    DeleteVolume {
        pool: String,
        name: String,
    },
    CloneVolume {
        pool: String,
        name: String,
        new_name: String,
    },
    ResizeVolume {
        pool: String,
        name: String,
        capacity: u64,
    },
    Upload {
        id: u64,
        pool: String,
        name: String,
        file: PathBuf,
        cancel: Arc<AtomicBool>,
    },
    Download {
        id: u64,
        pool: String,
        name: String,
        file: PathBuf,
        cancel: Arc<AtomicBool>,
    },
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageEvent {
    Pools(Result<Vec<PoolInfo>, BackendError>),
    Volumes {
        pool: String,
        result: Result<Vec<VolumeInfo>, BackendError>,
    },
    DeletePlan(Result<PoolDeletePlan, BackendError>),
    Done {
        message: String,
        result: Result<(), BackendError>,
    },
    Transfer {
        id: u64,
        done: u64,
        total: u64,
    },
    TransferDone {
        id: u64,
        message: String,
        result: Result<(), BackendError>,
    },
}
impl PartialEq for StorageCommand {
    fn eq(&self, _: &Self) -> bool {
        false
    }
}
impl Eq for StorageCommand {}
