//! Internal snapshots of a domain (looked up by UUID): create, revert, delete, list.
//!
//! "Internal" means disk state (and memory, for a live domain) is stored inside the domain's
//! qcow2 images; every disk must be qcow2 or libvirt refuses with a message naming the disk.
//! The snapshot XML is written with quick-xml, never formatted from strings.

use std::io::Cursor;

use gettextrs::gettext;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::domain_snapshot::DomainSnapshot;
use virt::error::ErrorNumber;
use virt::sys;

use super::error::{BackendError, ErrorKind};
use super::summary::lookup;

/// Map a libvirt error; an unknown snapshot is `NotFound` (libvirt has its own code for it).
fn err(e: virt::error::Error) -> BackendError {
    let mut b = BackendError::from_virt(&e);
    if e.code().unwrap_or(ErrorNumber::InternalError) == ErrorNumber::NoDomainSnapshot {
        b = BackendError::new(ErrorKind::NotFound, b.message);
    }
    b
}

/// `<domainsnapshot>` for an internal snapshot; memory is saved too when `live`.
pub fn snapshot_xml(name: &str, description: &str, live: bool) -> String {
    let mut w = Writer::new(Cursor::new(Vec::new()));
    let text = |w: &mut Writer<Cursor<Vec<u8>>>, tag: &str, value: &str| {
        // Writing to a Vec cannot fail.
        let _ = w.write_event(XmlEvent::Start(BytesStart::new(tag)));
        let _ = w.write_event(XmlEvent::Text(BytesText::new(value)));
        let _ = w.write_event(XmlEvent::End(BytesEnd::new(tag)));
    };
    let _ = w.write_event(XmlEvent::Start(BytesStart::new("domainsnapshot")));
    text(&mut w, "name", name);
    if !description.is_empty() {
        text(&mut w, "description", description);
    }
    let mut memory = BytesStart::new("memory");
    memory.push_attribute(("snapshot", if live { "internal" } else { "no" }));
    let _ = w.write_event(XmlEvent::Empty(memory));
    let _ = w.write_event(XmlEvent::End(BytesEnd::new("domainsnapshot")));
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

fn find(dom: &Domain, name: &str) -> Result<DomainSnapshot, BackendError> {
    Domain::lookup_snapshot_by_name(dom, name, 0).map_err(err)
}

/// Create internal snapshot `name` of the domain with `uuid`. A running or paused domain's
/// memory is included, so reverting to it resumes exactly where it was.
pub fn create_internal(
    conn: &Connect,
    uuid: &str,
    name: &str,
    description: &str,
) -> Result<(), BackendError> {
    if name.trim().is_empty() {
        return Err(BackendError::new(
            ErrorKind::Other,
            gettext("A snapshot needs a name"),
        ));
    }
    let dom = lookup(conn, uuid)?;
    let live = dom.is_active().map_err(err)?;
    let xml = snapshot_xml(name, description, live);
    dom.create_snapshot_xml(&xml, sys::VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC)
        .map(drop)
        .map_err(err)
}

/// Return the domain to snapshot `name`: its disks, and its memory and run state when the
/// snapshot was taken live (a snapshot of a running domain leaves it running).
pub fn revert(conn: &Connect, uuid: &str, name: &str) -> Result<(), BackendError> {
    let dom = lookup(conn, uuid)?;
    find(&dom, name)?.revert(0).map_err(err)
}

/// Delete snapshot `name` (its data in the images and libvirt's metadata).
pub fn delete(conn: &Connect, uuid: &str, name: &str) -> Result<(), BackendError> {
    let dom = lookup(conn, uuid)?;
    find(&dom, name)?.delete(0).map_err(err)
}

/// Names of the domain's snapshots, in libvirt's order.
pub fn list(conn: &Connect, uuid: &str) -> Result<Vec<String>, BackendError> {
    let dom = lookup(conn, uuid)?;
    dom.list_all_snapshots(0)
        .map_err(err)?
        .iter()
        .map(|s| s.name().map_err(err))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_escaped_and_names_memory_mode() {
        let x = snapshot_xml("a<b", "x & y", true);
        assert_eq!(
            x,
            "<domainsnapshot><name>a&lt;b</name><description>x &amp; y</description>\
             <memory snapshot=\"internal\"/></domainsnapshot>"
        );
        assert!(snapshot_xml("n", "", false).contains("<memory snapshot=\"no\"/>"));
        assert!(!snapshot_xml("n", "", false).contains("description"));
    }
}
