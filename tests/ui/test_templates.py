"""Templates: save a machine as a template, edit it, export, delete, import, and the
errors on the way (a clashing name, a blank name, a damaged file). Each test runs the app
with its own data folder, so it starts with no templates."""
import json
import os
import re
import tempfile

import lib
import test_machines as tm

TEMPLATES_TIMEOUT = 10


def start(uri=None):
    """The app on `uri` (the states fixture by default) with an empty data folder."""
    data = tempfile.mkdtemp(prefix="kvmm-data-")
    app = lib.App(uri=uri or tm.uri(), env={"XDG_DATA_HOME": data})
    lib.wait_for(lambda: lib.name_of(app.window).startswith(tm.WINDOW_TITLE), 10, "the window")
    return app, data


def save_as_template(app, vm, name):
    tm.open_machines(app)
    tm.open_details(app, tm.search(app, vm))
    lib.menu_item(app, "Machine Menu", "Save as Template…")
    entry = app.find(lib.ENTRY, "Template name")
    app.type_into(entry, name)
    app.click(lib.dialog_button(app, "Save"))


def open_templates(app):
    app.pointer_click(app.find("list item", "Templates"))


def template_row(app, name):
    return app.find(name=re.compile(r"^" + re.escape(name) + r"\b"), timeout=TEMPLATES_TIMEOUT)


def choose_file(app, title, path):
    """Answer GTK's file chooser (no portal under test): type the path, press its
    accept button ("Export" or "Import", the title's first word)."""
    app.focus_titled(title)
    app.key("ctrl+l", "ctrl+a")
    lib.run(["xdotool", "type", "--delay", "15", "--", path])
    app.click(lib.dialog_button(app, title.split()[0]))


def test_save_edit_export_delete_import():
    app, data = start()
    save_as_template(app, "web-uefi", "Web base")
    app.find(name="Saved as template \u201cWeb base\u201d")

    open_templates(app)
    row = template_row(app, "Web base")
    assert "vCPU" in lib.name_of(row) or any("vCPU" in lib.name_of(n) for n in lib.walk(row)), \
        f"the row does not summarise the template:\n{lib.dump(row)}"

    # Edit: 3 vCPUs. The row says so afterwards.
    app.click(app.find("push button", "Edit \u201cWeb base\u201d"))
    spin = app.find(name="Virtual CPUs", role="spin button")
    app.type_into(spin, "3", check=False)
    app.key("Tab")
    app.click(lib.dialog_button(app, "Save"))
    app.find(name="Template \u201cWeb base\u201d saved")
    lib.wait_for(lambda: any("3 vCPUs" in lib.name_of(n) for n in lib.walk(template_row(app, "Web base"))),
                 10, "the row to say 3 vCPUs")

    # Export to a file a person picks.
    out = os.path.join(data, "exported.json")
    app.click(app.find("push button", "Export Templates"))
    choose_file(app, "Export Templates", out)
    toast = app.find(name=re.compile(r"^Exported 1 template to "))
    assert lib.name_of(toast).endswith(out), lib.name_of(toast)
    with open(out) as f:
        doc = json.load(f)
    assert doc["format"] == "kvm-manager-templates" and doc["templates"][0]["vcpus"] == 3, doc

    # Delete, confirmed: the empty state says what to do.
    app.click(app.find("push button", "Delete \u201cWeb base\u201d"))
    app.find(name="Delete Template \u201cWeb base\u201d?")
    app.click(lib.dialog_button(app, "Delete"))
    app.find(name="No Templates")

    # Import it back.
    app.click(app.find("push button", "Import Templates"))
    choose_file(app, "Import Templates", out)
    app.find(name="Imported 1 template")
    template_row(app, "Web base")


def test_bad_input_is_refused_with_a_message():
    app, data = start()
    save_as_template(app, "web-uefi", "Dup")
    app.find(name="Saved as template \u201cDup\u201d")
    # The same name again: refused, and the message says why.
    lib.menu_item(app, "Machine Menu", "Save as Template…")
    app.type_into(app.find(lib.ENTRY, "Template name"), "dup")
    app.click(lib.dialog_button(app, "Save"))
    app.find(name=re.compile(r"A template named \u201cdup\u201d already exists"))

    # A blank name in the editor: an inline error, the editor stays open with the input.
    open_templates(app)
    app.click(app.find("push button", "Edit \u201cDup\u201d"))
    name = app.find(lib.ENTRY, "Name")
    app.type_into(name, "   ", check=False)
    app.click(lib.dialog_button(app, "Save"))
    app.find(name="A template needs a name.")
    app.click(lib.dialog_button(app, "Cancel"))
    template_row(app, "Dup")

    # A damaged file: a clear message, nothing imported.
    bad = os.path.join(data, "broken.json")
    with open(bad, "w") as f:
        f.write('{"format": "kvm-manager-templates", ')
    app.click(app.find("push button", "Import Templates"))
    choose_file(app, "Import Templates", bad)
    app.find(name=re.compile(r"is not valid JSON"))
    rows = [n for n in app.find_all(name=re.compile(r"^Dup")) if lib.role_of(n) != "push button"]
    assert rows, "the existing template is still listed"
