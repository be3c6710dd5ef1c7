//! The libvirt side of a console session: a non-blocking stream served on libvirt's
//! event-loop thread ([`crate::backend::event_loop`]).
//!
//! Two callbacks run there, never at the same time (one thread):
//! - the stream callback (`virStreamEventAddCallback`): reads what the guest printed
//!   into the output channel and sends queued keystrokes when the stream is writable;
//! - a timer (`virEventAddTimeout`), idle until woken: `Shared::wake` (from `write`
//!   and `close`, on any thread) fires it on the next loop turn. It flushes the outbox,
//!   retries output the channel had no room for, and tears the stream down.
//!
//! So every stream call after the open happens on that one thread and reads never race
//! writes. Other threads only append to the outbox (its own lock, never held across a
//! libvirt call), set the closing flag and wake the timer (`virEventUpdateTimeout` is
//! thread-safe), so `write` and `close` never wait for libvirt.
//!
//! Output is bounded: at most [`CAPACITY`] - 1 chunks of [`CHUNK`] bytes wait in the
//! channel. When it is full, reading pauses (the stream stops asking for READABLE, so
//! libvirt stops reading the pty and the guest's serial line backs up) and the timer
//! retries every [`RETRY_MS`]. The last slot is kept for the end notice, so it always fits.
//!
//! The callbacks' registration and the lifetime of `Shared` behind them are in
//! [`super::stream`].

use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};

use flume::{Receiver, Sender, TrySendError};
use virt::sys;

use super::session::{EndReason, SerialEnd, SerialOutput};
use super::stream::StreamRef;

/// Bytes read per `virStreamRecv`.
pub(super) const CHUNK: usize = 16 * 1024;
/// Reads one stream callback makes before it yields (libvirt calls again while data
/// remains); what they bring is handed over as one chunk.
const READS_PER_CALL: usize = 8;
/// Channel slots: `CAPACITY - 1` data chunks (1 MiB) plus one for the end notice.
pub(super) const CAPACITY: usize = 65;
/// Retry period while the channel is full.
const RETRY_MS: c_int = 20;
/// Keystrokes and pastes queued at most (more is dropped, with a warning).
pub(super) const OUTBOX_MAX: usize = 1 << 20;
/// How long an ended session waits for the UI to take its last output before the end
/// notice (timer retries).
const TAIL_RETRIES: u32 = 100;

pub(super) const READABLE: c_int = sys::VIR_STREAM_EVENT_READABLE as c_int;
const WRITABLE: c_int = sys::VIR_STREAM_EVENT_WRITABLE as c_int;
const FAILED: c_int = (sys::VIR_STREAM_EVENT_ERROR | sys::VIR_STREAM_EVENT_HANGUP) as c_int;

/// The event-loop thread's state (the lock is uncontended: only that thread takes it).
#[derive(Default)]
struct State {
    /// A chunk read while the channel was full.
    pending: Option<Vec<u8>>,
    /// Set once: why the session ends. Teardown follows on the timer.
    ending: Option<SerialEnd>,
    torn_down: bool,
    tail_retries: u32,
    /// The events the stream callback currently asks for.
    events: c_int,
}

/// A session's state, shared by the UI's handle and the event-loop callbacks.
pub(super) struct Shared {
    stream: StreamRef,
    timer: AtomicI32,
    ended: AtomicBool,
    closing: AtomicBool,
    /// Bytes written by the UI, not yet accepted by the stream.
    outbox: Mutex<Vec<u8>>,
    state: Mutex<State>,
    tx: Sender<SerialOutput>,
    /// The receiver until the UI takes it ([`Shared::take_output`]).
    rx: Mutex<Option<Receiver<SerialOutput>>>,
}

