"""Monitoring as a person uses it: a machine's Performance view and its ranges (history
seeded through the app's own store by examples/seed_history), an alert rule made from the
machine's page and one from the Alerts page (with a threshold out of range refused), the
Insights page with its suggestions and top consumers, Preferences showing the history
settings, and a damaged database that turns history off without being touched.

The test driver reports no resource figures, so the live range has no data here: the
live charts with a real guest are tests/ui/live_machines.py's."""
import hashlib
import os
import re
import tempfile

import lib
import test_machines as tm

SEED = os.path.join(lib.REPO, "target", "debug", "examples", "seed_history")
WEB_UUID = "5f0b2a7e-1c1d-4c59-9a3e-000000000001"


def start(seed=True, data=None):
    """The app on the states fixture with its own data folder, holding three days of
    history for web-uefi when `seed`."""
    data = data or tempfile.mkdtemp(prefix="kvmm-data-")
    if seed:
        db = os.path.join(data, "kvm-manager", "kvm-manager.db")
        lib.run([SEED, db, WEB_UUID, "web-uefi", "3"], timeout=120)
    app = lib.App(uri=tm.uri(), env={"XDG_DATA_HOME": data})
    lib.wait_for(lambda: lib.name_of(app.window).startswith(tm.WINDOW_TITLE), 10, "the window")
    return app, data


def rule_row(app, title, timeout=10):
    """A rule's row (its name starts with the rule's title, then its subtitle)."""
    return app.find("list item", re.compile("^" + re.escape(title) + "( |$)"), timeout=timeout)


def description(acc):
    return lib._safe(lambda: acc.description, "") or ""


def open_performance(app, vm):
    tm.open_machines(app)
    tm.open_details(app, tm.search(app, vm))
    app.pointer_click(app.find("page tab", "Performance"))
    return app.find(name="CPU chart")


def test_performance_view_switches_ranges_and_reads_history():
    app, _ = start()
    chart = open_performance(app, "web-uefi")
    # Live: the test driver gives no figures, and the chart says so.
    lib.wait_for(lambda: description(chart) == "No data yet", 10, "the live chart's empty state")
    app.click(app.find("push button", "24 h"))
    # The seeded spike two hours ago is the day's peak; a screen reader hears both numbers.
    lib.wait_for(lambda: "peak 97 %" in description(chart), 10,
                 f"the 24 h CPU chart's peak (description: {description(chart)!r})")
    memory = app.find(name="Memory chart")
    lib.wait_for(lambda: "Used: now 5" in description(memory), 10,
                 f"memory used about 512 MiB (description: {description(memory)!r})")
    app.click(app.find("push button", "1 h"))
    # The last hour has no spike.
    lib.wait_for(lambda: "peak" in description(chart) and "peak 97 %" not in description(chart),
                 10, f"the 1 h chart without the spike (description: {description(chart)!r})")
    app.click(app.find("push button", "30 d"))
    lib.wait_for(lambda: "peak 97 %" in description(chart), 10, "the 30 d chart")
    # The seeded rule saw the spike: the Alerts page lists it, fired at 97 % and cleared.
    app.pointer_click(app.find("list item", "Alerts"))
    app.find("list item", "\u201cweb-uefi\u201d: CPU above 90 %")
    app.find("label", re.compile(r"^Fired .* at 97 % \u00b7 cleared .* \u00b7 peak 97 %$"))


