//! Editing settings (`backend::edit`) on libvirt's test driver with tests/fixtures/states.xml:
//! each edit on a running and a shut-off machine, and every bad input refused with a clear
//! message and nothing changed. Tags are in backend_edit_tags.rs. One scenario = one
//! connection (the test driver keeps its state per connection).

mod common;

use common::*;
use kvm_manager::backend::edit::apply_edit;
use kvm_manager::backend::{
    summary, xml, Applied, BootDevice, Command, ErrorKind, Event, VmEdit, VmState,
};
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

const WEB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000001"; // running, 2 of 4 vCPUs, 2 of 4 GiB
const BUILD: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000003"; // shut off, 2 vCPUs, 2 GiB
const SAVED: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000006"; // shut off with managed save
const TRANSIENT: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000007"; // running, transient

const GIB: u64 = 1 << 20;
const LIVE: u32 = sys::VIR_DOMAIN_AFFECT_LIVE;
const CONFIG: u32 = sys::VIR_DOMAIN_AFFECT_CONFIG;

fn open() -> Connect {
    // Without the app's event loop, libvirt would print every expected error on stderr.
    virt::error::clear_error_callback();
    Connect::open(Some(&states_uri())).unwrap()
}

fn dom(c: &Connect, uuid: &str) -> Domain {
    summary::lookup(c, uuid).unwrap()
}

/// The edit must be refused with `kind` and a message containing `part`.
fn refused(c: &Connect, uuid: &str, edit: VmEdit, kind: ErrorKind, part: &str) {
    let e = apply_edit(c, uuid, &edit).unwrap_err();
    assert_eq!(e.kind, kind, "{edit:?}: {e:?}");
    assert!(e.message.contains(part), "{edit:?}: {}", e.message);
    assert!(!e.hint.is_empty(), "{edit:?}");
}

fn inactive(c: &Connect, uuid: &str) -> kvm_manager::backend::VmDetails {
    let x = dom(c, uuid).xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).unwrap();
    xml::parse_domain(&x).unwrap()
}

/// A shut-off machine without snapshots (the fixture's one has a snapshot), with tags.
fn define_fresh(c: &Connect) -> Domain {
    c.define_domain_xml(
        r#"<domain type="test"><name>fresh</name>
        <metadata><kvmm:vm xmlns:kvmm="https://github.com/kvmmanager/xmlns/vm/1.0">
          <kvmm:tags><kvmm:tag>keep</kvmm:tag></kvmm:tags></kvmm:vm></metadata>
        <memory unit="MiB">512</memory><os><type>hvm</type></os></domain>"#,
    )
    .unwrap()
}

#[test]
fn rename_a_shut_off_machine() {
    let c = open();
    let uuid = define_fresh(&c).uuid_string().unwrap();
    let got = apply_edit(&c, &uuid, &VmEdit::Rename("fresh-2.new".into())).unwrap();
    assert_eq!(got, Applied::Now);
    let d = dom(&c, &uuid);
    assert_eq!(d.name().unwrap(), "fresh-2.new");
    assert!(c.lookup_domain_by_name("fresh").is_err());
    assert_eq!(summary::summary_of(&d).unwrap().tags, ["keep"]);
    // Its own name again is no clash, and nothing to do.
    let same = VmEdit::Rename("fresh-2.new".into());
    assert_eq!(apply_edit(&c, &uuid, &same).unwrap(), Applied::Now);
}

