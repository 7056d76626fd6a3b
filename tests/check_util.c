/*
 * check_util.c - unit tests for libutil: parse, histogram and netutil.
 *
 * Network tests use only 127.0.0.1 with kernel-chosen ports, and every wait
 * is bounded (poll timeouts, SO_RCVTIMEO), so a broken implementation fails
 * a test instead of hanging the suite.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "histogram.h"
#include "netutil.h"
#include "parse.h"

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
static struct histogram *hist_new(void);
static void	check_rel_error(uint64_t, uint64_t);
static uint64_t	xorshift64(uint64_t *);
static int	listen_loopback(int, int *);
static int64_t	mono_ms(void);
static Suite	*util_suite(void);

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

/* ---- histogram ----------------------------------------------------- */

/* struct histogram is ~58 KiB: keep it off the test's stack. */
static struct histogram *
hist_new(void)
{
	struct histogram *h;

	h = malloc(sizeof(*h));
	ck_assert_ptr_nonnull(h);
	/* Garbage first, so a histogram_init() that misses a field shows. */
	memset(h, 0xa5, sizeof(*h));
	histogram_init(h);
	return h;
}

/* got must be at or above want and less than 1/2^SUB_BITS away from it. */
static void
check_rel_error(uint64_t want, uint64_t got)
{
	ck_assert_msg(got >= want, "quantile %llu below the true value %llu",
	    (unsigned long long)got, (unsigned long long)want);
	/* (got - want) < 2^56 here, so the shift cannot overflow. */
	ck_assert_msg(((got - want) << HISTOGRAM_SUB_BITS) < want ||
	    got == want, "quantile %llu too far from the true value %llu",
	    (unsigned long long)got, (unsigned long long)want);
}

static uint64_t
xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

START_TEST(test_hist_header)
{
	/* Bit 63 must land in the last bucket: UINT64_MAX needs a slot. */
	ck_assert_uint_eq(HISTOGRAM_SUB_COUNT, 1u << HISTOGRAM_SUB_BITS);
	ck_assert_uint_eq(HISTOGRAM_BUCKETS, 64 - HISTOGRAM_SUB_BITS + 1);
	ck_assert_uint_eq(HISTOGRAM_SLOTS,
	    HISTOGRAM_BUCKETS * HISTOGRAM_SUB_COUNT);
}
END_TEST

START_TEST(test_hist_empty)
{
	struct histogram *h = hist_new();

	ck_assert_uint_eq(h->count, 0);
	ck_assert_uint_eq(histogram_quantile(h, 0.0), 0);
	ck_assert_uint_eq(histogram_quantile(h, 0.5), 0);
	ck_assert_uint_eq(histogram_quantile(h, 0.99), 0);
	ck_assert_uint_eq(histogram_quantile(h, 1.0), 0);
	ck_assert(histogram_mean(h) == 0.0);
	free(h);
}
END_TEST

START_TEST(test_hist_small_exact)
{
	struct histogram *h = hist_new();
	uint64_t v;

	/* Below 2 * SUB_COUNT every slot is one value wide: exact. */
	for (v = 0; v < 2 * HISTOGRAM_SUB_COUNT; v++)
		histogram_record(h, v);
	ck_assert_uint_eq(h->count, 2 * HISTOGRAM_SUB_COUNT);
	ck_assert_uint_eq(h->min, 0);
	ck_assert_uint_eq(h->max, 2 * HISTOGRAM_SUB_COUNT - 1);
	for (v = 0; v < 2 * HISTOGRAM_SUB_COUNT; v++)
		ck_assert_uint_eq(h->slots[v], 1);
	/* rank k + 1 of 256 is exactly value k (powers of two: exact q). */
	for (v = 0; v < 2 * HISTOGRAM_SUB_COUNT; v++)
		ck_assert_uint_eq(histogram_quantile(h,
		    (double)(v + 1) / (2.0 * HISTOGRAM_SUB_COUNT)), v);
	ck_assert_uint_eq(histogram_quantile(h, 0.0), 0);
	ck_assert_uint_eq(histogram_quantile(h, 1.0), 255);
	ck_assert(histogram_mean(h) == 127.5);
	free(h);
}
END_TEST

