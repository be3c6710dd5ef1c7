use super::*;

const DOMAIN: &str = r#"<domain type="kvm" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">
  <name>x</name>
  <metadata>
    <kvmm:vm xmlns:kvmm="https://github.com/kvmmanager/xmlns/vm/1.0"><kvmm:tags><kvmm:tag>a</kvmm:tag></kvmm:tags></kvmm:vm>
  </metadata>
  <os>
    <type arch="x86_64">hvm</type>
    <boot dev="cdrom"/>
    <boot dev="hd"/>
    <bootmenu enable="yes"/>
  </os>
  <devices>
    <disk type="file" device="disk"><source file="/a &amp; b.qcow2"/><target dev="vda" bus="virtio"/></disk>
    <disk type="file" device="cdrom"><target dev="sda" bus="sata"/><readonly/></disk>
    <interface type="network"><mac address="52:54:00:00:00:01"/><source network="default"/></interface>
    <hostdev mode="subsystem" type="usb"><source><vendor id="0x1"/></source><boot order="1"/></hostdev>
    <graphics type="vnc" passwd="secret"/>
  </devices>
  <qemu:commandline><qemu:arg value="-x"/></qemu:commandline>
</domain>"#;

fn disk(t: &str) -> BootDevice {
    BootDevice::Disk(t.into())
}

#[test]
fn legacy_classes_resolve_to_devices() {
    let root = parse_tree(DOMAIN).unwrap();
    assert_eq!(boot_devices_in_domain(&root), [disk("sda"), disk("vda")]);
}

#[test]
fn rewrite_sets_per_device_order_and_keeps_the_rest() {
    let nic = BootDevice::Network("52:54:00:00:00:01".into());
    let out = with_boot_order(DOMAIN, &[nic.clone(), disk("vda")]).unwrap();
    let root = parse_tree(&out).unwrap();
    assert_eq!(root.child("os").unwrap().children_named("boot").count(), 0);
    assert!(root.child("os").unwrap().child("bootmenu").is_some());
    let devs = root.child("devices").unwrap();
    let order = |name: &str, i: usize| {
        devs.children_named(name)
            .nth(i)
            .and_then(|d| d.child("boot"))
            .and_then(|b| b.attr("order"))
            .map(str::to_owned)
    };
    assert_eq!(order("interface", 0).as_deref(), Some("1"));
    assert_eq!(order("disk", 0).as_deref(), Some("2"));
    assert_eq!(order("disk", 1), None, "the CD-ROM was left out");
    assert_eq!(
        order("hostdev", 0).as_deref(),
        Some("3"),
        "kept, after ours"
    );
    assert_eq!(boot_devices_in_domain(&root), [nic, disk("vda")]);
    // Everything else untouched: metadata, foreign namespaces, escapes, secrets.
    assert!(out.contains(r#"<kvmm:vm xmlns:kvmm="https://github.com/kvmmanager/xmlns/vm/1.0"><kvmm:tags><kvmm:tag>a</kvmm:tag></kvmm:tags></kvmm:vm>"#));
    assert!(out.contains(r#"<qemu:commandline><qemu:arg value="-x"/></qemu:commandline>"#));
    assert!(out.contains(r#"<source file="/a &amp; b.qcow2"/>"#));
    assert!(out.contains(r#"<graphics type="vnc" passwd="secret"/>"#));
    // Again from the rewritten XML: same result (stable).
    assert_eq!(
        with_boot_order(
            &out,
            &[BootDevice::Network("52:54:00:00:00:01".into()), disk("vda")]
        )
        .unwrap(),
        out
    );
}

#[test]
fn an_empty_device_element_gets_its_boot_child() {
    let xml = r#"<domain><devices><disk device="disk"><target dev="vda"/></disk><interface type="user"/></devices></domain>"#;
    let out = with_boot_order(xml, &[disk("vda")]).unwrap();
    assert_eq!(
        out,
        r#"<domain><devices><disk device="disk"><target dev="vda"/><boot order="1"/></disk><interface type="user"/></devices></domain>"#
    );
}

#[test]
fn bad_lists_are_refused() {
    for (order, part) in [
        (vec![], "at least one"),
        (vec![disk("vdz")], "vdz"),
        (vec![disk("vda"), disk("vda")], "twice"),
        (
            vec![BootDevice::Network("52:54:00:99:99:99".into())],
            "52:54:00:99:99:99",
        ),
    ] {
        let e = with_boot_order(DOMAIN, &order).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{order:?}");
        assert!(e.message.contains(part), "{}", e.message);
    }
}
