/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiguard BPF (bpf.c): calls to helpers that reach user memory are pointed
 * at wrappers that ask lsm.c first. hooks.c calls these from its probes on
 * the functions every eBPF program passes before it can run.
 */
#ifndef _AIGUARD_BPF_H
#define _AIGUARD_BPF_H

struct bpf_prog;
struct bpf_verifier_env;
struct btf_type;

int aiguard_bpf_init(void);
int aiguard_bpf_check(void);
void aiguard_bpf_jit(struct bpf_prog *prog);
int aiguard_bpf_select(struct bpf_prog *prog);
int aiguard_bpf_verify(struct bpf_prog *prog);
int aiguard_bpf_struct_access(struct bpf_verifier_env *env, const struct btf_type *t,
			      int off, int size);
void aiguard_bpf_free(struct bpf_prog *prog);
int aiguard_bpf_protect_begin(void);
void aiguard_bpf_protect_end(void);
unsigned int aiguard_bpf_nr_unchecked(void);
void aiguard_bpf_exit(void);

#endif /* _AIGUARD_BPF_H */
