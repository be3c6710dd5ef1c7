//! Helpers the alert tests share: machines, snapshots, rules and a store in a temporary
//! file.
#![allow(dead_code)]

use std::sync::Arc;

use kvm_manager::backend::metrics::{Rates, Snapshot, VmRates};
use kvm_manager::backend::VmState;
use kvm_manager::services::alerts::{
    AlertChange, AlertEvaluator, AlertMetric, AlertRule, AlertScope, AlertStore, ClearReason,
    Comparison, Severity,
};
use kvm_manager::services::Database;

pub const WEB: &str = "6f1c2a8e-0000-4000-8000-000000000001";
pub const DB: &str = "6f1c2a8e-0000-4000-8000-000000000002";

pub fn vm(uuid: &str, name: &str, rates: Rates) -> VmRates {
    VmRates {
        uuid: uuid.into(),
        name: name.into(),
        state: VmState::Running,
        vcpus: 2,
        rates,
    }
}

pub fn cpu(v: Option<f64>) -> Rates {
    Rates {
        cpu_pct: v,
        ..Rates::default()
    }
}

pub fn snap(at: i64, vms: Vec<VmRates>) -> Snapshot {
    Snapshot {
        at,
        interval_secs: 30.0,
        host: Rates::default(),
        vms,
    }
}

/// One snapshot per value, the web VM alone; returns every change, in order.
pub fn feed(
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

pub fn cpu_rule(id: i64, threshold: f64, consecutive: u32) -> AlertRule {
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

pub fn fired(changes: &[AlertChange]) -> usize {
    changes
        .iter()
        .filter(|c| matches!(c, AlertChange::Fired { .. }))
        .count()
}

pub fn cleared(changes: &[AlertChange]) -> Vec<ClearReason> {
    changes
        .iter()
        .filter_map(|c| match c {
            AlertChange::Cleared { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

pub const HIGH: Option<f64> = Some(97.0);
pub const LOW: Option<f64> = Some(40.0);

pub fn store() -> (tempfile::TempDir, AlertStore) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("kvm-manager.db")).unwrap();
    (dir, AlertStore::new(Arc::new(db)))
}

pub fn step(
    store: &AlertStore,
    e: &mut AlertEvaluator,
    at: i64,
    v: Option<f64>,
) -> Vec<AlertChange> {
    let rules = store.rules().unwrap();
    let changes = e.evaluate(&rules, &snap(at, vec![vm(WEB, "web", cpu(v))]));
    store.apply(&changes).unwrap();
    changes
}
