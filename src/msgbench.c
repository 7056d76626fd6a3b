/*
 * msgbench - a load generator for framed echo servers (msgserverd).
 *
 * N connections are spread over a few threads; each thread drives its own
 * connections through its own epoll set of non-blocking sockets, so ten
 * thousand connections cost little more than ten.  Each connection keeps
 * --depth frames in flight and checks every echo byte for byte.
 *
 * With --rate the load is open loop: frame j of the run (over all
 * connections, dealt round-robin) is due at t0 + j / rate, whatever the
 * echoes do.  A frame carries its due time, not its send time, so a frame
 * that --depth or a full socket held back still counts from when it was
 * due, and a server that stops for a second shows a second of latency on
 * every frame due meanwhile (no coordinated omission).  Each thread walks
 * its connections' due times in order with one cursor and sleeps on a
 * timerfd until the next one.
 *
 * Payloads cost almost nothing to make or check: at start-up one buffer is
 * filled with pseudorandom bytes, and each frame's payload is a slice of it
 * at a pseudorandom offset and size drawn from the connection's own
 * xorshift generator.  A connection remembers only (size, offset, send
 * time) for each frame in flight, in order.  Outgoing frames are copied
 * from the buffer into one per-thread send buffer and leave in one send();
 * what the socket did not take is rebuilt from the ring when it drains, so
 * no connection needs a buffer of its own.  Incoming bytes are compared as
 * they arrive against the same slices (the expected stream is known), so
 * no reassembly buffer is needed either: a frame split over two reads is
 * checked piece by piece.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cliopt.h"
#include "clock.h"
#include "errstr.h"
#include "histogram.h"
#include "msgframe.h"
#include "netutil.h"
#include "parse.h"

#define HDR			MSGFRAME_HEADER_SIZE

#define DEFAULT_CONNECTIONS	16
#define DEFAULT_DEPTH		1
#define DEFAULT_SIZE		64
#define DEFAULT_DURATION_MS	5000
#define DEFAULT_TIMEOUT_MS	10000

#define MAX_CONNECTIONS		1000000
#define MAX_DEPTH		65536
#define MAX_THREADS		1024
#define MAX_SIZE		(1024ULL * 1024 * 1024)
#define MAX_FRAMES		(1ULL << 40)
#define MAX_SECONDS_MS		(7ULL * 24 * 3600 * 1000)
#define MAX_RATE		10000000
#define MIN_INTERVAL_MS		100
/* Open loop: achieving less than this share of --rate gets a warning. */
#define RATE_ACHIEVED_MIN	0.95
/* --percentiles: reporting levels per halving of the distance to 100%. */
#define PERCENTILE_TICKS	5

/* Payload offsets into the pattern are masked: a power of two. */
#define PATTERN_SPAN		65536
/* Per-thread receive and send buffers: batches of 64K and more. */
#define IOBUF_SIZE		(256 * 1024)
/* A payload remainder this large is sent straight from the pattern. */
#define DIRECT_MIN		(64 * 1024)
#define MAX_EVENTS		256
/* Reads per readiness event before other connections get a turn. */
#define READS_PER_EVENT		8
/* How often a thread checks deadlines and publishes its counters. */
#define TICK_NS			(100 * CLOCK_NS_PER_MS)
/* A first echo slower than this (and twice the median) "waited". */
#define WAIT_MIN_NS		(100 * CLOCK_NS_PER_MS)
/* A load-generator thread held up this long gets a warning in the report. */
#define STALL_WARN_NS		CLOCK_NS_PER_S
#define MAX_REPORTS		10
/* Descriptors kept for everything but the connections. */
#define FD_RESERVE		32

/* Values of the options that have no short form. */
enum {
	OPT_CONNECT_RATE = CLIOPT_LONG_ONLY,
	OPT_JSON,
	OPT_PERCENTILES,
	OPT_RATE,
	OPT_TIMEOUT
};

struct config {
	const char	*host;
	const char	*port;
	uint32_t	 connections;
	uint32_t	 depth;
	uint32_t	 size_min;
	uint32_t	 size_max;
	uint64_t	 duration_ms;	/* 0 with --frames */
	uint64_t	 frames;	/* per connection; 0 with --duration */
	uint64_t	 warmup_ms;
	uint64_t	 connect_rate;	/* per second; 0 = all at once */
	uint32_t	 threads;	/* 0 = online CPUs */
	uint64_t	 timeout_ms;	/* 0 = none */
	uint64_t	 rate;		/* frames/s in all; 0 = closed loop */
	uint64_t	 interval_ms;	/* 0 = no interval lines */
	const char	*percentiles;	/* file for the distribution, or NULL */
	int		 json;
	int		 quiet;
};

/* What every thread reads and none writes once the run started. */
struct run {
	struct config		 cfg;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 addrname[NETUTIL_ADDRSTRLEN];
	unsigned char		*pattern;
	uint64_t		 t0;		/* start of the run */
	uint64_t		 measure_start;	/* end of the warm-up */
	uint64_t		 end_ns;	/* end of the measurement */
	uint64_t		 timeout_ns;
	double			 ns_per_frame;	/* open loop: 1 s / rate */
	int			 progress;	/* a progress line is shown */
};

/* A frame in flight: its wire bytes are derived from size and off. */
struct slot {
	uint64_t	ts;		/* issued (open loop: due), ns */
	uint32_t	size;
	uint32_t	off;		/* into the pattern */
};

enum conn_state {
	C_IDLE,			/* not started yet */
	C_CONNECTING,
	C_ACTIVE,
	C_CLOSED
};

struct conn {
	int		 fd;
	uint32_t	 id;		/* 0 .. connections - 1 */
	uint8_t		 state;
	uint8_t		 want_out;	/* EPOLLOUT is registered */
	uint8_t		 bad;		/* the echo being read mismatched */
	uint8_t		 has_wait;	/* first_wait is set */
	uint64_t	 rng;
	struct slot	*ring;		/* depth slots */
	uint32_t	 head;		/* oldest frame in flight */
	uint32_t	 count;		/* frames issued, echo not complete */
	uint32_t	 nsent;		/* of those, frames wholly sent */
	uint32_t	 sendpos;	/* bytes sent of frame head + nsent */
	uint32_t	 recvpos;	/* bytes received of frame head */
	uint64_t	 issued;
	uint64_t	 echoed;
	uint64_t	 next_round;	/* open loop: next frame's round */
	uint64_t	 t_start;	/* connect started */
	uint64_t	 t_first;	/* first frame issued */
	uint64_t	 first_wait;	/* first frame to its echo, ns */
};

struct worker {
	const struct run *run;
	pthread_t	 tid;
	uint32_t	 index;
	int		 epfd;
	struct conn	*conns;
	uint32_t	 nconns;
	uint32_t	 next_start;	/* next connection to start */
	uint32_t	 open;		/* connections holding a socket */
	int		 stopping;
	uint64_t	 stop_ns;
	uint64_t	 last_tick;
	unsigned char	*rbuf;
	unsigned char	*wbuf;
	struct histogram *hist;
	/* Open loop: the cursor over due times, a timer for the next one. */
	int		 tfd;
	uint64_t	 armed;		/* when tfd fires; 0 = not armed */
	uint64_t	 cur_round;
	uint32_t	 cur_conn;
	/* With --interval: this interval's figures, the main thread reaps. */
	pthread_mutex_t	 ivl_lock;
	struct histogram *ivl_hist;	/* NULL without --interval */
	uint64_t	 ivl_frames;
	uint64_t	 ivl_bytes;
	/* Owner-only until the thread is joined. */
	uint64_t	 frames;	/* measured echoes */
	uint64_t	 bytes;		/* their payload bytes */
	uint64_t	 echoes;	/* all echoes */
	uint64_t	 last_echo;
	uint64_t	 established;
	uint64_t	 failed;
	uint64_t	 not_started;
	uint64_t	 errors;
	uint64_t	 mismatches;
	uint64_t	 max_stall_ns;	/* longest the event loop was held up */
	/* Copies for the progress line, published once per tick. */
	_Atomic uint64_t pub_echoes;
	_Atomic uint64_t pub_established;
	_Atomic uint64_t pub_errors;
	_Atomic uint64_t pub_mismatches;
};

/* One --interval line: figures of the frames echoed in [start, end). */
struct interval {
	uint64_t	 start;
	uint64_t	 end;
	uint64_t	 frames;
	uint64_t	 bytes;
	uint64_t	 p50;
	uint64_t	 p99;
};

/* The main thread's record of intervals, for the JSON report. */
struct intervals {
	struct interval	*v;
	size_t		 n;
	size_t		 cap;
	struct histogram *sum;		/* scratch for merging */
	uint64_t	 last;		/* end of the last interval */
	uint64_t	 next;		/* when the next one is due */
	int		 failed;	/* out of memory: not all recorded */
};

struct results {
	uint64_t	 established;
	uint64_t	 failed;
	uint64_t	 errors;
	uint64_t	 mismatches;
	uint64_t	 frames;
	uint64_t	 bytes;
	double		 duration_s;
	uint64_t	 end_ns;	/* when the measurement ended */
	struct histogram *hist;
	uint64_t	 waited;
	uint64_t	 max_wait_ns;
	uint64_t	 wait_threshold_ns;
	uint64_t	 not_started;
	uint64_t	 max_stall_ns;
	uint32_t	 stall_thread;
};

static void		 usage(FILE *);
static int		 parse_options(int, char **, struct config *);
static int		 parse_size_range(const struct cliopt *, int,
			    const char *, struct config *);
