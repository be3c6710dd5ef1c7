//! Is a document well-formed XML, and if not, where is the first problem (line, column)?
//!
//! Used before handing user-supplied XML (an imported file, the XML editor) to libvirt, so
//! a typo is reported with its position instead of libvirt's parser message. Pure and
//! quick (one pass of quick-xml's reader): the UI may call [`first_problem`] directly to
//! place the cursor. Checks what quick-xml checks (tag nesting and names, attribute
//! syntax and duplicates) plus entities (only the five predefined ones and character
//! references), one root element, and no text outside it.

use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

use super::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

/// The first well-formedness problem of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlProblem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong (the parser's English wording).
    pub message: String,
}

impl XmlProblem {
    /// "Line L, column C: message" (translated frame).
    pub fn describe(&self) -> String {
        gettext_f(
            "Line {line}, column {column}: {problem}",
            &[
                ("line", &self.line.to_string()),
                ("column", &self.column.to_string()),
                ("problem", &self.message),
            ],
        )
    }

    /// As an `InvalidInput` error whose message starts with the position.
    pub fn into_error(self) -> BackendError {
        BackendError::new(ErrorKind::InvalidInput, self.describe())
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// `None` when `xml` is well-formed; otherwise where and what the first problem is.
pub fn first_problem(xml: &str) -> Option<XmlProblem> {
    let at = |offset: u64, message: String| {
        let (line, column) = line_col(xml, usize::try_from(offset).unwrap_or(usize::MAX));
        Some(XmlProblem {
            line,
            column,
            message,
        })
    };
    let mut reader = Reader::from_str(xml);
    // Open elements: name and where their start tag is.
    let mut open: Vec<(String, u64)> = Vec::new();
    let mut roots = 0usize;
    loop {
        let start = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return at(reader.error_position(), e.to_string()),
        };
        match event {
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) => {
                if open.is_empty() {
                    roots += 1;
                    if roots > 1 {
                        return at(start, "a second root element".into());
                    }
                }
                for a in e.attributes() {
                    let a = match a {
                        Ok(a) => a,
                        Err(err) => return at(start, err.to_string()),
                    };
                    if let Err(err) = a.unescape_value() {
                        return at(start, err.to_string());
                    }
                    if a.value.contains(&b'<') {
                        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        return at(start, format!("“<” in the value of attribute {key}"));
                    }
                }
                if matches!(event, XmlEvent::Start(_)) {
                    open.push((
                        String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                        start,
                    ));
                }
            }
            XmlEvent::End(_) => {
                open.pop();
            }
            XmlEvent::Text(ref t) if open.is_empty() => {
                if let Some(i) = t.iter().position(|b| !b.is_ascii_whitespace()) {
                    return at(start + i as u64, "text outside the root element".into());
                }
            }
            XmlEvent::CData(_) if open.is_empty() => {
                return at(start, "text outside the root element".into());
            }
            XmlEvent::GeneralRef(ref r) => {
                if open.is_empty() {
                    return at(start, "text outside the root element".into());
                }
                let known = match r.resolve_char_ref() {
                    Ok(Some(_)) => true,
                    Ok(None) => r.decode().is_ok_and(|name| {
                        quick_xml::escape::resolve_predefined_entity(&name).is_some()
                    }),
                    Err(_) => false,
                };
                if !known {
                    let name = String::from_utf8_lossy(r).into_owned();
                    return at(start, format!("unknown entity &{name};"));
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    if let Some((name, pos)) = open.pop() {
        return at(
            pos,
            format!("<{name}> is not closed before the end of the document"),
        );
    }
    if roots == 0 {
        return at(xml.len() as u64, "the document has no root element".into());
    }
    None
}

/// [`first_problem`] as a `Result`: an `InvalidInput` error with the position.
pub fn check_well_formed(xml: &str) -> Result<(), BackendError> {
    match first_problem(xml) {
        None => Ok(()),
        Some(p) => Err(p.into_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(xml: &str) -> XmlProblem {
        first_problem(xml).unwrap_or_else(|| panic!("no problem found in {xml:?}"))
    }

    #[test]
    fn well_formed_documents_pass() {
        for ok in [
            "<a/>",
            "<?xml version='1.0'?>\n<!-- c -->\n<a x='1 &amp; 2'>t &lt; &#x41;<b/></a>\n",
            "<a xmlns:k='urn:k'><k:b k:c='d'/><![CDATA[<x>]]></a>",
        ] {
            assert_eq!(first_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn problems_have_line_and_column() {
        let p = problem("<domain>\n  <name>x</nam>\n</domain>");
        assert_eq!((p.line, p.column), (2, 10), "{p:?}");
        assert!(p.message.contains("name"), "{p:?}");

        let p = problem("<domain>\n  <name>x</name>\n");
        assert_eq!((p.line, p.column), (1, 1), "{p:?}");
        assert!(p.message.contains("<domain> is not closed"), "{p:?}");
        let p = problem("<domain>\n  <name>x");
        assert_eq!((p.line, p.column), (2, 3), "{p:?}");

        let p = problem("<a>\n <b x='1' x='2'/></a>");
        assert_eq!((p.line, p.column), (2, 2), "{p:?}");

        let p = problem("<a>&nbsp;</a>");
        assert_eq!(
            (p.line, p.column, p.message.as_str()),
            (1, 4, "unknown entity &nbsp;")
        );

        let p = problem("<a/><b/>");
        assert_eq!((p.line, p.column), (1, 5));
        let p = problem("<a/>\n junk");
        assert_eq!((p.line, p.column), (2, 2));
        assert!(first_problem("").is_some());
        assert!(first_problem("   ").is_some());
        assert!(first_problem("<a b='<'/>").is_some());
    }

    #[test]
    fn error_names_the_position() {
        let e = check_well_formed("<a>\n<b></a>").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.starts_with("Line 2, column "), "{e:?}");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("äb\ncd", 4), (2, 1));
        assert_eq!(line_col("äb", 2), (1, 2));
        assert_eq!(line_col("äb", 1), (1, 1));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