START_TEST(test_hist_single)
{
	static const uint64_t vals[] = {
		0, 1, 7, 127, 128, 129, 255, 256, 257, 1000, 65535, 1000000,
		UINT64_C(1) << 32, (UINT64_C(1) << 63) - 1, UINT64_C(1) << 63,
		UINT64_MAX - 1, UINT64_MAX,
	};
	struct histogram *h;
	size_t i;

	/* One value: every quantile is that value (clamped to min/max). */
	for (i = 0; i < NELEM(vals); i++) {
		h = hist_new();
		histogram_record(h, vals[i]);
		ck_assert_uint_eq(h->count, 1);
		ck_assert_uint_eq(h->min, vals[i]);
		ck_assert_uint_eq(h->max, vals[i]);
		ck_assert_uint_eq(histogram_quantile(h, 0.0), vals[i]);
		ck_assert_uint_eq(histogram_quantile(h, 0.001), vals[i]);
		ck_assert_uint_eq(histogram_quantile(h, 0.5), vals[i]);
		ck_assert_uint_eq(histogram_quantile(h, 0.999), vals[i]);
		ck_assert_uint_eq(histogram_quantile(h, 1.0), vals[i]);
		ck_assert(histogram_mean(h) == (double)vals[i]);
		free(h);
	}
}
END_TEST

START_TEST(test_hist_uniform)
{
	static const double qs[] = {
		0.000001, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99,
		0.999, 0.9999, 0.999999,
	};
	const uint64_t n = 1000000;
	struct histogram *h = hist_new();
	uint64_t v, want, got;
	size_t i;

	for (v = 1; v <= n; v++)
		histogram_record(h, v);
	ck_assert_uint_eq(h->count, n);
	ck_assert_uint_eq(h->min, 1);
	ck_assert_uint_eq(h->max, n);
	/* Sum 500000500000 is exact in a double. */
	ck_assert(histogram_mean(h) == 500000.5);
	ck_assert_uint_eq(histogram_quantile(h, 0.0), 1);
	ck_assert_uint_eq(histogram_quantile(h, 1.0), n);
	for (i = 0; i < NELEM(qs); i++) {
		/* The true q-quantile of 1..n is ceil(q * n). */
		want = (uint64_t)(qs[i] * (double)n);
		if ((double)want < qs[i] * (double)n)
			want++;
		got = histogram_quantile(h, qs[i]);
		ck_assert_msg(got >= want && (double)(got - want) <=
		    0.01 * (double)want,
		    "q=%g: got %llu, true %llu", qs[i],
		    (unsigned long long)got, (unsigned long long)want);
		/* And the tighter bound the header promises. */
		check_rel_error(want, got);
	}
	free(h);
}
END_TEST

START_TEST(test_hist_rel_error)
{
	struct histogram *h;
	uint64_t seed = UINT64_C(0x9e3779b97f4a7c15), v;
	int i, shift;

	/*
	 * Values of every magnitude between 0 and UINT64_MAX: with those two
	 * extremes also recorded the median is v's slot edge, unclamped.
	 */
	h = hist_new();
	/* 40 per magnitude: quantile() scans every slot, keep it cheap. */
	for (i = 0; i < 64 * 40; i++) {
		shift = i % 64;
		v = xorshift64(&seed) >> shift;
		if (v == 0 || v == UINT64_MAX)
			continue;
		histogram_init(h);
		histogram_record(h, 0);
		histogram_record(h, v);
		histogram_record(h, UINT64_MAX);
		check_rel_error(v, histogram_quantile(h, 0.5));
		ck_assert_uint_eq(histogram_quantile(h, 0.3), 0);
		ck_assert_uint_eq(histogram_quantile(h, 0.7), UINT64_MAX);
	}
	/* Bucket edges: 2^k - 1, 2^k and 2^k + 1 for every k. */
	for (shift = 1; shift < 64; shift++) {
		for (i = -1; i <= 1; i++) {
			v = (UINT64_C(1) << shift) + (uint64_t)(int64_t)i;
			histogram_init(h);
			histogram_record(h, 0);
			histogram_record(h, v);
			histogram_record(h, UINT64_MAX);
			check_rel_error(v, histogram_quantile(h, 0.5));
		}
	}
	free(h);
}
END_TEST

