/*
 * pool.c - the fixed pool of worker threads (thread model in pool.h).
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "echo.h"
#include "errstr.h"
#include "log.h"
#include "msgframe.h"
#include "netutil.h"
#include "pool.h"
#include "queue.h"
#include "sync.h"

struct slot {
	struct pool		*pool;
	pthread_t		 thread;
	pthread_mutex_t		 lock;		/* guards fd */
	int			 fd;		/* -1 when not serving */
	struct echo_worker	 echo;
};

/*
 * The workers' echo buffers, one per slot.  Normally slices of a single
 * anonymous mapping: at 10,000 workers one mmap instead of 10,000 malloc
 * calls (each an mmap of its own plus a page fault on malloc's header) took
 * about a third of a second off start-up here, and a buffer no frame ever
 * filled costs no memory.  Under AddressSanitizer each buffer is malloc'd
 * instead, so an overrun hits a redzone rather than the next buffer.
 */
#if defined(__SANITIZE_ADDRESS__)
#define BUFFERS_MALLOC	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUFFERS_MALLOC	1
#endif
#endif

struct buffers {
	unsigned char		*base;		/* the mapping, or NULL */
	size_t			 stride;	/* bytes from one to the next */
	size_t			 len;		/* of the mapping */
	unsigned char		**each;		/* BUFFERS_MALLOC: one each */
	unsigned		 n;
};

/* The start gate workers pass before they take connections. */
enum gate {
	GATE_CLOSED,		/* pool_create is still starting threads */
	GATE_OPEN,		/* every thread started: serve */
	GATE_ABORT		/* pool_create failed: exit at once */
};

struct pool {
	struct queue		*queue;
	struct pool_config	 cfg;
	atomic_bool		 stopping;
	struct slot		*slots;		/* cfg.threads of them */
	bool			 slots_ready;	/* their mutexes exist */
	unsigned		 nslots;	/* slots with a running thread */
	struct buffers		 bufs;		/* the workers' echo buffers */

	pthread_mutex_t		 lock;		/* guards the four below */
	pthread_cond_t		 changed;	/* running or started changed */
	pthread_cond_t		 gate_cv;	/* gate changed */
	enum gate		 gate;
	unsigned		 running;	/* workers not yet exited */
	unsigned		 started;	/* workers past the gate */
	bool			 creator_waits;	/* pool_create is in the barrier */
	atomic_bool		 policy_warned;	/* set_policy failed once */

	/* The idle sweeper (with an idle timeout only); p->lock guards
	 * sweeper_stop. */
	pthread_t		 sweeper;
	bool			 has_sweeper;
	bool			 sweeper_stop;
	pthread_cond_t		 sweeper_cv;
};

static int	 buffers_create(struct buffers *b, unsigned n, size_t size);
static unsigned char *buffer_of(const struct buffers *b, unsigned i);
static void	 buffers_destroy(struct buffers *b);
static void	*worker_main(void *arg);
static void	 set_policy(struct pool *p);
static void	 serve(struct slot *s, const struct conn *c);
static void	 log_close(const struct pool_config *cfg, const struct conn *c,
		    const struct echo_result *res);
static bool	 check_end(const struct echo_result *res);
static void	 format_peer(const struct conn *c,
		    const struct echo_result *res, char *buf, size_t len);
static void	 slot_set_fd(struct slot *s, int fd);
static void	 shut_slot(struct slot *s, int how, bool only_waiting);
static unsigned	 wait_running(struct pool *p, unsigned timeout_ms);
static int	 start_workers(struct pool *p, char *err, size_t errlen);
static bool	 pass_gate(struct pool *p);
static void	*sweeper_main(void *arg);
static void	 sweep(struct pool *p, uint64_t idle_ns);
static void	 stop_sweeper(struct pool *p);
static bool	 has_input(int fd);
static void	 set_gate(struct pool *p, enum gate g);
static void	 name_thread(void);

