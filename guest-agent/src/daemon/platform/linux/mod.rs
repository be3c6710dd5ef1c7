//! Linux: `/proc`, `/sys`, `/etc/os-release`, utmp, `getifaddrs`, `openat2` and process
//! groups.

pub mod beneath;
pub mod disks;
pub mod exec;
pub mod metrics;
pub mod network;
pub mod power;
pub mod processes;
pub mod service;
pub mod sysinfo;
pub mod transport;

use crate::daemon::dispatch::io_error;
use kvm_guest_agent::protocol::RpcError;

/// A text file from `/proc`, `/sys` or `/etc`, as a protocol error when unreadable.
pub(crate) fn read_text(path: &str) -> Result<String, RpcError> {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| io_error(e, path))
}

/// `sysconf(name)`, or `fallback` when the system does not say.
pub(crate) fn sysconf(name: libc::c_int, fallback: u64) -> u64 {
    // SAFETY: sysconf only reads a system constant.
    let v = unsafe { libc::sysconf(name) };
    if v > 0 {
        v as u64
    } else {
        fallback
    }
}

/// The `Key:   123 kB` lines of `/proc/meminfo` as bytes.
pub(crate) fn meminfo(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn meminfo_values_are_bytes() {
        let text = "MemTotal:       16303828 kB\nMemFree:  100 kB\nSwapTotal: 0 kB\n";
        assert_eq!(super::meminfo(text, "MemTotal"), 16303828 * 1024);
        assert_eq!(super::meminfo(text, "MemFree"), 102400);
        assert_eq!(super::meminfo(text, "Mem"), 0);
        assert_eq!(super::meminfo(text, "Cached"), 0);
    }
}
