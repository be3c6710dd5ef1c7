//! The worker's handling of [`Command::Disk`](super::Command::Disk): run the disk request on the worker's
//! connection, answer with [`Event::Disk`](super::Event::Disk), and after a change send the machine's fresh
//! details (the open page shows its disks from them).

use gettextrs::gettext;

use super::details;
use super::error::BackendError;
use super::hotplug::{self, DiskCommand, DiskEvent};
use super::link::Link;
use super::worker::{lost_reason, Event, Worker};

impl Worker {
    /// `Command::Disk`; `Some(reason)` when the connection turned out to be lost.
    pub(super) fn disk(&mut self, link: &Link, cmd: DiskCommand) -> Option<String> {
        let uuid = cmd.uuid().to_owned();
        let (message, result) = hotplug::run(&link.conn, &cmd);
        let lost = lost_reason(result.as_ref().err());
        let changed = result.is_ok();
        self.emit(Event::Disk(DiskEvent::Done {
            uuid: uuid.clone(),
            message,
            result,
        }));
        if changed {
            let r = details::read_details(&link.conn, &uuid);
            let lost = lost_reason(r.as_ref().err());
            self.emit(Event::Details(r));
            return lost;
        }
        lost
    }

    /// `Command::Disk` while disconnected: answered at once.
    pub(super) fn disk_disconnected(&mut self, cmd: DiskCommand) {
        let what = match &cmd {
            DiskCommand::Attach(_) => gettext("Attaching a disk"),
            DiskCommand::Detach { .. } => gettext("Detaching a disk"),
            DiskCommand::ChangeMedia { .. } => gettext("Changing media"),
        };
        self.emit(Event::Disk(DiskEvent::Done {
            uuid: cmd.uuid().to_owned(),
            message: what.clone(),
            result: Err(BackendError::disconnected(&what)),
        }));
    }
}
