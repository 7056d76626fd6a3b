/*
 * expo.c - the Prometheus text exposition format and the process
 * collector (expo.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expo.h"

#define EXPO_MIN_CAP	8192

/* The fields of /proc/self/stat the process collector reports. */
struct proc_stat {
	unsigned long long	utime, stime;	/* clock ticks */
	unsigned long long	starttime;	/* clock ticks after boot */
	unsigned long long	vsize;		/* bytes */
	long long		rss;		/* pages */
};

static bool	reserve(struct expo *e, size_t more);
static void	put(struct expo *e, const char *s, size_t n);
static void	putf(struct expo *e, const char *fmt, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
static void	put_escaped(struct expo *e, const char *s, bool quoted);
static void	sample_double(struct expo *e, const char *name, double v);
static int	read_proc_stat(struct proc_stat *ps);
static int	count_open_fds(uint64_t *n);
static int	read_boot_time(unsigned long long *btime);

void
expo_init(struct expo *e)
{
	memset(e, 0, sizeof(*e));
}

void
expo_reset(struct expo *e)
{
	e->len = 0;
	e->failed = false;
}

void
expo_free(struct expo *e)
{
	free(e->buf);
	expo_init(e);
}

/* Room for more bytes and a NUL; false (and failed) when out of memory. */
static bool
reserve(struct expo *e, size_t more)
{
	size_t cap;
	char *nbuf;

	if (e->failed)
		return false;
	if (e->cap - e->len > more)
		return true;
	for (cap = e->cap > 0 ? e->cap : EXPO_MIN_CAP; cap - e->len <= more;
	    cap *= 2)
		continue;
	if ((nbuf = realloc(e->buf, cap)) == NULL) {
		e->failed = true;
		return false;
	}
	e->buf = nbuf;
	e->cap = cap;
	return true;
}

static void
put(struct expo *e, const char *s, size_t n)
{
	if (!reserve(e, n))
		return;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	e->buf[e->len] = '\0';
}

static void
putf(struct expo *e, const char *fmt, ...)
{
	va_list ap;
	char line[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Our lines are names and numbers: far below the buffer. */
	if (n < 0 || (size_t)n >= sizeof(line)) {
		e->failed = true;
		return;
	}
	put(e, line, (size_t)n);
}

/*
 * Help text escapes backslash and newline; a label value, inside its
 * double quotes, the double quote as well.
 */
static void
put_escaped(struct expo *e, const char *s, bool quoted)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, quoted ? "\\\n\"" : "\\\n");
		put(e, s, n);
		s += n;
		if (*s == '\0')
			break;
		put(e, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2);
		s++;
	}
}

void
expo_family(struct expo *e, const char *name, enum expo_type type,
    const char *help)
{
	putf(e, "# HELP %s ", name);
	put_escaped(e, help, false);
	putf(e, "\n# TYPE %s %s\n", name,
	    type == EXPO_COUNTER ? "counter" : "gauge");
}

void
expo_sample(struct expo *e, const char *name, const char *label,
    const char *value, uint64_t v)
{
	if (label == NULL) {
		putf(e, "%s %" PRIu64 "\n", name, v);
		return;
	}
	putf(e, "%s{%s=\"", name, label);
	put_escaped(e, value, true);
	putf(e, "\"} %" PRIu64 "\n", v);
}

void
expo_metric(struct expo *e, const char *name, enum expo_type type,
    const char *help, uint64_t v)
{
	expo_family(e, name, type, help);
	expo_sample(e, name, NULL, NULL, v);
}

/* The shortest of %.15g and %.17g that reads back as v. */
static void
sample_double(struct expo *e, const char *name, double v)
{
	char num[64];

	(void)snprintf(num, sizeof(num), "%.15g", v);
	if (strtod(num, NULL) != v)
		(void)snprintf(num, sizeof(num), "%.17g", v);
	putf(e, "%s %s\n", name, num);
}

void
expo_process(struct expo *e, double start_time)
{
	struct proc_stat ps;
	struct rlimit rl;
	long hz, page;
	uint64_t fds;

	hz = sysconf(_SC_CLK_TCK);
	page = sysconf(_SC_PAGESIZE);
	if (hz > 0 && page > 0 && read_proc_stat(&ps) == 0) {
		expo_family(e, "process_cpu_seconds_total", EXPO_COUNTER,
		    "Total user and system CPU time spent in seconds.");
		sample_double(e, "process_cpu_seconds_total",
		    (double)(ps.utime + ps.stime) / (double)hz);
		expo_metric(e, "process_resident_memory_bytes", EXPO_GAUGE,
		    "Resident memory size in bytes.",
		    ps.rss > 0 ? (uint64_t)ps.rss * (uint64_t)page : 0);
		expo_metric(e, "process_virtual_memory_bytes", EXPO_GAUGE,
		    "Virtual memory size in bytes.", ps.vsize);
	}
	if (count_open_fds(&fds) == 0)
		expo_metric(e, "process_open_fds", EXPO_GAUGE,
		    "Number of open file descriptors.", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		expo_metric(e, "process_max_fds", EXPO_GAUGE,
		    "Maximum number of open file descriptors.",
		    (uint64_t)rl.rlim_cur);
	if (start_time >= 0) {
		expo_family(e, "process_start_time_seconds", EXPO_GAUGE,
		    "Start time of the process since unix epoch in seconds.");
		sample_double(e, "process_start_time_seconds", start_time);
	}
}

double
expo_process_start_time(void)
{
	struct proc_stat ps;
	unsigned long long btime;
	long hz;

	if ((hz = sysconf(_SC_CLK_TCK)) <= 0 || read_proc_stat(&ps) == -1 ||
	    read_boot_time(&btime) == -1)
		return -1;
	return (double)btime + (double)ps.starttime / (double)hz;
}

/* /proc/self/stat: see proc(5) for the field numbers. */
static int
read_proc_stat(struct proc_stat *ps)
{
	char line[1024], *p;
	FILE *f;
	int n;

	if ((f = fopen("/proc/self/stat", "re")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), f);
	(void)fclose(f);
	/* The name (field 2) may hold spaces and ')': skip past its end. */
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return -1;
	/* Fields 3 (state) to 24 (rss). */
	n = sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld", &ps->utime,
	    &ps->stime, &ps->starttime, &ps->vsize, &ps->rss);
	return n == 5 ? 0 : -1;
}

/* Entries of /proc/self/fd, less the one reading it. */
static int
count_open_fds(uint64_t *n)
{
	struct dirent *de;
	char self[16];
	DIR *d;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	(void)snprintf(self, sizeof(self), "%d", dirfd(d));
	*n = 0;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' && strcmp(de->d_name, self) != 0)
			(*n)++;
		errno = 0;
	}
	if (errno != 0) {
		(void)closedir(d);
		return -1;
	}
	(void)closedir(d);
	return 0;
}

/*
 * The "btime" line of /proc/stat.  Lines before it (intr) can be longer
 * than any buffer: read in pieces, and look only where a line starts.
 */
static int
read_boot_time(unsigned long long *btime)
{
	char piece[256];
	bool at_start = true;
	FILE *f;
	int rc = -1;

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return -1;
	while (fgets(piece, sizeof(piece), f) != NULL) {
		if (at_start && sscanf(piece, "btime %llu", btime) == 1) {
			rc = 0;
			break;
		}
		at_start = strchr(piece, '\n') != NULL;
	}
	(void)fclose(f);
	return rc;
}
