/*
 * check_server.c - end-to-end tests of msgserverd: the real daemon, started
 * from $MSGSERVERD on 127.0.0.1 with --port 0, driven over TCP.
 *
 * Echo:      frames come back byte for byte, in order, under concurrency.
 * Limits:    oversize frames, truncated streams, resets, the idle and I/O
 *            timeouts, --reject-when-full.
 * Lifecycle: signals, statistics, the command line, start-up failures.
 *
 * Threads in these tests never call ck_assert: they record what happened
 * and the test's own thread checks it after joining them.
 */
#include <config.h>

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msgframe.h"
#include "testutil.h"

#define MiB			(1024 * 1024)
#define LOG_WAIT_MS		3000

/* --- Small helpers --------------------------------------------------- */

static void *
xmalloc(size_t n)
{
	void	*p;

	p = malloc(n != 0 ? n : 1);
	ck_assert_msg(p != NULL, "malloc(%zu) failed", n);
	return p;
}

/* Write raw bytes (not necessarily whole frames). */
static void
send_raw(int fd, const void *buf, size_t len)
{
	ck_assert_msg(msgframe_write_full(fd, buf, len) == 0,
	    "write of %zu raw bytes: %s", len, strerror(errno));
}

/* Receive one frame and require exactly payload[0..len). */
static void
recv_expect(int fd, const void *payload, uint32_t len)
{
	unsigned char	*buf;
	size_t		 got = 0;
	int		 r;

	buf = xmalloc(len);
	r = msgframe_recv(fd, buf, len, &got);
	ck_assert_msg(r == 1, "expected the echo of a %u-byte frame, got %s",
	    len, r == 0 ? "end of stream" : msgframe_strerror(errno));
	ck_assert_msg(got == len, "expected %u bytes, got %zu", len, got);
	ck_assert_msg(len == 0 || memcmp(buf, payload, len) == 0,
	    "echo of a %u-byte frame differs", len);
	free(buf);
}

/* A copy of the first log line holding both a and b, or NULL. */
static char *
log_line_with(struct server *s, const char *a, const char *b)
{
	char	*log, *line, *end, *copy = NULL;

	log = server_log_read(s);
	for (line = log; *line != '\0'; line = end + 1) {
		if ((end = strchr(line, '\n')) == NULL)
			break;		/* a line still being written */
		*end = '\0';
		if (strstr(line, a) != NULL &&
		    (b == NULL || strstr(line, b) != NULL)) {
			copy = strdup(line);
			break;
		}
	}
	free(log);
	return copy;
}

static bool
log_wait_line(struct server *s, const char *a, const char *b, int timeout_ms)
{
	uint64_t	 deadline;
	char		*line;

	deadline = tn_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		if ((line = log_line_with(s, a, b)) != NULL) {
			free(line);
			return true;
		}
		if (tn_now_ms() >= deadline)
			return false;
		tn_sleep_ms(10);
	}
}

/* Require a log line naming both the reason and the client's address. */
static void
require_close_logged(struct server *s, const char *reason, const char *addr)
{
	char	*log;

	if (log_wait_line(s, reason, addr, LOG_WAIT_MS))
		return;
	log = server_log_read(s);
	fprintf(stderr, "---- log of %s ----\n%s---- end ----\n", s->logpath,
	    log);
	free(log);
	ck_abort_msg("no log line with \"%s\" and \"%s\" within %d ms",
	    reason, addr, LOG_WAIT_MS);
}

/* Milliseconds of the wall clock: what the log's timestamps show. */
static int64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time of a log line, "2026-11-25T04:10:00.123Z ...", or -1. */
static int64_t
log_line_ms(const char *line)
{
	struct tm	tm;
	int		msec, n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &msec, &n) != 7 || n == 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + msec;
}

/*
 * Send sig and wait for the server to finish its shutdown.  Returns how
 * long after the signal the server logged its last line ("stopped"), by
 * the log's own clock, and stores the exit status in *status (-1 if it
 * never exited).  The daemon's own time is what the bounds are about:
 * reaping the process can lag by seconds on a loaded machine, where the
 * kernel's teardown of an exiting process waits on shared locks.
 */
static long
stop_timed(struct server *s, int sig, int *status)
{
	char	*line = NULL;
	int64_t	 t0, t = -1;

	t0 = wall_ms();
	ck_assert_msg(kill(s->pid, sig) == 0, "kill: %s", strerror(errno));
	if (log_wait_line(s, "]: stopped", NULL, TU_STOP_TIMEOUT_MS) &&
	    (line = log_line_with(s, "]: stopped", NULL)) != NULL)
		t = log_line_ms(line);
	free(line);
	*status = server_stop(s, 0, TU_STOP_TIMEOUT_MS);
	ck_assert_msg(*status != -1, "no exit within %d ms of signal %d",
	    TU_STOP_TIMEOUT_MS, sig);
	ck_assert_msg(t != -1, "no \"stopped\" line in the log after "
	    "signal %d", sig);
	return (long)(t - t0);
}

/*
 * Wait up to timeout_ms for the server to close fd and log reason with
 * addr; return how long after t0 (wall_ms(), taken before the client's
 * last action) the server logged it.  The log's own time is used, not
 * when we noticed: a loaded machine may make us notice late, but never
 * makes a correct server log early.
 */
static long
wait_close_ms(struct server *s, int fd, const char *reason,
    const char *addr, int64_t t0, int timeout_ms)
{
	char	*line;
	int64_t	 t;

	ck_assert_msg(tn_wait_closed(fd, timeout_ms), "connection still "
	    "open %d ms after the wait for \"%s\" began", timeout_ms, reason);
	require_close_logged(s, reason, addr);
	line = log_line_with(s, reason, addr);
	ck_assert(line != NULL);
	t = log_line_ms(line);
	ck_assert_msg(t != -1, "no timestamp in \"%s\"", line);
	free(line);
	return (long)(t - t0);
}

/* Ask for stats until key reaches want (counters may lag the echoes). */
static void
require_stat(struct server *s, const char *key, long want)
{
	uint64_t	 deadline;
	char		*line;
	long		 v;

	deadline = tn_now_ms() + LOG_WAIT_MS;
	for (;;) {
		line = server_stats_line(s);
		v = tn_stat_value(line, key);
		if (v == want || v > want || v == -1 ||
		    tn_now_ms() >= deadline) {
			ck_assert_msg(v == want, "stats %s=%ld, expected %ld "
			    "in \"%s\"", key, v, want, line);
			free(line);
			return;
		}
		free(line);
		tn_sleep_ms(50);
	}
}

/* --- Thread-safe round trips ----------------------------------------- */

enum echo_result {
	ECHO_OK,
	ECHO_CLOSED,	/* EOF at a frame boundary, reset or EPIPE */
	ECHO_CORRUPT,	/* wrong length or a wrong byte */
	ECHO_TRUNCATED,	/* the stream ended inside the echo */
	ECHO_ERROR	/* anything else, e.g. a 10 s timeout */
};

static const char *
echo_result_str(enum echo_result r)
{
	switch (r) {
	case ECHO_OK:
		return "ok";
	case ECHO_CLOSED:
		return "closed";
	case ECHO_CORRUPT:
		return "CORRUPT echo";
	case ECHO_TRUNCATED:
		return "TRUNCATED echo";
	case ECHO_ERROR:
	default:
		return "error";
	}
}

static bool
closed_errno(int e)
{
	return e == ECONNRESET || e == EPIPE || e == ECONNABORTED;
}

/* One round trip without ck_assert; in has room for cap bytes. */
static enum echo_result
echo_once(int fd, const unsigned char *out, uint32_t len, unsigned char *in,
    size_t cap, int *errp)
{
	size_t	got = 0;
	int	r;

	*errp = 0;
	if (msgframe_send(fd, out, len) == -1) {
		*errp = errno;
		return closed_errno(errno) ? ECHO_CLOSED : ECHO_ERROR;
	}
	r = msgframe_recv(fd, in, cap, &got);
	if (r == 0)
		return ECHO_CLOSED;
	if (r == -1) {
		*errp = errno;
		if (errno == EMSGSIZE)
			return ECHO_CORRUPT;
		if (errno == EPROTO)
			return ECHO_TRUNCATED;
		return closed_errno(errno) ? ECHO_CLOSED : ECHO_ERROR;
	}
	if (got != len || (len != 0 && memcmp(in, out, len) != 0))
		return ECHO_CORRUPT;
	return ECHO_OK;
}

