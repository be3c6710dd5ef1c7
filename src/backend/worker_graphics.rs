//! The worker's side of the graphical consoles: [`Command::Graphics`](super::Command::Graphics)
//! reads a running machine's graphics device and opens sockets to it on the worker's
//! connection, answered with [`Event::Graphics`](super::Event::Graphics).

use gettextrs::gettext;

use super::error::BackendError;
use super::graphics::{self, GraphicsCommand, GraphicsEvent};
use super::link::Link;
use super::worker::{lost_reason, Event, Worker};

impl Worker {
    /// Handle one console request; `Some(reason)` when the connection turned out lost.
    pub(super) fn graphics(&mut self, link: &Link, cmd: GraphicsCommand) -> Option<String> {
        match cmd {
            GraphicsCommand::Open { uuid, request, fds } => {
                let result = graphics::open(&link.conn, &self.uri, &uuid, fds);
                let lost = lost_reason(result.as_ref().err());
                self.emit(Event::Graphics(GraphicsEvent::Opened {
                    uuid,
                    request,
                    result,
                }));
                lost
            }
        }
    }

    /// The same request while disconnected: answered at once with a `Disconnected` error.
    pub(super) fn graphics_disconnected(&mut self, cmd: GraphicsCommand) {
        match cmd {
            GraphicsCommand::Open { uuid, request, .. } => {
                self.emit(Event::Graphics(GraphicsEvent::Opened {
                    uuid,
                    request,
                    result: Err(BackendError::disconnected(&gettext("Opening the console"))),
                }))
            }
        }
    }
}
