/*
 * metrics.c - the Prometheus endpoint: one thread, one poll(2) loop
 * (see metrics.h for the contract).
 *
 * Each connection is a small state machine: READING its request head,
 * WRITING the answer, then either READING the next request (keep-alive)
 * or LINGERING: write side shut, the client's unread rest discarded for
 * a moment, so that closing does not turn into a reset that destroys the
 * answer (echo_close does the same for echo connections).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "echo.h"
#include "errstr.h"
#include "expo.h"
#include "log.h"
#include "metrics.h"
#include "netutil.h"
#include "ratelimit.h"

#define LINGER_MS	500	/* discarding a closed request's rest */
#define ACCEPT_BATCH	16	/* accepts per loop turn; < METRICS_MAX_CONNS */
#define RUN_STEPS	16	/* syscalls for one connection per loop turn */
#define PAUSE_MS	100	/* accept back-off when out of descriptors */
#define SNDBUF		(64 * 1024)	/* per connection; see accept_some */
#define DEFER_S		1	/* TCP_DEFER_ACCEPT; see metrics_start */
#define REUSE_MS	100	/* an exposition serves this long; see render */
#define POLL_WAKE	0	/* the eventfd's slot in the poll set */
#define POLL_LISTEN	1
#define POLL_CONNS	2
#define NPOLL		(POLL_CONNS + METRICS_MAX_CONNS)

enum conn_state {
	CONN_FREE,
	CONN_READING,		/* waiting for a whole request head */
	CONN_WRITING,		/* sending out[outoff..outlen) */
	CONN_LINGERING		/* answered; discarding input until EOF */
};

/* What one step of a connection did. */
enum step {
	STEP_MORE,		/* progress: go on */
	STEP_WAIT,		/* would block: poll for it */
	STEP_CLOSED		/* the connection is gone */
};

struct mconn {
	int		 fd;
	enum conn_state	 state;
	bool		 keep_alive;	/* after this answer, read another */
	bool		 again;		/* ran out of steps: run it next turn */
	uint64_t	 opened_ns;	/* eviction order */
	uint64_t	 deadline_ns;	/* of the current state */
	char		*out;		/* the answer */
	size_t		 outlen;
	size_t		 outoff;
	size_t		 inlen;
	char		 in[METRICS_MAX_REQUEST];
	char		 peer[NETUTIL_ADDRSTRLEN];
};

/* What the request head asked for. */
struct request {
	bool		 head_only;	/* HEAD: headers without the body */
	bool		 keep_alive;	/* HTTP/1.1, no "close", no body */
};

struct metrics {
	pthread_t		 thread;
	int			 listen_fd;
	int			 wake_fd;
	metrics_snapshot_fn	*snapshot;
	void			*arg;
	double			 start_time;	/* process_start_time_seconds */
	uint64_t		 rendered_ns;	/* when body was made; 0 = never */
	uint64_t		 paused_until;	/* accept back-off; 0 = none */
	struct ratelimit	 debug_limit;	/* lines about clients */
	struct ratelimit	 warn_limit;	/* lines about ourselves */
	struct expo		 body;
	struct mconn		 conns[METRICS_MAX_CONNS];
};

static void	*metrics_main(void *arg);
static int	 poll_setup(struct metrics *m, struct pollfd *pfd,
		    uint64_t now);
static void	 accept_some(struct metrics *m, uint64_t now);
static bool	 accept_failed(struct metrics *m, int err, uint64_t now);
static struct mconn *take_slot(struct metrics *m);
static int	 evict_rank(const struct mconn *c);
static void	 expire(struct metrics *m, uint64_t now);
static void	 conn_run(struct metrics *m, struct mconn *c, uint64_t now);
static enum step step_read(struct metrics *m, struct mconn *c, uint64_t now);
static enum step step_write(struct mconn *c, uint64_t now);
static enum step step_linger(struct mconn *c);
static void	 conn_close(struct mconn *c);
static bool	 take_request(struct metrics *m, struct mconn *c,
		    uint64_t now);
static size_t	 head_length(const char *buf, size_t len);
static int	 parse_request(const char *buf, size_t len,
		    struct request *rq);
