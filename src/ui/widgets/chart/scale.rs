//! The chart's axes: which unit and "nice" top a value axis gets (KiB/s, MiB/s... chosen by
//! the range), where the time ticks fall in local time and how they are labelled, and how a
//! single value is written for people (readout, legend, accessible description).

use gettextrs::gettext;
use gtk::glib;

use crate::i18n::{bytes, gettext_f};

/// What a chart's values measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartUnit {
    /// 0–100, on a fixed 0–100 axis unless a fixed maximum says otherwise.
    Percent,
    /// An amount of memory in bytes (B, KiB, MiB, GiB... by range).
    Bytes,
    /// A throughput in bytes per second (B/s, KiB/s, MiB/s, GiB/s... by range).
    BytesPerSec,
}

const BYTE_UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
const RATE_UNITS: [&str; 6] = ["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s", "PiB/s"];

/// A value axis from 0 to `max`, with gridlines every `step` (both in base units: percent or
/// bytes), labelled in one unit (`divisor` base units each) with `decimals` decimals.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueAxis {
    pub unit: ChartUnit,
    pub max: f64,
    pub step: f64,
    pub divisor: f64,
    pub unit_name: &'static str,
    pub decimals: usize,
}

impl ValueAxis {
    /// The axis for values up to `data_max`, or up to `fixed_max` when given (values above it
    /// are clipped); the top is rounded up to the next gridline. Never 0-high: an all-zero
    /// chart still gets a small axis (1 KiB/s).
    pub fn new(unit: ChartUnit, data_max: f64, fixed_max: Option<f64>) -> ValueAxis {
        let top = match (unit, fixed_max) {
            (_, Some(max)) if max.is_finite() && max > 0.0 => max,
            (ChartUnit::Percent, _) => 100.0,
            _ if data_max.is_finite() && data_max > 0.0 => data_max,
            _ => 1024.0,
        };
        if unit == ChartUnit::Percent {
            let step = nice_step(top / 4.0);
            return ValueAxis {
                unit,
                max: round_up(top, step),
                step,
                divisor: 1.0,
                unit_name: "%",
                decimals: decimals(step),
            };
        }
        // The smallest binary unit in which the top is under 1000 (1010 KiB/s → 0.99 MiB/s).
        let mut power = 0;
        while top / 1024f64.powi(power) >= 1000.0 && (power as usize) < BYTE_UNITS.len() - 1 {
            power += 1;
        }
        let divisor = 1024f64.powi(power);
        let in_unit = top / divisor;
        let mut step = nice_step(in_unit / 4.0);
        if power == 0 {
            step = step.max(1.0); // no fractions of a byte
        }
        let names = if unit == ChartUnit::Bytes {
            &BYTE_UNITS
        } else {
            &RATE_UNITS
        };
        ValueAxis {
            unit,
            max: round_up(in_unit, step) * divisor,
            step: step * divisor,
            divisor,
            unit_name: names[power as usize],
            decimals: decimals(step),
        }
    }

    /// The values where gridlines and labels go, from 0 to the top.
    pub fn ticks(&self) -> Vec<f64> {
        let n = (self.max / self.step).round() as usize;
        (0..=n.min(20)).map(|i| i as f64 * self.step).collect()
    }

    /// A tick label such as "50 %" or "1.5 MiB/s".
    pub fn label(&self, value: f64) -> String {
        let number = format!("{:.*}", self.decimals, value / self.divisor);
        match self.unit {
            // Translators: a percentage on a chart axis or readout; {number} is the value.
            ChartUnit::Percent => gettext_f("{number} %", &[("number", &number)]),
            // Translators: a size, e.g. "1.5 GiB"; {number} is the value, {unit} the binary unit.
            _ => gettext_f(
                "{number} {unit}",
                &[("number", &number), ("unit", self.unit_name)],
            ),
        }
    }
}

/// The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

fn round_up(value: f64, step: f64) -> f64 {
    ((value / step) - 1e-9).ceil().max(1.0) * step
}

/// Decimals needed to write multiples of `step` exactly (0.25 → 2, 0.5 → 1, 200 → 0).
fn decimals(step: f64) -> usize {
    (0..3)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(3)
}

/// One value written for people, in the unit that suits it ("23 %", "1.5 GiB", "340 KiB/s").
pub fn format_value(unit: ChartUnit, value: f64) -> String {
    let value = if value.is_finite() {
        value.max(0.0)
    } else {
        0.0
    };
    match unit {
        ChartUnit::Percent => {
            let number = if value < 10.0 && value.fract() != 0.0 {
                format!("{value:.1}")
            } else {
                format!("{value:.0}")
            };
            gettext_f("{number} %", &[("number", &number)])
        }
        ChartUnit::Bytes => bytes(value.round() as u64),
        // Translators: a throughput, e.g. "1.5 MiB/s"; {size} is an amount such as "1.5 MiB".
        ChartUnit::BytesPerSec => gettext_f("{size}/s", &[("size", &bytes(value.round() as u64))]),
    }
}

