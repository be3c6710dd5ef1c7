//! File-transfer throughput of the agent in `--stdio` mode, next to the raw pipe.
//!
//! `cargo run --release -p kvm-guest-agent --example throughput -- AGENT [MIB] [IN_FLIGHT]`
//! copies MIB (default 64) mebibytes in and out through `file_write` / `file_read` with
//! 1 MiB chunks and IN_FLIGHT (default 8) requests outstanding, checks both SHA-256s, and
//! prints MB/s beside the pipe's raw speed (bytes pushed through `cat`). Pipes are far faster
//! than a virtio-serial port, so this bounds the agent's own cost; the live rig measures the
//! real channel.

use kvm_guest_agent::protocol::types::{FileReadResult, FileWriteResult};
use kvm_guest_agent::protocol::{limits, Id, Request, Response};
use kvm_guest_agent::transfer::{self, sha256_hex};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

struct Conn {
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next: i64,
}

impl Conn {
    fn send(&mut self, method: &str, params: Value) {
        self.next += 1;
        let line = Request::new(Id::Num(self.next), method, params).to_line();
        self.input.write_all(&line).unwrap();
    }

    fn recv(&mut self) -> Value {
        let mut line = Vec::new();
        self.output.read_until(b'\n', &mut line).unwrap();
        Response::from_line(&line)
            .unwrap()
            .outcome()
            .expect("call succeeds")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let agent = args
        .get(1)
        .expect("usage: throughput AGENT [MIB] [IN_FLIGHT]");
    let mib: usize = args.get(2).map_or(64, |a| a.parse().unwrap());
    let window: usize = args.get(3).map_or(8, |a| a.parse().unwrap());
    let size = mib * 1024 * 1024;
    let chunk = limits::FILE_CHUNK_BYTES as usize;
    let data: Vec<u8> = (0..size)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let sum = sha256_hex(&data);

    let raw = raw_pipe(&data);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        json!({"files": {"allowed_dirs": [dir.path()]}}).to_string(),
    )
    .unwrap();
    let mut child = Command::new(agent)
        .args(["--stdio", "--config"])
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut conn = Conn {
        input: child.stdin.take().unwrap(),
        output: BufReader::new(child.stdout.take().unwrap()),
        next: 0,
    };
    let dest = dir.path().join("copy.bin");

    // In: the first chunk opens the transfer, the rest go `window` at a time.
    let started = Instant::now();
    conn.send(
        "file_write",
        json!({"path": dest, "data": transfer::encode(&data[..chunk])}),
    );
    let first: FileWriteResult = serde_json::from_value(conn.recv()).unwrap();
    let t = first.transfer.unwrap();
    let offsets: Vec<usize> = (chunk..size).step_by(chunk).collect();
    pipeline(
        &mut conn,
        window,
        &offsets,
        |conn, off| {
            let end = (off + chunk).min(size);
            let data = transfer::encode(&data[off..end]);
            conn.send(
                "file_write",
                json!({"transfer": t, "offset": off, "data": data}),
            );
        },
        |_| {},
    );
    conn.send(
        "file_write",
        json!({"transfer": t, "sha256": sum, "size": size}),
    );
    let done: FileWriteResult = serde_json::from_value(conn.recv()).unwrap();
    assert!(done.done);
    let write_secs = started.elapsed().as_secs_f64();

    // Out.
    let started = Instant::now();
    conn.send("file_read", json!({"path": dest, "length": chunk}));
    let first: FileReadResult = serde_json::from_value(conn.recv()).unwrap();
    let t = first.transfer.unwrap();
    let mut back = vec![0u8; size];
    let head = transfer::decode(&first.data).unwrap();
    back[..head.len()].copy_from_slice(&head);
    pipeline(
        &mut conn,
        window,
        &offsets,
        |conn, off| {
            conn.send(
                "file_read",
                json!({"transfer": t, "offset": off, "length": chunk}),
            );
        },
        |v| {
            let r: FileReadResult = serde_json::from_value(v).unwrap();
            let bytes = transfer::decode(&r.data).unwrap();
            back[r.offset as usize..r.offset as usize + bytes.len()].copy_from_slice(&bytes);
        },
    );
    conn.send("file_read", json!({"transfer": t, "finish": true}));
    let fin: FileReadResult = serde_json::from_value(conn.recv()).unwrap();
    let read_secs = started.elapsed().as_secs_f64();
    assert_eq!(fin.sha256.as_deref(), Some(sum.as_str()));
    assert_eq!(sha256_hex(&back), sum);

    let mbs = |secs: f64| size as f64 / secs / 1e6;
    println!("{mib} MiB, 1 MiB chunks, {window} in flight; SHA-256 matched both ways");
    println!("raw pipe:  {:8.1} MB/s", mbs(raw));
    println!(
        "agent in:  {:8.1} MB/s ({:.0} % of raw)",
        mbs(write_secs),
        100.0 * raw / write_secs
    );
    println!(
        "agent out: {:8.1} MB/s ({:.0} % of raw)",
        mbs(read_secs),
        100.0 * raw / read_secs
    );
    drop(conn);
    child.wait().unwrap();
}

/// Keeps up to `window` requests outstanding over `items`, handing each reply to `done`.
fn pipeline(
    conn: &mut Conn,
    window: usize,
    items: &[usize],
    mut send: impl FnMut(&mut Conn, usize),
    mut done: impl FnMut(Value),
) {
    let (mut sent, mut received) = (0, 0);
    while received < items.len() {
        while sent < items.len() && sent - received < window {
            send(conn, items[sent]);
            sent += 1;
        }
        done(conn.recv());
        received += 1;
    }
}

/// Seconds to push `data` through a `cat` child and read it back out.
fn raw_pipe(data: &[u8]) -> f64 {
    let mut cat = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = cat.stdin.take().unwrap();
    let mut output = cat.stdout.take().unwrap();
    let started = Instant::now();
    let copy = data.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&copy).unwrap());
    let mut back = Vec::with_capacity(data.len());
    output.read_to_end(&mut back).unwrap();
    writer.join().unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(back.len(), data.len());
    cat.wait().unwrap();
    secs
}
