//! Every rule a new network, a DHCP range or a static DHCP host must pass before libvirt
//! sees it. Pure functions (the caller supplies the existing networks and the host's
//! addresses and bridges); each refusal is an `InvalidInput` error whose message names
//! the clash ("overlaps “default” (192.168.122.0/24)").

use std::net::IpAddr;

use gettextrs::gettext;

use super::spec::{IpDef, NetDef};
use super::subnet::{CidrError, Subnet};
use super::syntax::{dns_name_problem, iface_problem, name_problem, normalize_mac};
use super::{DhcpHost, NetMode, NetworkInfo, NetworkSpec, SubnetSpec};
use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

/// IPv4 prefixes accepted for a new network: /8 (16 million addresses) to /30 (two).
pub const IPV4_PREFIXES: std::ops::RangeInclusive<u8> = 8..=30;
/// IPv6 prefixes accepted for a new network.
pub const IPV6_PREFIXES: std::ops::RangeInclusive<u8> = 48..=64;
/// The only IPv6 prefix accepted with DHCPv6 (and the one router advertisements need).
pub const IPV6_DHCP_PREFIX: u8 = 64;

pub(crate) fn invalid(message: String) -> BackendError {
    BackendError::new(ErrorKind::InvalidInput, message)
}

/// Check a creation form against the rules, the existing networks and the host's
/// interface addresses (`(iface, address, prefix)`; empty for a remote host). `Ok` is
/// the network to define. Whether a Bridge mode's host bridge exists is checked by
/// [`validate_bridge`], which needs the host's bridge list.
pub fn validate(
    spec: &NetworkSpec,
    existing: &[NetworkInfo],
    host: &[(String, IpAddr, u8)],
) -> Result<NetDef, BackendError> {
    let name = spec.name.trim();
    if let Some(why) = name_problem(name) {
        return Err(invalid(why));
    }
    if existing.iter().any(|n| n.name == name) {
        return Err(invalid(gettext_f(
            "A network named “{name}” already exists.",
            &[("name", name)],
        )));
    }
    let text = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let forward_dev = text(&spec.forward_dev);
    let domain = text(&spec.domain);
    let mut def = NetDef {
        name: name.to_owned(),
        mode: spec.mode.clone(),
        bridge: None,
        forward_dev: None,
        domain: None,
        ips: Vec::new(),
    };
    match &spec.mode {
        NetMode::Bridge => {
            let bridge = text(&spec.host_bridge).ok_or_else(|| {
                invalid(gettext("Choose the host bridge the network connects to."))
            })?;
            if let Some(why) = iface_problem(&bridge) {
                return Err(invalid(why));
            }
            if let Some(owner) = existing
                .iter()
                .find(|n| n.bridge.as_deref() == Some(&bridge))
            {
                return Err(invalid(gettext_f(
                    "The bridge “{bridge}” belongs to the network “{network}”; choose a bridge of the host.",
                    &[("bridge", &bridge), ("network", &owner.name)],
                )));
            }
            if spec.ipv4.is_some() || spec.ipv6.is_some() || domain.is_some() {
                return Err(invalid(gettext(
                    "A network on a host bridge takes its addresses, DHCP and DNS from the host's own network: leave the subnets and the domain empty.",
                )));
            }
            if forward_dev.is_some() {
                return Err(invalid(gettext(
                    "A network on a host bridge has no forwarding interface of its own.",
                )));
            }
            def.bridge = Some(bridge);
            return Ok(def);
        }
        NetMode::Other(mode) => {
            return Err(invalid(gettext_f(
                "Networks in “{mode}” mode cannot be created here: choose NAT, routed, isolated, open or host bridge.",
                &[("mode", mode)],
            )));
        }
        NetMode::Nat if spec.ipv4.is_none() => {
            return Err(invalid(gettext("A NAT network needs an IPv4 subnet.")));
        }
        NetMode::Route | NetMode::Open if spec.ipv4.is_none() && spec.ipv6.is_none() => {
            return Err(invalid(gettext(
                "A routed or open network needs an IPv4 or IPv6 subnet.",
            )));
        }
        _ => {}
    }
    if let Some(dev) = forward_dev {
        if !matches!(spec.mode, NetMode::Nat | NetMode::Route) {
            return Err(invalid(gettext(
                "Only NAT and routed networks forward through a host interface.",
            )));
        }
        if let Some(why) = iface_problem(&dev) {
            return Err(invalid(why));
        }
        def.forward_dev = Some(dev);
    }
    for (sub, v4) in [(&spec.ipv4, true), (&spec.ipv6, false)] {
        if let Some(sub) = sub {
            def.ips.push(check_subnet(sub, v4, existing, host)?);
        }
    }
    if let Some(d) = domain {
        if let Some(why) = dns_name_problem(&d) {
            return Err(invalid(why));
        }
        def.domain = Some(d);
    }
    Ok(def)
}

