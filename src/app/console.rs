//! The app's side of consoles: `--console NAME` opens that machine's console in a window
//! as soon as the first machine list arrives. The main window stays hidden meanwhile (no
//! time spent building pages nobody sees before the console's first frame): it appears
//! when the machine is not found, the connection fails or the machine goes away, and
//! when the console window closes while it is still hidden, the app ends.

use gtk::prelude::*;

use super::App;
use crate::i18n::gettext_f;
use crate::ui::console::{console_choices, ConsoleWindow};

impl App {
    pub(super) fn open_console_at_start(&mut self) {
        let Some(wanted) = self.console_at_start.take() else {
            return;
        };
        let vm = self
            .store
            .objects()
            .find(|o| {
                let s = o.summary();
                s.name == wanted || s.uuid == wanted
            })
            .cloned();
        match vm {
            Some(vm) => {
                let parent: gtk::Window = self.window.clone().into();
                let console = ConsoleWindow::open(
                    &self.consoles,
                    Some(&parent),
                    &vm,
                    console_choices(None),
                    0,
                    false,
                );
                if !self.main_window_shown {
                    let main = self.window.downgrade();
                    console.window().connect_close_request(move |_| {
                        // The app's hidden windows (main, dialogs) would keep it running.
                        if main.upgrade().is_some_and(|w| !w.is_visible()) {
                            relm4::main_application().quit();
                        }
                        gtk::glib::Propagation::Proceed
                    });
                }
            }
            None => {
                self.show_main_window();
                self.chrome.toast(
                    &gettext_f(
                        "There is no machine called “{name}” on this connection.",
                        &[("name", &wanted)],
                    ),
                    true,
                );
            }
        }
    }

    /// Show the main window if `--console` kept it hidden so far.
    pub(super) fn show_main_window(&mut self) {
        if !std::mem::replace(&mut self.main_window_shown, true) {
            self.window.present();
        }
    }
}
