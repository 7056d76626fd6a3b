/*
 * options.h - msgserverd's command line.
 *
 * options_parse() fills a struct options from argv with getopt_long and
 * strict number parsing (parse.h).  It neither logs nor exits, so it can be
 * unit-tested: messages go to the given streams and the caller decides.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cidr.h"
#include "cliopt.h"

#define OPT_DEFAULT_THREADS		16
#define OPT_MAX_THREADS			100000
/* Where the clients look by default, too: one definition in cliopt.h. */
#define OPT_DEFAULT_PORT		CLIOPT_DEFAULT_PORT
#define OPT_DEFAULT_BIND		CLIOPT_DEFAULT_HOST
#define OPT_DEFAULT_QUEUE		1024
#define OPT_DEFAULT_MAX_FRAME		(1024 * 1024)
#define OPT_DEFAULT_IDLE_TIMEOUT_MS	(60 * 1000)
#define OPT_DEFAULT_IO_TIMEOUT_MS	(10 * 1000)
#define OPT_DEFAULT_SHUTDOWN_TIMEOUT_MS	(5 * 1000)
#define OPT_DEFAULT_STACK_SIZE		(256 * 1024)
#define OPT_MIN_STACK_SIZE		(64 * 1024)
/*
 * The per-worker buffer.  512K: a 1 MiB frame then streams through in two
 * recv/send rounds instead of eight, which halved the server's CPU per byte
 * against 128K in bench/RESULTS.md; small frames touch only its first page.
 */
#define OPT_DEFAULT_BUFFER_SIZE		(512 * 1024)
#define OPT_MIN_BUFFER_SIZE		(4 * 1024)
/* Upper limits of the numeric options (the help text and man page show them). */
#define OPT_MAX_BINDS			16	/* --bind given this often */
#define OPT_MAX_QUEUE			1000000
#define OPT_MAX_FRAME			UINT32_MAX
#define OPT_MAX_STACK_SIZE		(1024UL * 1024 * 1024)
#define OPT_MAX_BUFFER_SIZE		(64UL * 1024 * 1024)
#define OPT_MAX_TIMEOUT_MS		(86400U * 1000)
/* --backlog defaults to SOMAXCONN from <sys/socket.h>. */

struct options {
	unsigned	threads;		/* -t: worker threads */
	char		port[8];		/* -p: decimal 0..65535 */
	const char	*binds[OPT_MAX_BINDS];	/* -b: addresses or host names */
	unsigned	nbinds;			/* how many (>= 1) */
	bool		binds_given;		/* -b seen: replaces the default */
	unsigned	queue;			/* -q: queued connections */
	int		backlog;		/* --backlog: listen(2) backlog */
	uint32_t	max_frame;		/* -m: largest payload, bytes */
	unsigned	idle_timeout_ms;	/* -i: 0 = never */
	unsigned	io_timeout_ms;		/* --io-timeout: 0 = never */
	bool		reject_when_full;	/* --reject-when-full */
	unsigned	shutdown_timeout_ms;	/* --shutdown-timeout */
	size_t		stack_size;		/* --stack-size */
	size_t		buffer_size;		/* --buffer-size */
	bool		batch_sched;		/* --scheduler batch (default) */
	const char	*user;			/* -u: NULL = keep privileges */
	bool		daemonize;		/* -d */
	const char	*pidfile;		/* --pidfile: NULL = none */
	int		verbosity;		/* enum log_verbosity */
	bool		use_syslog;		/* --syslog (implied by -d) */
	const char	*metrics;		/* --metrics HOST:PORT; NULL = off */
	bool		proxy_protocol;		/* --proxy-protocol */
	struct cidr_list proxy_from;		/* --proxy-from (repeatable) */
};

enum options_result {
	OPTIONS_RUN,		/* parsed: start the server */
	OPTIONS_EXIT_OK,	/* --help or --version was printed: exit 0 */
	OPTIONS_USAGE_ERROR	/* a message and the usage hint were printed: exit 64 */
};

void			options_defaults(struct options *opts);
/*
 * Parse argv into opts (which options_defaults() must have filled).
 * --help and --version print to out; errors print one line naming the option
 * and value, then "Try 'PROG --help'", to err.  Strings in opts point into
 * argv.  May be called more than once in a process (getopt is reset).
 */
enum options_result	options_parse(struct options *opts, int argc, char **argv,
			    FILE *out, FILE *err);
/* Print the full --help text. */
void			options_usage(FILE *out, const char *progname);

#endif /* OPTIONS_H */
