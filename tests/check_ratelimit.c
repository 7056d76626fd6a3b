/*
 * check_ratelimit.c - unit tests for the log rate limit (src/ratelimit.h).
 *
 * Every test passes explicit "now" values: nothing here reads a clock or
 * sleeps, so the results are exact.  "Core": the first call is allowed,
 * then one per interval.  "Limits": a first call at time 0, clock values
 * near the top of the range, and a zero interval.
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "clock.h"
#include "ratelimit.h"
#include "testutil.h"

#define SEC	CLOCK_NS_PER_S

static Suite	*ratelimit_suite(void);

START_TEST(test_ratelimit_first)
{
	struct ratelimit rl = RATELIMIT_INIT(SEC);

	/* Whatever the time, the first warning is never held back. */
	ck_assert(ratelimit_allow(&rl, 12345 * SEC));
	ck_assert(!ratelimit_allow(&rl, 12345 * SEC));
}
END_TEST

START_TEST(test_ratelimit_once_per_interval)
{
	struct ratelimit rl = RATELIMIT_INIT(SEC);
	const uint64_t t0 = 100 * SEC;
	uint64_t t;
	int allowed = 0;

	ck_assert(ratelimit_allow(&rl, t0));
	ck_assert(!ratelimit_allow(&rl, t0 + 1));
	ck_assert(!ratelimit_allow(&rl, t0 + SEC / 2));
	ck_assert(!ratelimit_allow(&rl, t0 + SEC - 1));
	ck_assert(ratelimit_allow(&rl, t0 + SEC));
	ck_assert(!ratelimit_allow(&rl, t0 + SEC + 1));
	/* The interval counts from the last allowed call, not from t0. */
	ck_assert(!ratelimit_allow(&rl, t0 + 2 * SEC - 1));
	ck_assert(ratelimit_allow(&rl, t0 + 2 * SEC));
	/* After a quiet spell, the next one is allowed at once. */
	ck_assert(ratelimit_allow(&rl, t0 + 60 * SEC));
	ck_assert(!ratelimit_allow(&rl, t0 + 60 * SEC + 1));

	/* A flood every millisecond for 10 s: one line a second. */
	rl = (struct ratelimit)RATELIMIT_INIT(SEC);
	for (t = t0; t < t0 + 10 * SEC; t += CLOCK_NS_PER_MS)
		allowed += ratelimit_allow(&rl, t);
	ck_assert_int_eq(allowed, 10);
}
END_TEST

/* One limiter per warning: they do not hold each other back. */
START_TEST(test_ratelimit_independent)
{
	struct ratelimit a = RATELIMIT_INIT(SEC), b = RATELIMIT_INIT(5 * SEC);

	ck_assert(ratelimit_allow(&a, 10 * SEC));
	ck_assert(ratelimit_allow(&b, 10 * SEC));
	ck_assert(ratelimit_allow(&a, 11 * SEC));
	ck_assert(!ratelimit_allow(&b, 11 * SEC));
	ck_assert(ratelimit_allow(&b, 15 * SEC));
}
END_TEST

/* A first call at time 0 is allowed and still counts as the last one. */
START_TEST(test_ratelimit_time_zero)
{
	struct ratelimit rl = RATELIMIT_INIT(SEC);

	ck_assert(ratelimit_allow(&rl, 0));
	ck_assert(!ratelimit_allow(&rl, 1));
	ck_assert(!ratelimit_allow(&rl, SEC / 2));
	ck_assert(ratelimit_allow(&rl, SEC + 1));
}
END_TEST

START_TEST(test_ratelimit_large_clock)
{
	struct ratelimit rl = RATELIMIT_INIT(SEC);
	const uint64_t t0 = UINT64_MAX - 10 * SEC;

	ck_assert(ratelimit_allow(&rl, t0));
	ck_assert(!ratelimit_allow(&rl, t0 + SEC - 1));
	ck_assert(ratelimit_allow(&rl, t0 + SEC));
	ck_assert(!ratelimit_allow(&rl, t0 + SEC + SEC / 2));
	ck_assert(ratelimit_allow(&rl, UINT64_MAX));
	ck_assert(!ratelimit_allow(&rl, UINT64_MAX));
}
END_TEST

START_TEST(test_ratelimit_zero_interval)
{
	struct ratelimit rl = RATELIMIT_INIT(0);

	ck_assert(ratelimit_allow(&rl, SEC));
	ck_assert(ratelimit_allow(&rl, SEC));
	ck_assert(ratelimit_allow(&rl, SEC + 1));
}
END_TEST

static Suite *
ratelimit_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ratelimit");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_ratelimit_first);
	tcase_add_test(tc, test_ratelimit_once_per_interval);
	tcase_add_test(tc, test_ratelimit_independent);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_ratelimit_time_zero);
	tcase_add_test(tc, test_ratelimit_large_clock);
	tcase_add_test(tc, test_ratelimit_zero_interval);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(ratelimit_suite());
}
