#!/bin/sh
# Run the UI tests (or screenshots, or the benchmark) in a private X server and session bus.
#
#   tests/ui/run.sh [-k NAME]        UI tests (tests/ui/test_*.py) against target/debug
#   tests/ui/run.sh --selftest       only the harness self-test (no KVM Manager needed)
#   tests/ui/run.sh --screenshots    every page, wide and narrow, light and dark
#   tests/ui/run.sh --bench          start-up and search benchmark (benches/startup.py)
#   tests/ui/run.sh --console-bench  console benchmark against virt-manager (benches/console.py)
#
# GTK 4 exports its accessibility tree to the AT-SPI bus, which the session bus activates
# (at-spi-bus-launcher) when the app starts; no gsettings tweak is needed for GTK 4.
set -eu
cd "$(dirname "$0")/../.."
repo="$(pwd)"

mode=tests
case "${1:-}" in
    --selftest) mode=selftest; shift ;;
    --screenshots) mode=screenshots; shift ;;
    --bench) mode=bench; shift ;;
    --console-bench) mode=console_bench; shift ;;
    --script) mode=script; shift ;;
esac

for tool in xvfb-run dbus-run-session xdotool import /usr/bin/python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "run.sh: $tool is missing: run scripts/install-deps.sh test" >&2
        exit 1
    }
done

# A clean, throw-away home for settings and caches, so runs do not depend on each other
# or on the developer's own preferences (dconf writes under XDG_CONFIG_HOME).
home="$repo/build/ui-home"
rm -rf "$home"
mkdir -p "$home/config" "$home/data" "$home/cache" "$home/state" "$home/runtime"
chmod 700 "$home/runtime"
export XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" \
    XDG_CACHE_HOME="$home/cache" XDG_STATE_HOME="$home/state" XDG_RUNTIME_DIR="$home/runtime"

# Stable pixels and an English baseline; tests that want German set LANGUAGE=de per app.
export GDK_BACKEND=x11 GSK_RENDERER=cairo GTK_A11Y=atspi NO_AT_BRIDGE=0 \
    LANG=C.UTF-8 LC_ALL= LANGUAGE=C ADW_DISABLE_PORTAL=1 \
    GSETTINGS_SCHEMA_DIR="$repo/build/schemas" PYTHONDONTWRITEBYTECODE=1
# An empty GTK_THEME still counts as set: GTK then skips libadwaita's stylesheet.
unset WAYLAND_DISPLAY DISPLAY GTK_THEME 2>/dev/null || true

# The app finds its schema itself when run from target/; compiling it here as well makes
# the settings visible to `gsettings` in tests.
mkdir -p build/schemas
glib-compile-schemas --targetdir=build/schemas data

case "$mode" in
    tests) cmd="/usr/bin/python3 tests/ui/run_tests.py $*" ;;
    script) cmd="/usr/bin/python3 $*" ;;
    selftest) cmd="/usr/bin/python3 tests/ui/run_tests.py tests/ui/test_harness.py" ;;
    screenshots) cmd="/usr/bin/python3 tests/ui/screenshots.py $*" ;;
    bench) cmd="/usr/bin/python3 benches/startup.py $*" ;;
    console_bench) cmd="/usr/bin/python3 benches/console.py $*" ;;
esac

# One hard limit for the whole session so a hung app cannot hang CI.
# -noreset: without it Xvfb resets whenever its last client leaves, e.g. when
# at-spi-bus-launcher (activated on the session bus) has set its root-window property and
# disconnected; an app connecting during that reset fails with "Failed to initialize GTK".
# XVFB_SERVERNUM pins the display number (parallel runs on one machine); default: first free.
if [ -n "${XVFB_SERVERNUM:-}" ]; then server="-n $XVFB_SERVERNUM"; else server="-a"; fi
# shellcheck disable=SC2086 # $server and $cmd are split into words on purpose
exec timeout --kill-after=10 "${UI_RUN_TIMEOUT:-1500}" \
    xvfb-run $server -s '-screen 0 1280x800x24 -nolisten tcp -noreset' \
    dbus-run-session -- $cmd
