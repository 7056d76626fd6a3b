/*
 * conn.h - an accepted connection on its way from a listener to a worker.
 *
 * A plain value: copied into the queue and out again, owned (and closed)
 * by whoever holds it last.  No buffer is attached until a worker takes it.
 */
#ifndef CONN_H
#define CONN_H

#include <stdint.h>
#include <sys/socket.h>

struct conn {
	int			fd;
	socklen_t		peerlen;
	struct sockaddr_storage	peer;
	uint64_t		accepted_ns;	/* clock_now_ns() at accept */
};

#endif /* CONN_H */
