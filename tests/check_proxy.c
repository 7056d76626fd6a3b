/*
 * check_proxy.c - unit tests for the PROXY protocol parser (proxy.c).
 *
 * Core:   every field of v1 and v2 headers is read right, and the bytes
 *         after a header are never consumed.
 * Bad:    every malformed field, every bad length, and errors decided as
 *         soon as the offending byte is there.
 * Splits: every valid header, cut at every point, is PROXY_MORE before its
 *         last byte and PROXY_DONE with it: the parser is given the bytes
 *         so far, so this is every way reads can split a header.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "testutil.h"

#define CMD_LOCAL	0x20
#define CMD_PROXY	0x21
#define FAM_UNSPEC	0x00
#define FAM_TCP4	0x11
#define FAM_UDP4	0x12
#define FAM_TCP6	0x21
#define FAM_UDP6	0x22
#define FAM_UNIX	0x31
#define FAM_UNIX_DGRAM	0x32

static const unsigned char sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

/* 10.0.0.9:5000 -> 10.0.1.5:8080 */
static const unsigned char tcp4_addrs[12] = {
	10, 0, 0, 9, 10, 0, 1, 5, 0x13, 0x88, 0x1F, 0x90
};

/* 2001:db8::9 port 65535 -> 2001:db8::1:5 port 1 */
static const unsigned char tcp6_addrs[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x09,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x05,
	0xFF, 0xFF, 0x00, 0x01
};

/*
 * A v2 header: signature, cmd, fam, then a length of len and len bytes
 * of which the first alen come from addrs and the rest are filler (TLVs
 * as far as the parser cares).  Returns the size written.
 */
static size_t
v2(unsigned char *out, int cmd, int fam, const void *addrs, size_t alen,
    size_t len)
{
	memcpy(out, sig, sizeof(sig));
	out[12] = (unsigned char)cmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(len >> 8);
	out[15] = (unsigned char)len;
	memset(out + 16, 0xA5, len);
	if (alen > 0)
		memcpy(out + 16, addrs, alen < len ? alen : len);
	return 16 + len;
}

static enum proxy_status
parse_str(const char *s, struct proxy_header *h)
{
	return proxy_parse((const unsigned char *)s, strlen(s), h);
}

/* ss holds text:port. */
static void
assert_addr(const struct sockaddr_storage *ss, socklen_t len,
    const char *text, unsigned port)
{
	char buf[INET6_ADDRSTRLEN];
	const void *a;
	unsigned p;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		ck_assert_uint_eq(len, sizeof(*sin));
		a = &sin->sin_addr;
		p = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		ck_assert_int_eq(ss->ss_family, AF_INET6);
		ck_assert_uint_eq(len, sizeof(*sin6));
		a = &sin6->sin6_addr;
		p = ntohs(sin6->sin6_port);
	}
	ck_assert_ptr_nonnull(inet_ntop(ss->ss_family, a, buf, sizeof(buf)));
	ck_assert_str_eq(buf, text);
	ck_assert_uint_eq(p, port);
}

/* Expect an error whose reason contains why, from exactly len bytes. */
static void
expect_error(const unsigned char *buf, size_t len, const char *why)
{
	struct proxy_header h;

	ck_assert_msg(proxy_parse(buf, len, &h) == PROXY_ERROR,
	    "%zu bytes: not an error (expected \"%s\")", len, why);
	ck_assert_ptr_nonnull(h.error);
	ck_assert_msg(strstr(h.error, why) != NULL, "error \"%s\", expected "
	    "\"%s\"", h.error, why);
}

static void
expect_error_str(const char *s, const char *why)
{
	expect_error((const unsigned char *)s, strlen(s), why);
}

/* Every proper prefix of buf[0..len) asks for more; none is an error. */
static void
expect_more_until(const unsigned char *buf, size_t len)
{
	struct proxy_header h;
	size_t k;

	for (k = 0; k < len; k++)
		ck_assert_msg(proxy_parse(buf, k, &h) == PROXY_MORE,
		    "prefix of %zu of %zu bytes: not PROXY_MORE (%s)", k, len,
		    h.error != NULL ? h.error : "done");
}

