"""The machines list and details page, driven as a user would, against the test driver.

Uses tests/fixtures/states.xml when it exists (domains in every state), else libvirt's
built-in test:///default (one running domain, "test", with 2 vCPUs). Every check reads
what is on screen: state labels, row values, dialog headings.
"""
import os
import re
import time

import lib

STATES_FIXTURE = os.path.join(lib.FIXTURES, "states.xml")
STATES = ("Running", "Paused", "Shut Off", "Saved", "Crashed", "Suspended", "Shutting Down",
          "Starting", "Blocked", "Unknown")
WINDOW_TITLE = "KVM Manager"


def uri():
    if os.path.exists(STATES_FIXTURE):
        return "test://" + STATES_FIXTURE
    return "test:///default"


def start(env=None):
    app = lib.App(uri=uri(), env=env)
    lib.wait_for(lambda: lib.name_of(app.window).startswith(WINDOW_TITLE), 10,
                 f"window title {WINDOW_TITLE!r} (it is {lib.name_of(app.window)!r})")
    return app


def open_machines(app):
    app.pointer_click(app.find("list item", "Machines"))
    return app.find(lib.ENTRY, "Search machines")


def rows(app):
    """The VM rows on screen: list items that carry a state label."""
    result = {}
    for item in app.find_all("list item"):
        state = row_state(item)
        if state:
            result[lib.name_of(item)] = item
    return result


def row_state(item):
    """The state a row shows ("Running", or "Running · prod, web" with tags)."""
    for node in lib.walk(item):
        state = lib.name_of(node).split(" · ")[0]
        if lib.role_of(node) == "label" and state in STATES:
            return state
    return None


def find_row(app, name):
    return lib.wait_for(lambda: rows(app).get(name), 10, f"a row for VM {name!r}")


def search(app, name):
    app.type_into(app.find(lib.ENTRY, "Search machines"), name)
    lib.wait_for(lambda: list(rows(app)) == [name], 10,
                 f"only {name!r} listed after searching (listed: {list(rows(app))})")
    return find_row(app, name)


def wait_row_state(app, name, state):
    lib.wait_for(lambda: row_state(find_row(app, name)) == state, 15,
                 f"{name!r} to show {state!r} (shows {row_state(find_row(app, name))!r})")


def details_state(app):
    labels = [lib.name_of(n) for n in app.find_all("label") if lib.name_of(n) in STATES]
    return labels[0] if labels else None


def wait_details_state(app, state):
    lib.wait_for(lambda: details_state(app) == state, 15,
                 f"details page to show {state!r} (shows {details_state(app)!r})")


def pick_vm(app, state):
    """A VM in this state, by name (fixtures differ in their names)."""
    current = lib.wait_for(lambda: rows(app), 10, "any VM row")
    for name, item in current.items():
        if row_state(item) == state:
            return name
    raise lib.UiError(f"no VM in state {state!r}; rows: "
                      f"{ {n: row_state(i) for n, i in current.items()} }")


def open_details(app, item):
    """Open a VM's details the way a user would: click its row; lists that activate on
    double-click or Enter (GtkListView) get Enter on the now-selected row."""
    app.pointer_click(item)
    try:
        return app.find(name=re.compile(r"^vCPUs"), timeout=2)
    except lib.UiError:
        app.key("Return")
        return app.find(name=re.compile(r"^vCPUs"))


def press(app, label):
    button = app.find("push button", label)
    lib.wait_for(lambda: lib.is_sensitive(button), 5, f"{label!r} to be sensitive")
    app.click(button)


def test_window_and_sidebar():
    app = start()
    app.find("list item", "Dashboard")
    app.find("list item", "Machines")
    open_machines(app)
    app.find(name="Filter by state")
    app.find(name="Sort by")
    assert rows(app), "the machines page lists no VM"


def test_lifecycle_from_the_details_page():
    app = start()
    open_machines(app)
    # A persistent machine: a transient one is gone once forced off (tested separately).
    name = "web-uefi" if os.path.exists(STATES_FIXTURE) else pick_vm(app, "Running")
    open_details(app, search(app, name))
    wait_details_state(app, "Running")

    press(app, "Pause")
    wait_details_state(app, "Paused")
    press(app, "Resume")
    wait_details_state(app, "Running")

    press(app, "Force Off")
    heading = f"Force Off \u201c{name}\u201d?"
    app.find(name=heading)
    dialog_buttons = [b for b in app.find_all("push button", "Force Off")
                      if lib.role_of(_toplevel(b)) in ("dialog", "frame", "window")
                      and _toplevel(b) != app.window]
    assert dialog_buttons, "the Force Off dialog has no Force Off button"
    app.find("push button", "Cancel")
    app.click(dialog_buttons[0])
    app.absent(name=heading)
    wait_details_state(app, "Shut Off")

    press(app, "Start")
    wait_details_state(app, "Running")

    press(app, "Back")
    wait_row_state(app, name, "Running")


