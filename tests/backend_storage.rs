//! Storage pools and volumes against libvirt's test driver (fixture
//! tests/fixtures/states.xml: pools `default` (3 qcow2 volumes, 77 GiB free) and `data`
//! (one raw volume, nothing free), used by the fixture's machines). Each test opens its
//! own connection, so each starts from the fixture. The test driver cannot resize volumes
//! or stream them; those run on the live rig (tests/live/storage.rs).
//! Pool XML goldens: tests/fixtures/golden/pool-*.xml (`UPDATE_GOLDEN=1` rewrites them).

mod common;

use common::*;
use kvm_manager::backend::storage::checks::check_pool_spec;
use kvm_manager::backend::storage::pools::{
    create_pool, delete_plan, delete_pool, list_pools, pool_action,
};
use kvm_manager::backend::storage::volume_ops::{
    clone_volume, create_volume, delete_volume, resize_volume,
};
use kvm_manager::backend::storage::volumes::list_volumes;
use kvm_manager::backend::storage::{
    PoolAction, PoolInfo, PoolKind, PoolSpec, VolFormat, VolumeInfo, VolumeSpec,
};
use kvm_manager::backend::{BackendError, ErrorKind};
use virt::connect::Connect;

const GIB: u64 = 1 << 30;
const WEB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000001";
const DB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000002";
const BUILD: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000003";

fn open() -> Connect {
    kvm_manager::backend::event_loop::ensure_started();
    Connect::open(Some(&states_uri())).unwrap()
}

fn pool<'a>(list: &'a [PoolInfo], name: &str) -> &'a PoolInfo {
    list.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not in {list:#?}"))
}

fn vol<'a>(list: &'a [VolumeInfo], name: &str) -> &'a VolumeInfo {
    list.iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("{name} not in {list:#?}"))
}

fn names(list: &[VolumeInfo]) -> Vec<&str> {
    list.iter().map(|v| v.name.as_str()).collect()
}

fn refused(r: Result<String, BackendError>, needle: &str) -> BackendError {
    let e = r.expect_err("should be refused");
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
    assert!(e.message.contains(needle), "{needle:?} not in {e:?}");
    assert!(!e.hint.is_empty(), "{e:?}");
    e
}

/// Some block device of this machine (the test driver never touches it).
fn a_block_device() -> String {
    use std::os::unix::fs::FileTypeExt;
    std::fs::read_dir("/dev")
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_type().is_ok_and(|t| t.is_block_device()))
        .map(|e| e.path().display().to_string())
        .expect("a block device in /dev")
}

#[test]
fn lists_pools_with_their_facts() {
    let conn = open();
    let list = list_pools(&conn).unwrap();
    assert_eq!(
        list.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["data", "default"]
    );
    let d = pool(&list, "default");
    assert_eq!(d.kind, PoolKind::Dir);
    assert_eq!(d.kind.label(), "Directory");
    assert_eq!(d.uuid, "5f0b2a7e-1c1d-4c59-9a3e-0000000000b1");
    assert!(d.active && d.persistent && !d.autostart);
    assert_eq!(
        (d.capacity, d.allocation, d.available),
        (100 * GIB, 23 * GIB, 77 * GIB)
    );
    assert_eq!(d.target_path.as_deref(), Some("/var/lib/libvirt/images"));
    assert_eq!(d.source, "");
    assert_eq!(d.volumes, 3);
    let data = pool(&list, "data");
    assert_eq!((data.available, data.volumes), (0, 1));
}

