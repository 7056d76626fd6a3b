/*
 * check_msgframe.c - unit tests for libmsgframe (src/msgframe.h).
 *
 * Links against libmsgframe and Check only and uses the public API only.
 * Every peer is a socketpair(2), a pipe(2) or a loopback TCP connection;
 * every wait is bounded.  Helper threads never call ck_assert (a failed
 * assertion unwinds the calling thread only, or longjmps across threads
 * with CK_FORK=no); they record what happened and the test's own thread
 * checks it after pthread_join.
 *
 * TCase "Core": codec, round trips, short reads and writes, EINTR, end of
 * stream, SIGPIPE, timeouts, msgframe_strerror.
 * TCase "Limits": the receiver's cap, huge announced lengths, 1 MiB and
 * 10,000-frame transfers, and msgframe_scan against a reference parser.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msgframe.h"
#include "testutil.h"

#define BIG_FRAME	(1024 * 1024)
#define BIG_COUNT	4
#define MANY_COUNT	10000
#define MANY_MAXLEN	1024
#define MANY_POOL	(64 * 1024)	/* random bytes frames are cut from */
#define WAIT_MS		5000	/* upper bound on any handshake */

/* One byte at a time, each write waiting until the reader took the last. */
struct dribble {
	int			 fd;	/* writing end */
	int			 peer;	/* reading end, polled with FIONREAD */
	const unsigned char	*data;
	size_t			 len;
	int			 err;	/* 0, or the errno that stopped us */
};

/* A thread that sends or receives frames for the test's thread. */
struct worker {
	int		fd;
	uint64_t	seed;
	int		count;
	int		err;		/* errno of a failed call, or 0 */
	int		bad;		/* 1 when received data did not match */
	int		frames;		/* frames done */
	pthread_t	signal_target;	/* for the EINTR tests */
	int		signals;	/* how many SIGUSR1 to send */
};

static int	sv[2] = { -1, -1 };
/* Filled before the writer thread starts, read-only afterwards. */
static unsigned char many_pool[MANY_POOL];
static volatile sig_atomic_t usr1_hits;

static void	setup_pair(void);
static void	teardown_pair(void);
static void	close_fd(int *);
static uint32_t	rng_next(uint64_t *);
static void	fill_pattern(unsigned char *, size_t, uint64_t);
static void	stamp(unsigned char *, size_t, int);
static const unsigned char *many_next(uint64_t *, uint32_t *);
static int64_t	now_ms(void);
static void	msleep(long);
static void	put_raw(int, const void *, size_t);
static void	sigpipe_default(sigset_t *);
static void	assert_sigpipe_clean(const sigset_t *);
static int	wait_drained(int);
static int	wait_unread(int);
static void	*dribble_main(void *);
static void	*big_reader_main(void *);
static void	*many_writer_main(void *);
static void	*signaller_main(void *);
static void	*signalling_reader_main(void *);
static void	usr1_handler(int);
static void	usr1_install(struct sigaction *);
static void	usr1_restore(const struct sigaction *);
static int	ref_scan(const unsigned char *, size_t, uint32_t,
		    struct msgframe_scan *);
static void	compare_scan(const unsigned char *, size_t, uint32_t);
static void	check_scan(const unsigned char *, size_t, uint32_t);
static size_t	build_frame(unsigned char *, uint32_t, const void *);
static Suite	*msgframe_suite(void);

static void
setup_pair(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
}

static void
teardown_pair(void)
{
	close_fd(&sv[0]);
	close_fd(&sv[1]);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		(void)close(*fd);
		*fd = -1;
	}
}

/* xorshift64*: reproducible, per-thread, good enough for test data. */
static uint32_t
rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545F4914F6CDD1DULL) >> 32);
}

static void
fill_pattern(unsigned char *p, size_t n, uint64_t seed)
{
	size_t	i;

	seed |= 1;	/* xorshift must not start at 0 */
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)rng_next(&seed);
}

/*
 * Make big frame i of a run distinct: its index at both ends of the one
 * random pattern (cheaper than a fresh megabyte of random bytes per
 * frame, which sanitizers and valgrind make slow).
 */
static void
stamp(unsigned char *p, size_t n, int i)
{
	msgframe_encode_header(p, (uint32_t)i);
	msgframe_encode_header(p + n - MSGFRAME_HEADER_SIZE, (uint32_t)i);
}

/*
 * The next frame of test_many_frames: a random length (one in eight
 * empty) and random bytes from many_pool, at a random offset.  Writer
 * and reader call it with the same seed and get the same frames.
 */
static const unsigned char *
many_next(uint64_t *s, uint32_t *len)
{
	*len = rng_next(s) % 8 == 0 ? 0 : rng_next(s) % (MANY_MAXLEN + 1);
	return many_pool + rng_next(s) % (MANY_POOL - MANY_MAXLEN);
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
msleep(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Raw bytes onto the stream, bypassing the library under test. */
static void
put_raw(int fd, const void *buf, size_t n)
{
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
}

/*
 * SIGPIPE at its default action (kill the process) and unblocked, so a
 * SIGPIPE the library let through would end the test.  *mask receives
 * the resulting mask, to check it later.
 */
static void
sigpipe_default(sigset_t *mask)
{
	sigset_t	set, pending;

	ck_assert(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, mask), 0);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
}

/* The mask is as before and no SIGPIPE was left pending. */
static void
assert_sigpipe_clean(const sigset_t *before)
{
	sigset_t	now, pending;
	int		sig;

	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &now), 0);
	for (sig = 1; sig < NSIG; sig++)
		ck_assert_int_eq(sigismember(&now, sig),
		    sigismember(before, sig));
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
}

/* Wait until the reading end holds no unread byte: 0, or -1 on timeout. */
static int
wait_drained(int peer)
{
	int64_t	deadline = now_ms() + WAIT_MS;
	int	avail;

	for (;;) {
		if (ioctl(peer, FIONREAD, &avail) == -1)
			return -1;
		if (avail == 0)
			return 0;
		if (now_ms() > deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)sched_yield();
	}
}

