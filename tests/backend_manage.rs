//! Delete and clone against libvirt's test driver (fixture tests/fixtures/manage.xml: see
//! its header). Each test opens its own connection, so each starts from the fixture.
//! The worker's commands for these are in backend_manage_worker.rs.

mod common;

use std::cell::RefCell;

use common::*;
use kvm_manager::backend::clone::{
    clone_plan, clone_vm, CloneRequest, CloneStep, DiskChoice, DiskMode, RunningPolicy,
};
use kvm_manager::backend::delete::{delete_plan, delete_vm};
use kvm_manager::backend::xml::{parse_domain, parse_tree};
use kvm_manager::backend::{ErrorKind, VmState};
use virt::connect::Connect;
use virt::domain::DomainState;

const ALPHA: &str = "6a0c1a2e-0000-4000-8000-000000000001";
const BETA: &str = "6a0c1a2e-0000-4000-8000-000000000002";
const GAMMA: &str = "6a0c1a2e-0000-4000-8000-000000000003";
const BIG: &str = "6a0c1a2e-0000-4000-8000-000000000004";
const DELTA: &str = "6a0c1a2e-0000-4000-8000-000000000005";
const IMAGES: &str = "/var/lib/libvirt/images";

fn open() -> Connect {
    // Also stops libvirt printing every expected lookup miss to stderr.
    kvm_manager::backend::event_loop::ensure_started();
    Connect::open(Some(&test_uri(&fixture("manage.xml")))).unwrap()
}

fn img(name: &str) -> String {
    format!("{IMAGES}/{name}")
}

fn vol_exists(conn: &Connect, path: &str) -> bool {
    conn.lookup_storage_vol_by_path(path).is_ok()
}

fn volumes(conn: &Connect, pool: &str) -> Vec<String> {
    let mut v = conn
        .lookup_storage_pool_by_name(pool)
        .unwrap()
        .list_volumes()
        .unwrap();
    v.sort();
    v
}

