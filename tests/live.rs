//! Live tests: the app's backend against a real libvirtd and QEMU with the rig's tiny guest
//! (tests/live/rig.py). Run them with tests/live/run.sh (or `make live-test`), which brings
//! the rig up, sets KVMM_LIVE=1 and runs `cargo test --test live -- --test-threads=1`.
//! Without KVMM_LIVE=1 each test says it is skipped and checks nothing.
//!
//! The tests run one at a time in name order (a_, b_, ...): one guest boot serves the next
//! tests, and each test still brings the guest into the state it needs when run alone.
//! Settings edits are in tests/live/edit.rs (module `m_edit`, so they run after `l_`);
//! storage in tests/live/storage.rs (module `n_storage`, after `manage`: it grows the
//! guest's disk, which the clone tests expect at its original size).
//! virtual networks in tests/live/networks.rs (module `n_networks`); the metrics sampler in
//! tests/live/metrics.rs (run as `bb_`, right after the bulk stats, on the running guest);
//! an alert rule over the monitor in tests/live/alerts.rs (`bc_`, on the same guest);
//! the VNC console in tests/live/console.rs (`bd_`, on the same guest; its GTK part runs
//! in a child process, on a private Xvfb when there is no display); the SPICE console view
//! on a transient SPICE guest in tests/live/spice.rs (`r_`, its GTK half in
//! tests/live/spice_child.rs, run as a child process under xvfb-run).
//! Text consoles in tests/live/serial_console.rs (`bd_`..`bf_`, the last one stops the
//! guest).
//! A thumbnail of the guest's screen in tests/live/thumbnails.rs (`bd_`).
//! The guest agent end to end in tests/live/agent.rs (`bg_`: info, exec, 50 MB both ways,
//! a reboot through the agent).

#[path = "live/agent.rs"]
mod agent;
#[path = "live/alerts.rs"]
mod alerts;
mod common;
#[path = "live/console.rs"]
mod console;
#[path = "live/create_vm.rs"]
mod create_vm;
#[path = "live/hotplug.rs"]
mod hotplug;
#[path = "live/edit.rs"]
mod m_edit;
#[path = "live/manage.rs"]
mod manage;
#[path = "live/metrics.rs"]
mod metrics;
#[path = "live/networks.rs"]
mod n_networks;
#[path = "live/storage.rs"]
mod n_storage;
#[path = "live/portfwd.rs"]
mod p_portfwd;
#[path = "live/serial_console.rs"]
mod serial_console;
#[path = "live/spice.rs"]
mod spice;
#[path = "live/spice_child.rs"]
mod spice_child;
#[path = "live/support.rs"]
mod support;
#[path = "live/thumbnails.rs"]
mod thumbnails;

use std::time::{Duration, Instant};

use kvm_manager::backend::{
    snapshot, stats, Command, ErrorKind, Event, LinkState, VmAction, VmState,
};
use support::*;

/// Started by another program (virsh): the worker learns it from libvirt's lifecycle
/// event, not from polling or from its own action.
#[test]
fn a_start_elsewhere_arrives_as_running_event() {
    if !enabled("a_start_elsewhere_arrives_as_running_event") {
        return;
    }
    ensure_off();
    let live = Live::connect();
    let before = live.handle.lifecycle_events_handled();
    let t = Instant::now();
    virsh_ok(&["start", DOMAIN]);
    let s = live.changed_to(VmState::Running, EVENT);
    println!("running event {:?} after virsh start", t.elapsed());
    assert!(live.handle.lifecycle_events_handled() > before);
    assert_eq!(
        (s.name.as_str(), s.vcpus, s.memory_kib),
        (DOMAIN, 1, MEMORY_KIB)
    );
    wait_until("the guest's ready marker", BOOT, || {
        (markers() > 0).then_some(())
    });
    println!("booted to the marker in {:?}", t.elapsed());
}

