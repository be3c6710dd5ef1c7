//! The Networks page's forms: a new virtual network, a DHCP range, a DHCP reservation and
//! a port-forwarding rule. They check what can be checked here (required fields, address
//! syntax, port numbers); the backend checks the rest (subnet clashes, addresses outside
//! the subnet, a port already forwarded) and its refusal shows in the form.

use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use super::form::{required, text, FormDialog};
use crate::backend::networks::{
    DhcpHost, NetMode, NetworkCommand, NetworkInfo, NetworkSpec, SubnetSpec,
};
use crate::backend::portfwd::{self, PortForwardCommand, Proto};
use crate::i18n::gettext_f;

/// The modes the form offers, in order.
fn modes() -> [(NetMode, String); 5] {
    [
        (
            NetMode::Nat,
            gettext("NAT (machines reach out through the host)"),
        ),
        (
            NetMode::Route,
            gettext("Routed (machines reachable from the LAN)"),
        ),
        (
            NetMode::Isolated,
            gettext("Isolated (machines and host only)"),
        ),
        (NetMode::Open, gettext("Open (no firewall rules)")),
        (
            NetMode::Bridge,
            gettext("Host bridge (machines on the LAN)"),
        ),
    ]
}

/// The usable range of an IPv4 subnet after its gateway: (.2, last but one).
pub fn default_range(cidr: &str) -> Option<(String, String)> {
    let (addr, prefix) = cidr.trim().split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    let prefix: u32 = prefix.parse().ok()?;
    if !(8..=30).contains(&prefix) {
        return None;
    }
    let mask = u32::MAX << (32 - prefix);
    let net = u32::from(addr) & mask;
    let broadcast = net | !mask;
    Some((
        Ipv4Addr::from(net + 2).to_string(),
        Ipv4Addr::from(broadcast - 1).to_string(),
    ))
}

/// A /24 in 192.168.100–254 that no listed network uses.
pub fn free_subnet(existing: &[NetworkInfo]) -> String {
    let used: Vec<[u8; 4]> = existing
        .iter()
        .filter_map(|n| match n.ipv4.as_ref()?.address {
            IpAddr::V4(a) => Some(a.octets()),
            IpAddr::V6(_) => None,
        })
        .collect();
    (100..=254u8)
        .find(|third| {
            !used
                .iter()
                .any(|o| o[0] == 192 && o[1] == 168 && o[2] == *third)
        })
        .map(|third| format!("192.168.{third}.0/24"))
        .unwrap_or_else(|| "10.200.0.0/24".to_owned())
}

