//! `get_system_info`: os-release, uname, hostname, CPU, memory, uptime, utmp sessions.

use super::{meminfo, read_text, sysconf};
use kvm_guest_agent::protocol::types::{
    CpuInfo, KernelInfo, LoggedInUser, OsInfo, SystemInfoResult,
};
use kvm_guest_agent::protocol::RpcError;
use std::ffi::CStr;
use std::sync::Mutex;

pub fn system_info() -> Result<SystemInfoResult, RpcError> {
    let os = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .map(|t| parse_os_release(&t))
        .unwrap_or_default();
    let stat = read_text("/proc/stat")?;
    let boot_time = stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok(SystemInfoResult {
        os,
        kernel: kernel(),
        hostname: read_text("/proc/sys/kernel/hostname")?.trim().to_string(),
        cpu: CpuInfo {
            model: cpu_model(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default()),
            count: sysconf(libc::_SC_NPROCESSORS_ONLN, 1) as u32,
        },
        memory_total_bytes: meminfo(&read_text("/proc/meminfo")?, "MemTotal"),
        uptime_secs: uptime()?,
        boot_time,
        users: users(),
    })
}

/// Seconds since boot, from `/proc/uptime`.
pub fn uptime() -> Result<f64, RpcError> {
    Ok(read_text("/proc/uptime")?
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0))
}

fn kernel() -> KernelInfo {
    // SAFETY: uname fills the zeroed struct with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return KernelInfo::default();
    }
    let s = |f: &[libc::c_char]| {
        // SAFETY: the field is NUL-terminated within its array.
        unsafe { CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    KernelInfo {
        name: s(&u.sysname),
        release: s(&u.release),
        version: s(&u.version),
        machine: s(&u.machine),
    }
}

/// `KEY=value` lines, values optionally quoted, as in os-release(5).
pub fn parse_os_release(text: &str) -> OsInfo {
    let mut os = OsInfo::default();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        let field = match key {
            "ID" => &mut os.id,
            "NAME" => &mut os.name,
            "VERSION" => &mut os.version,
            "VERSION_ID" => &mut os.version_id,
            "PRETTY_NAME" => &mut os.pretty_name,
            _ => continue,
        };
        *field = value;
    }
    os
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
    let Some(inner) = inner else {
        return v.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// The CPU's name from `/proc/cpuinfo` (x86 `model name`; other architectures' keys).
pub fn cpu_model(cpuinfo: &str) -> String {
    for key in ["model name", "Model", "cpu model", "cpu", "Processor"] {
        let found = cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        });
        if let Some(v) = found.filter(|v| !v.is_empty()) {
            return v;
        }
    }
    String::new()
}

/// User sessions from utmp; empty where the C library keeps none (musl) or no file exists.
fn users() -> Vec<LoggedInUser> {
    static UTMP: Mutex<()> = Mutex::new(());
    let _guard = UTMP.lock().unwrap_or_else(|e| e.into_inner());
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let mut users = Vec::new();
    // SAFETY: the utmpx iteration is serialised by UTMP; each entry is copied before the
    // next call overwrites it.
    unsafe {
        libc::setutxent();
        loop {
            let entry = libc::getutxent();
            if entry.is_null() {
                break;
            }
            let e = &*entry;
            if e.ut_type == libc::USER_PROCESS {
                users.push(LoggedInUser {
                    name: field(&e.ut_user),
                    terminal: field(&e.ut_line),
                    host: field(&e.ut_host),
                    login_time: e.ut_tv.tv_sec.max(0) as u64,
                });
            }
        }
        libc::endutxent();
    }
    users
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_values_are_unquoted() {
        let os = parse_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME='Debian'\nID=debian\n\
             VERSION=\"12 \\\"bookworm\\\"\"\n# comment\nVERSION_ID=\"12\"\n",
        );
        assert_eq!(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
        assert_eq!(os.name, "Debian");
        assert_eq!(os.id, "debian");
        assert_eq!(os.version, "12 \"bookworm\"");
        assert_eq!(os.version_id, "12");
    }

    #[test]
    fn cpu_model_from_x86_and_arm_cpuinfo() {
        assert_eq!(
            cpu_model("processor\t: 0\nmodel name\t: QEMU Virtual CPU\n"),
            "QEMU Virtual CPU"
        );
        assert_eq!(cpu_model("Model\t\t: Raspberry Pi 4\n"), "Raspberry Pi 4");
        assert_eq!(cpu_model(""), "");
    }
}
