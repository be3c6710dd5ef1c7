//! Unit tests of the screenshot decoding and scaling (no libvirt involved).

use super::*;

/// A binary PPM of `w` × `h` whose pixel (x, y) is (x, y, x + y) scaled by `step`.
fn ppm(w: u32, h: u32, header_extra: &str) -> Vec<u8> {
    let mut data = format!("P6\n{header_extra}{w} {h}\n255\n").into_bytes();
    for y in 0..h {
        for x in 0..w {
            data.extend_from_slice(&[(x * 8) as u8, (y * 8) as u8, ((x + y) * 4) as u8]);
        }
    }
    data
}

#[test]
fn fit_keeps_the_aspect_and_never_enlarges() {
    assert_eq!(fit(1120, 832, 320, 200), (269, 200));
    assert_eq!(fit(1920, 1080, 320, 200), (320, 180));
    assert_eq!(fit(640, 480, 800, 600), (640, 480), "not enlarged");
    assert_eq!(fit(10_000, 1, 100, 100), (100, 1), "at least one pixel");
    assert_eq!(fit(0, 0, 100, 100), (1, 1));
}

#[test]
fn ppm_headers_with_comments_and_bad_ones() {
    let data = ppm(3, 2, "# made by QEMU\n");
    assert_eq!(ppm_header(&data).unwrap(), (3, 2, 255, 26));
    assert_eq!(
        ppm_header(b"P6 640 480 255\n").unwrap(),
        (640, 480, 255, 15)
    );
    for bad in [
        &b"P5 2 2 255\n"[..],
        b"P6 2 2",
        b"P6 x 2 255\n",
        b"P6 2 2 255",
        b"",
    ] {
        assert!(
            ppm_header(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn a_ppm_decodes_and_scales_to_packed_rgb() {
    let image = decode("image/x-portable-pixmap", ppm(32, 20, "")).unwrap();
    assert_eq!((image.width(), image.height()), (32, 20));
    let full = scale_to_fit(&image, 100, 100);
    assert_eq!((full.width, full.height, full.stride), (32, 20, 96));
    assert_eq!(full.pixels.len(), 32 * 20 * 3);
    // Pixel (5, 3) is (40, 24, 32).
    let at = 3 * 96 + 5 * 3;
    assert_eq!(&full.pixels[at..at + 3], &[40, 24, 32]);
    let small = scale_to_fit(&image, 16, 16);
    assert_eq!((small.width, small.height, small.stride), (16, 10, 48));
    assert_eq!(small.pixels.len(), 16 * 10 * 3);
    // Averaged, not sampled: the first pixel mixes x = 0 and 1 (red 0 and 8).
    assert!((2..=6).contains(&small.pixels[0]), "{}", small.pixels[0]);
}

#[test]
fn a_ppm_with_a_small_maxval_is_stretched() {
    let mut data = b"P6 1 1 15\n".to_vec();
    data.extend_from_slice(&[15, 0, 8]);
    let t = scale_to_fit(&decode("image/x-portable-pixmap", data).unwrap(), 8, 8);
    assert_eq!(t.pixels, vec![255, 0, 136]);
}

#[test]
fn bad_ppms_are_refused_without_allocating_their_size() {
    let huge = b"P6 100000 100000 255\n".to_vec();
    let e = decode("image/x-portable-pixmap", huge).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Other);
    assert!(e.message.contains("too large"), "{}", e.message);
    let mut short = ppm(4, 4, "");
    short.truncate(short.len() - 1);
    assert!(decode("image/x-portable-pixmap", short).is_err());
    assert!(decode("image/x-portable-pixmap", b"P6 2 2 65535\n".to_vec()).is_err());
}

#[test]
fn pngs_decode_through_gdk_pixbuf_after_a_size_check() {
    let image = decode("image/x-portable-pixmap", ppm(32, 20, "")).unwrap();
    let png = image.save_to_bufferv("png", &[]).unwrap();
    assert_eq!(png_size(&png), Some((32, 20)));
    let back = decode("image/png", png.clone()).unwrap();
    assert_eq!((back.width(), back.height()), (32, 20));
    let t = scale_to_fit(&back, 8, 8);
    assert_eq!((t.width, t.height), (8, 5));

    // A header claiming a giant image is refused before decoding.
    let mut giant = png.clone();
    giant[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    giant[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    assert!(decode("image/png", giant).is_err());
    assert!(decode("image/png", b"not a png".to_vec()).is_err());
    let mut broken = png;
    broken.truncate(40);
    assert!(decode("image/png", broken).is_err());
}

#[test]
fn alpha_is_dropped() {
    let rgba = Pixbuf::new(Colorspace::Rgb, true, 8, 3, 2).unwrap();
    rgba.fill(0x1020_30ff);
    let t = scale_to_fit(&rgba, 10, 10);
    assert_eq!((t.width, t.height, t.stride), (3, 2, 9));
    assert_eq!(t.pixels, [0x10, 0x20, 0x30].repeat(6));
}

#[test]
fn other_formats_are_unsupported() {
    let e = decode("image/jpeg", vec![0; 10]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
}

#[test]
fn thumbnails_print_their_size_not_their_pixels() {
    let t = Thumbnail {
        width: 2,
        height: 1,
        stride: 6,
        pixels: vec![0; 6],
    };
    assert_eq!(format!("{t:?}"), "Thumbnail(2×1 RGB8)");
}
