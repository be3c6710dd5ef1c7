//! What the worker does for port forwarding, on its connection: read a network's rules
//! and their state, add and remove rules (saved in the persistent definition, applied at
//! once when the network runs), install the hook.
//!
//! `local` says whether the connection is this computer's libvirt (not a remote host,
//! not the test driver): only then are the hook, the host's addresses and the status
//! files about the same machine as the network, and only then is anything run as root.

use std::net::Ipv4Addr;
use std::path::Path;

use gettextrs::gettext;
use virt::connect::Connect;
use virt::network::Network;
use virt::sys;

use super::hook::{read_status, Status, STATUS_DIR};
use super::install::{self, hook_status, run_hook_now, HOOK_PATH};
use super::rules::{network_info, with_rules, NetInfo};
use super::validate::{check_rule, host_ipv4_addresses};
use super::{ForwardRule, HookStatus, PortForwards, RuleState};
use crate::backend::error::{BackendError, ErrorKind};
use crate::i18n::gettext_f;

fn virt_err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

/// Whether `uri` is this computer's own libvirt (no host part, not the test driver).
pub fn is_local_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or_default();
    let transport_ok = scheme.split_once('+').is_none_or(|(_, t)| t == "unix");
    !scheme.starts_with("test") && host.is_empty() && transport_ok
}

/// The network's persistent definition. libvirt's test driver knows no flags here and
/// has one definition (which a redefine replaces), so its plain XML is the same thing.
pub fn saved_xml(net: &Network) -> Result<String, BackendError> {
    match net.xml_desc(sys::VIR_NETWORK_XML_INACTIVE) {
        Ok(x) => Ok(x),
        Err(e) if e.message().contains("unsupported flags") => net.xml_desc(0).map_err(virt_err),
        Err(e) => Err(virt_err(e)),
    }
}

struct Net {
    net: Network,
    /// The persistent definition.
    xml: String,
    info: NetInfo,
    active: bool,
}

fn open_net(conn: &Connect, name: &str) -> Result<Net, BackendError> {
    let net = conn.lookup_network_by_name(name).map_err(virt_err)?;
    let xml = saved_xml(&net)?;
    let info = network_info(&xml)?;
    let active = net.is_active().map_err(virt_err)?;
    Ok(Net {
        net,
        xml,
        info,
        active,
    })
}

fn remote_hook() -> HookStatus {
    HookStatus {
        installed: false,
        current: false,
        path: HOOK_PATH.into(),
        needs_daemon_restart: false,
        source: None,
    }
}

fn status_of(name: &str, local: bool) -> Option<Status> {
    local
        .then(|| read_status(Path::new(STATUS_DIR), name))
        .flatten()
}

/// The rules of `network`, whether each is active, and the hook's state.
pub fn port_forwards(
    conn: &Connect,
    network: &str,
    local: bool,
) -> Result<PortForwards, BackendError> {
    let n = open_net(conn, network)?;
    let status = if n.active {
        status_of(network, local)
    } else {
        None
    };
    let rules = n
        .info
        .rules
        .iter()
        .map(|r| RuleState {
            rule: *r,
            active: status.as_ref().is_some_and(|s| s.rules.contains(r)),
        })
        .collect();
    Ok(PortForwards {
        network: network.to_owned(),
        nat: n.info.nat(),
        network_active: n.active,
        hook: if local { hook_status() } else { remote_hook() },
        rules,
        subnets: n.info.subnet_strings(),
        hook_errors: status.map(|s| s.errors).unwrap_or_default(),
    })
}

/// Every rule on this connection's networks, with its network's name.
fn all_rules(conn: &Connect) -> Result<Vec<(String, ForwardRule)>, BackendError> {
    let mut out = Vec::new();
    for net in conn.list_all_networks(0).map_err(virt_err)? {
        let Ok(xml) = saved_xml(&net) else {
            continue;
        };
        if let Ok(info) = network_info(&xml) {
            out.extend(info.rules.into_iter().map(|r| (info.name.clone(), r)));
        }
    }
    Ok(out)
}

/// Save `rules` as the persistent definition of the network.
fn save(conn: &Connect, n: &Net, rules: &[ForwardRule]) -> Result<(), BackendError> {
    if !n.net.is_persistent().map_err(virt_err)? {
        return Err(BackendError::new(
            ErrorKind::InvalidState,
            gettext_f(
                "“{network}” is a transient network: it has no saved definition to keep rules in.",
                &[("network", &n.info.name)],
            ),
        ));
    }
    let xml = with_rules(&n.xml, rules)?;
    conn.define_network_xml(&xml).map_err(virt_err)?;
    Ok(())
}

/// After a change to `n`'s rules (now `rules`): apply them if the network runs here and
/// the hook is installed. Returns the sentence for the toast and the outcome.
fn apply_now(
    n: &Net,
    rules: &[ForwardRule],
    local: bool,
    saved: String,
    rule: &ForwardRule,
    adding: bool,
) -> (String, Result<(), BackendError>) {
    let name = &n.info.name;
    if !n.active {
        let when = gettext_f(
            "It takes effect when “{network}” starts.",
            &[("network", name)],
        );
        return (format!("{saved} {when}"), Ok(()));
    }
    if !local {
        return (
            format!(
                "{saved} {}",
                gettext("It takes effect when the network next starts on that host.")
            ),
            Ok(()),
        );
    }
    if !hook_status().installed {
        return (
            format!(
                "{saved} {}",
                gettext("It is not applied: install the port-forwarding hook first.")
            ),
            Ok(()),
        );
    }
    let live = n
        .net
        .xml_desc(0)
        .map_err(virt_err)
        .and_then(|x| with_rules(&x, rules));
    let ran = live.and_then(|xml| run_hook_now(Path::new(HOOK_PATH), name, &xml));
    if let Err(e) = ran {
        let msg = gettext_f("{saved} It could not be applied now.", &[("saved", &saved)]);
        return (msg, Err(e));
    }
    let status = status_of(name, true).unwrap_or_default();
    let in_force = status.rules.contains(rule);
    if in_force == adding {
        return (saved, Ok(()));
    }
    let why = status.errors.join("; ");
    (
        gettext_f("{saved} The hook could not apply it.", &[("saved", &saved)]),
        Err(BackendError::new(ErrorKind::Other, why)),
    )
}

