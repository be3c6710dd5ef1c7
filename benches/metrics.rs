//! Metric history benchmark (`make bench`, or `cargo bench --bench metrics`).
//!
//! Builds a database of 100 VMs (and the host) x 30 days at 30 s in a temporary folder (bulk
//! inserts in big transactions, tick after tick as the app writes them; rollups rebuilt with
//! one INSERT ... SELECT per table), then measures, each against the plain way it replaces:
//!
//! - the file's size on disk;
//! - writing one tick of 100 VMs through `MetricsStore::record` (median of many, and the
//!   bytes SQLite writes per tick), vs the same raw rows inserted into a plain table keyed by
//!   (VM, time) and nothing else;
//! - a 30-day chart of one VM (`history`) vs reading all its raw rows in the range from that
//!   plain table (the best case for a plain query: its rows are together) and downsampling
//!   them in Rust;
//! - the Insights read of all 100 VMs over 30 days (`history_all_vms`) vs reading every raw
//!   row in the range and downsampling in Rust;
//! - one retention batch of 5,000 rows.
//!
//! Prints `metrics.NAME VALUE` lines. `KVMM_BENCH_VMS` and `KVMM_BENCH_DAYS` shrink it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kvm_manager::backend::metrics::{Metric, Rates, Snapshot, VmRates};
use kvm_manager::backend::VmState;
use kvm_manager::services::metrics::{MetricsStore, Range, Subject};
use kvm_manager::services::Database;
use rusqlite::{params, Connection};