/// How time tick labels are written; chosen by the span and the tick step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// 14:05:30: ticks less than a minute apart.
    Seconds,
    /// 14:05: spans up to a day.
    Minutes,
    /// Tue 14:00: spans a little over a day, ticks within days.
    WeekdayTime,
    /// Tue 3: ticks on midnights, spans up to about a week.
    Weekday,
    /// Jun 3: longer spans.
    Date,
}

impl TimeFormat {
    /// The format for ticks `step` seconds apart over `span` seconds.
    pub fn choose(span: i64, step: i64) -> TimeFormat {
        const DAY: i64 = 86_400;
        if step < 60 {
            TimeFormat::Seconds
        } else if span <= DAY {
            TimeFormat::Minutes
        } else if step < DAY {
            TimeFormat::WeekdayTime
        } else if span <= 8 * DAY {
            TimeFormat::Weekday
        } else {
            TimeFormat::Date
        }
    }

    /// The GLib date format (translated, so a locale can reorder it).
    fn pattern(self) -> String {
        match self {
            // Translators: time axis label format, see GLib's g_date_time_format(); e.g. 14:05:30.
            TimeFormat::Seconds => gettext("%H:%M:%S"),
            // Translators: time axis label format, see GLib's g_date_time_format(); e.g. 14:05.
            TimeFormat::Minutes => gettext("%H:%M"),
            // Translators: time axis label format, see GLib's g_date_time_format(); e.g. Tue 14:00.
            TimeFormat::WeekdayTime => gettext("%a %H:%M"),
            // Translators: time axis label format, see GLib's g_date_time_format(); e.g. Tue 3.
            TimeFormat::Weekday => gettext("%a %-d"),
            // Translators: time axis label format, see GLib's g_date_time_format(); e.g. Jun 3.
            TimeFormat::Date => gettext("%b %-d"),
        }
    }

    /// `t` (Unix seconds) in local time in this format.
    pub fn format(self, t: i64) -> String {
        local_format(t, &self.pattern())
    }
}

/// When the pointer's bucket was, for the hover readout: precise enough for the bucket length
/// `bucket` and the chart's `span`.
pub fn readout_time(t: i64, bucket: i64, span: i64) -> String {
    let pattern = if bucket < 60 {
        TimeFormat::Seconds.pattern()
    } else if span <= 86_400 {
        TimeFormat::Minutes.pattern()
    } else {
        // Translators: date and time in a chart's hover readout, see GLib's
        // g_date_time_format(); e.g. Tue 3, 14:05.
        gettext("%a %-d, %H:%M")
    };
    local_format(t, &pattern)
}

fn local_format(t: i64, pattern: &str) -> String {
    glib::DateTime::from_unix_local(t)
        .and_then(|d| d.format(pattern))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// The local time's offset from UTC at `t`, in seconds (0 if GLib cannot tell).
pub fn local_offset(t: i64) -> i64 {
    glib::DateTime::from_unix_local(t)
        .map(|d| d.utc_offset().as_seconds())
        .unwrap_or(0)
}

/// Tick steps a time axis may use, in seconds: each divides the next larger ones that are
/// under a day, so ticks land on round local times (:00, :15, :30...).
const TIME_STEPS: [i64; 20] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
    172_800, 604_800,
];

