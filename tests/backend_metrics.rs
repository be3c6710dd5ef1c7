//! The metrics sampler on libvirt's test driver: ticks arrive as `Event::Metrics` with the
//! running domain listed, at the live pace when asked, with a collection once per interval;
//! the sampler follows reconnects and ends with its worker. The test driver answers only
//! the `state` stats group (and fixed host CPU counters, no host memory), so every rate is
//! `None` here: the figures themselves are checked by unit tests and the live rig.

mod common;

use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use common::*;
use kvm_manager::backend::metrics::{MetricsCommand, MetricsTick, Rates};
use kvm_manager::backend::{Command, Event, LinkState, VmState};

const DEFAULT: &str = "test:///default";

/// The next tick and when it arrived.
fn next_tick(c: &Conn, limit: Duration) -> (Instant, MetricsTick) {
    match wait_for_event(&c.rx, "Metrics", limit, |e| matches!(e, Event::Metrics(_))) {
        Event::Metrics(t) => (Instant::now(), t),
        _ => unreachable!(),
    }
}

#[test]
fn live_ticks_list_the_running_domain_every_second() {
    let c = spawn(DEFAULT);
    c.list();
    c.handle
        .send(Command::Metrics(MetricsCommand::SetInterval(10)));
    c.handle
        .send(Command::Metrics(MetricsCommand::SetLive(true)));
    let ticks: Vec<_> = (0..4).map(|_| next_tick(&c, TIMEOUT)).collect();

    let (_, first) = &ticks[0];
    let vm = first
        .live
        .vms
        .iter()
        .find(|v| v.name == "test")
        .unwrap_or_else(|| panic!("the running domain in {first:#?}"));
    assert_eq!((vm.state, vm.vcpus), (VmState::Running, 2));
    assert_eq!(vm.uuid, "6695eb01-f6a4-8304-79aa-97f2502e193f");
    assert_eq!(
        vm.rates,
        Rates::default(),
        "the test driver has no counters"
    );
    // Host: CPU counters that never move and no memory stats give no figures, not errors.
    assert_eq!(first.live.host.cpu_pct, None);
    assert_eq!(first.live.host.mem_total, None);
    assert!(
        first.live.at > 1_600_000_000,
        "wall-clock stamp {}",
        first.live.at
    );

    // About a second apart (loosely: the machine is shared).
    let span = ticks[3].0 - ticks[0].0;
    assert!(
        span >= Duration::from_millis(1500) && span <= Duration::from_secs(8),
        "3 live ticks took {span:?}"
    );
    for (_, t) in &ticks[1..] {
        assert!(
            (0.5..=3.0).contains(&t.live.interval_secs),
            "live interval {}",
            t.live.interval_secs
        );
    }

    // Ten seconds after the baseline a tick also carries the collection.
    let collected = loop {
        let (_, t) = next_tick(&c, TIMEOUT);
        if let Some(s) = t.collected {
            break s;
        }
    };
    assert!(
        (8.0..=14.0).contains(&collected.interval_secs),
        "collection over {} s",
        collected.interval_secs
    );
    assert!(collected.vms.iter().any(|v| v.name == "test"));

    // Charts closed: back to the collection pace (the next slot is ~10 s away).
    c.handle
        .send(Command::Metrics(MetricsCommand::SetLive(false)));
    let quiet = c.drain(Duration::from_secs(4));
    let n = quiet
        .iter()
        .filter(|e| matches!(e, Event::Metrics(_)))
        .count();
    assert!(n <= 1, "{n} ticks in 4 s after live was switched off");
}

#[test]
fn sampler_follows_the_reconnect_and_ends_with_the_worker() {
    let c = spawn(DEFAULT);
    c.list();
    // Out-of-range intervals are clamped, not refused (no event answers them).
    c.handle
        .send(Command::Metrics(MetricsCommand::SetInterval(u32::MAX)));
    c.handle
        .send(Command::Metrics(MetricsCommand::SetLive(true)));
    next_tick(&c, TIMEOUT);

    c.handle.simulate_connection_loss();
    c.wait_for("Link(Disconnected)", |e| {
        matches!(e, Event::Link(LinkState::Disconnected { .. }))
    });
    // Settings sent while disconnected are kept.
    c.handle
        .send(Command::Metrics(MetricsCommand::SetLive(true)));
    c.wait_for("Link(Connected)", |e| {
        matches!(e, Event::Link(LinkState::Connected))
    });
    let (_, t) = next_tick(&c, TIMEOUT);
    assert!(t.live.vms.iter().any(|v| v.name == "test"), "{t:#?}");

    // Close: the worker and its sampler both drop the sink, so the channel disconnects.
    c.handle.send(Command::Close);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match c
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(_) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("the sampler outlived its worker"),
        }
    }
}