static int	 parse_header(const char *line, size_t len, bool *close,
		    bool *body, int *hosts);
static bool	 is_token(const char *s, size_t len);
static bool	 has_token(const char *list, size_t len, const char *token);
static void	 answer(struct metrics *m, struct mconn *c, int status,
		    const struct request *rq, uint64_t now);
static void	 render(struct metrics *m, uint64_t now);
static const char *status_text(int status);
static void	 debug_client(struct metrics *m, const struct mconn *c,
		    uint64_t now, const char *fmt, ...) LOG_PRINTF(4, 5);

struct metrics *
metrics_start(int listen_fd, const char *name,
    metrics_snapshot_fn *snapshot, void *arg, char *err, size_t errlen)
{
	struct metrics *m;
	int flags, i, rc, defer = DEFER_S;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		(void)snprintf(err, errlen, "metrics: %s", errstr(errno));
		return NULL;
	}
	m->listen_fd = listen_fd;
	m->snapshot = snapshot;
	m->arg = arg;
	m->debug_limit.interval_ns = CLOCK_NS_PER_S;
	m->warn_limit.interval_ns = CLOCK_NS_PER_S;
	for (i = 0; i < METRICS_MAX_CONNS; i++)
		m->conns[i].fd = -1;
	expo_init(&m->body);
	/* Constant for the process's life: read /proc/stat once. */
	m->start_time = expo_process_start_time();
	/*
	 * A socket from a service manager may come blocking.  With
	 * TCP_DEFER_ACCEPT the kernel hands over a connection only once its
	 * request has arrived (or after a second): a client that connects
	 * and sends nothing costs no slot meanwhile, and a scraper is
	 * answered the moment it is accepted, before a flood can evict it.
	 */
	if ((flags = fcntl(listen_fd, F_GETFL)) == -1 ||
	    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    setsockopt(listen_fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer,
	    sizeof(defer)) == -1) {
		(void)snprintf(err, errlen, "metrics socket: %s",
		    errstr(errno));
		free(m);
		return NULL;
	}
	if ((m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		(void)snprintf(err, errlen, "metrics: eventfd: %s",
		    errstr(errno));
		free(m);
		return NULL;
	}
	if ((rc = pthread_create(&m->thread, NULL, metrics_main, m)) != 0) {
		(void)snprintf(err, errlen, "cannot create the metrics "
		    "thread: %s", errstr(rc));
		(void)close(m->wake_fd);
		free(m);
		return NULL;
	}
	log_info("metrics on %s (GET /metrics)", name);
	return m;
}

void
metrics_stop(struct metrics *m)
{
	uint64_t one = 1;
	ssize_t n;

	if (m == NULL)
		return;
	/* An eventfd write of 8 bytes is all or nothing. */
	while ((n = write(m->wake_fd, &one, sizeof(one))) == -1 &&
	    errno == EINTR)
		continue;
	/* Either failing is a bug: the thread would never be joined. */
	if (n != (ssize_t)sizeof(one) || pthread_join(m->thread, NULL) != 0)
		abort();
	(void)close(m->wake_fd);
	(void)close(m->listen_fd);
	expo_free(&m->body);
	free(m);
}

static void *
metrics_main(void *arg)
{
	struct pollfd pfd[NPOLL];
	struct metrics *m = arg;
	uint64_t now;
	int i, timeout;

	(void)pthread_setname_np(pthread_self(), "msgsrv-metrics");
	for (;;) {
		timeout = poll_setup(m, pfd, clock_now_ns());
		if (poll(pfd, NPOLL, timeout) == -1) {
			if (errno == EINTR)
				continue;
			/* ENOMEM, say: wait instead of spinning. */
			if (ratelimit_allow(&m->warn_limit, clock_now_ns()))
				log_warnc(errno, "metrics: poll");
			(void)poll(NULL, 0, PAUSE_MS);
			continue;
		}
		if (pfd[POLL_WAKE].revents != 0)
			break;
		now = clock_now_ns();
		for (i = 0; i < METRICS_MAX_CONNS; i++)
			if (m->conns[i].state != CONN_FREE &&
			    (pfd[POLL_CONNS + i].revents != 0 ||
			    m->conns[i].again))
				conn_run(m, &m->conns[i], now);
		expire(m, now);
		/* Last: accepting may reuse a slot whose events were read. */
		if (pfd[POLL_LISTEN].revents != 0)
			accept_some(m, now);
	}
	for (i = 0; i < METRICS_MAX_CONNS; i++)
		if (m->conns[i].state != CONN_FREE)
			conn_close(&m->conns[i]);
	return NULL;
}

