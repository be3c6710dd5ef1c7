//! A domain's disks as storage: what backs each one (a pool volume, a plain file, network
//! storage) and which other domains use the same storage. Shared by delete and clone.
//!
//! Disks come from the domain XML (`<devices><disk>`); a `type='volume'` source is looked
//! up by pool and volume name, a file or block device by path
//! (`virStorageVolLookupByPath`, which only knows volumes of active pools). Storage is
//! identified by its path where there is one, so a file disk and a volume disk naming the
//! same image are recognised as the same storage.

use std::collections::HashMap;

use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::storage_vol::StorageVol;
use virt::sys;

use super::error::BackendError;
use super::xml::{parse_tree, Element};

/// What backs a disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backing {
    /// No medium (an empty CD-ROM drive).
    Empty,
    /// A volume of an active storage pool.
    Volume {
        pool: String,
        volume: String,
        path: String,
    },
    /// `<source pool volume>` whose pool is missing or inactive (or the volume is gone).
    UnavailableVolume { pool: String, volume: String },
    /// A local file or block device that is no volume of an active pool.
    Path(String),
    /// Network storage, a directory, NVMe...: described as libvirt names it.
    Other(String),
}

/// One `<disk>` of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskRef {
    /// 1-based position among the `<disk>` elements of `<devices>` (for `xml_edit`).
    pub index: usize,
    /// `<disk type>`: "file", "block", "volume", "network", "dir"...
    pub disk_type: String,
    /// "disk", "cdrom", "floppy", "lun".
    pub device: String,
    pub target: String,
    /// `<driver type>`, e.g. "qcow2"; empty when not given.
    pub format: String,
    pub readonly: bool,
    /// `<shareable/>`: meant to be used by several domains at once.
    pub shareable: bool,
    pub backing: Backing,
}

impl DiskRef {
    /// The path of the storage, when it is a local one.
    pub fn path(&self) -> Option<&str> {
        match &self.backing {
            Backing::Volume { path, .. } | Backing::Path(path) => Some(path),
            _ => None,
        }
    }

    /// What identifies the storage between domains; `None` for an empty drive.
    pub fn key(&self) -> Option<String> {
        match &self.backing {
            Backing::Empty => None,
            Backing::Volume { path, .. } | Backing::Path(path) => Some(path.clone()),
            Backing::UnavailableVolume { pool, volume } => Some(format!("{pool}/{volume}")),
            Backing::Other(s) => Some(s.clone()),
        }
    }

    /// The source as a person reads it: the path, "pool/volume", or libvirt's name.
    pub fn source_label(&self) -> String {
        self.key().unwrap_or_default()
    }

    /// Removable media or read-only: an installer ISO, not the machine's own data.
    pub fn is_media(&self) -> bool {
        self.readonly || matches!(self.device.as_str(), "cdrom" | "floppy")
    }
}

fn err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

/// Looks volumes up, remembering answers (one domain list can name a volume many times).
#[derive(Default)]
pub struct Resolver {
    by_name: HashMap<(String, String), Option<String>>,
    by_path: HashMap<String, Option<(String, String)>>,
}

impl Resolver {
    /// The path of volume `volume` in pool `pool`; `None` if the pool is missing or
    /// inactive or has no such volume.
    pub fn volume_path(&mut self, conn: &Connect, pool: &str, volume: &str) -> Option<String> {
        let key = (pool.to_owned(), volume.to_owned());
        if let Some(hit) = self.by_name.get(&key) {
            return hit.clone();
        }
        let found = conn
            .lookup_storage_pool_by_name(pool)
            .ok()
            .filter(|p| p.is_active().unwrap_or(false))
            .and_then(|p| p.lookup_storage_vol_by_name(volume).ok())
            .and_then(|v| v.path().ok());
        self.by_name.insert(key, found.clone());
        found
    }

    /// Pool and volume name of the volume at `path`, if it is one of an active pool.
    pub fn volume_at(&mut self, conn: &Connect, path: &str) -> Option<(String, String)> {
        if let Some(hit) = self.by_path.get(path) {
            return hit.clone();
        }
        let found = match conn.lookup_storage_vol_by_path(path) {
            Ok(v) => v
                .lookup_storage_pool()
                .and_then(|p| Ok((p.name()?, v.name()?)))
                .ok(),
            Err(e) => {
                if !e.code().is(ErrorNumber::NoStorageVolume) {
                    log::debug!("looking up a volume at {path}: {e}");
                }
                None
            }
        };
        self.by_path.insert(path.to_owned(), found.clone());
        found
    }
}

/// The volume handle for a disk backed by a pool volume.
pub fn open_volume(conn: &Connect, disk: &DiskRef) -> Result<StorageVol, BackendError> {
    match &disk.backing {
        Backing::Volume { path, .. } => conn.lookup_storage_vol_by_path(path).map_err(err),
        other => Err(BackendError::new(
            super::ErrorKind::NotFound,
            format!("{}: not a pool volume ({other:?})", disk.target),
        )),
    }
}

