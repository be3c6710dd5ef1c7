//! The GTK half of the SPICE live test (tests/live/spice.rs), run as its own process
//! under `xvfb-run`: a window with a `SpiceView` on `kvmm-test-spice`, driven by pumping
//! the GLib main context (spice-client-glib's coroutines run there) until each expected
//! state arrives. Prints `KVMM-SPICE-CHILD: OK` at the end; any failure panics.
//!
//! In order: a closed port (Disconnected with a reason); host/port without a password
//! (AuthRequired), a wrong one (AuthFailed), the right one (Connected, frames, a picture
//! that is not blank); a shell command typed through the view's key path on the guest's
//! VGA console, answered on its serial log and shown on screen; Send Key (Ctrl+Alt+F2 to
//! another virtual terminal and Ctrl+Alt+F1 back); the backend's graphics endpoint (its
//! `virDomainOpenGraphicsFD` sockets and the password from the secure XML: Connected,
//! frames); too few sockets (Disconnected with a reason); SKIPAUTH sockets without a
//! password (Connected), then the guest destroyed under the view (Disconnected(None)).

use std::cell::RefCell;
use std::os::fd::{FromRawFd, OwnedFd};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gtk::glib;
use gtk::prelude::*;
use kvm_manager::backend::graphics::{self, GraphicsEndpoint, Protocol, SharedFd};
use kvm_manager::ui::widgets::display::keymap::xt_from_evdev;
use kvm_manager::ui::widgets::display::{DisplayState, SendKey};
use kvm_manager::ui::widgets::spice_view::{SpiceView, SOCKETS_NEEDED};
use virt::connect::Connect;

use crate::spice::{SPICE_DOMAIN, SPICE_LOG, SPICE_PASSWORD};
use crate::support::{MARKER, URI};

const LIMIT: Duration = Duration::from_secs(60);
/// virDomainOpenGraphicsFD's VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH.
const SKIPAUTH: u32 = 1;

fn log_text() -> String {
    String::from_utf8_lossy(&std::fs::read(SPICE_LOG).unwrap_or_default()).into_owned()
}

/// Run the main loop until `f` says yes; panics after `limit` with the view's state.
fn pump_until<T>(
    view: &SpiceView,
    what: &str,
    limit: Duration,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let ctx = glib::MainContext::default();
    let deadline = Instant::now() + limit;
    loop {
        while ctx.iteration(false) {}
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within {limit:?}; state {:?}, frames {}; serial log tail:\n{}",
            view.state(),
            view.frames(),
            log_text()
                .lines()
                .rev()
                .take(10)
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Run the main loop for `time`.
fn pump_for(time: Duration) {
    let ctx = glib::MainContext::default();
    let end = Instant::now() + time;
    while Instant::now() < end {
        while ctx.iteration(false) {}
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The view's screenshot as 4-byte pixels (empty before the first picture).
fn pixels(view: &SpiceView) -> Vec<u8> {
    let Some(texture) = view.screenshot() else {
        return Vec::new();
    };
    let (w, h) = (texture.width() as usize, texture.height() as usize);
    let mut buf = vec![0u8; w * h * 4];
    texture.download(&mut buf, w * 4);
    buf
}

/// Pixels clearly brighter than black in the view's screenshot.
fn lit_pixels(view: &SpiceView) -> usize {
    pixels(view)
        .chunks_exact(4)
        .filter(|p| p[0] > 0x40 || p[1] > 0x40 || p[2] > 0x40)
        .count()
}

/// How many pixels differ between two screenshots of the same size.
fn changed_pixels(a: &[u8], b: &[u8]) -> usize {
    a.chunks_exact(4)
        .zip(b.chunks_exact(4))
        .filter(|(x, y)| x != y)
        .count()
}

/// Sockets to the guest's SPICE server from libvirt, opened on a thread of their own.
fn graphics_fds(view: &SpiceView, count: usize, flags: u32) -> Vec<OwnedFd> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let conn = Connect::open(Some(URI)).expect("connect");
        let dom = conn
            .lookup_domain_by_name(SPICE_DOMAIN)
            .expect("the SPICE guest");
        let fds: Vec<i32> = (0..count)
            .map(|_| {
                dom.open_graphics_fd(0, flags)
                    .expect("virDomainOpenGraphicsFD") as i32
            })
            .collect();
        let _ = tx.send(fds);
    });
    let fds = pump_until(view, "graphics sockets", LIMIT, || rx.try_recv().ok());
    // SAFETY: each fd was just returned by libvirt for us alone and is owned from here on.
    fds.into_iter()
        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
        .collect()
}

/// The guest's graphics endpoint from the backend (`graphics::open`, as the worker runs
/// it), with [`SOCKETS_NEEDED`] sockets, opened on a thread of its own.
fn backend_endpoint(view: &SpiceView) -> GraphicsEndpoint {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let conn = Connect::open(Some(URI)).expect("connect");
        let uuid = conn
            .lookup_domain_by_name(SPICE_DOMAIN)
            .and_then(|d| d.uuid_string())
            .expect("the SPICE guest");
        let endpoint = graphics::open(&conn, URI, &uuid, SOCKETS_NEEDED as u8);
        let _ = tx.send(endpoint.map_err(|e| e.to_string()));
    });
    pump_until(view, "the graphics endpoint", LIMIT, || rx.try_recv().ok())
        .expect("graphics::open")
        .expect("a SPICE device")
}