/* Wait until the reading end holds unread bytes: 0, or -1 on timeout. */
static int
wait_unread(int fd)
{
	int64_t	deadline = now_ms() + WAIT_MS;
	int	avail;

	for (;;) {
		if (ioctl(fd, FIONREAD, &avail) == -1)
			return -1;
		if (avail > 0)
			return 0;
		if (now_ms() > deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		msleep(1);
	}
}

/*
 * Write d->data one byte per write(2), and before each next byte wait
 * for the reader to take the previous one: every read the library makes
 * then returns exactly one byte, header and payload alike.
 */
static void *
dribble_main(void *arg)
{
	struct dribble	*d = arg;
	size_t		 i;
	ssize_t		 n;

	for (i = 0; i < d->len; i++) {
		do
			n = write(d->fd, d->data + i, 1);
		while (n == -1 && errno == EINTR);
		if (n != 1 || wait_drained(d->peer) == -1) {
			d->err = n == 0 ? EIO : errno;
			return NULL;
		}
	}
	return NULL;
}

/* Receive BIG_COUNT frames of BIG_FRAME bytes and check their contents. */
static void *
big_reader_main(void *arg)
{
	struct worker	*w = arg;
	unsigned char	*buf, *want;
	size_t		 len;
	int		 i, rc;

	buf = malloc(BIG_FRAME);
	want = malloc(BIG_FRAME);
	if (buf == NULL || want == NULL) {
		w->err = ENOMEM;
		goto out;
	}
	fill_pattern(want, BIG_FRAME, w->seed);
	for (i = 0; i < w->count; i++) {
		rc = msgframe_recv(w->fd, buf, BIG_FRAME, &len);
		if (rc != 1) {
			w->err = rc == 0 ? EPROTO : errno;
			break;
		}
		stamp(want, BIG_FRAME, i);
		if (len != BIG_FRAME || memcmp(buf, want, BIG_FRAME) != 0) {
			w->bad = 1;
			break;
		}
		w->frames++;
	}
out:
	free(buf);
	free(want);
	return NULL;
}

/* Send w->count frames of random size and content, derived from w->seed. */
static void *
many_writer_main(void *arg)
{
	struct worker		*w = arg;
	const unsigned char	*p;
	uint64_t		 s = w->seed | 1;
	uint32_t		 len;
	int			 i;

	for (i = 0; i < w->count; i++) {
		p = many_next(&s, &len);
		if (msgframe_send(w->fd, p, len) == -1) {
			w->err = errno;
			break;
		}
		w->frames++;
	}
	return NULL;
}

/* Interrupt the target thread with SIGUSR1 a few times, then send a frame. */
static void *
signaller_main(void *arg)
{
	struct worker	*w = arg;
	static const char msg[] = "after the signals";
	unsigned char	 hdr[MSGFRAME_HEADER_SIZE];
	int		 i;

	for (i = 0; i < w->signals; i++) {
		msleep(2);
		if (pthread_kill(w->signal_target, SIGUSR1) != 0) {
			w->err = EINVAL;
			return NULL;
		}
		/* Halfway, the header alone: the payload read is interrupted too. */
		if (i == w->signals / 2) {
			msgframe_encode_header(hdr, sizeof(msg));
			if (msgframe_write_full(w->fd, hdr, sizeof(hdr)) == -1) {
				w->err = errno;
				return NULL;
			}
		}
	}
	if (msgframe_write_full(w->fd, msg, sizeof(msg)) == -1)
		w->err = errno;
	return NULL;
}

/*
 * Interrupt the target (a sender) a few times, then read its big frames.
 * The first signal waits for bytes to arrive: the sender is then inside
 * a sendmsg(2) that cannot finish (nothing is read yet), so the signals
 * cut it short or, once it blocks again with nothing sent, fail it with
 * EINTR.
 */
static void *
signalling_reader_main(void *arg)
{
	struct worker	*w = arg;
	int		 i;

	if (wait_unread(w->fd) == -1) {
		w->err = errno;
		return NULL;
	}
	for (i = 0; i < w->signals; i++) {
		msleep(2);
		if (pthread_kill(w->signal_target, SIGUSR1) != 0) {
			w->err = EINVAL;
			return NULL;
		}
	}
	return big_reader_main(w);
}

static void
usr1_handler(int sig)
{
	(void)sig;
	usr1_hits++;
}

/* A SIGUSR1 handler without SA_RESTART, so blocked calls fail with EINTR. */
static void
usr1_install(struct sigaction *old)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	usr1_hits = 0;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, old), 0);
}

static void
usr1_restore(const struct sigaction *old)
{
	ck_assert_int_eq(sigaction(SIGUSR1, old, NULL), 0);
}

/* The obvious parser, in 64-bit arithmetic, to check msgframe_scan with. */
static int
ref_scan(const unsigned char *b, size_t len, uint32_t max,
    struct msgframe_scan *s)
{
	uint64_t	off = 0, n;
	int		rc = 0;

	memset(s, 0, sizeof(*s));
	while (len - off >= 4) {
		n = (uint64_t)b[off] << 24 | (uint64_t)b[off + 1] << 16 |
		    (uint64_t)b[off + 2] << 8 | b[off + 3];
		if (n > max || off + 4 + n > len) {
			s->has_next = 1;
			s->next_len = (uint32_t)n;
			rc = n > max ? -1 : 0;
			break;
		}
		off += 4 + n;
		s->frames++;
	}
	s->complete = (size_t)off;
	return rc;
}

/*
 * Scan b[0..len-1] and compare every field with the reference parser.
 * Callers place those bytes at the very end of a heap block, so ASan
 * reports any read past buf[len - 1].
 */
