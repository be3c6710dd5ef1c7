//! Reading history back: downsampled in SQL to a bounded number of points, from the coarsest
//! table that still gives about the number of points asked for, so a 30-day chart reads a
//! few hundred rollup rows instead of 86,400 samples.
//!
//! How a read is planned ([`plan`]): the bucket is the range divided by `max_points`, never
//! finer than the collection interval. When that is the interval itself, the samples are
//! returned one per point (`t` = the sample's time, min = avg = max). Otherwise buckets are
//! aligned on multiples of their length (so points do not shift as time passes), read from
//! the 1-hour rollup, else the 5-minute one, else the raw samples, and cover whole buckets:
//! the first and last may hold samples just outside `[from, to]`. A bucket without samples
//! of a metric is absent from that metric's series (a gap).

use std::collections::HashMap;

use rusqlite::{params, Connection, Row};

use super::columns::{align_down, decode, Source};
use super::settings::collection_interval_secs;
use super::store::{subject_id, MetricsStore};
use super::{Bucket, Series, Subject};
use crate::backend::metrics::Metric;
use crate::services::db::StoreError;

/// How one read is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub source: Source,
    /// Bucket length in seconds (the collection interval for one point per sample).
    pub bucket: i64,
    /// One point per raw sample, no grouping.
    pub samples: bool,
}

/// The read for `[from, to]` in at most `max_points` buckets, samples taken every
/// `interval` seconds.
pub(crate) fn plan(from: i64, to: i64, max_points: usize, interval: i64) -> Plan {
    let max_points = max_points.max(1) as i64;
    let interval = interval.max(1);
    let span = (to - from).max(1);
    let wanted = ((span + max_points - 1) / max_points).max(interval);
    if wanted == interval {
        return Plan {
            source: Source::Raw,
            bucket: interval,
            samples: true,
        };
    }
    grouped(from, to, max_points, wanted)
}

/// Buckets of at least `wanted` seconds from the coarsest table whose rows fit in them,
/// lengthened until no more than `max_points` aligned buckets touch `[from, to]`.
fn grouped(from: i64, to: i64, max_points: i64, wanted: i64) -> Plan {
    let max_points = max_points.max(1);
    let source = Source::COARSEST_FIRST
        .into_iter()
        .find(|s| s.resolution() <= wanted)
        .unwrap_or(Source::Raw);
    let res = source.resolution();
    let mut bucket = (wanted + res - 1) / res * res;
    while to.div_euclid(bucket) - from.div_euclid(bucket) + 1 > max_points {
        bucket += res;
    }
    Plan {
        source,
        bucket,
        samples: false,
    }
}

