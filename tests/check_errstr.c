/*
 * check_errstr.c - unit tests for the thread-safe error text
 * (src/errstr.h).
 *
 * "Core": the text of known numbers is strerror(3)'s.  "Limits": numbers
 * with no name still get a text, and threads calling at once each keep
 * their own.  strerror() itself is only called from the test's thread,
 * before any other starts.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errstr.h"
#include "testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define THREADS		8
#define ROUNDS		200

/* One thread's number, what it should read, and what it saw. */
struct errer {
	pthread_t		 tid;
	pthread_barrier_t	*barrier;
	int			 err;
	const char		*want;
	int			 bad;	/* rounds whose text was wrong */
};

static void	*errer_main(void *);
static Suite	*errstr_suite(void);

static const int known[] = {
	EINVAL, ENOENT, EAGAIN, EINTR, EPIPE, ECONNRESET, EMFILE, ETIMEDOUT,
	EDEADLK, ENOMEM,
};

START_TEST(test_errstr_known)
{
	const char *s;
	size_t i;

	s = errstr(EINVAL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, strerror(EINVAL));
	for (i = 0; i < NELEM(known); i++)
		ck_assert_str_eq(errstr(known[i]), strerror(known[i]));
}
END_TEST

START_TEST(test_errstr_unknown)
{
	static const int odd[] = { 0, -1, 4095, 99999, -99999 };
	const char *s;
	size_t i;

	for (i = 0; i < NELEM(odd); i++) {
		s = errstr(odd[i]);
		ck_assert_msg(s != NULL && s[0] != '\0', "errstr(%d) gave "
		    "no text", odd[i]);
	}
}
END_TEST

/*
 * Each round: every thread takes its text, waits until all have taken
 * theirs, then checks that its own is still its number's.  A buffer shared
 * by the threads would hold one number's text for all of them.
 */
static void *
errer_main(void *arg)
{
	struct errer	*e = arg;
	const char	*s;
	int		 i;

	for (i = 0; i < ROUNDS; i++) {
		s = errstr(e->err);
		(void)pthread_barrier_wait(e->barrier);
		if (s == NULL || strcmp(s, e->want) != 0)
			e->bad++;
		(void)pthread_barrier_wait(e->barrier);
	}
	return NULL;
}

START_TEST(test_errstr_threads)
{
	pthread_barrier_t barrier;
	struct errer e[THREADS];
	char *want[THREADS];
	int i;

	ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	for (i = 0; i < THREADS; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].barrier = &barrier;
		/* Half unnamed numbers: their text is built in the buffer. */
		e[i].err = i % 2 == 0 ? 100000 + i : known[i];
		want[i] = strdup(strerror(e[i].err));
		ck_assert_ptr_nonnull(want[i]);
		e[i].want = want[i];
	}
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&e[i].tid, NULL, errer_main,
		    &e[i]), 0);
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(e[i].tid, NULL), 0);
	for (i = 0; i < THREADS; i++) {
		ck_assert_msg(e[i].bad == 0, "thread %d (errno %d): %d of %d "
		    "texts were not \"%s\"", i, e[i].err, e[i].bad, ROUNDS,
		    want[i]);
		free(want[i]);
	}
	ck_assert_int_eq(pthread_barrier_destroy(&barrier), 0);
}
END_TEST

static Suite *
errstr_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("errstr");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_errstr_known);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_errstr_unknown);
	tcase_add_test(tc, test_errstr_threads);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(errstr_suite());
}
