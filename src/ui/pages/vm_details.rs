//! The details page of one VM: its state and lifecycle actions, what it is made of
//! (from the domain XML, parsed by the backend), its console (src/ui/console), its
//! performance (charts, alert rules), and its XML.

use gettextrs::gettext;
use gtk::glib;
use gtk::prelude::*;
use relm4::prelude::*;

mod disks;
mod menu;
mod performance;
mod settings;

use std::rc::Rc;

use crate::backend::create::CreateOptions;
use crate::backend::edit::VmEdit;
use crate::backend::hotplug::DiskCommand;
use crate::backend::{BackendError, VmAction, VmDetails, VmSummary};
use crate::i18n::gettext_f;
use crate::services::db;
use crate::services::metrics::Subject;
use crate::services::templates::Template;
use crate::ui::console::{console_choices, ConsoleHub, ConsoleView};
use crate::ui::dialogs;
use crate::ui::vm_object::VmObject;
use crate::ui::widgets::info_group::InfoGroup;
use crate::ui::widgets::perf_view::PerfView;
use crate::ui::widgets::xml_editor::XmlEditor;
use crate::ui::{a11y, format};

#[derive(Debug)]
pub enum VmDetailsMsg {
    /// Show this VM; details follow with `Loaded`.
    Show(VmObject),
    Loaded(Result<Box<VmDetails>, BackendError>),
    /// The VM was undefined while shown.
    Gone,
    Retry,
    /// The shown VM changed (state, name): update the header and reload details.
    Refresh(VmObject),
    Action(VmAction),
    /// "Save as Template…": ask for a name first.
    SaveAsTemplate,
    SaveTemplateNamed(String),
    NewAlertRule,
    Edit(VmEdit),
    Delete,
    Clone,
    Export,
    SaveXml(String),
    /// The machine's XML for the editor (inactive definition, secrets kept).
    XmlLoaded(String, Result<String, BackendError>),
    XmlSaved(String, Result<(), BackendError>),
    /// The host's pools and volumes, for the attach dialog.
    Storage(Box<CreateOptions>),
    /// The worker's answer to a disk request for machine `.0`.
    DiskDone(String, Result<(), String>),
    /// A disk action from the Disks group (attach, detach, media).
    Disk(disks::DiskMsg),
}

#[derive(Debug)]
pub enum VmDetailsOutput {
    Action(String, VmAction),
    Back,
    Reload(String),
    Toast(String, bool),
    Edit(String, VmEdit),
    Delete(String),
    Clone(String),
    Export(String),
    SaveXml(String, String),
    Disk(DiskCommand),
    /// Ask the worker for the host's pools and volumes (answered with `Storage`).
    NeedStorage,
    /// Open the alert-rule dialog for this machine (uuid, name).
    NewAlertRule(String, String),
}

#[derive(Debug)]
pub enum VmDetailsCmd {
    TemplateSaved(Result<String, String>),
}

pub struct VmDetailsPage {
    vm: Option<(VmObject, glib::SignalHandlerId)>,
    title: adw::ViewSwitcherTitle,
    state_icon: gtk::Image,
    name: gtk::Label,
    state: gtk::Label,
    actions: Vec<(VmAction, gtk::Button)>,
    content: gtk::Stack,
    error: adw::StatusPage,
    general: InfoGroup,
    settings: Rc<settings::SettingsGroup>,
    hardware: InfoGroup,
    disk_group: disks::DisksGroup,
    nics: InfoGroup,
    displays: InfoGroup,
    xml: Rc<XmlEditor>,
    perf: PerfView,
    console: ConsoleView,
    /// The last details read, for actions that need more than the summary.
    details: Option<Box<VmDetails>>,
}

pub struct VmDetailsWidgets {}

impl VmDetailsPage {
    fn uuid(&self) -> Option<String> {
        self.vm.as_ref().map(|(o, _)| o.summary().uuid.clone())
    }

