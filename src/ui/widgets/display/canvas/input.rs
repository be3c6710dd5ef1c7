//! The canvas's input: GDK events turned into guest input, and the keyboard grab.
//!
//! Keys become XT scancodes ([`keymap::xt_from_gdk`]); each press is remembered with its
//! keysym so the release reports the same keysym (Shift may have been let go meanwhile)
//! and so every held key can be released when focus leaves: no stuck keys in the guest.
//! Pointer positions are mapped back through the canvas's [`Layout`] to guest pixels.
//! The grab: focus in (or a click) inhibits the desktop's shortcuts so Alt+Tab or Super
//! reach the guest; Ctrl+Alt alone, or focus out, restores them.

use gtk::glib::translate::IntoGlib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gdk, glib};

use super::super::keymap::{self, XtScancode};
use super::DisplayCanvas;

/// Left and right Control, left and right Alt, as QEMU key numbers.
const CTRL: [u32; 2] = [0x1d, 0x9d];
const ALT: [u32; 2] = [0x38, 0xb8];

#[derive(Debug, Default)]
pub(crate) struct InputState {
    /// Keys held down: (scancode, keysym of the press), in press order.
    pressed: Vec<(XtScancode, u32)>,
    /// VNC button mask of the buttons held down.
    buttons: u32,
    /// The last pointer position, in widget coordinates.
    position: Option<(f64, f64)>,
    pub(crate) grabbed: bool,
}

pub(super) fn attach(canvas: &DisplayCanvas) {
    let keys = gtk::EventControllerKey::new();
    let c = canvas.downgrade();
    keys.connect_key_pressed(move |_, keyval, keycode, _| {
        if let Some(c) = c.upgrade() {
            gdk_key(&c, keyval, keycode, true);
        }
        glib::Propagation::Stop
    });
    let c = canvas.downgrade();
    keys.connect_key_released(move |_, keyval, keycode, _| {
        if let Some(c) = c.upgrade() {
            gdk_key(&c, keyval, keycode, false);
        }
    });
    canvas.add_controller(keys);

    let focus = gtk::EventControllerFocus::new();
    let c = canvas.downgrade();
    focus.connect_enter(move |_| {
        if let Some(c) = c.upgrade() {
            set_grab(&c, true);
        }
    });
    let c = canvas.downgrade();
    focus.connect_leave(move |_| {
        if let Some(c) = c.upgrade() {
            release_all(&c);
        }
    });
    canvas.add_controller(focus);

    // Buttons and motion as raw events: a click gesture would drop a release when the
    // pointer moves too far, leaving a button stuck down in the guest.
    let pointer = gtk::EventControllerLegacy::new();
    let c = canvas.downgrade();
    pointer.connect_event(move |_, event| match c.upgrade() {
        Some(c) => pointer_event(&c, event),
        None => glib::Propagation::Proceed,
    });
    canvas.add_controller(pointer);

    let scroll = gtk::EventControllerScroll::new(
        gtk::EventControllerScrollFlags::BOTH_AXES | gtk::EventControllerScrollFlags::DISCRETE,
    );
    let c = canvas.downgrade();
    scroll.connect_scroll(move |_, dx, dy| {
        if let Some(c) = c.upgrade() {
            let handlers = c.imp().on_scroll.borrow().clone();
            for f in handlers {
                f(dx, dy);
            }
        }
        glib::Propagation::Stop
    });
    canvas.add_controller(scroll);
}

fn gdk_key(canvas: &DisplayCanvas, keyval: gdk::Key, keycode: u32, pressed: bool) {
    match keymap::xt_from_gdk(keycode) {
        Some(code) => key(canvas, code, keyval.into_glib(), pressed),
        None => log::debug!("key {keyval:?} (hardware code {keycode}) has no PC scancode"),
    }
}

/// One key press or release: report it, remember it, and end the grab on Ctrl+Alt.
pub(super) fn key(canvas: &DisplayCanvas, code: XtScancode, keysym: u32, pressed: bool) {
    let imp = canvas.imp();
    let keysym = {
        let mut state = imp.input.borrow_mut();
        let held = state.pressed.iter().position(|(c, _)| *c == code);
        match (pressed, held) {
            (true, None) => {
                state.pressed.push((code, keysym));
                keysym
            }
            // Auto-repeat: the guest repeats like a real keyboard's make codes.
            (true, Some(_)) => keysym,
            (false, Some(i)) => state.pressed.remove(i).1,
            // A release whose press we never saw (focus came in with the key down).
            (false, None) => return,
        }
    };
    let handlers = imp.on_key.borrow().clone();
    for f in &handlers {
        f(code, keysym, pressed);
    }
    if pressed && canvas.is_grabbed() && only_ctrl_alt(&imp.input.borrow().pressed) {
        set_grab(canvas, false);
    }
}

