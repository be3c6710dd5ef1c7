#!/usr/bin/python3
"""KVM Manager live-test rig: real libvirtd + QEMU + a tiny busybox guest.

  rig.py deps      install missing Debian packages (no-op when all present)
  rig.py daemons   start virtlogd + libvirtd (CPU 0) unless qemu:///system answers
  rig.py guest     build (or reuse the cached) kernel + initramfs
  rig.py up        all of the above + pool, volume, network, domain (defined, not
                   running); prints one JSON line for tests on stdout
  rig.py down      remove every kvmm-test-* domain, network and pool (+ volumes)
  rig.py smoke     up, boot, marker, DHCP lease, ACPI shutdown, down

Everything the rig makes is named kvmm-test-*; nothing else is touched.
Progress and timings go to stderr; stdout carries only the JSON line of `up`.
"""

import argparse
import ipaddress
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rig_agent import agent_extra  # noqa: E402
from rig_guest import ensure_guest  # noqa: E402
from rig_host import (URI, RigError, ensure_daemons, ensure_packages, log,  # noqa: E402
                      run, virsh)
from rig_xml import domain_facts, domain_xml, network_xml, pool_xml, volume_xml  # noqa: E402

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = "kvmm-test-"
DOMAIN = PREFIX + "guest"
NETWORK = PREFIX + "net"
BRIDGE = PREFIX + "br0"  # <= 15 chars (IFNAMSIZ)
POOL = PREFIX + "pool"
VOLUME = PREFIX + "disk.qcow2"
VOLUME_MIB = 64
STATE = "/var/lib/libvirt/kvmm-test"  # boot files + pool; owned by the rig alone
SERIAL_LOG = "/var/log/libvirt/qemu/kvmm-test-guest-serial.log"
MAC = "52:54:00:6b:76:6d"
MEMORY_MIB = 256
# acpi=noirq: PCI INTx routing from the BIOS table instead of ACPI link objects,
# whose AML costs ~2.4 s of boot under TCG. ACPI itself (power button, PCI
# hotplug of disks/NICs) still works: attach/detach of a virtio disk was checked.
CMDLINE = os.environ.get("KVMM_LIVE_CMDLINE", "console=tty0 console=ttyS0 panic=-1 loglevel=4 acpi=noirq")
MARKER = "KVMM-GUEST-READY"
DHCP_MARKER = "KVMM-GUEST-DHCP"
CHANNELS = ["io.github.kvmmanager.agent.0", "org.qemu.guest_agent.0"]
# Tried in order; the first that overlaps no host route and no other libvirt network wins.
SUBNETS = ["10.213.87.0/24", "172.29.213.0/24", "192.168.213.0/24", "10.231.17.0/24"]

TIMINGS = []


