//! The Alerts page: the alert rules (on/off, edit, delete, new), the alerts open right now,
//! and the history of alerts with when each fired and cleared. Database calls run off the
//! main thread; the page reads everything again after a change and when the monitor
//! reports an alert firing or clearing.

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::i18n::{gettext_f, ngettext_f};
use crate::services::alerts::format_value;
use crate::services::alerts::{AlertEvent, AlertRule, AlertScope, AlertStore};
use crate::services::db;
use crate::ui::dialogs::confirm::{self, Question};
use crate::ui::widgets::host_page::{self, esc};
use crate::ui::{a11y, format};

/// History rows shown (newest first).
const HISTORY_ROWS: usize = 200;

#[derive(Debug)]
pub enum AlertsMsg {
    /// Read rules and alerts again (page shown, rule saved, alert fired or cleared).
    Reload,
    New,
    Edit(i64),
    Delete(i64),
    SetEnabled(i64, bool),
    Folded(bool),
}

#[derive(Debug)]
pub enum AlertsOutput {
    /// Open the rule dialog for this rule (`None`: a new one).
    EditRule(Option<Box<AlertRule>>),
    /// Rules changed: the monitor must read them again.
    RulesChanged,
    Toast(String, bool),
    OpenVm(String),
    ShowSidebar,
}

type Loaded = (Vec<AlertRule>, Vec<AlertEvent>, Vec<AlertEvent>);

#[derive(Debug)]
pub enum AlertsCmd {
    Loaded(Result<Loaded, String>),
    Changed(Result<String, String>),
}

pub struct AlertsPage {
    rules: Vec<AlertRule>,
    back: gtk::Button,
    rules_group: adw::PreferencesGroup,
    active_group: adw::PreferencesGroup,
    history_group: adw::PreferencesGroup,
    rows: Vec<gtk::Widget>,
    active_rows: Vec<gtk::Widget>,
    history_rows: Vec<gtk::Widget>,
    error: gtk::Label,
}

pub struct AlertsWidgets {}

fn blocking<T>(f: impl FnOnce(&AlertStore) -> Result<T, db::StoreError>) -> Result<T, String> {
    let store = AlertStore::new(db::shared().map_err(|e| e.to_string())?);
    f(&store).map_err(|e| e.to_string())
}

/// "All machines · Warning · 3 samples in a row".
fn rule_subtitle(rule: &AlertRule) -> String {
    let scope = match &rule.scope {
        AlertScope::AllVms => gettext("All machines"),
        AlertScope::Vm { name, .. } => gettext_f("“{name}”", &[("name", name)]),
    };
    let samples = ngettext_f(
        "{n} sample in a row",
        "{n} samples in a row",
        rule.consecutive,
        &[("n", &rule.consecutive.to_string())],
    );
    let mut parts = vec![scope, rule.severity.label(), samples];
    if !rule.enabled {
        parts.push(gettext("Off"));
    }
    parts.join(" · ")
}

/// "Fired 26/11/2026 14:03 at 97 % · cleared 14:10 · peak 99 %".
fn event_subtitle(event: &AlertEvent) -> String {
    let mut parts = vec![gettext_f(
        "Fired {time} at {value}",
        &[
            ("time", &format::date_time(event.fired_at)),
            ("value", &format_value(event.metric, event.value)),
        ],
    )];
    match event.cleared_at {
        Some(t) => parts.push(gettext_f(
            "cleared {time}",
            &[("time", &format::date_time(t))],
        )),
        None => parts.push(gettext("still open")),
    }
    parts.push(gettext_f(
        "peak {value}",
        &[("value", &format_value(event.metric, event.peak))],
    ));
    parts.join(" · ")
}

