# The two commands a newcomer needs are `make run` and `make test` (see README.md).
# Every target installs what it needs first (scripts/install-deps.sh is a no-op when all
# packages are present), so a fresh Debian 12 machine needs nothing but this repository
# and a Rust toolchain.

SHELL := /bin/sh
.SHELLFLAGS := -ec
CARGO ?= cargo
BUILDDIR ?= _build
DEMO_URI := test:///default
# rustup installs into ~/.cargo/bin, which a non-login shell (CI) may not have on PATH.
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all deps-build deps-run deps-test deps-screenshots deps-bench \
	build locale release run test lint unit live-test meson-test ui-test screenshots bench pot clean

all: build

deps-build deps-run deps-test deps-screenshots deps-bench: deps-%:
	scripts/install-deps.sh $*

build: deps-build locale
	$(CARGO) build --workspace

# Compiled translations where a cargo-built binary looks for them (config::LOCALEDIR
# defaults to build/locale); meson builds install their own.
locale: deps-build
	for lang in $$(cat po/LINGUAS); do \
		mkdir -p build/locale/$$lang/LC_MESSAGES; \
		msgfmt --check -o build/locale/$$lang/LC_MESSAGES/kvm-manager.mo po/$$lang.po; \
	done

release: deps-build
	$(CARGO) build --workspace --release

# Use the local libvirt daemon when one answers (without auto-starting a session daemon
# just to probe), else the in-process test driver so there is always something to see.
run: deps-run locale
	$(CARGO) build
	if LIBVIRT_AUTOSTART=0 timeout 10 virsh -c qemu:///system uri >/dev/null 2>&1 \
		|| LIBVIRT_AUTOSTART=0 timeout 10 virsh -c qemu:///session uri >/dev/null 2>&1; then \
		echo "KVM Manager opens the local libvirt daemon (qemu:///system, else qemu:///session)."; \
		exec target/debug/kvm-manager; \
	else \
		echo "No libvirt daemon is reachable, so KVM Manager opens the demo connection ($(DEMO_URI))."; \
		exec target/debug/kvm-manager --connect $(DEMO_URI); \
	fi

# Each step is its own recipe line: make stops at the first one that fails.
test: deps-test lint unit live-test meson-test ui-test

lint: deps-build
	scripts/check-i18n.sh
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit: deps-build
	$(CARGO) test --workspace

# `meson test` validates the desktop file, metainfo and schema, and runs cargo test again
# through meson (cheap: cargo reuses target/). --reconfigure keeps an existing _build.
meson-test: deps-build
	if [ -f $(BUILDDIR)/build.ninja ]; then \
		meson setup --reconfigure $(BUILDDIR) -Dprofile=development; \
	else \
		meson setup $(BUILDDIR) -Dprofile=development; \
	fi
	meson test -C $(BUILDDIR) --print-errorlogs

# Real libvirtd + QEMU + a tiny guest (tests/live/README.md): the rig comes up, the
# backend live tests and one live UI test run, the rig goes down whatever happened.
# Needs root; as another user it says it is skipped and succeeds.
live-test: deps-test locale
	tests/live/run.sh

# seed_history fills a history database through the app's own store for the monitoring
# tests and screenshots. The terminal widget's test needs a display too (plain
# `cargo test` skips it).
ui-test: deps-test locale
	$(CARGO) build --bins --example seed_history
	xvfb-run -a -s '-noreset' env GDK_BACKEND=x11 $(CARGO) test --test widget_terminal
	tests/ui/run.sh

screenshots: deps-screenshots locale
	$(CARGO) build --bins --example seed_history
	tests/ui/run.sh --screenshots
	@echo "Screenshots are in build/screenshots/"

# The metric history benchmark (benches/metrics.rs, about 2 minutes: builds 100 VMs x 30 days
# in a temporary folder) needs no display; the start-up one runs under Xvfb, and so does the
# console one (benches/console.py, about 10 minutes: a QEMU guest's idle and busy screen in
# our console and in virt-manager's).
bench: deps-bench locale
	$(CARGO) build --release
	$(CARGO) bench --bench metrics
	tests/ui/run.sh --bench
	tests/ui/run.sh --console-bench
	$(CARGO) bench --bench chart

# Regenerate po/kvm-manager.pot from the files listed in po/POTFILES.in.
pot: deps-build
	scripts/update-pot.sh

clean:
	$(CARGO) clean
	rm -rf $(BUILDDIR) build

# Guest agent (guest-agent/). `make fuzz` runs the message-parser fuzz target for
# FUZZ_SECONDS (cargo-fuzz wants nightly; RUSTC_BOOTSTRAP=1 lets stable build it).
# `make agent-deb` / `make agent-rpm` build the release binary and the package under
# target/debian/ and target/generate-rpm/.
FUZZ_SECONDS ?= 60
.PHONY: fuzz agent-deb agent-rpm

fuzz:
	command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	cd guest-agent/fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run decode_requests -- \
		-max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048

agent-deb:
	command -v cargo-deb >/dev/null 2>&1 || $(CARGO) install cargo-deb --locked
	$(CARGO) deb -p kvm-guest-agent

agent-rpm:
	command -v cargo-generate-rpm >/dev/null 2>&1 || $(CARGO) install cargo-generate-rpm --locked
	$(CARGO) build --release -p kvm-guest-agent
	$(CARGO) generate-rpm -p guest-agent
