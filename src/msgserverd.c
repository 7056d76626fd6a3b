/*
 * msgserverd.c - main: options, listeners, queue, pool, then the accept
 * loops.
 *
 * Threads: one accept loop per listening socket (acceptor.h; the main
 * thread runs the first) hands connections to the pool through the bounded
 * queue; the workers echo (pool.h); one signal thread takes every
 * asynchronous signal with sigwait(2), so no handler ever runs on a worker,
 * and between signals does the periodic chores: the service manager's
 * watchdog ping and status line (notify.h).  All signals are blocked
 * before the first thread starts, and every thread inherits that mask.
 *
 * Shutdown: SIGTERM/SIGINT/SIGQUIT make the signal thread tell the service
 * manager, close the queue to new connections and stop the accept loops.
 * The main thread then closes the listening sockets and stops the pool:
 * the workers serve what is queued and what their clients already sent,
 * for up to --shutdown-timeout, then the rest is forced.  A second signal
 * exits at once.
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
#include <time.h>
#include <unistd.h>

#include "acceptor.h"
#include "activation.h"
#include "clock.h"
#include "daemon.h"
#include "echo.h"
#include "errstr.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "netutil.h"
#include "notify.h"
#include "options.h"
#include "pool.h"
#include "queue.h"

/* Exit status after a second SIGTERM/SIGINT (documented in msgserverd.8). */
#define EXIT_FORCED	EX_TEMPFAIL

/* Longest lingering close: enough for a client's last bytes in flight. */
#define LINGER_MAX_MS	1000

/* The service manager's status line: this often at most, when it changed. */
#define STATUS_INTERVAL_NS	(2 * CLOCK_NS_PER_S)

#define MAX_LISTENERS	ACTIVATION_MAX_FDS

/* Descriptors beyond one per worker and queued connection: listeners,
 * the metrics socket and its clients, logs, the accept reserve. */
#define FD_SPARE	16

struct server {
	struct options	 opts;
	struct listener	*listeners[MAX_LISTENERS];
	unsigned	 nlisteners;
	bool		 activated;	/* sockets from the service manager */
	struct queue	*queue;
	struct pool	*pool;
	struct acceptors *acceptors;
	struct metrics	*metrics;	/* NULL without --metrics */
	int		 metrics_fd;	/* bound, until metrics_start */
	char		 metrics_name[NETUTIL_ADDRSTRLEN];
	pthread_t	 signal_thread;
	sigset_t	 signals;	/* the ones the signal thread takes */
	atomic_bool	 stopping;	/* first SIGTERM/SIGINT seen */
	atomic_bool	 exiting;	/* main is done: signal thread may go */
	/* The signal thread's chores (only it touches these). */
	uint64_t	 watchdog_ns;	/* ping interval, 0 = none */
	uint64_t	 next_ping_ns;
	uint64_t	 next_status_ns;
	char		 last_status[128];
};

static void	 start(struct server *srv);
static void	 open_listeners(struct server *srv);
static void	 adopt_listeners(struct server *srv,
		    const struct activated_fd *fds, int n);
static void	 start_threads(struct server *srv);
static void	 log_listening(struct server *srv);
static void	 stop(struct server *srv);
static void	 block_signals(struct server *srv);
static void	*signal_main(void *arg);
static int	 next_signal(struct server *srv);
static void	 chores(struct server *srv);
static void	 begin_stop(struct server *srv, int sig);
static void	 status_line(struct server *srv, char *buf, size_t len);
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
	srv.metrics_fd = -1;

	start(&srv);
	acceptors_run(srv.acceptors);
	stop(&srv);
	return 0;
}

/*
 * Everything from binding to the first accept.  Order matters: take the
 * service manager's sockets before we open any descriptor of our own,
 * look the user up and bind while still privileged, detach before any
 * thread exists (fork keeps only the calling thread), write the pidfile,
 * drop privileges, block signals, then start threads.
 */
