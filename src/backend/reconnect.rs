//! The disconnected half of a worker's life: counting down, answering requests at once
//! with a `Disconnected` error (nothing is silently dropped), and reopening with backoff
//! (1, 2, 4, 8, 16, then every 30 s).

use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use gettextrs::gettext;
use virt::sys;

use super::error::BackendError;
use super::link::Link;
use super::types::LinkState;
use super::worker::{Command, Event, Msg, Worker};

const BACKOFF_SECS: [u64; 6] = [1, 2, 4, 8, 16, 30];

impl Worker {
    /// Wait and reopen with backoff until it works (`Some`) or the worker must end (`None`).
    pub(super) fn reconnect(&mut self, mut reason: String) -> Option<Link> {
        log::warn!("{}: connection lost: {reason}", self.uri);
        for attempt in 0.. {
            let delay = BACKOFF_SECS[attempt.min(BACKOFF_SECS.len() - 1)];
            for remaining in (1..=delay).rev() {
                self.emit(Event::Link(LinkState::Disconnected {
                    reason: reason.clone(),
                    retry_in_secs: remaining,
                }));
                if !self.wait_disconnected(Duration::from_secs(1)) {
                    return None;
                }
            }
            self.emit(Event::Link(LinkState::Connecting));
            match Link::open(&self.uri, &self.tx) {
                Ok(l) => return Some(l),
                Err(e) => reason = e.message,
            }
        }
        None
    }

    /// Handle messages for `span` while disconnected; `false` when the worker must end.
    fn wait_disconnected(&mut self, span: Duration) -> bool {
        let deadline = Instant::now() + span;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = match self.rx.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => return true,
                Err(RecvTimeoutError::Disconnected) => return false,
            };
            match msg {
                Msg::Cmd(Command::Close) | Msg::HandlesGone => return false,
                Msg::Cmd(Command::Details { .. }) => self.emit(Event::Details(Err(
                    BackendError::disconnected(&gettext("Reading details")),
                ))),
                Msg::Cmd(Command::Action { uuid, action }) => {
                    let name = self.names.get(&uuid).cloned().unwrap_or_default();
                    let what = action.label();
                    self.emit(Event::ActionDone {
                        uuid,
                        name,
                        action,
                        result: Err(BackendError::disconnected(&what)),
                    });
                }
                Msg::Cmd(
                    cmd @ (Command::DeletePlan { .. }
                    | Command::Delete { .. }
                    | Command::ClonePlan { .. }
                    | Command::Clone(_)
                    | Command::ReadXml { .. }
                    | Command::ExportXml { .. }
                    | Command::DefineXml { .. }
                    | Command::ImportXml { .. }),
                ) => self.manage_disconnected(cmd),
                Msg::Cmd(Command::Edit { uuid, edit }) => self.edit_disconnected(uuid, edit),
                Msg::Cmd(Command::PortForward(cmd)) => self.port_forward_disconnected(cmd),
                Msg::Cmd(Command::Disk(cmd)) => self.disk_disconnected(cmd),
                Msg::Cmd(Command::Serial(cmd)) => self.serial_disconnected(cmd),
                Msg::Cmd(Command::Agent(cmd)) => self.agent_disconnected(cmd),
                Msg::Cmd(
                    ref cmd @ (Command::CreateOptions
                    | Command::ProposeXml { .. }
                    | Command::Create { .. }),
                ) => {
                    if let Some(answer) = super::create::serve::disconnected(cmd) {
                        self.emit(answer);
                    }
                }
                Msg::Cmd(Command::Storage(cmd)) => self.storage_disconnected(cmd),
                Msg::Cmd(Command::Network(cmd)) => self.network_disconnected(cmd),
                Msg::Cmd(Command::Metrics(cmd)) => self.metrics(cmd),
                Msg::Cmd(Command::Graphics(cmd)) => self.graphics_disconnected(cmd),
                Msg::Cmd(Command::Screenshot(cmd)) => self.screenshot_disconnected(cmd),
                // Stale notices from the old connection, refreshes (the reconnect sends a
                // fresh list anyway) and test hooks have nothing to act on.
                Msg::Cmd(Command::Refresh) | Msg::Notice(_) | Msg::Exec(_) | Msg::SimulateClose => {
                }
            }
        }
    }
}

/// A person-readable reason for a `virConnectCloseReason`.
pub(super) fn close_reason(reason: i32) -> String {
    match reason as u32 {
        sys::VIR_CONNECT_CLOSE_REASON_EOF => gettext("the host closed the connection"),
        sys::VIR_CONNECT_CLOSE_REASON_KEEPALIVE => gettext("the host stopped answering"),
        sys::VIR_CONNECT_CLOSE_REASON_CLIENT => gettext("the connection was closed"),
        _ => gettext("connection error"),
    }
}
