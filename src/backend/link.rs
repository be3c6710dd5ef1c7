//! One open libvirt connection with its callbacks registered: opening (keepalive, lifecycle
//! and close callbacks wired to the worker's channel) and closing cleanly.

use std::sync::mpsc::Sender;

use virt::connect::Connect;

use super::callbacks::{self, HostObject, Notice};
use super::error::{BackendError, ErrorKind};
use super::worker::Msg;
use crate::i18n::gettext_f;

/// An open connection owned by a worker.
pub(super) struct Link {
    pub conn: Connect,
    lifecycle_id: Option<i32>,
    /// Pool and network lifecycle registrations.
    host_object_ids: Vec<(HostObject, i32)>,
    close_registered: bool,
}

impl Link {
    /// Open `uri` and register the callbacks that feed `tx`.
    pub fn open(uri: &str, tx: &Sender<Msg>) -> Result<Link, BackendError> {
        check_uri(uri)?;
        let conn = Connect::open(Some(uri)).map_err(|e| BackendError::from_open(&e))?;
        // Keepalive detects a dead remote peer; local in-process drivers lack it.
        if !uri.starts_with("test:") {
            if let Err(e) = conn.set_keep_alive(5, 3) {
                log::debug!("{uri}: keepalive not available: {e}");
            }
        }
        let forward = |tx: &Sender<Msg>| -> callbacks::Forward {
            let tx = tx.clone();
            Box::new(move |n: Notice| {
                let _ = tx.send(Msg::Notice(n));
            })
        };
        let lifecycle_id = match callbacks::register_lifecycle(&conn, forward(tx)) {
            Ok(id) => Some(id),
            Err(e) => {
                log::warn!("{uri}: no domain events, changes show on refresh only: {e}");
                None
            }
        };
        // Pools and networks changed by other tools (virsh, virt-manager) show up too.
        let mut host_object_ids = Vec::new();
        for kind in [HostObject::Pool, HostObject::Network] {
            match callbacks::register_host_object(&conn, kind, forward(tx)) {
                Ok(id) => host_object_ids.push((kind, id)),
                Err(e) => log::info!("{uri}: no {kind:?} events, changes show on refresh: {e}"),
            }
        }
        let close_registered = match callbacks::register_close(&conn, forward(tx)) {
            Ok(()) => true,
            Err(e) => {
                log::warn!("{uri}: no close notification: {e}");
                false
            }
        };
        Ok(Link {
            conn,
            lifecycle_id,
            host_object_ids,
            close_registered,
        })
    }

    /// Deregister the callbacks and close the connection.
    pub fn close(mut self) {
        if let Some(id) = self.lifecycle_id {
            callbacks::deregister_lifecycle(&self.conn, id);
        }
        for (kind, id) in self.host_object_ids.drain(..) {
            callbacks::deregister_host_object(&self.conn, kind, id);
        }
        if self.close_registered {
            callbacks::unregister_close(&self.conn);
        }
        drop(self.conn);
    }
}

/// libvirt's hypervisor driver names, as they appear before `://` (or before `+transport`).
const DRIVERS: &[&str] = &[
    "qemu",
    "test",
    "lxc",
    "xen",
    "libxl",
    "vbox",
    "vmwareplayer",
    "vmwarews",
    "vmwarefusion",
    "esx",
    "gsx",
    "vpx",
    "hyperv",
    "ch",
    "bhyve",
    "openvz",
    "vz",
    "parallels",
    "remote",
];

/// Refuse addresses no libvirt driver can take before libvirt tries them: an unknown scheme
/// would otherwise be handed to the daemon and fail as "daemon not running" when none runs.
pub(super) fn check_uri(uri: &str) -> Result<(), BackendError> {
    let invalid = |why: String| Err(BackendError::new(ErrorKind::InvalidUri, why));
    let Some((scheme, _rest)) = uri.split_once(':') else {
        return invalid(gettext_f(
            "“{uri}” is not a connection address",
            &[("uri", uri)],
        ));
    };
    let driver = scheme.split('+').next().unwrap_or_default();
    if !DRIVERS.contains(&driver.to_ascii_lowercase().as_str()) {
        return invalid(gettext_f(
            "“{driver}” is not a libvirt driver",
            &[("driver", driver)],
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_shape() {
        for ok in [
            "qemu:///system",
            "QEMU+ssh://me@host/system",
            "test:///default",
            "lxc:///",
        ] {
            assert!(check_uri(ok).is_ok(), "{ok}");
        }
        for bad in ["bogus:///system", "no colon", "", "+ssh://host/"] {
            let e = check_uri(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidUri, "{bad}");
            assert!(!e.message.is_empty() && !e.hint.is_empty());
        }
    }
}
