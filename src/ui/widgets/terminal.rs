//! The serial console view: a VTE terminal ([`vte::Terminal`], our own binding) showing
//! a [`SerialSession`] — the guest's bytes fed in as they arrive, keystrokes and pastes
//! written back — with a scrollbar, the desktop's monospace font, colours that follow the
//! light/dark style, and Ctrl+Shift+C / Ctrl+Shift+V for copy and paste.
//!
//! Output is drained from the session's channel by a future on the GLib main loop
//! (`glib::spawn_future_local`), so nothing polls and nothing blocks the main thread.
//!
//! Size: a serial line cannot tell the guest how big the terminal is (there is no
//! `TIOCSWINSZ` across it). The guest keeps its own idea (80×24 for a Linux console)
//! whatever the view's size, until someone runs `stty rows R cols C` (or busybox/xterm
//! `resize`) in it; full-screen programs then use that size. The view shows what arrives
//! at any size; [`SerialTerminal::size`] gives the current columns and rows for a hint
//! such as "stty rows 40 cols 120".

pub mod style;
pub mod vte;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gettextrs::gettext;
use gtk::glib::{self, SignalHandlerId};
use gtk::prelude::*;

use crate::backend::serial::{SerialEnd, SerialOutput, SerialSession};
use vte::Terminal;

/// Lines kept above the screen.
const SCROLLBACK_LINES: i64 = 10_000;

type EndedFn = Rc<dyn Fn(&SerialEnd)>;

struct Inner {
    root: gtk::Box,
    term: Terminal,
    session: RefCell<Option<SerialSession>>,
    reader: RefCell<Option<glib::JoinHandle<()>>>,
    ended: RefCell<Vec<EndedFn>>,
    dark_handler: RefCell<Option<SignalHandlerId>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(reader) = self.reader.take() {
            reader.abort();
        }
        if let Some(session) = self.session.take() {
            session.close();
        }
        if let Some(id) = self.dark_handler.take() {
            adw::StyleManager::default().disconnect(id);
        }
    }
}

/// A terminal bound to at most one serial console session at a time. Cheap to clone;
/// the view and its session close when the last clone is dropped.
#[derive(Clone)]
pub struct SerialTerminal {
    inner: Rc<Inner>,
}

impl Default for SerialTerminal {
    fn default() -> Self {
        Self::new()
    }
}

impl SerialTerminal {
    /// A terminal with no session (input disabled until [`attach`](Self::attach)).
    pub fn new() -> SerialTerminal {
        let term = Terminal::new();
        term.set_hexpand(true);
        term.set_vexpand(true);
        term.set_scrollback_lines(SCROLLBACK_LINES);
        term.set_audible_bell(false);
        term.set_font(Some(&style::monospace_font()));
        term.set_input_enabled(false);
        crate::ui::a11y::set_label(&term, &gettext("Serial console"));

        let scrollbar =
            gtk::Scrollbar::new(gtk::Orientation::Vertical, term.vadjustment().as_ref());
        let root = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        root.add_css_class("serial-terminal");
        root.append(&term);
        root.append(&scrollbar);

        let inner = Rc::new(Inner {
            root,
            term,
            session: RefCell::new(None),
            reader: RefCell::new(None),
            ended: RefCell::new(Vec::new()),
            dark_handler: RefCell::new(None),
        });
        let view = SerialTerminal { inner };
        view.follow_style();
        view.wire_input();
        view
    }

    /// The widget to put in a page or window.
    pub fn widget(&self) -> &gtk::Box {
        &self.inner.root
    }

    /// The terminal itself (focus, size, text).
    pub fn terminal(&self) -> &Terminal {
        &self.inner.term
    }

    /// The name a screen reader announces, e.g. "Serial port 1 of web".
    pub fn set_accessible_label(&self, label: &str) {
        crate::ui::a11y::set_label(&self.inner.term, label);
    }

    /// Columns and rows the view shows now.
    pub fn size(&self) -> (i64, i64) {
        (self.inner.term.column_count(), self.inner.term.row_count())
    }

    /// The session shown, while it runs.
    pub fn session(&self) -> Option<SerialSession> {
        self.inner.session.borrow().clone()
    }

