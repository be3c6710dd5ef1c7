//! One domain's details: its XML parsed by [`xml`](super::xml), plus the live facts the XML
//! does not hold (state, autostart, persistence, managed save, disk capacities).

use virt::connect::Connect;
use virt::domain::Domain;

use super::error::BackendError;
use super::summary::{lookup, summary_of};
use super::types::{DiskInfo, VmDetails};
use super::xml::parse_domain;

/// Read the details of the domain with `uuid`.
pub fn read_details(conn: &Connect, uuid: &str) -> Result<VmDetails, BackendError> {
    let dom = lookup(conn, uuid)?;
    let xml = dom.xml_desc(0).map_err(|e| BackendError::from_virt(&e))?;
    let mut details = parse_domain(&xml)?;
    let summary = summary_of(&dom)?;
    details.state = Some(summary.state);
    details.autostart = summary.autostart;
    details.persistent = summary.persistent;
    details.has_managed_save = summary.state == super::types::VmState::Saved;
    let active = summary.state.is_active();
    for disk in &mut details.disks {
        disk.capacity_bytes = capacity(conn, &dom, active, disk);
    }
    Ok(details)
}

/// A disk's capacity: from the running domain's block info, else from the storage volume
/// the source names (a path known to a pool, or "pool/volume"). `None` when neither knows.
fn capacity(conn: &Connect, dom: &Domain, active: bool, disk: &DiskInfo) -> Option<u64> {
    if disk.source.is_empty() {
        return None;
    }
    if active && !disk.target.is_empty() {
        if let Ok(info) = dom.block_info(&disk.target, 0) {
            return Some(info.capacity);
        }
    }
    let vol = conn.lookup_storage_vol_by_path(&disk.source).or_else(|e| {
        let (pool, vol) = disk.source.split_once('/').ok_or(e.clone())?;
        if pool.is_empty() {
            return Err(e);
        }
        conn.lookup_storage_pool_by_name(pool)?
            .lookup_storage_vol_by_name(vol)
    });
    vol.ok()?.info().ok().map(|i| i.capacity)
}
