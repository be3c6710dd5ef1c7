"""Helpers the benchmarks under Xvfb share (benches/startup.py, benches/console.py).

Everything reads /proc or asks xdotool; nothing here starts a display or an app.
Process figures cover the whole process tree (the app and whatever it started).
"""
import os
import signal
import subprocess

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """/proc/PID/stat fields after the command name (which may hold spaces)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def process_tree(pid):
    """`pid` and all its live descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(_stat_fields(entry)[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def rss_kib(pid):
    """Resident memory of the process tree, KiB."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid):
    """CPU time (user + system, all threads) the process tree has used so far.

    utime+stime of every live process plus cutime+cstime (children it has reaped), so a
    helper process that ran and exited still counts, and nothing counts twice. Resolution:
    one clock tick (1/CLK_TCK s, 10 ms here)."""
    ticks = 0
    for p in process_tree(pid):
        try:
            f = _stat_fields(p)
            # Fields 14-17 of stat(5); f[0] is field 3 (state).
            ticks += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / CLK_TCK


def xvfb_pid():
    """The Xvfb serving $DISPLAY (started by tests/ui/run.sh through xvfb-run), or None."""
    display = os.environ.get("DISPLAY", "")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"Xvfb" and display.encode() in argv:
            return int(entry)
    return None


def visible_windows(pid, name=None):
    """Mapped top-level windows of process `pid` (their titles matching regex `name`)."""
    argv = ["xdotool", "search", "--onlyvisible", "--pid", str(pid)]
    if name:
        argv += ["--all", "--name", name]  # without --all, xdotool ORs the conditions
    r = subprocess.run(argv, capture_output=True, text=True)
    return r.stdout.split()


def stop(proc):
    """SIGTERM the process group of `proc` (started with start_new_session), then SIGKILL."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(5)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
