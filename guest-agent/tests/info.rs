//! The read-only methods against what the test itself reads from the same machine.

mod common;

use common::Agent;
use kvm_guest_agent::protocol::methods::*;
use kvm_guest_agent::protocol::types::NoParams;
use kvm_guest_agent::protocol::{PROTOCOL_NAME, PROTOCOL_VERSION};

fn proc_text(path: &str) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

fn meminfo_total() -> u64 {
    let text = proc_text("/proc/meminfo");
    let kb: u64 = text
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    kb * 1024
}

#[test]
fn ping_answers_pong() {
    let mut agent = Agent::start(None);
    assert!(agent.ok::<Ping>(&NoParams {}).pong);
}

#[test]
fn agent_info_with_secure_defaults() {
    let mut agent = Agent::start(None);
    let info = agent.ok::<GetAgentInfo>(&NoParams {});
    assert_eq!(info.name, "kvm-guest-agent");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.protocol, PROTOCOL_NAME);
    assert_eq!(info.protocol_version, PROTOCOL_VERSION);
    assert_eq!(info.os, "linux");
    assert_eq!(info.arch, std::env::consts::ARCH);
    for m in [
        "ping",
        "get_system_info",
        "list_processes",
        "shutdown",
        "reboot",
    ] {
        assert!(info.methods.contains(&m.to_string()), "{m} missing");
    }
    for m in ["exec_command", "file_read", "file_write"] {
        assert!(
            !info.methods.contains(&m.to_string()),
            "{m} must be off by default"
        );
    }
    assert!(!info.capabilities.exec_enabled);
    assert!(info.capabilities.file_dirs.is_empty());
    assert_eq!(info.capabilities.max_line_bytes, 8 * 1024 * 1024);
}

#[test]
fn system_info_matches_the_machine() {
    let mut agent = Agent::start(None);
    let s = agent.ok::<GetSystemInfo>(&NoParams {});
    assert_eq!(s.hostname, proc_text("/proc/sys/kernel/hostname"));
    assert_eq!(s.kernel.release, proc_text("/proc/sys/kernel/osrelease"));
    assert_eq!(s.kernel.name, "Linux");
    assert_eq!(s.memory_total_bytes, meminfo_total());
    let online = std::thread::available_parallelism().unwrap().get() as u32;
    assert!(s.cpu.count >= online, "{} < {online}", s.cpu.count);
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let id = os_release
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap_or("");
    assert_eq!(s.os.id, id.trim_matches('"'));
    let uptime: f64 = proc_text("/proc/uptime")
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(s.uptime_secs > 0.0 && s.uptime_secs <= uptime + 1.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(s.boot_time > 0 && s.boot_time < now);
    for u in &s.users {
        assert!(!u.name.is_empty());
    }
}

#[test]
fn network_info_lists_every_interface_and_loopback_addresses() {
    let mut agent = Agent::start(None);
    let n = agent.ok::<GetNetworkInfo>(&NoParams {});
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let got: Vec<String> = n.interfaces.iter().map(|i| i.name.clone()).collect();
    assert_eq!(got, names);
    let lo = n
        .interfaces
        .iter()
        .find(|i| i.name == "lo")
        .expect("loopback");
    assert!(lo.up);
    assert_eq!(lo.mtu.to_string(), proc_text("/sys/class/net/lo/mtu"));
    assert_eq!(lo.mac, "", "loopback has no MAC");
    let v4 = lo
        .addresses
        .iter()
        .find(|a| a.family == "ipv4")
        .expect("127.0.0.1");
    assert_eq!((v4.address.as_str(), v4.prefix), ("127.0.0.1", 8));
    for iface in n.interfaces.iter().filter(|i| !i.mac.is_empty()) {
        let mac = proc_text(&format!("/sys/class/net/{}/address", iface.name));
        assert_eq!(iface.mac, mac);
    }
}

#[test]
fn disk_usage_lists_real_file_systems_with_sane_sizes() {
    let mut agent = Agent::start(None);
    let d = agent.ok::<GetDiskUsage>(&NoParams {});
    let mounts = proc_text("/proc/self/mounts");
    for fs in &d.filesystems {
        assert!(
            fs.total_bytes > 0 && fs.used_bytes <= fs.total_bytes,
            "{fs:?}"
        );
        assert!(fs.available_bytes <= fs.total_bytes);
        assert!(!["proc", "sysfs", "tmpfs", "devpts", "cgroup2"].contains(&fs.fs_type.as_str()));
        assert!(mounts.contains(&format!(" {} ", fs.fs_type)));
    }
    let root_type = mounts
        .lines()
        .rfind(|l| l.split_whitespace().nth(1) == Some("/"))
        .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
        .unwrap();
    if root_type != "tmpfs" && root_type != "rootfs" {
        let root = d
            .filesystems
            .iter()
            .find(|f| f.mount_point == "/")
            .expect("/ listed");
        assert_eq!(root.fs_type, root_type);
        // statvfs from the test agrees on the size.
        let c = std::ffi::CString::new("/").unwrap();
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut st) }, 0);
        assert_eq!(root.total_bytes, st.f_blocks * st.f_frsize);
    }
}

#[test]
fn metrics_are_raw_counters_that_only_grow() {
    let mut agent = Agent::start(None);
    let a = agent.ok::<GetMetrics>(&NoParams {});
    std::thread::sleep(std::time::Duration::from_millis(50));
    let b = agent.ok::<GetMetrics>(&NoParams {});
    assert_eq!(a.memory.total_bytes, meminfo_total());
    assert!(a.memory.available_bytes <= a.memory.total_bytes);
    assert_eq!(a.ticks_per_sec, 100);
    assert!(a.cpu.user + a.cpu.system + a.cpu.idle > 0);
    assert!(b.cpu.idle >= a.cpu.idle && b.cpu.user >= a.cpu.user);
    assert!(b.uptime_secs > a.uptime_secs);
    let lo_a = a
        .networks
        .iter()
        .find(|n| n.name == "lo")
        .expect("lo counters");
    let lo_b = b.networks.iter().find(|n| n.name == "lo").unwrap();
    assert!(lo_b.rx_bytes >= lo_a.rx_bytes);
    for disk in &a.disks {
        assert!(std::path::Path::new("/sys/block").join(&disk.name).exists());
    }
}

#[test]
fn process_list_contains_the_agent_itself() {
    let mut agent = Agent::start(None);
    let list = agent.ok::<ListProcesses>(&NoParams {});
    let me = list
        .processes
        .iter()
        .find(|p| p.pid == agent.pid())
        .expect("agent listed");
    assert_eq!(me.name, "kvm-guest-agent");
    assert_eq!(me.ppid, std::process::id());
    assert!(me.cmdline[0].ends_with("kvm-guest-agent"));
    assert_eq!(me.cmdline[1], "--stdio");
    assert!(me.rss_bytes > 0);
    assert_eq!(me.uid, unsafe { libc::geteuid() });
    assert!(!me.user.is_empty());
    assert!(list.processes.iter().any(|p| p.pid == 1));
    assert!(list.processes.windows(2).all(|w| w[0].pid < w[1].pid));
}

#[test]
fn the_packaged_configuration_is_the_secure_default() {
    let packaged = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/config.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(packaged).unwrap()).unwrap();
    let with_file = Agent::start(Some(config)).ok::<GetAgentInfo>(&NoParams {});
    let without = Agent::start(None).ok::<GetAgentInfo>(&NoParams {});
    assert_eq!(with_file, without);
}
