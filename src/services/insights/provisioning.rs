//! Over- and under-provisioning: CPU and memory used far below or constantly near what the
//! VM has, with a size that fits what was seen.
//!
//! - Low CPU: with 2 vCPUs or more, the 95th percentile of the hourly peaks is under
//!   [`LOW_CPU_PCT`]; suggests the fewest vCPUs that keep that load under [`TARGET_CPU_PCT`].
//! - Low memory: the highest use seen is under [`LOW_MEMORY_PCT`] of the VM's memory;
//!   suggests a size [`MEMORY_HEADROOM`] times that peak, rounded up to a sensible step,
//!   never below 512 MiB.
//! - High CPU or memory: the hourly average is above [`HIGH_PCT`] in at least
//!   [`HIGH_SHARE`] of the hours; suggests more (critical when above [`CRITICAL_PCT`]).

use super::stats::{self, buckets, enough, median, percentile};
use super::{Insight, InsightCategory, Period, SuggestedAction, VmHistory};
use crate::backend::metrics::Metric;
use crate::i18n::{bytes, gettext_f, ngettext_f};
use crate::services::alerts::Severity;
use gettextrs::gettext;

pub const LOW_CPU_PCT: f64 = 20.0;
pub const TARGET_CPU_PCT: f64 = 60.0;
pub const LOW_MEMORY_PCT: f64 = 40.0;
pub const MEMORY_HEADROOM: f64 = 1.5;
pub const HIGH_PCT: f64 = 85.0;
pub const CRITICAL_PCT: f64 = 95.0;
pub const HIGH_SHARE: f64 = 0.75;
/// Memory use a larger size aims for, in percent of the new size.
const TARGET_MEMORY_PCT: f64 = 70.0;

fn insight(vm: &VmHistory, category: InsightCategory, metric: Metric) -> Insight {
    Insight {
        uuid: vm.uuid.clone(),
        name: vm.name.clone(),
        category,
        severity: Severity::Info,
        title: String::new(),
        detail: String::new(),
        action: None,
        metric,
    }
}

/// Memory the VM has: its configured size, else the largest total the guest reported.
fn memory_total(vm: &VmHistory, period: &Period) -> Option<f64> {
    if vm.memory_total > 0 {
        return Some(vm.memory_total as f64);
    }
    let (pts, _) = buckets(vm, Metric::MemTotal, period);
    pts.iter()
        .map(|b| b.max)
        .reduce(f64::max)
        .filter(|t| *t > 0.0)
}

/// Chronically low CPU use with 2 vCPUs or more.
pub fn low_cpu(vm: &VmHistory, period: &Period) -> Option<Insight> {
    if vm.vcpus < 2 {
        return None;
    }
    let (pts, secs) = buckets(vm, Metric::Cpu, period);
    if !enough(&pts, secs) {
        return None;
    }
    let maxes: Vec<f64> = pts.iter().map(|b| b.max).collect();
    let p95 = percentile(&maxes, 95.0);
    if p95 >= LOW_CPU_PCT {
        return None;
    }
    let used_vcpus = p95 / 100.0 * vm.vcpus as f64;
    let n = ((used_vcpus / (TARGET_CPU_PCT / 100.0)).ceil() as u32).max(1);
    if n >= vm.vcpus {
        return None;
    }
    let peak = maxes.iter().copied().fold(0.0, f64::max);
    let mut i = insight(vm, InsightCategory::OverProvisioned, Metric::Cpu);
    i.title = gettext("CPU mostly unused");
    let seen = ngettext_f(
        "Over {period}, CPU use stayed under {p95} in 95 % of hours (highest {peak}) with {vcpus} vCPU.",
        "Over {period}, CPU use stayed under {p95} in 95 % of hours (highest {peak}) with {vcpus} vCPUs.",
        vm.vcpus,
        &[
            ("period", &stats::period_phrase(period, stats::hours(&pts, secs))),
            ("p95", &stats::pct(p95)),
            ("peak", &stats::pct(peak)),
            ("vcpus", &vm.vcpus.to_string()),
        ],
    );
    let would = ngettext_f(
        "With {n} vCPU that load would be about {new}.",
        "With {n} vCPUs that load would be about {new}.",
        n,
        &[
            ("n", &n.to_string()),
            ("new", &stats::pct(used_vcpus / n as f64 * 100.0)),
        ],
    );
    i.detail = format!("{seen} {would}");
    i.action = Some(SuggestedAction::SetVcpus { n });
    Some(i)
}

