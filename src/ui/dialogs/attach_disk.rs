//! "Attach a Disk to “name”": the source (a new volume in a pool, an existing volume, or
//! an image file), the device (disk or CD-ROM), the bus and an optional target name.
//! What can be checked here is checked as the user types and shown under the form (a bad
//! size, a target already in use or not named for its bus, SATA on a running machine);
//! what needs the host (the file exists, the volume is not in use) comes back from the
//! worker and is shown in the same place, with the dialog still open.

use std::cell::RefCell;
use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use crate::backend::create::{CreateOptions, PoolOption};
use crate::backend::hotplug::checks::{check_bus, check_target, check_volume_name};
use crate::backend::hotplug::{free_target, AttachRequest, AttachSource, DiskBus, DiskDevice};
use crate::i18n::{bytes, gettext_f};
use crate::ui::a11y;

/// Units the size can be given in, with their size in bytes.
const UNITS: [(&str, u64); 3] = [("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40)];

/// What the dialog needs to know about the machine.
pub struct AttachInit {
    pub uuid: String,
    pub name: String,
    pub running: bool,
    /// Targets the machine's disks have now.
    pub targets: Vec<String>,
    /// The host's pools and volumes, when already known (they are asked for again).
    pub storage: Option<CreateOptions>,
}

/// `text` × `unit` bytes, rounded up to whole MiB. The message says what is wrong.
pub fn parse_size(text: &str, unit: u64) -> Result<u64, String> {
    let t = text.trim().replace(',', ".");
    let value: f64 = t
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && !t.starts_with('+'))
        .ok_or_else(|| {
            gettext_f(
                "“{text}” is not a size: enter a number, for example 10 or 2.5.",
                &[("text", text.trim())],
            )
        })?;
    if value <= 0.0 {
        return Err(gettext("A new volume needs a size above zero."));
    }
    let total = value * unit as f64;
    if total > (1u64 << 60) as f64 {
        return Err(gettext("That size is too large for a volume."));
    }
    let mib = (total / (1u64 << 20) as f64).ceil() as u64;
    Ok(mib.max(1) << 20)
}

/// A native chooser for an image file (ISO first), not yet shown.
pub fn image_chooser(parent: &gtk::Window, title: &str) -> gtk::FileChooserNative {
    let chooser = gtk::FileChooserNative::new(
        Some(title),
        Some(parent),
        gtk::FileChooserAction::Open,
        Some(&gettext("Choose")),
        Some(&gettext("Cancel")),
    );
    let images = gtk::FileFilter::new();
    images.set_name(Some(&gettext("Disc and disk images")));
    for p in ["*.iso", "*.ISO", "*.img", "*.qcow2", "*.raw"] {
        images.add_pattern(p);
    }
    chooser.add_filter(&images);
    let all = gtk::FileFilter::new();
    all.set_name(Some(&gettext("All files")));
    all.add_pattern("*");
    chooser.add_filter(&all);
    chooser
}

struct Form {
    init: AttachInit,
    source: adw::ComboRow,
    pool: adw::ComboRow,
    volume: adw::ComboRow,
    vol_name: adw::EntryRow,
    size: adw::EntryRow,
    unit: gtk::DropDown,
    format: adw::ComboRow,
    file: adw::EntryRow,
    device: adw::ComboRow,
    bus: adw::ComboRow,
    target: adw::EntryRow,
    readonly: gtk::Switch,
    message: gtk::Label,
    attach: gtk::Button,
    pools: RefCell<Vec<PoolOption>>,
    chooser: RefCell<Option<gtk::FileChooserNative>>,
    busy: std::cell::Cell<bool>,
}

/// An open attach dialog; cheap to clone.
#[derive(Clone)]
pub struct AttachDialog {
    window: adw::Window,
    form: Rc<Form>,
}

impl std::fmt::Debug for AttachDialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttachDialog")
    }
}

fn combo(title: &str, items: &[String]) -> adw::ComboRow {
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    adw::ComboRow::builder()
        .title(title)
        .model(&gtk::StringList::new(&refs))
        .build()
}

fn set_items(row: &adw::ComboRow, items: &[String]) {
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    row.set_model(Some(&gtk::StringList::new(&refs)));
}

impl Form {
    fn source_kind(&self) -> u32 {
        self.source.selected()
    }

    fn bus(&self) -> DiskBus {
        DiskBus::ALL[(self.bus.selected() as usize).min(2)]
    }

    fn device(&self) -> DiskDevice {
        DiskDevice::ALL[(self.device.selected() as usize).min(1)]
    }

    fn active_pools(&self) -> Vec<PoolOption> {
        self.pools
            .borrow()
            .iter()
            .filter(|p| p.active)
            .cloned()
            .collect()
    }

