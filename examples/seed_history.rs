//! Fill a history database with synthetic samples for one VM (and the host), through the
//! real store, for UI tests and screenshots of the charts, Alerts and Insights pages.
//!
//!   seed_history DB_PATH UUID NAME [DAYS]
//!
//! The VM idles at about 3 % CPU with one spike to 97 % two hours ago, uses about 1 GiB of
//! 4 GiB, reads a little from disk and sends a little on the network; samples are two
//! minutes apart, ending now. A critical rule "CPU above 90 %" on the VM is created and
//! evaluated over the same samples, so the spike leaves one alert in the history.

use std::path::Path;
use std::sync::Arc;

use kvm_manager::backend::metrics::{Rates, Snapshot, VmRates};
use kvm_manager::backend::VmState;
use kvm_manager::services::alerts::{
    AlertEvaluator, AlertMetric, AlertRule, AlertScope, AlertStore, Comparison, Severity,
};
use kvm_manager::services::db::Database;
use kvm_manager::services::metrics::store::MetricsStore;

const STEP: i64 = 120;
const GIB: u64 = 1024 * 1024 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: seed_history DB_PATH UUID NAME [DAYS]");
        std::process::exit(2);
    }
    let days: i64 = args.get(4).and_then(|d| d.parse().ok()).unwrap_or(3);
    let db = Database::open(Path::new(&args[1])).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    let db = Arc::new(db);
    let store = MetricsStore::new(db.clone());
    let alerts = AlertStore::new(db);
    let rule = AlertRule::new(
        AlertScope::Vm {
            uuid: args[2].clone(),
            name: args[3].clone(),
        },
        AlertMetric::Cpu,
        Comparison::Above,
        90.0,
        1,
        Severity::Critical,
    );
    let rules = vec![alerts.create(&rule).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    })];
    let mut evaluator = AlertEvaluator::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let start = now - days * 86_400;
    let mut t = start;
    let mut i = 0u64;
    while t <= now {
        // A little wobble so lines are not flat; one spike two hours ago.
        let wobble = (i % 7) as f64 * 0.3;
        let spike = (now - 2 * 3600 - t).abs() < STEP;
        let cpu = if spike { 97.0 } else { 2.5 + wobble };
        let vm = VmRates {
            uuid: args[2].clone(),
            name: args[3].clone(),
            state: VmState::Running,
            vcpus: 4,
            rates: Rates {
                cpu_pct: Some(cpu),
                mem_used: Some(GIB / 2 + (i % 5) * 16 * 1024 * 1024),
                mem_total: Some(2 * GIB),
                disk_read: Some(20_000.0 + wobble * 1000.0),
                disk_write: Some(50_000.0),
                net_rx: Some(3_000.0),
                net_tx: Some(1_500.0 + wobble * 100.0),
            },
        };
        let host = Rates {
            cpu_pct: Some(cpu / 4.0 + 5.0),
            mem_used: Some(6 * GIB),
            mem_total: Some(16 * GIB),
            ..vm.rates.clone()
        };
        let snap = Snapshot {
            at: t,
            interval_secs: STEP as f64,
            host,
            vms: vec![vm],
        };
        let changes = evaluator.evaluate(&rules, &snap);
        if let Err(e) = store.record(&snap).and_then(|()| alerts.apply(&changes)) {
            eprintln!("{e}");
            std::process::exit(1);
        }
        t += STEP;
        i += 1;
    }
    println!("{i} samples from {start} to {now}");
}
