//! The Networks page: the host's virtual networks, and a network's page with its details,
//! actions, DHCP range and reservations, current leases, and port forwarding.
//!
//! Commands go through the connection worker (`Command::Network`,
//! `Command::PortForward`); a change answers with `Done` and a fresh list or state, which
//! replace what is shown. An open form waits for that `Done` and shows a refusal inline.

mod net_view;

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::backend::networks::{NetAction, NetworkCommand, NetworkEvent, NetworkInfo};
use crate::backend::portfwd::{ForwardRule, PortForwardCommand, PortForwardEvent};
use crate::backend::xml_define::XmlKind;
use crate::backend::{BackendError, Command};
use crate::i18n::{gettext_f, ngettext_f};
use crate::ui::dialogs::confirm::{self, Question};
use crate::ui::dialogs::form::FormDialog;
use crate::ui::dialogs::networks as forms;
use crate::ui::widgets::host_list::{HostList, ListTexts};
use crate::ui::widgets::host_page::esc;

#[derive(Debug)]
pub enum NetworksMsg {
    Network(NetworkEvent),
    PortForward(PortForwardEvent),
    /// The page came on screen: read the networks.
    Shown,
    Folded(bool),
    Open(String),
    Close,
    New,
    Action(NetAction),
    Delete,
    EditXml,
    EditRange,
    AddHost,
    RemoveHost(String),
    Leases,
    AddRule,
    RemoveRule(ForwardRule),
    InstallHook,
}

#[derive(Debug)]
pub enum NetworksOutput {
    Send(Command),
    Toast(String, bool),
    ShowSidebar,
    EditXml(XmlKind),
}

pub struct NetworksPage {
    networks: Vec<NetworkInfo>,
    bridges: Vec<String>,
    open: Option<String>,
    list: HostList,
    view: net_view::NetView,
    form: Option<FormDialog>,
    /// A network asked for before the list arrived (from the dashboard).
    pending_open: Option<String>,
}

pub struct NetworksWidgets {}

/// "NAT · virbr0 · 192.168.122.0/24 · 2 machines".
fn summary(net: &NetworkInfo) -> String {
    let mut parts = vec![net.mode.label()];
    if let Some(b) = &net.bridge {
        parts.push(b.clone());
    }
    for ip in [&net.ipv4, &net.ipv6].into_iter().flatten() {
        parts.push(ip.subnet().to_string());
    }
    if !net.active {
        parts.push(gettext("Inactive"));
    }
    if net.autostart {
        parts.push(gettext("starts with the host"));
    }
    if !net.vms.is_empty() {
        parts.push(ngettext_f(
            "{n} machine",
            "{n} machines",
            net.vms.len() as u32,
            &[("n", &net.vms.len().to_string())],
        ));
    }
    parts.join(" · ")
}

impl NetworksPage {
    fn window(&self) -> Option<gtk::Window> {
        self.list.window()
    }

    fn open_network(&self) -> Option<&NetworkInfo> {
        let name = self.open.as_deref()?;
        self.networks.iter().find(|n| n.name == name)
    }

    fn net_sender(sender: &ComponentSender<Self>) -> Rc<dyn Fn(NetworkCommand)> {
        let sender = sender.clone();
        Rc::new(move |cmd| {
            let _ = sender.output(NetworksOutput::Send(Command::Network(cmd)));
        })
    }

    fn pf_sender(sender: &ComponentSender<Self>) -> Rc<dyn Fn(PortForwardCommand)> {
        let sender = sender.clone();
        Rc::new(move |cmd| {
            let _ = sender.output(NetworksOutput::Send(Command::PortForward(cmd)));
        })
    }

    fn send(&self, sender: &ComponentSender<Self>, cmd: NetworkCommand) {
        Self::net_sender(sender)(cmd);
    }

    fn present(&mut self, form: FormDialog) {
        form.present(None::<&gtk::Widget>);
        self.form = Some(form);
    }

    /// A change's outcome: the waiting form closes or shows why; otherwise a toast.
    fn done(
        &mut self,
        message: String,
        result: Result<(), BackendError>,
        sender: &ComponentSender<Self>,
    ) {
        let waiting = self.form.as_ref().filter(|f| f.waiting()).cloned();
        let toast = match (result, waiting) {
            (Ok(()), Some(form)) => {
                form.finish(Ok(()));
                self.form = None;
                Some((message, false))
            }
            (Err(e), Some(form)) => {
                form.finish(Err(e.to_string()));
                None
            }
            (Ok(()), None) => Some((message, false)),
            (Err(e), None) => Some((format!("{message}: {e}"), true)),
        };
        if let Some((text, error)) = toast {
            let _ = sender.output(NetworksOutput::Toast(text, error));
        }
    }

