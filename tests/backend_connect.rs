//! Connection-level behaviour of the backend worker against libvirt's test driver:
//! connect + list, host facts, connect failures, scale, reconnect and shutdown.

mod common;

use std::collections::HashMap;
use std::process::Command as Process;
use std::time::{Duration, Instant};

use common::*;
use kvm_manager::backend::{summary, Command, ErrorKind, Event, LinkState, VmAction, VmState};

#[test]
fn connect_then_list_counts_every_state() {
    let c = spawn(&states_uri());
    assert!(matches!(
        c.rx.recv_timeout(TIMEOUT).unwrap(),
        Event::Link(LinkState::Connecting)
    ));
    assert!(matches!(
        c.rx.recv_timeout(TIMEOUT).unwrap(),
        Event::Link(LinkState::Connected)
    ));
    assert!(matches!(
        c.rx.recv_timeout(TIMEOUT).unwrap(),
        Event::Host(_)
    ));
    let list = c.list();
    let mut counts: HashMap<VmState, usize> = HashMap::new();
    for s in &list {
        *counts.entry(s.state).or_default() += 1;
    }
    let expect = [
        (VmState::Running, 2),
        (VmState::Paused, 1),
        (VmState::ShutOff, 1),
        (VmState::Saved, 1),
        (VmState::Crashed, 1),
        (VmState::PmSuspended, 1),
        (VmState::Blocked, 1),
        (VmState::ShuttingDown, 1),
    ];
    assert_eq!(counts, expect.into_iter().collect::<HashMap<_, _>>());
    let web = by_name(&list, "web-uefi");
    assert_eq!(web.uuid, "5f0b2a7e-1c1d-4c59-9a3e-000000000001");
    assert_eq!((web.vcpus, web.memory_kib), (2, 2 * 1024 * 1024));
    assert!(web.persistent && !web.autostart);
    assert!(!by_name(&list, "transient-job").persistent);
    // Sorted by name, as the UI shows it by default.
    assert!(list.windows(2).all(|w| w[0].name <= w[1].name));
}

#[test]
fn host_info_from_fixture() {
    let c = spawn(&states_uri());
    let h = match c.wait_for("Host", |e| matches!(e, Event::Host(_))) {
        Event::Host(h) => h,
        _ => unreachable!(),
    };
    assert_eq!(h.uri, states_uri());
    assert_eq!(h.hypervisor, "TEST");
    assert_eq!(h.hypervisor_version, "0.0.2");
    let parts: Vec<_> = h.libvirt_version.split('.').collect();
    assert!(
        parts.len() == 3 && parts[0].parse::<u32>().unwrap() >= 6,
        "{}",
        h.libvirt_version
    );
    assert_eq!(h.cpu_model, "x86_64");
    assert_eq!((h.cpus, h.cpu_mhz), (16, 2900));
    assert_eq!(
        (
            h.sockets,
            h.cores_per_socket,
            h.threads_per_core,
            h.numa_nodes
        ),
        (2, 4, 2, 1)
    );
    assert_eq!(h.memory_total_kib, 32 * 1024 * 1024);
    assert!(!h.hostname.is_empty());
}

fn connect_error(uri: &str) -> kvm_manager::backend::BackendError {
    let c = spawn(uri);
    match c.wait_for("ConnectFailed", |e| matches!(e, Event::ConnectFailed(_))) {
        Event::ConnectFailed(e) => {
            assert!(!e.message.is_empty() && !e.hint.is_empty());
            // The worker ends after a failed first connect: the sink is dropped.
            assert!(c.rx.recv_timeout(TIMEOUT).is_err());
            assert!(!c.handle.is_running());
            e
        }
        _ => unreachable!(),
    }
}

#[test]
fn invalid_uris_fail_as_invalid_uri() {
    for uri in ["bogus:///system", "test://", "test:///"] {
        let e = connect_error(uri);
        assert_eq!(e.kind, ErrorKind::InvalidUri, "{uri}: {e:?}");
    }
}

#[test]
fn missing_fixture_file_is_not_retried() {
    let e = connect_error("test:///nonexistent/dir/node.xml");
    assert_ne!(e.kind, ErrorKind::Disconnected, "{e:?}");
}

#[test]
fn no_daemon_socket_is_no_daemon() {
    // A socket path that cannot exist: deterministic whatever runs on this machine.
    let e = connect_error("qemu:///system?socket=/nonexistent/kvm-manager-test/libvirt-sock");
    assert_eq!(e.kind, ErrorKind::NoDaemon, "{e:?}");
}

#[test]
fn qemu_system_without_daemon() {
    // No libvirtd runs on the test machine; if one does (the live rig), there is nothing
    // to check here.
    let c = spawn("qemu:///system");
    match c.wait_for("connect outcome", |e| {
        matches!(
            e,
            Event::ConnectFailed(_) | Event::Link(LinkState::Connected)
        )
    }) {
        Event::ConnectFailed(e) => assert!(
            matches!(e.kind, ErrorKind::NoDaemon | ErrorKind::PermissionDenied),
            "{e:?}"
        ),
        _ => eprintln!("qemu:///system answered: a daemon runs here; skipping"),
    }
}

