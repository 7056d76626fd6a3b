/*
 * check_parse.c - unit tests for the number parsers (src/parse.h):
 * parse_uint, parse_size and parse_seconds_ms.
 *
 * "Core" is what each accepts and the value it yields; "Limits" is what
 * each rejects (malformed strings, overflow, the caller's bounds), with
 * the errno it sets and *out left alone.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "testutil.h"

/* A value no parser should ever store: proves *out is left untouched. */
#define SENTINEL	UINT64_C(0xdeadbeefcafef00d)

struct parse_ok {
	const char	*s;
	uint64_t	 want;
};

typedef int (*parse_fn)(const char *, uint64_t, uint64_t, uint64_t *);

static void	check_ok(parse_fn, const char *, const struct parse_ok *,
		    size_t);
static void	check_fail(parse_fn, const char *, const char *const *,
		    size_t, uint64_t, uint64_t, int);
static Suite	*parse_suite(void);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Every string must parse, with the full range allowed, to its value. */
static void
check_ok(parse_fn fn, const char *fname, const struct parse_ok *t, size_t n)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = SENTINEL;
		errno = 0;
		ck_assert_msg(fn(t[i].s, 0, UINT64_MAX, &v) == 0,
		    "%s(\"%s\") failed: %s", fname, t[i].s, strerror(errno));
		ck_assert_msg(v == t[i].want,
		    "%s(\"%s\") = %llu, want %llu", fname, t[i].s,
		    (unsigned long long)v, (unsigned long long)t[i].want);
	}
}

/* Every string must fail with errno want_errno and leave *out alone. */
static void
check_fail(parse_fn fn, const char *fname, const char *const *t, size_t n,
    uint64_t min, uint64_t max, int want_errno)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = SENTINEL;
		errno = 0;
		ck_assert_msg(fn(t[i], min, max, &v) == -1,
		    "%s(\"%s\") succeeded (%llu)", fname, t[i],
		    (unsigned long long)v);
		ck_assert_msg(errno == want_errno,
		    "%s(\"%s\"): errno %d (%s), want %d (%s)", fname, t[i],
		    errno, strerror(errno), want_errno, strerror(want_errno));
		ck_assert_msg(v == SENTINEL, "%s(\"%s\") wrote *out on failure",
		    fname, t[i]);
	}
}

/* Strings no parser accepts: no sign, no whitespace, digits required. */
static const char *const common_malformed[] = {
	"", "-1", "+1", "-0", " 1", "\t1", "\n1", "1 ", "1\n", "x", "1x",
	"0x10", "1e3", "1,000", "1_000", "--1", "inf", "nan", "\xff",
};

/* ---- parse_uint ---------------------------------------------------- */

START_TEST(test_parse_uint_valid)
{
	static const struct parse_ok t[] = {
		{ "0", 0 }, { "1", 1 }, { "42", 42 }, { "007", 7 },
		{ "65535", 65535 }, { "4294967296", UINT64_C(4294967296) },
		{ "18446744073709551615", UINT64_MAX },
		{ "000000000000000000000000018446744073709551615", UINT64_MAX },
	};

	check_ok(parse_uint, "parse_uint", t, NELEM(t));
}
END_TEST

