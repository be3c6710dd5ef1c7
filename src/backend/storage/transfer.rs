//! Uploading a local file into a volume and downloading a volume into a local file
//! through libvirt streams, on a thread of their own with a second connection to the
//! same URI, so the worker stays free for other commands while gigabytes flow.
//!
//! The worker checks the request on its own connection first ([`prepare_upload`],
//! [`prepare_download`]): the volume exists, an upload fits the volume's capacity and no
//! running machine has the volume attached. The thread ([`spawn`]) then streams in 1 MiB
//! chunks, reports progress at most ten times a second, and looks at the cancel flag
//! between chunks (a cancel aborts the stream). A download is written to `FILE.part`
//! and renamed when complete; on error or cancel the part file is removed.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gettextrs::gettext;
use virt::connect::Connect;
use virt::stream::Stream;
use virt::sys;

use super::volumes::{err, list_volumes, lookup_volume, user_names, volume_info, Usage};
use super::StorageEvent;
use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::{bytes, gettext_f};

const CHUNK: usize = 1 << 20;
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upload,
    Download,
}

/// A checked transfer, ready for [`spawn`].
#[derive(Debug, Clone)]
pub struct Transfer {
    pub id: u64,
    pub direction: Direction,
    pub pool: String,
    pub name: String,
    pub file: PathBuf,
    /// Bytes expected (the file's size, or the volume's size on the host).
    pub total: u64,
    pub cancel: Arc<AtomicBool>,
}

impl Transfer {
    /// The sentence for the toast: "Upload of “x” finished" etc.
    fn done_message(&self, result: &Result<(), BackendError>) -> String {
        let args = [("name", self.name.as_str())];
        match (self.direction, result) {
            (Direction::Upload, Ok(())) => gettext_f("“{name}” uploaded.", &args),
            (Direction::Download, Ok(())) => gettext_f("“{name}” downloaded.", &args),
            (_, Err(e)) if is_cancelled(e) => e.message.clone(),
            (Direction::Upload, Err(_)) => gettext_f("Upload into “{name}” failed.", &args),
            (Direction::Download, Err(_)) => gettext_f("Download of “{name}” failed.", &args),
        }
    }

    fn cancelled(&self) -> BackendError {
        let args = [("name", self.name.as_str())];
        BackendError {
            kind: ErrorKind::Other,
            message: match self.direction {
                Direction::Upload => gettext_f(
                    "Upload into “{name}” cancelled; the volume may hold part of the file.",
                    &args,
                ),
                Direction::Download => gettext_f("Download of “{name}” cancelled.", &args),
            },
            hint: String::new(),
        }
    }

    /// The failure sentence for a request refused before it started.
    pub fn refused_message(direction: Direction, name: &str) -> String {
        let args = [("name", name)];
        match direction {
            Direction::Upload => gettext_f("Upload into “{name}” failed.", &args),
            Direction::Download => gettext_f("Download of “{name}” failed.", &args),
        }
    }
}

/// Whether `e` is the error a cancelled transfer ends with (the only one without a
/// hint: there is nothing to fix).
pub fn is_cancelled(e: &BackendError) -> bool {
    e.kind == ErrorKind::Other && e.hint.is_empty()
}

fn file_error(path: &Path, e: &std::io::Error) -> BackendError {
    BackendError::new(
        ErrorKind::InvalidInput,
        gettext_f(
            "Cannot use “{path}”: {error}.",
            &[
                ("path", &path.display().to_string()),
                ("error", &e.to_string()),
            ],
        ),
    )
}

/// `FILE.part`, next to `FILE`.
pub fn part_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    file.with_file_name(name)
}

