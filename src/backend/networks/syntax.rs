//! Form rules for the words in a network definition: the network's name, interface and
//! bridge names, MAC addresses and DNS names. Each returns what is wrong, translated.

use gettextrs::gettext;

use crate::i18n::gettext_f;

/// The longest network name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// What is wrong with a new network's name: 1 to 64 ASCII letters, digits, `.`, `-`
/// and `_`, not starting with `.` or `-` (the same spirit as machine names).
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some(gettext("Enter a name for the network."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Some(gettext_f(
            "The network name is too long: use at most {max} characters.",
            &[("max", &MAX_NAME_CHARS.to_string())],
        ));
    }
    if name.starts_with(['.', '-']) {
        return Some(gettext(
            "The network name cannot start with a dot or a dash.",
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        return Some(gettext_f(
            "The network name cannot contain {char}: use letters, digits, “.”, “-” and “_”.",
            &[("char", &shown_char(bad))],
        ));
    }
    None
}

fn shown_char(c: char) -> String {
    if c == ' ' {
        gettext("a space")
    } else if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("“{c}”")
    }
}

/// What is wrong with a host interface name (Linux: 1 to 15 bytes, no `/`, no
/// whitespace, not `.` or `..`).
pub fn iface_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '/' && c != ':');
    (!ok).then(|| {
        gettext_f(
            "“{name}” is not an interface name: use 1 to 15 letters, digits, “-”, “_” or “.”.",
            &[("name", name)],
        )
    })
}

/// The MAC address in libvirt's form (lower case, colon-separated), or what is wrong.
pub fn normalize_mac(mac: &str) -> Result<String, String> {
    let mac = mac.trim();
    let parts: Vec<&str> = mac.split([':', '-']).collect();
    let well_formed = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Err(gettext_f(
            "“{mac}” is not a MAC address: write six pairs of hex digits, like 52:54:00:12:34:56.",
            &[("mac", mac)],
        ));
    }
    let first = u8::from_str_radix(parts[0], 16).unwrap_or(0);
    if first & 1 == 1 {
        return Err(gettext_f(
            "“{mac}” is a multicast address; a network card needs a unicast MAC address.",
            &[("mac", mac)],
        ));
    }
    Ok(parts.join(":").to_ascii_lowercase())
}

/// What is wrong with a DNS name ("lan", "example.test"): labels of 1 to 63 letters,
/// digits and `-` (not first or last), at most 253 characters in all.
pub fn dns_name_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (!ok).then(|| {
        gettext_f(
            "“{name}” is not a valid DNS name: use letters, digits and “-”, in parts separated by dots.",
            &[("name", name)],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_problem("lab-net_2.0"), None);
        assert!(name_problem("").is_some());
        assert!(name_problem("-x").is_some());
        assert!(name_problem("a/b").unwrap().contains("“/”"));
        assert!(name_problem("a b").is_some());
        assert!(name_problem(&"n".repeat(65)).is_some());
    }

    #[test]
    fn macs() {
        assert_eq!(
            normalize_mac(" 52-54-00-AB-cd-01 ").as_deref(),
            Ok("52:54:00:ab:cd:01")
        );
        assert!(normalize_mac("52:54:00:ab:cd").is_err());
        assert!(normalize_mac("52:54:00:ab:cd:0g").is_err());
        assert!(normalize_mac("01:00:5e:00:00:01")
            .unwrap_err()
            .contains("multicast"));
    }

    #[test]
    fn dns_and_ifaces() {
        assert_eq!(dns_name_problem("lab.example"), None);
        assert!(dns_name_problem("bad_name").is_some());
        assert!(dns_name_problem("-a.b").is_some());
        assert!(dns_name_problem("a..b").is_some());
        assert_eq!(iface_problem("br0"), None);
        assert!(iface_problem("a/b").is_some());
        assert!(iface_problem("averyveryverylongname").is_some());
    }
}
