//! The SPICE display channel's primary surface as the canvas wants it: the format and
//! size checks, and the copy of a damaged rectangle as B8G8R8A8 with alpha forced to 255.
//!
//! spice-client-glib keeps the guest's screen in its own memory (the "primary surface")
//! and signals which rectangle changed. Its usual format is 32-bit xRGB in host order,
//! which on a little-endian machine is B, G, R, x in memory: the unused byte can hold
//! anything, so it becomes 255 here. Old guests may use a 16-bit surface (5-5-5 or 5-6-5),
//! widened here as spice-gtk's own widget does.
//!
//! What this cannot guard: spice-client-glib allocates a new surface (width × height × 4,
//! zeroed, in C `int` arithmetic) before it tells anyone, and its message buffers by the
//! size the server announces, both with `g_malloc0`, which aborts the process when the
//! allocation fails. A hostile server can therefore crash the client inside the library;
//! sizes it survives but the canvas cannot show end here as `Disconnected` with a reason.

use gettextrs::gettext;
use spice_client_glib::{DisplayPrimary, SurfaceFormat};

use crate::i18n::gettext_f;

/// The largest side of a guest screen we show (QXL's own limit is far below).
pub const MAX_SIDE: u32 = 16384;

/// The primary surface's pixel layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// 32-bit, B G R x in memory.
    Xrgb32,
    /// 32-bit, B G R A in memory (shown opaque all the same).
    Argb32,
    /// 16-bit x1r5g5b5, little-endian.
    Rgb555,
    /// 16-bit r5g6b5, little-endian.
    Rgb565,
}

impl PixelFormat {
    pub fn from_spice(format: SurfaceFormat) -> Option<PixelFormat> {
        match format {
            SurfaceFormat::_32XRGB => Some(PixelFormat::Xrgb32),
            SurfaceFormat::_32ARGB => Some(PixelFormat::Argb32),
            SurfaceFormat::_16_555 => Some(PixelFormat::Rgb555),
            SurfaceFormat::_16_565 => Some(PixelFormat::Rgb565),
            _ => None,
        }
    }

    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Xrgb32 | PixelFormat::Argb32 => 4,
            PixelFormat::Rgb555 | PixelFormat::Rgb565 => 2,
        }
    }
}

/// Why a primary surface cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurfaceError {
    /// No primary surface (or no memory behind it).
    Missing,
    /// A pixel format we do not know (the raw SPICE number).
    Format(i32),
    /// Zero, negative or larger than [`MAX_SIDE`].
    Size { width: i64, height: i64 },
    /// Rows shorter than the width says.
    Stride { width: u32, stride: i64 },
}

impl SurfaceError {
    /// A sentence for the console page.
    pub fn message(&self) -> String {
        match self {
            SurfaceError::Missing => gettext("The guest's display sent no picture."),
            SurfaceError::Format(f) => gettext_f(
                "The guest's display uses a picture format this app cannot show ({format}).",
                &[("format", &f.to_string())],
            ),
            SurfaceError::Size { width, height } => gettext_f(
                "The guest's display asked for a screen of {width} × {height} pixels, which cannot be shown.",
                &[("width", &width.to_string()), ("height", &height.to_string())],
            ),
            SurfaceError::Stride { .. } => {
                gettext("The guest's display sent a picture with inconsistent rows.")
            }
        }
    }
}

/// A rectangle in guest pixels: the canvas's own, with its clipping.
pub use crate::ui::widgets::display::frame::Rect;

/// Checks the numbers of a primary surface before any of its memory is read.
pub fn check(
    format: Result<SurfaceFormat, i32>,
    width: i64,
    height: i64,
    stride: i64,
) -> Result<PixelFormat, SurfaceError> {
    let format = match format {
        Ok(f) => PixelFormat::from_spice(f).ok_or(SurfaceError::Format(raw_format(f)))?,
        Err(raw) => return Err(SurfaceError::Format(raw)),
    };
    check_numbers(format, width, height, stride)?;
    Ok(format)
}