static void
start(struct server *srv)
{
	struct activated_fd fds[ACTIVATION_MAX_FDS];
	const struct options *o = &srv->opts;
	char err[256];
	uid_t uid = 0;
	gid_t gid = 0;
	int n;

	if ((n = activation_listen_fds(fds, ACTIVATION_MAX_FDS, err,
	    sizeof(err))) == -1)
		fail_start(EX_CONFIG, "%s", err);
	if (notify_init(err, sizeof(err)) == -1)
		log_warnx("%s", err);
	if (o->user != NULL &&
	    privdrop_lookup(o->user, &uid, &gid, err, sizeof(err)) == -1)
		fail_start(errno == ENOENT ? EX_NOUSER : EX_OSERR, "%s", err);
	/* Writes to a closed socket must fail with EPIPE, not kill us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fail_start(EX_OSERR, "cannot ignore SIGPIPE: %s",
		    errstr(errno));
	if (n > 0)
		adopt_listeners(srv, fds, n);
	else
		open_listeners(srv);
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
	/*
	 * Every worker and queued connection holds a descriptor.  Size the
	 * descriptor table for them now, while this is the only thread:
	 * grown later, by an accept() past 64, 128, 256, 512, ... open
	 * descriptors, the kernel makes the acceptor wait for an RCU grace
	 * period, and on a loaded machine that held accept() in D state for
	 * over 3 s with 494 connections in the backlog (--threads 1000, at
	 * the accept that needed descriptor 512).
	 */
	if (netutil_presize_fds((unsigned long)o->threads + o->queue +
	    FD_SPARE) == -1)
		log_debug("cannot presize the descriptor table: %s",
		    errstr(errno));
	block_signals(srv);
	start_threads(srv);
	log_listening(srv);
	/* Every socket listens and the pool runs: clients will be served. */
	status_line(srv, srv->last_status, sizeof(srv->last_status));
	if (notify_enabled()) {
		char msg[160];

		(void)snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s",
		    srv->last_status);
		if (notify_send(msg) == -1)
			log_warn("cannot notify the service manager");
	}
	daemon_ready(0);
}

/* One listening socket per --bind address, all on --port. */
static void
open_listeners(struct server *srv)
{
	const struct options *o = &srv->opts;
	char err[256];
	unsigned i;

	for (i = 0; i < o->nbinds; i++) {
		srv->listeners[i] = listener_open(o->binds[i], o->port,
		    o->backlog, o->reject_when_full, err, sizeof(err));
		if (srv->listeners[i] == NULL)
			fail_start(EX_OSERR, "%s", err);
		srv->nlisteners++;
	}
}

/*
 * The service manager's sockets replace --bind and --port; one named
 * "metrics" (FileDescriptorName=metrics) serves /metrics instead of
 * echoing.
 */
static void
adopt_listeners(struct server *srv, const struct activated_fd *fds, int n)
{
	const struct options *o = &srv->opts;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char err[256];
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(fds[i].name, "metrics") == 0) {
			sslen = sizeof(ss);
			if (getsockname(fds[i].fd, (struct sockaddr *)&ss,
			    &sslen) == -1)
				fail_start(EX_OSERR, "descriptor %d: "
				    "getsockname: %s", fds[i].fd, errstr(errno));
			srv->metrics_fd = fds[i].fd;
			(void)netutil_format_addr((struct sockaddr *)&ss, sslen,
			    srv->metrics_name, sizeof(srv->metrics_name));
			if (o->metrics != NULL)
				log_warnx("--metrics ignored: the service "
				    "manager passed a socket named metrics");
			continue;
		}
		srv->listeners[srv->nlisteners] = listener_adopt(fds[i].fd,
		    o->reject_when_full, err, sizeof(err));
		if (srv->listeners[srv->nlisteners] == NULL)
			fail_start(EX_OSERR, "%s", err);
		srv->nlisteners++;
	}
	if (srv->nlisteners == 0)
		fail_start(EX_CONFIG, "the service manager passed no socket "
		    "to echo on (only one named metrics)");
	srv->activated = true;
	if (o->binds_given)
		log_warnx("--bind ignored: the service manager passed the "
		    "listening sockets");
}

/* The queue, the pool, the extra accept loops, the signal thread. */
static void
start_threads(struct server *srv)
{
	const struct options *o = &srv->opts;
	struct acceptor_config ac;
	struct pool_config pc;
	uint64_t now;
	char err[256];
	int rc;

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
	pc.echo.proxy_from = o->proxy_protocol ? &o->proxy_from : NULL;
	/* Exits on failure: the process ends, nothing to unwind. */
	if ((srv->pool = pool_create(srv->queue, &pc, err,
	    sizeof(err))) == NULL)
		fail_start(EX_OSERR, "%s", err);
	if (srv->metrics_fd != -1 && (srv->metrics = metrics_start(
	    srv->metrics_fd, srv->metrics_name, snapshot, srv, err,
	    sizeof(err))) == NULL)
		fail_start(EX_OSERR, "%s", err);

	memset(&ac, 0, sizeof(ac));
	ac.reject_when_full = o->reject_when_full;
	ac.threads = o->threads;
	ac.queue = o->queue;
	if ((srv->acceptors = acceptors_create(srv->listeners,
	    srv->nlisteners, srv->queue, &ac, err, sizeof(err))) == NULL)
		fail_start(EX_OSERR, "%s", err);

	/* Ping at half the manager's interval, as sd_watchdog_enabled(3)
	 * recommends: one late ping is not yet a missed one. */
	now = clock_now_ns();
	srv->watchdog_ns = notify_watchdog_usec() * 1000 / 2;
	srv->next_ping_ns = now;
	srv->next_status_ns = now + STATUS_INTERVAL_NS;
	if ((rc = pthread_create(&srv->signal_thread, NULL, signal_main,
	    srv)) != 0)
		fail_start(EX_OSERR, "cannot create the signal thread: %s",
		    errstr(rc));
}

