//! Changes to whole networks: create (validate, define, start, autostart; undefined again
//! when a later step fails, so nothing is left half-made), start, stop, autostart, delete.

use virt::connect::Connect;

use super::info::{list_networks, lookup};
use super::validate::{validate, validate_bridge};
use super::{host, net_err, NetAction, NetworkSpec};
use crate::backend::create::{host_bridges, is_local};
use crate::backend::error::BackendError;

/// Create the network the form describes; `Ok` is its name as defined.
pub fn create(conn: &Connect, spec: &NetworkSpec) -> Result<String, BackendError> {
    let existing = list_networks(conn)?;
    let addresses = if is_local(conn) {
        host::host_addresses()
    } else {
        Vec::new()
    };
    let def = validate(spec, &existing, &addresses)?;
    validate_bridge(spec, host_bridges(conn).as_deref())?;
    let xml = def.to_xml();
    log::debug!("defining network:\n{xml}");
    let net = conn.define_network_xml(&xml).map_err(|e| net_err(&e))?;
    let rollback = |e: BackendError| {
        if net.is_active().unwrap_or(false) {
            if let Err(d) = net.destroy() {
                log::error!("rollback: stopping network {}: {d}", def.name);
            }
        }
        if let Err(u) = net.undefine() {
            log::error!("rollback: undefining network {}: {u}", def.name);
        }
        e
    };
    if spec.start {
        net.create().map_err(|e| rollback(net_err(&e)))?;
    }
    if spec.autostart {
        net.set_autostart(true).map_err(|e| rollback(net_err(&e)))?;
    }
    Ok(def.name)
}

/// Start, stop, or switch autostart.
pub fn action(conn: &Connect, name: &str, action: NetAction) -> Result<(), BackendError> {
    let net = lookup(conn, name)?;
    match action {
        NetAction::Start => net.create(),
        NetAction::Stop => net.destroy(),
        NetAction::Autostart(on) => net.set_autostart(on),
    }
    .map_err(|e| net_err(&e))
}

/// Stop the network if it runs, then remove its definition.
pub fn delete(conn: &Connect, name: &str) -> Result<(), BackendError> {
    let net = lookup(conn, name)?;
    if net.is_active().map_err(|e| net_err(&e))? {
        net.destroy().map_err(|e| net_err(&e))?;
    }
    // A transient network is gone once stopped.
    if net.is_persistent().unwrap_or(false) {
        net.undefine().map_err(|e| net_err(&e))?;
    }
    Ok(())
}
