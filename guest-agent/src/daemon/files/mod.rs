//! `file_read` and `file_write`: chunked transfers confined to the allowed directories.
//!
//! A transfer holds its open file, so later chunks reach the same file whatever happens
//! to the path. A write goes to a fresh temporary file in the destination's directory,
//! renamed over the name only after the SHA-256 matched; a mismatch, an abort or an idle
//! timeout before that removes it (when the last handle drops). Transfers outlive a
//! reconnect of the host, which may carry on where it stopped within the idle time.

mod digest;
mod staging;

use super::dispatch::{blocking, io_error};
use super::platform::beneath::{open_beneath, open_root};
use super::State;
use digest::RunningHash;
use kvm_guest_agent::protocol::types::{
    FileReadParams, FileReadResult, FileWriteParams, FileWriteResult,
};
use kvm_guest_agent::protocol::{limits, ErrorCode, RpcError};
use kvm_guest_agent::transfer;
use serde_json::json;
use staging::{commit, start_write, WriteTransfer};
use std::collections::HashMap;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Open transfers by id.
#[derive(Default)]
pub struct Transfers {
    next: AtomicU64,
    map: Mutex<HashMap<u64, (Kind, Instant)>>,
}

#[derive(Clone)]
enum Kind {
    Read(Arc<ReadTransfer>),
    Write(Arc<WriteTransfer>),
}

struct ReadTransfer {
    file: File,
    size: u64,
    mode: u32,
    digest: RunningHash,
}
impl Transfers {
    fn insert(&self, kind: Kind) -> Result<u64, RpcError> {
        let mut map = self.map.lock().unwrap();
        if map.len() >= limits::MAX_TRANSFERS {
            return Err(RpcError::new(ErrorCode::Busy, "too many open transfers"));
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        map.insert(id, (kind, Instant::now()));
        Ok(id)
    }

    fn get(&self, id: u64) -> Result<Kind, RpcError> {
        let mut map = self.map.lock().unwrap();
        let entry = map.get_mut(&id).ok_or_else(|| {
            RpcError::new(
                ErrorCode::NotFound,
                format!("no transfer {id} (finished or expired)"),
            )
        })?;
        entry.1 = Instant::now();
        Ok(entry.0.clone())
    }

    fn remove(&self, id: u64) {
        self.map.lock().unwrap().remove(&id);
    }

    /// Drops transfers idle for longer than `idle`; returns how many.
    pub fn expire(&self, idle: Duration) -> usize {
        let mut map = self.map.lock().unwrap();
        let before = map.len();
        map.retain(|_, (_, used)| used.elapsed() < idle);
        before - map.len()
    }
}

pub async fn read(state: &Arc<State>, p: FileReadParams) -> Result<FileReadResult, RpcError> {
    let state = state.clone();
    blocking(move || read_blocking(&state, p)).await
}

pub async fn write(state: &Arc<State>, p: FileWriteParams) -> Result<FileWriteResult, RpcError> {
    let state = state.clone();
    blocking(move || write_blocking(&state, p)).await
}

fn read_blocking(state: &State, p: FileReadParams) -> Result<FileReadResult, RpcError> {
    if p.length > limits::MAX_FILE_CHUNK_BYTES {
        return Err(too_large("length over the chunk limit"));
    }
    let (id, t) = match (&p.path, p.transfer) {
        (Some(path), None) => {
            let (root, rel) = locate(state, path)?;
            let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY;
            let file = File::from(
                open_beneath(root.as_raw_fd(), &rel, flags, 0).map_err(|e| io_error(e, path))?,
            );
            let meta = file.metadata().map_err(|e| io_error(e, path))?;
            if !meta.is_file() {
                return Err(RpcError::new(
                    ErrorCode::InvalidParams,
                    format!("{path} is not a regular file"),
                ));
            }
            if meta.len() > state.settings.config.files.max_file_bytes {
                return Err(too_large("file over this guest's size limit"));
            }
            let t = Arc::new(ReadTransfer {
                file,
                size: meta.len(),
                mode: meta.mode() & 0o7777,
                digest: RunningHash::default(),
            });
            let id = if p.finish {
                None
            } else {
                Some(state.transfers.insert(Kind::Read(t.clone()))?)
            };
            (id, t)
        }
        (None, Some(id)) => match state.transfers.get(id)? {
            Kind::Read(t) => (Some(id), t),
            Kind::Write(_) => return Err(not_this_kind(id)),
        },
        _ => return Err(path_or_transfer()),
    };
    let want = u64::from(p.length).min(t.size.saturating_sub(p.offset)) as usize;
    let mut data = vec![0u8; want];
    let got = read_at(&t.file, &mut data, p.offset)?;
    data.truncate(got);
    t.digest.read(p.offset, &data);
    let sha256 = if p.finish {
        if let Some(id) = id {
            state.transfers.remove(id);
        }
        Some(t.digest.finish(&t.file, t.size)?)
    } else {
        None
    };
    Ok(FileReadResult {
        transfer: if p.finish { None } else { id },
        size: t.size,
        mode: t.mode,
        offset: p.offset,
        eof: p.offset + got as u64 >= t.size,
        data: transfer::encode(&data),
        sha256,
    })
}

fn write_blocking(state: &State, p: FileWriteParams) -> Result<FileWriteResult, RpcError> {
    if p.abort {
        let id = p
            .transfer
            .ok_or_else(|| RpcError::new(ErrorCode::InvalidParams, "abort needs a transfer"))?;
        state.transfers.get(id)?;
        state.transfers.remove(id);
        return Ok(FileWriteResult {
            transfer: None,
            written: 0,
            done: false,
            size: None,
            sha256: None,
        });
    }
    if transfer::decoded_len(&p.data) > limits::MAX_FILE_CHUNK_BYTES as usize {
        return Err(too_large("chunk over the chunk limit"));
    }
    if let Some(sum) = &p.sha256 {
        if !transfer::is_sha256_hex(sum) {
            return Err(RpcError::new(
                ErrorCode::InvalidParams,
                "sha256 must be 64 hex digits",
            ));
        }
    }
    let data = transfer::decode(&p.data)?;
    if p.offset.saturating_add(data.len() as u64) > state.settings.config.files.max_file_bytes {
        return Err(too_large("file over this guest's size limit"));
    }
    let (id, t) = match (&p.path, p.transfer) {
        (Some(path), None) => {
            let t = Arc::new(start_write(state, path, &p)?);
            let id = if p.sha256.is_some() {
                None
            } else {
                Some(state.transfers.insert(Kind::Write(t.clone()))?)
            };
            (id, t)
        }
        (None, Some(id)) => match state.transfers.get(id)? {
            Kind::Write(t) => (Some(id), t),
            Kind::Read(_) => return Err(not_this_kind(id)),
        },
        _ => return Err(path_or_transfer()),
    };
    t.file
        .write_all_at(&data, p.offset)
        .map_err(|e| io_error(e, "write"))?;
    let written = data.len() as u64;
    t.digest.wrote(&t.file, p.offset, written)?;
    let Some(expected) = p.sha256 else {
        return Ok(FileWriteResult {
            transfer: id,
            written,
            done: false,
            size: None,
            sha256: None,
        });
    };
    if let Some(id) = id {
        state.transfers.remove(id);
    }
    let size = t.file.metadata().map_err(|e| io_error(e, "stat"))?.len();
    let actual = t.digest.finish(&t.file, size)?;
    if !actual.eq_ignore_ascii_case(&expected) || p.size.is_some_and(|s| s != size) {
        return Err(RpcError::new(
            ErrorCode::ChecksumMismatch,
            "the file received is not the one sent; nothing was kept",
        )
        .with_data(json!({ "expected": expected, "actual": actual, "size": size })));
    }
    commit(&t)?;
    Ok(FileWriteResult {
        transfer: None,
        written,
        done: true,
        size: Some(size),
        sha256: Some(actual),
    })
}

/// The allowed directory `path` lies under (opened) and the rest of the path.
fn locate(state: &State, path: &str) -> Result<(OwnedFd, PathBuf), RpcError> {
    let path = Path::new(path);
    if !path.is_absolute() {
        return Err(RpcError::new(
            ErrorCode::InvalidParams,
            "path must be absolute",
        ));
    }
    for dir in &state.settings.file_dirs {
        if let Ok(rel) = path.strip_prefix(dir) {
            let root = open_root(dir).map_err(|e| io_error(e, &dir.display().to_string()))?;
            let rel = if rel.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                rel.to_path_buf()
            };
            return Ok((root, rel));
        }
    }
    Err(RpcError::new(
        ErrorCode::PermissionDenied,
        format!("{} is not beneath an allowed directory", path.display()),
    ))
}

