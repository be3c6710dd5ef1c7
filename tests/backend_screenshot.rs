//! Thumbnails of running machines against libvirt's test driver, whose screenshot is a
//! fixed 1120×832 PNG (a NeXTSTEP desktop): taken directly and through the worker, with
//! the errors the grid ignores (stopped machine, missing machine) and the cost of one.

mod common;

use std::time::{Duration, Instant};

use common::*;
use kvm_manager::backend::screenshot::{self, ScreenshotCommand, ScreenshotEvent, Thumbnail};
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event};
use virt::connect::Connect;

const WEB: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000001";
const BUILD: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000003";
const PAUSED: &str = "5f0b2a7e-1c1d-4c59-9a3e-000000000002";
const BOGUS: &str = "00000000-0000-4000-8000-00000000dead";

fn default_test_uuid(conn: &Connect) -> String {
    conn.lookup_domain_by_name("test")
        .unwrap()
        .uuid_string()
        .unwrap()
}

/// Some real picture: many grey levels, not one flat colour.
fn assert_non_trivial(t: &Thumbnail) {
    assert_eq!(t.stride, t.width * 3);
    assert_eq!(t.pixels.len(), (t.stride * t.height) as usize);
    let mut levels = [false; 256];
    for &b in &t.pixels {
        levels[b as usize] = true;
    }
    let distinct = levels.iter().filter(|l| **l).count();
    assert!(distinct > 32, "only {distinct} distinct values");
}

#[test]
fn a_running_domain_gives_a_thumbnail_within_the_bounds() {
    let conn = Connect::open(Some("test:///default")).unwrap();
    let uuid = default_test_uuid(&conn);
    let t = screenshot::thumbnail(&conn, &uuid, 320, 200).unwrap();
    // 1120×832 fits 320×200 at 269×200.
    assert_eq!((t.width, t.height), (269, 200));
    assert_non_trivial(&t);
    let wide = screenshot::thumbnail(&conn, &uuid, 200, 1000).unwrap();
    assert_eq!((wide.width, wide.height), (200, 149));
    // Never enlarged.
    let big = screenshot::thumbnail(&conn, &uuid, 4000, 4000).unwrap();
    assert_eq!((big.width, big.height), (1120, 832));
}

#[test]
fn the_raw_capture_is_the_drivers_png() {
    let conn = Connect::open(Some("test:///default")).unwrap();
    let dom = conn.lookup_domain_by_name("test").unwrap();
    let (mime, data) = screenshot::capture(&conn, &dom).unwrap();
    assert_eq!(mime, "image/png");
    assert_eq!(screenshot::png_size(&data), Some((1120, 832)));
}

#[test]
fn stopped_missing_and_bad_requests_are_typed_errors() {
    let conn = Connect::open(Some(&states_uri())).unwrap();
    let off = screenshot::thumbnail(&conn, BUILD, 320, 200).unwrap_err();
    assert_eq!(off.kind, ErrorKind::InvalidState, "{off}");
    assert!(off.message.contains("build-off"), "{}", off.message);
    let gone = screenshot::thumbnail(&conn, BOGUS, 320, 200).unwrap_err();
    assert_eq!(gone.kind, ErrorKind::NotFound, "{gone}");
    let zero = screenshot::thumbnail(&conn, WEB, 0, 200).unwrap_err();
    assert_eq!(zero.kind, ErrorKind::InvalidInput);
    // A paused machine still has its screen.
    let paused = screenshot::thumbnail(&conn, PAUSED, 160, 100).unwrap();
    assert_eq!((paused.width, paused.height), (135, 100));
}

#[test]
fn a_domain_that_stops_has_no_thumbnail() {
    let conn = Connect::open(Some("test:///default")).unwrap();
    let uuid = default_test_uuid(&conn);
    let dom = conn.lookup_domain_by_uuid_string(&uuid).unwrap();
    dom.destroy().unwrap();
    let e = screenshot::thumbnail(&conn, &uuid, 320, 200).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidState, "{e}");
}

fn thumbnail_answers(c: &Conn, n: usize) -> Vec<(String, Result<Thumbnail, BackendError>)> {
    (0..n)
        .map(
            |_| match c.wait_for("a thumbnail", |e| matches!(e, Event::Screenshot(_))) {
                Event::Screenshot(ScreenshotEvent::Thumbnail { uuid, result }) => (uuid, result),
                _ => unreachable!(),
            },
        )
        .collect()
}