struct pool *
pool_create(struct queue *q, const struct pool_config *cfg, char *err,
    size_t errlen)
{
	struct pool *p;
	unsigned i;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "cannot allocate the pool: %s",
		    errstr(errno));
		return NULL;
	}
	p->queue = q;
	p->cfg = *cfg;
	atomic_init(&p->stopping, false);
	atomic_init(&p->policy_warned, false);
	sync_mutex_init(&p->lock);
	sync_cond_init(&p->changed);
	sync_cond_init(&p->gate_cv);
	sync_cond_init(&p->sweeper_cv);
	p->gate = GATE_CLOSED;

	if ((p->slots = calloc(cfg->threads, sizeof(*p->slots))) == NULL) {
		snprintf(err, errlen, "cannot allocate %u workers: %s",
		    cfg->threads, errstr(errno));
		goto fail;
	}
	if (buffers_create(&p->bufs, cfg->threads, cfg->echo.buf_size) == -1) {
		snprintf(err, errlen, "cannot allocate %u worker buffers of "
		    "%zu bytes: %s", cfg->threads, cfg->echo.buf_size,
		    errstr(errno));
		goto fail;
	}
	for (i = 0; i < cfg->threads; i++) {
		struct slot *s = &p->slots[i];

		s->pool = p;
		s->fd = -1;
		sync_mutex_init(&s->lock);
		echo_worker_init(&s->echo, &p->cfg.echo, &p->stopping,
		    buffer_of(&p->bufs, i));
	}
	p->slots_ready = true;
	if (start_workers(p, err, errlen) == -1)
		goto fail;

	if (cfg->echo.idle_timeout_ms != 0) {
		if ((rc = pthread_create(&p->sweeper, NULL, sweeper_main,
		    p)) != 0) {
			snprintf(err, errlen, "cannot create the idle sweeper: "
			    "%s", errstr(rc));
			goto fail;
		}
		p->has_sweeper = true;
	}

	/* Open the gate, then wait until every worker is past it. */
	set_gate(p, GATE_OPEN);
	sync_lock(&p->lock);
	p->creator_waits = true;
	while (p->started < p->nslots)
		sync_wait(&p->changed, &p->lock);
	sync_unlock(&p->lock);
	return p;

fail:
	/* The workers started so far wait at the gate: send them home. */
	set_gate(p, GATE_ABORT);
	stop_sweeper(p);
	for (i = 0; i < p->nslots; i++)
		if (pthread_join(p->slots[i].thread, NULL) != 0)
			abort();
	pool_destroy(p);
	return NULL;
}

/*
 * Create one thread per slot; p->nslots counts those created.  The queue
 * is never touched here: until the gate opens no worker takes from it, so
 * a failure leaves the caller's queue as it was.
 */
static int
start_workers(struct pool *p, char *err, size_t errlen)
{
	pthread_attr_t attr;
	int rc;

	if ((rc = pthread_attr_init(&attr)) != 0) {
		snprintf(err, errlen, "pthread_attr_init: %s", errstr(rc));
		return -1;
	}
	if ((rc = pthread_attr_setstacksize(&attr, p->cfg.stack_size)) != 0) {
		snprintf(err, errlen, "worker stack size %zu: %s",
		    p->cfg.stack_size, errstr(rc));
		(void)pthread_attr_destroy(&attr);
		return -1;
	}
	while (p->nslots < p->cfg.threads) {
		struct slot *s = &p->slots[p->nslots];

		sync_lock(&p->lock);
		p->running++;
		sync_unlock(&p->lock);
		if ((rc = pthread_create(&s->thread, &attr, worker_main,
		    s)) != 0) {
			snprintf(err, errlen, "cannot create worker thread "
			    "%u of %u: %s", p->nslots + 1, p->cfg.threads,
			    errstr(rc));
			sync_lock(&p->lock);
			p->running--;
			sync_unlock(&p->lock);
			(void)pthread_attr_destroy(&attr);
			return -1;
		}
		p->nslots++;
	}
	(void)pthread_attr_destroy(&attr);
	return 0;
}

static void
set_gate(struct pool *p, enum gate g)
{
	sync_lock(&p->lock);
	p->gate = g;
	sync_broadcast(&p->gate_cv);
	sync_unlock(&p->lock);
}

/*
 * A new worker waits here until pool_create has started them all: true to
 * serve, false to exit.  The last one past wakes the creator (only once it
 * waits, and only then: with 10,000 workers a wake-up per start costs most
 * of start-up).
 */
static bool
pass_gate(struct pool *p)
{
	bool open;

	sync_lock(&p->lock);
	while (p->gate == GATE_CLOSED)
		sync_wait(&p->gate_cv, &p->lock);
	open = p->gate == GATE_OPEN;
	if (open) {
		p->started++;
		if (p->creator_waits && p->started == p->nslots)
			sync_signal(&p->changed);
	}
	sync_unlock(&p->lock);
	return open;
}

