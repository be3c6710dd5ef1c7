//! The XML of disk requests, written with quick-xml's writer from typed values (never
//! formatted from strings): a `<disk>` to attach or to put into a drive, a virtio-scsi
//! `<controller>`, a new `<volume>`, and a `<disk>` element read from the domain XML
//! written back out (for detaching exactly the device libvirt has).

use std::io::Cursor;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;

use super::DiskDevice;
use crate::backend::xml::Element;

type Xw = Writer<Cursor<Vec<u8>>>;

/// Where a disk's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskSourceXml {
    /// An empty drive.
    Empty,
    File(String),
    /// A block device (`/dev/...`).
    Block(String),
    Volume {
        pool: String,
        volume: String,
    },
}

/// One `<disk>` as KVM Manager attaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskXml {
    pub source: DiskSourceXml,
    /// `<disk device>`: "disk", "cdrom" ([`DiskDevice::as_xml`]), or "floppy" for a drive
    /// that has one.
    pub device: String,
    /// `<target bus>` ([`DiskBus::as_xml`], or "ide" for a drive that has it).
    pub bus: String,
    pub target: String,
    /// `<driver type>` ("qcow2", "raw").
    pub format: String,
    pub readonly: bool,
}

fn start(tag: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
    let mut s = BytesStart::new(tag.to_owned());
    s.extend_attributes(attrs.iter().copied());
    s
}

// Writing into a Vec cannot fail: write results are dropped.
fn empty(w: &mut Xw, tag: &str, attrs: &[(&str, &str)]) {
    let _ = w.write_event(XmlEvent::Empty(start(tag, attrs)));
}

fn open(w: &mut Xw, tag: &str, attrs: &[(&str, &str)]) {
    let _ = w.write_event(XmlEvent::Start(start(tag, attrs)));
}

fn close(w: &mut Xw, tag: &str) {
    let _ = w.write_event(XmlEvent::End(BytesEnd::new(tag.to_owned())));
}

fn text_el(w: &mut Xw, tag: &str, attrs: &[(&str, &str)], value: &str) {
    open(w, tag, attrs);
    let _ = w.write_event(XmlEvent::Text(BytesText::new(value)));
    close(w, tag);
}

fn new_writer() -> Xw {
    Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2)
}

fn finish(w: Xw) -> String {
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

/// The `<disk>` element for `d`.
pub fn disk_xml(d: &DiskXml) -> String {
    let kind = match &d.source {
        DiskSourceXml::Empty | DiskSourceXml::File(_) => "file",
        DiskSourceXml::Block(_) => "block",
        DiskSourceXml::Volume { .. } => "volume",
    };
    let mut w = new_writer();
    open(&mut w, "disk", &[("type", kind), ("device", &d.device)]);
    empty(&mut w, "driver", &[("name", "qemu"), ("type", &d.format)]);
    match &d.source {
        DiskSourceXml::Empty => {}
        DiskSourceXml::File(p) => empty(&mut w, "source", &[("file", p)]),
        DiskSourceXml::Block(p) => empty(&mut w, "source", &[("dev", p)]),
        DiskSourceXml::Volume { pool, volume } => {
            empty(&mut w, "source", &[("pool", pool), ("volume", volume)])
        }
    }
    empty(&mut w, "target", &[("dev", &d.target), ("bus", &d.bus)]);
    if d.readonly || d.device == DiskDevice::Cdrom.as_xml() {
        empty(&mut w, "readonly", &[]);
    }
    close(&mut w, "disk");
    finish(w)
}

/// A virtio-scsi controller; libvirt picks its index and address.
pub fn scsi_controller_xml() -> String {
    let mut w = new_writer();
    empty(
        &mut w,
        "controller",
        &[("type", "scsi"), ("model", "virtio-scsi")],
    );
    finish(w)
}

/// A new, empty volume of `capacity` bytes in `format`.
pub fn volume_xml(name: &str, capacity: u64, format: &str) -> String {
    let mut w = new_writer();
    open(&mut w, "volume", &[]);
    text_el(&mut w, "name", &[], name);
    text_el(
        &mut w,
        "capacity",
        &[("unit", "bytes")],
        &capacity.to_string(),
    );
    text_el(&mut w, "allocation", &[("unit", "bytes")], "0");
    open(&mut w, "target", &[]);
    empty(&mut w, "format", &[("type", format)]);
    close(&mut w, "target");
    close(&mut w, "volume");
    finish(w)
}

/// `el` written back out: libvirt's own elements with their attributes and text.
/// Elements of other namespaces are left out (a `<disk>` has none libvirt needs).
pub fn element_xml(el: &Element) -> String {
    let mut w: Xw = Writer::new(Cursor::new(Vec::new()));
    write_element(&mut w, el);
    finish(w)
}

fn write_element(w: &mut Xw, el: &Element) {
    let attrs: Vec<(&str, &str)> = el
        .attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let kids: Vec<&Element> = el.children.iter().filter(|c| c.ns.is_none()).collect();
    let text = el.text.trim();
    if kids.is_empty() && text.is_empty() {
        empty(w, &el.name, &attrs);
        return;
    }
    open(w, &el.name, &attrs);
    if !text.is_empty() {
        let _ = w.write_event(XmlEvent::Text(BytesText::new(text)));
    }
    for k in kids {
        write_element(w, k);
    }
    close(w, &el.name);
}

#[cfg(test)]
mod tests {
    use super::super::DiskBus;
    use super::*;
    use crate::backend::xml::parse_tree;

    #[test]
    fn values_are_escaped_by_the_writer() {
        let xml = disk_xml(&DiskXml {
            source: DiskSourceXml::File("/srv/a&b <c>.iso".into()),
            device: DiskDevice::Cdrom.as_xml().into(),
            bus: DiskBus::Sata.as_xml().into(),
            target: "sdb".into(),
            format: "raw".into(),
            readonly: false,
        });
        assert!(
            xml.contains(r#"file="/srv/a&amp;b &lt;c&gt;.iso""#),
            "{xml}"
        );
        assert!(xml.contains("<readonly/>"), "a CD-ROM is read-only: {xml}");
        let back = parse_tree(&xml).unwrap();
        assert_eq!(
            back.child("source").unwrap().attr("file"),
            Some("/srv/a&b <c>.iso")
        );
    }

    #[test]
    fn an_element_round_trips() {
        let src = r#"<disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="/x &amp; y.qcow2" index="2"/><target dev="vdb" bus="virtio"/><alias name="virtio-disk1"/><address type="pci" domain="0x0000" bus="0x00" slot="0x07" function="0x0"/></disk>"#;
        let el = parse_tree(src).unwrap();
        assert_eq!(element_xml(&el), src);
    }
}
