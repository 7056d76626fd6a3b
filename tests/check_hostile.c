/*
 * check_hostile.c - msgserverd under attack: the real daemon, started from
 * $MSGSERVERD on 127.0.0.1 with --port 0, facing hostile clients while
 * well-behaved ones keep doing verified round trips.
 *
 * Every test asserts two things:
 *   - the hostile connection is dealt with as documented: closed, with its
 *     reason logged next to its address, the server alive and serving;
 *   - the well-behaved clients never noticed: every frame they sent came
 *     back intact, none of their connections was closed or timed out, and
 *     they kept making progress while the attack went on.
 *
 * Threads never call ck_assert: the well-behaved clients, drippers,
 * non-readers and storm threads only count what happened, and the test's
 * own thread checks the counts after joining them (see testutil.c).
 */
#include <config.h>

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msgframe.h"
#include "netutil.h"
#include "testutil.h"

#define KiB			1024u
#define MiB			(1024u * 1024u)

/* The daemon's graceful stop is 5 s by default; leave a margin. */
/* How long a log line may lag the event (generous: sanitizers). */
#define LOG_WAIT_MS		5000
/* How long a close may take to reach a hostile client. */
#define CLOSE_WAIT_MS		5000

/*
 * The lingering close (echo_close) holds a worker up to this long after a
 * timeout, on top of the timeout itself: min(--io-timeout, 1 s).
 */
#define LINGER_MS		1000

/* Well-behaved clients: in flight per batch, and how many at most. */
#define GOOD_MAX		4
#define GOOD_PIPE		4
#define GOOD_INFLIGHT		(64 * KiB)
#define GOOD_START_MS		5000
#define GOOD_PROGRESS_MS	5000

/* --- Well-behaved clients -------------------------------------------- */

struct goodset;

struct good {
	pthread_t		 tid;
	struct goodset		*set;
	unsigned		 id;
	_Atomic uint64_t	 frames;	/* echoes verified */
	_Atomic uint64_t	 bytes;		/* payload bytes verified */
	atomic_uint		 corrupt;	/* wrong length or byte */
	atomic_uint		 closed;	/* the server closed or reset us */
	atomic_uint		 errors;	/* timeouts, connect failures */
	atomic_bool		 noted;		/* why[] is written */
	char			 why[192];	/* the first failure */
};

struct goodset {
	int			 port;
	unsigned		 n;
	uint32_t		 size_max;	/* payloads are 0..size_max */
	int			 pace_ms;	/* pause between batches */
	atomic_bool		 stop;
	struct good		 g[GOOD_MAX];
};

