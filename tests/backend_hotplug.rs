//! Disks on a machine (src/backend/hotplug) against libvirt's test driver and the
//! states.xml fixture. The test driver has no device attach, detach or update
//! (virDomainAttachDeviceFlags & co. answer "not supported"), so what is tested here is
//! everything before that call (every refusal, the target choice), the device XML (golden
//! files in tests/fixtures/golden/hotplug-*.xml; `UPDATE_GOLDEN=1` rewrites them), and
//! that a failed attach leaves nothing behind: the new volume is deleted again. The real
//! attach and detach run on the live rig (tests/live/hotplug.rs).

mod common;

use std::time::Duration;

use common::{golden, spawn, states_uri};
use kvm_manager::backend::hotplug::xml::{
    disk_xml, scsi_controller_xml, volume_xml, DiskSourceXml, DiskXml,
};
use kvm_manager::backend::hotplug::{
    self, free_target, AttachRequest, AttachSource, DiskBus, DiskCommand, DiskDevice, DiskEvent,
};
use kvm_manager::backend::{Applied, BackendError, Command, ErrorKind, Event};
use virt::connect::Connect;

const WEB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000001"; // running; vda, vdb, empty sda
const BUILD: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000003"; // shut off; vda, vdb
const SAVED: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000006"; // shut off, no disks
const MIB: u64 = 1 << 20;

fn open() -> Connect {
    Connect::open(Some(&states_uri())).unwrap()
}

fn request(uuid: &str, source: AttachSource, device: DiskDevice, bus: DiskBus) -> AttachRequest {
    AttachRequest {
        uuid: uuid.into(),
        source,
        device,
        bus,
        target: None,
        readonly: false,
    }
}

fn file(path: &str) -> AttachSource {
    AttachSource::File { path: path.into() }
}

fn attach(conn: &Connect, req: AttachRequest) -> (String, Result<Applied, BackendError>) {
    hotplug::run(conn, &DiskCommand::Attach(req))
}

