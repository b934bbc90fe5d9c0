/*
 * testhelp.h - a tiny unit-test harness.
 *
 *   test_cond("what is checked", expr);   counts and prints failures
 *   return test_report();                 prints "N passed, N failed", exit status
 */
#ifndef SPANLOG_TESTHELP_H
#define SPANLOG_TESTHELP_H

#include <stdio.h>

static int test_passed, test_failed;

#define test_cond(descr, cond) do {					\
	if (cond) {							\
		test_passed++;						\
	} else {							\
		test_failed++;						\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, descr);	\
	}								\
} while (0)

#define test_eq_u64(descr, got, want) do {				\
	unsigned long long g_ = (unsigned long long)(got);		\
	unsigned long long w_ = (unsigned long long)(want);		\
	if (g_ == w_) {							\
		test_passed++;						\
	} else {							\
		test_failed++;						\
		printf("FAIL %s:%d: %s: got %llu, want %llu\n",		\
		    __FILE__, __LINE__, descr, g_, w_);			\
	}								\
} while (0)

static inline int test_report(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif
