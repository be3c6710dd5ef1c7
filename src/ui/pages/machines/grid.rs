//! The machines page's grid view: a recycling `GridView` of [`VmCard`]s over the same
//! filtered, sorted selection model as the list, with thumbnails of running machines.
//!
//! Thumbnails cost a screenshot each, so they are asked for sparingly: only for cards
//! that are bound *and* inside the scrolled area, only for machines that run (or are
//! paused and have none yet), every [`REFRESH`] while the grid is mapped (the page is
//! shown in grid mode) and the window is not minimized, in one command per round. A card
//! bound to a running machine without a thumbnail (scrolling, filtering, switching to
//! the grid) asks for the missing ones [`SOON`] later. Textures live on the
//! [`VmObject`]s (`thumbnail`), so cards update by notify; a machine whose card is no
//! longer bound drops its texture at the next round, and all are dropped when the list
//! view is chosen, so memory stays bounded by what is on screen.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::time::Duration;

use gettextrs::gettext;
use gtk::prelude::*;
use gtk::{gdk, glib};

use relm4::prelude::*;

use super::{list, MachinesMsg, MachinesOutput, MachinesPage};
use crate::backend::screenshot::{ScreenshotCommand, Thumbnail};
use crate::backend::{BackendError, Command, ErrorKind, VmState};
use crate::ui::a11y;
use crate::ui::vm_object::VmObject;
use crate::ui::widgets::vm_card::{self, VmCard};

/// How often visible running machines get a fresh thumbnail.
pub const REFRESH: Duration = Duration::from_secs(5);
/// The delay before cards that just appeared ask for their missing thumbnails.
const SOON: Duration = Duration::from_millis(250);

/// Called with the machines to take thumbnails of and the bounds in device pixels.
pub type Request = Box<dyn Fn(Vec<String>, u32, u32)>;

struct State {
    this: Weak<State>,
    scrolled: gtk::ScrolledWindow,
    /// Cards bound to a machine, by UUID.
    bound: RefCell<HashMap<String, Rc<VmCard>>>,
    /// Machines that hold a thumbnail or were asked for one.
    shown: RefCell<HashMap<String, glib::WeakRef<VmObject>>>,
    request: Request,
    timer: RefCell<Option<glib::SourceId>>,
    soon: RefCell<Option<glib::SourceId>>,
}

pub struct Grid {
    pub root: gtk::ScrolledWindow,
    pub view: gtk::GridView,
    model: gtk::SingleSelection,
    state: Rc<State>,
}

impl Grid {
    /// A grid over `model`, not showing it until [`Grid::set_active`] (a `GridView` binds
    /// cards even while hidden).
    pub fn new(model: &gtk::SingleSelection, request: Request) -> Grid {
        let factory = gtk::SignalListItemFactory::new();
        factory.connect_setup(|_, item| {
            let item = item.downcast_ref::<gtk::ListItem>().expect("ListItem");
            let card = VmCard::new();
            item.set_child(Some(&card.root));
            // The card lives as long as its widget.
            unsafe { card.root.set_data("vm-card", card.clone()) };
        });
        let view = gtk::GridView::builder()
            .factory(&factory)
            .max_columns(16)
            .css_classes(["machines-grid"])
            .build();
        a11y::set_label(&view, &gettext("Virtual machines"));
        let root = gtk::ScrolledWindow::builder()
            .child(&view)
            .vexpand(true)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .build();
        let state = Rc::new_cyclic(|this| State {
            this: this.clone(),
            scrolled: root.clone(),
            bound: RefCell::default(),
            shown: RefCell::default(),
            request,
            timer: RefCell::default(),
            soon: RefCell::default(),
        });

        let weak = Rc::downgrade(&state);
        factory.connect_bind(move |_, item| {
            let item = item.downcast_ref::<gtk::ListItem>().expect("ListItem");
            let (Some(obj), Some(card), Some(state)) = (
                item.item().and_downcast::<VmObject>(),
                card_of(item),
                weak.upgrade(),
            ) else {
                return;
            };
            card.bind(&obj);
            let uuid = obj.summary().uuid.clone();
            state.bound.borrow_mut().insert(uuid, card);
            if wants_thumbnail(&obj, true) {
                state.refresh_soon();
            }
        });
        let weak = Rc::downgrade(&state);
        factory.connect_unbind(move |_, item| {
            let item = item.downcast_ref::<gtk::ListItem>().expect("ListItem");
            let Some(card) = card_of(item) else { return };
            if let (Some(obj), Some(state)) = (card.object(), weak.upgrade()) {
                let mut bound = state.bound.borrow_mut();
                let uuid = obj.summary().uuid.clone();
                // Only if no other card took this machine meanwhile.
                if bound.get(&uuid).is_some_and(|c| Rc::ptr_eq(c, &card)) {
                    bound.remove(&uuid);
                }
            }
            card.unbind();
        });

        // Rounds run while the grid is on screen.
        let weak = Rc::downgrade(&state);
        root.connect_map(move |_| {
            let Some(state) = weak.upgrade() else { return };
            state.refresh_soon();
            let tick = weak.clone();
            let id = glib::timeout_add_local(REFRESH, move || match tick.upgrade() {
                Some(state) => {
                    state.refresh(false);
                    glib::ControlFlow::Continue
                }
                None => glib::ControlFlow::Break,
            });
            if let Some(old) = state.timer.replace(Some(id)) {
                old.remove();
            }
        });
        let weak = Rc::downgrade(&state);
        root.connect_unmap(move |_| {
            if let Some(state) = weak.upgrade() {
                state.stop();
            }
        });
        Grid {
            root,
            view,
            model: model.clone(),
            state,
        }
    }

