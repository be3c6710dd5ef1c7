//! How the terminal looks: the desktop's monospace font and colours that follow the light
//! or dark style.

use gtk::gio::{self, prelude::*};
use gtk::{gdk, pango};

use super::vte::Terminal;

/// The Tango palette (GNOME Terminal's default): black, red, green, yellow, blue,
/// magenta, cyan, white, then their bright variants.
const PALETTE: [&str; 16] = [
    "#2e3436", "#cc0000", "#4e9a06", "#c4a000", "#3465a4", "#75507b", "#06989a", "#d3d7cf",
    "#555753", "#ef2929", "#8ae234", "#fce94f", "#729fcf", "#ad7fa8", "#34e2e2", "#eeeeec",
];

const LIGHT: (&str, &str) = ("#241f31", "#ffffff");
const DARK: (&str, &str) = ("#ffffff", "#1e1e1e");

fn rgba(hex: &str) -> gdk::RGBA {
    gdk::RGBA::parse(hex).unwrap_or(gdk::RGBA::BLACK)
}

/// Foreground, background and palette for the light or dark style.
pub fn apply_colors(term: &Terminal, dark: bool) {
    let (fg, bg) = if dark { DARK } else { LIGHT };
    let palette: Vec<_> = PALETTE.iter().map(|c| rgba(c)).collect();
    term.set_colors(&rgba(fg), &rgba(bg), &palette);
}

/// The desktop's monospace font (`org.gnome.desktop.interface monospace-font-name`), or
/// "Monospace 11" where that schema is not installed.
pub fn monospace_font() -> pango::FontDescription {
    const SCHEMA: &str = "org.gnome.desktop.interface";
    let name = gio::SettingsSchemaSource::default()
        .and_then(|src| src.lookup(SCHEMA, true))
        .filter(|schema| schema.has_key("monospace-font-name"))
        .map(|_| {
            gio::Settings::new(SCHEMA)
                .string("monospace-font-name")
                .to_string()
        })
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Monospace 11".to_owned());
    pango::FontDescription::from_string(&name)
}