fn backing_of(conn: &Connect, res: &mut Resolver, disk_type: &str, disk: &Element) -> Backing {
    let Some(src) = disk.child("source") else {
        return Backing::Empty;
    };
    if let (Some(pool), Some(volume)) = (src.attr("pool"), src.attr("volume")) {
        return match res.volume_path(conn, pool, volume) {
            Some(path) => Backing::Volume {
                pool: pool.to_owned(),
                volume: volume.to_owned(),
                path,
            },
            None => Backing::UnavailableVolume {
                pool: pool.to_owned(),
                volume: volume.to_owned(),
            },
        };
    }
    let path = match disk_type {
        "file" => src.attr("file"),
        "block" => src.attr("dev"),
        _ => None,
    };
    if let Some(path) = path.filter(|p| !p.is_empty()) {
        return match res.volume_at(conn, path) {
            Some((pool, volume)) => Backing::Volume {
                pool,
                volume,
                path: path.to_owned(),
            },
            None => Backing::Path(path.to_owned()),
        };
    }
    let described = match (src.attr("protocol"), src.attr("name")) {
        (Some(proto), Some(name)) => format!("{proto}:{name}"),
        _ => ["dir", "name", "file", "dev"]
            .iter()
            .find_map(|k| src.attr(k))
            .unwrap_or_default()
            .to_owned(),
    };
    if described.is_empty() {
        Backing::Empty
    } else {
        Backing::Other(described)
    }
}

/// The disks of domain XML `xml`, in document order.
pub fn disks_of_xml(
    conn: &Connect,
    res: &mut Resolver,
    xml: &str,
) -> Result<Vec<DiskRef>, BackendError> {
    let root = parse_tree(xml)?;
    let Some(devices) = root.child("devices") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, disk) in devices.children_named("disk").enumerate() {
        let disk_type = disk.attr("type").unwrap_or("file").to_owned();
        out.push(DiskRef {
            index: i + 1,
            backing: backing_of(conn, res, &disk_type, disk),
            disk_type,
            device: disk.attr("device").unwrap_or("disk").to_owned(),
            target: disk
                .child("target")
                .and_then(|t| t.attr("dev"))
                .unwrap_or_default()
                .to_owned(),
            format: disk
                .child("driver")
                .and_then(|d| d.attr("type"))
                .unwrap_or_default()
                .to_owned(),
            readonly: disk.child("readonly").is_some(),
            shareable: disk.child("shareable").is_some(),
        });
    }
    Ok(out)
}

/// XML of the domain's persistent definition (or its live one when transient) plus,
/// for a running persistent domain, its live XML (disks may have been hot-plugged).
pub fn definitions(dom: &Domain) -> Result<Vec<String>, BackendError> {
    let mut xmls = vec![dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).map_err(err)?];
    if dom.is_active().map_err(err)? && dom.is_persistent().map_err(err)? {
        xmls.push(dom.xml_desc(0).map_err(err)?);
    }
    Ok(xmls)
}

/// Every disk of the domain in its definition and, when running, its live state; a disk
/// found in both is listed once (from the definition).
pub fn all_disks(
    conn: &Connect,
    res: &mut Resolver,
    dom: &Domain,
) -> Result<Vec<DiskRef>, BackendError> {
    let mut out: Vec<DiskRef> = Vec::new();
    for xml in definitions(dom)? {
        for d in disks_of_xml(conn, res, &xml)? {
            let dup = out.iter().any(|o| match (o.key(), d.key()) {
                (Some(a), Some(b)) => a == b,
                (None, None) => o.target == d.target,
                _ => false,
            });
            if !dup {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// Storage key → names of the domains (other than `except_uuid`) whose disks use it.
pub fn usage_by_others(
    conn: &Connect,
    res: &mut Resolver,
    except_uuid: &str,
) -> Result<HashMap<String, Vec<String>>, BackendError> {
    let mut users: HashMap<String, Vec<String>> = HashMap::new();
    for dom in conn.list_all_domains(0).map_err(err)? {
        let uuid = dom.uuid_string().map_err(err)?;
        if uuid.eq_ignore_ascii_case(except_uuid) {
            continue;
        }
        let name = dom.name().map_err(err)?;
        let disks = match all_disks(conn, res, &dom) {
            Ok(d) => d,
            // Undefined meanwhile: it uses nothing any more.
            Err(e) if e.kind == super::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for key in disks.iter().filter_map(DiskRef::key) {
            let names = users.entry(key).or_default();
            if !names.contains(&name) {
                names.push(name.clone());
            }
        }
    }
    for names in users.values_mut() {
        names.sort();
    }
    Ok(users)
}
