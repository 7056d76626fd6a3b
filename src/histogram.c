/*
 * histogram.c - a log-linear latency histogram (the HdrHistogram idea).
 *
 * Values below HISTOGRAM_SUB_COUNT are counted exactly in bucket 0.  A larger
 * value with its highest set bit at position b goes to bucket
 * b - HISTOGRAM_SUB_BITS + 1, and within it to the sub-slot given by the
 * HISTOGRAM_SUB_BITS bits just below the top bit.  A slot in bucket k >= 1 is
 * therefore 2^(k-1) wide and starts at or above 2^(k-1+SUB_BITS), so any
 * value in it is within 1/2^SUB_BITS of the slot's upper edge.  The largest
 * bit position, 63, lands in bucket 64 - SUB_BITS, which is why the header
 * declares 64 - SUB_BITS + 1 buckets: UINT64_MAX has a slot of its own.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "histogram.h"

static size_t	slot_index(uint64_t value);
static uint64_t	slot_upper(size_t idx);
static uint64_t	rank_of(const struct histogram *h, double q);
static uint64_t	slot_value(const struct histogram *h, size_t idx);
static double	next_level(double level, unsigned int ticks);

/* O(1): one count-leading-zeros, a shift and a mask, no loop over slots. */
static size_t
slot_index(uint64_t value)
{
	unsigned int top, shift;
	uint64_t sub;

	if (value < HISTOGRAM_SUB_COUNT)
		return (size_t)value;
	/* value is non-zero here, so __builtin_clzll() is defined. */
	top = 63u - (unsigned int)__builtin_clzll(value);
	shift = top - HISTOGRAM_SUB_BITS;
	sub = (value >> shift) & (HISTOGRAM_SUB_COUNT - 1);
	return (size_t)(shift + 1) * HISTOGRAM_SUB_COUNT + (size_t)sub;
}

/* The largest value that slot_index() maps to idx. */
static uint64_t
slot_upper(size_t idx)
{
	size_t bucket = idx / HISTOGRAM_SUB_COUNT;
	uint64_t sub = idx % HISTOGRAM_SUB_COUNT;
	unsigned int shift, top;
	uint64_t lower;

	if (bucket == 0)
		return sub;
	shift = (unsigned int)bucket - 1;
	top = shift + HISTOGRAM_SUB_BITS;
	lower = (UINT64_C(1) << top) | (sub << shift);
	/* Add width - 1, not width: the last slot ends at UINT64_MAX. */
	return lower + ((UINT64_C(1) << shift) - 1);
}

/*
 * The rank of the q-quantile among count values: ceil(q * count), at least
 * 1.  Compare in double before converting: a double at or above 2^64 does
 * not fit in uint64_t.
 */
static uint64_t
rank_of(const struct histogram *h, double q)
{
	double want = q * (double)h->count;
	uint64_t rank;

	if (want >= (double)h->count)
		return h->count;
	rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;
	return rank == 0 ? 1 : rank;
}

