//! Live tests of the networks backend on a real libvirtd (included by tests/live.rs as
//! `n_networks`): a DHCP static host added with net-update on the rig's running network
//! gives the guest the reserved address, and a NAT network is created, started, stopped
//! and deleted on a free subnet (its DHCP range replaced on the way). Each test leaves
//! the rig's network as the rig made it.

use std::net::IpAddr;
use std::process::Command as Process;
use std::time::Duration;

use kvm_manager::backend::networks::{
    DhcpHost, Lease, NetAction, NetMode, NetworkCommand, NetworkEvent, NetworkInfo, NetworkSpec,
    SubnetSpec,
};
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event};

use crate::support::*;

/// Fixed by tests/live/rig.py.
const NETWORK: &str = "kvmm-test-net";
const MAC: &str = "52:54:00:6b:76:6d";
/// Removed by `rig.py down` like everything named kvmm-test-*.
const NAT: &str = "kvmm-test-nat";

fn send(live: &Live, cmd: NetworkCommand) {
    live.handle.send(Command::Network(cmd));
}

fn next_list(live: &Live) -> Vec<NetworkInfo> {
    match live.wait_for("Network List", EVENT, |e| {
        matches!(e, Event::Network(NetworkEvent::List(_)))
    }) {
        Event::Network(NetworkEvent::List(r)) => r.expect("network list"),
        _ => unreachable!(),
    }
}

fn list(live: &Live) -> Vec<NetworkInfo> {
    send(live, NetworkCommand::List);
    next_list(live)
}

/// Send a change; its result and the fresh list that follows.
fn change(live: &Live, cmd: NetworkCommand) -> (Result<(), BackendError>, Vec<NetworkInfo>) {
    send(live, cmd);
    let result = match live.wait_for("Network Done", EVENT, |e| {
        matches!(e, Event::Network(NetworkEvent::Done { .. }))
    }) {
        Event::Network(NetworkEvent::Done { message, result }) => {
            println!("done: {message} {result:?}");
            result
        }
        _ => unreachable!(),
    };
    (result, next_list(live))
}

fn get<'a>(nets: &'a [NetworkInfo], name: &str) -> &'a NetworkInfo {
    nets.iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("{name} not in {nets:#?}"))
}

fn leases(live: &Live) -> Vec<Lease> {
    send(
        live,
        NetworkCommand::Leases {
            name: NETWORK.into(),
        },
    );
    match live.wait_for("Leases", EVENT, |e| {
        matches!(e, Event::Network(NetworkEvent::Leases { .. }))
    }) {
        Event::Network(NetworkEvent::Leases { result, .. }) => result.expect("leases"),
        _ => unreachable!(),
    }
}

/// Make the guest ask for a lease afresh (its background udhcpc stops; a new one gets
/// a lease, configures eth0 and exits); its IPv4 address afterwards.
fn renew(sh: &mut Shell) -> String {
    let out = sh
        .try_run(
            "killall udhcpc >/dev/null 2>&1; udhcpc -i eth0 -s /etc/udhcpc.script -n -q -t 10 -T 1 \
             -x hostname:kvmm-guest >/dev/null 2>&1; ip -4 addr show dev eth0 | grep -o 'inet [0-9./]*'",
            Duration::from_secs(40),
        )
        .expect("the guest renewed its lease");
    out.trim().trim_start_matches("inet ").to_owned()
}

/// Puts the rig's static host back (with virsh) if the test fails half-way.
struct Restore {
    original: DhcpHost,
    reserved: Option<DhcpHost>,
    armed: bool,
}

fn host_xml(h: &DhcpHost) -> String {
    kvm_manager::backend::networks::spec::host_xml(h)
}

impl Drop for Restore {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let update = |cmd: &str, h: &DhcpHost| {
            virsh(&[
                "net-update",
                NETWORK,
                cmd,
                "ip-dhcp-host",
                &host_xml(h),
                "--live",
                "--config",
            ])
        };
        if let Some(r) = &self.reserved {
            update("delete", r);
        }
        update("add", &self.original);
    }
}

