//! The SPICE console view: a guest's SPICE display painted on the shared
//! [`DisplayCanvas`], with keyboard and mouse through SPICE's inputs channel, over
//! spice-client-glib (GTK-free; there is no GTK 4 `SpiceDisplay`).
//!
//! Its API mirrors the VNC view's so the console page treats both alike: open by host and
//! port or on sockets from libvirt (`virDomainOpenGraphicsFD`, one per channel), follow
//! [`DisplayState`], send key combinations, take a screenshot, scale.
//!
//! States: `Connecting` from an open; `Connected` once display 0 has a primary surface and
//! the inputs channel is open (again after each mode change); `AuthRequired` when the
//! server wants a password and none was given, `AuthFailed` when it refused the one given;
//! `Disconnected(None)` when the server closed the session in order (e.g. the guest shut
//! off) and after [`SpiceView::close`] (as the VNC view); `Disconnected(Some)` with a
//! sentence on errors and on a screen the canvas cannot show.
//!
//! Clipboard sharing and USB redirection are not here (a later issue).
//!
//! Submodules: [`session`] (the spice-client-glib session and its channels), [`ending`]
//! (channel events to states), [`cursor`] (the guest's pointer shape), [`surface`] (the
//! primary surface's checks and pixel formats), [`input`] (pointer and wheel to SPICE
//! messages), `view` (the glue between them and the canvas).

pub mod cursor;
pub mod ending;
pub mod input;
pub mod session;
pub mod surface;
mod view;

use std::cell::{Cell, RefCell};
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::time::Instant;

use gtk::gdk;

use crate::ui::widgets::display::canvas::DisplayCanvas;
use crate::ui::widgets::display::{keymap, DisplayState, Scaling, SendKey};
use session::{Link, Target};

/// How many sockets [`SpiceView::open_fds`] needs for a typical guest: main, display,
/// inputs and cursor (audio, USB redirection and smartcard channels are not opened).
/// Fewer than 3 cannot work; extra ones are closed unused.
pub const SOCKETS_NEEDED: usize = 4;

type StateCallback = Rc<dyn Fn(&SpiceView, &DisplayState)>;

/// Where the last session went, to reconnect after credentials.
#[derive(Debug, Clone)]
enum LastTarget {
    Host {
        host: String,
        port: u16,
        tls_port: Option<u16>,
    },
    Fds,
}

struct Inner {
    canvas: DisplayCanvas,
    link: RefCell<Option<Link>>,
    state: RefCell<DisplayState>,
    last_target: RefCell<Option<LastTarget>>,
    username: RefCell<Option<String>>,
    password: RefCell<Option<String>>,
    on_state: RefCell<Vec<StateCallback>>,
    /// Client mouse mode (absolute positions) rather than server mode.
    absolute: Cell<bool>,
    pointer: RefCell<input::Pointer>,
    /// The guest agent is connected (monitor configuration works).
    agent: Cell<bool>,
    resize_guest: Cell<bool>,
    /// A 16-bit primary surface widened to 32 bits (empty for 32-bit surfaces).
    shadow: RefCell<Vec<u8>>,
    /// Updates painted since the last open.
    frames: Cell<u64>,
    /// Display 0's primary surface, once there is one.
    surface_size: Cell<Option<(u32, u32)>>,
    /// The inputs channel is open.
    inputs_ready: Cell<bool>,
    opened_at: Cell<Option<Instant>>,
    first_frame_at: Cell<Option<Instant>>,
    /// The guest's pointer shape, shown in client mouse mode.
    cursor: RefCell<cursor::GuestCursor>,
}

/// A SPICE console; clones share the same view.
#[derive(Clone)]
pub struct SpiceView {
    inner: Rc<Inner>,
}

impl Default for SpiceView {
    fn default() -> Self {
        SpiceView::new()
    }
}

impl SpiceView {
    pub fn new() -> SpiceView {
        let view = SpiceView {
            inner: Rc::new(Inner {
                canvas: DisplayCanvas::new(),
                link: RefCell::default(),
                state: RefCell::default(),
                last_target: RefCell::default(),
                username: RefCell::default(),
                password: RefCell::default(),
                on_state: RefCell::default(),
                absolute: Cell::new(false),
                pointer: RefCell::default(),
                agent: Cell::new(false),
                resize_guest: Cell::new(false),
                shadow: RefCell::default(),
                frames: Cell::new(0),
                surface_size: Cell::new(None),
                inputs_ready: Cell::new(false),
                opened_at: Cell::new(None),
                first_frame_at: Cell::new(None),
                cursor: RefCell::new(cursor::GuestCursor::Default),
            }),
        };
        view::connect_canvas(&view);
        view
    }

    /// The widget to put on the page (the display canvas).
    pub fn widget(&self) -> &DisplayCanvas {
        &self.inner.canvas
    }

    /// Connects to a SPICE server at `host`, `port` (0: only TLS) and/or `tls_port`.
    pub fn open_host(&self, host: &str, port: u16, tls_port: Option<u16>) {
        let target = LastTarget::Host {
            host: host.to_owned(),
            port,
            tls_port,
        };
        self.open(
            target.clone(),
            Target::Host {
                host: host.to_owned(),
                port,
                tls_port,
            },
        );
    }

