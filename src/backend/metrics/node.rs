//! The host's own CPU and memory counters (`virNodeGetCPUStats`, `virNodeGetMemoryStats`,
//! through `virt::sys`: the safe crate lacks both).
//!
//! CPU figures are cumulative nanoseconds over all host CPUs; [`super::rates`] turns two
//! readings into a percentage. Drivers that do not offer a call (libvirt's test driver has
//! no memory stats) give `None` for that part: the sampler goes on without it.

use std::os::raw::c_int;

use virt::connect::Connect;
use virt::sys;

use crate::backend::error::BackendError;

/// Cumulative CPU time of all host CPUs together, in nanoseconds, as Linux reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub kernel: u64,
    pub idle: u64,
    pub iowait: u64,
}

impl CpuTimes {
    /// From `virNodeGetCPUStats`'s `field = value` list; `None` without the user, kernel
    /// and idle fields (platforms that report only a utilization figure).
    pub fn from_fields(fields: &[(String, u64)]) -> Option<CpuTimes> {
        let get = |name: &str| fields.iter().find(|(f, _)| f == name).map(|(_, v)| *v);
        Some(CpuTimes {
            user: get("user")?,
            kernel: get("kernel")?,
            idle: get("idle")?,
            iowait: get("iowait").unwrap_or(0),
        })
    }

    /// Time spent working (user and kernel).
    pub fn busy(&self) -> u64 {
        self.user.saturating_add(self.kernel)
    }

    /// Time spent idle (idle and waiting for I/O).
    pub fn idle_total(&self) -> u64 {
        self.idle.saturating_add(self.iowait)
    }
}

/// Host memory in KiB (`virNodeGetMemoryStats` over all NUMA cells).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeMemory {
    pub total_kib: u64,
    pub free_kib: u64,
    pub buffers_kib: u64,
    pub cached_kib: u64,
}

impl NodeMemory {
    /// From `virNodeGetMemoryStats`'s `field = value` list; `None` without total and free.
    pub fn from_fields(fields: &[(String, u64)]) -> Option<NodeMemory> {
        let get = |name: &str| fields.iter().find(|(f, _)| f == name).map(|(_, v)| *v);
        Some(NodeMemory {
            total_kib: get("total")?,
            free_kib: get("free")?,
            buffers_kib: get("buffers").unwrap_or(0),
            cached_kib: get("cached").unwrap_or(0),
        })
    }

    /// Memory in use: total minus free, buffers and page cache, in bytes.
    pub fn used_bytes(&self) -> u64 {
        self.total_kib
            .saturating_sub(self.free_kib)
            .saturating_sub(self.buffers_kib)
            .saturating_sub(self.cached_kib)
            .saturating_mul(1024)
    }
}

/// What the host said about itself at one moment; a part the driver refused is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSample {
    pub cpu: Option<CpuTimes>,
    pub memory: Option<NodeMemory>,
}

/// Read both calls; failures are logged (at debug level: a driver without them fails the
/// same way every tick) and leave that part `None`.
pub fn read(conn: &Connect) -> NodeSample {
    let cpu = match cpu_fields(conn) {
        Ok(f) => CpuTimes::from_fields(&f),
        Err(e) => {
            log::debug!("host CPU stats: {e}");
            None
        }
    };
    let memory = match memory_fields(conn) {
        Ok(f) => NodeMemory::from_fields(&f),
        Err(e) => {
            log::debug!("host memory stats: {e}");
            None
        }
    };
    NodeSample { cpu, memory }
}

/// One `virNodeCPUStats` / `virNodeMemoryStats` entry (the two structs are laid out alike).
fn field_of(raw: &[std::os::raw::c_char; 80]) -> String {
    // The array is NUL-terminated by libvirt; a missing NUL would yield an empty name.
    let bytes: Vec<u8> = raw
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn last_error() -> BackendError {
    BackendError::from_virt(&virt::error::Error::last_error())
}

/// `virNodeGetCPUStats` for all CPUs: first the count, then the values.
fn cpu_fields(conn: &Connect) -> Result<Vec<(String, u64)>, BackendError> {
    let all = sys::VIR_NODE_CPU_STATS_ALL_CPUS as c_int;
    let mut n: c_int = 0;
    // SAFETY: valid connection; a NULL array with nparams 0 asks for the count only.
    if unsafe { sys::virNodeGetCPUStats(conn.as_ptr(), all, std::ptr::null_mut(), &mut n, 0) } < 0 {
        return Err(last_error());
    }
    let mut params = vec![
        sys::virNodeCPUStats {
            field: [0; 80],
            value: 0
        };
        n.max(0) as usize
    ];
    // SAFETY: `params` has room for `n` entries, which libvirt fills.
    if unsafe { sys::virNodeGetCPUStats(conn.as_ptr(), all, params.as_mut_ptr(), &mut n, 0) } < 0 {
        return Err(last_error());
    }
    params.truncate(n.max(0) as usize);
    Ok(params
        .iter()
        .map(|p| (field_of(&p.field), p.value))
        .collect())
}

/// `virNodeGetMemoryStats` over all cells: first the count, then the values.
fn memory_fields(conn: &Connect) -> Result<Vec<(String, u64)>, BackendError> {
    let all = sys::VIR_NODE_MEMORY_STATS_ALL_CELLS as c_int;
    let mut n: c_int = 0;
    // SAFETY: valid connection; a NULL array with nparams 0 asks for the count only.
    let rc =
        unsafe { sys::virNodeGetMemoryStats(conn.as_ptr(), all, std::ptr::null_mut(), &mut n, 0) };
    if rc < 0 {
        return Err(last_error());
    }
    let mut params = vec![
        sys::virNodeMemoryStats {
            field: [0; 80],
            value: 0
        };
        n.max(0) as usize
    ];
    // SAFETY: `params` has room for `n` entries, which libvirt fills.
    let rc =
        unsafe { sys::virNodeGetMemoryStats(conn.as_ptr(), all, params.as_mut_ptr(), &mut n, 0) };
    if rc < 0 {
        return Err(last_error());
    }
    params.truncate(n.max(0) as usize);
    Ok(params
        .iter()
        .map(|p| (field_of(&p.field), p.value))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn cpu_fields_parse() {
        let c = CpuTimes::from_fields(&f(&[
            ("kernel", 30),
            ("user", 10),
            ("idle", 100),
            ("iowait", 5),
        ]))
        .unwrap();
        assert_eq!((c.busy(), c.idle_total()), (40, 105));
        assert_eq!(CpuTimes::from_fields(&f(&[("utilization", 12)])), None);
    }

    #[test]
    fn memory_used_leaves_out_cache() {
        let m = NodeMemory::from_fields(&f(&[
            ("total", 1000),
            ("free", 100),
            ("buffers", 50),
            ("cached", 250),
        ]))
        .unwrap();
        assert_eq!(m.used_bytes(), 600 * 1024);
        assert_eq!(NodeMemory::from_fields(&f(&[("total", 1)])), None);
        // Figures that do not add up never underflow.
        let odd = NodeMemory {
            total_kib: 10,
            free_kib: 20,
            ..NodeMemory::default()
        };
        assert_eq!(odd.used_bytes(), 0);
    }
}
