//! The GTK pieces around a chart's plot: the legend with current values, the hover readout,
//! and the palette taken from the widget's style (following light/dark changes).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gtk::prelude::*;
use gtk::{gdk, glib};

use crate::i18n::gettext_f;

use super::data::{bucket_secs, nearest, summary, ChartData};
use super::draw::{hover_time, PlotArea};
use super::palette::Palette;
use super::scale::{format_value, readout_time};

const CSS: &str = "
.chart-readout {
  background-color: @popover_bg_color;
  color: @popover_fg_color;
  border-radius: 6px;
  padding: 4px 8px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.25);
  font-feature-settings: \"tnum\";
}
.chart-legend-value {
  font-feature-settings: \"tnum\";
}
";

/// Installs the chart's few style rules once per process (for the default display).
pub fn ensure_css() {
    thread_local!(static DONE: Cell<bool> = const { Cell::new(false) });
    if DONE.with(|d| d.replace(true)) {
        return;
    }
    let Some(display) = gdk::Display::default() else {
        return;
    };
    let provider = gtk::CssProvider::new();
    provider.load_from_data(CSS);
    gtk::style_context_add_provider_for_display(
        &display,
        &provider,
        gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
    );
}

/// The palette for `widget` now: light or dark per libadwaita, its text colour and font.
pub fn style_palette(widget: &impl IsA<gtk::Widget>) -> Palette {
    let dark = adw::StyleManager::default().is_dark();
    // GTK 4.8 has no gtk_widget_get_color (4.10); the style context is how to read it here.
    #[allow(deprecated)]
    let text = widget.style_context().color();
    let mut palette = Palette::for_style(dark, Some(text));
    if let Some(font) = widget.pango_context().font_description() {
        if let Some(family) = font.family() {
            palette.font = family.to_string();
        }
        let size = f64::from(font.size()) / f64::from(gtk::pango::SCALE);
        let px = if font.is_size_absolute() {
            size
        } else {
            size * 96.0 / 72.0
        };
        // Axis labels a little smaller than body text, like GTK's "caption" style.
        if px > 0.0 {
            palette.font_size = (px * 0.82).round().max(9.0);
        }
    }
    palette
}

/// Redraws `area` (and calls `also`) whenever libadwaita switches between light and dark,
/// while `area` is realized.
pub fn follow_style(area: &gtk::DrawingArea, also: impl Fn() + 'static) {
    let handler: Rc<RefCell<Option<glib::SignalHandlerId>>> = Rc::default();
    let also = Rc::new(also);
    let on_realize = handler.clone();
    area.connect_realize(move |area| {
        let weak = area.downgrade();
        let also = also.clone();
        let id = adw::StyleManager::default().connect_dark_notify(move |_| {
            if let Some(area) = weak.upgrade() {
                area.queue_draw();
            }
            also();
        });
        if let Some(old) = on_realize.replace(Some(id)) {
            adw::StyleManager::default().disconnect(old);
        }
    });
    area.connect_unrealize(move |_| {
        if let Some(id) = handler.take() {
            adw::StyleManager::default().disconnect(id);
        }
    });
}

/// Coloured dots naming each series, with its current value.
#[derive(Clone)]
pub struct Legend {
    root: gtk::Box,
    items: Rc<RefCell<Vec<LegendItem>>>,
}

struct LegendItem {
    label: String,
    swatch: gtk::DrawingArea,
    value: gtk::Label,
}

impl Legend {
    pub fn new() -> Legend {
        Legend {
            root: gtk::Box::builder()
                .spacing(12)
                .valign(gtk::Align::Center)
                .build(),
            items: Rc::default(),
        }
    }

    pub fn widget(&self) -> &gtk::Box {
        &self.root
    }

    /// Shows one entry per series of `data` with its latest value.
    pub fn update(&self, data: &ChartData) {
        let mut items = self.items.borrow_mut();
        let same = items.len() == data.series.len()
            && items
                .iter()
                .zip(&data.series)
                .all(|(i, s)| i.label == s.label);
        if !same {
            while let Some(child) = self.root.first_child() {
                self.root.remove(&child);
            }
            items.clear();
            for (index, series) in data.series.iter().enumerate() {
                let item = legend_item(index, &series.label);
                self.root.append(&item.0);
                items.push(item.1);
            }
        }
        for (index, item) in items.iter().enumerate() {
            let text = summary(data.visible(index))
                .map(|s| format_value(data.unit, s.current))
                .unwrap_or_else(|| "–".to_string());
            item.value.set_label(&text);
        }
    }

