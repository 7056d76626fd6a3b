/*
 * proxy.h - the PROXY protocol header (HAProxy's proxy-protocol.txt), v1
 * and v2, received at the start of a connection from a load balancer.
 *
 * Pure and incremental: no I/O, no allocation, no state between calls.
 * The caller reads whatever the socket holds into a buffer and calls
 * proxy_parse() on all the bytes received so far; the answer is one of
 *   PROXY_MORE   every byte so far is valid, the header is not complete;
 *   PROXY_DONE   a complete, valid header of hdr->consumed bytes (the
 *                bytes after it are the start of the connection's data);
 *   PROXY_ERROR  not a valid header (hdr->error says why), decided as
 *                soon as the offending byte is seen: the first byte that
 *                is neither of a v1 nor of a v2 signature is an error at
 *                once, so a client that sends frames to a server that
 *                wants the header is refused without waiting.
 * The version is told from the first bytes and nothing else: "PROXY "
 * starts v1, the 12-byte binary signature starts v2.
 *
 * Bounds: a v1 line is at most PROXY_V1_MAX bytes with its CRLF; a v2
 * header at most PROXY_V2_MAX (the 16 fixed bytes plus its length field).
 * So a caller never needs more than PROXY_MAX_HEADER bytes to get an answer
 * other than PROXY_MORE.
 *
 * What is accepted:
 *   v1  "PROXY TCP4 a.b.c.d a.b.c.d sport dport\r\n", the same with TCP6
 *       and IPv6 addresses, and "PROXY UNKNOWN" with anything up to CRLF;
 *   v2  command PROXY with TCP over IPv4 or IPv6 (addresses used), or
 *       with family UNSPEC (real endpoints used); command LOCAL (the
 *       balancer's own connection, e.g. a health check), whatever family
 *       and addresses it carries.  TLVs after the addresses are skipped
 *       unread, within the header's length.
 * PROXY over UDP or unix sockets describes a connection this TCP server
 * cannot have been handed: an error, as are undefined commands, families
 * and versions, which the spec says receivers must reject.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* v1: "PROXY TCP6 " + two 39-character addresses + two ports + CRLF. */
#define PROXY_V1_MAX		107
/*
 * v2: 16 fixed bytes and at most 520 of addresses and TLVs.  536 is the
 * spec's own sizing (a header fits the minimal TCP segment); HAProxy's
 * send-proxy-v2 sends 28 bytes for IPv4 and 52 for IPv6, TLVs only when
 * proxy-v2-options asks for them.
 */
#define PROXY_V2_MAX		536
#define PROXY_MAX_HEADER	PROXY_V2_MAX

enum proxy_status {
	PROXY_MORE,
	PROXY_DONE,
	PROXY_ERROR
};

enum proxy_kind {
	PROXY_ADDRS,		/* src/dst below: the client and our address */
	PROXY_LOCAL,		/* v2 LOCAL: the balancer itself is the peer */
	PROXY_UNKNOWN		/* v1 UNKNOWN, v2 UNSPEC: real endpoints */
};

struct proxy_header {
	size_t			consumed;	/* header bytes, DONE only */
	int			version;	/* 1 or 2, once known */
	enum proxy_kind		kind;
	/* PROXY_ADDRS: the client, and the address it connected to. */
	struct sockaddr_storage	src;
	struct sockaddr_storage	dst;
	socklen_t		srclen;
	socklen_t		dstlen;
	const char		*error;		/* ERROR: a static phrase */
};

/*
 * Parse the len bytes received so far (see above).  *hdr is written in
 * full on DONE; on MORE and ERROR only version and error are meaningful.
 */
enum proxy_status	proxy_parse(const unsigned char *buf, size_t len,
			    struct proxy_header *hdr);

#endif /* PROXY_H */
