//! The creation wizard ("New Virtual Machine"): source, operating system, resources,
//! storage, network, summary; then optionally the proposed XML to customise; then
//! progress until the machine exists and its page opens.
//!
//! The wizard holds the user's choices in its widgets and turns them into a
//! [`CreatePlan`] at the end. It talks to the connection worker through its owner
//! (`NewVmOutput::Send`), which forwards the answers (`NewVmMsg::Options`, `Progress`,
//! `Created`...). File checks (ISO volume id, image format) and the libosinfo database
//! load run off the main thread. Each step checks its own input before Next, and says
//! what is wrong on that step.

mod pages;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::backend::create::{
    detect_image, parse_install_url, resource_warnings, validate_name, CreateOptions, CreatePlan,
    CreateStep, InstallSource, NetworkChoice, StorageChoice,
};
use crate::backend::domain_spec::Firmware;
use crate::backend::osinfo::{read_iso_volume_id, OsDb, OsEntry};
use crate::backend::{BackendError, Command, VmSummary};
use crate::i18n::gettext_f;
use crate::services::templates::{Template, TemplateFirmware, TemplateNetwork};
use crate::ui::widgets::xml_editor::XmlEditor;
use crate::ui::{a11y, format};
use pages::*;

/// Most OS rows shown for one search (the database has ~900).
const MAX_OS_ROWS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Source,
    Os,
    Resources,
    Storage,
    Network,
    Summary,
    Xml,
    Progress,
}

impl Step {
    fn id(self) -> &'static str {
        match self {
            Step::Source => "source",
            Step::Os => "os",
            Step::Resources => "resources",
            Step::Storage => "storage",
            Step::Network => "network",
            Step::Summary => "summary",
            Step::Xml => "xml",
            Step::Progress => "progress",
        }
    }
    fn title(self) -> String {
        match self {
            Step::Source => gettext("Step 1 of 6: Installation Source"),
            Step::Os => gettext("Step 2 of 6: Operating System"),
            Step::Resources => gettext("Step 3 of 6: Memory and CPUs"),
            Step::Storage => gettext("Step 4 of 6: Storage"),
            Step::Network => gettext("Step 5 of 6: Network"),
            Step::Summary => gettext("Step 6 of 6: Name and Summary"),
            Step::Xml => gettext("Customise the Configuration"),
            Step::Progress => gettext("Creating"),
        }
    }
}

#[derive(Debug)]
pub struct NewVmInit {
    pub template: Option<Template>,
}

#[derive(Debug)]
pub enum NewVmMsg {
    Options(Result<CreateOptions, BackendError>),
    Next,
    Back,
    Search(String),
    OsPicked(i32),
    ChooseFile(bool),
    FileChosen(bool, PathBuf),
    ResourcesChanged,
    PoolChanged,
    NameChanged,
    ProposedXml(Result<String, BackendError>),
    SaveXml(String),
    Progress(CreateStep),
    Created(Result<VmSummary, BackendError>),
}

#[derive(Debug)]
pub enum NewVmOutput {
    Send(Command),
    Open(String),
    Closed,
}

/// What the source step found out about the chosen file or URL.
#[derive(Debug)]
pub struct SourceCheck {
    source: InstallSource,
    /// Detected OS id (from the ISO's volume id).
    detected: Option<String>,
    volume_id: Option<String>,
    /// Guest-visible size of an imported image.
    image_bytes: Option<u64>,
}

#[derive(Debug)]
pub enum NewVmCmd {
    OsDb(Result<Arc<OsDb>, String>),
    SourceChecked(Result<SourceCheck, String>),
}

pub struct NewVm {
    window: adw::Window,
    step: Step,
    stack: gtk::Stack,
    title: adw::WindowTitle,
    back: gtk::Button,
    next: gtk::Button,
    source: SourceStep,
    os: OsStep,
    resources: ResourcesStep,
    storage: StorageStep,
    network: NetworkStep,
    summary: SummaryStep,
    progress: ProgressStep,
    xml: std::rc::Rc<XmlEditor>,
    template: Option<Template>,
    options: Option<CreateOptions>,
    db: Option<Arc<OsDb>>,
    shown_os: Vec<OsEntry>,
    os_choice: Option<OsEntry>,
    /// The OS the resource defaults were last taken from (going back and forth keeps edits).
    defaults_from: Option<String>,
    checked: Option<SourceCheck>,
    /// Radio buttons of the network step, with what each stands for.
    net_radios: Vec<(gtk::CheckButton, NetworkChoice)>,
    summary_rows: Vec<adw::ActionRow>,
    chooser: Option<gtk::FileChooserNative>,
    busy: bool,
}

/// The libosinfo database, loaded once per process (on a worker thread).
fn shared_db() -> Result<Arc<OsDb>, String> {
    static DB: Mutex<Option<Arc<OsDb>>> = Mutex::new(None);
    let mut slot = DB.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(db) = slot.as_ref() {
        return Ok(db.clone());
    }
    let db = Arc::new(OsDb::load_default().map_err(|e| e.to_string())?);
    *slot = Some(db.clone());
    Ok(db)
}

