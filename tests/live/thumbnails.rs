//! Thumbnails of the rig's running guest (its VGA console with the boot text): QEMU's own
//! screenshot format through libvirt (PPM on this QEMU), decoded and scaled to a small
//! picture that is not blank, directly and through the worker; with the cost of each step.

use std::time::{Duration, Instant};

use kvm_manager::backend::screenshot::{self, ScreenshotCommand, ScreenshotEvent};
use kvm_manager::backend::{Command, Event};

use crate::support::*;

pub fn screen_of_the_running_guest() {
    ensure_running();
    let live = Live::connect();
    let uuid = live.uuid.clone();
    let u = uuid.clone();
    let (mime, (w, h), times, t) = live.on_conn(move |conn| {
        let dom = conn.lookup_domain_by_uuid_string(&u).expect("the guest");
        let mut times = Vec::new();
        let mut last = None;
        // The first screendump also warms QEMU and libvirt up: report the later ones.
        for _ in 0..4 {
            let t0 = Instant::now();
            let (mime, data) = screenshot::capture(conn, &dom).expect("a screenshot");
            let t1 = Instant::now();
            let image = screenshot::decode(&mime, data).expect("decoded");
            let t2 = Instant::now();
            let size = (image.width() as u32, image.height() as u32);
            let t = screenshot::scale_to_fit(&image, 352, 352);
            let t3 = Instant::now();
            times.push((t1 - t0, t2 - t1, t3 - t2));
            last = Some((mime, size, t));
        }
        let (mime, size, t) = last.unwrap();
        (mime, size, times, t)
    });
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for (capture, decode, scale) in &times[1..] {
        println!(
            "{mime} {w}×{h} → {}×{}: capture {:.1} ms, decode {:.1} ms, scale {:.1} ms",
            t.width,
            t.height,
            ms(*capture),
            ms(*decode),
            ms(*scale)
        );
    }
    assert!(
        mime == "image/x-portable-pixmap" || mime == "image/png",
        "{mime}"
    );
    assert!(w >= 320 && h >= 200, "{w}×{h}");
    assert!(t.width <= 352 && t.height <= 352 && (t.width == 352 || t.height == 352));
    // The console has text on it: more than one colour, and not all black.
    let first = &t.pixels[..3];
    assert!(
        t.pixels.chunks(3).any(|p| p != first),
        "the thumbnail is one flat colour"
    );
    assert!(t.pixels.iter().any(|&b| b > 64), "the thumbnail is black");

    live.handle
        .send(Command::Screenshot(ScreenshotCommand::Thumbnails {
            uuids: vec![uuid.clone()],
            max_width: 176,
            max_height: 176,
        }));
    match live.wait_for("a thumbnail", EVENT, |e| matches!(e, Event::Screenshot(_))) {
        Event::Screenshot(ScreenshotEvent::Thumbnail { uuid: u, result }) => {
            assert_eq!(u, uuid);
            let t = result.expect("a thumbnail through the worker");
            assert!(t.width == 176 || t.height == 176, "{t:?}");
        }
        _ => unreachable!(),
    }
}
