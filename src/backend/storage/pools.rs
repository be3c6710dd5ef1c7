//! Pools: the list, creating one from a [`PoolSpec`] (with rollback), start / stop /
//! refresh / autostart, and deleting one after a [`PoolDeletePlan`].

use std::path::Path;

use gettextrs::gettext;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;

use super::checks::{check_pool_spec, invalid};
use super::volumes::{err, lookup_pool, user_names, volumes_with, Usage};
use super::{PoolAction, PoolDeletePlan, PoolInfo, PoolKind, PoolSpec};
use crate::backend::create::is_local;
use crate::backend::error::{BackendError, ErrorKind};
use crate::backend::xml::{parse_tree, Element};
use crate::i18n::gettext_f;

/// Where a pool's storage comes from, in a few words (see [`PoolInfo::source`]).
fn source_summary(kind: &PoolKind, root: &Element) -> String {
    let Some(src) = root.child("source") else {
        return String::new();
    };
    let host = src
        .child("host")
        .and_then(|h| h.attr("name"))
        .unwrap_or_default();
    let dir = src
        .child("dir")
        .and_then(|d| d.attr("path"))
        .unwrap_or_default();
    let devices: Vec<&str> = src
        .children_named("device")
        .filter_map(|d| d.attr("path"))
        .collect();
    let name = src.child_text("name");
    match kind {
        PoolKind::Dir => String::new(),
        PoolKind::Netfs => format!("{host}:{dir}"),
        PoolKind::Iscsi => format!("{host}: {}", devices.join(", ")),
        PoolKind::Logical if !name.is_empty() => name,
        _ if !host.is_empty() && !dir.is_empty() => format!("{host}:{dir}"),
        _ if !devices.is_empty() => devices.join(", "),
        _ if !name.is_empty() => name,
        _ => host.to_owned(),
    }
}

/// One pool's row.
pub fn pool_info(pool: &StoragePool) -> Result<PoolInfo, BackendError> {
    let root = parse_tree(&pool.xml_desc(0).map_err(err)?)?;
    let kind = PoolKind::from_xml_type(root.attr("type").unwrap_or_default());
    let active = pool.is_active().map_err(err)?;
    let info = pool.info().map_err(err)?;
    let target_path = root
        .child("target")
        .map(|t| t.child_text("path"))
        .filter(|p| !p.is_empty());
    Ok(PoolInfo {
        name: pool.name().map_err(err)?,
        uuid: pool.uuid_string().map_err(err)?,
        source: source_summary(&kind, &root),
        kind,
        active,
        autostart: pool.autostart().map_err(err)?,
        persistent: pool.is_persistent().map_err(err)?,
        capacity: info.capacity,
        allocation: info.allocation,
        available: info.available,
        target_path,
        volumes: if active {
            pool.num_of_volumes().map_err(err)? as usize
        } else {
            0
        },
    })
}