#[test]
fn rename_refusals_change_nothing() {
    let c = open();
    refused(
        &c,
        WEB,
        VmEdit::Rename("web-2".into()),
        ErrorKind::InvalidState,
        "Shut down “web-uefi” to rename it.",
    );
    for bad in ["", ".x", "-x", "a b", "a/b", "tëst", &"n".repeat(65)] {
        refused(
            &c,
            BUILD,
            VmEdit::Rename(bad.into()),
            ErrorKind::InvalidInput,
            "",
        );
    }
    refused(
        &c,
        BUILD,
        VmEdit::Rename("web-uefi".into()),
        ErrorKind::InvalidInput,
        "A machine named “web-uefi” already exists",
    );
    refused(
        &c,
        SAVED,
        VmEdit::Rename("saved-2".into()),
        ErrorKind::InvalidState,
        "saved state",
    );
    // The test driver would rename it; QEMU refuses a machine with snapshots.
    refused(
        &c,
        BUILD,
        VmEdit::Rename("build-2".into()),
        ErrorKind::InvalidState,
        "has snapshots",
    );
    let names: Vec<_> = [WEB, BUILD, SAVED]
        .iter()
        .map(|u| dom(&c, u).name().unwrap())
        .collect();
    assert_eq!(names, ["web-uefi", "build-off", "saved-vm"]);
}

fn description(d: &Domain, flags: u32) -> Option<String> {
    d.metadata(sys::VIR_DOMAIN_METADATA_DESCRIPTION as i32, None, flags)
        .ok()
}

#[test]
fn description_goes_where_the_machine_keeps_it() {
    let c = open();
    let text = "Line one & <two>\n\tthree";
    let edit = VmEdit::Description(text.into());
    // Running and persistent: live and saved configuration.
    assert_eq!(apply_edit(&c, WEB, &edit).unwrap(), Applied::Now);
    let web = dom(&c, WEB);
    assert_eq!(description(&web, LIVE).as_deref(), Some(text));
    assert_eq!(description(&web, CONFIG).as_deref(), Some(text));
    // Shut off: its configuration. Transient: live only.
    assert_eq!(apply_edit(&c, BUILD, &edit).unwrap(), Applied::Now);
    assert_eq!(description(&dom(&c, BUILD), CONFIG).as_deref(), Some(text));
    assert_eq!(apply_edit(&c, TRANSIENT, &edit).unwrap(), Applied::Now);
    assert_eq!(
        description(&dom(&c, TRANSIENT), LIVE).as_deref(),
        Some(text)
    );
    // The details page reads it back.
    let details = xml::parse_domain(&web.xml_desc(0).unwrap()).unwrap();
    assert_eq!(details.description, text);
    // Empty removes it.
    let clear = VmEdit::Description(String::new());
    assert_eq!(apply_edit(&c, WEB, &clear).unwrap(), Applied::Now);
    assert_eq!(description(&web, LIVE), None);
    assert_eq!(description(&web, CONFIG), None);
    // Characters XML cannot hold are refused; the old text stays.
    refused(
        &c,
        BUILD,
        VmEdit::Description("bell\u{7}".into()),
        ErrorKind::InvalidInput,
        "control characters",
    );
    assert_eq!(description(&dom(&c, BUILD), CONFIG).as_deref(), Some(text));
}

#[test]
fn autostart_on_and_off_and_refused_for_a_transient_machine() {
    let c = open();
    for uuid in [BUILD, WEB] {
        assert_eq!(
            apply_edit(&c, uuid, &VmEdit::Autostart(true)).unwrap(),
            Applied::Now
        );
        assert!(dom(&c, uuid).autostart().unwrap());
        assert!(summary::summary_of(&dom(&c, uuid)).unwrap().autostart);
        apply_edit(&c, uuid, &VmEdit::Autostart(false)).unwrap();
        assert!(!dom(&c, uuid).autostart().unwrap());
    }
    refused(
        &c,
        TRANSIENT,
        VmEdit::Autostart(true),
        ErrorKind::InvalidState,
        "“transient-job” is transient",
    );
    // The test driver itself would have said yes: it was refused before libvirt.
    assert!(!dom(&c, TRANSIENT).autostart().unwrap_or(false));
}

