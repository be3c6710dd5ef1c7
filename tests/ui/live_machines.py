"""Live UI test: the machines page against a real libvirtd with the rig's guest.

Not picked up by the plain UI run (its name does not start with test_): it needs the live
rig (root, libvirtd, the kvmm-test-guest domain), so tests/live/run.sh brings the rig up
and runs `tests/ui/run.sh tests/ui/live_machines.py` with KVMM_LIVE=1.

A person's path: open the app on qemu:///system, find the guest with Ctrl+F, press its
Start button, watch the row say Running; then the guest is pulled off from outside the app
(virsh destroy) and the row says Shut Off: both changes reach the row through libvirt
events, the app never re-lists. Later tests: a daemon restart, a disk attached through the
page, a volume downloaded, and (issue 6) a busy loop in the guest seen by the live CPU chart
and the row's CPU figure.
"""
import os
import subprocess
import time

import lib
import test_machines as tm

URI = "qemu:///system"
DOMAIN = "kvmm-test-guest"


def virsh(*args, check=True):
    r = subprocess.run(["virsh", "-q", "-c", URI, *args], capture_output=True, text=True,
                       timeout=60)
    if check and r.returncode != 0:
        raise lib.UiError(f"virsh {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip()


def domstate():
    return virsh("domstate", DOMAIN, check=False)


def test_start_and_force_off_a_real_guest():
    if os.environ.get("KVMM_LIVE") != "1":
        raise lib.Skip("needs the live rig: run tests/live/run.sh")
    if domstate() != "shut off":
        virsh("destroy", DOMAIN, check=False)
    lib.wait_for(lambda: domstate() == "shut off", 30, f"{DOMAIN} off before the test")

    t0 = time.monotonic()

    def mark(what):
        print(f"  {what}: {time.monotonic() - t0:.1f}s", flush=True)

    try:
        app = lib.App(uri=URI)
    except lib.UiError as e:
        probe = subprocess.run(["xdpyinfo"], capture_output=True, text=True)
        raise lib.UiError(f"{e}\n--- DISPLAY={os.environ.get('DISPLAY')!r}, xdpyinfo: "
                          f"{probe.returncode} {(probe.stdout or probe.stderr)[:300]!r}; "
                          f"/tmp/.X11-unix: {sorted(os.listdir('/tmp/.X11-unix'))}") from None
    lib.wait_for(lambda: lib.name_of(app.window).startswith(tm.WINDOW_TITLE), 10,
                 "the main window")
    tm.open_machines(app)
    app.key("ctrl+f")
    lib.run(["xdotool", "type", "--delay", "15", "--", DOMAIN])
    entry = app.find(lib.ENTRY, "Search machines")
    lib.wait_for(lambda: lib.text_of_entry(entry) == DOMAIN, 5,
                 f"Ctrl+F to put {DOMAIN!r} in the search field "
                 f"(it has {lib.text_of_entry(entry)!r})")
    lib.wait_for(lambda: list(tm.rows(app)) == [DOMAIN], 15,
                 f"only {DOMAIN!r} listed after Ctrl+F and typing (listed: {list(tm.rows(app))})")
    tm.wait_row_state(app, DOMAIN, "Shut Off")
    mark("app up, guest found with Ctrl+F")

    start = app.find("push button", f"Start {DOMAIN}")
    app.click(start)
    tm.wait_row_state(app, DOMAIN, "Running")
    assert domstate() == "running", f"libvirt says {domstate()!r}"
    mark("row shows Running")

    virsh("destroy", DOMAIN)
    tm.wait_row_state(app, DOMAIN, "Shut Off")
    mark("row shows Shut Off after virsh destroy")
    # The row offers Start again.
    app.find("push button", f"Start {DOMAIN}")


def libvirtd_pid():
    try:
        with open("/run/libvirtd.pid") as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/comm") as f:
            return pid if f.read().strip() == "libvirtd" else None
    except (OSError, ValueError):
        return None


def test_daemon_restart_shows_disconnected_then_recovers():
    if os.environ.get("KVMM_LIVE") != "1":
        raise lib.Skip("needs the live rig: run tests/live/run.sh")
    import re
    if domstate() != "shut off":
        virsh("destroy", DOMAIN, check=False)
    app = lib.App(uri=URI)
    tm.open_machines(app)
    tm.search(app, DOMAIN)
    tm.wait_row_state(app, DOMAIN, "Shut Off")

    # The daemon goes away (an upgrade, a crash): the window says so plainly.
    pid = libvirtd_pid()
    assert pid, "libvirtd is not running"
    os.kill(pid, 15)
    lib.wait_for(lambda: subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True)
                 .returncode != 0, 30, "libvirtd to exit")
    banner = re.compile(r"^Connection to qemu:///system lost .*Reconnecting in \d+ s")
    app.find(name=banner, timeout=15)
    # The list stays as it was while the host is away.
    tm.wait_row_state(app, DOMAIN, "Shut Off")

    # The daemon comes back: the banner goes, and events flow again on the new connection.
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rig = subprocess.run(["/usr/bin/python3", os.path.join(repo, "tests", "live", "rig.py"),
                          "daemons"], capture_output=True, text=True, timeout=120)
    if rig.returncode != 0:
        raise lib.UiError(f"rig.py daemons failed:\n{rig.stderr[-2000:]}")
    app.absent(name=banner, timeout=45)
    virsh("start", DOMAIN)
    tm.wait_row_state(app, DOMAIN, "Running")
    virsh("destroy", DOMAIN)
    tm.wait_row_state(app, DOMAIN, "Shut Off")


