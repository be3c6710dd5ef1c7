//! Domain list rows ([`VmSummary`]): building them for one domain or for the whole host.
//!
//! The full list must stay fast for thousands of domains, so autostart, persistence and
//! managed-save come from three filtered `virConnectListAllDomains` calls (sets of UUIDs)
//! instead of three calls per domain; each domain then costs one `virDomainGetInfo`
//! (state, vCPUs, memory in one call; its state is the same value `virDomainGetState`
//! returns). Tags cost one `virDomainGetMetadata` per domain (see [`row_tags`]).

use std::collections::HashSet;

use virt::connect::Connect;
use virt::domain::{Domain, DomainState};
use virt::sys;

use super::error::{BackendError, ErrorKind};
use super::tags;
use super::types::{VmState, VmSummary};

/// Fold libvirt's state and the managed-save flag into the UI's state.
pub fn vm_state(state: DomainState, has_managed_save: bool) -> VmState {
    match state {
        DomainState::Running => VmState::Running,
        DomainState::Blocked => VmState::Blocked,
        DomainState::Paused => VmState::Paused,
        DomainState::Shutdown => VmState::ShuttingDown,
        DomainState::Shutoff if has_managed_save => VmState::Saved,
        DomainState::Shutoff => VmState::ShutOff,
        DomainState::Crashed => VmState::Crashed,
        DomainState::PMSuspended => VmState::PmSuspended,
        DomainState::NoState => VmState::Unknown,
    }
}

fn err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

/// Look a domain up by UUID string; a missing domain is `NotFound`.
pub fn lookup(conn: &Connect, uuid: &str) -> Result<Domain, BackendError> {
    conn.lookup_domain_by_uuid_string(uuid).map_err(err)
}

fn row(
    dom: &Domain,
    managed_save: impl FnOnce(&Domain) -> Result<bool, BackendError>,
    autostart: bool,
    persistent: bool,
) -> Result<VmSummary, BackendError> {
    let info = dom.info().map_err(err)?;
    let raw = info.state.unwrap_or(DomainState::NoState);
    let saved = raw == DomainState::Shutoff && managed_save(dom)?;
    Ok(VmSummary {
        uuid: dom.uuid_string().map_err(err)?.to_ascii_lowercase(),
        name: dom.name().map_err(err)?,
        state: vm_state(raw, saved),
        vcpus: info.nr_virt_cpu,
        memory_kib: info.memory,
        autostart,
        persistent,
        tags: row_tags(dom)?,
    })
}

/// A row's tags. Only a vanished domain or a lost connection fail the row; anything else
/// (say, a driver without metadata support) is logged and shows no tags.
fn row_tags(dom: &Domain) -> Result<Vec<String>, BackendError> {
    match tags::read_tags(dom) {
        Ok(t) => Ok(t),
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Disconnected) => Err(e),
        Err(e) => {
            log::warn!("reading tags: {e}");
            Ok(Vec::new())
        }
    }
}

/// One domain's row (after an event or an action): up to four calls.
pub fn summary_of(dom: &Domain) -> Result<VmSummary, BackendError> {
    let persistent = dom.is_persistent().map_err(err)?;
    // Transient domains have no autostart flag; some drivers answer with an error.
    let autostart = persistent && dom.autostart().unwrap_or(false);
    row(
        dom,
        |d| d.has_managed_save(0).map_err(err),
        autostart,
        persistent,
    )
}

fn uuid_set(
    conn: &Connect,
    flags: sys::virConnectListAllDomainsFlags,
) -> Result<HashSet<String>, BackendError> {
    let doms = conn.list_all_domains(flags).map_err(err)?;
    doms.iter()
        .map(|d| d.uuid_string().map(|u| u.to_ascii_lowercase()).map_err(err))
        .collect()
}

/// Every domain on the host, sorted by name. Domains that vanish while the list is being
/// built are left out (their removal event follows).
pub fn list_summaries(conn: &Connect) -> Result<Vec<VmSummary>, BackendError> {
    let all = conn.list_all_domains(0).map_err(err)?;
    let autostart = uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART)?;
    let persistent = uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT)?;
    let saved = uuid_set(conn, sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)?;
    let mut rows = Vec::with_capacity(all.len());
    for dom in &all {
        let uuid = dom.uuid_string().map_err(err)?.to_ascii_lowercase();
        let r = row(
            dom,
            |_| Ok(saved.contains(&uuid)),
            autostart.contains(&uuid),
            persistent.contains(&uuid),
        );
        match r {
            Ok(s) => rows.push(s),
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_save_only_counts_when_shut_off() {
        assert_eq!(vm_state(DomainState::Shutoff, true), VmState::Saved);
        assert_eq!(vm_state(DomainState::Shutoff, false), VmState::ShutOff);
        assert_eq!(vm_state(DomainState::Running, true), VmState::Running);
        assert_eq!(
            vm_state(DomainState::Shutdown, false),
            VmState::ShuttingDown
        );
        assert_eq!(
            vm_state(DomainState::PMSuspended, false),
            VmState::PmSuspended
        );
        assert_eq!(vm_state(DomainState::NoState, false), VmState::Unknown);
    }
}