/* Fill the poll set; returns the poll timeout: the nearest deadline. */
static int
poll_setup(struct metrics *m, struct pollfd *pfd, uint64_t now)
{
	struct mconn *c;
	uint64_t next = UINT64_MAX;
	int i;

	memset(pfd, 0, NPOLL * sizeof(*pfd));
	pfd[POLL_WAKE].fd = m->wake_fd;
	pfd[POLL_WAKE].events = POLLIN;
	if (m->paused_until != 0 && now >= m->paused_until)
		m->paused_until = 0;
	/* A negative descriptor is skipped by poll(2). */
	pfd[POLL_LISTEN].fd = m->paused_until == 0 ? m->listen_fd : -1;
	pfd[POLL_LISTEN].events = POLLIN;
	if (m->paused_until != 0)
		next = m->paused_until;
	for (i = 0; i < METRICS_MAX_CONNS; i++) {
		c = &m->conns[i];
		pfd[POLL_CONNS + i].fd = c->fd;
		pfd[POLL_CONNS + i].events = c->state == CONN_WRITING ?
		    POLLOUT : POLLIN;
		if (c->state == CONN_FREE)
			continue;
		if (c->again)
			next = now;
		if (c->deadline_ns < next)
			next = c->deadline_ns;
	}
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	/* Round up: waking a little early would only spin. */
	return (int)((next - now + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS);
}

/*
 * Accept what is waiting, a few at a time so that the connections already
 * here are served between batches, and try each one's request at once:
 * a scraper's request has usually arrived with its connection.
 */
static void
accept_some(struct metrics *m, uint64_t now)
{
	struct sockaddr_storage ss;
	struct mconn *c;
	socklen_t sslen;
	int fd, i, sndbuf = SNDBUF;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		sslen = sizeof(ss);
		fd = accept4(m->listen_fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (accept_failed(m, errno, now))
				return;
			continue;
		}
		/*
		 * A fixed send buffer turns the kernel's autotuning off: a
		 * client pipelining requests it never reads then stalls our
		 * writes at a bounded size, and the answer deadline applies,
		 * instead of the kernel holding megabytes of answers for it.
		 */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof(sndbuf)) == -1) {
			(void)close(fd);
			continue;
		}
		c = take_slot(m);
		if (c->state != CONN_FREE) {
			debug_client(m, c, now, "evicted: every slot taken");
			conn_close(c);
		}
		c->fd = fd;
		c->state = CONN_READING;
		c->keep_alive = false;
		c->again = false;
		c->opened_ns = now;
		c->deadline_ns = now + METRICS_TIMEOUT_MS * CLOCK_NS_PER_MS;
		c->inlen = 0;
		(void)netutil_format_addr((struct sockaddr *)&ss, sslen,
		    c->peer, sizeof(c->peer));
		conn_run(m, c, now);
	}
}

/*
 * After accept4 failed with err: true to stop accepting for this turn.
 * Errors of one connection (it was reset, its network is down) skip it;
 * out of descriptors or memory pauses accepting, as the echo listener's
 * back-off does, instead of spinning on a listening socket that stays
 * readable.
 */
static bool
accept_failed(struct metrics *m, int err, uint64_t now)
{
	switch (err) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
		return true;
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return false;
	default:
		if (ratelimit_allow(&m->warn_limit, now))
			log_warnc(err, "metrics: accept (pausing %d ms)",
			    PAUSE_MS);
		m->paused_until = now + PAUSE_MS * CLOCK_NS_PER_MS;
		return true;
	}
}

