//! The networks backend through a worker on libvirt's test driver (tests/fixtures/
//! states.xml: networks `default` (NAT, DHCP) and `isolated`). One scenario = one
//! connection, since the test driver keeps state per connection.
//!
//! The test driver supports define/start/stop/undefine, autostart and net-update (for
//! ranges only add and delete, as libvirt itself); it has no DHCP leases, which the live
//! test covers.

mod common;

use std::net::IpAddr;

use common::{spawn, states_uri, Conn};
use kvm_manager::backend::networks::{
    DhcpHost, NetAction, NetMode, NetworkCommand, NetworkEvent, NetworkInfo, NetworkSpec,
    SubnetSpec,
};
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn send(c: &Conn, cmd: NetworkCommand) {
    c.handle.send(Command::Network(cmd));
}

fn list(c: &Conn) -> Vec<NetworkInfo> {
    send(c, NetworkCommand::List);
    next_list(c)
}

fn next_list(c: &Conn) -> Vec<NetworkInfo> {
    match c.wait_for("Network List", |e| {
        matches!(e, Event::Network(NetworkEvent::List(_)))
    }) {
        Event::Network(NetworkEvent::List(r)) => r.expect("network list"),
        _ => unreachable!(),
    }
}

/// Send a change; its Done (message, result) and the list that follows.
fn change(c: &Conn, cmd: NetworkCommand) -> (String, Result<(), BackendError>, Vec<NetworkInfo>) {
    send(c, cmd);
    let (message, result) = match c.wait_for("Network Done", |e| {
        matches!(e, Event::Network(NetworkEvent::Done { .. }))
    }) {
        Event::Network(NetworkEvent::Done { message, result }) => (message, result),
        _ => unreachable!(),
    };
    (message, result, next_list(c))
}

fn get<'a>(nets: &'a [NetworkInfo], name: &str) -> &'a NetworkInfo {
    nets.iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("{name} not in {nets:#?}"))
}

/// The network's XML; `persistent`: its definition, read by stopping it (the test
/// driver has no inactive view of a network) and starting it again.
fn net_xml(c: &Conn, name: &str, persistent: bool) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let name = name.to_owned();
    c.handle.run_on_connection(move |conn| {
        let n = conn.lookup_network_by_name(&name).unwrap();
        if persistent && n.is_active().unwrap() {
            n.destroy().unwrap();
            let xml = n.xml_desc(0).unwrap();
            n.create().unwrap();
            let _ = tx.send(xml);
        } else {
            let _ = tx.send(n.xml_desc(0).unwrap());
        }
    });
    rx.recv_timeout(common::TIMEOUT).unwrap()
}

fn nat_spec(name: &str, cidr: &str) -> NetworkSpec {
    NetworkSpec {
        name: name.into(),
        mode: NetMode::Nat,
        host_bridge: None,
        forward_dev: None,
        ipv4: Some(SubnetSpec {
            cidr: cidr.into(),
            dhcp: None,
        }),
        ipv6: None,
        domain: None,
        autostart: false,
        start: false,
    }
}

#[test]
fn list_shows_modes_subnets_and_vms() {
    let c = spawn(&states_uri());
    let nets = list(&c);
    assert_eq!(
        nets.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["default", "isolated"]
    );
    let d = get(&nets, "default");
    assert_eq!(d.mode, NetMode::Nat);
    assert_eq!(d.bridge.as_deref(), Some("virbr0"));
    assert!(d.active && d.persistent);
    let v4 = d.ipv4.as_ref().unwrap();
    assert_eq!((v4.address, v4.prefix), (ip("192.168.122.1"), 24));
    assert_eq!(
        v4.dhcp_ranges,
        [(ip("192.168.122.2"), ip("192.168.122.254"))]
    );
    assert!(d.ipv6.is_none());
    assert_eq!(d.vms, ["build-off", "web-uefi"]);
    let i = get(&nets, "isolated");
    assert_eq!(i.mode, NetMode::Isolated);
    assert_eq!(i.vms, ["web-uefi"]);
    assert!(i.ipv4.as_ref().unwrap().dhcp_ranges.is_empty());
}

