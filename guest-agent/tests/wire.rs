//! The channel itself: framing, bad input of every kind, concurrency, configuration.

mod common;

use common::{exec_config, Agent, BIN};
use kvm_guest_agent::protocol::{limits, ErrorCode, Id};
use serde_json::json;
use std::time::{Duration, Instant};

fn ping_line(id: i64) -> Vec<u8> {
    format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"ping\"}}\n").into_bytes()
}

#[test]
fn bad_json_and_invalid_utf8_get_parse_errors_and_the_channel_goes_on() {
    let mut agent = Agent::start(None);
    for garbage in [
        &b"{not json\n"[..],
        b"\xff\xfe\xfd\n",
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xffng\"}\n",
    ] {
        agent.send_raw(garbage);
        let r = agent.recv();
        assert_eq!(r.id, None);
        assert_eq!(r.outcome().unwrap_err().kind(), Some(ErrorCode::ParseError));
    }
    agent.send_raw(&ping_line(5));
    assert_eq!(agent.recv().id, Some(Id::Num(5)));
}

#[test]
fn invalid_requests_unknown_methods_and_wrong_params() {
    let mut agent = Agent::start(None);
    let cases: &[(&str, ErrorCode, Option<Id>)] = &[
        ("[1,2]", ErrorCode::InvalidRequest, None),
        ("\"ping\"", ErrorCode::InvalidRequest, None),
        (
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            ErrorCode::InvalidRequest,
            Some(Id::Num(1)),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"s","method":7}"#,
            ErrorCode::InvalidRequest,
            Some(Id::Str("s".into())),
        ),
        (
            r#"{"jsonrpc":"2.0","id":2,"method":"format_disk"}"#,
            ErrorCode::MethodNotFound,
            Some(Id::Num(2)),
        ),
        (
            r#"{"jsonrpc":"2.0","id":3,"method":"ping","params":[]}"#,
            ErrorCode::InvalidParams,
            Some(Id::Num(3)),
        ),
        (
            r#"{"jsonrpc":"2.0","id":4,"method":"ping","params":{"x":1}}"#,
            ErrorCode::InvalidParams,
            Some(Id::Num(4)),
        ),
        (
            r#"{"jsonrpc":"2.0","id":5,"method":"file_read","params":{"offset":"zero"}}"#,
            ErrorCode::InvalidParams,
            Some(Id::Num(5)),
        ),
    ];
    for (line, code, id) in cases {
        agent.send_raw(format!("{line}\n").as_bytes());
        let r = agent.recv();
        assert_eq!(&r.id, id, "{line}");
        assert_eq!(r.outcome().unwrap_err().kind(), Some(*code), "{line}");
    }
}

#[test]
fn string_ids_are_echoed() {
    let mut agent = Agent::start(None);
    agent.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":\"req-\xc3\xa9\",\"method\":\"ping\"}\n");
    assert_eq!(agent.recv().id, Some(Id::Str("req-é".into())));
}

#[test]
fn an_oversized_request_is_refused_once_and_the_next_line_served() {
    let mut agent = Agent::start(None);
    let mut line = br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":""#.to_vec();
    line.resize(limits::MAX_LINE_BYTES + 1024 * 1024, b'a');
    line.extend_from_slice(b"\"}}\n");
    line.extend_from_slice(&ping_line(2));
    agent.send_raw(&line);
    let r = agent.recv();
    assert_eq!(r.id, None);
    assert_eq!(r.outcome().unwrap_err().kind(), Some(ErrorCode::TooLarge));
    assert_eq!(agent.recv().id, Some(Id::Num(2)));
    agent.assert_silent(Duration::from_millis(200));
}

#[test]
fn blank_lines_and_a_half_line_flushed_by_a_newline() {
    let mut agent = Agent::start(None);
    agent.send_raw(b"\n\n\r\n   \n");
    agent.assert_silent(Duration::from_millis(200));
    // A host that reconnects sends a bare newline: the stale half line before it fails
    // alone, and the next request is read cleanly.
    agent.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":9,\"meth");
    agent.send_raw(b"\n");
    assert_eq!(
        agent.recv().outcome().unwrap_err().kind(),
        Some(ErrorCode::ParseError)
    );
    agent.send_raw(&ping_line(10));
    assert_eq!(agent.recv().id, Some(Id::Num(10)));
}

