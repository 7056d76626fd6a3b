/*
 * metrics.h - the Prometheus endpoint: GET /metrics over HTTP/1.1 on a
 * listening socket of its own, served by one thread.
 *
 * Thread model:
 *   - metrics_start() starts one thread that runs a poll(2) loop over the
 *     listening socket, an eventfd and at most METRICS_MAX_CONNS client
 *     connections, all non-blocking: a client that is slow to send or to
 *     read holds a slot, never the thread.  Only that thread touches them.
 *   - A scrape calls the snapshot callback on the metrics thread (at most
 *     once per 100 ms: a fresher exposition is served again).  It must
 *     only read counters (relaxed atomics, queue_length() and the like),
 *     so no worker ever waits on the metrics thread for longer than a
 *     counter read; the echo path pays nothing for being measured.
 *   - metrics_stop() writes to the eventfd and joins the thread, which
 *     closes its connections on its way out.  No shutdown(2) to wake it,
 *     no close() of a descriptor the thread is polling.
 *
 * What faces the network:
 *   - only GET and HEAD of /metrics (a query string is ignored) are
 *     answered with the exposition (expo.h); other paths get 404, other
 *     methods 405, anything malformed 400, a head over METRICS_MAX_REQUEST
 *     bytes 431.  Error answers carry "Connection: close" and the
 *     connection is closed after them, as it is after HTTP/1.0 or a
 *     request with a body (which is never read); other HTTP/1.1 requests
 *     keep it open for the next one.
 *   - the kernel hands a connection over only once it has sent something,
 *     or after a second (TCP_DEFER_ACCEPT); then a request must arrive
 *     whole within METRICS_TIMEOUT_MS of that (or of the previous
 *     answer), and each answer be read by the client within
 *     METRICS_TIMEOUT_MS, or the connection is closed.
 *   - with every slot taken, a new connection evicts an old one: the
 *     oldest that has sent nothing (or is being closed), else the oldest
 *     still sending its request, else the oldest of all.  Idle and slow clients cannot lock
 *     a scraper out, and a flood only churns slots.
 *   - bad requests, timeouts and evictions are logged at debug level, at
 *     most one line a second.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "echo.h"

#define METRICS_MAX_CONNS	32
#define METRICS_MAX_REQUEST	4096
#define METRICS_TIMEOUT_MS	2000

/* What a scrape reports, filled by the daemon's snapshot callback. */
struct metrics_snapshot {
	uint64_t		accepted;	/* echo connections accepted */
	uint64_t		rejected;	/* closed at once: queue full */
	uint64_t		accept_pauses;	/* out-of-descriptor back-offs */
	uint64_t		active;		/* served by a worker now */
	uint64_t		queued;		/* waiting for a worker */
	uint64_t		workers;	/* worker threads */
	uint64_t		queue_capacity;
	struct echo_totals	echo;		/* frames, bytes, closes */
};

/* Called on the metrics thread with *snap zeroed; see above. */
typedef void	metrics_snapshot_fn(void *arg, struct metrics_snapshot *snap);

struct metrics;

/*
 * Serve listen_fd, a listening TCP socket (made non-blocking, with
 * TCP_DEFER_ACCEPT, here), named
 * name ("127.0.0.1:9464") in the start-up log line "metrics on NAME".
 * The signals the caller blocked stay blocked in the new thread.  On
 * success the socket is the metrics module's; on failure NULL is returned
 * with a reason in err, and the socket is still the caller's.
 */
struct metrics	*metrics_start(int listen_fd, const char *name,
		    metrics_snapshot_fn *snapshot, void *arg, char *err,
		    size_t errlen);

/*
 * Stop the thread, close every metrics connection and the listening
 * socket, and free m.  Call it before anything the snapshot callback
 * reads is destroyed.  NULL is a no-op.
 */
void		 metrics_stop(struct metrics *m);

#endif /* METRICS_H */
