//! The network hook program (`src/bin/kvmm-network-hook.rs` only calls [`main_with`]).
//!
//! libvirt runs every executable in `/etc/libvirt/hooks/network.d/` as
//! `<hook> <network> <op> <sub-op> -` with `<hookData><network>…</network></hookData>`
//! (the live definition, our `<metadata>` included) on stdin, for the operations
//! `start`, `started`, `stopped`, `port-created`, `port-deleted` and `updated`. The app
//! runs it the same way (`updated`) after changing the rules of an active network.
//!
//! - `started`, `updated`: remove the network's rules, add the ones in the XML (NAT
//!   networks only), write the status file;
//! - `stopped`: remove the network's rules and its status file;
//! - anything else: nothing.
//!
//! It always exits 0 once its arguments make sense: a failure on `started` would make
//! libvirt tear the network down. What failed is logged to stderr (libvirt's log) and
//! listed in the status file, which the app shows. iptables is run with an argv, never
//! through a shell.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::iptables::{comment, removal_argv, rule_argv, undo_argv, CHAINS};
use super::rules::network_info;
use super::ForwardRule;

/// Where the hook leaves one world-readable status file per network.
pub const STATUS_DIR: &str = "/run/kvm-manager/port-forward";

/// What the hook last did for a network (JSON in [`STATUS_DIR`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Status {
    pub network: String,
    /// The rules whose iptables rules are all in place.
    pub rules: Vec<ForwardRule>,
    /// What failed (iptables' words).
    pub errors: Vec<String>,
}

/// The status file of `network` in `dir` (the name encoded as in the iptables comment).
pub fn status_path(dir: &Path, network: &str) -> PathBuf {
    let c = comment(network);
    dir.join(format!("{}.json", c.trim_start_matches("kvmm-pf:")))
}

/// The network's status file, if the hook wrote one (and it parses).
pub fn read_status(dir: &Path, network: &str) -> Option<Status> {
    let text = fs::read_to_string(status_path(dir, network)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Runs one iptables command (argv without the program); `Ok(stdout)` or `Err(message)`.
pub type Runner<'a> = dyn FnMut(&[String]) -> Result<String, String> + 'a;

/// Where libvirt keeps the saved definitions of networks (Debian's and Fedora's
/// `$SYSCONFDIR/libvirt/qemu/networks`).
pub const CONFIG_DIR: &str = "/etc/libvirt/qemu/networks";

/// The directories the hook reads and writes.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// Status files ([`STATUS_DIR`]).
    pub status: PathBuf,
    /// Saved network definitions ([`CONFIG_DIR`]).
    pub config: PathBuf,
}

impl Default for Dirs {
    fn default() -> Self {
        Dirs {
            status: STATUS_DIR.into(),
            config: CONFIG_DIR.into(),
        }
    }
}

/// The rules to apply: those of the saved definition when there is one, as the app
/// shows and edits them (libvirt hands the hook the definition the network started
/// with, which has no later changes: the app cannot change a running network's
/// metadata on libvirt < 9.7, and a DHCP edit runs `updated` with that old copy); the
/// live XML's otherwise (a transient network).
pub fn rules_source(network: &str, live: &str, config_dir: &Path) -> String {
    let saved = fs::read_to_string(config_dir.join(format!("{network}.xml")))
        .ok()
        .filter(|x| network_info(x).is_ok_and(|i| i.name == network));
    match saved {
        Some(x) => x,
        None => live.to_owned(),
    }
}

/// The hook: `args` are the arguments after the program name, `stdin` what libvirt sent.
/// Returns the exit status.
pub fn main_with(args: &[String], stdin: &str, iptables: &mut Runner, dirs: &Dirs) -> i32 {
    let status_dir = dirs.status.as_path();
    let [network, op, ..] = args else {
        log("usage: kvm-manager-port-forward NETWORK OPERATION SUB-OPERATION -");
        return 2;
    };
    match op.as_str() {
        "started" | "updated" => {
            let rules = rules_source(network, stdin, &dirs.config);
            let status = apply(network, stdin, &rules, iptables);
            if let Err(e) = write_status(status_dir, &status) {
                log(&format!("{network}: cannot write the status file: {e}"));
            }
        }
        "stopped" => {
            for e in remove(network, iptables) {
                log(&e);
            }
            let _ = fs::remove_file(status_path(status_dir, network));
        }
        _ => {}
    }
    0
}

fn log(msg: &str) {
    // One write per line: libvirt collects stderr into its log.
    let _ = std::io::stderr().write_all(format!("kvm-manager-port-forward: {msg}\n").as_bytes());
}

/// Delete every rule of `network`; returns the errors.
pub fn remove(network: &str, iptables: &mut Runner) -> Vec<String> {
    let mut errors = Vec::new();
    for (table, chain) in CHAINS {
        let listing = match iptables(&["-t", table, "-S", chain].map(str::to_owned)) {
            Ok(l) => l,
            Err(e) => {
                errors.push(format!("listing {table} {chain}: {e}"));
                continue;
            }
        };
        for argv in removal_argv(network, table, &listing) {
            if let Err(e) = iptables(&argv) {
                errors.push(format!("iptables {}: {e}", argv.join(" ")));
            }
        }
    }
    errors
}

/// Replace the network's iptables rules with those in `rules_xml` (its saved or live
/// definition), for the network as it runs (`live`: forward mode and bridge).
pub fn apply(network: &str, live: &str, rules_xml: &str, iptables: &mut Runner) -> Status {
    let mut status = Status {
        network: network.to_owned(),
        ..Status::default()
    };
    status.errors = remove(network, iptables);
    let info = match network_info(live) {
        Ok(mut i) => match network_info(rules_xml) {
            Ok(r) => {
                i.rules = r.rules;
                i
            }
            Err(_) => i,
        },
        Err(e) => {
            status.errors.push(format!("unreadable network XML: {e}"));
            return status;
        }
    };
    if !info.nat() {
        if !info.rules.is_empty() {
            status
                .errors
                .push("not a NAT network: rules not applied".to_owned());
        }
        return status;
    }
    'rules: for rule in &info.rules {
        let mut done: Vec<Vec<String>> = Vec::new();
        for argv in rule_argv(network, info.bridge.as_deref(), rule) {
            if let Err(e) = iptables(&argv) {
                status.errors.push(format!("{}: {e}", rule.describe()));
                for undo in done.iter().rev() {
                    let _ = iptables(&undo_argv(undo));
                }
                continue 'rules;
            }
            done.push(argv);
        }
        status.rules.push(*rule);
    }
    for e in &status.errors {
        log(&format!("{network}: {e}"));
    }
    log(&format!("{network}: {} rule(s) active", status.rules.len()));
    status
}

/// Write the status file atomically, readable by everyone (the app does not run as root).
pub fn write_status(dir: &Path, status: &Status) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
    if let Some(parent) = dir.parent() {
        let _ = fs::set_permissions(parent, fs::Permissions::from_mode(0o755));
    }
    let path = status_path(dir, &status.network);
    let tmp = path.with_extension("json.tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&tmp)?;
    f.write_all(serde_json::to_string_pretty(status)?.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, &path)
}

/// Run `iptables -w <argv>` (the first of /usr/sbin, /sbin, then PATH).
pub fn run_iptables(argv: &[String]) -> Result<String, String> {
    let program = ["/usr/sbin/iptables", "/sbin/iptables"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("iptables");
    let out = Command::new(program)
        .arg("-w")
        .args(argv)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

#[cfg(test)]
#[path = "hook_tests.rs"]
mod tests;
