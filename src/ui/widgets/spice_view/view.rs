//! The glue between the SPICE session and the display canvas: session events paint the
//! canvas and move the view's state; the canvas's keys, pointer and wheel go to the
//! inputs channel; the guest's pointer shape becomes the canvas's cursor; "resize guest"
//! follows the canvas's size through the main channel.

use std::rc::Rc;
use std::time::Instant;

use gtk::prelude::*;
use gtk::{gdk, glib};

use super::cursor::GuestCursor;
use super::input;
use super::session::LinkEvent;
use super::surface::{Rect, Surface};
use super::{Inner, SpiceView};
use crate::ui::widgets::display::DisplayState;

/// One event of the session.
pub(super) fn on_event(view: &SpiceView, event: LinkEvent) {
    let inner = &view.inner;
    match event {
        LinkEvent::Ended(state) => {
            drop_link(view);
            inner.canvas.release_all();
            view.set_state(state);
        }
        LinkEvent::PrimaryCreated => primary_created(view),
        LinkEvent::PrimaryDestroyed => inner.surface_size.set(None),
        LinkEvent::InputsReady => {
            inner.inputs_ready.set(true);
            maybe_connected(view);
        }
        LinkEvent::Invalidate { x, y, w, h } => paint(view, x, y, w, h),
        LinkEvent::MouseMode { absolute } => {
            log::debug!(
                "SPICE mouse mode: {}",
                if absolute { "client" } else { "server" }
            );
            inner.absolute.set(absolute);
            inner.pointer.borrow_mut().reset();
            show_cursor(view);
        }
        LinkEvent::Cursor(shape) => {
            inner.cursor.replace(shape);
            show_cursor(view);
        }
        LinkEvent::Agent(connected) => {
            inner.agent.set(connected);
            if connected && inner.resize_guest.get() {
                resize_guest(view);
            }
        }
    }
}

/// The session is over (or must be): close it outside of its own signal handler.
fn drop_link(view: &SpiceView) {
    if let Some(link) = view.inner.link.take() {
        link.close();
        glib::idle_add_local_once(move || drop(link));
    }
}

/// The screen cannot be shown: end the session with the reason.
fn fail(view: &SpiceView, reason: String) {
    drop_link(view);
    view.inner.canvas.release_all();
    view.set_state(DisplayState::Disconnected(Some(reason)));
}

fn primary_created(view: &SpiceView) {
    let Some(display) = view.inner.link.borrow().as_ref().and_then(|l| l.display()) else {
        return;
    };
    let Some(primary) = display.primary(0) else {
        return;
    };
    let (width, height) = match Surface::from_primary(&primary) {
        Ok(s) => (s.width, s.height),
        Err(e) => return fail(view, e.message()),
    };
    if let Err(reason) = view.inner.canvas.set_size(width, height) {
        return fail(view, reason);
    }
    view.inner.shadow.borrow_mut().clear();
    view.inner.surface_size.set(Some((width, height)));
    // What the surface already holds; the server's drawing follows as invalidations.
    paint(view, 0, 0, width as i32, height as i32);
    maybe_connected(view);
}

/// `Connected` once there is a picture and input reaches the guest (until then a key
/// from Send Key would be lost).
fn maybe_connected(view: &SpiceView) {
    let inner = &view.inner;
    if let (Some((width, height)), true) = (inner.surface_size.get(), inner.inputs_ready.get()) {
        view.set_state(DisplayState::Connected { width, height });
    }
}

/// Copies a changed rectangle of the primary surface to the canvas.
fn paint(view: &SpiceView, x: i32, y: i32, w: i32, h: i32) {
    let inner = &view.inner;
    let Some(display) = inner.link.borrow().as_ref().and_then(|l| l.display()) else {
        return;
    };
    let Some(primary) = display.primary(0) else {
        return;
    };
    let surface = match Surface::from_primary(&primary) {
        Ok(s) => s,
        Err(e) => return fail(view, e.message()),
    };
    // An invalidation can race a mode change: paint only what matches the canvas.
    if inner.canvas.frame_size() != (surface.width, surface.height) {
        return;
    }
    let Some(rect) = Rect::clip(
        x.into(),
        y.into(),
        w.into(),
        h.into(),
        surface.width,
        surface.height,
    ) else {
        return;
    };
    let mut shadow = inner.shadow.borrow_mut();
    let (pixels, stride) = surface.pixels(rect, &mut shadow);
    inner.canvas.update(
        rect.x as i32,
        rect.y as i32,
        rect.width as i32,
        rect.height as i32,
        pixels,
        stride,
    );
    inner.frames.set(inner.frames.get() + 1);
    if inner.first_frame_at.get().is_none() {
        inner.first_frame_at.set(Some(Instant::now()));
    }
}