static void
compare_scan(const unsigned char *b, size_t len, uint32_t max)
{
	struct msgframe_scan	got, want;
	int			rc, wrc, err;

	memset(&got, 0xa5, sizeof(got));	/* every field must be written */
	errno = 0;
	rc = msgframe_scan(b, len, max, &got);
	err = errno;
	wrc = ref_scan(b, len, max, &want);
	/*
	 * One test of everything, asserting only on a mismatch: Check
	 * records a mark point for every ck_assert that passes, which
	 * would dominate this hot loop's run time.
	 */
	if (rc != wrc || (rc == -1 && err != EMSGSIZE) ||
	    got.complete != want.complete || got.frames != want.frames ||
	    got.has_next != want.has_next ||
	    (want.has_next && got.next_len != want.next_len))
		ck_abort_msg("scan of %zu bytes, max %u: got rc %d errno %d "
		    "complete %zu frames %zu has_next %d next_len %u; want "
		    "rc %d complete %zu frames %zu has_next %d next_len %u",
		    len, (unsigned)max, rc, err, got.complete, got.frames,
		    got.has_next, (unsigned)got.next_len, wrc, want.complete,
		    want.frames, want.has_next, (unsigned)want.next_len);
}

/* compare_scan() on a heap copy of exactly len bytes. */
static void
check_scan(const unsigned char *b, size_t len, uint32_t max)
{
	unsigned char	*copy;

	copy = malloc(len == 0 ? 1 : len);
	ck_assert_ptr_nonnull(copy);
	if (len > 0)
		memcpy(copy, b, len);
	compare_scan(copy, len, max);
	free(copy);
}

/* Write header and payload to dst; returns the bytes written. */
static size_t
build_frame(unsigned char *dst, uint32_t len, const void *payload)
{
	msgframe_encode_header(dst, len);
	if (len > 0)
		memcpy(dst + MSGFRAME_HEADER_SIZE, payload, len);
	return MSGFRAME_HEADER_SIZE + (size_t)len;
}

/* ---- Core ------------------------------------------------------------- */

START_TEST(test_header_codec)
{
	static const uint32_t	values[] = { 0, 1, 0xff, 0x100, 0x01020304,
	    0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff };
	unsigned char		hdr[MSGFRAME_HEADER_SIZE];
	size_t			i;

	/* Big-endian, most significant byte first. */
	msgframe_encode_header(hdr, 0x01020304);
	ck_assert_int_eq(hdr[0], 1);
	ck_assert_int_eq(hdr[1], 2);
	ck_assert_int_eq(hdr[2], 3);
	ck_assert_int_eq(hdr[3], 4);
	msgframe_encode_header(hdr, 0);
	ck_assert_int_eq(hdr[0] | hdr[1] | hdr[2] | hdr[3], 0);
	msgframe_encode_header(hdr, 0xffffffff);
	ck_assert_int_eq(hdr[0] & hdr[1] & hdr[2] & hdr[3], 0xff);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		msgframe_encode_header(hdr, values[i]);
		ck_assert_uint_eq(msgframe_decode_header(hdr), values[i]);
	}
}
END_TEST

START_TEST(test_roundtrip)
{
	static const char	msg[] = "hello, framed world";
	char			buf[64];
	size_t			len = 12345;

	ck_assert_int_eq(msgframe_send(sv[1], msg, sizeof(msg)), 0);
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 1);
	ck_assert_uint_eq(len, sizeof(msg));
	ck_assert_mem_eq(buf, msg, sizeof(msg));

	/* And back the other way: the pair is full duplex. */
	ck_assert_int_eq(msgframe_send(sv[0], buf, (uint32_t)len), 0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(msgframe_recv(sv[1], buf, sizeof(buf), &len), 1);
	ck_assert_uint_eq(len, sizeof(msg));
	ck_assert_str_eq(buf, msg);
}
END_TEST

/* A pipe is not a socket: send takes the writev fallback path. */
START_TEST(test_roundtrip_pipe)
{
	static const char	msg[] = "through a pipe";
	char			buf[64];
	size_t			len;
	int			p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(msgframe_send(p[1], msg, sizeof(msg)), 0);
	ck_assert_int_eq(msgframe_send(p[1], NULL, 0), 0);
	ck_assert_int_eq(msgframe_write_full(p[1], "\0\0\0\1x", 5), 0);
	ck_assert_int_eq(close(p[1]), 0);
	ck_assert_int_eq(msgframe_recv(p[0], buf, sizeof(buf), &len), 1);
	ck_assert_uint_eq(len, sizeof(msg));
	ck_assert_mem_eq(buf, msg, sizeof(msg));
	ck_assert_int_eq(msgframe_recv(p[0], buf, sizeof(buf), &len), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(msgframe_recv(p[0], buf, sizeof(buf), &len), 1);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(buf[0], 'x');
	ck_assert_int_eq(msgframe_recv(p[0], buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(close(p[0]), 0);
}
END_TEST

/*
 * SOCK_SEQPACKET keeps the boundaries of each sendmsg(2): one record of
 * 4 + N bytes proves header and payload left in a single call.
 */
START_TEST(test_single_sendmsg)
{
	static const char	msg[] = "one record";
	unsigned char		rec[64];
	int			sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, sp), 0);
	ck_assert_int_eq(msgframe_send(sp[1], msg, sizeof(msg)), 0);
	ck_assert_int_eq(recv(sp[0], rec, sizeof(rec), 0),
	    MSGFRAME_HEADER_SIZE + (ssize_t)sizeof(msg));
	ck_assert_uint_eq(msgframe_decode_header(rec), sizeof(msg));
	ck_assert_mem_eq(rec + MSGFRAME_HEADER_SIZE, msg, sizeof(msg));
	/* An empty frame is one 4-byte record, not a header plus nothing. */
	ck_assert_int_eq(msgframe_send(sp[1], NULL, 0), 0);
	ck_assert_int_eq(recv(sp[0], rec, sizeof(rec), 0),
	    MSGFRAME_HEADER_SIZE);
	ck_assert_uint_eq(msgframe_decode_header(rec), 0);
	ck_assert_int_eq(close(sp[0]), 0);
	ck_assert_int_eq(close(sp[1]), 0);
}
END_TEST

START_TEST(test_zero_length_alone)
{
	char	buf[8];
	size_t	len = 99;

	ck_assert_int_eq(msgframe_send(sv[1], "", 0), 0);
	close_fd(&sv[1]);
	/* 1 with *len = 0: an empty frame, then 0: the end of the stream. */
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 0);
}
END_TEST