/// All pools, active or not, sorted by name.
pub fn list_pools(conn: &Connect) -> Result<Vec<PoolInfo>, BackendError> {
    let mut out = Vec::new();
    for p in conn.list_all_storage_pools(0).map_err(err)? {
        out.push(pool_info(&p)?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Define the pool of `spec`, then build, start and mark it autostart as asked. A failing
/// step after the define undoes the previous ones (and removes a directory the build
/// created), so nothing half-made stays. `Ok` is the sentence for the toast.
pub fn create_pool(
    conn: &Connect,
    spec: &PoolSpec,
    build: bool,
    start: bool,
    autostart: bool,
) -> Result<String, BackendError> {
    let local = is_local(conn);
    let spec = check_pool_spec(conn, spec, build, local)?;
    let name = spec.name().to_owned();
    // Only a directory that did not exist before may be removed on rollback.
    let new_dir = local && spec.target_dir().is_some_and(|d| !Path::new(d).exists());
    let pool = conn
        .define_storage_pool_xml(&spec.to_xml(), 0)
        .map_err(err)?;
    let mut built = false;
    let steps = (|| {
        if build {
            pool.build(0).map_err(err)?;
            built = true;
        }
        if start {
            pool.create(0).map_err(err)?;
        }
        if autostart {
            pool.set_autostart(true).map_err(err)?;
        }
        Ok::<(), BackendError>(())
    })();
    if let Err(mut e) = steps {
        let mut left = Vec::new();
        if pool.is_active().unwrap_or(false) {
            if let Err(x) = pool.destroy() {
                left.push(x.to_string());
            }
        }
        if built && new_dir {
            if let Err(x) = pool.delete(0) {
                left.push(x.to_string());
            }
        }
        if let Err(x) = pool.undefine() {
            left.push(x.to_string());
        }
        if !left.is_empty() {
            log::error!("rollback of pool {name} left: {left:?}");
            e.message = format!("{}; {}", e.message, left.join("; "));
        }
        return Err(e);
    }
    Ok(gettext_f("Pool “{name}” created.", &[("name", &name)]))
}

/// Run a pool action; `Ok` is the sentence for the toast.
pub fn pool_action(conn: &Connect, name: &str, action: PoolAction) -> Result<String, BackendError> {
    let pool = lookup_pool(conn, name)?;
    let n = [("name", name)];
    match action {
        PoolAction::Start => {
            pool.create(0).map_err(err)?;
            Ok(gettext_f("Pool “{name}” started.", &n))
        }
        PoolAction::Stop => {
            pool.destroy().map_err(err)?;
            Ok(gettext_f("Pool “{name}” stopped.", &n))
        }
        PoolAction::Refresh => {
            pool.refresh(0).map_err(err)?;
            Ok(gettext_f("Pool “{name}” refreshed.", &n))
        }
        PoolAction::Autostart(on) => {
            pool.set_autostart(on).map_err(err)?;
            Ok(if on {
                gettext_f("Pool “{name}” will start with the host.", &n)
            } else {
                gettext_f("Pool “{name}” will no longer start with the host.", &n)
            })
        }
    }
}

/// What deleting `name` involves.
pub fn delete_plan(conn: &Connect, name: &str) -> Result<PoolDeletePlan, BackendError> {
    let pool = lookup_pool(conn, name)?;
    let info = pool_info(&pool)?;
    let volumes = if info.active {
        volumes_with(&pool, name, &Usage::scan(conn)?)?
    } else {
        Vec::new()
    };
    Ok(PoolDeletePlan {
        pool: info.name,
        volumes,
        can_delete_storage: info.kind.storage_is_a_directory() && info.target_path.is_some(),
        storage_deletes_volumes: info.kind == PoolKind::Dir,
        active: info.active,
        target_path: info.target_path,
    })
}

/// Stop and undefine the pool. With `delete_storage` (directory, file system and NFS
/// pools) also remove its directory: a directory pool's volumes are deleted first, which
/// is refused while any machine uses one of them.
pub fn delete_pool(
    conn: &Connect,
    name: &str,
    delete_storage: bool,
) -> Result<String, BackendError> {
    let pool = lookup_pool(conn, name)?;
    let info = pool_info(&pool)?;
    if delete_storage && !(info.kind.storage_is_a_directory() && info.target_path.is_some()) {
        return Err(invalid(gettext_f(
            "The storage of pool “{name}” ({kind}) cannot be deleted with it.",
            &[("name", name), ("kind", &info.kind.label())],
        )));
    }
    if delete_storage && info.kind == PoolKind::Dir {
        delete_all_volumes(conn, &pool, name, info.active)?;
    }
    if pool.is_active().map_err(err)? {
        pool.destroy().map_err(err)?;
    }
    if delete_storage {
        pool.delete(0).map_err(|e| {
            let mut be = err(e);
            be.message = gettext_f(
                "The pool “{name}” is stopped but its directory could not be removed: {error}",
                &[("name", name), ("error", &be.message)],
            );
            be
        })?;
    }
    if info.persistent {
        pool.undefine().map_err(err)?;
    }
    Ok(if delete_storage {
        gettext_f(
            "Pool “{name}” and its directory deleted.",
            &[("name", name)],
        )
    } else {
        gettext_f("Pool “{name}” deleted.", &[("name", name)])
    })
}

/// Delete every volume of a directory pool, after checking none is in use. An inactive
/// pool is started to see its volumes (it is stopped again if something is refused).
fn delete_all_volumes(
    conn: &Connect,
    pool: &StoragePool,
    name: &str,
    was_active: bool,
) -> Result<(), BackendError> {
    if !was_active {
        pool.create(0).map_err(err)?;
    }
    let stop_again = |e: BackendError| {
        if !was_active {
            let _ = pool.destroy();
        }
        e
    };
    let volumes =
        volumes_with(pool, name, &Usage::scan(conn).map_err(stop_again)?).map_err(stop_again)?;
    let in_use: Vec<_> = volumes.iter().filter(|v| !v.used_by.is_empty()).collect();
    if let Some(first) = in_use.first() {
        let users: Vec<_> = in_use.iter().flat_map(|v| v.used_by.clone()).collect();
        return Err(stop_again(BackendError {
            kind: ErrorKind::InvalidInput,
            message: gettext_f(
                "The pool “{name}” cannot be deleted with its volumes: “{volume}” is used by {machines}.",
                &[
                    ("name", name),
                    ("volume", &first.name),
                    ("machines", &user_names(&users)),
                ],
            ),
            hint: gettext("Remove the disks from these machines first, or keep the directory."),
        }));
    }
    for v in &volumes {
        let vol = pool.lookup_storage_vol_by_name(&v.name).map_err(err)?;
        vol.delete(0).map_err(err)?;
    }
    Ok(())
}
