//! The worker's handling of [`PortForwardCommand`]s: run the [`portfwd`](super::portfwd)
//! operation on the worker's connection, answer with a [`PortForwardEvent`], and after a
//! change send the network's fresh state.

use gettextrs::gettext;

use super::error::BackendError;
use super::link::Link;
use super::portfwd::ops::{self, is_local_uri};
use super::portfwd::{PortForwardCommand, PortForwardEvent};
use super::worker::{lost_reason, Event, Worker};

impl Worker {
    /// Handle one port-forwarding command; `Some(reason)` when the connection was lost.
    pub(super) fn port_forward(&mut self, link: &Link, cmd: PortForwardCommand) -> Option<String> {
        let conn = &link.conn;
        let local = is_local_uri(&self.uri);
        let (done, network) = match cmd {
            PortForwardCommand::Get { network } => {
                return self.port_forward_state(link, &network, local);
            }
            PortForwardCommand::Add { network, rule } => {
                (ops::add_rule(conn, &network, &rule, local), Some(network))
            }
            PortForwardCommand::Remove { network, rule } => (
                ops::remove_rule(conn, &network, &rule, local),
                Some(network),
            ),
            PortForwardCommand::InstallHook => (ops::install(conn, local), None),
        };
        let (message, result) = done;
        let lost = lost_reason(result.as_ref().err());
        self.emit(Event::PortForward(PortForwardEvent::Done {
            message,
            result,
        }));
        match (lost, network) {
            (Some(reason), _) => Some(reason),
            (None, Some(n)) => self.port_forward_state(link, &n, local),
            (None, None) => None,
        }
    }

    fn port_forward_state(&mut self, link: &Link, network: &str, local: bool) -> Option<String> {
        let r = ops::port_forwards(&link.conn, network, local);
        let lost = lost_reason(r.as_ref().err());
        self.emit(Event::PortForward(PortForwardEvent::State(r)));
        lost
    }

    /// Answer a port-forwarding command at once while disconnected.
    pub(super) fn port_forward_disconnected(&mut self, cmd: PortForwardCommand) {
        let e = |what: String| BackendError::disconnected(&what);
        let event = match cmd {
            PortForwardCommand::Get { .. } => {
                PortForwardEvent::State(Err(e(gettext("Reading port forwarding"))))
            }
            PortForwardCommand::Add { .. } | PortForwardCommand::Remove { .. } => {
                PortForwardEvent::Done {
                    message: gettext("The port-forwarding rules were not changed."),
                    result: Err(e(gettext("Port forwarding"))),
                }
            }
            PortForwardCommand::InstallHook => PortForwardEvent::Done {
                message: gettext("Could not install the port-forwarding hook."),
                result: Err(e(gettext("Port forwarding"))),
            },
        };
        self.emit(Event::PortForward(event));
    }
}