#[test]
fn lists_volumes_with_the_machines_using_them() {
    let conn = open();
    let list = list_volumes(&conn, "default").unwrap();
    assert_eq!(names(&list), ["build.qcow2", "db.qcow2", "web-uefi.qcow2"]);
    let web = vol(&list, "web-uefi.qcow2");
    assert_eq!(web.pool, "default");
    assert_eq!(web.path, "/var/lib/libvirt/images/web-uefi.qcow2");
    assert_eq!(web.format, "qcow2");
    assert_eq!((web.capacity, web.allocation), (20 * GIB, 3 * GIB));
    assert_eq!(web.backing, None);
    // A file disk naming the volume's path.
    assert_eq!(web.used_by.len(), 1);
    let u = &web.used_by[0];
    assert_eq!(
        (
            u.uuid.as_str(),
            u.name.as_str(),
            u.running,
            u.target.as_str(),
            u.readonly
        ),
        (WEB, "web-uefi", true, "vda", false)
    );
    // A <source pool volume> disk of a paused machine (active, so "running").
    let db = vol(&list, "db.qcow2");
    assert_eq!(db.used_by.len(), 1);
    assert_eq!(
        (db.used_by[0].uuid.as_str(), db.used_by[0].running),
        (DB, true)
    );
    let build = vol(&list, "build.qcow2");
    assert_eq!(
        (build.used_by[0].uuid.as_str(), build.used_by[0].running),
        (BUILD, false)
    );

    // Two machines, one by path, one by pool/volume, sorted by name.
    let data = list_volumes(&conn, "data").unwrap();
    let raw = vol(&data, "web-data.raw");
    assert_eq!(raw.format, "raw");
    let users: Vec<_> = raw
        .used_by
        .iter()
        .map(|u| (u.name.as_str(), u.target.as_str()))
        .collect();
    assert_eq!(users, [("build-off", "vdb"), ("web-uefi", "vdb")]);

    let e = list_volumes(&conn, "no-such-pool").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert!(e.message.contains("no-such-pool"));
}

/// One spec per type and golden file; `devs` are the fs, logical and disk pools'
/// devices (libvirt refuses two pools on one device).
fn all_specs(devs: [&str; 3]) -> Vec<(&'static str, PoolSpec)> {
    let [fs_dev, lvm_dev, disk_dev] = devs;
    vec![
        (
            "pool-dir.xml",
            PoolSpec::Dir {
                name: "images".into(),
                path: "/srv/kvm & images".into(),
            },
        ),
        (
            "pool-fs.xml",
            PoolSpec::Fs {
                name: "fast".into(),
                device: fs_dev.into(),
                path: "/mnt/fast".into(),
            },
        ),
        (
            "pool-netfs.xml",
            PoolSpec::Netfs {
                name: "nfs".into(),
                host: "localhost".into(),
                export: "/export/vm".into(),
                path: "/mnt/nfs".into(),
            },
        ),
        (
            "pool-logical.xml",
            PoolSpec::Logical {
                name: "lvm".into(),
                vg: "vg_kvm".into(),
                devices: vec![lvm_dev.into()],
            },
        ),
        (
            "pool-logical-existing.xml",
            PoolSpec::Logical {
                name: "lvm-old".into(),
                vg: "vg0".into(),
                devices: vec![],
            },
        ),
        (
            "pool-iscsi.xml",
            PoolSpec::Iscsi {
                name: "san".into(),
                host: "iscsi.example.org".into(),
                iqn: "iqn.2004-04.com.example:storage.disk1".into(),
                initiator: Some("iqn.2024-01.org.example:host1".into()),
            },
        ),
        (
            "pool-disk.xml",
            PoolSpec::Disk {
                name: "whole".into(),
                device: disk_dev.into(),
            },
        ),
    ]
}

/// Each type's XML equals its golden file (the device path normalised) and libvirt
/// accepts it as a pool of that type.
#[test]
fn pool_xml_goldens_for_every_type() {
    let conn = open();
    for (file, spec) in all_specs(["/dev/sdx", "/dev/sdy", "/dev/sdz"]) {
        let xml = spec.to_xml();
        golden(file, &xml);
        let p = conn
            .define_storage_pool_xml(&xml, 0)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let back = kvm_manager::backend::xml::parse_tree(&p.xml_desc(0).unwrap()).unwrap();
        assert_eq!(back.attr("type"), Some(spec.kind().xml_type()), "{file}");
        assert_eq!(back.child_text("name"), spec.name(), "{file}");
        p.undefine().unwrap();
    }
}

