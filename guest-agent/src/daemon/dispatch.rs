//! From a decoded [`Call`] to its result: the method switch, per-call timeouts, and the
//! translation of operating-system errors into protocol errors.

use super::{files, platform, State};
use kvm_guest_agent::protocol::types::{AgentInfo, Capabilities, PingResult, PowerResult};
use kvm_guest_agent::protocol::{limits, Call, ErrorCode, MethodName, RpcError};
use kvm_guest_agent::protocol::{PROTOCOL_NAME, PROTOCOL_VERSION};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A method's result. A file chunk's base64 stays out of the JSON value: the server writes
/// it into the reply line as is (base64 needs no escaping), which saves a copy and
/// serde_json's per-byte escape scan of every chunk (15 % of a download's CPU).
pub struct Output {
    pub value: Value,
    pub data: Option<String>,
}

impl From<Value> for Output {
    fn from(value: Value) -> Self {
        Output { value, data: None }
    }
}

/// Runs `call` if this guest allows it.
pub async fn dispatch(state: &Arc<State>, call: Call) -> Result<Output, RpcError> {
    let name = call.name();
    if !state.settings.enabled(name) {
        let s = &state.settings;
        let why = match name {
            MethodName::ExecCommand if !s.config.exec.enabled => {
                "exec is disabled in this guest (exec.enabled in the agent's config.json)".into()
            }
            MethodName::FileRead | MethodName::FileWrite if s.file_dirs.is_empty() => {
                "file access is disabled in this guest (files.allowed_dirs in the agent's config.json)".into()
            }
            _ => format!("{name} is disabled in this guest's agent configuration"),
        };
        return Err(RpcError::new(ErrorCode::MethodDisabled, why));
    }
    // exec_command keeps its own (per-call) timeout. File calls get none: their blocking
    // work cannot be cancelled, and a Timeout reply for a write that then completes would
    // tell the host the opposite of what happened; their size limits bound them instead.
    match call {
        Call::ExecCommand(params) => {
            return json(platform::exec::run(&state.settings, params).await?).map(Output::from)
        }
        Call::FileRead(p) => {
            let mut result = files::read(state, p).await?;
            let data = std::mem::take(&mut result.data);
            return Ok(Output {
                value: json(result)?,
                data: Some(data),
            });
        }
        Call::FileWrite(p) => return json(files::write(state, p).await?).map(Output::from),
        _ => {}
    }
    let limit = Duration::from_secs(state.settings.config.call_timeout_secs);
    tokio::time::timeout(limit, run(state, call))
        .await
        .unwrap_or_else(|_| {
            Err(RpcError::new(
                ErrorCode::Timeout,
                format!("{name} timed out"),
            ))
        })
        .map(Output::from)
}

async fn run(state: &Arc<State>, call: Call) -> Result<Value, RpcError> {
    match call {
        Call::Ping(_) => json(PingResult { pong: true }),
        Call::GetAgentInfo(_) => json(agent_info(state)),
        Call::GetSystemInfo(_) => json(blocking(platform::sysinfo::system_info).await?),
        Call::GetNetworkInfo(_) => json(blocking(platform::network::network_info).await?),
        Call::GetDiskUsage(_) => json(blocking(platform::disks::disk_usage).await?),
        Call::GetMetrics(_) => json(blocking(platform::metrics::metrics).await?),
        Call::ListProcesses(_) => json(blocking(platform::processes::list).await?),
        Call::Shutdown(_) => json(power(state, false)),
        Call::Reboot(_) => json(power(state, true)),
        Call::ExecCommand(_) | Call::FileRead(_) | Call::FileWrite(_) => {
            unreachable!("handled before the timeout")
        }
    }
}

/// The short detail for the audit log: the program or path, never contents or arguments.
pub fn detail(call: &Call) -> String {
    match call {
        Call::ExecCommand(p) => format!(
            "{} ({} args)",
            p.argv.first().map_or("", String::as_str),
            p.argv.len().saturating_sub(1)
        ),
        Call::FileRead(p) => transfer_detail(&p.path, p.transfer, p.offset),
        Call::FileWrite(p) => transfer_detail(&p.path, p.transfer, p.offset),
        _ => String::new(),
    }
}

fn transfer_detail(path: &Option<String>, transfer: Option<u64>, offset: u64) -> String {
    match (path, transfer) {
        (Some(path), _) => format!("{path} @{offset}"),
        (None, Some(t)) => format!("transfer {t} @{offset}"),
        (None, None) => String::new(),
    }
}

pub fn agent_info(state: &State) -> AgentInfo {
    let s = &state.settings;
    let methods = MethodName::ALL
        .into_iter()
        .filter(|m| s.enabled(*m))
        .map(|m| m.as_str().to_string())
        .collect();
    let paths = |v: &[std::path::PathBuf]| v.iter().map(|p| p.display().to_string()).collect();
    AgentInfo {
        name: "kvm-guest-agent".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        protocol: PROTOCOL_NAME.into(),
        protocol_version: PROTOCOL_VERSION,
        os: std::env::consts::OS.into(),
        arch: std::env::consts::ARCH.into(),
        methods,
        capabilities: Capabilities {
            max_line_bytes: limits::MAX_LINE_BYTES as u64,
            max_chunk_bytes: limits::MAX_FILE_CHUNK_BYTES,
            max_in_flight: limits::MAX_IN_FLIGHT as u32,
            exec_enabled: s.enabled(MethodName::ExecCommand),
            exec_allowed_programs: s.programs.as_deref().map(paths).unwrap_or_default(),
            max_exec_output_bytes: s.config.exec.max_output_bytes,
            max_exec_timeout_secs: s.config.exec.max_timeout_secs,
            file_dirs: paths(&s.file_dirs),
            max_file_bytes: s.config.files.max_file_bytes,
        },
    }
}

fn power(state: &State, reboot: bool) -> PowerResult {
    let power = &state.settings.config.power;
    let command = if reboot {
        &power.reboot_command
    } else {
        &power.shutdown_command
    };
    platform::power::schedule(
        command.clone(),
        reboot,
        Duration::from_millis(power.delay_ms),
    );
    PowerResult {
        delay_ms: power.delay_ms,
    }
}

pub fn json<T: Serialize>(value: T) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))
}

/// Runs blocking file-system work off the event loop.
pub async fn blocking<T, F>(f: F) -> Result<T, RpcError>
where
    F: FnOnce() -> Result<T, RpcError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))?
}

/// An operating-system error as a protocol error; `what` names the object.
pub fn io_error(e: std::io::Error, what: &str) -> RpcError {
    use std::io::ErrorKind;
    let code = match e.kind() {
        ErrorKind::NotFound => ErrorCode::NotFound,
        ErrorKind::PermissionDenied => ErrorCode::PermissionDenied,
        ErrorKind::AlreadyExists => ErrorCode::AlreadyExists,
        _ if e.raw_os_error() == Some(libc::EXDEV) || e.raw_os_error() == Some(libc::ELOOP) => {
            ErrorCode::PermissionDenied
        }
        _ => ErrorCode::Io,
    };
    RpcError::new(code, format!("{what}: {e}"))
}
