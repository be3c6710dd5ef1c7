//! Creating, deleting, cloning and resizing volumes. Every check runs before libvirt
//! changes anything: names, duplicates, sizes against the pool's free space, formats the
//! pool type can hold, backing volumes, and who uses the volume.

use gettextrs::gettext;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::sys;

use super::checks::{invalid, volume_name_problem};
use super::pool_spec::Xw;
use super::volumes::Usage;
use super::volumes::{err, lookup_pool, lookup_volume, require_active, user_names, volume_info};
use super::{PoolKind, VolFormat, VolumeSpec};
use crate::backend::disks::{self, Backing, Resolver};
use crate::backend::error::{BackendError, ErrorKind};
use crate::backend::xml::parse_tree;
use crate::i18n::{bytes, gettext_f};

/// The kind of a pool, from its XML.
fn pool_kind(pool: &StoragePool) -> Result<PoolKind, BackendError> {
    let root = parse_tree(&pool.xml_desc(0).map_err(err)?)?;
    Ok(PoolKind::from_xml_type(
        root.attr("type").unwrap_or_default(),
    ))
}

fn name_error(why: String) -> BackendError {
    BackendError {
        kind: ErrorKind::InvalidInput,
        message: why,
        hint: gettext("Choose another name."),
    }
}

/// Name rule and no volume of that name in the pool.
fn check_new_volume_name(
    pool: &StoragePool,
    pool_name: &str,
    name: &str,
) -> Result<(), BackendError> {
    if let Some(why) = volume_name_problem(name) {
        return Err(name_error(why));
    }
    if pool.lookup_storage_vol_by_name(name).is_ok() {
        return Err(name_error(gettext_f(
            "The pool “{pool}” already has a volume named “{name}”.",
            &[("pool", pool_name), ("name", name)],
        )));
    }
    Ok(())
}

/// `needed` bytes must fit in the pool's free space.
fn check_space(pool: &StoragePool, pool_name: &str, needed: u64) -> Result<(), BackendError> {
    let available = pool.info().map_err(err)?.available;
    if needed > available {
        return Err(BackendError {
            kind: ErrorKind::InvalidInput,
            message: gettext_f(
                "{size} does not fit in pool “{pool}”: {free} are free.",
                &[
                    ("size", &bytes(needed)),
                    ("pool", pool_name),
                    ("free", &bytes(available)),
                ],
            ),
            hint: gettext("Choose a smaller size or free space in the pool."),
        });
    }
    Ok(())
}

/// Volume XML: name, capacity, (file pools) sparse allocation and format, backing store.
fn volume_xml(
    name: &str,
    capacity: u64,
    format: Option<&str>,
    backing: Option<(&str, &str)>,
) -> String {
    let mut w = Xw::new();
    w.open("volume", &[]);
    w.text("name", &[], name);
    w.text("capacity", &[("unit", "bytes")], &capacity.to_string());
    if let Some(f) = format {
        // Sparse: libvirt would otherwise allocate a raw file's full size up front.
        w.text("allocation", &[("unit", "bytes")], "0");
        w.open("target", &[]);
        w.empty("format", &[("type", f)]);
        w.close("target");
    }
    if let Some((path, fmt)) = backing {
        w.open("backingStore", &[]);
        w.text("path", &[], path);
        if !fmt.is_empty() {
            w.empty("format", &[("type", fmt)]);
        }
        w.close("backingStore");
    }
    w.close("volume");
    w.finish()
}