static int		 resolve(struct run *);
static int		 raise_nofile(uint32_t);
static int		 make_pattern(struct run *);
static void		 on_signal(int);
static int		 install_signals(void);
static uint64_t		 xorshift(uint64_t *);
static void		 report(const struct run *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static int		 worker_init(struct worker *, const struct run *,
			    uint32_t, uint32_t);
static int		 worker_timer(struct worker *);
static int		 worker_intervals(struct worker *);
static void		 worker_free(struct worker *);
static void		*worker_main(void *);
static int		 worker_wait_ms(const struct worker *, uint64_t);
static void		 worker_publish(struct worker *);
static void		 worker_abort(struct worker *, const char *, int);
static void		 start_due(struct worker *, uint64_t);
static void		 note_stall(struct worker *, uint64_t);
static void		 begin_stop(struct worker *, uint64_t);
static void		 abandon(struct worker *);
static void		 check_timeouts(struct worker *, uint64_t);
static uint64_t		 due_time(const struct run *, const struct conn *,
			    uint64_t);
static uint64_t		 first_round(const struct run *, const struct conn *,
			    uint64_t);
static void		 issue_due(struct worker *, uint64_t);
static int		 timer_arm(struct worker *, uint64_t);
static void		 timer_drain(struct worker *);
static void		 ivl_lock(struct worker *);
static void		 ivl_unlock(struct worker *);
static void		 conn_start(struct worker *, struct conn *, uint64_t);
static void		 conn_connected(struct worker *, struct conn *);
static void		 conn_established(struct worker *, struct conn *,
			    uint64_t);
static void		 conn_event(struct worker *, struct conn *, uint32_t);
static void		 conn_close(struct worker *, struct conn *);
static void		 conn_end(struct worker *, struct conn *, uint64_t *,
			    const char *, va_list)
			    __attribute__((format(printf, 4, 0)));
static void		 conn_fail(struct worker *, struct conn *,
			    const char *, ...)
			    __attribute__((format(printf, 3, 4)));
static void		 conn_error(struct worker *, struct conn *,
			    const char *, ...)
			    __attribute__((format(printf, 3, 4)));
static int		 conn_done(const struct worker *, const struct conn *);
static void		 conn_issue(struct worker *, struct conn *, uint64_t);
static size_t		 conn_build(const struct worker *, const struct conn *,
			    const unsigned char **);
static void		 conn_advance(struct conn *, uint32_t, size_t);
static int		 conn_flush(struct worker *, struct conn *);
static int		 conn_want_out(struct worker *, struct conn *, int);
static int		 conn_read(struct worker *, struct conn *);
static int		 conn_consume(struct worker *, struct conn *,
			    const unsigned char *, size_t, uint64_t);
static void		 header_mismatch(struct worker *, struct conn *,
			    const unsigned char *, size_t, uint32_t);
static void		 payload_mismatch(struct worker *, struct conn *,
			    const unsigned char *, const unsigned char *,
			    size_t, uint32_t);
static int		 conn_echoed(struct worker *, struct conn *, uint64_t);
static void		 progress_loop(struct run *, struct worker *, uint32_t,
			    struct intervals *);
static void		 ivl_reap(const struct run *, struct worker *,
			    uint32_t, uint64_t, struct intervals *);
static int		 ivl_init(const struct run *, struct intervals *);
static void		 progress_line(const struct run *, struct worker *,
			    uint32_t, uint64_t, uint64_t *, uint64_t *);
static int		 summarize(const struct run *, struct worker *,
			    uint32_t, struct results *);
static void		 print_table(const struct run *, const struct results *,
			    uint32_t);
static void		 print_json(const struct run *, const struct results *,
			    const struct intervals *);
static int		 write_percentiles(const struct run *,
			    const struct results *, FILE *);
static double		 achieved(const struct results *);
static void		 warn_measured(const struct run *,
			    const struct results *);
static double		 quantile_us(const struct histogram *, double);
static double		 max_us(const struct histogram *);
static double		 mean_us(const struct histogram *);
static int		 close_stdout(void);

/* For messages: the last component of argv[0], set before any thread. */
static const char *progname;

/*
 * Counts SIGINT and SIGTERM: the first stops the run early (the report
 * still comes), a second one also gives up waiting for frames in flight.
 */
static atomic_int stop_requested;
static atomic_uint reports;

/* Threads tell the main thread they are done (it shows progress meanwhile). */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond;
static uint32_t done_count;

static const struct option longopts[] = {
	{ "host",		required_argument,	NULL,	'H' },
	{ "port",		required_argument,	NULL,	'p' },
	{ "connections",	required_argument,	NULL,	'c' },
	{ "depth",		required_argument,	NULL,	'd' },
	{ "size",		required_argument,	NULL,	's' },
	{ "duration",		required_argument,	NULL,	't' },
	{ "frames",		required_argument,	NULL,	'n' },
	{ "warmup",		required_argument,	NULL,	'w' },
	{ "connect-rate",	required_argument,	NULL,	OPT_CONNECT_RATE },
	{ "threads",		required_argument,	NULL,	'j' },
	{ "rate",		required_argument,	NULL,	OPT_RATE },
	{ "interval",		required_argument,	NULL,	'i' },
	{ "percentiles",	required_argument,	NULL,	OPT_PERCENTILES },
	{ "json",		no_argument,		NULL,	OPT_JSON },
	{ "quiet",		no_argument,		NULL,	'q' },
	{ "timeout",		required_argument,	NULL,	OPT_TIMEOUT },
	{ "help",		no_argument,		NULL,	'h' },
	{ "version",		no_argument,		NULL,	'V' },
	{ NULL,			0,			NULL,	0 }
};

/* The report's percentiles: their label in the table, key in --json. */
static const struct {
	double		 q;
	const char	*label;
	const char	*key;
} pcts[] = {
	{ 0.50,		"p50",		"p50" },
	{ 0.90,		"p90",		"p90" },
	{ 0.99,		"p99",		"p99" },
	{ 0.999,	"p99.9",	"p999" },
	{ 0.9999,	"p99.99",	"p9999" },
	{ 0.99999,	"p99.999",	"p99999" },
};
#define NPCTS	(sizeof(pcts) / sizeof(pcts[0]))

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "Usage: %s [-H HOST] [-p PORT] [-c N] [-d N] [-s SIZE|MIN:MAX]\n"
	    "       [-t SEC | -n N] [-w SEC] [--connect-rate N] [-j N]"
	    " [--rate N]\n"
	    "       [-i SEC] [--percentiles FILE] [--json] [-q]"
	    " [--timeout SEC]\n"
	    "Load a framed echo server and check every echo.\n"
	    "\n"
	    "  -H, --host HOST          server name or address (default %s)\n"
	    "  -p, --port PORT          server port (default %s)\n"
	    "  -c, --connections N      connections (default %d)\n"
	    "  -d, --depth N            frames in flight per connection "
	    "(default %d)\n"
	    "  -s, --size SIZE|MIN:MAX  payload bytes, or a range drawn at "
	    "random\n"
	    "                           per frame (default %d)\n"
	    "  -t, --duration SEC       measure for SEC seconds (default %d)\n"
	    "  -n, --frames N           instead, end when every connection "
	    "got N echoes\n"
	    "  -w, --warmup SEC         run SEC seconds first, not measured "
	    "(default 0)\n"
	    "      --connect-rate N     connections opened per second, 0 = "
	    "all at once\n"
	    "                           (default 0)\n"
	    "  -j, --threads N          threads (default: online CPUs, at most"
	    " N connections)\n"
	    "      --rate N             open loop: offer N frames/s in all, "
	    "each due at its\n"
	    "                           time, latency counted from then; "
	    "--depth caps the\n"
	    "                           frames in flight (default: closed "
	    "loop)\n"
	    "  -i, --interval SEC       a line of frames/s, MB/s, p50 and p99 "
	    "every SEC\n"
	    "                           seconds on stderr, and in --json\n"
	    "      --percentiles FILE   write the latency distribution to FILE"
	    " (HdrHistogram\n"
	    "                           percentile format, microseconds)\n"
	    "      --json               print the result as one JSON object\n"
	    "  -q, --quiet              no progress, interval or per-connection"
	    " lines, no\n"
	    "                           warnings\n"
	    "      --timeout SEC        limit on connecting and on each echo; "
	    "a slower\n"
	    "                           connection is an error, 0 = none "
	    "(default %d)\n"
	    "  -h, --help               show this help and exit\n"
	    "  -V, --version            show the version and exit\n"
	    "\n"
	    "SIZE takes a K, M or G suffix (powers of 1024).  A connection "
	    "\"waited\"\n"
	    "(for service) when its first echo took over 100 ms and over "
	    "twice the\n"
	    "median echo latency.\n"
	    "Exit status: 0 when every echo matched and no connection failed, "
	    "1 otherwise,\n"
	    "64 for a usage error.\n",
	    progname, CLIOPT_DEFAULT_HOST, CLIOPT_DEFAULT_PORT,
	    DEFAULT_CONNECTIONS, DEFAULT_DEPTH, DEFAULT_SIZE,
	    DEFAULT_DURATION_MS / 1000, DEFAULT_TIMEOUT_MS / 1000);
}

