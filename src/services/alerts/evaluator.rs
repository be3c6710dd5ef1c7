//! Judging snapshots against rules, in memory: per (rule, VM) counters of samples in a row
//! on either side of the threshold.
//!
//! - An alert fires after `consecutive` samples in a row on the alarming side, and clears
//!   after `consecutive` samples in a row back on the other side; a sample on the other side
//!   restarts the count, so a value hovering around the threshold fires at most once.
//! - A missing value (`None`: the first sample after a VM starts, a counter reset, a guest
//!   without a balloon driver) is skipped: it neither counts nor restarts a count, and an
//!   open alert stays open. A paused VM is treated the same way (its figures say nothing
//!   about the guest's load).
//! - A VM that is no longer in the snapshot (shut off, crashed, deleted) closes its alerts
//!   and forgets its counts; so does a rule that was disabled, deleted, no longer covers the
//!   VM, or now measures something else (metric, comparison or threshold changed).
//! - While an alert is open, each new worst value (highest for "above", lowest for
//!   "below") is reported as [`AlertChange::Peak`].

use std::collections::HashMap;

use super::text::{self, About};
use super::{AlertEvent, AlertMetric, AlertRule, AlertStore, Comparison, Severity};
use crate::backend::metrics::Snapshot;
use crate::backend::VmState;
use crate::services::db::StoreError;

/// Why an alert closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClearReason {
    /// The value was back on the right side for the rule's number of samples.
    Recovered,
    /// The VM is no longer running.
    VmStopped,
    RuleDisabled,
    RuleDeleted,
    /// The rule now measures something else or no longer covers the VM.
    RuleChanged,
}

/// What one evaluation changed.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertChange {
    /// An alert opened: notify, and record it (see [`AlertStore::apply`]).
    Fired {
        rule_id: i64,
        /// The rule's [`AlertRule::title`], kept with the event.
        rule_title: String,
        metric: AlertMetric,
        comparison: Comparison,
        threshold: f64,
        uuid: String,
        name: String,
        /// The value of the sample that fired it.
        value: f64,
        /// The worst value of the samples in a row that fired it.
        peak: f64,
        severity: Severity,
        /// Snapshot time, Unix seconds.
        at: i64,
        /// For the desktop notification: "“web” CPU above 90 % for 3 samples (now 97 %)".
        sentence: String,
    },
    /// An open alert saw a worse value than before.
    Peak {
        rule_id: i64,
        uuid: String,
        peak: f64,
    },
    /// An alert closed.
    Cleared {
        rule_id: i64,
        uuid: String,
        name: String,
        /// The sample that cleared it; `None` when it closed for another reason.
        value: Option<f64>,
        /// The worst value seen while it was open.
        peak: f64,
        severity: Severity,
        reason: ClearReason,
        at: i64,
        sentence: String,
    },
}

/// What a rule compares; a change of any of these restarts its alerts.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Measure {
    metric: AlertMetric,
    comparison: Comparison,
    threshold: f64,
}

impl Measure {
    fn of(r: &AlertRule) -> Measure {
        Measure {
            metric: r.metric,
            comparison: r.comparison,
            threshold: r.threshold,
        }
    }
}

/// An open alert.
#[derive(Debug, Clone)]
struct Open {
    rule_title: String,
    severity: Severity,
    peak: f64,
}

/// One rule's view of one VM.
#[derive(Debug, Clone)]
struct Track {
    name: String,
    measure: Measure,
    /// Samples in a row on the alarming side (while closed), and the worst of them.
    over: u32,
    worst: f64,
    /// Samples in a row back on the right side (while open).
    back: u32,
    open: Option<Open>,
}

/// The evaluator's state: counts per (rule id, VM UUID). Create one per host connection.
#[derive(Debug, Default)]
pub struct AlertEvaluator {
    tracks: HashMap<(i64, String), Track>,
}

impl AlertEvaluator {
    pub fn new() -> AlertEvaluator {
        AlertEvaluator::default()
    }

    /// An evaluator that knows the alerts the store still has open (start-up).
    pub fn restore_from(store: &AlertStore) -> Result<AlertEvaluator, StoreError> {
        let mut e = AlertEvaluator::new();
        e.restore(&store.active()?);
        Ok(e)
    }

    /// Take over alerts left open by a previous run, so they are not fired again; they
    /// clear as usual. Events already closed or whose rule is gone are ignored.
    pub fn restore(&mut self, active: &[AlertEvent]) {
        for ev in active {
            let Some(rule_id) = ev.rule_id.filter(|_| ev.cleared_at.is_none()) else {
                continue;
            };
            self.tracks.insert(
                (rule_id, ev.uuid.clone()),
                Track {
                    name: ev.vm_name.clone(),
                    measure: Measure {
                        metric: ev.metric,
                        comparison: ev.comparison,
                        threshold: ev.threshold,
                    },
                    over: 0,
                    worst: ev.peak,
                    back: 0,
                    open: Some(Open {
                        rule_title: ev.rule_title.clone(),
                        severity: ev.severity,
                        peak: ev.peak,
                    }),
                },
            );
        }
    }

    /// Whether rule `rule_id` has an open alert on VM `uuid`.
    pub fn is_open(&self, rule_id: i64, uuid: &str) -> bool {
        self.tracks
            .get(&(rule_id, uuid.to_owned()))
            .is_some_and(|t| t.open.is_some())
    }

