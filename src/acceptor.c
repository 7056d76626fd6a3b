/*
 * acceptor.c - the accept loops (thread model in acceptor.h).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acceptor.h"
#include "errstr.h"
#include "log.h"

/* How long acceptors_stop keeps interrupting: 10 ms apart, 5 s at most. */
#define STOP_RETRY_MS	10
#define STOP_TRIES	500

struct loop {
	struct acceptors	*set;
	struct listener		*listener;
	pthread_t		 thread;
	bool			 own_thread;	/* created here: join it */
	atomic_bool		 left;		/* out of accept() for good */
};

struct acceptors {
	struct queue		*queue;
	struct acceptor_config	 cfg;
	atomic_bool		 saturated;	/* "all busy" said, not undone */
	struct loop		*loops;
	unsigned		 n;
};

static void	 on_wake(int sig);
static int	 install_handler(char *err, size_t errlen);
static void	*loop_main(void *arg);
static void	 serve(struct loop *lp);
static bool	 wait_for_space(struct loop *lp);
static void	 hand_over(struct loop *lp, struct conn *c);
static int	 set_wake_mask(int how);

struct acceptors *
acceptors_create(struct listener *const *ls, unsigned n, struct queue *q,
    const struct acceptor_config *cfg, char *err, size_t errlen)
{
	struct acceptors *a;
	unsigned i;
	int rc;

	if (install_handler(err, errlen) == -1)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->loops = calloc(n, sizeof(*a->loops))) == NULL) {
		snprintf(err, errlen, "cannot allocate %u accept loops: %s", n,
		    errstr(errno));
		free(a);
		return NULL;
	}
	a->queue = q;
	a->cfg = *cfg;
	a->n = n;
	atomic_init(&a->saturated, false);
	for (i = 0; i < n; i++) {
		a->loops[i].set = a;
		a->loops[i].listener = ls[i];
		atomic_init(&a->loops[i].left, false);
	}
	/* The first loop is the caller's thread (acceptors_run). */
	a->loops[0].thread = pthread_self();
	for (i = 1; i < n; i++) {
		if ((rc = pthread_create(&a->loops[i].thread, NULL, loop_main,
		    &a->loops[i])) != 0) {
			snprintf(err, errlen, "cannot create the accept thread "
			    "for %s: %s", listener_name(ls[i]), errstr(rc));
			return NULL;
		}
		a->loops[i].own_thread = true;
	}
	return a;
}

void
acceptors_run(struct acceptors *a)
{
	serve(&a->loops[0]);
}

void
acceptors_stop(struct acceptors *a)
{
	struct timespec pause = { 0, STOP_RETRY_MS * 1000000L };
	unsigned i, busy, tries;

	for (i = 0; i < a->n; i++)
		listener_wake(a->loops[i].listener);
	for (tries = 0; tries < STOP_TRIES; tries++) {
		busy = 0;
		for (i = 0; i < a->n; i++) {
			if (atomic_load(&a->loops[i].left))
				continue;
			busy++;
			/* ESRCH: it just returned; the next pass sees left. */
			(void)pthread_kill(a->loops[i].thread,
			    ACCEPTOR_WAKE_SIGNAL);
		}
		if (busy == 0)
			return;
		(void)nanosleep(&pause, NULL);
	}
	log_warnx("%u accept loops did not stop within %d ms", busy,
	    STOP_RETRY_MS * STOP_TRIES);
}

void
acceptors_destroy(struct acceptors *a)
{
	unsigned i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		if (a->loops[i].own_thread &&
		    pthread_join(a->loops[i].thread, NULL) != 0)
			abort();
	free(a->loops);
	free(a);
}

/* Does nothing: its only job is to make accept() fail with EINTR. */
static void
on_wake(int sig)
{
	(void)sig;
}

static int
install_handler(char *err, size_t errlen)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;
	sa.sa_flags = 0;	/* no SA_RESTART: accept must return EINTR */
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(ACCEPTOR_WAKE_SIGNAL, &sa, NULL) == -1) {
		snprintf(err, errlen, "cannot install the accept wake-up "
		    "handler: %s", errstr(errno));
		return -1;
	}
	return 0;
}

static void *
loop_main(void *arg)
{
	struct loop *lp = arg;

	(void)pthread_setname_np(pthread_self(), "msgsrv-accept");
	serve(lp);
	return NULL;
}

/* One listener's loop, with the wake-up signal deliverable meanwhile. */
static void
serve(struct loop *lp)
{
	struct conn c;

	if (set_wake_mask(SIG_UNBLOCK) == 0) {
		for (;;) {
			if (!lp->set->cfg.reject_when_full &&
			    !wait_for_space(lp))
				break;
			if (listener_accept(lp->listener, &c) == -1)
				break;
			hand_over(lp, &c);
		}
		(void)set_wake_mask(SIG_BLOCK);
	}
	atomic_store(&lp->left, true);
}

/* Block until the queue has a free slot: false once it is closed. */
static bool
wait_for_space(struct loop *lp)
{
	struct acceptors *a = lp->set;
	struct queue *q = a->queue;

	if (queue_length(q) >= queue_capacity(q) &&
	    !atomic_exchange(&a->saturated, true))
		log_warnx("all %u workers busy and %u connections queued: new "
		    "connections wait in the listen backlog", a->cfg.threads,
		    a->cfg.queue);
	return queue_wait_space(q) == QUEUE_OK;
}

static void
hand_over(struct loop *lp, struct conn *c)
{
	struct acceptors *a = lp->set;

	if (!a->cfg.reject_when_full) {
		if (atomic_exchange(&a->saturated, false))
			log_info("queue has room again");
		/* Closed meanwhile (a stop): the connection cannot be served. */
		if (queue_push(a->queue, c) != QUEUE_OK)
			(void)close(c->fd);
		return;
	}
	switch (queue_try_push(a->queue, c)) {
	case QUEUE_OK:
		break;
	case QUEUE_FULL:
		listener_reject(lp->listener, c);
		break;
	case QUEUE_CLOSED:
	default:
		(void)close(c->fd);
		break;
	}
}

static int
set_wake_mask(int how)
{
	sigset_t set;
	int rc;

	if (sigemptyset(&set) == -1 ||
	    sigaddset(&set, ACCEPTOR_WAKE_SIGNAL) == -1)
		return -1;
	if ((rc = pthread_sigmask(how, &set, NULL)) != 0) {
		log_warnc(rc, "pthread_sigmask");
		return -1;
	}
	return 0;
}
