//! The sampler's schedule and collection bookkeeping, without a thread or libvirt.

use super::*;
use crate::backend::metrics::node::NodeSample;
use crate::backend::stats::{DomainStats, StatsSample};
use crate::backend::types::VmState;

const SEC: Duration = Duration::from_secs(1);

fn sample(t: Instant, cpu_ns: u64) -> Sample {
    Sample {
        at: 0,
        domains: StatsSample {
            taken_at: t,
            domains: vec![DomainStats {
                uuid: "u".into(),
                name: "vm".into(),
                id: Some(1),
                state: Some(VmState::Running),
                cpu_time_ns: Some(cpu_ns),
                vcpus: Some(1),
                ..DomainStats::default()
            }],
        },
        node: NodeSample::default(),
    }
}

#[test]
fn slots_stay_on_the_grid_and_missed_ones_are_skipped() {
    let t0 = Instant::now();
    assert_eq!(next_slot(t0, SEC, t0), t0 + SEC);
    assert_eq!(next_slot(t0, SEC, t0 + SEC / 2), t0 + SEC);
    // The tick ran 2.3 s: slots 1 and 2 are gone, the next is 3, not "now".
    assert_eq!(next_slot(t0, SEC, t0 + SEC * 23 / 10), t0 + 3 * SEC);
    // Exactly on a slot: that slot.
    assert_eq!(next_slot(t0, SEC, t0 + 2 * SEC), t0 + 2 * SEC);
}

#[test]
fn intervals_are_clamped() {
    assert_eq!(clamp_interval(0), 10);
    assert_eq!(clamp_interval(45), 45);
    assert_eq!(clamp_interval(100_000), 3600);
}

#[test]
fn pace_follows_live_and_the_collection_grid() {
    let t0 = Instant::now();
    let interval = 10 * SEC;
    let mut h = History::default();
    assert_eq!(h.due(false, interval, t0), t0, "the first tick is at once");
    assert!(
        h.tick(t0, sample(t0, 0), interval).is_none(),
        "a baseline only"
    );
    assert_eq!(h.due(false, interval, t0 + SEC), t0 + interval);
    // A chart opens 3.4 s in: the next tick is on the 1 s grid from the last one.
    assert_eq!(h.due(true, interval, t0 + SEC * 34 / 10), t0 + 4 * SEC);

    // Live ticks every second at 50 % CPU; the tenth also carries the collection.
    let mut collections = Vec::new();
    for k in 1..=12u32 {
        let t = t0 + SEC * k;
        let tick = h
            .tick(t, sample(t, u64::from(k) * 500_000_000), interval)
            .unwrap();
        let cpu = tick.live.vms[0].rates.cpu_pct.unwrap();
        assert!((cpu - 50.0).abs() < 1e-9, "{cpu}");
        if let Some(c) = tick.collected {
            collections.push((k, c));
        }
    }
    assert_eq!(collections.len(), 1);
    let (k, c) = &collections[0];
    assert_eq!(*k, 10);
    assert_eq!(c.interval_secs, 10.0);
    assert!((c.vms[0].rates.cpu_pct.unwrap() - 50.0).abs() < 1e-9);

    // The chart closes: the next tick is on the collection grid (t0 + 20 s).
    assert_eq!(h.due(false, interval, t0 + 12 * SEC), t0 + 20 * SEC);
}

#[test]
fn collection_averages_are_exact_over_uneven_ticks() {
    let t0 = Instant::now();
    let interval = 10 * SEC;
    let mut h = History::default();
    h.tick(t0, sample(t0, 0), interval);
    // Busy for 2 s, idle for the rest: live shows the spike, the collection the average.
    let t2 = t0 + 2 * SEC;
    let spike = h.tick(t2, sample(t2, 2_000_000_000), interval).unwrap();
    assert_eq!(spike.live.vms[0].rates.cpu_pct, Some(100.0));
    assert!(spike.collected.is_none());
    let t10 = t0 + interval;
    let tick = h.tick(t10, sample(t10, 2_000_000_000), interval).unwrap();
    assert_eq!(tick.live.vms[0].rates.cpu_pct, Some(0.0));
    let c = tick.collected.expect("a collection after 10 s");
    assert!((c.vms[0].rates.cpu_pct.unwrap() - 20.0).abs() < 1e-9);
}

#[test]
fn a_failed_read_keeps_the_grid() {
    let t0 = Instant::now();
    let mut h = History::default();
    h.missed(t0);
    // No busy retry: the next attempt is on the grid.
    assert_eq!(h.due(true, 10 * SEC, t0), t0 + SEC);
    assert_eq!(h.due(false, 10 * SEC, t0), t0 + 10 * SEC);
}