START_TEST(test_zero_length_between)
{
	static const char	*const msgs[] = { "a", "", "bc", "", "", "def", "" };
	char			 buf[8];
	size_t			 i, len;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		ck_assert_int_eq(msgframe_send(sv[1], msgs[i],
		    (uint32_t)strlen(msgs[i])), 0);
	close_fd(&sv[1]);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		memset(buf, 0, sizeof(buf));
		ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf) - 1,
		    &len), 1);
		ck_assert_uint_eq(len, strlen(msgs[i]));
		ck_assert_str_eq(buf, msgs[i]);
	}
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 0);
}
END_TEST

/* NULL buffers are fine with zero sizes, and rejected otherwise. */
START_TEST(test_null_buffers)
{
	char	buf[4];
	size_t	len = 7;

	ck_assert_int_eq(msgframe_send(sv[1], NULL, 0), 0);
	ck_assert_int_eq(msgframe_recv(sv[0], NULL, 0, &len), 1);
	ck_assert_uint_eq(len, 0);

	/* cap 0 and a 1-byte frame: EMSGSIZE, the byte stays unread. */
	ck_assert_int_eq(msgframe_send(sv[1], "z", 1), 0);
	errno = 0;
	ck_assert_int_eq(msgframe_recv(sv[0], NULL, 0, &len), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(msgframe_read_full(sv[0], buf, 1), 1);
	ck_assert_int_eq(buf[0], 'z');

	errno = 0;
	ck_assert_int_eq(msgframe_send(sv[1], NULL, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(msgframe_recv(sv[0], NULL, 1, &len), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(msgframe_write_full(sv[1], NULL, 0), 0);
	ck_assert_int_eq(msgframe_read_full(sv[0], NULL, 0), 0);
	errno = 0;
	ck_assert_int_eq(msgframe_read_full(sv[0], buf, (size_t)SSIZE_MAX + 1),
	    -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_dribble_recv)
{
	unsigned char	 wire[2 * MSGFRAME_HEADER_SIZE + 200], buf[200];
	unsigned char	 payload[200];
	struct dribble	 d;
	pthread_t	 t;
	size_t		 off, len;

	fill_pattern(payload, sizeof(payload), 7);
	off = build_frame(wire, sizeof(payload), payload);
	off += build_frame(wire + off, 0, NULL);	/* then an empty one */
	memset(&d, 0, sizeof(d));
	d.fd = sv[1];
	d.peer = sv[0];
	d.data = wire;
	d.len = off;
	ck_assert_int_eq(pthread_create(&t, NULL, dribble_main, &d), 0);
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 1);
	ck_assert_uint_eq(len, sizeof(payload));
	ck_assert_mem_eq(buf, payload, sizeof(payload));
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(d.err, 0);
}
END_TEST

START_TEST(test_dribble_read_full)
{
	unsigned char	data[100], buf[sizeof(data)];
	struct dribble	d;
	pthread_t	t;

	fill_pattern(data, sizeof(data), 11);
	memset(&d, 0, sizeof(d));
	d.fd = sv[1];
	d.peer = sv[0];
	d.data = data;
	d.len = sizeof(data);
	ck_assert_int_eq(pthread_create(&t, NULL, dribble_main, &d), 0);
	ck_assert_int_eq(msgframe_read_full(sv[0], buf, sizeof(buf)),
	    (ssize_t)sizeof(buf));
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(d.err, 0);
	ck_assert_mem_eq(buf, data, sizeof(data));
}
END_TEST

/* Signals without SA_RESTART interrupt the header and payload reads. */
START_TEST(test_eintr_recv)
{
	struct sigaction	old;
	struct worker		w;
	pthread_t		t;
	char			buf[64];
	size_t			len;
	int			rc;

	usr1_install(&old);
	memset(&w, 0, sizeof(w));
	w.fd = sv[1];
	w.signal_target = pthread_self();
	w.signals = 6;
	ck_assert_int_eq(pthread_create(&t, NULL, signaller_main, &w), 0);
	rc = msgframe_recv(sv[0], buf, sizeof(buf), &len);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	usr1_restore(&old);
	ck_assert_int_eq(w.err, 0);
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(len, sizeof("after the signals"));
	ck_assert_str_eq(buf, "after the signals");
	ck_assert_int_ge(usr1_hits, 1);
}
END_TEST

/* Signals interrupt a sendmsg blocked on a full socket: short writes. */
START_TEST(test_eintr_send)
{
	struct sigaction	 old;
	struct worker		 w;
	pthread_t		 t;
	unsigned char		*big;
	int			 rc, i;

	big = malloc(BIG_FRAME);
	ck_assert_ptr_nonnull(big);
	usr1_install(&old);
	memset(&w, 0, sizeof(w));
	w.fd = sv[0];
	w.seed = 42;
	w.count = 2;
	w.signal_target = pthread_self();
	w.signals = 5;
	ck_assert_int_eq(pthread_create(&t, NULL, signalling_reader_main,
	    &w), 0);
	rc = 0;
	fill_pattern(big, BIG_FRAME, w.seed);
	for (i = 0; i < w.count && rc == 0; i++) {
		stamp(big, BIG_FRAME, i);
		rc = msgframe_send(sv[1], big, BIG_FRAME);
	}
	if (rc != 0)
		close_fd(&sv[1]);	/* the reader sees EPROTO, not a hang */
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	usr1_restore(&old);
	free(big);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(w.err, 0);
	ck_assert_int_eq(w.bad, 0);
	ck_assert_int_eq(w.frames, w.count);
}
END_TEST

START_TEST(test_eof_clean)
{
	char	buf[8];
	size_t	len;

	close_fd(&sv[1]);
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 0);
	/* And it stays at end of stream. */
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 0);
}
END_TEST

/* Loop test: _i = 1, 2, 3 header bytes, then end of stream. */
START_TEST(test_eof_in_header)
{
	static const unsigned char hdr[] = { 0, 0, 0, 5 };
	char			buf[8];
	size_t			len;

	put_raw(sv[1], hdr, (size_t)_i);
	close_fd(&sv[1]);
	errno = 0;
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), -1);
	ck_assert_int_eq(errno, EPROTO);
}
END_TEST