fn refused(conn: &Connect, req: AttachRequest) -> BackendError {
    let (message, r) = attach(conn, req);
    assert!(message.starts_with("Could not attach"), "{message}");
    r.unwrap_err()
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

#[test]
fn targets_are_the_first_free_name_of_the_bus() {
    let have: Vec<String> = ["vda", "vdb", "sda"].map(String::from).to_vec();
    assert_eq!(free_target(&have, DiskBus::Virtio), "vdc");
    assert_eq!(free_target(&have, DiskBus::Sata), "sdb");
    assert_eq!(free_target(&have, DiskBus::Scsi), "sdb");
    assert_eq!(free_target(&[], DiskBus::Scsi), "sda");
}

#[test]
fn a_target_in_use_or_not_named_for_its_bus_is_refused() {
    let conn = open();
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("data.img");
    std::fs::write(&img, b"raw").unwrap();
    let img = img.to_str().unwrap();

    let mut req = request(WEB, file(img), DiskDevice::Disk, DiskBus::Virtio);
    req.target = Some("vdb".into());
    let e = refused(&conn, req.clone());
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert_eq!(e.message, "“web-uefi” already has a disk “vdb”.");

    // The empty CD-ROM drive's name counts too, on every bus that uses `sd`.
    req.bus = DiskBus::Scsi;
    req.target = Some("sda".into());
    assert!(refused(&conn, req.clone())
        .message
        .contains("already has a disk “sda”"));

    req.target = Some("sdc".into());
    req.bus = DiskBus::Virtio;
    let e = refused(&conn, req.clone());
    assert_eq!(e.message, "“sdc” is not a name for a VirtIO disk.");
    assert!(e.hint.contains("“vd”"), "{e:?}");
    req.target = Some("vd1".into());
    assert_eq!(refused(&conn, req).kind, ErrorKind::InvalidInput);
}

#[test]
fn sata_on_a_running_machine_is_refused_up_front() {
    let conn = open();
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("cd.iso");
    std::fs::write(&iso, b"CD001").unwrap();
    let iso = iso.to_str().unwrap();
    for device in DiskDevice::ALL {
        let e = refused(&conn, request(WEB, file(iso), device, DiskBus::Sata));
        assert_eq!(e.kind, ErrorKind::InvalidState);
        assert_eq!(
            e.message,
            "QEMU cannot add a SATA device to the running machine “web-uefi”."
        );
        assert!(e.hint.starts_with("Shut “web-uefi” down"), "{e:?}");
    }
    // A CD-ROM drive is never on VirtIO.
    let e = refused(
        &conn,
        request(BUILD, file(iso), DiskDevice::Cdrom, DiskBus::Virtio),
    );
    assert_eq!(e.message, "A CD-ROM drive cannot be on the VirtIO bus.");
}

#[test]
fn a_file_must_exist_and_not_be_a_folder() {
    let conn = open();
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("missing.iso");
    let e = refused(
        &conn,
        request(
            BUILD,
            file(gone.to_str().unwrap()),
            DiskDevice::Cdrom,
            DiskBus::Sata,
        ),
    );
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert_eq!(e.message, format!("“{}” does not exist.", gone.display()));
    let e = refused(
        &conn,
        request(
            BUILD,
            file(dir.path().to_str().unwrap()),
            DiskDevice::Disk,
            DiskBus::Virtio,
        ),
    );
    assert!(
        e.message.ends_with("is a folder, not an image file."),
        "{e}"
    );
    let e = refused(
        &conn,
        request(
            BUILD,
            file("images/x.img"),
            DiskDevice::Disk,
            DiskBus::Virtio,
        ),
    );
    assert!(e.message.contains("not a full path"), "{e}");
}

#[test]
fn storage_a_running_machine_writes_to_is_refused() {
    let conn = open();
    // web-uefi (running) writes to data/web-data.raw as vdb.
    let vol = AttachSource::Volume {
        pool: "data".into(),
        name: "web-data.raw".into(),
    };
    let mut req = request(SAVED, vol.clone(), DiskDevice::Disk, DiskBus::Virtio);
    let e = refused(&conn, req.clone());
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert_eq!(
        e.message,
        "“/srv/images/web-data.raw” is in use by the running machine “web-uefi” as “vdb”."
    );
    // Read-only here does not help: the other machine writes to it.
    req.readonly = true;
    assert_eq!(refused(&conn, req).kind, ErrorKind::InvalidState);
    // The same file by path is the same storage.
    let e = refused(
        &conn,
        request(
            SAVED,
            file("/srv/images/web-data.raw"),
            DiskDevice::Disk,
            DiskBus::Virtio,
        ),
    );
    // (No such file on this computer: the path check comes first.)
    assert!(e.message.contains("does not exist"), "{e}");
    // A machine has each disk once.
    let e = refused(&conn, request(BUILD, vol, DiskDevice::Disk, DiskBus::Scsi));
    assert_eq!(
        e.message,
        "“/srv/images/web-data.raw” is already attached to “build-off” as “vdb”."
    );
}

#[test]
fn unknown_pools_and_volumes_are_named() {
    let conn = open();
    let e = refused(
        &conn,
        request(
            SAVED,
            AttachSource::Volume {
                pool: "nope".into(),
                name: "x".into(),
            },
            DiskDevice::Disk,
            DiskBus::Virtio,
        ),
    );
    assert_eq!(e.message, "There is no storage pool “nope”.");
    let e = refused(
        &conn,
        request(
            SAVED,
            AttachSource::Volume {
                pool: "default".into(),
                name: "x.qcow2".into(),
            },
            DiskDevice::Disk,
            DiskBus::Virtio,
        ),
    );
    assert_eq!(e.message, "Pool “default” has no volume “x.qcow2”.");
}

fn new_volume(name: &str, capacity: u64, format: &str) -> AttachSource {
    AttachSource::NewVolume {
        pool: "default".into(),
        name: name.into(),
        capacity,
        format: format.into(),
    }
}

#[test]
fn bad_new_volumes_are_refused_and_nothing_is_created() {
    let conn = open();
    let before = volumes(&conn, "default");
    let cases = [
        (
            new_volume("db.qcow2", 16 * MIB, "qcow2"),
            "already has a volume “db.qcow2”",
        ),
        (
            new_volume("a/b.qcow2", 16 * MIB, "qcow2"),
            "cannot be a volume name",
        ),
        (new_volume("x.qcow2", 0, "qcow2"), "size above zero"),
        (
            new_volume("x.vmdk", 16 * MIB, "vmdk"),
            "not a volume format",
        ),
        // The test driver's pools report 100 GiB free.
        (
            new_volume("x.raw", 200 << 30, "raw"),
            "does not fit into pool “default”",
        ),
    ];
    for (source, says) in cases {
        let e = refused(
            &conn,
            request(SAVED, source, DiskDevice::Disk, DiskBus::Virtio),
        );
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
        assert!(e.message.contains(says), "{says}: {e}");
    }
    let e = refused(
        &conn,
        request(
            SAVED,
            new_volume("x.qcow2", 16 * MIB, "qcow2"),
            DiskDevice::Cdrom,
            DiskBus::Sata,
        ),
    );
    assert!(e.message.contains("CD-ROM"), "{e}");
    assert_eq!(volumes(&conn, "default"), before);
}

#[test]
fn a_failed_attach_deletes_the_new_volume() {
    let conn = open();
    let before = volumes(&conn, "default");
    for bus in [DiskBus::Virtio, DiskBus::Scsi] {
        let (message, r) = attach(
            &conn,
            request(
                BUILD,
                new_volume("build-extra.qcow2", 16 * MIB, "qcow2"),
                DiskDevice::Disk,
                bus,
            ),
        );
        // The volume was created, then the attach (or, for SCSI, the controller it
        // needs) failed: the test driver has no device attach.
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported, "{e:?}");
        assert!(e.message.contains("virDomainAttachDeviceFlags"), "{e}");
        assert_eq!(
            message,
            "Could not attach “default/build-extra.qcow2” to “build-off”"
        );
        assert_eq!(volumes(&conn, "default"), before, "the new volume is gone");
    }
}

