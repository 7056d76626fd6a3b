/*
 * check_queue.c - unit tests for the bounded connection queue.
 *
 * Core covers the single-threaded contract and each blocking call; Limits
 * covers close, draining, capacity 1 and multi-threaded stress.  A hang shows
 * up as a Check timeout (CK_DEFAULT_TIMEOUT).
 *
 * Helper threads never call ck_assert: a failure outside the test's own
 * thread cannot be reported reliably (and not at all with CK_FORK=no).  They
 * record what they saw and the test thread checks it after joining them.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue.h"
#include "testutil.h"

/* How long a thread must stay blocked to count as blocked. */
#define BLOCK_MS	100

#define STRESS_ITEMS	100000
#define STRESS_CAP	8
#define STRESS_CONS	4
#define STRESS_PROD	4

#define CLOSE_POPPERS	4

/*
 * Limits' timeout when CK_DEFAULT_TIMEOUT is unset: Check's 4 s default is
 * too tight for the stress tests under ThreadSanitizer on a loaded machine.
 */
#define LIMITS_TIMEOUT	30

struct waiter {
	struct queue		*q;
	struct conn		 c;	/* pushed, or popped */
	enum queue_status	 st;
	atomic_int		 started;
	atomic_int		 done;
};

struct producer {
	struct queue		*q;
	int			 id;
	uint64_t		 first;	/* sequence numbers first..last-1 */
	uint64_t		 last;
	int			 refused;	/* pushes not QUEUE_OK */
};

struct consumer {
	struct queue		*q;
	atomic_uint		*seen;	/* per item receive counts */
	uint64_t		 per_prod;	/* items per producer */
	int			 nprod;
	uint64_t		 lastseq[STRESS_PROD];
	int			 order_errors;
	int			 bad_items;
	uint64_t		 received;
	int			 stop_on_sentinel;
};

static void	 msleep(long);
static struct conn mkconn(int, uint64_t);
static void	 start(pthread_t *, void *(*)(void *), void *);
static void	 join(pthread_t);
static void	 wait_started(struct waiter *);
static void	*push_thread(void *);
static void	*pop_thread(void *);
static void	*wait_space_thread(void *);
static void	*producer_thread(void *);
static void	*consumer_thread(void *);
static void	 record(struct consumer *, const struct conn *);
static void	 fill(struct queue *);
static void	 stress(int, int, int);
static Suite	*queue_suite(void);

static void
msleep(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

static struct conn
mkconn(int fd, uint64_t seq)
{
	struct conn	c;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.peerlen = sizeof(c.peer);
	c.accepted_ns = seq;
	return c;
}

static void
start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	ck_assert_int_eq(pthread_create(t, NULL, fn, arg), 0);
}

static void
join(pthread_t t)
{
	ck_assert_int_eq(pthread_join(t, NULL), 0);
}

/* Wait until w's thread is about to make its call, then give it BLOCK_MS
 * to get into the wait. */
static void
wait_started(struct waiter *w)
{
	while (atomic_load(&w->started) == 0)
		msleep(1);
	msleep(BLOCK_MS);
}

static void *
push_thread(void *arg)
{
	struct waiter	*w = arg;

	atomic_store(&w->started, 1);
	w->st = queue_push(w->q, &w->c);
	atomic_store(&w->done, 1);
	return NULL;
}

static void *
pop_thread(void *arg)
{
	struct waiter	*w = arg;

	atomic_store(&w->started, 1);
	w->st = queue_pop(w->q, &w->c);
	atomic_store(&w->done, 1);
	return NULL;
}

static void *
wait_space_thread(void *arg)
{
	struct waiter	*w = arg;

	atomic_store(&w->started, 1);
	w->st = queue_wait_space(w->q);
	atomic_store(&w->done, 1);
	return NULL;
}

static void *
producer_thread(void *arg)
{
	struct producer	*p = arg;
	struct conn	 c;
	uint64_t	 seq;

	for (seq = p->first; seq < p->last; seq++) {
		c = mkconn(p->id, seq);
		if (queue_push(p->q, &c) != QUEUE_OK)
			p->refused++;
	}
	return NULL;
}

/* Count an item once and check it follows its producer's previous one. */
static void
record(struct consumer *k, const struct conn *c)
{
	uint64_t	seq = c->accepted_ns;
	int		id = c->fd;

