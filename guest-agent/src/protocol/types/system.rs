//! Results of the read-only methods: system, network, disks, metrics, processes.
//!
//! Sizes are bytes, times seconds unless a name says otherwise. Counters in `get_metrics`
//! are raw totals since boot: the host computes rates from two samples.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemInfoResult {
    pub os: OsInfo,
    pub kernel: KernelInfo,
    pub hostname: String,
    pub cpu: CpuInfo,
    pub memory_total_bytes: u64,
    pub uptime_secs: f64,
    /// Seconds since the Unix epoch, per the guest's clock.
    pub boot_time: u64,
    /// Sessions from utmp; empty when the guest keeps no utmp.
    pub users: Vec<LoggedInUser>,
}

/// From `/etc/os-release` (fields it lacks are empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OsInfo {
    pub id: String,
    pub name: String,
    pub version: String,
    pub version_id: String,
    pub pretty_name: String,
}

/// From `uname(2)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KernelInfo {
    pub name: String,
    pub release: String,
    pub version: String,
    pub machine: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuInfo {
    pub model: String,
    /// Logical CPUs online.
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedInUser {
    pub name: String,
    pub terminal: String,
    /// Remote host, empty for a local login.
    pub host: String,
    /// Seconds since the Unix epoch.
    pub login_time: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkInfoResult {
    pub interfaces: Vec<NetworkInterface>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkInterface {
    pub name: String,
    /// `aa:bb:cc:dd:ee:ff`; empty when the interface has none.
    pub mac: String,
    pub mtu: u32,
    pub up: bool,
    pub addresses: Vec<IpAddress>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpAddress {
    /// `ipv4` or `ipv6`.
    pub family: String,
    pub address: String,
    pub prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiskUsageResult {
    pub filesystems: Vec<Filesystem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filesystem {
    pub device: String,
    pub mount_point: String,
    pub fs_type: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
    /// Available to unprivileged users.
    pub available_bytes: u64,
    pub total_inodes: u64,
    pub free_inodes: u64,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsResult {
    /// Guest uptime when sampled: the time base for rates.
    pub uptime_secs: f64,
    /// Clock ticks per second of the CPU counters (`USER_HZ`).
    pub ticks_per_sec: u64,
    pub cpu_count: u32,
    /// All CPUs together, in ticks.
    pub cpu: CpuTimes,
    pub memory: MemoryMetrics,
    pub disks: Vec<DiskIo>,
    pub networks: Vec<NetIo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryMetrics {
    pub total_bytes: u64,
    pub free_bytes: u64,
    pub available_bytes: u64,
    pub buffers_bytes: u64,
    pub cached_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_free_bytes: u64,
}

/// One block device from `/proc/diskstats` (partitions and virtual devices left out).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiskIo {
    pub name: String,
    pub reads: u64,
    pub read_bytes: u64,
    pub writes: u64,
    pub written_bytes: u64,
    pub io_time_ms: u64,
}

/// One interface from `/proc/net/dev`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetIo {
    pub name: String,
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessListResult {
    pub processes: Vec<ProcessInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessInfo {
    pub pid: u32,
    pub ppid: u32,
    /// The kernel's short name (`comm`).
    pub name: String,
    /// Arguments, empty for kernel threads; cut at 4 KiB in all.
    pub cmdline: Vec<String>,
    /// One letter: R, S, D, Z, T...
    pub state: String,
    pub uid: u32,
    /// Name from `/etc/passwd`, else the number.
    pub user: String,
    pub rss_bytes: u64,
    /// User plus system CPU time.
    pub cpu_time_ms: u64,
    /// Seconds after boot.
    pub start_time_secs: f64,
    pub threads: u32,
}