fn wait_state(view: &SpiceView, what: &str, pred: impl Fn(&DisplayState) -> bool) -> DisplayState {
    pump_until(view, what, LIMIT, || {
        let s = view.state();
        pred(&s).then_some(s)
    })
}

/// Connected with a picture that is not blank; returns the time to the first frame.
fn wait_picture(view: &SpiceView, what: &str) -> Duration {
    let frames = view.frames();
    wait_state(view, what, |s| matches!(s, DisplayState::Connected { .. }));
    pump_until(view, &format!("{what}: a picture"), LIMIT, || {
        (view.frames() > frames && lit_pixels(view) > 200).then_some(())
    });
    view.first_frame_at().unwrap() - view.opened_at().unwrap()
}

/// US-layout evdev code and shift for the characters the test types.
fn key_of(c: char) -> (u16, bool) {
    const ROWS: [(&str, u16); 4] = [
        ("1234567890-=", 2),
        ("qwertyuiop", 16),
        ("asdfghjkl", 30),
        ("zxcvbnm,./", 44),
    ];
    const SHIFTED: [(char, char); 7] = [
        ('$', '4'),
        ('(', '9'),
        (')', '0'),
        ('*', '8'),
        ('>', '.'),
        ('_', '-'),
        ('+', '='),
    ];
    match c {
        ' ' => return (57, false),
        '\n' => return (28, false),
        _ => {}
    }
    let (base, shift) = match SHIFTED.iter().find(|(s, _)| *s == c) {
        Some(&(_, b)) => (b, true),
        None if c.is_ascii_uppercase() => (c.to_ascii_lowercase(), true),
        None => (c, false),
    };
    for (row, first) in ROWS {
        if let Some(i) = row.find(base) {
            return (first + i as u16, shift);
        }
    }
    panic!("no key for {c:?}");
}

/// Types `text` through the canvas's key path (as real key events would go).
fn type_text(view: &SpiceView, text: &str) {
    let canvas = view.widget();
    let shift = xt_from_evdev(42).unwrap();
    let tap = |code| {
        canvas.key_event(code, 0, true);
        canvas.key_event(code, 0, false);
    };
    for c in text.chars() {
        let (evdev, shifted) = key_of(c);
        let code = xt_from_evdev(evdev).unwrap();
        if shifted {
            canvas.key_event(shift, 0, true);
            tap(code);
            canvas.key_event(shift, 0, false);
        } else {
            tap(code);
        }
        // Let the inputs channel send it; the guest's PS/2 queue is short.
        pump_for(Duration::from_millis(15));
    }
}

