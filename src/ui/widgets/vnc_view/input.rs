//! The canvas's input sent to the VNC server: keys as QEMU extended key events (XT
//! scancode plus keysym; gvnc falls back to the keysym alone where the server lacks the
//! extension), the pointer absolute or relative as the server asks, scroll steps as
//! wheel buttons 4–7, and Send Key combinations.

use gtk::prelude::*;

use super::{session, VncView};
use crate::ui::widgets::display::keymap::{self, XtScancode};
use crate::ui::widgets::display::SendKey;

/// VNC button-mask bits of the wheel: up, down, left, right.
const WHEEL_UP: u32 = 8;
const WHEEL_DOWN: u32 = 16;
const WHEEL_LEFT: u32 = 32;
const WHEEL_RIGHT: u32 = 64;
/// The centre QEMU measures relative motion from.
const RELATIVE_ORIGIN: i64 = 0x7fff;

pub(super) fn attach(view: &VncView) {
    let canvas = view.widget();
    let w = view.downgrade();
    canvas.connect_key(move |code, keysym, pressed| {
        if let Some(v) = VncView::from_weak(&w) {
            key(&v, code, keysym, pressed);
        }
    });
    let w = view.downgrade();
    canvas.connect_pointer(move |x, y, buttons| {
        if let Some(v) = VncView::from_weak(&w) {
            v.inner.buttons.set(buttons);
            pointer(&v, x, y, buttons);
        }
    });
    let w = view.downgrade();
    canvas.connect_scroll(move |dx, dy| {
        if let Some(v) = VncView::from_weak(&w) {
            scroll(&v, dx, dy);
        }
    });
    let w = view.downgrade();
    canvas.connect_resized(move |width, height| {
        if let Some(v) = VncView::from_weak(&w) {
            session::schedule_guest_resize(&v, width, height);
        }
    });
}

/// One key down or up, as the canvas reports it (and as tests drive it).
pub(super) fn key(view: &VncView, code: XtScancode, keysym: u32, pressed: bool) {
    if let Some(conn) = view.ready_connection() {
        if let Err(e) = conn.key_event(pressed, keysym, code.qnum() as u16) {
            log::debug!("VNC key event not sent: {e}");
        }
    }
}

fn pointer(view: &VncView, x: u32, y: u32, buttons: u32) {
    let Some(conn) = view.ready_connection() else {
        return;
    };
    let inner = &view.inner;
    let (px, py) = if inner.abs_pointer.get() {
        (i64::from(x), i64::from(y))
    } else {
        // Relative: the distance moved since the last event, around QEMU's origin.
        let (lx, ly) = inner.last_pointer.get().unwrap_or((x, y));
        (
            RELATIVE_ORIGIN + i64::from(x) - i64::from(lx),
            RELATIVE_ORIGIN + i64::from(y) - i64::from(ly),
        )
    };
    inner.last_pointer.set(Some((x, y)));
    let clamp = |v: i64| v.clamp(0, i64::from(u16::MAX)) as u16;
    let _ = conn.pointer_event(buttons as u8, clamp(px), clamp(py));
}

fn scroll(view: &VncView, dx: f64, dy: f64) {
    let Some(conn) = view.ready_connection() else {
        return;
    };
    let inner = &view.inner;
    let (x, y) = if inner.abs_pointer.get() {
        inner.last_pointer.get().unwrap_or((0, 0))
    } else {
        (RELATIVE_ORIGIN as u32, RELATIVE_ORIGIN as u32)
    };
    let held = inner.buttons.get();
    let steps = |d: f64| (d.abs().round() as u32).clamp(u32::from(d != 0.0), 10);
    let clicks = [
        (WHEEL_UP, steps(dy.min(0.0))),
        (WHEEL_DOWN, steps(dy.max(0.0))),
        (WHEEL_LEFT, steps(dx.min(0.0))),
        (WHEEL_RIGHT, steps(dx.max(0.0))),
    ];
    for (bit, n) in clicks {
        for _ in 0..n {
            let _ = conn.pointer_event((held | bit) as u8, x as u16, y as u16);
            let _ = conn.pointer_event(held as u8, x as u16, y as u16);
        }
    }
}

/// Press the combination's keys in order, release them in reverse.
pub(super) fn send_combo(view: &VncView, combo: SendKey) {
    let keys: Vec<_> = combo
        .keys()
        .into_iter()
        .filter_map(|k| keymap::xt_from_evdev(k.evdev).map(|code| (code, k.keysym)))
        .collect();
    for &(code, keysym) in &keys {
        key(view, code, keysym, true);
    }
    for &(code, keysym) in keys.iter().rev() {
        key(view, code, keysym, false);
    }
}

/// The canvas's size, for a guest resize asked for before any allocation change.
pub(super) fn canvas_size(view: &VncView) -> (u32, u32) {
    let c = view.widget();
    (c.width().max(0) as u32, c.height().max(0) as u32)
}
