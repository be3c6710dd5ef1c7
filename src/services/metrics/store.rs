//! [`MetricsStore`]: writes each collected [`Snapshot`] (host and every VM in one
//! transaction) and answers what the app knows about the subjects it has stored.
//!
//! Each sample goes to the raw table and is added to its 5-minute and 1-hour rollup buckets
//! (min, sum, count and max per metric) by UPSERT in the same transaction, so the rollups
//! always summarise exactly the raw rows that were written and a crash leaves neither half
//! done. A sample at a second already stored for that subject (the clock went back) is
//! ignored, first one wins; one at an earlier, free second is simply stored in its place.
//!
//! Every table is keyed by time first, then subject, so a tick appends at the end of each:
//! about 80 KB reach the disk per tick of 100 VMs, where keys by subject first would dirty a
//! page per VM in each table (about 800 KB for the raw rows alone; see benches/metrics.rs).
//! Reads are in [`super::history`], settings in [`super::settings`], clean-up in
//! [`super::retention`].

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::columns::{align_down, encode, Source};
use super::Subject;
use crate::backend::metrics::{Metric, Rates, Snapshot};
use crate::services::db::{Database, StoreError};

/// A VM the history knows, with the name it had when last recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownVm {
    pub uuid: String,
    pub name: String,
    /// Unix seconds of its newest sample.
    pub last_seen: i64,
}

/// The metric history in the app's database. Cheap to clone; calls serialise on the
/// database's lock and block, so run them on the store's own thread.
#[derive(Clone)]
pub struct MetricsStore {
    pub(super) db: Arc<Database>,
}

impl MetricsStore {
    pub fn new(db: Arc<Database>) -> MetricsStore {
        MetricsStore { db }
    }

    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// Store one collected snapshot: the host and every VM in it, in one transaction.
    pub fn record(&self, snap: &Snapshot) -> Result<(), StoreError> {
        let mut conn = self.db.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut ids = subject_ids(&tx)?;
        write_sample(&tx, &mut ids, Subject::Host, "", snap.at, &snap.host)?;
        for vm in &snap.vms {
            let subject = Subject::Vm(vm.uuid.clone());
            write_sample(&tx, &mut ids, subject, &vm.name, snap.at, &vm.rates)?;
        }
        // One statement for everyone rather than one per subject; last_seen never goes back.
        tx.prepare_cached(
            "UPDATE metric_subjects SET last_seen = ?1 WHERE last_seen < ?1 AND EXISTS
             (SELECT 1 FROM metric_samples WHERE ts = ?1 AND subject_id = metric_subjects.id)",
        )?
        .execute([snap.at])?;
        tx.commit()?;
        Ok(())
    }