    /// How many alerts are open.
    pub fn open_count(&self) -> usize {
        self.tracks.values().filter(|t| t.open.is_some()).count()
    }

    /// Judge one collected snapshot against `rules` (all of them: disabled ones and those
    /// missing from the list close their alerts).
    pub fn evaluate(&mut self, rules: &[AlertRule], snap: &Snapshot) -> Vec<AlertChange> {
        let mut out = Vec::new();
        self.end_tracks(rules, snap, &mut out);
        for rule in rules.iter().filter(|r| r.enabled) {
            for vm in snap.vms.iter().filter(|v| rule.scope.applies_to(&v.uuid)) {
                let track = self
                    .tracks
                    .entry((rule.id, vm.uuid.clone()))
                    .or_insert_with(|| Track {
                        name: vm.name.clone(),
                        measure: Measure::of(rule),
                        over: 0,
                        worst: 0.0,
                        back: 0,
                        open: None,
                    });
                track.name.clone_from(&vm.name);
                if vm.state != VmState::Running {
                    continue;
                }
                let Some(value) = rule.metric.value(vm) else {
                    continue;
                };
                if let Some(change) = step(track, rule, &vm.uuid, value, snap.at) {
                    out.push(change);
                }
            }
        }
        out
    }

    /// Forget the tracks whose rule or VM went away, closing their open alerts.
    fn end_tracks(&mut self, rules: &[AlertRule], snap: &Snapshot, out: &mut Vec<AlertChange>) {
        let by_id: HashMap<i64, &AlertRule> = rules.iter().map(|r| (r.id, r)).collect();
        let mut keys: Vec<(i64, String)> = self.tracks.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let track = &self.tracks[&key];
            let reason = match by_id.get(&key.0) {
                None => Some(ClearReason::RuleDeleted),
                Some(r) if !r.enabled => Some(ClearReason::RuleDisabled),
                Some(r) if !r.scope.applies_to(&key.1) || Measure::of(r) != track.measure => {
                    Some(ClearReason::RuleChanged)
                }
                Some(_) if !snap.vms.iter().any(|v| v.uuid == key.1) => {
                    Some(ClearReason::VmStopped)
                }
                Some(_) => None,
            };
            let Some(reason) = reason else { continue };
            let track = self.tracks.remove(&key).expect("key from the map");
            if let Some(open) = &track.open {
                out.push(clear(&track, open, &key.1, key.0, reason, None, snap.at));
            }
        }
    }
}

/// Count one sample; returns the change it makes, if any.
fn step(
    track: &mut Track,
    rule: &AlertRule,
    uuid: &str,
    value: f64,
    at: i64,
) -> Option<AlertChange> {
    let alarming = rule.comparison.crossed(value, rule.threshold);
    let needed = rule.consecutive.max(1);
    match track.open.as_mut() {
        Some(open) if alarming => {
            track.back = 0;
            if rule.comparison.worse(value, open.peak) {
                open.peak = value;
                return Some(AlertChange::Peak {
                    rule_id: rule.id,
                    uuid: uuid.to_owned(),
                    peak: value,
                });
            }
            None
        }
        Some(open) => {
            track.back += 1;
            if track.back < needed {
                return None;
            }
            let open = open.clone();
            let change = clear(
                track,
                &open,
                uuid,
                rule.id,
                ClearReason::Recovered,
                Some(value),
                at,
            );
            track.open = None;
            track.back = 0;
            Some(change)
        }
        None if alarming => {
            track.worst = if track.over == 0 || rule.comparison.worse(value, track.worst) {
                value
            } else {
                track.worst
            };
            track.over += 1;
            if track.over < needed {
                return None;
            }
            track.over = 0;
            let rule_title = rule.title();
            let about = About {
                vm: &track.name,
                rule: &rule_title,
                metric: rule.metric,
                comparison: rule.comparison,
                threshold: rule.threshold,
            };
            let sentence = text::fired(&about, needed, value);
            track.open = Some(Open {
                rule_title: rule_title.clone(),
                severity: rule.severity,
                peak: track.worst,
            });
            Some(AlertChange::Fired {
                rule_id: rule.id,
                rule_title,
                metric: rule.metric,
                comparison: rule.comparison,
                threshold: rule.threshold,
                uuid: uuid.to_owned(),
                name: track.name.clone(),
                value,
                peak: track.worst,
                severity: rule.severity,
                at,
                sentence,
            })
        }
        None => {
            track.over = 0;
            None
        }
    }
}

fn clear(
    track: &Track,
    open: &Open,
    uuid: &str,
    rule_id: i64,
    reason: ClearReason,
    value: Option<f64>,
    at: i64,
) -> AlertChange {
    let about = About {
        vm: &track.name,
        rule: &open.rule_title,
        metric: track.measure.metric,
        comparison: track.measure.comparison,
        threshold: track.measure.threshold,
    };
    AlertChange::Cleared {
        rule_id,
        uuid: uuid.to_owned(),
        name: track.name.clone(),
        value,
        peak: open.peak,
        severity: open.severity,
        reason,
        at,
        sentence: text::cleared(&about, reason, value),
    }
}
