//! Unit tests for xml.rs with domain XML shaped like what virt-manager, GNOME Boxes and the
//! test driver produce.

use super::*;

const VIRT_MANAGER_UEFI: &str = r#"<domain type="kvm">
  <name>debian12</name>
  <uuid>8E3F7C1A-2B4D-4E5F-9A6B-7C8D9E0F1A2B</uuid>
  <title>Debian &amp; friends</title>
  <description>Build box &lt;main&gt;</description>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit="KiB">4194304</memory>
  <currentMemory unit="KiB">2097152</currentMemory>
  <vcpu placement="static" current="2">4</vcpu>
  <os firmware="efi">
    <type arch="x86_64" machine="pc-q35-7.2">hvm</type>
    <loader readonly="yes" secure="yes" type="pflash">/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>
    <nvram>/var/lib/libvirt/qemu/nvram/debian12_VARS.fd</nvram>
    <boot dev="hd"/>
    <boot dev="cdrom"/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type="file" device="disk">
      <driver name="qemu" type="qcow2" discard="unmap"/>
      <source file="/var/lib/libvirt/images/debian12.qcow2"/>
      <target dev="vda" bus="virtio"/>
    </disk>
    <disk type="file" device="cdrom">
      <driver name="qemu" type="raw"/>
      <target dev="sda" bus="sata"/>
      <readonly/>
    </disk>
    <disk type="volume" device="disk">
      <source pool="default" volume="data.raw"/>
      <target dev="vdb" bus="virtio"/>
    </disk>
    <interface type="network">
      <mac address="52:54:00:aa:bb:cc"/>
      <source network="default"/>
      <model type="virtio"/>
    </interface>
    <interface type="bridge">
      <mac address="52:54:00:aa:bb:cd"/>
      <source bridge="br0"/>
    </interface>
    <serial type="pty">
      <source path="/dev/pts/3"/>
      <target type="isa-serial" port="0"><model name="isa-serial"/></target>
    </serial>
    <console type="pty" tty="/dev/pts/3">
      <target type="serial" port="0"/>
    </console>
    <channel type="unix">
      <source mode="bind" path="/run/libvirt/qemu/channel/1-debian12/org.qemu.guest_agent.0"/>
      <target type="virtio" name="org.qemu.guest_agent.0"/>
    </channel>
    <channel type="spicevmc">
      <target type="virtio" name="com.redhat.spice.0"/>
    </channel>
    <graphics type="spice" port="5900" autoport="yes" listen="127.0.0.1">
      <listen type="address" address="127.0.0.1"/>
    </graphics>
    <graphics type="vnc" port="-1" autoport="yes">
      <listen type="address" address="0.0.0.0"/>
    </graphics>
  </devices>
</domain>"#;

#[test]
fn virt_manager_domain_with_uefi_and_libosinfo() {
    let d = parse_domain(VIRT_MANAGER_UEFI).unwrap();
    assert_eq!(d.name, "debian12");
    assert_eq!(d.uuid, "8e3f7c1a-2b4d-4e5f-9a6b-7c8d9e0f1a2b");
    assert_eq!(d.title, "Debian & friends");
    assert_eq!(d.description, "Build box <main>");
    assert_eq!(d.os_id.as_deref(), Some("http://debian.org/debian/12"));
    assert_eq!((d.os_type.as_str(), d.arch.as_str()), ("hvm", "x86_64"));
    assert_eq!(d.machine, "pc-q35-7.2");
    assert_eq!((d.vcpus, d.max_vcpus), (2, 4));
    assert_eq!((d.memory_kib, d.max_memory_kib), (2_097_152, 4_194_304));
    assert_eq!(d.firmware, "UEFI");
    assert_eq!(d.boot_order, vec!["hd", "cdrom"]);

    assert_eq!(d.disks.len(), 3);
    assert_eq!(d.disks[0].source, "/var/lib/libvirt/images/debian12.qcow2");
    assert_eq!(d.disks[0].format, "qcow2");
    assert_eq!(
        (d.disks[0].target.as_str(), d.disks[0].bus.as_str()),
        ("vda", "virtio")
    );
    assert_eq!(d.disks[1].device, "cdrom");
    assert_eq!(d.disks[1].source, "");
    assert!(d.disks[1].readonly);
    assert_eq!(d.disks[2].source, "default/data.raw");

    assert_eq!(d.nics.len(), 2);
    assert_eq!(d.nics[0].kind, "network");
    assert_eq!(d.nics[0].source, "default");
    assert_eq!(d.nics[0].model, "virtio");
    assert_eq!(d.nics[1].source, "br0");
    assert_eq!(d.nics[1].model, "");

    assert_eq!(d.graphics.len(), 2);
    assert_eq!(d.graphics[0].kind, "spice");
    assert_eq!(d.graphics[0].port, Some(5900));
    assert_eq!(d.graphics[0].listen, "127.0.0.1");
    assert_eq!(d.graphics[1].port, Some(-1));
    assert_eq!(d.graphics[1].listen, "0.0.0.0");
    assert!(d.graphics[1].autoport);

    let devs: Vec<_> = d.consoles.iter().map(|c| c.device.as_str()).collect();
    assert_eq!(devs, ["serial", "console", "channel", "channel"]);
    assert_eq!(d.consoles[0].path, "/dev/pts/3");
    assert_eq!(d.consoles[0].target, "isa-serial");
    assert_eq!(d.consoles[1].path, "/dev/pts/3");
    assert_eq!(d.consoles[2].target, "org.qemu.guest_agent.0");
    assert_eq!(d.consoles[3].kind, "spicevmc");
}

