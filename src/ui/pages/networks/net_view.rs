//! One network's page: header (back, Start/Stop, the network menu), what it is, "Start
//! with the host", DHCP (range and reservations), leases, and port forwarding (NAT only).

use std::cell::RefCell;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use super::{NetworksMsg, NetworksPage};
use crate::backend::networks::{IpConfig, Lease, NetAction, NetMode, NetworkInfo};
use crate::backend::portfwd::{ForwardRule, PortForwards, Proto};
use crate::i18n::gettext_f;
use crate::ui::a11y;
use crate::ui::widgets::host_detail::{DetailActions, DetailFrame};
use crate::ui::widgets::host_page::{self, esc};

/// A group whose rows are replaced as a whole.
struct Rows {
    group: adw::PreferencesGroup,
    rows: RefCell<Vec<gtk::Widget>>,
}

impl Rows {
    fn new(group: adw::PreferencesGroup) -> Rows {
        Rows {
            group,
            rows: RefCell::new(Vec::new()),
        }
    }

    fn set(&self, rows: Vec<gtk::Widget>) {
        host_page::clear_rows(&self.group, &mut self.rows.borrow_mut());
        for row in rows {
            self.group.add(&row);
            self.rows.borrow_mut().push(row);
        }
    }
}

fn text_row(title: &str, subtitle: &str) -> gtk::Widget {
    let row = adw::ActionRow::builder().title(esc(title)).build();
    if !subtitle.is_empty() {
        row.set_subtitle(&esc(subtitle));
    }
    row.upcast()
}

fn property_row(title: &str, value: &str) -> gtk::Widget {
    let row = adw::ActionRow::builder()
        .title(esc(title))
        .subtitle(esc(value))
        .css_classes(["property"])
        .build();
    row.upcast()
}

/// "192.168.122.0/24, gateway 192.168.122.1".
fn subnet_text(ip: &IpConfig) -> String {
    gettext_f(
        "{subnet}, gateway {address}",
        &[
            ("subnet", &ip.subnet().to_string()),
            ("address", &ip.address.to_string()),
        ],
    )
}

pub fn rule_text(rule: &ForwardRule) -> String {
    let proto = match rule.proto {
        Proto::Tcp => gettext("TCP"),
        Proto::Udp => gettext("UDP"),
    };
    let host = match rule.host_address {
        Some(a) => format!("{a}:{}", rule.host_port),
        None => gettext_f("port {port}", &[("port", &rule.host_port.to_string())]),
    };
    format!("{proto} {host} → {}:{}", rule.guest_ip, rule.guest_port)
}

pub struct NetView {
    frame: DetailFrame,
    sender: ComponentSender<NetworksPage>,
    info: Rows,
    dhcp: Rows,
    leases: Rows,
    forwards: Rows,
    add_rule: gtk::Button,
}

fn flat_text_button(label: &str) -> gtk::Button {
    gtk::Button::builder()
        .label(label)
        .css_classes(["flat"])
        .valign(gtk::Align::Center)
        .build()
}