/* A free slot, else the one to evict (see metrics.h): never NULL. */
static struct mconn *
take_slot(struct metrics *m)
{
	struct mconn *c, *victim = NULL;
	int i;

	for (i = 0; i < METRICS_MAX_CONNS; i++) {
		c = &m->conns[i];
		if (c->state == CONN_FREE)
			return c;
		if (victim == NULL || evict_rank(c) < evict_rank(victim) ||
		    (evict_rank(c) == evict_rank(victim) &&
		    c->opened_ns < victim->opened_ns))
			victim = c;
	}
	return victim;
}

/* Lower goes first: silent, answered, half a request, being answered. */
static int
evict_rank(const struct mconn *c)
{
	switch (c->state) {
	case CONN_READING:
		return c->inlen == 0 ? 0 : 2;
	case CONN_LINGERING:
		return 1;
	case CONN_WRITING:
	default:
		return 3;
	}
}

static void
expire(struct metrics *m, uint64_t now)
{
	struct mconn *c;
	int i;

	for (i = 0; i < METRICS_MAX_CONNS; i++) {
		c = &m->conns[i];
		if (c->state == CONN_FREE || now < c->deadline_ns)
			continue;
		/* An idle keep-alive connection just ends. */
		if (c->state == CONN_READING && c->inlen > 0)
			debug_client(m, c, now, "closed: request incomplete "
			    "after %d ms", METRICS_TIMEOUT_MS);
		else if (c->state == CONN_WRITING)
			debug_client(m, c, now, "closed: answer not read "
			    "within %d ms", METRICS_TIMEOUT_MS);
		conn_close(c);
	}
}

/* Move c on as far as it goes without blocking, in a bounded number of
 * steps so that one busy client cannot starve the others. */
static void
conn_run(struct metrics *m, struct mconn *c, uint64_t now)
{
	enum step st = STEP_MORE;
	int n;

	c->again = false;
	for (n = 0; n < RUN_STEPS && st == STEP_MORE; n++) {
		switch (c->state) {
		case CONN_READING:
			st = step_read(m, c, now);
			break;
		case CONN_WRITING:
			st = step_write(c, now);
			break;
		case CONN_LINGERING:
			st = step_linger(c);
			break;
		case CONN_FREE:
		default:
			return;
		}
	}
	/* Input may sit in c->in with nothing new for poll to report. */
	if (st == STEP_MORE)
		c->again = true;
}

static enum step
step_read(struct metrics *m, struct mconn *c, uint64_t now)
{
	ssize_t n;

	if (take_request(m, c, now))
		return STEP_MORE;
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n > 0) {
		c->inlen += (size_t)n;
		return STEP_MORE;
	}
	if (n == -1 && errno == EINTR)
		return STEP_MORE;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return STEP_WAIT;
	/* The client closed or reset: nothing to answer. */
	conn_close(c);
	return STEP_CLOSED;
}

static enum step
step_write(struct mconn *c, uint64_t now)
{
	ssize_t n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
	    MSG_NOSIGNAL);
	if (n == -1 && errno == EINTR)
		return STEP_MORE;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return STEP_WAIT;
	if (n == -1) {
		conn_close(c);
		return STEP_CLOSED;
	}
	c->outoff += (size_t)n;
	if (c->outoff < c->outlen)
		return STEP_MORE;
	free(c->out);
	c->out = NULL;
	if (c->keep_alive) {
		c->state = CONN_READING;
		c->deadline_ns = now + METRICS_TIMEOUT_MS * CLOCK_NS_PER_MS;
		return STEP_MORE;
	}
	if (shutdown(c->fd, SHUT_WR) == -1) {
		conn_close(c);
		return STEP_CLOSED;
	}
	c->state = CONN_LINGERING;
	c->deadline_ns = now + LINGER_MS * CLOCK_NS_PER_MS;
	return STEP_MORE;
}

static enum step
step_linger(struct mconn *c)
{
	ssize_t n;

	/* c->in is no longer needed: discard into it. */
	n = recv(c->fd, c->in, sizeof(c->in), 0);
	if (n > 0 || (n == -1 && errno == EINTR))
		return STEP_MORE;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return STEP_WAIT;
	conn_close(c);
	return STEP_CLOSED;
}