/* A client thread doing round trips of pseudorandom frames. */
struct looper {
	pthread_t		 tid;
	int			 port;
	int			 fd;		/* -1: connect in the thread */
	unsigned		 id;
	unsigned		 rounds_max;	/* 0: until stopped */
	uint32_t		 size_max;
	int			 deadline_ms;
	bool			 close_at_end;	/* free the worker */
	int			*stop;		/* atomic */
	unsigned		 rounds;	/* read by the test: atomic */
	enum echo_result	 result;
	int			 err;
};

static void *
looper_main(void *arg)
{
	struct looper	*l = arg;
	unsigned char	*out, *in;
	uint64_t	 rng, deadline;
	uint32_t	 len;
	int		 fd;

	l->result = ECHO_OK;
	out = malloc(l->size_max ? l->size_max : 1);
	in = malloc(l->size_max ? l->size_max : 1);
	if (out == NULL || in == NULL) {
		l->result = ECHO_ERROR;
		l->err = ENOMEM;
		goto done;
	}
	fd = l->fd;
	if (fd == -1 && (fd = tn_try_connect(l->port)) == -1) {
		l->result = ECHO_ERROR;
		l->err = errno;
		goto done;
	}
	l->fd = fd;
	rng = 0x1234567ULL + l->id * 0x9e3779b97f4a7c15ULL;
	deadline = tn_now_ms() + (uint64_t)l->deadline_ms;
	while (l->rounds_max == 0 || l->rounds < l->rounds_max) {
		if ((l->stop != NULL &&
		    __atomic_load_n(l->stop, __ATOMIC_RELAXED)) ||
		    tn_now_ms() >= deadline)
			break;
		len = (uint32_t)(tn_xorshift(&rng) %
		    ((uint64_t)l->size_max + 1));
		tn_fill_random(out, len, tn_xorshift(&rng));
		l->result = echo_once(fd, out, len, in, l->size_max, &l->err);
		if (l->result != ECHO_OK)
			break;
		__atomic_add_fetch(&l->rounds, 1, __ATOMIC_RELAXED);
	}
	if (l->close_at_end) {
		close(fd);
		l->fd = -1;
	}
done:
	free(out);
	free(in);
	return NULL;
}

static void
looper_start(struct looper *l)
{
	ck_assert_msg(pthread_create(&l->tid, NULL, looper_main, l) == 0,
	    "pthread_create failed");
}

static unsigned
looper_rounds(struct looper *l)
{
	return __atomic_load_n(&l->rounds, __ATOMIC_RELAXED);
}

/* --- Echo ------------------------------------------------------------ */

/*
 * The echo tests run with the default worker buffer and with the smallest
 * (--buffer-size 4K), where most of their frames are larger than the buffer
 * and stream through it: both paths, and the switches between them.
 */
static const struct {
	const char	*size;		/* --buffer-size, NULL = default */
	const char	*logged;	/* how the start-up line shows it */
} buffers[] = {
	{ NULL, "buffer 524288" },
	{ "4K", "buffer 4096" },
};
#define BUFFERS	(int)(sizeof(buffers) / sizeof(buffers[0]))

/* Start a server with buffers[i] and the given options (at most 4). */
static void
server_start_buffer(struct server *s, int i, const char *const *more)
{
	const char	*args[8];
	int		 n = 0;

	if (buffers[i].size != NULL) {
		args[n++] = "--buffer-size";
		args[n++] = buffers[i].size;
	}
	while (more != NULL && *more != NULL && n < 7)
		args[n++] = *more++;
	args[n] = NULL;
	server_start(s, args);
	ck_assert_msg(server_log_wait(s, buffers[i].logged, 5000),
	    "no '%s' in the start-up line", buffers[i].logged);
}

/* Around both buffer sizes: a frame that just fits, and one that does not. */
static const uint32_t echo_sizes[] = {
	0, 1, 2, 3, 4, 5, 100, 4091, 4092, 4093, 4095, 4096, 4097, 65535,
	65536, 65537, 524283, 524284, 524285, MiB
};

START_TEST(test_echo_sizes)
{
	const char *const args[] = { "-m", "1M", NULL };
	struct server	 s;
	unsigned char	*buf;
	size_t		 i, n;
	int		 fd, pass;

	server_start_buffer(&s, _i, args);
	fd = tu_connect(s.port);
	buf = xmalloc(MiB);
	n = sizeof(echo_sizes) / sizeof(echo_sizes[0]);
	/* Up, then down again: a shrinking frame after a large one must
	 * not bring back stale bytes of the previous buffer. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			uint32_t len = echo_sizes[pass == 0 ? i : n - 1 - i];

			tn_fill_random(buf, len, len * 2 + (uint64_t)pass);
			tu_echo_check(fd, buf, len);
		}
	}
	free(buf);
	close(fd);
	server_stop_clean(&s);
}
END_TEST

/* Frames split into tiny writes, and several frames in one write. */
START_TEST(test_echo_split_and_coalesced)
{
	struct server	 s;
	unsigned char	 payload[300], wire[4 * (300 + 4)];
	size_t		 off, len, chunk;
	int		 fd, i;

	server_start(&s, NULL);
	fd = tu_connect(s.port);
	tn_fill_random(payload, sizeof(payload), 7);

	/* One frame, header byte by byte, payload in growing chunks. */
	len = tn_put_frame(wire, payload, sizeof(payload));
	for (off = 0, chunk = 1; off < len; off += chunk) {
		if (off < MSGFRAME_HEADER_SIZE)
			chunk = 1;
		else if ((chunk = chunk * 2) > len - off)
			chunk = len - off;
		send_raw(fd, wire + off, chunk);
		tn_sleep_ms(2);
	}
	recv_expect(fd, payload, sizeof(payload));

	/* Three frames and a half in one write, then the other half. */
	off = 0;
	for (i = 0; i < 4; i++)
		off += tn_put_frame(wire + off, payload, 100 * (uint32_t)i);
	send_raw(fd, wire, off - 150);
	for (i = 0; i < 3; i++)
		recv_expect(fd, payload, 100 * (uint32_t)i);
	tn_sleep_ms(20);
	send_raw(fd, wire + off - 150, 150);
	recv_expect(fd, payload, 300);

	close(fd);
	server_stop_clean(&s);
}
END_TEST

#define PIPELINE_FRAMES		1000
#define PIPELINE_MAX		4096

static uint32_t
pipeline_len(unsigned i)
{
	return (uint32_t)((i * 7919u) % (PIPELINE_MAX + 1));
}

struct pipeline_writer {
	int	fd;
	int	sent;
	int	err;
};

static void *
pipeline_writer_main(void *arg)
{
	struct pipeline_writer	*w = arg;
	unsigned char		 buf[PIPELINE_MAX];
	unsigned		 i;

	for (i = 0; i < PIPELINE_FRAMES; i++) {
		tn_fill_random(buf, pipeline_len(i), i);
		if (msgframe_send(w->fd, buf, pipeline_len(i)) == -1) {
			w->err = errno;
			break;
		}
		w->sent++;
	}
	return NULL;
}

START_TEST(test_echo_pipelined)
{
	struct server		 s;
	struct pipeline_writer	 w;
	pthread_t		 tid;
	unsigned char		 want[PIPELINE_MAX], got[PIPELINE_MAX];
	size_t			 len;
	unsigned		 i;
	int			 r;

	server_start_buffer(&s, _i, NULL);
	memset(&w, 0, sizeof(w));
	w.fd = tu_connect(s.port);
	ck_assert(pthread_create(&tid, NULL, pipeline_writer_main, &w) == 0);
	for (i = 0; i < PIPELINE_FRAMES; i++) {
		r = msgframe_recv(w.fd, got, sizeof(got), &len);
		if (r != 1)
			break;
		tn_fill_random(want, pipeline_len(i), i);
		if (len != pipeline_len(i) || memcmp(got, want, len) != 0)
			break;
	}
	pthread_join(tid, NULL);
	ck_assert_msg(w.err == 0 && w.sent == PIPELINE_FRAMES,
	    "writer sent %d frames: %s", w.sent, strerror(w.err));
	ck_assert_msg(i == PIPELINE_FRAMES, "echo %u of %d is wrong or "
	    "missing (r=%d, len=%zu, want %u)", i, PIPELINE_FRAMES, r, len,
	    pipeline_len(i));
	close(w.fd);
	server_stop_clean(&s);
}
END_TEST

#define CONC_THREADS	4
#define CONC_CLIENTS	(4 * CONC_THREADS)
#define CONC_ROUNDS	20

/* 4 x --threads clients at once: all are served, all echoes exact. */
START_TEST(test_echo_concurrent)
{
	const char *const args[] = { "-t", "4", NULL };
	struct server	s;
	struct looper	l[CONC_CLIENTS];
	int		i;

	server_start(&s, args);
	memset(l, 0, sizeof(l));
	for (i = 0; i < CONC_CLIENTS; i++) {
		l[i].port = s.port;
		l[i].fd = -1;
		l[i].id = (unsigned)i;
		l[i].rounds_max = CONC_ROUNDS;
		l[i].size_max = 16384;
		l[i].deadline_ms = 20000;
		l[i].close_at_end = true;
		looper_start(&l[i]);
	}
	for (i = 0; i < CONC_CLIENTS; i++)
		pthread_join(l[i].tid, NULL);
	for (i = 0; i < CONC_CLIENTS; i++) {
		ck_assert_msg(l[i].result == ECHO_OK &&
		    l[i].rounds == CONC_ROUNDS,
		    "client %d: %u of %d round trips, then %s (%s)", i,
		    l[i].rounds, CONC_ROUNDS, echo_result_str(l[i].result),
		    strerror(l[i].err));
	}
	require_stat(&s, "accepted", CONC_CLIENTS);
	require_stat(&s, "frames", CONC_CLIENTS * CONC_ROUNDS);
	server_stop_clean(&s);
}
END_TEST

/* Hundreds of short connections leave no descriptor behind. */
START_TEST(test_many_connections_no_leak)
{
	struct server	 s;
	unsigned char	 payload[10] = "0123456789";
	uint64_t	 deadline;
	int		 base, n, i, fd;

	server_start(&s, NULL);
	base = server_fd_count(&s);
	for (i = 0; i < 200; i++) {
		fd = tu_connect(s.port);
		tu_echo_check(fd, payload, sizeof(payload));
		if (i % 2 == 0)
			close(fd);
		else
			tn_close_reset(fd);
	}
	deadline = tn_now_ms() + LOG_WAIT_MS;
	while ((n = server_fd_count(&s)) > base && tn_now_ms() < deadline)
		tn_sleep_ms(20);
	ck_assert_msg(n <= base, "server had %d descriptors before 200 "
	    "connections and %d after", base, n);
	ck_assert(server_alive(&s));
	server_stop_clean(&s);
}
END_TEST

/*
 * The descriptor table is sized for every worker and queued connection
 * at start-up, while the server has one thread: grown later, each
 * accept() that crosses 64, 128, 256, 512, ... descriptors waits for an
 * RCU grace period in the kernel, and on a loaded machine that held the
 * acceptor for seconds with hundreds of connections in the backlog
 * (bench/run c1000).  FDSize in /proc is the table's size.
 */
START_TEST(test_fd_table_presized)
{
	/* Few threads, a long queue: valgrind runs at most 500 threads. */
	const char *const args[] = { "--threads", "100", "--queue", "700",
	    NULL };
	struct server	 s;
	char		 path[64], line[256];
	FILE		*f;
	long		 size = -1;

	server_start_nofile(&s, args, 4096);
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)s.pid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "FDSize: %ld", &size) == 1)
			break;
	fclose(f);
	ck_assert_msg(size >= 800, "descriptor table of %ld for 100 workers "
	    "and a queue of 700", size);
	server_stop_clean(&s);
}
END_TEST

