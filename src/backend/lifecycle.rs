//! Lifecycle actions (start, shutdown, reboot, pause, resume, force off, managed save) on a
//! domain looked up by UUID, refused up front when the domain's state does not allow them.

use crate::i18n::gettext_f;
use virt::connect::Connect;
use virt::sys;

use super::error::{BackendError, ErrorKind};
use super::summary::{lookup, summary_of};
use super::types::{VmAction, VmState, VmSummary};

/// What the action left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// The domain still exists; its fresh row.
    Changed(VmSummary),
    /// The domain is gone (a transient domain that stopped).
    Removed,
}

/// Why an action is not offered, naming the action, the machine and its state. Translated.
pub fn refused_message(name: &str, state: VmState, action: VmAction) -> String {
    gettext_f(
        "“{action}” is not available for “{name}” (state: {state})",
        &[
            ("action", &action.label()),
            ("name", name),
            ("state", &state.label()),
        ],
    )
}

/// The error for an action the state does not allow; the message names the state.
pub fn refused(name: &str, state: VmState, action: VmAction) -> BackendError {
    let message = refused_message(name, state, action);
    BackendError::new(ErrorKind::InvalidState, message)
}

/// The result of one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The domain's name; empty when it could not be looked up.
    pub name: String,
    pub result: Result<(), BackendError>,
    /// The domain after the action, when it could be read.
    pub after: Option<After>,
}

/// Run `action` on the domain with `uuid`.
pub fn run_action(conn: &Connect, uuid: &str, action: VmAction) -> Outcome {
    let fail = |name: String, e: BackendError| Outcome {
        name,
        result: Err(e),
        after: None,
    };
    let dom = match lookup(conn, uuid) {
        Ok(d) => d,
        Err(e) => return fail(String::new(), e),
    };
    let name = dom.name().unwrap_or_default();
    let before = match summary_of(&dom) {
        Ok(s) => s,
        Err(e) => return fail(name, e),
    };
    if !before.state.valid_actions().contains(&action) {
        let e = refused(&name, before.state, action);
        return fail(name, e);
    }
    let done = match action {
        VmAction::Start => dom.create(),
        VmAction::Shutdown => dom.shutdown(),
        VmAction::Reboot => dom.reboot(sys::VIR_DOMAIN_REBOOT_DEFAULT),
        VmAction::Pause => dom.suspend(),
        VmAction::Resume => dom.resume(),
        VmAction::ForceOff => dom.destroy(),
        VmAction::Save => dom.managed_save(0),
    };
    let result = done.map_err(|e| BackendError::from_virt(&e));
    let after = match summary_of(&dom) {
        Ok(s) => Some(After::Changed(s)),
        Err(e) if e.kind == ErrorKind::NotFound => Some(After::Removed),
        Err(_) => None,
    };
    Outcome {
        name,
        result,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_names_state_and_action() {
        let e = refused("web", VmState::ShutOff, VmAction::Pause);
        assert_eq!(e.kind, ErrorKind::InvalidState);
        assert_eq!(
            e.message,
            "“Pause” is not available for “web” (state: Shut Off)"
        );
    }
}
