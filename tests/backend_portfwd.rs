//! Port forwarding (`Command::PortForward`) on libvirt's test driver with
//! tests/fixtures/states.xml (NAT network `default` on 192.168.122.0/24, isolated network
//! `isolated`): rules round-trip through the network's persistent XML under our
//! namespace, everything else in the definition is kept, bad rules are refused with a
//! message and change nothing. The test driver is not this host's libvirt, so nothing is
//! applied (no hook, no iptables) and rules are reported inactive.

mod common;

use common::*;
use kvm_manager::backend::portfwd::{
    ops::saved_xml, parse_rule_input, rules::network_info, ForwardRule, PortForwardCommand as Pf,
    PortForwardEvent as PfEvent, PortForwards, Proto, NETWORK_NS,
};
use kvm_manager::backend::{BackendError, Command, ErrorKind, Event};

fn get(c: &Conn, network: &str) -> Result<PortForwards, BackendError> {
    c.handle.send(Command::PortForward(Pf::Get {
        network: network.into(),
    }));
    state(c)
}

fn state(c: &Conn) -> Result<PortForwards, BackendError> {
    match c.wait_for("PortForward State", |e| {
        matches!(e, Event::PortForward(PfEvent::State(_)))
    }) {
        Event::PortForward(PfEvent::State(r)) => r,
        _ => unreachable!(),
    }
}

fn done(c: &Conn) -> (String, Result<(), BackendError>) {
    match c.wait_for("PortForward Done", |e| {
        matches!(e, Event::PortForward(PfEvent::Done { .. }))
    }) {
        Event::PortForward(PfEvent::Done { message, result }) => (message, result),
        _ => unreachable!(),
    }
}

fn send(c: &Conn, cmd: Pf) -> (String, Result<(), BackendError>, Option<PortForwards>) {
    c.handle.send(Command::PortForward(cmd));
    let (m, r) = done(c);
    // A fresh state follows every Add/Remove, whatever the outcome.
    let s = state(c).ok();
    (m, r, s)
}

fn inactive_xml(c: &Conn, network: &str) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let n = network.to_owned();
    c.handle.run_on_connection(move |conn| {
        let net = conn.lookup_network_by_name(&n).unwrap();
        let _ = tx.send(saved_xml(&net).unwrap());
    });
    rx.recv_timeout(TIMEOUT).unwrap()
}

/// Stop the network: the test driver keeps a running network's definition and
/// its saved one apart but shows only the running one, so rules saved on a running
/// network would not be visible here (the live tests cover running networks).
fn stop(c: &Conn, network: &str) {
    let (tx, rx) = std::sync::mpsc::channel();
    let n = network.to_owned();
    c.handle.run_on_connection(move |conn| {
        let net = conn.lookup_network_by_name(&n).unwrap();
        let _ = tx.send(net.destroy().is_ok());
    });
    assert!(rx.recv_timeout(TIMEOUT).unwrap());
}

fn rule(hp: &str, guest: &str, gp: &str) -> ForwardRule {
    parse_rule_input(Proto::Tcp, "", hp, guest, gp).unwrap()
}

