//! Helpers for the osinfo and VM creation tests: a minimal ISO 9660 image, a qcow2
//! header, the osinfo database with the test overlay (Debian 12).
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use kvm_manager::backend::osinfo::OsDb;

/// A file holding just enough of an ISO 9660 image: 16 empty sectors, a primary volume
/// descriptor with `volume_id`, a terminator.
pub fn write_iso(path: &Path, volume_id: &str) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&vec![0u8; 16 * 2048]).unwrap();
    let mut pvd = vec![0u8; 2048];
    pvd[0] = 1;
    pvd[1..6].copy_from_slice(b"CD001");
    pvd[6] = 1;
    let mut id = [b' '; 32];
    id[..volume_id.len()].copy_from_slice(volume_id.as_bytes());
    pvd[40..72].copy_from_slice(&id);
    f.write_all(&pvd).unwrap();
    let mut end = vec![0u8; 2048];
    end[0] = 255;
    end[1..6].copy_from_slice(b"CD001");
    f.write_all(&end).unwrap();
}

/// A qcow2 header (version 3) announcing `virtual_bytes`; enough for format detection.
pub fn write_qcow2_header(path: &Path, virtual_bytes: u64) {
    let mut h = vec![0u8; 104];
    h[..4].copy_from_slice(b"QFI\xfb");
    h[7] = 3;
    h[20..24].copy_from_slice(&16u32.to_be_bytes());
    h[24..32].copy_from_slice(&virtual_bytes.to_be_bytes());
    std::fs::write(path, h).unwrap();
}

/// Debian's osinfo-db plus tests/fixtures/osinfo (Debian 12).
pub fn osdb() -> OsDb {
    let overlay =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osinfo");
    OsDb::load_dirs(&[Path::new("/usr/share/osinfo"), &overlay]).unwrap()
}
