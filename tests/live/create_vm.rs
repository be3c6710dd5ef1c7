//! Live: a machine created through the worker's `Create` command from an imported disk
//! image, copied into the rig's pool with a libvirt upload stream, boots from that disk.
//!
//! The image is made here without mounting anything: a FAT file system (mkfs.fat) made
//! bootable with syslinux's mtools installer, holding the rig guest's kernel (the bzImage
//! from build/live-cache) and initramfs and a syslinux.cfg, converted to qcow2. SeaBIOS
//! boots its boot sector from the virtio disk; syslinux loads the kernel and adds
//! `BOOT_IMAGE=` to the command line, which proves the disk, not direct kernel boot,
//! started it. The packages (dosfstools, mtools, syslinux) come with `rig.py deps`.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use kvm_manager::backend::create::{
    CreatePlan, CreateStep, InstallSource, NetworkChoice, StorageChoice,
};
use kvm_manager::backend::osinfo::OsDb;
use kvm_manager::backend::xml::{parse_domain, parse_tree};
use kvm_manager::backend::{Command, Event, VmAction};

use crate::support::*;

pub const CREATED: &str = "kvmm-test-created";
const BROKEN: &str = "kvmm-test-broken";
const POOL: &str = "kvmm-test-pool";
const NETWORK: &str = "kvmm-test-net";
const CMDLINE: &str = "console=ttyS0 panic=-1 loglevel=4 acpi=noirq";

fn run(argv: &[&str]) {
    let out = Process::new(argv[0])
        .args(&argv[1..])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (rig.py deps installs it)", argv[0]));
    assert!(
        out.status.success(),
        "{argv:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The rig guest's cache entry: (bzImage, initramfs).
fn guest_files() -> (PathBuf, PathBuf) {
    let cache = repo().join("build/live-cache");
    let dir = std::fs::read_dir(&cache)
        .expect("build/live-cache (made by rig.py up)")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("manifest.json").exists() && p.join("vmlinuz").exists())
        .expect("a built guest in build/live-cache");
    (dir.join("vmlinuz"), dir.join("initrd.img"))
}

/// A bootable qcow2 disk image in `dir` (see the module doc).
fn bootable_image(dir: &Path) -> PathBuf {
    let (kernel, initrd) = guest_files();
    let raw = dir.join("boot.img");
    let cfg = dir.join("syslinux.cfg");
    std::fs::write(
        &cfg,
        format!(
            "DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL vmlinuz\n  \
             APPEND initrd=initrd.img {CMDLINE}\n"
        ),
    )
    .unwrap();
    let img = raw.to_str().unwrap();
    // 32 MiB, no partition table: the FAT boot sector is the disk's first sector.
    run(&["mkfs.fat", "-C", "-n", "KVMMBOOT", img, "32768"]);
    run(&["syslinux", "--install", img]);
    for (from, to) in [
        (kernel.as_path(), "::vmlinuz"),
        (initrd.as_path(), "::initrd.img"),
        (cfg.as_path(), "::syslinux.cfg"),
    ] {
        run(&["mcopy", "-i", img, from.to_str().unwrap(), to]);
    }
    let qcow2 = dir.join("kvmm-boot.qcow2");
    run(&[
        "qemu-img",
        "convert",
        "-f",
        "raw",
        "-O",
        "qcow2",
        img,
        qcow2.to_str().unwrap(),
    ]);
    qcow2
}

fn rig_virt_type() -> String {
    let xml = virsh_ok(&["dumpxml", DOMAIN]);
    parse_tree(&xml)
        .unwrap()
        .attr("type")
        .unwrap_or("qemu")
        .to_owned()
}

fn pool_volumes() -> Vec<String> {
    let mut v: Vec<String> = virsh_ok(&["vol-list", POOL])
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    v.sort();
    v
}

fn cleanup() {
    for name in [CREATED, BROKEN] {
        virsh(&["destroy", name]);
        virsh(&["undefine", name, "--nvram"]);
        virsh(&["vol-delete", "--pool", POOL, &format!("{name}.qcow2")]);
    }
}

/// Send `Create` and collect its progress; returns the result.
fn create(
    live: &Live,
    plan: &CreatePlan,
) -> (
    Vec<CreateStep>,
    bool,
    Result<kvm_manager::backend::VmSummary, kvm_manager::backend::BackendError>,
) {
    live.handle.send(Command::Create {
        plan: Box::new(plan.clone()),
    });
    let mut steps = Vec::new();
    let mut announced = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match live.rx.recv_timeout(left).expect("Created within 120 s") {
            Event::CreateProgress(s) => steps.push(s),
            Event::VmChanged(s) if s.name == plan.name => announced = true,
            Event::Created(r) => return (steps, announced, r),
            _ => {}
        }
    }
}

