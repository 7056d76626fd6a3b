/*
 * echo.c - the blocking framed echo loop (see echo.h for the design).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "clock.h"
#include "echo.h"
#include "msgframe.h"
#include "proxy.h"

/* A deadline of 0 means "none"; DEADLINE_PAST, "already gone". */
typedef uint64_t deadline_t;
#define DEADLINE_PAST	((deadline_t)1)

enum close_kind {
	CLOSE_AT_ONCE,		/* plain close(2) */
	CLOSE_ABORTIVE,		/* SO_LINGER 0: a reset */
	CLOSE_LINGERING		/* our FIN, then drain until theirs */
};

static deadline_t deadline_after(unsigned ms);
static int	wait_ready(int fd, short events, deadline_t deadline);
static ssize_t	recv_by(int fd, void *buf, size_t n, deadline_t deadline);
static int	send_by(int fd, const void *buf, size_t n, unsigned timeout_ms);
static enum close_kind close_kind(const struct echo_result *res);
static void	count(_Atomic uint64_t *counter, uint64_t n);
static void	end(struct echo_worker *w, struct echo_result *res,
		    enum close_reason reason, int err);
static void	end_recv(struct echo_worker *w, struct echo_result *res,
		    ssize_t n, int err);
static void	end_send(struct echo_worker *w, struct echo_result *res, int err);
static int	stream_frame(struct echo_worker *w, int fd, size_t have,
		    uint64_t total, deadline_t deadline, struct echo_result *res);
static int	read_proxy(struct echo_worker *w, int fd,
		    struct echo_result *res, size_t *lenp);
static void	end_proxy(struct echo_worker *w, struct echo_result *res,
		    ssize_t n, int err);

static const char *const reason_names[CLOSE_REASONS] = {
	[CLOSE_CLIENT] = "client",
	[CLOSE_IDLE] = "idle",
	[CLOSE_IO_TIMEOUT] = "io_timeout",
	[CLOSE_OVERSIZE] = "oversize",
	[CLOSE_PROTOCOL] = "protocol",
	[CLOSE_RESET] = "reset",
	[CLOSE_ERROR] = "error",
	[CLOSE_SHUTDOWN] = "shutdown",
	[CLOSE_PROXY] = "proxy",
	[CLOSE_UNTRUSTED] = "untrusted",
};

const char *
close_reason_name(enum close_reason reason)
{
	if (reason >= CLOSE_REASONS)
		return "unknown";
	return reason_names[reason];
}

void
echo_worker_init(struct echo_worker *w, const struct echo_config *cfg,
    const atomic_bool *stopping, unsigned char *buf)
{
	int i;

	w->cfg = cfg;
	w->stopping = stopping;
	w->buf = buf;
	atomic_init(&w->phase, ECHO_IDLE);
	atomic_init(&w->waiting_since, 0);
	atomic_init(&w->idle_kicked, false);
	atomic_init(&w->stats.frames, 0);
	atomic_init(&w->stats.bytes, 0);
	for (i = 0; i < CLOSE_REASONS; i++)
		atomic_init(&w->stats.closed[i], 0);
}

bool
echo_worker_waiting(struct echo_worker *w)
{
	return atomic_load(&w->phase) == ECHO_WAITING;
}

bool
echo_worker_idle_for(struct echo_worker *w, uint64_t now_ns,
    uint64_t idle_ns)
{
	uint64_t since;

	/* The stamp is stored before the phase: a WAITING phase is read
	 * with its own stamp, never the last connection's. */
	if (atomic_load(&w->phase) != ECHO_WAITING)
		return false;
	since = atomic_load_explicit(&w->waiting_since, memory_order_relaxed);
	return now_ns >= since && now_ns - since >= idle_ns;
}

void
echo_worker_kick_idle(struct echo_worker *w)
{
	atomic_store(&w->idle_kicked, true);
}

void
echo_stats_add(struct echo_totals *sum, struct echo_worker *w)
{
	int i;

	sum->frames += atomic_load_explicit(&w->stats.frames,
	    memory_order_relaxed);
	sum->bytes += atomic_load_explicit(&w->stats.bytes,
	    memory_order_relaxed);
	for (i = 0; i < CLOSE_REASONS; i++)
		sum->closed[i] += atomic_load_explicit(&w->stats.closed[i],
		    memory_order_relaxed);
}

