//! Alerts: rules on a VM's metrics ("CPU above 90 % for 3 samples"), judged on every
//! collected [`Snapshot`](crate::backend::metrics::Snapshot), with a history of when each
//! alert fired and cleared.
//!
//! - This file: the rule model ([`AlertRule`] and its parts) and its validation.
//! - `store`: [`AlertStore`], rules and alert events in the app's database.
//! - `evaluator`: [`AlertEvaluator`], pure and in memory: turns snapshots into
//!   [`AlertChange`]s (fired, peak, cleared), with consecutive-sample checks both ways so a
//!   value hovering around the threshold does not flap.
//! - `text`: the sentences for desktop notifications and the units values are shown in;
//!   `rows`: reading rules and events from their table rows.
//!
//! The store records changes with [`AlertStore::apply`]; at start-up
//! [`AlertEvaluator::restore`] reloads the alerts still open, so a restart does not fire
//! them a second time.

mod evaluator;
mod rows;
mod store;
mod text;

pub use evaluator::{AlertChange, AlertEvaluator, ClearReason};
pub use store::{AlertEvent, AlertStore};
pub use text::format_value;

use gettextrs::gettext;

use super::db::StoreError;
use crate::backend::metrics::VmRates;
use crate::i18n::gettext_f;

/// Which VMs a rule watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AlertScope {
    AllVms,
    /// One VM, by UUID; `name` is what it was called when the rule was saved (for lists;
    /// alerts use the VM's current name).
    Vm {
        uuid: String,
        name: String,
    },
}

impl AlertScope {
    /// Whether a VM with this UUID is watched.
    pub fn applies_to(&self, uuid: &str) -> bool {
        match self {
            AlertScope::AllVms => true,
            AlertScope::Vm { uuid: u, .. } => u.eq_ignore_ascii_case(uuid),
        }
    }
}

/// What a rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertMetric {
    /// Percent of the VM's vCPUs, 0–100.
    Cpu,
    /// Memory in use, percent of the memory the VM has (used / total).
    Memory,
    /// Disk bytes per second, read and write together.
    DiskIo,
    /// Network bytes per second, received and sent together.
    NetIo,
}

impl AlertMetric {
    pub const ALL: [AlertMetric; 4] = [
        AlertMetric::Cpu,
        AlertMetric::Memory,
        AlertMetric::DiskIo,
        AlertMetric::NetIo,
    ];

    /// Whether thresholds are percentages (else bytes per second).
    pub fn is_percent(self) -> bool {
        matches!(self, AlertMetric::Cpu | AlertMetric::Memory)
    }

    /// This metric's value for one VM, or `None` when the snapshot lacks what it needs
    /// (the I/O sums need both directions; memory needs used and a non-zero total).
    pub fn value(self, vm: &VmRates) -> Option<f64> {
        let r = &vm.rates;
        let v = match self {
            AlertMetric::Cpu => r.cpu_pct?,
            AlertMetric::Memory => {
                let total = r.mem_total.filter(|t| *t > 0)? as f64;
                r.mem_used? as f64 * 100.0 / total
            }
            AlertMetric::DiskIo => r.disk_read? + r.disk_write?,
            AlertMetric::NetIo => r.net_rx? + r.net_tx?,
        };
        v.is_finite().then_some(v)
    }

    /// Stable name for storage.
    pub fn key(self) -> &'static str {
        match self {
            AlertMetric::Cpu => "cpu",
            AlertMetric::Memory => "memory",
            AlertMetric::DiskIo => "disk_io",
            AlertMetric::NetIo => "net_io",
        }
    }

    pub fn from_key(key: &str) -> Option<AlertMetric> {
        AlertMetric::ALL.into_iter().find(|m| m.key() == key)
    }

    /// The metric's name inside a sentence ("CPU", "memory", "disk I/O"...).
    pub fn label(self) -> String {
        match self {
            // Translators: a metric's name inside a sentence, e.g. "“web” CPU above 90 %".
            AlertMetric::Cpu => gettext("CPU"),
            // Translators: a metric's name inside a sentence, e.g. "“web” memory above 90 %".
            AlertMetric::Memory => gettext("memory"),
            // Translators: a metric's name inside a sentence: disk reads and writes.
            AlertMetric::DiskIo => gettext("disk I/O"),
            // Translators: a metric's name inside a sentence: bytes received and sent.
            AlertMetric::NetIo => gettext("network I/O"),
        }
    }
}

/// Which side of the threshold is the alarming one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    Above,
    Below,
}

impl Comparison {
    /// Whether `value` is on the alarming side of `threshold` (strictly).
    pub fn crossed(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::Below => value < threshold,
        }
    }

    /// Whether `a` is worse than `b` (higher for Above, lower for Below): for peaks.
    pub fn worse(self, a: f64, b: f64) -> bool {
        self.crossed(a, b)
    }

    pub fn key(self) -> &'static str {
        match self {
            Comparison::Above => "above",
            Comparison::Below => "below",
        }
    }

    pub fn from_key(key: &str) -> Option<Comparison> {
        match key {
            "above" => Some(Comparison::Above),
            "below" => Some(Comparison::Below),
            _ => None,
        }
    }
}

