//! Typed backend errors: what failed (libvirt's own text) and what the user can do about it.
//!
//! Owns the mapping from `virt::error::Error` (code + domain + message) to an [`ErrorKind`].
//! The same libvirt code can mean different things while opening a connection and later on
//! (`VIR_ERR_NO_CONNECT` is "no daemon" at open and "connection lost" afterwards), so the
//! mapping takes the [`Phase`] of the failed call.

use std::fmt;

use gettextrs::gettext;
use virt::error::{Error as VirtError, ErrorDomain, ErrorNumber};

/// What kind of failure it was; the UI picks its wording and recovery offer from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The connection URI is malformed or names no driver.
    InvalidUri,
    /// No libvirt daemon answers (socket missing, connection refused).
    NoDaemon,
    /// Authentication or authorization (polkit, ACL, file permissions) refused the request.
    PermissionDenied,
    /// The domain (or other object) no longer exists.
    NotFound,
    /// The operation makes no sense in the object's current state.
    InvalidState,
    /// The connection dropped while the request was in flight, or is down right now.
    Disconnected,
    /// The driver or hypervisor does not support the request.
    Unsupported,
    /// Another client holds the resource (a text console opened by `virsh console`);
    /// the request may be repeated to take it over.
    Busy,
    /// A value the user gave is not acceptable (bad name, tag, size, an XML document);
    /// nothing was changed. The message says what (and for XML, where).
    InvalidInput,
    Other,
}

/// When the failing call happened: while opening the connection, or on an open one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Open,
    Call,
}

/// A failure as the user sees it: libvirt's message plus a hint on what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    pub kind: ErrorKind,
    /// What failed, in libvirt's words (or ours when libvirt was not involved).
    pub message: String,
    /// What the user can do (translated).
    pub hint: String,
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.hint.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} ({})", self.message, self.hint)
        }
    }
}

impl std::error::Error for BackendError {}

impl BackendError {
    /// An error of `kind` with `message` and the standard hint for that kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        BackendError {
            kind,
            message: message.into(),
            hint: default_hint(kind),
        }
    }

    /// Map an error from a call on an open connection.
    pub fn from_virt(err: &VirtError) -> Self {
        Self::from_virt_in(err, Phase::Call)
    }

    /// Map an error from `Connect::open`.
    pub fn from_open(err: &VirtError) -> Self {
        Self::from_virt_in(err, Phase::Open)
    }

    pub fn from_virt_in(err: &VirtError, phase: Phase) -> Self {
        let code = err.code().unwrap_or(ErrorNumber::InternalError);
        let domain = err.domain().unwrap_or(ErrorDomain::None);
        Self::new(classify(code, domain, err.message(), phase), err.message())
    }

    /// The request could not be sent because the connection is down.
    pub fn disconnected(what: &str) -> Self {
        Self::new(
            ErrorKind::Disconnected,
            format!("{what}: {}", gettext("not connected to the host")),
        )
    }
}

/// Decide the kind from libvirt's code, the module that raised it and its message.
///
/// Messages are only consulted for codes libvirt uses for many causes (system and
/// internal errors); the checks use the C locale texts libvirt's RPC layer produces.
pub fn classify(code: ErrorNumber, domain: ErrorDomain, message: &str, phase: Phase) -> ErrorKind {
    use ErrorNumber as N;
    let msg = message.to_ascii_lowercase();
    let connect_failure = [
        "failed to connect socket",
        "connection refused",
        "no such file",
    ]
    .iter()
    .any(|m| msg.contains(m));
    let lost = [
        "client socket is closed",
        "end of file while reading",
        "cannot recv data",
        "cannot write data",
        "broken pipe",
        "connection reset",
        "keepalive",
        "is not open",
    ]
    .iter()
    .any(|m| msg.contains(m));
    // The daemon authorizes non-root clients through polkit over the system D-Bus; where
    // either is missing it refuses them with "Unable to get system bus connection: ... No
    // such file or directory", which must not read as a missing daemon.
    let permission = [
        "permission denied",
        "authentication",
        "polkit",
        "system bus",
    ]
    .iter()
    .any(|m| msg.contains(m));

    // "no connection driver available for foo:///" (VIR_ERR_NO_CONNECT or NO_SUPPORT,
    // depending on the version): the scheme names no driver.
    if phase == Phase::Open && msg.contains("no connection driver") {
        return ErrorKind::InvalidUri;
    }
    match code {
        N::NoDomain => ErrorKind::NotFound,
        N::OperationInvalid | N::DomExist => ErrorKind::InvalidState,
        N::AuthFailed | N::AuthCancelled | N::AuthUnavailable | N::AccessDenied => {
            ErrorKind::PermissionDenied
        }
        N::OperationDenied => ErrorKind::PermissionDenied,
        N::NoSupport | N::OperationUnsupported => ErrorKind::Unsupported,
        N::InvalidArg | N::ParseFailed | N::UnknownHost if phase == Phase::Open => {
            ErrorKind::InvalidUri
        }
        N::NoConnect | N::SystemError | N::Rpc | N::InternalError | N::InvalidConn => match phase {
            Phase::Open if permission => ErrorKind::PermissionDenied,
            Phase::Open if connect_failure || code == N::NoConnect => ErrorKind::NoDaemon,
            Phase::Open => ErrorKind::Other,
            Phase::Call if code == N::InvalidConn || lost => ErrorKind::Disconnected,
            Phase::Call if code == N::NoConnect => ErrorKind::Disconnected,
            Phase::Call
                if matches!(domain, ErrorDomain::Rpc | ErrorDomain::Remote)
                    && code == N::SystemError =>
            {
                ErrorKind::Disconnected
            }
            Phase::Call if permission => ErrorKind::PermissionDenied,
            Phase::Call => ErrorKind::Other,
        },
        _ => ErrorKind::Other,
    }
}

