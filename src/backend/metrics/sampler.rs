//! The sampler: one thread per connection worker that reads the bulk stats on a fixed
//! schedule and sends each tick to the UI as [`Event::Metrics`].
//!
//! It shares the worker's open connection through a slot (`Sampler::set_connection`):
//! the worker fills it when connected and empties it when the link is lost or closed, so
//! after a reconnect the sampler reads through the new connection and while disconnected it
//! reads nothing (its ticks are skipped; the previous samples are kept, so the first tick
//! after a reconnect has rates over the whole gap, counter resets excepted).
//!
//! Pace: every second while live charts are on screen ([`MetricsCommand::SetLive`]),
//! otherwise once per collection interval ([`MetricsCommand::SetInterval`], 10–3600 s,
//! default 30). Ticks sit on a fixed grid; a tick that overruns the next slot makes the
//! sampler skip the missed slots, never queue them. Each tick's `live` snapshot covers the
//! time since the previous tick; when a collection interval has passed since the last
//! collection, the same tick also carries `collected`: exact averages since that
//! collection, from the raw sample kept for it (a VM started since that collection has no
//! collected rates until the next one). The first reading, taken as soon as the
//! worker connects, is only the baseline and sends nothing (it could carry no rates), so
//! the first [`Event::Metrics`] comes one period later.
//!
//! Rates use the monotonic clock; only [`super::Snapshot::at`] comes from the wall clock.
//! The thread ends when the worker drops its `Sampler`.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use virt::connect::Connect;

use super::rates::{snapshot, Sample};
use super::{node, MetricsTick};
use crate::backend::error::BackendError;
use crate::backend::stats;
use crate::backend::worker::{emit_to, Event, Sink};

/// What the UI asks of the sampler ([`crate::backend::Command::Metrics`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsCommand {
    /// A live chart is on screen (`true`: tick every second) or not (`false`: tick once
    /// per collection interval).
    SetLive(bool),
    /// The collection interval in seconds, clamped to
    /// [`MIN_INTERVAL_SECS`]..=[`MAX_INTERVAL_SECS`].
    SetInterval(u32),
}

pub const DEFAULT_INTERVAL_SECS: u32 = 30;
pub const MIN_INTERVAL_SECS: u32 = 10;
pub const MAX_INTERVAL_SECS: u32 = 3600;
/// The tick period while live.
pub const LIVE_PERIOD: Duration = Duration::from_secs(1);

/// A collection interval the sampler accepts.
pub fn clamp_interval(secs: u32) -> u32 {
    secs.clamp(MIN_INTERVAL_SECS, MAX_INTERVAL_SECS)
}

/// The first slot of the grid `anchor + k * period` (k ≥ 1) that is not already past.
pub fn next_slot(anchor: Instant, period: Duration, now: Instant) -> Instant {
    let first = anchor + period;
    if first >= now || period.is_zero() {
        return first;
    }
    let behind = (now - anchor).as_nanos();
    let k = behind.div_ceil(period.as_nanos());
    let k = u32::try_from(k).unwrap_or(u32::MAX);
    anchor + period.saturating_mul(k)
}

/// What the worker and the sampler thread share.
struct Settings {
    conn: Option<Connect>,
    live: bool,
    interval_secs: u32,
    stop: bool,
    /// Bumped by every change, so the thread knows to recompute its next slot.
    generation: u64,
}

struct Shared {
    settings: Mutex<Settings>,
    /// Signalled on every change of the settings.
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn change(&self, f: impl FnOnce(&mut Settings)) {
        let mut s = self.lock();
        f(&mut s);
        s.generation = s.generation.wrapping_add(1);
        drop(s);
        self.wake.notify_all();
    }
}

/// The worker's end of its sampler thread.
pub(crate) struct Sampler {
    shared: Arc<Shared>,
    started: bool,
}

impl Sampler {
    pub(crate) fn new() -> Sampler {
        Sampler {
            shared: Arc::new(Shared {
                settings: Mutex::new(Settings {
                    conn: None,
                    live: false,
                    interval_secs: DEFAULT_INTERVAL_SECS,
                    stop: false,
                    generation: 0,
                }),
                wake: Condvar::new(),
            }),
            started: false,
        }
    }

    /// Start the thread (once; later calls do nothing). Its first tick comes as soon as a
    /// connection is in the slot.
    pub(crate) fn start(&mut self, uri: &str, sink: Sink) {
        if self.started {
            return;
        }
        let shared = self.shared.clone();
        let spawned = thread::Builder::new()
            .name(format!("metrics {uri}"))
            .spawn(move || run(&shared, &sink));
        match spawned {
            Ok(_) => self.started = true,
            Err(e) => log::error!("{uri}: cannot start the metrics sampler: {e}"),
        }
    }

