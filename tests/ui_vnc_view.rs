//! The VNC view (src/ui/widgets/vnc_view) against a scripted RFB server on a socket pair:
//! the real gvnc connection, the real canvas, on a GLib main loop.
//!
//! GTK widgets need a display and GTK's main thread, so this test has its own `main`
//! (`harness = false`) and, where no display is set, re-runs itself under `xvfb-run`.
//! Cases: a normal session (frames, screenshot pixels, the key path to QEMU extended key
//! events, a clean close, no leaked socket); a server that closes mid-frame; a wrong
//! password (asked for, and remembered from the XML); hostile sizes (a 65535 × 65535
//! desktop at init and by resize, a rectangle outside the framebuffer): each ends in a
//! clear state without crashing and without a large allocation.

mod gtk_support;
mod rfb_support;

use std::os::fd::OwnedFd;
use std::time::Duration;

use gtk::prelude::*;
use gtk_support::{open_fds, pump_for, pump_until, resident_bytes};
use kvm_manager::ui::widgets::display::keymap::XtScancode;
use kvm_manager::ui::widgets::display::Scaling;
use kvm_manager::ui::widgets::display::{DisplayState, SendKey};
use rfb_support::{
    ended_with_reason, view, ClientMsg, Security, Server, ENC_DESKTOP_SIZE, ENC_EXT_KEY_EVENT,
};

fn main() {
    gtk_support::init();
    gtk_support::run(&[
        (
            "session_paints_types_and_closes",
            session_paints_types_and_closes,
        ),
        ("server_closing_mid_frame", server_closing_mid_frame),
        (
            "wrong_password_is_asked_then_refused",
            wrong_password_is_asked_then_refused,
        ),
        (
            "remembered_wrong_password_fails_without_asking",
            remembered_wrong_password,
        ),
        ("oversized_desktop_at_init", oversized_desktop_at_init),
        ("oversized_desktop_resize", oversized_desktop_resize),
        ("rect_outside_the_framebuffer", rect_outside_the_framebuffer),
        ("guest_follows_the_view_size", guest_follows_the_view_size),
    ]);
}

fn session_paints_types_and_closes() {
    let fds_before = open_fds();
    let server = Server::spawn(|mut s| {
        assert!(s.handshake(Security::None));
        s.init(64, 48);
        assert!(s.wait_for(|m| matches!(m, ClientMsg::UpdateRequest { incremental: false })));
        s.update_header(2);
        s.rect_header(0, 0, 64, 48, ENC_EXT_KEY_EVENT);
        s.raw_rect(0, 0, 64, 48, 0x0040_80c0);
    });
    let (view, states) = view();
    view.open_fd(OwnedFd::from(server.client));
    assert_eq!(view.state(), DisplayState::Connecting);
    pump_until("the first frame", || view.frames() > 0);
    assert_eq!(
        view.state(),
        DisplayState::Connected {
            width: 64,
            height: 48
        }
    );
    assert!(view.first_frame_at().is_some());
    let shot = view.screenshot().expect("a screenshot");
    assert_eq!((shot.width(), shot.height()), (64, 48));
    let mut pixels = vec![0u8; 64 * 48 * 4];
    shot.download(&mut pixels, 64 * 4);
    assert_eq!(&pixels[..4], &[0xc0, 0x80, 0x40, 0xff], "B, G, R, opaque");
    assert_eq!(&pixels[pixels.len() - 4..], &[0xc0, 0x80, 0x40, 0xff]);

    // The key path: the canvas's key handling, as a key press takes it.
    let a = XtScancode {
        code: 0x1e,
        extended: false,
    };
    view.widget().key_event(a, 0x61, true);
    view.widget().key_event(a, 0x61, false);
    view.send_key(SendKey::CtrlAltDel);
    pump_for(Duration::from_millis(200));
    view.close();
    pump_until("the close", || {
        !matches!(view.state(), DisplayState::Connected { .. })
    });
    assert_eq!(view.state(), DisplayState::Disconnected(None));
    server.script.join().expect("the server script");
    let seen = server.seen.lock().unwrap().clone();
    assert!(
        seen.contains(&ClientMsg::SetPixelFormat {
            bpp: 32,
            depth: 24,
            big_endian: false
        }),
        "{seen:?}"
    );
    let encodings = seen
        .iter()
        .find_map(|m| match m {
            ClientMsg::SetEncodings(e) => Some(e.clone()),
            _ => None,
        })
        .expect("SetEncodings");
    assert_eq!(
        encodings[0], 0,
        "raw first over a local socket: {encodings:?}"
    );
    assert!(encodings.contains(&ENC_EXT_KEY_EVENT) && encodings.contains(&ENC_DESKTOP_SIZE));
    let keys: Vec<_> = seen
        .iter()
        .filter_map(|m| match m {
            ClientMsg::ExtKey { down, keycode, .. } => Some((*down, *keycode)),
            _ => None,
        })
        .collect();
    // 'a', then Ctrl+Alt+Del: Ctrl, Alt, Delete (extended: 0x80 | 0x53), released in reverse.
    assert_eq!(
        keys,
        [
            (true, 0x1e),
            (false, 0x1e),
            (true, 0x1d),
            (true, 0x38),
            (true, 0xd3),
            (false, 0xd3),
            (false, 0x38),
            (false, 0x1d)
        ]
    );
    assert!(seen.contains(&ClientMsg::ExtKey {
        down: true,
        keysym: 0x61,
        keycode: 0x1e
    }));
    assert_eq!(
        states.borrow()[..2],
        [
            DisplayState::Connecting,
            DisplayState::Connected {
                width: 64,
                height: 48
            }
        ]
    );
    pump_for(Duration::from_millis(100));
    assert_eq!(open_fds(), fds_before, "the socket was closed");
}

