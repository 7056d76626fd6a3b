/*
 * acceptor.h - the accept loops: one thread per listener, each blocking in
 * accept(2) and handing connections to the queue.
 *
 * Thread model: the thread that calls acceptors_run() (main) serves the
 * first listener; acceptors_create() starts one thread for each other one.
 * All of them push into the one bounded queue.  By default a loop waits
 * for a free queue slot *before* accept(), so a burst waits in the
 * kernel's listen backlog rather than in memory (httpd's worker MPM does
 * the same); with reject_when_full it accepts and closes what does not fit.
 *
 * Stopping: acceptors_stop() (any thread, e.g. the signal thread) sets
 * each listener's woken flag and interrupts every loop blocked in accept()
 * with a signal whose handler does nothing (ACCEPTOR_WAKE_SIGNAL, no
 * SA_RESTART, so accept fails with EINTR), repeating until each loop has
 * left: a signal that lands just before accept() is entered would
 * otherwise be lost.  Listening sockets are never shut down, so one passed
 * by the service manager stays usable for the next instance.  Every thread
 * but the accepting ones keeps that signal blocked.
 */
#ifndef ACCEPTOR_H
#define ACCEPTOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "listener.h"
#include "queue.h"

#define ACCEPTOR_WAKE_SIGNAL	SIGRTMIN

struct acceptor_config {
	bool		reject_when_full;
	unsigned	threads;	/* for the "all workers busy" line */
	unsigned	queue;
};

struct acceptors;

/*
 * Install the wake-up handler and start a thread for each of ls[1..n)
 * (ls[0] is left for acceptors_run).  The caller must have blocked
 * ACCEPTOR_WAKE_SIGNAL (with the others) before any thread started.
 * NULL with a reason in err on failure; threads already started keep
 * running until the caller exits.
 */
struct acceptors *acceptors_create(struct listener *const *ls, unsigned n,
		    struct queue *q, const struct acceptor_config *cfg,
		    char *err, size_t errlen);

/* Run the first listener's loop in the calling thread until stopped. */
void		 acceptors_run(struct acceptors *a);

/*
 * Stop every loop and return once each has left accept(): no connection
 * is accepted after this returns.  Callers close the queue first (a loop
 * may be waiting for space).  Idempotent; any thread.
 */
void		 acceptors_stop(struct acceptors *a);

/* Join the threads (after acceptors_stop) and free. */
void		 acceptors_destroy(struct acceptors *a);

#endif /* ACCEPTOR_H */
