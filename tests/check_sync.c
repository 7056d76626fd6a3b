/*
 * check_sync.c - unit tests for the checked pthread wrappers (src/sync.h).
 *
 * A wrapper that fails aborts, so a passing test also proves none of the
 * calls failed.  Helper threads never call ck_assert: they record, and the
 * test's thread checks after joining them.  "Core": mutual exclusion, and
 * waits that are signalled or broadcast.  "Limits": timed waits that time
 * out, with the deadline ahead or already past.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "clock.h"
#include "sync.h"
#include "testutil.h"

#define COUNTERS	4
#define INCREMENTS	20000
#define WAITERS		3
#define WAIT_MS		50

/* A flag behind a mutex and a condition variable. */
struct gate {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 open;
	int		 woken;		/* waiters that saw it open */
	long		 count;		/* for the mutual exclusion test */
};

static void	 gate_init(struct gate *);
static void	 gate_destroy(struct gate *);
static void	*counter_main(void *);
static void	*opener_main(void *);
static void	*waiter_main(void *);
static Suite	*sync_suite(void);

static void
gate_init(struct gate *g)
{
	sync_mutex_init(&g->mu);
	sync_cond_init(&g->cv);
	g->open = false;
	g->woken = 0;
	g->count = 0;
}

static void
gate_destroy(struct gate *g)
{
	ck_assert_int_eq(pthread_cond_destroy(&g->cv), 0);
	ck_assert_int_eq(pthread_mutex_destroy(&g->mu), 0);
}

static void *
counter_main(void *arg)
{
	struct gate	*g = arg;
	int		 i;

	for (i = 0; i < INCREMENTS; i++) {
		sync_lock(&g->mu);
		g->count++;
		sync_unlock(&g->mu);
	}
	return NULL;
}

/* Takes the mutex, so it runs only once the test's thread waits. */
static void *
opener_main(void *arg)
{
	struct gate	*g = arg;

	sync_lock(&g->mu);
	g->open = true;
	sync_signal(&g->cv);
	sync_unlock(&g->mu);
	return NULL;
}

static void *
waiter_main(void *arg)
{
	struct gate	*g = arg;

	sync_lock(&g->mu);
	while (!g->open)
		sync_wait(&g->cv, &g->mu);
	g->woken++;
	sync_unlock(&g->mu);
	return NULL;
}

START_TEST(test_sync_mutex)
{
	struct gate g;
	pthread_t tids[COUNTERS];
	int i;

	gate_init(&g);
	for (i = 0; i < COUNTERS; i++)
		ck_assert_int_eq(pthread_create(&tids[i], NULL, counter_main,
		    &g), 0);
	for (i = 0; i < COUNTERS; i++)
		ck_assert_int_eq(pthread_join(tids[i], NULL), 0);
	ck_assert_int_eq(g.count, (long)COUNTERS * INCREMENTS);
	gate_destroy(&g);
}
END_TEST

/*
 * A timed wait that is signalled returns true.  The opener is started
 * while the test's thread holds the mutex, which the wait releases: so
 * the signal comes during the wait, never before it.
 */
START_TEST(test_sync_wait_until_signalled)
{
	struct gate g;
	pthread_t tid;
	uint64_t deadline;
	bool signalled = true;

	gate_init(&g);
	sync_lock(&g.mu);
	ck_assert_int_eq(pthread_create(&tid, NULL, opener_main, &g), 0);
	deadline = clock_now_ns() + 10 * CLOCK_NS_PER_S;
	while (!g.open && signalled)
		signalled = sync_wait_until(&g.cv, &g.mu, deadline);
	sync_unlock(&g.mu);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert_msg(signalled, "sync_wait_until() returned false although "
	    "signalled before its deadline");
	ck_assert(g.open);
	ck_assert_uint_lt(clock_now_ns(), deadline);
	gate_destroy(&g);
}
END_TEST

START_TEST(test_sync_broadcast)
{
	struct gate g;
	pthread_t tids[WAITERS];
	int i;

	gate_init(&g);
	for (i = 0; i < WAITERS; i++)
		ck_assert_int_eq(pthread_create(&tids[i], NULL, waiter_main,
		    &g), 0);
	/* Whether or not they are asleep yet, one broadcast opens for all. */
	sync_lock(&g.mu);
	g.open = true;
	sync_broadcast(&g.cv);
	sync_unlock(&g.mu);
	for (i = 0; i < WAITERS; i++)
		ck_assert_int_eq(pthread_join(tids[i], NULL), 0);
	ck_assert_int_eq(g.woken, WAITERS);
	gate_destroy(&g);
}
END_TEST

/* Nobody signals: false, and not before the deadline. */
START_TEST(test_sync_wait_until_timeout)
{
	struct gate g;
	uint64_t start, deadline, now;
	bool signalled = true;
	int i;

	gate_init(&g);
	start = clock_now_ns();
	deadline = start + WAIT_MS * CLOCK_NS_PER_MS;
	sync_lock(&g.mu);
	/* A spurious wake-up may return true: wait again (a few times). */
	for (i = 0; i < 100 &&
	    (signalled = sync_wait_until(&g.cv, &g.mu, deadline)); i++)
		continue;
	sync_unlock(&g.mu);
	now = clock_now_ns();
	ck_assert_msg(!signalled, "sync_wait_until() returned true with no "
	    "signal");
	ck_assert_msg(now >= deadline, "timed out %llu ns before the "
	    "deadline", (unsigned long long)(deadline - now));
	ck_assert_uint_lt(now - start, 10 * CLOCK_NS_PER_S);
	gate_destroy(&g);
}
END_TEST

START_TEST(test_sync_wait_until_past)
{
	struct gate g;
	uint64_t start;

	gate_init(&g);
	start = clock_now_ns();
	sync_lock(&g.mu);
	ck_assert(!sync_wait_until(&g.cv, &g.mu, start - CLOCK_NS_PER_MS));
	ck_assert(!sync_wait_until(&g.cv, &g.mu, 0));
	sync_unlock(&g.mu);
	/* At once, not after some default timeout. */
	ck_assert_uint_lt(clock_now_ns() - start, 5 * CLOCK_NS_PER_S);
	gate_destroy(&g);
}
END_TEST

static Suite *
sync_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("sync");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_sync_mutex);
	tcase_add_test(tc, test_sync_wait_until_signalled);
	tcase_add_test(tc, test_sync_broadcast);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_sync_wait_until_timeout);
	tcase_add_test(tc, test_sync_wait_until_past);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(sync_suite());
}