void
echo_serve(struct echo_worker *w, const struct conn *c,
    struct echo_result *res)
{
	const struct echo_config *cfg = w->cfg;
	unsigned char *buf = w->buf;
	struct msgframe_scan sc;
	deadline_t deadline = 0;
	size_t len = 0;		/* bytes buffered: always part of one frame */
	bool fresh = true;	/* the buffered bytes start a new frame */
	bool pending;		/* bytes came with the PROXY header: any
				   number of frames, scanned first */
	bool stopping;
	int fd = c->fd;
	ssize_t n;
	int rc;

	memset(res, 0, sizeof(*res));
	atomic_store_explicit(&w->idle_kicked, false, memory_order_relaxed);
	if (cfg->proxy_from != NULL && !cidr_list_match(cfg->proxy_from,
	    (const struct sockaddr *)&c->peer, c->peerlen)) {
		end(w, res, CLOSE_UNTRUSTED, 0);
		return;
	}
	if (cfg->proxy_from != NULL && read_proxy(w, fd, res, &len) == -1)
		return;
	pending = len > 0;

	for (;;) {
		if (pending) {
			/* Scan them first, as if this read had brought them. */
			pending = false;
		} else if (len == 0) {
			/*
			 * Between frames: the handshake of echo.h.  Stopping,
			 * take only what the client has already sent.
			 */
			atomic_store_explicit(&w->waiting_since,
			    clock_coarse_ns(), memory_order_relaxed);
			atomic_store(&w->phase, ECHO_WAITING);
			stopping = atomic_load(w->stopping);
			n = recv(fd, buf, cfg->buf_size,
			    stopping ? MSG_DONTWAIT : 0);
			atomic_store(&w->phase, ECHO_BUSY);
			if (n <= 0) {
				if (n == -1 && errno == EINTR)
					continue;
				if (n == 0 && atomic_load(&w->idle_kicked))
					end(w, res, CLOSE_IDLE, 0);
				else if (n == 0 && atomic_load(w->stopping))
					end(w, res, CLOSE_SHUTDOWN, 0);
				else if (n == 0)
					end(w, res, CLOSE_CLIENT, 0);
				else if (stopping && (errno == EAGAIN ||
				    errno == EWOULDBLOCK))
					end(w, res, CLOSE_SHUTDOWN, 0);
				else
					end_recv(w, res, n, errno);
				return;
			}
			fresh = true;
			len = (size_t)n;
		} else {
			fresh = false;
			n = recv_by(fd, buf + len, cfg->buf_size - len, deadline);
			if (n <= 0) {
				end_recv(w, res, n, errno);
				return;
			}
			len += (size_t)n;
		}

		rc = msgframe_scan(buf, len, cfg->max_frame, &sc);
		if (sc.complete > 0) {
			if (send_by(fd, buf, sc.complete,
			    cfg->io_timeout_ms) == -1) {
				end_send(w, res, errno);
				return;
			}
			count(&w->stats.frames, sc.frames);
			count(&w->stats.bytes,
			    sc.complete - sc.frames * MSGFRAME_HEADER_SIZE);
			res->frames += sc.frames;
			len -= sc.complete;
			if (len > 0) {
				memmove(buf, buf + sc.complete, len);
				fresh = true;
			}
		}
		/*
		 * A frame's clock starts with its first byte.  Read the clock
		 * only then: a batch that ends on a frame boundary costs none.
		 */
		if (fresh && len > 0)
			deadline = deadline_after(cfg->io_timeout_ms);
		if (rc == -1) {
			/* The frames before it were echoed above. */
			res->announced = sc.next_len;
			end(w, res, CLOSE_OVERSIZE, 0);
			return;
		}
		if (sc.has_next && (uint64_t)sc.next_len +
		    MSGFRAME_HEADER_SIZE > cfg->buf_size) {
			if (stream_frame(w, fd, len, (uint64_t)sc.next_len +
			    MSGFRAME_HEADER_SIZE, deadline, res) == -1)
				return;
			len = 0;
		}
	}
}

/*
 * Echo a frame too big for the buffer as it arrives.  The buffer holds its
 * first `have` bytes.  Fill the buffer before the first write, so the
 * header always leaves with payload bytes (never a 4-byte segment).
 */