#[test]
fn pool_sources_read_back() {
    let conn = open();
    for (_, spec) in all_specs(["/dev/sdx", "/dev/sdy", "/dev/sdz"]) {
        conn.define_storage_pool_xml(&spec.to_xml(), 0).unwrap();
    }
    let list = list_pools(&conn).unwrap();
    let src = |n: &str| pool(&list, n).source.clone();
    assert_eq!(src("images"), "");
    assert_eq!(src("fast"), "/dev/sdx");
    assert_eq!(src("nfs"), "localhost:/export/vm");
    assert_eq!(src("lvm"), "vg_kvm");
    assert_eq!(
        src("san"),
        "iscsi.example.org: iqn.2004-04.com.example:storage.disk1"
    );
    assert_eq!(src("whole"), "/dev/sdz");
    assert_eq!(pool(&list, "nfs").kind, PoolKind::Netfs);
    assert!(!pool(&list, "nfs").active);
    assert_eq!(
        pool(&list, "fast").target_path.as_deref(),
        Some("/mnt/fast")
    );
}

#[test]
fn creates_a_directory_pool_started_and_autostarted() {
    let conn = open();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let spec = PoolSpec::Dir {
        name: " scratch ".into(),
        path: format!("{path} "),
    };
    let msg = create_pool(&conn, &spec, false, true, true).unwrap();
    assert!(msg.contains("“scratch”"), "{msg}");
    let list = list_pools(&conn).unwrap();
    let p = pool(&list, "scratch");
    assert!(p.active && p.autostart && p.persistent, "{p:?}");
    assert_eq!(p.target_path.as_deref(), Some(path.as_str()));
    // Defined only.
    let other = tempfile::tempdir().unwrap();
    let spec = PoolSpec::Dir {
        name: "later".into(),
        path: other.path().display().to_string(),
    };
    create_pool(&conn, &spec, true, false, false).unwrap();
    let p = list_pools(&conn).unwrap();
    let later = pool(&p, "later");
    assert!(
        !later.active && !later.autostart && later.persistent,
        "{later:?}"
    );
}

#[test]
fn refuses_bad_pool_input_and_changes_nothing() {
    let conn = open();
    let before = list_pools(&conn).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let tmp = dir.path().display().to_string();
    let dirspec = |name: &str, path: &str| PoolSpec::Dir {
        name: name.into(),
        path: path.into(),
    };
    let create = |spec: PoolSpec, build: bool| create_pool(&conn, &spec, build, true, false);
    refused(create(dirspec("default", &tmp), false), "already exists");
    refused(create(dirspec("", &tmp), false), "Enter a name");
    refused(create(dirspec("bad name", &tmp), false), "a space");
    let missing = format!("{tmp}/missing");
    let e = refused(create(dirspec("p1", &missing), false), "does not exist");
    assert!(e.hint.contains("create"), "{e:?}");
    refused(
        create(dirspec("p1", file.to_str().unwrap()), false),
        "not a directory",
    );
    refused(create(dirspec("p1", "relative/dir"), false), "absolute");
    refused(create(dirspec("p1", ""), false), "Enter the directory");

    let fs = |device: &str, path: &str| PoolSpec::Fs {
        name: "p2".into(),
        device: device.into(),
        path: path.into(),
    };
    refused(create(fs("/dev/null", &tmp), false), "not a block device");
    refused(
        create(fs("/dev/no-such-disk", &tmp), false),
        "does not exist",
    );
    refused(
        create(fs(&a_block_device(), &missing), false),
        "does not exist",
    );

    let netfs = |host: &str, export: &str| PoolSpec::Netfs {
        name: "p3".into(),
        host: host.into(),
        export: export.into(),
        path: tmp.clone(),
    };
    refused(
        create(netfs("kvmm-no-such-host.invalid", "/x"), false),
        "cannot be found",
    );
    refused(create(netfs("", "/x"), false), "host name");
    refused(
        create(netfs("localhost", "export"), false),
        "must start with “/”",
    );
    refused(create(netfs("localhost", ""), false), "exported directory");

    let logical = |vg: &str, devices: Vec<String>| PoolSpec::Logical {
        name: "p4".into(),
        vg: vg.into(),
        devices,
    };
    refused(create(logical("-vg", vec![]), false), "volume group");
    refused(create(logical("vg 1", vec![]), false), "cannot contain");
    refused(
        create(logical("vg1", vec!["/dev/null".into()]), true),
        "not a block device",
    );

    let iscsi = |host: &str, iqn: &str| PoolSpec::Iscsi {
        name: "p5".into(),
        host: host.into(),
        iqn: iqn.into(),
        initiator: None,
    };
    refused(
        create(iscsi("127.0.0.1", "target1"), false),
        "not an iSCSI name",
    );
    // Nothing listens on 3260 here: refused at once.
    refused(
        create(iscsi("127.0.0.1", "iqn.2004-04.com.example:disk1"), false),
        "No iSCSI service answers on 127.0.0.1 port 3260",
    );

    let disk = |device: &str| PoolSpec::Disk {
        name: "p6".into(),
        device: device.into(),
    };
    refused(create(disk("/dev/null"), false), "not a block device");
    refused(create(disk("sdb"), false), "absolute");

    assert_eq!(
        list_pools(&conn).unwrap(),
        before,
        "a refused pool changed something"
    );
}

