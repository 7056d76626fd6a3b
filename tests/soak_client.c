/*
 * soak_client - sustained mixed load on msgserverd, for tests/soak.
 *
 * For --duration seconds, at the same time:
 *   - well-behaved clients (--clients threads), each one connection doing
 *     pipelined, verified round trips of 0..64 KiB frames, full duplex (a
 *     poll loop sends and receives at once, so any depth of pipeline is
 *     safe).  Should the server close one, it counts what was in flight as
 *     lost and reconnects: that must never happen;
 *   - hostile clients (--hostile threads), each cycling through every
 *     kind: oversize headers, garbage, resets inside a frame, silent
 *     clients, slowloris drippers, clients that never read, and
 *     connect-and-close storms.  Each attempt is counted by kind, with
 *     whether the server cut it off as it should (one still waiting
 *     when the run ends counts as open_at_end only).
 *
 * At the end it prints the figures (or JSON with --json) and exits 1 if a
 * well-behaved frame was lost or corrupted, a well-behaved connection
 * failed, a garbage stream was echoed wrongly, or a hostile client was
 * not cut off within --cap seconds; 0 otherwise; 2 on a usage error.
 *
 * Garbage streams are 64 KiB, less than the daemon's per-worker buffer
 * (--buffer-size, 512K by default, which tests/soak keeps), so no partial
 * frame is streamed back and the echo of a stream is exactly its whole
 * frames: what msgframe_scan() finds with the server's --max-frame.  A
 * server run with --buffer-size below 64K would fail the garbage check.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msgframe.h"
#include "netutil.h"
#include "parse.h"
#include "testnet.h"

#define KiB			1024u
#define MiB			(1024u * 1024u)

#define EXIT_FAILED		1
#define EXIT_USAGE		2

#define DEFAULT_DURATION_MS	(60 * 1000)
#define DEFAULT_CLIENTS		8
#define DEFAULT_HOSTILE		8
#define DEFAULT_MAX_FRAME	MiB
#define DEFAULT_CAP_MS		(30 * 1000)
#define MAX_THREADS		256

/* Well-behaved clients. */
#define GOOD_MAX_PAYLOAD	(64 * KiB)
#define GOOD_DEPTH		16		/* frames in flight */
#define GOOD_INFLIGHT		(512 * KiB)	/* bytes in flight */
#define GOOD_RBUF		(4 * GOOD_MAX_PAYLOAD)
#define GOOD_STALL_MS		10000		/* no echo byte for this long */
#define GOOD_DRAIN_MS		10000		/* at the end */

/* Hostile clients. */
#define CONNECT_TIMEOUT_MS	5000
#define GARBAGE_LEN		(64 * KiB)
#define DRIP_MS			300
#define NONREADER_FRAME		(64 * KiB)
#define STORM_BURST		100
#define STEP_MS			100		/* how often waits look at stop */

enum kind {
	K_OVERSIZE,
	K_GARBAGE,
	K_RESET_HEADER,
	K_RESET_PAYLOAD,
	K_SILENT,
	K_SLOWLORIS,
	K_NONREADER,
	K_STORM,
	K_COUNT
};

static const char *const kind_names[K_COUNT] = {
	"oversize", "garbage", "reset_in_header", "reset_in_payload",
	"silent", "slowloris", "non_reader", "storm"
};

/* What one hostile attempt came to. */
enum outcome {
	O_CUT,		/* the server closed it, as it should */
	O_UNCUT,	/* still open after --cap: a defence failed */
	O_DONE,		/* nothing to wait for (resets, storms) */
	O_ABORTED,	/* the run ended first: not counted either way */
	O_ERROR		/* could not even connect */
};

struct kind_stats {
	_Atomic uint64_t	attempted;
	_Atomic uint64_t	cut;
	_Atomic uint64_t	uncut;
	_Atomic uint64_t	errors;
	_Atomic uint64_t	bad_echo;	/* garbage/oversize: wrong echo */
	_Atomic uint64_t	open_at_end;	/* still waiting when time ran out */
};

struct config {
	const char		*host;
	const char		*port;
	uint64_t		 duration_ms;
	unsigned		 clients;
	unsigned		 hostile;
	uint32_t		 max_frame;
	uint64_t		 cap_ms;
	bool			 json;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
};

