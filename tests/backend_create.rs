//! VM creation against libvirt's test driver (tests/fixtures/states.xml: pools `default`
//! and `data`, networks `default` (NAT) and `isolated`): the XML the wizard defines for
//! several OS/source combinations compared with golden files, every refused input with its
//! message, rollback (no orphaned volume after a failed create), and the worker commands.
//!
//! Golden files live in tests/fixtures/golden/; `UPDATE_GOLDEN=1 cargo test --test
//! backend_create` rewrites them (review the diff). Temporary paths are replaced by
//! `/srv/images` before comparing.

mod common;
mod create_support;

use std::path::Path;

use common::*;
use create_support::*;
use kvm_manager::backend::create::{
    self, create_options, proposed_xml, CreateOptions, CreatePlan, CreateStep, InstallSource,
    NetworkChoice, StorageChoice,
};
use kvm_manager::backend::domain_spec::{DiskBus, Firmware};
use kvm_manager::backend::xml::parse_domain;
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event};
use virt::connect::Connect;

const GIB: u64 = 1 << 30;

fn open() -> Connect {
    Connect::open(Some(&states_uri())).unwrap()
}

fn norm(xml: &str, dir: &Path) -> String {
    xml.replace(dir.to_str().unwrap(), "/srv/images")
}

/// The test driver's options as a KVM host with q35 (and, when asked, OVMF) would report
/// them, so the golden XML shows what a real host gets. The test driver accepts any
/// domain type.
pub fn as_kvm_host(mut o: CreateOptions, uefi: bool) -> CreateOptions {
    o.virt_type = "kvm".into();
    o.arch = "x86_64".into();
    o.machine = Some("q35".into());
    o.uefi_available = uefi;
    o
}

fn plan_for(conn: &Connect, os_id: &str, uefi: bool) -> CreatePlan {
    let db = osdb();
    let os = db.lookup(os_id).unwrap();
    let options = as_kvm_host(create_options(conn).unwrap(), uefi);
    CreatePlan::for_os(os, &options)
}

/// Volume names of every pool, and domain names: what a failed create must leave as is.
fn host_state(conn: &Connect) -> (Vec<String>, Vec<String>) {
    let o = create_options(conn).unwrap();
    let vols = o
        .pools
        .iter()
        .flat_map(|p| {
            p.volumes
                .iter()
                .map(move |v| format!("{}/{}", p.name, v.name))
        })
        .collect();
    (vols, o.existing_names)
}

fn create_ok(conn: &Connect, plan: &CreatePlan) -> (String, Vec<CreateStep>) {
    let mut steps = Vec::new();
    let summary = create::create(conn, plan, &mut |s| steps.push(s)).unwrap();
    assert_eq!(summary.name, plan.name);
    let dom = conn.lookup_domain_by_name(&plan.name).unwrap();
    (dom.xml_desc(0).unwrap(), steps)
}

/// Create must fail with a message containing `needle`, and change nothing.
fn create_fails(conn: &Connect, plan: &CreatePlan, needle: &str) -> BackendError {
    let before = host_state(conn);
    let err = create::create(conn, plan, &mut |_| {}).unwrap_err();
    assert!(
        err.message.contains(needle),
        "expected “{needle}” in: {}",
        err.message
    );
    assert_eq!(
        host_state(conn),
        before,
        "a failed create left something behind"
    );
    err
}

