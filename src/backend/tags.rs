//! Tags on a machine, kept in its domain XML so they travel with it (export, migration,
//! another host):
//!
//! ```xml
//! <metadata>
//!   <kvmm:vm xmlns:kvmm="https://github.com/kvmmanager/xmlns/vm/1.0">
//!     <kvmm:tags><kvmm:tag>web</kvmm:tag><kvmm:tag>prod</kvmm:tag></kvmm:tags>
//!     ...later children (template origin, notes) that tag edits leave alone...
//!   </kvmm:vm>
//! </metadata>
//! ```
//!
//! Read and written through `virDomainGetMetadata` / `virDomainSetMetadata` (type
//! `ELEMENT`, key `kvmm`, [`KVMM_NS`]). libvirt hands the element out without its
//! namespace and puts every unqualified element of what we send back into it, so the
//! `<vm>` element is edited unqualified: the `<tags>` child is replaced by a streaming
//! rewrite (quick-xml reader into writer) that copies everything else as it was.
//!
//! Tag rules ([`normalize_tags`]): trimmed, 1 to 32 characters, no control characters, no
//! commas; duplicates (ignoring case) are dropped, the first spelling and the order kept.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::{Reader, Writer};
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::sys;

use super::error::{BackendError, ErrorKind};
use super::xml::Element;
use crate::i18n::gettext_f;

/// Namespace of everything KVM Manager keeps in a domain's `<metadata>`.
pub const KVMM_NS: &str = "https://github.com/kvmmanager/xmlns/vm/1.0";
/// The prefix libvirt writes for [`KVMM_NS`].
pub const KVMM_PREFIX: &str = "kvmm";
/// The longest tag accepted, in characters.
pub const MAX_TAG_CHARS: usize = 32;

/// What is wrong with one tag (already trimmed), if anything.
pub fn tag_problem(tag: &str) -> Option<String> {
    use gettextrs::gettext;
    if tag.is_empty() {
        Some(gettext("A tag cannot be empty."))
    } else if tag.chars().count() > MAX_TAG_CHARS {
        Some(gettext_f(
            "A tag has at most {max} characters.",
            &[("max", &MAX_TAG_CHARS.to_string())],
        ))
    } else if tag.contains(',') {
        Some(gettext("A tag cannot contain a comma."))
    } else if tag.chars().any(char::is_control) {
        Some(gettext("A tag cannot contain control characters."))
    } else {
        None
    }
}

/// Trim, check and de-duplicate (ignoring case; the first spelling and the order kept).
/// The first bad tag is refused with a message that quotes it.
pub fn normalize_tags<S: AsRef<str>>(tags: &[S]) -> Result<Vec<String>, BackendError> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for raw in tags {
        let tag = raw.as_ref().trim();
        if let Some(why) = tag_problem(tag) {
            let shown: String = tag.chars().map(visible).take(MAX_TAG_CHARS + 8).collect();
            return Err(BackendError {
                kind: ErrorKind::InvalidInput,
                message: gettext_f(
                    "“{tag}” is not a valid tag: {why}",
                    &[("tag", &shown), ("why", &why)],
                ),
                hint: gettextrs::gettext(
                    "Use 1 to 32 characters without commas, for example “web” or “test lab”.",
                ),
            });
        }
        push_unique(&mut out, tag);
    }
    Ok(out)
}

fn visible(c: char) -> char {
    if c.is_control() {
        '\u{FFFD}'
    } else {
        c
    }
}

fn push_unique(out: &mut Vec<String>, tag: &str) {
    let lower = tag.to_lowercase();
    if !out.iter().any(|t| t.to_lowercase() == lower) {
        out.push(tag.to_owned());
    }
}

/// Tags as found in stored XML, leniently: bad ones (edited by hand) are skipped.
fn lenient<'a>(found: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for raw in found {
        let tag = raw.trim();
        if tag_problem(tag).is_none() {
            push_unique(&mut out, tag);
        }
    }
    out
}