#[test]
fn detach_and_media_refusals() {
    let conn = open();
    let (message, r) = hotplug::run(
        &conn,
        &DiskCommand::Detach {
            uuid: WEB.into(),
            target: "vdz".into(),
        },
    );
    assert_eq!(message, "Could not detach “vdz” from “web-uefi”");
    assert_eq!(r.unwrap_err().message, "“web-uefi” has no disk “vdz”.");

    let (message, r) = hotplug::run(
        &conn,
        &DiskCommand::ChangeMedia {
            uuid: WEB.into(),
            target: "vda".into(),
            path: None,
        },
    );
    assert_eq!(message, "Could not eject “vda” of “web-uefi”");
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert_eq!(
        e.message,
        "“vda” of “web-uefi” is a disk, not a CD-ROM drive."
    );

    let (_, r) = hotplug::run(
        &conn,
        &DiskCommand::ChangeMedia {
            uuid: WEB.into(),
            target: "sda".into(),
            path: Some("/no/such/disc.iso".into()),
        },
    );
    assert_eq!(
        r.unwrap_err().message,
        "“/no/such/disc.iso” does not exist."
    );

    let (_, r) = hotplug::run(
        &conn,
        &DiskCommand::Detach {
            uuid: "5f0b2a7e-1c1d-4c59-9a3e-0000000000ff".into(),
            target: "vda".into(),
        },
    );
    assert_eq!(r.unwrap_err().kind, ErrorKind::NotFound);
}

/// Through the worker: `Event::Disk` answers, and a change is followed by fresh details.
#[test]
fn the_worker_answers_and_sends_fresh_details() {
    let c = spawn(&states_uri());
    c.list();
    // Ejecting the empty drive changes nothing and succeeds.
    c.handle.send(Command::Disk(DiskCommand::ChangeMedia {
        uuid: WEB.into(),
        target: "sda".into(),
        path: None,
    }));
    match c.wait_for("Event::Disk", |e| matches!(e, Event::Disk(_))) {
        Event::Disk(DiskEvent::Done {
            uuid,
            message,
            result,
        }) => {
            assert_eq!(uuid, WEB);
            assert_eq!(message, "Drive “sda” of “web-uefi” is empty");
            assert_eq!(result, Ok(Applied::Now));
        }
        other => panic!("{other:?}"),
    }
    match c.wait_for("Details", |e| matches!(e, Event::Details(_))) {
        Event::Details(Ok(d)) => assert_eq!(d.uuid, WEB),
        other => panic!("{other:?}"),
    }
    // A refusal gets no details after it.
    c.handle.send(Command::Disk(DiskCommand::Detach {
        uuid: WEB.into(),
        target: "vdz".into(),
    }));
    match c.wait_for("Event::Disk", |e| matches!(e, Event::Disk(_))) {
        Event::Disk(DiskEvent::Done { result, .. }) => assert!(result.is_err()),
        other => panic!("{other:?}"),
    }
    let after = c.drain(Duration::from_millis(300));
    assert!(
        !after.iter().any(|e| matches!(e, Event::Details(_))),
        "{after:?}"
    );
}

#[test]
fn device_xml_matches_the_golden_files() {
    let new_volume = disk_xml(&DiskXml {
        source: DiskSourceXml::Volume {
            pool: "default".into(),
            volume: "web-extra.qcow2".into(),
        },
        device: "disk".into(),
        bus: DiskBus::Virtio.as_xml().into(),
        target: "vdc".into(),
        format: "qcow2".into(),
        readonly: false,
    });
    golden("hotplug-virtio-volume.xml", &new_volume);
    let cdrom = disk_xml(&DiskXml {
        source: DiskSourceXml::File("/srv/iso/debian & friends.iso".into()),
        device: DiskDevice::Cdrom.as_xml().into(),
        bus: DiskBus::Sata.as_xml().into(),
        target: "sdb".into(),
        format: "raw".into(),
        readonly: false,
    });
    golden("hotplug-sata-cdrom.xml", &cdrom);
    let ejected = disk_xml(&DiskXml {
        source: DiskSourceXml::Empty,
        device: "cdrom".into(),
        bus: "ide".into(),
        target: "hdc".into(),
        format: "raw".into(),
        readonly: true,
    });
    golden("hotplug-ejected-cdrom.xml", &ejected);
    let block = disk_xml(&DiskXml {
        source: DiskSourceXml::Block("/dev/vg0/data".into()),
        device: "disk".into(),
        bus: DiskBus::Scsi.as_xml().into(),
        target: "sda".into(),
        format: "raw".into(),
        readonly: true,
    });
    golden("hotplug-scsi-block.xml", &block);
    golden("hotplug-scsi-controller.xml", &scsi_controller_xml());
    golden(
        "hotplug-new-volume.xml",
        &volume_xml("web-extra.qcow2", 16 * MIB, "qcow2"),
    );
}