START_TEST(test_hist_merge)
{
	struct histogram *a, *b, *both, *empty;
	uint64_t seed = 12345, v;
	int i;

	a = hist_new();
	b = hist_new();
	both = hist_new();
	empty = hist_new();
	/* Integer values with small sums: the double sums stay exact. */
	for (i = 0; i < 5000; i++) {
		v = xorshift64(&seed) % 10000000 + 500;
		histogram_record(a, v);
		histogram_record(both, v);
		v = xorshift64(&seed) % 1000;
		histogram_record(b, v);
		histogram_record(both, v);
	}
	histogram_merge(a, b);
	ck_assert_uint_eq(a->count, both->count);
	ck_assert_uint_eq(a->min, both->min);
	ck_assert_uint_eq(a->max, both->max);
	ck_assert(a->sum == both->sum);
	ck_assert(memcmp(a->slots, both->slots, sizeof(a->slots)) == 0);
	ck_assert_uint_eq(histogram_quantile(a, 0.5),
	    histogram_quantile(both, 0.5));
	ck_assert_uint_eq(histogram_quantile(a, 0.99),
	    histogram_quantile(both, 0.99));

	/* Merging an empty histogram changes nothing. */
	histogram_merge(a, empty);
	ck_assert(memcmp(a, both, sizeof(*a)) == 0);

	/* Into an empty one: a copy, and min is not stuck at 0. */
	histogram_merge(empty, b);
	ck_assert(memcmp(empty, b, sizeof(*b)) == 0);
	histogram_init(empty);
	histogram_init(b);
	histogram_record(b, 777);
	histogram_merge(empty, b);
	ck_assert_uint_eq(empty->min, 777);
	ck_assert_uint_eq(empty->max, 777);
	ck_assert_uint_eq(histogram_quantile(empty, 0.5), 777);
	free(a);
	free(b);
	free(both);
	free(empty);
}
END_TEST

START_TEST(test_hist_max_value)
{
	struct histogram *h = hist_new();

	histogram_record(h, UINT64_MAX);
	/* The very last slot: nothing wrapped or ran past the array. */
	ck_assert_uint_eq(h->slots[HISTOGRAM_SLOTS - 1], 1);
	ck_assert_uint_eq(histogram_quantile(h, 0.5), UINT64_MAX);
	histogram_record(h, 0);
	ck_assert_uint_eq(h->slots[0], 1);
	ck_assert_uint_eq(h->min, 0);
	ck_assert_uint_eq(h->max, UINT64_MAX);
	ck_assert_uint_eq(histogram_quantile(h, 0.5), 0);
	ck_assert_uint_eq(histogram_quantile(h, 0.51), UINT64_MAX);
	ck_assert_uint_eq(histogram_quantile(h, 1.0), UINT64_MAX);
	/* 2^63 opens the last bucket. */
	histogram_record(h, UINT64_C(1) << 63);
	ck_assert_uint_eq(h->slots[HISTOGRAM_SLOTS - HISTOGRAM_SUB_COUNT], 1);
	/* The upper edge of 2^63's slot, 2^63 + 2^56 - 1. */
	ck_assert_uint_eq(histogram_quantile(h, 0.6),
	    (UINT64_C(1) << 63) + (UINT64_C(1) << 56) - 1);
	/* Out-of-range and NaN quantiles clamp instead of misbehaving. */
	ck_assert_uint_eq(histogram_quantile(h, -1.0), 0);
	ck_assert_uint_eq(histogram_quantile(h, 2.0), UINT64_MAX);
	ck_assert_uint_eq(histogram_quantile(h, NAN), 0);
	ck_assert_uint_eq(histogram_quantile(h, INFINITY), UINT64_MAX);
	free(h);
}
END_TEST

/* ---- netutil ------------------------------------------------------- */

