//! Text consoles on the rig's guest through the app's backend (`Command::Serial`): its
//! root shell on ttyS0 answers a line typed into the session; a second client is refused
//! as busy and can take the console over; a closed or dropped session frees the console;
//! a session ends when the guest stops.
//!
//! While a session is open libvirtd reads the guest's pty, so these tests never use
//! `Shell` (which opens the same pty) at the same time: each session is closed, and
//! libvirtd has let go of the pty, before a `Shell` or the next test touches it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flume::{Receiver, RecvTimeoutError};
use kvm_manager::backend::serial::{
    EndReason, SerialCommand, SerialEnd, SerialEvent, SerialOutput, SerialSession,
};
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event};

use crate::support::*;

static REQUEST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Open `device` of the guest through the worker and wait for the answer.
fn open(live: &Live, device: &str, force: bool) -> Result<SerialSession, BackendError> {
    let request = REQUEST.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    live.handle.send(Command::Serial(SerialCommand::Open {
        uuid: live.uuid.clone(),
        device: Some(device.to_owned()),
        request,
        force,
    }));
    match live.wait_for(
        "Serial(Opened)",
        EVENT,
        |e| matches!(e, Event::Serial(SerialEvent::Opened { request: r, .. }) if *r == request),
    ) {
        Event::Serial(SerialEvent::Opened { result, .. }) => result,
        _ => unreachable!(),
    }
}

/// What a session printed so far, and how it ended.
struct Output {
    rx: Receiver<SerialOutput>,
    seen: String,
    ended: Option<SerialEnd>,
}

impl Output {
    fn of(session: &SerialSession) -> Output {
        Output {
            rx: session.output().expect("the output, taken once"),
            seen: String::new(),
            ended: None,
        }
    }

    /// Take what arrives within `limit`, until `done` says so or the session ends.
    fn until(&mut self, limit: Duration, done: impl Fn(&Output) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while !done(self) {
            if self.ended.is_some() {
                return false;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(SerialOutput::Data(d)) => self.seen.push_str(&String::from_utf8_lossy(&d)),
                Ok(SerialOutput::Ended(end)) => self.ended = Some(end),
                Err(RecvTimeoutError::Timeout) => return false,
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the output channel closed without an end notice: {}",
                        self.seen
                    )
                }
            }
        }
        true
    }

    fn text(&mut self, needle: &str, limit: Duration) -> bool {
        self.until(limit, |o| o.seen.contains(needle))
    }

    fn end(&mut self, limit: Duration) -> SerialEnd {
        self.until(limit, |o| o.ended.is_some());
        self.ended
            .clone()
            .unwrap_or_else(|| panic!("no end notice within {limit:?}; output: {}", self.seen))
    }
}

fn token() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos % 1_000_000) + u64::from(std::process::id())
}

/// Type a command line into the session and wait for the shell's answer. The answer is
/// computed by the guest (`$((6*7))`), so the echo of the typed line never matches it.
fn round_trip(session: &SerialSession, out: &mut Output) -> String {
    let t = token();
    let answer = format!("KVMM-SERIAL-{t}-42");
    session.write(format!("echo KVMM-SERIAL-{t}-$((6*7))\r").as_bytes());
    assert!(
        out.text(&answer, Duration::from_secs(10)),
        "no {answer} from the guest; it printed: {:?} (ended: {:?})",
        out.seen,
        out.ended
    );
    answer
}

/// Reopen without force until libvirt no longer calls the console busy (the previous
/// session's abort runs on the event loop, a moment after the close).
fn reopen_when_free(live: &Live) -> SerialSession {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match open(live, "serial0", false) {
            Ok(s) => return s,
            Err(e) if e.kind == ErrorKind::Busy && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("reopening serial0: {e:?}"),
        }
    }
}

/// The shell on ttyS0 answers a line typed into the session; the serial log has it too.
pub fn echo_round_trip() {
    ensure_running();
    let live = Live::connect();
    let t = Instant::now();
    let session = open(&live, "serial0", false).expect("open serial0");
    println!("serial0 opened in {:?}", t.elapsed());
    assert_eq!(session.console().device, "serial0");
    assert_eq!(session.console().label, "Serial port 1");
    let mut out = Output::of(&session);
    assert!(session.output().is_none(), "the output is handed out once");
    let t = Instant::now();
    let answer = round_trip(&session, &mut out);
    println!("answer after {:?}", t.elapsed());
    wait_until(
        "the answer in the serial log",
        Duration::from_secs(5),
        || read_log().contains(&answer).then_some(()),
    );
    // A burst of output arrives whole and in order.
    session.write(b"seq 1 3000 | tr '\\n' ' '; echo; echo KVMM-SEQ-$((1+1))\r");
    assert!(
        out.text("KVMM-SEQ-2", Duration::from_secs(30)),
        "{}",
        out.seen
    );
    assert!(out.seen.contains("2998 2999 3000"), "{}", out.seen);
    bounded_output_loses_nothing(&session, &mut out);
    session.close();
    let end = out.end(EVENT);
    assert_eq!(end.reason, EndReason::Closed, "{end:?}");
    assert!(session.is_ended());
    // Writes after the end are ignored, not queued.
    session.write(b"echo never\r");
}

