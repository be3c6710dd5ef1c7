//! Rate computation on synthetic samples.

use std::time::{Duration, Instant};

use super::*;
use crate::backend::metrics::node::{CpuTimes, NodeMemory};
use crate::backend::stats::{BalloonStats, BlockStats, InterfaceStats};

const SEC: Duration = Duration::from_secs(1);

fn disk(name: &str, rd: u64, wr: u64) -> BlockStats {
    BlockStats {
        name: name.into(),
        rd_bytes: rd,
        wr_bytes: wr,
        ..BlockStats::default()
    }
}

fn nic(name: &str, rx: u64, tx: u64) -> InterfaceStats {
    InterfaceStats {
        name: name.into(),
        rx_bytes: rx,
        tx_bytes: tx,
        ..InterfaceStats::default()
    }
}

/// A running 2-vCPU domain with one disk and one NIC whose counters are `k` times a base.
fn dom(id: u32, cpu_ns: u64, k: u64) -> DomainStats {
    DomainStats {
        uuid: "u1".into(),
        name: "vm1".into(),
        id: Some(id),
        state: Some(VmState::Running),
        cpu_time_ns: Some(cpu_ns),
        vcpus: Some(2),
        balloon: Some(BalloonStats {
            current_kib: Some(1024),
            rss_kib: Some(900),
            ..BalloonStats::default()
        }),
        blocks: vec![disk("vda", 1000 * k, 500 * k)],
        interfaces: vec![nic("vnet0", 300 * k, 100 * k)],
    }
}

#[test]
fn normal_interval() {
    // 1 s of CPU time over 2 s on 2 vCPUs: 25 %.
    let r = vm_rates(
        Some(&dom(1, 5_000_000_000, 1)),
        &dom(1, 6_000_000_000, 3),
        2 * SEC,
    );
    assert_eq!(r.cpu_pct, Some(25.0));
    assert_eq!((r.disk_read, r.disk_write), (Some(1000.0), Some(500.0)));
    assert_eq!((r.net_rx, r.net_tx), (Some(300.0), Some(100.0)));
    // No guest figures: used is the QEMU process's size, total the allocation.
    assert_eq!(
        (r.mem_used, r.mem_total),
        (Some(900 * 1024), Some(1024 * 1024))
    );
}

#[test]
fn guest_memory_figures_win_over_rss() {
    let mut d = dom(1, 0, 1);
    let b = d.balloon.as_mut().unwrap();
    b.available_kib = Some(1000);
    b.usable_kib = Some(600);
    let r = vm_rates(None, &d, SEC);
    assert_eq!(
        (r.mem_used, r.mem_total),
        (Some(400 * 1024), Some(1000 * 1024))
    );
    // Nonsense from the guest (usable above available) falls back to rss.
    let b = d.balloon.as_mut().unwrap();
    b.usable_kib = Some(2000);
    assert_eq!(vm_rates(None, &d, SEC).mem_used, Some(900 * 1024));
}

#[test]
fn cpu_is_capped_at_100() {
    // 2.2 s of CPU time in 1 s on 2 vCPUs (emulator threads on top).
    let r = vm_rates(Some(&dom(1, 0, 1)), &dom(1, 2_200_000_000, 1), SEC);
    assert_eq!(r.cpu_pct, Some(100.0));
}

#[test]
fn counter_reset_after_restart_gives_none() {
    // Same domain ID but counters went down: no rate, no wrap-around.
    let r = vm_rates(
        Some(&dom(1, 9_000_000_000, 5)),
        &dom(1, 1_000_000_000, 1),
        SEC,
    );
    assert_eq!(r.cpu_pct, None);
    assert_eq!(
        (r.disk_read, r.disk_write, r.net_rx, r.net_tx),
        (None, None, None, None)
    );
    assert_eq!(
        r.mem_used,
        Some(900 * 1024),
        "memory is a reading, still given"
    );

    // A new QEMU process (new ID) whose counters already passed the old ones.
    let r = vm_rates(Some(&dom(1, 1_000, 1)), &dom(2, 9_000_000_000, 9), SEC);
    assert_eq!((r.cpu_pct, r.disk_read, r.net_tx), (None, None, None));

    // Only the disk's counter went back (a disk replaced under the same name).
    let mut after = dom(1, 2_000_000_000, 2);
    after.blocks[0].rd_bytes = 10;
    let r = vm_rates(Some(&dom(1, 1_000_000_000, 1)), &after, SEC);
    assert_eq!(r.disk_read, None);
    assert_eq!(r.disk_write, Some(500.0));
    assert_eq!(r.cpu_pct, Some(50.0));
}

#[test]
fn missing_values_stay_none() {
    let bare = |cpu| DomainStats {
        uuid: "u1".into(),
        state: Some(VmState::Running),
        cpu_time_ns: cpu,
        ..DomainStats::default()
    };
    let r = vm_rates(Some(&bare(None)), &bare(None), SEC);
    assert_eq!(r, Rates::default());
    // CPU time without a vCPU count cannot be a percentage.
    let r = vm_rates(Some(&bare(Some(0))), &bare(Some(1_000)), SEC);
    assert_eq!(r.cpu_pct, None);
}

#[test]
fn vm_starting_mid_interval_has_no_rates_yet() {
    let r = vm_rates(None, &dom(1, 5_000_000_000, 2), SEC);
    assert_eq!((r.cpu_pct, r.disk_read, r.net_rx), (None, None, None));
    assert!(r.mem_used.is_some());
}

