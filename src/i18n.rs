//! Translation helpers on top of gettext, and sizes written for people (used by the
//! backend's messages and the UI alike).

use gettextrs::{gettext, ngettext};

/// `gettext` with named `{placeholders}` replaced after translation, so translators can
/// reorder them.
pub fn gettext_f(msgid: &str, args: &[(&str, &str)]) -> String {
    fill(gettext(msgid), args)
}

/// Plural form of [`gettext_f`].
pub fn ngettext_f(msgid: &str, plural: &str, n: u32, args: &[(&str, &str)]) -> String {
    fill(ngettext(msgid, plural, n), args)
}

/// Bytes as "1.5 GiB" (binary units, one decimal above KiB).
pub fn bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    // 1023.97 GiB shows as "1 TiB", not "1024.0 GiB": compare what will be printed.
    while (value * 10.0).round() >= 10240.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let number = if unit == 0 || value.fract() < 0.05 || value.fract() >= 0.95 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    // Translators: a size, e.g. "1.5 GiB"; {number} is the value, {unit} the binary unit.
    gettext_f(
        "{number} {unit}",
        &[("number", &number), ("unit", UNITS[unit])],
    )
}

pub fn kib(kib: u64) -> String {
    bytes(kib.saturating_mul(1024))
}

fn fill(mut text: String, args: &[(&str, &str)]) -> String {
    for (key, value) in args {
        text = text.replace(&format!("{{{key}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_in_any_order() {
        assert_eq!(
            fill("{b} then {a}".into(), &[("a", "1"), ("b", "2")]),
            "2 then 1"
        );
        assert_eq!(fill("none".into(), &[("a", "1")]), "none");
    }
}
