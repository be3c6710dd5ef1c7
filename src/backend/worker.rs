//! The connection worker: one thread per libvirt connection, owning the `virt::Connect`.
//!
//! The UI talks to it through a [`ConnectionHandle`] ([`Command`]s in) and a sink closure
//! ([`Event`]s out). Inside, one channel carries UI commands, notices forwarded by libvirt
//! callbacks (domain lifecycle, connection closed) and a "last handle dropped" message, so
//! the worker handles everything in order on its own thread.
//!
//! Life of a worker: open the URI (a first failure is final: [`Event::ConnectFailed`]);
//! then `Link(Connected)`, `Host`, `VmList`; then serve commands and turn lifecycle events
//! into `VmChanged` / `VmRemoved`. When the connection drops it reports
//! `Link(Disconnected)`, answers requests with a `Disconnected` error at once, and reopens
//! with backoff (1, 2, 4, 8, 16, 30 s). `Command::Close` or dropping every handle
//! deregisters the callbacks, closes the connection and ends the thread.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use virt::connect::Connect;

use super::agent::{AgentCommand, AgentEvent};
use super::callbacks::{HostObject, Notice};
use super::clone::{ClonePlan, CloneRequest, CloneStep};
use super::create::serve::{self as creation, Served};
use super::create::{CreateOptions, CreatePlan, CreateStep};
use super::delete::{DeleteOutcome, DeletePlan};
use super::edit::{Applied, VmEdit};
use super::error::{BackendError, ErrorKind};
use super::graphics::{GraphicsCommand, GraphicsEvent};
use super::hotplug::{DiskCommand, DiskEvent};
use super::lifecycle::{run_action, After};
use super::link::Link;
use super::metrics::sampler::Sampler;
use super::metrics::{MetricsCommand, MetricsTick};
use super::networks::{NetworkCommand, NetworkEvent};
use super::portfwd::{PortForwardCommand, PortForwardEvent};
use super::screenshot::{ScreenshotCommand, ScreenshotEvent};
use super::serial::{SerialCommand, SerialEvent};
use super::storage::{StorageCommand, StorageEvent};
use super::types::{HostInfo, LinkState, VmAction, VmDetails, VmSummary};
use super::worker_agent::Agents;
use super::worker_screenshot::Shooter;
use super::xml_define::XmlKind;
use super::{details, event_loop, host, reconnect, summary};

