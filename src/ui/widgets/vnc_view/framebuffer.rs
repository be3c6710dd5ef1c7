//! What the VNC view asks of the server and where gvnc writes the pixels.
//!
//! The server is asked for 32-bit little-endian xRGB, the canvas's own B8G8R8x8 layout, so
//! gvnc copies pixels without converting them. The framebuffer memory belongs to the
//! `VncBaseFramebuffer` object itself (attached as object data), so it lives exactly as
//! long as gvnc holds a reference to that framebuffer, however the view is torn down.

use gtk::glib;
use gtk::glib::prelude::*;
use gtk::glib::translate::{from_glib_full, IntoGlib, ToGlibPtr};

use gvnc::{ByteOrder, ConnectionEncoding, PixelFormat};

use crate::ui::widgets::display::frame;

/// The pixel format asked of the server and used locally: depth 24 in 32 bits,
/// little-endian, red at bit 16, green at 8, blue at 0.
pub(super) fn local_format() -> PixelFormat {
    PixelFormat::new_with((255, 255, 255), (16, 8, 0), 24, 32, ByteOrder::Little, 1)
        .expect("a constant pixel format")
}

/// Encodings in order of preference (the server uses the first it knows). Over a local
/// socket raw pixels cost the least CPU on both ends; over a network the compressed ones
/// come first. The pseudo-encodings ask for QEMU's extended key events, desktop resizes
/// (plain and extended, the latter needed to resize the guest), the pointer mode
/// (absolute or relative), the cursor shape and the end-of-update marker.
///
/// gvnc decodes a cursor rectangle whether it was asked for or not, and allocates its
/// width × height unchecked: a hostile server announcing a 65535 × 65535 cursor makes
/// GLib abort (an overflowed allocation size). Nothing outside gvnc can stop that; QEMU
/// sends cursors of at most a few hundred pixels a side.
pub(super) fn encodings(local: bool) -> Vec<i32> {
    use ConnectionEncoding as E;
    let mut pixel = vec![E::Zrle, E::Tight, E::Hextile, E::CopyRect, E::Raw];
    if local {
        pixel.retain(|e| *e != E::Raw);
        pixel.insert(0, E::Raw);
    }
    let pseudo = [
        E::ExtKeyEvent,
        E::ExtendedDesktopResize,
        E::DesktopResize,
        E::PointerChange,
        E::RichCursor,
        E::LastRect,
    ];
    pixel
        .into_iter()
        .chain(pseudo)
        .map(|e| e.into_glib())
        .collect()
}

/// A framebuffer of `width` × `height` in [`local_format`], or why that size is refused
/// (before anything is allocated).
pub(super) fn new_framebuffer(width: u32, height: u32) -> Result<gvnc::BaseFramebuffer, String> {
    let bytes = frame::check_size(width, height)?;
    let mut memory = vec![0u8; bytes].into_boxed_slice();
    let format = local_format();
    let stride = (width * 4) as i32;
    // SAFETY: `memory` holds `height` rows of `stride` bytes (check_size bounded both
    // sides to 16384, so the u16 casts are exact); the formats are copied by the
    // constructor; the returned object is a new reference we own.
    let fb: gvnc::BaseFramebuffer = unsafe {
        from_glib_full(gvnc::ffi::vnc_base_framebuffer_new(
            memory.as_mut_ptr(),
            width as u16,
            height as u16,
            stride,
            format.to_glib_none().0,
            format.to_glib_none().0,
        ))
    };
    // SAFETY: the key is only ever used with this type. Moving the box does not move its
    // heap block, which the framebuffer points into; object data is dropped when the
    // framebuffer is finalized, i.e. after gvnc's last use of it.
    unsafe { fb.set_data::<Box<[u8]>>("kvmm-pixels", memory) };
    Ok(fb)
}

/// The raw value of an enum (or integer) GValue, as gvnc's auth signals carry them.
pub(super) fn enum_value(v: &glib::Value) -> Option<i32> {
    if v.type_().is_a(glib::Type::ENUM) {
        // SAFETY: the value holds an enum type, which g_value_get_enum reads.
        Some(unsafe { glib::gobject_ffi::g_value_get_enum(v.to_glib_none().0) })
    } else if let Ok(u) = v.get::<u32>() {
        i32::try_from(u).ok()
    } else {
        v.get::<i32>().ok()
    }
}
