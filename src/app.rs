//! The root component: the window, its navigation, and the routing of messages between
//! the pages and the connection worker. Owns no business logic.

mod actions;
mod chrome;
mod console;
mod disks;
mod events;
mod manage;
mod monitoring;
mod page;

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::backend::{self, Command, ConnectionHandle, Event, VmAction};
use crate::i18n::gettext_f;
use crate::services::alerts::AlertRule;
use crate::services::metrics::Subject;
use crate::services::monitor::MonitorEvent;
use crate::ui::console::ConsoleHub;
use crate::ui::dialogs;
use crate::ui::dialogs::new_vm::{NewVm, NewVmInit, NewVmMsg, NewVmOutput};
use crate::ui::pages::alerts::{AlertsMsg, AlertsOutput, AlertsPage};
use crate::ui::pages::dashboard::{DashboardMsg, DashboardOutput, DashboardPage};
use crate::ui::pages::insights::{InsightsMsg, InsightsOutput, InsightsPage};
use crate::ui::pages::machines::{MachinesMsg, MachinesOutput, MachinesPage};
use crate::ui::pages::networks::{NetworksMsg, NetworksOutput, NetworksPage};
use crate::ui::pages::storage::{StorageMsg, StorageOutput, StoragePage};
use crate::ui::pages::templates::{TemplatesMsg, TemplatesOutput, TemplatesPage};
use crate::ui::pages::vm_details::{VmDetailsMsg, VmDetailsOutput, VmDetailsPage};
use crate::ui::pages::welcome::{WelcomeMsg, WelcomeOutput, WelcomePage};
use crate::ui::vm_store::VmStore;

pub use page::Page;

/// What the command line asked for.
#[derive(Debug, Default)]
pub struct AppInit {
    /// `--connect URI`; `None` tries the local daemon (system, then session).
    pub uri: Option<String>,
    /// `--console NAME`: open this machine's console in a window once it is listed.
    pub console: Option<String>,
}

#[derive(Debug)]
pub enum AppMsg {
    Connect(String),
    /// The app was launched again: bring the main window up (also when `--console` hid it).
    Activated,
    /// An event from the worker of connection number `.0` (older ones are ignored).
    Backend(u64, Box<Event>),
    ShowPage(Page),
    ShowSidebar,
    OpenVm(String),
    /// Show a pool's or network's page.
    OpenHostObject(crate::backend::xml_define::XmlKind),
    CloseDetails,
    /// The user asked for an action; Force Off is confirmed first.
    RequestAction(String, VmAction),
    RunAction(String, VmAction),
    /// A lifecycle shortcut: acts on the open or selected VM.
    ShortcutAction(VmAction),
    ReloadDetails(String),
    /// Open the creation wizard, from scratch or from a template.
    NewVm(Option<Box<crate::services::templates::Template>>),
    DeleteVm(String),
    CloneVm(String),
    ExportVm(String),
    ImportVm,
    ImportRead(Result<String, String>),
    Exported(Result<std::path::PathBuf, String>),
    WizardClosed,
    /// A command for the connection worker from a dialog.
    Send(Command),
    Toast(String, bool),
    /// A performance view started (`true`) or stopped showing live data.
    LiveWanted(bool),
    /// What the monitor thread reported (history, alerts, clean-up).
    Monitor(Box<MonitorEvent>),
    /// Open the alert-rule dialog: edit a rule, or a new one (for a machine).
    EditAlertRule(Option<Box<AlertRule>>, Option<(String, String)>),
    /// Alert rules were saved, switched or deleted.
    RulesChanged,
    /// The Insights page wants the current machines.
    InsightMachines,
    /// Preferences changed the collection interval (seconds).
    IntervalChanged(u32),
    /// Preferences lowered the days of history kept.
    RetentionChanged,
    Search,
    Refresh,
    Back,
    Folded(bool),
    Preferences,
    Shortcuts,
    About,
    Quit,
}

