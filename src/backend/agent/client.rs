//! A blocking client for our guest agent over the channel's UNIX socket.
//!
//! One [`AgentClient`] per machine, shared by every thread that talks to it. A call writes
//! one request line and waits for the reply with its id; a reader thread per connection
//! splits what the guest sends into lines ([`LineDecoder`], bounded) and hands each reply
//! to the call waiting for it. Several calls may be in flight at once ([`AgentClient::send`]
//! then [`PendingCall::wait`]), which is how file transfers keep the channel busy.
//!
//! The guest is untrusted. A line longer than the limit is dropped as it arrives (never
//! buffered past the limit); lines that are not JSON-RPC replies, and replies nobody waits
//! for, are dropped and counted ([`ClientStats`]); every call has a deadline; at most
//! `max_pending` calls wait at once, each for at most one reply. When the channel closes,
//! every waiting call fails at once; the next call opens it again, asking the resolver
//! for the socket path anew (it changes when the machine restarts).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::marker::PhantomData;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use kvm_guest_agent::framing::{Frame, LineDecoder};
use kvm_guest_agent::protocol::methods::Ping;
use kvm_guest_agent::protocol::types::NoParams;
use kvm_guest_agent::protocol::{limits, Id, Method, Request, Response};

use super::error::AgentError;

/// Finds the socket path for a new connection (re-read for every connection).
pub type Resolver = Box<dyn Fn() -> Result<PathBuf, AgentError> + Send + Sync>;

/// Bounds a client keeps, whatever the guest does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// Longest reply line accepted (longer ones are dropped and counted).
    pub max_line: usize,
    /// Calls waiting at once; one more is refused with [`AgentError::Busy`].
    pub max_pending: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_line: limits::MAX_LINE_BYTES,
            max_pending: 256,
        }
    }
}

/// What the client dropped from the guest, and how often it connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Lines that were not JSON-RPC replies.
    pub garbage: u64,
    /// Replies whose id no call waits for (late, unknown or `null`).
    pub unknown_ids: u64,
    /// Lines over the length limit.
    pub overlong: u64,
    /// Connections opened so far.
    pub connects: u64,
}

#[derive(Default)]
struct Counters {
    garbage: AtomicU64,
    unknown_ids: AtomicU64,
    overlong: AtomicU64,
    connects: AtomicU64,
}

/// Calls waiting for a reply on one connection; `closed` once it is gone.
#[derive(Default)]
struct Waiting {
    calls: HashMap<i64, flume::Sender<Response>>,
    closed: Option<String>,
}

/// One open connection to the channel.
struct Conn {
    writer: Mutex<UnixStream>,
    /// Another handle on the socket, to shut it down while a write holds `writer`.
    control: UnixStream,
    waiting: Mutex<Waiting>,
}

impl Conn {
    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_closed(&self) -> bool {
        self.waiting().closed.is_some()
    }

    /// Marks the connection gone: every waiting call fails now (its sender drops).
    fn close(&self, reason: &str) {
        let calls = {
            let mut w = self.waiting();
            w.closed.get_or_insert_with(|| reason.to_owned());
            std::mem::take(&mut w.calls)
        };
        drop(calls);
        let _ = self.control.shutdown(Shutdown::Both);
    }

    fn closed_reason(&self) -> String {
        self.waiting().closed.clone().unwrap_or_default()
    }
}

/// A client of one machine's agent channel. Cheap to share (`Arc`); closes its
/// connection when dropped.
pub struct AgentClient {
    resolver: Resolver,
    options: ClientOptions,
    conn: Mutex<Option<Arc<Conn>>>,
    next_id: AtomicI64,
    counters: Arc<Counters>,
}

impl AgentClient {
    /// A client that asks `resolver` for the socket path whenever it (re)connects.
    /// Nothing is opened until the first call.
    pub fn new(resolver: Resolver, options: ClientOptions) -> AgentClient {
        AgentClient {
            resolver,
            options,
            conn: Mutex::new(None),
            next_id: AtomicI64::new(0),
            counters: Arc::default(),
        }
    }

