/*
 * cliopt.h - what the command lines of msgserverd, msgclient and msgbench
 * share, so that the three speak alike.
 *
 * A program fills a struct cliopt (its name, its getopt_long(3) table and
 * the stream for messages) and hands it to the helpers below.  Every
 * message is one line, "PROG: what is wrong", that names an option by its
 * long form ("--threads", also when "-t" was typed) and quotes the value,
 * then the line "Try 'PROG --help' for more information.".  Nothing here
 * logs, exits or allocates: the caller decides what follows (the programs
 * exit with EX_USAGE, the unit tests look at the text).
 *
 * getopt_long must stay quiet and tell the mistakes apart: set opterr = 0
 * and start the optstring with ':', so that a missing argument comes back
 * as ':' and every other mistake as '?'; pass either straight on to
 * cliopt_getopt_error().  Options without a short form take values from
 * CLIOPT_LONG_ONLY up, above any character getopt can return.
 *
 * The value helpers parse with parse.h (the whole string or nothing): on
 * success they store the value and return 0; on failure they print the
 * message, leave *out untouched and return -1.
 */
#ifndef CLIOPT_H
#define CLIOPT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Where the clients look for a server unless told: msgserverd's own
 * default bind address and port (options.h takes them from here).  An
 * address, not "localhost", which may resolve to ::1 first.
 */
#define CLIOPT_DEFAULT_HOST	"127.0.0.1"
#define CLIOPT_DEFAULT_PORT	"8080"

/* The first getopt value of an option that has no short form. */
#define CLIOPT_LONG_ONLY	(CHAR_MAX + 1)

/* Room for anything cliopt_fmt_size() or cliopt_fmt_ms() writes. */
#define CLIOPT_FMTLEN		32

#if defined(__GNUC__)
#define CLIOPT_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define CLIOPT_PRINTF(f, a)
#endif

struct option;

struct cliopt {
	const char		*prog;		/* messages start with it */
	const struct option	*longopts;	/* ends with a NULL name */
	FILE			*err;		/* where messages go */
};

/*
 * The last component of argv0 ("/usr/bin/msgclient" -> "msgclient"), or
 * fallback when there is none (NULL, "" or a path ending in '/').  The
 * result points into argv0 or is fallback.
 */
const char	*cliopt_progname(const char *argv0, const char *fallback);

/* The long name (without "--") of the option whose value is val, or NULL. */
const char	*cliopt_long_name(const struct option *longopts, int val);

/* "PROG: <fmt...>" and the line pointing at --help. */
void		 cliopt_usage_error(const struct cliopt *c, const char *fmt,
		    ...) CLIOPT_PRINTF(2, 3);

/*
 * "PROG: invalid value 'ARG' for --NAME: <fmt...>" and the --help line:
 * for the checks a program makes itself ("must be batch or other").
 */
void		 cliopt_bad_value(const struct cliopt *c, int val,
		    const char *arg, const char *fmt, ...) CLIOPT_PRINTF(4, 5);

/*
 * Say what getopt_long's ':' or '?' (ch) meant, from getopt's own state
 * (optopt, optind), so call it at once:
 *   option '--NAME' requires an argument
 *   unrecognized option '-x'  /  unrecognized option '--foo'
 *   option '--NAME' doesn't allow an argument
 *   option '--s' is ambiguous
 */
void		 cliopt_getopt_error(const struct cliopt *c, int ch, int argc,
		    char **argv);

/* "PROG: extra operand 'ARG'": for programs that take no operand. */
void		 cliopt_extra_operand(const struct cliopt *c, const char *arg);

/*
 * The value arg of option val:
 *   uint     a decimal whole number in [min, max];
 *   size     bytes, or with a K, M or G suffix (powers of 1024);
 *   seconds  seconds with up to 3 decimals, stored in milliseconds;
 *   string   anything but empty (a name or path: "" is always a slip).
 * The messages give the range, as the user would write it (64K, 1.5).
 */
int		 cliopt_uint(const struct cliopt *c, int val, const char *arg,
		    uint64_t min, uint64_t max, uint64_t *out);
int		 cliopt_size(const struct cliopt *c, int val, const char *arg,
		    uint64_t min, uint64_t max, uint64_t *out);
int		 cliopt_seconds(const struct cliopt *c, int val,
		    const char *arg, uint64_t min_ms, uint64_t max_ms,
		    uint64_t *out_ms);
int		 cliopt_string(const struct cliopt *c, int val, const char *arg,
		    const char **out);

/*
 * For help texts and messages: a size in the largest unit that divides it
 * (262144 -> "256K", 1000 -> "1000"), milliseconds as seconds without
 * trailing zeros (1500 -> "1.5", 60000 -> "60").  They return buf.
 */
const char	*cliopt_fmt_size(uint64_t v, char *buf, size_t len);
const char	*cliopt_fmt_ms(uint64_t ms, char *buf, size_t len);

#endif /* CLIOPT_H */