#[test]
fn the_worker_answers_each_machine_in_order() {
    let c = spawn(&states_uri());
    c.list();
    c.handle
        .send(Command::Screenshot(ScreenshotCommand::Thumbnails {
            uuids: vec![WEB.into(), BUILD.into(), BOGUS.into()],
            max_width: 240,
            max_height: 150,
        }));
    let answers = thumbnail_answers(&c, 3);
    let uuids: Vec<&str> = answers.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(uuids, [WEB, BUILD, BOGUS]);
    let t = answers[0].1.as_ref().unwrap();
    assert_eq!((t.width, t.height), (202, 150));
    assert_non_trivial(t);
    assert_eq!(
        answers[1].1.as_ref().unwrap_err().kind,
        ErrorKind::InvalidState
    );
    assert_eq!(answers[2].1.as_ref().unwrap_err().kind, ErrorKind::NotFound);
    // An empty request is no request.
    c.handle
        .send(Command::Screenshot(ScreenshotCommand::Thumbnails {
            uuids: Vec::new(),
            max_width: 240,
            max_height: 150,
        }));
    let late = c.drain(Duration::from_millis(300));
    assert!(!late.iter().any(|e| matches!(e, Event::Screenshot(_))));
}

#[test]
fn batches_sent_while_one_runs_are_merged_not_queued() {
    let c = spawn(&states_uri());
    c.list();
    // Many requests at once: every machine is answered at least once, and far fewer
    // screenshots are taken than were asked for once batches pile up.
    for _ in 0..20 {
        c.handle
            .send(Command::Screenshot(ScreenshotCommand::Thumbnails {
                uuids: vec![WEB.into(), PAUSED.into()],
                max_width: 64,
                max_height: 64,
            }));
    }
    let events = c.drain(Duration::from_secs(3));
    let answered: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Screenshot(ScreenshotEvent::Thumbnail { uuid, result }) => {
                assert!(result.is_ok(), "{result:?}");
                Some(uuid.as_str())
            }
            _ => None,
        })
        .collect();
    assert!(answered.contains(&WEB) && answered.contains(&PAUSED));
    assert!(
        answered.len() < 20,
        "{} answers: batches were queued",
        answered.len()
    );
}

#[test]
fn a_disconnected_worker_answers_at_once() {
    let c = spawn(&states_uri());
    c.list();
    c.handle.simulate_connection_loss();
    c.wait_for("disconnected", |e| {
        matches!(
            e,
            Event::Link(kvm_manager::backend::LinkState::Disconnected { .. })
        )
    });
    c.handle
        .send(Command::Screenshot(ScreenshotCommand::Thumbnails {
            uuids: vec![WEB.into()],
            max_width: 64,
            max_height: 64,
        }));
    let answers = thumbnail_answers(&c, 1);
    assert_eq!(answers[0].0, WEB);
    assert_eq!(
        answers[0].1.as_ref().unwrap_err().kind,
        ErrorKind::Disconnected
    );
}

/// What one thumbnail costs: `cargo test --test backend_screenshot thumbnail_cost --
/// --nocapture` prints it. The bound only catches a pathological slowdown.
#[test]
fn thumbnail_cost() {
    let conn = Connect::open(Some("test:///default")).unwrap();
    let uuid = default_test_uuid(&conn);
    let dom = conn.lookup_domain_by_uuid_string(&uuid).unwrap();
    screenshot::thumbnail(&conn, &uuid, 320, 200).unwrap();
    let runs = 10;
    let (mut capture, mut decode, mut scale) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for _ in 0..runs {
        let t0 = Instant::now();
        let (mime, data) = screenshot::capture(&conn, &dom).unwrap();
        let t1 = Instant::now();
        let image = screenshot::decode(&mime, data).unwrap();
        let t2 = Instant::now();
        let t = screenshot::scale_to_fit(&image, 320, 200);
        let t3 = Instant::now();
        assert_eq!(t.width, 269);
        capture += t1 - t0;
        decode += t2 - t1;
        scale += t3 - t2;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / f64::from(runs);
    println!(
        "one 1120×832 PNG thumbnail to 269×200: capture {:.2} ms, decode {:.2} ms, \
         scale {:.2} ms, total {:.2} ms",
        ms(capture),
        ms(decode),
        ms(scale),
        ms(capture + decode + scale)
    );
    assert!(ms(capture + decode + scale) < 2000.0);
}