	if (id < 0 || id >= k->nprod || seq < (uint64_t)id * k->per_prod ||
	    seq >= (uint64_t)(id + 1) * k->per_prod) {
		k->bad_items++;
		return;
	}
	/* lastseq holds seq + 1, so 0 means nothing seen yet. */
	if (seq + 1 <= k->lastseq[id])
		k->order_errors++;
	k->lastseq[id] = seq + 1;
	atomic_fetch_add_explicit(&k->seen[seq], 1, memory_order_relaxed);
	k->received++;
}

static void *
consumer_thread(void *arg)
{
	struct consumer	*k = arg;
	struct conn	 c;

	while (queue_pop(k->q, &c) == QUEUE_OK) {
		if (k->stop_on_sentinel && c.fd == -1)
			break;
		record(k, &c);
	}
	return NULL;
}

static void
fill(struct queue *q)
{
	struct conn	c;
	size_t		i;

	for (i = 0; i < queue_capacity(q); i++) {
		c = mkconn((int)i, i);
		ck_assert_int_eq(queue_try_push(q, &c), QUEUE_OK);
	}
	ck_assert_uint_eq(queue_length(q), queue_capacity(q));
}

/*
 * nprod producers push STRESS_ITEMS in all through a small queue to ncons
 * consumers.  With use_close the producers' end is signalled by queue_close()
 * and the test drains what the consumers left, as the server shuts down;
 * otherwise by one sentinel per consumer, so every item goes through
 * queue_pop.  Every item must arrive exactly once, and each consumer (and
 * the drain) must see each producer's items in increasing order.
 */
static void
stress(int nprod, int ncons, int use_close)
{
	struct producer	 prods[STRESS_PROD];
	struct consumer	 cons[STRESS_CONS], drain;
	pthread_t	 pt[STRESS_PROD], ct[STRESS_CONS];
	atomic_uint	*seen;
	struct queue	*q;
	struct conn	 c;
	uint64_t	 per_prod, total, i;
	int		 j;

	ck_assert(nprod <= STRESS_PROD && ncons <= STRESS_CONS);
	per_prod = STRESS_ITEMS / nprod;
	total = per_prod * nprod;
	seen = calloc(total, sizeof(*seen));
	ck_assert_ptr_nonnull(seen);
	for (i = 0; i < total; i++)
		atomic_init(&seen[i], 0);
	q = queue_create(STRESS_CAP);
	ck_assert_ptr_nonnull(q);

	memset(cons, 0, sizeof(cons));
	for (j = 0; j < ncons; j++) {
		cons[j].q = q;
		cons[j].seen = seen;
		cons[j].per_prod = per_prod;
		cons[j].nprod = nprod;
		cons[j].stop_on_sentinel = !use_close;
		start(&ct[j], consumer_thread, &cons[j]);
	}
	for (j = 0; j < nprod; j++) {
		prods[j].q = q;
		prods[j].id = j;
		prods[j].first = j * per_prod;
		prods[j].last = (j + 1) * per_prod;
		prods[j].refused = 0;
		start(&pt[j], producer_thread, &prods[j]);
	}
	for (j = 0; j < nprod; j++) {
		join(pt[j]);
		ck_assert_int_eq(prods[j].refused, 0);
	}

	memset(&drain, 0, sizeof(drain));
	drain.seen = seen;
	drain.per_prod = per_prod;
	drain.nprod = nprod;
	if (use_close)
		queue_close(q);
	else {
		c = mkconn(-1, 0);
		for (j = 0; j < ncons; j++)
			ck_assert_int_eq(queue_push(q, &c), QUEUE_OK);
	}
	for (j = 0; j < ncons; j++)
		join(ct[j]);
	while (queue_drain_one(q, &c) == QUEUE_OK)
		record(&drain, &c);
	if (!use_close)
		ck_assert_uint_eq(drain.received, 0);

	total = drain.received;
	ck_assert_int_eq(drain.bad_items, 0);
	ck_assert_int_eq(drain.order_errors, 0);
	for (j = 0; j < ncons; j++) {
		ck_assert_int_eq(cons[j].bad_items, 0);
		ck_assert_int_eq(cons[j].order_errors, 0);
		total += cons[j].received;
	}
	ck_assert_uint_eq(total, per_prod * nprod);
	for (i = 0; i < per_prod * nprod; i++)
		ck_assert_msg(atomic_load(&seen[i]) == 1,
		    "item %ju received %u times", (uintmax_t)i,
		    atomic_load(&seen[i]));
	queue_destroy(q);
	free(seen);
}

/* --- Core ------------------------------------------------------------ */

START_TEST(test_create_invalid)
{
	errno = 0;
	ck_assert_ptr_null(queue_create(0));
	ck_assert_int_eq(errno, EINVAL);
	queue_destroy(NULL);
}
END_TEST