fn check_numbers(
    format: PixelFormat,
    width: i64,
    height: i64,
    stride: i64,
) -> Result<(), SurfaceError> {
    let side = 1..=i64::from(MAX_SIDE);
    if !side.contains(&width) || !side.contains(&height) {
        return Err(SurfaceError::Size { width, height });
    }
    if stride < width * format.bytes_per_pixel() as i64 {
        return Err(SurfaceError::Stride {
            width: width as u32,
            stride,
        });
    }
    Ok(())
}

/// The SPICE number of a format we do not show (for the message).
fn raw_format(format: SurfaceFormat) -> i32 {
    match format {
        SurfaceFormat::_1A => 1,
        SurfaceFormat::_8A => 8,
        _ => 0,
    }
}

/// A checked primary surface: its memory belongs to spice-client-glib and stays valid
/// until the display channel destroys the surface, i.e. for the duration of a signal.
pub struct Surface<'a> {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    stride: usize,
    data: &'a [u8],
}

impl<'a> Surface<'a> {
    /// From a `DisplayPrimary` filled by `spice_display_channel_get_primary`.
    pub fn from_primary(primary: &'a DisplayPrimary) -> Result<Surface<'a>, SurfaceError> {
        // SAFETY: `as_ptr` points at the struct inside `primary`; we only read fields.
        let raw = unsafe { &*primary.as_ptr() };
        if raw.data.is_null() {
            return Err(SurfaceError::Missing);
        }
        let format = check(
            primary.format(),
            i64::from(raw.width),
            i64::from(raw.height),
            i64::from(raw.stride),
        )?;
        // The checks above make stride and height positive and bounded; spice-client-glib
        // allocates stride × height bytes for the surface, which `data()` covers.
        Surface::new(
            format,
            raw.width as u32,
            raw.height as u32,
            raw.stride as usize,
            primary.data(),
        )
    }

    /// From plain memory (also what the tests use); `data` must hold `stride × height`.
    pub fn new(
        format: PixelFormat,
        width: u32,
        height: u32,
        stride: usize,
        data: &'a [u8],
    ) -> Result<Surface<'a>, SurfaceError> {
        check_numbers(format, i64::from(width), i64::from(height), stride as i64)?;
        if data.len() < stride * height as usize {
            return Err(SurfaceError::Missing);
        }
        Ok(Surface {
            format,
            width,
            height,
            stride,
            data,
        })
    }

    /// The whole screen as 4-byte pixels in memory order B, G, R, x (what the canvas
    /// copies from, forcing alpha), with its stride. 32-bit surfaces are handed over as
    /// they are; a 16-bit surface has `rect` (clipped to the surface) widened into
    /// `shadow`, a screen-sized buffer kept by the caller between updates.
    pub fn pixels<'s>(&'s self, rect: Rect, shadow: &'s mut Vec<u8>) -> (&'s [u8], usize) {
        let wide = |v: u16, format: PixelFormat| match format {
            PixelFormat::Rgb555 => [five(v), five(v >> 5), five(v >> 10), 255],
            _ => [five(v), six(v >> 5), five(v >> 11), 255],
        };
        match self.format {
            PixelFormat::Xrgb32 | PixelFormat::Argb32 => (self.data, self.stride),
            format => {
                let out_stride = self.width as usize * 4;
                shadow.resize(out_stride * self.height as usize, 0);
                for row in rect.y..rect.y + rect.height {
                    let from = row as usize * self.stride + rect.x as usize * 2;
                    let to = row as usize * out_stride + rect.x as usize * 4;
                    let src = &self.data[from..from + rect.width as usize * 2];
                    let dst = &mut shadow[to..to + rect.width as usize * 4];
                    for (px, out) in src.chunks_exact(2).zip(dst.chunks_exact_mut(4)) {
                        out.copy_from_slice(&wide(u16::from_le_bytes([px[0], px[1]]), format));
                    }
                }
                (shadow, out_stride)
            }
        }
    }
}

/// The low 5 bits widened to 8 (0x1f → 0xff).
fn five(v: u16) -> u8 {
    let v = (v & 0x1f) as u8;
    (v << 3) | (v >> 2)
}

