# SPDX-License-Identifier: GPL-2.0
#
# Operations tests (audit stream, permissive mode, grants, lock): builds
# the static flood helper and copies the shell tests next to it.
#
#   make -C tests/e2e -f ops.mk O=<dir>      on its own, or
#   include ops.mk                           at the end of tests/e2e/Makefile
#
# Output in O: flood (not a t_* file, so the guest init does not run it as
# a test; stage it as /tests/e2e/flood or /usr/bin/flood), t_ops.sh and
# t_zz_lock.sh (run by the guest init, t_zz_lock.sh last: it locks the
# policy until reboot).

O ?= .
CC ?= gcc
OPS_DIR := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
OPS_CFLAGS := -static -O2 -Wall -Wextra -Werror
OPS_OUT := $(O)/flood $(O)/lib.sh $(O)/t_ops.sh $(O)/t_zz_lock.sh $(O)/t_tool.sh

ops: $(OPS_OUT)

all: ops

$(O)/flood: $(OPS_DIR)flood.c
	@mkdir -p $(O)
	$(CC) $(OPS_CFLAGS) -o $@ $<

$(O)/%.sh: $(OPS_DIR)%.sh
	@mkdir -p $(O)
	@if [ "$(abspath $<)" != "$(abspath $@)" ]; then cp $< $@; fi

# The .sh files are copies only when O is not this directory.
ops-clean:
	rm -f $(O)/flood
	@if [ "$(abspath $(O))" != "$(OPS_DIR:/=)" ]; then rm -f $(O)/lib.sh $(O)/t_ops.sh $(O)/t_zz_lock.sh $(O)/t_tool.sh; fi

clean: ops-clean

.PHONY: ops ops-clean
