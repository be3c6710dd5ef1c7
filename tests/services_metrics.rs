//! Metric history in a real SQLite file: recording, downsampled reads (raw and rollups),
//! top consumers and a clock that goes back. Retention and bad files: services_metrics_retention.rs.

mod metrics_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use kvm_manager::backend::metrics::{Metric, Rates};
use kvm_manager::services::metrics::{MetricsStore, Series, Subject};
use kvm_manager::services::Database;
use metrics_support::*;

/// Whole aligned buckets of `b` seconds over `[from, to]` computed in Rust from the samples.
fn expected(samples: &[(i64, f64)], from: i64, to: i64, b: i64) -> Vec<(i64, f64, f64, f64)> {
    let (lo, hi) = (from - from.rem_euclid(b), to - to.rem_euclid(b) + b - 1);
    let mut groups: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for &(t, v) in samples.iter().filter(|(t, _)| (lo..=hi).contains(t)) {
        groups.entry(t - t.rem_euclid(b)).or_default().push(v);
    }
    groups
        .into_iter()
        .map(|(t, vs)| {
            let min = vs.iter().cloned().fold(f64::INFINITY, f64::min);
            let max = vs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            (t, min, vs.iter().sum::<f64>() / vs.len() as f64, max)
        })
        .collect()
}

fn points(s: &Series) -> Vec<(i64, f64, f64, f64)> {
    s.points
        .iter()
        .map(|p| (p.t, p.min, p.avg, p.max))
        .collect()
}

fn assert_close(got: &[(i64, f64, f64, f64)], want: &[(i64, f64, f64, f64)]) {
    assert_eq!(got.len(), want.len(), "point count");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0);
        for (a, b) in [(g.1, w.1), (g.2, w.2), (g.3, w.3)] {
            assert!((a - b).abs() < 1e-6, "{g:?} != {w:?}");
        }
    }
}

#[test]
fn records_and_reads_back_every_metric() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = open(dir.path());
    let full = Rates {
        cpu_pct: Some(12.34),
        mem_used: Some(1536 << 20),
        mem_total: Some(2048 << 20),
        disk_read: Some(1000.4),
        disk_write: Some(0.0),
        net_rx: Some(250.6),
        net_tx: None,
    };
    store
        .record(&snap(T0, cpu(5.0), vec![vm(A, "alpha", full.clone())]))
        .unwrap();
    store
        .record(&snap(
            T0 + 30,
            cpu(7.5),
            vec![vm(A, "alpha-renamed", full), vm(B, "beta", cpu(99.0))],
        ))
        .unwrap();
    drop(store);
    // Everything is in the file: read it through a fresh open.
    let store = MetricsStore::new(Arc::new(Database::open(&path).unwrap()));

    let a = store
        .history(&Subject::Vm(A.into()), &Metric::ALL, T0, T0 + 3600, 300)
        .unwrap();
    assert_eq!(a.len(), 7);
    let value = |m: Metric| -> Vec<f64> {
        let s = a.iter().find(|s| s.metric == m).unwrap();
        s.points.iter().map(|p| p.avg).collect()
    };
    assert_eq!(value(Metric::Cpu), vec![12.34, 12.34]);
    assert_eq!(value(Metric::MemUsed), vec![1536.0 * 1048576.0; 2]);
    assert_eq!(value(Metric::MemTotal), vec![2048.0 * 1048576.0; 2]);
    assert_eq!(value(Metric::DiskRead), vec![1000.0; 2]);
    assert_eq!(value(Metric::DiskWrite), vec![0.0; 2]);
    assert_eq!(value(Metric::NetRx), vec![251.0; 2]);
    assert!(value(Metric::NetTx).is_empty(), "never measured: no points");
    // One point per sample at a 1-hour view: at the sample's own time.
    assert_eq!(a[0].bucket_secs, 30);
    assert_eq!(a[0].points[1].t, T0 + 30);

    let host = store
        .history(&Subject::Host, &[Metric::Cpu], T0, T0 + 3600, 300)
        .unwrap();
    assert_eq!(
        points(&host[0]).iter().map(|p| p.2).collect::<Vec<_>>(),
        [5.0, 7.5]
    );

    let known = store.known_vms().unwrap();
    assert_eq!(known.len(), 2);
    assert_eq!(
        (known[0].uuid.as_str(), known[0].name.as_str()),
        (A, "alpha-renamed")
    );
    assert_eq!(known[0].last_seen, T0 + 30);
    assert_eq!(known[1].name, "beta");

    // A subject never recorded has empty series, not an error.
    let none = store
        .history(&Subject::Vm(C.into()), &[Metric::Cpu], T0, T0 + 60, 10)
        .unwrap();
    assert!(none[0].points.is_empty());
    assert!(store.db_size_bytes().unwrap() > 0);
}

