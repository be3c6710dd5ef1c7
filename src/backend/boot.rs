//! Boot order: which disks and network cards the firmware tries, in order.
//!
//! Written as per-device `<boot order='N'/>` elements, as virt-manager does on QEMU: it
//! names the exact disk or card (the older `<os><boot dev='hd'/>` only names a class, and
//! which disk is "hd" is up to the firmware), it is what libvirt recommends, and libvirt
//! refuses the two forms together, so the `<os><boot>` list is dropped when writing.
//! Devices left out of the list lose their boot entry; devices the list cannot name
//! (host devices, redirected USB) keep theirs, after the listed ones.
//!
//! The inactive XML (with secrets, so a VNC password survives) is rewritten by streaming
//! it through quick-xml's reader into its writer: everything but the `<boot>` elements is
//! copied as it was, metadata and unknown namespaces included, then redefined.

use std::collections::HashMap;

use quick_xml::events::{BytesEnd, BytesStart, Event as XmlEvent};
use quick_xml::{Reader, Writer};

use super::error::{BackendError, ErrorKind};
use super::xml::{parse_tree, Element};
use crate::i18n::gettext_f;

/// One bootable device, named the way the domain XML names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BootDevice {
    /// A disk, CD-ROM or floppy by its target device in the guest ("vda", "sda").
    Disk(String),
    /// A network card by its MAC address.
    Network(String),
}

impl BootDevice {
    fn matches(&self, dev: &Element) -> bool {
        match self {
            BootDevice::Disk(t) => dev.name == "disk" && disk_target(dev) == Some(t.as_str()),
            BootDevice::Network(m) => {
                dev.name == "interface" && mac(dev).is_some_and(|x| x.eq_ignore_ascii_case(m))
            }
        }
    }
}

fn disk_target(dev: &Element) -> Option<&str> {
    dev.child("target")?.attr("dev")
}

fn mac(dev: &Element) -> Option<&str> {
    dev.child("mac")?.attr("address")
}

fn device_children(root: &Element) -> &[Element] {
    root.child("devices")
        .map(|d| d.children.as_slice())
        .unwrap_or_default()
}

fn old_order(dev: &Element) -> Option<u32> {
    dev.child("boot")?.attr("order")?.parse().ok()
}

/// The boot order in effect, as devices: per-device `<boot order>` when present, else the
/// `<os><boot dev>` classes resolved to the first disk, CD-ROM, floppy or card of each.
pub fn boot_devices_in_domain(root: &Element) -> Vec<BootDevice> {
    let devices = device_children(root);
    let named = |d: &Element| -> Option<BootDevice> {
        match (d.ns.is_none(), d.name.as_str()) {
            (true, "disk") => disk_target(d).map(|t| BootDevice::Disk(t.to_owned())),
            (true, "interface") => mac(d).map(|m| BootDevice::Network(m.to_owned())),
            _ => None,
        }
    };
    let mut per_device: Vec<(u32, BootDevice)> = devices
        .iter()
        .filter_map(|d| Some((old_order(d)?, named(d)?)))
        .collect();
    if !per_device.is_empty() {
        per_device.sort_by_key(|(o, _)| *o);
        return per_device.into_iter().map(|(_, d)| d).collect();
    }
    let mut out = Vec::new();
    let classes = root
        .child("os")
        .map(|os| os.children_named("boot").filter_map(|b| b.attr("dev")))
        .into_iter()
        .flatten();
    for class in classes {
        let first = devices.iter().filter(|d| d.ns.is_none()).find(|d| {
            let device = d.attr("device").unwrap_or("disk");
            match class {
                "hd" => d.name == "disk" && matches!(device, "disk" | "lun"),
                "cdrom" => d.name == "disk" && device == "cdrom",
                "fd" => d.name == "disk" && device == "floppy",
                "network" => d.name == "interface",
                _ => false,
            }
        });
        if let Some(dev) = first.and_then(named) {
            if !out.contains(&dev) {
                out.push(dev);
            }
        }
    }
    out
}

fn invalid(message: String) -> BackendError {
    BackendError {
        kind: ErrorKind::InvalidInput,
        message,
        hint: gettextrs::gettext("Choose the boot devices again from the machine's devices."),
    }
}

fn shown(dev: &BootDevice) -> &str {
    match dev {
        BootDevice::Disk(t) | BootDevice::Network(t) => t,
    }
}

