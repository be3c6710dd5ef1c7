//! How a history read is planned: which table, how long a bucket, so that a series has at
//! most the number of points asked for and a long range reads few rows.
//!
//! The bucket wanted is the range divided by `max_points`, never finer than the collection
//! interval. When that is the interval itself, each sample is its own point. Otherwise the
//! source is the coarsest table whose rows are at most twice the bucket wanted (the 1-hour
//! rollup, else the 5-minute one, else the raw samples) and the bucket a multiple of its
//! rows, lengthened until no more than `max_points` aligned buckets touch the range: a
//! series then has between half and all of `max_points` points.

use super::columns::Source;

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

/// Buckets of at least `wanted` seconds (see the module doc).
pub(crate) fn grouped(from: i64, to: i64, max_points: i64, wanted: i64) -> Plan {
    let max_points = max_points.max(1);
    let source = Source::COARSEST_FIRST
        .into_iter()
        .find(|s| s.resolution() <= 2 * wanted)
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

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_704_067_200;

    fn p(span: i64, max: usize) -> Plan {
        plan(T0, T0 + span, max, 30)
    }

    fn grouped_from(source: Source, bucket: i64) -> Plan {
        Plan {
            source,
            bucket,
            samples: false,
        }
    }

    #[test]
    fn plans_the_coarsest_table_that_fits() {
        // An hour in 300 points: every sample.
        assert_eq!(
            p(3600, 300),
            Plan {
                source: Source::Raw,
                bucket: 30,
                samples: true
            }
        );
        // Six hours in 300: 73 s buckets of raw samples (72 would touch 301).
        assert_eq!(p(6 * 3600, 300), grouped_from(Source::Raw, 73));
        // A day in 300: the 5-minute rollup (288 points).
        assert_eq!(p(86_400, 300), grouped_from(Source::FiveMinutes, 300));
        // A week in 1000: 5-minute rollup, 15-minute buckets; a month in 300: hourly.
        assert_eq!(p(7 * 86_400, 1000), grouped_from(Source::FiveMinutes, 900));
        assert_eq!(p(30 * 86_400, 300), grouped_from(Source::Hour, 10_800));
        // Never finer than the collection interval.
        assert_eq!(plan(T0, T0 + 3600, 300, 600).bucket, 600);
    }

    #[test]
    fn between_half_and_all_of_the_points_asked() {
        for max in [1usize, 2, 5, 99, 100, 301, 1000] {
            for from in [T0, T0 + 1, T0 + 299, T0 + 3599] {
                for span in [1, 59, 3600, 86_399, 86_400, 7 * 86_400 + 13, 30 * 86_400] {
                    let to = from + span;
                    let p = plan(from, to, max, 30);
                    if p.samples {
                        assert!(span / 30 <= max as i64);
                        continue;
                    }
                    let n = to.div_euclid(p.bucket) - from.div_euclid(p.bucket) + 1;
                    assert!(n <= max as i64, "{from} {span} {max}: {p:?}");
                    assert!(
                        2 * n >= (max as i64).min(span / 30),
                        "{from} {span} {max}: {p:?}"
                    );
                    assert_eq!(p.bucket % p.source.resolution(), 0);
                }
            }
        }
    }
}
