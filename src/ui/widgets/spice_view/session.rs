//! One SPICE session over spice-client-glib: the main, display, inputs and cursor
//! channels, opened by host and port or on sockets handed in (libvirt's
//! `virDomainOpenGraphicsFD`, one connected socket per channel), turned into
//! [`LinkEvent`]s for the view.
//!
//! spice-client-glib runs each channel as a coroutine on the GLib main context and emits
//! its signals there, so nothing here blocks the UI. Audio, USB redirection and smartcards
//! are switched off (their channels are never created); other channels the server offers
//! (ports, webdav, further monitors) are never connected, so they need no socket.
//!
//! Once the session ends (error, server gone, [`Link::close`]) every signal handler is
//! disconnected first, so the view hears exactly one ending and nothing after it. The
//! channels' own signals are turned into events in `watch`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::fd::{IntoRawFd, OwnedFd};
use std::rc::Rc;

use gettextrs::gettext;
use spice::glib;
use spice::glib::prelude::*;
use spice::glib::SignalHandlerId;
use spice::prelude::*;
use spice::{ChannelEvent, CursorChannel, DisplayChannel, InputsChannel, MainChannel};
use spice_client_glib as spice;

use super::cursor::GuestCursor;
use super::ending::ending;
use crate::ui::widgets::display::DisplayState;

mod watch;

/// Where the session connects.
pub enum Target {
    /// A SPICE server at `host`, plain `port` (0: none) and/or `tls_port`.
    Host {
        host: String,
        port: u16,
        tls_port: Option<u16>,
    },
    /// Connected sockets, one per channel: the first for the main channel, the others
    /// handed out as channels ask for one (display and inputs always get theirs).
    Fds(Vec<OwnedFd>),
}

/// What the session tells the view.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The session ended or needs credentials: `AuthRequired`, `AuthFailed` or
    /// `Disconnected` (the view itself decides `Connecting` and `Connected`).
    Ended(DisplayState),
    /// Display 0 has a new primary surface (read it with `DisplayChannel::primary(0)`).
    PrimaryCreated,
    /// Display 0's primary surface is gone (a mode change follows, or the end).
    PrimaryDestroyed,
    /// A rectangle of the primary surface changed (guest pixels, unclipped).
    Invalidate { x: i32, y: i32, w: i32, h: i32 },
    /// Client mouse mode (absolute positions) or server mode (relative motion).
    MouseMode { absolute: bool },
    /// The guest agent (spice-vdagent) connected or went away.
    Agent(bool),
    /// The guest's pointer shape changed.
    Cursor(GuestCursor),
    /// The inputs channel is open: keys and pointer reach the guest from now on (the
    /// library drops them silently before).
    InputsReady,
}

/// The two channels a console cannot work without, each of display 0.
const ESSENTIAL: usize = 2;

/// The channels the view uses.
#[derive(Default)]
struct Channels {
    main: Option<MainChannel>,
    display: Option<DisplayChannel>,
    inputs: Option<InputsChannel>,
}

struct Shared {
    session: spice::Session,
    sink: Box<dyn Fn(LinkEvent)>,
    channels: RefCell<Channels>,
    fds: RefCell<VecDeque<OwnedFd>>,
    /// Essential channels (display 0, inputs) that still wait for a socket (fd mode).
    essential_waiting: Cell<usize>,
    handlers: RefCell<Vec<(glib::Object, SignalHandlerId)>>,
    had_password: bool,
    ended: Cell<bool>,
}

/// A running SPICE session; closing or dropping it disconnects.
pub struct Link {
    shared: Rc<Shared>,
}

impl Link {
    /// Starts connecting to `target`; events arrive on the GLib main context.
    pub fn open(
        target: Target,
        username: Option<&str>,
        password: Option<&str>,
        sink: impl Fn(LinkEvent) + 'static,
    ) -> Link {
        let session = spice::Session::new();
        session.set_enable_audio(false);
        session.set_enable_usbredir(false);
        session.set_enable_smartcard(false);
        session.set_username(username);
        session.set_password(password);
        let shared = Rc::new(Shared {
            session: session.clone(),
            sink: Box::new(sink),
            channels: RefCell::default(),
            fds: RefCell::default(),
            essential_waiting: Cell::new(ESSENTIAL),
            handlers: RefCell::default(),
            had_password: password.is_some_and(|p| !p.is_empty()),
            ended: Cell::new(false),
        });
        let weak = Rc::downgrade(&shared);
        let id = session.connect_channel_new(move |_, channel| {
            if let Some(shared) = weak.upgrade() {
                shared.channel_new(channel);
            }
        });
        shared.keep(session.upcast_ref(), id);
        let weak = Rc::downgrade(&shared);
        let id = session.connect_channel_destroy(move |_, channel| {
            if let Some(shared) = weak.upgrade() {
                shared.channel_destroyed(channel);
            }
        });
        shared.keep(session.upcast_ref(), id);

        let cannot_start = || gettext("Cannot start a connection to the guest's display.");
        let failed = match target {
            Target::Host {
                host,
                port,
                tls_port,
            } => {
                session.set_host(Some(&host));
                session.set_port((port != 0).then(|| port.to_string()).as_deref());
                session.set_tls_port(tls_port.map(|p| p.to_string()).as_deref());
                (!session.connect()).then(cannot_start)
            }
            Target::Fds(fds) => {
                let mut fds = VecDeque::from(fds);
                match fds.pop_front() {
                    Some(first) => {
                        *shared.fds.borrow_mut() = fds;
                        // The GSocket spice-client-glib makes of it closes the fd.
                        (!session.open_fd(first.into_raw_fd())).then(cannot_start)
                    }
                    None => Some(gettext(
                        "No connection to the guest's display was handed over.",
                    )),
                }
            }
        };
        if let Some(reason) = failed {
            let shared2 = shared.clone();
            // Reported from the main loop, like every other ending.
            glib::idle_add_local_once(move || {
                shared2.end(DisplayState::Disconnected(Some(reason)))
            });
        }
        Link { shared }
    }

