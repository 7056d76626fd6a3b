/*
 * netutil.c - socket helpers shared by the daemon and the client tools.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errstr.h"
#include "netutil.h"
#include "parse.h"

static void	set_err(char *err, size_t errlen, const char *fmt, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
static int	bind_one(const struct addrinfo *ai, int backlog);
static void	close_keep_errno(int fd);
static const char *format_unix(const struct sockaddr_un *sun, socklen_t len,
		    char *buf, size_t buflen);
static int	wait_writable(int fd, int timeout_ms);
static int	connect_one(const struct addrinfo *ai, int timeout_ms);

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	/* Callers that do not care about the reason may pass NULL. */
	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	/* Truncation is acceptable: the message is for humans. */
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Wait until a non-blocking connect on fd has finished, successfully or
 * not, for at most timeout_ms (0 = no limit of our own).  A signal must not
 * restart the full timeout, so the remaining time is recomputed from a
 * deadline after EINTR.  Returns 0, or -1 with errno ETIMEDOUT or poll's.
 */
static int
wait_writable(int fd, int timeout_ms)
{
	struct pollfd pfd;
	int64_t deadline = 0, left;
	int rc, wait;

	if (timeout_ms > 0)
		deadline = (int64_t)(clock_now_ns() / CLOCK_NS_PER_MS) + timeout_ms;
	wait = timeout_ms > 0 ? timeout_ms : -1;
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rc = poll(&pfd, 1, wait);
		/* POLLERR/POLLHUP also end the wait: SO_ERROR tells why. */
		if (rc > 0)
			return 0;
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
		if (timeout_ms > 0) {
			left = deadline - (int64_t)(clock_now_ns() / CLOCK_NS_PER_MS);
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			wait = (int)left;
		}
	}
}

/*
 * Connect one resolved address.  The connect is made non-blocking so that
 * timeout_ms can bound it (a blocking connect waits for the kernel's SYN
 * retries, over two minutes on Linux) and so that EINTR cannot leave a
 * half-started connect we could not restart; with timeout_ms 0 the poll has
 * no limit and the kernel's own timeout still applies through SO_ERROR.
 * Returns a blocking descriptor, or -1 with errno set.
 */
static int
connect_one(const struct addrinfo *ai, int timeout_ms)
{
	socklen_t len;
	int fd, flags, soerr, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1)
		goto fail;
	if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		/*
		 * EINTR from connect() means the attempt goes on in the
		 * background, exactly like EINPROGRESS.
		 */
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		if (wait_writable(fd, timeout_ms) == -1)
			goto fail;
		soerr = 0;
		len = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	/* Callers expect plain blocking I/O (with SO_*TIMEO if they want). */
	if (fcntl(fd, F_SETFL, flags) == -1)
		goto fail;
	/* Frames are small and latency-bound: do not wait for Nagle. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	return fd;

fail:
	close_keep_errno(fd);
	return -1;
}

const char *
netutil_format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int rc;

	if (buf == NULL)
		return "?";
	if (buflen == 0)
		return buf;
	(void)snprintf(buf, buflen, "?");
	if (sa == NULL)
		return buf;
	/* Check the length ourselves: a short address must not be read. */
	switch (sa->sa_family) {
	case AF_INET:
		if (len < (socklen_t)sizeof(struct sockaddr_in))
			return buf;
		break;
	case AF_INET6:
		if (len < (socklen_t)sizeof(struct sockaddr_in6))
			return buf;
		break;
	case AF_UNIX:
		return format_unix((const struct sockaddr_un *)sa, len, buf,
		    buflen);
	default:
		return buf;
	}
	/*
	 * getnameinfo() rather than inet_ntop(): it also prints an IPv6
	 * scope ("fe80::1%eth0"), which a link-local address needs to be
	 * usable.  Numeric only: a log line must never wait for DNS.
	 */
	rc = getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV);
	if (rc != 0)
		return buf;
	/* Brackets keep the port apart from the colons of an IPv6 address. */
	if (sa->sa_family == AF_INET6)
		(void)snprintf(buf, buflen, "[%s]:%s", host, serv);
	else
		(void)snprintf(buf, buflen, "%s:%s", host, serv);
	return buf;
}

int
netutil_connect(const char *host, const char *port, int timeout_ms,
    char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	const char *name;
	int fd, rc, last_errno;

	/* getaddrinfo() takes NULL as loopback; name it so in errors. */
	name = host != NULL ? host : "localhost";
	if (port == NULL) {
		set_err(err, errlen, "connect to %s: no port given", name);
		errno = EINVAL;
		return -1;
	}
	if (timeout_ms < 0)
		timeout_ms = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/*
	 * No AI_ADDRCONFIG: on a host whose only interface is loopback it
	 * hides the loopback addresses themselves, and trying an address
	 * the host cannot reach just costs one quick failure.
	 */
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		set_err(err, errlen, "resolve %s port %s: %s", name, port,
		    rc == EAI_SYSTEM ? errstr(errno) : gai_strerror(rc));
		/* errno is a best effort here; err carries the real reason. */
		if (rc == EAI_AGAIN)
			errno = EAGAIN;
		else if (rc != EAI_SYSTEM)
			errno = EINVAL;
		return -1;
	}

	/* getaddrinfo() never succeeds with an empty list; be safe anyway. */
	last_errno = EADDRNOTAVAIL;
	fd = -1;
	/* In resolver order: it already prefers per RFC 6724 (gai.conf). */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = connect_one(ai, timeout_ms);
		if (fd != -1)
			break;
		last_errno = errno;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		set_err(err, errlen, "connect to %s port %s: %s", name, port,
		    errstr(last_errno));
		errno = last_errno;
		return -1;
	}
	return fd;
}

