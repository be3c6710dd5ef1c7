//! Insights: suggestions drawn from a VM's stored history. Pure functions over downsampled
//! [`Series`] (hourly buckets with min / avg / max), no database and no libvirt.
//!
//! Rules (thresholds are the `pub const`s of each submodule):
//! - [`provisioning`]: chronically low CPU or memory use (over-provisioned, with a smaller
//!   size) and sustained high use (under-provisioned, with a larger one).
//! - [`spikes`]: spikes at the same hour of the day on several days.
//! - [`idle`]: a running VM that has done nothing for a day or more.
//!
//! Every rule needs at least [`MIN_HOURS`] hours of data in the series it reads; with less
//! it says nothing rather than something wrong. [`summarise`] groups the result for the
//! Insights page, and [`top_consumers`] ranks machines by their average use.

pub mod idle;
pub mod provisioning;
pub mod spikes;
mod stats;
mod summary;
mod top;

pub use summary::{summarise, CategoryGroup, InsightSummary, SeverityCounts, VmGroup};
pub use top::{top_consumers, TopConsumer, TopMetric};

use gettextrs::gettext;

use super::alerts::Severity;
use super::metrics::Series;
use crate::backend::metrics::Metric;
use crate::backend::VmState;
use crate::i18n::{bytes, gettext_f, ngettext_f};

/// Least history a rule needs, in hours of buckets with data.
pub const MIN_HOURS: f64 = 24.0;

/// One VM's history over the period looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct VmHistory {
    /// Canonical lower-case UUID.
    pub uuid: String,
    pub name: String,
    pub vcpus: u32,
    /// Memory the VM is configured with, bytes (what a suggested size replaces).
    pub memory_total: u64,
    pub state: VmState,
    /// Any of the metrics (Cpu, MemUsed, MemTotal, DiskRead, DiskWrite, NetRx, NetTx);
    /// a missing one is treated as having no data.
    pub series: Vec<Series>,
}

impl VmHistory {
    /// The series of `metric`, if given.
    pub fn series(&self, metric: Metric) -> Option<&Series> {
        self.series.iter().find(|s| s.metric == metric)
    }
}

/// The period looked at, and how to turn its times into local hours of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Unix seconds, start (inclusive) and end (exclusive).
    pub from: i64,
    pub to: i64,
    /// Local time minus UTC, seconds (e.g. 7200 for UTC+2), for "around 02:00". One offset
    /// for the whole period: across a daylight-saving change, hours may read one off.
    pub utc_offset_secs: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InsightCategory {
    OverProvisioned,
    UnderProvisioned,
    Spikes,
    Idle,
}

impl InsightCategory {
    pub const ALL: [InsightCategory; 4] = [
        InsightCategory::OverProvisioned,
        InsightCategory::UnderProvisioned,
        InsightCategory::Spikes,
        InsightCategory::Idle,
    ];

    pub fn label(self) -> String {
        match self {
            InsightCategory::OverProvisioned => gettext("Over-provisioned"),
            InsightCategory::UnderProvisioned => gettext("Under-provisioned"),
            InsightCategory::Spikes => gettext("Periodic spikes"),
            InsightCategory::Idle => gettext("Idle"),
        }
    }
}

/// A change the Insights page can offer to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuggestedAction {
    /// Set the VM's memory (current and maximum) to this size.
    SetMemory {
        kib: u64,
    },
    SetVcpus {
        n: u32,
    },
    ShutDown,
}

impl SuggestedAction {
    /// The button's label: "Set memory to 2 GiB", "Use 2 vCPUs", "Shut down".
    pub fn label(&self) -> String {
        match *self {
            SuggestedAction::SetMemory { kib } => gettext_f(
                "Set memory to {size}",
                &[("size", &bytes(kib.saturating_mul(1024)))],
            ),
            SuggestedAction::SetVcpus { n } => {
                ngettext_f("Use {n} vCPU", "Use {n} vCPUs", n, &[("n", &n.to_string())])
            }
            SuggestedAction::ShutDown => gettext("Shut down"),
        }
    }
}

/// One suggestion about one VM.
#[derive(Debug, Clone, PartialEq)]
pub struct Insight {
    pub uuid: String,
    pub name: String,
    pub category: InsightCategory,
    pub severity: Severity,
    /// Short, without the VM's name: "CPU mostly unused".
    pub title: String,
    /// What was seen, with the numbers and the period.
    pub detail: String,
    pub action: Option<SuggestedAction>,
    /// The metric it is about (`Cpu` for idle VMs).
    pub metric: Metric,
}

/// Every insight for every VM, most severe first (then by VM name).
pub fn analyse(vms: &[VmHistory], period: &Period) -> Vec<Insight> {
    let mut all: Vec<Insight> = vms.iter().flat_map(|vm| analyse_vm(vm, period)).collect();
    all.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.category.cmp(&b.category))
    });
    all
}

/// One VM's insights. A VM found idle gets no "fewer vCPUs" suggestion (shutting it down
/// is the better one).
pub fn analyse_vm(vm: &VmHistory, period: &Period) -> Vec<Insight> {
    let mut out = Vec::new();
    let idle = idle::idle(vm, period);
    let idle_found = idle.is_some();
    out.extend(idle);
    if !idle_found {
        out.extend(provisioning::low_cpu(vm, period));
    }
    out.extend(provisioning::low_memory(vm, period));
    out.extend(provisioning::high_cpu(vm, period));
    out.extend(provisioning::high_memory(vm, period));
    out.extend(spikes::spikes(vm, period));
    out
}
