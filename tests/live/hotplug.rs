//! Live disk hot-plug (tests/live.rs runs these last, as `o_`, `p_`, `q_`): a new volume
//! attached to the running guest appears in its /sys/block and goes again on detach; a
//! disk attached to the shut-off guest lands in its configuration only; a SATA CD-ROM
//! drive takes an ISO, ejects it and takes it again while the guest runs. Each test
//! leaves the guest with the rig's disks (the SATA controller libvirt adds for the
//! CD-ROM drive stays in its definition); what it creates is named kvmm-test-*, so
//! `rig.py down` removes what a failed run leaves.

use std::os::unix::fs::PermissionsExt;
use std::process::Command as Process;
use std::time::Duration;

use kvm_manager::backend::hotplug::{
    AttachRequest, AttachSource, DiskBus, DiskCommand, DiskDevice, DiskEvent,
};
use kvm_manager::backend::{Applied, BackendError, Command, ErrorKind, Event};

use crate::support::*;

const POOL: &str = "kvmm-test-pool";
const MIB: u64 = 1 << 20;

fn run_disk(live: &Live, cmd: DiskCommand) -> (String, Result<Applied, BackendError>) {
    live.handle.send(Command::Disk(cmd));
    match live.wait_for("Event::Disk", Duration::from_secs(60), |e| {
        matches!(e, Event::Disk(_))
    }) {
        Event::Disk(DiskEvent::Done {
            message, result, ..
        }) => {
            println!("disk request: {message} → {result:?}");
            (message, result)
        }
        _ => unreachable!(),
    }
}

fn new_volume(live: &Live, name: &str, bus: DiskBus) -> (String, Result<Applied, BackendError>) {
    run_disk(
        live,
        DiskCommand::Attach(AttachRequest {
            uuid: live.uuid.clone(),
            source: AttachSource::NewVolume {
                pool: POOL.into(),
                name: name.into(),
                capacity: 16 * MIB,
                format: "qcow2".into(),
            },
            device: DiskDevice::Disk,
            bus,
            target: None,
            readonly: false,
        }),
    )
}

fn detach(live: &Live, target: &str) -> (String, Result<Applied, BackendError>) {
    run_disk(
        live,
        DiskCommand::Detach {
            uuid: live.uuid.clone(),
            target: target.into(),
        },
    )
}

/// Targets of the guest's disks: live (`dumpxml`) or configured (`--inactive`).
fn targets(inactive: bool) -> Vec<String> {
    let mut args = vec!["dumpxml"];
    if inactive {
        args.push("--inactive");
    }
    args.push(DOMAIN);
    let d = kvm_manager::backend::xml::parse_domain(&virsh_ok(&args)).unwrap();
    d.disks.into_iter().map(|d| d.target).collect()
}

fn source_of(target: &str, inactive: bool) -> String {
    let mut args = vec!["dumpxml"];
    if inactive {
        args.push("--inactive");
    }
    args.push(DOMAIN);
    let d = kvm_manager::backend::xml::parse_domain(&virsh_ok(&args)).unwrap();
    d.disks
        .into_iter()
        .find(|d| d.target == target)
        .map(|d| d.source)
        .unwrap_or_else(|| panic!("no {target}"))
}

fn delete_volume(name: &str) {
    let _ = virsh(&["vol-delete", name, "--pool", POOL]);
}

fn pool_has(name: &str) -> bool {
    virsh_ok(&["vol-list", POOL, "--details"]).contains(name)
}

/// A new 16 MiB volume on VirtIO: the guest's kernel sees /dev/vdb appear with 32768
/// sectors, and disappear again on detach; the volume itself stays in the pool.
pub fn hot_plug_and_detach_a_new_volume() {
    ensure_running();
    let live = Live::connect();
    let mut sh = Shell::open(&live.details());
    assert!(!sh.exists("/sys/block/vdb"), "vdb before the test");
    let name = "kvmm-test-hotplug.qcow2";
    delete_volume(name);

    let (message, r) = new_volume(&live, name, DiskBus::Virtio);
    assert_eq!(r, Ok(Applied::Now), "{message}");
    assert!(message.contains("as “vdb”"), "{message}");
    // The fresh details follow the answer.
    match live.wait_for("Details", EVENT, |e| matches!(e, Event::Details(_))) {
        Event::Details(Ok(d)) => assert!(d.disks.iter().any(|d| d.target == "vdb")),
        other => panic!("{other:?}"),
    }
    // Live and saved (the guest is persistent).
    assert!(targets(false).contains(&"vdb".to_string()));
    assert!(targets(true).contains(&"vdb".to_string()));
    wait_until("/sys/block/vdb in the guest", EVENT, || {
        sh.exists("/sys/block/vdb").then_some(())
    });
    assert_eq!(sh.run("cat /sys/block/vdb/size"), "32768");

    // SATA cannot be hot-plugged: refused before QEMU is asked, nothing created.
    let (_, r) = new_volume(&live, "kvmm-test-sata.qcow2", DiskBus::Sata);
    assert_eq!(r.unwrap_err().kind, ErrorKind::InvalidState);
    assert!(!pool_has("kvmm-test-sata.qcow2"));

    let (message, r) = detach(&live, "vdb");
    println!("detach: {message}");
    assert_eq!(
        r,
        Ok(Applied::Now),
        "the guest did not release vdb: {message}"
    );
    wait_until("/sys/block/vdb gone from the guest", EVENT, || {
        (!sh.exists("/sys/block/vdb")).then_some(())
    });
    assert!(!targets(false).contains(&"vdb".to_string()));
    assert!(!targets(true).contains(&"vdb".to_string()));
    assert!(pool_has(name), "detach keeps the volume");
    delete_volume(name);
}

