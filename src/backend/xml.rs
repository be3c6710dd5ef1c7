//! Domain XML → [`VmDetails`], with quick-xml (never by string matching).
//!
//! The document is read once into a small namespace-aware element tree, then queried. Only
//! what the details page shows is extracted; live facts (state, autostart, capacity) are
//! filled in by the worker.

use quick_xml::events::Event as XmlEvent;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::error::{BackendError, ErrorKind};
use super::types::{ConsoleInfo, DiskInfo, GraphicsInfo, NicInfo, VmDetails};

/// Namespace of virt-manager / GNOME Boxes' libosinfo metadata.
pub const LIBOSINFO_NS: &str = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

/// One element: namespace URI (if bound), local name, attributes (by local name), text.
#[derive(Debug, Default)]
pub struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn attr_or_empty(&self, name: &str) -> String {
        self.attr(name).unwrap_or_default().to_owned()
    }
    /// First child with this local name in no namespace (libvirt's own elements).
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.ns.is_none() && c.name == name)
    }
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children
            .iter()
            .filter(move |c| c.ns.is_none() && c.name == name)
    }
    /// Text of the named child, trimmed; empty when absent.
    pub fn child_text(&self, name: &str) -> String {
        self.child(name)
            .map(|c| c.text.trim().to_owned())
            .unwrap_or_default()
    }
}

fn xml_err(e: impl std::fmt::Display) -> BackendError {
    BackendError::new(ErrorKind::Other, format!("invalid domain XML: {e}"))
}

