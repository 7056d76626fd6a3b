/*
 * echo.h - the blocking framed echo loop one worker runs on one connection.
 *
 * The hot path: read as much as the socket holds into the worker's buffer
 * (one read may carry many frames), find the whole frames in it with
 * msgframe_scan(), and echo all of them with one send().  Because an echo is
 * byte-for-byte the input, the bytes of whole frames are written straight
 * from the read buffer: no copy, no per-frame allocation, lock or shared
 * atomic.  A frame too big for the buffer is streamed through it (header
 * and first payload bytes in one write, then the rest as it arrives), so a
 * worker's memory is its buffer, whatever --max-frame says.
 *
 * Timeouts on a blocking socket:
 *   - between frames the worker blocks in recv() with no timeout of its
 *     own: one syscall per batch, the common case, and no kernel timer
 *     armed and deleted around it (SO_RCVTIMEO's price, a tenth of the
 *     server's CPU per frame with 1000 connections).  It stamps when it
 *     began to wait (clock_coarse_ns, no syscall); the pool's sweeper
 *     finds a worker waiting since longer than the idle timeout, marks it
 *     (echo_worker_kick_idle) and wakes it with shutdown(SHUT_RD), as the
 *     stopper does; the worker sees the mark and ends with CLOSE_IDLE;
 *   - inside a frame, and while writing an echo, each recv()/send() is
 *     MSG_DONTWAIT and waits in poll() for the time left until the frame's
 *     deadline (first byte + io timeout), so a client that drips bytes or
 *     stops reading cannot stretch it per syscall.
 *
 * Shutdown handshake with the pool (echo_worker_waiting):
 *   the worker stores ECHO_WAITING, then loads *stopping; the stopper stores
 *   *stopping, then loads the phase and, if ECHO_WAITING, calls
 *   shutdown(fd, SHUT_RD) to wake the blocked recv().  Both sides use
 *   sequentially consistent atomics, so at least one of them sees the
 *   other: a waiting worker is always woken.  Once stopping, a worker
 *   still echoes everything its client has already sent (reads between
 *   frames become MSG_DONTWAIT; a frame in progress is finished within its
 *   deadline) and ends the connection when nothing more is there.
 *
 * PROXY protocol (cfg->proxy_from set, --proxy-protocol):
 *   - a peer outside cfg->proxy_from is closed before anything is read
 *     (CLOSE_UNTRUSTED);
 *   - otherwise the header (proxy.h) is read into the worker's buffer,
 *     whole within the io timeout (the idle timeout if that is 0), and
 *     the bytes after it in the same reads are simply the first bytes of
 *     the frame stream: no MSG_PEEK, no second buffer.  A missing or bad
 *     header closes the connection, nothing echoed (CLOSE_PROXY).  Until
 *     its first byte the worker counts as ECHO_WAITING, between frames as
 *     it were: the sweeper may end it as idle, and stopping, it takes only
 *     what is already there; a header begun is finished within its
 *     deadline, as a frame is;
 *   - the header costs nothing per frame: after it, the loop is the same.
 */
#ifndef ECHO_H
#define ECHO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"
#include "conn.h"
#include "proxy.h"

/* Why a connection ended.  The order is the order of the stats line. */
enum close_reason {
	CLOSE_CLIENT,		/* the client closed between frames */
	CLOSE_IDLE,		/* no new frame within the idle timeout */
	CLOSE_IO_TIMEOUT,	/* a frame or its echo missed the io deadline */
	CLOSE_OVERSIZE,		/* a header announced more than max_frame */
	CLOSE_PROTOCOL,		/* the stream ended inside a frame */
	CLOSE_RESET,		/* the client reset the connection */
	CLOSE_ERROR,		/* another socket error */
	CLOSE_SHUTDOWN,		/* the server is shutting down */
	CLOSE_PROXY,		/* no valid PROXY header (--proxy-protocol) */
	CLOSE_UNTRUSTED,	/* peer not in --proxy-from: nothing read */
	CLOSE_REASONS
};

/* A short name for the stats line: "client", "idle", "io_timeout", ... */
const char	*close_reason_name(enum close_reason reason);

