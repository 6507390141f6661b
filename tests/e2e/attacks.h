/* SPDX-License-Identifier: GPL-2.0 */
/* aiguard end-to-end tests: the attacks, each with its expected errno. */
#ifndef AIGUARD_E2E_ATTACKS_H
#define AIGUARD_E2E_ATTACKS_H

#include "lib.h"

extern const struct attack atk_ptrace_attach;	/* PTRACE_ATTACH + PEEKDATA */
extern const struct attack atk_ptrace_seize;	/* PTRACE_SEIZE + INTERRUPT + PEEKDATA */
extern const struct attack atk_proc_mem;	/* /proc/PID/mem pread */
extern const struct attack atk_proc_task_mem;	/* /proc/PID/task/TID/mem pread */
extern const struct attack atk_vm_readv;
extern const struct attack atk_vm_writev;
extern const struct attack atk_pidfd_getfd_memfd;
extern const struct attack atk_pidfd_getfd_file;
extern const struct attack atk_proc_environ;
extern const struct attack atk_proc_auxv;
extern const struct attack atk_proc_maps;
extern const struct attack atk_proc_smaps;
extern const struct attack atk_proc_pagemap;
extern const struct attack atk_proc_syscall;
extern const struct attack atk_proc_stack;
extern const struct attack atk_proc_fd_open_memfd;
extern const struct attack atk_readlink_exe;
extern const struct attack atk_readlink_cwd;
extern const struct attack atk_readlink_root;
extern const struct attack atk_readlink_fd;
extern const struct attack atk_kcmp_file;
extern const struct attack atk_get_robust_list;
extern const struct attack atk_process_madvise;
extern const struct attack atk_perf_event_open;

#endif
