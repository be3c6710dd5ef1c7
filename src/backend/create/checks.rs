//! Checks the wizard runs as the user types: machine names (valid, unused), resources
//! beyond the host's (warnings), and sizes written for people.

use gettextrs::gettext;

use super::CreateOptions;
use crate::i18n::gettext_f;

/// Check a new machine's name: 1 to 64 characters from ASCII letters, digits, `.`, `-`,
/// `_` and `+`, not starting with `.` or `-`, and not the name of an existing machine.
/// The error is a translated sentence for the user.
pub fn validate_name(name: &str, existing: &[String]) -> Result<(), String> {
    if name.is_empty() {
        return Err(gettext("Enter a name for the virtual machine."));
    }
    if name.chars().count() > 64 {
        return Err(gettext("The name is too long: use at most 64 characters."));
    }
    if name.starts_with('.') || name.starts_with('-') {
        return Err(gettext("The name cannot start with a dot or a dash."));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')))
    {
        let shown = if bad.is_whitespace() {
            gettext("a space")
        } else {
            format!("“{bad}”")
        };
        return Err(gettext_f(
            "The name cannot contain {char}: use letters, digits, “.”, “-”, “_” and “+”.",
            &[("char", &shown)],
        ));
    }
    if existing.iter().any(|e| e == name) {
        return Err(gettext_f(
            "A virtual machine named “{name}” already exists. Choose another name.",
            &[("name", name)],
        ));
    }
    Ok(())
}

/// `base` made valid, or `base-2`, `base-3`... whichever is free.
pub fn suggest_name(base: &str, existing: &[String]) -> String {
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.trim_start_matches(['.', '-']);
    let clean: String = if clean.is_empty() { "vm" } else { clean }
        .chars()
        .take(56)
        .collect();
    if validate_name(&clean, existing).is_ok() {
        return clean;
    }
    (2..)
        .map(|n| format!("{clean}-{n}"))
        .find(|n| validate_name(n, existing).is_ok())
        .unwrap_or(clean)
}

/// Warnings (not errors) for resources beyond what the host has. Translated.
pub fn resource_warnings(vcpus: u32, memory_kib: u64, options: &CreateOptions) -> Vec<String> {
    let mut out = Vec::new();
    if options.host_cpus > 0 && vcpus > options.host_cpus {
        out.push(gettext_f(
            "{vcpus} virtual CPUs is more than the host's {host} CPUs: the machine will run slowly.",
            &[
                ("vcpus", &vcpus.to_string()),
                ("host", &options.host_cpus.to_string()),
            ],
        ));
    }
    if options.host_memory_kib > 0 && memory_kib > options.host_memory_kib {
        out.push(gettext_f(
            "{memory} of memory is more than the host's {host}: the host may run out of memory.",
            &[
                ("memory", &human_bytes(memory_kib.saturating_mul(1024))),
                (
                    "host",
                    &human_bytes(options.host_memory_kib.saturating_mul(1024)),
                ),
            ],
        ));
    }
    out
}

/// Bytes for people: "20 GiB", "1.5 GiB", "512 MiB".
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || (value.fract() * 10.0).round() == 0.0 || (value.fract() * 10.0).round() == 10.0
    {
        format!("{} {}", value.round(), UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let existing = vec!["web".to_owned()];
        assert!(validate_name("debian-12_a.b+c", &existing).is_ok());
        assert!(validate_name("", &existing).is_err());
        assert!(validate_name("web", &existing)
            .unwrap_err()
            .contains("already exists"));
        assert!(validate_name(".hidden", &existing).is_err());
        assert!(validate_name("-x", &existing).is_err());
        assert!(validate_name("a b", &existing).is_err());
        assert!(validate_name("a/b", &existing).unwrap_err().contains("“/”"));
        assert!(validate_name("é", &existing).is_err());
        assert!(validate_name(&"a".repeat(64), &existing).is_ok());
        assert!(validate_name(&"a".repeat(65), &existing).is_err());
    }

    #[test]
    fn suggested_names_are_valid_and_free() {
        let existing = vec!["debian11".to_owned(), "debian11-2".to_owned()];
        assert_eq!(suggest_name("debian11", &existing), "debian11-3");
        assert_eq!(suggest_name("win10", &existing), "win10");
        assert_eq!(suggest_name("ubuntu 22.04", &[]), "ubuntu-22.04");
        assert_eq!(suggest_name("--", &[]), "vm");
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(human_bytes(20 << 30), "20 GiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
        assert_eq!(human_bytes(512 << 20), "512 MiB");
        assert_eq!(human_bytes(100), "100 bytes");
    }
}
