//! The guest agent end to end on the rig's guest (tests/live/rig_agent.py puts the release
//! build of kvm-guest-agent in its initramfs, started at boot on the agent's port): the
//! app's worker (`Command::Agent`) finds the channel in the live XML, the agent answers,
//! its system information matches what the guest's own shell says, a program runs, 50 MB
//! go in and out with the same SHA-256 on both sides (and as the guest's `sha256sum`
//! computes it), and the guest reboots through the agent, which answers again afterwards.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kvm_manager::backend::agent::{
    AgentCommand, AgentEvent, AgentKind, AgentStatus, ExecOutput, ExecRequest, PowerAction,
    TransferSummary,
};
use kvm_manager::backend::{BackendError, Command, Event};

use crate::support::*;

static REQUEST: AtomicU64 = AtomicU64::new(1);

const FIFTY_MB: usize = 50 * 1024 * 1024;
/// A 50 MB transfer through an emulated CPU (base64 and SHA-256 in the guest).
const TRANSFER: Duration = Duration::from_secs(300);
const GUEST_FILE: &str = "/tmp/kvmm-agent-50m.bin";
/// The rig's MAC for the guest's NIC (tests/live/rig.py).
const MAC: &str = "52:54:00:6b:76:6d";

fn next() -> u64 {
    REQUEST.fetch_add(1, Ordering::SeqCst)
}

/// Send an agent command and wait for the event `pick` recognises (by request number).
fn ask(live: &Live, what: &str, limit: Duration, cmd: AgentCommand, request: u64) -> AgentEvent {
    live.handle.send(Command::Agent(cmd));
    let matches = move |e: &AgentEvent| match e {
        AgentEvent::Status { request: r, .. }
        | AgentEvent::SystemInfo { request: r, .. }
        | AgentEvent::NetworkInfo { request: r, .. }
        | AgentEvent::DiskUsage { request: r, .. }
        | AgentEvent::Processes { request: r, .. }
        | AgentEvent::Exec { request: r, .. }
        | AgentEvent::Power { request: r, .. }
        | AgentEvent::ChannelAdded { request: r, .. } => *r == request,
        AgentEvent::TransferDone { transfer, .. } => *transfer == request,
        AgentEvent::Progress { .. } => false,
    };
    match live.wait_for(what, limit, |e| matches!(e, Event::Agent(a) if matches(a))) {
        Event::Agent(a) => a,
        _ => unreachable!(),
    }
}

fn status(live: &Live) -> AgentStatus {
    let request = next();
    let uuid = live.uuid.clone();
    match ask(
        live,
        "Agent(Status)",
        EVENT,
        AgentCommand::Status { uuid, request },
        request,
    ) {
        AgentEvent::Status { status, .. } => status,
        other => panic!("{other:?}"),
    }
}

/// Wait until our agent answers (it starts with the guest, before the ready marker).
fn wait_connected(live: &Live) -> Duration {
    wait_until("the guest agent to answer", EVENT, || match status(live) {
        AgentStatus::Connected { info, rtt } => {
            assert_eq!(info.name, "kvm-guest-agent");
            assert_eq!(info.protocol, "io.github.kvmmanager.agent.0");
            Some(rtt)
        }
        _ => {
            std::thread::sleep(Duration::from_millis(300));
            None
        }
    })
}

fn exec(live: &Live, argv: &[&str]) -> Result<ExecOutput, BackendError> {
    let request = next();
    let exec = ExecRequest {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        timeout_secs: Some(60),
        ..ExecRequest::default()
    };
    let cmd = AgentCommand::Exec {
        uuid: live.uuid.clone(),
        request,
        exec,
    };
    match ask(live, "Agent(Exec)", Duration::from_secs(90), cmd, request) {
        AgentEvent::Exec { result, .. } => result,
        other => panic!("{other:?}"),
    }
}

fn transfer(live: &Live, cmd: AgentCommand, transfer: u64) -> TransferSummary {
    let t = Instant::now();
    match ask(live, "Agent(TransferDone)", TRANSFER, cmd, transfer) {
        AgentEvent::TransferDone {
            result, message, ..
        } => {
            let summary = result.unwrap_or_else(|e| panic!("{message}: {e:?}"));
            println!(
                "{message}: {} bytes in {:?} ({:.1} MB/s)",
                summary.bytes,
                t.elapsed(),
                summary.bytes as f64 / t.elapsed().as_secs_f64() / 1e6
            );
            summary
        }
        other => panic!("{other:?}"),
    }
}

/// 50 MB the compressor in the way (if any) cannot shrink: an xorshift stream.
fn write_random_file(path: &Path) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut data = Vec::with_capacity(FIFTY_MB);
    while data.len() < FIFTY_MB {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&data))
        .expect("write the 50 MB file");
}

