"""The creation wizard, walked as a person would: an ISO (its OS detected), resources,
a new disk, the NAT network, a name, Create; then the bad input on each step, the XML
customisation, and a machine from a template whose network is gone."""
import os
import re
import tempfile

import lib
import test_machines as tm
import test_templates as tt


# GTK 4.8 gives grouped check buttons the check box role (radio button from 4.10).
RADIO = ("radio button", "check box")


def make_iso(volume_id="Debian 11.0.0 amd64 n"):
    """A file with an ISO 9660 primary volume descriptor: what the wizard reads."""
    fd, path = tempfile.mkstemp(prefix="kvmm-", suffix=".iso")
    with os.fdopen(fd, "wb") as f:
        f.write(b"\0" * 32768)
        pvd = bytearray(2048)
        pvd[0] = 1
        pvd[1:6] = b"CD001"
        pvd[6] = 1
        pvd[40:72] = volume_id.encode().ljust(32, b" ")
        f.write(pvd)
        f.write(b"\0" * 2048)
    return path


def open_wizard(app):
    tm.open_machines(app)
    app.click(app.find("push button", "New Virtual Machine"))
    app.focus_titled("New Virtual Machine")
    return app.find(lib.ENTRY, "ISO file")


def step(app, title):
    app.find(name=re.compile(re.escape(title)))


def next_(app, label="Next"):
    button = lib.dialog_button(app, label)
    lib.wait_for(lambda: lib.is_sensitive(button), 10, f"{label!r} to be sensitive")
    app.click(button)


def test_iso_to_running_machine():
    app, _ = tt.start()
    iso = make_iso()
    app.type_into(open_wizard(app), iso)
    next_(app)
    app.find(name="Detected from the ISO: Debian 11. Choose another if that is wrong.")
    app.find(name="Chosen: Debian 11")
    next_(app)
    step(app, "Step 3 of 6")
    vcpus = app.find("spin button", "Virtual CPUs")
    app.type_into(vcpus, "3", check=False)
    app.key("Tab")
    next_(app)
    step(app, "Step 4 of 6")
    next_(app)
    step(app, "Step 5 of 6")
    next_(app)
    step(app, "Step 6 of 6")
    name = app.find(lib.ENTRY, "Name")
    app.type_into(name, "new-debian")
    app.find(name="New 20 GiB disk in pool \u201cdefault\u201d")
    next_(app, "Create")
    # The machine's page opens; it is running (started after creation) with 3 vCPUs.
    app.find(name="\u201cnew-debian\u201d started")
    tm.wait_details_state(app, "Running")
    spin = app.find("spin button", "vCPUs")
    lib.wait_for(lambda: lib.text_of_entry(spin) == "3", 10, "3 vCPUs on the new machine's page")
    app.find(name=re.compile(r"^vda"))
    app.click(app.find("push button", "Back"))
    tm.find_row(app, "new-debian")


def test_bad_input_on_each_step():
    app, _ = tt.start()
    # Source: a file that does not exist, then one that is not an ISO.
    entry = open_wizard(app)
    app.type_into(entry, "/nonexistent/disc.iso")
    next_(app)
    app.find(name=re.compile(r"/nonexistent/disc\.iso"))
    step(app, "Step 1 of 6")
    fd, not_iso = tempfile.mkstemp(suffix=".iso")
    os.write(fd, b"hello")
    os.close(fd)
    app.type_into(entry, not_iso)
    next_(app)
    app.find(name=re.compile(r"not an? (ISO|installation)", re.I))
    # A URL that is not http(s).
    app.click(app.find(RADIO, "Network install"))
    app.type_into(app.find(lib.ENTRY, "URL"), "ftp://example.org/x.iso")
    next_(app)
    app.find(name=re.compile(r"http", re.I))
    step(app, "Step 1 of 6")
    # No media: on to storage, where a disk larger than the pool is refused.
    app.click(app.find(RADIO, "No installation media"))
    next_(app)
    step(app, "Step 2 of 6")
    next_(app)
    step(app, "Step 3 of 6")
    next_(app)
    size = app.find("spin button", "Size (GiB)")
    app.type_into(size, "5000", check=False)
    app.key("Tab")
    next_(app)
    app.find(name=re.compile(r"The pool \u201cdefault\u201d has .* free; the new disk needs 4\.9 TiB"))
    step(app, "Step 4 of 6")
    app.type_into(size, "10", check=False)
    app.key("Tab")
    next_(app)
    next_(app)
    # Names: a clash and bad characters, said inline; nothing is created.
    name = app.find(lib.ENTRY, "Name")
    app.type_into(name, "web-uefi")
    app.find(name=re.compile(r"A virtual machine named \u201cweb-uefi\u201d already exists"))
    app.type_into(name, "two words")
    next_(app, "Create")
    app.find(name=re.compile(r"cannot contain a space"))
    step(app, "Step 6 of 6")
    lib.dialog_button(app, "Cancel")
    app.key("Escape")
    app.absent(name=re.compile("Step 6 of 6"))
    tm.open_machines(app)
    assert "two words" not in tm.rows(app)