pub struct App {
    window: adw::ApplicationWindow,
    chrome: chrome::Chrome,
    welcome: Controller<WelcomePage>,
    dashboard: Controller<DashboardPage>,
    machines: Controller<MachinesPage>,
    details: Controller<VmDetailsPage>,
    templates: Controller<TemplatesPage>,
    storage: Controller<StoragePage>,
    networks: Controller<NetworksPage>,
    alerts: Controller<AlertsPage>,
    insights: Controller<InsightsPage>,
    monitoring: monitoring::Monitoring,
    /// The open creation wizard, if any (one at a time).
    wizard: Option<Controller<NewVm>>,
    clone_dialog: Option<dialogs::clone_vm::CloneDialog>,
    /// The open network or pool XML editor.
    xml_dialog: Option<(
        crate::backend::xml_define::XmlKind,
        dialogs::xml_dialog::XmlDialog,
    )>,
    /// The machine this window just deleted (its removal needs no second message).
    just_deleted: Option<String>,
    /// The open native file chooser (GTK does not keep it alive).
    chooser: Option<gtk::FileChooserNative>,
    store: VmStore,
    conn: Option<ConnectionHandle>,
    /// Console requests and console windows (src/ui/console).
    consoles: ConsoleHub,
    /// `--console NAME` still to open (after the first list).
    console_at_start: Option<String>,
    /// Whether the main window has been shown: with `--console` it stays hidden (only the
    /// console window opens, as with `virt-manager --show-domain-console`) until needed.
    main_window_shown: bool,
    /// Bumped per connection attempt; events of older workers are dropped.
    generation: u64,
    /// URIs still to try when the current attempt fails (qemu:///session after system).
    fallbacks: Vec<String>,
    connected: bool,
    open_vm: Option<String>,
}

pub struct AppWidgets {}

impl Component for App {
    type Init = AppInit;
    type Input = AppMsg;
    type Output = ();
    type CommandOutput = ();
    type Root = adw::ApplicationWindow;
    type Widgets = AppWidgets;

    fn init_root() -> adw::ApplicationWindow {
        adw::ApplicationWindow::builder()
            .title(gettext("KVM Manager"))
            .build()
    }

