//! The editable part of the details page: name, description, autostart, vCPUs, memory,
//! boot order (the "Settings" group) and tags (the "Tags" group). Every change becomes a
//! [`VmEdit`] for the connection worker; the page shows the result when the machine's
//! details are read again, and the toast says whether it applies now or at next boot.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use crate::backend::edit::VmEdit;
use crate::backend::VmDetails;
use crate::i18n::gettext_f;
use crate::ui::a11y;
use crate::ui::dialogs::{self, prompt::Prompt};

pub type EditHandler = Rc<dyn Fn(VmEdit)>;

pub struct SettingsGroup {
    pub group: adw::PreferencesGroup,
    pub tags_group: adw::PreferencesGroup,
    name_row: adw::ActionRow,
    description_row: adw::ActionRow,
    autostart: gtk::Switch,
    autostart_handler: RefCell<Option<glib::SignalHandlerId>>,
    vcpus: gtk::SpinButton,
    vcpus_apply: gtk::Button,
    memory: gtk::SpinButton,
    memory_apply: gtk::Button,
    boot_row: adw::ActionRow,
    tags: gtk::FlowBox,
    tags_row: adw::ActionRow,
    tag_entry: adw::EntryRow,
    details: RefCell<Option<VmDetails>>,
    on_edit: EditHandler,
}

fn flat_icon(icon: &str, label: &str) -> gtk::Button {
    let b = a11y::icon_button(icon, label);
    b.add_css_class("flat");
    b.set_valign(gtk::Align::Center);
    b
}

fn spin_with_apply(
    group: &adw::PreferencesGroup,
    title: &str,
    apply_label: &str,
    max: f64,
    step: f64,
) -> (gtk::SpinButton, gtk::Button) {
    let spin = gtk::SpinButton::with_range(1.0, max, step);
    spin.set_valign(gtk::Align::Center);
    let apply = gtk::Button::builder()
        .label(gettext("Apply"))
        .valign(gtk::Align::Center)
        .sensitive(false)
        .build();
    a11y::set_label(&apply, apply_label);
    let row = adw::ActionRow::builder().title(title).build();
    row.add_suffix(&spin);
    row.add_suffix(&apply);
    row.set_activatable_widget(Some(&spin));
    group.add(&row);
    (spin, apply)
}

impl SettingsGroup {
    pub fn new(on_edit: EditHandler) -> Rc<SettingsGroup> {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Settings"))
            .build();
        let name_row = adw::ActionRow::builder().title(gettext("Name")).build();
        name_row.add_css_class("property");
        let rename = flat_icon("document-edit-symbolic", &gettext("Rename"));
        name_row.add_suffix(&rename);
        let description_row = adw::ActionRow::builder()
            .title(gettext("Description"))
            .build();
        description_row.add_css_class("property");
        let describe = flat_icon("document-edit-symbolic", &gettext("Edit Description"));
        description_row.add_suffix(&describe);
        let autostart = gtk::Switch::builder().valign(gtk::Align::Center).build();
        let autostart_row = adw::ActionRow::builder()
            .title(gettext("Start with host"))
            .build();
        autostart_row.add_suffix(&autostart);
        autostart_row.set_activatable_widget(Some(&autostart));
        group.add(&name_row);
        group.add(&description_row);
        group.add(&autostart_row);
        let (vcpus, vcpus_apply) = spin_with_apply(
            &group,
            &gettext("vCPUs"),
            &gettext("Apply vCPUs"),
            512.0,
            1.0,
        );
        let (memory, memory_apply) = spin_with_apply(
            &group,
            &gettext("Memory (MiB)"),
            &gettext("Apply Memory"),
            16.0 * 1024.0 * 1024.0,
            128.0,
        );
        let boot_row = adw::ActionRow::builder()
            .title(gettext("Boot order"))
            .build();
        boot_row.add_css_class("property");
        let boot = flat_icon("document-edit-symbolic", &gettext("Change Boot Order"));
        boot_row.add_suffix(&boot);
        group.add(&boot_row);

        let tags_group = adw::PreferencesGroup::builder()
            .title(gettext("Tags"))
            .build();
        let tags = gtk::FlowBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .column_spacing(6)
            .row_spacing(6)
            .margin_top(9)
            .margin_bottom(9)
            .margin_start(12)
            .margin_end(12)
            .max_children_per_line(8)
            .build();
        let tags_row = adw::ActionRow::new();
        tags_row.set_child(Some(&tags));
        let tag_entry = adw::EntryRow::builder()
            .title(gettext("Add a tag"))
            .show_apply_button(true)
            .build();
        tags_group.add(&tags_row);
        tags_group.add(&tag_entry);

        let this = Rc::new(SettingsGroup {
            group,
            tags_group,
            name_row,
            description_row,
            autostart,
            autostart_handler: RefCell::new(None),
            vcpus,
            vcpus_apply,
            memory,
            memory_apply,
            boot_row,
            tags,
            tags_row,
            tag_entry,
            details: RefCell::new(None),
            on_edit,
        });

        let weak = Rc::downgrade(&this);
        rename.connect_clicked(move |b| {
            if let Some(s) = weak.upgrade() {
                s.prompt_rename(b);
            }
        });
        let weak = Rc::downgrade(&this);
        describe.connect_clicked(move |b| {
            if let Some(s) = weak.upgrade() {
                s.prompt_description(b);
            }
        });
        let weak = Rc::downgrade(&this);
        let handler = this.autostart.connect_active_notify(move |sw| {
            if let Some(s) = weak.upgrade() {
                (s.on_edit)(VmEdit::Autostart(sw.is_active()));
            }
        });
        this.autostart_handler.replace(Some(handler));
        for (spin, apply) in [
            (&this.vcpus, &this.vcpus_apply),
            (&this.memory, &this.memory_apply),
        ] {
            let weak = Rc::downgrade(&this);
            spin.connect_value_changed(move |_| {
                if let Some(s) = weak.upgrade() {
                    s.sync_apply();
                }
            });
            let weak = Rc::downgrade(&this);
            let is_vcpus = spin == &this.vcpus;
            apply.connect_clicked(move |_| {
                if let Some(s) = weak.upgrade() {
                    s.apply_resources(is_vcpus);
                }
            });
        }
        let weak = Rc::downgrade(&this);
        boot.connect_clicked(move |b| {
            if let Some(s) = weak.upgrade() {
                s.change_boot_order(b);
            }
        });
        let weak = Rc::downgrade(&this);
        this.tag_entry.connect_apply(move |e| {
            let tag = e.text().trim().to_owned();
            if tag.is_empty() {
                return;
            }
            if let Some(s) = weak.upgrade() {
                (s.on_edit)(VmEdit::AddTag(tag));
                e.set_text("");
            }
        });
        this
    }

