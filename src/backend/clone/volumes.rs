//! The volumes of a clone: choosing free names, the `<volume>` XML for each copy, and
//! removing the copies again when the clone fails.

use std::collections::HashSet;
use std::io::Cursor;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;
use virt::connect::Connect;
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;

use super::{err, DiskMode};
use crate::backend::disks::{open_volume, DiskRef};
use crate::backend::error::BackendError;
use crate::backend::xml::parse_tree;
use crate::i18n::gettext_f;

/// One disk to copy.
pub(super) struct Job {
    pub(super) disk: DiskRef,
    pub(super) src: StorageVol,
    pub(super) pool: StoragePool,
    pub(super) pool_name: String,
    pub(super) volume: String,
    /// The volume format ("qcow2"), as the source volume has it.
    pub(super) format: Option<String>,
    /// `<volume>` for the copy.
    pub(super) xml: String,
}

/// "name.qcow2" from a volume name's extension, if it has a short alphanumeric one.
fn extension(volume: &str) -> &str {
    match volume.rfind('.') {
        Some(i)
            if i > 0
                && volume.len() - i <= 9
                && volume[i + 1..].chars().all(|c| c.is_ascii_alphanumeric())
                && i + 1 < volume.len() =>
        {
            &volume[i..]
        }
        _ => "",
    }
}

/// A free volume name in `pool` for the clone's disk: "NEW.ext" for the first copied
/// disk, "NEW-vdb.ext" for the others, with "-2", "-3"... when taken.
fn volume_name(
    pool: &StoragePool,
    pool_name: &str,
    reserved: &mut HashSet<(String, String)>,
    new_name: &str,
    disk: &DiskRef,
    source_volume: &str,
    first: bool,
) -> String {
    let stem = if first {
        new_name.to_owned()
    } else {
        format!("{new_name}-{}", disk.target)
    };
    let ext = extension(source_volume);
    for n in 1u32.. {
        let candidate = if n == 1 {
            format!("{stem}{ext}")
        } else {
            format!("{stem}-{n}{ext}")
        };
        let key = (pool_name.to_owned(), candidate.clone());
        if !reserved.contains(&key) && pool.lookup_storage_vol_by_name(&candidate).is_err() {
            reserved.insert(key);
            return candidate;
        }
    }
    unreachable!("u32 candidates run out before volume names do")
}

/// `<volume>` for a copy: name, the source's capacity and format (libvirt copies data).
fn volume_xml(name: &str, capacity: u64, format: Option<&str>) -> String {
    let mut w = Writer::new(Cursor::new(Vec::new()));
    // Writing to a Vec cannot fail.
    let _ = w.write_event(XmlEvent::Start(BytesStart::new("volume")));
    let _ = w.write_event(XmlEvent::Start(BytesStart::new("name")));
    let _ = w.write_event(XmlEvent::Text(BytesText::new(name)));
    let _ = w.write_event(XmlEvent::End(BytesEnd::new("name")));
    let mut cap = BytesStart::new("capacity");
    cap.push_attribute(("unit", "bytes"));
    let _ = w.write_event(XmlEvent::Start(cap));
    let _ = w.write_event(XmlEvent::Text(BytesText::new(&capacity.to_string())));
    let _ = w.write_event(XmlEvent::End(BytesEnd::new("capacity")));
    if let Some(f) = format.filter(|f| !f.is_empty()) {
        let _ = w.write_event(XmlEvent::Start(BytesStart::new("target")));
        let mut fmt = BytesStart::new("format");
        fmt.push_attribute(("type", f));
        let _ = w.write_event(XmlEvent::Empty(fmt));
        let _ = w.write_event(XmlEvent::End(BytesEnd::new("target")));
    }
    let _ = w.write_event(XmlEvent::End(BytesEnd::new("volume")));
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

fn volume_format(vol: &StorageVol) -> Result<Option<String>, BackendError> {
    let root = parse_tree(&vol.xml_desc(0).map_err(err)?)?;
    Ok(root
        .child("target")
        .and_then(|t| t.child("format"))
        .and_then(|f| f.attr("type"))
        .map(str::to_owned))
}

pub(super) fn plan_jobs(
    conn: &Connect,
    disks: &[DiskRef],
    modes: &[DiskMode],
    new_name: &str,
) -> Result<Vec<Job>, BackendError> {
    let mut reserved = HashSet::new();
    let mut jobs = Vec::new();
    for (d, mode) in disks.iter().zip(modes) {
        if *mode != DiskMode::Copy {
            continue;
        }
        let src = open_volume(conn, d)?;
        let pool = src.lookup_storage_pool().map_err(err)?;
        let pool_name = pool.name().map_err(err)?;
        let src_name = src.name().map_err(err)?;
        let first = jobs.is_empty();
        let volume = volume_name(
            &pool,
            &pool_name,
            &mut reserved,
            new_name,
            d,
            &src_name,
            first,
        );
        let capacity = src.info().map_err(err)?.capacity;
        let format = volume_format(&src)?;
        let xml = volume_xml(&volume, capacity, format.as_deref());
        jobs.push(Job {
            disk: d.clone(),
            src,
            pool,
            pool_name,
            volume,
            format,
            xml,
        });
    }
    Ok(jobs)
}

/// Delete the volumes made so far; a failure is logged and added to `e`'s message.
pub(super) fn roll_back(made: Vec<(String, StorageVol)>, mut e: BackendError) -> BackendError {
    for (name, vol) in made {
        if let Err(de) = vol.delete(0) {
            log::error!("clone rollback: cannot delete volume {name}: {de}");
            e.message.push_str(&gettext_f(
                " The copied volume “{volume}” could not be removed: {error}",
                &[("volume", &name), ("error", de.message())],
            ));
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert_eq!(extension("web.qcow2"), ".qcow2");
        assert_eq!(extension("a.b.raw"), ".raw");
        assert_eq!(extension("noext"), "");
        assert_eq!(extension(".hidden"), "");
        assert_eq!(extension("x."), "");
        assert_eq!(extension("x.not-an-ext"), "");
    }

    #[test]
    fn volume_xml_is_written_not_formatted() {
        assert_eq!(
            volume_xml("a<b.qcow2", 1024, Some("qcow2")),
            "<volume><name>a&lt;b.qcow2</name><capacity unit=\"bytes\">1024</capacity>\
             <target><format type=\"qcow2\"/></target></volume>"
        );
        assert!(!volume_xml("v", 1, None).contains("target"));
    }
}