fn server_closing_mid_frame() {
    let server = Server::spawn(|mut s| {
        assert!(s.handshake(Security::None));
        s.init(64, 48);
        assert!(s.wait_for(|m| matches!(m, ClientMsg::UpdateRequest { .. })));
        s.update_header(1);
        s.rect_header(0, 0, 64, 48, rfb_support::ENC_RAW);
        s.write(&[0x55; 64 * 10 * 4]); // 10 of 48 rows, then gone
        s.hang_up();
    });
    let (view, _) = view();
    view.open_fd(OwnedFd::from(server.client));
    pump_until("the end", || {
        matches!(view.state(), DisplayState::Disconnected(_))
    });
    let reason = ended_with_reason(&view);
    assert!(!reason.is_empty());
    server.script.join().unwrap();
    // Pressing keys on a dead connection is harmless.
    view.send_key(SendKey::CtrlAltF(2));
}

fn wrong_password_is_asked_then_refused() {
    let server = Server::spawn(|mut s| {
        assert!(!s.handshake(Security::VncRejected(
            "Authentication failed: wrong password"
        )));
    });
    let (view, states) = view();
    view.open_fd(OwnedFd::from(server.client));
    pump_until("the password question", || {
        matches!(view.state(), DisplayState::AuthRequired { .. })
    });
    assert_eq!(view.state(), DisplayState::AuthRequired { username: false });
    view.provide_credentials(None, "not-it");
    pump_until("the refusal", || {
        matches!(view.state(), DisplayState::AuthFailed(_))
    });
    pump_for(Duration::from_millis(100));
    // The refusal stays the state once the server hangs up.
    assert_eq!(
        view.state(),
        DisplayState::AuthFailed("Authentication failed: wrong password".into())
    );
    server.script.join().unwrap();
    assert_eq!(
        *states.borrow(),
        [
            DisplayState::Connecting,
            DisplayState::AuthRequired { username: false },
            DisplayState::Connecting,
            DisplayState::AuthFailed("Authentication failed: wrong password".into())
        ]
    );
}

fn remembered_wrong_password() {
    let server = Server::spawn(|mut s| {
        assert!(!s.handshake(Security::VncRejected("bad password")));
    });
    let (view, states) = view();
    view.set_password(Some("from-the-xml".into()));
    view.open_fd(OwnedFd::from(server.client));
    pump_until("the refusal", || {
        matches!(view.state(), DisplayState::AuthFailed(_))
    });
    server.script.join().unwrap();
    assert!(
        !states
            .borrow()
            .iter()
            .any(|s| matches!(s, DisplayState::AuthRequired { .. })),
        "a known password is not asked for: {:?}",
        states.borrow()
    );
    // The failed password is forgotten: the next attempt asks.
    let server = Server::spawn(|mut s| {
        assert!(!s.handshake(Security::VncRejected("bad password")));
    });
    view.open_fd(OwnedFd::from(server.client));
    pump_until("the question", || {
        matches!(view.state(), DisplayState::AuthRequired { .. })
    });
    view.close();
    pump_until("the close", || {
        view.state() == DisplayState::Disconnected(None)
    });
    server.script.join().unwrap();
}

/// Resident memory must not grow by more than this during a hostile-size case.
const MEMORY_SLACK: u64 = 64 << 20;