/// Attached to the shut-off guest: in its configuration, nothing started; detached the
/// same way.
pub fn attach_to_the_stopped_guest_is_persistent() {
    ensure_off();
    let live = Live::connect();
    let name = "kvmm-test-cold.qcow2";
    delete_volume(name);
    let (message, r) = new_volume(&live, name, DiskBus::Sata);
    assert_eq!(r, Ok(Applied::Now), "{message}");
    assert!(message.contains("as “sda”"), "{message}");
    assert!(targets(true).contains(&"sda".to_string()));
    assert_eq!(domstate(), "shut off");
    let (_, r) = detach(&live, "sda");
    assert_eq!(r, Ok(Applied::Now));
    assert!(!targets(true).contains(&"sda".to_string()));
    delete_volume(name);
}

/// An ISO made with xorriso (or, without it, any small file).
fn make_iso(dir: &std::path::Path) -> String {
    let content = dir.join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("hello.txt"), "KVMM hot-plug test\n").unwrap();
    let iso = dir.join("kvmm-test.iso");
    let made = Process::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-V", "KVMMTEST", "-o"])
        .arg(&iso)
        .arg(&content)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !made {
        println!("xorriso not available: a plain file stands in for the ISO");
        std::fs::write(&iso, vec![0u8; 64 * 1024]).unwrap();
    }
    std::fs::set_permissions(&iso, std::fs::Permissions::from_mode(0o644)).unwrap();
    iso.display().to_string()
}

/// A SATA CD-ROM drive added while the guest is off, then, running: eject, insert, and
/// the refusals (eject a disk; a missing file).
pub fn cdrom_insert_and_eject() {
    let dir = tempfile::Builder::new()
        .prefix("kvmm-test-iso-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let iso = make_iso(dir.path());
    ensure_off();
    let live = Live::connect();
    let (message, r) = run_disk(
        &live,
        DiskCommand::Attach(AttachRequest {
            uuid: live.uuid.clone(),
            source: AttachSource::File { path: iso.clone() },
            device: DiskDevice::Cdrom,
            bus: DiskBus::Sata,
            target: None,
            readonly: true,
        }),
    );
    assert_eq!(r, Ok(Applied::Now), "{message}");
    assert_eq!(source_of("sda", true), iso);

    ensure_running();
    let media = |path: Option<&str>| {
        run_disk(
            &live,
            DiskCommand::ChangeMedia {
                uuid: live.uuid.clone(),
                target: "sda".into(),
                path: path.map(str::to_owned),
            },
        )
    };
    let (message, r) = media(None);
    assert_eq!(r, Ok(Applied::Now), "{message}");
    assert_eq!(source_of("sda", false), "", "live: ejected");
    assert_eq!(source_of("sda", true), "", "saved: ejected");
    let (message, r) = media(Some(&iso));
    assert_eq!(r, Ok(Applied::Now), "{message}");
    assert_eq!(source_of("sda", false), iso);
    assert_eq!(source_of("sda", true), iso);

    let (_, r) = media(Some("/nonexistent/kvmm-test.iso"));
    assert!(r.unwrap_err().message.contains("does not exist"));
    let (_, r) = run_disk(
        &live,
        DiskCommand::ChangeMedia {
            uuid: live.uuid.clone(),
            target: "vda".into(),
            path: None,
        },
    );
    assert!(r.unwrap_err().message.contains("not a CD-ROM drive"));

    // Back to the rig's definition.
    ensure_off();
    let (_, r) = detach(&live, "sda");
    assert_eq!(r, Ok(Applied::Now));
    assert_eq!(targets(true), ["vda"]);
}
