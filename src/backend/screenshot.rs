//! Screenshots of a machine's display, scaled down to thumbnails (the Machines grid).
//!
//! [`thumbnail`] takes one with `virDomainScreenshot` into a `virStream`, reads it whole
//! (at most [`MAX_IMAGE_BYTES`]), decodes it by the MIME type libvirt names (QEMU sends
//! PPM `image/x-portable-pixmap`, newer versions and the test driver PNG) and scales it
//! down with gdk-pixbuf's bilinear filter (for reductions it integrates over the covered
//! area, so text and edges stay smooth) to fit the asked bounds, keeping the aspect ratio.
//! The result is small packed RGB8 ([`Thumbnail`]): the UI keeps only that.
//!
//! PPM is parsed here (its header is a few numbers; the raster goes to gdk-pixbuf without
//! a copy); PNG goes through gdk-pixbuf's loader once its header says the image is not
//! larger than the same limit. Other formats are refused as [`ErrorKind::Unsupported`].
//!
//! Errors: a machine that is not running is [`ErrorKind::InvalidState`]; one without a
//! display (no video device) or a driver without screenshots is [`ErrorKind::Unsupported`];
//! a missing machine is [`ErrorKind::NotFound`]. The grid ignores all three quietly.
//!
//! Cost of one (test driver, its 1120×832 PNG to 269×200, measured by `thumbnail_cost` in
//! tests/backend_screenshot.rs): about 12 ms, 7 of them decoding the PNG and 4 scaling.
//! A QEMU PPM needs no decoding (its raster is used in place); QEMU's `screendump` and
//! the stream add their own time. Either way it runs on the screenshot thread.

use std::fmt;

use gdk_pixbuf::prelude::*;
use gdk_pixbuf::{glib, Colorspace, InterpType, Pixbuf, PixbufLoader};
use gettextrs::gettext;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::ErrorNumber;
use virt::stream::Stream;

use super::error::{BackendError, ErrorKind};
use super::summary;
use crate::i18n::gettext_f;

/// The most image data read from one screenshot (and the largest decoded RGB image):
/// 64 MiB is a 4K screen's PPM eight times over.
pub const MAX_IMAGE_BYTES: usize = 64 << 20;
/// The largest thumbnail side the backend makes, whatever is asked.
pub const MAX_THUMBNAIL_SIDE: u32 = 2048;

/// What the UI asks for ([`crate::backend::Command::Screenshot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenshotCommand {
    /// A thumbnail of each machine, fitting `max_width` × `max_height` (aspect kept,
    /// never enlarged). Answered with one [`ScreenshotEvent::Thumbnail`] per UUID, in
    /// order, from a thread of its own: the worker goes on serving meanwhile. Requests
    /// that arrive while a batch runs are merged into the next batch (each UUID once,
    /// the newest bounds).
    Thumbnails {
        uuids: Vec<String>,
        max_width: u32,
        max_height: u32,
    },
}

/// What the backend answers ([`crate::backend::Event::Screenshot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenshotEvent {
    /// One machine's thumbnail, or why there is none (see the module doc for the kinds).
    Thumbnail {
        uuid: String,
        result: Result<Thumbnail, BackendError>,
    },
}

/// A scaled-down screenshot: packed RGB, 8 bits per channel (`stride == width * 3`), rows
/// top to bottom (GDK's `MemoryFormat::R8g8b8`).
#[derive(Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    /// Bytes per row.
    pub stride: u32,
    pub pixels: Vec<u8>,
}

impl fmt::Debug for Thumbnail {
    // The pixels would flood logs and test failures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Thumbnail({}×{} RGB8)", self.width, self.height)
    }
}

/// A thumbnail of the machine `uuid`'s first screen, fitting `max_width` × `max_height`.
pub fn thumbnail(
    conn: &Connect,
    uuid: &str,
    max_width: u32,
    max_height: u32,
) -> Result<Thumbnail, BackendError> {
    if max_width == 0 || max_height == 0 {
        return Err(BackendError::new(
            ErrorKind::InvalidInput,
            gettext("A thumbnail needs a width and a height"),
        ));
    }
    let dom = summary::lookup(conn, uuid)?;
    let (mime, data) = capture(conn, &dom)?;
    let image = decode(&mime, data)?;
    Ok(scale_to_fit(
        &image,
        max_width.min(MAX_THUMBNAIL_SIDE),
        max_height.min(MAX_THUMBNAIL_SIDE),
    ))
}

