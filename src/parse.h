/*
 * parse.h - strict parsing of command-line numbers, shared by every program.
 *
 * Each parser accepts the whole string or nothing: no sign where none is
 * meaningful, no trailing junk, no silent wrap-around.  They return 0 and
 * store the value, or -1 (errno EINVAL for a malformed string, ERANGE for a
 * value outside [min, max]) and leave *out untouched.
 */
#ifndef PARSE_H
#define PARSE_H

#include <stdint.h>

/* A decimal unsigned integer in [min, max]. */
int	parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A size: a decimal number with an optional binary suffix K, M or G (also
 * KiB/MiB/GiB, either case; 1K = 1024), in [min, max] after scaling.
 */
int	parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A duration in seconds, optionally fractional ("1.5"), stored in
 * milliseconds, in [min_ms, max_ms].
 */
int	parse_seconds_ms(const char *s, uint64_t min_ms, uint64_t max_ms,
	    uint64_t *out_ms);

#endif /* PARSE_H */
