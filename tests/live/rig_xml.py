"""libvirt XML for the rig's pool, volume, network and domain (ElementTree, never strings)."""

import xml.etree.ElementTree as ET


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el


def _str(root):
    return ET.tostring(root, encoding="unicode")


def pool_xml(name, path):
    pool = ET.Element("pool", type="dir")
    _sub(pool, "name", name)
    target = _sub(pool, "target")
    _sub(target, "path", path)
    return _str(pool)


def volume_xml(name, capacity_mib):
    vol = ET.Element("volume")
    _sub(vol, "name", name)
    _sub(vol, "capacity", capacity_mib, unit="MiB")
    target = _sub(vol, "target")
    _sub(target, "format", type="qcow2")
    return _str(vol)


def network_xml(name, bridge, net, guest):
    """NAT network; `net` = dict(address, netmask, dhcp_start, dhcp_end);
    `guest` = dict(mac, name, ip) gets a static lease (no ping delay)."""
    root = ET.Element("network")
    _sub(root, "name", name)
    forward = _sub(root, "forward", mode="nat")
    nat = _sub(forward, "nat")
    _sub(nat, "port", start=1024, end=65535)
    _sub(root, "bridge", name=bridge, stp="off", delay=0)
    ip = _sub(root, "ip", address=net["address"], netmask=net["netmask"])
    dhcp = _sub(ip, "dhcp")
    _sub(dhcp, "range", start=net["dhcp_start"], end=net["dhcp_end"])
    _sub(dhcp, "host", mac=guest["mac"], name=guest["name"], ip=guest["ip"])
    return _str(root)


def domain_xml(d):
    """Direct-kernel-boot domain. `d` keys: name, virt_type, memory_mib, kernel,
    initrd, cmdline, pool, volume, network, mac, serial_log."""
    dom = ET.Element("domain", type=d["virt_type"])
    _sub(dom, "name", d["name"])
    _sub(dom, "memory", d["memory_mib"], unit="MiB")
    _sub(dom, "vcpu", 1)
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64", machine="pc")
    _sub(os_el, "kernel", d["kernel"])
    _sub(os_el, "initrd", d["initrd"])
    _sub(os_el, "cmdline", d["cmdline"])
    features = _sub(dom, "features")
    _sub(features, "acpi")  # the power button that `virsh shutdown` presses
    _sub(features, "apic")
    _sub(dom, "clock", offset="utc")
    _sub(dom, "on_poweroff", "destroy")
    _sub(dom, "on_reboot", "restart")
    _sub(dom, "on_crash", "destroy")
    dev = _sub(dom, "devices")
    # No USB: its early handoff quirk alone costs ~0.6 s of boot under TCG.
    _sub(dev, "controller", type="usb", model="none")

    disk = _sub(dev, "disk", type="volume", device="disk")
    _sub(disk, "driver", name="qemu", type="qcow2")
    _sub(disk, "source", pool=d["pool"], volume=d["volume"])
    _sub(disk, "target", dev="vda", bus="virtio")

    nic = _sub(dev, "interface", type="network")
    _sub(nic, "mac", address=d["mac"])
    _sub(nic, "source", network=d["network"])
    _sub(nic, "model", type="virtio")

    serial = _sub(dev, "serial", type="pty")
    _sub(serial, "log", file=d["serial_log"], append="off")
    _sub(serial, "target", port=0)
    console = _sub(dev, "console", type="pty")
    _sub(console, "target", type="serial", port=0)

    # No <source path>: libvirt picks the socket path; read it from live XML.
    for channel in ("io.github.kvmmanager.agent.0", "org.qemu.guest_agent.0"):
        ch = _sub(dev, "channel", type="unix")
        _sub(ch, "source", mode="bind")
        _sub(ch, "target", type="virtio", name=channel)

    graphics = _sub(dev, "graphics", type="vnc", port=-1, autoport="yes", listen="127.0.0.1")
    _sub(graphics, "listen", type="address", address="127.0.0.1")
    video = _sub(dev, "video")
    _sub(video, "model", type="vga")
    _sub(dev, "memballoon", model="virtio")
    return _str(dom)


def domain_facts(xml_text):
    """What tests read from *live* XML each time: id, channel sockets, VNC port, pty."""
    root = ET.fromstring(xml_text)
    facts = {"id": root.get("id"), "channels": {}, "vnc_port": None, "serial_pty": None}
    for ch in root.findall("./devices/channel"):
        target, source = ch.find("target"), ch.find("source")
        if target is not None and source is not None:
            facts["channels"][target.get("name")] = source.get("path")
    g = root.find("./devices/graphics[@type='vnc']")
    if g is not None:
        facts["vnc_port"] = g.get("port")
    s = root.find("./devices/serial/source")
    if s is not None:
        facts["serial_pty"] = s.get("path")
    return facts
