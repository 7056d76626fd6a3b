/*
 * listener.h - one listening socket and one step of its accept loop.
 *
 * Opaque: the daemon may hold several (one per --bind address, or per
 * socket the service manager passed), each served by one thread blocking
 * in listener_accept().  Who may call what:
 *   - listener_accept() and listener_reject(): only the listener's own
 *     accepting thread;
 *   - listener_wake(), listener_name(), listener_stats_add(): any thread,
 *     at any time between listener_open() and listener_close();
 *   - listener_close(): once, after the accepting thread is done with it
 *     (no lock guards the descriptor: it has one user at a time); the
 *     counters and the name stay readable;
 *   - listener_destroy(): last, when no other thread can reach it.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

struct listener;

/* Counters of a listener; listener_stats_add() sums them over a set. */
struct listener_stats {
	uint64_t	accepted;	/* connections accepted */
	uint64_t	rejected;	/* accepted and closed at once */
	uint64_t	accept_pauses;	/* out-of-descriptor episodes */
};

/*
 * Resolve host (getaddrinfo, AI_PASSIVE; the first address that binds
 * wins), bind with SO_REUSEADDR (IPV6_V6ONLY off, so "::" serves IPv4 too)
 * and listen with backlog.  The socket stays blocking: its thread blocks
 * in accept(2).  With shed_when_out_of_fds, running out of file
 * descriptors accepts and closes connections (using a reserve descriptor)
 * instead of leaving them in the backlog.  Returns the listener, or NULL
 * with a reason in err.
 */
struct listener	*listener_open(const char *host, const char *port,
		    int backlog, bool shed_when_out_of_fds, char *err,
		    size_t errlen);

/*
 * The same around a listening socket we were given (socket activation):
 * fd must be a listening stream socket (activation.h checks).  The
 * listener owns fd from then on.
 */
struct listener	*listener_adopt(int fd, bool shed_when_out_of_fds, char *err,
		    size_t errlen);

/*
 * Accept one connection into *c: close-on-exec, TCP_NODELAY, peer address
 * and accept time filled.  Retries EINTR, ECONNABORTED and the other
 * per-connection errors; on EMFILE/ENFILE logs at most once a second and
 * backs off (1 ms doubling to 100 ms) without spinning.  Returns 0, or -1
 * once listener_wake() has been called and accept() was interrupted (or
 * not yet entered).
 */
int		 listener_accept(struct listener *l, struct conn *c);

/* Close an accepted connection at once (the queue is full), count it as
 * rejected, and say so in the log at most once a second. */
void		 listener_reject(struct listener *l, struct conn *c);

/*
 * Make listener_accept() return -1 at its next check: before accept(),
 * or when accept() fails with EINTR.  Only sets a flag (the socket may be
 * the service manager's, to be handed to the next instance): the caller
 * interrupts a blocked accept() itself.  Thread-safe.
 */
void		 listener_wake(struct listener *l);

/* Close our descriptor of the listening socket.  A socket we made stops
 * listening; one the service manager passed keeps its backlog for the
 * next instance. */
void		 listener_close(struct listener *l);

/* Close if still open, and free.  NULL is a no-op. */
void		 listener_destroy(struct listener *l);

/* "127.0.0.1:8080", "[::1]:8080": the address it is bound to. */
const char	*listener_name(const struct listener *l);

/* True when only this host can reach it (a loopback address). */
bool		 listener_loopback_only(const struct listener *l);

/* Add l's counters into *sum (a snapshot; relaxed loads). */
void		 listener_stats_add(const struct listener *l,
		    struct listener_stats *sum);

#endif /* LISTENER_H */
