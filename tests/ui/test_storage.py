"""The Storage page as a person uses it: the pools with their usage, a pool's page with
its volumes, a new volume (and sizes with bad units or beyond the pool's space), a new
directory pool (and a path that does not exist), and deleting a volume a machine uses
(refused with who uses it)."""
import re
import tempfile

import lib
import test_templates as tt


def open_storage(app):
    app.pointer_click(app.find("list item", "Storage"))
    return app.find(name="Storage Pools")


def open_pool(app, name):
    open_storage(app)
    app.pointer_click(lib.row_titled(app, name))
    app.find(name="Volumes")


def test_pools_and_a_new_volume_with_bad_sizes():
    app, _ = tt.start()
    open_storage(app)
    lib.row_titled(app, "default")
    lib.row_titled(app, "data")
    open_pool(app, "default")
    app.find(name="/var/lib/libvirt/images")
    app.find(name="db.qcow2")
    app.click(app.find("push button", "New Volume…"))
    app.focus_titled("New Volume in \u201cdefault\u201d")
    app.type_into(app.find(lib.ENTRY, "Name"), "scratch")
    size = app.find(lib.ENTRY, "Size")
    # A unit that is not one: said inline, nothing created.
    app.set_text(size, "5 parsecs")
    app.click(lib.dialog_button(app, "Create"))
    app.find(name=re.compile(r"parsecs"))
    # More than the pool has free.
    app.set_text(size, "900 GiB")
    app.click(lib.dialog_button(app, "Create"))
    app.find(name=re.compile(r"free", re.I))
    app.absent(name="scratch.qcow2", timeout=2)
    # A good size creates it; the dialog closes and the list shows it.
    app.set_text(size, "2 GiB")
    app.click(lib.dialog_button(app, "Create"))
    app.find(name="scratch.qcow2", timeout=15)
    app.absent(name="New Volume in \u201cdefault\u201d")


def test_new_directory_pool_and_a_missing_path():
    app, _ = tt.start()
    open_storage(app)
    app.click(app.find("push button", "New Storage Pool"))
    app.focus_titled("New Storage Pool")
    app.type_into(app.find(lib.ENTRY, "Name"), "scratch-pool")
    path = app.find(lib.ENTRY, "Directory")
    app.set_text(path, "/nonexistent/kvmm/pool")
    build = app.find(name="Create the directory", role=("switch", "toggle button", "check box"))
    if lib.is_checked(build):
        app.click(build)
    app.click(lib.dialog_button(app, "Create"))
    app.find(name=re.compile(r"/nonexistent/kvmm/pool"))
    app.absent("list item", re.compile(r"^scratch-pool\b"), timeout=2)
    target = tempfile.mkdtemp(prefix="kvmm-pool-")
    app.set_text(path, target)
    app.click(lib.dialog_button(app, "Create"))
    lib.row_titled(app, "scratch-pool", timeout=15)


def test_deleting_a_volume_in_use_is_refused():
    app, _ = tt.start()
    open_pool(app, "default")
    lib.menu_item(app, "Actions for \u201cdb.qcow2\u201d", "Delete…")
    app.find(name="Volume in Use")
    app.find(name=re.compile(r"db\.qcow2.*is a disk of db-paused"))
    app.click(lib.dialog_button(app, "Close"))
    app.find(name="db.qcow2")


def test_a_free_volume_is_deleted_after_confirmation():
    app, _ = tt.start()
    open_pool(app, "default")
    # build.qcow2 belongs to build-off (stopped): a free copy of it is made first.
    lib.menu_item(app, "Actions for \u201cbuild.qcow2\u201d", "Clone…")
    app.focus_titled("Clone \u201cbuild.qcow2\u201d")
    app.click(lib.dialog_button(app, "Clone"))
    app.find(name="build-clone.qcow2", timeout=15)
    lib.menu_item(app, "Actions for \u201cbuild-clone.qcow2\u201d", "Delete…")
    app.find(name="Delete \u201cbuild-clone.qcow2\u201d?")
    app.click(lib.dialog_button(app, "Delete"))
    app.absent(name="build-clone.qcow2", timeout=15)


def test_resize_refuses_to_shrink_and_bad_units():
    app, _ = tt.start()
    open_pool(app, "default")
    lib.menu_item(app, "Actions for \u201cbuild.qcow2\u201d", "Resize…")
    app.focus_titled("Resize \u201cbuild.qcow2\u201d")
    size = app.find(lib.ENTRY, "New size")
    lib.wait_for(lambda: lib.text_of_entry(size) == "40 GiB", 5, "the current size offered")
    app.set_text(size, "20 GiB")
    app.click(lib.dialog_button(app, "Resize"))
    app.find(name=re.compile(r"must be larger than the current 40 GiB"))
    app.set_text(size, "50 parsecs")
    app.click(lib.dialog_button(app, "Resize"))
    app.find(name=re.compile(r"parsecs"))
    app.click(lib.dialog_button(app, "Cancel"))
    app.find(name=re.compile(r"^qcow2 · 40 GiB"))


def test_dashboard_rows_open_the_pool_and_network_pages():
    app, _ = tt.start()
    app.pointer_click(app.find("list item", "Dashboard"))
    app.pointer_click(lib.row_titled(app, "data"))
    app.find(name="web-data.raw", timeout=15)
    app.find("push button", "Pool Menu")
    app.pointer_click(app.find("list item", "Dashboard"))
    app.pointer_click(lib.row_titled(app, "isolated"))
    app.find("push button", "Network Menu", timeout=15)
    app.find(name=re.compile(r"^10\.10\.0\.0/24, gateway 10\.10\.0\.1"))
