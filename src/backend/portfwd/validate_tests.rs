use super::*;
use crate::backend::portfwd::rules::network_info;

fn nat() -> NetInfo {
    network_info(
        "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>\
         <ip address='192.168.122.1' netmask='255.255.255.0'/></network>",
    )
    .unwrap()
}

fn ok(hp: &str, ip: &str, gp: &str) -> ForwardRule {
    parse_rule_input(Proto::Tcp, "", hp, ip, gp).unwrap()
}

fn msg(r: Result<impl std::fmt::Debug, BackendError>) -> String {
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(!e.hint.is_empty());
    e.message
}

#[test]
fn form_fields() {
    let r = parse_rule_input(Proto::Udp, " 192.0.2.2 ", " 53 ", "192.168.122.5", "5353").unwrap();
    assert_eq!(r.host_address, Some(Ipv4Addr::new(192, 0, 2, 2)));
    assert_eq!((r.host_port, r.guest_port, r.proto), (53, 5353, Proto::Udp));
    assert_eq!(
        parse_rule_input(Proto::Tcp, "0.0.0.0", "1", "10.0.0.2", "65535")
            .unwrap()
            .host_address,
        None
    );
    assert_eq!(ok("8080", "10.0.0.2", "80").host_address, None);

    assert_eq!(
        msg(parse_rule_input(Proto::Tcp, "", "0", "10.0.0.2", "80")),
        "The host port 0 is outside 1–65535."
    );
    assert_eq!(
        msg(parse_rule_input(Proto::Tcp, "", "65536", "10.0.0.2", "80")),
        "The host port 65536 is outside 1–65535."
    );
    assert_eq!(
        msg(parse_rule_input(
            Proto::Tcp,
            "",
            "99999999999999999999999",
            "10.0.0.2",
            "80"
        )),
        "The host port 99999999999999999999999 is outside 1–65535."
    );
    assert_eq!(
        msg(parse_rule_input(Proto::Tcp, "", "http", "10.0.0.2", "80")),
        "The host port “http” is not a number."
    );
    assert_eq!(
        msg(parse_rule_input(Proto::Tcp, "", "-1", "10.0.0.2", "80")),
        "The host port “-1” is not a number."
    );
    assert_eq!(
        msg(parse_rule_input(Proto::Tcp, "", "80", "10.0.0.2", "")),
        "The guest port is missing."
    );
    assert_eq!(
        msg(parse_rule_input(Proto::Tcp, "", "80", "", "80")),
        "The guest IP address is missing."
    );
    assert_eq!(
        msg(parse_rule_input(Proto::Tcp, "", "80", "10.0.0.300", "80")),
        "The guest IP address “10.0.0.300” is not an IPv4 address."
    );
    assert_eq!(
        msg(parse_rule_input(
            Proto::Tcp,
            "example.org",
            "80",
            "10.0.0.3",
            "80"
        )),
        "The host address “example.org” is not an IPv4 address."
    );
    assert!(msg(parse_rule_input(
        Proto::Tcp,
        "127.0.0.1",
        "80",
        "10.0.0.3",
        "80"
    ))
    .contains("loopback"));
}

#[test]
fn rule_against_the_network() {
    let net = nat();
    let r = ok("8080", "192.168.122.5", "80");
    check_rule(&net, &r, &[], None).unwrap();

    let outside = ok("8080", "10.0.0.5", "80");
    assert_eq!(
        msg(check_rule(&net, &outside, &[], None)),
        "The guest IP address 10.0.0.5 is not in the network “default” (192.168.122.0/24)."
    );
    for reserved in ["192.168.122.1", "192.168.122.0", "192.168.122.255"] {
        let m = msg(check_rule(&net, &ok("8080", reserved, "80"), &[], None));
        assert!(m.contains("reserved"), "{m}");
    }

    let isolated =
        network_info("<network><name>lab</name><ip address='10.1.0.1' prefix='24'/></network>")
            .unwrap();
    assert_eq!(
        msg(check_rule(
            &isolated,
            &ok("8080", "10.1.0.5", "80"),
            &[],
            None
        )),
        "Port forwarding needs a NAT network; “lab” is isolated."
    );
    let routed = network_info("<network><name>r</name><forward mode='route'/><ip address='10.1.0.1' prefix='24'/></network>").unwrap();
    assert!(
        msg(check_rule(&routed, &ok("1", "10.1.0.5", "1"), &[], None))
            .starts_with("Port forwarding needs a NAT network")
    );
}

#[test]
fn a_port_already_forwarded_is_named() {
    let net = nat();
    let existing = ok("8080", "192.168.122.7", "8000");
    let others = vec![("other".to_owned(), existing)];
    assert_eq!(
        msg(check_rule(
            &net,
            &ok("8080", "192.168.122.5", "80"),
            &others,
            None
        )),
        "Host port 8080 (TCP) is already forwarded: TCP 8080 → 192.168.122.7:8000 on “other”."
    );
    // Same port, another protocol or another specific address: fine.
    let udp = parse_rule_input(Proto::Udp, "", "8080", "192.168.122.5", "80").unwrap();
    check_rule(&net, &udp, &others, None).unwrap();
    let a = parse_rule_input(Proto::Tcp, "192.0.2.2", "9000", "192.168.122.5", "80").unwrap();
    let b = parse_rule_input(Proto::Tcp, "192.0.2.3", "9000", "192.168.122.5", "80").unwrap();
    check_rule(&net, &b, &[("default".into(), a)], None).unwrap();
    // Every address clashes with a specific one.
    let any = ok("9000", "192.168.122.5", "80");
    assert!(msg(check_rule(&net, &any, &[("default".into(), a)], None)).contains("192.0.2.2:9000"));
}

#[test]
fn host_address_must_be_ours() {
    let net = nat();
    let r = parse_rule_input(Proto::Tcp, "198.51.100.7", "8080", "192.168.122.5", "80").unwrap();
    let addrs = [Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(192, 0, 2, 2)];
    assert_eq!(
        msg(check_rule(&net, &r, &[], Some(&addrs))),
        "198.51.100.7 is not an address of this host (it has 127.0.0.1, 192.0.2.2)."
    );
    let mine = parse_rule_input(Proto::Tcp, "192.0.2.2", "8080", "192.168.122.5", "80").unwrap();
    check_rule(&net, &mine, &[], Some(&addrs)).unwrap();
    check_rule(&net, &r, &[], None).unwrap();
}

#[test]
fn this_host_has_loopback() {
    assert!(host_ipv4_addresses().contains(&Ipv4Addr::LOCALHOST));
}
