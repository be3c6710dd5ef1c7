//! The gvnc connection's signals, turned into [`DisplayState`] changes and canvas updates.
//!
//! Every handler first checks that its connection is still the view's current one (a
//! reopen replaces it), so a late signal from an old connection changes nothing.
//! Sizes the server announces are checked before a framebuffer is allocated; a refused
//! size ends the connection with that reason, before gvnc could write past our memory.

use std::rc::Weak;
use std::time::{Duration, Instant};

use gtk::gdk;
use gtk::glib;
use gtk::glib::translate::IntoGlib;
use gtk::prelude::*;

use gettextrs::gettext;
use gvnc::FramebufferManualExt;
use gvnc::{ConnectionAuth as Auth, ConnectionAuthVencrypt as Sub, ConnectionCredential};

use super::framebuffer::{self, enum_value};
use super::{Inner, VncView};
use crate::i18n::gettext_f;
use crate::ui::widgets::display::DisplayState;

/// Authentication types in order of preference (encrypted first).
const AUTHS: [Auth; 5] = [Auth::Vencrypt, Auth::Tls, Auth::Vnc, Auth::None, Auth::Sasl];
/// VeNCrypt sub-types in order of preference.
const VENCRYPT: [Sub; 9] = [
    Sub::X509vnc,
    Sub::X509none,
    Sub::X509sasl,
    Sub::X509plain,
    Sub::Tlsvnc,
    Sub::Tlsnone,
    Sub::Tlssasl,
    Sub::Tlsplain,
    Sub::Plain,
];
/// How long the view's size must hold still before the guest is asked to follow it.
const RESIZE_DELAY: Duration = Duration::from_millis(300);

/// The view, if `serial` is still its current connection.
fn current(weak: &Weak<Inner>, serial: u64) -> Option<VncView> {
    let view = VncView::from_weak(weak)?;
    let live = view.inner.session.borrow().as_ref().map(|s| s.serial) == Some(serial);
    live.then_some(view)
}