/// What the UI asks of a connection worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Re-read host info and the full domain list (sent after connect automatically).
    Refresh,
    /// Read one domain's details (answered with [`Event::Details`]).
    Details { uuid: String },
    /// Run a lifecycle action (answered with [`Event::ActionDone`]).
    Action { uuid: String, action: VmAction },
    // Delete, clone, XML (handled in `worker_manage.rs`).
    /// What deleting would do ([`Event::DeletePlan`]).
    DeletePlan { uuid: String },
    /// Delete the machine and the volumes at these source paths ([`Event::Deleted`]).
    Delete { uuid: String, volumes: Vec<String> },
    /// What cloning would involve ([`Event::ClonePlan`]).
    ClonePlan { uuid: String },
    /// Clone ([`Event::CloneProgress`]..., then [`Event::Cloned`]).
    Clone(Box<CloneRequest>),
    /// Read XML for the editor ([`Event::Xml`]; secrets included, so saving keeps them).
    ReadXml { kind: XmlKind },
    /// A machine's persistent XML without secrets, for a file ([`Event::Exported`]).
    ExportXml { uuid: String },
    /// Save edited XML over the object ([`Event::XmlDefined`]).
    DefineXml { kind: XmlKind, xml: String },
    /// Define a new machine from a document ([`Event::Imported`]).
    ImportXml { xml: String },
    /// Change one setting or the tags of a machine (answered with [`Event::Edited`], then
    /// a fresh [`Event::VmChanged`]).
    Edit { uuid: String, edit: VmEdit },
    /// Close the connection and end the thread.
    Close,
    // VM creation (src/backend/create): options, proposed XML, create.
    /// What the host offers the creation wizard (answered with [`Event::CreateOptions`]).
    CreateOptions,
    /// The XML a plan would define (answered with [`Event::ProposedXml`]).
    ProposeXml { plan: Box<CreatePlan> },
    /// Create a machine: zero or more [`Event::CreateProgress`], then `VmChanged` for the
    /// new machine and [`Event::Created`] (or just `Created` with the error).
    Create { plan: Box<CreatePlan> },
    /// Storage pools and volumes (src/backend/storage, handled in `worker_storage.rs`),
    /// answered with [`Event::Storage`].
    Storage(StorageCommand),
    /// Virtual networks (src/backend/networks; handled in `worker_networks.rs`).
    Network(NetworkCommand),
    /// Port forwarding on NAT networks (src/backend/portfwd; handled in
    /// `worker_portfwd.rs`), answered with [`Event::PortForward`]s.
    PortForward(PortForwardCommand),
    /// Attach, detach, change media (src/backend/hotplug): answered with
    /// [`Event::Disk`], then a fresh [`Event::Details`] of the machine when it worked.
    Disk(DiskCommand),
    /// Monitoring pace (src/backend/metrics; handled in `worker_metrics.rs`): whether a
    /// live chart is on screen, the collection interval. No answer; the sampler sends
    /// [`Event::Metrics`] at the new pace.
    Metrics(MetricsCommand),
    /// Graphical consoles (src/backend/graphics; handled in `worker_graphics.rs`): where a
    /// running machine's screen is, with sockets from libvirt, answered with
    /// [`Event::Graphics`].
    Graphics(GraphicsCommand),
    /// Serial ports and text consoles (src/backend/serial; handled in
    /// `worker_serial.rs`): open one, answered with [`Event::Serial`].
    Serial(SerialCommand),
    /// Thumbnails of running machines (src/backend/screenshot; handled in
    /// `worker_screenshot.rs` on a thread of its own), answered with [`Event::Screenshot`]s.
    Screenshot(ScreenshotCommand),
    /// Guest agents (src/backend/agent; handled in `worker_agent.rs`, calls to guests on
    /// threads of their own), answered with [`Event::Agent`]s.
    Agent(AgentCommand),
}