    /// Disconnects without reporting anything (the view knows it asked).
    pub fn close(&self) {
        self.shared.ended.set(true);
        self.shared.shut_down();
    }

    pub fn main(&self) -> Option<MainChannel> {
        self.shared.channels.borrow().main.clone()
    }

    pub fn display(&self) -> Option<DisplayChannel> {
        self.shared.channels.borrow().display.clone()
    }

    pub fn inputs(&self) -> Option<InputsChannel> {
        self.shared.channels.borrow().inputs.clone()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.close();
    }
}

impl Shared {
    fn keep(&self, object: &glib::Object, id: SignalHandlerId) {
        self.handlers.borrow_mut().push((object.clone(), id));
    }

    fn emit(&self, event: LinkEvent) {
        if !self.ended.get() {
            (self.sink)(event);
        }
    }

    /// The session is over: stop listening, disconnect, then say why (once).
    fn end(&self, state: DisplayState) {
        if self.ended.replace(true) {
            return;
        }
        self.shut_down();
        (self.sink)(LinkEvent::Ended(state));
    }

    fn shut_down(&self) {
        for (object, id) in self.handlers.borrow_mut().drain(..) {
            object.disconnect(id);
        }
        *self.channels.borrow_mut() = Channels::default();
        self.fds.borrow_mut().clear();
        self.session.disconnect();
    }

    /// A channel appeared (the main one from `open`, the others from the server's list):
    /// watch and connect the ones the view uses, leave the rest unconnected.
    fn channel_new(self: &Rc<Self>, channel: &spice::Channel) {
        let essential = if let Some(main) = channel.downcast_ref::<MainChannel>() {
            self.watch_main(main);
            self.channels.borrow_mut().main = Some(main.clone());
            true
        } else if let Some(display) = channel.downcast_ref::<DisplayChannel>() {
            if display.channel_id() != 0 {
                // Further monitors: not shown (one display per view).
                return;
            }
            self.watch_display(display);
            self.channels.borrow_mut().display = Some(display.clone());
            true
        } else if let Some(inputs) = channel.downcast_ref::<InputsChannel>() {
            self.channels.borrow_mut().inputs = Some(inputs.clone());
            true
        } else if let Some(cursor) = channel.downcast_ref::<CursorChannel>() {
            self.watch_cursor(cursor);
            false
        } else {
            // Ports, webdav, further displays: not used, never connected.
            return;
        };
        let weak = Rc::downgrade(self);
        let id = channel.connect_channel_event(move |channel, event| {
            if let Some(shared) = weak.upgrade() {
                shared.channel_event(channel, event, essential);
            }
        });
        self.keep(channel.upcast_ref(), id);
        if channel.is::<MainChannel>() {
            // `Link::open` connects it.
            return;
        }
        let weak = Rc::downgrade(self);
        let id = channel.connect_open_fd(move |channel, _tls| {
            if let Some(shared) = weak.upgrade() {
                shared.open_fd(channel, essential);
            }
        });
        self.keep(channel.upcast_ref(), id);
        // As spice-gtk's widget does: the application connects the channels it shows.
        // In fd mode this asks for a socket (open-fd) before returning.
        ChannelExt::connect(channel);
    }

    fn channel_destroyed(&self, channel: &spice::Channel) {
        let mut channels = self.channels.borrow_mut();
        let same = |c: Option<&spice::Channel>| c == Some(channel);
        if same(channels.main.as_ref().map(|c| c.upcast_ref())) {
            channels.main = None;
        }
        if same(channels.display.as_ref().map(|c| c.upcast_ref())) {
            channels.display = None;
        }
        if same(channels.inputs.as_ref().map(|c| c.upcast_ref())) {
            channels.inputs = None;
        }
    }

    /// fd mode: a channel wants its socket. Display and inputs always get one; other
    /// channels (cursor, ports) only while enough remain for those two.
    fn open_fd(&self, channel: &spice::Channel, essential: bool) {
        let waiting = self.essential_waiting.get();
        let fd = {
            let mut fds = self.fds.borrow_mut();
            if essential || fds.len() > waiting {
                fds.pop_front()
            } else {
                None
            }
        };
        match fd {
            Some(fd) => {
                if essential {
                    self.essential_waiting.set(waiting.saturating_sub(1));
                }
                channel.open_fd(fd.into_raw_fd());
            }
            None if essential => self.end(DisplayState::Disconnected(Some(gettext(
                "The console ran out of connections to the guest's display before all its channels were open. Reconnect to try again.",
            )))),
            None => log::debug!(
                "SPICE channel {} left unconnected: no socket to spare",
                spice::Channel::type_to_string(channel.channel_type()).unwrap_or_default()
            ),
        }
    }

    fn channel_event(&self, channel: &spice::Channel, event: ChannelEvent, essential: bool) {
        log::debug!(
            "SPICE channel {} event {event:?}",
            spice::Channel::type_to_string(channel.channel_type()).unwrap_or_default()
        );
        if event == ChannelEvent::Opened {
            if let Some(main) = channel.downcast_ref::<MainChannel>() {
                // Absolute pointer where the guest allows it (tablet or agent).
                main.request_mouse_mode(spice::MouseMode::CLIENT.bits());
            } else if channel.is::<InputsChannel>() {
                self.emit(LinkEvent::InputsReady);
            }
            return;
        }
        if !essential {
            return;
        }
        let error = channel.error();
        if let Some(state) = ending(event, error.as_ref(), self.had_password) {
            self.end(state);
        }
    }
}
