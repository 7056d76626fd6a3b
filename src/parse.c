/*
 * parse.c - strict parsing of command-line numbers.
 *
 * strtoull() alone is too forgiving for option values: it skips leading
 * whitespace, accepts a sign (and silently negates "-1" into a huge value)
 * and stops at the first junk character.  Every parser here therefore
 * insists the string start with a decimal digit and checks the end pointer
 * and errno itself.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include "parse.h"

/* Maximum number of fractional digits parse_seconds_ms() accepts. */
#define FRAC_DIGITS_MAX	3

static int	parse_digits(const char *s, uint64_t *out, const char **endp);
static int	size_multiplier(const char *suffix, uint64_t *mult);
static int	in_range(uint64_t v, uint64_t min, uint64_t max,
		    uint64_t *out);

/*
 * Parse the leading run of decimal digits of s.  On success *endp points
 * just past the digits.  A string that does not start with a digit is
 * malformed (this is what rejects "", "-1", "+1" and " 1").
 */
static int
parse_digits(const char *s, uint64_t *out, const char **endp)
{
	unsigned long long v;
	char *end;

	/* The cast: isdigit() on a negative char is undefined. */
	if (s == NULL || !isdigit((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE) {
		/*
		 * Overflow: still hand back the end pointer, because the
		 * caller reports a malformed tail (EINVAL) ahead of ERANGE.
		 */
		*endp = end;
		return -1;
	}
	if (errno != 0 || end == s) {
		errno = EINVAL;
		return -1;
	}
#if ULLONG_MAX > UINT64_MAX
	/* Only on a platform with a wider unsigned long long. */
	if (v > UINT64_MAX) {
		*endp = end;
		errno = ERANGE;
		return -1;
	}
#endif
	*out = (uint64_t)v;
	*endp = end;
	return 0;
}

/*
 * Map a size suffix to its multiplier.  Only the documented spellings are
 * accepted: a bare "B", "KB" or "K B" is rejected rather than guessed at,
 * because "KB" is ambiguous between 1000 and 1024.
 */
static int
size_multiplier(const char *suffix, uint64_t *mult)
{
	static const struct {
		const char	*name;
		uint64_t	 mult;
	} suffixes[] = {
		{ "",		1 },
		{ "k",		UINT64_C(1) << 10 },
		{ "kib",	UINT64_C(1) << 10 },
		{ "m",		UINT64_C(1) << 20 },
		{ "mib",	UINT64_C(1) << 20 },
		{ "g",		UINT64_C(1) << 30 },
		{ "gib",	UINT64_C(1) << 30 },
	};
	size_t i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (strcasecmp(suffix, suffixes[i].name) == 0) {
			*mult = suffixes[i].mult;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

static int
in_range(uint64_t v, uint64_t min, uint64_t max, uint64_t *out)
{
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end = NULL;
	uint64_t v = 0;
	int rc;

	rc = parse_digits(s, &v, &end);
	/* Trailing junk makes the string malformed, overflow or not. */
	if (end != NULL && *end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (rc == -1)
		return -1;
	return in_range(v, min, max, out);
}

int
parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end = NULL;
	uint64_t v = 0, mult;
	int rc;

	rc = parse_digits(s, &v, &end);
	if (end == NULL)
		return -1;	/* no digits at all: errno is EINVAL */
	if (size_multiplier(end, &mult) == -1)
		return -1;
	if (rc == -1)
		return -1;	/* the digits alone overflowed: ERANGE */
	/* Check before multiplying: the product must not wrap. */
	if (v > UINT64_MAX / mult) {
		errno = ERANGE;
		return -1;
	}
	return in_range(v * mult, min, max, out);
}

int
parse_seconds_ms(const char *s, uint64_t min_ms, uint64_t max_ms,
    uint64_t *out_ms)
{
	const char *end = NULL, *p;
	uint64_t secs = 0, frac = 0;
	int rc, ndigits;

	rc = parse_digits(s, &secs, &end);
	if (end == NULL)
		return -1;
	p = end;
	if (*p == '.') {
		/*
		 * At least one digit after the point ("1." is a typo, not a
		 * number) and at most three: finer than a millisecond would
		 * be silently truncated, so refuse it instead.
		 */
		p++;
		for (ndigits = 0; isdigit((unsigned char)*p); ndigits++, p++) {
			if (ndigits == FRAC_DIGITS_MAX) {
				errno = EINVAL;
				return -1;
			}
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
		if (ndigits == 0) {
			errno = EINVAL;
			return -1;
		}
		/* Scale "5" in "1.5" to 500 ms. */
		for (; ndigits < FRAC_DIGITS_MAX; ndigits++)
			frac *= 10;
	}
	if (*p != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (rc == -1)
		return -1;
	if (secs > (UINT64_MAX - frac) / 1000) {
		errno = ERANGE;
		return -1;
	}
	return in_range(secs * 1000 + frac, min_ms, max_ms, out_ms);
}
