//! Port forwarding on the rig's NAT network `kvmm-test-net` (module `p_portfwd`, after
//! the other live tests): the app installs the hook (this crate's `kvmm-network-hook`),
//! adds a rule host port 18022 → guest port 7777 and runs the hook at once; a connection
//! from the host to its own non-loopback address reaches `busybox nc -l` in the guest,
//! which prints the line on the serial console. The rule removed, the connection is
//! refused. Then libvirt itself: it only runs hooks present when it started, so the
//! daemon is restarted the rig's way, and starting and stopping a second network with a
//! rule in its metadata adds and removes its iptables rules and status file. The hook
//! file, the iptables rules and the status files are removed at the end (and by
//! `rig.py down`).

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;

use kvm_manager::backend::portfwd::hook::{read_status, STATUS_DIR};
use kvm_manager::backend::portfwd::install::{HOOK_PATH, HOOK_SOURCE_ENV};
use kvm_manager::backend::portfwd::rules::with_rules;
use kvm_manager::backend::portfwd::validate::host_ipv4_addresses;
use kvm_manager::backend::portfwd::{
    parse_rule_input, PortForwardCommand as Pf, PortForwardEvent as PfEvent, PortForwards, Proto,
};
use kvm_manager::backend::{BackendError, Command, Event, LinkState};

use crate::support::*;

const NET: &str = "kvmm-test-net";
const NET2: &str = "kvmm-test-pf";
const HOST_PORT: u16 = 18022;
const GUEST_PORT: u16 = 7777;

fn hook_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kvmm-network-hook")
}

/// Removes what the test installed, whatever happened.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        for net in [NET, NET2] {
            // The hook's own removal (argv only), with no rules in its input.
            let _ = Process::new(hook_bin())
                .args([net, "stopped", "end", "-"])
                .stdin(std::process::Stdio::null())
                .status();
        }
        let _ = std::fs::remove_file(HOOK_PATH);
        let _ = std::fs::remove_dir("/etc/libvirt/hooks/network.d");
        let _ = std::fs::remove_dir("/etc/libvirt/hooks");
        let _ = std::fs::remove_dir(STATUS_DIR);
        let _ = std::fs::remove_dir("/run/kvm-manager");
        virsh(&["net-destroy", NET2]);
        virsh(&["net-undefine", NET2]);
    }
}

fn pf(live: &Live, cmd: Pf) -> (String, Result<(), BackendError>) {
    live.handle.send(Command::PortForward(cmd));
    match live.wait_for("PortForward Done", EVENT, |e| {
        matches!(e, Event::PortForward(PfEvent::Done { .. }))
    }) {
        Event::PortForward(PfEvent::Done { message, result }) => (message, result),
        _ => unreachable!(),
    }
}

fn state(live: &Live, network: &str) -> PortForwards {
    live.handle.send(Command::PortForward(Pf::Get {
        network: network.into(),
    }));
    match live.wait_for("PortForward State", EVENT, |e| {
        matches!(e, Event::PortForward(PfEvent::State(_)))
    }) {
        Event::PortForward(PfEvent::State(r)) => r.expect("port-forwarding state"),
        _ => unreachable!(),
    }
}

fn iptables_rules() -> String {
    let out = Process::new("iptables-save")
        .output()
        .expect("iptables-save");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The guest's IPv4 address on eth0 (from DHCP), asked in the guest.
fn guest_ip(sh: &mut Shell) -> Ipv4Addr {
    wait_until("the guest's DHCP address", BOOT, || {
        let out = sh.run("ip addr show dev eth0");
        let after = out.split("inet ").nth(1)?;
        after.split('/').next()?.trim().parse().ok()
    })
}

fn send_line(addr: SocketAddr, line: &str) -> std::io::Result<()> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.write_all(line.as_bytes())?;
    s.flush()?;
    // Let nc print before the connection closes.
    std::thread::sleep(Duration::from_millis(300));
    Ok(())
}

