//! Checks on what a person typed, before libvirt is touched: pool and volume names, each
//! pool type's fields, and the local facts behind them (a directory exists, a device is
//! a block device, an NFS host resolves, an iSCSI portal answers).
//!
//! Local facts are checked only when `local` is true (the connection's URI names no
//! remote host): on a remote host the paths and names are the host's, and libvirt itself
//! reports what is wrong when it builds or starts the pool.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::sync::mpsc::channel;
use std::time::Duration;

use gettextrs::gettext;
use virt::connect::Connect;
use virt::error::ErrorNumber;

use super::pool_spec::PoolSpec;
use crate::backend::error::{BackendError, ErrorKind};
use crate::backend::names;
use crate::i18n::gettext_f;

/// How long a host name lookup or a portal connection may take.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(4);
/// libvirt's NFS mounts use the standard port; iSCSI portals listen on 3260.
const NFS_PORT: u16 = 2049;
const ISCSI_PORT: u16 = 3260;

pub(super) fn invalid(message: String) -> BackendError {
    BackendError::new(ErrorKind::InvalidInput, message)
}

/// The machine-name rule (letters, digits, `.`, `-`, `_`, `+`; at most 64; no leading
/// `.` or `-`) applied to a pool name.
pub fn pool_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some(gettext("Enter a name for the pool."));
    }
    names::name_problem(name)
}

/// The same rule for a volume name (it becomes a file name in directory pools).
pub fn volume_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some(gettext("Enter a name for the volume."));
    }
    names::name_problem(name)
}

/// LVM's rule for volume group names: letters, digits, `+`, `_`, `.`, `-`; not starting
/// with `-`; not `.` or `..`; at most 127 characters.
pub fn vg_name_problem(vg: &str) -> Option<String> {
    if vg.is_empty() {
        return Some(gettext("Enter the name of the volume group."));
    }
    if vg.len() > 127 {
        return Some(gettext(
            "The volume group name is too long: use at most 127 characters.",
        ));
    }
    if vg == "." || vg == ".." || vg.starts_with('-') {
        return Some(gettext_f(
            "“{vg}” cannot be a volume group name: it may not be “.” or “..” or start with “-”.",
            &[("vg", vg)],
        ));
    }
    if let Some(c) = vg
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '_' | '.' | '-')))
    {
        return Some(gettext_f(
            "A volume group name cannot contain “{char}”: use letters, digits, “+”, “_”, “.” and “-”.",
            &[("char", &c.to_string())],
        ));
    }
    None
}

/// An iSCSI qualified name: `iqn.YYYY-MM.reversed.domain[:anything]`, `eui.` + 16 hex
/// digits, or `naa.` + 16 or 32 hex digits (RFC 3720, RFC 3980).
pub fn iqn_problem(iqn: &str) -> Option<String> {
    if iqn.is_empty() {
        return Some(gettext("Enter the target's IQN."));
    }
    let lower = iqn.to_ascii_lowercase();
    let hex = |s: &str, lens: &[usize]| {
        lens.contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
    };
    let ok = if let Some(rest) = lower.strip_prefix("iqn.") {
        let (date, rest) = rest.split_at(rest.len().min(7));
        let date_ok = date.len() == 7
            && date.as_bytes()[4] == b'-'
            && date
                .chars()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit());
        let naming = rest.strip_prefix('.').unwrap_or("");
        let authority = naming.split(':').next().unwrap_or("");
        date_ok
            && !authority.is_empty()
            && !iqn.chars().any(|c| c.is_whitespace() || c.is_control())
            && authority
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
    } else if let Some(rest) = lower.strip_prefix("eui.") {
        hex(rest, &[16])
    } else if let Some(rest) = lower.strip_prefix("naa.") {
        hex(rest, &[16, 32])
    } else {
        false
    };
    (!ok).then(|| {
        gettext_f(
            "“{iqn}” is not an iSCSI name: it looks like “iqn.2004-04.com.example:storage.disk1”.",
            &[("iqn", iqn)],
        )
    })
}

/// A path typed for the host must be absolute.
fn absolute(path: &str, what: &str) -> Result<(), BackendError> {
    if path.is_empty() {
        return Err(invalid(gettext_f("Enter the {what}.", &[("what", what)])));
    }
    if !path.starts_with('/') {
        return Err(invalid(gettext_f(
            "“{path}” is not an absolute path: it must start with “/”.",
            &[("path", path)],
        )));
    }
    Ok(())
}