/*
 * Close c; one with an answer still unsent (timed out, evicted, broken)
 * is reset, so that the kernel drops what it holds for the client at
 * once instead of retrying to deliver it.
 */
static void
conn_close(struct mconn *c)
{
	static const struct linger abortive = { 1, 0 };

	if (c->state == CONN_WRITING)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &abortive,
		    sizeof(abortive));
	/* Never retried: on Linux the descriptor is gone even after EINTR. */
	(void)close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->state = CONN_FREE;
	c->again = false;
}

/*
 * If c->in holds a whole request head (or no room is left for one), take
 * it out, answer it and return true.  Blank lines before a request are
 * skipped, as RFC 9112 asks of a server.
 */
static bool
take_request(struct metrics *m, struct mconn *c, uint64_t now)
{
	struct request rq;
	size_t skip = 0, head;
	int status;

	while (skip < c->inlen && (c->in[skip] == '\r' ||
	    c->in[skip] == '\n'))
		skip++;
	if (skip > 0) {
		memmove(c->in, c->in + skip, c->inlen - skip);
		c->inlen -= skip;
	}
	if ((head = head_length(c->in, c->inlen)) == 0) {
		if (c->inlen < sizeof(c->in))
			return false;
		memset(&rq, 0, sizeof(rq));
		answer(m, c, 431, &rq, now);
		return true;
	}
	status = parse_request(c->in, head, &rq);
	memmove(c->in, c->in + head, c->inlen - head);
	c->inlen -= head;
	answer(m, c, status, &rq, now);
	return true;
}

/* Bytes up to and including the empty line that ends a head, or 0. */
static size_t
head_length(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl + 1 < end && nl[1] == '\n')
			return (size_t)(nl + 2 - buf);
		if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n')
			return (size_t)(nl + 3 - buf);
		p = nl + 1;
	}
	return 0;
}

/*
 * The status for a request head buf[0..len) (it ends with an empty line),
 * and what it asked for in *rq.  Lines may end in CRLF or a bare LF.
 */
static int
parse_request(const char *buf, size_t len, struct request *rq)
{
	const char *line, *end = buf + len, *nl, *target, *version, *q;
	size_t n, i, mlen, tlen;
	bool close = false, body = false, http11;
	int hosts = 0, rc;

	memset(rq, 0, sizeof(*rq));
	for (i = 0; i < len; i++)
		if ((buf[i] < ' ' && buf[i] != '\t' && buf[i] != '\r' &&
		    buf[i] != '\n') || buf[i] == 0x7f)
			return 400;
	/* The request line: METHOD SP TARGET SP HTTP/1.x, nothing else. */
	nl = memchr(buf, '\n', len);
	n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if ((target = memchr(buf, ' ', n)) == NULL)
		return 400;
	mlen = (size_t)(target++ - buf);
	if ((version = memchr(target, ' ', n - mlen - 1)) == NULL)
		return 400;
	tlen = (size_t)(version++ - target);
	rq->head_only = mlen == 4 && memcmp(buf, "HEAD", 4) == 0;
	if (!is_token(buf, mlen) || tlen == 0 || *target != '/' ||
	    memchr(target, '\t', tlen) != NULL || buf + n - version != 8)
		return 400;
	if (memcmp(version, "HTTP/1.1", 8) == 0)
		http11 = true;
	else if (memcmp(version, "HTTP/1.0", 8) == 0)
		http11 = false;
	else
		return 400;
	/* The header lines, up to the empty one. */
	for (line = nl + 1; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if ((rc = parse_header(line, n, &close, &body, &hosts)) != 0)
			return rc;
	}
	/* RFC 9112: an HTTP/1.1 request without exactly one Host is bad. */
	if (http11 && hosts != 1)
		return 400;
	/* The path, without its query. */
	if ((q = memchr(target, '?', tlen)) != NULL)
		tlen = (size_t)(q - target);
	if (tlen != 8 || memcmp(target, "/metrics", 8) != 0)
		return 404;
	if (!rq->head_only && !(mlen == 3 && memcmp(buf, "GET", 3) == 0))
		return 405;
	rq->keep_alive = http11 && !close && !body;
	return 200;
}