/* Returns -1 to go on, or the exit status for main to return. */
static int
parse_options(int argc, char **argv, struct config *cfg)
{
	struct cliopt	 c;
	uint64_t	 v;
	int		 ch, have_t = 0, have_n = 0;

	c.prog = progname;
	c.longopts = longopts;
	c.err = stderr;
	memset(cfg, 0, sizeof(*cfg));
	cfg->host = CLIOPT_DEFAULT_HOST;
	cfg->port = CLIOPT_DEFAULT_PORT;
	cfg->connections = DEFAULT_CONNECTIONS;
	cfg->depth = DEFAULT_DEPTH;
	cfg->size_min = cfg->size_max = DEFAULT_SIZE;
	cfg->duration_ms = DEFAULT_DURATION_MS;
	cfg->timeout_ms = DEFAULT_TIMEOUT_MS;

	/* Quiet, and ':' for a missing argument: cliopt words the errors. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":H:p:c:d:s:t:n:w:j:i:qhV",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (cliopt_string(&c, ch, optarg, &cfg->host) == -1)
				return EX_USAGE;
			break;
		case 'p':
			if (cliopt_uint(&c, ch, optarg, 1, 65535, &v) == -1)
				return EX_USAGE;
			cfg->port = optarg;
			break;
		case 'c':
			if (cliopt_uint(&c, ch, optarg, 1, MAX_CONNECTIONS,
			    &v) == -1)
				return EX_USAGE;
			cfg->connections = (uint32_t)v;
			break;
		case 'd':
			if (cliopt_uint(&c, ch, optarg, 1, MAX_DEPTH, &v) == -1)
				return EX_USAGE;
			cfg->depth = (uint32_t)v;
			break;
		case 's':
			if (parse_size_range(&c, ch, optarg, cfg) == -1)
				return EX_USAGE;
			break;
		case 't':
			if (cliopt_seconds(&c, ch, optarg, 1, MAX_SECONDS_MS,
			    &cfg->duration_ms) == -1)
				return EX_USAGE;
			have_t = 1;
			break;
		case 'n':
			if (cliopt_uint(&c, ch, optarg, 1, MAX_FRAMES,
			    &cfg->frames) == -1)
				return EX_USAGE;
			have_n = 1;
			break;
		case 'w':
			if (cliopt_seconds(&c, ch, optarg, 0, MAX_SECONDS_MS,
			    &cfg->warmup_ms) == -1)
				return EX_USAGE;
			break;
		case OPT_CONNECT_RATE:
			if (cliopt_uint(&c, ch, optarg, 0, MAX_RATE,
			    &cfg->connect_rate) == -1)
				return EX_USAGE;
			break;
		case 'j':
			if (cliopt_uint(&c, ch, optarg, 1, MAX_THREADS,
			    &v) == -1)
				return EX_USAGE;
			cfg->threads = (uint32_t)v;
			break;
		case OPT_RATE:
			if (cliopt_uint(&c, ch, optarg, 1, MAX_RATE,
			    &cfg->rate) == -1)
				return EX_USAGE;
			break;
		case 'i':
			if (cliopt_seconds(&c, ch, optarg, MIN_INTERVAL_MS,
			    MAX_SECONDS_MS, &cfg->interval_ms) == -1)
				return EX_USAGE;
			break;
		case OPT_PERCENTILES:
			if (cliopt_string(&c, ch, optarg,
			    &cfg->percentiles) == -1)
				return EX_USAGE;
			break;
		case OPT_JSON:
			cfg->json = 1;
			break;
		case 'q':
			cfg->quiet = 1;
			break;
		case OPT_TIMEOUT:
			if (cliopt_seconds(&c, ch, optarg, 0, MAX_SECONDS_MS,
			    &cfg->timeout_ms) == -1)
				return EX_USAGE;
			break;
		case 'h':
			usage(stdout);
			return close_stdout() == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		case 'V':
			printf("msgbench (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			return close_stdout() == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		default:
			/* ':' (missing argument) or '?' (anything else). */
			cliopt_getopt_error(&c, ch, argc, argv);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		cliopt_extra_operand(&c, argv[optind]);
		return EX_USAGE;
	}
	if (have_t && have_n) {
		cliopt_usage_error(&c, "--duration and --frames exclude each "
		    "other");
		return EX_USAGE;
	}
	if (have_n)
		cfg->duration_ms = 0;
	return -1;
}

/*
 * --size: "SIZE" or "MIN:MAX".  A single size gets the usual message; a
 * range one of its own, since either half (or their order) may be wrong.
 */
static int
parse_size_range(const struct cliopt *c, int val, const char *s,
    struct config *cfg)
{
	char		 buf[64], max[CLIOPT_FMTLEN];
	const char	*colon;
	uint64_t	 lo, hi;
	size_t		 len;

	if ((colon = strchr(s, ':')) == NULL) {
		if (cliopt_size(c, val, s, 0, MAX_SIZE, &lo) == -1)
			return -1;
		hi = lo;
	} else {
		len = (size_t)(colon - s);
		if (len < sizeof(buf)) {
			memcpy(buf, s, len);
			buf[len] = '\0';
		}
		if (len >= sizeof(buf) ||
		    parse_size(buf, 0, MAX_SIZE, &lo) == -1 ||
		    parse_size(colon + 1, lo, MAX_SIZE, &hi) == -1) {
			cliopt_bad_value(c, val, s, "must be MIN:MAX with "
			    "MIN <= MAX <= %s, in bytes or with a K, M or G "
			    "suffix", cliopt_fmt_size(MAX_SIZE, max,
			    sizeof(max)));
			return -1;
		}
	}
	cfg->size_min = (uint32_t)lo;
	cfg->size_max = (uint32_t)hi;
	return 0;
}

/*
 * Find the server's address.  A name with several addresses (localhost
 * may mean ::1 and 127.0.0.1) gets one probe connection to learn which
 * answers, so N connections do not each try the wrong one first.
 */
static int
resolve(struct run *run)
{
	struct addrinfo	 hints, *res;
	char		 err[256];
	socklen_t	 len;
	int		 rv, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	if ((rv = getaddrinfo(run->cfg.host, run->cfg.port, &hints,
	    &res)) != 0) {
		fprintf(stderr, "%s: resolve %s port %s: %s\n", progname,
		    run->cfg.host, run->cfg.port, rv == EAI_SYSTEM ?
		    errstr(errno) : gai_strerror(rv));
		return -1;
	}
	memcpy(&run->addr, res->ai_addr, res->ai_addrlen);
	run->addrlen = res->ai_addrlen;
	if (res->ai_next != NULL) {
		fd = netutil_connect(run->cfg.host, run->cfg.port,
		    (int)run->cfg.timeout_ms, err, sizeof(err));
		len = sizeof(run->addr);
		if (fd != -1 && getpeername(fd, (struct sockaddr *)&run->addr,
		    &len) == 0)
			run->addrlen = len;
		/* Otherwise the first address it is; its errors will tell. */
		if (fd != -1)
			(void)close(fd);
	}
	freeaddrinfo(res);
	netutil_format_addr((struct sockaddr *)&run->addr, run->addrlen,
	    run->addrname, sizeof(run->addrname));
	return 0;
}

