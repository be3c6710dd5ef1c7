//! The signals of the main, display and cursor channels the session listens to, each
//! turned into a [`LinkEvent`] (disconnected with the others when the session ends).

use std::rc::{Rc, Weak};

use spice::glib::prelude::*;
use spice::{CursorChannel, DisplayChannel, MainChannel};
use spice_client_glib as spice;

use super::{LinkEvent, Shared};
use crate::ui::widgets::spice_view::cursor::GuestCursor;

impl Shared {
    pub(super) fn watch_main(self: &Rc<Self>, main: &MainChannel) {
        let weak = Rc::downgrade(self);
        let id = main.connect_main_mouse_update(move |main| {
            with(&weak, |s| {
                s.emit(LinkEvent::MouseMode {
                    absolute: main.mouse_mode() == spice::MouseMode::CLIENT.bits(),
                })
            })
        });
        self.keep(main.upcast_ref(), id);
        let weak = Rc::downgrade(self);
        let id = main.connect_agent_connected_notify(move |main| {
            with(&weak, |s| {
                s.emit(LinkEvent::Agent(main.is_agent_connected()))
            })
        });
        self.keep(main.upcast_ref(), id);
    }

    pub(super) fn watch_cursor(self: &Rc<Self>, cursor: &CursorChannel) {
        let weak = Rc::downgrade(self);
        let id = cursor.connect_cursor_notify(move |cursor| {
            let shape = cursor
                .cursor()
                .map_or(GuestCursor::Default, |s| GuestCursor::from_shape(&s));
            with(&weak, |s| s.emit(LinkEvent::Cursor(shape)))
        });
        self.keep(cursor.upcast_ref(), id);
        let weak = Rc::downgrade(self);
        let id = cursor.connect_cursor_hide(move |_| {
            with(&weak, |s| s.emit(LinkEvent::Cursor(GuestCursor::Hidden)))
        });
        self.keep(cursor.upcast_ref(), id);
        let weak = Rc::downgrade(self);
        let id = cursor.connect_cursor_reset(move |_| {
            with(&weak, |s| s.emit(LinkEvent::Cursor(GuestCursor::Default)))
        });
        self.keep(cursor.upcast_ref(), id);
    }

    pub(super) fn watch_display(self: &Rc<Self>, display: &DisplayChannel) {
        let weak = Rc::downgrade(self);
        let id = display.connect_display_primary_create(move |_| {
            with(&weak, |s| s.emit(LinkEvent::PrimaryCreated))
        });
        self.keep(display.upcast_ref(), id);
        let weak = Rc::downgrade(self);
        let id = display.connect_display_primary_destroy(move |_| {
            with(&weak, |s| s.emit(LinkEvent::PrimaryDestroyed))
        });
        self.keep(display.upcast_ref(), id);
        let weak = Rc::downgrade(self);
        let id = display.connect_display_invalidate(move |_, x, y, w, h| {
            with(&weak, |s| s.emit(LinkEvent::Invalidate { x, y, w, h }))
        });
        self.keep(display.upcast_ref(), id);
    }
}

fn with(weak: &Weak<Shared>, f: impl FnOnce(&Shared)) {
    if let Some(shared) = weak.upgrade() {
        f(&shared);
    }
}
