//! Live storage (tests/live.rs runs these after the others, in name order): volumes on
//! the rig's real dir pool grown offline (qemu-img sees the new size) and online through
//! the running guest (its kernel sees the new size of /dev/vda), an upload/download
//! round trip compared with sha256sum, a cancelled download, and pool creation with
//! rollback. Everything made here is named kvmm-test-*, so `rig.py down` removes what a
//! failed run leaves.

use std::path::Path;
use std::process::Command as Process;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kvm_manager::backend::storage::transfer::is_cancelled;
use kvm_manager::backend::storage::{
    PoolInfo, PoolSpec, StorageCommand, StorageEvent, VolFormat, VolumeInfo, VolumeSpec,
};
use kvm_manager::backend::{BackendError, Command, Event};

use crate::support::*;

const POOL: &str = "kvmm-test-pool";
const POOL_DIR: &str = "/var/lib/libvirt/kvmm-test/pool";
const MIB: u64 = 1 << 20;
const TRANSFER: Duration = Duration::from_secs(120);

fn send(live: &Live, cmd: StorageCommand) {
    live.handle.send(Command::Storage(cmd));
}

fn next(
    live: &Live,
    what: &str,
    limit: Duration,
    pred: impl Fn(&StorageEvent) -> bool,
) -> StorageEvent {
    match live.wait_for(what, limit, |e| matches!(e, Event::Storage(s) if pred(s))) {
        Event::Storage(s) => s,
        _ => unreachable!(),
    }
}

/// Send a change and return its `Done` (message, result).
fn change(live: &Live, cmd: StorageCommand) -> (String, Result<(), BackendError>) {
    change_within(live, cmd, EVENT)
}

fn change_within(
    live: &Live,
    cmd: StorageCommand,
    limit: Duration,
) -> (String, Result<(), BackendError>) {
    send(live, cmd);
    match next(live, "Done", limit, |e| {
        matches!(e, StorageEvent::Done { .. })
    }) {
        StorageEvent::Done { message, result } => (message, result),
        _ => unreachable!(),
    }
}

fn volumes(live: &Live) -> Vec<VolumeInfo> {
    send(live, StorageCommand::Volumes { pool: POOL.into() });
    match next(
        live,
        "Volumes",
        EVENT,
        |e| matches!(e, StorageEvent::Volumes { pool, .. } if pool == POOL),
    ) {
        StorageEvent::Volumes { result, .. } => result.expect("volumes of the rig pool"),
        _ => unreachable!(),
    }
}

fn pools(live: &Live) -> Vec<PoolInfo> {
    send(live, StorageCommand::List);
    match next(live, "Pools", EVENT, |e| {
        matches!(e, StorageEvent::Pools(_))
    }) {
        StorageEvent::Pools(r) => r.expect("pools"),
        _ => unreachable!(),
    }
}

fn volume(live: &Live, name: &str) -> VolumeInfo {
    volumes(live)
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("{name} not in {POOL}"))
}

fn new_volume(live: &Live, name: &str, format: VolFormat, capacity: u64) {
    virsh(&["vol-delete", name, "--pool", POOL]);
    let (msg, r) = change(
        live,
        StorageCommand::CreateVolume(VolumeSpec {
            pool: POOL.into(),
            name: name.into(),
            format,
            capacity,
            backing: None,
        }),
    );
    r.unwrap_or_else(|e| panic!("create {name}: {e}"));
    assert!(msg.contains(name), "{msg}");
}

fn delete_volume(live: &Live, name: &str) {
    let (_, r) = change(
        live,
        StorageCommand::DeleteVolume {
            pool: POOL.into(),
            name: name.into(),
        },
    );
    r.unwrap_or_else(|e| panic!("delete {name}: {e}"));
}

