//! `get_disk_usage`: mounted file systems from `/proc/self/mounts`, sizes from `statvfs`.
//! Pseudo file systems (proc, sysfs, cgroup, tmpfs...) are left out.

use super::read_text;
use kvm_guest_agent::protocol::types::{DiskUsageResult, Filesystem};
use kvm_guest_agent::protocol::RpcError;
use std::ffi::CString;

const PSEUDO: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "sysfs",
    "tmpfs",
    "tracefs",
];

// statvfs fields are 32-bit on some targets: the casts are not all no-ops.
#[allow(clippy::unnecessary_cast)]
pub fn disk_usage() -> Result<DiskUsageResult, RpcError> {
    let mut filesystems: Vec<Filesystem> = Vec::new();
    for line in read_text("/proc/self/mounts")?.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || PSEUDO.contains(&f[2]) {
            continue;
        }
        let mount_point = unescape(f[1]);
        let Some(st) = statvfs(&mount_point) else {
            continue;
        };
        if st.f_blocks == 0 {
            continue;
        }
        let frsize = st.f_frsize as u64;
        let entry = Filesystem {
            device: unescape(f[0]),
            mount_point,
            fs_type: f[2].to_string(),
            total_bytes: st.f_blocks as u64 * frsize,
            used_bytes: (st.f_blocks as u64).saturating_sub(st.f_bfree as u64) * frsize,
            available_bytes: st.f_bavail as u64 * frsize,
            total_inodes: st.f_files as u64,
            free_inodes: st.f_ffree as u64,
            read_only: f[3].split(',').any(|o| o == "ro"),
        };
        // A later mount over the same point hides the earlier one.
        filesystems.retain(|e| e.mount_point != entry.mount_point);
        filesystems.push(entry);
    }
    Ok(DiskUsageResult { filesystems })
}

fn statvfs(path: &str) -> Option<libc::statvfs> {
    let c = CString::new(path).ok()?;
    // SAFETY: statvfs fills the zeroed struct for a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0).then_some(st)
}

/// Undoes the octal escapes (`\040` for a space) the kernel writes in mount fields.
pub fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn mount_fields_are_unescaped() {
        assert_eq!(super::unescape("/mnt/my\\040disk"), "/mnt/my disk");
        assert_eq!(super::unescape("/a\\134b"), "/a\\b");
        assert_eq!(super::unescape("/plain\\04"), "/plain\\04");
    }
}
