//! The worker's delete, clone and XML commands (test driver, fixture manage.xml): each
//! answers with its event, and the list changes follow as VmChanged / VmRemoved.

mod common;

use common::*;
use kvm_manager::backend::clone::{CloneRequest, CloneStep, DiskChoice, DiskMode, RunningPolicy};
use kvm_manager::backend::xml_define::XmlKind;
use kvm_manager::backend::xml_edit::{apply, Edit, Path};
use kvm_manager::backend::{Command, ErrorKind, Event, LinkState};

const ALPHA: &str = "6a0c1a2e-0000-4000-8000-000000000001";

fn conn() -> Conn {
    let c = spawn(&test_uri(&fixture("manage.xml")));
    c.list();
    c
}

#[test]
fn clone_then_delete_through_the_worker() {
    let c = conn();
    c.handle.send(Command::ClonePlan { uuid: ALPHA.into() });
    let plan = match c.wait_for("ClonePlan", |e| matches!(e, Event::ClonePlan(_))) {
        Event::ClonePlan(p) => p.unwrap(),
        _ => unreachable!(),
    };
    assert_eq!(plan.suggested_name, "alpha-clone");

    c.handle.send(Command::Clone(Box::new(CloneRequest {
        source_uuid: ALPHA.into(),
        new_name: plan.suggested_name.clone(),
        disks: vec![DiskChoice {
            target: "vdb".into(),
            mode: DiskMode::Share,
        }],
        running_policy: RunningPolicy::Refuse,
    })));
    let first = c.wait_for("CloneProgress", |e| matches!(e, Event::CloneProgress(_)));
    assert!(
        matches!(&first, Event::CloneProgress(CloneStep::Copying { volume, .. }) if volume == "alpha-clone.qcow2"),
        "{first:?}"
    );
    let clone = match c.wait_for("Cloned", |e| matches!(e, Event::Cloned(_))) {
        Event::Cloned(r) => r.unwrap(),
        _ => unreachable!(),
    };
    let u = clone.uuid.clone();
    c.wait_for(
        "VmChanged(clone)",
        |e| matches!(e, Event::VmChanged(s) if s.uuid == u),
    );

    c.handle.send(Command::DeletePlan {
        uuid: clone.uuid.clone(),
    });
    let plan = match c.wait_for("DeletePlan", |e| matches!(e, Event::DeletePlan(_))) {
        Event::DeletePlan(p) => p.unwrap(),
        _ => unreachable!(),
    };
    assert_eq!(plan.name, "alpha-clone");
    let vda = &plan.disks[0];
    assert!(vda.deletable && vda.checked_by_default, "{vda:?}");
    assert_eq!(plan.disks[1].shared_with, ["alpha", "beta"]);

    c.handle.send(Command::Delete {
        uuid: clone.uuid.clone(),
        volumes: vec![vda.source.clone()],
    });
    match c.wait_for("Deleted", |e| matches!(e, Event::Deleted { .. })) {
        Event::Deleted { uuid, name, result } => {
            assert_eq!((uuid.as_str(), name.as_str()), (u.as_str(), "alpha-clone"));
            assert_eq!(result.unwrap().deleted, std::slice::from_ref(&vda.source));
        }
        _ => unreachable!(),
    }
    c.wait_for(
        "VmRemoved",
        |e| matches!(e, Event::VmRemoved { uuid } if *uuid == u),
    );

    // Gone: a second delete says so.
    c.handle.send(Command::Delete {
        uuid: u.clone(),
        volumes: vec![],
    });
    match c.wait_for("Deleted", |e| matches!(e, Event::Deleted { .. })) {
        Event::Deleted { result, .. } => assert_eq!(result.unwrap_err().kind, ErrorKind::NotFound),
        _ => unreachable!(),
    }
    c.handle.send(Command::Clone(Box::new(CloneRequest {
        source_uuid: ALPHA.into(),
        new_name: "beta".into(),
        disks: vec![],
        running_policy: RunningPolicy::Refuse,
    })));
    match c.wait_for("Cloned", |e| matches!(e, Event::Cloned(_))) {
        Event::Cloned(r) => assert_eq!(r.unwrap_err().kind, ErrorKind::InvalidInput),
        _ => unreachable!(),
    }
}