/// Parse a document into its root element.
pub fn parse_tree(xml: &str) -> Result<Element, BackendError> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(xml_err)?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
            _ => None,
        };
        match event {
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) => {
                let mut el = Element {
                    ns,
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(xml_err)?;
                    // Skip namespace declarations; keep attributes by local name.
                    if a.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                    let value = a.unescape_value().map_err(xml_err)?.into_owned();
                    el.attrs.push((key, value));
                }
                if matches!(event, XmlEvent::Start(_)) {
                    stack.push(el);
                } else {
                    attach(&mut stack, &mut root, el);
                }
            }
            XmlEvent::End(_) => {
                let el = stack.pop().ok_or_else(|| xml_err("unbalanced end tag"))?;
                attach(&mut stack, &mut root, el);
            }
            XmlEvent::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml_content().map_err(xml_err)?);
                }
            }
            XmlEvent::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.decode().map_err(xml_err)?);
                }
            }
            XmlEvent::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(xml_err)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(xml_err)?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| xml_err(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    root.ok_or_else(|| xml_err("no root element"))
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// Convert a libvirt memory amount with its unit to KiB (libvirt's default unit is KiB).
pub fn to_kib(value: u64, unit: Option<&str>) -> u64 {
    let bytes: u128 = match unit.unwrap_or("KiB") {
        "b" | "bytes" => 1,
        "KB" => 1_000,
        "k" | "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "M" | "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "G" | "GiB" => 1 << 30,
        "TB" => 1_000_000_000_000,
        "T" | "TiB" => 1 << 40,
        "PB" => 1_000_000_000_000_000,
        "P" | "PiB" => 1 << 50,
        "EB" => 1_000_000_000_000_000_000,
        "E" | "EiB" => 1 << 60,
        _ => 1 << 10,
    };
    u64::try_from(u128::from(value) * bytes / 1024).unwrap_or(u64::MAX)
}

fn memory_kib(el: Option<&Element>) -> u64 {
    el.and_then(|e| {
        e.text
            .trim()
            .parse::<u64>()
            .ok()
            .map(|v| to_kib(v, e.attr("unit")))
    })
    .unwrap_or(0)
}

/// Parse a domain's XML into details. Live facts (state, autostart, persistence, managed
/// save, disk capacity) are left at their defaults for the caller to fill in.
pub fn parse_domain(xml: &str) -> Result<VmDetails, BackendError> {
    let root = parse_tree(xml)?;
    if root.name != "domain" {
        return Err(xml_err(format!("root element is <{}>", root.name)));
    }
    let mut d = VmDetails {
        uuid: root.child_text("uuid").to_ascii_lowercase(),
        name: root.child_text("name"),
        title: root.child_text("title"),
        description: root.child_text("description"),
        xml: xml.to_owned(),
        ..VmDetails::default()
    };
    d.os_id = root.child("metadata").and_then(libosinfo_id);
    d.tags = super::tags::tags_in_domain(&root);
    d.boot_devices = super::boot::boot_devices_in_domain(&root);

    if let Some(vcpu) = root.child("vcpu") {
        d.max_vcpus = vcpu.text.trim().parse().unwrap_or(0);
        d.vcpus = vcpu
            .attr("current")
            .and_then(|c| c.parse().ok())
            .unwrap_or(d.max_vcpus);
    }
    d.max_memory_kib = memory_kib(root.child("memory"));
    d.memory_kib = match root.child("currentMemory") {
        Some(c) => memory_kib(Some(c)),
        None => d.max_memory_kib,
    };

    let os = root.child("os");
    if let Some(os) = os {
        if let Some(t) = os.child("type") {
            d.os_type = t.text.trim().to_owned();
            d.arch = t.attr_or_empty("arch");
            d.machine = t.attr_or_empty("machine");
        }
        d.boot_order = os
            .children_named("boot")
            .filter_map(|b| b.attr("dev").map(str::to_owned))
            .collect();
    }
    d.firmware = firmware(os);

    let devices = root.child("devices");
    let mut per_device_boot: Vec<(u32, String)> = Vec::new();
    if let Some(devs) = devices {
        for disk in devs.children_named("disk") {
            let info = disk_info(disk);
            if let Some(order) = boot_order_of(disk) {
                per_device_boot.push((order, format!("{} {}", info.device, info.target)));
            }
            d.disks.push(info);
        }
        for nic in devs.children_named("interface") {
            let info = nic_info(nic);
            if let Some(order) = boot_order_of(nic) {
                per_device_boot.push((order, format!("network {}", info.mac)));
            }
            d.nics.push(info);
        }
        for g in devs.children_named("graphics") {
            d.graphics.push(graphics_info(g));
        }
        for c in devs.children.iter().filter(|c| c.ns.is_none()) {
            if matches!(c.name.as_str(), "serial" | "console" | "channel") {
                d.consoles.push(console_info(c));
            }
        }
    }
    // Per-device <boot order='N'> and <os><boot dev> are mutually exclusive in libvirt.
    if d.boot_order.is_empty() && !per_device_boot.is_empty() {
        per_device_boot.sort_by_key(|(o, _)| *o);
        d.boot_order = per_device_boot.into_iter().map(|(_, s)| s).collect();
    }
    Ok(d)
}

/// `<metadata><libosinfo:libosinfo><libosinfo:os id=.../>`, matched by namespace URI.
fn libosinfo_id(metadata: &Element) -> Option<String> {
    metadata
        .children
        .iter()
        .filter(|e| e.ns.as_deref() == Some(LIBOSINFO_NS) && e.name == "libosinfo")
        .flat_map(|e| e.children.iter())
        .find(|e| e.ns.as_deref() == Some(LIBOSINFO_NS) && e.name == "os")
        .and_then(|os| os.attr("id"))
        .map(str::to_owned)
}

fn firmware(os: Option<&Element>) -> String {
    let Some(os) = os else {
        return "BIOS".into();
    };
    if os.attr("firmware") == Some("efi") {
        return "UEFI".into();
    }
    if let Some(loader) = os.child("loader") {
        let path = loader.text.trim();
        let lower = path.to_ascii_lowercase();
        if loader.attr("type") == Some("pflash")
            || lower.contains("ovmf")
            || lower.contains("edk2")
            || lower.contains("aavmf")
        {
            return "UEFI".into();
        }
        if !path.is_empty() {
            return path.to_owned();
        }
    }
    "BIOS".into()
}

fn boot_order_of(dev: &Element) -> Option<u32> {
    dev.child("boot")?.attr("order")?.parse().ok()
}

fn disk_info(disk: &Element) -> DiskInfo {
    let source = disk.child("source").map(|s| {
        if let (Some(pool), Some(vol)) = (s.attr("pool"), s.attr("volume")) {
            format!("{pool}/{vol}")
        } else {
            ["file", "dev", "dir", "name", "volume"]
                .iter()
                .find_map(|k| s.attr(k))
                .unwrap_or_default()
                .to_owned()
        }
    });
    let target = disk.child("target");
    DiskInfo {
        device: disk.attr("device").unwrap_or("disk").to_owned(),
        target: target.map(|t| t.attr_or_empty("dev")).unwrap_or_default(),
        bus: target.map(|t| t.attr_or_empty("bus")).unwrap_or_default(),
        source: source.unwrap_or_default(),
        format: disk
            .child("driver")
            .map(|d| d.attr_or_empty("type"))
            .unwrap_or_default(),
        capacity_bytes: None,
        readonly: disk.child("readonly").is_some(),
    }
}

fn nic_info(nic: &Element) -> NicInfo {
    let kind = nic.attr("type").unwrap_or_default().to_owned();
    let source = nic
        .child("source")
        .and_then(|s| {
            ["network", "bridge", "dev", "name"]
                .iter()
                .find_map(|k| s.attr(k))
        })
        .unwrap_or_default()
        .to_owned();
    NicInfo {
        kind,
        source,
        mac: nic
            .child("mac")
            .map(|m| m.attr_or_empty("address"))
            .unwrap_or_default(),
        model: nic
            .child("model")
            .map(|m| m.attr_or_empty("type"))
            .unwrap_or_default(),
    }
}

fn graphics_info(g: &Element) -> GraphicsInfo {
    let listen = g
        .attr("listen")
        .map(str::to_owned)
        .or_else(|| {
            g.child("listen")
                .and_then(|l| l.attr("address").or(l.attr("socket")).map(str::to_owned))
        })
        .unwrap_or_default();
    let port = g.attr("port").and_then(|p| p.parse().ok());
    GraphicsInfo {
        kind: g.attr_or_empty("type"),
        listen,
        port,
        autoport: g.attr("autoport") == Some("yes"),
    }
}

fn console_info(c: &Element) -> ConsoleInfo {
    let target = c.child("target");
    let target_name = target
        .and_then(|t| t.attr("name").or(t.attr("type")))
        .unwrap_or_default()
        .to_owned();
    let path = c
        .attr("tty")
        .map(str::to_owned)
        .or_else(|| {
            c.child("source")
                .and_then(|s| s.attr("path").map(str::to_owned))
        })
        .unwrap_or_default();
    ConsoleInfo {
        device: c.name.clone(),
        kind: c.attr_or_empty("type"),
        target: target_name,
        path,
    }
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
