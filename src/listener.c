/*
 * listener.c - the listening socket and one step of the accept loop.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"

#define BACKOFF_MIN_MS	1
#define BACKOFF_MAX_MS	100

static int	bind_one(const struct addrinfo *ai, int backlog);
static int	accept_fd(int lfd, struct sockaddr_storage *ss, socklen_t *len);
static void	out_of_fds(struct listener *l, int err);
static int	open_reserve(void);
static uint64_t	now_ns(void);

int
listener_open(struct listener *l, const char *host, const char *port,
    int backlog, bool shed_when_out_of_fds, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int rc, fd = -1, saved = 0;

	memset(l, 0, sizeof(*l));
	l->fd = l->reserve_fd = -1;
	if (pthread_mutex_init(&l->lock, NULL) != 0)
		abort();
	l->shed_when_out_of_fds = shed_when_out_of_fds;
	atomic_init(&l->woken, false);
	atomic_init(&l->accepted, 0);
	atomic_init(&l->rejected, 0);
	atomic_init(&l->fd_exhausted, 0);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host != NULL && *host == '\0')
		host = NULL;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve bind address '%s': %s",
		    host != NULL ? host : "*", gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = bind_one(ai, backlog)) != -1)
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(err, errlen, "cannot listen on %s port %s: %s",
		    host != NULL ? host : "*", port, strerror(saved));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		(void)close(fd);
		return -1;
	}
	netutil_format_addr((struct sockaddr *)&ss, sslen, l->name,
	    sizeof(l->name));
	if (shed_when_out_of_fds && (l->reserve_fd = open_reserve()) == -1) {
		snprintf(err, errlen, "cannot open a reserve descriptor: %s",
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	l->fd = fd;
	return 0;
}

/* A bound, listening socket for ai, or -1 with errno set. */
static int
bind_one(const struct addrinfo *ai, int backlog)
{
	int fd, on = 1, off = 0, saved;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return -1;
	/* Restarts must not wait out TIME_WAIT of the last run's sockets. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* "::" means every address, IPv4 included, whatever the sysctl says. */
	if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &off, sizeof(off)) == -1)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, backlog) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

int
listener_accept(struct listener *l, struct conn *c)
{
	struct timespec pause;
	int fd, on = 1;

	for (;;) {
		if (atomic_load(&l->woken))
			return -1;
		c->peerlen = sizeof(c->peer);
		fd = accept_fd(l->fd, &c->peer, &c->peerlen);
		if (fd != -1)
			break;
		switch (errno) {
		case EMFILE:
		case ENFILE:
			out_of_fds(l, errno);
			break;
		case ENOBUFS:
		case ENOMEM:
			/* Memory pressure: pause like for descriptors. */
			out_of_fds(l, errno);
			break;
		case EINVAL:
			/* shutdown() by listener_wake(): loop to see woken. */
			if (atomic_load(&l->woken))
				return -1;
			log_warn("accept");
			pause.tv_sec = 0;
			pause.tv_nsec = 100 * 1000000;
			(void)nanosleep(&pause, NULL);
			break;
		default:
			/*
			 * EINTR, ECONNABORTED, EPROTO, ENETDOWN, EHOSTUNREACH
			 * and friends concern one connection (accept(2)
			 * lists them as to be retried on Linux).
			 */
			break;
		}
	}
	l->backoff_ms = 0;
	/* The echo is one write per batch: never hold it back for Nagle. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1 &&
	    errno != EINVAL)
		log_debug("TCP_NODELAY: %s", strerror(errno));
	c->fd = fd;
	c->accepted_ns = now_ns();
	atomic_fetch_add_explicit(&l->accepted, 1, memory_order_relaxed);
	return 0;
}

void
listener_reject(struct listener *l, struct conn *c)
{
	(void)close(c->fd);
	c->fd = -1;
	atomic_fetch_add_explicit(&l->rejected, 1, memory_order_relaxed);
}

void
listener_wake(struct listener *l)
{
	if (pthread_mutex_lock(&l->lock) != 0)
		abort();
	atomic_store(&l->woken, true);
	/*
	 * On Linux shutdown() of a listening socket makes a blocked accept()
	 * return EINVAL at once: no signal games, and no close() of a
	 * descriptor another thread is blocked on.  The mutex keeps
	 * listener_close() from closing (and the number being reused) while
	 * we use it.
	 */
	if (l->fd != -1)
		(void)shutdown(l->fd, SHUT_RDWR);
	if (pthread_mutex_unlock(&l->lock) != 0)
		abort();
}

void
listener_close(struct listener *l)
{
	if (pthread_mutex_lock(&l->lock) != 0)
		abort();
	if (l->fd != -1)
		(void)close(l->fd);
	if (l->reserve_fd != -1)
		(void)close(l->reserve_fd);
	l->fd = l->reserve_fd = -1;
	if (pthread_mutex_unlock(&l->lock) != 0)
		abort();
	(void)pthread_mutex_destroy(&l->lock);
}

static int
accept_fd(int lfd, struct sockaddr_storage *ss, socklen_t *len)
{
#ifdef HAVE_ACCEPT4
	return accept4(lfd, (struct sockaddr *)ss, len, SOCK_CLOEXEC);
#else
	int fd;

	if ((fd = accept(lfd, (struct sockaddr *)ss, len)) != -1)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
#endif
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
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct timespec pause;
	uint64_t now = now_ns();
	int fd;

	if (l->backoff_ms == 0)
		atomic_fetch_add_explicit(&l->fd_exhausted, 1,
		    memory_order_relaxed);
	if (now - l->last_fd_warning_ns >= 1000000000u ||
	    l->last_fd_warning_ns == 0) {
		l->last_fd_warning_ns = now;
		log_warnx("accept: %s: %s", strerror(err), l->reserve_fd != -1 ?
		    "closing new connections until descriptors are free" :
		    "pausing accept until descriptors are free");
	}
	if (l->reserve_fd != -1 && (err == EMFILE || err == ENFILE)) {
		(void)close(l->reserve_fd);
		l->reserve_fd = -1;
		if ((fd = accept_fd(l->fd, &ss, &len)) != -1) {
			(void)close(fd);
			atomic_fetch_add_explicit(&l->rejected, 1,
			    memory_order_relaxed);
		}
		l->reserve_fd = open_reserve();
		if (fd != -1 && l->reserve_fd != -1)
			return;
	}
	l->backoff_ms = l->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    (l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    l->backoff_ms * 2);
	pause.tv_sec = 0;
	pause.tv_nsec = (long)l->backoff_ms * 1000000;
	(void)nanosleep(&pause, NULL);
}

static int
open_reserve(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
