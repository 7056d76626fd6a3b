/*
 * log.h - the daemon's logging, after OpenBSD's log.c.
 *
 * Lines go to standard error (the default) or to syslog(3).  When standard
 * error is systemd's journal (JOURNAL_STREAM names it), each line starts
 * with its syslog priority as "<N>" (sd-daemon(3)) instead of our time
 * stamp and name, so the journal records the level and adds the rest.  Each call emits exactly one line with one write(2), so
 * lines from different threads never interleave; the calls are thread-safe
 * and keep errno intact.  Log lines never carry payload bytes.
 *
 * Levels, lowest verbosity first:
 *   log_error  always shown, even with --quiet
 *   log_warn*  shown unless --quiet
 *   log_info   start-up, shutdown and per-connection errors; shown unless --quiet
 *   log_debug  per-connection detail, shown with --verbose
 * log_warn appends ": " and errno's text; log_warnx does not; log_warnc and
 * log_infoc append the text of the error number they are given (for
 * pthread calls and saved errors, which do not set errno).  The text comes
 * from errstr.h, never from strerror(3), so any thread may log.
 * fatal/fatalx log at error level and exit with the given status.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#if defined(__GNUC__)
#define LOG_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define LOG_NORETURN		__attribute__((noreturn))
#else
#define LOG_PRINTF(f, a)
#define LOG_NORETURN
#endif

enum log_verbosity {
	LOG_QUIET = -1,		/* errors only */
	LOG_NORMAL = 0,		/* errors, warnings, info */
	LOG_VERBOSE = 1		/* and debug */
};

/*
 * (Re)configure: ident is the program name in each line; use_syslog sends
 * lines to syslog(3) with facility LOG_DAEMON instead of stderr.  Call
 * before threads start; may be called again (e.g. after daemonizing).
 */
void	log_init(const char *ident, int use_syslog, int verbosity);
void	log_set_verbosity(int verbosity);
int	log_get_verbosity(void);

void	log_error(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_warnc(int err, const char *fmt, ...) LOG_PRINTF(2, 3);
void	log_infoc(int err, const char *fmt, ...) LOG_PRINTF(2, 3);
void	log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void	fatal(int status, const char *fmt, ...) LOG_PRINTF(2, 3) LOG_NORETURN;
void	fatalx(int status, const char *fmt, ...) LOG_PRINTF(2, 3) LOG_NORETURN;

#endif /* LOG_H */