#[test]
fn downsamples_to_min_avg_max_per_bucket_within_the_point_budget() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, store) = open(dir.path());
    // One day at 30 s; CPU a saw-tooth with two decimals (stored exactly).
    let f = |i: i64| (i % 17) as f64 * 1.25 + (i % 5) as f64 * 0.01;
    record_cpu(&store, 2880, 30, f);
    let samples: Vec<(i64, f64)> = (0..2880).map(|i| (T0 + i * 30, f(i))).collect();

    // (from, to, max_points, bucket the plan must choose): raw grouped, 5-minute, 1-hour.
    for (from, to, max, bucket) in [
        (T0 + 1000, T0 + 7 * 3600 + 17, 300, 81),
        (T0, T0 + 86_400, 100, 900),
        (T0 + 45, T0 + 86_399, 20, 7200),
    ] {
        let got = store
            .history(&Subject::Vm(A.into()), &[Metric::Cpu], from, to, max)
            .unwrap();
        assert_eq!(got[0].bucket_secs, bucket, "range {from}..{to} in {max}");
        assert!(got[0].points.len() <= max);
        assert_close(&points(&got[0]), &expected(&samples, from, to, bucket));
    }

    // Whatever the range and the budget, never more points than asked for.
    for max in [1, 2, 3, 7, 50, 299, 300, 1000] {
        for (from, to) in [
            (T0, T0 + 86_400),
            (T0 + 7, T0 + 3607),
            (T0 - 500, T0 + 40_000),
        ] {
            let got = store
                .history(&Subject::Vm(A.into()), &[Metric::Cpu], from, to, max)
                .unwrap();
            assert!(
                got[0].points.len() <= max,
                "{} > {max}",
                got[0].points.len()
            );
        }
    }
}

#[test]
fn gaps_stay_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, store) = open(dir.path());
    // Samples for the first and the fourth hour only; memory never measured.
    for i in (0..120).chain(360..480) {
        store
            .record(&snap(
                T0 + i * 30,
                cpu(1.0),
                vec![vm(A, "alpha", cpu(50.0))],
            ))
            .unwrap();
    }
    let got = store
        .history(
            &Subject::Vm(A.into()),
            &[Metric::Cpu, Metric::MemUsed],
            T0,
            T0 + 4 * 3600 - 1,
            48,
        )
        .unwrap();
    let cpu = &got[0];
    assert_eq!(cpu.bucket_secs, 300);
    assert_eq!(cpu.points.len(), 24, "12 buckets in each hour with samples");
    assert!(cpu
        .points
        .iter()
        .all(|p| p.t < T0 + 3600 || p.t >= T0 + 3 * 3600));
    assert!(
        got[1].points.is_empty(),
        "no memory sample: no memory point"
    );

    // One point per sample: the gap shows as a jump in time.
    let raw = store
        .history(
            &Subject::Vm(A.into()),
            &[Metric::Cpu],
            T0,
            T0 + 4 * 3600,
            1000,
        )
        .unwrap();
    assert_eq!(raw[0].points.len(), 240);
    let jumps = raw[0]
        .points
        .windows(2)
        .filter(|w| w[1].t - w[0].t > 30)
        .count();
    assert_eq!(jumps, 1);
}

