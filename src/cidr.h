/*
 * cidr.h - a short allowlist of IPv4 and IPv6 networks (--proxy-from).
 *
 * A plain value of fixed size: no allocation, so it can live in struct
 * options and be shared read-only by every worker.  Parsing is strict:
 * "10.0.0.0/8", "2001:db8::/32", or a bare address for one host (/32,
 * /128); items separated by single commas, no spaces; host bits set below
 * the prefix ("10.0.0.1/8") are an error, since they usually mean a typo.
 *
 * IPv4-mapped IPv6 (::ffff:a.b.c.d, how a socket bound to :: sees IPv4
 * peers) is IPv4 here, on both sides: 10.0.0.0/8 matches a peer
 * ::ffff:10.1.2.3, and ::ffff:10.0.0.0/104 is stored as 10.0.0.0/8.
 */
#ifndef CIDR_H
#define CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* More balancers than this is a configuration to write as networks. */
#define CIDR_LIST_MAX	32

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned	prefix;		/* 0..32 or 0..128 */
	uint8_t		addr[16];	/* network byte order; IPv4: first 4 */
};

struct cidr_list {
	unsigned	n;
	struct cidr	net[CIDR_LIST_MAX];
};

/*
 * Append the comma-separated networks of s to l (so a repeated option
 * adds to the list).  Returns 0, or -1 with a reason naming the bad item
 * in err (errlen bytes), l unchanged.
 */
int	cidr_list_add(struct cidr_list *l, const char *s, char *err,
	    size_t errlen);

/* True when sa (AF_INET or AF_INET6) lies in one of l's networks. */
bool	cidr_list_match(const struct cidr_list *l, const struct sockaddr *sa,
	    socklen_t salen);

#endif /* CIDR_H */
