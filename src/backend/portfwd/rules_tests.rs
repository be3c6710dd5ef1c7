use super::*;
use crate::backend::portfwd::Proto;

const NS: &str = NETWORK_NS;

fn net_xml(metadata: &str) -> String {
    format!(
        "<network>\n  <name>default</name>\n  <uuid>5f0b2a7e-1c1d-4c59-9a3e-0000000000a1</uuid>\n{metadata}  <forward mode='nat'/>\n  <bridge name='virbr0'/>\n  <!-- keep me -->\n  <ip address='192.168.122.1' netmask='255.255.255.0'>\n    <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>\n  </ip>\n  <ip family='ipv6' address='fd00::1' prefix='64'/>\n</network>\n"
    )
}

fn rule(host: Option<[u8; 4]>, hp: u16, guest: [u8; 4], gp: u16, proto: Proto) -> ForwardRule {
    ForwardRule {
        proto,
        host_address: host.map(Ipv4Addr::from),
        host_port: hp,
        guest_ip: Ipv4Addr::from(guest),
        guest_port: gp,
    }
}

#[test]
fn facts_of_a_network() {
    let info = network_info(&net_xml("")).unwrap();
    assert_eq!(info.name, "default");
    assert!(info.nat());
    assert_eq!(info.bridge.as_deref(), Some("virbr0"));
    assert_eq!(info.subnets, [(Ipv4Addr::new(192, 168, 122, 1), 24)]);
    assert_eq!(info.subnet_strings(), ["192.168.122.0/24"]);
    assert!(info.rules.is_empty());
    let isolated =
        network_info("<network><name>i</name><ip address='10.1.0.1' prefix='16'/></network>")
            .unwrap();
    assert!(!isolated.nat());
    assert_eq!(isolated.forward_mode, "");
    assert_eq!(isolated.subnet_strings(), ["10.1.0.0/16"]);
}

#[test]
fn write_then_read_back_keeps_everything_else() {
    let rules = [
        rule(None, 8080, [192, 168, 122, 5], 80, Proto::Tcp),
        rule(
            Some([192, 0, 2, 2]),
            5353,
            [192, 168, 122, 6],
            53,
            Proto::Udp,
        ),
    ];
    let original = net_xml("");
    let out = with_rules(&original, &rules).unwrap();
    let info = network_info(&out).unwrap();
    assert_eq!(info.rules, rules);
    assert_eq!(info.skipped, 0);
    assert!(out.contains("<!-- keep me -->"), "{out}");
    assert!(out.contains(&format!("xmlns:kvmm=\"{NS}\"")), "{out}");
    assert!(out.contains("<ip family='ipv6' address='fd00::1' prefix='64'/>"));
    // No host address: no attribute (not an empty one).
    assert_eq!(out.matches("host-address=").count(), 1, "{out}");

    // Replacing keeps one element; removing the last rule drops it; the rest is as before.
    let again = with_rules(&out, &rules[..1]).unwrap();
    assert_eq!(network_info(&again).unwrap().rules, rules[..1]);
    assert_eq!(again.matches("port-forwards").count(), 2, "{again}");
    let none = with_rules(&again, &[]).unwrap();
    assert!(!none.contains("port-forwards"), "{none}");
    assert!(network_info(&none).unwrap().rules.is_empty());
}

#[test]
fn other_metadata_is_kept_and_any_prefix_is_read() {
    let other = "  <metadata>\n    <app:x xmlns:app='https://example.org/app'>1</app:x>\n    \
                 <pf:port-forwards xmlns:pf='https://github.com/kvmmanager/xmlns/network/1.0'>\
                 <pf:rule proto='udp' host-port='53' guest-ip='192.168.122.9' guest-port='5353'/>\
                 <pf:rule proto='sctp' host-port='1' guest-ip='192.168.122.9' guest-port='1'/>\
                 <pf:rule proto='tcp' host-port='0' guest-ip='192.168.122.9' guest-port='1'/>\
                 </pf:port-forwards>\n  </metadata>\n";
    let xml = net_xml(other);
    let info = network_info(&xml).unwrap();
    assert_eq!(
        info.rules,
        [rule(None, 53, [192, 168, 122, 9], 5353, Proto::Udp)]
    );
    assert_eq!(info.skipped, 2);
    let new = [rule(None, 2222, [192, 168, 122, 9], 22, Proto::Tcp)];
    let out = with_rules(&xml, &new).unwrap();
    assert!(
        out.contains("<app:x xmlns:app='https://example.org/app'>1</app:x>"),
        "{out}"
    );
    assert!(!out.contains("pf:rule"), "{out}");
    assert_eq!(network_info(&out).unwrap().rules, new);
}

#[test]
fn the_hook_data_document_is_read_too() {
    let xml = format!(
        "<hookData>\n{}</hookData>",
        with_rules(
            &net_xml(""),
            &[rule(None, 1, [192, 168, 122, 2], 2, Proto::Tcp)]
        )
        .unwrap()
    );
    let info = network_info(&xml).unwrap();
    assert_eq!(info.name, "default");
    assert_eq!(info.rules.len(), 1);
}