#[test]
fn boot_order_now_when_off_next_boot_when_running() {
    let c = open();
    let nic = BootDevice::Network("52:54:00:10:00:03".into());
    let vdb = BootDevice::Disk("vdb".into());
    // build-off boots NIC then vda; make it vdb then the NIC (vda drops out).
    let order = VmEdit::BootOrder(vec![vdb.clone(), nic.clone()]);
    assert_eq!(apply_edit(&c, BUILD, &order).unwrap(), Applied::Now);
    let d = inactive(&c, BUILD);
    assert_eq!(d.boot_devices, [vdb.clone(), nic]);
    assert_eq!(d.boot_order, ["disk vdb", "network 52:54:00:10:00:03"]);
    // The rest of the XML survived the redefine: metadata, devices, the snapshot.
    assert_eq!(
        d.os_id.as_deref(),
        Some("http://fedoraproject.org/fedora/40")
    );
    assert_eq!((d.disks.len(), d.nics.len()), (2, 1));
    assert_eq!(dom(&c, BUILD).num_snapshots(0).unwrap(), 1);

    // Running: saved for the next start; the running definition keeps its order.
    let vda = BootDevice::Disk("vda".into());
    let got = apply_edit(&c, WEB, &VmEdit::BootOrder(vec![vda.clone()])).unwrap();
    assert!(matches!(got, Applied::NextBoot { ref reason } if !reason.is_empty()));
    assert_eq!(inactive(&c, WEB).boot_devices, [vda]);
    let live = xml::parse_domain(&dom(&c, WEB).xml_desc(0).unwrap()).unwrap();
    assert_eq!(live.boot_order, ["hd", "cdrom"]);
    assert_eq!(
        live.boot_devices,
        [
            BootDevice::Disk("vda".into()),
            BootDevice::Disk("sda".into())
        ]
    );
}

#[test]
fn bad_boot_orders_change_nothing() {
    let c = open();
    let before = dom(&c, BUILD)
        .xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
        .unwrap();
    for (order, part) in [
        (vec![], "at least one"),
        (vec![BootDevice::Disk("vdz".into())], "no device “vdz”"),
        (
            vec![
                BootDevice::Disk("vda".into()),
                BootDevice::Disk("vda".into()),
            ],
            "twice",
        ),
    ] {
        refused(
            &c,
            BUILD,
            VmEdit::BootOrder(order),
            ErrorKind::InvalidInput,
            part,
        );
    }
    let after = dom(&c, BUILD)
        .xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
        .unwrap();
    assert_eq!(before, after);
    refused(
        &c,
        TRANSIENT,
        VmEdit::BootOrder(vec![]),
        ErrorKind::InvalidState,
        "transient",
    );
    assert!(!dom(&c, TRANSIENT).is_persistent().unwrap());
}

fn vcpus(d: &Domain, flags: u32) -> u32 {
    d.vcpus_flags(flags).unwrap()
}