fn host_sha256(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum on the host");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub fn end_to_end() {
    ensure_running();
    let live = Live::connect();
    let rtt = wait_connected(&live);
    println!("agent answers, ping round trip {rtt:?}");

    // What the agent says about the guest is what the guest's own shell says.
    let mut sh = Shell::open(&live.details());
    let release = sh.run("uname -r");
    let request = next();
    let cmd = AgentCommand::SystemInfo {
        uuid: live.uuid.clone(),
        request,
    };
    match ask(&live, "Agent(SystemInfo)", EVENT, cmd, request) {
        AgentEvent::SystemInfo { result, .. } => {
            let answered = result.expect("system info");
            assert_eq!(answered.agent, AgentKind::Ours);
            let info = answered.value;
            assert_eq!(info.hostname, "kvmm-guest");
            assert_eq!(info.kernel.release, release);
            assert_eq!(info.cpu.count, 1);
            let mib = info.memory_total_bytes / (1024 * 1024);
            assert!((150..=256).contains(&mib), "guest memory {mib} MiB");
            assert!(info.uptime_secs > 0.0);
        }
        other => panic!("{other:?}"),
    }
    let request = next();
    let cmd = AgentCommand::NetworkInfo {
        uuid: live.uuid.clone(),
        request,
    };
    match ask(&live, "Agent(NetworkInfo)", EVENT, cmd, request) {
        AgentEvent::NetworkInfo { result, .. } => {
            let nics = result.expect("network info").value;
            let eth0 = nics.iter().find(|n| n.name == "eth0").expect("eth0");
            assert_eq!(eth0.mac.to_lowercase(), MAC);
            let ip = sh.run("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1");
            assert!(
                eth0.addresses.iter().any(|a| a.address == ip),
                "{ip} among {:?}",
                eth0.addresses
            );
        }
        other => panic!("{other:?}"),
    }

    // A program runs: its output and exit code come back.
    let out = exec(&live, &["uname", "-r"]).expect("exec uname");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), release);
    assert_eq!(out.exit_code, Some(0));
    let out = exec(&live, &["sh", "-c", "echo oops >&2; exit 3"]).expect("exec sh");
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), "oops");

    // 50 MB in and out, the same bytes and the same SHA-256 everywhere.
    let dir = std::env::temp_dir().join(format!("kvmm-agent-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let local: PathBuf = dir.join("in.bin");
    write_random_file(&local);
    let sha = host_sha256(&local);
    let up = next();
    let cmd = AgentCommand::Upload {
        uuid: live.uuid.clone(),
        transfer: up,
        local: local.clone(),
        remote: GUEST_FILE.into(),
        overwrite: true,
    };
    let summary = transfer(&live, cmd, up);
    assert_eq!(summary.bytes, FIFTY_MB as u64);
    assert_eq!(summary.sha256, sha);
    let guest_sha = sh.run(&format!("sha256sum {GUEST_FILE} | cut -d' ' -f1"));
    assert_eq!(
        guest_sha, sha,
        "the guest's own sha256sum of the uploaded file"
    );

    let back = dir.join("out.bin");
    let down = next();
    let cmd = AgentCommand::Download {
        uuid: live.uuid.clone(),
        transfer: down,
        remote: GUEST_FILE.into(),
        local: back.clone(),
        overwrite: false,
    };
    let summary = transfer(&live, cmd, down);
    assert_eq!(summary.sha256, sha);
    assert_eq!(host_sha256(&back), sha);
    assert!(
        std::fs::read(&back).unwrap() == std::fs::read(&local).unwrap(),
        "the downloaded file is the uploaded one"
    );
    let _ = std::fs::remove_dir_all(&dir);
    exec(&live, &["rm", "-f", GUEST_FILE]).expect("remove the guest's copy");

    // Reboot through the agent: the guest boots again (a second ready marker in the
    // same serial log) and the agent answers again.
    let before = markers();
    let request = next();
    let cmd = AgentCommand::Power {
        uuid: live.uuid.clone(),
        request,
        action: PowerAction::Reboot,
    };
    match ask(&live, "Agent(Power)", EVENT, cmd, request) {
        AgentEvent::Power { result, .. } => {
            assert_eq!(result.expect("reboot through the agent"), AgentKind::Ours)
        }
        other => panic!("{other:?}"),
    }
    wait_until("the guest to boot again", BOOT, || {
        (markers() > before).then_some(())
    });
    let rtt = wait_connected(&live);
    println!("agent answers again after the reboot ({rtt:?})");
}