/* --- Limits ---------------------------------------------------------- */

/*
 * An oversize header closes that connection only, after echoing the
 * frames before it, and the reason is logged with the client's address.
 */
START_TEST(test_oversize_closes_only_that)
{
	const char *const args[] = { "-m", "1K", NULL };
	struct server	 s;
	unsigned char	 p[20], wire[64];
	char		 addr[64];
	size_t		 off = 0;
	int		 a, b, i;

	server_start(&s, args);
	a = tu_connect(s.port);
	b = tu_connect(s.port);
	tn_fill_random(p, sizeof(p), 1);
	tu_echo_check(b, p, sizeof(p));
	tu_local_addr(a, addr, sizeof(addr));

	off += tn_put_frame(wire + off, p, 10);
	off += tn_put_frame(wire + off, p, 20);
	msgframe_encode_header(wire + off, 1025);
	off += MSGFRAME_HEADER_SIZE;
	send_raw(a, wire, off);
	recv_expect(a, p, 10);
	recv_expect(a, p, 20);
	ck_assert_msg(tn_wait_closed(a, LOG_WAIT_MS),
	    "connection still open after an oversize header");
	require_close_logged(&s, "oversize frame", addr);

	/* The other client never noticed. */
	for (i = 0; i < 5; i++)
		tu_echo_check(b, p, (uint32_t)(i * 4));
	close(a);
	close(b);
	server_stop_clean(&s);
}
END_TEST

/* max is accepted; max + 1 and 0xFFFFFFFF are not. */
START_TEST(test_oversize_boundaries)
{
	const char *const args[] = { "-m", "1K", NULL };
	static const uint32_t bad[] = { 1025, 0xFFFFFFFFu };
	struct server	 s;
	unsigned char	 p[1024], hdr[MSGFRAME_HEADER_SIZE];
	char		 addr[64];
	size_t		 i;
	int		 fd;

	server_start(&s, args);
	fd = tu_connect(s.port);
	tn_fill_random(p, sizeof(p), 1024);
	tu_echo_check(fd, p, 1024);
	tu_echo_check(fd, p, 1023);
	tu_echo_check(fd, p, 1024);
	close(fd);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = tu_connect(s.port);
		tu_local_addr(fd, addr, sizeof(addr));
		msgframe_encode_header(hdr, bad[i]);
		send_raw(fd, hdr, sizeof(hdr));
		ck_assert_msg(tn_wait_closed(fd, LOG_WAIT_MS),
		    "header announcing %u: connection still open", bad[i]);
		require_close_logged(&s, "oversize frame", addr);
		close(fd);
	}
	ck_assert_int_eq(server_log_count(&s, "oversize frame"), 2);
	require_stat(&s, "closed_oversize", 2);
	server_stop_clean(&s);
}
END_TEST

/* Send prefix, then shut down our side; the server must log why. */
static void
eof_inside(const unsigned char *prefix, size_t len)
{
	struct server	 s;
	unsigned char	 p[8] = "warm-up";
	char		 addr[64];
	int		 fd;

	server_start(&s, NULL);
	fd = tu_connect(s.port);
	tu_local_addr(fd, addr, sizeof(addr));
	tu_echo_check(fd, p, sizeof(p));
	send_raw(fd, prefix, len);
	ck_assert(shutdown(fd, SHUT_WR) == 0);
	ck_assert_msg(tn_wait_closed(fd, LOG_WAIT_MS),
	    "server kept the connection open after EOF inside a frame");
	require_close_logged(&s, "ended inside a frame", addr);
	require_stat(&s, "closed_protocol", 1);
	close(fd);
	server_stop_clean(&s);
}

START_TEST(test_eof_inside_header)
{
	static const unsigned char half[2] = { 0, 0 };

	eof_inside(half, sizeof(half));
}
END_TEST

START_TEST(test_eof_inside_payload)
{
	unsigned char	wire[4 + 50];

	msgframe_encode_header(wire, 100);
	tn_fill_random(wire + 4, 50, 3);
	eof_inside(wire, sizeof(wire));
}
END_TEST

/* EOF at a frame boundary is a normal close, not a truncated frame. */
START_TEST(test_eof_at_boundary)
{
	struct server	 s;
	unsigned char	 p[16];
	char		 addr[64], *line;
	int		 fd;

	server_start(&s, NULL);
	fd = tu_connect(s.port);
	tu_local_addr(fd, addr, sizeof(addr));
	tn_fill_random(p, sizeof(p), 16);
	tu_echo_check(fd, p, sizeof(p));
	ck_assert(shutdown(fd, SHUT_WR) == 0);
	ck_assert_msg(tn_wait_closed(fd, LOG_WAIT_MS),
	    "server kept the connection open after a clean EOF");
	close(fd);
	tn_sleep_ms(100);
	line = log_line_with(&s, "ended inside a frame", addr);
	ck_assert_msg(line == NULL, "clean EOF logged as \"%s\"", line);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_reset_logged)
{
	struct server	 s;
	unsigned char	 wire[4 + 10], p[8] = "warm-up";
	char		 addr[2][64];
	int		 fd;

	server_start(&s, NULL);

	/* A reset between frames. */
	fd = tu_connect(s.port);
	tu_local_addr(fd, addr[0], sizeof(addr[0]));
	tu_echo_check(fd, p, sizeof(p));
	tn_close_reset(fd);
	require_close_logged(&s, "connection reset", addr[0]);

	/* A reset in the middle of a frame. */
	fd = tu_connect(s.port);
	tu_local_addr(fd, addr[1], sizeof(addr[1]));
	tu_echo_check(fd, p, sizeof(p));
	msgframe_encode_header(wire, 100);
	memset(wire + 4, 'x', 10);
	send_raw(fd, wire, sizeof(wire));
	tn_sleep_ms(50);
	tn_close_reset(fd);
	require_close_logged(&s, "connection reset", addr[1]);
	require_stat(&s, "closed_reset", 2);

	ck_assert(server_alive(&s));
	server_stop_clean(&s);
}
END_TEST