pub(super) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> Result<usize, RpcError> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e, "read")),
        }
    }
    Ok(done)
}

fn too_large(what: &str) -> RpcError {
    RpcError::new(ErrorCode::TooLarge, what)
}

fn path_or_transfer() -> RpcError {
    RpcError::new(
        ErrorCode::InvalidParams,
        "give either path (to start) or transfer (to continue)",
    )
}

fn not_this_kind(id: u64) -> RpcError {
    RpcError::new(
        ErrorCode::InvalidParams,
        format!("transfer {id} goes the other way"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::config::{Config, Settings};

    #[test]
    fn an_idle_write_transfer_expires_with_its_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.files.allowed_dirs = vec![dir.path().to_path_buf()];
        let state = State::new(Settings::new(config).unwrap());
        let dest = dir.path().canonicalize().unwrap().join("f");
        let params = FileWriteParams {
            path: Some(dest.to_string_lossy().into_owned()),
            data: transfer::encode(b"abc"),
            ..Default::default()
        };
        let r = write_blocking(&state, params).unwrap();
        assert!(r.transfer.is_some());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(state.transfers.expire(Duration::from_secs(60)), 0);
        assert_eq!(state.transfers.expire(Duration::ZERO), 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(!dest.exists());
    }

    #[test]
    fn transfers_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r"), "x").unwrap();
        let mut config = Config::default();
        config.files.allowed_dirs = vec![dir.path().to_path_buf()];
        let state = State::new(Settings::new(config).unwrap());
        let path = dir.path().canonicalize().unwrap().join("r");
        let open = || {
            let params = FileReadParams {
                path: Some(path.to_string_lossy().into_owned()),
                ..Default::default()
            };
            read_blocking(&state, params)
        };
        for _ in 0..limits::MAX_TRANSFERS {
            open().unwrap();
        }
        assert_eq!(open().unwrap_err().kind(), Some(ErrorCode::Busy));
    }
}