    fn show_summary(&self, vm: &VmSummary) {
        let state = vm.state.label();
        self.title.set_title(&vm.name);
        self.title.set_subtitle(&state);
        self.name.set_text(&vm.name);
        self.state.set_text(&state);
        self.state_icon
            .set_icon_name(Some(format::state_icon(vm.state)));
        format::set_state_class(&self.state_icon, vm.state);
        let valid = vm.state.valid_actions();
        for (action, button) in &self.actions {
            // Hide the flow box cell too, or it keeps its place and a Tab stop.
            let shown = valid.contains(action);
            button.set_visible(shown);
            if let Some(cell) = button.parent() {
                cell.set_visible(shown);
            }
        }
    }

    fn show_details(&self, d: &VmDetails) {
        let yes_no = |b: bool| if b { gettext("Yes") } else { gettext("No") };
        let dash = || gettext("None");
        let or_none = |s: &str| if s.is_empty() { dash() } else { s.to_string() };

        self.general.set_rows(vec![
            (gettext("UUID"), d.uuid.clone()),
            (
                gettext("Operating system"),
                d.os_id
                    .as_deref()
                    .map(format::os_name)
                    .unwrap_or_else(|| gettext("Unknown")),
            ),
            (gettext("Persistent"), yes_no(d.persistent)),
        ]);
        self.settings.show(d);
        self.hardware.set_rows(vec![
            (
                gettext("Maximum vCPUs"),
                d.max_vcpus.max(d.vcpus).to_string(),
            ),
            (gettext("Maximum memory"), format::kib(d.max_memory_kib)),
            (gettext("Firmware"), or_none(&d.firmware)),
            (
                gettext("Architecture"),
                [d.arch.as_str(), d.machine.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" · "),
            ),
        ]);
        self.disk_group.show(d);
        self.nics.set_rows(
            d.nics
                .iter()
                .map(|nic| {
                    let model = if nic.model.is_empty() {
                        dash()
                    } else {
                        nic.model.clone()
                    };
                    (
                        nic.mac.clone(),
                        format!("{} {} · {}", nic.kind, nic.source, model),
                    )
                })
                .collect(),
        );
        let mut displays: Vec<(String, String)> = d
            .graphics
            .iter()
            .map(|g| {
                let port = match g.port {
                    Some(p) if p > 0 => format!(":{p}"),
                    _ if g.autoport => gettext(" (automatic port)"),
                    _ => String::new(),
                };
                (
                    g.kind.to_uppercase(),
                    format!("{}{}", or_none(&g.listen), port),
                )
            })
            .collect();
        displays.extend(d.consoles.iter().map(|c| {
            (
                format!("{} ({})", c.device, c.target),
                [c.kind.as_str(), c.path.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" · "),
            )
        }));
        self.displays.set_rows(displays);
    }
}