    fn chosen_pool(&self) -> Option<PoolOption> {
        self.active_pools()
            .get(self.pool.selected() as usize)
            .cloned()
    }

    fn set_storage(&self, options: &CreateOptions) {
        let keep = self.chosen_pool().map(|p| p.name);
        self.pools.replace(options.pools.clone());
        let pools = self.active_pools();
        let labels: Vec<String> = pools
            .iter()
            .map(|p| {
                gettext_f(
                    "{pool} ({free} free)",
                    &[("pool", &p.name), ("free", &bytes(p.available_bytes))],
                )
            })
            .collect();
        set_items(&self.pool, &labels);
        let at = keep
            .and_then(|k| pools.iter().position(|p| p.name == k))
            .or_else(|| pools.iter().position(|p| p.name == "default"))
            .unwrap_or(0);
        self.pool.set_selected(at as u32);
        self.pool_changed();
    }

    fn pool_changed(&self) {
        let vols: Vec<String> = self
            .chosen_pool()
            .map(|p| {
                p.volumes
                    .iter()
                    .map(|v| format!("{} · {}", v.name, bytes(v.capacity_bytes)))
                    .collect()
            })
            .unwrap_or_default();
        set_items(&self.volume, &vols);
        self.update();
    }

    /// The request the form describes, `Ok(None)` while something is still missing, or
    /// what is wrong.
    fn request(&self) -> Result<Option<AttachRequest>, String> {
        let say = |e: crate::backend::BackendError| format!("{} {}", e.message, e.hint);
        let (device, bus) = (self.device(), self.bus());
        check_bus(device, bus, self.init.running, &self.init.name).map_err(say)?;
        let target = self.target.text().trim().to_owned();
        if !target.is_empty() {
            check_target(&target, bus, &self.init.targets, &self.init.name).map_err(say)?;
        }
        let source = match self.source_kind() {
            0 => {
                if device == DiskDevice::Cdrom {
                    return Err(gettext(
                        "A new, empty volume cannot go into a CD-ROM drive: choose an image file or an existing volume.",
                    ));
                }
                let Some(pool) = self.chosen_pool() else {
                    return Ok(None);
                };
                let name = self.vol_name.text().trim().to_owned();
                if name.is_empty() {
                    return Ok(None);
                }
                check_volume_name(&name).map_err(say)?;
                if pool.volumes.iter().any(|v| v.name == name) {
                    return Err(gettext_f(
                        "Pool “{pool}” already has a volume “{volume}”.",
                        &[("pool", &pool.name), ("volume", &name)],
                    ));
                }
                let unit = UNITS[(self.unit.selected() as usize).min(2)].1;
                let capacity = parse_size(&self.size.text(), unit)?;
                if capacity > pool.available_bytes {
                    return Err(gettext_f(
                        "{size} does not fit into pool “{pool}”: it has {free} free.",
                        &[
                            ("size", &bytes(capacity)),
                            ("pool", &pool.name),
                            ("free", &bytes(pool.available_bytes)),
                        ],
                    ));
                }
                AttachSource::NewVolume {
                    pool: pool.name,
                    name,
                    capacity,
                    format: ["qcow2", "raw"][(self.format.selected() as usize).min(1)].into(),
                }
            }
            1 => {
                let Some(pool) = self.chosen_pool() else {
                    return Ok(None);
                };
                let Some(vol) = pool.volumes.get(self.volume.selected() as usize) else {
                    return Ok(None);
                };
                AttachSource::Volume {
                    pool: pool.name.clone(),
                    name: vol.name.clone(),
                }
            }
            _ => {
                let path = self.file.text().trim().to_owned();
                if path.is_empty() {
                    return Ok(None);
                }
                if !path.starts_with('/') {
                    return Err(gettext_f(
                        "“{path}” is not a full path (it must start with “/”).",
                        &[("path", &path)],
                    ));
                }
                AttachSource::File { path }
            }
        };
        Ok(Some(AttachRequest {
            uuid: self.init.uuid.clone(),
            source,
            device,
            bus,
            target: (!target.is_empty()).then_some(target),
            readonly: self.readonly.is_active() || device == DiskDevice::Cdrom,
        }))
    }

    fn show_message(&self, text: &str) {
        self.message.set_text(text);
        self.message.set_visible(!text.is_empty());
        a11y::set_label(&self.message, text);
    }