/// Tags in a parsed domain document (`<domain>` root; namespace-qualified, any prefix).
pub fn tags_in_domain(root: &Element) -> Vec<String> {
    let ours = |e: &&Element, name: &str| e.ns.as_deref() == Some(KVMM_NS) && e.name == name;
    let Some(metadata) = root.child("metadata") else {
        return Vec::new();
    };
    lenient(
        metadata
            .children
            .iter()
            .filter(|e| ours(e, "vm"))
            .flat_map(|vm| vm.children.iter().filter(|e| ours(e, "tags")))
            .flat_map(|tags| tags.children.iter().filter(|e| ours(e, "tag")))
            .map(|t| t.text.as_str()),
    )
}

/// Tags in the unqualified `<vm>` element libvirt's `virDomainGetMetadata` returns.
pub fn tags_in_vm_element(xml: &str) -> Result<Vec<String>, BackendError> {
    let vm = super::xml::parse_tree(xml)?;
    Ok(lenient(
        vm.children_named("tags")
            .flat_map(|t| t.children_named("tag"))
            .map(|t| t.text.as_str()),
    ))
}

/// Our `<vm>` element of the domain (`flags`: 0 for the running state, or
/// `VIR_DOMAIN_AFFECT_LIVE` / `VIR_DOMAIN_AFFECT_CONFIG`); `None` when it has none.
pub fn read_vm_element(dom: &Domain, flags: u32) -> Result<Option<String>, BackendError> {
    match dom.metadata(
        sys::VIR_DOMAIN_METADATA_ELEMENT as i32,
        Some(KVMM_NS),
        flags,
    ) {
        Ok(xml) => Ok(Some(xml)),
        Err(e)
            if e.code().unwrap_or(ErrorNumber::InternalError) == ErrorNumber::NoDomainMetadata =>
        {
            Ok(None)
        }
        Err(e) => Err(BackendError::from_virt(&e)),
    }
}

/// The domain's tags as it runs now (or as defined, when stopped). A `<vm>` element that
/// does not parse counts as no tags (and is logged): one bad domain must not break a list.
pub fn read_tags(dom: &Domain) -> Result<Vec<String>, BackendError> {
    let Some(xml) = read_vm_element(dom, 0)? else {
        return Ok(Vec::new());
    };
    Ok(tags_in_vm_element(&xml).unwrap_or_else(|e| {
        log::warn!("ignoring unreadable {KVMM_NS} metadata: {e}");
        Vec::new()
    }))
}

/// Replace the tags in one state of the domain (`flags`: `VIR_DOMAIN_AFFECT_LIVE` or
/// `VIR_DOMAIN_AFFECT_CONFIG`, one at a time, so each keeps its own other children).
/// `tags` must already be normalized.
pub fn write_tags(dom: &Domain, tags: &[String], flags: u32) -> Result<(), BackendError> {
    let existing = read_vm_element(dom, flags)?;
    let updated = vm_element_with_tags(existing.as_deref(), tags)?;
    if updated.is_none() && existing.is_none() {
        return Ok(());
    }
    dom.set_metadata(
        sys::VIR_DOMAIN_METADATA_ELEMENT as i32,
        updated.as_deref(),
        Some(KVMM_PREFIX),
        Some(KVMM_NS),
        flags,
    )
    .map_err(|e| BackendError::from_virt(&e))
}

fn xml_err(e: impl std::fmt::Display) -> BackendError {
    BackendError::new(
        ErrorKind::Other,
        format!("cannot rewrite the {KVMM_NS} metadata: {e}"),
    )
}

/// The unqualified `<vm>` element with its `<tags>` child replaced by `tags` (removed when
/// empty), everything else copied as it was. `None` when nothing would be left.
pub fn vm_element_with_tags(
    existing: Option<&str>,
    tags: &[String],
) -> Result<Option<String>, BackendError> {
    let mut w = Writer::new(Vec::new());
    let mut kept_other = false;
    match existing {
        None => {
            w.write_event(XmlEvent::Start(BytesStart::new("vm")))
                .map_err(xml_err)?;
            write_tags_element(&mut w, tags)?;
            w.write_event(XmlEvent::End(BytesEnd::new("vm")))
                .map_err(xml_err)?;
        }
        Some(xml) => kept_other = copy_replacing_tags(xml, tags, &mut w)?,
    }
    if tags.is_empty() && !kept_other {
        return Ok(None);
    }
    String::from_utf8(w.into_inner()).map(Some).map_err(xml_err)
}