START_TEST(test_fifo_order)
{
	struct queue	*q;
	struct conn	 c, out;
	size_t		 len, n;
	int		 round, next_in = 0, next_out = 0;

	q = queue_create(5);
	ck_assert_ptr_nonnull(q);
	/*
	 * Uneven batches in and out walk the indices round the ring many
	 * times from every offset.
	 */
	for (round = 0; next_out < 10000; round++) {
		len = queue_length(q);
		for (n = 1 + round % 5; n > 0 && len < 5 && next_in < 10000;
		    n--, len++) {
			c = mkconn(next_in, (uint64_t)next_in * 3);
			ck_assert_int_eq(queue_push(q, &c), QUEUE_OK);
			next_in++;
		}
		for (n = 1 + round % 3; n > 0 && queue_length(q) > 0; n--) {
			ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
			ck_assert_int_eq(out.fd, next_out);
			ck_assert_uint_eq(out.accepted_ns,
			    (uint64_t)next_out * 3);
			ck_assert_uint_eq(out.peerlen, sizeof(out.peer));
			next_out++;
		}
	}
	ck_assert_int_eq(next_in, 10000);
	ck_assert_uint_eq(queue_length(q), 0);
	ck_assert_int_eq(queue_drain_one(q, &out), QUEUE_CLOSED);
	queue_destroy(q);
}
END_TEST

START_TEST(test_capacity_bound)
{
	struct queue	*q;
	struct conn	 c, out;

	q = queue_create(4);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(queue_capacity(q), 4);
	ck_assert_uint_eq(queue_length(q), 0);
	fill(q);
	c = mkconn(99, 99);
	ck_assert_int_eq(queue_try_push(q, &c), QUEUE_FULL);
	ck_assert_int_eq(queue_try_push(q, &c), QUEUE_FULL);
	ck_assert_uint_eq(queue_length(q), 4);

	/* One slot freed: exactly one more fits, at the tail. */
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(out.fd, 0);
	ck_assert_uint_eq(queue_length(q), 3);
	ck_assert_int_eq(queue_wait_space(q), QUEUE_OK);
	ck_assert_int_eq(queue_try_push(q, &c), QUEUE_OK);
	ck_assert_int_eq(queue_try_push(q, &c), QUEUE_FULL);
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(out.fd, 1);
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(out.fd, 99);
	ck_assert_uint_eq(queue_length(q), 0);
	ck_assert_uint_eq(queue_capacity(q), 4);
	queue_destroy(q);
}
END_TEST

START_TEST(test_push_blocks_when_full)
{
	struct queue	*q;
	struct waiter	 w;
	struct conn	 out;
	pthread_t	 t;
	int		 i;

	q = queue_create(3);
	ck_assert_ptr_nonnull(q);
	fill(q);
	memset(&w, 0, sizeof(w));
	w.q = q;
	w.c = mkconn(42, 42);
	start(&t, push_thread, &w);
	wait_started(&w);
	ck_assert_msg(atomic_load(&w.done) == 0,
	    "queue_push returned on a full queue");
	ck_assert_uint_eq(queue_length(q), 3);

	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(out.fd, 0);
	join(t);
	ck_assert_int_eq(w.st, QUEUE_OK);
	ck_assert_uint_eq(queue_length(q), 3);
	/* The blocked item went in behind the ones already queued. */
	for (i = 1; i < 3; i++) {
		ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
		ck_assert_int_eq(out.fd, i);
	}
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(out.fd, 42);
	queue_destroy(q);
}
END_TEST

START_TEST(test_pop_blocks_when_empty)
{
	struct queue	*q;
	struct waiter	 w;
	struct conn	 c;
	pthread_t	 t;

	q = queue_create(2);
	ck_assert_ptr_nonnull(q);
	memset(&w, 0, sizeof(w));
	w.q = q;
	w.c = mkconn(-5, 0);
	start(&t, pop_thread, &w);
	wait_started(&w);
	ck_assert_msg(atomic_load(&w.done) == 0,
	    "queue_pop returned on an empty queue");

	c = mkconn(7, 1234);
	ck_assert_int_eq(queue_push(q, &c), QUEUE_OK);
	join(t);
	ck_assert_int_eq(w.st, QUEUE_OK);
	ck_assert_int_eq(w.c.fd, 7);
	ck_assert_uint_eq(w.c.accepted_ns, 1234);
	ck_assert_uint_eq(queue_length(q), 0);
	queue_destroy(q);
}
END_TEST

