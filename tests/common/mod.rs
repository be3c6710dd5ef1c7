//! Helpers shared by the backend integration tests (libvirt's in-process test driver).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use kvm_manager::backend::{ConnectionHandle, Event, VmState, VmSummary};

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Compare `actual` with tests/fixtures/golden/`name`; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(name: &str, actual: &str) {
    let path = fixture("golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        actual, expected,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 to accept)"
    );
}

pub fn test_uri(path: &std::path::Path) -> String {
    format!("test://{}", path.display())
}

pub fn states_uri() -> String {
    test_uri(&fixture("states.xml"))
}

/// Consume events from `rx` until one matches `pred`; panics with the events seen when
/// `limit` passes or the worker ends first.
pub fn wait_for_event(
    rx: &Receiver<Event>,
    what: &str,
    limit: Duration,
    pred: impl Fn(&Event) -> bool,
) -> Event {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if pred(&e) => return e,
            Ok(e) => seen.push(e),
            Err(RecvTimeoutError::Timeout) => {
                panic!("timed out ({limit:?}) waiting for {what}; saw {seen:#?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("worker ended while waiting for {what}; saw {seen:#?}")
            }
        }
    }
}

/// A worker whose events land in a channel.
pub struct Conn {
    pub handle: ConnectionHandle,
    pub rx: Receiver<Event>,
}

pub fn spawn(uri: &str) -> Conn {
    let (tx, rx) = channel();
    let handle = ConnectionHandle::spawn(uri, move |e| {
        let _ = tx.send(e);
    });
    Conn { handle, rx }
}

impl Conn {
    /// Consume events until one matches; panics with the events seen on timeout.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        wait_for_event(&self.rx, what, TIMEOUT, pred)
    }

    /// Wait for the initial (or a fresh) full list.
    pub fn list(&self) -> Vec<VmSummary> {
        match self.wait_for("VmList", |e| matches!(e, Event::VmList(_))) {
            Event::VmList(l) => l,
            _ => unreachable!(),
        }
    }

    /// Wait for a VmChanged of `uuid` in `state`.
    pub fn changed_to(&self, uuid: &str, state: VmState) -> VmSummary {
        let what = format!("VmChanged({uuid} → {state})");
        match self.wait_for(
            &what,
            |e| matches!(e, Event::VmChanged(s) if s.uuid == uuid && s.state == state),
        ) {
            Event::VmChanged(s) => s,
            _ => unreachable!(),
        }
    }

    /// Drain whatever arrives within `span`.
    pub fn drain(&self, span: Duration) -> Vec<Event> {
        let deadline = Instant::now() + span;
        let mut out = Vec::new();
        while let Ok(e) = self
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            out.push(e);
        }
        out
    }
}

pub fn by_name<'a>(list: &'a [VmSummary], name: &str) -> &'a VmSummary {
    list.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} not in list"))
}
