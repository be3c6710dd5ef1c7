//! `exec_command`: run one program with an argument vector, never through a shell.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to run. `argv[0]` is an absolute path or a bare name looked up in the agent's
/// fixed search path; the program must be in the allow-list when the guest has one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecParams {
    pub argv: Vec<String>,
    /// Added to (or, with `clear_env`, replacing) the agent's environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clear_env: bool,
    /// Bytes for the program's stdin, base64; without it stdin is empty (`/dev/null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Absolute working directory; the agent's (`/`) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Seconds before the whole process group is killed; the guest's default when absent,
    /// capped by its maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Most bytes of stdout and of stderr (each) to accept; the guest's maximum when
    /// absent. More fails the call with `TooLarge` and kills the process group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_bytes: Option<u64>,
}

/// How the program ended and what it printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecResult {
    /// Exit status when it exited.
    pub exit_code: Option<i32>,
    /// Signal number when a signal ended it.
    pub signal: Option<i32>,
    /// base64
    pub stdout: String,
    /// base64
    pub stderr: String,
    pub duration_ms: u64,
}

impl ExecResult {
    pub fn stdout_bytes(&self) -> Result<Vec<u8>, crate::protocol::RpcError> {
        crate::transfer::decode(&self.stdout)
    }

    pub fn stderr_bytes(&self) -> Result<Vec<u8>, crate::protocol::RpcError> {
        crate::transfer::decode(&self.stderr)
    }
}
