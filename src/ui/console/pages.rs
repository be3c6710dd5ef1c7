//! The console view's stack: the console itself (display or terminal) and the pages for
//! every state it can be in, each with the one action that helps.

use std::rc::Weak;

use adw::prelude::*;
use gettextrs::gettext;

use super::view::Inner;
use crate::i18n::gettext_f;
use crate::ui::a11y;

pub(super) struct StatePages {
    pub stack: gtk::Stack,
    connecting: gtk::Label,
    stopped: adw::StatusPage,
    none_serial: gtk::Button,
    lost: adw::StatusPage,
    take_over: gtk::Button,
    auth_page: adw::StatusPage,
    user: adw::EntryRow,
    password: adw::PasswordEntryRow,
    auth_error: gtk::Label,
    scroller: gtk::ScrolledWindow,
    grab_hint: gtk::Revealer,
    terminal: gtk::Box,
}

fn pill(label: &str, suggested: bool) -> gtk::Button {
    let button = gtk::Button::builder()
        .label(label)
        .halign(gtk::Align::Center)
        .css_classes(["pill"])
        .build();
    if suggested {
        button.add_css_class("suggested-action");
    }
    button
}

fn on_click(button: &gtk::Button, view: &Weak<Inner>, f: impl Fn(&std::rc::Rc<Inner>) + 'static) {
    let view = view.clone();
    button.connect_clicked(move |_| {
        if let Some(inner) = view.upgrade() {
            f(&inner);
        }
    });
}

impl StatePages {
    pub fn new(view: Weak<Inner>) -> StatePages {
        let stack = gtk::Stack::builder()
            .vexpand(true)
            .hexpand(true)
            .transition_type(gtk::StackTransitionType::Crossfade)
            .build();

        let idle = adw::StatusPage::builder()
            .icon_name("video-display-symbolic")
            .build();

        let spinner = gtk::Spinner::builder()
            .spinning(true)
            .width_request(32)
            .height_request(32)
            .build();
        let connecting = gtk::Label::builder().css_classes(["dim-label"]).build();
        let connecting_box = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(12)
            .halign(gtk::Align::Center)
            .valign(gtk::Align::Center)
            .build();
        connecting_box.append(&spinner);
        connecting_box.append(&connecting);

        let start = pill(&gettext("Start"), true);
        on_click(&start, &view, |v| v.start_vm());
        let stopped = adw::StatusPage::builder()
            .icon_name("system-shutdown-symbolic")
            .title(gettext("Machine Is Not Running"))
            .child(&start)
            .build();

        let none_serial = pill(&gettext("Open Serial Console"), false);
        on_click(&none_serial, &view, |v| v.select(1));
        let none = adw::StatusPage::builder()
            .icon_name("video-display-symbolic")
            .title(gettext("No Graphical Display"))
            .description(gettext(
                "This machine has no VNC or SPICE display. Add one in its XML, or use a text console.",
            ))
            .child(&none_serial)
            .build();

        let reconnect = pill(&gettext("Reconnect"), true);
        on_click(&reconnect, &view, |v| v.reconnect(false));
        let take_over = pill(&gettext("Take Over"), false);
        take_over.set_tooltip_text(Some(&gettext(
            "Disconnect the other client and use this console here",
        )));
        on_click(&take_over, &view, |v| v.reconnect(true));
        let lost_buttons = gtk::Box::builder()
            .spacing(12)
            .halign(gtk::Align::Center)
            .build();
        lost_buttons.append(&reconnect);
        lost_buttons.append(&take_over);
        let lost = adw::StatusPage::builder()
            .icon_name("network-offline-symbolic")
            .title(gettext("Disconnected"))
            .child(&lost_buttons)
            .build();

        let user = adw::EntryRow::builder().title(gettext("User name")).build();
        let password = adw::PasswordEntryRow::builder()
            .title(gettext("Password"))
            .build();
        let fields = adw::PreferencesGroup::new();
        fields.add(&user);
        fields.add(&password);
        let auth_error = gtk::Label::builder()
            .css_classes(["error"])
            .wrap(true)
            .visible(false)
            .build();
        let sign_in = pill(&gettext("Connect"), true);
        let auth_box = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(18)
            .build();
        auth_box.append(&fields);
        auth_box.append(&auth_error);
        auth_box.append(&sign_in);
        let auth_clamp = adw::Clamp::builder()
            .maximum_size(360)
            .child(&auth_box)
            .build();
        let auth_page = adw::StatusPage::builder()
            .icon_name("dialog-password-symbolic")
            .title(gettext("Password Required"))
            .description(gettext(
                "The display of this machine is protected by a password.",
            ))
            .child(&auth_clamp)
            .build();
        {
            let submit = {
                let view = view.clone();
                let user = user.clone();
                let password = password.clone();
                move || {
                    if let Some(inner) = view.upgrade() {
                        let name = user.text();
                        let name = (user.is_visible() && !name.is_empty()).then_some(name);
                        inner.submit_credentials(name.as_deref(), &password.text());
                    }
                }
            };
            let again = submit.clone();
            sign_in.connect_clicked(move |_| submit());
            password.connect_entry_activated(move |_| again());
        }

        let scroller = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vscrollbar_policy(gtk::PolicyType::Never)
            .vexpand(true)
            .hexpand(true)
            .build();
        let hint = gtk::Label::builder()
            .label(gettext("Press Ctrl+Alt to release the keyboard"))
            .css_classes(["app-notification"])
            .build();
        let grab_hint = gtk::Revealer::builder()
            .child(&hint)
            .halign(gtk::Align::Center)
            .valign(gtk::Align::Start)
            .transition_type(gtk::RevealerTransitionType::SlideDown)
            .can_target(false)
            .build();
        let overlay = gtk::Overlay::builder().child(&scroller).build();
        overlay.add_overlay(&grab_hint);
        let display_page = gtk::Box::new(gtk::Orientation::Vertical, 0);
        display_page.add_css_class("console-display");
        display_page.append(&overlay);

        let terminal = gtk::Box::builder().vexpand(true).hexpand(true).build();

        stack.add_named(&idle, Some("idle"));
        stack.add_named(&connecting_box, Some("connecting"));
        stack.add_named(&stopped, Some("stopped"));
        stack.add_named(&none, Some("none"));
        stack.add_named(&lost, Some("lost"));
        stack.add_named(&auth_page, Some("auth"));
        stack.add_named(&display_page, Some("display"));
        stack.add_named(&terminal, Some("terminal"));
        a11y::hide_other_pages(&stack);

        StatePages {
            stack,
            connecting,
            stopped,
            none_serial,
            lost,
            take_over,
            auth_page,
            user,
            password,
            auth_error,
            scroller,
            grab_hint,
            terminal,
        }
    }

