//! `exec_command`: one program, an argument vector, no shell, in its own process group so
//! a timeout or an output overflow kills everything it started.

use crate::daemon::config::Settings;
use kvm_guest_agent::protocol::types::{ExecParams, ExecResult};
use kvm_guest_agent::protocol::{limits, ErrorCode, RpcError};
use kvm_guest_agent::transfer;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

pub async fn run(settings: &Settings, p: ExecParams) -> Result<ExecResult, RpcError> {
    let cfg = &settings.config.exec;
    let invalid = |m: &str| RpcError::new(ErrorCode::InvalidParams, m);
    let Some(arg0) = p.argv.first() else {
        return Err(invalid("argv must name a program"));
    };
    if p.argv.iter().any(|a| a.contains('\0')) {
        return Err(invalid("argv must not contain NUL"));
    }
    let program = resolve(arg0, &cfg.search_path)?;
    let canonical = program
        .canonicalize()
        .map_err(|e| RpcError::new(ErrorCode::NotFound, format!("{arg0}: {e}")))?;
    if let Some(allowed) = &settings.programs {
        if !allowed.contains(&canonical) {
            return Err(RpcError::new(
                ErrorCode::PermissionDenied,
                format!(
                    "{} is not in this guest's exec allow-list",
                    canonical.display()
                ),
            ));
        }
    }
    let env_set = !p.env.is_empty() || p.clear_env;
    if settings.programs.is_some() && !cfg.allow_env && env_set {
        return Err(RpcError::new(
            ErrorCode::PermissionDenied,
            "this guest's exec allow-list does not let callers change the environment",
        ));
    }
    if p.cwd
        .as_deref()
        .is_some_and(|c| !Path::new(c).is_absolute())
    {
        return Err(invalid("cwd must be an absolute path"));
    }
    let timeout = p.timeout_secs.unwrap_or(cfg.default_timeout_secs);
    if timeout == 0 {
        return Err(invalid("timeout_secs must be at least 1"));
    }
    let timeout = Duration::from_secs(timeout.min(cfg.max_timeout_secs));
    let max_output = p
        .max_output_bytes
        .unwrap_or(cfg.max_output_bytes)
        .min(cfg.max_output_bytes);
    let stdin = match &p.stdin {
        Some(text) if transfer::decoded_len(text) > limits::MAX_EXEC_STDIN_BYTES => {
            return Err(RpcError::new(ErrorCode::TooLarge, "stdin over its limit"));
        }
        Some(text) => Some(transfer::decode(text)?),
        None => None,
    };

    let mut command = Command::new(&canonical);
    command
        .arg0(arg0)
        .args(&p.argv[1..])
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if p.clear_env {
        command.env_clear();
    }
    command.envs(&p.env);
    command.current_dir(p.cwd.as_deref().unwrap_or("/"));

    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| RpcError::new(ErrorCode::ExecFailed, format!("{arg0}: {e}")))?;
    let pgid = child.id().map(|id| id as libc::pid_t);
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // The program may not read it all; a broken pipe is its business.
        tokio::spawn(async move {
            let _ = pipe.write_all(&bytes).await;
        });
    }
    let out = child.stdout.take().expect("stdout is piped");
    let err = child.stderr.take().expect("stderr is piped");
    let work = async {
        tokio::try_join!(
            read_limited(out, max_output, "stdout"),
            read_limited(err, max_output, "stderr"),
            async {
                child
                    .wait()
                    .await
                    .map_err(|e| RpcError::new(ErrorCode::Io, e.to_string()))
            }
        )
    };
    let outcome = tokio::time::timeout(timeout, work).await;
    let (stdout, stderr, status) = match outcome {
        Ok(Ok(done)) => done,
        failed => {
            kill_group(pgid);
            let _ = child.wait().await;
            return Err(match failed {
                Err(_) => RpcError::new(
                    ErrorCode::Timeout,
                    format!(
                        "{arg0} ran longer than {} s and was killed",
                        timeout.as_secs()
                    ),
                ),
                Ok(Err(e)) => e,
                Ok(Ok(_)) => unreachable!(),
            });
        }
    };
    Ok(ExecResult {
        exit_code: status.code(),
        signal: status.signal(),
        stdout: transfer::encode(&stdout),
        stderr: transfer::encode(&stderr),
        duration_ms: start.elapsed().as_millis() as u64,
    })
}

/// `argv[0]` as a path: absolute as given, a bare name from the fixed search path.
fn resolve(arg0: &str, search_path: &str) -> Result<PathBuf, RpcError> {
    if arg0.contains('/') {
        if !arg0.starts_with('/') {
            return Err(RpcError::new(
                ErrorCode::InvalidParams,
                "a program path must be absolute",
            ));
        }
        return Ok(PathBuf::from(arg0));
    }
    search_path
        .split(':')
        .map(|dir| Path::new(dir).join(arg0))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| {
            RpcError::new(
                ErrorCode::NotFound,
                format!("{arg0}: not found in {search_path}"),
            )
        })
}

async fn read_limited(
    mut pipe: impl AsyncRead + Unpin,
    limit: u64,
    stream: &str,
) -> Result<Vec<u8>, RpcError> {
    let mut out = Vec::new();
    let mut limited = (&mut pipe).take(limit + 1);
    limited
        .read_to_end(&mut out)
        .await
        .map_err(|e| RpcError::new(ErrorCode::Io, format!("{stream}: {e}")))?;
    if out.len() as u64 > limit {
        return Err(RpcError::new(
            ErrorCode::TooLarge,
            format!("{stream} passed {limit} bytes; the command was killed"),
        )
        .with_data(json!({ "stream": stream, "limit": limit })));
    }
    Ok(out)
}

fn kill_group(pgid: Option<libc::pid_t>) {
    if let Some(pgid) = pgid.filter(|&p| p > 0) {
        // SAFETY: signals the process group the child leads (its pgid is its pid).
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
}
