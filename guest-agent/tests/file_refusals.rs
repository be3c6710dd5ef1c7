//! file_read and file_write refusals: every way out of the allowed directories, file
//! access switched off, size limits and files that are not regular.

mod common;

use common::files::{agent_with, leftovers, p};
use common::Agent;
use kvm_guest_agent::protocol::methods::FileRead;
use kvm_guest_agent::protocol::types::FileReadParams;
use kvm_guest_agent::protocol::{limits, ErrorCode};
use kvm_guest_agent::transfer::{self, sha256_hex};
use serde_json::json;
use std::os::unix::fs::symlink;

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