#[test]
fn create_start_autostart_stop_delete() {
    let c = spawn(&states_uri());
    let mut spec = nat_spec("lab", "10.251.7.0/24");
    spec.ipv4.as_mut().unwrap().dhcp = Some(("10.251.7.100".into(), "10.251.7.199".into()));
    spec.ipv6 = Some(SubnetSpec {
        cidr: "fd00:251:7::/64".into(),
        dhcp: None,
    });
    spec.domain = Some("lab".into());
    spec.start = true;
    spec.autostart = true;
    let (msg, r, nets) = change(&c, NetworkCommand::Create(Box::new(spec)));
    r.unwrap();
    assert_eq!(msg, "Network “lab” created");
    let lab = get(&nets, "lab");
    assert!(lab.active && lab.autostart && lab.persistent, "{lab:#?}");
    assert_eq!(lab.mode, NetMode::Nat);
    assert_eq!(lab.ipv4.as_ref().unwrap().address, ip("10.251.7.1"));
    assert_eq!(lab.ipv6.as_ref().unwrap().address, ip("fd00:251:7::1"));
    assert_eq!(lab.domain.as_deref(), Some("lab"));
    assert!(lab.vms.is_empty());

    let act = |a| NetworkCommand::Action {
        name: "lab".into(),
        action: a,
    };
    let (msg, r, nets) = change(&c, act(NetAction::Stop));
    r.unwrap();
    assert_eq!(msg, "Network “lab” stopped");
    assert!(!get(&nets, "lab").active);
    let (_, r, nets) = change(&c, act(NetAction::Autostart(false)));
    r.unwrap();
    assert!(!get(&nets, "lab").autostart);
    let (msg, r, nets) = change(&c, act(NetAction::Start));
    r.unwrap();
    assert_eq!(msg, "Network “lab” started");
    assert!(get(&nets, "lab").active);

    // Starting a running network: libvirt's refusal, with the failure sentence.
    let (msg, r, _) = change(&c, act(NetAction::Start));
    assert_eq!(msg, "Could not start the network “lab”");
    assert_eq!(r.unwrap_err().kind, ErrorKind::InvalidState);

    // Delete stops it first.
    let (msg, r, nets) = change(&c, NetworkCommand::Delete { name: "lab".into() });
    r.unwrap();
    assert_eq!(msg, "Network “lab” deleted");
    assert!(nets.iter().all(|n| n.name != "lab"));

    let (_, r, _) = change(&c, NetworkCommand::Delete { name: "lab".into() });
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert!(e.hint.contains("network"), "{e:?}");
}

#[test]
fn defined_only_and_deleting_a_network_in_use() {
    let c = spawn(&states_uri());
    let (_, r, nets) = change(
        &c,
        NetworkCommand::Create(Box::new(nat_spec("quiet", "10.251.8.0/24"))),
    );
    r.unwrap();
    let q = get(&nets, "quiet");
    assert!(!q.active && !q.autostart && q.persistent);
    // `default` has machines on it; deleting is allowed (the UI warns with `vms`).
    let (_, r, nets) = change(
        &c,
        NetworkCommand::Delete {
            name: "default".into(),
        },
    );
    r.unwrap();
    assert!(nets.iter().all(|n| n.name != "default"));
}

#[test]
fn refused_specs_change_nothing() {
    let c = spawn(&states_uri());
    let before = list(&c);
    let cases = [
        (
            nat_spec("lab", "192.168.0.0/16"),
            "overlaps “default” (192.168.122.0/24)",
        ),
        (
            nat_spec("isolated", "10.251.9.0/24"),
            "“isolated” already exists",
        ),
        (
            nat_spec("lab", "10.251.9.9/24"),
            "did you mean 10.251.9.0/24",
        ),
        (
            nat_spec("lab", "10.10.0.0/16"),
            "overlaps “isolated” (10.10.0.0/24)",
        ),
    ];
    for (spec, want) in cases {
        let (msg, r, nets) = change(&c, NetworkCommand::Create(Box::new(spec.clone())));
        let e = r.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
        assert!(e.message.contains(want), "{want}: {e:?}");
        assert_eq!(msg, format!("Could not create the network “{}”", spec.name));
        assert_eq!(nets, before);
    }
    // Bridge mode: the test driver's host has no bridge at all.
    let mut spec = nat_spec("lab", "10.251.9.0/24");
    spec.mode = NetMode::Bridge;
    spec.ipv4 = None;
    spec.host_bridge = Some("br0".into());
    let (_, r, nets) = change(&c, NetworkCommand::Create(Box::new(spec)));
    let e = r.unwrap_err();
    assert!(e.message.contains("no bridge “br0”"), "{e:?}");
    assert_eq!(nets, before);
}