    pub fn show_idle(&self) {
        a11y::show_only(&self.stack, "idle");
    }

    pub fn show_connecting(&self, text: &str) {
        self.connecting.set_text(text);
        a11y::show_only(&self.stack, "connecting");
    }

    pub fn show_stopped(&self, name: &str) {
        self.stopped.set_description(Some(&gettext_f(
            "Start “{name}” to see its console.",
            &[("name", name)],
        )));
        a11y::show_only(&self.stack, "stopped");
    }

    pub fn show_no_display(&self, has_text_console: bool) {
        self.none_serial.set_visible(has_text_console);
        a11y::show_only(&self.stack, "none");
    }

    /// The connection ended or could not be made; `busy`: another client holds the console
    /// (offer to take it over).
    pub fn show_lost(&self, why: &str, busy: bool) {
        self.lost.set_description(Some(why));
        self.take_over.set_visible(busy);
        a11y::show_only(&self.stack, "lost");
    }

    pub fn show_auth(&self, username: bool, error: Option<&str>) {
        self.user.set_visible(username);
        self.auth_error.set_visible(error.is_some());
        if let Some(error) = error {
            self.auth_error.set_text(&gettext_f(
                "The password was refused: {reason}",
                &[("reason", error)],
            ));
            self.password.set_text("");
        }
        a11y::show_only(&self.stack, "auth");
        let first: gtk::Widget = if username {
            self.user.clone().upcast()
        } else {
            self.password.clone().upcast()
        };
        first.grab_focus();
        let _ = &self.auth_page;
    }

    /// Put a display widget in place (shown once it has a first frame).
    pub fn set_display(&self, widget: &gtk::Widget, vm_name: &str) {
        a11y::set_label(
            widget,
            &gettext_f("Display of “{name}”", &[("name", vm_name)]),
        );
        self.scroller.set_child(Some(widget));
    }

    pub fn show_display(&self) {
        a11y::show_only(&self.stack, "display");
        if let Some(child) = self.scroller.child() {
            child.grab_focus();
        }
    }

    /// Fit (no scrolling) or one to one (scroll when larger than the view).
    pub fn set_scrolling(&self, scroll: bool) {
        let policy = if scroll {
            gtk::PolicyType::Automatic
        } else {
            gtk::PolicyType::Never
        };
        self.scroller.set_policy(policy, policy);
    }

    pub fn show_grab_hint(&self, shown: bool) {
        self.grab_hint.set_reveal_child(shown);
    }

    pub fn set_terminal(&self, widget: &gtk::Widget, label: &str, vm_name: &str) {
        while let Some(child) = self.terminal.first_child() {
            self.terminal.remove(&child);
        }
        a11y::set_label(
            widget,
            &gettext_f(
                "{console} of “{name}”",
                &[("console", label), ("name", vm_name)],
            ),
        );
        widget.set_hexpand(true);
        widget.set_vexpand(true);
        self.terminal.append(widget);
        a11y::show_only(&self.stack, "terminal");
        widget.grab_focus();
    }

    /// Drop the display or terminal widget (the connection is gone).
    pub fn clear_content(&self) {
        self.scroller.set_child(None::<&gtk::Widget>);
        self.grab_hint.set_reveal_child(false);
        while let Some(child) = self.terminal.first_child() {
            self.terminal.remove(&child);
        }
    }
}
