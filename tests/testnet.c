/*
 * testnet.c - the Check-free test helpers (testnet.h).
 */
#include <config.h>

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "msgframe.h"
#include "netutil.h"
#include "testnet.h"

#define KiB		1024u
#define CONNECT_TMO_MS	10000
/* How often waits look at the caller's stop flag. */
#define STOP_STEP_MS	100

static bool	stopped(const atomic_bool *);

static bool
stopped(const atomic_bool *stop)
{
	return stop != NULL && atomic_load(stop);
}

uint64_t
tn_now_ms(void)
{
	return clock_now_ns() / CLOCK_NS_PER_MS;
}

void
tn_sleep_ms(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

void
tn_fill_random(void *buf, size_t n, uint64_t seed)
{
	unsigned char	*p = buf;
	uint64_t	 x, v = 0;
	size_t		 i;

	/* Mixed, so that seed 0 works and small seeds start far apart. */
	x = seed ^ UINT64_C(0x9e3779b97f4a7c15);
	if (x == 0)
		x = 1;
	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			v = tn_xorshift(&x);
		/* Byte by byte: the same bytes on any host's byte order. */
		p[i] = (unsigned char)(v >> (8 * (i % 8)));
	}
}

size_t
tn_put_frame(unsigned char *dst, const void *payload, uint32_t len)
{
	msgframe_encode_header(dst, len);
	if (len != 0)
		memcpy(dst + MSGFRAME_HEADER_SIZE, payload, len);
	return MSGFRAME_HEADER_SIZE + (size_t)len;
}

size_t
tn_make_garbage(unsigned char *buf, size_t cap, uint64_t seed, int kind,
    uint32_t max_frame)
{
	uint64_t	rng = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
	uint32_t	len;
	size_t		off = 0, noise;

	if (kind == 0) {
		tn_fill_random(buf, cap, seed);
		return cap;
	}
	while (off + MSGFRAME_HEADER_SIZE < cap) {
		if (kind == 1 && tn_xorshift(&rng) % 8 == 0) {
			noise = 1 + tn_xorshift(&rng) % 7;
			if (noise > cap - off)
				noise = cap - off;
			tn_fill_random(buf + off, noise, tn_xorshift(&rng));
			off += noise;
			continue;
		}
		len = (uint32_t)(tn_xorshift(&rng) % (kind == 1 ? 2048 :
		    48 * KiB));
		if (len > max_frame)
			len = max_frame;
		msgframe_encode_header(buf + off, len);
		off += MSGFRAME_HEADER_SIZE;
		if (len > cap - off)
			len = (uint32_t)(cap - off);
		tn_fill_random(buf + off, len, tn_xorshift(&rng));
		off += len;
	}
	tn_fill_random(buf + off, cap - off, tn_xorshift(&rng));
	return cap;
}

char *
tn_read_file(const char *path, size_t *lenp)
{
	char	*buf, *nbuf;
	size_t	 len = 0, cap = 4096;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 1024) {
			if ((nbuf = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

long
tn_stat_value(const char *line, const char *key)
{
	const char	*p;
	size_t		 klen;

	klen = strlen(key);
	for (p = line; (p = strstr(p, key)) != NULL; p += klen) {
		/* Whole words only: "frames" must not match "xframes". */
		if (p != line && (p[-1] == '_' ||
		    (p[-1] >= 'a' && p[-1] <= 'z')))
			continue;
		if (p[klen] == '=' && p[klen + 1] >= '0' && p[klen + 1] <= '9')
			return strtol(p + klen + 1, NULL, 10);
	}
	return -1;
}

int
tn_connect_addr(const struct sockaddr *sa, socklen_t salen, int timeout_ms)
{
	int	fd, one = 1, r;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* On Linux SO_SNDTIMEO also bounds connect(), e.g. when the
	 * server's listen backlog is full and SYNs are dropped. */
	if (netutil_set_timeouts(fd, timeout_ms) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	while ((r = connect(fd, sa, salen)) == -1 && errno == EINTR)
		continue;
	if (r == -1)
		goto fail;
	return fd;
fail:
	r = errno;
	close(fd);
	errno = r;
	return -1;
}

int
tn_try_connect(int port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return tn_connect_addr((struct sockaddr *)&sin, sizeof(sin),
	    CONNECT_TMO_MS);
}

void
tn_set_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void
tn_close_reset(int fd)
{
	struct linger	l;

	l.l_onoff = 1;
	l.l_linger = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

bool
tn_wait_closed(int fd, int timeout_ms)
{
	struct pollfd	 pfd;
	char		 buf[65536];
	uint64_t	 now, deadline;
	ssize_t		 n;

	deadline = tn_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		now = tn_now_ms();
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, now >= deadline ? 0 :
		    (int)(deadline - now)) == -1 && errno != EINTR)
			return false;
		if (pfd.revents != 0) {
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0)
				return true;
			if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR)
				return true;	/* reset, or any error */
			if (n > 0)
				continue;	/* discard, look again */
		}
		if (tn_now_ms() >= deadline)
			return false;
	}
}

size_t
tn_send_tolerant(int fd, const void *buf, size_t len, int timeout_ms,
    const atomic_bool *stop)
{
	const unsigned char	*p = buf;
	uint64_t		 deadline;
	size_t			 off = 0;
	ssize_t			 n;

	deadline = tn_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	while (off < len && !stopped(stop)) {
		n = send(fd, p + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		/* The socket's send timeout: the peer is not reading. */
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    tn_now_ms() < deadline)
			continue;
		break;
	}
	return off;
}

size_t
tn_read_until_closed(int fd, void *buf, size_t cap, int timeout_ms,
    const atomic_bool *stop)
{
	unsigned char	*p = buf;
	struct pollfd	 pfd;
	uint64_t	 now, deadline;
	size_t		 off = 0;
	ssize_t		 n;
	int		 r;

	deadline = tn_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	while (off < cap && !stopped(stop)) {
		if ((now = tn_now_ms()) >= deadline)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, deadline - now < STOP_STEP_MS ?
		    (int)(deadline - now) : STOP_STEP_MS);
		if (r == -1 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		n = recv(fd, p + off, cap - off, MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EINTR || errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			continue;
		break;		/* end of stream or reset */
	}
	return off;
}

void
tn_drop(int fd, unsigned way)
{
	unsigned char	wire[MSGFRAME_HEADER_SIZE + 8];

	msgframe_encode_header(wire, 100);
	memset(wire + MSGFRAME_HEADER_SIZE, 'q', 8);
	switch (way % 4) {
	case 0:
		close(fd);
		break;
	case 1:
		tn_close_reset(fd);
		break;
	case 2:
		(void)tn_send_tolerant(fd, wire, 2, 0, NULL);
		close(fd);
		break;
	default:
		(void)tn_send_tolerant(fd, wire, sizeof(wire), 0, NULL);
		tn_close_reset(fd);
		break;
	}
}
