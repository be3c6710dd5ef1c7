//! Insights on synthetic hourly histories: each rule's positive and negative cases, short
//! histories that must say nothing, and the host summary.

use kvm_manager::backend::metrics::Metric;
use kvm_manager::backend::VmState;
use kvm_manager::services::alerts::Severity;
use kvm_manager::services::insights::{
    analyse, analyse_vm, summarise, Insight, InsightCategory, Period, SuggestedAction, VmHistory,
};
use kvm_manager::services::metrics::{Bucket, Series};

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;
/// A midnight, UTC.
const T0: i64 = 19676 * 86400;

fn period(hours: i64) -> Period {
    Period {
        from: T0,
        to: T0 + hours * 3600,
        utc_offset_secs: 0,
    }
}

/// A VM with `hours` hourly buckets of each metric given, values from `f(hour)` as
/// (avg, max); min is half the average.
struct Vm(VmHistory, usize);

impl Vm {
    fn new(name: &str, hours: usize) -> Vm {
        Vm(
            VmHistory {
                uuid: format!("uuid-{name}"),
                name: name.into(),
                vcpus: 4,
                memory_total: 8 * GIB,
                state: VmState::Running,
                series: Vec::new(),
            },
            hours,
        )
    }

    fn with(mut self, metric: Metric, f: impl Fn(usize) -> (f64, f64)) -> Vm {
        let points = (0..self.1)
            .map(|h| {
                let (avg, max) = f(h);
                Bucket {
                    t: T0 + h as i64 * 3600,
                    min: avg / 2.0,
                    avg,
                    max,
                }
            })
            .collect();
        self.0.series.retain(|s| s.metric != metric);
        self.0.series.push(Series {
            metric,
            bucket_secs: 3600,
            points,
        });
        self
    }

    fn vcpus(mut self, n: u32) -> Vm {
        self.0.vcpus = n;
        self
    }

    fn memory(mut self, bytes: u64) -> Vm {
        self.0.memory_total = bytes;
        self
    }

    /// Moderately busy everywhere: no rule should have anything to say.
    fn ordinary(self) -> Vm {
        self.with(Metric::Cpu, |h| (35.0 + (h % 5) as f64, 55.0))
            .with(Metric::MemUsed, |_| (4.0 * GIB as f64, 5.0 * GIB as f64))
            .with(Metric::NetRx, |_| (50_000.0, 80_000.0))
            .with(Metric::NetTx, |_| (20_000.0, 30_000.0))
            .with(Metric::DiskRead, |_| (100_000.0, 300_000.0))
            .with(Metric::DiskWrite, |_| (100_000.0, 300_000.0))
    }
}

fn of(insights: &[Insight], category: InsightCategory) -> Vec<&Insight> {
    insights.iter().filter(|i| i.category == category).collect()
}

#[test]
fn an_ordinary_vm_has_no_insight() {
    let vm = Vm::new("web", 7 * 24).ordinary();
    assert_eq!(analyse_vm(&vm.0, &period(7 * 24)), vec![]);
}

#[test]
fn less_than_a_day_of_history_says_nothing() {
    // Everything about this VM is extreme, but there are only 20 hours of it.
    let idle = Vm::new("idle", 20)
        .vcpus(16)
        .with(Metric::Cpu, |_| (0.1, 0.5))
        .with(Metric::MemUsed, |_| (0.1 * GIB as f64, 0.2 * GIB as f64));
    let busy = Vm::new("busy", 20)
        .with(Metric::Cpu, |_| (99.0, 100.0))
        .with(Metric::MemUsed, |_| (7.9 * GIB as f64, 8.0 * GIB as f64));
    let p = period(20);
    assert_eq!(analyse(&[idle.0.clone(), busy.0.clone()], &p), vec![]);
    // Nor does a long period with only 20 hours of data in it.
    assert_eq!(analyse(&[idle.0, busy.0], &period(30 * 24)), vec![]);
    // An empty history is no error either.
    assert_eq!(analyse_vm(&Vm::new("new", 0).0, &period(48)), vec![]);
}