static void	 good_note(struct good *, atomic_uint *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 good_batch(struct good *, int, uint64_t *, unsigned char *,
		    unsigned char *);
static void	*good_main(void *);
static void	 goods_start(struct goodset *, int, unsigned, uint32_t, int);
static uint64_t	 goods_frames(struct goodset *);
static void	 goods_require_progress(struct goodset *, uint64_t,
		    const char *);
static void	 goods_stop_check(struct goodset *);
static void	 local_addr(int, char *, size_t);
static bool	 log_wait_line(struct server *, const char *, const char *,
		    const char *, int);
static void	 require_close_logged(struct server *, const char *,
		    const char *, const char *);
static uint64_t	 timed_echo(int, const void *, uint32_t, int);
static void	 echo_newcomer(struct server *, int);
static void	 echo_newcomer_retry(struct server *, int);

/* Count a failure; the first one's description is kept for the report. */
static void
good_note(struct good *g, atomic_uint *counter, const char *fmt, ...)
{
	va_list	ap;

	atomic_fetch_add(counter, 1);
	if (atomic_exchange(&g->noted, true))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(g->why, sizeof(g->why), fmt, ap);
	va_end(ap);
}

/*
 * One pipelined batch: up to GOOD_PIPE frames (GOOD_INFLIGHT bytes, so the
 * batch always fits the socket buffers and we never deadlock the server
 * into an I/O timeout), then their echoes in order.  0, or -1 when the
 * connection is unusable (the failure is counted).
 */
static int
good_batch(struct good *g, int fd, uint64_t *rng, unsigned char *out,
    unsigned char *in)
{
	struct goodset	*gs = g->set;
	uint32_t	 lens[GOOD_PIPE];
	size_t		 offs[GOOD_PIPE], off = 0, got;
	uint64_t	 bytes = 0;
	unsigned	 depth, n = 0, i;
	int		 r;

	depth = 1 + (unsigned)(tn_xorshift(rng) % GOOD_PIPE);
	for (i = 0; i < depth; i++) {
		lens[n] = (uint32_t)(tn_xorshift(rng) %
		    ((uint64_t)gs->size_max + 1));
		if (n > 0 && off + lens[n] > GOOD_INFLIGHT)
			break;
		offs[n] = off;
		tn_fill_random(out + off, lens[n], tn_xorshift(rng));
		if (msgframe_send(fd, out + off, lens[n]) == -1) {
			if (errno == EPIPE || errno == ECONNRESET)
				good_note(g, &g->closed, "client %u: send: "
				    "connection closed by the server: %s",
				    g->id, strerror(errno));
			else
				good_note(g, &g->errors, "client %u: send: %s",
				    g->id, strerror(errno));
			return -1;
		}
		off += lens[n];
		n++;
	}
	for (i = 0; i < n; i++) {
		got = 0;
		r = msgframe_recv(fd, in, gs->size_max, &got);
		if (r == 0 || (r == -1 && (errno == EPROTO ||
		    errno == ECONNRESET || errno == EPIPE))) {
			good_note(g, &g->closed, "client %u: echo %u of %u "
			    "(%u bytes): connection closed by the server: %s",
			    g->id, i + 1, n, lens[i], r == 0 ? "end of stream" :
			    msgframe_strerror(errno));
			return -1;
		}
		if (r == -1 && errno == EMSGSIZE) {
			good_note(g, &g->corrupt, "client %u: sent %u bytes, "
			    "echo announces %zu", g->id, lens[i], got);
			return -1;
		}
		if (r == -1) {
			good_note(g, &g->errors, "client %u: echo of %u bytes: "
			    "%s", g->id, lens[i], msgframe_strerror(errno));
			return -1;
		}
		if (got != lens[i] || (got != 0 &&
		    memcmp(in, out + offs[i], got) != 0)) {
			for (off = 0; off < got && off < lens[i]; off++)
				if (in[off] != out[offs[i] + off])
					break;
			good_note(g, &g->corrupt, "client %u: echo of a %u-"
			    "byte frame came back with %zu bytes, differing "
			    "from byte %zu", g->id, lens[i], got, off);
			return -1;
		}
		bytes += got;
	}
	atomic_fetch_add_explicit(&g->frames, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&g->bytes, bytes, memory_order_relaxed);
	return 0;
}

/*
 * A well-behaved client: one connection for the whole test, verified
 * batches until told to stop.  Should the server close it anyway (counted:
 * it must never happen), reconnect and go on, so that one failure does not
 * hide others.
 */
static void *
good_main(void *arg)
{
	struct good	*g = arg;
	struct goodset	*gs = g->set;
	unsigned char	*out, *in;
	uint64_t	 rng;
	int		 fd = -1;

	out = malloc(GOOD_INFLIGHT + gs->size_max + 1);
	in = malloc(gs->size_max + 1);
	if (out == NULL || in == NULL) {
		good_note(g, &g->errors, "client %u: out of memory", g->id);
		goto done;
	}
	rng = 0x2545f4914f6cdd1dULL * (g->id + 1) + 0x9e37;
	while (!atomic_load(&gs->stop)) {
		if (fd == -1 && (fd = tn_try_connect(gs->port)) == -1) {
			good_note(g, &g->errors, "client %u: connect: %s",
			    g->id, strerror(errno));
			tn_sleep_ms(50);
			continue;
		}
		if (good_batch(g, fd, &rng, out, in) == -1) {
			(void)close(fd);
			fd = -1;
			continue;
		}
		if (gs->pace_ms > 0)
			tn_sleep_ms(gs->pace_ms);
	}
	if (fd != -1)
		(void)close(fd);
done:
	free(out);
	free(in);
	return NULL;
}

/*
 * Start n well-behaved clients and return once each has a verified echo
 * behind it: from then on each of them holds a worker.
 */
static void
goods_start(struct goodset *gs, int port, unsigned n, uint32_t size_max,
    int pace_ms)
{
	uint64_t	deadline;
	unsigned	i, ready;

	ck_assert(n <= GOOD_MAX);
	memset(gs, 0, sizeof(*gs));
	gs->port = port;
	gs->n = n;
	gs->size_max = size_max;
	gs->pace_ms = pace_ms;
	atomic_init(&gs->stop, false);
	for (i = 0; i < n; i++) {
		gs->g[i].set = gs;
		gs->g[i].id = i;
		ck_assert_msg(pthread_create(&gs->g[i].tid, NULL, good_main,
		    &gs->g[i]) == 0, "pthread_create failed");
	}
	deadline = tn_now_ms() + GOOD_START_MS;
	for (;;) {
		for (i = 0, ready = 0; i < n; i++)
			if (atomic_load(&gs->g[i].frames) > 0)
				ready++;
		if (ready == n)
			return;
		if (tn_now_ms() >= deadline) {
			atomic_store(&gs->stop, true);
			ck_abort_msg("only %u of %u well-behaved clients got an "
			    "echo within %d ms", ready, n, GOOD_START_MS);
		}
		tn_sleep_ms(5);
	}
}

static uint64_t
goods_frames(struct goodset *gs)
{
	uint64_t	sum = 0;
	unsigned	i;

	for (i = 0; i < gs->n; i++)
		sum += atomic_load(&gs->g[i].frames);
	return sum;
}

/* The clients verified more echoes, in all, than `since`. */
static void
goods_require_progress(struct goodset *gs, uint64_t since, const char *when)
{
	uint64_t	deadline;

	deadline = tn_now_ms() + GOOD_PROGRESS_MS;
	while (goods_frames(gs) <= since) {
		ck_assert_msg(tn_now_ms() < deadline, "well-behaved clients "
		    "made no progress %s (%llu frames)", when,
		    (unsigned long long)since);
		tn_sleep_ms(5);
	}
}

/* Stop and join the clients; none may have seen a failure. */
static void
goods_stop_check(struct goodset *gs)
{
	uint64_t	frames = 0, bytes = 0;
	unsigned	i, corrupt = 0, closed = 0, errors = 0;
	const char	*why = NULL;

	atomic_store(&gs->stop, true);
	for (i = 0; i < gs->n; i++) {
		ck_assert(pthread_join(gs->g[i].tid, NULL) == 0);
		frames += atomic_load(&gs->g[i].frames);
		bytes += atomic_load(&gs->g[i].bytes);
		corrupt += atomic_load(&gs->g[i].corrupt);
		closed += atomic_load(&gs->g[i].closed);
		errors += atomic_load(&gs->g[i].errors);
		if (why == NULL && atomic_load(&gs->g[i].noted))
			why = gs->g[i].why;
	}
	ck_assert_msg(corrupt == 0 && closed == 0 && errors == 0,
	    "well-behaved clients: %llu frames (%llu bytes) verified, %u "
	    "corrupt, %u closed by the server, %u errors; first: %s",
	    (unsigned long long)frames, (unsigned long long)bytes, corrupt,
	    closed, errors, why != NULL ? why : "?");
	ck_assert_msg(frames > 0, "well-behaved clients verified no frame");
}

/* --- Server and log helpers ------------------------------------------ */

/* "closed 127.0.0.1:PORT:" for our end of fd: how the server logs us. */
static void
local_addr(int fd, char *buf, size_t len)
{
	char	addr[32];	/* "127.0.0.1:65535" */

	tu_local_addr(fd, addr, sizeof(addr));
	snprintf(buf, len, "closed %s:", addr);
}

/* Wait for a whole log line holding `a` and `b` or `c` (c may be NULL). */
static bool
log_wait_line(struct server *s, const char *a, const char *b, const char *c,
    int timeout_ms)
{
	uint64_t	 deadline;
	char		*log, *line, *end;
	bool		 found;

	deadline = tn_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		found = false;
		log = server_log_read(s);
		for (line = log; !found && *line != '\0'; line = end + 1) {
			if ((end = strchr(line, '\n')) == NULL)
				break;	/* still being written */
			*end = '\0';
			found = strstr(line, a) != NULL &&
			    (strstr(line, b) != NULL ||
			    (c != NULL && strstr(line, c) != NULL));
		}
		free(log);
		if (found)
			return true;
		if (tn_now_ms() >= deadline)
			return false;
		tn_sleep_ms(10);
	}
}

