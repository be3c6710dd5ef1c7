//! Parameter and result types of every method, as they appear in `params` and `result`.
//!
//! Parameter structs reject unknown members, so an agent never silently ignores an option a
//! newer client relies on; clients check `get_agent_info` before using newer members.
//! Result structs accept unknown members, so an older client reads a newer agent's replies.
//! Byte strings (file chunks, stdin, command output) are standard base64 with padding.

mod exec;
mod files;
mod system;

pub use exec::{ExecParams, ExecResult};
pub use files::{FileReadParams, FileReadResult, FileWriteParams, FileWriteResult};
pub use system::{
    CpuInfo, CpuTimes, DiskIo, DiskUsageResult, Filesystem, IpAddress, KernelInfo, LoggedInUser,
    MemoryMetrics, MetricsResult, NetIo, NetworkInfoResult, NetworkInterface, OsInfo, ProcessInfo,
    ProcessListResult, SystemInfoResult,
};

use serde::{Deserialize, Serialize};

/// Parameters of methods that take none: `{}`, `null` or no `params` at all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// `ping`'s result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PingResult {
    pub pong: bool,
}

/// `get_agent_info`'s result: who answers and what it lets the host do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// `kvm-guest-agent` for ours.
    pub name: String,
    /// The agent's release, e.g. `0.1.0`.
    pub version: String,
    /// [`crate::protocol::PROTOCOL_NAME`] (carries the major version).
    pub protocol: String,
    /// [`crate::protocol::PROTOCOL_VERSION`] (the minor version).
    pub protocol_version: u32,
    /// `linux`, later `windows`.
    pub os: String,
    /// CPU architecture the agent was built for, e.g. `x86_64`.
    pub arch: String,
    /// Methods this guest allows (all others answer `MethodDisabled` or `MethodNotFound`).
    pub methods: Vec<String>,
    pub capabilities: Capabilities,
}

/// Limits and switches a client needs before it calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    pub max_line_bytes: u64,
    pub max_chunk_bytes: u32,
    pub max_in_flight: u32,
    pub exec_enabled: bool,
    /// Empty when every program may run (exec still needs `exec_enabled`).
    pub exec_allowed_programs: Vec<String>,
    pub max_exec_output_bytes: u64,
    pub max_exec_timeout_secs: u64,
    /// Directories file_read and file_write may reach; empty = no file access.
    pub file_dirs: Vec<String>,
    pub max_file_bytes: u64,
}

/// `shutdown`'s and `reboot`'s result: sent before the guest goes down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerResult {
    /// The agent starts the action this many milliseconds after replying.
    pub delay_ms: u64,
}
