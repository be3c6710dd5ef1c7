//! A tiny CPU sparkline for list rows: the last minute of percentages as a filled line,
//! drawn with plain cairo (cheap enough to update every tick), named for screen readers by
//! the current value.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use gtk::cairo;
use gtk::prelude::*;

use crate::i18n::gettext_f;
use crate::ui::a11y;
use crate::ui::widgets::chart::follow_style;
use crate::ui::widgets::chart::palette::Palette;
use crate::ui::widgets::chart::scale::{format_value, ChartUnit};

/// How many values a sparkline keeps.
pub const CAPACITY: usize = 60;

/// A sparkline widget; clones share the same widget.
#[derive(Clone)]
pub struct Sparkline {
    area: gtk::DrawingArea,
    values: Rc<RefCell<VecDeque<f64>>>,
    /// The rounded percentage last announced, so the name changes only when it does.
    announced: Rc<RefCell<Option<String>>>,
}

impl Default for Sparkline {
    fn default() -> Self {
        Sparkline::new()
    }
}

impl Sparkline {
    pub fn new() -> Sparkline {
        let area = gtk::DrawingArea::builder()
            .accessible_role(gtk::AccessibleRole::Img)
            .content_width(48)
            .content_height(16)
            .valign(gtk::Align::Center)
            .build();
        let values: Rc<RefCell<VecDeque<f64>>> = Rc::default();
        // The draw function owns the values (not the widget), so the line keeps drawing
        // whoever holds this handle.
        let drawn = values.clone();
        area.set_draw_func(move |_, cr, w, h| {
            let dark = adw::StyleManager::default().is_dark();
            let palette = Palette::for_style(dark, None);
            let c = palette.series_colour(0);
            let rgb = [c.0, c.1, c.2].map(|v| f64::from(v) / 255.0);
            let mut values = drawn.borrow_mut();
            if let Err(e) = draw_sparkline(cr, w, h, values.make_contiguous(), rgb) {
                log::warn!("cannot draw a sparkline: {e}");
            }
        });
        follow_style(&area, || {});
        let line = Sparkline {
            area,
            values,
            announced: Rc::default(),
        };
        line.announce();
        line
    }

    pub fn widget(&self) -> &gtk::DrawingArea {
        &self.area
    }

    /// Adds the latest CPU percentage (`None`: no value this tick, e.g. the VM is off).
    pub fn push(&self, value: Option<f64>) {
        {
            let mut values = self.values.borrow_mut();
            if values.len() == CAPACITY {
                values.pop_front();
            }
            values.push_back(value.filter(|v| v.is_finite()).unwrap_or(f64::NAN));
        }
        self.announce();
        self.area.queue_draw();
    }

    /// Replaces all values (e.g. when a recycled list row is bound to another VM).
    pub fn set_values(&self, values: &[f64]) {
        {
            let mut kept = self.values.borrow_mut();
            kept.clear();
            let start = values.len().saturating_sub(CAPACITY);
            kept.extend(values[start..].iter().copied());
        }
        self.announce();
        self.area.queue_draw();
    }

    /// The latest value, if it is known.
    pub fn current(&self) -> Option<f64> {
        self.values
            .borrow()
            .back()
            .copied()
            .filter(|v| v.is_finite())
    }

    fn announce(&self) {
        let value = match self.current() {
            Some(v) => format_value(ChartUnit::Percent, v),
            None => "–".to_string(),
        };
        // Translators: accessible name of a VM's CPU sparkline, e.g. "CPU 23 %".
        let text = gettext_f("CPU {value}", &[("value", &value)]);
        let mut announced = self.announced.borrow_mut();
        if announced.as_deref() != Some(text.as_str()) {
            a11y::set_label(&self.area, &text);
            self.area.set_tooltip_text(Some(&text));
            *announced = Some(text);
        }
    }
}

/// Draws `values` (0–100, NaN for missing) right-aligned across `w` x `h` pixels: one slot per
/// possible value, so the line scrolls left as values arrive.
pub fn draw_sparkline(
    cr: &cairo::Context,
    w: i32,
    h: i32,
    values: &[f64],
    rgb: [f64; 3],
) -> Result<(), cairo::Error> {
    let (w, h) = (f64::from(w), f64::from(h));
    let step = w / (CAPACITY - 1) as f64;
    let offset = CAPACITY - values.len().min(CAPACITY);
    let point = |i: usize, v: f64| {
        let x = (offset + i) as f64 * step;
        let y = 1.0 + (h - 2.0) * (1.0 - v.clamp(0.0, 100.0) / 100.0);
        (x, y)
    };
    // Runs of known values, each filled below and stroked on top.
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut run = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if v.is_finite() {
            run.push(point(i, *v));
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    cr.set_line_width(1.5);
    cr.set_line_join(cairo::LineJoin::Round);
    for run in &runs {
        let (first, last) = (run[0], run[run.len() - 1]);
        cr.move_to(first.0, h);
        for &(x, y) in run {
            cr.line_to(x, y);
        }
        cr.line_to(last.0, h);
        cr.close_path();
        cr.set_source_rgba(rgb[0], rgb[1], rgb[2], 0.25);
        cr.fill()?;
        cr.move_to(first.0, first.1);
        for &(x, y) in &run[1..] {
            cr.line_to(x, y);
        }
        if run.len() == 1 {
            cr.line_to(first.0 + 0.5, first.1);
        }
        cr.set_source_rgb(rgb[0], rgb[1], rgb[2]);
        cr.stroke()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_draws_and_survives_odd_values() {
        let surface = cairo::ImageSurface::create(cairo::Format::ARgb32, 48, 16).unwrap();
        let cr = cairo::Context::new(&surface).unwrap();
        let values = vec![0.0, 50.0, f64::NAN, 100.0, 250.0, -3.0];
        draw_sparkline(&cr, 48, 16, &values, [0.1, 0.4, 0.8]).unwrap();
        draw_sparkline(&cr, 48, 16, &[], [0.1, 0.4, 0.8]).unwrap();
        draw_sparkline(&cr, 48, 16, &[5.0; 200], [0.1, 0.4, 0.8]).unwrap();
        drop(cr);
        let mut surface = surface;
        let data = surface.data().unwrap();
        assert!(data.iter().any(|&b| b != 0));
    }
}