    /// Show the rows the source needs, check the form, and enable Attach when it is ready.
    fn update(&self) {
        let kind = self.source_kind();
        for (row, shown) in [
            (self.pool.upcast_ref::<gtk::Widget>(), kind < 2),
            (self.volume.upcast_ref(), kind == 1),
            (self.vol_name.upcast_ref(), kind == 0),
            (self.size.upcast_ref(), kind == 0),
            (self.format.upcast_ref(), kind == 0),
            (self.file.upcast_ref(), kind == 2),
        ] {
            row.set_visible(shown);
        }
        let free = free_target(&self.init.targets, self.bus());
        self.target
            .set_title(&gettext_f("Target (empty: {free})", &[("free", &free)]));
        if self.busy.get() {
            return;
        }
        match self.request() {
            Ok(r) => {
                self.show_message("");
                self.attach.set_sensitive(r.is_some());
            }
            Err(e) => {
                self.show_message(&e);
                self.attach.set_sensitive(false);
            }
        }
    }
}

impl AttachDialog {
    pub fn set_storage(&self, options: &CreateOptions) {
        self.form.set_storage(options);
    }

    /// The worker refused or failed: back to the form, with the reason.
    pub fn failed(&self, message: &str) {
        self.form.busy.set(false);
        self.form.message.remove_css_class("dim-label");
        self.form.message.add_css_class("error");
        self.form.show_message(message);
        self.form.attach.set_sensitive(true);
    }

    pub fn close(&self) {
        self.window.close();
    }

    /// Still on screen (not cancelled or closed).
    pub fn is_open(&self) -> bool {
        self.window.is_visible()
    }
}

/// Opens the dialog; `on_attach` gets the request (the dialog then waits for
/// [`AttachDialog::failed`] or [`AttachDialog::close`]).
pub fn show(
    parent: &gtk::Window,
    init: AttachInit,
    on_attach: impl Fn(AttachRequest) + 'static,
) -> AttachDialog {
    let window = adw::Window::builder()
        .transient_for(parent)
        .modal(true)
        .title(gettext_f(
            "Attach a Disk to “{name}”",
            &[("name", &init.name)],
        ))
        .build();
    crate::ui::dialogs::fit_to_parent(&window, 520, 640);
    let (header, attach) = crate::ui::dialogs::action_header(&window, &gettext("Attach"));

    let source = combo(
        &gettext("Source"),
        &[
            gettext("New volume"),
            gettext("Existing volume"),
            gettext("Image file"),
        ],
    );
    let pool = combo(&gettext("Pool"), &[]);
    let volume = combo(&gettext("Volume"), &[]);
    let next = free_target(&init.targets, DiskBus::Virtio);
    let vol_name = adw::EntryRow::builder()
        .title(gettext("Volume name"))
        .text(format!("{}-{next}.qcow2", init.name))
        .build();
    let size = adw::EntryRow::builder()
        .title(gettext("Size"))
        .text("10")
        .build();
    let unit = gtk::DropDown::from_strings(&UNITS.map(|(u, _)| u));
    unit.set_selected(1);
    unit.set_valign(gtk::Align::Center);
    a11y::name_dropdown(&unit, &gettext("Size unit"));
    size.add_suffix(&unit);
    let format = combo(&gettext("Format"), &["qcow2".into(), "raw".into()]);
    let file = adw::EntryRow::builder()
        .title(gettext("Image file"))
        .build();
    let choose = a11y::icon_button("document-open-symbolic", &gettext("Choose Image File…"));
    choose.set_valign(gtk::Align::Center);
    choose.add_css_class("flat");
    file.add_suffix(&choose);
    let source_group = adw::PreferencesGroup::builder()
        .title(gettext("Source"))
        .build();
    for row in [
        source.upcast_ref::<gtk::Widget>(),
        pool.upcast_ref(),
        volume.upcast_ref(),
        vol_name.upcast_ref(),
        size.upcast_ref(),
        format.upcast_ref(),
        file.upcast_ref(),
    ] {
        source_group.add(row);
    }

    let device = combo(&gettext("Device"), &DiskDevice::ALL.map(DiskDevice::label));
    let bus = combo(&gettext("Bus"), &DiskBus::ALL.map(DiskBus::label));
    let target = adw::EntryRow::builder().title(gettext("Target")).build();
    let readonly = gtk::Switch::builder().valign(gtk::Align::Center).build();
    let readonly_row = adw::ActionRow::builder()
        .title(gettext("Read-only"))
        .build();
    readonly_row.add_suffix(&readonly);
    readonly_row.set_activatable_widget(Some(&readonly));
    a11y::set_label(&readonly, &gettext("Read-only"));
    let device_group = adw::PreferencesGroup::builder()
        .title(gettext("Device"))
        .build();
    if init.running {
        device_group.set_description(Some(&gettext(
            "The machine is running: the disk is added now and kept for its next start. QEMU adds VirtIO and SCSI devices to a running machine, not SATA.",
        )));
    }
    for row in [
        device.upcast_ref::<gtk::Widget>(),
        bus.upcast_ref(),
        target.upcast_ref(),
        readonly_row.upcast_ref(),
    ] {
        device_group.add(row);
    }

    let message = gtk::Label::builder()
        .wrap(true)
        .xalign(0.0)
        .visible(false)
        .css_classes(["error"])
        .build();
    let column = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(18)
        .margin_top(18)
        .margin_bottom(18)
        .margin_start(12)
        .margin_end(12)
        .build();
    column.append(&source_group);
    column.append(&device_group);
    column.append(&message);
    let scroller = gtk::ScrolledWindow::builder()
        .child(&column)
        .hscrollbar_policy(gtk::PolicyType::Never)
        .propagate_natural_height(true)
        .vexpand(true)
        .build();
    let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
    content.append(&header);
    content.append(&scroller);
    window.set_content(Some(&content));

    let storage = init.storage.clone();
    let form = Rc::new(Form {
        init,
        source,
        pool,
        volume,
        vol_name,
        size,
        unit,
        format,
        file,
        device,
        bus,
        target,
        readonly,
        message,
        attach: attach.clone(),
        pools: RefCell::new(Vec::new()),
        chooser: RefCell::new(None),
        busy: std::cell::Cell::new(false),
    });
    connect(&form, &window, &choose, on_attach);
    if let Some(options) = &storage {
        form.set_storage(options);
    }
    form.update();
    window.present();
    AttachDialog { window, form }
}

