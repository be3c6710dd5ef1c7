//! One open libvirt connection with its callbacks registered: opening (keepalive, lifecycle
//! and close callbacks wired to the worker's channel) and closing cleanly.

use std::sync::mpsc::Sender;

use virt::connect::Connect;

use super::callbacks::{self, Notice};
use super::error::BackendError;
use super::worker::Msg;

/// An open connection owned by a worker.
pub(super) struct Link {
    pub conn: Connect,
    lifecycle_id: Option<i32>,
    close_registered: bool,
}

impl Link {
    /// Open `uri` and register the callbacks that feed `tx`.
    pub fn open(uri: &str, tx: &Sender<Msg>) -> Result<Link, BackendError> {
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
            close_registered,
        })
    }

    /// Deregister the callbacks and close the connection.
    pub fn close(self) {
        if let Some(id) = self.lifecycle_id {
            callbacks::deregister_lifecycle(&self.conn, id);
        }
        if self.close_registered {
            callbacks::unregister_close(&self.conn);
        }
        drop(self.conn);
    }
}
