//! file_read and file_write: pipelined chunked round trips, checksums, overwrite and abort
//! (the refusals are in file_refusals.rs).

mod common;

use common::files::{agent_with, data, leftovers, p};
use kvm_guest_agent::protocol::methods::{FileRead, FileWrite};
use kvm_guest_agent::protocol::types::{
    FileReadParams, FileReadResult, FileWriteParams, FileWriteResult,
};
use kvm_guest_agent::protocol::{limits, ErrorCode};
use kvm_guest_agent::transfer::{self, sha256_hex};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

#[test]
fn chunked_round_trip_with_requests_in_flight() {
    let (mut agent, share) = agent_with(json!({}));
    let bytes = data(3 * limits::FILE_CHUNK_BYTES as usize + 12_345);
    let chunks: Vec<&[u8]> = bytes.chunks(limits::FILE_CHUNK_BYTES as usize).collect();
    let dest = share.join("big.bin");

    let first = FileWriteParams {
        path: Some(p(&dest)),
        data: transfer::encode(chunks[0]),
        mode: Some(0o640),
        ..Default::default()
    };
    let started: FileWriteResult = agent.ok::<FileWrite>(&first);
    let t = started.transfer.expect("a transfer id");
    // The rest go out before any reply is read: several chunks in flight.
    for (i, chunk) in chunks.iter().enumerate().skip(1) {
        let params = FileWriteParams {
            transfer: Some(t),
            offset: (i * limits::FILE_CHUNK_BYTES as usize) as u64,
            data: transfer::encode(chunk),
            ..Default::default()
        };
        agent.send("file_write", serde_json::to_value(params).unwrap());
    }
    let mut written = started.written;
    for _ in 1..chunks.len() {
        let r: FileWriteResult = serde_json::from_value(agent.recv().outcome().unwrap()).unwrap();
        written += r.written;
    }
    assert_eq!(written, bytes.len() as u64);
    assert!(!dest.exists(), "nothing under the name before the checksum");
    let sum = sha256_hex(&bytes);
    let done = agent.ok::<FileWrite>(&FileWriteParams {
        transfer: Some(t),
        sha256: Some(sum.clone()),
        size: Some(bytes.len() as u64),
        ..Default::default()
    });
    assert!(done.done);
    assert_eq!(done.sha256.as_deref(), Some(sum.as_str()));
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(leftovers(&share).is_empty());

    // And back, again pipelined, checked against the agent's SHA-256.
    let first: FileReadResult = agent.ok::<FileRead>(&FileReadParams {
        path: Some(p(&dest)),
        length: limits::FILE_CHUNK_BYTES,
        ..Default::default()
    });
    assert_eq!(
        (first.size, first.mode, first.eof),
        (bytes.len() as u64, 0o640, false)
    );
    let t = first.transfer.unwrap();
    let mut got = transfer::decode(&first.data).unwrap();
    got.resize(bytes.len(), 0);
    let n = chunks.len();
    for i in 1..n {
        let params = FileReadParams {
            transfer: Some(t),
            offset: (i * limits::FILE_CHUNK_BYTES as usize) as u64,
            length: limits::FILE_CHUNK_BYTES,
            ..Default::default()
        };
        agent.send("file_read", serde_json::to_value(params).unwrap());
    }
    let mut eofs = 0;
    for _ in 1..n {
        let r: FileReadResult = serde_json::from_value(agent.recv().outcome().unwrap()).unwrap();
        let chunk = transfer::decode(&r.data).unwrap();
        got[r.offset as usize..r.offset as usize + chunk.len()].copy_from_slice(&chunk);
        eofs += r.eof as usize;
    }
    assert_eq!(eofs, 1);
    let fin = agent.ok::<FileRead>(&FileReadParams {
        transfer: Some(t),
        finish: true,
        ..Default::default()
    });
    assert_eq!(fin.transfer, None);
    assert_eq!(fin.sha256.as_deref(), Some(sum.as_str()));
    assert_eq!(sha256_hex(&got), sum);
    // A finished transfer is gone.
    let e = agent.err("file_read", json!({"transfer": t, "length": 1}));
    assert_eq!(e.kind(), Some(ErrorCode::NotFound));
}

#[test]
fn one_call_write_and_read_of_a_small_file() {
    let (mut agent, share) = agent_with(json!({}));
    std::fs::create_dir(share.join("sub")).unwrap();
    let dest = share.join("sub/../sub/./note.txt");
    let w = agent.ok::<FileWrite>(&FileWriteParams {
        path: Some(p(&dest)),
        data: transfer::encode(b"hi there"),
        sha256: Some(sha256_hex(b"hi there")),
        ..Default::default()
    });
    assert!(w.done && w.transfer.is_none());
    assert_eq!(
        std::fs::read(share.join("sub/note.txt")).unwrap(),
        b"hi there"
    );
    let mode = std::fs::metadata(share.join("sub/note.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    let r = agent.ok::<FileRead>(&FileReadParams {
        path: Some(p(&share.join("sub/note.txt"))),
        length: 100,
        finish: true,
        ..Default::default()
    });
    assert_eq!(transfer::decode(&r.data).unwrap(), b"hi there");
    assert!(r.eof && r.transfer.is_none());
    assert_eq!(r.sha256.unwrap(), sha256_hex(b"hi there"));
}