/* A TCP listener on 127.0.0.1 with a kernel-chosen port. */
static int
listen_loopback(int backlog, int *port)
{
	struct sockaddr_in sin;
	socklen_t len;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	len = sizeof(sin);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	ck_assert_int_gt(*port, 0);
	return fd;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_net_format_ipv4)
{
	struct sockaddr_in sin;
	char buf[NETUTIL_ADDRSTRLEN];
	const char *s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(8080);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr), 1);
	s = netutil_format_addr((struct sockaddr *)&sin, sizeof(sin), buf,
	    sizeof(buf));
	ck_assert_ptr_eq(s, buf);
	ck_assert_str_eq(s, "127.0.0.1:8080");

	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	sin.sin_port = 0;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin,
	    sizeof(sin), buf, sizeof(buf)), "0.0.0.0:0");

	ck_assert_int_eq(inet_pton(AF_INET, "255.255.255.255",
	    &sin.sin_addr), 1);
	sin.sin_port = htons(65535);
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin,
	    sizeof(sin), buf, sizeof(buf)), "255.255.255.255:65535");

	/* A truncated result is still NUL-terminated within buflen. */
	memset(buf, 'x', sizeof(buf));
	s = netutil_format_addr((struct sockaddr *)&sin, sizeof(sin), buf, 5);
	ck_assert_ptr_eq(s, buf);
	ck_assert_uint_eq(strlen(buf), 4);
	ck_assert_int_eq(buf[5], 'x');
}
END_TEST

START_TEST(test_net_format_ipv6)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
	char buf[NETUTIL_ADDRSTRLEN];

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	sin6.sin6_addr = in6addr_loopback;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), "[::1]:443");

	sin6.sin6_addr = in6addr_any;
	sin6.sin6_port = 0;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), "[::]:0");

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1:2",
	    &sin6.sin6_addr), 1);
	sin6.sin6_port = htons(65535);
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), "[2001:db8::1:2]:65535");

	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:10.0.0.1",
	    &sin6.sin6_addr), 1);
	sin6.sin6_port = htons(1);
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), "[::ffff:10.0.0.1]:1");

	/* The length accept() reports for a sockaddr_storage works too. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &sin6, sizeof(sin6));
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&ss,
	    sizeof(ss), buf, sizeof(buf)), "[::ffff:10.0.0.1]:1");
}
END_TEST

START_TEST(test_net_format_unknown)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	char buf[NETUTIL_ADDRSTRLEN];

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sun,
	    sizeof(sun), buf, sizeof(buf)), "?");

	/* A length too short for the family must not be read past. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin,
	    sizeof(sin) - 1, buf, sizeof(buf)), "?");
	ck_assert_str_eq(netutil_format_addr(NULL, 0, buf, sizeof(buf)), "?");
}
END_TEST

START_TEST(test_net_connect_ok)
{
	static const int timeouts[] = { 2000, 0 };
	static const char *const hosts[] = { "127.0.0.1", "localhost" };
	struct sockaddr_storage local, peer;
	socklen_t llen, plen;
	char port[16], err[256], c;
	size_t i, j;
	int lfd, fd, afd, lport, one, flags;
	socklen_t olen;

	lfd = listen_loopback(16, &lport);
	(void)snprintf(port, sizeof(port), "%d", lport);
	for (i = 0; i < NELEM(hosts); i++) {
		for (j = 0; j < NELEM(timeouts); j++) {
			err[0] = '\0';
			/*
			 * "localhost" may resolve to ::1 first, which nobody
			 * listens on: netutil_connect must move on.
			 */
			fd = netutil_connect(hosts[i], port, timeouts[j], err,
			    sizeof(err));
			ck_assert_msg(fd >= 0, "connect %s port %s: %s",
			    hosts[i], port, err);

			/* Blocking, close-on-exec, TCP_NODELAY. */
			flags = fcntl(fd, F_GETFL);
			ck_assert_int_ne(flags, -1);
			ck_assert_int_eq(flags & O_NONBLOCK, 0);
			flags = fcntl(fd, F_GETFD);
			ck_assert_int_ne(flags, -1);
			ck_assert_int_ne(flags & FD_CLOEXEC, 0);
			one = 0;
			olen = sizeof(one);
			ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP,
			    TCP_NODELAY, &one, &olen), 0);
			ck_assert_int_ne(one, 0);

			/* The listener's next connection is this one. */
			plen = sizeof(peer);
			afd = accept(lfd, (struct sockaddr *)&peer, &plen);
			ck_assert_int_ne(afd, -1);
			llen = sizeof(local);
			ck_assert_int_eq(getsockname(fd,
			    (struct sockaddr *)&local, &llen), 0);
			ck_assert_uint_eq(llen, plen);
			ck_assert(memcmp(&local, &peer, llen) == 0);

			/* And it carries data, both ways. */
			ck_assert_int_eq(netutil_set_timeouts(fd, 5000), 0);
			ck_assert_int_eq(netutil_set_timeouts(afd, 5000), 0);
			ck_assert_int_eq(write(fd, "x", 1), 1);
			ck_assert_int_eq(read(afd, &c, 1), 1);
			ck_assert_int_eq(c, 'x');
			ck_assert_int_eq(write(afd, "y", 1), 1);
			ck_assert_int_eq(read(fd, &c, 1), 1);
			ck_assert_int_eq(c, 'y');
			ck_assert_int_eq(close(afd), 0);
			ck_assert_int_eq(close(fd), 0);
		}
	}
	ck_assert_int_eq(close(lfd), 0);
}
END_TEST

