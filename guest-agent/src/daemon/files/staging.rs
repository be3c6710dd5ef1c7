//! The write side's staging: a temporary file beside the destination, created
//! exclusively, removed on drop unless committed, and renamed into place without
//! replacing a file that appeared meanwhile (unless `overwrite`).

use super::locate;
use crate::daemon::dispatch::io_error;
use crate::daemon::platform::beneath::{cstring, open_beneath};
use crate::daemon::State;
use kvm_guest_agent::protocol::types::FileWriteParams;
use kvm_guest_agent::protocol::{ErrorCode, RpcError};
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub(super) struct WriteTransfer {
    pub(super) file: File,
    dir: OwnedFd,
    tmp: CString,
    name: CString,
    mode: u32,
    overwrite: bool,
    kept: AtomicBool,
    pub(super) digest: super::RunningHash,
}

impl Drop for WriteTransfer {
    fn drop(&mut self) {
        if !self.kept.load(Ordering::SeqCst) {
            // SAFETY: removes our own temporary file by name in its directory.
            unsafe { libc::unlinkat(self.dir.as_raw_fd(), self.tmp.as_ptr(), 0) };
        }
    }
}

pub(super) fn start_write(
    state: &State,
    path: &str,
    p: &FileWriteParams,
) -> Result<WriteTransfer, RpcError> {
    let mode = p.mode.unwrap_or(0o644);
    if mode > 0o777 {
        return Err(RpcError::new(
            ErrorCode::InvalidParams,
            "mode: permission bits only (no setuid, setgid or sticky)",
        ));
    }
    let (root, rel) = locate(state, path)?;
    let name = match rel.components().next_back() {
        Some(std::path::Component::Normal(n)) => cstring(n).map_err(|e| io_error(e, path))?,
        _ => {
            return Err(RpcError::new(
                ErrorCode::InvalidParams,
                "path must name a file",
            ))
        }
    };
    let parent = rel
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir_flags = libc::O_PATH | libc::O_DIRECTORY;
    let dir =
        open_beneath(root.as_raw_fd(), parent, dir_flags, 0).map_err(|e| io_error(e, path))?;
    // SAFETY: fstatat on our directory handle, a NUL-terminated name and a zeroed struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let exists = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    } == 0;
    if exists && !p.overwrite {
        return Err(RpcError::new(
            ErrorCode::AlreadyExists,
            format!("{path} exists (set overwrite to replace it)"),
        ));
    }
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let tmp = format!(
        ".kvmga-{}-{}.part",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let tmp = CString::new(tmp).expect("no NUL");
    let flags = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: creates a new file by name in our directory handle.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), tmp.as_ptr(), flags, 0o600 as libc::c_uint) };
    if fd < 0 {
        return Err(io_error(std::io::Error::last_os_error(), path));
    }
    // SAFETY: fresh descriptor.
    let file = unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    Ok(WriteTransfer {
        file,
        dir,
        tmp,
        name,
        mode,
        overwrite: p.overwrite,
        kept: AtomicBool::new(false),
        digest: Default::default(),
    })
}

/// Sets the mode, syncs, and renames the temporary file over the name.
pub(super) fn commit(t: &WriteTransfer) -> Result<(), RpcError> {
    use std::os::unix::fs::PermissionsExt;
    t.file
        .set_permissions(std::fs::Permissions::from_mode(t.mode))
        .map_err(|e| io_error(e, "chmod"))?;
    t.file.sync_all().map_err(|e| io_error(e, "fsync"))?;
    let dir = t.dir.as_raw_fd();
    let flags = if t.overwrite {
        0
    } else {
        libc::RENAME_NOREPLACE
    };
    // SAFETY: renames within our directory handle by NUL-terminated names.
    let mut rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            dir,
            t.tmp.as_ptr(),
            dir,
            t.name.as_ptr(),
            flags,
        )
    };
    let e = std::io::Error::last_os_error();
    if rc != 0 && matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EINVAL)) {
        // Old kernels or file systems without renameat2: link refuses an existing name.
        // SAFETY: as above.
        rc = unsafe {
            if t.overwrite {
                libc::renameat(dir, t.tmp.as_ptr(), dir, t.name.as_ptr()) as libc::c_long
            } else {
                libc::linkat(dir, t.tmp.as_ptr(), dir, t.name.as_ptr(), 0) as libc::c_long
            }
        };
    }
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return Err(if e.raw_os_error() == Some(libc::EEXIST) {
            RpcError::new(
                ErrorCode::AlreadyExists,
                "the destination appeared meanwhile; nothing was replaced",
            )
        } else {
            io_error(e, "rename")
        });
    }
    // After linkat the temporary name still exists and Drop removes it; after a rename
    // it is gone and must stay untouched.
    t.kept.store(!name_exists(dir, &t.tmp), Ordering::SeqCst);
    // SAFETY: opens the directory for fsync; closed at once.
    unsafe {
        let d = libc::openat(
            dir,
            c".".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        if d >= 0 {
            libc::fsync(d);
            libc::close(d);
        }
    }
    Ok(())
}

fn name_exists(dir: i32, name: &CString) -> bool {
    // SAFETY: fstatat on a directory handle with a zeroed struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) == 0 }
}
