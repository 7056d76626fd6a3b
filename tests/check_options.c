/*
 * check_options.c - unit tests for the command line (options.c) and the
 * logger (log.c).
 *
 * Option tests call options_parse() with messages captured in memory
 * streams, so every error message is checked word for word.  Log tests
 * point descriptor 2 at a pipe (or a file) for the duration of the test and
 * restore it, so they work with and without Check's fork mode.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "options.h"

#define MAX_ARGS	40
#define HINT		"Try 'msgserverd --help' for more information.\n"

/* The result of one options_parse() call. */
struct parsed {
	enum options_result	rc;
	struct options		o;
	char			*out;	/* what went to out, NUL-terminated */
	char			*err;	/* what went to err */
};

/* Log capture: the saved descriptor 2 and the pipe's read end. */
struct capture {
	int	saved;
	int	rfd;
};

static void	parse_v(struct parsed *p, const char *arg0, va_list ap);
static void	parse(struct parsed *p, ...);
static void	parsed_free(struct parsed *p);
static void	expect_error(const char *msg, ...);
static void	capture_start(struct capture *c);
static char	*capture_end(struct capture *c);
static int	count_char(const char *s, char ch);
static void	assert_line_format(const char *line, const char *ident,
		    long pid, const char *rest);
static void	*log_thread(void *arg);
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
	ck_assert_str_eq(o.bind, "127.0.0.1");
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
	ck_assert_str_eq(p.o.bind, "::");
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
	ck_assert_str_eq(p.o.bind, "localhost");
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
		"--syslog", "--metrics HOST:PORT", "--version", "--help", NULL
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

/* --- Logging ------------------------------------------------------------ */

/* Point descriptor 2 at a fresh pipe. */
static void
capture_start(struct capture *c)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	c->saved = dup(STDERR_FILENO);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(close(fds[1]), 0);
	c->rfd = fds[0];
}

/* Restore descriptor 2 and return everything written meanwhile. */
static char *
capture_end(struct capture *c)
{
	char *buf;
	size_t len = 0, cap = 4096;
	ssize_t n;

	/* Closing the last write end lets read() reach EOF. */
	ck_assert_int_eq(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(close(c->saved), 0);
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	for (;;) {
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = read(c->rfd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	ck_assert_int_eq(close(c->rfd), 0);
	return buf;
}

static int
count_char(const char *s, char ch)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == ch;
	return n;
}

/*
 * Check "YYYY-MM-DDTHH:MM:SS.mmmZ IDENT[PID]: REST\n" and that the stamp is
 * the current UTC time, give or take a minute.
 */
static void
assert_line_format(const char *line, const char *ident, long pid,
    const char *rest)
{
	char want[1200];
	regex_t re;
	struct tm tm;
	time_t stamp, now;
	const char *p;

	ck_assert_int_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	    "[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z ", REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "bad stamp: %s",
	    line);
	regfree(&re);

	(void)snprintf(want, sizeof(want), "%s[%ld]: %s\n", ident, pid, rest);
	ck_assert_str_eq(line + 25, want);

	memset(&tm, 0, sizeof(tm));
	p = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm);
	ck_assert_ptr_nonnull(p);
	stamp = timegm(&tm);
	now = time(NULL);
	ck_assert_msg(stamp <= now + 60 && stamp >= now - 60,
	    "stamp not UTC now: %s", line);
}

START_TEST(test_log_format)
{
	struct capture c;
	char *out, *l2, *l3;

	log_init("msgserverd", 0, LOG_NORMAL);
	capture_start(&c);
	log_warnx("hello %d", 42);
	out = capture_end(&c);
	assert_line_format(out, "msgserverd", (long)getpid(),
	    "warning: hello 42");
	free(out);

	/* Info has no level word; error and debug have theirs. */
	log_init("testident", 0, LOG_VERBOSE);
	capture_start(&c);
	log_info("listening on %s", "127.0.0.1:8080");
	log_error("cannot %s", "bind");
	log_debug("conn %d", 7);
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 3);
	/* Split into three NUL-terminated lines, each keeping its '\n'. */
	l2 = strndup(strchr(out, '\n') + 1, strlen(out));
	ck_assert_ptr_nonnull(l2);
	l3 = strdup(strchr(l2, '\n') + 1);
	ck_assert_ptr_nonnull(l3);
	strchr(out, '\n')[1] = '\0';
	strchr(l2, '\n')[1] = '\0';
	assert_line_format(out, "testident", (long)getpid(),
	    "listening on 127.0.0.1:8080");
	assert_line_format(l2, "testident", (long)getpid(),
	    "error: cannot bind");
	assert_line_format(l3, "testident", (long)getpid(), "debug: conn 7");
	free(l3);
	free(l2);
	free(out);
}
END_TEST