/* Require the close of addr to be logged with reason b (or c). */
static void
require_close_logged(struct server *s, const char *addr, const char *b,
    const char *c)
{
	char	*log;

	if (log_wait_line(s, addr, b, c, LOG_WAIT_MS))
		return;
	log = server_log_read(s);
	fprintf(stderr, "---- log of %s ----\n%s---- end ----\n", s->logpath,
	    log);
	free(log);
	ck_abort_msg("no log line \"%s ...%s%s%s\" within %d ms", addr, b,
	    c != NULL ? "\" or \"" : "", c != NULL ? c : "", LOG_WAIT_MS);
}

/* --- Hostile-side helpers -------------------------------------------- */

/* One verified round trip on fd; returns how long it took, in ms. */
static uint64_t
timed_echo(int fd, const void *payload, uint32_t len, int timeout_ms)
{
	unsigned char	*buf;
	uint64_t	 t0;
	size_t		 got = 0;
	int		 r;

	ck_assert(netutil_set_timeouts(fd, timeout_ms) == 0);
	buf = malloc(len + 1);
	ck_assert(buf != NULL);
	t0 = tn_now_ms();
	ck_assert_msg(msgframe_send(fd, payload, len) == 0, "send: %s",
	    strerror(errno));
	r = msgframe_recv(fd, buf, len, &got);
	ck_assert_msg(r == 1, "no echo within %d ms: %s", timeout_ms,
	    r == 0 ? "end of stream" : msgframe_strerror(errno));
	ck_assert_msg(got == len && (len == 0 || memcmp(buf, payload,
	    len) == 0), "the echo differs");
	free(buf);
	return tn_now_ms() - t0;
}

/* A new client is served promptly: an echo within timeout_ms. */
static void
echo_newcomer(struct server *s, int timeout_ms)
{
	unsigned char	p[300];
	uint64_t	ms;
	int		fd;

	tn_fill_random(p, sizeof(p), 77);
	fd = tu_connect(s->port);
	ms = timed_echo(fd, p, sizeof(p), timeout_ms + 5000);
	ck_assert_msg(ms <= (uint64_t)timeout_ms, "a new client waited %llu "
	    "ms for its echo (limit %d ms)", (unsigned long long)ms,
	    timeout_ms);
	close(fd);
}

/*
 * Like echo_newcomer(), but a connection the server sheds (closed without
 * an echo, as --reject-when-full does while out of descriptors) is
 * retried: the client must be served within timeout_ms all the same.
 */
static void
echo_newcomer_retry(struct server *s, int timeout_ms)
{
	unsigned char	p[300], back[300];
	uint64_t	t0, deadline;
	size_t		got;
	int		fd, r, tries = 0;

	tn_fill_random(p, sizeof(p), 78);
	t0 = tn_now_ms();
	deadline = t0 + (uint64_t)timeout_ms;
	for (;;) {
		tries++;
		fd = tu_connect(s->port);
		ck_assert(netutil_set_timeouts(fd, timeout_ms + 5000) == 0);
		got = 0;
		r = -1;
		if (msgframe_send(fd, p, sizeof(p)) == 0)
			r = msgframe_recv(fd, back, sizeof(back), &got);
		close(fd);
		if (r == 1)
			break;
		ck_assert_msg(r == 0 || errno == ECONNRESET || errno == EPIPE,
		    "new client: %s", msgframe_strerror(errno));
		ck_assert_msg(tn_now_ms() < deadline, "no new client served "
		    "within %d ms (%d attempts, each closed unanswered)",
		    timeout_ms, tries);
		tn_sleep_ms(50);
	}
	ck_assert_msg(got == sizeof(p) && memcmp(back, p, got) == 0,
	    "the echo differs");
	ck_assert_msg(tn_now_ms() - t0 <= (uint64_t)timeout_ms, "a new client "
	    "waited %llu ms for its echo (limit %d ms)",
	    (unsigned long long)(tn_now_ms() - t0), timeout_ms);
}

