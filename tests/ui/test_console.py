"""The Console tab as a person uses it, against the test driver and a real VNC server.

The states fixture's web-uefi has `<graphics type='vnc' port='5901' listen='127.0.0.1'>`.
The test driver cannot hand out display sockets (virDomainOpenGraphicsFD), so the app falls
back to that address, where these tests start a real QEMU: no guest code runs (-S), and
its VGA card shows QEMU's own "Guest has not initialized the display" text, a real frame
from a real VNC server. The console with a booted guest (typing, Ctrl+Alt+Del rebooting
it) is tests/ui/live_machines.py's.
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

import lib
import test_machines as tm

VNC_DISPLAY = 1  # port 5901, as in tests/fixtures/states.xml
PASSWORD = "hunter2"


class QemuVnc:
    """QEMU with only a VGA card, serving VNC on 127.0.0.1:5900+display."""

    def __init__(self, display=VNC_DISPLAY, password=None):
        qemu = shutil.which("qemu-system-x86_64")
        if not qemu:
            if os.environ.get("KVMM_LIVE_REQUIRED") == "1":
                raise lib.UiError("qemu-system-x86_64 is missing (tests/live/rig.py deps)")
            raise lib.Skip("qemu-system-x86_64 is not installed (tests/live/rig.py deps)")
        vnc = f"127.0.0.1:{display}"
        argv = [qemu, "-nodefaults", "-machine", "pc", "-accel", "tcg", "-S",
                "-vga", "std", "-display", "none"]
        if password:
            argv += ["-object", f"secret,id=vncpw,data={password}"]
            vnc += ",password-secret=vncpw"
        argv += ["-vnc", vnc]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port = 5900 + display

        def listening():
            if self.proc.poll() is not None:
                raise lib.UiError(f"QEMU exited: {self.proc.stderr.read().decode()[-500:]}")
            with open("/proc/net/tcp") as f:
                return any(f":{port:04X} " in line and line.split()[3] == "0A" for line in f)
        lib.wait_for(listening, 15, f"QEMU's VNC server on port {port}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def choose(app, title, path, accept):
    """Type a path into GTK's file chooser dialog titled `title` and accept it."""
    app.focus_titled(title)
    app.key("ctrl+l", "ctrl+a")
    lib.run(["xdotool", "type", "--delay", "15", "--", path])
    app.click(lib.dialog_button(app, accept))


def open_console(app, vm):
    tm.open_machines(app)
    tm.open_details(app, tm.search(app, vm))
    app.pointer_click(app.find("page tab", "Console"))


def display_of(app, vm, timeout=20):
    return app.find(name=f"Display of “{vm}”", timeout=timeout)


def png_facts(path):
    """(width, height, distinct colours) of a PNG, read by ImageMagick."""
    out = subprocess.run(["identify", "-format", "%w %h %k", path], capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


def test_console_shows_the_display_sends_keys_and_saves_a_screenshot():
    with QemuVnc(), tm.start() as app:
        open_console(app, "web-uefi")
        display_of(app, "web-uefi")

        lib.menu_item(app, "Send Key", "Ctrl+Alt+Del")
        app.find(name="Sent Ctrl+Alt+Del", timeout=5)

        # Take Screenshot: the file chooser, a name, Save; the PNG is QEMU's 640×480
        # screen with its text on it (more than one colour).
        folder = tempfile.mkdtemp(prefix="kvmm-shot-")
        path = os.path.join(folder, "console.png")
        app.click(app.find("push button", "Take Screenshot"))
        choose(app, "Save Screenshot", path, "Save")
        lib.wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 10,
                     f"the screenshot at {path}")
        time.sleep(0.3)  # the file is written in one go, but let the writer close it
        width, height, colours = png_facts(path)
        assert (width, height) == (640, 480), (width, height)
        assert colours >= 2, f"the screenshot is blank ({colours} colour)"

        # The same console in a window of its own, then closed again.
        lib.menu_item(app, "Console Options", "Open in New Window")
        window_title = "web-uefi – Console"
        lib.wait_for(lambda: any(lib.name_of(w) == window_title for w in app.windows()), 10,
                     f"a window titled {window_title!r}")
        second = [d for d in app.find_all(name="Display of “web-uefi”", showing_only=False)]
        lib.wait_for(lambda: len(app.find_all(name="Display of “web-uefi”")) >= 2, 20,
                     f"a display in the new window (found {len(second)})")
        app.focus_titled(window_title)
        app.key("ctrl+w")
        lib.wait_for(lambda: not any(lib.name_of(w) == window_title for w in app.windows()), 10,
                     "the console window to close")


