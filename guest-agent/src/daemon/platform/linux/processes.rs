//! `list_processes`: `/proc/<pid>/stat`, `cmdline` and owner, user names from `/etc/passwd`.

use super::sysconf;
use kvm_guest_agent::protocol::types::{ProcessInfo, ProcessListResult};
use kvm_guest_agent::protocol::RpcError;
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;

const MAX_CMDLINE_BYTES: usize = 4096;

pub fn list() -> Result<ProcessListResult, RpcError> {
    let users = passwd(&std::fs::read_to_string("/etc/passwd").unwrap_or_default());
    let page = sysconf(libc::_SC_PAGESIZE, 4096);
    let hz = sysconf(libc::_SC_CLK_TCK, 100);
    let proc =
        std::fs::read_dir("/proc").map_err(|e| crate::daemon::dispatch::io_error(e, "/proc"))?;
    let mut processes: Vec<ProcessInfo> = proc
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            // A process may exit between the listing and these reads: it is skipped.
            let uid = entry.metadata().ok()?.uid();
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let mut p = parse_stat(pid, &stat, page, hz)?;
            p.cmdline = split_cmdline(&cmdline);
            p.uid = uid;
            p.user = users.get(&uid).cloned().unwrap_or_else(|| uid.to_string());
            Some(p)
        })
        .collect();
    processes.sort_by_key(|p| p.pid);
    Ok(ProcessListResult { processes })
}

/// `/proc/<pid>/stat`: the name sits in parentheses and may itself hold `)` and spaces.
pub fn parse_stat(pid: u32, stat: &str, page: u64, hz: u64) -> Option<ProcessInfo> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_string();
    let f: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let hz = hz.max(1);
    Some(ProcessInfo {
        pid,
        ppid: n(1) as u32,
        name,
        cmdline: Vec::new(),
        state: f.first()?.to_string(),
        uid: 0,
        user: String::new(),
        rss_bytes: n(21) * page,
        cpu_time_ms: (n(11) + n(12)) * 1000 / hz,
        start_time_secs: n(19) as f64 / hz as f64,
        threads: n(17) as u32,
    })
}

fn split_cmdline(raw: &[u8]) -> Vec<String> {
    let raw = &raw[..raw.len().min(MAX_CMDLINE_BYTES)];
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    raw.split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid = f.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_parentheses_in_the_name() {
        let stat =
            "42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 1234 77 rest";
        let p = parse_stat(42, stat, 4096, 100).unwrap();
        assert_eq!(p.name, "a) b");
        assert_eq!(p.state, "S");
        assert_eq!(p.ppid, 1);
        assert_eq!(p.cpu_time_ms, 3000);
        assert_eq!(p.threads, 3);
        assert_eq!(p.start_time_secs, 10.0);
        assert_eq!(p.rss_bytes, 77 * 4096);
    }

    #[test]
    fn cmdline_and_passwd() {
        assert_eq!(
            split_cmdline(b"/bin/sh\0-c\0x\0"),
            vec!["/bin/sh", "-c", "x"]
        );
        assert!(split_cmdline(b"").is_empty());
        let users =
            passwd("root:x:0:0:root:/root:/bin/sh\nbad\nalice:x:1000:1000::/home/a:/bin/sh\n");
        assert_eq!(users[&0], "root");
        assert_eq!(users[&1000], "alice");
    }
}