impl Component for AlertsPage {
    type Init = ();
    type Input = AlertsMsg;
    type Output = AlertsOutput;
    type CommandOutput = AlertsCmd;
    type Root = gtk::Box;
    type Widgets = AlertsWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: gtk::Box, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let title = adw::WindowTitle::new(&gettext("Alerts"), "");
        let (header, back) = host_page::header(&title);
        back.set_visible(false);
        {
            let sender = sender.clone();
            back.connect_clicked(move |_| {
                let _ = sender.output(AlertsOutput::ShowSidebar);
            });
        }
        let new = a11y::icon_button("list-add-symbolic", &gettext("New Alert Rule"));
        {
            let sender = sender.clone();
            new.connect_clicked(move |_| sender.input(AlertsMsg::New));
        }
        header.pack_end(&new);
        let (scroll, column) = host_page::scrolled_column();
        let error = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .css_classes(["error"])
            .visible(false)
            .build();
        let rules_group = adw::PreferencesGroup::builder()
            .title(gettext("Rules"))
            .description(gettext(
                "Each rule is checked at every collected sample, for every machine it applies to.",
            ))
            .build();
        let active_group = adw::PreferencesGroup::builder()
            .title(gettext("Open Alerts"))
            .build();
        let history_group = adw::PreferencesGroup::builder()
            .title(gettext("History"))
            .build();
        column.append(&error);
        for g in [&active_group, &rules_group, &history_group] {
            column.append(g);
        }
        root.append(&header);
        root.append(&scroll);

        let weak_sender = sender.clone();
        host_page::install_actions(
            &root,
            "alerts",
            vec![
                (
                    "edit",
                    Box::new({
                        let s = weak_sender.clone();
                        move |id: String| {
                            if let Ok(id) = id.parse() {
                                s.input(AlertsMsg::Edit(id));
                            }
                        }
                    }),
                ),
                (
                    "delete",
                    Box::new({
                        let s = weak_sender.clone();
                        move |id: String| {
                            if let Ok(id) = id.parse() {
                                s.input(AlertsMsg::Delete(id));
                            }
                        }
                    }),
                ),
                (
                    "open-vm",
                    Box::new(move |uuid: String| {
                        let _ = weak_sender.output(AlertsOutput::OpenVm(uuid));
                    }),
                ),
            ],
        );

        let model = AlertsPage {
            rules: Vec::new(),
            back,
            rules_group,
            active_group,
            history_group,
            rows: Vec::new(),
            active_rows: Vec::new(),
            history_rows: Vec::new(),
            error,
        };
        sender.input(AlertsMsg::Reload);
        ComponentParts {
            model,
            widgets: AlertsWidgets {},
        }
    }

    fn update(&mut self, msg: AlertsMsg, sender: ComponentSender<Self>, root: &gtk::Box) {
        match msg {
            AlertsMsg::Reload => sender.spawn_oneshot_command(|| {
                AlertsCmd::Loaded(blocking(|s| {
                    Ok((s.rules()?, s.active()?, s.history(HISTORY_ROWS)?))
                }))
            }),
            AlertsMsg::Folded(folded) => self.back.set_visible(folded),
            AlertsMsg::New => {
                let _ = sender.output(AlertsOutput::EditRule(None));
            }
            AlertsMsg::Edit(id) => {
                if let Some(rule) = self.rules.iter().find(|r| r.id == id) {
                    let _ = sender.output(AlertsOutput::EditRule(Some(Box::new(rule.clone()))));
                }
            }
            AlertsMsg::SetEnabled(id, on) => {
                if self.rules.iter().any(|r| r.id == id && r.enabled != on) {
                    sender.spawn_oneshot_command(move || {
                        AlertsCmd::Changed(blocking(|s| {
                            let rule = s.set_enabled(id, on)?;
                            Ok(if on {
                                gettext_f("“{rule}” is on", &[("rule", &rule.title())])
                            } else {
                                gettext_f("“{rule}” is off", &[("rule", &rule.title())])
                            })
                        }))
                    });
                }
            }
            AlertsMsg::Delete(id) => {
                let Some(rule) = self.rules.iter().find(|r| r.id == id).cloned() else {
                    return;
                };
                let Some(parent) = root.root().and_downcast::<gtk::Window>() else {
                    return;
                };
                let title = rule.title();
                let body = gettext("Its past alerts stay in the history.");
                let sender = sender.clone();
                confirm::ask(
                    &parent,
                    Question {
                        heading: &gettext_f("Delete “{rule}”?", &[("rule", &title)]),
                        body: &body,
                        accept: &gettext("Delete"),
                        destructive: true,
                        extra: None,
                    },
                    move || {
                        let title = title.clone();
                        sender.spawn_oneshot_command(move || {
                            AlertsCmd::Changed(blocking(|s| {
                                s.delete(id)?;
                                Ok(gettext_f("Deleted “{rule}”", &[("rule", &title)]))
                            }))
                        });
                    },
                );
            }
        }
    }

    fn update_cmd(&mut self, cmd: AlertsCmd, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match cmd {
            AlertsCmd::Loaded(Ok((rules, active, history))) => {
                self.error.set_visible(false);
                self.show_rules(&rules, &sender);
                self.rules = rules;
                self.show_events(&active, &history);
            }
            AlertsCmd::Loaded(Err(message)) => {
                self.error.set_label(&gettext_f(
                    "Alerts are not available: {error}",
                    &[("error", &message)],
                ));
                self.error.set_visible(true);
            }
            AlertsCmd::Changed(result) => {
                match result {
                    Ok(text) => {
                        let _ = sender.output(AlertsOutput::Toast(text, false));
                    }
                    Err(text) => {
                        let _ = sender.output(AlertsOutput::Toast(text, true));
                    }
                }
                let _ = sender.output(AlertsOutput::RulesChanged);
                sender.input(AlertsMsg::Reload);
            }
        }
    }
}