/// What a worker tells the UI, through the sink closure given to [`ConnectionHandle::spawn`].
/// The sink is called on the worker thread, and on the threads of volume transfers (one
/// call at a time) and on the metrics sampler's thread.
// Events are moved to the UI once each; boxing `Details` would only change the agreed API.
#[allow(clippy::large_enum_variant)]
// Not `Eq`: metrics carry floating-point rates.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Connection state changed (connecting, connected, disconnected with retry countdown).
    Link(LinkState),
    /// First connect failed for good (bad URI, no daemon, permission denied): no retry.
    ConnectFailed(BackendError),
    /// Host facts (after connect and after Refresh).
    Host(HostInfo),
    /// The full list (after connect/reconnect and Refresh): replaces whatever the UI had.
    VmList(Vec<VmSummary>),
    /// One domain appeared or changed (from libvirt events, or after an action).
    VmChanged(VmSummary),
    /// One domain was undefined (transient domains: stopped).
    VmRemoved {
        uuid: String,
    },
    Details(Result<VmDetails, BackendError>),
    ActionDone {
        uuid: String,
        name: String,
        action: VmAction,
        result: Result<(), BackendError>,
    },
    // Delete, clone, XML. Successful deletes are followed by `VmRemoved`, clones,
    // imports and domain XML saves by `VmChanged`.
    DeletePlan(Result<DeletePlan, BackendError>),
    Deleted {
        uuid: String,
        name: String,
        result: Result<DeleteOutcome, BackendError>,
    },
    ClonePlan(Result<ClonePlan, BackendError>),
    CloneProgress(CloneStep),
    Cloned(Result<VmSummary, BackendError>),
    Xml {
        kind: XmlKind,
        result: Result<String, BackendError>,
    },
    XmlDefined {
        kind: XmlKind,
        result: Result<(), BackendError>,
    },
    Imported(Result<VmSummary, BackendError>),
    Exported {
        uuid: String,
        result: Result<String, BackendError>,
    },
    /// The answer to [`Command::Edit`]. `name` is the machine's name before the edit (a
    /// rename's new name is in `edit`); `Ok` says when the change takes effect.
    Edited {
        uuid: String,
        name: String,
        edit: VmEdit,
        result: Result<Applied, BackendError>,
    },
    // VM creation (src/backend/create).
    CreateOptions(Result<CreateOptions, BackendError>),
    ProposedXml(Result<String, BackendError>),
    CreateProgress(CreateStep),
    Created(Result<VmSummary, BackendError>),
    /// Storage pools and volumes (src/backend/storage).
    Storage(StorageEvent),
    /// Virtual networks (src/backend/networks).
    Network(NetworkEvent),
    /// Port forwarding: a network's rules and hook state, or the outcome of a change.
    PortForward(PortForwardEvent),
    /// The answer to [`Command::Disk`].
    Disk(DiskEvent),
    /// One sampler tick (src/backend/metrics): every second while live, else once per
    /// collection interval.
    Metrics(MetricsTick),
    /// The answer to [`Command::Graphics`] (src/backend/graphics).
    Graphics(GraphicsEvent),
    /// The answer to [`Command::Serial`]: an open console session, or why not.
    Serial(SerialEvent),
    /// The answers to [`Command::Screenshot`], one per machine.
    Screenshot(ScreenshotEvent),
    /// The answers to [`Command::Agent`], transfer progress included.
    Agent(AgentEvent),
}

/// A closure run on the worker's connection (tests and diagnostics).
type Exec = Box<dyn FnOnce(&Connect) + Send>;

pub(super) enum Msg {
    Cmd(Command),
    Notice(Notice),
    /// The last [`ConnectionHandle`] was dropped.
    HandlesGone,
    Exec(Exec),
    /// Behave as if libvirt had closed the connection (tests).
    SimulateClose,
}

/// Counters and flags shared between handles and the worker.
#[derive(Default)]
struct Stats {
    running: AtomicBool,
    lifecycle_events: AtomicU64,
}

struct Shared {
    tx: Sender<Msg>,
    uri: String,
    stats: Arc<Stats>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::HandlesGone);
    }
}

/// The UI's end of one connection. Cheap to clone; when the last clone is dropped the
/// worker closes the connection and ends.
#[derive(Clone)]
pub struct ConnectionHandle {
    shared: Arc<Shared>,
}

impl ConnectionHandle {
    /// Start a worker thread that opens `uri`. Never blocks the caller.
    pub fn spawn(uri: &str, sink: impl Fn(Event) + Send + 'static) -> ConnectionHandle {
        event_loop::ensure_started();
        let (tx, rx) = channel();
        let stats = Arc::new(Stats {
            running: AtomicBool::new(true),
            ..Stats::default()
        });
        let worker = Worker {
            uri: uri.to_owned(),
            sink: Arc::new(Mutex::new(Box::new(sink))),
            rx,
            tx: tx.clone(),
            stats: stats.clone(),
            names: HashMap::new(),
            sent: HashMap::new(),
            sampler: Sampler::new(),
            shooter: Shooter::default(),
            agents: Agents::default(),
        };
        let spawned = thread::Builder::new()
            .name(format!("libvirt {uri}"))
            .spawn(move || worker.run());
        if let Err(e) = spawned {
            log::error!("cannot start the worker for {uri}: {e}");
            stats.running.store(false, Ordering::SeqCst);
        }
        ConnectionHandle {
            shared: Arc::new(Shared {
                tx,
                uri: uri.to_owned(),
                stats,
            }),
        }
    }

