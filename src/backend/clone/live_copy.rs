//! Copying a disk of a domain that has a QEMU process (running or paused).
//!
//! QEMU holds a lock on the images it uses, so libvirt's volume clone (`qemu-img
//! convert`, behind `virStorageVolCreateXMLFrom`) cannot open them ("Failed to get
//! shared write lock"), paused or not. Instead QEMU copies the disk itself: a block copy
//! job mirrors it into the new, empty volume (`virDomainBlockCopy` with REUSE_EXT), and
//! once the mirror is in sync the job is cancelled, which leaves the new volume as a
//! point-in-time copy and the domain on its own disk (what `virsh blockcopy --finish`
//! does). With the source paused, that point in time is the moment it was paused.

use std::ffi::CString;
use std::io::Cursor;
use std::time::Duration;

use quick_xml::events::{BytesEnd, BytesStart, Event as XmlEvent};
use quick_xml::Writer;
use virt::domain::Domain;
use virt::error::{Error as VirtError, ErrorNumber};
use virt::sys;

use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

/// How often the copy job is looked at.
const POLL: Duration = Duration::from_millis(100);

/// `<disk>` naming the destination for `virDomainBlockCopy`.
fn destination_xml(path: &str, block: bool, format: Option<&str>) -> String {
    let mut w = Writer::new(Cursor::new(Vec::new()));
    let mut disk = BytesStart::new("disk");
    disk.push_attribute(("type", if block { "block" } else { "file" }));
    // Writing to a Vec cannot fail.
    let _ = w.write_event(XmlEvent::Start(disk));
    let mut source = BytesStart::new("source");
    source.push_attribute((if block { "dev" } else { "file" }, path));
    let _ = w.write_event(XmlEvent::Empty(source));
    if let Some(f) = format.filter(|f| !f.is_empty()) {
        let mut driver = BytesStart::new("driver");
        driver.push_attribute(("type", f));
        let _ = w.write_event(XmlEvent::Empty(driver));
    }
    let _ = w.write_event(XmlEvent::End(BytesEnd::new("disk")));
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

fn last_error() -> BackendError {
    BackendError::from_virt(&VirtError::last_error())
}

fn cstring(s: &str) -> Result<CString, BackendError> {
    CString::new(s).map_err(|_| BackendError::new(ErrorKind::InvalidInput, format!("NUL in {s:?}")))
}

fn abort(dom: &Domain, disk: &CString) -> Result<(), BackendError> {
    // SAFETY: valid domain and NUL-terminated disk name for the call's duration.
    let rc = unsafe { sys::virDomainBlockJobAbort(dom.as_ptr(), disk.as_ptr(), 0) };
    if rc < 0 {
        return Err(last_error());
    }
    Ok(())
}

/// Copy disk `target` of the active `dom` into the existing empty volume at `path`.
/// Blocks until the copy is complete. `Ok(false)`: the driver has no block copy (the test
/// driver), so the caller may copy the volume the offline way. On failure the job is
/// cancelled; the volume is the caller's to remove.
pub(super) fn copy_disk(
    dom: &Domain,
    target: &str,
    path: &str,
    block: bool,
    format: Option<&str>,
) -> Result<bool, BackendError> {
    let disk = cstring(target)?;
    let xml = cstring(&destination_xml(path, block, format))?;
    let flags = sys::VIR_DOMAIN_BLOCK_COPY_REUSE_EXT | sys::VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB;
    // SAFETY: valid domain and NUL-terminated strings for the call's duration; no typed
    // parameters (null with a count of 0 is allowed).
    let rc = unsafe {
        sys::virDomainBlockCopy(
            dom.as_ptr(),
            disk.as_ptr(),
            xml.as_ptr(),
            std::ptr::null_mut(),
            0,
            flags,
        )
    };
    if rc < 0 {
        let e = VirtError::last_error();
        if e.code().is(ErrorNumber::NoSupport) || e.code().is(ErrorNumber::OperationUnsupported) {
            log::debug!("no block copy here ({e}): copying {target} offline");
            return Ok(false);
        }
        return Err(BackendError::from_virt(&e));
    }
    loop {
        // SAFETY: all-zero is a valid virDomainBlockJobInfo (plain integers).
        let mut info: sys::virDomainBlockJobInfo = unsafe { std::mem::zeroed() };
        // SAFETY: valid domain, disk name and a writable info struct.
        let rc =
            unsafe { sys::virDomainGetBlockJobInfo(dom.as_ptr(), disk.as_ptr(), &mut info, 0) };
        if rc < 0 {
            let e = last_error();
            let _ = abort(dom, &disk);
            return Err(e);
        }
        if rc == 0 {
            // The job is gone before it was in sync: QEMU failed it (the reason is in
            // libvirt's log).
            log::error!("block copy of {target} to {path} ended before it was complete");
            return Err(BackendError::new(
                ErrorKind::Other,
                gettext_f(
                    "Copying disk “{target}” stopped before it was complete",
                    &[("target", target)],
                ),
            ));
        }
        // libvirt reports cur == end for a copy job only once it is ready (in sync).
        if info.end > 0 && info.cur == info.end {
            break;
        }
        std::thread::sleep(POLL);
    }
    abort(dom, &disk).map(|()| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_is_written_not_formatted() {
        assert_eq!(
            destination_xml("/p/a'b.qcow2", false, Some("qcow2")),
            "<disk type=\"file\"><source file=\"/p/a&apos;b.qcow2\"/><driver type=\"qcow2\"/></disk>"
        );
        assert_eq!(
            destination_xml("/dev/vg/x", true, None),
            "<disk type=\"block\"><source dev=\"/dev/vg/x\"/></disk>"
        );
    }
}
