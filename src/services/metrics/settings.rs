//! The history's settings, kept in the database's key/value `settings` table: how long
//! history is kept, at which local hour it is cleaned, how often the sampler collects, and
//! when the last clean-up finished.
//!
//! Setters refuse values out of range with a sentence for the user; a stored value out of
//! range (a hand-edited file) reads as the default.

use std::ops::RangeInclusive;

use rusqlite::{params, Connection, OptionalExtension};

use super::store::MetricsStore;
use crate::i18n::gettext_f;
use crate::services::db::StoreError;

pub const RETENTION_DAYS: RangeInclusive<u32> = 1..=365;
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
pub const CLEANUP_HOURS: RangeInclusive<u32> = 0..=23;
pub const DEFAULT_CLEANUP_HOUR: u32 = 3;
pub const COLLECTION_INTERVAL_SECS: RangeInclusive<u32> = 10..=3600;
pub const DEFAULT_COLLECTION_INTERVAL_SECS: u32 = 30;

const KEY_RETENTION_DAYS: &str = "retention_days";
const KEY_CLEANUP_HOUR: &str = "cleanup_hour";
const KEY_COLLECTION_INTERVAL: &str = "collection_interval_secs";
pub(super) const KEY_LAST_CLEANUP: &str = "last_cleanup";

/// Everything the history's Preferences show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsSettings {
    /// Days of history kept, in [`RETENTION_DAYS`].
    pub retention_days: u32,
    /// Local hour of the daily clean-up, in [`CLEANUP_HOURS`].
    pub cleanup_hour: u32,
    /// Seconds between stored samples, in [`COLLECTION_INTERVAL_SECS`].
    pub collection_interval_secs: u32,
    /// Unix seconds when the last clean-up finished; `None` before the first.
    pub last_cleanup: Option<i64>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            retention_days: DEFAULT_RETENTION_DAYS,
            cleanup_hour: DEFAULT_CLEANUP_HOUR,
            collection_interval_secs: DEFAULT_COLLECTION_INTERVAL_SECS,
            last_cleanup: None,
        }
    }
}

impl MetricsStore {
    pub fn settings(&self) -> Result<MetricsSettings, StoreError> {
        Ok(read_settings(&self.db.lock())?)
    }

    /// Keep history for `days` days (1 to 365); the next clean-up removes what is older.
    pub fn set_retention_days(&self, days: u32) -> Result<(), StoreError> {
        if !RETENTION_DAYS.contains(&days) {
            return Err(StoreError::Invalid(gettext_f(
                "History can be kept for 1 to 365 days; {value} is not possible.",
                &[("value", &days.to_string())],
            )));
        }
        Ok(set(&self.db.lock(), KEY_RETENTION_DAYS, days.into())?)
    }

    /// Clean up every day at `hour` local time (0 to 23).
    pub fn set_cleanup_hour(&self, hour: u32) -> Result<(), StoreError> {
        if !CLEANUP_HOURS.contains(&hour) {
            return Err(StoreError::Invalid(gettext_f(
                "The clean-up hour is from 0 to 23; {value} is not an hour of the day.",
                &[("value", &hour.to_string())],
            )));
        }
        Ok(set(&self.db.lock(), KEY_CLEANUP_HOUR, hour.into())?)
    }

    /// Store a sample every `secs` seconds (10 to 3600).
    pub fn set_collection_interval_secs(&self, secs: u32) -> Result<(), StoreError> {
        if !COLLECTION_INTERVAL_SECS.contains(&secs) {
            return Err(StoreError::Invalid(gettext_f(
                "Metrics can be collected every 10 to 3600 seconds; {value} seconds is not possible.",
                &[("value", &secs.to_string())],
            )));
        }
        Ok(set(&self.db.lock(), KEY_COLLECTION_INTERVAL, secs.into())?)
    }
}

pub(super) fn read_settings(conn: &Connection) -> rusqlite::Result<MetricsSettings> {
    let d = MetricsSettings::default();
    Ok(MetricsSettings {
        retention_days: in_range(conn, KEY_RETENTION_DAYS, RETENTION_DAYS, d.retention_days)?,
        cleanup_hour: in_range(conn, KEY_CLEANUP_HOUR, CLEANUP_HOURS, d.cleanup_hour)?,
        collection_interval_secs: collection_interval_secs(conn)? as u32,
        last_cleanup: get(conn, KEY_LAST_CLEANUP)?,
    })
}

pub(super) fn collection_interval_secs(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(in_range(
        conn,
        KEY_COLLECTION_INTERVAL,
        COLLECTION_INTERVAL_SECS,
        DEFAULT_COLLECTION_INTERVAL_SECS,
    )?
    .into())
}

fn in_range(
    conn: &Connection,
    key: &str,
    range: RangeInclusive<u32>,
    default: u32,
) -> rusqlite::Result<u32> {
    Ok(get(conn, key)?
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| range.contains(v))
        .unwrap_or(default))
}

/// An integer setting; a missing key or a value that is not an integer reads as `None`.
pub(super) fn get(conn: &Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    let value: Option<rusqlite::types::Value> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    Ok(match value {
        Some(rusqlite::types::Value::Integer(v)) => Some(v),
        _ => None,
    })
}

pub(super) fn set(conn: &Connection, key: &str, value: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}