START_TEST(test_net_connect_refused)
{
	char port[16], err[256], small[8];
	int lfd, lport, fd;

	/* A port that was just ours and is now closed: nothing listens. */
	lfd = listen_loopback(1, &lport);
	ck_assert_int_eq(close(lfd), 0);
	(void)snprintf(port, sizeof(port), "%d", lport);

	err[0] = '\0';
	errno = 0;
	fd = netutil_connect("127.0.0.1", port, 2000, err, sizeof(err));
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_msg(strstr(err, port) != NULL, "no port in \"%s\"", err);
	ck_assert_msg(strstr(err, "127.0.0.1") != NULL, "no host in \"%s\"",
	    err);
	ck_assert_msg(strstr(err, strerror(ECONNREFUSED)) != NULL,
	    "no reason in \"%s\"", err);

	/* Same with no timeout of our own. */
	fd = netutil_connect("127.0.0.1", port, 0, err, sizeof(err));
	ck_assert_int_eq(fd, -1);
	ck_assert_ptr_nonnull(strstr(err, port));

	/* A short buffer is truncated, not overrun; NULL is allowed. */
	memset(small, 'x', sizeof(small));
	fd = netutil_connect("127.0.0.1", port, 2000, small, 4);
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(strlen(small), 3);
	ck_assert_int_eq(small[4], 'x');
	ck_assert_int_eq(netutil_connect("127.0.0.1", port, 2000, NULL, 0),
	    -1);
}
END_TEST

START_TEST(test_net_connect_bad_service)
{
	char err[256];

	/* Resolution fails locally (no DNS involved): a service name. */
	err[0] = '\0';
	ck_assert_int_eq(netutil_connect("127.0.0.1", "no-such-service-zq",
	    1000, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no-such-service-zq") != NULL,
	    "no port in \"%s\"", err);
	ck_assert_msg(strstr(err, "127.0.0.1") != NULL, "no host in \"%s\"",
	    err);
}
END_TEST

START_TEST(test_net_connect_timeout)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	char port[16], err[256];
	int lfd, lport, fillers[16], nfill, stalled, fd, rc;
	int64_t t0, elapsed;

	/*
	 * A listener with backlog 0 that never accepts: once its accept
	 * queue is full the kernel drops further SYNs, so a connect neither
	 * succeeds nor fails and only our timeout can end it.
	 */
	lfd = listen_loopback(0, &lport);
	(void)snprintf(port, sizeof(port), "%d", lport);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)lport);
	stalled = 0;
	for (nfill = 0; nfill < (int)NELEM(fillers) && !stalled; nfill++) {
		fillers[nfill] = socket(AF_INET,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ck_assert_int_ne(fillers[nfill], -1);
		rc = connect(fillers[nfill], (struct sockaddr *)&sin,
		    sizeof(sin));
		ck_assert(rc == 0 || errno == EINPROGRESS);
		if (rc == 0)
			continue;
		pfd.fd = fillers[nfill];
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rc = poll(&pfd, 1, 150);
		ck_assert_int_ne(rc, -1);
		stalled = rc == 0;
	}
	ck_assert_msg(stalled, "could not fill the accept queue");

	t0 = mono_ms();
	errno = 0;
	fd = netutil_connect("127.0.0.1", port, 300, err, sizeof(err));
	elapsed = mono_ms() - t0;
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_msg(strstr(err, port) != NULL, "no port in \"%s\"", err);
	ck_assert_msg(strstr(err, strerror(ETIMEDOUT)) != NULL,
	    "no reason in \"%s\"", err);
	ck_assert_msg(elapsed >= 250 && elapsed < 3000,
	    "timed out after %lld ms, want about 300", (long long)elapsed);

	while (nfill > 0)
		ck_assert_int_eq(close(fillers[--nfill]), 0);
	ck_assert_int_eq(close(lfd), 0);
}
END_TEST

