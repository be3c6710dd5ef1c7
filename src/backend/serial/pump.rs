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
//! Lifetime: the timer's opaque pointer owns one `Arc<Shared>` (freed by libvirt through
//! the timer's free callback after the timer is removed); the stream callback borrows the
//! same `Shared` without owning it, which is sound because only the timer removes the
//! stream callback, on this same thread, before it removes itself.

use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use flume::{Receiver, Sender, TrySendError};
use virt::sys;

use super::session::{EndReason, SerialEnd, SerialOutput};

/// Bytes read per `virStreamRecv`.
pub(super) const CHUNK: usize = 16 * 1024;
/// Chunks one stream callback reads before it yields (libvirt calls again while data
/// remains).
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

const READABLE: c_int = sys::VIR_STREAM_EVENT_READABLE as c_int;
const WRITABLE: c_int = sys::VIR_STREAM_EVENT_WRITABLE as c_int;
const FAILED: c_int = (sys::VIR_STREAM_EVENT_ERROR | sys::VIR_STREAM_EVENT_HANGUP) as c_int;

/// One reference to a libvirt stream, released on drop.
pub(super) struct StreamRef(sys::virStreamPtr);

// SAFETY: libvirt objects are reference counted and thread-safe; the pointer is only
// passed to libvirt.
unsafe impl Send for StreamRef {}
unsafe impl Sync for StreamRef {}

impl StreamRef {
    /// Take over one reference (from `virStreamNew`).
    pub(super) fn new(ptr: sys::virStreamPtr) -> StreamRef {
        StreamRef(ptr)
    }

    pub(super) fn ptr(&self) -> sys::virStreamPtr {
        self.0
    }
}

impl Drop for StreamRef {
    fn drop(&mut self) {
        // SAFETY: we own one reference, released exactly once.
        if unsafe { sys::virStreamFree(self.0) } < 0 {
            log::debug!("virStreamFree: {}", virt::error::Error::last_error());
        }
    }
}

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

    /// Read what the guest printed, up to the per-call budget. Event-loop thread only.
    fn read(&self, s: &mut State) {
        for _ in 0..READS_PER_CALL {
            if s.ending.is_some() || !self.deliver_pending(s) {
                return;
            }
            let mut buf = vec![0u8; CHUNK];
            // SAFETY: the stream is open; `buf` is valid for CHUNK bytes.
            let n = unsafe {
                sys::virStreamRecv(self.stream.ptr(), buf.as_mut_ptr() as *mut c_char, CHUNK)
            };
            match n {
                n if n > 0 => {
                    buf.truncate(n as usize);
                    if !self.deliver(s, buf) {
                        return;
                    }
                }
                0 => return self.end(s, EndReason::Stopped, None),
                -2 => return,
                _ => {
                    let (reason, detail) = SerialEnd::from_last_error();
                    return self.end(s, reason, detail);
                }
            }
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
    fn on_stream(&self, events: c_int) {
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
    fn on_timer(&self) -> bool {
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
            self.teardown(graceful);
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

    /// Stop the stream callback and end the stream. Event-loop thread only
    /// (`virStreamFinish`/`virStreamAbort` wait for the daemon; no other thread waits
    /// for the state lock meanwhile).
    fn teardown(&self, graceful: bool) {
        let st = self.stream.ptr();
        // SAFETY: the callback was registered at open and is removed only here; after
        // this no stream callback runs, so its borrowed pointer to `self` is released.
        unsafe {
            if sys::virStreamEventRemoveCallback(st) < 0 {
                log::debug!(
                    "virStreamEventRemoveCallback: {}",
                    virt::error::Error::last_error()
                );
            }
            let rc = if graceful {
                sys::virStreamFinish(st)
            } else {
                sys::virStreamAbort(st)
            };
            if rc < 0 {
                log::debug!(
                    "ending the console stream: {}",
                    virt::error::Error::last_error()
                );
            }
        }
    }
}

unsafe extern "C" fn on_stream(_st: sys::virStreamPtr, events: c_int, opaque: *mut c_void) {
    // SAFETY: `opaque` is the `Shared` kept alive by the timer's reference, and this
    // callback is removed (on this thread) before that reference is released.
    let shared = unsafe { &*(opaque as *const Shared) };
    if catch_unwind(AssertUnwindSafe(|| shared.on_stream(events))).is_err() {
        log::error!("serial console: the stream callback panicked");
    }
}

unsafe extern "C" fn on_timer(timer: c_int, opaque: *mut c_void) {
    // SAFETY: `opaque` is the `Arc<Shared>` leaked for this timer, released only by
    // `free_shared` after the timer is removed.
    let shared = unsafe { &*(opaque as *const Shared) };
    let done = catch_unwind(AssertUnwindSafe(|| shared.on_timer())).unwrap_or_else(|_| {
        log::error!("serial console: the timer callback panicked");
        true
    });
    if done {
        // SAFETY: removing a timer from its own callback is allowed; libvirt then calls
        // `free_shared` once, outside its lock.
        unsafe { sys::virEventRemoveTimeout(timer) };
    }
}

unsafe extern "C" fn free_shared(opaque: *mut c_void) {
    // SAFETY: the pointer came from `Arc::into_raw` in `start`, and libvirt calls this
    // once. Dropping the last reference frees the stream (no libvirt lock is held here).
    drop(unsafe { Arc::from_raw(opaque as *const Shared) });
}

/// Serve an open console stream (opened with `VIR_STREAM_NONBLOCK`) on the event loop.
/// On failure the stream is aborted and libvirt's error returned.
pub(super) fn start(stream: StreamRef) -> Result<Arc<Shared>, virt::error::Error> {
    let (tx, rx) = flume::bounded(CAPACITY);
    let shared = Arc::new(Shared {
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
    });
    let st = shared.stream.ptr();
    let opaque = Arc::into_raw(shared.clone()) as *mut c_void;
    // SAFETY: plain C calls; `opaque` stays valid until `free_shared` runs. The event loop
    // was registered by `event_loop::ensure_started` before any connection was opened.
    let timer = unsafe { sys::virEventAddTimeout(-1, Some(on_timer), opaque, Some(free_shared)) };
    if timer < 0 {
        let e = virt::error::Error::last_error();
        // SAFETY: the timer was not added, so the leaked reference is ours to release;
        // the stream is open and has no callback.
        unsafe {
            free_shared(opaque);
            sys::virStreamAbort(st);
        }
        return Err(e);
    }
    shared.timer.store(timer, Ordering::SeqCst);
    let borrowed = Arc::as_ptr(&shared) as *mut c_void;
    // SAFETY: see `on_stream`; no free callback: the pointer is borrowed.
    let rc =
        unsafe { sys::virStreamEventAddCallback(st, READABLE, Some(on_stream), borrowed, None) };
    if rc < 0 {
        let e = virt::error::Error::last_error();
        // Mark it torn down so the timer only releases its reference.
        {
            let mut s = shared.lock();
            s.torn_down = true;
            s.ending = Some(SerialEnd::new(EndReason::Failed, None));
        }
        // SAFETY: the stream is open with no callback; the timer is ours.
        unsafe {
            sys::virStreamAbort(st);
            sys::virEventRemoveTimeout(timer);
        }
        return Err(e);
    }
    Ok(shared)
}
