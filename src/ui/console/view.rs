//! The console view: a picker of the machine's consoles, a toolbar, and a stack of the
//! console itself or the state it is in. The Console tab holds one for the shown machine;
//! each console window holds its own. It connects only while shown (`set_active`), so a
//! hidden tab costs nothing.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gettextrs::gettext;
use gtk::glib;
use gtk::prelude::*;

use super::choices::ConsoleChoice;
use super::hub::ConsoleHub;
use super::pages::StatePages;
use super::screen::Screen;
use super::toolbar::Toolbar;
use crate::backend::serial::SerialSession;
use crate::i18n::gettext_f;
use crate::ui::vm_object::VmObject;
use crate::ui::widgets::display::{DisplayState, Scaling, SendKey};
use crate::ui::widgets::terminal::SerialTerminal;

/// What is connected right now.
pub(super) enum Current {
    None,
    Screen(Screen),
    Terminal(SerialTerminal, SerialSession),
}

pub(super) struct State {
    pub(super) vm: Option<(VmObject, glib::SignalHandlerId)>,
    pub(super) was_active: bool,
    pub(super) choices: Vec<ConsoleChoice>,
    pub(super) choice: usize,
    pub(super) active: bool,
    pub(super) pending: Option<u64>,
    pub(super) current: Current,
    pub(super) scaling: Scaling,
    pub(super) resize_guest: bool,
    /// The next text-console open takes the console over from another client.
    pub(super) force: bool,
    /// The password typed after a refusal, for the next connection.
    pub(super) typed_password: Option<String>,
    pub(super) chooser: Option<gtk::FileChooserNative>,
}

pub(super) struct Inner {
    pub(super) hub: ConsoleHub,
    pub(super) windowed: bool,
    root: gtk::Box,
    pub(super) toolbar: Toolbar,
    pub(super) pages: StatePages,
    pub(super) state: RefCell<State>,
    /// A console window's own toasts (the app's main window shows the tab's).
    toasts: RefCell<Option<adw::ToastOverlay>>,
}

/// Where a view's messages go: its console window's toasts, else the main window's.
#[derive(Clone)]
pub(super) struct Toaster {
    hub: ConsoleHub,
    overlay: Option<adw::ToastOverlay>,
}

impl Toaster {
    pub(super) fn show(&self, text: &str, error: bool) {
        match &self.overlay {
            Some(overlay) => {
                log::info!("console toast: {text}");
                overlay.add_toast(crate::ui::widgets::toast::new_toast(text, error));
            }
            None => self.hub.toast(text, error),
        }
    }
}

/// Cheap to clone; every clone is the same view.
#[derive(Clone)]
pub struct ConsoleView {
    pub(super) inner: Rc<Inner>,
}

