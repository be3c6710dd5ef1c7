//! The libvirt glue of a console session: one stream reference ([`StreamRef`]) and the two
//! callbacks on libvirt's event loop that serve it ([`start`]); the work they do is in
//! [`super::pump`].
//!
//! Lifetime: the timer's opaque pointer owns one `Arc<Shared>` (freed by libvirt through
//! the timer's free callback, outside its lock, after the timer is removed); the stream
//! callback borrows the same `Shared` without owning it (no free callback). That is sound
//! because only the timer removes the stream callback, on the event-loop thread, before
//! it removes itself; and libvirt calls the stream callback on that same thread. The
//! last reference to the stream is therefore never dropped inside a stream callback,
//! where libvirt holds the stream's lock.

use std::os::raw::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use virt::sys;

use super::pump::{Shared, READABLE};

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

    /// Stop the stream callback and end the stream (`virStreamFinish` after the end of
    /// the stream, else `virStreamAbort`). Event-loop thread only, once: both calls wait
    /// for the daemon, and no other thread waits for the session's state meanwhile.
    pub(super) fn teardown(&self, graceful: bool) {
        let st = self.0;
        // SAFETY: the callback was registered at start and is removed only here; after
        // this no stream callback runs, so its borrowed pointer to `Shared` is released.
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
                let e = virt::error::Error::last_error();
                log::debug!("ending the console stream: {e}");
            }
        }
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
    let shared = Arc::new(Shared::new(stream));
    let st = shared.stream().ptr();
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
    shared.set_timer_id(timer);
    let borrowed = Arc::as_ptr(&shared) as *mut c_void;
    // SAFETY: see `on_stream`; no free callback: the pointer is borrowed.
    let rc =
        unsafe { sys::virStreamEventAddCallback(st, READABLE, Some(on_stream), borrowed, None) };
    if rc < 0 {
        let e = virt::error::Error::last_error();
        // The timer, should it fire, only releases its reference.
        shared.abandon();
        // SAFETY: the stream is open with no callback; the timer is ours.
        unsafe {
            sys::virStreamAbort(st);
            sys::virEventRemoveTimeout(timer);
        }
        return Err(e);
    }
    Ok(shared)
}
