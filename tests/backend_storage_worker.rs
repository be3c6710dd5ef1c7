//! The worker's storage commands on the test driver (fixture tests/fixtures/states.xml):
//! answers, the refreshed lists after a change, refusals, and transfers, which run on
//! their own thread and connection (the test driver has no streams, so they end in a
//! clear error; the round trip itself is a live test).

mod common;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use common::*;
use kvm_manager::backend::storage::{
    PoolDeletePlan, PoolInfo, StorageCommand, StorageEvent, VolFormat, VolumeInfo, VolumeSpec,
};
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event};

fn storage(c: &Conn, cmd: StorageCommand) {
    c.handle.send(Command::Storage(cmd));
}

fn next(c: &Conn, what: &str, pred: impl Fn(&StorageEvent) -> bool) -> StorageEvent {
    match c.wait_for(what, |e| matches!(e, Event::Storage(s) if pred(s))) {
        Event::Storage(s) => s,
        _ => unreachable!(),
    }
}

fn pools(c: &Conn) -> Vec<PoolInfo> {
    match next(c, "Pools", |e| matches!(e, StorageEvent::Pools(_))) {
        StorageEvent::Pools(r) => r.expect("pools"),
        _ => unreachable!(),
    }
}

fn volumes(c: &Conn, pool: &str) -> Vec<VolumeInfo> {
    let p = pool.to_owned();
    match next(
        c,
        "Volumes",
        move |e| matches!(e, StorageEvent::Volumes { pool, .. } if *pool == p),
    ) {
        StorageEvent::Volumes { result, .. } => result.expect("volumes"),
        _ => unreachable!(),
    }
}

fn done(c: &Conn) -> (String, Result<(), BackendError>) {
    match next(c, "Done", |e| matches!(e, StorageEvent::Done { .. })) {
        StorageEvent::Done { message, result } => (message, result),
        _ => unreachable!(),
    }
}

fn transfer_done(c: &Conn, id: u64) -> (String, Result<(), BackendError>) {
    match next(
        c,
        "TransferDone",
        move |e| matches!(e, StorageEvent::TransferDone { id: i, .. } if *i == id),
    ) {
        StorageEvent::TransferDone {
            message, result, ..
        } => (message, result),
        _ => unreachable!(),
    }
}

fn ready() -> Conn {
    let c = spawn(&states_uri());
    c.list();
    c
}