/* What a value in slot idx is reported as: its upper edge, within min..max. */
static uint64_t
slot_value(const struct histogram *h, size_t idx)
{
	uint64_t v = slot_upper(idx);

	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

void
histogram_init(struct histogram *h)
{
	/* min stays 0 until the first value: count == 0 marks "empty". */
	memset(h, 0, sizeof(*h));
}

void
histogram_record(struct histogram *h, uint64_t value)
{
	h->slots[slot_index(value)]++;
	if (h->count == 0 || value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
	h->count++;
	h->sum += (double)value;
}

void
histogram_merge(struct histogram *into, const struct histogram *from)
{
	size_t i;

	if (from->count == 0)
		return;
	/* An empty histogram's min of 0 is not a real value: do not keep it. */
	if (into->count == 0 || from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	into->count += from->count;
	into->sum += from->sum;
	for (i = 0; i < HISTOGRAM_SLOTS; i++)
		into->slots[i] += from->slots[i];
}

uint64_t
histogram_quantile(const struct histogram *h, double q)
{
	uint64_t rank, seen;
	size_t i;

	if (h->count == 0)
		return 0;
	/* The extremes are known exactly; "!(q > 0)" also catches NaN. */
	if (!(q > 0.0))
		return h->min;
	if (q >= 1.0)
		return h->max;

	rank = rank_of(h, q);
	seen = 0;
	for (i = 0; i < HISTOGRAM_SLOTS; i++) {
		seen += h->slots[i];
		if (seen >= rank)
			break;
	}
	/* Counts add up to h->count >= rank, so the loop always breaks. */
	if (i == HISTOGRAM_SLOTS)
		return h->max;
	return slot_value(h, i);
}

double
histogram_mean(const struct histogram *h)
{
	if (h->count == 0)
		return 0.0;
	return h->sum / (double)h->count;
}

double
histogram_stddev(const struct histogram *h)
{
	double mean, d, sum = 0.0, lo;
	size_t i;

	if (h->count == 0)
		return 0.0;
	mean = histogram_mean(h);
	for (i = 0; i < HISTOGRAM_SLOTS; i++) {
		if (h->slots[i] == 0)
			continue;
		lo = i == 0 ? 0.0 : (double)slot_upper(i - 1) + 1.0;
		d = (lo + (double)slot_upper(i)) / 2.0 - mean;
		sum += d * d * (double)h->slots[i];
	}
	return sqrt(sum / (double)h->count);
}

/*
 * HdrHistogram's reporting levels, in percent: 0, then steps that halve
 * with each halving of the distance to 100 (ticks steps per half), so the
 * tail gets as many lines as the body.  Dyadic steps add up exactly.
 */
static double
next_level(double level, unsigned int ticks)
{
	double half = 100.0 / 2.0, next;

	while (100.0 - level <= half && half > 1e-12)
		half /= 2.0;
	next = level + half / ticks;
	/* Out of precision: no level left below 100. */
	return next > level && next < 100.0 ? next : 100.0;
}

int
histogram_write_percentiles(const struct histogram *h, FILE *fp,
    double scale, unsigned int ticks)
{
	double level = 0.0, p;
	uint64_t cum = 0, v;
	size_t i;

	if (ticks == 0)
		ticks = 1;
	fprintf(fp, "%12s %14s %10s %14s\n\n", "Value", "Percentile",
	    "TotalCount", "1/(1-Percentile)");
	for (i = 0; i < HISTOGRAM_SLOTS && cum < h->count; i++) {
		if (h->slots[i] == 0)
			continue;
		cum += h->slots[i];
		/* Every level this slot reaches, by the quantile's rule. */
		while (level < 100.0 && cum >= rank_of(h, level / 100.0)) {
			p = level / 100.0;
			v = p > 0.0 ? slot_value(h, i) : h->min;
			fprintf(fp, "%12.3f %14.12f %10llu %14.2f\n",
			    (double)v / scale, p, (unsigned long long)cum,
			    1.0 / (1.0 - p));
			/* The last slot gets one line, then the maximum's. */
			if (cum == h->count)
				break;
			level = next_level(level, ticks);
		}
	}
	if (h->count > 0)
		fprintf(fp, "%12.3f %14.12f %10llu\n", (double)h->max / scale,
		    1.0, (unsigned long long)h->count);
	fprintf(fp, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n",
	    histogram_mean(h) / scale, histogram_stddev(h) / scale);
	fprintf(fp, "#[Max     = %12.3f, Total count    = %12llu]\n",
	    (double)h->max / scale, (unsigned long long)h->count);
	fprintf(fp, "#[Buckets = %12u, SubBuckets     = %12u]\n",
	    (unsigned int)HISTOGRAM_BUCKETS, (unsigned int)HISTOGRAM_SUB_COUNT);
	return ferror(fp) ? -1 : 0;
}
