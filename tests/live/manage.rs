//! Live clone and delete (tests/live.rs runs these after its own, in name order): a
//! qcow2 volume copied on the rig's real dir pool, and a delete that removes one volume
//! and keeps another. Everything made here is named kvmm-test-*, so `rig.py down` removes
//! what a failed run leaves.

use std::path::Path as FsPath;
use std::process::Command as Process;

use kvm_manager::backend::clone::{CloneRequest, CloneStep, DiskChoice, DiskMode, RunningPolicy};
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event, VmSummary};

use crate::support::*;

const POOL: &str = "kvmm-test-pool";
const POOL_DIR: &str = "/var/lib/libvirt/kvmm-test/pool";

fn pool_file(name: &str) -> String {
    format!("{POOL_DIR}/{name}")
}

/// `qemu-img info` of a file: (format, virtual size). `-U`: the guest may hold a lock.
fn image_info(path: &str) -> (String, u64) {
    let out = Process::new("qemu-img")
        .args(["info", "-U", "--output=json", path])
        .output()
        .expect("run qemu-img");
    assert!(out.status.success(), "qemu-img info {path}: {out:?}");
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |key: &str| {
        let at = json
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} in {json}"));
        json[at + key.len() + 3..]
            .trim_start()
            .split([',', '\n', '}'])
            .next()
            .unwrap()
            .trim()
            .trim_matches('"')
            .to_owned()
    };
    (field("format"), field("virtual-size").parse().unwrap())
}

fn clone_request(name: &str, policy: RunningPolicy, uuid: &str) -> CloneRequest {
    CloneRequest {
        source_uuid: uuid.into(),
        new_name: name.into(),
        disks: vec![DiskChoice {
            target: "vda".into(),
            mode: DiskMode::Copy,
        }],
        running_policy: policy,
    }
}

/// Send a clone and collect its progress until `Cloned`.
fn clone(live: &Live, req: CloneRequest) -> (Vec<CloneStep>, Result<VmSummary, BackendError>) {
    live.handle.send(Command::Clone(Box::new(req)));
    let mut steps = Vec::new();
    loop {
        match live.wait_for("CloneProgress or Cloned", EVENT, |e| {
            matches!(e, Event::CloneProgress(_) | Event::Cloned(_))
        }) {
            Event::CloneProgress(s) => steps.push(s),
            Event::Cloned(r) => return (steps, r),
            _ => unreachable!(),
        }
    }
}

fn undefine_if_there(name: &str) {
    virsh(&["destroy", name]);
    virsh(&["undefine", name]);
    virsh(&["vol-delete", &format!("{name}.qcow2"), "--pool", POOL]);
}

/// A stopped guest's qcow2 volume cloned on the real pool: a new file with the same
/// content and format, a domain with a new UUID and MAC; a running guest is refused, or
/// paused while QEMU copies the disk, and resumed.
#[test]
fn m_clone_copies_a_qcow2_volume_on_a_real_pool() {
    if !enabled("m_clone_copies_a_qcow2_volume_on_a_real_pool") {
        return;
    }
    for n in ["kvmm-test-clone", "kvmm-test-clone2", "kvmm-test-clone3"] {
        undefine_if_there(n);
    }
    ensure_off();
    let live = Live::connect();
    let uuid = live.uuid.clone();

    live.handle.send(Command::ClonePlan { uuid: uuid.clone() });
    let plan = match live.wait_for("ClonePlan", EVENT, |e| matches!(e, Event::ClonePlan(_))) {
        Event::ClonePlan(p) => p.expect("clone plan"),
        _ => unreachable!(),
    };
    assert_eq!(plan.suggested_name, "kvmm-test-guest-clone");
    let vda = &plan.disks[0];
    assert_eq!((vda.target.as_str(), vda.format.as_str()), ("vda", "qcow2"));
    assert_eq!(vda.source, VOLUME_PATH);
    assert!(
        vda.can_copy && vda.default_mode == DiskMode::Copy,
        "{vda:?}"
    );

    let (steps, r) = clone(
        &live,
        clone_request("kvmm-test-clone", RunningPolicy::Refuse, &uuid),
    );
    let s = r.expect("clone of the stopped guest");
    assert!(
        matches!(&steps[..], [CloneStep::Copying { .. }, CloneStep::Defining]),
        "{steps:?}"
    );
    let copy = pool_file("kvmm-test-clone.qcow2");
    assert_eq!(image_info(&copy), ("qcow2".to_owned(), 64 << 20));
    let cmp = Process::new("qemu-img")
        .args(["compare", "-U", VOLUME_PATH, &copy])
        .output()
        .unwrap();
    assert!(cmp.status.success(), "content differs: {cmp:?}");
    let xml = virsh_ok(&["dumpxml", "--inactive", "kvmm-test-clone"]);
    let d = kvm_manager::backend::xml::parse_domain(&xml).unwrap();
    assert_eq!(d.uuid, s.uuid);
    assert_ne!(d.uuid, uuid);
    assert_eq!(d.disks[0].source, "kvmm-test-pool/kvmm-test-clone.qcow2");
    assert_eq!(d.nics.len(), 1);
    assert_ne!(d.nics[0].mac, "52:54:00:6b:76:6d");

    // Running: refused, nothing copied; then paused for the copy and resumed.
    ensure_running();
    let (steps, r) = clone(
        &live,
        clone_request("kvmm-test-clone3", RunningPolicy::Refuse, &uuid),
    );
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidState, "{e:?}");
    assert!(steps.is_empty());
    assert!(!FsPath::new(&pool_file("kvmm-test-clone3.qcow2")).exists());

    let (steps, r) = clone(
        &live,
        clone_request("kvmm-test-clone2", RunningPolicy::Pause, &uuid),
    );
    r.expect("clone of the running guest, paused");
    assert!(
        matches!(
            &steps[..],
            [
                CloneStep::Pausing,
                CloneStep::Copying { .. },
                CloneStep::Defining,
                CloneStep::Resuming
            ]
        ),
        "{steps:?}"
    );
    // (The worker's VmChanged events read the state when it handles them, after the
    // clone: by then the guest runs again, so the steps are what shows the pause.)
    assert_eq!(domstate(), "running");
    // QEMU copied it (its image lock keeps qemu-img out while it runs): same content.
    let copy2 = pool_file("kvmm-test-clone2.qcow2");
    assert_eq!(image_info(&copy2), ("qcow2".to_owned(), 64 << 20));
    let cmp = Process::new("qemu-img")
        .args(["compare", "-U", VOLUME_PATH, &copy2])
        .output()
        .unwrap();
    assert!(cmp.status.success(), "content differs: {cmp:?}");
    let mut sh = Shell::open(&live.details());
    assert_eq!(
        sh.run("echo alive"),
        "alive",
        "the guest runs on after the clone"
    );
}

