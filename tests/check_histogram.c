/*
 * check_histogram.c - unit tests for msgbench's latency histogram
 * (src/histogram.h), which is linked in from its source: it is not part
 * of libutil.
 *
 * "Core": the layout the header promises, empty, exact, single-value,
 * uniform and merged histograms.  "Limits": the relative error at every
 * magnitude and bucket edge, and the extremes 0, 2^63 and UINT64_MAX.
 * "Latency": the range an open-loop msgbench run behind a stalled server
 * sees (1 us to beyond 100 s, in ns).  "Percentile file": the HdrHistogram
 * text that msgbench --percentiles writes.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NS_PER_US	UINT64_C(1000)
#define NS_PER_S	UINT64_C(1000000000)

struct hgrm_line {
	double		value;
	double		pct;
	unsigned long long total;
	double		inv;
	int		fields;
};

static struct histogram *hist_new(void);
static void	check_rel_error(uint64_t, uint64_t);
static char	*write_hgrm(const struct histogram *, size_t *);
static size_t	 parse_hgrm(char *, struct hgrm_line *, size_t, double *,
		    unsigned long long *);
static Suite	*histogram_suite(void);

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

/* The percentile file of h (values in us) as a string; its length too. */
static char *
write_hgrm(const struct histogram *h, size_t *lenp)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(histogram_write_percentiles(h, fp, 1000.0, 5), 0);
	ck_assert_int_eq(fclose(fp), 0);
	*lenp = len;
	return buf;
}

/*
 * The data lines of a percentile file, checking its header; the footer's
 * max and total count go to *max and *count.  Returns the line count.
 */
static size_t
parse_hgrm(char *text, struct hgrm_line *out, size_t nout, double *max,
    unsigned long long *count)
{
	char	*line, *save = NULL;
	size_t	 n = 0;
	int	 footer = 0;

	line = strtok_r(text, "\n", &save);
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strcmp(line, "       Value     Percentile TotalCount "
	    "1/(1-Percentile)") == 0, "header: '%s'", line);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (line[0] == '#') {
			if (sscanf(line, "#[Max = %lf, Total count = %llu]",
			    max, count) == 2)
				footer = 1;
			continue;
		}
		ck_assert_uint_lt(n, nout);
		out[n].fields = sscanf(line, "%lf %lf %llu %lf", &out[n].value,
		    &out[n].pct, &out[n].total, &out[n].inv);
		ck_assert_msg(out[n].fields >= 3, "line '%s'", line);
		n++;
	}
	ck_assert_msg(footer, "no #[Max ...] footer line");
	return n;
}

/*
 * An open-loop run behind a stalled server records latencies up to the
 * stall and beyond: every value from 1 us to 1000 s, 1% apart, must come
 * back from its quantile within the 1% the histogram promises.
 */
START_TEST(test_latency_range_error)
{
	struct histogram *h = hist_new();
	uint64_t	 v, got;
	double		 x;
	int		 checked = 0;

	for (x = (double)NS_PER_US; x <= 1000.0 * (double)NS_PER_S;
	    x *= 1.01) {
		v = (uint64_t)x;
		histogram_init(h);
		/* The extremes keep the quantile from being clamped to v. */
		histogram_record(h, 0);
		histogram_record(h, v);
		histogram_record(h, UINT64_MAX);
		got = histogram_quantile(h, 0.5);
		ck_assert_msg(got >= v && (double)(got - v) < 0.01 * (double)v,
		    "%llu ns reported as %llu ns", (unsigned long long)v,
		    (unsigned long long)got);
		checked++;
	}
	/* 1 us .. 1000 s is 9 decades: 2083 steps of 1%. */
	ck_assert_int_gt(checked, 2000);
	free(h);
}
END_TEST

/* A distribution with a long tail: p50 and the nines, each within 1%. */
START_TEST(test_latency_tail_quantiles)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999 };
	struct histogram *h = hist_new();
	uint64_t	 i, n = 1000000, want, got;
	size_t		 k;

	/* The i-th of n values is i * 100 us: 100 us up to 100 s. */
	for (i = 1; i <= n; i++)
		histogram_record(h, i * 100 * NS_PER_US);
	ck_assert_uint_eq(h->max, 100 * NS_PER_S);
	for (k = 0; k < NELEM(qs); k++) {
		want = (uint64_t)llround(qs[k] * (double)n) * 100 * NS_PER_US;
		got = histogram_quantile(h, qs[k]);
		ck_assert_msg(got >= want && (double)(got - want) <
		    0.01 * (double)want, "q %g: %llu, want %llu", qs[k],
		    (unsigned long long)got, (unsigned long long)want);
	}
	free(h);
}
END_TEST

