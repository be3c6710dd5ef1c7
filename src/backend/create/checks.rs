//! Checks the wizard runs as the user types: machine names (valid, unused), resources
//! beyond the host's (warnings), and sizes written for people.

use super::CreateOptions;
use crate::i18n::gettext_f;

/// Check a new machine's name: the rule of [`names::name_problem`](crate::backend::names),
/// and not the name of an existing machine. The error is a translated sentence.
pub fn validate_name(name: &str, existing: &[String]) -> Result<(), String> {
    if let Some(problem) = crate::backend::names::name_problem(name) {
        return Err(problem);
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
                (
                    "memory",
                    &crate::i18n::bytes(memory_kib.saturating_mul(1024)),
                ),
                (
                    "host",
                    &crate::i18n::bytes(options.host_memory_kib.saturating_mul(1024)),
                ),
            ],
        ));
    }
    out
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
}