/* "listening on 127.0.0.1:8080, [::1]:8080 with 16 workers, ...". */
static void
log_listening(struct server *srv)
{
	const struct options *o = &srv->opts;
	char names[512];
	size_t off = 0;
	bool loopback = true;
	unsigned i;
	int n;

	names[0] = '\0';
	for (i = 0; i < srv->nlisteners; i++) {
		n = snprintf(names + off, sizeof(names) - off, "%s%s",
		    i > 0 ? ", " : "", listener_name(srv->listeners[i]));
		if (n < 0 || (size_t)n >= sizeof(names) - off)
			break;
		off += (size_t)n;
		loopback = loopback && listener_loopback_only(srv->listeners[i]);
	}
	log_info("msgserverd %s listening on %s%s with %u workers, queue %u, "
	    "max frame %lu, buffer %zu", PACKAGE_VERSION, names,
	    srv->activated ? " (sockets from the service manager)" : "",
	    o->threads, o->queue, (unsigned long)o->max_frame, o->buffer_size);
	if (loopback && !srv->activated)
		log_info("only this host can connect; use --bind 0.0.0.0 or "
		    "--bind :: to serve other hosts");
	if (srv->watchdog_ns != 0)
		log_info("watchdog: pinging the service manager every %llu ms",
		    (unsigned long long)(srv->watchdog_ns / CLOCK_NS_PER_MS));
}

/*
 * The graceful shutdown described at the top of this file.  The accept
 * loops have stopped (the signal thread stopped them, or the first one
 * failed); closing the sockets now makes new clients fail at once instead
 * of waiting in a backlog nobody reads (a load balancer's health check
 * sees it), except for sockets the service manager keeps for the next
 * instance.
 */
static void
stop(struct server *srv)
{
	struct pool_stopped ps;
	unsigned i;
	void *ret;

	/* The first loop may have ended on its own (queue closed). */
	begin_stop(srv, 0);
	acceptors_stop(srv->acceptors);
	for (i = 0; i < srv->nlisteners; i++)
		listener_close(srv->listeners[i]);
	log_info("shutting down: serving %zu queued connections, waiting up "
	    "to %u ms for the workers", queue_length(srv->queue),
	    srv->opts.shutdown_timeout_ms);
	pool_stop(srv->pool, srv->opts.shutdown_timeout_ms, &ps);
	if (ps.forced > 0 || ps.dropped > 0)
		log_warnx("shutdown timeout: %u connections forced closed, %u "
		    "queued ones closed unserved", ps.forced, ps.dropped);
	log_stats(srv, "final stats:");
	metrics_stop(srv->metrics);

	/* Release the signal thread (SIGUSR2 is in its set), then join it. */
	atomic_store(&srv->exiting, true);
	if (pthread_kill(srv->signal_thread, SIGUSR2) != 0 ||
	    pthread_join(srv->signal_thread, &ret) != 0)
		abort();
	acceptors_destroy(srv->acceptors);
	pool_destroy(srv->pool);
	queue_destroy(srv->queue);
	for (i = 0; i < srv->nlisteners; i++)
		listener_destroy(srv->listeners[i]);
	if (srv->opts.pidfile != NULL)
		pidfile_remove(srv->opts.pidfile);
	notify_close();
	log_info("stopped");
}

/*
 * Block the asynchronous signals in this (and so every later) thread; the
 * signal thread takes them with sigwait.  Synchronous ones (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL) stay unblocked: blocking them makes a crash undefined.
 * The accept loops' wake-up signal is blocked too, and unblocked only
 * inside those loops.
 */
static void
block_signals(struct server *srv)
{
	sigset_t *set = &srv->signals, all;
	int rc;

	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGQUIT);
	all = *set;
	sigaddset(&all, ACCEPTOR_WAKE_SIGNAL);
	if ((rc = pthread_sigmask(SIG_BLOCK, &all, NULL)) != 0)
		fail_start(EX_OSERR, "pthread_sigmask: %s", errstr(rc));
}

