//! Drawing charts onto image surfaces: something is drawn, different data looks different,
//! and odd data (none, one point, huge values, NaN) neither panics nor breaks the axes.

use gtk::cairo;

use super::draw::hover_time;
use super::*;
use crate::services::metrics::Bucket;

const W: i32 = 800;
const H: i32 = 240;
const FROM: i64 = 1_700_000_000;

fn wave(n: usize, scale: f64, phase: f64) -> Vec<Bucket> {
    (0..n)
        .map(|i| {
            let avg = scale * (0.5 + 0.4 * ((i as f64 / 40.0) + phase).sin());
            Bucket {
                t: FROM + i as i64,
                min: avg * 0.7,
                avg,
                max: avg * 1.3,
            }
        })
        .collect()
}

fn data(unit: ChartUnit, series: Vec<Vec<Bucket>>) -> ChartData {
    let mut d = ChartData::new(unit);
    d.series = series
        .into_iter()
        .enumerate()
        .map(|(i, points)| ChartSeries {
            label: format!("S{i}"),
            points,
        })
        .collect();
    d.from = FROM;
    d.to = FROM + 3600;
    d
}

/// Draws and returns the pixels and where the plot went.
fn render(data: &ChartData, hover: Option<f64>) -> (Vec<u8>, Option<PlotArea>) {
    let mut surface = cairo::ImageSurface::create(cairo::Format::ARgb32, W, H).unwrap();
    let plot = {
        let cr = cairo::Context::new(&surface).unwrap();
        draw(&cr, W, H, data, &Palette::light(), hover).unwrap()
    };
    surface.flush();
    let pixels = surface.data().unwrap().to_vec();
    (pixels, plot)
}

fn painted(pixels: &[u8]) -> usize {
    pixels.chunks(4).filter(|p| p[3] != 0).count()
}

#[test]
fn a_chart_draws_axes_bands_and_lines() {
    let d = data(ChartUnit::Percent, vec![wave(3600, 100.0, 0.0)]);
    let (pixels, plot) = render(&d, None);
    let plot = plot.expect("a plot");
    assert!(plot.left > 20.0 && plot.left < 100.0, "{plot:?}");
    assert!(plot.right > 700.0 && plot.right < W as f64);
    assert!(plot.top >= 0.0 && plot.bottom < H as f64 - 10.0);
    // Lines and bands cover a good part of the picture.
    assert!(
        painted(&pixels) > (W * H / 10) as usize,
        "{}",
        painted(&pixels)
    );
}

#[test]
fn different_data_draws_a_different_picture() {
    let a = render(
        &data(ChartUnit::Percent, vec![wave(3600, 100.0, 0.0)]),
        None,
    )
    .0;
    let b = render(
        &data(ChartUnit::Percent, vec![wave(3600, 100.0, 1.5)]),
        None,
    )
    .0;
    let two = data(
        ChartUnit::BytesPerSec,
        vec![wave(3600, 5e6, 0.0), wave(3600, 2e6, 1.0)],
    );
    let c = render(&two, None).0;
    assert_ne!(a, b);
    assert_ne!(a, c);
}

#[test]
fn the_hover_marker_is_drawn_at_the_nearest_bucket() {
    let d = data(ChartUnit::Percent, vec![wave(3600, 100.0, 0.0)]);
    let (plain, plot) = render(&d, None);
    let plot = plot.unwrap();
    let x = (plot.left + plot.right) / 2.0;
    let t = hover_time(&d, &plot, x).expect("a bucket under the pointer");
    assert!((t - (FROM + 1800)).abs() <= 5, "{t}");
    assert_eq!(hover_time(&d, &plot, plot.left - 5.0), None);
    let (hovered, _) = render(&d, Some(x));
    assert_ne!(plain, hovered);
}

#[test]
fn no_data_says_so_instead_of_drawing_empty_axes() {
    let empty = data(ChartUnit::BytesPerSec, vec![]);
    let (pixels, plot) = render(&empty, None);
    assert_eq!(plot, None);
    let text = painted(&pixels);
    assert!(text > 50, "the message is drawn ({text} pixels)");
    // Only a message: far fewer pixels than axes with labels would take.
    let axes = painted(&render(&data(ChartUnit::Percent, vec![wave(1, 0.0, 0.0)]), None).0);
    assert!(text < axes, "{text} vs {axes}");
    // Points outside the span count as no data.
    let mut outside = data(ChartUnit::Percent, vec![wave(10, 50.0, 0.0)]);
    outside.from = FROM + 100;
    assert_eq!(render(&outside, None).1, None);
}

#[test]
fn odd_data_neither_panics_nor_breaks_the_axes() {
    let one = data(ChartUnit::Percent, vec![wave(1, 100.0, 0.0)]);
    assert!(render(&one, Some(400.0)).1.is_some());
    let huge: Vec<Bucket> = (0..100)
        .map(|i| Bucket {
            t: FROM + i * 30,
            min: 0.0,
            avg: 1e300 * (i as f64),
            max: f64::MAX,
        })
        .collect();
    for unit in [ChartUnit::Bytes, ChartUnit::BytesPerSec, ChartUnit::Percent] {
        assert!(render(&data(unit, vec![huge.clone()]), Some(300.0))
            .1
            .is_some());
    }
    let mut nan = wave(100, 50.0, 0.0);
    nan[10].avg = f64::NAN;
    nan[20].min = f64::NAN;
    nan[30].max = f64::INFINITY;
    assert!(render(&data(ChartUnit::Percent, vec![nan]), None)
        .1
        .is_some());
    let zeros: Vec<Bucket> = wave(100, 0.0, 0.0);
    assert!(render(&data(ChartUnit::BytesPerSec, vec![zeros]), None)
        .1
        .is_some());
    // A span of zero length and a tiny surface are no reason to fail either.
    let mut flat = data(ChartUnit::Percent, vec![wave(10, 50.0, 0.0)]);
    flat.to = flat.from;
    assert_eq!(render(&flat, None).1, None);
    let surface = cairo::ImageSurface::create(cairo::Format::ARgb32, 10, 10).unwrap();
    let cr = cairo::Context::new(&surface).unwrap();
    let d = data(ChartUnit::Percent, vec![wave(10, 50.0, 0.0)]);
    assert_eq!(draw(&cr, 10, 10, &d, &Palette::dark(), None).unwrap(), None);
}
