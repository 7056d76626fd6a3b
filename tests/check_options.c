/*
 * check_options.c - unit tests for the command line (options.c).
 *
 * The tests call options_parse() with messages captured in memory
 * streams, so every error message is checked word for word.  The logger
 * has its own suite, check_log.c.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "options.h"
#include "testutil.h"

#define MAX_ARGS	40
#define HINT		"Try 'msgserverd --help' for more information.\n"

/* The result of one options_parse() call. */
struct parsed {
	enum options_result	rc;
	struct options		o;
	char			*out;	/* what went to out, NUL-terminated */
	char			*err;	/* what went to err */
};

static void	parse_v(struct parsed *p, const char *arg0, va_list ap);
static void	parse(struct parsed *p, ...);
static void	parsed_free(struct parsed *p);
static void	expect_error(const char *msg, ...);
static Suite	*options_suite(void);

/*
 * Run options_parse on "/usr/sbin/msgserverd" and the given NULL-terminated
 * arguments (the path checks that messages use argv[0]'s basename).
 * Option strings point into argv, so the arguments are string literals.
 */
static void
parse_v(struct parsed *p, const char *arg0, va_list ap)
{
	char *argv[MAX_ARGS + 1];
	size_t outlen, errlen;
	FILE *out, *err;
	const char *a;
	int argc = 0;

	argv[argc++] = (char *)"/usr/sbin/msgserverd";
	for (a = arg0; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(argc, MAX_ARGS);
		argv[argc++] = (char *)a;
	}
	argv[argc] = NULL;

	p->out = p->err = NULL;
	out = open_memstream(&p->out, &outlen);
	err = open_memstream(&p->err, &errlen);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(err);
	options_defaults(&p->o);
	p->rc = options_parse(&p->o, argc, argv, out, err);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(fclose(err), 0);
}

static void
parse(struct parsed *p, ...)
{
	va_list ap;
	const char *first;

	va_start(ap, p);
	first = va_arg(ap, const char *);
	parse_v(p, first, ap);
	va_end(ap);
}

static void
parsed_free(struct parsed *p)
{
	free(p->out);
	free(p->err);
}

/* Parse the arguments and expect exactly "msgserverd: MSG\n" + the hint. */
static void
expect_error(const char *msg, ...)
{
	struct parsed p;
	char want[512];
	va_list ap;
	const char *first;

	va_start(ap, msg);
	first = va_arg(ap, const char *);
	parse_v(&p, first, ap);
	va_end(ap);
	(void)snprintf(want, sizeof(want), "msgserverd: %s\n" HINT, msg);
	ck_assert_int_eq(p.rc, OPTIONS_USAGE_ERROR);
	ck_assert_str_eq(p.err, want);
	ck_assert_str_eq(p.out, "");
	parsed_free(&p);
}

/* --- Defaults ----------------------------------------------------------- */