/// The new `order` of each child of `<devices>` (by position) that gets one.
fn plan(root: &Element, order: &[BootDevice]) -> Result<HashMap<usize, u32>, BackendError> {
    if order.is_empty() {
        return Err(invalid(gettextrs::gettext(
            "Choose at least one boot device.",
        )));
    }
    let devices = device_children(root);
    let mut plan = HashMap::new();
    for (k, want) in order.iter().enumerate() {
        if order[..k].contains(want) {
            return Err(invalid(gettext_f(
                "“{device}” is in the boot order twice.",
                &[("device", shown(want))],
            )));
        }
        let i = devices
            .iter()
            .position(|d| d.ns.is_none() && want.matches(d))
            .ok_or_else(|| {
                invalid(gettext_f(
                    "This machine has no device “{device}”.",
                    &[("device", shown(want))],
                ))
            })?;
        plan.insert(i, k as u32 + 1);
    }
    // Devices the list cannot name keep their place, after the listed ones.
    let mut rest: Vec<(u32, usize)> = devices
        .iter()
        .enumerate()
        .filter(|(_, d)| !(d.ns.is_none() && matches!(d.name.as_str(), "disk" | "interface")))
        .filter_map(|(i, d)| Some((old_order(d)?, i)))
        .collect();
    rest.sort();
    for (n, (_, i)) in rest.into_iter().enumerate() {
        plan.insert(i, (order.len() + n + 1) as u32);
    }
    Ok(plan)
}

fn xml_err(e: impl std::fmt::Display) -> BackendError {
    BackendError::new(
        ErrorKind::Other,
        format!("cannot rewrite the domain XML: {e}"),
    )
}

/// `xml` (a whole `<domain>`) with the boot order set to `order`, everything else as it was.
pub fn with_boot_order(xml: &str, order: &[BootDevice]) -> Result<String, BackendError> {
    let plan = plan(&parse_tree(xml)?, order)?;
    let mut r = Reader::from_str(xml);
    let mut w = Writer::new(Vec::new());
    // Local names of the open elements, outermost first.
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut skip_depth: Option<usize> = None;
    let mut device_index: Option<usize> = None;
    let boot = |w: &mut Writer<Vec<u8>>, n: u32| {
        let mut b = BytesStart::new("boot");
        b.push_attribute(("order", n.to_string().as_str()));
        w.write_event(XmlEvent::Empty(b))
    };
    loop {
        let ev = r.read_event().map_err(xml_err)?;
        if let Some(d) = skip_depth {
            match ev {
                XmlEvent::Start(_) => path.push(Vec::new()),
                XmlEvent::End(_) => {
                    path.pop();
                    if path.len() == d {
                        skip_depth = None;
                    }
                }
                XmlEvent::Eof => return Err(xml_err("unexpected end")),
                _ => {}
            }
            continue;
        }
        let in_os = path.len() == 2 && path[1] == b"os";
        let in_devices = path.len() == 2 && path[1] == b"devices";
        let in_device = path.len() == 3 && path[1] == b"devices";
        match ev {
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) => {
                let name = e.name().as_ref().to_vec();
                let empty = matches!(ev, XmlEvent::Empty(_));
                if (in_os || in_device) && name == b"boot" {
                    if !empty {
                        skip_depth = Some(path.len());
                        path.push(name);
                    }
                    continue;
                }
                if in_devices {
                    let i = device_index.map_or(0, |i| i + 1);
                    device_index = Some(i);
                    if empty {
                        if let Some(&n) = plan.get(&i) {
                            w.write_event(XmlEvent::Start(e.borrow()))
                                .map_err(xml_err)?;
                            boot(&mut w, n).map_err(xml_err)?;
                            w.write_event(XmlEvent::End(BytesEnd::new(
                                String::from_utf8_lossy(&name).into_owned(),
                            )))
                            .map_err(xml_err)?;
                            continue;
                        }
                    }
                }
                if !empty {
                    path.push(name);
                }
                w.write_event(ev).map_err(xml_err)?;
            }
            XmlEvent::End(_) => {
                if in_device {
                    if let Some(&n) = device_index.and_then(|i| plan.get(&i)) {
                        boot(&mut w, n).map_err(xml_err)?;
                    }
                }
                path.pop();
                w.write_event(ev).map_err(xml_err)?;
            }
            XmlEvent::Eof => break,
            other => w.write_event(other).map_err(xml_err)?,
        }
    }
    String::from_utf8(w.into_inner()).map_err(xml_err)
}

#[cfg(test)]
#[path = "boot_tests.rs"]
mod tests;