/// One subnet of the form: syntax, family, prefix, overlaps, DHCP range.
fn check_subnet(
    sub: &SubnetSpec,
    want_v4: bool,
    existing: &[NetworkInfo],
    host: &[(String, IpAddr, u8)],
) -> Result<IpDef, BackendError> {
    let cidr = sub.cidr.trim();
    let net = match Subnet::parse(cidr) {
        Ok(n) => n,
        Err(CidrError::HostBitsSet(n)) => {
            return Err(invalid(gettext_f(
                "“{cidr}” has bits set after the prefix: did you mean {subnet}?",
                &[("cidr", cidr), ("subnet", &n.to_string())],
            )))
        }
        Err(_) => {
            let example = if want_v4 {
                "192.168.100.0/24"
            } else {
                "fd00:1234::/64"
            };
            return Err(invalid(gettext_f(
                "“{cidr}” is not a subnet: write an address and a prefix length, like {example}.",
                &[("cidr", cidr), ("example", example)],
            )));
        }
    };
    if net.is_ipv4() != want_v4 {
        let args = [("cidr", cidr)];
        return Err(invalid(if want_v4 {
            gettext_f("“{cidr}” is not an IPv4 subnet.", &args)
        } else {
            gettext_f("“{cidr}” is not an IPv6 subnet.", &args)
        }));
    }
    let (range, what) = if want_v4 {
        (IPV4_PREFIXES, "IPv4")
    } else {
        (IPV6_PREFIXES, "IPv6")
    };
    if !range.contains(&net.prefix) {
        return Err(invalid(gettext_f(
            "The prefix /{prefix} is out of range: {family} networks here use /{min} to /{max}.",
            &[
                ("prefix", &net.prefix.to_string()),
                ("family", what),
                ("min", &range.start().to_string()),
                ("max", &range.end().to_string()),
            ],
        )));
    }
    if !want_v4 && sub.dhcp.is_some() && net.prefix != IPV6_DHCP_PREFIX {
        return Err(invalid(gettext_f(
            "DHCPv6 needs a /64 subnet; {subnet} is /{prefix}.",
            &[
                ("subnet", &net.to_string()),
                ("prefix", &net.prefix.to_string()),
            ],
        )));
    }
    check_overlaps(&net, existing, host)?;
    let dhcp = match &sub.dhcp {
        Some((start, end)) => Some(check_range(&net, net.gateway(), start, end)?),
        None => None,
    };
    Ok(IpDef {
        address: net.gateway(),
        prefix: net.prefix,
        dhcp,
        hosts: Vec::new(),
    })
}

/// Refuse a subnet that shares addresses with another network or a host interface.
pub fn check_overlaps(
    net: &Subnet,
    existing: &[NetworkInfo],
    host: &[(String, IpAddr, u8)],
) -> Result<(), BackendError> {
    for other in existing {
        for ip in [&other.ipv4, &other.ipv6].into_iter().flatten() {
            let theirs = ip.subnet();
            if net.overlaps(&theirs) {
                return Err(invalid(gettext_f(
                    "The subnet {subnet} overlaps “{network}” ({other}).",
                    &[
                        ("subnet", &net.to_string()),
                        ("network", &other.name),
                        ("other", &theirs.to_string()),
                    ],
                )));
            }
        }
    }
    for (iface, addr, prefix) in host {
        if net.overlaps(&Subnet::containing(*addr, *prefix)) {
            return Err(invalid(gettext_f(
                "The subnet {subnet} overlaps {iface}’s {address} on this host.",
                &[
                    ("subnet", &net.to_string()),
                    ("iface", iface),
                    ("address", &format!("{addr}/{prefix}")),
                ],
            )));
        }
    }
    Ok(())
}

fn parse_ip(text: &str) -> Result<IpAddr, BackendError> {
    text.trim().parse().map_err(|_| {
        invalid(gettext_f(
            "“{text}” is not an IP address.",
            &[("text", text.trim())],
        ))
    })
}

/// A DHCP range inside `net`, in order, leaving out the `gateway`.
pub fn check_range(
    net: &Subnet,
    gateway: IpAddr,
    start: &str,
    end: &str,
) -> Result<(IpAddr, IpAddr), BackendError> {
    let (s, e) = (parse_ip(start)?, parse_ip(end)?);
    for ip in [s, e] {
        if !net.contains(ip) {
            return Err(invalid(gettext_f(
                "The DHCP range must lie inside {subnet}: {address} is outside it.",
                &[("subnet", &net.to_string()), ("address", &ip.to_string())],
            )));
        }
        if !net.is_host(ip) {
            return Err(invalid(gettext_f(
                "{address} cannot be handed out: it is the network or broadcast address of {subnet}.",
                &[("subnet", &net.to_string()), ("address", &ip.to_string())],
            )));
        }
    }
    let key = super::subnet::to_u128;
    if key(s) > key(e) {
        return Err(invalid(gettext_f(
            "The DHCP range starts at {start}, after its end {end}.",
            &[("start", &s.to_string()), ("end", &e.to_string())],
        )));
    }
    if (key(s)..=key(e)).contains(&key(gateway)) {
        return Err(invalid(gettext_f(
            "The DHCP range {start}–{end} contains the gateway {gateway}: the host's own address cannot be handed out.",
            &[
                ("start", &s.to_string()),
                ("end", &e.to_string()),
                ("gateway", &gateway.to_string()),
            ],
        )));
    }
    Ok((s, e))
}

