//! Alerts: the evaluator on synthetic snapshots (consecutive checks both ways, below-rules,
//! missing values, VMs that stop, rules that change), and the store in a real SQLite file
//! (CRUD, validation, history kept after deleting a rule, restart without double firing).

use std::sync::Arc;

use kvm_manager::backend::metrics::{Rates, Snapshot, VmRates};
use kvm_manager::backend::VmState;
use kvm_manager::services::alerts::{
    AlertChange, AlertEvaluator, AlertMetric, AlertRule, AlertScope, AlertStore, ClearReason,
    Comparison, Severity,
};
use kvm_manager::services::{Database, StoreError};

const WEB: &str = "6f1c2a8e-0000-4000-8000-000000000001";
const DB: &str = "6f1c2a8e-0000-4000-8000-000000000002";

fn vm(uuid: &str, name: &str, rates: Rates) -> VmRates {
    VmRates {
        uuid: uuid.into(),
        name: name.into(),
        state: VmState::Running,
        vcpus: 2,
        rates,
    }
}

fn cpu(v: Option<f64>) -> Rates {
    Rates {
        cpu_pct: v,
        ..Rates::default()
    }
}

fn snap(at: i64, vms: Vec<VmRates>) -> Snapshot {
    Snapshot {
        at,
        interval_secs: 30.0,
        host: Rates::default(),
        vms,
    }
}

/// One snapshot per value, the web VM alone; returns every change, in order.
fn feed(
    e: &mut AlertEvaluator,
    rules: &[AlertRule],
    values: &[Option<f64>],
    t0: i64,
) -> Vec<AlertChange> {
    values
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            e.evaluate(
                rules,
                &snap(t0 + 30 * i as i64, vec![vm(WEB, "web", cpu(*v))]),
            )
        })
        .collect()
}

fn cpu_rule(id: i64, threshold: f64, consecutive: u32) -> AlertRule {
    let mut r = AlertRule::new(
        AlertScope::AllVms,
        AlertMetric::Cpu,
        Comparison::Above,
        threshold,
        consecutive,
        Severity::Warning,
    );
    r.id = id;
    r
}

fn fired(changes: &[AlertChange]) -> usize {
    changes
        .iter()
        .filter(|c| matches!(c, AlertChange::Fired { .. }))
        .count()
}

