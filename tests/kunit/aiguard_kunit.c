// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for aiguard's logic: the policy over every combination of
 * request mode, caller and target, the ABI validators, and the registry
 * (insert, lookup, remove, inheritance through pending entries, release
 * of keys, scale).
 *
 * Built as aiguard_kunit.ko on kernels with CONFIG_KUNIT; load it after
 * aiguard.ko, which exports what is tested here to this module only.
 */
#include <kunit/test.h>
#include <linux/prctl.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/coredump.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "aiguard.h"
#include "policy.h"
#include "registry.h"

MODULE_IMPORT_NS(AIGUARD_KUNIT);

/* Every request mode __ptrace_may_access() can pass down. */
static const unsigned int aiguard_test_modes[] = {
	PTRACE_MODE_READ_FSCREDS,
	PTRACE_MODE_READ_REALCREDS,
	PTRACE_MODE_ATTACH_FSCREDS,
	PTRACE_MODE_ATTACH_REALCREDS,
	PTRACE_MODE_READ_FSCREDS | PTRACE_MODE_NOAUDIT,
	PTRACE_MODE_READ_REALCREDS | PTRACE_MODE_NOAUDIT,
	PTRACE_MODE_ATTACH_FSCREDS | PTRACE_MODE_NOAUDIT,
	PTRACE_MODE_ATTACH_REALCREDS | PTRACE_MODE_NOAUDIT,
};

/* Callers and targets: unprotected, and protected in two domains. */
static const char *const aiguard_test_labels[] = { NULL, "llama-70b", "other" };

static void aiguard_policy_access_matrix(struct kunit *test)
{
	int m, c, t;

	for (m = 0; m < ARRAY_SIZE(aiguard_test_modes); m++) {
		unsigned int mode = aiguard_test_modes[m];

		for (c = 0; c < ARRAY_SIZE(aiguard_test_labels); c++) {
			for (t = 0; t < ARRAY_SIZE(aiguard_test_labels); t++) {
				const char *caller = aiguard_test_labels[c];
				const char *target = aiguard_test_labels[t];
				enum aiguard_verdict want;

				if (!target || (caller && c == t))
					want = AIGUARD_ALLOW;
				else if (mode & PTRACE_MODE_NOAUDIT)
					want = AIGUARD_DENY_SILENT;
				else
					want = AIGUARD_DENY;
				KUNIT_EXPECT_EQ_MSG(test,
						    aiguard_policy_access(caller, target, mode),
						    want, "mode %#x caller %s target %s",
						    mode, caller ?: "-", target ?: "-");
			}
		}
	}
}

static void aiguard_policy_same_domain_cases(struct kunit *test)
{
	char a[AIGUARD_LABEL_MAX] = "web", b[AIGUARD_LABEL_MAX] = "web";

	KUNIT_EXPECT_TRUE(test, aiguard_policy_same_domain(a, b));
	KUNIT_EXPECT_FALSE(test, aiguard_policy_same_domain(a, "web2"));
	KUNIT_EXPECT_FALSE(test, aiguard_policy_same_domain(a, NULL));
	KUNIT_EXPECT_FALSE(test, aiguard_policy_same_domain(NULL, b));
	KUNIT_EXPECT_FALSE(test, aiguard_policy_same_domain(NULL, NULL));
	/* Private domains are distinct from each other. */
	KUNIT_EXPECT_FALSE(test, aiguard_policy_same_domain("@1", "@2"));
}

static void aiguard_policy_traceme_cases(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, aiguard_policy_traceme(NULL, NULL), AIGUARD_ALLOW);
	KUNIT_EXPECT_EQ(test, aiguard_policy_traceme(NULL, "a"), AIGUARD_ALLOW);
	KUNIT_EXPECT_EQ(test, aiguard_policy_traceme("a", "a"), AIGUARD_ALLOW);
	KUNIT_EXPECT_EQ(test, aiguard_policy_traceme("a", NULL), AIGUARD_DENY);
	KUNIT_EXPECT_EQ(test, aiguard_policy_traceme("a", "b"), AIGUARD_DENY);
}