START_TEST(test_parse_uint_malformed)
{
	static const char *const t[] = { "1.0", "1K", "1.", ".1", "12 34" };
	uint64_t v = SENTINEL;

	check_fail(parse_uint, "parse_uint", common_malformed,
	    NELEM(common_malformed), 0, UINT64_MAX, EINVAL);
	check_fail(parse_uint, "parse_uint", t, NELEM(t), 0, UINT64_MAX,
	    EINVAL);
	errno = 0;
	ck_assert_int_eq(parse_uint(NULL, 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(v == SENTINEL);
}
END_TEST

START_TEST(test_parse_uint_range)
{
	static const char *const overflow[] = {
		"18446744073709551616", "18446744073709551620",
		"99999999999999999999999999999",
	};
	/* Junk wins over overflow: the string is malformed either way. */
	static const char *const overflow_junk[] = {
		"99999999999999999999999999999x", "18446744073709551616 ",
	};
	static const char *const outside[] = { "0", "9", "21", "1000" };
	uint64_t v;

	check_fail(parse_uint, "parse_uint", overflow, NELEM(overflow), 0,
	    UINT64_MAX, ERANGE);
	check_fail(parse_uint, "parse_uint", overflow_junk,
	    NELEM(overflow_junk), 0, UINT64_MAX, EINVAL);
	check_fail(parse_uint, "parse_uint", outside, NELEM(outside), 10, 20,
	    ERANGE);

	/* The bounds themselves are inside. */
	ck_assert_int_eq(parse_uint("10", 10, 20, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(parse_uint("20", 10, 20, &v), 0);
	ck_assert_uint_eq(v, 20);
	ck_assert_int_eq(parse_uint("5", 5, 5, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(parse_uint("65535", 1, 65535, &v), 0);
	ck_assert_uint_eq(v, 65535);
	errno = 0;
	ck_assert_int_eq(parse_uint("65536", 1, 65535, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
}
END_TEST

/* ---- parse_size ---------------------------------------------------- */

START_TEST(test_parse_size_valid)
{
	static const struct parse_ok t[] = {
		{ "0", 0 }, { "1", 1 }, { "512", 512 }, { "0K", 0 },
		{ "1K", 1024 }, { "1k", 1024 }, { "1KiB", 1024 },
		{ "1kib", 1024 }, { "1KIB", 1024 }, { "1Kib", 1024 },
		{ "64K", 65536 },
		{ "1M", UINT64_C(1) << 20 }, { "1m", UINT64_C(1) << 20 },
		{ "2MiB", UINT64_C(2) << 20 }, { "2mib", UINT64_C(2) << 20 },
		{ "16M", UINT64_C(16) << 20 },
		{ "1G", UINT64_C(1) << 30 }, { "1g", UINT64_C(1) << 30 },
		{ "3GiB", UINT64_C(3) << 30 }, { "3gib", UINT64_C(3) << 30 },
		{ "007K", 7 * 1024 },
		{ "18446744073709551615", UINT64_MAX },
		/* The largest multiples that still fit. */
		{ "18014398509481983K", UINT64_MAX - 1023 },
		{ "17592186044415M", UINT64_MAX - ((UINT64_C(1) << 20) - 1) },
		{ "17179869183G", UINT64_MAX - ((UINT64_C(1) << 30) - 1) },
	};

	check_ok(parse_size, "parse_size", t, NELEM(t));
}
END_TEST

START_TEST(test_parse_size_malformed)
{
	/* Only K, M, G and KiB, MiB, GiB: nothing else is guessed at. */
	static const char *const t[] = {
		"K", "k", "KiB", "M", "G", "-1K", "+1K", " 1K", "1 K", "1K ",
		"1B", "1b", "1KB", "1kb", "1MB", "1GB", "1Ki", "1KiBs", "1KK",
		"1T", "1TiB", "1P", "1.5K", "1.0", "1K\n", "1iB", "1i", "1Kb",
		"1GiB1",
	};

	check_fail(parse_size, "parse_size", common_malformed,
	    NELEM(common_malformed), 0, UINT64_MAX, EINVAL);
	check_fail(parse_size, "parse_size", t, NELEM(t), 0, UINT64_MAX,
	    EINVAL);
}
END_TEST

START_TEST(test_parse_size_range)
{
	/* Each is one unit past UINT64_MAX after scaling, or worse. */
	static const char *const overflow[] = {
		"18446744073709551616", "18014398509481984K",
		"18014398509481984KiB", "17592186044416M", "17592186044416MiB",
		"17179869184G", "17179869184g", "17179869184GiB",
		"99999999999999999999G", "99999999999999999999999K",
		"99999999999999999999999",
	};
	static const char *const outside[] = {
		"1023", "0", "0K", "65537", "1M", "1G",
	};
	uint64_t v;

	check_fail(parse_size, "parse_size", overflow, NELEM(overflow), 0,
	    UINT64_MAX, ERANGE);
	/* A bad suffix on an overflowing number is still malformed. */
	v = SENTINEL;
	errno = 0;
	ck_assert_int_eq(parse_size("99999999999999999999999X", 0, UINT64_MAX,
	    &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Bounds apply after scaling. */
	check_fail(parse_size, "parse_size", outside, NELEM(outside), 1024,
	    65536, ERANGE);
	ck_assert_int_eq(parse_size("1K", 1024, 65536, &v), 0);
	ck_assert_uint_eq(v, 1024);
	ck_assert_int_eq(parse_size("64K", 1024, 65536, &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(parse_size("65536", 1024, 65536, &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(parse_size("1024", 1024, 65536, &v), 0);
	ck_assert_uint_eq(v, 1024);
	/* 4 GiB does not fit a 32-bit frame limit. */
	errno = 0;
	ck_assert_int_eq(parse_size("4G", 0, UINT32_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(parse_size("4G", 0, UINT64_C(4) << 30, &v), 0);
	ck_assert_uint_eq(v, UINT64_C(4) << 30);
}
END_TEST

/* ---- parse_seconds_ms ---------------------------------------------- */

START_TEST(test_parse_seconds_valid)
{
	static const struct parse_ok t[] = {
		{ "0", 0 }, { "1", 1000 }, { "10", 10000 }, { "1.5", 1500 },
		{ "0.25", 250 }, { "0.001", 1 }, { "0.010", 10 },
		{ "0.1", 100 }, { "2.125", 2125 }, { "1.0", 1000 },
		{ "1.500", 1500 }, { "0.0", 0 }, { "0.000", 0 },
		{ "007.5", 7500 }, { "3600", 3600000 }, { "59.999", 59999 },
		{ "18446744073709551", UINT64_C(18446744073709551000) },
		{ "18446744073709551.615", UINT64_MAX },
	};

	check_ok(parse_seconds_ms, "parse_seconds_ms", t, NELEM(t));
}
END_TEST

START_TEST(test_parse_seconds_malformed)
{
	static const char *const t[] = {
		".5", "1.", "1..5", "1.5.", "1.5.0", "1.2345", "1.0000",
		"0.0001", "1,5", "1s", "1.5s", "1ms", "1.-5", "1.+5", "1. 5",
		"1.5 ", "-1.5", "+1.5", " 1.5", ".", "1e-3", "1K",
	};

	check_fail(parse_seconds_ms, "parse_seconds_ms", common_malformed,
	    NELEM(common_malformed), 0, UINT64_MAX, EINVAL);
	check_fail(parse_seconds_ms, "parse_seconds_ms", t, NELEM(t), 0,
	    UINT64_MAX, EINVAL);
}
END_TEST

START_TEST(test_parse_seconds_range)
{
	static const char *const overflow[] = {
		"18446744073709551.616", "18446744073709551.7",
		"18446744073709552", "18446744073709552.0",
		"99999999999999999999", "99999999999999999999.5",
	};
	static const char *const outside[] = {
		"0", "0.999", "60.001", "61", "3600",
	};
	uint64_t v;

	check_fail(parse_seconds_ms, "parse_seconds_ms", overflow,
	    NELEM(overflow), 0, UINT64_MAX, ERANGE);
	check_fail(parse_seconds_ms, "parse_seconds_ms", outside,
	    NELEM(outside), 1000, 60000, ERANGE);
	/* Too many decimals is malformed, even when it overflows too. */
	v = SENTINEL;
	errno = 0;
	ck_assert_int_eq(parse_seconds_ms("99999999999999999999.1234", 0,
	    UINT64_MAX, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(v == SENTINEL);
	ck_assert_int_eq(parse_seconds_ms("1", 1000, 60000, &v), 0);
	ck_assert_uint_eq(v, 1000);
	ck_assert_int_eq(parse_seconds_ms("1.000", 1000, 60000, &v), 0);
	ck_assert_uint_eq(v, 1000);
	ck_assert_int_eq(parse_seconds_ms("60", 1000, 60000, &v), 0);
	ck_assert_uint_eq(v, 60000);
	ck_assert_int_eq(parse_seconds_ms("0.5", 500, 500, &v), 0);
	ck_assert_uint_eq(v, 500);
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("parse");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_parse_uint_valid);
	tcase_add_test(tc, test_parse_size_valid);
	tcase_add_test(tc, test_parse_seconds_valid);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_parse_uint_malformed);
	tcase_add_test(tc, test_parse_uint_range);
	tcase_add_test(tc, test_parse_size_malformed);
	tcase_add_test(tc, test_parse_size_range);
	tcase_add_test(tc, test_parse_seconds_malformed);
	tcase_add_test(tc, test_parse_seconds_range);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(parse_suite());
}