fn cleared(changes: &[AlertChange]) -> Vec<ClearReason> {
    changes
        .iter()
        .filter_map(|c| match c {
            AlertChange::Cleared { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

const HIGH: Option<f64> = Some(97.0);
const LOW: Option<f64> = Some(40.0);

#[test]
fn fires_after_consecutive_samples_and_clears_after_as_many() {
    let rules = [cpu_rule(1, 90.0, 3)];
    let mut e = AlertEvaluator::new();
    assert!(feed(&mut e, &rules, &[HIGH, HIGH], 0).is_empty());
    let changes = feed(&mut e, &rules, &[HIGH], 60);
    match changes.as_slice() {
        [AlertChange::Fired {
            rule_id: 1,
            uuid,
            name,
            value,
            severity: Severity::Warning,
            sentence,
            at: 60,
            ..
        }] => {
            assert_eq!((uuid.as_str(), name.as_str(), *value), (WEB, "web", 97.0));
            assert_eq!(sentence, "“web” CPU above 90 % for 3 samples (now 97 %)");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_open(1, WEB));
    // Still high: nothing new (the same value is no new peak).
    assert!(feed(&mut e, &rules, &[HIGH, HIGH], 90).is_empty());
    assert!(feed(&mut e, &rules, &[LOW, LOW], 150).is_empty());
    let changes = feed(&mut e, &rules, &[LOW], 210);
    match changes.as_slice() {
        [AlertChange::Cleared {
            reason: ClearReason::Recovered,
            value: Some(v),
            peak,
            sentence,
            ..
        }] => {
            assert_eq!((*v, *peak), (40.0, 97.0));
            assert_eq!(sentence, "“web” CPU back under 90 % (now 40 %)");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.open_count(), 0);
}

#[test]
fn flapping_input_neither_fires_nor_clears() {
    let rules = [cpu_rule(1, 90.0, 3)];
    let mut e = AlertEvaluator::new();
    let flapping: Vec<Option<f64>> = (0..40)
        .map(|i| if i % 3 == 2 { LOW } else { HIGH })
        .collect();
    assert!(
        feed(&mut e, &rules, &flapping, 0).is_empty(),
        "never 3 in a row"
    );

    // Once open, the same flapping (never 3 low in a row) does not clear it.
    assert_eq!(fired(&feed(&mut e, &rules, &[HIGH, HIGH, HIGH], 2000)), 1);
    let flapping: Vec<Option<f64>> = (0..40)
        .map(|i| if i % 3 == 2 { HIGH } else { LOW })
        .collect();
    assert!(cleared(&feed(&mut e, &rules, &flapping, 3000)).is_empty());
    assert!(e.is_open(1, WEB));
}

#[test]
fn exactly_at_the_threshold_is_not_over_it() {
    let rules = [cpu_rule(1, 90.0, 1)];
    let mut e = AlertEvaluator::new();
    assert!(feed(&mut e, &rules, &[Some(90.0)], 0).is_empty());
    assert_eq!(fired(&feed(&mut e, &rules, &[Some(90.1)], 30)), 1);
}

#[test]
fn below_rules_fire_low_and_track_the_lowest_peak() {
    let mut rule = cpu_rule(7, 1000.0, 2);
    rule.metric = AlertMetric::NetIo;
    rule.comparison = Comparison::Below;
    rule.severity = Severity::Critical;
    let rules = [rule];
    let net = |v: f64| Rates {
        net_rx: Some(v / 2.0),
        net_tx: Some(v / 2.0),
        ..Rates::default()
    };
    let mut e = AlertEvaluator::new();
    let mut all = Vec::new();
    for (i, v) in [5000.0, 500.0, 400.0, 100.0, 300.0, 2000.0, 2048.0]
        .iter()
        .enumerate()
    {
        all.extend(e.evaluate(&rules, &snap(i as i64, vec![vm(WEB, "web", net(*v))])));
    }
    match all.as_slice() {
        [AlertChange::Fired {
            value,
            severity: Severity::Critical,
            sentence,
            ..
        }, AlertChange::Peak { peak: p, .. }, AlertChange::Cleared {
            reason: ClearReason::Recovered,
            peak,
            sentence: back,
            ..
        }] => {
            assert_eq!((*value, *p, *peak), (400.0, 100.0, 100.0));
            assert_eq!(
                sentence,
                "“web” network I/O below 1000 B/s for 2 samples (now 400 B/s)"
            );
            assert_eq!(back, "“web” network I/O back over 1000 B/s (now 2 KiB/s)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_values_neither_count_nor_reset() {
    let rules = [cpu_rule(1, 90.0, 3)];
    let mut e = AlertEvaluator::new();
    // Two high, a gap, one high: three in a row once the gap is skipped.
    let changes = feed(&mut e, &rules, &[HIGH, HIGH, None, None, HIGH], 0);
    assert_eq!(fired(&changes), 1);
    // A gap while open keeps it open; it does not count towards clearing either.
    let changes = feed(&mut e, &rules, &[LOW, LOW, None, None, None], 1000);
    assert!(changes.is_empty());
    assert_eq!(
        cleared(&feed(&mut e, &rules, &[LOW], 2000)),
        [ClearReason::Recovered]
    );
    // Memory without a total from the guest is a missing value, not 0 %.
    let mut mem = cpu_rule(2, 80.0, 1);
    mem.metric = AlertMetric::Memory;
    let no_total = Rates {
        mem_used: Some(900),
        ..Rates::default()
    };
    let mut e = AlertEvaluator::new();
    assert!(e
        .evaluate(&[mem.clone()], &snap(0, vec![vm(WEB, "web", no_total)]))
        .is_empty());
    let full = Rates {
        mem_used: Some(900),
        mem_total: Some(1000),
        ..Rates::default()
    };
    let changes = e.evaluate(&[mem], &snap(30, vec![vm(WEB, "web", full)]));
    assert!(
        matches!(changes.as_slice(), [AlertChange::Fired { value, .. }] if (*value - 90.0).abs() < 1e-9),
        "{changes:?}"
    );
}

#[test]
fn a_vm_that_stops_closes_its_alerts_and_starts_over() {
    let rules = [cpu_rule(1, 90.0, 2)];
    let mut e = AlertEvaluator::new();
    assert_eq!(fired(&feed(&mut e, &rules, &[HIGH, HIGH], 0)), 1);
    let changes = e.evaluate(&rules, &snap(100, vec![]));
    match changes.as_slice() {
        [AlertChange::Cleared {
            reason: ClearReason::VmStopped,
            value: None,
            sentence,
            ..
        }] => assert_eq!(
            sentence,
            "“web” stopped: the alert “CPU above 90 %” is closed"
        ),
        other => panic!("{other:?}"),
    }
    // Back again: counting starts from zero.
    assert!(feed(&mut e, &rules, &[HIGH], 200).is_empty());
    assert_eq!(fired(&feed(&mut e, &rules, &[HIGH], 230)), 1);
}

#[test]
fn a_paused_vm_holds_its_state() {
    let rules = [cpu_rule(1, 90.0, 2)];
    let mut e = AlertEvaluator::new();
    assert_eq!(fired(&feed(&mut e, &rules, &[HIGH, HIGH], 0)), 1);
    let mut paused = vm(WEB, "web", cpu(Some(0.0)));
    paused.state = VmState::Paused;
    for i in 0..5 {
        assert!(e
            .evaluate(&rules, &snap(100 + i, vec![paused.clone()]))
            .is_empty());
    }
    assert!(e.is_open(1, WEB));
}

#[test]
fn each_vm_counts_on_its_own_and_vm_rules_watch_one() {
    let all = cpu_rule(1, 90.0, 2);
    let mut one = cpu_rule(2, 50.0, 1);
    one.scope = AlertScope::Vm {
        uuid: DB.into(),
        name: "db".into(),
    };
    let rules = [all, one];
    let mut e = AlertEvaluator::new();
    let s = |at, web, db| snap(at, vec![vm(WEB, "web", cpu(web)), vm(DB, "db", cpu(db))]);
    // web high twice, db high once (then low): only web fires for rule 1; db fires rule 2.
    let first = e.evaluate(&rules, &s(0, HIGH, Some(60.0)));
    let second = e.evaluate(&rules, &s(30, HIGH, LOW));
    let ids = |c: &[AlertChange]| -> Vec<(i64, String)> {
        c.iter()
            .filter_map(|c| match c {
                AlertChange::Fired { rule_id, uuid, .. } => Some((*rule_id, uuid.clone())),
                _ => None,
            })
            .collect()
    };
    assert_eq!(ids(&first), [(2, DB.to_owned())]);
    assert_eq!(ids(&second), [(1, WEB.to_owned())]);
    assert!(!e.is_open(2, WEB));
}

#[test]
fn disabled_deleted_and_changed_rules_close_their_alerts() {
    let mut e = AlertEvaluator::new();
    let rules = [
        cpu_rule(1, 90.0, 1),
        cpu_rule(2, 80.0, 1),
        cpu_rule(3, 70.0, 1),
    ];
    assert_eq!(fired(&feed(&mut e, &rules, &[HIGH], 0)), 3);

    let mut off = rules[0].clone();
    off.enabled = false;
    let mut changed = rules[1].clone();
    changed.threshold = 85.0;
    // Rule 3 is gone from the list (deleted).
    let changes = feed(&mut e, &[off.clone(), changed.clone()], &[HIGH], 30);
    let mut reasons = cleared(&changes);
    reasons.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        reasons,
        [
            ClearReason::RuleChanged,
            ClearReason::RuleDeleted,
            ClearReason::RuleDisabled
        ]
    );
    // The changed rule counts afresh under its new threshold and fires again.
    assert_eq!(fired(&changes), 1);
    assert!(e.is_open(2, WEB) && !e.is_open(1, WEB) && !e.is_open(3, WEB));
    let sentences: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            AlertChange::Cleared { sentence, .. } => Some(sentence.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        sentences
            .contains(&"The rule “CPU above 90 %” was turned off: its alert on “web” is closed"),
        "{sentences:?}"
    );

    // Narrowing a rule to another VM closes the alert on this one.
    let mut narrowed = changed;
    narrowed.scope = AlertScope::Vm {
        uuid: DB.into(),
        name: "db".into(),
    };
    let changes = feed(&mut e, &[off, narrowed], &[HIGH], 60);
    assert_eq!(cleared(&changes), [ClearReason::RuleChanged]);
    assert_eq!(e.open_count(), 0);
}

// ---- The store ----

fn store() -> (tempfile::TempDir, AlertStore) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("kvm-manager.db")).unwrap();
    (dir, AlertStore::new(Arc::new(db)))
}

#[test]
fn rules_are_created_listed_updated_and_deleted() {
    let (dir, store) = store();
    let mut r = cpu_rule(0, 90.0, 3);
    r.name = Some("  Busy web  ".into());
    r.scope = AlertScope::Vm {
        uuid: WEB.to_uppercase(),
        name: "web".into(),
    };
    let stored = store.create(&r).unwrap();
    assert!(stored.id > 0);
    assert_eq!(stored.name.as_deref(), Some("Busy web"));
    assert_eq!(
        stored.scope,
        AlertScope::Vm {
            uuid: WEB.into(),
            name: "web".into()
        }
    );
    let all = store.create(&cpu_rule(0, 50.0, 1)).unwrap();
    assert_eq!(all.name, None);
    assert_eq!(all.title(), "CPU above 50 %");

    let mut changed = stored.clone();
    changed.metric = AlertMetric::DiskIo;
    changed.threshold = 50.0 * 1024.0 * 1024.0;
    changed.severity = Severity::Critical;
    changed.description = Some("".into());
    let updated = store.update(&changed).unwrap();
    assert_eq!(updated.description, None);
    assert_eq!(updated.title(), "Busy web");
    assert!(!store.set_enabled(all.id, false).unwrap().enabled);

    // Survives reopening the file.
    drop(store);
    let db = Database::open(&dir.path().join("kvm-manager.db")).unwrap();
    let store = AlertStore::new(Arc::new(db));
    assert_eq!(
        store.rules().unwrap(),
        vec![
            updated.clone(),
            AlertRule {
                enabled: false,
                ..all.clone()
            }
        ]
    );
    assert_eq!(store.rules_for_vm(WEB).unwrap().len(), 2);
    assert_eq!(
        store.rules_for_vm(DB).unwrap(),
        vec![AlertRule {
            enabled: false,
            ..all.clone()
        }]
    );

    store.delete(updated.id).unwrap();
    assert!(matches!(
        store.delete(updated.id),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.update(&updated),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_enabled(updated.id, true),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.rules().unwrap().len(), 1);
}

#[test]
fn bad_rules_are_refused_with_a_clear_message() {
    let (_dir, store) = store();
    let base = cpu_rule(0, 90.0, 3);
    let cases: Vec<(AlertRule, &str)> = vec![
        (
            AlertRule {
                threshold: f64::NAN,
                ..base.clone()
            },
            "must be a number",
        ),
        (
            AlertRule {
                threshold: f64::INFINITY,
                ..base.clone()
            },
            "must be a number",
        ),
        (
            AlertRule {
                threshold: 150.0,
                ..base.clone()
            },
            "between 0 and 100",
        ),
        (
            AlertRule {
                threshold: -1.0,
                ..base.clone()
            },
            "between 0 and 100",
        ),
        (
            AlertRule {
                metric: AlertMetric::Memory,
                threshold: 100.5,
                ..base.clone()
            },
            "between 0 and 100",
        ),
        (
            AlertRule {
                metric: AlertMetric::DiskIo,
                threshold: -5.0,
                ..base.clone()
            },
            "0 bytes per second or more",
        ),
        (
            AlertRule {
                threshold: 100.0,
                ..base.clone()
            },
            "“CPU above 100 %” can never happen",
        ),
        (
            AlertRule {
                comparison: Comparison::Below,
                threshold: 0.0,
                ..base.clone()
            },
            "can never happen",
        ),
        (
            AlertRule {
                consecutive: 0,
                ..base.clone()
            },
            "between 1 and 100",
        ),
        (
            AlertRule {
                consecutive: 101,
                ..base.clone()
            },
            "between 1 and 100",
        ),
        (
            AlertRule {
                scope: AlertScope::Vm {
                    uuid: "  ".into(),
                    name: "web".into(),
                },
                ..base.clone()
            },
            "needs that VM’s UUID",
        ),
        (
            AlertRule {
                name: Some("x".repeat(65)),
                ..base.clone()
            },
            "at most 64 characters",
        ),
        (
            AlertRule {
                name: Some("a\nb".into()),
                ..base.clone()
            },
            "control characters",
        ),
    ];
    for (rule, expected) in cases {
        let err = store.create(&rule).expect_err(expected);
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        assert!(
            err.to_string().contains(expected),
            "{err} (wanted “{expected}”)"
        );
    }
    assert!(store.rules().unwrap().is_empty(), "nothing half-stored");

    // An update with a bad value leaves the stored rule as it was.
    let stored = store.create(&base).unwrap();
    let bad = AlertRule {
        threshold: 101.0,
        ..stored.clone()
    };
    assert!(matches!(store.update(&bad), Err(StoreError::Invalid(_))));
    assert_eq!(store.rule(stored.id).unwrap(), stored);
    // Edge values are fine.
    store
        .create(&AlertRule {
            threshold: 0.0,
            consecutive: 100,
            ..base.clone()
        })
        .unwrap();
    store
        .create(&AlertRule {
            metric: AlertMetric::NetIo,
            threshold: 0.0,
            ..base
        })
        .unwrap();
}

/// Evaluate and record, as the app does.
fn step(store: &AlertStore, e: &mut AlertEvaluator, at: i64, v: Option<f64>) -> Vec<AlertChange> {
    let rules = store.rules().unwrap();
    let changes = e.evaluate(&rules, &snap(at, vec![vm(WEB, "web", cpu(v))]));
    store.apply(&changes).unwrap();
    changes
}

#[test]
fn events_record_firing_peak_and_clearing() {
    let (_dir, store) = store();
    let rule = store.create(&cpu_rule(0, 90.0, 2)).unwrap();
    let mut e = AlertEvaluator::new();
    step(&store, &mut e, 1000, Some(95.0));
    step(&store, &mut e, 1030, Some(93.0));
    let active = store.active().unwrap();
    assert_eq!(active.len(), 1);
    let ev = &active[0];
    assert_eq!(ev.rule_id, Some(rule.id));
    assert_eq!((ev.fired_at, ev.value, ev.peak), (1030, 93.0, 95.0));
    assert_eq!((ev.uuid.as_str(), ev.vm_name.as_str()), (WEB, "web"));
    assert_eq!(ev.rule_title, "CPU above 90 %");
    assert_eq!(ev.severity, Severity::Warning);
    step(&store, &mut e, 1060, Some(99.0));
    assert_eq!(store.active().unwrap()[0].peak, 99.0);
    // The clock jumps back an hour: the alert still cannot clear before it fired.
    step(&store, &mut e, 1000 - 3600, LOW);
    step(&store, &mut e, 1000 - 3570, LOW);
    assert!(store.active().unwrap().is_empty());
    let h = store.history(10).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].cleared_at, h[0].peak), (Some(1030), 99.0));
    assert!(!h[0].is_open());
}

#[test]
fn a_restart_does_not_fire_open_alerts_again() {
    let (dir, store) = store();
    store.create(&cpu_rule(0, 90.0, 2)).unwrap();
    let mut e = AlertEvaluator::new();
    step(&store, &mut e, 0, HIGH);
    assert_eq!(fired(&step(&store, &mut e, 30, HIGH)), 1);
    drop((e, store));

    let db = Database::open(&dir.path().join("kvm-manager.db")).unwrap();
    let store = AlertStore::new(Arc::new(db));
    let mut e = AlertEvaluator::restore_from(&store).unwrap();
    assert_eq!(e.open_count(), 1);
    for i in 0..5 {
        assert_eq!(fired(&step(&store, &mut e, 100 + 30 * i, HIGH)), 0);
    }
    assert_eq!(store.active().unwrap().len(), 1);
    step(&store, &mut e, 400, LOW);
    let changes = step(&store, &mut e, 430, LOW);
    assert_eq!(cleared(&changes), [ClearReason::Recovered]);
    assert!(store.active().unwrap().is_empty());
    assert_eq!(store.history(10).unwrap().len(), 1);

    // Without restoring, the same situation fires once more, and the store still keeps a
    // single open event per rule and VM.
    step(&store, &mut e, 500, HIGH);
    step(&store, &mut e, 530, HIGH);
    let mut fresh = AlertEvaluator::new();
    step(&store, &mut fresh, 560, HIGH);
    assert_eq!(fired(&step(&store, &mut fresh, 590, HIGH)), 1);
    assert_eq!(store.active().unwrap().len(), 1);
}

#[test]
fn deleting_a_rule_keeps_its_history_readable() {
    let (_dir, store) = store();
    let mut r = cpu_rule(0, 90.0, 1);
    r.name = Some("Web busy".into());
    let rule = store.create(&r).unwrap();
    let mut e = AlertEvaluator::new();
    step(&store, &mut e, 10, HIGH);
    step(&store, &mut e, 40, LOW);
    step(&store, &mut e, 70, HIGH);
    assert_eq!(store.active().unwrap().len(), 1);

    store.delete(rule.id).unwrap();
    assert!(
        store.active().unwrap().is_empty(),
        "deleting closes open alerts"
    );
    let h = store.history(10).unwrap();
    assert_eq!(h.len(), 2);
    for ev in &h {
        assert_eq!(ev.rule_id, None);
        assert_eq!(ev.rule_title, "Web busy");
        assert_eq!(
            (ev.metric, ev.comparison, ev.threshold),
            (AlertMetric::Cpu, Comparison::Above, 90.0)
        );
        assert!(ev.cleared_at.is_some());
    }
    assert_eq!(h[0].fired_at, 70, "newest first");
    // The evaluator learns of the deletion on its next run; recording that is harmless.
    let changes = step(&store, &mut e, 100, HIGH);
    assert_eq!(cleared(&changes), [ClearReason::RuleDeleted]);
    assert_eq!(store.history(10).unwrap(), h);
    // A firing for a rule deleted meanwhile is not recorded (and is no error).
    let rule2 = store.create(&cpu_rule(0, 90.0, 1)).unwrap();
    let changes = e.evaluate(
        std::slice::from_ref(&rule2),
        &snap(200, vec![vm(WEB, "web", cpu(HIGH))]),
    );
    store.delete(rule2.id).unwrap();
    store.apply(&changes).unwrap();
    assert_eq!(store.history(10).unwrap().len(), 2);
    assert_eq!(store.history(1).unwrap().len(), 1);
    assert_eq!(store.clear_history().unwrap(), 2);
}

#[test]
fn changing_or_disabling_a_rule_closes_its_stored_alerts() {
    let (_dir, store) = store();
    let rule = store.create(&cpu_rule(0, 90.0, 1)).unwrap();
    let mut e = AlertEvaluator::new();
    step(&store, &mut e, 10, HIGH);
    // A new severity or name changes nothing about what is open.
    let renamed = store
        .update(&AlertRule {
            name: Some("Hot".into()),
            severity: Severity::Info,
            ..rule.clone()
        })
        .unwrap();
    assert_eq!(store.active().unwrap().len(), 1);
    // Another threshold does.
    let changed = store
        .update(&AlertRule {
            threshold: 95.0,
            ..renamed
        })
        .unwrap();
    assert!(store.active().unwrap().is_empty());
    // The evaluator closes its own view and counts afresh (one sample is enough here).
    let changes = step(&store, &mut e, 40, HIGH);
    assert_eq!(cleared(&changes), [ClearReason::RuleChanged]);
    assert_eq!(fired(&changes), 1);
    assert_eq!(store.active().unwrap()[0].rule_title, "Hot");
    store.set_enabled(changed.id, false).unwrap();
    assert!(store.active().unwrap().is_empty());
    assert_eq!(store.history(10).unwrap().len(), 2);
}
