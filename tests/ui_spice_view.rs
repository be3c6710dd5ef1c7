//! The SPICE view (src/ui/widgets/spice_view) against a scripted SPICE server
//! (tests/spice_support): the real spice-client-glib session, the real canvas, on a GLib
//! main loop. Needs no libvirt and no root.
//!
//! GTK widgets need a display and GTK's main thread, so this test has its own `main`
//! (`harness = false`) and, where no display is set, re-runs itself under `xvfb-run`.
//! Cases: a normal session (Connected, a black screenshot of the surface's size, Send Key
//! on the wire as SPICE scancodes, close, no leaked socket); a 16-bit surface; sockets
//! handed in instead of host/port, and none at all; a surface wider than the canvas takes
//! and one above its memory budget (refused with the size in the reason, no crash); a
//! server that speaks no SPICE; one that closes at once; one that ends the session in
//! order (Disconnected(None)).

mod gtk_support;
mod spice_support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use gtk::prelude::*;
use gtk_support::{pump_for, pump_until};
use kvm_manager::ui::widgets::display::{DisplayState, SendKey};
use kvm_manager::ui::widgets::spice_view::SpiceView;
use spice_support::{
    Script, Server, FMT_RGB565, FMT_XRGB32, MSGC_INPUTS_KEY_DOWN, MSGC_INPUTS_KEY_UP,
};

fn main() {
    gtk_support::init();
    gtk_support::run(&[
        (
            "session_shows_sends_keys_and_closes",
            session_shows_sends_keys_and_closes,
        ),
        ("sixteen_bit_surface", sixteen_bit_surface),
        ("sockets_handed_in", sockets_handed_in),
        ("no_sockets", no_sockets),
        ("oversized_surface_is_refused", oversized_surface_is_refused),
        (
            "surface_over_the_canvas_budget",
            surface_over_the_canvas_budget,
        ),
        ("server_speaking_no_spice", server_speaking_no_spice),
        ("server_closing_at_once", server_closing_at_once),
        ("server_ending_the_session", server_ending_the_session),
    ]);
}

/// A view in a window, with the states it went through.
fn view() -> (SpiceView, Rc<RefCell<Vec<DisplayState>>>, gtk::Window) {
    let view = SpiceView::new();
    let window = gtk::Window::builder()
        .default_width(320)
        .default_height(240)
        .child(view.widget())
        .build();
    window.present();
    let states: Rc<RefCell<Vec<DisplayState>>> = Rc::default();
    let seen = states.clone();
    view.connect_state_changed(move |_, s| seen.borrow_mut().push(s.clone()));
    (view, states, window)
}

/// Sockets this process holds (the library opens other files lazily, e.g. /dev/null).
fn sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
        })
        .count()
}

fn ended(view: &SpiceView) -> bool {
    matches!(
        view.state(),
        DisplayState::Disconnected(_) | DisplayState::AuthFailed(_)
    )
}

fn connected(view: &SpiceView) -> bool {
    matches!(view.state(), DisplayState::Connected { .. })
}

fn session_shows_sends_keys_and_closes() {
    let server = Server::spawn(Script::Surface {
        width: 64,
        height: 48,
        format: FMT_XRGB32,
    });
    let (view, states, window) = view();
    // GTK opens its own sockets (accessibility bus) as the window appears.
    pump_for(Duration::from_millis(300));
    let sockets_before = sockets();
    view.open_host("127.0.0.1", server.port, None);
    pump_until("Connected", || connected(&view) || ended(&view));
    assert_eq!(
        view.state(),
        DisplayState::Connected {
            width: 64,
            height: 48
        }
    );
    assert!(view.frames() >= 1 && view.first_frame_at().is_some());
    let shot = view.screenshot().expect("a screenshot");
    assert_eq!((shot.width(), shot.height()), (64, 48));
    let mut px = vec![1u8; 64 * 48 * 4];
    shot.download(&mut px, 64 * 4);
    assert!(
        px.chunks_exact(4).all(|p| p == [0, 0, 0, 255]),
        "a new surface is black and opaque"
    );

    view.send_key(SendKey::CtrlAltDel);
    pump_until("the key messages", || {
        server.codes(MSGC_INPUTS_KEY_UP).len() >= 3
    });
    // Ctrl, Alt, then Delete (extended: E0 53 on the wire), released in reverse order.
    assert_eq!(server.codes(MSGC_INPUTS_KEY_DOWN), [0x1d, 0x38, 0x53e0]);
    assert_eq!(server.codes(MSGC_INPUTS_KEY_UP), [0xd3e0, 0xb8, 0x9d]);

    view.close();
    assert_eq!(view.state(), DisplayState::Disconnected(None));
    pump_for(Duration::from_millis(300));
    println!("states: {:?}", states.borrow());
    window.destroy();
    drop(view);
    pump_for(Duration::from_millis(300));
    assert_eq!(sockets(), sockets_before, "sockets left open");
}

