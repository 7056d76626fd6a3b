/*
 * cidr.c - a short allowlist of IPv4 and IPv6 networks (see cidr.h).
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "cidr.h"

/* Longer than any address with a prefix: "ffff:...:ffff/128". */
#define ITEM_MAX	63

static int	parse_item(const char *s, size_t n, struct cidr *c, char *err,
		    size_t errlen);
static int	parse_prefix(const char *s, unsigned *prefix);
static void	unmap_v4(struct cidr *c);
static bool	prefix_equal(const uint8_t *a, const uint8_t *b,
		    unsigned bits);
static void	clear_host_bits(uint8_t *addr, unsigned len, unsigned prefix);

int
cidr_list_add(struct cidr_list *l, const char *s, char *err, size_t errlen)
{
	struct cidr_list tmp = *l;
	const char *p = s, *comma;
	size_t n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (tmp.n == CIDR_LIST_MAX) {
			(void)snprintf(err, errlen, "more than %d networks",
			    CIDR_LIST_MAX);
			return -1;
		}
		if (parse_item(p, n, &tmp.net[tmp.n], err, errlen) == -1)
			return -1;
		tmp.n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*l = tmp;
	return 0;
}

bool
cidr_list_match(const struct cidr_list *l, const struct sockaddr *sa,
    socklen_t salen)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	struct cidr peer;
	unsigned i;

	memset(&peer, 0, sizeof(peer));
	if (sa->sa_family == AF_INET && salen >= sizeof(*sin)) {
		peer.family = AF_INET;
		memcpy(peer.addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof(*sin6)) {
		peer.family = AF_INET6;
		peer.prefix = 128;
		memcpy(peer.addr, &sin6->sin6_addr, 16);
		unmap_v4(&peer);
	} else
		return false;
	for (i = 0; i < l->n; i++)
		if (l->net[i].family == peer.family &&
		    prefix_equal(l->net[i].addr, peer.addr, l->net[i].prefix))
			return true;
	return false;
}

/* One "ADDR" or "ADDR/PREFIX" of n bytes at s. */
static int
parse_item(const char *s, size_t n, struct cidr *c, char *err, size_t errlen)
{
	char text[ITEM_MAX + 1], net[INET6_ADDRSTRLEN];
	uint8_t masked[16];
	unsigned max, len;
	char *slash;

	if (n == 0) {
		(void)snprintf(err, errlen, "an empty item in the list");
		return -1;
	}
	if (n > ITEM_MAX) {
		(void)snprintf(err, errlen, "'%.20s...' is not an address or "
		    "network", s);
		return -1;
	}
	memcpy(text, s, n);
	text[n] = '\0';
	memset(c, 0, sizeof(*c));
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, text, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, text, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		(void)snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 "
		    "address", text);
		return -1;
	}
	c->prefix = max;
	if (slash != NULL && parse_prefix(slash + 1, &c->prefix) == -1) {
		(void)snprintf(err, errlen, "'%s' after '/' in '%.*s' is not "
		    "a prefix length", slash + 1, (int)n, s);
		return -1;
	}
	if (c->prefix > max) {
		(void)snprintf(err, errlen, "prefix length %u in '%.*s' is "
		    "more than %u", c->prefix, (int)n, s, max);
		return -1;
	}
	len = c->family == AF_INET ? 4 : 16;
	memcpy(masked, c->addr, len);
	clear_host_bits(masked, len, c->prefix);
	if (memcmp(masked, c->addr, len) != 0) {
		(void)inet_ntop(c->family, masked, net, sizeof(net));
		(void)snprintf(err, errlen, "'%.*s' has bits set past its "
		    "prefix length: the network is %s/%u", (int)n, s, net,
		    c->prefix);
		return -1;
	}
	unmap_v4(c);
	return 0;
}

/* 0 to 999 in decimal digits, no sign, no leading zero: range is later. */
static int
parse_prefix(const char *s, unsigned *prefix)
{
	size_t n = strlen(s), i;
	unsigned v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*prefix = v;
	return 0;
}

/* ::ffff:a.b.c.d/96+N is a.b.c.d/N: one form for both sides of a match. */
static void
unmap_v4(struct cidr *c)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (c->family != AF_INET6 || c->prefix < 96 ||
	    memcmp(c->addr, mapped, sizeof(mapped)) != 0)
		return;
	c->family = AF_INET;
	c->prefix -= 96;
	memmove(c->addr, c->addr + 12, 4);
	memset(c->addr + 4, 0, 12);
}

/* The first bits of a and b agree. */
static bool
prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static void
clear_host_bits(uint8_t *addr, unsigned len, unsigned prefix)
{
	unsigned i;

	for (i = 0; i < len; i++) {
		if (prefix >= 8 * (i + 1))
			continue;
		if (prefix <= 8 * i)
			addr[i] = 0;
		else
			addr[i] &= (uint8_t)(0xff << (8 - (prefix - 8 * i)));
	}
}
