//! The widgets of the wizard's steps. Each step is a struct of the widgets the wizard
//! reads back; building them is all this file does (no logic, no libvirt).

use adw::prelude::*;
use gettextrs::gettext;

use crate::ui::a11y;

/// A row with a radio button (a `CheckButton` in a group) as its prefix.
pub fn radio_row(
    title: &str,
    subtitle: &str,
    group: Option<&gtk::CheckButton>,
) -> (adw::ActionRow, gtk::CheckButton) {
    let radio = gtk::CheckButton::new();
    if let Some(g) = group {
        radio.set_group(Some(g));
    }
    let row = adw::ActionRow::builder().title(title).build();
    if !subtitle.is_empty() {
        row.set_subtitle(subtitle);
    }
    row.add_prefix(&radio);
    row.set_activatable_widget(Some(&radio));
    (row, radio)
}

/// An entry row with a "Choose…" button for a local file.
pub fn file_row(title: &str, choose_label: &str) -> (adw::EntryRow, gtk::Button) {
    let row = adw::EntryRow::builder().title(title).build();
    let choose = a11y::icon_button("document-open-symbolic", choose_label);
    choose.set_valign(gtk::Align::Center);
    choose.add_css_class("flat");
    row.add_suffix(&choose);
    (row, choose)
}

pub fn spin_row(title: &str, min: f64, max: f64, step: f64) -> (adw::ActionRow, gtk::SpinButton) {
    let spin = gtk::SpinButton::with_range(min, max, step);
    spin.set_valign(gtk::Align::Center);
    let row = adw::ActionRow::builder().title(title).build();
    row.add_suffix(&spin);
    row.set_activatable_widget(Some(&spin));
    (row, spin)
}

/// A label for an inline error or warning under a group; hidden until it has text.
pub fn message_label(css: &str) -> gtk::Label {
    gtk::Label::builder()
        .wrap(true)
        .xalign(0.0)
        .visible(false)
        .css_classes([css])
        .build()
}

pub fn set_message(label: &gtk::Label, text: &str) {
    label.set_text(text);
    label.set_visible(!text.is_empty());
    a11y::set_label(label, text);
}

/// A scrolled, clamped column of groups: one wizard step.
pub fn step_page(children: &[&gtk::Widget]) -> gtk::ScrolledWindow {
    let column = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(18)
        .margin_top(18)
        .margin_bottom(18)
        .margin_start(12)
        .margin_end(12)
        .build();
    for c in children {
        column.append(*c);
    }
    gtk::ScrolledWindow::builder()
        .child(
            &adw::Clamp::builder()
                .maximum_size(600)
                .child(&column)
                .build(),
        )
        .hscrollbar_policy(gtk::PolicyType::Never)
        .vexpand(true)
        .build()
}

pub struct SourceStep {
    pub page: gtk::ScrolledWindow,
    pub iso: gtk::CheckButton,
    pub iso_path: adw::EntryRow,
    pub iso_choose: gtk::Button,
    pub import: gtk::CheckButton,
    pub import_path: adw::EntryRow,
    pub import_choose: gtk::Button,
    pub import_copy: adw::ComboRow,
    pub url: gtk::CheckButton,
    pub url_entry: adw::EntryRow,
    pub none: gtk::CheckButton,
    pub error: gtk::Label,
}