/* Each connection is a descriptor: fail now rather than with EMFILE. */
static int
raise_nofile(uint32_t connections)
{
	struct rlimit	rl;
	rlim_t		need = (rlim_t)connections + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		fprintf(stderr, "%s: getrlimit: %s\n", progname,
		    errstr(errno));
		return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >
		    need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			fprintf(stderr, "%s: setrlimit: %s\n", progname,
			    errstr(errno));
			return -1;
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		fprintf(stderr, "%s: %u connections need %llu file "
		    "descriptors, the limit is %llu (ulimit -n)\n", progname,
		    connections, (unsigned long long)need,
		    (unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

/* The pseudorandom bytes every payload is a slice of. */
static int
make_pattern(struct run *run)
{
	size_t		 len, i;
	uint64_t	 seed = 0x9e3779b97f4a7c15ULL, x;

	len = (size_t)run->cfg.size_max + PATTERN_SPAN;
	if ((run->pattern = malloc(len)) == NULL) {
		fprintf(stderr, "%s: %zu bytes for payloads: %s\n", progname,
		    len, errstr(errno));
		return -1;
	}
	for (i = 0; i < len; i += sizeof(x)) {
		x = xorshift(&seed);
		memcpy(run->pattern + i, &x, len - i < sizeof(x) ?
		    len - i : sizeof(x));
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&stop_requested, 1);
}

static int
install_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1) {
		fprintf(stderr, "%s: sigaction: %s\n", progname,
		    errstr(errno));
		return -1;
	}
	return 0;
}

/* xorshift64*: fast, and good enough to make payloads unpredictable. */
static uint64_t
xorshift(uint64_t *s)
{
	uint64_t	x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A message on stderr; only the first few, so a broken server is no flood. */
static void
report(const struct run *run, const char *fmt, ...)
{
	char		buf[512];
	va_list		ap;
	unsigned	n;

	if (run->cfg.quiet)
		return;
	n = atomic_fetch_add(&reports, 1);
	if (n > MAX_REPORTS)
		return;
	if (n == MAX_REPORTS) {
		snprintf(buf, sizeof(buf), "further messages not shown");
	} else {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
	}
	/* One call per line so threads do not interleave; erase progress. */
	fprintf(stderr, "%s%s: %s\n", run->progress ? "\r\033[K" : "",
	    progname, buf);
}

static int
worker_init(struct worker *w, const struct run *run, uint32_t index,
    uint32_t nthreads)
{
	struct slot	*slots;
	struct conn	*c;
	uint32_t	 i;

	memset(w, 0, sizeof(*w));
	w->run = run;
	w->index = index;
	w->epfd = -1;
	w->tfd = -1;
	/* Connections are dealt round-robin: thread t has t, t + T, ... */
	w->nconns = (run->cfg.connections - index + nthreads - 1) / nthreads;
	w->conns = calloc(w->nconns, sizeof(*w->conns));
	slots = calloc((size_t)w->nconns * run->cfg.depth, sizeof(*slots));
	w->rbuf = malloc(IOBUF_SIZE);
	w->wbuf = malloc(IOBUF_SIZE);
	w->hist = malloc(sizeof(*w->hist));
	if (w->conns == NULL || slots == NULL || w->rbuf == NULL ||
	    w->wbuf == NULL || w->hist == NULL) {
		free(slots);
		fprintf(stderr, "%s: %s\n", progname, errstr(ENOMEM));
		return -1;
	}
	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(slots);
		fprintf(stderr, "%s: epoll_create1: %s\n", progname,
		    errstr(errno));
		return -1;
	}
	histogram_init(w->hist);
	if (run->cfg.rate != 0 && worker_timer(w) == -1) {
		free(slots);
		return -1;
	}
	if (run->cfg.interval_ms != 0 && worker_intervals(w) == -1) {
		free(slots);
		return -1;
	}
	for (i = 0; i < w->nconns; i++) {
		c = &w->conns[i];
		c->fd = -1;
		c->id = index + i * nthreads;
		c->ring = slots + (size_t)i * run->cfg.depth;
		/* Distinct, never zero: xorshift's only fixed point. */
		c->rng = 0x2545f4914f6cdd1dULL * ((uint64_t)c->id + 1);
	}
	return 0;
}

/* Open loop: a timer in the epoll set (data NULL) wakes for due frames. */
static int
worker_timer(struct worker *w)
{
	struct epoll_event	ev;

	if ((w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1) {
		fprintf(stderr, "%s: timerfd_create: %s\n", progname,
		    errstr(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &ev) == -1) {
		fprintf(stderr, "%s: epoll_ctl: %s\n", progname,
		    errstr(errno));
		return -1;
	}
	return 0;
}

static int
worker_intervals(struct worker *w)
{
	int	rv;

	if ((w->ivl_hist = malloc(sizeof(*w->ivl_hist))) == NULL) {
		fprintf(stderr, "%s: %s\n", progname, errstr(ENOMEM));
		return -1;
	}
	histogram_init(w->ivl_hist);
	if ((rv = pthread_mutex_init(&w->ivl_lock, NULL)) != 0) {
		free(w->ivl_hist);
		w->ivl_hist = NULL;
		fprintf(stderr, "%s: pthread_mutex_init: %s\n", progname,
		    errstr(rv));
		return -1;
	}
	return 0;
}

static void
worker_free(struct worker *w)
{
	if (w->conns != NULL)
		free(w->conns[0].ring);
	free(w->conns);
	free(w->rbuf);
	free(w->wbuf);
	free(w->hist);
	if (w->ivl_hist != NULL) {
		free(w->ivl_hist);
		(void)pthread_mutex_destroy(&w->ivl_lock);
	}
	if (w->tfd != -1)
		(void)close(w->tfd);
	if (w->epfd != -1)
		(void)close(w->epfd);
}

static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	const struct run	*run = w->run;
	struct epoll_event	 ev[MAX_EVENTS];
	uint64_t		 now, t_call, t_ret, slept;
	int			 i, n, stop, wait_ms;

	t_ret = clock_now_ns();
	for (;;) {
		now = clock_now_ns();
		stop = atomic_load_explicit(&stop_requested,
		    memory_order_relaxed);
		if (!w->stopping && (now >= run->end_ns || stop > 0))
			begin_stop(w, now);
		if (stop > 1)
			abandon(w);
		start_due(w, now);
		if (w->open == 0 && w->next_start == w->nconns)
			break;
		issue_due(w, now);

		/*
		 * A load generator that falls behind makes the server look
		 * slow: record the longest stretch this loop was held up,
		 * busy since the last wake-up or asleep past its timeout
		 * (not scheduled), so the report can say so.
		 */
		wait_ms = worker_wait_ms(w, now);
		t_call = clock_now_ns();
		note_stall(w, t_call - t_ret);
		n = epoll_wait(w->epfd, ev, MAX_EVENTS, wait_ms);
		t_ret = clock_now_ns();
		slept = t_ret - t_call;
		if (slept > (uint64_t)wait_ms * CLOCK_NS_PER_MS)
			note_stall(w, slept -
			    (uint64_t)wait_ms * CLOCK_NS_PER_MS);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			worker_abort(w, "epoll_wait", errno);
			break;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				timer_drain(w);
			else
				conn_event(w, ev[i].data.ptr, ev[i].events);
		}

		now = clock_now_ns();
		if (now - w->last_tick >= TICK_NS) {
			w->last_tick = now;
			check_timeouts(w, now);
			worker_publish(w);
		}
	}
	worker_publish(w);
	/* Out of connections before the end: the thread's run ends here. */
	if (!w->stopping)
		w->stop_ns = clock_now_ns();

	if (pthread_mutex_lock(&done_lock) != 0)
		abort();
	done_count++;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

static void
note_stall(struct worker *w, uint64_t ns)
{
	if (ns > w->max_stall_ns)
		w->max_stall_ns = ns;
}

/* How long epoll_wait may sleep: until the next deadline or tick. */
static int
worker_wait_ms(const struct worker *w, uint64_t now)
{
	const struct run	*run = w->run;
	uint64_t		 wait = TICK_NS, due;
	uint32_t		 g;

	if (!w->stopping && run->end_ns != UINT64_MAX)
		wait = run->end_ns - now < wait ? run->end_ns - now : wait;
	if (w->next_start < w->nconns && run->cfg.connect_rate > 0) {
		g = w->conns[w->next_start].id;
		due = run->t0 + (uint64_t)g * CLOCK_NS_PER_S /
		    run->cfg.connect_rate;
		if (due <= now)
			wait = 0;
		else if (due - now < wait)
			wait = due - now;
	}
	/* Round up: waking early only spins. */
	return (int)((wait + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS);
}

/* Make this thread's counters visible to the progress line. */
static void
worker_publish(struct worker *w)
{
	atomic_store_explicit(&w->pub_echoes, w->echoes,
	    memory_order_relaxed);
	atomic_store_explicit(&w->pub_established, w->established,
	    memory_order_relaxed);
	atomic_store_explicit(&w->pub_errors, w->errors,
	    memory_order_relaxed);
	atomic_store_explicit(&w->pub_mismatches, w->mismatches,
	    memory_order_relaxed);
}

/* The event loop itself broke: every connection of the thread is lost. */
static void
worker_abort(struct worker *w, const char *what, int err)
{
	uint32_t	i;

	report(w->run, "thread %u: %s: %s", w->index, what, errstr(err));
	w->errors++;
	begin_stop(w, clock_now_ns());
	for (i = 0; i < w->nconns; i++)
		if (w->conns[i].state != C_CLOSED)
			conn_close(w, &w->conns[i]);
}

/* Start the connections whose time has come (--connect-rate). */
static void
start_due(struct worker *w, uint64_t now)
{
	const struct run	*run = w->run;
	struct conn		*c;

	while (w->next_start < w->nconns) {
		c = &w->conns[w->next_start];
		if (run->cfg.connect_rate > 0 && run->t0 + (uint64_t)c->id *
		    CLOCK_NS_PER_S / run->cfg.connect_rate > now)
			break;
		w->next_start++;
		conn_start(w, c, now);
	}
}

/*
 * The measurement is over (or a signal came): issue no more frames, let
 * the frames in flight come back (bounded by --timeout), then close.
 */
static void
begin_stop(struct worker *w, uint64_t now)
{
	struct conn	*c;
	uint32_t	 i;

	w->stopping = 1;
	w->stop_ns = now;
	for (i = 0; i < w->nconns; i++) {
		c = &w->conns[i];
		switch (c->state) {
		case C_IDLE:
			c->state = C_CLOSED;
			w->not_started++;
			break;
		case C_CONNECTING:
			conn_fail(w, c, "connection %u: still connecting when "
			    "the run ended", c->id);
			break;
		case C_ACTIVE:
			if (c->count == 0)
				conn_close(w, c);
			break;
		}
	}
	w->next_start = w->nconns;
}

/* Asked twice to stop: close without waiting for the frames in flight. */
static void
abandon(struct worker *w)
{
	uint32_t	i;

	for (i = 0; i < w->nconns; i++)
		if (w->conns[i].state != C_CLOSED)
			conn_close(w, &w->conns[i]);
}

static void
check_timeouts(struct worker *w, uint64_t now)
{
	const struct run	*run = w->run;
	struct conn		*c;
	uint32_t		 i;

	if (run->timeout_ns == 0)
		return;
	for (i = 0; i < w->nconns; i++) {
		c = &w->conns[i];
		if (c->state == C_CONNECTING &&
		    now - c->t_start > run->timeout_ns)
			conn_fail(w, c, "connection %u: connect timed out "
			    "after %.1f s", c->id,
			    (double)(now - c->t_start) / CLOCK_NS_PER_S);
		else if (c->state == C_ACTIVE && c->count > 0 &&
		    now - c->ring[c->head].ts > run->timeout_ns)
			conn_error(w, c, "connection %u: no echo of frame "
			    "%llu for %.1f s", c->id,
			    (unsigned long long)c->echoed + 1,
			    (double)(now - c->ring[c->head].ts) /
			    CLOCK_NS_PER_S);
	}
}

/*
 * Open loop: when the frame of c in round k is due.  Frame j of the run,
 * j = k * connections + id, is due at t0 + j / rate.  A double holds j
 * times the ns per frame exactly enough: to the ns for over 100 days.
 */
static uint64_t
due_time(const struct run *run, const struct conn *c, uint64_t k)
{
	double	j = (double)k * run->cfg.connections + c->id;

	return run->t0 + (uint64_t)(j * run->ns_per_frame);
}

/* The first round of c due at or after now: a new connection owes none. */
static uint64_t
first_round(const struct run *run, const struct conn *c, uint64_t now)
{
	double		 k;
	uint64_t	 r;

	k = ((double)(now - run->t0) / run->ns_per_frame - c->id) /
	    run->cfg.connections;
	if (k <= 0)
		return 0;
	r = (uint64_t)k;
	return due_time(run, c, r) < now ? r + 1 : r;
}

/*
 * Open loop: move the cursor over every due time up to now, giving each
 * connection passed the chance to issue what is due (--depth and the
 * socket permitting: what they hold back goes when echoes or EPOLLOUT
 * free room), then set the timer for the next due time.
 */
static void
issue_due(struct worker *w, uint64_t now)
{
	const struct run	*run = w->run;
	struct conn		*c;
	uint64_t		 due;

	if (run->cfg.rate == 0 || w->stopping)
		return;
	for (;;) {
		c = &w->conns[w->cur_conn];
		if ((due = due_time(run, c, w->cur_round)) > now)
			break;
		if (c->state == C_ACTIVE) {
			conn_issue(w, c, now);
			(void)conn_flush(w, c);
		}
		if (++w->cur_conn == w->nconns) {
			w->cur_conn = 0;
			w->cur_round++;
		}
	}
	if (timer_arm(w, due) == -1)
		worker_abort(w, "timerfd_settime", errno);
}

static int
timer_arm(struct worker *w, uint64_t due)
{
	struct itimerspec	its;

	if (due == w->armed)
		return 0;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(due / CLOCK_NS_PER_S);
	its.it_value.tv_nsec = (long)(due % CLOCK_NS_PER_S);
	if (timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		return -1;
	w->armed = due;
	return 0;
}

/* The timer fired: clear it; issue_due() does the rest. */
static void
timer_drain(struct worker *w)
{
	uint64_t	expirations;

	if (read(w->tfd, &expirations, sizeof(expirations)) == -1 &&
	    errno != EAGAIN && errno != EINTR)
		worker_abort(w, "read timerfd", errno);
	w->armed = 0;
}

static void
conn_start(struct worker *w, struct conn *c, uint64_t now)
{
	const struct run	*run = w->run;
	struct epoll_event	 ev;
	int			 fd, one = 1, rv;

	c->t_start = now;
	fd = socket(run->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		conn_fail(w, c, "connection %u: socket: %s", c->id,
		    errstr(errno));
		return;
	}
	c->fd = fd;
	w->open++;
	c->state = C_CONNECTING;
	/* Frames are batched here, never by Nagle's algorithm. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1) {
		conn_fail(w, c, "connection %u: TCP_NODELAY: %s", c->id,
		    errstr(errno));
		return;
	}
	rv = connect(fd, (const struct sockaddr *)&run->addr, run->addrlen);
	/* An interrupted non-blocking connect goes on in the background. */
	if (rv == -1 && errno != EINPROGRESS && errno != EINTR) {
		conn_fail(w, c, "connection %u: connect to %s: %s", c->id,
		    run->addrname, errstr(errno));
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = rv == 0 ? EPOLLIN : EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		conn_fail(w, c, "connection %u: epoll_ctl: %s", c->id,
		    errstr(errno));
		return;
	}
	if (rv == 0)
		conn_established(w, c, now);
}

/* The socket of a pending connect became writable: did it connect? */
static void
conn_connected(struct worker *w, struct conn *c)
{
	struct epoll_event	ev;
	socklen_t		len = sizeof(int);
	int			err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		conn_fail(w, c, "connection %u: connect to %s: %s", c->id,
		    w->run->addrname, errstr(err));
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1) {
		conn_fail(w, c, "connection %u: epoll_ctl: %s", c->id,
		    errstr(errno));
		return;
	}
	conn_established(w, c, clock_now_ns());
}

static void
conn_established(struct worker *w, struct conn *c, uint64_t now)
{
	c->state = C_ACTIVE;
	w->established++;
	if (w->run->cfg.rate != 0)
		c->next_round = first_round(w->run, c, now);
	if (conn_done(w, c)) {
		conn_close(w, c);
		return;
	}
	conn_issue(w, c, now);
	(void)conn_flush(w, c);
}

static void
conn_event(struct worker *w, struct conn *c, uint32_t events)
{
	/* An earlier event of this batch may have closed it. */
	if (c->state == C_CONNECTING) {
		conn_connected(w, c);
		return;
	}
	if (c->state != C_ACTIVE)
		return;
	if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 &&
	    conn_read(w, c) == -1)
		return;
	if ((events & EPOLLOUT) != 0 && c->state == C_ACTIVE)
		(void)conn_flush(w, c);
}

/* Close the socket; a connection that never got an echo waited until now. */
static void
conn_close(struct worker *w, struct conn *c)
{
	if (c->fd != -1) {
		/* Nothing useful to do if close fails: the fd is gone. */
		(void)close(c->fd);
		c->fd = -1;
		w->open--;
	}
	if (c->issued > 0 && !c->has_wait) {
		c->has_wait = 1;
		c->first_wait = clock_now_ns() - c->t_first;
	}
	c->state = C_CLOSED;
}

/* Report why c ended, count it in *counter, close it. */
static void
conn_end(struct worker *w, struct conn *c, uint64_t *counter,
    const char *fmt, va_list ap)
{
	char	buf[256];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	report(w->run, "%s", buf);
	(*counter)++;
	conn_close(w, c);
}

/* The connection could not be established. */
static void
conn_fail(struct worker *w, struct conn *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conn_end(w, c, &w->failed, fmt, ap);
	va_end(ap);
}

/* An established connection broke. */
static void
conn_error(struct worker *w, struct conn *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conn_end(w, c, &w->errors, fmt, ap);
	va_end(ap);
}

/* Nothing more to send or to wait for. */
static int
conn_done(const struct worker *w, const struct conn *c)
{
	if (w->run->cfg.frames != 0 && c->echoed >= w->run->cfg.frames)
		return 1;
	return w->stopping && c->count == 0;
}

/* Fill the ring up to --depth frames in flight (open loop: those due). */
static void
conn_issue(struct worker *w, struct conn *c, uint64_t now)
{
	const struct config	*cfg = &w->run->cfg;
	struct slot		*s;
	uint64_t		 r, range, ts = now;
	uint32_t		 i;

	if (w->stopping)
		return;
	range = (uint64_t)cfg->size_max - cfg->size_min + 1;
	while (c->count < cfg->depth &&
	    (cfg->frames == 0 || c->issued < cfg->frames)) {
		/* Open loop: only frames already due, with their due time. */
		if (cfg->rate != 0) {
			if ((ts = due_time(w->run, c, c->next_round)) > now)
				break;
			c->next_round++;
		}
		i = c->head + c->count;
		if (i >= cfg->depth)
			i -= cfg->depth;
		s = &c->ring[i];
		r = xorshift(&c->rng);
		s->size = cfg->size_min;
		if (range > 1)
			s->size += (uint32_t)((r >> 32) % range);
		s->off = (uint32_t)r & (PATTERN_SPAN - 1);
		s->ts = ts;
		if (c->issued == 0)
			c->t_first = now;
		c->issued++;
		c->count++;
	}
}

/*
 * The next bytes to send, from frame head + nsent at sendpos on: a large
 * payload remainder straight from the pattern, else as many frames as fit
 * copied into the thread's send buffer.  Returns the length.
 */
static size_t
conn_build(const struct worker *w, const struct conn *c,
    const unsigned char **out)
{
	const struct run	*run = w->run;
	const struct slot	*s;
	unsigned char		 hdr[HDR];
	size_t			 n = 0, m;
	uint32_t		 i, k, pos = c->sendpos;

	i = c->head + c->nsent;
	if (i >= run->cfg.depth)
		i -= run->cfg.depth;
	s = &c->ring[i];
	if (pos >= HDR && s->size - (pos - HDR) >= DIRECT_MIN) {
		*out = run->pattern + s->off + (pos - HDR);
		return s->size - (pos - HDR);
	}

	for (k = c->nsent; k < c->count && n < IOBUF_SIZE; k++) {
		if (pos < HDR) {
			msgframe_encode_header(hdr, s->size);
			m = HDR - pos < IOBUF_SIZE - n ? HDR - pos :
			    IOBUF_SIZE - n;
			memcpy(w->wbuf + n, hdr + pos, m);
			n += m;
			pos += (uint32_t)m;
			if (pos < HDR)
				break;
		}
		m = (size_t)s->size - (pos - HDR);
		if (m > IOBUF_SIZE - n)
			m = IOBUF_SIZE - n;
		memcpy(w->wbuf + n, run->pattern + s->off + (pos - HDR), m);
		n += m;
		pos = 0;
		if (++i == run->cfg.depth)
			i = 0;
		s = &c->ring[i];
	}
	*out = w->wbuf;
	return n;
}

/* Account for n bytes sent. */
static void
conn_advance(struct conn *c, uint32_t depth, size_t n)
{
	const struct slot	*s;
	uint32_t		 i;
	size_t			 left;

	while (n > 0) {
		i = c->head + c->nsent;
		if (i >= depth)
			i -= depth;
		s = &c->ring[i];
		left = (size_t)HDR + s->size - c->sendpos;
		if (n < left) {
			c->sendpos += (uint32_t)n;
			return;
		}
		n -= left;
		c->sendpos = 0;
		c->nsent++;
	}
}

/* Send what the socket takes; wait for EPOLLOUT for the rest. */
static int
conn_flush(struct worker *w, struct conn *c)
{
	const unsigned char	*buf;
	size_t			 len;
	ssize_t			 n;

	while (c->nsent < c->count) {
		len = conn_build(w, c, &buf);
		n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return conn_want_out(w, c, 1);
			conn_error(w, c, "connection %u: send: %s", c->id,
			    errstr(errno));
			return -1;
		}
		conn_advance(c, w->run->cfg.depth, (size_t)n);
		if ((size_t)n < len)
			return conn_want_out(w, c, 1);
	}
	return conn_want_out(w, c, 0);
}

static int
conn_want_out(struct worker *w, struct conn *c, int on)
{
	struct epoll_event	ev;

	if (c->want_out == on)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1) {
		conn_error(w, c, "connection %u: epoll_ctl: %s", c->id,
		    errstr(errno));
		return -1;
	}
	c->want_out = (uint8_t)on;
	return 0;
}

