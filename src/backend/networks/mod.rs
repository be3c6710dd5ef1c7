//! Virtual networks: list, create (validated), start, stop, autostart, delete, DHCP
//! ranges and static hosts on a running network (net-update, live and persistent), and
//! DHCP leases.
//!
//! Inside: [`info`] (network XML → [`NetworkInfo`], the list with the VMs on each
//! network), [`subnet`] (CIDR arithmetic), [`spec`] (the typed network model, written with
//! an XML writer), [`validate`] (every rule a new network, DHCP range or static host must
//! pass, each refusal naming the clash), [`host`] (the host's interface addresses and
//! bridges), [`ops`] (create with rollback, actions, delete), [`dhcp`] (virNetworkUpdate)
//! and [`leases`] (virNetworkGetDHCPLeases). The worker serves [`NetworkCommand`]s in
//! `worker_networks.rs`.
//!
//! Port forwarding lives elsewhere (`backend::portfwd`) and keeps its rules in the
//! network's `<metadata>`: nothing here rewrites a network's whole XML, so it survives.

use std::net::IpAddr;

use gettextrs::gettext;

use super::error::BackendError;

pub mod dhcp;
pub mod host;
pub mod info;
pub mod leases;
pub mod ops;
pub mod spec;
pub mod subnet;
pub mod syntax;
pub mod validate;

pub use host::{host_addresses, host_bridges};
pub use info::list_networks;
pub use validate::validate;

/// How a network reaches the outside world (`<forward mode=…>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetMode {
    /// NAT to the host's default route (libvirt's `default`).
    Nat,
    /// Routed without NAT.
    Route,
    /// No forwarding: guests reach each other and the host only.
    Isolated,
    /// Forwarding without any firewall rules from libvirt.
    Open,
    /// An existing host bridge (`<forward mode='bridge'>`).
    Bridge,
    /// Any other mode libvirt knows (`passthrough`, `private`, `vepa`, `hostdev`...).
    Other(String),
}

impl NetMode {
    /// The mode as the UI shows it. Translated.
    pub fn label(&self) -> String {
        match self {
            NetMode::Nat => gettext("NAT"),
            NetMode::Route => gettext("Routed"),
            NetMode::Isolated => gettext("Isolated"),
            NetMode::Open => gettext("Open"),
            NetMode::Bridge => gettext("Host bridge"),
            NetMode::Other(m) => m.clone(),
        }
    }

    /// libvirt's `forward mode` value; `None` for an isolated network (no `<forward>`).
    pub fn forward_mode(&self) -> Option<&str> {
        match self {
            NetMode::Nat => Some("nat"),
            NetMode::Route => Some("route"),
            NetMode::Isolated => None,
            NetMode::Open => Some("open"),
            NetMode::Bridge => Some("bridge"),
            NetMode::Other(m) => Some(m),
        }
    }

    /// From a `<forward mode=…>` value (`None`: no `<forward>` element).
    pub fn from_forward(mode: Option<&str>) -> NetMode {
        match mode {
            None => NetMode::Isolated,
            // libvirt's default mode when <forward> has none.
            Some("nat") | Some("") => NetMode::Nat,
            Some("route") => NetMode::Route,
            Some("open") => NetMode::Open,
            Some("bridge") => NetMode::Bridge,
            Some(other) => NetMode::Other(other.to_owned()),
        }
    }
}

/// A static DHCP host entry (IPv4: libvirt matches IPv6 hosts by DUID, not by MAC).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DhcpHost {
    /// As libvirt stores it (lower case, colon-separated).
    pub mac: String,
    pub ip: IpAddr,
    pub name: Option<String>,
}

/// One `<ip>` element of a network.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpConfig {
    /// The host's address on the network (the guests' gateway).
    pub address: IpAddr,
    pub prefix: u8,
    pub dhcp_ranges: Vec<(IpAddr, IpAddr)>,
    pub hosts: Vec<DhcpHost>,
}

impl IpConfig {
    /// The subnet the address is in ("192.168.122.0/24").
    pub fn subnet(&self) -> subnet::Subnet {
        subnet::Subnet::containing(self.address, self.prefix)
    }
}