/// `qemu-img info` virtual size. `-U`: the guest may hold a lock.
fn virtual_size(path: &str) -> u64 {
    let out = Process::new("qemu-img")
        .args(["info", "-U", "--output=json", path])
        .output()
        .expect("run qemu-img");
    assert!(out.status.success(), "qemu-img info {path}: {out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["virtual-size"].as_u64().expect("virtual-size")
}

fn sha256(path: &Path) -> String {
    let out = Process::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Progress events until `TransferDone` of `id`: (progress seen, message, result).
fn transfer_end(
    live: &Live,
    id: u64,
    mut on_progress: impl FnMut(u64, u64),
) -> (Vec<(u64, u64)>, String, Result<(), BackendError>) {
    let mut seen = Vec::new();
    loop {
        match next(
            live,
            "Transfer or TransferDone",
            TRANSFER,
            |e| matches!(e, StorageEvent::Transfer { id: i, .. } | StorageEvent::TransferDone { id: i, .. } if *i == id),
        ) {
            StorageEvent::Transfer { done, total, .. } => {
                seen.push((done, total));
                on_progress(done, total);
            }
            StorageEvent::TransferDone {
                message, result, ..
            } => return (seen, message, result),
            _ => unreachable!(),
        }
    }
}

/// A volume no machine uses is grown with virStorageVolResize: qemu-img sees the size.
#[test]
fn a_offline_resize() {
    if !enabled("n_storage::a_offline_resize") {
        return;
    }
    let live = Live::connect();
    let name = "kvmm-test-grow.qcow2";
    new_volume(&live, name, VolFormat::Qcow2, 64 * MIB);
    let path = format!("{POOL_DIR}/{name}");
    assert_eq!(virtual_size(&path), 64 * MIB);
    let (msg, r) = change(
        &live,
        StorageCommand::ResizeVolume {
            pool: POOL.into(),
            name: name.into(),
            capacity: 128 * MIB,
        },
    );
    r.expect("offline resize");
    assert!(msg.contains("128 MiB") && !msg.contains("sees"), "{msg}");
    assert_eq!(virtual_size(&path), 128 * MIB);
    assert_eq!(volume(&live, name).capacity, 128 * MIB);
    let (_, r) = change(
        &live,
        StorageCommand::ResizeVolume {
            pool: POOL.into(),
            name: name.into(),
            capacity: 100 * MIB,
        },
    );
    assert!(r.unwrap_err().message.contains("only grow"));
    assert_eq!(virtual_size(&path), 128 * MIB);
    delete_volume(&live, name);
    assert!(!Path::new(&path).exists());
}

/// The running guest's own disk grows through the guest (virDomainBlockResize): its
/// kernel reports the new size of /dev/vda without a reboot.
#[test]
fn b_online_resize_seen_by_the_guest() {
    if !enabled("n_storage::b_online_resize_seen_by_the_guest") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let disk = VOLUME_PATH.rsplit('/').next().unwrap();
    let before = volume(&live, disk);
    assert!(
        before
            .used_by
            .iter()
            .any(|u| u.name == DOMAIN && u.running && u.target == "vda"),
        "{before:?}"
    );
    let mut sh = Shell::open(&live.details());
    let sectors =
        |sh: &mut Shell| -> u64 { sh.run("cat /sys/block/vda/size").trim().parse().unwrap() };
    assert_eq!(sectors(&mut sh) * 512, before.capacity);
    let grown = before.capacity + 32 * MIB;
    let (msg, r) = change(
        &live,
        StorageCommand::ResizeVolume {
            pool: POOL.into(),
            name: disk.into(),
            capacity: grown,
        },
    );
    r.expect("online resize");
    assert!(msg.contains(DOMAIN), "{msg}");
    wait_until("the guest to see the new size", EVENT, || {
        (sectors(&mut sh) * 512 == grown).then_some(())
    });
    assert_eq!(virtual_size(VOLUME_PATH), grown);
    assert_eq!(domstate(), "running");
    println!("vda grew to {grown} bytes under the running guest");
}

/// A file goes into a raw volume and comes back out byte for byte.
#[test]
fn c_upload_download_round_trip() {
    if !enabled("n_storage::c_upload_download_round_trip") {
        return;
    }
    let live = Live::connect();
    let name = "kvmm-test-xfer.raw";
    let size = 24 * MIB;
    new_volume(&live, name, VolFormat::Raw, size);
    let dir = tempfile::Builder::new()
        .prefix("kvmm-test-")
        .tempdir()
        .unwrap();
    let src = dir.path().join("src.img");
    let st = Process::new("dd")
        .args([
            "if=/dev/urandom",
            &format!("of={}", src.display()),
            "bs=1M",
            &format!("count={}", size / MIB),
            "status=none",
        ])
        .status()
        .unwrap();
    assert!(st.success());

    // Too large for the volume: refused before anything is written.
    let big = dir.path().join("big.img");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(size + 1)
        .unwrap();
    send(
        &live,
        StorageCommand::Upload {
            id: 70,
            pool: POOL.into(),
            name: name.into(),
            file: big,
            cancel: Arc::new(AtomicBool::new(false)),
        },
    );
    let (_, _, r) = transfer_end(&live, 70, |_, _| {});
    assert!(r.unwrap_err().message.contains("larger than the volume"));

    send(
        &live,
        StorageCommand::Upload {
            id: 71,
            pool: POOL.into(),
            name: name.into(),
            file: src.clone(),
            cancel: Arc::new(AtomicBool::new(false)),
        },
    );
    let (progress, msg, r) = transfer_end(&live, 71, |_, _| {});
    r.expect("upload");
    assert!(msg.contains(name), "{msg}");
    assert_eq!(progress.last(), Some(&(size, size)), "{progress:?}");
    // Fresh volumes of the pool follow a finished upload.
    next(
        &live,
        "Volumes after the upload",
        EVENT,
        |e| matches!(e, StorageEvent::Volumes { pool, .. } if pool == POOL),
    );

    let out = dir.path().join("back.img");
    send(
        &live,
        StorageCommand::Download {
            id: 72,
            pool: POOL.into(),
            name: name.into(),
            file: out.clone(),
            cancel: Arc::new(AtomicBool::new(false)),
        },
    );
    let (progress, msg, r) = transfer_end(&live, 72, |_, _| {});
    r.expect("download");
    assert!(msg.contains("downloaded"), "{msg}");
    assert_eq!(progress.last().map(|p| p.0), Some(size), "{progress:?}");
    assert!(!dir.path().join("back.img.part").exists());
    assert_eq!(
        sha256(&out),
        sha256(&src),
        "the round trip changed the bytes"
    );
    println!(
        "round trip of {size} bytes: {} progress events",
        progress.len()
    );
    delete_volume(&live, name);
}

/// A cancelled download ends with a "cancelled" error and leaves no file behind.
#[test]
fn d_cancelled_download_leaves_nothing() {
    if !enabled("n_storage::d_cancelled_download_leaves_nothing") {
        return;
    }
    let live = Live::connect();
    let name = "kvmm-test-big.raw";
    new_volume(&live, name, VolFormat::Raw, 1 << 30);
    let dir = tempfile::Builder::new()
        .prefix("kvmm-test-")
        .tempdir()
        .unwrap();
    let out = dir.path().join("big.img");
    let cancel = Arc::new(AtomicBool::new(false));
    send(
        &live,
        StorageCommand::Download {
            id: 80,
            pool: POOL.into(),
            name: name.into(),
            file: out.clone(),
            cancel: cancel.clone(),
        },
    );
    let flag = cancel.clone();
    let (progress, msg, r) = transfer_end(&live, 80, |done, _| {
        if done > 0 {
            flag.store(true, Ordering::SeqCst);
        }
    });
    let e = r.expect_err("cancelled");
    assert!(is_cancelled(&e), "{e:?}");
    assert!(msg.contains("cancelled"), "{msg}");
    assert!(progress.iter().all(|p| p.0 < 1 << 30), "{progress:?}");
    assert!(!out.exists() && !dir.path().join("big.img.part").exists());
    // The worker was free all along and still answers.
    pools(&live);
    delete_volume(&live, name);
}

/// A directory pool built in a new directory, started, then deleted with it; an NFS
/// pool whose mount fails is undone completely (no pool, no mount point).
#[test]
fn e_pool_create_and_rollback() {
    if !enabled("n_storage::e_pool_create_and_rollback") {
        return;
    }
    let live = Live::connect();
    let dir = "/var/lib/libvirt/kvmm-test/dirpool";
    let _ = std::fs::remove_dir(dir);
    let (msg, r) = change(
        &live,
        StorageCommand::CreatePool {
            spec: PoolSpec::Dir {
                name: "kvmm-test-dirpool".into(),
                path: dir.into(),
            },
            build: true,
            start: true,
            autostart: false,
        },
    );
    r.expect("dir pool");
    assert!(msg.contains("kvmm-test-dirpool"), "{msg}");
    assert!(Path::new(dir).is_dir());
    let p = pools(&live);
    let mine = p.iter().find(|p| p.name == "kvmm-test-dirpool").unwrap();
    assert!(mine.active && mine.capacity > 0, "{mine:?}");
    let (_, r) = change(
        &live,
        StorageCommand::DeletePool {
            pool: "kvmm-test-dirpool".into(),
            delete_storage: true,
        },
    );
    r.expect("delete with the directory");
    assert!(!Path::new(dir).exists());

    let mount = "/var/lib/libvirt/kvmm-test/nfs-mnt";
    let _ = std::fs::remove_dir(mount);
    // Where mount.nfs is installed it retries for up to two minutes.
    let (msg, r) = change_within(
        &live,
        StorageCommand::CreatePool {
            spec: PoolSpec::Netfs {
                name: "kvmm-test-nfs".into(),
                host: "localhost".into(),
                export: "/kvmm-test-no-such-export".into(),
                path: mount.into(),
            },
            build: true,
            start: true,
            autostart: true,
        },
        Duration::from_secs(180),
    );
    let e = r.expect_err("no NFS server here");
    println!("NFS pool refused: {e}");
    assert!(msg.contains("kvmm-test-nfs"), "{msg}");
    assert!(!pools(&live).iter().any(|p| p.name == "kvmm-test-nfs"));
    assert!(
        !Path::new(mount).exists(),
        "the rollback left the mount point"
    );
}
