//! The VNC console against the rig's guest: sockets from `virDomainOpenGraphicsFD`
//! through the backend, the real VNC view on a GLib main loop, a frame that is not blank,
//! and a command typed through the view's key path (the canvas's key handling → gvnc's
//! QEMU extended key events) into the shell on the guest's VGA console, whose output is
//! read back on the serial log.
//!
//! GTK and libvirt's event loop share GLib's default main context, which GTK must own
//! from its first call on, before libvirt's event thread starts polling it. Earlier live
//! tests have started that thread already, so the test runs in a fresh process of the
//! same binary ([`CHILD_ENV`] set, only the child test): GTK first, then the worker. The
//! parent gives the child a display: its own `Xvfb -displayfd` when there is none,
//! killed once the child has ended (GDK exits when its X server goes away under it).

use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use gtk::glib;
use gtk::prelude::*;
use kvm_manager::backend::graphics::{GraphicsCommand, GraphicsEndpoint, GraphicsEvent, Protocol};
use kvm_manager::backend::{Command, Event};
use kvm_manager::ui::widgets::display::keymap;
use kvm_manager::ui::widgets::display::DisplayState;
use kvm_manager::ui::widgets::vnc_view::VncView;

use crate::support::*;

/// Set in the child process that runs the console test.
pub const CHILD_ENV: &str = "KVMM_LIVE_CONSOLE_CHILD";
/// The child's test name (in tests/live.rs).
const CHILD_TEST: &str = "bd_vnc_console_child";

/// An X server of our own, killed on drop.
struct OwnX(Option<Child>);

impl Drop for OwnX {
    fn drop(&mut self) {
        if let Some(mut x) = self.0.take() {
            let _ = x.kill();
            let _ = x.wait();
        }
    }
}