    /// A client of a fixed socket path (tests, tools).
    pub fn with_path(path: impl Into<PathBuf>, options: ClientOptions) -> AgentClient {
        let path = path.into();
        Self::new(Box::new(move || Ok(path.clone())), options)
    }

    pub fn stats(&self) -> ClientStats {
        let c = &self.counters;
        ClientStats {
            garbage: c.garbage.load(Ordering::Relaxed),
            unknown_ids: c.unknown_ids.load(Ordering::Relaxed),
            overlong: c.overlong.load(Ordering::Relaxed),
            connects: c.connects.load(Ordering::Relaxed),
        }
    }

    /// Whether a connection is open now.
    pub fn is_connected(&self) -> bool {
        self.slot().as_ref().is_some_and(|c| !c.is_closed())
    }

    /// Closes the connection (waiting calls fail); the next call opens a new one.
    pub fn disconnect(&self) {
        if let Some(c) = self.slot().take() {
            c.close("closed by the host");
        }
    }

    /// A typed call: sends `params` and waits at most `timeout` for the result.
    pub fn call<M: Method>(
        &self,
        params: &M::Params,
        timeout: Duration,
    ) -> Result<M::Result, AgentError> {
        let deadline = Instant::now() + timeout;
        self.send_until::<M>(params, deadline)?.wait(deadline)
    }

    /// `ping`, with the measured round-trip time.
    pub fn ping(&self, timeout: Duration) -> Result<Duration, AgentError> {
        let start = Instant::now();
        self.call::<Ping>(&NoParams {}, timeout)?;
        Ok(start.elapsed())
    }

    /// Sends a request without waiting for its reply (pipelining); the write itself
    /// gives up after `timeout`.
    pub fn send<M: Method>(
        &self,
        params: &M::Params,
        timeout: Duration,
    ) -> Result<PendingCall<M>, AgentError> {
        self.send_until::<M>(params, Instant::now() + timeout)
    }

    fn send_until<M: Method>(
        &self,
        params: &M::Params,
        deadline: Instant,
    ) -> Result<PendingCall<M>, AgentError> {
        let conn = self.connection()?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = flume::bounded(1);
        {
            let mut w = conn.waiting();
            if let Some(reason) = &w.closed {
                return Err(AgentError::Disconnected(reason.clone()));
            }
            if w.calls.len() >= self.options.max_pending {
                return Err(AgentError::Busy);
            }
            w.calls.insert(id, tx);
        }
        let pending = PendingCall {
            conn: conn.clone(),
            id,
            rx,
            _method: PhantomData,
        };
        let line = Request::call::<M>(Id::Num(id), params).to_line();
        let written = {
            let mut stream = conn.writer.lock().unwrap_or_else(|p| p.into_inner());
            let left = deadline.saturating_duration_since(Instant::now());
            stream
                .set_write_timeout(Some(left.max(Duration::from_millis(1))))
                .and_then(|()| stream.write_all(&line))
                .and_then(|()| stream.flush())
        };
        if let Err(e) = written {
            use std::io::ErrorKind::{TimedOut, WouldBlock};
            // Either way a half-written line would garble the stream: this connection
            // is done, and every call waiting on it fails now.
            if matches!(e.kind(), WouldBlock | TimedOut) {
                conn.close("the guest stopped reading");
                return Err(AgentError::Timeout);
            }
            conn.close(&e.to_string());
            return Err(AgentError::Disconnected(e.to_string()));
        }
        Ok(pending)
    }

