//! Words for alerts: values with their units, a rule's condition, and the sentences a
//! desktop notification shows when an alert fires or clears.

use super::{AlertMetric, ClearReason, Comparison};
use crate::i18n::{bytes, gettext_f, ngettext_f};

/// A value of `metric` for people: "97 %" or "12.5 MiB/s".
pub fn format_value(metric: AlertMetric, value: f64) -> String {
    if metric.is_percent() {
        let number = if value != 0.0 && value.abs() < 10.0 && value.fract() != 0.0 {
            format!("{value:.1}")
        } else {
            format!("{value:.0}")
        };
        // Translators: a percentage, e.g. "97 %".
        gettext_f("{number} %", &[("number", &number)])
    } else {
        // Translators: a rate, e.g. "12.5 MiB/s"; {size} is an amount of bytes.
        gettext_f(
            "{size}/s",
            &[("size", &bytes(value.max(0.0).round() as u64))],
        )
    }
}

/// "CPU above 90 %", "network I/O below 1 KiB/s".
pub fn condition(metric: AlertMetric, comparison: Comparison, threshold: f64) -> String {
    let args = [
        ("metric", metric.label()),
        ("threshold", format_value(metric, threshold)),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match comparison {
        // Translators: a rule's condition, e.g. "CPU above 90 %".
        Comparison::Above => gettext_f("{metric} above {threshold}", &args),
        // Translators: a rule's condition, e.g. "network I/O below 1 KiB/s".
        Comparison::Below => gettext_f("{metric} below {threshold}", &args),
    }
}

/// What a parameterised sentence is about.
pub(super) struct About<'a> {
    pub vm: &'a str,
    pub rule: &'a str,
    pub metric: AlertMetric,
    pub comparison: Comparison,
    pub threshold: f64,
}

impl About<'_> {
    fn args(&self, value: Option<f64>) -> Vec<(&'static str, String)> {
        vec![
            ("vm", self.vm.to_owned()),
            ("rule", self.rule.to_owned()),
            ("metric", self.metric.label()),
            ("threshold", format_value(self.metric, self.threshold)),
            (
                "value",
                value
                    .map(|v| format_value(self.metric, v))
                    .unwrap_or_default(),
            ),
        ]
    }
}

fn borrow<'a>(args: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    args.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// "“web” CPU above 90 % for 3 samples (now 97 %)".
pub(super) fn fired(about: &About<'_>, samples: u32, value: f64) -> String {
    let mut args = about.args(Some(value));
    args.push(("n", samples.to_string()));
    let args = borrow(&args);
    match about.comparison {
        Comparison::Above => ngettext_f(
            "“{vm}” {metric} above {threshold} for {n} sample (now {value})",
            "“{vm}” {metric} above {threshold} for {n} samples (now {value})",
            samples,
            &args,
        ),
        Comparison::Below => ngettext_f(
            "“{vm}” {metric} below {threshold} for {n} sample (now {value})",
            "“{vm}” {metric} below {threshold} for {n} samples (now {value})",
            samples,
            &args,
        ),
    }
}

/// Why an alert is over, as a sentence.
pub(super) fn cleared(about: &About<'_>, reason: ClearReason, value: Option<f64>) -> String {
    let args = about.args(value);
    let args = borrow(&args);
    match (reason, about.comparison, value) {
        (ClearReason::Recovered, Comparison::Above, Some(_)) => gettext_f(
            "“{vm}” {metric} back under {threshold} (now {value})",
            &args,
        ),
        (ClearReason::Recovered, Comparison::Below, Some(_)) => {
            gettext_f("“{vm}” {metric} back over {threshold} (now {value})", &args)
        }
        (ClearReason::Recovered, _, None) => gettext_f("“{vm}”: the alert “{rule}” is over", &args),
        (ClearReason::VmStopped, _, _) => {
            gettext_f("“{vm}” stopped: the alert “{rule}” is closed", &args)
        }
        (ClearReason::RuleDisabled, _, _) => gettext_f(
            "The rule “{rule}” was turned off: its alert on “{vm}” is closed",
            &args,
        ),
        (ClearReason::RuleDeleted, _, _) => gettext_f(
            "The rule “{rule}” was deleted: its alert on “{vm}” is closed",
            &args,
        ),
        (ClearReason::RuleChanged, _, _) => gettext_f(
            "The rule “{rule}” changed: its alert on “{vm}” is closed",
            &args,
        ),
    }
}
