/*
 * msgserverd.c - main: options, listener, queue, pool, then the accept loop.
 *
 * Threads: the main thread blocks in accept(2) and hands connections to the
 * pool through the bounded queue; the workers echo (pool.h); one signal
 * thread takes every asynchronous signal with sigwait(2), so no handler
 * ever runs on a worker.  All signals are blocked before the first thread
 * starts, and every thread inherits that mask.
 *
 * Shutdown: SIGTERM/SIGINT make the signal thread wake the main thread
 * (listener_wake, queue_close).  The main thread then closes the listener
 * and the queued connections, and stops the pool: graceful for up to
 * --shutdown-timeout, then forced.  A second SIGTERM/SIGINT exits at once.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon.h"
#include "echo.h"
#include "errstr.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "netutil.h"
#include "options.h"
#include "pool.h"
#include "queue.h"

/* Exit status after a second SIGTERM/SIGINT (documented in msgserverd.8). */
#define EXIT_FORCED	EX_TEMPFAIL

/* Longest lingering close: enough for a client's last bytes in flight. */
#define LINGER_MAX_MS	1000

struct server {
	struct options	 opts;
	struct listener	*listener;
	struct queue	*queue;
	struct pool	*pool;
	struct metrics	*metrics;	/* NULL without --metrics */
	int		 metrics_fd;	/* bound, until metrics_start */
	char		 metrics_name[NETUTIL_ADDRSTRLEN];
	pthread_t	 signal_thread;
	sigset_t	 signals;	/* the ones the signal thread takes */
	atomic_bool	 stopping;	/* first SIGTERM/SIGINT seen */
	atomic_bool	 exiting;	/* main is done: signal thread may go */
};

static void	 start(struct server *srv);
static void	 accept_loop(struct server *srv);
static void	 stop(struct server *srv);
static void	 block_signals(struct server *srv);
static void	*signal_main(void *arg);
static void	 log_stats(struct server *srv, const char *prefix);
static void	 metrics_bind(struct server *srv);
static void	 snapshot(void *arg, struct metrics_snapshot *ms);
static void	 check_limits(const struct options *opts);
static void	 fail_start(int status, const char *fmt, ...)
		    LOG_PRINTF(2, 3) LOG_NORETURN;

int
main(int argc, char *argv[])
{
	struct server srv;

	memset(&srv, 0, sizeof(srv));
	options_defaults(&srv.opts);
	switch (options_parse(&srv.opts, argc, argv, stdout, stderr)) {
	case OPTIONS_RUN:
		break;
	case OPTIONS_EXIT_OK:
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EX_IOERR;
	case OPTIONS_USAGE_ERROR:
	default:
		return EX_USAGE;
	}
	/* Log to stderr until detached: start-up errors reach the terminal. */
	log_init("msgserverd", srv.opts.use_syslog && !srv.opts.daemonize,
	    srv.opts.verbosity);
	atomic_init(&srv.stopping, false);
	atomic_init(&srv.exiting, false);

	start(&srv);
	accept_loop(&srv);
	stop(&srv);
	return 0;
}

/*
 * Everything from binding to the first accept.  Order matters: look the user
 * up and bind while still privileged, detach before any thread exists
 * (fork keeps only the calling thread), write the pidfile, drop privileges,
 * block signals, then start threads.
 */