/// Delete a running machine with one of its two volumes: forced off, undefined, the
/// checked volume's file is gone and the unchecked one is still there.
#[test]
fn n_delete_removes_the_chosen_volume_only() {
    if !enabled("n_delete_removes_the_chosen_volume_only") {
        return;
    }
    let name = "kvmm-test-del";
    virsh(&["destroy", name]);
    virsh(&["undefine", name]);
    for v in ["kvmm-test-del-a.qcow2", "kvmm-test-del-b.qcow2"] {
        virsh(&["vol-delete", v, "--pool", POOL]);
        virsh_ok(&["vol-create-as", POOL, v, "8M", "--format", "qcow2"]);
    }
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("del.xml");
    std::fs::write(
        &xml,
        "<domain type='qemu'><name>kvmm-test-del</name><memory unit='MiB'>32</memory>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
         <controller type='usb' model='none'/>\
         <disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>\
         <source pool='kvmm-test-pool' volume='kvmm-test-del-a.qcow2'/>\
         <target dev='vda' bus='virtio'/></disk>\
         <disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>\
         <source pool='kvmm-test-pool' volume='kvmm-test-del-b.qcow2'/>\
         <target dev='vdb' bus='virtio'/></disk>\
         <memballoon model='none'/></devices></domain>",
    )
    .unwrap();
    virsh_ok(&["define", xml.to_str().unwrap()]);
    virsh_ok(&["start", name]);
    let uuid = virsh_ok(&["domuuid", name]);
    let live = Live::connect();

    live.handle.send(Command::DeletePlan { uuid: uuid.clone() });
    let plan = match live.wait_for("DeletePlan", EVENT, |e| matches!(e, Event::DeletePlan(_))) {
        Event::DeletePlan(p) => p.expect("delete plan"),
        _ => unreachable!(),
    };
    assert!(plan.running && plan.persistent, "{plan:?}");
    let (a, b) = (
        pool_file("kvmm-test-del-a.qcow2"),
        pool_file("kvmm-test-del-b.qcow2"),
    );
    let sources: Vec<_> = plan.disks.iter().map(|d| d.source.as_str()).collect();
    assert_eq!(sources, [a.as_str(), b.as_str()]);
    assert!(plan
        .disks
        .iter()
        .all(|d| d.deletable && d.checked_by_default));

    live.handle.send(Command::Delete {
        uuid: uuid.clone(),
        volumes: vec![a.clone()],
    });
    match live.wait_for("Deleted", EVENT, |e| matches!(e, Event::Deleted { .. })) {
        Event::Deleted {
            name: n, result, ..
        } => {
            let out = result.expect("delete");
            assert_eq!(n, name);
            assert!(out.forced_off);
            assert_eq!(out.deleted, std::slice::from_ref(&a));
            assert!(out.failed.is_empty(), "{out:?}");
        }
        _ => unreachable!(),
    }
    let u = uuid.clone();
    live.wait_for(
        "VmRemoved",
        EVENT,
        move |e| matches!(e, Event::VmRemoved { uuid } if *uuid == u),
    );
    assert!(!virsh(&["dominfo", name]).status.success(), "still defined");
    assert!(
        !FsPath::new(&a).exists(),
        "the checked volume's file is gone"
    );
    assert!(
        FsPath::new(&b).exists(),
        "the unchecked volume's file is kept"
    );
    assert_eq!(image_info(&b).0, "qcow2");
    virsh_ok(&["vol-delete", "kvmm-test-del-b.qcow2", "--pool", POOL]);
}
