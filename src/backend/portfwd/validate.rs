//! Checking a rule before it is saved: the form's fields ([`parse_rule_input`]) and the
//! rule against the network and the rules already there ([`check_rule`]). Every refusal
//! is an `InvalidInput` error whose message names the value or the clashing rule.

use std::net::Ipv4Addr;

use gettextrs::gettext;

use super::rules::{mask, NetInfo};
use super::{ForwardRule, Proto};
use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

fn invalid(message: String, hint: String) -> BackendError {
    BackendError {
        kind: ErrorKind::InvalidInput,
        message,
        hint,
    }
}

fn port(text: &str, which: &str) -> Result<u16, BackendError> {
    let t = text.trim();
    let hint = || gettext("Use a whole number from 1 to 65535.");
    if t.is_empty() {
        return Err(invalid(
            gettext_f("The {which} is missing.", &[("which", which)]),
            hint(),
        ));
    }
    match t.parse::<u64>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(_) => Err(invalid(
            gettext_f(
                "The {which} {value} is outside 1–65535.",
                &[("which", which), ("value", t)],
            ),
            hint(),
        )),
        // All digits but too long for u64: still a number out of range.
        Err(_) if t.chars().all(|c| c.is_ascii_digit()) => Err(invalid(
            gettext_f(
                "The {which} {value} is outside 1–65535.",
                &[("which", which), ("value", t)],
            ),
            hint(),
        )),
        Err(_) => Err(invalid(
            gettext_f(
                "The {which} “{value}” is not a number.",
                &[("which", which), ("value", t)],
            ),
            hint(),
        )),
    }
}

fn address(text: &str, which: &str) -> Result<Ipv4Addr, BackendError> {
    text.trim().parse::<Ipv4Addr>().map_err(|_| {
        invalid(
            gettext_f(
                "The {which} “{value}” is not an IPv4 address.",
                &[("which", which), ("value", text.trim())],
            ),
            gettext("Write it as four numbers separated by dots, for example 192.168.122.10."),
        )
    })
}

/// The rule the form describes. An empty host address (or 0.0.0.0) means every address
/// of the host; a loopback address is refused (forwarded packets cannot come from it).
pub fn parse_rule_input(
    proto: Proto,
    host_address: &str,
    host_port: &str,
    guest_ip: &str,
    guest_port: &str,
) -> Result<ForwardRule, BackendError> {
    let host_address = match host_address.trim() {
        "" => None,
        a => Some(address(a, &gettext("host address"))?).filter(|a| !a.is_unspecified()),
    };
    if let Some(a) = host_address.filter(Ipv4Addr::is_loopback) {
        return Err(invalid(
            gettext_f(
                "The host address {address} is a loopback address; connections to it cannot be forwarded.",
                &[("address", &a.to_string())],
            ),
            gettext("Leave the host address empty to forward from every address of the host."),
        ));
    }
    if guest_ip.trim().is_empty() {
        return Err(invalid(
            gettext("The guest IP address is missing."),
            gettext("Enter the address the guest has on this network."),
        ));
    }
    Ok(ForwardRule {
        proto,
        host_address,
        host_port: port(host_port, &gettext("host port"))?,
        guest_ip: address(guest_ip, &gettext("guest IP address"))?,
        guest_port: port(guest_port, &gettext("guest port"))?,
    })
}

/// Check `rule` against its network and the rules already forwarded on this host
/// (`others`: network name and rule, this network's included). `host_addrs`: the host's
/// IPv4 addresses when the connection is local (`None` skips that check).
pub fn check_rule(
    net: &NetInfo,
    rule: &ForwardRule,
    others: &[(String, ForwardRule)],
    host_addrs: Option<&[Ipv4Addr]>,
) -> Result<(), BackendError> {
    if !net.nat() {
        let mode = if net.forward_mode.is_empty() {
            gettext("isolated")
        } else {
            net.forward_mode.clone()
        };
        return Err(invalid(
            gettext_f(
                "Port forwarding needs a NAT network; “{network}” is {mode}.",
                &[("network", &net.name), ("mode", &mode)],
            ),
            gettext("Forward ports on a network in NAT mode, or reach the guest directly."),
        ));
    }
    let inside = net.subnets.iter().find(|(a, p)| {
        let m = mask(*p);
        u32::from(rule.guest_ip) & m == u32::from(*a) & m
    });
    let subnets = net.subnet_strings().join(", ");
    let Some((gateway, prefix)) = inside else {
        return Err(invalid(
            gettext_f(
                "The guest IP address {ip} is not in the network “{network}” ({subnets}).",
                &[
                    ("ip", &rule.guest_ip.to_string()),
                    ("network", &net.name),
                    ("subnets", &subnets),
                ],
            ),
            gettext("Use the address the guest got on this network (see its DHCP lease)."),
        ));
    };
    let host_part = u32::from(rule.guest_ip) & !mask(*prefix);
    let reserved = rule.guest_ip == *gateway
        || (*prefix < 31 && (host_part == 0 || host_part == !mask(*prefix)));
    if reserved {
        return Err(invalid(
            gettext_f(
                "{ip} is the host's own or a reserved address of “{network}”, not a guest's.",
                &[("ip", &rule.guest_ip.to_string()), ("network", &net.name)],
            ),
            gettext("Use the address the guest got on this network (see its DHCP lease)."),
        ));
    }
    if let Some((network, existing)) = others.iter().find(|(_, r)| r.clashes_with(rule)) {
        return Err(invalid(
            gettext_f(
                "Host port {port} ({proto}) is already forwarded: {rule} on “{network}”.",
                &[
                    ("port", &rule.host_port.to_string()),
                    ("proto", &rule.proto.to_string()),
                    ("rule", &existing.describe()),
                    ("network", network),
                ],
            ),
            gettext("Choose another host port, or remove the existing rule first."),
        ));
    }
    if let (Some(a), Some(addrs)) = (rule.host_address, host_addrs) {
        if !addrs.contains(&a) {
            let list: Vec<String> = addrs.iter().map(Ipv4Addr::to_string).collect();
            return Err(invalid(
                gettext_f(
                    "{address} is not an address of this host (it has {addresses}).",
                    &[("address", &a.to_string()), ("addresses", &list.join(", "))],
                ),
                gettext("Leave the host address empty to forward from every address of the host."),
            ));
        }
    }
    Ok(())
}

/// The IPv4 addresses of this host's interfaces (`getifaddrs`).
pub fn host_ipv4_addresses() -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list we only read and then free once
    // with freeifaddrs; each ifa_addr is checked for null and for AF_INET before it is
    // read as a sockaddr_in.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return out;
        }
        let mut cur = list;
        while !cur.is_null() {
            let addr = (*cur).ifa_addr;
            if !addr.is_null() && i32::from((*addr).sa_family) == libc::AF_INET {
                let sin = &*(addr as *const libc::sockaddr_in);
                out.push(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
            }
            cur = (*cur).ifa_next;
        }
        libc::freeifaddrs(list);
    }
    out
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
