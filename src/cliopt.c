/*
 * cliopt.c - the command-line helpers every program shares (cliopt.h).
 *
 * getopt_long(3) finds the options; every value then goes through parse.h,
 * which takes the whole string or nothing, so "--threads 4x" or "--port -1"
 * is an error instead of a surprise.  The wording follows GNU getopt's own
 * messages, so a mistake reads the same here as in any other tool.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cliopt.h"
#include "parse.h"

#define KIB		(UINT64_C(1) << 10)
#define MIB		(UINT64_C(1) << 20)
#define GIB		(UINT64_C(1) << 30)

/* Room for "--" and the longest option name we would ever print. */
#define LABEL_MAX	64

/*
 * A kind of value: its parser, how its limits are written, and the words
 * of its messages, "must be WHAT between LO and HI[HOW]" for a malformed
 * value and "must be between LO and HI[UNIT]" for one out of range.
 */
struct kind {
	int		(*parse)(const char *, uint64_t, uint64_t, uint64_t *);
	const char	*(*fmt)(uint64_t, char *, size_t);
	const char	*what;
	const char	*unit;
	const char	*how;
};

static const char *label(const struct cliopt *c, int val, char *buf,
		    size_t len);
static void	vmessage(const struct cliopt *c, const char *arg,
		    const char *name, const char *fmt, va_list ap)
		    CLIOPT_PRINTF(4, 0);
static void	bad_option(const struct cliopt *c, int argc, char **argv);
static const char *fmt_uint(uint64_t v, char *buf, size_t len);
static int	get_value(const struct cliopt *c, const struct kind *k,
		    int val, const char *arg, uint64_t min, uint64_t max,
		    uint64_t *out);

static const struct kind kind_uint = {
	parse_uint, fmt_uint, "a whole number", "", ""
};
static const struct kind kind_size = {
	parse_size, cliopt_fmt_size, "a size", "",
	", in bytes or with a K, M or G suffix"
};
static const struct kind kind_seconds = {
	parse_seconds_ms, cliopt_fmt_ms, "a number of seconds", " seconds",
	", with at most 3 decimals"
};

const char *
cliopt_progname(const char *argv0, const char *fallback)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return fallback;
	slash = strrchr(argv0, '/');
	if (slash == NULL)
		return argv0;
	/* "dir/" has no name in it. */
	return slash[1] != '\0' ? slash + 1 : fallback;
}

const char *
cliopt_long_name(const struct option *longopts, int val)
{
	const struct option *o;

	for (o = longopts; o->name != NULL; o++) {
		if (o->val == val)
			return o->name;
	}
	return NULL;
}

/*
 * How messages name option val: "--threads", or "-x" for an option that
 * has only a short form.
 */
static const char *
label(const struct cliopt *c, int val, char *buf, size_t len)
{
	const char *name;

	name = cliopt_long_name(c->longopts, val);
	if (name != NULL)
		(void)snprintf(buf, len, "--%s", name);
	else if (val > 0 && val <= CHAR_MAX)
		(void)snprintf(buf, len, "-%c", val);
	else
		(void)snprintf(buf, len, "?");
	return buf;
}

/*
 * The one place that writes a message: the text, after "invalid value
 * 'ARG' for NAME: " when arg is not NULL, then the hint.
 */
static void
vmessage(const struct cliopt *c, const char *arg, const char *name,
    const char *fmt, va_list ap)
{
	fprintf(c->err, "%s: ", c->prog);
	if (arg != NULL)
		fprintf(c->err, "invalid value '%s' for %s: ", arg, name);
	vfprintf(c->err, fmt, ap);
	fprintf(c->err, "\nTry '%s --help' for more information.\n", c->prog);
}

void
cliopt_usage_error(const struct cliopt *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(c, NULL, NULL, fmt, ap);
	va_end(ap);
}

void
cliopt_bad_value(const struct cliopt *c, int val, const char *arg,
    const char *fmt, ...)
{
	char name[LABEL_MAX];
	va_list ap;

	(void)label(c, val, name, sizeof(name));
	va_start(ap, fmt);
	vmessage(c, arg, name, fmt, ap);
	va_end(ap);
}

void
cliopt_getopt_error(const struct cliopt *c, int ch, int argc, char **argv)
{
	char name[LABEL_MAX];

	if (ch == ':')
		cliopt_usage_error(c, "option '%s' requires an argument",
		    label(c, optopt, name, sizeof(name)));
	else
		bad_option(c, argc, argv);
}

