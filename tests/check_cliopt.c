/*
 * check_cliopt.c - unit tests for the shared command-line helpers
 * (cliopt.c): the program name, the long-name lookup, every message the
 * three programs print for a usage mistake, the value helpers and the
 * formatters of help texts.
 *
 * Messages go to a memory stream and are compared word for word,
 * including the "Try 'PROG --help'" line: they are what users see.
 */
#include "config.h"

#include <check.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "testutil.h"

#define MAX_ARGS	16
#define HINT		"Try 'prog --help' for more information.\n"
/* A value no helper should ever store: proves *out is left untouched. */
#define SENTINEL	UINT64_C(0xdeadbeefcafef00d)

/* Values of the long-only options in the test table. */
enum {
	LOPT_BACKLOG = CLIOPT_LONG_ONLY,
	LOPT_SIZE,
	LOPT_SIZE_MAX,
	LOPT_SYSLOG
};

/*
 * A table like the programs' own: short and long, long-only, two names
 * that share a prefix ("size", "syslog": "--s" is ambiguous), and 'x',
 * a short-only option.
 */
static const char optstring[] = ":dt:vx:";

static const struct option longopts[] = {
	{ "backlog",	required_argument,	NULL, LOPT_BACKLOG },
	{ "daemon",	no_argument,		NULL, 'd' },
	{ "size",	required_argument,	NULL, LOPT_SIZE },
	{ "size-max",	required_argument,	NULL, LOPT_SIZE_MAX },
	{ "syslog",	no_argument,		NULL, LOPT_SYSLOG },
	{ "threads",	required_argument,	NULL, 't' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ NULL,		0,			NULL, 0 }
};

/* A formatter's input and what it must write. */
struct fmt_case {
	uint64_t	 v;
	const char	*want;
};

typedef const char *(*fmt_fn)(uint64_t, char *, size_t);

/* The stream the helpers under test write to, and its buffer. */
static struct cliopt	 ctx;
static char		*msgbuf;
static size_t		 msglen;

static void	msg_setup(void);
static void	msg_teardown(void);
static char	*msg_take(void);
static void	expect_msg(const char *want);
static char	*run_getopt(const char *first, va_list ap);
static char	*getopt_message(const char *first, ...);
static void	expect_getopt(const char *msg, const char *first, ...);
static void	check_fmt(fmt_fn fn, const struct fmt_case *t, size_t n);
static Suite	*cliopt_suite(void);

static void
msg_setup(void)
{
	msgbuf = NULL;
	ctx.prog = "prog";
	ctx.longopts = longopts;
	ctx.err = open_memstream(&msgbuf, &msglen);
	ck_assert_ptr_nonnull(ctx.err);
}

static void
msg_teardown(void)
{
	if (ctx.err != NULL)
		(void)fclose(ctx.err);
	ctx.err = NULL;
	free(msgbuf);
	msgbuf = NULL;
}

/* What was written so far, as a string the caller frees; starts afresh. */
static char *
msg_take(void)
{
	char *s;

	ck_assert_int_eq(fclose(ctx.err), 0);
	s = msgbuf;
	msgbuf = NULL;
	ctx.err = open_memstream(&msgbuf, &msglen);
	ck_assert_ptr_nonnull(ctx.err);
	return s;
}

/* Exactly "prog: MSG\n" and the hint were written (want NULL: nothing). */
static void
expect_msg(const char *want)
{
	char buf[1024], *got;

	got = msg_take();
	if (want == NULL)
		ck_assert_str_eq(got, "");
	else {
		(void)snprintf(buf, sizeof(buf), "prog: %s\n" HINT, want);
		ck_assert_str_eq(got, buf);
	}
	free(got);
}

/*
 * Run getopt_long, as the programs do, over "prog" and the NULL-terminated
 * arguments; at the first ':' or '?' hand over to cliopt_getopt_error.
 * Returns what it wrote ("" for a command line without mistakes).
 */
