//! osinfo-db's ISO volume-id patterns with the `regex` crate.
//!
//! libosinfo matches them with GRegex (PCRE): unanchored and case-sensitive. The `regex`
//! crate lacks look-around, so such groups are dropped (the pattern then matches a little
//! more) rather than losing the OS. Compiling all ~2000 patterns costs more than loading
//! the database, so [`required_prefix`] lets the caller skip patterns whose leading
//! literal text is not in the volume id.

use regex::Regex;

/// Compile an osinfo volume-id pattern. They are PCRE (GRegex), unanchored and
/// case-sensitive, as libosinfo matches them. The `regex` crate lacks look-around; such a
/// group is dropped (the pattern then matches a little more) rather than losing the OS.
pub fn compile_pattern(pattern: &str) -> Option<Regex> {
    if let Ok(r) = Regex::new(pattern) {
        return Some(r);
    }
    let stripped = strip_lookaround(pattern);
    match Regex::new(&stripped) {
        Ok(r) => Some(r),
        Err(e) => {
            log::debug!("osinfo: volume-id pattern {pattern:?} unusable: {e}");
            None
        }
    }
}

/// Remove `(?=...)`, `(?!...)`, `(?<=...)`, `(?<!...)` groups (balanced, escapes honoured).
fn strip_lookaround(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
        let look = ["(?<=", "(?<!"]
            .iter()
            .find(|s| rest.starts_with(*s))
            .map(|_| 4)
            .or_else(|| {
                ["(?=", "(?!"]
                    .iter()
                    .find(|s| rest.starts_with(*s))
                    .map(|_| 3)
            });
        if let Some(skip) = look {
            let mut depth = 1;
            let mut j = i + skip;
            while j < chars.len() && depth > 0 {
                match chars[j] {
                    '\\' => j += 1,
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            i = j;
            continue;
        }
        if chars[i] == '\\' && i + 1 < chars.len() {
            out.push(chars[i]);
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The literal text every match of `pattern` must contain (its leading literal run), or
/// `None` when there is none or a top-level alternative makes it optional.
pub(super) fn required_prefix(pattern: &str) -> Option<String> {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let chars: Vec<char> = body.chars().collect();
    // A top-level `|` means the leading text is only one of the alternatives.
    let mut depth = 0i32;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '(' => depth += 1,
            ')' => depth -= 1,
            '|' if depth == 0 => return None,
            _ => {}
        }
        i += 1;
    }
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let (ch, width) = match c {
            '\\' => match chars.get(i + 1) {
                Some(&n) if n.is_ascii_punctuation() || n == ' ' => (n, 2),
                _ => break,
            },
            '.' | '^' | '$' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => break,
            _ => (c, 1),
        };
        // A quantifier that allows zero makes the character just read optional.
        if matches!(chars.get(i + width), Some('?' | '*' | '{')) {
            break;
        }
        lit.push(ch);
        i += width;
    }
    (!lit.is_empty()).then_some(lit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookaround_is_dropped_when_unsupported() {
        assert_eq!(
            strip_lookaround(r"Asianux Server (7 (?!SP[123])|(4 ?!SP[67])).+"),
            r"Asianux Server (7 |(4 ?!SP[67])).+"
        );
        assert_eq!(strip_lookaround(r"a\(?!b"), r"a\(?!b");
        let r = compile_pattern(r"X (?!SP\))Y").unwrap();
        assert!(r.is_match("X Y"));
    }

    #[test]
    fn required_prefixes() {
        assert_eq!(
            required_prefix(r"Debian 11.\d+.\d+ amd64 n").as_deref(),
            Some("Debian 11")
        );
        assert_eq!(required_prefix(r"^(J_)?CEDN?A_X86FRE_"), None);
        assert_eq!(
            required_prefix(r"CESE_X64FREE?_").as_deref(),
            Some("CESE_X64FRE")
        );
        assert_eq!(required_prefix(r"a\+b|c"), None);
        assert_eq!(
            required_prefix(r"Fedora\-WS(x|y)").as_deref(),
            Some("Fedora-WS")
        );
        assert_eq!(required_prefix(r"ab{2}").as_deref(), Some("a"));
        assert_eq!(required_prefix(r"\d+abc"), None);
    }

    #[test]
    fn patterns_are_unanchored_and_case_sensitive() {
        let r = compile_pattern(r"Debian 11.\d+.\d+ amd64 n").unwrap();
        assert!(r.is_match("Debian 11.5.0 amd64 n"));
        assert!(!r.is_match("debian 11.5.0 amd64 n"));
        assert!(compile_pattern(r"Ubuntu 22.04(.\d\+?)? LTS").is_some());
    }
}
