//! The real guest agent for the app's client tests: the `kvm-guest-agent` binary in
//! `--stdio` mode with a config of the test's making, bridged to a UNIX socket the way
//! QEMU exposes a virtio-serial channel (one host connection at a time; the agent keeps
//! running between connections). Also a plain socket peer the test drives by hand.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use serde_json::Value;

/// The agent binary: built once (`$CARGO build -p kvm-guest-agent`) when missing.
pub fn agent_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
        let bin = target.join("debug/kvm-guest-agent");
        if !bin.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-p", "kvm-guest-agent", "--bin", "kvm-guest-agent"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building kvm-guest-agent failed");
        }
        assert!(bin.exists(), "{} missing", bin.display());
        bin
    })
    .clone()
}

/// The agent behind a socket, with its scratch directory (`files/` is allowed).
pub struct BridgedAgent {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    child: Child,
}

impl BridgedAgent {
    /// `config` gets `{dir}` replaced by the scratch directory's path in its strings.
    pub fn start(config: Value) -> BridgedAgent {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("files")).unwrap();
        let text = config
            .to_string()
            .replace("{dir}", &dir.path().display().to_string());
        let config_path = dir.path().join("config.json");
        std::fs::write(&config_path, text).unwrap();
        let log = std::fs::File::create(dir.path().join("agent.log")).unwrap();
        let mut child = Command::new(agent_bin())
            .arg("--stdio")
            .arg("--config")
            .arg(&config_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let socket = dir.path().join("agent.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let stdin = Arc::new(Mutex::new(child.stdin.take().unwrap()));
        let current: Arc<Mutex<Option<UnixStream>>> = Arc::default();
        let mut stdout = child.stdout.take().unwrap();
        let out = current.clone();
        thread::spawn(move || {
            let mut buf = vec![0u8; 256 * 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    return;
                }
                // Like QEMU: with no host connected, what the guest writes is lost.
                if let Some(s) = out.lock().unwrap().as_mut() {
                    let _ = s.write_all(&buf[..n]);
                }
            }
        });
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                *current.lock().unwrap() = conn.try_clone().ok();
                let stdin = stdin.clone();
                let mut buf = vec![0u8; 256 * 1024];
                // One host at a time: serve this one until it leaves.
                while let Ok(n) = conn.read(&mut buf) {
                    if n == 0 || stdin.lock().unwrap().write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                *current.lock().unwrap() = None;
                // A half line from the old host must not glue onto the next request.
                let _ = stdin.lock().unwrap().write_all(b"\n");
            }
        });
        BridgedAgent { dir, socket, child }
    }

    pub fn files(&self) -> PathBuf {
        self.dir.path().join("files")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.log")).unwrap_or_default()
    }
}

impl Drop for BridgedAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A socket the test answers by hand.
pub struct Peer {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    listener: UnixListener,
}

impl Peer {
    pub fn new() -> Peer {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("peer.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        Peer {
            dir,
            socket,
            listener,
        }
    }

    /// The next host connection.
    pub fn accept(&self) -> UnixStream {
        self.listener.accept().unwrap().0
    }
}

/// Reads one request line from `s` (the test's side of a hand-driven peer).
pub fn read_request(s: &mut UnixStream) -> Value {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while s.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    serde_json::from_slice(&line).unwrap()
}

/// Resident memory of this process, in bytes.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = status.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// A file of `size` pseudo-random bytes at `path`.
pub fn random_file(path: &Path, size: usize) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut data = Vec::with_capacity(size);
    while data.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(size);
    std::fs::write(path, data).unwrap();
}