/*
 * One header line: count Host, note "Connection: close", and note a body
 * (Content-Length other than 0, or Transfer-Encoding).  A scrape has no
 * body and none is read: the answer closes the connection instead, and
 * the lingering close discards it.  Returns 0 or a status.
 */
static int
parse_header(const char *line, size_t len, bool *close, bool *body,
    int *hosts)
{
	const char *colon, *v, *vend = line + len;
	size_t nlen;

	if ((colon = memchr(line, ':', len)) == NULL)
		return 400;
	nlen = (size_t)(colon - line);
	/* Also refuses obsolete line folding and a space before ':'. */
	if (!is_token(line, nlen))
		return 400;
	for (v = colon + 1; v < vend && (*v == ' ' || *v == '\t'); v++)
		continue;
	while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	if (nlen == 4 && strncasecmp(line, "host", 4) == 0)
		(*hosts)++;
	else if (nlen == 10 && strncasecmp(line, "connection", 10) == 0)
		*close = *close || has_token(v, (size_t)(vend - v), "close");
	else if ((nlen == 14 && strncasecmp(line, "content-length", 14) == 0 &&
	    (vend - v != 1 || *v != '0')) || (nlen == 17 &&
	    strncasecmp(line, "transfer-encoding", 17) == 0))
		*body = true;
	return 0;
}

/* An HTTP token (RFC 9110 tchar), not empty. */
static bool
is_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("!#$%&'*+-.^_`|~", s[i]) != NULL) || s[i] == '\0')
			return false;
	return true;
}

/* Does the comma-separated list hold token (any case)? */
static bool
has_token(const char *list, size_t len, const char *token)
{
	const char *p = list, *end = list + len, *comma, *a, *b;
	size_t tlen = strlen(token);

	for (; p < end; p = comma + 1) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		for (a = p; a < comma && (*a == ' ' || *a == '\t'); a++)
			continue;
		for (b = comma; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
			continue;
		if ((size_t)(b - a) == tlen && strncasecmp(a, token, tlen) == 0)
			return true;
	}
	return false;
}

/*
 * Put the answer for status into c->out and start writing it.  Only a 200
 * may keep the connection; a HEAD gets every header of the GET answer,
 * Content-Length included, and no body.
 */
static void
answer(struct metrics *m, struct mconn *c, int status,
    const struct request *rq, uint64_t now)
{
	const char *body, *type = "text/plain; charset=utf-8";
	char head[512], errbody[64];
	size_t blen, send_blen;
	int hlen;

	c->keep_alive = status == 200 && rq->keep_alive;
	if (status == 200) {
		render(m, now);
		if (m->body.failed) {
			status = 500;
			c->keep_alive = false;
		}
	}
	if (status == 200) {
		body = m->body.buf;
		blen = m->body.len;
		type = EXPO_CONTENT_TYPE;
	} else {
		(void)snprintf(errbody, sizeof(errbody), "%s\n",
		    status_text(status));
		body = errbody;
		blen = strlen(errbody);
		debug_client(m, c, now, "answered %d %s", status,
		    status_text(status));
	}
	hlen = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", status,
	    status_text(status), type, blen,
	    status == 405 ? "Allow: GET, HEAD\r\n" : "",
	    c->keep_alive ? "" : "Connection: close\r\n");
	send_blen = rq->head_only ? 0 : blen;
	free(c->out);
	if (hlen < 0 || (size_t)hlen >= sizeof(head) ||
	    (c->out = malloc((size_t)hlen + send_blen)) == NULL) {
		c->out = NULL;
		c->outlen = c->outoff = 0;
		c->keep_alive = false;	/* nothing to send: just close */
	} else {
		memcpy(c->out, head, (size_t)hlen);
		memcpy(c->out + hlen, body, send_blen);
		c->outlen = (size_t)hlen + send_blen;
		c->outoff = 0;
	}
	c->state = CONN_WRITING;
	c->deadline_ns = now + METRICS_TIMEOUT_MS * CLOCK_NS_PER_MS;
}

