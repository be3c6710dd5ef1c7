//! Connecting a console view: asking the worker for the display or text console, turning
//! its answer into a VNC/SPICE screen or a serial terminal, and following the connection's
//! state onto the view's pages.

use std::os::fd::OwnedFd;
use std::rc::Rc;

use gettextrs::gettext;
use gtk::prelude::*;

use super::choices::ConsoleChoice;
use super::hub::Reply;
use super::screen::Screen;
use super::view::{Current, Inner};
use crate::backend::graphics::{GraphicsCommand, GraphicsEndpoint, Protocol};
use crate::backend::serial::{SerialCommand, SerialSession};
use crate::backend::{BackendError, Command, ErrorKind};
use crate::ui::widgets::display::DisplayState;
use crate::ui::widgets::spice_view::{self, SpiceView};
use crate::ui::widgets::terminal::SerialTerminal;
use crate::ui::widgets::vnc_view::VncView;

impl Inner {
    /// Connect to the selected console if the view is shown and nothing is connected.
    pub(super) fn connect_if_active(self: &Rc<Self>) {
        let (active, idle, choice) = {
            let state = self.state.borrow();
            (
                state.active,
                matches!(state.current, Current::None) && state.pending.is_none(),
                state.choices.get(state.choice).cloned(),
            )
        };
        let (true, true, Some(choice), Some(uuid)) = (active, idle, choice, self.uuid()) else {
            return;
        };
        if !self.vm_active() {
            self.pages.show_stopped(&self.vm_name());
            self.update_toolbar();
            return;
        }
        self.pages.show_connecting(&gettext("Connecting…"));
        log::debug!("console of {uuid}: asking for {choice:?}");
        let weak = Rc::downgrade(self);
        let request = match choice {
            // One socket: VNC needs no more; SPICE asks again for one per channel.
            ConsoleChoice::Display => self.request_display(uuid, 1),
            ConsoleChoice::Text { device, .. } => {
                let force = std::mem::take(&mut self.state.borrow_mut().force);
                self.hub.request(
                    false,
                    |request| {
                        Command::Serial(SerialCommand::Open {
                            uuid,
                            device,
                            request,
                            force,
                        })
                    },
                    move |reply| {
                        if let (Some(inner), Reply::Serial(result)) = (weak.upgrade(), reply) {
                            inner.state.borrow_mut().pending = None;
                            inner.on_serial(result);
                        }
                    },
                )
            }
        };
        self.state.borrow_mut().pending = request;
    }

    /// Ask the worker where the display is, with `fds` sockets from libvirt.
    fn request_display(self: &Rc<Self>, uuid: String, fds: u8) -> Option<u64> {
        let weak = Rc::downgrade(self);
        self.hub.request(
            true,
            |request| Command::Graphics(GraphicsCommand::Open { uuid, request, fds }),
            move |reply| {
                if let (Some(inner), Reply::Graphics(result)) = (weak.upgrade(), reply) {
                    inner.state.borrow_mut().pending = None;
                    inner.on_graphics(result);
                }
            },
        )
    }

    /// Close whatever is connected or pending (no state page change).
    pub(super) fn disconnect(&self) {
        let (pending, current) = {
            let mut state = self.state.borrow_mut();
            (
                state.pending.take(),
                std::mem::replace(&mut state.current, Current::None),
            )
        };
        if let Some(request) = pending {
            self.hub.cancel(request);
        }
        match current {
            Current::None => {}
            Current::Screen(screen) => screen.close(),
            Current::Terminal(terminal, session) => {
                terminal.detach();
                session.close();
            }
        }
        self.pages.clear_content();
        self.update_toolbar();
    }

    /// Reconnect: the "Reconnect" buttons and the menu item.
    pub(super) fn reconnect(self: &Rc<Self>, force: bool) {
        self.disconnect();
        self.state.borrow_mut().force = force;
        self.connect_if_active();
    }

    fn on_failure(&self, err: &BackendError) {
        if err.kind == ErrorKind::InvalidState && !self.vm_active() {
            self.pages.show_stopped(&self.vm_name());
        } else {
            let busy = err.kind == ErrorKind::Busy;
            self.pages
                .show_lost(&format!("{}\n{}", err.message, err.hint), busy);
        }
        self.update_toolbar();
    }

