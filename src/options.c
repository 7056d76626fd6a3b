/*
 * options.c - msgserverd's command line.
 *
 * getopt_long(3) finds the options; every value then goes through parse.h,
 * which takes the whole string or nothing, so "--threads 4x" or "--port -1"
 * is an error instead of a surprise.  Errors name the option by its long
 * form and quote the value, then point at --help.  Nothing here logs or
 * exits: the caller owns both (and the unit tests call this repeatedly).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "netutil.h"
#include "options.h"
#include "parse.h"

#define KIB		(UINT64_C(1) << 10)
#define MIB		(UINT64_C(1) << 20)
#define GIB		(UINT64_C(1) << 30)

/* Values of the options that have no short form; above any char. */
enum {
	LOPT_BACKLOG = CHAR_MAX + 1,
	LOPT_BUFFER_SIZE,
	LOPT_IO_TIMEOUT,
	LOPT_METRICS,
	LOPT_PIDFILE,
	LOPT_REJECT_WHEN_FULL,
	LOPT_SCHEDULER,
	LOPT_SHUTDOWN_TIMEOUT,
	LOPT_STACK_SIZE,
	LOPT_SYSLOG
};

/*
 * The leading ':' makes getopt report a missing argument as ':' (not '?')
 * and, with opterr = 0, lets us word every message ourselves.
 */
static const char optstring[] = ":b:dhi:m:p:Qq:t:u:Vv";