#[test]
fn debian12_iso_new_volume_nat_bios() {
    let conn = open();
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("debian-12.5.0-amd64-netinst.iso");
    write_iso(&iso, "Debian 12.5.0 amd64 n");
    let mut plan = plan_for(&conn, "http://debian.org/debian/12", false);
    plan.source = InstallSource::Iso(iso.clone());
    assert_eq!(plan.name, "debian12");
    assert_eq!((plan.vcpus, plan.memory_kib), (2, 2 << 20));
    assert_eq!(
        plan.storage,
        StorageChoice::NewVolume {
            pool: "default".into(),
            size_bytes: 20 * GIB
        }
    );
    assert_eq!(plan.network, NetworkChoice::Network("default".into()));
    assert_eq!(plan.firmware, Firmware::Bios);
    assert_eq!(plan.devices.disk_bus, DiskBus::Virtio);
    let xml = proposed_xml(&conn, &plan).unwrap();
    golden(
        "debian12-iso-newvolume-nat-bios.xml",
        &norm(&xml, dir.path()),
    );

    let (defined, steps) = create_ok(&conn, &plan);
    assert_eq!(
        steps,
        [
            CreateStep::Validating,
            CreateStep::CreatingVolume {
                pool: "default".into(),
                volume: "debian12.qcow2".into()
            },
            CreateStep::Defining
        ]
    );
    let d = parse_domain(&defined).unwrap();
    assert_eq!(d.os_id.as_deref(), Some("http://debian.org/debian/12"));
    assert_eq!(d.disks[0].source, "default/debian12.qcow2");
    assert_eq!(
        (d.disks[1].device.as_str(), d.disks[1].target.as_str()),
        ("cdrom", "sda")
    );
    assert_eq!(d.disks[1].source, iso.to_str().unwrap());
    assert_eq!(d.nics[0].source, "default");
    assert_eq!(d.boot_order, ["disk vda", "cdrom sda"]);
    let vol = conn
        .lookup_storage_pool_by_name("default")
        .unwrap()
        .lookup_storage_vol_by_name("debian12.qcow2")
        .unwrap();
    assert_eq!(vol.info().unwrap().capacity, 20 * GIB);
}

#[test]
fn windows10_iso_uefi_emulated_devices() {
    let conn = open();
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("Win10_22H2_English_x64.iso");
    write_iso(&iso, "CENA_X64FREV_EN-US_DV5");
    let db = osdb();
    let os = db
        .detect_from_volume_id("CENA_X64FREV_EN-US_DV5", "x86_64")
        .unwrap();
    assert_eq!(os.short_id, "win10");
    let options = as_kvm_host(create_options(&conn).unwrap(), true);
    let mut plan = CreatePlan::for_os(os, &options);
    plan.source = InstallSource::Iso(iso);
    // Windows 10 runs on either; the user picked UEFI.
    assert_eq!(plan.firmware, Firmware::Bios);
    plan.firmware = Firmware::Uefi;
    assert_eq!(plan.devices.disk_bus, DiskBus::Sata);
    assert_eq!(plan.devices.nic_model, "e1000e");
    let xml = proposed_xml(&conn, &plan).unwrap();
    golden("win10-iso-uefi-sata.xml", &norm(&xml, dir.path()));
    let (defined, _) = create_ok(&conn, &plan);
    let d = parse_domain(&defined).unwrap();
    assert_eq!(d.firmware, "UEFI");
    let targets: Vec<_> = d
        .disks
        .iter()
        .map(|x| (x.target.as_str(), x.bus.as_str()))
        .collect();
    assert_eq!(targets, [("sda", "sata"), ("sdb", "sata")]);
    assert_eq!(d.nics[0].model, "e1000e");
    // Windows 11 needs UEFI: chosen by default where the host offers it, not otherwise.
    let w11 = db.lookup_short_id("win11").unwrap();
    assert_eq!(CreatePlan::for_os(w11, &options).firmware, Firmware::Uefi);
    let bios_only = as_kvm_host(create_options(&conn).unwrap(), false);
    assert_eq!(CreatePlan::for_os(w11, &bios_only).firmware, Firmware::Bios);
}