#[test]
fn dhcp_hosts_live_and_persistent() {
    let c = spawn(&states_uri());
    let host = DhcpHost {
        mac: "52:54:00:AB:CD:01".into(),
        ip: ip("192.168.122.50"),
        name: Some("web".into()),
    };
    let add = |h: &DhcpHost| NetworkCommand::AddDhcpHost {
        name: "default".into(),
        host: h.clone(),
    };
    let (msg, r, nets) = change(&c, add(&host));
    r.unwrap();
    assert_eq!(
        msg,
        "192.168.122.50 reserved for 52:54:00:AB:CD:01 on “default”"
    );
    let hosts = &get(&nets, "default").ipv4.as_ref().unwrap().hosts;
    assert_eq!(
        hosts,
        &[DhcpHost {
            mac: "52:54:00:ab:cd:01".into(),
            ..host.clone()
        }]
    );
    for inactive in [false, true] {
        let xml = net_xml(&c, "default", inactive);
        assert!(
            xml.contains("52:54:00:ab:cd:01"),
            "inactive={inactive}: {xml}"
        );
    }

    // The same IP for another MAC, the same MAC again, the gateway: refused.
    for (mac, addr, want) in [
        (
            "52:54:00:ab:cd:02",
            "192.168.122.50",
            "already reserved for 52:54:00:ab:cd:01",
        ),
        (
            "52:54:00:ab:cd:01",
            "192.168.122.51",
            "already has a static address",
        ),
        (
            "52:54:00:ab:cd:02",
            "192.168.122.1",
            "is the gateway of “default”",
        ),
        (
            "52:54:00:ab:cd:02",
            "10.0.0.5",
            "not a usable address in 192.168.122.0/24",
        ),
    ] {
        let h = DhcpHost {
            mac: mac.into(),
            ip: ip(addr),
            name: None,
        };
        let (_, r, after) = change(&c, add(&h));
        let e = r.unwrap_err();
        assert!(e.message.contains(want), "{want}: {e:?}");
        assert_eq!(after, nets);
    }

    let remove = |mac: &str| NetworkCommand::RemoveDhcpHost {
        name: "default".into(),
        mac: mac.into(),
    };
    let (msg, r, nets) = change(&c, remove("52:54:00:ab:cd:01"));
    r.unwrap();
    assert_eq!(msg, "Static host 52:54:00:ab:cd:01 removed from “default”");
    assert!(get(&nets, "default")
        .ipv4
        .as_ref()
        .unwrap()
        .hosts
        .is_empty());
    for inactive in [false, true] {
        assert!(!net_xml(&c, "default", inactive).contains("52:54:00:ab:cd:01"));
    }
    let (_, r, _) = change(&c, remove("52:54:00:ab:cd:01"));
    assert!(r.unwrap_err().message.contains("no static DHCP host"));
}

#[test]
fn dhcp_hosts_on_a_stopped_network_go_to_the_definition() {
    let c = spawn(&states_uri());
    let (_, r, _) = change(
        &c,
        NetworkCommand::Action {
            name: "isolated".into(),
            action: NetAction::Stop,
        },
    );
    r.unwrap();
    let (_, r, nets) = change(
        &c,
        NetworkCommand::AddDhcpHost {
            name: "isolated".into(),
            host: DhcpHost {
                mac: "52:54:00:10:00:02".into(),
                ip: ip("10.10.0.20"),
                name: None,
            },
        },
    );
    r.unwrap();
    let i = get(&nets, "isolated");
    assert!(!i.active);
    assert_eq!(i.ipv4.as_ref().unwrap().hosts[0].ip, ip("10.10.0.20"));
}

#[test]
fn dhcp_range_is_replaced_in_both_copies() {
    let c = spawn(&states_uri());
    let set = |s: &str, e: &str| NetworkCommand::SetDhcpRange {
        name: "default".into(),
        start: s.into(),
        end: e.into(),
    };
    let (msg, r, nets) = change(&c, set("192.168.122.100", "192.168.122.150"));
    r.unwrap();
    assert_eq!(
        msg,
        "DHCP range of “default” is now 192.168.122.100–192.168.122.150"
    );
    let want = [(ip("192.168.122.100"), ip("192.168.122.150"))];
    assert_eq!(
        get(&nets, "default").ipv4.as_ref().unwrap().dhcp_ranges,
        want
    );
    let persistent = net_xml(&c, "default", true);
    assert!(
        persistent.contains("192.168.122.100") && !persistent.contains("192.168.122.254"),
        "{persistent}"
    );

    let (_, r, after) = change(&c, set("192.168.122.1", "192.168.122.9"));
    assert!(r.unwrap_err().message.contains("contains the gateway"));
    assert_eq!(after, nets);
    let (_, r, after) = change(&c, set("192.168.122.90", "192.168.122.9"));
    assert!(r.unwrap_err().message.contains("after its end"));
    assert_eq!(after, nets);

    // Where DHCP was off, the range is added.
    let (_, r, nets) = change(
        &c,
        NetworkCommand::SetDhcpRange {
            name: "isolated".into(),
            start: "10.10.0.100".into(),
            end: "10.10.0.200".into(),
        },
    );
    r.unwrap();
    assert_eq!(
        get(&nets, "isolated").ipv4.as_ref().unwrap().dhcp_ranges,
        [(ip("10.10.0.100"), ip("10.10.0.200"))]
    );
}

