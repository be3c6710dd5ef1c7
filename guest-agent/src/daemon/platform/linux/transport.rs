//! The channel to the host: the virtio-serial port (or any character device, e.g. a
//! serial line), or stdin/stdout for tests.
//!
//! On the port, the guest reads end-of-file (or `POLLHUP`) whenever no host is connected:
//! the agent then closes it and reopens it after a pause that grows to two seconds, so an
//! idle guest never spins a CPU, and it serves again as soon as a host connects.

use crate::daemon::server::{serve, OnEof};
use crate::daemon::{log, State};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Requests on stdin, replies on stdout, until stdin ends. Pipes and sockets are driven
/// by the event loop directly, as the port is (tokio's stdin hands every read to a
/// blocking thread, which halves large transfers); anything else goes through tokio's.
pub async fn run_stdio(state: Arc<State>) {
    match (Device::from_pipe(0), Device::from_pipe(1)) {
        (Some(input), Some(output)) => serve(input, output, state, OnEof::Drain).await,
        _ => serve(tokio::io::stdin(), tokio::io::stdout(), state, OnEof::Drain).await,
    }
}

/// Serves the port at `path` forever, reopening it after each disconnect.
pub async fn run_device(path: &Path, state: Arc<State>) -> ! {
    let mut backoff = MIN_BACKOFF;
    let mut last_error = String::new();
    loop {
        match Device::open(path) {
            Ok(device) => {
                last_error.clear();
                let started = Instant::now();
                let (reader, writer) = tokio::io::split(device);
                serve(reader, writer, state.clone(), OnEof::Drop).await;
                // A session that lasted means a host was there: reconnect quickly.
                if started.elapsed() > Duration::from_secs(1) {
                    log::info("host disconnected; waiting for it to return");
                    backoff = MIN_BACKOFF;
                }
            }
            Err(e) => {
                let text = e.to_string();
                if text != last_error {
                    log::warn(&format!("{}: {text}; retrying", path.display()));
                    last_error = text;
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// A character device in non-blocking mode driven by the event loop.
pub struct Device {
    fd: AsyncFd<OwnedFd>,
}

impl Device {
    pub fn open(path: &Path) -> io::Result<Device> {
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let flags = libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY;
        // SAFETY: NUL-terminated path; the descriptor is owned at once.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fresh descriptor.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        make_raw_if_tty(&fd);
        // SAFETY: the OwnedFd stays open and the same descriptor for the AsyncFd's life.
        let fd = unsafe { AsyncFd::register(fd) }?;
        Ok(Device { fd })
    }
}

impl Device {
    /// A non-blocking duplicate of `fd` when it is a pipe or a socket.
    fn from_pipe(fd: i32) -> Option<Device> {
        // SAFETY: fstat, fcntl and dup on a descriptor number; the duplicate is owned.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            let kind = if libc::fstat(fd, &mut st) == 0 {
                st.st_mode & libc::S_IFMT
            } else {
                0
            };
            if kind != libc::S_IFIFO && kind != libc::S_IFSOCK {
                return None;
            }
            let dup = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3);
            if dup < 0 {
                return None;
            }
            let dup = OwnedFd::from_raw_fd(dup);
            let flags = libc::fcntl(dup.as_raw_fd(), libc::F_GETFL);
            if flags < 0
                || libc::fcntl(dup.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0
            {
                return None;
            }
            let fd = AsyncFd::register(dup).ok()?;
            Some(Device { fd })
        }
    }
}

/// A serial line or pseudo-terminal carries bytes unchanged only in raw mode.
fn make_raw_if_tty(fd: &OwnedFd) {
    // SAFETY: termios calls on an open descriptor with a zeroed struct they fill.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd.as_raw_fd(), &mut t) == 0 {
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t);
        }
    }
}

impl AsyncRead for Device {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let result = guard.try_io(|fd| {
                // SAFETY: reads into the caller's initialised buffer.
                let n = unsafe {
                    libc::read(fd.as_raw_fd(), unfilled.as_mut_ptr().cast(), unfilled.len())
                };
                if n < 0 {
                    let e = io::Error::last_os_error();
                    // A pseudo-terminal whose other side closed says EIO: that is EOF.
                    if e.raw_os_error() == Some(libc::EIO) {
                        return Ok(0);
                    }
                    return Err(e);
                }
                Ok(n as usize)
            });
            match result {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for Device {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            let result = guard.try_io(|fd| {
                // SAFETY: writes from the caller's buffer.
                let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match result {
                Ok(r) => return Poll::Ready(r),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
