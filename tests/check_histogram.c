/*
 * check_histogram.c - unit tests for msgbench's latency histogram
 * (src/histogram.h), which is linked in from its source: it is not part
 * of libutil.
 *
 * "Core": the layout the header promises, empty, exact, single-value,
 * uniform and merged histograms.  "Limits": the relative error at every
 * magnitude and bucket edge, and the extremes 0, 2^63 and UINT64_MAX.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "testutil.h"

static struct histogram *hist_new(void);
static void	check_rel_error(uint64_t, uint64_t);
static Suite	*histogram_suite(void);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

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
		v = tn_xorshift(&seed) >> shift;
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
		v = tn_xorshift(&seed) % 10000000 + 500;
		histogram_record(a, v);
		histogram_record(both, v);
		v = tn_xorshift(&seed) % 1000;
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

static Suite *
histogram_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("histogram");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_hist_header);
	tcase_add_test(tc, test_hist_empty);
	tcase_add_test(tc, test_hist_small_exact);
	tcase_add_test(tc, test_hist_single);
	tcase_add_test(tc, test_hist_uniform);
	tcase_add_test(tc, test_hist_merge);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_hist_rel_error);
	tcase_add_test(tc, test_hist_max_value);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(histogram_suite());
}
