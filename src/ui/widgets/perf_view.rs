//! The performance view of one subject (the host on the dashboard, a VM on its page): a
//! range switcher (Live, 1 h, 6 h, 24 h, 7 d, 30 d) over four charts: CPU, memory, disk
//! and network.
//!
//! "Live" draws the app's in-memory [`LiveBuffer`] (1-second ticks while a live chart is on
//! screen: the view reports that through its `on_live` callback, and the app asks the
//! sampler for the faster pace). The other ranges read the history store off the main
//! thread, downsampled in SQL to at most [`MAX_POINTS`] buckets per series; a reply that
//! arrives after the user moved on is dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gettextrs::gettext;
use gtk::prelude::*;
use gtk::{gio, glib};

use crate::backend::metrics::Metric;
use crate::i18n::gettext_f;
use crate::services::db;
use crate::services::metrics::live::{LiveBuffer, LIVE_SECS};
use crate::services::metrics::store::MetricsStore;
use crate::services::metrics::{Range, Series, Subject};
use crate::ui::widgets::chart::{Chart, ChartSeries, ChartUnit};

/// Buckets per series a history chart asks for (about one per 3 px of a wide chart).
pub const MAX_POINTS: usize = 240;

/// The live view's data, shared by every performance view and fed by the app.
pub type SharedLive = Rc<RefCell<LiveBuffer>>;

/// The range buttons: `None` is Live.
fn ranges() -> [(Option<Range>, String, String); 6] {
    [
        (
            None,
            gettext("Live"),
            gettext("The last five minutes, every second"),
        ),
        (Some(Range::Hour), gettext("1 h"), gettext("The last hour")),
        (
            Some(Range::SixHours),
            gettext("6 h"),
            gettext("The last six hours"),
        ),
        (
            Some(Range::Day),
            gettext("24 h"),
            gettext("The last 24 hours"),
        ),
        (
            Some(Range::Week),
            gettext("7 d"),
            gettext("The last seven days"),
        ),
        (
            Some(Range::Month),
            gettext("30 d"),
            gettext("The last 30 days"),
        ),
    ]
}

/// One chart and the metrics it draws, with their legend names.
struct Panel {
    chart: Chart,
    lines: Vec<(Metric, String)>,
}

struct Inner {
    subject: RefCell<Option<Subject>>,
    range: Cell<Option<Range>>,
    panels: Vec<Panel>,
    notice: gtk::Label,
    /// Bumped on every history request; only the newest reply is drawn.
    seq: Cell<u64>,
    live: SharedLive,
    on_live: Box<dyn Fn(bool)>,
    /// Whether the view last told the app it wants live ticks.
    wanting: Cell<bool>,
}

/// A performance view; cheap to clone.
#[derive(Clone)]
pub struct PerfView {
    pub root: gtk::Box,
    /// Extra controls (e.g. "New Alert Rule…") go here, after the range switcher; they
    /// wrap below it in a narrow window.
    pub toolbar: gtk::FlowBox,
    inner: Rc<Inner>,
}