/// Check an upload: the file is readable and not larger than the volume, and no
/// running machine has the volume attached.
pub fn prepare_upload(
    conn: &Connect,
    id: u64,
    pool: &str,
    name: &str,
    file: &Path,
    cancel: Arc<AtomicBool>,
) -> Result<Transfer, BackendError> {
    let (_, vol) = lookup_volume(conn, pool, name)?;
    let info = volume_info(pool, &vol)?;
    let meta = std::fs::metadata(file).map_err(|e| file_error(file, &e))?;
    if !meta.is_file() {
        return Err(BackendError::new(
            ErrorKind::InvalidInput,
            gettext_f(
                "“{path}” is not a file.",
                &[("path", &file.display().to_string())],
            ),
        ));
    }
    File::open(file).map_err(|e| file_error(file, &e))?;
    if meta.len() > info.capacity {
        return Err(BackendError {
            kind: ErrorKind::InvalidInput,
            message: gettext_f(
                "The file ({file_size}) is larger than the volume “{name}” ({size}).",
                &[
                    ("file_size", &bytes(meta.len())),
                    ("name", name),
                    ("size", &bytes(info.capacity)),
                ],
            ),
            hint: gettext("Grow the volume first, or choose a larger one."),
        });
    }
    let running: Vec<_> = Usage::scan(conn)?
        .users_of(pool, name, &info.path)
        .into_iter()
        .filter(|u| u.running)
        .collect();
    if !running.is_empty() {
        return Err(BackendError {
            kind: ErrorKind::InvalidInput,
            message: gettext_f(
                "Nothing can be written into “{name}” now: it is attached to {machines}, which is running.",
                &[("name", name), ("machines", &user_names(&running))],
            ),
            hint: gettext("Shut the machine down first."),
        });
    }
    Ok(Transfer {
        id,
        direction: Direction::Upload,
        pool: pool.to_owned(),
        name: name.to_owned(),
        file: file.to_owned(),
        total: meta.len(),
        cancel,
    })
}

/// Check a download: the volume exists and the target's directory is writable.
pub fn prepare_download(
    conn: &Connect,
    id: u64,
    pool: &str,
    name: &str,
    file: &Path,
    cancel: Arc<AtomicBool>,
) -> Result<Transfer, BackendError> {
    let (_, vol) = lookup_volume(conn, pool, name)?;
    let info = volume_info(pool, &vol)?;
    // The bytes on the host (a qcow2 file's own size), which is what the stream carries.
    let total = vol
        .info_flags(sys::VIR_STORAGE_VOL_GET_PHYSICAL)
        .map(|i| i.allocation)
        .unwrap_or(info.capacity);
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(BackendError::new(
            ErrorKind::InvalidInput,
            gettext_f(
                "The folder “{path}” does not exist.",
                &[("path", &dir.display().to_string())],
            ),
        ));
    }
    if file.is_dir() {
        return Err(BackendError::new(
            ErrorKind::InvalidInput,
            gettext_f(
                "“{path}” is a folder: choose a file name.",
                &[("path", &file.display().to_string())],
            ),
        ));
    }
    Ok(Transfer {
        id,
        direction: Direction::Download,
        pool: pool.to_owned(),
        name: name.to_owned(),
        file: file.to_owned(),
        total,
        cancel,
    })
}

/// Run `t` on a new thread with its own connection to `uri`; events go to `emit`
/// (progress, then `TransferDone`, then after an upload the pool's fresh `Volumes`).
pub fn spawn(uri: String, t: Transfer, emit: impl Fn(StorageEvent) + Send + Sync + 'static) {
    let name = format!("transfer {}", t.id);
    let emit = Arc::new(emit);
    let emit2 = emit.clone();
    let t2 = t.clone();
    let started = std::thread::Builder::new().name(name).spawn(move || {
        let conn = Connect::open(Some(&uri)).map_err(|e| BackendError::from_open(&e));
        let result = conn.as_ref().map_err(Clone::clone).and_then(|c| {
            let mut report = Reporter::new(&t, &*emit);
            match t.direction {
                Direction::Upload => upload(c, &t, &mut report),
                Direction::Download => download(c, &t, &mut report),
            }
        });
        emit(StorageEvent::TransferDone {
            id: t.id,
            message: t.done_message(&result),
            result: result.clone(),
        });
        if let Ok(c) = &conn {
            if t.direction == Direction::Upload && result.is_ok() {
                emit(StorageEvent::Volumes {
                    pool: t.pool.clone(),
                    result: list_volumes(c, &t.pool),
                });
            }
        }
    });
    if let Err(e) = started {
        let r = Err(BackendError::new(ErrorKind::Other, e.to_string()));
        emit2(StorageEvent::TransferDone {
            id: t2.id,
            message: t2.done_message(&r),
            result: r,
        });
    }
}