#[test]
fn accepts_each_type_with_valid_local_facts() {
    let conn = open();
    let dev = a_block_device();
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().display().to_string();
    let missing = format!("{tmp}/to-build");
    // A directory to be created by the build.
    check_pool_spec(
        &conn,
        &PoolSpec::Dir {
            name: "b".into(),
            path: missing.clone(),
        },
        true,
        true,
    )
    .unwrap();
    for (_, spec) in all_specs([&dev, &dev, &dev]) {
        let spec = match spec {
            PoolSpec::Fs { name, device, .. } => PoolSpec::Fs {
                name,
                device,
                path: tmp.clone(),
            },
            PoolSpec::Netfs {
                name, host, export, ..
            } => PoolSpec::Netfs {
                name,
                host,
                export,
                path: tmp.clone(),
            },
            PoolSpec::Dir { name, .. } => PoolSpec::Dir {
                name,
                path: tmp.clone(),
            },
            // The portal check needs a listening target; covered above.
            PoolSpec::Iscsi { .. } => continue,
            other => other,
        };
        check_pool_spec(&conn, &spec, false, true).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
    }
    // A remote host's paths are not checked here (libvirt reports them).
    check_pool_spec(
        &conn,
        &PoolSpec::Dir {
            name: "remote".into(),
            path: "/on/the/remote/host".into(),
        },
        false,
        false,
    )
    .unwrap();
}

fn qcow2(pool: &str, name: &str, capacity: u64) -> VolumeSpec {
    VolumeSpec {
        pool: pool.into(),
        name: name.into(),
        format: VolFormat::Qcow2,
        capacity,
        backing: None,
    }
}

#[test]
fn creates_and_deletes_volumes() {
    let conn = open();
    let msg = create_volume(&conn, &qcow2("default", "new.qcow2", 10 * GIB)).unwrap();
    assert!(
        msg.contains("“new.qcow2”") && msg.contains("“default”"),
        "{msg}"
    );
    let raw = VolumeSpec {
        format: VolFormat::Raw,
        ..qcow2("default", "new.raw", 512 << 20)
    };
    create_volume(&conn, &raw).unwrap();
    let list = list_volumes(&conn, "default").unwrap();
    let v = vol(&list, "new.qcow2");
    assert_eq!((v.format.as_str(), v.capacity), ("qcow2", 10 * GIB));
    assert_eq!(v.path, "/var/lib/libvirt/images/new.qcow2");
    assert!(v.used_by.is_empty());
    assert_eq!(vol(&list, "new.raw").format, "raw");

    // An overlay on a volume.
    let overlay = VolumeSpec {
        backing: Some("/var/lib/libvirt/images/build.qcow2".into()),
        ..qcow2("default", "overlay.qcow2", 40 * GIB)
    };
    create_volume(&conn, &overlay).unwrap();
    let list = list_volumes(&conn, "default").unwrap();
    assert_eq!(
        vol(&list, "overlay.qcow2").backing.as_deref(),
        Some("/var/lib/libvirt/images/build.qcow2")
    );

    let msg = delete_volume(&conn, "default", "new.raw").unwrap();
    assert!(msg.contains("“new.raw”"), "{msg}");
    let list = list_volumes(&conn, "default").unwrap();
    assert!(!names(&list).contains(&"new.raw"));
    let e = delete_volume(&conn, "default", "new.raw").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
}

