//! The agent side of the worker on libvirt's test driver: channel lookup from a fixture
//! document, adding the channel (stopped and running machines, twice refused), the
//! qemu-guest-agent fallback (the test driver's fake addresses; its missing guest-info
//! support as a clear error), and `Command::Agent` end to end against the real agent
//! bridged to the socket path a test domain's channel names.

mod agent_support;
mod common;

use agent_support::BridgedAgent;
use common::*;
use kvm_manager::backend::agent::channel::{self, GuestSide};
use kvm_manager::backend::agent::{
    AgentCommand, AgentEvent, AgentKind, AgentStatus, Direction, ExecRequest, PowerAction,
};
use kvm_manager::backend::edit::Applied;
use kvm_manager::backend::{Command, ErrorKind, Event};
use serde_json::json;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

const URI: &str = "test:///default";

/// A domain of its own on the shared test driver (`devices` inside `<devices>`).
fn define(name: &str, uuid: &str, devices: &str) -> (Connect, Domain) {
    let conn = Connect::open(Some(URI)).unwrap();
    let xml = format!(
        "<domain type='test'><name>{name}</name><uuid>{uuid}</uuid>\
         <memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os>\
         <devices>{devices}</devices></domain>"
    );
    let dom = conn.define_domain_xml(&xml).unwrap();
    (conn, dom)
}

fn agent_event(c: &Conn, what: &str, pred: impl Fn(&AgentEvent) -> bool) -> AgentEvent {
    match c.wait_for(what, |e| matches!(e, Event::Agent(a) if pred(a))) {
        Event::Agent(a) => a,
        _ => unreachable!(),
    }
}

#[test]
fn the_socket_path_and_states_come_from_the_live_xml() {
    let xml = std::fs::read_to_string(fixture("agent_domain.xml")).unwrap();
    let c = channel::find_channels(&xml).unwrap();
    let ours = c.agent.unwrap();
    assert_eq!(
        ours.socket.as_deref(),
        Some("/run/libvirt/qemu/channel/3-agent-guest/io.github.kvmmanager.agent.0")
    );
    assert_eq!(ours.guest, GuestSide::Connected);
    assert_eq!(c.qemu_ga.unwrap().guest, GuestSide::Disconnected);
}

#[test]
fn adding_the_channel_defines_it_and_twice_is_refused() {
    let uuid = "7e57c0de-0000-4000-8000-0000000a9e01";
    let (conn, dom) = define("agent-add-off", uuid, "");
    assert_eq!(
        channel::add_agent_channel(&conn, uuid).unwrap(),
        Applied::Now
    );
    let xml = dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).unwrap();
    let ours = channel::find_channels(&xml).unwrap().agent.unwrap();
    assert_eq!(ours.name, "io.github.kvmmanager.agent.0");
    let err = channel::add_agent_channel(&conn, uuid).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert!(err.message.contains("already has"), "{}", err.message);
}

#[test]
fn a_running_machine_that_refuses_hotplug_gets_it_from_the_next_start() {
    let uuid = "7e57c0de-0000-4000-8000-0000000a9e02";
    let (_conn, dom) = define("agent-add-on", uuid, "");
    dom.create().unwrap();
    let c = spawn(URI);
    c.list();
    c.handle.send(Command::Agent(AgentCommand::AddChannel {
        uuid: uuid.into(),
        request: 7,
    }));
    let AgentEvent::ChannelAdded {
        request, result, ..
    } = agent_event(&c, "ChannelAdded", |e| {
        matches!(e, AgentEvent::ChannelAdded { .. })
    })
    else {
        unreachable!()
    };
    assert_eq!(request, 7);
    // The test driver hot-plugs nothing: saved for the next start, and it says why.
    let Applied::NextBoot { reason } = result.unwrap() else {
        panic!("expected NextBoot")
    };
    assert!(!reason.is_empty());
    let xml = dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).unwrap();
    assert!(channel::find_channels(&xml).unwrap().agent.is_some());
}

#[test]
fn qemu_guest_agent_answers_where_ours_is_absent() {
    let uuid = "7e57c0de-0000-4000-8000-0000000a9e03";
    let qga = "<channel type='unix'><source mode='bind' path='/tmp/none/qga.sock'/>\
               <target type='virtio' name='org.qemu.guest_agent.0'/></channel>\
               <interface type='network'><mac address='52:54:00:aa:bb:cc'/>\
               <source network='default'/></interface>";
    let (_conn, dom) = define("agent-qga", uuid, qga);
    dom.create().unwrap();
    let c = spawn(URI);
    c.list();
    let send = |cmd| c.handle.send(Command::Agent(cmd));
    send(AgentCommand::NetworkInfo {
        uuid: uuid.into(),
        request: 1,
    });
    let AgentEvent::NetworkInfo { result, .. } = agent_event(&c, "NetworkInfo", |e| {
        matches!(e, AgentEvent::NetworkInfo { .. })
    }) else {
        unreachable!()
    };
    let answered = result.unwrap();
    assert_eq!(answered.agent, AgentKind::QemuGuestAgent);
    assert!(
        answered.value.iter().any(|i| !i.addresses.is_empty()),
        "{answered:?}"
    );
    // The test driver has no virDomainGetGuestInfo: a clear error, not a hang.
    send(AgentCommand::SystemInfo {
        uuid: uuid.into(),
        request: 2,
    });
    let AgentEvent::SystemInfo { result, .. } = agent_event(&c, "SystemInfo", |e| {
        matches!(e, AgentEvent::SystemInfo { .. })
    }) else {
        unreachable!()
    };
    let err = result.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported, "{err}");
    assert!(
        err.message
            .starts_with("Reading the guest's system information: "),
        "{}",
        err.message
    );
    // Our agent's own methods are not offered by qemu-guest-agent.
    send(AgentCommand::Exec {
        uuid: uuid.into(),
        request: 3,
        exec: ExecRequest::default(),
    });
    let AgentEvent::Exec { result, .. } =
        agent_event(&c, "Exec", |e| matches!(e, AgentEvent::Exec { .. }))
    else {
        unreachable!()
    };
    assert!(result.unwrap_err().hint.contains("Add the agent channel"));
    send(AgentCommand::Status {
        uuid: uuid.into(),
        request: 4,
    });
    let AgentEvent::Status { status, .. } =
        agent_event(&c, "Status", |e| matches!(e, AgentEvent::Status { .. }))
    else {
        unreachable!()
    };
    assert_eq!(status, AgentStatus::NoChannel);
}