const STEP: i64 = 30;
/// Chart width in points (a wide chart; the store bounds every series to it).
const MAX_POINTS: usize = 500;
/// 2024-01-01T00:00:00Z.
const START: i64 = 1_704_067_200;

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn uuid(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

/// Plausible figures for subject `i` at tick `k`: a daily CPU wave around a per-VM base,
/// memory that drifts, disk and network mostly quiet with bursts.
fn rates(rng: &mut Rng, i: usize, k: i64) -> Rates {
    let day = (k * STEP % 86_400) as f64 / 86_400.0 * std::f64::consts::TAU;
    let base = (i % 10) as f64 * 8.0 + 2.0;
    let total = ((1 + i % 8) as u64) << 30;
    let burst = |rng: &mut Rng| {
        if rng.next() < 0.8 {
            (rng.next() * 8192.0).floor()
        } else {
            (rng.next() * 50e6).floor()
        }
    };
    Rates {
        cpu_pct: Some(
            ((base + 10.0 * day.sin() + 5.0 * rng.next()).clamp(0.0, 100.0) * 100.0).round()
                / 100.0,
        ),
        mem_used: Some((total as f64 * (0.3 + 0.4 * rng.next())) as u64),
        mem_total: Some(total),
        disk_read: Some(burst(rng)),
        disk_write: Some(burst(rng)),
        net_rx: Some(burst(rng)),
        net_tx: Some(burst(rng)),
    }
}

/// The stored integers, as `services::metrics` encodes them (CPU in hundredths of a percent,
/// memory in KiB, rates in bytes/s).
fn encoded(r: &Rates) -> [Option<i64>; 7] {
    Metric::ALL.map(|m| {
        m.of(r).map(|v| match m {
            Metric::Cpu => (v * 100.0).round() as i64,
            Metric::MemUsed | Metric::MemTotal => (v / 1024.0).round() as i64,
            _ => v.round() as i64,
        })
    })
}

fn build(path: &std::path::Path, vms: usize, ticks: i64) {
    drop(Database::open(path).unwrap()); // Creates the schema.
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    conn.pragma_update(None, "cache_size", -1_000_000).unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute(
        "INSERT INTO metric_subjects (id, kind, uuid, name, last_seen) VALUES (1, 'host', '', '', ?1)",
        [START + (ticks - 1) * STEP],
    )
    .unwrap();
    for i in 0..vms {
        tx.execute(
            "INSERT INTO metric_subjects (id, kind, uuid, name, last_seen) VALUES (?1, 'vm', ?2, ?3, ?4)",
            params![i as i64 + 2, uuid(i), format!("vm-{i:03}"), START + (ticks - 1) * STEP],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let per_txn = 86_400 / STEP;
    let mut k = 0;
    while k < ticks {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO metric_samples (subject_id, ts, cpu, mem_used, mem_total,
                     disk_read, disk_write, net_rx, net_tx) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .unwrap();
            for k in k..(k + per_txn).min(ticks) {
                for s in 0..=vms {
                    let v = encoded(&rates(&mut rng, s, k));
                    stmt.execute(params![
                        s as i64 + 1,
                        START + k * STEP,
                        v[0],
                        v[1],
                        v[2],
                        v[3],
                        v[4],
                        v[5],
                        v[6]
                    ])
                    .unwrap();
                }
            }
        }
        tx.commit().unwrap();
        k += per_txn;
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
}

/// The baseline: the same raw rows in a table keyed by (VM, time), in its own file.
fn build_plain(path: &std::path::Path, from: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    conn.pragma_update(None, "cache_size", -1_000_000).unwrap();
    conn.execute("ATTACH DATABASE ?1 AS src", [from.to_str().unwrap()])
        .unwrap();
    conn.execute_batch(&format!(
        "CREATE TABLE samples (subject_id INTEGER NOT NULL, ts INTEGER NOT NULL, {COLS_DECL},
             PRIMARY KEY (subject_id, ts)) WITHOUT ROWID;
         INSERT INTO samples SELECT subject_id, ts, {COLS} FROM src.metric_samples
             ORDER BY subject_id, ts;
         DETACH DATABASE src;
         PRAGMA wal_checkpoint(TRUNCATE);"
    ))
    .unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
}

/// Bytes this process has passed to write() so far.
fn written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("wchar: ")
                    .and_then(|v| v.trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

/// The raw rows of one snapshot into the plain table, as a store without rollups would.
fn plain_tick(conn: &Connection, snap: &Snapshot) {
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    {
        let mut stmt = conn
            .prepare_cached(&format!(
                "INSERT INTO samples (subject_id, ts, {COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ))
            .unwrap();
        let rows = std::iter::once(&snap.host).chain(snap.vms.iter().map(|v| &v.rates));
        for (i, r) in rows.enumerate() {
            let v = encoded(r);
            stmt.execute(params![
                i as i64 + 1,
                snap.at,
                v[0],
                v[1],
                v[2],
                v[3],
                v[4],
                v[5],
                v[6]
            ])
            .unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

/// Per bucket: (min, sum, count, max) of each metric.
type Acc = [(f64, f64, u32, f64); 7];

fn add(acc: &mut Acc, row: &rusqlite::Row, first: usize) {
    for (i, a) in acc.iter_mut().enumerate() {
        if let Some(v) = row.get::<_, Option<f64>>(first + i).unwrap() {
            a.0 = a.0.min(v);
            a.1 += v;
            a.2 += 1;
            a.3 = a.3.max(v);
        }
    }
}

const EMPTY: Acc = [(f64::INFINITY, 0.0, 0, f64::NEG_INFINITY); 7];
const COLS: &str = "cpu, mem_used, mem_total, disk_read, disk_write, net_rx, net_tx";
const COLS_DECL: &str = "cpu INTEGER, mem_used INTEGER, mem_total INTEGER, disk_read INTEGER,
    disk_write INTEGER, net_rx INTEGER, net_tx INTEGER";

/// The query a chart would run without the store: every raw row of the VM in the range,
/// downsampled in Rust into the same buckets.
fn plain_one(conn: &Connection, id: i64, lo: i64, hi: i64, b: i64) -> BTreeMap<i64, Acc> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT ts, {COLS} FROM samples WHERE subject_id = ?1 AND ts BETWEEN ?2 AND ?3"
        ))
        .unwrap();
    let mut rows = stmt.query(params![id, lo, hi]).unwrap();
    let mut out: BTreeMap<i64, Acc> = BTreeMap::new();
    while let Some(row) = rows.next().unwrap() {
        let ts: i64 = row.get(0).unwrap();
        add(out.entry(ts / b * b).or_insert(EMPTY), row, 1);
    }
    out
}

fn plain_all(conn: &Connection, lo: i64, hi: i64, b: i64) -> HashMap<i64, BTreeMap<i64, Acc>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT subject_id, ts, {COLS} FROM samples WHERE ts BETWEEN ?1 AND ?2"
        ))
        .unwrap();
    let mut rows = stmt.query(params![lo, hi]).unwrap();
    let mut out: HashMap<i64, BTreeMap<i64, Acc>> = HashMap::new();
    while let Some(row) = rows.next().unwrap() {
        let (id, ts): (i64, i64) = (row.get(0).unwrap(), row.get(1).unwrap());
        add(
            out.entry(id)
                .or_default()
                .entry(ts / b * b)
                .or_insert(EMPTY),
            row,
            2,
        );
    }
    out
}

fn main() {
    let vms = env("KVMM_BENCH_VMS", 100) as usize;
    let days = env("KVMM_BENCH_DAYS", 30);
    let ticks = days * 86_400 / STEP;
    let end = START + ticks * STEP;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kvm-manager.db");

    let ((), built) = time(|| build(&path, vms, ticks));
    let store = MetricsStore::new(Arc::new(Database::open(&path).unwrap()));
    let ((), rollups) = time(|| store.rebuild_rollups().unwrap());
    // The rebuild's one big transaction grew the log; the app's own ticks are small.
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let raw_rows = (vms as i64 + 1) * ticks;
    println!("metrics.vms {vms}");
    println!("metrics.days {days}");
    println!("metrics.raw_rows {raw_rows}");
    println!("metrics.build_s {:.1}", built.as_secs_f64());
    println!("metrics.rollup_build_s {:.1}", rollups.as_secs_f64());
    let size = store.db_size_bytes().unwrap();
    println!("metrics.db_size_mb {:.1}", size as f64 / 1e6);
    {
        let conn = Connection::open(&path).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT name, sum(pgsize), sum(unused) FROM dbstat
                 WHERE name LIKE 'metric_%' GROUP BY name ORDER BY name",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .unwrap();
        for row in rows {
            let (name, bytes, unused) = row.unwrap();
            println!(
                "metrics.table_mb.{name} {:.1} (unused {:.0}%)",
                bytes as f64 / 1e6,
                unused as f64 * 100.0 / bytes.max(1) as f64
            );
        }
        let free: i64 = conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .unwrap();
        println!("metrics.free_pages {free}");
    }
    println!(
        "metrics.db_bytes_per_sample {:.1}",
        size as f64 / raw_rows as f64
    );

    let plain_path = dir.path().join("plain.db");
    let ((), copied) = time(|| build_plain(&plain_path, &path));
    let plain = Connection::open(&plain_path).unwrap();
    let plain_size = std::fs::metadata(&plain_path).unwrap().len();
    println!("metrics.plain_build_s {:.1}", copied.as_secs_f64());
    println!("metrics.plain_db_size_mb {:.1}", plain_size as f64 / 1e6);

    // One tick of every VM, after the stored range, as the sampler would send it; and the
    // same raw rows into the plain table, in one transaction per tick too.
    let mut rng = Rng(7);
    let (mut writes, mut plain_writes) = (Vec::new(), Vec::new());
    let (mut bytes, mut plain_bytes) = (0, 0);
    let ticks_timed = 60;
    for k in 0..ticks_timed {
        let snap = Snapshot {
            at: end + k * STEP,
            interval_secs: STEP as f64,
            host: rates(&mut rng, 0, ticks + k),
            vms: (0..vms)
                .map(|i| VmRates {
                    uuid: uuid(i),
                    name: format!("vm-{i:03}"),
                    state: VmState::Running,
                    vcpus: 2,
                    rates: rates(&mut rng, i + 1, ticks + k),
                })
                .collect(),
        };
        let before = written();
        writes.push(time(|| store.record(&snap).unwrap()).1);
        bytes += written() - before;
        let before = written();
        plain_writes.push(time(|| plain_tick(&plain, &snap)).1);
        plain_bytes += written() - before;
    }
    let (tick, plain_tick_ms) = (median(writes), median(plain_writes));
    println!("metrics.tick_write_ms {tick:.2}");
    println!(
        "metrics.tick_write_kb {:.0}",
        bytes as f64 / ticks_timed as f64 / 1024.0
    );
    println!("metrics.tick_write_plain_ms {plain_tick_ms:.2}");
    println!(
        "metrics.tick_write_plain_kb {:.0}",
        plain_bytes as f64 / ticks_timed as f64 / 1024.0
    );

    // A 30-day chart of one VM, all seven metrics.
    let (from, to) = (end - days * 86_400, end);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut bucket = 0;
    for i in (0..vms).step_by((vms / 10).max(1)) {
        let (series, d) = time(|| {
            store
                .history(&Subject::Vm(uuid(i)), &Metric::ALL, from, to, MAX_POINTS)
                .unwrap()
        });
        ours.push(d);
        bucket = series[0].bucket_secs;
        let (lo, hi) = (from / bucket * bucket, to / bucket * bucket + bucket - 1);
        let (reference, d) = time(|| plain_one(&plain, i as i64 + 2, lo, hi, bucket));
        theirs.push(d);
        // Same answer both ways (CPU averages of every bucket).
        let cpu = &series[0].points;
        assert_eq!(cpu.len(), reference.len());
        for (p, (t, acc)) in cpu.iter().zip(&reference) {
            assert_eq!(p.t, *t);
            assert!((p.avg - acc[0].1 / acc[0].2 as f64 / 100.0).abs() < 1e-6);
        }
    }
    let (one, one_plain) = (median(ours), median(theirs));
    let one_cpu = median(
        (0..vms)
            .step_by((vms / 10).max(1))
            .map(|i| {
                let subject = Subject::Vm(uuid(i));
                time(|| store.history(&subject, &[Metric::Cpu], from, to, MAX_POINTS)).1
            })
            .collect(),
    );
    println!("metrics.chart_points_max {MAX_POINTS}");
    println!("metrics.chart_bucket_s {bucket}");
    println!("metrics.chart_30d_one_vm_ms {one:.2}");
    println!("metrics.chart_30d_one_vm_cpu_only_ms {one_cpu:.2}");
    println!("metrics.chart_30d_one_vm_plain_ms {one_plain:.2}");
    println!("metrics.chart_30d_one_vm_speedup {:.0}", one_plain / one);

    // Every range a chart offers, ending now, for one VM (all metrics).
    for range in Range::ALL {
        let from = to - range.secs();
        let d = median(
            (0..vms)
                .step_by((vms / 10).max(1))
                .map(|i| {
                    let subject = Subject::Vm(uuid(i));
                    time(|| store.history(&subject, &Metric::ALL, from, to, MAX_POINTS)).1
                })
                .collect(),
        );
        println!("metrics.chart_{}s_one_vm_ms {d:.2}", range.secs());
    }

    // Insights: every VM over 30 days, every metric (and the three its suggestions use).
    let insights = |metrics: &[Metric]| {
        median(
            (0..3)
                .map(|_| {
                    let (all, d) = time(|| {
                        store
                            .history_all_vms(metrics, from, to, MAX_POINTS)
                            .unwrap()
                    });
                    assert_eq!(all.len(), vms);
                    d
                })
                .collect(),
        )
    };
    let all_ms = insights(&Metric::ALL);
    let three_ms = insights(&[Metric::Cpu, Metric::MemUsed, Metric::MemTotal]);
    let (lo, hi) = (from / bucket * bucket, to / bucket * bucket + bucket - 1);
    let (all, d) = time(|| plain_all(&plain, lo, hi, bucket));
    assert_eq!(all.len(), vms + 1);
    let all_plain = d.as_secs_f64() * 1000.0;
    println!("metrics.insights_30d_all_vms_ms {all_ms:.1}");
    println!("metrics.insights_30d_all_vms_3_metrics_ms {three_ms:.1}");
    println!("metrics.insights_30d_all_vms_plain_ms {all_plain:.1}");
    println!(
        "metrics.insights_30d_all_vms_speedup {:.0}",
        all_plain / all_ms
    );

    let (_, d) = time(|| store.top_consumers(Metric::Cpu, from, to, 10).unwrap());
    println!(
        "metrics.top_consumers_30d_ms {:.1}",
        d.as_secs_f64() * 1000.0
    );

    // Retention: a day later, the oldest day goes, 5,000 rows at a time.
    store.set_retention_days(days as u32).unwrap();
    let mut batches = Vec::new();
    for _ in 0..20 {
        let (n, d) = time(|| store.cleanup_batch(end + 86_400, 5000).unwrap());
        batches.push(d);
        if n == 0 {
            break;
        }
    }
    println!("metrics.cleanup_batch_5000_ms {:.2}", median(batches));
}