def test_attach_and_detach_a_disk_through_the_page():
    """Issue 5: a disk attached from the machine's page reaches the real definition, and
    detaching it from the page removes it again (the guest is stopped: persistent only;
    hot-plug into the running guest is tests/live/hotplug.rs)."""
    if os.environ.get("KVMM_LIVE") != "1":
        raise lib.Skip("needs the live rig: run tests/live/run.sh")
    import re
    import tempfile
    import test_disks as td
    if domstate() != "shut off":
        virsh("destroy", DOMAIN, check=False)
    lib.wait_for(lambda: domstate() == "shut off", 30, f"{DOMAIN} off before the test")
    image = tempfile.NamedTemporaryFile(prefix="kvmm-test-ui-", suffix=".img",
                                        dir="/var/lib/libvirt/kvmm-test", delete=False)
    image.truncate(8 * 1024 * 1024)
    image.close()
    try:
        app = lib.App(uri=URI)
        tm.open_machines(app)
        tm.open_details(app, tm.search(app, DOMAIN))
        td.open_attach(app, DOMAIN)
        td.choose(app, "Source", 2)
        app.type_into(app.find(lib.ENTRY, "Image file"), image.name)
        app.click(lib.dialog_button(app, "Attach"))
        detach = app.find("push button", re.compile(r"^Detach vd[b-z]$"), timeout=30)
        target = lib.name_of(detach).split()[-1]
        assert image.name in virsh("domblklist", DOMAIN, "--inactive"), \
            "the attached file is not in the definition"
        app.click(detach)
        app.find(name=re.compile("^Detach \u201c" + target + "\u201d from"))
        app.click(lib.dialog_button(app, "Detach"))
        app.absent("push button", "Detach " + target, timeout=30)
        assert image.name not in virsh("domblklist", DOMAIN, "--inactive"), \
            "the detached file is still in the definition"
    finally:
        if image.name in virsh("domblklist", DOMAIN, "--inactive", check=False):
            virsh("detach-disk", DOMAIN, image.name, "--config", check=False)
        os.unlink(image.name)


def test_download_a_volume_from_the_storage_page():
    """Issue 5: a volume of the rig's pool downloaded through the Storage page lands in the
    chosen file, byte for byte (the stream goes through the real daemon)."""
    if os.environ.get("KVMM_LIVE") != "1":
        raise lib.Skip("needs the live rig: run tests/live/run.sh")
    import re
    import tempfile
    import test_storage as ts
    import test_templates as tt
    pool, volume = "kvmm-test-pool", "kvmm-test-disk.qcow2"
    path = virsh("vol-path", "--pool", pool, volume)
    out = os.path.join(tempfile.mkdtemp(prefix="kvmm-dl-"), "copy.qcow2")
    app = lib.App(uri=URI)
    ts.open_pool(app, pool)
    lib.menu_item(app, "Actions for \u201c" + volume + "\u201d", "Download…")
    tt.choose_file(app, "Download \u201c" + volume + "\u201d", out)
    app.find(name="\u201c" + volume + "\u201d downloaded.", timeout=60)
    with open(path, "rb") as a, open(out, "rb") as b:
        assert a.read() == b.read(), "the download differs from the volume"


