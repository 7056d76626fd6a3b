/*
 * check_clock.c - unit tests for the monotonic clock (src/clock.h).
 *
 * clock_now_ns() reads CLOCK_MONOTONIC, in nanoseconds, never goes
 * backwards, and keeps up with a sleep on that clock.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "testutil.h"

#define READS		100000

static uint64_t	mono_ns(void);
static Suite	*clock_suite(void);

/* CLOCK_MONOTONIC read directly, to compare clock_now_ns() with. */
static uint64_t
mono_ns(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (uint64_t)ts.tv_sec * CLOCK_NS_PER_S + (uint64_t)ts.tv_nsec;
}

START_TEST(test_clock_units)
{
	ck_assert_uint_eq(CLOCK_NS_PER_MS * 1000, CLOCK_NS_PER_S);
	ck_assert_uint_eq(CLOCK_NS_PER_S, UINT64_C(1000000000));
}
END_TEST

/* Between two direct readings of CLOCK_MONOTONIC: that clock, in ns. */
START_TEST(test_clock_is_monotonic)
{
	uint64_t before, now, after;
	int i;

	for (i = 0; i < 1000; i++) {
		before = mono_ns();
		now = clock_now_ns();
		after = mono_ns();
		ck_assert_msg(before <= now && now <= after,
		    "clock_now_ns() %llu outside CLOCK_MONOTONIC's %llu..%llu",
		    (unsigned long long)now, (unsigned long long)before,
		    (unsigned long long)after);
	}
}
END_TEST

START_TEST(test_clock_non_decreasing)
{
	uint64_t last, now;
	int i;

	last = clock_now_ns();
	ck_assert_uint_gt(last, 0);
	for (i = 0; i < READS; i++) {
		now = clock_now_ns();
		ck_assert_msg(now >= last, "read %d went back from %llu to "
		    "%llu", i, (unsigned long long)last,
		    (unsigned long long)now);
		last = now;
	}
}
END_TEST

/* After sleeping until T on CLOCK_MONOTONIC, the clock reads T or more. */
START_TEST(test_clock_after_sleep)
{
	struct timespec until;
	uint64_t start, deadline, now;
	int rc;

	start = clock_now_ns();
	deadline = start + 20 * CLOCK_NS_PER_MS;
	until.tv_sec = (time_t)(deadline / CLOCK_NS_PER_S);
	until.tv_nsec = (long)(deadline % CLOCK_NS_PER_S);
	while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until,
	    NULL)) == EINTR)
		continue;
	ck_assert_int_eq(rc, 0);
	now = clock_now_ns();
	ck_assert_msg(now >= deadline, "%llu ns short of the deadline",
	    (unsigned long long)(deadline - now));
	/* Loose: a loaded machine may wake us late, but not by minutes. */
	ck_assert_uint_lt(now - start, 10 * CLOCK_NS_PER_S);
}
END_TEST

static Suite *
clock_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("clock");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_clock_units);
	tcase_add_test(tc, test_clock_is_monotonic);
	tcase_add_test(tc, test_clock_non_decreasing);
	tcase_add_test(tc, test_clock_after_sleep);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(clock_suite());
}