/*
 * Idle after a frame; or, with --proxy-protocol, silent from the moment
 * the connection is served, before any header (the sweeper must measure
 * from then, not from the worker's previous wait).
 */
static const struct {
	const char	*args[8];
	bool		 warm_up;	/* one echo first */
} idlers[] = {
	{ { "--idle-timeout", "1" }, true },
	{ { "--idle-timeout", "1", "--proxy-protocol", "--proxy-from",
	    "127.0.0.1" }, false },
};

START_TEST(test_idle_timeout_silent)
{
	struct server	 s;
	unsigned char	 p[8] = "warm-up";
	char		 addr[64];
	int64_t		 t0;
	long		 ms;
	int		 fd;

	server_start(&s, idlers[_i].args);
	fd = tu_connect(s.port);
	tu_local_addr(fd, addr, sizeof(addr));
	t0 = wall_ms();
	if (idlers[_i].warm_up)
		tu_echo_check(fd, p, sizeof(p));
	ms = wait_close_ms(&s, fd, "idle timeout", addr, t0, 4000);
	ck_assert_msg(ms >= 750 && ms <= 2500, "idle connection closed "
	    "%ld ms after its last frame (--idle-timeout 1)", ms);
	require_stat(&s, "closed_idle", 1);
	close(fd);
	server_stop_clean(&s);
}
END_TEST

/*
 * A client that sends a frame every 0.3 s is never idle for 1 s.  The
 * longest pause we actually made is measured: on a loaded machine a
 * 0.3 s sleep may last longer, and then a close would be no bug.
 */
START_TEST(test_idle_timeout_active)
{
	const char *const args[] = { "--idle-timeout", "1", NULL };
	struct server		 s;
	unsigned char		 p[100], back[100];
	char			 addr[64], *line;
	uint64_t		 t0, last, gap, worst = 0;
	enum echo_result	 r;
	int			 fd, e, i;

	server_start(&s, args);
	fd = tu_connect(s.port);
	tu_local_addr(fd, addr, sizeof(addr));
	t0 = last = tn_now_ms();
	for (i = 0; tn_now_ms() - t0 < 2100; i++) {
		tn_fill_random(p, sizeof(p), (uint64_t)i);
		gap = tn_now_ms() - last;
		if (gap > worst)
			worst = gap;
		r = echo_once(fd, p, sizeof(p), back, sizeof(back), &e);
		last = tn_now_ms();
		ck_assert_msg(r == ECHO_OK, "frame %d, %llu ms in: %s (%s); "
		    "the longest pause between frames was %llu ms, "
		    "--idle-timeout 1", i, (unsigned long long)(last - t0),
		    echo_result_str(r), strerror(e),
		    (unsigned long long)worst);
		tn_sleep_ms(300);
	}
	line = log_line_with(&s, "idle timeout", addr);
	ck_assert_msg(line == NULL, "active client logged: %s", line);
	close(fd);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_io_timeout_partial_frame)
{
	const char *const args[] = { "--io-timeout", "1", "-i", "10", NULL };
	struct server	 s;
	unsigned char	 wire[4 + 50], p[8] = "warm-up";
	char		 addr[64];
	int64_t		 t0;
	long		 ms;
	int		 fd;

	server_start(&s, args);
	fd = tu_connect(s.port);
	tu_local_addr(fd, addr, sizeof(addr));
	tu_echo_check(fd, p, sizeof(p));
	msgframe_encode_header(wire, 100);
	tn_fill_random(wire + 4, 50, 50);
	t0 = wall_ms();
	send_raw(fd, wire, sizeof(wire));
	ms = wait_close_ms(&s, fd, "I/O timeout", addr, t0, 4000);
	ck_assert_msg(ms >= 750 && ms <= 2500, "a frame stalled half-way "
	    "was closed after %ld ms (--io-timeout 1)", ms);
	require_stat(&s, "closed_io_timeout", 1);
	close(fd);
	server_stop_clean(&s);
}
END_TEST

/*
 * Send p[0..n) a byte at a time, 0.2 s apart (round again if need be),
 * until the server closes the connection, or for at most max_ms.
 */
static void
drip(int fd, const void *p, size_t n, int max_ms)
{
	const unsigned char	*b = p;
	uint64_t		 start;
	size_t			 i;

	start = tn_now_ms();
	for (i = 0; tn_now_ms() - start < (uint64_t)max_ms; i++) {
		if (send(fd, b + i % n, 1, MSG_NOSIGNAL) != 1)
			break;		/* closed under us */
		if (tn_wait_closed(fd, 200))
			break;
	}
}

/*
 * A frame trickled one byte every 0.2 s never completes within
 * --io-timeout, though no single read waits that long; nor does a PROXY
 * header (--proxy-protocol), which is cut off the same way.
 */
static const struct {
	const char	*args[8];
	bool		 frame;		/* a frame header first, then 'x's */
	const char	*logged;
	const char	*stat;
} trickles[] = {
	{ { "--io-timeout", "1", "-i", "10" }, true, "I/O timeout",
	  "closed_io_timeout" },
	{ { "--io-timeout", "1", "-i", "10", "--proxy-protocol",
	    "--proxy-from", "127.0.0.1" }, false,
	  "no complete PROXY header within 1000 ms", "closed_proxy" },
	/* Without an io timeout the header has the idle timeout. */
	{ { "--io-timeout", "0", "-i", "1", "--proxy-protocol",
	    "--proxy-from", "127.0.0.1" }, false,
	  "no complete PROXY header within 1000 ms", "closed_proxy" },
};

#define V1_HEADER	"PROXY TCP4 10.0.0.9 10.0.1.5 5000 8080\r\n"

START_TEST(test_io_timeout_trickle)
{
	struct server	 s;
	unsigned char	 hdr[MSGFRAME_HEADER_SIZE], byte = 'x';
	char		 addr[64];
	int64_t		 t0;
	long		 ms;
	int		 fd;

	server_start(&s, trickles[_i].args);
	fd = tu_connect(s.port);
	tu_local_addr(fd, addr, sizeof(addr));
	msgframe_encode_header(hdr, 100);
	t0 = wall_ms();
	if (trickles[_i].frame) {
		send_raw(fd, hdr, sizeof(hdr));
		drip(fd, &byte, 1, 5000);
	} else
		drip(fd, V1_HEADER, strlen(V1_HEADER), 5000);
	ms = wait_close_ms(&s, fd, trickles[_i].logged, addr, t0, 500);
	ck_assert_msg(ms >= 750 && ms <= 2500, "a trickled %s was cut "
	    "after %ld ms (--io-timeout 1)", trickles[_i].frame ? "frame" :
	    "PROXY header", ms);
	require_stat(&s, trickles[_i].stat, 1);
	close(fd);
	server_stop_clean(&s);
}
END_TEST

struct flood {
	int		fd;
	uint64_t	sent;
	int		err;
};

/* Send 64 KiB frames until the server gives up on us (bounded). */
static void *
flood_main(void *arg)
{
	struct flood	*f = arg;
	unsigned char	*buf;
	uint64_t	 deadline;

	if ((buf = malloc(65536)) == NULL) {
		f->err = ENOMEM;
		return NULL;
	}
	tn_fill_random(buf, 65536, 99);
	deadline = tn_now_ms() + 8000;
	while (tn_now_ms() < deadline && f->sent < 512ULL * MiB) {
		if (msgframe_send(f->fd, buf, 65536) == -1) {
			f->err = errno;
			break;
		}
		f->sent += 65536;
	}
	free(buf);
	return NULL;
}

/*
 * A client that sends and never reads: once its receive buffer is full,
 * the server's echo cannot be written and --io-timeout cuts it off, while
 * another client is served all along.
 */