static char *
run_getopt(const char *first, va_list ap)
{
	char *argv[MAX_ARGS + 1];
	const char *a;
	int argc = 0, ch;

	argv[argc++] = (char *)"prog";
	for (a = first; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(argc, MAX_ARGS);
		argv[argc++] = (char *)a;
	}
	argv[argc] = NULL;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts,
	    NULL)) != -1) {
		if (ch == ':' || ch == '?') {
			cliopt_getopt_error(&ctx, ch, argc, argv);
			break;
		}
	}
	return msg_take();
}

static char *
getopt_message(const char *first, ...)
{
	va_list ap;
	char *got;

	va_start(ap, first);
	got = run_getopt(first, ap);
	va_end(ap);
	return got;
}

/* The arguments make getopt report exactly "prog: MSG" and the hint. */
static void
expect_getopt(const char *msg, const char *first, ...)
{
	char want[512], *got;
	va_list ap;

	va_start(ap, first);
	got = run_getopt(first, ap);
	va_end(ap);
	(void)snprintf(want, sizeof(want), "prog: %s\n" HINT, msg);
	ck_assert_str_eq(got, want);
	free(got);
}

/* --- Names -------------------------------------------------------------- */

START_TEST(test_progname)
{
	ck_assert_str_eq(cliopt_progname("/usr/bin/msgclient", "x"),
	    "msgclient");
	ck_assert_str_eq(cliopt_progname("msgbench", "x"), "msgbench");
	ck_assert_str_eq(cliopt_progname("./src/.libs/msgclient", "x"),
	    "msgclient");
	ck_assert_str_eq(cliopt_progname("a//b", "x"), "b");
	/* No name in it: the fallback. */
	ck_assert_str_eq(cliopt_progname("dir/", "fallback"), "fallback");
	ck_assert_str_eq(cliopt_progname("/", "fallback"), "fallback");
	ck_assert_str_eq(cliopt_progname("", "fallback"), "fallback");
	ck_assert_str_eq(cliopt_progname(NULL, "fallback"), "fallback");
}
END_TEST

START_TEST(test_long_name)
{
	ck_assert_str_eq(cliopt_long_name(longopts, 't'), "threads");
	ck_assert_str_eq(cliopt_long_name(longopts, 'd'), "daemon");
	ck_assert_str_eq(cliopt_long_name(longopts, LOPT_BACKLOG), "backlog");
	ck_assert_str_eq(cliopt_long_name(longopts, LOPT_SYSLOG), "syslog");
	/* A short-only option, an unknown one, the terminator's 0. */
	ck_assert_ptr_null(cliopt_long_name(longopts, 'x'));
	ck_assert_ptr_null(cliopt_long_name(longopts, 'z'));
	ck_assert_ptr_null(cliopt_long_name(longopts, 0));
	/* Long-only values never collide with a character. */
	ck_assert_int_gt(CLIOPT_LONG_ONLY, CHAR_MAX);
}
END_TEST

/* --- Messages ----------------------------------------------------------- */

START_TEST(test_usage_error)
{
	cliopt_usage_error(&ctx, "--duration and --frames exclude each other");
	expect_msg("--duration and --frames exclude each other");
	cliopt_usage_error(&ctx, "%d and %s", 42, "more");
	expect_msg("42 and more");

	/* The name is the caller's, in the message and in the hint. */
	ctx.prog = "msgclient";
	cliopt_usage_error(&ctx, "oops");
	{
		char *got = msg_take();

		ck_assert_str_eq(got, "msgclient: oops\n"
		    "Try 'msgclient --help' for more information.\n");
		free(got);
	}
}
END_TEST

START_TEST(test_bad_value)
{
	cliopt_bad_value(&ctx, 't', "4x", "must be %s", "a number");
	expect_msg("invalid value '4x' for --threads: must be a number");
	cliopt_bad_value(&ctx, LOPT_SIZE, "9:3", "must be MIN:MAX");
	expect_msg("invalid value '9:3' for --size: must be MIN:MAX");
	/* Short-only and unknown options are named as well as they can be. */
	cliopt_bad_value(&ctx, 'x', "", "must not be empty");
	expect_msg("invalid value '' for -x: must not be empty");
	cliopt_bad_value(&ctx, 1000, "v", "no");
	expect_msg("invalid value 'v' for ?: no");
}
END_TEST

