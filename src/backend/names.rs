//! Names of machines the app creates (clone, new machine): the rule they follow and
//! unique suggestions.
//!
//! The rule: 1 to 64 characters, ASCII letters, digits, `.`, `-`, `_` and `+`, not
//! starting with `.` or `-`. libvirt itself accepts nearly anything but `/`; ours is
//! stricter because names become file names (volumes, NVRAM, logs) and command-line
//! arguments. Names that came from elsewhere (an imported file) are left to libvirt.

use virt::connect::Connect;
use virt::error::ErrorNumber;

use gettextrs::gettext;

use super::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

/// The longest name [`validate_name`] accepts, in characters.
pub const MAX_NAME_LEN: usize = 64;

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+')
}

/// Check `name` against the rule; the error says what is wrong (`InvalidInput`).
pub fn validate_name(name: &str) -> Result<(), BackendError> {
    let invalid = |msg: String| Err(BackendError::new(ErrorKind::InvalidInput, msg));
    if name.is_empty() {
        return invalid(gettext("A name is required"));
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return invalid(gettext_f(
            "The name is {len} characters long; at most {max} are allowed",
            &[
                ("len", &len.to_string()),
                ("max", &MAX_NAME_LEN.to_string()),
            ],
        ));
    }
    if let Some(c) = name.chars().find(|c| !allowed(*c)) {
        return invalid(gettext_f(
            "“{c}” is not allowed in a name: use letters, digits, “.”, “-”, “_” and “+”",
            &[("c", &c.to_string())],
        ));
    }
    if name.starts_with(['.', '-']) {
        return invalid(gettext("A name cannot start with “.” or “-”"));
    }
    Ok(())
}

/// Whether a domain called `name` exists on the host.
pub fn domain_exists(conn: &Connect, name: &str) -> Result<bool, BackendError> {
    match conn.lookup_domain_by_name(name) {
        Ok(_) => Ok(true),
        Err(e) if e.code().is(ErrorNumber::NoDomain) => Ok(false),
        Err(e) => Err(BackendError::from_virt(&e)),
    }
}

/// [`validate_name`], then refuse a name another machine on the host has.
pub fn validate_new_domain_name(conn: &Connect, name: &str) -> Result<(), BackendError> {
    validate_name(name)?;
    if domain_exists(conn, name)? {
        return Err(BackendError::new(
            ErrorKind::InvalidInput,
            gettext_f(
                "A machine called “{name}” already exists on this host",
                &[("name", name)],
            ),
        ));
    }
    Ok(())
}

/// Make `base` follow the rule: disallowed characters become `-`, a leading `.` or `-`
/// is dropped, and it is cut to leave room for a `suffix_room`-character suffix.
pub fn sanitize(base: &str, suffix_room: usize) -> String {
    let mapped: String = base
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .collect();
    let trimmed = mapped.trim_start_matches(['.', '-']);
    let keep = MAX_NAME_LEN.saturating_sub(suffix_room);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        for ok in ["a", "web-01", "db_2.old", "x+y", "A.B", &"n".repeat(64)] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a b",
            "a/b",
            "ü",
            "a:b",
            &"n".repeat(65),
        ] {
            let e = validate_name(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{bad}");
            assert!(!e.message.is_empty());
        }
        assert!(validate_name("a b").unwrap_err().message.contains("“ ”"));
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