fn domain_names(conn: &Connect) -> Vec<String> {
    let mut v: Vec<String> = conn
        .list_all_domains(0)
        .unwrap()
        .iter()
        .map(|d| d.name().unwrap())
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------ delete

#[test]
fn delete_plan_lists_disks_and_what_is_lost() {
    let conn = open();
    let plan = delete_plan(&conn, ALPHA).unwrap();
    assert_eq!(plan.name, "alpha");
    assert!(!plan.running && plan.persistent);
    assert_eq!(plan.snapshots, 1);
    assert!(plan.has_nvram);
    assert!(!plan.has_managed_save);
    let t: Vec<_> = plan.disks.iter().map(|d| d.target.as_str()).collect();
    // libvirt orders disks by bus; the empty CD-ROM is left out.
    assert_eq!(t, ["vda", "vdb", "vdc", "sda"]);

    let vda = &plan.disks[0];
    assert_eq!(vda.source, img("alpha.qcow2"));
    assert_eq!(
        (vda.pool.as_deref(), vda.volume.as_deref()),
        (Some("default"), Some("alpha.qcow2"))
    );
    assert!(vda.deletable && vda.checked_by_default && vda.note.is_none());
    assert!(vda.shared_with.is_empty());

    let vdb = &plan.disks[1];
    assert_eq!(vdb.source, img("shared.raw"));
    assert_eq!(
        vdb.volume.as_deref(),
        Some("shared.raw"),
        "found by its path"
    );
    assert_eq!(vdb.shared_with, ["beta"]);
    assert!(!vdb.deletable && !vdb.checked_by_default);
    assert!(vdb.note.as_deref().unwrap().contains("beta"));

    let sda = &plan.disks[3];
    assert_eq!((sda.device.as_str(), sda.readonly), ("cdrom", true));
    assert!(sda.deletable && !sda.checked_by_default, "{sda:?}");
    assert!(sda.note.is_some());

    let vdc = &plan.disks[2];
    assert_eq!(vdc.source, "/opt/outside/alpha-extra.img");
    assert!(vdc.pool.is_none() && !vdc.deletable && !vdc.checked_by_default);
    assert!(vdc.note.as_deref().unwrap().contains("storage pool"));

    let gamma = delete_plan(&conn, GAMMA).unwrap();
    assert!(gamma.has_managed_save && gamma.disks.is_empty() && !gamma.has_nvram);
    let beta = delete_plan(&conn, BETA).unwrap();
    assert!(beta.running);
    assert_eq!(beta.disks[1].shared_with, ["alpha"]);
}

#[test]
fn delete_removes_the_machine_its_metadata_and_the_chosen_volumes() {
    let conn = open();
    let chosen = vec![img("alpha.qcow2"), img("installer.iso"), img("alpha.qcow2")];
    let out = delete_vm(&conn, ALPHA, &chosen).unwrap();
    assert_eq!(out.name, "alpha");
    assert!(!out.forced_off);
    assert_eq!(out.deleted, [img("alpha.qcow2"), img("installer.iso")]);
    assert!(out.failed.is_empty());
    // Undefined although it had a snapshot and NVRAM (the test driver has no NVRAM flag).
    let e = conn.lookup_domain_by_uuid_string(ALPHA).unwrap_err();
    assert!(e.code().is(virt::error::ErrorNumber::NoDomain), "{e}");
    assert!(!vol_exists(&conn, &img("alpha.qcow2")));
    assert!(!vol_exists(&conn, &img("installer.iso")));
    // Not chosen / not deletable: untouched.
    assert!(vol_exists(&conn, &img("shared.raw")));
    assert!(vol_exists(&conn, &img("beta.qcow2")));
    // No longer shared: beta's plan now offers it.
    let beta = delete_plan(&conn, BETA).unwrap();
    assert!(beta.disks[1].shared_with.is_empty() && beta.disks[1].deletable);
}

#[test]
fn delete_refuses_what_it_must_not_delete_and_changes_nothing() {
    let conn = open();
    let before = (domain_names(&conn), volumes(&conn, "default"));
    let cases = [
        (vec![img("shared.raw")], ErrorKind::InvalidState, "beta"),
        (
            vec![img("beta.qcow2")],
            ErrorKind::InvalidInput,
            "not a disk",
        ),
        (
            vec!["/opt/outside/alpha-extra.img".to_owned()],
            ErrorKind::InvalidInput,
            "storage pool",
        ),
        (
            vec![img("alpha.qcow2"), "/etc/passwd".to_owned()],
            ErrorKind::InvalidInput,
            "/etc/passwd",
        ),
    ];
    for (vols, kind, says) in cases {
        let e = delete_vm(&conn, ALPHA, &vols).unwrap_err();
        assert_eq!(e.kind, kind, "{vols:?}: {e:?}");
        assert!(e.message.contains(says), "{vols:?}: {e:?}");
        assert!(e.message.contains("nothing was deleted"), "{e:?}");
    }
    assert_eq!((domain_names(&conn), volumes(&conn, "default")), before);
    let e = delete_vm(&conn, "6a0c1a2e-0000-4000-8000-0000000000ff", &[]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[test]
fn delete_a_running_machine_forces_it_off_first() {
    let conn = open();
    let out = delete_vm(&conn, BETA, &[img("beta.qcow2")]).unwrap();
    assert!(out.forced_off);
    assert_eq!(out.deleted, [img("beta.qcow2")]);
    assert!(conn.lookup_domain_by_uuid_string(BETA).is_err());
    assert!(vol_exists(&conn, &img("shared.raw")), "not chosen");

    // Transient: forcing it off is what removes it.
    assert!(!delete_plan(&conn, DELTA).unwrap().persistent);
    let out = delete_vm(&conn, DELTA, &[img("delta.qcow2")]).unwrap();
    assert!(out.forced_off);
    assert!(conn.lookup_domain_by_uuid_string(DELTA).is_err());
    assert!(!vol_exists(&conn, &img("delta.qcow2")));

    // Managed save goes with the machine.
    let out = delete_vm(&conn, GAMMA, &[]).unwrap();
    assert!(!out.forced_off && out.deleted.is_empty());
    assert!(conn.lookup_domain_by_uuid_string(GAMMA).is_err());
}

// ------------------------------------------------------------------ clone

fn request(uuid: &str, name: &str, disks: &[(&str, DiskMode)]) -> CloneRequest {
    CloneRequest {
        source_uuid: uuid.into(),
        new_name: name.into(),
        disks: disks
            .iter()
            .map(|(t, m)| DiskChoice {
                target: (*t).into(),
                mode: *m,
            })
            .collect(),
        running_policy: RunningPolicy::Refuse,
    }
}

#[test]
fn clone_plan_suggests_a_free_name_and_a_mode_per_disk() {
    let conn = open();
    let plan = clone_plan(&conn, ALPHA).unwrap();
    assert_eq!(
        (plan.source_name.as_str(), plan.suggested_name.as_str()),
        ("alpha", "alpha-clone")
    );
    assert_eq!((plan.state, plan.running), (VmState::ShutOff, false));
    let modes: Vec<_> = plan
        .disks
        .iter()
        .map(|d| (d.target.as_str(), d.can_copy, d.default_mode))
        .collect();
    assert_eq!(
        modes,
        [
            ("vda", true, DiskMode::Copy),
            ("vdb", true, DiskMode::Copy),
            ("vdc", false, DiskMode::Share),
            ("sda", false, DiskMode::Share),
        ]
    );
    assert_eq!(plan.disks[0].format, "qcow2");
    assert!(plan.disks[2].note.is_some() && plan.disks[3].note.is_some());
    assert!(clone_plan(&conn, BETA).unwrap().running);

    clone_vm(&conn, &request(ALPHA, "alpha-clone", &[]), &mut |_| {}).unwrap();
    assert_eq!(
        clone_plan(&conn, ALPHA).unwrap().suggested_name,
        "alpha-clone-2"
    );
}

#[test]
fn clone_copies_volumes_and_gets_a_new_identity() {
    let conn = open();
    let steps = RefCell::new(Vec::new());
    let req = request(
        ALPHA,
        "alpha-copy",
        &[("vda", DiskMode::Copy), ("vdb", DiskMode::Share)],
    );
    let s = clone_vm(&conn, &req, &mut |s| steps.borrow_mut().push(s)).unwrap();
    assert_eq!(s.name, "alpha-copy");
    assert_ne!(s.uuid, ALPHA);
    assert_eq!((s.state, s.persistent), (VmState::ShutOff, true));
    assert_eq!(
        steps.into_inner(),
        [
            CloneStep::Copying {
                index: 1,
                total: 1,
                target: "vda".into(),
                volume: "alpha-copy.qcow2".into()
            },
            CloneStep::Defining
        ]
    );

    let dom = conn.lookup_domain_by_name("alpha-copy").unwrap();
    let xml = dom
        .xml_desc(virt::sys::VIR_DOMAIN_XML_INACTIVE | virt::sys::VIR_DOMAIN_XML_SECURE)
        .unwrap();
    let d = parse_domain(&xml).unwrap();
    assert_eq!(d.disks[0].source, "default/alpha-copy.qcow2");
    assert_eq!(d.disks[1].source, img("shared.raw"), "shared");
    assert_eq!(d.disks[2].source, "/opt/outside/alpha-extra.img");
    assert_eq!(d.disks[3].source, img("installer.iso"));
    assert_eq!(d.nics.len(), 1);
    assert!(!d.nics[0].mac.is_empty() && d.nics[0].mac != "52:54:00:20:00:01");
    assert!(
        xml.contains("alpha-vnc-secret"),
        "the VNC password came along"
    );
    let tree = parse_tree(&xml).unwrap();
    let nvram = tree.child("os").unwrap().child("nvram").unwrap();
    assert_eq!(
        nvram.attr("template"),
        Some("/usr/share/OVMF/OVMF_VARS_4M.fd")
    );
    assert!(!nvram.text.contains("alpha_VARS"), "{xml}");
    let entries: Vec<_> = tree
        .child("sysinfo")
        .unwrap()
        .child("system")
        .unwrap()
        .children_named("entry")
        .map(|e| (e.attr("name").unwrap().to_owned(), e.text.clone()))
        .collect();
    assert!(
        !entries.iter().any(|(n, v)| n == "uuid" && v == ALPHA),
        "{entries:?}"
    );

    let vol = conn
        .lookup_storage_vol_by_path(&img("alpha-copy.qcow2"))
        .unwrap();
    assert_eq!(vol.info().unwrap().capacity, 40 << 30);
    assert!(vol.xml_desc(0).unwrap().contains("<format type='qcow2'/>"));
    // The source is untouched.
    let src = parse_domain(
        &conn
            .lookup_domain_by_uuid_string(ALPHA)
            .unwrap()
            .xml_desc(0)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(src.disks[0].source, "default/alpha.qcow2");
    assert_eq!(src.nics[0].mac, "52:54:00:20:00:01");
}

#[test]
fn clone_copies_a_file_disk_that_is_a_pool_volume_under_a_second_name() {
    let conn = open();
    clone_vm(&conn, &request(ALPHA, "two", &[]), &mut |_| {}).unwrap();
    let d = parse_domain(
        &conn
            .lookup_domain_by_name("two")
            .unwrap()
            .xml_desc(0)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(d.disks[0].source, "default/two.qcow2");
    assert_eq!(
        d.disks[1].source,
        img("two-vdb.raw"),
        "a file disk keeps type file"
    );
    assert!(vol_exists(&conn, &img("two-vdb.raw")));
    // A volume name taken in the pool gets a number (a fresh host: the pool is full).
    let conn = open();
    let pool = conn.lookup_storage_pool_by_name("default").unwrap();
    let taken = "<volume><name>three.qcow2</name><capacity>1024</capacity></volume>";
    virt::storage_vol::StorageVol::create_xml(&pool, taken, 0).unwrap();
    let req = request(ALPHA, "three", &[("vdb", DiskMode::Share)]);
    let steps = RefCell::new(Vec::new());
    clone_vm(&conn, &req, &mut |s| steps.borrow_mut().push(s)).unwrap();
    assert!(matches!(&steps.into_inner()[0],
        CloneStep::Copying { volume, .. } if volume == "three-2.qcow2"));
    assert!(vol_exists(&conn, &img("three-2.qcow2")));
}

#[test]
fn clone_refuses_bad_names_and_impossible_choices_before_doing_anything() {
    let conn = open();
    let before = (domain_names(&conn), volumes(&conn, "default"));
    let cases: [(CloneRequest, &str); 8] = [
        (request(ALPHA, "", &[]), "name"),
        (request(ALPHA, "has space", &[]), "a space"),
        (request(ALPHA, ".hidden", &[]), "start"),
        (request(ALPHA, "a/b", &[]), "“/”"),
        (request(ALPHA, &"n".repeat(65), &[]), "64"),
        (request(ALPHA, "beta", &[]), "already exists"),
        (request(ALPHA, "ok-name", &[("sda", DiskMode::Copy)]), "sda"),
        (
            request(ALPHA, "ok-name", &[("vdz", DiskMode::Share)]),
            "vdz",
        ),
    ];
    for (req, says) in cases {
        let e = clone_vm(&conn, &req, &mut |s| panic!("no step expected: {s:?}")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{req:?}: {e:?}");
        assert!(e.message.contains(says), "{says}: {e:?}");
    }
    assert_eq!((domain_names(&conn), volumes(&conn, "default")), before);
}

#[test]
fn clone_a_running_source_is_refused_or_paused_as_asked() {
    let conn = open();
    let before = volumes(&conn, "default");
    let e = clone_vm(&conn, &request(BETA, "beta-2", &[]), &mut |_| {}).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert!(
        e.message.contains("beta") && e.message.contains("running"),
        "{e:?}"
    );
    assert_eq!(volumes(&conn, "default"), before);

    // Sharing every disk needs no pause.
    let share = request(
        BETA,
        "beta-shares",
        &[("vda", DiskMode::Share), ("vdb", DiskMode::Share)],
    );
    clone_vm(&conn, &share, &mut |s| assert_eq!(s, CloneStep::Defining)).unwrap();

    let mut req = request(BETA, "beta-2", &[("vdb", DiskMode::Share)]);
    req.running_policy = RunningPolicy::Pause;
    let beta = conn.lookup_domain_by_uuid_string(BETA).unwrap();
    let seen = RefCell::new(Vec::new());
    clone_vm(&conn, &req, &mut |s| {
        let state = beta.info().unwrap().state.unwrap();
        seen.borrow_mut().push((s, state));
    })
    .unwrap();
    let seen = seen.into_inner();
    let steps: Vec<_> = seen.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(steps.len(), 4, "{seen:?}");
    assert_eq!(steps[0], CloneStep::Pausing);
    assert!(matches!(steps[1], CloneStep::Copying { .. }));
    assert_eq!(&steps[2..], [CloneStep::Defining, CloneStep::Resuming]);
    assert_eq!(seen[1].1, DomainState::Paused, "paused while copying");
    assert_eq!(beta.info().unwrap().state.unwrap(), DomainState::Running);
    assert!(vol_exists(&conn, &img("beta-2.qcow2")));
}

#[test]
fn a_failed_clone_leaves_no_volume_and_no_machine_and_resumes_the_source() {
    let conn = open();
    let before = volumes(&conn, "data");
    let mut req = request(BIG, "big-clone", &[]);
    req.running_policy = RunningPolicy::Pause;
    let steps = RefCell::new(Vec::new());
    let e = clone_vm(&conn, &req, &mut |s| steps.borrow_mut().push(s)).unwrap_err();
    assert!(e.message.contains("free space"), "{e:?}");
    let steps = steps.into_inner();
    assert!(
        matches!(
            &steps[..],
            [
                CloneStep::Pausing,
                CloneStep::Copying {
                    index: 1,
                    total: 2,
                    ..
                },
                CloneStep::Copying {
                    index: 2,
                    total: 2,
                    ..
                },
                CloneStep::RollingBack,
                CloneStep::Resuming,
            ]
        ),
        "{steps:?}"
    );
    assert_eq!(
        volumes(&conn, "data"),
        before,
        "the first copy was removed again"
    );
    assert!(conn.lookup_domain_by_name("big-clone").is_err());
    let big = conn.lookup_domain_by_uuid_string(BIG).unwrap();
    assert_eq!(big.info().unwrap().state.unwrap(), DomainState::Running);
}