#[test]
fn vcpus_live_within_the_maximum_else_at_next_boot() {
    let c = open();
    let web = dom(&c, WEB);
    let max = sys::VIR_DOMAIN_VCPU_MAXIMUM;
    assert_eq!(
        apply_edit(&c, WEB, &VmEdit::Vcpus(3)).unwrap(),
        Applied::Now
    );
    assert_eq!((vcpus(&web, LIVE), vcpus(&web, CONFIG)), (3, 3));
    // Above the maximum it started with: saved (maximum raised), live unchanged.
    match apply_edit(&c, WEB, &VmEdit::Vcpus(6)).unwrap() {
        Applied::NextBoot { reason } => assert!(reason.contains("at most 4 vCPUs"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!((vcpus(&web, LIVE), vcpus(&web, LIVE | max)), (3, 4));
    assert_eq!((vcpus(&web, CONFIG), vcpus(&web, CONFIG | max)), (6, 6));
    assert_eq!(summary::summary_of(&web).unwrap().vcpus, 3);

    // Shut off: the maximum is raised as needed, lowering keeps it.
    let build = dom(&c, BUILD);
    assert_eq!(
        apply_edit(&c, BUILD, &VmEdit::Vcpus(4)).unwrap(),
        Applied::Now
    );
    assert_eq!((vcpus(&build, CONFIG), vcpus(&build, CONFIG | max)), (4, 4));
    apply_edit(&c, BUILD, &VmEdit::Vcpus(1)).unwrap();
    assert_eq!((vcpus(&build, CONFIG), vcpus(&build, CONFIG | max)), (1, 4));
    assert_eq!(inactive(&c, BUILD).vcpus, 1);
}

#[test]
fn bad_vcpu_counts_change_nothing() {
    let c = open();
    for n in [0, 4097, u32::MAX] {
        refused(
            &c,
            BUILD,
            VmEdit::Vcpus(n),
            ErrorKind::InvalidInput,
            "between 1 and 4096",
        );
    }
    assert_eq!(vcpus(&dom(&c, BUILD), CONFIG), 2);
    // A transient machine has no configuration to wait in.
    refused(
        &c,
        TRANSIENT,
        VmEdit::Vcpus(2),
        ErrorKind::InvalidInput,
        "at most 1 vCPU.",
    );
    assert_eq!(vcpus(&dom(&c, TRANSIENT), LIVE), 1);
}

fn memory(current: u64, max: Option<u64>) -> VmEdit {
    VmEdit::Memory {
        current_kib: current,
        max_kib: max,
    }
}

#[test]
fn memory_balloons_live_and_the_maximum_waits_for_next_boot() {
    let c = open();
    let web = dom(&c, WEB);
    assert_eq!(
        apply_edit(&c, WEB, &memory(3 * GIB, None)).unwrap(),
        Applied::Now
    );
    assert_eq!(web.info().unwrap().memory, 3 * GIB);
    assert_eq!(inactive(&c, WEB).memory_kib, 3 * GIB);
    // A new maximum: the amount now, the maximum at the next start.
    match apply_edit(&c, WEB, &memory(2 * GIB, Some(8 * GIB))).unwrap() {
        Applied::NowAndNextBoot { reason } => assert!(reason.contains("maximum"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let info = web.info().unwrap();
    assert_eq!((info.memory, info.max_mem), (2 * GIB, 4 * GIB));
    let saved = inactive(&c, WEB);
    assert_eq!((saved.memory_kib, saved.max_memory_kib), (2 * GIB, 8 * GIB));
    // More than it started with: only at the next start.
    match apply_edit(&c, WEB, &memory(6 * GIB, None)).unwrap() {
        Applied::NextBoot { reason } => assert!(reason.contains("at most 4 GiB"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(web.info().unwrap().memory, 2 * GIB);
    assert_eq!(inactive(&c, WEB).memory_kib, 6 * GIB);

    // Shut off: the maximum follows the amount up when needed.
    assert_eq!(
        apply_edit(&c, BUILD, &memory(3 * GIB, None)).unwrap(),
        Applied::Now
    );
    let d = inactive(&c, BUILD);
    assert_eq!((d.memory_kib, d.max_memory_kib), (3 * GIB, 3 * GIB));
    apply_edit(&c, BUILD, &memory(GIB, Some(4 * GIB))).unwrap();
    let d = inactive(&c, BUILD);
    assert_eq!((d.memory_kib, d.max_memory_kib), (GIB, 4 * GIB));
}

#[test]
fn bad_memory_changes_nothing() {
    let c = open();
    for (edit, part) in [
        (memory(0, None), "between"),
        (memory(512, None), "between"),
        (memory(u64::MAX, None), "between"),
        (memory(GIB, Some(0)), "between"),
        (memory(4 * GIB, Some(2 * GIB)), "more than the maximum"),
    ] {
        refused(&c, BUILD, edit, ErrorKind::InvalidInput, part);
    }
    let d = inactive(&c, BUILD);
    assert_eq!((d.memory_kib, d.max_memory_kib), (2 * GIB, 2 * GIB));
    // Transient: its maximum cannot wait for a next start.
    refused(
        &c,
        TRANSIENT,
        memory(512 * 1024, Some(GIB)),
        ErrorKind::InvalidState,
        "transient",
    );
    assert_eq!(
        apply_edit(&c, TRANSIENT, &memory(256 * 1024, None)).unwrap(),
        Applied::Now
    );
}

#[test]
fn unknown_machine_is_not_found() {
    let c = open();
    let e = apply_edit(
        &c,
        "5f0b2a7e-1c1d-4c59-9a3e-0000000000ff",
        &VmEdit::Vcpus(1),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

/// Through the worker: `Edited` with the old name and when it applies, then exactly one
/// fresh row (libvirt's own define events after a rename are not sent again).
#[test]
fn worker_answers_an_edit_then_sends_one_fresh_row() {
    let c = spawn(&states_uri());
    c.list();
    let (tx, rx) = std::sync::mpsc::channel();
    c.handle.run_on_connection(move |conn| {
        let _ = tx.send(define_fresh(conn).uuid_string().unwrap());
    });
    let fresh = rx.recv_timeout(TIMEOUT).unwrap();
    c.changed_to(&fresh, VmState::ShutOff);
    c.handle.send(Command::Edit {
        uuid: fresh.clone(),
        edit: VmEdit::Rename("fresh-renamed".into()),
    });
    match c.wait_for("Edited", |e| matches!(e, Event::Edited { .. })) {
        Event::Edited {
            uuid,
            name,
            edit,
            result,
        } => {
            assert_eq!((uuid.as_str(), name.as_str()), (fresh.as_str(), "fresh"));
            assert_eq!(edit, VmEdit::Rename("fresh-renamed".into()));
            assert_eq!(result, Ok(Applied::Now));
        }
        _ => unreachable!(),
    }
    let rows = |events: &[Event]| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::VmChanged(s) if s.uuid == fresh => Some(s.name.clone()),
                _ => None,
            })
            .collect()
    };
    let after = c.drain(std::time::Duration::from_millis(800));
    assert_eq!(rows(&after), ["fresh-renamed"], "{after:#?}");

    // A refused edit is answered too, and the row is sent as it is.
    c.handle.send(Command::Edit {
        uuid: WEB.into(),
        edit: VmEdit::Vcpus(0),
    });
    let e = c.wait_for("Edited", |e| matches!(e, Event::Edited { .. }));
    assert!(
        matches!(e, Event::Edited { result: Err(ref err), .. } if err.kind == ErrorKind::InvalidInput)
    );
    let s = c.changed_to(WEB, VmState::Running);
    assert_eq!(s.vcpus, 2);
    // Details are read again on request and show the new name.
    c.handle.send(Command::Details { uuid: fresh });
    match c.wait_for("Details", |e| matches!(e, Event::Details(_))) {
        Event::Details(Ok(d)) => assert_eq!(d.name, "fresh-renamed"),
        other => panic!("{other:?}"),
    }
}

/// While the connection is down an edit is answered at once, not lost.
#[test]
fn edit_while_disconnected_is_answered() {
    let c = spawn(&states_uri());
    c.list();
    c.handle.simulate_connection_loss();
    c.wait_for("Disconnected", |e| {
        matches!(
            e,
            Event::Link(kvm_manager::backend::LinkState::Disconnected { .. })
        )
    });
    c.handle.send(Command::Edit {
        uuid: WEB.into(),
        edit: VmEdit::Tags(vec!["x".into()]),
    });
    match c.wait_for("Edited", |e| matches!(e, Event::Edited { .. })) {
        Event::Edited { name, result, .. } => {
            assert_eq!(name, "web-uefi");
            let e = result.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Disconnected);
            assert!(e.message.starts_with("Changing the tags: "), "{e:?}");
        }
        _ => unreachable!(),
    }
}