#[test]
fn refuses_bad_volume_input_and_creates_nothing() {
    let conn = open();
    let before = list_volumes(&conn, "default").unwrap();
    let create = |s: VolumeSpec| create_volume(&conn, &s);
    refused(
        create(qcow2("default", "db.qcow2", GIB)),
        "already has a volume",
    );
    refused(create(qcow2("default", "", GIB)), "Enter a name");
    refused(create(qcow2("default", "a/b", GIB)), "“/”");
    refused(create(qcow2("default", "zero", 0)), "more than zero");
    // 77 GiB are free in `default`, none in `data`.
    let e = refused(create(qcow2("default", "big", 78 * GIB)), "does not fit");
    assert!(e.message.contains("77 GiB"), "{e:?}");
    refused(create(qcow2("data", "any", GIB)), "does not fit");
    let raw_with_backing = VolumeSpec {
        format: VolFormat::Raw,
        backing: Some("/var/lib/libvirt/images/build.qcow2".into()),
        ..qcow2("default", "r", GIB)
    };
    refused(create(raw_with_backing), "Only qcow2");
    let missing_backing = VolumeSpec {
        backing: Some("/nowhere/base.qcow2".into()),
        ..qcow2("default", "o", GIB)
    };
    refused(create(missing_backing), "does not exist");
    let small_overlay = VolumeSpec {
        backing: Some("/var/lib/libvirt/images/build.qcow2".into()),
        ..qcow2("default", "o", GIB)
    };
    refused(create(small_overlay), "at least");
    let e = create(qcow2("nope", "x", GIB)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(list_volumes(&conn, "default").unwrap(), before);

    // Unusable sizes typed by a person never get this far.
    assert!(kvm_manager::backend::storage::parse_size("20 GiBs").is_err());
    assert!(kvm_manager::backend::storage::parse_size("0").is_err());
}

#[test]
fn deleting_a_volume_in_use_is_refused_and_changes_nothing() {
    let conn = open();
    let before = list_volumes(&conn, "data").unwrap();
    let e = refused(
        delete_volume(&conn, "data", "web-data.raw"),
        "“web-data.raw”",
    );
    assert!(
        e.message.contains("“build-off”") && e.message.contains("“web-uefi”"),
        "{e:?}"
    );
    assert_eq!(list_volumes(&conn, "data").unwrap(), before);
    // Used by a stopped machine's definition: still refused.
    refused(
        delete_volume(&conn, "default", "build.qcow2"),
        "“build-off”",
    );
}

#[test]
fn clones_a_volume_not_written_by_a_running_machine() {
    let conn = open();
    let msg = clone_volume(&conn, "default", "build.qcow2", "build-copy.qcow2").unwrap();
    assert!(msg.contains("“build-copy.qcow2”"), "{msg}");
    let list = list_volumes(&conn, "default").unwrap();
    let c = vol(&list, "build-copy.qcow2");
    assert_eq!((c.format.as_str(), c.capacity), ("qcow2", 40 * GIB));
    assert!(c.used_by.is_empty());
    refused(
        clone_volume(&conn, "default", "build.qcow2", "db.qcow2"),
        "already has a volume",
    );
    let e = refused(
        clone_volume(&conn, "default", "web-uefi.qcow2", "w2.qcow2"),
        "“web-uefi”",
    );
    assert!(e.message.contains("cannot be copied"), "{e:?}");
    assert!(!names(&list_volumes(&conn, "default").unwrap()).contains(&"w2.qcow2"));
}

#[test]
fn resize_refuses_shrinking_and_sizes_beyond_the_free_space() {
    let conn = open();
    refused(
        resize_volume(&conn, "default", "build.qcow2", 39 * GIB),
        "only grow",
    );
    refused(
        resize_volume(&conn, "default", "build.qcow2", 40 * GIB),
        "already has",
    );
    refused(
        resize_volume(&conn, "default", "build.qcow2", 118 * GIB),
        "does not fit",
    );
    // Growing itself: the test driver has no virStorageVolResize (tested live).
    let e = resize_volume(&conn, "default", "build.qcow2", 41 * GIB).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported, "{e:?}");
}

