//! The display canvas (src/ui/widgets/display/canvas.rs) in a real window: what it paints
//! (tiles, scaled to fit with black bars, a later damaged rectangle), the size it asks for
//! per scaling mode, and the keyboard grab (taken with focus, released by Ctrl+Alt, every
//! held key released when focus leaves). GTK needs its main thread and a display, hence
//! `harness = false` and the Xvfb re-run of gtk_support.

mod gtk_support;

use std::cell::RefCell;
use std::rc::Rc;

use gtk::prelude::*;
use gtk_support::{pump_for, pump_until};
use kvm_manager::ui::widgets::display::canvas::DisplayCanvas;
use kvm_manager::ui::widgets::display::keymap::XtScancode;
use kvm_manager::ui::widgets::display::Scaling;

fn main() {
    gtk_support::init();
    gtk_support::run(&[
        ("paints_tiles_scaled_to_fit", paints_tiles_scaled_to_fit),
        (
            "asks_for_its_size_per_scaling",
            asks_for_its_size_per_scaling,
        ),
        ("refuses_absurd_sizes", refuses_absurd_sizes),
        (
            "grab_follows_focus_and_ctrl_alt",
            grab_follows_focus_and_ctrl_alt,
        ),
    ]);
}

/// A `w` × `h` frame in the canvas's input layout (B, G, R, x), left half `left`, right
/// half `right` (as [B, G, R]).
fn two_halves(w: usize, h: usize, left: [u8; 3], right: [u8; 3]) -> Vec<u8> {
    let mut f = vec![0u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            let c = if x < w / 2 { left } else { right };
            // The alpha byte is garbage on purpose: the canvas forces it opaque.
            f[(y * w + x) * 4..][..4].copy_from_slice(&[c[0], c[1], c[2], 7]);
        }
    }
    f
}

/// Render `canvas` (in a shown window) to pixels: (width, height, B8G8R8A8 bytes).
fn render(canvas: &DisplayCanvas) -> (usize, usize, Vec<u8>) {
    let (w, h) = (canvas.width(), canvas.height());
    let paintable = gtk::WidgetPaintable::new(Some(canvas));
    let snapshot = gtk::Snapshot::new();
    paintable.snapshot(&snapshot, f64::from(w), f64::from(h));
    let node = snapshot.to_node().expect("the canvas drew something");
    let renderer = canvas.native().unwrap().renderer().expect("a renderer");
    let texture = renderer.render_texture(node, None);
    let (tw, th) = (texture.width() as usize, texture.height() as usize);
    let mut pixels = vec![0u8; tw * th * 4];
    texture.download(&mut pixels, tw * 4);
    (tw, th, pixels)
}

fn pixel(img: &(usize, usize, Vec<u8>), x: usize, y: usize) -> [u8; 4] {
    let at = (y * img.0 + x) * 4;
    [img.2[at], img.2[at + 1], img.2[at + 2], img.2[at + 3]]
}

fn shown(canvas: &DisplayCanvas, width: i32, height: i32) -> gtk::Window {
    let window = gtk::Window::builder()
        .default_width(width)
        .default_height(height)
        .decorated(false)
        .child(canvas)
        .build();
    window.present();
    pump_until("the window on screen", || {
        canvas.is_mapped() && canvas.width() > 0
    });
    pump_for(std::time::Duration::from_millis(100));
    window
}

fn paints_tiles_scaled_to_fit() {
    let canvas = DisplayCanvas::new();
    canvas.set_size(600, 300).unwrap();
    let red = [0, 0, 255];
    let blue = [255, 0, 0];
    canvas.update(0, 0, 600, 300, &two_halves(600, 300, red, blue), 600 * 4);
    assert_eq!(canvas.frames(), 1);
    // 350 wide: a scale that is no simple fraction, where seams between tiles would show.
    let window = shown(&canvas, 350, 350);
    let img = render(&canvas);
    let (w, h) = (img.0, img.1);
    println!("  canvas {w} × {h}");
    // Fit: 600 × 300 into (about) 350 × 350 is scale 0.58, centred with black bars.
    let scale = (w as f64 / 600.0).min(h as f64 / 300.0).min(1.0);
    let top = ((h as f64 - 300.0 * scale) / 2.0) as usize;
    let mid = h / 2;
    assert_eq!(pixel(&img, w / 4, mid), [0, 0, 255, 255], "left half red");
    assert_eq!(
        pixel(&img, 3 * w / 4, mid),
        [255, 0, 0, 255],
        "right half blue"
    );
    assert!(top > 10, "a letterbox above");
    // Tiles meet without seams: the red half is red right up to the tile borders
    // (frame x = 128, 256 and y = 128 land inside it), scaled or not.
    let bottom = top + (300.0 * scale) as usize;
    for y in top + 2..bottom - 2 {
        for x in 2..w / 2 - 2 {
            assert_eq!(pixel(&img, x, y), [0, 0, 255, 255], "red at {x}, {y}");
        }
    }
    assert_eq!(pixel(&img, w / 2, top / 2), [0, 0, 0, 255], "black bar");

    // A damaged rectangle in the top-left tile: only it changes.
    let green = two_halves(600, 300, [0, 255, 0], [0, 255, 0]);
    canvas.update(0, 0, 100, 100, &green, 600 * 4);
    pump_for(std::time::Duration::from_millis(50));
    let img = render(&canvas);
    let inside = top + (20.0 * scale) as usize;
    assert_eq!(
        pixel(&img, (20.0 * scale) as usize, inside),
        [0, 255, 0, 255]
    );
    assert_eq!(pixel(&img, w / 4, mid), [0, 0, 255, 255], "the rest stays");
    assert_eq!(pixel(&img, 3 * w / 4, mid), [255, 0, 0, 255]);

    // The screenshot is the whole frame at full size, opaque.
    let shot = canvas.texture().unwrap();
    assert_eq!((shot.width(), shot.height()), (600, 300));
    let mut all = vec![0u8; 600 * 300 * 4];
    shot.download(&mut all, 600 * 4);
    assert_eq!(&all[..4], &[0, 255, 0, 255]);
    assert_eq!(&all[all.len() - 4..], &[255, 0, 0, 255]);
    window.destroy();
}