START_TEST(test_net_set_timeouts)
{
	struct timeval tv;
	socklen_t len;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);

	ck_assert_int_eq(netutil_set_timeouts(fd, 1500), 0);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len),
	    0);
	ck_assert_int_eq(tv.tv_sec, 1);
	/* The kernel may round to its clock tick: allow a few ms. */
	ck_assert(tv.tv_usec >= 490000 && tv.tv_usec <= 510000);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len),
	    0);
	ck_assert_int_eq(tv.tv_sec, 1);
	ck_assert(tv.tv_usec >= 490000 && tv.tv_usec <= 510000);

	/* 0 removes them again. */
	ck_assert_int_eq(netutil_set_timeouts(fd, 0), 0);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len),
	    0);
	ck_assert(tv.tv_sec == 0 && tv.tv_usec == 0);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len),
	    0);
	ck_assert(tv.tv_sec == 0 && tv.tv_usec == 0);

	errno = 0;
	ck_assert_int_eq(netutil_set_timeouts(fd, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(close(fd), 0);

	/* Not a socket. */
	ck_assert_int_eq(netutil_set_timeouts(-1, 100), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

static const struct {
	const char	*s, *host, *port;
} hostports_ok[] = {
	{ "127.0.0.1:9464", "127.0.0.1", "9464" },
	{ "localhost:0", "localhost", "0" },
	{ "[::1]:9464", "::1", "9464" },
	{ "[::]:65535", "::", "65535" },
	{ "[fe80::1%eth0]:80", "fe80::1%eth0", "80" },
	{ "0.0.0.0:09464", "0.0.0.0", "9464" },
	{ "metrics.example:1", "metrics.example", "1" },
};

START_TEST(test_net_split_hostport_ok)
{
	char host[NETUTIL_HOSTLEN], port[NETUTIL_PORTLEN], err[128];

	ck_assert_int_eq(netutil_split_hostport(hostports_ok[_i].s, host,
	    sizeof(host), port, sizeof(port), err, sizeof(err)), 0);
	ck_assert_str_eq(host, hostports_ok[_i].host);
	ck_assert_str_eq(port, hostports_ok[_i].port);
	/* Checking only, with nowhere to write. */
	ck_assert_int_eq(netutil_split_hostport(hostports_ok[_i].s, NULL, 0,
	    NULL, 0, NULL, 0), 0);
}
END_TEST

static const struct {
	const char	*s, *why;	/* why: a word the reason must hold */
} hostports_bad[] = {
	{ "", "HOST:PORT" },
	{ "9464", "HOST:PORT" },
	{ ":9464", "empty" },
	{ "127.0.0.1:", "port" },
	{ "127.0.0.1:http", "port" },
	{ "127.0.0.1:65536", "port" },
	{ "127.0.0.1:-1", "port" },
	{ "127.0.0.1:+80", "port" },
	{ "127.0.0.1:99999999999999999999999", "port" },
	{ "127.0.0.1:80:81", "brackets" },
	{ "::1:9464", "brackets" },
	{ "[::1]9464", "[ADDRESS]:PORT" },
	{ "[::1]", "[ADDRESS]:PORT" },
	{ "[::1:9464", "[ADDRESS]:PORT" },
	{ "[]:9464", "empty" },
	{ "[[::1]]:9464", "[ADDRESS]:PORT" },
	{ "[::1[]:9464", "bracket" },
	{ "a]b:9464", "bracket" },
	{ "local host:9464", "spaces" },
	{ "localhost:94\n64", "control" },
};

START_TEST(test_net_split_hostport_bad)
{
	char host[NETUTIL_HOSTLEN], port[NETUTIL_PORTLEN], err[128];

	strcpy(host, "untouched");
	strcpy(port, "none");
	ck_assert_int_eq(netutil_split_hostport(hostports_bad[_i].s, host,
	    sizeof(host), port, sizeof(port), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, hostports_bad[_i].why) != NULL,
	    "'%s': reason \"%s\" lacks \"%s\"", hostports_bad[_i].s, err,
	    hostports_bad[_i].why);
	ck_assert_str_eq(host, "untouched");
	ck_assert_str_eq(port, "none");
	ck_assert_int_eq(netutil_split_hostport(hostports_bad[_i].s, NULL, 0,
	    NULL, 0, NULL, 0), -1);
}
END_TEST

/* The buffers bound what is accepted, and so does NETUTIL_HOSTLEN. */
START_TEST(test_net_split_hostport_lengths)
{
	char s[NETUTIL_HOSTLEN + 16], host[NETUTIL_HOSTLEN], port[8];
	char err[128];

	memset(s, 'a', NETUTIL_HOSTLEN - 1);
	strcpy(s + NETUTIL_HOSTLEN - 1, ":80");
	ck_assert_int_eq(netutil_split_hostport(s, host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(host), NETUTIL_HOSTLEN - 1);
	ck_assert_int_eq(netutil_split_hostport(s, host, 10, port,
	    sizeof(port), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));

	memset(s, 'a', NETUTIL_HOSTLEN);
	strcpy(s + NETUTIL_HOSTLEN, ":80");
	ck_assert_int_eq(netutil_split_hostport(s, NULL, 0, NULL, 0, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));

	ck_assert_int_eq(netutil_split_hostport("h:65535", host,
	    sizeof(host), port, NETUTIL_PORTLEN - 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "room"));
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("util");

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_uint_valid);
	tcase_add_test(tc, test_parse_uint_malformed);
	tcase_add_test(tc, test_parse_uint_range);
	tcase_add_test(tc, test_parse_size_valid);
	tcase_add_test(tc, test_parse_size_malformed);
	tcase_add_test(tc, test_parse_size_range);
	tcase_add_test(tc, test_parse_seconds_valid);
	tcase_add_test(tc, test_parse_seconds_malformed);
	tcase_add_test(tc, test_parse_seconds_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("histogram");
	tcase_add_test(tc, test_hist_header);
	tcase_add_test(tc, test_hist_empty);
	tcase_add_test(tc, test_hist_small_exact);
	tcase_add_test(tc, test_hist_single);
	tcase_add_test(tc, test_hist_uniform);
	tcase_add_test(tc, test_hist_rel_error);
	tcase_add_test(tc, test_hist_merge);
	tcase_add_test(tc, test_hist_max_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("netutil");
	tcase_add_test(tc, test_net_format_ipv4);
	tcase_add_test(tc, test_net_format_ipv6);
	tcase_add_test(tc, test_net_format_unknown);
	tcase_add_test(tc, test_net_connect_ok);
	tcase_add_test(tc, test_net_connect_refused);
	tcase_add_test(tc, test_net_connect_bad_service);
	tcase_add_test(tc, test_net_connect_timeout);
	tcase_add_test(tc, test_net_set_timeouts);
	tcase_add_loop_test(tc, test_net_split_hostport_ok, 0,
	    (int)(sizeof(hostports_ok) / sizeof(hostports_ok[0])));
	tcase_add_loop_test(tc, test_net_split_hostport_bad, 0,
	    (int)(sizeof(hostports_bad) / sizeof(hostports_bad[0])));
	tcase_add_test(tc, test_net_split_hostport_lengths);
	/* Every wait inside is bounded well below this. */
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(util_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
