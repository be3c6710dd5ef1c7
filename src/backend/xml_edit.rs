//! Rewrite an XML document (domain, network, pool...) by element path, over quick-xml's
//! event stream: remove elements, set or remove attributes, replace an element's content
//! with text, append new child elements. Everything else passes through byte for byte:
//! comments, formatting, namespace declarations and prefixes, other namespaces' elements
//! (such as `<metadata>` of other applications).
//!
//! Paths are absolute, XPath-like and small:
//! `/domain/devices/disk[2]/source`, `/domain/sysinfo/system/entry[@name='uuid']`,
//! `/domain/metadata/{https://example.org/ns}tags`. A step is a local name, optionally
//! with a `{namespace-uri}` (without one it matches only elements in no namespace, which
//! is where libvirt's own elements are), a 1-based position among the siblings with that
//! name (`[2]`), and attribute equalities (`[@dev='vda']`). A path without a position
//! matches every such element.
//!
//! ```
//! use kvm_manager::backend::xml_edit::{apply, Edit, Node, Path};
//! let xml = "<domain><uuid>u</uuid><devices><interface type='network'>\
//!            <mac address='52:54:00:00:00:01'/></interface></devices></domain>";
//! let out = apply(xml, &[
//!     Edit::remove(Path::parse("/domain/uuid").unwrap()),
//!     Edit::remove(Path::parse("/domain/devices/interface/mac").unwrap()),
//!     Edit::append(Path::parse("/domain/devices").unwrap(), Node::new("watchdog").attr("model", "i6300esb")),
//! ]).unwrap();
//! assert_eq!(out.xml, "<domain><devices><interface type='network'></interface>\
//!                      <watchdog model=\"i6300esb\"/></devices></domain>");
//! assert_eq!(out.hits, [1, 1, 1]);
//! ```
//!
//! New text and attribute values are escaped by the writer; nothing is formatted from
//! strings. Elements that are rewritten get their attributes re-serialized with double
//! quotes; untouched elements keep their exact bytes.

use std::collections::HashMap;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Writer};

use super::error::{BackendError, ErrorKind};
use super::xml_check::{line_col, XmlProblem};

mod path;
pub use path::{Path, Step};

/// A new element to insert: name (with a prefix if the caller declared one), attributes,
/// text, children. Written with the XML writer, so values are escaped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn new(name: impl Into<String>) -> Node {
        Node {
            name: name.into(),
            ..Node::default()
        }
    }
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Node {
        self.attrs.push((key.into(), value.into()));
        self
    }
    pub fn text(mut self, text: impl Into<String>) -> Node {
        self.text = text.into();
        self
    }
    pub fn child(mut self, child: Node) -> Node {
        self.children.push(child);
        self
    }

    fn write(&self, w: &mut Writer<Vec<u8>>) -> Result<(), BackendError> {
        let mut start = BytesStart::new(self.name.as_str());
        for (k, v) in &self.attrs {
            start.push_attribute((k.as_str(), v.as_str()));
        }
        if self.text.is_empty() && self.children.is_empty() {
            return put(w, XmlEvent::Empty(start));
        }
        put(w, XmlEvent::Start(start))?;
        if !self.text.is_empty() {
            put(w, XmlEvent::Text(BytesText::new(&self.text)))?;
        }
        for c in &self.children {
            c.write(w)?;
        }
        put(w, XmlEvent::End(BytesEnd::new(self.name.as_str())))
    }
}

/// One change to the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Drop the matched elements with everything inside (and the whitespace before them).
    Remove(Path),
    /// Set (add or replace) an attribute of the matched elements.
    SetAttr {
        path: Path,
        name: String,
        value: String,
    },
    RemoveAttr {
        path: Path,
        name: String,
    },
    /// Replace the content of the matched elements (text and children) with `text`.
    SetText {
        path: Path,
        text: String,
    },
    /// Add a child at the end of the matched elements.
    Append {
        path: Path,
        node: Node,
    },
}

impl Edit {
    pub fn remove(path: Path) -> Edit {
        Edit::Remove(path)
    }
    pub fn set_attr(path: Path, name: impl Into<String>, value: impl Into<String>) -> Edit {
        Edit::SetAttr {
            path,
            name: name.into(),
            value: value.into(),
        }
    }
    pub fn remove_attr(path: Path, name: impl Into<String>) -> Edit {
        Edit::RemoveAttr {
            path,
            name: name.into(),
        }
    }
    pub fn set_text(path: Path, text: impl Into<String>) -> Edit {
        Edit::SetText {
            path,
            text: text.into(),
        }
    }
    pub fn append(path: Path, node: Node) -> Edit {
        Edit::Append { path, node }
    }