    fn show_list(&mut self, sender: &ComponentSender<Self>) {
        let rows = self
            .networks
            .iter()
            .map(|net| {
                let row = adw::ActionRow::builder()
                    .title(esc(&net.name))
                    .subtitle(esc(&summary(net)))
                    .activatable(true)
                    .build();
                row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
                let sender = sender.clone();
                let name = net.name.clone();
                row.connect_activated(move |_| sender.input(NetworksMsg::Open(name.clone())));
                row
            })
            .collect();
        self.list.set_rows(rows);
        if self.open.is_none() {
            self.list.show_list();
        }
    }

    fn on_network(&mut self, event: NetworkEvent, sender: &ComponentSender<Self>) {
        match event {
            NetworkEvent::List(Ok(list)) => {
                self.networks = list;
                self.show_list(sender);
                if let Some(name) = self.pending_open.take() {
                    sender.input(NetworksMsg::Open(name));
                }
                match self.open_network().cloned() {
                    Some(net) => self.view.show_network(&net),
                    None if self.open.is_some() => sender.input(NetworksMsg::Close),
                    None => {}
                }
            }
            NetworkEvent::List(Err(e)) => {
                let _ = sender.output(NetworksOutput::Toast(
                    gettext_f(
                        "Could not read the networks: {error}",
                        &[("error", &e.to_string())],
                    ),
                    true,
                ));
            }
            NetworkEvent::Done { message, result } => {
                self.done(message, result, sender);
                if let Some(name) = self.open.clone() {
                    self.send(sender, NetworkCommand::Leases { name });
                }
            }
            NetworkEvent::HostFacts(Ok(facts)) => self.bridges = facts.bridges,
            NetworkEvent::HostFacts(Err(e)) => log::warn!("host bridges: {e}"),
            NetworkEvent::Leases { name, result } => {
                if self.open.as_deref() == Some(name.as_str()) {
                    self.view.show_leases(result.map_err(|e| e.to_string()));
                }
            }
        }
    }

    fn on_port_forward(&mut self, event: PortForwardEvent, sender: &ComponentSender<Self>) {
        match event {
            PortForwardEvent::State(Ok(state)) => {
                if self.open.as_deref() == Some(state.network.as_str()) {
                    self.view.show_forwards(&state);
                }
            }
            PortForwardEvent::State(Err(e)) => self.view.forwards_failed(&e.to_string()),
            PortForwardEvent::Done { message, result } => self.done(message, result, sender),
        }
    }

    fn confirm_delete(&self, sender: &ComponentSender<Self>) {
        let (Some(net), Some(parent)) = (self.open_network(), self.window()) else {
            return;
        };
        let body = if net.vms.is_empty() {
            gettext("No machine uses it.")
        } else {
            gettext_f(
                "These machines use it and lose their connection: {names}.",
                &[("names", &net.vms.join(", "))],
            )
        };
        let send = Self::net_sender(sender);
        let name = net.name.clone();
        confirm::ask(
            &parent,
            Question {
                heading: &gettext_f("Delete “{name}”?", &[("name", &net.name)]),
                body: &body,
                accept: &gettext("Delete"),
                destructive: true,
                extra: None,
            },
            move || send(NetworkCommand::Delete { name: name.clone() }),
        );
    }

    fn confirm_install_hook(&self, sender: &ComponentSender<Self>) {
        let Some(parent) = self.window() else { return };
        let send = Self::pf_sender(sender);
        confirm::ask(
            &parent,
            Question {
                heading: &gettext("Install the Port Forwarding Hook?"),
                body: &gettext(
                "libvirt has no port forwarding for NAT networks. KVM Manager adds it with a hook program that libvirt runs as root whenever a network starts, changes or stops: it sets up the firewall rules of the network’s forwarding rules and removes them again.\n\nInstalling it writes to /etc/libvirt/hooks/network.d and needs administrator rights: you may be asked for your password.",
            ),
                accept: &gettext("Install"),
                destructive: false,
                extra: None,
            },
            move || send(PortForwardCommand::InstallHook),
        );
    }
}

