/*
 * listener.h - the listening socket and one step of the accept loop.
 *
 * Only the main thread calls listener_accept(); listener_wake() may be
 * called from any thread (the signal thread) to make a blocked accept
 * return, and listener_stats() from any thread.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netutil.h"
#include "queue.h"

struct listener {
	pthread_mutex_t		lock;		/* guards fd against wake vs close */
	int			fd;
	int			reserve_fd;	/* spare fd to shed with on EMFILE */
	bool			shed_when_out_of_fds;
	unsigned		backoff_ms;	/* EMFILE back-off, 0 when fine */
	uint64_t		last_fd_warning_ns;
	atomic_bool		woken;
	char			name[NETUTIL_ADDRSTRLEN];	/* "127.0.0.1:8080" */
	_Atomic uint64_t	accepted;
	_Atomic uint64_t	rejected;	/* accepted and closed at once */
	_Atomic uint64_t	fd_exhausted;	/* EMFILE/ENFILE episodes */
};

/*
 * Resolve host (getaddrinfo, AI_PASSIVE; the first address that binds
 * wins), bind with SO_REUSEADDR (IPV6_V6ONLY off, so "::" serves IPv4 too)
 * and listen with backlog.  The socket stays blocking: the main thread
 * blocks in accept(2).  With shed_when_out_of_fds, running out of file
 * descriptors accepts and closes connections (using a reserve descriptor)
 * instead of leaving them in the backlog.  On failure writes a reason to
 * err and returns -1.
 */
int	listener_open(struct listener *l, const char *host, const char *port,
	    int backlog, bool shed_when_out_of_fds, char *err, size_t errlen);

/*
 * Accept one connection into *c: close-on-exec, TCP_NODELAY, peer address
 * and accept time filled.  Retries EINTR, ECONNABORTED and the other
 * per-connection errors; on EMFILE/ENFILE logs at most once a second and
 * backs off (1 ms doubling to 100 ms) without spinning.  Returns 0, or -1
 * once listener_wake() has been called.
 */
int	listener_accept(struct listener *l, struct conn *c);

/* Close an accepted connection at once and count it as rejected. */
void	listener_reject(struct listener *l, struct conn *c);

/* Make a blocked or future listener_accept() return -1.  Thread-safe. */
void	listener_wake(struct listener *l);

/* Close the listening socket (no more connections reach the backlog).
 * Call once, after the last listener_accept(). */
void	listener_close(struct listener *l);

#endif /* LISTENER_H */
