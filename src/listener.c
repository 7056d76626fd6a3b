/*
 * listener.c - one listening socket and one step of its accept loop.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errstr.h"
#include "listener.h"
#include "log.h"
#include "netutil.h"
#include "ratelimit.h"

#define BACKOFF_MIN_MS	1
#define BACKOFF_MAX_MS	100

struct listener {
	int			fd;		/* the accepting thread's */
	int			reserve_fd;	/* spare fd to shed with on EMFILE */
	bool			loopback;
	atomic_bool		woken;
	char			name[NETUTIL_ADDRSTRLEN];
	/* Only the accepting thread touches these. */
	unsigned		backoff_ms;	/* EMFILE back-off, 0 when fine */
	struct ratelimit	fd_warning;
	struct ratelimit	reject_warning;
	/* Written by the accepting thread, read by anyone. */
	_Atomic uint64_t	accepted;
	_Atomic uint64_t	rejected;
	_Atomic uint64_t	accept_pauses;
};

static struct listener *wrap(int fd, const struct sockaddr_storage *ss,
		    socklen_t sslen, bool shed_when_out_of_fds, char *err,
		    size_t errlen);
static bool	is_loopback(const struct sockaddr_storage *ss);
static void	out_of_fds(struct listener *l, int err);
static void	pause_ms(unsigned ms);
static int	open_reserve(void);
static void	count(_Atomic uint64_t *counter);

struct listener *
listener_open(const char *host, const char *port, int backlog,
    bool shed_when_out_of_fds, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct listener *l;
	int fd;

	if ((fd = netutil_listen(host, port, backlog, &ss, &sslen, err,
	    errlen)) == -1)
		return NULL;
	if ((l = wrap(fd, &ss, sslen, shed_when_out_of_fds, err,
	    errlen)) == NULL)
		(void)close(fd);
	return l;
}

struct listener *
listener_adopt(int fd, bool shed_when_out_of_fds, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		snprintf(err, errlen, "descriptor %d: getsockname: %s", fd,
		    errstr(errno));
		return NULL;
	}
	return wrap(fd, &ss, sslen, shed_when_out_of_fds, err, errlen);
}

/* A listener around the listening socket fd, bound to ss. */
static struct listener *
wrap(int fd, const struct sockaddr_storage *ss, socklen_t sslen,
    bool shed_when_out_of_fds, char *err, size_t errlen)
{
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "cannot allocate a listener: %s",
		    errstr(errno));
		return NULL;
	}
	l->fd = fd;
	l->reserve_fd = -1;
	l->loopback = is_loopback(ss);
	l->fd_warning.interval_ns = CLOCK_NS_PER_S;
	l->reject_warning.interval_ns = CLOCK_NS_PER_S;
	atomic_init(&l->woken, false);
	atomic_init(&l->accepted, 0);
	atomic_init(&l->rejected, 0);
	atomic_init(&l->accept_pauses, 0);
	netutil_format_addr((const struct sockaddr *)ss, sslen, l->name,
	    sizeof(l->name));
	if (shed_when_out_of_fds && (l->reserve_fd = open_reserve()) == -1) {
		snprintf(err, errlen, "cannot open a reserve descriptor: %s",
		    errstr(errno));
		l->fd = -1;	/* the caller's still */
		listener_destroy(l);
		return NULL;
	}
	return l;
}

static bool
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	switch (ss->ss_family) {
	case AF_INET:
		return (ntohl(sin->sin_addr.s_addr) >> 24) == IN_LOOPBACKNET;
	case AF_INET6:
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	default:
		return false;
	}
}