    /// Queue a command. Never blocks; after `Close` or the thread's end it is a no-op.
    pub fn send(&self, cmd: Command) {
        let _ = self.shared.tx.send(Msg::Cmd(cmd));
    }

    /// The URI this handle was spawned with.
    pub fn uri(&self) -> &str {
        &self.shared.uri
    }

    /// Whether the worker thread is still alive.
    pub fn is_running(&self) -> bool {
        self.shared.stats.running.load(Ordering::SeqCst)
    }

    /// How many libvirt lifecycle callbacks the worker has turned into events so far.
    pub fn lifecycle_events_handled(&self) -> u64 {
        self.shared.stats.lifecycle_events.load(Ordering::SeqCst)
    }

    /// Run `f` on the worker thread with its open connection (skipped while disconnected).
    /// For tests and diagnostics: the UI never touches a connection.
    #[doc(hidden)]
    pub fn run_on_connection(&self, f: impl FnOnce(&Connect) + Send + 'static) {
        let _ = self.shared.tx.send(Msg::Exec(Box::new(f)));
    }

    /// Make the worker behave as if libvirt reported the connection closed (tests).
    #[doc(hidden)]
    pub fn simulate_connection_loss(&self) {
        let _ = self.shared.tx.send(Msg::SimulateClose);
    }
}

/// Why the serving loop stopped.
enum Stop {
    /// Close requested or all handles gone.
    Close,
    /// The connection dropped.
    Lost(String),
}

/// The UI's sink, shared with transfer threads (which emit while the worker goes on).
pub(super) type Sink = Arc<Mutex<Box<dyn Fn(Event) + Send>>>;

pub(super) struct Worker {
    pub(super) uri: String,
    pub(super) sink: Sink,
    pub(super) rx: Receiver<Msg>,
    pub(super) tx: Sender<Msg>,
    stats: Arc<Stats>,
    /// Last known names by UUID, for actions on domains that vanished.
    pub(super) names: HashMap<String, String>,
    /// Fingerprint of the last row sent per UUID since the last full list: a lifecycle
    /// event that changes nothing visible (libvirt's echo of our own action or edit, e.g.
    /// the define event after a rename) sends no duplicate `VmChanged`.
    sent: HashMap<String, u64>,
    /// The metrics sampler thread's controls (ends when the worker is dropped).
    pub(super) sampler: Sampler,
    /// The thumbnails thread's controls (ends when the worker is dropped).
    pub(super) shooter: Shooter,
    /// One guest-agent client per running machine, and the transfers' cancel flags.
    pub(super) agents: Agents,
}

impl Worker {
    pub(super) fn emit(&self, e: Event) {
        emit_to(&self.sink, e);
    }

    fn run(mut self) {
        self.emit(Event::Link(LinkState::Connecting));
        let mut link = match Link::open(&self.uri, &self.tx) {
            Ok(l) => l,
            Err(e) => {
                self.emit(Event::ConnectFailed(e));
                self.finish();
                return;
            }
        };
        loop {
            self.emit(Event::Link(LinkState::Connected));
            self.metrics_connected(&link);
            let stop = match self.refresh(&link) {
                Err(reason) => Stop::Lost(reason),
                Ok(()) => self.serve(&link),
            };
            self.metrics_disconnected();
            self.agents.clear();
            link.close();
            match stop {
                Stop::Close => break,
                Stop::Lost(reason) => match self.reconnect(reason) {
                    Some(l) => link = l,
                    None => break,
                },
            }
        }
        self.finish();
    }

    fn finish(&self) {
        self.stats.running.store(false, Ordering::SeqCst);
    }

