#!/usr/bin/python3
"""A tiny GTK 4 app to prove the UI harness works without KVM Manager.

An entry, a button that copies the entry's text into a label, and a list of two rows.
Run by `run.sh --selftest`.
"""
import sys

import gi

gi.require_version("Gtk", "4.0")
from gi.repository import Gtk  # noqa: E402


def on_activate(app):
    win = Gtk.ApplicationWindow(application=app, title="Harness Selftest")
    win.set_default_size(600, 400)
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=6)
    entry = Gtk.Entry()
    entry.set_placeholder_text("Type here")
    entry.update_property([Gtk.AccessibleProperty.LABEL], ["Input"])
    label = Gtk.Label(label="Nothing yet")
    button = Gtk.Button(label="Copy")
    button.connect("clicked", lambda _b: label.set_label(entry.get_text()))
    entry.connect("activate", lambda _e: label.set_label("Entered: " + entry.get_text()))
    listbox = Gtk.ListBox()
    for name in ("alpha", "beta"):
        row = Gtk.ListBoxRow()
        row.set_child(Gtk.Label(label=name))
        row.update_property([Gtk.AccessibleProperty.LABEL], [name])
        listbox.append(row)
    listbox.connect("row-activated", lambda _l, r: label.set_label("Row " + r.get_child().get_label()))
    # A stack with a hidden page: its contents must not count as visible.
    stack = Gtk.Stack()
    stack.add_named(Gtk.Label(label="Shown page"), "one")
    stack.add_named(Gtk.Label(label="Hidden page"), "two")
    stack.set_visible_child_name("one")
    switch = Gtk.Button(label="Switch page")
    switch.connect("clicked", lambda _b: stack.set_visible_child_name(
        "two" if stack.get_visible_child_name() == "one" else "one"))
    for w in (entry, button, label, listbox, switch, stack):
        box.append(w)
    win.set_child(box)
    win.present()


app = Gtk.Application(application_id="io.github.kvmmanager.HarnessSelftest")
app.connect("activate", on_activate)
sys.exit(app.run(sys.argv[:1]))
