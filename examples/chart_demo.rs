//! A window with the chart widget on synthetic data, for looking at it (and screenshots):
//! a live CPU chart (5 minutes at 1 s, a new point every second), disk read/write over six
//! hours with min–max bands and a gap, memory used against the total over a week, an empty
//! chart, and a row of CPU sparklines.
//!
//! `cargo run --example chart_demo [-- --dark]`

use std::time::{SystemTime, UNIX_EPOCH};

use adw::prelude::*;
use gtk::glib;
use kvm_manager::services::metrics::Bucket;
use kvm_manager::ui::widgets::chart::{Chart, ChartSeries, ChartUnit};
use kvm_manager::ui::widgets::sparkline::Sparkline;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A repeatable pseudo-random number in 0..1 for `i`.
fn noise(i: i64, seed: f64) -> f64 {
    ((i as f64 * 12.9898 + seed * 78.233).sin() * 43_758.545)
        .fract()
        .abs()
}

fn cpu_point(t: i64) -> Bucket {
    let busy = if (t / 60) % 3 == 0 { 55.0 } else { 12.0 };
    let avg = (busy + 20.0 * noise(t, 1.0)).min(100.0);
    Bucket {
        t,
        min: avg,
        avg,
        max: avg,
    }
}

fn disk(from: i64, to: i64, bucket: i64) -> Vec<ChartSeries> {
    let series = |seed: f64, scale: f64| -> Vec<Bucket> {
        (from / bucket..to / bucket)
            .map(|i| i * bucket)
            .filter(|t| !(from + 7200..from + 8400).contains(t))
            .map(|t| {
                let wave = ((t - from) as f64 / 2400.0 + seed).sin().max(0.0);
                let avg = scale * (0.1 + wave * 0.6 + 0.3 * noise(t, seed));
                Bucket {
                    t,
                    min: avg * (0.2 + 0.5 * noise(t, seed + 1.0)),
                    avg,
                    max: avg * (1.2 + 1.5 * noise(t, seed + 2.0)),
                }
            })
            .collect()
    };
    vec![
        ChartSeries {
            label: "Read".into(),
            points: series(0.0, 30.0 * 1024.0 * 1024.0),
        },
        ChartSeries {
            label: "Write".into(),
            points: series(2.0, 9.0 * 1024.0 * 1024.0),
        },
    ]
}

fn memory(from: i64, to: i64, bucket: i64) -> Vec<ChartSeries> {
    let used = (from / bucket..to / bucket)
        .map(|i| i * bucket)
        .map(|t| {
            let day = ((t - from) as f64 / 86_400.0 * std::f64::consts::TAU).sin();
            let avg = GIB * (2.2 + 0.8 * day + 0.2 * noise(t, 3.0));
            Bucket {
                t,
                min: avg - 0.3 * GIB,
                avg,
                max: avg + 0.4 * GIB,
            }
        })
        .collect();
    let total = (from / bucket..to / bucket)
        .map(|i| Bucket {
            t: i * bucket,
            min: 4.0 * GIB,
            avg: 4.0 * GIB,
            max: 4.0 * GIB,
        })
        .collect();
    vec![
        ChartSeries {
            label: "Used".into(),
            points: used,
        },
        ChartSeries {
            label: "Total".into(),
            points: total,
        },
    ]
}

fn build(app: &adw::Application) {
    let now = now();
    let content = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(24)
        .margin_top(18)
        .margin_bottom(18)
        .margin_start(18)
        .margin_end(18)
        .build();

    let cpu = Chart::new("CPU usage", ChartUnit::Percent);
    let mut cpu_points: Vec<Bucket> = (now - 300..=now).map(cpu_point).collect();
    cpu.set_series(
        &[ChartSeries {
            label: String::new(),
            points: cpu_points.clone(),
        }],
        now - 300,
        now,
    );
    content.append(cpu.widget());

    let disk_chart = Chart::new("Disk I/O", ChartUnit::BytesPerSec);
    disk_chart.set_series(&disk(now - 6 * 3600, now, 60), now - 6 * 3600, now);
    content.append(disk_chart.widget());

    let mem = Chart::new("Memory", ChartUnit::Bytes);
    mem.set_series(&memory(now - 7 * 86_400, now, 1800), now - 7 * 86_400, now);
    content.append(mem.widget());

    let empty = Chart::new("Network", ChartUnit::BytesPerSec);
    empty.set_series(&[], now - 3600, now);
    content.append(empty.widget());

    let sparks = gtk::Box::builder().spacing(12).build();
    sparks.append(&gtk::Label::new(Some("Sparklines")));
    let lines: Vec<Sparkline> = (0..3).map(|_| Sparkline::new()).collect();
    for (k, line) in lines.iter().enumerate() {
        let values: Vec<f64> = (now - 60..now)
            .map(|t| cpu_point(t + k as i64 * 97).avg / (k as f64 + 1.0))
            .collect();
        line.set_values(&values);
        sparks.append(line.widget());
    }
    content.append(&sparks);

    // The live chart moves on every second, as it would on a VM's page.
    glib::timeout_add_seconds_local(1, move || {
        let now = self::now();
        cpu_points.push(cpu_point(now));
        cpu_points.retain(|b| b.t >= now - 300);
        cpu.set_series(
            &[ChartSeries {
                label: String::new(),
                points: cpu_points.clone(),
            }],
            now - 300,
            now,
        );
        for (k, line) in lines.iter().enumerate() {
            line.push(Some(cpu_point(now + k as i64 * 97).avg / (k as f64 + 1.0)));
        }
        glib::ControlFlow::Continue
    });

    let scrolled = gtk::ScrolledWindow::builder()
        .hscrollbar_policy(gtk::PolicyType::Never)
        .child(
            &adw::Clamp::builder()
                .maximum_size(900)
                .child(&content)
                .build(),
        )
        .vexpand(true)
        .build();
    let view = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .build();
    // Switching the style while the charts are shown: they follow.
    let header = adw::HeaderBar::new();
    let dark = gtk::ToggleButton::builder()
        .icon_name("weather-clear-night-symbolic")
        .tooltip_text("Dark style")
        .active(adw::StyleManager::default().is_dark())
        .build();
    dark.connect_toggled(|button| {
        adw::StyleManager::default().set_color_scheme(if button.is_active() {
            adw::ColorScheme::ForceDark
        } else {
            adw::ColorScheme::ForceLight
        });
    });
    header.pack_start(&dark);
    view.append(&header);
    view.append(&scrolled);
    adw::ApplicationWindow::builder()
        .application(app)
        .title("Chart demo")
        .default_width(900)
        .default_height(1000)
        .content(&view)
        .build()
        .present();
}

fn main() -> glib::ExitCode {
    env_logger::init();
    let dark = std::env::args().any(|a| a == "--dark");
    let app = adw::Application::builder()
        .application_id("io.github.kvmmanager.ChartDemo")
        .flags(gtk::gio::ApplicationFlags::NON_UNIQUE)
        .build();
    app.connect_startup(move |_| {
        let scheme = if dark {
            adw::ColorScheme::ForceDark
        } else {
            adw::ColorScheme::ForceLight
        };
        adw::StyleManager::default().set_color_scheme(scheme);
    });
    app.connect_activate(build);
    // GApplication would reject our own flag.
    app.run_with_args(&["chart_demo"])
}
