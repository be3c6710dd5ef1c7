//! The UI's end of an open text console: [`SerialSession`] (write, close, the output
//! channel) and what arrives on that channel ([`SerialOutput`], ending with a
//! [`SerialEnd`]).
//!
//! The session lives as long as any clone of it: dropping the last clone closes the
//! console like [`SerialSession::close`] (the stream is aborted on libvirt's event-loop
//! thread; nothing stays behind).

use std::fmt;
use std::sync::Arc;

use gettextrs::gettext;

use super::consoles::TextConsole;
use super::pump::Shared;
use crate::i18n::gettext_f;

/// What a session's output channel carries, in order: the guest's bytes as they come,
/// then exactly one `Ended`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialOutput {
    /// Bytes the guest wrote (raw: terminal escapes included), at most 16 KiB each.
    Data(Vec<u8>),
    /// The session is over; nothing follows.
    Ended(SerialEnd),
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// Closed by this app ([`SerialSession::close`], or every clone dropped).
    Closed,
    /// The machine closed the console: it stopped (libvirt reports the end of the
    /// stream when QEMU lets go of the pty).
    Stopped,
    /// The daemon ended the stream, as it does when another program opens the console
    /// with "force" (`virsh console --force`, "Take over" in another window). Inferred
    /// from libvirt's "stream had I/O failure"; a daemon-side I/O error reads the same.
    TakenOver,
    /// Any other failure of the stream (the connection was lost, the daemon's error).
    Failed,
}

/// The end notice: why, and a sentence for the console view (translated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialEnd {
    pub reason: EndReason,
    pub message: String,
}

impl SerialEnd {
    pub(super) fn new(reason: EndReason, detail: Option<String>) -> SerialEnd {
        let message = match (reason, detail) {
            (EndReason::Closed, _) => gettext("The console was closed."),
            (EndReason::Stopped, _) => gettext("The console closed: the machine stopped."),
            (EndReason::TakenOver, _) => gettext("Another program took the console over."),
            (EndReason::Failed, Some(detail)) => gettext_f(
                "The console connection failed: {detail}",
                &[("detail", &detail)],
            ),
            (EndReason::Failed, None) => gettext("The console connection failed."),
        };
        SerialEnd { reason, message }
    }

    /// The end a failed stream call means: libvirt's error from this thread.
    pub(super) fn from_last_error() -> (EndReason, Option<String>) {
        let e = virt::error::Error::last_error();
        // The daemon's stream code reports any error or hang-up of the server side as
        // VIR_ERR_RPC "stream had I/O failure"; a forced open by another client aborts
        // our server-side stream, which is the usual cause while the machine runs.
        let rpc = e.code().is(virt::error::ErrorNumber::Rpc);
        if rpc && e.message().contains("stream had I/O failure") {
            return (EndReason::TakenOver, None);
        }
        (EndReason::Failed, Some(e.message().to_owned()))
    }
}

/// The UI's handle: closes the console when the last clone goes.
struct Handle {
    shared: Arc<Shared>,
    uuid: String,
    name: String,
    console: TextConsole,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// An open text console of a running machine. Cheap to clone; equal only to its own
/// clones. Dropping the last clone closes it.
#[derive(Clone)]
pub struct SerialSession {
    handle: Arc<Handle>,
}

impl SerialSession {
    pub(super) fn new(
        shared: Arc<Shared>,
        uuid: String,
        name: String,
        console: TextConsole,
    ) -> SerialSession {
        SerialSession {
            handle: Arc::new(Handle {
                shared,
                uuid,
                name,
                console,
            }),
        }
    }

    /// The machine's UUID.
    pub fn uuid(&self) -> &str {
        &self.handle.uuid
    }

    /// The machine's name (when the session was opened).
    pub fn name(&self) -> &str {
        &self.handle.name
    }

    /// The console this session is on (device name, label).
    pub fn console(&self) -> &TextConsole {
        &self.handle.console
    }

    /// Send bytes to the guest (keystrokes, a paste). Never blocks: they are queued (up
    /// to 1 MiB; more is dropped) and sent from libvirt's event-loop thread. Ignored once
    /// the session has ended or is closing.
    pub fn write(&self, bytes: &[u8]) {
        self.handle.shared.write(bytes);
    }

    /// Close the console (never blocks). The output channel then ends with
    /// `Ended(Closed)` unless it had ended already.
    pub fn close(&self) {
        self.handle.shared.close();
    }

    /// The output channel: the guest's bytes, then one [`SerialOutput::Ended`]. `Some`
    /// for the first caller only. Drain it with `recv_async()` in
    /// `glib::spawn_future_local` (or `recv`/`recv_timeout` off the main thread). Holds
    /// at most 1 MiB: while it is full the console stops reading, so a slow reader
    /// slows the guest's serial line instead of growing memory.
    pub fn output(&self) -> Option<flume::Receiver<SerialOutput>> {
        self.handle.shared.take_output()
    }

    /// Whether the session has ended (the machine stopped, the stream failed, closed).
    pub fn is_ended(&self) -> bool {
        self.handle.shared.is_ended()
    }
}

impl PartialEq for SerialSession {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.handle, &other.handle)
    }
}

impl fmt::Debug for SerialSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SerialSession")
            .field("name", &self.handle.name)
            .field("device", &self.handle.console.device)
            .field("ended", &self.is_ended())
            .finish()
    }
}
