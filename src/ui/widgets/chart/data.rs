//! What a chart shows, and the questions the drawing, the hover readout and the accessible
//! description ask of it: where the line breaks (gaps), which bucket is nearest a time, what
//! the current and peak values are.

use std::borrow::Cow;
use std::ops::Range;

use crate::services::metrics::Bucket;

use super::scale::ChartUnit;

/// One line of a chart (e.g. "Read"), oldest point first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartSeries {
    pub label: String,
    pub points: Vec<Bucket>,
}

/// Everything one chart draws: one or two series over the time span `[from, to]` (Unix
/// seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub unit: ChartUnit,
    pub series: Vec<ChartSeries>,
    pub from: i64,
    pub to: i64,
    /// The value axis goes up to this (rounded up to a gridline) instead of the data's peak.
    pub fixed_max: Option<f64>,
}

impl ChartData {
    pub fn new(unit: ChartUnit) -> ChartData {
        ChartData {
            unit,
            series: Vec::new(),
            from: 0,
            to: 0,
            fixed_max: None,
        }
    }

    /// The points of series `index` inside `[from, to]`.
    pub fn visible(&self, index: usize) -> &[Bucket] {
        let Some(series) = self.series.get(index) else {
            return &[];
        };
        let points = &series.points;
        let start = points.partition_point(|b| b.t < self.from);
        let end = points.partition_point(|b| b.t <= self.to);
        &points[start..end.max(start)]
    }

    /// True when no series has a point to draw.
    pub fn is_empty(&self) -> bool {
        (0..self.series.len()).all(|i| self.visible(i).iter().all(|b| !b.avg.is_finite()))
    }

    /// The highest value on screen (the top of the bands), 0 without data.
    pub fn peak(&self) -> f64 {
        (0..self.series.len())
            .flat_map(|i| self.visible(i).iter())
            .map(top_of)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    }
}

/// The upper edge of a bucket: its max, or its average when the max is missing.
pub fn top_of(b: &Bucket) -> f64 {
    if b.max.is_finite() {
        b.max.max(b.avg)
    } else {
        b.avg
    }
}

/// The bucket length of `points`: the shortest step between two of them (gaps only make
/// steps longer), 1 s when there are fewer than two.
pub fn bucket_secs(points: &[Bucket]) -> i64 {
    points
        .windows(2)
        .map(|w| w[1].t - w[0].t)
        .filter(|&step| step > 0)
        .min()
        .unwrap_or(1)
}

/// Whether a step of `step` seconds between two points is a gap for buckets of `bucket`
/// seconds: more than 1.5 buckets (and more than one bucket plus a second, as live samples
/// have whole-second times and one may land a second late).
pub fn is_gap(step: i64, bucket: i64) -> bool {
    let limit = (1.5 * bucket as f64).max((bucket + 1) as f64);
    step as f64 > limit
}

/// The runs of `points` that are drawn as one line: split at gaps and at points without a
/// finite average.
pub fn segments(points: &[Bucket]) -> Vec<Range<usize>> {
    let bucket = bucket_secs(points);
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in points.iter().enumerate() {
        if !b.avg.is_finite() {
            if let Some(s) = start.take() {
                runs.push(s..i);
            }
            continue;
        }
        match start {
            Some(s) if i > 0 && is_gap(b.t - points[i - 1].t, bucket) => {
                runs.push(s..i);
                start = Some(i);
            }
            Some(_) => {}
            None => start = Some(i),
        }
    }
    if let Some(s) = start {
        runs.push(s..points.len());
    }
    runs
}

/// `run` (points without gaps) with the points that fall in the same one of `columns` pixel
/// columns across `[from, to]` merged into one bucket (mean time and average, lowest min,
/// highest max): what a screen can show of many points, at a fraction of the drawing cost.
pub fn decimate(run: &[Bucket], from: i64, to: i64, columns: usize) -> Cow<'_, [Bucket]> {
    if run.len() <= columns || columns == 0 {
        return Cow::Borrowed(run);
    }
    let per_second = columns as f64 / (to - from).max(1) as f64;
    let column = |b: &Bucket| ((b.t - from) as f64 * per_second).floor() as i64;
    let mut merged: Vec<Bucket> = Vec::with_capacity(columns + 1);
    let mut i = 0;
    while i < run.len() {
        let col = column(&run[i]);
        let (mut n, mut t_sum, mut avg_sum) = (0.0, 0.0, 0.0);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        while i < run.len() && column(&run[i]) == col {
            let b = &run[i];
            n += 1.0;
            t_sum += b.t as f64;
            avg_sum += b.avg;
            min = min.min(b.avg);
            max = max.max(top_of(b));
            if b.min.is_finite() {
                min = min.min(b.min);
            }
            i += 1;
        }
        merged.push(Bucket {
            t: (t_sum / n).round() as i64,
            min,
            avg: avg_sum / n,
            max,
        });
    }
    Cow::Owned(merged)
}