#[test]
fn chronically_low_cpu_suggests_fewer_vcpus() {
    let vm = Vm::new("web", 48)
        .ordinary()
        .vcpus(8)
        .with(Metric::Cpu, |h| (5.0, if h == 10 { 90.0 } else { 10.0 }));
    let found = analyse_vm(&vm.0, &period(48));
    let low = of(&found, InsightCategory::OverProvisioned);
    assert_eq!(low.len(), 1, "{found:#?}");
    let i = low[0];
    // p95 of the hourly peaks is 10 % of 8 vCPUs = 0.8 vCPU; 2 vCPUs keep it at 40 %.
    assert_eq!(i.action, Some(SuggestedAction::SetVcpus { n: 2 }));
    assert_eq!(i.metric, Metric::Cpu);
    assert_eq!(i.severity, Severity::Info);
    assert_eq!(i.title, "CPU mostly unused");
    assert_eq!(
        i.detail,
        "Over the last 48 hours (48 hours with data), CPU use stayed under 10 % in 95 % of hours \
         (highest 90 %) with 8 vCPUs. With 2 vCPUs that load would be about 40 %."
    );
    assert_eq!(i.action.unwrap().label(), "Use 2 vCPUs");
}

#[test]
fn low_cpu_needs_two_vcpus_and_really_low_use() {
    let p = period(48);
    let one = Vm::new("one", 48)
        .ordinary()
        .vcpus(1)
        .with(Metric::Cpu, |_| (3.0, 5.0));
    assert!(of(&analyse_vm(&one.0, &p), InsightCategory::OverProvisioned).is_empty());
    let medium = Vm::new("medium", 48)
        .ordinary()
        .vcpus(8)
        .with(Metric::Cpu, |_| (10.0, 25.0));
    assert!(of(&analyse_vm(&medium.0, &p), InsightCategory::OverProvisioned).is_empty());
    // 2 vCPUs at 18 %: one vCPU would run at 36 %, so it is suggested...
    let two = Vm::new("two", 48)
        .ordinary()
        .vcpus(2)
        .with(Metric::Cpu, |_| (10.0, 18.0));
    let found = analyse_vm(&two.0, &p);
    assert_eq!(
        of(&found, InsightCategory::OverProvisioned)[0].action,
        Some(SuggestedAction::SetVcpus { n: 1 })
    );
}

#[test]
fn chronically_low_memory_suggests_a_rounded_smaller_size() {
    let p = period(72);
    let vm = Vm::new("db", 72)
        .ordinary()
        .memory(8 * GIB)
        .with(Metric::MemUsed, |_| (0.8 * GIB as f64, 1.1 * GIB as f64));
    let found = analyse_vm(&vm.0, &p);
    let low = of(&found, InsightCategory::OverProvisioned);
    assert_eq!(low.len(), 1, "{found:#?}");
    // 1.1 GiB x 1.5 = 1.65 GiB, rounded up to the next step: 2 GiB.
    assert_eq!(
        low[0].action,
        Some(SuggestedAction::SetMemory {
            kib: 2 * 1024 * 1024
        })
    );
    assert_eq!(low[0].action.unwrap().label(), "Set memory to 2 GiB");
    assert!(
        low[0].detail.contains("at most 1.1 GiB of its 8 GiB") && low[0].detail.contains("(14 %)"),
        "{}",
        low[0].detail
    );

    // Never below 512 MiB...
    let tiny = Vm::new("tiny", 72)
        .ordinary()
        .memory(2 * GIB)
        .with(Metric::MemUsed, |_| (50.0 * MIB as f64, 80.0 * MIB as f64));
    let found = analyse_vm(&tiny.0, &p);
    assert_eq!(
        of(&found, InsightCategory::OverProvisioned)[0].action,
        Some(SuggestedAction::SetMemory { kib: 512 * 1024 })
    );
    // ...so a 512 MiB VM gets no suggestion at all.
    let small = Vm::new("small", 72)
        .ordinary()
        .memory(512 * MIB)
        .with(Metric::MemUsed, |_| (50.0 * MIB as f64, 80.0 * MIB as f64));
    assert!(of(&analyse_vm(&small.0, &p), InsightCategory::OverProvisioned).is_empty());
    // A VM that peaks at half its memory is fine.
    let fine = Vm::new("fine", 72).ordinary().with(Metric::MemUsed, |h| {
        (
            2.0 * GIB as f64,
            if h == 5 { 4.0 } else { 2.5 } * GIB as f64,
        )
    });
    assert!(of(&analyse_vm(&fine.0, &p), InsightCategory::OverProvisioned).is_empty());
}