/// What the user can do, per kind. Translated.
pub fn default_hint(kind: ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidUri => gettext(
            "Check the connection address, for example qemu:///system or qemu+ssh://user@host/system.",
        ),
        ErrorKind::NoDaemon => gettext(
            "Make sure libvirt is installed and its service is running (systemctl start libvirtd), then try again.",
        ),
        ErrorKind::PermissionDenied => gettext(
            "Your account may not manage this host: join the libvirt group or use a qemu:///session connection.",
        ),
        ErrorKind::NotFound => gettext(
            "The virtual machine was removed, possibly by another program. The list has been updated.",
        ),
        ErrorKind::InvalidState => gettext(
            "The virtual machine's state changed. Wait for it to settle and try again.",
        ),
        ErrorKind::Disconnected => gettext(
            "The connection to the host was lost. It reconnects automatically; try again once it is back.",
        ),
        ErrorKind::Unsupported => {
            gettext("This host or hypervisor does not support this operation.")
        }
        ErrorKind::InvalidInput => gettext("Correct the value and try again."),
        ErrorKind::Busy => gettext(
            "Another program is using it. Close it there, or take it over from here.",
        ),
        ErrorKind::Other => gettext("See the details in the log and try again."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorDomain as D;
    use ErrorNumber as N;

    #[test]
    fn domain_errors() {
        let k = |c| classify(c, D::Dom, "x", Phase::Call);
        assert_eq!(k(N::NoDomain), ErrorKind::NotFound);
        assert_eq!(k(N::OperationInvalid), ErrorKind::InvalidState);
        assert_eq!(k(N::NoSupport), ErrorKind::Unsupported);
        assert_eq!(k(N::OperationUnsupported), ErrorKind::Unsupported);
        assert_eq!(k(N::XmlError), ErrorKind::Other);
    }

    #[test]
    fn open_errors() {
        let open = |c, d, m| classify(c, d, m, Phase::Open);
        assert_eq!(
            open(
                N::SystemError,
                D::Rpc,
                "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"
            ),
            ErrorKind::NoDaemon
        );
        assert_eq!(
            open(
                N::SystemError,
                D::Rpc,
                "Failed to connect socket to '/run/x': Connection refused"
            ),
            ErrorKind::NoDaemon
        );
        assert_eq!(
            open(N::NoConnect, D::Remote, "unable to connect"),
            ErrorKind::NoDaemon
        );
        assert_eq!(
            open(
                N::SystemError,
                D::Rpc,
                "Failed to connect socket to '/run/libvirt/libvirt-sock': Permission denied"
            ),
            ErrorKind::PermissionDenied
        );
        // Live: a non-root user on a host without a system D-Bus (so no polkit).
        assert_eq!(
            open(
                N::InternalError,
                D::Rpc,
                "internal error: Unable to get system bus connection: Could not connect: No such file or directory"
            ),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            open(N::AuthFailed, D::Rpc, "authentication failed: polkit"),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            open(N::AccessDenied, D::Access, "access denied"),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            open(
                N::InvalidArg,
                D::Test,
                "testOpen: supply a path or use test:///default"
            ),
            ErrorKind::InvalidUri
        );
        assert_eq!(
            open(
                N::NoSupport,
                D::None,
                "no connection driver available for bogus:///"
            ),
            ErrorKind::InvalidUri
        );
        assert_eq!(
            open(N::ParseFailed, D::Uri, "Unable to parse URI"),
            ErrorKind::InvalidUri
        );
    }

    #[test]
    fn lost_connection_mid_call() {
        let call = |c, d, m| classify(c, d, m, Phase::Call);
        assert_eq!(
            call(N::InternalError, D::Rpc, "client socket is closed"),
            ErrorKind::Disconnected
        );
        assert_eq!(
            call(N::InvalidConn, D::None, "invalid connection pointer"),
            ErrorKind::Disconnected
        );
        assert_eq!(
            call(
                N::SystemError,
                D::Rpc,
                "Cannot recv data: Connection reset by peer"
            ),
            ErrorKind::Disconnected
        );
        assert_eq!(
            call(N::NoConnect, D::Remote, "no connection"),
            ErrorKind::Disconnected
        );
        // Internal errors from a driver are not a lost link.
        assert_eq!(
            call(N::InternalError, D::Test, "domain 'x' not paused"),
            ErrorKind::Other
        );
    }

    #[test]
    fn display_and_hint() {
        let e = BackendError::new(ErrorKind::NotFound, "no domain with matching uuid");
        assert!(!e.hint.is_empty());
        assert!(e.to_string().starts_with("no domain with matching uuid ("));
        let d = BackendError::disconnected("Start");
        assert_eq!(d.kind, ErrorKind::Disconnected);
        assert!(d.message.starts_with("Start: "));
    }
}
