//! Periodic spikes: CPU, disk or network load that jumps at the same hour of the day on
//! several days (a backup, a cron job, an update check).
//!
//! An hourly bucket is a spike when its peak is at least a floor (30 % CPU, 5 MiB/s disk,
//! 1 MiB/s network) and well above the VM's typical load (the median of the hourly
//! averages): CPU twice it and 25 points over it, disk and network four times it. An hour of the day is periodic when it
//! spiked on at least [`MIN_DAYS`] days and on at least [`MIN_SHARE`] of the days with data
//! at that hour. Neighbouring periodic hours make one window ("between 02:00 and 04:00").
//! When more than [`MAX_HOURS`] hours qualify, the load is spiky all day rather than
//! periodic, and nothing is said. Needs hourly (or finer) buckets on at least
//! [`MIN_DAYS`] days.

use std::collections::{BTreeMap, BTreeSet};

use super::stats::{buckets, enough, median, sum};
use super::{Insight, InsightCategory, Period, VmHistory};
use crate::backend::metrics::Metric;
use crate::i18n::{gettext_f, ngettext_f};
use crate::services::alerts::{format_value, AlertMetric, Severity};
use crate::services::metrics::Bucket;

pub const MIN_DAYS: usize = 3;
pub const MIN_SHARE: f64 = 0.5;
pub const MAX_HOURS: usize = 4;

/// One kind of load looked at.
struct Kind {
    metric: Metric,
    unit: AlertMetric,
    floor: f64,
    factor: f64,
    min_rise: f64,
}

const MIB: f64 = 1024.0 * 1024.0;

const KINDS: [Kind; 3] = [
    Kind {
        metric: Metric::Cpu,
        unit: AlertMetric::Cpu,
        floor: 30.0,
        factor: 2.0,
        min_rise: 25.0,
    },
    Kind {
        metric: Metric::DiskRead,
        unit: AlertMetric::DiskIo,
        floor: 5.0 * MIB,
        factor: 4.0,
        min_rise: 0.0,
    },
    Kind {
        metric: Metric::NetRx,
        unit: AlertMetric::NetIo,
        floor: MIB,
        factor: 4.0,
        min_rise: 0.0,
    },
];

/// Periodic spikes of CPU, disk I/O (read + write) and network I/O (rx + tx).
pub fn spikes(vm: &VmHistory, period: &Period) -> Vec<Insight> {
    KINDS
        .iter()
        .flat_map(|k| {
            let (pts, secs) = match k.metric {
                Metric::DiskRead => sum(vm, Metric::DiskRead, Metric::DiskWrite, period),
                Metric::NetRx => sum(vm, Metric::NetRx, Metric::NetTx, period),
                m => buckets(vm, m, period),
            };
            of_kind(vm, period, k, &pts, secs)
        })
        .collect()
}

/// Day number and hour of the day of `t`, local time.
fn day_hour(t: i64, period: &Period) -> (i64, usize) {
    let local = t + period.utc_offset_secs as i64;
    (
        local.div_euclid(86400),
        local.rem_euclid(86400) as usize / 3600,
    )
}

fn of_kind(vm: &VmHistory, period: &Period, k: &Kind, pts: &[Bucket], secs: i64) -> Vec<Insight> {
    if secs > 3600 || !enough(pts, secs) {
        return Vec::new();
    }
    let all_days: BTreeSet<i64> = pts.iter().map(|b| day_hour(b.t, period).0).collect();
    if all_days.len() < MIN_DAYS {
        return Vec::new();
    }
    let typical = median(&pts.iter().map(|b| b.avg).collect::<Vec<_>>());
    let limit = k.floor.max(typical * k.factor).max(typical + k.min_rise);
    // Per hour of the day: days with data, days with a spike, highest spike.
    let mut seen: BTreeMap<usize, BTreeSet<i64>> = BTreeMap::new();
    let mut spiked: BTreeMap<usize, BTreeSet<i64>> = BTreeMap::new();
    let mut peak = [0.0f64; 24];
    for b in pts {
        let (day, hour) = day_hour(b.t, period);
        seen.entry(hour).or_default().insert(day);
        if b.max >= limit {
            spiked.entry(hour).or_default().insert(day);
            peak[hour] = peak[hour].max(b.max);
        }
    }
    let periodic: Vec<usize> = spiked
        .iter()
        .filter(|(h, days)| {
            days.len() >= MIN_DAYS && days.len() as f64 >= MIN_SHARE * seen[*h].len() as f64
        })
        .map(|(h, _)| *h)
        .collect();
    if periodic.is_empty() || periodic.len() > MAX_HOURS {
        return Vec::new();
    }
    windows(&periodic)
        .into_iter()
        .map(|hours| {
            let union = |m: &BTreeMap<usize, BTreeSet<i64>>| -> BTreeSet<i64> {
                hours.iter().flat_map(|h| m[h].iter().copied()).collect()
            };
            let days = union(&spiked).len() as u32;
            let total = union(&seen).len() as u32;
            let top = hours.iter().map(|h| peak[*h]).fold(0.0, f64::max);
            describe(vm, k, &hours, days, total, top, typical)
        })
        .collect()
}

/// Runs of neighbouring hours (23 and 0 are neighbours).
fn windows(hours: &[usize]) -> Vec<Vec<usize>> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for &h in hours {
        match runs.last_mut() {
            Some(run) if h > 0 && run.last() == Some(&(h - 1)) => run.push(h),
            _ => runs.push(vec![h]),
        }
    }
    if runs.len() > 1 && runs[0][0] == 0 && runs.last().and_then(|r| r.last()) == Some(&23) {
        let first = runs.remove(0);
        runs.last_mut().expect("more than one run").extend(first);
    }
    runs
}

fn describe(
    vm: &VmHistory,
    k: &Kind,
    hours: &[usize],
    days: u32,
    total: u32,
    peak: f64,
    typical: f64,
) -> Insight {
    let start = format!("{:02}:00", hours[0]);
    let end = format!("{:02}:00", (hours[hours.len() - 1] + 1) % 24);
    let metric = k.unit.label();
    Insight {
        uuid: vm.uuid.clone(),
        name: vm.name.clone(),
        category: InsightCategory::Spikes,
        severity: Severity::Info,
        // Translators: e.g. "CPU spikes around 02:00".
        title: gettext_f(
            "{metric} spikes around {time}",
            &[("metric", &metric), ("time", &start)],
        ),
        detail: ngettext_f(
            "On {days} of {total} day, {metric} rose to {peak} between {start} and {end} (usually {typical}).",
            "On {days} of {total} days, {metric} rose to {peak} between {start} and {end} (usually {typical}).",
            total,
            &[
                ("days", &days.to_string()),
                ("total", &total.to_string()),
                ("metric", &metric),
                ("peak", &format_value(k.unit, peak)),
                ("start", &start),
                ("end", &end),
                ("typical", &format_value(k.unit, typical)),
            ],
        ),
        action: None,
        metric: k.metric,
    }
}

#[cfg(test)]
mod tests {
    use super::windows;

    #[test]
    fn neighbouring_hours_make_one_window() {
        assert_eq!(windows(&[2, 3, 7]), vec![vec![2, 3], vec![7]]);
        assert_eq!(windows(&[0, 5, 23]), vec![vec![5], vec![23, 0]]);
        assert_eq!(windows(&[4]), vec![vec![4]]);
    }
}
