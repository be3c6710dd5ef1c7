//! exec_command: results, environment, and every refusal.

mod common;

use common::{exec_config, Agent};
use kvm_guest_agent::protocol::methods::ExecCommand;
use kvm_guest_agent::protocol::types::ExecParams;
use kvm_guest_agent::protocol::ErrorCode;
use kvm_guest_agent::transfer;
use serde_json::json;
use std::time::{Duration, Instant};

fn argv(args: &[&str]) -> ExecParams {
    ExecParams {
        argv: args.iter().map(|a| a.to_string()).collect(),
        ..Default::default()
    }
}

#[test]
fn echo_returns_its_text_and_exit_code() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    let r = agent.ok::<ExecCommand>(&argv(&["/bin/echo", "hello", "guest"]));
    assert_eq!(r.stdout_bytes().unwrap(), b"hello guest\n");
    assert_eq!(r.stderr_bytes().unwrap(), b"");
    assert_eq!((r.exit_code, r.signal), (Some(0), None));
    // A bare name is looked up in the agent's fixed search path.
    let r = agent.ok::<ExecCommand>(&argv(&["false"]));
    assert_eq!(r.exit_code, Some(1));
}

#[test]
fn arguments_are_never_interpreted_by_a_shell() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    let r = agent.ok::<ExecCommand>(&argv(&["/bin/echo", "$(id)", ";", "`x`", "*"]));
    assert_eq!(r.stdout_bytes().unwrap(), b"$(id) ; `x` *\n");
}

#[test]
fn stdin_env_cwd_and_stderr() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    let mut p = argv(&["/bin/cat"]);
    p.stdin = Some(transfer::encode(b"line one\n\x00binary\xff"));
    let r = agent.ok::<ExecCommand>(&p);
    assert_eq!(r.stdout_bytes().unwrap(), b"line one\n\x00binary\xff");

    let mut p = argv(&["/usr/bin/env"]);
    p.env.insert("KVMM_TEST".into(), "42".into());
    p.clear_env = true;
    let r = agent.ok::<ExecCommand>(&p);
    assert_eq!(r.stdout_bytes().unwrap(), b"KVMM_TEST=42\n");

    let scratch = tempfile::tempdir().unwrap();
    let mut p = argv(&["/bin/pwd"]);
    p.cwd = Some(scratch.path().to_string_lossy().into_owned());
    let r = agent.ok::<ExecCommand>(&p);
    let expected = format!("{}\n", scratch.path().canonicalize().unwrap().display());
    assert_eq!(r.stdout_bytes().unwrap(), expected.as_bytes());

    let r = agent.ok::<ExecCommand>(&argv(&["/bin/ls", "/no/such/dir"]));
    assert_ne!(r.exit_code, Some(0));
    assert!(String::from_utf8(r.stderr_bytes().unwrap())
        .unwrap()
        .contains("/no/such/dir"));
}

#[test]
fn a_signal_is_reported() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    // The program is a shell because the caller chose one; the agent adds none.
    let r = agent.ok::<ExecCommand>(&argv(&["/bin/sh", "-c", "kill -TERM $$"]));
    assert_eq!((r.exit_code, r.signal), (None, Some(libc::SIGTERM)));
}

#[test]
fn exec_is_refused_unless_enabled() {
    let mut agent = Agent::start(None);
    let e = agent.err("exec_command", json!({"argv": ["/bin/echo", "x"]}));
    assert_eq!(e.kind(), Some(ErrorCode::MethodDisabled));
    assert!(e.message.contains("exec is disabled"), "{}", e.message);
}

#[test]
fn programs_outside_the_allow_list_are_refused() {
    let mut agent = Agent::start(Some(exec_config(
        json!({"allowed_programs": ["/bin/echo"]}),
    )));
    let r = agent.ok::<ExecCommand>(&argv(&["/bin/echo", "allowed"]));
    assert_eq!(r.stdout_bytes().unwrap(), b"allowed\n");
    // The same file through another name is the same program.
    let echo = std::path::Path::new("/bin/echo").canonicalize().unwrap();
    let r = agent.ok::<ExecCommand>(&argv(&[echo.to_str().unwrap(), "too"]));
    assert_eq!(r.stdout_bytes().unwrap(), b"too\n");
    for denied in ["/bin/cat", "ls", "/bin/../bin/sh"] {
        let e = agent.err("exec_command", json!({"argv": [denied]}));
        assert_eq!(e.kind(), Some(ErrorCode::PermissionDenied), "{denied}: {e}");
    }
    // LD_PRELOAD and friends would run any code through an allowed program.
    for env in [
        json!({"env": {"LD_PRELOAD": "/tmp/x.so"}}),
        json!({"clear_env": true}),
    ] {
        let mut params = json!({"argv": ["/bin/echo"]});
        params
            .as_object_mut()
            .unwrap()
            .extend(env.as_object().unwrap().clone());
        let e = agent.err("exec_command", params);
        assert_eq!(e.kind(), Some(ErrorCode::PermissionDenied), "{e}");
    }
}

