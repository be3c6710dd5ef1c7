//! Which consoles a machine offers: its graphical display, then each text console libvirt
//! can open (the backend's `serial::text_consoles` reads them from the domain's XML).

use gettextrs::gettext;

use crate::backend::serial::text_consoles;
use crate::backend::VmDetails;

/// One entry of the console picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleChoice {
    /// The VNC or SPICE display (whichever the machine has).
    Display,
    /// A text console: libvirt's device name (`serial0`, `console1`; `None` = the first
    /// one that can be opened) and the label shown.
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

/// The display first, then the text consoles that can be opened here (pty-backed ones).
/// Without details (not loaded yet), the display and the first text console.
pub fn console_choices(details: Option<&VmDetails>) -> Vec<ConsoleChoice> {
    let mut choices = vec![ConsoleChoice::Display];
    match details {
        Some(d) => choices.extend(
            text_consoles(&d.xml)
                .into_iter()
                .filter(|c| c.can_open())
                .map(|c| ConsoleChoice::Text {
                    device: Some(c.device),
                    label: c.label,
                }),
        ),
        None => choices.push(ConsoleChoice::Text {
            device: None,
            label: gettext("Text console"),
        }),
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<domain type='kvm'><name>a</name><devices>
        <serial type='pty'><target type='isa-serial' port='0'/></serial>
        <serial type='file'><source path='/tmp/log'/><target port='1'/></serial>
        <console type='pty'><target type='serial' port='0'/></console>
        <console type='pty'><target type='virtio' port='1'/></console>
        <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
      </devices></domain>"#;

    #[test]
    fn openable_text_consoles_follow_the_display() {
        let d = VmDetails {
            xml: XML.into(),
            ..VmDetails::default()
        };
        let choices = console_choices(Some(&d));
        let labels: Vec<_> = choices.iter().map(ConsoleChoice::label).collect();
        assert_eq!(labels, ["Display", "Serial port 1", "Virtio console 1"]);
        assert_eq!(
            choices[1],
            ConsoleChoice::Text {
                device: Some("serial0".into()),
                label: "Serial port 1".into()
            }
        );
    }

    #[test]
    fn without_details_the_first_text_console_is_offered() {
        let choices = console_choices(None);
        assert_eq!(choices.len(), 2);
        assert!(matches!(
            &choices[1],
            ConsoleChoice::Text { device: None, .. }
        ));
    }
}