/* Loop test: a 10-byte frame cut after _i = 0, 1, 9 payload bytes. */
START_TEST(test_eof_in_payload)
{
	static const size_t	cut[] = { 0, 1, 9 };
	unsigned char		wire[MSGFRAME_HEADER_SIZE + 10];
	char			buf[16];
	size_t			len;

	build_frame(wire, 10, "0123456789");
	put_raw(sv[1], wire, MSGFRAME_HEADER_SIZE + cut[_i]);
	close_fd(&sv[1]);
	errno = 0;
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), -1);
	ck_assert_int_eq(errno, EPROTO);
}
END_TEST

/* A closed socket peer: EPIPE, and no SIGPIPE though its action is default. */
START_TEST(test_send_closed_socket)
{
	sigset_t	mask;
	int		rc;

	sigpipe_default(&mask);
	close_fd(&sv[0]);
	errno = 0;
	rc = msgframe_send(sv[1], "lost", 4);
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(errno == EPIPE || errno == ECONNRESET,
	    "errno %d (%s)", errno, strerror(errno));
	errno = 0;
	ck_assert_int_eq(msgframe_write_full(sv[1], "lost", 4), -1);
	ck_assert_msg(errno == EPIPE || errno == ECONNRESET,
	    "errno %d (%s)", errno, strerror(errno));
	assert_sigpipe_clean(&mask);
}
END_TEST

/* A TCP peer that reset the connection: EPIPE or ECONNRESET, no SIGPIPE. */
START_TEST(test_send_reset_tcp)
{
	struct sockaddr_in	sin;
	struct linger		lg = { 1, 0 };
	socklen_t		slen = sizeof(sin);
	sigset_t		mask;
	int			lfd, cfd, afd, i, rc = 0;

	sigpipe_default(&mask);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	/* Linger 0: close sends RST, the harshest end a sender can meet. */
	ck_assert_int_eq(setsockopt(afd, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	ck_assert_int_eq(close(afd), 0);
	/* The RST may land after a send or two; bounded retries. */
	for (i = 0; i < 1000; i++) {
		errno = 0;
		if ((rc = msgframe_send(cfd, "late", 4)) == -1)
			break;
		msleep(1);
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(errno == EPIPE || errno == ECONNRESET,
	    "errno %d (%s)", errno, strerror(errno));
	assert_sigpipe_clean(&mask);
	ck_assert_int_eq(close(cfd), 0);
	ck_assert_int_eq(close(lfd), 0);
}
END_TEST

/* A pipe with no reader: the writev fallback, still no SIGPIPE. */
START_TEST(test_send_closed_pipe)
{
	sigset_t	mask;
	int		p[2];

	sigpipe_default(&mask);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(close(p[0]), 0);
	errno = 0;
	ck_assert_int_eq(msgframe_send(p[1], "lost", 4), -1);
	ck_assert_int_eq(errno, EPIPE);
	assert_sigpipe_clean(&mask);
	errno = 0;
	ck_assert_int_eq(msgframe_send(p[1], NULL, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	assert_sigpipe_clean(&mask);
	errno = 0;
	ck_assert_int_eq(msgframe_write_full(p[1], "lost", 4), -1);
	ck_assert_int_eq(errno, EPIPE);
	assert_sigpipe_clean(&mask);
	ck_assert_int_eq(close(p[1]), 0);
}
END_TEST

/*
 * A SIGPIPE that was pending (blocked) before the call is the caller's:
 * the library must leave it pending and keep the caller's mask.
 */
START_TEST(test_send_pipe_pending_sigpipe)
{
	struct timespec	zero = { 0, 0 };
	sigset_t	set, before, after, pending;
	int		p[2];

	sigpipe_default(&before);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &set, &before), 0);
	ck_assert_int_eq(raise(SIGPIPE), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(close(p[0]), 0);
	errno = 0;
	ck_assert_int_eq(msgframe_send(p[1], "lost", 4), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 1);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, NULL, &after), 0);
	ck_assert_int_eq(sigismember(&after, SIGPIPE), 1);
	/* Take it back ourselves before unblocking, or it would kill us. */
	ck_assert_int_eq(sigtimedwait(&set, NULL, &zero), SIGPIPE);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &before, NULL), 0);
	ck_assert_int_eq(close(p[1]), 0);
}
END_TEST

START_TEST(test_read_full_short)
{
	char	buf[16];

	put_raw(sv[1], "abc", 3);
	close_fd(&sv[1]);
	ck_assert_int_eq(msgframe_read_full(sv[0], buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "abc", 3);
	ck_assert_int_eq(msgframe_read_full(sv[0], buf, sizeof(buf)), 0);
}
END_TEST

/* SO_RCVTIMEO expiring surfaces as EAGAIN, not as EOF or EPROTO. */
START_TEST(test_rcvtimeo_eagain)
{
	struct timeval	tv = { 0, 20 * 1000 };
	char		buf[8];
	size_t		len;
	int64_t		t0;

	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	t0 = now_ms();
	errno = 0;
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), -1);
	ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK,
	    "errno %d (%s)", errno, strerror(errno));
	ck_assert_int_ge(now_ms() - t0, 15);

	/* Half a header, then silence: still a timeout. */
	put_raw(sv[1], "\0\0", 2);
	errno = 0;
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), -1);
	ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK,
	    "errno %d (%s)", errno, strerror(errno));

	errno = 0;
	ck_assert_int_eq(msgframe_read_full(sv[0], buf, 1), -1);
	ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK,
	    "errno %d (%s)", errno, strerror(errno));
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(msgframe_strerror(EMSGSIZE),
	    "frame larger than the receiver accepts");
	ck_assert_str_eq(msgframe_strerror(EPROTO),
	    "stream ended inside a frame");
	ck_assert_str_eq(msgframe_strerror(ENOENT), strerror(ENOENT));
	ck_assert_str_eq(msgframe_strerror(ECONNRESET), strerror(ECONNRESET));
	ck_assert_ptr_nonnull(msgframe_strerror(0));
}
END_TEST