START_TEST(test_extra_operand)
{
	cliopt_extra_operand(&ctx, "stray");
	expect_msg("extra operand 'stray'");
}
END_TEST

START_TEST(test_getopt_unrecognized)
{
	expect_getopt("unrecognized option '--foo'", "--foo", NULL);
	expect_getopt("unrecognized option '--foo=1'", "--foo=1", NULL);
	expect_getopt("unrecognized option '-z'", "-z", NULL);
	/* Inside a cluster, after a valid option. */
	expect_getopt("unrecognized option '-z'", "-vz", NULL);
	expect_getopt("unrecognized option '-z'", "-t", "1", "-z", NULL);
}
END_TEST

START_TEST(test_getopt_ambiguous)
{
	expect_getopt("option '--s' is ambiguous", "--s", NULL);
	expect_getopt("option '--s' is ambiguous", "--s=1", NULL);
	/* "--si" is "--size" or "--size-max". */
	expect_getopt("option '--si' is ambiguous", "--si", "4", NULL);
}
END_TEST

START_TEST(test_getopt_no_argument)
{
	expect_getopt("option '--daemon' doesn't allow an argument",
	    "--daemon=1", NULL);
	/* An abbreviation is named in full. */
	expect_getopt("option '--daemon' doesn't allow an argument",
	    "--dae=yes", NULL);
	expect_getopt("option '--syslog' doesn't allow an argument",
	    "--syslog=", NULL);
}
END_TEST

START_TEST(test_getopt_missing_argument)
{
	expect_getopt("option '--threads' requires an argument", "--threads",
	    NULL);
	/* The short form is named by its long name. */
	expect_getopt("option '--threads' requires an argument", "-t", NULL);
	expect_getopt("option '--threads' requires an argument", "-vt", NULL);
	expect_getopt("option '--backlog' requires an argument", "--backlog",
	    NULL);
	expect_getopt("option '--size-max' requires an argument", "-d",
	    "--size-max", NULL);
	/* A short-only option has no long name to give. */
	expect_getopt("option '-x' requires an argument", "-x", NULL);
}
END_TEST