/// One VM's uuid and name with its series, as [`MetricsStore::history_all_vms`] returns them.
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
    pub fn history(
        &self,
        subject: &Subject,
        metrics: &[Metric],
        from: i64,
        to: i64,
        max_points: usize,
    ) -> Result<Vec<Series>, StoreError> {
        let conn = self.db.lock();
        let interval = collection_interval_secs(&conn)?;
        let plan = plan(from, to, max_points, interval);
        match subject_id(&conn, subject)? {
            Some(id) => Ok(read(&conn, id, metrics, from, to, max_points, plan)?),
            None => Ok(empty(metrics, plan.bucket)),
        }
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
        let interval = collection_interval_secs(&conn)?;
        let plan = plan(from, to, max_points, interval);
        let mut out = HashMap::new();
        for (id, uuid, name) in vm_subjects(&conn)? {
            let series = read(&conn, id, metrics, from, to, max_points, plan)?;
            if series.iter().any(|s| !s.points.is_empty()) {
                out.insert(uuid, (name, series));
            }
        }
        Ok(out)
    }

    /// The `n` VMs with the highest average `metric` over `[from, to]`, highest first. The
    /// average comes from the coarsest table with at least 100 rows in the period, counting
    /// the rollup buckets that start in it.
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
        let k = metric.key();
        let sql = match source {
            Source::Raw => format!(
                "SELECT avg({k}) FROM metric_samples WHERE subject_id = ?1 AND ts BETWEEN ?2 AND ?3"
            ),
            _ => format!(
                "SELECT CAST(sum({k}_sum) AS REAL) / sum({k}_n) FROM {}
                 WHERE subject_id = ?1 AND t BETWEEN ?2 AND ?3",
                source.table()
            ),
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut out = Vec::new();
        for (id, uuid, name) in vm_subjects(&conn)? {
            let avg: Option<f64> = stmt.query_row(params![id, from, to], |r| r.get(0))?;
            if let Some(avg) = avg {
                out.push(TopConsumer {
                    uuid,
                    name,
                    avg: decode(metric, avg),
                });
            }
        }
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

fn read(
    conn: &Connection,
    id: i64,
    metrics: &[Metric],
    from: i64,
    to: i64,
    max_points: usize,
    plan: Plan,
) -> rusqlite::Result<Vec<Series>> {
    let max_points = max_points.max(1);
    if plan.samples {
        let mut stmt = conn.prepare_cached(&samples_sql())?;
        let mut rows = stmt.query(params![id, from, to, max_points as i64 + 1])?;
        let mut out = empty(metrics, plan.bucket);
        let mut count = 0;
        while let Some(row) = rows.next()? {
            count += 1;
            if count > max_points {
                // More samples than the interval suggests (it was shorter once): group them.
                let plan = grouped(from, to, max_points as i64, plan.bucket + 1);
                return read(conn, id, metrics, from, to, max_points, plan);
            }
            let t: i64 = row.get(0)?;
            for s in out.iter_mut() {
                let i = Metric::ALL.iter().position(|m| *m == s.metric).unwrap_or(0);
                if let Some(v) = row.get::<_, Option<f64>>(1 + i)? {
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
    let mut stmt = conn.prepare_cached(&grouped_sql(plan.source))?;
    let mut rows = stmt.query(params![id, lo, hi, b])?;
    let mut out = empty(metrics, b);
    while let Some(row) = rows.next()? {
        let t: i64 = row.get(0)?;
        for s in out.iter_mut() {
            if let Some(bucket) = bucket_of(row, t, s.metric)? {
                s.points.push(bucket);
            }
        }
    }
    Ok(out)
}

fn bucket_of(row: &Row, t: i64, m: Metric) -> rusqlite::Result<Option<Bucket>> {
    let i = 1 + 3 * Metric::ALL.iter().position(|x| *x == m).unwrap_or(0);
    let (min, avg, max): (Option<f64>, Option<f64>, Option<f64>) =
        (row.get(i)?, row.get(i + 1)?, row.get(i + 2)?);
    Ok(match (min, avg, max) {
        (Some(min), Some(avg), Some(max)) => Some(Bucket {
            t,
            min: decode(m, min),
            avg: decode(m, avg),
            max: decode(m, max),
        }),
        _ => None,
    })
}

/// Parameters: subject id, from, to, limit. Columns: ts, then each metric.
fn samples_sql() -> String {
    let cols: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
    format!(
        "SELECT ts, {} FROM metric_samples WHERE subject_id = ?1 AND ts BETWEEN ?2 AND ?3
         ORDER BY ts LIMIT ?4",
        cols.join(", ")
    )
}

/// Parameters: subject id, from, to, bucket length. Columns: bucket start, then min, avg and
/// max of each metric.
fn grouped_sql(source: Source) -> String {
    let aggregates: Vec<String> = Metric::ALL
        .iter()
        .map(|m| {
            let k = m.key();
            match source {
                Source::Raw => format!("min({k}), avg({k}), max({k})"),
                _ => format!("min({k}_min), CAST(sum({k}_sum) AS REAL) / sum({k}_n), max({k}_max)"),
            }
        })
        .collect();
    let t = source.time_column();
    format!(
        "SELECT {t} / ?4 * ?4 AS b, {} FROM {} WHERE subject_id = ?1 AND {t} BETWEEN ?2 AND ?3
         GROUP BY b ORDER BY b",
        aggregates.join(", "),
        source.table()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_704_067_200;

    #[test]
    fn plans_the_coarsest_table_that_fits() {
        let p = |span: i64, max: usize| plan(T0, T0 + span, max, 30);
        // An hour in 300 points: every sample.
        assert_eq!(
            p(3600, 300),
            Plan {
                source: Source::Raw,
                bucket: 30,
                samples: true
            }
        );
        // A day in 300 points: 288 s buckets from the raw samples.
        assert_eq!(p(86_400, 300).source, Source::Raw);
        // A week in 300: 5-minute rollup, 35-minute buckets; a month in 300: hourly rollup.
        assert_eq!(
            p(7 * 86_400, 300),
            Plan {
                source: Source::FiveMinutes,
                bucket: 2100,
                samples: false
            }
        );
        assert_eq!(
            p(30 * 86_400, 300),
            Plan {
                source: Source::Hour,
                bucket: 10_800,
                samples: false
            }
        );
        // Never finer than the collection interval.
        assert_eq!(plan(T0, T0 + 3600, 300, 600).bucket, 600);
    }

    #[test]
    fn never_more_buckets_than_asked() {
        for max in [1usize, 2, 5, 99, 100, 301, 1000] {
            for from in [T0, T0 + 1, T0 + 299, T0 + 3599] {
                for span in [1, 59, 3600, 86_399, 86_400, 7 * 86_400 + 13, 30 * 86_400] {
                    let to = from + span;
                    let p = plan(from, to, max, 30);
                    if !p.samples {
                        let n = to.div_euclid(p.bucket) - from.div_euclid(p.bucket) + 1;
                        assert!(n <= max as i64, "{from} {span} {max}: {p:?}");
                        assert_eq!(p.bucket % p.source.resolution(), 0);
                    }
                }
            }
        }
    }
}