def test_cancel_keeps_the_machine_running():
    app = start()
    open_machines(app)
    name = pick_vm(app, "Running")
    open_details(app, search(app, name))
    press(app, "Force Off")
    heading = f"Force Off \u201c{name}\u201d?"
    app.find(name=heading)
    app.click(app.find("push button", "Cancel"))
    app.absent(name=heading)
    wait_details_state(app, "Running")


def test_only_valid_actions_are_offered():
    app = start()
    open_machines(app)
    name = pick_vm(app, "Running")
    open_details(app, search(app, name))
    wait_details_state(app, "Running")
    offered = {lib.name_of(b) for b in app.find_all("push button") if lib.is_sensitive(b)}
    for label in ("Shut Down", "Pause", "Force Off"):
        assert label in offered, f"{label!r} missing for a running VM (offered: {offered})"
    for label in ("Start", "Resume"):
        assert label not in offered, f"{label!r} offered for a running VM"


def test_details_show_vcpus():
    app = start()
    open_machines(app)
    name = "test" if uri() == "test:///default" else pick_vm(app, "Running")
    open_details(app, search(app, name))
    # The vCPUs setting shows the current count in its spin button.
    spin = app.find("spin button", "vCPUs")
    value = lib.wait_for(lambda: re.fullmatch(r"\d+", lib.text_of_entry(spin)) and lib.text_of_entry(spin),
                         10, "a number of vCPUs")
    if uri() == "test:///default":
        assert value == "2", f"test:///default's domain has 2 vCPUs, the page says {value}"


def test_main_menu():
    app = start()
    windows_before = len(app.window_ids())
    # A pointer click: GTK 4.8's "click" action on a menu button does not open its popover.
    app.pointer_click(app.find(name="Main Menu"))
    # The popover is its own X window; GTK 4.8 never marks popover menu items as showing,
    # so they are looked up in the whole tree once the window is there.
    lib.wait_for(lambda: len(app.window_ids()) > windows_before, 5, "the menu's popover")
    for item in ("Preferences", "Keyboard Shortcuts", "About KVM Manager"):
        app.find(name=item, showing_only=False)
    # The first item has the keyboard focus: Return opens Preferences.
    app.key("Return")
    lib.wait_for(lambda: "Preferences" in [lib.name_of(w) for w in app.windows()], 10,
                 "the Preferences window")
    app.find(name="Style")
    app.key("Escape")
    lib.wait_for(lambda: "Preferences" not in [lib.name_of(w) for w in app.windows()], 10,
                 "the Preferences window to close")


def test_german_translation():
    po = os.path.join(lib.REPO, "po", "de.po")
    with open(po, encoding="utf-8") as f:
        if 'msgid "Machines"\nmsgstr "Maschinen"' not in f.read():
            raise lib.Skip("po/de.po does not translate \"Machines\" yet")
    app = start(env={"LANGUAGE": "de"})
    app.pointer_click(app.find("list item", "Maschinen"))
    app.find(lib.ENTRY, "Maschinen durchsuchen")
    # State labels and action buttons come translated too.
    app.find("label", "Läuft")
    app.find("push button", re.compile(r"Herunterfahren"))


def test_narrow_window_keyboard_only():
    app = start()
    open_machines(app)
    name = pick_vm(app, "Running")
    app.resize(400, 800)
    row = search(app, name)
    focus_by_tab(app, row)
    # The Menu key opens the row's other actions (a popover: one more X window).
    windows_before = len(app.window_ids())
    app.key("Menu")
    lib.wait_for(lambda: len(app.window_ids()) > windows_before, 5, "the row's action menu")
    app.find(name="Pause", showing_only=False)
    app.key("Escape")
    lib.wait_for(lambda: len(app.window_ids()) == windows_before, 5, "the menu to close")
    focus_by_tab(app, row)
    app.key("Return")
    app.find(name=re.compile(r"^vCPUs"))
    back = app.find("push button", "Back")
    focus_by_tab(app, back)
    app.key("Return")
    find_row(app, name)
    # Folded, the sidebar is off screen: a screen reader must not find it there either.
    app.absent("list item", "Dashboard", timeout=5)
    press(app, "Back")
    app.pointer_click(app.find("list item", "Dashboard"))
    app.find(name="Hypervisor")


def focus_by_tab(app, target, limit=60):
    """Press Tab until target has keyboard focus: proves it is reachable without a mouse."""
    for _ in range(limit):
        if lib.pyatspi.STATE_FOCUSED in lib.states_of(target):
            return
        app.key("Tab")
    raise lib.UiError(f"{lib.role_of(target)} {lib.name_of(target)!r} not reachable with Tab "
                      f"in {limit} presses")


