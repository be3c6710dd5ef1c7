//! Drawing a chart onto any cairo context with plotters: gridlines and axis labels, each
//! series' min–max band and average line (broken at gaps), and the hover marker. No GTK
//! widgets involved, so tests and the benchmark draw onto an image surface.

use std::ops::Range;

use gettextrs::gettext;
use gtk::cairo;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::{
    Cartesian2d, ChartBuilder, ChartContext, Circle, Color, IntoDrawingArea, LineSeries,
    PathElement, Polygon, RGBColor, TextStyle, TRANSPARENT,
};
use plotters_cairo::CairoBackend;

use super::data::{decimate, nearest, segments, ChartData};
use super::palette::Palette;
use super::scale::{local_offset, time_ticks, ValueAxis};

/// A chart could not be drawn (cairo refused: out of memory, a finished surface...).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct DrawError(String);

impl From<cairo::Error> for DrawError {
    fn from(e: cairo::Error) -> Self {
        DrawError(e.to_string())
    }
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for DrawError
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

/// Where the plot went: its pixel rectangle and the time span across it, so a pointer
/// position can be turned back into a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotArea {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub from: i64,
    pub to: i64,
}

impl PlotArea {
    pub fn x_of(&self, t: f64) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        self.left + (t - self.from as f64) / span * (self.right - self.left)
    }

    pub fn t_of(&self, x: f64) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        self.from as f64 + (x - self.left) / (self.right - self.left).max(1.0) * span
    }

    pub fn contains_x(&self, x: f64) -> bool {
        x >= self.left && x <= self.right
    }
}

/// The time of the bucket under the pointer at `x`: the nearest point of the first series
/// that has one there.
pub fn hover_time(data: &ChartData, plot: &PlotArea, x: f64) -> Option<i64> {
    if !plot.contains_x(x) {
        return None;
    }
    let t = plot.t_of(x);
    (0..data.series.len()).find_map(|i| nearest(data.visible(i), t).map(|b| b.t))
}

