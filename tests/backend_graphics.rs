//! Finding a machine's screen (src/backend/graphics) on libvirt's test driver: the live
//! XML's VNC device with its password, the not-running and no-graphics answers, and the
//! test driver's refusal of `virDomainOpenGraphicsFD` reported as `fd_error`.

mod common;

use common::*;
use kvm_manager::backend::graphics::{self, GraphicsCommand, GraphicsEvent, Protocol};
use kvm_manager::backend::{Command, ErrorKind, Event};
use virt::connect::Connect;
use virt::domain::Domain;

const URI: &str = "test:///default";
// test:///default is one state for the whole process and the tests run in parallel: each
// test gets a machine of its own.
const UUID: &str = "7e57c0de-0000-4000-8000-00000000000a";
const STOPPED_UUID: &str = "7e57c0de-0000-4000-8000-00000000000b";

/// A stopped domain `name` with a password-protected VNC display, on a fresh connection.
fn with_vnc_domain(name: &str, uuid: &str) -> (Connect, Domain) {
    let conn = Connect::open(Some(URI)).unwrap();
    let xml = format!(
        "<domain type='test'><name>{name}</name><uuid>{uuid}</uuid>\
         <memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os>\
         <devices><graphics type='vnc' port='5907' autoport='no' passwd='s3cret' \
         listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>\
         </devices></domain>"
    );
    let dom = conn.define_domain_xml(&xml).unwrap();
    (conn, dom)
}

#[test]
fn a_running_vnc_machine_gives_its_endpoint_and_password() {
    let (conn, dom) = with_vnc_domain("screen", UUID);
    dom.create().unwrap();
    let e = graphics::open(&conn, URI, UUID, 1)
        .unwrap()
        .expect("a VNC endpoint");
    assert_eq!(e.protocol, Protocol::Vnc);
    assert_eq!(e.index, 0);
    assert_eq!(e.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(e.port, Some(5907));
    assert_eq!(e.password.as_deref(), Some("s3cret"));
    // The test driver cannot hand out sockets: the reason is kept for the UI's fallback.
    assert!(e.fds.is_empty());
    let why = e.fd_error.expect("fd_error on the test driver");
    assert!(!why.is_empty());
    // Without sockets asked for, nothing is tried.
    let e = graphics::open(&conn, URI, UUID, 0).unwrap().unwrap();
    assert_eq!(e.fd_error, None);
}

#[test]
fn a_stopped_machine_is_an_invalid_state_with_its_name() {
    let (conn, _dom) = with_vnc_domain("screen-off", STOPPED_UUID);
    let err = graphics::open(&conn, URI, STOPPED_UUID, 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidState);
    assert!(err.message.contains("“screen-off”"), "{}", err.message);
    assert!(err.message.contains("not running"), "{}", err.message);
}

#[test]
fn no_graphics_device_is_none_and_unknown_machines_not_found() {
    let conn = Connect::open(Some(URI)).unwrap();
    let test = conn.lookup_domain_by_name("test").unwrap();
    let uuid = test.uuid_string().unwrap();
    assert!(test.is_active().unwrap());
    assert_eq!(graphics::open(&conn, URI, &uuid, 1).unwrap(), None);
    let err = graphics::open(&conn, URI, "00000000-0000-4000-8000-00000000ffff", 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[test]
fn the_worker_answers_with_the_request_number() {
    let c = spawn(URI);
    let list = c.list();
    let test = by_name(&list, "test").uuid.clone();
    c.handle.send(Command::Graphics(GraphicsCommand::Open {
        uuid: test.clone(),
        request: 42,
        fds: 1,
    }));
    let event = c.wait_for("Graphics", |e| matches!(e, Event::Graphics(_)));
    assert_eq!(
        event,
        Event::Graphics(GraphicsEvent::Opened {
            uuid: test,
            request: 42,
            result: Ok(None),
        })
    );
}
