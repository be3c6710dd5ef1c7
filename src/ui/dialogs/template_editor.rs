//! The template editor: a small modal window over one [`Template`]'s fields. Saving is the
//! caller's job (off the main thread); the editor stays open until the caller closes it,
//! and shows the caller's error inline (a clashing name, say), so nothing typed is lost.

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use crate::services::templates::{Template, TemplateFirmware, TemplateNetwork};
use crate::ui::{a11y, format};

/// An open editor; cheap to clone.
#[derive(Clone)]
pub struct TemplateEditor {
    window: adw::Window,
    error: gtk::Label,
    save: gtk::Button,
}

impl TemplateEditor {
    /// Shows `error` under the fields and lets the user try again.
    pub fn show_error(&self, error: &str) {
        self.error.set_text(error);
        self.error.set_visible(true);
        self.save.set_sensitive(true);
        a11y::set_label(&self.error, error);
    }

    pub fn close(&self) {
        self.window.close();
    }
}

fn spin_row(
    title: &str,
    min: f64,
    max: f64,
    step: f64,
    value: f64,
) -> (adw::ActionRow, gtk::SpinButton) {
    let spin = gtk::SpinButton::with_range(min, max, step);
    spin.set_value(value);
    spin.set_valign(gtk::Align::Center);
    let row = adw::ActionRow::builder().title(title).build();
    row.add_suffix(&spin);
    // The row names its activatable widget (labelled-by its title).
    row.set_activatable_widget(Some(&spin));
    (row, spin)
}

fn combo_row(title: &str, items: &[String], selected: u32) -> adw::ComboRow {
    let strings: Vec<&str> = items.iter().map(String::as_str).collect();
    adw::ComboRow::builder()
        .title(title)
        .model(&gtk::StringList::new(&strings))
        .selected(selected)
        .build()
}

/// Opens the editor on `template`. `on_save` gets the edited template (same id); the
/// editor disables Save until the caller answers with `close` or `show_error`.
pub fn show(
    parent: &gtk::Window,
    template: &Template,
    on_save: impl Fn(&TemplateEditor, Template) + 'static,
) -> TemplateEditor {
    let window = adw::Window::builder()
        .transient_for(parent)
        .modal(true)
        .title(gettext("Edit Template"))
        .build();
    crate::ui::dialogs::fit_to_parent(&window, 480, -1);
    let (header, save) = crate::ui::dialogs::action_header(&window, &gettext("Save"));

    let name = adw::EntryRow::builder()
        .title(gettext("Name"))
        .text(&template.name)
        .build();
    let description = adw::EntryRow::builder()
        .title(gettext("Description"))
        .text(&template.description)
        .build();
    let os = adw::ActionRow::builder()
        .title(gettext("Operating system"))
        .subtitle(
            template
                .os_id
                .as_deref()
                .map(format::os_name)
                .unwrap_or_else(|| gettext("Unknown")),
        )
        .build();
    os.add_css_class("property");
    let about = adw::PreferencesGroup::new();
    about.add(&name);
    about.add(&description);
    about.add(&os);

    let (vcpu_row, vcpus) = spin_row(
        &gettext("Virtual CPUs"),
        1.0,
        512.0,
        1.0,
        template.vcpus as f64,
    );
    let (mem_row, memory) = spin_row(
        &gettext("Memory (MiB)"),
        16.0,
        4.0 * 1024.0 * 1024.0,
        128.0,
        (template.memory_kib / 1024).max(16) as f64,
    );
    let disk_switch = gtk::Switch::builder()
        .active(template.disk_bytes.is_some())
        .valign(gtk::Align::Center)
        .build();
    let disk_row = adw::ActionRow::builder().title(gettext("New disk")).build();
    disk_row.add_suffix(&disk_switch);
    disk_row.set_activatable_widget(Some(&disk_switch));
    let (size_row, disk_size) = spin_row(
        &gettext("Disk size (GiB)"),
        1.0,
        64.0 * 1024.0,
        1.0,
        template
            .disk_bytes
            .map(|b| ((b + (1 << 29)) >> 30).max(1))
            .unwrap_or(20) as f64,
    );
    disk_switch
        .bind_property("active", &size_row, "visible")
        .sync_create()
        .build();
    let firmware = combo_row(
        &gettext("Firmware"),
        &[gettext("BIOS"), gettext("UEFI")],
        u32::from(template.firmware == TemplateFirmware::Uefi),
    );
    let resources = adw::PreferencesGroup::builder()
        .title(gettext("Resources"))
        .build();
    for row in [
        vcpu_row.upcast_ref::<gtk::Widget>(),
        mem_row.upcast_ref(),
        disk_row.upcast_ref(),
        size_row.upcast_ref(),
        firmware.upcast_ref(),
    ] {
        resources.add(row);
    }

    let (kind, net_name) = match &template.network {
        TemplateNetwork::Network(n) => (0, n.clone()),
        TemplateNetwork::Bridge(n) => (1, n.clone()),
        TemplateNetwork::None => (2, String::new()),
    };
    let net_kind = combo_row(
        &gettext("Connection"),
        &[
            gettext("Virtual network"),
            gettext("Host bridge"),
            gettext("None"),
        ],
        kind,
    );
    let net_entry = adw::EntryRow::builder()
        .title(gettext("Network or bridge name"))
        .text(&net_name)
        .build();
    net_kind
        .bind_property("selected", &net_entry, "visible")
        .transform_to(|_, selected: u32| Some(selected != 2))
        .sync_create()
        .build();
    let network = adw::PreferencesGroup::builder()
        .title(gettext("Network"))
        .build();
    network.add(&net_kind);
    network.add(&net_entry);

    let error = gtk::Label::builder()
        .css_classes(["error"])
        .wrap(true)
        .xalign(0.0)
        .visible(false)
        .build();
    let page = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(24)
        .margin_top(24)
        .margin_bottom(24)
        .margin_start(12)
        .margin_end(12)
        .build();
    page.append(&about);
    page.append(&resources);
    page.append(&network);
    page.append(&error);
    let scroll = gtk::ScrolledWindow::builder()
        .child(&adw::Clamp::builder().maximum_size(560).child(&page).build())
        .hscrollbar_policy(gtk::PolicyType::Never)
        .propagate_natural_height(true)
        .max_content_height(720)
        .build();
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&scroll);
    window.set_content(Some(&content));

    let editor = TemplateEditor {
        window: window.clone(),
        error,
        save: save.clone(),
    };
    let base = template.clone();
    let on_save = Rc::new(on_save);
    {
        let editor = editor.clone();
        save.connect_clicked(move |button| {
            let network = match net_kind.selected() {
                0 => TemplateNetwork::Network(net_entry.text().trim().to_owned()),
                1 => TemplateNetwork::Bridge(net_entry.text().trim().to_owned()),
                _ => TemplateNetwork::None,
            };
            let edited = Template {
                name: name.text().trim().to_owned(),
                description: description.text().trim().to_owned(),
                vcpus: vcpus.value_as_int().max(1) as u32,
                memory_kib: memory.value_as_int().max(1) as u64 * 1024,
                disk_bytes: disk_switch
                    .is_active()
                    .then(|| disk_size.value_as_int().max(1) as u64 * (1 << 30)),
                firmware: if firmware.selected() == 1 {
                    TemplateFirmware::Uefi
                } else {
                    TemplateFirmware::Bios
                },
                network,
                ..base.clone()
            };
            if let Err(e) = edited.validate() {
                editor.show_error(&e.to_string());
                return;
            }
            button.set_sensitive(false);
            on_save(&editor, edited);
        });
    }
    window.present();
    editor
}
