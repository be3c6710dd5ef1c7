//! Metric history: every collected [`Snapshot`](crate::backend::metrics::Snapshot) stored in
//! the app's SQLite database, read back downsampled in SQL, and cleaned up by retention.
//!
//! [`MetricsStore`] ([`store`]) writes a snapshot per tick in one transaction, raw samples
//! plus 5-minute and 1-hour rollups; [`history`] reads them back in at most N points per
//! series from the coarsest table that fits (`plan`); [`settings`] holds the retention
//! period, the clean-up hour and the collection interval; [`retention`] decides when to
//! clean up and deletes old rows in small batches. `columns` is how each metric is stored.

pub(crate) mod columns;
pub mod history;
pub(crate) mod plan;
pub mod retention;
pub mod settings;
pub mod store;

pub use history::{TopConsumer, VmHistory};
pub use settings::MetricsSettings;
pub use store::{KnownVm, MetricsStore};

use crate::backend::metrics::Metric;

pub mod live;

/// Whose history: the host or one VM (by UUID).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Host,
    Vm(String),
}

/// The history ranges a chart offers (live data is not stored, see the sampler).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Range {
    Hour,
    SixHours,
    Day,
    Week,
    Month,
}

impl Range {
    pub const ALL: [Range; 5] = [
        Range::Hour,
        Range::SixHours,
        Range::Day,
        Range::Week,
        Range::Month,
    ];

    /// Length in seconds.
    pub fn secs(self) -> i64 {
        match self {
            Range::Hour => 3600,
            Range::SixHours => 6 * 3600,
            Range::Day => 24 * 3600,
            Range::Week => 7 * 24 * 3600,
            Range::Month => 30 * 24 * 3600,
        }
    }
}

/// One downsampled point: the samples in `[t, t + bucket)` summarised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Start of the bucket, Unix seconds.
    pub t: i64,
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}

/// A metric's downsampled points, oldest first; buckets without samples are absent (a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub metric: Metric,
    /// Bucket length in seconds.
    pub bucket_secs: i64,
    pub points: Vec<Bucket>,
}
