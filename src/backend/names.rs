//! The rule for machine names, shared by rename, creation, cloning and import.
//!
//! A name is 1 to 64 characters of ASCII letters, digits, `.`, `-`, `_` and `+`, and does
//! not start with `.` or `-`. libvirt itself accepts nearly anything but `/`; the narrower
//! rule keeps names usable as file names (disk images, logs), on command lines and in
//! URLs without quoting. Uniqueness is per host and, like libvirt's, case-sensitive.

use virt::connect::Connect;
use virt::error::ErrorNumber;

use super::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// What is wrong with a proposed name, if anything (pure: no libvirt): 1 to 64
/// characters from ASCII letters, digits, `.`, `-`, `_` and `+`, not starting with `.` or
/// `-`. The one rule for new names (creation, clone, rename, import).
pub fn name_problem(name: &str) -> Option<String> {
    use gettextrs::gettext;
    if name.is_empty() {
        return Some(gettext("Enter a name for the virtual machine."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Some(gettext_f(
            "The name is too long: use at most {max} characters.",
            &[("max", &MAX_NAME_CHARS.to_string())],
        ));
    }
    if name.starts_with(['.', '-']) {
        return Some(gettext("The name cannot start with a dot or a dash."));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')))
    {
        let shown = if bad == ' ' {
            gettext("a space")
        } else if bad.is_control() || bad.is_whitespace() {
            format!("U+{:04X}", u32::from(bad))
        } else {
            format!("“{bad}”")
        };
        return Some(gettext_f(
            "The name cannot contain {char}: use letters, digits, “.”, “-”, “_” and “+”.",
            &[("char", &shown)],
        ));
    }
    None
}

/// Check the form of `name`; the error says what to fix.
pub fn validate_name(name: &str) -> Result<(), BackendError> {
    match name_problem(name) {
        None => Ok(()),
        Some(why) => Err(invalid_name(why)),
    }
}

/// Check the form of `name` and that no other domain on the host has it. `own_uuid` is
/// the domain being renamed (its own current name is not a clash).
pub fn check_new_name(
    conn: &Connect,
    name: &str,
    own_uuid: Option<&str>,
) -> Result<(), BackendError> {
    validate_name(name)?;
    match conn.lookup_domain_by_name(name) {
        Ok(other) => {
            let uuid = other
                .uuid_string()
                .map_err(|e| BackendError::from_virt(&e))?;
            if own_uuid.is_some_and(|u| u.eq_ignore_ascii_case(&uuid)) {
                return Ok(());
            }
            Err(invalid_name(gettext_f(
                "A machine named “{name}” already exists on this host.",
                &[("name", name)],
            )))
        }
        Err(e) if e.code().unwrap_or(ErrorNumber::InternalError) == ErrorNumber::NoDomain => Ok(()),
        Err(e) => Err(BackendError::from_virt(&e)),
    }
}

/// Whether a domain called `name` exists on the host.
pub fn domain_exists(conn: &Connect, name: &str) -> Result<bool, BackendError> {
    match conn.lookup_domain_by_name(name) {
        Ok(_) => Ok(true),
        Err(e) if e.code().unwrap_or(ErrorNumber::InternalError) == ErrorNumber::NoDomain => {
            Ok(false)
        }
        Err(e) => Err(BackendError::from_virt(&e)),
    }
}

/// Make `base` follow the rule: other characters become `-`, a leading `.` or `-` is
/// dropped, and it is cut to leave room for a suffix of `suffix_room` characters.
pub fn sanitize(base: &str, suffix_room: usize) -> String {
    let mapped: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches(['.', '-']);
    let keep = MAX_NAME_CHARS.saturating_sub(suffix_room);
    let mut out: String = trimmed.chars().take(keep).collect();
    if out.is_empty() {
        out.push_str("vm");
    }
    out
}

/// The first of `stem`, `stem-2`, `stem-3`, ... for which `taken` says no; every
/// candidate follows the rule (`stem` is sanitized and shortened as needed).
pub fn first_free(
    stem: &str,
    mut taken: impl FnMut(&str) -> Result<bool, BackendError>,
) -> Result<String, BackendError> {
    for n in 1u32.. {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let candidate = format!("{}{suffix}", sanitize(stem, suffix.len()));
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    unreachable!("u32 candidates run out before names do")
}

/// A free name for a copy of `name`: "NAME-clone", then "NAME-clone-2", ...
pub fn suggest_clone_name(conn: &Connect, name: &str) -> Result<String, BackendError> {
    first_free(&format!("{name}-clone"), |n| domain_exists(conn, n))
}

fn invalid_name(why: String) -> BackendError {
    BackendError {
        kind: ErrorKind::InvalidInput,
        message: why,
        hint: gettextrs::gettext("Choose another name."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_allowed_alphabet() {
        for ok in ["a", "web-1", "db_2.old", "x+y", "A9", &"n".repeat(64)] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn refuses_with_a_reason() {
        for bad in [
            "",
            ".hidden",
            "-flag",
            "a/b",
            "a b",
            "tab\there",
            "é",
            "semi;colon",
            &"n".repeat(65),
        ] {
            let e = validate_name(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{bad}");
            assert!(!e.message.is_empty() && !e.hint.is_empty());
        }
        assert!(name_problem("a b").unwrap().contains("a space"));
        assert!(name_problem("tab\there").unwrap().contains("U+0009"));
        assert!(name_problem("a/b").unwrap().contains("“/”"));
    }

    #[test]
    fn suggestions_follow_the_rule() {
        assert_eq!(sanitize("my vm/1", 0), "my-vm-1");
        assert_eq!(sanitize("..x", 0), "x");
        assert_eq!(sanitize("---", 0), "vm");
        assert_eq!(sanitize(&"a".repeat(70), 2).len(), 62);
        let taken = ["web-clone", "web-clone-2"];
        let got = first_free("web-clone", |n| Ok(taken.contains(&n))).unwrap();
        assert_eq!(got, "web-clone-3");
        let long = "b".repeat(64);
        let got = first_free(&long, |n| Ok(n == long)).unwrap();
        assert_eq!(got.len(), 64);
        assert!(got.ends_with("-2"));
        assert!(validate_name(&got).is_ok());
    }
}