#[test]
fn sustained_high_cpu_suggests_more_vcpus() {
    let p = period(48);
    // Above 85 % in 90 % of the hours.
    let vm = Vm::new("build", 48)
        .ordinary()
        .vcpus(4)
        .with(Metric::Cpu, |h| {
            if h % 10 == 0 {
                (40.0, 60.0)
            } else {
                (92.0, 100.0)
            }
        });
    let found = analyse_vm(&vm.0, &p);
    let high = of(&found, InsightCategory::UnderProvisioned);
    assert_eq!(high.len(), 1, "{found:#?}");
    assert_eq!(high[0].severity, Severity::Warning);
    // Typical 92 % of 4 vCPUs = 3.7 vCPUs; at 60 % that needs 7.
    assert_eq!(high[0].action, Some(SuggestedAction::SetVcpus { n: 7 }));
    assert!(
        high[0].detail.contains("in 90 % of hours"),
        "{}",
        high[0].detail
    );

    // Pinned at the limit: critical, and at least one more vCPU.
    let pinned = Vm::new("pinned", 48)
        .ordinary()
        .vcpus(2)
        .with(Metric::Cpu, |_| (99.0, 100.0));
    let found = analyse_vm(&pinned.0, &p);
    let high = of(&found, InsightCategory::UnderProvisioned);
    assert_eq!(high[0].severity, Severity::Critical);
    assert_eq!(high[0].action, Some(SuggestedAction::SetVcpus { n: 4 }));

    // Busy half of the time only: not sustained.
    let half = Vm::new("half", 48).ordinary().with(Metric::Cpu, |h| {
        if h % 2 == 0 {
            (95.0, 100.0)
        } else {
            (20.0, 30.0)
        }
    });
    assert!(of(&analyse_vm(&half.0, &p), InsightCategory::UnderProvisioned).is_empty());
}

#[test]
fn sustained_high_memory_suggests_more() {
    let p = period(48);
    let vm = Vm::new("cache", 48)
        .ordinary()
        .memory(4 * GIB)
        .with(Metric::MemUsed, |_| (3.6 * GIB as f64, 3.8 * GIB as f64));
    let found = analyse_vm(&vm.0, &p);
    let high = of(&found, InsightCategory::UnderProvisioned);
    assert_eq!(high.len(), 1, "{found:#?}");
    assert_eq!(high[0].metric, Metric::MemUsed);
    assert_eq!(high[0].severity, Severity::Warning);
    // 3.8 GiB at 70 % needs 5.4 GiB: the next step is 6 GiB.
    assert_eq!(
        high[0].action,
        Some(SuggestedAction::SetMemory {
            kib: 6 * 1024 * 1024
        })
    );
    let ok = Vm::new("ok", 48)
        .ordinary()
        .memory(4 * GIB)
        .with(Metric::MemUsed, |_| (3.0 * GIB as f64, 3.8 * GIB as f64));
    assert!(of(&analyse_vm(&ok.0, &p), InsightCategory::UnderProvisioned).is_empty());
}

