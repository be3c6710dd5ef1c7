//! Confirmations for destructive actions.

use adw::prelude::*;
use gettextrs::gettext;

use crate::i18n::gettext_f;

/// Asks before pulling the plug on a VM; `on_confirm` runs only on "Force Off".
pub fn force_off(parent: &gtk::Window, name: &str, on_confirm: impl Fn() + 'static) {
    let dialog = adw::MessageDialog::builder()
        .transient_for(parent)
        .modal(true)
        .heading(gettext_f("Force Off “{name}”?", &[("name", name)]))
        .body(gettext(
            "The machine stops at once, like pulling its power plug. Unsaved work in it is lost and its disks may need a check at next boot.",
        ))
        .default_response("cancel")
        .close_response("cancel")
        .build();
    dialog.add_responses(&[
        ("cancel", &gettext("Cancel")),
        ("force-off", &gettext("Force Off")),
    ]);
    dialog.set_response_appearance("force-off", adw::ResponseAppearance::Destructive);
    dialog.connect_response(None, move |_, response| {
        if response == "force-off" {
            on_confirm();
        }
    });
    crate::ui::a11y::undouble_button_names(&dialog);
    dialog.present();
}

/// Asks before deleting a template (machines made from it are not touched).
pub fn delete_template(parent: &gtk::Window, name: &str, on_confirm: impl Fn() + 'static) {
    let dialog = adw::MessageDialog::builder()
        .transient_for(parent)
        .modal(true)
        .heading(gettext_f("Delete Template “{name}”?", &[("name", name)]))
        .body(gettext(
            "The template is removed from this computer. Machines created from it are not affected.",
        ))
        .default_response("cancel")
        .close_response("cancel")
        .build();
    dialog.add_responses(&[
        ("cancel", &gettext("Cancel")),
        ("delete", &gettext("Delete")),
    ]);
    dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
    dialog.connect_response(None, move |_, response| {
        if response == "delete" {
            on_confirm();
        }
    });
    crate::ui::a11y::undouble_button_names(&dialog);
    dialog.present();
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
    let dialog = adw::MessageDialog::builder()
        .transient_for(parent)
        .modal(true)
        .heading(gettext_f(
            "Detach “{target}” from “{name}”?",
            &[("target", target), ("name", name)],
        ))
        .body(body)
        .default_response("cancel")
        .close_response("cancel")
        .build();
    dialog.add_responses(&[
        ("cancel", &gettext("Cancel")),
        ("detach", &gettext("Detach")),
    ]);
    dialog.set_response_appearance("detach", adw::ResponseAppearance::Destructive);
    dialog.connect_response(None, move |_, response| {
        if response == "detach" {
            on_confirm();
        }
    });
    crate::ui::a11y::undouble_button_names(&dialog);
    dialog.present();
}
