//! The Insights page: what the stored history says about the whole host over a chosen
//! period: how many suggestions of each severity, the suggestions grouped by machine or by
//! category (each saying what it saw, with the change it suggests as a button), and the
//! top consumers per metric. Each machine's name leads to its page.
//!
//! The history of every machine is read in one downsampled query off the main thread
//! (hourly buckets), then analysed by `services::insights`.

use adw::prelude::*;
use gettextrs::gettext;
use relm4::prelude::*;

use crate::backend::edit::VmEdit;
use crate::backend::metrics::Metric;
use crate::backend::VmAction;
use crate::i18n::{gettext_f, ngettext_f};
use crate::services::alerts::Severity;
use crate::services::db;
use crate::services::insights::{
    self, top_consumers, Insight, Period, SuggestedAction, TopConsumer, TopMetric, VmHistory,
};
use crate::services::metrics::store::MetricsStore;
use crate::ui::widgets::host_page::{self, esc};
use crate::ui::{a11y, format};

/// Periods offered, in hours.
const PERIODS: [i64; 3] = [24, 7 * 24, 30 * 24];
/// Hourly buckets are what the rules expect.
const BUCKET_SECS: i64 = 3600;
/// Machines per top-consumer list.
const TOP: usize = 5;

#[derive(Debug)]
pub enum InsightsMsg {
    /// The host's machines now (their vCPUs, memory and state; series empty): read and
    /// analyse their history.
    Show(Vec<VmHistory>),
    Period(usize),
    ByCategory(bool),
    Apply(usize),
    Folded(bool),
}

#[derive(Debug)]
pub enum InsightsOutput {
    /// Ask the app for the current machines (answered with `Show`).
    NeedMachines,
    Edit(String, VmEdit),
    Action(String, VmAction),
    OpenVm(String),
    ShowSidebar,
}

type Analysis = (Vec<Insight>, Vec<(TopMetric, Vec<TopConsumer>)>);

#[derive(Debug)]
pub enum InsightsCmd {
    Loaded(u64, Result<Analysis, String>),
}

pub struct InsightsPage {
    back: gtk::Button,
    period: usize,
    by_category: bool,
    machines: Vec<VmHistory>,
    insights: Vec<Insight>,
    /// Bumped per request; older answers are dropped.
    seq: u64,
    summary: adw::PreferencesGroup,
    groups_box: gtk::Box,
    top_box: gtk::Box,
    spinner: gtk::Spinner,
    error: gtk::Label,
}

pub struct InsightsWidgets {}

fn period_label(hours: i64) -> String {
    match hours {
        24 => gettext("Last 24 hours"),
        168 => gettext("Last 7 days"),
        _ => gettext("Last 30 days"),
    }
}

fn top_title(metric: TopMetric) -> String {
    match metric {
        TopMetric::Cpu => gettext("Most CPU"),
        TopMetric::Memory => gettext("Most Memory"),
        TopMetric::DiskIo => gettext("Most Disk I/O"),
        TopMetric::NetIo => gettext("Most Network I/O"),
    }
}

fn top_value(metric: TopMetric, value: f64) -> String {
    match metric {
        TopMetric::Cpu | TopMetric::Memory => {
            gettext_f("{value} % on average", &[("value", &format!("{value:.0}"))])
        }
        TopMetric::DiskIo | TopMetric::NetIo => gettext_f(
            "{rate}/s on average",
            &[("rate", &format::bytes(value.max(0.0).round() as u64))],
        ),
    }
}

/// Read every machine's hourly history over the period and analyse it.
fn analyse(mut machines: Vec<VmHistory>, hours: i64) -> Result<Analysis, String> {
    let to = gtk::glib::real_time() / 1_000_000;
    let from = to - hours * 3600;
    let store = MetricsStore::new(db::shared().map_err(|e| e.to_string())?);
    let points = (hours * 3600 / BUCKET_SECS) as usize;
    let mut history = store
        .history_all_vms(&Metric::ALL, from, to, points)
        .map_err(|e| e.to_string())?;
    for vm in &mut machines {
        if let Some((_, series)) = history.remove(&vm.uuid) {
            vm.series = series;
        }
    }
    let period = Period {
        from,
        to,
        utc_offset_secs: gtk::glib::DateTime::now_local()
            .map(|d| (d.utc_offset().as_seconds()) as i32)
            .unwrap_or(0),
    };
    let found = insights::analyse(&machines, &period);
    let top = TopMetric::ALL
        .iter()
        .map(|m| (*m, top_consumers(&machines, *m, &period, TOP)))
        .collect();
    Ok((found, top))
}

impl Component for InsightsPage {
    type Init = ();
    type Input = InsightsMsg;
    type Output = InsightsOutput;
    type CommandOutput = InsightsCmd;
    type Root = gtk::Box;
    type Widgets = InsightsWidgets;

    fn init_root() -> gtk::Box {
        gtk::Box::new(gtk::Orientation::Vertical, 0)
    }