/// Create a volume; `Ok` is the sentence for the toast.
pub fn create_volume(conn: &Connect, spec: &VolumeSpec) -> Result<String, BackendError> {
    let name = spec.name.trim();
    let pool = lookup_pool(conn, &spec.pool)?;
    require_active(&pool, &spec.pool)?;
    check_new_volume_name(&pool, &spec.pool, name)?;
    let kind = pool_kind(&pool)?;
    if kind == PoolKind::Iscsi {
        return Err(invalid(gettext_f(
            "Volumes cannot be created in the iSCSI pool “{pool}”: its LUNs come from the target.",
            &[("pool", &spec.pool)],
        )));
    }
    if spec.format == VolFormat::Qcow2 && !kind.holds_files() {
        return Err(invalid(gettext_f(
            "qcow2 volumes need a pool of files (directory, file system or NFS); “{pool}” is a {kind} pool: choose raw.",
            &[("pool", &spec.pool), ("kind", &kind.label())],
        )));
    }
    if spec.capacity == 0 {
        return Err(invalid(gettext("The size must be more than zero.")));
    }
    let backing = match spec
        .backing
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        None => None,
        Some(_) if spec.format != VolFormat::Qcow2 => {
            return Err(invalid(gettext(
                "Only qcow2 volumes can have a backing volume: choose qcow2 or no backing.",
            )))
        }
        Some(path) => {
            let vol = conn.lookup_storage_vol_by_path(path).map_err(|_| {
                invalid(gettext_f(
                    "The backing volume “{path}” does not exist (or its pool is not active).",
                    &[("path", path)],
                ))
            })?;
            let info = volume_info("", &vol)?;
            if spec.capacity < info.capacity {
                return Err(invalid(gettext_f(
                    "The size must be at least that of the backing volume ({size}).",
                    &[("size", &bytes(info.capacity))],
                )));
            }
            Some((path.to_owned(), info.format))
        }
    };
    check_space(&pool, &spec.pool, spec.capacity)?;
    let format = kind.holds_files().then(|| spec.format.as_str());
    let xml = volume_xml(
        name,
        spec.capacity,
        format,
        backing.as_ref().map(|(p, f)| (p.as_str(), f.as_str())),
    );
    StorageVol::create_xml(&pool, &xml, 0).map_err(err)?;
    Ok(gettext_f(
        "Volume “{name}” created in pool “{pool}”.",
        &[("name", name), ("pool", &spec.pool)],
    ))
}

fn in_use_error(what: String, users: &[super::VolumeUser], hint: String) -> BackendError {
    BackendError {
        kind: ErrorKind::InvalidInput,
        message: gettext_f(
            "{what}: it is used by {machines}.",
            &[("what", &what), ("machines", &user_names(users))],
        ),
        hint,
    }
}

/// Delete a volume no machine uses; `Ok` is the sentence for the toast.
pub fn delete_volume(conn: &Connect, pool: &str, name: &str) -> Result<String, BackendError> {
    let (_, vol) = lookup_volume(conn, pool, name)?;
    let path = vol.path().map_err(err)?;
    let users = Usage::scan(conn)?.users_of(pool, name, &path);
    if !users.is_empty() {
        return Err(in_use_error(
            gettext_f("“{name}” cannot be deleted", &[("name", name)]),
            &users,
            gettext("Remove the disk from these machines first."),
        ));
    }
    vol.delete(0).map_err(err)?;
    Ok(gettext_f(
        "Volume “{name}” deleted from pool “{pool}”.",
        &[("name", name), ("pool", pool)],
    ))
}

/// Copy a volume into a new one in the same pool. Refused while a running machine
/// writes to it (the copy would be inconsistent).
pub fn clone_volume(
    conn: &Connect,
    pool_name: &str,
    name: &str,
    new_name: &str,
) -> Result<String, BackendError> {
    let new_name = new_name.trim();
    let (pool, vol) = lookup_volume(conn, pool_name, name)?;
    check_new_volume_name(&pool, pool_name, new_name)?;
    let info = volume_info(pool_name, &vol)?;
    let writers: Vec<_> = Usage::scan(conn)?
        .users_of(pool_name, name, &info.path)
        .into_iter()
        .filter(|u| u.running && !u.readonly)
        .collect();
    if !writers.is_empty() {
        return Err(in_use_error(
            gettext_f("“{name}” cannot be copied now", &[("name", name)]),
            &writers,
            gettext("Shut these machines down first, or clone the machine instead."),
        ));
    }
    check_space(&pool, pool_name, info.allocation)?;
    let kind = pool_kind(&pool)?;
    let format = (kind.holds_files() && !info.format.is_empty()).then_some(info.format.as_str());
    let xml = volume_xml(new_name, info.capacity, format, None);
    StorageVol::create_xml_from(&pool, &xml, &vol, 0).map_err(err)?;
    Ok(gettext_f(
        "Volume “{name}” copied to “{new}”.",
        &[("name", name), ("new", new_name)],
    ))
}

