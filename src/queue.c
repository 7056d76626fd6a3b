/*
 * queue.c - the bounded connection queue between the accept thread and the
 * worker pool: a ring buffer of struct conn (after httpd's fd_queue_t).
 *
 * Thread model and lock rules (restated from queue.h):
 *   - One mutex, q->lock, guards every field except capacity, which is
 *     fixed at creation.  Two condition variables hang off it: not_empty
 *     (workers wait in queue_pop) and not_full (the acceptor waits in
 *     queue_push and queue_wait_space).
 *   - The mutex is held only to copy one struct conn in or out and to
 *     update the indices: never across I/O, never together with any other
 *     lock, so it cannot take part in a lock-order cycle.
 *   - Every wait is a while-loop on its predicate, so spurious wake-ups,
 *     stolen wake-ups and several waiters are harmless.
 *   - A condition is signalled only when someone waits on it
 *     (pop_waiters, push_waiters, counted under the mutex, as libuv counts
 *     idle_threads): on the hot accept path most pushes find no idle worker
 *     asleep, or most pops no blocked acceptor, and the futex wake-up
 *     system call is skipped.
 *   - queue_close() sets closed under the mutex, then broadcasts both
 *     conditions, so no waiter can miss it.
 *
 * A failing pthread lock, unlock, wait or signal means a corrupt or
 * misused object: a programming error, so sync.h abort()s as libuv does
 * rather than run on with the queue's invariants in doubt.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "queue.h"
#include "sync.h"

struct queue {
	pthread_mutex_t	 lock;
	pthread_cond_t	 not_empty;	/* count > 0 or closed */
	pthread_cond_t	 not_full;	/* count < capacity or closed */
	struct conn	*data;		/* capacity slots */
	size_t		 capacity;	/* immutable after queue_create */
	size_t		 in;		/* next slot to fill */
	size_t		 out;		/* next slot to take */
	size_t		 count;		/* slots in use */
	unsigned int	 pop_waiters;	/* threads asleep on not_empty */
	unsigned int	 push_waiters;	/* threads asleep on not_full */
	int		 closed;
};

static void	put(struct queue *, const struct conn *);
static void	take(struct queue *, struct conn *);
static enum queue_status take_any(struct queue *, struct conn *);
static void	wait_not_full(struct queue *);

/* Copy c into the tail slot and wake a worker if one sleeps.  Lock held,
 * a slot free. */
static void
put(struct queue *q, const struct conn *c)
{
	q->data[q->in] = *c;
	/* A compare instead of %: capacity is not a power of two. */
	if (++q->in == q->capacity)
		q->in = 0;
	q->count++;
	if (q->pop_waiters > 0)
		sync_signal(&q->not_empty);
}

/* Copy the head slot into *out and wake a pusher if one sleeps.  Lock held,
 * queue not empty. */
static void
take(struct queue *q, struct conn *out)
{
	*out = q->data[q->out];
	if (++q->out == q->capacity)
		q->out = 0;
	q->count--;
	if (q->push_waiters > 0)
		sync_signal(&q->not_full);
}

struct queue *
queue_create(size_t capacity)
{
	struct queue	*q;
	int		 error;

	if (capacity == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	/* calloc checks capacity * sizeof(struct conn) for overflow. */
	if ((q->data = calloc(capacity, sizeof(*q->data))) == NULL)
		goto fail_data;
	q->capacity = capacity;

	sync_mutex_init(&q->lock);
	sync_cond_init(&q->not_empty);
	sync_cond_init(&q->not_full);
	return q;

fail_data:
	/* free() may not clobber errno before POSIX 2024: keep calloc's. */
	error = errno;
	free(q);
	errno = error;
	return NULL;
}

void
queue_destroy(struct queue *q)
{
	if (q == NULL)
		return;
	/* EBUSY here means a thread still uses the queue: a caller's bug. */
	if (pthread_cond_destroy(&q->not_full) != 0 ||
	    pthread_cond_destroy(&q->not_empty) != 0 ||
	    pthread_mutex_destroy(&q->lock) != 0)
		abort();
	free(q->data);
	free(q);
}

/* With the lock held: wait until a slot is free or the queue is closed. */
static void
wait_not_full(struct queue *q)
{
	while (q->count == q->capacity && !q->closed) {
		q->push_waiters++;
		sync_wait(&q->not_full, &q->lock);
		q->push_waiters--;
	}
}

enum queue_status
queue_wait_space(struct queue *q)
{
	enum queue_status	st;

	sync_lock(&q->lock);
	wait_not_full(q);
	if (q->closed)
		st = QUEUE_CLOSED;
	else {
		st = QUEUE_OK;
		/*
		 * We fill no slot, so pass on a wake-up we may have taken
		 * from a blocked queue_push: it would sleep by a free slot.
		 */
		if (q->push_waiters > 0)
			sync_signal(&q->not_full);
	}
	sync_unlock(&q->lock);
	return st;
}

enum queue_status
queue_push(struct queue *q, const struct conn *c)
{
	enum queue_status	st;

	sync_lock(&q->lock);
	wait_not_full(q);
	if (q->closed)
		st = QUEUE_CLOSED;
	else {
		put(q, c);
		st = QUEUE_OK;
	}
	sync_unlock(&q->lock);
	return st;
}

enum queue_status
queue_try_push(struct queue *q, const struct conn *c)
{
	enum queue_status	st;

	sync_lock(&q->lock);
	if (q->closed)
		st = QUEUE_CLOSED;
	else if (q->count == q->capacity)
		st = QUEUE_FULL;
	else {
		put(q, c);
		st = QUEUE_OK;
	}
	sync_unlock(&q->lock);
	return st;
}

enum queue_status
queue_pop(struct queue *q, struct conn *out)
{
	enum queue_status	st;

	sync_lock(&q->lock);
	while (q->count == 0 && !q->closed) {
		q->pop_waiters++;
		sync_wait(&q->not_empty, &q->lock);
		q->pop_waiters--;
	}
	/*
	 * Queued items outlive the close: a graceful stop serves the
	 * connections already accepted (their clients may have sent frames).
	 */
	st = take_any(q, out);
	sync_unlock(&q->lock);
	return st;
}

enum queue_status
queue_drain_one(struct queue *q, struct conn *out)
{
	enum queue_status	st;

	sync_lock(&q->lock);
	st = take_any(q, out);
	sync_unlock(&q->lock);
	return st;
}

/* The head item if there is one (lock held), else QUEUE_CLOSED. */
static enum queue_status
take_any(struct queue *q, struct conn *out)
{
	if (q->count == 0)
		return QUEUE_CLOSED;
	take(q, out);
	return QUEUE_OK;
}

void
queue_close(struct queue *q)
{
	sync_lock(&q->lock);
	q->closed = 1;
	/*
	 * Broadcast before unlocking: once a woken waiter returns, its owner
	 * may queue_destroy(), and a broadcast after our unlock would then
	 * touch freed memory.
	 */
	sync_broadcast(&q->not_empty);
	sync_broadcast(&q->not_full);
	sync_unlock(&q->lock);
}

size_t
queue_length(struct queue *q)
{
	size_t	n;

	sync_lock(&q->lock);
	n = q->count;
	sync_unlock(&q->lock);
	return n;
}

size_t
queue_capacity(const struct queue *q)
{
	/* Fixed at creation: no lock needed. */
	return q->capacity;
}
