/*
 * testutil.h - the Check half of the test helpers: tu_run_suite(), every
 * suite's main(), and (in libtestutil) what the suites that run the real
 * programs use to start and drive them (check_server, check_tools,
 * check_hostile), failing the running test itself.  What needs no Check is
 * in testnet.h, which this header includes.
 *
 * Rules every helper follows (and every test must too):
 *   - servers bind 127.0.0.1 with --port 0; the port is read from the log;
 *   - every wait is bounded; a helper that times out fails the test;
 *   - only processes started here are signalled, by PID; a started server
 *     gets PR_SET_PDEATHSIG(SIGKILL), so a test killed by Check's timeout
 *     never leaves a daemon behind;
 *   - files are written only in the current (build) directory.
 * Helpers fail the running test with ck_abort_msg() on any unexpected error,
 * so call them from the test's own thread only (Check cannot report a
 * failure from another thread in no-fork mode); threads a test starts use
 * msgframe.h and testnet.h directly and report back.  Call server_start() from the test's
 * own thread too: PR_SET_PDEATHSIG fires when the thread that forked exits.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <sys/types.h>

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "testnet.h"

struct server {
	pid_t	pid;
	int	port;
	char	logpath[256];	/* the server's stderr, in the build dir */
};

/*
 * Start $MSGSERVERD with "--bind 127.0.0.1 --port 0" followed by args
 * (a NULL-terminated list, may be NULL), stderr and stdout to a fresh log
 * file, and wait up to 10 s for its "listening on 127.0.0.1:PORT" line.
 */
void	server_start(struct server *s, const char *const *args);
/* Like server_start(), with an rlimit on open files applied to the child
 * before exec (0 = unchanged). */
void	server_start_nofile(struct server *s, const char *const *args,
	    unsigned long nofile);
/* How server_start_opts() sets up the child; server_opts_init() gives the
 * defaults server_start() uses. */
struct server_opts {
	unsigned long	 nofile;	/* RLIMIT_NOFILE, 0 = unchanged */
	int		 listen_fd;	/* put at 3 with LISTEN_PID, or -1 */
	const char *const *env;		/* more "NAME=value", NULL-ended */
	bool		 no_default_bind;	/* no "--bind 127.0.0.1
						   --port 0" first */
	bool		 wait_listening;	/* wait for the port (else
						   return at once, port 0) */
	bool		 journal;	/* JOURNAL_STREAM names its stderr */
};
void	server_opts_init(struct server_opts *o);
void	server_start_opts(struct server *s, const char *const *args,
	    const struct server_opts *o);

/*
 * Send sig (0 = none) and wait up to timeout_ms for the server to exit.
 * Returns its waitpid() status; on timeout kills it with SIGKILL, reaps it
 * and returns -1.  After a clean exit 0 the log file is removed (read it
 * before stopping); after anything else it is kept and printed to stderr.
 */
int	server_stop(struct server *s, int sig, int timeout_ms);
/* True when the process is still running.  Never reaps it (waitid with
 * WNOWAIT), so server_stop() still gets its status. */
bool	server_alive(struct server *s);
/* Wait up to timeout_ms for needle to appear in the log. */
bool	server_log_wait(struct server *s, const char *needle, int timeout_ms);
/* The whole log so far, NUL-terminated (free it). */
char	*server_log_read(struct server *s);
/* Count occurrences of needle in the log. */
int	server_log_count(struct server *s, const char *needle);
/* CPU time (user + system) the server has used, in ms, from /proc. */
long	server_cpu_ms(struct server *s);
/* Resident set size of the server in KiB, from /proc. */
long	server_rss_kib(struct server *s);

/*
 * Send SIGTERM and require a clean exit 0 within TU_STOP_TIMEOUT_MS:
 * generous, since on a loaded 2-core machine (sanitizers, parallel suites)
 * a clean stop can be starved for seconds; a hang still fails.
 */
#define TU_STOP_TIMEOUT_MS	15000
void	server_stop_clean(struct server *s);
/*
 * Send SIGUSR1 and return a copy of the stats line it produces, from
 * "stats:" to the end of the line (free it).
 */
char	*server_stats_line(struct server *s);
/* Open descriptors of the server, from /proc. */
int	server_fd_count(struct server *s);
/* "127.0.0.1:PORT" of our end of fd: how the server names us in its log. */
void	tu_local_addr(int fd, char *buf, size_t len);

/* tn_try_connect(port), failing the test if it cannot connect. */
int	tu_connect(int port);

/* Send one frame and check that the identical frame comes back. */
void	tu_echo_check(int fd, const void *payload, uint32_t len);

/*
 * Run argv (argv[0] is a path), feed it in[0..inlen) on stdin, capture its
 * stdout and stderr (each NUL-terminated; free them; stdout's length in
 * *outlen; out, outlen and err may be NULL), wait at most timeout_ms (then
 * SIGKILL and fail the test).  A child that exits without reading all its
 * input is fine: SIGPIPE is kept from the caller.
 * Returns the waitpid() status.
 */
int	tu_run(const char *const *argv, const void *in, size_t inlen,
	    char **out, size_t *outlen, char **err, int timeout_ms);

/* The path of a built program from the environment ($MSGSERVERD ...);
 * fails the test when unset. */
const char *tu_program(const char *envname);

/*
 * Every suite's main(): run s (CK_ENV: CK_VERBOSITY may change how much
 * is printed) and exit 0 only if no test failed.  Inline, so that unit
 * suites which link nothing but their module can use it.
 */
static inline int
tu_run_suite(Suite *s)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* TESTUTIL_H */