/* --- Frame headers at and beyond the limit --------------------------- */

static const struct {
	const char	*arg;
	uint32_t	 max;
} limits[] = {
	{ "64K", 64 * KiB },
	{ "1M", MiB },		/* bigger than a worker's buffer: streamed */
};

/*
 * Headers announcing 0 and exactly --max-frame are valid: echoed intact,
 * alone and pipelined in one write, while others are served.
 */
START_TEST(test_header_zero_and_max)
{
	const char *const args[] = { "-m", limits[_i].arg, "--idle-timeout",
	    "5", "--io-timeout", "5", NULL };
	struct server	 s;
	struct goodset	 gs;
	unsigned char	*p, *wire, *back;
	uint32_t	 max = limits[_i].max;
	size_t		 off = 0, n;
	uint64_t	 seen;
	int		 fd;

	server_start(&s, args);
	goods_start(&gs, s.port, 3, 16 * KiB, 0);
	seen = goods_frames(&gs);

	p = malloc(max);
	wire = malloc(3 * MSGFRAME_HEADER_SIZE + (size_t)max);
	back = malloc(3 * MSGFRAME_HEADER_SIZE + (size_t)max);
	ck_assert(p != NULL && wire != NULL && back != NULL);
	tn_fill_random(p, max, 1000 + _i);

	fd = tu_connect(s.port);
	tu_echo_check(fd, NULL, 0);
	tu_echo_check(fd, p, max);
	tu_echo_check(fd, NULL, 0);
	/* 0, max, 0 in a single write: the echo must split them right. */
	off += tn_put_frame(wire + off, NULL, 0);
	off += tn_put_frame(wire + off, p, max);
	off += tn_put_frame(wire + off, NULL, 0);
	ck_assert(msgframe_write_full(fd, wire, off) == 0);
	n = (size_t)msgframe_read_full(fd, back, off);
	ck_assert_msg(n == off, "pipelined 0/max/0: %zu of %zu bytes came "
	    "back", n, off);
	ck_assert_msg(memcmp(back, wire, off) == 0, "pipelined 0/max/0: "
	    "echo differs");
	tu_echo_check(fd, p, 1);
	close(fd);

	goods_require_progress(&gs, seen, "while max-size frames were echoed");
	goods_stop_check(&gs);
	free(p);
	free(wire);
	free(back);
	server_stop_clean(&s);
}
END_TEST

static const uint32_t oversize[] = { 64 * KiB + 1, UINT32_MAX };

/*
 * max + 1 and 4 GiB - 1 close the connection, after echoing the frames
 * before them, with "oversize frame" logged; and the server does not
 * allocate what the header announces (RSS stays put), even when the
 * client goes on sending the payload.
 */
START_TEST(test_oversize_header)
{
	const char *const args[] = { "-m", "64K", "--idle-timeout", "5",
	    "--io-timeout", "5", NULL };
	struct server	 s;
	struct goodset	 gs;
	unsigned char	*wire, p[100];
	char		 addr[64], first[64];
	uint32_t	 announce = oversize[_i];
	size_t		 off;
	long		 rss0, rss1;
	uint64_t	 seen;
	int		 fd, i;

	server_start(&s, args);
	goods_start(&gs, s.port, 3, 64 * KiB, 0);
	/* Let every worker buffer the good clients touch become resident. */
	tn_sleep_ms(200);
	rss0 = server_rss_kib(&s);
	seen = goods_frames(&gs);

	wire = malloc(MSGFRAME_HEADER_SIZE + 256 * KiB);
	ck_assert(wire != NULL);
	tn_fill_random(p, sizeof(p), 5);
	for (i = 0; i < 20; i++) {
		fd = tu_connect(s.port);
		local_addr(fd, addr, sizeof(addr));
		if (i == 0) {
			/* Frames before the bad header are still echoed. */
			snprintf(first, sizeof(first), "%s", addr);
			tu_echo_check(fd, p, sizeof(p));
		}
		msgframe_encode_header(wire, announce);
		off = MSGFRAME_HEADER_SIZE;
		if (i % 2 == 1) {
			/* Go on sending "the payload", as if it were valid. */
			tn_fill_random(wire + off, 256 * KiB, (uint64_t)i);
			off += 256 * KiB;
		}
		(void)tn_send_tolerant(fd, wire, off, 0, NULL);
		ck_assert_msg(tn_wait_closed(fd, CLOSE_WAIT_MS),
		    "connection still open %d ms after a header announcing "
		    "%lu bytes", CLOSE_WAIT_MS, (unsigned long)announce);
		close(fd);
		require_close_logged(&s, addr, "oversize frame", NULL);
	}
	require_close_logged(&s, first, "(after 1 frame)", NULL);
	ck_assert(log_wait_line(&s, "header announces", "oversize", NULL, 0));

	rss1 = server_rss_kib(&s);
	ck_assert_msg(rss1 < rss0 + 10 * 1024, "server RSS went from %ld "
	    "KiB to %ld KiB after 20 headers announcing %lu bytes", rss0,
	    rss1, (unsigned long)announce);
	goods_require_progress(&gs, seen, "during the oversize headers");
	goods_stop_check(&gs);
	echo_newcomer(&s, 5000);
	free(wire);
	server_stop_clean(&s);
}
END_TEST