struct good {
	pthread_t	 tid;
	unsigned	 id;
	uint64_t	 frames;	/* echoes verified */
	uint64_t	 bytes;		/* payload bytes verified */
	uint64_t	 lost_frames;	/* sent, never echoed */
	uint64_t	 lost_conns;	/* closed by the server */
	uint64_t	 corrupt;	/* wrong length or bytes */
	uint64_t	 errors;	/* connect failures, stalls */
	uint64_t	 connects;
	char		 why[256];	/* the first failure */
};

struct hostile {
	pthread_t	 tid;
	unsigned	 id;
	uint64_t	 rng;
	char		 why[256];	/* the first anomaly */
};

/* A frame sent (or being sent) whose echo is awaited. */
struct inflight {
	uint32_t	len;
	uint64_t	seed;
};

static struct config	 cfg;
static atomic_bool	 stopping;
static struct kind_stats kstats[K_COUNT];
static _Atomic uint64_t	 storm_conns;

static void	 usage(FILE *, const char *);
static int	 parse_options(int, char **);
static int	 resolve(void);
static int	 soak_connect(void);
static int	 ms_left(uint64_t);
static enum outcome wait_cut(int, uint64_t);
static void	 note(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	*good_main(void *);
static int	 good_session(struct good *, uint64_t *, unsigned char *,
		    unsigned char *, unsigned char *);
static void	*hostile_main(void *);
static enum outcome h_oversize(struct hostile *);
static enum outcome h_garbage(struct hostile *);
static enum outcome h_reset(struct hostile *, bool);
static enum outcome h_silent(struct hostile *);
static enum outcome h_slowloris(struct hostile *);
static enum outcome h_nonreader(struct hostile *);
static enum outcome h_storm(struct hostile *);
static int	 report(struct good *, struct hostile *, uint64_t);

int
main(int argc, char *argv[])
{
	struct good	*goods;
	struct hostile	*hostiles;
	uint64_t	 start, end, elapsed;
	unsigned	 i;
	int		 rc;

	if ((rc = parse_options(argc, argv)) != 0)
		return rc > 0 ? 0 : EXIT_USAGE;
	if (resolve() == -1)
		return EXIT_USAGE;
	/* Every send uses MSG_NOSIGNAL; this is for anything else. */
	(void)signal(SIGPIPE, SIG_IGN);
	atomic_init(&stopping, false);

	goods = calloc(cfg.clients, sizeof(*goods));
	hostiles = calloc(cfg.hostile, sizeof(*hostiles));
	if (goods == NULL || hostiles == NULL) {
		fprintf(stderr, "soak_client: out of memory\n");
		return EXIT_FAILED;
	}
	start = tn_now_ms();
	for (i = 0; i < cfg.clients; i++) {
		goods[i].id = i;
		if ((errno = pthread_create(&goods[i].tid, NULL, good_main,
		    &goods[i])) != 0) {
			fprintf(stderr, "soak_client: pthread_create: %s\n",
			    strerror(errno));
			return EXIT_FAILED;
		}
	}
	/* Let the well-behaved clients take their workers first. */
	tn_sleep_ms(200);
	for (i = 0; i < cfg.hostile; i++) {
		hostiles[i].id = i;
		hostiles[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		if ((errno = pthread_create(&hostiles[i].tid, NULL,
		    hostile_main, &hostiles[i])) != 0) {
			fprintf(stderr, "soak_client: pthread_create: %s\n",
			    strerror(errno));
			return EXIT_FAILED;
		}
	}

	end = start + cfg.duration_ms;
	while (tn_now_ms() < end)
		tn_sleep_ms(STEP_MS);
	atomic_store(&stopping, true);
	for (i = 0; i < cfg.hostile; i++)
		(void)pthread_join(hostiles[i].tid, NULL);
	for (i = 0; i < cfg.clients; i++)
		(void)pthread_join(goods[i].tid, NULL);
	elapsed = tn_now_ms() - start;

	rc = report(goods, hostiles, elapsed);
	free(goods);
	free(hostiles);
	return rc;
}

static void
usage(FILE *fp, const char *name)
{
	fprintf(fp,
"Usage: %s --port PORT [OPTION]...\n"
"Load msgserverd with well-behaved and hostile clients at once; exit 1 if\n"
"a well-behaved frame was lost or corrupted or an attack was not cut off.\n"
"\n"
"  -p, --port PORT       server port (required)\n"
"  -H, --host HOST       server address (default 127.0.0.1)\n"
"  -d, --duration SEC    how long to run (default 60)\n"
"  -c, --clients N       well-behaved clients (default %d)\n"
"  -k, --hostile N       hostile client threads (default %d)\n"
"  -m, --max-frame SIZE  the server's --max-frame (default 1M)\n"
"      --cap SEC         longest a hostile client may stay connected\n"
"                          before it counts as not cut off (default 30)\n"
"      --json            print the figures as one JSON object\n"
"  -h, --help            print this help and exit\n",
	    name, DEFAULT_CLIENTS, DEFAULT_HOSTILE);
}

/* 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int
parse_options(int argc, char **argv)
{
	enum { OPT_CAP = 256, OPT_JSON };
	static const struct option longopts[] = {
		{ "port",	required_argument,	NULL, 'p' },
		{ "host",	required_argument,	NULL, 'H' },
		{ "duration",	required_argument,	NULL, 'd' },
		{ "clients",	required_argument,	NULL, 'c' },
		{ "hostile",	required_argument,	NULL, 'k' },
		{ "max-frame",	required_argument,	NULL, 'm' },
		{ "cap",	required_argument,	NULL, OPT_CAP },
		{ "json",	no_argument,		NULL, OPT_JSON },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	uint64_t	v;
	int		ch;

	cfg.host = "127.0.0.1";
	cfg.duration_ms = DEFAULT_DURATION_MS;
	cfg.clients = DEFAULT_CLIENTS;
	cfg.hostile = DEFAULT_HOSTILE;
	cfg.max_frame = DEFAULT_MAX_FRAME;
	cfg.cap_ms = DEFAULT_CAP_MS;
	while ((ch = getopt_long(argc, argv, "p:H:d:c:k:m:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (parse_uint(optarg, 1, 65535, &v) == -1)
				goto bad;
			cfg.port = optarg;
			break;
		case 'H':
			cfg.host = optarg;
			break;
		case 'd':
			if (parse_seconds_ms(optarg, 1, UINT64_C(86400000),
			    &cfg.duration_ms) == -1)
				goto bad;
			break;
		case 'c':
			if (parse_uint(optarg, 0, MAX_THREADS, &v) == -1)
				goto bad;
			cfg.clients = (unsigned)v;
			break;
		case 'k':
			if (parse_uint(optarg, 0, MAX_THREADS, &v) == -1)
				goto bad;
			cfg.hostile = (unsigned)v;
			break;
		case 'm':
			if (parse_size(optarg, 0, UINT32_MAX, &v) == -1)
				goto bad;
			cfg.max_frame = (uint32_t)v;
			break;
		case OPT_CAP:
			if (parse_seconds_ms(optarg, 1, UINT64_C(3600000),
			    &cfg.cap_ms) == -1)
				goto bad;
			break;
		case OPT_JSON:
			cfg.json = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 1;
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (optind != argc || cfg.port == NULL) {
		fprintf(stderr, "%s: %s\n", argv[0], optind != argc ?
		    "unexpected operand" : "--port is required");
		usage(stderr, argv[0]);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "%s: invalid value '%s'\n", argv[0], optarg);
	usage(stderr, argv[0]);
	return -1;
}

/* Resolve once: a storm must not cost a getaddrinfo() per connection. */
static int
resolve(void)
{
	struct addrinfo	hints, *res;
	int		rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(cfg.host, cfg.port, &hints, &res)) != 0) {
		fprintf(stderr, "soak_client: %s port %s: %s\n", cfg.host,
		    cfg.port, gai_strerror(rc));
		return -1;
	}
	memcpy(&cfg.addr, res->ai_addr, res->ai_addrlen);
	cfg.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* A blocking TCP connection with TCP_NODELAY, or -1 (errno set). */
static int
soak_connect(void)
{
	return tn_connect_addr((struct sockaddr *)&cfg.addr, cfg.addrlen,
	    CONNECT_TIMEOUT_MS);
}

/* Milliseconds until deadline, 0 once it passed. */
static int
ms_left(uint64_t deadline)
{
	uint64_t	now = tn_now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/*
 * Wait until the server closes fd (end of stream or reset), discarding
 * what it sends, until the deadline; the stop flag is looked at every
 * STEP_MS.
 */
static enum outcome
wait_cut(int fd, uint64_t deadline)
{
	int	left;

	while (!atomic_load(&stopping)) {
		left = ms_left(deadline);
		if (tn_wait_closed(fd, left < STEP_MS ? left : STEP_MS))
			return O_CUT;
		if (left == 0)
			return O_UNCUT;
	}
	return O_ABORTED;
}

/* Keep the first message only. */
static void
note(char *why, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (why[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* --- Well-behaved clients -------------------------------------------- */

static void *
good_main(void *arg)
{
	struct good	*g = arg;
	unsigned char	*sbuf, *rbuf, *exp;
	uint64_t	 rng;

	sbuf = malloc(MSGFRAME_HEADER_SIZE + GOOD_MAX_PAYLOAD);
	rbuf = malloc(GOOD_RBUF);
	exp = malloc(GOOD_MAX_PAYLOAD);
	if (sbuf == NULL || rbuf == NULL || exp == NULL) {
		g->errors++;
		note(g->why, sizeof(g->why), "out of memory");
		goto done;
	}
	rng = 0x2545f4914f6cdd1dULL * (g->id + 1);
	while (!atomic_load(&stopping)) {
		if (good_session(g, &rng, sbuf, rbuf, exp) == -1)
			tn_sleep_ms(50);	/* failed: counted; try again */
	}
done:
	free(sbuf);
	free(rbuf);
	free(exp);
	return NULL;
}

/*
 * One connection: frames go out while echoes come back (poll, both
 * directions), up to GOOD_DEPTH frames and GOOD_INFLIGHT bytes in flight.
 * Payload sizes mix four ranges (0..64, ..1K, ..8K, ..64K bytes).  When
 * the run ends, stop sending, take every echo still due, and close.
 * Returns 0 after a clean end, -1 after a counted failure.
 */
static int
good_session(struct good *g, uint64_t *rng, unsigned char *sbuf,
    unsigned char *rbuf, unsigned char *exp)
{
	static const uint32_t	 ranges[4] = { 64, KiB, 8 * KiB,
				    GOOD_MAX_PAYLOAD };
	struct inflight		 ring[GOOD_DEPTH];
	struct pollfd		 pfd;
	size_t			 head = 0, nin = 0, have = 0, soff = 0;
	size_t			 slen = 0, inbytes = 0;
	uint64_t		 last_rx, drain_until = 0, seed;
	uint32_t		 len, plen;
	ssize_t			 n;
	bool			 stop;
	int			 fd;

	if ((fd = soak_connect()) == -1) {
		g->errors++;
		note(g->why, sizeof(g->why), "client %u: connect: %s", g->id,
		    strerror(errno));
		return -1;
	}
	g->connects++;
	tn_set_nonblock(fd);
	last_rx = tn_now_ms();
	for (;;) {
		stop = atomic_load(&stopping);
		if (stop && drain_until == 0)
			drain_until = tn_now_ms() + GOOD_DRAIN_MS;
		/* The next frame, once the last one is out. */
		if (!stop && soff == slen && nin < GOOD_DEPTH) {
			len = ranges[tn_xorshift(rng) % 4];
			len = (uint32_t)(tn_xorshift(rng) %
			    ((uint64_t)len + 1));
			if (inbytes + len <= GOOD_INFLIGHT || nin == 0) {
				seed = tn_xorshift(rng);
				msgframe_encode_header(sbuf, len);
				tn_fill_random(sbuf + MSGFRAME_HEADER_SIZE,
				    len, seed);
				ring[(head + nin) % GOOD_DEPTH].len = len;
				ring[(head + nin) % GOOD_DEPTH].seed = seed;
				nin++;
				inbytes += len;
				slen = MSGFRAME_HEADER_SIZE + len;
				soff = 0;
			}
		}
		if (stop && nin == 0 && soff == slen)
			break;		/* all echoed: a clean end */

		pfd.fd = fd;
		pfd.events = POLLIN | (soff < slen ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, STEP_MS) == -1 && errno != EINTR) {
			g->errors++;
			note(g->why, sizeof(g->why), "client %u: poll: %s",
			    g->id, strerror(errno));
			goto fail;
		}
		if (soff < slen && (pfd.revents & (POLLOUT | POLLERR |
		    POLLHUP)) != 0) {
			n = send(fd, sbuf + soff, slen - soff,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				soff += (size_t)n;
			else if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR) {
				note(g->why, sizeof(g->why), "client %u: "
				    "send: %s", g->id, strerror(errno));
				goto closed;
			}
		}
		if ((pfd.revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
			n = recv(fd, rbuf + have, GOOD_RBUF - have,
			    MSG_DONTWAIT);
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR)) {
				note(g->why, sizeof(g->why), "client %u: "
				    "server closed the connection with %zu "
				    "frames in flight: %s", g->id, nin,
				    n == 0 ? "end of stream" :
				    strerror(errno));
				goto closed;
			}
			if (n > 0) {
				have += (size_t)n;
				last_rx = tn_now_ms();
			}
		}
		/* Verify every whole echo received. */
		while (have >= MSGFRAME_HEADER_SIZE) {
			plen = msgframe_decode_header(rbuf);
			if (nin == 0 || plen != ring[head].len) {
				g->corrupt++;
				note(g->why, sizeof(g->why), "client %u: echo "
				    "announces %lu bytes, expected %s%lu",
				    g->id, (unsigned long)plen, nin == 0 ?
				    "no echo, " : "", nin == 0 ? 0ul :
				    (unsigned long)ring[head].len);
				goto lost;
			}
			if (have < MSGFRAME_HEADER_SIZE + (size_t)plen)
				break;
			tn_fill_random(exp, plen, ring[head].seed);
			if (memcmp(rbuf + MSGFRAME_HEADER_SIZE, exp,
			    plen) != 0) {
				g->corrupt++;
				note(g->why, sizeof(g->why), "client %u: echo "
				    "of a %lu-byte frame differs", g->id,
				    (unsigned long)plen);
				goto lost;
			}
			g->frames++;
			g->bytes += plen;
			inbytes -= plen;
			head = (head + 1) % GOOD_DEPTH;
			nin--;
			have -= MSGFRAME_HEADER_SIZE + (size_t)plen;
			memmove(rbuf, rbuf + MSGFRAME_HEADER_SIZE + plen, have);
		}
		if (nin > 0 && tn_now_ms() - last_rx >= GOOD_STALL_MS) {
			g->errors++;
			note(g->why, sizeof(g->why), "client %u: no echo for "
			    "%d ms with %zu frames in flight", g->id,
			    GOOD_STALL_MS, nin);
			goto lost;
		}
		if (drain_until != 0 && tn_now_ms() >= drain_until) {
			g->errors++;
			note(g->why, sizeof(g->why), "client %u: %zu echoes "
			    "still due %d ms after the end", g->id, nin,
			    GOOD_DRAIN_MS);
			goto lost;
		}
	}
	(void)close(fd);
	return 0;

closed:
	g->lost_conns++;
lost:
	g->lost_frames += nin;
fail:
	(void)close(fd);
	return -1;
}

/* --- Hostile clients ------------------------------------------------- */

static void *
hostile_main(void *arg)
{
	struct hostile	*h = arg;
	enum outcome	 o;
	unsigned	 round = 0;
	enum kind	 k;

	while (!atomic_load(&stopping)) {
		/* Each thread starts on another kind: all run at once. */
		k = (enum kind)((h->id + round++) % K_COUNT);
		if (k == K_OVERSIZE && cfg.max_frame == UINT32_MAX)
			continue;	/* no header can be oversize */
		switch (k) {
		case K_OVERSIZE:
			o = h_oversize(h);
			break;
		case K_GARBAGE:
			o = h_garbage(h);
			break;
		case K_RESET_HEADER:
			o = h_reset(h, false);
			break;
		case K_RESET_PAYLOAD:
			o = h_reset(h, true);
			break;
		case K_SILENT:
			o = h_silent(h);
			break;
		case K_SLOWLORIS:
			o = h_slowloris(h);
			break;
		case K_NONREADER:
			o = h_nonreader(h);
			break;
		case K_STORM:
		default:
			o = h_storm(h);
			break;
		}
		if (o == O_ABORTED) {
			atomic_fetch_add(&kstats[k].open_at_end, 1);
			break;
		}
		atomic_fetch_add(&kstats[k].attempted, 1);
		if (o == O_CUT)
			atomic_fetch_add(&kstats[k].cut, 1);
		else if (o == O_UNCUT) {
			atomic_fetch_add(&kstats[k].uncut, 1);
			note(h->why, sizeof(h->why), "%s client not cut off "
			    "within %llu ms", kind_names[k],
			    (unsigned long long)cfg.cap_ms);
		} else if (o == O_ERROR)
			atomic_fetch_add(&kstats[k].errors, 1);
		tn_sleep_ms(10);
	}
	return NULL;
}

/*
 * A header announcing max + 1 or 4 GiB - 1, sometimes after a valid frame
 * (whose echo must come back first), sometimes followed by 64 KiB of
 * "payload": the server closes the connection.
 */
static enum outcome
h_oversize(struct hostile *h)
{
	unsigned char	*wire, back[64];
	uint64_t	 deadline;
	uint32_t	 announce;
	size_t		 off = 0, got = 0;
	uint64_t	 r = tn_xorshift(&h->rng);
	enum outcome	 o;
	int		 fd;

	if ((fd = soak_connect()) == -1)
		return O_ERROR;
	wire = malloc(MSGFRAME_HEADER_SIZE + 64 * KiB);
	if (wire == NULL) {
		(void)close(fd);
		return O_ERROR;
	}
	announce = r % 2 == 0 ? cfg.max_frame + 1 : UINT32_MAX;
	if (r % 3 == 0 && cfg.max_frame >= sizeof(back)) {
		tn_fill_random(wire, sizeof(back), r);
		if (msgframe_send(fd, wire, sizeof(back)) == -1 ||
		    msgframe_recv(fd, back, sizeof(back), &got) != 1 ||
		    got != sizeof(back) || memcmp(back, wire, got) != 0) {
			atomic_fetch_add(&kstats[K_OVERSIZE].bad_echo, 1);
			note(h->why, sizeof(h->why), "oversize: the valid "
			    "frame before the bad header was not echoed");
		}
	}
	msgframe_encode_header(wire, announce);
	off = MSGFRAME_HEADER_SIZE;
	if (r % 4 < 2) {
		tn_fill_random(wire + off, 64 * KiB, r);
		off += 64 * KiB;
	}
	(void)netutil_set_timeouts(fd, STEP_MS);
	deadline = tn_now_ms() + cfg.cap_ms;
	(void)tn_send_tolerant(fd, wire, off, ms_left(deadline), &stopping);
	o = wait_cut(fd, deadline);
	free(wire);
	(void)close(fd);
	return o;
}

/*
 * 64 KiB of garbage, then end of stream: exactly the whole frames it
 * happens to encode come back, then the server closes.
 */
static enum outcome
h_garbage(struct hostile *h)
{
	struct msgframe_scan	 sc;
	unsigned char		*junk, *back;
	uint64_t		 deadline, seed = tn_xorshift(&h->rng);
	size_t			 got;
	enum outcome		 o;
	int			 fd;

	if ((fd = soak_connect()) == -1)
		return O_ERROR;
	junk = malloc(GARBAGE_LEN);
	back = malloc(GARBAGE_LEN + 1);
	if (junk == NULL || back == NULL) {
		free(junk);
		free(back);
		(void)close(fd);
		return O_ERROR;
	}
	tn_make_garbage(junk, GARBAGE_LEN, seed, (int)(seed % 3),
	    cfg.max_frame);
	(void)msgframe_scan(junk, GARBAGE_LEN, cfg.max_frame, &sc);
	(void)netutil_set_timeouts(fd, STEP_MS);
	deadline = tn_now_ms() + cfg.cap_ms;
	(void)tn_send_tolerant(fd, junk, GARBAGE_LEN, ms_left(deadline),
	    &stopping);
	(void)shutdown(fd, SHUT_WR);
	got = tn_read_until_closed(fd, back, GARBAGE_LEN + 1,
	    ms_left(deadline), &stopping);
	/* More than was sent is a wrong echo whether or not it ends. */
	o = got > GARBAGE_LEN ? O_CUT : wait_cut(fd, deadline);
	if (o == O_CUT && (got != sc.complete || memcmp(back, junk,
	    got) != 0)) {
		atomic_fetch_add(&kstats[K_GARBAGE].bad_echo, 1);
		note(h->why, sizeof(h->why), "garbage (seed %llu): %zu bytes "
		    "echoed, expected %zu (%zu frames)",
		    (unsigned long long)seed, got, sc.complete, sc.frames);
	}
	free(junk);
	free(back);
	(void)close(fd);
	return o;
}

/* A reset inside a header (2 of 4 bytes) or inside a payload. */
static enum outcome
h_reset(struct hostile *h, bool in_payload)
{
	unsigned char	wire[MSGFRAME_HEADER_SIZE + 1000];
	uint64_t	r = tn_xorshift(&h->rng);
	size_t		len;
	int		fd;

	if ((fd = soak_connect()) == -1)
		return O_ERROR;
	msgframe_encode_header(wire, 1000);
	tn_fill_random(wire + MSGFRAME_HEADER_SIZE, 1000, r);
	len = in_payload ? MSGFRAME_HEADER_SIZE + 500 : 2;
	(void)tn_send_tolerant(fd, wire, len, 0, &stopping);
	if (r % 2 == 0)
		tn_sleep_ms(50);	/* let the server be inside the frame */
	tn_close_reset(fd);
	return O_DONE;
}

/* Connect and say nothing: the idle timeout closes it. */
static enum outcome
h_silent(struct hostile *h)
{
	enum outcome	o;
	int		fd;

	(void)h;
	if ((fd = soak_connect()) == -1)
		return O_ERROR;
	o = wait_cut(fd, tn_now_ms() + cfg.cap_ms);
	(void)close(fd);
	return o;
}

/* One byte of a 1000-byte frame every DRIP_MS: the I/O timeout cuts it. */
static enum outcome
h_slowloris(struct hostile *h)
{
	unsigned char	wire[MSGFRAME_HEADER_SIZE + 1000];
	struct pollfd	pfd;
	uint64_t	deadline;
	size_t		i = 0;
	char		buf[256];
	ssize_t		n;
	int		fd;

	if ((fd = soak_connect()) == -1)
		return O_ERROR;
	msgframe_encode_header(wire, 1000);
	tn_fill_random(wire + MSGFRAME_HEADER_SIZE, 1000,
	    tn_xorshift(&h->rng));
	deadline = tn_now_ms() + cfg.cap_ms;
	for (;;) {
		if (atomic_load(&stopping)) {
			(void)close(fd);
			return O_ABORTED;
		}
		if (tn_now_ms() >= deadline || i == sizeof(wire)) {
			/* The whole frame went out: it was not cut off. */
			(void)close(fd);
			return O_UNCUT;
		}
		if (send(fd, wire + i, 1, MSG_NOSIGNAL) != 1)
			break;
		i++;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, DRIP_MS) > 0) {
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EINTR))
				break;
		}
	}
	(void)close(fd);
	return O_CUT;
}