#[test]
fn the_worker_talks_to_the_real_agent_through_the_channel_path() {
    // Power requests run /bin/true here: never the test machine's own reboot.
    let agent = BridgedAgent::start(json!({
        "files": { "allowed_dirs": ["{dir}/files"] },
        "power": { "shutdown_command": ["/bin/true"], "reboot_command": ["/bin/true"], "delay_ms": 0 }
    }));
    let uuid = "7e57c0de-0000-4000-8000-0000000a9e04";
    let ours = format!(
        "<channel type='unix'><source mode='bind' path='{}'/>\
         <target type='virtio' name='io.github.kvmmanager.agent.0'/></channel>",
        agent.socket.display()
    );
    let (_conn, dom) = define("agent-ours", uuid, &ours);
    let c = spawn(URI);
    c.list();
    let send = |cmd| c.handle.send(Command::Agent(cmd));
    // Shut off: the channel is there, nothing answers.
    send(AgentCommand::Status {
        uuid: uuid.into(),
        request: 1,
    });
    let status =
        |c: &Conn| match agent_event(c, "Status", |e| matches!(e, AgentEvent::Status { .. })) {
            AgentEvent::Status { status, .. } => status,
            _ => unreachable!(),
        };
    assert_eq!(status(&c), AgentStatus::NotConnected);
    dom.create().unwrap();
    send(AgentCommand::Status {
        uuid: uuid.into(),
        request: 2,
    });
    match status(&c) {
        AgentStatus::Connected { info, rtt } => {
            assert_eq!(info.name, "kvm-guest-agent");
            assert!(rtt.as_secs() < 5);
        }
        other => panic!("{other:?}"),
    }
    send(AgentCommand::SystemInfo {
        uuid: uuid.into(),
        request: 3,
    });
    let AgentEvent::SystemInfo {
        result, request, ..
    } = agent_event(&c, "SystemInfo", |e| {
        matches!(e, AgentEvent::SystemInfo { .. })
    })
    else {
        unreachable!()
    };
    assert_eq!(request, 3);
    assert_eq!(result.unwrap().agent, AgentKind::Ours);
    send(AgentCommand::Exec {
        uuid: uuid.into(),
        request: 4,
        exec: ExecRequest {
            argv: vec!["/bin/true".into()],
            ..Default::default()
        },
    });
    let AgentEvent::Exec { result, .. } =
        agent_event(&c, "Exec", |e| matches!(e, AgentEvent::Exec { .. }))
    else {
        unreachable!()
    };
    let err = result.unwrap_err();
    assert!(
        err.message.contains("disabled in this guest"),
        "{}",
        err.message
    );

    let host = tempfile::tempdir().unwrap();
    let src = host.path().join("up.bin");
    agent_support::random_file(&src, 3 * 1024 * 1024 + 17);
    let remote = agent.files().join("up.bin").display().to_string();
    send(AgentCommand::Upload {
        uuid: uuid.into(),
        transfer: 11,
        local: src.clone(),
        remote: remote.clone(),
        overwrite: false,
    });
    let done = agent_event(&c, "TransferDone", |e| {
        matches!(e, AgentEvent::TransferDone { .. })
    });
    let AgentEvent::TransferDone {
        transfer,
        direction,
        message,
        result,
        ..
    } = done
    else {
        unreachable!()
    };
    assert_eq!((transfer, direction), (11, Direction::Upload));
    assert_eq!(result.unwrap().bytes, 3 * 1024 * 1024 + 17);
    assert!(message.contains("copied"), "{message}");
    assert_eq!(
        std::fs::read(&remote).unwrap(),
        std::fs::read(&src).unwrap()
    );

    send(AgentCommand::Power {
        uuid: uuid.into(),
        request: 5,
        action: PowerAction::Reboot,
    });
    let AgentEvent::Power { result, .. } =
        agent_event(&c, "Power", |e| matches!(e, AgentEvent::Power { .. }))
    else {
        unreachable!()
    };
    assert_eq!(result.unwrap(), AgentKind::Ours);
    // Stopped again: the client is dropped and the status says so.
    dom.destroy().unwrap();
    send(AgentCommand::Status {
        uuid: uuid.into(),
        request: 6,
    });
    assert_eq!(status(&c), AgentStatus::NotConnected);
}
