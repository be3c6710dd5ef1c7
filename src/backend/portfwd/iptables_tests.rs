use std::net::Ipv4Addr;

use super::*;
use crate::backend::portfwd::Proto;

fn v(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn any_tcp() -> ForwardRule {
    ForwardRule {
        proto: Proto::Tcp,
        host_address: None,
        host_port: 8080,
        guest_ip: Ipv4Addr::new(10, 0, 0, 5),
        guest_port: 80,
    }
}

#[test]
fn comments() {
    assert_eq!(comment("default"), "kvmm-pf:default");
    assert_eq!(comment("my net"), "kvmm-pf:~6d79206e6574");
    assert_eq!(comment("a*/b"), "kvmm-pf:~612a2f62");
    assert!(comment(&"x".repeat(400)).len() <= 255);
}

#[test]
fn every_address_tcp() {
    assert_eq!(
        apply_argv("default", Some("virbr0"), &[any_tcp()]),
        [
            v("-t nat -I PREROUTING 1 -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 -m comment --comment kvmm-pf:default -j DNAT --to-destination 10.0.0.5:80"),
            v("-t nat -I OUTPUT 1 -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -p tcp -m tcp --dport 8080 -m comment --comment kvmm-pf:default -j DNAT --to-destination 10.0.0.5:80"),
            v("-t filter -I FORWARD 1 -d 10.0.0.5/32 -o virbr0 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -m comment --comment kvmm-pf:default -j ACCEPT"),
        ]
    );
}

#[test]
fn one_address_udp() {
    let r = ForwardRule {
        proto: Proto::Udp,
        host_address: Some(Ipv4Addr::new(192, 0, 2, 2)),
        host_port: 5353,
        guest_ip: Ipv4Addr::new(10, 0, 0, 6),
        guest_port: 53,
    };
    let out = apply_argv("lab", None, &[r, any_tcp()]);
    assert_eq!(out.len(), 6);
    assert_eq!(
        out[..3],
        [
            v("-t nat -I PREROUTING 1 -d 192.0.2.2/32 -p udp -m udp --dport 5353 -m comment --comment kvmm-pf:lab -j DNAT --to-destination 10.0.0.6:53"),
            v("-t nat -I OUTPUT 1 -d 192.0.2.2/32 -p udp -m udp --dport 5353 -m comment --comment kvmm-pf:lab -j DNAT --to-destination 10.0.0.6:53"),
            v("-t filter -I FORWARD 1 -d 10.0.0.6/32 -p udp -m udp --dport 53 -m conntrack --ctstate DNAT -m comment --comment kvmm-pf:lab -j ACCEPT"),
        ]
    );
    assert_eq!(
        undo_argv(&out[2]),
        v("-t filter -D FORWARD -d 10.0.0.6/32 -p udp -m udp --dport 53 -m conntrack --ctstate DNAT -m comment --comment kvmm-pf:lab -j ACCEPT")
    );
}

#[test]
fn removal_from_a_listing() {
    // `iptables -t nat -S PREROUTING` as iptables 1.8.9 prints it: ours for two networks
    // whose names share a prefix, and someone else's rule.
    let listing = "-P PREROUTING ACCEPT\n\
        -A PREROUTING -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 -m comment --comment kvmm-pf:default -j DNAT --to-destination 10.0.0.5:80\n\
        -A PREROUTING -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8081 -m comment --comment kvmm-pf:default2 -j DNAT --to-destination 10.0.1.5:80\n\
        -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n\
        -A PREROUTING -d 192.0.2.2/32 -p udp -m udp --dport 53 -m comment --comment \"kvmm-pf:default\" -j DNAT --to-destination 10.0.0.6:53\n";
    assert_eq!(
        removal_argv("default", "nat", listing),
        [
            v("-t nat -D PREROUTING -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 8080 -m comment --comment kvmm-pf:default -j DNAT --to-destination 10.0.0.5:80"),
            v("-t nat -D PREROUTING -d 192.0.2.2/32 -p udp -m udp --dport 53 -m comment --comment kvmm-pf:default -j DNAT --to-destination 10.0.0.6:53"),
        ]
    );
    assert!(removal_argv("nothere", "nat", listing).is_empty());
}