#[test]
fn leases_unsupported_by_the_test_driver_and_host_facts() {
    let c = spawn(&states_uri());
    send(
        &c,
        NetworkCommand::Leases {
            name: "default".into(),
        },
    );
    match c.wait_for("Leases", |e| {
        matches!(e, Event::Network(NetworkEvent::Leases { .. }))
    }) {
        Event::Network(NetworkEvent::Leases { name, result }) => {
            assert_eq!(name, "default");
            assert_eq!(result.unwrap_err().kind, ErrorKind::Unsupported);
        }
        _ => unreachable!(),
    }
    send(
        &c,
        NetworkCommand::Leases {
            name: "nope".into(),
        },
    );
    match c.wait_for("Leases", |e| {
        matches!(e, Event::Network(NetworkEvent::Leases { .. }))
    }) {
        Event::Network(NetworkEvent::Leases { result, .. }) => {
            assert_eq!(result.unwrap_err().kind, ErrorKind::NotFound)
        }
        _ => unreachable!(),
    }
    send(&c, NetworkCommand::HostFacts);
    match c.wait_for("HostFacts", |e| {
        matches!(e, Event::Network(NetworkEvent::HostFacts(_)))
    }) {
        Event::Network(NetworkEvent::HostFacts(r)) => {
            let f = r.unwrap();
            assert!(f.bridges.is_empty(), "{f:?}");
            assert!(f.addresses.iter().any(|(i, _, _)| i == "lo"), "{f:?}");
        }
        _ => unreachable!(),
    }
}

#[test]
fn golden_xml_is_accepted_by_libvirt() {
    let c = spawn(&states_uri());
    for mode in ["nat", "route", "isolated", "open", "bridge"] {
        let xml =
            std::fs::read_to_string(common::fixture("golden").join(format!("net-{mode}.xml")))
                .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        c.handle.run_on_connection(move |conn| {
            let r = conn.define_network_xml(&xml).map(|n| {
                let back = n.xml_desc(0).unwrap();
                n.undefine().unwrap();
                back
            });
            let _ = tx.send(r.map_err(|e| e.to_string()));
        });
        let back = rx
            .recv_timeout(common::TIMEOUT)
            .unwrap()
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let info = kvm_manager::backend::networks::info::parse_network(&back).unwrap();
        assert_eq!(info.name, "lab-net");
        assert_eq!(info.mode.forward_mode().unwrap_or("isolated"), mode);
    }
}

#[test]
fn requests_while_disconnected_are_answered() {
    let c = spawn(&states_uri());
    list(&c);
    c.handle.simulate_connection_loss();
    c.wait_for("Disconnected", |e| {
        matches!(
            e,
            Event::Link(kvm_manager::backend::LinkState::Disconnected { .. })
        )
    });
    send(&c, NetworkCommand::List);
    match c.wait_for("List", |e| {
        matches!(e, Event::Network(NetworkEvent::List(_)))
    }) {
        Event::Network(NetworkEvent::List(r)) => {
            assert_eq!(r.unwrap_err().kind, ErrorKind::Disconnected)
        }
        _ => unreachable!(),
    }
    send(
        &c,
        NetworkCommand::Delete {
            name: "default".into(),
        },
    );
    match c.wait_for("Done", |e| {
        matches!(e, Event::Network(NetworkEvent::Done { .. }))
    }) {
        Event::Network(NetworkEvent::Done { message, result }) => {
            assert_eq!(message, "Could not delete the network “default”");
            assert_eq!(result.unwrap_err().kind, ErrorKind::Disconnected);
        }
        _ => unreachable!(),
    }
}