START_TEST(test_wait_space_blocks_when_full)
{
	struct queue	*q;
	struct waiter	 w;
	struct conn	 out;
	pthread_t	 t;

	q = queue_create(2);
	ck_assert_ptr_nonnull(q);
	/* Room already: no wait. */
	ck_assert_int_eq(queue_wait_space(q), QUEUE_OK);
	fill(q);
	memset(&w, 0, sizeof(w));
	w.q = q;
	start(&t, wait_space_thread, &w);
	wait_started(&w);
	ck_assert_msg(atomic_load(&w.done) == 0,
	    "queue_wait_space returned on a full queue");

	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	join(t);
	ck_assert_int_eq(w.st, QUEUE_OK);
	/* It only waited: the slot is still free. */
	ck_assert_uint_eq(queue_length(q), 1);
	queue_destroy(q);
}
END_TEST

/*
 * A queue_wait_space waiter and a queue_push waiter on one full queue: a
 * single pop frees one slot, and the pusher must get it even when the
 * wake-up went to the waiter, which fills nothing and must pass it on.
 */
START_TEST(test_wait_space_and_push)
{
	struct queue	*q;
	struct waiter	 ws, wp;
	struct conn	 out;
	pthread_t	 t1, t2;

	q = queue_create(1);
	ck_assert_ptr_nonnull(q);
	fill(q);
	memset(&ws, 0, sizeof(ws));
	memset(&wp, 0, sizeof(wp));
	ws.q = wp.q = q;
	wp.c = mkconn(11, 11);
	start(&t1, wait_space_thread, &ws);
	wait_started(&ws);
	start(&t2, push_thread, &wp);
	wait_started(&wp);
	ck_assert(atomic_load(&ws.done) == 0 && atomic_load(&wp.done) == 0);

	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	/* Whichever took the wake-up, the pusher must finish now. */
	join(t2);
	ck_assert_int_eq(wp.st, QUEUE_OK);
	/* The waiter may have lost the race to the pusher: free the slot. */
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(out.fd, 11);
	join(t1);
	ck_assert_int_eq(ws.st, QUEUE_OK);
	queue_destroy(q);
}
END_TEST

/* --- Limits ---------------------------------------------------------- */

START_TEST(test_close_wakes_every_waiter)
{
	struct queue	*empty, *full;
	struct waiter	 pop[CLOSE_POPPERS], push, space;
	pthread_t	 pt[CLOSE_POPPERS], t_push, t_space;
	int		 i;

	/* Poppers need an empty queue, the acceptor's waits a full one. */
	empty = queue_create(4);
	full = queue_create(2);
	ck_assert_ptr_nonnull(empty);
	ck_assert_ptr_nonnull(full);
	fill(full);

	for (i = 0; i < CLOSE_POPPERS; i++) {
		memset(&pop[i], 0, sizeof(pop[i]));
		pop[i].q = empty;
		start(&pt[i], pop_thread, &pop[i]);
	}
	memset(&push, 0, sizeof(push));
	push.q = full;
	push.c = mkconn(3, 3);
	start(&t_push, push_thread, &push);
	memset(&space, 0, sizeof(space));
	space.q = full;
	start(&t_space, wait_space_thread, &space);

	for (i = 0; i < CLOSE_POPPERS; i++)
		while (atomic_load(&pop[i].started) == 0)
			msleep(1);
	wait_started(&push);
	wait_started(&space);
	for (i = 0; i < CLOSE_POPPERS; i++)
		ck_assert_msg(atomic_load(&pop[i].done) == 0,
		    "popper %d did not block", i);
	ck_assert(atomic_load(&push.done) == 0);
	ck_assert(atomic_load(&space.done) == 0);

	/* A lost wake-up leaves a join hanging until the Check timeout. */
	queue_close(empty);
	queue_close(full);
	for (i = 0; i < CLOSE_POPPERS; i++) {
		join(pt[i]);
		ck_assert_int_eq(pop[i].st, QUEUE_CLOSED);
	}
	join(t_push);
	ck_assert_int_eq(push.st, QUEUE_CLOSED);
	join(t_space);
	ck_assert_int_eq(space.st, QUEUE_CLOSED);
	/* The refused push left the queue as it was. */
	ck_assert_uint_eq(queue_length(full), 2);
	queue_destroy(empty);
	queue_destroy(full);
}
END_TEST

