//! Helpers for the live tests (tests/live.rs): the gate, a worker on `qemu:///system`
//! with bounded waits, the rig's guest (state, serial log, a shell on its serial pty) and
//! the libvirt daemon (kill, start again the rig's way).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::Command as Process;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use kvm_manager::backend::{
    Applied, BackendError, Command, ConnectionHandle, Event, VmAction, VmDetails, VmEdit, VmState,
    VmSummary,
};
use virt::connect::Connect;

pub const URI: &str = "qemu:///system";
/// Names fixed by tests/live/rig.py.
pub const DOMAIN: &str = "kvmm-test-guest";
pub const SERIAL_LOG: &str = "/var/log/libvirt/qemu/kvmm-test-guest-serial.log";
pub const MARKER: &str = "KVMM-GUEST-READY";
pub const VOLUME_PATH: &str = "/var/lib/libvirt/kvmm-test/pool/kvmm-test-disk.qcow2";
pub const MEMORY_KIB: u64 = 256 * 1024;

pub const BOOT: Duration = Duration::from_secs(60);
pub const EVENT: Duration = Duration::from_secs(30);

/// Whether live tests run (`KVMM_LIVE=1`, set by tests/live/run.sh after `rig.py up`).
/// Otherwise says so on the real stderr (not captured by the test harness) and the test
/// returns without checking anything.
pub fn enabled(test: &str) -> bool {
    if std::env::var("KVMM_LIVE").as_deref() == Ok("1") {
        return true;
    }
    // One write per line, so lines of tests running in parallel do not interleave.
    let line = format!(
        "live test {test}: SKIPPED (set KVMM_LIVE=1; needs root, libvirtd and the rig's guest: run tests/live/run.sh or `make live-test`)\n"
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
    false
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Poll `f` until it returns `Some`, at most `limit`.
pub fn wait_until<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within {limit:?} (domain: {}); serial log tail:\n{}",
            domstate(),
            log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------- the worker

/// A backend worker on `qemu:///system` whose events land in a channel.
pub struct Live {
    pub handle: ConnectionHandle,
    pub rx: Receiver<Event>,
    /// The rig guest's UUID.
    pub uuid: String,
}

impl Live {
    /// Spawn a worker and wait for its first list, which must hold the rig's guest.
    pub fn connect() -> Live {
        let (tx, rx) = channel();
        let handle = ConnectionHandle::spawn(URI, move |e| {
            let _ = tx.send(e);
        });
        let mut live = Live {
            handle,
            rx,
            uuid: String::new(),
        };
        let list = live.list(EVENT);
        live.uuid = guest_in(&list).uuid.clone();
        live
    }

    /// Consume events until one matches; panics with the events seen on timeout.
    pub fn wait_for(&self, what: &str, limit: Duration, pred: impl Fn(&Event) -> bool) -> Event {
        crate::common::wait_for_event(&self.rx, what, limit, pred)
    }

    pub fn list(&self, limit: Duration) -> Vec<VmSummary> {
        match self.wait_for("VmList", limit, |e| matches!(e, Event::VmList(_))) {
            Event::VmList(l) => l,
            _ => unreachable!(),
        }
    }

    /// Wait for a `VmChanged` of the guest in `state`.
    pub fn changed_to(&self, state: VmState, limit: Duration) -> VmSummary {
        let uuid = self.uuid.clone();
        let what = format!("VmChanged({DOMAIN} → {state})");
        match self.wait_for(
            &what,
            limit,
            move |e| matches!(e, Event::VmChanged(s) if s.uuid == uuid && s.state == state),
        ) {
            Event::VmChanged(s) => s,
            _ => unreachable!(),
        }
    }

    /// Send `action` for `uuid` and wait for its answer.
    pub fn act_on(&self, uuid: &str, action: VmAction) -> Result<(), BackendError> {
        self.handle.send(Command::Action {
            uuid: uuid.into(),
            action,
        });
        self.action_done(uuid, action)
    }

    pub fn action_done(&self, uuid: &str, action: VmAction) -> Result<(), BackendError> {
        let u = uuid.to_owned();
        match self.wait_for(
            &format!("ActionDone({action:?})"),
            EVENT,
            move |e| matches!(e, Event::ActionDone { uuid, action: a, .. } if *uuid == u && *a == action),
        ) {
            Event::ActionDone { result, .. } => result,
            _ => unreachable!(),
        }
    }

    pub fn act(&self, action: VmAction) -> Result<(), BackendError> {
        self.act_on(&self.uuid.clone(), action)
    }

    /// Send `edit` for the guest and wait for its answer.
    pub fn edit(&self, edit: VmEdit) -> Result<Applied, BackendError> {
        self.handle.send(Command::Edit {
            uuid: self.uuid.clone(),
            edit: edit.clone(),
        });
        let u = self.uuid.clone();
        match self.wait_for(
            &format!("Edited({edit:?})"),
            EVENT,
            move |e| matches!(e, Event::Edited { uuid, edit: x, .. } if *uuid == u && *x == edit),
        ) {
            Event::Edited { result, .. } => result,
            _ => unreachable!(),
        }
    }

    pub fn details(&self) -> VmDetails {
        self.handle.send(Command::Details {
            uuid: self.uuid.clone(),
        });
        match self.wait_for("Details", EVENT, |e| matches!(e, Event::Details(_))) {
            Event::Details(r) => r.expect("details of the guest"),
            _ => unreachable!(),
        }
    }

    /// Run `f` on the worker's own connection and return its result.
    pub fn on_conn<T: Send + 'static>(&self, f: impl FnOnce(&Connect) -> T + Send + 'static) -> T {
        let (tx, rx) = channel();
        self.handle.run_on_connection(move |c| {
            let _ = tx.send(f(c));
        });
        rx.recv_timeout(EVENT)
            .expect("the worker ran the closure (is it connected?)")
    }
}

pub fn guest_in(list: &[VmSummary]) -> &VmSummary {
    list.iter()
        .find(|s| s.name == DOMAIN)
        .unwrap_or_else(|| panic!("{DOMAIN} not in the list (is the rig up?): {list:#?}"))
}

// ---------------------------------------------------------------- the guest

pub fn virsh(args: &[&str]) -> std::process::Output {
    Process::new("virsh")
        .args(["-q", "-c", URI])
        .args(args)
        .output()
        .expect("run virsh")
}

pub fn virsh_ok(args: &[&str]) -> String {
    let out = virsh(args);
    assert!(
        out.status.success(),
        "virsh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `virsh domstate` of the guest ("running", "shut off", ...; empty if unknown).
pub fn domstate() -> String {
    String::from_utf8_lossy(&virsh(&["domstate", DOMAIN]).stdout)
        .trim()
        .to_owned()
}

pub fn read_log() -> String {
    std::fs::read(SERIAL_LOG)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn log_tail() -> String {
    let log = read_log();
    let lines: Vec<_> = log.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// How many times the guest said it is ready since its QEMU process started (the log is
/// rewritten at each QEMU start; a reboot inside the same process appends).
pub fn markers() -> usize {
    read_log().matches(MARKER).count()
}

/// Boot the guest with virsh unless it runs; return once its shell answers.
pub fn ensure_running() {
    match domstate().as_str() {
        "running" => {
            // Up for a while (its shell answers) or still booting (wait for the marker;
            // the log starts anew with each QEMU process, a revert or restore included).
            if Shell::open_current()
                .try_run("echo up", Duration::from_secs(3))
                .is_some()
            {
                return;
            }
        }
        "paused" => {
            virsh_ok(&["resume", DOMAIN]);
            return;
        }
        _ => {
            virsh_ok(&["start", DOMAIN]);
        }
    }
    wait_until("the guest's ready marker", BOOT, || {
        (markers() > 0).then_some(())
    });
}

/// Pull the plug unless it is off already.
pub fn ensure_off() {
    if domstate() != "shut off" {
        virsh(&["destroy", DOMAIN]);
    }
    wait_until("the guest off", EVENT, || {
        (domstate() == "shut off").then_some(())
    });
}

static PROBES: AtomicU32 = AtomicU32::new(100);

/// The guest's root shell on its serial pty (path from the live domain XML).
pub struct Shell {
    pty: File,
    seen: String,
}

impl Shell {
    /// The shell of the guest as libvirt describes it now (`virsh dumpxml`).
    pub fn open_current() -> Shell {
        let xml = virsh_ok(&["dumpxml", DOMAIN]);
        Shell::open(&kvm_manager::backend::xml::parse_domain(&xml).expect("domain XML"))
    }

    pub fn open(details: &VmDetails) -> Shell {
        let path = details
            .consoles
            .iter()
            .find(|c| c.device == "serial" && c.path.starts_with("/dev/pts/"))
            .map(|c| c.path.clone())
            .unwrap_or_else(|| panic!("no serial pty in {:#?}", details.consoles));
        const O_NOCTTY: i32 = 0o400;
        const O_NONBLOCK: i32 = 0o4000;
        let pty = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(O_NOCTTY | O_NONBLOCK)
            .open(&path)
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
        Shell {
            pty,
            seen: String::new(),
        }
    }

    fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            match self.pty.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => break, // WouldBlock, or EIO once QEMU is gone
            }
        }
    }

    /// Send `echo <tag>-$(<cmd>)`; the tag is computed by the guest shell (`$((n+1))`), so
    /// the echoed command line never matches. `Some(output)` or `None` after `limit`.
    pub fn try_run(&mut self, cmd: &str, limit: Duration) -> Option<String> {
        let n = PROBES.fetch_add(1, Ordering::SeqCst);
        let tag = format!("KVMM-PROBE-{}-", n + 1);
        self.drain();
        self.seen.clear();
        let line = format!("echo KVMM-PROBE-$(({n}+1))-$({cmd})\n");
        self.pty
            .write_all(line.as_bytes())
            .expect("write to the pty");
        self.await_tag(&tag, limit)
    }

    fn await_tag(&mut self, tag: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            self.drain();
            if let Some(i) = self.seen.find(tag) {
                let rest = &self.seen[i + tag.len()..];
                if let Some(end) = rest.find(['\r', '\n']) {
                    return Some(rest[..end].to_owned());
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn run(&mut self, cmd: &str) -> String {
        self.try_run(cmd, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("the guest shell did not answer `{cmd}`: {:?}", self.seen))
    }

    /// Wait until the console printed `needle` (from when the pty was opened).
    pub fn await_output(&mut self, needle: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            self.drain();
            if self.seen.contains(needle) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait longer for the answer to the last `try_run` (e.g. after a resume).
    pub fn finish(&mut self, limit: Duration) -> Option<String> {
        let n = PROBES.load(Ordering::SeqCst);
        self.await_tag(&format!("KVMM-PROBE-{n}-"), limit)
    }

    /// Whether `path` exists in the guest.
    pub fn exists(&mut self, path: &str) -> bool {
        match self
            .run(&format!("test -e {path} && echo yes || echo no"))
            .as_str()
        {
            "yes" => true,
            "no" => false,
            other => panic!("unexpected answer {other:?}"),
        }
    }
}

// ---------------------------------------------------------------- the daemon

pub fn libvirtd_pid() -> Option<u32> {
    let pid: u32 = std::fs::read_to_string("/run/libvirtd.pid")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == "libvirtd").then_some(pid)
}

/// Send `signal` to libvirtd and wait until it is gone.
pub fn kill_libvirtd(signal: &str) {
    let pid = libvirtd_pid().expect("libvirtd runs (pid in /run/libvirtd.pid)");
    let st = Process::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success(), "kill -{signal} {pid}");
    wait_until("libvirtd gone", Duration::from_secs(20), || {
        (!PathBuf::from(format!("/proc/{pid}")).exists()).then_some(())
    });
}

/// Start the daemons exactly as the rig does (`rig.py daemons`); returns how long it took.
pub fn start_daemons() -> Duration {
    let t = Instant::now();
    let out = Process::new("/usr/bin/python3")
        .arg(repo().join("tests/live/rig.py"))
        .arg("daemons")
        .output()
        .expect("run rig.py daemons");
    assert!(
        out.status.success(),
        "rig.py daemons: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}