impl ConsoleView {
    /// `windowed`: the view fills a console window (no "Open in New Window", full screen
    /// is the window's own).
    pub fn new(hub: &ConsoleHub, windowed: bool) -> ConsoleView {
        let root = gtk::Box::new(gtk::Orientation::Vertical, 0);
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let toolbar = Toolbar::new(weak.clone(), windowed);
            let pages = StatePages::new(weak.clone());
            root.append(&toolbar.bar);
            root.append(&pages.stack);
            Inner {
                hub: hub.clone(),
                windowed,
                root,
                toolbar,
                pages,
                toasts: RefCell::new(None),
                state: RefCell::new(State {
                    vm: None,
                    was_active: false,
                    choices: vec![ConsoleChoice::Display],
                    choice: 0,
                    active: false,
                    pending: None,
                    current: Current::None,
                    scaling: Scaling::Fit,
                    resize_guest: false,
                    force: false,
                    typed_password: None,
                    chooser: None,
                }),
            }
        });
        let view = ConsoleView { inner };
        // Connected only while on screen: a hidden tab or a closed page costs nothing.
        let weak = Rc::downgrade(&view.inner);
        view.inner.root.connect_map(move |_| {
            if let Some(inner) = weak.upgrade() {
                ConsoleView { inner }.set_active(true);
            }
        });
        let weak = Rc::downgrade(&view.inner);
        view.inner.root.connect_unmap(move |_| {
            if let Some(inner) = weak.upgrade() {
                ConsoleView { inner }.set_active(false);
            }
        });
        view.inner.toolbar.set_choices(&[ConsoleChoice::Display], 0);
        view.inner.update_toolbar();
        view
    }

    /// Show this view's messages in `overlay` (its console window's) from now on.
    pub fn set_toast_overlay(&self, overlay: &adw::ToastOverlay) {
        self.inner.toasts.replace(Some(overlay.clone()));
    }

    pub fn widget(&self) -> &gtk::Box {
        &self.inner.root
    }

    /// Show `vm`'s consoles (`None`: no machine). The same machine again only updates the
    /// choices (its details were reloaded).
    pub fn show_vm(&self, vm: Option<&VmObject>, choices: Vec<ConsoleChoice>) {
        let same = {
            let state = self.inner.state.borrow();
            match (&state.vm, vm) {
                (Some((old, _)), Some(new)) => old.summary().uuid == new.summary().uuid,
                (None, None) => true,
                _ => false,
            }
        };
        if same {
            self.inner.set_choices(choices);
            return;
        }
        self.inner.disconnect();
        {
            let mut state = self.inner.state.borrow_mut();
            if let Some((old, handler)) = state.vm.take() {
                old.disconnect(handler);
            }
            if let Some(vm) = vm {
                let weak = Rc::downgrade(&self.inner);
                let handler = vm.connect_revision_notify(move |_| {
                    if let Some(inner) = weak.upgrade() {
                        inner.vm_changed();
                    }
                });
                state.was_active = vm.summary().state.is_active();
                state.vm = Some((vm.clone(), handler));
            }
            state.choice = 0;
        }
        self.inner.set_choices(choices);
        self.inner.connect_if_active();
    }

    /// Select a console by its position in the choices (0 is the display).
    pub fn select(&self, index: usize) {
        self.inner.select(index);
    }

    /// Shown (connect) or hidden (disconnect: a console nobody sees costs nothing).
    pub fn set_active(&self, active: bool) {
        let was = std::mem::replace(&mut self.inner.state.borrow_mut().active, active);
        if active && !was {
            self.inner.connect_if_active();
        } else if !active && was {
            self.inner.disconnect();
            self.inner.pages.show_idle();
        }
    }

    /// The machine shown, if any.
    pub fn vm(&self) -> Option<VmObject> {
        self.inner.vm_object()
    }

    /// The console choices and the selected one, e.g. to open the same in a window.
    pub fn choices(&self) -> (Vec<ConsoleChoice>, usize) {
        self.inner.choices()
    }

    /// Take the toolbar out of the view (a console window puts it under its header).
    pub fn take_toolbar(&self) -> gtk::Box {
        let bar = self.inner.toolbar.bar.clone();
        bar.unparent();
        bar
    }

    /// What the display shows now, if a graphical console is connected (tests, bench).
    pub fn display_state(&self) -> Option<DisplayState> {
        match &self.inner.state.borrow().current {
            Current::Screen(s) => Some(s.state()),
            _ => None,
        }
    }
}

impl Inner {
    pub(super) fn hub(&self) -> &ConsoleHub {
        &self.hub
    }

    pub(super) fn toaster(&self) -> Toaster {
        Toaster {
            hub: self.hub.clone(),
            overlay: self.toasts.borrow().clone(),
        }
    }

    pub(super) fn root(&self) -> &gtk::Box {
        &self.root
    }

    pub(super) fn uuid(&self) -> Option<String> {
        let state = self.state.borrow();
        state.vm.as_ref().map(|(o, _)| o.summary().uuid.clone())
    }

    pub(super) fn vm_name(&self) -> String {
        let state = self.state.borrow();
        state
            .vm
            .as_ref()
            .map(|(o, _)| o.summary().name.clone())
            .unwrap_or_default()
    }

    pub(super) fn vm_active(&self) -> bool {
        let state = self.state.borrow();
        state
            .vm
            .as_ref()
            .is_some_and(|(o, _)| o.summary().state.is_active())
    }

