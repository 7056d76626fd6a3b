/*
 * expo.h - the Prometheus text exposition format (version 0.0.4), and the
 * process_* families every Prometheus client library exports.
 *
 * An exposition is written into a growable buffer, family by family: the
 * HELP and TYPE lines first, then its samples.  Metric and label names are
 * the caller's constants and are not checked; help text and label values
 * are escaped as the format requires.  Running out of memory marks the
 * buffer failed: later calls do nothing, and the caller answers with an
 * error rather than a truncated exposition.  A struct expo belongs to one
 * thread; nothing here logs or takes a lock.
 */
#ifndef EXPO_H
#define EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPO_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

enum expo_type {
	EXPO_COUNTER,		/* only goes up; the name ends in _total */
	EXPO_GAUGE
};

struct expo {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	bool	 failed;	/* out of memory: buf is incomplete */
};

void	expo_init(struct expo *e);
/* Empty the buffer for the next exposition, keeping its memory. */
void	expo_reset(struct expo *e);
void	expo_free(struct expo *e);

/* "# HELP name help" and "# TYPE name type". */
void	expo_family(struct expo *e, const char *name, enum expo_type type,
	    const char *help);
/* "name v", or "name{label="value"} v" when label is not NULL. */
void	expo_sample(struct expo *e, const char *name, const char *label,
	    const char *value, uint64_t v);
/* A family of one unlabelled sample: expo_family, then expo_sample. */
void	expo_metric(struct expo *e, const char *name, enum expo_type type,
	    const char *help, uint64_t v);

/*
 * The process collector of the client libraries: process_cpu_seconds_total,
 * process_resident_memory_bytes, process_virtual_memory_bytes (from
 * /proc/self/stat), process_open_fds (/proc/self/fd), process_max_fds
 * (RLIMIT_NOFILE), and process_start_time_seconds given as start_time
 * (left out when negative).  A figure that cannot be read is left out,
 * never reported as 0.
 */
void	expo_process(struct expo *e, double start_time);
/*
 * When this process started, in seconds since the epoch, as client_golang
 * computes it: the boot time (btime in /proc/stat) plus the process's
 * start in clock ticks after boot (/proc/self/stat).  -1 if unreadable.
 * It never changes: read it once.
 */
double	expo_process_start_time(void);

#endif /* EXPO_H */