static const struct option longopts[] = {
	{ "backlog",		required_argument,	NULL, LOPT_BACKLOG },
	{ "bind",		required_argument,	NULL, 'b' },
	{ "buffer-size",	required_argument,	NULL, LOPT_BUFFER_SIZE },
	{ "daemon",		no_argument,		NULL, 'd' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "idle-timeout",	required_argument,	NULL, 'i' },
	{ "io-timeout",		required_argument,	NULL, LOPT_IO_TIMEOUT },
	{ "max-frame",		required_argument,	NULL, 'm' },
	{ "metrics",		required_argument,	NULL, LOPT_METRICS },
	{ "pidfile",		required_argument,	NULL, LOPT_PIDFILE },
	{ "port",		required_argument,	NULL, 'p' },
	{ "queue",		required_argument,	NULL, 'q' },
	{ "quiet",		no_argument,		NULL, 'Q' },
	{ "reject-when-full",	no_argument,		NULL, LOPT_REJECT_WHEN_FULL },
	{ "scheduler",		required_argument,	NULL, LOPT_SCHEDULER },
	{ "shutdown-timeout",	required_argument,	NULL, LOPT_SHUTDOWN_TIMEOUT },
	{ "stack-size",		required_argument,	NULL, LOPT_STACK_SIZE },
	{ "syslog",		no_argument,		NULL, LOPT_SYSLOG },
	{ "threads",		required_argument,	NULL, 't' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

/* Where messages go and what to call ourselves in them. */
struct optctx {
	const char	*prog;
	FILE		*err;
};

static const char *basename_of(const char *path);
static const char *long_name(int val);
static int	known_val(int val);
static void	usage_error(const struct optctx *c, const char *fmt, ...)
		    LOG_PRINTF(2, 3);
static void	bad_option(const struct optctx *c, int argc, char **argv);
static void	missing_argument(const struct optctx *c);
static int	get_uint(const struct optctx *c, int val, const char *arg,
		    uint64_t min, uint64_t max, uint64_t *out);
static int	get_size(const struct optctx *c, int val, const char *arg,
		    uint64_t min, uint64_t max, uint64_t *out);
static int	get_ms(const struct optctx *c, int val, const char *arg,
		    unsigned *out);
static int	get_string(const struct optctx *c, int val, const char *arg,
		    const char **out);
static const char *fmt_size(uint64_t v, char *buf, size_t len);
static const char *fmt_ms(uint64_t ms, char *buf, size_t len);

void
options_defaults(struct options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->threads = OPT_DEFAULT_THREADS;
	(void)snprintf(opts->port, sizeof(opts->port), "%s", OPT_DEFAULT_PORT);
	opts->bind = OPT_DEFAULT_BIND;
	opts->queue = OPT_DEFAULT_QUEUE;
	opts->backlog = SOMAXCONN;
	opts->max_frame = OPT_DEFAULT_MAX_FRAME;
	opts->idle_timeout_ms = OPT_DEFAULT_IDLE_TIMEOUT_MS;
	opts->io_timeout_ms = OPT_DEFAULT_IO_TIMEOUT_MS;
	opts->reject_when_full = false;
	opts->shutdown_timeout_ms = OPT_DEFAULT_SHUTDOWN_TIMEOUT_MS;
	opts->stack_size = OPT_DEFAULT_STACK_SIZE;
	opts->buffer_size = OPT_DEFAULT_BUFFER_SIZE;
	opts->batch_sched = true;
	opts->user = NULL;
	opts->daemonize = false;
	opts->pidfile = NULL;
	opts->metrics = NULL;
	opts->verbosity = LOG_NORMAL;
	opts->use_syslog = false;
}

enum options_result
options_parse(struct options *opts, int argc, char **argv, FILE *out,
    FILE *err)
{
	struct optctx c;
	char why[128];
	uint64_t v;
	int ch;

	c.prog = basename_of(argc > 0 ? argv[0] : NULL);
	c.err = err;

	/*
	 * optind = 0 makes glibc (and musl) re-initialise getopt completely,
	 * including its permutation state, so a second call starts afresh.
	 */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (get_string(&c, ch, optarg, &opts->bind) == -1)
				return OPTIONS_USAGE_ERROR;
			break;
		case 'd':
			opts->daemonize = true;
			break;
		case 'h':
			options_usage(out, c.prog);
			return OPTIONS_EXIT_OK;
		case 'i':
			if (get_ms(&c, ch, optarg, &opts->idle_timeout_ms) == -1)
				return OPTIONS_USAGE_ERROR;
			break;
		case 'm':
			if (get_size(&c, ch, optarg, 0, OPT_MAX_FRAME, &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->max_frame = (uint32_t)v;
			break;
		case 'p':
			if (get_uint(&c, ch, optarg, 0, 65535, &v) == -1)
				return OPTIONS_USAGE_ERROR;
			/* Canonical digits: "08080" is stored as "8080". */
			(void)snprintf(opts->port, sizeof(opts->port), "%u",
			    (unsigned)v);
			break;
		case 'Q':
			/* -v and -Q: the last one wins. */
			opts->verbosity = LOG_QUIET;
			break;
		case 'q':
			if (get_uint(&c, ch, optarg, 1, OPT_MAX_QUEUE, &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->queue = (unsigned)v;
			break;
		case 't':
			if (get_uint(&c, ch, optarg, 1, OPT_MAX_THREADS,
			    &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->threads = (unsigned)v;
			break;
		case 'u':
			if (get_string(&c, ch, optarg, &opts->user) == -1)
				return OPTIONS_USAGE_ERROR;
			break;
		case 'V':
			fprintf(out, "%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return OPTIONS_EXIT_OK;
		case 'v':
			/* -Q -v means verbose, not back to normal; the
			 * bound only keeps -vvv... from overflowing. */
			if (opts->verbosity < LOG_NORMAL)
				opts->verbosity = LOG_NORMAL;
			if (opts->verbosity < 100)
				opts->verbosity++;
			break;
		case LOPT_BACKLOG:
			if (get_uint(&c, ch, optarg, 1, INT_MAX, &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->backlog = (int)v;
			break;
		case LOPT_BUFFER_SIZE:
			if (get_size(&c, ch, optarg, OPT_MIN_BUFFER_SIZE,
			    OPT_MAX_BUFFER_SIZE, &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->buffer_size = (size_t)v;
			break;
		case LOPT_IO_TIMEOUT:
			if (get_ms(&c, ch, optarg, &opts->io_timeout_ms) == -1)
				return OPTIONS_USAGE_ERROR;
			break;
		case LOPT_METRICS:
			/* Only the syntax: binding it is a start-up matter. */
			if (netutil_split_hostport(optarg, NULL, 0, NULL, 0, why,
			    sizeof(why)) == -1) {
				usage_error(&c, "invalid value '%s' for "
				    "--metrics: %s", optarg, why);
				return OPTIONS_USAGE_ERROR;
			}
			opts->metrics = optarg;
			break;
		case LOPT_PIDFILE:
			if (get_string(&c, ch, optarg, &opts->pidfile) == -1)
				return OPTIONS_USAGE_ERROR;
			break;
		case LOPT_REJECT_WHEN_FULL:
			opts->reject_when_full = true;
			break;
		case LOPT_SCHEDULER:
			if (strcmp(optarg, "batch") == 0)
				opts->batch_sched = true;
			else if (strcmp(optarg, "other") == 0)
				opts->batch_sched = false;
			else {
				usage_error(&c, "invalid value '%s' for "
				    "--scheduler: must be batch or other",
				    optarg);
				return OPTIONS_USAGE_ERROR;
			}
			break;
		case LOPT_SHUTDOWN_TIMEOUT:
			if (get_ms(&c, ch, optarg,
			    &opts->shutdown_timeout_ms) == -1)
				return OPTIONS_USAGE_ERROR;
			break;
		case LOPT_STACK_SIZE:
			if (get_size(&c, ch, optarg, OPT_MIN_STACK_SIZE,
			    OPT_MAX_STACK_SIZE, &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->stack_size = (size_t)v;
			break;
		case LOPT_SYSLOG:
			opts->use_syslog = true;
			break;
		case ':':
			missing_argument(&c);
			return OPTIONS_USAGE_ERROR;
		case '?':
		default:
			bad_option(&c, argc, argv);
			return OPTIONS_USAGE_ERROR;
		}
	}
	if (optind < argc) {
		usage_error(&c, "extra operand '%s'", argv[optind]);
		return OPTIONS_USAGE_ERROR;
	}
	/* A daemon has no terminal: its stderr is /dev/null. */
	if (opts->daemonize)
		opts->use_syslog = true;
	return OPTIONS_RUN;
}

void
options_usage(FILE *out, const char *progname)
{
	char frame[32], maxframe[32], stack[32], minstack[32], maxstack[32];
	char idle[32], io[32], shut[32], maxsec[32];
	char buffer[32], minbuffer[32], maxbuffer[32];

	if (progname == NULL || *progname == '\0')
		progname = PACKAGE_NAME;
	(void)fmt_size(OPT_DEFAULT_MAX_FRAME, frame, sizeof(frame));
	(void)fmt_size(OPT_MAX_FRAME, maxframe, sizeof(maxframe));
	(void)fmt_size(OPT_DEFAULT_STACK_SIZE, stack, sizeof(stack));
	(void)fmt_size(OPT_MIN_STACK_SIZE, minstack, sizeof(minstack));
	(void)fmt_size(OPT_MAX_STACK_SIZE, maxstack, sizeof(maxstack));
	(void)fmt_size(OPT_DEFAULT_BUFFER_SIZE, buffer, sizeof(buffer));
	(void)fmt_size(OPT_MIN_BUFFER_SIZE, minbuffer, sizeof(minbuffer));
	(void)fmt_size(OPT_MAX_BUFFER_SIZE, maxbuffer, sizeof(maxbuffer));
	(void)fmt_ms(OPT_DEFAULT_IDLE_TIMEOUT_MS, idle, sizeof(idle));
	(void)fmt_ms(OPT_DEFAULT_IO_TIMEOUT_MS, io, sizeof(io));
	(void)fmt_ms(OPT_DEFAULT_SHUTDOWN_TIMEOUT_MS, shut, sizeof(shut));
	(void)fmt_ms(OPT_MAX_TIMEOUT_MS, maxsec, sizeof(maxsec));

	fprintf(out,
"Usage: %s [OPTION]...\n"
"Serve the msgframe protocol over TCP: echo every length-prefixed frame\n"
"back to its sender, with a fixed pool of worker threads.\n"
"\n", progname);
	fprintf(out,
"  -t, --threads N         worker threads, started once\n"
"                            (default %d; 1..%d)\n"
"  -p, --port PORT         TCP port, 0 picks a free one\n"
"                            (default %s; 0..65535)\n"
"  -b, --bind ADDR         IPv4/IPv6 literal or host name; 0.0.0.0 = all\n"
"                            IPv4, :: = all IPv4 and IPv6 (default %s)\n"
"  -q, --queue N           accepted connections that may wait for a free\n"
"                            worker (default %d; 1..%d)\n"
"      --backlog N         listen(2) backlog; the kernel caps it at\n"
"                            net.core.somaxconn (default %d = SOMAXCONN)\n",
	    OPT_DEFAULT_THREADS, OPT_MAX_THREADS, OPT_DEFAULT_PORT,
	    OPT_DEFAULT_BIND, OPT_DEFAULT_QUEUE, OPT_MAX_QUEUE, SOMAXCONN);
	fprintf(out,
"  -m, --max-frame SIZE    largest payload accepted, K/M/G suffixes\n"
"                            (default %s; 0..%s)\n"
"  -i, --idle-timeout SEC  close a connection that sends no new frame for\n"
"                            SEC seconds; 0 = never (default %s)\n"
"      --io-timeout SEC    deadline for a whole frame once its first byte\n"
"                            arrived, and for writing its echo; 0 = never\n"
"                            (default %s)\n"
"      --reject-when-full  accept and close new connections at once when\n"
"                            the queue is full (default off: they wait)\n"
"      --shutdown-timeout SEC\n"
"                          longest graceful drain on SIGTERM (default %s)\n"
"      --stack-size SIZE   worker thread stack size (default %s; %s..%s)\n"
"      --buffer-size SIZE  per-worker buffer; larger frames stream through\n"
"                            it (default %s; %s..%s)\n"
"      --scheduler POLICY  the workers' scheduling policy: batch (a woken\n"
"                            worker does not preempt) or other\n"
"                            (default batch)\n"
"      --metrics HOST:PORT serve Prometheus metrics at GET /metrics on\n"
"                            HOST:PORT, [ADDR]:PORT for IPv6 (default off)\n",
	    frame, maxframe, idle, io, shut, stack, minstack, maxstack,
	    buffer, minbuffer, maxbuffer);
	fprintf(out,
"  -u, --user USER         drop root privileges to USER after binding\n"
"                            (default: none, keep the current user)\n"
"  -d, --daemon            detach from the terminal; implies --syslog\n"
"                            (default off: stay in the foreground)\n"
"      --pidfile FILE      write the process ID to FILE (default: none)\n"
"  -v, --verbose           more logging: per-connection detail\n"
"                            (default off)\n"
"  -Q, --quiet             log errors only (default off)\n"
"      --syslog            log to syslog, facility daemon, instead of\n"
"                            standard error (default off)\n"
"  -V, --version           print the version and exit\n"
"  -h, --help              print this help and exit\n"
"\n"
"SEC is in seconds, with up to 3 decimals, at most %s.  SIZE is in bytes,\n"
"or with a K, M or G suffix (powers of 1024).  Of -v and -Q the last wins.\n"
"See msgserverd(8) for details.\n",
	    maxsec);
}

/* The name to print in messages: the last component of argv[0]. */
static const char *
basename_of(const char *path)
{
	const char *slash;

	if (path == NULL || *path == '\0')
		return PACKAGE_NAME;
	slash = strrchr(path, '/');
	if (slash == NULL)
		return path;
	/* "dir/" has no name in it. */
	return slash[1] != '\0' ? slash + 1 : PACKAGE_NAME;
}

/* The long name of the option whose getopt value is val, without "--". */
static const char *
long_name(int val)
{
	const struct option *o;

	for (o = longopts; o->name != NULL; o++) {
		if (o->val == val)
			return o->name;
	}
	return "?";
}

static int
known_val(int val)
{
	return strcmp(long_name(val), "?") != 0;
}

static void
usage_error(const struct optctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fprintf(c->err, "\nTry '%s --help' for more information.\n", c->prog);
}

/*
 * getopt returned '?'.  Its state tells the cases apart: an unknown short
 * option leaves its character in optopt; a long-option error has already
 * advanced optind past the word, and sets optopt to the option's value
 * only when an option without argument was given one ("--daemon=1").
 */
static void
bad_option(const struct optctx *c, int argc, char **argv)
{
	const struct option *o;
	const char *arg, *name;
	size_t len, matches = 0;
	int exact = 0;

	if (optopt != 0 && !known_val(optopt)) {
		usage_error(c, "unrecognized option '-%c'", optopt);
		return;
	}
	arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
	if (optopt != 0) {
		usage_error(c, "option '--%s' doesn't allow an argument",
		    long_name(optopt));
		return;
	}
	/* An abbreviation can match several options ("--s"). */
	if (strncmp(arg, "--", 2) == 0) {
		name = arg + 2;
		len = strcspn(name, "=");
		for (o = longopts; o->name != NULL; o++) {
			if (len > 0 && strncmp(o->name, name, len) == 0) {
				matches++;
				if (o->name[len] == '\0')
					exact = 1;
			}
		}
		if (matches > 1 && !exact) {
			usage_error(c, "option '--%.*s' is ambiguous",
			    (int)len, name);
			return;
		}
	}
	usage_error(c, "unrecognized option '%s'", arg);
}

static void
missing_argument(const struct optctx *c)
{
	usage_error(c, "option '--%s' requires an argument",
	    long_name(optopt));
}

static int
get_uint(const struct optctx *c, int val, const char *arg, uint64_t min,
    uint64_t max, uint64_t *out)
{
	if (parse_uint(arg, min, max, out) == 0)
		return 0;
	usage_error(c, "invalid value '%s' for --%s: must be %sbetween %"
	    PRIu64 " and %" PRIu64, arg, long_name(val),
	    errno == ERANGE ? "" : "a whole number ", min, max);
	return -1;
}

static int
get_size(const struct optctx *c, int val, const char *arg, uint64_t min,
    uint64_t max, uint64_t *out)
{
	char lo[32], hi[32];

	if (parse_size(arg, min, max, out) == 0)
		return 0;
	(void)fmt_size(min, lo, sizeof(lo));
	(void)fmt_size(max, hi, sizeof(hi));
	if (errno == ERANGE)
		usage_error(c, "invalid value '%s' for --%s: must be between "
		    "%s and %s", arg, long_name(val), lo, hi);
	else
		usage_error(c, "invalid value '%s' for --%s: must be a size "
		    "between %s and %s, in bytes or with a K, M or G suffix",
		    arg, long_name(val), lo, hi);
	return -1;
}

static int
get_ms(const struct optctx *c, int val, const char *arg, unsigned *out)
{
	char hi[32];
	uint64_t v;

	if (parse_seconds_ms(arg, 0, OPT_MAX_TIMEOUT_MS, &v) == 0) {
		*out = (unsigned)v;
		return 0;
	}
	(void)fmt_ms(OPT_MAX_TIMEOUT_MS, hi, sizeof(hi));
	if (errno == ERANGE)
		usage_error(c, "invalid value '%s' for --%s: must be between "
		    "0 and %s seconds", arg, long_name(val), hi);
	else
		usage_error(c, "invalid value '%s' for --%s: must be a number "
		    "of seconds between 0 and %s, with at most 3 decimals",
		    arg, long_name(val), hi);
	return -1;
}

/* Names and paths: anything but empty, which is always a slip. */
static int
get_string(const struct optctx *c, int val, const char *arg,
    const char **out)
{
	if (*arg == '\0') {
		usage_error(c, "invalid value '' for --%s: must not be empty",
		    long_name(val));
		return -1;
	}
	*out = arg;
	return 0;
}

/* 262144 -> "256K": the units the user would have typed. */
static const char *
fmt_size(uint64_t v, char *buf, size_t len)
{
	if (v != 0 && v % GIB == 0)
		(void)snprintf(buf, len, "%" PRIu64 "G", v / GIB);
	else if (v != 0 && v % MIB == 0)
		(void)snprintf(buf, len, "%" PRIu64 "M", v / MIB);
	else if (v != 0 && v % KIB == 0)
		(void)snprintf(buf, len, "%" PRIu64 "K", v / KIB);
	else
		(void)snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* 1500 -> "1.5", 60000 -> "60". */
static const char *
fmt_ms(uint64_t ms, char *buf, size_t len)
{
	unsigned frac = (unsigned)(ms % 1000);
	int digits = 3;

	if (frac == 0) {
		(void)snprintf(buf, len, "%" PRIu64, ms / 1000);
		return buf;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	(void)snprintf(buf, len, "%" PRIu64 ".%0*u", ms / 1000, digits, frac);
	return buf;
}
