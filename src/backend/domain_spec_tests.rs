use super::*;
use crate::backend::xml::parse_domain;

fn disk(bus: DiskBus, device: DiskDevice) -> DiskSpec {
    DiskSpec {
        source: DiskSource::Empty,
        device,
        bus,
        format: None,
        readonly: device == DiskDevice::Cdrom,
        boot_order: None,
        target: None,
    }
}

#[test]
fn disk_names_follow_libvirt() {
    assert_eq!(disk_suffix(0), "a");
    assert_eq!(disk_suffix(25), "z");
    assert_eq!(disk_suffix(26), "aa");
    assert_eq!(disk_suffix(27), "ab");
    assert_eq!(disk_suffix(701), "zz");
    assert_eq!(disk_suffix(702), "aaa");
}

#[test]
fn targets_are_per_prefix_in_order() {
    let mut explicit = disk(DiskBus::Virtio, DiskDevice::Disk);
    explicit.target = Some("vda".into());
    let disks = [
        disk(DiskBus::Virtio, DiskDevice::Disk),
        disk(DiskBus::Sata, DiskDevice::Cdrom),
        explicit,
        disk(DiskBus::Scsi, DiskDevice::Disk),
        disk(DiskBus::Ide, DiskDevice::Cdrom),
    ];
    assert_eq!(assign_targets(&disks), ["vdb", "sda", "vda", "sdb", "hda"]);
}

#[test]
fn user_text_is_escaped_and_reads_back() {
    let spec = DomainSpec {
        name: "a&b".into(),
        title: Some("<Title>".into()),
        description: Some("x \"quoted\" & 'single'".into()),
        os_id: Some("http://debian.org/debian/11".into()),
        vcpus: 2,
        memory_kib: 2 << 20,
        disks: vec![
            DiskSpec {
                source: DiskSource::File("/srv/it's <here>.qcow2".into()),
                format: Some("qcow2".into()),
                boot_order: Some(1),
                ..disk(DiskBus::Virtio, DiskDevice::Disk)
            },
            DiskSpec {
                source: DiskSource::Network(NetworkDiskSource {
                    scheme: UrlScheme::Https,
                    host: "deb.example.org".into(),
                    port: 8443,
                    path: "/a b&c.iso".into(),
                    query: Some("x=1&y=2".into()),
                }),
                boot_order: Some(2),
                ..disk(DiskBus::Sata, DiskDevice::Cdrom)
            },
        ],
        nics: vec![NicSpec {
            source: NicSource::Bridge("br0".into()),
            model: "virtio".into(),
            mac: Some("52:54:00:00:00:01".into()),
            boot_order: None,
        }],
        ..DomainSpec::default()
    };
    let xml = spec.to_xml();
    assert!(xml.contains("<name>a&amp;b</name>"), "{xml}");
    let d = parse_domain(&xml).unwrap();
    assert_eq!(d.name, "a&b");
    assert_eq!(d.title, "<Title>");
    assert_eq!(d.description, "x \"quoted\" & 'single'");
    assert_eq!(d.os_id.as_deref(), Some("http://debian.org/debian/11"));
    assert_eq!((d.vcpus, d.memory_kib), (2, 2 << 20));
    assert_eq!(d.disks[0].source, "/srv/it's <here>.qcow2");
    assert_eq!(d.disks[0].target, "vda");
    assert_eq!(d.disks[1].source, "/a b&c.iso");
    assert_eq!(
        (d.disks[1].target.as_str(), d.disks[1].readonly),
        ("sda", true)
    );
    assert_eq!(d.nics[0].source, "br0");
    assert_eq!(d.boot_order, ["disk vda", "cdrom sda"]);
    assert_eq!(d.firmware, "BIOS");
}

#[test]
fn uefi_windows_flavour() {
    let spec = DomainSpec {
        name: "win".into(),
        firmware: Firmware::Uefi,
        clock_localtime: true,
        hyperv: true,
        graphics: Some(GraphicsKind::Spice),
        ..DomainSpec::default()
    };
    let xml = spec.to_xml();
    let d = parse_domain(&xml).unwrap();
    assert_eq!(d.firmware, "UEFI");
    assert!(xml.contains("<clock offset=\"localtime\">"), "{xml}");
    assert!(xml.contains("com.redhat.spice.0"));
    assert!(xml.contains(KVMM_AGENT_CHANNEL));
}