/// Sends `Transfer` events, at most one per [`PROGRESS_EVERY`] (and the last one).
struct Reporter<'a> {
    id: u64,
    total: u64,
    last: Option<Instant>,
    emit: &'a dyn Fn(StorageEvent),
}

impl<'a> Reporter<'a> {
    fn new(t: &Transfer, emit: &'a dyn Fn(StorageEvent)) -> Reporter<'a> {
        Reporter {
            id: t.id,
            total: t.total,
            last: None,
            emit,
        }
    }

    fn report(&mut self, done: u64, last: bool) {
        if !last && self.last.is_some_and(|l| l.elapsed() < PROGRESS_EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        self.total = self.total.max(done);
        (self.emit)(StorageEvent::Transfer {
            id: self.id,
            done,
            total: self.total,
        });
    }
}

fn upload(conn: &Connect, t: &Transfer, report: &mut Reporter) -> Result<(), BackendError> {
    let (_, vol) = lookup_volume(conn, &t.pool, &t.name)?;
    let mut file = File::open(&t.file).map_err(|e| file_error(&t.file, &e))?;
    let stream = Stream::new(conn, 0).map_err(err)?;
    vol.upload(&stream, 0, t.total, 0).map_err(err)?;
    report.report(0, false);
    let mut buf = vec![0u8; CHUNK];
    let mut sent = 0u64;
    let outcome = loop {
        if t.cancel.load(Ordering::SeqCst) {
            break Err(t.cancelled());
        }
        let n = match file.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(file_error(&t.file, &e)),
        };
        if let Err(e) = send_all(&stream, &buf[..n], &t.name) {
            break Err(e);
        }
        sent += n as u64;
        report.report(sent, false);
    };
    match outcome {
        Ok(()) => {
            stream.finish().map_err(err)?;
            report.report(sent, true);
            Ok(())
        }
        Err(e) => {
            let _ = stream.abort();
            Err(e)
        }
    }
}

fn send_all(stream: &Stream, mut data: &[u8], name: &str) -> Result<(), BackendError> {
    while !data.is_empty() {
        match stream.send(data) {
            Ok(k) if k > 0 => data = &data[k as usize..],
            // 0: the other end closed; -2 (would block) cannot happen on a blocking stream.
            Ok(_) => {
                return Err(BackendError::new(
                    ErrorKind::Other,
                    gettext_f(
                        "The host closed the upload into “{name}” early.",
                        &[("name", name)],
                    ),
                ))
            }
            Err(e) => return Err(err(e)),
        }
    }
    Ok(())
}

fn download(conn: &Connect, t: &Transfer, report: &mut Reporter) -> Result<(), BackendError> {
    let (_, vol) = lookup_volume(conn, &t.pool, &t.name)?;
    let part = part_path(&t.file);
    let mut out = File::create(&part).map_err(|e| file_error(&part, &e))?;
    let outcome = (|| {
        let stream = Stream::new(conn, 0).map_err(err)?;
        vol.download(&stream, 0, 0, 0).map_err(err)?;
        report.report(0, false);
        let mut buf = vec![0u8; CHUNK];
        let mut got = 0u64;
        let r = loop {
            if t.cancel.load(Ordering::SeqCst) {
                break Err(t.cancelled());
            }
            let n = match stream.recv(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) if n > 0 => n as usize,
                Ok(_) => continue,
                Err(e) => break Err(err(e)),
            };
            if let Err(e) = out.write_all(&buf[..n]) {
                break Err(file_error(&part, &e));
            }
            got += n as u64;
            report.report(got, false);
        };
        match r {
            Ok(()) => {
                stream.finish().map_err(err)?;
                out.sync_all().map_err(|e| file_error(&part, &e))?;
                report.report(got, true);
                Ok(())
            }
            Err(e) => {
                let _ = stream.abort();
                Err(e)
            }
        }
    })();
    drop(out);
    match outcome
        .and_then(|()| std::fs::rename(&part, &t.file).map_err(|e| file_error(&t.file, &e)))
    {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_file_sits_next_to_the_target() {
        assert_eq!(
            part_path(Path::new("/tmp/a/disk.img")),
            PathBuf::from("/tmp/a/disk.img.part")
        );
        assert_eq!(part_path(Path::new("x")), PathBuf::from("x.part"));
    }
}
