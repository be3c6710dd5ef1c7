//! Domain-level behaviour of the backend worker against libvirt's test driver: details,
//! every lifecycle action with the event that follows, refusals, vanished domains, and
//! proof that changes arrive through libvirt's lifecycle callback.

mod common;

use std::time::{Duration, Instant};

use common::*;
use kvm_manager::backend::{Command, ErrorKind, Event, VmAction, VmDetails, VmState};

const GIB: u64 = 1 << 30;
const WEB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000001";
const DB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000002";
const BUILD: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000003";
const SAVED: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000006";
const TRANSIENT: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000007";

fn details(c: &Conn, uuid: &str) -> Result<VmDetails, kvm_manager::backend::BackendError> {
    c.handle.send(Command::Details { uuid: uuid.into() });
    match c.wait_for("Details", |e| matches!(e, Event::Details(_))) {
        Event::Details(r) => r,
        _ => unreachable!(),
    }
}

/// Send an action and wait for its answer.
fn act(c: &Conn, uuid: &str, action: VmAction) -> Result<(), kvm_manager::backend::BackendError> {
    c.handle.send(Command::Action {
        uuid: uuid.into(),
        action,
    });
    match c.wait_for("ActionDone", |e| matches!(e, Event::ActionDone { .. })) {
        Event::ActionDone {
            uuid: u,
            action: a,
            result,
            ..
        } => {
            assert_eq!((u.as_str(), a), (uuid, action));
            result
        }
        _ => unreachable!(),
    }
}