impl Component for NetworksPage {
    type Init = ();
    type Input = NetworksMsg;
    type Output = NetworksOutput;
    type CommandOutput = ();
    type Root = gtk::Box;
    type Widgets = NetworksWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: gtk::Box, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let view = net_view::NetView::new(&sender);
        let list = HostList::new(
            ListTexts {
                title: &gettext("Networks"),
                heading: &gettext("Virtual Networks"),
                add: &gettext("New Virtual Network"),
                empty_icon: "network-workgroup-symbolic",
                empty_title: &gettext("No Virtual Networks"),
                empty_description: &gettext(
                    "A virtual network connects machines with each other and with the host: behind NAT, routed, isolated, or on a bridge of the host.",
                ),
            },
            view.widget(),
            "network",
            {
                let sender = sender.clone();
                move || {
                    let _ = sender.output(NetworksOutput::ShowSidebar);
                }
            },
            {
                let sender = sender.clone();
                move || sender.input(NetworksMsg::New)
            },
        );
        root.append(list.widget());

        ComponentParts {
            model: NetworksPage {
                networks: Vec::new(),
                bridges: Vec::new(),
                open: None,
                list,
                view,
                form: None,
                pending_open: None,
            },
            widgets: NetworksWidgets {},
        }
    }

    fn update(&mut self, msg: NetworksMsg, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            NetworksMsg::Network(e) => self.on_network(e, &sender),
            NetworksMsg::PortForward(e) => self.on_port_forward(e, &sender),
            NetworksMsg::Shown => {
                self.send(&sender, NetworkCommand::List);
                self.send(&sender, NetworkCommand::HostFacts);
            }
            NetworksMsg::Folded(folded) => self.list.set_folded(folded),
            NetworksMsg::Open(name) => {
                let Some(net) = self.networks.iter().find(|n| n.name == name).cloned() else {
                    self.pending_open = Some(name);
                    return;
                };
                self.pending_open = None;
                self.open = Some(name.clone());
                self.view.show_network(&net);
                self.list.show_detail();
                self.send(&sender, NetworkCommand::Leases { name: name.clone() });
                Self::pf_sender(&sender)(PortForwardCommand::Get { network: name });
            }
            NetworksMsg::Close => {
                self.open = None;
                self.list.show_list();
            }
            NetworksMsg::New => {
                if let Some(parent) = self.window() {
                    let form = forms::new_network(
                        &parent,
                        &self.networks,
                        &self.bridges,
                        Self::net_sender(&sender),
                    );
                    self.present(form);
                }
            }
            NetworksMsg::Action(action) => {
                if let Some(name) = self.open.clone() {
                    self.send(&sender, NetworkCommand::Action { name, action });
                }
            }
            NetworksMsg::Delete => self.confirm_delete(&sender),
            NetworksMsg::EditXml => {
                if let Some(name) = self.open.clone() {
                    let _ = sender.output(NetworksOutput::EditXml(XmlKind::Network { name }));
                }
            }
            NetworksMsg::EditRange | NetworksMsg::AddHost => {
                if let (Some(net), Some(parent)) = (self.open_network().cloned(), self.window()) {
                    let send = Self::net_sender(&sender);
                    let form = if matches!(msg, NetworksMsg::EditRange) {
                        forms::dhcp_range(&parent, &net, send)
                    } else {
                        forms::dhcp_host(&parent, &net, send)
                    };
                    self.present(form);
                }
            }
            NetworksMsg::RemoveHost(mac) => {
                if let Some(name) = self.open.clone() {
                    self.send(&sender, NetworkCommand::RemoveDhcpHost { name, mac });
                }
            }
            NetworksMsg::Leases => {
                if let Some(name) = self.open.clone() {
                    self.send(&sender, NetworkCommand::Leases { name });
                }
            }
            NetworksMsg::AddRule => {
                if let (Some(name), Some(parent)) = (self.open.clone(), self.window()) {
                    let form = forms::forward_rule(&parent, &name, Self::pf_sender(&sender));
                    self.present(form);
                }
            }
            NetworksMsg::RemoveRule(rule) => {
                if let Some(network) = self.open.clone() {
                    Self::pf_sender(&sender)(PortForwardCommand::Remove { network, rule });
                }
            }
            NetworksMsg::InstallHook => self.confirm_install_hook(&sender),
        }
    }
}