/// A directory that must exist, unless the pool is built (which creates it).
fn directory(path: &str, build: bool) -> Result<(), BackendError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(invalid(gettext_f(
            "“{path}” is not a directory.",
            &[("path", path)],
        ))),
        Err(_) if build => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BackendError {
            kind: ErrorKind::InvalidInput,
            message: gettext_f("The directory “{path}” does not exist.", &[("path", path)]),
            hint: gettext("Choose an existing directory, or let the pool create it."),
        }),
        Err(e) => Err(invalid(gettext_f(
            "Cannot check “{path}”: {error}.",
            &[("path", path), ("error", &e.to_string())],
        ))),
    }
}

/// A device node that must be a block device (a disk or a partition).
pub fn block_device(path: &str) -> Result<(), BackendError> {
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_block_device() => Ok(()),
        Ok(_) => Err(invalid(gettext_f(
            "“{path}” is not a block device (a disk or a partition).",
            &[("path", path)],
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(invalid(gettext_f(
            "The device “{path}” does not exist.",
            &[("path", path)],
        ))),
        Err(e) => Err(invalid(gettext_f(
            "Cannot check “{path}”: {error}.",
            &[("path", path), ("error", &e.to_string())],
        ))),
    }
}

/// The addresses of `host:port`, looked up on a helper thread so a hanging resolver
/// costs at most [`NETWORK_TIMEOUT`].
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, BackendError> {
    if host.is_empty() {
        return Err(invalid(gettext("Enter the host name or address.")));
    }
    if host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(invalid(gettext_f(
            "“{host}” is not a host name or address.",
            &[("host", host)],
        )));
    }
    let (tx, rx) = channel();
    let target = (host.to_owned(), port);
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            let r = target.to_socket_addrs().map(|a| a.collect::<Vec<_>>());
            let _ = tx.send(r);
        })
        .map_err(|e| invalid(e.to_string()))?;
    let unknown = || BackendError {
        kind: ErrorKind::InvalidInput,
        message: gettext_f("The host “{host}” cannot be found.", &[("host", host)]),
        hint: gettext("Check the name, or enter its IP address."),
    };
    match rx.recv_timeout(NETWORK_TIMEOUT) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        _ => Err(unknown()),
    }
}

/// `host` resolves and something accepts connections on `port` there.
pub fn reachable(host: &str, port: u16) -> Result<(), BackendError> {
    let addrs = resolve(host, port)?;
    let mut last = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, NETWORK_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(BackendError {
        kind: ErrorKind::InvalidInput,
        message: gettext_f(
            "No iSCSI service answers on {host} port {port}: {error}.",
            &[
                ("host", host),
                ("port", &port.to_string()),
                ("error", &last.map(|e| e.to_string()).unwrap_or_default()),
            ],
        ),
        hint: gettext("Check the address and that the target allows this host."),
    })
}

/// Whether a pool named `name` is defined (active or not).
pub fn pool_exists(conn: &Connect, name: &str) -> Result<bool, BackendError> {
    match conn.lookup_storage_pool_by_name(name) {
        Ok(_) => Ok(true),
        Err(e) if e.code().is(ErrorNumber::NoStoragePool) => Ok(false),
        Err(e) => Err(BackendError::from_virt(&e)),
    }
}

