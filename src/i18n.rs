//! Translation helpers on top of gettext.

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
