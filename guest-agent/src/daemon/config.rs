//! The guest administrator's configuration (`/etc/kvm-guest-agent/config.json`).
//!
//! Secure by default: with no file, or an empty one, the agent answers the read-only
//! methods and power requests, runs no program and reaches no file. Unknown keys are an
//! error, so a typo never leaves a setting silently at its default.

use kvm_guest_agent::protocol::{limits, MethodName};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG_PATH: &str = "/etc/kvm-guest-agent/config.json";

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Method names this guest refuses (`MethodDisabled`).
    pub disabled_methods: Vec<String>,
    pub exec: ExecConfig,
    pub files: FilesConfig,
    pub power: PowerConfig,
    /// Longest any call but `exec_command` may take.
    pub call_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecConfig {
    pub enabled: bool,
    /// Absolute paths; `null` or absent = any program (once enabled).
    pub allowed_programs: Option<Vec<PathBuf>>,
    /// Whether callers may set or clear environment variables while an allow-list is in
    /// force (`LD_PRELOAD` and the like would otherwise run any code through an allowed
    /// program). Without an allow-list any program may run anyway, so this is moot.
    pub allow_env: bool,
    /// Where bare program names are looked up (the caller's PATH is never used).
    pub search_path: String,
    pub default_timeout_secs: u64,
    pub max_timeout_secs: u64,
    /// Per stream, at most [`limits::MAX_EXEC_OUTPUT_BYTES`].
    pub max_output_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// Directories file_read and file_write may reach (and everything beneath them).
    pub allowed_dirs: Vec<PathBuf>,
    pub max_file_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PowerConfig {
    /// Argument vectors run for `shutdown` and `reboot`; an empty one makes the agent
    /// call `reboot(2)` itself after `sync`.
    pub shutdown_command: Vec<String>,
    pub reboot_command: Vec<String>,
    /// Pause between the reply and the action, so the reply reaches the host.
    pub delay_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            disabled_methods: Vec::new(),
            exec: ExecConfig::default(),
            files: FilesConfig::default(),
            power: PowerConfig::default(),
            call_timeout_secs: limits::DEFAULT_CALL_TIMEOUT_SECS,
        }
    }
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            enabled: false,
            allowed_programs: None,
            allow_env: false,
            search_path: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            default_timeout_secs: 30,
            max_timeout_secs: 600,
            max_output_bytes: 1024 * 1024,
        }
    }
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            allowed_dirs: Vec::new(),
            max_file_bytes: 4 * 1024 * 1024 * 1024,
        }
    }
}

impl Default for PowerConfig {
    fn default() -> Self {
        PowerConfig {
            shutdown_command: vec!["/sbin/poweroff".into()],
            reboot_command: vec!["/sbin/reboot".into()],
            delay_ms: 500,
        }
    }
}

/// The configuration checked and resolved for use.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub disabled: BTreeSet<MethodName>,
    /// Canonical allowed directories that exist.
    pub file_dirs: Vec<PathBuf>,
    /// Canonical allowed programs that exist; `None` = any.
    pub programs: Option<Vec<PathBuf>>,
}

impl Settings {
    /// Reads `path`; a missing file gives the secure defaults, a bad one an error.
    pub fn load(path: &Path) -> Result<Settings, String> {
        let config = match std::fs::read(path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                crate::daemon::log::info(&format!(
                    "no configuration at {}: secure defaults (no exec, no file access)",
                    path.display()
                ));
                Config::default()
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Settings::new(config)
    }

    pub fn new(mut config: Config) -> Result<Settings, String> {
        let mut disabled = BTreeSet::new();
        for name in &config.disabled_methods {
            let method = MethodName::from_name(name)
                .ok_or_else(|| format!("disabled_methods: no method {name:?}"))?;
            disabled.insert(method);
        }
        if config.exec.max_output_bytes > limits::MAX_EXEC_OUTPUT_BYTES {
            return Err(format!(
                "exec.max_output_bytes: at most {}",
                limits::MAX_EXEC_OUTPUT_BYTES
            ));
        }
        if config.exec.default_timeout_secs == 0 || config.call_timeout_secs == 0 {
            return Err("timeouts must be at least one second".into());
        }
        config.exec.max_timeout_secs = config.exec.max_timeout_secs.max(1);
        let file_dirs = canonical_existing("files.allowed_dirs", &config.files.allowed_dirs)?;
        let programs = match &config.exec.allowed_programs {
            None => None,
            Some(list) => Some(canonical_existing("exec.allowed_programs", list)?),
        };
        Ok(Settings {
            config,
            disabled,
            file_dirs,
            programs,
        })
    }

    /// Whether the guest allows `method` (exec also needs `exec.enabled`, file transfers
    /// at least one allowed directory).
    pub fn enabled(&self, method: MethodName) -> bool {
        !self.disabled.contains(&method)
            && match method {
                MethodName::ExecCommand => self.config.exec.enabled,
                MethodName::FileRead | MethodName::FileWrite => !self.file_dirs.is_empty(),
                _ => true,
            }
    }
}

/// Absolute paths resolved through symlinks; missing ones are skipped with a warning
/// (a directory mounted later needs a restart), relative ones are an error.
fn canonical_existing(key: &str, paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_absolute() {
            return Err(format!("{key}: {} is not an absolute path", path.display()));
        }
        match path.canonicalize() {
            Ok(p) => out.push(p),
            Err(e) => crate::daemon::log::warn(&format!("{key}: {} skipped: {e}", path.display())),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_secure() {
        let s = Settings::new(serde_json::from_str("{}").unwrap()).unwrap();
        assert!(!s.enabled(MethodName::ExecCommand));
        assert!(s.enabled(MethodName::Ping));
        assert!(s.file_dirs.is_empty());
        assert!(!s.enabled(MethodName::FileRead));
        assert_eq!(s.programs, None);
    }

    #[test]
    fn typos_and_unknown_methods_are_errors() {
        assert!(serde_json::from_str::<Config>(r#"{"exec":{"enable":true}}"#).is_err());
        let c: Config = serde_json::from_str(r#"{"disabled_methods":["pong"]}"#).unwrap();
        assert!(Settings::new(c).is_err());
        let c: Config = serde_json::from_str(r#"{"files":{"allowed_dirs":["tmp"]}}"#).unwrap();
        assert!(Settings::new(c).is_err());
    }

    #[test]
    fn missing_programs_leave_an_empty_allow_list_not_an_open_one() {
        let c: Config =
            serde_json::from_str(r#"{"exec":{"enabled":true,"allowed_programs":["/no/such"]}}"#)
                .unwrap();
        let s = Settings::new(c).unwrap();
        assert_eq!(s.programs, Some(vec![]));
    }
}
