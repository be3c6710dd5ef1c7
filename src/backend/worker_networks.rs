//! The worker's handling of [`NetworkCommand`]s: run the backend call on the worker's
//! connection, answer with a [`NetworkEvent`], and after every change send the fresh list.

use gettextrs::gettext;
use virt::connect::Connect;

use super::error::BackendError;
use super::link::Link;
use super::networks::{
    dhcp, host, leases, list_networks, ops, NetAction, NetworkCommand, NetworkEvent,
};
use super::worker::{lost_reason, Event, Worker};
use crate::i18n::gettext_f;

impl Worker {
    /// Handle one networks command; `Some(reason)` when the connection turned out to be
    /// lost.
    pub(super) fn network(&mut self, link: &Link, cmd: NetworkCommand) -> Option<String> {
        let conn = &link.conn;
        match cmd {
            NetworkCommand::List => self.network_list(conn),
            NetworkCommand::Leases { name } => {
                let result = leases::leases(conn, &name);
                let lost = lost_reason(result.as_ref().err());
                self.emit(Event::Network(NetworkEvent::Leases { name, result }));
                lost
            }
            NetworkCommand::HostFacts => {
                let r = list_networks(conn).map(|nets| host::host_facts(conn, &nets));
                let lost = lost_reason(r.as_ref().err());
                self.emit(Event::Network(NetworkEvent::HostFacts(r)));
                lost
            }
            change => {
                let (message, result) = run_change(conn, change);
                if let Err(e) = &result {
                    log::warn!("{}: {message}: {e}", self.uri);
                }
                let lost = lost_reason(result.as_ref().err());
                self.emit(Event::Network(NetworkEvent::Done { message, result }));
                lost.or_else(|| self.network_list(conn))
            }
        }
    }

    fn network_list(&mut self, conn: &Connect) -> Option<String> {
        let r = list_networks(conn);
        let lost = lost_reason(r.as_ref().err());
        self.emit(Event::Network(NetworkEvent::List(r)));
        lost
    }

    /// Answer a networks command at once while disconnected.
    pub(super) fn network_disconnected(&mut self, cmd: NetworkCommand) {
        let e = |what: String| BackendError::disconnected(&what);
        let event = match cmd {
            NetworkCommand::List => NetworkEvent::List(Err(e(gettext("Listing networks")))),
            NetworkCommand::Leases { name } => NetworkEvent::Leases {
                result: Err(e(gettext("Reading DHCP leases"))),
                name,
            },
            NetworkCommand::HostFacts => {
                NetworkEvent::HostFacts(Err(e(gettext("Reading host interfaces"))))
            }
            change => {
                let (message, _) = describe(&change);
                NetworkEvent::Done {
                    result: Err(e(message.clone())),
                    message,
                }
            }
        };
        self.emit(Event::Network(event));
    }
}

/// Run a change; (toast text, result).
fn run_change(conn: &Connect, cmd: NetworkCommand) -> (String, Result<(), BackendError>) {
    let (failed, succeeded) = describe(&cmd);
    let result = match &cmd {
        NetworkCommand::Create(spec) => ops::create(conn, spec).map(drop),
        NetworkCommand::Action { name, action } => ops::action(conn, name, *action),
        NetworkCommand::Delete { name } => ops::delete(conn, name),
        NetworkCommand::AddDhcpHost { name, host } => dhcp::add_host(conn, name, host).map(drop),
        NetworkCommand::RemoveDhcpHost { name, mac } => {
            dhcp::remove_host(conn, name, mac).map(drop)
        }
        NetworkCommand::SetDhcpRange { name, start, end } => {
            dhcp::set_range(conn, name, start, end).map(drop)
        }
        NetworkCommand::List | NetworkCommand::Leases { .. } | NetworkCommand::HostFacts => Ok(()),
    };
    match result {
        Ok(()) => (succeeded, Ok(())),
        Err(e) => (failed, Err(e)),
    }
}

/// (message on failure, message on success) for a change. Translated.
fn describe(cmd: &NetworkCommand) -> (String, String) {
    let f = |msg: &str, name: &str| gettext_f(msg, &[("name", name)]);
    match cmd {
        NetworkCommand::Create(spec) => (
            f("Could not create the network “{name}”", &spec.name),
            f("Network “{name}” created", &spec.name),
        ),
        NetworkCommand::Action { name, action } => match action {
            NetAction::Start => (
                f("Could not start the network “{name}”", name),
                f("Network “{name}” started", name),
            ),
            NetAction::Stop => (
                f("Could not stop the network “{name}”", name),
                f("Network “{name}” stopped", name),
            ),
            NetAction::Autostart(true) => (
                f("Could not turn on autostart for “{name}”", name),
                f("Network “{name}” starts with the host", name),
            ),
            NetAction::Autostart(false) => (
                f("Could not turn off autostart for “{name}”", name),
                f("Network “{name}” no longer starts with the host", name),
            ),
        },
        NetworkCommand::Delete { name } => (
            f("Could not delete the network “{name}”", name),
            f("Network “{name}” deleted", name),
        ),
        NetworkCommand::AddDhcpHost { name, host } => {
            let args = [
                ("name", name.as_str()),
                ("mac", host.mac.as_str()),
                ("ip", &host.ip.to_string()),
            ];
            (
                gettext_f("Could not reserve {ip} for {mac} on “{name}”", &args),
                gettext_f("{ip} reserved for {mac} on “{name}”", &args),
            )
        }
        NetworkCommand::RemoveDhcpHost { name, mac } => {
            let args = [("name", name.as_str()), ("mac", mac.as_str())];
            (
                gettext_f(
                    "Could not remove the static host {mac} from “{name}”",
                    &args,
                ),
                gettext_f("Static host {mac} removed from “{name}”", &args),
            )
        }
        NetworkCommand::SetDhcpRange { name, start, end } => {
            let args = [
                ("name", name.as_str()),
                ("start", start.trim()),
                ("end", end.trim()),
            ];
            (
                gettext_f("Could not change the DHCP range of “{name}”", &args),
                gettext_f("DHCP range of “{name}” is now {start}–{end}", &args),
            )
        }
        NetworkCommand::List | NetworkCommand::Leases { .. } | NetworkCommand::HostFacts => {
            (String::new(), String::new())
        }
    }
}