/// The low 6 bits widened to 8 (0x3f → 0xff).
fn six(v: u16) -> u8 {
    let v = (v & 0x3f) as u8;
    (v << 2) | (v >> 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xrgb_surfaces_are_handed_over_as_they_are() {
        let data = vec![7u8; 32];
        let s = Surface::new(PixelFormat::Xrgb32, 3, 2, 16, &data).unwrap();
        let mut shadow = Vec::new();
        let (px, stride) = s.pixels(Rect::clip(0, 0, 3, 2, 3, 2).unwrap(), &mut shadow);
        assert_eq!((px.len(), stride), (32, 16));
        assert!(shadow.is_empty());
    }

    #[test]
    fn sixteen_bit_pixels_widen_to_full_range() {
        // 555, 2 × 2: pure red (0x7c00) and white (0x7fff) in the second row only.
        let data = [0, 0, 0, 0, 0x00, 0x7c, 0xff, 0x7f];
        let s = Surface::new(PixelFormat::Rgb555, 2, 2, 4, &data).unwrap();
        let mut shadow = Vec::new();
        let (px, stride) = s.pixels(Rect::clip(0, 1, 2, 1, 2, 2).unwrap(), &mut shadow);
        assert_eq!(stride, 8);
        assert_eq!(
            px,
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]
        );
        // 565: pure green.
        let data = [0xe0, 0x07];
        let s = Surface::new(PixelFormat::Rgb565, 1, 1, 2, &data).unwrap();
        let (px, _) = s.pixels(Rect::clip(0, 0, 1, 1, 1, 1).unwrap(), &mut shadow);
        assert_eq!(px, [0, 255, 0, 255]);
    }

    #[test]
    fn damage_outside_the_screen_is_cut_off() {
        assert_eq!(
            Rect::clip(-5, 10, 20, 100, 100, 50),
            Some(Rect {
                x: 0,
                y: 10,
                width: 15,
                height: 40
            })
        );
        assert_eq!(Rect::clip(100, 0, 5, 5, 100, 50), None);
        assert_eq!(Rect::clip(0, 0, -3, 5, 100, 50), None);
        assert_eq!(
            Rect::clip(
                i32::MAX.into(),
                i32::MAX.into(),
                i32::MAX.into(),
                i32::MAX.into(),
                100,
                50
            ),
            None
        );
    }

    #[test]
    fn absurd_surfaces_are_refused_with_a_reason() {
        let xrgb = Ok(SurfaceFormat::_32XRGB);
        assert_eq!(check(xrgb, 1024, 768, 4096), Ok(PixelFormat::Xrgb32));
        assert_eq!(
            check(xrgb, 100_000, 768, 400_000),
            Err(SurfaceError::Size {
                width: 100_000,
                height: 768
            })
        );
        assert_eq!(
            check(xrgb, 0, 768, 0),
            Err(SurfaceError::Size {
                width: 0,
                height: 768
            })
        );
        assert_eq!(
            check(xrgb, 640, -480, 2560),
            Err(SurfaceError::Size {
                width: 640,
                height: -480
            })
        );
        assert!(matches!(
            check(xrgb, 640, 480, 100),
            Err(SurfaceError::Stride { .. })
        ));
        assert_eq!(
            check(Ok(SurfaceFormat::_8A), 8, 8, 8),
            Err(SurfaceError::Format(8))
        );
        assert_eq!(check(Err(77), 8, 8, 32), Err(SurfaceError::Format(77)));
        for e in [
            SurfaceError::Missing,
            SurfaceError::Format(8),
            SurfaceError::Size {
                width: 1,
                height: 0,
            },
            SurfaceError::Stride {
                width: 1,
                stride: 0,
            },
        ] {
            assert!(!e.message().is_empty());
        }
        // Memory shorter than the numbers promise is refused, not read.
        assert_eq!(
            Surface::new(PixelFormat::Xrgb32, 4, 4, 16, &[0; 20]).err(),
            Some(SurfaceError::Missing)
        );
    }
}
