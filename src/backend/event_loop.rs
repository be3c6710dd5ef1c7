//! libvirt's event loop: one process-wide thread that dispatches domain events, close
//! callbacks and keepalives for every connection.
//!
//! libvirt requires the implementation to be registered before the first connection is
//! opened; [`ensure_started`] does that exactly once and is called by
//! [`ConnectionHandle::spawn`](super::ConnectionHandle::spawn) before any worker opens.

use std::sync::Once;
use std::thread;

static START: Once = Once::new();

/// Register libvirt's default event implementation and start the thread that runs it.
/// Idempotent and cheap after the first call.
pub fn ensure_started() {
    START.call_once(|| {
        // libvirt prints every error to stderr by default; the backend reports errors itself.
        virt::error::clear_error_callback();
        // SAFETY: plain C call with no arguments; guarded by `Once` so it runs once, and it
        // runs before any `Connect::open` because every worker is spawned after this returns.
        let rc = unsafe { virt::sys::virEventRegisterDefaultImpl() };
        if rc < 0 {
            log::error!(
                "virEventRegisterDefaultImpl failed: {}",
                virt::error::Error::last_error()
            );
            return;
        }
        let spawned = thread::Builder::new()
            .name("libvirt-events".into())
            .spawn(|| loop {
                // SAFETY: the default implementation was registered above.
                if unsafe { virt::sys::virEventRunDefaultImpl() } < 0 {
                    log::warn!(
                        "virEventRunDefaultImpl failed: {}",
                        virt::error::Error::last_error()
                    );
                    thread::sleep(std::time::Duration::from_millis(100));
                }
            });
        if let Err(e) = spawned {
            log::error!("cannot start the libvirt event thread: {e}");
        }
    });
}
