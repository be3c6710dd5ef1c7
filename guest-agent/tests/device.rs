//! `--device`: the agent on a character device (a pseudo-terminal standing in for the
//! virtio-serial port), and its behaviour with no device or no host.

mod common;

use common::BIN;
use kvm_guest_agent::protocol::{Id, Request, Response};
use serde_json::json;
use std::ffi::CStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The master side of a new pseudo-terminal and the slave's path.
fn pty() -> (File, String) {
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(fd >= 0);
        // The agent must not inherit the host's end, or it would never see it close.
        assert_eq!(libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC), 0);
        assert_eq!(libc::grantpt(fd), 0);
        assert_eq!(libc::unlockpt(fd), 0);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(fd, name.as_mut_ptr(), name.len()), 0);
        let path = CStr::from_ptr(name.as_ptr()).to_string_lossy().into_owned();
        (File::from_raw_fd(fd), path)
    }
}

/// The agent process, killed when the test ends however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Guard {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Guard {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

fn spawn(device: &str) -> Guard {
    Guard(
        Command::new(BIN)
            .args(["--device", device, "--config", "/nonexistent/config.json"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// User plus system CPU time of `pid` in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn read_line(master: &mut File) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.last() != Some(&b'\n') {
        assert_eq!(master.read(&mut byte).unwrap(), 1);
        line.push(byte[0]);
    }
    line
}

#[test]
fn serves_requests_over_a_character_device() {
    let (mut master, slave) = pty();
    let agent = spawn(&slave);
    wait_until_open(agent.id(), &slave);
    for n in 1..=3 {
        ping(&mut master, n);
    }
}

#[test]
fn waits_for_a_missing_port_without_spinning() {
    let dir = tempfile::tempdir().unwrap();
    let mut agent = spawn(dir.path().join("no-port").to_str().unwrap());
    std::thread::sleep(Duration::from_secs(3));
    assert!(agent.try_wait().unwrap().is_none(), "still running");
    let ticks = cpu_ticks(agent.id());
    assert!(ticks < 30, "{ticks} ticks of CPU in 3 s");
}

#[test]
fn survives_the_host_going_away_and_serves_the_next_one() {
    // A closed pseudo-terminal master reads as end of input, like a host disconnecting.
    // The port path is a symlink the test re-points to a second terminal, standing in
    // for the host's return: the agent must reopen it and serve again, without spinning
    // in between.
    let dir = tempfile::tempdir().unwrap();
    let port = dir.path().join("port");
    let (mut first, first_slave) = pty();
    std::os::unix::fs::symlink(&first_slave, &port).unwrap();
    let mut agent = spawn(port.to_str().unwrap());
    wait_until_open(agent.id(), &first_slave);
    ping(&mut first, 1);
    drop(first);
    std::fs::remove_file(&port).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(agent.try_wait().unwrap().is_none(), "still running");
    assert!(cpu_ticks(agent.id()) < 30);
    let (mut second, second_slave) = pty();
    std::os::unix::fs::symlink(&second_slave, &port).unwrap();
    wait_until_open(agent.id(), &second_slave);
    ping(&mut second, 2);
}

/// Waits until the agent holds `slave` open: it sets raw mode right after opening, and
/// before that the terminal would echo a request back instead of passing it on whole.
fn wait_until_open(pid: u32, slave: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let opened = || {
        std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|d| {
            d.flatten()
                .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy() == slave))
        })
    };
    while !opened() {
        assert!(Instant::now() < deadline, "the agent never opened {slave}");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
}

fn ping(master: &mut File, id: i64) {
    master
        .write_all(&Request::new(Id::Num(id), "ping", json!({})).to_line())
        .unwrap();
    let reply = Response::from_line(&read_line(master)).unwrap();
    assert_eq!(reply.id, Some(Id::Num(id)));
    assert_eq!(reply.outcome().unwrap(), json!({"pong": true}));
}