START_TEST(test_defaults)
{
	struct options o;
	struct parsed p;

	options_defaults(&o);
	ck_assert_uint_eq(o.threads, 16);
	ck_assert_str_eq(o.port, "8080");
	ck_assert_uint_eq(o.nbinds, 1);
	ck_assert_str_eq(o.binds[0], "127.0.0.1");
	ck_assert_uint_eq(o.queue, 1024);
	ck_assert_int_eq(o.backlog, SOMAXCONN);
	ck_assert_uint_eq(o.max_frame, 1024 * 1024);
	ck_assert_uint_eq(o.idle_timeout_ms, 60000);
	ck_assert_uint_eq(o.io_timeout_ms, 10000);
	ck_assert(!o.reject_when_full);
	ck_assert_uint_eq(o.shutdown_timeout_ms, 5000);
	ck_assert_uint_eq(o.stack_size, 256 * 1024);
	ck_assert_uint_eq(o.buffer_size, 512 * 1024);
	ck_assert(o.batch_sched);
	ck_assert_ptr_null(o.user);
	ck_assert(!o.daemonize);
	ck_assert_ptr_null(o.pidfile);
	ck_assert_int_eq(o.verbosity, LOG_NORMAL);
	ck_assert(!o.use_syslog);
	ck_assert_ptr_null(o.metrics);
	ck_assert(!o.proxy_protocol);
	ck_assert_uint_eq(o.proxy_from.n, 0);

	/* No arguments at all: run with the defaults, print nothing. */
	parse(&p, NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_int_eq(memcmp(&p.o, &o, sizeof(o)), 0);
	ck_assert_str_eq(p.out, "");
	ck_assert_str_eq(p.err, "");
	parsed_free(&p);
}
END_TEST

/* --- Every option, short form ------------------------------------------- */

START_TEST(test_short_options)
{
	struct parsed p;

	parse(&p, "-t", "8", "-p", "0", "-b", "::", "-q", "5", "-m", "64K",
	    "-i", "1.5", "-u", "nobody", "-d", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_str_eq(p.err, "");
	ck_assert_uint_eq(p.o.threads, 8);
	ck_assert_str_eq(p.o.port, "0");
	ck_assert_uint_eq(p.o.nbinds, 1);
	ck_assert_str_eq(p.o.binds[0], "::");
	ck_assert_uint_eq(p.o.queue, 5);
	ck_assert_uint_eq(p.o.max_frame, 65536);
	ck_assert_uint_eq(p.o.idle_timeout_ms, 1500);
	ck_assert_str_eq(p.o.user, "nobody");
	ck_assert(p.o.daemonize);
	ck_assert(p.o.use_syslog);	/* implied by -d */
	parsed_free(&p);

	/* Attached arguments and bundled flags. */
	parse(&p, "-t4", "-p9000", "-vQ", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_uint_eq(p.o.threads, 4);
	ck_assert_str_eq(p.o.port, "9000");
	ck_assert_int_eq(p.o.verbosity, LOG_QUIET);
	parsed_free(&p);

	parse(&p, "-v", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_int_eq(p.o.verbosity, LOG_VERBOSE);
	parsed_free(&p);

	parse(&p, "-Q", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_int_eq(p.o.verbosity, LOG_QUIET);
	parsed_free(&p);
}
END_TEST

/* --- Every option, long form -------------------------------------------- */

START_TEST(test_long_options)
{
	struct parsed p;

	parse(&p, "--threads", "100000", "--port=65535", "--bind", "localhost",
	    "--queue", "1000000", "--backlog", "10", "--max-frame", "2M",
	    "--idle-timeout", "0", "--io-timeout", "2.25",
	    "--reject-when-full", "--shutdown-timeout", "0.5",
	    "--stack-size", "1M", "--buffer-size", "64K", "--scheduler",
	    "other", "--user", "daemon",
	    "--pidfile", "/run/msgserverd.pid", "--verbose", "--syslog",
	    "--metrics", "[::1]:9464", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_str_eq(p.err, "");
	ck_assert_str_eq(p.out, "");
	ck_assert_uint_eq(p.o.threads, 100000);
	ck_assert_str_eq(p.o.port, "65535");
	ck_assert_uint_eq(p.o.nbinds, 1);
	ck_assert_str_eq(p.o.binds[0], "localhost");
	ck_assert_uint_eq(p.o.queue, 1000000);
	ck_assert_int_eq(p.o.backlog, 10);
	ck_assert_uint_eq(p.o.max_frame, 2 * 1024 * 1024);
	ck_assert_uint_eq(p.o.idle_timeout_ms, 0);
	ck_assert_uint_eq(p.o.io_timeout_ms, 2250);
	ck_assert(p.o.reject_when_full);
	ck_assert_uint_eq(p.o.shutdown_timeout_ms, 500);
	ck_assert_uint_eq(p.o.stack_size, 1024 * 1024);
	ck_assert_uint_eq(p.o.buffer_size, 64 * 1024);
	ck_assert(!p.o.batch_sched);
	ck_assert_str_eq(p.o.user, "daemon");
	ck_assert_str_eq(p.o.pidfile, "/run/msgserverd.pid");
	ck_assert_int_eq(p.o.verbosity, LOG_VERBOSE);
	ck_assert(p.o.use_syslog);
	ck_assert(!p.o.daemonize);	/* --syslog does not imply -d */
	ck_assert_str_eq(p.o.metrics, "[::1]:9464");
	parsed_free(&p);

	parse(&p, "--daemon", "--quiet", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert(p.o.daemonize);
	ck_assert(p.o.use_syslog);
	ck_assert_int_eq(p.o.verbosity, LOG_QUIET);
	parsed_free(&p);

	/* Unambiguous abbreviations work as with any getopt_long program. */
	parse(&p, "--thr", "3", "--max=0", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_uint_eq(p.o.threads, 3);
	ck_assert_uint_eq(p.o.max_frame, 0);
	parsed_free(&p);
}
END_TEST

/* --- Range edges that must be accepted ---------------------------------- */

START_TEST(test_limits)
{
	struct parsed p;

	parse(&p, "--threads", "1", "--port", "08080", "--max-frame",
	    "4294967295", "--stack-size", "64K", "--idle-timeout", "86400",
	    "--io-timeout", "0.001", "--backlog", "2147483647", "--queue",
	    "1", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_str_eq(p.err, "");
	ck_assert_uint_eq(p.o.threads, 1);
	ck_assert_str_eq(p.o.port, "8080");	/* stored canonical */
	ck_assert_uint_eq(p.o.max_frame, UINT32_MAX);
	ck_assert_uint_eq(p.o.stack_size, OPT_MIN_STACK_SIZE);
	ck_assert_uint_eq(p.o.idle_timeout_ms, 86400000);
	ck_assert_uint_eq(p.o.io_timeout_ms, 1);
	ck_assert_int_eq(p.o.backlog, INT_MAX);
	ck_assert_uint_eq(p.o.queue, 1);
	parsed_free(&p);

	parse(&p, "--stack-size", "1G", "--max-frame", "4194303K",
	    "--buffer-size", "4096", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_uint_eq(p.o.stack_size, 1024UL * 1024 * 1024);
	ck_assert_uint_eq(p.o.buffer_size, OPT_MIN_BUFFER_SIZE);
	ck_assert_uint_eq(p.o.max_frame, 4194303U * 1024);
	parsed_free(&p);

	parse(&p, "--buffer-size", "64M", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_uint_eq(p.o.buffer_size, 64UL * 1024 * 1024);
	parsed_free(&p);

	/* The last --scheduler wins. */
	parse(&p, "--scheduler", "other", "--scheduler=batch", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert(p.o.batch_sched);
	parsed_free(&p);
}
END_TEST

/* --- -v and -Q: the last one wins, -v counts ---------------------------- */

START_TEST(test_verbosity)
{
	struct parsed p;

	parse(&p, "-vv", NULL);
	ck_assert_int_eq(p.o.verbosity, 2);
	parsed_free(&p);

	parse(&p, "-v", "--verbose", "-v", NULL);
	ck_assert_int_eq(p.o.verbosity, 3);
	parsed_free(&p);

	parse(&p, "-v", "-Q", NULL);
	ck_assert_int_eq(p.o.verbosity, LOG_QUIET);
	parsed_free(&p);

	/* After -Q, -v means verbose, not merely "normal again". */
	parse(&p, "-Q", "-v", NULL);
	ck_assert_int_eq(p.o.verbosity, LOG_VERBOSE);
	parsed_free(&p);
}
END_TEST

/* --- Bad command lines -------------------------------------------------- */

START_TEST(test_bad_option)
{
	expect_error("unrecognized option '--foo'", "--foo", NULL);
	expect_error("unrecognized option '--foo=1'", "--foo=1", NULL);
	expect_error("unrecognized option '-x'", "-x", NULL);
	expect_error("unrecognized option '-x'", "-vx", NULL);
	expect_error("option '--s' is ambiguous", "--s", NULL);
	expect_error("option '--daemon' doesn't allow an argument",
	    "--daemon=1", NULL);
	expect_error("option '--reject-when-full' doesn't allow an argument",
	    "--reject-when-full=yes", NULL);
}
END_TEST

START_TEST(test_bad_threads)
{
	expect_error("invalid value '0' for --threads: must be between 1 and "
	    "100000", "--threads", "0", NULL);
	expect_error("invalid value '100001' for --threads: must be between 1 "
	    "and 100000", "--threads=100001", NULL);
	/* The short form is reported by its long name too. */
	expect_error("invalid value '-1' for --threads: must be a whole number "
	    "between 1 and 100000", "-t", "-1", NULL);
	expect_error("invalid value 'abc' for --threads: must be a whole "
	    "number between 1 and 100000", "--threads", "abc", NULL);
	expect_error("invalid value '4x' for --threads: must be a whole "
	    "number between 1 and 100000", "-t4x", NULL);
	expect_error("invalid value '99999999999999999999999' for --threads: "
	    "must be between 1 and 100000", "-t", "99999999999999999999999",
	    NULL);
}
END_TEST

START_TEST(test_bad_numbers)
{
	expect_error("invalid value '70000' for --port: must be between 0 and "
	    "65535", "--port", "70000", NULL);
	expect_error("invalid value '-1' for --port: must be a whole number "
	    "between 0 and 65535", "--port", "-1", NULL);
	expect_error("invalid value 'http' for --port: must be a whole number "
	    "between 0 and 65535", "-p", "http", NULL);
	expect_error("invalid value '0' for --queue: must be between 1 and "
	    "1000000", "-q", "0", NULL);
	expect_error("invalid value '1000001' for --queue: must be between 1 "
	    "and 1000000", "--queue", "1000001", NULL);
	expect_error("invalid value '0' for --backlog: must be between 1 and "
	    "2147483647", "--backlog", "0", NULL);
	expect_error("invalid value '2147483648' for --backlog: must be "
	    "between 1 and 2147483647", "--backlog", "2147483648", NULL);
}
END_TEST

START_TEST(test_bad_sizes)
{
	expect_error("invalid value '5X' for --max-frame: must be a size "
	    "between 0 and 4294967295, in bytes or with a K, M or G suffix",
	    "--max-frame", "5X", NULL);
	expect_error("invalid value '5G' for --max-frame: must be between 0 "
	    "and 4294967295", "--max-frame", "5G", NULL);
	expect_error("invalid value '4G' for --max-frame: must be between 0 "
	    "and 4294967295", "-m", "4G", NULL);
	expect_error("invalid value '1K' for --stack-size: must be between 64K "
	    "and 1G", "--stack-size", "1K", NULL);
	expect_error("invalid value '2G' for --stack-size: must be between 64K "
	    "and 1G", "--stack-size", "2G", NULL);
	expect_error("invalid value '' for --stack-size: must be a size "
	    "between 64K and 1G, in bytes or with a K, M or G suffix",
	    "--stack-size=", NULL);
	expect_error("invalid value '4095' for --buffer-size: must be between "
	    "4K and 64M", "--buffer-size", "4095", NULL);
	expect_error("invalid value '65537K' for --buffer-size: must be "
	    "between 4K and 64M", "--buffer-size", "65537K", NULL);
	expect_error("invalid value '-1' for --buffer-size: must be a size "
	    "between 4K and 64M, in bytes or with a K, M or G suffix",
	    "--buffer-size", "-1", NULL);
}
END_TEST

START_TEST(test_bad_timeouts)
{
	expect_error("invalid value 'x' for --idle-timeout: must be a number "
	    "of seconds between 0 and 86400, with at most 3 decimals",
	    "--idle-timeout", "x", NULL);
	expect_error("invalid value '86400.001' for --idle-timeout: must be "
	    "between 0 and 86400 seconds", "-i", "86400.001", NULL);
	expect_error("invalid value '1.2345' for --io-timeout: must be a "
	    "number of seconds between 0 and 86400, with at most 3 decimals",
	    "--io-timeout", "1.2345", NULL);
	expect_error("invalid value '-1' for --shutdown-timeout: must be a "
	    "number of seconds between 0 and 86400, with at most 3 decimals",
	    "--shutdown-timeout", "-1", NULL);
	expect_error("invalid value '10s' for --shutdown-timeout: must be a "
	    "number of seconds between 0 and 86400, with at most 3 decimals",
	    "--shutdown-timeout=10s", NULL);
}
END_TEST

START_TEST(test_binds)
{
	struct parsed p;
	char *argv[2 * OPT_MAX_BINDS + 4];
	char addrs[OPT_MAX_BINDS + 1][16];
	struct options o;
	char err[256];
	FILE *ef;
	int i, argc = 0;

	/* The first --bind replaces the default, the next ones add. */
	parse(&p, "--bind", "127.0.0.2", "-b", "::1", "--bind=0.0.0.0", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_uint_eq(p.o.nbinds, 3);
	ck_assert_str_eq(p.o.binds[0], "127.0.0.2");
	ck_assert_str_eq(p.o.binds[1], "::1");
	ck_assert_str_eq(p.o.binds[2], "0.0.0.0");
	parsed_free(&p);

	/* One more than the limit is a usage error naming the limit. */
	argv[argc++] = (char *)"msgserverd";
	for (i = 0; i <= OPT_MAX_BINDS; i++) {
		(void)snprintf(addrs[i], sizeof(addrs[i]), "127.0.0.%d", i + 1);
		argv[argc++] = (char *)"--bind";
		argv[argc++] = addrs[i];
	}
	argv[argc] = NULL;
	options_defaults(&o);
	memset(err, 0, sizeof(err));
	ef = fmemopen(err, sizeof(err) - 1, "w");
	ck_assert_ptr_nonnull(ef);
	ck_assert_int_eq(options_parse(&o, argc, argv, ef, ef),
	    OPTIONS_USAGE_ERROR);
	(void)fclose(ef);
	ck_assert_msg(strstr(err, "too many --bind addresses: at most 16") !=
	    NULL, "got: %s", err);
}
END_TEST

START_TEST(test_bad_strings)
{
	expect_error("invalid value '' for --bind: must not be empty",
	    "--bind", "", NULL);
	expect_error("invalid value '' for --user: must not be empty",
	    "-u", "", NULL);
	expect_error("invalid value '' for --pidfile: must not be empty",
	    "--pidfile=", NULL);
	/* Exact words only: no case folding, no prefixes. */
	expect_error("invalid value 'BATCH' for --scheduler: must be batch "
	    "or other", "--scheduler", "BATCH", NULL);
	expect_error("invalid value 'b' for --scheduler: must be batch or "
	    "other", "--scheduler=b", NULL);
	expect_error("invalid value '' for --scheduler: must be batch or "
	    "other", "--scheduler", "", NULL);
}
END_TEST

/* The syntax of HOST:PORT is checked here; binding it is not. */
START_TEST(test_bad_metrics)
{
	struct parsed p;

	expect_error("invalid value '9464' for --metrics: expected HOST:PORT, "
	    "or [ADDRESS]:PORT for IPv6", "--metrics", "9464", NULL);
	expect_error("invalid value '' for --metrics: expected HOST:PORT, or "
	    "[ADDRESS]:PORT for IPv6", "--metrics=", NULL);
	expect_error("invalid value '::1:9464' for --metrics: an IPv6 address "
	    "needs brackets: [ADDRESS]:PORT", "--metrics", "::1:9464", NULL);
	expect_error("invalid value '127.0.0.1:65536' for --metrics: the port "
	    "must be a number from 0 to 65535", "--metrics",
	    "127.0.0.1:65536", NULL);
	expect_error("invalid value ':9464' for --metrics: the host is empty",
	    "--metrics", ":9464", NULL);
	expect_error("invalid value '[::1]' for --metrics: expected "
	    "[ADDRESS]:PORT", "--metrics", "[::1]", NULL);
	expect_error("option '--metrics' requires an argument", "--metrics",
	    NULL);
	/* Long only: no -M. */
	expect_error("unrecognized option '-M'", "-M", "127.0.0.1:9464",
	    NULL);

	/* A name is fine here: resolving it is the daemon's business. */
	parse(&p, "--metrics", "metrics.example:9464", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_str_eq(p.o.metrics, "metrics.example:9464");
	parsed_free(&p);
}
END_TEST

START_TEST(test_missing_argument)
{
	expect_error("option '--threads' requires an argument", "--threads",
	    NULL);
	expect_error("option '--threads' requires an argument", "-t", NULL);
	expect_error("option '--port' requires an argument", "-vp", NULL);
	expect_error("option '--pidfile' requires an argument", "--pidfile",
	    NULL);
	expect_error("option '--stack-size' requires an argument",
	    "--stack-size", NULL);
	expect_error("option '--buffer-size' requires an argument",
	    "--buffer-size", NULL);
	expect_error("option '--scheduler' requires an argument",
	    "--scheduler", NULL);
	expect_error("option '--user' requires an argument", "-d", "-u", NULL);
}
END_TEST

START_TEST(test_operands)
{
	expect_error("extra operand 'stray'", "stray", NULL);
	expect_error("extra operand 'stray'", "--threads", "4", "stray", NULL);
	/* getopt permutes: options after the operand are still checked. */
	expect_error("extra operand 'stray'", "stray", "--threads", "2", NULL);
	expect_error("invalid value '0' for --threads: must be between 1 and "
	    "100000", "stray", "--threads", "0", NULL);
	/* "--" ends the options; what follows is still an operand. */
	expect_error("extra operand '-t'", "--", "-t", NULL);
}
END_TEST

/* Errors leave no getopt state behind: the next call parses afresh. */
START_TEST(test_reparse)
{
	struct parsed p;
	int i;

	for (i = 0; i < 3; i++) {
		expect_error("unrecognized option '-x'", "-vx", "-t", "5",
		    NULL);
		parse(&p, "-t", "5", NULL);
		ck_assert_int_eq(p.rc, OPTIONS_RUN);
		ck_assert_uint_eq(p.o.threads, 5);
		parsed_free(&p);
	}
}
END_TEST

/* --- --proxy-protocol and --proxy-from -------------------------------- */

START_TEST(test_proxy_options)
{
	struct parsed p;

	parse(&p, "--proxy-protocol", "--proxy-from", "10.0.1.1,2001:db8::/32",
	    "--proxy-from=192.168.0.0/16", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_str_eq(p.err, "");
	ck_assert(p.o.proxy_protocol);
	ck_assert_uint_eq(p.o.proxy_from.n, 3);
	ck_assert_uint_eq(p.o.proxy_from.net[0].prefix, 32);
	ck_assert_uint_eq(p.o.proxy_from.net[1].prefix, 32);
	ck_assert_uint_eq(p.o.proxy_from.net[2].prefix, 16);
	parsed_free(&p);

	/* Order does not matter; the check is made after every option. */
	parse(&p, "--proxy-from", "::1", "-t", "2", "--proxy-protocol", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_RUN);
	ck_assert_uint_eq(p.o.proxy_from.n, 1);
	parsed_free(&p);
}
END_TEST

START_TEST(test_bad_proxy_options)
{
	expect_error("--proxy-protocol needs --proxy-from, the addresses of "
	    "the balancers that send the header", "--proxy-protocol", NULL);
	expect_error("--proxy-from is only meaningful with --proxy-protocol",
	    "--proxy-from", "10.0.0.1", NULL);
	expect_error("invalid value '10.0.0.0/33' for --proxy-from: prefix "
	    "length 33 in '10.0.0.0/33' is more than 32", "--proxy-protocol",
	    "--proxy-from", "10.0.0.0/33", NULL);
	expect_error("invalid value '10.0.0.1,x' for --proxy-from: 'x' is not "
	    "an IPv4 or IPv6 address", "--proxy-from", "10.0.0.1,x",
	    "--proxy-protocol", NULL);
	expect_error("invalid value '' for --proxy-from: an empty item in the "
	    "list", "--proxy-from=", NULL);
	expect_error("option '--proxy-from' requires an argument",
	    "--proxy-protocol", "--proxy-from", NULL);
	expect_error("option '--proxy-protocol' doesn't allow an argument",
	    "--proxy-protocol=yes", NULL);
	expect_error("option '--proxy' is ambiguous", "--proxy", NULL);
}
END_TEST

/* --- --help and --version ----------------------------------------------- */

START_TEST(test_help)
{
	static const char *const longs[] = {
		"--threads N", "--port PORT", "--bind ADDR", "--queue N",
		"--backlog N", "--max-frame SIZE", "--idle-timeout SEC",
		"--io-timeout SEC", "--reject-when-full",
		"--shutdown-timeout SEC", "--stack-size SIZE",
		"--buffer-size SIZE", "--scheduler POLICY", "--user USER",
		"--daemon", "--pidfile FILE", "--verbose", "--quiet",
		"--syslog", "--metrics HOST:PORT", "--version", "--help",
		"--proxy-protocol", "--proxy-from CIDR[,CIDR...]", NULL
	};
	static const char *const shorts[] = {
		"-t, --threads", "-p, --port", "-b, --bind", "-q, --queue",
		"-m, --max-frame", "-i, --idle-timeout", "-u, --user",
		"-d, --daemon", "-v, --verbose", "-Q, --quiet",
		"-V, --version", "-h, --help", NULL
	};
	static const char *const defaults[] = {
		"(default 16; 1..100000)", "(default 8080; 0..65535)",
		"(default 127.0.0.1)", "(default 1024; 1..1000000)",
		"net.core.somaxconn", "(default 1M; 0..4294967295)",
		"(default 60)", "(default 10)", "(default 5)",
		"(default 256K; 64K..1G)", "(default 512K; 4K..64M)",
		"(default batch)", NULL
	};
	const char *const *s;
	struct parsed p;
	char want[64], *line, *save;
	size_t i;

	parse(&p, "--help", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_EXIT_OK);
	ck_assert_str_eq(p.err, "");
	ck_assert_ptr_nonnull(strstr(p.out, "Usage: msgserverd [OPTION]...\n"));
	for (s = longs; *s != NULL; s++)
		ck_assert_msg(strstr(p.out, *s) != NULL, "help lacks %s", *s);
	for (s = shorts; *s != NULL; s++)
		ck_assert_msg(strstr(p.out, *s) != NULL, "help lacks %s", *s);
	for (s = defaults; *s != NULL; s++)
		ck_assert_msg(strstr(p.out, *s) != NULL, "help lacks %s", *s);
	(void)snprintf(want, sizeof(want), "(default %d = SOMAXCONN)",
	    SOMAXCONN);
	ck_assert_ptr_nonnull(strstr(p.out, want));
	/* Fits an 80-column terminal. */
	for (line = strtok_r(p.out, "\n", &save), i = 0; line != NULL;
	    line = strtok_r(NULL, "\n", &save), i++)
		ck_assert_msg(strlen(line) < 80, "line too long: %s", line);
	ck_assert_uint_gt(i, 20);
	parsed_free(&p);

	/* -h, and --help wins over later junk (it is seen first). */
	parse(&p, "-h", "--bogus", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(p.out, "--shutdown-timeout"));
	ck_assert_str_eq(p.err, "");
	parsed_free(&p);
}
END_TEST

START_TEST(test_version)
{
	struct parsed p;

	parse(&p, "--version", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_EXIT_OK);
	ck_assert_str_eq(p.out, "msgserverd " PACKAGE_VERSION "\n");
	ck_assert_str_eq(p.err, "");
	parsed_free(&p);

	parse(&p, "-V", NULL);
	ck_assert_int_eq(p.rc, OPTIONS_EXIT_OK);
	ck_assert_str_eq(p.out, "msgserverd " PACKAGE_VERSION "\n");
	parsed_free(&p);
}
END_TEST

static Suite *
options_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("options");

	tc = tcase_create("parse");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_short_options);
	tcase_add_test(tc, test_long_options);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_verbosity);
	tcase_add_test(tc, test_proxy_options);
	tcase_add_test(tc, test_reparse);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_bad_option);
	tcase_add_test(tc, test_bad_threads);
	tcase_add_test(tc, test_bad_numbers);
	tcase_add_test(tc, test_bad_sizes);
	tcase_add_test(tc, test_bad_timeouts);
	tcase_add_test(tc, test_bad_strings);
	tcase_add_test(tc, test_binds);
	tcase_add_test(tc, test_bad_metrics);
	tcase_add_test(tc, test_missing_argument);
	tcase_add_test(tc, test_operands);
	tcase_add_test(tc, test_bad_proxy_options);
	suite_add_tcase(s, tc);

	tc = tcase_create("info");
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(options_suite());
}
