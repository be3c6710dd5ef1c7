//! Port forwarding on NAT networks: host port (and optional host address) → guest IP and
//! port, TCP or UDP. libvirt has no such feature, so:
//!
//! - the rules live in the network's persistent XML, under our namespace in
//!   `<metadata>` ([`rules`]), so they travel with the network;
//! - a libvirt network hook ([`hook`], the `kvmm-network-hook` binary) applies them with
//!   iptables ([`iptables`]: pure argv computation) when the network starts, removes them
//!   when it stops, and writes a world-readable status file that tells the app which
//!   rules are active;
//! - the app installs that hook on request ([`install`]: as root, or through `pkexec`)
//!   and runs it once after each change to an active network, as libvirt would;
//! - [`ops`] holds what the worker does (read, add, remove, install) and [`validate`] the
//!   form checks with their messages.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::BackendError;

pub mod hook;
pub mod install;
pub mod iptables;
pub mod ops;
pub mod rules;
pub mod validate;

pub use ops::{add_rule, port_forwards, remove_rule};
pub use validate::parse_rule_input;

/// Namespace of what KVM Manager keeps in a network's `<metadata>`.
pub const NETWORK_NS: &str = "https://github.com/kvmmanager/xmlns/network/1.0";

/// Transport protocol of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    /// "tcp" or "udp", as in the XML and iptables.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }

    pub fn parse(s: &str) -> Option<Proto> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tcp" => Some(Proto::Tcp),
            "udp" => Some(Proto::Udp),
            _ => None,
        }
    }
}

impl std::fmt::Display for Proto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
        })
    }
}

/// One forwarding rule. `host_address: None` means every address of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ForwardRule {
    pub proto: Proto,
    pub host_address: Option<Ipv4Addr>,
    pub host_port: u16,
    pub guest_ip: Ipv4Addr,
    pub guest_port: u16,
}

impl ForwardRule {
    /// Whether both rules would claim the same incoming packets (same protocol and host
    /// port, and host addresses that overlap: equal, or either one "every address").
    pub fn clashes_with(&self, other: &ForwardRule) -> bool {
        self.proto == other.proto
            && self.host_port == other.host_port
            && match (self.host_address, other.host_address) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }

    /// "TCP 8080 → 10.0.0.5:80" or "TCP 192.0.2.2:8080 → 10.0.0.5:80", for messages.
    pub fn describe(&self) -> String {
        let host = match self.host_address {
            Some(a) => format!("{a}:{}", self.host_port),
            None => self.host_port.to_string(),
        };
        format!(
            "{} {host} → {}:{}",
            self.proto, self.guest_ip, self.guest_port
        )
    }
}

/// The port-forwarding hook on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookStatus {
    /// The hook file exists and is executable.
    pub installed: bool,
    /// The installed copy is byte-for-byte the hook this app ships.
    pub current: bool,
    /// Where the hook is (or would be) installed.
    pub path: PathBuf,
    /// The libvirt daemon started before the hook was installed: libvirt only runs hooks
    /// that were present when it started, so it must be restarted for networks starting
    /// and stopping to apply and remove rules. (Changes made in the app apply at once.)
    pub needs_daemon_restart: bool,
    /// The hook binary this app would install (`None`: not found next to the app).
    pub source: Option<PathBuf>,
}

/// A rule and whether it is in force now (the network runs and the hook applied it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleState {
    pub rule: ForwardRule,
    pub active: bool,
}

/// Everything the port-forwarding view of one network shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortForwards {
    pub network: String,
    /// Forward mode NAT: the only mode rules can be added to.
    pub nat: bool,
    pub network_active: bool,
    pub hook: HookStatus,
    pub rules: Vec<RuleState>,
    /// The network's IPv4 subnets as "address/prefix" (where guest IPs must be).
    pub subnets: Vec<String>,
    /// Problems the hook reported when it last applied the rules (iptables' words).
    pub hook_errors: Vec<String>,
}

/// What the UI asks about port forwarding (answered with [`PortForwardEvent`]s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortForwardCommand {
    /// Read rules and hook state: [`PortForwardEvent::State`].
    Get { network: String },
    /// Validate and save a rule, apply it if the network runs: `Done`, then `State`.
    Add { network: String, rule: ForwardRule },
    /// Remove a rule (and its iptables rules if the network runs): `Done`, then `State`.
    Remove { network: String, rule: ForwardRule },
    /// Install (or update) the hook, as root or through pkexec: `Done`.
    InstallHook,
}

/// What the worker answers about port forwarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortForwardEvent {
    State(Result<PortForwards, BackendError>),
    /// A change finished: a sentence for a toast, and whether it worked. After `Add` and
    /// `Remove` a fresh `State` of that network follows.
    Done {
        message: String,
        result: Result<(), BackendError>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(addr: Option<[u8; 4]>, port: u16) -> ForwardRule {
        ForwardRule {
            proto: Proto::Tcp,
            host_address: addr.map(Ipv4Addr::from),
            host_port: port,
            guest_ip: Ipv4Addr::new(10, 0, 0, 5),
            guest_port: 80,
        }
    }

    #[test]
    fn clashes() {
        let any = rule(None, 8080);
        let one = rule(Some([192, 0, 2, 2]), 8080);
        let other = rule(Some([192, 0, 2, 3]), 8080);
        assert!(any.clashes_with(&one) && one.clashes_with(&any));
        assert!(!one.clashes_with(&other));
        assert!(!any.clashes_with(&rule(None, 8081)));
        let udp = ForwardRule {
            proto: Proto::Udp,
            ..any
        };
        assert!(!udp.clashes_with(&any));
        assert_eq!(one.describe(), "TCP 192.0.2.2:8080 → 10.0.0.5:80");
        assert_eq!(any.describe(), "TCP 8080 → 10.0.0.5:80");
    }
}