def test_alert_rule_from_a_machine_and_from_the_alerts_page():
    app, _ = start(seed=False)
    open_performance(app, "web-uefi")
    app.click(app.find("push button", "New Alert Rule…"))
    app.focus_titled("New Alert Rule")
    threshold = app.find(lib.ENTRY, re.compile(r"^Threshold"))
    app.set_text(threshold, "150")
    app.click(lib.dialog_button(app, "Create"))
    # Out of range: refused, the dialog stays with what was typed.
    app.find(name=re.compile(r"percentage between 0 and 100"))
    app.set_text(threshold, "ninety")
    app.click(lib.dialog_button(app, "Create"))
    app.find(name=re.compile(r"\u201cninety\u201d is not a number"))
    app.set_text(threshold, "85")
    app.click(lib.dialog_button(app, "Create"))
    # Saved: the dialog closes (its toast may be gone by the time a slow tree walk looks).
    app.absent(name="Alert when the value is", timeout=15)

    app.pointer_click(app.find("list item", "Alerts"))
    rule_row(app, "CPU above 85 %", timeout=15)
    app.find(name=re.compile(r"\u201cweb-uefi\u201d \u00b7 Warning \u00b7 3 samples in a row"))
    app.find("list item", "No alerts so far")

    # Edited: the row follows.
    lib.menu_item(app, "Actions for \u201cCPU above 85 %\u201d", "Edit…")
    app.focus_titled("Edit Alert Rule")
    app.set_text(app.find(lib.ENTRY, re.compile(r"^Threshold")), "80")
    app.click(lib.dialog_button(app, "Save"))
    rule_row(app, "CPU above 80 %", timeout=15)

    # A second rule, for all machines, from the page's own button.
    app.click(app.find("push button", "New Alert Rule"))
    app.focus_titled("New Alert Rule")
    app.set_text(app.find(lib.ENTRY, re.compile(r"^Threshold")), "95")
    app.set_text(app.find(lib.ENTRY, "Samples in a row"), "5")
    app.click(lib.dialog_button(app, "Create"))
    rule_row(app, "CPU above 95 %", timeout=15)
    app.find(name=re.compile(r"All machines \u00b7 Warning \u00b7 5 samples in a row"))

    # Switched off, it says so; deleted, it goes.
    app.click(app.find(name="Enable \u201cCPU above 95 %\u201d"))
    app.find(name=re.compile(r"All machines .* \u00b7 Off"), timeout=15)
    lib.menu_item(app, "Actions for \u201cCPU above 95 %\u201d", "Delete…")
    app.click(lib.dialog_button(app, "Delete"))
    app.absent(name=re.compile(r"^CPU above 95 %"), timeout=15)
    rule_row(app, "CPU above 80 %")


def test_insights_suggest_smaller_sizes_from_history():
    app, _ = start()
    app.pointer_click(app.find("list item", "Insights"))
    # web-uefi idles at about 3 % of its vCPUs and uses 512 MiB of 2 GiB for three days.
    app.find(name=re.compile(r"^Use 1 vCPU for \u201cweb-uefi\u201d$"), timeout=20)
    app.find(name=re.compile(r"^Set memory to .* for \u201cweb-uefi\u201d$"))
    # The suggestion's button makes the change (the machine runs: it waits for a restart).
    app.click(app.find(name=re.compile(r"^Use 1 vCPU for \u201cweb-uefi\u201d$")))
    app.find(name=re.compile(r"(The change to|Applied to|Saved\. The change takes effect when) "
                             r"\u201cweb-uefi\u201d"), timeout=15)
    app.find(name=re.compile(r"about 1 machine\.$"))
    # Top consumers name the machine and lead to it.
    lib.wait_for(lambda: app.find(name="Most CPU"), 10, "the top CPU list")
    app.pointer_click(lib.row_titled(app, "web-uefi"))
    app.find(name=re.compile(r"^vCPUs"), timeout=10)


def test_preferences_show_the_history_settings():
    app, _ = start()
    app.key("ctrl+comma")
    app.focus_titled("Preferences")
    app.find(name="Metric History")
    app.find(name=re.compile(r"^Every 30 seconds$"))
    size = app.find(name=re.compile(r"^Database size"), timeout=10)
    lib.wait_for(lambda: "kvm-manager.db" in lib.name_of(size)
                 or any("kvm-manager.db" in lib.name_of(n) for n in lib.walk(size)),
                 10, "the database size with its path")


def test_a_damaged_database_turns_history_off_and_is_left_alone():
    data = tempfile.mkdtemp(prefix="kvmm-data-")
    folder = os.path.join(data, "kvm-manager")
    os.makedirs(folder)
    db = os.path.join(folder, "kvm-manager.db")
    with open(db, "wb") as f:
        f.write(b"this is not a database " * 200)
    before = hashlib.sha256(open(db, "rb").read()).hexdigest()
    app, _ = start(seed=False, data=data)
    app.find(name=re.compile(r"^Metric history and alerts are off: .*damaged"), timeout=15)
    # The app goes on: machines listed, Alerts says why it has nothing.
    tm.open_machines(app)
    tm.search(app, "web-uefi")
    app.pointer_click(app.find("list item", "Alerts"))
    app.find(name=re.compile(r"^Alerts are not available"), timeout=10)
    app.quit()
    after = hashlib.sha256(open(db, "rb").read()).hexdigest()
    assert before == after, "the damaged database file was changed"
