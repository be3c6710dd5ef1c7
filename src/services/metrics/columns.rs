//! How the history tables store each metric: its column, its integer unit, and the tables
//! of each resolution.
//!
//! Values are stored as integers so rows stay small (SQLite writes 0 and 1 in no bytes at all
//! and small numbers in one or two): CPU in hundredths of a percent, memory in KiB, rates in
//! whole bytes per second. NULL is a value that was not measured.

use crate::backend::metrics::Metric;

/// What one stored integer step is worth in the metric's own unit (percent or bytes).
pub(crate) fn unit(m: Metric) -> f64 {
    match m {
        Metric::Cpu => 0.01,
        Metric::MemUsed | Metric::MemTotal => 1024.0,
        Metric::DiskRead | Metric::DiskWrite | Metric::NetRx | Metric::NetTx => 1.0,
    }
}

/// The stored integer for a measured value (`None` for a missing or non-finite one).
pub(crate) fn encode(m: Metric, v: Option<f64>) -> Option<i64> {
    // `as` saturates at the i64 bounds, which no real figure reaches.
    v.filter(|x| x.is_finite())
        .map(|x| (x / unit(m)).round() as i64)
}

/// A stored figure (integer, or an average of integers) back in the metric's unit.
pub(crate) fn decode(m: Metric, v: f64) -> f64 {
    v * unit(m)
}

/// Where a read comes from: the raw samples or one of the rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Raw,
    FiveMinutes,
    Hour,
}

impl Source {
    /// Coarsest first.
    pub(crate) const COARSEST_FIRST: [Source; 3] = [Source::Hour, Source::FiveMinutes, Source::Raw];
    /// The rollups, which `record` keeps up to date.
    pub(crate) const ROLLUPS: [Source; 2] = [Source::FiveMinutes, Source::Hour];

    pub(crate) fn table(self) -> &'static str {
        match self {
            Source::Raw => "metric_samples",
            Source::FiveMinutes => "metric_rollup_5m",
            Source::Hour => "metric_rollup_1h",
        }
    }

    /// The time column: a sample's time, or a rollup bucket's start.
    pub(crate) fn time_column(self) -> &'static str {
        match self {
            Source::Raw => "ts",
            Source::FiveMinutes | Source::Hour => "t",
        }
    }

    /// Seconds one row covers (1 for raw samples: they can fall on any second).
    pub(crate) fn resolution(self) -> i64 {
        match self {
            Source::Raw => 1,
            Source::FiveMinutes => 300,
            Source::Hour => 3600,
        }
    }
}

/// `v` rounded down to a multiple of `step` (> 0).
pub(crate) fn align_down(v: i64, step: i64) -> i64 {
    v - v.rem_euclid(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_within_one_unit() {
        assert_eq!(encode(Metric::Cpu, Some(12.345)), Some(1235));
        assert!((decode(Metric::Cpu, 1235.0) - 12.35).abs() < 1e-9);
        assert_eq!(encode(Metric::MemUsed, Some(2048.0 * 1024.0)), Some(2048));
        assert_eq!(encode(Metric::NetRx, Some(f64::NAN)), None);
        assert_eq!(encode(Metric::NetRx, None), None);
        assert_eq!(align_down(-1, 300), -300);
        assert_eq!(align_down(601, 300), 600);
    }
}
