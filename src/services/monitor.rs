//! The monitor: one thread that takes every collected snapshot of the sampler and stores it
//! in the history (one transaction per tick), checks the alert rules against it (recording
//! alerts that fire and clear), and runs the daily retention clean-up in small batches
//! between ticks. The app hands it snapshots and hears back through a sink; nothing here
//! blocks the UI.
//!
//! When the database cannot be opened or written (corrupt file, locked by another
//! program, disk full) the monitor says so once ([`MonitorEvent::HistoryUnavailable`]),
//! never touches the file, keeps taking snapshots without storing them, and tries again a
//! few minutes later.

use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::backend::metrics::Snapshot;
use crate::services::alerts::{AlertChange, AlertEvaluator, AlertRule, AlertStore};
use crate::services::db::{Database, StoreError};
use crate::services::metrics::retention::DEFAULT_BATCH_ROWS;
use crate::services::metrics::store::MetricsStore;

/// How long the monitor waits before trying a failed database again.
const RETRY_AFTER: Duration = Duration::from_secs(300);
/// How often it checks whether the clean-up is due.
const CLEANUP_CHECK: Duration = Duration::from_secs(60);
/// Pause between clean-up batches, so ticks and chart reads get the database in between.
const BATCH_PAUSE: Duration = Duration::from_millis(20);

/// What the monitor tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorEvent {
    /// History (and alert rules) cannot be used right now, and why. Said once per cause.
    HistoryUnavailable(String),
    /// The database works again after a failure.
    HistoryAvailable,
    /// A snapshot was stored (charts showing history may read again).
    Stored,
    /// Alerts fired, peaked or cleared (already recorded in the alert history).
    Alerts(Vec<AlertChange>),
    /// The collection interval stored in Preferences, in seconds (sent once the database
    /// is open, for the sampler).
    Interval(u32),
    /// The retention clean-up finished, having deleted this many rows.
    CleanedUp(usize),
}

enum Msg {
    Collected(Box<Snapshot>),
    RulesChanged,
    CleanupNow,
}

/// The app's handle; dropping the last one ends the thread.
pub struct Monitor {
    tx: Sender<Msg>,
}

type Opener = Box<dyn Fn() -> Result<Arc<Database>, StoreError> + Send>;
type Sink = Box<dyn Fn(MonitorEvent) + Send>;

impl Monitor {
    /// Start the thread; `open` gives the database (`db::shared` in the app, a file in a
    /// temporary folder in tests) and is called again after a failure.
    pub fn spawn(
        open: impl Fn() -> Result<Arc<Database>, StoreError> + Send + 'static,
        sink: impl Fn(MonitorEvent) + Send + 'static,
    ) -> Monitor {
        let (tx, rx) = channel();
        let worker = Worker {
            open: Box::new(open),
            sink: Box::new(sink),
            rx,
            state: None,
            failed: None,
            last_check: None,
        };
        if let Err(e) = thread::Builder::new()
            .name("monitor".into())
            .spawn(move || worker.run())
        {
            log::error!("cannot start the monitor thread: {e}");
        }
        Monitor { tx }
    }

    /// A collected snapshot to store and check.
    pub fn collected(&self, snap: Snapshot) {
        let _ = self.tx.send(Msg::Collected(Box::new(snap)));
    }

    /// Rules were created, edited, switched or deleted: read them again.
    pub fn rules_changed(&self) {
        let _ = self.tx.send(Msg::RulesChanged);
    }

    /// Run the retention clean-up now (after the kept days were lowered).
    pub fn cleanup_now(&self) {
        let _ = self.tx.send(Msg::CleanupNow);
    }
}

/// What the thread holds while the database works.
struct State {
    metrics: MetricsStore,
    alerts: AlertStore,
    rules: Vec<AlertRule>,
    evaluator: AlertEvaluator,
}

struct Worker {
    open: Opener,
    sink: Sink,
    rx: Receiver<Msg>,
    state: Option<State>,
    /// The last failure and when it happened.
    failed: Option<(String, Instant)>,
    last_check: Option<Instant>,
}