fn wait_counter_above(c: &Conn, n: u64) {
    let deadline = Instant::now() + TIMEOUT;
    while c.handle.lifecycle_events_handled() <= n {
        assert!(Instant::now() < deadline, "no lifecycle callback arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn details_of_a_rich_domain() {
    let c = spawn(&states_uri());
    c.list();
    let d = details(&c, WEB).unwrap();
    assert_eq!((d.uuid.as_str(), d.name.as_str()), (WEB, "web-uefi"));
    assert_eq!(d.title, "Web server");
    assert_eq!(d.description, "Debian 12 with nginx & certbot");
    assert_eq!(d.os_id.as_deref(), Some("http://debian.org/debian/12"));
    assert_eq!(d.state, Some(VmState::Running));
    assert!(d.persistent && !d.autostart && !d.has_managed_save);
    assert_eq!(
        (d.os_type.as_str(), d.arch.as_str(), d.machine.as_str()),
        ("hvm", "x86_64", "pc-q35-7.2")
    );
    assert_eq!((d.vcpus, d.max_vcpus), (2, 4));
    assert_eq!((d.memory_kib, d.max_memory_kib), (2 << 20, 4 << 20));
    assert_eq!(d.firmware, "UEFI");
    assert_eq!(d.boot_order, ["hd", "cdrom"]);
    let disks: Vec<_> = d
        .disks
        .iter()
        .map(|x| (x.target.as_str(), x.device.as_str()))
        .collect();
    assert_eq!(disks, [("vda", "disk"), ("vdb", "disk"), ("sda", "cdrom")]);
    assert_eq!(d.disks[0].format, "qcow2");
    assert!(d.disks[2].readonly && d.disks[2].source.is_empty());
    assert_eq!(d.disks[2].capacity_bytes, None);
    assert!(d.disks[0].capacity_bytes.is_some(), "{:?}", d.disks[0]);
    assert_eq!(d.nics.len(), 2);
    assert_eq!(
        (d.nics[1].source.as_str(), d.nics[1].model.as_str()),
        ("isolated", "e1000e")
    );
    let gfx: Vec<_> = d
        .graphics
        .iter()
        .map(|g| (g.kind.as_str(), g.port))
        .collect();
    assert_eq!(gfx[0], ("vnc", Some(5901)));
    assert_eq!(gfx[1].0, "spice");
    let cons: Vec<_> = d.consoles.iter().map(|x| x.device.as_str()).collect();
    assert_eq!(cons, ["serial", "console", "channel"]);
    assert!(d.xml.contains("<name>web-uefi</name>"));
}

#[test]
fn details_of_stopped_domains_use_volume_capacity() {
    let c = spawn(&states_uri());
    c.list();
    let b = details(&c, BUILD).unwrap();
    assert_eq!(b.state, Some(VmState::ShutOff));
    assert_eq!(
        b.os_id.as_deref(),
        Some("http://fedoraproject.org/fedora/40")
    );
    assert_eq!(b.firmware, "BIOS");
    assert_eq!(b.boot_order, ["network 52:54:00:10:00:03", "disk vda"]);
    assert_eq!(b.disks[0].capacity_bytes, Some(40 * GIB));
    // A <source pool volume> disk.
    assert_eq!(b.disks[1].source, "data/web-data.raw");
    assert_eq!(b.disks[1].capacity_bytes, Some(100 * GIB));
    // A running (here: paused) domain's capacity comes from virDomainGetBlockInfo, which
    // the test driver answers with made-up numbers: only check that it is known.
    let db = details(&c, DB).unwrap();
    assert_eq!(db.disks[0].source, "default/db.qcow2");
    assert!(db.disks[0].capacity_bytes.is_some());
    let s = details(&c, SAVED).unwrap();
    assert_eq!(s.state, Some(VmState::Saved));
    assert!(s.has_managed_save);
}

#[test]
fn every_action_changes_state_and_emits_vm_changed() {
    let c = spawn(&states_uri());
    c.list();
    let steps = [
        (VmAction::Start, VmState::Running),
        (VmAction::Pause, VmState::Paused),
        (VmAction::Resume, VmState::Running),
        (VmAction::Reboot, VmState::Running),
        (VmAction::Save, VmState::Saved),
        (VmAction::Start, VmState::Running), // restores the managed save
        (VmAction::Shutdown, VmState::ShutOff),
        (VmAction::Start, VmState::Running),
        (VmAction::ForceOff, VmState::ShutOff),
    ];
    for (action, state) in steps {
        let before = c.handle.lifecycle_events_handled();
        act(&c, BUILD, action).unwrap_or_else(|e| panic!("{action:?}: {e}"));
        let s = c.changed_to(BUILD, state);
        assert_eq!(s.name, "build-off");
        // The lifecycle callback reported it too (not only the post-action refresh).
        // A reboot keeps the domain running: libvirt reports it as a separate reboot
        // event, not a lifecycle one.
        if action != VmAction::Reboot {
            wait_counter_above(&c, before);
        }
    }
    // The saved domain from the fixture restores on Start.
    act(&c, SAVED, VmAction::Start).unwrap();
    c.changed_to(SAVED, VmState::Running);
}

#[test]
fn actions_the_state_does_not_allow_are_refused() {
    let c = spawn(&states_uri());
    c.list();
    let cases = [
        (BUILD, VmAction::Pause, "Shut Off"),
        (BUILD, VmAction::Shutdown, "Shut Off"),
        (WEB, VmAction::Start, "Running"),
        (WEB, VmAction::Resume, "Running"),
        (DB, VmAction::Reboot, "Paused"),
        (SAVED, VmAction::Save, "Saved"),
    ];
    for (uuid, action, state) in cases {
        let e = act(&c, uuid, action).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidState, "{action:?}: {e:?}");
        assert!(
            e.message.contains(&format!("(state: {state})")),
            "{action:?}: {}",
            e.message
        );
    }
    // Nothing changed.
    c.handle.send(Command::Refresh);
    let list = c.list();
    assert_eq!(by_name(&list, "build-off").state, VmState::ShutOff);
    assert_eq!(by_name(&list, "web-uefi").state, VmState::Running);
}

/// Changing a domain behind the worker's back (a raw call on its own connection, as another
/// program would) must reach the UI through libvirt's lifecycle callback alone.
#[test]
fn changes_made_outside_the_worker_arrive_through_the_callback() {
    let c = spawn(&states_uri());
    c.list();
    assert_eq!(c.handle.lifecycle_events_handled(), 0);
    c.handle.run_on_connection(|conn| {
        conn.lookup_domain_by_name("web-uefi")
            .unwrap()
            .suspend()
            .unwrap();
    });
    c.changed_to(WEB, VmState::Paused);
    c.handle.run_on_connection(|conn| {
        conn.lookup_domain_by_name("web-uefi")
            .unwrap()
            .destroy()
            .unwrap();
    });
    c.changed_to(WEB, VmState::ShutOff);
    c.handle.run_on_connection(|conn| {
        conn.lookup_domain_by_name("build-off")
            .unwrap()
            .create()
            .unwrap();
    });
    c.changed_to(BUILD, VmState::Running);
    assert!(c.handle.lifecycle_events_handled() >= 3);
}

/// "Vanished" is simulated on the worker's own connection (the test driver keeps state per
/// connection, so a second connection could not remove it): undefine through
/// `run_on_connection`, then act on the stale UUID as the UI would.
#[test]
fn domain_that_vanished() {
    let c = spawn(&states_uri());
    c.list();
    c.handle.run_on_connection(|conn| {
        let dom = conn.lookup_domain_by_name("build-off").unwrap();
        dom.undefine_flags(virt::sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
            .unwrap();
    });
    c.wait_for(
        "VmRemoved",
        |e| matches!(e, Event::VmRemoved { uuid } if uuid == BUILD),
    );
    c.handle.send(Command::Action {
        uuid: BUILD.into(),
        action: VmAction::Start,
    });
    match c.wait_for("ActionDone", |e| matches!(e, Event::ActionDone { .. })) {
        Event::ActionDone { name, result, .. } => {
            assert_eq!(result.unwrap_err().kind, ErrorKind::NotFound);
            assert_eq!(
                name, "",
                "the UI already dropped it; no stale name is invented"
            );
        }
        _ => unreachable!(),
    }
    assert_eq!(details(&c, BUILD).unwrap_err().kind, ErrorKind::NotFound);
}

#[test]
fn stopping_a_transient_domain_removes_it() {
    let c = spawn(&states_uri());
    c.list();
    act(&c, TRANSIENT, VmAction::ForceOff).unwrap();
    c.wait_for(
        "VmRemoved",
        |e| matches!(e, Event::VmRemoved { uuid } if uuid == TRANSIENT),
    );
    c.handle.send(Command::Refresh);
    assert!(c.list().iter().all(|s| s.uuid != TRANSIENT));
}
