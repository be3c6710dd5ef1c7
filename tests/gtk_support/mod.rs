//! Running GTK in a `harness = false` test: a display (the test re-runs itself under
//! `xvfb-run` when there is none), the main loop pumped until something happens, and the
//! process's open files and resident memory for leak checks.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use gtk::glib;

/// Run the cases whose names contain one of the command line's filters (all without
/// filters), in order, on this thread; a failing case panics and fails the binary.
pub fn run(cases: &[(&str, fn())]) {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut ran = 0;
    for (name, case) in cases {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        println!("test {name} ...");
        case();
        println!("test {name} ... ok");
        ran += 1;
    }
    println!("\ntest result: ok. {ran} passed");
}

/// Initialise GTK on this (the main) thread, under Xvfb when there is no display.
pub fn init() {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        rerun_under_xvfb();
    }
    gtk::init().expect("GTK needs a display");
}

pub fn rerun_under_xvfb() -> ! {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("KVMM_UNDER_XVFB").is_some() {
        panic!("xvfb-run gave no display");
    }
    let exe = std::env::current_exe().unwrap();
    let err = std::process::Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1024x768x24 -nolisten tcp"])
        .arg(exe)
        .args(std::env::args().skip(1))
        .env("KVMM_UNDER_XVFB", "1")
        .env("GDK_BACKEND", "x11")
        .env("GSK_RENDERER", "cairo")
        .exec();
    panic!("no display, and xvfb-run (package xvfb) cannot run: {err}");
}

/// Run the main loop until `done` or 10 s; panics with `what` on timeout.
pub fn pump_until(what: &str, done: impl Fn() -> bool) {
    let ctx = glib::MainContext::default();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        if !ctx.iteration(false) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Run the main loop for `span` whatever happens.
pub fn pump_for(span: Duration) {
    let end = Instant::now() + span;
    let ctx = glib::MainContext::default();
    while Instant::now() < end {
        if !ctx.iteration(false) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}