struct echo_config {
	uint32_t	max_frame;	/* largest payload accepted */
	unsigned	idle_timeout_ms;	/* 0 = wait forever between frames */
	unsigned	io_timeout_ms;	/* 0 = no per-frame deadline */
	size_t		buf_size;	/* per-worker buffer (--buffer-size);
					   >= 2 * header, >= PROXY_MAX_HEADER */
	/* NULL: no PROXY protocol; else the header is required, and only
	 * from these peers. */
	const struct cidr_list *proxy_from;
};

/*
 * Counters of one worker.  Only that worker writes them (relaxed
 * load + store, no read-modify-write: no bus lock on the hot path); anyone
 * may read them at any time.
 */
struct echo_stats {
	_Atomic uint64_t	frames;		/* frames echoed */
	_Atomic uint64_t	bytes;		/* payload bytes echoed */
	_Atomic uint64_t	closed[CLOSE_REASONS];
};

/* How one connection ended, for the log line. */
struct echo_result {
	enum close_reason	reason;
	int			err;		/* errno for CLOSE_ERROR */
	uint32_t		announced;	/* CLOSE_OVERSIZE: header's length */
	bool			writing;	/* CLOSE_IO_TIMEOUT: echo unsent */
	uint64_t		frames;		/* frames echoed on this connection */
	/* With --proxy-protocol, once a valid header was read: */
	bool			proxied;
	enum proxy_kind		proxy_kind;
	struct sockaddr_storage	client;		/* PROXY_ADDRS: from the header */
	socklen_t		clientlen;
	/* CLOSE_PROXY: the parser's reason, or NULL with err ETIMEDOUT (too
	 * slow) or 0 (the stream ended first). */
	const char		*proxy_error;
};

enum echo_phase {
	ECHO_IDLE,		/* no connection */
	ECHO_WAITING,		/* blocked between frames, nothing buffered */
	ECHO_BUSY		/* inside a frame or writing */
};

struct echo_worker {
	const struct echo_config	*cfg;
	const atomic_bool		*stopping;
	unsigned char			*buf;
	atomic_int			 phase;
	_Atomic uint64_t		 waiting_since;	/* coarse ns */
	atomic_bool			 idle_kicked;	/* by the sweeper */
	struct echo_stats		 stats;
};

/*
 * Set up a worker around buf, cfg->buf_size bytes that the caller owns and
 * keeps until the worker is done (the pool carves all of them from one
 * mapping).
 */
void	echo_worker_init(struct echo_worker *w, const struct echo_config *cfg,
	    const atomic_bool *stopping, unsigned char *buf);

/*
 * Echo frames on c->fd until the connection ends (after its PROXY header,
 * if the config asks for one); fills *res and counts the reason in the
 * worker's stats.  Does not close the descriptor (see echo_close).
 */
void	echo_serve(struct echo_worker *w, const struct conn *c,
	    struct echo_result *res);

/*
 * Close fd after echo_serve(), without destroying echoes already written:
 * after an orderly end, shut down the write side and discard the client's
 * remaining input for at most linger_ms (httpd's lingering close), so the
 * kernel never answers unread input with a reset.  A client that stopped
 * reading (io timeout while writing) or reset the connection is closed at
 * once, and so is one that never got past the PROXY checks: it is owed
 * no echo.
 */
void	echo_close(int fd, const struct echo_result *res, unsigned linger_ms);

/* True when the worker is blocked between frames (see the handshake). */
bool	echo_worker_waiting(struct echo_worker *w);

/*
 * The idle sweep: true when the worker has waited between frames for
 * idle_ns or longer at now_ns (both clock_coarse_ns).  Then the sweeper marks it and
 * shuts the connection's read side, under the slot lock (pool.c).  A
 * frame arriving at that very moment is echoed, and the connection ends
 * as idle, as it would have with a receive timeout firing then.
 */
bool	echo_worker_idle_for(struct echo_worker *w, uint64_t now_ns,
	    uint64_t idle_ns);
void	echo_worker_kick_idle(struct echo_worker *w);

/* Add w's counters into *sum (a plain snapshot, not atomics). */
struct echo_totals {
	uint64_t	frames;
	uint64_t	bytes;
	uint64_t	closed[CLOSE_REASONS];
};
void	echo_stats_add(struct echo_totals *sum, struct echo_worker *w);

#endif /* ECHO_H */