    fn init(
        init: AppInit,
        window: adw::ApplicationWindow,
        sender: ComponentSender<Self>,
    ) -> ComponentParts<Self> {
        let store = VmStore::default();
        let welcome = WelcomePage::builder()
            .launch(chrome::main_menu_button())
            .forward(sender.input_sender(), |out| match out {
                WelcomeOutput::Connect(uri) => AppMsg::Connect(uri),
            });
        let monitoring = monitoring::Monitoring::new(&sender);
        monitoring.host.set_subject(Some(Subject::Host));
        let dashboard = DashboardPage::builder()
            .launch(monitoring.host.clone())
            .forward(sender.input_sender(), |out| match out {
                DashboardOutput::ShowSidebar => AppMsg::ShowSidebar,
                DashboardOutput::EditXml(kind) => AppMsg::Send(Command::ReadXml { kind }),
                DashboardOutput::Open(kind) => AppMsg::OpenHostObject(kind),
            });
        let machines =
            MachinesPage::builder()
                .launch(store.model())
                .forward(sender.input_sender(), |out| match out {
                    MachinesOutput::OpenVm(uuid) => AppMsg::OpenVm(uuid),
                    MachinesOutput::Action(uuid, action) => AppMsg::RequestAction(uuid, action),
                    MachinesOutput::ShowSidebar => AppMsg::ShowSidebar,
                    MachinesOutput::Delete(uuid) => AppMsg::DeleteVm(uuid),
                    MachinesOutput::Send(cmd) => AppMsg::Send(cmd),
                });
        let consoles = {
            let start = sender.input_sender().clone();
            let toast = sender.input_sender().clone();
            ConsoleHub::new(
                move |uuid| start.emit(AppMsg::RequestAction(uuid, VmAction::Start)),
                move |text, error| toast.emit(AppMsg::Toast(text, error)),
            )
        };
        let details = VmDetailsPage::builder()
            .launch((monitoring.vm.clone(), consoles.clone()))
            .forward(sender.input_sender(), |out| match out {
                VmDetailsOutput::Action(uuid, action) => AppMsg::RequestAction(uuid, action),
                VmDetailsOutput::Back => AppMsg::CloseDetails,
                VmDetailsOutput::Reload(uuid) => AppMsg::ReloadDetails(uuid),
                VmDetailsOutput::Toast(text, error) => AppMsg::Toast(text, error),
                VmDetailsOutput::Edit(uuid, edit) => AppMsg::Send(Command::Edit { uuid, edit }),
                VmDetailsOutput::Delete(uuid) => AppMsg::DeleteVm(uuid),
                VmDetailsOutput::Clone(uuid) => AppMsg::CloneVm(uuid),
                VmDetailsOutput::Export(uuid) => AppMsg::ExportVm(uuid),
                VmDetailsOutput::Disk(cmd) => AppMsg::Send(Command::Disk(cmd)),
                VmDetailsOutput::NeedStorage => AppMsg::Send(Command::CreateOptions),
                VmDetailsOutput::NewAlertRule(uuid, name) => {
                    AppMsg::EditAlertRule(None, Some((uuid, name)))
                }
                VmDetailsOutput::SaveXml(uuid, xml) => AppMsg::Send(Command::DefineXml {
                    kind: crate::backend::xml_define::XmlKind::Domain { uuid },
                    xml,
                }),
            });

        let templates = TemplatesPage::builder()
            .launch(())
            .forward(sender.input_sender(), |out| match out {
                TemplatesOutput::Toast(text, error) => AppMsg::Toast(text, error),
                TemplatesOutput::NewMachine(t) => AppMsg::NewVm(Some(t)),
                TemplatesOutput::ShowSidebar => AppMsg::ShowSidebar,
            });

        let storage = StoragePage::builder()
            .launch(())
            .forward(sender.input_sender(), |out| match out {
                StorageOutput::Send(cmd) => AppMsg::Send(cmd),
                StorageOutput::Toast(text, error) => AppMsg::Toast(text, error),
                StorageOutput::ShowSidebar => AppMsg::ShowSidebar,
                StorageOutput::EditXml(kind) => AppMsg::Send(Command::ReadXml { kind }),
            });
        let networks = NetworksPage::builder()
            .launch(())
            .forward(sender.input_sender(), |out| match out {
                NetworksOutput::Send(cmd) => AppMsg::Send(cmd),
                NetworksOutput::Toast(text, error) => AppMsg::Toast(text, error),
                NetworksOutput::ShowSidebar => AppMsg::ShowSidebar,
                NetworksOutput::EditXml(kind) => AppMsg::Send(Command::ReadXml { kind }),
            });

        let alerts =
            AlertsPage::builder()
                .launch(())
                .forward(sender.input_sender(), |out| match out {
                    AlertsOutput::EditRule(rule) => AppMsg::EditAlertRule(rule, None),
                    AlertsOutput::RulesChanged => AppMsg::RulesChanged,
                    AlertsOutput::Toast(text, error) => AppMsg::Toast(text, error),
                    AlertsOutput::OpenVm(uuid) => AppMsg::OpenVm(uuid),
                    AlertsOutput::ShowSidebar => AppMsg::ShowSidebar,
                });
        let insights = InsightsPage::builder()
            .launch(())
            .forward(sender.input_sender(), |out| match out {
                InsightsOutput::NeedMachines => AppMsg::InsightMachines,
                InsightsOutput::Edit(uuid, edit) => AppMsg::Send(Command::Edit { uuid, edit }),
                InsightsOutput::Action(uuid, action) => AppMsg::RequestAction(uuid, action),
                InsightsOutput::OpenVm(uuid) => AppMsg::OpenVm(uuid),
                InsightsOutput::ShowSidebar => AppMsg::ShowSidebar,
            });

        let chrome = chrome::Chrome::build(
            &window,
            &sender,
            welcome.widget(),
            &[
                ("dashboard", dashboard.widget()),
                ("machines", machines.widget()),
                ("details", details.widget()),
                ("storage", storage.widget()),
                ("networks", networks.widget()),
                ("templates", templates.widget()),
                ("alerts", alerts.widget()),
                ("insights", insights.widget()),
            ],
        );
        actions::install(&window, &sender);

        let mut model = App {
            window: window.clone(),
            chrome,
            welcome,
            dashboard,
            machines,
            details,
            templates,
            storage,
            networks,
            alerts,
            insights,
            monitoring,
            wizard: None,
            clone_dialog: None,
            just_deleted: None,
            xml_dialog: None,
            chooser: None,
            store,
            conn: None,
            consoles,
            console_at_start: init.console.clone(),
            main_window_shown: init.console.is_none(),
            generation: 0,
            fallbacks: Vec::new(),
            connected: false,
            open_vm: None,
        };
        match init.uri {
            Some(uri) => model.connect(uri, Vec::new(), &sender),
            None => {
                let mut uris: Vec<String> = backend::DEFAULT_URIS
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                let first = uris.remove(0);
                model.connect(first, uris, &sender);
            }
        }
        ComponentParts {
            model,
            widgets: AppWidgets {},
        }
    }