impl NetView {
    pub fn new(sender: &ComponentSender<NetworksPage>) -> NetView {
        let menu = host_page::row_menu(
            &gettext("Network Menu"),
            "net",
            "",
            &[
                &[(gettext("Edit XML…"), "xml")],
                &[(gettext("Delete…"), "delete")],
            ],
        );
        let (s1, s2, s3) = (sender.clone(), sender.clone(), sender.clone());
        let frame = DetailFrame::new(
            &menu,
            DetailActions {
                back: Box::new(move || s1.input(NetworksMsg::Close)),
                run: Box::new(move |start| {
                    s2.input(NetworksMsg::Action(if start {
                        NetAction::Start
                    } else {
                        NetAction::Stop
                    }))
                }),
                autostart: Box::new(move |on| {
                    s3.input(NetworksMsg::Action(NetAction::Autostart(on)))
                }),
            },
        );
        let info = adw::PreferencesGroup::new();

        let add_host = flat_text_button(&gettext("Add Reservation…"));
        let s = sender.clone();
        add_host.connect_clicked(move |_| s.input(NetworksMsg::AddHost));
        let dhcp = adw::PreferencesGroup::builder()
            .title(gettext("DHCP"))
            .header_suffix(&add_host)
            .build();

        let refresh =
            host_page::flat_icon_button("view-refresh-symbolic", &gettext("Refresh Leases"));
        let s = sender.clone();
        refresh.connect_clicked(move |_| s.input(NetworksMsg::Leases));
        let leases = adw::PreferencesGroup::builder()
            .title(gettext("Leases"))
            .description(gettext(
                "Addresses the network’s DHCP server has handed out",
            ))
            .header_suffix(&refresh)
            .build();

        let add_rule = flat_text_button(&gettext("Add Rule…"));
        let s = sender.clone();
        add_rule.connect_clicked(move |_| s.input(NetworksMsg::AddRule));
        let forwards = adw::PreferencesGroup::builder()
            .title(gettext("Port Forwarding"))
            .description(gettext(
                "Connections to a port of the host reach a machine behind NAT",
            ))
            .header_suffix(&add_rule)
            .build();

        for group in [&info, &frame.options, &dhcp, &leases, &forwards] {
            frame.column.append(group);
        }
        let handlers: host_page::Handlers = vec![
            ("xml", {
                let s = sender.clone();
                Box::new(move |_| s.input(NetworksMsg::EditXml))
            }),
            ("delete", {
                let s = sender.clone();
                Box::new(move |_| s.input(NetworksMsg::Delete))
            }),
        ];
        host_page::install_actions(frame.widget(), "net", handlers);
        NetView {
            frame,
            sender: sender.clone(),
            info: Rows::new(info),
            dhcp: Rows::new(dhcp),
            leases: Rows::new(leases),
            forwards: Rows::new(forwards),
            add_rule,
        }
    }

    pub fn widget(&self) -> &gtk::Box {
        self.frame.widget()
    }

    pub fn show_network(&self, net: &NetworkInfo) {
        self.frame
            .set_state(&net.name, &net.mode.label(), net.active, net.autostart);

        let mut rows = vec![
            property_row(&gettext("Mode"), &net.mode.label()),
            property_row(
                &gettext("State"),
                &if net.active {
                    gettext("Active")
                } else {
                    gettext("Inactive")
                },
            ),
        ];
        if let Some(b) = &net.bridge {
            rows.push(property_row(&gettext("Bridge"), b));
        }
        if let Some(dev) = &net.forward_dev {
            rows.push(property_row(&gettext("Through"), dev));
        }
        if let Some(ip) = &net.ipv4 {
            rows.push(property_row(&gettext("IPv4"), &subnet_text(ip)));
        }
        if let Some(ip) = &net.ipv6 {
            rows.push(property_row(&gettext("IPv6"), &subnet_text(ip)));
        }
        if let Some(d) = &net.domain {
            rows.push(property_row(&gettext("DNS domain"), d));
        }
        rows.push(property_row(
            &gettext("Machines"),
            &if net.vms.is_empty() {
                gettext("None")
            } else {
                net.vms.join(", ")
            },
        ));
        self.info.set(rows);
        self.show_dhcp(net);
        self.forwards.group.set_visible(net.mode == NetMode::Nat);
        self.leases
            .group
            .set_visible(net.ipv4.is_some() || net.ipv6.is_some());
    }