#[test]
fn libosinfo_matched_by_namespace_not_prefix() {
    let xml = r#"<domain><name>a</name><metadata>
      <osi:libosinfo xmlns:osi="http://libosinfo.org/xmlns/libvirt/domain/1.0">
        <osi:os id="http://fedoraproject.org/fedora/40"/></osi:libosinfo>
      <libosinfo:libosinfo xmlns:libosinfo="http://example.com/not-libosinfo">
        <libosinfo:os id="wrong"/></libosinfo:libosinfo>
    </metadata></domain>"#;
    let d = parse_domain(xml).unwrap();
    assert_eq!(
        d.os_id.as_deref(),
        Some("http://fedoraproject.org/fedora/40")
    );

    let only_wrong = r#"<domain><metadata><libosinfo:libosinfo xmlns:libosinfo="urn:x">
      <libosinfo:os id="wrong"/></libosinfo:libosinfo></metadata></domain>"#;
    assert_eq!(parse_domain(only_wrong).unwrap().os_id, None);
}

#[test]
fn minimal_test_driver_domain() {
    let xml = "<domain type='test' id='1'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='i686'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/guest/diskimage1'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='aa:bb:cc:dd:ee:ff'/>
      <source network='default' bridge='virbr0'/>
    </interface>
  </devices>
</domain>";
    let d = parse_domain(xml).unwrap();
    assert_eq!(d.name, "test");
    assert_eq!((d.vcpus, d.max_vcpus), (2, 2));
    assert_eq!((d.memory_kib, d.max_memory_kib), (2_097_152, 8_388_608));
    assert_eq!(d.firmware, "BIOS");
    assert_eq!(d.os_id, None);
    assert_eq!(d.boot_order, vec!["hd"]);
    assert_eq!(d.disks[0].source, "/guest/diskimage1");
    assert_eq!(d.disks[0].device, "disk");
    assert_eq!(d.nics[0].source, "default");
    assert!(d.graphics.is_empty() && d.consoles.is_empty());
}

#[test]
fn per_device_boot_order() {
    let xml = "<domain><name>pxe</name><os><type>hvm</type></os><devices>
      <disk type='file' device='disk'><source file='/a.img'/><target dev='vda' bus='virtio'/>
        <boot order='2'/></disk>
      <disk type='file' device='cdrom'><target dev='sdb' bus='sata'/><boot order='3'/></disk>
      <interface type='user'><mac address='52:54:00:00:00:01'/><boot order='1'/></interface>
    </devices></domain>";
    let d = parse_domain(xml).unwrap();
    assert_eq!(
        d.boot_order,
        vec!["network 52:54:00:00:00:01", "disk vda", "cdrom sdb"]
    );
    assert_eq!(d.nics[0].kind, "user");
}

#[test]
fn memory_units_convert_to_kib() {
    let xml = "<domain><name>u</name><memory unit='GiB'>4</memory>
      <currentMemory unit='MB'>2048</currentMemory><vcpu>1</vcpu></domain>";
    let d = parse_domain(xml).unwrap();
    assert_eq!(d.max_memory_kib, 4 * 1024 * 1024);
    assert_eq!(d.memory_kib, 2_048_000_000 / 1024);
    assert_eq!(to_kib(1, Some("MiB")), 1024);
    assert_eq!(to_kib(1024, None), 1024);
    assert_eq!(to_kib(2048, Some("bytes")), 2);
    assert_eq!(to_kib(1, Some("T")), 1 << 30);
    // currentMemory absent: same as memory.
    let d = parse_domain("<domain><memory unit='M'>512</memory></domain>").unwrap();
    assert_eq!((d.memory_kib, d.max_memory_kib), (524_288, 524_288));
}

#[test]
fn firmware_variants() {
    let fw = |os: &str| {
        parse_domain(&format!("<domain>{os}</domain>"))
            .unwrap()
            .firmware
    };
    assert_eq!(fw("<os><type>hvm</type></os>"), "BIOS");
    assert_eq!(
        fw("<os><loader>/usr/share/edk2/ovmf/OVMF_CODE.fd</loader></os>"),
        "UEFI"
    );
    assert_eq!(
        fw("<os><loader type='rom'>/opt/seabios.bin</loader></os>"),
        "/opt/seabios.bin"
    );
    assert_eq!(fw("<os firmware='bios'/>"), "BIOS");
    assert_eq!(fw(""), "BIOS");
}

#[test]
fn rejects_garbage() {
    assert!(parse_domain("<domain><name>x</domain>").is_err());
    assert!(parse_domain("<network/>").is_err());
    assert!(parse_domain("").is_err());
}
