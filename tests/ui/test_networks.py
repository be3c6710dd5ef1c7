"""The Networks page as a person uses it: the networks with mode and subnet, a new NAT
network with DHCP (and a subnet that overlaps another network's), a DHCP reservation,
and a port-forwarding rule (and a port outside 1-65535, a port already forwarded)."""
import re

import lib
import test_templates as tt


def open_networks(app):
    app.pointer_click(app.find("list item", "Networks"))
    return app.find(name="Virtual Networks")


def open_network(app, name):
    open_networks(app)
    app.pointer_click(lib.row_titled(app, name))
    app.find(name="Network Menu")


def test_new_network_with_dhcp_and_an_overlapping_subnet():
    app, _ = tt.start()
    open_networks(app)
    lib.row_titled(app, "default")
    app.click(app.find("push button", "New Virtual Network"))
    app.focus_titled("New Virtual Network")
    app.type_into(app.find(lib.ENTRY, "Name"), "lab")
    subnet = app.find(lib.ENTRY, "Subnet")
    app.set_text(subnet, "192.168.122.0/24")
    app.click(lib.dialog_button(app, "Create"))
    # The clash is named: the fixture's "default" network owns 192.168.122.0/24.
    app.find(name=re.compile(r"\u201cdefault\u201d"))
    app.set_text(subnet, "192.168.150.0/24")
    first = app.find(lib.ENTRY, "First address")
    lib.wait_for(lambda: lib.text_of_entry(first) == "192.168.150.2", 5, "the range follows the subnet")
    app.click(lib.dialog_button(app, "Create"))
    app.pointer_click(lib.row_titled(app, "lab", timeout=15))
    app.find(name="192.168.150.2 \u2013 192.168.150.254")


def test_dhcp_reservation_on_a_network():
    app, _ = tt.start()
    open_network(app, "default")
    app.click(app.find("push button", "Add Reservation…"))
    app.focus_titled("Add a DHCP Reservation")
    app.type_into(app.find(lib.ENTRY, "MAC address"), "52:54:00:aa:bb:cc")
    ip = app.find(lib.ENTRY, "IP address")
    app.type_into(ip, "10.1.1.1")
    app.click(lib.dialog_button(app, "Add"))
    # Outside the network's subnet: refused, the form stays.
    app.find(name=re.compile(r"10\.1\.1\.1"))
    app.set_text(ip, "192.168.122.50")
    app.click(lib.dialog_button(app, "Add"))
    app.find(name="Reserved for 52:54:00:aa:bb:cc", timeout=15)
    app.click(app.find("push button", "Remove the reservation of 52:54:00:aa:bb:cc"))
    app.absent(name="Reserved for 52:54:00:aa:bb:cc", timeout=15)


def test_port_forwarding_rule_and_bad_ports():
    app, _ = tt.start()
    open_network(app, "default")
    # The test driver keeps one definition per network, so rules are added while it is
    # stopped (a running network is the live test's: tests/live/portfwd.rs).
    app.click(app.find("push button", "Stop \u201cdefault\u201d"))
    app.find("push button", "Start \u201cdefault\u201d", timeout=15)
    app.find(name="Port Forwarding")
    app.click(app.find("push button", "Add Rule…"))
    app.focus_titled("Add a Forwarding Rule")
    port = app.find(lib.ENTRY, "Host port")
    app.type_into(port, "70000")
    app.type_into(app.find(lib.ENTRY, "Machine\u2019s IP address"), "192.168.122.10")
    app.type_into(app.find(lib.ENTRY, "Machine\u2019s port"), "22")
    app.click(lib.dialog_button(app, "Add"))
    app.find(name=re.compile(r"65535"))
    app.set_text(port, "2222")
    app.click(lib.dialog_button(app, "Add"))
    rule = "TCP port 2222 \u2192 192.168.122.10:22"
    app.find(name=rule, timeout=15)
    app.find(name="Not active: the network is stopped")
    app.find(name="Not installed: rules are kept but not applied")
    # The same host port again is refused, naming the rule that has it.
    app.click(app.find("push button", "Add Rule…"))
    app.focus_titled("Add a Forwarding Rule")
    app.type_into(app.find(lib.ENTRY, "Host port"), "2222")
    app.type_into(app.find(lib.ENTRY, "Machine\u2019s IP address"), "192.168.122.11")
    app.type_into(app.find(lib.ENTRY, "Machine\u2019s port"), "80")
    app.click(lib.dialog_button(app, "Add"))
    app.find(name=re.compile(r"2222.*already|already.*2222"))
    app.click(lib.dialog_button(app, "Cancel"))
    app.click(app.find("push button", "Remove the rule \u201c" + rule + "\u201d"))
    app.absent(name=rule, timeout=15)
