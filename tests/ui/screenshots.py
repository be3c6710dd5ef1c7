#!/usr/bin/python3
"""Screenshots of every page, wide (1280x800) and narrow (400x800), light and dark.

Run through `make screenshots` (tests/ui/run.sh --screenshots), which provides Xvfb and the
session bus. Files go to build/screenshots/<page>-<width>-<scheme>.png. Dark mode comes
from ADW_DEBUG_COLOR_SCHEME=prefer-dark, which libadwaita 1.2 reads as the system
preference (the app's own color-scheme setting stays at "default" = follow the system).
Pages that cannot be reached are reported and skipped; the script fails only when none is.
KVMM_SHOTS=storage,network takes only the pages whose names start with one of those.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
import test_console as console_tests  # noqa: E402
import test_create as create  # noqa: E402
import test_machines as ui  # noqa: E402
import test_monitoring as monitoring  # noqa: E402

OUT = os.path.join(lib.REPO, "build", "screenshots")
SIZES = ((1280, 800), (400, 800))
SCHEMES = (("light", "prefer-light"), ("dark", "prefer-dark"))


def open_sidebar(app, label):
    # Narrow windows fold the sidebar: go back to it first when it is off screen.
    if not app.find_all("list item", label):
        for back in app.find_all("push button", "Back"):
            app.click(back)
    app.pointer_click(app.find("list item", label))


def pages(app):
    """(name, how to get there) in the order a user would visit them."""

    def machines():
        open_sidebar(app, "Machines")
        app.find(lib.ENTRY, "Search machines")

    def details():
        machines()
        rows = lib.wait_for(lambda: ui.rows(app), 10, "a VM row")
        ui.open_details(app, next(iter(rows.values())))

    def force_off_dialog():
        details()
        running = [b for b in app.find_all("push button", "Force Off") if lib.is_sensitive(b)]
        if not running:
            raise lib.UiError("the first VM is not running: no Force Off dialog to show")
        app.click(running[0])
        app.find(name=ui.re.compile(r"^Force Off \u201c"))

    def dashboard():
        open_sidebar(app, "Dashboard")

    def machines_grid():
        machines()
        app.click(app.find("push button", "Grid view"))
        app.find(name=ui.re.compile("^Screen of \u201c"), timeout=15)

    def xml():
        details()
        app.pointer_click(app.find("page tab", "XML"))
        app.find(name="Domain XML")

    def welcome():
        app.find("push button", "Open Demo Connection")

    def templates():
        open_sidebar(app, "Templates")
        app.find(name="No Templates")

    def menu_dialog(vm, item, heading):
        machines()
        ui.open_details(app, ui.search(app, vm))
        lib.menu_item(app, "Machine Menu", item)
        app.find(name=heading)

    def new_vm(steps):
        machines()
        app.click(app.find("push button", "New Virtual Machine"))
        app.focus_titled("New Virtual Machine")
        entry = app.find(lib.ENTRY, "ISO file")
        if steps:
            app.type_into(entry, create.make_iso())
        for _ in range(steps):
            create.next_(app)
        time.sleep(0.5)

    def host_page(sidebar, row=None, button=None, heading=None):
        open_sidebar(app, sidebar)
        if row:
            app.pointer_click(app.find("list item", ui.re.compile("^" + row + r"\b")))
        if button:
            app.click(app.find("push button", button))
            app.focus_titled(heading)

    def performance(range_label):
        machines()
        ui.open_details(app, ui.search(app, "web-uefi"))
        app.pointer_click(app.find("page tab", "Performance"))
        app.click(app.find("push button", range_label))
        chart = app.find(name="CPU chart")
        lib.wait_for(lambda: "peak" in monitoring.description(chart), 10, "history drawn")

    def alert_rule_dialog():
        open_sidebar(app, "Alerts")
        app.click(app.find("push button", "New Alert Rule"))
        app.focus_titled("New Alert Rule")

    def preferences():
        app.key("ctrl+comma")
        app.focus_titled("Preferences")
        app.find(name="Metric History")
        time.sleep(1)

    def console(vm):
        machines()
        ui.open_details(app, ui.search(app, vm))
        if vm == "web-uefi":
            # A real VNC server where the fixture's display listens (see test_console).
            SERVERS.append(console_tests.QemuVnc())
        app.pointer_click(app.find("page tab", "Console"))
        if vm == "web-uefi":
            console_tests.display_of(app, vm)
        else:
            app.find(name="Machine Is Not Running")

    return [("dashboard", dashboard), ("machines", machines), ("details", details),
    return [("dashboard", dashboard), ("machines", machines), ("machines-grid", machines_grid),
            ("details", details),
            ("details-xml", xml), ("force-off-dialog", force_off_dialog),
            ("welcome", welcome), ("templates", templates),
            ("new-vm-source", lambda: new_vm(0)), ("new-vm-os", lambda: new_vm(1)),
            ("new-vm-summary", lambda: new_vm(5)),
            ("delete-dialog", lambda: menu_dialog("build-off", "Delete…",
                                                  "Delete \u201cbuild-off\u201d?")),
            ("clone-dialog", lambda: menu_dialog("build-off", "Clone…",
                                                 "Name of the clone")),
            ("storage", lambda: host_page("Storage")),
            ("storage-pool", lambda: host_page("Storage", "default")),
            ("new-pool-dialog", lambda: host_page("Storage", None, "New Storage Pool",
                                                  "New Storage Pool")),
            ("new-volume-dialog", lambda: host_page("Storage", "default", "New Volume…",
                                                    "New Volume in \u201cdefault\u201d")),
            ("networks", lambda: host_page("Networks")),
            ("network", lambda: host_page("Networks", "default")),
            ("new-network-dialog", lambda: host_page("Networks", None, "New Virtual Network",
                                                     "New Virtual Network")),
            ("performance-24h", lambda: performance("24 h")),
            ("performance-7d", lambda: performance("7 d")),
            ("alerts", lambda: (open_sidebar(app, "Alerts"), app.find(name="Rules"))),
            ("new-alert-rule-dialog", alert_rule_dialog),
            ("insights", lambda: (open_sidebar(app, "Insights"),
                                  app.find(name="Most CPU", timeout=20))),
            ("preferences", preferences),
            ("console", lambda: console("web-uefi")),
            ("console-stopped", lambda: console("build-off"))]


# Pages shown on another connection than the fixture: the welcome page appears when the
# daemon cannot be reached (a socket path that does not exist).
# KVMM_SHOTS=storage,network limits the run to pages whose names start so.
ONLY = [o for o in os.environ.get("KVMM_SHOTS", "").split(",") if o]
URIS = {"welcome": "qemu:///system?socket=/nonexistent/libvirt-sock"}
# Pages shown with three days of seeded history (examples/seed_history).
SEEDED = ("dashboard", "performance", "alerts", "insights", "preferences")


# Servers a page started (the console's VNC server), stopped after its screenshot.
SERVERS = []


def seeded():
    data = monitoring.tempfile.mkdtemp(prefix="kvmm-shots-")
    db = os.path.join(data, "kvm-manager", "kvm-manager.db")
    lib.run([monitoring.SEED, db, monitoring.WEB_UUID, "web-uefi", "3"], timeout=120)
    return data


def main():
    os.makedirs(OUT, exist_ok=True)
    taken, missed = [], []
    for scheme, value in SCHEMES:
        for width, height in SIZES:
            for index in range(len(pages(None))):
                name = pages(None)[index][0]
                if ONLY and not any(name.startswith(o) for o in ONLY):
                    continue
                env = {"ADW_DEBUG_COLOR_SCHEME": value}
                if name == "machines-grid":
                    # Its choice of view must not reach the later pages' apps.
                    env["GSETTINGS_BACKEND"] = "memory"
                if name.split("-")[0] in SEEDED:
                    env["XDG_DATA_HOME"] = seeded()
                app = lib.App(uri=URIS.get(name, ui.uri()), env=env)
                try:
                    app.resize(width, height)
                    go = pages(app)[index][1]
                    go()
                    time.sleep(0.5)  # animations (leaflet, dialog fade) end
                    path = os.path.join(OUT, f"{name}-{width}-{scheme}.png")
                    # Whole screen: dialogs are separate windows over the main one.
                    lib.screenshot_screen(path)
                    if width < 1280:
                        lib.run(["convert", path, "-crop", f"{width}x{height}+0+0", path])
                    taken.append(path)
                    print(f"saved {os.path.relpath(path, lib.REPO)}", flush=True)
                except Exception as e:
                    missed.append(f"{name} {width} {scheme}: {str(e).splitlines()[0]}")
                    print(f"could not show {name} at {width} px ({scheme}): "
                          f"{str(e).splitlines()[0]}", flush=True)
                finally:
                    app.quit()
                    while SERVERS:
                        SERVERS.pop().stop()
    print(f"\n{len(taken)} screenshots in {os.path.relpath(OUT, lib.REPO)}/, "
          f"{len(missed)} pages not reached")
    return 0 if taken else 1


if __name__ == "__main__":
    sys.exit(main())