/// Validate and add `rule` to `network`. Returns the toast sentence and the outcome.
pub fn add_rule(
    conn: &Connect,
    network: &str,
    rule: &ForwardRule,
    local: bool,
) -> (String, Result<(), BackendError>) {
    let failed = || {
        gettext_f(
            "Could not forward {rule} on “{network}”.",
            &[("rule", &rule.describe()), ("network", network)],
        )
    };
    let prepared = open_net(conn, network).and_then(|n| {
        let others = all_rules(conn)?;
        let addrs: Option<Vec<Ipv4Addr>> = local.then(host_ipv4_addresses);
        check_rule(&n.info, rule, &others, addrs.as_deref())?;
        let mut rules = n.info.rules.clone();
        rules.push(*rule);
        save(conn, &n, &rules)?;
        Ok((n, rules))
    });
    match prepared {
        Err(e) => (failed(), Err(e)),
        Ok((n, rules)) => {
            let saved = gettext_f(
                "Forwarding {rule} on “{network}”.",
                &[("rule", &rule.describe()), ("network", network)],
            );
            apply_now(&n, &rules, local, saved, rule, true)
        }
    }
}

/// Remove `rule` from `network`. Returns the toast sentence and the outcome.
pub fn remove_rule(
    conn: &Connect,
    network: &str,
    rule: &ForwardRule,
    local: bool,
) -> (String, Result<(), BackendError>) {
    let failed = || {
        gettext_f(
            "Could not remove the rule {rule} from “{network}”.",
            &[("rule", &rule.describe()), ("network", network)],
        )
    };
    let prepared = open_net(conn, network).and_then(|n| {
        if !n.info.rules.contains(rule) {
            return Err(BackendError::new(
                ErrorKind::NotFound,
                gettext_f(
                    "“{network}” has no rule {rule}.",
                    &[("rule", &rule.describe()), ("network", network)],
                ),
            ));
        }
        let rules: Vec<ForwardRule> = n
            .info
            .rules
            .iter()
            .filter(|r| *r != rule)
            .copied()
            .collect();
        save(conn, &n, &rules)?;
        Ok((n, rules))
    });
    match prepared {
        Err(e) => (failed(), Err(e)),
        Ok((n, rules)) => {
            let saved = gettext_f(
                "Removed the rule {rule} from “{network}”.",
                &[("rule", &rule.describe()), ("network", network)],
            );
            apply_now(&n, &rules, local, saved, rule, false)
        }
    }
}

/// Install the hook, then apply the rules of active networks that have some (libvirt did
/// not run the hook when they started). Returns the toast sentence and the outcome.
pub fn install(conn: &Connect, local: bool) -> (String, Result<(), BackendError>) {
    let failed = gettext("Could not install the port-forwarding hook.");
    if !local {
        let e = BackendError::new(
            ErrorKind::Unsupported,
            gettext(
                "The port-forwarding hook can only be installed on this computer's own libvirt.",
            ),
        );
        return (failed, Err(e));
    }
    let mut message = match install::install_hook() {
        Ok(m) => m,
        Err(e) => return (failed, Err(e)),
    };
    let mut applied = 0u32;
    let nets = conn
        .list_all_networks(sys::VIR_CONNECT_LIST_NETWORKS_ACTIVE)
        .unwrap_or_default();
    for net in nets {
        // The saved rules, which may be newer than those the network started with.
        let Ok(saved) = saved_xml(&net) else {
            continue;
        };
        let Ok(info) = network_info(&saved) else {
            continue;
        };
        if info.rules.is_empty() || !info.nat() {
            continue;
        }
        let Ok(xml) = net
            .xml_desc(0)
            .map_err(virt_err)
            .and_then(|x| with_rules(&x, &info.rules))
        else {
            continue;
        };
        match run_hook_now(Path::new(HOOK_PATH), &info.name, &xml) {
            Ok(()) => applied += 1,
            Err(e) => return (message, Err(e)),
        }
    }
    if applied > 0 {
        message.push(' ');
        message.push_str(&crate::i18n::ngettext_f(
            "Applied the rules of {n} running network.",
            "Applied the rules of {n} running networks.",
            applied,
            &[("n", &applied.to_string())],
        ));
    }
    (message, Ok(()))
}

#[cfg(test)]
mod tests {
    use super::is_local_uri;

    #[test]
    fn local_uris() {
        assert!(is_local_uri("qemu:///system"));
        assert!(is_local_uri("qemu+unix:///system"));
        assert!(!is_local_uri("qemu+ssh://root@host/system"));
        assert!(!is_local_uri("qemu://host/system"));
        assert!(!is_local_uri("test:///default"));
        assert!(!is_local_uri("nonsense"));
    }
}