/// How serious an alert (or an insight) is; ordered Info < Warning < Critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Critical];

    pub fn key(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn from_key(key: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> String {
        match self {
            Severity::Info => gettext("Information"),
            Severity::Warning => gettext("Warning"),
            Severity::Critical => gettext("Critical"),
        }
    }
}

/// One alert rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Database row id; 0 for a rule not stored yet.
    pub id: i64,
    pub scope: AlertScope,
    pub metric: AlertMetric,
    pub comparison: Comparison,
    /// Percent for CPU and memory, bytes per second for disk and network I/O.
    pub threshold: f64,
    /// Samples in a row on the alarming side before the alert fires, and on the other side
    /// before it clears (1–100).
    pub consecutive: u32,
    pub severity: Severity,
    pub enabled: bool,
    /// The user's name for the rule; [`AlertRule::title`] makes one up when absent.
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Most samples a rule may wait for.
pub const MAX_CONSECUTIVE: u32 = 100;
const MAX_NAME_CHARS: usize = 64;
const MAX_DESCRIPTION_CHARS: usize = 1000;

impl AlertRule {
    /// A new, enabled rule with no name (id 0).
    pub fn new(
        scope: AlertScope,
        metric: AlertMetric,
        comparison: Comparison,
        threshold: f64,
        consecutive: u32,
        severity: Severity,
    ) -> AlertRule {
        AlertRule {
            id: 0,
            scope,
            metric,
            comparison,
            threshold,
            consecutive,
            severity,
            enabled: true,
            name: None,
            description: None,
        }
    }

    /// The rule's name, or what it watches ("CPU above 90 %").
    pub fn title(&self) -> String {
        match self.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_owned(),
            _ => text::condition(self.metric, self.comparison, self.threshold),
        }
    }

    /// Check the rule, with a sentence for the user when it cannot be saved.
    pub fn validate(&self) -> Result<(), StoreError> {
        let invalid = |m: String| Err(StoreError::Invalid(m));
        let t = self.threshold;
        if !t.is_finite() {
            return invalid(gettext("The threshold must be a number."));
        }
        if self.metric.is_percent() && !(0.0..=100.0).contains(&t) {
            return invalid(gettext(
                "A CPU or memory threshold is a percentage between 0 and 100.",
            ));
        }
        if !self.metric.is_percent() && t < 0.0 {
            return invalid(gettext(
                "A disk or network threshold must be 0 bytes per second or more.",
            ));
        }
        // Values never go below 0 or above 100 %: such a rule could never fire.
        let never = match self.comparison {
            Comparison::Below => t <= 0.0,
            Comparison::Above => self.metric.is_percent() && t >= 100.0,
        };
        if never {
            return invalid(gettext_f(
                "“{condition}” can never happen. Choose another threshold.",
                &[(
                    "condition",
                    &text::condition(self.metric, self.comparison, t),
                )],
            ));
        }
        if self.consecutive == 0 || self.consecutive > MAX_CONSECUTIVE {
            return invalid(gettext_f(
                "The number of samples in a row must be between 1 and {max}.",
                &[("max", &MAX_CONSECUTIVE.to_string())],
            ));
        }
        if let AlertScope::Vm { uuid, .. } = &self.scope {
            if uuid.trim().is_empty() {
                return invalid(gettext("A rule for one VM needs that VM’s UUID."));
            }
        }
        if let Some(name) = &self.name {
            if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
                return invalid(gettext_f(
                    "A rule name has at most {max} characters and no control characters.",
                    &[("max", &MAX_NAME_CHARS.to_string())],
                ));
            }
        }
        if let Some(d) = &self.description {
            if d.chars().count() > MAX_DESCRIPTION_CHARS {
                return invalid(gettext_f(
                    "A rule description has at most {max} characters.",
                    &[("max", &MAX_DESCRIPTION_CHARS.to_string())],
                ));
            }
        }
        Ok(())
    }

    /// The rule as stored: names trimmed (empty becomes `None`), the UUID lower-case.
    pub fn normalised(&self) -> AlertRule {
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        AlertRule {
            scope: match &self.scope {
                AlertScope::AllVms => AlertScope::AllVms,
                AlertScope::Vm { uuid, name } => AlertScope::Vm {
                    uuid: uuid.trim().to_ascii_lowercase(),
                    name: name.trim().to_owned(),
                },
            },
            name: clean(&self.name),
            description: clean(&self.description),
            ..self.clone()
        }
    }

    /// Whether `other` measures something else (metric, comparison or threshold): alerts
    /// open under the old condition close and counting starts again.
    pub fn measures_differently(&self, other: &AlertRule) -> bool {
        self.metric != other.metric
            || self.comparison != other.comparison
            || self.threshold.to_bits() != other.threshold.to_bits()
    }
}