#[test]
fn spikes_at_the_same_hour_every_day_are_found() {
    let days = 7;
    let p = period(days * 24);
    let vm = Vm::new("backup", days as usize * 24)
        .ordinary()
        .with(Metric::Cpu, |h| {
            if h % 24 == 2 {
                (60.0, 85.0)
            } else {
                (5.0, 8.0)
            }
        });
    let found = analyse_vm(&vm.0, &p);
    let spikes = of(&found, InsightCategory::Spikes);
    assert_eq!(spikes.len(), 1, "{found:#?}");
    assert_eq!(spikes[0].title, "CPU spikes around 02:00");
    assert_eq!(
        spikes[0].detail,
        "On 7 of 7 days, CPU rose to 85 % between 02:00 and 03:00 (usually 5 %)."
    );
    assert_eq!(spikes[0].action, None);

    // The same history seen from UTC+2 reads 04:00.
    let east = Period {
        utc_offset_secs: 2 * 3600,
        ..p
    };
    let found = analyse_vm(&vm.0, &east);
    assert_eq!(
        of(&found, InsightCategory::Spikes)[0].title,
        "CPU spikes around 04:00"
    );
}

#[test]
fn disk_spikes_across_midnight_make_one_window() {
    let p = period(5 * 24);
    let vm = Vm::new("db", 5 * 24)
        .ordinary()
        .with(Metric::DiskWrite, |h| {
            if h % 24 == 23 || h % 24 == 0 {
                (20.0 * MIB as f64, 80.0 * MIB as f64)
            } else {
                (100_000.0, 300_000.0)
            }
        });
    let found = analyse_vm(&vm.0, &p);
    let spikes = of(&found, InsightCategory::Spikes);
    assert_eq!(spikes.len(), 1, "{found:#?}");
    assert_eq!(spikes[0].metric, Metric::DiskRead);
    assert!(
        spikes[0].detail.contains("between 23:00 and 01:00"),
        "{}",
        spikes[0].detail
    );
}

#[test]
fn scattered_or_rare_spikes_are_not_periodic() {
    let p = period(7 * 24);
    // A spike every day, but each day at another hour.
    let scattered = Vm::new("scattered", 7 * 24)
        .ordinary()
        .with(Metric::Cpu, |h| {
            if h % 24 == (h / 24 * 5) % 24 {
                (60.0, 90.0)
            } else {
                (5.0, 8.0)
            }
        });
    assert!(of(&analyse_vm(&scattered.0, &p), InsightCategory::Spikes).is_empty());
    // The same hour, but on two days only.
    let rare = Vm::new("rare", 7 * 24).ordinary().with(Metric::Cpu, |h| {
        if h % 24 == 2 && h < 48 {
            (60.0, 90.0)
        } else {
            (5.0, 8.0)
        }
    });
    assert!(of(&analyse_vm(&rare.0, &p), InsightCategory::Spikes).is_empty());
    // Spiky at every hour: not periodic either.
    let noisy = Vm::new("noisy", 7 * 24).ordinary().with(Metric::Cpu, |h| {
        if h % 2 == 0 {
            (5.0, 90.0)
        } else {
            (5.0, 8.0)
        }
    });
    assert!(of(&analyse_vm(&noisy.0, &p), InsightCategory::Spikes).is_empty());
    // Two days of history cannot show a daily pattern.
    let short = Vm::new("short", 48).ordinary().with(Metric::Cpu, |h| {
        if h % 24 == 2 {
            (60.0, 90.0)
        } else {
            (5.0, 8.0)
        }
    });
    assert!(of(&analyse_vm(&short.0, &period(48)), InsightCategory::Spikes).is_empty());
}

fn idle_vm(name: &str, hours: usize) -> Vm {
    Vm::new(name, hours)
        .ordinary()
        .vcpus(8)
        .with(Metric::Cpu, |_| (0.5, 3.0))
        .with(Metric::NetRx, |_| (300.0, 900.0))
        .with(Metric::NetTx, |_| (200.0, 600.0))
}

