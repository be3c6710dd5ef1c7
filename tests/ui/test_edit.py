"""Editing a machine from its page: rename (and the refusals: running, bad name), vCPUs,
autostart, description, boot order, and tags, which show on the list's rows and filter
it. Each change is read back from the page after libvirt has it."""
import re

import lib
import test_machines as tm
import test_templates as tt


def open_vm(app, name):
    tm.open_machines(app)
    tm.open_details(app, tm.search(app, name))


def subtitle_of(app, title):
    row = app.find("list item", re.compile("^" + re.escape(title)))
    return " ".join(lib.name_of(n) for n in lib.walk(row) if lib.role_of(n) == "label")


def test_rename_and_its_refusals():
    app, _ = tt.start()
    # A machine with snapshots cannot be renamed (QEMU keeps them by name): said up front.
    open_vm(app, "build-off")
    tm.wait_details_state(app, "Shut Off")
    app.click(app.find("push button", "Rename"))
    app.type_into(app.find(lib.ENTRY, "New name"), "build-2")
    app.click(lib.dialog_button(app, "Rename"))
    app.find(name=re.compile(r"Could not change the name of \u201cbuild-off\u201d: .*snapshot"))
    # A crashed machine is not shut off either.
    app.click(app.find("push button", "Back"))
    open_vm(app, "crashed-vm")
    app.click(app.find("push button", "Rename"))
    app.type_into(app.find(lib.ENTRY, "New name"), "crashed-2")
    app.click(lib.dialog_button(app, "Rename"))
    app.find(name=re.compile(r"Shut down \u201ccrashed-vm\u201d to rename it"))


def test_rename_a_shut_off_machine():
    app, _ = tt.start()
    # A running machine cannot be renamed, and the message says how to get there.
    open_vm(app, "web-uefi")
    app.click(app.find("push button", "Rename"))
    app.type_into(app.find(lib.ENTRY, "New name"), "web-2")
    app.click(lib.dialog_button(app, "Rename"))
    app.find(name=re.compile(r"Shut down \u201cweb-uefi\u201d to rename it"))
    tm.press(app, "Force Off")
    app.click(lib.dialog_button(app, "Force Off"))
    tm.wait_details_state(app, "Shut Off")
    # A bad name: refused before libvirt is asked, and the toast says why.
    app.click(app.find("push button", "Rename"))
    app.type_into(app.find(lib.ENTRY, "New name"), "bad name")
    app.click(lib.dialog_button(app, "Rename"))
    app.find(name=re.compile(r"Could not change the name of \u201cweb-uefi\u201d: .*space"))
    # A good one: the page and the list follow.
    app.click(app.find("push button", "Rename"))
    app.type_into(app.find(lib.ENTRY, "New name"), "web-renamed")
    app.click(lib.dialog_button(app, "Rename"))
    app.find(name="The change to \u201cweb-renamed\u201d is in effect.")
    lib.wait_for(lambda: "web-renamed" in subtitle_of(app, "Name"), 10, "the new name on the page")
    app.click(app.find("push button", "Back"))
    tm.find_row(app, "web-renamed")


def test_vcpus_autostart_description_and_boot_order():
    app, _ = tt.start()
    open_vm(app, "build-off")
    spin = app.find("spin button", "vCPUs")
    app.type_into(spin, "3", check=False)
    app.key("Tab")
    app.click(app.find("push button", "Apply vCPUs"))
    app.find(name="The change to \u201cbuild-off\u201d is in effect.")
    lib.wait_for(lambda: lib.text_of_entry(app.find("spin button", "vCPUs")) == "3", 10, "3 vCPUs")

    switch = app.find(name="Start with host", role=("switch", "toggle button", "check box"))
    app.click(switch)
    lib.wait_for(lambda: lib.is_checked(app.find(name="Start with host",
                 role=("switch", "toggle button", "check box"))), 10, "autostart on")

    app.click(app.find("push button", "Edit Description"))
    app.type_into(app.find(lib.ENTRY, "Description"), "nightly builds")
    app.click(lib.dialog_button(app, "Save"))
    lib.wait_for(lambda: "nightly builds" in subtitle_of(app, "Description"), 10, "the description")

    app.click(app.find("push button", "Change Boot Order"))
    app.focus_titled("Boot Order")
    # Uncheck everything: refused inline, nothing saved.
    boxes = [b for b in app.find_all("check box") if lib.toplevel(b) != app.window]
    for b in boxes:
        if lib.is_checked(b):
            app.click(b)
    app.click(lib.dialog_button(app, "Save"))
    app.find(name="Check at least one device to boot from.")
    app.click(boxes[0])
    app.click(lib.dialog_button(app, "Save"))
    app.absent(name="Check at least one device to boot from.")


def test_tags_show_on_rows_and_filter_the_list():
    app, _ = tt.start()
    open_vm(app, "web-uefi")
    entry = app.find(lib.ENTRY, "Add a tag")
    app.type_into(entry, "prod")
    app.key("Return")
    app.find("push button", "Remove tag prod")
    # A bad tag is refused with the rule.
    app.type_into(app.find(lib.ENTRY, "Add a tag"), "a,b")
    app.key("Return")
    # (after the first change's toast has gone: toasts show one at a time)
    app.find(name=re.compile(r"Could not change the tags of \u201cweb-uefi\u201d"), timeout=20)

    app.click(app.find("push button", "Back"))
    search = app.find(lib.ENTRY, "Search machines")
    app.type_into(search, "")
    row = tm.find_row(app, "web-uefi")
    lib.wait_for(lambda: any("prod" in lib.name_of(n) for n in lib.walk(tm.find_row(app, "web-uefi"))),
                 10, "the tag on the row")
    # Filter by the tag: only the tagged machine is left.
    before = len(app.window_ids())
    app.pointer_click(app.find(name="Filter by tag"))
    lib.wait_for(lambda: len(app.window_ids()) > before, 5, "the tag list")
    app.key("Down", "Return")
    lib.wait_for(lambda: list(tm.rows(app)) == ["web-uefi"], 10,
                 f"only web-uefi listed (listed: {list(tm.rows(app))})")

    # Removing the tag: the filter empties and the tag is gone from the page.
    tm.open_details(app, tm.find_row(app, "web-uefi"))
    app.click(app.find("push button", "Remove tag prod"))
    app.absent("push button", "Remove tag prod")