static void aiguard_policy_prctl_cases(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, aiguard_policy_prctl("a", PR_SET_DUMPABLE, SUID_DUMP_USER),
			AIGUARD_DENY);
	KUNIT_EXPECT_EQ(test, aiguard_policy_prctl("a", PR_SET_DUMPABLE, SUID_DUMP_ROOT),
			AIGUARD_DENY);
	KUNIT_EXPECT_EQ(test, aiguard_policy_prctl("a", PR_SET_DUMPABLE, SUID_DUMP_DISABLE),
			AIGUARD_ALLOW);
	KUNIT_EXPECT_EQ(test, aiguard_policy_prctl("a", PR_GET_DUMPABLE, 0), AIGUARD_ALLOW);
	KUNIT_EXPECT_EQ(test, aiguard_policy_prctl("a", PR_SET_NAME, 1), AIGUARD_ALLOW);
	KUNIT_EXPECT_EQ(test, aiguard_policy_prctl(NULL, PR_SET_DUMPABLE, SUID_DUMP_USER),
			AIGUARD_ALLOW);
}

static void aiguard_policy_coredump_cases(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, aiguard_policy_coredump(NULL), AIGUARD_ALLOW);
	KUNIT_EXPECT_EQ(test, aiguard_policy_coredump("a"), AIGUARD_DENY);
	KUNIT_EXPECT_EQ(test, aiguard_policy_coredump("@7"), AIGUARD_DENY);
}

static void aiguard_abi_label_cases(struct kunit *test)
{
	char label[AIGUARD_LABEL_MAX];

	memset(label, 0, sizeof(label));
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, true), 0);
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), -EINVAL);

	strscpy(label, "llama-70b_v2.1", sizeof(label));
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), 0);

	/* Longest label: AIGUARD_LABEL_MAX - 1 characters and the NUL. */
	memset(label, 'x', sizeof(label));
	label[AIGUARD_LABEL_MAX - 1] = '\0';
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), 0);
	label[AIGUARD_LABEL_MAX - 1] = 'x';
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), -EINVAL);

	/* '@' is the kernel's private-domain prefix; '/', ' ' are not names. */
	memset(label, 0, sizeof(label));
	strscpy(label, "@1", sizeof(label));
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), -EINVAL);
	strscpy(label, "a b", sizeof(label));
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), -EINVAL);
	strscpy(label, "a/b", sizeof(label));
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), -EINVAL);
	label[0] = (char)0xc3;
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), -EINVAL);

	/* Bytes after the NUL are reserved. */
	memset(label, 0, sizeof(label));
	strscpy(label, "ok", sizeof(label));
	label[AIGUARD_LABEL_MAX - 1] = 'z';
	KUNIT_EXPECT_EQ(test, aiguard_label_check(label, false), -EINVAL);
}

static void aiguard_abi_target_cases(struct kunit *test)
{
	struct aiguard_target t;

	t = (struct aiguard_target){ .type = AIGUARD_TARGET_SELF, .id = 0 };
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), 0);
	t.id = 1;
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), -EINVAL);

	t = (struct aiguard_target){ .type = AIGUARD_TARGET_PID, .id = 1 };
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), 0);
	t.id = 0;
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), -EINVAL);
	t.id = -5;
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), -EINVAL);

	t = (struct aiguard_target){ .type = AIGUARD_TARGET_PIDFD, .id = 0 };
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), 0);
	t.id = -1;
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), -EINVAL);

	t = (struct aiguard_target){ .type = 3, .id = 1 };
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), -EINVAL);
	t.type = ~0U;
	KUNIT_EXPECT_EQ(test, aiguard_target_check(&t), -EINVAL);
}

/* Registry tests run on a private registry with fake keys. */
static atomic_t aiguard_test_released;

static void aiguard_test_release(const void *key)
{
	atomic_inc(&aiguard_test_released);
}

static struct aiguard_registry *aiguard_test_registry(struct kunit *test)
{
	struct aiguard_registry *reg = kunit_kzalloc(test, sizeof(*reg), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, reg);
	KUNIT_ASSERT_EQ(test, aiguard_registry_init(reg, aiguard_test_release), 0);
	atomic_set(&aiguard_test_released, 0);
	return reg;
}

static const char *aiguard_test_lookup_label(struct aiguard_registry *reg,
					     const void *key, char *buf)
{
	struct aiguard_entry *e;

	rcu_read_lock();
	e = aiguard_registry_lookup(reg, key);
	if (e)
		strscpy(buf, e->label, AIGUARD_LABEL_MAX);
	rcu_read_unlock();
	return e ? buf : NULL;
}