static void
start(struct server *srv)
{
	const struct options *o = &srv->opts;
	struct pool_config pc;
	char err[256];
	uid_t uid = 0;
	gid_t gid = 0;
	int rc;

	if (o->user != NULL &&
	    privdrop_lookup(o->user, &uid, &gid, err, sizeof(err)) == -1)
		fail_start(errno == ENOENT ? EX_NOUSER : EX_OSERR, "%s", err);
	/* Writes to a closed socket must fail with EPIPE, not kill us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fail_start(EX_OSERR, "cannot ignore SIGPIPE: %s",
		    errstr(errno));
	if ((srv->listener = listener_open(o->bind, o->port, o->backlog,
	    o->reject_when_full, err, sizeof(err))) == NULL)
		fail_start(EX_OSERR, "%s", err);
	metrics_bind(srv);
	if (o->daemonize) {
		log_init("msgserverd", 1, o->verbosity);
		if (daemon_detach(err, sizeof(err)) == -1)
			fail_start(EX_OSERR, "cannot detach: %s", err);
	}
	if (o->pidfile != NULL &&
	    pidfile_write(o->pidfile, err, sizeof(err)) == -1)
		fail_start(EX_CANTCREAT, "%s", err);
	if (o->user != NULL &&
	    privdrop(o->user, uid, gid, err, sizeof(err)) == -1)
		fail_start(EX_NOPERM, "%s", err);

	check_limits(o);
	block_signals(srv);
	if ((srv->queue = queue_create(o->queue)) == NULL)
		fail_start(EX_OSERR, "cannot create the queue: %s",
		    errstr(errno));

	memset(&pc, 0, sizeof(pc));
	pc.threads = o->threads;
	pc.stack_size = o->stack_size;
	pc.batch_sched = o->batch_sched;
	pc.linger_ms = o->io_timeout_ms != 0 && o->io_timeout_ms <
	    LINGER_MAX_MS ? o->io_timeout_ms : LINGER_MAX_MS;
	pc.echo.max_frame = o->max_frame;
	pc.echo.idle_timeout_ms = o->idle_timeout_ms;
	pc.echo.io_timeout_ms = o->io_timeout_ms;
	pc.echo.buf_size = o->buffer_size;
	if ((srv->pool = pool_create(srv->queue, &pc, err,
	    sizeof(err))) == NULL)
		fail_start(EX_OSERR, "%s", err);	/* exits: nothing to unwind */
	if (o->metrics != NULL && (srv->metrics = metrics_start(srv->metrics_fd,
	    srv->metrics_name, snapshot, srv, err, sizeof(err))) == NULL)
		fail_start(EX_OSERR, "%s", err);

	if ((rc = pthread_create(&srv->signal_thread, NULL, signal_main,
	    srv)) != 0)
		fail_start(EX_OSERR, "cannot create the signal thread: %s",
		    errstr(rc));

	log_info("msgserverd %s listening on %s with %u workers, queue %u, "
	    "max frame %lu, buffer %zu", PACKAGE_VERSION,
	    listener_name(srv->listener), o->threads, o->queue,
	    (unsigned long)o->max_frame, o->buffer_size);
	if (listener_loopback_only(srv->listener))
		log_info("only this host can connect; use --bind 0.0.0.0 or "
		    "--bind :: to serve other hosts");
	daemon_ready(0);
}

/*
 * Hand each accepted connection to the pool.  By default wait for a free
 * queue slot *before* accept(), so a burst waits in the kernel's listen
 * backlog rather than in memory (httpd's worker MPM does the same).  With
 * --reject-when-full, accept and close what does not fit.
 */
static void
accept_loop(struct server *srv)
{
	struct listener *l = srv->listener;
	struct queue *q = srv->queue;
	bool saturated = false;
	struct conn c;

	for (;;) {
		if (!srv->opts.reject_when_full) {
			if (queue_length(q) >= queue_capacity(q) &&
			    !saturated) {
				saturated = true;
				log_warnx("all %u workers busy and %u "
				    "connections queued: new connections wait "
				    "in the listen backlog", srv->opts.threads,
				    srv->opts.queue);
			}
			if (queue_wait_space(q) != QUEUE_OK)
				break;
		}
		if (listener_accept(l, &c) == -1)
			break;
		if (!srv->opts.reject_when_full) {
			if (saturated) {
				saturated = false;
				log_info("queue has room again");
			}
			if (queue_push(q, &c) != QUEUE_OK) {
				(void)close(c.fd);	/* closed meanwhile */
				break;
			}
			continue;
		}
		switch (queue_try_push(q, &c)) {
		case QUEUE_OK:
			break;
		case QUEUE_FULL:
			listener_reject(l, &c);
			break;
		case QUEUE_CLOSED:
		default:
			(void)close(c.fd);
			return;
		}
	}
}