static int
stream_frame(struct echo_worker *w, int fd, size_t have, uint64_t total,
    deadline_t deadline, struct echo_result *res)
{
	const struct echo_config *cfg = w->cfg;
	unsigned char *buf = w->buf;
	uint64_t left;
	size_t want;
	ssize_t n;

	while (have < cfg->buf_size) {
		n = recv_by(fd, buf + have, cfg->buf_size - have, deadline);
		if (n <= 0) {
			end_recv(w, res, n, errno);
			return -1;
		}
		have += (size_t)n;
	}
	left = total;
	for (;;) {
		if (send_by(fd, buf, have, cfg->io_timeout_ms) == -1) {
			end_send(w, res, errno);
			return -1;
		}
		left -= have;
		if (left == 0)
			break;
		/* Never read past this frame: the next one is parsed normally. */
		want = left < cfg->buf_size ? (size_t)left : cfg->buf_size;
		n = recv_by(fd, buf, want, deadline);
		if (n <= 0) {
			end_recv(w, res, n, errno);
			return -1;
		}
		have = (size_t)n;
	}
	count(&w->stats.frames, 1);
	count(&w->stats.bytes, total - MSGFRAME_HEADER_SIZE);
	res->frames++;
	return 0;
}

/*
 * Read the PROXY header into the worker's buffer; the bytes after it are
 * moved to the front and their count stored in *lenp.  The whole header
 * must arrive by one deadline, as a frame must: a dripping sender gains
 * nothing per read.  Until its first byte the worker is ECHO_WAITING (the
 * handshake of echo.h).  0, or -1 after end() (the connection is over).
 */
static int
read_proxy(struct echo_worker *w, int fd, struct echo_result *res,
    size_t *lenp)
{
	const struct echo_config *cfg = w->cfg;
	struct proxy_header hdr;
	enum proxy_status st;
	deadline_t deadline;
	size_t have = 0;
	ssize_t n;

	deadline = deadline_after(cfg->io_timeout_ms != 0 ?
	    cfg->io_timeout_ms : cfg->idle_timeout_ms);
	/* Idle until the first byte: the sweeper may end the wait. */
	atomic_store_explicit(&w->waiting_since, clock_coarse_ns(),
	    memory_order_relaxed);
	atomic_store(&w->phase, ECHO_WAITING);
	do {
		/* Stopping before the first byte: only what is there. */
		n = recv_by(fd, w->buf + have, cfg->buf_size - have,
		    have == 0 && atomic_load(w->stopping) ? DEADLINE_PAST :
		    deadline);
		if (n <= 0) {
			end_proxy(w, res, n, errno);
			return -1;
		}
		if (have == 0)
			atomic_store(&w->phase, ECHO_BUSY);
		have += (size_t)n;
		st = proxy_parse(w->buf, have, &hdr);
	} while (st == PROXY_MORE);
	if (st == PROXY_ERROR) {
		res->proxy_error = hdr.error;
		end(w, res, CLOSE_PROXY, 0);
		return -1;
	}
	res->proxied = true;
	res->proxy_kind = hdr.kind;
	if (hdr.kind == PROXY_ADDRS) {
		memcpy(&res->client, &hdr.src, hdr.srclen);
		res->clientlen = hdr.srclen;
	}
	*lenp = have - hdr.consumed;
	if (*lenp > 0)
		memmove(w->buf, w->buf + hdr.consumed, *lenp);
	return 0;
}

/* A read before the header was complete failed or hit end of stream. */
static void
end_proxy(struct echo_worker *w, struct echo_result *res, ssize_t n, int err)
{
	if (n == 0 && atomic_load(&w->idle_kicked))
		end(w, res, CLOSE_IDLE, 0);
	else if (atomic_load(w->stopping))
		end(w, res, CLOSE_SHUTDOWN, 0);
	else if (n == 0 || err == ETIMEDOUT)
		end(w, res, CLOSE_PROXY, n == 0 ? 0 : ETIMEDOUT);
	else if (err == ECONNRESET)
		end(w, res, CLOSE_RESET, err);
	else
		end(w, res, CLOSE_ERROR, err);
}

void
echo_close(int fd, const struct echo_result *res, unsigned linger_ms)
{
	static const struct linger abortive = { 1, 0 };
	char discard[4096];
	deadline_t deadline;
	ssize_t n;

	switch (close_kind(res)) {
	case CLOSE_AT_ONCE:
		break;
	case CLOSE_ABORTIVE:
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive,
		    sizeof(abortive));
		break;
	case CLOSE_LINGERING:
		if (shutdown(fd, SHUT_WR) == -1)
			break;
		deadline = deadline_after(linger_ms);
		do {
			n = recv_by(fd, discard, sizeof(discard), deadline);
		} while (n > 0);
		break;
	}
	(void)close(fd);
}

/*
 * How to close after res.  Lingering (shut down our side, discard the
 * client's input until it closes too) keeps the kernel from answering
 * unread input with a reset that would destroy echoes still in flight;
 * it is needed only where echoes or a graceful end are owed.
 */