static void *
signal_main(void *arg)
{
	struct server *srv = arg;
	int sig;

	(void)pthread_setname_np(pthread_self(), "msgsrv-signal");
	for (;;) {
		switch (sig = next_signal(srv)) {
		case 0:
			chores(srv);
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			if (atomic_load(&srv->stopping)) {
				log_warnx("%s again: exiting now",
				    strsignal(sig));
				_exit(EXIT_FORCED);
			}
			begin_stop(srv, sig);
			acceptors_stop(srv->acceptors);
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
 * The next signal, or 0 when a chore is due.  Without a service manager
 * there are no chores and this is a plain sigwait.
 */
static int
next_signal(struct server *srv)
{
	struct timespec ts;
	uint64_t now, next;
	int sig;

	if (!notify_enabled()) {
		while (sigwait(&srv->signals, &sig) != 0)
			continue;
		return sig;
	}
	next = srv->next_status_ns;
	if (srv->watchdog_ns != 0 && srv->next_ping_ns < next)
		next = srv->next_ping_ns;
	now = clock_now_ns();
	if (now >= next)
		return 0;
	ts.tv_sec = (time_t)((next - now) / CLOCK_NS_PER_S);
	ts.tv_nsec = (long)((next - now) % CLOCK_NS_PER_S);
	sig = sigtimedwait(&srv->signals, NULL, &ts);
	if (sig == -1)
		return 0;	/* EAGAIN: time for a chore; EINTR: harmless */
	return sig;
}

/*
 * The watchdog ping and the status line.  Both need the counters, and
 * reading them takes the queue's lock and every worker slot's: a ping is
 * sent only when that succeeded, so a deadlock on any of them, a stopped
 * process (SIGSTOP) or a wedged signal thread all stop the pings and let
 * WatchdogSec= restart us.  It does not prove that a worker inside a
 * client's recv() will ever return: a slow client is not a fault.
 */
static void
chores(struct server *srv)
{
	char status[sizeof(srv->last_status)], msg[sizeof(status) + 16];
	uint64_t now;

	status_line(srv, status, sizeof(status));
	now = clock_now_ns();
	if (srv->watchdog_ns != 0 && now >= srv->next_ping_ns) {
		if (notify_send("WATCHDOG=1") == -1)
			log_warn("cannot ping the service manager's watchdog");
		srv->next_ping_ns = now + srv->watchdog_ns;
	}
	if (now >= srv->next_status_ns) {
		if (strcmp(status, srv->last_status) != 0) {
			(void)snprintf(msg, sizeof(msg), "STATUS=%s", status);
			(void)notify_send(msg);
			(void)snprintf(srv->last_status,
			    sizeof(srv->last_status), "%s", status);
		}
		srv->next_status_ns = now + STATUS_INTERVAL_NS;
	}
}

/*
 * The first step of a stop, once: say so, tell the service manager, and
 * close the queue to new connections (a loop waiting for space returns).
 */
static void
begin_stop(struct server *srv, int sig)
{
	if (atomic_exchange(&srv->stopping, true))
		return;
	if (sig != 0)
		log_info("%s: shutting down gracefully (send it again to exit "
		    "at once)", strsignal(sig));
	(void)notify_send("STOPPING=1\nSTATUS=Shutting down: serving the "
	    "connections already accepted");
	queue_close(srv->queue);
}

/* "3 active, 0 queued connections, 1234 frames echoed". */
static void
status_line(struct server *srv, char *buf, size_t len)
{
	struct metrics_snapshot ms;

	memset(&ms, 0, sizeof(ms));
	snapshot(srv, &ms);
	(void)snprintf(buf, len, "%llu active, %llu queued connections, %llu "
	    "frames echoed", (unsigned long long)ms.active,
	    (unsigned long long)ms.queued, (unsigned long long)ms.echo.frames);
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

	unsigned i;

	memset(&ls, 0, sizeof(ls));
	for (i = 0; i < srv->nlisteners; i++)
		listener_stats_add(srv->listeners[i], &ls);
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
 * starts once the pool is up (start()).  A socket the service manager
 * passed under the name "metrics" takes its place.
 */
static void
metrics_bind(struct server *srv)
{
	char host[NETUTIL_HOSTLEN], port[NETUTIL_PORTLEN], err[256];
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (srv->opts.metrics == NULL || srv->metrics_fd != -1)
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
	need_fds = (unsigned long long)o->threads + o->queue + FD_SPARE;
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