START_TEST(test_log_levels)
{
	struct capture c;
	char *out;

	/* Quiet: errors only. */
	log_init("msgserverd", 0, LOG_QUIET);
	ck_assert_int_eq(log_get_verbosity(), LOG_QUIET);
	capture_start(&c);
	errno = EIO;
	log_warn("w");
	log_warnx("wx");
	log_info("i");
	log_debug("d");
	log_error("only this");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 1);
	ck_assert_ptr_nonnull(strstr(out, ": error: only this\n"));
	free(out);

	/* Normal: no debug. */
	log_set_verbosity(LOG_NORMAL);
	ck_assert_int_eq(log_get_verbosity(), LOG_NORMAL);
	capture_start(&c);
	log_debug("hidden");
	log_info("shown");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 1);
	ck_assert_ptr_null(strstr(out, "hidden"));
	ck_assert_ptr_nonnull(strstr(out, "]: shown\n"));
	free(out);

	/* Verbose, and more verbose (-vv): debug shown. */
	log_set_verbosity(LOG_VERBOSE);
	capture_start(&c);
	log_debug("detail %s", "one");
	log_set_verbosity(2);
	log_debug("detail %s", "two");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 2);
	ck_assert_ptr_nonnull(strstr(out, "]: debug: detail one\n"));
	ck_assert_ptr_nonnull(strstr(out, "]: debug: detail two\n"));
	free(out);
}
END_TEST

START_TEST(test_log_errno)
{
	struct capture c;
	char want[256], *out;

	log_init("msgserverd", 0, LOG_NORMAL);
	capture_start(&c);
	errno = ENOENT;
	log_warn("open %s", "/nonexistent");
	/* errno survives the call, for the caller's own checks. */
	ck_assert_int_eq(errno, ENOENT);
	errno = EAGAIN;
	log_warnx("plain");
	ck_assert_int_eq(errno, EAGAIN);
	log_info("x");
	log_debug("x");
	log_error("x");
	ck_assert_int_eq(errno, EAGAIN);
	out = capture_end(&c);
	(void)snprintf(want, sizeof(want),
	    "]: warning: open /nonexistent: %s\n", strerror(ENOENT));
	ck_assert_ptr_nonnull(strstr(out, want));
	ck_assert_ptr_nonnull(strstr(out, "]: warning: plain\n"));
	free(out);
}
END_TEST

START_TEST(test_log_truncate)
{
	struct capture c;
	char *big, *out;
	size_t len;

	big = malloc(5000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	log_init("msgserverd", 0, LOG_NORMAL);
	capture_start(&c);
	log_info("%s", big);
	/* A newline inside the message cannot start a forged line. */
	log_info("user %s", "evil\nmsgserverd[1]: error: forged");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 2);
	len = strcspn(out, "\n");
	ck_assert_uint_le(len, 1030);
	ck_assert_uint_ge(len, 1000);
	ck_assert_int_eq(memcmp(out + len - 4, "a...", 4), 0);
	ck_assert_ptr_nonnull(strstr(out,
	    "]: user evil?msgserverd[1]: error: forged\n"));
	free(out);
	free(big);
}
END_TEST

START_TEST(test_log_syslog)
{
	struct capture c;
	char *out;

	/* Syslog mode writes nothing to stderr (no LOG_PERROR). */
	capture_start(&c);
	log_init("msgserverd-test", 1, LOG_NORMAL);
	log_info("check_options: syslog test line");
	log_init("msgserverd", 0, LOG_NORMAL);
	log_info("back");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 1);
	ck_assert_ptr_nonnull(strstr(out, " msgserverd["));
	ck_assert_ptr_nonnull(strstr(out, "]: back\n"));
	free(out);
}
END_TEST

#define LOG_THREADS		8
#define LOG_LINES		300

