//! The app's guest-agent client (src/backend/agent) against the REAL agent binary in
//! `--stdio` mode, bridged to a UNIX socket as QEMU exposes the channel: ping and its
//! round-trip time, every information method, exec (output, exit code, stdin, and the
//! "disabled" answer), a 50 MB round trip with matching SHA-256 both ways, cancelled
//! transfers leaving nothing behind, and reconnecting after the host side closed.

mod agent_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use agent_support::{random_file, BridgedAgent};
use kvm_guest_agent::protocol::methods::{
    ExecCommand, GetAgentInfo, GetDiskUsage, GetMetrics, GetNetworkInfo, GetSystemInfo,
    ListProcesses,
};
use kvm_guest_agent::protocol::types::{ExecParams, NoParams};
use kvm_guest_agent::protocol::ErrorCode;
use kvm_guest_agent::transfer::{self, sha256_hex};
use kvm_manager::backend::agent::files::{self, TransferOptions};
use kvm_manager::backend::agent::{timing, AgentClient, AgentError, ClientOptions};
use kvm_manager::backend::ErrorKind;
use serde_json::json;

const T: Duration = Duration::from_secs(30);

fn client(agent: &BridgedAgent) -> AgentClient {
    AgentClient::with_path(&agent.socket, ClientOptions::default())
}

fn files_config() -> serde_json::Value {
    json!({ "files": { "allowed_dirs": ["{dir}/files"] } })
}

#[test]
fn ping_and_every_information_method() {
    let agent = BridgedAgent::start(json!({}));
    let c = client(&agent);
    let rtt = c.ping(T).unwrap();
    assert!(rtt < Duration::from_secs(5), "{rtt:?}");
    let stats = timing::ping_rtt(&c, 20, T).unwrap();
    assert_eq!(stats.count, 20);
    assert!(stats.min <= stats.median && stats.median <= stats.max);
    eprintln!("ping over the bridge: {stats:?}");

    let info = c.call::<GetAgentInfo>(&NoParams {}, T).unwrap();
    assert_eq!(info.name, "kvm-guest-agent");
    assert!(!info.capabilities.exec_enabled);
    let sys = c.call::<GetSystemInfo>(&NoParams {}, T).unwrap();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(sys.hostname, hostname.trim());
    assert!(sys.memory_total_bytes > 0 && sys.cpu.count > 0);
    let net = c.call::<GetNetworkInfo>(&NoParams {}, T).unwrap();
    assert!(net.interfaces.iter().any(|i| i.name == "lo"));
    let disks = c.call::<GetDiskUsage>(&NoParams {}, T).unwrap();
    assert!(disks.filesystems.iter().any(|f| f.mount_point == "/"));
    let metrics = c.call::<GetMetrics>(&NoParams {}, T).unwrap();
    assert!(metrics.memory.total_bytes > 0);
    let procs = c.call::<ListProcesses>(&NoParams {}, T).unwrap();
    let me = std::process::id();
    assert!(procs.processes.iter().any(|p| p.pid == me));
    assert_eq!(c.stats().connects, 1);
    assert_eq!(c.stats().garbage + c.stats().unknown_ids, 0);
}

fn exec(
    c: &AgentClient,
    argv: &[&str],
    stdin: Option<&[u8]>,
) -> Result<(Option<i32>, String), AgentError> {
    let params = ExecParams {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        stdin: stdin.map(transfer::encode),
        timeout_secs: Some(10),
        ..Default::default()
    };
    let r = c.call::<ExecCommand>(&params, T)?;
    let out = String::from_utf8(r.stdout_bytes().unwrap()).unwrap();
    Ok((r.exit_code, out))
}

#[test]
fn exec_returns_output_and_exit_codes() {
    let agent = BridgedAgent::start(json!({ "exec": { "enabled": true } }));
    let c = client(&agent);
    assert_eq!(
        exec(&c, &["/bin/echo", "hello", "guest"], None).unwrap(),
        (Some(0), "hello guest\n".into())
    );
    assert_eq!(exec(&c, &["false"], None).unwrap().0, Some(1));
    assert_eq!(
        exec(&c, &["/bin/cat"], Some(b"from stdin")).unwrap(),
        (Some(0), "from stdin".into())
    );
    let err = exec(&c, &["/no/such/program"], None).unwrap_err();
    assert!(matches!(err, AgentError::Remote(_)), "{err}");
}

#[test]
fn exec_disabled_in_the_guest_says_so() {
    let agent = BridgedAgent::start(json!({}));
    let c = client(&agent);
    let err = exec(&c, &["/bin/echo", "x"], None).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::MethodDisabled));
    let shown = err.to_backend("Running the command");
    assert_eq!(shown.kind, ErrorKind::PermissionDenied);
    assert!(
        shown.message.contains("disabled in this guest"),
        "{}",
        shown.message
    );
    assert!(shown.hint.contains("config.json"));
}