#[test]
fn a_wrong_checksum_keeps_nothing() {
    let (mut agent, share) = agent_with(json!({}));
    let dest = share.join("bad.bin");
    let w = agent.ok::<FileWrite>(&FileWriteParams {
        path: Some(p(&dest)),
        data: transfer::encode(b"payload"),
        ..Default::default()
    });
    assert_eq!(
        leftovers(&share).len(),
        1,
        "the temporary file sits beside the name"
    );
    let e = agent.err(
        "file_write",
        json!({"transfer": w.transfer, "sha256": sha256_hex(b"something else")}),
    );
    assert_eq!(e.kind(), Some(ErrorCode::ChecksumMismatch));
    assert_eq!(e.data.unwrap()["actual"], sha256_hex(b"payload"));
    assert!(!dest.exists());
    assert!(leftovers(&share).is_empty(), "temporary file removed");
    // A right checksum with a wrong size is refused too.
    let e = agent.err(
        "file_write",
        json!({"path": p(&dest), "data": transfer::encode(b"x"), "sha256": sha256_hex(b"x"), "size": 2}),
    );
    assert_eq!(e.kind(), Some(ErrorCode::ChecksumMismatch));
    assert!(!dest.exists() && leftovers(&share).is_empty());
}

#[test]
fn abort_and_unknown_transfers() {
    let (mut agent, share) = agent_with(json!({}));
    let w = agent.ok::<FileWrite>(&FileWriteParams {
        path: Some(p(&share.join("a"))),
        data: transfer::encode(b"abc"),
        ..Default::default()
    });
    let r = agent.ok::<FileWrite>(&FileWriteParams {
        transfer: w.transfer,
        abort: true,
        ..Default::default()
    });
    assert!(!r.done && r.transfer.is_none());
    assert!(leftovers(&share).is_empty() && !share.join("a").exists());
    for (method, params) in [
        ("file_write", json!({"transfer": 999, "data": ""})),
        ("file_read", json!({"transfer": 999, "length": 1})),
        ("file_write", json!({"transfer": 999, "abort": true})),
    ] {
        assert_eq!(agent.err(method, params).kind(), Some(ErrorCode::NotFound));
    }
    let e = agent.err("file_read", json!({"length": 1}));
    assert_eq!(e.kind(), Some(ErrorCode::InvalidParams));
    let e = agent.err(
        "file_read",
        json!({"path": p(&share.join("a")), "transfer": 1}),
    );
    assert_eq!(e.kind(), Some(ErrorCode::InvalidParams));
}

#[test]
fn existing_files_need_overwrite() {
    let (mut agent, share) = agent_with(json!({}));
    let dest = share.join("keep.txt");
    std::fs::write(&dest, "original").unwrap();
    let one_call = |overwrite: bool| json!({"path": p(&dest), "data": transfer::encode(b"new"), "sha256": sha256_hex(b"new"), "overwrite": overwrite});
    let e = agent.err("file_write", one_call(false));
    assert_eq!(e.kind(), Some(ErrorCode::AlreadyExists));
    assert_eq!(std::fs::read(&dest).unwrap(), b"original");
    // A file that appears while the transfer runs is not replaced either.
    let late = share.join("late.txt");
    let w = agent.ok::<FileWrite>(&FileWriteParams {
        path: Some(p(&late)),
        data: transfer::encode(b"mine"),
        ..Default::default()
    });
    std::fs::write(&late, "theirs").unwrap();
    let e = agent.err(
        "file_write",
        json!({"transfer": w.transfer, "sha256": sha256_hex(b"mine")}),
    );
    assert_eq!(e.kind(), Some(ErrorCode::AlreadyExists));
    assert_eq!(std::fs::read(&late).unwrap(), b"theirs");
    assert!(leftovers(&share).is_empty());
    agent.call("file_write", one_call(true)).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"new");
}

#[test]
fn a_read_transfer_keeps_reading_the_file_it_opened() {
    let (mut agent, share) = agent_with(json!({}));
    std::fs::write(share.join("f"), "first version").unwrap();
    let r = agent.ok::<FileRead>(&FileReadParams {
        path: Some(p(&share.join("f"))),
        length: 5,
        ..Default::default()
    });
    std::fs::write(share.join("g"), "SECOND").unwrap();
    std::fs::rename(share.join("g"), share.join("f")).unwrap();
    let rest = agent.ok::<FileRead>(&FileReadParams {
        transfer: r.transfer,
        offset: 5,
        length: 100,
        finish: true,
        ..Default::default()
    });
    assert_eq!(transfer::decode(&rest.data).unwrap(), b" version");
    assert_eq!(rest.sha256.unwrap(), sha256_hex(b"first version"));
}

#[test]
fn file_calls_are_logged_with_paths_not_contents() {
    let (mut agent, share) = agent_with(json!({}));
    let dest = share.join("logged.txt");
    agent.call("file_write", json!({"path": p(&dest), "data": transfer::encode(b"CONTENT-XYZ"), "sha256": sha256_hex(b"CONTENT-XYZ")})).unwrap();
    let (_, log) = agent.finish();
    assert!(
        log.contains("method=file_write") && log.contains("logged.txt"),
        "{log}"
    );
    assert!(!log.contains("CONTENT-XYZ") && !log.contains(&transfer::encode(b"CONTENT-XYZ")));
}

#[test]
fn stopping_the_agent_removes_unfinished_writes() {
    let (mut agent, share) = agent_with(json!({}));
    let w = agent.ok::<FileWrite>(&FileWriteParams {
        path: Some(p(&share.join("half.bin"))),
        data: transfer::encode(b"half"),
        ..Default::default()
    });
    assert!(w.transfer.is_some());
    assert_eq!(leftovers(&share).len(), 1);
    assert_eq!(unsafe { libc::kill(agent.pid() as i32, libc::SIGTERM) }, 0);
    let status = agent.wait_exit();
    assert!(status.success(), "{status:?}");
    let log = agent.log();
    assert!(
        log.contains("stopping") && log.contains("1 unfinished transfer(s) dropped"),
        "{log}"
    );
    assert!(leftovers(&share).is_empty() && !share.join("half.bin").exists());
}