#[test]
fn fedora_import_in_place_on_a_bridge() {
    let conn = open();
    // The test driver knows the interfaces it is told about.
    conn.define_interface_xml(
        "<interface type='bridge' name='br0'><start mode='onboot'/>\
         <bridge><interface type='ethernet' name='eth0'/></bridge></interface>",
        0,
    )
    .unwrap();
    let options = create_options(&conn).unwrap();
    assert_eq!(options.bridges, ["br0"]);
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("fedora-37.qcow2");
    write_qcow2_header(&image, 10 * GIB);
    let mut plan = plan_for(&conn, "http://fedoraproject.org/fedora/37", false);
    plan.source = InstallSource::Import {
        path: image.clone(),
        copy_into_pool: None,
    };
    plan.storage = StorageChoice::None;
    plan.network = NetworkChoice::Bridge("br0".into());
    let xml = proposed_xml(&conn, &plan).unwrap();
    golden(
        "fedora37-import-inplace-bridge.xml",
        &norm(&xml, dir.path()),
    );
    let before = create_options(&conn).unwrap().pools;
    let (defined, steps) = create_ok(&conn, &plan);
    assert_eq!(steps, [CreateStep::Validating, CreateStep::Defining]);
    let d = parse_domain(&defined).unwrap();
    assert_eq!(
        (d.disks[0].source.as_str(), d.disks[0].format.as_str()),
        (image.to_str().unwrap(), "qcow2")
    );
    assert_eq!(
        (d.nics[0].kind.as_str(), d.nics[0].source.as_str()),
        ("bridge", "br0")
    );
    assert_eq!(
        create_options(&conn).unwrap().pools,
        before,
        "in place: no volume"
    );
}

#[test]
fn url_install_without_disk_or_network() {
    let conn = open();
    let mut plan = plan_for(&conn, "http://libosinfo.org/linux/2022", false);
    plan.source = InstallSource::Url(
        "https://deb.debian.org/debian/dists/bookworm/main/installer-amd64/current/images/netboot/mini.iso"
            .into(),
    );
    plan.storage = StorageChoice::None;
    plan.network = NetworkChoice::None;
    let xml = proposed_xml(&conn, &plan).unwrap();
    golden("linux2022-url-nodisk-nonetwork.xml", &xml);
    let (defined, _) = create_ok(&conn, &plan);
    let d = parse_domain(&defined).unwrap();
    assert_eq!(d.disks.len(), 1);
    assert!(defined.contains("protocol='https'"), "{defined}");
    assert!(
        defined.contains("<host name='deb.debian.org' port='443'/>"),
        "{defined}"
    );
    assert!(d.nics.is_empty());
}

#[test]
fn options_from_the_test_driver() {
    let conn = open();
    let o = create_options(&conn).unwrap();
    let pools: Vec<_> = o
        .pools
        .iter()
        .map(|p| (p.name.as_str(), p.active, p.kind.as_str()))
        .collect();
    assert_eq!(pools, [("data", true, "dir"), ("default", true, "dir")]);
    let default = &o.pools[1];
    assert_eq!(default.path, "/var/lib/libvirt/images");
    assert!(default.available_bytes > 0 && default.available_bytes <= default.capacity_bytes);
    let vols: Vec<_> = default
        .volumes
        .iter()
        .map(|v| (v.name.as_str(), v.format.as_str()))
        .collect();
    assert_eq!(
        vols,
        [
            ("build.qcow2", "qcow2"),
            ("db.qcow2", "qcow2"),
            ("web-uefi.qcow2", "qcow2")
        ]
    );
    let nets: Vec<_> = o
        .networks
        .iter()
        .map(|n| (n.name.as_str(), n.mode.as_str(), n.active))
        .collect();
    assert_eq!(
        nets,
        [("default", "nat", true), ("isolated", "isolated", true)]
    );
    // No domain capabilities on the test driver: BIOS only.
    assert!(!o.uefi_available);
    assert_eq!(o.virt_type, "test");
    assert_eq!((o.host_cpus, o.host_memory_kib), (16, 33554432));
    assert!(o.existing_names.contains(&"web-uefi".to_owned()));
    assert!(o.bridges.is_empty());
    // Warnings for more than the host has.
    assert_eq!(create::resource_warnings(16, 1 << 20, &o).len(), 0);
    let w = create::resource_warnings(32, 64 << 20, &o);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("32") && w[1].contains("64 GiB"), "{w:?}");
}

