//! The iptables commands for a network's rules, as argv vectors (pure: the hook runs
//! them, tests read them). libvirt 9.0 programs its own rules with iptables too, so ours
//! sit in the same tables:
//!
//! - `nat PREROUTING`: DNAT of packets from elsewhere to the host port (to the given host
//!   address, or to any local address: `-m addrtype --dst-type LOCAL`);
//! - `nat OUTPUT`: the same for connections made on the host itself, except to loopback
//!   addresses (127/8 cannot be routed to a guest without `route_localnet`);
//! - `filter FORWARD`, inserted first: ACCEPT of connections that were DNATed to the
//!   guest's port (`--ctstate DNAT`), ahead of the jump to libvirt's `LIBVIRT_FWI`,
//!   which rejects new inbound connections to NAT networks.
//!
//! Each rule carries `-m comment --comment kvmm-pf:<network>`; removal lists those
//! chains (`iptables -S`) and deletes, by their own specification, the rules with that
//! comment, so it is idempotent and leaves everything else alone.

use super::ForwardRule;

/// The chains rules go into, as (table, chain).
pub const CHAINS: [(&str, &str); 3] = [
    ("nat", "PREROUTING"),
    ("nat", "OUTPUT"),
    ("filter", "FORWARD"),
];

/// The comment marking a network's rules. Names with characters iptables would quote
/// (or that could be confused) are hex-encoded after a `~`.
pub fn comment(network: &str) -> String {
    let plain = !network.is_empty()
        && network
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if plain {
        format!("kvmm-pf:{network}")
    } else {
        let hex: String = network.bytes().map(|b| format!("{b:02x}")).collect();
        format!("kvmm-pf:~{hex}")
    }
    .chars()
    .take(255)
    .collect()
}

fn argv(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

/// The commands that add `rules` of `network` (whose bridge is `bridge`), each without
/// the program name. Run after [`removal_argv`] of what was there.
pub fn apply_argv(network: &str, bridge: Option<&str>, rules: &[ForwardRule]) -> Vec<Vec<String>> {
    rules
        .iter()
        .flat_map(|r| rule_argv(network, bridge, r))
        .collect()
}

/// The three commands (PREROUTING, OUTPUT, FORWARD) that add one rule.
pub fn rule_argv(network: &str, bridge: Option<&str>, r: &ForwardRule) -> Vec<Vec<String>> {
    let c = comment(network);
    let mut out = Vec::new();
    let proto = r.proto.as_str();
    let hport = r.host_port.to_string();
    let to = format!("{}:{}", r.guest_ip, r.guest_port);
    let guest = format!("{}/32", r.guest_ip);
    let gport = r.guest_port.to_string();
    let host = r.host_address.map(|a| format!("{a}/32"));
    for chain in ["PREROUTING", "OUTPUT"] {
        let mut v = argv(&["-t", "nat", "-I", chain, "1"]);
        match &host {
            Some(h) => v.extend(argv(&["-d", h])),
            None => {
                v.extend(argv(&["-m", "addrtype", "--dst-type", "LOCAL"]));
                if chain == "OUTPUT" {
                    v.extend(argv(&["!", "-d", "127.0.0.0/8"]));
                }
            }
        }
        v.extend(argv(&["-p", proto, "-m", proto, "--dport", &hport]));
        v.extend(argv(&["-m", "comment", "--comment", &c]));
        v.extend(argv(&["-j", "DNAT", "--to-destination", &to]));
        out.push(v);
    }
    let mut v = argv(&["-t", "filter", "-I", "FORWARD", "1", "-d", &guest]);
    if let Some(b) = bridge {
        v.extend(argv(&["-o", b]));
    }
    v.extend(argv(&["-p", proto, "-m", proto, "--dport", &gport]));
    v.extend(argv(&["-m", "conntrack", "--ctstate", "DNAT"]));
    v.extend(argv(&["-m", "comment", "--comment", &c, "-j", "ACCEPT"]));
    out.push(v);
    out
}

/// The command that deletes what an insert command of [`rule_argv`] added (to undo a
/// rule whose other commands failed).
pub fn undo_argv(insert: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(insert.len());
    let mut i = 0;
    while i < insert.len() {
        if insert[i] == "-I" && i + 2 < insert.len() {
            out.push("-D".to_owned());
            out.push(insert[i + 1].clone());
            i += 3; // "-I", chain, position
            continue;
        }
        out.push(insert[i].clone());
        i += 1;
    }
    out
}

/// The commands that delete `network`'s rules found in `listing`, the output of
/// `iptables -t <table> -S <chain>`. Our rules hold no spaces or quotes in any argument,
/// so splitting their lines at whitespace and dropping the quotes iptables 1.8 puts
/// around comments gives back their exact arguments.
pub fn removal_argv(network: &str, table: &str, listing: &str) -> Vec<Vec<String>> {
    let c = comment(network);
    listing
        .lines()
        .filter_map(|line| {
            let tokens: Vec<&str> = line.split_whitespace().collect();
            if tokens.first() != Some(&"-A") {
                return None;
            }
            let marked = tokens
                .windows(2)
                .any(|w| w[0] == "--comment" && unquote(w[1]) == c);
            marked.then(|| {
                let mut v = argv(&["-t", table, "-D"]);
                v.extend(tokens[1..].iter().map(|t| unquote(t).to_owned()));
                v
            })
        })
        .collect()
}

fn unquote(token: &str) -> &str {
    token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(token)
}

#[cfg(test)]
#[path = "iptables_tests.rs"]
mod tests;