START_TEST(test_io_timeout_stalled_reader)
{
	const char *const args[] = { "--io-timeout", "1", "-i", "30", NULL };
	struct server	 s;
	struct flood	 f;
	struct timeval	 tv = { 2, 0 };
	pthread_t	 tid;
	unsigned char	 p[1000];
	char		 addr[64], *line = NULL;
	uint64_t	 t0, t, worst = 0, deadline;
	int		 b, small = 4096, served = 0;

	server_start(&s, args);
	b = tu_connect(s.port);
	memset(&f, 0, sizeof(f));
	f.fd = tu_connect(s.port);
	tu_local_addr(f.fd, addr, sizeof(addr));
	/* A small window fills sooner; the send timeout bounds the thread. */
	ck_assert(setsockopt(f.fd, SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)) == 0);
	ck_assert(setsockopt(f.fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == 0);
	tn_fill_random(p, sizeof(p), 1000);
	tu_echo_check(b, p, sizeof(p));
	ck_assert(pthread_create(&tid, NULL, flood_main, &f) == 0);

	t0 = tn_now_ms();
	deadline = t0 + 8000;
	while (tn_now_ms() < deadline &&
	    (line = log_line_with(&s, "I/O timeout", addr)) == NULL) {
		t = tn_now_ms();
		tu_echo_check(b, p, sizeof(p));
		t = tn_now_ms() - t;
		if (t > worst)
			worst = t;
		served++;
		tn_sleep_ms(100);
	}
	pthread_join(tid, NULL);
	ck_assert_msg(line != NULL, "a client that never reads was not cut "
	    "off within 8 s by --io-timeout 1 (it sent %llu bytes, then %s)",
	    (unsigned long long)f.sent, strerror(f.err));
	free(line);
	ck_assert_msg(worst < 1000, "the other client waited %llu ms for an "
	    "echo meanwhile", (unsigned long long)worst);
	ck_assert_msg(tn_wait_closed(f.fd, LOG_WAIT_MS),
	    "the stalled client's connection is still open");
	/* And the other client is still fine afterwards. */
	tu_echo_check(b, p, sizeof(p));
	close(f.fd);
	close(b);
	server_stop_clean(&s);
}
END_TEST

#define EXTRAS	4

/* -t 1 -q 1 --reject-when-full: the overflow is closed at once. */
START_TEST(test_reject_when_full)
{
	const char *const args[] = { "-t", "1", "-q", "1",
	    "--reject-when-full", NULL };
	struct server	 s;
	unsigned char	 p[32];
	uint64_t	 deadline;
	char		*line;
	bool		 closed[EXTRAS];
	int		 a, extra[EXTRAS], i, nclosed = 0;
	long		 rejected;

	server_start(&s, args);
	tn_fill_random(p, sizeof(p), 32);
	a = tu_connect(s.port);
	tu_echo_check(a, p, sizeof(p));	/* a now holds the only worker */
	for (i = 0; i < EXTRAS; i++) {
		extra[i] = tu_connect(s.port);
		closed[i] = false;
	}
	deadline = tn_now_ms() + 1500;
	while (nclosed < EXTRAS - 1 && tn_now_ms() < deadline) {
		for (i = 0; i < EXTRAS; i++) {
			if (!closed[i] && tn_wait_closed(extra[i], 0)) {
				closed[i] = true;
				nclosed++;
			}
		}
		tn_sleep_ms(10);
	}
	ck_assert_msg(nclosed >= EXTRAS - 1, "-q 1 with the only worker "
	    "busy: %d of %d extra clients were closed within 1.5 s",
	    nclosed, EXTRAS);
	tu_echo_check(a, p, sizeof(p));	/* still served */

	line = server_stats_line(&s);
	rejected = tn_stat_value(line, "rejected");
	ck_assert_msg(rejected == nclosed, "stats rejected=%ld, but %d "
	    "clients were closed: \"%s\"", rejected, nclosed, line);
	ck_assert_msg(tn_stat_value(line, "active") == 1 &&
	    tn_stat_value(line, "queued") == EXTRAS - nclosed,
	    "one client served and %d queued, but \"%s\"", EXTRAS - nclosed,
	    line);
	free(line);

	/* Once the worker is free, the queued client is served. */
	close(a);
	for (i = 0; i < EXTRAS; i++) {
		if (!closed[i])
			tu_echo_check(extra[i], p, sizeof(p));
		close(extra[i]);
	}
	server_stop_clean(&s);
}
END_TEST

/* --- Lifecycle ------------------------------------------------------- */

#define LOAD_CLIENTS	4
#define LOAD_QUEUED	2

/*
 * SIGTERM while clients loop round trips: exit 0 within
 * --shutdown-timeout + 2 s, and nobody ever gets a corrupt or cut echo.
 */
START_TEST(test_sigterm_under_load)
{
	const char *const args[] = { "-t", "4", "--shutdown-timeout", "1",
	    NULL };
	struct server	 s;
	struct looper	 l[LOAD_CLIENTS];
	int		 stop = 0;
	uint64_t	 deadline;
	long		 elapsed;
	int		 queued[LOAD_QUEUED], status, i, busy;

	server_start(&s, args);
	memset(l, 0, sizeof(l));
	for (i = 0; i < LOAD_CLIENTS; i++) {
		l[i].port = s.port;
		l[i].fd = -1;
		l[i].id = (unsigned)i + 100;
		l[i].size_max = 65536;
		l[i].deadline_ms = 15000;
		l[i].stop = &stop;
		looper_start(&l[i]);
	}
	/* Wait until every client is busy; the extra ones wait queued. */
	deadline = tn_now_ms() + 5000;
	do {
		tn_sleep_ms(20);
		for (i = busy = 0; i < LOAD_CLIENTS; i++)
			if (looper_rounds(&l[i]) >= 3)
				busy++;
	} while (busy < LOAD_CLIENTS && tn_now_ms() < deadline);
	for (i = 0; i < LOAD_QUEUED; i++)
		queued[i] = tu_connect(s.port);
	tn_sleep_ms(100);

	elapsed = stop_timed(&s, SIGTERM, &status);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < LOAD_CLIENTS; i++)
		pthread_join(l[i].tid, NULL);

	ck_assert_msg(busy == LOAD_CLIENTS, "only %d of %d clients were "
	    "served before SIGTERM", busy, LOAD_CLIENTS);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "exit status 0x%x after SIGTERM under load (%ld ms)", status,
	    elapsed);
	ck_assert_msg(elapsed <= 3000, "shutdown under load took %ld ms, "
	    "over --shutdown-timeout 1 + 2 s", elapsed);
	for (i = 0; i < LOAD_CLIENTS; i++) {
		ck_assert_msg(l[i].result != ECHO_CORRUPT &&
		    l[i].result != ECHO_TRUNCATED,
		    "client %d got a %s after %u round trips", i,
		    echo_result_str(l[i].result), l[i].rounds);
		ck_assert_msg(l[i].result != ECHO_ERROR, "client %d: %s "
		    "after %u round trips", i, strerror(l[i].err),
		    l[i].rounds);
		if (l[i].fd != -1)
			close(l[i].fd);
	}
	for (i = 0; i < LOAD_QUEUED; i++) {
		ck_assert(tn_wait_closed(queued[i], 1000));
		close(queued[i]);
	}
}
END_TEST

/*
 * An idle client does not hold up shutdown: no waiting for the idle or
 * the shutdown timeout (the bound leaves room for a busy machine).
 */
START_TEST(test_sigterm_idle_client)
{
	const char *const args[] = { "-i", "30", "--shutdown-timeout", "10",
	    NULL };
	struct server	 s;
	unsigned char	 p[8] = "warm-up";
	long		 elapsed;
	int		 fd, status;

	server_start(&s, args);
	fd = tu_connect(s.port);
	tu_echo_check(fd, p, sizeof(p));
	elapsed = stop_timed(&s, SIGTERM, &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "exit status 0x%x after SIGTERM", status);
	ck_assert_msg(elapsed < 5000, "SIGTERM with an idle client took "
	    "%ld ms (shutdown timeout 10 s)", elapsed);
	ck_assert(tn_wait_closed(fd, 1000));
	close(fd);
}
END_TEST

/*
 * A client stalled inside a frame, with a long --io-timeout: shutdown
 * waits for it no longer than --shutdown-timeout, and still exits 0.
 * The bound is loose (4 s over), as a busy machine can delay the wakeups;
 * the bug it catches is waiting out the 30 s I/O timeout.
 */
START_TEST(test_sigterm_stalled_frame)
{
	const char *const args[] = { "--io-timeout", "30", "-i", "30",
	    "--shutdown-timeout", "1", NULL };
	struct server	 s;
	unsigned char	 wire[4 + 10];
	long		 elapsed;
	int		 fd, status;

	server_start(&s, args);
	fd = tu_connect(s.port);
	msgframe_encode_header(wire, 100);
	memset(wire + 4, 'z', 10);
	send_raw(fd, wire, sizeof(wire));
	tn_sleep_ms(100);
	elapsed = stop_timed(&s, SIGTERM, &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "exit status 0x%x after SIGTERM", status);
	ck_assert_msg(elapsed < 5000, "a stalled frame kept the server up "
	    "%ld ms after SIGTERM (--shutdown-timeout 1, --io-timeout 30)",
	    elapsed);
	ck_assert_msg(elapsed >= 500, "the frame in progress was not waited "
	    "for: stopped %ld ms after SIGTERM", elapsed);
	ck_assert(tn_wait_closed(fd, 1000));
	close(fd);
}
END_TEST

