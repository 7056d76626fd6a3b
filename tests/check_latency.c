/*
 * check_latency.c - msgbench's latency figures, as units: the histogram
 * over the latencies an open-loop run can see (1 us to beyond 100 s, in
 * ns), and the HdrHistogram percentile file it writes for --percentiles.
 */
#include <config.h>

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"

#define NS_PER_US	UINT64_C(1000)
#define NS_PER_S	UINT64_C(1000000000)

struct hgrm_line {
	double		value;
	double		pct;
	unsigned long long total;
	double		inv;
	int		fields;
};

static struct histogram	*hist_alloc(void);
static char		*write_hgrm(const struct histogram *, size_t *);
static size_t		 parse_hgrm(char *, struct hgrm_line *, size_t,
			    double *, unsigned long long *);

/* struct histogram is ~58 KiB: on the heap, not the test's stack. */
static struct histogram *
hist_alloc(void)
{
	struct histogram *h;

	h = calloc(1, sizeof(*h));
	ck_assert_ptr_nonnull(h);
	histogram_init(h);
	return h;
}

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
	struct histogram *h = hist_alloc();
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
	struct histogram *h = hist_alloc();
	uint64_t	 i, n = 1000000, want, got;
	size_t		 k;

	/* The i-th of n values is i * 100 us: 100 us up to 100 s. */
	for (i = 1; i <= n; i++)
		histogram_record(h, i * 100 * NS_PER_US);
	ck_assert_uint_eq(h->max, 100 * NS_PER_S);
	for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
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
	struct histogram *h = hist_alloc();
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

/* No frames: header and footer, no data line, a count of 0. */
START_TEST(test_latency_hgrm_empty)
{
	struct histogram *h = hist_alloc();
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
	free(h);
}
END_TEST

/* One value: a line at 0% and the last at 100%, both that value. */
START_TEST(test_latency_hgrm_single)
{
	struct histogram *h = hist_alloc();
	struct hgrm_line lines[4];
	unsigned long long count = 0;
	double		 max = 0;
	char		*text;
	size_t		 len;

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
latency_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("latency");
	tc = tcase_create("histogram");
	tcase_add_test(tc, test_latency_range_error);
	tcase_add_test(tc, test_latency_tail_quantiles);
	suite_add_tcase(s, tc);
	tc = tcase_create("percentile file");
	tcase_add_test(tc, test_latency_hgrm_layout);
	tcase_add_test(tc, test_latency_hgrm_empty);
	tcase_add_test(tc, test_latency_hgrm_single);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 nfailed;

	sr = srunner_create(latency_suite());
	srunner_run_all(sr, CK_ENV);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