/// A linear axis over `[lo, hi]` whose gridlines and labels go exactly at `ticks` (our own
/// round times and values rather than plotters' guesses).
#[derive(Clone)]
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span <= 0.0 {
            return limit.0;
        }
        let f = (value - self.lo) / span;
        (f64::from(limit.0) + f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

type Chart<'a, 'b> = ChartContext<'a, CairoBackend<'b>, Cartesian2d<Ticked, Ticked>>;

/// Draws `data` into the `width` x `height` pixels at the origin of `cr`, with a vertical
/// marker and dots at the bucket nearest `hover` (a pointer x) when given. Without data it
/// writes "No data yet" in the middle and returns `None`; else where the plot went.
///
/// `cr` must not be clipped to less than that area: plotters' cairo backend scales its
/// drawing to the clip (a drawing area's or a fresh image surface's context is right).
pub fn draw(
    cr: &cairo::Context,
    width: i32,
    height: i32,
    data: &ChartData,
    palette: &Palette,
    hover: Option<f64>,
) -> Result<Option<PlotArea>, DrawError> {
    cr.save()?;
    let result = draw_inner(cr, width, height, data, palette, hover);
    cr.restore()?;
    result
}

fn draw_inner(
    cr: &cairo::Context,
    width: i32,
    height: i32,
    data: &ChartData,
    palette: &Palette,
    hover: Option<f64>,
) -> Result<Option<PlotArea>, DrawError> {
    cr.select_font_face(
        &palette.font,
        cairo::FontSlant::Normal,
        cairo::FontWeight::Normal,
    );
    cr.set_font_size(palette.font_size);
    if width < 60 || height < 40 {
        return Ok(None);
    }
    if data.is_empty() || data.to <= data.from {
        draw_centred(cr, width, height, &gettext("No data yet"), palette)?;
        return Ok(None);
    }

    let axis = ValueAxis::new(data.unit, data.peak(), data.fixed_max);
    let y_ticks = axis.ticks();
    let mut label_width: f64 = 0.0;
    for v in &y_ticks {
        label_width = label_width.max(cr.text_extents(&axis.label(*v))?.x_advance());
    }
    let left = label_width.ceil() as i32 + 8;
    let bottom = palette.font_size.ceil() as i32 + 8;
    let top = (palette.font_size / 2.0).ceil() as i32 + 2;
    let right = 8;

    let plot_width = f64::from(width - left - right).max(1.0);
    let (all_ticks, format) = time_ticks(
        data.from,
        data.to,
        (plot_width / 64.0) as usize,
        local_offset(data.to),
    );
    // Keep the time labels that fit inside the widget when centred on their tick.
    let span = (data.to - data.from) as f64;
    let mut x_ticks = Vec::new();
    let mut x_labels = Vec::new();
    for t in all_ticks {
        let label = format.format(t);
        let half = cr.text_extents(&label)?.x_advance() / 2.0;
        let x = f64::from(left) + (t - data.from) as f64 / span * plot_width;
        if x - half >= 0.0 && x + half <= f64::from(width) {
            x_ticks.push(t as f64);
            x_labels.push((t as f64, label));
        }
    }

    // Gridlines 1 px wide land on whole pixels.
    cr.translate(0.5, 0.5);
    cr.set_line_join(cairo::LineJoin::Round);
    cr.set_line_cap(cairo::LineCap::Round);
    let backend = CairoBackend::new(cr, (width as u32, height as u32))
        .map_err(|e| DrawError(e.to_string()))?;
    let root = backend.into_drawing_area();
    let mut chart = ChartBuilder::on(&root)
        .margin_top(top)
        .margin_right(right)
        .x_label_area_size(bottom)
        .y_label_area_size(left)
        .build_cartesian_2d(
            Ticked {
                lo: data.from as f64,
                hi: data.to as f64,
                ticks: x_ticks,
            },
            Ticked {
                lo: 0.0,
                hi: axis.max,
                ticks: y_ticks,
            },
        )?;

    let label_style =
        TextStyle::from((palette.font.as_str(), palette.font_size)).color(&palette.label);
    let x_format = |t: &f64| {
        x_labels
            .iter()
            .find(|(x, _)| x == t)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let y_format = |v: &f64| axis.label(*v);
    chart
        .configure_mesh()
        .bold_line_style(palette.grid.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(TRANSPARENT)
        .set_all_tick_mark_size(3)
        .label_style(label_style)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .draw()?;

    let (xs, ys) = chart.plotting_area().get_pixel_range();
    // One point per two pixels (the line's width): smooth, and the drawing time no longer
    // grows with the number of points.
    let columns = xs.len() / 2;
    // The first series is drawn last, on top.
    for index in (0..data.series.len()).rev() {
        let colour = palette.series_colour(index);
        let style = SeriesStyle {
            colour,
            band_alpha: palette.band_alpha,
            top: axis.max,
            columns,
        };
        draw_series(cr, &mut chart, data, index, &style)?;
    }

    let plot = PlotArea {
        left: f64::from(xs.start),
        right: f64::from(xs.end - 1),
        top: f64::from(ys.start),
        bottom: f64::from(ys.end - 1),
        from: data.from,
        to: data.to,
    };
    if let Some(t) = hover.and_then(|x| hover_time(data, &plot, x)) {
        draw_marker(&mut chart, data, palette, t, axis.max)?;
    }
    root.present()?;
    Ok(Some(plot))
}

/// How one series is drawn: its colour, the band's opacity, the top of the value axis
/// (values are clipped to it) and how many points fit across the plot.
struct SeriesStyle {
    colour: RGBColor,
    band_alpha: f64,
    top: f64,
    columns: usize,
}

fn draw_series(
    cr: &cairo::Context,
    chart: &mut Chart,
    data: &ChartData,
    index: usize,
    style: &SeriesStyle,
) -> Result<(), DrawError> {
    let (colour, top) = (style.colour, style.top);
    let clamp = |v: f64| {
        if v.is_finite() {
            v.clamp(0.0, top)
        } else {
            0.0
        }
    };
    let points = data.visible(index);
    // Cairo's fast antialiasing (16 coverage levels rather than 256) cannot be told apart on
    // a 2 px line or a translucent band, and halves the drawing time.
    cr.set_antialias(cairo::Antialias::Fast);
    for range in segments(points) {
        let run = decimate(&points[range], data.from, data.to, style.columns);
        let run = &run[..];
        if run
            .iter()
            .any(|b| b.min.is_finite() && b.max.is_finite() && b.min != b.max)
        {
            let upper = run.iter().map(|b| (b.t as f64, clamp(b.max.max(b.avg))));
            let lower = run
                .iter()
                .rev()
                .map(|b| (b.t as f64, clamp(b.min.min(b.avg))));
            let band = Polygon::new(
                upper.chain(lower).collect::<Vec<_>>(),
                colour.mix(style.band_alpha).filled(),
            );
            chart.draw_series(std::iter::once(band))?;
        }
        if let [single] = run {
            let dot = Circle::new((single.t as f64, clamp(single.avg)), 2, colour.filled());
            chart.draw_series(std::iter::once(dot))?;
        } else {
            let line = run.iter().map(|b| (b.t as f64, clamp(b.avg)));
            chart.draw_series(LineSeries::new(line, colour.stroke_width(2)))?;
        }
    }
    cr.set_antialias(cairo::Antialias::Default);
    Ok(())
}

fn draw_marker(
    chart: &mut Chart,
    data: &ChartData,
    palette: &Palette,
    t: i64,
    top: f64,
) -> Result<(), DrawError> {
    let x = t as f64;
    let marker = PathElement::new(vec![(x, 0.0), (x, top)], palette.marker.stroke_width(1));
    chart.draw_series(std::iter::once(marker))?;
    for index in 0..data.series.len() {
        if let Some(b) = nearest(data.visible(index), x) {
            let y = if b.avg.is_finite() {
                b.avg.clamp(0.0, top)
            } else {
                continue;
            };
            let colour = palette.series_colour(index);
            chart.draw_series(std::iter::once(Circle::new(
                (b.t as f64, y),
                4,
                colour.filled(),
            )))?;
        }
    }
    Ok(())
}

fn draw_centred(
    cr: &cairo::Context,
    width: i32,
    height: i32,
    text: &str,
    palette: &Palette,
) -> Result<(), DrawError> {
    let extents = cr.text_extents(text)?;
    let c = &palette.label;
    cr.set_source_rgba(
        f64::from(c.0) / 255.0,
        f64::from(c.1) / 255.0,
        f64::from(c.2) / 255.0,
        c.3,
    );
    cr.move_to(
        ((f64::from(width) - extents.width()) / 2.0 - extents.x_bearing()).round(),
        ((f64::from(height) - extents.height()) / 2.0 - extents.y_bearing()).round(),
    );
    cr.show_text(text)?;
    Ok(())
}