/// The guest's pointer shape on the canvas in client mouse mode (where the local pointer
/// is the guest's); in server mode the desktop's own pointer.
fn show_cursor(view: &SpiceView) {
    let inner = &view.inner;
    let canvas = &inner.canvas;
    if !inner.absolute.get() {
        canvas.set_guest_cursor(None, 0, 0);
        return;
    }
    let texture = |w: u32, h: u32, rgba: &[u8]| -> gdk::Texture {
        gdk::MemoryTexture::new(
            w as i32,
            h as i32,
            gdk::MemoryFormat::R8g8b8a8,
            &glib::Bytes::from(rgba),
            w as usize * 4,
        )
        .upcast()
    };
    match &*inner.cursor.borrow() {
        GuestCursor::Default => canvas.set_guest_cursor(None, 0, 0),
        GuestCursor::Hidden => canvas.set_guest_cursor(Some(&texture(1, 1, &[0; 4])), 0, 0),
        GuestCursor::Image {
            width,
            height,
            hot_x,
            hot_y,
            rgba,
        } => canvas.set_guest_cursor(Some(&texture(*width, *height, rgba)), *hot_x, *hot_y),
    }
}

/// Keys, pointer and wheel from the canvas to the inputs channel.
pub(super) fn connect_canvas(view: &SpiceView) {
    let canvas = &view.inner.canvas;
    let weak = Rc::downgrade(&view.inner);
    canvas.connect_key(move |scancode, _keysym, pressed| {
        let Some(inputs) = weak.upgrade().and_then(|i| inputs_of(&i)) else {
            return;
        };
        if pressed {
            inputs.key_press(scancode.spice());
        } else {
            inputs.key_release(scancode.spice());
        }
    });
    let weak = Rc::downgrade(&view.inner);
    canvas.connect_pointer(move |x, y, buttons| {
        let Some(inner) = weak.upgrade() else { return };
        let Some(inputs) = inputs_of(&inner) else {
            return;
        };
        let ops = inner
            .pointer
            .borrow_mut()
            .moved(x, y, buttons, inner.absolute.get());
        input::apply(&inputs, &ops);
    });
    let weak = Rc::downgrade(&view.inner);
    canvas.connect_scroll(move |_dx, dy| {
        let Some(inner) = weak.upgrade() else { return };
        let Some(inputs) = inputs_of(&inner) else {
            return;
        };
        let ops = inner.pointer.borrow_mut().scrolled(dy);
        input::apply(&inputs, &ops);
    });
    let weak = Rc::downgrade(&view.inner);
    canvas.connect_resized(move |_, _| {
        if let Some(inner) = weak.upgrade() {
            resize_guest(&SpiceView { inner });
        }
    });
}

fn inputs_of(inner: &Inner) -> Option<spice_client_glib::InputsChannel> {
    inner.link.borrow().as_ref().and_then(|l| l.inputs())
}

/// While "resize guest" is on and the agent runs, ask the guest for the canvas's size in
/// device pixels (spice-client-glib waits a second before sending, so a drag of the
/// window sends one request).
pub(super) fn resize_guest(view: &SpiceView) {
    let inner = &view.inner;
    if !inner.resize_guest.get() || !inner.agent.get() {
        return;
    }
    let scale = inner.canvas.scale_factor();
    let (w, h) = (inner.canvas.width() * scale, inner.canvas.height() * scale);
    if w <= 0 || h <= 0 {
        return;
    }
    if let Some(main) = inner.link.borrow().as_ref().and_then(|l| l.main()) {
        main.update_display_enabled(0, true, false);
        main.update_display(0, 0, 0, w, h, true);
    }
}