pub fn source_step() -> SourceStep {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Install From"))
        .build();
    let (iso_row, iso) = radio_row(
        &gettext("Installation ISO"),
        &gettext("A CD or DVD image on this computer"),
        None,
    );
    let (iso_path, iso_choose) = file_row(&gettext("ISO file"), &gettext("Choose an ISO File"));
    let (import_row, import) = radio_row(
        &gettext("Existing disk image"),
        &gettext("A qcow2 or raw image with an installed system"),
        Some(&iso),
    );
    let (import_path, import_choose) =
        file_row(&gettext("Disk image file"), &gettext("Choose a Disk Image"));
    let import_copy = adw::ComboRow::builder()
        .title(gettext("Image"))
        .model(&gtk::StringList::new(&[]))
        .build();
    let (url_row, url) = radio_row(
        &gettext("Network install"),
        &gettext("The address of an installation ISO (http or https)"),
        Some(&iso),
    );
    let url_entry = adw::EntryRow::builder().title(gettext("URL")).build();
    let (none_row, none) = radio_row(
        &gettext("No installation media"),
        &gettext("Boot from the network or set it up later"),
        Some(&iso),
    );
    iso.set_active(true);
    for (radio, rows) in [
        (&iso, vec![iso_path.clone().upcast::<gtk::Widget>()]),
        (
            &import,
            vec![
                import_path.clone().upcast::<gtk::Widget>(),
                import_copy.clone().upcast(),
            ],
        ),
        (&url, vec![url_entry.clone().upcast::<gtk::Widget>()]),
    ] {
        for row in rows {
            radio
                .bind_property("active", &row, "visible")
                .sync_create()
                .build();
        }
    }
    group.add(&iso_row);
    group.add(&iso_path);
    group.add(&import_row);
    group.add(&import_path);
    group.add(&import_copy);
    group.add(&url_row);
    group.add(&url_entry);
    group.add(&none_row);
    let error = message_label("error");
    let page = step_page(&[group.upcast_ref(), error.upcast_ref()]);
    SourceStep {
        page,
        iso,
        iso_path,
        iso_choose,
        import,
        import_path,
        import_choose,
        import_copy,
        url,
        url_entry,
        none,
        error,
    }
}

pub struct OsStep {
    pub page: gtk::Box,
    pub search: gtk::SearchEntry,
    pub list: gtk::ListBox,
    pub detected: gtk::Label,
    pub chosen: gtk::Label,
    pub stack: gtk::Stack,
}

pub fn os_step() -> OsStep {
    let search = gtk::SearchEntry::builder()
        .placeholder_text(gettext("Search operating systems"))
        .build();
    a11y::set_label(&search, &gettext("Search operating systems"));
    let detected = message_label("dim-label");
    let chosen = gtk::Label::builder().xalign(0.0).wrap(true).build();
    let list = gtk::ListBox::builder()
        .css_classes(["boxed-list"])
        .selection_mode(gtk::SelectionMode::Single)
        .valign(gtk::Align::Start)
        .build();
    a11y::set_label(&list, &gettext("Operating systems"));
    let list_page = step_page(&[list.upcast_ref()]);
    let loading = gtk::Spinner::builder()
        .spinning(true)
        .width_request(32)
        .height_request(32)
        .halign(gtk::Align::Center)
        .valign(gtk::Align::Center)
        .vexpand(true)
        .build();
    a11y::set_label(&loading, &gettext("Loading"));
    let stack = gtk::Stack::new();
    stack.add_named(&loading, Some("loading"));
    stack.add_named(&list_page, Some("list"));
    a11y::hide_other_pages(&stack);
    let head = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(6)
        .margin_top(12)
        .margin_start(12)
        .margin_end(12)
        .build();
    head.append(&search);
    head.append(&detected);
    head.append(&chosen);
    let clamp = adw::Clamp::builder().maximum_size(600).child(&head).build();
    let page = gtk::Box::new(gtk::Orientation::Vertical, 0);
    page.append(&clamp);
    page.append(&stack);
    OsStep {
        page,
        search,
        list,
        detected,
        chosen,
        stack,
    }
}

pub struct ResourcesStep {
    pub page: gtk::ScrolledWindow,
    pub vcpus: gtk::SpinButton,
    pub memory: gtk::SpinButton,
    pub host: gtk::Label,
    pub warning: gtk::Label,
}

pub fn resources_step() -> ResourcesStep {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Resources"))
        .build();
    let (vcpu_row, vcpus) = spin_row(&gettext("Virtual CPUs"), 1.0, 512.0, 1.0);
    let (mem_row, memory) = spin_row(
        &gettext("Memory (MiB)"),
        64.0,
        16.0 * 1024.0 * 1024.0,
        256.0,
    );
    group.add(&vcpu_row);
    group.add(&mem_row);
    let host = gtk::Label::builder()
        .xalign(0.0)
        .wrap(true)
        .css_classes(["dim-label"])
        .build();
    let warning = message_label("warning");
    let page = step_page(&[group.upcast_ref(), host.upcast_ref(), warning.upcast_ref()]);
    ResourcesStep {
        page,
        vcpus,
        memory,
        host,
        warning,
    }
}

