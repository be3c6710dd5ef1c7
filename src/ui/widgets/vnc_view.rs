//! [`VncView`]: a machine's VNC console, over gvnc (gtk-vnc's GTK-free core, running as
//! coroutines on the GLib main loop), painted into a [`DisplayCanvas`].
//!
//! Open it on a socket from libvirt ([`VncView::open_fd`]) or an address
//! ([`VncView::open_host`]); follow [`DisplayState`] through
//! [`VncView::connect_state_changed`]. A password from the domain XML can be given up
//! front ([`VncView::set_password`]); otherwise the view reports
//! `AuthRequired` and waits for [`VncView::provide_credentials`]. `session` wires the
//! connection's signals, `framebuffer` owns the pixel memory gvnc writes into, `input`
//! turns the canvas's input into VNC events.

mod framebuffer;
mod input;
mod session;

use std::cell::{Cell, RefCell};
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::rc::{Rc, Weak};
use std::time::Instant;

use gtk::glib;

use crate::i18n::gettext_f;
use crate::ui::widgets::display::canvas::DisplayCanvas;
use crate::ui::widgets::display::{DisplayState, Scaling, SendKey};

type StateFn = Rc<dyn Fn(&VncView, &DisplayState)>;

/// One open connection; replaced whole on every open, so signals from an older one
/// (told apart by `serial`) change nothing.
struct Session {
    conn: gvnc::Connection,
    serial: u64,
    /// Where gvnc writes pixels now (replaced on desktop resize).
    fb: Option<gvnc::BaseFramebuffer>,
}

#[derive(Default)]
struct Inner {
    canvas: DisplayCanvas,
    session: RefCell<Option<Session>>,
    serial: Cell<u64>,
    state: RefCell<DisplayState>,
    password: RefCell<Option<String>>,
    /// The error gvnc reported last, shown when the connection ends.
    error: RefCell<Option<String>>,
    /// `close()` was asked for: the end is a clean one.
    closing: Cell<bool>,
    resize_guest: Cell<bool>,
    /// The server is on this machine (a libvirt socket or a loopback address).
    local: Cell<bool>,
    resize_timer: RefCell<Option<glib::SourceId>>,
    /// A framebuffer update request is queued (one per burst of rectangles).
    update_queued: Cell<bool>,
    abs_pointer: Cell<bool>,
    last_pointer: Cell<Option<(u32, u32)>>,
    buttons: Cell<u32>,
    frames: Cell<u64>,
    first_frame: Cell<Option<Instant>>,
    on_state: RefCell<Vec<StateFn>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(s) = self.session.get_mut().take() {
            s.conn.shutdown();
        }
    }
}

/// A VNC console. Clones share the same view.
#[derive(Clone)]
pub struct VncView {
    inner: Rc<Inner>,
}

impl Default for VncView {
    fn default() -> Self {
        VncView::new()
    }
}

impl VncView {
    pub fn new() -> VncView {
        let view = VncView {
            inner: Rc::new(Inner::default()),
        };
        view.inner.abs_pointer.set(true);
        input::attach(&view);
        view
    }

    fn from_weak(weak: &Weak<Inner>) -> Option<VncView> {
        weak.upgrade().map(|inner| VncView { inner })
    }

    fn downgrade(&self) -> Weak<Inner> {
        Rc::downgrade(&self.inner)
    }

    /// The widget to put on screen (the lead sets its accessible label).
    pub fn widget(&self) -> &DisplayCanvas {
        &self.inner.canvas
    }

    /// Connect over a socket already open to the VNC server (from
    /// `virDomainOpenGraphicsFD`). The socket is handed to gvnc, which closes it.
    pub fn open_fd(&self, fd: OwnedFd) {
        let Some(conn) = self.start() else { return };
        self.inner.local.set(true);
        log::debug!("VNC: connecting over a socket from libvirt");
        let raw = fd.into_raw_fd();
        if let Err(e) = conn.open_fd(raw) {
            // SAFETY: gvnc refused the socket, so it is still ours and closed once here.
            drop(unsafe { OwnedFd::from_raw_fd(raw) });
            self.fail(e.to_string());
        }
    }

    /// Connect to `host`:`port` over TCP.
    pub fn open_host(&self, host: &str, port: u16) {
        let Some(conn) = self.start() else { return };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        self.inner.local.set(loopback);
        log::debug!("VNC: connecting to {host}:{port}");
        if let Err(e) = conn.open_host(host, &port.to_string()) {
            self.fail(e.to_string());
        }
    }

