//! Monitoring in the app: the sampler's ticks go to the live buffer, the machines list's
//! CPU column and the performance views; collected snapshots go to the monitor thread
//! (history, alerts, retention); alerts that fire come back as desktop notifications and
//! refresh the Alerts page.
//!
//! The sampler ticks every second only while a live chart is on screen: each performance
//! view reports when it starts and stops showing live data, and the app asks the worker
//! for the fast pace while at least one does.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use gettextrs::gettext;
use gtk::gio;
use gtk::prelude::*;
use relm4::prelude::*;

use super::{App, AppMsg};
use crate::backend::metrics::{MetricsCommand, MetricsTick};
use crate::backend::Command;
use crate::i18n::gettext_f;
use crate::services::alerts::{AlertChange, AlertRule, Severity};
use crate::services::db;
use crate::services::insights::VmHistory;
use crate::services::metrics::live::LiveBuffer;
use crate::services::monitor::{Monitor, MonitorEvent};
use crate::ui::dialogs::alert_rule::{self, RuleDialog};
use crate::ui::pages::alerts::AlertsMsg;
use crate::ui::pages::insights::InsightsMsg;
use crate::ui::widgets::perf_view::{PerfView, SharedLive};

/// The app's monitoring parts.
pub(super) struct Monitoring {
    pub live: SharedLive,
    /// The dashboard's view of the host.
    pub host: PerfView,
    /// The VM page's view of the open machine.
    pub vm: PerfView,
    /// How many views show live data right now.
    live_views: u32,
    monitor: Monitor,
    /// The collection interval in seconds, once the monitor has read it from the store.
    pub interval: Option<u32>,
    /// Why history is off, while it is.
    pub history_error: Option<String>,
}

impl Monitoring {
    pub fn new(sender: &ComponentSender<App>) -> Monitoring {
        let live: SharedLive = Rc::new(RefCell::new(LiveBuffer::new()));
        let view = || {
            let input = sender.input_sender().clone();
            PerfView::new(live.clone(), move |on| input.emit(AppMsg::LiveWanted(on)))
        };
        let (host, vm) = (view(), view());
        let input = sender.input_sender().clone();
        let monitor = Monitor::spawn(db::shared, move |event| {
            input.emit(AppMsg::Monitor(Box::new(event)));
        });
        Monitoring {
            live,
            host,
            vm,
            live_views: 0,
            monitor,
            interval: None,
            history_error: None,
        }
    }
}

/// The notification id of an alert, so its clearing can withdraw it.
fn notification_id(rule_id: i64, uuid: &str) -> String {
    format!("alert-{rule_id}-{uuid}")
}

impl App {
    /// One sampler tick.
    pub(super) fn on_metrics(&mut self, tick: MetricsTick) {
        let m = &mut self.monitoring;
        m.live.borrow_mut().push(&tick.live);
        let mut running = HashSet::new();
        for vm in &tick.live.vms {
            if let Some(obj) = self.store.get(&vm.uuid) {
                obj.set_cpu(vm.rates.cpu_pct);
                running.insert(vm.uuid.as_str());
            }
        }
        // Machines that stopped since the last tick lose their figure.
        for obj in self.store.objects() {
            if obj.cpu() >= 0.0 && !running.contains(obj.summary().uuid.as_str()) {
                obj.set_cpu(None);
            }
        }
        m.host.live_tick();
        m.vm.live_tick();
        if let Some(collected) = tick.collected {
            m.monitor.collected(collected);
        }
    }

    /// A performance view started (`true`) or stopped showing live data.
    pub(super) fn on_live_wanted(&mut self, on: bool) {
        let m = &mut self.monitoring;
        let before = m.live_views > 0;
        if on {
            m.live_views += 1;
        } else {
            m.live_views = m.live_views.saturating_sub(1);
        }
        let now = m.live_views > 0;
        if before != now {
            self.send_quiet(Command::Metrics(MetricsCommand::SetLive(now)));
        }
    }

    /// After (re)connecting: the sampler's pace and interval as the app wants them.
    pub(super) fn configure_sampler(&self) {
        self.send_quiet(Command::Metrics(MetricsCommand::SetLive(
            self.monitoring.live_views > 0,
        )));
        if let Some(secs) = self.monitoring.interval {
            self.send_quiet(Command::Metrics(MetricsCommand::SetInterval(secs)));
        }
    }

