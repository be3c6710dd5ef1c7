//! Retention: history older than the kept number of days is deleted once a day at the chosen
//! local hour, and at start-up when that moment passed while the app was not running.
//!
//! Deleting is done in small batches ([`MetricsStore::cleanup_batch`]), each its own short
//! transaction, so the caller can pause between them and nothing else waits long for the
//! database. Raw samples go when older than the cut-off, a rollup bucket when it ends
//! before it; a subject whose last sample's hourly bucket is gone is forgotten.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveDateTime, NaiveTime, TimeZone};
use rusqlite::{params, Connection, OptionalExtension};

use super::columns::Source;
use super::settings::{read_settings, set, KEY_LAST_CLEANUP};
use super::store::MetricsStore;
use crate::services::db::StoreError;

/// Rows a batch deletes by default: a few milliseconds of work.
pub const DEFAULT_BATCH_ROWS: usize = 5000;

/// Whether the clean-up is due at local time `now`, given when the last one finished (local
/// time; `None` if never) and the chosen hour: due when the most recent `hour:00` is later
/// than the last clean-up (so also at start-up after a missed one), or when the last one
/// claims to be in the future (the clock went back).
pub fn cleanup_due_at(now: NaiveDateTime, last: Option<NaiveDateTime>, hour: u32) -> bool {
    let Some(last) = last else { return true };
    let at = NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or(NaiveTime::MIN);
    let today = now.date().and_time(at);
    let latest = if today <= now {
        today
    } else {
        today
            .checked_sub_days(Days::new(1))
            .unwrap_or(NaiveDateTime::MIN)
    };
    last < latest || last > now
}

impl MetricsStore {
    /// Whether a clean-up should run now (see [`cleanup_due_at`]); `now` in the user's time
    /// zone (`chrono::Local::now()`).
    pub fn cleanup_due<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> Result<bool, StoreError> {
        let s = self.settings()?;
        let last = s
            .last_cleanup
            .and_then(|t| now.timezone().timestamp_opt(t, 0).earliest())
            .map(|t| t.naive_local());
        Ok(cleanup_due_at(now.naive_local(), last, s.cleanup_hour))
    }

    /// Delete up to `batch_rows` rows older than the retention period before `now` (Unix
    /// seconds), in one short transaction, and return how many went. When there is nothing
    /// left to delete it forgets subjects without rows, records `now` as the last clean-up
    /// and returns 0: call it until it does.
    pub fn cleanup_batch(&self, now: i64, batch_rows: usize) -> Result<usize, StoreError> {
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        let days = read_settings(&tx)?.retention_days;
        let cutoff = now - i64::from(days) * 86_400;
        let batch = batch_rows.max(1);
        let mut deleted = 0;
        for source in [Source::Raw, Source::FiveMinutes, Source::Hour] {
            // A rollup bucket goes once all of it is before the cut-off.
            let before = cutoff - (source.resolution() - 1);
            deleted += delete_oldest(&tx, source, before, batch - deleted)?;
            if deleted == batch {
                break;
            }
        }
        if deleted == 0 {
            // Gone with its last hourly bucket: nothing of the subject is left.
            tx.execute(
                "DELETE FROM metric_subjects WHERE last_seen - last_seen % 3600 + 3600 <= ?1",
                [cutoff],
            )?;
            set(&tx, KEY_LAST_CLEANUP, now)?;
        }
        tx.commit()?;
        Ok(deleted)
    }

    /// The whole clean-up: batches of `batch_rows` with `pause` between them, until done.
    /// Returns the rows deleted. Blocks for as long as it takes; run it on the store's thread.
    pub fn cleanup(
        &self,
        now: i64,
        batch_rows: usize,
        pause: Duration,
    ) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let n = self.cleanup_batch(now, batch_rows)?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
            std::thread::sleep(pause);
        }
    }
}

/// Delete the `limit` oldest rows of `source` whose time is before `before`.
fn delete_oldest(
    conn: &Connection,
    source: Source,
    before: i64,
    limit: usize,
) -> rusqlite::Result<usize> {
    // Rows are ordered by (time, subject): the oldest are one range at the start of the
    // table, bounded by the limit-th of them.
    let (table, t) = (source.table(), source.time_column());
    let last: Option<(i64, i64)> = conn
        .prepare_cached(&format!(
            "SELECT {t}, subject_id FROM {table} WHERE {t} < ?1
             ORDER BY {t}, subject_id LIMIT 1 OFFSET ?2"
        ))?
        .query_row(params![before, limit as i64 - 1], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    match last {
        Some((lt, ls)) => conn
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE {t} < ?1 OR ({t} = ?1 AND subject_id <= ?2)"
            ))?
            .execute(params![lt, ls]),
        None => conn
            .prepare_cached(&format!("DELETE FROM {table} WHERE {t} < ?1"))?
            .execute([before]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2024, 5, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn due_daily_at_the_hour_and_after_a_missed_one() {
        // Never cleaned: due.
        assert!(cleanup_due_at(at(2, 10, 0), None, 3));
        // Cleaned yesterday at 03:05: not before 03:00 today, then due.
        assert!(!cleanup_due_at(at(2, 2, 59), Some(at(1, 3, 5)), 3));
        assert!(cleanup_due_at(at(2, 3, 0), Some(at(1, 3, 5)), 3));
        // Already cleaned today at 03:00: not again until tomorrow.
        assert!(!cleanup_due_at(at(2, 23, 0), Some(at(2, 3, 0)), 3));
        // The app was off at 03:00 and starts at 10:00: overdue.
        assert!(cleanup_due_at(at(2, 10, 0), Some(at(1, 3, 1)), 3));
        // Started at 10:00 yesterday, cleaned then: the 03:00 today is still due.
        assert!(cleanup_due_at(at(2, 3, 30), Some(at(1, 10, 0)), 3));
        // A last clean-up in the future (the clock went back): due.
        assert!(cleanup_due_at(at(2, 12, 0), Some(at(9, 3, 0)), 3));
        // Midnight and 23:00 work like any other hour.
        assert!(!cleanup_due_at(at(2, 23, 30), Some(at(2, 0, 0)), 0));
        assert!(cleanup_due_at(at(3, 0, 0), Some(at(2, 0, 0)), 0));
        assert!(!cleanup_due_at(at(2, 22, 59), Some(at(1, 23, 0)), 23));
    }
}
