//! Opening a path strictly beneath an allowed directory, race-free.
//!
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` lets the kernel refuse any `..`,
//! absolute symlink or symlink whose target leaves the directory, at the moment of the
//! open, so swapping a component for a symlink mid-check gains nothing. Kernels before
//! 5.6 lack it (`ENOSYS`): then each component is opened with `openat(O_NOFOLLOW)` from
//! the directory down, `..` refused, and any symlink at all refused.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};
use std::sync::atomic::{AtomicBool, Ordering};

static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// Opens the directory `root` itself (as an `O_PATH` handle for the `*at` calls).
pub fn open_root(root: &Path) -> io::Result<OwnedFd> {
    let c = cstring(root.as_os_str())?;
    // SAFETY: a NUL-terminated path; the returned descriptor is owned below.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    owned(fd)
}

/// Opens `rel` beneath the directory `root_fd` with open(2) `flags` and `mode`.
pub fn open_beneath(root_fd: RawFd, rel: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let flags = flags | libc::O_CLOEXEC;
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        match openat2(root_fd, rel, flags, mode) {
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                NO_OPENAT2.store(true, Ordering::Relaxed);
            }
            other => return other,
        }
    }
    open_by_components(root_fd, rel, flags, mode)
}

fn openat2(root_fd: RawFd, rel: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let c = cstring(rel.as_os_str())?;
    // SAFETY: open_how is plain data; zeroed then filled.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags as u64;
    how.mode = if flags & libc::O_CREAT != 0 {
        mode as u64
    } else {
        0
    };
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: valid dirfd, NUL-terminated path, and the struct with its true size.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root_fd,
            c.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    owned(fd as i32)
}

/// The fallback: no `..`, no symlinks, one `openat` per component.
pub fn open_by_components(
    root_fd: RawFd,
    rel: &Path,
    flags: i32,
    mode: u32,
) -> io::Result<OwnedFd> {
    let parts: Vec<&OsStr> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(Ok(p)),
            Component::CurDir => None,
            _ => Some(Err(io::Error::from_raw_os_error(libc::EXDEV))),
        })
        .collect::<io::Result<_>>()?;
    let Some((last, dirs)) = parts.split_last() else {
        // The root itself.
        return openat(root_fd, OsStr::new("."), flags, mode);
    };
    let mut dir: Option<OwnedFd> = None;
    for part in dirs {
        let at = dir.as_ref().map_or(root_fd, |d| d.as_raw_fd());
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        dir = Some(openat(at, part, flags, 0)?);
    }
    let at = dir.as_ref().map_or(root_fd, |d| d.as_raw_fd());
    openat(at, last, flags | libc::O_NOFOLLOW, mode)
}

fn openat(dir: RawFd, name: &OsStr, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let c = cstring(name)?;
    // SAFETY: valid dirfd and NUL-terminated name.
    owned(unsafe { libc::openat(dir, c.as_ptr(), flags, mode as libc::c_uint) })
}

pub fn cstring(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn owned(fd: i32) -> io::Result<OwnedFd> {
    if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: a fresh descriptor nobody else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn escapes(open: fn(RawFd, &Path, i32, u32) -> io::Result<OwnedFd>) {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(outer.path().join("secret"), "s").unwrap();
        std::fs::write(root.join("sub/ok"), "ok").unwrap();
        symlink("../secret", root.join("out")).unwrap();
        symlink("/etc/passwd", root.join("abs")).unwrap();
        let fd = open_root(&root).unwrap();
        let rd = libc::O_RDONLY;
        assert!(open(fd.as_raw_fd(), Path::new("sub/ok"), rd, 0).is_ok());
        for bad in ["../secret", "sub/../../secret", "out", "abs", "/etc/passwd"] {
            let e = open(fd.as_raw_fd(), Path::new(bad), rd, 0).unwrap_err();
            assert!(
                [libc::EXDEV, libc::ELOOP].contains(&e.raw_os_error().unwrap()),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn openat2_refuses_every_escape() {
        escapes(open_beneath);
    }

    #[test]
    fn fallback_refuses_every_escape() {
        escapes(open_by_components);
    }
}
