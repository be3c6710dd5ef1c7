//! The worker's side of the guest agents: [`Command::Agent`](super::Command::Agent),
//! answered with [`Event::Agent`](super::Event::Agent)s.
//!
//! On the worker thread only libvirt is asked (the machine, its channels and their
//! socket paths, from the live XML each time); every call to a guest then runs on a
//! thread of its own, so a silent guest never holds up the worker. The worker keeps one
//! [`AgentClient`] per running machine whose channel has a socket; it is dropped when the
//! machine stops (or the socket path changes: the client reconnects to the new one).
//! At most [`MAX_THREADS`] agent threads run at once; a request past that is refused.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use gettextrs::gettext;

use super::agent::files::{self, TransferOptions};
use super::agent::ops::{self, Target};
use super::agent::{
    channel, AgentClient, AgentCommand, AgentError, AgentEvent, AgentStatus, ClientOptions,
    Direction,
};
use super::error::BackendError;
use super::link::Link;
use super::summary;
use super::worker::{emit_to, lost_reason, Event, Sink, Worker};
use crate::i18n::gettext_f;

/// Agent threads (requests and transfers) running at once per connection.
pub const MAX_THREADS: usize = 32;

/// One machine's client and the socket path its resolver hands out.
struct Entry {
    client: Arc<AgentClient>,
    path: Arc<Mutex<Option<String>>>,
}

/// The worker's agent state.
#[derive(Default)]
pub(super) struct Agents {
    clients: HashMap<String, Entry>,
    cancels: Arc<Mutex<HashMap<u64, Arc<AtomicBool>>>>,
    running: Arc<AtomicUsize>,
}

impl Agents {
    /// Drops machine `uuid`'s client (it stopped); running requests finish with theirs.
    pub(super) fn forget(&mut self, uuid: &str) {
        if let Some(e) = self.clients.remove(uuid) {
            e.client.disconnect();
        }
    }

    /// Drops every client (the libvirt connection was lost or closed).
    pub(super) fn clear(&mut self) {
        for (_, e) in self.clients.drain() {
            e.client.disconnect();
        }
    }

    /// The client for `uuid`, pointed at `path` (a new path closes the old connection).
    fn client(&mut self, uuid: &str, path: String) -> Arc<AgentClient> {
        let entry = self.clients.entry(uuid.to_owned()).or_insert_with(|| {
            let path: Arc<Mutex<Option<String>>> = Arc::default();
            let slot = path.clone();
            let resolver = Box::new(move || {
                slot.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
                    .map(Into::into)
                    .ok_or(AgentError::NoChannel)
            });
            Entry {
                client: Arc::new(AgentClient::new(resolver, ClientOptions::default())),
                path,
            }
        });
        let mut current = entry.path.lock().unwrap_or_else(|p| p.into_inner());
        if current.as_deref() != Some(path.as_str()) {
            *current = Some(path);
            entry.client.disconnect();
        }
        entry.client.clone()
    }
}

impl Worker {
    /// `Command::Agent`; `Some(reason)` when the connection turned out to be lost.
    pub(super) fn agent(&mut self, link: &Link, cmd: AgentCommand) -> Option<String> {
        match cmd {
            AgentCommand::Cancel { transfer } => {
                cancel(&self.agents, transfer);
                None
            }
            AgentCommand::AddChannel { uuid, request } => {
                let result = channel::add_agent_channel(&link.conn, &uuid);
                let lost = lost_reason(result.as_ref().err());
                self.agents.forget(&uuid);
                self.emit(Event::Agent(AgentEvent::ChannelAdded {
                    uuid,
                    request,
                    result,
                }));
                lost
            }
            cmd => {
                let uuid = uuid_of(&cmd).to_owned();
                match self.agent_target(link, &uuid) {
                    Ok(target) => {
                        self.spawn_agent(target, cmd);
                        None
                    }
                    Err(e) => {
                        let lost = lost_reason(Some(&e));
                        refuse(&self.sink, cmd, e);
                        lost
                    }
                }
            }
        }
    }

    /// `Command::Agent` while disconnected: answered at once (a cancel still applies).
    pub(super) fn agent_disconnected(&mut self, cmd: AgentCommand) {
        if let AgentCommand::Cancel { transfer } = cmd {
            cancel(&self.agents, transfer);
            return;
        }
        let err = BackendError::disconnected(&gettext("Reaching the guest agent"));
        refuse(&self.sink, cmd, err);
    }