/// "New Virtual Network".
pub fn new_network(
    parent: &gtk::Window,
    existing: &[NetworkInfo],
    bridges: &[String],
    send: Rc<dyn Fn(NetworkCommand)>,
) -> FormDialog {
    let form = FormDialog::new(parent, &gettext("New Virtual Network"), &gettext("Create"));
    let basics = form.group("", None);
    let name = form.entry(&basics, &gettext("Name"), "");
    let labels: Vec<String> = modes().into_iter().map(|(_, l)| l).collect();
    let mode = form.choice(&basics, &gettext("Mode"), &labels, 0);
    let mut bridge_items = bridges.to_vec();
    if bridge_items.is_empty() {
        bridge_items.push(gettext("No bridge on this host"));
    }
    let bridge = form.choice(&basics, &gettext("Host bridge"), &bridge_items, 0);

    let subnet = free_subnet(existing);
    let (start_default, end_default) = default_range(&subnet).unwrap_or_default();
    let ipv4 = form.group(&gettext("IPv4"), None);
    let cidr = form.entry(&ipv4, &gettext("Subnet"), &subnet);
    let (dhcp_row, dhcp) = form.switch(
        &ipv4,
        &gettext("DHCP"),
        &gettext("Hand out addresses to machines"),
        true,
    );
    let start = form.entry(&ipv4, &gettext("First address"), &start_default);
    let end = form.entry(&ipv4, &gettext("Last address"), &end_default);
    {
        let (start, end) = (start.clone(), end.clone());
        cidr.connect_changed(move |row| {
            if let Some((s, e)) = default_range(&row.text()) {
                start.set_text(&s);
                end.set_text(&e);
            }
        });
    }
    {
        let (start, end) = (start.clone(), end.clone());
        dhcp.connect_active_notify(move |s| {
            start.set_visible(s.is_active());
            end.set_visible(s.is_active());
        });
    }

    let ipv6 = form.group(&gettext("IPv6"), None);
    let (_, ipv6_on) = form.switch(&ipv6, &gettext("IPv6"), "", false);
    let cidr6 = form.entry(&ipv6, &gettext("Subnet"), "fd00:100::/64");
    cidr6.set_visible(false);
    {
        let cidr6 = cidr6.clone();
        ipv6_on.connect_active_notify(move |s| cidr6.set_visible(s.is_active()));
    }

    let more = form.group(&gettext("Options"), None);
    let domain = form.entry(&more, &gettext("DNS domain (optional)"), "");
    let (_, start_now) = form.switch(&more, &gettext("Start now"), "", true);
    let (_, autostart) = form.switch(&more, &gettext("Start with the host"), "", true);

    let sync = {
        let (bridge, ipv4, ipv6, domain, dhcp_row) = (
            bridge.clone(),
            ipv4.clone(),
            ipv6.clone(),
            domain.clone(),
            dhcp_row.clone(),
        );
        move |mode: &adw::ComboRow| {
            let is_bridge = modes()[mode.selected() as usize % 5].0 == NetMode::Bridge;
            bridge.set_visible(is_bridge);
            ipv4.set_visible(!is_bridge);
            ipv6.set_visible(!is_bridge);
            domain.set_visible(!is_bridge);
            dhcp_row.set_visible(!is_bridge);
        }
    };
    sync(&mode);
    mode.connect_selected_notify(sync);

    let bridges = bridges.to_vec();
    form.on_accept(move || {
        let name = required(&name, &gettext("a name"))?;
        let net_mode = modes()[mode.selected() as usize % 5].0.clone();
        let is_bridge = net_mode == NetMode::Bridge;
        let host_bridge = if is_bridge {
            Some(
                bridges
                    .get(bridge.selected() as usize)
                    .cloned()
                    .ok_or_else(|| {
                        gettext("This host has no bridge. Create one (for example with NetworkManager) first.")
                    })?,
            )
        } else {
            None
        };
        let ipv4 = if is_bridge {
            None
        } else {
            Some(SubnetSpec {
                cidr: required(&cidr, &gettext("an IPv4 subnet"))?,
                dhcp: if dhcp.is_active() {
                    Some((
                        required(&start, &gettext("the first DHCP address"))?,
                        required(&end, &gettext("the last DHCP address"))?,
                    ))
                } else {
                    None
                },
            })
        };
        let ipv6 = if !is_bridge && ipv6_on.is_active() {
            Some(SubnetSpec {
                cidr: required(&cidr6, &gettext("an IPv6 subnet"))?,
                dhcp: None,
            })
        } else {
            None
        };
        send(NetworkCommand::Create(Box::new(NetworkSpec {
            name,
            mode: net_mode,
            host_bridge,
            forward_dev: None,
            ipv4,
            ipv6,
            domain: Some(text(&domain)).filter(|d| !d.is_empty() && !is_bridge),
            autostart: autostart.is_active(),
            start: start_now.is_active(),
        })));
        Ok(())
    });
    form
}