pub(super) fn wire(view: &VncView, conn: &gvnc::Connection, serial: u64) {
    conn.connect_vnc_auth_choose_type(|conn, types| {
        let offered: Vec<i32> = types.iter().filter_map(enum_value).collect();
        let prefs = AUTHS.map(|a| a.into_glib());
        choose(conn, &offered, &prefs, false);
    });
    conn.connect_vnc_auth_choose_subtype(|conn, kind, subtypes| {
        let offered: Vec<i32> = subtypes.iter().filter_map(enum_value).collect();
        let prefs: Vec<i32> = if kind as i32 == Auth::Vencrypt.into_glib() {
            VENCRYPT.iter().map(|s| s.into_glib()).collect()
        } else {
            AUTHS.iter().map(|a| a.into_glib()).collect()
        };
        choose(conn, &offered, &prefs, true);
    });
    let w = view.downgrade();
    conn.connect_vnc_auth_credential(move |conn, creds| {
        if let Some(v) = current(&w, serial) {
            credentials_wanted(&v, conn, creds.iter().filter_map(enum_value).collect());
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_auth_failure(move |_, reason| {
        if let Some(v) = current(&w, serial) {
            // A remembered password that failed is not tried again.
            v.inner.password.replace(None);
            let reason = if reason.trim().is_empty() {
                gettext("The password was not accepted.")
            } else {
                reason.to_owned()
            };
            v.set_state(DisplayState::AuthFailed(reason));
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_auth_unsupported(move |conn, kind| {
        if let Some(v) = current(&w, serial) {
            let why = gettext_f(
                "The display asks for an authentication method this app does not support (type {type}).",
                &[("type", &kind.to_string())],
            );
            refuse(&v, conn, why);
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_error(move |_, message| {
        if let Some(v) = current(&w, serial) {
            log::info!("VNC error: {message}");
            let mut error = v.inner.error.borrow_mut();
            if error.is_none() {
                *error = Some(gettext_f(
                    "The display connection failed: {reason}",
                    &[("reason", message)],
                ));
            }
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_initialized(move |conn| {
        if let Some(v) = current(&w, serial) {
            initialized(&v, conn);
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_desktop_resize(move |conn, width, height| {
        if let Some(v) = current(&w, serial) {
            resized(&v, conn, width, height);
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_framebuffer_update(move |_, x, y, width, height| {
        if let Some(v) = current(&w, serial) {
            updated(&v, x, y, width, height);
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_pointer_mode_changed(move |_, absolute| {
        if let Some(v) = current(&w, serial) {
            v.inner.abs_pointer.set(absolute);
            v.inner.last_pointer.set(None);
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_cursor_changed(move |_, cursor| {
        if let Some(v) = current(&w, serial) {
            cursor_changed(&v, cursor);
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_bell(move |_| {
        if let Some(v) = current(&w, serial) {
            v.inner.canvas.error_bell();
        }
    });
    let w = view.downgrade();
    conn.connect_vnc_disconnected(move |_| {
        if let Some(v) = current(&w, serial) {
            ended(&v);
        }
    });
}

/// Pick the first preferred type the server offers; none: end the connection.
fn choose(conn: &gvnc::Connection, offered: &[i32], prefs: &[i32], sub: bool) {
    let pick = prefs.iter().find(|p| offered.contains(p));
    let done = match pick {
        Some(&p) if sub => conn.set_auth_subtype(p as u32),
        Some(&p) => conn.set_auth_type(p as u32),
        None => {
            log::info!("VNC: no supported authentication among {offered:?}");
            conn.shutdown();
            return;
        }
    };
    if let Err(e) = done {
        log::warn!("VNC: cannot choose authentication: {e}");
        conn.shutdown();
    }
}

fn credentials_wanted(view: &VncView, conn: &gvnc::Connection, wanted: Vec<i32>) {
    let is = |c: ConnectionCredential| wanted.contains(&c.into_glib());
    if is(ConnectionCredential::Clientname) {
        // x509 VeNCrypt: gvnc loads the CA and client certificates by this name from
        // /etc/pki and ~/.pki; "libvirt" is where virt-manager's setups keep them.
        let _ = conn.set_credential(ConnectionCredential::Clientname.into_glib(), "libvirt");
    }
    let username = is(ConnectionCredential::Username);
    let password = is(ConnectionCredential::Password);
    let known = view.inner.password.borrow().clone();
    match (username, password, known) {
        (false, false, _) => {}
        (false, true, Some(p)) => {
            let _ = conn.set_credential(ConnectionCredential::Password.into_glib(), &p);
        }
        _ => view.set_state(DisplayState::AuthRequired { username }),
    }
}

pub(super) fn give_credentials(conn: &gvnc::Connection, username: Option<&str>, password: &str) {
    // gvnc waits until every credential it asked for is set: an absent user name is "".
    let _ = conn.set_credential(
        ConnectionCredential::Username.into_glib(),
        username.unwrap_or_default(),
    );
    let _ = conn.set_credential(ConnectionCredential::Password.into_glib(), password);
}

/// End the connection with `why` as the reason shown.
fn refuse(view: &VncView, conn: &gvnc::Connection, why: String) {
    log::warn!("VNC: {why}");
    view.inner.error.replace(Some(why));
    conn.shutdown();
}

fn initialized(view: &VncView, conn: &gvnc::Connection) {
    let (w, h) = (conn.width().max(0) as u32, conn.height().max(0) as u32);
    log::debug!("VNC: initialized, {w} × {h}");
    if let Err(e) = conn.set_pixel_format(&framebuffer::local_format()) {
        return refuse(view, conn, e.to_string());
    }
    if !install_framebuffer(view, conn, w, h) {
        return;
    }
    let local = view.inner.local.get();
    if let Err(e) = conn.set_encodings(&framebuffer::encodings(local)) {
        return refuse(view, conn, e.to_string());
    }
    view.inner.abs_pointer.set(conn.is_abs_pointer());
    let _ = conn.framebuffer_update_request(false, 0, 0, w as u16, h as u16);
    view.set_state(DisplayState::Connected {
        width: w,
        height: h,
    });
    if view.inner.resize_guest.get() {
        let (cw, ch) = super::input::canvas_size(view);
        schedule_guest_resize(view, cw, ch);
    }
}

/// A new framebuffer of `w` × `h` for gvnc and the canvas; `false` (and the connection
/// ending) when that size is refused.
fn install_framebuffer(view: &VncView, conn: &gvnc::Connection, w: u32, h: u32) -> bool {
    let fb = match framebuffer::new_framebuffer(w, h) {
        Ok(fb) => fb,
        Err(why) => {
            refuse(view, conn, why);
            return false;
        }
    };
    if let Err(e) = conn.set_framebuffer(&fb) {
        refuse(view, conn, e.to_string());
        return false;
    }
    if let Some(s) = view.inner.session.borrow_mut().as_mut() {
        s.fb = Some(fb);
    }
    if let Err(why) = view.inner.canvas.set_size(w, h) {
        refuse(view, conn, why);
        return false;
    }
    true
}

fn resized(view: &VncView, conn: &gvnc::Connection, width: i32, height: i32) {
    let (w, h) = (width.max(0) as u32, height.max(0) as u32);
    if !install_framebuffer(view, conn, w, h) {
        return;
    }
    let _ = conn.framebuffer_update_request(false, 0, 0, w as u16, h as u16);
    view.set_state(DisplayState::Connected {
        width: w,
        height: h,
    });
}

fn updated(view: &VncView, x: i32, y: i32, w: i32, h: i32) {
    let inner = &view.inner;
    {
        let session = inner.session.borrow();
        let Some(fb) = session.as_ref().and_then(|s| s.fb.as_ref()) else {
            return;
        };
        let stride = gvnc::prelude::FramebufferExt::rowstride(fb).max(0) as usize;
        inner.canvas.update(x, y, w, h, fb.buffer(), stride);
    }
    inner.frames.set(inner.frames.get() + 1);
    if inner.first_frame.get().is_none() {
        log::debug!("VNC: first update");
        inner.first_frame.set(Some(Instant::now()));
    }
    request_update(view);
}

/// Ask for the next incremental update once this burst of rectangles is handled.
fn request_update(view: &VncView) {
    if view.inner.update_queued.replace(true) {
        return;
    }
    let weak = view.downgrade();
    glib::idle_add_local_once(move || {
        let Some(v) = VncView::from_weak(&weak) else {
            return;
        };
        v.inner.update_queued.set(false);
        if let Some(conn) = v.ready_connection() {
            let (w, h) = (conn.width().max(0) as u16, conn.height().max(0) as u16);
            let _ = conn.framebuffer_update_request(true, 0, 0, w, h);
        }
    });
}

fn cursor_changed(view: &VncView, cursor: Option<&gvnc::Cursor>) {
    let canvas = &view.inner.canvas;
    match cursor
        .filter(|c| c.width() > 0 && c.height() > 0 && c.width() <= 512 && c.height() <= 512)
    {
        Some(c) => {
            let bytes = glib::Bytes::from(c.data());
            let texture = gdk::MemoryTexture::new(
                i32::from(c.width()),
                i32::from(c.height()),
                gdk::MemoryFormat::R8g8b8a8,
                &bytes,
                usize::from(c.width()) * 4,
            );
            canvas.set_guest_cursor(Some(texture.upcast_ref()), c.hotx().into(), c.hoty().into());
        }
        None => canvas.set_guest_cursor(None, 0, 0),
    }
}

/// The connection ended: report why, and let go of it.
fn ended(view: &VncView) {
    let inner = &view.inner;
    inner.canvas.release_all();
    let session = inner.session.take();
    if let Some(id) = inner.resize_timer.take() {
        id.remove();
    }
    let state = match &*inner.state.borrow() {
        failed @ DisplayState::AuthFailed(_) => failed.clone(),
        _ if inner.closing.get() => DisplayState::Disconnected(None),
        _ => DisplayState::Disconnected(Some(
            inner
                .error
                .take()
                .unwrap_or_else(|| gettext("The display closed the connection.")),
        )),
    };
    view.set_state(state);
    // Released outside the signal handler of the connection itself.
    glib::idle_add_local_once(move || drop(session));
}

/// Ask the guest to take the view's size once it holds still.
pub(super) fn schedule_guest_resize(view: &VncView, width: u32, height: u32) {
    let inner = &view.inner;
    if !inner.resize_guest.get() || width == 0 || height == 0 {
        return;
    }
    if let Some(id) = inner.resize_timer.take() {
        id.remove();
    }
    let weak = view.downgrade();
    let id = glib::timeout_add_local_once(RESIZE_DELAY, move || {
        let Some(v) = VncView::from_weak(&weak) else {
            return;
        };
        v.inner.resize_timer.replace(None);
        let Some(conn) = v.ready_connection() else {
            return;
        };
        let scale = v.inner.canvas.scale_factor().max(1) as u32;
        let status = conn.set_size(width * scale, height * scale);
        if status != gvnc::ConnectionResizeStatus::Ok {
            log::info!("VNC: the server cannot resize the guest ({status:?})");
        }
    });
    inner.resize_timer.replace(Some(id));
}