/* ---- Limits ----------------------------------------------------------- */

#define CAP	64

START_TEST(test_cap_exact)
{
	unsigned char	 data[CAP], *buf;
	size_t		 len;

	/* Exactly cap bytes of heap: ASan sees any write past the end. */
	buf = malloc(CAP);
	ck_assert_ptr_nonnull(buf);
	fill_pattern(data, CAP, 3);
	ck_assert_int_eq(msgframe_send(sv[1], data, CAP), 0);
	ck_assert_int_eq(msgframe_recv(sv[0], buf, CAP, &len), 1);
	ck_assert_uint_eq(len, CAP);
	ck_assert_mem_eq(buf, data, CAP);
	free(buf);
}
END_TEST

START_TEST(test_cap_plus_one)
{
	unsigned char	 data[CAP + 1], rest[CAP + 1], *buf;
	char		 tail[8];
	size_t		 len = 0;
	int		 i;

	buf = malloc(CAP);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0x5a, CAP);
	fill_pattern(data, sizeof(data), 5);
	ck_assert_int_eq(msgframe_send(sv[1], data, sizeof(data)), 0);
	ck_assert_int_eq(msgframe_send(sv[1], "next", 4), 0);
	errno = 0;
	ck_assert_int_eq(msgframe_recv(sv[0], buf, CAP, &len), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(len, CAP + 1);
	/* Nothing was written into the buffer... */
	for (i = 0; i < CAP; i++)
		ck_assert_int_eq(buf[i], 0x5a);
	/* ...and nothing past the header was consumed. */
	ck_assert_int_eq(msgframe_read_full(sv[0], rest, sizeof(rest)),
	    (ssize_t)sizeof(rest));
	ck_assert_mem_eq(rest, data, sizeof(rest));
	ck_assert_int_eq(msgframe_recv(sv[0], tail, sizeof(tail), &len), 1);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(tail, "next", 4);
	free(buf);
}
END_TEST

START_TEST(test_header_max)
{
	static const unsigned char wire[] = { 0xff, 0xff, 0xff, 0xff, 'A', 'B' };
	char			buf[1024];
	size_t			len = 0;

	put_raw(sv[1], wire, sizeof(wire));
	errno = 0;
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(len, 0xffffffffu);
	ck_assert_int_eq(msgframe_read_full(sv[0], buf, 2), 2);
	ck_assert_mem_eq(buf, "AB", 2);
}
END_TEST

/* 1 MiB frames exceed the socket buffer: a concurrent reader is needed. */
START_TEST(test_big_frames)
{
	struct worker	 w;
	pthread_t	 t;
	unsigned char	*big;
	int		 i, rc = 0;

	big = malloc(BIG_FRAME);
	ck_assert_ptr_nonnull(big);
	memset(&w, 0, sizeof(w));
	w.fd = sv[0];
	w.seed = 1000;
	w.count = BIG_COUNT;
	ck_assert_int_eq(pthread_create(&t, NULL, big_reader_main, &w), 0);
	fill_pattern(big, BIG_FRAME, w.seed);
	for (i = 0; i < BIG_COUNT && rc == 0; i++) {
		stamp(big, BIG_FRAME, i);
		rc = msgframe_send(sv[1], big, BIG_FRAME);
	}
	if (rc != 0)
		close_fd(&sv[1]);	/* the reader sees EPROTO, not a hang */
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	free(big);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(w.err, 0);
	ck_assert_int_eq(w.bad, 0);
	ck_assert_int_eq(w.frames, BIG_COUNT);
}
END_TEST

/* The same through a pipe: the writev fallback with big payloads. */
START_TEST(test_big_frames_pipe)
{
	struct worker	 w;
	pthread_t	 t;
	unsigned char	*big;
	int		 p[2], i, rc = 0;

	big = malloc(BIG_FRAME);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(pipe(p), 0);
	memset(&w, 0, sizeof(w));
	w.fd = p[0];
	w.seed = 2000;
	w.count = 2;
	ck_assert_int_eq(pthread_create(&t, NULL, big_reader_main, &w), 0);
	fill_pattern(big, BIG_FRAME, w.seed);
	for (i = 0; i < w.count && rc == 0; i++) {
		stamp(big, BIG_FRAME, i);
		rc = msgframe_send(p[1], big, BIG_FRAME);
	}
	if (rc != 0)
		close_fd(&p[1]);	/* the reader sees EPROTO, not a hang */
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	free(big);
	close_fd(&p[0]);
	close_fd(&p[1]);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(w.err, 0);
	ck_assert_int_eq(w.bad, 0);
	ck_assert_int_eq(w.frames, 2);
}
END_TEST

/* A non-blocking socket whose buffer fills: EAGAIN, not a hang. */
START_TEST(test_nonblocking_eagain)
{
	unsigned char	*big;
	int		 fl;

	big = calloc(1, BIG_FRAME);
	ck_assert_ptr_nonnull(big);
	fl = fcntl(sv[1], F_GETFL);
	ck_assert_int_ge(fl, 0);
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, fl | O_NONBLOCK), 0);
	errno = 0;
	ck_assert_int_eq(msgframe_send(sv[1], big, BIG_FRAME), -1);
	ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK,
	    "errno %d (%s)", errno, strerror(errno));
	free(big);
}
END_TEST

