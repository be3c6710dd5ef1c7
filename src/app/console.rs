//! The app's side of consoles: `--console NAME` opens that machine's console in a window
//! as soon as the first machine list arrives.

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
                ConsoleWindow::open(
                    &self.consoles,
                    Some(&parent),
                    &vm,
                    console_choices(None),
                    0,
                    false,
                );
            }
            None => self.chrome.toast(
                &gettext_f(
                    "There is no machine called “{name}” on this connection.",
                    &[("name", &wanted)],
                ),
                true,
            ),
        }
    }
}
