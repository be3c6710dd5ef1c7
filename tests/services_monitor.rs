//! The monitor thread with a real database file: collected snapshots are stored and checked
//! against alert rules; a damaged or locked file turns history off without touching it, and a
//! clock that jumps backwards is taken in stride.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::Duration;

use kvm_manager::backend::metrics::{Metric, Rates, Snapshot, VmRates};
use kvm_manager::backend::VmState;
use kvm_manager::services::alerts::{
    AlertChange, AlertMetric, AlertRule, AlertScope, AlertStore, Comparison, Severity,
};
use kvm_manager::services::db::Database;
use kvm_manager::services::metrics::store::MetricsStore;
use kvm_manager::services::metrics::Subject;
use kvm_manager::services::monitor::{Monitor, MonitorEvent};

const WAIT: Duration = Duration::from_secs(15);

/// An hour ago: recent enough that the start-up retention clean-up keeps it.
fn base() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600
}

fn snapshot(at: i64, cpu: f64) -> Snapshot {
    Snapshot {
        at,
        interval_secs: 30.0,
        host: Rates {
            cpu_pct: Some(cpu / 2.0),
            ..Rates::default()
        },
        vms: vec![VmRates {
            uuid: "u-web".into(),
            name: "web".into(),
            state: VmState::Running,
            vcpus: 2,
            rates: Rates {
                cpu_pct: Some(cpu),
                ..Rates::default()
            },
        }],
    }
}

fn spawn(path: &Path) -> (Monitor, Receiver<MonitorEvent>) {
    let (tx, rx) = channel();
    let path: PathBuf = path.to_owned();
    let monitor = Monitor::spawn(
        move || Database::open(&path).map(Arc::new),
        move |e| {
            let _ = tx.send(e);
        },
    );
    (monitor, rx)
}

/// The next event that is not the start-up `Interval` or clean-up.
fn next(rx: &Receiver<MonitorEvent>) -> MonitorEvent {
    loop {
        match rx.recv_timeout(WAIT).expect("an event from the monitor") {
            MonitorEvent::Interval(_) | MonitorEvent::CleanedUp(_) => continue,
            e => return e,
        }
    }
}

#[test]
fn stores_every_collection_and_fires_a_rule_after_its_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    {
        let db = Arc::new(Database::open(&path).unwrap());
        let rule = AlertRule::new(
            AlertScope::AllVms,
            AlertMetric::Cpu,
            Comparison::Above,
            80.0,
            2,
            Severity::Critical,
        );
        AlertStore::new(db).create(&rule).unwrap();
    }
    let (monitor, rx) = spawn(&path);
    monitor.collected(snapshot(base(), 95.0));
    assert_eq!(next(&rx), MonitorEvent::Stored);
    monitor.collected(snapshot(base() + 30, 97.0));
    assert_eq!(next(&rx), MonitorEvent::Stored);
    match next(&rx) {
        MonitorEvent::Alerts(changes) => match &changes[..] {
            [AlertChange::Fired { name, sentence, .. }] => {
                assert_eq!(name, "web");
                assert!(sentence.contains("web"), "{sentence}");
            }
            other => panic!("expected one firing, got {other:?}"),
        },
        other => panic!("expected alerts, got {other:?}"),
    }
    // Back under the line for two samples: it clears.
    monitor.collected(snapshot(base() + 60, 10.0));
    assert_eq!(next(&rx), MonitorEvent::Stored);
    monitor.collected(snapshot(base() + 90, 12.0));
    assert_eq!(next(&rx), MonitorEvent::Stored);
    assert!(matches!(
        next(&rx),
        MonitorEvent::Alerts(c) if matches!(c[..], [AlertChange::Cleared { .. }])
    ));
    drop(monitor);

    let db = Arc::new(Database::open(&path).unwrap());
    let history = AlertStore::new(db.clone()).history(10).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].peak, 97.0);
    assert!(history[0].cleared_at.is_some());
    let series = MetricsStore::new(db)
        .history(
            &Subject::Vm("u-web".into()),
            &[Metric::Cpu],
            base() - 60,
            base() + 600,
            100,
        )
        .unwrap();
    assert_eq!(series[0].points.len(), 4, "{series:?}");
}

#[test]
fn a_damaged_file_turns_history_off_and_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let junk = b"not a database at all ".repeat(300);
    std::fs::write(&path, &junk).unwrap();
    let (monitor, rx) = spawn(&path);
    match next(&rx) {
        MonitorEvent::HistoryUnavailable(message) => {
            assert!(message.contains("damaged"), "{message}")
        }
        other => panic!("expected history to be off, got {other:?}"),
    }
    // Snapshots keep coming; nothing is stored and the same reason is not repeated.
    monitor.collected(snapshot(base(), 50.0));
    monitor.collected(snapshot(base() + 30, 50.0));
    assert!(rx.recv_timeout(Duration::from_millis(500)).is_err());
    drop(monitor);
    assert_eq!(std::fs::read(&path).unwrap(), junk);
}

#[test]
fn a_locked_file_is_reported_and_nothing_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    drop(Database::open(&path).unwrap());
    let (monitor, rx) = spawn(&path);
    // Another program takes the write lock and keeps it.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    monitor.collected(snapshot(base(), 50.0));
    match next(&rx) {
        MonitorEvent::HistoryUnavailable(message) => {
            assert!(message.contains("locked"), "{message}")
        }
        other => panic!("expected history to be off, got {other:?}"),
    }
    other.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_clock_that_jumps_back_is_stored_without_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let (monitor, rx) = spawn(&path);
    monitor.collected(snapshot(base() + 4000, 10.0));
    assert_eq!(next(&rx), MonitorEvent::Stored);
    monitor.collected(snapshot(base() + 3000, 20.0));
    assert_eq!(next(&rx), MonitorEvent::Stored);
    monitor.collected(snapshot(base() + 3030, 30.0));
    assert_eq!(next(&rx), MonitorEvent::Stored);
}