    /// Put the worker's connection in the slot (`None`: the link is gone).
    pub(crate) fn set_connection(&self, conn: Option<Connect>) {
        let mut old = None;
        self.shared
            .change(|s| old = std::mem::replace(&mut s.conn, conn));
        // Released outside the lock: the last reference closes the connection.
        drop(old);
    }

    /// Apply a [`MetricsCommand`]; the next tick follows the new pace.
    pub(crate) fn apply(&self, cmd: MetricsCommand) {
        self.shared.change(|s| match cmd {
            MetricsCommand::SetLive(live) => s.live = live,
            MetricsCommand::SetInterval(secs) => s.interval_secs = clamp_interval(secs),
        });
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        let mut old = None;
        self.shared.change(|s| {
            s.stop = true;
            old = s.conn.take();
        });
        drop(old);
    }
}

/// The sampler thread's memory between ticks.
#[derive(Default)]
struct History {
    /// The slot of the last attempt, whether it read anything or not: the live grid's anchor.
    last_slot: Option<Instant>,
    /// The previous tick's sample.
    prev: Option<Sample>,
    /// The last collection's slot and sample.
    collection: Option<(Instant, Sample)>,
}

impl History {
    /// When the next tick is due under the given pace.
    fn due(&self, live: bool, interval: Duration, now: Instant) -> Instant {
        match (self.last_slot, &self.collection) {
            (None, _) => now,
            (Some(last), _) if live => next_slot(last, LIVE_PERIOD, now),
            (_, Some((collected, _))) => next_slot(*collected, interval, now),
            (Some(last), None) => next_slot(last, interval, now),
        }
    }

    /// Take `cur` (read at `slot`) into the history and say what it means (nothing for the
    /// first reading: it is the baseline of the first live and collection intervals).
    fn tick(&mut self, slot: Instant, cur: Sample, interval: Duration) -> Option<MetricsTick> {
        self.last_slot = Some(slot);
        if self.prev.is_none() {
            self.collection = Some((slot, cur.clone()));
            self.prev = Some(cur);
            return None;
        }
        let live = snapshot(self.prev.as_ref(), &cur);
        // Half a live period of slack: a 1 s grid may land just short of the interval.
        let collect_due = match &self.collection {
            None => true,
            Some((at, _)) => slot.saturating_duration_since(*at) + LIVE_PERIOD / 2 >= interval,
        };
        let mut collected = None;
        if collect_due {
            collected = self
                .collection
                .as_ref()
                .map(|(_, base)| snapshot(Some(base), &cur));
            self.collection = Some((slot, cur.clone()));
        }
        self.prev = Some(cur);
        Some(MetricsTick { live, collected })
    }

    /// A slot whose reading failed: skipped, the grid goes on.
    fn missed(&mut self, slot: Instant) {
        self.last_slot = Some(slot);
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// One reading: the bulk domain stats (active domains only) and the host's own counters.
fn read(conn: &Connect) -> Result<Sample, BackendError> {
    let domains = stats::all_domain_stats(conn, true)?;
    let at = unix_now();
    Ok(Sample {
        at,
        domains,
        node: node::read(conn),
    })
}

fn run(shared: &Shared, sink: &Sink) {
    let mut history = History::default();
    let mut failing = false;
    // The next slot, computed after each tick and on each change of the settings (not on
    // every wake-up: a slot reached by waiting is not a missed one).
    let mut due = Instant::now();
    let mut seen = None;
    loop {
        let (slot, conn, interval) = {
            let mut s = shared.lock();
            loop {
                if s.stop {
                    return;
                }
                let interval = Duration::from_secs(s.interval_secs.into());
                let now = Instant::now();
                if seen != Some(s.generation) {
                    seen = Some(s.generation);
                    due = history.due(s.live, interval, now);
                }
                if s.conn.is_some() && now >= due {
                    break (due, s.conn.clone(), interval);
                }
                // While disconnected, wait for the connection rather than spin.
                let wait = if s.conn.is_some() {
                    due - now
                } else {
                    Duration::from_secs(3600)
                };
                s = shared
                    .wake
                    .wait_timeout(s, wait)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        };
        let Some(conn) = conn else { continue };
        let sample = read(&conn);
        drop(conn);
        match sample {
            Ok(cur) => {
                failing = false;
                let tick = history.tick(slot, cur, interval);
                if let Some(tick) = tick.filter(|_| !shared.lock().stop) {
                    emit_to(sink, Event::Metrics(tick));
                }
            }
            Err(e) => {
                // Logged once per run of failures (a lost link fails every tick until the
                // worker empties the slot). The slot still counts as taken, so the next
                // attempt waits for the next one.
                if !failing {
                    log::warn!("metrics: reading stats failed: {e}");
                }
                failing = true;
                history.missed(slot);
            }
        }
        // Slots that passed while this tick ran are skipped.
        let live = shared.lock().live;
        due = history.due(live, interval, Instant::now());
    }
}

#[cfg(test)]
#[path = "sampler_tests.rs"]
mod tests;