static void aiguard_registry_basic(struct kunit *test)
{
	struct aiguard_registry *reg = aiguard_test_registry(test);
	static int k1, k2;
	char buf[AIGUARD_LABEL_MAX];
	struct aiguard_entry *old;

	KUNIT_EXPECT_TRUE(test, aiguard_registry_empty(reg));
	KUNIT_EXPECT_NULL(test, aiguard_test_lookup_label(reg, &k1, buf));
	KUNIT_EXPECT_NULL(test, aiguard_test_lookup_label(reg, NULL, buf));

	KUNIT_EXPECT_NULL(test, aiguard_registry_insert(reg, &k1, "a", GFP_KERNEL));
	KUNIT_EXPECT_FALSE(test, aiguard_registry_empty(reg));
	KUNIT_EXPECT_STREQ(test, aiguard_test_lookup_label(reg, &k1, buf), "a");
	KUNIT_EXPECT_NULL(test, aiguard_test_lookup_label(reg, &k2, buf));

	/* A second insert for the key returns the entry in place. */
	rcu_read_lock();
	old = aiguard_registry_insert(reg, &k1, "b", GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(old));
	if (!IS_ERR_OR_NULL(old))
		KUNIT_EXPECT_STREQ(test, old->label, "a");
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&reg->nr_groups), 1);

	KUNIT_EXPECT_NULL(test, aiguard_registry_insert(reg, &k2, "b", GFP_ATOMIC));
	KUNIT_EXPECT_EQ(test, atomic_read(&reg->nr_groups), 2);

	KUNIT_EXPECT_EQ(test, aiguard_registry_remove(reg, &k1), 0);
	KUNIT_EXPECT_EQ(test, aiguard_registry_remove(reg, &k1), -ENOENT);
	KUNIT_EXPECT_NULL(test, aiguard_test_lookup_label(reg, &k1, buf));
	KUNIT_EXPECT_STREQ(test, aiguard_test_lookup_label(reg, &k2, buf), "b");
	KUNIT_EXPECT_EQ(test, aiguard_registry_remove(reg, &k2), 0);
	KUNIT_EXPECT_TRUE(test, aiguard_registry_empty(reg));

	/* Keys are released once, after readers are done. */
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, atomic_read(&aiguard_test_released), 2);
	aiguard_registry_destroy(reg);
}

static void aiguard_registry_inherit(struct kunit *test)
{
	struct aiguard_registry *reg = aiguard_test_registry(test);
	static int child_task, child_key, taken_key, failed_task;
	char buf[AIGUARD_LABEL_MAX];
	struct aiguard_entry *e;

	/* fork: the child is protected by its task before it has a key */
	KUNIT_EXPECT_EQ(test, aiguard_registry_add_pending(reg, &child_task, "w",
							   GFP_ATOMIC), 0);
	KUNIT_EXPECT_EQ(test, aiguard_registry_add_pending(reg, &child_task, "w",
							   GFP_ATOMIC), -EEXIST);
	KUNIT_EXPECT_FALSE(test, aiguard_registry_empty(reg));
	rcu_read_lock();
	e = aiguard_registry_lookup_pending(reg, &child_task);
	KUNIT_EXPECT_NOT_NULL(test, e);
	if (e)
		KUNIT_EXPECT_STREQ(test, e->label, "w");
	rcu_read_unlock();

	/* pid attached: the entry moves to its key, keeping the label */
	KUNIT_EXPECT_EQ(test, aiguard_registry_commit_pending(reg, &child_task,
							      &child_key), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&reg->nr_pending), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&reg->nr_groups), 1);
	KUNIT_EXPECT_STREQ(test, aiguard_test_lookup_label(reg, &child_key, buf), "w");
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, aiguard_registry_lookup_pending(reg, &child_task));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, aiguard_registry_commit_pending(reg, &child_task,
							      &child_key), -ENOENT);

	/* a commit that cannot happen leaves the child protected, pending */
	KUNIT_EXPECT_NULL(test, aiguard_registry_insert(reg, &taken_key, "t",
							GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, aiguard_registry_add_pending(reg, &failed_task, "w",
							   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, aiguard_registry_commit_pending(reg, &failed_task,
							      &taken_key), -EEXIST);
	rcu_read_lock();
	KUNIT_EXPECT_NOT_NULL(test, aiguard_registry_lookup_pending(reg, &failed_task));
	rcu_read_unlock();
	KUNIT_EXPECT_STREQ(test, aiguard_test_lookup_label(reg, &taken_key, buf), "t");

	/* task freed: the pending entry goes, and its (absent) key is not released */
	aiguard_registry_drop_pending(reg, &failed_task);
	aiguard_registry_drop_pending(reg, &failed_task);
	KUNIT_EXPECT_EQ(test, atomic_read(&reg->nr_pending), 0);

	KUNIT_EXPECT_EQ(test, aiguard_registry_remove(reg, &child_key), 0);
	KUNIT_EXPECT_EQ(test, aiguard_registry_remove(reg, &taken_key), 0);
	KUNIT_EXPECT_TRUE(test, aiguard_registry_empty(reg));
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, atomic_read(&aiguard_test_released), 2);
	aiguard_registry_destroy(reg);
}

