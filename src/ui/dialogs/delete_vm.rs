//! "Delete “name”?": what goes (the definition, snapshots, NVRAM, saved state), each disk
//! with a check box to delete its storage too (shared disks unchecked and explained), and
//! a warning when the machine runs and will be forced off first.

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use crate::backend::delete::DeletePlan;
use crate::i18n::{gettext_f, ngettext_f};
use crate::ui::a11y;

/// The sentence about what is lost besides the disks.
pub fn losses(plan: &DeletePlan) -> String {
    let mut parts = vec![gettext("its configuration")];
    if plan.snapshots > 0 {
        parts.push(ngettext_f(
            "{n} snapshot",
            "{n} snapshots",
            plan.snapshots,
            &[("n", &plan.snapshots.to_string())],
        ));
    }
    if plan.has_nvram {
        parts.push(gettext("its UEFI variables (NVRAM)"));
    }
    if plan.has_managed_save {
        parts.push(gettext("its saved memory state"));
    }
    gettext_f(
        "This removes {what}. It cannot be undone.",
        &[("what", &parts.join(", "))],
    )
}

/// Asks; `on_confirm` gets the source paths of the disks to delete too.
pub fn show(parent: &gtk::Window, plan: &DeletePlan, on_confirm: impl Fn(Vec<String>) + 'static) {
    let mut body = losses(plan);
    if plan.running {
        body.push_str("\n\n");
        body.push_str(&gettext_f(
            "“{name}” is running: it will be forced off first, like pulling its power plug.",
            &[("name", &plan.name)],
        ));
    }
    let list = gtk::ListBox::builder()
        .css_classes(["boxed-list"])
        .selection_mode(gtk::SelectionMode::None)
        .build();
    a11y::set_label(&list, &gettext("Disks"));
    let mut checks: Vec<(gtk::CheckButton, String)> = Vec::new();
    for disk in &plan.disks {
        let title = gettext_f(
            "Delete {target} ({source})",
            &[("target", &disk.target), ("source", &disk.source)],
        );
        let row = adw::ActionRow::builder()
            .title(gtk::glib::markup_escape_text(&title).as_str())
            .build();
        if let Some(note) = &disk.note {
            row.set_subtitle(&gtk::glib::markup_escape_text(note));
        } else if !disk.shared_with.is_empty() {
            row.set_subtitle(&gettext_f(
                "Also used by {names}",
                &[("names", &disk.shared_with.join(", "))],
            ));
        }
        let check = gtk::CheckButton::builder()
            .active(disk.deletable && disk.checked_by_default)
            .sensitive(disk.deletable)
            .build();
        row.add_prefix(&check);
        row.set_activatable_widget(Some(&check));
        list.append(&row);
        checks.push((check, disk.source.clone()));
    }
    let extra = gtk::Box::new(gtk::Orientation::Vertical, 6);
    if !plan.disks.is_empty() {
        extra.append(&list);
    }
    let dialog = adw::MessageDialog::builder()
        .transient_for(parent)
        .modal(true)
        .heading(gettext_f("Delete “{name}”?", &[("name", &plan.name)]))
        .body(body)
        .extra_child(&extra)
        .default_response("cancel")
        .close_response("cancel")
        .build();
    dialog.add_responses(&[
        ("cancel", &gettext("Cancel")),
        ("delete", &gettext("Delete")),
    ]);
    dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
    let on_confirm = Rc::new(on_confirm);
    dialog.connect_response(None, move |_, response| {
        if response == "delete" {
            let volumes = checks
                .iter()
                .filter(|(c, _)| c.is_active() && c.is_sensitive())
                .map(|(_, s)| s.clone())
                .collect();
            on_confirm(volumes);
        }
    });
    a11y::undouble_button_names(&dialog);
    dialog.present();
}