/* --- Garbage ---------------------------------------------------------- */

#define GARBAGE_LEN	(64 * KiB)
#define GARBAGE_STREAMS	9

/*
 * 64 KiB streams of garbage.  The server must echo exactly the frames the
 * bytes happen to encode, then close with the reason msgframe_scan()
 * predicts (oversize frame, or stream ended inside a frame), or close
 * cleanly when the garbage ends on a frame boundary; never crash, and
 * never disturb anyone else.
 */
START_TEST(test_garbage)
{
	const char *const args[] = { "-m", "64K", "--idle-timeout", "5",
	    "--io-timeout", "5", NULL };
	struct server		 s;
	struct goodset		 gs;
	struct msgframe_scan	 sc;
	unsigned char		*junk, *back;
	char			 addr[64];
	const char		*why;
	size_t			 got;
	uint64_t		 seen;
	int			 fd, i, rc, echoed_some = 0;

	server_start(&s, args);
	goods_start(&gs, s.port, 3, 16 * KiB, 0);
	seen = goods_frames(&gs);
	junk = malloc(GARBAGE_LEN);
	back = malloc(GARBAGE_LEN + 1);
	ck_assert(junk != NULL && back != NULL);

	for (i = 0; i < GARBAGE_STREAMS; i++) {
		tn_make_garbage(junk, GARBAGE_LEN, (uint64_t)i + 1, i % 3,
		    64 * KiB);
		rc = msgframe_scan(junk, GARBAGE_LEN, 64 * KiB, &sc);
		if (rc == -1)
			why = "oversize frame";
		else if (sc.complete < GARBAGE_LEN)
			why = "ended inside a frame";
		else
			why = NULL;	/* a clean close: not logged */
		if (sc.frames > 0)
			echoed_some++;

		fd = tu_connect(s.port);
		local_addr(fd, addr, sizeof(addr));
		(void)tn_send_tolerant(fd, junk, GARBAGE_LEN, 0, NULL);
		/* Our end of stream turns a partial frame into "protocol". */
		(void)shutdown(fd, SHUT_WR);
		got = tn_read_until_closed(fd, back, GARBAGE_LEN + 1,
		    CLOSE_WAIT_MS, NULL);
		ck_assert_msg(got == sc.complete, "garbage stream %d: %zu "
		    "bytes echoed, expected the %zu bytes of its %zu whole "
		    "frames", i, got, sc.complete, sc.frames);
		ck_assert_msg(memcmp(back, junk, got) == 0, "garbage stream "
		    "%d: the echo differs from the frames sent", i);
		ck_assert_msg(tn_wait_closed(fd, CLOSE_WAIT_MS),
		    "garbage stream %d: connection not closed", i);
		close(fd);
		if (why != NULL)
			require_close_logged(&s, addr, why, NULL);
		ck_assert_msg(server_alive(&s), "server died on garbage "
		    "stream %d", i);
	}
	/* The seeds are fixed: make sure the interesting case is covered. */
	ck_assert_msg(echoed_some > 0, "no garbage stream encoded a frame");

	goods_require_progress(&gs, seen, "during the garbage");
	goods_stop_check(&gs);
	echo_newcomer(&s, 5000);
	free(junk);
	free(back);
	server_stop_clean(&s);
}
END_TEST

/* --- Resets inside a frame ------------------------------------------- */

/*
 * A reset (SO_LINGER {1, 0} close) inside a header (2 of its 4 bytes) and
 * inside a payload (header announcing 1000, 500 bytes sent): the close is
 * logged, as "connection reset" or, when the server saw the end of the
 * stream first, "ended inside a frame".  Half of them come right after
 * connecting, racing the accept.
 */
START_TEST(test_reset_inside_frame)
{
	const char *const args[] = { "-m", "64K", "--idle-timeout", "5",
	    "--io-timeout", "5", NULL };
	struct server	 s;
	struct goodset	 gs;
	unsigned char	 p[1000], wire[1100];
	char		 addr[10][64];
	size_t		 len;
	uint64_t	 seen;
	int		 fd, i;

	server_start(&s, args);
	goods_start(&gs, s.port, 3, 16 * KiB, 0);
	seen = goods_frames(&gs);
	tn_fill_random(p, sizeof(p), 9);
	if (_i == 0) {
		msgframe_encode_header(wire, 1000);
		len = 2;
	} else
		len = tn_put_frame(wire, p, 1000) - 500;

	for (i = 0; i < 10; i++) {
		fd = tu_connect(s.port);
		local_addr(fd, addr[i], sizeof(addr[i]));
		if (i % 3 == 0)
			tu_echo_check(fd, p, 10);
		ck_assert(msgframe_write_full(fd, wire, len) == 0);
		if (i % 2 == 0)
			tn_sleep_ms(50);	/* the server is inside the frame */
		tn_close_reset(fd);
	}
	for (i = 0; i < 10; i++)
		require_close_logged(&s, addr[i], "connection reset",
		    "ended inside a frame");

	goods_require_progress(&gs, seen, "during the resets");
	goods_stop_check(&gs);
	echo_newcomer(&s, 5000);
	server_stop_clean(&s);
}
END_TEST