/* Send frames and never read an echo: the I/O timeout resets it. */
static enum outcome
h_nonreader(struct hostile *h)
{
	unsigned char	*p;
	uint64_t	 deadline;
	uint32_t	 len;
	size_t		 off, total;
	ssize_t		 n;
	enum outcome	 o = O_UNCUT;
	int		 fd;

	len = cfg.max_frame < NONREADER_FRAME ? cfg.max_frame :
	    NONREADER_FRAME;
	if ((fd = soak_connect()) == -1)
		return O_ERROR;
	if ((p = malloc(MSGFRAME_HEADER_SIZE + len)) == NULL) {
		(void)close(fd);
		return O_ERROR;
	}
	msgframe_encode_header(p, len);
	tn_fill_random(p + MSGFRAME_HEADER_SIZE, len, tn_xorshift(&h->rng));
	total = MSGFRAME_HEADER_SIZE + len;
	(void)netutil_set_timeouts(fd, STEP_MS);
	deadline = tn_now_ms() + cfg.cap_ms;
	off = 0;
	for (;;) {
		if (atomic_load(&stopping)) {
			o = O_ABORTED;
			break;
		}
		if (tn_now_ms() >= deadline)
			break;
		n = send(fd, p + off, total - off, MSG_NOSIGNAL);
		if (n > 0) {
			off = (off + (size_t)n) % total;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			continue;
		o = O_CUT;
		break;
	}
	free(p);
	/* Unread echoes: close() resets; fine, the server already has. */
	(void)close(fd);
	return o;
}

/* STORM_BURST connections opened and dropped as fast as possible, the
 * four ways of tn_drop() in turn. */
static enum outcome
h_storm(struct hostile *h)
{
	unsigned	i, ok = 0;
	int		fd;

	for (i = 0; i < STORM_BURST && !atomic_load(&stopping); i++) {
		if ((fd = soak_connect()) == -1)
			continue;
		ok++;
		tn_drop(fd, i + h->id);
	}
	atomic_fetch_add(&storm_conns, ok);
	if (ok < i) {
		note(h->why, sizeof(h->why), "storm: %u of %u connects failed",
		    i - ok, i);
		return O_ERROR;
	}
	return O_DONE;
}

/* --- Report ---------------------------------------------------------- */

static int
report(struct good *goods, struct hostile *hostiles, uint64_t elapsed)
{
	struct good	 sum;
	const char	*why = NULL;
	uint64_t	 uncut = 0, bad_echo = 0;
	unsigned	 i;
	int		 k;
	bool		 failed;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < cfg.clients; i++) {
		sum.frames += goods[i].frames;
		sum.bytes += goods[i].bytes;
		sum.lost_frames += goods[i].lost_frames;
		sum.lost_conns += goods[i].lost_conns;
		sum.corrupt += goods[i].corrupt;
		sum.errors += goods[i].errors;
		sum.connects += goods[i].connects;
		if (why == NULL && goods[i].why[0] != '\0')
			why = goods[i].why;
	}
	for (k = 0; k < K_COUNT; k++) {
		uncut += atomic_load(&kstats[k].uncut);
		bad_echo += atomic_load(&kstats[k].bad_echo);
	}
	for (i = 0; why == NULL && i < cfg.hostile; i++)
		if (hostiles[i].why[0] != '\0' && (uncut > 0 || bad_echo > 0))
			why = hostiles[i].why;
	failed = sum.lost_frames > 0 || sum.lost_conns > 0 ||
	    sum.corrupt > 0 || sum.errors > 0 || uncut > 0 || bad_echo > 0 ||
	    (cfg.clients > 0 && sum.frames == 0);

	if (cfg.json) {
		printf("{\"duration_s\": %.1f, \"well_behaved\": "
		    "{\"clients\": %u, \"frames\": %llu, \"bytes\": %llu, "
		    "\"lost_frames\": %llu, \"lost_connections\": %llu, "
		    "\"corrupt\": %llu, \"errors\": %llu}, \"hostile\": {",
		    elapsed / 1000.0, cfg.clients,
		    (unsigned long long)sum.frames,
		    (unsigned long long)sum.bytes,
		    (unsigned long long)sum.lost_frames,
		    (unsigned long long)sum.lost_conns,
		    (unsigned long long)sum.corrupt,
		    (unsigned long long)sum.errors);
		for (k = 0; k < K_COUNT; k++)
			printf("%s\"%s\": {\"attempted\": %llu, \"cut\": %llu, "
			    "\"not_cut\": %llu, \"bad_echo\": %llu, "
			    "\"errors\": %llu, \"open_at_end\": %llu}",
			    k > 0 ? ", " : "", kind_names[k],
			    (unsigned long long)kstats[k].attempted,
			    (unsigned long long)kstats[k].cut,
			    (unsigned long long)kstats[k].uncut,
			    (unsigned long long)kstats[k].bad_echo,
			    (unsigned long long)kstats[k].errors,
			    (unsigned long long)kstats[k].open_at_end);
		printf("}, \"storm_connections\": %llu, \"result\": \"%s\"}\n",
		    (unsigned long long)atomic_load(&storm_conns),
		    failed ? "fail" : "pass");
	} else {
		printf("soak_client: %.1f s, %u well-behaved clients, %u "
		    "hostile threads\n", elapsed / 1000.0, cfg.clients,
		    cfg.hostile);
		printf("well-behaved: frames=%llu bytes=%llu lost_frames=%llu "
		    "lost_connections=%llu corrupt=%llu errors=%llu\n",
		    (unsigned long long)sum.frames,
		    (unsigned long long)sum.bytes,
		    (unsigned long long)sum.lost_frames,
		    (unsigned long long)sum.lost_conns,
		    (unsigned long long)sum.corrupt,
		    (unsigned long long)sum.errors);
		for (k = 0; k < K_COUNT; k++)
			printf("hostile %-16s attempted=%llu cut=%llu "
			    "not_cut=%llu bad_echo=%llu errors=%llu "
			    "open_at_end=%llu\n", kind_names[k],
			    (unsigned long long)kstats[k].attempted,
			    (unsigned long long)kstats[k].cut,
			    (unsigned long long)kstats[k].uncut,
			    (unsigned long long)kstats[k].bad_echo,
			    (unsigned long long)kstats[k].errors,
			    (unsigned long long)kstats[k].open_at_end);
		printf("storm connections: %llu\n",
		    (unsigned long long)atomic_load(&storm_conns));
		printf("result: %s\n", failed ? "FAIL" : "PASS");
	}
	if (why != NULL)
		fprintf(stderr, "soak_client: first failure: %s\n", why);
	(void)fflush(stdout);
	return failed ? EXIT_FAILED : 0;
}