#[test]
fn an_idle_running_vm_is_offered_a_shut_down() {
    let p = period(48);
    let found = analyse_vm(&idle_vm("old", 48).0, &p);
    let idle = of(&found, InsightCategory::Idle);
    assert_eq!(idle.len(), 1, "{found:#?}");
    assert_eq!(idle[0].action, Some(SuggestedAction::ShutDown));
    assert_eq!(idle[0].severity, Severity::Info);
    assert_eq!(
        idle[0].detail,
        "Over the last 48 hours (48 hours with data), CPU use averaged at most 0.5 % in any \
         hour and network traffic at most 500 B/s, yet the VM is still running."
    );
    // Shutting it down beats trimming its vCPUs: no vCPU suggestion alongside.
    assert!(found
        .iter()
        .all(|i| !matches!(i.action, Some(SuggestedAction::SetVcpus { .. }))));
    // Idle for more than a week: a warning.
    let found = analyse_vm(&idle_vm("older", 8 * 24).0, &period(8 * 24));
    assert_eq!(
        of(&found, InsightCategory::Idle)[0].severity,
        Severity::Warning
    );
    // No network data at all counts as no traffic.
    let mut no_net = idle_vm("no-net", 48);
    no_net
        .0
        .series
        .retain(|s| !matches!(s.metric, Metric::NetRx | Metric::NetTx));
    assert_eq!(
        of(&analyse_vm(&no_net.0, &p), InsightCategory::Idle).len(),
        1
    );
}

#[test]
fn busy_stopped_or_recently_idle_vms_are_not_idle() {
    let p = period(48);
    let mut off = idle_vm("off", 48);
    off.0.state = VmState::ShutOff;
    assert!(of(&analyse_vm(&off.0, &p), InsightCategory::Idle).is_empty());
    // Quiet CPU but a steady 50 KiB/s of traffic (a small server doing its job).
    let serving = idle_vm("serving", 48).with(Metric::NetRx, |_| (50_000.0, 90_000.0));
    assert!(of(&analyse_vm(&serving.0, &p), InsightCategory::Idle).is_empty());
    // Idle for the last 10 hours only.
    let recent =
        idle_vm("recent", 48).with(
            Metric::Cpu,
            |h| {
                if h >= 38 {
                    (0.5, 1.0)
                } else {
                    (30.0, 50.0)
                }
            },
        );
    assert!(of(&analyse_vm(&recent.0, &p), InsightCategory::Idle).is_empty());
    // History that ended three days before the end of the period says nothing about now.
    assert!(of(
        &analyse_vm(&idle_vm("stale", 48).0, &period(5 * 24)),
        InsightCategory::Idle
    )
    .is_empty());
}

#[test]
fn the_summary_counts_and_groups() {
    let p = period(7 * 24);
    let hours = 7 * 24;
    let vms = [
        Vm::new("web", hours).ordinary(),
        idle_vm("old", hours),
        Vm::new("build", hours)
            .ordinary()
            .vcpus(2)
            .with(Metric::Cpu, |_| (99.0, 100.0))
            .with(Metric::MemUsed, |_| (7.5 * GIB as f64, 7.9 * GIB as f64)),
        Vm::new("backup", hours)
            .ordinary()
            .vcpus(1)
            .with(Metric::Cpu, |h| {
                if h % 24 == 2 {
                    (60.0, 85.0)
                } else {
                    (35.0, 40.0)
                }
            }),
    ]
    .map(|v| v.0);
    let all = analyse(&vms, &p);
    let s = summarise(&all);
    assert_eq!(s.total, all.len());
    // build: CPU critical + memory warning; old: idle for a week (warning); backup: spikes
    // at 02:00 over a steady 35 % (info); web: nothing.
    assert_eq!(
        (s.counts.critical, s.counts.warning, s.counts.info),
        (1, 2, 1),
        "{all:#?}"
    );
    assert_eq!(s.counts.of(Severity::Warning), 2);
    let names: Vec<&str> = s.by_vm.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["build", "old", "backup"]);
    assert_eq!(s.by_vm[0].worst, Severity::Critical);
    assert_eq!(s.by_vm[0].insights[0].severity, Severity::Critical);
    let cats: Vec<(InsightCategory, usize)> = s
        .by_category
        .iter()
        .map(|g| (g.category, g.insights.len()))
        .collect();
    assert_eq!(
        cats,
        [
            (InsightCategory::UnderProvisioned, 2),
            (InsightCategory::Spikes, 1),
            (InsightCategory::Idle, 1)
        ]
    );
    // Most severe first overall.
    assert_eq!(all[0].severity, Severity::Critical);
    assert_eq!(summarise(&[]), Default::default());
}
