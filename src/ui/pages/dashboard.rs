//! The dashboard: the host of the connection, its performance (live and history, through
//! the shared [`PerfView`]), how many VMs are in each state, its networks and pools.

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use std::rc::Rc;

use crate::backend::networks::NetworkInfo;
use crate::backend::storage::PoolInfo;
use crate::backend::xml_define::XmlKind;
use crate::backend::{HostInfo, VmState};
use crate::i18n::{gettext_f, ngettext_f};
use crate::ui::widgets::host_objects::HostObjects;
use crate::ui::widgets::info_group::InfoGroup;
use crate::ui::widgets::perf_view::PerfView;
use crate::ui::{a11y, format};

#[derive(Debug)]
pub enum DashboardMsg {
    Host(Box<HostInfo>),
    Counts(Vec<(VmState, usize)>),
    /// The host's networks and pools (what the creation wizard is offered too).
    /// The host's virtual networks (the Networks page's list).
    Networks(Vec<NetworkInfo>),
    /// The host's storage pools (the Storage page's list).
    Pools(Vec<PoolInfo>),
    Folded(bool),
}

#[derive(Debug)]
pub enum DashboardOutput {
    ShowSidebar,
    EditXml(XmlKind),
    /// Show a network's or pool's page.
    Open(XmlKind),
}

pub struct DashboardPage {
    title: adw::WindowTitle,
    back: gtk::Button,
    host: InfoGroup,
    cpu: InfoGroup,
    memory: InfoGroup,
    memory_bar: gtk::LevelBar,
    machines: InfoGroup,
    networks: HostObjects,
    pools: HostObjects,
}

pub struct DashboardWidgets {}

impl Component for DashboardPage {
    /// The host's performance view (the app feeds it live ticks).
    type Init = PerfView;
    type Input = DashboardMsg;
    type Output = DashboardOutput;
    type CommandOutput = ();
    type Root = gtk::Box;
    type Widgets = DashboardWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(perf: PerfView, root: gtk::Box, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let header = adw::HeaderBar::new();
        let back = a11y::icon_button("go-previous-symbolic", &gettext("Back"));
        back.set_visible(false);
        {
            let sender = sender.clone();
            back.connect_clicked(move |_| {
                let _ = sender.output(DashboardOutput::ShowSidebar);
            });
        }
        header.pack_start(&back);
        let title = adw::WindowTitle::new(&gettext("Dashboard"), "");
        header.set_title_widget(Some(&title));

        let host = InfoGroup::new(&gettext("Host"));
        let cpu = InfoGroup::new(&gettext("Processor"));
        let memory = InfoGroup::new(&gettext("Memory"));
        let memory_bar = gtk::LevelBar::builder()
            .min_value(0.0)
            .max_value(1.0)
            .margin_bottom(6)
            .build();
        a11y::set_label(&memory_bar, &gettext("Memory in use"));
        memory.widget().set_header_suffix(Some(&memory_bar));
        memory_bar.set_width_request(160);
        memory_bar.set_valign(gtk::Align::Center);
        let machines = InfoGroup::new(&gettext("Virtual Machines"));
        let edit: Rc<dyn Fn(XmlKind)> = {
            let sender = sender.clone();
            Rc::new(move |kind| {
                let _ = sender.output(DashboardOutput::EditXml(kind));
            })
        };
        let open: Rc<dyn Fn(XmlKind)> = {
            let sender = sender.clone();
            Rc::new(move |kind| {
                let _ = sender.output(DashboardOutput::Open(kind));
            })
        };
        let networks = HostObjects::new(&gettext("Virtual Networks"), edit.clone(), open.clone());
        let pools = HostObjects::new(&gettext("Storage Pools"), edit, open);

        let column = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(24)
            .margin_top(24)
            .margin_bottom(24)
            .margin_start(12)
            .margin_end(12)
            .build();
        let performance = adw::PreferencesGroup::builder()
            .title(gettext("Performance"))
            .build();
        performance.add(&perf.root);
        column.append(host.widget());
        column.append(&performance);
        for g in [&cpu, &memory, &machines] {
            column.append(g.widget());
        }
        column.append(networks.widget());
        column.append(pools.widget());
        let clamp = adw::Clamp::builder()
            .maximum_size(720)
            .child(&column)
            .build();
        let scrolled = gtk::ScrolledWindow::builder()
            .child(&clamp)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vexpand(true)
            .build();
        root.append(&header);
        root.append(&scrolled);

        let model = DashboardPage {
            title,
            back,
            host,
            cpu,
            memory,
            memory_bar,
            machines,
            networks,
            pools,
        };
        model.show_host(&HostInfo::default());
        model.show_counts(&[]);
        ComponentParts {
            model,
            widgets: DashboardWidgets {},
        }
    }