#[test]
fn a_forwarded_port_reaches_the_guest_until_removed() {
    if !enabled("p_portfwd::a_forwarded_port_reaches_the_guest_until_removed") {
        return;
    }
    let _cleanup = Cleanup;
    let _ = std::fs::remove_file(HOOK_PATH);
    // SAFETY (edition 2021: safe fn): tests run one at a time (--test-threads=1).
    std::env::set_var(HOOK_SOURCE_ENV, hook_bin());
    ensure_running();
    let live = Live::connect();
    let mut sh = Shell::open(&live.details());
    let guest = guest_ip(&mut sh);
    let rig_subnet = state(&live, NET).subnets;
    // The host's own address outside the rig's network: a connection to it from the
    // host goes through nat OUTPUT (127.0.0.1 would need route_localnet).
    let host = host_ipv4_addresses()
        .into_iter()
        .find(|a| !a.is_loopback() && !a.octets().starts_with(&guest.octets()[..3]))
        .unwrap_or_else(|| {
            std::env::var("KVMM_LIVE_HOST_IP")
                .ok()
                .and_then(|a| a.parse().ok())
                .unwrap_or(Ipv4Addr::new(10, 213, 87, 1))
        });
    println!("guest {guest} on {rig_subnet:?}; connecting to {host}:{HOST_PORT}");

    let s = state(&live, NET);
    assert!(s.nat && s.network_active && !s.hook.installed, "{s:?}");
    let (msg, r) = pf(&live, Pf::InstallHook);
    r.expect("install the hook");
    println!("install: {msg}");
    assert!(msg.contains(HOOK_PATH), "{msg}");
    assert!(msg.contains("Restart the libvirt service"), "{msg}");
    let s = state(&live, NET);
    assert!(
        s.hook.installed && s.hook.current && s.hook.needs_daemon_restart,
        "{:?}",
        s.hook
    );

    // Refused before anything is saved: a port outside 1–65535 never gets this far, a
    // guest outside the network does not either.
    let outside = parse_rule_input(Proto::Tcp, "", "18023", "203.0.113.5", "80").unwrap();
    let (_, r) = pf(
        &live,
        Pf::Add {
            network: NET.into(),
            rule: outside,
        },
    );
    assert!(r.unwrap_err().message.contains("is not in the network"));

    let rule = parse_rule_input(
        Proto::Tcp,
        "",
        &HOST_PORT.to_string(),
        &guest.to_string(),
        &GUEST_PORT.to_string(),
    )
    .unwrap();
    let (msg, r) = pf(
        &live,
        Pf::Add {
            network: NET.into(),
            rule,
        },
    );
    r.expect("add the rule");
    assert_eq!(msg, format!("Forwarding {} on “{NET}”.", rule.describe()));
    let s = state(&live, NET);
    assert_eq!(s.rules.len(), 1);
    assert!(s.rules[0].active, "{s:?}");
    assert!(s.hook_errors.is_empty(), "{:?}", s.hook_errors);
    assert!(iptables_rules().contains("kvmm-pf:kvmm-test-net"));
    let (_, r) = pf(
        &live,
        Pf::Add {
            network: NET.into(),
            rule,
        },
    );
    assert!(r.unwrap_err().message.contains("already forwarded"));

    let started = sh.run(&format!(
        "sleep 600 | busybox nc -l -p {GUEST_PORT} >/dev/console 2>&1 & echo listening"
    ));
    assert_eq!(started, "listening");
    std::thread::sleep(Duration::from_millis(500));
    let addr = SocketAddr::from((host, HOST_PORT));
    send_line(addr, "KVMM-PF-HELLO-THROUGH-THE-RULE\n").expect("connect through the rule");
    assert!(
        sh.await_output("KVMM-PF-HELLO-THROUGH-THE-RULE", Duration::from_secs(10)),
        "the line did not reach the guest's listener"
    );

    let (msg, r) = pf(
        &live,
        Pf::Remove {
            network: NET.into(),
            rule,
        },
    );
    r.expect("remove the rule");
    assert!(msg.starts_with("Removed the rule"), "{msg}");
    assert!(state(&live, NET).rules.is_empty());
    assert!(!iptables_rules().contains("kvmm-pf:kvmm-test-net"));
    let st = read_status(Path::new(STATUS_DIR), NET).expect("status file");
    assert!(st.rules.is_empty());
    sh.run(&format!(
        "sleep 600 | busybox nc -l -p {GUEST_PORT} >/dev/console 2>&1 & echo listening"
    ));
    let gone = send_line(addr, "KVMM-PF-MUST-NOT-ARRIVE\n");
    assert!(
        gone.is_err(),
        "the connection still worked after the rule was removed"
    );
    assert!(!sh.await_output("KVMM-PF-MUST-NOT-ARRIVE", Duration::from_secs(2)));
    sh.run("kill $(pidof nc) 2>/dev/null; echo done");

    // libvirt runs the hook itself once restarted: a second network with a rule in its
    // metadata gets its iptables rules and status file when it starts, loses them when
    // it stops.
    kill_libvirtd("TERM");
    start_daemons();
    live.wait_for("reconnected", Duration::from_secs(60), |e| {
        matches!(e, Event::Link(LinkState::Connected))
    });
    live.list(EVENT);
    assert!(!state(&live, NET).hook.needs_daemon_restart);
    let net2 = "<network><name>kvmm-test-pf</name><forward mode='nat'/>\
                <bridge name='kvmm-test-br9' stp='off'/>\
                <ip address='10.213.99.1' netmask='255.255.255.0'/></network>";
    let r2 = parse_rule_input(Proto::Udp, "", "18053", "10.213.99.20", "53").unwrap();
    let xml = with_rules(net2, &[r2]).unwrap();
    let file = std::env::temp_dir().join("kvmm-test-pf.xml");
    std::fs::write(&file, xml).unwrap();
    virsh_ok(&["net-define", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    virsh_ok(&["net-start", NET2]);
    let st = read_status(Path::new(STATUS_DIR), NET2).expect("status file after net-start");
    assert_eq!(st.rules, [r2]);
    assert!(iptables_rules().contains("kvmm-pf:kvmm-test-pf"));
    let s = state(&live, NET2);
    assert!(s.rules[0].active, "{s:?}");
    virsh_ok(&["net-destroy", NET2]);
    assert!(!iptables_rules().contains("kvmm-pf:kvmm-test-pf"));
    assert!(read_status(Path::new(STATUS_DIR), NET2).is_none());
    assert!(!state(&live, NET2).rules[0].active);
}
