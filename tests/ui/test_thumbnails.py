"""The machines grid, driven as a user would against the test driver: the header's "Grid
view" toggle shows cards named by their machine; a running machine's card shows its screen
(the test driver's screenshot, named "Screen of “name”"), a shut-off one shows none; Enter
on a card opens the machine's page, and a machine shut down there comes back without a
screen; "List view" brings the rows back.

The app keeps the chosen view in GSettings; GSETTINGS_BACKEND=memory keeps this test's
choice from reaching the other tests.
"""
import os
import re

import lib
import test_machines as ui

ENV = {"GSETTINGS_BACKEND": "memory"}


def screen_of(name):
    return "Screen of \u201c" + name + "\u201d"


def card(app, name):
    """The grid cell of a machine: named by it, holding its name as a label."""
    def find():
        for node in app.find_all(name=name):
            if lib.role_of(node) not in ("label", "image") and \
                    any(lib.role_of(c) == "label" and lib.name_of(c) == name
                        for c in lib.walk(node)):
                return node
        return None
    return lib.wait_for(find, 10, f"a card for {name!r}")


def switch_to(app, label):
    # GTK 4.8 presents toggle buttons as push buttons with a pressed state.
    button = app.find("push button", label)
    app.click(button)
    lib.wait_for(lambda: lib.is_checked(button), 5, f"{label!r} to be on")


def test_grid_shows_the_screens_of_running_machines():
    app = ui.start(env=ENV)
    ui.open_machines(app)
    # A persistent machine: a transient one is gone once shut down.
    running = "web-uefi" if os.path.exists(ui.STATES_FIXTURE) else ui.pick_vm(app, "Running")
    off = ui.pick_vm(app, "Shut Off") if os.path.exists(ui.STATES_FIXTURE) else None
    list_button = app.find("push button", "List view")
    assert lib.is_checked(list_button), "the list is the first view"

    switch_to(app, "Grid view")
    app.absent("list item", running)
    card(app, running)
    # The running machine's screen arrives from the worker (the driver's screenshot).
    app.find(name=screen_of(running), timeout=15)
    if off:
        card(app, off)
        assert not app.find_all(name=screen_of(off)), "a shut-off machine has no screen"

    # The keyboard path: select the card, Enter opens the machine's page. A machine
    # that stops loses its screen.
    ui.open_details(app, card(app, running))
    ui.wait_details_state(app, "Running")
    ui.press(app, "Shut Down")
    ui.wait_details_state(app, "Shut Off")
    ui.press(app, "Back")
    card(app, running)
    app.absent(name=screen_of(running))

    switch_to(app, "List view")
    ui.find_row(app, running)
    app.absent(name=re.compile("^Screen of"))


def test_a_search_narrows_the_grid_too():
    app = ui.start(env=ENV)
    ui.open_machines(app)
    running = ui.pick_vm(app, "Running")
    switch_to(app, "Grid view")
    app.type_into(app.find(lib.ENTRY, "Search machines"), running)
    card(app, running)
    app.find(name=screen_of(running), timeout=15)
    others = [n for n in ("build-off", "db-paused", "crashed-vm") if n != running]
    for name in others:
        assert not app.find_all(name=screen_of(name)), f"{name} filtered out"