/// The screen of a running machine as libvirt sends it: (MIME type, image data).
pub fn capture(conn: &Connect, dom: &Domain) -> Result<(String, Vec<u8>), BackendError> {
    let name = dom.name().unwrap_or_default();
    // Stopped machines fail early with our own words (QEMU's would be "domain is not
    // running"; the test driver would even send its picture).
    if !dom.is_active().map_err(|e| BackendError::from_virt(&e))? {
        return Err(BackendError::new(
            ErrorKind::InvalidState,
            gettext_f("“{name}” is not running", &[("name", &name)]),
        ));
    }
    let stream = Stream::new(conn, 0).map_err(|e| BackendError::from_virt(&e))?;
    let mime = match dom.screenshot(&stream, 0, 0) {
        Ok(m) => m,
        Err(e) => {
            let _ = stream.abort();
            return Err(screenshot_error(&e, &name));
        }
    };
    match read_all(&stream, MAX_IMAGE_BYTES) {
        Ok(data) => {
            stream.finish().map_err(|e| BackendError::from_virt(&e))?;
            Ok((mime, data))
        }
        Err(e) => {
            let _ = stream.abort();
            Err(e.unwrap_or_else(|| {
                BackendError::new(
                    ErrorKind::Other,
                    gettext_f(
                        "The screen of “{name}” is larger than {size}",
                        &[
                            ("name", &name),
                            ("size", &crate::i18n::bytes(MAX_IMAGE_BYTES as u64)),
                        ],
                    ),
                )
            }))
        }
    }
}

/// Everything up to the end of the stream; `Err(None)` past `limit` bytes.
fn read_all(stream: &Stream, limit: usize) -> Result<Vec<u8>, Option<BackendError>> {
    let mut data = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = stream
            .recv(&mut buf)
            .map_err(|e| Some(BackendError::from_virt(&e)))?;
        if n <= 0 {
            return Ok(data);
        }
        let n = n as usize;
        if data.len() + n > limit {
            return Err(None);
        }
        data.extend_from_slice(&buf[..n]);
    }
}

/// libvirt's refusal in our kinds: QEMU says "no screens to take screenshot from"
/// (`VIR_ERR_OPERATION_FAILED`) for a machine without video.
fn screenshot_error(e: &virt::error::Error, name: &str) -> BackendError {
    let no_screen = e.code().unwrap_or(ErrorNumber::InternalError) == ErrorNumber::OperationFailed
        && e.message().to_ascii_lowercase().contains("no screen");
    if no_screen {
        return BackendError::new(
            ErrorKind::Unsupported,
            gettext_f("“{name}” has no display", &[("name", name)]),
        );
    }
    BackendError::from_virt(e)
}

/// An image libvirt sent, decoded.
pub fn decode(mime: &str, data: Vec<u8>) -> Result<Pixbuf, BackendError> {
    let bad = |why: String| BackendError::new(ErrorKind::Other, why);
    match mime {
        "image/x-portable-pixmap" => decode_ppm(data).map_err(bad),
        "image/png" => {
            let (w, h) = png_size(&data).ok_or_else(|| bad(gettext("Not a PNG image")))?;
            check_size(w, h).map_err(bad)?;
            let loader = PixbufLoader::with_mime_type(mime).map_err(|e| bad(e.to_string()))?;
            loader
                .write(&data)
                .and_then(|()| loader.close())
                .map_err(|e| bad(e.to_string()))?;
            loader
                .pixbuf()
                .ok_or_else(|| bad(gettext("The PNG image is empty")))
        }
        other => Err(BackendError::new(
            ErrorKind::Unsupported,
            gettext_f(
                "Screenshots of type “{type}” are not supported",
                &[("type", other)],
            ),
        )),
    }
}

/// Refuse images whose RGB pixels would take more than [`MAX_IMAGE_BYTES`].
fn check_size(width: u32, height: u32) -> Result<(), String> {
    let bytes = u64::from(width) * u64::from(height) * 3;
    if width == 0 || height == 0 {
        return Err(gettext("The image is empty"));
    }
    if bytes > MAX_IMAGE_BYTES as u64 {
        return Err(gettext_f(
            "The image is too large ({width}×{height})",
            &[
                ("width", &width.to_string()),
                ("height", &height.to_string()),
            ],
        ));
    }
    Ok(())
}