/*
 * getopt returned '?'.  Its state tells the cases apart: an unknown short
 * option leaves its character in optopt; a long-option error has already
 * advanced optind past the word, and sets optopt to the option's value
 * only when an option without argument was given one ("--daemon=1").
 */
static void
bad_option(const struct cliopt *c, int argc, char **argv)
{
	const struct option *o;
	const char *arg, *word;
	char name[LABEL_MAX];
	size_t len, matches = 0;
	int exact = 0;

	if (optopt != 0 && cliopt_long_name(c->longopts, optopt) == NULL) {
		cliopt_usage_error(c, "unrecognized option '-%c'", optopt);
		return;
	}
	if (optopt != 0) {
		cliopt_usage_error(c, "option '%s' doesn't allow an argument",
		    label(c, optopt, name, sizeof(name)));
		return;
	}
	arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
	/* An abbreviation can match several options ("--s"). */
	if (strncmp(arg, "--", 2) == 0) {
		word = arg + 2;
		len = strcspn(word, "=");
		for (o = c->longopts; o->name != NULL; o++) {
			if (len > 0 && strncmp(o->name, word, len) == 0) {
				matches++;
				if (o->name[len] == '\0')
					exact = 1;
			}
		}
		if (matches > 1 && !exact) {
			cliopt_usage_error(c, "option '--%.*s' is ambiguous",
			    (int)len, word);
			return;
		}
	}
	cliopt_usage_error(c, "unrecognized option '%s'", arg);
}

void
cliopt_extra_operand(const struct cliopt *c, const char *arg)
{
	cliopt_usage_error(c, "extra operand '%s'", arg);
}

/*
 * A value that did not parse is told what it must look like (EINVAL); one
 * outside [min, max] (ERANGE) needs only the range.
 */
static int
get_value(const struct cliopt *c, const struct kind *k, int val,
    const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char lo[CLIOPT_FMTLEN], hi[CLIOPT_FMTLEN];
	int err;

	if (k->parse(arg, min, max, out) == 0)
		return 0;
	err = errno;
	(void)k->fmt(min, lo, sizeof(lo));
	(void)k->fmt(max, hi, sizeof(hi));
	if (err == ERANGE)
		cliopt_bad_value(c, val, arg, "must be between %s and %s%s", lo,
		    hi, k->unit);
	else
		cliopt_bad_value(c, val, arg, "must be %s between %s and %s%s",
		    k->what, lo, hi, k->how);
	return -1;
}

int
cliopt_uint(const struct cliopt *c, int val, const char *arg, uint64_t min,
    uint64_t max, uint64_t *out)
{
	return get_value(c, &kind_uint, val, arg, min, max, out);
}

int
cliopt_size(const struct cliopt *c, int val, const char *arg, uint64_t min,
    uint64_t max, uint64_t *out)
{
	return get_value(c, &kind_size, val, arg, min, max, out);
}

int
cliopt_seconds(const struct cliopt *c, int val, const char *arg,
    uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
	return get_value(c, &kind_seconds, val, arg, min_ms, max_ms, out_ms);
}

int
cliopt_string(const struct cliopt *c, int val, const char *arg,
    const char **out)
{
	if (*arg == '\0') {
		cliopt_bad_value(c, val, arg, "must not be empty");
		return -1;
	}
	*out = arg;
	return 0;
}

static const char *
fmt_uint(uint64_t v, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* 262144 -> "256K": the units the user would have typed. */
const char *
cliopt_fmt_size(uint64_t v, char *buf, size_t len)
{
	if (v != 0 && v % GIB == 0)
		(void)snprintf(buf, len, "%" PRIu64 "G", v / GIB);
	else if (v != 0 && v % MIB == 0)
		(void)snprintf(buf, len, "%" PRIu64 "M", v / MIB);
	else if (v != 0 && v % KIB == 0)
		(void)snprintf(buf, len, "%" PRIu64 "K", v / KIB);
	else
		(void)snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* 1500 -> "1.5", 60000 -> "60", 1 -> "0.001". */
const char *
cliopt_fmt_ms(uint64_t ms, char *buf, size_t len)
{
	unsigned frac = (unsigned)(ms % 1000);
	int digits = 3;

	if (frac == 0) {
		(void)snprintf(buf, len, "%" PRIu64, ms / 1000);
		return buf;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	(void)snprintf(buf, len, "%" PRIu64 ".%0*u", ms / 1000, digits, frac);
	return buf;
}
