//! A console in its own window: several can be open at once, one per machine or more.
//! Full screen hides the header and the console toolbar; they slide back in when the
//! pointer touches the top edge. F11 toggles full screen, Ctrl+W closes the window.

use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use super::choices::ConsoleChoice;
use super::hub::ConsoleHub;
use super::view::{ConsoleView, Inner};
use crate::i18n::gettext_f;
use crate::ui::a11y;
use crate::ui::vm_object::VmObject;

struct WindowInner {
    window: adw::Window,
    view: ConsoleView,
    uuid: String,
}

/// Cheap to clone; equal when it is the same window.
#[derive(Clone)]
pub struct ConsoleWindow {
    inner: Rc<WindowInner>,
}

impl PartialEq for ConsoleWindow {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl ConsoleWindow {
    /// Open a window on `vm`'s console number `choice` of `choices`.
    pub fn open(
        hub: &ConsoleHub,
        parent: Option<&gtk::Window>,
        vm: &VmObject,
        choices: Vec<ConsoleChoice>,
        choice: usize,
        fullscreen: bool,
    ) -> ConsoleWindow {
        let name = vm.summary().name.clone();
        let view = ConsoleView::new(hub, true);
        view.show_vm(Some(vm), choices);
        view.select(choice);

        let title = adw::WindowTitle::new(&name, &gettext("Console"));
        let header = adw::HeaderBar::builder().title_widget(&title).build();
        let leave = gtk::Button::from_icon_name("view-restore-symbolic");
        a11y::name_icon_widget(&leave, &gettext("Leave Full Screen"));
        leave.set_visible(false);
        header.pack_end(&leave);

        // The header and the console toolbar travel together: on top normally, in a
        // revealer over the console in full screen.
        let toolbar = view.take_toolbar();
        let chrome = gtk::Box::new(gtk::Orientation::Vertical, 0);
        chrome.append(&header);
        chrome.append(&toolbar);
        let slot = gtk::Box::new(gtk::Orientation::Vertical, 0);
        slot.append(&chrome);
        let reveal = gtk::Revealer::builder()
            .valign(gtk::Align::Start)
            .transition_type(gtk::RevealerTransitionType::SlideDown)
            .build();
        reveal.add_css_class("background");
        let column = gtk::Box::new(gtk::Orientation::Vertical, 0);
        column.append(&slot);
        column.append(view.widget());
        let overlay = gtk::Overlay::builder().child(&column).build();
        overlay.add_overlay(&reveal);
        let toasts = adw::ToastOverlay::new();
        toasts.set_child(Some(&overlay));
        view.set_toast_overlay(&toasts);

        let window = adw::Window::builder()
            .title(gettext_f("{name} – Console", &[("name", &name)]))
            .default_width(1024)
            .default_height(800)
            .content(&toasts)
            .build();
        if let Some(parent) = parent {
            window.set_application(parent.application().as_ref());
        }

        // Full screen: move the chrome into the revealer, show it near the top edge.
        {
            let (chrome, slot, reveal, leave) =
                (chrome.clone(), slot.clone(), reveal.clone(), leave.clone());
            window.connect_fullscreened_notify(move |w| {
                chrome.unparent();
                if w.is_fullscreen() {
                    reveal.set_child(Some(&chrome));
                    reveal.set_reveal_child(false);
                } else {
                    reveal.set_child(None::<&gtk::Widget>);
                    slot.append(&chrome);
                }
                leave.set_visible(w.is_fullscreen());
            });
        }
        let motion = gtk::EventControllerMotion::new();
        {
            let (reveal, window) = (reveal.clone(), window.clone());
            motion.connect_motion(move |_, _, y| {
                if window.is_fullscreen() {
                    let near = if reveal.reveals_child() {
                        y < f64::from(reveal.height()) + 8.0
                    } else {
                        y < 4.0
                    };
                    reveal.set_reveal_child(near);
                }
            });
        }
        overlay.add_controller(motion);
        {
            let window = window.clone();
            leave.connect_clicked(move |_| window.unfullscreen());
        }
        let keys = gtk::ShortcutController::new();
        keys.set_scope(gtk::ShortcutScope::Global);
        keys.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string("F11"),
            Some(gtk::CallbackAction::new(|widget, _| {
                if let Some(w) = widget.downcast_ref::<gtk::Window>() {
                    w.set_fullscreened(!w.is_fullscreen());
                }
                glib::Propagation::Stop
            })),
        ));
        keys.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string("<Control>w"),
            Some(gtk::CallbackAction::new(|widget, _| {
                if let Some(w) = widget.downcast_ref::<gtk::Window>() {
                    w.close();
                }
                glib::Propagation::Stop
            })),
        ));
        window.add_controller(keys);

        let console = ConsoleWindow {
            inner: Rc::new(WindowInner {
                window: window.clone(),
                view: view.clone(),
                uuid: vm.summary().uuid.clone(),
            }),
        };
        {
            let hub = hub.clone();
            let console = console.clone();
            window.connect_close_request(move |_| {
                console.inner.view.set_active(false);
                hub.forget_window(&console);
                glib::Propagation::Proceed
            });
        }
        hub.keep_window(console.clone());
        window.present();
        if fullscreen {
            window.fullscreen();
        }
        console
    }

    pub fn uuid(&self) -> String {
        self.inner.uuid.clone()
    }

    pub fn close(&self) {
        self.inner.window.close();
    }

    pub fn window(&self) -> &adw::Window {
        &self.inner.window
    }
}

use gtk::glib;

impl Inner {
    /// "Full Screen": a window toggles itself; the tab opens a full-screen window.
    pub(super) fn fullscreen(&self) {
        if self.windowed {
            if let Some(w) = self.root().root().and_downcast::<gtk::Window>() {
                w.set_fullscreened(!w.is_fullscreen());
            }
        } else {
            self.open_window(true);
        }
    }

    /// "Open in New Window": the same console in a window of its own.
    pub(super) fn open_window(&self, fullscreen: bool) {
        let Some(vm) = self.vm_object() else { return };
        let (choices, choice) = self.choices();
        let parent = self.root().root().and_downcast::<gtk::Window>();
        ConsoleWindow::open(
            self.hub(),
            parent.as_ref(),
            &vm,
            choices,
            choice,
            fullscreen,
        );
    }
}