START_TEST(test_pop_after_close_then_drain)
{
	struct queue	*q;
	struct conn	 c, out;
	int		 i;

	q = queue_create(8);
	ck_assert_ptr_nonnull(q);
	for (i = 0; i < 5; i++) {
		c = mkconn(100 + i, (uint64_t)i);
		ck_assert_int_eq(queue_push(q, &c), QUEUE_OK);
	}
	queue_close(q);

	/* Closing refuses every push; pops still drain, oldest first. */
	ck_assert_int_eq(queue_push(q, &c), QUEUE_CLOSED);
	ck_assert_int_eq(queue_try_push(q, &c), QUEUE_CLOSED);
	ck_assert_int_eq(queue_wait_space(q), QUEUE_CLOSED);
	ck_assert_uint_eq(queue_length(q), 5);
	queue_close(q);		/* idempotent */

	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(out.fd, 100);
	ck_assert_uint_eq(out.accepted_ns, 0);
	for (i = 1; i < 5; i++) {
		ck_assert_int_eq(queue_drain_one(q, &out), QUEUE_OK);
		ck_assert_int_eq(out.fd, 100 + i);
		ck_assert_uint_eq(out.accepted_ns, (uint64_t)i);
	}
	ck_assert_uint_eq(queue_length(q), 0);
	/* Empty and closed: pop no longer blocks. */
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_CLOSED);
	ck_assert_int_eq(queue_drain_one(q, &out), QUEUE_CLOSED);
	ck_assert_int_eq(queue_drain_one(q, &out), QUEUE_CLOSED);
	queue_destroy(q);
}
END_TEST

START_TEST(test_capacity_one)
{
	struct queue	*q;
	struct producer	 p;
	struct consumer	 k;
	pthread_t	 pt, ct;
	atomic_uint	*seen;
	struct conn	 c, out;
	uint64_t	 i, n = 10000;

	q = queue_create(1);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(queue_capacity(q), 1);
	c = mkconn(1, 1);
	ck_assert_int_eq(queue_try_push(q, &c), QUEUE_OK);
	ck_assert_uint_eq(queue_length(q), 1);
	ck_assert_int_eq(queue_try_push(q, &c), QUEUE_FULL);
	ck_assert_int_eq(queue_pop(q, &out), QUEUE_OK);
	ck_assert_int_eq(out.fd, 1);
	ck_assert_int_eq(queue_drain_one(q, &out), QUEUE_CLOSED);

	/* Strict hand-off: every item waits for the previous one's pop. */
	seen = calloc(n, sizeof(*seen));
	ck_assert_ptr_nonnull(seen);
	for (i = 0; i < n; i++)
		atomic_init(&seen[i], 0);
	memset(&k, 0, sizeof(k));
	k.q = q;
	k.seen = seen;
	k.per_prod = n;
	k.nprod = 1;
	k.stop_on_sentinel = 1;
	memset(&p, 0, sizeof(p));
	p.q = q;
	p.first = 0;
	p.last = n;
	start(&ct, consumer_thread, &k);
	start(&pt, producer_thread, &p);
	join(pt);
	c = mkconn(-1, 0);
	ck_assert_int_eq(queue_push(q, &c), QUEUE_OK);
	join(ct);
	ck_assert_int_eq(p.refused, 0);
	ck_assert_int_eq(k.bad_items, 0);
	ck_assert_int_eq(k.order_errors, 0);
	ck_assert_uint_eq(k.received, n);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(atomic_load(&seen[i]), 1);
	free(seen);
	queue_destroy(q);
}
END_TEST

/* The server's shape: one acceptor, a pool of workers. */
START_TEST(test_stress_one_producer)
{
	stress(1, STRESS_CONS, 0);
}
END_TEST

/* Several producers, ended by close and drain as at shutdown. */
START_TEST(test_stress_many_producers_close)
{
	stress(STRESS_PROD, STRESS_CONS, 1);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("queue");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_create_invalid);
	tcase_add_test(tc, test_fifo_order);
	tcase_add_test(tc, test_capacity_bound);
	tcase_add_test(tc, test_push_blocks_when_full);
	tcase_add_test(tc, test_pop_blocks_when_empty);
	tcase_add_test(tc, test_wait_space_blocks_when_full);
	tcase_add_test(tc, test_wait_space_and_push);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	if (getenv("CK_DEFAULT_TIMEOUT") == NULL)
		tcase_set_timeout(tc, LIMITS_TIMEOUT);
	tcase_add_test(tc, test_close_wakes_every_waiter);
	tcase_add_test(tc, test_pop_after_close_then_drain);
	tcase_add_test(tc, test_capacity_one);
	tcase_add_test(tc, test_stress_one_producer);
	tcase_add_test(tc, test_stress_many_producers_close);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(queue_suite());
}
