//! The guest's screen as the display canvas keeps it, without GTK: one B8G8R8A8 buffer
//! (alpha forced to 255) cut into [`TILE`]-pixel square tiles that remember whether they
//! changed since they were last turned into a texture.
//!
//! Sizes are checked before anything is allocated ([`check_size`]): a server that
//! announces a 70000 × 70000 desktop gets an error, not a 19 GB allocation. Damaged
//! rectangles are clipped to the frame and to the source buffer, so a bad rectangle
//! paints what it can and never panics.

use crate::i18n::gettext_f;

/// The widest or tallest screen accepted, in pixels.
pub const MAX_SIDE: u32 = 16384;
/// The largest frame accepted, in bytes (4 bytes a pixel).
pub const MAX_BYTES: usize = 256 << 20;
/// Tile side, in pixels: a damaged region re-creates only the tiles it touches.
pub const TILE: u32 = 128;
/// Bytes per pixel of every frame (B8G8R8A8 / little-endian xRGB).
pub const BPP: usize = 4;

/// Bytes a `width` × `height` frame needs, or why it is refused (translated).
pub fn check_size(width: u32, height: u32) -> Result<usize, String> {
    let bytes = (width as usize)
        .checked_mul(height as usize)
        .and_then(|p| p.checked_mul(BPP));
    match bytes {
        Some(b) if width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE && b <= MAX_BYTES => {
            Ok(b)
        }
        _ => Err(gettext_f(
            "The guest's screen size {width} × {height} is not supported (at most {max} × {max} pixels and 256 MiB).",
            &[
                ("width", &width.to_string()),
                ("height", &height.to_string()),
                ("max", &MAX_SIDE.to_string()),
            ],
        )),
    }
}

/// A rectangle in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    /// The part of (x, y, w, h) inside a `width` × `height` frame, if any. Servers hand
    /// out signed numbers: negative, oversized or overflowing parts are cut off.
    pub fn clip(x: i64, y: i64, w: i64, h: i64, width: u32, height: u32) -> Option<Rect> {
        let span = |start: i64, len: i64, max: u32| -> Option<(u32, u32)> {
            let lo = start.clamp(0, i64::from(max));
            let hi = start.saturating_add(len.max(0)).clamp(0, i64::from(max));
            (hi > lo).then_some((lo as u32, (hi - lo) as u32))
        };
        let (x, width) = span(x, w, width)?;
        let (y, height) = span(y, h, height)?;
        Some(Rect {
            x,
            y,
            width,
            height,
        })
    }
}

/// The frame: pixels plus per-tile dirty flags.
#[derive(Debug, Default)]
pub struct Frame {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    /// One flag per tile, row-major: changed since [`Frame::take_dirty`] last saw it.
    dirty: Vec<bool>,
}

