//! A small form dialog for host objects (new pool, new volume, new network, a DHCP host,
//! a forwarding rule…): Cancel and the action in the header, groups of rows, and an
//! inline error line. The action runs the caller's check; when that sends the command the
//! dialog shows a spinner until the page reports the outcome: [`FormDialog::finish`]
//! closes it on success and shows libvirt's refusal inline otherwise, so nothing typed is
//! lost.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;

use crate::ui::a11y;

/// The action's check: `Ok` once the command is sent, `Err` with what is wrong.
type Check = Rc<dyn Fn() -> Result<(), String>>;

/// An open form; cheap to clone.
#[derive(Clone)]
pub struct FormDialog {
    window: adw::Window,
    body: gtk::Box,
    error: gtk::Label,
    accept: gtk::Button,
    spinner: gtk::Spinner,
    check: Rc<RefCell<Option<Check>>>,
}

impl FormDialog {
    /// A dialog titled `title` over `parent` whose suggested action is labelled `accept`.
    pub fn new(parent: &gtk::Window, title: &str, accept: &str) -> FormDialog {
        let window = adw::Window::builder()
            .transient_for(parent)
            .modal(true)
            .title(title)
            .build();
        crate::ui::dialogs::fit_to_parent(&window, 480, -1);
        let (header, accept) = crate::ui::dialogs::action_header(&window, accept);
        let spinner = gtk::Spinner::new();
        header.pack_end(&spinner);
        let error = gtk::Label::builder()
            .css_classes(["error"])
            .wrap(true)
            .xalign(0.0)
            .visible(false)
            .build();
        let body = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(18)
            .margin_top(18)
            .margin_bottom(18)
            .margin_start(12)
            .margin_end(12)
            .build();
        let column = gtk::Box::new(gtk::Orientation::Vertical, 12);
        column.append(&body);
        column.append(&error);
        let scrolled = gtk::ScrolledWindow::builder()
            .hscrollbar_policy(gtk::PolicyType::Never)
            .propagate_natural_height(true)
            .vexpand(true)
            .child(&column)
            .build();
        error.set_margin_start(12);
        error.set_margin_end(12);
        error.set_margin_bottom(18);
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&scrolled);
        window.set_content(Some(&content));
        window.set_default_widget(Some(&accept));
        let form = FormDialog {
            window,
            body,
            error,
            accept: accept.clone(),
            spinner,
            check: Rc::new(RefCell::new(None)),
        };
        let me = form.clone();
        accept.connect_clicked(move |_| me.run_check());
        form
    }

    /// A new group of rows at the end of the form.
    pub fn group(&self, title: &str, description: Option<&str>) -> adw::PreferencesGroup {
        let group = adw::PreferencesGroup::builder().title(title).build();
        if let Some(d) = description {
            group.set_description(Some(d));
        }
        self.body.append(&group);
        group
    }

    /// A text row; Enter in it runs the action.
    pub fn entry(&self, group: &adw::PreferencesGroup, title: &str, text: &str) -> adw::EntryRow {
        let row = adw::EntryRow::builder().title(title).text(text).build();
        let me = self.clone();
        row.connect_entry_activated(move |_| me.run_check());
        group.add(&row);
        row
    }

    /// A drop-down row of `items`.
    pub fn choice(
        &self,
        group: &adw::PreferencesGroup,
        title: &str,
        items: &[String],
        selected: u32,
    ) -> adw::ComboRow {
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let row = adw::ComboRow::builder()
            .title(title)
            .model(&gtk::StringList::new(&refs))
            .selected(selected)
            .build();
        group.add(&row);
        row
    }

    /// An on/off row (libadwaita 1.2 has no switch row: an action row with a switch).
    pub fn switch(
        &self,
        group: &adw::PreferencesGroup,
        title: &str,
        subtitle: &str,
        active: bool,
    ) -> (adw::ActionRow, gtk::Switch) {
        let switch = gtk::Switch::builder()
            .active(active)
            .valign(gtk::Align::Center)
            .build();
        let row = adw::ActionRow::builder()
            .title(title)
            .activatable_widget(&switch)
            .build();
        if !subtitle.is_empty() {
            row.set_subtitle(subtitle);
        }
        row.add_suffix(&switch);
        group.add(&row);
        (row, switch)
    }

    /// What the action does: check the input and send the command (`Ok`: the dialog waits
    /// for [`finish`](Self::finish)), or say what is wrong (`Err`: shown inline).
    pub fn on_accept(&self, check: impl Fn() -> Result<(), String> + 'static) {
        self.check.replace(Some(Rc::new(check)));
    }

    fn run_check(&self) {
        if !self.accept.is_sensitive() {
            return;
        }
        let Some(check) = self.check.borrow().clone() else {
            return;
        };
        match check() {
            Ok(()) => {
                self.error.set_visible(false);
                self.accept.set_sensitive(false);
                self.spinner.start();
            }
            Err(message) => self.fail(&message),
        }
    }

    /// Show why the action was refused; the form stays as typed.
    pub fn fail(&self, message: &str) {
        self.spinner.stop();
        self.accept.set_sensitive(true);
        self.error.set_text(message);
        self.error.set_visible(true);
        a11y::set_label(&self.error, message);
    }

    /// The outcome of the command the action sent: close on success, else show why.
    pub fn finish(&self, result: Result<(), String>) {
        match result {
            Ok(()) => self.window.close(),
            Err(message) => self.fail(&message),
        }
    }

    /// Whether the action was sent and its outcome is awaited.
    pub fn waiting(&self) -> bool {
        !self.accept.is_sensitive() && self.window.is_visible()
    }

    pub fn present(&self, focus: Option<&impl IsA<gtk::Widget>>) {
        self.window.present();
        if let Some(w) = focus {
            w.grab_focus();
        }
    }

    pub fn window(&self) -> &adw::Window {
        &self.window
    }
}

/// A text row's trimmed text.
pub fn text(row: &adw::EntryRow) -> String {
    row.text().trim().to_owned()
}

/// A text row's trimmed text, or "Enter {what}." when it is blank.
pub fn required(row: &adw::EntryRow, what: &str) -> Result<String, String> {
    let value = text(row);
    if value.is_empty() {
        Err(crate::i18n::gettext_f("Enter {what}.", &[("what", what)]))
    } else {
        Ok(value)
    }
}
