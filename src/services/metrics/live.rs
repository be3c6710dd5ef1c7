//! The last minutes of rates in memory, for the "Live" range of the charts and the
//! machines list's sparklines: every tick of the sampler, kept for [`LIVE_SECS`].
//!
//! Nothing here is stored: history comes from the store, at the collection interval.

use std::collections::{HashMap, VecDeque};

use crate::backend::metrics::{Metric, Rates, Snapshot};

use super::{Bucket, Series, Subject};

/// How far back the live view reaches, in seconds.
pub const LIVE_SECS: i64 = 300;

/// Recent rates per subject (the host and each VM seen lately).
#[derive(Debug, Default)]
pub struct LiveBuffer {
    subjects: HashMap<Subject, VecDeque<(i64, Rates)>>,
    last: i64,
}

impl LiveBuffer {
    pub fn new() -> LiveBuffer {
        LiveBuffer::default()
    }

    /// Add one tick. Entries older than [`LIVE_SECS`] before it go; a subject with none left
    /// is forgotten. A tick from before the newest one (the wall clock went back) restarts
    /// the buffer rather than drawing time backwards.
    pub fn push(&mut self, snap: &Snapshot) {
        if snap.at < self.last {
            self.subjects.clear();
        }
        self.last = snap.at;
        let mut add = |subject: Subject, rates: &Rates| {
            self.subjects
                .entry(subject)
                .or_default()
                .push_back((snap.at, rates.clone()));
        };
        add(Subject::Host, &snap.host);
        // A VM without a single figure (a driver without stats, a first tick) takes no room:
        // with hundreds of machines that is most of the buffer.
        for vm in snap.vms.iter().filter(|v| v.rates != Rates::default()) {
            add(Subject::Vm(vm.uuid.clone()), &vm.rates);
        }
        let cutoff = snap.at - LIVE_SECS;
        self.subjects.retain(|_, q| {
            while q.front().is_some_and(|(t, _)| *t < cutoff) {
                q.pop_front();
            }
            !q.is_empty()
        });
    }

    /// The time of the newest tick (0 before the first).
    pub fn last_at(&self) -> i64 {
        self.last
    }

    /// The newest rates of `subject`, if it was in the last tick.
    pub fn latest(&self, subject: &Subject) -> Option<&Rates> {
        let (t, rates) = self.subjects.get(subject)?.back()?;
        (*t == self.last).then_some(rates)
    }

    /// The recent values of one metric, oldest first (missing values left out).
    pub fn values(&self, subject: &Subject, metric: Metric) -> Vec<(i64, f64)> {
        self.subjects
            .get(subject)
            .map(|q| {
                q.iter()
                    .filter_map(|(t, r)| metric.of(r).map(|v| (*t, v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Series in the shape history has (each tick a bucket whose min, avg and max agree),
    /// so a chart draws live and stored data alike.
    pub fn series(&self, subject: &Subject, metrics: &[Metric]) -> Vec<Series> {
        let step = self
            .subjects
            .get(subject)
            .and_then(|q| {
                let mut steps = q.iter().zip(q.iter().skip(1)).map(|(a, b)| b.0 - a.0);
                steps.next().map(|first| steps.fold(first, i64::min))
            })
            .unwrap_or(1)
            .max(1);
        metrics
            .iter()
            .map(|&metric| Series {
                metric,
                bucket_secs: step,
                points: self
                    .values(subject, metric)
                    .into_iter()
                    .map(|(t, v)| Bucket {
                        t,
                        min: v,
                        avg: v,
                        max: v,
                    })
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::metrics::VmRates;
    use crate::backend::VmState;

    fn snap(at: i64, cpu: Option<f64>) -> Snapshot {
        Snapshot {
            at,
            interval_secs: 1.0,
            host: Rates {
                cpu_pct: Some(10.0),
                ..Rates::default()
            },
            vms: vec![VmRates {
                uuid: "u1".into(),
                name: "web".into(),
                state: VmState::Running,
                vcpus: 2,
                rates: Rates {
                    cpu_pct: cpu,
                    ..Rates::default()
                },
            }],
        }
    }

    #[test]
    fn keeps_the_last_minutes_and_skips_missing_values() {
        let mut live = LiveBuffer::new();
        for t in 0..400 {
            live.push(&snap(
                1000 + t,
                if t == 399 { None } else { Some(t as f64) },
            ));
        }
        let vm = Subject::Vm("u1".into());
        let cpu = live.values(&vm, Metric::Cpu);
        // 1399 - 300 = 1099 is the oldest kept; the last tick had no CPU figure.
        assert_eq!(cpu.first(), Some(&(1099, 99.0)));
        assert_eq!(cpu.last(), Some(&(1398, 398.0)));
        assert_eq!(cpu.len(), 300);
        // A tick without any figure for the VM is not kept for it.
        assert!(live.latest(&vm).is_none());
        let series = live.series(&Subject::Host, &[Metric::Cpu, Metric::NetRx]);
        assert_eq!(series[0].bucket_secs, 1);
        assert_eq!(series[0].points.len(), 301);
        assert!(series[1].points.is_empty());
    }

    #[test]
    fn a_vm_that_stopped_is_not_latest_and_is_forgotten_later() {
        let mut live = LiveBuffer::new();
        live.push(&snap(10, Some(5.0)));
        let mut host_only = snap(11, None);
        host_only.vms.clear();
        live.push(&host_only);
        let vm = Subject::Vm("u1".into());
        assert!(live.latest(&vm).is_none());
        assert_eq!(live.values(&vm, Metric::Cpu), vec![(10, 5.0)]);
        host_only.at = 400;
        live.push(&host_only);
        assert!(live.values(&vm, Metric::Cpu).is_empty());
    }

    #[test]
    fn a_clock_going_back_restarts_the_buffer() {
        let mut live = LiveBuffer::new();
        live.push(&snap(100, Some(1.0)));
        live.push(&snap(50, Some(2.0)));
        assert_eq!(
            live.values(&Subject::Vm("u1".into()), Metric::Cpu),
            vec![(50, 2.0)]
        );
        assert_eq!(live.last_at(), 50);
    }
}