/* --- v1 ----------------------------------------------------------------- */

START_TEST(test_v1_tcp4)
{
	const char *line = "PROXY TCP4 192.168.0.1 10.0.0.5 56324 443\r\n";
	struct proxy_header h;

	ck_assert_int_eq(parse_str(line, &h), PROXY_DONE);
	ck_assert_int_eq(h.version, 1);
	ck_assert_int_eq(h.kind, PROXY_ADDRS);
	ck_assert_uint_eq(h.consumed, strlen(line));
	assert_addr(&h.src, h.srclen, "192.168.0.1", 56324);
	assert_addr(&h.dst, h.dstlen, "10.0.0.5", 443);
	ck_assert_ptr_null(h.error);

	/* The extremes of every field. */
	ck_assert_int_eq(parse_str("PROXY TCP4 0.0.0.0 255.255.255.255 0 "
	    "65535\r\n", &h), PROXY_DONE);
	assert_addr(&h.src, h.srclen, "0.0.0.0", 0);
	assert_addr(&h.dst, h.dstlen, "255.255.255.255", 65535);
}
END_TEST

START_TEST(test_v1_tcp6)
{
	const char *line = "PROXY TCP6 2001:db8::1 ::1 1 8080\r\n";
	struct proxy_header h;

	ck_assert_int_eq(parse_str(line, &h), PROXY_DONE);
	ck_assert_int_eq(h.kind, PROXY_ADDRS);
	ck_assert_uint_eq(h.consumed, strlen(line));
	assert_addr(&h.src, h.srclen, "2001:db8::1", 1);
	assert_addr(&h.dst, h.dstlen, "::1", 8080);

	/* The longest text forms, and an IPv4-mapped one. */
	ck_assert_int_eq(parse_str("PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "::ffff:10.0.0.1 65535 65535\r\n", &h), PROXY_DONE);
	assert_addr(&h.src, h.srclen, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:"
	    "ffff", 65535);
	assert_addr(&h.dst, h.dstlen, "::ffff:10.0.0.1", 65535);
}
END_TEST

START_TEST(test_v1_unknown)
{
	static const char *const ok[] = {
		"PROXY UNKNOWN\r\n",
		"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY UNKNOWN whatever the sender had \x01\x7f\r\n",
	};
	struct proxy_header h;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(parse_str(ok[i], &h), PROXY_DONE);
		ck_assert_int_eq(h.kind, PROXY_UNKNOWN);
		ck_assert_uint_eq(h.consumed, strlen(ok[i]));
		ck_assert_uint_eq(h.srclen, 0);
	}
	expect_error_str("PROXY UNKNOWNX\r\n", "not TCP4, TCP6 or UNKNOWN");
}
END_TEST

/* "PROXY UNKNOWN fff...f\r\n", total bytes long, into line. */
static void
unknown_line(char *line, size_t total)
{
	size_t head = strlen("PROXY UNKNOWN ");

	memcpy(line, "PROXY UNKNOWN ", head);
	memset(line + head, 'f', total - head - 2);
	memcpy(line + total - 2, "\r\n", 3);
}

/* 107 bytes with the CRLF is the longest line; one more is an error. */
START_TEST(test_v1_max_length)
{
	struct proxy_header h;
	char line[200];

	unknown_line(line, PROXY_V1_MAX);
	ck_assert_uint_eq(strlen(line), PROXY_V1_MAX);
	ck_assert_int_eq(parse_str(line, &h), PROXY_DONE);
	ck_assert_uint_eq(h.consumed, PROXY_V1_MAX);

	/* The spec's own longest line. */
	ck_assert_int_eq(parse_str("PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", &h),
	    PROXY_DONE);
	ck_assert_uint_eq(h.consumed, PROXY_V1_MAX);

	/* 108: the CR is the 107th byte, so no LF fits.  Decided at 107. */
	unknown_line(line, PROXY_V1_MAX + 1);
	expect_more_until((const unsigned char *)line, PROXY_V1_MAX);
	expect_error((const unsigned char *)line, PROXY_V1_MAX,
	    "longer than 107");
	expect_error_str(line, "longer than 107");
}
END_TEST

START_TEST(test_v1_bad_fields)
{
	static const struct {
		const char	*line;
		const char	*why;
	} bad[] = {
		{ "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "not TCP4" },
		{ "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "not TCP4" },
		{ "PROXY \r\n", "not TCP4" },
		{ "PROXY TCP4\r\n", "not TCP4" },
		{ "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "not TCP4" },
		{ "PROXY TCP4 \r\n", "four fields" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "four fields" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "four fields" },
		{ "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "four fields" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "four fields" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n", "four fields" },
		{ "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "four fields" },
		{ "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n", "not an IPv4" },
		{ "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "not an IPv4" },
		{ "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "not an IPv4" },
		{ "PROXY TCP4 1.2.3.4 ::1 1 2\r\n", "not an IPv4" },
		{ "PROXY TCP4 host 5.6.7.8 1 2\r\n", "not an IPv4" },
		{ "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "not an IPv6" },
		{ "PROXY TCP6 ::1 2001:db8::g 1 2\r\n", "not an IPv6" },
		{ "PROXY TCP6 ::1 "
		  "0000:0000:0000:0000:0000:0000:0000:0000:0 1 2\r\n",
		  "not an IPv6" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "port" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", "port" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n", "port" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", "port" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", "port" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n", "port" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 123456 2\r\n", "port" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "LF without CR" },
		{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "CR without LF" },
		{ "PROXY UNKNOWN\n", "LF without CR" },
		{ "PROXY UNKNOWN\r\r\n", "CR without LF" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error_str(bad[i].line, bad[i].why);
}
END_TEST

/* A wrong signature byte is refused the moment it arrives. */
START_TEST(test_v1_bad_signature_early)
{
	static const char *const bad[] = {
		"X", "p", "PR0", "PROX ", "PROXY\r", "PROXYX", "proxy ",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error_str(bad[i], "no PROXY protocol signature");
	/* A frame header (4-byte length) is no header: refused at once. */
	expect_error((const unsigned char *)"\0\0\0\x05hello", 1,
	    "no PROXY protocol signature");
	expect_error((const unsigned char *)"\x01", 1, "signature");
}
END_TEST

/* --- v2 ----------------------------------------------------------------- */

/* PROXY over TCP4 and TCP6: every address and port field. */
START_TEST(test_v2_addrs)
{
	static const struct {
		int			 fam;
		const unsigned char	*addrs;
		size_t			 alen;
		const char		*src, *dst;
		unsigned		 sport, dport;
	} t[] = {
		{ FAM_TCP4, tcp4_addrs, sizeof(tcp4_addrs), "10.0.0.9",
		  "10.0.1.5", 5000, 8080 },
		{ FAM_TCP6, tcp6_addrs, sizeof(tcp6_addrs), "2001:db8::9",
		  "2001:db8::1:5", 65535, 1 },
	};
	unsigned char buf[64];
	struct proxy_header h;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = v2(buf, CMD_PROXY, t[i].fam, t[i].addrs, t[i].alen,
		    t[i].alen);
		ck_assert_uint_eq(n, 16 + t[i].alen);
		ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
		ck_assert_int_eq(h.version, 2);
		ck_assert_int_eq(h.kind, PROXY_ADDRS);
		ck_assert_uint_eq(h.consumed, n);
		assert_addr(&h.src, h.srclen, t[i].src, t[i].sport);
		assert_addr(&h.dst, h.dstlen, t[i].dst, t[i].dport);
	}
}
END_TEST

/* TLVs after the addresses are skipped, up to the 536-byte cap. */
START_TEST(test_v2_tlvs_and_cap)
{
	unsigned char buf[PROXY_V2_MAX + 64];
	struct proxy_header h;
	size_t n;

	n = v2(buf, CMD_PROXY, FAM_TCP4, tcp4_addrs, 12, 12 + 20);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
	ck_assert_uint_eq(h.consumed, 48);
	assert_addr(&h.src, h.srclen, "10.0.0.9", 5000);

	n = v2(buf, CMD_PROXY, FAM_TCP6, tcp6_addrs, 36, PROXY_V2_MAX - 16);
	ck_assert_uint_eq(n, PROXY_V2_MAX);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
	ck_assert_uint_eq(h.consumed, PROXY_V2_MAX);
	assert_addr(&h.src, h.srclen, "2001:db8::9", 65535);

	n = v2(buf, CMD_LOCAL, FAM_UNSPEC, NULL, 0, PROXY_V2_MAX - 16);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
	ck_assert_int_eq(h.kind, PROXY_LOCAL);
}
END_TEST

/* LOCAL: the balancer's own connection; whatever it carries is ignored. */
START_TEST(test_v2_local)
{
	static const int fams[] = {
		FAM_UNSPEC, FAM_TCP4, FAM_TCP6, FAM_UDP4, FAM_UDP6, FAM_UNIX,
		FAM_UNIX_DGRAM
	};
	unsigned char buf[64];
	struct proxy_header h;
	size_t i, n;

	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		n = v2(buf, CMD_LOCAL, fams[i], NULL, 0, 0);
		ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
		ck_assert_int_eq(h.kind, PROXY_LOCAL);
		ck_assert_uint_eq(h.consumed, 16);
		ck_assert_uint_eq(h.srclen, 0);
	}
	/* With addresses (shorter than the family needs, even). */
	n = v2(buf, CMD_LOCAL, FAM_TCP4, tcp4_addrs, 12, 12);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
	ck_assert_int_eq(h.kind, PROXY_LOCAL);
	ck_assert_uint_eq(h.consumed, 28);
	ck_assert_uint_eq(h.srclen, 0);
	n = v2(buf, CMD_LOCAL, FAM_TCP6, tcp6_addrs, 36, 5);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
	ck_assert_uint_eq(h.consumed, 21);

	/* PROXY with UNSPEC: use the real endpoints, like v1 UNKNOWN. */
	n = v2(buf, CMD_PROXY, FAM_UNSPEC, NULL, 0, 0);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
	ck_assert_int_eq(h.kind, PROXY_UNKNOWN);
	n = v2(buf, CMD_PROXY, FAM_UNSPEC, tcp4_addrs, 12, 12);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_DONE);
	ck_assert_int_eq(h.kind, PROXY_UNKNOWN);
	ck_assert_uint_eq(h.consumed, 28);
}
END_TEST

/* Each signature byte, wrong, is refused when it arrives. */
START_TEST(test_v2_bad_signature)
{
	unsigned char buf[64];
	size_t i, n;

	for (i = 1; i < sizeof(sig); i++) {
		n = v2(buf, CMD_PROXY, FAM_TCP4, tcp4_addrs, 12, 12);
		buf[i] ^= 0x20;
		expect_more_until(buf, i);
		expect_error(buf, i + 1, "no PROXY protocol signature");
		expect_error(buf, n, "no PROXY protocol signature");
	}
}
END_TEST

START_TEST(test_v2_bad_version_command_family)
{
	static const int bad_cmd[] = {
		0x00, 0x01, 0x10, 0x11, 0x30, 0x31, 0xF1, 0x22, 0x2F
	};
	static const int bad_fam[] = {
		0x01, 0x02, 0x10, 0x13, 0x20, 0x23, 0x30, 0x33, 0x40, 0x41,
		0xFF
	};
	unsigned char buf[PROXY_V2_MAX];
	size_t i, n;

	for (i = 0; i < sizeof(bad_cmd) / sizeof(bad_cmd[0]); i++) {
		n = v2(buf, bad_cmd[i], FAM_TCP4, tcp4_addrs, 12, 12);
		expect_more_until(buf, 12);
		expect_error(buf, 13, (bad_cmd[i] >> 4) != 2 ? "version" :
		    "command");
		expect_error(buf, n, "v2");
	}
	for (i = 0; i < sizeof(bad_fam) / sizeof(bad_fam[0]); i++) {
		n = v2(buf, CMD_PROXY, bad_fam[i], tcp4_addrs, 12, 12);
		expect_more_until(buf, 13);
		expect_error(buf, 14, "undefined");
		n = v2(buf, CMD_LOCAL, bad_fam[i], NULL, 0, 0);
		expect_error(buf, n, "undefined");
	}
	/* Defined, but not a TCP connection. */
	n = v2(buf, CMD_PROXY, FAM_UDP4, tcp4_addrs, 12, 12);
	expect_error(buf, 14, "not TCP");
	n = v2(buf, CMD_PROXY, FAM_UDP6, tcp6_addrs, 36, 36);
	expect_error(buf, n, "not TCP");
	n = v2(buf, CMD_PROXY, FAM_UNIX, NULL, 0, 216);
	expect_error(buf, n, "not TCP");
	n = v2(buf, CMD_PROXY, FAM_UNIX_DGRAM, NULL, 0, 216);
	expect_error(buf, n, "not TCP");
}
END_TEST

/* Every length too short for the addresses, and past the cap. */
START_TEST(test_v2_bad_lengths)
{
	static const size_t too_long[] = {
		PROXY_V2_MAX - 16 + 1, 1000, 4096, 65535
	};
	unsigned char buf[PROXY_V2_MAX + 64];
	size_t len;

	for (len = 0; len < 12; len++) {
		(void)v2(buf, CMD_PROXY, FAM_TCP4, tcp4_addrs, 12, len);
		expect_more_until(buf, 16);
		expect_error(buf, 16, "too short");
		expect_error(buf, 16 + len, "too short");
	}
	for (len = 0; len < 36; len++) {
		(void)v2(buf, CMD_PROXY, FAM_TCP6, tcp6_addrs, 36, len);
		expect_error(buf, 16, "too short");
	}
	for (len = 0; len < sizeof(too_long) / sizeof(too_long[0]); len++) {
		/* Only the fixed part is written: the length is enough. */
		(void)v2(buf, CMD_PROXY, FAM_TCP4, tcp4_addrs, 12, 0);
		buf[14] = (unsigned char)(too_long[len] >> 8);
		buf[15] = (unsigned char)too_long[len];
		expect_more_until(buf, 16);
		expect_error(buf, 16, "longer than 536");
		buf[12] = CMD_LOCAL;
		expect_error(buf, 16, "longer than 536");
	}
}
END_TEST

/* --- Splits and what follows -------------------------------------------- */

/* The valid headers of every kind, built once per test. */
struct sample {
	unsigned char	buf[PROXY_V2_MAX];
	size_t		len;
	enum proxy_kind	kind;
};

static size_t
samples(struct sample *s)
{
	static const char *const v1[] = {
		"PROXY TCP4 192.168.0.1 10.0.0.5 56324 443\r\n",
		"PROXY TCP6 2001:db8::1 ::1 1 8080\r\n",
		"PROXY UNKNOWN\r\n",
		"PROXY UNKNOWN ::1 ::2 3 4\r\n",
	};
	static const struct {
		int			 cmd, fam;
		const unsigned char	*addrs;
		size_t			 alen, len;
		enum proxy_kind		 kind;
	} v2s[] = {
		{ CMD_PROXY, FAM_TCP4, tcp4_addrs, 12, 12, PROXY_ADDRS },
		{ CMD_PROXY, FAM_TCP6, tcp6_addrs, 36, 36, PROXY_ADDRS },
		{ CMD_PROXY, FAM_TCP4, tcp4_addrs, 12, 40, PROXY_ADDRS },
		{ CMD_LOCAL, FAM_UNSPEC, NULL, 0, 0, PROXY_LOCAL },
		{ CMD_LOCAL, FAM_TCP4, tcp4_addrs, 12, 12, PROXY_LOCAL },
		{ CMD_PROXY, FAM_UNSPEC, NULL, 0, 0, PROXY_UNKNOWN },
		{ CMD_PROXY, FAM_TCP6, tcp6_addrs, 36, PROXY_V2_MAX - 16,
		  PROXY_ADDRS },
	};
	size_t n = 0, i;

	for (i = 0; i < sizeof(v1) / sizeof(v1[0]); i++, n++) {
		s[n].len = strlen(v1[i]);
		memcpy(s[n].buf, v1[i], s[n].len);
		s[n].kind = strstr(v1[i], "UNKNOWN") ? PROXY_UNKNOWN :
		    PROXY_ADDRS;
	}
	for (i = 0; i < sizeof(v2s) / sizeof(v2s[0]); i++, n++) {
		s[n].len = v2(s[n].buf, v2s[i].cmd, v2s[i].fam, v2s[i].addrs,
		    v2s[i].alen, v2s[i].len);
		s[n].kind = v2s[i].kind;
	}
	return n;
}

#define SAMPLES_MAX	16

START_TEST(test_every_split)
{
	struct sample s[SAMPLES_MAX];
	struct proxy_header h;
	size_t n, i;

	n = samples(s);
	for (i = 0; i < n; i++) {
		expect_more_until(s[i].buf, s[i].len);
		ck_assert_int_eq(proxy_parse(s[i].buf, s[i].len, &h),
		    PROXY_DONE);
		ck_assert_uint_eq(h.consumed, s[i].len);
		ck_assert_int_eq(h.kind, s[i].kind);
	}
}
END_TEST

/* What follows the header is the connection's data: never consumed. */
START_TEST(test_bytes_after_header)
{
	static const unsigned char frame[9] = { 0, 0, 0, 5, 'h', 'e', 'l',
	    'l', 'o' };
	struct sample s[SAMPLES_MAX];
	unsigned char buf[PROXY_V2_MAX + sizeof(frame) * 2];
	struct proxy_header h;
	size_t n, i, extra;

	n = samples(s);
	for (i = 0; i < n; i++) {
		for (extra = 1; extra <= sizeof(frame) * 2; extra++) {
			memcpy(buf, s[i].buf, s[i].len);
			memcpy(buf + s[i].len, frame, sizeof(frame));
			memcpy(buf + s[i].len + sizeof(frame), frame,
			    sizeof(frame));
			ck_assert_int_eq(proxy_parse(buf, s[i].len + extra,
			    &h), PROXY_DONE);
			ck_assert_uint_eq(h.consumed, s[i].len);
		}
	}
	/* A second header right after the first is data, not parsed. */
	memcpy(buf, s[0].buf, s[0].len);
	memcpy(buf + s[0].len, s[1].buf, s[1].len);
	ck_assert_int_eq(proxy_parse(buf, s[0].len + s[1].len, &h),
	    PROXY_DONE);
	ck_assert_uint_eq(h.consumed, s[0].len);
}
END_TEST

static Suite *
proxy_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("proxy");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_v1_tcp4);
	tcase_add_test(tc, test_v1_tcp6);
	tcase_add_test(tc, test_v1_unknown);
	tcase_add_test(tc, test_v1_max_length);
	tcase_add_test(tc, test_v2_addrs);
	tcase_add_test(tc, test_v2_tlvs_and_cap);
	tcase_add_test(tc, test_v2_local);
	suite_add_tcase(s, tc);

	tc = tcase_create("Bad");
	tcase_add_test(tc, test_v1_bad_fields);
	tcase_add_test(tc, test_v1_bad_signature_early);
	tcase_add_test(tc, test_v2_bad_signature);
	tcase_add_test(tc, test_v2_bad_version_command_family);
	tcase_add_test(tc, test_v2_bad_lengths);
	suite_add_tcase(s, tc);

	tc = tcase_create("Splits");
	tcase_add_test(tc, test_every_split);
	tcase_add_test(tc, test_bytes_after_header);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(proxy_suite());
}
