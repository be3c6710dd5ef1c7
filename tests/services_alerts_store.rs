//! Alerts in a real SQLite file: CRUD, validation, events recorded, history kept after
//! deleting a rule, restart without double firing.

use std::sync::Arc;

use kvm_manager::services::alerts::{
    AlertEvaluator, AlertMetric, AlertRule, AlertScope, AlertStore, ClearReason, Comparison,
    Severity,
};
use kvm_manager::services::Database;
use kvm_manager::services::StoreError;

mod alerts_support;
use alerts_support::*;

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