int
netutil_set_timeouts(int fd, int timeout_ms)
{
	struct timeval tv;

	if (timeout_ms < 0) {
		errno = EINVAL;
		return -1;
	}
	/* A zero timeval means "no timeout", which is what 0 means here. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

int
netutil_listen(const char *host, const char *port, int backlog,
    struct sockaddr_storage *bound, socklen_t *boundlen, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int rc, fd = -1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host != NULL && *host == '\0')
		host = NULL;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		set_err(err, errlen, "cannot resolve bind address '%s': %s",
		    host != NULL ? host : "*", rc == EAI_SYSTEM ?
		    errstr(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = bind_one(ai, backlog)) != -1)
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		set_err(err, errlen, "cannot listen on %s port %s: %s",
		    host != NULL ? host : "*", port, errstr(saved));
		return -1;
	}
	*boundlen = sizeof(*bound);
	if (getsockname(fd, (struct sockaddr *)bound, boundlen) == -1) {
		set_err(err, errlen, "getsockname: %s", errstr(errno));
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
netutil_split_hostport(const char *s, char *host, size_t hostlen,
    char *port, size_t portlen, char *err, size_t errlen)
{
	const char *h, *colon, *p;
	size_t hlen;
	uint64_t v;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			set_err(err, errlen, "spaces and control characters "
			    "are not allowed");
			return -1;
		}
	h = s;
	if (*s == '[') {
		h = s + 1;
		if ((p = strchr(h, ']')) == NULL || p[1] != ':') {
			set_err(err, errlen, "expected [ADDRESS]:PORT");
			return -1;
		}
		hlen = (size_t)(p - h);
		colon = p + 1;
	} else if ((colon = strrchr(s, ':')) == NULL) {
		set_err(err, errlen, "expected HOST:PORT, or [ADDRESS]:PORT "
		    "for IPv6");
		return -1;
	} else {
		hlen = (size_t)(colon - s);
		/* Which colon ends "::1:80"'s address is anyone's guess. */
		if (memchr(s, ':', hlen) != NULL) {
			set_err(err, errlen, "an IPv6 address needs brackets: "
			    "[ADDRESS]:PORT");
			return -1;
		}
	}
	if (hlen == 0) {
		set_err(err, errlen, "the host is empty");
		return -1;
	}
	if (memchr(h, '[', hlen) != NULL || memchr(h, ']', hlen) != NULL) {
		set_err(err, errlen, "misplaced bracket");
		return -1;
	}
	if (hlen >= NETUTIL_HOSTLEN || (host != NULL && hlen >= hostlen)) {
		set_err(err, errlen, "the host is too long");
		return -1;
	}
	if (parse_uint(colon + 1, 0, 65535, &v) == -1) {
		set_err(err, errlen, "the port must be a number from 0 to "
		    "65535");
		return -1;
	}
	if (port != NULL && portlen < NETUTIL_PORTLEN) {
		set_err(err, errlen, "no room for the port");
		return -1;
	}
	if (host != NULL) {
		memcpy(host, h, hlen);
		host[hlen] = '\0';
	}
	if (port != NULL)
		(void)snprintf(port, portlen, "%u", (unsigned)v);
	return 0;
}

/* A bound, listening socket for ai, or -1 with errno set. */
static int
bind_one(const struct addrinfo *ai, int backlog)
{
	int fd, on = 1, off = 0;

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
	close_keep_errno(fd);
	return -1;
}

/* Never retry close(): on Linux the descriptor is gone after EINTR. */
static void
close_keep_errno(int fd)
{
	int saved = errno;

	(void)close(fd);
	errno = saved;
}

/* "unix:/run/x.sock", "unix:@name" (abstract), "unix:" (unnamed). */
static const char *
format_unix(const struct sockaddr_un *sun, socklen_t len, char *buf,
    size_t buflen)
{
	size_t off = offsetof(struct sockaddr_un, sun_path), plen, i;
	char path[sizeof(sun->sun_path) + 1];

	plen = len > off ? (size_t)len - off : 0;
	if (plen > sizeof(sun->sun_path))
		plen = sizeof(sun->sun_path);
	memcpy(path, sun->sun_path, plen);
	path[plen] = '\0';
	if (plen > 0 && path[0] == '\0') {
		path[0] = '@';
		/* An abstract name may hold NULs: show them, not cut at one. */
		for (i = 1; i < plen; i++)
			if (path[i] == '\0')
				path[i] = '@';
	}
	(void)snprintf(buf, buflen, "unix:%s", path);
	return buf;
}

int
netutil_presize_fds(unsigned long n)
{
	struct rlimit	rl;
	int		fd, top, saved;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur !=
	    RLIM_INFINITY && n > rl.rlim_cur)
		n = (unsigned long)rl.rlim_cur;
	if (n > (unsigned long)INT_MAX)
		n = (unsigned long)INT_MAX;
	if (n == 0)
		return 0;
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	/* The lowest free descriptor >= n - 1: none in use is disturbed. */
	top = fcntl(fd, F_DUPFD_CLOEXEC, (int)(n - 1));
	saved = errno;
	if (top != -1)
		(void)close(top);
	(void)close(fd);
	errno = saved;
	return top == -1 ? -1 : 0;
}
