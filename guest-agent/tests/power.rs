//! shutdown and reboot reply first, then run the configured command (here a harmless
//! program that leaves a mark, never a real power-off).

mod common;

use common::Agent;
use kvm_guest_agent::protocol::methods::{Reboot, Shutdown};
use kvm_guest_agent::protocol::types::NoParams;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

fn wait_for(path: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn shutdown_and_reboot_run_their_commands_after_replying() {
    let mut agent = Agent::start_with(|scratch| {
        json!({"power": {
            "shutdown_command": ["/usr/bin/touch", scratch.join("powered-off")],
            "reboot_command": ["/usr/bin/touch", scratch.join("rebooted")],
            "delay_ms": 300
        }})
    });
    let scratch = agent.scratch();
    let started = Instant::now();
    let r = agent.ok::<Shutdown>(&NoParams {});
    assert_eq!(r.delay_ms, 300);
    assert!(
        !scratch.join("powered-off").exists(),
        "the reply comes before the action"
    );
    assert!(wait_for(&scratch.join("powered-off")));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(!scratch.join("rebooted").exists());
    agent.ok::<Reboot>(&NoParams {});
    assert!(wait_for(&scratch.join("rebooted")));
    let log = agent.log();
    assert!(log.contains("shutdown: running /usr/bin/touch"), "{log}");
    assert!(log.contains("reboot: running /usr/bin/touch"), "{log}");
}

#[test]
fn a_failing_power_command_is_logged() {
    let mut agent = Agent::start(Some(
        json!({"power": {"reboot_command": ["/bin/false"], "delay_ms": 0}}),
    ));
    agent.ok::<Reboot>(&NoParams {});
    let deadline = Instant::now() + Duration::from_secs(10);
    while !agent.log().contains("reboot: /bin/false ended with") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        agent.log().contains("reboot: /bin/false ended with"),
        "{}",
        agent.log()
    );
}
