//! The edits that turn the source's domain XML into the clone's (see the parent module).

use super::{source_path, Job};
use crate::backend::error::BackendError;
use crate::backend::xml::parse_tree;
use crate::backend::xml_edit::{Edit, Path};

fn path(text: &str) -> Path {
    Path::parse(text).expect("a valid literal path")
}

/// Edits for a clone called `new_name` whose copied disks are `copies` (job, new path).
pub(super) fn edits(
    xml: &str,
    new_name: &str,
    copies: &[(&Job, String)],
) -> Result<Vec<Edit>, BackendError> {
    let mut edits = vec![
        Edit::set_text(path("/domain/name"), new_name),
        Edit::remove(path("/domain/uuid")),
        Edit::remove(path("/domain/devices/interface/mac")),
        Edit::remove(path("/domain/sysinfo/system/entry[@name='uuid']")),
    ];
    // Tap and macvtap names libvirt picks itself; a fixed one would clash at start.
    for kind in ["network", "bridge", "direct"] {
        let p = Path::parse("/domain/devices")
            .expect("a valid literal path")
            .child("interface")
            .with_attr("type", kind)
            .child("target");
        edits.push(Edit::remove(p));
    }
    // The NVRAM path is the source's: keep only the template, so libvirt makes a new
    // variable store for the clone.
    let root = parse_tree(xml)?;
    let nvram = root.child("os").and_then(|os| os.child("nvram"));
    if let Some(nv) = nvram {
        if nv.attr("template").is_some() {
            edits.push(Edit::set_text(path("/domain/os/nvram"), ""));
            edits.push(Edit::remove_attr(path("/domain/os/nvram"), "type"));
        } else {
            edits.push(Edit::remove(path("/domain/os/nvram")));
        }
    }
    for (job, new_path) in copies {
        let src = source_path(&job.disk);
        match job.disk.disk_type.as_str() {
            "volume" => {
                edits.push(Edit::set_attr(src.clone(), "pool", job.pool_name.as_str()));
                edits.push(Edit::set_attr(src, "volume", job.volume.as_str()));
            }
            "block" => edits.push(Edit::set_attr(src, "dev", new_path.as_str())),
            _ => edits.push(Edit::set_attr(src, "file", new_path.as_str())),
        }
        // The copy is a flat image: the source's backing chain does not apply.
        let disk = Path::parse("/domain/devices")
            .expect("a valid literal path")
            .child("disk")
            .nth(job.disk.index)
            .child("backingStore");
        edits.push(Edit::remove(disk));
    }
    Ok(edits)
}
