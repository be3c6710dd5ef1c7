//! [`DisplayCanvas`]: the widget both graphical consoles paint into and take input from.
//!
//! It keeps the guest's screen as a [`Frame`] cut into tiles, each kept as its own render
//! node: a damaged rectangle only marks tiles, the next paint re-creates just those, and
//! the unchanged tiles' nodes are appended again as they were, so GTK's node diff redraws
//! only the changed tiles. Under the GL renderer a tile is a `gdk::MemoryTexture` (GTK 4.8
//! cannot update a texture in place; the renderer keeps uploaded textures); under the
//! cairo renderer, which re-converts every texture on every draw in GTK 4.8, a tile is a
//! cairo node holding the tile's pixels as a cairo RGB24 image, which has the frame's byte
//! layout and paints without conversion. The frame is scaled per
//! [`Scaling`]; in `Native` the widget asks for the frame's size so a `ScrolledWindow`
//! around it scrolls. Input (`input`) is reported in guest pixels: keys as XT scancodes
//! plus keysyms, pointer position with the VNC button mask, scroll steps. While focused
//! it inhibits the desktop's shortcuts (the "keyboard grab"), released with Ctrl+Alt.

mod input;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

use gtk::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{cairo, gdk, glib, graphene, gsk};

use super::frame::{Frame, Rect};
use super::keymap::XtScancode;
use super::layout::{Layout, Placed};
use super::Scaling;

type KeyFn = Rc<dyn Fn(XtScancode, u32, bool)>;
type PointerFn = Rc<dyn Fn(u32, u32, u32)>;
type ScrollFn = Rc<dyn Fn(f64, f64)>;
type GrabFn = Rc<dyn Fn(bool)>;
type ResizeFn = Rc<dyn Fn(u32, u32)>;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct DisplayCanvas {
        pub(super) frame: RefCell<Frame>,
        /// One render node per tile, row-major; `None` until first painted.
        pub(super) tiles: RefCell<Vec<Option<gsk::RenderNode>>>,
        /// What the tiles were made for: the renderer (it may change with the window)
        /// and where the frame sits in the widget (tiles are placed in widget pixels).
        pub(super) tiles_for: Cell<Option<(TileKind, Layout)>>,
        pub(super) scaling: Cell<Scaling>,
        pub(super) frames: Cell<u64>,
        pub(super) first_frame: Cell<Option<Instant>>,
        pub(super) on_key: RefCell<Vec<KeyFn>>,
        pub(super) on_pointer: RefCell<Vec<PointerFn>>,
        pub(super) on_scroll: RefCell<Vec<ScrollFn>>,
        pub(super) on_grab: RefCell<Vec<GrabFn>>,
        pub(super) on_resize: RefCell<Vec<ResizeFn>>,
        /// The last allocated size, so resize handlers run on changes only.
        pub(super) allocated: Cell<(i32, i32)>,
        pub(super) input: RefCell<input::InputState>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for DisplayCanvas {
        const NAME: &'static str = "KvmmDisplayCanvas";
        type Type = super::DisplayCanvas;
        type ParentType = gtk::Widget;

        fn class_init(klass: &mut Self::Class) {
            klass.set_css_name("display-canvas");
            klass.set_accessible_role(gtk::AccessibleRole::Img);
        }
    }

    impl ObjectImpl for DisplayCanvas {
        fn constructed(&self) {
            self.parent_constructed();
            let obj = self.obj();
            obj.set_focusable(true);
            obj.set_can_focus(true);
            obj.set_overflow(gtk::Overflow::Hidden);
            input::attach(&obj);
        }
    }

    impl WidgetImpl for DisplayCanvas {
        fn measure(&self, orientation: gtk::Orientation, _for_size: i32) -> (i32, i32, i32, i32) {
            let frame = self.frame.borrow();
            let len = match orientation {
                gtk::Orientation::Horizontal => frame.width(),
                _ => frame.height(),
            } as i32;
            match self.scaling.get() {
                Scaling::Native => (len, len, -1, -1),
                Scaling::Fit => (0, len, -1, -1),
            }
        }

        fn size_allocate(&self, width: i32, height: i32, baseline: i32) {
            self.parent_size_allocate(width, height, baseline);
            if self.allocated.replace((width, height)) != (width, height) {
                let handlers = self.on_resize.borrow().clone();
                for f in handlers {
                    f(width.max(0) as u32, height.max(0) as u32);
                }
            }
        }

        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            let obj = self.obj();
            let (w, h) = (
                WidgetExt::width(&*obj) as f32,
                WidgetExt::height(&*obj) as f32,
            );
            snapshot.append_color(&gdk::RGBA::BLACK, &graphene::Rect::new(0.0, 0.0, w, h));
            if self.frame.borrow().width() == 0 {
                return;
            }
            self.refresh_tiles();
            for node in self.tiles.borrow().iter().flatten() {
                snapshot.append_node(node);
            }
        }
    }

    impl DisplayCanvas {
        pub(super) fn layout(&self) -> Layout {
            let obj = self.obj();
            let frame = self.frame.borrow();
            Layout::new(
                f64::from(WidgetExt::width(&*obj)),
                f64::from(WidgetExt::height(&*obj)),
                frame.width(),
                frame.height(),
                self.scaling.get(),
            )
        }

        /// Re-create the nodes of the tiles that changed since the last paint (all of
        /// them when the renderer or the frame's place in the widget changed).
        fn refresh_tiles(&self) {
            let kind = TileKind::for_widget(&*self.obj());
            let layout = self.layout();
            let mut frame = self.frame.borrow_mut();
            if self.tiles_for.replace(Some((kind, layout))) != Some((kind, layout)) {
                frame.mark_all_dirty();
            }
            let mut tiles = self.tiles.borrow_mut();
            let across = frame.tiles_x();
            for (tx, ty) in frame.take_dirty() {
                let r = frame.tile_rect(tx, ty);
                if let Some(slot) = tiles.get_mut((ty * across + tx) as usize) {
                    *slot = kind.node(&frame, r, layout.place(r));
                }
            }
        }
    }
}