void
pool_stop(struct pool *p, unsigned timeout_ms, struct pool_stopped *out)
{
	struct conn c;
	unsigned i;

	memset(out, 0, sizeof(*out));
	atomic_store(&p->stopping, true);
	for (i = 0; i < p->nslots; i++)
		shut_slot(&p->slots[i], SHUT_RD, true);

	if (wait_running(p, timeout_ms) > 0) {
		/* Out of time: what is still queued goes unserved... */
		while (queue_drain_one(p->queue, &c) == QUEUE_OK) {
			(void)close(c.fd);
			out->dropped++;
		}
		/* ...and what is being served is cut off. */
		for (i = 0; i < p->nslots; i++) {
			sync_lock(&p->slots[i].lock);
			if (p->slots[i].fd != -1)
				out->forced++;
			sync_unlock(&p->slots[i].lock);
			shut_slot(&p->slots[i], SHUT_RDWR, false);
		}
	}
	for (i = 0; i < p->nslots; i++)
		if (pthread_join(p->slots[i].thread, NULL) != 0)
			abort();
	stop_sweeper(p);
}

void
pool_destroy(struct pool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	if (p->slots_ready)
		for (i = 0; i < p->cfg.threads; i++)
			(void)pthread_mutex_destroy(&p->slots[i].lock);
	buffers_destroy(&p->bufs);
	(void)pthread_cond_destroy(&p->gate_cv);
	(void)pthread_cond_destroy(&p->sweeper_cv);
	(void)pthread_cond_destroy(&p->changed);
	(void)pthread_mutex_destroy(&p->lock);
	free(p->slots);
	free(p);
}

void
pool_totals(struct pool *p, struct pool_totals *t)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < p->nslots; i++) {
		echo_stats_add(&t->echo, &p->slots[i].echo);
		sync_lock(&p->slots[i].lock);
		if (p->slots[i].fd != -1)
			t->active++;
		sync_unlock(&p->slots[i].lock);
	}
}

/*
 * The idle timeout, for every worker at once: the workers block in recv()
 * with no receive timeout (echo.h says why), and this thread wakes a few
 * times per timeout to shut the read side of every connection that has
 * waited between frames for longer.  Eight sweeps per timeout, between
 * 10 ms and 1 s apart: a connection is closed within an eighth of the
 * timeout past it (and a scheduler tick), at a cost of one slot lock per
 * worker per sweep.
 */
static void *
sweeper_main(void *arg)
{
	struct pool *p = arg;
	uint64_t idle_ns, period, next;

	(void)pthread_setname_np(pthread_self(), "msgsrv-sweeper");
	idle_ns = (uint64_t)p->cfg.echo.idle_timeout_ms * CLOCK_NS_PER_MS;
	period = idle_ns / 8;
	if (period < 10 * CLOCK_NS_PER_MS)
		period = 10 * CLOCK_NS_PER_MS;
	if (period > CLOCK_NS_PER_S)
		period = CLOCK_NS_PER_S;
	sync_lock(&p->lock);
	while (!p->sweeper_stop) {
		next = clock_now_ns() + period;
		while (!p->sweeper_stop && sync_wait_until(&p->sweeper_cv,
		    &p->lock, next))
			continue;
		if (p->sweeper_stop)
			break;
		sync_unlock(&p->lock);
		sweep(p, idle_ns);
		sync_lock(&p->lock);
	}
	sync_unlock(&p->lock);
	return NULL;
}

static void
sweep(struct pool *p, uint64_t idle_ns)
{
	uint64_t now = clock_coarse_ns();
	unsigned i;

	for (i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];

		sync_lock(&s->lock);
		if (s->fd != -1 && echo_worker_idle_for(&s->echo, now,
		    idle_ns) && !has_input(s->fd)) {
			echo_worker_kick_idle(&s->echo);
			(void)shutdown(s->fd, SHUT_RD);
		}
		sync_unlock(&s->lock);
	}
}

/*
 * Bytes waiting on fd: its worker has not run since they came (a starved
 * machine), which a receive timeout would not have held against the
 * client either.  FIONREAD never blocks.
 */