    /// The machine with its channels as libvirt reports them now, and our client.
    fn agent_target(&mut self, link: &Link, uuid: &str) -> Result<Target, BackendError> {
        let dom = summary::lookup(&link.conn, uuid)?;
        let name = dom.name().unwrap_or_else(|_| uuid.to_owned());
        let active = dom.is_active().map_err(|e| BackendError::from_virt(&e))?;
        let channels = channel::read_channels(&dom)?;
        let socket = channels.agent.as_ref().and_then(|c| c.socket.clone());
        let client = match socket.filter(|_| active) {
            Some(path) => Some(self.agents.client(uuid, path)),
            None => {
                self.agents.forget(uuid);
                None
            }
        };
        Ok(Target {
            name,
            dom,
            channels,
            client,
        })
    }

    fn spawn_agent(&mut self, target: Target, cmd: AgentCommand) {
        let running = self.agents.running.clone();
        if running.fetch_add(1, Ordering::SeqCst) >= MAX_THREADS {
            running.fetch_sub(1, Ordering::SeqCst);
            refuse(
                &self.sink,
                cmd,
                AgentError::Busy.to_backend(&gettext("Reaching the guest agent")),
            );
            return;
        }
        let sink = self.sink.clone();
        let cancels = self.agents.cancels.clone();
        let cancel = match &cmd {
            AgentCommand::Upload { transfer, .. } | AgentCommand::Download { transfer, .. } => {
                let flag = Arc::new(AtomicBool::new(false));
                lock(&cancels).insert(*transfer, flag.clone());
                Some((*transfer, flag))
            }
            _ => None,
        };
        let work = move || {
            let event = run(&target, cmd, &sink, cancel.as_ref().map(|(_, f)| &**f));
            if let Some((id, _)) = cancel {
                lock(&cancels).remove(&id);
            }
            running.fetch_sub(1, Ordering::SeqCst);
            emit_to(&sink, Event::Agent(event));
        };
        if let Err(e) = thread::Builder::new()
            .name("agent request".into())
            .spawn(work)
        {
            log::error!("cannot start an agent thread: {e}");
            self.agents.running.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn cancel(agents: &Agents, transfer: u64) {
    if let Some(flag) = lock(&agents.cancels).get(&transfer) {
        flag.store(true, Ordering::SeqCst);
    }
}

fn uuid_of(cmd: &AgentCommand) -> &str {
    match cmd {
        AgentCommand::Status { uuid, .. }
        | AgentCommand::SystemInfo { uuid, .. }
        | AgentCommand::NetworkInfo { uuid, .. }
        | AgentCommand::DiskUsage { uuid, .. }
        | AgentCommand::Processes { uuid, .. }
        | AgentCommand::Exec { uuid, .. }
        | AgentCommand::Upload { uuid, .. }
        | AgentCommand::Download { uuid, .. }
        | AgentCommand::Power { uuid, .. }
        | AgentCommand::AddChannel { uuid, .. } => uuid,
        AgentCommand::Cancel { .. } => "",
    }
}

/// One request against `t` (on its agent thread): the answer to send.
fn run(t: &Target, cmd: AgentCommand, sink: &Sink, cancel: Option<&AtomicBool>) -> AgentEvent {
    match cmd {
        AgentCommand::Status { uuid, request } => AgentEvent::Status {
            uuid,
            request,
            status: ops::status(t),
        },
        AgentCommand::SystemInfo { uuid, request } => AgentEvent::SystemInfo {
            uuid,
            request,
            result: ops::system_info(t),
        },
        AgentCommand::NetworkInfo { uuid, request } => AgentEvent::NetworkInfo {
            uuid,
            request,
            result: ops::network_info(t),
        },
        AgentCommand::DiskUsage { uuid, request } => AgentEvent::DiskUsage {
            uuid,
            request,
            result: ops::disk_usage(t),
        },
        AgentCommand::Processes { uuid, request } => AgentEvent::Processes {
            uuid,
            request,
            result: ops::processes(t),
        },
        AgentCommand::Exec {
            uuid,
            request,
            exec,
        } => AgentEvent::Exec {
            uuid,
            request,
            result: ops::exec(t, &exec),
        },
        AgentCommand::Power {
            uuid,
            request,
            action,
        } => AgentEvent::Power {
            uuid,
            request,
            action,
            result: ops::power(t, action),
        },
        cmd @ (AgentCommand::Upload { .. } | AgentCommand::Download { .. }) => {
            copy(t, cmd, sink, cancel.unwrap_or(&AtomicBool::new(false)))
        }
        AgentCommand::Cancel { .. } | AgentCommand::AddChannel { .. } => {
            unreachable!("answered on the worker thread")
        }
    }
}

/// A transfer, with progress events on the way.
fn copy(t: &Target, cmd: AgentCommand, sink: &Sink, cancel: &AtomicBool) -> AgentEvent {
    let (uuid, transfer, direction, local, remote, overwrite) = match cmd {
        AgentCommand::Upload {
            uuid,
            transfer,
            local,
            remote,
            overwrite,
        } => (uuid, transfer, Direction::Upload, local, remote, overwrite),
        AgentCommand::Download {
            uuid,
            transfer,
            remote,
            local,
            overwrite,
        } => (
            uuid,
            transfer,
            Direction::Download,
            local,
            remote,
            overwrite,
        ),
        _ => unreachable!("only transfers are copied"),
    };
    let options = TransferOptions {
        overwrite,
        ..TransferOptions::default()
    };
    let mut progress = |done: u64, total: u64| {
        emit_to(
            sink,
            Event::Agent(AgentEvent::Progress {
                uuid: uuid.clone(),
                transfer,
                direction,
                done,
                total,
            }),
        )
    };
    let file = local.display().to_string();
    let args = [
        ("file", file.as_str()),
        ("path", remote.as_str()),
        ("name", t.name.as_str()),
    ];
    let (what, done) = match direction {
        Direction::Upload => (
            gettext_f("Copying “{file}” into “{name}”", &args),
            gettext_f("“{file}” copied to {path} in “{name}”.", &args),
        ),
        Direction::Download => (
            gettext_f("Copying {path} out of “{name}”", &args),
            gettext_f("{path} copied from “{name}” to “{file}”.", &args),
        ),
    };
    let result = match (&t.client, t.channels.agent.is_some()) {
        (Some(c), _) => match direction {
            Direction::Upload => files::upload(c, &local, &remote, options, cancel, &mut progress),
            Direction::Download => {
                files::download(c, &remote, &local, options, cancel, &mut progress)
            }
        },
        (None, true) => Err(AgentError::Connect(gettext("the machine is not running"))),
        (None, false) => Err(AgentError::NoChannel),
    }
    .map_err(|e| e.to_backend(&what));
    let message = match &result {
        Ok(_) => done,
        Err(e) => e.message.clone(),
    };
    AgentEvent::TransferDone {
        uuid,
        transfer,
        direction,
        message,
        result,
    }
}

/// Answers `cmd` with `err` (the machine or its channel could not be read).
fn refuse(sink: &Sink, cmd: AgentCommand, err: BackendError) {
    let event = match cmd {
        AgentCommand::Status { uuid, request } => AgentEvent::Status {
            uuid,
            request,
            status: AgentStatus::Error(err),
        },
        AgentCommand::SystemInfo { uuid, request } => AgentEvent::SystemInfo {
            uuid,
            request,
            result: Err(err),
        },
        AgentCommand::NetworkInfo { uuid, request } => AgentEvent::NetworkInfo {
            uuid,
            request,
            result: Err(err),
        },
        AgentCommand::DiskUsage { uuid, request } => AgentEvent::DiskUsage {
            uuid,
            request,
            result: Err(err),
        },
        AgentCommand::Processes { uuid, request } => AgentEvent::Processes {
            uuid,
            request,
            result: Err(err),
        },
        AgentCommand::Exec { uuid, request, .. } => AgentEvent::Exec {
            uuid,
            request,
            result: Err(err),
        },
        AgentCommand::Power {
            uuid,
            request,
            action,
        } => AgentEvent::Power {
            uuid,
            request,
            action,
            result: Err(err),
        },
        AgentCommand::AddChannel { uuid, request } => AgentEvent::ChannelAdded {
            uuid,
            request,
            result: Err(err),
        },
        AgentCommand::Upload { uuid, transfer, .. } => AgentEvent::TransferDone {
            uuid,
            transfer,
            direction: Direction::Upload,
            message: err.message.clone(),
            result: Err(err),
        },
        AgentCommand::Download { uuid, transfer, .. } => AgentEvent::TransferDone {
            uuid,
            transfer,
            direction: Direction::Download,
            message: err.message.clone(),
            result: Err(err),
        },
        AgentCommand::Cancel { .. } => return,
    };
    emit_to(sink, Event::Agent(event));
}
