#!/bin/sh
# Install the Debian packages a task needs, and nothing when they are all present.
#
#   scripts/install-deps.sh build|run|test|bench|screenshots
#
# Each group includes the one before it (build < run < test < screenshots < bench).
# Packages are checked one by one with dpkg-query; apt-get runs only when at least one is
# missing, so a second `make test` does not touch the network. Not root: prints the
# command to run and fails unless everything is already there.
set -eu

group="${1:-build}"

# Compile the app and the guest agent, and validate data files (meson test).
# The libvirt test driver (test:///...) lives in libvirt0 itself, so no daemon is needed
# to build or test; virsh (libvirt-clients) is used by `make run` to probe for a daemon.
# The consoles link gtk-vnc's core (gvnc), spice-client-glib and VTE for GTK4.
BUILD="pkg-config gcc libc6-dev libgtk-4-dev libadwaita-1-dev libvirt-dev gettext
meson ninja-build desktop-file-utils appstream libglib2.0-bin libglib2.0-dev-bin
libvirt-clients osinfo-db libgvnc-1.0-dev libspice-client-glib-2.0-dev
libvte-2.91-gtk4-dev"

# `make run` needs nothing beyond a build; a local libvirtd is optional (demo fallback).
RUN="$BUILD"

# UI tests: a virtual X server, a session bus, the AT-SPI registry and the Python client.
# gsettings-desktop-schemas provides org.gnome.desktop.interface (toolkit-accessibility);
# dconf-gsettings-backend makes `gsettings set` persist within the session (the memory
# backend would forget it between processes). xdotool resizes windows and sends keys;
# imagemagick (`import`) takes screenshots; x11-utils has xwininfo/xprop for debugging.
TEST="$RUN xvfb xauth dbus dbus-x11 at-spi2-core python3-gi gir1.2-gtk-4.0 gir1.2-adw-1
python3-dogtail python3-pyatspi gsettings-desktop-schemas dconf-gsettings-backend
dconf-service adwaita-icon-theme fonts-cantarell xdotool imagemagick x11-utils"

SCREENSHOTS="$TEST librsvg2-bin"

# Benchmarks: the baseline (virt-manager, same Xvfb, same fixture) and the floor
# (python3-libvirt listing all domains); the console benchmark boots the live-test guest
# in QEMU (busybox-static for its initramfs) and polls screenshots with xwd (x11-apps).
BENCH="$SCREENSHOTS virt-manager python3-libvirt qemu-system-x86 busybox-static x11-apps"

case "$group" in
    build) want="$BUILD" ;;
    run) want="$RUN" ;;
    test) want="$TEST" ;;
    screenshots) want="$SCREENSHOTS" ;;
    bench) want="$BENCH" ;;
    *)
        echo "usage: $0 build|run|test|screenshots|bench" >&2
        exit 2
        ;;
esac

missing=""
for pkg in $want; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    case "$status" in
        *" installed") ;;
        *) case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac ;;
    esac
done

if [ -n "$missing" ]; then
    echo "install-deps ($group): missing Debian packages:$missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "Not running as root, so nothing was installed. Run:" >&2
        echo "  sudo apt-get update && sudo apt-get install --no-install-recommends$missing" >&2
        exit 1
    fi
    apt-get update
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi

# The Rust toolchain comes from rustup (Debian 12's rustc is too old for the crate set).
if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        echo "install-deps: cargo is in ~/.cargo/bin but not on PATH; add it (. ~/.cargo/env)." >&2
    else
        echo "install-deps: no Rust toolchain found. Install rustup (https://rustup.rs), then rerun." >&2
    fi
    exit 1
fi
if command -v rustup >/dev/null 2>&1; then
    for comp in rustfmt clippy; do
        if ! rustup component list --installed 2>/dev/null | grep -q "^$comp"; then
            rustup component add "$comp"
        fi
    done
else
    for tool in rustfmt cargo-clippy; do
        command -v "$tool" >/dev/null 2>&1 || {
            echo "install-deps: $tool missing and no rustup to add it." >&2
            exit 1
        }
    done
fi