#[test]
fn xml_read_save_and_import_through_the_worker() {
    let c = conn();
    let kind = XmlKind::Domain { uuid: ALPHA.into() };
    c.handle.send(Command::ReadXml { kind: kind.clone() });
    let xml = match c.wait_for("Xml", |e| matches!(e, Event::Xml { .. })) {
        Event::Xml { kind: k, result } => {
            assert_eq!(k, kind);
            result.unwrap()
        }
        _ => unreachable!(),
    };
    let mem = Path::parse("/domain/memory").unwrap();
    let edited = apply(
        &xml,
        &[
            Edit::set_text(mem.clone(), "2"),
            Edit::set_attr(mem, "unit", "GiB"),
            Edit::remove(Path::parse("/domain/currentMemory").unwrap()),
        ],
    )
    .unwrap()
    .xml;
    c.handle.send(Command::DefineXml {
        kind: kind.clone(),
        xml: edited,
    });
    match c.wait_for("XmlDefined", |e| matches!(e, Event::XmlDefined { .. })) {
        Event::XmlDefined { kind: k, result } => {
            assert_eq!(k, kind);
            result.unwrap();
        }
        _ => unreachable!(),
    }
    c.wait_for(
        "VmChanged(alpha, 2 GiB)",
        |e| matches!(e, Event::VmChanged(s) if s.uuid == ALPHA && s.memory_kib == 2 << 20),
    );

    c.handle.send(Command::ImportXml {
        xml: "<domain>\n<name>x</name>".into(),
    });
    match c.wait_for("Imported", |e| matches!(e, Event::Imported(_))) {
        Event::Imported(r) => {
            let e = r.unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput);
            assert!(e.message.starts_with("Line 1"), "{e:?}");
        }
        _ => unreachable!(),
    }
    let doc = "<domain type='test'><name>fresh</name><memory>1024</memory>\
               <os><type>hvm</type></os></domain>";
    c.handle.send(Command::ImportXml { xml: doc.into() });
    let s = match c.wait_for("Imported", |e| matches!(e, Event::Imported(_))) {
        Event::Imported(r) => r.unwrap(),
        _ => unreachable!(),
    };
    assert_eq!(s.name, "fresh");
    c.wait_for(
        "VmChanged(fresh)",
        |e| matches!(e, Event::VmChanged(v) if v.name == "fresh"),
    );

    let net = XmlKind::Network {
        name: "nope".into(),
    };
    c.handle.send(Command::ReadXml { kind: net.clone() });
    match c.wait_for("Xml", |e| matches!(e, Event::Xml { .. })) {
        Event::Xml { kind, result } => {
            assert_eq!(kind, net);
            assert!(result.is_err());
        }
        _ => unreachable!(),
    }
}

#[test]
fn commands_while_disconnected_are_answered_at_once() {
    let c = conn();
    c.handle.simulate_connection_loss();
    c.wait_for("Disconnected", |e| {
        matches!(e, Event::Link(LinkState::Disconnected { .. }))
    });
    c.handle.send(Command::DeletePlan { uuid: ALPHA.into() });
    c.handle.send(Command::Delete {
        uuid: ALPHA.into(),
        volumes: vec![],
    });
    c.handle.send(Command::ImportXml { xml: "<a/>".into() });
    let disconnected = |e: &Event| match e {
        Event::DeletePlan(Err(e)) | Event::Imported(Err(e)) => e.kind == ErrorKind::Disconnected,
        Event::Deleted {
            result: Err(e),
            name,
            ..
        } => e.kind == ErrorKind::Disconnected && name == "alpha",
        _ => false,
    };
    c.wait_for("DeletePlan(Disconnected)", |e| {
        matches!(e, Event::DeletePlan(_)) && disconnected(e)
    });
    c.wait_for("Deleted(Disconnected)", |e| {
        matches!(e, Event::Deleted { .. }) && disconnected(e)
    });
    c.wait_for("Imported(Disconnected)", |e| {
        matches!(e, Event::Imported(_)) && disconnected(e)
    });
}