START_TEST(test_getopt_clean)
{
	char *got;

	/* No mistake, no message; and getopt state does not leak across. */
	got = getopt_message("-d", "--threads", "4", "--size-max=1",
	    "--size=2", NULL);
	ck_assert_str_eq(got, "");
	free(got);
	expect_getopt("unrecognized option '-z'", "-z", NULL);
	got = getopt_message("-v", "-x", "y", NULL);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

/* --- Values ------------------------------------------------------------- */

START_TEST(test_uint)
{
	uint64_t v = SENTINEL;

	ck_assert_int_eq(cliopt_uint(&ctx, 't', "4", 1, 100, &v), 0);
	ck_assert_uint_eq(v, 4);
	ck_assert_int_eq(cliopt_uint(&ctx, 't', "100", 1, 100, &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(cliopt_uint(&ctx, LOPT_BACKLOG, "0", 0, 0, &v), 0);
	ck_assert_uint_eq(v, 0);
	expect_msg(NULL);

	v = SENTINEL;
	ck_assert_int_eq(cliopt_uint(&ctx, 't', "0", 1, 100, &v), -1);
	expect_msg("invalid value '0' for --threads: must be between 1 and "
	    "100");
	ck_assert_int_eq(cliopt_uint(&ctx, 't', "101", 1, 100, &v), -1);
	expect_msg("invalid value '101' for --threads: must be between 1 and "
	    "100");
	ck_assert_int_eq(cliopt_uint(&ctx, 't', "99999999999999999999999", 1,
	    100, &v), -1);
	expect_msg("invalid value '99999999999999999999999' for --threads: "
	    "must be between 1 and 100");
	ck_assert_int_eq(cliopt_uint(&ctx, 't', "-1", 1, 100, &v), -1);
	expect_msg("invalid value '-1' for --threads: must be a whole number "
	    "between 1 and 100");
	ck_assert_int_eq(cliopt_uint(&ctx, 't', "4x", 1, 100, &v), -1);
	expect_msg("invalid value '4x' for --threads: must be a whole number "
	    "between 1 and 100");
	ck_assert_int_eq(cliopt_uint(&ctx, LOPT_BACKLOG, "", 1, UINT64_MAX,
	    &v), -1);
	expect_msg("invalid value '' for --backlog: must be a whole number "
	    "between 1 and 18446744073709551615");
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

START_TEST(test_size)
{
	uint64_t v = SENTINEL;

	ck_assert_int_eq(cliopt_size(&ctx, LOPT_SIZE, "64K", 0, 1 << 30, &v),
	    0);
	ck_assert_uint_eq(v, 64 * 1024);
	ck_assert_int_eq(cliopt_size(&ctx, LOPT_SIZE, "1g", 0, 1 << 30, &v),
	    0);
	ck_assert_uint_eq(v, 1 << 30);
	ck_assert_int_eq(cliopt_size(&ctx, LOPT_SIZE, "100", 0, 1 << 30, &v),
	    0);
	ck_assert_uint_eq(v, 100);
	expect_msg(NULL);

	v = SENTINEL;
	ck_assert_int_eq(cliopt_size(&ctx, LOPT_SIZE, "1K", 64 * 1024,
	    1 << 30, &v), -1);
	expect_msg("invalid value '1K' for --size: must be between 64K and 1G");
	ck_assert_int_eq(cliopt_size(&ctx, LOPT_SIZE, "2G", 64 * 1024,
	    1 << 30, &v), -1);
	expect_msg("invalid value '2G' for --size: must be between 64K and 1G");
	ck_assert_int_eq(cliopt_size(&ctx, LOPT_SIZE, "5X", 0, UINT32_MAX,
	    &v), -1);
	expect_msg("invalid value '5X' for --size: must be a size between 0 "
	    "and 4294967295, in bytes or with a K, M or G suffix");
	ck_assert_int_eq(cliopt_size(&ctx, LOPT_SIZE_MAX, "", 4096,
	    64 << 20, &v), -1);
	expect_msg("invalid value '' for --size-max: must be a size between "
	    "4K and 64M, in bytes or with a K, M or G suffix");
	ck_assert_int_eq(cliopt_size(&ctx, LOPT_SIZE_MAX, "-1", 1, 1000,
	    &v), -1);
	expect_msg("invalid value '-1' for --size-max: must be a size between "
	    "1 and 1000, in bytes or with a K, M or G suffix");
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

START_TEST(test_seconds)
{
	uint64_t v = SENTINEL;

	ck_assert_int_eq(cliopt_seconds(&ctx, 't', "1.5", 0, 86400000, &v),
	    0);
	ck_assert_uint_eq(v, 1500);
	ck_assert_int_eq(cliopt_seconds(&ctx, 't', "0", 0, 86400000, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(cliopt_seconds(&ctx, 't', "0.001", 1, 1000, &v), 0);
	ck_assert_uint_eq(v, 1);
	expect_msg(NULL);

	v = SENTINEL;
	ck_assert_int_eq(cliopt_seconds(&ctx, 't', "86400.001", 0, 86400000,
	    &v), -1);
	expect_msg("invalid value '86400.001' for --threads: must be between "
	    "0 and 86400 seconds");
	ck_assert_int_eq(cliopt_seconds(&ctx, LOPT_BACKLOG, "0", 1, 604800000,
	    &v), -1);
	expect_msg("invalid value '0' for --backlog: must be between 0.001 "
	    "and 604800 seconds");
	ck_assert_int_eq(cliopt_seconds(&ctx, LOPT_BACKLOG, "1.2345", 0,
	    86400000, &v), -1);
	expect_msg("invalid value '1.2345' for --backlog: must be a number of "
	    "seconds between 0 and 86400, with at most 3 decimals");
	ck_assert_int_eq(cliopt_seconds(&ctx, LOPT_BACKLOG, "10s", 500, 2500,
	    &v), -1);
	expect_msg("invalid value '10s' for --backlog: must be a number of "
	    "seconds between 0.5 and 2.5, with at most 3 decimals");
	ck_assert_int_eq(cliopt_seconds(&ctx, LOPT_BACKLOG, "-1", 0, 1000,
	    &v), -1);
	expect_msg("invalid value '-1' for --backlog: must be a number of "
	    "seconds between 0 and 1, with at most 3 decimals");
	ck_assert_uint_eq(v, SENTINEL);
}
END_TEST

START_TEST(test_string)
{
	const char *s = "untouched";

	ck_assert_int_eq(cliopt_string(&ctx, 't', "nobody", &s), 0);
	ck_assert_str_eq(s, "nobody");
	ck_assert_int_eq(cliopt_string(&ctx, 't', " ", &s), 0);
	ck_assert_str_eq(s, " ");
	expect_msg(NULL);

	s = "untouched";
	ck_assert_int_eq(cliopt_string(&ctx, 't', "", &s), -1);
	expect_msg("invalid value '' for --threads: must not be empty");
	ck_assert_str_eq(s, "untouched");
}
END_TEST

/* --- Formatting --------------------------------------------------------- */

static void
check_fmt(fmt_fn fn, const struct fmt_case *t, size_t n)
{
	char buf[CLIOPT_FMTLEN];
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_str_eq(fn(t[i].v, buf, sizeof(buf)), t[i].want);
}

START_TEST(test_fmt_size)
{
	static const struct fmt_case t[] = {
		{ 0,				"0" },
		{ 1,				"1" },
		{ 1000,				"1000" },
		{ 1023,				"1023" },
		{ 1024,				"1K" },
		{ 1536,				"1536" },
		{ 4096,				"4K" },
		{ 262144,			"256K" },
		{ UINT64_C(1) << 20,		"1M" },
		{ UINT64_C(3) << 30,		"3G" },
		{ UINT64_C(1) << 40,		"1024G" },
		{ (UINT64_C(1) << 30) + 1024,	"1048577K" },
		{ UINT32_MAX,			"4294967295" },
		{ UINT64_MAX,			"18446744073709551615" },
	};
	char buf[CLIOPT_FMTLEN];

	check_fmt(cliopt_fmt_size, t, sizeof(t) / sizeof(t[0]));
	/* A short buffer truncates, never overruns. */
	ck_assert_str_eq(cliopt_fmt_size(262144, buf, 3), "25");
}
END_TEST

START_TEST(test_fmt_ms)
{
	static const struct fmt_case t[] = {
		{ 0,			"0" },
		{ 1,			"0.001" },
		{ 10,			"0.01" },
		{ 100,			"0.1" },
		{ 1234,			"1.234" },
		{ 1500,			"1.5" },
		{ 5000,			"5" },
		{ 60000,		"60" },
		{ 86400000,		"86400" },
		{ 604800001,		"604800.001" },
	};

	check_fmt(cliopt_fmt_ms, t, sizeof(t) / sizeof(t[0]));
}
END_TEST

static Suite *
cliopt_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("cliopt");

	tc = tcase_create("names");
	tcase_add_test(tc, test_progname);
	tcase_add_test(tc, test_long_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("messages");
	tcase_add_checked_fixture(tc, msg_setup, msg_teardown);
	tcase_add_test(tc, test_usage_error);
	tcase_add_test(tc, test_bad_value);
	tcase_add_test(tc, test_extra_operand);
	tcase_add_test(tc, test_getopt_unrecognized);
	tcase_add_test(tc, test_getopt_ambiguous);
	tcase_add_test(tc, test_getopt_no_argument);
	tcase_add_test(tc, test_getopt_missing_argument);
	tcase_add_test(tc, test_getopt_clean);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, msg_setup, msg_teardown);
	tcase_add_test(tc, test_uint);
	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_seconds);
	tcase_add_test(tc, test_string);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_fmt_size);
	tcase_add_test(tc, test_fmt_ms);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(cliopt_suite());
}