static bool
has_input(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static void
stop_sweeper(struct pool *p)
{
	if (!p->has_sweeper)
		return;
	sync_lock(&p->lock);
	p->sweeper_stop = true;
	sync_signal(&p->sweeper_cv);
	sync_unlock(&p->lock);
	if (pthread_join(p->sweeper, NULL) != 0)
		abort();
	p->has_sweeper = false;
}

static int
buffers_create(struct buffers *b, unsigned n, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->n = n;
#ifdef BUFFERS_MALLOC
	unsigned i;

	if ((b->each = calloc(n, sizeof(*b->each))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((b->each[i] = malloc(size)) == NULL) {
			buffers_destroy(b);
			errno = ENOMEM;
			return -1;
		}
#else
	long page = sysconf(_SC_PAGESIZE);

	/* Page-aligned slices: no two workers ever write the same page. */
	if (page <= 0)
		page = 4096;
	b->stride = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
	if (b->stride != 0 && n > SIZE_MAX / b->stride) {
		errno = ENOMEM;
		return -1;
	}
	b->len = b->stride * n;
	/* NORESERVE: the address space is reserved, memory only as used. */
	b->base = mmap(NULL, b->len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->base == MAP_FAILED) {
		b->base = NULL;
		return -1;
	}
#endif
	return 0;
}

static unsigned char *
buffer_of(const struct buffers *b, unsigned i)
{
	if (b->each != NULL)
		return b->each[i];
	return b->base + (size_t)i * b->stride;
}

static void
buffers_destroy(struct buffers *b)
{
	unsigned i;

	if (b->each != NULL) {
		for (i = 0; i < b->n; i++)
			free(b->each[i]);
		free(b->each);
	}
	if (b->base != NULL && munmap(b->base, b->len) == -1)
		log_warn("munmap of the worker buffers");
	memset(b, 0, sizeof(*b));
}

static void *
worker_main(void *arg)
{
	struct slot *s = arg;
	struct pool *p = s->pool;
	struct conn c;

	name_thread();
	set_policy(p);
	if (pass_gate(p))
		while (queue_pop(p->queue, &c) == QUEUE_OK)
			serve(s, &c);

	sync_lock(&p->lock);
	p->running--;
	sync_broadcast(&p->changed);
	sync_unlock(&p->lock);
	return NULL;
}

/*
 * SCHED_BATCH changes one thing for a thread of normal priority: when it is
 * woken it does not preempt the thread running on that CPU, it runs when
 * that one blocks or its time slice ends.  A worker is woken by every
 * frame its client sends; preempting the sender (a local client) or a
 * worker in the middle of its batch on each of them costs a context switch
 * per frame, while waiting a moment lets frames accumulate into one recv
 * and one send.  On the reference machine this gave 15-50% more frames/s
 * with 16 connections and lower CPU per frame for client and server alike
 * (bench/RESULTS.md).  The price is latency when every CPU is busy: up to a
 * scheduler slice, a few ms.  --scheduler other keeps the default policy.
 */
static void
set_policy(struct pool *p)
{
	struct sched_param sp;
	int rc;

	if (!p->cfg.batch_sched)
		return;
	memset(&sp, 0, sizeof(sp));
	rc = pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	if (rc != 0 && !atomic_exchange(&p->policy_warned, true))
		log_warnc(rc, "cannot run the workers under SCHED_BATCH, they "
		    "keep the default policy");
}

static void
serve(struct slot *s, const struct conn *c)
{
	struct echo_result res;

	slot_set_fd(s, c->fd);
	echo_serve(&s->echo, c, &res);
	log_close(&s->pool->cfg, c, &res);
	/* Cleared before the close: see the fd-reuse note in pool.h. */
	slot_set_fd(s, -1);
	echo_close(c->fd, &res, s->pool->cfg.linger_ms);
}

/*
 * One line per connection: an abnormal end at info level (the operator
 * wants to know), a normal one at debug.  Never any payload byte.
 */
static void
log_close(const struct pool_config *cfg, const struct conn *c,
    const struct echo_result *res)
{
	char peer[2 * NETUTIL_ADDRSTRLEN + 16];
	unsigned long long frames = res->frames;
	/* "after 1 frame", "after 0 frames". */
	const char *unit = frames == 1 ? "frame" : "frames";

	if (res->reason == CLOSE_CLIENT || res->reason == CLOSE_SHUTDOWN ||
	    check_end(res)) {
		if (log_get_verbosity() < LOG_VERBOSE)
			return;
	}
	format_peer(c, res, peer, sizeof(peer));
	switch (res->reason) {
	case CLOSE_CLIENT:
		log_debug("closed %s: client closed after %llu %s", peer,
		    frames, unit);
		break;
	case CLOSE_SHUTDOWN:
		log_debug("closed %s: shutdown after %llu %s", peer,
		    frames, unit);
		break;
	case CLOSE_IDLE:
		log_info("closed %s: idle timeout, no frame for %u ms "
		    "(after %llu %s)", peer, cfg->echo.idle_timeout_ms,
		    frames, unit);
		break;
	case CLOSE_IO_TIMEOUT:
		log_info("closed %s: I/O timeout, %s within %u ms "
		    "(after %llu %s)", peer, res->writing ?
		    "client did not read its echo" : "frame not complete",
		    cfg->echo.io_timeout_ms, frames, unit);
		break;
	case CLOSE_OVERSIZE:
		log_info("closed %s: oversize frame, header announces %lu "
		    "bytes, limit is %lu (after %llu %s)", peer,
		    (unsigned long)res->announced,
		    (unsigned long)cfg->echo.max_frame, frames, unit);
		break;
	case CLOSE_PROTOCOL:
		log_info("closed %s: protocol error, stream ended inside a "
		    "frame (after %llu %s)", peer, frames, unit);
		break;
	case CLOSE_RESET:
		if (check_end(res))
			log_debug("closed %s: reset by the balancer after "
			    "%llu %s", peer, frames, unit);
		else
			log_info("closed %s: connection reset by client "
			    "(after %llu %s)", peer, frames, unit);
		break;
	case CLOSE_PROXY:
		if (res->proxy_error != NULL)
			log_info("closed %s: invalid PROXY header: %s", peer,
			    res->proxy_error);
		else if (res->err == ETIMEDOUT)
			log_info("closed %s: no complete PROXY header within "
			    "%u ms", peer, cfg->echo.io_timeout_ms != 0 ?
			    cfg->echo.io_timeout_ms :
			    cfg->echo.idle_timeout_ms);
		else
			log_info("closed %s: the stream ended before a "
			    "complete PROXY header", peer);
		break;
	case CLOSE_UNTRUSTED:
		log_info("closed %s: not in --proxy-from, nothing read", peer);
		break;
	case CLOSE_ERROR:
	default:
		log_info("closed %s: %s (after %llu %s)", peer,
		    errstr(res->err), frames, unit);
		break;
	}
}

/*
 * A balancer's own connection (PROXY LOCAL: HAProxy's health checks)
 * ending the way checks end, with a reset every few seconds: as normal
 * as a client's close, so logged at debug only.
 */
static bool
check_end(const struct echo_result *res)
{
	return res->proxied && res->proxy_kind == PROXY_LOCAL &&
	    res->reason == CLOSE_RESET;
}

/*
 * "1.2.3.4:5" for a direct peer; "client via balancer" after a PROXY
 * header with addresses; the balancer and what it sent otherwise.
 */
static void
format_peer(const struct conn *c, const struct echo_result *res, char *buf,
    size_t len)
{
	char client[NETUTIL_ADDRSTRLEN], via[NETUTIL_ADDRSTRLEN];

	netutil_format_addr((const struct sockaddr *)&c->peer, c->peerlen,
	    via, sizeof(via));
	if (!res->proxied)
		(void)snprintf(buf, len, "%s", via);
	else if (res->proxy_kind == PROXY_ADDRS) {
		netutil_format_addr((const struct sockaddr *)&res->client,
		    res->clientlen, client, sizeof(client));
		(void)snprintf(buf, len, "%s via %s", client, via);
	} else
		(void)snprintf(buf, len, "%s (PROXY %s)", via,
		    res->proxy_kind == PROXY_LOCAL ? "LOCAL" : "UNKNOWN");
}

static void
slot_set_fd(struct slot *s, int fd)
{
	sync_lock(&s->lock);
	s->fd = fd;
	sync_unlock(&s->lock);
}

/*
 * Shut down the slot's connection, if any.  With only_waiting, only when
 * the worker is blocked between frames (the handshake in echo.h).
 */
static void
shut_slot(struct slot *s, int how, bool only_waiting)
{
	sync_lock(&s->lock);
	if (s->fd != -1 && (!only_waiting || echo_worker_waiting(&s->echo)))
		(void)shutdown(s->fd, how);	/* ENOTCONN: already gone */
	sync_unlock(&s->lock);
}

/* Wait up to timeout_ms for every worker to exit; return how many remain. */
static unsigned
wait_running(struct pool *p, unsigned timeout_ms)
{
	uint64_t until = clock_now_ns() + timeout_ms * CLOCK_NS_PER_MS;
	unsigned left;

	sync_lock(&p->lock);
	while (p->running > 0)
		if (!sync_wait_until(&p->changed, &p->lock, until))
			break;
	left = p->running;
	sync_unlock(&p->lock);
	return left;
}

/* "msgsrv-worker" in top -H and gdb (15 characters at most on Linux). */
static void
name_thread(void)
{
	(void)pthread_setname_np(pthread_self(), "msgsrv-worker");
}
