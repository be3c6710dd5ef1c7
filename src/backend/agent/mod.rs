//! Guest agents: ours (kvm-guest-agent, over a virtio-serial channel) and, where ours is
//! absent, qemu-guest-agent through libvirt.
//!
//! - [`channel`]: the agent channels in a domain's live XML (socket path, guest side's
//!   state); the channel device to add, and adding it to a machine.
//! - [`client`]: [`AgentClient`], a blocking, bounded JSON-RPC client over the channel's
//!   UNIX socket (replies matched by id, per-call deadlines, reconnect on the next call).
//! - [`files`]: uploads and downloads, pipelined, with progress, cancel and SHA-256.
//! - [`qga`]: qemu-guest-agent's addresses, OS info, filesystems and power through libvirt.
//! - [`ops`]: each request of the worker done against one machine, choosing the agent.
//! - [`timing`]: throughput and ping round-trip measurements.
//! - [`error`]: [`AgentError`] and its translation into a [`BackendError`] for the user.
//!
//! The worker (`worker_agent`) answers [`AgentCommand`]s with [`AgentEvent`]s; every
//! call to a guest runs on a thread of its own, so a slow or hostile guest never holds up
//! the worker. It keeps one client per running machine, dropped when the machine stops.

pub mod channel;
pub mod client;
pub mod error;
pub mod files;
pub mod ops;
pub mod qga;
pub mod timing;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub use channel::{ChannelInfo, Channels, GuestSide};
pub use client::{AgentClient, ClientOptions, ClientStats};
pub use error::AgentError;
pub use files::{TransferOptions, TransferSummary};
pub use kvm_guest_agent::protocol::types::{
    AgentInfo, Filesystem, IpAddress, NetworkInterface, ProcessInfo, SystemInfoResult,
};

use super::edit::Applied;
use super::error::BackendError;

/// Which agent answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentKind {
    /// kvm-guest-agent, over our channel.
    Ours,
    /// qemu-guest-agent, through libvirt (fields it does not report are empty or zero).
    QemuGuestAgent,
}

/// A result with the agent that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered<T> {
    pub agent: AgentKind,
    pub value: T,
}

/// What can be said about a machine's agents now.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentStatus {
    /// Neither our channel nor a connected qemu-guest-agent: offer to add the channel.
    NoChannel,
    /// Our channel is there but nothing in the guest answers on it (machine stopped,
    /// agent not installed or not running).
    NotConnected,
    /// Our agent answers.
    Connected { info: Box<AgentInfo>, rtt: Duration },
    /// Our agent does not answer (or the channel is missing) but qemu-guest-agent is
    /// connected: what it offers goes through libvirt.
    QemuGuestAgent,
    /// Our channel is connected but talking to it failed.
    Error(BackendError),
}

/// A program to run in the guest (never through a shell).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRequest {
    /// Program (absolute, or a bare name looked up in the guest's fixed path) and
    /// its arguments.
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Bytes for its standard input.
    pub stdin: Option<Vec<u8>>,
    /// Absolute working directory in the guest.
    pub cwd: Option<String>,
    /// Seconds before the guest kills it (the guest's default when `None`).
    pub timeout_secs: Option<u64>,
}

/// How the program ended and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub duration: Duration,
}

/// Which way a file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Host to guest.
    Upload,
    /// Guest to host.
    Download,
}

/// Shut down or reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowerAction {
    Shutdown,
    Reboot,
}

/// Guest-agent requests (handled by the worker in `worker_agent`). `request` numbers are
/// the caller's, echoed in the answer; `transfer` numbers name a transfer for progress
/// and [`AgentCommand::Cancel`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentCommand {
    /// Which agent answers: [`AgentEvent::Status`].
    Status { uuid: String, request: u64 },
    /// OS, kernel, hostname, CPU, memory, users: [`AgentEvent::SystemInfo`].
    SystemInfo { uuid: String, request: u64 },
    /// Interfaces and addresses: [`AgentEvent::NetworkInfo`].
    NetworkInfo { uuid: String, request: u64 },
    /// Filesystems and their use: [`AgentEvent::DiskUsage`].
    DiskUsage { uuid: String, request: u64 },
    /// Processes (our agent only): [`AgentEvent::Processes`].
    Processes { uuid: String, request: u64 },
    /// Run a program (our agent only): [`AgentEvent::Exec`].
    Exec {
        uuid: String,
        request: u64,
        exec: ExecRequest,
    },
    /// Copy a host file into the guest: [`AgentEvent::Progress`]..., then
    /// [`AgentEvent::TransferDone`].
    Upload {
        uuid: String,
        transfer: u64,
        local: PathBuf,
        remote: String,
        overwrite: bool,
    },
    /// Copy a guest file to the host (same events as `Upload`).
    Download {
        uuid: String,
        transfer: u64,
        remote: String,
        local: PathBuf,
        overwrite: bool,
    },
    /// Stop a transfer; it ends with `TransferDone` and a cancelled error.
    Cancel { transfer: u64 },
    /// Shut down or reboot through our agent, else qemu-guest-agent: [`AgentEvent::Power`].
    Power {
        uuid: String,
        request: u64,
        action: PowerAction,
    },
    /// Add our channel to the machine: [`AgentEvent::ChannelAdded`].
    AddChannel { uuid: String, request: u64 },
}

/// Answers to [`AgentCommand`]s.
// Moved to the UI once each, like `Event`; boxing the system information would only
// make the UI's matches longer.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    Status {
        uuid: String,
        request: u64,
        status: AgentStatus,
    },
    SystemInfo {
        uuid: String,
        request: u64,
        result: Result<Answered<SystemInfoResult>, BackendError>,
    },
    NetworkInfo {
        uuid: String,
        request: u64,
        result: Result<Answered<Vec<NetworkInterface>>, BackendError>,
    },
    DiskUsage {
        uuid: String,
        request: u64,
        result: Result<Answered<Vec<Filesystem>>, BackendError>,
    },
    Processes {
        uuid: String,
        request: u64,
        result: Result<Vec<ProcessInfo>, BackendError>,
    },
    Exec {
        uuid: String,
        request: u64,
        result: Result<ExecOutput, BackendError>,
    },
    /// Bytes copied so far of `total`, at most ten times a second.
    Progress {
        uuid: String,
        transfer: u64,
        direction: Direction,
        done: u64,
        total: u64,
    },
    /// The end of a transfer; `message` is the sentence for a toast.
    TransferDone {
        uuid: String,
        transfer: u64,
        direction: Direction,
        message: String,
        result: Result<TransferSummary, BackendError>,
    },
    Power {
        uuid: String,
        request: u64,
        action: PowerAction,
        result: Result<AgentKind, BackendError>,
    },
    /// `Ok` says when the channel takes effect (now, or from the next start).
    ChannelAdded {
        uuid: String,
        request: u64,
        result: Result<Applied, BackendError>,
    },
}