    pub fn show(&self, d: &VmDetails) {
        self.name_row
            .set_subtitle(&glib::markup_escape_text(&d.name));
        let description = if d.description.is_empty() {
            gettext("None")
        } else {
            d.description.clone()
        };
        self.description_row
            .set_subtitle(&glib::markup_escape_text(&description));
        if let Some(h) = self.autostart_handler.borrow().as_ref() {
            self.autostart.block_signal(h);
            self.autostart.set_active(d.autostart);
            self.autostart.unblock_signal(h);
        }
        self.vcpus.set_value(d.vcpus as f64);
        self.memory.set_value((d.memory_kib / 1024) as f64);
        let boot = if d.boot_order.is_empty() {
            gettext("None")
        } else {
            d.boot_order.join(", ")
        };
        self.boot_row.set_subtitle(&glib::markup_escape_text(&boot));
        while let Some(child) = self.tags.first_child() {
            self.tags.remove(&child);
        }
        for tag in &d.tags {
            let content = adw::ButtonContent::builder()
                .label(tag.as_str())
                .icon_name("window-close-symbolic")
                .build();
            let chip = gtk::Button::builder()
                .child(&content)
                .css_classes(["pill", "small", "tag-chip"])
                .build();
            // GTK 4.8 reads the button's label after its name: "Remove tag prod".
            a11y::set_label(&chip, &gettext("Remove tag"));
            chip.set_tooltip_text(Some(&gettext_f("Remove tag “{tag}”", &[("tag", tag)])));
            let on_edit = self.on_edit.clone();
            let tag = tag.clone();
            chip.connect_clicked(move |_| on_edit(VmEdit::RemoveTag(tag.clone())));
            self.tags.insert(&chip, -1);
        }
        self.tags_row.set_visible(!d.tags.is_empty());
        self.details.replace(Some(d.clone()));
        self.sync_apply();
    }

    fn sync_apply(&self) {
        let d = self.details.borrow();
        let Some(d) = d.as_ref() else { return };
        self.vcpus_apply
            .set_sensitive(self.vcpus.value_as_int() as u32 != d.vcpus);
        self.memory_apply
            .set_sensitive(self.memory.value_as_int() as u64 != d.memory_kib / 1024);
    }

    fn apply_resources(&self, is_vcpus: bool) {
        let d = self.details.borrow().clone();
        let Some(d) = d else { return };
        let edit = if is_vcpus {
            VmEdit::Vcpus(self.vcpus.value_as_int().max(1) as u32)
        } else {
            let kib = self.memory.value_as_int().max(1) as u64 * 1024;
            VmEdit::Memory {
                current_kib: kib,
                max_kib: (kib > d.max_memory_kib).then_some(kib),
            }
        };
        (self.on_edit)(edit);
    }

    fn window_of(widget: &impl IsA<gtk::Widget>) -> Option<gtk::Window> {
        widget.root().and_downcast::<gtk::Window>()
    }

    fn prompt_rename(&self, from: &gtk::Button) {
        let (Some(d), Some(parent)) = (self.details.borrow().clone(), Self::window_of(from)) else {
            return;
        };
        let on_edit = self.on_edit.clone();
        dialogs::prompt::text(
            &parent,
            Prompt {
                heading: &gettext_f("Rename “{name}”", &[("name", &d.name)]),
                body: &gettext(
                    "Letters, digits, “.”, “-”, “_” and “+”. The machine must be shut off.",
                ),
                label: &gettext("New name"),
                initial: &d.name,
                accept: &gettext("Rename"),
                allow_empty: false,
            },
            move |name| on_edit(VmEdit::Rename(name)),
        );
    }

    fn prompt_description(&self, from: &gtk::Button) {
        let (Some(d), Some(parent)) = (self.details.borrow().clone(), Self::window_of(from)) else {
            return;
        };
        let on_edit = self.on_edit.clone();
        dialogs::prompt::text(
            &parent,
            Prompt {
                heading: &gettext("Description"),
                body: &gettext_f(
                    "A note about “{name}” for you and others who manage it.",
                    &[("name", &d.name)],
                ),
                label: &gettext("Description"),
                initial: &d.description,
                accept: &gettext("Save"),
                allow_empty: true,
            },
            move |text| on_edit(VmEdit::Description(text)),
        );
    }

    fn change_boot_order(&self, from: &gtk::Button) {
        let (Some(d), Some(parent)) = (self.details.borrow().clone(), Self::window_of(from)) else {
            return;
        };
        let on_edit = self.on_edit.clone();
        dialogs::boot_order::show(&parent, &d, move |order| on_edit(VmEdit::BootOrder(order)));
    }
}
