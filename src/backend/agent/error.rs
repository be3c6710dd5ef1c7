//! What can go wrong talking to a guest agent ([`AgentError`]), and how each failure
//! reaches the user: [`AgentError::to_backend`] gives a [`BackendError`] with a message
//! naming the operation and a hint on what to do.

use std::fmt;

use gettextrs::gettext;
use kvm_guest_agent::protocol::{ErrorCode, RpcError};

use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

/// Why an agent call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentError {
    /// The machine has no agent channel (or libvirt has not given it a socket yet).
    NoChannel,
    /// Nothing in the guest has our channel open (libvirt says so): kvm-guest-agent is
    /// not installed or not running.
    GuestNotListening,
    /// The channel's socket could not be opened (machine stopped, socket gone).
    Connect(String),
    /// No reply within the call's time limit.
    Timeout,
    /// The channel closed while the call waited, or a write to it failed.
    Disconnected(String),
    /// Too many calls are waiting on this channel already.
    Busy,
    /// The agent answered with an error.
    Remote(RpcError),
    /// The reply was not what the protocol says (a result of the wrong shape).
    Protocol(String),
    /// The caller cancelled the operation.
    Cancelled,
    /// A local file could not be read or written.
    LocalFile(String),
    /// libvirt refused (qemu-guest-agent calls, channel lookups).
    Libvirt(BackendError),
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentError::NoChannel => f.write_str("no agent channel"),
            AgentError::GuestNotListening => f.write_str("no agent listens in the guest"),
            AgentError::Connect(e) => write!(f, "cannot open the agent channel: {e}"),
            AgentError::Timeout => f.write_str("the agent did not answer in time"),
            AgentError::Disconnected(e) => write!(f, "agent channel closed: {e}"),
            AgentError::Busy => f.write_str("too many calls waiting"),
            AgentError::Remote(e) => write!(f, "agent error: {e}"),
            AgentError::Protocol(e) => write!(f, "bad reply: {e}"),
            AgentError::Cancelled => f.write_str("cancelled"),
            AgentError::LocalFile(e) => f.write_str(e),
            AgentError::Libvirt(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AgentError {}

impl AgentError {
    /// The protocol's error code, when the agent sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            AgentError::Remote(e) => e.kind(),
            _ => None,
        }
    }

    /// The error for the user: `what` names the operation ("Running the command").
    pub fn to_backend(&self, what: &str) -> BackendError {
        let with = |kind: ErrorKind, message: String, hint: String| BackendError {
            kind,
            message,
            hint,
        };
        let detail = |d: &str| gettext_f("{what}: {detail}", &[("what", what), ("detail", d)]);
        match self {
            AgentError::NoChannel => with(
                ErrorKind::Unsupported,
                detail(&gettext("the machine has no guest agent channel")),
                gettext("Add the agent channel to the machine, then install kvm-guest-agent in the guest."),
            ),
            AgentError::GuestNotListening => with(
                ErrorKind::InvalidState,
                detail(&gettext("kvm-guest-agent is not running in the guest")),
                gettext("Install kvm-guest-agent in the guest and start it (systemctl start kvm-guest-agent)."),
            ),
            AgentError::Connect(e) => with(
                ErrorKind::InvalidState,
                detail(&gettext_f("the agent channel cannot be opened ({error})", &[("error", e)])),
                gettext("Make sure the machine is running, then try again."),
            ),
            AgentError::Timeout => with(
                ErrorKind::Other,
                detail(&gettext("the guest agent did not answer in time")),
                gettext("Check that kvm-guest-agent runs in the guest and the guest is not overloaded."),
            ),
            AgentError::Disconnected(e) => with(
                ErrorKind::Other,
                detail(&gettext_f("the connection to the guest agent was lost ({error})", &[("error", e)])),
                gettext("The guest agent may have stopped or the machine restarted. Try again."),
            ),
            AgentError::Busy => with(
                ErrorKind::Busy,
                detail(&gettext("too many requests are waiting for this guest")),
                gettext("Wait for the running requests to finish and try again."),
            ),
            AgentError::Remote(e) => remote(what, e),
            AgentError::Protocol(e) => with(
                ErrorKind::Other,
                detail(&gettext_f("the guest agent's answer could not be read ({error})", &[("error", e)])),
                gettext("The guest's agent may be of another version: update kvm-guest-agent in the guest."),
            ),
            AgentError::Cancelled => with(
                ErrorKind::Other,
                detail(&gettext("cancelled")),
                String::new(),
            ),
            AgentError::LocalFile(e) => BackendError::new(ErrorKind::InvalidInput, detail(e)),
            AgentError::Libvirt(e) => BackendError {
                message: detail(&e.message),
                ..e.clone()
            },
        }
    }
}

