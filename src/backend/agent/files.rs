//! Copying files into and out of a guest through our agent (`file_write`, `file_read`).
//!
//! Chunks of [`limits::FILE_CHUNK_BYTES`] (or the agent's smaller maximum) travel with
//! several in flight at once, so the channel never idles waiting for a reply. Both ends
//! check the whole file's SHA-256: an upload's last call carries ours and the agent
//! renames its temporary file into place only when they match; a download is written to
//! a part file beside the target and renamed only when the agent's checksum matches ours.
//! A cancel (checked between chunks) or any failure aborts the guest's side too and
//! leaves nothing half-written behind.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kvm_guest_agent::protocol::methods::{FileRead, FileWrite, GetAgentInfo};
use kvm_guest_agent::protocol::types::{FileReadParams, FileWriteParams, NoParams};
use kvm_guest_agent::protocol::{limits, ErrorCode, RpcError};
use kvm_guest_agent::transfer::{self, Checksum};

use super::client::{AgentClient, PendingCall};
use super::error::AgentError;
use crate::backend::storage::transfer::part_path;
use crate::i18n::gettext_f;

/// Chunks in flight at once (bounded further by the agent's `max_in_flight`).
const WINDOW: usize = 8;
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// How a transfer is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferOptions {
    /// Replace an existing destination.
    pub overwrite: bool,
    /// Longest wait for any one reply.
    pub call_timeout: Duration,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            overwrite: false,
            call_timeout: Duration::from_secs(limits::DEFAULT_CALL_TIMEOUT_SECS),
        }
    }
}

/// A finished transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSummary {
    pub bytes: u64,
    /// The SHA-256 both ends agreed on (lower-case hex).
    pub sha256: String,
    pub elapsed: Duration,
}

impl TransferSummary {
    /// Bytes per second.
    pub fn throughput(&self) -> f64 {
        super::timing::throughput(self.bytes, self.elapsed)
    }
}

/// Calls `progress(done, total)` at most ten times a second, and for the last bytes.
struct Progress<'a> {
    f: &'a mut dyn FnMut(u64, u64),
    total: u64,
    last: Option<Instant>,
}

impl Progress<'_> {
    fn report(&mut self, done: u64, last: bool) {
        if !last && self.last.is_some_and(|l| l.elapsed() < PROGRESS_EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        (self.f)(done, self.total.max(done));
    }
}

/// Chunk size and window for this agent.
fn plan(client: &AgentClient, timeout: Duration) -> Result<(usize, usize), AgentError> {
    let info = client.call::<GetAgentInfo>(&NoParams {}, timeout)?;
    let caps = info.capabilities;
    let chunk = limits::FILE_CHUNK_BYTES.min(caps.max_chunk_bytes).max(4096) as usize;
    let window = WINDOW.min((caps.max_in_flight as usize / 2).max(1));
    Ok((chunk, window))
}

fn local(path: &Path, e: &std::io::Error) -> AgentError {
    AgentError::LocalFile(gettext_f(
        "cannot use “{path}”: {error}",
        &[
            ("path", &path.display().to_string()),
            ("error", &e.to_string()),
        ],
    ))
}

fn cancelled(cancel: &AtomicBool) -> bool {
    cancel.load(Ordering::SeqCst)
}

