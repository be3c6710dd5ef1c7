//! DHCP changes on a network with `virNetworkUpdate` (virsh net-update): static hosts
//! added and removed, the IPv4 range replaced. Each change goes to the running network
//! (when active) and to its persistent definition (when it has one), so it takes effect
//! now and survives a restart; nothing else in the definition (its `<metadata>`
//! included) is touched.
//!
//! The C API takes `command` before `section` (`virNetworkUpdate(net, command, section,
//! parentIndex, xml, flags)`), which is what the `virt` crate's `Network::update` passes.
//! libvirt's own wire protocol once carried the two swapped; the C client library
//! copes with that itself, and the live test checks the result on a real daemon.

use std::net::IpAddr;

use virt::network::Network;
use virt::sys;

use super::info::{lookup, network_info, parse_network};
use super::spec::{host_xml, range_xml};
use super::validate::{find_dhcp_host, validate_dhcp_host, validate_dhcp_range};
use super::{net_err, DhcpHost, NetworkInfo};
use crate::backend::error::BackendError;
use virt::connect::Connect;

/// `parentIndex` -1: libvirt picks the first IPv4 `<ip>` (the one with DHCP).
const FIRST_IPV4: i32 = -1;

/// One copy of a network's definition a change is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Live,
    Config,
}

impl Target {
    fn flag(self) -> sys::virNetworkUpdateFlags {
        match self {
            Target::Live => sys::VIR_NETWORK_UPDATE_AFFECT_LIVE,
            Target::Config => sys::VIR_NETWORK_UPDATE_AFFECT_CONFIG,
        }
    }
}

/// The copies a change must reach: the running network if active, the definition if
/// persistent.
fn copies(info: &NetworkInfo) -> Vec<Target> {
    // The definition first: where a driver has no inactive view of it (see `set_range`)
    // its ranges are read from the running network before that one changes.
    let mut out = Vec::new();
    if info.persistent {
        out.push(Target::Config);
    }
    if info.active {
        out.push(Target::Live);
    }
    out
}

fn all_flags(info: &NetworkInfo) -> sys::virNetworkUpdateFlags {
    copies(info).iter().fold(0, |f, c| f | c.flag())
}

fn update(
    net: &Network,
    command: sys::virNetworkUpdateCommand,
    section: sys::virNetworkUpdateSection,
    xml: &str,
    flags: sys::virNetworkUpdateFlags,
) -> Result<(), BackendError> {
    log::debug!("net-update command {command} section {section} flags {flags}: {xml}");
    net.update(command, section, FIRST_IPV4, xml, flags)
        .map_err(|e| net_err(&e))
}

/// Add a static IPv4 host; `Ok` is the entry as stored.
pub fn add_host(conn: &Connect, name: &str, host: &DhcpHost) -> Result<DhcpHost, BackendError> {
    let net = lookup(conn, name)?;
    let info = network_info(&net)?;
    let host = validate_dhcp_host(&info, host)?;
    update(
        &net,
        sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
        sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
        &host_xml(&host),
        all_flags(&info),
    )?;
    Ok(host)
}

/// Remove the static host with this MAC; `Ok` is the entry removed.
pub fn remove_host(conn: &Connect, name: &str, mac: &str) -> Result<DhcpHost, BackendError> {
    let net = lookup(conn, name)?;
    let info = network_info(&net)?;
    let host = find_dhcp_host(&info, mac)?;
    update(
        &net,
        sys::VIR_NETWORK_UPDATE_COMMAND_DELETE,
        sys::VIR_NETWORK_SECTION_IP_DHCP_HOST,
        &host_xml(&host),
        all_flags(&info),
    )?;
    Ok(host)
}

/// Replace the IPv4 DHCP range(s) with `start`–`end` (or add one where DHCP was off).
/// libvirt cannot modify a range in place: each copy loses its old ranges and gets the
/// new one; if adding fails, the old ranges are put back in that copy.
pub fn set_range(
    conn: &Connect,
    name: &str,
    start: &str,
    end: &str,
) -> Result<(IpAddr, IpAddr), BackendError> {
    let net = lookup(conn, name)?;
    let info = network_info(&net)?;
    let new = validate_dhcp_range(&info, start, end)?;
    for copy in copies(&info) {
        let xml_flags = match copy {
            Target::Live => 0,
            Target::Config => sys::VIR_NETWORK_XML_INACTIVE,
        };
        let xml = match net.xml_desc(xml_flags) {
            Ok(x) => x,
            // Drivers without a separate inactive view (the test driver): the copies
            // are the same.
            Err(e) if copy == Target::Config => {
                log::debug!("no inactive network XML ({e}); using the current one");
                net.xml_desc(0).map_err(|e| net_err(&e))?
            }
            Err(e) => return Err(net_err(&e)),
        };
        let this = parse_network(&xml)?;
        let old = this.ipv4.map(|ip| ip.dhcp_ranges).unwrap_or_default();
        if old == [new] {
            continue;
        }
        replace_ranges(&net, copy, &old, new)?;
    }
    Ok(new)
}

fn replace_ranges(
    net: &Network,
    copy: Target,
    old: &[(IpAddr, IpAddr)],
    new: (IpAddr, IpAddr),
) -> Result<(), BackendError> {
    let range = |(s, e): (IpAddr, IpAddr)| range_xml(s, e);
    let mut removed = Vec::new();
    let put_back = |removed: &[(IpAddr, IpAddr)]| {
        for r in removed {
            if let Err(e) = update(
                net,
                sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                sys::VIR_NETWORK_SECTION_IP_DHCP_RANGE,
                &range(*r),
                copy.flag(),
            ) {
                log::error!("could not restore the DHCP range {r:?} ({copy:?}): {e}");
            }
        }
    };
    for r in old {
        if let Err(e) = update(
            net,
            sys::VIR_NETWORK_UPDATE_COMMAND_DELETE,
            sys::VIR_NETWORK_SECTION_IP_DHCP_RANGE,
            &range(*r),
            copy.flag(),
        ) {
            put_back(&removed);
            return Err(e);
        }
        removed.push(*r);
    }
    if let Err(e) = update(
        net,
        sys::VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
        sys::VIR_NETWORK_SECTION_IP_DHCP_RANGE,
        &range(new),
        copy.flag(),
    ) {
        put_back(&removed);
        return Err(e);
    }
    Ok(())
}
