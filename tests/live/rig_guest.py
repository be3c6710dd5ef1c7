"""The tiny live-test guest: a Debian kernel + a busybox initramfs, cached.

Cache layout under build/live-cache/:
  debs/linux-image-<abi>_<ver>_amd64.deb       kernel package (never installed on the host)
  guest-<abi>-<key>/{vmlinuz,initrd.img,manifest.json}
where <key> hashes the guest files, the module list, the extra/ tree and the
.deb name, so any change there builds a new initramfs and nothing else does.
"""

import glob
import gzip
import hashlib
import json
import lzma
import os
import shutil
import struct
import subprocess
import tempfile

from rig_host import RigError, log, run

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_FILES = os.path.join(HERE, "guest")
PROJECT = os.path.dirname(os.path.dirname(HERE))
CACHE = os.path.join(PROJECT, "build", "live-cache")

# (module, required). Dependencies are added from the modules' own metadata.
MODULES = [
    ("virtio", True),
    ("virtio_ring", True),
    ("virtio_pci_modern_dev", False),
    ("virtio_pci_legacy_dev", False),
    ("virtio_pci", True),
    ("failover", False),
    ("net_failover", False),
    ("virtio_net", True),
    ("virtio_blk", True),
    ("virtio_console", True),
    ("virtio_balloon", False),  # memory balloon: live memory changes reach the guest
    ("button", True),  # ACPI power button -> input event for acpid
    ("evdev", True),   # /dev/input/event* that busybox acpid reads
]

# guest/ file -> (path in the initramfs, mode)
LAYOUT = {
    "init": ("init", 0o755),
    "udhcpc.script": ("etc/udhcpc.script", 0o755),
    "profile": ("etc/profile", 0o644),
    "acpi/PWRF/00000080": ("etc/acpi/PWRF/00000080", 0o755),
}

BUSYBOX = "/bin/busybox"  # from busybox-static: no shared libraries needed


def norm(name):
    return name.replace("-", "_")


def kernel_package():
    """linux-image-<abi>-amd64 that linux-image-amd64 currently depends on.

    apt-cache takes ~1.3 s here, so its answer is remembered until apt's lists change."""
    override = os.environ.get("KVMM_LIVE_KERNEL_PKG")
    if override:
        return override
    memo = os.path.join(CACHE, "kernel-package.json")
    try:
        lists = os.stat("/var/lib/apt/lists").st_mtime_ns
    except OSError:
        lists = None
    try:
        with open(memo) as f:
            known = json.load(f)
        if lists is not None and known.get("lists_mtime_ns") == lists:
            return known["package"]
    except (OSError, ValueError, KeyError):
        pass
    proc = run(["apt-cache", "depends", "linux-image-amd64"], check=False)
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("Depends:") and "linux-image-" in line:
            pkg = line.split(":", 1)[1].strip()
            os.makedirs(CACHE, exist_ok=True)
            with open(memo, "w") as f:
                json.dump({"lists_mtime_ns": lists, "package": pkg}, f)
            return pkg
    cached = sorted(glob.glob(os.path.join(CACHE, "debs", "linux-image-*.deb")))
    if cached:
        return os.path.basename(cached[-1]).split("_")[0]
    raise RigError("apt-cache does not know linux-image-amd64: run `apt-get update`")


def fetch_deb(pkg):
    debs = os.path.join(CACHE, "debs")
    os.makedirs(debs, exist_ok=True)
    have = sorted(glob.glob(os.path.join(debs, f"{pkg}_*.deb")))
    if have:
        return have[-1]
    log(f"guest: apt-get download {pkg}")
    run(["apt-get", "download", pkg], cwd=debs, timeout=600)
    have = sorted(glob.glob(os.path.join(debs, f"{pkg}_*.deb")))
    if not have:
        raise RigError(f"apt-get download {pkg} left no .deb in {debs}")
    return have[-1]


def guest_key(deb, extra):
    h = hashlib.sha256()
    h.update(os.path.basename(deb).encode())
    h.update(b"pvh-v1")  # bump when the kernel/initrd build itself changes
    h.update(repr(MODULES).encode())
    h.update(repr(sorted(LAYOUT.items())).encode())
    for name in sorted(LAYOUT):
        with open(os.path.join(GUEST_FILES, name), "rb") as f:
            h.update(f.read())
    if extra:
        for root, dirs, files in sorted(os.walk(extra)):
            dirs.sort()
            for fn in sorted(files):
                p = os.path.join(root, fn)
                h.update(os.path.relpath(p, extra).encode())
                h.update(str(os.stat(p).st_mode).encode())
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()[:12]