class step:
    """Time a step; print it as it ends, keep it for the summary."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t0 = time.monotonic()
        log(f"-> {self.name}")
        return self

    def __exit__(self, exc_type, *_):
        dt = time.monotonic() - self.t0
        TIMINGS.append((self.name, dt, exc_type is None))
        log(f"<- {self.name}: {dt:.1f} s{'' if exc_type is None else ' (failed)'}")


def summary():
    if TIMINGS:
        log("timings: " + ", ".join(f"{n} {t:.1f}s{'' if ok else '!'}" for n, t, ok in TIMINGS)
            + f"; total {sum(t for _, t, _ in TIMINGS):.1f}s")


# ---------------------------------------------------------------- choices

def virt_type():
    """kvm only where the CPU has vmx/svm AND kvm_intel/kvm_amd is loaded; TCG otherwise."""
    forced = os.environ.get("KVMM_LIVE_VIRT_TYPE")
    if forced:
        return forced
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read().split()
    except OSError:
        return "qemu"
    hw = "vmx" in flags or "svm" in flags
    mod = any(os.path.isdir(f"/sys/module/{m}") for m in ("kvm_intel", "kvm_amd"))
    return "kvm" if hw and mod and os.path.exists("/dev/kvm") else "qemu"


def host_networks():
    """Networks already routed on the host or claimed by other libvirt networks."""
    import xml.etree.ElementTree as ET
    nets = []
    with open("/proc/net/route") as f:
        next(f)
        for line in f:
            cols = line.split()
            dest, mask = int(cols[1], 16), int(cols[7], 16)
            if mask == 0:
                continue  # default route
            addr = ipaddress.IPv4Address(dest.to_bytes(4, "little"))
            bits = bin(mask).count("1")
            nets.append(ipaddress.IPv4Network(f"{addr}/{bits}", strict=False))
    for name in virsh("net-list", "--all", "--name").stdout.split():
        if name.startswith(PREFIX):
            continue
        root = ET.fromstring(virsh("net-dumpxml", name).stdout)
        for ip in root.findall("ip"):
            if ip.get("address") and (ip.get("netmask") or ip.get("prefix")):
                suffix = ip.get("netmask") or ip.get("prefix")
                try:
                    nets.append(ipaddress.IPv4Network(f"{ip.get('address')}/{suffix}", strict=False))
                except ValueError:
                    pass  # IPv6
    return nets


def pick_subnet():
    taken = host_networks()
    for cand in SUBNETS:
        net = ipaddress.IPv4Network(cand)
        if not any(net.overlaps(t) for t in taken):
            hosts = list(net.hosts())
            return {
                "subnet": str(net),
                "address": str(hosts[0]),
                "netmask": str(net.netmask),
                "dhcp_start": str(hosts[99]),
                "dhcp_end": str(hosts[199]),
                "guest_ip": str(hosts[9]),
            }
    raise RigError(f"every candidate subnet ({', '.join(SUBNETS)}) clashes with a host route")


# ---------------------------------------------------------------- up / down

def define(kind, xml, *extra):
    """virsh {kind}-define FILE with XML written to a private temp file."""
    with tempfile.NamedTemporaryFile("w", suffix=".xml", prefix="kvmm-test-") as f:
        f.write(xml)
        f.flush()
        virsh(kind, f.name, *extra)


QEMU_LOG = f"/var/log/libvirt/qemu/{DOMAIN}.log"
# Installed by the port-forwarding live test (tests/live/portfwd.rs).
PF_HOOK = "/etc/libvirt/hooks/network.d/kvm-manager-port-forward"
PF_STATUS = "/run/kvm-manager/port-forward"


def remove_port_forwarding():
    """The port-forwarding hook, and any iptables rule or status file it left for a
    kvmm-test-* network (its rules carry `-m comment --comment kvmm-pf:<network>`)."""
    if os.path.exists(PF_HOOK):
        os.unlink(PF_HOOK)
        log(f"down: removed {PF_HOOK}")
    for d in (os.path.dirname(PF_HOOK), os.path.dirname(os.path.dirname(PF_HOOK))):
        try:
            os.rmdir(d)
        except OSError:
            pass
    for table, chain in (("nat", "PREROUTING"), ("nat", "OUTPUT"), ("filter", "FORWARD")):
        listing = run(["iptables", "-w", "-t", table, "-S", chain], check=False)
        for line in (listing.stdout or "").splitlines():
            tokens = [t.strip('"') for t in line.split()]
            marked = any(a == "--comment" and b.startswith("kvmm-pf:" + PREFIX)
                         for a, b in zip(tokens, tokens[1:]))
            if tokens[:1] == ["-A"] and marked:
                run(["iptables", "-w", "-t", table, "-D"] + tokens[1:], check=False)
                log(f"down: removed iptables rule {line}")
    if os.path.isdir(PF_STATUS):
        for name in os.listdir(PF_STATUS):
            if name.startswith(PREFIX):
                os.unlink(os.path.join(PF_STATUS, name))


def down(keep_logs=False):
    """Remove everything named kvmm-test-*; safe to run any time, any number of times."""
    for name in virsh("list", "--all", "--name").stdout.split():
        if name.startswith(PREFIX):
            virsh("destroy", name, check=False)
            if virsh("undefine", name, "--managed-save", "--snapshots-metadata",
                     check=False).returncode != 0:
                virsh("undefine", name)
            log(f"down: domain {name} removed")
    for name in virsh("net-list", "--all", "--name").stdout.split():
        if name.startswith(PREFIX):
            virsh("net-destroy", name, check=False)
            virsh("net-undefine", name)
            log(f"down: network {name} removed")
    for name in virsh("pool-list", "--all", "--name").stdout.split():
        if name.startswith(PREFIX):
            virsh("pool-start", name, check=False)
            for vol in virsh("vol-list", name, "--name", check=False).stdout.split():
                virsh("vol-delete", vol, "--pool", name, check=False)
            virsh("pool-destroy", name, check=False)
            virsh("pool-delete", name, check=False)
            virsh("pool-undefine", name)
            log(f"down: pool {name} removed")
    remove_port_forwarding()
    shutil.rmtree(STATE, ignore_errors=True)
    if keep_logs:
        log(f"down: kept {SERIAL_LOG} and {QEMU_LOG} for a look")
        return
    for path in (SERIAL_LOG, QEMU_LOG):
        if os.path.exists(path):
            os.unlink(path)


def up(extra=None):
    with step("deps"):
        ensure_packages()
    with step("daemons"):
        ensure_daemons()
    with step("guest"):
        guest = ensure_guest(extra)
    with step("clean leftovers"):
        down()
    try:
        return _define_all(guest)
    except BaseException:
        log("up failed: removing what it made")
        down()
        raise


def _define_all(guest):
    with step("define"):
        net = pick_subnet()
        boot = os.path.join(STATE, "boot")
        pool_path = os.path.join(STATE, "pool")
        os.makedirs(boot, mode=0o755, exist_ok=True)
        os.chmod(STATE, 0o755)
        # The bzImage, not the faster PVH ELF: entered through PVH the kernel sets up no
        # VGA text console ("colour dummy device"), and the console tests need the guest's
        # shell on its screen (about 3.5 s more per boot under TCG).
        source = guest.get("bzimage") or guest["kernel"]
        kernel = os.path.join(boot, os.path.basename(source))
        initrd = os.path.join(boot, "initrd.img")
        shutil.copyfile(source, kernel)
        shutil.copyfile(guest["initrd"], initrd)
        for p in (kernel, initrd):
            os.chmod(p, 0o644)

        define("pool-define", pool_xml(POOL, pool_path))
        virsh("pool-build", POOL)
        virsh("pool-start", POOL)
        with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
            f.write(volume_xml(VOLUME, VOLUME_MIB))
            f.flush()
            virsh("vol-create", POOL, f.name)
        volume_path = virsh("vol-path", VOLUME, "--pool", POOL).stdout.strip()

        guest_host = {"mac": MAC, "name": DOMAIN, "ip": net["guest_ip"]}
        define("net-define", network_xml(NETWORK, BRIDGE, net, guest_host))
        virsh("net-start", NETWORK)

        vt = virt_type()
        define("define", domain_xml({
            "name": DOMAIN, "virt_type": vt, "memory_mib": MEMORY_MIB,
            "kernel": kernel, "initrd": initrd, "cmdline": CMDLINE,
            "pool": POOL, "volume": VOLUME, "network": NETWORK, "mac": MAC,
            "serial_log": SERIAL_LOG,
        }))
    return {
        "uri": URI, "domain": DOMAIN, "virt_type": vt,
        "network": NETWORK, "bridge": BRIDGE, "subnet": net["subnet"],
        "host_ip": net["address"], "guest_ip": net["guest_ip"], "mac": MAC,
        "pool": POOL, "pool_path": pool_path, "volume": VOLUME, "volume_path": volume_path,
        "kernel": kernel, "initrd": initrd, "cmdline": CMDLINE,
        "kernel_version": guest["kernel_version"], "serial_log": SERIAL_LOG,
        "marker": MARKER, "dhcp_marker": DHCP_MARKER, "channels": CHANNELS,
    }


# ---------------------------------------------------------------- smoke

def read_log():
    try:
        with open(SERIAL_LOG, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def domstate():
    return virsh("domstate", DOMAIN, check=False).stdout.strip()


def wait_for(what, cond, timeout, poll=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(poll)
    tail = "\n".join(read_log().splitlines()[-25:])
    raise RigError(f"{what}: not within {timeout} s (domain {domstate()}); serial log tail:\n{tail}")


def marker_seen():
    if MARKER in read_log():
        return True
    if domstate() not in ("running", "paused", "in shutdown"):
        raise RigError(f"guest stopped before {MARKER}: {domstate()}\n{read_log()[-2000:]}")
    return False


def dhcp_from_log():
    for line in read_log().splitlines():
        if line.startswith(DHCP_MARKER + " bound"):
            return line.split()[-1]
    return None


def lease_ip():
    out = virsh("net-dhcp-leases", NETWORK, "--mac", MAC, check=False).stdout
    for line in out.splitlines():
        if MAC in line:
            for col in line.split():
                if "/" in col and col[0].isdigit():
                    return col.split("/")[0]
    return None


def agent_ping(path):
    """One JSON-RPC ping over the agent channel's socket: the reply line, or None."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(path)
            s.sendall(b'\n{"jsonrpc":"2.0","id":1,"method":"ping"}\n')
            reply = b""
            while b"\n" not in reply.lstrip(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    return None
                reply += chunk
            line = reply.strip().split(b"\n")[0]
            return line.decode() if b'"result"' in line else None
    except OSError:
        return None


def smoke(extra=None):
    ok = False
    try:
        info = up(extra)
        with step("boot to marker"):
            virsh("start", DOMAIN)
            facts = domain_facts(virsh("dumpxml", DOMAIN).stdout)
            log(f"live: id {facts['id']}, vnc {facts['vnc_port']}, channels {facts['channels']}")
            missing = [c for c in CHANNELS if not facts["channels"].get(c)]
            if missing:
                raise RigError(f"libvirt gave no socket path for channel(s) {missing}")
            wait_for(f"{MARKER} on the serial console", marker_seen, 60)
        if extra and os.path.exists(os.path.join(extra, "usr", "bin", "kvm-guest-agent")):
            with step("guest agent ping"):
                path = facts["channels"]["io.github.kvmmanager.agent.0"]
                log(f"agent: {wait_for('a reply to ping', lambda: agent_ping(path), 20)}")
        with step("dhcp"):
            got = wait_for("DHCP lease in the guest", dhcp_from_log, 30)
            if got != info["guest_ip"]:
                raise RigError(f"guest got {got}, expected the static lease {info['guest_ip']}")
            lease = wait_for("lease in virsh net-dhcp-leases", lease_ip, 15)
            if lease != info["guest_ip"]:
                raise RigError(f"net-dhcp-leases says {lease}, expected {info['guest_ip']}")
            log(f"guest has {got} (static lease for {MAC})")
        with step("acpi shutdown"):
            virsh("shutdown", DOMAIN, "--mode", "acpi")
            wait_for("shut off after ACPI power button", lambda: domstate() == "shut off", 30)
        log("smoke: OK")
        ok = True
    finally:
        with step("down"):
            down(keep_logs=not ok)


# ---------------------------------------------------------------- main

def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["deps", "daemons", "guest", "up", "down", "smoke"])
    parser.add_argument("--extra", metavar="DIR",
                        help="directory laid over the initramfs root (e.g. guest agent + libs; "
                             "executables in etc/kvmm-init.d/ start at boot)")
    parser.add_argument("--agent", metavar="BIN",
                        help="put this kvm-guest-agent binary (and its libraries) in the guest, "
                             "started at boot on its port (tests/live/rig_agent.py)")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    extra = args.extra or os.environ.get("KVMM_LIVE_EXTRA") or None
    agent = args.agent or os.environ.get("KVMM_LIVE_AGENT") or None
    if agent:
        if extra:
            log("FAILED: --agent and --extra both lay a tree over the guest: pick one")
            return 2
        extra = agent_extra(agent, os.path.join(PROJECT, "build", "live", "agent-extra"))
    try:
        if args.command == "deps":
            with step("deps"):
                ensure_packages()
        elif args.command == "daemons":
            with step("daemons"):
                ensure_daemons()
        elif args.command == "guest":
            with step("guest"):
                print(json.dumps(ensure_guest(extra)), flush=True)
        elif args.command == "up":
            info = up(extra)
            print(json.dumps(info), flush=True)
        elif args.command == "down":
            with step("down"):
                ensure_daemons()
                down()
        elif args.command == "smoke":
            smoke(extra)
    except RigError as e:
        summary()
        log(f"FAILED: {e}")
        return 1
    except KeyboardInterrupt:
        summary()
        log("interrupted (cleaned up what this run made)")
        return 130
    summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