    /// Recompute the rollups from the raw samples (one INSERT ... SELECT per rollup, the
    /// hourly one from the 5-minute one, in one transaction): for data written by other
    /// means than [`Self::record`], such as a bulk import or a benchmark.
    pub fn rebuild_rollups(&self) -> Result<(), StoreError> {
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        for (source, from) in [
            (Source::FiveMinutes, Source::Raw),
            (Source::Hour, Source::FiveMinutes),
        ] {
            let (mut cols, mut aggs) = (Vec::new(), Vec::new());
            for m in Metric::ALL {
                let k = m.key();
                cols.push(format!("{k}_min, {k}_sum, {k}_n, {k}_max"));
                aggs.push(match from {
                    Source::Raw => format!("min({k}), coalesce(sum({k}), 0), count({k}), max({k})"),
                    _ => format!("min({k}_min), sum({k}_sum), sum({k}_n), max({k}_max)"),
                });
            }
            let (table, res) = (source.table(), source.resolution());
            let (src, t) = (from.table(), from.time_column());
            tx.execute(&format!("DELETE FROM {table}"), [])?;
            tx.execute(
                &format!(
                    "INSERT INTO {table} (t, subject_id, {}) SELECT {t} / {res} * {res} AS b, subject_id, {}
                     FROM {src} GROUP BY b, subject_id ORDER BY b, subject_id",
                    cols.join(", "),
                    aggs.join(", ")
                ),
                [],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every VM with stored history, by name.
    pub fn known_vms(&self) -> Result<Vec<KnownVm>, StoreError> {
        let conn = self.db.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT uuid, name, last_seen FROM metric_subjects WHERE kind = 'vm'
             ORDER BY name COLLATE NOCASE, uuid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(KnownVm {
                uuid: r.get(0)?,
                name: r.get(1)?,
                last_seen: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Bytes the database takes on disk (the file and its write-ahead log; the whole app
    /// database, of which history is nearly all).
    pub fn db_size_bytes(&self) -> Result<u64, StoreError> {
        let conn = self.db.lock();
        let on_disk = conn.path().filter(|p| !p.is_empty()).map(|p| {
            let size = |p: &str| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            size(p) + size(&format!("{p}-wal"))
        });
        match on_disk {
            Some(bytes) if bytes > 0 => Ok(bytes),
            _ => Ok(conn.query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| r.get::<_, i64>(0),
            )? as u64),
        }
    }
}

/// The subject's row id, if it has one.
pub(super) fn subject_id(conn: &Connection, subject: &Subject) -> rusqlite::Result<Option<i64>> {
    let (kind, uuid) = kind_uuid(subject);
    conn.prepare_cached("SELECT id FROM metric_subjects WHERE kind = ?1 AND uuid = ?2")?
        .query_row(params![kind, uuid], |r| r.get(0))
        .optional()
}

fn kind_uuid(subject: &Subject) -> (&'static str, &str) {
    match subject {
        Subject::Host => ("host", ""),
        Subject::Vm(uuid) => ("vm", uuid.as_str()),
    }
}

/// Every subject's id and name, by subject.
type Ids = HashMap<Subject, (i64, String)>;

fn subject_ids(conn: &Connection) -> rusqlite::Result<Ids> {
    let mut stmt = conn.prepare_cached("SELECT id, kind, uuid, name FROM metric_subjects")?;
    let rows = stmt.query_map([], |r| {
        let subject = match r.get_ref(1)?.as_str()? {
            "host" => Subject::Host,
            _ => Subject::Vm(r.get(2)?),
        };
        Ok((subject, (r.get(0)?, r.get(3)?)))
    })?;
    rows.collect()
}

fn write_sample(
    conn: &Connection,
    ids: &mut Ids,
    subject: Subject,
    name: &str,
    at: i64,
    rates: &Rates,
) -> rusqlite::Result<()> {
    // No UPSERT ... RETURNING here: it builds a temporary table on every call.
    let id = match ids.get(&subject) {
        Some((id, known)) if known == name => *id,
        Some((id, _)) => {
            let id = *id;
            conn.prepare_cached("UPDATE metric_subjects SET name = ?2 WHERE id = ?1")?
                .execute(params![id, name])?;
            ids.insert(subject, (id, name.to_owned()));
            id
        }
        None => {
            let (kind, uuid) = kind_uuid(&subject);
            conn.prepare_cached(
                "INSERT INTO metric_subjects (kind, uuid, name, last_seen) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![kind, uuid, name, at])?;
            let id = conn.last_insert_rowid();
            ids.insert(subject, (id, name.to_owned()));
            id
        }
    };
    let v = Metric::ALL.map(|m| encode(m, m.of(rates)));
    let inserted = conn
        .prepare_cached(insert_raw_sql())?
        .execute(params![id, at, v[0], v[1], v[2], v[3], v[4], v[5], v[6]])?;
    if inserted == 0 {
        // That second is already stored (the clock went back): keep the first sample, and
        // leave the rollups as they are so they still match the raw rows.
        return Ok(());
    }
    for source in Source::ROLLUPS {
        let t = align_down(at, source.resolution());
        conn.prepare_cached(upsert_rollup_sql(source))?
            .execute(params![id, t, v[0], v[1], v[2], v[3], v[4], v[5], v[6]])?;
    }
    Ok(())
}

fn insert_raw_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let cols: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
        let params: Vec<String> = (3..3 + cols.len()).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT INTO metric_samples (subject_id, ts, {}) VALUES (?1, ?2, {})
             ON CONFLICT (ts, subject_id) DO NOTHING",
            cols.join(", "),
            params.join(", ")
        )
    })
}

/// Adds one sample (parameters: subject id, bucket start, then one value per metric in
/// [`Metric::ALL`] order, NULL when missing) to its rollup bucket.
pub(super) fn upsert_rollup_sql(source: Source) -> &'static str {
    static FIVE: OnceLock<String> = OnceLock::new();
    static HOUR: OnceLock<String> = OnceLock::new();
    let cell = match source {
        Source::FiveMinutes => &FIVE,
        Source::Hour => &HOUR,
        Source::Raw => unreachable!("raw samples are not a rollup"),
    };
    cell.get_or_init(|| {
        let (mut cols, mut vals, mut sets) = (Vec::new(), Vec::new(), Vec::new());
        for (i, m) in Metric::ALL.iter().enumerate() {
            let (k, p) = (m.key(), format!("?{}", i + 3));
            cols.push(format!("{k}_min, {k}_sum, {k}_n, {k}_max"));
            vals.push(format!("{p}, coalesce({p}, 0), {p} IS NOT NULL, {p}"));
            sets.push(format!(
                "{k}_min = coalesce(min({k}_min, excluded.{k}_min), {k}_min, excluded.{k}_min),
                 {k}_sum = {k}_sum + excluded.{k}_sum,
                 {k}_n = {k}_n + excluded.{k}_n,
                 {k}_max = coalesce(max({k}_max, excluded.{k}_max), {k}_max, excluded.{k}_max)"
            ));
        }
        format!(
            "INSERT INTO {} (subject_id, t, {}) VALUES (?1, ?2, {})
             ON CONFLICT (t, subject_id) DO UPDATE SET {}",
            source.table(),
            cols.join(", "),
            vals.join(", "),
            sets.join(", ")
        )
    })
}