#[test]
fn a_dhcp_static_host_gives_the_reserved_ip() {
    if !enabled("n_networks::a_dhcp_static_host_gives_the_reserved_ip") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let nets = list(&live);
    let net = get(&nets, NETWORK);
    assert!(net.active && net.persistent, "{net:#?}");
    assert_eq!(net.mode, NetMode::Nat);
    assert!(net.vms.iter().any(|v| v == DOMAIN), "{net:#?}");
    let v4 = net.ipv4.clone().expect("the rig's IPv4 subnet");
    let original = v4
        .hosts
        .iter()
        .find(|h| h.mac == MAC)
        .cloned()
        .expect("the rig's static host for the guest");
    // Outside the DHCP range (.100-.200) and not the rig's .10.
    let subnet = v4.subnet();
    let reserved_ip: IpAddr = match subnet.network {
        IpAddr::V4(a) => IpAddr::V4(std::net::Ipv4Addr::from(u32::from(a) + 77)),
        IpAddr::V6(_) => unreachable!(),
    };
    assert_ne!(reserved_ip, original.ip);
    let mut restore = Restore {
        original: original.clone(),
        reserved: None,
        armed: true,
    };

    let mut sh = Shell::open(&live.details());
    let before = renew(&mut sh);
    assert!(before.starts_with(&format!("{}/", original.ip)), "{before}");

    // The MAC has an entry already: a second one is refused with a clear message.
    let reserved = DhcpHost {
        mac: MAC.to_uppercase(),
        ip: reserved_ip,
        name: Some(DOMAIN.into()),
    };
    let (r, _) = change(
        &live,
        NetworkCommand::AddDhcpHost {
            name: NETWORK.into(),
            host: reserved.clone(),
        },
    );
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("already has a static address"), "{e:?}");

    let (r, _) = change(
        &live,
        NetworkCommand::RemoveDhcpHost {
            name: NETWORK.into(),
            mac: MAC.into(),
        },
    );
    r.expect("remove the rig's static host");
    let (r, nets) = change(
        &live,
        NetworkCommand::AddDhcpHost {
            name: NETWORK.into(),
            host: reserved.clone(),
        },
    );
    r.expect("add the reserved host");
    let stored = DhcpHost {
        mac: MAC.into(),
        ..reserved
    };
    restore.reserved = Some(stored.clone());
    let hosts = &get(&nets, NETWORK).ipv4.as_ref().unwrap().hosts;
    assert_eq!(hosts, std::slice::from_ref(&stored), "live network");
    let persistent = virsh_ok(&["net-dumpxml", "--inactive", NETWORK]);
    let has_ip = |a: IpAddr| persistent.contains(&format!("ip='{a}'"));
    assert!(
        has_ip(reserved_ip) && !has_ip(original.ip),
        "persistent definition: {persistent}"
    );

    let got = renew(&mut sh);
    println!("guest address after the reservation: {got}");
    assert!(
        got.starts_with(&format!("{reserved_ip}/{}", v4.prefix)),
        "expected {reserved_ip}, the guest has {got}"
    );
    let lease = wait_until("the reserved lease in the leases API", EVENT, || {
        leases(&live)
            .into_iter()
            .find(|l| l.mac == MAC && l.ip == reserved_ip.to_string())
    });
    println!("lease: {lease:?}");
    assert_eq!(lease.prefix, u32::from(v4.prefix));
    assert!(lease.expiry.unwrap_or(0) > 0, "{lease:?}");

    // Back to the rig's entry, through the backend again.
    let (r, _) = change(
        &live,
        NetworkCommand::RemoveDhcpHost {
            name: NETWORK.into(),
            mac: MAC.into(),
        },
    );
    r.expect("remove the reserved host");
    restore.reserved = None;
    let (r, nets) = change(
        &live,
        NetworkCommand::AddDhcpHost {
            name: NETWORK.into(),
            host: original.clone(),
        },
    );
    r.expect("restore the rig's host");
    restore.armed = false;
    assert_eq!(
        get(&nets, NETWORK).ipv4.as_ref().unwrap().hosts,
        std::slice::from_ref(&original)
    );
    let back = renew(&mut sh);
    assert!(back.starts_with(&format!("{}/", original.ip)), "{back}");
}

