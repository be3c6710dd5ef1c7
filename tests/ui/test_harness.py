"""Self-test of the harness against selftest_app.py (a plain GTK 4 app): if these fail,
the environment (Xvfb, session bus, AT-SPI) is broken, not KVM Manager."""
import os

import lib

SELFTEST = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "selftest_app.py")]


def start():
    return lib.App(argv=["/usr/bin/python3"] + SELFTEST, name="selftest")


def test_harness_find_click_type_read():
    app = start()
    assert lib.name_of(app.window) == "Harness Selftest", lib.name_of(app.window)
    entry = app.find(lib.ENTRY, "Input")
    app.type_into(entry, "hello world")
    app.click(app.find("push button", "Copy"))
    app.find("label", "hello world")
    app.set_text(entry, "set directly")
    app.click(app.find("push button", "Copy"))
    app.find("label", "set directly")


def test_harness_rows_keys_resize_screenshot():
    app = start()
    app.pointer_click(app.find("list item", "beta"))
    app.find("label", "Row beta")
    app.type_into(app.find(lib.ENTRY, "Input"), "typed")
    app.key("Return")
    app.find("label", "Entered: typed")
    app.resize(400, 600)
    shot = app.screenshot(os.path.join(lib.REPO, "build", "ui-selftest", "narrow.png"))
    assert os.path.getsize(shot) > 1000, "screenshot is empty"


def test_harness_hidden_stack_page_is_not_found():
    app = start()
    app.find("label", "Shown page")
    assert not app.find_all("label", "Hidden page"), "a hidden stack page counted as visible"
    app.click(app.find("push button", "Switch page"))
    app.find("label", "Hidden page")
    app.absent("label", "Shown page")
