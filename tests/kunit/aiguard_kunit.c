// SPDX-License-Identifier: GPL-2.0
#include <kunit/test.h>

static void aiguard_placeholder_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1, 1);
}

static struct kunit_case aiguard_cases[] = {
	KUNIT_CASE(aiguard_placeholder_test),
	{}
};

static struct kunit_suite aiguard_suite = {
	.name = "aiguard",
	.test_cases = aiguard_cases,
};
kunit_test_suite(aiguard_suite);
MODULE_LICENSE("GPL");