/// The network's IPv4 `<ip>`, or a message saying it has none.
fn ipv4_of(net: &NetworkInfo) -> Result<&super::IpConfig, BackendError> {
    net.ipv4.as_ref().ok_or_else(|| {
        invalid(gettext_f(
            "The network “{network}” has no IPv4 subnet, so it has no DHCP to change.",
            &[("network", &net.name)],
        ))
    })
}

/// A new IPv4 DHCP range for `net`.
pub fn validate_dhcp_range(
    net: &NetworkInfo,
    start: &str,
    end: &str,
) -> Result<(IpAddr, IpAddr), BackendError> {
    let ip = ipv4_of(net)?;
    check_range(&ip.subnet(), ip.address, start, end)
}

/// A new static host for `net`: MAC syntax, an IPv4 address inside the subnet that is
/// neither the gateway nor reserved already, a MAC without an entry yet, a DNS-style
/// name. `Ok` is the entry as it will be stored (MAC in lower case, name trimmed).
pub fn validate_dhcp_host(net: &NetworkInfo, host: &DhcpHost) -> Result<DhcpHost, BackendError> {
    let ip4 = ipv4_of(net)?;
    let mac = normalize_mac(&host.mac).map_err(invalid)?;
    let subnet = ip4.subnet();
    let ip = host.ip;
    if !ip.is_ipv4() {
        return Err(invalid(gettext(
            "Static DHCP hosts are matched by MAC address, which only IPv4 DHCP does: enter an IPv4 address.",
        )));
    }
    if !subnet.contains(ip) || !subnet.is_host(ip) {
        return Err(invalid(gettext_f(
            "{address} is not a usable address in {subnet}, the subnet of “{network}”.",
            &[
                ("address", &ip.to_string()),
                ("subnet", &subnet.to_string()),
                ("network", &net.name),
            ],
        )));
    }
    if ip == ip4.address {
        return Err(invalid(gettext_f(
            "{address} is the gateway of “{network}” (the host's own address).",
            &[("address", &ip.to_string()), ("network", &net.name)],
        )));
    }
    if let Some(other) = ip4.hosts.iter().find(|h| h.mac == mac) {
        return Err(invalid(gettext_f(
            "{mac} already has a static address ({address}); remove that entry first.",
            &[("mac", &mac), ("address", &other.ip.to_string())],
        )));
    }
    if let Some(other) = ip4.hosts.iter().find(|h| h.ip == ip) {
        return Err(invalid(gettext_f(
            "{address} is already reserved for {mac}.",
            &[("address", &ip.to_string()), ("mac", &other.mac)],
        )));
    }
    let name = host
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Some(why) = name.and_then(dns_name_problem) {
        return Err(invalid(why));
    }
    Ok(DhcpHost {
        mac,
        ip,
        name: name.map(str::to_owned),
    })
}

/// The static host of `net` with this MAC, or a message saying there is none.
pub fn find_dhcp_host(net: &NetworkInfo, mac: &str) -> Result<DhcpHost, BackendError> {
    let mac = normalize_mac(mac).map_err(invalid)?;
    ipv4_of(net)?
        .hosts
        .iter()
        .find(|h| h.mac == mac)
        .cloned()
        .ok_or_else(|| {
            invalid(gettext_f(
                "“{network}” has no static DHCP host for {mac}.",
                &[("network", &net.name), ("mac", &mac)],
            ))
        })
}

/// Bridge mode: the host bridge must exist. `bridges` is the host's list; `None` when
/// the host cannot tell (then libvirt has the last word when the network starts).
pub fn validate_bridge(spec: &NetworkSpec, bridges: Option<&[String]>) -> Result<(), BackendError> {
    let (NetMode::Bridge, Some(bridge), Some(bridges)) =
        (&spec.mode, spec.host_bridge.as_deref(), bridges)
    else {
        return Ok(());
    };
    let bridge = bridge.trim();
    if bridges.iter().any(|b| b == bridge) {
        return Ok(());
    }
    let msg = if bridges.is_empty() {
        gettext_f(
            "The host has no bridge “{bridge}” (it has no bridges at all). Create one on the host first.",
            &[("bridge", bridge)],
        )
    } else {
        gettext_f(
            "The host has no bridge “{bridge}”. Its bridges: {list}.",
            &[("bridge", bridge), ("list", &bridges.join(", "))],
        )
    };
    Err(invalid(msg))
}
