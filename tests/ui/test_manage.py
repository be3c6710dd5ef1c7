"""Delete (with and without its disks, a running machine), clone (and its bad names),
XML export and import (and a damaged file, a name clash), and the XML editor's inline
errors, all from the machine's page and the list, as a person would."""
import json
import os
import re
import tempfile

import lib
import test_machines as tm
import test_templates as tt
import test_edit as te


def menu(app, item):
    lib.menu_item(app, "Machine Menu", item)


def test_delete_with_and_without_disks():
    app, _ = tt.start()
    # A running machine: the dialog says it will be forced off; cancel keeps it.
    te.open_vm(app, "web-uefi")
    menu(app, "Delete…")
    app.find(name="Delete \u201cweb-uefi\u201d?")
    app.find(name=re.compile(r"\u201cweb-uefi\u201d is running: it will be forced off first"))
    app.click(lib.dialog_button(app, "Cancel"))
    app.absent(name="Delete \u201cweb-uefi\u201d?")

    # With its disk (checked by default).
    app.click(app.find("push button", "Back"))
    te.open_vm(app, "build-off")
    menu(app, "Delete…")
    app.find(name="Delete \u201cbuild-off\u201d?")
    disk = app.find("check box", re.compile(r"^Delete vda"))
    assert lib.is_checked(disk), "the machine's own disk is checked"
    app.click(lib.dialog_button(app, "Delete"))
    app.find(name="\u201cbuild-off\u201d was deleted \u00b7 1 disk deleted")
    tm.open_machines(app)
    lib.wait_for(lambda: "build-off" not in tm.rows(app), 10, "build-off gone from the list")

    # Without its disk, from the list with the Delete key.
    row = tm.search(app, "db-paused")
    app.pointer_click(row)
    app.key("Delete")
    app.find(name="Delete \u201cdb-paused\u201d?")
    disk = app.find("check box", re.compile(r"^Delete vda"))
    if lib.is_checked(disk):
        app.click(disk)
    app.click(lib.dialog_button(app, "Delete"))
    app.find(name="\u201cdb-paused\u201d was deleted")


def test_clone_and_its_bad_names():
    app, _ = tt.start()
    te.open_vm(app, "build-off")
    menu(app, "Clone…")
    app.focus_titled("Clone \u201cbuild-off\u201d")
    name = app.find(lib.ENTRY, "Name of the clone")
    lib.wait_for(lambda: lib.text_of_entry(name) == "build-off-clone", 5, "the suggested name")
    app.type_into(name, "bad name")
    app.click(lib.dialog_button(app, "Clone"))
    app.find(name=re.compile(r"cannot contain a space"))
    app.type_into(name, "web-uefi")
    app.click(lib.dialog_button(app, "Clone"))
    app.find(name=re.compile(r"web-uefi.*(exists|taken)"))
    # The second disk is 100 GiB in a pool without that much room: libvirt says so
    # inline, nothing is left behind, and sharing that disk instead works.
    app.type_into(name, "build-copy")
    app.click(lib.dialog_button(app, "Clone"))
    app.find(name=re.compile(r"Not enough free space"))
    vdb = app.find("combo box", re.compile(r"^vdb"))
    before = len(app.window_ids())
    app.pointer_click(vdb)
    lib.wait_for(lambda: len(app.window_ids()) > before, 5, "the Copy/Share list")
    app.key("Down", "Return")
    app.click(lib.dialog_button(app, "Clone"))
    # The clone's page opens (its toast may be gone already on a busy machine).
    app.absent(name="Clone \u201cbuild-off\u201d", timeout=20)
    lib.wait_for(lambda: "build-copy" in te.subtitle_of(app, "Name"), 20, "the clone's page")
    app.find(name=re.compile(r"^vda"))
    app.click(app.find("push button", "Back"))
    tm.search(app, "build-copy")


def choose(app, title, path, accept):
    app.focus_titled(title)
    app.key("ctrl+l", "ctrl+a")
    lib.run(["xdotool", "type", "--delay", "15", "--", path])
    app.click(lib.dialog_button(app, accept))