/// The bridge's IPv4 addresses on the host (`ip -4 -o addr show dev BRIDGE`).
fn bridge_addresses(bridge: &str) -> Option<String> {
    let out = Process::new("ip")
        .args(["-4", "-o", "addr", "show", "dev", bridge])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn b_nat_network_create_start_stop_delete() {
    if !enabled("n_networks::b_nat_network_create_start_stop_delete") {
        return;
    }
    let live = Live::connect();
    let spec = |cidr: &str, dhcp: Option<(String, String)>| NetworkSpec {
        name: NAT.into(),
        mode: NetMode::Nat,
        host_bridge: None,
        forward_dev: None,
        ipv4: Some(SubnetSpec {
            cidr: cidr.into(),
            dhcp,
        }),
        ipv6: None,
        domain: Some("kvmmtest".into()),
        autostart: false,
        start: true,
    };

    // Overlaps are refused, naming the rig's network or the host interface.
    let rig = get(&list(&live), NETWORK).ipv4.clone().unwrap().subnet();
    let (r, nets) = change(
        &live,
        NetworkCommand::Create(Box::new(spec(&rig.to_string(), None))),
    );
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(
        e.message.contains(&format!("overlaps “{NETWORK}” ({rig})")),
        "{e:?}"
    );
    assert!(nets.iter().all(|n| n.name != NAT));
    let host_v4 = kvm_manager::backend::networks::host_addresses()
        .into_iter()
        .find(|(i, a, p)| {
            a.is_ipv4() && i != "lo" && !i.starts_with("kvmm") && *p >= 8 && *p <= 30
        });
    if let Some((iface, addr, prefix)) = host_v4 {
        let sub = kvm_manager::backend::networks::subnet::Subnet::containing(addr, prefix);
        let (r, _) = change(
            &live,
            NetworkCommand::Create(Box::new(spec(&sub.to_string(), None))),
        );
        let e = r.unwrap_err();
        assert!(
            e.message.contains(&format!("{iface}’s {addr}/{prefix}")),
            "{e:?}"
        );
    }

    // A free subnet: the first candidate the validation accepts.
    let mut created = None;
    for third in [88u8, 89, 90, 91] {
        let cidr = format!("10.214.{third}.0/24");
        let dhcp = Some((format!("10.214.{third}.100"), format!("10.214.{third}.199")));
        let (r, nets) = change(&live, NetworkCommand::Create(Box::new(spec(&cidr, dhcp))));
        match r {
            Ok(()) => {
                created = Some((third, get(&nets, NAT).clone()));
                break;
            }
            Err(e) if e.message.contains("overlaps") => println!("{cidr} taken: {e}"),
            Err(e) => panic!("create {cidr}: {e:?}"),
        }
    }
    let (third, net) = created.expect("a free 10.214.x.0/24");
    assert!(net.active && net.persistent && !net.autostart, "{net:#?}");
    let bridge = net.bridge.clone().expect("libvirt named the bridge");
    let addrs = bridge_addresses(&bridge).unwrap_or_default();
    assert!(
        addrs.contains(&format!("10.214.{third}.1/24")),
        "{bridge}: {addrs}"
    );
    assert!(virsh_ok(&["net-dumpxml", NAT]).contains("kvmmtest"));

    let act = |a| NetworkCommand::Action {
        name: NAT.into(),
        action: a,
    };
    let (r, nets) = change(&live, act(NetAction::Autostart(true)));
    r.unwrap();
    assert!(get(&nets, NAT).autostart);
    assert!(virsh_ok(&["net-info", NAT]).contains("Autostart:      yes"));
    let (r, _) = change(&live, act(NetAction::Autostart(false)));
    r.unwrap();

    let (r, nets) = change(&live, act(NetAction::Stop));
    r.unwrap();
    assert!(!get(&nets, NAT).active);
    assert!(
        bridge_addresses(&bridge).is_none(),
        "the bridge is gone when stopped"
    );
    let (r, nets) = change(&live, act(NetAction::Start));
    r.unwrap();
    assert!(get(&nets, NAT).active);
    assert!(bridge_addresses(&bridge).is_some());

    // The DHCP range is replaced in the running network and in its definition.
    let (start, end) = (format!("10.214.{third}.120"), format!("10.214.{third}.130"));
    let (r, nets) = change(
        &live,
        NetworkCommand::SetDhcpRange {
            name: NAT.into(),
            start: start.clone(),
            end: end.clone(),
        },
    );
    r.expect("set the DHCP range");
    let want: (IpAddr, IpAddr) = (start.parse().unwrap(), end.parse().unwrap());
    assert_eq!(get(&nets, NAT).ipv4.as_ref().unwrap().dhcp_ranges, [want]);
    for args in [
        &["net-dumpxml", NAT][..],
        &["net-dumpxml", "--inactive", NAT],
    ] {
        let xml = virsh_ok(args);
        assert!(
            xml.contains(&format!("<range start='{start}' end='{end}'/>"))
                && !xml.contains(&format!("10.214.{third}.199")),
            "{args:?}: {xml}"
        );
    }

    let (r, nets) = change(&live, NetworkCommand::Delete { name: NAT.into() });
    r.unwrap();
    assert!(nets.iter().all(|n| n.name != NAT));
    assert!(!virsh_ok(&["net-list", "--all", "--name"]).contains(NAT));
    assert!(bridge_addresses(&bridge).is_none());
}
