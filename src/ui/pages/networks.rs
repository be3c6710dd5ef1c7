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
use crate::ui::a11y;
use crate::ui::dialogs::form::FormDialog;
use crate::ui::dialogs::networks as forms;
use crate::ui::widgets::host_page::{self, esc};

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
    stack: gtk::Stack,
    list_group: adw::PreferencesGroup,
    list_rows: Vec<gtk::Widget>,
    list_back: gtk::Button,
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
        self.stack.root().and_downcast::<gtk::Window>()
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
        host_page::clear_rows(&self.list_group, &mut self.list_rows);
        for net in &self.networks {
            let row = adw::ActionRow::builder()
                .title(esc(&net.name))
                .subtitle(esc(&summary(net)))
                .activatable(true)
                .build();
            row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
            let sender = sender.clone();
            let name = net.name.clone();
            row.connect_activated(move |_| sender.input(NetworksMsg::Open(name.clone())));
            self.list_group.add(&row);
            self.list_rows.push(row.upcast());
        }
        if self.open.is_none() {
            a11y::show_only(
                &self.stack,
                if self.networks.is_empty() {
                    "empty"
                } else {
                    "list"
                },
            );
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
        let dialog = adw::MessageDialog::builder()
            .transient_for(&parent)
            .modal(true)
            .heading(gettext_f("Delete “{name}”?", &[("name", &net.name)]))
            .body(body)
            .close_response("cancel")
            .default_response("cancel")
            .build();
        dialog.add_responses(&[
            ("cancel", &gettext("Cancel")),
            ("delete", &gettext("Delete")),
        ]);
        dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
        let send = Self::net_sender(sender);
        let name = net.name.clone();
        dialog.connect_response(None, move |_, response| {
            if response == "delete" {
                send(NetworkCommand::Delete { name: name.clone() });
            }
        });
        a11y::undouble_button_names(&dialog);
        dialog.present();
    }

    fn confirm_install_hook(&self, sender: &ComponentSender<Self>) {
        let Some(parent) = self.window() else { return };
        let dialog = adw::MessageDialog::builder()
            .transient_for(&parent)
            .modal(true)
            .heading(gettext("Install the Port Forwarding Hook?"))
            .body(gettext(
                "libvirt has no port forwarding for NAT networks. KVM Manager adds it with a hook program that libvirt runs as root whenever a network starts, changes or stops: it sets up the firewall rules of the network’s forwarding rules and removes them again.\n\nInstalling it writes to /etc/libvirt/hooks/network.d and needs administrator rights: you may be asked for your password.",
            ))
            .close_response("cancel")
            .default_response("install")
            .build();
        dialog.add_responses(&[
            ("cancel", &gettext("Cancel")),
            ("install", &gettext("Install")),
        ]);
        dialog.set_response_appearance("install", adw::ResponseAppearance::Suggested);
        let send = Self::pf_sender(sender);
        dialog.connect_response(None, move |_, response| {
            if response == "install" {
                send(PortForwardCommand::InstallHook);
            }
        });
        a11y::undouble_button_names(&dialog);
        dialog.present();
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
        let title = adw::WindowTitle::new(&gettext("Networks"), "");
        let (header, list_back) = host_page::header(&title);
        list_back.set_visible(false);
        {
            let sender = sender.clone();
            list_back.connect_clicked(move |_| {
                let _ = sender.output(NetworksOutput::ShowSidebar);
            });
        }
        let add = a11y::icon_button("list-add-symbolic", &gettext("New Virtual Network"));
        {
            let sender = sender.clone();
            add.connect_clicked(move |_| sender.input(NetworksMsg::New));
        }
        header.pack_start(&add);
        let (scroll, column) = host_page::scrolled_column();
        let list_group = adw::PreferencesGroup::builder()
            .title(gettext("Virtual Networks"))
            .build();
        column.append(&list_group);
        let list_page = gtk::Box::new(gtk::Orientation::Vertical, 0);
        list_page.append(&header);
        list_page.append(&scroll);

        let new_net = gtk::Button::builder()
            .label(gettext("New Virtual Network…"))
            .halign(gtk::Align::Center)
            .css_classes(["pill", "suggested-action"])
            .build();
        {
            let sender = sender.clone();
            new_net.connect_clicked(move |_| sender.input(NetworksMsg::New));
        }
        let empty = adw::StatusPage::builder()
            .icon_name("network-workgroup-symbolic")
            .title(gettext("No Virtual Networks"))
            .description(gettext(
                "A virtual network connects machines with each other and with the host: behind NAT, routed, isolated, or on a bridge of the host.",
            ))
            .child(&new_net)
            .vexpand(true)
            .build();
        let (empty_header, empty_back) =
            host_page::header(&adw::WindowTitle::new(&gettext("Networks"), ""));
        list_back
            .bind_property("visible", &empty_back, "visible")
            .sync_create()
            .build();
        {
            let sender = sender.clone();
            empty_back.connect_clicked(move |_| {
                let _ = sender.output(NetworksOutput::ShowSidebar);
            });
        }
        let empty_page = gtk::Box::new(gtk::Orientation::Vertical, 0);
        empty_page.append(&empty_header);
        empty_page.append(&empty);

        let view = net_view::NetView::new(&sender);
        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::SlideLeftRight)
            .build();
        stack.add_named(&list_page, Some("list"));
        stack.add_named(&empty_page, Some("empty"));
        stack.add_named(view.widget(), Some("network"));
        a11y::hide_other_pages(&stack);
        root.append(&stack);

        ComponentParts {
            model: NetworksPage {
                networks: Vec::new(),
                bridges: Vec::new(),
                open: None,
                stack,
                list_group,
                list_rows: Vec::new(),
                list_back,
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
            NetworksMsg::Folded(folded) => self.list_back.set_visible(folded),
            NetworksMsg::Open(name) => {
                let Some(net) = self.networks.iter().find(|n| n.name == name).cloned() else {
                    self.pending_open = Some(name);
                    return;
                };
                self.pending_open = None;
                self.open = Some(name.clone());
                self.view.show_network(&net);
                a11y::show_only(&self.stack, "network");
                self.send(&sender, NetworkCommand::Leases { name: name.clone() });
                Self::pf_sender(&sender)(PortForwardCommand::Get { network: name });
            }
            NetworksMsg::Close => {
                self.open = None;
                a11y::show_only(
                    &self.stack,
                    if self.networks.is_empty() {
                        "empty"
                    } else {
                        "list"
                    },
                );
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