    fn init(_: (), root: gtk::Box, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let title = adw::WindowTitle::new(&gettext("Insights"), "");
        let (header, back) = host_page::header(&title);
        back.set_visible(false);
        {
            let sender = sender.clone();
            back.connect_clicked(move |_| {
                let _ = sender.output(InsightsOutput::ShowSidebar);
            });
        }
        let labels: Vec<String> = PERIODS.iter().map(|h| period_label(*h)).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let period = gtk::DropDown::from_strings(&refs);
        period.set_selected(1);
        a11y::name_dropdown(&period, &gettext("Period"));
        {
            let sender = sender.clone();
            period.connect_selected_notify(move |d| {
                sender.input(InsightsMsg::Period(d.selected() as usize))
            });
        }
        period.set_valign(gtk::Align::Center);
        let refresh = a11y::icon_button("view-refresh-symbolic", &gettext("Refresh Insights"));
        {
            let sender = sender.clone();
            refresh.connect_clicked(move |_| {
                let _ = sender.output(InsightsOutput::NeedMachines);
            });
        }
        header.pack_end(&refresh);
        let spinner = gtk::Spinner::new();
        header.pack_end(&spinner);

        let (scroll, column) = host_page::scrolled_column();
        let error = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .css_classes(["error"])
            .visible(false)
            .build();
        let summary = adw::PreferencesGroup::builder()
            .title(gettext("Summary"))
            .build();
        // In the page, not the header bar: a narrow window has no room up there.
        summary.set_header_suffix(Some(&period));
        let grouping = gtk::Box::builder().css_classes(["linked"]).build();
        let by_vm = gtk::ToggleButton::with_label(&gettext("By Machine"));
        let by_category = gtk::ToggleButton::with_label(&gettext("By Category"));
        by_category.set_group(Some(&by_vm));
        by_vm.set_active(true);
        {
            let sender = sender.clone();
            by_category
                .connect_toggled(move |b| sender.input(InsightsMsg::ByCategory(b.is_active())));
        }
        grouping.append(&by_vm);
        grouping.append(&by_category);
        grouping.set_halign(gtk::Align::Start);
        let groups_box = gtk::Box::new(gtk::Orientation::Vertical, 24);
        let top_box = gtk::Box::new(gtk::Orientation::Vertical, 24);
        column.append(&error);
        column.append(&summary);
        column.append(&grouping);
        column.append(&groups_box);
        column.append(&top_box);
        root.append(&header);
        root.append(&scroll);
        {
            let sender = sender.clone();
            host_page::install_actions(
                &root,
                "insights",
                vec![(
                    "open-vm",
                    Box::new(move |uuid: String| {
                        let _ = sender.output(InsightsOutput::OpenVm(uuid));
                    }),
                )],
            );
        }
        let model = InsightsPage {
            back,
            period: 1,
            by_category: false,
            machines: Vec::new(),
            insights: Vec::new(),
            seq: 0,
            summary,
            groups_box,
            top_box,
            spinner,
            error,
        };
        ComponentParts {
            model,
            widgets: InsightsWidgets {},
        }
    }

    fn update(&mut self, msg: InsightsMsg, sender: ComponentSender<Self>, _root: &gtk::Box) {
        match msg {
            InsightsMsg::Show(machines) => {
                self.machines = machines;
                self.load(&sender);
            }
            InsightsMsg::Period(i) => {
                self.period = i.min(PERIODS.len() - 1);
                self.load(&sender);
            }
            InsightsMsg::ByCategory(on) => {
                self.by_category = on;
                self.show_insights(&sender);
            }
            InsightsMsg::Apply(i) => {
                let Some(insight) = self.insights.get(i) else {
                    return;
                };
                let uuid = insight.uuid.clone();
                let out = match insight.action {
                    Some(SuggestedAction::SetMemory { kib }) => InsightsOutput::Edit(
                        uuid,
                        VmEdit::Memory {
                            current_kib: kib,
                            max_kib: Some(kib),
                        },
                    ),
                    Some(SuggestedAction::SetVcpus { n }) => {
                        InsightsOutput::Edit(uuid, VmEdit::Vcpus(n))
                    }
                    Some(SuggestedAction::ShutDown) => {
                        InsightsOutput::Action(uuid, VmAction::Shutdown)
                    }
                    None => return,
                };
                let _ = sender.output(out);
            }
            InsightsMsg::Folded(folded) => self.back.set_visible(folded),
        }
    }

    fn update_cmd(&mut self, cmd: InsightsCmd, sender: ComponentSender<Self>, _root: &gtk::Box) {
        let InsightsCmd::Loaded(seq, result) = cmd;
        if seq != self.seq {
            return;
        }
        self.spinner.stop();
        match result {
            Ok((found, top)) => {
                self.error.set_visible(false);
                self.insights = found;
                self.show_insights(&sender);
                self.show_top(&top);
            }
            Err(message) => {
                self.error.set_label(&gettext_f(
                    "Insights need the stored history, which is not available: {error}",
                    &[("error", &message)],
                ));
                self.error.set_visible(true);
            }
        }
    }
}

impl InsightsPage {
    fn load(&mut self, sender: &ComponentSender<Self>) {
        self.seq += 1;
        let (seq, hours, machines) = (self.seq, PERIODS[self.period], self.machines.clone());
        self.spinner.start();
        sender.spawn_oneshot_command(move || InsightsCmd::Loaded(seq, analyse(machines, hours)));
    }

