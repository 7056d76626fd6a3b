/*
 * proxy.c - the PROXY protocol header parser (see proxy.h).
 *
 * Every call parses from the first byte again: a header is at most 536
 * bytes and arrives in one or two reads, so keeping state between calls
 * would buy nothing and cost a struct the caller must carry.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "proxy.h"

#define V1_SIG		"PROXY "
#define V1_SIG_LEN	6
#define V2_FIXED	16		/* signature, ver/cmd, family, length */

/* v2 version/command byte: version in the high nibble, command low. */
#define V2_VERSION	0x2
#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1

/* v2 family/transport byte: the values the spec defines. */
#define V2_UNSPEC	0x00
#define V2_TCP4		0x11
#define V2_UDP4		0x12
#define V2_TCP6		0x21
#define V2_UDP6		0x22
#define V2_UNIX_STREAM	0x31
#define V2_UNIX_DGRAM	0x32

/* Address block sizes: two addresses, then two ports. */
#define V2_TCP4_LEN	(2 * 4 + 2 * 2)
#define V2_TCP6_LEN	(2 * 16 + 2 * 2)

/* A v1 address field: the longest IPv6 text form, with IPv4 tail. */
#define V1_ADDR_MAX	45

static const unsigned char v2_sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

static enum proxy_status signature(const unsigned char *buf, size_t len,
		    const unsigned char *sig, size_t siglen,
		    struct proxy_header *hdr);
static enum proxy_status fail(struct proxy_header *hdr, const char *why);
static enum proxy_status parse_v1(const unsigned char *buf, size_t len,
		    struct proxy_header *hdr);
static enum proxy_status v1_line(const char *line, size_t n,
		    struct proxy_header *hdr);
static int	v1_field(const char **p, const char *end, const char **field,
		    size_t *flen, int last);
static int	v1_addr(int family, const char *s, size_t n,
		    struct sockaddr_storage *ss, socklen_t *sslen);
static int	v1_port(const char *s, size_t n, uint16_t *port);
static enum proxy_status parse_v2(const unsigned char *buf, size_t len,
		    struct proxy_header *hdr);
static enum proxy_status v2_addrs(const unsigned char *a, int fam,
		    struct proxy_header *hdr);
static void	set_port(struct sockaddr_storage *ss, uint16_t port);

enum proxy_status
proxy_parse(const unsigned char *buf, size_t len, struct proxy_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	if (len == 0)
		return PROXY_MORE;
	/* The two signatures differ in their first byte: nothing to guess. */
	if (buf[0] == (unsigned char)V1_SIG[0]) {
		hdr->version = 1;
		return parse_v1(buf, len, hdr);
	}
	if (buf[0] == v2_sig[0]) {
		hdr->version = 2;
		return parse_v2(buf, len, hdr);
	}
	return fail(hdr, "no PROXY protocol signature");
}

/*
 * DONE: buf starts with the whole of sig; MORE: what there is of buf
 * matches it so far; ERROR: it does not.
 */
static enum proxy_status
signature(const unsigned char *buf, size_t len, const unsigned char *sig,
    size_t siglen, struct proxy_header *hdr)
{
	size_t n = len < siglen ? len : siglen;

	if (memcmp(buf, sig, n) != 0)
		return fail(hdr, "no PROXY protocol signature");
	return len >= siglen ? PROXY_DONE : PROXY_MORE;
}

static enum proxy_status
fail(struct proxy_header *hdr, const char *why)
{
	hdr->error = why;
	return PROXY_ERROR;
}

/* Find the CRLF within PROXY_V1_MAX bytes, then read the line. */
static enum proxy_status
parse_v1(const unsigned char *buf, size_t len, struct proxy_header *hdr)
{
	enum proxy_status st;
	size_t i;

	if ((st = signature(buf, len, (const unsigned char *)V1_SIG,
	    V1_SIG_LEN, hdr)) != PROXY_DONE)
		return st;
	for (i = V1_SIG_LEN; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\n') {
			if (buf[i - 1] != '\r')
				return fail(hdr, "v1 line ends in LF without "
				    "CR");
			st = v1_line((const char *)buf, i - 1, hdr);
			if (st == PROXY_DONE)
				hdr->consumed = i + 1;
			return st;
		}
		if (buf[i - 1] == '\r')
			return fail(hdr, "v1 line has a CR without LF");
	}
	if (i >= PROXY_V1_MAX)
		return fail(hdr, "v1 line longer than 107 bytes");
	return PROXY_MORE;
}

/*
 * The line without its CRLF, n bytes, "PROXY " included: the protocol,
 * then exactly four fields separated by single spaces.
 */