/// The time ticks of `[from, to]`: at most `max_ticks` of them, on round local times
/// (`offset` is the local UTC offset in seconds), with the format their labels use.
pub fn time_ticks(from: i64, to: i64, max_ticks: usize, offset: i64) -> (Vec<i64>, TimeFormat) {
    let span = (to - from).max(1);
    let max_ticks = max_ticks.max(2) as i64;
    let step = TIME_STEPS
        .into_iter()
        .find(|&s| span / s <= max_ticks)
        .unwrap_or(604_800);
    // Round local times: multiples of the step counted from local midnight (a week's ticks
    // fall on midnights too).
    let align = step.min(86_400);
    let first = (from + offset).div_euclid(align) * align - offset;
    let mut ticks = Vec::new();
    let mut t = first;
    while t <= to {
        if t >= from {
            ticks.push(t);
        }
        t += step;
    }
    (ticks, TimeFormat::choose(span, step))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    #[test]
    fn byte_rates_get_the_unit_of_their_range_and_a_nice_top() {
        let a = ValueAxis::new(ChartUnit::BytesPerSec, 3.2 * MIB, None);
        assert_eq!(
            (a.unit_name, a.max / MIB, a.step / MIB),
            ("MiB/s", 4.0, 1.0)
        );
        let a = ValueAxis::new(ChartUnit::BytesPerSec, 700.0 * 1024.0, None);
        assert_eq!((a.unit_name, a.max / 1024.0), ("KiB/s", 800.0));
        // 1010 KiB/s reads better as a fraction of a MiB/s than as 1200 KiB/s.
        let a = ValueAxis::new(ChartUnit::BytesPerSec, 1010.0 * 1024.0, None);
        assert_eq!((a.unit_name, a.max / MIB, a.decimals), ("MiB/s", 1.0, 2));
        assert_eq!(a.label(0.25 * MIB), "0.25 MiB/s");
        let a = ValueAxis::new(ChartUnit::BytesPerSec, 3.0, None);
        assert_eq!((a.unit_name, a.max, a.step), ("B/s", 3.0, 1.0));
        let a = ValueAxis::new(ChartUnit::BytesPerSec, 5.5 * 1024.0 * MIB, None);
        assert_eq!((a.unit_name, a.max / MIB / 1024.0), ("GiB/s", 6.0));
        let a = ValueAxis::new(ChartUnit::Bytes, 3.5 * 1024.0 * MIB, None);
        assert_eq!((a.unit_name, a.label(a.max)), ("GiB", "4 GiB".to_string()));
    }

    #[test]
    fn an_axis_is_never_zero_high() {
        for max in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            let a = ValueAxis::new(ChartUnit::BytesPerSec, max, None);
            assert!(a.max > 0.0 && a.step > 0.0, "{max}: {a:?}");
            assert_eq!(a.ticks().first(), Some(&0.0));
        }
        let huge = ValueAxis::new(ChartUnit::Bytes, 1e300, None);
        assert!(huge.max.is_finite() && huge.ticks().len() <= 21);
    }

    #[test]
    fn percent_is_fixed_to_0_to_100_unless_told_otherwise() {
        let a = ValueAxis::new(ChartUnit::Percent, 3.0, None);
        assert_eq!(
            (a.max, a.ticks()),
            (100.0, vec![0.0, 25.0, 50.0, 75.0, 100.0])
        );
        assert_eq!(a.label(50.0), "50 %");
        let a = ValueAxis::new(ChartUnit::BytesPerSec, 9.0 * MIB, Some(2.0 * MIB));
        assert_eq!(a.max, 2.0 * MIB);
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0.8), 1.0);
        assert_eq!(nice_step(1.375), 2.0);
        assert_eq!(nice_step(0.244), 0.25);
        assert_eq!(nice_step(175.0), 200.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(5.0), 5.0);
    }

    #[test]
    fn values_are_written_in_their_own_unit() {
        assert_eq!(format_value(ChartUnit::Percent, 23.4), "23 %");
        assert_eq!(format_value(ChartUnit::Percent, 2.5), "2.5 %");
        assert_eq!(format_value(ChartUnit::BytesPerSec, 1.5 * MIB), "1.5 MiB/s");
        assert_eq!(format_value(ChartUnit::Bytes, 2048.0), "2 KiB");
        assert_eq!(format_value(ChartUnit::Bytes, f64::NAN), "0 B");
    }

    #[test]
    fn time_label_format_follows_the_span() {
        assert_eq!(TimeFormat::choose(60, 15), TimeFormat::Seconds);
        assert_eq!(TimeFormat::choose(3600, 600), TimeFormat::Minutes);
        assert_eq!(TimeFormat::choose(86_400, 10_800), TimeFormat::Minutes);
        assert_eq!(
            TimeFormat::choose(2 * 86_400, 21_600),
            TimeFormat::WeekdayTime
        );
        assert_eq!(TimeFormat::choose(7 * 86_400, 86_400), TimeFormat::Weekday);
        assert_eq!(TimeFormat::choose(30 * 86_400, 604_800), TimeFormat::Date);
    }

    #[test]
    fn time_ticks_fall_on_round_local_times() {
        // 10:03:20 to 11:03:20 UTC, eight labels at most: every 10 minutes from 10:10.
        let from = 1_700_000_000 - 1_700_000_000 % 86_400 + 10 * 3600 + 200;
        let (ticks, format) = time_ticks(from, from + 3600, 8, 0);
        assert_eq!(format, TimeFormat::Minutes);
        assert_eq!(ticks.len(), 6);
        assert!(ticks
            .iter()
            .all(|t| t % 600 == 0 && *t >= from && *t <= from + 3600));
        // With a UTC+1 offset the same ticks are still on round local times.
        let (ticks, _) = time_ticks(from, from + 3600, 8, 3600);
        assert!(ticks.iter().all(|t| (t + 3600) % 600 == 0));
        // A month: weekly ticks on local midnights, labelled with dates.
        let (ticks, format) = time_ticks(from, from + 30 * 86_400, 6, 7200);
        assert_eq!(format, TimeFormat::Date);
        assert!(ticks.iter().all(|t| (t + 7200) % 86_400 == 0));
        assert!(ticks.len() <= 6 && ticks.len() >= 4);
    }
}