/* The graceful shutdown described at the top of this file. */
static void
stop(struct server *srv)
{
	unsigned dropped = 0, forced;
	struct conn c;
	void *ret;

	listener_close(srv->listener);
	queue_close(srv->queue);	/* already closed by a signal: harmless */
	while (queue_drain_one(srv->queue, &c) == QUEUE_OK) {
		(void)close(c.fd);
		dropped++;
	}
	log_info("shutting down: %u queued connections closed, waiting up to "
	    "%u ms for the workers", dropped, srv->opts.shutdown_timeout_ms);
	forced = pool_stop(srv->pool, srv->opts.shutdown_timeout_ms);
	if (forced > 0)
		log_warnx("shutdown timeout: %u connections forced closed",
		    forced);
	log_stats(srv, "final stats:");
	metrics_stop(srv->metrics);

	/* Release the signal thread (SIGUSR2 is in its set), then join it. */
	atomic_store(&srv->exiting, true);
	if (pthread_kill(srv->signal_thread, SIGUSR2) != 0 ||
	    pthread_join(srv->signal_thread, &ret) != 0)
		abort();
	pool_destroy(srv->pool);
	queue_destroy(srv->queue);
	listener_destroy(srv->listener);
	if (srv->opts.pidfile != NULL)
		pidfile_remove(srv->opts.pidfile);
	log_info("stopped");
}

/*
 * Block the asynchronous signals in this (and so every later) thread; the
 * signal thread takes them with sigwait.  Synchronous ones (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL) stay unblocked: blocking them makes a crash undefined.
 */
static void
block_signals(struct server *srv)
{
	sigset_t *set = &srv->signals;

	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGQUIT);
	if ((errno = pthread_sigmask(SIG_BLOCK, set, NULL)) != 0)
		fail_start(EX_OSERR, "pthread_sigmask: %s", errstr(errno));
}

static void *
signal_main(void *arg)
{
	struct server *srv = arg;
	int sig;

	(void)pthread_setname_np(pthread_self(), "msgsrv-signal");
	for (;;) {
		if (sigwait(&srv->signals, &sig) != 0)
			continue;
		switch (sig) {
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			if (atomic_exchange(&srv->stopping, true)) {
				log_warnx("%s again: exiting now",
				    strsignal(sig));
				_exit(EXIT_FORCED);
			}
			log_info("%s: shutting down gracefully (send it again "
			    "to exit at once)", strsignal(sig));
			listener_wake(srv->listener);
			queue_close(srv->queue);
			break;
		case SIGUSR1:
			log_stats(srv, "stats:");
			break;
		case SIGHUP:
			log_info("SIGHUP ignored (there is no configuration "
			    "to reload)");
			break;
		case SIGUSR2:
			if (atomic_load(&srv->exiting))
				return NULL;
			break;
		default:
			break;
		}
	}
}

/*
 * One line of counters (SIGUSR1, and at exit): "accepted=... active=...
 * closed_client=... frames=...", the close reasons in echo.h's order under
 * the names close_reason_name() gives them.
 */
static void
log_stats(struct server *srv, const char *prefix)
{
	struct metrics_snapshot ms;
	char closed[CLOSE_REASONS * 40];
	size_t off = 0;
	int i, n;

	memset(&ms, 0, sizeof(ms));
	snapshot(srv, &ms);
	closed[0] = '\0';
	for (i = 0; i < CLOSE_REASONS; i++) {
		n = snprintf(closed + off, sizeof(closed) - off,
		    " closed_%s=%llu", close_reason_name(i),
		    (unsigned long long)ms.echo.closed[i]);
		if (n < 0 || (size_t)n >= sizeof(closed) - off)
			break;
		off += (size_t)n;
	}
	log_info("%s accepted=%llu active=%llu queued=%llu rejected=%llu%s "
	    "frames=%llu bytes=%llu", prefix,
	    (unsigned long long)ms.accepted, (unsigned long long)ms.active,
	    (unsigned long long)ms.queued, (unsigned long long)ms.rejected,
	    closed, (unsigned long long)ms.echo.frames,
	    (unsigned long long)ms.echo.bytes);
}