/* SIGINT too; the client waiting in the queue is closed, not served. */
START_TEST(test_sigint_with_queued_client)
{
	const char *const args[] = { "-t", "1", "-q", "4",
	    "--shutdown-timeout", "10", NULL };
	struct server	 s;
	unsigned char	 p[8] = "warm-up";
	long		 elapsed;
	int		 a, b, status;

	server_start(&s, args);
	a = tu_connect(s.port);
	tu_echo_check(a, p, sizeof(p));
	b = tu_connect(s.port);
	tn_sleep_ms(100);
	elapsed = stop_timed(&s, SIGINT, &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "exit status 0x%x after SIGINT", status);
	ck_assert_msg(elapsed < 5000, "SIGINT took %ld ms (shutdown "
	    "timeout 10 s)", elapsed);
	ck_assert(tn_wait_closed(a, 1000));
	ck_assert(tn_wait_closed(b, 1000));
	close(a);
	close(b);
}
END_TEST

START_TEST(test_sigusr1_stats)
{
	struct server	 s;
	unsigned char	 p[100];
	char		*line;
	int		 fd, i;

	server_start(&s, NULL);
	line = server_stats_line(&s);
	ck_assert_msg(tn_stat_value(line, "accepted") == 0 &&
	    tn_stat_value(line, "frames") == 0 &&
	    tn_stat_value(line, "bytes") == 0 &&
	    tn_stat_value(line, "closed_idle") == 0 &&
	    tn_stat_value(line, "closed_oversize") == 0,
	    "stats of a fresh server: \"%s\"", line);
	free(line);

	fd = tu_connect(s.port);
	for (i = 0; i < 10; i++) {
		tn_fill_random(p, sizeof(p), (uint64_t)i);
		tu_echo_check(fd, p, sizeof(p));
	}
	close(fd);
	/* Counters count payload bytes, each frame once. */
	require_stat(&s, "frames", 10);
	require_stat(&s, "bytes", 1000);
	require_stat(&s, "accepted", 1);
	require_stat(&s, "closed_client", 1);
	ck_assert(server_alive(&s));
	server_stop_clean(&s);
}
END_TEST

/*
 * Read /proc/.../stat at path: the thread's name into comm, its
 * scheduling policy (field 41) into *pol.  False if the thread is gone.
 */
static bool
stat_policy(const char *path, char *comm, size_t commlen, int *pol)
{
	char	 buf[1024], *open, *close, *p;
	FILE	*f;
	int	 field;

	if ((f = fopen(path, "r")) == NULL)
		return false;	/* the thread just exited */
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	ck_assert_msg(p != NULL && (open = strchr(buf, '(')) != NULL &&
	    (close = strrchr(buf, ')')) != NULL, "%s: unreadable", path);
	snprintf(comm, commlen, "%.*s", (int)(close - open - 1), open + 1);
	/* Field 3 (state) follows ") "; the policy is field 41. */
	p = close + 2;
	for (field = 3; field < 41 && p != NULL; field++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	ck_assert_msg(p != NULL && sscanf(p, "%d", pol) == 1,
	    "%s: no field 41", path);
	return true;
}

/* The policies of the server's threads named comm, in pols[]; how many. */
static int
thread_policies(struct server *s, const char *comm, int *pols, int max)
{
	char		 path[320], name[64];
	struct dirent	*de;
	DIR		*d;
	int		 n = 0, pol;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)s->pid);
	d = opendir(path);
	ck_assert_msg(d != NULL, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/stat",
		    (long)s->pid, de->d_name);
		if (stat_policy(path, name, sizeof(name), &pol) &&
		    strcmp(name, comm) == 0)
			pols[n++] = pol;
	}
	closedir(d);
	return n;
}

/* Linux's numbers for the policies, as /proc shows them. */
#define POLICY_OTHER	0
#define POLICY_BATCH	3

static const struct {
	const char	*arg;		/* --scheduler, NULL = default */
	int		 workers;	/* policy the workers must have */
} policies[] = {
	{ NULL, POLICY_BATCH },
	{ "batch", POLICY_BATCH },
	{ "other", POLICY_OTHER },
};

/* The workers run under --scheduler's policy; the other threads do not. */
START_TEST(test_worker_policy)
{
	const char	*args[] = { "-t", "3", NULL, NULL, NULL };
	struct server	 s;
	char		 path[64], name[64];
	uint64_t	 deadline;
	int		 pols[16], n, i;

	if (policies[_i].arg != NULL) {
		args[2] = "--scheduler";
		args[3] = policies[_i].arg;
	}
	server_start(&s, args);
	n = thread_policies(&s, "msgsrv-worker", pols, 16);
	ck_assert_int_eq(n, 3);
	for (i = 0; i < n; i++)
		ck_assert_msg(pols[i] == policies[_i].workers, "worker %d has "
		    "policy %d, want %d", i, pols[i], policies[_i].workers);
	/* The main thread: its task ID is the process ID. */
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", (long)s.pid,
	    (long)s.pid);
	ck_assert(stat_policy(path, name, sizeof(name), &pols[0]));
	ck_assert_msg(pols[0] == POLICY_OTHER, "main thread policy %d",
	    pols[0]);
	/*
	 * The signal thread names itself after it starts, which may be after
	 * the "listening" line (seen under valgrind): give it a moment.
	 */
	deadline = tn_now_ms() + LOG_WAIT_MS;
	while ((n = thread_policies(&s, "msgsrv-signal", pols, 16)) == 0 &&
	    tn_now_ms() < deadline)
		tn_sleep_ms(10);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(pols[0], POLICY_OTHER);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_sighup_survives)
{
	struct server	 s;
	unsigned char	 p[8] = "warm-up";
	int		 fd;

	server_start(&s, NULL);
	fd = tu_connect(s.port);
	tu_echo_check(fd, p, sizeof(p));
	ck_assert(kill(s.pid, SIGHUP) == 0);
	tn_sleep_ms(200);
	ck_assert_msg(server_alive(&s), "SIGHUP killed the server");
	tu_echo_check(fd, p, sizeof(p));
	close(fd);
	fd = tu_connect(s.port);
	tu_echo_check(fd, p, sizeof(p));
	close(fd);
	server_stop_clean(&s);
}
END_TEST

/* Clients that vanish while their echo is being written (EPIPE). */
START_TEST(test_client_vanishes_mid_echo)
{
	struct server	 s;
	unsigned char	*big, p[8] = "warm-up";
	int		 fd, i;

	server_start(&s, NULL);
	big = xmalloc(MiB);
	tn_fill_random(big, MiB, 5);
	for (i = 0; i < 5; i++) {
		fd = tu_connect(s.port);
		ck_assert(msgframe_send(fd, big, MiB) == 0);
		if (i % 2 == 0)
			tn_close_reset(fd);
		else
			close(fd);
	}
	free(big);
	tn_sleep_ms(200);
	ck_assert_msg(server_alive(&s), "server died when clients vanished");
	fd = tu_connect(s.port);
	tu_echo_check(fd, p, sizeof(p));
	close(fd);
	server_stop_clean(&s);
}
END_TEST

struct bad_cmdline {
	const char	*args[4];
	const char	*names;		/* in the message */
	const char	*value;		/* in the message too, or NULL */
};

static const struct bad_cmdline bad_cmdlines[] = {
	{ { "--threads", "0" }, "threads", "0" },
	{ { "--port", "70000" }, "port", "70000" },
	{ { "--bogus" }, "bogus", NULL },
	{ { "--max-frame", "5X" }, "max-frame", "5X" },
	{ { "--threads" }, "threads", NULL },
	{ { "--threads", "abc" }, "threads", "abc" },
	{ { "--io-timeout", "soon" }, "io-timeout", "soon" },
	{ { "--idle-timeout", "-1" }, "idle-timeout", "-1" },
	{ { "--proxy-protocol" }, "proxy-from", NULL },
	{ { "--proxy-protocol", "--proxy-from", "10.0.0.0/33" }, "proxy-from",
	  "10.0.0.0/33" },
};