impl AlertsPage {
    fn show_rules(&mut self, rules: &[AlertRule], sender: &ComponentSender<Self>) {
        host_page::clear_rows(&self.rules_group, &mut self.rows);
        if rules.is_empty() {
            let row = adw::ActionRow::builder()
                .title(gettext("No rules yet"))
                .subtitle(gettext(
                    "Add one with the + button, or from a machine’s Performance view.",
                ))
                .build();
            self.rules_group.add(&row);
            self.rows.push(row.upcast());
            return;
        }
        for rule in rules {
            let title = rule.title();
            let row = adw::ActionRow::builder()
                .title(esc(&title))
                .subtitle(esc(&rule_subtitle(rule)))
                .build();
            let switch = gtk::Switch::builder()
                .active(rule.enabled)
                .valign(gtk::Align::Center)
                .build();
            a11y::set_label(&switch, &gettext_f("Enable “{rule}”", &[("rule", &title)]));
            {
                let (sender, id) = (sender.clone(), rule.id);
                switch.connect_active_notify(move |s| {
                    sender.input(AlertsMsg::SetEnabled(id, s.is_active()))
                });
            }
            row.add_suffix(&switch);
            let id = rule.id.to_string();
            row.add_suffix(&host_page::row_menu(
                &gettext_f("Actions for “{rule}”", &[("rule", &title)]),
                "alerts",
                &id,
                &[
                    &[(gettext("Edit…"), "edit")],
                    &[(gettext("Delete…"), "delete")],
                ],
            ));
            self.rules_group.add(&row);
            self.rows.push(row.upcast());
        }
    }

    fn show_events(&mut self, active: &[AlertEvent], history: &[AlertEvent]) {
        host_page::clear_rows(&self.active_group, &mut self.active_rows);
        host_page::clear_rows(&self.history_group, &mut self.history_rows);
        self.active_group
            .set_description(Some(&if active.is_empty() {
                gettext("Nothing is over its threshold right now.")
            } else {
                ngettext_f(
                    "{n} alert is open.",
                    "{n} alerts are open.",
                    active.len() as u32,
                    &[("n", &active.len().to_string())],
                )
            }));
        for event in active {
            let row = self.event_row(event);
            self.active_group.add(&row);
            self.active_rows.push(row.upcast());
        }
        if history.is_empty() {
            let row = adw::ActionRow::builder()
                .title(gettext("No alerts so far"))
                .build();
            self.history_group.add(&row);
            self.history_rows.push(row.upcast());
        }
        for event in history {
            let row = self.event_row(event);
            self.history_group.add(&row);
            self.history_rows.push(row.upcast());
        }
    }

    fn event_row(&self, event: &AlertEvent) -> adw::ActionRow {
        let title = gettext_f(
            "“{vm}”: {rule}",
            &[("vm", &event.vm_name), ("rule", &event.rule_title)],
        );
        let row = adw::ActionRow::builder()
            .title(esc(&title))
            .subtitle(esc(&event_subtitle(event)))
            .activatable(true)
            .action_name("alerts.open-vm")
            .action_target(&event.uuid.to_variant())
            .build();
        row.add_prefix(&format::severity_icon(event.severity));
        row
    }
}
