//! Host facts for the dashboard: hostname, driver, versions, CPU topology and memory.

use virt::connect::Connect;

use super::error::BackendError;
use super::types::HostInfo;

/// Decode libvirt's packed version number (major * 1,000,000 + minor * 1,000 + release).
pub fn decode_version(v: u64) -> String {
    format!("{}.{}.{}", v / 1_000_000, (v / 1_000) % 1_000, v % 1_000)
}

/// Read everything [`HostInfo`] holds. Only `node_info` is required; the other facts are
/// best effort (drivers lack some of them) and stay empty or zero when unavailable.
pub fn host_info(conn: &Connect, uri: &str) -> Result<HostInfo, BackendError> {
    let node = conn.node_info().map_err(|e| BackendError::from_virt(&e))?;
    let version = |r: Result<u32, virt::error::Error>| {
        r.map(|v| decode_version(v.into())).unwrap_or_default()
    };
    Ok(HostInfo {
        uri: uri.to_owned(),
        hostname: conn.hostname().unwrap_or_default(),
        hypervisor: conn.driver_type().unwrap_or_default(),
        hypervisor_version: version(conn.hyp_version()),
        libvirt_version: version(conn.lib_version()),
        cpu_model: node.model,
        cpus: node.cpus,
        cpu_mhz: node.mhz,
        sockets: node.sockets,
        cores_per_socket: node.cores,
        threads_per_core: node.threads,
        numa_nodes: node.nodes,
        memory_total_kib: node.memory,
        // virNodeGetFreeMemory answers in bytes.
        memory_free_kib: conn.free_memory().map(|b| b / 1024).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::decode_version;

    #[test]
    fn versions() {
        assert_eq!(decode_version(9_000_000), "9.0.0");
        assert_eq!(decode_version(7_002_013), "7.2.13");
        assert_eq!(decode_version(2), "0.0.2");
    }
}