fn asks_for_its_size_per_scaling() {
    let canvas = DisplayCanvas::new();
    canvas.set_size(800, 600).unwrap();
    let (min, nat, _, _) = canvas.measure(gtk::Orientation::Horizontal, -1);
    assert_eq!(
        (min, nat),
        (0, 800),
        "Fit: shrinks freely, prefers the frame size"
    );
    canvas.set_scaling(Scaling::Native);
    let (min, nat, _, _) = canvas.measure(gtk::Orientation::Vertical, -1);
    assert_eq!(
        (min, nat),
        (600, 600),
        "Native: the frame size, so it scrolls"
    );
    assert_eq!(canvas.scaling(), Scaling::Native);
}

fn refuses_absurd_sizes() {
    let canvas = DisplayCanvas::new();
    canvas.set_size(64, 48).unwrap();
    let err = canvas.set_size(70000, 70000).unwrap_err();
    assert!(err.contains("70000"), "{err}");
    assert!(canvas.set_size(16384, 16384).is_err(), "1 GiB");
    assert_eq!(canvas.frame_size(), (64, 48), "the old frame stays");
    // A rectangle outside the frame, or a short buffer, is clipped, never a panic.
    canvas.update(60, 40, 100, 100, &[1u8; 64 * 48 * 4], 64 * 4);
    canvas.update(-5, -5, 10, 10, &[1u8; 16], 64 * 4);
    canvas.update(0, 0, 64, 48, &[], 64 * 4);
    canvas.update(0, 0, 64, 48, &[1u8; 64 * 48 * 4], 0);
}

fn grab_follows_focus_and_ctrl_alt() {
    let canvas = DisplayCanvas::new();
    canvas.set_size(64, 48).unwrap();
    let grabs = Rc::new(RefCell::new(Vec::new()));
    let g = grabs.clone();
    canvas.connect_grab_changed(move |on| g.borrow_mut().push(on));
    let keys = Rc::new(RefCell::new(Vec::new()));
    let k = keys.clone();
    canvas.connect_key(move |code, keysym, down| k.borrow_mut().push((code.qnum(), keysym, down)));
    let other = gtk::Button::with_label("elsewhere");
    let column = gtk::Box::new(gtk::Orientation::Vertical, 0);
    column.append(&canvas);
    column.append(&other);
    canvas.set_vexpand(true);
    let window = gtk::Window::builder()
        .default_width(200)
        .default_height(200)
        .child(&column)
        .build();
    window.present();
    pump_until("the window active", || {
        window.is_active() && canvas.is_mapped()
    });

    canvas.grab_focus();
    pump_until("the grab", || canvas.is_grabbed());
    assert_eq!(*grabs.borrow(), [true]);

    let plain = |code| XtScancode {
        code,
        extended: false,
    };
    // Ctrl+Alt alone releases the grab; the keys still reach the guest.
    canvas.key_event(plain(0x1d), 0xffe3, true);
    canvas.key_event(plain(0x38), 0xffe9, true);
    assert!(!canvas.is_grabbed());
    assert_eq!(*grabs.borrow(), [true, false]);
    canvas.key_event(plain(0x38), 0xffe9, false);
    canvas.key_event(plain(0x1d), 0xffe3, false);

    // A key held while focus leaves is released in the guest.
    keys.borrow_mut().clear();
    canvas.key_event(plain(0x2a), 0xffe1, true);
    canvas.key_event(plain(0x1e), 0x41, true);
    other.grab_focus();
    pump_until("focus to leave", || !canvas.has_focus());
    pump_for(std::time::Duration::from_millis(50));
    assert_eq!(
        *keys.borrow(),
        [
            (0x2a, 0xffe1, true),
            (0x1e, 0x41, true),
            (0x1e, 0x41, false),
            (0x2a, 0xffe1, false)
        ]
    );
    // Focus back: grabbed again.
    canvas.grab_focus();
    pump_until("the grab again", || canvas.is_grabbed());
    window.destroy();
}