/// An error the agent sent, as the user should read it.
fn remote(what: &str, e: &RpcError) -> BackendError {
    let detail = |d: &str| gettext_f("{what}: {detail}", &[("what", what), ("detail", d)]);
    // The agent's own words, in English: kept for the log-level detail.
    let theirs = &e.message;
    let config =
        gettext("The guest's administrator can allow it in /etc/kvm-guest-agent/config.json.");
    let (kind, message, hint) = match e.kind() {
        Some(ErrorCode::MethodDisabled) => (
            ErrorKind::PermissionDenied,
            detail(&gettext("this is disabled in this guest")),
            config,
        ),
        Some(ErrorCode::PermissionDenied) => (
            ErrorKind::PermissionDenied,
            detail(&gettext_f(
                "the guest does not allow it ({reason})",
                &[("reason", theirs)],
            )),
            config,
        ),
        Some(ErrorCode::NotFound) => (
            ErrorKind::InvalidInput,
            detail(&gettext_f(
                "not found in the guest ({reason})",
                &[("reason", theirs)],
            )),
            gettext("Check the path or program name."),
        ),
        Some(ErrorCode::AlreadyExists) => (
            ErrorKind::InvalidInput,
            detail(&gettext_f(
                "the file exists in the guest ({reason})",
                &[("reason", theirs)],
            )),
            gettext("Choose another name, or allow replacing the file."),
        ),
        Some(ErrorCode::TooLarge) => (
            ErrorKind::InvalidInput,
            detail(&gettext_f(
                "over the guest's size limit ({reason})",
                &[("reason", theirs)],
            )),
            gettext(
                "Use a smaller file or output, or raise the limit in the guest's configuration.",
            ),
        ),
        Some(ErrorCode::Timeout) => (
            ErrorKind::Other,
            detail(&gettext("it ran out of time in the guest")),
            gettext("Give it a longer time limit."),
        ),
        Some(ErrorCode::ExecFailed) => (
            ErrorKind::InvalidInput,
            detail(&gettext_f(
                "the program could not be started ({reason})",
                &[("reason", theirs)],
            )),
            gettext("Check the program's path in the guest."),
        ),
        Some(ErrorCode::ChecksumMismatch) => (
            ErrorKind::Other,
            detail(&gettext("the file arrived damaged; nothing was kept")),
            gettext("Try again."),
        ),
        Some(ErrorCode::Busy) => (
            ErrorKind::Busy,
            detail(&gettext("the guest agent is busy")),
            gettext("Wait for the running requests to finish and try again."),
        ),
        Some(ErrorCode::MethodNotFound) => (
            ErrorKind::Unsupported,
            detail(&gettext("the guest's agent does not know this request")),
            gettext("Update kvm-guest-agent in the guest."),
        ),
        _ => (
            ErrorKind::Other,
            detail(&gettext_f(
                "the guest agent reported an error ({reason})",
                &[("reason", theirs)],
            )),
            gettext("See the guest agent's log in the guest."),
        ),
    };
    BackendError {
        kind,
        message,
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_exec_says_so_with_a_hint() {
        let e = AgentError::Remote(RpcError::new(ErrorCode::MethodDisabled, "exec_command"));
        let b = e.to_backend("Running the command");
        assert_eq!(b.kind, ErrorKind::PermissionDenied);
        assert!(b.message.starts_with("Running the command: "));
        assert!(b.message.contains("disabled"), "{}", b.message);
        assert!(b.hint.contains("config.json"));
        assert_eq!(e.code(), Some(ErrorCode::MethodDisabled));
    }

    #[test]
    fn every_kind_has_a_message() {
        let all = [
            AgentError::NoChannel,
            AgentError::GuestNotListening,
            AgentError::Connect("x".into()),
            AgentError::Timeout,
            AgentError::Disconnected("eof".into()),
            AgentError::Busy,
            AgentError::Protocol("x".into()),
            AgentError::Cancelled,
            AgentError::LocalFile("x".into()),
            AgentError::Remote(RpcError {
                code: -1,
                message: "?".into(),
                data: None,
            }),
        ];
        for e in all {
            let b = e.to_backend("X");
            assert!(b.message.len() > 3, "{e}");
            assert!(!e.to_string().is_empty());
        }
    }
}