/* Read and check what arrived, then refill the ring and send. */
static int
conn_read(struct worker *w, struct conn *c)
{
	uint64_t	now = 0;
	ssize_t		n;
	int		i, rv;

	for (i = 0; i < READS_PER_EVENT; i++) {
		n = recv(c->fd, w->rbuf, IOBUF_SIZE, MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_error(w, c, "connection %u: recv: %s", c->id,
			    errstr(errno));
			return -1;
		}
		if (n == 0) {
			conn_error(w, c, "connection %u: the server closed the "
			    "connection with %u frames in flight", c->id,
			    c->count);
			return -1;
		}
		/* One clock read and lock per batch of echoes, not a frame. */
		now = clock_now_ns();
		ivl_lock(w);
		rv = conn_consume(w, c, w->rbuf, (size_t)n, now);
		ivl_unlock(w);
		if (rv == -1)
			return -1;
		if ((size_t)n < IOBUF_SIZE)
			break;
	}
	if (now == 0)
		return 0;
	if (conn_done(w, c)) {
		conn_close(w, c);
		return -1;
	}
	conn_issue(w, c, now);
	return conn_flush(w, c);
}

/* Compare n received bytes with the expected stream, frame by frame. */
static int
conn_consume(struct worker *w, struct conn *c, const unsigned char *p,
    size_t n, uint64_t now)
{
	const struct slot	*s;
	const unsigned char	*want;
	unsigned char		 hdr[HDR];
	size_t			 take, m;

	while (n > 0) {
		if (c->count == 0) {
			conn_error(w, c, "connection %u: %zu bytes arrived with "
			    "no frame in flight", c->id, n);
			return -1;
		}
		s = &c->ring[c->head];
		take = (size_t)HDR + s->size - c->recvpos;
		if (take > n)
			take = n;
		m = 0;
		if (c->recvpos < HDR) {
			m = HDR - c->recvpos < take ? HDR - c->recvpos : take;
			msgframe_encode_header(hdr, s->size);
			if (memcmp(p, hdr + c->recvpos, m) != 0) {
				header_mismatch(w, c, p, n, s->size);
				return -1;
			}
		}
		if (take > m) {
			want = w->run->pattern + s->off + (c->recvpos + m - HDR);
			if (memcmp(p + m, want, take - m) != 0 && !c->bad)
				payload_mismatch(w, c, p + m, want, take - m,
				    c->recvpos + (uint32_t)m - HDR);
		}
		c->recvpos += (uint32_t)take;
		p += take;
		n -= take;
		if (c->recvpos == HDR + s->size &&
		    conn_echoed(w, c, now) == -1)
			return -1;
	}
	return 0;
}

