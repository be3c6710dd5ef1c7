//! Network validation rules (pure: no libvirt) and the XML written for each mode, compared
//! with golden files in tests/fixtures/golden/net-*.xml (`UPDATE_GOLDEN=1` rewrites them).
//! Every refusal must be `InvalidInput` and name what clashes.

mod common;

use std::net::IpAddr;

use common::golden;
use kvm_manager::backend::networks::info::parse_network;
use kvm_manager::backend::networks::validate::{
    find_dhcp_host, validate_bridge, validate_dhcp_host, validate_dhcp_range,
};
use kvm_manager::backend::networks::{
    validate, DhcpHost, NetMode, NetworkInfo, NetworkSpec, SubnetSpec,
};
use kvm_manager::backend::ErrorKind;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The networks of tests/fixtures/states.xml plus one with IPv6 and static hosts.
fn existing() -> Vec<NetworkInfo> {
    let mut out: Vec<NetworkInfo> = [
        "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>\
         <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>\
         <range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>",
        "<network><name>isolated</name><bridge name='virbr1'/>\
         <ip address='10.10.0.1' prefix='24'/></network>",
        "<network><name>lab</name><forward mode='route'/><bridge name='virbr2'/>\
         <ip address='172.30.0.1' prefix='16'><dhcp>\
         <range start='172.30.1.0' end='172.30.1.255'/>\
         <host mac='52:54:00:AA:00:01' name='web' ip='172.30.0.10'/></dhcp></ip>\
         <ip family='ipv6' address='fd00:aaaa::1' prefix='64'/></network>",
    ]
    .iter()
    .map(|x| parse_network(x).unwrap())
    .collect();
    for n in &mut out {
        n.active = true;
        n.persistent = true;
    }
    out
}

fn host() -> Vec<(String, IpAddr, u8)> {
    vec![
        ("lo".into(), ip("127.0.0.1"), 8),
        ("eth0".into(), ip("10.0.2.15"), 24),
        ("eth0".into(), ip("2001:db8:5::15"), 64),
    ]
}

fn nat(name: &str, cidr: &str, dhcp: Option<(&str, &str)>) -> NetworkSpec {
    NetworkSpec {
        name: name.into(),
        mode: NetMode::Nat,
        host_bridge: None,
        forward_dev: None,
        ipv4: Some(SubnetSpec {
            cidr: cidr.into(),
            dhcp: dhcp.map(|(a, b)| (a.into(), b.into())),
        }),
        ipv6: None,
        domain: None,
        autostart: false,
        start: false,
    }
}

/// The message of the refusal; panics when the spec passes or fails otherwise.
fn refused(spec: &NetworkSpec) -> String {
    let e = validate(spec, &existing(), &host()).expect_err("should be refused");
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
    assert!(!e.hint.is_empty());
    e.message
}

#[test]
fn existing_networks_parse() {
    let nets = existing();
    assert_eq!(nets[0].mode, NetMode::Nat);
    assert_eq!(nets[0].ipv4.as_ref().unwrap().prefix, 24);
    assert_eq!(nets[1].mode, NetMode::Isolated);
    let lab = &nets[2];
    assert_eq!(lab.mode, NetMode::Route);
    let v4 = lab.ipv4.as_ref().unwrap();
    assert_eq!(v4.subnet().to_string(), "172.30.0.0/16");
    assert_eq!(v4.hosts[0].mac, "52:54:00:aa:00:01");
    assert_eq!(v4.hosts[0].name.as_deref(), Some("web"));
    assert_eq!(lab.ipv6.as_ref().unwrap().prefix, 64);
}

#[test]
fn names() {
    assert!(refused(&nat("", "192.168.50.0/24", None)).contains("name"));
    assert!(refused(&nat("my net", "192.168.50.0/24", None)).contains("a space"));
    assert!(refused(&nat("-net", "192.168.50.0/24", None)).contains("dash"));
    let m = refused(&nat("default", "192.168.50.0/24", None));
    assert!(m.contains("“default” already exists"), "{m}");
}

#[test]
fn bad_cidrs() {
    for bad in [
        "192.168.50.0",
        "192.168.50/24",
        "192.168.50.0/xx",
        "nonsense",
        "",
    ] {
        let m = refused(&nat("n", bad, None));
        assert!(m.contains("is not a subnet"), "{bad}: {m}");
    }
    let m = refused(&nat("n", "192.168.50.7/24", None));
    assert!(m.contains("did you mean 192.168.50.0/24"), "{m}");
    let m = refused(&nat("n", "192.168.50.0/33", None));
    assert!(m.contains("is not a subnet"), "{m}");
    let m = refused(&nat("n", "fd00:1::/64", None));
    assert!(m.contains("not an IPv4 subnet"), "{m}");
    let mut spec = nat("n", "192.168.50.0/24", None);
    spec.ipv6 = Some(SubnetSpec {
        cidr: "192.168.60.0/24".into(),
        dhcp: None,
    });
    assert!(refused(&spec).contains("not an IPv6 subnet"));
}

