//! kvm-guest-agent: runs inside a guest and answers KVM Manager over a virtio-serial
//! channel (protocol in `PROTOCOL.md`, types in the library, the daemon in `daemon/`).

mod daemon;

use daemon::config::{Settings, DEFAULT_CONFIG_PATH};
use daemon::{log, platform, State};
use kvm_guest_agent::protocol::{self, limits};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "\
Usage: kvm-guest-agent [--device PATH | --stdio] [--config PATH]
       kvm-guest-agent --version | --help

  --device PATH   the virtio-serial port (default /dev/virtio-ports/io.github.kvmmanager.agent.0)
  --stdio         read requests on stdin, write replies on stdout (tests); ends at end of input
  --config PATH   JSON configuration (default /etc/kvm-guest-agent/config.json; a missing
                  file means: no exec, no file access)";

enum Transport {
    Device(PathBuf),
    Stdio,
}

fn main() -> ExitCode {
    let mut transport = Transport::Device(protocol::DEFAULT_DEVICE_PATH.into());
    let mut config = PathBuf::from(DEFAULT_CONFIG_PATH);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-V" | "--version" => {
                println!(
                    "kvm-guest-agent {} (protocol {} v{})",
                    env!("CARGO_PKG_VERSION"),
                    protocol::PROTOCOL_NAME,
                    protocol::PROTOCOL_VERSION
                );
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--stdio" => transport = Transport::Stdio,
            "--device" | "--config" => {
                let Some(value) = args.next() else {
                    eprintln!("kvm-guest-agent: {arg} needs a path\n{USAGE}");
                    return ExitCode::from(2);
                };
                if arg == "--device" {
                    transport = Transport::Device(value.into());
                } else {
                    config = value.into();
                }
            }
            other => {
                eprintln!("kvm-guest-agent: unknown argument {other}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let settings = match Settings::load(&config) {
        Ok(s) => s,
        Err(e) => {
            log::error(&format!("bad configuration: {e}"));
            return ExitCode::from(78); // EX_CONFIG
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            log::error(&format!("cannot start: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let state = Arc::new(State::new(settings));
    runtime.block_on(async move {
        tokio::spawn(expire_transfers(state.clone()));
        let serving = state.clone();
        let serve = async move {
            match transport {
                Transport::Stdio => platform::transport::run_stdio(serving).await,
                Transport::Device(path) => {
                    log::info(&format!("serving {}", path.display()));
                    platform::transport::run_device(&path, serving).await
                }
            }
        };
        tokio::select! {
            () = serve => {}
            () = platform::service::stop_requested() => log::info("stopping"),
        }
        // Unfinished writes leave nothing behind: their temporary files go with them.
        let dropped = state.transfers.expire(Duration::ZERO);
        if dropped > 0 {
            log::warn(&format!("{dropped} unfinished transfer(s) dropped"));
        }
    });
    ExitCode::SUCCESS
}

/// Drops transfers the host abandoned (their temporary files with them).
async fn expire_transfers(state: Arc<State>) {
    let idle = Duration::from_secs(limits::TRANSFER_IDLE_SECS);
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tick.tick().await;
        let n = state.transfers.expire(idle);
        if n > 0 {
            log::warn(&format!("{n} idle transfer(s) dropped"));
        }
    }
}