fn generated(n: usize) -> (tempfile::TempDir, String, HashMap<String, usize>) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("node-{n}.xml"));
    let res = Process::new(fixture("generate.py"))
        .arg(n.to_string())
        .arg(&out)
        .output()
        .expect("run generate.py");
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let counts = String::from_utf8(res.stdout)
        .unwrap()
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect();
    (dir, test_uri(&out), counts)
}

fn scale(n: usize) {
    let (_dir, uri, expect) = generated(n);
    let start = Instant::now();
    let c = spawn(&uri);
    let list = c.list();
    let through_worker = start.elapsed();
    assert_eq!(list.len(), n);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for s in &list {
        *counts.entry(s.state.id().to_owned()).or_default() += 1;
    }
    assert_eq!(counts, expect);
    assert_eq!(list[0].name, "vm-00001");

    // The listing alone, on an already open connection.
    let conn = virt::connect::Connect::open(Some(&uri)).unwrap();
    let t = Instant::now();
    let again = summary::list_summaries(&conn).unwrap();
    let listing = t.elapsed();
    assert_eq!(again, list);
    println!(
        "{n} domains: open+host+list through the worker {through_worker:?}, list_summaries {listing:?}"
    );
    assert!(
        listing < Duration::from_secs(5),
        "listing {n} domains took {listing:?}"
    );
}

#[test]
fn lists_500_domains() {
    scale(500);
}

#[test]
fn lists_5000_domains() {
    scale(5000);
}

#[test]
fn reconnects_after_connection_loss_and_answers_meanwhile() {
    let c = spawn(&states_uri());
    let list = c.list();
    let web = by_name(&list, "web-uefi").uuid.clone();
    c.handle.simulate_connection_loss();
    match c.wait_for("Disconnected", |e| {
        matches!(e, Event::Link(LinkState::Disconnected { .. }))
    }) {
        Event::Link(LinkState::Disconnected {
            reason,
            retry_in_secs,
        }) => {
            assert_eq!(retry_in_secs, 1);
            assert!(!reason.is_empty());
        }
        _ => unreachable!(),
    }
    // Requests while disconnected are answered at once, not lost.
    c.handle.send(Command::Action {
        uuid: web.clone(),
        action: VmAction::Pause,
    });
    c.handle.send(Command::Details { uuid: web.clone() });
    match c.wait_for("ActionDone", |e| matches!(e, Event::ActionDone { .. })) {
        Event::ActionDone {
            uuid, name, result, ..
        } => {
            assert_eq!((uuid.as_str(), name.as_str()), (web.as_str(), "web-uefi"));
            assert_eq!(result.unwrap_err().kind, ErrorKind::Disconnected);
        }
        _ => unreachable!(),
    }
    match c.wait_for("Details", |e| matches!(e, Event::Details(_))) {
        Event::Details(r) => assert_eq!(r.unwrap_err().kind, ErrorKind::Disconnected),
        _ => unreachable!(),
    }
    c.wait_for("Connecting", |e| {
        matches!(e, Event::Link(LinkState::Connecting))
    });
    c.wait_for("Connected", |e| {
        matches!(e, Event::Link(LinkState::Connected))
    });
    c.wait_for("Host", |e| matches!(e, Event::Host(_)));
    assert_eq!(c.list().len(), list.len());
    // Callbacks were registered again on the new connection.
    let before = c.handle.lifecycle_events_handled();
    c.handle.send(Command::Action {
        uuid: web.clone(),
        action: VmAction::Pause,
    });
    c.changed_to(&web, VmState::Paused);
    let deadline = Instant::now() + TIMEOUT;
    while c.handle.lifecycle_events_handled() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(c.handle.lifecycle_events_handled() > before);
}

#[test]
fn close_command_ends_the_worker() {
    let c = spawn(&states_uri());
    c.list();
    c.handle.send(Command::Close);
    // The worker drops the sink when it ends, which disconnects the channel.
    let rest = c.drain(TIMEOUT);
    assert!(rest.is_empty(), "{rest:?}");
    assert!(!c.handle.is_running());
    c.handle.send(Command::Refresh); // a no-op, no panic
}

#[test]
fn dropping_every_handle_ends_the_worker() {
    let c = spawn(&states_uri());
    c.list();
    let clone = c.handle.clone();
    let common::Conn { handle, rx } = c;
    drop(handle);
    std::thread::sleep(Duration::from_millis(200));
    assert!(clone.is_running(), "one handle is still alive");
    drop(clone);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(_) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(e) => panic!("worker still alive: {e:?}"),
        }
    }
}
