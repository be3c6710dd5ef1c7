//! Lifecycle actions (start, shutdown, reboot, pause, resume, force off, managed save) on a
//! domain looked up by UUID, refused up front when the domain's state does not allow them.

use gettextrs::gettext;
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

/// The state as a phrase for messages ("shut off", "paused"...). Translated.
pub fn state_phrase(state: VmState) -> String {
    match state {
        VmState::Running => gettext("running"),
        VmState::Paused => gettext("paused"),
        VmState::Saved => gettext("saved"),
        VmState::ShutOff => gettext("shut off"),
        VmState::Crashed => gettext("crashed"),
        VmState::PmSuspended => gettext("suspended by the guest"),
        VmState::ShuttingDown => gettext("shutting down"),
        VmState::Blocked => gettext("blocked"),
        VmState::Unknown => gettext("in an unknown state"),
    }
}

/// The action as a verb for messages. Translated.
pub fn action_verb(action: VmAction) -> String {
    match action {
        VmAction::Start => gettext("started"),
        VmAction::Shutdown => gettext("shut down"),
        VmAction::Reboot => gettext("rebooted"),
        VmAction::Pause => gettext("paused"),
        VmAction::Resume => gettext("resumed"),
        VmAction::ForceOff => gettext("forced off"),
        VmAction::Save => gettext("saved"),
    }
}

/// The error for an action the state does not allow; the message names the state.
pub fn refused(name: &str, state: VmState, action: VmAction) -> BackendError {
    let message = gettext("“{name}” cannot be {action} while it is {state}")
        .replace("{name}", name)
        .replace("{action}", &action_verb(action))
        .replace("{state}", &state_phrase(state));
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
        assert!(e.message.contains("web"), "{}", e.message);
        assert!(e.message.contains("shut off"), "{}", e.message);
        assert!(e.message.contains("paused"), "{}", e.message);
    }
}
