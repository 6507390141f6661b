# aiguard top-level Makefile.
#
#   make                      build aiguard.ko against KDIR, and the tool
#   make KDIR=/usr/src/linux-headers-<ver>
#   make check                full test run: static checks + QEMU guests on
#                             Debian's 6.1 and 6.12 kernels and a debug kernel
#   make check KERNELS=6.12   only some kernels (6.1, 6.12, debug)
#   make demo [KERNEL=6.1]    real attack tools against a toy inference server
#   make bench                what the hooks cost (tests/bench, BENCHMARKS.md)
#   make clean
#
# The module is never built inside the source tree: the sources are copied to
# build/<kernel release>/module/ and built there (several people share this
# tree). See tests/vm/lib.sh.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= 6.1 6.12 debug
BUILD := $(CURDIR)/build
LIB := . $(CURDIR)/tests/vm/lib.sh

.PHONY: all module tool check demo bench clean

all: module tool

module:
	@if [ ! -e "$(KDIR)/Makefile" ]; then \
		echo "error: no kernel build tree at $(KDIR)"; \
		echo "       install linux-headers-\$$(uname -r) or pass KDIR=/usr/src/linux-headers-<ver>"; \
		exit 1; \
	fi
	@kver=$$(basename "$$(readlink -f "$(KDIR)")"); kver=$${kver#linux-headers-}; \
	bash -c '$(LIB) && ag_build_module "$$1" "$$2"' _ "$(KDIR)" "$(BUILD)/$$kver/module" && \
	ls -1 $(BUILD)/$$kver/module/*.ko

tool:
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools O=$(BUILD)/tools; \
	else echo "tools/Makefile not there yet: skipping the aiguard tool"; fi

check:
	KERNELS="$(KERNELS)" bash tests/vm/run.sh

demo:
	@if [ -f tests/realworld/demo.sh ]; then bash tests/realworld/demo.sh; \
	else echo "tests/realworld/demo.sh not there yet: no demo"; fi

bench:
	bash tests/bench/run.sh

clean:
	rm -rf $(BUILD)
	@if [ -f tools/Makefile ]; then $(MAKE) -C tools clean; fi