#[test]
fn prefix_ranges() {
    let m = refused(&nat("n", "10.0.0.0/7", None));
    assert!(
        m.contains("/7 is out of range") && m.contains("/8 to /30"),
        "{m}"
    );
    let m = refused(&nat("n", "192.168.50.0/31", None));
    assert!(m.contains("/31 is out of range"), "{m}");
    assert!(validate(&nat("n", "192.168.50.0/30", None), &existing(), &host()).is_ok());

    let mut spec = nat("n", "192.168.50.0/24", None);
    spec.ipv6 = Some(SubnetSpec {
        cidr: "fd00:1:2:3:4::/80".into(),
        dhcp: None,
    });
    let m = refused(&spec);
    assert!(
        m.contains("/80 is out of range") && m.contains("/48 to /64"),
        "{m}"
    );
    spec.ipv6 = Some(SubnetSpec {
        cidr: "fd00:1::/48".into(),
        dhcp: Some(("fd00:1::100".into(), "fd00:1::1ff".into())),
    });
    let m = refused(&spec);
    assert!(m.contains("DHCPv6 needs a /64"), "{m}");
    spec.ipv6.as_mut().unwrap().dhcp = None;
    assert!(validate(&spec, &existing(), &host()).is_ok());
}

#[test]
fn overlaps_are_named() {
    let m = refused(&nat("n", "192.168.0.0/16", None));
    assert_eq!(
        m,
        "The subnet 192.168.0.0/16 overlaps “default” (192.168.122.0/24)."
    );
    let m = refused(&nat("n", "172.30.5.0/24", None));
    assert!(m.contains("“lab” (172.30.0.0/16)"), "{m}");
    let m = refused(&nat("n", "10.0.2.0/28", None));
    assert_eq!(
        m,
        "The subnet 10.0.2.0/28 overlaps eth0’s 10.0.2.15/24 on this host."
    );
    let m = refused(&nat("n", "127.1.0.0/16", None));
    assert!(m.contains("lo’s 127.0.0.1/8"), "{m}");
    let mut spec = nat("n", "192.168.50.0/24", None);
    spec.ipv6 = Some(SubnetSpec {
        cidr: "fd00:aaaa::/64".into(),
        dhcp: None,
    });
    assert!(refused(&spec).contains("“lab” (fd00:aaaa::/64)"));
    spec.ipv6.as_mut().unwrap().cidr = "2001:db8:5::/48".into();
    assert!(refused(&spec).contains("eth0’s 2001:db8:5::15/64"));
}

#[test]
fn dhcp_ranges() {
    let c = "192.168.50.0/24";
    let m = refused(&nat("n", c, Some(("192.168.51.10", "192.168.50.20"))));
    assert!(
        m.contains("inside 192.168.50.0/24") && m.contains("192.168.51.10"),
        "{m}"
    );
    let m = refused(&nat("n", c, Some(("192.168.50.100", "192.168.50.20"))));
    assert!(
        m.contains("starts at 192.168.50.100, after its end 192.168.50.20"),
        "{m}"
    );
    let m = refused(&nat("n", c, Some(("192.168.50.1", "192.168.50.20"))));
    assert!(m.contains("contains the gateway 192.168.50.1"), "{m}");
    let m = refused(&nat("n", c, Some(("192.168.50.0", "192.168.50.20"))));
    assert!(m.contains("network or broadcast"), "{m}");
    let m = refused(&nat("n", c, Some(("192.168.50.2", "192.168.50.255"))));
    assert!(
        m.contains("192.168.50.255") && m.contains("broadcast"),
        "{m}"
    );
    let m = refused(&nat("n", c, Some(("192.168.50.x", "192.168.50.9"))));
    assert!(m.contains("“192.168.50.x” is not an IP address"), "{m}");
    let m = refused(&nat("n", c, Some(("fd00::2", "fd00::9"))));
    assert!(m.contains("inside 192.168.50.0/24"), "{m}");
    assert!(validate(
        &nat("n", c, Some((" 192.168.50.2", "192.168.50.254 "))),
        &existing(),
        &host()
    )
    .is_ok());
}