    fn slot(&self) -> MutexGuard<'_, Option<Arc<Conn>>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The open connection, or a new one to the path the resolver gives now.
    fn connection(&self) -> Result<Arc<Conn>, AgentError> {
        let mut slot = self.slot();
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        *slot = None;
        let path = (self.resolver)()?;
        let stream = UnixStream::connect(&path)
            .map_err(|e| AgentError::Connect(format!("{}: {e}", path.display())))?;
        let clone = || {
            stream
                .try_clone()
                .map_err(|e| AgentError::Connect(e.to_string()))
        };
        let (reader, control) = (clone()?, clone()?);
        let conn = Arc::new(Conn {
            control,
            writer: Mutex::new(stream),
            waiting: Mutex::default(),
        });
        let (c2, counters, max_line) = (conn.clone(), self.counters.clone(), self.options.max_line);
        std::thread::Builder::new()
            .name("agent reader".into())
            .spawn(move || read_loop(reader, &c2, &counters, max_line))
            .map_err(|e| AgentError::Connect(e.to_string()))?;
        self.counters.connects.fetch_add(1, Ordering::Relaxed);
        log::debug!("agent channel {} opened", path.display());
        *slot = Some(conn.clone());
        Ok(conn)
    }
}

impl Drop for AgentClient {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// A request sent, its reply not yet read. Dropping it forgets the call (a late reply
/// is then dropped and counted as unknown).
pub struct PendingCall<M: Method> {
    conn: Arc<Conn>,
    id: i64,
    rx: flume::Receiver<Response>,
    _method: PhantomData<fn() -> M>,
}

impl<M: Method> PendingCall<M> {
    /// Waits for the reply until `deadline`.
    pub fn wait(self, deadline: Instant) -> Result<M::Result, AgentError> {
        let reply = match self.rx.recv_deadline(deadline) {
            Ok(r) => r,
            Err(flume::RecvTimeoutError::Timeout) => return Err(AgentError::Timeout),
            Err(flume::RecvTimeoutError::Disconnected) => {
                return Err(AgentError::Disconnected(self.conn.closed_reason()))
            }
        };
        let value = reply.outcome().map_err(AgentError::Remote)?;
        serde_json::from_value(value).map_err(|e| AgentError::Protocol(e.to_string()))
    }
}

impl<M: Method> Drop for PendingCall<M> {
    fn drop(&mut self) {
        self.conn.waiting().calls.remove(&self.id);
    }
}

/// The connection's reader: lines in, replies to their calls, until end of input.
fn read_loop(mut stream: UnixStream, conn: &Conn, counters: &Counters, max_line: usize) {
    let mut decoder = LineDecoder::new(max_line);
    let mut buf = vec![0u8; 64 * 1024];
    let reason = loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break "the channel was closed".to_owned(),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break e.to_string(),
        };
        for frame in decoder.push(&buf[..n]) {
            match frame {
                Frame::Overlong => {
                    counters.overlong.fetch_add(1, Ordering::Relaxed);
                    log::warn!("agent: a reply line over {max_line} bytes was dropped");
                }
                Frame::Line(line) => deliver(&line, conn, counters),
            }
        }
    };
    log::debug!("agent channel closed: {reason}");
    conn.close(&reason);
}

fn deliver(line: &[u8], conn: &Conn, counters: &Counters) {
    let reply = match Response::from_line(line) {
        Ok(r) => r,
        Err(e) => {
            counters.garbage.fetch_add(1, Ordering::Relaxed);
            log::debug!("agent: dropped a line that is no reply ({e})");
            return;
        }
    };
    let waiter = match &reply.id {
        Some(Id::Num(n)) => conn.waiting().calls.remove(n),
        _ => None,
    };
    match waiter {
        // The receiver may have given up meanwhile; nothing else to do then.
        Some(tx) => {
            let _ = tx.try_send(reply);
        }
        None => {
            counters.unknown_ids.fetch_add(1, Ordering::Relaxed);
            if let Some(e) = &reply.error {
                log::warn!("agent: error for no waiting call: {e}");
            }
        }
    }
}