    /// Serve messages on an open connection until it is closed or lost.
    fn serve(&mut self, link: &Link) -> Stop {
        loop {
            let msg = match self.rx.recv() {
                Ok(m) => m,
                Err(_) => return Stop::Close,
            };
            let lost = match msg {
                Msg::Cmd(Command::Close) | Msg::HandlesGone => return Stop::Close,
                Msg::Cmd(Command::Refresh) => self.refresh(link).err(),
                Msg::Cmd(Command::Details { uuid }) => {
                    let r = details::read_details(&link.conn, &uuid);
                    let lost = lost_reason(r.as_ref().err());
                    self.emit(Event::Details(r));
                    lost
                }
                Msg::Cmd(Command::Action { uuid, action }) => self.action(link, uuid, action),
                Msg::Cmd(
                    cmd @ (Command::DeletePlan { .. }
                    | Command::Delete { .. }
                    | Command::ClonePlan { .. }
                    | Command::Clone(_)
                    | Command::ReadXml { .. }
                    | Command::ExportXml { .. }
                    | Command::DefineXml { .. }
                    | Command::ImportXml { .. }),
                ) => self.manage(link, cmd),
                Msg::Cmd(Command::Edit { uuid, edit }) => self.edit(&link.conn, uuid, edit),
                Msg::Cmd(Command::Disk(cmd)) => self.disk(link, cmd),
                Msg::Cmd(
                    cmd @ (Command::CreateOptions
                    | Command::ProposeXml { .. }
                    | Command::Create { .. }),
                ) => self.creation(link, cmd),
                Msg::Cmd(Command::Storage(cmd)) => self.storage(link, cmd),
                Msg::Cmd(Command::Network(cmd)) => self.network(link, cmd),
                Msg::Cmd(Command::PortForward(cmd)) => self.port_forward(link, cmd),
                Msg::Cmd(Command::Graphics(cmd)) => self.graphics(link, cmd),
                Msg::Cmd(Command::Serial(cmd)) => self.serial(link, cmd),
                Msg::Cmd(Command::Agent(cmd)) => self.agent(link, cmd),
                Msg::Cmd(Command::Metrics(cmd)) => {
                    self.metrics(cmd);
                    None
                }
                Msg::Cmd(Command::Screenshot(cmd)) => {
                    self.screenshot(link, cmd);
                    None
                }
                Msg::Notice(Notice::Lifecycle {
                    uuid,
                    event,
                    detail,
                }) => {
                    log::debug!("lifecycle {uuid}: event {event} detail {detail}");
                    // Counted before the event goes out, so a test that saw the event
                    // also sees the count.
                    self.stats.lifecycle_events.fetch_add(1, Ordering::SeqCst);
                    if event == virt::sys::VIR_DOMAIN_EVENT_STOPPED as i32 {
                        self.agents.forget(&uuid);
                    }
                    self.domain_changed(link, &uuid)
                }
                Msg::Notice(Notice::Closed { reason }) => Some(reconnect::close_reason(reason)),
                // Someone defined, removed, started or stopped a pool or network: the
                // pages get the fresh list as if they had asked.
                Msg::Notice(Notice::HostObject(HostObject::Pool)) => {
                    self.storage(link, StorageCommand::List)
                }
                Msg::Notice(Notice::HostObject(HostObject::Network)) => {
                    self.network(link, NetworkCommand::List)
                }
                Msg::SimulateClose => Some(reconnect::close_reason(
                    virt::sys::VIR_CONNECT_CLOSE_REASON_EOF as i32,
                )),
                Msg::Exec(f) => {
                    // A failing diagnostic closure must not take the connection down.
                    let conn = &link.conn;
                    if catch_unwind(AssertUnwindSafe(|| f(conn))).is_err() {
                        log::error!("{}: a closure run on the connection panicked", self.uri);
                    }
                    None
                }
            };
            if let Some(reason) = lost {
                return Stop::Lost(reason);
            }
        }
    }