def test_customise_xml_before_install():
    app, _ = tt.start()
    open_wizard(app)
    app.click(app.find(RADIO, "No installation media"))
    for _ in range(5):
        next_(app)
    step(app, "Step 6 of 6")
    app.type_into(app.find(lib.ENTRY, "Name"), "custom-xml")
    app.click(app.find("check box", "Customise configuration before install"))
    next_(app, "Customise…")
    xml = app.find(name="Domain XML", role="text")
    lib.wait_for(lambda: "<domain" in lib.text_of_entry(xml), 10, "the proposed XML")
    # Break it: libvirt's refusal shows above the text, and the window stays.
    app.pointer_click(xml)
    app.key("ctrl+Home")
    lib.run(["xdotool", "type", "--delay", "10", "<oops"])
    lib.wait_for(lambda: "<oops" in lib.text_of_entry(xml), 5,
                 f"the typed text in the editor (it has {lib.text_of_entry(xml)[:80]!r})")
    next_(app, "Create")
    app.find(name=re.compile(r"(XML|xml|line \d+)"), role="label")
    step(app, "Customise the Configuration")
    app.click(lib.dialog_button(app, "Revert"))
    next_(app, "Create")
    app.find(name="\u201ccustom-xml\u201d started")


def test_new_machine_from_a_template_whose_network_is_gone():
    app, _ = tt.start()
    tt.save_as_template(app, "web-uefi", "Web base")
    # The template's own row proves the save (its toast can be gone before it is read).
    tt.open_templates(app)
    # The template's network is renamed to one this host does not have.
    app.click(app.find("push button", "Edit \u201cWeb base\u201d"))
    app.type_into(app.find(lib.ENTRY, "Network or bridge name"), "gone")
    app.click(lib.dialog_button(app, "Save"))
    app.find(name="Template \u201cWeb base\u201d saved")
    app.click(app.find("push button", "New Machine from \u201cWeb base\u201d"))
    app.focus_titled("New Virtual Machine")
    app.click(app.find(RADIO, "No installation media"))
    next_(app)
    step(app, "Step 2 of 6")
    next_(app)
    vcpus = app.find("spin button", "Virtual CPUs")
    assert lib.text_of_entry(vcpus) == "2", "the template's vCPUs"
    next_(app)
    # The template's disk is as large as the source machine's (1 TiB on the test driver).
    size = app.find("spin button", "Size (GiB)")
    assert lib.text_of_entry(size) == "1024", lib.text_of_entry(size)
    app.type_into(size, "10", check=False)
    app.key("Tab")
    next_(app)
    app.find(name=re.compile(r"The template\u2019s network \u201cgone\u201d does not exist on this host"))
    step(app, "Step 5 of 6")
    next_(app)
    app.find(name="Choose how the machine connects to the network.")
    app.click(app.find(RADIO, "default"))
    next_(app)
    name = app.find(lib.ENTRY, "Name")
    lib.wait_for(lambda: lib.text_of_entry(name).startswith("Web"), 5, "a name from the template")
    app.type_into(name, "from-template")
    next_(app, "Create")
    app.find(name="\u201cfrom-template\u201d started")
