//! One card of the machines grid, as GNOME Boxes shows them: the machine's screen (a
//! recent thumbnail while it runs, else a large state icon) in a rounded 16:10 frame, its
//! name and its state below.
//!
//! Cards are recycled by the `GridView`: `bind` attaches a card to a [`VmObject`] and
//! follows its `revision` and `thumbnail`; `unbind` lets go. A screen reader announces the
//! card by the machine's name, then its state; the picture, when shown, is named
//! "Screen of “name”".

use std::cell::RefCell;
use std::rc::Rc;

use gtk::glib;
use gtk::prelude::*;

use crate::backend::VmSummary;
use crate::i18n::gettext_f;
use crate::ui::vm_object::VmObject;
use crate::ui::{a11y, format};

/// The screen frame's size in logical pixels (16:10).
pub const SCREEN_WIDTH: i32 = 180;
pub const SCREEN_HEIGHT: i32 = 112;

pub struct VmCard {
    pub root: gtk::Box,
    picture: gtk::Picture,
    icon: gtk::Image,
    name: gtk::Label,
    state: gtk::Label,
    bound: RefCell<Option<(VmObject, [glib::SignalHandlerId; 2])>>,
}

impl VmCard {
    pub fn new() -> Rc<Self> {
        let root = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(3)
            .halign(gtk::Align::Center)
            .css_classes(["vm-card"])
            .build();
        let picture = gtk::Picture::builder()
            .can_shrink(true)
            .content_fit(gtk::ContentFit::Cover)
            .build();
        let icon = gtk::Image::builder()
            .pixel_size(48)
            .halign(gtk::Align::Center)
            .valign(gtk::Align::Center)
            .build();
        // An overlay is as large as its main child, here an empty box of the frame's size:
        // the picture and the icon on top never make the card grow.
        let frame = gtk::Box::builder()
            .width_request(SCREEN_WIDTH)
            .height_request(SCREEN_HEIGHT)
            .build();
        let screen = gtk::Overlay::builder()
            .child(&frame)
            .overflow(gtk::Overflow::Hidden)
            .css_classes(["vm-card-screen"])
            .margin_bottom(6)
            .build();
        screen.add_overlay(&picture);
        screen.add_overlay(&icon);
        let name = gtk::Label::builder()
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .max_width_chars(1)
            .css_classes(["heading"])
            .build();
        let state = gtk::Label::builder()
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .max_width_chars(1)
            .css_classes(["caption", "dim-label"])
            .build();
        root.append(&screen);
        root.append(&name);
        root.append(&state);
        Rc::new(VmCard {
            root,
            picture,
            icon,
            name,
            state,
            bound: RefCell::new(None),
        })
    }

    /// The machine this card shows, if bound.
    pub fn object(&self) -> Option<VmObject> {
        self.bound.borrow().as_ref().map(|(obj, _)| obj.clone())
    }

    pub fn bind(self: &Rc<Self>, obj: &VmObject) {
        self.unbind();
        let weak = Rc::downgrade(self);
        let revision = obj.connect_revision_notify(move |obj| {
            if let Some(card) = weak.upgrade() {
                card.show(obj);
            }
        });
        let weak = Rc::downgrade(self);
        let thumbnail = obj.connect_thumbnail_notify(move |obj| {
            if let Some(card) = weak.upgrade() {
                card.show(obj);
            }
        });
        self.show(obj);
        self.bound
            .replace(Some((obj.clone(), [revision, thumbnail])));
    }

    pub fn unbind(&self) {
        if let Some((obj, handlers)) = self.bound.take() {
            for handler in handlers {
                obj.disconnect(handler);
            }
        }
        self.picture.set_paintable(None::<&gtk::gdk::Paintable>);
    }

    fn show(&self, obj: &VmObject) {
        let vm: VmSummary = obj.summary().clone();
        let texture = obj.thumbnail();
        self.picture.set_paintable(texture.as_ref());
        self.picture.set_visible(texture.is_some());
        self.icon.set_visible(texture.is_none());
        self.icon.set_icon_name(Some(format::state_icon(vm.state)));
        format::set_state_class(&self.icon, vm.state);
        if texture.is_some() {
            a11y::set_label(
                &self.picture,
                &gettext_f("Screen of “{name}”", &[("name", &vm.name)]),
            );
        }
        let state_text = vm.state.label();
        self.name.set_text(&vm.name);
        self.state.set_text(&state_text);
        self.root.set_tooltip_text(Some(&vm.name));
        a11y::set_label(&self.root, &vm.name);
        a11y::set_description(&self.root, &state_text);
        if let Some(item) = self.root.parent() {
            a11y::set_label(&item, &vm.name);
            a11y::set_description(&item, &state_text);
        }
    }
}
