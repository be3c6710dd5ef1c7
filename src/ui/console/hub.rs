//! The app-wide side of consoles: how console views reach the connection worker and get
//! its answers back, and the console windows that are open.
//!
//! A view asks with [`ConsoleHub::request`], giving a closure for the answer; the app hands
//! every `Event::Graphics` / `Event::Serial` answer to [`ConsoleHub::on_graphics`] /
//! [`ConsoleHub::on_serial`], which run the closure waiting on that request number. A new
//! connection (or none) answers every pending request with a "disconnected" error, so no
//! view waits forever.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use gettextrs::gettext;

use super::window::ConsoleWindow;
use crate::backend::graphics::{GraphicsEndpoint, GraphicsEvent};
use crate::backend::serial::{SerialEvent, SerialSession};
use crate::backend::{BackendError, Command, ConnectionHandle, ErrorKind};

/// The worker's answer to one console request.
pub(super) enum Reply {
    Graphics(Result<Option<GraphicsEndpoint>, BackendError>),
    Serial(Result<SerialSession, BackendError>),
}

type Waiter = Box<dyn FnOnce(Reply)>;
type OnStart = Rc<dyn Fn(String)>;
type OnToast = Rc<dyn Fn(String, bool)>;

#[derive(Default)]
struct Inner {
    conn: RefCell<Option<ConnectionHandle>>,
    next: Cell<u64>,
    waiting: RefCell<HashMap<u64, (bool, Waiter)>>,
    on_start: Option<OnStart>,
    on_toast: Option<OnToast>,
    windows: RefCell<Vec<ConsoleWindow>>,
}

/// Cheap to clone; every clone is the same hub.
#[derive(Clone, Default)]
pub struct ConsoleHub {
    inner: Rc<Inner>,
}

impl ConsoleHub {
    /// `on_start` starts a machine (the "Start" button of a stopped console), `on_toast`
    /// shows a message in the main window (text, is_error).
    pub fn new(
        on_start: impl Fn(String) + 'static,
        on_toast: impl Fn(String, bool) + 'static,
    ) -> Self {
        ConsoleHub {
            inner: Rc::new(Inner {
                on_start: Some(Rc::new(on_start)),
                on_toast: Some(Rc::new(on_toast)),
                ..Inner::default()
            }),
        }
    }

    /// The connection consoles use from now on (`None`: disconnected). Requests still
    /// waiting on the old one are answered with a "disconnected" error.
    pub fn set_connection(&self, conn: Option<ConnectionHandle>) {
        *self.inner.conn.borrow_mut() = conn;
        let pending: Vec<_> = self.inner.waiting.borrow_mut().drain().collect();
        for (_, (graphics, waiter)) in pending {
            let err = disconnected();
            waiter(if graphics {
                Reply::Graphics(Err(err))
            } else {
                Reply::Serial(Err(err))
            });
        }
    }

    /// The URI of the current connection, for the external viewer.
    pub fn uri(&self) -> Option<String> {
        self.inner
            .conn
            .borrow()
            .as_ref()
            .map(|c| c.uri().to_string())
    }

    /// Send the command `make(request_number)` and run `on_reply` with its answer. Not
    /// connected: `on_reply` runs at once with a "disconnected" error. `graphics` says
    /// which kind of answer a failure should take.
    pub(super) fn request(
        &self,
        graphics: bool,
        make: impl FnOnce(u64) -> Command,
        on_reply: impl FnOnce(Reply) + 'static,
    ) -> Option<u64> {
        let conn = self.inner.conn.borrow().clone();
        let Some(conn) = conn else {
            on_reply(if graphics {
                Reply::Graphics(Err(disconnected()))
            } else {
                Reply::Serial(Err(disconnected()))
            });
            return None;
        };
        let id = self.inner.next.get() + 1;
        self.inner.next.set(id);
        self.inner
            .waiting
            .borrow_mut()
            .insert(id, (graphics, Box::new(on_reply)));
        conn.send(make(id));
        Some(id)
    }

    /// Forget a request whose answer no longer matters (the view moved on).
    pub(super) fn cancel(&self, request: u64) {
        self.inner.waiting.borrow_mut().remove(&request);
    }

    fn answer(&self, request: u64, reply: Reply) {
        let waiter = self.inner.waiting.borrow_mut().remove(&request);
        if let Some((_, waiter)) = waiter {
            waiter(reply);
        }
    }

    /// An `Event::Graphics` from the worker.
    pub fn on_graphics(&self, event: GraphicsEvent) {
        match event {
            GraphicsEvent::Opened {
                request, result, ..
            } => self.answer(request, Reply::Graphics(result)),
        }
    }

    /// An `Event::Serial` from the worker.
    pub fn on_serial(&self, event: SerialEvent) {
        match event {
            SerialEvent::Opened {
                request, result, ..
            } => self.answer(request, Reply::Serial(result)),
        }
    }

    pub(super) fn start_vm(&self, uuid: &str) {
        if let Some(f) = &self.inner.on_start {
            f(uuid.to_owned());
        }
    }

    pub(super) fn toast(&self, text: &str, error: bool) {
        if let Some(f) = &self.inner.on_toast {
            f(text.to_owned(), error);
        }
    }

    /// Keep a console window alive while it is open.
    pub(super) fn keep_window(&self, window: ConsoleWindow) {
        self.inner.windows.borrow_mut().push(window);
    }

    /// A console window closed.
    pub(super) fn forget_window(&self, window: &ConsoleWindow) {
        self.inner.windows.borrow_mut().retain(|w| w != window);
    }

    /// How many console windows are open (tests, diagnostics).
    pub fn window_count(&self) -> usize {
        self.inner.windows.borrow().len()
    }

    /// Whether a console window of machine `uuid` is open.
    pub fn has_window_of(&self, uuid: &str) -> bool {
        self.inner.windows.borrow().iter().any(|w| w.uuid() == uuid)
    }

    /// The machine was undefined or the connection changed: close its windows.
    pub fn close_windows_of(&self, uuid: Option<&str>) {
        let windows: Vec<_> = self.inner.windows.borrow().clone();
        for w in windows {
            if uuid.is_none() || uuid == Some(w.uuid().as_str()) {
                w.close();
            }
        }
    }
}

fn disconnected() -> BackendError {
    BackendError::new(
        ErrorKind::Disconnected,
        gettext("Not connected to the host."),
    )
}
