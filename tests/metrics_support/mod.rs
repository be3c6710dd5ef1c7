//! Shared by the metric history tests: a store in a temporary file and snapshot builders.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kvm_manager::backend::metrics::{Rates, Snapshot, VmRates};
use kvm_manager::backend::VmState;
use kvm_manager::services::metrics::MetricsStore;
use kvm_manager::services::Database;

pub const A: &str = "00000000-0000-0000-0000-00000000000a";
pub const B: &str = "00000000-0000-0000-0000-00000000000b";
pub const C: &str = "00000000-0000-0000-0000-00000000000c";
/// 2024-01-01T00:00:00Z: a whole day, so hour and 5-minute buckets line up with it.
pub const T0: i64 = 1_704_067_200;

pub fn open(dir: &Path) -> (PathBuf, MetricsStore) {
    let path = dir.join("kvm-manager.db");
    let db = Database::open(&path).unwrap();
    (path, MetricsStore::new(Arc::new(db)))
}

pub fn cpu(v: f64) -> Rates {
    Rates {
        cpu_pct: Some(v),
        ..Rates::default()
    }
}

pub fn vm(uuid: &str, name: &str, rates: Rates) -> VmRates {
    VmRates {
        uuid: uuid.into(),
        name: name.into(),
        state: VmState::Running,
        vcpus: 2,
        rates,
    }
}

pub fn snap(at: i64, host: Rates, vms: Vec<VmRates>) -> Snapshot {
    Snapshot {
        at,
        interval_secs: 30.0,
        host,
        vms,
    }
}

/// Record VM A with CPU `f(i)` at `T0 + i * step` for `n` samples.
pub fn record_cpu(store: &MetricsStore, n: i64, step: i64, f: impl Fn(i64) -> f64) {
    for i in 0..n {
        let s = snap(T0 + i * step, cpu(1.0), vec![vm(A, "alpha", cpu(f(i)))]);
        store.record(&s).unwrap();
    }
}