    /// Emit Host and VmList. `Err(reason)` when the connection turned out to be lost.
    fn refresh(&mut self, link: &Link) -> Result<(), String> {
        match host::host_info(&link.conn, &self.uri) {
            Ok(h) => self.emit(Event::Host(h)),
            Err(e) => {
                if let Some(r) = lost_reason(Some(&e)) {
                    return Err(r);
                }
                log::warn!("{}: host info: {e}", self.uri);
            }
        }
        match summary::list_summaries(&link.conn) {
            Ok(list) => {
                self.names = list
                    .iter()
                    .map(|s| (s.uuid.clone(), s.name.clone()))
                    .collect();
                self.sent.clear();
                self.emit(Event::VmList(list));
                crate::memory::release_freed();
                Ok(())
            }
            Err(e) => match lost_reason(Some(&e)) {
                Some(r) => Err(r),
                None => {
                    log::warn!("{}: listing domains: {e}", self.uri);
                    Ok(())
                }
            },
        }
    }

    fn action(&mut self, link: &Link, uuid: String, action: VmAction) -> Option<String> {
        let out = run_action(&link.conn, &uuid, action);
        let name = if out.name.is_empty() {
            self.names.get(&uuid).cloned().unwrap_or_default()
        } else {
            out.name
        };
        let lost = lost_reason(out.result.as_ref().err());
        let vanished = matches!(&out.result, Err(e) if e.kind == ErrorKind::NotFound);
        self.emit(Event::ActionDone {
            uuid: uuid.clone(),
            name,
            action,
            result: out.result,
        });
        match out.after {
            Some(After::Changed(s)) => self.changed(s),
            Some(After::Removed) => self.removed(uuid),
            None if vanished => self.removed(uuid),
            None => {}
        }
        lost
    }

    /// A creation command. The new machine is announced (VmChanged) before `Created`, so
    /// the UI can open it at once; libvirt's define event repeats it later, harmlessly.
    fn creation(&mut self, link: &Link, cmd: Command) -> Option<String> {
        match creation::serve(&link.conn, cmd, &|e| self.emit(e)) {
            Served::Answered(err) => lost_reason(err.as_ref()),
            Served::Created(result) => {
                let lost = lost_reason(result.as_ref().err());
                if let Ok(s) = &result {
                    self.changed(s.clone());
                }
                self.emit(Event::Created(result));
                lost
            }
        }
    }

    /// A lifecycle event: look the domain up again and report what it is now.
    fn domain_changed(&mut self, link: &Link, uuid: &str) -> Option<String> {
        match summary::lookup(&link.conn, uuid).and_then(|d| summary::summary_of(&d)) {
            Ok(s) => {
                if self.sent.get(&s.uuid) != Some(&fingerprint(&s)) {
                    self.changed(s);
                }
                None
            }
            Err(e) if e.kind == ErrorKind::NotFound => {
                self.removed(uuid.to_owned());
                None
            }
            Err(e) => {
                log::warn!("{}: reading {uuid} after an event: {e}", self.uri);
                lost_reason(Some(&e))
            }
        }
    }

    pub(super) fn changed(&mut self, s: VmSummary) {
        self.sent.insert(s.uuid.clone(), fingerprint(&s));
        self.names.insert(s.uuid.clone(), s.name.clone());
        self.emit(Event::VmChanged(s));
    }

    pub(super) fn removed(&mut self, uuid: String) {
        self.names.remove(&uuid);
        self.sent.remove(&uuid);
        self.emit(Event::VmRemoved { uuid });
    }
}

/// Call the sink (a panic in an earlier call does not stop later events).
pub(super) fn emit_to(sink: &Sink, e: Event) {
    let f = sink.lock().unwrap_or_else(|p| p.into_inner());
    f(e);
}

fn fingerprint(s: &VmSummary) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// `Some(reason)` when `err` means the connection is gone.
pub(super) fn lost_reason(err: Option<&BackendError>) -> Option<String> {
    err.filter(|e| e.kind == ErrorKind::Disconnected)
        .map(|e| e.message.clone())
}
