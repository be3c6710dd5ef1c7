//! Live tests of `Command::Edit` on the rig's guest: what the test driver cannot show
//! (QEMU's balloon and vCPU hot-plug, libvirt's real rename and redefine). Included by
//! tests/live.rs as `m_edit`, so these run after its lettered tests; each leaves the guest
//! defined as the rig made it (256 MiB, one vCPU, no tags, its boot order).

use std::time::{Duration, Instant};

use kvm_manager::backend::{summary, tags, xml, Applied, BootDevice, ErrorKind, VmEdit};

use crate::support::*;

const MIB: u64 = 1024;
const NS: &str = "https://github.com/kvmmanager/xmlns/vm/1.0";

fn inactive() -> kvm_manager::backend::VmDetails {
    xml::parse_domain(&virsh_ok(&["dumpxml", "--inactive", DOMAIN])).unwrap()
}

fn mem(current_mib: u64, max_mib: Option<u64>) -> VmEdit {
    VmEdit::Memory {
        current_kib: current_mib * MIB,
        max_kib: max_mib.map(|m| m * MIB),
    }
}

/// MemTotal of the guest in KiB, as its kernel sees it.
fn guest_memtotal(sh: &mut Shell) -> u64 {
    let line = sh.run("grep MemTotal /proc/meminfo");
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("MemTotal in {line:?}"))
}

/// The balloon moves live (Now); more than the guest started with waits for the next
/// start (NextBoot); a new maximum with an amount that fits is both (NowAndNextBoot).
#[test]
fn a_memory_balloon_live_and_maximum_at_next_boot() {
    if !enabled("m_edit::a_memory_balloon_live_and_maximum_at_next_boot") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let mut sh = Shell::open(&live.details());
    let driver = sh.run("test -d /sys/bus/virtio/drivers/virtio_balloon && echo yes || echo no");
    let before = guest_memtotal(&mut sh);

    let t = Instant::now();
    assert_eq!(live.edit(mem(192, None)), Ok(Applied::Now));
    let u = live.uuid.clone();
    let used = wait_until("libvirt to report 192 MiB", EVENT, || {
        let u = u.clone();
        let kib = live.on_conn(move |c| summary::lookup(c, &u).unwrap().info().unwrap().memory);
        (kib == 192 * MIB).then_some(kib)
    });
    if driver == "yes" {
        let after = wait_until("the guest to give up memory", EVENT, || {
            let now = guest_memtotal(&mut sh);
            (now + 48 * MIB <= before).then_some(now)
        });
        println!(
            "balloon to 192 MiB: libvirt {used} KiB, guest MemTotal {before} -> {after} KiB in {:?}",
            t.elapsed()
        );
    } else {
        println!("balloon to 192 MiB: libvirt {used} KiB (the guest has no balloon driver)");
    }

    match live.edit(mem(320, None)) {
        Ok(Applied::NextBoot { reason }) => {
            assert!(reason.contains("at most 256 MiB"), "{reason}");
            println!("320 MiB while running: next boot ({reason})");
        }
        other => panic!("{other:?}"),
    }
    let d = inactive();
    assert_eq!((d.memory_kib, d.max_memory_kib), (320 * MIB, 320 * MIB));

    match live.edit(mem(256, Some(384))) {
        Ok(Applied::NowAndNextBoot { reason }) => println!("new maximum: {reason}"),
        other => panic!("{other:?}"),
    }
    let d = inactive();
    assert_eq!((d.memory_kib, d.max_memory_kib), (256 * MIB, 384 * MIB));

    // Back to the rig's definition: the live maximum is 256 MiB already, so this is Now.
    assert_eq!(live.edit(mem(256, Some(256))), Ok(Applied::Now));
    let d = inactive();
    assert_eq!((d.memory_kib, d.max_memory_kib), (256 * MIB, 256 * MIB));
}

