//! The volume id of an ISO 9660 image, read from its primary volume descriptor.
//!
//! Volume descriptors start at sector 16 (byte 32768), one per 2048-byte sector: type byte,
//! "CD001", version. The primary one (type 1) holds the volume id at offset 40, 32 bytes
//! padded with spaces. Others (El Torito boot record, Joliet) may come first; the set ends
//! with a terminator (type 255).

use std::fs::File;
use std::io::{ErrorKind as IoKind, Read, Seek, SeekFrom};
use std::path::Path;

use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;
use gettextrs::gettext;

const SECTOR: u64 = 2048;
const FIRST: u64 = 16;
/// Descriptors looked at before giving up.
const MAX_DESCRIPTORS: u64 = 32;

fn not_iso(path: &Path) -> BackendError {
    BackendError::new(
        ErrorKind::Other,
        gettext_f(
            "“{path}” is not an ISO 9660 installation image (no CD001 volume descriptor). Choose an .iso file.",
            &[("path", &path.display().to_string())],
        ),
    )
}

/// A file the user chose cannot be read: what failed and what to do, by cause.
pub fn unreadable(path: &Path, e: &std::io::Error) -> BackendError {
    let kind = match e.kind() {
        IoKind::NotFound => ErrorKind::NotFound,
        IoKind::PermissionDenied => ErrorKind::PermissionDenied,
        _ => ErrorKind::Other,
    };
    let mut err = BackendError::new(
        kind,
        gettext_f(
            "Cannot read “{path}”: {reason}",
            &[
                ("path", &path.display().to_string()),
                ("reason", &e.to_string()),
            ],
        ),
    );
    match kind {
        ErrorKind::NotFound => {
            err.hint = gettext("Check that the file still exists, or choose another one.")
        }
        ErrorKind::PermissionDenied => {
            err.hint = gettext("Make the file readable for your account, or choose another one.")
        }
        _ => {}
    }
    err
}

/// The volume id of the ISO image at `path`, trimmed (may be empty).
pub fn read_iso_volume_id(path: &Path) -> Result<String, BackendError> {
    let mut f = File::open(path).map_err(|e| unreadable(path, &e))?;
    if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(not_iso(path));
    }
    let mut sector = [0u8; SECTOR as usize];
    for n in FIRST..FIRST + MAX_DESCRIPTORS {
        f.seek(SeekFrom::Start(n * SECTOR))
            .map_err(|e| unreadable(path, &e))?;
        match f.read_exact(&mut sector) {
            Ok(()) => {}
            Err(e) if e.kind() == IoKind::UnexpectedEof => return Err(not_iso(path)),
            Err(e) => return Err(unreadable(path, &e)),
        }
        if &sector[1..6] != b"CD001" {
            return Err(not_iso(path));
        }
        match sector[0] {
            1 => {
                let raw = &sector[40..72];
                let text = String::from_utf8_lossy(raw);
                return Ok(text
                    .trim_matches(|c: char| c == ' ' || c == '\0')
                    .to_owned());
            }
            255 => return Err(not_iso(path)),
            _ => {}
        }
    }
    Err(not_iso(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn descriptor(kind: u8, volume_id: &str) -> Vec<u8> {
        let mut s = vec![0u8; SECTOR as usize];
        s[0] = kind;
        s[1..6].copy_from_slice(b"CD001");
        s[6] = 1;
        let mut id = [b' '; 32];
        id[..volume_id.len()].copy_from_slice(volume_id.as_bytes());
        s[40..72].copy_from_slice(&id);
        s
    }

    #[test]
    fn reads_the_primary_descriptor_after_a_boot_record() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&vec![0u8; 16 * SECTOR as usize]).unwrap();
        f.write_all(&descriptor(0, "")).unwrap();
        f.write_all(&descriptor(1, "Debian 12.5.0 amd64 n"))
            .unwrap();
        f.write_all(&descriptor(255, "")).unwrap();
        assert_eq!(
            read_iso_volume_id(f.path()).unwrap(),
            "Debian 12.5.0 amd64 n"
        );
    }

    #[test]
    fn short_or_foreign_files_are_not_isos() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"QFI\xfb not an iso").unwrap();
        let e = read_iso_volume_id(f.path()).unwrap_err();
        assert!(e.message.contains("not an ISO 9660"), "{e}");
        let e = read_iso_volume_id(Path::new("/nonexistent/x.iso")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(read_iso_volume_id(Path::new("/")).is_err());
    }
}
