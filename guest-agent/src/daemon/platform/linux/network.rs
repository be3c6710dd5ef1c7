//! `get_network_info`: interfaces from `/sys/class/net`, addresses from `getifaddrs(3)`.

use crate::daemon::dispatch::io_error;
use kvm_guest_agent::protocol::types::{IpAddress, NetworkInfoResult, NetworkInterface};
use kvm_guest_agent::protocol::RpcError;
use std::collections::BTreeMap;
use std::ffi::CStr;
use std::net::{Ipv4Addr, Ipv6Addr};

pub fn network_info() -> Result<NetworkInfoResult, RpcError> {
    let mut interfaces: BTreeMap<String, NetworkInterface> = BTreeMap::new();
    let sys = std::fs::read_dir("/sys/class/net").map_err(|e| io_error(e, "/sys/class/net"))?;
    for entry in sys.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let attr =
            |a: &str| std::fs::read_to_string(entry.path().join(a)).map(|s| s.trim().to_string());
        let mac = attr("address").unwrap_or_default();
        let flags = attr("flags")
            .ok()
            .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok());
        interfaces.insert(
            name.clone(),
            NetworkInterface {
                name,
                mac: if mac.bytes().all(|b| b == b'0' || b == b':') {
                    String::new()
                } else {
                    mac
                },
                mtu: attr("mtu").ok().and_then(|m| m.parse().ok()).unwrap_or(0),
                up: flags.is_some_and(|f| f & libc::IFF_UP as u32 != 0),
                addresses: Vec::new(),
            },
        );
    }
    for (name, address) in addresses()? {
        if let Some(iface) = interfaces.get_mut(&name) {
            iface.addresses.push(address);
        }
    }
    Ok(NetworkInfoResult {
        interfaces: interfaces.into_values().collect(),
    })
}

/// Every IPv4 and IPv6 address with its interface name.
fn addresses() -> Result<Vec<(String, IpAddress)>, RpcError> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs allocates the list; freeifaddrs below releases it.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Err(io_error(std::io::Error::last_os_error(), "getifaddrs"));
    }
    let mut out = Vec::new();
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: cursor walks the list getifaddrs returned; pointers are checked for null
        // and socket addresses are read as the structure their family names.
        unsafe {
            let ifa = &*cursor;
            cursor = ifa.ifa_next;
            if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
                continue;
            }
            let name = CStr::from_ptr(ifa.ifa_name).to_string_lossy().into_owned();
            let family = (*ifa.ifa_addr).sa_family as libc::c_int;
            let mask = ifa.ifa_netmask;
            let address = match family {
                libc::AF_INET => {
                    let a = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                    let prefix = if mask.is_null() {
                        32
                    } else {
                        let m = &*(mask as *const libc::sockaddr_in);
                        u32::from_be(m.sin_addr.s_addr).count_ones() as u8
                    };
                    IpAddress {
                        family: "ipv4".into(),
                        address: Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).to_string(),
                        prefix,
                    }
                }
                libc::AF_INET6 => {
                    let a = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                    let prefix = if mask.is_null() {
                        128
                    } else {
                        let m = &*(mask as *const libc::sockaddr_in6);
                        m.sin6_addr
                            .s6_addr
                            .iter()
                            .map(|b| b.count_ones())
                            .sum::<u32>() as u8
                    };
                    IpAddress {
                        family: "ipv6".into(),
                        address: Ipv6Addr::from(a.sin6_addr.s6_addr).to_string(),
                        prefix,
                    }
                }
                _ => continue,
            };
            out.push((name, address));
        }
    }
    // SAFETY: list came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    Ok(out)
}
