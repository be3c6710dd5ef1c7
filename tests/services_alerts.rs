//! Alerts: the evaluator on synthetic snapshots (consecutive checks both ways, below-rules,
//! missing values, VMs that stop, rules that change). The store's tests are in
//! services_alerts_store.rs.

use kvm_manager::backend::metrics::Rates;
use kvm_manager::backend::VmState;
use kvm_manager::services::alerts::{
    AlertChange, AlertEvaluator, AlertMetric, AlertScope, ClearReason, Comparison, Severity,
};

mod alerts_support;
use alerts_support::*;

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
