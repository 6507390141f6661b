# aiguard top-level Makefile.
#
#   make                      build aiguard.ko (plain Kbuild) against KDIR,
#                             and the tool (build/tools/aiguard)
#   make KDIR=/usr/src/linux-headers-<ver>
#   make install              module (modules_install, INSTALL_MOD_DIR=updates,
#                             then depmod), tool, man page, uapi header, udev
#                             rule, systemd units, examples; honours DESTDIR
#                             and PREFIX (default /usr); no depmod with DESTDIR
#   make uninstall            the reverse (same KDIR, DESTDIR, PREFIX)
#   make deb                  aiguard-dkms, aiguard and aiguard-dev .debs in
#                             build/deb/ (built in a clean copy of the tree)
#   make dkms-source DESTDIR=...   the DKMS source tree: usr/src/aiguard-<ver>
#   make check                full test run: static checks + QEMU guests on
#                             Debian's 6.1 and 6.12 kernels and a debug kernel
#   make check KERNELS=6.12   only some kernels (6.1, 6.12, debug)
#   make demo [KERNEL=6.1]    real attack tools against a toy inference server
#   make bench                what the hooks cost (tests/bench, BENCHMARKS.md)
#   make stress               the abuse suites at full counts (hours)
#   make clean
#
# `make` builds the module in this tree like any out-of-tree module, with
# the kernel's own flags (no -Werror). `make check` builds it elsewhere
# (build/<kernel release>/module/, W=1, warnings fail: tests/vm/lib.sh).

VERSION := $(shell cat $(CURDIR)/VERSION)
KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= 6.1 6.12 debug
BUILD := $(CURDIR)/build
PREFIX ?= /usr
SYSCONFDIR ?= /etc
SBINDIR := $(PREFIX)/sbin
LIBDIR := $(PREFIX)/lib
DOCDIR := $(PREFIX)/share/doc/aiguard
# debian/rules sets these to /lib/... (bookworm's debhelper looks there).
UDEVRULESDIR ?= $(LIBDIR)/udev/rules.d
SYSTEMDUNITDIR ?= $(LIBDIR)/systemd/system
PKG := $(CURDIR)/packaging
# Where podman and CRI-O look for hooks.d files (containers-common).
OCIHOOKSDIR ?= $(PREFIX)/share/containers/oci/hooks.d
# The kernel release of KDIR, for depmod and uninstall.
KVER = $(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null)
# The KUnit suites (tests/kunit) are built by `make check` only.
KBUILD_ARGS := -C $(KDIR) M=$(CURDIR) CONFIG_KUNIT=

.PHONY: all module tool check stress demo bench clean install uninstall \
	install-module install-userland uninstall-module uninstall-userland \
	dkms-source deb kdir-check

all: module tool

kdir-check:
	@if [ ! -e "$(KDIR)/Makefile" ]; then \
		echo "error: no kernel build tree at $(KDIR)"; \
		echo "       install linux-headers-\$$(uname -r) or pass KDIR=/usr/src/linux-headers-<ver>"; \
		exit 1; \
	fi

module: kdir-check
	$(MAKE) $(KBUILD_ARGS) modules

tool:
	$(MAKE) -C tools O=$(BUILD)/tools

install: install-module install-userland

install-module: module
	$(MAKE) $(KBUILD_ARGS) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR) DEPMOD=/bin/true) modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))

# Everything but the module (debian/rules uses it for the aiguard and
# aiguard-dev packages).
install-userland: tool
	$(MAKE) -C tools O=$(BUILD)/tools install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	install -D -m 0644 uapi/linux/aiguard.h $(DESTDIR)$(PREFIX)/include/linux/aiguard.h
	install -D -m 0644 $(PKG)/60-aiguard.rules $(DESTDIR)$(UDEVRULESDIR)/60-aiguard.rules
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(LIBDIR)/aiguard
	install -m 0644 $(PKG)/aiguard.service $(PKG)/aiguard-lock.service \
		$(PKG)/aiguard-metrics.service $(PKG)/aiguard-metrics.timer \
		$(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0755 $(PKG)/aiguard-boot $(PKG)/aiguard-metrics $(DESTDIR)$(LIBDIR)/aiguard/
	install -D -m 0644 $(PKG)/aiguard.conf $(DESTDIR)$(SYSCONFDIR)/aiguard/aiguard.conf
	install -D -m 0644 $(PKG)/modprobe-aiguard.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/aiguard.conf
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 $(PKG)/examples/* $(DESTDIR)$(DOCDIR)/examples/
	install -D -m 0644 $(PKG)/oci/aiguard.json $(DESTDIR)$(OCIHOOKSDIR)/aiguard.json

uninstall: uninstall-module uninstall-userland

uninstall-module: kdir-check
	rm -f $(DESTDIR)/lib/modules/$(KVER)/updates/aiguard.ko*
	$(if $(DESTDIR),,depmod -a $(KVER))

uninstall-userland:
	rm -f $(DESTDIR)$(SBINDIR)/aiguard $(DESTDIR)$(PREFIX)/share/man/man8/aiguard.8 \
		$(DESTDIR)$(PREFIX)/include/linux/aiguard.h \
		$(DESTDIR)$(UDEVRULESDIR)/60-aiguard.rules $(DESTDIR)$(OCIHOOKSDIR)/aiguard.json \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,aiguard.service \
			aiguard-lock.service aiguard-metrics.service aiguard-metrics.timer)
	rm -rf $(DESTDIR)$(LIBDIR)/aiguard $(DESTDIR)$(DOCDIR)/examples
	@echo "kept (configuration): $(DESTDIR)$(SYSCONFDIR)/aiguard/aiguard.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/aiguard.conf"

# What DKMS builds from: Kbuild, module/, uapi/ and dkms.conf with the
# version of VERSION.
dkms-source:
	install -d $(DESTDIR)/usr/src/aiguard-$(VERSION)
	cp -r Kbuild module uapi $(DESTDIR)/usr/src/aiguard-$(VERSION)/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DESTDIR)/usr/src/aiguard-$(VERSION)/dkms.conf

deb:
	bash packaging/make-deb.sh $(BUILD)/deb

check:
	KERNELS="$(KERNELS)" bash tests/vm/run.sh

# The abuse suites (ioctl fuzzing, lifetime storm, races, load cycles) at
# their full counts; hours under TCG. Not part of check. STRESS_SUITES
# (environment) picks some, e.g. STRESS_SUITES="t_fuzz t_storm".
STRESS_KERNELS ?= debug 6.1 6.12
stress:
	AG_STRESS=1 KERNELS="$(STRESS_KERNELS)" bash tests/vm/run.sh

demo:
	bash tests/realworld/demo.sh

bench:
	bash tests/bench/run.sh

# Kbuild's clean needs the kernel tree; without it, the usual outputs go.
clean:
	if [ -e "$(KDIR)/Makefile" ]; then $(MAKE) $(KBUILD_ARGS) clean; \
	else rm -f *.ko *.mod *.mod.c *.mod.o *.o .*.cmd Module.symvers modules.order \
		module/*.o module/.*.cmd; fi
	rm -rf $(BUILD)
	$(MAKE) -C tools clean