def read_module(path):
    """Module bytes, decompressed if the package ships .ko.xz / .ko.zst / .ko.gz."""
    if path.endswith(".ko"):
        with open(path, "rb") as f:
            return f.read()
    if path.endswith(".xz"):
        with lzma.open(path) as f:
            return f.read()
    if path.endswith(".gz"):
        with gzip.open(path) as f:
            return f.read()
    if path.endswith(".zst"):
        return run_bytes(["zstd", "-dc", path])
    raise RigError(f"unknown module compression: {path}")


def run_bytes(argv):
    try:
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise RigError(f"{' '.join(argv)} failed (install zstd?): {e}") from e


def modinfo_depends(data):
    """`depends=` from the ELF .modinfo section (no depmod/modinfo on the host)."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise RigError("module is not a 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i):
        off = shoff + i * shentsize
        name, = struct.unpack_from("<I", data, off)
        offset, size = struct.unpack_from("<QQ", data, off + 0x18)
        return name, offset, size

    _, str_off, _ = section(shstrndx)
    for i in range(shnum):
        name, offset, size = section(i)
        end = data.index(b"\0", str_off + name)
        if data[str_off + name:end] == b".modinfo":
            for item in data[offset:offset + size].split(b"\0"):
                if item.startswith(b"depends="):
                    deps = item[len(b"depends="):].decode()
                    return [norm(d) for d in deps.split(",") if d]
            return []
    return []


def module_index(moddir):
    """name -> path of every module file in the extracted package."""
    index = {}
    for root, _, files in os.walk(os.path.join(moddir, "kernel")):
        for fn in files:
            if ".ko" in fn:
                index[norm(fn.split(".ko")[0])] = os.path.join(root, fn)
    return index


def builtin_modules(moddir):
    path = os.path.join(moddir, "modules.builtin")
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {norm(os.path.basename(l.strip()).split(".ko")[0]) for l in f if l.strip()}


def resolve_modules(moddir):
    """[(name, bytes)] in load order (dependencies first); built-ins skipped."""
    index, builtin = module_index(moddir), builtin_modules(moddir)
    order, data, visiting = [], {}, set()

    def visit(name, required):
        if name in data or name in builtin:
            return
        if name not in index:
            if required:
                raise RigError(f"kernel package has no module {name} (neither file nor built-in)")
            return
        if name in visiting:
            raise RigError(f"module dependency cycle at {name}")
        visiting.add(name)
        blob = read_module(index[name])
        for dep in modinfo_depends(blob):
            visit(dep, True)
        data[name] = blob
        order.append(name)

    for name, required in MODULES:
        visit(norm(name), required)
    return [(n, data[n]) for n in order]


def extract_vmlinux(bzimage):
    """The ELF kernel inside a bzImage, or None if it cannot be found."""
    with open(bzimage, "rb") as f:
        data = f.read()
    for magic, kind in ((b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zst"),
                        (b"\x1f\x8b\x08", "gz")):
        at = data.find(magic)
        while at >= 0:
            try:
                if kind == "xz":
                    out = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[at:])
                elif kind == "gz":
                    import zlib
                    out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[at:])
                else:
                    out = subprocess.run(["zstd", "-dcq"], input=data[at:], check=False,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
                if out[:4] == b"\x7fELF":
                    return out
            except (lzma.LZMAError, OSError, ValueError):
                pass
            at = data.find(magic, at + 1)
    return None


def has_pvh_note(elf):
    """True if the ELF carries XEN_ELFNOTE_PHYS32_ENTRY (18): QEMU can then boot it
    directly (PVH), skipping the in-guest decompression that costs ~5 s under TCG."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        off = phoff + i * phentsize
        ptype, = struct.unpack_from("<I", elf, off)
        if ptype != 4:  # PT_NOTE
            continue
        poff, = struct.unpack_from("<Q", elf, off + 0x08)
        psize, = struct.unpack_from("<Q", elf, off + 0x20)
        pos, end = poff, poff + psize
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == 18:
                return True
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return False