    /// The page's grid: thumbnails asked of the worker through the page's output,
    /// activation and the Delete key as in the list.
    pub fn for_page(
        selection: &gtk::SingleSelection,
        sender: &ComponentSender<MachinesPage>,
    ) -> Grid {
        let out = sender.output_sender().clone();
        let grid = Grid::new(
            selection,
            Box::new(move |uuids, max_width, max_height| {
                let cmd = ScreenshotCommand::Thumbnails {
                    uuids,
                    max_width,
                    max_height,
                };
                let _ = out.send(MachinesOutput::Send(Command::Screenshot(cmd)));
            }),
        );
        let input = sender.clone();
        grid.view
            .connect_activate(move |_, pos| input.input(MachinesMsg::Activated(pos)));
        let keys = gtk::EventControllerKey::new();
        let out = sender.output_sender().clone();
        let selection = selection.clone();
        keys.connect_key_pressed(move |_, key, _, _| match key {
            gtk::gdk::Key::Delete => list::delete_selected(&selection, &out),
            _ => glib::Propagation::Proceed,
        });
        grid.view.add_controller(keys);
        grid
    }

    /// Show the machines (the grid is the chosen view) or let go of them and of every
    /// thumbnail (the list is: no cards are kept bound and nothing needs the pictures).
    pub fn set_active(&self, active: bool) {
        if active == self.view.model().is_some() {
            return;
        }
        if active {
            self.view.set_model(Some(&self.model));
        } else {
            self.view.set_model(None::<&gtk::SelectionModel>);
            for (_, weak) in self.state.shown.borrow_mut().drain() {
                if let Some(obj) = weak.upgrade() {
                    obj.set_thumbnail(None);
                }
            }
        }
    }

    /// A thumbnail arrived (or why there is none). Machines that were not asked for, or
    /// were released since, are left alone.
    pub fn apply(&self, uuid: &str, result: Result<Thumbnail, BackendError>) {
        let obj = self
            .state
            .shown
            .borrow()
            .get(uuid)
            .and_then(|w| w.upgrade());
        let Some(obj) = obj else { return };
        match result {
            Ok(t) if obj.summary().state.is_active() => obj.set_thumbnail(Some(&texture(t))),
            Ok(_) => {}
            // Stopped, gone, or no display: the card shows the state icon. Other
            // failures (a lost connection) keep the last picture.
            Err(e) => {
                log::debug!("no thumbnail for {uuid}: {e}");
                if matches!(
                    e.kind,
                    ErrorKind::InvalidState | ErrorKind::NotFound | ErrorKind::Unsupported
                ) {
                    obj.set_thumbnail(None);
                }
            }
        }
    }
}