START_TEST(test_bad_command_line)
{
	const struct bad_cmdline *bc = &bad_cmdlines[_i];
	const char	*argv[10];
	char		*out, *err;
	size_t		 outlen, n = 0, i;
	int		 status;

	argv[n++] = tu_program("MSGSERVERD");
	/* Should it start after all, it must not take a real port. */
	if (strcmp(bc->names, "port") != 0) {
		argv[n++] = "--bind";
		argv[n++] = "127.0.0.1";
		argv[n++] = "--port";
		argv[n++] = "0";
	}
	for (i = 0; bc->args[i] != NULL; i++)
		argv[n++] = bc->args[i];
	argv[n] = NULL;
	status = tu_run(argv, NULL, 0, &out, &outlen, &err, 10000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 64,
	    "%s %s: status 0x%x, expected exit 64; stderr: %s",
	    bc->args[0], bc->args[1] ? bc->args[1] : "", status, err);
	ck_assert_msg(strstr(err, bc->names) != NULL, "%s %s: the message "
	    "does not name the option: %s", bc->args[0],
	    bc->args[1] ? bc->args[1] : "", err);
	ck_assert_msg(bc->value == NULL || strstr(err, bc->value) != NULL,
	    "%s %s: the message does not show the value: %s", bc->args[0],
	    bc->args[1], err);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_version_and_help)
{
	const char	*argv[3];
	char		*out, *err;
	size_t		 outlen;
	int		 status;

	argv[0] = tu_program("MSGSERVERD");
	argv[1] = "--version";
	argv[2] = NULL;
	status = tu_run(argv, NULL, 0, &out, &outlen, &err, 10000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "--version: status 0x%x; stderr: %s", status, err);
	ck_assert_msg(strstr(out, PACKAGE_VERSION) != NULL,
	    "--version does not print " PACKAGE_VERSION ": %s", out);
	free(out);
	free(err);

	argv[1] = "--help";
	status = tu_run(argv, NULL, 0, &out, &outlen, &err, 10000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "--help: status 0x%x; stderr: %s", status, err);
	ck_assert_msg(strstr(out, "--max-frame") != NULL &&
	    strstr(out, "--io-timeout") != NULL &&
	    strstr(out, "--reject-when-full") != NULL,
	    "--help does not list the options: %s", out);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_port_in_use)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	const char		*argv[6];
	char			 port[16], *out, *err;
	size_t			 outlen;
	int			 lfd, status;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(lfd != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ck_assert(listen(lfd, 1) == 0);
	ck_assert(getsockname(lfd, (struct sockaddr *)&sin, &slen) == 0);
	snprintf(port, sizeof(port), "%u", (unsigned)ntohs(sin.sin_port));

	argv[0] = tu_program("MSGSERVERD");
	argv[1] = "--bind";
	argv[2] = "127.0.0.1";
	argv[3] = "--port";
	argv[4] = port;
	argv[5] = NULL;
	status = tu_run(argv, NULL, 0, &out, &outlen, &err, 10000);
	close(lfd);
	ck_assert_msg(!(WIFEXITED(status) && WEXITSTATUS(status) == 0),
	    "started on a port in use; stderr: %s", err);
	ck_assert_msg(WIFEXITED(status), "killed by signal %d on a port in "
	    "use", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_msg(strstr(err, "in use") != NULL && strstr(err, port) !=
	    NULL, "the message should name the port (%s) and say it is in "
	    "use: %s", port, err);
	free(out);
	free(err);
}
END_TEST

/* --- PROXY protocol -------------------------------------------------- */

#define V1_CLIENT	"10.0.0.9:5000"

/* The loopback client is the balancer; -v logs every close. */
static const char *const proxy_args[] = {
	"--proxy-protocol", "--proxy-from", "127.0.0.1", "-v", NULL
};

/* A v2 header for TCP4 10.0.0.9:5000 -> 10.0.1.5:8080, or LOCAL. */
static size_t
put_v2(unsigned char *dst, bool local)
{
	static const unsigned char head[16] = {
		0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
		0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C
	};
	static const unsigned char addrs[12] = {
		10, 0, 0, 9, 10, 0, 1, 5, 0x13, 0x88, 0x1F, 0x90
	};

	memcpy(dst, head, sizeof(head));
	if (local)
		dst[12] = 0x20;
	memcpy(dst + sizeof(head), addrs, sizeof(addrs));
	return sizeof(head) + sizeof(addrs);
}

/*
 * Connect, send a v2 header (LOCAL, or the client's) and a frame of
 * p[0..len) in one write, and require the echo.  Returns the connection.
 */
static int
proxy_echo(int port, bool local, const unsigned char *p, uint32_t len)
{
	unsigned char	*wire;
	size_t		 n;
	int		 fd;

	wire = xmalloc(64 + (size_t)len);
	n = put_v2(wire, local);
	n += tn_put_frame(wire + n, p, len);
	fd = tu_connect(port);
	send_raw(fd, wire, n);
	recv_expect(fd, p, len);
	free(wire);
	return fd;
}

/* The server closes fd without having sent a byte of it back. */
static void
expect_no_echo(int fd)
{
	unsigned char	buf[256];
	ssize_t		n;

	n = recv(fd, buf, sizeof(buf), 0);
	ck_assert_msg(n == 0 || (n == -1 && errno == ECONNRESET),
	    "expected a close without echo, got %zd (%s)", n,
	    n == -1 ? strerror(errno) : "bytes");
}

/* A v1 header and the first frame in one write; then more frames. */
START_TEST(test_proxy_v1_echo)
{
	struct server	 s;
	unsigned char	 wire[sizeof(V1_HEADER) + 4 + 64], p[64];
	char		 me[64], via[128];
	size_t		 n;
	int		 fd;

	server_start(&s, proxy_args);
	fd = tu_connect(s.port);
	tu_local_addr(fd, me, sizeof(me));
	tn_fill_random(p, sizeof(p), 1);
	n = strlen(V1_HEADER);
	memcpy(wire, V1_HEADER, n);
	n += tn_put_frame(wire + n, p, sizeof(p));
	send_raw(fd, wire, n);
	recv_expect(fd, p, sizeof(p));
	tu_echo_check(fd, p, 10);
	tu_echo_check(fd, p, 0);
	close(fd);
	snprintf(via, sizeof(via), V1_CLIENT " via %s: client closed after "
	    "3 frames", me);
	require_close_logged(&s, via, NULL);
	require_stat(&s, "frames", 3);
	require_stat(&s, "closed_client", 1);
	server_stop_clean(&s);
}
END_TEST

/*
 * A v2 header followed by frames, split at many points, and coalesced:
 * the bytes after the header are the frame stream, whatever the reads.
 * With a 4K buffer, a frame that follows the header can stream too.
 */
START_TEST(test_proxy_v2_splits)
{
	static const size_t cuts[] = {
		1, 5, 12, 13, 14, 15, 16, 27, 28, 29, 31, 32, 40, 60
	};
	const char *const args[] = { "--proxy-protocol", "--proxy-from",
	    "127.0.0.1", "--buffer-size", "4K", NULL };
	struct server	 s;
	unsigned char	 wire[28 + 3 * (4 + 20) + 4 + 10000], p[10000];
	size_t		 n, i, cut;
	int		 fd, k;

	server_start(&s, args);
	tn_fill_random(p, sizeof(p), 2);
	n = put_v2(wire, false);
	for (k = 0; k < 3; k++)
		n += tn_put_frame(wire + n, p, 20);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		cut = cuts[i];
		fd = tu_connect(s.port);
		send_raw(fd, wire, cut);
		tn_sleep_ms(10);
		send_raw(fd, wire + cut, n - cut);
		for (k = 0; k < 3; k++)
			recv_expect(fd, p, 20);
		close(fd);
	}
	/* Header, three frames and half of a big one; then the rest. */
	n = put_v2(wire, false);
	for (k = 0; k < 3; k++)
		n += tn_put_frame(wire + n, p, 20);
	n += tn_put_frame(wire + n, p, sizeof(p));
	fd = tu_connect(s.port);
	send_raw(fd, wire, n - 5000);
	for (k = 0; k < 3; k++)
		recv_expect(fd, p, 20);
	tn_sleep_ms(20);
	send_raw(fd, wire + n - 5000, 5000);
	recv_expect(fd, p, sizeof(p));
	close(fd);
	/* A big frame straight after the header, in the same write. */
	close(proxy_echo(s.port, false, p, sizeof(p)));
	require_stat(&s, "closed_client", (long)(sizeof(cuts) /
	    sizeof(cuts[0])) + 2);
	require_stat(&s, "frames", (long)(sizeof(cuts) / sizeof(cuts[0])) *
	    3 + 5);
	server_stop_clean(&s);
}
END_TEST

/*
 * HAProxy's health checks: a v2 LOCAL header, a frame, its echo, then a
 * reset.  Logged at debug only; without -v not at all.  A v1 UNKNOWN
 * connection is named by its real address.
 */