#[test]
fn notifications_are_not_answered_or_run() {
    let mut agent = Agent::start(Some(
        json!({"power": {"shutdown_command": ["/bin/false"], "delay_ms": 0}}),
    ));
    agent.send_raw(b"{\"jsonrpc\":\"2.0\",\"method\":\"shutdown\"}\n");
    agent.send_raw(&ping_line(1));
    assert_eq!(agent.recv().id, Some(Id::Num(1)));
    agent.assert_silent(Duration::from_millis(200));
    let (_, log) = agent.finish();
    assert!(log.contains("notification \"shutdown\" ignored"), "{log}");
    assert!(!log.contains("shutdown: running"));
}

#[test]
fn requests_run_concurrently_and_a_full_agent_says_busy() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    let slow = agent.send("exec_command", json!({"argv": ["/bin/sleep", "1"]}));
    let fast = agent.send("ping", json!({}));
    assert_eq!(
        agent.recv().id,
        Some(fast),
        "ping overtakes the running command"
    );
    assert_eq!(agent.recv().id, Some(slow));

    let started = Instant::now();
    let n = limits::MAX_IN_FLIGHT + 4;
    for _ in 0..n {
        agent.send("exec_command", json!({"argv": ["/bin/sleep", "1"]}));
    }
    let replies: Vec<_> = (0..n).map(|_| agent.recv()).collect();
    let busy = replies
        .iter()
        .filter(|r| r.error.as_ref().and_then(|e| e.kind()) == Some(ErrorCode::Busy))
        .count();
    assert_eq!(busy, 4);
    assert!(replies.iter().all(|r| r.id.is_some()));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "they ran side by side"
    );
}

#[test]
fn disabled_methods_are_refused_and_not_advertised() {
    let mut agent = Agent::start(Some(
        json!({"disabled_methods": ["list_processes", "reboot"]}),
    ));
    for m in ["list_processes", "reboot"] {
        let e = agent.err(m, json!({}));
        assert_eq!(e.kind(), Some(ErrorCode::MethodDisabled), "{m}");
    }
    let info = agent.call("get_agent_info", json!({})).unwrap();
    let methods: Vec<String> = serde_json::from_value(info["methods"].clone()).unwrap();
    assert!(!methods.contains(&"list_processes".into()) && !methods.contains(&"reboot".into()));
    assert!(methods.contains(&"shutdown".into()));
}

#[test]
fn stdio_mode_finishes_running_requests_at_end_of_input() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    let id = agent.send("exec_command", json!({"argv": ["/bin/echo", "late"]}));
    agent.send("exec_command", json!({"argv": ["/bin/sleep", "0.3"]}));
    agent.close_input();
    let mut ids = [agent.recv().id, agent.recv().id];
    ids.sort_by_key(|i| format!("{i:?}"));
    assert!(ids.contains(&Some(id)));
    let (status, _) = agent.finish();
    assert!(status.success());
}

#[test]
fn command_line_and_configuration_errors() {
    let out = std::process::Command::new(BIN)
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(env!("CARGO_PKG_VERSION")) && text.contains("io.github.kvmmanager.agent.0")
    );
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("--device PATH"));
    let out = std::process::Command::new(BIN)
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        "{",
        r#"{"exec":{"enable":true}}"#,
        r#"{"disabled_methods":["nope"]}"#,
    ] {
        let path = dir.path().join("c.json");
        std::fs::write(&path, bad).unwrap();
        let out = std::process::Command::new(BIN)
            .args(["--stdio", "--config"])
            .arg(&path)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(78), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad configuration"));
    }
}

#[test]
fn requests_from_a_regular_file_are_served_too() {
    // Pipes are driven by the event loop; any other stdin goes through tokio's reader.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("requests");
    let mut lines = ping_line(1);
    lines.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"get_agent_info\"}\n");
    std::fs::write(&input, lines).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["--stdio", "--config", "/nonexistent/config.json"])
        .stdin(std::fs::File::open(&input).unwrap())
        .stderr(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut ids: Vec<Option<Id>> = out
        .stdout
        .split_inclusive(|&b| b == b'\n')
        .map(|l| {
            kvm_guest_agent::protocol::Response::from_line(l)
                .unwrap()
                .id
        })
        .collect();
    ids.sort_by_key(|i| format!("{i:?}"));
    assert_eq!(ids, vec![Some(Id::Num(1)), Some(Id::Num(2))]);
}