impl State {
    fn stop(&self) {
        if let Some(id) = self.timer.take() {
            id.remove();
        }
        if let Some(id) = self.soon.take() {
            id.remove();
        }
    }

    /// Ask for the missing thumbnails of what is on screen shortly (once per burst of
    /// binds).
    fn refresh_soon(&self) {
        if self.soon.borrow().is_some() {
            return;
        }
        let weak = self.this.clone();
        let id = glib::timeout_add_local_once(SOON, move || {
            if let Some(state) = weak.upgrade() {
                state.soon.replace(None);
                state.refresh(true);
            }
        });
        self.soon.replace(Some(id));
    }

    /// One round: release machines no longer bound, then ask for the visible ones
    /// (`missing_only`: only those without a thumbnail).
    fn refresh(&self, missing_only: bool) {
        if !self.on_screen() {
            return;
        }
        let bound = self.bound.borrow();
        let mut shown = self.shown.borrow_mut();
        shown.retain(|uuid, weak| {
            let keep = bound.contains_key(uuid);
            if !keep {
                if let Some(obj) = weak.upgrade() {
                    obj.set_thumbnail(None);
                }
            }
            keep
        });
        let height = f64::from(self.scrolled.height());
        let mut uuids = Vec::new();
        let mut laid_out = false;
        for (uuid, card) in bound.iter() {
            let Some(obj) = card.object() else { continue };
            // Cards kept bound beyond the scrolled area are unmapped (GTK 4.8 hides
            // them); the last row may be mapped but scrolled out of sight.
            let bounds = card
                .root
                .compute_bounds(&self.scrolled)
                .filter(|r| card.root.is_mapped() && r.height() > 0.0);
            laid_out |= bounds.is_some();
            let visible = bounds
                .is_some_and(|r| f64::from(r.y() + r.height()) > 0.0 && f64::from(r.y()) < height);
            if visible && wants_thumbnail(&obj, missing_only) {
                shown.insert(uuid.clone(), obj.downgrade());
                uuids.push(uuid.clone());
            }
        }
        if !laid_out && !bound.is_empty() {
            // Just shown: the cards get their places in the next frame.
            drop((bound, shown));
            self.refresh_soon();
            return;
        }
        if uuids.is_empty() {
            return;
        }
        log::debug!("asking for {} thumbnails", uuids.len());
        // Wide enough for the frame at the display's scale; as tall as wide so that a
        // 4:3 or 16:10 screen still covers the 16:10 frame without being enlarged.
        let side = (vm_card::SCREEN_WIDTH * self.scrolled.scale_factor().max(1)) as u32;
        (self.request)(uuids, side, side);
    }

    /// Whether a user can see the grid: mapped in a window that is not minimized.
    fn on_screen(&self) -> bool {
        if !self.scrolled.is_mapped() {
            return false;
        }
        let minimized = self
            .scrolled
            .native()
            .and_then(|n| n.surface())
            .and_downcast::<gdk::Toplevel>()
            .is_some_and(|t| t.state().contains(gdk::ToplevelState::MINIMIZED));
        !minimized
    }
}

/// Whether `obj`'s card should ask for a thumbnail: running machines always (their
/// screen changes), other active ones (paused) only while they have none.
fn wants_thumbnail(obj: &VmObject, missing_only: bool) -> bool {
    let state = obj.summary().state;
    let missing = obj.thumbnail().is_none();
    match state {
        VmState::Running | VmState::Blocked => missing || !missing_only,
        s => s.is_active() && missing,
    }
}

/// The thumbnail as a texture (packed RGB8, no copy).
fn texture(t: Thumbnail) -> gdk::Texture {
    let bytes = glib::Bytes::from_owned(t.pixels);
    gdk::MemoryTexture::new(
        t.width as i32,
        t.height as i32,
        gdk::MemoryFormat::R8g8b8,
        &bytes,
        t.stride as usize,
    )
    .upcast()
}

fn card_of(item: &gtk::ListItem) -> Option<Rc<VmCard>> {
    let child = item.child()?;
    // SAFETY: "vm-card" is only ever set to an Rc<VmCard> in the factory's setup.
    unsafe {
        child
            .data::<Rc<VmCard>>("vm-card")
            .map(|p| p.as_ref().clone())
    }
}
