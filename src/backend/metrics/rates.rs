//! From two raw samples to rates (pure: no libvirt, no clock).
//!
//! A [`Sample`] is what one tick read: every active domain's cumulative counters
//! ([`StatsSample`], stamped on the monotonic clock) and the host's ([`NodeSample`]).
//! [`snapshot`] turns the previous and the current sample into a [`Snapshot`]:
//!
//! - CPU % of a VM: `cpu.time` delta / elapsed / vCPUs, at most 100 (`cpu.time` also
//!   counts QEMU's own threads, which may push the raw figure a little past 100).
//! - Memory is a reading, not a rate: used = balloon `available - usable` when the guest's
//!   balloon driver reports both, else the QEMU process's resident size; total = balloon
//!   `available`, else the current allocation. It is given on a VM's first sample too.
//! - Disk and network bytes/s are summed over the devices present in both samples,
//!   matched by name, so a disk or NIC plugged in or out between them leaves the others
//!   counted (the new one counts from the next interval).
//! - A counter lower than before (the QEMU process restarted, or the domain ID changed)
//!   gives `None` for that figure for that interval, never a negative or huge rate; so does
//!   a VM without a previous sample (it started mid-interval) and a zero-length interval.
//! - Host CPU % comes from the host's busy and idle time deltas; host memory is total minus
//!   free, buffers and cache; host disk and network are the sums over its VMs (libvirt
//!   reports no host-wide I/O counters), `None` when no VM gave a figure.

use std::collections::HashMap;
use std::time::Duration;

use super::node::NodeSample;
use super::{Rates, Snapshot, VmRates};
use crate::backend::stats::{BlockStats, DomainStats, InterfaceStats, StatsSample};
use crate::backend::types::VmState;

/// What one tick read.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Wall-clock Unix time in seconds (for [`Snapshot::at`] only; rates use
    /// `domains.taken_at`).
    pub at: i64,
    pub domains: StatsSample,
    pub node: NodeSample,
}

/// `b - a` for cumulative counters; `None` when the counter went backwards (a reset).
fn delta(a: u64, b: u64) -> Option<u64> {
    b.checked_sub(a)
}

fn kib_to_bytes(kib: u64) -> u64 {
    kib.saturating_mul(1024)
}

/// Per-second sum over devices present in both samples (matched by name). `None` when no
/// device matched or one of the matched counters went backwards.
fn summed<T>(
    prev: &[T],
    cur: &[T],
    name: impl Fn(&T) -> &str,
    counter: impl Fn(&T) -> u64,
    secs: f64,
) -> Option<f64> {
    let mut total: u64 = 0;
    let mut matched = false;
    for c in cur.iter().filter(|c| !name(c).is_empty()) {
        let Some(p) = prev.iter().find(|p| name(p) == name(c)) else {
            continue;
        };
        total = total.saturating_add(delta(counter(p), counter(c))?);
        matched = true;
    }
    matched.then(|| total as f64 / secs)
}

/// Memory used and total of a VM, in bytes, from its current balloon figures.
fn memory(cur: &DomainStats) -> (Option<u64>, Option<u64>) {
    let Some(b) = &cur.balloon else {
        return (None, None);
    };
    let used = match (b.available_kib, b.usable_kib) {
        (Some(avail), Some(usable)) if usable <= avail => Some(avail - usable),
        _ => b.rss_kib,
    };
    let total = b.available_kib.or(b.current_kib);
    (used.map(kib_to_bytes), total.map(kib_to_bytes))
}

