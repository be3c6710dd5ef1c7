//! Listing a pool's volumes and finding which machines use each one.
//!
//! Usage comes from every domain's disks as [`disks`](crate::backend::disks) resolves
//! them (definition and, while running, live XML): a disk matches a volume by path (a
//! file or block disk naming the volume's file) or by `<source pool volume>`.

use std::collections::HashMap;

use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use super::{VolumeInfo, VolumeUser};
use crate::backend::disks::{self, Backing, Resolver};
use crate::backend::error::{BackendError, ErrorKind};
use crate::backend::xml::parse_tree;
use crate::i18n::gettext_f;

pub(super) fn err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

/// Who uses what, from one pass over all domains.
#[derive(Debug, Default)]
pub struct Usage {
    by_path: HashMap<String, Vec<VolumeUser>>,
    by_name: HashMap<(String, String), Vec<VolumeUser>>,
}

impl Usage {
    /// Read every domain's disks.
    pub fn scan(conn: &Connect) -> Result<Usage, BackendError> {
        let mut res = Resolver::default();
        let mut usage = Usage::default();
        for dom in conn.list_all_domains(0).map_err(err)? {
            let (uuid, name) = match (dom.uuid_string(), dom.name()) {
                (Ok(u), Ok(n)) => (u, n),
                _ => continue,
            };
            let running = dom.is_active().unwrap_or(false);
            let found = match disks::all_disks(conn, &mut res, &dom) {
                Ok(d) => d,
                // Undefined meanwhile: it uses nothing any more.
                Err(e) if e.kind == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for d in found {
                let user = VolumeUser {
                    uuid: uuid.clone(),
                    name: name.clone(),
                    running,
                    target: d.target.clone(),
                    readonly: d.is_media(),
                };
                match d.backing {
                    Backing::Volume { pool, volume, path } => {
                        usage.by_path.entry(path).or_default().push(user.clone());
                        usage.by_name.entry((pool, volume)).or_default().push(user);
                    }
                    Backing::UnavailableVolume { pool, volume } => {
                        usage.by_name.entry((pool, volume)).or_default().push(user);
                    }
                    Backing::Path(path) => usage.by_path.entry(path).or_default().push(user),
                    Backing::Empty | Backing::Other(_) => {}
                }
            }
        }
        Ok(usage)
    }

    /// The machines using volume `name` of `pool` at `path`, sorted by machine name
    /// and target, each disk once.
    pub fn users_of(&self, pool: &str, name: &str, path: &str) -> Vec<VolumeUser> {
        let mut out: Vec<VolumeUser> = Vec::new();
        let by_path = self.by_path.get(path).into_iter().flatten();
        let key = (pool.to_owned(), name.to_owned());
        for u in by_path.chain(self.by_name.get(&key).into_iter().flatten()) {
            if !out.iter().any(|o| o.uuid == u.uuid && o.target == u.target) {
                out.push(u.clone());
            }
        }
        out.sort_by(|a, b| (&a.name, &a.target).cmp(&(&b.name, &b.target)));
        out
    }
}

/// Names of the machines in `users`, once each, as “a”, “b”.
pub fn user_names(users: &[VolumeUser]) -> String {
    let mut names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    names.dedup();
    names
        .iter()
        .map(|n| format!("“{n}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pool called `name`, with a clear error when there is none.
pub fn lookup_pool(conn: &Connect, name: &str) -> Result<StoragePool, BackendError> {
    conn.lookup_storage_pool_by_name(name).map_err(|e| {
        if e.code().is(virt::error::ErrorNumber::NoStoragePool) {
            BackendError {
                kind: ErrorKind::NotFound,
                message: gettext_f("There is no pool named “{pool}”.", &[("pool", name)]),
                hint: gettextrs::gettext(
                    "It was removed, possibly by another program. The list has been updated.",
                ),
            }
        } else {
            err(e)
        }
    })
}

/// Volume `name` of an active pool, with clear errors for an inactive pool or a missing
/// volume.
pub fn lookup_volume(
    conn: &Connect,
    pool: &str,
    name: &str,
) -> Result<(StoragePool, StorageVol), BackendError> {
    let p = lookup_pool(conn, pool)?;
    require_active(&p, pool)?;
    match p.lookup_storage_vol_by_name(name) {
        Ok(v) => Ok((p, v)),
        Err(e) if e.code().is(virt::error::ErrorNumber::NoStorageVolume) => Err(BackendError {
            kind: ErrorKind::NotFound,
            message: gettext_f(
                "The pool “{pool}” has no volume named “{name}”.",
                &[("pool", pool), ("name", name)],
            ),
            hint: gettextrs::gettext(
                "It was removed, possibly by another program. The list has been updated.",
            ),
        }),
        Err(e) => Err(err(e)),
    }
}

/// Volumes can only be listed, made or changed in an active pool.
pub fn require_active(pool: &StoragePool, name: &str) -> Result<(), BackendError> {
    if pool.is_active().map_err(err)? {
        Ok(())
    } else {
        Err(BackendError {
            kind: ErrorKind::InvalidState,
            message: gettext_f("The pool “{pool}” is not active.", &[("pool", name)]),
            hint: gettextrs::gettext("Start the pool first."),
        })
    }
}

/// Format and backing path from a volume's XML.
fn format_and_backing(xml: &str) -> Result<(String, Option<String>), BackendError> {
    let root = parse_tree(xml)?;
    let format = root
        .child("target")
        .and_then(|t| t.child("format"))
        .and_then(|f| f.attr("type"))
        .unwrap_or_default()
        .to_owned();
    let backing = root
        .child("backingStore")
        .map(|b| b.child_text("path"))
        .filter(|p| !p.is_empty());
    Ok((format, backing))
}

/// One volume's facts (users left empty).
pub fn volume_info(pool: &str, vol: &StorageVol) -> Result<VolumeInfo, BackendError> {
    let info = vol.info().map_err(err)?;
    let (format, backing) = format_and_backing(&vol.xml_desc(0).map_err(err)?)?;
    Ok(VolumeInfo {
        pool: pool.to_owned(),
        name: vol.name().map_err(err)?,
        path: vol.path().map_err(err)?,
        format,
        capacity: info.capacity,
        allocation: info.allocation,
        backing,
        used_by: Vec::new(),
    })
}

/// The volumes of `pool`, sorted by name, with their users. An inactive pool has none
/// to show (libvirt lists volumes of active pools only).
pub fn list_volumes(conn: &Connect, pool: &str) -> Result<Vec<VolumeInfo>, BackendError> {
    let p = lookup_pool(conn, pool)?;
    if !p.is_active().map_err(err)? {
        return Ok(Vec::new());
    }
    let usage = Usage::scan(conn)?;
    volumes_with(&p, pool, &usage)
}

pub(super) fn volumes_with(
    p: &StoragePool,
    pool: &str,
    usage: &Usage,
) -> Result<Vec<VolumeInfo>, BackendError> {
    let mut out = Vec::new();
    for v in p.list_all_volumes(0).map_err(err)? {
        let mut info = match volume_info(pool, &v) {
            Ok(i) => i,
            // Deleted between the listing and the look.
            Err(e) if e.kind == ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        info.used_by = usage.users_of(pool, &info.name, &info.path);
        out.push(info);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