/* The families of one unlabelled sample, each a field of the snapshot. */
static const struct {
	const char	*name;
	enum expo_type	 type;
	const char	*help;
	size_t		 field;		/* offset of a uint64_t */
} plain[] = {
	{ "msgserverd_connections_accepted_total", EXPO_COUNTER,
	    "Echo connections accepted.",
	    offsetof(struct metrics_snapshot, accepted) },
	{ "msgserverd_connections_rejected_total", EXPO_COUNTER,
	    "Echo connections closed at once because the queue was full "
	    "(--reject-when-full).",
	    offsetof(struct metrics_snapshot, rejected) },
	{ "msgserverd_connections_active", EXPO_GAUGE,
	    "Echo connections a worker is serving.",
	    offsetof(struct metrics_snapshot, active) },
	{ "msgserverd_connections_queued", EXPO_GAUGE,
	    "Echo connections accepted and waiting for a worker.",
	    offsetof(struct metrics_snapshot, queued) },
	{ "msgserverd_frames_total", EXPO_COUNTER,
	    "Frames echoed.",
	    offsetof(struct metrics_snapshot, echo.frames) },
	{ "msgserverd_bytes_total", EXPO_COUNTER,
	    "Payload bytes echoed, frame headers excluded.",
	    offsetof(struct metrics_snapshot, echo.bytes) },
	{ "msgserverd_workers", EXPO_GAUGE,
	    "Worker threads (--threads).",
	    offsetof(struct metrics_snapshot, workers) },
	/* One connection per worker: the same number, for utilisation. */
	{ "msgserverd_workers_busy", EXPO_GAUGE,
	    "Worker threads serving a connection.",
	    offsetof(struct metrics_snapshot, active) },
	{ "msgserverd_queue_capacity", EXPO_GAUGE,
	    "Connections the queue can hold (--queue).",
	    offsetof(struct metrics_snapshot, queue_capacity) },
	{ "msgserverd_accept_pauses_total", EXPO_COUNTER,
	    "Times accepting paused because descriptors ran out.",
	    offsetof(struct metrics_snapshot, accept_pauses) },
};

/*
 * The exposition, into m->body (msgserverd(8) lists it).  One made less
 * than REUSE_MS ago serves again: however fast clients ask, the counters
 * are summed (a slot mutex each) and /proc read at most ten times a
 * second, and no scraper's numbers are older than that.
 */
static void
render(struct metrics *m, uint64_t now)
{
	struct metrics_snapshot s;
	struct expo *e = &m->body;
	uint64_t v;
	size_t i;
	int r;

	if (m->rendered_ns != 0 && !e->failed &&
	    now - m->rendered_ns < REUSE_MS * CLOCK_NS_PER_MS)
		return;
	m->rendered_ns = now;
	memset(&s, 0, sizeof(s));
	m->snapshot(m->arg, &s);
	expo_reset(e);
	expo_family(e, "msgserverd_build_info", EXPO_GAUGE,
	    "The msgserverd version, as a label; always 1.");
	expo_sample(e, "msgserverd_build_info", "version", PACKAGE_VERSION, 1);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		memcpy(&v, (const char *)&s + plain[i].field, sizeof(v));
		expo_metric(e, plain[i].name, plain[i].type, plain[i].help, v);
	}
	/* Every reason echo.h has, under the names of the stats line. */
	expo_family(e, "msgserverd_connections_closed_total", EXPO_COUNTER,
	    "Echo connections closed by a worker, by reason.");
	for (r = 0; r < CLOSE_REASONS; r++)
		expo_sample(e, "msgserverd_connections_closed_total",
		    "reason", close_reason_name(r), s.echo.closed[r]);
	expo_process(e, m->start_time);
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
	default:
		return "Internal Server Error";
	}
}

/* A debug line about a client, at most one a second: a flood of bad
 * requests must not become a flood of log lines. */
static void
debug_client(struct metrics *m, const struct mconn *c, uint64_t now,
    const char *fmt, ...)
{
	char what[128];
	va_list ap;

	if (!ratelimit_allow(&m->debug_limit, now))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_debug("metrics: %s: %s", c->peer, what);
}