/// Chronically low memory use.
pub fn low_memory(vm: &VmHistory, period: &Period) -> Option<Insight> {
    let total = memory_total(vm, period)?;
    let (pts, secs) = buckets(vm, Metric::MemUsed, period);
    if !enough(&pts, secs) {
        return None;
    }
    let max_used = pts.iter().map(|b| b.max).fold(0.0, f64::max);
    if max_used * 100.0 >= total * LOW_MEMORY_PCT {
        return None;
    }
    let target = stats::memory_step_up(max_used * MEMORY_HEADROOM);
    if target as f64 >= total {
        return None;
    }
    let mut i = insight(vm, InsightCategory::OverProvisioned, Metric::MemUsed);
    i.title = gettext("Memory mostly unused");
    i.detail = gettext_f(
        "Over {period}, at most {used} of its {total} of memory was in use ({pct}). {target} would still leave room above that peak.",
        &[
            ("period", &stats::period_phrase(period, stats::hours(&pts, secs))),
            ("used", &bytes(max_used as u64)),
            ("total", &bytes(total as u64)),
            ("pct", &stats::pct(max_used * 100.0 / total)),
            ("target", &bytes(target)),
        ],
    );
    i.action = Some(SuggestedAction::SetMemory { kib: target / 1024 });
    Some(i)
}

/// Share of `values` above `limit`.
fn share_above(values: &[f64], limit: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().filter(|v| **v > limit).count() as f64 / values.len() as f64
}

fn severity(values: &[f64]) -> Severity {
    if share_above(values, CRITICAL_PCT) >= HIGH_SHARE {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

/// CPU busy most of the time.
pub fn high_cpu(vm: &VmHistory, period: &Period) -> Option<Insight> {
    let (pts, secs) = buckets(vm, Metric::Cpu, period);
    if !enough(&pts, secs) {
        return None;
    }
    let avgs: Vec<f64> = pts.iter().map(|b| b.avg).collect();
    let share = share_above(&avgs, HIGH_PCT);
    if share < HIGH_SHARE {
        return None;
    }
    let vcpus = vm.vcpus.max(1);
    let typical = median(&avgs);
    let wanted = (vcpus as f64 * typical / TARGET_CPU_PCT).ceil() as u32;
    let n = wanted.max(vcpus + 1);
    let mut i = insight(vm, InsightCategory::UnderProvisioned, Metric::Cpu);
    i.severity = severity(&avgs);
    i.title = gettext("CPU often at its limit");
    i.detail = ngettext_f(
        "Over {period}, CPU use averaged above {high} in {share} of hours (typically {typical}) with {vcpus} vCPU: programs in the VM are often waiting for a CPU.",
        "Over {period}, CPU use averaged above {high} in {share} of hours (typically {typical}) with {vcpus} vCPUs: programs in the VM are often waiting for a CPU.",
        vcpus,
        &[
            ("period", &stats::period_phrase(period, stats::hours(&pts, secs))),
            ("high", &stats::pct(HIGH_PCT)),
            ("share", &stats::pct(share * 100.0)),
            ("typical", &stats::pct(typical)),
            ("vcpus", &vcpus.to_string()),
        ],
    );
    i.action = Some(SuggestedAction::SetVcpus { n });
    Some(i)
}

/// Memory nearly full most of the time.
pub fn high_memory(vm: &VmHistory, period: &Period) -> Option<Insight> {
    let total = memory_total(vm, period)?;
    let (pts, secs) = buckets(vm, Metric::MemUsed, period);
    if !enough(&pts, secs) {
        return None;
    }
    let pcts: Vec<f64> = pts.iter().map(|b| b.avg * 100.0 / total).collect();
    let share = share_above(&pcts, HIGH_PCT);
    if share < HIGH_SHARE {
        return None;
    }
    let max_used = pts.iter().map(|b| b.max).fold(0.0, f64::max);
    let target = stats::memory_step_up(max_used * 100.0 / TARGET_MEMORY_PCT)
        .max(stats::memory_step_up(total + 1.0));
    let mut i = insight(vm, InsightCategory::UnderProvisioned, Metric::MemUsed);
    i.severity = severity(&pcts);
    i.title = gettext("Memory nearly full");
    i.detail = gettext_f(
        "Over {period}, memory use averaged above {high} of its {total} in {share} of hours (at most {used}): the guest may be swapping or short of cache.",
        &[
            ("period", &stats::period_phrase(period, stats::hours(&pts, secs))),
            ("high", &stats::pct(HIGH_PCT)),
            ("total", &bytes(total as u64)),
            ("share", &stats::pct(share * 100.0)),
            ("used", &bytes(max_used as u64)),
        ],
    );
    i.action = Some(SuggestedAction::SetMemory { kib: target / 1024 });
    Some(i)
}