/*
 * The percentile file: HdrHistogram's header and columns, levels rising
 * to 1 with 1/(1-p) beside them, values that never fall and agree with
 * histogram_quantile(), the last line and the footer at the maximum and
 * the total count.
 */
START_TEST(test_latency_hgrm_layout)
{
	struct histogram *h = hist_new();
	struct hgrm_line lines[1000];
	unsigned long long count = 0;
	uint64_t	 i, n = 100000, seed = 88172645463325252ULL;
	double		 max = 0, q;
	char		*text;
	size_t		 len, nl, k;

	for (i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		/* Mostly 50-150 us, one in a thousand up to 1 s. */
		histogram_record(h, i % 1000 == 0 ? seed % NS_PER_S :
		    50 * NS_PER_US + seed % (100 * NS_PER_US));
	}
	text = write_hgrm(h, &len);
	ck_assert_uint_gt(len, 0);
	nl = parse_hgrm(text, lines, 1000, &max, &count);
	ck_assert_uint_gt(nl, 50);
	ck_assert_uint_eq(count, n);
	ck_assert(fabs(max - (double)h->max / 1000.0) < 0.001);
	ck_assert(lines[0].pct == 0.0);
	for (k = 0; k + 1 < nl; k++) {
		ck_assert_int_eq(lines[k].fields, 4);
		ck_assert(lines[k].pct < lines[k + 1].pct);
		ck_assert(lines[k].value <= lines[k + 1].value);
		ck_assert(lines[k].total <= lines[k + 1].total);
		ck_assert(fabs(lines[k].inv - 1.0 / (1.0 - lines[k].pct)) <
		    0.01 * lines[k].inv);
		/* Same value as the quantile at that level, to the ns. */
		q = lines[k].pct;
		ck_assert_msg(fabs(lines[k].value -
		    (double)histogram_quantile(h, q) / 1000.0) < 0.0015,
		    "at %.12f: %.3f us, the quantile says %.3f", q,
		    lines[k].value, (double)histogram_quantile(h, q) / 1000.0);
	}
	/* Levels reach deep into the tail: 99.99% and beyond. */
	ck_assert(lines[nl - 2].pct > 0.9999);
	ck_assert_int_eq(lines[nl - 1].fields, 3);
	ck_assert(lines[nl - 1].pct == 1.0);
	ck_assert_uint_eq(lines[nl - 1].total, n);
	ck_assert(fabs(lines[nl - 1].value - max) < 0.001);
	free(text);
	free(h);
}
END_TEST

/*
 * No frames: header and footer, no data line, a count of 0.  Then one
 * value: a line at 0% and the last at 100%, both that value.
 */
START_TEST(test_latency_hgrm_small)
{
	struct histogram *h = hist_new();
	struct hgrm_line lines[4];
	unsigned long long count = 1;
	double		 max = 1;
	char		*text;
	size_t		 len;

	text = write_hgrm(h, &len);
	ck_assert_uint_eq(parse_hgrm(text, lines, 4, &max, &count), 0);
	ck_assert_uint_eq(count, 0);
	ck_assert(max == 0.0);
	free(text);

	histogram_record(h, 1 * NS_PER_S);
	text = write_hgrm(h, &len);
	ck_assert_uint_eq(parse_hgrm(text, lines, 4, &max, &count), 2);
	ck_assert(lines[0].pct == 0.0 && lines[1].pct == 1.0);
	ck_assert(lines[0].value == 1e6 && lines[1].value == 1e6);
	ck_assert_uint_eq(count, 1);
	free(text);
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

	tc = tcase_create("Latency");
	tcase_add_test(tc, test_latency_range_error);
	tcase_add_test(tc, test_latency_tail_quantiles);
	suite_add_tcase(s, tc);

	tc = tcase_create("Percentile file");
	tcase_add_test(tc, test_latency_hgrm_layout);
	tcase_add_test(tc, test_latency_hgrm_small);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(histogram_suite());
}
