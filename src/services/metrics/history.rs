//! Reading history back, downsampled in SQL (GROUP BY bucket with min, avg and max) from the
//! table `plan` picks, so a 30-day chart reads a few hundred rollup rows.
//!
//! Grouped reads cover whole buckets aligned on multiples of their length (points do not
//! shift as time passes): the first and last may hold samples just outside `[from, to]`. A
//! bucket without samples of a metric is absent from that metric's series (a gap). One
//! subject's rollup rows are fetched by key, one bucket start after another, so the other
//! VMs' rows in between are never read; all VMs together are one range scan.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use super::columns::{align_down, decode, Source};
use super::plan::{grouped, plan, Plan};
use super::settings::collection_interval_secs;
use super::store::{subject_id, MetricsStore};
use super::{Bucket, Series, Subject};
use crate::backend::metrics::Metric;
use crate::services::db::StoreError;

/// VM UUID → (last known name, series), as [`MetricsStore::history_all_vms`] returns them.
pub type VmHistory = HashMap<String, (String, Vec<Series>)>;

/// A VM's average of one metric over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct TopConsumer {
    pub uuid: String,
    pub name: String,
    /// In the metric's unit (percent, bytes, bytes/s).
    pub avg: f64,
}

impl MetricsStore {
    /// `metrics` of `subject` over `[from, to]` (Unix seconds), at most `max_points` points
    /// per series, one series per metric in the order asked. A subject never recorded has
    /// empty series.
    ///
    /// When `bucket_secs` is the collection interval, each point is one sample at its own
    /// time (min = avg = max), so a gap is a step of clearly more than `bucket_secs` (say
    /// 1.5 times) between two points; otherwise points are aligned buckets and a gap is a
    /// missing bucket.
    pub fn history(
        &self,
        subject: &Subject,
        metrics: &[Metric],
        from: i64,
        to: i64,
        max_points: usize,
    ) -> Result<Vec<Series>, StoreError> {
        let conn = self.db.lock();
        let plan = plan(from, to, max_points, collection_interval_secs(&conn)?);
        let Some(id) = subject_id(&conn, subject)? else {
            return Ok(empty(metrics, plan.bucket));
        };
        let mut out = read(&conn, Some(id), metrics, from, to, max_points, plan)?;
        Ok(out
            .remove(&id)
            .unwrap_or_else(|| empty(metrics, plan.bucket)))
    }

    /// Every VM's history over `[from, to]` (as [`Self::history`]), by UUID with the VM's
    /// last known name; VMs without samples in the range are left out. For Insights.
    pub fn history_all_vms(
        &self,
        metrics: &[Metric],
        from: i64,
        to: i64,
        max_points: usize,
    ) -> Result<VmHistory, StoreError> {
        let conn = self.db.lock();
        let plan = plan(from, to, max_points, collection_interval_secs(&conn)?);
        let mut series = read(&conn, None, metrics, from, to, max_points, plan)?;
        let mut out = HashMap::new();
        for (id, uuid, name) in vm_subjects(&conn)? {
            if let Some(s) = series.remove(&id) {
                if s.iter().any(|s| !s.points.is_empty()) {
                    out.insert(uuid, (name, s));
                }
            }
        }
        Ok(out)
    }

    /// The `n` VMs with the highest average `metric` over `[from, to]`, highest first. The
    /// average comes from the coarsest table with at least 100 rows per VM in the period,
    /// counting the rollup buckets that start in it.
    pub fn top_consumers(
        &self,
        metric: Metric,
        from: i64,
        to: i64,
        n: usize,
    ) -> Result<Vec<TopConsumer>, StoreError> {
        let conn = self.db.lock();
        let span = (to - from).max(1);
        let source = Source::COARSEST_FIRST
            .into_iter()
            .find(|s| s.resolution() * 100 <= span)
            .unwrap_or(Source::Raw);
        let (k, t, table) = (metric.key(), source.time_column(), source.table());
        let avg = match source {
            Source::Raw => format!("avg({k})"),
            _ => format!("CAST(sum({k}_sum) AS REAL) / sum({k}_n)"),
        };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT subject_id, {avg} FROM {table} WHERE {t} BETWEEN ?1 AND ?2 GROUP BY subject_id"
        ))?;
        let avgs: HashMap<i64, Option<f64>> = stmt
            .query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut out: Vec<TopConsumer> = vm_subjects(&conn)?
            .into_iter()
            .filter_map(|(id, uuid, name)| {
                let avg = decode(metric, (*avgs.get(&id)?)?);
                Some(TopConsumer { uuid, name, avg })
            })
            .collect();
        out.sort_by(|a, b| b.avg.total_cmp(&a.avg).then_with(|| a.name.cmp(&b.name)));
        out.truncate(n);
        Ok(out)
    }
}

fn vm_subjects(conn: &Connection) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, uuid, name FROM metric_subjects WHERE kind = 'vm'")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

fn empty(metrics: &[Metric], bucket: i64) -> Vec<Series> {
    metrics
        .iter()
        .map(|&metric| Series {
            metric,
            bucket_secs: bucket,
            points: Vec::new(),
        })
        .collect()
}

