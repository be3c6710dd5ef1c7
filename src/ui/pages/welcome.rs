//! Shown when there is no connection: why (no daemon, refused, bad URI), and the ways
//! on: the built-in demo connection, or a URI typed by the user.

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::backend::DEMO_URI;
use crate::i18n::gettext_f;
use crate::ui::a11y;

#[derive(Debug)]
pub enum WelcomeMsg {
    /// Show why we are not connected (title, explanation).
    Show {
        title: String,
        description: String,
        uri: String,
    },
    /// Connecting to this URI.
    Connecting(String),
    /// The typed URI is wrong; show this next to the entry.
    UriError(String),
    Submit,
}

#[derive(Debug)]
pub enum WelcomeOutput {
    Connect(String),
}

pub struct WelcomePage {
    status: adw::StatusPage,
    stack: gtk::Stack,
    connecting: adw::StatusPage,
    entry: adw::EntryRow,
    error: gtk::Label,
}

pub struct WelcomeWidgets {}

impl Component for WelcomePage {
    type Init = gtk::MenuButton;
    type Input = WelcomeMsg;
    type Output = WelcomeOutput;
    type CommandOutput = ();
    type Root = gtk::Box;
    type Widgets = WelcomeWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(
        menu: gtk::MenuButton,
        root: gtk::Box,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let header = adw::HeaderBar::builder()
            .title_widget(&adw::WindowTitle::new(&gettext("KVM Manager"), ""))
            .build();
        header.pack_end(&menu);

        let demo = gtk::Button::builder()
            .label(gettext("Open Demo Connection"))
            .halign(gtk::Align::Center)
            .css_classes(["pill", "suggested-action"])
            .build();
        demo.set_tooltip_text(Some(&gettext(
            "A simulated host with sample machines; nothing you do there touches a real machine",
        )));
        {
            let sender = sender.clone();
            demo.connect_clicked(move |_| {
                let _ = sender.output(WelcomeOutput::Connect(DEMO_URI.to_string()));
            });
        }
        let entry = adw::EntryRow::builder()
            .title(gettext("Connection URI"))
            .show_apply_button(true)
            .build();
        {
            let sender1 = sender.clone();
            entry.connect_apply(move |_| sender1.input(WelcomeMsg::Submit));
            let sender2 = sender.clone();
            entry.connect_entry_activated(move |_| sender2.input(WelcomeMsg::Submit));
        }
        let connect = gtk::Button::builder()
            .label(gettext("Connect"))
            .halign(gtk::Align::End)
            .build();
        {
            let sender = sender.clone();
            connect.connect_clicked(move |_| sender.input(WelcomeMsg::Submit));
        }
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Other Connection"))
            .description(gettext(
                "For example qemu:///system, qemu+ssh://user@host/system or test:///default",
            ))
            .build();
        group.add(&entry);
        let error = gtk::Label::builder()
            .css_classes(["error"])
            .wrap(true)
            .xalign(0.0)
            .visible(false)
            .build();
        let column = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(18)
            .build();
        column.append(&demo);
        column.append(&group);
        column.append(&error);
        column.append(&connect);
        let clamp = adw::Clamp::builder()
            .maximum_size(480)
            .child(&column)
            .build();

        let status = adw::StatusPage::builder()
            .icon_name("network-offline-symbolic")
            .child(&clamp)
            .vexpand(true)
            .build();
        let connecting = adw::StatusPage::builder()
            .child(
                &gtk::Spinner::builder()
                    .spinning(true)
                    .width_request(32)
                    .height_request(32)
                    .build(),
            )
            .vexpand(true)
            .build();
        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::Crossfade)
            .build();
        stack.add_named(
            &gtk::ScrolledWindow::builder().child(&status).build(),
            Some("status"),
        );
        stack.add_named(&connecting, Some("connecting"));
        a11y::hide_other_pages(&stack);
        root.append(&header);
        root.append(&stack);

        let model = WelcomePage {
            status,
            stack,
            connecting,
            entry,
            error,
        };
        ComponentParts {
            model,
            widgets: WelcomeWidgets {},
        }
    }

    fn update(&mut self, msg: WelcomeMsg, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            WelcomeMsg::Show {
                title,
                description,
                uri,
            } => {
                self.status.set_title(&title);
                self.status.set_description(Some(&description));
                if self.entry.text().is_empty() {
                    self.entry.set_text(&uri);
                }
                a11y::show_only(&self.stack, "status");
            }
            WelcomeMsg::Connecting(uri) => {
                self.connecting
                    .set_title(&gettext_f("Connecting to {uri}…", &[("uri", &uri)]));
                self.error.set_visible(false);
                self.entry.remove_css_class("error");
                a11y::show_only(&self.stack, "connecting");
            }
            WelcomeMsg::UriError(text) => {
                self.error.set_text(&text);
                self.error.set_visible(true);
                self.entry.add_css_class("error");
                a11y::show_only(&self.stack, "status");
                self.entry.grab_focus();
            }
            WelcomeMsg::Submit => {
                let uri = self.entry.text().trim().to_string();
                if uri.is_empty() {
                    sender.input(WelcomeMsg::UriError(gettext(
                        "Type a libvirt URI, for example qemu:///system.",
                    )));
                } else if !uri.contains(":/") {
                    sender.input(WelcomeMsg::UriError(gettext_f(
                        "“{uri}” is not a libvirt URI. A URI looks like driver:///path, for example qemu:///system.",
                        &[("uri", &uri)],
                    )));
                } else {
                    let _ = sender.output(WelcomeOutput::Connect(uri));
                }
            }
        }
    }
}
