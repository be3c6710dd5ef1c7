#!/bin/sh
# Manual check of the agent on a real virtio-serial port, without libvirt: boots the live
# rig's cached tiny guest (kernel + busybox initramfs, tests/live/README.md) under QEMU
# with the release agent and its shared libraries appended as a second initramfs, then
# runs qemu_check_host.py: ping round trip, system info, exec, a file copied in and out
# with SHA-256 next to a raw echo on a second port, reconnects (with a half line left
# behind), and a reboot through the agent.
#   guest-agent/scripts/qemu-check.sh GUEST_CACHE_DIR [MIB] [IN_FLIGHT]
# GUEST_CACHE_DIR holds vmlinuz and initrd.img (build/live-cache/guest-*/ after
# `python3 tests/live/rig.py guest`). Needs qemu-system-x86_64, cpio; run from the
# repository root after `cargo build --release -p kvm-guest-agent`.
set -eu
guest=${1:?usage: qemu-check.sh GUEST_CACHE_DIR [MIB] [IN_FLIGHT]}
mib=${2:-16}
window=${3:-8}
agent=${CARGO_TARGET_DIR:-target}/release/kvm-guest-agent
[ -x "$agent" ] || { echo "qemu-check: build $agent first" >&2; exit 1; }
work=$(mktemp -d)
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

root=$work/root
mkdir -p "$root/usr/local/bin" "$root/etc/kvmm-init.d" "$root/etc/kvm-guest-agent"
cp "$agent" "$root/usr/local/bin/"
strip "$root/usr/local/bin/kvm-guest-agent" 2>/dev/null || true
# The agent's shared libraries (libc, libgcc_s, the loader) at the paths it asks for.
ldd "$agent" | awk '/\//{ print ($3 ~ /^\//) ? $3 : $1 }' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
cat >"$root/etc/kvm-guest-agent/config.json" <<'JSON'
{"exec":{"enabled":true},"files":{"allowed_dirs":["/tmp"]},
 "power":{"shutdown_command":["/sbin/poweroff","-f"],"reboot_command":["/sbin/reboot","-f"],"delay_ms":300}}
JSON
# The guest's init starts every executable in /etc/kvmm-init.d.
cat >"$root/etc/kvmm-init.d/50-agent" <<'SH'
#!/bin/sh
exec /usr/local/bin/kvm-guest-agent >/var/log/kvm-guest-agent.log 2>&1
SH
cat >"$root/etc/kvmm-init.d/60-raw-echo" <<'SH'
#!/bin/sh
# The raw channel to compare with: everything echoed back on the same port.
while :; do
    [ -e /dev/virtio-ports/kvmm.raw.0 ] && cat <> /dev/virtio-ports/kvmm.raw.0 1>&0
    sleep 0.2
done
SH
chmod 755 "$root"/etc/kvmm-init.d/*
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/extra.cpio.gz"
cat "$guest/initrd.img" "$work/extra.cpio.gz" >"$work/initrd.img"

accel=tcg
[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && accel=kvm:tcg
qemu-system-x86_64 -machine "pc,accel=$accel" -m 256 -smp 1 -display none -no-reboot \
    -kernel "$guest/vmlinuz" -initrd "$work/initrd.img" \
    -append "console=ttyS0 panic=-1 loglevel=4" -serial "file:$work/serial.log" \
    -device virtio-serial-pci \
    -chardev "socket,id=ag,path=$work/agent.sock,server=on,wait=off" \
    -device virtserialport,chardev=ag,name=io.github.kvmmanager.agent.0 \
    -chardev "socket,id=raw,path=$work/raw.sock,server=on,wait=off" \
    -device virtserialport,chardev=raw,name=kvmm.raw.0 &
qemu_pid=$!
/usr/bin/python3 "$(dirname "$0")/qemu_check_host.py" "$work" "$mib" "$window" --reboot
# -no-reboot: QEMU exits when the guest reboots.
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    kill -0 "$qemu_pid" 2>/dev/null || { echo "the guest rebooted through the agent"; qemu_pid=; exit 0; }
    sleep 1
done
echo "qemu-check: the guest did not reboot" >&2
exit 1