/// The point nearest the time `t`, if it is within one bucket of it.
pub fn nearest(points: &[Bucket], t: f64) -> Option<&Bucket> {
    let i = points.partition_point(|b| (b.t as f64) < t);
    let candidates = [i.checked_sub(1), Some(i)];
    let best = candidates
        .into_iter()
        .flatten()
        .filter_map(|i| points.get(i))
        .filter(|b| b.avg.is_finite())
        .min_by(|a, b| (a.t as f64 - t).abs().total_cmp(&(b.t as f64 - t).abs()))?;
    let bucket = bucket_secs(points) as f64;
    ((best.t as f64 - t).abs() <= bucket.max(1.0)).then_some(best)
}

/// The latest average and the highest value of a series' visible points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub current: f64,
    pub peak: f64,
}

pub fn summary(points: &[Bucket]) -> Option<Summary> {
    let current = points.iter().rev().find(|b| b.avg.is_finite())?.avg;
    let peak = points
        .iter()
        .map(top_of)
        .filter(|v| v.is_finite())
        .fold(current, f64::max);
    Some(Summary { current, peak })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(t: i64, avg: f64) -> Bucket {
        Bucket {
            t,
            min: avg,
            avg,
            max: avg,
        }
    }

    #[test]
    fn gaps_break_the_line() {
        // 30 s buckets with one missing (60 s step) and one NaN.
        let pts = [
            b(0, 1.0),
            b(30, 1.0),
            b(60, 1.0),
            b(120, 1.0),
            b(150, f64::NAN),
            b(180, 2.0),
        ];
        assert_eq!(segments(&pts), vec![0..3, 3..4, 5..6]);
        assert!(segments(&[]).is_empty());
        assert_eq!(segments(&[b(5, 1.0)]), vec![0..1]);
    }

    #[test]
    fn a_late_live_sample_is_not_a_gap_but_a_missing_one_is() {
        assert!(!is_gap(2, 1));
        assert!(is_gap(3, 1));
        assert!(!is_gap(45, 30));
        assert!(is_gap(46, 30));
        let live = [b(0, 1.0), b(1, 1.0), b(3, 1.0), b(4, 1.0), b(8, 1.0)];
        assert_eq!(segments(&live), vec![0..4, 4..5]);
    }

    #[test]
    fn many_points_merge_into_one_per_pixel_column() {
        let run: Vec<Bucket> = (0..3600).map(|i| b(i, (i % 10) as f64)).collect();
        let merged = decimate(&run, 0, 3600, 720);
        assert_eq!(merged.len(), 720);
        // Each column holds 5 points: 0..4 or 5..9.
        assert_eq!(
            (merged[0].min, merged[0].avg, merged[0].max),
            (0.0, 2.0, 4.0)
        );
        assert_eq!((merged[1].min, merged[1].max), (5.0, 9.0));
        assert_eq!(merged[1].t, 7);
        // Few points stay as they are.
        assert!(matches!(
            decimate(&run[..100], 0, 3600, 720),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn nearest_bucket_within_one_bucket() {
        let pts = [b(0, 1.0), b(30, 2.0), b(60, 3.0)];
        assert_eq!(nearest(&pts, 41.0).map(|b| b.avg), Some(2.0));
        assert_eq!(nearest(&pts, 46.0).map(|b| b.avg), Some(3.0));
        assert_eq!(nearest(&pts, -10.0).map(|b| b.avg), Some(1.0));
        assert_eq!(nearest(&pts, 200.0), None);
        assert_eq!(nearest(&[], 1.0), None);
    }

    #[test]
    fn summary_and_visible_window() {
        let mut data = ChartData::new(ChartUnit::Percent);
        data.series.push(ChartSeries {
            label: "CPU".into(),
            points: vec![
                b(0, 90.0),
                Bucket {
                    t: 10,
                    min: 1.0,
                    avg: 5.0,
                    max: 40.0,
                },
                b(20, 7.0),
            ],
        });
        (data.from, data.to) = (5, 20);
        assert_eq!(data.visible(0).len(), 2);
        assert_eq!(data.peak(), 40.0);
        let s = summary(data.visible(0)).unwrap();
        assert_eq!((s.current, s.peak), (7.0, 40.0));
        (data.from, data.to) = (100, 200);
        assert!(data.is_empty());
        assert_eq!(data.peak(), 0.0);
        assert_eq!(summary(data.visible(0)), None);
    }
}