#[test]
fn add_and_remove_round_trip_through_the_network_xml() {
    let c = spawn(&states_uri());
    c.list();
    assert!(get(&c, "default").unwrap().network_active);
    stop(&c, "default");
    let s = get(&c, "default").unwrap();
    assert!(s.nat && !s.network_active && s.rules.is_empty());
    assert_eq!(s.subnets, ["192.168.122.0/24"]);
    assert!(
        !s.hook.installed,
        "the test driver is not this host: no hook"
    );
    let before = inactive_xml(&c, "default");

    let web = rule("8080", "192.168.122.10", "80");
    let dns = parse_rule_input(Proto::Udp, "", "5353", "192.168.122.11", "53").unwrap();
    for r in [web, dns] {
        let (msg, res, s) = send(
            &c,
            Pf::Add {
                network: "default".into(),
                rule: r,
            },
        );
        res.unwrap();
        assert!(
            msg.contains(&r.describe()) && msg.contains("“default”"),
            "{msg}"
        );
        assert!(msg.contains("when “default” starts"), "{msg}");
        let s = s.unwrap();
        assert!(s.rules.iter().any(|st| st.rule == r && !st.active), "{s:?}");
    }
    let xml = inactive_xml(&c, "default");
    assert!(xml.contains(NETWORK_NS), "{xml}");
    let info = network_info(&xml).unwrap();
    assert_eq!(info.rules, [web, dns]);
    // Everything else of the definition is as it was.
    let strip = |x: &str| {
        network_info(x).map(|mut i| {
            i.rules.clear();
            i
        })
    };
    assert_eq!(strip(&xml).unwrap(), strip(&before).unwrap());
    assert!(
        xml.contains("<range start='192.168.122.2' end='192.168.122.254'/>"),
        "{xml}"
    );

    let (msg, res, s) = send(
        &c,
        Pf::Remove {
            network: "default".into(),
            rule: web,
        },
    );
    res.unwrap();
    assert!(msg.starts_with("Removed the rule"), "{msg}");
    assert_eq!(
        s.unwrap().rules.iter().map(|r| r.rule).collect::<Vec<_>>(),
        [dns]
    );
    let (_, res, _) = send(
        &c,
        Pf::Remove {
            network: "default".into(),
            rule: dns,
        },
    );
    res.unwrap();
    let after = inactive_xml(&c, "default");
    assert!(!after.contains("port-forwards"), "{after}");

    // Removing what is not there.
    let (_, res, _) = send(
        &c,
        Pf::Remove {
            network: "default".into(),
            rule: dns,
        },
    );
    assert_eq!(res.unwrap_err().kind, ErrorKind::NotFound);
}

#[test]
fn bad_rules_are_refused_and_change_nothing() {
    let c = spawn(&states_uri());
    c.list();
    stop(&c, "default");
    stop(&c, "isolated");
    let web = rule("8080", "192.168.122.10", "80");
    send(
        &c,
        Pf::Add {
            network: "default".into(),
            rule: web,
        },
    )
    .1
    .unwrap();
    let before = inactive_xml(&c, "default");

    let cases = [
        (
            "default",
            rule("8080", "192.168.122.20", "81"),
            "already forwarded: TCP 8080 → 192.168.122.10:80 on “default”",
        ),
        (
            "default",
            rule("8081", "10.10.0.5", "80"),
            "not in the network “default” (192.168.122.0/24)",
        ),
        ("default", rule("8081", "192.168.122.1", "80"), "reserved"),
        (
            "isolated",
            rule("8081", "10.10.0.5", "80"),
            "Port forwarding needs a NAT network; “isolated” is isolated.",
        ),
    ];
    for (net, r, expected) in cases {
        let (msg, res, _) = send(
            &c,
            Pf::Add {
                network: net.into(),
                rule: r,
            },
        );
        let e = res.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
        assert!(
            e.message.contains(expected),
            "{expected:?} not in {:?}",
            e.message
        );
        assert!(msg.starts_with("Could not forward"), "{msg}");
    }
    assert_eq!(inactive_xml(&c, "default"), before);
    assert!(!inactive_xml(&c, "isolated").contains("port-forwards"));

    // A network that does not exist.
    let (_, res, _) = send(
        &c,
        Pf::Add {
            network: "nope".into(),
            rule: web,
        },
    );
    assert!(res.is_err());
    assert!(get(&c, "nope").is_err());
    // The hook cannot be installed through the test driver.
    c.handle.send(Command::PortForward(Pf::InstallHook));
    let (_, res) = done(&c);
    assert_eq!(res.unwrap_err().kind, ErrorKind::Unsupported);
}

#[test]
fn the_form_refuses_bad_ports() {
    for (hp, gp) in [("0", "80"), ("65536", "80"), ("80", "x"), ("", "80")] {
        let e = parse_rule_input(Proto::Tcp, "", hp, "192.168.122.10", gp).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
    }
}