    /// Connects on sockets already connected to the server, one per channel (libvirt's
    /// `virDomainOpenGraphicsFD`, called [`SOCKETS_NEEDED`] times): the first serves the
    /// main channel, the rest the other channels as they open. When they run out before
    /// display and inputs have theirs, the state becomes `Disconnected` with a reason.
    /// After `AuthRequired`, pass the password with [`SpiceView::set_password`] or
    /// [`SpiceView::provide_credentials`] and call this again with fresh sockets.
    pub fn open_fds(&self, fds: Vec<OwnedFd>) {
        self.open(LastTarget::Fds, Target::Fds(fds));
    }

    /// The password for the next connection (`None`: none).
    pub fn set_password(&self, password: Option<String>) {
        self.inner.password.replace(password);
    }

    /// Credentials asked for by `AuthRequired` (or after `AuthFailed`): stored for the
    /// next connection; a host/port session reconnects at once, an fd session waits for
    /// [`SpiceView::open_fds`] (its sockets were used up).
    pub fn provide_credentials(&self, username: Option<&str>, password: &str) {
        self.inner.username.replace(username.map(str::to_owned));
        self.inner.password.replace(Some(password.to_owned()));
        let last = self.inner.last_target.borrow().clone();
        if let Some(LastTarget::Host {
            host,
            port,
            tls_port,
        }) = last
        {
            self.open_host(&host, port, tls_port);
        }
    }

    /// Disconnects; the state becomes `Disconnected(None)` (as the VNC view's close) unless
    /// nothing was open. The last picture stays on the canvas.
    pub fn close(&self) {
        let Some(link) = self.inner.link.take() else {
            return;
        };
        link.close();
        self.inner.canvas.release_all();
        self.set_state(DisplayState::Disconnected(None));
    }

    pub fn state(&self) -> DisplayState {
        self.inner.state.borrow().clone()
    }

    /// Called on every state change (after the view has changed).
    pub fn connect_state_changed(&self, f: impl Fn(&SpiceView, &DisplayState) + 'static) {
        self.inner.on_state.borrow_mut().push(Rc::new(f));
    }

    /// Presses the combination's keys in order and releases them in reverse order.
    pub fn send_key(&self, combo: SendKey) {
        let Some(inputs) = self.link_inputs() else {
            return;
        };
        let codes: Vec<u32> = combo
            .keys()
            .iter()
            .filter_map(|k| keymap::xt_from_evdev(k.evdev))
            .map(|sc| sc.spice())
            .collect();
        for &code in &codes {
            inputs.key_press(code);
        }
        for &code in codes.iter().rev() {
            inputs.key_release(code);
        }
    }

    /// The guest's screen as last painted (`None` before the first picture).
    pub fn screenshot(&self) -> Option<gdk::Texture> {
        self.inner.canvas.texture()
    }

    pub fn set_scaling(&self, scaling: Scaling) {
        self.inner.canvas.set_scaling(scaling);
    }

    /// Ask the guest to resize its screen to the view (SPICE monitor configuration
    /// through the main channel). Only guests running the SPICE agent (spice-vdagent)
    /// follow it; without one this does nothing ([`SpiceView::can_resize_guest`]).
    pub fn set_resize_guest(&self, resize: bool) {
        self.inner.resize_guest.set(resize);
        if resize {
            view::resize_guest(self);
        }
    }

    /// Whether the guest can follow [`SpiceView::set_resize_guest`] (its agent runs).
    pub fn can_resize_guest(&self) -> bool {
        self.inner.agent.get()
    }

    /// Updates painted since the last open.
    pub fn frames(&self) -> u64 {
        self.inner.frames.get()
    }

    /// When the first picture of the current (or last) session arrived.
    pub fn first_frame_at(&self) -> Option<Instant> {
        self.inner.first_frame_at.get()
    }

    /// When the current (or last) session was opened.
    pub fn opened_at(&self) -> Option<Instant> {
        self.inner.opened_at.get()
    }

    /// Called when the keyboard grab starts (`true`) or ends.
    pub fn connect_grab_changed(&self, f: impl Fn(bool) + 'static) {
        self.inner.canvas.connect_grab_changed(f);
    }

    fn open(&self, last: LastTarget, target: Target) {
        if let Some(old) = self.inner.link.take() {
            old.close();
        }
        self.inner.last_target.replace(Some(last));
        self.inner.pointer.borrow_mut().reset();
        self.inner.absolute.set(false);
        self.inner.agent.set(false);
        self.inner.cursor.replace(cursor::GuestCursor::Default);
        self.inner.canvas.set_guest_cursor(None, 0, 0);
        self.inner.frames.set(0);
        self.inner.surface_size.set(None);
        self.inner.inputs_ready.set(false);
        self.inner.opened_at.set(Some(Instant::now()));
        self.inner.first_frame_at.set(None);
        self.set_state(DisplayState::Connecting);
        let weak = Rc::downgrade(&self.inner);
        let username = self.inner.username.borrow().clone();
        let password = self.inner.password.borrow().clone();
        let link = Link::open(
            target,
            username.as_deref(),
            password.as_deref(),
            move |event| {
                if let Some(inner) = weak.upgrade() {
                    view::on_event(&SpiceView { inner }, event);
                }
            },
        );
        self.inner.link.replace(Some(link));
    }

    fn set_state(&self, state: DisplayState) {
        if *self.inner.state.borrow() == state {
            return;
        }
        self.inner.state.replace(state.clone());
        let callbacks = self.inner.on_state.borrow().clone();
        for f in callbacks {
            f(self, &state);
        }
    }

    fn link_inputs(&self) -> Option<spice_client_glib::InputsChannel> {
        self.inner.link.borrow().as_ref().and_then(Link::inputs)
    }
}
