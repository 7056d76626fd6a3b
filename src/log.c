/*
 * log.c - the daemon's logging, after OpenBSD's log.c.
 *
 * Every call formats its whole line into a buffer on the caller's stack and
 * hands it to the kernel with one write(2) (or to syslog(3)), so lines from
 * different threads never interleave and no lock is needed.  The only state
 * shared between threads is the verbosity, an atomic, and the destination,
 * which log_init() sets before any thread starts.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errstr.h"
#include "log.h"
#include "msgframe.h"

/* One line, prefix and newline included; longer messages end in "...". */
/* vlog's err for "append no error text". */
#define NO_ERR		0
#define LOG_LINE_MAX	1024
#define LOG_IDENT_MAX	64
#define LOG_ELLIPSIS	"..."

static void	vlog(int prio, int err, const char *fmt, va_list ap)
		    LOG_PRINTF(3, 0);
static bool	append(char *buf, size_t size, size_t *off,
		    const char *fmt, ...) LOG_PRINTF(4, 5);
static bool	vappend(char *buf, size_t size, size_t *off,
		    const char *fmt, va_list ap) LOG_PRINTF(4, 0);
static void	sanitize(char *s, size_t len);
static const char *level_word(int prio);
static bool	stderr_is_journal(void);

/*
 * Written only by log_init(), before threads start (thread creation orders
 * it before every reader).  openlog(3) keeps a pointer to ident, so it must
 * be static storage.
 */
static char		log_ident[LOG_IDENT_MAX] = PACKAGE_NAME;
static atomic_bool	log_to_syslog;
/* stderr is the journal: "<N>" priority prefixes instead of our stamp. */
static atomic_bool	log_to_journal;
/* Read by every thread on every call: an atomic keeps TSan quiet and the
 * value exact when the main thread changes it. */
static atomic_int	log_verbosity = LOG_NORMAL;

void
log_init(const char *ident, int use_syslog, int verbosity)
{
	/* Re-init: close first, since openlog() holds log_ident's address. */
	if (atomic_load(&log_to_syslog))
		closelog();
	if (ident != NULL && *ident != '\0')
		(void)snprintf(log_ident, sizeof(log_ident), "%s", ident);
	if (use_syslog) {
		/* LOG_NDELAY: connect now, before a chroot or privdrop
		 * could make /dev/log unreachable. */
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
	atomic_store(&log_to_syslog, use_syslog != 0);
	atomic_store(&log_to_journal, !use_syslog && stderr_is_journal());
	log_set_verbosity(verbosity);
}

/*
 * JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected to our
 * stdout/stderr (systemd.exec(5)).  Only when it matches stderr itself is
 * the journal reading our lines: a redirected stderr, or a variable
 * inherited by a shell started from a service, must get plain lines.
 */
static bool
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || *env < '0' || *env > '9')
		return false;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_set_verbosity(int verbosity)
{
	atomic_store_explicit(&log_verbosity, verbosity, memory_order_relaxed);
}

int
log_get_verbosity(void)
{
	return atomic_load_explicit(&log_verbosity, memory_order_relaxed);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, NO_ERR, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_get_verbosity() < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, errno, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (log_get_verbosity() < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, NO_ERR, fmt, ap);
	va_end(ap);
}

void
log_warnc(int err, const char *fmt, ...)
{
	va_list ap;

	if (log_get_verbosity() < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_infoc(int err, const char *fmt, ...)
{
	va_list ap;

	if (log_get_verbosity() < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, err, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_get_verbosity() < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, NO_ERR, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_get_verbosity() < LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, NO_ERR, fmt, ap);
	va_end(ap);
}

void
fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, errno, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, NO_ERR, fmt, ap);
	va_end(ap);
	exit(status);
}

/*
 * Format and emit one line, with err's text appended unless it is NO_ERR.
 * errno is restored last, so callers can log between a failing call and
 * their own errno check.
 */
static void
vlog(int prio, int err, const char *fmt, va_list ap)
{
	/* Room for the ellipsis and newline past LOG_LINE_MAX - 1 content. */
	char line[LOG_LINE_MAX + sizeof(LOG_ELLIPSIS) + 1];
	const size_t cap = LOG_LINE_MAX;
	struct timespec ts;
	struct tm tm;
	size_t off = 0, msg;
	bool syslogged, ok = true;
	int saved_errno = errno;

	syslogged = atomic_load(&log_to_syslog);
	if (!syslogged && atomic_load(&log_to_journal)) {
		/* sd-daemon(3): the journal stamps time and name itself. */
		ok = append(line, cap, &off, "<%d>", prio);
	} else if (!syslogged) {
		/* syslog stamps time, ident and PID itself. */
		if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
		    gmtime_r(&ts.tv_sec, &tm) == NULL) {
			/* Cannot happen in practice; a zero stamp beats
			 * losing the line. */
			memset(&tm, 0, sizeof(tm));
			ts.tv_nsec = 0;
		}
		off = strftime(line, cap, "%Y-%m-%dT%H:%M:%S", &tm);
		/* getpid() each time: the PID changes when daemonizing. */
		ok = append(line, cap, &off, ".%03ldZ %s[%ld]: ",
		    (long)(ts.tv_nsec / 1000000), log_ident, (long)getpid());
	}
	/* Kept in syslog too: plain syslog files do not show priorities. */
	if (ok)
		ok = append(line, cap, &off, "%s", level_word(prio));
	msg = off;
	if (ok)
		ok = vappend(line, cap, &off, fmt, ap);
	if (ok && err != NO_ERR)
		ok = append(line, cap, &off, ": %s", errstr(err));
	/* A value with a newline (a user name, a host) must not forge lines. */
	sanitize(line + msg, off - msg);
	if (!ok) {
		memcpy(line + off, LOG_ELLIPSIS, sizeof(LOG_ELLIPSIS) - 1);
		off += sizeof(LOG_ELLIPSIS) - 1;
	}

	if (syslogged) {
		line[off] = '\0';
		syslog(prio, "%s", line);
	} else {
		line[off++] = '\n';
		/* Nothing sensible can be done when stderr itself fails. */
		(void)msgframe_write_full(STDERR_FILENO, line, off);
	}
	errno = saved_errno;
}

static bool
append(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = vappend(buf, size, off, fmt, ap);
	va_end(ap);
	return ok;
}

/*
 * Append to buf[*off..size), leaving *off at the end of the text kept.
 * Returns false when the text did not fit (it is cut, NUL-terminated).
 */
static bool
vappend(char *buf, size_t size, size_t *off, const char *fmt, va_list ap)
{
	int n;

	if (*off + 1 >= size)
		return false;
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	if (n < 0) {
		/* An encoding error: keep what came before. */
		buf[*off] = '\0';
		return false;
	}
	if ((size_t)n >= size - *off) {
		*off = size - 1;
		return false;
	}
	*off += (size_t)n;
	return true;
}

static void
sanitize(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	}
}

static const char *
level_word(int prio)
{
	switch (prio) {
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}