int
listener_accept(struct listener *l, struct conn *c)
{
	int fd, on = 1;

	for (;;) {
		if (atomic_load(&l->woken))
			return -1;
		c->peerlen = sizeof(c->peer);
		fd = accept4(l->fd, (struct sockaddr *)&c->peer, &c->peerlen,
		    SOCK_CLOEXEC);
		if (fd != -1)
			break;
		switch (errno) {
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* Out of descriptors or memory: pause (out_of_fds). */
			out_of_fds(l, errno);
			break;
		case EINTR:
			/* Maybe the acceptor's wake-up signal: see woken. */
			break;
		case EBADF:
		case EINVAL:
		case ENOTSOCK:
		case EOPNOTSUPP:
			/* Not a listening socket (any more): cannot recover. */
			log_warn("accept on %s", l->name);
			pause_ms(100);
			break;
		default:
			/*
			 * ECONNABORTED, EPROTO, ENETDOWN, EHOSTUNREACH and
			 * friends concern one connection (accept(2) lists
			 * them as to be retried on Linux).
			 */
			break;
		}
	}
	l->backoff_ms = 0;
	/* The echo is one write per batch: never hold it back for Nagle. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1 &&
	    errno != EINVAL)
		log_debug("TCP_NODELAY: %s", errstr(errno));
	c->fd = fd;
	c->accepted_ns = clock_now_ns();
	count(&l->accepted);
	return 0;
}

void
listener_reject(struct listener *l, struct conn *c)
{
	(void)close(c->fd);
	c->fd = -1;
	count(&l->rejected);
	/* One line a second at most, with the running count. */
	if (ratelimit_allow(&l->reject_warning, c->accepted_ns))
		log_warnx("queue full: rejected a connection on %s (%llu so "
		    "far)", l->name, (unsigned long long)atomic_load_explicit(
		    &l->rejected, memory_order_relaxed));
}

/*
 * Only a flag: a socket from the service manager must stay usable for the
 * next instance, so it is never shut down.  The acceptor interrupts the
 * blocked accept() with a signal (acceptor.c).
 */
void
listener_wake(struct listener *l)
{
	atomic_store(&l->woken, true);
}

void
listener_close(struct listener *l)
{
	if (l->fd != -1)
		(void)close(l->fd);
	if (l->reserve_fd != -1)
		(void)close(l->reserve_fd);
	l->fd = l->reserve_fd = -1;
}

void
listener_destroy(struct listener *l)
{
	if (l == NULL)
		return;
	listener_close(l);
	free(l);
}

const char *
listener_name(const struct listener *l)
{
	return l->name;
}

bool
listener_loopback_only(const struct listener *l)
{
	return l->loopback;
}

void
listener_stats_add(const struct listener *l, struct listener_stats *sum)
{
	sum->accepted += atomic_load_explicit(&l->accepted,
	    memory_order_relaxed);
	sum->rejected += atomic_load_explicit(&l->rejected,
	    memory_order_relaxed);
	sum->accept_pauses += atomic_load_explicit(&l->accept_pauses,
	    memory_order_relaxed);
}

/*
 * Out of descriptors (or memory).  Either shed one pending connection with
 * the reserve descriptor, or leave the pending ones in the backlog and back
 * off, 1 ms doubling to 100 ms, so the loop never spins.  Warn at most once
 * a second.
 */
static void
out_of_fds(struct listener *l, int err)
{
	int fd;

	if (l->backoff_ms == 0)
		count(&l->accept_pauses);
	if (ratelimit_allow(&l->fd_warning, clock_now_ns()))
		log_warnc(err, "accept on %s: %s", l->name,
		    l->reserve_fd != -1 ?
		    "closing new connections until descriptors are free" :
		    "pausing accept until descriptors are free");
	if (l->reserve_fd != -1 && (err == EMFILE || err == ENFILE)) {
		(void)close(l->reserve_fd);
		l->reserve_fd = -1;
		if ((fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
			(void)close(fd);
			count(&l->rejected);
		}
		l->reserve_fd = open_reserve();
		if (fd != -1 && l->reserve_fd != -1)
			return;
	}
	l->backoff_ms = l->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    (l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    l->backoff_ms * 2);
	pause_ms(l->backoff_ms);
}

static void
pause_ms(unsigned ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	/* EINTR cuts the pause short: harmless, the caller loops. */
	(void)nanosleep(&ts, NULL);
}

static int
open_reserve(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Only the accepting thread adds: no read-modify-write needed. */
static void
count(_Atomic uint64_t *counter)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter,
	    memory_order_relaxed) + 1, memory_order_relaxed);
}