    fn update(
        &mut self,
        msg: AppMsg,
        sender: ComponentSender<Self>,
        _root: &adw::ApplicationWindow,
    ) {
        match msg {
            AppMsg::Connect(uri) => self.connect(uri, Vec::new(), &sender),
            AppMsg::Backend(generation, event) => {
                if generation == self.generation {
                    self.on_backend(*event, &sender);
                }
            }
            AppMsg::ShowPage(page) => self.show_page(page),
            AppMsg::ShowSidebar => self.chrome.show_sidebar(),
            AppMsg::OpenVm(uuid) => self.open_vm(uuid),
            AppMsg::OpenHostObject(kind) => {
                use crate::backend::xml_define::XmlKind;
                match kind {
                    XmlKind::Pool { name } => {
                        self.show_page(Page::Storage);
                        self.storage.emit(StorageMsg::OpenPool(name));
                    }
                    XmlKind::Network { name } => {
                        self.show_page(Page::Networks);
                        self.networks.emit(NetworksMsg::Open(name));
                    }
                    XmlKind::Domain { uuid } => self.open_vm(uuid),
                }
            }
            AppMsg::CloseDetails => {
                self.open_vm = None;
                self.chrome.show_content("machines");
            }
            AppMsg::RequestAction(uuid, action) => self.request_action(uuid, action, &sender),
            AppMsg::RunAction(uuid, action) => self.send(Command::Action { uuid, action }),
            AppMsg::ShortcutAction(action) => {
                let target = if self.chrome.content_page().as_deref() == Some("details") {
                    self.open_vm.clone()
                } else {
                    self.machines.model().selected()
                };
                match target {
                    Some(uuid) => self.request_action(uuid, action, &sender),
                    None => self.chrome.toast(&gettext("Select a machine first"), false),
                }
            }
            AppMsg::ReloadDetails(uuid) => {
                if self.open_vm.as_deref() == Some(uuid.as_str()) {
                    self.send(Command::Details { uuid: uuid.clone() });
                    self.send(Command::ReadXml {
                        kind: crate::backend::xml_define::XmlKind::Domain { uuid },
                    });
                }
            }
            AppMsg::Search => {
                if self.connected {
                    self.show_page(Page::Machines);
                    self.machines.emit(MachinesMsg::FocusSearch);
                }
            }
            AppMsg::Refresh => self.send(Command::Refresh),
            AppMsg::NewVm(template) => self.open_wizard(template.map(|t| *t), &sender),
            AppMsg::WizardClosed => self.wizard = None,
            AppMsg::DeleteVm(uuid) => self.send(Command::DeletePlan { uuid }),
            AppMsg::CloneVm(uuid) => self.send(Command::ClonePlan { uuid }),
            AppMsg::ExportVm(uuid) => self.send(Command::ExportXml { uuid }),
            AppMsg::ImportVm => {
                if self.connected {
                    self.import_vm(&sender);
                }
            }
            AppMsg::ImportRead(r) => self.on_import_read(r),
            AppMsg::Exported(r) => match r {
                Ok(path) => self.chrome.toast(
                    &gettext_f("Saved to {path}", &[("path", &path.display().to_string())]),
                    false,
                ),
                Err(e) => self.chrome.toast(&e, true),
            },
            AppMsg::Send(cmd) => self.send(cmd),
            AppMsg::Toast(text, error) => self.chrome.toast(&text, error),
            AppMsg::Activated => {
                self.main_window_shown = true;
                self.window.present();
            }
            AppMsg::LiveWanted(on) => self.on_live_wanted(on),
            AppMsg::Monitor(event) => self.on_monitor(*event),
            AppMsg::EditAlertRule(rule, machine) => {
                self.open_rule_dialog(rule.map(|r| *r), machine, &sender)
            }
            AppMsg::RulesChanged => self.on_rules_changed(),
            AppMsg::InsightMachines => self.send_insight_machines(),
            AppMsg::IntervalChanged(secs) => self.on_interval_changed(secs),
            AppMsg::RetentionChanged => self.on_retention_changed(),
            AppMsg::Back => {
                if self.chrome.content_page().as_deref() == Some("details") {
                    sender.input(AppMsg::CloseDetails);
                } else {
                    self.chrome.show_sidebar();
                }
            }
            AppMsg::Folded(folded) => {
                self.dashboard.emit(DashboardMsg::Folded(folded));
                self.machines.emit(MachinesMsg::Folded(folded));
                self.templates.emit(TemplatesMsg::Folded(folded));
                self.storage.emit(StorageMsg::Folded(folded));
                self.networks.emit(NetworksMsg::Folded(folded));
                self.alerts.emit(AlertsMsg::Folded(folded));
                self.insights.emit(InsightsMsg::Folded(folded));
            }
            AppMsg::Preferences => {
                let input = sender.input_sender().clone();
                dialogs::preferences::show(self.window.upcast_ref(), move |change| {
                    input.emit(match change {
                        dialogs::preferences::HistoryChange::Interval(secs) => {
                            AppMsg::IntervalChanged(secs)
                        }
                        dialogs::preferences::HistoryChange::Retention => AppMsg::RetentionChanged,
                    })
                })
            }
            AppMsg::Shortcuts => dialogs::shortcuts::show(self.window.upcast_ref()),
            AppMsg::About => dialogs::about::show(self.window.upcast_ref()),
            AppMsg::Quit => self.window.close(),
        }
    }