#[test]
fn bad_names_are_refused_before_anything_happens() {
    let conn = open();
    let mut plan = plan_for(&conn, "http://debian.org/debian/12", false);
    plan.name = "web-uefi".into();
    create_fails(&conn, &plan, "already exists");
    plan.name = "bad/name".into();
    create_fails(&conn, &plan, "cannot contain");
    plan.name = "-dash".into();
    create_fails(&conn, &plan, "cannot start");
    plan.name = String::new();
    create_fails(&conn, &plan, "Enter a name");
}

#[test]
fn a_disk_larger_than_the_pool_names_both_sizes() {
    let conn = open();
    let free = conn
        .lookup_storage_pool_by_name("default")
        .unwrap()
        .info()
        .unwrap()
        .available;
    let mut plan = plan_for(&conn, "http://debian.org/debian/12", false);
    plan.storage = StorageChoice::NewVolume {
        pool: "default".into(),
        size_bytes: 500 * GIB,
    };
    let e = create_fails(&conn, &plan, "500 GiB");
    assert!(
        e.message.contains(&kvm_manager::i18n::bytes(free)),
        "{}",
        e.message
    );
    assert!(e.message.contains("“default”"), "{}", e.message);
    assert!(!e.hint.is_empty());
    plan.storage = StorageChoice::NewVolume {
        pool: "gone".into(),
        size_bytes: GIB,
    };
    create_fails(&conn, &plan, "“gone” no longer exists");
    plan.storage = StorageChoice::Existing {
        pool: "default".into(),
        volume: "nope.qcow2".into(),
    };
    create_fails(&conn, &plan, "“nope.qcow2” no longer exists");
}

#[test]
fn unreadable_or_wrong_install_sources() {
    let conn = open();
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_for(&conn, "http://debian.org/debian/12", false);
    plan.source = InstallSource::Iso(dir.path().join("missing.iso"));
    let e = create_fails(&conn, &plan, "Cannot read");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.hint.contains("file"), "{}", e.hint);
    let text = dir.path().join("readme.txt");
    std::fs::write(&text, "not an image").unwrap();
    plan.source = InstallSource::Iso(text);
    create_fails(&conn, &plan, "not an ISO 9660");
    plan.source = InstallSource::Url("ftp://ftp.debian.org/debian/mini.iso".into());
    create_fails(&conn, &plan, "http://");
    let vmdk = dir.path().join("old.vmdk");
    std::fs::write(&vmdk, b"KDMV\x01\0\0\0").unwrap();
    plan.source = InstallSource::Import {
        path: vmdk,
        copy_into_pool: None,
    };
    create_fails(&conn, &plan, "qemu-img convert");
}

#[test]
fn a_template_naming_a_vanished_network_or_bridge() {
    let conn = open();
    let mut plan = plan_for(&conn, "http://debian.org/debian/12", false);
    plan.network = NetworkChoice::Network("lab-net".into());
    create_fails(&conn, &plan, "“lab-net” no longer exists");
    plan.network = NetworkChoice::Bridge("br-lab".into());
    create_fails(&conn, &plan, "no bridge “br-lab”");
}

#[test]
fn no_orphaned_volume_after_libvirt_rejects_the_domain() {
    let conn = open();
    let mut plan = plan_for(&conn, "http://debian.org/debian/12", false);
    plan.name = "orphan".into();
    // The user's edited XML passes our checks (well-formed, good name) but libvirt's
    // schema validation refuses it, after the volume was created.
    plan.custom_xml = Some(
        "<domain type='kvm'><name>orphan</name><memory>lots</memory>\
         <os><type>hvm</type></os></domain>"
            .into(),
    );
    let before = host_state(&conn);
    let mut steps = Vec::new();
    let e = create::create(&conn, &plan, &mut |s| steps.push(s)).unwrap_err();
    assert!(steps.contains(&CreateStep::CreatingVolume {
        pool: "default".into(),
        volume: "orphan.qcow2".into()
    }));
    assert_eq!(steps.last(), Some(&CreateStep::RollingBack));
    assert!(!e.message.is_empty());
    assert_eq!(host_state(&conn), before, "volume left behind: {e}");
}