glib::wrapper! {
    /// The guest's screen: painted from tiles, scaled, taking keyboard and pointer input.
    pub struct DisplayCanvas(ObjectSubclass<imp::DisplayCanvas>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for DisplayCanvas {
    fn default() -> Self {
        DisplayCanvas::new()
    }
}

/// B8G8R8A8 with alpha 255 is the same bytes premultiplied or not. GTK 4.8's
/// `gdk_memory_convert` has no shortcut for identical formats and converts the
/// premultiplied one through floats on every cairo-renderer draw (91 % of the console's
/// CPU time in the console benchmark); the straight format takes its integer path.
const FORMAT: gdk::MemoryFormat = gdk::MemoryFormat::B8g8r8a8;

/// How tiles are turned into render nodes: whichever the widget's renderer draws cheaply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum TileKind {
    #[default]
    Texture,
    Cairo,
}

impl TileKind {
    fn for_widget(widget: &impl IsA<gtk::Widget>) -> TileKind {
        let cairo = widget
            .native()
            .and_then(|n| n.renderer())
            .is_some_and(|r| r.is::<gsk::CairoRenderer>());
        if cairo {
            TileKind::Cairo
        } else {
            TileKind::Texture
        }
    }

    /// The node painting tile `r` of `frame` at `at` (none when it lands on no pixel).
    fn node(self, frame: &Frame, r: Rect, at: Placed) -> Option<gsk::RenderNode> {
        let (x, y, w, h) = at;
        if w <= 0 || h <= 0 {
            return None;
        }
        let bounds = graphene::Rect::new(x as f32, y as f32, w as f32, h as f32);
        let pixels = frame.copy_rect(r);
        Some(match self {
            TileKind::Texture => {
                let bytes = glib::Bytes::from_owned(pixels);
                let texture = gdk::MemoryTexture::new(
                    r.width as i32,
                    r.height as i32,
                    FORMAT,
                    &bytes,
                    r.width as usize * 4,
                );
                gsk::TextureNode::new(&texture, &bounds).upcast()
            }
            TileKind::Cairo => cairo_tile(pixels, r, &bounds),
        })
    }
}

/// A cairo node painting `pixels` (tile `r`, B8G8R8x8 = cairo's RGB24) scaled to fill
/// `bounds` (whole widget pixels, so the renderer composites it 1:1). The pattern pads
/// at its edges: a scaled tile's border pixels take its own colours, not transparency.
fn cairo_tile(pixels: Vec<u8>, r: Rect, bounds: &graphene::Rect) -> gsk::RenderNode {
    let node = gsk::CairoNode::new(bounds);
    let (w, h) = (r.width as i32, r.height as i32);
    let drawn = cairo::ImageSurface::create_for_data(pixels, cairo::Format::Rgb24, w, h, w * 4)
        .and_then(|surface| {
            let cr = node.draw_context();
            cr.translate(f64::from(bounds.x()), f64::from(bounds.y()));
            cr.scale(
                f64::from(bounds.width()) / f64::from(w),
                f64::from(bounds.height()) / f64::from(h),
            );
            cr.set_source_surface(&surface, 0.0, 0.0)?;
            cr.source().set_extend(cairo::Extend::Pad);
            cr.rectangle(0.0, 0.0, f64::from(w), f64::from(h));
            cr.fill()
        });
    if let Err(e) = drawn {
        log::warn!("console tile {r:?} not painted: {e}");
    }
    node.upcast()
}

impl DisplayCanvas {
    pub fn new() -> DisplayCanvas {
        glib::Object::new()
    }

    /// Start a new `width` × `height` black frame (the guest's screen changed size).
    /// Refuses sizes above 16384 pixels a side or 256 MiB, with a message for the user,
    /// before allocating anything; the old frame then stays.
    pub fn set_size(&self, width: u32, height: u32) -> Result<(), String> {
        let imp = self.imp();
        {
            let frame = imp.frame.borrow();
            if frame.width() == width && frame.height() == height {
                return Ok(());
            }
        }
        let frame = Frame::new(width, height)?;
        let tiles = (frame.tiles_x() * frame.tiles_y()) as usize;
        imp.frame.replace(frame);
        imp.tiles.replace(vec![None; tiles]);
        self.queue_resize();
        self.queue_draw();
        Ok(())
    }

    /// The frame's size (0 × 0 before [`DisplayCanvas::set_size`]).
    pub fn frame_size(&self) -> (u32, u32) {
        let frame = self.imp().frame.borrow();
        (frame.width(), frame.height())
    }

    /// Copy the damaged rectangle `x, y, w, h` from `frame` (the whole guest screen,
    /// 4 bytes a pixel, B8G8R8x8 / little-endian xRGB, `stride` bytes a row). A rectangle
    /// partly outside the frame or the buffer is clipped; one wholly outside is ignored.
    pub fn update(&self, x: i32, y: i32, w: i32, h: i32, frame: &[u8], stride: usize) {
        let imp = self.imp();
        let copied = imp.frame.borrow_mut().update(
            i64::from(x),
            i64::from(y),
            i64::from(w),
            i64::from(h),
            frame,
            stride,
        );
        if copied.is_some() {
            imp.frames.set(imp.frames.get() + 1);
            if imp.first_frame.get().is_none() {
                imp.first_frame.set(Some(Instant::now()));
            }
            self.queue_draw();
        }
    }

    pub fn set_scaling(&self, scaling: Scaling) {
        let imp = self.imp();
        if imp.scaling.replace(scaling) != scaling {
            self.queue_resize();
        }
    }

    pub fn scaling(&self) -> Scaling {
        self.imp().scaling.get()
    }

    /// The whole frame as one texture (for screenshots); `None` before the first size.
    pub fn texture(&self) -> Option<gdk::Texture> {
        let frame = self.imp().frame.borrow();
        (frame.width() > 0).then(|| {
            let bytes = glib::Bytes::from(frame.pixels());
            gdk::MemoryTexture::new(
                frame.width() as i32,
                frame.height() as i32,
                FORMAT,
                &bytes,
                frame.stride(),
            )
            .upcast()
        })
    }

    /// How many updates changed pixels so far.
    pub fn frames(&self) -> u64 {
        self.imp().frames.get()
    }

    /// When the first update arrived (for time-to-first-frame measurements).
    pub fn first_frame_at(&self) -> Option<Instant> {
        self.imp().first_frame.get()
    }

    /// Show the guest's pointer shape over the canvas (`None`: the default arrow).
    pub fn set_guest_cursor(&self, image: Option<&gdk::Texture>, hot_x: i32, hot_y: i32) {
        let cursor = image.map(|t| gdk::Cursor::from_texture(t, hot_x, hot_y, None));
        WidgetExt::set_cursor(self, cursor.as_ref());
    }

    /// A key went down or up: its scancode, its X keysym, pressed or released. Keys
    /// without a PC scancode are not reported. On focus loss every pressed key is
    /// reported released.
    pub fn connect_key(&self, f: impl Fn(XtScancode, u32, bool) + 'static) {
        self.imp().on_key.borrow_mut().push(Rc::new(f));
    }

    /// The pointer moved or a button changed: guest pixel and VNC button mask (1 left,
    /// 2 middle, 4 right).
    pub fn connect_pointer(&self, f: impl Fn(u32, u32, u32) + 'static) {
        self.imp().on_pointer.borrow_mut().push(Rc::new(f));
    }

    /// Scroll steps (positive `dy`: down, positive `dx`: right).
    pub fn connect_scroll(&self, f: impl Fn(f64, f64) + 'static) {
        self.imp().on_scroll.borrow_mut().push(Rc::new(f));
    }

    /// The keyboard grab started (`true`) or ended: show or hide "Press Ctrl+Alt to
    /// release the keyboard".
    pub fn connect_grab_changed(&self, f: impl Fn(bool) + 'static) {
        self.imp().on_grab.borrow_mut().push(Rc::new(f));
    }

    /// The canvas got a new size (logical pixels): a guest resize may follow it.
    pub fn connect_resized(&self, f: impl Fn(u32, u32) + 'static) {
        self.imp().on_resize.borrow_mut().push(Rc::new(f));
    }

    /// Whether the canvas holds the keyboard grab now.
    pub fn is_grabbed(&self) -> bool {
        self.imp().input.borrow().grabbed
    }

    /// Feed a key as if it were pressed or released on the canvas (the same path a real
    /// key event takes; Send Key and tests use it).
    pub fn key_event(&self, scancode: XtScancode, keysym: u32, pressed: bool) {
        input::key(self, scancode, keysym, pressed);
    }

    /// Release every key held down (reported as releases) and end the grab.
    pub fn release_all(&self) {
        input::release_all(self);
    }
}
