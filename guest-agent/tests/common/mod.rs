//! Drives the real agent binary in `--stdio` mode, one process per test, with its own
//! configuration file and scratch directory.

#![allow(dead_code)]

pub mod files;

use kvm_guest_agent::protocol::{Id, Method, Request, Response, RpcError};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_kvm-guest-agent");
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Agent {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Vec<u8>>,
    next_id: i64,
    /// Scratch space: `config.json`, `agent.log` (stderr) and whatever a test puts there.
    pub dir: tempfile::TempDir,
}

impl Agent {
    /// An agent with `config` written to its config file (`None`: no file at all).
    pub fn start(config: Option<Value>) -> Agent {
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("config.json");
        if let Some(config) = config {
            std::fs::write(&config_path, config.to_string()).unwrap();
        }
        let log = std::fs::File::create(dir.path().join("agent.log")).unwrap();
        let mut child = Command::new(BIN)
            .args(["--stdio", "--config"])
            .arg(&config_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Agent {
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 0,
            dir,
        }
    }

    /// An agent whose config is built from its own scratch directory (created first).
    pub fn start_with(make: impl FnOnce(&Path) -> Value) -> Agent {
        let scratch = tempfile::tempdir().unwrap();
        let config = make(scratch.path());
        let mut agent = Agent::start(Some(config));
        agent.keep(scratch);
        agent
    }

    fn keep(&mut self, scratch: tempfile::TempDir) {
        // Tie the scratch directory's life to the agent's.
        let path = scratch.keep();
        let link = self.dir.path().join("scratch");
        std::fs::write(&link, path.to_string_lossy().as_bytes()).unwrap();
    }

    /// The scratch directory `start_with` passed to its closure.
    pub fn scratch(&self) -> PathBuf {
        PathBuf::from(std::fs::read_to_string(self.dir.path().join("scratch")).unwrap())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request and returns its id without waiting.
    pub fn send(&mut self, method: &str, params: Value) -> Id {
        self.next_id += 1;
        let id = Id::Num(self.next_id);
        self.send_raw(&Request::new(id.clone(), method, params).to_line());
        id
    }

    pub fn recv(&self) -> Response {
        let line = self
            .lines
            .recv_timeout(REPLY_TIMEOUT)
            .expect("a reply in time");
        assert_eq!(line.last(), Some(&b'\n'), "replies are whole lines");
        Response::from_line(&line).expect("a JSON-RPC reply")
    }

    /// Nothing arrives within `wait`.
    pub fn assert_silent(&self, wait: Duration) {
        match self.lines.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            other => panic!("unexpected output: {other:?}"),
        }
    }

    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.send(method, params);
        let reply = self.recv();
        assert_eq!(reply.id, Some(id));
        reply.outcome()
    }

    /// A typed call that must succeed.
    pub fn ok<M: Method>(&mut self, params: &M::Params) -> M::Result {
        let params = serde_json::to_value(params).unwrap();
        match self.call(M::NAME.as_str(), params) {
            Ok(v) => serde_json::from_value(v).unwrap(),
            Err(e) => panic!("{} failed: {e}", M::NAME),
        }
    }

    /// A call that must fail; returns the error.
    pub fn err(&mut self, method: &str, params: Value) -> RpcError {
        match self.call(method, params) {
            Ok(v) => panic!("{method} should fail, got {v}"),
            Err(e) => e,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.log")).unwrap()
    }

    /// Closes the agent's stdin (end of input) without waiting.
    pub fn close_input(&mut self) {
        self.stdin = None;
    }

    /// Waits for the agent to exit by itself (stdin stays open).
    pub fn wait_exit(&mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }

    /// Closes stdin and waits for the agent to finish.
    pub fn finish(mut self) -> (ExitStatus, String) {
        self.stdin = None;
        let status = self.child.wait().unwrap();
        let log = self.log();
        (status, log)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Ok(scratch) = std::fs::read_to_string(self.dir.path().join("scratch")) {
            let _ = std::fs::remove_dir_all(scratch);
        }
    }
}

/// A config with exec enabled and the given extra `exec` keys.
pub fn exec_config(extra: Value) -> Value {
    let mut exec = json!({ "enabled": true });
    exec.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({ "exec": exec })
}
