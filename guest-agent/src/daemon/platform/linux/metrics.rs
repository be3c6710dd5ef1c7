//! `get_metrics`: raw counters from `/proc/stat`, `/proc/meminfo`, `/proc/diskstats` and
//! `/proc/net/dev`. The host keeps the previous sample and computes rates.

use super::{meminfo, read_text, sysconf};
use kvm_guest_agent::protocol::types::{CpuTimes, DiskIo, MemoryMetrics, MetricsResult, NetIo};
use kvm_guest_agent::protocol::RpcError;
use std::path::Path;

pub fn metrics() -> Result<MetricsResult, RpcError> {
    let stat = read_text("/proc/stat")?;
    let mem = read_text("/proc/meminfo")?;
    Ok(MetricsResult {
        uptime_secs: super::sysinfo::uptime()?,
        ticks_per_sec: sysconf(libc::_SC_CLK_TCK, 100),
        cpu_count: sysconf(libc::_SC_NPROCESSORS_ONLN, 1) as u32,
        cpu: cpu_times(&stat),
        memory: MemoryMetrics {
            total_bytes: meminfo(&mem, "MemTotal"),
            free_bytes: meminfo(&mem, "MemFree"),
            available_bytes: meminfo(&mem, "MemAvailable"),
            buffers_bytes: meminfo(&mem, "Buffers"),
            cached_bytes: meminfo(&mem, "Cached"),
            swap_total_bytes: meminfo(&mem, "SwapTotal"),
            swap_free_bytes: meminfo(&mem, "SwapFree"),
        },
        disks: disks(
            &std::fs::read_to_string("/proc/diskstats").unwrap_or_default(),
            |name| Path::new("/sys/block").join(name).exists(),
        ),
        networks: networks(&read_text("/proc/net/dev")?),
    })
}

/// The aggregate `cpu` line.
pub fn cpu_times(stat: &str) -> CpuTimes {
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return CpuTimes::default();
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    CpuTimes {
        user: at(0),
        nice: at(1),
        system: at(2),
        idle: at(3),
        iowait: at(4),
        irq: at(5),
        softirq: at(6),
        steal: at(7),
    }
}

/// Whole disks (`is_disk` says which names `/sys/block` knows), without loop and RAM disks.
pub fn disks(diskstats: &str, is_disk: impl Fn(&str) -> bool) -> Vec<DiskIo> {
    diskstats
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let name = *f.get(2)?;
            if f.len() < 13 || ["loop", "ram", "zram"].iter().any(|p| name.starts_with(p)) {
                return None;
            }
            if !is_disk(name) {
                return None;
            }
            let n = |i: usize| f[i].parse::<u64>().unwrap_or(0);
            Some(DiskIo {
                name: name.to_string(),
                reads: n(3),
                read_bytes: n(5) * 512,
                writes: n(7),
                written_bytes: n(9) * 512,
                io_time_ms: n(12),
            })
        })
        .collect()
}

pub fn networks(dev: &str) -> Vec<NetIo> {
    dev.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let v: Vec<u64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            if v.len() < 12 {
                return None;
            }
            Some(NetIo {
                name: name.trim().to_string(),
                rx_bytes: v[0],
                rx_packets: v[1],
                rx_errors: v[2],
                rx_dropped: v[3],
                tx_bytes: v[8],
                tx_packets: v[9],
                tx_errors: v[10],
                tx_dropped: v[11],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_samples() {
        let cpu = cpu_times("cpu  10 2 30 400 5 6 7 8 0 0\ncpu0 1 1 1 1 1 1 1 1\n");
        assert_eq!((cpu.user, cpu.idle, cpu.steal), (10, 400, 8));
        let stats = " 253       0 vda 100 0 2000 50 300 0 4000 60 0 70 110 0 0 0 0\n\
                     253       1 vda1 1 0 2 0 3 0 4 0 0 5 6\n   7 0 loop0 1 0 2 0 3 0 4 0 0 5 6\n";
        let d = disks(stats, |n| n == "vda");
        assert_eq!(d.len(), 1);
        assert_eq!(
            (
                d[0].reads,
                d[0].read_bytes,
                d[0].written_bytes,
                d[0].io_time_ms
            ),
            (100, 1_024_000, 2_048_000, 70)
        );
        let dev =
            "Inter-|   Receive\n face |bytes\n  eth0: 1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0\n";
        let n = networks(dev);
        assert_eq!(
            (
                n[0].name.as_str(),
                n[0].rx_bytes,
                n[0].tx_packets,
                n[0].tx_dropped
            ),
            ("eth0", 1000, 20, 4)
        );
    }
}
