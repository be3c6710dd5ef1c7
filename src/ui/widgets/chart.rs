//! A time-series chart: a heading with a legend of current values, and a drawing area in
//! which plotters (through its cairo backend) draws one or two series of metric buckets as
//! lines with min–max bands, on axes with units chosen by range.
//!
//! The drawing itself ([`draw()`]) needs no widget, so it is unit-tested and benchmarked on
//! an image surface. The widget adds what a person needs around it: colours that follow the
//! light/dark style, a readout of the values under the pointer, an empty state, and an
//! accessible name and description (current and peak values) for screen readers.

pub mod data;
pub mod draw;
pub mod palette;
pub mod scale;
mod widget_parts;

use std::cell::RefCell;
use std::rc::Rc;

use gettextrs::gettext;
use gtk::prelude::*;

use crate::i18n::gettext_f;
use crate::ui::a11y;

pub use data::{ChartData, ChartSeries};
pub use draw::{draw, DrawError, PlotArea};
pub use palette::Palette;
pub use scale::ChartUnit;

pub(crate) use widget_parts::follow_style;
use widget_parts::{style_palette, Legend, Readout};

/// Minimum height of the plot, in pixels.
const MIN_HEIGHT: i32 = 140;

/// A chart widget; clones share the same widget. The widget keeps drawing after every
/// handle is dropped (its callbacks own the data, never the widgets around them).
#[derive(Clone)]
pub struct Chart {
    inner: Rc<Inner>,
}

struct Inner {
    root: gtk::Widget,
    title: String,
    area: gtk::DrawingArea,
    legend: Legend,
    readout: Readout,
    state: Rc<RefCell<State>>,
}

struct State {
    data: ChartData,
    /// Pointer x over the drawing area, while it is there.
    hover: Option<f64>,
    /// Where the last draw put the plot (for turning the pointer into a time).
    plot: Option<PlotArea>,
}

impl State {
    /// Shows or hides the hover readout for the pointer's position now.
    fn update_readout(&self, readout: &Readout, width: f64) {
        match (self.hover, self.plot) {
            (Some(x), Some(plot)) => readout.show(&self.data, &plot, x, width),
            _ => readout.hide(),
        }
    }
}

impl Chart {
    /// A chart titled `title` (e.g. "CPU usage") of values in `unit`; it says "No data yet"
    /// until [`Chart::set_series`] gives it some.
    pub fn new(title: &str, unit: ChartUnit) -> Chart {
        widget_parts::ensure_css();
        let heading = gtk::Label::builder()
            .label(title)
            .xalign(0.0)
            .hexpand(true)
            .css_classes(["heading"])
            .build();
        let legend = Legend::new();
        let header = gtk::Box::builder().spacing(12).build();
        header.append(&heading);
        header.append(legend.widget());

        let area = gtk::DrawingArea::builder()
            .accessible_role(gtk::AccessibleRole::Img)
            .hexpand(true)
            .vexpand(true)
            .height_request(MIN_HEIGHT)
            .build();
        a11y::set_label(
            &area,
            // Translators: the accessible name of a chart, e.g. "CPU usage chart".
            &gettext_f("{title} chart", &[("title", title)]),
        );
        let overlay = gtk::Overlay::builder().child(&area).build();
        let readout = Readout::new(&overlay);

        // The plot takes any extra height the chart gets, but the chart asks for none: a page
        // that wants tall charts calls `widget().set_vexpand(true)`.
        let root = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .vexpand(false)
            .css_classes(["chart"])
            .build();
        root.append(&header);
        root.append(&overlay);

        let state = Rc::new(RefCell::new(State {
            data: ChartData::new(unit),
            hover: None,
            plot: None,
        }));
        connect_drawing(&area, state.clone());
        connect_pointer(&area, state.clone(), readout.clone());
        widget_parts::follow_style(&area, {
            let legend = legend.clone();
            move || legend.redraw()
        });
        let chart = Chart {
            inner: Rc::new(Inner {
                root: root.upcast(),
                title: title.to_string(),
                area,
                legend,
                readout,
                state,
            }),
        };
        chart.update_description();
        chart
    }