static void *
log_thread(void *arg)
{
	int i, t = (int)(intptr_t)arg;

	for (i = 0; i < LOG_LINES; i++) {
		/* Change the verbosity under the others' feet (TSan). */
		if (t == 0 && i % 50 == 0)
			log_set_verbosity(LOG_NORMAL);
		log_info("thread %d line %d %s", t, i,
		    "padding-padding-padding-padding-padding-padding");
	}
	return NULL;
}

/* Concurrent lines never interleave. */
START_TEST(test_log_threads)
{
	pthread_t tids[LOG_THREADS];
	char path[] = "check_options_log.XXXXXX";
	char *buf, *line, *save;
	int fd, saved, i, t, n, lines = 0;
	int seen[LOG_THREADS] = { 0 };
	off_t size;

	/* A file, not a pipe: the lines outgrow a pipe's buffer. */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);

	log_init("msgserverd", 0, LOG_NORMAL);
	for (i = 0; i < LOG_THREADS; i++)
		ck_assert_int_eq(pthread_create(&tids[i], NULL, log_thread,
		    (void *)(intptr_t)i), 0);
	for (i = 0; i < LOG_THREADS; i++)
		ck_assert_int_eq(pthread_join(tids[i], NULL), 0);

	ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(close(saved), 0);
	size = lseek(fd, 0, SEEK_END);
	ck_assert_int_gt(size, 0);
	buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
	buf[size] = '\0';
	ck_assert_int_eq(close(fd), 0);

	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		n = -1;
		t = -1;
		/* Whole: the stamp, the ident, one message, the padding. */
		ck_assert_msg(strncmp(line + 23, "Z msgserverd[", 13) == 0 &&
		    count_char(line, 'Z') == 1 &&
		    sscanf(strstr(line, "]: ") + 3, "thread %d line %d ",
		    &t, &n) == 2 &&
		    strcmp(strrchr(line, ' '), " padding-padding-padding-"
		    "padding-padding-padding") == 0,
		    "mangled line: %s", line);
		ck_assert_int_ge(t, 0);
		ck_assert_int_lt(t, LOG_THREADS);
		/* Each thread's lines arrive in its own order. */
		ck_assert_int_eq(n, seen[t]);
		seen[t]++;
		lines++;
	}
	ck_assert_int_eq(lines, LOG_THREADS * LOG_LINES);
	free(buf);
}
END_TEST

/* fatal/fatalx log at error level and exit with the status given. */
START_TEST(test_fatal)
{
	char buf[512];
	ssize_t n;
	pid_t pid;
	int fds[2], status, which;

	for (which = 0; which < 2; which++) {
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			if (dup2(fds[1], STDERR_FILENO) == -1)
				_exit(99);
			log_init("msgserverd", 0, LOG_QUIET);
			if (which == 0) {
				errno = EACCES;
				fatal(3, "cannot open %s", "x");
			}
			fatalx(4, "boom %d", 1);
		}
		ck_assert_int_eq(close(fds[1]), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), which == 0 ? 3 : 4);
		n = read(fds[0], buf, sizeof(buf) - 1);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_int_eq(close(fds[0]), 0);
		if (which == 0) {
			char want[128];

			(void)snprintf(want, sizeof(want),
			    "]: error: cannot open x: %s\n", strerror(EACCES));
			ck_assert_ptr_nonnull(strstr(buf, want));
		} else
			ck_assert_ptr_nonnull(strstr(buf,
			    "]: error: boom 1\n"));
	}
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
	tcase_add_test(tc, test_reparse);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_bad_option);
	tcase_add_test(tc, test_bad_threads);
	tcase_add_test(tc, test_bad_numbers);
	tcase_add_test(tc, test_bad_sizes);
	tcase_add_test(tc, test_bad_timeouts);
	tcase_add_test(tc, test_bad_strings);
	tcase_add_test(tc, test_bad_metrics);
	tcase_add_test(tc, test_missing_argument);
	tcase_add_test(tc, test_operands);
	suite_add_tcase(s, tc);

	tc = tcase_create("info");
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_add_test(tc, test_log_format);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_log_errno);
	tcase_add_test(tc, test_log_truncate);
	tcase_add_test(tc, test_log_syslog);
	tcase_add_test(tc, test_log_threads);
	tcase_add_test(tc, test_fatal);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(options_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