    fn path(&self) -> &Path {
        match self {
            Edit::Remove(p) => p,
            Edit::SetAttr { path, .. }
            | Edit::RemoveAttr { path, .. }
            | Edit::SetText { path, .. }
            | Edit::Append { path, .. } => path,
        }
    }
}

/// The rewritten document and, per edit (same order), how many elements it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    pub xml: String,
    pub hits: Vec<usize>,
}

/// One open element outside any skipped region.
struct Frame {
    ns: Option<String>,
    name: String,
    attrs: Vec<(String, String)>,
    position: usize,
    counts: HashMap<(Option<String>, String), usize>,
    /// Raw qualified name, to write the end tag of a rewritten element.
    qname: String,
    /// Dropped with its content; otherwise a skipped element had its content replaced
    /// and gets its appended children and end tag written.
    removed: bool,
    appends: Vec<Node>,
}

impl Step {
    fn matches(&self, f: &Frame) -> bool {
        self.ns == f.ns
            && self.name == f.name
            && self.index.is_none_or(|i| i == f.position)
            && self
                .attrs
                .iter()
                .all(|(k, v)| f.attrs.iter().any(|(fk, fv)| fk == k && fv == v))
    }
}

fn put(w: &mut Writer<Vec<u8>>, e: XmlEvent<'_>) -> Result<(), BackendError> {
    w.write_event(e)
        .map_err(|e| BackendError::new(ErrorKind::Other, format!("writing XML: {e}")))
}

fn malformed(xml: &str, offset: u64, what: impl std::fmt::Display) -> BackendError {
    let (line, column) = line_col(xml, usize::try_from(offset).unwrap_or(usize::MAX));
    XmlProblem {
        line,
        column,
        message: what.to_string(),
    }
    .into_error()
}