    /// The widget to put on a page: the heading and legend above the plot.
    pub fn widget(&self) -> &gtk::Widget {
        &self.inner.root
    }

    /// Shows `series` (one or two; more are drawn but share two colours) over `[from, to]`
    /// (Unix seconds); points outside the span are left out. Cheap enough for every tick.
    pub fn set_series(&self, series: &[ChartSeries], from: i64, to: i64) {
        {
            let mut state = self.inner.state.borrow_mut();
            state.data.series = series.to_vec();
            for s in &mut state.data.series {
                if !s.points.is_sorted_by_key(|b| b.t) {
                    s.points.sort_by_key(|b| b.t);
                }
            }
            state.data.from = from;
            state.data.to = to.max(from);
        }
        self.refresh();
    }

    /// Makes the value axis go up to `max` (e.g. a VM's memory) instead of the data's peak;
    /// `None` goes back to following the data (percent charts always show 0–100).
    pub fn set_fixed_max(&self, max: Option<f64>) {
        self.inner.state.borrow_mut().data.fixed_max = max;
        self.refresh();
    }

    fn refresh(&self) {
        let inner = &self.inner;
        {
            let state = inner.state.borrow();
            inner.legend.update(&state.data);
            state.update_readout(&inner.readout, f64::from(inner.area.width()));
        }
        self.update_description();
        inner.area.queue_draw();
    }

    /// The accessible description: each series' current and peak value, or "No data yet".
    fn update_description(&self) {
        let state = self.inner.state.borrow();
        let data = &state.data;
        let mut parts = Vec::new();
        for (i, series) in data.series.iter().enumerate() {
            let Some(s) = data::summary(data.visible(i)) else {
                continue;
            };
            let name = if series.label.is_empty() {
                &self.inner.title
            } else {
                &series.label
            };
            parts.push(gettext_f(
                // Translators: accessible description of a chart series, e.g.
                // "Read: now 1.2 MiB/s, peak 5 MiB/s".
                "{series}: now {current}, peak {peak}",
                &[
                    ("series", name),
                    ("current", &scale::format_value(data.unit, s.current)),
                    ("peak", &scale::format_value(data.unit, s.peak)),
                ],
            ));
        }
        let text = if parts.is_empty() {
            gettext("No data yet")
        } else {
            parts.join(". ")
        };
        a11y::set_description(&self.inner.area, &text);
    }
}

fn connect_drawing(area: &gtk::DrawingArea, state: Rc<RefCell<State>>) {
    area.set_draw_func(move |area, cr, width, height| {
        let palette = style_palette(area);
        let mut state = state.borrow_mut();
        match draw(cr, width, height, &state.data, &palette, state.hover) {
            Ok(plot) => state.plot = plot,
            Err(e) => log::warn!("{e}"),
        }
    });
}

/// Follows the pointer over `area` with the marker and the readout.
fn connect_pointer(area: &gtk::DrawingArea, state: Rc<RefCell<State>>, readout: Readout) {
    let motion = gtk::EventControllerMotion::new();
    let update = move |area: Option<gtk::Widget>, x: Option<f64>| {
        let Some(area) = area else { return };
        let mut state = state.borrow_mut();
        state.hover = x.filter(|x| x.is_finite());
        state.update_readout(&readout, f64::from(area.width()));
        area.queue_draw();
    };
    let update = Rc::new(update);
    let on_enter = update.clone();
    motion.connect_enter(move |c, x, _| on_enter(c.widget(), Some(x)));
    let on_motion = update.clone();
    motion.connect_motion(move |c, x, _| on_motion(c.widget(), Some(x)));
    motion.connect_leave(move |c| update(c.widget(), None));
    area.add_controller(motion);
}

#[cfg(test)]
mod tests;
