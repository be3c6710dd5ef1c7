//! From the keys GDK reports to the PC (XT, "set 1") scancodes QEMU's keyboard takes.
//!
//! On Linux, X11 and Wayland both hand GTK the kernel's evdev code plus 8 as the hardware
//! keycode, and evdev codes 1–83 are, by history, the XT scancodes themselves. The keys
//! after that either have a one-byte code of their own or an 0xE0-prefixed ("extended")
//! one. VNC's QEMU extended key event writes an extended code as 0x80 | code
//! ([`XtScancode::qnum`]); SPICE's inputs channel as 0x100 | code ([`XtScancode::spice`]).

/// One XT scancode: the byte and whether it follows an 0xE0 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XtScancode {
    pub code: u8,
    pub extended: bool,
}

impl XtScancode {
    const fn plain(code: u8) -> Option<XtScancode> {
        Some(XtScancode {
            code,
            extended: false,
        })
    }

    const fn ext(code: u8) -> Option<XtScancode> {
        Some(XtScancode {
            code,
            extended: true,
        })
    }

    /// QEMU's "qnum" form (VNC extended key events): extended keys get the high bit.
    pub fn qnum(self) -> u32 {
        if self.extended {
            0x80 | u32::from(self.code)
        } else {
            u32::from(self.code)
        }
    }

    /// spice-client-glib's form (`spice_inputs_channel_key_press`): extended keys get 0x100.
    pub fn spice(self) -> u32 {
        if self.extended {
            0x100 | u32::from(self.code)
        } else {
            u32::from(self.code)
        }
    }
}

/// The evdev code of a GDK hardware keycode (X11 and Wayland on Linux: keycode − 8).
pub fn evdev_from_gdk(keycode: u32) -> Option<u16> {
    keycode.checked_sub(8).and_then(|c| u16::try_from(c).ok())
}

/// The XT scancode of a Linux evdev key code; `None` for keys a PC keyboard does not have.
pub fn xt_from_evdev(evdev: u16) -> Option<XtScancode> {
    match evdev {
        // KEY_ESC … KEY_KPDOT: the codes are the scancodes.
        1..=83 => XtScancode::plain(evdev as u8),
        85 => XtScancode::plain(0x76),  // Zenkaku/Hankaku
        86 => XtScancode::plain(0x56),  // the key left of Z on ISO keyboards
        87 => XtScancode::plain(0x57),  // F11
        88 => XtScancode::plain(0x58),  // F12
        89 => XtScancode::plain(0x73),  // Ro
        90 => XtScancode::plain(0x78),  // Katakana
        91 => XtScancode::plain(0x77),  // Hiragana
        92 => XtScancode::plain(0x79),  // Henkan
        93 => XtScancode::plain(0x70),  // Katakana/Hiragana
        94 => XtScancode::plain(0x7b),  // Muhenkan
        95 => XtScancode::plain(0x5c),  // keypad JP comma
        96 => XtScancode::ext(0x1c),    // keypad Enter
        97 => XtScancode::ext(0x1d),    // right Ctrl
        98 => XtScancode::ext(0x35),    // keypad /
        99 => XtScancode::ext(0x37),    // Print Screen / SysRq
        100 => XtScancode::ext(0x38),   // right Alt (AltGr)
        102 => XtScancode::ext(0x47),   // Home
        103 => XtScancode::ext(0x48),   // Up
        104 => XtScancode::ext(0x49),   // Page Up
        105 => XtScancode::ext(0x4b),   // Left
        106 => XtScancode::ext(0x4d),   // Right
        107 => XtScancode::ext(0x4f),   // End
        108 => XtScancode::ext(0x50),   // Down
        109 => XtScancode::ext(0x51),   // Page Down
        110 => XtScancode::ext(0x52),   // Insert
        111 => XtScancode::ext(0x53),   // Delete
        113 => XtScancode::ext(0x20),   // Mute
        114 => XtScancode::ext(0x2e),   // Volume Down
        115 => XtScancode::ext(0x30),   // Volume Up
        116 => XtScancode::ext(0x5e),   // Power
        117 => XtScancode::plain(0x59), // keypad =
        119 => XtScancode::ext(0x46),   // Pause (QEMU's code for the E1 sequence)
        121 => XtScancode::plain(0x7e), // keypad comma
        124 => XtScancode::plain(0x7d), // Yen
        125 => XtScancode::ext(0x5b),   // left Super
        126 => XtScancode::ext(0x5c),   // right Super
        127 => XtScancode::ext(0x5d),   // Menu
        142 => XtScancode::ext(0x5f),   // Sleep
        143 => XtScancode::ext(0x63),   // Wake Up
        163 => XtScancode::ext(0x19),   // Next Track
        164 => XtScancode::ext(0x22),   // Play/Pause
        165 => XtScancode::ext(0x10),   // Previous Track
        166 => XtScancode::ext(0x24),   // Stop
        183 => XtScancode::plain(0x5d), // F13
        184 => XtScancode::plain(0x5e), // F14
        185 => XtScancode::plain(0x5f), // F15
        _ => None,
    }
}

/// The scancode of a GDK key event's hardware keycode.
pub fn xt_from_gdk(keycode: u32) -> Option<XtScancode> {
    evdev_from_gdk(keycode).and_then(xt_from_evdev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_modifiers_are_their_evdev_codes() {
        // X11 keycode 38 is "a": evdev 30, scancode 0x1e.
        assert_eq!(xt_from_gdk(38), XtScancode::plain(0x1e));
        assert_eq!(xt_from_evdev(29).unwrap().qnum(), 0x1d); // left Ctrl
        assert_eq!(xt_from_evdev(56).unwrap().qnum(), 0x38); // left Alt
        assert_eq!(xt_from_evdev(28).unwrap().qnum(), 0x1c); // Enter
    }

    #[test]
    fn extended_keys_encode_per_protocol() {
        let del = xt_from_evdev(111).unwrap();
        assert!(del.extended);
        assert_eq!(del.qnum(), 0xd3);
        assert_eq!(del.spice(), 0x153);
        assert_eq!(xt_from_evdev(97).unwrap().qnum(), 0x9d); // right Ctrl
    }

    #[test]
    fn keys_a_pc_keyboard_lacks_have_none() {
        assert_eq!(xt_from_evdev(0), None);
        assert_eq!(xt_from_evdev(84), None);
        assert_eq!(xt_from_evdev(600), None);
        assert_eq!(evdev_from_gdk(3), None);
    }
}