    fn shutdown(&mut self, _widgets: &mut AppWidgets, _output: relm4::Sender<()>) {
        self.chrome.save_window_state(&self.window);
        if let Some(conn) = self.conn.take() {
            conn.send(Command::Close);
        }
    }
}

impl App {
    /// Queue a command when connected; say nothing otherwise (background requests).
    fn send_quiet(&self, cmd: Command) {
        if let Some(conn) = &self.conn {
            conn.send(cmd);
        }
    }

    fn send(&self, cmd: Command) {
        match &self.conn {
            Some(conn) => conn.send(cmd),
            None => self.chrome.toast(&gettext("Not connected"), true),
        }
    }

    fn connect(&mut self, uri: String, fallbacks: Vec<String>, sender: &ComponentSender<Self>) {
        if let Some(old) = self.conn.take() {
            old.send(Command::Close);
        }
        self.generation += 1;
        self.fallbacks = fallbacks;
        self.connected = false;
        self.open_vm = None;
        self.store.clear();
        self.welcome.emit(WelcomeMsg::Connecting(uri.clone()));
        self.chrome.show_top("welcome");
        let generation = self.generation;
        let input = sender.input_sender().clone();
        self.conn = Some(ConnectionHandle::spawn(&uri, move |event| {
            input.emit(AppMsg::Backend(generation, Box::new(event)));
        }));
        self.consoles.close_windows_of(None);
        self.consoles.set_connection(self.conn.clone());
    }

