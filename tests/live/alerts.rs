//! An alert rule against the rig's guest: the sampler's collections (every 10 s, the
//! shortest interval) go to the monitor over a database in a temporary folder, as the app
//! does; a rule "CPU above 50 %" for the guest (2 samples in a row, critical) fires while
//! the guest runs a busy loop, is recorded as active, and clears once the loop is killed.

use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kvm_manager::backend::metrics::MetricsCommand;
use kvm_manager::backend::{Command, Event};
use kvm_manager::services::alerts::{
    AlertChange, AlertMetric, AlertRule, AlertScope, AlertStore, ClearReason, Comparison, Severity,
};
use kvm_manager::services::db::Database;
use kvm_manager::services::monitor::{Monitor, MonitorEvent};

use crate::metrics::BusyLoop;
use crate::support::*;

const INTERVAL_SECS: u32 = 10;
/// Collections to wait for a change: the two samples the rule needs, the partial interval
/// in which the loop started or stopped, and one spare.
const COLLECTIONS: u32 = 4;

/// The sampler's collections handed to a monitor, as the app does.
struct Watch<'a> {
    live: &'a Live,
    monitor: Monitor,
    events: Receiver<MonitorEvent>,
}

impl Watch<'_> {
    /// Forward collections until one brings an alert change matching `pred`; panics after
    /// [`COLLECTIONS`] collections without it.
    fn until(&self, what: &str, pred: impl Fn(&AlertChange) -> bool) -> AlertChange {
        let t = Instant::now();
        for _ in 0..COLLECTIONS {
            let collected = loop {
                match self
                    .live
                    .wait_for("Metrics", EVENT, |e| matches!(e, Event::Metrics(_)))
                {
                    Event::Metrics(tick) => {
                        if let Some(c) = tick.collected {
                            break c;
                        }
                    }
                    _ => unreachable!(),
                }
            };
            let cpu = collected
                .vms
                .iter()
                .find(|v| v.uuid == self.live.uuid)
                .and_then(|v| v.rates.cpu_pct);
            println!(
                "collection over {:.1} s at {:?}: {DOMAIN} cpu {cpu:?} %",
                collected.interval_secs,
                t.elapsed()
            );
            self.monitor.collected(collected);
            if let Some(change) = self.stored().into_iter().find(|c| pred(c)) {
                println!("{what} after {:?}", t.elapsed());
                return change;
            }
        }
        panic!(
            "{what}: not within {COLLECTIONS} collections ({:?})",
            t.elapsed()
        );
    }

    /// Wait for the monitor to store the collection; the alert changes it brought.
    fn stored(&self) -> Vec<AlertChange> {
        let mut stored = false;
        loop {
            // Alerts follow Stored at once, from the same thread: after Stored, a short
            // wait is enough to know there are none.
            let limit = if stored {
                Duration::from_millis(500)
            } else {
                EVENT
            };
            match self.events.recv_timeout(limit) {
                Ok(MonitorEvent::Stored) if !stored => stored = true,
                Ok(MonitorEvent::Alerts(changes)) if stored => {
                    println!("alert changes: {changes:#?}");
                    return changes;
                }
                // The start-up settings and retention clean-up.
                Ok(MonitorEvent::Interval(_) | MonitorEvent::CleanedUp(_)) => {}
                Ok(other) => panic!("unexpected from the monitor: {other:?}"),
                Err(_) if stored => return Vec::new(),
                Err(e) => panic!("the monitor did not store the collection: {e}"),
            }
        }
    }
}

pub fn cpu_rule_fires_on_a_busy_guest_and_clears() {
    ensure_running();
    let live = Live::connect();
    let uuid = live.uuid.clone();
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Database::open(&dir.path().join("kvm-manager.db")).unwrap());
    let store = AlertStore::new(db.clone());
    let rule = store
        .create(&AlertRule::new(
            AlertScope::Vm {
                uuid: uuid.clone(),
                name: DOMAIN.into(),
            },
            AlertMetric::Cpu,
            Comparison::Above,
            50.0,
            2,
            Severity::Critical,
        ))
        .expect("create the rule");
    let (tx, events) = channel();
    let monitor = Monitor::spawn(
        move || Ok(db.clone()),
        move |e| {
            let _ = tx.send(e);
        },
    );
    let watch = Watch {
        live: &live,
        monitor,
        events,
    };
    live.handle
        .send(Command::Metrics(MetricsCommand::SetInterval(INTERVAL_SECS)));

    let mut busy_loop = BusyLoop::start(Shell::open(&live.details()));
    let is_ours = |rule_id: i64, u: &str| rule_id == rule.id && *u == uuid;
    let fired = watch.until(
        "fired",
        |c| matches!(c, AlertChange::Fired { rule_id, uuid: u, .. } if is_ours(*rule_id, u)),
    );
    let AlertChange::Fired {
        name,
        value,
        severity,
        sentence,
        ..
    } = &fired
    else {
        unreachable!()
    };
    assert_eq!((name.as_str(), *severity), (DOMAIN, Severity::Critical));
    assert!(*value > 50.0, "{fired:?}");
    assert!(sentence.contains(DOMAIN), "{sentence}");
    let active = store.active().unwrap();
    assert_eq!(active.len(), 1, "{active:#?}");
    let a = &active[0];
    assert_eq!(
        (a.rule_id, a.uuid.as_str(), a.vm_name.as_str(), a.severity),
        (Some(rule.id), uuid.as_str(), DOMAIN, Severity::Critical)
    );
    assert!(a.is_open() && a.value > 50.0, "{a:?}");

    busy_loop.stop();
    let cleared = watch.until(
        "cleared",
        |c| matches!(c, AlertChange::Cleared { rule_id, uuid: u, .. } if is_ours(*rule_id, u)),
    );
    assert!(
        matches!(
            cleared,
            AlertChange::Cleared { reason: ClearReason::Recovered, value: Some(v), .. } if v <= 50.0
        ),
        "{cleared:?}"
    );
    assert!(store.active().unwrap().is_empty());
    let history = store.history(10).unwrap();
    assert_eq!(history.len(), 1, "{history:#?}");
    let h = &history[0];
    assert!(
        h.cleared_at.is_some_and(|c| c >= h.fired_at) && h.peak >= h.value,
        "{h:?}"
    );
}