/// Copies the host file `from` to `to` in the guest.
pub fn upload(
    client: &AgentClient,
    from: &Path,
    to: &str,
    options: TransferOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<TransferSummary, AgentError> {
    let start = Instant::now();
    let timeout = options.call_timeout;
    let mut file = File::open(from).map_err(|e| local(from, &e))?;
    let size = file.metadata().map_err(|e| local(from, &e))?.len();
    let (chunk, window) = plan(client, timeout)?;
    let mut report = Progress {
        f: progress,
        total: size,
        last: None,
    };
    report.report(0, false);
    let mut sum = Checksum::new();
    let mut buf = vec![0u8; chunk];
    let n = read_full(&mut file, &mut buf).map_err(|e| local(from, &e))?;
    sum.update(&buf[..n]);
    let single = n as u64 >= size;
    let first = FileWriteParams {
        path: Some(to.to_owned()),
        data: transfer::encode(&buf[..n]),
        overwrite: options.overwrite,
        sha256: single.then(|| sum.clone().finish_hex()),
        size: single.then_some(size),
        ..Default::default()
    };
    let reply = client.call::<FileWrite>(&first, timeout)?;
    if single {
        return finished(reply.done, reply.sha256, sum, size, start, &mut report);
    }
    let id = reply
        .transfer
        .ok_or_else(|| AgentError::Protocol("file_write opened no transfer".into()))?;
    let result = (|| {
        let mut offset = n as u64;
        let mut acked = offset;
        let mut queue: VecDeque<(PendingCall<FileWrite>, u64)> = VecDeque::new();
        loop {
            if cancelled(cancel) {
                return Err(AgentError::Cancelled);
            }
            if queue.len() < window && offset < size {
                let n = read_full(&mut file, &mut buf).map_err(|e| local(from, &e))?;
                if n == 0 {
                    return Err(AgentError::LocalFile(gettext_f(
                        "“{path}” became shorter while it was copied",
                        &[("path", &from.display().to_string())],
                    )));
                }
                sum.update(&buf[..n]);
                let p = FileWriteParams {
                    transfer: Some(id),
                    offset,
                    data: transfer::encode(&buf[..n]),
                    ..Default::default()
                };
                queue.push_back((client.send::<FileWrite>(&p, timeout)?, n as u64));
                offset += n as u64;
                continue;
            }
            let Some((call, len)) = queue.pop_front() else {
                break;
            };
            let r = call.wait(Instant::now() + timeout)?;
            if r.written != len {
                return Err(AgentError::Protocol(format!(
                    "the agent wrote {} bytes of {len}",
                    r.written
                )));
            }
            acked += len;
            report.report(acked, false);
        }
        let last = FileWriteParams {
            transfer: Some(id),
            offset: size,
            sha256: Some(sum.clone().finish_hex()),
            size: Some(size),
            ..Default::default()
        };
        let r = client.call::<FileWrite>(&last, timeout)?;
        finished(r.done, r.sha256, sum.clone(), size, start, &mut report)
    })();
    if result.is_err() {
        abort_write(client, id);
    }
    result
}

fn finished(
    done: bool,
    theirs: Option<String>,
    sum: Checksum,
    size: u64,
    start: Instant,
    report: &mut Progress,
) -> Result<TransferSummary, AgentError> {
    let ours = sum.finish_hex();
    if !done || !theirs.is_some_and(|t| t.eq_ignore_ascii_case(&ours)) {
        return Err(mismatch());
    }
    report.report(size, true);
    Ok(TransferSummary {
        bytes: size,
        sha256: ours,
        elapsed: start.elapsed(),
    })
}

fn mismatch() -> AgentError {
    AgentError::Remote(RpcError::new(
        ErrorCode::ChecksumMismatch,
        "the SHA-256 of the copy differs from the original",
    ))
}

/// Drops the guest's temporary file (best effort: the agent also expires idle ones).
fn abort_write(client: &AgentClient, id: u64) {
    let p = FileWriteParams {
        transfer: Some(id),
        abort: true,
        ..Default::default()
    };
    if let Err(e) = client.call::<FileWrite>(&p, Duration::from_secs(5)) {
        log::info!("agent: aborting upload {id}: {e}");
    }
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Copies the guest file `from` to the host file `to`.
pub fn download(
    client: &AgentClient,
    from: &str,
    to: &Path,
    options: TransferOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<TransferSummary, AgentError> {
    let start = Instant::now();
    if !options.overwrite && to.exists() {
        return Err(AgentError::LocalFile(gettext_f(
            "“{path}” exists already",
            &[("path", &to.display().to_string())],
        )));
    }
    let part = part_path(to);
    let mut out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&part)
        .map_err(|e| local(&part, &e))?;
    let result = receive(
        client, from, &mut out, &part, options, cancel, progress, start,
    );
    drop(out);
    let placed = result.and_then(|summary| {
        place(&part, to, options.overwrite)?;
        Ok(summary)
    });
    if placed.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    placed
}

/// Moves the checked part file into place; without `overwrite` never replaces a file
/// that appeared meanwhile.
fn place(part: &Path, to: &Path, overwrite: bool) -> Result<(), AgentError> {
    if overwrite {
        return std::fs::rename(part, to).map_err(|e| local(to, &e));
    }
    std::fs::hard_link(part, to).map_err(|e| local(to, &e))?;
    let _ = std::fs::remove_file(part);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn receive(
    client: &AgentClient,
    from: &str,
    out: &mut File,
    part: &Path,
    options: TransferOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(u64, u64),
    start: Instant,
) -> Result<TransferSummary, AgentError> {
    let timeout = options.call_timeout;
    let (chunk, window) = plan(client, timeout)?;
    let first = FileReadParams {
        path: Some(from.to_owned()),
        length: chunk as u32,
        ..Default::default()
    };
    let r = client.call::<FileRead>(&first, timeout)?;
    let (size, id) = (r.size, r.transfer);
    let id = id.ok_or_else(|| AgentError::Protocol("file_read opened no transfer".into()))?;
    let mut report = Progress {
        f: progress,
        total: size,
        last: None,
    };
    let mut sum = Checksum::new();
    let mut got = 0u64;
    let result = (|| {
        let mut take = |data: &str, offset: u64, got: &mut u64| -> Result<(), AgentError> {
            let bytes = transfer::decode(data).map_err(AgentError::Remote)?;
            let want = (chunk as u64).min(size - offset);
            if offset != *got || bytes.len() as u64 != want {
                return Err(AgentError::Protocol(format!(
                    "chunk at {offset} has {} bytes, expected {want} at {got}",
                    bytes.len()
                )));
            }
            out.write_all(&bytes).map_err(|e| local(part, &e))?;
            sum.update(&bytes);
            *got += want;
            Ok(())
        };
        take(&r.data, 0, &mut got)?;
        let mut offset = got;
        let mut queue: VecDeque<PendingCall<FileRead>> = VecDeque::new();
        loop {
            if cancelled(cancel) {
                return Err(AgentError::Cancelled);
            }
            if queue.len() < window && offset < size {
                let p = FileReadParams {
                    transfer: Some(id),
                    offset,
                    length: chunk as u32,
                    ..Default::default()
                };
                queue.push_back(client.send::<FileRead>(&p, timeout)?);
                offset += (chunk as u64).min(size - offset);
                continue;
            }
            let Some(call) = queue.pop_front() else {
                break;
            };
            let r = call.wait(Instant::now() + timeout)?;
            take(&r.data, r.offset, &mut got)?;
            report.report(got, false);
        }
        let fin = FileReadParams {
            transfer: Some(id),
            offset: size,
            finish: true,
            ..Default::default()
        };
        let r = client.call::<FileRead>(&fin, timeout)?;
        out.sync_all().map_err(|e| local(part, &e))?;
        let ours = sum.clone().finish_hex();
        if !r.sha256.is_some_and(|t| t.eq_ignore_ascii_case(&ours)) {
            return Err(mismatch());
        }
        report.report(size, true);
        Ok(TransferSummary {
            bytes: size,
            sha256: ours,
            elapsed: start.elapsed(),
        })
    })();
    if matches!(result, Err(ref e) if !matches!(e, AgentError::Remote(_))) {
        // The protocol has no abort for reads: finishing closes the guest's side (its
        // reply, a checksum nobody needs, is not awaited).
        let fin = FileReadParams {
            transfer: Some(id),
            offset: size,
            finish: true,
            ..Default::default()
        };
        let _ = client.send::<FileRead>(&fin, Duration::from_secs(5));
    }
    result
}