    fn to_wizard(&self, msg: NewVmMsg) {
        if let Some(w) = &self.wizard {
            w.emit(msg);
        }
    }

    fn open_wizard(
        &mut self,
        template: Option<crate::services::templates::Template>,
        sender: &ComponentSender<Self>,
    ) {
        if !self.connected {
            self.chrome.toast(&gettext("Not connected"), true);
            return;
        }
        if let Some(w) = &self.wizard {
            w.widget().present();
            return;
        }
        let wizard = NewVm::builder()
            .transient_for(&self.window)
            .launch(NewVmInit { template })
            .forward(sender.input_sender(), |out| match out {
                NewVmOutput::Send(cmd) => AppMsg::Send(cmd),
                NewVmOutput::Open(uuid) => AppMsg::OpenVm(uuid),
                NewVmOutput::Closed => AppMsg::WizardClosed,
            });
        // Sized once it is transient for the main window (never wider than it).
        dialogs::fit_to_parent(wizard.widget(), 640, 640);
        wizard.widget().present();
        self.wizard = Some(wizard);
    }

    fn after_store_change(&self) {
        self.dashboard
            .emit(DashboardMsg::Counts(self.store.counts()));
        self.machines.emit(MachinesMsg::Tags(self.store.tags()));
        self.machines.emit(MachinesMsg::Refilter);
    }

    fn show_page(&mut self, page: Page) {
        self.open_vm = None;
        self.chrome.select_sidebar(page);
        self.chrome.show_content(page.id());
        match page {
            Page::Templates => self.templates.emit(TemplatesMsg::Reload),
            Page::Storage => self.storage.emit(StorageMsg::Shown),
            Page::Networks => self.networks.emit(NetworksMsg::Shown),
            Page::Alerts => self.alerts.emit(AlertsMsg::Reload),
            Page::Insights => self.send_insight_machines(),
            _ => {}
        }
    }

    fn open_vm(&mut self, uuid: String) {
        let Some(obj) = self.store.get(&uuid) else {
            return;
        };
        self.open_vm = Some(uuid.clone());
        self.details.emit(VmDetailsMsg::Show(obj));
        self.send(Command::Details { uuid: uuid.clone() });
        self.send(Command::ReadXml {
            kind: crate::backend::xml_define::XmlKind::Domain { uuid },
        });
        self.chrome.show_content("details");
    }

    fn request_action(&mut self, uuid: String, action: VmAction, sender: &ComponentSender<Self>) {
        let Some(obj) = self.store.get(&uuid) else {
            self.chrome
                .toast(&gettext("That machine no longer exists"), true);
            return;
        };
        let (name, state) = {
            let vm = obj.summary();
            (vm.name.clone(), vm.state)
        };
        if !state.valid_actions().contains(&action) {
            let text = crate::backend::lifecycle::refused_message(&name, state, action);
            self.chrome.toast(&text, false);
            return;
        }
        if action == VmAction::ForceOff {
            let input = sender.input_sender().clone();
            dialogs::confirm::force_off(self.window.upcast_ref(), &name, move || {
                input.emit(AppMsg::RunAction(uuid.clone(), action));
            });
        } else {
            sender.input(AppMsg::RunAction(uuid, action));
        }
    }
}