/// Beyond the vCPUs the guest started with: next boot. Started with room for two, one
/// more is plugged in live if QEMU and the guest take it (or saved for the next boot).
#[test]
fn b_vcpus_hot_plug_as_qemu_allows() {
    if !enabled("m_edit::b_vcpus_hot_plug_as_qemu_allows") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    match live.edit(VmEdit::Vcpus(2)) {
        Ok(Applied::NextBoot { reason }) => {
            assert!(reason.contains("at most 1 vCPU."), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((inactive().vcpus, inactive().max_vcpus), (2, 2));
    // One of two in the saved definition; start again with room to plug one in.
    assert_eq!(live.edit(VmEdit::Vcpus(1)), Ok(Applied::Now));
    assert_eq!((inactive().vcpus, inactive().max_vcpus), (1, 2));
    ensure_off();
    ensure_running();
    let mut sh = Shell::open(&live.details());
    assert_eq!(sh.run("cat /sys/devices/system/cpu/present"), "0");

    let t = Instant::now();
    match live.edit(VmEdit::Vcpus(2)) {
        Ok(Applied::Now) => {
            let u = live.uuid.clone();
            live.wait_for("VmChanged with 2 vCPUs", EVENT, move |e| {
                matches!(e, kvm_manager::backend::Event::VmChanged(s) if s.uuid == u && s.vcpus == 2)
            });
            let present = wait_until("the guest to see a second CPU", EVENT, || {
                let p = sh.run("cat /sys/devices/system/cpu/present");
                (p == "0-1").then_some(p)
            });
            println!(
                "vCPU hot-plug: Now, guest CPUs present {present} after {:?}",
                t.elapsed()
            );
        }
        Ok(Applied::NextBoot { reason }) => println!("vCPU hot-plug refused: next boot ({reason})"),
        other => panic!("{other:?}"),
    }
    assert_eq!(inactive().vcpus, 2);
    let t = Instant::now();
    match live.edit(VmEdit::Vcpus(1)) {
        Ok(applied) => println!("vCPU unplug: {applied:?} after {:?}", t.elapsed()),
        Err(e) => panic!("{e:?}"),
    }
    assert_eq!(inactive().vcpus, 1);
    // Back to the rig's definition.
    ensure_off();
    virsh_ok(&["setvcpus", DOMAIN, "1", "--config", "--maximum"]);
    assert_eq!((inactive().vcpus, inactive().max_vcpus), (1, 1));
}

/// Tags and description go into the live and saved XML (`virsh dumpxml` shows them), a
/// boot order change waits for the next start, rename needs the guest off; all of it
/// survives a rename and a restart.
#[test]
fn c_tags_description_boot_order_rename() {
    if !enabled("m_edit::c_tags_description_boot_order_rename") {
        return;
    }
    ensure_running();
    let rig_xml = virsh_ok(&["dumpxml", "--inactive", "--security-info", DOMAIN]);
    let live = Live::connect();
    let tags_edit = VmEdit::Tags(vec!["live".into(), "Rig".into()]);
    assert_eq!(live.edit(tags_edit), Ok(Applied::Now));
    let u = live.uuid.clone();
    live.wait_for("VmChanged with the tags", EVENT, move |e| {
        matches!(e, kvm_manager::backend::Event::VmChanged(s) if s.uuid == u && s.tags == ["live", "Rig"])
    });
    let text = "Live test guest & friends";
    assert_eq!(
        live.edit(VmEdit::Description(text.into())),
        Ok(Applied::Now)
    );
    let has_all = |x: &str| {
        x.contains(&format!(r#"<kvmm:vm xmlns:kvmm="{NS}">"#))
            && x.contains("<kvmm:tag>live</kvmm:tag>")
            && x.contains("<kvmm:tag>Rig</kvmm:tag>")
            && x.contains("<description>Live test guest &amp; friends</description>")
    };
    for args in [&["dumpxml", DOMAIN][..], &["dumpxml", "--inactive", DOMAIN]] {
        let x = virsh_ok(args);
        assert!(has_all(&x), "virsh {args:?}:\n{x}");
    }
    assert!(virsh_ok(&["metadata", DOMAIN, NS]).contains("<tag>Rig</tag>"));

    let mac = live.details().nics[0].mac.clone();
    let order = vec![BootDevice::Disk("vda".into()), BootDevice::Network(mac)];
    match live.edit(VmEdit::BootOrder(order.clone())) {
        Ok(Applied::NextBoot { .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(inactive().boot_devices, order);
    assert!(has_all(&virsh_ok(&["dumpxml", "--inactive", DOMAIN])));

    let e = live
        .edit(VmEdit::Rename("kvmm-test-renamed".into()))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert_eq!(e.message, format!("Shut down “{DOMAIN}” to rename it."));
    ensure_off();
    assert_eq!(
        live.edit(VmEdit::Rename("kvmm-test-renamed".into())),
        Ok(Applied::Now)
    );
    assert!(has_all(&virsh_ok(&["dumpxml", "kvmm-test-renamed"])));
    assert_eq!(live.edit(VmEdit::Rename(DOMAIN.into())), Ok(Applied::Now));

    // It boots with the new order, and tags and description came along.
    ensure_running();
    let x = virsh_ok(&["dumpxml", DOMAIN]);
    assert!(has_all(&x), "{x}");
    assert_eq!(xml::parse_domain(&x).unwrap().boot_devices, order);

    // What a row's tags cost on a real daemon, next to the call every row makes anyway.
    let u = live.uuid.clone();
    let (info, with_tags) = live.on_conn(move |c| per_call(c, &u));
    assert_eq!(live.edit(VmEdit::Tags(vec![])), Ok(Applied::Now));
    let u = live.uuid.clone();
    let (_, no_tags) = live.on_conn(move |c| per_call(c, &u));
    println!(
        "per call on {URI}: virDomainGetInfo {info:?}, tags {with_tags:?} (tagged) / {no_tags:?} (none)"
    );
    assert_eq!(
        live.edit(VmEdit::Description(String::new())),
        Ok(Applied::Now)
    );
    let x = virsh_ok(&["dumpxml", "--inactive", DOMAIN]);
    assert!(!x.contains(NS) && !x.contains("<description>"), "{x}");
    // The rig's own boot order (libvirt's default `<boot dev='hd'/>`) back.
    let rig_order = xml::parse_domain(&rig_xml).unwrap().boot_order;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rig.xml");
    std::fs::write(&path, rig_xml).unwrap();
    virsh_ok(&["define", path.to_str().unwrap()]);
    assert_eq!(inactive().boot_order, rig_order);
}

fn per_call(c: &virt::connect::Connect, uuid: &str) -> (Duration, Duration) {
    let d = summary::lookup(c, uuid).unwrap();
    let t = Instant::now();
    for _ in 0..300 {
        d.info().unwrap();
    }
    let info = t.elapsed() / 300;
    let t = Instant::now();
    for _ in 0..300 {
        tags::read_tags(&d).unwrap();
    }
    (info, t.elapsed() / 300)
}