/// Width and height from a PNG's IHDR chunk (which the format puts first).
pub fn png_size(data: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if data.len() < 24 || !data.starts_with(SIGNATURE) || &data[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(data[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(data[20..24].try_into().ok()?);
    Some((w, h))
}

/// The header of a binary PPM (P6): (width, height, maxval, offset of the raster).
pub fn ppm_header(data: &[u8]) -> Result<(u32, u32, u32, usize), String> {
    let malformed = || gettext("Malformed PPM image");
    if !data.starts_with(b"P6") {
        return Err(malformed());
    }
    let mut pos = 2;
    let mut fields = [0u32; 3];
    for field in &mut fields {
        // Whitespace and comments ("#" to the end of the line) between fields.
        loop {
            match data.get(pos) {
                Some(b) if b.is_ascii_whitespace() => pos += 1,
                Some(b'#') => {
                    while data.get(pos).is_some_and(|b| *b != b'\n') {
                        pos += 1;
                    }
                }
                _ => break,
            }
        }
        let start = pos;
        while data.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        let digits = std::str::from_utf8(&data[start..pos]).map_err(|_| malformed())?;
        *field = digits.parse().map_err(|_| malformed())?;
    }
    // Exactly one whitespace byte ends the header.
    if !data.get(pos).is_some_and(u8::is_ascii_whitespace) {
        return Err(malformed());
    }
    let [width, height, maxval] = fields;
    Ok((width, height, maxval, pos + 1))
}

/// A binary PPM (8 bits per sample) as a pixbuf, sharing the raster without a copy.
fn decode_ppm(data: Vec<u8>) -> Result<Pixbuf, String> {
    let (width, height, maxval, offset) = ppm_header(&data)?;
    check_size(width, height)?;
    if maxval == 0 {
        return Err(gettext("Malformed PPM image"));
    }
    if maxval > 255 {
        return Err(gettext(
            "PPM images with 16 bits per sample are not supported",
        ));
    }
    let stride = width as usize * 3;
    let len = stride * height as usize;
    if data.len() < offset + len {
        return Err(gettext("The PPM image is cut short"));
    }
    let mut data = data;
    if maxval != 255 {
        // Rare (QEMU writes 255): stretch the samples to the full range.
        for b in &mut data[offset..offset + len] {
            *b = ((u32::from(*b).min(maxval) * 255 + maxval / 2) / maxval) as u8;
        }
    }
    let bytes = glib::Bytes::from_owned(data);
    let raster = glib::Bytes::from_bytes(&bytes, offset..offset + len);
    Ok(Pixbuf::from_bytes(
        &raster,
        Colorspace::Rgb,
        false,
        8,
        width as i32,
        height as i32,
        stride as i32,
    ))
}

/// The size of a `width` × `height` image scaled to fit `max_w` × `max_h`, aspect kept,
/// never enlarged, at least 1×1.
pub fn fit(width: u32, height: u32, max_w: u32, max_h: u32) -> (u32, u32) {
    let scale = (f64::from(max_w) / f64::from(width.max(1)))
        .min(f64::from(max_h) / f64::from(height.max(1)))
        .min(1.0);
    let w = (f64::from(width) * scale).round() as u32;
    let h = (f64::from(height) * scale).round() as u32;
    (w.clamp(1, max_w.max(1)), h.clamp(1, max_h.max(1)))
}

/// `image` scaled down to fit, as packed RGB (an alpha channel is dropped).
pub fn scale_to_fit(image: &Pixbuf, max_w: u32, max_h: u32) -> Thumbnail {
    let (w0, h0) = (image.width() as u32, image.height() as u32);
    let (w, h) = fit(w0, h0, max_w, max_h);
    let scaled = if (w, h) == (w0, h0) {
        image.clone()
    } else {
        image
            .scale_simple(w as i32, h as i32, InterpType::Bilinear)
            .unwrap_or_else(|| image.clone())
    };
    packed_rgb(&scaled)
}

fn packed_rgb(image: &Pixbuf) -> Thumbnail {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let channels = image.n_channels() as usize;
    let rowstride = image.rowstride() as usize;
    let bytes = image.read_pixel_bytes();
    let mut pixels = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let row = &bytes[y * rowstride..];
        if channels == 3 {
            pixels.extend_from_slice(&row[..w * 3]);
        } else {
            for px in row[..w * channels].chunks_exact(channels) {
                pixels.extend_from_slice(&px[..3]);
            }
        }
    }
    Thumbnail {
        width: w as u32,
        height: h as u32,
        stride: w as u32 * 3,
        pixels,
    }
}

#[cfg(test)]
#[path = "screenshot_tests.rs"]
mod tests;