fn sixteen_bit_surface() {
    let server = Server::spawn(Script::Surface {
        width: 40,
        height: 30,
        format: FMT_RGB565,
    });
    let (view, _, _w) = view();
    view.open_host("127.0.0.1", server.port, None);
    pump_until("Connected", || connected(&view) || ended(&view));
    assert_eq!(
        view.state(),
        DisplayState::Connected {
            width: 40,
            height: 30
        }
    );
    let shot = view.screenshot().unwrap();
    assert_eq!((shot.width(), shot.height()), (40, 30));
    view.close();
}

fn sockets_handed_in() {
    let server = Server::spawn(Script::Surface {
        width: 32,
        height: 32,
        format: FMT_XRGB32,
    });
    let (view, _, _w) = view();
    // Main, display and inputs: this server offers no cursor channel.
    view.open_fds(server.sockets(3));
    pump_until("Connected", || connected(&view) || ended(&view));
    assert_eq!(
        view.state(),
        DisplayState::Connected {
            width: 32,
            height: 32
        }
    );
    view.close();
}

fn no_sockets() {
    let (view, _, _w) = view();
    view.open_fds(Vec::new());
    pump_until("an end", || ended(&view));
    let DisplayState::Disconnected(Some(reason)) = view.state() else {
        panic!("{:?}", view.state());
    };
    println!("no sockets: {reason}");
}

fn oversized_surface_is_refused() {
    // Wider than the canvas takes (16384), small enough for spice-client-glib to allocate
    // (it allocates a surface before anyone can refuse it: see the module doc of
    // spice_view::surface).
    let server = Server::spawn(Script::Surface {
        width: 20000,
        height: 8,
        format: FMT_XRGB32,
    });
    let (view, states, _w) = view();
    view.open_host("127.0.0.1", server.port, None);
    pump_until("an end", || ended(&view) || connected(&view));
    let DisplayState::Disconnected(Some(reason)) = view.state() else {
        panic!("{:?}", states.borrow());
    };
    println!("oversized: {reason}");
    assert!(reason.contains("20000"), "{reason}");
    assert!(!states
        .borrow()
        .iter()
        .any(|s| matches!(s, DisplayState::Connected { .. })));
    assert!(view.screenshot().is_none(), "nothing was painted");
}

fn surface_over_the_canvas_budget() {
    // Within 16384 a side but above the canvas's 256 MiB: the canvas refuses it (the
    // library's own zeroed allocation of it is never touched).
    let server = Server::spawn(Script::Surface {
        width: 16384,
        height: 4100,
        format: FMT_XRGB32,
    });
    let (view, _, _w) = view();
    view.open_host("127.0.0.1", server.port, None);
    pump_until("an end", || ended(&view) || connected(&view));
    let DisplayState::Disconnected(Some(reason)) = view.state() else {
        panic!("{:?}", view.state());
    };
    println!("over budget: {reason}");
    assert!(reason.contains("4100"), "{reason}");
}

fn server_speaking_no_spice() {
    let server = Server::spawn(Script::Garbage);
    let (view, _, _w) = view();
    view.open_host("127.0.0.1", server.port, None);
    pump_until("an end", || ended(&view));
    let DisplayState::Disconnected(Some(reason)) = view.state() else {
        panic!("{:?}", view.state());
    };
    println!("garbage: {reason}");
}

fn server_closing_at_once() {
    let server = Server::spawn(Script::CloseAtOnce);
    let (view, _, _w) = view();
    view.open_host("127.0.0.1", server.port, None);
    pump_until("an end", || ended(&view));
    assert!(
        matches!(view.state(), DisplayState::Disconnected(Some(_))),
        "{:?}",
        view.state()
    );
}

fn server_ending_the_session() {
    let server = Server::spawn(Script::SurfaceThenClose {
        width: 32,
        height: 24,
        after: Duration::from_millis(500),
    });
    let (view, states, _w) = view();
    view.open_host("127.0.0.1", server.port, None);
    pump_until("an end", || ended(&view));
    println!("server closed: {:?}", states.borrow());
    assert!(states
        .borrow()
        .iter()
        .any(|s| matches!(s, DisplayState::Connected { .. })));
    assert_eq!(view.state(), DisplayState::Disconnected(None));
}