impl Component for VmDetailsPage {
    /// The machine's performance view (the app feeds it live ticks) and the console hub.
    type Init = (PerfView, ConsoleHub);
    type Input = VmDetailsMsg;
    type Output = VmDetailsOutput;
    type CommandOutput = VmDetailsCmd;
    type Root = gtk::Box;
    type Widgets = VmDetailsWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(
        (perf, consoles): (PerfView, ConsoleHub),
        root: gtk::Box,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let header = adw::HeaderBar::new();
        let back = a11y::icon_button("go-previous-symbolic", &gettext("Back"));
        {
            let sender = sender.clone();
            back.connect_clicked(move |_| {
                let _ = sender.output(VmDetailsOutput::Back);
            });
        }
        header.pack_start(&back);
        header.pack_end(&menu::machine_menu(&root, &sender));
        let views = adw::ViewStack::new();
        let title = adw::ViewSwitcherTitle::builder().stack(&views).build();
        header.set_title_widget(Some(&title));

        // Overview.
        let state_icon = gtk::Image::builder().pixel_size(32).build();
        let name = gtk::Label::builder()
            .css_classes(["title-2"])
            .xalign(0.0)
            .wrap(true)
            .build();
        let state = gtk::Label::builder()
            .css_classes(["dim-label"])
            .xalign(0.0)
            .build();
        a11y::set_label(&state, &gettext("State"));
        let heading = gtk::Box::new(gtk::Orientation::Vertical, 2);
        heading.append(&name);
        heading.append(&state);
        let top = gtk::Box::builder().spacing(12).build();
        top.append(&state_icon);
        top.append(&heading);

        let buttons = gtk::FlowBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .column_spacing(6)
            .row_spacing(6)
            .max_children_per_line(7)
            .homogeneous(false)
            .build();
        let mut actions = Vec::new();
        for action in VmAction::ALL {
            let button = gtk::Button::builder()
                .child(
                    &adw::ButtonContent::builder()
                        .icon_name(format::action_icon(action))
                        .label(action.label())
                        .build(),
                )
                .css_classes(["pill"])
                .build();
            if action == VmAction::ForceOff {
                button.add_css_class("destructive-action");
            }
            if action == VmAction::Start || action == VmAction::Resume {
                button.add_css_class("suggested-action");
            }
            let sender = sender.clone();
            button.connect_clicked(move |_| sender.input(VmDetailsMsg::Action(action)));
            buttons.insert(&button, -1);
            // The flow box's cell is only a container: the button alone is a Tab stop.
            if let Some(cell) = button.parent() {
                cell.set_focusable(false);
            }
            actions.push((action, button));
        }

        let general = InfoGroup::new(&gettext("General"));
        let settings = {
            let sender = sender.clone();
            settings::SettingsGroup::new(Rc::new(move |edit| {
                sender.input(VmDetailsMsg::Edit(edit))
            }))
        };
        let hardware = InfoGroup::new(&gettext("Hardware"));
        let disk_group = disks::DisksGroup::new(&sender);
        let nics = InfoGroup::new(&gettext("Network Interfaces"));
        let displays = InfoGroup::new(&gettext("Display and Consoles"));

        let column = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(24)
            .margin_top(24)
            .margin_bottom(24)
            .margin_start(12)
            .margin_end(12)
            .build();
        column.append(&top);
        column.append(&buttons);
        column.append(general.widget());
        column.append(&settings.group);
        column.append(&settings.tags_group);
        column.append(hardware.widget());
        column.append(&disk_group.group);
        for g in [&nics, &displays] {
            column.append(g.widget());
        }
        let clamp = adw::Clamp::builder()
            .maximum_size(720)
            .child(&column)
            .build();
        let overview = gtk::ScrolledWindow::builder()
            .child(&clamp)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .vexpand(true)
            .build();

        let spinner = gtk::Spinner::builder()
            .spinning(true)
            .width_request(32)
            .height_request(32)
            .halign(gtk::Align::Center)
            .valign(gtk::Align::Center)
            .build();
        a11y::set_label(&spinner, &gettext("Loading"));
        let retry = gtk::Button::builder()
            .label(gettext("Try Again"))
            .halign(gtk::Align::Center)
            .css_classes(["pill"])
            .build();
        {
            let sender = sender.clone();
            retry.connect_clicked(move |_| sender.input(VmDetailsMsg::Retry));
        }
        let error = adw::StatusPage::builder()
            .icon_name("dialog-error-symbolic")
            .title(gettext("Could Not Read This Machine"))
            .child(&retry)
            .build();
        let content = gtk::Stack::new();
        content.add_named(&spinner, Some("loading"));
        content.add_named(&overview, Some("overview"));
        content.add_named(&error, Some("error"));
        a11y::hide_other_pages(&content);

        let xml = {
            let sender = sender.clone();
            XmlEditor::new(&gettext("Domain XML"), move |text| {
                sender.input(VmDetailsMsg::SaveXml(text))
            })
        };
        let page = views.add_titled(&content, Some("overview"), &gettext("Overview"));
        page.set_icon_name(Some("document-properties-symbolic"));
        let console = ConsoleView::new(&consoles, false);
        let page = views.add_titled(console.widget(), Some("console"), &gettext("Console"));
        page.set_icon_name(Some("video-display-symbolic"));
        let charts = {
            let sender = sender.clone();
            performance::page(&perf, move || sender.input(VmDetailsMsg::NewAlertRule))
        };
        let page = views.add_titled(&charts, Some("performance"), &gettext("Performance"));
        page.set_icon_name(Some("power-profile-performance-symbolic"));
        let page = views.add_titled(&xml.root, Some("xml"), &gettext("XML"));
        page.set_icon_name(Some("text-x-generic-symbolic"));
        let switcher_bar = adw::ViewSwitcherBar::builder().stack(&views).build();
        title
            .bind_property("title-visible", &switcher_bar, "reveal")
            .sync_create()
            .build();

        views.set_vexpand(true);
        root.append(&header);
        root.append(&views);
        root.append(&switcher_bar);

        let model = VmDetailsPage {
            vm: None,
            title,
            state_icon,
            name,
            state,
            actions,
            content,
            error,
            general,
            settings,
            hardware,
            disk_group,
            nics,
            displays,
            xml,
            perf,
            console,
            details: None,
        };
        ComponentParts {
            model,
            widgets: VmDetailsWidgets {},
        }
    }

