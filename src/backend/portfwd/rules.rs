//! The rules in a network's XML, and the facts about the network they are checked against.
//!
//! ```xml
//! <metadata>
//!   <kvmm:port-forwards xmlns:kvmm="https://github.com/kvmmanager/xmlns/network/1.0">
//!     <kvmm:rule proto="tcp" host-address="192.0.2.2" host-port="8080"
//!                guest-ip="10.0.0.5" guest-port="80"/>
//!   </kvmm:port-forwards>
//! </metadata>
//! ```
//!
//! `host-address` is left out for "every address of the host". Read with the project's
//! namespace-aware parser (any prefix), written with [`xml_edit`](crate::backend::xml_edit)
//! (the rest of the document passes through untouched). libvirt 9.0 has no
//! `virNetworkSetMetadata` (9.7), so the whole persistent definition is rewritten.
//! Rules that do not parse (edited by hand) are skipped and counted.

use std::net::Ipv4Addr;

use super::{ForwardRule, Proto, NETWORK_NS};
use crate::backend::error::BackendError;
use crate::backend::xml::{parse_tree, Element};
use crate::backend::xml_edit::{apply, Edit, Node, Path};

/// What port forwarding needs to know about a network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetInfo {
    pub name: String,
    /// `<forward mode>`; empty for an isolated network.
    pub forward_mode: String,
    pub bridge: Option<String>,
    /// IPv4 `<ip>` elements: the host's address on the network and the prefix length.
    pub subnets: Vec<(Ipv4Addr, u8)>,
    pub rules: Vec<ForwardRule>,
    /// Rule elements that could not be read.
    pub skipped: usize,
}

impl NetInfo {
    pub fn nat(&self) -> bool {
        self.forward_mode == "nat"
    }

    /// The subnets as "10.0.0.0/24".
    pub fn subnet_strings(&self) -> Vec<String> {
        self.subnets
            .iter()
            .map(|(a, p)| format!("{}/{p}", network_of(*a, *p)))
            .collect()
    }
}

/// The first address of `addr`'s subnet.
pub fn network_of(addr: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(addr) & mask(prefix))
}

pub fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// Parse a `<network>` document, or the `<hookData>` libvirt hands a network hook.
pub fn network_info(xml: &str) -> Result<NetInfo, BackendError> {
    let root = parse_tree(xml)?;
    let net = match root.name.as_str() {
        "hookData" => root.child("network").unwrap_or(&root),
        _ => &root,
    };
    let mut info = NetInfo {
        name: net.child_text("name"),
        forward_mode: net
            .child("forward")
            .map(|f| f.attr("mode").unwrap_or("nat").to_owned())
            .unwrap_or_default(),
        bridge: net
            .child("bridge")
            .and_then(|b| b.attr("name"))
            .map(str::to_owned),
        ..NetInfo::default()
    };
    for ip in net.children_named("ip") {
        if ip.attr("family").is_some_and(|f| f != "ipv4") {
            continue;
        }
        let Some(addr) = ip.attr("address").and_then(|a| a.parse::<Ipv4Addr>().ok()) else {
            continue;
        };
        let prefix = match (ip.attr("prefix"), ip.attr("netmask")) {
            (Some(p), _) => p.parse::<u8>().ok().filter(|p| *p <= 32),
            (None, Some(m)) => m
                .parse::<Ipv4Addr>()
                .ok()
                .map(|m| u32::from(m).count_ones() as u8),
            // libvirt's default for an address without either: its class.
            (None, None) => Some(24),
        };
        if let Some(p) = prefix {
            info.subnets.push((addr, p));
        }
    }
    if let Some(meta) = net.child("metadata") {
        for list in ours(meta, "port-forwards") {
            for el in ours(list, "rule") {
                match rule_of(el) {
                    Some(r) => info.rules.push(r),
                    None => info.skipped += 1,
                }
            }
        }
    }
    Ok(info)
}

fn ours<'a>(parent: &'a Element, name: &'a str) -> impl Iterator<Item = &'a Element> {
    parent
        .children
        .iter()
        .filter(move |e| e.ns.as_deref() == Some(NETWORK_NS) && e.name == name)
}

fn rule_of(el: &Element) -> Option<ForwardRule> {
    let port = |k: &str| el.attr(k)?.trim().parse::<u16>().ok().filter(|p| *p > 0);
    let host_address = match el.attr("host-address").map(str::trim) {
        None | Some("") => None,
        Some(a) => Some(a.parse().ok()?),
    };
    Some(ForwardRule {
        proto: Proto::parse(el.attr("proto")?)?,
        host_address,
        host_port: port("host-port")?,
        guest_ip: el.attr("guest-ip")?.trim().parse().ok()?,
        guest_port: port("guest-port")?,
    })
}

/// Our `<kvmm:port-forwards>` element with `rules`.
fn rules_node(rules: &[ForwardRule]) -> Node {
    let mut list = Node::new("kvmm:port-forwards").attr("xmlns:kvmm", NETWORK_NS);
    for r in rules {
        let mut n = Node::new("kvmm:rule").attr("proto", r.proto.as_str());
        if let Some(a) = r.host_address {
            n = n.attr("host-address", a.to_string());
        }
        n = n
            .attr("host-port", r.host_port.to_string())
            .attr("guest-ip", r.guest_ip.to_string())
            .attr("guest-port", r.guest_port.to_string());
        list = list.child(n);
    }
    list
}

/// `xml` (a `<network>` document) with its rules replaced by `rules` (the element removed
/// when there are none); everything else as it was.
pub fn with_rules(xml: &str, rules: &[ForwardRule]) -> Result<String, BackendError> {
    let has_metadata = parse_tree(xml)?.child("metadata").is_some();
    let metadata = Path::root("network").child("metadata");
    let mut edits = vec![Edit::remove(
        metadata.clone().child("port-forwards").in_ns(NETWORK_NS),
    )];
    if !rules.is_empty() {
        let node = rules_node(rules);
        edits.push(if has_metadata {
            Edit::append(metadata, node)
        } else {
            Edit::append(Path::root("network"), Node::new("metadata").child(node))
        });
    }
    Ok(apply(xml, &edits)?.xml)
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
