//! Text consoles against libvirt's test driver (tests/fixtures/consoles.xml): the consoles
//! listed from a domain's XML, and every refusal of `SerialCommand::Open` with a message a
//! person can act on. The test driver has no console streams (`virDomainOpenConsole` is
//! not implemented there), so opening a pty console on it is `Unsupported`; the stream
//! itself is tested live (tests/live/serial_console.rs).

mod common;

use common::*;
use kvm_manager::backend::serial::{
    text_consoles, SerialCommand, SerialEvent, SerialSession, TextConsoleKind,
};
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event, LinkState};

const RUNNING: &str = "7a1c0000-0000-4000-8000-000000000001";
const OFF: &str = "7a1c0000-0000-4000-8000-000000000002";
const FILE_ONLY: &str = "7a1c0000-0000-4000-8000-000000000003";
const NO_CONSOLE: &str = "7a1c0000-0000-4000-8000-000000000004";

fn consoles_conn() -> Conn {
    let c = spawn(&test_uri(&fixture("consoles.xml")));
    c.list();
    c
}

/// Send `Open` and wait for its answer (matched by request id).
fn open(
    c: &Conn,
    uuid: &str,
    device: Option<&str>,
    request: u64,
) -> Result<SerialSession, BackendError> {
    c.handle.send(Command::Serial(SerialCommand::Open {
        uuid: uuid.into(),
        device: device.map(str::to_owned),
        request,
        force: false,
    }));
    match c.wait_for(
        "Serial(Opened)",
        |e| matches!(e, Event::Serial(SerialEvent::Opened { request: r, .. }) if *r == request),
    ) {
        Event::Serial(SerialEvent::Opened {
            uuid: u, result, ..
        }) => {
            assert_eq!(u, uuid);
            result
        }
        _ => unreachable!(),
    }
}

fn refused(r: Result<SerialSession, BackendError>) -> BackendError {
    let e = r.expect_err("the open must be refused");
    assert!(!e.message.is_empty() && !e.hint.is_empty(), "{e:?}");
    e
}

#[test]
fn consoles_are_listed_from_the_domain_xml() {
    let c = consoles_conn();
    c.handle.send(Command::Details {
        uuid: RUNNING.into(),
    });
    let details = match c.wait_for("Details", |e| matches!(e, Event::Details(_))) {
        Event::Details(r) => r.expect("details"),
        _ => unreachable!(),
    };
    let list = text_consoles(&details.xml);
    let got: Vec<_> = list
        .iter()
        .map(|c| (c.device.as_str(), c.label.as_str(), c.kind, c.can_open()))
        .collect();
    assert_eq!(
        got,
        [
            ("serial0", "Serial port 1", TextConsoleKind::Serial, true),
            ("serial1", "Serial port 2", TextConsoleKind::Serial, false),
            (
                "console1",
                "Virtio console 1",
                TextConsoleKind::Virtio,
                true
            ),
        ]
    );
    let why = list[1].unavailable.as_deref().unwrap();
    assert!(why.contains("/var/log/tty-running-ttyS1.log"), "{why}");
}

#[test]
fn opening_a_pty_console_on_the_test_driver_is_unsupported() {
    let c = consoles_conn();
    for (i, device) in [None, Some("serial0"), Some("console1")]
        .into_iter()
        .enumerate()
    {
        let e = refused(open(&c, RUNNING, device, i as u64));
        assert_eq!(e.kind, ErrorKind::Unsupported, "{device:?}: {e:?}");
        assert!(
            e.message
                .starts_with("This connection cannot open text consoles"),
            "{e:?}"
        );
        assert!(e.message.contains("virDomainOpenConsole"), "{e:?}");
    }
}

#[test]
fn a_machine_that_is_off_says_start_it() {
    let c = consoles_conn();
    let e = refused(open(&c, OFF, None, 7));
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert_eq!(
        e.message,
        "“tty-off” is not running, so its console cannot be opened."
    );
    assert!(e.hint.contains("Start the machine"), "{e:?}");
}

#[test]
fn a_file_serial_port_cannot_be_opened_and_says_why() {
    let c = consoles_conn();
    let e = refused(open(&c, RUNNING, Some("serial1"), 1));
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(
        e.message
            .starts_with("Serial port 2: Cannot be opened here"),
        "{e:?}"
    );
    assert!(
        e.message.contains("/var/log/tty-running-ttyS1.log"),
        "{e:?}"
    );
    // The only console is a file: the default choice says the same.
    let e = refused(open(&c, FILE_ONLY, None, 2));
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("/var/log/file-only.log"), "{e:?}");
}

#[test]
fn missing_consoles_and_machines_are_not_found() {
    let c = consoles_conn();
    let e = refused(open(&c, RUNNING, Some("serial7"), 1));
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.message, "“tty-running” has no console “serial7”.");
    let e = refused(open(&c, NO_CONSOLE, None, 2));
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(
        e.message,
        "“no-console” has no serial port or text console."
    );
    assert!(e.hint.contains("serial port"), "{e:?}");
    let e = refused(open(&c, "7a1c0000-0000-4000-8000-0000000000ff", None, 3));
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[test]
fn opening_while_disconnected_is_answered_at_once() {
    let c = consoles_conn();
    c.handle.simulate_connection_loss();
    c.wait_for("Disconnected", |e| {
        matches!(e, Event::Link(LinkState::Disconnected { .. }))
    });
    let e = refused(open(&c, RUNNING, None, 9));
    assert_eq!(e.kind, ErrorKind::Disconnected);
    assert!(e.message.starts_with("Opening the console: "), "{e:?}");
}

/// Sessions travel from the worker's thread to the UI in events.
#[test]
fn sessions_and_events_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<SerialSession>();
    send_sync::<SerialEvent>();
    send_sync::<Event>();
}
