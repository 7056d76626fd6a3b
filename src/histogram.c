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

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "histogram.h"

static size_t	slot_index(uint64_t value);
static uint64_t	slot_upper(size_t idx);

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
	uint64_t rank, seen, v;
	double want;
	size_t i;

	if (h->count == 0)
		return 0;
	/* The extremes are known exactly; "!(q > 0)" also catches NaN. */
	if (!(q > 0.0))
		return h->min;
	if (q >= 1.0)
		return h->max;

	/*
	 * The rank-th smallest value, rank = ceil(q * count), at least 1.
	 * Compare in double before converting: a double at or above 2^64
	 * does not fit in uint64_t.
	 */
	want = q * (double)h->count;
	if (want >= (double)h->count)
		rank = h->count;
	else {
		rank = (uint64_t)want;
		if ((double)rank < want)
			rank++;
		if (rank == 0)
			rank = 1;
	}

	seen = 0;
	for (i = 0; i < HISTOGRAM_SLOTS; i++) {
		seen += h->slots[i];
		if (seen >= rank)
			break;
	}
	/* Counts add up to h->count >= rank, so the loop always breaks. */
	if (i == HISTOGRAM_SLOTS)
		return h->max;
	v = slot_upper(i);
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

double
histogram_mean(const struct histogram *h)
{
	if (h->count == 0)
		return 0.0;
	return h->sum / (double)h->count;
}