/// Apply `edits` to `xml`. A malformed document is an `InvalidInput` error naming the
/// position; an edit that matches nothing is not an error (see [`Rewritten::hits`]).
pub fn apply(xml: &str, edits: &[Edit]) -> Result<Rewritten, BackendError> {
    let mut reader = NsReader::from_str(xml);
    let mut w = Writer::new(Vec::with_capacity(xml.len()));
    let mut hits = vec![0usize; edits.len()];
    let mut stack: Vec<Frame> = Vec::new();
    let mut root_counts: HashMap<(Option<String>, String), usize> = HashMap::new();
    // Depth inside a removed or replaced element (its frame is the top of `stack`).
    let mut skipping: Option<usize> = None;
    // Whitespace held back: dropped if the next element is removed.
    let mut pending_ws: Option<XmlEvent<'static>> = None;
    loop {
        let pos = reader.buffer_position();
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ResolveResult::Bound(n), e)) => {
                (Some(String::from_utf8_lossy(n.as_ref()).into_owned()), e)
            }
            Ok((_, e)) => (None, e),
            Err(e) => return Err(malformed(xml, reader.error_position(), e)),
        };
        if let Some(depth) = skipping.as_mut() {
            match event {
                XmlEvent::Start(_) => *depth += 1,
                XmlEvent::End(_) if *depth > 0 => *depth -= 1,
                XmlEvent::End(_) => {
                    skipping = None;
                    let frame = stack.pop().expect("a skipped element has a frame");
                    if !frame.removed {
                        close(&mut w, &frame)?;
                    }
                }
                XmlEvent::Eof => return Err(malformed(xml, pos, "unexpected end")),
                _ => {}
            }
            continue;
        }
        match event {
            XmlEvent::Text(ref t) if t.iter().all(u8::is_ascii_whitespace) => {
                if let Some(ws) = pending_ws.take() {
                    put(&mut w, ws)?;
                }
                pending_ws = Some(event.into_owned());
            }
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) => {
                let empty = matches!(event, XmlEvent::Empty(_));
                let counts = match stack.last_mut() {
                    Some(p) => &mut p.counts,
                    None => &mut root_counts,
                };
                let (mut frame, mut attrs) = new_frame(xml, pos, ns, e, counts)?;
                let matching: Vec<usize> = (0..edits.len())
                    .filter(|&i| {
                        let steps = &edits[i].path().steps;
                        steps.len() == stack.len() + 1
                            && steps.iter().zip(&stack).all(|(s, f)| s.matches(f))
                            && steps[stack.len()].matches(&frame)
                    })
                    .collect();
                let removed: Vec<usize> = matching
                    .iter()
                    .copied()
                    .filter(|&i| matches!(edits[i], Edit::Remove(_)))
                    .collect();
                if !removed.is_empty() {
                    removed.iter().for_each(|&i| hits[i] += 1);
                    pending_ws = None;
                    if !empty {
                        frame.removed = true;
                        stack.push(frame);
                        skipping = Some(0);
                    }
                    continue;
                }
                if let Some(ws) = pending_ws.take() {
                    put(&mut w, ws)?;
                }
                if matching.is_empty() {
                    put(&mut w, event.borrow())?;
                    if !empty {
                        stack.push(frame);
                    }
                    continue;
                }
                let mut text = None;
                for &i in &matching {
                    hits[i] += 1;
                    match &edits[i] {
                        Edit::SetAttr { name, value, .. } => {
                            match attrs.iter_mut().find(|(k, _)| k == name) {
                                Some(a) => a.1 = value.clone(),
                                None => attrs.push((name.clone(), value.clone())),
                            }
                        }
                        Edit::RemoveAttr { name, .. } => attrs.retain(|(k, _)| k != name),
                        Edit::SetText { text: t, .. } => text = Some(t.clone()),
                        Edit::Append { node, .. } => frame.appends.push(node.clone()),
                        Edit::Remove(_) => unreachable!(),
                    }
                }
                let mut start = BytesStart::new(frame.qname.clone());
                for (k, v) in &attrs {
                    start.push_attribute((k.as_str(), v.as_str()));
                }
                if empty && text.is_none() && frame.appends.is_empty() {
                    put(&mut w, XmlEvent::Empty(start))?;
                    continue;
                }
                put(&mut w, XmlEvent::Start(start))?;
                if let Some(t) = &text {
                    put(&mut w, XmlEvent::Text(BytesText::new(t)))?;
                }
                if empty {
                    close(&mut w, &frame)?;
                } else if text.is_some() {
                    stack.push(frame);
                    skipping = Some(0);
                } else {
                    stack.push(frame);
                }
            }
            XmlEvent::End(ref e) => {
                if let Some(ws) = pending_ws.take() {
                    put(&mut w, ws)?;
                }
                let frame = stack
                    .pop()
                    .ok_or_else(|| malformed(xml, pos, "end tag without a start tag"))?;
                if frame.appends.is_empty() {
                    put(&mut w, XmlEvent::End(e.borrow()))?;
                } else {
                    close(&mut w, &frame)?;
                }
            }
            XmlEvent::Eof => {
                if let Some(ws) = pending_ws.take() {
                    put(&mut w, ws)?;
                }
                break;
            }
            other => {
                if let Some(ws) = pending_ws.take() {
                    put(&mut w, ws)?;
                }
                put(&mut w, other)?;
            }
        }
    }
    let xml = String::from_utf8(w.into_inner())
        .map_err(|e| BackendError::new(ErrorKind::Other, format!("writing XML: {e}")))?;
    Ok(Rewritten { xml, hits })
}

/// Write the appended children and the end tag of a rewritten element.
fn close(w: &mut Writer<Vec<u8>>, frame: &Frame) -> Result<(), BackendError> {
    for n in &frame.appends {
        n.write(w)?;
    }
    put(w, XmlEvent::End(BytesEnd::new(frame.qname.as_str())))
}

/// The frame of a new element (counted in its parent's `counts`) and every attribute
/// as written (namespace declarations included), unescaped.
fn new_frame(
    xml: &str,
    pos: u64,
    ns: Option<String>,
    e: &BytesStart<'_>,
    counts: &mut HashMap<(Option<String>, String), usize>,
) -> Result<(Frame, Vec<(String, String)>), BackendError> {
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let n = counts.entry((ns.clone(), name.clone())).or_insert(0);
    *n += 1;
    let mut attrs = Vec::new();
    let mut all_attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| malformed(xml, pos, err))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|err| malformed(xml, pos, err))?
            .into_owned();
        if a.key.as_namespace_binding().is_none() {
            attrs.push((key.clone(), value.clone()));
        }
        all_attrs.push((key, value));
    }
    let frame = Frame {
        ns,
        name,
        attrs,
        position: *n,
        counts: HashMap::new(),
        qname,
        removed: false,
        appends: Vec::new(),
    };
    Ok((frame, all_attrs))
}

#[cfg(test)]
mod tests;
