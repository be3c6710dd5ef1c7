//! Metric history retention and bad files, in real SQLite files: settings validation,
//! batched clean-up up to the cut-off, when the clean-up is due, a damaged file and a
//! locked one.

mod metrics_support;

use kvm_manager::backend::metrics::Metric;
use kvm_manager::services::metrics::Subject;
use kvm_manager::services::{Database, StoreError};
use metrics_support::*;

#[test]
fn settings_are_validated_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, store) = open(dir.path());
    let s = store.settings().unwrap();
    assert_eq!(
        (
            s.retention_days,
            s.cleanup_hour,
            s.collection_interval_secs,
            s.last_cleanup
        ),
        (30, 3, 30, None)
    );
    for days in [0, 366, 10_000] {
        let err = store.set_retention_days(days).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        assert!(err.to_string().contains("1 to 365 days"), "{err}");
        assert!(err.to_string().contains(&days.to_string()), "{err}");
    }
    assert!(store
        .set_cleanup_hour(24)
        .unwrap_err()
        .to_string()
        .contains("0 to 23"));
    for secs in [9, 3601] {
        let err = store.set_collection_interval_secs(secs).unwrap_err();
        assert!(err.to_string().contains("10 to 3600 seconds"), "{err}");
    }
    // Nothing refused was stored.
    assert_eq!(store.settings().unwrap(), s);
    store.set_retention_days(365).unwrap();
    store.set_retention_days(1).unwrap();
    store.set_cleanup_hour(0).unwrap();
    store.set_collection_interval_secs(3600).unwrap();
    let s = store.settings().unwrap();
    assert_eq!(
        (s.retention_days, s.cleanup_hour, s.collection_interval_secs),
        (1, 0, 3600)
    );
}

#[test]
fn retention_deletes_in_batches_up_to_the_cutoff() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = open(dir.path());
    store.set_retention_days(1).unwrap();
    // Three days at 60 s for alpha; gamma only on the first day.
    for i in 0..3 * 1440 {
        let mut vms = vec![vm(A, "alpha", cpu(10.0))];
        if i < 1440 {
            vms.push(vm(C, "gamma", cpu(20.0)));
        }
        store.record(&snap(T0 + i * 60, cpu(1.0), vms)).unwrap();
    }
    let now = T0 + 3 * 86_400 + 1800; // Day 3, 00:30.
    let cutoff = now - 86_400;
    let count = |sql: &str| -> i64 {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    let old_raw = count(&format!(
        "SELECT count(*) FROM metric_samples WHERE ts < {cutoff}"
    ));
    // Host and alpha: all but their newest 1410 samples; gamma: all 1440.
    assert_eq!(old_raw, 2 * (3 * 1440 - 1410) + 1440);

    let mut batches = Vec::new();
    loop {
        let n = store.cleanup_batch(now, 1000).unwrap();
        assert!(n <= 1000);
        batches.push(n);
        if n == 0 {
            break;
        }
    }
    assert!(batches.len() > (old_raw / 1000) as usize, "{batches:?}");
    assert!(batches[..batches.len() - 2].iter().all(|&n| n == 1000));
    // Everything before the cut-off went, nothing after it did.
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM metric_samples WHERE ts < {cutoff}"
        )),
        0
    );
    assert_eq!(count("SELECT count(*) FROM metric_samples"), 2 * 1410);
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM metric_rollup_1h WHERE t + 3600 <= {cutoff}"
        )),
        0
    );
    assert_eq!(
        count("SELECT min(t) FROM metric_rollup_5m WHERE subject_id = 1"),
        cutoff - cutoff.rem_euclid(300)
    );
    // Gamma has no rows left and is forgotten; alpha stays.
    let known: Vec<String> = store
        .known_vms()
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(known, ["alpha"]);
    assert_eq!(store.settings().unwrap().last_cleanup, Some(now));
    // Nothing left to do.
    assert_eq!(store.cleanup_batch(now, 1000).unwrap(), 0);
}

#[test]
fn cleanup_is_due_at_the_chosen_local_hour() {
    use chrono::{FixedOffset, TimeZone};
    let dir = tempfile::tempdir().unwrap();
    let (_path, store) = open(dir.path());
    let tz = FixedOffset::east_opt(2 * 3600).unwrap();
    let local = |d, h, m| tz.with_ymd_and_hms(2024, 5, d, h, m, 0).unwrap();
    assert!(
        store.cleanup_due(&local(1, 12, 0)).unwrap(),
        "never cleaned"
    );
    store
        .cleanup_batch(local(1, 12, 0).timestamp(), 10)
        .unwrap();
    assert!(!store.cleanup_due(&local(2, 2, 59)).unwrap());
    assert!(store.cleanup_due(&local(2, 3, 0)).unwrap());
    store.set_cleanup_hour(23).unwrap();
    assert!(!store.cleanup_due(&local(1, 22, 0)).unwrap());
    assert!(store.cleanup_due(&local(1, 23, 0)).unwrap());
}

#[test]
fn a_damaged_file_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = open(dir.path());
    store
        .record(&snap(T0, cpu(1.0), vec![vm(A, "alpha", cpu(2.0))]))
        .unwrap();
    drop(store);
    for damage in [100..400, 0..16] {
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[damage].fill(0x5a);
        std::fs::write(&path, &bytes).unwrap();
        let err = Database::open(&path)
            .err()
            .expect("a damaged file must be refused");
        assert!(matches!(err, StoreError::Open(_)), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("kvm-manager.db") && msg.contains("damaged"),
            "{msg}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file was changed");
    }
}

#[test]
fn a_locked_file_fails_the_tick_clearly_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = open(dir.path());
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let err = store
        .record(&snap(T0, cpu(1.0), vec![vm(A, "alpha", cpu(2.0))]))
        .unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    other.execute_batch("COMMIT").unwrap();
    drop(other);
    store
        .record(&snap(T0 + 30, cpu(1.0), vec![vm(A, "alpha", cpu(3.0))]))
        .unwrap();
    let got = store
        .history(&Subject::Vm(A.into()), &[Metric::Cpu], T0, T0 + 60, 10)
        .unwrap();
    let values: Vec<f64> = got[0].points.iter().map(|p| p.avg).collect();
    assert_eq!(values, [3.0], "the failed tick left nothing behind");
}