def test_export_then_import_and_bad_files():
    app, data = tt.start()
    out = os.path.join(data, "build.xml")
    te.open_vm(app, "build-off")
    menu(app, "Export XML…")
    choose(app, "Export the Machine\u2019s XML", out, "Export")
    app.find(name="Saved to " + out)
    with open(out) as f:
        assert "<name>build-off</name>" in f.read()

    # Importing it while the machine exists: refused, naming the clash.
    app.click(app.find("push button", "Back"))
    app.click(app.find("push button", "Import Machine from XML"))
    choose(app, "Import a Machine from XML", out, "Import")
    app.find(name=re.compile(r"could not be imported: .*build-off"))

    # A damaged file: the line and column of the problem.
    bad = os.path.join(data, "bad.xml")
    with open(bad, "w") as f:
        f.write("<domain type='test'>\n  <name>x</name>\n  <memory>1\n")
    app.click(app.find("push button", "Import Machine from XML"))
    choose(app, "Import a Machine from XML", bad, "Import")
    app.find(name=re.compile(r"could not be imported: .*[Ll]ine \d+"))

    # Delete the machine (keeping its disk), then import it back.
    te.open_vm(app, "build-off")
    menu(app, "Delete…")
    disk = app.find("check box", re.compile(r"^Delete vda"))
    if lib.is_checked(disk):
        app.click(disk)
    app.click(lib.dialog_button(app, "Delete"))
    app.find(name="\u201cbuild-off\u201d was deleted")
    tm.open_machines(app)
    app.click(app.find("push button", "Import Machine from XML"))
    choose(app, "Import a Machine from XML", out, "Import")
    app.find(name="\u201cbuild-off\u201d was imported")


def test_xml_editor_shows_errors_inline():
    app, _ = tt.start()
    te.open_vm(app, "build-off")
    app.click(app.find("page tab", "XML"))
    view = app.find(name="Domain XML", role="text")
    lib.wait_for(lambda: "<domain" in lib.text_of_entry(view), 10, "the XML")
    save = app.find("push button", "Save")
    assert not lib.is_sensitive(save), "nothing to save before an edit"
    app.pointer_click(view)
    app.key("ctrl+End")
    lib.run(["xdotool", "type", "--delay", "10", "<broken>"])
    lib.wait_for(lambda: lib.is_sensitive(save), 5, "Save to be sensitive after an edit")
    app.click(save)
    err = app.find(role="label", name=re.compile(r"([Ll]ine \d+|XML)"))
    app.click(app.find("push button", "Revert"))
    lib.wait_for(lambda: "<broken>" not in lib.text_of_entry(view), 5, "the text reverted")


def test_network_and_pool_xml_editors():
    app, _ = tt.start()
    app.pointer_click(app.find("list item", "Dashboard"))
    for button, title in (("Edit the XML of \u201cisolated\u201d", "Network \u201cisolated\u201d"),
                          ("Edit the XML of \u201cdata\u201d", "Storage Pool \u201cdata\u201d")):
        app.click(app.find("push button", button))
        app.focus_titled(title)
        view = app.find(name="XML", role="text")
        lib.wait_for(lambda: "<name>" in lib.text_of_entry(view), 10, "the XML")
        # Renaming through the XML would define a second object: refused inline.
        text = lib.text_of_entry(view)
        name = re.search(r"<name>([^<]+)</name>", text).group(1)
        line = next(i for i, l in enumerate(text.split("\n")) if f"<name>{name}</name>" in l)
        app.pointer_click(view)
        app.key("ctrl+Home", *(["Down"] * line), "End", *(["Left"] * len("</name>")))
        lib.run(["xdotool", "type", "--delay", "10", "--", "-x"])
        lib.wait_for(lambda: f"<name>{name}-x</name>" in lib.text_of_entry(view), 5, "the edit")
        save = lib.dialog_button(app, "Save")
        lib.wait_for(lambda: lib.is_sensitive(save), 5, "Save after an edit")
        app.click(save)
        app.find(role="label", name=re.compile(r"name", re.I))
        app.click(lib.dialog_button(app, "Revert"))
        lib.wait_for(lambda: f"<name>{name}</name>" in lib.text_of_entry(view), 5, "reverted")
        app.key("Escape")
        app.absent(name=title)