pub struct StorageStep {
    pub page: gtk::ScrolledWindow,
    pub new: gtk::CheckButton,
    pub new_pool: adw::ComboRow,
    pub size: gtk::SpinButton,
    pub existing: gtk::CheckButton,
    pub existing_pool: adw::ComboRow,
    pub volume: adw::ComboRow,
    pub none: gtk::CheckButton,
    pub imported: gtk::Label,
    pub group: adw::PreferencesGroup,
    pub error: gtk::Label,
}

pub fn storage_step() -> StorageStep {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Storage"))
        .build();
    let (new_row, new) = radio_row(&gettext("Create a new disk"), "", None);
    let new_pool = adw::ComboRow::builder().title(gettext("Pool")).build();
    let (size_row, size) = spin_row(&gettext("Size (GiB)"), 1.0, 64.0 * 1024.0, 1.0);
    let (existing_row, existing) = radio_row(&gettext("Use an existing volume"), "", Some(&new));
    let existing_pool = adw::ComboRow::builder().title(gettext("Pool")).build();
    let volume = adw::ComboRow::builder().title(gettext("Volume")).build();
    let (none_row, none) = radio_row(&gettext("No disk"), "", Some(&new));
    new.set_active(true);
    for w in [new_pool.upcast_ref::<gtk::Widget>(), size_row.upcast_ref()] {
        new.bind_property("active", w, "visible")
            .sync_create()
            .build();
    }
    for w in [
        existing_pool.upcast_ref::<gtk::Widget>(),
        volume.upcast_ref(),
    ] {
        existing
            .bind_property("active", w, "visible")
            .sync_create()
            .build();
    }
    for w in [
        new_row.upcast_ref::<gtk::Widget>(),
        new_pool.upcast_ref(),
        size_row.upcast_ref(),
        existing_row.upcast_ref(),
        existing_pool.upcast_ref(),
        volume.upcast_ref(),
        none_row.upcast_ref(),
    ] {
        group.add(w);
    }
    let imported = message_label("dim-label");
    let error = message_label("error");
    let page = step_page(&[
        group.upcast_ref(),
        imported.upcast_ref(),
        error.upcast_ref(),
    ]);
    StorageStep {
        page,
        new,
        new_pool,
        size,
        existing,
        existing_pool,
        volume,
        none,
        imported,
        group,
        error,
    }
}

pub struct NetworkStep {
    pub page: gtk::ScrolledWindow,
    pub group: adw::PreferencesGroup,
    pub error: gtk::Label,
}

pub fn network_step() -> NetworkStep {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Network"))
        .build();
    let error = message_label("error");
    let page = step_page(&[group.upcast_ref(), error.upcast_ref()]);
    NetworkStep { page, group, error }
}

pub struct SummaryStep {
    pub page: gtk::ScrolledWindow,
    pub name: adw::EntryRow,
    pub name_error: gtk::Label,
    pub firmware: adw::ComboRow,
    pub overview: adw::PreferencesGroup,
    pub customise: gtk::CheckButton,
    pub error: gtk::Label,
}

pub fn summary_step() -> SummaryStep {
    let group = adw::PreferencesGroup::new();
    let name = adw::EntryRow::builder().title(gettext("Name")).build();
    let firmware = adw::ComboRow::builder()
        .title(gettext("Firmware"))
        .model(&gtk::StringList::new(&[&gettext("BIOS"), &gettext("UEFI")]))
        .build();
    group.add(&name);
    group.add(&firmware);
    let name_error = message_label("error");
    let overview = adw::PreferencesGroup::builder()
        .title(gettext("Summary"))
        .build();
    let customise =
        gtk::CheckButton::with_label(&gettext("Customise configuration before install"));
    let error = message_label("error");
    let page = step_page(&[
        group.upcast_ref(),
        name_error.upcast_ref(),
        overview.upcast_ref(),
        customise.upcast_ref(),
        error.upcast_ref(),
    ]);
    SummaryStep {
        page,
        name,
        name_error,
        firmware,
        overview,
        customise,
        error,
    }
}

pub struct ProgressStep {
    pub page: adw::StatusPage,
}

pub fn progress_step() -> ProgressStep {
    let spinner = gtk::Spinner::builder()
        .spinning(true)
        .width_request(32)
        .height_request(32)
        .halign(gtk::Align::Center)
        .build();
    a11y::set_label(&spinner, &gettext("Creating"));
    let page = adw::StatusPage::builder()
        .title(gettext("Creating the Machine"))
        .child(&spinner)
        .vexpand(true)
        .build();
    ProgressStep { page }
}
