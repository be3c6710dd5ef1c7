//! The worker's handling of [`Command::Serial`](super::Command::Serial): open a text
//! console on the worker's own connection and answer with
//! [`Event::Serial`](super::Event::Serial). The session then runs on libvirt's event-loop
//! thread (src/backend/serial/pump.rs); the worker keeps nothing of it.

use gettextrs::gettext;

use super::error::BackendError;
use super::link::Link;
use super::serial::{self, SerialCommand, SerialEvent};
use super::worker::{lost_reason, Event, Worker};

impl Worker {
    /// `Command::Serial`; `Some(reason)` when the connection turned out to be lost.
    pub(super) fn serial(&mut self, link: &Link, cmd: SerialCommand) -> Option<String> {
        match cmd {
            SerialCommand::Open {
                uuid,
                device,
                request,
                force,
            } => {
                let result = serial::open(&link.conn, &uuid, device.as_deref(), force);
                let lost = lost_reason(result.as_ref().err());
                self.emit(Event::Serial(SerialEvent::Opened {
                    uuid,
                    request,
                    result,
                }));
                lost
            }
        }
    }

    /// `Command::Serial` while disconnected: answered at once.
    pub(super) fn serial_disconnected(&mut self, cmd: SerialCommand) {
        match cmd {
            SerialCommand::Open { uuid, request, .. } => {
                let what = gettext("Opening the console");
                self.emit(Event::Serial(SerialEvent::Opened {
                    uuid,
                    request,
                    result: Err(BackendError::disconnected(&what)),
                }));
            }
        }
    }
}
