//! Which consoles a machine offers: its graphical display, then each text console (serial
//! ports and virtio consoles with a pty behind them) from the domain's details.

use gettextrs::gettext;

use crate::backend::VmDetails;
use crate::i18n::gettext_f;

/// One entry of the console picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleChoice {
    /// The VNC or SPICE display (whichever the machine has).
    Display,
    /// A text console: libvirt's device name (`serial0`, `console1`; `None` = the
    /// primary console) and the label shown.
    Text {
        device: Option<String>,
        label: String,
    },
}

impl ConsoleChoice {
    pub fn label(&self) -> String {
        match self {
            ConsoleChoice::Display => gettext("Display"),
            ConsoleChoice::Text { label, .. } => label.clone(),
        }
    }
}

/// The display first, then the text consoles libvirt can open (pty-backed ones). The
/// primary `<console>` that only mirrors the first serial port is not listed twice.
/// Without details (not loaded yet), the display and the primary console.
pub fn console_choices(details: Option<&VmDetails>) -> Vec<ConsoleChoice> {
    let mut choices = vec![ConsoleChoice::Display];
    let Some(d) = details else {
        choices.push(ConsoleChoice::Text {
            device: None,
            label: gettext("Serial console"),
        });
        return choices;
    };
    let mut serial = 0;
    let mut virtio = 0;
    for c in &d.consoles {
        let text = match (c.device.as_str(), c.target.as_str()) {
            ("serial", _) => {
                serial += 1;
                gettext_f("Serial port {n}", &[("n", &serial.to_string())])
            }
            ("console", "virtio") => {
                virtio += 1;
                gettext_f("Virtio console {n}", &[("n", &virtio.to_string())])
            }
            _ => continue,
        };
        if c.kind != "pty" {
            continue;
        }
        choices.push(ConsoleChoice::Text {
            device: (!c.alias.is_empty()).then(|| c.alias.clone()),
            label: text,
        });
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::types::ConsoleInfo;

    fn console(device: &str, kind: &str, target: &str, alias: &str) -> ConsoleInfo {
        ConsoleInfo {
            device: device.into(),
            kind: kind.into(),
            target: target.into(),
            path: String::new(),
            alias: alias.into(),
        }
    }

    #[test]
    fn serial_ports_and_virtio_consoles_follow_the_display() {
        let d = VmDetails {
            consoles: vec![
                console("serial", "pty", "isa-serial", "serial0"),
                console("console", "pty", "serial", "serial0"),
                console("console", "pty", "virtio", "console1"),
                console("serial", "file", "isa-serial", "serial1"),
                console("channel", "unix", "org.qemu.guest_agent.0", "channel0"),
            ],
            ..VmDetails::default()
        };
        let labels: Vec<_> = console_choices(Some(&d))
            .iter()
            .map(ConsoleChoice::label)
            .collect();
        assert_eq!(labels, ["Display", "Serial port 1", "Virtio console 1"]);
        assert_eq!(
            console_choices(Some(&d))[2],
            ConsoleChoice::Text {
                device: Some("console1".into()),
                label: "Virtio console 1".into()
            }
        );
    }

    #[test]
    fn without_details_the_primary_console_is_offered() {
        let choices = console_choices(None);
        assert_eq!(choices.len(), 2);
        assert!(matches!(&choices[1], ConsoleChoice::Text { device: None, .. }));
    }
}