/* --- Slowloris -------------------------------------------------------- */

#define SILENT		4
#define DRIPPERS	4
#define DRIP_MS		300

struct dripper {
	pthread_t	 tid;
	int		 fd;
	atomic_bool	*stop;
	atomic_int	 sent;
	int		 err;
};

static void	*dripper_main(void *);

/* One byte of a 64-byte frame every DRIP_MS until cut off or stopped. */
static void *
dripper_main(void *arg)
{
	struct dripper	*d = arg;
	unsigned char	 frame[MSGFRAME_HEADER_SIZE + 64];
	size_t		 i;
	int		 t;

	msgframe_encode_header(frame, 64);
	memset(frame + MSGFRAME_HEADER_SIZE, 'z', 64);
	for (i = 0; i < sizeof(frame) && !atomic_load(d->stop); i++) {
		if (send(d->fd, frame + i, 1, MSG_NOSIGNAL) != 1) {
			d->err = errno;
			break;
		}
		atomic_fetch_add(&d->sent, 1);
		for (t = 0; t < DRIP_MS && !atomic_load(d->stop); t += 20)
			tn_sleep_ms(20);
	}
	return NULL;
}

/*
 * More silent clients and drippers than workers, with 1 s timeouts.  Two
 * well-behaved clients hold two of the -t 4 workers the whole time and
 * must never notice; the other two workers go through the 8 hostile
 * connections, which are cut off ("idle timeout", "I/O timeout"), and a
 * newcomer queued behind them is served.
 *
 * The newcomer's bound: the queue is FIFO, so it waits for every hostile
 * connection ahead of it, each holding a free worker for its timeout plus
 * the lingering close (LINGER_MS), in waves of 2 (about 8 s); plus a
 * margin, as a TSan build can stall for a couple of seconds.  A worker
 * held for good would blow it.
 */
START_TEST(test_slowloris)
{
	const char *const args[] = { "-t", "4", "--idle-timeout", "1",
	    "--io-timeout", "1", NULL };
	enum { FREE = 2, WAVES = (SILENT + DRIPPERS + FREE - 1) / FREE };
	const int	 bound = WAVES * (1000 + LINGER_MS) + 5000;
	struct server	 s;
	struct goodset	 gs;
	struct dripper	 d[DRIPPERS];
	atomic_bool	 stop;
	unsigned char	 p[300];
	char		 saddr[SILENT][64], daddr[DRIPPERS][64];
	int		 silent[SILENT], fd, i;
	uint64_t	 seen, ms;

	server_start(&s, args);
	goods_start(&gs, s.port, 4 - FREE, 4 * KiB, 0);
	seen = goods_frames(&gs);
	atomic_init(&stop, false);

	for (i = 0; i < SILENT; i++) {
		silent[i] = tu_connect(s.port);
		local_addr(silent[i], saddr[i], sizeof(saddr[i]));
	}
	for (i = 0; i < DRIPPERS; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].fd = tu_connect(s.port);
		d[i].stop = &stop;
		atomic_init(&d[i].sent, 0);
		local_addr(d[i].fd, daddr[i], sizeof(daddr[i]));
		ck_assert(pthread_create(&d[i].tid, NULL, dripper_main,
		    &d[i]) == 0);
	}
	tn_sleep_ms(100);

	/* The newcomer: queued behind all of them. */
	tn_fill_random(p, sizeof(p), 3);
	fd = tu_connect(s.port);
	ms = timed_echo(fd, p, sizeof(p), bound + 5000);
	close(fd);
	ck_assert_msg(ms <= (uint64_t)bound, "a newcomer behind %d silent "
	    "and %d dripping clients waited %llu ms (limit %d ms)", SILENT,
	    DRIPPERS, (unsigned long long)ms, bound);

	for (i = 0; i < SILENT; i++)
		require_close_logged(&s, saddr[i], "idle timeout", NULL);
	for (i = 0; i < DRIPPERS; i++)
		require_close_logged(&s, daddr[i], "I/O timeout", NULL);
	/* The server closed them: our side sees it too. */
	for (i = 0; i < SILENT; i++) {
		ck_assert_msg(tn_wait_closed(silent[i], CLOSE_WAIT_MS),
		    "silent client %d still connected", i);
		close(silent[i]);
	}
	atomic_store(&stop, true);
	for (i = 0; i < DRIPPERS; i++) {
		ck_assert(pthread_join(d[i].tid, NULL) == 0);
		ck_assert_msg(atomic_load(&d[i].sent) <
		    MSGFRAME_HEADER_SIZE + 64, "dripper %d completed a frame",
		    i);
		close(d[i].fd);
	}
	ck_assert(server_log_count(&s, "idle timeout") >= SILENT);
	ck_assert(server_log_count(&s, "I/O timeout") >= DRIPPERS);

	goods_require_progress(&gs, seen, "during the slowloris attack");
	goods_stop_check(&gs);
	server_stop_clean(&s);
}
END_TEST

/* --- Clients that never read ----------------------------------------- */

#define NONREADERS		2
#define NONREADER_MAX		(64 * MiB)

struct nonreader {
	pthread_t	 tid;
	int		 fd;
	uint32_t	 frame;		/* size of each frame sent */
	uint64_t	 sent;
	int		 err;		/* why sending stopped */
};

static void	*nonreader_main(void *);