/*
 * A wrong length prefix: the stream's framing is lost, so the connection
 * ends.  It counts as a mismatch, not an error.
 */
static void
header_mismatch(struct worker *w, struct conn *c, const unsigned char *p,
    size_t n, uint32_t size)
{
	w->mismatches++;
	if (c->recvpos == 0 && n >= HDR)
		report(w->run, "connection %u: echo of frame %llu announces "
		    "%u bytes, %u were sent", c->id,
		    (unsigned long long)c->echoed + 1,
		    msgframe_decode_header(p), size);
	else
		report(w->run, "connection %u: the length prefix of the echo "
		    "of frame %llu differs from the %u bytes sent", c->id,
		    (unsigned long long)c->echoed + 1, size);
	conn_close(w, c);
}

/* Count a frame once, however many of its bytes differ. */
static void
payload_mismatch(struct worker *w, struct conn *c, const unsigned char *got,
    const unsigned char *want, size_t n, uint32_t at)
{
	size_t	i;

	for (i = 0; i < n && got[i] == want[i]; i++)
		;
	c->bad = 1;
	w->mismatches++;
	report(w->run, "connection %u: echo of frame %llu differs from what "
	    "was sent at byte %zu of %u", c->id,
	    (unsigned long long)c->echoed + 1, (size_t)at + i,
	    c->ring[c->head].size);
}

/* The echo of the oldest frame is complete. */
static int
conn_echoed(struct worker *w, struct conn *c, uint64_t now)
{
	const struct run	*run = w->run;
	const struct slot	*s = &c->ring[c->head];
	uint64_t		 lat;

	if (c->nsent == 0) {
		/* Only a broken server echoes what was not sent yet. */
		conn_error(w, c, "connection %u: echo of frame %llu arrived "
		    "before the frame was sent", c->id,
		    (unsigned long long)c->echoed + 1);
		return -1;
	}
	lat = now - s->ts;
	if (!c->has_wait) {
		c->has_wait = 1;
		c->first_wait = lat;
	}
	if (now >= run->measure_start && now < run->end_ns) {
		histogram_record(w->hist, lat);
		w->frames++;
		w->bytes += s->size;
		w->last_echo = now;
		/* conn_read() holds ivl_lock: the main thread reaps these. */
		if (w->ivl_hist != NULL) {
			histogram_record(w->ivl_hist, lat);
			w->ivl_frames++;
			w->ivl_bytes += s->size;
		}
	}
	w->echoes++;
	c->bad = 0;
	c->recvpos = 0;
	if (++c->head == run->cfg.depth)
		c->head = 0;
	c->count--;
	c->nsent--;
	c->echoed++;
	return 0;
}

/* The interval figures are shared with the main thread (--interval only). */
static void
ivl_lock(struct worker *w)
{
	if (w->ivl_hist != NULL && pthread_mutex_lock(&w->ivl_lock) != 0)
		abort();
}

static void
ivl_unlock(struct worker *w)
{
	if (w->ivl_hist != NULL && pthread_mutex_unlock(&w->ivl_lock) != 0)
		abort();
}

/*
 * Wait for the threads; meanwhile, once a second, a progress line, and
 * with --interval each interval's line when it is due.
 */
static void
progress_loop(struct run *run, struct worker *ws, uint32_t nthreads,
    struct intervals *iv)
{
	struct timespec	deadline;
	uint64_t	next, wake, now, prev_echoes = 0, prev_ns = run->t0;

	next = run->t0 + CLOCK_NS_PER_S;
	if (pthread_mutex_lock(&done_lock) != 0)
		abort();
	while (done_count < nthreads) {
		wake = iv->next != 0 && iv->next < next ? iv->next : next;
		deadline.tv_sec = (time_t)(wake / CLOCK_NS_PER_S);
		deadline.tv_nsec = (long)(wake % CLOCK_NS_PER_S);
		if (pthread_cond_timedwait(&done_cond, &done_lock,
		    &deadline) == 0)
			continue;
		now = clock_now_ns();
		if (iv->next != 0 && now >= iv->next) {
			/* Never two locks at once: reaping takes workers'. */
			if (pthread_mutex_unlock(&done_lock) != 0)
				abort();
			ivl_reap(run, ws, nthreads, now, iv);
			if (pthread_mutex_lock(&done_lock) != 0)
				abort();
		}
		if (now < next)
			continue;
		next += CLOCK_NS_PER_S;
		if (run->progress)
			progress_line(run, ws, nthreads, now, &prev_echoes,
			    &prev_ns);
	}
	if (pthread_mutex_unlock(&done_lock) != 0)
		abort();
	if (run->progress)
		fputs("\r\033[K", stderr);
}

/* --interval: the main thread's merge of every thread's figures. */
static int
ivl_init(const struct run *run, struct intervals *iv)
{
	memset(iv, 0, sizeof(*iv));
	if (run->cfg.interval_ms == 0)
		return 0;
	if ((iv->sum = malloc(sizeof(*iv->sum))) == NULL) {
		fprintf(stderr, "%s: %s\n", progname, errstr(ENOMEM));
		return -1;
	}
	iv->last = run->measure_start;
	iv->next = run->measure_start + run->cfg.interval_ms * CLOCK_NS_PER_MS;
	return 0;
}

/*
 * Close the interval at now (at most the end of the measurement): take
 * and reset every thread's figures, print its line, keep it for --json,
 * and set when the next one is due (0 once past the end).
 */