fn string_model(items: &[String]) -> gtk::StringList {
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    gtk::StringList::new(&refs)
}

fn release_year(os: &OsEntry) -> String {
    os.release_date
        .as_deref()
        .map(|d| d.chars().take(4).collect())
        .unwrap_or_default()
}

impl NewVm {
    fn show_step(&mut self, step: Step) {
        self.step = step;
        a11y::show_only(&self.stack, step.id());
        self.title.set_subtitle(&step.title());
        self.back
            .set_visible(step > Step::Source && step != Step::Progress);
        self.next.set_visible(step != Step::Progress);
        self.next.set_sensitive(!self.busy);
        let label = match step {
            Step::Summary if self.summary.customise.is_active() => gettext("Customise…"),
            Step::Summary => gettext("Create"),
            Step::Xml => gettext("Create"),
            _ => gettext("Next"),
        };
        self.next.set_label(&label);
        a11y::set_label(&self.next, &label);
        match step {
            Step::Os => self.os.search.grab_focus(),
            Step::Summary => self.summary.name.grab_focus(),
            _ => self.next.grab_focus(),
        };
    }

    fn options(&self) -> CreateOptions {
        self.options.clone().unwrap_or_default()
    }

    fn fill_os_list(&mut self, query: &str) {
        let Some(db) = self.db.clone() else { return };
        while let Some(row) = self.os.list.first_child() {
            self.os.list.remove(&row);
        }
        let mut found: Vec<OsEntry> = db
            .search(query)
            .into_iter()
            .take(MAX_OS_ROWS)
            .cloned()
            .collect();
        // The chosen OS stays listed (and selected) whatever the search.
        if let Some(chosen) = &self.os_choice {
            if !found.iter().any(|o| o.id == chosen.id) {
                found.insert(0, chosen.clone());
            }
        }
        for os in &found {
            let subtitle = [os.vendor.clone(), release_year(os), os.short_id.clone()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ");
            let row = adw::ActionRow::builder()
                .title(gtk::glib::markup_escape_text(&os.name).as_str())
                .subtitle(gtk::glib::markup_escape_text(&subtitle).as_str())
                .activatable(true)
                .build();
            self.os.list.append(&row);
            if self.os_choice.as_ref().is_some_and(|c| c.id == os.id) {
                self.os.list.select_row(Some(&row));
            }
        }
        self.shown_os = found;
        a11y::show_only(&self.os.stack, "list");
    }

    fn set_chosen_os(&mut self, os: Option<OsEntry>) {
        let text = match &os {
            Some(o) => gettext_f("Chosen: {name}", &[("name", &o.name)]),
            None => gettext("Choose the operating system you will install."),
        };
        self.os.chosen.set_text(&text);
        a11y::set_label(&self.os.chosen, &text);
        self.os_choice = os;
    }

    /// Recommended resources, disk and network for the chosen OS (or the template's).
    fn apply_defaults(&mut self) {
        let Some(os) = self.os_choice.clone() else {
            return;
        };
        if self.defaults_from.as_deref() == Some(os.id.as_str()) {
            return;
        }
        self.defaults_from = Some(os.id.clone());
        let options = self.options();
        let plan = CreatePlan::for_os(&os, &options);
        let (vcpus, memory_kib, disk) = match &self.template {
            Some(t) => (t.vcpus, t.memory_kib, t.disk_bytes),
            None => (
                plan.vcpus,
                plan.memory_kib,
                match plan.storage {
                    StorageChoice::NewVolume { size_bytes, .. } => Some(size_bytes),
                    _ => Some(crate::backend::create::DEFAULT_DISK_BYTES),
                },
            ),
        };
        self.resources.vcpus.set_value(vcpus as f64);
        self.resources.memory.set_value((memory_kib / 1024) as f64);
        match disk {
            Some(bytes) => {
                self.storage
                    .size
                    .set_value(((bytes + (1 << 29)) >> 30).max(1) as f64);
                self.storage.new.set_active(true);
            }
            None => self.storage.none.set_active(true),
        }
        // UEFI only where the host offers it (a template may come from another host).
        let firmware = match &self.template {
            Some(t) => t.firmware == TemplateFirmware::Uefi && options.uefi_available,
            None => plan.firmware == Firmware::Uefi,
        };
        self.summary.firmware.set_selected(u32::from(firmware));
        if self.summary.name.text().is_empty() {
            let base = match &self.template {
                Some(t) => t.name.clone(),
                None => plan.name.clone(),
            };
            self.summary
                .name
                .set_text(&crate::backend::create::suggest_name(
                    &base,
                    &options.existing_names,
                ));
        }
        self.sync_resources();
    }

    fn sync_resources(&self) {
        let options = self.options();
        let warnings = resource_warnings(
            self.resources.vcpus.value_as_int().max(1) as u32,
            self.resources.memory.value_as_int().max(1) as u64 * 1024,
            &options,
        );
        set_message(&self.resources.warning, &warnings.join("\n"));
    }

    fn fill_options(&mut self) {
        let options = self.options();
        let host = gettext_f(
            "The host has {cpus} CPUs and {memory} of memory.",
            &[
                ("cpus", &options.host_cpus.to_string()),
                ("memory", &format::kib(options.host_memory_kib)),
            ],
        );
        self.resources.host.set_text(&host);
        // Pools for new volumes, with their free space.
        let pools: Vec<String> = options
            .pools
            .iter()
            .map(|p| {
                if p.active {
                    gettext_f(
                        "{name} ({free} free)",
                        &[
                            ("name", &p.name),
                            ("free", &format::bytes(p.available_bytes)),
                        ],
                    )
                } else {
                    gettext_f("{name} (not running)", &[("name", &p.name)])
                }
            })
            .collect();
        self.storage.new_pool.set_model(Some(&string_model(&pools)));
        self.storage
            .existing_pool
            .set_model(Some(&string_model(&pools)));
        if let Some(i) = options
            .pools
            .iter()
            .position(|p| p.active && p.name == "default")
        {
            self.storage.new_pool.set_selected(i as u32);
            self.storage.existing_pool.set_selected(i as u32);
        }
        self.fill_volumes();
        // Networks, bridges, none.
        for (radio, _) in self.net_radios.drain(..) {
            if let Some(row) = radio.ancestor(adw::ActionRow::static_type()) {
                self.network.group.remove(&row);
            }
        }
        let mut first: Option<gtk::CheckButton> = None;
        let mut add = |title: String, subtitle: String, choice: NetworkChoice, me: &mut Self| {
            let (row, radio) = radio_row(&title, &subtitle, first.as_ref());
            if first.is_none() {
                first = Some(radio.clone());
            }
            me.network.group.add(&row);
            me.net_radios.push((radio, choice));
        };
        for n in &options.networks {
            let mut subtitle = match n.mode.as_str() {
                "nat" => gettext("Virtual network (NAT)"),
                "route" => gettext("Virtual network (routed)"),
                "isolated" => gettext("Virtual network (isolated)"),
                "open" => gettext("Virtual network (open)"),
                "bridge" => gettext("Virtual network (bridged)"),
                other => gettext_f("Virtual network ({mode})", &[("mode", other)]),
            };
            if !n.active {
                subtitle = gettext_f("{kind} · not running", &[("kind", &subtitle)]);
            }
            add(
                n.name.clone(),
                subtitle,
                NetworkChoice::Network(n.name.clone()),
                self,
            );
        }
        for b in &options.bridges {
            add(
                b.clone(),
                gettext("Host bridge"),
                NetworkChoice::Bridge(b.clone()),
                self,
            );
        }
        add(
            gettext("No network"),
            String::new(),
            NetworkChoice::None,
            self,
        );
        self.preselect_network();
    }

    /// The template's network, else "default", else the first; a template network that
    /// is gone selects nothing and says so.
    fn preselect_network(&self) {
        let wanted = match self.template.as_ref().map(|t| &t.network) {
            Some(TemplateNetwork::Network(n)) => Some(NetworkChoice::Network(n.clone())),
            Some(TemplateNetwork::Bridge(n)) => Some(NetworkChoice::Bridge(n.clone())),
            Some(TemplateNetwork::None) => Some(NetworkChoice::None),
            None => None,
        };
        if let Some(want) = wanted {
            if let Some((radio, _)) = self.net_radios.iter().find(|(_, c)| *c == want) {
                radio.set_active(true);
                set_message(&self.network.error, "");
            } else {
                let name = match &want {
                    NetworkChoice::Network(n) | NetworkChoice::Bridge(n) => n.clone(),
                    NetworkChoice::None => String::new(),
                };
                set_message(
                    &self.network.error,
                    &gettext_f(
                        "The template’s network “{name}” does not exist on this host. Choose another.",
                        &[("name", &name)],
                    ),
                );
            }
            return;
        }
        let default = NetworkChoice::Network("default".into());
        let pick = self
            .net_radios
            .iter()
            .find(|(_, c)| *c == default)
            .or_else(|| self.net_radios.first());
        if let Some((radio, _)) = pick {
            radio.set_active(true);
        }
    }

    fn fill_volumes(&self) {
        let options = self.options();
        let pool = options
            .pools
            .get(self.storage.existing_pool.selected() as usize);
        let names: Vec<String> = pool
            .map(|p| {
                p.volumes
                    .iter()
                    .map(|v| format!("{} ({})", v.name, format::bytes(v.capacity_bytes)))
                    .collect()
            })
            .unwrap_or_default();
        self.storage.volume.set_model(Some(&string_model(&names)));
    }

    fn source_choice(&self) -> Result<Option<(bool, PathBuf)>, String> {
        let s = &self.source;
        let path = |row: &adw::EntryRow| {
            let text = row.text().trim().to_owned();
            if text.is_empty() {
                Err(gettext("Choose a file first."))
            } else {
                Ok(PathBuf::from(text))
            }
        };
        if s.iso.is_active() {
            Ok(Some((true, path(&s.iso_path)?)))
        } else if s.import.is_active() {
            Ok(Some((false, path(&s.import_path)?)))
        } else {
            Ok(None)
        }
    }

    /// Check the source off the main thread; the answer moves on to the OS step.
    fn check_source(&mut self, sender: &ComponentSender<Self>) {
        set_message(&self.source.error, "");
        let s = &self.source;
        if s.url.is_active() {
            let url = s.url_entry.text().trim().to_owned();
            if let Err(e) = parse_install_url(&url) {
                return set_message(&self.source.error, &e);
            }
            self.checked = Some(SourceCheck {
                source: InstallSource::Url(url),
                detected: None,
                volume_id: None,
                image_bytes: None,
            });
            self.checked_next();
            return;
        }
        if s.none.is_active() {
            self.checked = Some(SourceCheck {
                source: InstallSource::None,
                detected: None,
                volume_id: None,
                image_bytes: None,
            });
            self.checked_next();
            return;
        }
        let (is_iso, path) = match self.source_choice() {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(e) => return set_message(&self.source.error, &e),
        };
        let copy_into = if is_iso {
            None
        } else {
            let i = self.source.import_copy.selected() as usize;
            // Item 0 is "use in place"; then one per active pool.
            let active: Vec<String> = self
                .options()
                .pools
                .iter()
                .filter(|p| p.active)
                .map(|p| p.name.clone())
                .collect();
            i.checked_sub(1).and_then(|i| active.get(i).cloned())
        };
        let arch = self.options().arch;
        self.busy = true;
        self.next.set_sensitive(false);
        sender.spawn_oneshot_command(move || {
            let r = if is_iso {
                read_iso_volume_id(&path)
                    .map_err(|e| e.to_string())
                    .map(|vid| {
                        // The host's architecture first; then any (an amd64 ISO on a
                        // host libvirt reports as i686 is still a Debian ISO).
                        let detected = shared_db().ok().and_then(|db| {
                            db.detect_from_volume_id(&vid, &arch)
                                .or_else(|| db.detect_from_volume_id(&vid, ""))
                                .map(|o| o.id.clone())
                        });
                        SourceCheck {
                            source: InstallSource::Iso(path),
                            detected,
                            volume_id: Some(vid),
                            image_bytes: None,
                        }
                    })
            } else {
                detect_image(&path)
                    .map_err(|e| e.to_string())
                    .map(|info| SourceCheck {
                        source: InstallSource::Import {
                            path,
                            copy_into_pool: copy_into,
                        },
                        detected: None,
                        volume_id: None,
                        image_bytes: Some(info.virtual_bytes),
                    })
            };
            NewVmCmd::SourceChecked(r)
        });
    }

    fn storage_choice(&self) -> Result<StorageChoice, String> {
        let options = self.options();
        if matches!(
            self.checked.as_ref().map(|c| &c.source),
            Some(InstallSource::Import { .. })
        ) {
            return Ok(StorageChoice::None);
        }
        let s = &self.storage;
        if s.new.is_active() {
            let pool = options
                .pools
                .get(s.new_pool.selected() as usize)
                .ok_or_else(|| gettext("Choose a storage pool for the new disk."))?;
            if !pool.active {
                return Err(gettext_f(
                    "The pool “{name}” is not running. Start it or choose another.",
                    &[("name", &pool.name)],
                ));
            }
            let size_bytes = s.size.value_as_int().max(1) as u64 * (1 << 30);
            if size_bytes > pool.available_bytes {
                return Err(gettext_f(
                    "The pool “{name}” has {free} free; the new disk needs {size}. Choose a smaller size or another pool.",
                    &[
                        ("name", &pool.name),
                        ("free", &format::bytes(pool.available_bytes)),
                        ("size", &format::bytes(size_bytes)),
                    ],
                ));
            }
            Ok(StorageChoice::NewVolume {
                pool: pool.name.clone(),
                size_bytes,
            })
        } else if s.existing.is_active() {
            let pool = options
                .pools
                .get(s.existing_pool.selected() as usize)
                .ok_or_else(|| gettext("Choose a storage pool."))?;
            let volume = pool
                .volumes
                .get(s.volume.selected() as usize)
                .ok_or_else(|| gettext("Choose a volume."))?;
            Ok(StorageChoice::Existing {
                pool: pool.name.clone(),
                volume: volume.name.clone(),
            })
        } else {
            Ok(StorageChoice::None)
        }
    }

    fn network_choice(&self) -> Result<NetworkChoice, String> {
        self.net_radios
            .iter()
            .find(|(r, _)| r.is_active())
            .map(|(_, c)| c.clone())
            .ok_or_else(|| gettext("Choose how the machine connects to the network."))
    }

    fn plan(&self) -> Result<CreatePlan, String> {
        let options = self.options();
        let os = self
            .os_choice
            .clone()
            .ok_or_else(|| gettext("Choose an operating system."))?;
        let mut plan = CreatePlan::for_os(&os, &options);
        plan.name = self.summary.name.text().trim().to_owned();
        plan.source = self
            .checked
            .as_ref()
            .map(|c| c.source.clone())
            .unwrap_or(InstallSource::None);
        plan.vcpus = self.resources.vcpus.value_as_int().max(1) as u32;
        plan.memory_kib = self.resources.memory.value_as_int().max(1) as u64 * 1024;
        plan.storage = self.storage_choice()?;
        plan.network = self.network_choice()?;
        plan.firmware = if self.summary.firmware.selected() == 1 {
            Firmware::Uefi
        } else {
            Firmware::Bios
        };
        Ok(plan)
    }

    fn fill_summary(&mut self) {
        for row in self.summary_rows.drain(..) {
            self.summary.overview.remove(&row);
        }
        let source = match self.checked.as_ref().map(|c| &c.source) {
            Some(InstallSource::Iso(p)) => p.display().to_string(),
            Some(InstallSource::Import {
                path,
                copy_into_pool,
            }) => match copy_into_pool {
                Some(pool) => gettext_f(
                    "{path}, copied into pool “{pool}”",
                    &[("path", &path.display().to_string()), ("pool", pool)],
                ),
                None => gettext_f(
                    "{path}, used in place",
                    &[("path", &path.display().to_string())],
                ),
            },
            Some(InstallSource::Url(u)) => u.clone(),
            _ => gettext("None"),
        };
        let disk = match self.storage_choice() {
            Ok(StorageChoice::NewVolume { pool, size_bytes }) => gettext_f(
                "New {size} disk in pool “{pool}”",
                &[("size", &format::bytes(size_bytes)), ("pool", &pool)],
            ),
            Ok(StorageChoice::Existing { pool, volume }) => format!("{pool}/{volume}"),
            Ok(StorageChoice::None) => match self.checked.as_ref().map(|c| &c.source) {
                Some(InstallSource::Import { .. }) => {
                    match self.checked.as_ref().and_then(|c| c.image_bytes) {
                        Some(b) => gettext_f(
                            "The imported image ({size})",
                            &[("size", &format::bytes(b))],
                        ),
                        None => gettext("The imported image"),
                    }
                }
                _ => gettext("None"),
            },
            Err(e) => e,
        };
        let network = match self.network_choice() {
            Ok(NetworkChoice::Network(n)) => gettext_f("Virtual network “{name}”", &[("name", &n)]),
            Ok(NetworkChoice::Bridge(n)) => gettext_f("Host bridge “{name}”", &[("name", &n)]),
            Ok(NetworkChoice::None) => gettext("None"),
            Err(e) => e,
        };
        let rows = [
            (
                gettext("Operating system"),
                self.os_choice
                    .as_ref()
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
            ),
            (gettext("Installation source"), source),
            (
                gettext("Resources"),
                format!(
                    "{} · {}",
                    format::vcpus(self.resources.vcpus.value_as_int().max(1) as u32),
                    format::kib(self.resources.memory.value_as_int().max(1) as u64 * 1024)
                ),
            ),
            (gettext("Storage"), disk),
            (gettext("Network"), network),
        ];
        for (title, value) in rows {
            let row = adw::ActionRow::builder()
                .title(title.as_str())
                .subtitle(gtk::glib::markup_escape_text(&value).as_str())
                .build();
            row.add_css_class("property");
            self.summary.overview.add(&row);
            self.summary_rows.push(row);
        }
        let uefi = self.options().uefi_available;
        if !uefi {
            self.summary
                .firmware
                .set_subtitle(&gettext("UEFI is not available: install OVMF on the host"));
        }
    }

    fn validate_summary(&self) -> bool {
        let options = self.options();
        let name = self.summary.name.text().trim().to_owned();
        let name_ok = match validate_name(&name, &options.existing_names) {
            Ok(()) => {
                set_message(&self.summary.name_error, "");
                true
            }
            Err(e) => {
                set_message(&self.summary.name_error, &e);
                false
            }
        };
        if self.summary.firmware.selected() == 1 && !options.uefi_available {
            set_message(
                &self.summary.error,
                &gettext("UEFI firmware is not available on this host. Choose BIOS, or install OVMF on the host."),
            );
            return false;
        }
        name_ok
    }

    fn on_next(&mut self, sender: &ComponentSender<Self>) {
        match self.step {
            Step::Source => self.check_source(sender),
            Step::Os => {
                if self.os_choice.is_none() {
                    let fallback = self.db.as_ref().map(|db| db.fallback());
                    self.set_chosen_os(fallback);
                }
                if self.options.is_none() {
                    return;
                }
                self.apply_defaults();
                self.show_step(Step::Resources);
            }
            Step::Resources => {
                let importing = matches!(
                    self.checked.as_ref().map(|c| &c.source),
                    Some(InstallSource::Import { .. })
                );
                self.storage.group.set_visible(!importing);
                set_message(
                    &self.storage.imported,
                    &if importing {
                        gettext("The imported disk image becomes the machine’s disk.")
                    } else {
                        String::new()
                    },
                );
                self.show_step(Step::Storage);
            }
            Step::Storage => match self.storage_choice() {
                Ok(_) => {
                    set_message(&self.storage.error, "");
                    self.show_step(Step::Network);
                }
                Err(e) => set_message(&self.storage.error, &e),
            },
            Step::Network => match self.network_choice() {
                Ok(_) => {
                    set_message(&self.network.error, "");
                    self.fill_summary();
                    self.show_step(Step::Summary);
                }
                Err(e) => set_message(&self.network.error, &e),
            },
            Step::Summary => {
                set_message(&self.summary.error, "");
                if !self.validate_summary() {
                    return;
                }
                match self.plan() {
                    Ok(plan) if self.summary.customise.is_active() => {
                        self.busy = true;
                        self.next.set_sensitive(false);
                        let _ = sender.output(NewVmOutput::Send(Command::ProposeXml {
                            plan: Box::new(plan),
                        }));
                    }
                    Ok(plan) => self.create(plan, sender),
                    Err(e) => set_message(&self.summary.error, &e),
                }
            }
            Step::Xml => {
                // The editor's own Save does the work; Create here saves what is shown.
                let text = self.xml.text();
                sender.input(NewVmMsg::SaveXml(text));
            }
            Step::Progress => {}
        }
    }

    /// After a successful source check: detected OS, then the OS step.
    fn checked_next(&mut self) {
        let detected = self.checked.as_ref().and_then(|c| c.detected.clone());
        let vid = self.checked.as_ref().and_then(|c| c.volume_id.clone());
        let detected_os = detected
            .as_deref()
            .and_then(|id| self.db.as_ref().and_then(|db| db.lookup(id).cloned()));
        let note = match (&detected_os, vid) {
            (Some(os), _) => gettext_f(
                "Detected from the ISO: {name}. Choose another if that is wrong.",
                &[("name", &os.name)],
            ),
            (None, Some(vid)) => gettext_f(
                "The ISO (“{label}”) is not in the operating system database: choose the system it installs.",
                &[("label", &vid)],
            ),
            (None, None) => String::new(),
        };
        set_message(&self.os.detected, &note);
        if let Some(os) = detected_os {
            self.set_chosen_os(Some(os));
        } else if self.os_choice.is_none() {
            let from_template = self.template.as_ref().and_then(|t| t.os_id.clone());
            let os = from_template
                .and_then(|id| self.db.as_ref().and_then(|db| db.lookup(&id).cloned()));
            self.set_chosen_os(os);
        }
        let query = self.os.search.text().to_string();
        self.fill_os_list(&query);
        self.show_step(Step::Os);
    }

    fn create(&mut self, plan: CreatePlan, sender: &ComponentSender<Self>) {
        self.busy = true;
        self.progress
            .page
            .set_description(Some(&gettext("Checking the choices…")));
        self.show_step(Step::Progress);
        let _ = sender.output(NewVmOutput::Send(Command::Create {
            plan: Box::new(plan),
        }));
    }
}

pub struct NewVmWidgets {}

impl Component for NewVm {
    type Init = NewVmInit;
    type Input = NewVmMsg;
    type Output = NewVmOutput;
    type CommandOutput = NewVmCmd;
    type Root = adw::Window;
    type Widgets = NewVmWidgets;