#[test]
fn hot_plugged_devices_are_matched_by_name() {
    let before = dom(1, 0, 1);
    let mut after = dom(1, 0, 2);
    // vdb plugged in since (its bytes so far are not a rate), vnet1 too.
    after.blocks.push(disk("vdb", 1 << 30, 1 << 30));
    after.interfaces.insert(0, nic("vnet1", 1 << 30, 1 << 30));
    let r = vm_rates(Some(&before), &after, SEC);
    assert_eq!((r.disk_read, r.disk_write), (Some(1000.0), Some(500.0)));
    assert_eq!((r.net_rx, r.net_tx), (Some(300.0), Some(100.0)));
    // Then vda goes away: vdb alone is counted.
    let mut later = after.clone();
    later.blocks.remove(0);
    later.blocks[0].rd_bytes += 4096;
    let r = vm_rates(Some(&after), &later, 2 * SEC);
    assert_eq!((r.disk_read, r.disk_write), (Some(2048.0), Some(0.0)));
    // No device in common: unknown, not zero.
    let mut none = later.clone();
    none.blocks[0].name = "sda".into();
    assert_eq!(vm_rates(Some(&later), &none, SEC).disk_read, None);
}

#[test]
fn zero_elapsed_time_gives_no_rates() {
    let r = vm_rates(Some(&dom(1, 0, 1)), &dom(1, 1_000, 2), Duration::ZERO);
    assert_eq!((r.cpu_pct, r.disk_read, r.net_tx), (None, None, None));
    assert!(r.mem_total.is_some());
}

fn sample(t: Instant, at: i64, domains: Vec<DomainStats>, node: NodeSample) -> Sample {
    Sample {
        at,
        domains: StatsSample {
            taken_at: t,
            domains,
        },
        node,
    }
}

fn node(busy: u64, idle: u64) -> NodeSample {
    NodeSample {
        cpu: Some(CpuTimes {
            user: busy,
            kernel: 0,
            idle,
            iowait: 0,
        }),
        memory: Some(NodeMemory {
            total_kib: 4096,
            free_kib: 1024,
            buffers_kib: 0,
            cached_kib: 1024,
        }),
    }
}

#[test]
fn snapshot_of_host_and_vms() {
    let t0 = Instant::now();
    let mut other = dom(7, 0, 1);
    other.uuid = "u2".into();
    other.name = "vm2".into();
    let a = sample(t0, 100, vec![dom(1, 0, 1)], node(100, 300));
    let b = sample(
        t0 + 2 * SEC,
        // The wall clock went backwards: `at` follows it, the rates do not.
        50,
        vec![dom(1, 2_000_000_000, 3), other],
        node(200, 500),
    );
    let first = snapshot(None, &a);
    assert_eq!((first.at, first.interval_secs), (100, 0.0));
    assert_eq!(first.vms.len(), 1);
    assert_eq!(first.vms[0].rates.cpu_pct, None);
    assert_eq!((first.host.cpu_pct, first.host.disk_read), (None, None));
    assert_eq!(first.host.mem_used, Some(2048 * 1024));

    let s = snapshot(Some(&a), &b);
    assert_eq!((s.at, s.interval_secs), (50, 2.0));
    let v1 = &s.vms[0];
    assert_eq!(
        (v1.uuid.as_str(), v1.state, v1.vcpus),
        ("u1", VmState::Running, 2)
    );
    assert_eq!(v1.rates.cpu_pct, Some(50.0));
    assert_eq!(v1.rates.disk_read, Some(1000.0));
    // vm2 appeared in between: listed, no rates; the host sums what is known.
    assert_eq!(s.vms[1].name, "vm2");
    assert_eq!(s.vms[1].rates.disk_read, None);
    assert_eq!(s.host.disk_read, Some(1000.0));
    assert_eq!(s.host.net_tx, Some(100.0));
    // Host: 100 ns busy of 300 ns.
    let cpu = s.host.cpu_pct.unwrap();
    assert!((cpu - 100.0 / 3.0).abs() < 1e-9, "{cpu}");
    assert_eq!(s.host.mem_total, Some(4096 * 1024));
}

#[test]
fn host_without_node_stats_and_without_vms() {
    let t0 = Instant::now();
    let a = sample(t0, 1, vec![], NodeSample::default());
    let b = sample(t0 + SEC, 2, vec![], NodeSample::default());
    let s = snapshot(Some(&a), &b);
    assert_eq!(
        (s.host.cpu_pct, s.host.mem_used, s.host.mem_total),
        (None, None, None)
    );
    assert_eq!((s.host.disk_read, s.host.net_rx), (Some(0.0), Some(0.0)));
    // A host whose counters did not move (the test driver) has no CPU figure, not NaN.
    let c = sample(t0 + 2 * SEC, 3, vec![], node(5, 5));
    let d = sample(t0 + 3 * SEC, 4, vec![], node(5, 5));
    assert_eq!(snapshot(Some(&c), &d).host.cpu_pct, None);
    // Host counters that went back (a reboot under a kept connection): none either.
    let e = sample(t0 + 4 * SEC, 5, vec![], node(1, 1));
    assert_eq!(snapshot(Some(&d), &e).host.cpu_pct, None);
}
