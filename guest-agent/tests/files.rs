//! file_read and file_write: pipelined chunked round trips, checksums, and every refusal.

mod common;

use common::Agent;
use kvm_guest_agent::protocol::methods::{FileRead, FileWrite};
use kvm_guest_agent::protocol::types::{
    FileReadParams, FileReadResult, FileWriteParams, FileWriteResult,
};
use kvm_guest_agent::protocol::{limits, ErrorCode};
use kvm_guest_agent::transfer::{self, sha256_hex};
use serde_json::json;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

/// An agent allowed `<scratch>/share`; `<scratch>/secret` lies outside it.
fn agent_with(extra_files: serde_json::Value) -> (Agent, PathBuf) {
    let agent = Agent::start_with(|scratch| {
        std::fs::create_dir(scratch.join("share")).unwrap();
        std::fs::write(scratch.join("secret"), "top secret").unwrap();
        let mut files = json!({ "allowed_dirs": [scratch.join("share")] });
        files
            .as_object_mut()
            .unwrap()
            .extend(extra_files.as_object().unwrap().clone());
        json!({ "files": files })
    });
    let share = agent.scratch().join("share");
    (agent, share)
}

fn data(n: usize) -> Vec<u8> {
    let mut x: u32 = 12345;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

fn p(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kvmga"))
        .collect()
}

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
fn paths_outside_the_allowed_directories_are_refused() {
    let (mut agent, share) = agent_with(json!({}));
    let scratch = share.parent().unwrap().to_path_buf();
    std::fs::create_dir(scratch.join("share-evil")).unwrap();
    std::fs::write(scratch.join("share-evil/x"), "x").unwrap();
    symlink("../secret", share.join("link-out")).unwrap();
    symlink(&scratch, share.join("dir-out")).unwrap();
    symlink("/etc/hostname", share.join("abs-out")).unwrap();
    std::fs::write(share.join("inside.txt"), "fine").unwrap();
    std::fs::create_dir(share.join("sub")).unwrap();
    symlink("inside.txt", share.join("link-in")).unwrap();

    let denied = [
        "/etc/hostname".to_string(),
        p(&scratch.join("secret")),
        p(&share.join("../secret")),
        p(&share.join("sub/../../secret")),
        p(&share.join("link-out")),
        p(&share.join("dir-out/secret")),
        p(&share.join("abs-out")),
        p(&scratch.join("share-evil/x")),
    ];
    let write = |path: &str| json!({"path": path, "data": "", "overwrite": true, "sha256": sha256_hex(b"")});
    for path in &denied {
        let e = agent.err("file_read", json!({"path": path, "length": 100}));
        assert_eq!(
            e.kind(),
            Some(ErrorCode::PermissionDenied),
            "read {path}: {e}"
        );
        if path.ends_with("-out") {
            continue; // see below
        }
        let e = agent.err("file_write", write(path));
        assert_eq!(
            e.kind(),
            Some(ErrorCode::PermissionDenied),
            "write {path}: {e}"
        );
    }
    // Writing over a symlink that points out replaces the link inside the directory,
    // never its target.
    for link in ["link-out", "abs-out"] {
        agent
            .call("file_write", write(&p(&share.join(link))))
            .unwrap();
        let meta = std::fs::symlink_metadata(share.join(link)).unwrap();
        assert!(meta.is_file() && meta.len() == 0, "{link}");
    }
    assert_eq!(
        std::fs::read(scratch.join("secret")).unwrap(),
        b"top secret"
    );
    assert!(!std::fs::read("/etc/hostname").unwrap().is_empty());
    assert!(leftovers(&scratch).is_empty());
    // A symlink that stays inside is fine.
    let r = agent.ok::<FileRead>(&FileReadParams {
        path: Some(p(&share.join("link-in"))),
        length: 10,
        finish: true,
        ..Default::default()
    });
    assert_eq!(transfer::decode(&r.data).unwrap(), b"fine");
    let e = agent.err(
        "file_read",
        json!({"path": "share/inside.txt", "length": 1}),
    );
    assert_eq!(e.kind(), Some(ErrorCode::InvalidParams));
}

#[test]
fn file_access_is_off_without_allowed_directories() {
    let mut agent = Agent::start(None);
    for (method, params) in [
        ("file_read", json!({"path": "/etc/hostname", "length": 10})),
        ("file_write", json!({"path": "/tmp/x", "data": ""})),
    ] {
        let e = agent.err(method, params);
        assert_eq!(e.kind(), Some(ErrorCode::MethodDisabled), "{method}");
        assert!(e.message.contains("files.allowed_dirs"));
    }
}

#[test]
fn size_limits_and_odd_files() {
    let (mut agent, share) = agent_with(json!({"max_file_bytes": 1000}));
    std::fs::write(share.join("big"), vec![b'x'; 1001]).unwrap();
    std::fs::write(share.join("ok"), vec![b'x'; 1000]).unwrap();
    let kind = |agent: &mut Agent, m: &str, v| agent.err(m, v).kind().unwrap();
    assert_eq!(
        kind(
            &mut agent,
            "file_read",
            json!({"path": p(&share.join("big")), "length": 10})
        ),
        ErrorCode::TooLarge
    );
    let too_long = limits::MAX_FILE_CHUNK_BYTES + 1;
    assert_eq!(
        kind(
            &mut agent,
            "file_read",
            json!({"path": p(&share.join("ok")), "length": too_long})
        ),
        ErrorCode::TooLarge
    );
    let w =
        json!({"path": p(&share.join("new")), "offset": 990, "data": transfer::encode(&[1; 20])});
    assert_eq!(kind(&mut agent, "file_write", w), ErrorCode::TooLarge);
    let w = json!({"path": p(&share.join("new")), "mode": 0o4755, "data": ""});
    assert_eq!(kind(&mut agent, "file_write", w), ErrorCode::InvalidParams);
    let w = json!({"path": p(&share.join("new")), "data": "", "sha256": "xyz"});
    assert_eq!(kind(&mut agent, "file_write", w), ErrorCode::InvalidParams);
    let w = json!({"path": p(&share), "data": ""});
    assert_eq!(kind(&mut agent, "file_write", w), ErrorCode::InvalidParams);
    // A FIFO would block a reader forever: refused at once.
    let fifo = std::ffi::CString::new(p(&share.join("fifo"))).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    assert_eq!(
        kind(
            &mut agent,
            "file_read",
            json!({"path": p(&share.join("fifo")), "length": 1})
        ),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        kind(
            &mut agent,
            "file_read",
            json!({"path": p(&share.join("none")), "length": 1})
        ),
        ErrorCode::NotFound
    );
    assert!(leftovers(&share).is_empty());
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
