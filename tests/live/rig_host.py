"""Host side of the live rig: commands, Debian packages, libvirt daemons.

Everything runs external programs with argument vectors (never a shell).
"""

import os
import re
import subprocess
import sys
import time

URI = "qemu:///system"

# What the rig needs on a Debian 12 host.
PACKAGES = [
    "libvirt-daemon-system",
    "libvirt-clients",
    "qemu-system-x86",
    "qemu-utils",
    "dnsmasq-base",
    "iptables",
    "busybox-static",
    "cpio",
    # A bootable disk image made without mounting (tests/live/create_vm.rs).
    "dosfstools",
    "mtools",
    "syslinux",
    "syslinux-common",
]

# Binary packages built from Debian's qemu source that must all carry the
# same version as qemu-system-x86 (they depend on each other with `=`).
QEMU_FAMILY = [
    "qemu-system-x86",
    "qemu-system-common",
    "qemu-system-data",
    "qemu-system-gui",
    "qemu-block-extra",
    "qemu-utils",
]


class RigError(Exception):
    """A failure with a message a person can act on."""


def log(msg):
    print(f"[rig] {msg}", file=sys.stderr, flush=True)


def run(argv, check=True, capture=True, timeout=300, env=None, cwd=None, stdin=None):
    """Run argv; return CompletedProcess. Raise RigError with stderr on failure."""
    try:
        proc = subprocess.run(
            argv,
            check=False,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
        )
    except FileNotFoundError as e:
        raise RigError(f"{argv[0]}: not found (run `rig.py deps` first?)") from e
    except subprocess.TimeoutExpired as e:
        raise RigError(f"{' '.join(argv)}: no answer within {timeout} s") from e
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip() if capture else ""
        raise RigError(f"{' '.join(argv)} failed ({proc.returncode}): {detail}")
    return proc


def virsh(*args, check=True, timeout=60):
    return run(["virsh", "-q", "-c", URI, *args], check=check, timeout=timeout)


# ---------------------------------------------------------------- packages

def pkg_state(name):
    """(installed, version) from dpkg's own database."""
    proc = run(["dpkg-query", "-W", "-f=${Status}\t${Version}", name], check=False)
    if proc.returncode != 0:
        return False, None
    status, _, version = proc.stdout.partition("\t")
    return status.strip() == "install ok installed", version.strip() or None


def strip_binnmu(version):
    """1:7.2+dfsg-7+deb12u18+b3 -> 1:7.2+dfsg-7+deb12u18 (binNMUs differ per package)."""
    return re.sub(r"\+b\d+$", "", version or "")


def madison(name):
    """[(version, archive line)] newest first, as apt knows them."""
    proc = run(["apt-cache", "madison", name], check=False)
    rows = []
    for line in proc.stdout.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) >= 3 and parts[0] == name:
            rows.append((parts[1], parts[2]))
    return rows


def qemu_target_version():
    """Base version the qemu family must share: the installed qemu-system-x86,
    else the newest one that does not come from backports."""
    ok, ver = pkg_state("qemu-system-x86")
    if ok:
        return strip_binnmu(ver)
    for ver, where in madison("qemu-system-x86"):
        if "backports" not in where:
            return strip_binnmu(ver)
    raise RigError("apt knows no qemu-system-x86 outside backports; check /etc/apt/sources.list*")


def qemu_pins(target):
    """`pkg=version` requests for qemu family packages not at the target version."""
    pins = []
    for name in QEMU_FAMILY:
        ok, ver = pkg_state(name)
        wanted = name in PACKAGES
        if not ok and not wanted:
            continue  # not installed and not needed: leave alone
        if ok and strip_binnmu(ver) == target:
            continue
        match = [v for v, _ in madison(name) if strip_binnmu(v) == target]
        if not match:
            raise RigError(f"apt has no {name} at version {target} (to match qemu-system-x86)")
        pins.append(f"{name}={match[0]}")
    return pins


def missing_packages():
    return [p for p in PACKAGES if not pkg_state(p)[0]]


def ensure_packages():
    """Install what is missing; a no-op (no apt at all) when all is in place."""
    missing = missing_packages()
    target = qemu_target_version() if not missing else None
    if not missing and not _qemu_mismatch(target):
        log("packages: all present")
        return
    if os.geteuid() != 0:
        raise RigError(f"packages missing ({' '.join(missing)}) and not root: install them as root")
    why = f"missing {' '.join(missing)}" if missing else "qemu packages differ in version"
    log(f"packages: {why}; apt-get update")
    run(["apt-get", "update"], capture=True, timeout=600)
    target = qemu_target_version()
    pins = qemu_pins(target)
    pinned = {p.split("=")[0] for p in pins}
    request = pins + [p for p in missing if p not in pinned]
    log(f"packages: apt-get install {' '.join(request)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "install", "-y", "--no-install-recommends", "--allow-downgrades", *request],
        env=env, timeout=1200)
    still = missing_packages()
    if still:
        raise RigError(f"apt-get install left these missing: {' '.join(still)}")


def _qemu_mismatch(target):
    for name in QEMU_FAMILY:
        ok, ver = pkg_state(name)
        if ok and strip_binnmu(ver) != target:
            return True
    return False


# ---------------------------------------------------------------- daemons

def _running(comm):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == comm:
                    return True
        except OSError:
            pass
    return False


def libvirt_answers():
    return run(["virsh", "-c", URI, "uri"], check=False, timeout=15).returncode == 0


LIBVIRTD_LOG = "/var/log/libvirt/libvirtd.log"


def ensure_kvm_node():
    """Give /dev/kvm the owner and mode Debian's udev rule would (root:kvm 0660).

    Without udev it stays root 0600: QEMU's capability probe (run as root) sees
    KVM, but libvirt then finds the qemu user cannot open /dev/kvm, calls its
    cached capabilities stale and re-probes QEMU (~4 s) on every define/start.
    """
    import grp
    import stat
    try:
        st = os.stat("/dev/kvm")
        gid = grp.getgrnam("kvm").gr_gid
    except (FileNotFoundError, KeyError):
        return
    if st.st_gid == gid and stat.S_IMODE(st.st_mode) & 0o060 == 0o060:
        return
    log("daemons: /dev/kvm -> root:kvm 0660 (as udev would; stops libvirt re-probing QEMU)")
    os.chown("/dev/kvm", 0, gid)
    os.chmod("/dev/kvm", 0o660)


def ensure_daemons(wait_s=30):
    """virtlogd, then libvirtd on CPU 0 (CPUs here differ in CPUID; pinning
    spares a ~8 s QEMU re-probe). Bounded wait until qemu:///system answers."""
    ensure_kvm_node()
    if not _running("virtlogd"):
        log("daemons: starting virtlogd -d")
        run(["virtlogd", "-d"])
    if libvirt_answers():
        log("daemons: qemu:///system answers")
        return
    if not _running("libvirtd"):
        log(f"daemons: starting taskset -c 0 libvirtd -d (log: {LIBVIRTD_LOG})")
        os.makedirs(os.path.dirname(LIBVIRTD_LOG), exist_ok=True)
        env = dict(os.environ, LIBVIRT_LOG_OUTPUTS=f"3:file:{LIBVIRTD_LOG}")
        run(["taskset", "-c", "0", "libvirtd", "-d"], env=env)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if libvirt_answers():
            return
        time.sleep(0.3)
    raise RigError(
        f"libvirtd did not answer on {URI} within {wait_s} s; "
        f"see {LIBVIRTD_LOG} (is another libvirtd or a stale /run/libvirt socket in the way?)")