    fn update(&mut self, msg: DashboardMsg, _sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            DashboardMsg::Host(host) => self.show_host(&host),
            DashboardMsg::Counts(counts) => self.show_counts(&counts),
            DashboardMsg::Networks(list) => self.show_networks(&list),
            DashboardMsg::Pools(list) => self.show_pools(&list),
            DashboardMsg::Folded(folded) => self.back.set_visible(folded),
        }
    }
}

impl DashboardPage {
    fn show_host(&self, h: &HostInfo) {
        self.title.set_subtitle(&h.hostname);
        self.host.set_rows(vec![
            (gettext("Host name"), h.hostname.clone()),
            (gettext("Connection"), h.uri.clone()),
            (
                gettext("Hypervisor"),
                format!("{} {}", h.hypervisor, h.hypervisor_version)
                    .trim()
                    .to_string(),
            ),
            (gettext("Libvirt version"), h.libvirt_version.clone()),
        ]);
        let topology = gettext_f(
            "{sockets} × {cores} × {threads}",
            &[
                (
                    "sockets",
                    &ngettext_f(
                        "{n} socket",
                        "{n} sockets",
                        h.sockets,
                        &[("n", &h.sockets.to_string())],
                    ),
                ),
                (
                    "cores",
                    &ngettext_f(
                        "{n} core",
                        "{n} cores",
                        h.cores_per_socket,
                        &[("n", &h.cores_per_socket.to_string())],
                    ),
                ),
                (
                    "threads",
                    &ngettext_f(
                        "{n} thread",
                        "{n} threads",
                        h.threads_per_core,
                        &[("n", &h.threads_per_core.to_string())],
                    ),
                ),
            ],
        );
        self.cpu.set_rows(vec![
            (gettext("Model"), h.cpu_model.clone()),
            (gettext("Logical CPUs"), h.cpus.to_string()),
            (gettext("Topology"), topology),
            (
                gettext("Frequency"),
                gettext_f("{mhz} MHz", &[("mhz", &h.cpu_mhz.to_string())]),
            ),
        ]);
        let used = h.memory_total_kib.saturating_sub(h.memory_free_kib);
        self.memory.set_rows(vec![
            (gettext("Total"), format::kib(h.memory_total_kib)),
            (gettext("Free"), format::kib(h.memory_free_kib)),
        ]);
        let fraction = if h.memory_total_kib > 0 {
            used as f64 / h.memory_total_kib as f64
        } else {
            0.0
        };
        self.memory_bar.set_value(fraction);
        a11y::set_description(
            &self.memory_bar,
            &gettext_f(
                "{percent}% used",
                &[("percent", &format!("{:.0}", fraction * 100.0))],
            ),
        );
    }

    fn show_networks(&self, list: &[NetworkInfo]) {
        self.networks.set_rows(
            list.iter()
                .map(|n| {
                    let mut parts = vec![n.mode.label()];
                    parts.extend(n.ipv4.as_ref().map(|ip| ip.subnet().to_string()));
                    if !n.active {
                        parts.push(gettext("Inactive"));
                    }
                    let kind = XmlKind::Network {
                        name: n.name.clone(),
                    };
                    (n.name.clone(), parts.join(" · "), kind)
                })
                .collect(),
        );
    }

    fn show_pools(&self, list: &[PoolInfo]) {
        self.pools.set_rows(
            list.iter()
                .map(|p| {
                    let mut parts = vec![p.kind.label()];
                    parts.extend(p.target_path.clone().filter(|t| !t.is_empty()));
                    parts.push(if p.active {
                        gettext_f(
                            "{free} free of {size}",
                            &[
                                ("free", &format::bytes(p.available)),
                                ("size", &format::bytes(p.capacity)),
                            ],
                        )
                    } else {
                        gettext("Inactive")
                    });
                    let kind = XmlKind::Pool {
                        name: p.name.clone(),
                    };
                    (p.name.clone(), parts.join(" · "), kind)
                })
                .collect(),
        );
    }

    fn show_counts(&self, counts: &[(VmState, usize)]) {
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        let mut rows = vec![(gettext("Total"), total.to_string())];
        rows.extend(
            counts
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(s, n)| (s.label(), n.to_string())),
        );
        self.machines.set_rows(rows);
    }
}