/// Stream `xml` into `w`, swapping the root's `<tags>` child for the new list. Returns
/// whether the root holds anything else (attributes or other elements).
fn copy_replacing_tags(
    xml: &str,
    tags: &[String],
    w: &mut Writer<Vec<u8>>,
) -> Result<bool, BackendError> {
    let mut r = Reader::from_str(xml);
    let mut depth = 0usize;
    // Depth at which a skipped old <tags> subtree started.
    let mut skipping: Option<usize> = None;
    let mut written = false;
    let mut other = false;
    loop {
        let ev = r.read_event().map_err(xml_err)?;
        if let Some(from) = skipping {
            match ev {
                XmlEvent::Start(_) => depth += 1,
                XmlEvent::End(_) => {
                    depth -= 1;
                    if depth == from {
                        skipping = None;
                    }
                }
                XmlEvent::Eof => return Err(xml_err("unexpected end")),
                _ => {}
            }
            continue;
        }
        match ev {
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e) if depth == 0 => {
                let root = root_without_our_ns(e)?;
                other |= root.attributes().next().is_some();
                w.write_event(XmlEvent::Start(root)).map_err(xml_err)?;
                if matches!(ev, XmlEvent::Empty(_)) {
                    write_tags_element(w, tags)?;
                    w.write_event(XmlEvent::End(BytesEnd::new("vm")))
                        .map_err(xml_err)?;
                } else {
                    depth = 1;
                }
            }
            XmlEvent::Start(ref e) | XmlEvent::Empty(ref e)
                if depth == 1 && e.name().as_ref() == b"tags" =>
            {
                if !written {
                    write_tags_element(w, tags)?;
                    written = true;
                }
                if matches!(ev, XmlEvent::Start(_)) {
                    skipping = Some(depth);
                    depth += 1;
                }
            }
            XmlEvent::Start(_) => {
                other |= depth == 1;
                depth += 1;
                w.write_event(ev).map_err(xml_err)?;
            }
            XmlEvent::Empty(_) => {
                other |= depth == 1;
                w.write_event(ev).map_err(xml_err)?;
            }
            XmlEvent::End(_) => {
                depth -= 1;
                if depth == 0 && !written {
                    write_tags_element(w, tags)?;
                    written = true;
                }
                w.write_event(ev).map_err(xml_err)?;
            }
            XmlEvent::Eof => break,
            // The declaration is not part of the element libvirt takes.
            XmlEvent::Decl(_) | XmlEvent::DocType(_) => {}
            other_event => w.write_event(other_event).map_err(xml_err)?,
        }
    }
    Ok(other)
}

/// The root start tag minus declarations of our namespace: libvirt adds its own `kvmm`
/// declaration and refuses a second one with the same prefix.
fn root_without_our_ns(e: &BytesStart) -> Result<BytesStart<'static>, BackendError> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut root = BytesStart::new(name);
    for a in e.attributes() {
        let a = a.map_err(xml_err)?;
        let is_ns = a.key.as_namespace_binding().is_some();
        if is_ns && a.unescape_value().map_err(xml_err)? == KVMM_NS {
            continue;
        }
        root.push_attribute(a);
    }
    Ok(root.into_owned())
}

fn write_tags_element(w: &mut Writer<Vec<u8>>, tags: &[String]) -> Result<(), BackendError> {
    if tags.is_empty() {
        return Ok(());
    }
    w.create_element("tags")
        .write_inner_content(|w| {
            for t in tags {
                w.create_element("tag")
                    .write_text_content(BytesText::new(t))?;
            }
            Ok(())
        })
        .map_err(xml_err)?;
    Ok(())
}

#[cfg(test)]
#[path = "tags_tests.rs"]
mod tests;
