"""The welcome page: no daemon, bad addresses typed by the user, and the way on to the demo.

The app is pointed at a libvirt socket that does not exist, which is exactly what a user
without a running libvirtd sees; nothing here needs a daemon.
"""
import re

import lib

NO_DAEMON = "qemu:///system?socket=/nonexistent/libvirt-sock"


def start_without_daemon():
    app = lib.App(uri=NO_DAEMON)
    app.find(name="No Libvirt Daemon Running")
    return app


def test_no_daemon_says_so_and_offers_the_demo():
    app = start_without_daemon()
    # The reason and what to do, in plain words.
    app.find(name=re.compile(r"libvirt-sock"))
    app.find(name=re.compile(r"service is running"))
    app.click(app.find("push button", "Open Demo Connection"))
    # The demo host's one machine, "test", is listed and running.
    app.pointer_click(app.find("list item", "Machines"))
    row = app.find("list item", "test")
    assert lib.name_of(row) == "test"
    app.find("label", "Running")


def test_text_that_is_not_a_uri_is_refused_in_place():
    app = start_without_daemon()
    entry = app.find(lib.ENTRY, "Connection URI")
    app.type_into(entry, "just some words")
    app.key("Return")
    app.find(name=re.compile(r"is not a libvirt URI"))
    # Still on the welcome page, still usable.
    app.find("push button", "Open Demo Connection")


def test_unknown_driver_is_an_invalid_uri_not_a_crash():
    app = start_without_daemon()
    entry = app.find(lib.ENTRY, "Connection URI")
    app.type_into(entry, "bogus:///system")
    app.key("Return")
    app.find(name="Invalid Connection URI")
    app.find(name=re.compile(r"“bogus” is not a libvirt driver"))
    assert app.proc.poll() is None, "the app exited after a bad URI"
    # A good URI afterwards connects.
    app.type_into(entry, "test:///default")
    app.key("Return")
    app.find("list item", "Machines")


def test_empty_uri_asks_for_one():
    app = start_without_daemon()
    app.click(app.find("push button", "Connect"))
    app.find(name=re.compile(r"^Type a libvirt URI"))