/* Send frames (many MB) and never read an echo, until the server cuts. */
static void *
nonreader_main(void *arg)
{
	struct nonreader	*nr = arg;
	unsigned char		*p;

	if ((p = malloc(nr->frame)) == NULL) {
		nr->err = ENOMEM;
		return NULL;
	}
	tn_fill_random(p, nr->frame, nr->frame);
	while (nr->sent < NONREADER_MAX) {
		if (msgframe_send(nr->fd, p, nr->frame) == -1) {
			nr->err = errno;
			break;
		}
		nr->sent += MSGFRAME_HEADER_SIZE + nr->frame;
	}
	free(p);
	return NULL;
}

/*
 * Clients that send megabytes of frames and never read the echoes are cut
 * off by --io-timeout ("client did not read its echo"), with a reset,
 * while others are served; the server does not buffer their echoes.
 */
START_TEST(test_non_reader)
{
	const char *const args[] = { "-t", "4", "-m", "1M", "--idle-timeout",
	    "1", "--io-timeout", "1", NULL };
	static const uint32_t frames[NONREADERS] = { MiB, 1000 };
	struct server		 s;
	struct goodset		 gs;
	struct nonreader	 nr[NONREADERS];
	char			 addr[NONREADERS][64];
	uint64_t		 seen;
	long			 rss0, rss1;
	int			 i;

	server_start(&s, args);
	goods_start(&gs, s.port, 2, 64 * KiB, 0);
	tn_sleep_ms(100);
	rss0 = server_rss_kib(&s);
	seen = goods_frames(&gs);

	for (i = 0; i < NONREADERS; i++) {
		memset(&nr[i], 0, sizeof(nr[i]));
		nr[i].fd = tu_connect(s.port);
		nr[i].frame = frames[i];
		local_addr(nr[i].fd, addr[i], sizeof(addr[i]));
		ck_assert(pthread_create(&nr[i].tid, NULL, nonreader_main,
		    &nr[i]) == 0);
	}
	for (i = 0; i < NONREADERS; i++) {
		/* Bounded: the sockets have 10 s send timeouts. */
		ck_assert(pthread_join(nr[i].tid, NULL) == 0);
		ck_assert_msg(nr[i].err == ECONNRESET || nr[i].err == EPIPE,
		    "non-reader %d (%u-byte frames) sent %llu bytes and then "
		    "%s, expected a reset by the server", i, nr[i].frame,
		    (unsigned long long)nr[i].sent, nr[i].err == 0 ?
		    "stopped" : strerror(nr[i].err));
		require_close_logged(&s, addr[i], "client did not read",
		    NULL);
		close(nr[i].fd);
	}
	ck_assert(log_wait_line(&s, "I/O timeout", "did not read", NULL, 0));
	rss1 = server_rss_kib(&s);
	ck_assert_msg(rss1 < rss0 + 10 * 1024, "server RSS went from %ld "
	    "KiB to %ld KiB with clients that never read", rss0, rss1);

	goods_require_progress(&gs, seen, "while clients did not read");
	goods_stop_check(&gs);
	echo_newcomer(&s, 5000);
	server_stop_clean(&s);
}
END_TEST

/* --- Connect-and-close storm ----------------------------------------- */

#define STORM_THREADS	2
#define STORM_PER	1000

struct stormer {
	pthread_t	 tid;
	int		 port;
	unsigned	 id;
	unsigned	 done;
	unsigned	 failed;
	int		 err;
};

static void	*stormer_main(void *);

/* Connections opened and dropped as fast as possible, the four ways of
 * tn_drop() in turn. */
static void *
stormer_main(void *arg)
{
	struct stormer	*st = arg;
	unsigned	 i;
	int		 fd;

	for (i = 0; i < STORM_PER; i++) {
		if ((fd = tn_try_connect(st->port)) == -1) {
			st->failed++;
			st->err = errno;
			continue;
		}
		tn_drop(fd, i + st->id);
		st->done++;
	}
	return NULL;
}

/*
 * 2,000 connections opened and closed from 2 threads: the server stays up,
 * counts them all (SIGUSR1: accepted >= 2000), serves a new client, and
 * gets back to its descriptor count from before.
 */
START_TEST(test_connect_close_storm)
{
	const char *const args[] = { "-t", "8", "--idle-timeout", "5",
	    "--io-timeout", "2", NULL };
	struct server	 s;
	struct goodset	 gs;
	struct stormer	 st[STORM_THREADS];
	uint64_t	 seen, deadline;
	char		*line;
	long		 accepted = -1;
	int		 base, n, i;

	server_start(&s, args);
	goods_start(&gs, s.port, 2, 16 * KiB, 0);
	/* The baseline includes the good clients' two connections. */
	base = server_fd_count(&s);
	seen = goods_frames(&gs);

	for (i = 0; i < STORM_THREADS; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		st[i].port = s.port;
		st[i].id = (unsigned)i;
		ck_assert(pthread_create(&st[i].tid, NULL, stormer_main,
		    &st[i]) == 0);
	}
	for (i = 0; i < STORM_THREADS; i++) {
		ck_assert(pthread_join(st[i].tid, NULL) == 0);
		ck_assert_msg(st[i].failed == 0, "storm thread %d: %u of %u "
		    "connects failed (%s)", i, st[i].failed, STORM_PER,
		    strerror(st[i].err));
	}
	ck_assert_msg(server_alive(&s), "server died in the storm");

	/* Every storm connection reaches accept(), a little later. */
	deadline = tn_now_ms() + 15000;
	for (;;) {
		line = server_stats_line(&s);
		accepted = tn_stat_value(line, "accepted");
		free(line);
		if (accepted >= STORM_THREADS * STORM_PER ||
		    tn_now_ms() >= deadline)
			break;
		tn_sleep_ms(100);
	}
	ck_assert_msg(accepted >= STORM_THREADS * STORM_PER, "stats: "
	    "accepted=%ld after %d connections", accepted,
	    STORM_THREADS * STORM_PER);
	echo_newcomer(&s, 5000);

	deadline = tn_now_ms() + LOG_WAIT_MS;
	while ((n = server_fd_count(&s)) > base && tn_now_ms() < deadline)
		tn_sleep_ms(20);
	ck_assert_msg(n <= base, "server had %d descriptors before the storm "
	    "and still %d after", base, n);

	goods_require_progress(&gs, seen, "during the storm");
	goods_stop_check(&gs);
	server_stop_clean(&s);
}
END_TEST