static enum proxy_status
v1_line(const char *line, size_t n, struct proxy_header *hdr)
{
	const char *p = line + V1_SIG_LEN, *end = line + n;
	const char *src, *dst, *sport, *dport;
	size_t srcn, dstn, sportn, dportn;
	uint16_t sp, dp;
	int family;

	/* UNKNOWN: the receiver ignores the rest of the line. */
	if ((size_t)(end - p) >= 7 && memcmp(p, "UNKNOWN", 7) == 0 &&
	    (end - p == 7 || p[7] == ' ')) {
		hdr->kind = PROXY_UNKNOWN;
		return PROXY_DONE;
	}
	if ((size_t)(end - p) >= 5 && memcmp(p, "TCP4 ", 5) == 0)
		family = AF_INET;
	else if ((size_t)(end - p) >= 5 && memcmp(p, "TCP6 ", 5) == 0)
		family = AF_INET6;
	else
		return fail(hdr, "v1 protocol is not TCP4, TCP6 or UNKNOWN");
	p += 5;
	if (v1_field(&p, end, &src, &srcn, 0) == -1 ||
	    v1_field(&p, end, &dst, &dstn, 0) == -1 ||
	    v1_field(&p, end, &sport, &sportn, 0) == -1 ||
	    v1_field(&p, end, &dport, &dportn, 1) == -1)
		return fail(hdr, "v1 line does not have four fields after "
		    "the protocol, separated by single spaces");
	if (v1_addr(family, src, srcn, &hdr->src, &hdr->srclen) == -1 ||
	    v1_addr(family, dst, dstn, &hdr->dst, &hdr->dstlen) == -1)
		return fail(hdr, family == AF_INET ? "v1 TCP4 address is not "
		    "an IPv4 address" : "v1 TCP6 address is not an IPv6 "
		    "address");
	if (v1_port(sport, sportn, &sp) == -1 ||
	    v1_port(dport, dportn, &dp) == -1)
		return fail(hdr, "v1 port is not a number from 0 to 65535");
	set_port(&hdr->src, sp);
	set_port(&hdr->dst, dp);
	hdr->kind = PROXY_ADDRS;
	return PROXY_DONE;
}

/*
 * One non-empty field at *p, ended by a single space (or, for the last
 * one, by the end of the line).  Advances *p past the space.
 */
static int
v1_field(const char **p, const char *end, const char **field, size_t *flen,
    int last)
{
	const char *s = *p, *q;

	for (q = s; q < end && *q != ' '; q++)
		;
	if (q == s || (last && q != end) || (!last && q == end))
		return -1;
	*field = s;
	*flen = (size_t)(q - s);
	*p = last ? q : q + 1;
	return 0;
}

static int
v1_addr(int family, const char *s, size_t n, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char text[V1_ADDR_MAX + 1];

	if (n > V1_ADDR_MAX)
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		*sslen = sizeof(*sin);
		return inet_pton(AF_INET, text, &sin->sin_addr) == 1 ? 0 : -1;
	}
	sin6->sin6_family = AF_INET6;
	*sslen = sizeof(*sin6);
	return inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1 ? 0 : -1;
}

/* Decimal, 0 to 65535, no sign and no leading zero (the spec's form). */
static int
v1_port(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * The fixed 16 bytes are checked as they arrive, each as soon as it is
 * there, so a bad header is refused without waiting for its length.
 */
static enum proxy_status
parse_v2(const unsigned char *buf, size_t len, struct proxy_header *hdr)
{
	enum proxy_status st;
	size_t alen, need = 0;
	int cmd, fam;

	if ((st = signature(buf, len, v2_sig, sizeof(v2_sig), hdr)) !=
	    PROXY_DONE)
		return st;
	if (len < 13)
		return PROXY_MORE;
	if (buf[12] >> 4 != V2_VERSION)
		return fail(hdr, "v2 version is not 2");
	cmd = buf[12] & 0x0F;
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
		return fail(hdr, "v2 command is neither LOCAL nor PROXY");
	if (len < 14)
		return PROXY_MORE;
	fam = buf[13];
	switch (fam) {
	case V2_UNSPEC:
		break;
	case V2_TCP4:
		need = V2_TCP4_LEN;
		break;
	case V2_TCP6:
		need = V2_TCP6_LEN;
		break;
	case V2_UDP4:
	case V2_UDP6:
	case V2_UNIX_STREAM:
	case V2_UNIX_DGRAM:
		/* A LOCAL header's family means nothing: ignored. */
		if (cmd == V2_CMD_PROXY)
			return fail(hdr, "v2 PROXY of UDP or unix socket, not "
			    "TCP");
		break;
	default:
		return fail(hdr, "v2 address family or transport undefined");
	}
	if (len < V2_FIXED)
		return PROXY_MORE;
	alen = (size_t)buf[14] << 8 | buf[15];
	if (V2_FIXED + alen > PROXY_V2_MAX)
		return fail(hdr, "v2 header longer than 536 bytes");
	if (cmd == V2_CMD_PROXY && alen < need)
		return fail(hdr, "v2 length too short for its addresses");
	if (len < V2_FIXED + alen)
		return PROXY_MORE;

	hdr->consumed = V2_FIXED + alen;
	if (cmd == V2_CMD_LOCAL) {
		hdr->kind = PROXY_LOCAL;
		return PROXY_DONE;
	}
	if (fam == V2_UNSPEC) {
		hdr->kind = PROXY_UNKNOWN;
		return PROXY_DONE;
	}
	/* TLVs, if any, follow the addresses: skipped. */
	return v2_addrs(buf + V2_FIXED, fam, hdr);
}

/* Source address, destination address, source port, destination port. */
static enum proxy_status
v2_addrs(const unsigned char *a, int fam, struct proxy_header *hdr)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&hdr->src;
	struct sockaddr_in *d4 = (struct sockaddr_in *)&hdr->dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&hdr->src;
	struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&hdr->dst;
	size_t alen = fam == V2_TCP4 ? 4 : 16;

	if (fam == V2_TCP4) {
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, alen);
		memcpy(&d4->sin_addr, a + alen, alen);
		hdr->srclen = hdr->dstlen = sizeof(*s4);
	} else {
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, alen);
		memcpy(&d6->sin6_addr, a + alen, alen);
		hdr->srclen = hdr->dstlen = sizeof(*s6);
	}
	set_port(&hdr->src, (uint16_t)(a[2 * alen] << 8 | a[2 * alen + 1]));
	set_port(&hdr->dst, (uint16_t)(a[2 * alen + 2] << 8 |
	    a[2 * alen + 3]));
	hdr->kind = PROXY_ADDRS;
	return PROXY_DONE;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}