    fn init_root() -> adw::Window {
        adw::Window::builder()
            .modal(true)
            .title(gettext("New Virtual Machine"))
            .build()
    }

    fn init(
        init: NewVmInit,
        window: adw::Window,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let cancel = gtk::Button::with_label(&gettext("Cancel"));
        a11y::set_label(&cancel, &gettext("Cancel"));
        let back = gtk::Button::with_label(&gettext("Back"));
        a11y::set_label(&back, &gettext("Back"));
        let next = gtk::Button::builder()
            .label(gettext("Next"))
            .css_classes(["suggested-action"])
            .build();
        let title = adw::WindowTitle::new(&gettext("New Virtual Machine"), "");
        let header = adw::HeaderBar::builder()
            .title_widget(&title)
            .show_start_title_buttons(false)
            .show_end_title_buttons(false)
            .build();
        header.pack_start(&cancel);
        header.pack_start(&back);
        header.pack_end(&next);
        {
            let window = window.clone();
            cancel.connect_clicked(move |_| window.close());
        }
        {
            let sender = sender.clone();
            back.connect_clicked(move |_| sender.input(NewVmMsg::Back));
        }
        {
            let sender = sender.clone();
            next.connect_clicked(move |_| sender.input(NewVmMsg::Next));
        }
        {
            let sender = sender.clone();
            window.connect_close_request(move |_| {
                let _ = sender.output(NewVmOutput::Closed);
                gtk::glib::Propagation::Proceed
            });
        }

        let source = source_step();
        let os = os_step();
        let resources = resources_step();
        let storage = storage_step();
        let network = network_step();
        let summary = summary_step();
        let progress = progress_step();
        let xml = {
            let sender = sender.clone();
            XmlEditor::new(&gettext("Domain XML"), move |text| {
                sender.input(NewVmMsg::SaveXml(text))
            })
        };

        xml.set_save_visible(false);
        for (is_iso, button) in [(true, &source.iso_choose), (false, &source.import_choose)] {
            let sender = sender.clone();
            button.connect_clicked(move |_| sender.input(NewVmMsg::ChooseFile(is_iso)));
        }
        {
            let sender = sender.clone();
            os.search.connect_search_changed(move |e| {
                sender.input(NewVmMsg::Search(e.text().to_string()))
            });
        }
        {
            let sender = sender.clone();
            os.list
                .connect_row_activated(move |_, row| sender.input(NewVmMsg::OsPicked(row.index())));
        }
        for spin in [&resources.vcpus, &resources.memory] {
            let sender = sender.clone();
            spin.connect_value_changed(move |_| sender.input(NewVmMsg::ResourcesChanged));
        }
        {
            let sender = sender.clone();
            storage
                .existing_pool
                .connect_selected_notify(move |_| sender.input(NewVmMsg::PoolChanged));
        }
        {
            let sender = sender.clone();
            summary
                .name
                .connect_changed(move |_| sender.input(NewVmMsg::NameChanged));
        }
        {
            // Enter in the name field creates, as the dialog's default would.
            let sender = sender.clone();
            summary
                .name
                .connect_entry_activated(move |_| sender.input(NewVmMsg::Next));
        }
        {
            let next = next.clone();
            summary.customise.connect_toggled(move |c| {
                let label = if c.is_active() {
                    gettext("Customise…")
                } else {
                    gettext("Create")
                };
                next.set_label(&label);
                a11y::set_label(&next, &label);
            });
        }

        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::SlideLeftRight)
            .vexpand(true)
            // Each step only as wide as it needs: the wizard fits a phone-sized window.
            .hhomogeneous(false)
            .build();
        stack.add_named(&source.page, Some("source"));
        stack.add_named(&os.page, Some("os"));
        stack.add_named(&resources.page, Some("resources"));
        stack.add_named(&storage.page, Some("storage"));
        stack.add_named(&network.page, Some("network"));
        stack.add_named(&summary.page, Some("summary"));
        stack.add_named(&xml.root, Some("xml"));
        stack.add_named(&progress.page, Some("progress"));
        a11y::hide_other_pages(&stack);
        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&stack);
        window.set_content(Some(&content));

