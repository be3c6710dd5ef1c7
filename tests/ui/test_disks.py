"""Disks on the details page: the list with its per-disk actions, the detach confirmation,
and the "Attach Disk…" dialog with its inline validation.

The app runs on libvirt's test driver, which cannot attach, detach or change devices
(libvirt answers "not supported"). So these tests check everything up to that call: the
list, the dialog and every refusal it shows (a bad size, a size beyond the pool, a target
in use or not named for its bus, SATA on a running machine, a file that does not exist),
and that a valid request reaches libvirt and its refusal is shown in the dialog. The real
hot-plug and detach are tested on the live rig (tests/live/hotplug.rs)."""
import os
import re
import tempfile

import lib
import test_edit as te
import test_templates as tt

SHOTS = os.path.join(lib.REPO, "build", "screenshots")
DIALOG = re.compile("^Attach a Disk to \u201c")


def find_below(app, role, name):
    """A widget that may be below the fold of the details page (GTK maps it, so it is
    found among the showing ones; clicks go through its AT-SPI action)."""
    return app.find(role, name)


def open_attach(app, vm):
    app.click(find_below(app, "push button", "Attach Disk\u2026"))
    app.focus_titled("Attach a Disk to \u201c" + vm + "\u201d")
    return app.find("push button", "Attach")


def message(app, pattern):
    """The dialog's inline message matching `pattern`."""
    return app.find("label", re.compile(pattern))


def choose(app, combo_name, downs):
    """Pick the item `downs` steps below the current one in a combo row."""
    combo = app.find("combo box", re.compile("^" + re.escape(combo_name)))
    before = len(app.window_ids())
    app.pointer_click(combo)
    lib.wait_for(lambda: len(app.window_ids()) > before, 5, f"the {combo_name} list")
    app.key(*(["Down"] * downs), "Return")


def test_disks_listed_with_actions_and_detach_confirmed():
    app, _ = tt.start()
    te.open_vm(app, "web-uefi")
    # Each disk with its actions, named after it; the empty CD-ROM cannot be ejected.
    for name in ("Detach vda", "Detach vdb", "Detach sda", "Change Media in sda\u2026"):
        find_below(app, "push button", name)
    eject = find_below(app, "push button", "Eject sda")
    assert not lib.is_sensitive(eject), "an empty drive offers Eject"
    app.find(name=re.compile(r"^vdb \u00b7 VirtIO Disk"))
    os.makedirs(SHOTS, exist_ok=True)
    app.screenshot(os.path.join(SHOTS, "disks-page.png"))
    # Detach asks first and names the disk and its storage.
    app.click(find_below(app, "push button", "Detach vdb"))
    app.find(name="Detach \u201cvdb\u201d from \u201cweb-uefi\u201d?")
    app.find(name=re.compile(r"/srv/images/web-data\.raw.*is kept"))
    app.click(lib.dialog_button(app, "Detach"))
    # The test driver cannot detach: the toast says what failed and why.
    app.find(name=re.compile(
        r"^Could not detach \u201cvdb\u201d from \u201cweb-uefi\u201d: .*not supported"))


def test_disks_attach_dialog_validates_inline():
    app, _ = tt.start()
    te.open_vm(app, "build-off")
    attach = open_attach(app, "build-off")
    # A new 10 GiB qcow2 volume in "default" is ready to go.
    lib.wait_for(lambda: lib.is_sensitive(attach), 5, "Attach to be ready")
    size = app.find(lib.ENTRY, "Size")
    app.type_into(size, "ten")
    message(app, r"^\u201cten\u201d is not a size: enter a number")
    assert not lib.is_sensitive(attach)
    app.type_into(size, "0")
    message(app, r"needs a size above zero")
    # The test driver's "default" pool has well under 500 GiB free.
    app.type_into(size, "500")
    message(app, r"^500 GiB does not fit into pool \u201cdefault\u201d: it has \d+ GiB free")
    app.type_into(size, "16")
    lib.wait_for(lambda: lib.is_sensitive(attach), 5, "Attach with 16 GiB")
    # Targets: named for the bus, and free.
    target = app.find(lib.ENTRY, re.compile(r"^Target \(empty: vdc\)"))
    app.type_into(target, "sdb")
    message(app, r"^\u201csdb\u201d is not a name for a VirtIO disk")
    app.type_into(target, "vdb")
    message(app, r"already has a disk \u201cvdb\u201d")
    app.type_into(target, "vdd")
    lib.wait_for(lambda: lib.is_sensitive(attach), 5, "Attach with target vdd")
    app.screenshot(os.path.join(SHOTS, "disks-attach-dialog.png"), whole_screen=True)

    # An image file: one that does not exist is refused by the backend, shown inline.
    choose(app, "Source", 2)
    path = app.find(lib.ENTRY, "Image file")
    app.type_into(path, "/nonexistent/disc.iso")
    app.click(attach)
    message(app, r"\u201c/nonexistent/disc\.iso\u201d does not exist\.")
    # A real one reaches libvirt, whose test driver cannot attach devices.
    with tempfile.NamedTemporaryFile(suffix=".img") as f:
        f.write(b"\0" * 4096)
        f.flush()
        app.type_into(path, f.name)
        app.click(attach)
        message(app, r"not supported")
    app.find(name=DIALOG)


def test_disks_sata_refused_on_a_running_machine():
    app, _ = tt.start()
    te.open_vm(app, "web-uefi")
    open_attach(app, "web-uefi")
    app.find(name=re.compile(r"^The machine is running: the disk is added now"))
    choose(app, "Bus", 1)
    message(app, r"^QEMU cannot add a SATA device to the running machine \u201cweb-uefi\u201d")