/* --- Out of file descriptors ----------------------------------------- */

#define FD_LIMIT	64
#define FD_CLIENTS	100
#define FD_WARNING	"descriptors are free"

/*
 * RLIMIT_NOFILE 64 and 100 clients holding their connections open.  The
 * queue (-q 128) is longer than the limit allows, so accept(2) runs out of
 * descriptors (with -q 8 the accept loop would stop at a full queue first
 * and never reach the limit).  The daemon logs it at most about once a
 * second, does not spin, keeps serving the clients it has (two paced
 * well-behaved ones), and serves new ones again once the others leave.
 * Variant 1 sheds connections (--reject-when-full keeps a reserve
 * descriptor to accept and close them).
 */
START_TEST(test_fd_exhaustion)
{
	const char *const args_wait[] = { "-t", "4", "-q", "128",
	    "--idle-timeout", "30", "--io-timeout", "5", NULL };
	const char *const args_shed[] = { "-t", "4", "-q", "128",
	    "--idle-timeout", "30", "--io-timeout", "5",
	    "--reject-when-full", NULL };
	struct server	 s;
	struct goodset	 gs;
	int		 fds[FD_CLIENTS], i, warnings;
	uint64_t	 t0, seen;
	long		 cpu0, cpu1, elapsed_s;

	server_start_nofile(&s, _i == 0 ? args_wait : args_shed, FD_LIMIT);
	/* Paced, so that their echoes do not count as spinning. */
	goods_start(&gs, s.port, 2, 4 * KiB, 20);
	seen = goods_frames(&gs);

	t0 = tn_now_ms();
	for (i = 0; i < FD_CLIENTS; i++) {
		fds[i] = tn_try_connect(s.port);
		ck_assert_msg(fds[i] != -1, "client %d of %d: connect: %s", i,
		    FD_CLIENTS, strerror(errno));
	}
	ck_assert_msg(server_log_wait(&s, FD_WARNING, LOG_WAIT_MS), "no "
	    "\"%s\" warning with %d clients and RLIMIT_NOFILE %d",
	    FD_WARNING, FD_CLIENTS, FD_LIMIT);
	ck_assert(server_log_count(&s, "Too many open files") > 0);

	/* No spinning while out of descriptors. */
	cpu0 = server_cpu_ms(&s);
	tn_sleep_ms(2000);
	cpu1 = server_cpu_ms(&s);
	ck_assert_msg(cpu1 - cpu0 < 500, "server used %ld ms of CPU in 2 s "
	    "while out of descriptors", cpu1 - cpu0);

	/* At most about one warning a second. */
	warnings = server_log_count(&s, FD_WARNING);
	elapsed_s = (long)((tn_now_ms() - t0) / 1000);
	ck_assert_msg(warnings <= elapsed_s + 2, "%d \"%s\" warnings in %ld s",
	    warnings, FD_WARNING, elapsed_s);
	ck_assert_msg(server_alive(&s), "server died out of descriptors");
	goods_require_progress(&gs, seen, "while out of descriptors");

	for (i = 0; i < FD_CLIENTS; i++)
		close(fds[i]);
	/* Shedding closes newcomers until the dead ones are reaped. */
	if (_i == 0)
		echo_newcomer(&s, 5000);
	else
		echo_newcomer_retry(&s, 5000);
	goods_stop_check(&gs);
	server_stop_clean(&s);
}
END_TEST

static Suite *
hostile_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("msgserverd-hostile");

	tc = tcase_create("Frames");
	tcase_set_timeout(tc, 45);
	tcase_add_loop_test(tc, test_header_zero_and_max, 0,
	    (int)(sizeof(limits) / sizeof(limits[0])));
	tcase_add_loop_test(tc, test_oversize_header, 0,
	    (int)(sizeof(oversize) / sizeof(oversize[0])));
	tcase_add_test(tc, test_garbage);
	tcase_add_loop_test(tc, test_reset_inside_frame, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("Slow");
	tcase_set_timeout(tc, 45);
	tcase_add_test(tc, test_slowloris);
	tcase_add_test(tc, test_non_reader);
	suite_add_tcase(s, tc);

	tc = tcase_create("Resources");
	tcase_set_timeout(tc, 45);
	tcase_add_test(tc, test_connect_close_storm);
	tcase_add_loop_test(tc, test_fd_exhaustion, 0, 2);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(hostile_suite());
}