def write_cpio_gz(root, out):
    """newc cpio of root (sorted, owned by root), gzip'd."""
    paths = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            paths.append(os.path.relpath(os.path.join(d, name), root))
    listing = "\0".join(["."] + paths).encode() + b"\0"
    proc = subprocess.run(["cpio", "--null", "-o", "-H", "newc", "--quiet", "-R", "0:0"],
                          input=listing, cwd=root, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise RigError(f"cpio failed: {proc.stderr.decode().strip()}")
    with gzip.GzipFile(out, "wb", compresslevel=6, mtime=0) as f:
        f.write(proc.stdout)


def build_initramfs(stage, moddir, mods, extra):
    for sub in ("bin", "dev", "etc", "lib/modules/kvmm", "proc", "sys", "root"):
        os.makedirs(os.path.join(stage, sub), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(stage, "bin", "busybox"))
    for name, (dest, mode) in LAYOUT.items():
        target = os.path.join(stage, dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(GUEST_FILES, name), target)
        os.chmod(target, mode)
    try:  # stdio for init before devtmpfs is mounted; init re-opens it anyway
        os.mknod(os.path.join(stage, "dev", "console"), 0o600 | 0o020000, os.makedev(5, 1))
    except PermissionError:
        pass
    for name, blob in mods:
        with open(os.path.join(stage, "lib/modules/kvmm", name + ".ko"), "wb") as f:
            f.write(blob)
    with open(os.path.join(stage, "etc", "kvmm-modules"), "w") as f:
        f.write("".join(n + ".ko\n" for n, _ in mods))
    os.makedirs(os.path.join(stage, "etc", "kvmm-init.d"), exist_ok=True)
    if extra:  # the hook: extra/ is laid over the initramfs root as is
        shutil.copytree(extra, stage, symlinks=True, dirs_exist_ok=True)


def ensure_guest(extra=None):
    """Return the manifest of the cached guest, building it when missing."""
    if extra and not os.path.isdir(extra):
        raise RigError(f"extra directory {extra} does not exist")
    extra = os.path.abspath(extra) if extra else None
    pkg = kernel_package()
    deb = fetch_deb(pkg)
    abi = pkg[len("linux-image-"):]
    key = guest_key(deb, extra)
    final = os.path.join(CACHE, f"guest-{abi}-{key}")
    manifest = os.path.join(final, "manifest.json")
    if os.path.exists(manifest):
        log(f"guest: cached {final}")
        with open(manifest) as f:
            return json.load(f)
    work = tempfile.mkdtemp(prefix="build-", dir=CACHE)
    try:
        x = os.path.join(work, "x")
        log(f"guest: dpkg-deb -x {os.path.basename(deb)}")
        run(["dpkg-deb", "-x", deb, x], timeout=600)
        kvers = os.listdir(os.path.join(x, "lib", "modules"))
        if len(kvers) != 1:
            raise RigError(f"expected one kernel in {deb}, found {kvers}")
        kver = kvers[0]
        moddir = os.path.join(x, "lib", "modules", kver)
        mods = resolve_modules(moddir)
        log(f"guest: modules {' '.join(n for n, _ in mods)}")
        out = os.path.join(work, "out")
        os.makedirs(out)
        bzimage = os.path.join(x, "boot", f"vmlinuz-{kver}")
        shutil.copyfile(bzimage, os.path.join(out, "vmlinuz"))
        kernel = "vmlinuz"
        elf = extract_vmlinux(bzimage)
        if elf and has_pvh_note(elf):
            with open(os.path.join(out, "vmlinux"), "wb") as f:
                f.write(elf)
            kernel = "vmlinux"
        log(f"guest: boots {kernel} ({'PVH ELF, no decompression' if kernel == 'vmlinux' else 'bzImage'})")
        stage = os.path.join(work, "stage")
        build_initramfs(stage, moddir, mods, extra)
        write_cpio_gz(stage, os.path.join(out, "initrd.img"))
        info = {
            "kernel_version": kver,
            "kernel_package": os.path.basename(deb),
            "kernel": os.path.join(final, kernel),
            "bzimage": os.path.join(final, "vmlinuz"),
            "initrd": os.path.join(final, "initrd.img"),
            "modules": [n for n, _ in mods],
            "extra": extra,
            "key": key,
        }
        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump(info, f, indent=1)
        shutil.rmtree(final, ignore_errors=True)
        os.rename(out, final)  # the cache entry appears whole or not at all
        for stale in glob.glob(os.path.join(CACHE, "guest-*")):
            if stale != final:  # older builds: only the newest is ever used
                shutil.rmtree(stale, ignore_errors=True)
        log(f"guest: built {final} ({os.path.getsize(info['initrd']) // 1024} KiB initrd)")
        return info
    finally:
        shutil.rmtree(work, ignore_errors=True)