#[test]
fn lists_and_plans() {
    let c = ready();
    storage(&c, StorageCommand::List);
    let p = pools(&c);
    assert_eq!(p.len(), 2);
    storage(
        &c,
        StorageCommand::Volumes {
            pool: "default".into(),
        },
    );
    assert_eq!(volumes(&c, "default").len(), 3);
    storage(
        &c,
        StorageCommand::DeletePlan {
            pool: "data".into(),
        },
    );
    match next(&c, "DeletePlan", |e| {
        matches!(e, StorageEvent::DeletePlan(_))
    }) {
        StorageEvent::DeletePlan(Ok(PoolDeletePlan { pool, volumes, .. })) => {
            assert_eq!((pool.as_str(), volumes.len()), ("data", 1));
        }
        other => panic!("{other:?}"),
    }
    storage(
        &c,
        StorageCommand::Volumes {
            pool: "gone".into(),
        },
    );
    match next(&c, "Volumes", |e| matches!(e, StorageEvent::Volumes { .. })) {
        StorageEvent::Volumes { result: Err(e), .. } => assert_eq!(e.kind, ErrorKind::NotFound),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_change_is_answered_then_lists_are_refreshed() {
    let c = ready();
    storage(
        &c,
        StorageCommand::CreateVolume(VolumeSpec {
            pool: "default".into(),
            name: "fresh.qcow2".into(),
            format: VolFormat::Qcow2,
            capacity: 1 << 30,
            backing: None,
        }),
    );
    let (msg, r) = done(&c);
    r.unwrap();
    assert!(msg.contains("“fresh.qcow2”"), "{msg}");
    assert_eq!(
        pools(&c)
            .iter()
            .find(|p| p.name == "default")
            .unwrap()
            .volumes,
        4
    );
    assert!(volumes(&c, "default")
        .iter()
        .any(|v| v.name == "fresh.qcow2"));

    // Refused: the message names the volume, the error the machines; lists still follow.
    storage(
        &c,
        StorageCommand::DeleteVolume {
            pool: "default".into(),
            name: "web-uefi.qcow2".into(),
        },
    );
    let (msg, r) = done(&c);
    assert!(msg.contains("“web-uefi.qcow2”"), "{msg}");
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("“web-uefi”"), "{e:?}");
    pools(&c);
    assert!(volumes(&c, "default")
        .iter()
        .any(|v| v.name == "web-uefi.qcow2"));

    // Deleting a pool: no Volumes afterwards for it.
    storage(
        &c,
        StorageCommand::DeletePool {
            pool: "data".into(),
            delete_storage: false,
        },
    );
    done(&c).1.unwrap();
    assert!(!pools(&c).iter().any(|p| p.name == "data"));
    let later = c.drain(std::time::Duration::from_millis(300));
    assert!(
        !later
            .iter()
            .any(|e| matches!(e, Event::Storage(StorageEvent::Volumes { .. }))),
        "{later:?}"
    );
}

fn upload(id: u64, name: &str, file: PathBuf) -> StorageCommand {
    StorageCommand::Upload {
        id,
        pool: "default".into(),
        name: name.into(),
        file,
        cancel: Arc::new(AtomicBool::new(false)),
    }
}

#[test]
fn transfers_are_checked_then_run_off_the_worker() {
    let c = ready();
    let dir = tempfile::tempdir().unwrap();
    // Larger than the 40 GiB volume (sparse: no disk used).
    let big = dir.path().join("big.img");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(41 << 30)
        .unwrap();
    storage(&c, upload(1, "build.qcow2", big));
    let (msg, r) = transfer_done(&c, 1);
    assert!(msg.contains("“build.qcow2”"), "{msg}");
    let e = r.unwrap_err();
    assert!(e.message.contains("larger than the volume"), "{e:?}");

    // Attached to a running machine: nothing may write into it.
    let small = dir.path().join("small.img");
    std::fs::write(&small, vec![7u8; 4096]).unwrap();
    storage(&c, upload(2, "web-uefi.qcow2", small.clone()));
    let e = transfer_done(&c, 2).1.unwrap_err();
    assert!(
        e.message.contains("“web-uefi”") && e.message.contains("running"),
        "{e:?}"
    );

    storage(&c, upload(3, "build.qcow2", dir.path().join("missing.img")));
    let e = transfer_done(&c, 3).1.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");

    // Accepted: runs on its own connection; the test driver has no streams.
    storage(&c, upload(4, "build.qcow2", small));
    let e = transfer_done(&c, 4).1.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e:?}");

    let target = dir.path().join("out.img");
    storage(
        &c,
        StorageCommand::Download {
            id: 5,
            pool: "data".into(),
            name: "web-data.raw".into(),
            file: target.clone(),
            cancel: Arc::new(AtomicBool::new(false)),
        },
    );
    let (msg, r) = transfer_done(&c, 5);
    assert!(msg.contains("Download of “web-data.raw” failed"), "{msg}");
    assert_eq!(r.unwrap_err().kind, ErrorKind::Unsupported);
    assert!(!target.exists());
    assert!(
        !dir.path().join("out.img.part").exists(),
        "the part file was left"
    );

    storage(
        &c,
        StorageCommand::Download {
            id: 6,
            pool: "data".into(),
            name: "web-data.raw".into(),
            file: dir.path().join("no/such/dir/out.img"),
            cancel: Arc::new(AtomicBool::new(false)),
        },
    );
    let e = transfer_done(&c, 6).1.unwrap_err();
    assert!(e.message.contains("does not exist"), "{e:?}");

    // The worker still answers.
    storage(&c, StorageCommand::List);
    pools(&c);
}

#[test]
fn commands_compare_by_value_and_cancel_flag() {
    let flag = Arc::new(AtomicBool::new(false));
    let a = StorageCommand::Download {
        id: 1,
        pool: "p".into(),
        name: "v".into(),
        file: "/tmp/x".into(),
        cancel: flag.clone(),
    };
    assert_eq!(a, a.clone());
    let other_flag = StorageCommand::Download {
        id: 1,
        pool: "p".into(),
        name: "v".into(),
        file: "/tmp/x".into(),
        cancel: Arc::new(AtomicBool::new(false)),
    };
    assert_ne!(a, other_flag);
    assert_ne!(
        StorageCommand::List,
        StorageCommand::Volumes { pool: "p".into() }
    );
}

#[test]
fn disconnected_requests_are_answered_at_once() {
    let c = ready();
    c.handle.simulate_connection_loss();
    c.wait_for("Disconnected", |e| {
        matches!(
            e,
            Event::Link(kvm_manager::backend::LinkState::Disconnected { .. })
        )
    });
    storage(&c, StorageCommand::List);
    match next(&c, "Pools", |e| matches!(e, StorageEvent::Pools(_))) {
        StorageEvent::Pools(Err(e)) => assert_eq!(e.kind, ErrorKind::Disconnected),
        other => panic!("{other:?}"),
    }
    storage(&c, upload(9, "build.qcow2", "/tmp/x".into()));
    assert_eq!(
        transfer_done(&c, 9).1.unwrap_err().kind,
        ErrorKind::Disconnected
    );
    storage(
        &c,
        StorageCommand::DeleteVolume {
            pool: "default".into(),
            name: "build.qcow2".into(),
        },
    );
    let (msg, r) = done(&c);
    assert!(msg.contains("“build.qcow2”"), "{msg}");
    assert_eq!(r.unwrap_err().kind, ErrorKind::Disconnected);
}