/// The display for the child: the session's, else a private Xvfb.
fn display() -> (String, OwnX) {
    if let Ok(d) = std::env::var("DISPLAY") {
        return (d, OwnX(None));
    }
    // -displayfd 1: Xvfb picks a free display and writes its number on stdout.
    let args = [
        "-displayfd",
        "1",
        "-screen",
        "0",
        "1024x768x24",
        "-nolisten",
        "tcp",
    ];
    let mut x = Process::new("Xvfb")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb (package xvfb) for the VNC view");
    let mut line = String::new();
    BufReader::new(x.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("Xvfb's display number");
    (format!(":{}", line.trim()), OwnX(Some(x)))
}

/// The parent's side: run [`vnc_view_shows_the_guest_and_types_into_it`] in a fresh
/// process of this test binary on a display, and pass its verdict on.
pub fn vnc_view_in_a_child_process() {
    ensure_running();
    let (display, _x) = display();
    let out = Process::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env("DISPLAY", &display)
        .env("GDK_BACKEND", "x11")
        .env("GSK_RENDERER", "cairo")
        .env("GTK_A11Y", "none")
        .output()
        .expect("run the console test's child");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("--- console child ---\n{text}--- end of console child ---");
    assert!(out.status.success(), "the console test failed in its child");
    assert!(text.contains("1 passed"), "the child ran no console test");
}

fn pump_until(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let ctx = glib::MainContext::default();
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        if !ctx.iteration(false) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn pump_for(span: Duration) {
    let ctx = glib::MainContext::default();
    let end = Instant::now() + span;
    while Instant::now() < end {
        if !ctx.iteration(false) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// The guest's endpoint with one socket from libvirt, through the worker.
fn open_endpoint(live: &Live) -> GraphicsEndpoint {
    live.handle.send(Command::Graphics(GraphicsCommand::Open {
        uuid: live.uuid.clone(),
        request: 7,
        fds: 1,
    }));
    match live.wait_for("Graphics", EVENT, |e| matches!(e, Event::Graphics(_))) {
        Event::Graphics(GraphicsEvent::Opened {
            request: 7, result, ..
        }) => result
            .expect("the endpoint")
            .expect("the guest has VNC graphics"),
        other => panic!("unexpected {other:?}"),
    }
}

/// How many different pixel values the view's screenshot holds.
fn distinct_pixels(view: &VncView) -> usize {
    let Some(shot) = view.screenshot() else {
        return 0;
    };
    let (w, h) = (shot.width() as usize, shot.height() as usize);
    let mut pixels = vec![0u8; w * h * 4];
    shot.download(&mut pixels, w * 4);
    let mut seen: Vec<[u8; 4]> = Vec::new();
    for p in pixels.chunks_exact(4) {
        let p = [p[0], p[1], p[2], p[3]];
        if !seen.contains(&p) {
            seen.push(p);
            if seen.len() > 8 {
                break;
            }
        }
    }
    seen.len()
}

/// The evdev code, shift and keysym of a character on a US keyboard.
fn us_key(c: char) -> (u16, bool, u32) {
    const ROWS: [(&str, u16); 4] = [
        ("1234567890-=", 2),
        ("qwertyuiop[]", 16),
        ("asdfghjkl;'", 30),
        ("zxcvbnm,./", 44),
    ];
    match c {
        ' ' => (57, false, 0x20),
        '\n' => (28, false, 0xff0d),
        '>' => (52, true, 0x3e),
        _ => {
            let lower = c.to_ascii_lowercase();
            let (row, first) = ROWS
                .iter()
                .find(|(row, _)| row.contains(lower))
                .unwrap_or_else(|| panic!("no key for {c:?}"));
            let at = row.find(lower).unwrap() as u16;
            (first + at, c.is_ascii_uppercase(), c as u32)
        }
    }
}

/// Type `text` through the canvas's key path, pacing the keys like a fast typist.
fn type_text(view: &VncView, text: &str) {
    let canvas = view.widget();
    let shift = keymap::xt_from_evdev(42).unwrap();
    for c in text.chars() {
        let (evdev, shifted, keysym) = us_key(c);
        let code = keymap::xt_from_evdev(evdev).unwrap();
        if shifted {
            canvas.key_event(shift, 0xffe1, true);
        }
        canvas.key_event(code, keysym, true);
        canvas.key_event(code, keysym, false);
        if shifted {
            canvas.key_event(shift, 0xffe1, false);
        }
        pump_for(Duration::from_millis(15));
    }
}

/// The child's side (GTK initialised before anything starts libvirt's event thread).
pub fn vnc_view_shows_the_guest_and_types_into_it() {
    gtk::init().expect("GTK on the parent's display");
    let live = Live::connect();
    let endpoint = open_endpoint(&live);
    assert_eq!(endpoint.protocol, Protocol::Vnc);
    assert_eq!(endpoint.host.as_deref(), Some("127.0.0.1"));
    assert!(endpoint.port.is_some(), "{endpoint:?}");
    assert_eq!(
        endpoint.fd_error, None,
        "libvirt gives sockets on qemu:///system"
    );
    assert_eq!(endpoint.fds.len(), 1);
    let fd: OwnedFd = endpoint.fds[0].take().expect("the socket");

    let view = VncView::new();
    let opened = Instant::now();
    view.open_fd(fd);
    pump_until("the first frame", Duration::from_secs(20), || {
        view.frames() > 0
    });
    let first = view.first_frame_at().unwrap().duration_since(opened);
    println!("VNC: {:?}, first frame after {first:?}", view.state());
    assert!(matches!(view.state(), DisplayState::Connected { .. }));
    // The VGA text console: the shell's prompt and boot messages, not one flat colour.
    pump_until(
        "a screen that is not blank",
        Duration::from_secs(30),
        || distinct_pixels(&view) > 1,
    );

    let token = format!(
        "KVMM-VNC-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros()
            % 1_000_000_000
    );
    // A fresh line first (boot messages may sit on the prompt's line).
    type_text(&view, "\n");
    type_text(&view, &format!("echo {token} > /dev/ttyS0\n"));
    let start = Instant::now();
    while !read_log().contains(&token) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{token} did not reach the serial log; VNC state {:?}, {} frames",
            view.state(),
            view.frames()
        );
        pump_for(Duration::from_millis(100));
    }
    println!("typed command ran after {:?}", start.elapsed());

    view.close();
    pump_until("the close", Duration::from_secs(10), || {
        view.state() == DisplayState::Disconnected(None)
    });
}