START_TEST(test_many_frames)
{
	struct worker		 w;
	pthread_t		 t;
	const unsigned char	*want;
	unsigned char		 buf[MANY_MAXLEN];
	uint64_t		 s;
	uint32_t		 wlen;
	size_t			 len;
	int			 i, rc, got = 0, bad = -1;

	fill_pattern(many_pool, sizeof(many_pool), 0x9001);
	memset(&w, 0, sizeof(w));
	w.fd = sv[1];
	w.seed = 0x5eed;
	w.count = MANY_COUNT;
	s = w.seed | 1;
	ck_assert_int_eq(pthread_create(&t, NULL, many_writer_main, &w), 0);
	/* Check everything before asserting, so the writer is always joined. */
	for (i = 0; i < MANY_COUNT; i++) {
		want = many_next(&s, &wlen);
		rc = msgframe_recv(sv[0], buf, sizeof(buf), &len);
		if (rc != 1 || len != wlen || memcmp(buf, want, wlen) != 0) {
			bad = i;
			break;
		}
		got++;
	}
	if (bad != -1)
		close_fd(&sv[0]);	/* unblock the writer */
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(bad == -1, "frame %d differs", bad);
	ck_assert_int_eq(w.err, 0);
	ck_assert_int_eq(w.frames, MANY_COUNT);
	ck_assert_int_eq(got, MANY_COUNT);
	close_fd(&sv[1]);
	ck_assert_int_eq(msgframe_recv(sv[0], buf, sizeof(buf), &len), 0);
}
END_TEST

START_TEST(test_scan_empty)
{
	struct msgframe_scan	s;

	memset(&s, 0xa5, sizeof(s));
	ck_assert_int_eq(msgframe_scan(NULL, 0, 100, &s), 0);
	ck_assert_uint_eq(s.complete, 0);
	ck_assert_uint_eq(s.frames, 0);
	ck_assert_int_eq(s.has_next, 0);
}
END_TEST

/* Loop test: _i = 1, 2, 3 bytes of a header. */
START_TEST(test_scan_partial_header)
{
	static const unsigned char hdr[] = { 0, 0, 0, 0 };
	struct msgframe_scan	s;

	ck_assert_int_eq(msgframe_scan(hdr, (size_t)_i, 100, &s), 0);
	ck_assert_uint_eq(s.complete, 0);
	ck_assert_uint_eq(s.frames, 0);
	ck_assert_int_eq(s.has_next, 0);
}
END_TEST

START_TEST(test_scan_partial_payload)
{
	unsigned char		wire[MSGFRAME_HEADER_SIZE + 10];
	struct msgframe_scan	s;
	size_t			n;

	build_frame(wire, 10, "0123456789");
	for (n = MSGFRAME_HEADER_SIZE; n < sizeof(wire); n++) {
		ck_assert_int_eq(msgframe_scan(wire, n, 100, &s), 0);
		ck_assert_uint_eq(s.complete, 0);
		ck_assert_uint_eq(s.frames, 0);
		ck_assert_int_eq(s.has_next, 1);
		ck_assert_uint_eq(s.next_len, 10);
	}
	ck_assert_int_eq(msgframe_scan(wire, sizeof(wire), 100, &s), 0);
	ck_assert_uint_eq(s.complete, sizeof(wire));
	ck_assert_uint_eq(s.frames, 1);
	ck_assert_int_eq(s.has_next, 0);
}
END_TEST

START_TEST(test_scan_frames_and_tail)
{
	unsigned char		wire[128];
	struct msgframe_scan	s;
	size_t			off, whole;

	off = build_frame(wire, 3, "abc");
	off += build_frame(wire + off, 0, NULL);
	off += build_frame(wire + off, 5, "hello");
	whole = off;
	ck_assert_uint_eq(whole, 3 * MSGFRAME_HEADER_SIZE + 8);

	/* Exactly the whole frames. */
	ck_assert_int_eq(msgframe_scan(wire, whole, 100, &s), 0);
	ck_assert_uint_eq(s.complete, whole);
	ck_assert_uint_eq(s.frames, 3);
	ck_assert_int_eq(s.has_next, 0);

	/* Plus two bytes of the next header. */
	off += build_frame(wire + off, 7, "1234567");
	ck_assert_int_eq(msgframe_scan(wire, whole + 2, 100, &s), 0);
	ck_assert_uint_eq(s.complete, whole);
	ck_assert_uint_eq(s.frames, 3);
	ck_assert_int_eq(s.has_next, 0);

	/* Plus its header and part of its payload. */
	ck_assert_int_eq(msgframe_scan(wire, whole + 6, 100, &s), 0);
	ck_assert_uint_eq(s.complete, whole);
	ck_assert_uint_eq(s.frames, 3);
	ck_assert_int_eq(s.has_next, 1);
	ck_assert_uint_eq(s.next_len, 7);

	/* A trailing empty frame is whole as soon as its header is. */
	off += build_frame(wire + off, 0, NULL);
	ck_assert_int_eq(msgframe_scan(wire, off, 100, &s), 0);
	ck_assert_uint_eq(s.complete, off);
	ck_assert_uint_eq(s.frames, 5);
	ck_assert_int_eq(s.has_next, 0);
}
END_TEST