fn oversized_desktop_at_init() {
    let before = resident_bytes();
    let server = Server::spawn(|mut s| {
        assert!(s.handshake(Security::None));
        s.init(65535, 65535);
        // Whatever the client does, announce a rect in the huge desktop.
        s.update_header(1);
        s.raw_rect(60000, 60000, 16, 16, 0x00ff_ffff);
    });
    let (view, states) = view();
    view.open_fd(OwnedFd::from(server.client));
    pump_until("the refusal", || {
        matches!(view.state(), DisplayState::Disconnected(_))
    });
    let reason = ended_with_reason(&view);
    assert!(reason.contains("65535"), "{reason}");
    assert!(
        !states
            .borrow()
            .iter()
            .any(|s| matches!(s, DisplayState::Connected { .. })),
        "{:?}",
        states.borrow()
    );
    assert!(
        resident_bytes() < before + MEMORY_SLACK,
        "memory stayed bounded"
    );
    server.script.join().unwrap();
}

fn oversized_desktop_resize() {
    let before = resident_bytes();
    let server = Server::spawn(|mut s| {
        assert!(s.handshake(Security::None));
        s.init(64, 48);
        assert!(s.wait_for(|m| matches!(m, ClientMsg::UpdateRequest { .. })));
        s.update_header(1);
        s.raw_rect(0, 0, 64, 48, 0x0011_2233);
        // A sane resize first, then a hostile one followed by pixels far outside the
        // memory the client has.
        s.update_header(1);
        s.rect_header(0, 0, 80, 60, ENC_DESKTOP_SIZE);
        std::thread::sleep(Duration::from_millis(300));
        s.update_header(2);
        s.rect_header(0, 0, 65535, 65535, ENC_DESKTOP_SIZE);
        s.raw_rect(60000, 60000, 16, 16, 0x00ff_ffff);
    });
    let (view, states) = view();
    view.open_fd(OwnedFd::from(server.client));
    pump_until("the refusal", || {
        matches!(view.state(), DisplayState::Disconnected(_))
    });
    let reason = ended_with_reason(&view);
    assert!(reason.contains("65535"), "{reason}");
    let states = states.borrow().clone();
    assert!(
        states.contains(&DisplayState::Connected {
            width: 80,
            height: 60
        }),
        "{states:?}"
    );
    assert_eq!(
        view.widget().frame_size(),
        (80, 60),
        "the last good size stays"
    );
    assert!(
        resident_bytes() < before + MEMORY_SLACK,
        "memory stayed bounded"
    );
    server.script.join().unwrap();
}

fn rect_outside_the_framebuffer() {
    let server = Server::spawn(|mut s| {
        assert!(s.handshake(Security::None));
        s.init(64, 48);
        assert!(s.wait_for(|m| matches!(m, ClientMsg::UpdateRequest { .. })));
        s.update_header(1);
        s.raw_rect(60, 40, 16, 16, 0x00ff_ffff);
    });
    let (view, _) = view();
    view.open_fd(OwnedFd::from(server.client));
    pump_until("the refusal", || {
        matches!(view.state(), DisplayState::Disconnected(_))
    });
    let reason = ended_with_reason(&view);
    assert!(!reason.is_empty());
    assert_eq!(
        view.frames(),
        0,
        "nothing was painted from the bad rectangle"
    );
    server.script.join().unwrap();
}

fn guest_follows_the_view_size() {
    let server = Server::spawn(|mut s| {
        assert!(s.handshake(Security::None));
        s.init(640, 480);
        assert!(s.wait_for(|m| matches!(m, ClientMsg::UpdateRequest { .. })));
        // Announcing ExtendedDesktopSize tells the client the server can resize.
        s.update_header(2);
        s.extended_desktop_size(640, 480);
        s.raw_rect(0, 0, 16, 16, 0x0000_ff00);
        let asked = s.wait_for(|m| matches!(m, ClientMsg::SetDesktopSize { .. }));
        assert!(asked, "no SetDesktopSize");
        let size = s
            .seen
            .lock()
            .unwrap()
            .iter()
            .find_map(|m| match m {
                ClientMsg::SetDesktopSize { width, height } => Some((*width, *height)),
                _ => None,
            })
            .unwrap();
        // Do as QEMU does: resize, then the new picture.
        s.update_header(1);
        s.extended_desktop_size(size.0, size.1);
    });
    let (view, _) = view();
    view.set_scaling(Scaling::Fit);
    let window = gtk::Window::builder()
        .default_width(320)
        .default_height(200)
        .decorated(false)
        .child(view.widget())
        .build();
    window.present();
    view.set_resize_guest(true);
    view.open_fd(OwnedFd::from(server.client));
    pump_until("the guest at the view's size", || {
        let (w, h) = (view.widget().width() as u32, view.widget().height() as u32);
        view.state()
            == DisplayState::Connected {
                width: w,
                height: h,
            }
            && w > 0
    });
    println!("  guest resized to {:?}", view.state());
    assert_eq!(view.widget().frame_size().0, view.widget().width() as u32);
    server.script.join().unwrap();
    view.close();
    pump_until("the close", || {
        view.state() == DisplayState::Disconnected(None)
    });
    window.destroy();
}
