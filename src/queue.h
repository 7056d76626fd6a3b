/*
 * queue.h - the bounded connection queue between the accept thread and the
 * worker pool (after httpd's fd_queue_t).
 *
 * Thread model and lock rules:
 *   - One mutex guards everything in the queue; two condition variables
 *     signal "not empty" (workers wait) and "not full" (the acceptor waits).
 *   - The mutex is held only to copy a struct conn in or out: never across
 *     I/O, never together with any other lock.
 *   - Waits are while-loops on the predicate, so spurious wake-ups and
 *     several waiters are harmless.
 *   - queue_close() sets the closed flag under the mutex, then broadcasts
 *     both conditions, so no waiter can miss it.
 *
 * Items leave in FIFO order.  An item is a struct conn (conn.h).
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>

#include "conn.h"

enum queue_status {
	QUEUE_OK = 0,
	QUEUE_FULL = 1,		/* queue_try_push: no free slot */
	QUEUE_CLOSED = 2	/* queue_close() was called */
};

struct queue;

/* A queue holding at most capacity (>= 1) connections; NULL on ENOMEM. */
struct queue		*queue_create(size_t capacity);
/* Free the queue.  No thread may be using it; queued items are dropped
 * without closing their descriptors (drain first). */
void			 queue_destroy(struct queue *q);

/* Block until a slot is free (QUEUE_OK) or the queue is closed. */
enum queue_status	 queue_wait_space(struct queue *q);
/* Append c, blocking while the queue is full. */
enum queue_status	 queue_push(struct queue *q, const struct conn *c);
/* Append c if a slot is free, else QUEUE_FULL at once. */
enum queue_status	 queue_try_push(struct queue *q, const struct conn *c);
/*
 * Take the oldest connection into *out, blocking while the queue is empty
 * and open.  After queue_close() the items still queued are handed out
 * (a graceful stop serves them), then QUEUE_CLOSED.
 */
enum queue_status	 queue_pop(struct queue *q, struct conn *out);
/* Take the oldest item without blocking: QUEUE_OK, or QUEUE_CLOSED when the
 * queue is empty.  Works on an open or a closed queue (for draining). */
enum queue_status	 queue_drain_one(struct queue *q, struct conn *out);
/* Refuse further pushes, let pops drain what is queued, and wake every
 * waiter. */
void			 queue_close(struct queue *q);
/* Items queued now (a snapshot). */
size_t			 queue_length(struct queue *q);
size_t			 queue_capacity(const struct queue *q);

#endif /* QUEUE_H */
