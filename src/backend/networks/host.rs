//! What the host itself has: interface addresses (for overlap checks, via
//! `getifaddrs`) and bridge devices (for Bridge mode, reusing the creation wizard's
//! lookup).

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use virt::connect::Connect;

use super::{HostNetFacts, NetworkInfo};
use crate::backend::create::{self as creation, is_local};

/// Every IPv4 and IPv6 address on this machine's interfaces: (interface, address,
/// prefix). Empty when `getifaddrs` fails. Only meaningful for a local connection.
pub fn host_addresses() -> Vec<(String, IpAddr, u8)> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we own until freeifaddrs below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        log::warn!("getifaddrs: {}", std::io::Error::last_os_error());
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: ifa_addr and ifa_netmask (when not null) point to sockaddrs of the
        // family in sa_family, owned by the list.
        let (addr, prefix) = unsafe {
            let Some(addr) = sockaddr_ip(ifa.ifa_addr) else {
                continue;
            };
            let prefix = if ifa.ifa_netmask.is_null() {
                None
            } else {
                sockaddr_ip(ifa.ifa_netmask)
            };
            (addr, prefix.map(mask_len))
        };
        let full = if addr.is_ipv4() { 32 } else { 128 };
        out.push((name, addr, prefix.unwrap_or(full)));
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

/// The IP address in a sockaddr of family AF_INET or AF_INET6.
///
/// # Safety
/// `sa` must point to a valid sockaddr whose storage matches its `sa_family`.
unsafe fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    match i32::from((*sa).sa_family) {
        libc::AF_INET => {
            let sin = &*(sa as *const libc::sockaddr_in);
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 => {
            let sin6 = &*(sa as *const libc::sockaddr_in6);
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

fn mask_len(mask: IpAddr) -> u8 {
    let ones = match mask {
        IpAddr::V4(m) => u32::from(m).count_ones(),
        IpAddr::V6(m) => u128::from(m).count_ones(),
    };
    ones as u8
}

/// Host bridges not owned by one of `networks` (empty when the host cannot tell).
pub fn host_bridges(conn: &Connect, networks: &[NetworkInfo]) -> Vec<String> {
    creation::host_bridges(conn)
        .unwrap_or_default()
        .into_iter()
        .filter(|b| !networks.iter().any(|n| n.bridge.as_deref() == Some(b)))
        .collect()
}

/// Bridges and (for a local connection) interface addresses.
pub fn host_facts(conn: &Connect, networks: &[NetworkInfo]) -> HostNetFacts {
    HostNetFacts {
        bridges: host_bridges(conn, networks),
        addresses: if is_local(conn) {
            host_addresses()
        } else {
            Vec::new()
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_listed() {
        let all = super::host_addresses();
        assert!(
            all.iter()
                .any(|(_, a, p)| *a == std::net::IpAddr::from([127, 0, 0, 1]) && *p == 8),
            "{all:?}"
        );
    }
}
