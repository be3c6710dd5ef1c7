//! Serial ports and text consoles of a running machine, as byte streams for a terminal
//! view (`virDomainOpenConsole`).
//!
//! - [`consoles`]: which text consoles a domain has ([`text_consoles`] from its XML).
//! - [`open`] (run by the worker for [`SerialCommand::Open`]): checks the machine runs and
//!   the console can be opened, then opens a non-blocking stream on the worker's
//!   connection. A console another client holds (`virsh console`, virt-manager) is
//!   refused with [`ErrorKind::Busy`]; `force` takes it over (`VIR_DOMAIN_CONSOLE_FORCE`),
//!   which ends the other client's session.
//! - `pump` and `stream`: the stream is served on libvirt's event-loop thread (stream
//!   and timer callbacks), so reads and writes never race and no thread per console is
//!   needed.
//! - [`session`]: the UI's [`SerialSession`]: `write` (never blocks), `close`, and
//!   `output()`, an async channel of the guest's bytes ending with a [`SerialEnd`].
//!
//! A serial line cannot tell the guest the size of the terminal: the guest keeps its
//! own idea (80×24 on Linux) unless someone runs `stty rows R cols C` or `resize` in it.

pub mod consoles;
mod pump;
pub mod session;
mod stream;

use std::ffi::CString;
use std::os::raw::c_uint;

use gettextrs::gettext;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::sys;

pub use consoles::{text_consoles, TextConsole, TextConsoleKind};
pub use session::{EndReason, SerialEnd, SerialOutput, SerialSession};

use super::error::{BackendError, ErrorKind};
use super::summary;
use super::xml::parse_tree;
use crate::i18n::gettext_f;

/// What the UI asks about text consoles ([`crate::backend::Command::Serial`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialCommand {
    /// Open a text console of a running machine: `device` is a [`TextConsole::device`]
    /// ("serial0", "console1"), `None` for the first one that can be opened. `request`
    /// is echoed in the answer so the UI can match it. `force` takes the console over
    /// from another client. Answered with [`SerialEvent::Opened`].
    Open {
        uuid: String,
        device: Option<String>,
        request: u64,
        force: bool,
    },
}

/// What the worker answers ([`crate::backend::Event::Serial`]).
#[derive(Debug, Clone, PartialEq)]
pub enum SerialEvent {
    /// The answer to [`SerialCommand::Open`]. Errors: `InvalidState` (not running),
    /// `NotFound` (no such machine or console), `Unsupported` (not a pty console, or a
    /// driver without consoles), `Busy` (another client holds it: offer "Take over",
    /// i.e. `force: true`), `Disconnected`.
    Opened {
        uuid: String,
        request: u64,
        result: Result<SerialSession, BackendError>,
    },
}

fn virt_err(e: &virt::error::Error) -> BackendError {
    BackendError::from_virt(e)
}

/// Open a text console of the machine `uuid` on `conn` (see [`SerialCommand::Open`]).
pub fn open(
    conn: &Connect,
    uuid: &str,
    device: Option<&str>,
    force: bool,
) -> Result<SerialSession, BackendError> {
    let dom = summary::lookup(conn, uuid)?;
    let name = dom.name().map_err(|e| virt_err(&e))?;
    if !dom.is_active().map_err(|e| virt_err(&e))? {
        return Err(BackendError {
            kind: ErrorKind::InvalidState,
            message: gettext_f(
                "“{name}” is not running, so its console cannot be opened.",
                &[("name", &name)],
            ),
            hint: gettext("Start the machine, then open the console."),
        });
    }
    let xml = dom.xml_desc(0).map_err(|e| virt_err(&e))?;
    let list = consoles::consoles_in(&parse_tree(&xml)?);
    let console = match device {
        Some(d) => list.into_iter().find(|c| c.device == d),
        None => {
            let first = list.iter().position(TextConsole::can_open).unwrap_or(0);
            list.into_iter().nth(first)
        }
    };
    let Some(console) = console else {
        return Err(no_console(&name, device));
    };
    if let Some(why) = &console.unavailable {
        return Err(BackendError {
            kind: ErrorKind::Unsupported,
            message: format!("{}: {why}", console.label),
            hint: gettext("Choose another console, or change this one to a pseudo-terminal (pty) while the machine is shut off."),
        });
    }
    let stream = open_stream(conn, &dom, &name, &console, force)?;
    let shared = stream::start(stream).map_err(|e| virt_err(&e))?;
    Ok(SerialSession::new(shared, uuid.to_owned(), name, console))
}

fn no_console(name: &str, device: Option<&str>) -> BackendError {
    match device {
        Some(d) => BackendError {
            kind: ErrorKind::NotFound,
            message: gettext_f(
                "“{name}” has no console “{device}”.",
                &[("name", name), ("device", d)],
            ),
            hint: gettext("Its devices changed; choose one of its consoles again."),
        },
        None => BackendError {
            kind: ErrorKind::NotFound,
            message: gettext_f(
                "“{name}” has no serial port or text console.",
                &[("name", name)],
            ),
            hint: gettext("Add a serial port (pty) to the machine while it is shut off."),
        },
    }
}

/// `virStreamNew` (non-blocking) + `virDomainOpenConsole`, with libvirt's refusals
/// turned into errors a person can act on.
fn open_stream(
    conn: &Connect,
    dom: &Domain,
    name: &str,
    console: &TextConsole,
    force: bool,
) -> Result<stream::StreamRef, BackendError> {
    let dev = CString::new(console.device.as_str()).map_err(|_| no_console(name, None))?;
    // SAFETY: the connection pointer is valid while `conn` lives; a new stream comes
    // back with one reference, which `StreamRef` owns.
    let ptr = unsafe { sys::virStreamNew(conn.as_ptr(), sys::VIR_STREAM_NONBLOCK as c_uint) };
    if ptr.is_null() {
        return Err(virt_err(&virt::error::Error::last_error()));
    }
    let stream = stream::StreamRef::new(ptr);
    let flags = if force {
        sys::VIR_DOMAIN_CONSOLE_FORCE
    } else {
        0
    };
    // SAFETY: valid domain and stream pointers, a NUL-terminated device name that lives
    // across the call.
    let rc = unsafe { sys::virDomainOpenConsole(dom.as_ptr(), dev.as_ptr(), stream.ptr(), flags) };
    if rc < 0 {
        let e = virt::error::Error::last_error();
        return Err(console_error(&e, name, console));
    }
    Ok(stream)
}

/// libvirt's refusal of `virDomainOpenConsole`, for a person.
fn console_error(e: &virt::error::Error, name: &str, console: &TextConsole) -> BackendError {
    let args = [("name", name), ("console", console.label.as_str())];
    match e.code().unwrap_or(ErrorNumber::InternalError) {
        // qemu, lxc, ch: "Active console session exists for this domain".
        ErrorNumber::OperationFailed => BackendError {
            kind: ErrorKind::Busy,
            message: gettext_f(
                "Another program is using the console “{console}” of “{name}”.",
                &args,
            ),
            hint: gettext(
                "Take it over to disconnect that program (for example virsh console), or close it there.",
            ),
        },
        ErrorNumber::NoSupport => BackendError {
            kind: ErrorKind::Unsupported,
            message: gettext_f(
                "This connection cannot open text consoles ({detail}).",
                &[("detail", e.message())],
            ),
            hint: gettext("Use a connection to a QEMU/KVM host, or open the graphical console."),
        },
        _ => virt_err(e),
    }
}