/// "DHCP Range of “network”".
pub fn dhcp_range(
    parent: &gtk::Window,
    network: &NetworkInfo,
    send: Rc<dyn Fn(NetworkCommand)>,
) -> FormDialog {
    let form = FormDialog::new(
        parent,
        &gettext_f("DHCP Range of “{name}”", &[("name", &network.name)]),
        &gettext("Apply"),
    );
    let current = network
        .ipv4
        .as_ref()
        .and_then(|ip| ip.dhcp_ranges.first().cloned());
    let group = form.group(
        "",
        Some(&gettext(
            "Applies at once on a running network and is kept for the next start.",
        )),
    );
    let (s, e) = current
        .map(|(s, e)| (s.to_string(), e.to_string()))
        .unwrap_or_default();
    let start = form.entry(&group, &gettext("First address"), &s);
    let end = form.entry(&group, &gettext("Last address"), &e);
    let name = network.name.clone();
    form.on_accept(move || {
        send(NetworkCommand::SetDhcpRange {
            name: name.clone(),
            start: required(&start, &gettext("the first address"))?,
            end: required(&end, &gettext("the last address"))?,
        });
        Ok(())
    });
    form
}

/// "Add a DHCP Reservation": a MAC address always gets the same IP address.
pub fn dhcp_host(
    parent: &gtk::Window,
    network: &NetworkInfo,
    send: Rc<dyn Fn(NetworkCommand)>,
) -> FormDialog {
    let form = FormDialog::new(parent, &gettext("Add a DHCP Reservation"), &gettext("Add"));
    let group = form.group(
        "",
        Some(&gettext(
            "The machine with this MAC address always gets this IP address. Applies at once on a running network.",
        )),
    );
    let mac = form.entry(&group, &gettext("MAC address"), "");
    let ip = form.entry(&group, &gettext("IP address"), "");
    let host = form.entry(&group, &gettext("Host name (optional)"), "");
    let name = network.name.clone();
    form.on_accept(move || {
        let mac = required(&mac, &gettext("a MAC address"))?;
        let ip_text = required(&ip, &gettext("an IP address"))?;
        let ip: IpAddr = ip_text
            .parse()
            .map_err(|_| gettext_f("“{text}” is not an IP address.", &[("text", &ip_text)]))?;
        send(NetworkCommand::AddDhcpHost {
            name: name.clone(),
            host: DhcpHost {
                mac,
                ip,
                name: Some(text(&host)).filter(|h| !h.is_empty()),
            },
        });
        Ok(())
    });
    form
}

/// "Add a Forwarding Rule": a host port to a guest's address and port.
pub fn forward_rule(
    parent: &gtk::Window,
    network: &str,
    send: Rc<dyn Fn(PortForwardCommand)>,
) -> FormDialog {
    let form = FormDialog::new(parent, &gettext("Add a Forwarding Rule"), &gettext("Add"));
    let group = form.group(
        "",
        Some(&gettext(
            "Connections to this port of the host go to the port of the machine.",
        )),
    );
    let protos = [gettext("TCP"), gettext("UDP")];
    let proto = form.choice(&group, &gettext("Protocol"), &protos, 0);
    let host_port = form.entry(&group, &gettext("Host port"), "");
    let guest_ip = form.entry(&group, &gettext("Machine’s IP address"), "");
    let guest_port = form.entry(&group, &gettext("Machine’s port"), "");
    let host_address = form.entry(&group, &gettext("Only on host address (optional)"), "");
    let network = network.to_owned();
    form.on_accept(move || {
        let proto = if proto.selected() == 0 {
            Proto::Tcp
        } else {
            Proto::Udp
        };
        let rule = portfwd::parse_rule_input(
            proto,
            &text(&host_address),
            &text(&host_port),
            &text(&guest_ip),
            &text(&guest_port),
        )
        .map_err(|e| e.to_string())?;
        send(PortForwardCommand::Add {
            network: network.clone(),
            rule,
        });
        Ok(())
    });
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_range_skips_network_gateway_and_broadcast() {
        assert_eq!(
            default_range("192.168.100.0/24"),
            Some(("192.168.100.2".into(), "192.168.100.254".into()))
        );
        assert_eq!(
            default_range("10.0.0.0/30"),
            Some(("10.0.0.2".into(), "10.0.0.2".into()))
        );
        assert_eq!(default_range("10.0.0.0/31"), None);
        assert_eq!(default_range("nonsense"), None);
    }
}