/// One bulk call brings CPU, balloon, block and interface counters; they move when the
/// guest works.
#[test]
fn b_bulk_stats_of_a_running_guest() {
    if !enabled("b_bulk_stats_of_a_running_guest") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let uuid = live.uuid.clone();
    let sample = |live: &Live| {
        let u = uuid.clone();
        live.on_conn(move |c| {
            // The worker's metrics sampler may hold the domain's job at this very moment;
            // NOWAIT then leaves out the figures that need it (balloon rss, block
            // counters). Its job is short: ask again.
            let mut attempt = 0;
            loop {
                let s = stats::all_domain_stats(c, true).expect("bulk stats");
                let d = s.domains.into_iter().find(|d| d.uuid == u);
                let d = d.expect("the guest in the stats");
                let whole = d.balloon.as_ref().is_some_and(|b| b.rss_kib.is_some());
                attempt += 1;
                if whole || attempt == 20 {
                    break (s.taken_at, d);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let (t1, a) = sample(&live);
    assert_eq!(a.name, DOMAIN);
    assert_eq!(a.state, Some(VmState::Running));
    assert!(a.cpu_time_ns.unwrap() > 0, "{a:#?}");
    let b = a.balloon.as_ref().expect("balloon group");
    assert_eq!(b.current_kib, Some(MEMORY_KIB));
    assert_eq!(b.maximum_kib, Some(MEMORY_KIB));
    assert!(b.rss_kib.unwrap() > 10 * 1024, "{b:?}");
    let vda = a.block("vda").expect("vda in the block group");
    assert_eq!(vda.path.as_deref(), Some(VOLUME_PATH));
    assert!(
        vda.rd_bytes > 0,
        "the guest kernel read the partition table: {vda:?}"
    );
    assert_eq!(a.interfaces.len(), 1);
    let nic = &a.interfaces[0];
    assert!(nic.name.starts_with("vnet"), "{nic:?}");
    // The guest's DHCP exchange: it sent a request and got an answer.
    assert!(
        nic.tx_bytes > 0 && nic.rx_bytes > 0 && nic.tx_pkts > 0,
        "{nic:?}"
    );

    // Make the guest write 64 KiB to its disk and send a ping; the counters follow.
    let mut sh = Shell::open(&live.details());
    sh.run("dd if=/dev/zero of=/dev/vda bs=4096 count=16 conv=fsync 2>/dev/null; echo done");
    let host_ip = std::env::var("KVMM_LIVE_HOST_IP").unwrap_or_else(|_| "10.213.87.1".into());
    sh.run(&format!(
        "ping -c 1 -W 2 {host_ip} >/dev/null 2>&1; echo done"
    ));
    let (t2, c) = sample(&live);
    assert!(t2 > t1);
    assert!(c.cpu_time_ns.unwrap() > a.cpu_time_ns.unwrap());
    let vda2 = c.block("vda").unwrap();
    assert!(
        vda2.wr_bytes >= vda.wr_bytes + 65536,
        "{vda:?} then {vda2:?}"
    );
    assert!(
        c.interfaces[0].tx_pkts > nic.tx_pkts,
        "{nic:?} then {:?}",
        c.interfaces[0]
    );
}

/// The sampler (tests/live/metrics.rs): a busy loop in the guest shows as high CPU in the
/// live ticks, with memory, disk and network figures, and CPU falls when it stops.
#[test]
fn bb_sampler_sees_a_busy_guest() {
    if !enabled("bb_sampler_sees_a_busy_guest") {
        return;
    }
    metrics::busy_guest_shows_in_the_cpu_rate();
}

/// An alert rule (tests/live/alerts.rs): "CPU above 50 %" for the guest fires on its busy
/// loop through the monitor, is recorded as active, and clears once the loop stops.
#[test]
fn bc_cpu_alert_fires_on_a_busy_guest_and_clears() {
    if !enabled("bc_cpu_alert_fires_on_a_busy_guest_and_clears") {
        return;
    }
    alerts::cpu_rule_fires_on_a_busy_guest_and_clears();
}

/// The VNC console (tests/live/console.rs): sockets from virDomainOpenGraphicsFD through
/// the backend, frames that are not blank, and a command typed through the view's key
/// path into the VGA console's shell, its output read back on the serial log.
#[test]
fn bd_vnc_console_shows_and_types() {
    if !enabled("bd_vnc_console_shows_and_types") {
        return;
    }
    console::vnc_view_in_a_child_process();
}

/// The process `bd_vnc_console_shows_and_types` starts for its GTK part; passes silently
/// in a normal run.
#[test]
fn bd_vnc_console_child() {
    if std::env::var_os(console::CHILD_ENV).is_none() {
        return;
    }
    console::vnc_view_shows_the_guest_and_types_into_it();
}

/// A text console session (tests/live/serial_console.rs): a line typed into serial0
/// reaches the guest's shell and its answer comes back; a burst arrives whole; close ends it.
#[test]
fn bd_serial_console_round_trip() {
    if !enabled("bd_serial_console_round_trip") {
        return;
    }
    serial_console::echo_round_trip();
}

/// A second client is refused as busy and can take the console over; a dropped session
/// frees the console.
#[test]
fn be_serial_console_busy_and_take_over() {
    if !enabled("be_serial_console_busy_and_take_over") {
        return;
    }
    serial_console::busy_and_take_over();
}

/// The guest stops: the session ends by itself.
#[test]
fn bf_serial_console_ends_when_the_guest_stops() {
    if !enabled("bf_serial_console_ends_when_the_guest_stops") {
        return;
    }
    serial_console::ends_when_the_guest_stops();
}

/// A thumbnail of the running guest's screen (tests/live/thumbnails.rs), with its cost.
#[test]
fn bd_thumbnail_of_the_running_guest() {
    if !enabled("bd_thumbnail_of_the_running_guest") {
        return;
    }
    thumbnails::screen_of_the_running_guest();
}

/// Paused, the guest does not answer; resumed, it does.
/// The guest agent (tests/live/agent.rs): found through the live XML, its answers match
/// the guest, a program runs, 50 MB go in and out with matching SHA-256, and a reboot
/// through it brings the guest (and the agent) back.
#[test]
fn bg_guest_agent_end_to_end() {
    if !enabled("bg_guest_agent_end_to_end") {
        return;
    }
    agent::end_to_end();
}

#[test]
fn c_pause_and_resume() {
    if !enabled("c_pause_and_resume") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let mut sh = Shell::open(&live.details());
    live.act(VmAction::Pause).unwrap();
    live.changed_to(VmState::Paused, EVENT);
    assert_eq!(domstate(), "paused");
    assert_eq!(sh.try_run("echo hi", Duration::from_millis(1500)), None);
    live.act(VmAction::Resume).unwrap();
    live.changed_to(VmState::Running, EVENT);
    assert_eq!(sh.finish(Duration::from_secs(10)).as_deref(), Some("hi"));
}

/// An internal snapshot of the running guest; a file made afterwards is gone after revert.
#[test]
fn d_internal_snapshot_revert_restores_memory() {
    if !enabled("d_internal_snapshot_revert_restores_memory") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let uuid = live.uuid.clone();
    let mut sh = Shell::open(&live.details());
    sh.run("rm -f /tmp/after-snapshot; echo ok");
    let u = uuid.clone();
    live.on_conn(move |c| snapshot::create_internal(c, &u, "kvmm-live-1", "live test"))
        .expect("internal snapshot");
    let u = uuid.clone();
    assert_eq!(
        live.on_conn(move |c| snapshot::list(c, &u)).unwrap(),
        ["kvmm-live-1"]
    );
    sh.run("touch /tmp/after-snapshot; echo ok");
    assert!(sh.exists("/tmp/after-snapshot"));

    let u = uuid.clone();
    let t = Instant::now();
    live.on_conn(move |c| snapshot::revert(c, &u, "kvmm-live-1"))
        .expect("revert");
    println!("revert took {:?}", t.elapsed());
    assert_eq!(domstate(), "running");
    let mut sh = Shell::open(&live.details());
    assert!(!sh.exists("/tmp/after-snapshot"), "memory not reverted");

    let u = uuid.clone();
    let e = live
        .on_conn(move |c| snapshot::revert(c, &u, "no-such-snapshot"))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    let u = uuid.clone();
    live.on_conn(move |c| snapshot::delete(c, &u, "kvmm-live-1"))
        .expect("delete");
    let u = uuid.clone();
    assert!(live
        .on_conn(move |c| snapshot::list(c, &u))
        .unwrap()
        .is_empty());
}

/// Managed save stops the guest with an image; Start restores it (not a fresh boot).
#[test]
fn e_managed_save_then_start_restores() {
    if !enabled("e_managed_save_then_start_restores") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let mut sh = Shell::open(&live.details());
    sh.run("touch /tmp/before-save; echo ok");
    live.act(VmAction::Save).unwrap();
    live.changed_to(VmState::Saved, EVENT);
    let d = live.details();
    assert_eq!(d.state, Some(VmState::Saved));
    assert!(d.has_managed_save);
    assert_eq!(domstate(), "shut off");

    live.act(VmAction::Start).unwrap();
    live.changed_to(VmState::Running, EVENT);
    let d = live.details();
    assert!(!d.has_managed_save);
    let mut sh = Shell::open(&d);
    assert!(
        sh.exists("/tmp/before-save"),
        "restored memory lost the file"
    );
    assert_eq!(markers(), 0, "a restore must not boot the guest again");
}

/// Reboot: the guest boots again (a second ready marker) and its memory is fresh.
#[test]
fn f_reboot_boots_again() {
    if !enabled("f_reboot_boots_again") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let mut sh = Shell::open(&live.details());
    sh.run("touch /tmp/before-reboot; echo ok");
    let before = markers();
    let t = Instant::now();
    live.act(VmAction::Reboot).unwrap();
    wait_until("the ready marker again", BOOT, || {
        (markers() > before).then_some(())
    });
    println!("reboot to marker in {:?}", t.elapsed());
    assert_eq!(domstate(), "running");
    assert!(!sh.exists("/tmp/before-reboot"), "no reboot happened");
}

fn wait_disconnected(live: &Live) -> String {
    match live.wait_for("Link(Disconnected)", EVENT, |e| {
        matches!(e, Event::Link(LinkState::Disconnected { .. }))
    }) {
        Event::Link(LinkState::Disconnected { reason, .. }) => reason,
        _ => unreachable!(),
    }
}

/// libvirtd restarts under a connected worker: it reports the loss, reconnects, lists the
/// running guest, and events work on the new connection.
#[test]
fn g_daemon_restart_reconnects() {
    if !enabled("g_daemon_restart_reconnects") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let t = Instant::now();
    kill_libvirtd("TERM");
    let reason = wait_disconnected(&live);
    assert!(!reason.is_empty());
    let took = start_daemons();
    live.wait_for("Link(Connected)", Duration::from_secs(45), |e| {
        matches!(e, Event::Link(LinkState::Connected))
    });
    let list = live.list(EVENT);
    println!(
        "daemon restart: rig daemons {took:?}, reconnected and listed after {:?} ({reason})",
        t.elapsed()
    );
    let g = guest_in(&list);
    assert_eq!(
        (g.uuid.as_str(), g.state),
        (live.uuid.as_str(), VmState::Running)
    );
    // Callbacks were registered on the new connection: a change made elsewhere arrives.
    virsh_ok(&["suspend", DOMAIN]);
    live.changed_to(VmState::Paused, EVENT);
    virsh_ok(&["resume", DOMAIN]);
    live.changed_to(VmState::Running, EVENT);
}

/// The daemon dies right as a shutdown is sent: the answer is Ok or a clear Disconnected
/// error, the worker comes back, and its list then matches the guest's real state.
#[test]
fn h_daemon_dies_during_an_action() {
    if !enabled("h_daemon_dies_during_an_action") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    live.handle.send(Command::Action {
        uuid: live.uuid.clone(),
        action: VmAction::Shutdown,
    });
    kill_libvirtd("KILL");
    match live.action_done(&live.uuid.clone(), VmAction::Shutdown) {
        Ok(()) => println!("shutdown was answered before the daemon died"),
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Disconnected, "{e:?}");
            assert!(!e.message.is_empty() && !e.hint.is_empty(), "{e:?}");
            println!("shutdown answered with: {e}");
        }
    }
    start_daemons();
    live.wait_for("Link(Connected)", Duration::from_secs(45), |e| {
        matches!(e, Event::Link(LinkState::Connected))
    });
    live.list(EVENT);
    // Let the guest settle (the ACPI request may or may not have reached it), then the
    // worker's view must equal libvirt's.
    let settled = wait_until("the guest's state to settle", EVENT, || {
        let a = domstate();
        std::thread::sleep(Duration::from_secs(2));
        (a == domstate() && (a == "running" || a == "shut off")).then_some(a)
    });
    live.handle.send(Command::Refresh);
    let g = guest_in(&live.list(EVENT)).clone();
    let want = if settled == "running" {
        VmState::Running
    } else {
        VmState::ShutOff
    };
    assert_eq!(g.state, want, "libvirt says {settled}");
    println!("after the daemon came back the guest is {settled}");
}

/// ACPI shutdown: the guest really powers off and the worker hears it.
#[test]
fn i_acpi_shutdown_powers_off() {
    if !enabled("i_acpi_shutdown_powers_off") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    let t = Instant::now();
    live.act(VmAction::Shutdown).unwrap();
    live.changed_to(VmState::ShutOff, EVENT);
    println!("ACPI shutdown took {:?}", t.elapsed());
    assert_eq!(domstate(), "shut off");
    assert!(
        read_log().contains("reboot: Power down"),
        "the guest did not power off itself"
    );
}

#[test]
fn j_force_off() {
    if !enabled("j_force_off") {
        return;
    }
    ensure_running();
    let live = Live::connect();
    live.act(VmAction::ForceOff).unwrap();
    live.changed_to(VmState::ShutOff, EVENT);
    assert_eq!(domstate(), "shut off");
    assert!(
        !read_log().contains("reboot: Power down"),
        "it shut down by itself"
    );
}

/// A domain undefined by another program just before an action: NotFound, and the row
/// goes away.
#[test]
fn k_action_on_a_vanished_domain() {
    if !enabled("k_action_on_a_vanished_domain") {
        return;
    }
    let live = Live::connect();
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("vanish.xml");
    std::fs::write(
        &xml,
        "<domain type='qemu'><name>kvmm-test-vanish</name><memory unit='MiB'>32</memory>\
         <os><type arch='x86_64'>hvm</type></os></domain>",
    )
    .unwrap();
    virsh_ok(&["define", xml.to_str().unwrap()]);
    let s = match live.wait_for(
        "VmChanged(kvmm-test-vanish)",
        EVENT,
        |e| matches!(e, Event::VmChanged(s) if s.name == "kvmm-test-vanish"),
    ) {
        Event::VmChanged(s) => s,
        _ => unreachable!(),
    };
    virsh_ok(&["undefine", "kvmm-test-vanish"]);
    let e = live.act_on(&s.uuid, VmAction::Start).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert!(!e.message.is_empty(), "{e:?}");
    assert!(!e.hint.is_empty());
    let u = s.uuid.clone();
    live.wait_for(
        "VmRemoved",
        EVENT,
        move |e| matches!(e, Event::VmRemoved { uuid } if *uuid == u),
    );
}

/// A machine created by the backend from an imported disk (copied into the pool with an
/// upload stream) boots from that disk; a failed create after the upload leaves no volume.
#[test]
fn m_created_from_imported_disk_boots() {
    if !enabled("m_created_from_imported_disk_boots") {
        return;
    }
    create_vm::created_from_imported_disk_boots();
}

/// Disk hot-plug (tests/live/hotplug.rs): a new volume appears in the running guest's
/// /sys/block and goes again on detach.
#[test]
fn o_hot_plug_and_detach_a_new_volume() {
    if !enabled("o_hot_plug_and_detach_a_new_volume") {
        return;
    }
    hotplug::hot_plug_and_detach_a_new_volume();
}

/// A disk attached to the shut-off guest goes to its configuration only.
#[test]
fn p_attach_to_the_stopped_guest_is_persistent() {
    if !enabled("p_attach_to_the_stopped_guest_is_persistent") {
        return;
    }
    hotplug::attach_to_the_stopped_guest_is_persistent();
}

/// A SATA CD-ROM drive: an ISO in, ejected and in again while the guest runs.
#[test]
fn q_cdrom_insert_and_eject() {
    if !enabled("q_cdrom_insert_and_eject") {
        return;
    }
    hotplug::cdrom_insert_and_eject();
}

/// The SPICE console view (tests/live/spice.rs): a transient SPICE guest shown through
/// host/port and libvirt's sockets, with password prompts, typing and a clean end.
#[test]
fn r_spice_view_shows_frames() {
    if !enabled("r_spice_view_shows_frames") {
        return;
    }
    spice::spice_view_shows_frames();
}

#[test]
#[ignore = "run under xvfb-run by r_spice_view_shows_frames"]
fn zz_child_spice_view() {
    assert_eq!(std::env::var("KVMM_SPICE_CHILD").as_deref(), Ok("1"));
    spice_child::child();
}

/// An unprivileged user opening qemu:///system is refused with PermissionDenied and a
/// hint. Runs this test binary again as `nobody` (uid 65534) for the child test below.
#[test]
fn l_permission_denied_for_an_unprivileged_user() {
    if !enabled("l_permission_denied_for_an_unprivileged_user") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    // The binary under target/ may sit below directories nobody cannot enter: run a copy.
    let dir = tempfile::Builder::new()
        .prefix("kvmm-live-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.path().join("live-test");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new(&exe)
        .args([
            "--exact",
            "zz_child_connect_as_nobody",
            "--include-ignored",
            "--nocapture",
        ])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent")
        .env("LANG", "C.UTF-8")
        .env("KVMM_LIVE_CHILD", "1")
        .current_dir(dir.path())
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "the child test did not run:\n{text}"
    );
    assert!(text.contains("CHILD-UID 65534"), "{text}");
}

#[test]
#[ignore = "run as uid 65534 by l_permission_denied_for_an_unprivileged_user"]
fn zz_child_connect_as_nobody() {
    assert_eq!(std::env::var("KVMM_LIVE_CHILD").as_deref(), Ok("1"));
    let uid = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    println!("CHILD-UID {uid}");
    let (tx, rx) = std::sync::mpsc::channel();
    let _h = kvm_manager::backend::ConnectionHandle::spawn(URI, move |e| {
        let _ = tx.send(e);
    });
    let deadline = Instant::now() + EVENT;
    loop {
        let e = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("a connect outcome");
        match e {
            Event::ConnectFailed(e) => {
                println!("refused: {e:?}");
                assert_eq!(e.kind, ErrorKind::PermissionDenied, "{e:?}");
                assert!(!e.message.is_empty() && !e.hint.is_empty());
                return;
            }
            Event::Link(LinkState::Connected) => panic!("uid {uid} was let in"),
            _ => {}
        }
    }
}
