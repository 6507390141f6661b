/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP 13 output for every C program of the test harness: the e2e tests
 * (through lib.h), the harness smoke test and the guest init.
 *
 * Results go to stdout unless tap_output() names another stream; every
 * call flushes, so TAP lines never wait in a buffer behind other output.
 * tests/vm/tap.awk reads what this writes.
 */
#ifndef AIGUARD_TAP_H
#define AIGUARD_TAP_H

#include <stdio.h>

/* Where the lines go (default stdout). */
void tap_output(FILE *f);
/* "TAP version 13". */
void tap_header(void);
/* "1..n", for a program that knows its number of tests up front. */
void tap_plan(int n);
/* One test point; returns cond. */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One skipped test point (counts as passed in TAP, as skipped by tap.awk). */
void tap_skip(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A "# ..." diagnostic line. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "Bail out! <why>": the program gives up (after its failed test point). */
void tap_bail_out(const char *why);
/* The trailing plan "1..<tests so far>" and, if any failed, how many. */
void tap_finish(void);

#endif
