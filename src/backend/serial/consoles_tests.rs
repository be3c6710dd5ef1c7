use super::*;

/// The devices of a running QEMU domain as libvirt 9 writes its live XML: a pty serial
/// port with its primary-console twin, a file serial port, a virtio console.
const LIVE: &str = r#"<domain type='qemu' id='3'>
  <name>web</name>
  <devices>
    <serial type='pty'>
      <source path='/dev/pts/4'/>
      <log file='/var/log/libvirt/qemu/web-serial.log' append='off'/>
      <target type='isa-serial' port='0'><model name='isa-serial'/></target>
      <alias name='serial0'/>
    </serial>
    <serial type='file'>
      <source path='/var/log/web-ttyS1.log'/>
      <target type='isa-serial' port='1'><model name='isa-serial'/></target>
      <alias name='serial1'/>
    </serial>
    <console type='pty' tty='/dev/pts/4'>
      <source path='/dev/pts/4'/>
      <target type='serial' port='0'/>
      <alias name='serial0'/>
    </console>
    <console type='pty'>
      <source path='/dev/pts/5'/>
      <target type='virtio' port='1'/>
      <alias name='console1'/>
    </console>
  </devices>
</domain>"#;

#[test]
fn live_xml_lists_each_device_once_with_its_alias() {
    let list = text_consoles(LIVE);
    let devices: Vec<_> = list.iter().map(|c| c.device.as_str()).collect();
    assert_eq!(devices, ["serial0", "serial1", "console1"]);
    let labels: Vec<_> = list.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Serial port 1", "Serial port 2", "Virtio console 1"]
    );
    let kinds: Vec<_> = list.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            TextConsoleKind::Serial,
            TextConsoleKind::Serial,
            TextConsoleKind::Virtio
        ]
    );
    assert!(list[0].can_open() && list[2].can_open());
    assert_eq!(list[1].source_type, "file");
    let why = list[1]
        .unavailable
        .as_deref()
        .expect("a file serial cannot be opened");
    assert!(why.contains("/var/log/web-ttyS1.log"), "{why}");
}

#[test]
fn inactive_xml_derives_the_names_libvirt_will_give() {
    let xml = r#"<domain type='kvm'><name>x</name><devices>
        <serial type='pty'><target port='0'/></serial>
        <console type='pty'><target type='serial' port='0'/></console>
        <console type='pty'><target type='virtio' port='1'/></console>
        <console type='pty'><target type='virtio' port='2'/></console>
      </devices></domain>"#;
    let list = text_consoles(xml);
    let got: Vec<_> = list
        .iter()
        .map(|c| (c.device.as_str(), c.label.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("serial0", "Serial port 1"),
            ("console1", "Virtio console 1"),
            ("console2", "Virtio console 2"),
        ]
    );
}

#[test]
fn a_console_without_a_serial_twin_is_listed_as_a_serial_port() {
    let xml = r#"<domain><devices>
        <console type='pty'><target type='serial' port='0'/></console>
      </devices></domain>"#;
    let list = text_consoles(xml);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].device, "console0");
    assert_eq!(list[0].label, "Serial port 1");
    assert!(list[0].can_open());
}

#[test]
fn other_source_types_say_why_they_cannot_be_opened() {
    let xml = r#"<domain><devices>
        <serial type='unix'><source mode='bind' path='/run/s.sock'/><target port='0'/></serial>
        <serial type='tcp'><source mode='bind' host='0.0.0.0' service='2445'/><target port='1'/></serial>
        <serial type='null'><target port='2'/></serial>
        <serial type='file'><target port='3'/></serial>
        <serial type='nmdm'><target port='4'/></serial>
        <console type='pty'><target type='sclp' port='0'/></console>
      </devices></domain>"#;
    let list = text_consoles(xml);
    assert_eq!(list.len(), 6);
    for c in &list[..5] {
        assert!(!c.can_open(), "{c:?}");
        assert!(c
            .unavailable
            .as_deref()
            .unwrap()
            .starts_with("Cannot be opened here"));
    }
    assert!(list[4].unavailable.as_deref().unwrap().contains("“nmdm”"));
    assert_eq!(list[5].kind, TextConsoleKind::Other);
    assert_eq!(list[5].label, "Text console 1");
    assert!(list[5].can_open());
}

#[test]
fn no_devices_or_bad_xml_means_no_consoles() {
    assert!(text_consoles("<domain><name>x</name></domain>").is_empty());
    assert!(text_consoles("<domain><devices></devices></domain>").is_empty());
    assert!(text_consoles("<domain><devices>").is_empty());
}
