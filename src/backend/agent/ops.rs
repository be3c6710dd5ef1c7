//! Each agent request done against one machine ([`Target`]): through our agent where its
//! channel is connected, else through qemu-guest-agent where that is connected and offers
//! the same, saying which answered. These calls block (up to their deadlines): the worker
//! runs them on threads of their own.

use std::sync::Arc;
use std::time::Duration;

use gettextrs::gettext;
use kvm_guest_agent::protocol::limits;
use kvm_guest_agent::protocol::methods::{
    ExecCommand, GetAgentInfo, GetDiskUsage, GetNetworkInfo, GetSystemInfo, ListProcesses, Reboot,
    Shutdown,
};
use kvm_guest_agent::protocol::types::{ExecParams, NoParams};
use kvm_guest_agent::transfer;
use virt::domain::Domain;

use super::channel::{Channels, GuestSide};
use super::client::AgentClient;
use super::error::AgentError;
use super::qga;
use super::{
    AgentKind, AgentStatus, Answered, ExecOutput, ExecRequest, Filesystem, NetworkInterface,
    PowerAction, ProcessInfo, SystemInfoResult,
};
use crate::backend::error::BackendError;

/// How long `Status` waits for our agent's ping.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an information call waits.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(limits::DEFAULT_CALL_TIMEOUT_SECS);
/// A command's own limit when none is given (the guest applies its default, at most this).
const EXEC_DEFAULT_LIMIT_SECS: u64 = 600;

/// One machine as the agent requests need it.
pub struct Target {
    pub name: String,
    pub dom: Domain,
    /// Its channels as libvirt reported them just now.
    pub channels: Channels,
    /// The client of our channel, when the machine runs and the channel has a socket.
    pub client: Option<Arc<AgentClient>>,
}

impl Target {
    fn qga_connected(&self) -> bool {
        self.channels
            .qemu_ga
            .as_ref()
            .is_some_and(|c| c.guest == GuestSide::Connected)
    }

    /// Whether asking qemu-guest-agent may work: its channel is there and libvirt does
    /// not say the guest side is closed (drivers that report no state get a try).
    fn qga_usable(&self) -> bool {
        self.channels
            .qemu_ga
            .as_ref()
            .is_some_and(|c| c.guest != GuestSide::Disconnected)
    }

    /// Our client, when calling it can work; else why not.
    fn ours(&self) -> Result<&AgentClient, AgentError> {
        let Some(channel) = &self.channels.agent else {
            return Err(AgentError::NoChannel);
        };
        if channel.guest == GuestSide::Disconnected {
            return Err(AgentError::GuestNotListening);
        }
        self.client
            .as_deref()
            .ok_or_else(|| AgentError::Connect(gettext("the machine is not running")))
    }
}

/// Whether our agent answers, else qemu-guest-agent is connected, else why neither.
pub fn status(t: &Target) -> AgentStatus {
    let fallback = |other: AgentStatus| {
        if t.qga_connected() {
            AgentStatus::QemuGuestAgent
        } else {
            other
        }
    };
    let client = match t.ours() {
        Ok(c) => c,
        Err(AgentError::NoChannel) => return fallback(AgentStatus::NoChannel),
        Err(_) => return fallback(AgentStatus::NotConnected),
    };
    let answer = client.ping(STATUS_TIMEOUT).and_then(|rtt| {
        Ok((
            rtt,
            client.call::<GetAgentInfo>(&NoParams {}, STATUS_TIMEOUT)?,
        ))
    });
    match answer {
        Ok((rtt, info)) => AgentStatus::Connected {
            info: Box::new(info),
            rtt,
        },
        Err(AgentError::Connect(_)) => fallback(AgentStatus::NotConnected),
        Err(e) => fallback(AgentStatus::Error(
            e.to_backend(&gettext("Reaching the guest agent")),
        )),
    }
}

/// The same request answered by qemu-guest-agent through libvirt.
type QgaCall<'a, T> = &'a dyn Fn(&Domain) -> Result<T, BackendError>;

