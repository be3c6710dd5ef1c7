//! What the graphical console views share: the VNC view (`vnc_view`, over gvnc) and the
//! SPICE view (`spice_view`, over spice-client-glib) report the same [`DisplayState`],
//! scale the same way ([`Scaling`]), offer the same [`SendKey`] combinations and turn GDK
//! key events into PC scancodes through the same [`keymap`]. Both paint into a
//! [`canvas::DisplayCanvas`] (tiles of the [`frame`], placed by the [`layout`]).

pub mod canvas;
pub mod frame;
pub mod keymap;
pub mod layout;

use gettextrs::gettext;

use crate::i18n::gettext_f;

/// Where a graphical console is, as the console page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DisplayState {
    /// Not asked to connect yet (or closed on purpose).
    #[default]
    Idle,
    /// Opening the connection, negotiating, waiting for the first frame.
    Connecting,
    /// Frames arrive; the guest's screen is `width` × `height` pixels.
    Connected { width: u32, height: u32 },
    /// The server wants credentials: a password, and a user name when `username`.
    AuthRequired { username: bool },
    /// The credentials were refused; the server's or library's reason.
    AuthFailed(String),
    /// The connection ended: why, when known (`None`: closed normally, e.g. guest off).
    Disconnected(Option<String>),
}

/// How the guest's screen fits the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scaling {
    /// Scaled to the view, keeping the aspect ratio (never above 1:1 when it fits).
    #[default]
    Fit,
    /// One guest pixel per screen pixel, scrolling when larger than the view.
    Native,
}

/// The key combinations of the "Send Key" menu (keys GNOME would take for itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendKey {
    CtrlAltDel,
    CtrlAltBackspace,
    /// Ctrl+Alt+F1 … F12 (1-based).
    CtrlAltF(u8),
    PrintScreen,
}

/// One key of a combination: the Linux evdev code (for the scancode) and the X keysym
/// (what VNC also sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub evdev: u16,
    pub keysym: u32,
}

const CTRL: Key = Key {
    evdev: 29,
    keysym: 0xffe3,
};
const ALT: Key = Key {
    evdev: 56,
    keysym: 0xffe9,
};

impl SendKey {
    /// Every entry of the menu, in menu order.
    pub fn all() -> Vec<SendKey> {
        let mut keys = vec![SendKey::CtrlAltDel, SendKey::CtrlAltBackspace];
        keys.extend((1..=12).map(SendKey::CtrlAltF));
        keys.push(SendKey::PrintScreen);
        keys
    }

    /// The menu label (translated), e.g. "Ctrl+Alt+Del".
    pub fn label(self) -> String {
        match self {
            SendKey::CtrlAltDel => gettext("Ctrl+Alt+Del"),
            SendKey::CtrlAltBackspace => gettext("Ctrl+Alt+Backspace"),
            // Translators: {number} is a function key number, 1 to 12.
            SendKey::CtrlAltF(n) => gettext_f("Ctrl+Alt+F{number}", &[("number", &n.to_string())]),
            SendKey::PrintScreen => gettext("Print Screen"),
        }
    }

    /// The keys to press in order (and release in reverse order).
    pub fn keys(self) -> Vec<Key> {
        match self {
            SendKey::CtrlAltDel => vec![
                CTRL,
                ALT,
                Key {
                    evdev: 111,
                    keysym: 0xffff,
                },
            ],
            SendKey::CtrlAltBackspace => vec![
                CTRL,
                ALT,
                Key {
                    evdev: 14,
                    keysym: 0xff08,
                },
            ],
            SendKey::CtrlAltF(n) => {
                let n = n.clamp(1, 12);
                // F1–F10 are evdev 59–68, F11 and F12 are 87 and 88.
                let evdev = if n <= 10 {
                    58 + n as u16
                } else {
                    76 + n as u16
                };
                vec![
                    CTRL,
                    ALT,
                    Key {
                        evdev,
                        keysym: 0xffbd + n as u32,
                    },
                ]
            }
            SendKey::PrintScreen => vec![Key {
                evdev: 99,
                keysym: 0xff61,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_send_key_maps_to_scancodes() {
        for combo in SendKey::all() {
            for key in combo.keys() {
                assert!(
                    keymap::xt_from_evdev(key.evdev).is_some(),
                    "{combo:?}: evdev {} has no scancode",
                    key.evdev
                );
            }
        }
        assert_eq!(SendKey::all().len(), 15);
    }

    #[test]
    fn function_keys_are_the_right_ones() {
        let f = |n| SendKey::CtrlAltF(n).keys()[2];
        assert_eq!((f(1).evdev, f(1).keysym), (59, 0xffbe));
        assert_eq!((f(10).evdev, f(10).keysym), (68, 0xffc7));
        assert_eq!((f(11).evdev, f(11).keysym), (87, 0xffc8));
        assert_eq!((f(12).evdev, f(12).keysym), (88, 0xffc9));
    }
}
