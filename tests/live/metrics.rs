//! The metrics sampler against the rig's guest: a busy loop in the guest shows as high CPU
//! in the live ticks, with memory, disk and network figures present, and CPU falls again
//! when the loop stops.

use std::time::{Duration, Instant};

use kvm_manager::backend::metrics::{MetricsCommand, MetricsTick, VmRates};
use kvm_manager::backend::{Command, Event};

use crate::support::*;

/// The guest's busy loop; stopped on drop too, so a failed check leaves the guest idle for
/// the next tests.
pub struct BusyLoop {
    pid: String,
    sh: Option<Shell>,
}

impl BusyLoop {
    /// Start `while :; do :; done` in the guest's shell.
    pub fn start(mut sh: Shell) -> BusyLoop {
        // The loop's stdin and output are detached, so the probe's `$(...)` returns at once.
        let pid = sh.run("sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $!");
        assert!(pid.parse::<u32>().is_ok(), "busy loop pid {pid:?}");
        BusyLoop { pid, sh: Some(sh) }
    }

    pub fn stop(&mut self) {
        if let Some(mut sh) = self.sh.take() {
            sh.run(&format!("kill {}; echo stopped", self.pid));
        }
    }
}

impl Drop for BusyLoop {
    fn drop(&mut self) {
        if let Some(mut sh) = self.sh.take() {
            let _ = sh.try_run(&format!("kill {}; echo stopped", self.pid), EVENT);
        }
    }
}

/// The guest's rates in the next live tick, with that tick.
fn next_guest_tick(live: &Live) -> (VmRates, MetricsTick) {
    let tick = match live.wait_for("Metrics", EVENT, |e| matches!(e, Event::Metrics(_))) {
        Event::Metrics(t) => t,
        _ => unreachable!(),
    };
    let vm = tick
        .live
        .vms
        .iter()
        .find(|v| v.uuid == live.uuid)
        .unwrap_or_else(|| panic!("{DOMAIN} in the tick: {tick:#?}"))
        .clone();
    (vm, tick)
}

/// Ticks until `pred` holds for the guest's rates; panics after `limit`.
fn until(live: &Live, what: &str, limit: Duration, pred: impl Fn(&VmRates) -> bool) -> MetricsTick {
    let deadline = Instant::now() + limit;
    loop {
        let (vm, tick) = next_guest_tick(live);
        println!(
            "tick over {:.2} s: {DOMAIN} cpu {:?} %, host cpu {:?} %",
            tick.live.interval_secs, vm.rates.cpu_pct, tick.live.host.cpu_pct
        );
        if pred(&vm) {
            return tick;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within {limit:?}: {vm:#?}"
        );
    }
}

pub fn busy_guest_shows_in_the_cpu_rate() {
    ensure_running();
    let live = Live::connect();
    let sh = Shell::open(&live.details());
    live.handle
        .send(Command::Metrics(MetricsCommand::SetInterval(10)));
    live.handle
        .send(Command::Metrics(MetricsCommand::SetLive(true)));

    let mut busy_loop = BusyLoop::start(sh);
    let busy = until(&live, "the guest's CPU above 50 %", EVENT, |v| {
        v.rates.cpu_pct.is_some_and(|c| c > 50.0)
    });
    let vm = busy.live.vms.iter().find(|v| v.uuid == live.uuid).unwrap();
    let r = &vm.rates;
    println!("busy guest: {r:#?}\nhost: {:#?}", busy.live.host);
    assert_eq!(vm.vcpus, 1);
    assert!((0.5..=3.0).contains(&busy.live.interval_secs), "{busy:#?}");
    // Memory from the guest's balloon driver: what its kernel sees (a little under the
    // 256 MiB given, less what the kernel keeps) and what it uses.
    let total = r.mem_total.expect("memory total");
    let used = r.mem_used.expect("memory used");
    assert!(total > 128 << 20 && total <= MEMORY_KIB * 1024, "{r:?}");
    assert!(used > 1 << 20 && used < total, "{r:?}");
    for (what, v) in [
        ("disk read", r.disk_read),
        ("disk write", r.disk_write),
        ("net rx", r.net_rx),
        ("net tx", r.net_tx),
    ] {
        assert!(v.is_some_and(|x| x >= 0.0), "{what}: {r:?}");
    }
    // The host's own figures come from the node calls on a real daemon.
    let host = &busy.live.host;
    assert!(host.cpu_pct.is_some_and(|c| c > 0.0), "{host:?}");
    assert!(host.mem_used.unwrap() < host.mem_total.unwrap(), "{host:?}");

    // A collection (10 s) arrives on a live tick, with the guest's average.
    let collected = loop {
        let (_, t) = next_guest_tick(&live);
        if let Some(c) = t.collected {
            break c;
        }
    };
    let avg = collected
        .vms
        .iter()
        .find(|v| v.uuid == live.uuid)
        .and_then(|v| v.rates.cpu_pct);
    println!(
        "collection over {:.1} s: {DOMAIN} cpu {avg:?} %",
        collected.interval_secs
    );
    assert!(avg.is_some(), "{collected:#?}");

    busy_loop.stop();
    until(&live, "the guest's CPU below 30 %", EVENT, |v| {
        v.rates.cpu_pct.is_some_and(|c| c < 30.0)
    });
    live.handle
        .send(Command::Metrics(MetricsCommand::SetLive(false)));
}