/// Ours when it can answer; qemu-guest-agent's (where `qga` is given) when ours cannot
/// be reached at all. An error from our agent itself is not hidden by a fallback.
fn either<T>(
    t: &Target,
    what: &str,
    ours: impl FnOnce(&AgentClient) -> Result<T, AgentError>,
    qga: Option<QgaCall<T>>,
) -> Result<Answered<T>, BackendError> {
    let err = match t.ours().and_then(ours) {
        Ok(value) => {
            return Ok(Answered {
                agent: AgentKind::Ours,
                value,
            })
        }
        Err(e @ (AgentError::Remote(_) | AgentError::Protocol(_))) => {
            return Err(e.to_backend(what))
        }
        Err(e) => e,
    };
    match qga {
        Some(f) if t.qga_usable() => f(&t.dom)
            .map(|value| Answered {
                agent: AgentKind::QemuGuestAgent,
                value,
            })
            .map_err(|e| AgentError::Libvirt(e).to_backend(what)),
        _ => Err(err.to_backend(what)),
    }
}

pub fn system_info(t: &Target) -> Result<Answered<SystemInfoResult>, BackendError> {
    either(
        t,
        &gettext("Reading the guest's system information"),
        |c| c.call::<GetSystemInfo>(&NoParams {}, CALL_TIMEOUT),
        Some(&qga::system_info),
    )
}

pub fn network_info(t: &Target) -> Result<Answered<Vec<NetworkInterface>>, BackendError> {
    either(
        t,
        &gettext("Reading the guest's network addresses"),
        |c| {
            Ok(c.call::<GetNetworkInfo>(&NoParams {}, CALL_TIMEOUT)?
                .interfaces)
        },
        Some(&qga::interfaces),
    )
}

pub fn disk_usage(t: &Target) -> Result<Answered<Vec<Filesystem>>, BackendError> {
    either(
        t,
        &gettext("Reading the guest's filesystems"),
        |c| {
            Ok(c.call::<GetDiskUsage>(&NoParams {}, CALL_TIMEOUT)?
                .filesystems)
        },
        Some(&qga::filesystems),
    )
}

pub fn processes(t: &Target) -> Result<Vec<ProcessInfo>, BackendError> {
    either(
        t,
        &gettext("Listing the guest's processes"),
        |c| {
            Ok(c.call::<ListProcesses>(&NoParams {}, CALL_TIMEOUT)?
                .processes)
        },
        None,
    )
    .map(|a| a.value)
}

/// Runs a program through our agent (qemu-guest-agent's exec is not offered: it has no
/// allow-list the guest's administrator controls).
pub fn exec(t: &Target, req: &ExecRequest) -> Result<ExecOutput, BackendError> {
    let what = gettext("Running the command");
    let run = |c: &AgentClient| {
        let params = ExecParams {
            argv: req.argv.clone(),
            env: req.env.clone(),
            stdin: req.stdin.as_deref().map(transfer::encode),
            cwd: req.cwd.clone(),
            timeout_secs: req.timeout_secs,
            ..Default::default()
        };
        let limit = req.timeout_secs.unwrap_or(EXEC_DEFAULT_LIMIT_SECS);
        let wait = Duration::from_secs(limit.saturating_add(limits::DEFAULT_CALL_TIMEOUT_SECS));
        let r = c.call::<ExecCommand>(&params, wait)?;
        let bytes = |s: &str| transfer::decode(s).map_err(|e| AgentError::Protocol(e.message));
        Ok(ExecOutput {
            exit_code: r.exit_code,
            signal: r.signal,
            stdout: bytes(&r.stdout)?,
            stderr: bytes(&r.stderr)?,
            duration: Duration::from_millis(r.duration_ms),
        })
    };
    either(t, &what, run, None).map(|a| a.value)
}

/// Shut down or reboot: ours, else qemu-guest-agent's through libvirt.
pub fn power(t: &Target, action: PowerAction) -> Result<AgentKind, BackendError> {
    let what = match action {
        PowerAction::Shutdown => gettext("Shutting down through the guest agent"),
        PowerAction::Reboot => gettext("Rebooting through the guest agent"),
    };
    let ours = |c: &AgentClient| match action {
        PowerAction::Shutdown => c.call::<Shutdown>(&NoParams {}, CALL_TIMEOUT).map(drop),
        PowerAction::Reboot => c.call::<Reboot>(&NoParams {}, CALL_TIMEOUT).map(drop),
    };
    let qga = move |d: &Domain| match action {
        PowerAction::Shutdown => qga::shutdown(d),
        PowerAction::Reboot => qga::reboot(d),
    };
    either(t, &what, ours, Some(&qga)).map(|a| a.agent)
}