    /// A fresh connection with its signals wired (any previous one is closed).
    fn start(&self) -> Option<gvnc::Connection> {
        self.drop_session();
        let inner = &self.inner;
        inner.error.replace(None);
        inner.closing.set(false);
        inner.frames.set(0);
        inner.first_frame.set(None);
        inner.abs_pointer.set(true);
        inner.last_pointer.set(None);
        inner.update_queued.set(false);
        let serial = inner.serial.get() + 1;
        inner.serial.set(serial);
        let conn = gvnc::Connection::new();
        session::wire(self, &conn, serial);
        if let Err(e) = conn.set_shared(true) {
            self.fail(e.to_string());
            return None;
        }
        inner.session.replace(Some(Session {
            conn: conn.clone(),
            serial,
            fb: None,
        }));
        self.set_state(DisplayState::Connecting);
        Some(conn)
    }

    /// Forget the current connection (shutting it down) without reporting anything.
    fn drop_session(&self) {
        if let Some(id) = self.inner.resize_timer.take() {
            id.remove();
        }
        if let Some(s) = self.inner.session.take() {
            s.conn.shutdown();
        }
    }

    fn fail(&self, reason: String) {
        self.drop_session();
        self.set_state(DisplayState::Disconnected(Some(gettext_f(
            "Cannot connect to the display: {reason}",
            &[("reason", &reason)],
        ))));
    }

    /// Answer `AuthRequired`: the user name (when asked for) and the password.
    pub fn provide_credentials(&self, username: Option<&str>, password: &str) {
        if !matches!(
            *self.inner.state.borrow(),
            DisplayState::AuthRequired { .. }
        ) {
            log::debug!("VNC credentials given while not asked for: ignored");
            return;
        }
        let Some(conn) = self.connection() else {
            return;
        };
        self.set_state(DisplayState::Connecting);
        session::give_credentials(&conn, username, password);
    }

    /// A password to answer the server with, without asking (e.g. the XML's `passwd`).
    pub fn set_password(&self, password: Option<String>) {
        self.inner.password.replace(password);
    }

    /// Close the connection; the state becomes `Disconnected(None)` once it has ended.
    pub fn close(&self) {
        let Some(conn) = self.connection() else {
            return;
        };
        self.inner.closing.set(true);
        self.inner.canvas.release_all();
        conn.shutdown();
    }

    pub fn state(&self) -> DisplayState {
        self.inner.state.borrow().clone()
    }

    /// Called on every state change, on the main thread.
    pub fn connect_state_changed(&self, f: impl Fn(&VncView, &DisplayState) + 'static) {
        self.inner.on_state.borrow_mut().push(Rc::new(f));
    }

    fn set_state(&self, state: DisplayState) {
        if *self.inner.state.borrow() == state {
            return;
        }
        log::debug!("VNC view: {state:?}");
        self.inner.state.replace(state.clone());
        let handlers = self.inner.on_state.borrow().clone();
        for f in handlers {
            f(self, &state);
        }
    }

    /// Press the keys of a combination in order, then release them in reverse.
    pub fn send_key(&self, combo: SendKey) {
        input::send_combo(self, combo);
    }

    /// The guest's screen as it is now (for "Take screenshot").
    pub fn screenshot(&self) -> Option<gtk::gdk::Texture> {
        self.inner.canvas.texture()
    }

    pub fn set_scaling(&self, scaling: Scaling) {
        self.inner.canvas.set_scaling(scaling);
    }

    /// Ask the server to resize the guest's screen to the view (where the server and the
    /// guest's graphics driver support it: QEMU's ExtendedDesktopSize).
    pub fn set_resize_guest(&self, on: bool) {
        self.inner.resize_guest.set(on);
        if on {
            let (w, h) = input::canvas_size(self);
            session::schedule_guest_resize(self, w, h);
        }
    }

    /// Framebuffer updates received since the last open.
    pub fn frames(&self) -> u64 {
        self.inner.frames.get()
    }

    /// When the first update after the last open arrived.
    pub fn first_frame_at(&self) -> Option<Instant> {
        self.inner.first_frame.get()
    }

    /// The keyboard grab started or ended (see [`DisplayCanvas::connect_grab_changed`]).
    pub fn connect_grab_changed(&self, f: impl Fn(bool) + 'static) {
        self.inner.canvas.connect_grab_changed(f);
    }

    /// The open, initialized connection, if any.
    fn connection(&self) -> Option<gvnc::Connection> {
        self.inner.session.borrow().as_ref().map(|s| s.conn.clone())
    }

    fn ready_connection(&self) -> Option<gvnc::Connection> {
        self.connection()
            .filter(|c| c.is_initialized() && !c.has_error())
    }
}
