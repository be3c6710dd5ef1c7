//! Network XML → [`NetworkInfo`] (parsed with the XML parser), and the list of networks
//! with the machines attached to each.

use std::net::IpAddr;

use virt::connect::Connect;
use virt::network::Network;

use super::subnet::netmask_prefix;
use super::{net_err, DhcpHost, IpConfig, NetMode, NetworkInfo};
use crate::backend::error::BackendError;
use crate::backend::xml::{parse_tree, Element};

/// The facts in a network's XML; `active`, `autostart`, `persistent` and `vms` are left
/// false / empty for the caller.
pub fn parse_network(xml: &str) -> Result<NetworkInfo, BackendError> {
    let root = parse_tree(xml)?;
    let forward = root.child("forward");
    let attr = |el: Option<&Element>, name: &str| {
        el.and_then(|e| e.attr(name))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut ipv4 = None;
    let mut ipv6 = None;
    for ip in root.children_named("ip") {
        let Some(cfg) = parse_ip(ip) else { continue };
        let slot = if cfg.address.is_ipv4() {
            &mut ipv4
        } else {
            &mut ipv6
        };
        if slot.is_none() {
            *slot = Some(cfg);
        }
    }
    Ok(NetworkInfo {
        name: root.child_text("name"),
        uuid: root.child_text("uuid"),
        mode: NetMode::from_forward(forward.map(|f| f.attr("mode").unwrap_or("nat"))),
        bridge: attr(root.child("bridge"), "name"),
        forward_dev: attr(forward, "dev"),
        ipv4,
        ipv6,
        domain: attr(root.child("domain"), "name"),
        active: false,
        autostart: false,
        persistent: false,
        vms: Vec::new(),
    })
}

/// One `<ip>`: address with prefix or (IPv4) netmask, DHCP ranges and static hosts.
/// `None` when the address is missing or unreadable.
fn parse_ip(ip: &Element) -> Option<IpConfig> {
    let address: IpAddr = ip.attr("address")?.trim().parse().ok()?;
    let prefix = match (ip.attr("prefix"), ip.attr("netmask"), address) {
        (Some(p), _, _) => p.trim().parse().ok()?,
        (None, Some(m), IpAddr::V4(_)) => netmask_prefix(m.trim().parse().ok()?)?,
        // libvirt's defaults: the classful prefix for IPv4, 64 for IPv6.
        (None, None, IpAddr::V4(a)) => match a.octets()[0] {
            0..=127 => 8,
            128..=191 => 16,
            _ => 24,
        },
        _ => 64,
    };
    let mut cfg = IpConfig {
        address,
        prefix,
        dhcp_ranges: Vec::new(),
        hosts: Vec::new(),
    };
    if let Some(dhcp) = ip.child("dhcp") {
        for r in dhcp.children_named("range") {
            let start = r.attr("start").and_then(|s| s.trim().parse().ok());
            let end = r.attr("end").and_then(|s| s.trim().parse().ok());
            if let (Some(s), Some(e)) = (start, end) {
                cfg.dhcp_ranges.push((s, e));
            }
        }
        for h in dhcp.children_named("host") {
            let Some(ip) = h.attr("ip").and_then(|s| s.trim().parse().ok()) else {
                continue;
            };
            // IPv6 hosts are matched by DUID (`id`); keep the id where there is no MAC.
            let mac = h.attr("mac").or(h.attr("id")).unwrap_or_default();
            cfg.hosts.push(DhcpHost {
                mac: mac.to_ascii_lowercase(),
                ip,
                name: h.attr("name").map(str::to_owned),
            });
        }
    }
    Some(cfg)
}

/// The network's current XML parsed, with its state flags filled in.
pub fn network_info(net: &Network) -> Result<NetworkInfo, BackendError> {
    let mut info = parse_network(&net.xml_desc(0).map_err(|e| net_err(&e))?)?;
    info.active = net.is_active().map_err(|e| net_err(&e))?;
    info.persistent = net.is_persistent().map_err(|e| net_err(&e))?;
    info.autostart = net.autostart().map_err(|e| net_err(&e))?;
    Ok(info)
}

/// Every network on the host, sorted by name, each with the domains using it.
pub fn list_networks(conn: &Connect) -> Result<Vec<NetworkInfo>, BackendError> {
    let nets = conn.list_all_networks(0).map_err(|e| net_err(&e))?;
    let mut out = Vec::with_capacity(nets.len());
    for net in &nets {
        match network_info(net) {
            Ok(i) => out.push(i),
            // Undefined between the listing and the read: it is simply gone.
            Err(e) if e.kind == crate::backend::error::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let nics = domain_nics(conn)?;
    for info in &mut out {
        let mut vms: Vec<String> = nics
            .iter()
            .filter(|(_, nic)| match nic {
                Nic::Network(n) => *n == info.name,
                Nic::Bridge(b) => info.bridge.as_deref() == Some(b.as_str()),
            })
            .map(|(vm, _)| vm.clone())
            .collect();
        vms.sort();
        vms.dedup();
        info.vms = vms;
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Where one domain interface is plugged.
enum Nic {
    Network(String),
    Bridge(String),
}

/// (domain name, interface source) for every interface of every domain.
fn domain_nics(conn: &Connect) -> Result<Vec<(String, Nic)>, BackendError> {
    let mut out = Vec::new();
    for dom in conn.list_all_domains(0).map_err(|e| net_err(&e))? {
        let (Ok(name), Ok(xml)) = (dom.name(), dom.xml_desc(0)) else {
            continue; // undefined meanwhile
        };
        let Ok(root) = parse_tree(&xml) else { continue };
        let Some(devices) = root.child("devices") else {
            continue;
        };
        for iface in devices.children_named("interface") {
            let source = iface.child("source");
            let src = |a: &str| source.and_then(|s| s.attr(a)).map(str::to_owned);
            let nic = match iface.attr("type") {
                Some("network") => src("network").map(Nic::Network),
                Some("bridge") => src("bridge").map(Nic::Bridge),
                _ => None,
            };
            if let Some(nic) = nic {
                out.push((name.clone(), nic));
            }
        }
    }
    Ok(out)
}

/// Look a network up by name.
pub fn lookup(conn: &Connect, name: &str) -> Result<Network, BackendError> {
    conn.lookup_network_by_name(name).map_err(|e| net_err(&e))
}