/// The running machine (and the disk target) that has `path` attached right now.
fn live_user(
    conn: &Connect,
    pool: &str,
    name: &str,
    path: &str,
) -> Result<Option<(virt::domain::Domain, String)>, BackendError> {
    let mut res = Resolver::default();
    for dom in conn
        .list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_ACTIVE)
        .map_err(err)?
    {
        let Ok(xml) = dom.xml_desc(0) else { continue };
        for d in disks::disks_of_xml(conn, &mut res, &xml)? {
            let hit = match &d.backing {
                Backing::Volume {
                    pool: p,
                    volume,
                    path: vp,
                } => vp == path || (p == pool && volume == name),
                Backing::Path(p) => p == path,
                _ => false,
            };
            if hit {
                return Ok(Some((dom, d.target)));
            }
        }
    }
    Ok(None)
}

/// Grow a volume to `capacity` bytes. Attached to a running machine it grows through
/// that machine (`virDomainBlockResize`), so the guest sees the new size at once;
/// otherwise the volume itself is resized (`virStorageVolResize`).
pub fn resize_volume(
    conn: &Connect,
    pool_name: &str,
    name: &str,
    capacity: u64,
) -> Result<String, BackendError> {
    let (pool, vol) = lookup_volume(conn, pool_name, name)?;
    let info = volume_info(pool_name, &vol)?;
    if capacity < info.capacity {
        return Err(invalid(gettext_f(
            "Volumes can only grow: “{name}” has {size}; choose more.",
            &[("name", name), ("size", &bytes(info.capacity))],
        )));
    }
    if capacity == info.capacity {
        return Err(invalid(gettext_f(
            "“{name}” already has {size}.",
            &[("name", name), ("size", &bytes(info.capacity))],
        )));
    }
    check_space(&pool, pool_name, capacity - info.capacity)?;
    let size = bytes(capacity);
    match live_user(conn, pool_name, name, &info.path)? {
        Some((dom, target)) => {
            dom.block_resize(&target, capacity, sys::VIR_DOMAIN_BLOCK_RESIZE_BYTES)
                .map_err(err)?;
            let machine = dom.name().unwrap_or_default();
            Ok(gettext_f(
                "Volume “{name}” grown to {size}; “{machine}” sees the new size now.",
                &[("name", name), ("size", &size), ("machine", &machine)],
            ))
        }
        None => {
            vol.resize(capacity, 0).map_err(err)?;
            Ok(gettext_f(
                "Volume “{name}” grown to {size}.",
                &[("name", name), ("size", &size)],
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_xml_is_escaped_and_complete() {
        let x = volume_xml(
            "a&b",
            1024,
            Some("qcow2"),
            Some(("/p/<base>.qcow2", "qcow2")),
        );
        assert!(x.contains("<name>a&amp;b</name>"), "{x}");
        assert!(
            x.contains("<capacity unit=\"bytes\">1024</capacity>"),
            "{x}"
        );
        assert!(x.contains("<format type=\"qcow2\"/>"), "{x}");
        assert!(x.contains("<path>/p/&lt;base&gt;.qcow2</path>"), "{x}");
        let raw = volume_xml("lv1", 5, None, None);
        assert!(
            !raw.contains("target") && !raw.contains("allocation"),
            "{raw}"
        );
    }
}