#[test]
fn fifty_megabytes_in_and_out_with_matching_sha256() {
    let agent = BridgedAgent::start(files_config());
    let c = client(&agent);
    let host = tempfile::tempdir().unwrap();
    let src = host.path().join("big.bin");
    random_file(&src, 50 * 1024 * 1024);
    let want = sha256_hex(&std::fs::read(&src).unwrap());
    let remote = agent.files().join("big.bin");
    let remote = remote.to_str().unwrap();

    let no_cancel = AtomicBool::new(false);
    let mut last = (0, 0);
    let up = files::upload(
        &c,
        &src,
        remote,
        TransferOptions::default(),
        &no_cancel,
        &mut |d, t| last = (d, t),
    )
    .unwrap();
    assert_eq!(up.sha256, want);
    assert_eq!(last, (up.bytes, up.bytes));
    assert_eq!(sha256_hex(&std::fs::read(remote).unwrap()), want);

    let back = host.path().join("back.bin");
    let down = files::download(
        &c,
        remote,
        &back,
        TransferOptions::default(),
        &no_cancel,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(down.sha256, want);
    assert_eq!(sha256_hex(&std::fs::read(&back).unwrap()), want);
    let mib = |s: f64| s / (1024.0 * 1024.0);
    eprintln!(
        "50 MiB through the stdio bridge: up {:.1} MiB/s, down {:.1} MiB/s",
        mib(up.throughput()),
        mib(down.throughput())
    );
    // Nothing but the two files on the host side, no part file.
    let mut names: Vec<_> = std::fs::read_dir(host.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["back.bin", "big.bin"]);

    // An existing destination is refused on both sides unless overwriting.
    let again = files::upload(
        &c,
        &src,
        remote,
        TransferOptions::default(),
        &no_cancel,
        &mut |_, _| {},
    );
    assert_eq!(again.unwrap_err().code(), Some(ErrorCode::AlreadyExists));
    let again = files::download(
        &c,
        remote,
        &back,
        TransferOptions::default(),
        &no_cancel,
        &mut |_, _| {},
    );
    assert!(matches!(again, Err(AgentError::LocalFile(_))));
    let small = host.path().join("small.txt");
    std::fs::write(&small, b"tiny").unwrap();
    let opts = TransferOptions {
        overwrite: true,
        ..Default::default()
    };
    files::upload(&c, &small, remote, opts, &no_cancel, &mut |_, _| {}).unwrap();
    assert_eq!(std::fs::read(remote).unwrap(), b"tiny");
    files::download(&c, remote, &back, opts, &no_cancel, &mut |_, _| {}).unwrap();
    assert_eq!(std::fs::read(&back).unwrap(), b"tiny");
}

#[test]
fn cancelled_transfers_leave_no_file_on_either_side() {
    let agent = BridgedAgent::start(files_config());
    let c = client(&agent);
    let host = tempfile::tempdir().unwrap();
    let src = host.path().join("src.bin");
    random_file(&src, 20 * 1024 * 1024);
    let remote = agent.files().join("up.bin");
    let cancel = AtomicBool::new(false);
    let mut cancel_after_start = |done: u64, _| {
        if done > 0 {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let r = files::upload(
        &c,
        &src,
        remote.to_str().unwrap(),
        TransferOptions::default(),
        &cancel,
        &mut cancel_after_start,
    );
    assert_eq!(r.unwrap_err(), AgentError::Cancelled);
    // The agent removes its temporary file once the last chunk in flight is done.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(agent.files()).unwrap().count() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "guest files left: {:?}",
            std::fs::read_dir(agent.files())
                .unwrap()
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let guest_file = agent.files().join("down.bin");
    random_file(&guest_file, 20 * 1024 * 1024);
    let target = host.path().join("down.bin");
    let cancel = AtomicBool::new(false);
    let mut cancel_after_start = |done: u64, _| {
        if done > 0 {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let r = files::download(
        &c,
        guest_file.to_str().unwrap(),
        &target,
        TransferOptions::default(),
        &cancel,
        &mut cancel_after_start,
    );
    assert_eq!(r.unwrap_err(), AgentError::Cancelled);
    let names: Vec<_> = std::fs::read_dir(host.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["src.bin"]);
    // The client still works afterwards.
    c.ping(T).unwrap();
}

#[test]
fn reconnects_on_the_next_call_after_the_host_side_closed() {
    let agent = BridgedAgent::start(json!({}));
    let c = client(&agent);
    c.ping(T).unwrap();
    c.disconnect();
    assert!(!c.is_connected());
    c.ping(T).unwrap();
    assert!(c.is_connected());
    assert_eq!(c.stats().connects, 2);
}
