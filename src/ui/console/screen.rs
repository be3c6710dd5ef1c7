//! One graphical console connection, whichever protocol the machine speaks: the console
//! view talks to this, not to the VNC or SPICE widget directly.

use std::os::fd::OwnedFd;

use gtk::prelude::*;

use crate::ui::widgets::display::{DisplayState, Scaling, SendKey};
use crate::ui::widgets::spice_view::SpiceView;
use crate::ui::widgets::vnc_view::VncView;

#[derive(Clone)]
pub(super) enum Screen {
    Vnc(VncView),
    Spice(SpiceView),
}

/// Forward one call to the widget behind the screen.
macro_rules! each {
    ($self:ident, $view:ident => $call:expr) => {
        match $self {
            Screen::Vnc($view) => $call,
            Screen::Spice($view) => $call,
        }
    };
}

impl Screen {
    pub fn widget(&self) -> gtk::Widget {
        each!(self, v => v.widget().clone().upcast())
    }

    /// Connect over sockets libvirt opened for us (`virDomainOpenGraphicsFD`).
    pub fn open_fds(&self, mut fds: Vec<OwnedFd>) {
        match self {
            Screen::Vnc(v) => {
                if let Some(fd) = fds.pop() {
                    v.open_fd(fd);
                }
            }
            Screen::Spice(v) => v.open_fds(fds),
        }
    }

    pub fn open_host(&self, host: &str, port: u16, tls_port: Option<u16>) {
        match self {
            Screen::Vnc(v) => v.open_host(host, port),
            Screen::Spice(v) => v.open_host(host, port, tls_port),
        }
    }

    pub fn set_password(&self, password: Option<String>) {
        each!(self, v => v.set_password(password))
    }

    pub fn provide_credentials(&self, username: Option<&str>, password: &str) {
        each!(self, v => v.provide_credentials(username, password))
    }

    pub fn close(&self) {
        each!(self, v => v.close())
    }

    pub fn state(&self) -> DisplayState {
        each!(self, v => v.state())
    }

    pub fn send_key(&self, key: SendKey) {
        each!(self, v => v.send_key(key))
    }

    pub fn screenshot(&self) -> Option<gtk::gdk::Texture> {
        each!(self, v => v.screenshot())
    }

    pub fn set_scaling(&self, scaling: Scaling) {
        each!(self, v => v.set_scaling(scaling))
    }

    pub fn set_resize_guest(&self, resize: bool) {
        each!(self, v => v.set_resize_guest(resize))
    }

    pub fn connect_state_changed(&self, f: impl Fn(&DisplayState) + 'static) {
        match self {
            Screen::Vnc(v) => {
                v.connect_state_changed(move |_, state| f(state));
            }
            Screen::Spice(v) => {
                v.connect_state_changed(move |_, state| f(state));
            }
        }
    }

    pub fn connect_grab_changed(&self, f: impl Fn(bool) + 'static) {
        each!(self, v => { v.connect_grab_changed(f); })
    }
}