        // Escape cancels, as in every GNOME dialog.
        let keys = gtk::EventControllerKey::new();
        {
            let window = window.clone();
            keys.connect_key_pressed(move |_, key, _, _| {
                if key == gtk::gdk::Key::Escape {
                    window.close();
                    return gtk::glib::Propagation::Stop;
                }
                gtk::glib::Propagation::Proceed
            });
        }
        window.add_controller(keys);

        sender.spawn_oneshot_command(|| NewVmCmd::OsDb(shared_db()));
        let _ = sender.output(NewVmOutput::Send(Command::CreateOptions));

        let mut model = NewVm {
            window: window.clone(),
            step: Step::Source,
            stack,
            title,
            back,
            next,
            source,
            os,
            resources,
            storage,
            network,
            summary,
            progress,
            xml,
            template: init.template,
            options: None,
            db: None,
            shown_os: Vec::new(),
            os_choice: None,
            defaults_from: None,
            checked: None,
            net_radios: Vec::new(),
            summary_rows: Vec::new(),
            chooser: None,
            busy: false,
        };
        model.set_chosen_os(None);
        model.show_step(Step::Source);
        ComponentParts {
            model,
            widgets: NewVmWidgets {},
        }
    }

    fn update(&mut self, msg: NewVmMsg, sender: ComponentSender<Self>, _root: &adw::Window) {
        match msg {
            NewVmMsg::Options(Ok(options)) => {
                // Copying into a pool needs an active one.
                let mut copy = vec![gettext("Use the image where it is")];
                copy.extend(
                    options
                        .pools
                        .iter()
                        .filter(|p| p.active)
                        .map(|p| gettext_f("Copy it into pool “{name}”", &[("name", &p.name)])),
                );
                self.source
                    .import_copy
                    .set_model(Some(&string_model(&copy)));
                self.options = Some(options);
                self.fill_options();
            }
            NewVmMsg::Options(Err(e)) => {
                set_message(
                    &self.source.error,
                    &gettext_f(
                        "Cannot read what the host offers: {error}",
                        &[("error", &e.to_string())],
                    ),
                );
            }
            NewVmMsg::Next => {
                if !self.busy {
                    self.on_next(&sender);
                }
            }
            NewVmMsg::Back => {
                let prev = match self.step {
                    Step::Os => Step::Source,
                    Step::Resources => Step::Os,
                    Step::Storage => Step::Resources,
                    Step::Network => Step::Storage,
                    Step::Summary => Step::Network,
                    Step::Xml => Step::Summary,
                    other => other,
                };
                if prev == Step::Source {
                    // A changed source is checked again.
                    self.checked = None;
                }
                self.busy = false;
                self.show_step(prev);
            }
            NewVmMsg::Search(q) => self.fill_os_list(&q),
            NewVmMsg::OsPicked(i) => {
                if let Some(os) = self.shown_os.get(i.max(0) as usize).cloned() {
                    self.set_chosen_os(Some(os));
                }
            }
            NewVmMsg::ChooseFile(is_iso) => {
                let title = if is_iso {
                    gettext("Choose an ISO File")
                } else {
                    gettext("Choose a Disk Image")
                };
                let chooser = gtk::FileChooserNative::new(
                    Some(&title),
                    Some(&self.window),
                    gtk::FileChooserAction::Open,
                    Some(&gettext("Choose")),
                    Some(&gettext("Cancel")),
                );
                let filter = gtk::FileFilter::new();
                if is_iso {
                    filter.set_name(Some(&gettext("ISO images")));
                    filter.add_pattern("*.iso");
                    filter.add_pattern("*.ISO");
                } else {
                    filter.set_name(Some(&gettext("Disk images")));
                    for p in ["*.qcow2", "*.img", "*.raw"] {
                        filter.add_pattern(p);
                    }
                }
                chooser.add_filter(&filter);
                let sender = sender.clone();
                chooser.connect_response(move |c, r| {
                    if r == gtk::ResponseType::Accept {
                        if let Some(path) = c.file().and_then(|f| f.path()) {
                            sender.input(NewVmMsg::FileChosen(is_iso, path));
                        }
                    }
                });
                chooser.show();
                self.chooser = Some(chooser);
            }
            NewVmMsg::FileChosen(is_iso, path) => {
                let row = if is_iso {
                    &self.source.iso_path
                } else {
                    &self.source.import_path
                };
                row.set_text(&path.display().to_string());
                if is_iso {
                    self.source.iso.set_active(true);
                } else {
                    self.source.import.set_active(true);
                }
            }
            NewVmMsg::ResourcesChanged => self.sync_resources(),
            NewVmMsg::PoolChanged => self.fill_volumes(),
            NewVmMsg::NameChanged => {
                if self.step == Step::Summary {
                    self.validate_summary();
                }
            }
            NewVmMsg::ProposedXml(Ok(xml)) => {
                self.busy = false;
                self.xml.set_text(&xml);
                self.show_step(Step::Xml);
            }
            NewVmMsg::ProposedXml(Err(e)) => {
                self.busy = false;
                self.next.set_sensitive(true);
                set_message(&self.summary.error, &e.to_string());
            }
            NewVmMsg::SaveXml(text) => {
                if self.busy {
                    return;
                }
                match self.plan() {
                    Ok(mut plan) => {
                        plan.custom_xml = Some(text);
                        self.busy = true;
                        self.next.set_sensitive(false);
                        let _ = sender.output(NewVmOutput::Send(Command::Create {
                            plan: Box::new(plan),
                        }));
                    }
                    Err(e) => self.xml.show_error(&e),
                }
            }
            NewVmMsg::Progress(step) => {
                let text = match step {
                    CreateStep::Validating => gettext("Checking the choices…"),
                    CreateStep::CreatingVolume { pool, volume } => gettext_f(
                        "Creating the disk “{volume}” in pool “{pool}”…",
                        &[("volume", &volume), ("pool", &pool)],
                    ),
                    CreateStep::Uploading {
                        volume,
                        sent_bytes,
                        total_bytes,
                    } => gettext_f(
                        "Copying the image into “{volume}”: {sent} of {total}…",
                        &[
                            ("volume", &volume),
                            ("sent", &format::bytes(sent_bytes)),
                            ("total", &format::bytes(total_bytes)),
                        ],
                    ),
                    CreateStep::Defining => gettext("Defining the machine…"),
                    CreateStep::RollingBack => {
                        gettext("Something failed: removing what was created…")
                    }
                };
                self.progress.page.set_description(Some(&text));
                a11y::set_label(&self.progress.page, &text);
            }
            NewVmMsg::Created(Ok(vm)) => {
                // Like virt-manager and Boxes: the new machine starts (its installer, or
                // the imported system) and its page opens.
                let _ = sender.output(NewVmOutput::Send(Command::Action {
                    uuid: vm.uuid.clone(),
                    action: crate::backend::VmAction::Start,
                }));
                let _ = sender.output(NewVmOutput::Open(vm.uuid.clone()));
                self.window.close();
            }
            NewVmMsg::Created(Err(e)) => {
                self.busy = false;
                let text = if e.hint.is_empty() {
                    e.message.clone()
                } else {
                    format!("{}\n{}", e.message, e.hint)
                };
                if self.step == Step::Xml
                    || self.summary.customise.is_active() && self.step == Step::Progress
                {
                    self.show_step(Step::Xml);
                    self.xml.show_error(&text);
                } else {
                    self.show_step(Step::Summary);
                    set_message(&self.summary.error, &text);
                }
            }
        }
    }

    fn update_cmd(&mut self, cmd: NewVmCmd, _sender: ComponentSender<Self>, _root: &adw::Window) {
        match cmd {
            NewVmCmd::OsDb(Ok(db)) => {
                self.db = Some(db);
                let query = self.os.search.text().to_string();
                self.fill_os_list(&query);
            }
            NewVmCmd::OsDb(Err(e)) => {
                set_message(
                    &self.os.detected,
                    &gettext_f(
                        "The operating system database could not be read ({error}). Machines get generic settings.",
                        &[("error", &e)],
                    ),
                );
                a11y::show_only(&self.os.stack, "list");
            }
            NewVmCmd::SourceChecked(r) => {
                self.busy = false;
                self.next.set_sensitive(true);
                match r {
                    Ok(check) => {
                        self.checked = Some(check);
                        self.checked_next();
                    }
                    Err(e) => set_message(&self.source.error, &e),
                }
            }
        }
    }
}