static void
ivl_reap(const struct run *run, struct worker *ws, uint32_t nthreads,
    uint64_t now, struct intervals *iv)
{
	struct interval	 in, *v;
	uint64_t	 step = run->cfg.interval_ms * CLOCK_NS_PER_MS;
	uint32_t	 i;
	double		 d;

	while (iv->next != 0 && iv->next <= now)
		iv->next = iv->next < run->end_ns - step ? iv->next + step : 0;
	memset(&in, 0, sizeof(in));
	in.start = iv->last;
	in.end = now < run->end_ns ? now : run->end_ns;
	if (in.end <= in.start)
		return;
	histogram_init(iv->sum);
	for (i = 0; i < nthreads; i++) {
		ivl_lock(&ws[i]);
		histogram_merge(iv->sum, ws[i].ivl_hist);
		in.frames += ws[i].ivl_frames;
		in.bytes += ws[i].ivl_bytes;
		histogram_init(ws[i].ivl_hist);
		ws[i].ivl_frames = ws[i].ivl_bytes = 0;
		ivl_unlock(&ws[i]);
	}
	iv->last = in.end;
	in.p50 = histogram_quantile(iv->sum, 0.50);
	in.p99 = histogram_quantile(iv->sum, 0.99);
	d = (double)(in.end - in.start) / CLOCK_NS_PER_S;
	if (!run->cfg.quiet)
		fprintf(stderr, "%s%s: %8.3f-%.3f s %10.1f frames/s %9.3f MB/s"
		    "  p50 %.1f us  p99 %.1f us\n", run->progress ?
		    "\r\033[K" : "", progname, (double)(in.start -
		    run->measure_start) / CLOCK_NS_PER_S, (double)(in.end -
		    run->measure_start) / CLOCK_NS_PER_S, in.frames / d,
		    in.bytes / d / 1e6, in.p50 / 1000.0, in.p99 / 1000.0);
	if (iv->n == iv->cap) {
		if ((v = realloc(iv->v, (iv->cap + 64) * sizeof(*v))) == NULL) {
			if (!iv->failed)
				fprintf(stderr, "%s: intervals: %s\n",
				    progname, errstr(ENOMEM));
			iv->failed = 1;
			return;
		}
		iv->v = v;
		iv->cap += 64;
	}
	iv->v[iv->n++] = in;
}

static void
progress_line(const struct run *run, struct worker *ws, uint32_t nthreads,
    uint64_t now, uint64_t *prev_echoes, uint64_t *prev_ns)
{
	uint64_t	echoes = 0, est = 0, errors = 0, mism = 0;
	uint32_t	i;
	double		rate;

	for (i = 0; i < nthreads; i++) {
		echoes += atomic_load_explicit(&ws[i].pub_echoes,
		    memory_order_relaxed);
		est += atomic_load_explicit(&ws[i].pub_established,
		    memory_order_relaxed);
		errors += atomic_load_explicit(&ws[i].pub_errors,
		    memory_order_relaxed);
		mism += atomic_load_explicit(&ws[i].pub_mismatches,
		    memory_order_relaxed);
	}
	rate = (double)(echoes - *prev_echoes) * CLOCK_NS_PER_S /
	    (double)(now - *prev_ns);
	*prev_echoes = echoes;
	*prev_ns = now;
	fprintf(stderr, "\r\033[K%s: %3.0f s%s  %.0f frames/s  %llu/%u "
	    "connected  %llu errors  %llu mismatches", progname,
	    (double)(now - run->t0) / CLOCK_NS_PER_S,
	    now < run->measure_start ? " (warm-up)" : "", rate,
	    (unsigned long long)est, run->cfg.connections,
	    (unsigned long long)errors, (unsigned long long)mism);
}

/* Merge the threads' results; the first-echo waits define "waited". */
static int
summarize(const struct run *run, struct worker *ws, uint32_t nthreads,
    struct results *r)
{
	const struct conn	*c;
	uint64_t		 end = 0, median;
	uint32_t		 i, j;

	memset(r, 0, sizeof(*r));
	if ((r->hist = malloc(sizeof(*r->hist))) == NULL) {
		fprintf(stderr, "%s: %s\n", progname, errstr(errno));
		return -1;
	}
	histogram_init(r->hist);
	for (i = 0; i < nthreads; i++) {
		histogram_merge(r->hist, ws[i].hist);
		r->established += ws[i].established;
		r->failed += ws[i].failed + ws[i].not_started;
		r->not_started += ws[i].not_started;
		r->errors += ws[i].errors;
		r->mismatches += ws[i].mismatches;
		if (ws[i].max_stall_ns > r->max_stall_ns) {
			r->max_stall_ns = ws[i].max_stall_ns;
			r->stall_thread = i;
		}
		r->frames += ws[i].frames;
		r->bytes += ws[i].bytes;
		if (run->cfg.frames != 0 && ws[i].last_echo > end)
			end = ws[i].last_echo;
		if (run->cfg.frames == 0 && ws[i].stop_ns > end)
			end = ws[i].stop_ns;
	}
	if (run->cfg.frames == 0 && end > run->end_ns)
		end = run->end_ns;
	r->end_ns = end > run->measure_start ? end : run->measure_start;
	r->duration_s = (double)(r->end_ns - run->measure_start) /
	    CLOCK_NS_PER_S;

	/*
	 * A first echo far slower than echoes usually are means the
	 * connection sat in a queue (accept backlog, busy worker pool)
	 * before anyone served it.
	 */
	median = histogram_quantile(r->hist, 0.5);
	r->wait_threshold_ns = 2 * median > WAIT_MIN_NS ? 2 * median :
	    WAIT_MIN_NS;
	for (i = 0; i < nthreads; i++) {
		for (j = 0; j < ws[i].nconns; j++) {
			c = &ws[i].conns[j];
			if (!c->has_wait)
				continue;
			if (c->first_wait > r->wait_threshold_ns)
				r->waited++;
			if (c->first_wait > r->max_wait_ns)
				r->max_wait_ns = c->first_wait;
		}
	}
	return 0;
}

static double
quantile_us(const struct histogram *h, double q)
{
	return (double)histogram_quantile(h, q) / 1000.0;
}

/* An empty histogram's max and mean are not numbers to print. */
static double
max_us(const struct histogram *h)
{
	return h->count == 0 ? 0.0 : (double)h->max / 1000.0;
}

static double
mean_us(const struct histogram *h)
{
	return h->count == 0 ? 0.0 : histogram_mean(h) / 1000.0;
}

static void
print_table(const struct run *run, const struct results *r,
    uint32_t nthreads)
{
	const struct config	*cfg = &run->cfg;
	const char		*label[NPCTS + 2];
	double			 d = r->duration_s, value[NPCTS + 2];
	size_t			 i, j;

	printf("%-16s %s\n", "server", run->addrname);
	printf("%-16s %u\n", "connections", cfg->connections);
	printf("%-16s %llu\n", "established",
	    (unsigned long long)r->established);
	printf("%-16s %llu", "failed", (unsigned long long)r->failed);
	if (r->not_started > 0)
		printf(" (%llu not started before the end)",
		    (unsigned long long)r->not_started);
	printf("\n%-16s %u\n", "threads", nthreads);
	printf("%-16s %u\n", "depth", cfg->depth);
	if (cfg->size_min == cfg->size_max)
		printf("%-16s %u B\n", "size", cfg->size_min);
	else
		printf("%-16s %u-%u B\n", "size", cfg->size_min,
		    cfg->size_max);
	printf("%-16s %.3f s\n", "duration", d);
	printf("%-16s %llu\n", "frames", (unsigned long long)r->frames);
	printf("%-16s %.1f\n", "frames/s", d > 0 ? r->frames / d : 0.0);
	printf("%-16s %.3f (payload, one way)\n", "MB/s",
	    d > 0 ? r->bytes / d / 1e6 : 0.0);
	if (cfg->rate != 0)
		printf("%-16s %llu frames/s offered, %.1f achieved (open "
		    "loop)\n", "rate", (unsigned long long)cfg->rate,
		    achieved(r));
	/* The percentiles, max and mean: two rows of four fit 80 columns. */
	for (i = 0; i < NPCTS; i++) {
		label[i] = pcts[i].label;
		value[i] = quantile_us(r->hist, pcts[i].q);
	}
	label[NPCTS] = "max";
	value[NPCTS] = max_us(r->hist);
	label[NPCTS + 1] = "mean";
	value[NPCTS + 1] = mean_us(r->hist);
	for (i = 0; i < NPCTS + 2; i += 4) {
		printf("%-16s", i == 0 ? "latency (us)" : "");
		for (j = i; j < i + 4 && j < NPCTS + 2; j++)
			printf(" %9s", label[j]);
		printf("\n%-16s", "");
		for (j = i; j < i + 4 && j < NPCTS + 2; j++)
			printf(" %9.1f", value[j]);
		printf("\n");
	}
	printf("%-16s %llu (first echo over %.1f ms)\n", "waited",
	    (unsigned long long)r->waited,
	    (double)r->wait_threshold_ns / CLOCK_NS_PER_MS);
	printf("%-16s %.3f ms\n", "max wait",
	    (double)r->max_wait_ns / CLOCK_NS_PER_MS);
	printf("%-16s %.3f ms (longest a thread's event loop was held up)\n",
	    "client stall", (double)r->max_stall_ns / CLOCK_NS_PER_MS);
	printf("%-16s %llu\n", "errors", (unsigned long long)r->errors);
	printf("%-16s %llu\n", "mismatches",
	    (unsigned long long)r->mismatches);
}