    pub fn redraw(&self) {
        for item in self.items.borrow().iter() {
            item.swatch.queue_draw();
        }
    }
}

fn legend_item(index: usize, label: &str) -> (gtk::Box, LegendItem) {
    let row = gtk::Box::builder().spacing(6).build();
    let swatch = gtk::DrawingArea::builder()
        .content_width(10)
        .content_height(10)
        .valign(gtk::Align::Center)
        .build();
    swatch.set_draw_func(move |area, cr, w, h| {
        let c = style_palette(area).series_colour(index);
        cr.set_source_rgb(
            f64::from(c.0) / 255.0,
            f64::from(c.1) / 255.0,
            f64::from(c.2) / 255.0,
        );
        let r = f64::from(w.min(h)) / 2.0;
        cr.arc(
            f64::from(w) / 2.0,
            f64::from(h) / 2.0,
            r,
            0.0,
            std::f64::consts::TAU,
        );
        let _ = cr.fill();
    });
    row.append(&swatch);
    if !label.is_empty() {
        row.append(
            &gtk::Label::builder()
                .label(label)
                .css_classes(["caption", "dim-label"])
                .build(),
        );
    }
    let value = gtk::Label::builder()
        .css_classes(["caption", "chart-legend-value"])
        .build();
    row.append(&value);
    let item = LegendItem {
        label: label.to_string(),
        swatch,
        value,
    };
    (row, item)
}

/// The small box over the plot with the time and values under the pointer.
#[derive(Clone)]
pub struct Readout {
    label: gtk::Label,
    /// Where the box goes over the plot (top-left corner, in the overlay's coordinates).
    position: Rc<Cell<(i32, i32)>>,
}

impl Readout {
    /// The readout over `overlay` (whose child is the plot).
    pub fn new(overlay: &gtk::Overlay) -> Readout {
        let label = gtk::Label::builder()
            .xalign(0.0)
            .can_target(false)
            .visible(false)
            .css_classes(["chart-readout", "caption"])
            .build();
        let position: Rc<Cell<(i32, i32)>> = Rc::default();
        overlay.add_overlay(&label);
        let placed = position.clone();
        let weak = label.downgrade();
        overlay.connect_get_child_position(move |_, child| {
            let label = weak.upgrade()?;
            if child != label.upcast_ref::<gtk::Widget>() {
                return None;
            }
            let (_, width, _, _) = label.measure(gtk::Orientation::Horizontal, -1);
            let (_, height, _, _) = label.measure(gtk::Orientation::Vertical, width);
            let (x, y) = placed.get();
            Some(gdk::Rectangle::new(x, y, width, height))
        });
        Readout { label, position }
    }

    pub fn hide(&self) {
        self.label.set_visible(false);
    }

    /// Shows the values at pointer `x` beside the marker, on the side where it fits.
    pub fn show(&self, data: &ChartData, plot: &PlotArea, x: f64, width: f64) {
        let Some(t) = hover_time(data, plot, x) else {
            self.hide();
            return;
        };
        let first = (0..data.series.len())
            .map(|i| data.visible(i))
            .find(|p| !p.is_empty());
        let bucket = first.map(bucket_secs).unwrap_or(1);
        let mut lines = vec![readout_time(t, bucket, data.to - data.from)];
        for (i, series) in data.series.iter().enumerate() {
            let Some(b) = nearest(data.visible(i), t as f64) else {
                continue;
            };
            let value = format_value(data.unit, b.avg);
            lines.push(if series.label.is_empty() {
                value
            } else {
                gettext_f(
                    // Translators: one line of a chart's hover readout, e.g. "Read: 1.2 MiB/s".
                    "{series}: {value}",
                    &[("series", &series.label), ("value", &value)],
                )
            });
        }
        self.label.set_label(&lines.join("\n"));
        let (_, natural, _, _) = self.label.measure(gtk::Orientation::Horizontal, -1);
        let natural = f64::from(natural);
        let marker = plot.x_of(t as f64);
        let gap = 10.0;
        let left = if marker + gap + natural <= width {
            marker + gap
        } else {
            (marker - gap - natural).max(0.0)
        };
        self.position
            .set((left.round() as i32, plot.top.round() as i32 + 4));
        self.label.set_visible(true);
        self.label.queue_resize();
    }
}
