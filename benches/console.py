#!/usr/bin/python3
"""Console benchmark: KVM Manager's VNC console against virt-manager's (gtk-vnc), same run.

Run with `make bench` or `flock /tmp/kvmm-ui.lock tests/ui/run.sh --console-bench`
(Xvfb + session bus). BENCH_RUNS (default 3) runs per app and screen, BENCH_CPU_S
(default 30) seconds of CPU measurement; BENCH_APPS=virt-manager measures one app only.
The defaults take about 11 minutes; for more runs raise UI_RUN_TIMEOUT (run.sh's 1500 s).

The VNC server, the same for both apps: QEMU run directly (no libvirt), serving VNC on
127.0.0.1:5901, booting the live-test guest (tests/live/rig.py guest) from its bzImage
(the PVH vmlinux the rig boots gets no VGA text console: its screen stays on SeaBIOS).
  idle: the guest at rest: kernel messages and a shell prompt on tty1 (cursor blinking).
  busy: kernel argument kvmm.busy=1 (tests/live/guest/init): tty1 scrolls a counter and
        /proc/interrupts about 20 times a second, every update a full screen.
Both apps open the libvirt test driver fixture tests/fixtures/states.xml, whose running
`web-uefi` has <graphics type='vnc' port='5901' listen='127.0.0.1'>; the test driver has
no virDomainOpenGraphicsFD, so both connect over TCP to that address.
  virt-manager --connect test:///FIXTURE --show-domain-console web-uefi --no-fork
  kvm-manager --connect test:///FIXTURE --console web-uefi   ($CARGO_TARGET_DIR/release)

Per run, from launch (runs alternate between the apps):
  window mapped  the console window is mapped (xdotool, polled every 10 ms)
  first frame    a screenshot of that window shows the guest's VGA screen
                 (benches/vgaframe.py: xwd screenshots back to back, 20 ms apart; the time
                 taken is the end of the first capture that shows it, so it is late by at
                 most one capture period, reported as "poll period", about 40 ms)
  CPU            user + system CPU time of the app's process tree (/proc/PID/stat) over
                 BENCH_CPU_S seconds after the first frame, window visible and left alone;
                 the X server's CPU over the same time is reported for information
  RSS            resident memory of the process tree at the end, for information
Reports medians and ratios kvm-manager / virt-manager (lower is better); writes
build/bench/console.json and the last screenshot of each app and screen as PNG.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

from benchlib import cpu_seconds, rss_kib, stop, visible_windows, xvfb_pid
import vgaframe

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "build", "bench")
FIXTURE = os.path.join(REPO, "tests", "fixtures", "states.xml")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
OURS = os.environ.get("KVM_MANAGER_BIN", os.path.join(TARGET, "release", "kvm-manager"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CPU_S = float(os.environ.get("BENCH_CPU_S", "30"))
VM = "web-uefi"
VNC_DISPLAY = 1  # port 5901, as in the fixture
# As tests/live/rig.py's CMDLINE: VGA text console and serial, no ACPI AML cost.
CMDLINE = "console=tty0 console=ttyS0 panic=-1 loglevel=4 acpi=noirq"
SCREENS = {"idle": "", "busy": " kvmm.busy=1"}
MAP_TIMEOUT_S = 60
FRAME_TIMEOUT_S = 60
POLL_GAP_S = 0.02

URI = "test://" + FIXTURE


def die(message):
    print(f"console bench: {message}", file=sys.stderr)
    sys.exit(1)


def vm_title():
    """virt-manager titles its console window "TITLE on CONNECTION" (TITLE: <title>, else name)."""
    for dom in ET.parse(FIXTURE).getroot().iter("domain"):
        if dom.findtext("name") == VM:
            return dom.findtext("title") or VM
    die(f"{FIXTURE} has no domain {VM}")


def ere(text):
    """`text` as a POSIX extended regex matching itself (xdotool --name uses regcomp)."""
    return re.sub(r"([.\[\]()*+?{}|^$\\])", r"\\\1", text)


# argv, POSIX regex for the console window's title (".*" stands for the multibyte dash)
APPS = {
    "kvm-manager": ([OURS, "--connect", URI, "--console", VM], f"^{ere(VM)} .* Console$"),
    "virt-manager": (["virt-manager", "--connect", URI, "--show-domain-console", VM,
                      "--no-fork"], f"^{ere(vm_title())} on "),
}


def port_listening(port):
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            if any(f":{port:04X} " in line and line.split()[3] == "0A" for line in f):
                return True
    return False


def preflight(apps):
    problems = []
    if set(apps) - set(APPS):
        problems.append(f"BENCH_APPS: unknown {', '.join(sorted(set(apps) - set(APPS)))}")
    if "kvm-manager" in apps and not os.access(OURS, os.X_OK):
        problems.append(f"{OURS} is missing: `cargo build --release` (make bench does it)")
    for tool in ("virt-manager", "xdotool", "import", "xwd", "qemu-system-x86_64"):
        if not shutil.which(tool):
            problems.append(f"{tool} is missing: scripts/install-deps.sh bench")
    if not os.environ.get("DISPLAY"):
        problems.append("no DISPLAY: run through tests/ui/run.sh --console-bench")
    if port_listening(5900 + VNC_DISPLAY):
        problems.append(f"port {5900 + VNC_DISPLAY} is taken (a UI test running? "
                        "take `flock /tmp/kvmm-ui.lock`)")
    if problems:
        die("cannot run:\n  " + "\n  ".join(problems))


def guest_files():
    """Kernel and initramfs of the live-test guest, built or taken from the rig's cache."""
    with open(os.path.join(OUT, "console-rig.log"), "w") as log:
        r = subprocess.run([sys.executable, os.path.join(REPO, "tests", "live", "rig.py"),
                            "guest"], stdout=subprocess.PIPE, stderr=log, text=True)
    if r.returncode:
        die("tests/live/rig.py guest failed: see build/bench/console-rig.log")
    return json.loads(r.stdout)


class Guest:
    """QEMU booting the guest with its VGA screen on VNC 127.0.0.1:5901."""

    def __init__(self, guest, screen):
        self.serial = os.path.join(OUT, f"console-guest-{screen}.log")
        if os.path.exists(self.serial):
            os.unlink(self.serial)
        argv = ["qemu-system-x86_64", "-nodefaults", "-machine", "pc", "-accel", "tcg",
                "-m", "256", "-vga", "std", "-display", "none",
                "-vnc", f"127.0.0.1:{VNC_DISPLAY}", "-no-reboot",
                "-kernel", guest["bzimage"], "-initrd", guest["initrd"],
                "-append", CMDLINE + SCREENS[screen], "-serial", f"file:{self.serial}"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        deadline = time.monotonic() + 180
        while b"KVMM-GUEST-READY" not in self._log():
            if self.proc.poll() is not None:
                die(f"QEMU exited: {self.proc.stderr.read().decode()[-500:]}")
            if time.monotonic() > deadline:
                self.stop()
                die(f"the guest did not boot in 180 s (serial log {self.serial})")
            time.sleep(0.2)
        if screen == "busy" and b"KVMM-GUEST-BUSY" not in self._log():
            self.stop()
            die("the guest ignored kvmm.busy=1 (tests/live/guest/init)")
        time.sleep(2)  # the shell prompt reaches tty1

    def _log(self):
        try:
            with open(self.serial, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def stop(self):
        stop(self.proc)


def wait_window(proc, title, start):
    while True:
        found = visible_windows(proc.pid, title)
        if found:
            return found[0], time.monotonic() - start
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before mapping its console window")
        if time.monotonic() - start > MAP_TIMEOUT_S:
            raise RuntimeError(f"mapped no console window in {MAP_TIMEOUT_S} s")
        time.sleep(0.01)


def wait_frame(proc, window, start):
    """(seconds from launch to the first capture showing the frame, capture periods, facts)."""
    periods, last = [], None
    while True:
        img = vgaframe.capture(window)
        now = time.monotonic()
        if last is not None:
            periods.append(now - last)
        last = now
        f = vgaframe.facts(img)
        if f.shown:
            return now - start, periods, f
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before showing a frame")
        if now - start > FRAME_TIMEOUT_S:
            raise RuntimeError(f"showed no frame in {FRAME_TIMEOUT_S} s (last: {f})")
        time.sleep(POLL_GAP_S)


def one_run(app, screen, log):
    argv, title = APPS[app]
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        window, mapped = wait_window(proc, title, start)
        first, periods, f = wait_frame(proc, window, start)
        xvfb = xvfb_pid()
        cpu0, x0, t0 = cpu_seconds(proc.pid), xvfb and cpu_seconds(xvfb), time.monotonic()
        time.sleep(CPU_S)
        cpu1, x1, t1 = cpu_seconds(proc.pid), xvfb and cpu_seconds(xvfb), time.monotonic()
        rss = rss_kib(proc.pid)
        # After the measurement: is the window still showing (and, busy, following) the guest?
        a = vgaframe.capture(window)
        time.sleep(0.5)
        b = vgaframe.capture(window)
        subprocess.run(["import", "-silent", "-window", window,
                        os.path.join(OUT, f"console-{app}-{screen}.png")], check=False)
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} during the CPU measurement")
        return {
            "mapped_s": mapped,
            "first_frame_s": first,
            "console_open_s": first - mapped,
            "poll_period_s": statistics.median(periods) if periods else None,
            "cpu_s": (cpu1 - cpu0) * CPU_S / (t1 - t0),
            "xserver_cpu_s": (x1 - x0) * CPU_S / (t1 - t0) if xvfb else None,
            "rss_kib": rss,
            "window_px": [a.width, a.height],
            "frame_box_px": list(f.box),
            "frame_at_end": vgaframe.facts(b).shown,
            "changing_at_end": (a.r, a.g, a.b) != (b.r, b.g, b.b),
        }
    finally:
        stop(proc)


def median(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


ROWS = [  # key, label, scale, unit, compared (else for information)
    ("mapped_s", "window mapped", 1, "s", False),
    ("first_frame_s", "first frame", 1, "s", True),
    ("console_open_s", "console open (frame - mapped)", 1, "s", False),
    ("cpu_s", "CPU time over {cpu:.0f} s", 1, "s", True),
    ("xserver_cpu_s", "X server CPU over {cpu:.0f} s", 1, "s", False),
    ("rss_kib", "RSS at end", 1 / 1024, "MiB", False),
    ("poll_period_s", "poll period (frame resolution)", 1, "s", False),
]


def report(results):
    print(f"\n{'measure (median of ' + str(RUNS) + ')':<40}{'screen':<7}"
          f"{'kvm-manager':>13}{'virt-manager':>14}{'ratio':>8}")
    summary = {}
    for key, label, scale, unit, compared in ROWS:
        for screen in SCREENS:
            ours = median(results[screen]["kvm-manager"], key)
            base = median(results[screen]["virt-manager"], key)
            ratio = ours / base if ours is not None and base else None
            summary.setdefault(screen, {})[key] = {"kvm-manager": ours, "virt-manager": base,
                                                   "ratio": ratio}
            fmt = (lambda v: "-" if v is None else f"{v * scale:.{1 if unit == 'MiB' else 3}f}")
            name = f"{label.format(cpu=CPU_S)} ({unit})"
            print(f"{name:<40}{screen:<7}{fmt(ours):>13}{fmt(base):>14}"
                  f"{'-' if ratio is None else f'{ratio:.2f}':>8}"
                  f"{'' if compared else '   (information)'}")
    print("\nRatios below 1 mean KVM Manager is faster or uses less than virt-manager; "
          "target: first frame and CPU time <= 1.")
    return summary


def main():
    apps = os.environ.get("BENCH_APPS", "virt-manager,kvm-manager").split(",")
    preflight(apps)
    os.makedirs(OUT, exist_ok=True)
    guest = guest_files()
    results = {s: {a: [] for a in APPS} for s in SCREENS}
    logs = {a: open(os.path.join(OUT, f"console-{a}.log"), "w") for a in apps}
    for screen in SCREENS:
        print(f"Screen {screen}: booting the guest ...", flush=True)
        g = Guest(guest, screen)
        try:
            for i in range(RUNS):
                for app in apps:
                    r = one_run(app, screen, logs[app])
                    results[screen][app].append(r)
                    print(f"  {app:<13} run {i + 1}: mapped {r['mapped_s']:.3f} s, first frame "
                          f"{r['first_frame_s']:.3f} s, CPU {r['cpu_s']:.2f} s / {CPU_S:.0f} s "
                          f"(X {r['xserver_cpu_s'] or 0:.2f} s), RSS {r['rss_kib'] / 1024:.1f} MiB,"
                          f" frame {r['frame_box_px'][2]}x{r['frame_box_px'][3]} in "
                          f"{r['window_px'][0]}x{r['window_px'][1]}"
                          f"{'' if r['frame_at_end'] else ', NO FRAME AT END'}"
                          f"{', changing' if r['changing_at_end'] else ', static'}", flush=True)
        finally:
            g.stop()
    for log in logs.values():
        log.close()
    if len(apps) < len(APPS):
        print("\n(only " + ", ".join(apps) + " measured: BENCH_APPS)")
    summary = report(results)
    with open(os.path.join(OUT, "console.json"), "w") as f:
        json.dump({"runs": RUNS, "cpu_window_s": CPU_S, "summary": summary, "results": results},
                  f, indent=1)
    print("Wrote build/bench/console.json and build/bench/console-*.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