/// The series of one subject (`Some(id)`) or of all, by subject id.
fn read(
    conn: &Connection,
    one: Option<i64>,
    metrics: &[Metric],
    from: i64,
    to: i64,
    max_points: usize,
    plan: Plan,
) -> rusqlite::Result<HashMap<i64, Vec<Series>>> {
    let mut out: HashMap<i64, Vec<Series>> = HashMap::new();
    if plan.samples {
        let mut stmt = conn.prepare_cached(&samples_sql(metrics, one.is_some()))?;
        let mut rows = match one {
            Some(id) => stmt.query(params![from, to, id])?,
            None => stmt.query(params![from, to])?,
        };
        while let Some(row) = rows.next()? {
            let (id, t): (i64, i64) = (row.get(0)?, row.get(1)?);
            let series = out.entry(id).or_insert_with(|| empty(metrics, plan.bucket));
            if series.iter().any(|s| s.points.len() >= max_points.max(1)) {
                // More samples than the interval suggests (it was shorter once): group them.
                let plan = grouped(from, to, max_points as i64, plan.bucket + 1);
                return read(conn, one, metrics, from, to, max_points, plan);
            }
            for (j, s) in series.iter_mut().enumerate() {
                if let Some(v) = row.get::<_, Option<f64>>(2 + j)? {
                    let v = decode(s.metric, v);
                    s.points.push(Bucket {
                        t,
                        min: v,
                        avg: v,
                        max: v,
                    });
                }
            }
        }
        return Ok(out);
    }
    let b = plan.bucket;
    let (lo, hi) = (align_down(from, b), align_down(to, b) + b - 1);
    let mut stmt = conn.prepare_cached(&grouped_sql(metrics, plan.source, one.is_some()))?;
    let mut rows = match (one, plan.source) {
        (Some(id), Source::Raw) => stmt.query(params![lo, hi, b, id])?,
        (Some(id), rollup) => stmt.query(params![lo, hi, b, id, rollup.resolution()])?,
        (None, _) => stmt.query(params![lo, hi, b])?,
    };
    while let Some(row) = rows.next()? {
        let (id, t): (i64, i64) = (row.get(0)?, row.get(1)?);
        let series = out.entry(id).or_insert_with(|| empty(metrics, b));
        for (j, s) in series.iter_mut().enumerate() {
            let i = 2 + 3 * j;
            let (min, avg, max): (Option<f64>, Option<f64>, Option<f64>) =
                (row.get(i)?, row.get(i + 1)?, row.get(i + 2)?);
            if let (Some(min), Some(avg), Some(max)) = (min, avg, max) {
                let m = s.metric;
                s.points.push(Bucket {
                    t,
                    min: decode(m, min),
                    avg: decode(m, avg),
                    max: decode(m, max),
                });
            }
        }
    }
    Ok(out)
}

/// Parameters: from, to, then the subject id for one. Columns: subject id, time, each
/// metric asked for.
fn samples_sql(metrics: &[Metric], one: bool) -> String {
    let mut cols: Vec<&str> = metrics.iter().map(|m| m.key()).collect();
    if cols.is_empty() {
        cols.push("NULL");
    }
    format!(
        "SELECT subject_id, ts, {} FROM metric_samples WHERE ts BETWEEN ?1 AND ?2 {} ORDER BY ts",
        cols.join(", "),
        if one { "AND subject_id = ?3" } else { "" }
    )
}

/// Parameters: from, to (both bucket-aligned), bucket length, then for one subject its id
/// and the source's row length. Columns: subject id, bucket start, then min, avg and max of
/// each metric asked for (only those: every aggregate costs on every row read).
fn grouped_sql(metrics: &[Metric], source: Source, one: bool) -> String {
    let mut aggregates: Vec<String> = metrics
        .iter()
        .map(|m| {
            let k = m.key();
            match source {
                Source::Raw => format!("min({k}), avg({k}), max({k})"),
                _ => format!("min({k}_min), CAST(sum({k}_sum) AS REAL) / sum({k}_n), max({k}_max)"),
            }
        })
        .collect();
    if aggregates.is_empty() {
        aggregates.push("NULL".to_owned());
    }
    let (table, t) = (source.table(), source.time_column());
    let (from, filter) = match (source, one) {
        (Source::Raw, true) => (
            format!("{table} AS r"),
            "r.ts BETWEEN ?1 AND ?2 AND r.subject_id = ?4".to_owned(),
        ),
        // One key lookup per rollup row start instead of a scan over every VM's rows.
        (_, true) => (
            format!(
                "(WITH RECURSIVE slot(t) AS (SELECT ?1 UNION ALL SELECT t + ?5 FROM slot WHERE t + ?5 <= ?2)
                  SELECT t FROM slot) AS slot CROSS JOIN {table} AS r"
            ),
            "r.t = slot.t AND r.subject_id = ?4".to_owned(),
        ),
        (_, false) => (format!("{table} AS r"), format!("r.{t} BETWEEN ?1 AND ?2")),
    };
    format!(
        "SELECT r.subject_id, r.{t} / ?3 * ?3 AS b, {} FROM {from} WHERE {filter}
         GROUP BY r.subject_id, b ORDER BY r.subject_id, b",
        aggregates.join(", ")
    )
}