    /// What the monitor thread reported.
    pub(super) fn on_monitor(&mut self, event: MonitorEvent) {
        match event {
            MonitorEvent::Stored => {
                self.monitoring.host.collected();
                self.monitoring.vm.collected();
            }
            MonitorEvent::HistoryUnavailable(message) => {
                self.chrome.toast(
                    &gettext_f(
                        "Metric history and alerts are off: {error}",
                        &[("error", &message)],
                    ),
                    true,
                );
                self.monitoring.history_error = Some(message);
            }
            MonitorEvent::HistoryAvailable => {
                self.monitoring.history_error = None;
                self.chrome
                    .toast(&gettext("Metric history is recorded again"), false);
            }
            MonitorEvent::Alerts(changes) => {
                for change in &changes {
                    notify(change);
                }
                self.alerts.emit(AlertsMsg::Reload);
            }
            MonitorEvent::Interval(secs) => self.on_interval_changed(secs),
            MonitorEvent::CleanedUp(rows) => log::info!("retention removed {rows} rows"),
        }
    }

    /// Open the rule dialog: to edit `rule`, or a new rule (for `machine` when given).
    pub(super) fn open_rule_dialog(
        &self,
        rule: Option<AlertRule>,
        machine: Option<(String, String)>,
        sender: &ComponentSender<App>,
    ) {
        let machines = self
            .store
            .objects()
            .map(|o| {
                let vm = o.summary();
                (vm.uuid.clone(), vm.name.clone())
            })
            .collect();
        let input = sender.input_sender().clone();
        let editing = rule.is_some();
        alert_rule::open(
            self.window.upcast_ref(),
            RuleDialog {
                rule,
                machine,
                machines,
            },
            move |saved| {
                let text = if editing {
                    gettext_f("Saved “{rule}”", &[("rule", &saved.title())])
                } else {
                    gettext_f("Created “{rule}”", &[("rule", &saved.title())])
                };
                input.emit(AppMsg::Toast(text, false));
                input.emit(AppMsg::RulesChanged);
            },
        );
    }

    pub(super) fn on_rules_changed(&self) {
        self.monitoring.monitor.rules_changed();
        self.alerts.emit(AlertsMsg::Reload);
    }

    /// Hand the Insights page the machines as they are now.
    pub(super) fn send_insight_machines(&self) {
        let machines = self
            .store
            .objects()
            .map(|o| {
                let vm = o.summary();
                VmHistory {
                    uuid: vm.uuid.clone(),
                    name: vm.name.clone(),
                    vcpus: vm.vcpus,
                    memory_total: vm.memory_kib.saturating_mul(1024),
                    state: vm.state,
                    series: Vec::new(),
                }
            })
            .collect();
        self.insights.emit(InsightsMsg::Show(machines));
    }

    /// The collection interval changed in Preferences.
    pub(super) fn on_interval_changed(&mut self, secs: u32) {
        self.monitoring.interval = Some(secs);
        self.send_quiet(Command::Metrics(MetricsCommand::SetInterval(secs)));
    }

    /// Retention was lowered: clean up now rather than at the daily hour.
    pub(super) fn on_retention_changed(&self) {
        self.monitoring.monitor.cleanup_now();
    }
}

/// A desktop notification for an alert that fired; withdrawn when it clears.
fn notify(change: &AlertChange) {
    let app = relm4::main_application();
    match change {
        AlertChange::Fired {
            rule_id,
            uuid,
            sentence,
            severity,
            ..
        } => {
            let title = match severity {
                Severity::Critical => gettext("Critical Alert"),
                Severity::Warning => gettext("Warning"),
                Severity::Info => gettext("Alert"),
            };
            let n = gio::Notification::new(&title);
            n.set_body(Some(sentence));
            n.set_priority(match severity {
                Severity::Critical => gio::NotificationPriority::Urgent,
                Severity::Warning => gio::NotificationPriority::High,
                Severity::Info => gio::NotificationPriority::Normal,
            });
            n.set_default_action("app.show-alerts");
            app.send_notification(Some(&notification_id(*rule_id, uuid)), &n);
        }
        AlertChange::Cleared { rule_id, uuid, .. } => {
            app.withdraw_notification(&notification_id(*rule_id, uuid));
        }
        AlertChange::Peak { .. } => {}
    }
}