    fn on_graphics(self: &Rc<Self>, result: Result<Option<GraphicsEndpoint>, BackendError>) {
        let endpoint = match result {
            Ok(Some(endpoint)) => endpoint,
            Ok(None) => {
                let has_text = self.state.borrow().choices.len() > 1;
                self.pages.show_no_display(has_text);
                self.update_toolbar();
                return;
            }
            Err(err) => return self.on_failure(&err),
        };
        let wanted = spice_view::SOCKETS_NEEDED;
        if endpoint.protocol == Protocol::Spice && (1..wanted).contains(&endpoint.fds.len()) {
            // libvirt hands out sockets: SPICE needs one per channel (these few close).
            if let Some(uuid) = self.uuid() {
                let request = self.request_display(uuid, wanted as u8);
                self.state.borrow_mut().pending = request;
                return;
            }
        }
        let screen = match endpoint.protocol {
            Protocol::Vnc => Screen::Vnc(VncView::new()),
            Protocol::Spice => Screen::Spice(SpiceView::new()),
        };
        let weak = Rc::downgrade(self);
        screen.connect_state_changed(move |state| {
            if let Some(inner) = weak.upgrade() {
                inner.on_display_state(state);
            }
        });
        let weak = Rc::downgrade(self);
        screen.connect_grab_changed(move |grabbed| {
            if let Some(inner) = weak.upgrade() {
                inner.pages.show_grab_hint(grabbed);
            }
        });
        {
            let state = self.state.borrow();
            screen.set_scaling(state.scaling);
            screen.set_resize_guest(state.resize_guest);
        }
        // A password typed after a refusal wins over the one in the XML.
        let typed = self.state.borrow_mut().typed_password.take();
        screen.set_password(typed.or_else(|| endpoint.password.clone()));
        self.pages.set_display(&screen.widget(), &self.vm_name());
        self.state.borrow_mut().current = Current::Screen(screen.clone());
        let fds: Vec<OwnedFd> = endpoint.fds.iter().filter_map(|f| f.take()).collect();
        if !fds.is_empty() {
            screen.open_fds(fds);
        } else if let (Some(host), Some(port)) = (endpoint.host.as_deref(), endpoint.port) {
            screen.open_host(host, port, endpoint.tls_port);
        } else {
            let why = endpoint
                .fd_error
                .unwrap_or_else(|| gettext("The display has no address to connect to."));
            self.disconnect();
            self.pages.show_lost(&why, false);
        }
        self.update_toolbar();
    }

    fn on_display_state(self: &Rc<Self>, state: &DisplayState) {
        match state {
            DisplayState::Idle => {}
            DisplayState::Connecting => self.pages.show_connecting(&gettext("Connecting…")),
            DisplayState::Connected { .. } => self.pages.show_display(),
            DisplayState::AuthRequired { username } => self.pages.show_auth(*username, None),
            DisplayState::AuthFailed(why) => self.pages.show_auth(false, Some(why)),
            DisplayState::Disconnected(why) => {
                // Keep the screen object until the page changes; drop it now.
                self.disconnect();
                if self.vm_active() {
                    let text = why
                        .clone()
                        .unwrap_or_else(|| gettext("The display closed the connection."));
                    self.pages.show_lost(&text, false);
                } else {
                    self.pages.show_stopped(&self.vm_name());
                }
            }
        }
        self.update_toolbar();
    }

    fn on_serial(self: &Rc<Self>, result: Result<SerialSession, BackendError>) {
        let session = match result {
            Ok(session) => session,
            Err(err) => return self.on_failure(&err),
        };
        let terminal = SerialTerminal::new();
        let label = {
            let state = self.state.borrow();
            state
                .choices
                .get(state.choice)
                .map(ConsoleChoice::label)
                .unwrap_or_default()
        };
        let weak = Rc::downgrade(self);
        terminal.connect_ended(move |reason| {
            if let Some(inner) = weak.upgrade() {
                inner.disconnect();
                if inner.vm_active() {
                    inner.pages.show_lost(&reason.message, false);
                } else {
                    inner.pages.show_stopped(&inner.vm_name());
                }
            }
        });
        terminal.attach(session.clone());
        self.pages
            .set_terminal(terminal.widget().upcast_ref(), &label, &self.vm_name());
        self.state.borrow_mut().current = Current::Terminal(terminal, session);
        self.update_toolbar();
    }

    /// Submit the credentials typed on the password page.
    /// The server is still asking: answer it. After a refusal the server has hung up, so
    /// connect again with what was typed.
    pub(super) fn submit_credentials(self: &Rc<Self>, username: Option<&str>, password: &str) {
        let asking = self
            .screen()
            .filter(|s| matches!(s.state(), DisplayState::AuthRequired { .. }));
        match asking {
            Some(screen) => {
                screen.provide_credentials(username, password);
                self.pages.show_connecting(&gettext("Signing in…"));
            }
            None => {
                self.disconnect();
                self.state.borrow_mut().typed_password = Some(password.to_owned());
                self.connect_if_active();
            }
        }
    }
}