impl Worker {
    fn run(mut self) {
        self.ensure_open();
        loop {
            match self.rx.recv_timeout(CLEANUP_CHECK) {
                Ok(msg) => self.handle(msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            self.cleanup_if_due(false);
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Collected(snap) => self.collected(&snap),
            Msg::RulesChanged => {
                if let Some(state) = &mut self.state {
                    match state.alerts.rules() {
                        Ok(rules) => state.rules = rules,
                        Err(e) => log::warn!("cannot read the alert rules: {e}"),
                    }
                }
            }
            Msg::CleanupNow => self.cleanup_if_due(true),
        }
    }

    /// Open the database unless it is open, or failed less than [`RETRY_AFTER`] ago.
    fn ensure_open(&mut self) -> bool {
        if self.state.is_some() {
            return true;
        }
        if let Some((_, at)) = &self.failed {
            if at.elapsed() < RETRY_AFTER {
                return false;
            }
        }
        let opened = (self.open)().and_then(|db| {
            let alerts = AlertStore::new(db.clone());
            let rules = alerts.rules()?;
            let evaluator = AlertEvaluator::restore_from(&alerts)?;
            Ok(State {
                metrics: MetricsStore::new(db),
                alerts,
                rules,
                evaluator,
            })
        });
        match opened {
            Ok(state) => {
                match state.metrics.settings() {
                    Ok(s) => (self.sink)(MonitorEvent::Interval(s.collection_interval_secs)),
                    Err(e) => log::warn!("cannot read the history settings: {e}"),
                }
                self.state = Some(state);
                if self.failed.take().is_some() {
                    (self.sink)(MonitorEvent::HistoryAvailable);
                }
                true
            }
            Err(e) => {
                self.fail(e.to_string());
                false
            }
        }
    }

    /// Drop the database, say why (once per distinct reason), and retry later.
    fn fail(&mut self, message: String) {
        log::warn!("history unavailable: {message}");
        self.state = None;
        let repeated = self.failed.as_ref().is_some_and(|(m, _)| *m == message);
        self.failed = Some((message.clone(), Instant::now()));
        if !repeated {
            (self.sink)(MonitorEvent::HistoryUnavailable(message));
        }
    }

    fn collected(&mut self, snap: &Snapshot) {
        if !self.ensure_open() {
            return;
        }
        let Some(state) = &mut self.state else { return };
        if let Err(e) = state.metrics.record(snap) {
            return self.fail(e.to_string());
        }
        let changes = state.evaluator.evaluate(&state.rules, snap);
        let recorded = if changes.is_empty() {
            Ok(())
        } else {
            state.alerts.apply(&changes)
        };
        (self.sink)(MonitorEvent::Stored);
        if !changes.is_empty() {
            (self.sink)(MonitorEvent::Alerts(changes));
        }
        if let Err(e) = recorded {
            self.fail(e.to_string());
        }
    }

    /// Run the clean-up when due (or `forced`), batch by batch; ticks that arrive meanwhile
    /// are handled between batches so history never falls behind.
    fn cleanup_if_due(&mut self, forced: bool) {
        if !forced && self.last_check.is_some_and(|t| t.elapsed() < CLEANUP_CHECK) {
            return;
        }
        self.last_check = Some(Instant::now());
        let Some(state) = &self.state else { return };
        let due = forced
            || state
                .metrics
                .cleanup_due(&chrono::Local::now())
                .unwrap_or(false);
        if !due {
            return;
        }
        let now = chrono::Utc::now().timestamp();
        let mut total = 0;
        loop {
            let Some(state) = &self.state else { return };
            match state.metrics.cleanup_batch(now, DEFAULT_BATCH_ROWS) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(e) => return self.fail(e.to_string()),
            }
            thread::sleep(BATCH_PAUSE);
            while let Ok(msg) = self.rx.try_recv() {
                match msg {
                    Msg::CleanupNow => {}
                    other => self.handle(other),
                }
            }
        }
        (self.sink)(MonitorEvent::CleanedUp(total));
    }
}
