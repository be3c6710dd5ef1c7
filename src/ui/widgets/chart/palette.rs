//! The colours and font a chart is drawn with, for the light and the dark style.
//!
//! Series colours come from the GNOME palette in the shade that reads well on each
//! background (blue, then orange); gridlines and labels are the text colour, faded.

use gtk::gdk;
use plotters::style::{RGBAColor, RGBColor};

#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    /// Foreground text colour of the style (the "No data yet" message).
    pub text: RGBAColor,
    /// Axis labels.
    pub label: RGBAColor,
    /// Gridlines.
    pub grid: RGBAColor,
    /// The hover marker.
    pub marker: RGBAColor,
    /// The first and second series.
    pub series: [RGBColor; 2],
    /// Opacity of the min–max band under a series' line.
    pub band_alpha: f64,
    /// Font family of the labels, and their size in pixels.
    pub font: String,
    pub font_size: f64,
}

/// GNOME palette: Blue 4 / Orange 4 on light backgrounds, Blue 2 / Orange 2 on dark ones.
const LIGHT_SERIES: [RGBColor; 2] = [RGBColor(0x1c, 0x71, 0xd8), RGBColor(0xe6, 0x61, 0x00)];
const DARK_SERIES: [RGBColor; 2] = [RGBColor(0x62, 0xa0, 0xea), RGBColor(0xff, 0xa3, 0x48)];

impl Palette {
    /// For the light style, with libadwaita's window text colour.
    pub fn light() -> Palette {
        Palette::with_text(RGBColor(0, 0, 0), 0.8, LIGHT_SERIES, 0.18)
    }

    /// For the dark style.
    pub fn dark() -> Palette {
        Palette::with_text(RGBColor(255, 255, 255), 1.0, DARK_SERIES, 0.32)
    }

    /// For the light or dark style, with the text colour of the widget's style when known.
    pub fn for_style(dark: bool, text: Option<gdk::RGBA>) -> Palette {
        let base = if dark {
            Palette::dark()
        } else {
            Palette::light()
        };
        match text {
            Some(c) => {
                let rgb = RGBColor(
                    (c.red() * 255.0).round() as u8,
                    (c.green() * 255.0).round() as u8,
                    (c.blue() * 255.0).round() as u8,
                );
                Palette::with_text(rgb, f64::from(c.alpha()), base.series, base.band_alpha)
            }
            None => base,
        }
    }

    fn with_text(rgb: RGBColor, alpha: f64, series: [RGBColor; 2], band_alpha: f64) -> Palette {
        let faded = |a: f64| RGBAColor(rgb.0, rgb.1, rgb.2, alpha * a);
        Palette {
            text: faded(1.0),
            label: faded(0.65),
            grid: faded(0.12),
            marker: faded(0.45),
            series,
            band_alpha,
            font: "sans-serif".into(),
            font_size: 12.0,
        }
    }

    /// The colour of series `index` (the palette repeats after two).
    pub fn series_colour(&self, index: usize) -> RGBColor {
        self.series[index % self.series.len()]
    }
}