    fn show_insights(&self, sender: &ComponentSender<Self>) {
        while let Some(child) = self.groups_box.first_child() {
            self.groups_box.remove(&child);
        }
        let count = |s: Severity| self.insights.iter().filter(|i| i.severity == s).count();
        let (critical, warning, info) = (
            count(Severity::Critical),
            count(Severity::Warning),
            count(Severity::Info),
        );
        let mut vms: Vec<&str> = self.insights.iter().map(|i| i.uuid.as_str()).collect();
        vms.sort_unstable();
        vms.dedup();
        self.summary
            .set_description(Some(&if self.insights.is_empty() {
                gettext(
                    "No suggestions for this period. Suggestions need at least a day of history.",
                )
            } else {
                gettext_f(
                    "{critical}, {warning} and {info} about {machines}.",
                    &[
                        (
                            "critical",
                            &ngettext_f(
                                "{n} critical",
                                "{n} critical",
                                critical as u32,
                                &[("n", &critical.to_string())],
                            ),
                        ),
                        (
                            "warning",
                            &ngettext_f(
                                "{n} warning",
                                "{n} warnings",
                                warning as u32,
                                &[("n", &warning.to_string())],
                            ),
                        ),
                        (
                            "info",
                            &ngettext_f(
                                "{n} hint",
                                "{n} hints",
                                info as u32,
                                &[("n", &info.to_string())],
                            ),
                        ),
                        (
                            "machines",
                            &ngettext_f(
                                "{n} machine",
                                "{n} machines",
                                vms.len() as u32,
                                &[("n", &vms.len().to_string())],
                            ),
                        ),
                    ],
                )
            }));
        // Group keys in order of first appearance (the list is most severe first).
        let mut keys: Vec<(String, String)> = Vec::new();
        for i in &self.insights {
            let key = if self.by_category {
                (format!("{:?}", i.category), i.category.label())
            } else {
                (i.uuid.clone(), i.name.clone())
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        for (key, title) in keys {
            let group = adw::PreferencesGroup::builder().title(esc(&title)).build();
            if !self.by_category {
                let open = gtk::Button::builder()
                    .label(gettext("Open"))
                    .valign(gtk::Align::Center)
                    .action_name("insights.open-vm")
                    .action_target(&key.to_variant())
                    .css_classes(["flat"])
                    .build();
                a11y::set_label(&open, &gettext_f("Open “{name}”", &[("name", &title)]));
                group.set_header_suffix(Some(&open));
            }
            for (index, insight) in self.insights.iter().enumerate() {
                let in_group = if self.by_category {
                    format!("{:?}", insight.category) == key
                } else {
                    insight.uuid == key
                };
                if in_group {
                    group.add(&self.insight_row(index, insight, sender));
                }
            }
            self.groups_box.append(&group);
        }
    }

    fn insight_row(
        &self,
        index: usize,
        insight: &Insight,
        sender: &ComponentSender<Self>,
    ) -> adw::ActionRow {
        let title = if self.by_category {
            gettext_f(
                "“{name}”: {title}",
                &[("name", &insight.name), ("title", &insight.title)],
            )
        } else {
            insight.title.clone()
        };
        let row = adw::ActionRow::builder()
            .title(esc(&title))
            .subtitle(esc(&insight.detail))
            .subtitle_lines(0)
            .build();
        row.add_prefix(&format::severity_icon(insight.severity));
        if let Some(action) = &insight.action {
            let button = gtk::Button::builder()
                .label(action.label())
                .valign(gtk::Align::Center)
                .build();
            a11y::set_label(
                &button,
                &gettext_f(
                    "{action} for “{name}”",
                    &[("action", &action.label()), ("name", &insight.name)],
                ),
            );
            let sender = sender.clone();
            button.connect_clicked(move |_| sender.input(InsightsMsg::Apply(index)));
            row.add_suffix(&button);
        }
        row
    }

    fn show_top(&self, top: &[(TopMetric, Vec<TopConsumer>)]) {
        while let Some(child) = self.top_box.first_child() {
            self.top_box.remove(&child);
        }
        for (metric, list) in top {
            let group = adw::PreferencesGroup::builder()
                .title(top_title(*metric))
                .build();
            if list.is_empty() {
                group.add(
                    &adw::ActionRow::builder()
                        .title(gettext("No history for this period"))
                        .build(),
                );
            }
            for (rank, consumer) in list.iter().enumerate() {
                let row = adw::ActionRow::builder()
                    .title(esc(&consumer.name))
                    .subtitle(esc(&top_value(*metric, consumer.average)))
                    .activatable(true)
                    .action_name("insights.open-vm")
                    .action_target(&consumer.uuid.to_variant())
                    .build();
                let place = gtk::Label::builder()
                    .label((rank + 1).to_string())
                    .css_classes(["dim-label", "numeric"])
                    .width_chars(2)
                    .build();
                row.add_prefix(&place);
                row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
                group.add(&row);
            }
            self.top_box.append(&group);
        }
    }
}
