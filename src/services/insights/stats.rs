//! Small statistics and wording shared by the insight rules.

use std::collections::BTreeMap;

use super::{Period, VmHistory, MIN_HOURS};
use crate::backend::metrics::Metric;
use crate::i18n::{gettext_f, ngettext_f};
use crate::services::metrics::Bucket;

/// The buckets of `metric` inside the period, oldest first, and the bucket length.
/// Buckets with a value that is not a number are dropped.
pub(super) fn buckets(vm: &VmHistory, metric: Metric, period: &Period) -> (Vec<Bucket>, i64) {
    let Some(s) = vm.series(metric) else {
        return (Vec::new(), 3600);
    };
    let mut points: Vec<Bucket> = s
        .points
        .iter()
        .filter(|b| b.t >= period.from && b.t < period.to)
        .filter(|b| b.min.is_finite() && b.avg.is_finite() && b.max.is_finite())
        .copied()
        .collect();
    points.sort_by_key(|b| b.t);
    (points, s.bucket_secs.max(1))
}

/// Two series added bucket by bucket (disk read + write, network rx + tx); a bucket that
/// only one of them has counts the other as 0.
pub(super) fn sum(vm: &VmHistory, a: Metric, b: Metric, period: &Period) -> (Vec<Bucket>, i64) {
    let (pa, sa) = buckets(vm, a, period);
    let (pb, sb) = buckets(vm, b, period);
    let mut by_t: BTreeMap<i64, Bucket> = BTreeMap::new();
    for p in pa.into_iter().chain(pb) {
        by_t.entry(p.t)
            .and_modify(|q| {
                q.min += p.min;
                q.avg += p.avg;
                q.max += p.max;
            })
            .or_insert(p);
    }
    (by_t.into_values().collect(), sa.max(sb))
}

/// Hours of data the buckets cover.
pub(super) fn hours(points: &[Bucket], bucket_secs: i64) -> f64 {
    points.len() as f64 * bucket_secs as f64 / 3600.0
}

/// Whether there is enough history to say anything.
pub(super) fn enough(points: &[Bucket], bucket_secs: i64) -> bool {
    hours(points, bucket_secs) >= MIN_HOURS
}

/// The `p`th percentile (nearest rank) of `values`; 0 for none.
pub(super) fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub(super) fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

const MIB: u64 = 1024 * 1024;
/// Smallest memory size ever suggested.
pub const MIN_MEMORY_BYTES: u64 = 512 * MIB;

/// The smallest "sensible" memory size of at least `bytes` (and at least 512 MiB): 512 MiB,
/// 768 MiB, 1 GiB, 1.5 GiB, 2 GiB, 3 GiB, 4 GiB, 6 GiB... (powers of two and 1.5 times them).
pub(super) fn memory_step_up(bytes: f64) -> u64 {
    let mut base = MIN_MEMORY_BYTES;
    loop {
        for size in [base, base + base / 2] {
            if size as f64 >= bytes {
                return size;
            }
        }
        match base.checked_mul(2) {
            Some(b) => base = b,
            None => return u64::MAX,
        }
    }
}

/// A length of time: "36 hours", "7 days" (whole days from 3 days up).
pub(super) fn span(secs: i64) -> String {
    let hours = (secs as f64 / 3600.0).round().max(0.0) as u32;
    if hours < 72 {
        ngettext_f("{n} hour", "{n} hours", hours, &[("n", &hours.to_string())])
    } else {
        let days = (secs as f64 / 86400.0).round() as u32;
        ngettext_f("{n} day", "{n} days", days, &[("n", &days.to_string())])
    }
}

/// A percentage for a sentence: "12 %", "0.8 %".
pub(super) fn pct(v: f64) -> String {
    let number = if v > 0.0 && v < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    };
    gettext_f("{number} %", &[("number", &number)])
}

/// "the last 7 days (160 hours with data)": the period and how much of it has data.
pub(super) fn period_phrase(period: &Period, hours_with_data: f64) -> String {
    let h = hours_with_data.round() as u32;
    ngettext_f(
        "the last {period} ({hours} hour with data)",
        "the last {period} ({hours} hours with data)",
        h,
        &[
            ("period", &span(period.to - period.from)),
            ("hours", &h.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&[3.0], 95.0), 3.0);
        assert_eq!(percentile(&[], 95.0), 0.0);
    }

    #[test]
    fn memory_steps() {
        assert_eq!(memory_step_up(0.0), 512 * MIB);
        assert_eq!(memory_step_up(600.0 * MIB as f64), 768 * MIB);
        assert_eq!(memory_step_up(1025.0 * MIB as f64), 1536 * MIB);
        assert_eq!(memory_step_up(5000.0 * MIB as f64), 6144 * MIB);
        assert_eq!(memory_step_up(8192.0 * MIB as f64), 8192 * MIB);
    }
}
