//! `stats` and `snapshot` against libvirt's test driver. The test driver answers the bulk
//! stats call with the `state` group only (no CPU, balloon, block or interface counters),
//! so here only the call itself, the record list and the state are checked; the counters
//! are checked on the live rig (tests/live.rs).

mod common;

use common::*;
use kvm_manager::backend::{snapshot, stats, ErrorKind, VmState};
use virt::connect::Connect;

const WEB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000001";
const BUILD: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000003";

fn open() -> Connect {
    Connect::open(Some(&states_uri())).unwrap()
}

#[test]
fn bulk_stats_on_the_test_driver_carry_state_only() {
    let conn = open();
    let all = stats::all_domain_stats(&conn, false).unwrap();
    assert_eq!(all.domains.len(), 9, "{:#?}", all.domains);
    let web = all.domains.iter().find(|d| d.uuid == WEB).unwrap();
    assert_eq!(web.name, "web-uefi");
    assert_eq!(web.state, Some(VmState::Running));
    assert_eq!(web.cpu_time_ns, None);
    // No vcpu group on the test driver: the count comes from the domain's info, and a
    // running domain has an ID (a new one would mean new counters).
    assert_eq!(web.vcpus, Some(2));
    assert!(web.id.is_some());
    assert!(web.blocks.is_empty() && web.interfaces.is_empty());
    let off = all.domains.iter().find(|d| d.uuid == BUILD).unwrap();
    assert_eq!(off.state, Some(VmState::ShutOff));
    assert_eq!((off.id, off.vcpus), (None, None));

    let active = stats::all_domain_stats(&conn, true).unwrap();
    let states: Vec<_> = active.domains.iter().map(|d| d.state.unwrap()).collect();
    assert!(!states.contains(&VmState::ShutOff), "{states:?}");
    assert!(active.domains.len() < all.domains.len());
    assert!(active.taken_at >= all.taken_at);
}

#[test]
fn internal_snapshot_create_revert_delete() {
    let conn = open();
    snapshot::create_internal(&conn, WEB, "kvmm-1", "before <pause> & co").unwrap();
    assert_eq!(snapshot::list(&conn, WEB).unwrap(), ["kvmm-1"]);
    let dom = conn.lookup_domain_by_uuid_string(WEB).unwrap();
    dom.suspend().unwrap();
    snapshot::revert(&conn, WEB, "kvmm-1").unwrap();
    // Taken while running: the revert leaves it running again.
    assert_eq!(
        dom.info().unwrap().state,
        virt::enumutil::Enum::Known(virt::domain::DomainState::Running)
    );
    snapshot::delete(&conn, WEB, "kvmm-1").unwrap();
    assert!(snapshot::list(&conn, WEB).unwrap().is_empty());

    let e = snapshot::revert(&conn, WEB, "no-such").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    let e = snapshot::create_internal(&conn, "5f0b2a7e-0000-0000-0000-00000000dead", "x", "")
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert!(!e.message.is_empty() && !e.hint.is_empty());
}
