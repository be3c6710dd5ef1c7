//! Time to draw a chart of 3,600 points (an hour at 1 s: the longest live chart, and more
//! than any history chart asks for) onto an 800 x 240 image surface, the size of a chart on
//! a VM's page. Target: under 4 ms. Prints `chart.draw_3600_ms <median>`.
//!
//! Run with `cargo bench --bench chart`; `CHART_BENCH_PNG=path.png` also writes the picture.

use std::time::Instant;

use gtk::prelude::*;
use gtk::{cairo, gdk, glib};
use kvm_manager::services::metrics::Bucket;
use kvm_manager::ui::widgets::chart::{draw, ChartData, ChartSeries, ChartUnit, Palette};

const W: i32 = 800;
const H: i32 = 240;
const POINTS: i64 = 3600;
const RUNS: usize = 200;

/// Two noisy disk-like series (read and write) with a min–max band, one gap.
fn synthetic() -> ChartData {
    let from = 1_700_000_000;
    let series = (0..2)
        .map(|s| {
            let points = (0..POINTS)
                .filter(|i| !(1200..1260).contains(i))
                .map(|i| {
                    let x = i as f64;
                    let wave = (x / 300.0 + s as f64).sin().abs() * 40e6;
                    let noise = ((x * 12.9898 + s as f64).sin() * 43_758.545).fract().abs();
                    let avg = wave + noise * 8e6;
                    Bucket {
                        t: from + i,
                        min: avg * 0.6,
                        avg,
                        max: avg * 1.5,
                    }
                })
                .collect();
            ChartSeries {
                label: ["Read", "Write"][s].to_string(),
                points,
            }
        })
        .collect();
    let mut data = ChartData::new(ChartUnit::BytesPerSec);
    data.series = series;
    data.from = from;
    data.to = from + POINTS;
    data
}

fn main() {
    let data = synthetic();
    let palette = Palette::light();
    let surface = cairo::ImageSurface::create(cairo::Format::ARgb32, W, H).expect("surface");
    let mut times = Vec::with_capacity(RUNS);
    for i in 0..RUNS + 10 {
        let cr = cairo::Context::new(&surface).expect("context");
        cr.set_operator(cairo::Operator::Clear);
        cr.paint().expect("clear");
        cr.set_operator(cairo::Operator::Over);
        let hover = (i % 2 == 0).then_some(400.0);
        let start = Instant::now();
        draw(&cr, W, H, &data, &palette, hover).expect("draw");
        drop(cr);
        surface.flush();
        if i >= 10 {
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let p90 = times[times.len() * 9 / 10];
    println!("chart.draw_3600_ms {median:.2}");
    println!("chart.draw_3600_p90_ms {p90:.2}");
    if let Ok(path) = std::env::var("CHART_BENCH_PNG") {
        save_png(surface, &path);
        println!("picture: {path}");
    }
}

/// Writes the surface as a PNG through a GDK texture (cairo-rs is built without PNG support).
fn save_png(mut surface: cairo::ImageSurface, path: &str) {
    let (w, h, stride) = (surface.width(), surface.height(), surface.stride());
    let bytes = glib::Bytes::from(&*surface.data().expect("pixels"));
    // Cairo's ARGB32 is premultiplied, native-endian: B, G, R, A in memory on little-endian.
    let texture = gdk::MemoryTexture::new(
        w,
        h,
        gdk::MemoryFormat::B8g8r8a8Premultiplied,
        &bytes,
        stride as usize,
    );
    texture.save_to_png(path).expect("png");
}
