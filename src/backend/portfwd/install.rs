//! Installing the hook and running it now, with the privilege that needs.
//!
//! The hook binary (`kvmm-network-hook`) ships next to the app (cargo's target dir, or
//! the libexec dir of an installed build) and is copied, mode 0755, to [`HOOK_PATH`]:
//! directly when the app runs as root, otherwise through `pkexec /usr/bin/install`
//! (polkit asks for an administrator's password). libvirt only runs hooks that were
//! there when its daemon started ([`HookStatus::needs_daemon_restart`]), checked on
//! libvirt 9.0: a hook added later is ignored until libvirtd restarts.
//!
//! After the rules of an active network change, [`run_hook_now`] runs the installed hook
//! as libvirt would (`<hook> <network> updated begin -`, the network's XML on stdin),
//! again as root directly or through pkexec.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gettextrs::gettext;

use super::HookStatus;
use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

/// Where the hook is installed (libvirt ≥ 6.5 runs every executable in `network.d`).
pub const HOOK_PATH: &str = "/etc/libvirt/hooks/network.d/kvm-manager-port-forward";
/// The name of the hook binary this crate builds.
pub const HOOK_BIN: &str = "kvmm-network-hook";
/// Overrides where the hook binary to install is found (tests, unusual layouts).
pub const HOOK_SOURCE_ENV: &str = "KVMM_NETWORK_HOOK";

/// The hook binary to install: `$KVMM_NETWORK_HOOK`, else next to the running program
/// (or one directory up: cargo's `deps/` for test binaries), else the libexec dir.
pub fn hook_source() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(HOOK_SOURCE_ENV) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            candidates.push(dir.join(HOOK_BIN));
            if let Some(up) = dir.parent() {
                candidates.push(up.join(HOOK_BIN));
            }
        }
    }
    if let Some(dir) = crate::config::LIBEXECDIR {
        candidates.push(Path::new(dir).join(HOOK_BIN));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// The hook's state at [`HOOK_PATH`].
pub fn hook_status() -> HookStatus {
    status_at(
        Path::new(HOOK_PATH),
        hook_source().as_deref(),
        daemon_started_at(),
    )
}

/// The state of a hook at `path`, compared with `source`, for a daemon that started at
/// `daemon_start` (unknown: no restart is asked for).
pub fn status_at(
    path: &Path,
    source: Option<&Path>,
    daemon_start: Option<SystemTime>,
) -> HookStatus {
    let meta = fs::metadata(path).ok().filter(|m| m.is_file());
    let installed = meta
        .as_ref()
        .is_some_and(|m| m.permissions().mode() & 0o111 != 0);
    let current = installed
        && match (fs::read(path), source.map(fs::read)) {
            (Ok(a), Some(Ok(b))) => a == b,
            _ => false,
        };
    let installed_at = meta.and_then(|m| m.modified().ok());
    let needs_daemon_restart =
        installed && matches!((installed_at, daemon_start), (Some(i), Some(d)) if i > d);
    HookStatus {
        installed,
        current,
        path: path.to_owned(),
        needs_daemon_restart,
        source: source.map(Path::to_owned),
    }
}

/// When the local daemon that runs network hooks started (virtnetworkd, else libvirtd).
pub fn daemon_started_at() -> Option<SystemTime> {
    ["virtnetworkd", "libvirtd"]
        .iter()
        .find_map(|name| process_started_at(name))
}

fn process_started_at(name: &str) -> Option<SystemTime> {
    let pid: u32 = fs::read_to_string(format!("/run/{name}.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    if comm.trim() != name {
        return None;
    }
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22 (starttime, clock ticks after boot); fields are counted after the comm,
    // which is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    let ticks: u64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let btime: u64 = fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = u64::try_from(hz).ok().filter(|h| *h > 0)?;
    Some(UNIX_EPOCH + Duration::from_secs(btime) + Duration::from_millis(ticks * 1000 / hz))
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail and has no side effects.
    unsafe { libc::geteuid() == 0 }
}

/// Run `program args` as root: directly when we are root, else through pkexec. `stdin`
/// is fed to it; `Ok(stderr)` on success.
fn run_privileged(
    program: &Path,
    args: &[OsString],
    stdin: Option<&str>,
) -> Result<String, BackendError> {
    let mut cmd = if is_root() {
        Command::new(program)
    } else {
        let mut c = Command::new("pkexec");
        c.arg(program);
        c
    };
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        BackendError::new(
            ErrorKind::Unsupported,
            gettext_f(
                "Cannot run {program} as administrator: {error}",
                &[
                    ("program", &program.display().to_string()),
                    ("error", &e.to_string()),
                ],
            ),
        )
    })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| BackendError::new(ErrorKind::Other, format!("{}: {e}", program.display())))?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    match out.status.code() {
        Some(0) => Ok(stderr),
        // pkexec: 126 when the user dismissed the dialog or was not authorized, 127 when
        // authorization could not be obtained.
        Some(126 | 127) if !is_root() => Err(BackendError {
            kind: ErrorKind::PermissionDenied,
            message: gettext("Administrator authorization was refused or cancelled."),
            hint: gettext(
                "Changing the host's firewall and libvirt hooks needs an administrator's password.",
            ),
        }),
        _ => Err(BackendError::new(
            ErrorKind::Other,
            format!("{}: {stderr}", program.display()),
        )),
    }
}