/// Check a pool spec; `Ok` is the spec with its fields trimmed, ready to define.
pub fn check_pool_spec(
    conn: &Connect,
    spec: &PoolSpec,
    build: bool,
    local: bool,
) -> Result<PoolSpec, BackendError> {
    let spec = spec.trimmed();
    let name = spec.name();
    if let Some(why) = pool_name_problem(name) {
        return Err(BackendError {
            kind: ErrorKind::InvalidInput,
            message: why,
            hint: gettext("Choose another name."),
        });
    }
    if pool_exists(conn, name)? {
        return Err(BackendError {
            kind: ErrorKind::InvalidInput,
            message: gettext_f("A pool named “{name}” already exists.", &[("name", name)]),
            hint: gettext("Choose another name."),
        });
    }
    let mount_point = gettext("mount point");
    match &spec {
        PoolSpec::Dir { path, .. } => {
            absolute(path, &gettext("directory"))?;
            if local {
                directory(path, build)?;
            }
        }
        PoolSpec::Fs { device, path, .. } => {
            absolute(device, &gettext("device"))?;
            absolute(path, &mount_point)?;
            if local {
                block_device(device)?;
                directory(path, build)?;
            }
        }
        PoolSpec::Netfs {
            host, export, path, ..
        } => {
            if export.is_empty() {
                return Err(invalid(gettext("Enter the exported directory.")));
            }
            if !export.starts_with('/') {
                return Err(invalid(gettext_f(
                    "The export “{export}” must start with “/”, e.g. “/srv/nfs/images”.",
                    &[("export", export)],
                )));
            }
            absolute(path, &mount_point)?;
            if local {
                resolve(host, NFS_PORT)?;
                directory(path, build)?;
            } else if host.is_empty() {
                return Err(invalid(gettext("Enter the host name or address.")));
            }
        }
        PoolSpec::Logical { vg, devices, .. } => {
            if let Some(why) = vg_name_problem(vg) {
                return Err(invalid(why));
            }
            for d in devices {
                absolute(d, &gettext("device"))?;
                if local {
                    block_device(d)?;
                }
            }
        }
        PoolSpec::Iscsi {
            host,
            iqn,
            initiator,
            ..
        } => {
            if let Some(why) = iqn_problem(iqn) {
                return Err(invalid(why));
            }
            if let Some(why) = initiator.as_deref().and_then(iqn_problem) {
                return Err(invalid(why));
            }
            if local {
                reachable(host, ISCSI_PORT)?;
            } else if host.is_empty() {
                return Err(invalid(gettext("Enter the host name or address.")));
            }
        }
        PoolSpec::Disk { device, .. } => {
            absolute(device, &gettext("device"))?;
            if local {
                block_device(device)?;
            }
        }
    }
    Ok(spec)
}

/// Whether `path` exists on this machine (for a backing file outside any active pool).
pub fn local_file_exists(path: &str) -> bool {
    Path::new(path).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vg_names() {
        for ok in ["vg0", "data_vg", "a.b+c-d"] {
            assert_eq!(vg_name_problem(ok), None, "{ok}");
        }
        for bad in ["", ".", "..", "-vg", "vg 0", "vg/0", &"v".repeat(128)] {
            assert!(vg_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn iqns() {
        for ok in [
            "iqn.2004-04.com.example:storage.disk1",
            "iqn.2003-01.org.linux-iscsi.host.x8664:sn.abcdef",
            "iqn.2010-10.org.example",
            "eui.02004567A425678D",
            "naa.52004567BA64678D",
            "naa.52004567BA64678D52004567BA64678D",
        ] {
            assert_eq!(iqn_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "iqn",
            "iqn.04-2004.com.example",
            "iqn.2004-04",
            "iqn.2004-04.:x",
            "iqn.2004-04.com.exa mple:x",
            "eui.123",
            "naa.xyz",
            "target1",
        ] {
            let why = iqn_problem(bad).unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(!why.is_empty());
        }
    }

    #[test]
    fn names_use_the_machine_rule() {
        assert_eq!(pool_name_problem("images-2"), None);
        assert!(pool_name_problem("").unwrap().contains("pool"));
        assert!(pool_name_problem("my pool").unwrap().contains("a space"));
        assert_eq!(volume_name_problem("disk.qcow2"), None);
        assert!(volume_name_problem("").unwrap().contains("volume"));
        assert!(volume_name_problem("../x").is_some());
    }

    #[test]
    fn local_facts() {
        assert!(block_device("/dev/null")
            .unwrap_err()
            .message
            .contains("not a block device"));
        assert!(block_device("/no/such/dev")
            .unwrap_err()
            .message
            .contains("does not exist"));
        let dir = std::env::temp_dir();
        let d = dir.to_str().unwrap();
        assert!(directory(d, false).is_ok());
        assert!(directory("/no/such/dir", true).is_ok());
        let e = directory("/no/such/dir", false).unwrap_err();
        assert!(e.message.contains("does not exist") && e.hint.contains("create"));
        assert!(absolute("rel/path", "directory").is_err());
        assert!(resolve("localhost", 2049).is_ok());
        assert!(resolve("no such host", 2049).is_err());
        assert!(resolve("kvmm-no-such-host.invalid", 2049)
            .unwrap_err()
            .message
            .contains("cannot be found"));
    }
}