#[test]
fn modes() {
    let mut spec = nat("n", "192.168.50.0/24", None);
    spec.ipv4 = None;
    assert!(refused(&spec).contains("NAT network needs an IPv4 subnet"));
    spec.mode = NetMode::Route;
    assert!(refused(&spec).contains("needs an IPv4 or IPv6 subnet"));
    spec.mode = NetMode::Isolated;
    assert!(validate(&spec, &existing(), &host()).is_ok());
    spec.forward_dev = Some("eth0".into());
    assert!(refused(&spec).contains("Only NAT and routed"));
    spec.mode = NetMode::Other("vepa".into());
    assert!(refused(&spec).contains("“vepa” mode"));

    let mut spec = nat("n", "192.168.50.0/24", None);
    spec.forward_dev = Some("eth/0".into());
    assert!(refused(&spec).contains("“eth/0” is not an interface name"));
}

#[test]
fn bridge_mode() {
    let mut spec = nat("n", "192.168.50.0/24", None);
    spec.mode = NetMode::Bridge;
    assert!(refused(&spec).contains("Choose the host bridge"));
    spec.host_bridge = Some("br0".into());
    assert!(refused(&spec).contains("leave the subnets and the domain empty"));
    spec.ipv4 = None;
    assert!(validate(&spec, &existing(), &host()).is_ok());
    spec.host_bridge = Some("virbr0".into());
    let m = refused(&spec);
    assert!(
        m.contains("“virbr0” belongs to the network “default”"),
        "{m}"
    );

    spec.host_bridge = Some("br0".into());
    let bridges = vec!["br1".to_owned(), "br2".to_owned()];
    let e = validate_bridge(&spec, Some(&bridges)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert_eq!(
        e.message,
        "The host has no bridge “br0”. Its bridges: br1, br2."
    );
    assert!(validate_bridge(&spec, Some(&[]))
        .unwrap_err()
        .message
        .contains("no bridges at all"));
    assert!(validate_bridge(&spec, Some(&["br0".to_owned()])).is_ok());
    assert!(
        validate_bridge(&spec, None).is_ok(),
        "unknown: libvirt decides"
    );
}

#[test]
fn domain_names() {
    let mut spec = nat("n", "192.168.50.0/24", None);
    for bad in ["my_lab", "-lab", "lab-", "a..b", "läb"] {
        spec.domain = Some(bad.into());
        assert!(refused(&spec).contains("not a valid DNS name"), "{bad}");
    }
    spec.domain = Some("lab.example".into());
    assert!(validate(&spec, &existing(), &host()).is_ok());
}

#[test]
fn dhcp_hosts() {
    let nets = existing();
    let lab = &nets[2];
    let host = |mac: &str, ip_: &str, name: Option<&str>| DhcpHost {
        mac: mac.into(),
        ip: ip(ip_),
        name: name.map(str::to_owned),
    };
    let msg = |h: DhcpHost| {
        let e = validate_dhcp_host(lab, &h).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        e.message
    };
    let ok =
        validate_dhcp_host(lab, &host("52-54-00-AA-00-02", "172.30.0.11", Some(" db "))).unwrap();
    assert_eq!(ok, host("52:54:00:aa:00:02", "172.30.0.11", Some("db")));
    assert!(msg(host("52:54:00:aa:00", "172.30.0.11", None)).contains("not a MAC address"));
    assert!(msg(host("01:00:5e:00:00:01", "172.30.0.11", None)).contains("multicast"));
    let m = msg(host("52:54:00:aa:00:02", "172.31.0.11", None));
    assert!(m.contains("not a usable address in 172.30.0.0/16"), "{m}");
    assert!(msg(host("52:54:00:aa:00:02", "172.30.255.255", None)).contains("not a usable"));
    let m = msg(host("52:54:00:aa:00:02", "172.30.0.1", None));
    assert!(m.contains("172.30.0.1 is the gateway of “lab”"), "{m}");
    let m = msg(host("52:54:00:aa:00:02", "172.30.0.10", None));
    assert_eq!(m, "172.30.0.10 is already reserved for 52:54:00:aa:00:01.");
    let m = msg(host("52:54:00:AA:00:01", "172.30.0.12", None));
    assert!(
        m.contains("52:54:00:aa:00:01 already has a static address (172.30.0.10)"),
        "{m}"
    );
    assert!(msg(host("52:54:00:aa:00:02", "fd00:aaaa::5", None)).contains("IPv4"));
    assert!(msg(host("52:54:00:aa:00:02", "172.30.0.11", Some("bad name"))).contains("DNS name"));
    let e = validate_dhcp_host(&nets[1], &host("52:54:00:aa:00:02", "10.10.0.5", None));
    assert!(
        e.is_ok(),
        "isolated has IPv4 without DHCP: static hosts still work"
    );

    assert_eq!(
        find_dhcp_host(lab, "52:54:00:AA:00:01").unwrap().ip,
        ip("172.30.0.10")
    );
    let e = find_dhcp_host(lab, "52:54:00:aa:00:09").unwrap_err();
    assert_eq!(
        e.message,
        "“lab” has no static DHCP host for 52:54:00:aa:00:09."
    );
}

#[test]
fn dhcp_range_changes() {
    let nets = existing();
    let r = validate_dhcp_range(&nets[0], "192.168.122.100", "192.168.122.200").unwrap();
    assert_eq!(r, (ip("192.168.122.100"), ip("192.168.122.200")));
    let e = validate_dhcp_range(&nets[0], "192.168.122.1", "192.168.122.200").unwrap_err();
    assert!(e.message.contains("contains the gateway 192.168.122.1"));
    let e = validate_dhcp_range(&nets[0], "192.168.122.100", "192.168.123.200").unwrap_err();
    assert!(e.message.contains("inside 192.168.122.0/24"));
    let bridged = parse_network(
        "<network><name>br</name><forward mode='bridge'/><bridge name='br0'/></network>",
    )
    .unwrap();
    let e = validate_dhcp_range(&bridged, "10.0.0.2", "10.0.0.3").unwrap_err();
    assert!(e.message.contains("“br” has no IPv4 subnet"), "{e:?}");
}

fn full(mode: NetMode) -> NetworkSpec {
    NetworkSpec {
        name: "lab-net".into(),
        mode,
        host_bridge: None,
        forward_dev: None,
        ipv4: Some(SubnetSpec {
            cidr: "192.168.150.0/24".into(),
            dhcp: Some(("192.168.150.100".into(), "192.168.150.199".into())),
        }),
        ipv6: Some(SubnetSpec {
            cidr: "fd00:150::/64".into(),
            dhcp: Some(("fd00:150::100".into(), "fd00:150::1ff".into())),
        }),
        domain: Some("lab".into()),
        autostart: true,
        start: true,
    }
}

fn xml_of(spec: &NetworkSpec) -> String {
    validate(spec, &existing(), &host()).unwrap().to_xml()
}

#[test]
fn golden_xml_per_mode() {
    let mut nat = full(NetMode::Nat);
    nat.forward_dev = Some("eth0".into());
    golden("net-nat.xml", &xml_of(&nat));

    let mut route = full(NetMode::Route);
    route.ipv4 = None;
    route.domain = None;
    golden("net-route.xml", &xml_of(&route));

    let mut isolated = full(NetMode::Isolated);
    isolated.ipv4.as_mut().unwrap().dhcp = None;
    isolated.ipv6 = None;
    golden("net-isolated.xml", &xml_of(&isolated));

    let mut open = full(NetMode::Open);
    open.ipv6 = None;
    golden("net-open.xml", &xml_of(&open));

    let mut bridge = full(NetMode::Bridge);
    bridge.ipv4 = None;
    bridge.ipv6 = None;
    bridge.domain = None;
    bridge.host_bridge = Some("br0".into());
    golden("net-bridge.xml", &xml_of(&bridge));

    // Parsing what we wrote gives back what was asked.
    let info = parse_network(&xml_of(&nat)).unwrap();
    assert_eq!(info.mode, NetMode::Nat);
    assert_eq!(info.forward_dev.as_deref(), Some("eth0"));
    assert_eq!(info.domain.as_deref(), Some("lab"));
    let v4 = info.ipv4.unwrap();
    assert_eq!((v4.address, v4.prefix), (ip("192.168.150.1"), 24));
    assert_eq!(
        v4.dhcp_ranges,
        [(ip("192.168.150.100"), ip("192.168.150.199"))]
    );
    assert_eq!(info.ipv6.unwrap().address, ip("fd00:150::1"));
}

#[test]
fn user_text_is_escaped_not_spliced() {
    // A name cannot carry markup (the name rule), but a domain check or a bad bridge
    // name must never reach the XML either: both are refused before writing.
    let mut spec = full(NetMode::Nat);
    spec.domain = Some("lab'/><evil".into());
    assert!(refused(&spec).contains("DNS name"));
    let mut spec = full(NetMode::Bridge);
    spec.ipv4 = None;
    spec.ipv6 = None;
    spec.domain = None;
    spec.host_bridge = Some("br0\"x".into());
    let xml = xml_of(&spec);
    assert!(xml.contains("name=\"br0&quot;x\""), "{xml}");
}