#[test]
fn a_failed_upload_removes_the_new_volume() {
    let conn = open();
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("appliance.qcow2");
    write_qcow2_header(&image, 4 * GIB);
    let mut plan = plan_for(&conn, "http://debian.org/debian/12", false);
    plan.source = InstallSource::Import {
        path: image,
        copy_into_pool: Some("default".into()),
    };
    plan.storage = StorageChoice::None;
    // The test driver cannot upload into volumes (virStorageVolUpload): the copy fails
    // after its volume was created.
    let e = create_fails(&conn, &plan, "virStorageVolUpload");
    assert_eq!(e.kind, ErrorKind::Unsupported);
}

#[test]
fn custom_xml_is_defined_but_may_not_take_over_a_machine() {
    let conn = open();
    let mut plan = plan_for(&conn, "http://debian.org/debian/12", false);
    plan.storage = StorageChoice::None;
    plan.name = "custom".into();
    let xml = proposed_xml(&conn, &plan).unwrap();
    plan.custom_xml = Some(xml.replace(
        "<name>custom</name>",
        "<name>custom</name>\n  <title>Edited</title>",
    ));
    let (defined, _) = create_ok(&conn, &plan);
    assert_eq!(parse_domain(&defined).unwrap().title, "Edited");

    plan.name = "custom2".into();
    let xml = proposed_xml(&conn, &plan).unwrap();
    let hijack = xml.replace(
        "<name>custom2</name>",
        "<name>custom2</name>\n  <uuid>5f0b2a7e-1c1d-4c59-9a3e-000000000001</uuid>",
    );
    plan.custom_xml = Some(hijack);
    create_fails(&conn, &plan, "UUID");
    plan.custom_xml = Some(xml.replace("<name>custom2</name>", "<name>web-uefi</name>"));
    create_fails(&conn, &plan, "already exists");
    plan.custom_xml = Some("<domain><name>x</name>".into());
    create_fails(&conn, &plan, "not well-formed");
}

#[test]
fn worker_commands_create_and_announce_the_machine() {
    let c = spawn(&states_uri());
    c.list();
    c.handle.send(Command::CreateOptions);
    let options = match c.wait_for("CreateOptions", |e| matches!(e, Event::CreateOptions(_))) {
        Event::CreateOptions(r) => r.unwrap(),
        _ => unreachable!(),
    };
    let db = osdb();
    let mut plan = CreatePlan::for_os(db.lookup_short_id("debian12").unwrap(), &options);
    plan.storage = StorageChoice::NewVolume {
        pool: "default".into(),
        size_bytes: 8 * GIB,
    };
    c.handle.send(Command::ProposeXml {
        plan: Box::new(plan.clone()),
    });
    match c.wait_for("ProposedXml", |e| matches!(e, Event::ProposedXml(_))) {
        Event::ProposedXml(Ok(xml)) => assert!(xml.contains("<domain type=\"test\">"), "{xml}"),
        other => panic!("{other:?}"),
    }
    c.handle.send(Command::Create {
        plan: Box::new(plan.clone()),
    });
    let mut progress = Vec::new();
    let mut announced = false;
    let created = loop {
        match c.wait_for("Created", |_| true) {
            Event::CreateProgress(s) => progress.push(s),
            Event::VmChanged(s) if s.name == plan.name => announced = true,
            Event::Created(r) => break r.unwrap(),
            _ => {}
        }
    };
    assert!(
        announced,
        "VmChanged for the new machine comes before Created"
    );
    assert_eq!(created.name, "debian12");
    assert_eq!(progress.first(), Some(&CreateStep::Validating));
    assert_eq!(progress.last(), Some(&CreateStep::Defining));
    // A second create with the same plan: the name is taken now.
    c.handle.send(Command::Create {
        plan: Box::new(plan),
    });
    match c.wait_for("Created", |e| matches!(e, Event::Created(_))) {
        Event::Created(Err(e)) => assert!(e.message.contains("already exists"), "{e}"),
        other => panic!("{other:?}"),
    }
}