START_TEST(test_scan_oversize)
{
	unsigned char		wire[128];
	struct msgframe_scan	s;
	size_t			off, whole;

	off = build_frame(wire, 3, "abc");
	off += build_frame(wire + off, 0, NULL);
	whole = off;
	off += build_frame(wire + off, 11, "01234567890");

	errno = 0;
	ck_assert_int_eq(msgframe_scan(wire, off, 10, &s), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(s.complete, whole);
	ck_assert_uint_eq(s.frames, 2);
	ck_assert_int_eq(s.has_next, 1);
	ck_assert_uint_eq(s.next_len, 11);

	/* Refused on the header alone, before any payload arrives. */
	errno = 0;
	ck_assert_int_eq(msgframe_scan(wire, whole + MSGFRAME_HEADER_SIZE, 10,
	    &s), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(s.complete, whole);

	/* The very first frame too large; max 0 allows only empty frames. */
	errno = 0;
	ck_assert_int_eq(msgframe_scan(wire, off, 0, &s), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(s.complete, 0);
	ck_assert_uint_eq(s.frames, 0);
	ck_assert_uint_eq(s.next_len, 3);
}
END_TEST

START_TEST(test_scan_max_boundary)
{
	unsigned char		wire[MSGFRAME_HEADER_SIZE + 10];
	struct msgframe_scan	s;

	build_frame(wire, 10, "0123456789");
	ck_assert_int_eq(msgframe_scan(wire, sizeof(wire), 10, &s), 0);
	ck_assert_uint_eq(s.frames, 1);
	ck_assert_uint_eq(s.complete, sizeof(wire));
	ck_assert_int_eq(msgframe_scan(wire, sizeof(wire), 9, &s), -1);
	ck_assert_uint_eq(s.frames, 0);
}
END_TEST

/* Lengths near 4 GiB with max = UINT32_MAX: no wrap-around anywhere. */
START_TEST(test_scan_huge_lengths)
{
	static const uint32_t	lens[] = { 0xffffffff, 0xfffffffc,
	    0xfffffffb, 0x80000000 };
	unsigned char		wire[32];
	struct msgframe_scan	s;
	size_t			i, off;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		off = build_frame(wire, 2, "ok");
		msgframe_encode_header(wire + off, lens[i]);
		memset(wire + off + MSGFRAME_HEADER_SIZE, 0xee, 8);
		ck_assert_int_eq(msgframe_scan(wire, off + 12, UINT32_MAX, &s),
		    0);
		ck_assert_uint_eq(s.complete, off);
		ck_assert_uint_eq(s.frames, 1);
		ck_assert_int_eq(s.has_next, 1);
		ck_assert_uint_eq(s.next_len, lens[i]);
		check_scan(wire, off + 12, UINT32_MAX);
		check_scan(wire, off + 12, lens[i] - 1);
	}
}
END_TEST

/*
 * Random streams, every prefix, checked against ref_scan().  Each prefix
 * is copied to the end of one exactly-sized heap block per stream: ASan
 * then catches an over-read without a malloc per prefix.
 */
START_TEST(test_scan_random)
{
	unsigned char	buf[2048], *copy;
	uint64_t	s = 0xabcdef12345ULL;
	uint32_t	max, flen;
	size_t		off, n, j;
	int		iter, k, frames;

	for (iter = 0; iter < 300; iter++) {
		off = 0;
		frames = (int)(rng_next(&s) % 12);
		for (k = 0; k < frames; k++) {
			flen = rng_next(&s) % 4 == 0 ? 0 : rng_next(&s) % 60;
			msgframe_encode_header(buf + off, flen);
			off += MSGFRAME_HEADER_SIZE;
			for (j = 0; j < flen; j++)
				buf[off++] = (unsigned char)rng_next(&s);
		}
		/* Then a few arbitrary bytes: garbage, often a huge header. */
		n = rng_next(&s) % 9;
		for (j = 0; j < n; j++)
			buf[off++] = (unsigned char)rng_next(&s);
		switch (rng_next(&s) % 4) {
		case 0:
			max = UINT32_MAX;
			break;
		case 1:
			max = 0;
			break;
		default:
			max = rng_next(&s) % 64;
			break;
		}
		copy = malloc(off == 0 ? 1 : off);
		ck_assert_ptr_nonnull(copy);
		for (n = 0; n <= off; n++) {
			memcpy(copy + off - n, buf, n);
			compare_scan(copy + off - n, n, max);
		}
		free(copy);
	}
}
END_TEST

static Suite *
msgframe_suite(void)
{
	Suite	*s;
	TCase	*core, *limits;

	s = suite_create("msgframe");

	core = tcase_create("Core");
	tcase_add_checked_fixture(core, setup_pair, teardown_pair);
	tcase_add_test(core, test_header_codec);
	tcase_add_test(core, test_roundtrip);
	tcase_add_test(core, test_roundtrip_pipe);
	tcase_add_test(core, test_single_sendmsg);
	tcase_add_test(core, test_zero_length_alone);
	tcase_add_test(core, test_zero_length_between);
	tcase_add_test(core, test_null_buffers);
	tcase_add_test(core, test_dribble_recv);
	tcase_add_test(core, test_dribble_read_full);
	tcase_add_test(core, test_eintr_recv);
	tcase_add_test(core, test_eintr_send);
	tcase_add_test(core, test_eof_clean);
	tcase_add_loop_test(core, test_eof_in_header, 1, MSGFRAME_HEADER_SIZE);
	tcase_add_loop_test(core, test_eof_in_payload, 0, 3);
	tcase_add_test(core, test_send_closed_socket);
	tcase_add_test(core, test_send_reset_tcp);
	tcase_add_test(core, test_send_closed_pipe);
	tcase_add_test(core, test_send_pipe_pending_sigpipe);
	tcase_add_test(core, test_read_full_short);
	tcase_add_test(core, test_rcvtimeo_eagain);
	tcase_add_test(core, test_strerror);
	suite_add_tcase(s, core);

	limits = tcase_create("Limits");
	tcase_add_checked_fixture(limits, setup_pair, teardown_pair);
	tcase_add_test(limits, test_cap_exact);
	tcase_add_test(limits, test_cap_plus_one);
	tcase_add_test(limits, test_header_max);
	tcase_add_test(limits, test_big_frames);
	tcase_add_test(limits, test_big_frames_pipe);
	tcase_add_test(limits, test_nonblocking_eagain);
	tcase_add_test(limits, test_many_frames);
	tcase_add_test(limits, test_scan_empty);
	tcase_add_loop_test(limits, test_scan_partial_header, 1,
	    MSGFRAME_HEADER_SIZE);
	tcase_add_test(limits, test_scan_partial_payload);
	tcase_add_test(limits, test_scan_frames_and_tail);
	tcase_add_test(limits, test_scan_oversize);
	tcase_add_test(limits, test_scan_max_boundary);
	tcase_add_test(limits, test_scan_huge_lengths);
	tcase_add_test(limits, test_scan_random);
	suite_add_tcase(s, limits);

	return s;
}

int
main(void)
{
	return tu_run_suite(msgframe_suite());
}
