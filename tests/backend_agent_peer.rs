//! The agent client against a hostile guest: a plain socket peer the test drives. Garbage
//! and wrong ids are dropped and counted, an endless line never grows the app's memory,
//! silence ends in a timeout, a disconnect fails the waiting call at once, and the next
//! call connects again.

mod agent_support;

use std::io::Write;
use std::time::{Duration, Instant};

use agent_support::{read_request, rss_bytes, Peer};
use kvm_guest_agent::protocol::{Id, Response};
use kvm_manager::backend::agent::{AgentClient, AgentError, ClientOptions};
use serde_json::json;

fn reply_to(request: &serde_json::Value) -> Vec<u8> {
    let id = Id::Num(request["id"].as_i64().unwrap());
    Response::success(Some(id), json!({ "pong": true })).to_line()
}

#[test]
fn garbage_and_wrong_ids_are_dropped_and_counted() {
    let peer = Peer::new();
    let c = AgentClient::with_path(&peer.socket, ClientOptions::default());
    let guest = std::thread::spawn(move || {
        let mut s = peer.accept();
        let req = read_request(&mut s);
        s.write_all(b"not json at all\n\xff\xfe\x00\n{\"jsonrpc\":\"1.0\",\"id\":1}\n[1,2,3]\n")
            .unwrap();
        s.write_all(&Response::success(Some(Id::Num(999_999)), json!({"pong": true})).to_line())
            .unwrap();
        s.write_all(&Response::success(Some(Id::Str("x".into())), json!(1)).to_line())
            .unwrap();
        s.write_all(&reply_to(&req)).unwrap();
        (s, peer)
    });
    c.ping(Duration::from_secs(10)).unwrap();
    let stats = c.stats();
    assert_eq!(stats.garbage, 4, "{stats:?}");
    assert_eq!(stats.unknown_ids, 2, "{stats:?}");
    drop(guest.join().unwrap());
}

#[test]
fn an_endless_line_stays_bounded_and_the_next_reply_gets_through() {
    let peer = Peer::new();
    let options = ClientOptions {
        max_line: 64 * 1024,
        ..ClientOptions::default()
    };
    let c = AgentClient::with_path(&peer.socket, options);
    let before = rss_bytes();
    let guest = std::thread::spawn(move || {
        let mut s = peer.accept();
        let req = read_request(&mut s);
        let junk = vec![b'x'; 1024 * 1024];
        for _ in 0..200 {
            s.write_all(&junk).unwrap();
        }
        s.write_all(b"\n").unwrap();
        s.write_all(&reply_to(&req)).unwrap();
        (s, peer)
    });
    c.ping(Duration::from_secs(60)).unwrap();
    let grown = rss_bytes().saturating_sub(before);
    assert!(
        grown < 32 * 1024 * 1024,
        "200 MiB line grew memory by {grown}"
    );
    assert_eq!(c.stats().overlong, 1);
    drop(guest.join().unwrap());
}

#[test]
fn silence_is_a_timeout_and_the_client_stays_usable() {
    let peer = Peer::new();
    let c = AgentClient::with_path(&peer.socket, ClientOptions::default());
    let guest = std::thread::spawn(move || {
        let mut s = peer.accept();
        let _ignored = read_request(&mut s);
        let second = read_request(&mut s);
        s.write_all(&reply_to(&second)).unwrap();
        (s, peer)
    });
    let start = Instant::now();
    assert_eq!(
        c.ping(Duration::from_millis(300)).unwrap_err(),
        AgentError::Timeout
    );
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    c.ping(Duration::from_secs(10)).unwrap();
    drop(guest.join().unwrap());
}

#[test]
fn a_disconnect_fails_the_waiting_call_at_once_then_reconnects() {
    let peer = Peer::new();
    let c = AgentClient::with_path(&peer.socket, ClientOptions::default());
    let guest = std::thread::spawn(move || {
        let mut s = peer.accept();
        let _ = read_request(&mut s);
        std::thread::sleep(Duration::from_millis(200));
        drop(s);
        // The client comes back on its next call.
        let mut s = peer.accept();
        let req = read_request(&mut s);
        s.write_all(&reply_to(&req)).unwrap();
        (s, peer)
    });
    let start = Instant::now();
    let err = c.ping(Duration::from_secs(30)).unwrap_err();
    assert!(matches!(err, AgentError::Disconnected(_)), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    c.ping(Duration::from_secs(10)).unwrap();
    assert_eq!(c.stats().connects, 2);
    drop(guest.join().unwrap());
}

#[test]
fn waiting_calls_are_bounded() {
    let peer = Peer::new();
    let options = ClientOptions {
        max_pending: 2,
        ..ClientOptions::default()
    };
    let c = AgentClient::with_path(&peer.socket, options);
    let guest = std::thread::spawn(move || (peer.accept(), peer));
    use kvm_guest_agent::protocol::methods::Ping;
    use kvm_guest_agent::protocol::types::NoParams;
    let t = Duration::from_secs(5);
    let a = c.send::<Ping>(&NoParams {}, t).unwrap();
    let b = c.send::<Ping>(&NoParams {}, t).unwrap();
    assert_eq!(
        c.send::<Ping>(&NoParams {}, t).err(),
        Some(AgentError::Busy)
    );
    // A call given up frees its place.
    drop(a);
    let _c = c.send::<Ping>(&NoParams {}, t).unwrap();
    drop(b);
    drop(guest.join().unwrap());
}

#[test]
fn no_socket_is_a_connect_error() {
    let dir = tempfile::tempdir().unwrap();
    let c = AgentClient::with_path(dir.path().join("gone.sock"), ClientOptions::default());
    let err = c.ping(Duration::from_secs(1)).unwrap_err();
    assert!(matches!(err, AgentError::Connect(_)), "{err}");
}
