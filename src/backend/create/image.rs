//! Disk images to import: which format a file holds (from its header), its size on disk
//! and the size the guest sees. qcow2 and raw are accepted; other formats a header
//! identifies (VMDK, VDI, VHDX) are refused with the conversion command to run.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::backend::error::{BackendError, ErrorKind};
use crate::backend::osinfo::iso::unreadable;
use crate::i18n::gettext_f;

/// What an image file holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageInfo {
    /// "qcow2" or "raw".
    pub format: String,
    /// Bytes the file takes (what copying it into a pool needs).
    pub file_bytes: u64,
    /// Disk size the guest sees (the qcow2 header's, or the raw file's size).
    pub virtual_bytes: u64,
}

const QCOW2_MAGIC: &[u8; 4] = b"QFI\xfb";

/// Read the image at `path` and tell its format and sizes.
pub fn detect_image(path: &Path) -> Result<ImageInfo, BackendError> {
    let mut f = File::open(path).map_err(|e| unreadable(path, &e))?;
    let meta = f.metadata().map_err(|e| unreadable(path, &e))?;
    if !meta.is_file() {
        return Err(BackendError::new(
            ErrorKind::Other,
            gettext_f(
                "“{path}” is not a disk image file.",
                &[("path", &path.display().to_string())],
            ),
        ));
    }
    let mut head = [0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(unreadable(path, &e)),
        }
    }
    let head = &head[..n];
    let file_bytes = meta.len();
    if head.starts_with(QCOW2_MAGIC) && head.len() >= 32 {
        let mut size = [0u8; 8];
        size.copy_from_slice(&head[24..32]);
        return Ok(ImageInfo {
            format: "qcow2".into(),
            file_bytes,
            virtual_bytes: u64::from_be_bytes(size),
        });
    }
    let other = if head.starts_with(b"KDMV") || head.starts_with(b"# Disk DescriptorFile") {
        Some("VMDK")
    } else if head.starts_with(b"vhdxfile") {
        Some("VHDX")
    } else if head.len() >= 68 && head[64..68] == [0x7f, 0x10, 0xda, 0xbe] {
        Some("VDI")
    } else {
        None
    };
    if let Some(kind) = other {
        return Err(BackendError::new(
            ErrorKind::Unsupported,
            gettext_f(
                "“{path}” is a {kind} image; only qcow2 and raw images can be imported. Convert it first: qemu-img convert -O qcow2 “{path}” new.qcow2",
                &[("path", &path.display().to_string()), ("kind", kind)],
            ),
        ));
    }
    Ok(ImageInfo {
        format: "raw".into(),
        file_bytes,
        virtual_bytes: file_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn qcow2_raw_and_foreign() {
        let mut q = tempfile::NamedTempFile::new().unwrap();
        let mut header = vec![0u8; 72];
        header[..4].copy_from_slice(QCOW2_MAGIC);
        header[7] = 3;
        header[24..32].copy_from_slice(&(10u64 << 30).to_be_bytes());
        q.write_all(&header).unwrap();
        let info = detect_image(q.path()).unwrap();
        assert_eq!(info.format, "qcow2");
        assert_eq!((info.file_bytes, info.virtual_bytes), (72, 10 << 30));

        let mut r = tempfile::NamedTempFile::new().unwrap();
        r.write_all(&[0u8; 4096]).unwrap();
        let info = detect_image(r.path()).unwrap();
        assert_eq!((info.format.as_str(), info.virtual_bytes), ("raw", 4096));

        let mut v = tempfile::NamedTempFile::new().unwrap();
        v.write_all(b"KDMV\x01\0\0\0").unwrap();
        let e = detect_image(v.path()).unwrap_err();
        assert!(e.message.contains("VMDK") && e.message.contains("qemu-img convert"));

        let e = detect_image(Path::new("/nonexistent/disk.qcow2")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
    }
}