START_TEST(test_proxy_local_quiet)
{
	const char *const args[] = { "--proxy-protocol", "--proxy-from",
	    "127.0.0.1", NULL };
	struct server	 s;
	unsigned char	 p[4] = "ping";
	char		 me[64], *log;
	int		 fd, i;

	server_start(&s, args);
	for (i = 0; i < 3; i++)
		tn_close_reset(proxy_echo(s.port, true, p, sizeof(p)));
	/* An UNKNOWN connection that ends badly: logged, real address. */
	fd = tu_connect(s.port);
	tu_local_addr(fd, me, sizeof(me));
	send_raw(fd, "PROXY UNKNOWN\r\n\xff\xff\xff\xff", 19);
	expect_no_echo(fd);
	close(fd);
	require_close_logged(&s, "(PROXY UNKNOWN): oversize", me);
	require_stat(&s, "closed_reset", 3);
	log = server_log_read(&s);
	ck_assert_msg(strstr(log, "LOCAL") == NULL && strstr(log,
	    "reset by") == NULL, "health checks were logged:\n%s", log);
	free(log);
	server_stop_clean(&s);

	/* With -v they are, at debug, by the balancer's address. */
	server_start(&s, proxy_args);
	fd = proxy_echo(s.port, true, p, sizeof(p));
	tu_local_addr(fd, me, sizeof(me));
	tn_close_reset(fd);
	require_close_logged(&s, "debug: closed", me);
	require_close_logged(&s, "(PROXY LOCAL): reset by the balancer after "
	    "1 frame", me);
	server_stop_clean(&s);
}
END_TEST

/*
 * No header, a bad one, or a stream that ends inside it: closed, unechoed.
 * Without --proxy-protocol a header is only the start of a frame, whose
 * length "PROX" is far over --max-frame.
 */
START_TEST(test_proxy_header_required)
{
	static const struct {
		bool		 plain;		/* to the server without */
		const char	*bytes;
		size_t		 len;
		bool		 half_close;
		const char	*logged;
	} cases[] = {
		{ false, "\0\0\0\x05hello", 9, false,
		  "invalid PROXY header: no PROXY protocol signature" },
		{ false, "PROXY TCP4 1.2.3.4\r\n\0\0\0\0", 24, false,
		  "invalid PROXY header: v1 line does not have four fields" },
		{ false, "PROXY TCP4 1.2", 14, true,
		  "the stream ended before a complete PROXY header" },
		{ false, "\r\n\r\n\0\r\nQUIT\n\x22", 13, false,
		  "invalid PROXY header: v2 command" },
		{ true, V1_HEADER, sizeof(V1_HEADER) - 1, false,
		  "header announces 1347571544 bytes" },
	};
	struct server	 s[2], *to;
	char		 me[64];
	size_t		 i;
	int		 fd;

	server_start(&s[0], proxy_args);
	server_start(&s[1], NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		to = &s[cases[i].plain ? 1 : 0];
		fd = tu_connect(to->port);
		tu_local_addr(fd, me, sizeof(me));
		send_raw(fd, cases[i].bytes, cases[i].len);
		if (cases[i].half_close)
			ck_assert(shutdown(fd, SHUT_WR) == 0);
		expect_no_echo(fd);
		close(fd);
		require_close_logged(to, cases[i].logged, me);
	}
	require_stat(&s[0], "closed_proxy", (long)i - 1);
	require_stat(&s[0], "frames", 0);
	require_stat(&s[1], "closed_oversize", 1);
	server_stop_clean(&s[0]);
	server_stop_clean(&s[1]);
}
END_TEST

/*
 * A peer outside --proxy-from is closed before anything is read, named
 * by its real address; the forged one appears nowhere.
 */
START_TEST(test_proxy_untrusted)
{
	const char *const args[] = { "--proxy-protocol", "--proxy-from",
	    "10.255.0.1,::1", "-v", NULL };
	const char	 forged[] = "PROXY TCP4 6.6.6.6 10.0.1.5 666 8080\r\n";
	struct server	 s;
	unsigned char	 wire[128], p[8] = "forged!";
	char		 me[64], *log;
	size_t		 n;
	int		 fd;

	server_start(&s, args);
	fd = tu_connect(s.port);
	tu_local_addr(fd, me, sizeof(me));
	n = strlen(forged);
	memcpy(wire, forged, n);
	n += tn_put_frame(wire + n, p, sizeof(p));
	send_raw(fd, wire, n);
	expect_no_echo(fd);
	close(fd);
	require_close_logged(&s, "not in --proxy-from, nothing read", me);
	require_stat(&s, "closed_untrusted", 1);
	require_stat(&s, "frames", 0);
	log = server_log_read(&s);
	ck_assert_msg(strstr(log, "6.6.6.6") == NULL, "the forged address "
	    "was logged:\n%s", log);
	free(log);
	server_stop_clean(&s);
}
END_TEST

/*
 * A connection that has sent nothing of its header does not hold up a
 * shutdown; one whose header has begun is waited for, as a frame in
 * progress is, up to --shutdown-timeout.
 */
static const struct {
	const char	*shutdown_timeout;
	const char	*sent;		/* of the header, before SIGTERM */
	long		 min_ms, max_ms;
} header_stops[] = {
	{ "10", "", 0, 5000 },
	{ "1", "PROXY TCP4 10", 500, 5000 },
};

START_TEST(test_proxy_sigterm_waiting)
{
	const char *const args[] = { "--proxy-protocol", "--proxy-from",
	    "127.0.0.1", "--io-timeout", "30", "--shutdown-timeout",
	    header_stops[_i].shutdown_timeout, NULL };
	struct server	 s;
	long		 elapsed;
	int		 fd, status;

	server_start(&s, args);
	fd = tu_connect(s.port);
	send_raw(fd, header_stops[_i].sent, strlen(header_stops[_i].sent));
	tn_sleep_ms(100);
	elapsed = stop_timed(&s, SIGTERM, &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "exit status 0x%x after SIGTERM", status);
	ck_assert_msg(elapsed >= header_stops[_i].min_ms &&
	    elapsed < header_stops[_i].max_ms, "with \"%s\" of a PROXY header "
	    "sent, the server stopped %ld ms after SIGTERM (--io-timeout 30, "
	    "--shutdown-timeout %s)", header_stops[_i].sent, elapsed,
	    header_stops[_i].shutdown_timeout);
	ck_assert(tn_wait_closed(fd, 1000));
	close(fd);
}
END_TEST

static Suite *
server_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("msgserverd");

	tc = tcase_create("Echo");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_echo_sizes, 0, BUFFERS);
	tcase_add_test(tc, test_echo_split_and_coalesced);
	tcase_add_loop_test(tc, test_echo_pipelined, 0, BUFFERS);
	tcase_add_test(tc, test_echo_concurrent);
	tcase_add_test(tc, test_many_connections_no_leak);
	tcase_add_test(tc, test_fd_table_presized);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_oversize_closes_only_that);
	tcase_add_test(tc, test_oversize_boundaries);
	tcase_add_test(tc, test_eof_inside_header);
	tcase_add_test(tc, test_eof_inside_payload);
	tcase_add_test(tc, test_eof_at_boundary);
	tcase_add_test(tc, test_reset_logged);
	tcase_add_loop_test(tc, test_idle_timeout_silent, 0,
	    (int)(sizeof(idlers) / sizeof(idlers[0])));
	tcase_add_test(tc, test_idle_timeout_active);
	tcase_add_test(tc, test_io_timeout_partial_frame);
	tcase_add_loop_test(tc, test_io_timeout_trickle, 0,
	    (int)(sizeof(trickles) / sizeof(trickles[0])));
	tcase_add_test(tc, test_io_timeout_stalled_reader);
	tcase_add_test(tc, test_reject_when_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("Lifecycle");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sigterm_under_load);
	tcase_add_test(tc, test_sigterm_idle_client);
	tcase_add_test(tc, test_sigterm_stalled_frame);
	tcase_add_test(tc, test_sigint_with_queued_client);
	tcase_add_test(tc, test_sigusr1_stats);
	tcase_add_test(tc, test_sighup_survives);
	tcase_add_loop_test(tc, test_worker_policy, 0,
	    (int)(sizeof(policies) / sizeof(policies[0])));
	tcase_add_test(tc, test_client_vanishes_mid_echo);
	tcase_add_loop_test(tc, test_bad_command_line, 0,
	    (int)(sizeof(bad_cmdlines) / sizeof(bad_cmdlines[0])));
	tcase_add_test(tc, test_version_and_help);
	tcase_add_test(tc, test_port_in_use);
	suite_add_tcase(s, tc);

	tc = tcase_create("Proxy");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_proxy_v1_echo);
	tcase_add_test(tc, test_proxy_v2_splits);
	tcase_add_test(tc, test_proxy_local_quiet);
	tcase_add_test(tc, test_proxy_header_required);
	tcase_add_test(tc, test_proxy_untrusted);
	tcase_add_loop_test(tc, test_proxy_sigterm_waiting, 0,
	    (int)(sizeof(header_stops) / sizeof(header_stops[0])));
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(server_suite());
}
