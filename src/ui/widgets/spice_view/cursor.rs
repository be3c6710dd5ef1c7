//! The guest's pointer shape from SPICE's cursor channel. With QXL the guest does not
//! draw its pointer into the screen: the client shows it. In client mouse mode the
//! local pointer takes the guest's shape (the canvas's guest cursor).
//!
//! spice-client-glib hands every shape over as width × height RGBA pixels (4 bytes each,
//! whatever the wire type was: it converts mono, 4-, 16- and 32-bit cursors itself).
//! The binding's `CursorShape::data()` sizes the slice by the wire type instead, which is
//! wrong for mono and 16-bit cursors, so the struct is read here directly.

use spice_client_glib::CursorShape;

/// Larger shapes are ignored (the default pointer stays): cursors are at most 256 px.
const MAX_SIDE: u16 = 512;

/// What the pointer should look like over the canvas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestCursor {
    /// The desktop's own pointer.
    Default,
    /// No pointer (the guest hid it).
    Hidden,
    /// The guest's shape: RGBA pixels, straight alpha, and its hot spot.
    Image {
        width: u32,
        height: u32,
        hot_x: i32,
        hot_y: i32,
        rgba: Vec<u8>,
    },
}

impl GuestCursor {
    /// From the cursor channel's current shape.
    pub fn from_shape(shape: &CursorShape) -> GuestCursor {
        // SAFETY: `as_ptr` points at the boxed struct owned by `shape`; its `data` holds
        // width × height × 4 bytes (spice-client-glib allocates exactly that) or is NULL.
        let raw = unsafe { &*shape.as_ptr() };
        if raw.data.is_null() {
            return GuestCursor::Default;
        }
        let len = usize::from(raw.width) * usize::from(raw.height) * 4;
        // SAFETY: see above; the length is the allocation's.
        let data = unsafe { std::slice::from_raw_parts(raw.data as *const u8, len) };
        GuestCursor::from_rgba(raw.width, raw.height, raw.hot_spot_x, raw.hot_spot_y, data)
    }

    /// From plain RGBA memory (checked; also what the tests use).
    pub fn from_rgba(width: u16, height: u16, hot_x: u16, hot_y: u16, rgba: &[u8]) -> GuestCursor {
        let len = usize::from(width) * usize::from(height) * 4;
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE || rgba.len() < len {
            return GuestCursor::Default;
        }
        GuestCursor::Image {
            width: u32::from(width),
            height: u32::from(height),
            hot_x: i32::from(hot_x.min(width - 1)),
            hot_y: i32::from(hot_y.min(height - 1)),
            rgba: rgba[..len].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked_and_hot_spots_kept_inside() {
        let px = vec![255u8; 2 * 3 * 4];
        assert_eq!(
            GuestCursor::from_rgba(2, 3, 9, 1, &px),
            GuestCursor::Image {
                width: 2,
                height: 3,
                hot_x: 1,
                hot_y: 1,
                rgba: px.clone()
            }
        );
        assert_eq!(
            GuestCursor::from_rgba(0, 3, 0, 0, &px),
            GuestCursor::Default
        );
        assert_eq!(
            GuestCursor::from_rgba(4, 4, 0, 0, &px),
            GuestCursor::Default
        );
        assert_eq!(
            GuestCursor::from_rgba(600, 2, 0, 0, &vec![0; 600 * 2 * 4]),
            GuestCursor::Default
        );
    }
}