/// One VM's rates over `elapsed`, from its previous sample (`None`: it was not running
/// then) and its current one.
pub fn vm_rates(prev: Option<&DomainStats>, cur: &DomainStats, elapsed: Duration) -> Rates {
    let (mem_used, mem_total) = memory(cur);
    let mut r = Rates {
        mem_used,
        mem_total,
        ..Rates::default()
    };
    let secs = elapsed.as_secs_f64();
    let Some(prev) = prev else {
        return r;
    };
    // A new domain ID is a new QEMU process: its counters started from zero.
    let restarted = matches!((prev.id, cur.id), (Some(a), Some(b)) if a != b);
    if secs <= 0.0 || restarted {
        return r;
    }
    let vcpus = cur.vcpus.filter(|n| *n > 0);
    if let (Some(a), Some(b), Some(n)) = (prev.cpu_time_ns, cur.cpu_time_ns, vcpus) {
        r.cpu_pct = delta(a, b).map(|d| (d as f64 / (secs * 1e9) / n as f64 * 100.0).min(100.0));
    }
    let disk = |counter: fn(&BlockStats) -> u64| {
        summed(&prev.blocks, &cur.blocks, |b| &b.name, counter, secs)
    };
    r.disk_read = disk(|b| b.rd_bytes);
    r.disk_write = disk(|b| b.wr_bytes);
    let net = |counter: fn(&InterfaceStats) -> u64| {
        summed(
            &prev.interfaces,
            &cur.interfaces,
            |i| &i.name,
            counter,
            secs,
        )
    };
    r.net_rx = net(|i| i.rx_bytes);
    r.net_tx = net(|i| i.tx_bytes);
    r
}

/// Host CPU % from two readings of its cumulative busy and idle times.
fn host_cpu(prev: &NodeSample, cur: &NodeSample) -> Option<f64> {
    let (a, b) = (prev.cpu.as_ref()?, cur.cpu.as_ref()?);
    let busy = delta(a.busy(), b.busy())?;
    let idle = delta(a.idle_total(), b.idle_total())?;
    let all = busy.checked_add(idle).filter(|t| *t > 0)?;
    Some((busy as f64 / all as f64 * 100.0).min(100.0))
}

/// The sum of one figure over the VMs: 0 without VMs, `None` when none of them gave it.
fn sum_over(vms: &[VmRates], figure: impl Fn(&Rates) -> Option<f64>) -> Option<f64> {
    if vms.is_empty() {
        return Some(0.0);
    }
    vms.iter()
        .filter_map(|v| figure(&v.rates))
        .fold(None, |acc, x| Some(acc.unwrap_or(0.0) + x))
}

/// The host's rates. Disk and network are the sums over `vms` (the VMs' own figures for
/// the same interval): libvirt has no host-wide I/O counters.
pub fn host_rates(prev: Option<&Sample>, cur: &Sample, vms: &[VmRates]) -> Rates {
    let mut r = Rates {
        mem_used: cur.node.memory.as_ref().map(|m| m.used_bytes()),
        mem_total: cur.node.memory.as_ref().map(|m| kib_to_bytes(m.total_kib)),
        ..Rates::default()
    };
    let Some(prev) = prev else {
        return r;
    };
    r.cpu_pct = host_cpu(&prev.node, &cur.node);
    r.disk_read = sum_over(vms, |x| x.disk_read);
    r.disk_write = sum_over(vms, |x| x.disk_write);
    r.net_rx = sum_over(vms, |x| x.net_rx);
    r.net_tx = sum_over(vms, |x| x.net_tx);
    r
}

/// Everything `cur` says, as rates over the interval since `prev` (`None`: the first
/// sample, so no rates, only states and memory).
pub fn snapshot(prev: Option<&Sample>, cur: &Sample) -> Snapshot {
    let elapsed = prev
        .map(|p| {
            cur.domains
                .taken_at
                .saturating_duration_since(p.domains.taken_at)
        })
        .unwrap_or_default();
    let before: HashMap<&str, &DomainStats> = prev
        .map(|p| {
            p.domains
                .domains
                .iter()
                .map(|d| (d.uuid.as_str(), d))
                .collect()
        })
        .unwrap_or_default();
    let vms: Vec<VmRates> = cur
        .domains
        .domains
        .iter()
        .map(|d| VmRates {
            uuid: d.uuid.clone(),
            name: d.name.clone(),
            state: d.state.unwrap_or(VmState::Unknown),
            vcpus: d.vcpus.unwrap_or(0),
            rates: vm_rates(before.get(d.uuid.as_str()).copied(), d, elapsed),
        })
        .collect();
    Snapshot {
        at: cur.at,
        interval_secs: elapsed.as_secs_f64(),
        host: host_rates(prev, cur, &vms),
        vms,
    }
}

#[cfg(test)]
#[path = "rates_tests.rs"]
mod tests;
