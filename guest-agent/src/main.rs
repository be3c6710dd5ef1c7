//! kvm-guest-agent: runs inside a guest and answers KVM Manager over a virtio-serial channel.
//!
//! For now it only identifies itself; the daemon arrives with the protocol (see protocol.rs).

use kvm_guest_agent::protocol;
use std::process::ExitCode;

const USAGE: &str = "Usage: kvm-guest-agent [--version | --help]";

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("-V" | "--version") => {
            println!(
                "kvm-guest-agent {} (protocol {} v{})",
                env!("CARGO_PKG_VERSION"),
                protocol::PROTOCOL_NAME,
                protocol::PROTOCOL_VERSION
            );
            ExitCode::SUCCESS
        }
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("kvm-guest-agent: unknown argument {other}\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprintln!("kvm-guest-agent: the agent daemon is not implemented yet\n{USAGE}");
            ExitCode::from(1)
        }
    }
}