static enum close_kind
close_kind(const struct echo_result *res)
{
	switch (res->reason) {
	case CLOSE_RESET:
	case CLOSE_ERROR:
	case CLOSE_PROXY:
	case CLOSE_UNTRUSTED:
		return CLOSE_AT_ONCE;
	case CLOSE_SHUTDOWN:
		/*
		 * Stopping with nothing echoed (a queued client that had sent
		 * nothing yet): nothing to protect, and a linger would hold
		 * the stop up by a second per such client.
		 */
		return res->frames == 0 ? CLOSE_AT_ONCE : CLOSE_LINGERING;
	case CLOSE_IO_TIMEOUT:
		/*
		 * A client that stopped reading would keep unsent echoes in
		 * our socket buffer for minutes: reset it.  A frame that
		 * never completed got no echo to lose: close gracefully.
		 */
		return res->writing ? CLOSE_ABORTIVE : CLOSE_LINGERING;
	default:
		return CLOSE_LINGERING;
	}
}

static deadline_t
deadline_after(unsigned ms)
{
	if (ms == 0)
		return 0;
	return clock_now_ns() + (uint64_t)ms * CLOCK_NS_PER_MS;
}

/* Wait for events on fd until deadline: 0, or -1 with errno ETIMEDOUT. */
static int
wait_ready(int fd, short events, deadline_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t now;
	int ms;

	for (;;) {
		ms = -1;
		if (deadline != 0) {
			now = clock_now_ns();
			if (now >= deadline) {
				errno = ETIMEDOUT;
				return -1;
			}
			/* Round up: never wake a hair early and spin. */
			ms = (int)((deadline - now + 999999) / 1000000);
		}
		switch (poll(&pfd, 1, ms)) {
		case -1:
			if (errno != EINTR)
				return -1;
			break;
		case 0:
			break;		/* re-check the clock */
		default:
			/* Errors and hang-ups are reported by the next call. */
			return 0;
		}
	}
}

/*
 * Receive what is there, or wait until the deadline for something.
 * Returns > 0, 0 at end of stream, or -1 with errno (ETIMEDOUT).
 */
static ssize_t
recv_by(int fd, void *buf, size_t n, deadline_t deadline)
{
	ssize_t r;

	for (;;) {
		r = recv(fd, buf, n, MSG_DONTWAIT);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_ready(fd, POLLIN, deadline) == -1)
			return -1;
	}
}

/*
 * Send all n bytes.  The deadline starts only when the socket first pushes
 * back: the usual whole-batch send costs no clock read.  0 or -1 (errno).
 */
static int
send_by(int fd, const void *buf, size_t n, unsigned timeout_ms)
{
	const unsigned char *p = buf;
	deadline_t deadline = 0;
	bool started = false;
	ssize_t r;

	while (n > 0) {
		r = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (!started) {
			deadline = deadline_after(timeout_ms);
			started = true;
		}
		if (wait_ready(fd, POLLOUT, deadline) == -1)
			return -1;
	}
	return 0;
}

/* Only the owning worker writes its counters: no atomic RMW needed. */
static void
count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter,
	    atomic_load_explicit(counter, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

static void
end(struct echo_worker *w, struct echo_result *res, enum close_reason reason,
    int err)
{
	res->reason = reason;
	res->err = err;
	count(&w->stats.closed[reason], 1);
	atomic_store(&w->phase, ECHO_IDLE);
}

/* A read inside a frame failed (n == -1) or hit end of stream (n == 0). */
static void
end_recv(struct echo_worker *w, struct echo_result *res, ssize_t n, int err)
{
	/* The sweeper's kick can land just as a frame starts (echo.h). */
	if (n == 0 && atomic_load(&w->idle_kicked))
		end(w, res, CLOSE_IDLE, 0);
	else if (n == 0)
		end(w, res, atomic_load(w->stopping) ? CLOSE_SHUTDOWN :
		    CLOSE_PROTOCOL, 0);
	else if (err == ETIMEDOUT)
		end(w, res, CLOSE_IO_TIMEOUT, 0);
	else if (err == ECONNRESET)
		end(w, res, CLOSE_RESET, err);
	else
		end(w, res, CLOSE_ERROR, err);
}

static void
end_send(struct echo_worker *w, struct echo_result *res, int err)
{
	if (err == ETIMEDOUT) {
		res->writing = true;
		end(w, res, CLOSE_IO_TIMEOUT, 0);
	} else if (atomic_load(w->stopping))
		end(w, res, CLOSE_SHUTDOWN, err);	/* forced close */
	else if (err == EPIPE || err == ECONNRESET)
		end(w, res, CLOSE_RESET, err);
	else
		end(w, res, CLOSE_ERROR, err);
}