    fn set_choices(&self, choices: Vec<ConsoleChoice>) {
        let (old, index) = {
            let state = self.state.borrow();
            (state.choices.get(state.choice).cloned(), state.choice)
        };
        // Keep the selected console when it is still offered.
        let index = old
            .and_then(|c| choices.iter().position(|x| *x == c))
            .unwrap_or(index.min(choices.len().saturating_sub(1)));
        self.toolbar.set_choices(&choices, index);
        let mut state = self.state.borrow_mut();
        state.choices = choices;
        state.choice = index;
    }

    pub(super) fn select(self: &Rc<Self>, index: usize) {
        {
            let mut state = self.state.borrow_mut();
            if state.choice == index || index >= state.choices.len() {
                return;
            }
            state.choice = index;
        }
        self.toolbar.select(index);
        self.disconnect();
        self.connect_if_active();
    }

    fn vm_changed(self: &Rc<Self>) {
        let active = self.vm_active();
        let was = std::mem::replace(&mut self.state.borrow_mut().was_active, active);
        if active && !was {
            // Started: connect (the display appears once QEMU listens).
            self.connect_if_active();
        } else if !active && was {
            self.disconnect();
            if self.state.borrow().active {
                self.pages.show_stopped(&self.vm_name());
            }
        }
    }

    pub(super) fn start_vm(&self) {
        if let Some(uuid) = self.uuid() {
            self.hub.start_vm(&uuid);
            self.pages.show_connecting(&gettext("Starting…"));
        }
    }

    /// The screen, when a graphical console is connected.
    pub(super) fn screen(&self) -> Option<Screen> {
        match &self.state.borrow().current {
            Current::Screen(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub(super) fn send_key(&self, key: SendKey) {
        if let Some(screen) = self.screen() {
            screen.send_key(key);
            self.toaster()
                .show(&gettext_f("Sent {keys}", &[("keys", &key.label())]), false);
        }
    }

    pub(super) fn set_scaling(&self, scaling: Scaling) {
        self.state.borrow_mut().scaling = scaling;
        if let Some(screen) = self.screen() {
            screen.set_scaling(scaling);
        }
        self.pages.set_scrolling(scaling == Scaling::Native);
    }

    pub(super) fn set_resize_guest(&self, resize: bool) {
        self.state.borrow_mut().resize_guest = resize;
        if let Some(screen) = self.screen() {
            screen.set_resize_guest(resize);
        }
    }

    /// Enable what makes sense in the current state.
    pub(super) fn update_toolbar(&self) {
        let (display, connected) = match &self.state.borrow().current {
            Current::Screen(s) => (true, matches!(s.state(), DisplayState::Connected { .. })),
            Current::Terminal(..) => (false, true),
            Current::None => (false, false),
        };
        self.toolbar.update(display && connected, self.vm_active());
    }

    /// The display's current frame, when a graphical console shows one.
    pub(super) fn screenshot(&self) -> Option<gtk::gdk::Texture> {
        self.screen().and_then(|s| s.screenshot())
    }

    /// Keep the open file chooser alive (GTK does not).
    pub(super) fn keep_chooser(&self, chooser: Option<gtk::FileChooserNative>) {
        self.state.borrow_mut().chooser = chooser;
    }

    pub(super) fn vm_object(&self) -> Option<VmObject> {
        self.state.borrow().vm.as_ref().map(|(o, _)| o.clone())
    }

    pub(super) fn choices(&self) -> (Vec<ConsoleChoice>, usize) {
        let state = self.state.borrow();
        (state.choices.clone(), state.choice)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let state = self.state.get_mut();
        if let Some(request) = state.pending.take() {
            self.hub.cancel(request);
        }
        match std::mem::replace(&mut state.current, Current::None) {
            Current::Screen(screen) => screen.close(),
            Current::Terminal(terminal, session) => {
                terminal.detach();
                session.close();
            }
            Current::None => {}
        }
        if let Some((vm, handler)) = state.vm.take() {
            vm.disconnect(handler);
        }
    }
}
