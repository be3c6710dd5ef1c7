"""The guest agent inside the tiny live-test guest: an extra/ tree for the initramfs.

`agent_extra(binary, out)` lays out, under `out`, what rig_guest.build_initramfs copies
over the initramfs root:
  usr/bin/kvm-guest-agent                 the agent binary (the host's build: glibc)
  <its shared libraries at their paths>   from `ldd`, the loader at lib64/ld-linux-x86-64.so.2
  etc/kvm-guest-agent/config.json         exec on, files under /tmp and /root, forced power
  etc/kvmm-init.d/50-agent                started by init in the background before the marker
The tree's content is hashed into the cached guest's key (rig_guest.guest_key), so a new
agent build makes a new initramfs and an unchanged one reuses the cached guest.
"""

import json
import os
import re
import shutil

from rig_host import RigError, run

AGENT_LOG = "/var/log/kvm-guest-agent.log"
# The live tests' guest: exec is on (any program), files under /tmp and /root. A real
# guest's default (no file) allows neither.
# Power: the guest's PID 1 is a shell script, not an init that handles busybox
# reboot's signal, so the agent forces it (reboot(2) through busybox -f).
CONFIG = {
    "exec": {"enabled": True},
    "files": {"allowed_dirs": ["/tmp", "/root"], "max_file_bytes": 256 << 20},
    "power": {"reboot_command": ["/sbin/reboot", "-f"],
              "shutdown_command": ["/sbin/poweroff", "-f"]},
}
START = f"""#!/bin/sh
# Started by the guest's init (etc/kvmm-init.d): the KVM Manager guest agent on its port,
# restarted if it ever exits.
while :; do
    /usr/bin/kvm-guest-agent >>{AGENT_LOG} 2>&1
    echo "kvm-guest-agent exited: $?" >>{AGENT_LOG}
    sleep 1
done
"""
LOADER = "lib64/ld-linux-x86-64.so.2"


def shared_libraries(binary):
    """(path inside the guest, file on the host) for every library `ldd` lists."""
    out = run(["ldd", binary]).stdout
    libs = []
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith("linux-vdso") or "statically linked" in line:
            continue
        m = re.match(r"\S+ => (/\S+) \(0x[0-9a-f]+\)$", line) or re.match(r"(/\S+) \(0x[0-9a-f]+\)$", line)
        if not m:
            raise RigError(f"ldd {binary}: cannot read {line!r}")
        path = m.group(1)
        libs.append((path.lstrip("/"), os.path.realpath(path)))
    if not any(dest.endswith("ld-linux-x86-64.so.2") for dest, _ in libs):
        raise RigError(f"ldd {binary}: no dynamic loader listed")
    return libs


def agent_extra(binary, out):
    """Write the extra/ tree for `binary` into `out` (replaced); returns `out`."""
    if not os.access(binary, os.X_OK):
        raise RigError(f"guest agent {binary} is missing: cargo build -p kvm-guest-agent")
    shutil.rmtree(out, ignore_errors=True)
    files = [("usr/bin/kvm-guest-agent", os.path.realpath(binary))] + shared_libraries(binary)
    for dest, src in files:
        target = os.path.join(out, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(src, target)
        os.chmod(target, 0o755)
    # Without its debug sections (a debug build is ~25 MB): a smaller initramfs boots sooner.
    run(["strip", "--strip-debug", os.path.join(out, files[0][0])])
    loader = os.path.join(out, LOADER)
    if not os.path.exists(loader):
        # The loader is listed under its canonical path on Debian (/lib64/...); keep
        # the one the binary's PT_INTERP names in any case.
        found = [d for d, _ in files if d.endswith("ld-linux-x86-64.so.2")][0]
        os.makedirs(os.path.dirname(loader), exist_ok=True)
        shutil.copyfile(os.path.join(out, found), loader)
        os.chmod(loader, 0o755)
    conf = os.path.join(out, "etc", "kvm-guest-agent", "config.json")
    os.makedirs(os.path.dirname(conf), exist_ok=True)
    with open(conf, "w") as f:
        json.dump(CONFIG, f, indent=2)
    start = os.path.join(out, "etc", "kvmm-init.d", "50-agent")
    os.makedirs(os.path.dirname(start), exist_ok=True)
    with open(start, "w") as f:
        f.write(START)
    os.chmod(start, 0o755)
    return out