static void
print_json(const struct run *run, const struct results *r,
    const struct intervals *iv)
{
	const struct config	*cfg = &run->cfg;
	const struct interval	*in;
	double			 d = r->duration_s;
	size_t			 i;

	printf("{\"connections\": %u, \"established\": %llu, "
	    "\"failed\": %llu, \"depth\": %u, \"size_min\": %u, "
	    "\"size_max\": %u, \"duration_s\": %.3f, \"frames\": %llu, "
	    "\"frames_per_s\": %.1f, \"mb_per_s\": %.3f, ",
	    cfg->connections, (unsigned long long)r->established,
	    (unsigned long long)r->failed, cfg->depth, cfg->size_min,
	    cfg->size_max, d, (unsigned long long)r->frames,
	    d > 0 ? r->frames / d : 0.0, d > 0 ? r->bytes / d / 1e6 : 0.0);
	if (cfg->rate != 0)
		printf("\"rate_offered\": %llu, \"rate_achieved\": %.1f, ",
		    (unsigned long long)cfg->rate, achieved(r));
	printf("\"latency_us\": {");
	for (i = 0; i < NPCTS; i++)
		printf("\"%s\": %.1f, ", pcts[i].key,
		    quantile_us(r->hist, pcts[i].q));
	printf("\"max\": %.1f, \"mean\": %.1f}, ", max_us(r->hist),
	    mean_us(r->hist));
	printf("\"waited\": %llu, \"max_wait_ms\": %.3f, "
	    "\"client_stall_ms\": %.3f, \"errors\": %llu, "
	    "\"mismatches\": %llu", (unsigned long long)r->waited,
	    (double)r->max_wait_ns / CLOCK_NS_PER_MS,
	    (double)r->max_stall_ns / CLOCK_NS_PER_MS,
	    (unsigned long long)r->errors, (unsigned long long)r->mismatches);
	if (cfg->interval_ms != 0) {
		printf(", \"intervals\": [");
		for (i = 0; i < iv->n; i++) {
			in = &iv->v[i];
			d = (double)(in->end - in->start) / CLOCK_NS_PER_S;
			printf("%s{\"start_s\": %.3f, \"end_s\": %.3f, "
			    "\"frames\": %llu, \"frames_per_s\": %.1f, "
			    "\"mb_per_s\": %.3f, \"p50_us\": %.1f, "
			    "\"p99_us\": %.1f}", i > 0 ? ", " : "",
			    (double)(in->start - run->measure_start) /
			    CLOCK_NS_PER_S, (double)(in->end -
			    run->measure_start) / CLOCK_NS_PER_S,
			    (unsigned long long)in->frames, in->frames / d,
			    in->bytes / d / 1e6, in->p50 / 1000.0,
			    in->p99 / 1000.0);
		}
		printf("]");
	}
	printf("}\n");
}

/* --percentiles: the whole distribution, in microseconds. */
static int
write_percentiles(const struct run *run, const struct results *r,
    FILE *fp)
{
	int	err = 0;

	if (histogram_write_percentiles(r->hist, fp, 1000.0,
	    PERCENTILE_TICKS) == -1 || fflush(fp) == EOF)
		err = errno != 0 ? errno : EIO;
	if (fclose(fp) == EOF && err == 0)
		err = errno;
	if (err == 0)
		return 0;
	fprintf(stderr, "%s: writing %s: %s\n", progname,
	    run->cfg.percentiles, errstr(err));
	return -1;
}

/* Open loop: the frames/s the server echoed, against the --rate offered. */
static double
achieved(const struct results *r)
{
	return r->duration_s > 0 ? r->frames / r->duration_s : 0.0;
}

/* Figures that measured something besides the server say so. */
static void
warn_measured(const struct run *run, const struct results *r)
{
	if (r->max_stall_ns >= STALL_WARN_NS)
		fprintf(stderr, "%s: thread %u was held up for %.1f s (busy, or "
		    "not scheduled): the latencies and timeouts of its "
		    "connections include that delay\n", progname,
		    r->stall_thread, (double)r->max_stall_ns / CLOCK_NS_PER_S);
	if (run->cfg.rate != 0 &&
	    achieved(r) < RATE_ACHIEVED_MIN * (double)run->cfg.rate)
		fprintf(stderr, "%s: achieved %.1f frames/s of the %llu "
		    "offered (%.0f%%): frames waited in msgbench for the "
		    "server (--depth, a full socket) or for msgbench itself, "
		    "and count from when they were due\n", progname,
		    achieved(r), (unsigned long long)run->cfg.rate,
		    100.0 * achieved(r) / (double)run->cfg.rate);
}

/* A report that did not reach its file must not look like success. */
static int
close_stdout(void)
{
	int	err = 0;

	if (fflush(stdout) == EOF || ferror(stdout))
		err = errno != 0 ? errno : EIO;
	if (fclose(stdout) == EOF && err == 0)
		err = errno;
	if (err == 0)
		return 0;
	fprintf(stderr, "%s: writing standard output: %s\n", progname,
	    errstr(err));
	return -1;
}

int
main(int argc, char *argv[])
{
	struct run		 run;
	struct worker		*ws;
	struct results		 res;
	struct intervals	 iv;
	pthread_condattr_t	 ca;
	FILE			*pfile = NULL;
	uint32_t		 nthreads, i, started;
	long			 ncpu;
	int			 rv, status;

	memset(&run, 0, sizeof(run));
	progname = cliopt_progname(argc > 0 ? argv[0] : NULL, "msgbench");
	if ((rv = parse_options(argc, argv, &run.cfg)) != -1)
		return rv;
	run.timeout_ns = run.cfg.timeout_ms * CLOCK_NS_PER_MS;
	run.progress = !run.cfg.quiet && isatty(STDERR_FILENO);
	if (run.cfg.rate != 0)
		run.ns_per_frame = (double)CLOCK_NS_PER_S / run.cfg.rate;

	nthreads = run.cfg.threads;
	if (nthreads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS :
		    (uint32_t)ncpu;
	}
	if (nthreads > run.cfg.connections)
		nthreads = run.cfg.connections;

	if (resolve(&run) == -1 || raise_nofile(run.cfg.connections) == -1 ||
	    make_pattern(&run) == -1 || install_signals() == -1)
		return EXIT_FAILURE;
	/*
	 * The threads open the sockets: grown then, past 64, 128, 256, ...
	 * descriptors, the table makes the opening thread wait for an RCU
	 * grace period (netutil.h), a stall of the load generator's own.
	 * Sized now, while this is the only thread, it never grows.
	 */
	(void)netutil_presize_fds((unsigned long)run.cfg.connections +
	    FD_RESERVE);
	/* A file that cannot be made fails the run before it, not after. */
	if (run.cfg.percentiles != NULL &&
	    (pfile = fopen(run.cfg.percentiles, "w")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, run.cfg.percentiles,
		    errstr(errno));
		return EXIT_FAILURE;
	}

	/* The progress loop waits against CLOCK_MONOTONIC, as clock.h reads. */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&done_cond, &ca) != 0) {
		fprintf(stderr, "%s: pthread_cond_init failed\n", progname);
		return EXIT_FAILURE;
	}
	if ((ws = calloc(nthreads, sizeof(*ws))) == NULL) {
		fprintf(stderr, "%s: %s\n", progname, errstr(errno));
		return EXIT_FAILURE;
	}
	for (i = 0; i < nthreads; i++)
		if (worker_init(&ws[i], &run, i, nthreads) == -1)
			return EXIT_FAILURE;

	run.t0 = clock_now_ns();
	run.measure_start = run.t0 + run.cfg.warmup_ms * CLOCK_NS_PER_MS;
	run.end_ns = run.cfg.frames != 0 ? UINT64_MAX :
	    run.measure_start + run.cfg.duration_ms * CLOCK_NS_PER_MS;
	if (ivl_init(&run, &iv) == -1)
		return EXIT_FAILURE;
	for (started = 0; started < nthreads; started++) {
		ws[started].last_tick = run.t0;
		if ((rv = pthread_create(&ws[started].tid, NULL, worker_main,
		    &ws[started])) != 0) {
			fprintf(stderr, "%s: pthread_create: %s\n", progname,
			    errstr(rv));
			atomic_store(&stop_requested, 1);
			break;
		}
	}
	progress_loop(&run, ws, started, &iv);
	for (i = 0; i < started; i++)
		if ((rv = pthread_join(ws[i].tid, NULL)) != 0) {
			fprintf(stderr, "%s: pthread_join: %s\n", progname,
			    errstr(rv));
			return EXIT_FAILURE;
		}
	if (started < nthreads || summarize(&run, ws, nthreads, &res) == -1)
		return EXIT_FAILURE;
	/* What the last interval line did not cover yet. */
	if (run.cfg.interval_ms != 0)
		ivl_reap(&run, ws, nthreads, res.end_ns, &iv);

	if (!run.cfg.quiet)
		warn_measured(&run, &res);
	if (run.cfg.json)
		print_json(&run, &res, &iv);
	else
		print_table(&run, &res, nthreads);
	status = res.failed == 0 && res.errors == 0 && res.mismatches == 0 &&
	    !iv.failed ? EXIT_SUCCESS : EXIT_FAILURE;
	if (close_stdout() == -1)
		status = EXIT_FAILURE;
	if (pfile != NULL && write_percentiles(&run, &res, pfile) == -1)
		status = EXIT_FAILURE;

	for (i = 0; i < nthreads; i++)
		worker_free(&ws[i]);
	free(ws);
	free(res.hist);
	free(iv.v);
	free(iv.sum);
	free(run.pattern);
	return status;
}