/*
 * Every counter the stats line and /metrics report, summed now from the
 * listener, the pool and the queue: reading costs the echo path nothing.
 */
static void
snapshot(void *arg, struct metrics_snapshot *ms)
{
	struct server *srv = arg;
	struct listener_stats ls;
	struct pool_totals t;

	memset(&ls, 0, sizeof(ls));
	listener_stats_add(srv->listener, &ls);
	pool_totals(srv->pool, &t);
	ms->accepted = ls.accepted;
	ms->rejected = ls.rejected;
	ms->accept_pauses = ls.accept_pauses;
	ms->active = t.active;
	ms->queued = queue_length(srv->queue);
	ms->workers = srv->opts.threads;
	ms->queue_capacity = queue_capacity(srv->queue);
	ms->echo = t.echo;
}

/*
 * Bind --metrics while still privileged, like the echo port; the thread
 * starts once the pool is up (start()).
 */
static void
metrics_bind(struct server *srv)
{
	char host[NETUTIL_HOSTLEN], port[NETUTIL_PORTLEN], err[256];
	struct sockaddr_storage ss;
	socklen_t sslen;

	srv->metrics_fd = -1;
	if (srv->opts.metrics == NULL)
		return;
	/* options_parse() checked the syntax already. */
	if (netutil_split_hostport(srv->opts.metrics, host, sizeof(host),
	    port, sizeof(port), err, sizeof(err)) == -1)
		fail_start(EX_USAGE, "--metrics: %s", err);
	if ((srv->metrics_fd = netutil_listen(host, port, SOMAXCONN, &ss,
	    &sslen, err, sizeof(err))) == -1)
		fail_start(EX_OSERR, "--metrics: %s", err);
	(void)netutil_format_addr((struct sockaddr *)&ss, sslen,
	    srv->metrics_name, sizeof(srv->metrics_name));
}

/*
 * Warn at start-up when a system limit is too low for the configuration:
 * the server still starts, and the log says what to raise.
 */
static void
check_limits(const struct options *o)
{
	unsigned long long need_fds, need_maps;
	struct rlimit rl;
	FILE *f;
	unsigned long long max_maps;

	/* Each worker and each queued connection holds one descriptor. */
	need_fds = (unsigned long long)o->threads + o->queue + 16;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur !=
	    RLIM_INFINITY && rl.rlim_cur < need_fds)
		log_warnx("open-file limit is %llu but --threads %u and "
		    "--queue %u need about %llu: raise it (ulimit -n, "
		    "LimitNOFILE=)", (unsigned long long)rl.rlim_cur,
		    o->threads, o->queue, need_fds);
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur !=
	    RLIM_INFINITY && geteuid() != 0 && rl.rlim_cur < o->threads + 2)
		log_warnx("process limit is %llu but --threads is %u: raise "
		    "it (ulimit -u, TasksMax=)",
		    (unsigned long long)rl.rlim_cur, o->threads);
	/* A worker's stack and its guard page: two mappings (the workers'
	 * buffers share one). */
	need_maps = 2ull * o->threads + 1024;
	if ((f = fopen("/proc/sys/vm/max_map_count", "r")) != NULL) {
		if (fscanf(f, "%llu", &max_maps) == 1 && max_maps < need_maps)
			log_warnx("vm.max_map_count is %llu but --threads %u "
			    "needs about %llu: raise it with sysctl", max_maps,
			    o->threads, need_maps);
		(void)fclose(f);
	}
}

static void
fail_start(int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	daemon_ready(1);
	fatalx(status, "%s", msg);
}
