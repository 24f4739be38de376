/* A tiny unit test harness: each test program prints "PASS: name" or
 * "FAIL: name: file:line: what" per test and exits 1 when one failed;
 * tests/run counts these lines. */
#ifndef SLIPWAY_TESTS_UNIT_H
#define SLIPWAY_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed_total;
static int unit_current_failed;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			unit_current_failed = 1;                                           \
		}                                                                          \
	} while (0)

#define CHECK_STR(a, b)                                                                   \
	do {                                                                              \
		const char *a_ = (a), *b_ = (b);                                          \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                  \
			printf("  %s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__,  \
			       b_ ? b_ : "(null)", a_ ? a_ : "(null)");                    \
			unit_current_failed = 1;                                          \
		}                                                                         \
	} while (0)

#define CHECK_INT(a, b)                                                                   \
	do {                                                                              \
		long long a_ = (long long)(a), b_ = (long long)(b);                       \
		if (a_ != b_) {                                                           \
			printf("  %s:%d: %s: expected %lld, got %lld\n", __FILE__, __LINE__, \
			       #a, b_, a_);                                                \
			unit_current_failed = 1;                                          \
		}                                                                         \
	} while (0)

#define RUN_TEST(fn)                                                 \
	do {                                                         \
		unit_current_failed = 0;                             \
		fn();                                                \
		printf("%s: %s\n", unit_current_failed ? "FAIL" : "PASS", #fn); \
		unit_failed_total += unit_current_failed;            \
		fflush(stdout);                                      \
	} while (0)

#define UNIT_EXIT() return unit_failed_total ? 1 : 0

#endif
