#!/usr/bin/python3
"""Start-up and search benchmark, each against a baseline measured in the same run.

Run with `make bench` (tests/ui/run.sh --bench provides Xvfb and a session bus).

1. Start-up, 500 domains: 5 launches each of our release binary and of virt-manager
   (`--connect test:///FIXTURE --no-fork`) under the same Xvfb. Measured: time from launch
   until a top-level window of that process is mapped (xdotool --onlyvisible), and the
   resident memory of the whole process tree 10 s later (/proc). Reports medians and the
   ratios us / virt-manager (lower is better).
2. Search, 5,000 domains: time from putting the last domain's name into "Search machines"
   (through AT-SPI, one edit) until its row is on screen, against the floor: python3-libvirt
   opening the same file and listing all domains with their names.
"""
import os
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "ui"))

from benchlib import rss_kib, stop, visible_windows  # noqa: E402

OUT = os.path.join(REPO, "build", "bench")
OURS = os.environ.get("KVM_MANAGER_BIN", os.path.join(REPO, "target", "release", "kvm-manager"))
GENERATE = os.path.join(REPO, "tests", "fixtures", "generate.py")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SETTLE_S = float(os.environ.get("BENCH_SETTLE_S", "10"))
MAP_TIMEOUT_S = 60


def die(message):
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(1)


def preflight():
    problems = []
    if not os.access(OURS, os.X_OK):
        problems.append(f"{OURS} is missing: `cargo build --release` (make bench does it)")
    if not os.path.exists(GENERATE):
        problems.append("tests/fixtures/generate.py is missing (it writes the N-domain fixtures)")
    for tool in ("virt-manager", "xdotool"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            problems.append(f"{tool} is missing: scripts/install-deps.sh bench")
    try:
        import libvirt  # noqa: F401
    except ImportError:
        problems.append("python3-libvirt is missing: scripts/install-deps.sh bench")
    if not os.environ.get("DISPLAY"):
        problems.append("no DISPLAY: run through `make bench` (tests/ui/run.sh --bench)")
    if problems:
        die("cannot run:\n  " + "\n  ".join(problems))


def fixture(count):
    path = os.path.join(OUT, f"domains-{count}.xml")
    if not os.path.exists(path):
        subprocess.run([sys.executable, GENERATE, str(count), path], check=True)
    return path


def last_domain_name(path):
    names = [d.findtext("name") for d in ET.parse(path).getroot().iter("domain")]
    names = [n for n in names if n]
    if not names:
        die(f"{path} holds no <domain><name>")
    return names[-1]


def launch_once(argv, log):
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not visible_windows(proc.pid):
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode} before mapping a window")
            if time.monotonic() - start > MAP_TIMEOUT_S:
                raise RuntimeError(f"{argv[0]} mapped no window in {MAP_TIMEOUT_S} s")
            time.sleep(0.01)
        mapped = time.monotonic() - start
        time.sleep(SETTLE_S)
        return mapped, rss_kib(proc.pid)
    finally:
        stop(proc)


def startup(fixture_path):
    uri = "test://" + fixture_path
    programs = {
        "kvm-manager": [OURS, "--connect", uri],
        "virt-manager": ["virt-manager", "--connect", uri, "--no-fork"],
    }
    results = {}
    for name, argv in programs.items():
        times, rss = [], []
        with open(os.path.join(OUT, f"{name}.log"), "w") as log:
            for i in range(RUNS):
                t, r = launch_once(argv, log)
                times.append(t)
                rss.append(r)
                print(f"  {name} run {i + 1}: mapped after {t * 1000:.0f} ms, "
                      f"RSS {r / 1024:.1f} MiB after {SETTLE_S:.0f} s", flush=True)
        results[name] = (statistics.median(times), statistics.median(rss))
    return results


def libvirt_floor(fixture_path):
    import libvirt

    def quiet(_ctx, _err):
        pass

    libvirt.registerErrorHandler(quiet, None)
    best = None
    for _ in range(RUNS):
        start = time.monotonic()
        conn = libvirt.open("test://" + fixture_path)
        names = [d.name() for d in conn.listAllDomains()]
        elapsed = time.monotonic() - start
        conn.close()
        best = elapsed if best is None else min(best, elapsed)
    return best, len(names)


def search_time(fixture_path, name):
    import lib

    app = lib.App(argv=[OURS, "--connect", "test://" + fixture_path], timeout=120)
    try:
        app.pointer_click(app.find("list item", "Machines", timeout=60))
        entry = app.find(lib.ENTRY, "Search machines", timeout=30)
        start = time.monotonic()
        app.set_text(entry, name)
        app.find("list item", name, timeout=60)
        return time.monotonic() - start
    finally:
        app.quit()


def main():
    preflight()
    os.makedirs(OUT, exist_ok=True)

    print(f"Start-up, 500 domains, {RUNS} runs each (median):", flush=True)
    small = fixture(500)
    res = startup(small)
    ours_t, ours_rss = res["kvm-manager"]
    base_t, base_rss = res["virt-manager"]

    print("Search, 5,000 domains:", flush=True)
    big = fixture(5000)
    floor_s, count = libvirt_floor(big)
    target = last_domain_name(big)
    found_s = search_time(big, target)

    print()
    print(f"{'measure':<38}{'kvm-manager':>14}{'baseline':>14}{'ratio':>8}")
    print(f"{'window mapped (500 domains, s)':<38}{ours_t:>14.3f}{base_t:>14.3f}"
          f"{ours_t / base_t:>8.2f}   baseline: virt-manager")
    print(f"{'RSS after 10 s (500 domains, MiB)':<38}{ours_rss / 1024:>14.1f}"
          f"{base_rss / 1024:>14.1f}{ours_rss / base_rss:>8.2f}   baseline: virt-manager")
    print(f"{'search shows last of 5,000 (s)':<38}{found_s:>14.3f}{floor_s:>14.3f}"
          f"{found_s / floor_s:>8.2f}   baseline: python3-libvirt lists {count} domains")
    print("\nRatios below 1 mean KVM Manager is faster or smaller than the baseline.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
