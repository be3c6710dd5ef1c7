//! A one-line text prompt ("Save as Template", "Rename"): a message dialog with an entry.
//! Unless blank answers are allowed, the accept response is only enabled while the text is
//! not blank; Enter accepts.

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use crate::ui::a11y;

pub struct Prompt<'a> {
    pub heading: &'a str,
    pub body: &'a str,
    /// Accessible name of the entry.
    pub label: &'a str,
    pub initial: &'a str,
    pub accept: &'a str,
    /// Whether a blank answer is allowed (clearing a description).
    pub allow_empty: bool,
}

/// Shows the prompt; `on_accept` gets the trimmed text.
pub fn text(parent: &gtk::Window, p: Prompt<'_>, on_accept: impl Fn(String) + 'static) {
    let entry = gtk::Entry::builder()
        .text(p.initial)
        .activates_default(true)
        .build();
    a11y::set_label(&entry, p.label);
    let dialog = adw::MessageDialog::builder()
        .transient_for(parent)
        .modal(true)
        .heading(p.heading)
        .body(p.body)
        .extra_child(&entry)
        .default_response("accept")
        .close_response("cancel")
        .build();
    dialog.add_responses(&[("cancel", &gettext("Cancel")), ("accept", p.accept)]);
    dialog.set_response_appearance("accept", adw::ResponseAppearance::Suggested);
    {
        let dialog = dialog.clone();
        let allow_empty = p.allow_empty;
        let sync = move |e: &gtk::Entry| {
            dialog.set_response_enabled("accept", allow_empty || !e.text().trim().is_empty());
        };
        sync(&entry);
        entry.connect_changed(sync);
    }
    let on_accept = Rc::new(on_accept);
    {
        let entry = entry.clone();
        let allow_empty = p.allow_empty;
        dialog.connect_response(None, move |_, response| {
            if response == "accept" && (allow_empty || !entry.text().trim().is_empty()) {
                on_accept(entry.text().trim().to_owned());
            }
        });
    }
    a11y::undouble_button_names(&dialog);
    dialog.present();
    entry.grab_focus();
}
