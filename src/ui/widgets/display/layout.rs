//! Where the guest's screen goes inside the display canvas, and back: the scale and
//! offset for a [`Scaling`], and widget coordinates turned into guest pixels.

use super::frame::Rect;
use super::Scaling;

/// A rectangle in whole widget pixels: (x, y, width, height).
pub type Placed = (i32, i32, i32, i32);

/// How the frame is placed in the widget: guest pixel (gx, gy) is drawn at
/// (`x + gx * scale`, `y + gy * scale`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub x: f64,
    pub y: f64,
    pub scale: f64,
    frame_width: u32,
    frame_height: u32,
}

impl Layout {
    /// Fit: as large as the widget allows keeping the aspect ratio, but never above 1:1
    /// (GTK 4.8 can only scale up with a blurring filter), centred. Native: 1:1, centred
    /// when the widget is larger, from the top left when it is smaller (scrolled).
    pub fn new(
        widget_w: f64,
        widget_h: f64,
        frame_w: u32,
        frame_h: u32,
        scaling: Scaling,
    ) -> Layout {
        let (fw, fh) = (f64::from(frame_w.max(1)), f64::from(frame_h.max(1)));
        let scale = match scaling {
            Scaling::Native => 1.0,
            Scaling::Fit => (widget_w / fw).min(widget_h / fh).clamp(0.0, 1.0),
        };
        // Whole pixels at 1:1, so an unscaled frame stays sharp.
        let centre = |space: f64, len: f64| {
            let off = ((space - len * scale) / 2.0).max(0.0);
            if scale == 1.0 {
                off.floor()
            } else {
                off
            }
        };
        Layout {
            x: centre(widget_w, fw),
            y: centre(widget_h, fh),
            scale,
            frame_width: frame_w,
            frame_height: frame_h,
        }
    }

    /// Where frame rectangle `r` lands, in whole widget pixels. Edges are rounded the
    /// same way for every rectangle, so neighbouring tiles share their borders exactly:
    /// no pixel is covered twice or left out (a seam otherwise, when scaled).
    pub fn place(&self, r: Rect) -> Placed {
        let edge = |off: f64, g: u32| (off + f64::from(g) * self.scale).round() as i32;
        let (x0, y0) = (edge(self.x, r.x), edge(self.y, r.y));
        let (x1, y1) = (edge(self.x, r.x + r.width), edge(self.y, r.y + r.height));
        (x0, y0, x1 - x0, y1 - y0)
    }

    /// The guest pixel under widget point (`x`, `y`), clamped to the frame (a pointer
    /// dragged outside the picture stays at its edge).
    pub fn to_guest(&self, x: f64, y: f64) -> (u32, u32) {
        let map = |p: f64, off: f64, len: u32| -> u32 {
            if self.scale <= 0.0 || len == 0 {
                return 0;
            }
            let g = ((p - off) / self.scale).floor();
            g.clamp(0.0, f64::from(len - 1)) as u32
        };
        (
            map(x, self.x, self.frame_width),
            map(y, self.y, self.frame_height),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_centres_and_never_upscales() {
        let l = Layout::new(800.0, 800.0, 1600, 800, Scaling::Fit);
        assert_eq!((l.scale, l.x, l.y), (0.5, 0.0, 200.0));
        let l = Layout::new(2000.0, 1000.0, 640, 480, Scaling::Fit);
        assert_eq!((l.scale, l.x, l.y), (1.0, 680.0, 260.0));
        let l = Layout::new(641.0, 480.0, 640, 480, Scaling::Fit);
        assert_eq!(l.x, 0.0, "whole pixels at 1:1");
    }

    #[test]
    fn placed_tiles_share_their_borders() {
        let l = Layout::new(350.0, 350.0, 600, 300, Scaling::Fit);
        let tile = |x, width| Rect {
            x,
            y: 0,
            width,
            height: 128,
        };
        let a = l.place(tile(0, 128));
        let b = l.place(tile(128, 128));
        let c = l.place(tile(256, 88));
        assert_eq!(a.0 + a.2, b.0, "no gap or overlap between a and b");
        assert_eq!(b.0 + b.2, c.0);
        assert_eq!((a.0, a.1), (0, 88), "centred: (350 - 175) / 2, rounded");
        assert_eq!(c.0 + c.2, 201, "344 × 350 / 600 = 200.7, rounded");
        let one = Layout::new(2000.0, 1000.0, 640, 480, Scaling::Fit);
        assert_eq!(one.place(tile(128, 128)), (808, 260, 128, 128));
    }

    #[test]
    fn native_is_one_to_one() {
        let l = Layout::new(100.0, 100.0, 1024, 768, Scaling::Native);
        assert_eq!((l.scale, l.x, l.y), (1.0, 0.0, 0.0));
        assert_eq!(l.to_guest(50.5, 20.0), (50, 20));
    }

    #[test]
    fn widget_points_map_back_to_guest_pixels() {
        let l = Layout::new(800.0, 800.0, 1600, 800, Scaling::Fit);
        assert_eq!(l.to_guest(0.0, 200.0), (0, 0));
        assert_eq!(l.to_guest(400.0, 400.0), (800, 400));
        assert_eq!(l.to_guest(799.9, 599.9), (1599, 799));
        // Outside the picture: clamped to its edge.
        assert_eq!(l.to_guest(-50.0, 0.0), (0, 0));
        assert_eq!(l.to_guest(5000.0, 5000.0), (1599, 799));
        let empty = Layout::new(0.0, 0.0, 0, 0, Scaling::Fit);
        assert_eq!(empty.to_guest(10.0, 10.0), (0, 0));
    }
}