static void aiguard_registry_destroy_releases(struct kunit *test)
{
	struct aiguard_registry *reg = aiguard_test_registry(test);
	static int keys[3], task;

	KUNIT_EXPECT_NULL(test, aiguard_registry_insert(reg, &keys[0], "a", GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, aiguard_registry_insert(reg, &keys[1], "a", GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, aiguard_registry_insert(reg, &keys[2], "b", GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, aiguard_registry_add_pending(reg, &task, "a", GFP_KERNEL), 0);
	aiguard_registry_destroy(reg);
	KUNIT_EXPECT_EQ(test, atomic_read(&aiguard_test_released), 3);
}

static int aiguard_test_count(const struct aiguard_entry *e, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* Many entries: every one is found, and the table empties completely. */
static void aiguard_registry_scale(struct kunit *test)
{
	struct aiguard_registry *reg = aiguard_test_registry(test);
	const int n = 20000;
	char buf[AIGUARD_LABEL_MAX];
	int i, found = 0, seen = 0;
	char *keys;

	keys = vmalloc(n);
	KUNIT_ASSERT_NOT_NULL(test, keys);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_NULL(test, aiguard_registry_insert(reg, &keys[i], "s",
								GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, atomic_read(&reg->nr_groups), n);
	for (i = 0; i < n; i++)
		found += !!aiguard_test_lookup_label(reg, &keys[i], buf);
	KUNIT_EXPECT_EQ(test, found, n);
	aiguard_registry_for_each(reg, aiguard_test_count, &seen);
	KUNIT_EXPECT_GE(test, seen, n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, aiguard_registry_remove(reg, &keys[i]), 0);
	KUNIT_EXPECT_TRUE(test, aiguard_registry_empty(reg));
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, atomic_read(&aiguard_test_released), n);
	aiguard_registry_destroy(reg);
	vfree(keys);
}

static void aiguard_registry_entry_budget(struct kunit *test)
{
	/* The per-process memory target: at most 256 bytes. */
	KUNIT_EXPECT_LE(test, aiguard_registry_entry_size(), 256U);
}

static struct kunit_case aiguard_policy_cases[] = {
	KUNIT_CASE(aiguard_policy_access_matrix),
	KUNIT_CASE(aiguard_policy_same_domain_cases),
	KUNIT_CASE(aiguard_policy_traceme_cases),
	KUNIT_CASE(aiguard_policy_prctl_cases),
	KUNIT_CASE(aiguard_policy_coredump_cases),
	{}
};

static struct kunit_suite aiguard_policy_suite = {
	.name = "aiguard_policy",
	.test_cases = aiguard_policy_cases,
};

static struct kunit_case aiguard_abi_cases[] = {
	KUNIT_CASE(aiguard_abi_label_cases),
	KUNIT_CASE(aiguard_abi_target_cases),
	{}
};

static struct kunit_suite aiguard_abi_suite = {
	.name = "aiguard_abi",
	.test_cases = aiguard_abi_cases,
};

static struct kunit_case aiguard_registry_cases[] = {
	KUNIT_CASE(aiguard_registry_basic),
	KUNIT_CASE(aiguard_registry_inherit),
	KUNIT_CASE(aiguard_registry_destroy_releases),
	KUNIT_CASE(aiguard_registry_scale),
	KUNIT_CASE(aiguard_registry_entry_budget),
	{}
};

static struct kunit_suite aiguard_registry_suite = {
	.name = "aiguard_registry",
	.test_cases = aiguard_registry_cases,
};

kunit_test_suites(&aiguard_policy_suite, &aiguard_abi_suite,
		  &aiguard_registry_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for aiguard");