impl PerfView {
    /// `on_live(true)` when the view starts showing live data on screen, `false` when it
    /// stops (hidden, or another range picked).
    pub fn new(live: SharedLive, on_live: impl Fn(bool) + 'static) -> PerfView {
        let panels = vec![
            Panel {
                chart: Chart::new(&gettext("CPU"), ChartUnit::Percent),
                lines: vec![(Metric::Cpu, gettext("CPU"))],
            },
            Panel {
                chart: Chart::new(&gettext("Memory"), ChartUnit::Bytes),
                lines: vec![
                    (Metric::MemUsed, gettext("Used")),
                    (Metric::MemTotal, gettext("Available")),
                ],
            },
            Panel {
                chart: Chart::new(&gettext("Disk"), ChartUnit::BytesPerSec),
                lines: vec![
                    (Metric::DiskRead, gettext("Read")),
                    (Metric::DiskWrite, gettext("Write")),
                ],
            },
            Panel {
                chart: Chart::new(&gettext("Network"), ChartUnit::BytesPerSec),
                lines: vec![
                    (Metric::NetRx, gettext("Received")),
                    (Metric::NetTx, gettext("Sent")),
                ],
            },
        ];
        let root = gtk::Box::new(gtk::Orientation::Vertical, 12);
        let toolbar = gtk::FlowBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .min_children_per_line(1)
            .max_children_per_line(2)
            .column_spacing(12)
            .row_spacing(12)
            .build();
        let switcher = gtk::Box::builder()
            .css_classes(["linked"])
            .halign(gtk::Align::Start)
            .build();
        toolbar.insert(&switcher, -1);
        if let Some(cell) = switcher.parent() {
            cell.set_focusable(false);
        }
        root.append(&toolbar);
        let notice = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .css_classes(["dim-label"])
            .visible(false)
            .build();
        root.append(&notice);
        let grid = gtk::FlowBox::builder()
            .selection_mode(gtk::SelectionMode::None)
            .min_children_per_line(1)
            .max_children_per_line(2)
            .homogeneous(true)
            .column_spacing(12)
            .row_spacing(12)
            .build();
        for panel in &panels {
            grid.insert(panel.chart.widget(), -1);
            if let Some(cell) = panel.chart.widget().parent() {
                cell.set_focusable(false);
            }
        }
        root.append(&grid);
        let inner = Rc::new(Inner {
            subject: RefCell::new(None),
            range: Cell::new(None),
            panels,
            notice,
            seq: Cell::new(0),
            live,
            on_live: Box::new(on_live),
            wanting: Cell::new(false),
        });
        let mut first: Option<gtk::ToggleButton> = None;
        for (range, label, tooltip) in ranges() {
            let button = gtk::ToggleButton::builder()
                .label(label)
                .tooltip_text(tooltip)
                .active(range.is_none())
                .build();
            if let Some(first) = &first {
                button.set_group(Some(first));
            } else {
                first = Some(button.clone());
            }
            let weak = Rc::downgrade(&inner);
            button.connect_toggled(move |b| {
                if let (true, Some(inner)) = (b.is_active(), weak.upgrade()) {
                    inner.range.set(range);
                    inner.reload();
                }
            });
            switcher.append(&button);
        }
        for signal in ["map", "unmap"] {
            let weak = Rc::downgrade(&inner);
            root.connect_local(signal, false, move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.update_wanting();
                    inner.reload();
                }
                None
            });
        }
        PerfView {
            root,
            toolbar,
            inner,
        }
    }

    /// Show another subject (or none): charts clear and fill again.
    pub fn set_subject(&self, subject: Option<Subject>) {
        if *self.inner.subject.borrow() == subject {
            return;
        }
        self.inner.subject.replace(subject);
        self.inner.reload();
    }

    /// New live data arrived: redraw when showing live.
    pub fn live_tick(&self) {
        if self.inner.range.get().is_none() && self.root.is_mapped() {
            self.inner.draw_live();
        }
    }

    /// A collection was stored: a history range on screen reads it again.
    pub fn collected(&self) {
        if self.inner.range.get().is_some() && self.root.is_mapped() {
            self.inner.reload();
        }
    }
}

impl Inner {
    fn update_wanting(&self) {
        let wants = self.range.get().is_none() && self.panels[0].chart.widget().is_mapped();
        if wants != self.wanting.get() {
            self.wanting.set(wants);
            (self.on_live)(wants);
        }
    }

    fn reload(self: &Rc<Self>) {
        self.update_wanting();
        self.seq.set(self.seq.get() + 1);
        match self.range.get() {
            None => {
                self.notice.set_visible(false);
                self.draw_live();
            }
            Some(range) => self.load_history(range),
        }
    }

    fn metrics(&self) -> Vec<Metric> {
        self.panels
            .iter()
            .flat_map(|p| p.lines.iter().map(|(m, _)| *m))
            .collect()
    }

    fn draw_live(&self) {
        let Some(subject) = self.subject.borrow().clone() else {
            return self.draw(&[], 0, 0);
        };
        let live = self.live.borrow();
        let to = live.last_at();
        let series = live.series(&subject, &self.metrics());
        drop(live);
        self.draw(&series, to - LIVE_SECS, to);
    }

    fn load_history(self: &Rc<Self>, range: Range) {
        let Some(subject) = self.subject.borrow().clone() else {
            return self.draw(&[], 0, 0);
        };
        if !self.panels[0].chart.widget().is_mapped() {
            return;
        }
        let seq = self.seq.get();
        let metrics = self.metrics();
        let to = glib::real_time() / 1_000_000;
        let from = to - range.secs();
        let weak = Rc::downgrade(self);
        glib::spawn_future_local(async move {
            let read = gio::spawn_blocking(move || {
                let db = db::shared().map_err(|e| e.to_string())?;
                MetricsStore::new(db)
                    .history(&subject, &metrics, from, to, MAX_POINTS)
                    .map_err(|e| e.to_string())
            })
            .await;
            let Some(inner) = weak.upgrade() else { return };
            if inner.seq.get() != seq {
                return;
            }
            match read {
                Ok(Ok(series)) => {
                    inner.notice.set_visible(false);
                    inner.draw(&series, from, to);
                }
                Ok(Err(message)) => {
                    inner.notice.set_label(&gettext_f(
                        "History is not available: {error}",
                        &[("error", &message)],
                    ));
                    inner.notice.set_visible(true);
                    inner.draw(&[], from, to);
                }
                Err(_) => log::error!("the history reader panicked"),
            }
        });
    }

    fn draw(&self, series: &[Series], from: i64, to: i64) {
        for panel in &self.panels {
            let lines: Vec<ChartSeries> = panel
                .lines
                .iter()
                .map(|(metric, label)| ChartSeries {
                    label: label.clone(),
                    points: series
                        .iter()
                        .find(|s| s.metric == *metric)
                        .map(|s| s.points.clone())
                        .unwrap_or_default(),
                })
                .collect();
            panel.chart.set_series(&lines, from, to);
        }
    }
}