/// One virtual network as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkInfo {
    pub name: String,
    pub uuid: String,
    pub mode: NetMode,
    /// The bridge device (libvirt's own `virbrN`, or the host bridge in Bridge mode).
    pub bridge: Option<String>,
    /// `<forward dev=…>`: the host interface traffic leaves through, when pinned.
    pub forward_dev: Option<String>,
    /// The first IPv4 and IPv6 `<ip>` elements.
    pub ipv4: Option<IpConfig>,
    pub ipv6: Option<IpConfig>,
    pub domain: Option<String>,
    pub active: bool,
    pub autostart: bool,
    pub persistent: bool,
    /// Names of domains with an interface on it (`type='network'` naming it, or
    /// `type='bridge'` on its bridge), sorted.
    pub vms: Vec<String>,
}

/// A subnet as the user typed it in the creation form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SubnetSpec {
    /// "192.168.100.0/24" or "fd00:1::/64".
    pub cidr: String,
    /// DHCP range (start, end) as typed; `None`: DHCP off.
    pub dhcp: Option<(String, String)>,
}

/// What the creation form asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkSpec {
    pub name: String,
    pub mode: NetMode,
    /// The existing host bridge (Bridge mode only).
    pub host_bridge: Option<String>,
    /// The host interface to forward through (optional; NAT and Routed only).
    pub forward_dev: Option<String>,
    pub ipv4: Option<SubnetSpec>,
    pub ipv6: Option<SubnetSpec>,
    /// DNS domain of the guests ("lan"); answered locally, never forwarded upstream.
    pub domain: Option<String>,
    pub autostart: bool,
    /// Start it once defined.
    pub start: bool,
}

/// One DHCP lease handed out by the network's dnsmasq.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lease {
    pub mac: String,
    pub ip: String,
    pub prefix: u32,
    pub hostname: Option<String>,
    /// Unix seconds; `None` for a lease that never expires.
    pub expiry: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetAction {
    Start,
    Stop,
    Autostart(bool),
}

/// Facts about the host the creation form offers and checks against.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HostNetFacts {
    /// Host bridge devices not owned by a libvirt network (for Bridge mode); empty when
    /// the host cannot tell.
    pub bridges: Vec<String>,
    /// Interface addresses (name, address, prefix); empty for a remote host.
    pub addresses: Vec<(String, IpAddr, u8)>,
}

/// What the UI asks of the networks backend (`Command::Network`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetworkCommand {
    /// Answered with [`NetworkEvent::List`].
    List,
    /// Validate, define, then start / autostart as asked (undefined again if starting
    /// fails). [`NetworkEvent::Done`], then a fresh list.
    Create(Box<NetworkSpec>),
    Action {
        name: String,
        action: NetAction,
    },
    /// Stop it if active, then undefine it.
    Delete {
        name: String,
    },
    /// Add a static IPv4 host (live if active, and persistent).
    AddDhcpHost {
        name: String,
        host: DhcpHost,
    },
    RemoveDhcpHost {
        name: String,
        mac: String,
    },
    /// Replace the IPv4 DHCP range (or add one where DHCP was off).
    SetDhcpRange {
        name: String,
        start: String,
        end: String,
    },
    /// Answered with [`NetworkEvent::Leases`].
    Leases {
        name: String,
    },
    /// Answered with [`NetworkEvent::HostFacts`].
    HostFacts,
}

/// What the networks backend tells the UI (`Event::Network`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkEvent {
    List(Result<Vec<NetworkInfo>, BackendError>),
    /// A change finished: `message` is the toast text; a fresh `List` follows.
    Done {
        message: String,
        result: Result<(), BackendError>,
    },
    Leases {
        name: String,
        result: Result<Vec<Lease>, BackendError>,
    },
    HostFacts(Result<HostNetFacts, BackendError>),
}

/// A libvirt error from a network call; "no such network" becomes `NotFound` with a hint
/// about networks (the default one speaks of machines).
pub(crate) fn net_err(e: &virt::error::Error) -> BackendError {
    let mut b = BackendError::from_virt(e);
    if e.code().is(virt::error::ErrorNumber::NoNetwork) {
        b.kind = super::error::ErrorKind::NotFound;
        b.hint = gettext(
            "The network was removed, possibly by another program. The list has been updated.",
        );
    }
    b
}
