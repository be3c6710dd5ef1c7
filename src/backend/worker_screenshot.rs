//! The worker's handling of [`Command::Screenshot`](super::Command::Screenshot):
//! thumbnails are taken on a thread of their own (the "shooter", one per worker, started
//! on the first request), so a batch of screenshots never holds up the worker's other
//! commands. The shooter uses a reference to the worker's connection handed over with
//! each batch, and answers each UUID with [`Event::Screenshot`](super::Event::Screenshot).
//!
//! At most one batch waits: requests arriving while a batch runs are merged into it
//! (each UUID once, the newest bounds), so a slow host never builds a queue. The thread
//! ends when the worker drops its [`Shooter`]; it stops between two screenshots.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use gettextrs::gettext;
use virt::connect::Connect;

use super::error::BackendError;
use super::link::Link;
use super::screenshot::{self, ScreenshotCommand, ScreenshotEvent};
use super::worker::{emit_to, Event, Sink, Worker};

/// The next batch: which machines, what bounds, on which connection.
struct Batch {
    conn: Connect,
    uuids: Vec<String>,
    max_width: u32,
    max_height: u32,
}

#[derive(Default)]
struct Slot {
    next: Option<Batch>,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    slot: Mutex<Slot>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The worker's end of its screenshot thread.
#[derive(Default)]
pub(super) struct Shooter {
    shared: Arc<Shared>,
    started: bool,
}

impl Shooter {
    /// Queue a batch (merged into the waiting one, if any); starts the thread once.
    fn submit(&mut self, uri: &str, sink: &Sink, batch: Batch) {
        {
            let mut slot = self.shared.lock();
            match &mut slot.next {
                Some(waiting) => {
                    for uuid in batch.uuids {
                        if !waiting.uuids.contains(&uuid) {
                            waiting.uuids.push(uuid);
                        }
                    }
                    waiting.max_width = batch.max_width;
                    waiting.max_height = batch.max_height;
                    waiting.conn = batch.conn;
                }
                None => slot.next = Some(batch),
            }
        }
        self.shared.wake.notify_all();
        if !self.started {
            let shared = self.shared.clone();
            let thread_sink = sink.clone();
            let spawned = thread::Builder::new()
                .name(format!("screenshots {uri}"))
                .spawn(move || run(&shared, &thread_sink));
            match spawned {
                Ok(_) => self.started = true,
                Err(e) => {
                    log::error!("{uri}: cannot start the screenshot thread: {e}");
                    // Nothing will take the batch: answer it now.
                    if let Some(batch) = self.shared.lock().next.take() {
                        let err = BackendError::new(super::error::ErrorKind::Other, e.to_string());
                        answer_all(sink, batch.uuids, &err);
                    }
                }
            }
        }
    }
}

impl Drop for Shooter {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
    }
}

fn run(shared: &Shared, sink: &Sink) {
    loop {
        let batch = {
            let mut slot = shared.lock();
            loop {
                if slot.stop {
                    return;
                }
                if let Some(b) = slot.next.take() {
                    break b;
                }
                slot = shared.wake.wait(slot).unwrap_or_else(|p| p.into_inner());
            }
        };
        for uuid in batch.uuids {
            if shared.lock().stop {
                return;
            }
            let result =
                screenshot::thumbnail(&batch.conn, &uuid, batch.max_width, batch.max_height);
            if let Err(e) = &result {
                log::debug!("thumbnail of {uuid}: {e}");
            }
            emit_to(
                sink,
                Event::Screenshot(ScreenshotEvent::Thumbnail { uuid, result }),
            );
        }
        // The connection reference goes with the batch.
    }
}

fn answer_all(sink: &Sink, uuids: Vec<String>, err: &BackendError) {
    for uuid in uuids {
        emit_to(
            sink,
            Event::Screenshot(ScreenshotEvent::Thumbnail {
                uuid,
                result: Err(err.clone()),
            }),
        );
    }
}

impl Worker {
    /// `Command::Screenshot`: hand the batch to the shooter; no answer from here.
    pub(super) fn screenshot(&mut self, link: &Link, cmd: ScreenshotCommand) {
        let ScreenshotCommand::Thumbnails {
            uuids,
            max_width,
            max_height,
        } = cmd;
        if uuids.is_empty() {
            return;
        }
        let batch = Batch {
            conn: link.conn.clone(),
            uuids,
            max_width,
            max_height,
        };
        let sink = self.sink.clone();
        let uri = self.uri.clone();
        self.shooter.submit(&uri, &sink, batch);
    }

    /// `Command::Screenshot` while disconnected: every machine answered at once.
    pub(super) fn screenshot_disconnected(&mut self, cmd: ScreenshotCommand) {
        let ScreenshotCommand::Thumbnails { uuids, .. } = cmd;
        let err = BackendError::disconnected(&gettext("Taking a screenshot"));
        answer_all(&self.sink, uuids, &err);
    }
}