#[test]
fn rollups_give_what_the_raw_samples_give() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = open(dir.path());
    // Seven days at 60 s with pseudo-random values and a few missing ones, next to another
    // VM whose rows sit between them.
    let mut x: u64 = 42;
    let mut samples = Vec::new();
    for i in 0..7 * 1440 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v = ((x >> 33) % 10_000) as f64 / 100.0;
        let at = T0 + i * 60;
        let rates = if x % 97 == 0 {
            Rates::default()
        } else {
            cpu(v)
        };
        if rates.cpu_pct.is_some() {
            samples.push((at, v));
        }
        let beta = vm(B, "beta", cpu(77.0));
        store
            .record(&snap(at, cpu(1.0), vec![vm(A, "alpha", rates), beta]))
            .unwrap();
    }
    let (from, to) = (T0 + 500, T0 + 7 * 86_400 - 1);
    let read = || {
        store
            .history(&Subject::Vm(A.into()), &[Metric::Cpu], from, to, 50)
            .unwrap()
    };
    let incremental = read();
    assert_eq!(
        incremental[0].bucket_secs, 14_400,
        "4-hour buckets from the 1-hour rollup"
    );
    assert_close(
        &points(&incremental[0]),
        &expected(&samples, from, to, 14_400),
    );

    let beta = store
        .history(&Subject::Vm(B.into()), &[Metric::Cpu], from, to, 50)
        .unwrap();
    assert_eq!(beta[0].points.len(), incremental[0].points.len());
    assert!(beta[0]
        .points
        .iter()
        .all(|p| (p.min, p.avg, p.max) == (77.0, 77.0, 77.0)));

    // Rebuilding the rollups from the raw rows changes nothing.
    store.rebuild_rollups().unwrap();
    assert_eq!(read(), incremental);

    // The long view really reads the rollup: with the raw rows gone it is unchanged.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute("DELETE FROM metric_samples", []).unwrap();
    drop(other);
    assert_eq!(read(), incremental);
}

#[test]
fn top_consumers_and_all_vms() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, store) = open(dir.path());
    for i in 0..240 {
        let mut vms = vec![vm(A, "alpha", cpu(10.0)), vm(B, "beta", cpu(50.0))];
        if i < 120 {
            vms.push(vm(C, "gamma", cpu(30.0 + (i % 2) as f64 * 20.0)));
        }
        store.record(&snap(T0 + i * 30, cpu(1.0), vms)).unwrap();
    }
    let top = store
        .top_consumers(Metric::Cpu, T0, T0 + 2 * 3600, 2)
        .unwrap();
    let names: Vec<(&str, f64)> = top.iter().map(|t| (t.name.as_str(), t.avg)).collect();
    assert_eq!(names, [("beta", 50.0), ("gamma", 40.0)]);
    assert_eq!(top[0].uuid, B);

    // Later in the second hour gamma was gone, so Insights only sees alpha and beta.
    let all = store
        .history_all_vms(&[Metric::Cpu], T0 + 3660, T0 + 7200, 100)
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[A].0, "alpha");
    assert!(all[B].1[0].points.iter().all(|p| p.avg == 50.0));
    assert!(all[B].1[0].points.len() <= 100);
}

#[test]
fn a_clock_that_goes_back_neither_fails_nor_corrupts() {
    let dir = tempfile::tempdir().unwrap();
    let (_path, store) = open(dir.path());
    let rec = |at: i64, v: f64| store.record(&snap(at, cpu(v), vec![vm(A, "alpha", cpu(v))]));
    rec(T0, 10.0).unwrap();
    rec(T0 + 30, 20.0).unwrap();
    // The same second again: the first sample stays.
    rec(T0 + 30, 90.0).unwrap();
    // Back to a free second in the past: stored in its place.
    rec(T0 + 15, 30.0).unwrap();

    let read = |max| {
        store
            .history(&Subject::Vm(A.into()), &[Metric::Cpu], T0, T0 + 299, max)
            .unwrap()
    };
    let each = read(300);
    let values: Vec<(i64, f64)> = each[0].points.iter().map(|p| (p.t, p.avg)).collect();
    assert_eq!(values, [(T0, 10.0), (T0 + 15, 30.0), (T0 + 30, 20.0)]);
    // The 5-minute rollup saw exactly those three samples.
    let before = store
        .history(&Subject::Vm(A.into()), &[Metric::Cpu], T0, T0 + 86_399, 100)
        .unwrap();
    assert_eq!(before[0].points[0].avg, 20.0);
    assert_eq!(
        (before[0].points[0].min, before[0].points[0].max),
        (10.0, 30.0)
    );
    store.rebuild_rollups().unwrap();
    let after = store
        .history(&Subject::Vm(A.into()), &[Metric::Cpu], T0, T0 + 86_399, 100)
        .unwrap();
    assert_eq!(before, after);
    // The last-seen time never goes back.
    assert_eq!(store.known_vms().unwrap()[0].last_seen, T0 + 30);
}