    fn show_dhcp(&self, net: &NetworkInfo) {
        let Some(ip) = &net.ipv4 else {
            self.dhcp.group.set_visible(false);
            return;
        };
        self.dhcp.group.set_visible(true);
        let mut rows = Vec::new();
        let range = adw::ActionRow::builder().title(gettext("Range")).build();
        match ip.dhcp_ranges.first() {
            Some((s, e)) => range.set_subtitle(&format!("{s} – {e}")),
            None => range.set_subtitle(&gettext("DHCP is off")),
        }
        let change = flat_text_button(&gettext("Change…"));
        a11y::set_label(&change, &gettext("Change the DHCP Range"));
        let s = self.sender.clone();
        change.connect_clicked(move |_| s.input(NetworksMsg::EditRange));
        range.add_suffix(&change);
        rows.push(range.upcast());
        for host in &ip.hosts {
            let title = match &host.name {
                Some(n) => format!("{} ({n})", host.ip),
                None => host.ip.to_string(),
            };
            let row = adw::ActionRow::builder()
                .title(esc(&title))
                .subtitle(esc(&gettext_f("Reserved for {mac}", &[("mac", &host.mac)])))
                .build();
            let remove = host_page::flat_icon_button(
                "user-trash-symbolic",
                &gettext_f("Remove the reservation of {mac}", &[("mac", &host.mac)]),
            );
            let (s, mac) = (self.sender.clone(), host.mac.clone());
            remove.connect_clicked(move |_| s.input(NetworksMsg::RemoveHost(mac.clone())));
            row.add_suffix(&remove);
            rows.push(row.upcast());
        }
        self.dhcp.set(rows);
    }

    pub fn show_leases(&self, leases: Result<Vec<Lease>, String>) {
        let rows = match leases {
            Ok(list) if list.is_empty() => vec![text_row(&gettext("No leases"), "")],
            Ok(list) => list
                .iter()
                .map(|l| {
                    let title = match &l.hostname {
                        Some(h) => format!("{} ({h})", l.ip),
                        None => l.ip.clone(),
                    };
                    let expiry = l
                        .expiry
                        .and_then(|t| gtk::glib::DateTime::from_unix_local(t).ok())
                        .and_then(|d| d.format("%x %X").ok())
                        .map(|d| gettext_f("until {time}", &[("time", &d)]))
                        .unwrap_or_default();
                    let subtitle = if expiry.is_empty() {
                        l.mac.clone()
                    } else {
                        format!("{} · {expiry}", l.mac)
                    };
                    text_row(&title, &subtitle)
                })
                .collect(),
            Err(e) => vec![text_row(&gettext("Leases are not available"), &e)],
        };
        self.leases.set(rows);
    }

    pub fn show_forwards(&self, state: &PortForwards) {
        self.forwards.group.set_visible(state.nat);
        self.add_rule.set_sensitive(state.nat);
        let mut rows = Vec::new();
        let hook = adw::ActionRow::builder()
            .title(gettext("Forwarding hook"))
            .build();
        if state.hook.installed && state.hook.current && !state.hook.needs_daemon_restart {
            hook.set_subtitle(&gettext("Installed: libvirt applies the rules"));
        } else {
            hook.set_subtitle(&esc(&if !state.hook.installed {
                gettext("Not installed: rules are kept but not applied")
            } else if state.hook.needs_daemon_restart {
                gettext("Installed, but libvirt has not loaded it yet: restart the libvirt daemon")
            } else {
                gettext("An older version is installed: install this one")
            }));
            let install = flat_text_button(&gettext("Install…"));
            a11y::set_label(&install, &gettext("Install the Forwarding Hook"));
            let s = self.sender.clone();
            install.connect_clicked(move |_| s.input(NetworksMsg::InstallHook));
            hook.add_suffix(&install);
        }
        rows.push(hook.upcast());
        for rs in &state.rules {
            let status = if rs.active {
                gettext("Active")
            } else if !state.network_active {
                gettext("Not active: the network is stopped")
            } else {
                gettext("Not active")
            };
            let row = adw::ActionRow::builder()
                .title(esc(&rule_text(&rs.rule)))
                .subtitle(esc(&status))
                .build();
            let remove = host_page::flat_icon_button(
                "user-trash-symbolic",
                &gettext_f(
                    "Remove the rule “{rule}”",
                    &[("rule", &rule_text(&rs.rule))],
                ),
            );
            let (s, rule) = (self.sender.clone(), rs.rule);
            remove.connect_clicked(move |_| s.input(NetworksMsg::RemoveRule(rule)));
            row.add_suffix(&remove);
            rows.push(row.upcast());
        }
        self.forwards.set(rows);
    }

    pub fn forwards_failed(&self, error: &str) {
        self.forwards.set(vec![text_row(
            &gettext("Port forwarding is not available"),
            error,
        )]);
    }
}