    /// Show `session`: its output from now on, and typing goes to it. A previous session
    /// is closed first (without an `ended` call). The screen is kept; call
    /// `terminal().reset(true, true)` before for a clean one.
    pub fn attach(&self, session: SerialSession) {
        self.detach();
        let Some(rx) = session.output() else {
            log::warn!("serial console: the session's output was taken already");
            return;
        };
        *self.inner.session.borrow_mut() = Some(session);
        self.inner.term.set_input_enabled(true);
        let weak = Rc::downgrade(&self.inner);
        let reader = glib::spawn_future_local(async move {
            while let Ok(msg) = rx.recv_async().await {
                let Some(inner) = weak.upgrade() else { break };
                match msg {
                    SerialOutput::Data(bytes) => inner.term.feed(&bytes),
                    SerialOutput::Ended(end) => {
                        ended(&inner, &end);
                        break;
                    }
                }
            }
        });
        *self.inner.reader.borrow_mut() = Some(reader);
    }

    /// Close the session shown (if any) and stop reading it. No `ended` call: this end
    /// was asked for.
    pub fn detach(&self) {
        if let Some(reader) = self.inner.reader.take() {
            reader.abort();
        }
        if let Some(session) = self.inner.session.take() {
            session.close();
        }
        self.inner.term.set_input_enabled(false);
    }

    /// Called when a session ends by itself (the machine stopped, another program took
    /// the console over, the connection failed) or after `SerialSession::close` from
    /// elsewhere; `SerialEnd::message` is a sentence to show.
    pub fn connect_ended<F: Fn(&SerialEnd) + 'static>(&self, f: F) {
        self.inner.ended.borrow_mut().push(Rc::new(f));
    }

    /// Keystrokes and pastes to the session; Ctrl+Shift+C / V copy and paste.
    fn wire_input(&self) {
        let weak: Weak<Inner> = Rc::downgrade(&self.inner);
        self.inner.term.connect_commit(move |_, bytes| {
            if let Some(inner) = weak.upgrade() {
                if let Some(session) = inner.session.borrow().as_ref() {
                    session.write(bytes);
                }
            }
        });
        let keys = gtk::EventControllerKey::new();
        keys.set_propagation_phase(gtk::PropagationPhase::Capture);
        let weak = Rc::downgrade(&self.inner);
        keys.connect_key_pressed(move |_, key, _, state| {
            let Some(inner) = weak.upgrade() else {
                return glib::Propagation::Proceed;
            };
            let wanted = gtk::gdk::ModifierType::CONTROL_MASK | gtk::gdk::ModifierType::SHIFT_MASK;
            if !state.contains(wanted) {
                return glib::Propagation::Proceed;
            }
            match key.to_lower() {
                gtk::gdk::Key::c => {
                    if inner.term.has_selection() {
                        inner.term.copy_clipboard();
                    }
                    glib::Propagation::Stop
                }
                gtk::gdk::Key::v => {
                    inner.term.paste_clipboard();
                    glib::Propagation::Stop
                }
                _ => glib::Propagation::Proceed,
            }
        });
        self.inner.term.add_controller(keys);
    }

    /// Colours for the current style, and again whenever it switches.
    fn follow_style(&self) {
        let manager = adw::StyleManager::default();
        style::apply_colors(&self.inner.term, manager.is_dark());
        let weak = Rc::downgrade(&self.inner);
        let id = manager.connect_dark_notify(move |m| {
            if let Some(inner) = weak.upgrade() {
                style::apply_colors(&inner.term, m.is_dark());
            }
        });
        *self.inner.dark_handler.borrow_mut() = Some(id);
    }
}

/// The session ended by itself: forget it, stop input, tell the listeners (who may
/// attach a new session: nothing is borrowed while they run).
fn ended(inner: &Inner, end: &SerialEnd) {
    inner.reader.take();
    let session = inner.session.take();
    inner.term.set_input_enabled(false);
    drop(session);
    let listeners: Vec<EndedFn> = inner.ended.borrow().clone();
    for f in listeners {
        f(end);
    }
}