pub fn created_from_imported_disk_boots() {
    cleanup();
    let live = Live::connect();
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let image = bootable_image(dir.path());
    let image_bytes = std::fs::metadata(&image).unwrap().len();
    println!(
        "bootable qcow2 image: {image_bytes} bytes in {:?}",
        t.elapsed()
    );

    live.handle.send(Command::CreateOptions);
    let options = match live.wait_for("CreateOptions", EVENT, |e| {
        matches!(e, Event::CreateOptions(_))
    }) {
        Event::CreateOptions(r) => r.expect("create options"),
        _ => unreachable!(),
    };
    println!(
        "options: virt {} {} {:?}, UEFI {}, pools {:?}, networks {:?}, bridges {:?}",
        options.virt_type,
        options.arch,
        options.machine,
        options.uefi_available,
        options.pools.iter().map(|p| &p.name).collect::<Vec<_>>(),
        options
            .networks
            .iter()
            .map(|n| (&n.name, &n.mode))
            .collect::<Vec<_>>(),
        options.bridges
    );
    assert!(options.pools.iter().any(|p| p.name == POOL && p.active));
    assert!(options
        .networks
        .iter()
        .any(|n| n.name == NETWORK && n.mode == "nat"));
    // OVMF with its firmware descriptors is installed with qemu-system-x86.
    let ovmf = Path::new("/usr/share/qemu/firmware/60-edk2-x86_64.json").exists();
    assert_eq!(options.uefi_available, ovmf);

    let db = OsDb::load_default().expect("osinfo-db");
    let os = db.lookup("http://libosinfo.org/linux/2022").unwrap();
    let mut plan = CreatePlan::for_os(os, &options);
    plan.name = CREATED.into();
    plan.source = InstallSource::Import {
        path: image.clone(),
        copy_into_pool: Some(POOL.into()),
    };
    plan.storage = StorageChoice::None;
    plan.network = NetworkChoice::Network(NETWORK.into());
    // /dev/kvm does not run guests on this kind of machine: TCG, as the rig does.
    plan.virt_type = rig_virt_type();
    plan.vcpus = 1;
    plan.memory_kib = 256 * 1024;

    let before = pool_volumes();
    let (steps, announced, result) = create(&live, &plan);
    let summary = result.expect("create");
    println!("created {} in steps {steps:?}", summary.name);
    assert!(announced, "VmChanged before Created");
    let volume = format!("{CREATED}.qcow2");
    assert!(steps.contains(&CreateStep::CreatingVolume {
        pool: POOL.into(),
        volume: volume.clone()
    }));
    assert!(
        steps.contains(&CreateStep::Uploading {
            volume: volume.clone(),
            sent_bytes: image_bytes,
            total_bytes: image_bytes
        }),
        "{steps:?}"
    );
    // The volume holds exactly the uploaded image.
    let vol_path = virsh_ok(&["vol-path", "--pool", POOL, &volume]);
    assert_eq!(
        std::fs::read(&vol_path).unwrap(),
        std::fs::read(&image).unwrap(),
        "uploaded bytes differ"
    );
    let vol_xml = parse_tree(&virsh_ok(&["vol-dumpxml", "--pool", POOL, &volume])).unwrap();
    let format = vol_xml.child("target").and_then(|t| t.child("format"));
    assert_eq!(format.and_then(|f| f.attr("type")), Some("qcow2"));
    let xml = virsh_ok(&["dumpxml", CREATED]);
    assert!(!xml.contains("<kernel>"), "no direct kernel boot: {xml}");

    assert_eq!(live.act_on(&summary.uuid, VmAction::Start), Ok(()));
    let t = Instant::now();
    let details = parse_domain(&virsh_ok(&["dumpxml", CREATED])).unwrap();
    let mut shell = Shell::open(&details);
    assert!(
        shell.await_output(MARKER, BOOT),
        "{CREATED} did not boot to {MARKER} within {BOOT:?}"
    );
    println!("booted from the imported disk in {:?}", t.elapsed());
    let cmdline = shell.run("cat /proc/cmdline");
    assert!(cmdline.contains("BOOT_IMAGE=vmlinuz"), "{cmdline}");
    assert_eq!(shell.run("test -b /dev/vda && echo disk"), "disk");
    assert_eq!(live.act_on(&summary.uuid, VmAction::ForceOff), Ok(()));

    // On the real daemon too, a failure after the upload leaves no volume: libvirt
    // rejects the edited XML after the copy into the pool.
    let mut broken = plan.clone();
    broken.name = BROKEN.into();
    broken.custom_xml = Some(format!(
        "<domain type='qemu'><name>{BROKEN}</name><memory>lots</memory>\
         <os><type>hvm</type></os></domain>"
    ));
    let with_created = pool_volumes();
    let (steps, _, result) = create(&live, &broken);
    let e = result.expect_err("libvirt refuses the edited XML");
    println!("broken create: {e}; steps {steps:?}");
    assert_eq!(steps.last(), Some(&CreateStep::RollingBack));
    assert!(steps
        .iter()
        .any(|s| matches!(s, CreateStep::Uploading { .. })));
    assert_eq!(pool_volumes(), with_created, "volume left behind");
    assert!(
        !virsh(&["dominfo", BROKEN]).status.success(),
        "{BROKEN} defined"
    );
    cleanup();
    assert_eq!(pool_volumes(), before);
}
