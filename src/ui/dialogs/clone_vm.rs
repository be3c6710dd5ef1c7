//! "Clone “name”": the new name, each disk copied into its pool or shared, and for a
//! running source whether to pause it while its disks are copied. The dialog stays open
//! with progress while the worker clones, and shows a failure inline (nothing is left
//! behind then: the backend removes what it copied).

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use crate::backend::clone::{
    ClonePlan, CloneRequest, CloneStep, DiskChoice, DiskMode, RunningPolicy,
};
use crate::backend::names::name_problem;
use crate::i18n::gettext_f;
use crate::ui::a11y;

/// An open clone dialog; cheap to clone.
#[derive(Clone)]
pub struct CloneDialog {
    window: adw::Window,
    stack: gtk::Stack,
    progress: gtk::Label,
    error: gtk::Label,
    clone_button: gtk::Button,
}

impl CloneDialog {
    pub fn progress(&self, step: &CloneStep) {
        let text = match step {
            CloneStep::Pausing => gettext("Pausing the machine…"),
            CloneStep::Copying {
                index,
                total,
                target,
                volume,
            } => gettext_f(
                "Copying disk {index} of {total} ({target}) into “{volume}”…",
                &[
                    ("index", &index.to_string()),
                    ("total", &total.to_string()),
                    ("target", target),
                    ("volume", volume),
                ],
            ),
            CloneStep::Defining => gettext("Defining the clone…"),
            CloneStep::Resuming => gettext("Resuming the machine…"),
            CloneStep::ResumeFailed(e) => gettext_f(
                "The machine could not be resumed and stays paused: {error}",
                &[("error", &e.to_string())],
            ),
            CloneStep::RollingBack => gettext("Something failed: removing the copies…"),
        };
        self.progress.set_text(&text);
        a11y::set_label(&self.progress, &text);
    }

    /// The clone failed: back to the form with the reason.
    pub fn failed(&self, message: &str) {
        a11y::show_only(&self.stack, "form");
        self.error.set_text(message);
        self.error.set_visible(true);
        a11y::set_label(&self.error, message);
        self.clone_button.set_sensitive(true);
    }

    pub fn close(&self) {
        self.window.close();
    }
}

/// Opens the dialog; `on_clone` gets the request (the dialog then shows progress).
pub fn show(
    parent: &gtk::Window,
    plan: &ClonePlan,
    on_clone: impl Fn(CloneRequest) + 'static,
) -> CloneDialog {
    let window = adw::Window::builder()
        .transient_for(parent)
        .modal(true)
        .title(gettext_f("Clone “{name}”", &[("name", &plan.source_name)]))
        .build();
    crate::ui::dialogs::fit_to_parent(&window, 480, -1);
    let (header, clone_button) = crate::ui::dialogs::action_header(&window, &gettext("Clone"));

    let name = adw::EntryRow::builder()
        .title(gettext("Name of the clone"))
        .text(&plan.suggested_name)
        .build();
    let name_group = adw::PreferencesGroup::new();
    name_group.add(&name);

    let disks = adw::PreferencesGroup::builder()
        .title(gettext("Disks"))
        .description(gettext(
            "A copied disk is a new volume in the same pool. A shared disk is used by both machines: only share disks that are read-only or that the machines never use at once.",
        ))
        .build();
    let modes = [gettext("Copy"), gettext("Share")];
    let mode_refs: Vec<&str> = modes.iter().map(String::as_str).collect();
    let mut combos: Vec<(String, adw::ComboRow)> = Vec::new();
    for disk in &plan.disks {
        let row = adw::ComboRow::builder()
            .title(format!("{} ({})", disk.target, disk.source).as_str())
            .model(&gtk::StringList::new(&mode_refs))
            .selected(u32::from(disk.default_mode == DiskMode::Share))
            .sensitive(disk.can_copy)
            .build();
        if let Some(note) = &disk.note {
            row.set_subtitle(&gtk::glib::markup_escape_text(note));
        }
        disks.add(&row);
        combos.push((disk.target.clone(), row));
    }

    let pause =
        gtk::CheckButton::with_label(&gettext("Pause the machine while its disks are copied"));
    pause.set_active(true);
    pause.set_visible(plan.running);
    let running_note = gtk::Label::builder()
        .label(gettext_f(
            "“{name}” is running. Its disks can only be copied consistently while it is paused; it resumes afterwards.",
            &[("name", &plan.source_name)],
        ))
        .wrap(true)
        .xalign(0.0)
        .visible(plan.running)
        .css_classes(["dim-label"])
        .build();
    let error = gtk::Label::builder()
        .css_classes(["error"])
        .wrap(true)
        .xalign(0.0)
        .visible(false)
        .build();
    let form = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(18)
        .margin_top(18)
        .margin_bottom(18)
        .margin_start(12)
        .margin_end(12)
        .build();
    form.append(&name_group);
    if !plan.disks.is_empty() {
        form.append(&disks);
    }
    form.append(&running_note);
    form.append(&pause);
    form.append(&error);

    let spinner = gtk::Spinner::builder()
        .spinning(true)
        .width_request(32)
        .height_request(32)
        .halign(gtk::Align::Center)
        .build();
    let progress = gtk::Label::builder()
        .wrap(true)
        .justify(gtk::Justification::Center)
        .build();
    let busy = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(12)
        .valign(gtk::Align::Center)
        .margin_top(36)
        .margin_bottom(36)
        .build();
    busy.append(&spinner);
    busy.append(&progress);
    let stack = gtk::Stack::new();
    stack.add_named(&form, Some("form"));
    stack.add_named(&busy, Some("busy"));
    a11y::hide_other_pages(&stack);

    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&stack);
    window.set_content(Some(&content));

    let dialog = CloneDialog {
        window: window.clone(),
        stack: stack.clone(),
        progress,
        error: error.clone(),
        clone_button: clone_button.clone(),
    };
    let source_uuid = plan.source_uuid.clone();
    let on_clone = Rc::new(on_clone);
    {
        let dialog = dialog.clone();
        let name = name.clone();
        clone_button.connect_clicked(move |button| {
            let new_name = name.text().trim().to_owned();
            if let Some(problem) = name_problem(&new_name) {
                error.set_text(&problem);
                error.set_visible(true);
                a11y::set_label(&error, &problem);
                return;
            }
            let disks = combos
                .iter()
                .map(|(target, row)| DiskChoice {
                    target: target.clone(),
                    mode: if row.selected() == 1 || !row.is_sensitive() {
                        DiskMode::Share
                    } else {
                        DiskMode::Copy
                    },
                })
                .collect();
            button.set_sensitive(false);
            error.set_visible(false);
            dialog.progress(&CloneStep::Defining);
            a11y::show_only(&stack, "busy");
            on_clone(CloneRequest {
                source_uuid: source_uuid.clone(),
                new_name,
                disks,
                running_policy: if pause.is_active() {
                    RunningPolicy::Pause
                } else {
                    RunningPolicy::Refuse
                },
            });
        });
    }
    {
        let clone_button = clone_button.clone();
        name.connect_entry_activated(move |_| clone_button.emit_clicked());
    }
    window.present();
    name.grab_focus();
    dialog
}