impl Frame {
    /// A black `width` × `height` frame, or why that size is refused.
    pub fn new(width: u32, height: u32) -> Result<Frame, String> {
        let bytes = check_size(width, height)?;
        let mut pixels = vec![0u8; bytes];
        for px in pixels.chunks_exact_mut(BPP) {
            px[3] = 255;
        }
        let tiles = (tiles_across(width) * tiles_across(height)) as usize;
        Ok(Frame {
            width,
            height,
            pixels,
            dirty: vec![true; tiles],
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row of [`Frame::pixels`].
    pub fn stride(&self) -> usize {
        self.width as usize * BPP
    }

    /// All pixels, row after row, B8G8R8A8 with alpha 255.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Columns (or rows) of tiles for a side of `len` pixels.
    pub fn tiles_x(&self) -> u32 {
        tiles_across(self.width)
    }

    pub fn tiles_y(&self) -> u32 {
        tiles_across(self.height)
    }

    /// The frame area tile (`tx`, `ty`) covers (edge tiles are smaller).
    pub fn tile_rect(&self, tx: u32, ty: u32) -> Rect {
        let x = tx * TILE;
        let y = ty * TILE;
        Rect {
            x,
            y,
            width: TILE.min(self.width.saturating_sub(x)),
            height: TILE.min(self.height.saturating_sub(y)),
        }
    }

    /// Copy the rectangle `x, y, w, h` from `src` (a whole frame of the same size with
    /// `stride` bytes per row, 4 bytes a pixel) and mark the tiles it touches. The
    /// rectangle is clipped to this frame and to what `src` holds; returns the part that
    /// was copied (`None`: nothing).
    pub fn update(
        &mut self,
        x: i64,
        y: i64,
        w: i64,
        h: i64,
        src: &[u8],
        stride: usize,
    ) -> Option<Rect> {
        let Rect {
            x,
            y,
            mut width,
            mut height,
        } = Rect::clip(x, y, w, h, self.width, self.height)?;
        if stride < BPP {
            return None;
        }
        // What the source actually holds: whole pixels per row, whole rows.
        let src_cols = (stride / BPP) as u64;
        width = width.min(
            src_cols
                .saturating_sub(u64::from(x))
                .min(u64::from(u32::MAX)) as u32,
        );
        let row_bytes = |row: u32| row as usize * stride + (x as usize + width as usize) * BPP;
        while height > 0 && row_bytes(y + height - 1) > src.len() {
            height -= 1;
        }
        if width == 0 || height == 0 {
            return None;
        }
        let dst_stride = self.stride();
        for row in y..y + height {
            let from = row as usize * stride + x as usize * BPP;
            let to = row as usize * dst_stride + x as usize * BPP;
            let len = width as usize * BPP;
            let dst = &mut self.pixels[to..to + len];
            dst.copy_from_slice(&src[from..from + len]);
            for px in dst.chunks_exact_mut(BPP) {
                px[3] = 255;
            }
        }
        let rect = Rect {
            x,
            y,
            width,
            height,
        };
        self.mark(rect);
        Some(rect)
    }

    fn mark(&mut self, r: Rect) {
        let across = self.tiles_x();
        for ty in r.y / TILE..=(r.y + r.height - 1) / TILE {
            for tx in r.x / TILE..=(r.x + r.width - 1) / TILE {
                self.dirty[(ty * across + tx) as usize] = true;
            }
        }
    }

    /// Mark every tile changed (its node must be made again).
    pub fn mark_all_dirty(&mut self) {
        self.dirty.fill(true);
    }

    /// The tiles changed since the last call, as (`tx`, `ty`), clearing their flags.
    pub fn take_dirty(&mut self) -> Vec<(u32, u32)> {
        let across = self.tiles_x();
        let mut out = Vec::new();
        for (i, flag) in self.dirty.iter_mut().enumerate() {
            if std::mem::take(flag) {
                out.push((i as u32 % across, i as u32 / across));
            }
        }
        out
    }

    /// The pixels of `r` (inside the frame), tightly packed.
    pub fn copy_rect(&self, r: Rect) -> Vec<u8> {
        let mut out = Vec::with_capacity(r.width as usize * r.height as usize * BPP);
        let stride = self.stride();
        for row in r.y..r.y + r.height {
            let from = row as usize * stride + r.x as usize * BPP;
            out.extend_from_slice(&self.pixels[from..from + r.width as usize * BPP]);
        }
        out
    }
}

fn tiles_across(len: u32) -> u32 {
    len.div_ceil(TILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(w: u32, h: u32, value: u8) -> Vec<u8> {
        vec![value; (w * h) as usize * BPP]
    }

    #[test]
    fn sizes_are_capped_before_allocating() {
        assert_eq!(check_size(1024, 768), Ok(1024 * 768 * 4));
        assert!(check_size(70000, 70000).is_err());
        assert!(check_size(16385, 10).is_err());
        assert!(
            check_size(16384, 16384).is_err(),
            "1 GiB is over the byte cap"
        );
        assert!(check_size(8192, 8192).is_ok());
        assert!(check_size(0, 10).is_err());
        assert!(Frame::new(70000, 70000).is_err());
    }

    #[test]
    fn a_new_frame_is_opaque_black_and_all_dirty() {
        let mut f = Frame::new(300, 130).unwrap();
        assert!(f.pixels().chunks(4).all(|p| p == [0, 0, 0, 255]));
        assert_eq!((f.tiles_x(), f.tiles_y()), (3, 2));
        assert_eq!(f.take_dirty().len(), 6);
        assert!(f.take_dirty().is_empty());
        assert_eq!(
            f.tile_rect(2, 1),
            Rect {
                x: 256,
                y: 128,
                width: 44,
                height: 2
            }
        );
    }

    #[test]
    fn an_update_copies_its_rect_forces_alpha_and_marks_its_tiles() {
        let mut f = Frame::new(300, 300).unwrap();
        f.take_dirty();
        let src = source(300, 300, 7);
        let r = f.update(120, 10, 20, 5, &src, 300 * 4).unwrap();
        assert_eq!((r.x, r.y, r.width, r.height), (120, 10, 20, 5));
        assert_eq!(f.take_dirty(), vec![(0, 0), (1, 0)]);
        let at = |x: usize, y: usize| &f.pixels()[(y * 300 + x) * 4..(y * 300 + x) * 4 + 4];
        assert_eq!(at(120, 10), [7, 7, 7, 255]);
        assert_eq!(at(139, 14), [7, 7, 7, 255]);
        assert_eq!(at(140, 14), [0, 0, 0, 255]);
        assert_eq!(at(119, 10), [0, 0, 0, 255]);
    }

    #[test]
    fn bad_rects_are_clipped_never_panic() {
        let mut f = Frame::new(100, 100).unwrap();
        let src = source(100, 100, 1);
        assert_eq!(f.update(200, 0, 10, 10, &src, 400), None);
        assert_eq!(f.update(-5, -5, 3, 3, &src, 400), None);
        assert_eq!(f.update(0, 0, -1, 10, &src, 400), None);
        let r = f.update(90, 95, 70000, 70000, &src, 400).unwrap();
        assert_eq!((r.width, r.height), (10, 5));
        let r = f.update(-10, -10, 20, 20, &src, 400).unwrap();
        assert_eq!((r.x, r.y, r.width, r.height), (0, 0, 10, 10));
        let r = f.update(i64::MAX - 1, 0, i64::MAX, 1, &src, 400);
        assert_eq!(r, None);
        // A source smaller than it claims: only the rows it holds are copied.
        let short = source(100, 3, 2);
        let r = f.update(0, 0, 100, 100, &short, 400).unwrap();
        assert_eq!(r.height, 3);
        // A stride narrower than the frame: only the columns it holds.
        let narrow = source(10, 100, 3);
        let r = f.update(0, 0, 100, 100, &narrow, 40).unwrap();
        assert_eq!((r.width, r.height), (10, 100));
        assert_eq!(f.update(0, 0, 10, 10, &narrow, 2), None);
    }

    #[test]
    fn copy_rect_packs_rows() {
        let mut f = Frame::new(4, 4).unwrap();
        let mut src = source(4, 4, 0);
        src[(4 + 1) * 4] = 9;
        f.update(0, 0, 4, 4, &src, 16);
        let out = f.copy_rect(Rect {
            x: 1,
            y: 1,
            width: 2,
            height: 2,
        });
        assert_eq!(out.len(), 16);
        assert_eq!(&out[0..4], &[9, 0, 0, 255]);
    }
}