#[test]
fn pool_start_stop_refresh_autostart() {
    let conn = open();
    let msg = pool_action(&conn, "data", PoolAction::Stop).unwrap();
    assert!(msg.contains("stopped"), "{msg}");
    let p = list_pools(&conn).unwrap();
    assert!(!pool(&p, "data").active);
    assert_eq!(pool(&p, "data").volumes, 0);
    assert!(list_volumes(&conn, "data").unwrap().is_empty());
    let e = create_volume(&conn, &qcow2("data", "x", 1)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidState, "{e:?}");
    assert!(e.hint.contains("Start the pool"), "{e:?}");
    pool_action(&conn, "data", PoolAction::Start).unwrap();
    assert!(pool(&list_pools(&conn).unwrap(), "data").active);
    pool_action(&conn, "data", PoolAction::Refresh).unwrap();
    pool_action(&conn, "data", PoolAction::Autostart(true)).unwrap();
    assert!(pool(&list_pools(&conn).unwrap(), "data").autostart);
    let msg = pool_action(&conn, "data", PoolAction::Autostart(false)).unwrap();
    assert!(msg.contains("no longer"), "{msg}");
    assert!(!pool(&list_pools(&conn).unwrap(), "data").autostart);
    // Starting an active pool: libvirt's own refusal.
    let e = pool_action(&conn, "data", PoolAction::Start).unwrap_err();
    assert!(!e.message.is_empty());
}

#[test]
fn delete_plan_then_delete() {
    let conn = open();
    let plan = delete_plan(&conn, "default").unwrap();
    assert_eq!(plan.pool, "default");
    assert_eq!(
        names(&plan.volumes),
        ["build.qcow2", "db.qcow2", "web-uefi.qcow2"]
    );
    assert!(plan.volumes.iter().all(|v| !v.used_by.is_empty()));
    assert!(plan.can_delete_storage && plan.storage_deletes_volumes && plan.active);
    assert_eq!(plan.target_path.as_deref(), Some("/var/lib/libvirt/images"));

    // Its volumes are in use: deleting them with the directory is refused, nothing changes.
    let before = (
        list_pools(&conn).unwrap(),
        list_volumes(&conn, "default").unwrap(),
    );
    let e = refused(delete_pool(&conn, "default", true), "is used by");
    assert!(e.message.contains("“build-off”"), "{e:?}");
    assert_eq!(
        (
            list_pools(&conn).unwrap(),
            list_volumes(&conn, "default").unwrap()
        ),
        before
    );

    // Without the storage: stopped and undefined; the volumes' machines keep their paths.
    let msg = delete_pool(&conn, "default", false).unwrap();
    assert!(msg.contains("“default”"), "{msg}");
    assert!(!list_pools(&conn)
        .unwrap()
        .iter()
        .any(|p| p.name == "default"));

    // A pool of our own with an unused volume, stopped: deleted with its volume.
    let dir = tempfile::tempdir().unwrap();
    let spec = PoolSpec::Dir {
        name: "mine".into(),
        path: dir.path().display().to_string(),
    };
    create_pool(&conn, &spec, false, true, false).unwrap();
    create_volume(&conn, &qcow2("mine", "v1.qcow2", GIB)).unwrap();
    pool_action(&conn, "mine", PoolAction::Stop).unwrap();
    let plan = delete_plan(&conn, "mine").unwrap();
    assert!(!plan.active && plan.volumes.is_empty());
    let msg = delete_pool(&conn, "mine", true).unwrap();
    assert!(msg.contains("directory"), "{msg}");
    assert!(!list_pools(&conn).unwrap().iter().any(|p| p.name == "mine"));

    // Logical pools keep their volume group.
    let conn = open();
    let lvm = PoolSpec::Logical {
        name: "lvm".into(),
        vg: "vg0".into(),
        devices: vec![],
    };
    conn.define_storage_pool_xml(&lvm.to_xml(), 0).unwrap();
    let plan = delete_plan(&conn, "lvm").unwrap();
    assert!(!plan.can_delete_storage && !plan.storage_deletes_volumes);
    refused(delete_pool(&conn, "lvm", true), "cannot be deleted");
    delete_pool(&conn, "lvm", false).unwrap();
}
