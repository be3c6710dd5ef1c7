//! Confirmations for destructive actions.

use adw::prelude::*;
use gettextrs::gettext;

use crate::i18n::gettext_f;

/// What a confirmation asks.
pub struct Question<'a> {
    pub heading: &'a str,
    pub body: &'a str,
    /// The accepting response's label ("Delete"); Cancel is always offered.
    pub accept: &'a str,
    /// Whether accepting destroys something (red button, Cancel is the default).
    pub destructive: bool,
    /// A widget under the text (a check button), if any.
    pub extra: Option<&'a gtk::Widget>,
}

/// Asks `q`; `on_confirm` runs only when the user accepts.
pub fn ask(parent: &gtk::Window, q: Question<'_>, on_confirm: impl Fn() + 'static) {
    let dialog = adw::MessageDialog::builder()
        .transient_for(parent)
        .modal(true)
        .heading(q.heading)
        .body(q.body)
        .default_response(if q.destructive { "cancel" } else { "accept" })
        .close_response("cancel")
        .build();
    dialog.add_responses(&[("cancel", &gettext("Cancel")), ("accept", q.accept)]);
    dialog.set_response_appearance(
        "accept",
        if q.destructive {
            adw::ResponseAppearance::Destructive
        } else {
            adw::ResponseAppearance::Suggested
        },
    );
    if let Some(extra) = q.extra {
        dialog.set_extra_child(Some(extra));
    }
    dialog.connect_response(None, move |_, response| {
        if response == "accept" {
            on_confirm();
        }
    });
    crate::ui::a11y::undouble_button_names(&dialog);
    dialog.present();
}

/// Tells why something cannot be done, with only a Close button.
pub fn refuse(parent: &gtk::Window, heading: &str, body: &str) {
    let dialog = adw::MessageDialog::builder()
        .transient_for(parent)
        .modal(true)
        .heading(heading)
        .body(body)
        .close_response("close")
        .build();
    dialog.add_responses(&[("close", &gettext("Close"))]);
    crate::ui::a11y::undouble_button_names(&dialog);
    dialog.present();
}

/// Asks before pulling the plug on a VM; `on_confirm` runs only on "Force Off".
pub fn force_off(parent: &gtk::Window, name: &str, on_confirm: impl Fn() + 'static) {
    ask(
        parent,
        Question {
            heading: &gettext_f("Force Off “{name}”?", &[("name", name)]),
            body: &gettext(
                "The machine stops at once, like pulling its power plug. Unsaved work in it is lost and its disks may need a check at next boot.",
            ),
            accept: &gettext("Force Off"),
            destructive: true,
            extra: None,
        },
        on_confirm,
    );
}

/// Asks before deleting a template (machines made from it are not touched).
pub fn delete_template(parent: &gtk::Window, name: &str, on_confirm: impl Fn() + 'static) {
    ask(
        parent,
        Question {
            heading: &gettext_f("Delete Template “{name}”?", &[("name", name)]),
            body: &gettext(
                "The template is removed from this computer. Machines created from it are not affected.",
            ),
            accept: &gettext("Delete"),
            destructive: true,
            extra: None,
        },
        on_confirm,
    );
}

/// Asks before detaching disk `target` (backed by `source`) from machine `name`. The
/// storage itself is kept; a running guest must release the disk first.
pub fn detach_disk(
    parent: &gtk::Window,
    name: &str,
    target: &str,
    source: &str,
    running: bool,
    on_confirm: impl Fn() + 'static,
) {
    let mut body = if source.is_empty() {
        gettext_f(
            "The empty drive “{target}” is removed from “{name}”.",
            &[("target", target), ("name", name)],
        )
    } else {
        gettext_f(
            "“{name}” no longer sees “{target}”. Its storage, “{source}”, is kept and can be attached again.",
            &[("target", target), ("name", name), ("source", source)],
        )
    };
    if running {
        body.push_str("\n\n");
        body.push_str(&gettext(
            "The machine is running: the guest is asked to release the disk. Unmount it in the guest first, or data not yet written may be lost.",
        ));
    }
    ask(
        parent,
        Question {
            heading: &gettext_f(
                "Detach “{target}” from “{name}”?",
                &[("target", target), ("name", name)],
            ),
            body: &body,
            accept: &gettext("Detach"),
            destructive: true,
            extra: None,
        },
        on_confirm,
    );
}
