/*
 * histogram.h - a latency histogram with bounded relative error.
 *
 * Log-linear buckets (the HdrHistogram idea): every 64-bit value is
 * recorded with a relative error below 1/(2^HISTOGRAM_SUB_BITS) (under 1%
 * with 7 bits).  Recording is O(1) and allocation-free after
 * histogram_init(); histograms of the same shape can be merged, so each
 * load-generator thread keeps its own and they are summed at the end.
 * Not thread-safe: one writer at a time.
 */
#ifndef HISTOGRAM_H
#define HISTOGRAM_H

#include <stdint.h>
#include <stdio.h>

#define HISTOGRAM_SUB_BITS	7
#define HISTOGRAM_SUB_COUNT	(1u << HISTOGRAM_SUB_BITS)
#define HISTOGRAM_BUCKETS	(64 - HISTOGRAM_SUB_BITS + 1)
#define HISTOGRAM_SLOTS		(HISTOGRAM_BUCKETS * HISTOGRAM_SUB_COUNT)

struct histogram {
	uint64_t	count;
	uint64_t	min;
	uint64_t	max;
	double		sum;
	uint64_t	slots[HISTOGRAM_SLOTS];
};

void		histogram_init(struct histogram *h);
void		histogram_record(struct histogram *h, uint64_t value);
void		histogram_merge(struct histogram *into, const struct histogram *from);
/*
 * The value at quantile q (0.0 .. 1.0): a value v such that at least
 * q * count recorded values are <= v, reported as the upper edge of its
 * slot clamped to [min, max].  0 when the histogram is empty.
 */
uint64_t	histogram_quantile(const struct histogram *h, double q);
double		histogram_mean(const struct histogram *h);
/* The standard deviation, every value taken at its slot's middle. */
double		histogram_stddev(const struct histogram *h);
/*
 * Write the distribution in HdrHistogram's percentile text format (what
 * .hgrm plotters read): the "Value Percentile TotalCount 1/(1-Percentile)"
 * header, a line per reporting percentile (ticks of them in each halving
 * of the distance to 100%, values as histogram_quantile() gives them,
 * divided by scale), the last line at percentile 1 with the maximum, and
 * the "#[Mean = ...]" footer.  An empty histogram gives the header and
 * footer only.  Returns 0, or -1 when fp reported a write error.
 */
int		histogram_write_percentiles(const struct histogram *h,
		    FILE *fp, double scale, unsigned int ticks);

#endif /* HISTOGRAM_H */
