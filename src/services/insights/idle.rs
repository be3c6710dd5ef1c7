//! Idle VMs left running: every hour of at least the last day (of data) with CPU averaging
//! under [`IDLE_CPU_PCT`] and network traffic (received + sent) under [`IDLE_NET_BYTES`]
//! per second. Only a VM running now, whose history reaches the end of the period,
//! qualifies; the run of idle hours is counted back from its latest bucket. A VM without
//! network data counts as having no traffic. Idle for [`LONG_IDLE_DAYS`] days or more is a
//! warning.

use std::collections::HashMap;

use super::stats::{self, buckets, sum};
use super::{Insight, InsightCategory, Period, SuggestedAction, VmHistory, MIN_HOURS};
use crate::backend::metrics::Metric;
use crate::backend::VmState;
use crate::i18n::{bytes, gettext_f};
use crate::services::alerts::Severity;
use gettextrs::gettext;

pub const IDLE_CPU_PCT: f64 = 2.0;
pub const IDLE_NET_BYTES: f64 = 4096.0;
pub const LONG_IDLE_DAYS: f64 = 7.0;

pub fn idle(vm: &VmHistory, period: &Period) -> Option<Insight> {
    if vm.state != VmState::Running {
        return None;
    }
    let (cpu, secs) = buckets(vm, Metric::Cpu, period);
    let (net, _) = sum(vm, Metric::NetRx, Metric::NetTx, period);
    let net: HashMap<i64, f64> = net.iter().map(|b| (b.t, b.avg)).collect();
    let last = cpu.last()?;
    // History that stopped long before the end says nothing about now.
    if last.t + secs < period.to - 2 * secs {
        return None;
    }
    let quiet = |t: i64, cpu: f64| {
        cpu < IDLE_CPU_PCT && net.get(&t).copied().unwrap_or(0.0) < IDLE_NET_BYTES
    };
    let start = cpu
        .iter()
        .rposition(|b| !quiet(b.t, b.avg))
        .map_or(0, |i| i + 1);
    let run = &cpu[start..];
    let hours = stats::hours(run, secs);
    if hours < MIN_HOURS {
        return None;
    }
    let cpu_max = run.iter().map(|b| b.avg).fold(0.0, f64::max);
    let net_max = run
        .iter()
        .map(|b| net.get(&b.t).copied().unwrap_or(0.0))
        .fold(0.0, f64::max);
    let since = Period {
        from: run[0].t,
        ..*period
    };
    Some(Insight {
        uuid: vm.uuid.clone(),
        name: vm.name.clone(),
        category: InsightCategory::Idle,
        severity: if hours >= LONG_IDLE_DAYS * 24.0 {
            Severity::Warning
        } else {
            Severity::Info
        },
        title: gettext("Idle but running"),
        detail: gettext_f(
            "Over {period}, CPU use averaged at most {cpu} in any hour and network traffic at most {net}, yet the VM is still running.",
            &[
                ("period", &stats::period_phrase(&since, hours)),
                ("cpu", &stats::pct(cpu_max)),
                ("net", &gettext_f("{size}/s", &[("size", &bytes(net_max.round() as u64))])),
            ],
        ),
        action: Some(SuggestedAction::ShutDown),
        metric: Metric::Cpu,
    })
}
