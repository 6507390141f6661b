// SPDX-License-Identifier: GPL-2.0
/*
 * The registry, compiled again for aiguard_bench.ko: Kbuild warns when one
 * object file belongs to two modules, so the bench module gets its own.
 */
#include "../../module/registry.c"