/// The guest prints ~130 KB while nobody reads the session: the channel fills (64
/// chunks; the daemon's packets off a pty are small), the session stops reading, and once
/// drained every line arrives, in order. (The guest's 16550 prints ~16 KB/s under TCG.)
fn bounded_output_loses_nothing(session: &SerialSession, out: &mut Output) {
    const LINES: u32 = 20_000;
    out.seen.clear();
    let t = Instant::now();
    session.write(format!("seq 1 {LINES}; echo KVMM-BIG-$((2+2))\r").as_bytes());
    // Not reading: the channel fills up to its bound and stays there.
    wait_until("the output channel full", Duration::from_secs(120), || {
        (out.rx.len() >= 64).then_some(())
    });
    println!("channel full after {:?}", t.elapsed());
    std::thread::sleep(Duration::from_millis(500));
    assert!(out.rx.len() <= 64, "bounded: {} chunks", out.rx.len());
    assert!(
        out.text("KVMM-BIG-4", Duration::from_secs(180)),
        "the end of the burst: {} bytes",
        out.seen.len()
    );
    println!(
        "{} bytes through a full channel in {:?}",
        out.seen.len(),
        t.elapsed()
    );
    let numbers: Vec<u32> = out
        .seen
        .split("\r\n")
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert_eq!(numbers.len(), LINES as usize);
    assert!(numbers.iter().zip(1..).all(|(n, i)| *n == i), "in order");
}

/// A second client is refused as busy; `force` takes the console over and the first
/// session ends; a dropped session frees the console for the next one.
pub fn busy_and_take_over() {
    ensure_running();
    let live = Live::connect();
    let first = open(&live, "serial0", false).expect("open serial0");
    let mut first_out = Output::of(&first);
    round_trip(&first, &mut first_out);

    let e = open(&live, "serial0", false).expect_err("a second open is refused");
    assert_eq!(e.kind, ErrorKind::Busy, "{e:?}");
    assert_eq!(
        e.message,
        "Another program is using the console “Serial port 1” of “kvmm-test-guest”."
    );
    assert!(e.hint.contains("Take it over"), "{e:?}");

    let second = open(&live, "serial0", true).expect("take over");
    let end = first_out.end(EVENT);
    println!("the first session, taken over: {end:?}");
    assert_eq!(end.reason, EndReason::TakenOver, "{end:?}");
    assert_eq!(end.message, "Another program took the console over.");
    let mut second_out = Output::of(&second);
    round_trip(&second, &mut second_out);

    // Dropped without close: the console is free again (nothing leaked).
    drop(second);
    let end = second_out.end(EVENT);
    assert_eq!(end.reason, EndReason::Closed, "{end:?}");
    let third = reopen_when_free(&live);
    let mut third_out = Output::of(&third);
    round_trip(&third, &mut third_out);
    drop(third);
    third_out.end(EVENT);
    // Dropped before anyone took its output: freed all the same.
    drop(reopen_when_free(&live));
    let fifth = reopen_when_free(&live);
    let mut fifth_out = Output::of(&fifth);
    round_trip(&fifth, &mut fifth_out);
    fifth.close();
    assert_eq!(fifth_out.end(EVENT).reason, EndReason::Closed);
    // The guest's shell is still reachable the tests' own way.
    assert!(Shell::open_current()
        .try_run("echo back", Duration::from_secs(10))
        .is_some());
}

/// The guest stops (virsh destroy): the session ends by itself, with a reason.
pub fn ends_when_the_guest_stops() {
    ensure_running();
    let live = Live::connect();
    let session = open(&live, "serial0", false).expect("open serial0");
    let mut out = Output::of(&session);
    round_trip(&session, &mut out);
    let t = Instant::now();
    virsh_ok(&["destroy", DOMAIN]);
    let end = out.end(EVENT);
    println!("after virsh destroy ({:?}): {end:?}", t.elapsed());
    assert_eq!(end.reason, EndReason::Stopped, "{end:?}");
    assert_eq!(end.message, "The console closed: the machine stopped.");
    assert!(session.is_ended());
    let e = open(&live, "serial0", false).expect_err("the guest is off");
    assert_eq!(e.kind, ErrorKind::InvalidState, "{e:?}");
}