fn connect(
    form: &Rc<Form>,
    window: &adw::Window,
    choose: &gtk::Button,
    on_attach: impl Fn(AttachRequest) + 'static,
) {
    let weak = Rc::downgrade(form);
    let update = move || {
        if let Some(f) = weak.upgrade() {
            f.update();
        }
    };
    for row in [
        &form.source,
        &form.format,
        &form.device,
        &form.bus,
        &form.volume,
    ] {
        let u = update.clone();
        row.connect_selected_notify(move |_| u());
    }
    {
        let weak = Rc::downgrade(form);
        form.pool.connect_selected_notify(move |_| {
            if let Some(f) = weak.upgrade() {
                f.pool_changed();
            }
        });
    }
    let u = update.clone();
    form.unit.connect_selected_notify(move |_| u());
    for entry in [&form.vol_name, &form.size, &form.file, &form.target] {
        let u = update.clone();
        entry.connect_changed(move |_| u());
    }
    let u = update.clone();
    form.readonly.connect_active_notify(move |_| u());
    {
        let weak = Rc::downgrade(form);
        let parent = window.clone();
        choose.connect_clicked(move |_| {
            let Some(f) = weak.upgrade() else { return };
            let chooser = image_chooser(parent.upcast_ref(), &gettext("Choose an Image File"));
            let weak = Rc::downgrade(&f);
            chooser.connect_response(move |c, r| {
                if r != gtk::ResponseType::Accept {
                    return;
                }
                if let (Some(f), Some(path)) = (weak.upgrade(), c.file().and_then(|x| x.path())) {
                    f.file.set_text(&path.display().to_string());
                }
            });
            chooser.show();
            f.chooser.replace(Some(chooser));
        });
    }
    let weak = Rc::downgrade(form);
    form.attach.connect_clicked(move |button| {
        let Some(f) = weak.upgrade() else { return };
        match f.request() {
            Ok(Some(req)) => {
                f.busy.set(true);
                button.set_sensitive(false);
                f.message.remove_css_class("error");
                f.message.add_css_class("dim-label");
                f.show_message(&gettext("Attaching…"));
                on_attach(req);
            }
            Ok(None) => {}
            Err(e) => f.show_message(&e),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_numbers_above_zero_in_whole_mib() {
        assert_eq!(parse_size("10", 1 << 30), Ok(10 << 30));
        assert_eq!(parse_size(" 2,5 ", 1 << 30), Ok(2560 << 20));
        assert_eq!(parse_size("16", 1 << 20), Ok(16 << 20));
        assert_eq!(parse_size("0.0001", 1 << 20), Ok(1 << 20));
        for bad in ["", "ten", "10 GiB", "1e", "-1", "+3", "NaN", "inf"] {
            assert!(parse_size(bad, 1 << 30).is_err(), "{bad:?}");
        }
        assert!(parse_size("0", 1 << 30).unwrap_err().contains("above zero"));
        assert!(parse_size("-1", 1 << 30)
            .unwrap_err()
            .contains("above zero"));
        assert!(parse_size("99999999", 1 << 40).is_err());
    }
}
