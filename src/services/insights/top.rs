//! The top consumers of the Insights page: machines ranked by their average use of one
//! resource over the period (CPU %, memory % of what they have, disk I/O and network I/O
//! as read + write and received + sent).

use super::stats::{buckets, sum};
use super::{Period, VmHistory};
use crate::backend::metrics::Metric;

/// What a top list ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopMetric {
    Cpu,
    Memory,
    DiskIo,
    NetIo,
}

impl TopMetric {
    pub const ALL: [TopMetric; 4] = [
        TopMetric::Cpu,
        TopMetric::Memory,
        TopMetric::DiskIo,
        TopMetric::NetIo,
    ];
}

/// One machine in a top list.
#[derive(Debug, Clone, PartialEq)]
pub struct TopConsumer {
    pub uuid: String,
    pub name: String,
    /// Percent for CPU and memory, bytes per second for the I/O lists.
    pub average: f64,
}

/// The mean of the bucket averages (buckets are the same length, so this is the period's
/// average over the time with data).
fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, total) = values.fold((0usize, 0.0), |(n, t), v| (n + 1, t + v));
    (n > 0).then(|| total / n as f64)
}

fn average(vm: &VmHistory, metric: TopMetric, period: &Period) -> Option<f64> {
    match metric {
        TopMetric::Cpu => mean(buckets(vm, Metric::Cpu, period).0.iter().map(|b| b.avg)),
        TopMetric::Memory => {
            let (used, _) = buckets(vm, Metric::MemUsed, period);
            let (total, _) = buckets(vm, Metric::MemTotal, period);
            mean(used.iter().filter_map(|u| {
                let t = total.iter().find(|t| t.t == u.t)?;
                (t.avg > 0.0).then(|| 100.0 * u.avg / t.avg)
            }))
        }
        TopMetric::DiskIo => mean(
            sum(vm, Metric::DiskRead, Metric::DiskWrite, period)
                .0
                .iter()
                .map(|b| b.avg),
        ),
        TopMetric::NetIo => mean(
            sum(vm, Metric::NetRx, Metric::NetTx, period)
                .0
                .iter()
                .map(|b| b.avg),
        ),
    }
}

/// The `n` machines with the highest average of `metric`, highest first; machines without
/// data for it are left out.
pub fn top_consumers(
    vms: &[VmHistory],
    metric: TopMetric,
    period: &Period,
    n: usize,
) -> Vec<TopConsumer> {
    let mut ranked: Vec<TopConsumer> = vms
        .iter()
        .filter_map(|vm| {
            Some(TopConsumer {
                uuid: vm.uuid.clone(),
                name: vm.name.clone(),
                average: average(vm, metric, period)?,
            })
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.average
            .total_cmp(&a.average)
            .then_with(|| a.name.cmp(&b.name))
    });
    ranked.truncate(n);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::VmState;
    use crate::services::metrics::{Bucket, Series};

    fn series(metric: Metric, values: &[f64]) -> Series {
        Series {
            metric,
            bucket_secs: 3600,
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| Bucket {
                    t: i as i64 * 3600,
                    min: *v,
                    avg: *v,
                    max: *v,
                })
                .collect(),
        }
    }

    fn vm(name: &str, series: Vec<Series>) -> VmHistory {
        VmHistory {
            uuid: format!("u-{name}"),
            name: name.into(),
            vcpus: 2,
            memory_total: 1 << 30,
            state: VmState::Running,
            series,
        }
    }

    #[test]
    fn ranks_by_average_and_skips_machines_without_data() {
        let period = Period {
            from: 0,
            to: 10 * 3600,
            utc_offset_secs: 0,
        };
        let vms = vec![
            vm("a", vec![series(Metric::Cpu, &[10.0, 20.0])]),
            vm("b", vec![series(Metric::Cpu, &[50.0, 70.0])]),
            vm("c", vec![]),
            vm(
                "d",
                vec![
                    series(Metric::MemUsed, &[256.0, 768.0]),
                    series(Metric::MemTotal, &[1024.0, 1024.0]),
                    series(Metric::NetRx, &[100.0, 300.0]),
                    series(Metric::NetTx, &[50.0]),
                ],
            ),
        ];
        let cpu = top_consumers(&vms, TopMetric::Cpu, &period, 5);
        let names: Vec<_> = cpu.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(cpu[0].average, 60.0);
        let mem = top_consumers(&vms, TopMetric::Memory, &period, 5);
        assert_eq!(mem.len(), 1);
        assert_eq!(mem[0].average, 50.0);
        // Received + sent per bucket: (100 + 50) and 300.
        let net = top_consumers(&vms, TopMetric::NetIo, &period, 5);
        assert_eq!(net[0].average, 225.0);
        assert_eq!(top_consumers(&vms, TopMetric::Cpu, &period, 1).len(), 1);
    }
}
