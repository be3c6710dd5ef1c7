//! Resource rates for the monitoring features: what one stats tick of a host says.
//!
//! A sampler thread per connection ([`sampler`]) calls the bulk stats API once per tick
//! (1 s while a chart is on screen, the collection interval otherwise; a tick still running
//! when the next is due is skipped, not queued), turns two raw samples into rates
//! ([`rates`]: CPU %, bytes/s, with counter resets and missing values handled) and reads the
//! host's own CPU and memory ([`node`]). The worker forwards each [`MetricsTick`] to the UI as
//! [`crate::backend::Event::Metrics`]; the history store and the alert evaluator
//! (`services::metrics`, `services::alerts`) consume its `collected` snapshots.

pub mod node;
pub mod rates;
pub mod sampler;

pub use sampler::MetricsCommand;

use super::types::VmState;

/// The figures of one subject (a VM or the host) over one interval. Each is `None` when the
/// driver, the guest or the interval did not give it (the first sample of a VM, a counter
/// that went backwards after a restart, a guest without a balloon driver...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rates {
    /// CPU use in percent of the subject's own CPUs (a VM's vCPUs; the host's CPUs), 0–100.
    pub cpu_pct: Option<f64>,
    /// Memory in use, bytes (a VM: what the guest uses per its balloon driver, else the
    /// QEMU process's resident size; the host: total minus free, buffers and cache).
    pub mem_used: Option<u64>,
    /// Memory available to the subject, bytes (a VM: what the guest sees, else its current
    /// allocation; the host: its total memory).
    pub mem_total: Option<u64>,
    /// Bytes per second read from / written to all disks together.
    pub disk_read: Option<f64>,
    pub disk_write: Option<f64>,
    /// Bytes per second received / sent by all interfaces together (the guest's view).
    pub net_rx: Option<f64>,
    pub net_tx: Option<f64>,
}

/// One VM's rates.
#[derive(Debug, Clone, PartialEq)]
pub struct VmRates {
    /// Canonical lower-case UUID.
    pub uuid: String,
    pub name: String,
    pub state: VmState,
    /// vCPUs the VM has (for CPU % and the insights' suggested sizes).
    pub vcpus: u32,
    pub rates: Rates,
}

/// Everything a host said at one moment, as rates over the interval before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Wall-clock Unix time in seconds when the sample was taken (for history; rates
    /// themselves are computed on the monotonic clock, so a clock jump does not skew them).
    pub at: i64,
    /// Length of the interval the rates cover, in seconds.
    pub interval_secs: f64,
    pub host: Rates,
    /// Running (and paused) VMs only; a VM that is off has no rates.
    pub vms: Vec<VmRates>,
}

/// One tick of the sampler.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsTick {
    /// Rates since the previous tick: for live charts and the machines list.
    pub live: Snapshot,
    /// Once per collection interval: rates averaged over the whole interval since the last
    /// collection (exact averages, from the cumulative counters): what history stores and
    /// alerts evaluate.
    pub collected: Option<Snapshot>,
}

/// A metric as charts, history and alerts name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    Cpu,
    MemUsed,
    MemTotal,
    DiskRead,
    DiskWrite,
    NetRx,
    NetTx,
}

impl Metric {
    /// Every metric, in storage and chart order.
    pub const ALL: [Metric; 7] = [
        Metric::Cpu,
        Metric::MemUsed,
        Metric::MemTotal,
        Metric::DiskRead,
        Metric::DiskWrite,
        Metric::NetRx,
        Metric::NetTx,
    ];

    /// The value of this metric in `r` (bytes as f64).
    pub fn of(self, r: &Rates) -> Option<f64> {
        match self {
            Metric::Cpu => r.cpu_pct,
            Metric::MemUsed => r.mem_used.map(|v| v as f64),
            Metric::MemTotal => r.mem_total.map(|v| v as f64),
            Metric::DiskRead => r.disk_read,
            Metric::DiskWrite => r.disk_write,
            Metric::NetRx => r.net_rx,
            Metric::NetTx => r.net_tx,
        }
    }

    /// Stable name for storage and logs ("cpu", "mem_used"...).
    pub fn key(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::MemUsed => "mem_used",
            Metric::MemTotal => "mem_total",
            Metric::DiskRead => "disk_read",
            Metric::DiskWrite => "disk_write",
            Metric::NetRx => "net_rx",
            Metric::NetTx => "net_tx",
        }
    }
}