SERIAL_LOG = "/var/log/libvirt/qemu/kvmm-test-guest-serial.log"
MARKER = "KVMM-GUEST-READY"


class GuestShell:
    """The guest's root shell on its serial pty (path from the live domain XML), the way
    tests/live/support.rs's Shell talks to it: `echo <tag>-$(<cmd>)`, where the guest
    computes the tag, so the echoed command line never matches."""

    _probes = 1000 + os.getpid() % 1000 * 100

    def __init__(self):
        import xml.etree.ElementTree as ET
        root = ET.fromstring(virsh("dumpxml", DOMAIN))
        paths = [s.find("source").get("path") for s in root.findall("./devices/serial")
                 if s.get("type") == "pty" and s.find("source") is not None]
        paths = [p for p in paths if p and p.startswith("/dev/pts/")]
        if not paths:
            raise lib.UiError(f"no serial pty in the live XML of {DOMAIN}")
        self.fd = os.open(paths[0], os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.seen = ""

    def _drain(self):
        while True:
            try:
                data = os.read(self.fd, 4096)
            except OSError:  # EAGAIN, or EIO once QEMU is gone
                return
            if not data:
                return
            self.seen += data.decode(errors="replace")

    def run(self, cmd, timeout=10):
        GuestShell._probes += 1
        n = GuestShell._probes
        tag = f"KVMM-UI-{n}-"
        self._drain()
        self.seen = ""
        os.write(self.fd, f"echo KVMM-UI-$(({n - 1}+1))-$({cmd})\n".encode())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._drain()
            i = self.seen.find(tag)
            if i >= 0:
                rest = self.seen[i + len(tag):]
                end = min((j for j in (rest.find("\r"), rest.find("\n")) if j >= 0),
                          default=-1)
                if end >= 0:
                    return rest[:end]
            time.sleep(0.05)
        raise lib.UiError(f"the guest shell did not answer {cmd!r}: {self.seen[-500:]!r}")

    def close(self):
        os.close(self.fd)


def ensure_guest_running():
    """Start the guest with virsh unless it runs, and wait for its ready marker."""
    if domstate() != "running":
        virsh("start", DOMAIN)

        def ready():
            try:
                with open(SERIAL_LOG, errors="replace") as f:
                    return MARKER in f.read()
            except OSError:
                return False
        lib.wait_for(ready, 60, f"{DOMAIN}'s ready marker in {SERIAL_LOG}")


def open_running_guest_tab(tab):
    """The app on the running guest's page, tab `tab` shown; and `mark(what)`, which
    prints how long since the guest was found running."""
    ensure_guest_running()
    t0 = time.monotonic()

    def mark(what):
        print(f"  {what}: {time.monotonic() - t0:.1f}s", flush=True)

    app = lib.App(uri=URI)
    tm.open_machines(app)
    row = tm.search(app, DOMAIN)
    tm.wait_row_state(app, DOMAIN, "Running")
    tm.open_details(app, row)
    app.pointer_click(app.find("page tab", tab))
    return app, mark


def test_performance_chart_and_row_see_a_busy_guest():
    """Issue 6: the guest runs a busy loop; its Performance page's live CPU chart tells a
    screen reader the CPU is above 50 %, and its row in the machines list carries a CPU
    figure ("CPU NN %", the sparkline's accessible name)."""
    if os.environ.get("KVMM_LIVE") != "1":
        raise lib.Skip("needs the live rig: run tests/live/run.sh")
    import re
    import test_monitoring as tmo
    app, mark = open_running_guest_tab("Performance")
    chart = app.find(name="CPU chart")
    mark("Performance page open (Live)")
    shell = GuestShell()
    pid = shell.run("sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $!")
    assert pid.isdigit(), f"busy loop pid {pid!r}"
    try:
        now = re.compile(r"now (\d+(?:\.\d+)?) %")
        seen = []

        def busy():
            text = tmo.description(chart)
            if not seen or seen[-1] != text:
                seen.append(text)
            m = now.search(text)
            return m and float(m.group(1)) > 50
        try:
            lib.wait_for(busy, 45, "the live CPU chart above 50 %")
        except lib.UiError as e:
            raise lib.UiError(f"{e}; descriptions seen: {seen[-10:]}") from None
        mark(f"CPU chart says {tmo.description(chart)!r}")

        tm.press(app, "Back")
        row = tm.find_row(app, DOMAIN)
        figure = re.compile(r"^CPU \d+(\.\d+)? %$")
        spark = app.find(name=figure, root=row, timeout=15)
        mark(f"row shows {lib.name_of(spark)!r}")
    finally:
        shell.run(f"kill {pid}; echo stopped")
        shell.close()


def serial_log():
    try:
        with open(SERIAL_LOG, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def test_console_types_into_the_guest_reboots_it_and_saves_a_screenshot():
    """Issue 7: the Console tab on the real guest (VNC through virDomainOpenGraphicsFD).
    Keys typed into the display reach the shell on the guest's VGA console (tty1), which
    writes to ttyS0, read back in the serial log; Send Key → Ctrl+Alt+Del reboots the
    guest (the kernel is told to reboot on it); Take Screenshot saves the 720×400 text
    screen; the serial console takes typing too."""
    if os.environ.get("KVMM_LIVE") != "1":
        raise lib.Skip("needs the live rig: run tests/live/run.sh")
    import tempfile
    import test_console as tc
    app, mark = open_running_guest_tab("Console")
    display = tc.display_of(app, DOMAIN, timeout=30)
    mark("display connected")

    # Typing: click into the display (focus and keyboard grab), type a command for tty1.
    app.pointer_click(display)
    lib.run(["xdotool", "type", "--delay", "40", "--",
             "echo KVMM-VNC-UI-$((40+2)) > /dev/ttyS0"])
    lib.run(["xdotool", "key", "Return"])
    lib.wait_for(lambda: "KVMM-VNC-UI-42" in serial_log(), 20,
                 "the command typed into the display to run in the guest")
    mark("typed command ran in the guest")

    # Take Screenshot: the VGA text screen, 720×400, not blank.
    folder = tempfile.mkdtemp(prefix="kvmm-shot-")
    path = os.path.join(folder, "guest.png")
    app.click(app.find("push button", "Take Screenshot"))
    tc.choose(app, "Save Screenshot", path, "Save")
    lib.wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 10, path)
    time.sleep(0.3)
    width, height, colours = tc.png_facts(path)
    assert (width, height) == (720, 400), (width, height)
    assert colours >= 2, "the screenshot is blank"
    mark("screenshot saved")

    # Ctrl+Alt+Del from the menu reboots the guest (kernel.ctrl-alt-del=1: reboot at once).
    shell = GuestShell()
    try:
        shell.run("echo 1 > /proc/sys/kernel/ctrl-alt-del; cat /proc/sys/kernel/ctrl-alt-del")
    finally:
        shell.close()
    boots = serial_log().count(MARKER)
    lib.menu_item(app, "Send Key", "Ctrl+Alt+Del")
    lib.wait_for(lambda: serial_log().count(MARKER) > boots, 60,
                 "the guest to reboot after Ctrl+Alt+Del")
    mark("Ctrl+Alt+Del rebooted the guest")

    # The serial console: pick it, type a line, the guest answers on ttyS0.
    app.pointer_click(app.find(name="Select Console"))
    app.find(name="Serial port 1", showing_only=False)
    app.key("Down", "Return")
    terminal = app.find(name=f"Serial port 1 of “{DOMAIN}”", timeout=20)
    app.pointer_click(terminal)
    lib.run(["xdotool", "type", "--delay", "40", "--", "echo KVMM-SER-UI-$((1+1))"])
    lib.run(["xdotool", "key", "Return"])
    lib.wait_for(lambda: "KVMM-SER-UI-2" in serial_log(), 20,
                 "the line typed into the serial console to run")
    mark("serial console answered")