/// Copy `source` to `dest` with mode 0755 (directories made as needed).
fn copy_hook(source: &Path, dest: &Path) -> Result<(), BackendError> {
    let io =
        |e: std::io::Error| BackendError::new(ErrorKind::Other, format!("{}: {e}", dest.display()));
    if is_root() {
        copy_direct(source, dest).map_err(io)
    } else {
        let args: Vec<OsString> = vec![
            "-D".into(),
            "-m".into(),
            "0755".into(),
            source.into(),
            dest.into(),
        ];
        run_privileged(Path::new("/usr/bin/install"), &args, None).map(drop)
    }
}

/// Copy as ourselves: a temporary file next to `dest`, mode 0755, renamed over it.
fn copy_direct(source: &Path, dest: &Path) -> std::io::Result<()> {
    if let Some(dir) = dest.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = dest.with_extension("new");
    fs::copy(source, &tmp)?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
    fs::rename(&tmp, dest)
}

/// Install (or update) the hook at [`HOOK_PATH`]; `Ok(message)` says what was done and
/// what the user still has to do.
pub fn install_hook() -> Result<String, BackendError> {
    let Some(source) = hook_source() else {
        return Err(BackendError {
            kind: ErrorKind::Unsupported,
            message: gettext_f(
                "The port-forwarding hook ({name}) was not found next to KVM Manager.",
                &[("name", HOOK_BIN)],
            ),
            hint: gettext("Reinstall KVM Manager, or build it with its hook (cargo build --bins)."),
        });
    };
    install_hook_from(&source, Path::new(HOOK_PATH))?;
    let status = hook_status();
    let mut msg = gettext_f(
        "Installed the port-forwarding hook as {path}.",
        &[("path", HOOK_PATH)],
    );
    if status.needs_daemon_restart {
        msg.push(' ');
        msg.push_str(&gettext(
            "Restart the libvirt service (for example systemctl restart libvirtd) so that networks apply their rules when they start and remove them when they stop.",
        ));
    }
    Ok(msg)
}

/// Copy the hook `source` to `dest` (as root or through pkexec).
pub fn install_hook_from(source: &Path, dest: &Path) -> Result<(), BackendError> {
    copy_hook(source, dest)
}

/// Run the installed hook for `network` as libvirt does after a change
/// (`updated begin -`, `xml` on stdin).
pub fn run_hook_now(hook: &Path, network: &str, xml: &str) -> Result<(), BackendError> {
    let args: Vec<OsString> = vec![network.into(), "updated".into(), "begin".into(), "-".into()];
    let stderr = run_privileged(hook, &args, Some(xml))?;
    if !stderr.is_empty() {
        log::info!("{}", stderr);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_of_installed_copies() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src-hook");
        let dest = dir.path().join("hooks/network.d/kvm-manager-port-forward");
        fs::write(&source, b"\x7fELF ours").unwrap();
        let none = status_at(&dest, Some(&source), None);
        assert!(!none.installed && !none.current && !none.needs_daemon_restart);

        copy_direct(&source, &dest).unwrap();
        let mode = fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755);
        let long_ago = Some(UNIX_EPOCH + Duration::from_secs(1));
        let s = status_at(&dest, Some(&source), long_ago);
        assert!(s.installed && s.current && s.needs_daemon_restart, "{s:?}");
        let later = Some(SystemTime::now() + Duration::from_secs(60));
        assert!(!status_at(&dest, Some(&source), later).needs_daemon_restart);

        fs::write(&source, b"\x7fELF newer").unwrap();
        let s = status_at(&dest, Some(&source), None);
        assert!(s.installed && !s.current);
    }

    #[test]
    fn this_daemon_start_time_is_in_the_past() {
        if let Some(t) = daemon_started_at() {
            assert!(t <= SystemTime::now());
        }
    }
}
