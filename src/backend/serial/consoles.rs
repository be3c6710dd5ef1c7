//! Which text consoles a domain has, read from its XML: the serial ports (`<serial>`) and
//! the consoles (`<console>`), each with the device name `virDomainOpenConsole` takes, a
//! label for a menu and whether it can be opened here.
//!
//! libvirt lists the primary console twice: `<console type='pty'><target type='serial'
//! port='0'/>` is the same device as the first serial port (same pty, same alias
//! `serial0`), so a console whose target is a serial port that is already listed is left
//! out. Device names come from `<alias name=...>` in the live XML; without one (an
//! inactive domain, a driver that assigns none) they are derived as libvirt does:
//! `serialN` and `consoleN` by position.

use gettextrs::gettext;

use crate::backend::xml::{parse_tree, Element};
use crate::i18n::gettext_f;

/// What kind of device a text console is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextConsoleKind {
    /// A serial port (`<serial>`, or a `<console>` with a serial target of its own).
    Serial,
    /// A virtio console (`<console><target type='virtio'>`, `/dev/hvcN` in the guest).
    Virtio,
    /// Another console type (s390 SCLP, Xen, ...).
    Other,
}

/// One text console of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextConsole {
    /// The device name `virDomainOpenConsole` takes ("serial0", "console1", ...).
    pub device: String,
    pub kind: TextConsoleKind,
    /// A label for a menu: "Serial port 1", "Virtio console 1" (translated).
    pub label: String,
    /// libvirt's source type: "pty", "file", "unix", ...
    pub source_type: String,
    /// Why it cannot be opened here (translated); `None` when it can (pty consoles).
    pub unavailable: Option<String>,
}

impl TextConsole {
    /// Whether [`SerialCommand::Open`](super::SerialCommand::Open) can open it (while the
    /// machine runs).
    pub fn can_open(&self) -> bool {
        self.unavailable.is_none()
    }
}

/// The text consoles in a domain's XML (serial ports first, then other consoles), in the
/// order a menu shows them. Empty when the XML cannot be parsed (logged).
pub fn text_consoles(xml: &str) -> Vec<TextConsole> {
    match parse_tree(xml) {
        Ok(root) => consoles_in(&root),
        Err(e) => {
            log::warn!("text consoles: {e}");
            Vec::new()
        }
    }
}

/// The text consoles of a parsed `<domain>` element.
pub fn consoles_in(domain: &Element) -> Vec<TextConsole> {
    let Some(devices) = domain.child("devices") else {
        return Vec::new();
    };
    let mut out: Vec<TextConsole> = Vec::new();
    let mut serial_ports = Vec::new();
    for (i, serial) in devices.children_named("serial").enumerate() {
        let port = target_port(serial);
        serial_ports.push(port.unwrap_or(i as u32));
        let number = port.map_or(i + 1, |p| p as usize + 1).to_string();
        out.push(console(
            serial,
            format!("serial{i}"),
            TextConsoleKind::Serial,
            gettext_f("Serial port {number}", &[("number", &number)]),
        ));
    }
    let mut virtio = 0;
    let mut other = 0;
    for (i, el) in devices.children_named("console").enumerate() {
        let target = el.child("target");
        let target_type = target.and_then(|t| t.attr("type")).unwrap_or("serial");
        let derived = format!("console{i}");
        let (kind, label) = match target_type {
            "serial" => {
                let port = target_port(el).unwrap_or(0);
                // The primary console: the same device as that serial port.
                if serial_ports.contains(&port) {
                    continue;
                }
                let number = (port + 1).to_string();
                let label = gettext_f("Serial port {number}", &[("number", &number)]);
                (TextConsoleKind::Serial, label)
            }
            "virtio" => {
                virtio += 1;
                let number = virtio.to_string();
                let label = gettext_f("Virtio console {number}", &[("number", &number)]);
                (TextConsoleKind::Virtio, label)
            }
            _ => {
                other += 1;
                let number = other.to_string();
                let label = gettext_f("Text console {number}", &[("number", &number)]);
                (TextConsoleKind::Other, label)
            }
        };
        let c = console(el, derived, kind, label);
        if out.iter().all(|o| o.device != c.device) {
            out.push(c);
        }
    }
    out
}

fn target_port(el: &Element) -> Option<u32> {
    el.child("target")
        .and_then(|t| t.attr("port"))
        .and_then(|p| p.parse().ok())
}

fn console(el: &Element, derived: String, kind: TextConsoleKind, label: String) -> TextConsole {
    let device = el
        .child("alias")
        .and_then(|a| a.attr("name"))
        .filter(|n| !n.is_empty())
        .map_or(derived, str::to_owned);
    // libvirt's default source type is pty.
    let source_type = el.attr("type").unwrap_or("pty").to_owned();
    let path = el
        .child("source")
        .and_then(|s| s.attr("path"))
        .unwrap_or_default();
    TextConsole {
        device,
        kind,
        label,
        unavailable: why_unavailable(&source_type, path),
        source_type,
    }
}

/// Why a console of this source type cannot be opened (only pty consoles can).
fn why_unavailable(source_type: &str, path: &str) -> Option<String> {
    Some(match source_type {
        "pty" => return None,
        "file" if !path.is_empty() => gettext_f(
            "Cannot be opened here: it writes to the file “{path}” on the host.",
            &[("path", path)],
        ),
        "file" => gettext("Cannot be opened here: it writes to a file on the host."),
        "unix" => gettext("Cannot be opened here: it is connected to a socket on the host."),
        "tcp" | "udp" => gettext("Cannot be opened here: it is connected to a network port."),
        "null" => gettext("Cannot be opened here: it is not connected to anything."),
        "spicevmc" | "spiceport" => {
            gettext("Cannot be opened here: it is connected to the SPICE display.")
        }
        other => gettext_f(
            "Cannot be opened here: only pseudo-terminal (pty) consoles can be, and this one is “{type}”.",
            &[("type", other)],
        ),
    })
}

#[cfg(test)]
#[path = "consoles_tests.rs"]
mod tests;