#[test]
fn an_allow_list_may_let_callers_set_the_environment() {
    let config = exec_config(json!({"allowed_programs": ["/usr/bin/env"], "allow_env": true}));
    let mut agent = Agent::start(Some(config));
    let mut p = argv(&["/usr/bin/env"]);
    p.env.insert("A".into(), "1".into());
    p.clear_env = true;
    assert_eq!(
        agent.ok::<ExecCommand>(&p).stdout_bytes().unwrap(),
        b"A=1\n"
    );
}

#[test]
fn bad_programs_and_params() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    let kind =
        |agent: &mut Agent, p: serde_json::Value| agent.err("exec_command", p).kind().unwrap();
    assert_eq!(
        kind(&mut agent, json!({"argv": []})),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        kind(&mut agent, json!({"argv": ["bin/echo"]})),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        kind(&mut agent, json!({"argv": ["/no/such/program"]})),
        ErrorCode::NotFound
    );
    assert_eq!(
        kind(&mut agent, json!({"argv": ["no-such-program-xyz"]})),
        ErrorCode::NotFound
    );
    assert_eq!(
        kind(&mut agent, json!({"argv": ["/etc/hostname"]})),
        ErrorCode::ExecFailed
    );
    assert_eq!(
        kind(&mut agent, json!({"argv": ["/bin/true"], "cwd": "tmp"})),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        kind(
            &mut agent,
            json!({"argv": ["/bin/true"], "cwd": "/no/such"})
        ),
        ErrorCode::ExecFailed
    );
    assert_eq!(
        kind(
            &mut agent,
            json!({"argv": ["/bin/true"], "timeout_secs": 0})
        ),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        kind(&mut agent, json!({"argv": ["/bin/cat"], "stdin": "!!"})),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        kind(&mut agent, json!({"argv": "/bin/true"})),
        ErrorCode::InvalidParams
    );
    assert_eq!(
        kind(&mut agent, json!({"argv": ["/bin/true"], "shell": true})),
        ErrorCode::InvalidParams
    );
}

#[test]
fn output_over_the_limit_fails_and_kills() {
    let mut agent = Agent::start(Some(exec_config(json!({"max_output_bytes": 4096}))));
    let mut p = argv(&["/bin/cat", "/dev/zero"]);
    let started = Instant::now();
    let e = agent.err("exec_command", serde_json::to_value(&p).unwrap());
    assert_eq!(e.kind(), Some(ErrorCode::TooLarge), "{e}");
    assert_eq!(e.data.unwrap()["stream"], "stdout");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Exactly at the limit is fine; a caller may ask for less than the guest's maximum.
    p.argv = vec![
        "/usr/bin/head".into(),
        "-c".into(),
        "4096".into(),
        "/dev/zero".into(),
    ];
    assert_eq!(
        agent.ok::<ExecCommand>(&p).stdout_bytes().unwrap().len(),
        4096
    );
    p.max_output_bytes = Some(100);
    let e = agent.err("exec_command", serde_json::to_value(&p).unwrap());
    assert_eq!(e.kind(), Some(ErrorCode::TooLarge));
    // Asking for more than the guest allows is capped, not granted.
    p.argv[2] = "5000".into();
    p.max_output_bytes = Some(1 << 20);
    assert_eq!(
        agent
            .err("exec_command", serde_json::to_value(&p).unwrap())
            .kind(),
        Some(ErrorCode::TooLarge)
    );
}

fn processes_with_arg(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| c.split(|&b| b == 0).any(|a| a == marker.as_bytes()))
        .count()
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    let marker = format!("{}.{}", 300 + std::process::id() % 100, std::process::id());
    let script = format!("/bin/sleep {marker} & /bin/sleep {marker}; wait");
    let mut p = argv(&["/bin/sh", "-c", &script]);
    p.timeout_secs = Some(1);
    let started = Instant::now();
    let e = agent.err("exec_command", serde_json::to_value(&p).unwrap());
    assert_eq!(e.kind(), Some(ErrorCode::Timeout), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Both sleeps (the shell's background child too) are gone.
    let deadline = Instant::now() + Duration::from_secs(5);
    while processes_with_arg(&marker) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(processes_with_arg(&marker), 0);
}

#[test]
fn calls_are_logged_without_arguments_or_output() {
    let mut agent = Agent::start(Some(exec_config(json!({}))));
    agent.ok::<ExecCommand>(&argv(&["/bin/echo", "secret-argument"]));
    let (_, log) = agent.finish();
    let line = log
        .lines()
        .find(|l| l.contains("method=exec_command"))
        .expect("logged");
    assert!(
        line.contains("/bin/echo (1 args)") && line.contains("outcome=ok"),
        "{line}"
    );
    assert!(line.contains("duration_ms="), "{line}");
    assert!(!log.contains("secret-argument"));
}
