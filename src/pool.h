/*
 * pool.h - the fixed pool of worker threads.
 *
 * Thread model:
 *   - N workers are started once by pool_create() and live until
 *     pool_stop().  Each loops: queue_pop() a connection, run the blocking
 *     echo loop on it (echo.h), close it, repeat.  One connection per worker
 *     at a time; the queue lock is held only inside queue_pop().
 *   - Each worker has a slot: its thread, its echo state and counters, and
 *     the descriptor it is serving.  The slot's fd is guarded by the slot's
 *     own mutex, taken twice per connection (set, clear) by the worker and by
 *     the stopper to shut the fd down.  Because the worker clears the fd
 *     under that mutex *before* closing it, the stopper can never shut down
 *     a descriptor number that was closed and reused.
 *   - Workers run under SCHED_BATCH unless told otherwise (set_policy in
 *     pool.c says why).
 *   - Lock order: a slot mutex may be taken alone, or the pool mutex alone;
 *     never both, and never with the queue mutex.  One I/O call runs under
 *     a slot mutex: the stopper's shutdown(2) of that slot's descriptor.
 *     It never blocks (it only marks the socket and wakes its waiters),
 *     and holding the mutex is what keeps the number from being closed
 *     and reused under it.
 *   - Stopping (pool_stop): set the stopping flag; wake the workers that are
 *     blocked between frames with shutdown(SHUT_RD) (the handshake in
 *     echo.h).  From then on a worker echoes what its client has already
 *     sent, finishing a frame in progress, and closes the connection when
 *     the client pauses; then it serves the connections still queued the
 *     same way, and exits once the closed queue is empty.  After the
 *     timeout, the queued connections left are closed unserved and every
 *     remaining connection is shut down (SHUT_RDWR); then every worker is
 *     joined.  Never pthread_cancel, never close() a descriptor another
 *     thread is using.
 */
#ifndef POOL_H
#define POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "echo.h"
#include "queue.h"

struct pool_config {
	unsigned		threads;
	size_t			stack_size;
	unsigned		linger_ms;	/* lingering close, see echo_close */
	bool			batch_sched;	/* run the workers SCHED_BATCH */
	struct echo_config	echo;
};

struct pool_totals {
	struct echo_totals	echo;
	unsigned		active;		/* workers serving a connection */
};

struct pool;

/*
 * Start cfg->threads workers taking connections from q, and return only
 * once every one of them is running.  Workers wait at a start gate until
 * all exist, so on failure (a thread cannot be created, no memory) the
 * ones already started exit without having touched q; they are joined, a
 * reason is written to err and NULL is returned.  q stays the caller's,
 * as it was.
 */
struct pool	*pool_create(struct queue *q, const struct pool_config *cfg,
		    char *err, size_t errlen);

/* What a stop could not finish gracefully. */
struct pool_stopped {
	unsigned	forced;		/* being served, cut off at the timeout */
	unsigned	dropped;	/* still queued at the timeout, closed */
};

/*
 * Graceful stop (see above), for up to timeout_ms.  The caller must have
 * closed the queue to pushes (queue_close), so the workers exit once it
 * is empty.
 */
void		 pool_stop(struct pool *p, unsigned timeout_ms,
		    struct pool_stopped *out);

/* Free a stopped pool. */
void		 pool_destroy(struct pool *p);

/* Sum of every worker's counters (safe from any thread, at any time). */
void		 pool_totals(struct pool *p, struct pool_totals *t);

#endif /* POOL_H */
