//! The frame of one host object's page (a pool, a network): a header with Back, Start or
//! Stop, and the object's menu; a scrolling column for the page's groups; and the "Start
//! with the host" switch, which only reports changes the user makes.

use std::cell::Cell;
use std::rc::Rc;

use adw::prelude::*;
use gettextrs::gettext;

use super::host_page;
use crate::i18n::gettext_f;
use crate::ui::a11y;

/// What the frame's controls do.
pub struct DetailActions {
    pub back: Box<dyn Fn()>,
    /// Start (`true`) or stop (`false`) the object.
    pub run: Box<dyn Fn(bool)>,
    pub autostart: Box<dyn Fn(bool)>,
}

pub struct DetailFrame {
    root: gtk::Box,
    /// Where the page puts its groups.
    pub column: gtk::Box,
    /// Holds "Start with the host"; the page places it in `column`.
    pub options: adw::PreferencesGroup,
    title: adw::WindowTitle,
    start_stop: gtk::Button,
    active: Rc<Cell<bool>>,
    autostart: gtk::Switch,
    /// Set while the switch is moved to match the object (not by the user).
    syncing: Rc<Cell<bool>>,
}

impl DetailFrame {
    /// `menu` is the header's menu button (see [`host_page::row_menu`]).
    pub fn new(menu: &gtk::MenuButton, actions: DetailActions) -> DetailFrame {
        let DetailActions {
            back: on_back,
            run,
            autostart: on_autostart,
        } = actions;
        let title = adw::WindowTitle::new("", "");
        let (header, back) = host_page::header(&title);
        back.connect_clicked(move |_| on_back());
        let active = Rc::new(Cell::new(false));
        let start_stop = gtk::Button::with_label(&gettext("Start"));
        {
            let active = active.clone();
            start_stop.connect_clicked(move |_| run(!active.get()));
        }
        header.pack_end(menu);
        header.pack_end(&start_stop);

        let (scroll, column) = host_page::scrolled_column();
        let autostart = gtk::Switch::builder().valign(gtk::Align::Center).build();
        let row = adw::ActionRow::builder()
            .title(gettext("Start with the host"))
            .activatable_widget(&autostart)
            .build();
        row.add_suffix(&autostart);
        let syncing = Rc::new(Cell::new(false));
        {
            let syncing = syncing.clone();
            autostart.connect_active_notify(move |s| {
                if !syncing.get() {
                    on_autostart(s.is_active());
                }
            });
        }
        let options = adw::PreferencesGroup::new();
        options.add(&row);
        let root = gtk::Box::new(gtk::Orientation::Vertical, 0);
        root.append(&header);
        root.append(&scroll);
        DetailFrame {
            root,
            column,
            options,
            title,
            start_stop,
            active,
            autostart,
            syncing,
        }
    }

    pub fn widget(&self) -> &gtk::Box {
        &self.root
    }

    /// Show the object's name and kind, and whether it runs and starts with the host.
    pub fn set_state(&self, name: &str, kind: &str, active: bool, autostart: bool) {
        self.title.set_title(name);
        self.title.set_subtitle(kind);
        self.active.set(active);
        let (label, a11y_label) = if active {
            (
                gettext("Stop"),
                gettext_f("Stop “{name}”", &[("name", name)]),
            )
        } else {
            (
                gettext("Start"),
                gettext_f("Start “{name}”", &[("name", name)]),
            )
        };
        self.start_stop.set_label(&label);
        a11y::set_label(&self.start_stop, &a11y_label);
        self.syncing.set(true);
        self.autostart.set_active(autostart);
        self.syncing.set(false);
    }
}