pub fn child() {
    if gtk::init().is_err() {
        println!("KVMM-SPICE-CHILD: no display");
        panic!("GTK cannot start (no X display)");
    }
    let port: u16 = std::env::var("KVMM_SPICE_PORT").unwrap().parse().unwrap();
    let view = SpiceView::new();
    let window = gtk::Window::builder()
        .default_width(1024)
        .default_height(768)
        .child(view.widget())
        .build();
    window.present();
    let states: Rc<RefCell<Vec<DisplayState>>> = Rc::default();
    let seen = states.clone();
    view.connect_state_changed(move |_, s| seen.borrow_mut().push(s.clone()));

    // Nothing listens: a reason, no crash.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = free.local_addr().unwrap().port();
    drop(free);
    view.open_host("127.0.0.1", closed, None);
    let s = wait_state(&view, "refused", |s| {
        matches!(s, DisplayState::Disconnected(_))
    });
    println!("closed port: {s:?}");
    assert!(matches!(s, DisplayState::Disconnected(Some(ref m)) if !m.is_empty()));

    // Host and port: asked for a password, a wrong one refused, the right one shown.
    view.open_host("127.0.0.1", port, None);
    let s = wait_state(&view, "auth", |s| !matches!(s, DisplayState::Connecting));
    assert_eq!(s, DisplayState::AuthRequired { username: false });
    view.provide_credentials(None, "wrong");
    let s = wait_state(&view, "auth failed", |s| {
        !matches!(s, DisplayState::Connecting)
    });
    println!("wrong password: {s:?}");
    assert!(matches!(s, DisplayState::AuthFailed(ref m) if !m.is_empty()));
    view.provide_credentials(None, SPICE_PASSWORD);
    let first = wait_picture(&view, "host/port");
    println!(
        "host/port: {:?}, first frame {first:?} after opening, {} frames, {} lit pixels",
        view.state(),
        view.frames(),
        lit_pixels(&view)
    );

    // A command typed through the view reaches the guest's shell on its VGA console.
    pump_until(&view, "the guest's ready marker", LIMIT * 2, || {
        log_text().contains(MARKER).then_some(())
    });
    // The shell's prompt settles first.
    pump_for(Duration::from_secs(1));
    let before = view.frames();
    let screen_before = pixels(&view);
    let mut answered = false;
    for attempt in 1..=3 {
        type_text(&view, "echo KVMM-SPICE-$((6*7)) >/dev/ttyS0\n");
        let deadline = Instant::now() + Duration::from_secs(10);
        answered = pump_until(&view, "typed answer", Duration::from_secs(12), || {
            let got = log_text().contains("KVMM-SPICE-42");
            (got || Instant::now() > deadline).then_some(got)
        });
        if answered {
            println!(
                "typed command answered (attempt {attempt}), frames {before} → {}",
                view.frames()
            );
            break;
        }
    }
    assert!(answered, "the typed command never ran");
    // The typed line is on the guest's screen now (its echo by the shell).
    let changed = pump_until(
        &view,
        "the typed line on screen",
        Duration::from_secs(10),
        || {
            let n = changed_pixels(&screen_before, &pixels(&view));
            (n > 100).then_some(n)
        },
    );
    println!("typing changed {changed} pixels of the screen");
    assert!(view.frames() > before, "typing showed nothing");
    if let Some(t) = view.screenshot() {
        let _ = std::fs::create_dir_all("build/live");
        let _ = t.save_to_png("build/live/spice-console.png");
    }

    // Send Key: Ctrl+Alt+F2 switches the guest to tty2, Ctrl+Alt+F1 back. The kernel only
    // switches to a terminal that exists: opening /dev/tty2 makes it.
    type_text(&view, "echo vt2 >/dev/tty2\n");
    pump_for(Duration::from_secs(1));
    let tty1 = pixels(&view);
    view.send_key(SendKey::CtrlAltF(2));
    let gone = pump_until(&view, "tty2 on screen", Duration::from_secs(10), || {
        let n = changed_pixels(&tty1, &pixels(&view));
        (n > 1000).then_some(n)
    });
    view.send_key(SendKey::CtrlAltF(1));
    pump_until(
        &view,
        "tty1 back on screen",
        Duration::from_secs(10),
        || (changed_pixels(&tty1, &pixels(&view)) < 50).then_some(()),
    );
    println!("Ctrl+Alt+F2 changed {gone} pixels, Ctrl+Alt+F1 brought tty1 back");

    // Sockets from libvirt, the password from before.
    // The app's way: the backend's graphics endpoint, with its sockets and the password
    // from the secure XML.
    view.close();
    assert_eq!(view.state(), DisplayState::Disconnected(None));
    let endpoint = backend_endpoint(&view);
    assert_eq!(endpoint.protocol, Protocol::Spice);
    assert_eq!(endpoint.password.as_deref(), Some(SPICE_PASSWORD));
    assert_eq!(
        endpoint.fds.len(),
        SOCKETS_NEEDED,
        "{:?}",
        endpoint.fd_error
    );
    view.set_password(endpoint.password.clone());
    view.open_fds(endpoint.fds.iter().filter_map(SharedFd::take).collect());
    let first = wait_picture(&view, "fds");
    println!(
        "fds: {:?}, first frame {first:?} after opening",
        view.state()
    );

    // Too few sockets: a reason, no crash.
    let one = graphics_fds(&view, 1, SKIPAUTH);
    view.open_fds(one);
    let s = wait_state(&view, "too few fds", |s| {
        matches!(s, DisplayState::Disconnected(_))
    });
    println!("one socket: {s:?}");
    assert!(matches!(s, DisplayState::Disconnected(Some(ref m)) if !m.is_empty()));

    // SKIPAUTH sockets need no password; then the guest goes away under the view.
    view.set_password(None);
    let fds = graphics_fds(&view, SOCKETS_NEEDED, SKIPAUTH);
    view.open_fds(fds);
    wait_picture(&view, "fds with SKIPAUTH");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let out = std::process::Command::new("virsh")
            .args(["-q", "-c", URI, "destroy", SPICE_DOMAIN])
            .output();
        let _ = tx.send(out.map(|o| o.status.success()).unwrap_or(false));
    });
    let s = wait_state(&view, "the end", |s| {
        matches!(s, DisplayState::Disconnected(_))
    });
    println!("guest destroyed: {s:?}");
    assert!(pump_until(&view, "virsh destroy", LIMIT, || rx
        .try_recv()
        .ok()));
    assert_eq!(s, DisplayState::Disconnected(None));
    println!("states: {:?}", states.borrow());
    println!("KVMM-SPICE-CHILD: OK");
}