def test_console_on_the_command_line_opens_only_its_window():
    """`kvm-manager --console NAME`, as `virt-manager --show-domain-console`: the console
    window alone; closing it ends the app. An unknown name shows the main window saying so."""
    argv = [lib.APP_BIN, "--connect", tm.uri(), "--console", "web-uefi"]
    with QemuVnc(), lib.App(argv=argv) as app:
        title = "web-uefi – Console"
        lib.wait_for(lambda: lib.name_of(app.window) == title, 10,
                     f"the first window titled {title!r} (it is {lib.name_of(app.window)!r})")
        display_of(app, "web-uefi")
        names = [lib.name_of(w) for w in app.windows()]
        assert names == [title], f"only the console window is shown, not {names}"
        app.focus_titled(title)
        app.key("ctrl+w")
        lib.wait_for(lambda: app.proc.poll() is not None, 10, "the app to end with its window")
        assert app.proc.returncode == 0, f"exit status {app.proc.returncode}\n{app.output()}"

    argv = [lib.APP_BIN, "--connect", tm.uri(), "--console", "no-such-vm"]
    with lib.App(argv=argv) as app:
        app.find(name="There is no machine called “no-such-vm” on this connection.", timeout=10)
        assert lib.name_of(app.window).startswith(tm.WINDOW_TITLE), lib.name_of(app.window)


def test_the_external_viewer_is_explained_when_missing():
    if shutil.which("virt-viewer"):
        raise lib.Skip("virt-viewer is installed here: the missing-viewer path cannot show")
    with QemuVnc(), tm.start() as app:
        open_console(app, "web-uefi")
        display_of(app, "web-uefi")
        lib.menu_item(app, "Console Options", "Open in External Viewer")
        app.find(name="No External Viewer", timeout=10)
        app.find(name=re.compile("sudo apt install virt-viewer"))
        app.click(lib.dialog_button(app, "Close"))
        app.absent(name="No External Viewer")


def test_a_wrong_password_is_refused_and_the_right_one_connects():
    with QemuVnc(password=PASSWORD), tm.start() as app:
        open_console(app, "web-uefi")
        app.find(name="Password Required", timeout=20)
        field = app.find(name="Password")
        app.set_text(field, "wrong")
        app.click(app.find("push button", "Connect"))
        app.find(name=re.compile("^The password was refused"), timeout=20)
        # What was typed is cleared; the page stays for another try.
        field = app.find(name="Password")
        app.set_text(field, PASSWORD)
        app.click(app.find("push button", "Connect"))
        display_of(app, "web-uefi")


def test_no_server_shows_disconnected_and_reconnect_finds_it():
    with tm.start() as app:
        open_console(app, "web-uefi")
        app.find(name="Disconnected", timeout=20)
        with QemuVnc():
            app.click(app.find("push button", "Reconnect"))
            display_of(app, "web-uefi")


def test_a_stopped_machine_offers_start_and_then_says_it_has_no_display():
    with tm.start() as app:
        open_console(app, "build-off")
        app.find(name="Machine Is Not Running", timeout=10)
        app.find(name=re.compile("Start “build-off” to see its console"))
        app.click(app.find("push button", "Start"))
        # build-off has no graphics device: once running, the console says so.
        app.find(name="No Graphical Display", timeout=20)


def test_a_serial_console_the_driver_cannot_open_says_why():
    with QemuVnc(), tm.start() as app:
        open_console(app, "web-uefi")
        display_of(app, "web-uefi")
        app.pointer_click(app.find(name="Select Console"))
        app.find(name="Serial port 1", showing_only=False)
        app.key("Down", "Return")
        # The test driver has no console streams: a clear reason, and a way to retry.
        app.find(name="Disconnected", timeout=20)
        app.find(name=re.compile("cannot open text consoles"))
        app.find("push button", "Reconnect")