    fn update(&mut self, msg: VmDetailsMsg, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            VmDetailsMsg::Show(obj) => {
                if self.uuid().as_deref() != Some(obj.summary().uuid.as_str()) {
                    self.xml.reset("");
                }
                if let Some((old, handler)) = self.vm.take() {
                    old.disconnect(handler);
                }
                let page_sender = sender.clone();
                let handler = obj.connect_revision_notify(move |obj| {
                    page_sender.input(VmDetailsMsg::Refresh(obj.clone()));
                });
                self.show_summary(&obj.summary());
                a11y::show_only(&self.content, "loading");
                self.perf
                    .set_subject(Some(Subject::Vm(obj.summary().uuid.clone())));
                self.console.show_vm(Some(&obj), console_choices(None));
                self.vm = Some((obj, handler));
            }
            VmDetailsMsg::Refresh(obj) => {
                self.show_summary(&obj.summary());
                let _ = sender.output(VmDetailsOutput::Reload(obj.summary().uuid.clone()));
            }
            VmDetailsMsg::Loaded(Ok(details)) => {
                if self.uuid().as_deref() == Some(details.uuid.as_str()) {
                    self.show_details(&details);
                    if let Some((obj, _)) = &self.vm {
                        self.console
                            .show_vm(Some(obj), console_choices(Some(&details)));
                    }
                    a11y::show_only(&self.content, "overview");
                    self.details = Some(details);
                }
            }
            VmDetailsMsg::Loaded(Err(err)) => {
                self.error
                    .set_description(Some(&format!("{}\n{}", err.message, err.hint)));
                a11y::show_only(&self.content, "error");
            }
            VmDetailsMsg::Gone => {
                if let Some((old, handler)) = self.vm.take() {
                    old.disconnect(handler);
                }
                self.perf.set_subject(None);
                self.console.show_vm(None, Vec::new());
                let _ = sender.output(VmDetailsOutput::Back);
            }
            VmDetailsMsg::Retry => {
                if let Some(uuid) = self.uuid() {
                    a11y::show_only(&self.content, "loading");
                    let _ = sender.output(VmDetailsOutput::Reload(uuid));
                }
            }
            VmDetailsMsg::Action(action) => {
                if let Some(uuid) = self.uuid() {
                    let _ = sender.output(VmDetailsOutput::Action(uuid, action));
                }
            }
            VmDetailsMsg::Edit(edit) => {
                if let Some(uuid) = self.uuid() {
                    let _ = sender.output(VmDetailsOutput::Edit(uuid, edit));
                }
            }
            VmDetailsMsg::Delete | VmDetailsMsg::Clone | VmDetailsMsg::Export => {
                if let Some(uuid) = self.uuid() {
                    let out = match msg {
                        VmDetailsMsg::Delete => VmDetailsOutput::Delete(uuid),
                        VmDetailsMsg::Clone => VmDetailsOutput::Clone(uuid),
                        _ => VmDetailsOutput::Export(uuid),
                    };
                    let _ = sender.output(out);
                }
            }
            VmDetailsMsg::SaveXml(text) => match self.uuid() {
                Some(uuid) => {
                    let _ = sender.output(VmDetailsOutput::SaveXml(uuid, text));
                }
                None => self
                    .xml
                    .show_error(&gettext("This machine no longer exists.")),
            },
            VmDetailsMsg::XmlLoaded(uuid, result) => {
                if self.uuid().as_deref() == Some(uuid.as_str()) {
                    match result {
                        Ok(xml) => self.xml.set_text(&xml),
                        Err(e) => self.xml.show_error(&e.to_string()),
                    }
                }
            }
            VmDetailsMsg::XmlSaved(uuid, result) => {
                if self.uuid().as_deref() == Some(uuid.as_str()) {
                    match result {
                        Ok(()) => self.xml.saved(),
                        Err(e) => self.xml.show_error(&e.to_string()),
                    }
                }
            }
            VmDetailsMsg::Storage(options) => self.disk_group.set_storage(*options),
            VmDetailsMsg::DiskDone(uuid, result) => {
                if self.uuid().as_deref() == Some(uuid.as_str()) {
                    self.disk_group.done(result);
                }
            }
            VmDetailsMsg::Disk(msg) => self.on_disk_msg(msg, &sender),
            VmDetailsMsg::NewAlertRule => {
                if let Some((obj, _)) = &self.vm {
                    let vm = obj.summary();
                    let _ = sender.output(VmDetailsOutput::NewAlertRule(
                        vm.uuid.clone(),
                        vm.name.clone(),
                    ));
                }
            }
            VmDetailsMsg::SaveAsTemplate => {
                let (Some(d), Some(parent)) = (
                    self.details.as_ref(),
                    self.name.root().and_downcast::<gtk::Window>(),
                ) else {
                    return;
                };
                let input = sender.input_sender().clone();
                dialogs::prompt::text(
                    &parent,
                    dialogs::prompt::Prompt {
                        heading: &gettext("Save as Template"),
                        body: &gettext(
                            "New machines can start from this machine’s operating system, resources, disk size, network and firmware. Its disks are not copied.",
                        ),
                        label: &gettext("Template name"),
                        initial: &d.name,
                        accept: &gettext("Save"),
                        allow_empty: false,
                    },
                    move |name| input.emit(VmDetailsMsg::SaveTemplateNamed(name)),
                );
            }
            VmDetailsMsg::SaveTemplateNamed(name) => {
                let Some(d) = self.details.clone() else {
                    return;
                };
                sender.spawn_oneshot_command(move || {
                    let t = Template::from_details(&name, &d);
                    let r = db::shared()
                        .and_then(|db| db.add_template(&t))
                        .map(|t| t.name)
                        .map_err(|e| e.to_string());
                    VmDetailsCmd::TemplateSaved(r)
                });
            }
        }
    }

    fn update_cmd(&mut self, cmd: VmDetailsCmd, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match cmd {
            VmDetailsCmd::TemplateSaved(Ok(name)) => {
                let _ = sender.output(VmDetailsOutput::Toast(
                    gettext_f("Saved as template “{name}”", &[("name", &name)]),
                    false,
                ));
            }
            VmDetailsCmd::TemplateSaved(Err(e)) => {
                let _ = sender.output(VmDetailsOutput::Toast(e, true));
            }
        }
    }
}
