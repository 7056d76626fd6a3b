/*
 * options.c - msgserverd's command line.
 *
 * getopt_long(3) finds the options; cliopt.h checks every value strictly
 * and words every mistake the way msgclient and msgbench do: the option by
 * its long form, the value quoted, then a pointer at --help.  Nothing here
 * logs or exits: the caller owns both (and the unit tests call this
 * repeatedly).
 */
#include "config.h"

#include <sys/socket.h>

#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cliopt.h"
#include "log.h"
#include "netutil.h"
#include "options.h"

/* Values of the options that have no short form. */
enum {
	LOPT_BACKLOG = CLIOPT_LONG_ONLY,
	LOPT_BUFFER_SIZE,
	LOPT_IO_TIMEOUT,
	LOPT_METRICS,
	LOPT_PIDFILE,
	LOPT_PROXY_FROM,
	LOPT_PROXY_PROTOCOL,
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
	{ "proxy-from",		required_argument,	NULL, LOPT_PROXY_FROM },
	{ "proxy-protocol",	no_argument,		NULL, LOPT_PROXY_PROTOCOL },
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

static int	add_bind(const struct cliopt *c, struct options *opts,
		    const char *arg);
static int	get_ms(const struct cliopt *c, int val, const char *arg,
		    unsigned *out);
static int	check_proxy(const struct cliopt *c, const struct options *o);

void
options_defaults(struct options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->threads = OPT_DEFAULT_THREADS;
	(void)snprintf(opts->port, sizeof(opts->port), "%s", OPT_DEFAULT_PORT);
	opts->binds[0] = OPT_DEFAULT_BIND;
	opts->nbinds = 1;
	opts->binds_given = false;
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
	opts->proxy_protocol = false;	/* proxy_from: empty (memset) */
}

enum options_result
options_parse(struct options *opts, int argc, char **argv, FILE *out,
    FILE *err)
{
	struct cliopt c;
	char why[160];
	uint64_t v;
	int ch;

	c.prog = cliopt_progname(argc > 0 ? argv[0] : NULL, PACKAGE_NAME);
	c.longopts = longopts;
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
			if (add_bind(&c, opts, optarg) == -1)
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
			if (cliopt_size(&c, ch, optarg, 0, OPT_MAX_FRAME,
			    &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->max_frame = (uint32_t)v;
			break;
		case 'p':
			if (cliopt_uint(&c, ch, optarg, 0, 65535, &v) == -1)
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
			if (cliopt_uint(&c, ch, optarg, 1, OPT_MAX_QUEUE,
			    &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->queue = (unsigned)v;
			break;
		case 't':
			if (cliopt_uint(&c, ch, optarg, 1, OPT_MAX_THREADS,
			    &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->threads = (unsigned)v;
			break;
		case 'u':
			if (cliopt_string(&c, ch, optarg, &opts->user) == -1)
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
			if (cliopt_uint(&c, ch, optarg, 1, INT_MAX, &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->backlog = (int)v;
			break;
		case LOPT_BUFFER_SIZE:
			if (cliopt_size(&c, ch, optarg, OPT_MIN_BUFFER_SIZE,
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
				cliopt_bad_value(&c, ch, optarg, "%s", why);
				return OPTIONS_USAGE_ERROR;
			}
			opts->metrics = optarg;
			break;
		case LOPT_PIDFILE:
			if (cliopt_string(&c, ch, optarg, &opts->pidfile) == -1)
				return OPTIONS_USAGE_ERROR;
			break;
		case LOPT_PROXY_FROM:
			if (cidr_list_add(&opts->proxy_from, optarg, why,
			    sizeof(why)) == -1) {
				cliopt_bad_value(&c, ch, optarg, "%s", why);
				return OPTIONS_USAGE_ERROR;
			}
			break;
		case LOPT_PROXY_PROTOCOL:
			opts->proxy_protocol = true;
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
				cliopt_bad_value(&c, ch, optarg,
				    "must be batch or other");
				return OPTIONS_USAGE_ERROR;
			}
			break;
		case LOPT_SHUTDOWN_TIMEOUT:
			if (get_ms(&c, ch, optarg,
			    &opts->shutdown_timeout_ms) == -1)
				return OPTIONS_USAGE_ERROR;
			break;
		case LOPT_STACK_SIZE:
			if (cliopt_size(&c, ch, optarg, OPT_MIN_STACK_SIZE,
			    OPT_MAX_STACK_SIZE, &v) == -1)
				return OPTIONS_USAGE_ERROR;
			opts->stack_size = (size_t)v;
			break;
		case LOPT_SYSLOG:
			opts->use_syslog = true;
			break;
		default:
			/* ':' (missing argument) or '?' (anything else). */
			cliopt_getopt_error(&c, ch, argc, argv);
			return OPTIONS_USAGE_ERROR;
		}
	}
	if (optind < argc) {
		cliopt_extra_operand(&c, argv[optind]);
		return OPTIONS_USAGE_ERROR;
	}
	if (check_proxy(&c, opts) == -1)
		return OPTIONS_USAGE_ERROR;
	/* A daemon has no terminal: its stderr is /dev/null. */
	if (opts->daemonize)
		opts->use_syslog = true;
	return OPTIONS_RUN;
}

/* The first --bind replaces the default; later ones add to the list. */
static int
add_bind(const struct cliopt *c, struct options *opts, const char *arg)
{
	const char *addr;

	if (cliopt_string(c, 'b', arg, &addr) == -1)
		return -1;
	if (!opts->binds_given) {
		opts->binds_given = true;
		opts->nbinds = 0;
	}
	if (opts->nbinds == OPT_MAX_BINDS) {
		cliopt_usage_error(c, "too many --bind addresses: at most %d",
		    OPT_MAX_BINDS);
		return -1;
	}
	opts->binds[opts->nbinds++] = addr;
	return 0;
}

void
options_usage(FILE *out, const char *progname)
{
	char frame[CLIOPT_FMTLEN], maxframe[CLIOPT_FMTLEN];
	char stack[CLIOPT_FMTLEN], minstack[CLIOPT_FMTLEN];
	char maxstack[CLIOPT_FMTLEN], buffer[CLIOPT_FMTLEN];
	char minbuffer[CLIOPT_FMTLEN], maxbuffer[CLIOPT_FMTLEN];
	char idle[CLIOPT_FMTLEN], io[CLIOPT_FMTLEN], shut[CLIOPT_FMTLEN];
	char maxsec[CLIOPT_FMTLEN];

	if (progname == NULL || *progname == '\0')
		progname = PACKAGE_NAME;
	(void)cliopt_fmt_size(OPT_DEFAULT_MAX_FRAME, frame, sizeof(frame));
	(void)cliopt_fmt_size(OPT_MAX_FRAME, maxframe, sizeof(maxframe));
	(void)cliopt_fmt_size(OPT_DEFAULT_STACK_SIZE, stack, sizeof(stack));
	(void)cliopt_fmt_size(OPT_MIN_STACK_SIZE, minstack, sizeof(minstack));
	(void)cliopt_fmt_size(OPT_MAX_STACK_SIZE, maxstack, sizeof(maxstack));
	(void)cliopt_fmt_size(OPT_DEFAULT_BUFFER_SIZE, buffer, sizeof(buffer));
	(void)cliopt_fmt_size(OPT_MIN_BUFFER_SIZE, minbuffer,
	    sizeof(minbuffer));
	(void)cliopt_fmt_size(OPT_MAX_BUFFER_SIZE, maxbuffer,
	    sizeof(maxbuffer));
	(void)cliopt_fmt_ms(OPT_DEFAULT_IDLE_TIMEOUT_MS, idle, sizeof(idle));
	(void)cliopt_fmt_ms(OPT_DEFAULT_IO_TIMEOUT_MS, io, sizeof(io));
	(void)cliopt_fmt_ms(OPT_DEFAULT_SHUTDOWN_TIMEOUT_MS, shut,
	    sizeof(shut));
	(void)cliopt_fmt_ms(OPT_MAX_TIMEOUT_MS, maxsec, sizeof(maxsec));

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
"                            IPv4, :: = all IPv4 and IPv6; repeat to\n"
"                            listen on several (default %s)\n"
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
"                            HOST:PORT, [ADDR]:PORT for IPv6 (default off)\n"
"      --proxy-protocol    every connection starts with a PROXY protocol\n"
"                            v1 or v2 header (default off)\n"
"      --proxy-from CIDR[,CIDR...]\n"
"                          the balancers allowed to send it, IPv4 or\n"
"                            IPv6; required with --proxy-protocol\n",
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

/* The timeouts: seconds in [0, OPT_MAX_TIMEOUT_MS], stored as unsigned. */
static int
get_ms(const struct cliopt *c, int val, const char *arg, unsigned *out)
{
	uint64_t v;

	if (cliopt_seconds(c, val, arg, 0, OPT_MAX_TIMEOUT_MS, &v) == -1)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/*
 * The header is only ever trusted from --proxy-from, and that list means
 * nothing without the header: either without the other is a mistake.
 */
static int
check_proxy(const struct cliopt *c, const struct options *o)
{
	if (o->proxy_protocol && o->proxy_from.n == 0) {
		cliopt_usage_error(c, "--proxy-protocol needs --proxy-from, "
		    "the addresses of the balancers that send the header");
		return -1;
	}
	if (!o->proxy_protocol && o->proxy_from.n > 0) {
		cliopt_usage_error(c, "--proxy-from is only meaningful with "
		    "--proxy-protocol");
		return -1;
	}
	return 0;
}