impl Shared {
    /// The state of a session on `stream`, opened with `VIR_STREAM_NONBLOCK`; the
    /// stream callback is to be registered for READABLE.
    pub(super) fn new(stream: StreamRef) -> Shared {
        let (tx, rx) = flume::bounded(CAPACITY);
        Shared {
            stream,
            timer: AtomicI32::new(-1),
            ended: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            outbox: Mutex::new(Vec::new()),
            state: Mutex::new(State {
                events: READABLE,
                ..State::default()
            }),
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }

    pub(super) fn stream(&self) -> &StreamRef {
        &self.stream
    }

    /// The timer that serves this session (set once, right after it is added).
    pub(super) fn set_timer_id(&self, timer: c_int) {
        self.timer.store(timer, Ordering::SeqCst);
    }

    /// The session could not start: the timer must only release its reference.
    pub(super) fn abandon(&self) {
        let mut s = self.lock();
        s.torn_down = true;
        s.ending = Some(SerialEnd::new(EndReason::Failed, None));
        self.ended.store(true, Ordering::SeqCst);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn is_ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    pub(super) fn take_output(&self) -> Option<Receiver<SerialOutput>> {
        self.rx.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn outbox(&self) -> MutexGuard<'_, Vec<u8>> {
        self.outbox.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue bytes for the guest (any thread; never waits for libvirt).
    pub(super) fn write(&self, bytes: &[u8]) {
        if self.is_ended() || self.closing.load(Ordering::SeqCst) || bytes.is_empty() {
            return;
        }
        {
            let mut outbox = self.outbox();
            let room = OUTBOX_MAX.saturating_sub(outbox.len());
            if bytes.len() > room {
                log::warn!(
                    "serial console: {} bytes dropped (the guest is not reading)",
                    bytes.len() - room
                );
            }
            outbox.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        self.wake();
    }

    /// Ask for the end of the session (any thread; the teardown runs on the timer).
    pub(super) fn close(&self) {
        if !self.closing.swap(true, Ordering::SeqCst) {
            self.wake();
        }
    }

    /// Fire the timer on the next turn of the event loop (any thread).
    fn wake(&self) {
        self.set_timer(0);
    }

    /// Set the timer's period: -1 idle, 0 on every loop turn, else milliseconds.
    fn set_timer(&self, ms: c_int) {
        let timer = self.timer.load(Ordering::SeqCst);
        if timer > 0 {
            // SAFETY: `timer` came from virEventAddTimeout; libvirt ignores updates of a
            // timer that was removed since. Thread-safe: it takes the event loop's lock
            // and wakes the loop.
            unsafe { sys::virEventUpdateTimeout(timer, ms) };
        }
    }

    /// Record why the session ends (first reason wins) and let the timer tear down.
    fn end(&self, s: &mut State, reason: EndReason, detail: Option<String>) {
        if s.ending.is_none() {
            s.ending = Some(SerialEnd::new(reason, detail));
            self.ended.store(true, Ordering::SeqCst);
        }
        self.wake();
    }

    /// Send as much of the outbox as the stream takes now. Event-loop thread only.
    fn flush(&self, s: &mut State) {
        while s.ending.is_none() {
            let data = std::mem::take(&mut *self.outbox());
            if data.is_empty() {
                return;
            }
            // SAFETY: the stream is open (not torn down: `ending` is unset), the buffer
            // is valid for its length.
            let n = unsafe {
                sys::virStreamSend(
                    self.stream.ptr(),
                    data.as_ptr() as *const c_char,
                    data.len(),
                )
            };
            let sent = match n {
                n if n >= 0 => n as usize,
                -2 => 0, // would block: WRITABLE will call again
                _ => {
                    let (reason, detail) = SerialEnd::from_last_error();
                    return self.end(s, reason, detail);
                }
            };
            if sent < data.len() {
                // Put the rest back in front of what arrived meanwhile.
                let mut outbox = self.outbox();
                let newer = std::mem::take(&mut *outbox);
                *outbox = data[sent..].to_vec();
                outbox.extend_from_slice(&newer);
                return;
            }
        }
    }

    /// Hand a chunk to the UI; `false` when the channel has no room (kept as pending).
    fn deliver(&self, s: &mut State, chunk: Vec<u8>) -> bool {
        // One slot stays free for the end notice (this thread is the only sender).
        if self.tx.len() + 1 >= CAPACITY {
            s.pending = Some(chunk);
            return false;
        }
        match self.tx.try_send(SerialOutput::Data(chunk)) {
            Ok(()) => true,
            Err(TrySendError::Full(SerialOutput::Data(c))) => {
                s.pending = Some(c);
                false
            }
            // Nobody reads the output any more: drop it.
            Err(_) => true,
        }
    }

    fn deliver_pending(&self, s: &mut State) -> bool {
        match s.pending.take() {
            Some(chunk) => self.deliver(s, chunk),
            None => true,
        }
    }

    /// Read what the guest printed (up to [`READS_PER_CALL`] reads, gathered into one
    /// chunk of at most [`CHUNK`] bytes) and hand it to the UI. Event-loop thread only.
    fn read(&self, s: &mut State) {
        if s.ending.is_some() || !self.deliver_pending(s) {
            return;
        }
        let mut buf = vec![0u8; CHUNK];
        let mut len = 0;
        let mut end = None;
        for _ in 0..READS_PER_CALL {
            let room = &mut buf[len..];
            if room.is_empty() {
                break;
            }
            // SAFETY: the stream is open (not torn down: `ending` is unset); `room` is
            // valid for its length.
            let n = unsafe {
                sys::virStreamRecv(
                    self.stream.ptr(),
                    room.as_mut_ptr() as *mut c_char,
                    room.len(),
                )
            };
            match n {
                n if n > 0 => len += n as usize,
                0 => {
                    end = Some((EndReason::Stopped, None));
                    break;
                }
                -2 => break,
                _ => {
                    end = Some(SerialEnd::from_last_error());
                    break;
                }
            }
        }
        if len > 0 {
            buf.truncate(len);
            // When the channel is full the chunk waits as `pending`, reading pauses.
            self.deliver(s, buf);
        }
        if let Some((reason, detail)) = end {
            self.end(s, reason, detail);
        }
    }

    /// Ask the stream for the events that now make sense, and pace the timer.
    fn rearm(&self, s: &mut State) {
        if s.torn_down {
            return;
        }
        let mut want = 0;
        if s.ending.is_none() {
            if s.pending.is_none() {
                want |= READABLE;
            }
            if !self.outbox().is_empty() {
                want |= WRITABLE;
            }
        }
        if want != s.events {
            // SAFETY: the stream callback is registered (not torn down yet).
            if unsafe { sys::virStreamEventUpdateCallback(self.stream.ptr(), want) } < 0 {
                log::debug!(
                    "virStreamEventUpdateCallback: {}",
                    virt::error::Error::last_error()
                );
            }
            s.events = want;
        }
        if s.ending.is_some() || self.closing.load(Ordering::SeqCst) {
            self.wake();
        } else if s.pending.is_some() {
            self.set_timer(RETRY_MS);
        }
    }

    /// The stream callback's work.
    pub(super) fn on_stream(&self, events: c_int) {
        let mut s = self.lock();
        if s.torn_down {
            return;
        }
        if events & (READABLE | FAILED) != 0 {
            self.read(&mut s);
        }
        if events & WRITABLE != 0 {
            self.flush(&mut s);
        }
        if events & FAILED != 0 && s.ending.is_none() {
            self.end(&mut s, EndReason::Failed, None);
        }
        self.rearm(&mut s);
    }

    /// The timer's work. `true` when the session is over and the timer must go.
    pub(super) fn on_timer(&self) -> bool {
        let mut s = self.lock();
        // Idle again unless something below asks for more; a wake from another thread
        // after this line fires the timer once more, so none is lost.
        self.set_timer(-1);
        if self.closing.load(Ordering::SeqCst) && s.ending.is_none() {
            self.end(&mut s, EndReason::Closed, None);
        }
        if s.ending.is_none() {
            if self.deliver_pending(&mut s) {
                self.read(&mut s);
            }
            self.flush(&mut s);
            self.rearm(&mut s);
            if s.ending.is_none() {
                return false;
            }
        }
        if !s.torn_down {
            let graceful = s.ending.as_ref().map(|e| e.reason) == Some(EndReason::Stopped);
            s.torn_down = true;
            self.outbox().clear();
            self.stream.teardown(graceful);
            // Output nobody took: let the sends below fail instead of waiting.
            drop(self.take_output());
        }
        // The guest's last words go before the end notice, if the UI takes them soon.
        let closed = s.ending.as_ref().map(|e| e.reason) == Some(EndReason::Closed);
        if s.pending.is_some()
            && !closed
            && s.tail_retries < TAIL_RETRIES
            && !self.deliver_pending(&mut s)
        {
            s.tail_retries += 1;
            self.set_timer(RETRY_MS);
            return false;
        }
        s.pending = None;
        if let Some(end) = s.ending.clone() {
            // Always fits: the last slot is kept for it.
            let _ = self.tx.try_send(SerialOutput::Ended(end));
        }
        true
    }
}