fn only_ctrl_alt(pressed: &[(XtScancode, u32)]) -> bool {
    let q: Vec<u32> = pressed.iter().map(|(c, _)| c.qnum()).collect();
    q.iter().any(|k| CTRL.contains(k))
        && q.iter().any(|k| ALT.contains(k))
        && q.iter().all(|k| CTRL.contains(k) || ALT.contains(k))
}

/// Release every held key and button in the guest and end the grab.
pub(super) fn release_all(canvas: &DisplayCanvas) {
    let imp = canvas.imp();
    let (keys, buttons, position) = {
        let mut state = imp.input.borrow_mut();
        let keys = std::mem::take(&mut state.pressed);
        (keys, std::mem::take(&mut state.buttons), state.position)
    };
    let handlers = imp.on_key.borrow().clone();
    for (code, keysym) in keys.into_iter().rev() {
        for f in &handlers {
            f(code, keysym, false);
        }
    }
    if buttons != 0 {
        if let Some((x, y)) = position {
            report_pointer(canvas, x, y, 0);
        }
    }
    set_grab(canvas, false);
}

/// Inhibit (or restore) the desktop's keyboard shortcuts on our window.
pub(super) fn set_grab(canvas: &DisplayCanvas, on: bool) {
    let imp = canvas.imp();
    if imp.input.borrow().grabbed == on {
        return;
    }
    imp.input.borrow_mut().grabbed = on;
    let toplevel = canvas
        .native()
        .and_then(|n| n.surface())
        .and_then(|s| s.downcast::<gdk::Toplevel>().ok());
    if let Some(t) = toplevel {
        if on {
            t.inhibit_system_shortcuts(None::<&gdk::Event>);
        } else {
            t.restore_system_shortcuts();
        }
    }
    let handlers = imp.on_grab.borrow().clone();
    for f in handlers {
        f(on);
    }
}

fn pointer_event(canvas: &DisplayCanvas, event: &gdk::Event) -> glib::Propagation {
    let kind = event.event_type();
    let bit = |e: &gdk::Event| {
        e.downcast_ref::<gdk::ButtonEvent>()
            .map(|b| match b.button() {
                n @ 1..=3 => [1, 2, 4][n as usize - 1],
                _ => 0,
            })
            .unwrap_or(0)
    };
    let buttons = canvas.imp().input.borrow().buttons;
    let buttons = match kind {
        gdk::EventType::ButtonPress => {
            if !canvas.has_focus() {
                canvas.grab_focus();
            } else if !canvas.is_grabbed() {
                set_grab(canvas, true);
            }
            buttons | bit(event)
        }
        gdk::EventType::ButtonRelease => buttons & !bit(event),
        gdk::EventType::MotionNotify => buttons,
        _ => return glib::Propagation::Proceed,
    };
    let Some((x, y)) = widget_point(canvas, event) else {
        return glib::Propagation::Proceed;
    };
    {
        let mut state = canvas.imp().input.borrow_mut();
        state.buttons = buttons;
        state.position = Some((x, y));
    }
    report_pointer(canvas, x, y, buttons);
    glib::Propagation::Stop
}

fn report_pointer(canvas: &DisplayCanvas, x: f64, y: f64, buttons: u32) {
    let imp = canvas.imp();
    if imp.frame.borrow().width() == 0 {
        return;
    }
    let (gx, gy) = imp.layout().to_guest(x, y);
    let handlers = imp.on_pointer.borrow().clone();
    for f in handlers {
        f(gx, gy, buttons);
    }
}

/// An event's position in the canvas's coordinates (events carry surface coordinates).
fn widget_point(canvas: &DisplayCanvas, event: &gdk::Event) -> Option<(f64, f64)> {
    let (ex, ey) = event.position()?;
    let native = canvas.native()?;
    let (sx, sy) = native.surface_transform();
    #[allow(deprecated)]
    native.translate_coordinates(canvas, ex - sx, ey - sy)
}