def _toplevel(acc):
    node = acc
    for parent in lib._ancestors(acc):
        if lib.role_of(parent) == "application":
            return node
        node = parent
    return node


def test_state_filter_and_sort():
    app = start()
    open_machines(app)
    lib.wait_for(lambda: len(rows(app)) > 2, 10, "the machines list")
    # Filter by state: open the drop-down, move to "Paused" (All, Running, Paused) with the
    # keyboard and choose it, as a keyboard user would.
    windows_before = len(app.window_ids())
    app.pointer_click(app.find(name="Filter by state"))
    lib.wait_for(lambda: len(app.window_ids()) > windows_before, 5, "the state list")
    app.key("Down", "Down", "Return")
    lib.wait_for(lambda: set(row_state(i) for i in rows(app).values()) == {"Paused"}, 10,
                 f"only paused machines (listed: { {n: row_state(i) for n, i in rows(app).items()} })")
    # Sort by state: with "All States" again, rows come grouped by state.
    app.pointer_click(app.find(name="Filter by state"))
    app.key("Up", "Up", "Return")
    lib.wait_for(lambda: len(rows(app)) > 2, 10, "every machine listed again")
    by_name = list(rows(app))
    assert by_name == sorted(by_name), f"not sorted by name: {by_name}"
    app.pointer_click(app.find(name="Sort by"))
    app.key("Down", "Return")
    lib.wait_for(lambda: list(rows(app)) != by_name, 10, "the order to change when sorted by state")


def test_dashboard_shows_the_host():
    app = start()
    app.pointer_click(app.find("list item", "Dashboard"))
    for title in ("Host name", "Hypervisor", "Libvirt version", "Model", "Total", "Free"):
        app.find(name=title)
    # The test driver's host: 16 logical CPUs and 32 GiB of memory.
    app.find("label", "16")
    app.find("label", "32 GiB")


def test_vanished_machine_closes_its_page_with_a_message():
    if not os.path.exists(STATES_FIXTURE):
        raise lib.Skip("needs the states fixture (its transient machine)")
    app = start()
    open_machines(app)
    open_details(app, search(app, "transient-job"))
    wait_details_state(app, "Running")
    # Forcing off a transient machine removes it: the page says so instead of going stale.
    press(app, "Force Off")
    app.find(name="Force Off \u201ctransient-job\u201d?")
    dialog_buttons = [b for b in app.find_all("push button", "Force Off")
                      if _toplevel(b) != app.window]
    app.click(dialog_buttons[0])
    app.find(name=re.compile(r"transient-job\u201d no longer exists"))


def gsetting(key):
    out = lib.run(["gsettings", "get", "io.github.kvmmanager.KvmManager", key])
    return out.strip().strip("'")


def test_dark_style_override_is_saved():
    app = start()
    app.key("ctrl+comma")
    lib.wait_for(lambda: "Preferences" in [lib.name_of(w) for w in app.windows()], 10,
                 "the Preferences window")
    # The Style row lists Follow System, Light, Dark: pick Dark with the keyboard.
    windows_before = len(app.window_ids())
    app.pointer_click(app.find(name="Style"))
    lib.wait_for(lambda: len(app.window_ids()) > windows_before, 5, "the style list")
    # Straight to the popover (app.key would give the focus back to the main window).
    lib.run(["xdotool", "key", "--delay", "40", "Down", "Down", "Return"])
    lib.wait_for(lambda: gsetting("color-scheme") == "force-dark", 10,
                 f"color-scheme to be saved as force-dark (it is {gsetting('color-scheme')!r})")
    app.quit()
    # A new start keeps it, and the window is drawn dark (mean brightness of its pixels).
    app = start()
    assert gsetting("color-scheme") == "force-dark"
    shot = os.path.join(lib.REPO, "build", "ui-home", "dark-check.png")
    time.sleep(0.5)
    app.screenshot(shot)
    mean = lib.run(["convert", shot, "-colorspace", "Gray", "-format", "%[fx:mean]", "info:"])
    assert float(mean) < 0.4, f"the window is not dark (mean brightness {mean})"
    lib.run(["gsettings", "reset", "io.github.kvmmanager.KvmManager", "color-scheme"])


def test_lifecycle_shortcuts_act_on_the_selected_machine():
    app = start()
    open_machines(app)
    name = "web-uefi" if os.path.exists(STATES_FIXTURE) else pick_vm(app, "Running")
    row = search(app, name)
    app.pointer_click(row)
    app.key("ctrl+shift+p")
    wait_row_state(app, name, "Paused")
    app.key("ctrl+shift+u")
    wait_row_state(app, name, "Running")
