/*
 * check_cidr.c - unit tests for the --proxy-from allowlist (cidr.c).
 *
 * Parse: every accepted form, every rejected one with its message, and a
 *        failed add leaves the list as it was.
 * Match: network edges for IPv4 and IPv6, IPv4-mapped IPv6 on either
 *        side, and every prefix length.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "testutil.h"

/* A list from s, which must parse. */
static void
list_of(struct cidr_list *l, const char *s)
{
	char err[160];

	memset(l, 0, sizeof(*l));
	ck_assert_msg(cidr_list_add(l, s, err, sizeof(err)) == 0,
	    "'%s' rejected: %s", s, err);
}

/* s must be rejected with a message containing why; l must not change. */
static void
expect_bad(const char *s, const char *why)
{
	struct cidr_list l, before;
	char err[160];

	list_of(&l, "192.0.2.1");
	before = l;
	err[0] = '\0';
	ck_assert_msg(cidr_list_add(&l, s, err, sizeof(err)) == -1,
	    "'%s' accepted", s);
	ck_assert_msg(strstr(err, why) != NULL, "'%s': message \"%s\", "
	    "expected \"%s\"", s, err, why);
	ck_assert_int_eq(memcmp(&l, &before, sizeof(l)), 0);
}

/* Does the list l match the address text (IPv4 or IPv6)? */
static bool
matches(const struct cidr_list *l, const char *text)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, text, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(1234);
		return cidr_list_match(l, (struct sockaddr *)&sin,
		    sizeof(sin));
	}
	ck_assert_msg(inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1,
	    "bad test address %s", text);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(1234);
	return cidr_list_match(l, (struct sockaddr *)&sin6, sizeof(sin6));
}

/* --- Parse -------------------------------------------------------------- */

START_TEST(test_parse_forms)
{
	struct cidr_list l;

	list_of(&l, "10.0.0.0/8");
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.net[0].family, AF_INET);
	ck_assert_uint_eq(l.net[0].prefix, 8);
	ck_assert_uint_eq(l.net[0].addr[0], 10);

	/* A bare address is one host. */
	list_of(&l, "10.0.1.1,2001:db8::1");
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.net[0].prefix, 32);
	ck_assert_int_eq(l.net[1].family, AF_INET6);
	ck_assert_uint_eq(l.net[1].prefix, 128);

	list_of(&l, "0.0.0.0/0,::/0,2001:db8::/32,192.168.1.128/25");
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.net[0].prefix, 0);
	ck_assert_uint_eq(l.net[1].prefix, 0);
	ck_assert_uint_eq(l.net[2].prefix, 32);
	ck_assert_uint_eq(l.net[3].prefix, 25);

	/* IPv4-mapped networks are stored as IPv4. */
	list_of(&l, "::ffff:10.0.0.0/104");
	ck_assert_int_eq(l.net[0].family, AF_INET);
	ck_assert_uint_eq(l.net[0].prefix, 8);
	ck_assert_uint_eq(l.net[0].addr[0], 10);
	list_of(&l, "::ffff:10.1.2.3");
	ck_assert_int_eq(l.net[0].family, AF_INET);
	ck_assert_uint_eq(l.net[0].prefix, 32);
}
END_TEST

/* Adding again appends: --proxy-from given twice means both. */
START_TEST(test_parse_appends)
{
	struct cidr_list l;
	char err[160];
	int i;

	list_of(&l, "10.0.0.1");
	ck_assert_int_eq(cidr_list_add(&l, "10.0.0.2,10.0.0.3", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert(matches(&l, "10.0.0.1"));
	ck_assert(matches(&l, "10.0.0.3"));

	/* Up to CIDR_LIST_MAX, and not one more. */
	memset(&l, 0, sizeof(l));
	for (i = 0; i < CIDR_LIST_MAX; i++) {
		char item[32];

		snprintf(item, sizeof(item), "10.0.%d.0/24", i);
		ck_assert_int_eq(cidr_list_add(&l, item, err, sizeof(err)), 0);
	}
	ck_assert_uint_eq(l.n, CIDR_LIST_MAX);
	ck_assert_int_eq(cidr_list_add(&l, "10.1.0.0/16", err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 32 networks"));
	ck_assert_uint_eq(l.n, CIDR_LIST_MAX);
}
END_TEST

START_TEST(test_parse_bad)
{
	expect_bad("10.0.0.0/33", "prefix length 33 in '10.0.0.0/33' is more "
	    "than 32");
	expect_bad("2001:db8::/129", "prefix length 129 in '2001:db8::/129' is "
	    "more than 128");
	expect_bad("10.0.0.0/", "is not a prefix length");
	expect_bad("10.0.0.0/-1", "is not a prefix length");
	expect_bad("10.0.0.0/+8", "is not a prefix length");
	expect_bad("10.0.0.0/08", "is not a prefix length");
	expect_bad("10.0.0.0/8x", "is not a prefix length");
	expect_bad("10.0.0.0/1000", "is not a prefix length");
	expect_bad("10.0.0.0/8/8", "is not a prefix length");
	expect_bad("10.0.0.1/8", "'10.0.0.1/8' has bits set past its prefix "
	    "length: the network is 10.0.0.0/8");
	expect_bad("2001:db8::1/32", "the network is 2001:db8::/32");
	expect_bad("192.168.1.129/25", "the network is 192.168.1.128/25");
	expect_bad("", "an empty item");
	expect_bad("10.0.0.1,", "an empty item");
	expect_bad(",10.0.0.1", "an empty item");
	expect_bad("10.0.0.1,,10.0.0.2", "an empty item");
	expect_bad("10.0.0.1, 10.0.0.2", "' 10.0.0.2' is not an IPv4 or IPv6");
	expect_bad("10.0.0", "'10.0.0' is not an IPv4 or IPv6 address");
	expect_bad("256.0.0.0/8", "'256.0.0.0' is not");
	expect_bad("lb.example.com", "is not an IPv4 or IPv6 address");
	expect_bad("10.0.0.1,bogus", "'bogus' is not");
	expect_bad("fe80::1%eth0", "is not an IPv4 or IPv6 address");
	expect_bad("1111:2222:3333:4444:5555:6666:7777:8888:9999/128/xxxxxxx"
	    "xxxxxxxxxxx", "is not an address or network");
}
END_TEST

/* --- Match -------------------------------------------------------------- */

/*
 * Network edges, IPv4 and IPv6, and the IPv4-mapped form a socket bound
 * to :: gives IPv4 peers (::ffff:a.b.c.d).
 */
START_TEST(test_match)
{
	static const struct {
		const char	*list;
		const char	*peer;
		bool		 in;
	} t[] = {
		{ "10.0.1.1,192.168.8.0/21", "10.0.1.1", true },
		{ "10.0.1.1,192.168.8.0/21", "10.0.1.2", false },
		{ "10.0.1.1,192.168.8.0/21", "10.0.1.0", false },
		{ "10.0.1.1,192.168.8.0/21", "192.168.8.0", true },
		{ "10.0.1.1,192.168.8.0/21", "192.168.15.255", true },
		{ "10.0.1.1,192.168.8.0/21", "192.168.16.0", false },
		{ "10.0.1.1,192.168.8.0/21", "192.168.7.255", false },
		/* An IPv4 network never matches a native IPv6 peer. */
		{ "10.0.1.1,192.168.8.0/21", "::a00:101", false },
		{ "10.0.1.1,192.168.8.0/21", "2001:db8::1", false },
		{ "0.0.0.0/0", "0.0.0.0", true },
		{ "0.0.0.0/0", "255.255.255.255", true },
		{ "0.0.0.0/0", "::1", false },
		{ "2001:db8:1::/48,::1", "2001:db8:1::", true },
		{ "2001:db8:1::/48,::1", "2001:db8:1:ffff:ffff:ffff:ffff:ffff",
		  true },
		{ "2001:db8:1::/48,::1", "2001:db8:2::", false },
		{ "2001:db8:1::/48,::1", "2001:db8:0:ffff::", false },
		{ "2001:db8:1::/48,::1", "::1", true },
		{ "2001:db8:1::/48,::1", "::2", false },
		{ "2001:db8:1::/48,::1", "127.0.0.1", false },
		/* ::/0 is IPv6 only: an IPv4 peer needs 0.0.0.0/0. */
		{ "::/0", "ffff::", true },
		{ "::/0", "10.0.0.1", false },
		{ "::/0", "::ffff:10.0.0.1", false },
		{ "10.0.0.0/8", "::ffff:10.1.2.3", true },
		{ "10.0.0.0/8", "::ffff:11.1.2.3", false },
		{ "::ffff:10.0.0.0/104", "10.1.2.3", true },
		{ "::ffff:10.0.0.0/104", "::ffff:10.1.2.3", true },
		{ "::ffff:10.0.0.0/104", "11.0.0.0", false },
		/* Below /96 the prefix covers more than the mapped range. */
		{ "::/80", "::1", true },
		{ "::/80", "::ffff:10.1.2.3", false },
	};
	struct cidr_list l;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		list_of(&l, t[i].list);
		ck_assert_msg(matches(&l, t[i].peer) == t[i].in, "%s %s %s",
		    t[i].list, t[i].in ? "should match" : "should not match",
		    t[i].peer);
	}
}
END_TEST

/* Every prefix length on both sides of the network's edge. */
START_TEST(test_match_every_prefix)
{
	struct cidr_list l;
	char item[64], in[32], out[32];
	unsigned p, a, host;

	for (p = 1; p <= 32; p++) {
		/* The network of p one-bits: its edge is the last of them. */
		a = p == 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> p);
		snprintf(item, sizeof(item), "%u.%u.%u.%u/%u", a >> 24,
		    (a >> 16) & 255, (a >> 8) & 255, a & 255, p);
		list_of(&l, item);
		host = p == 32 ? a : a | (0xFFFFFFFFu >> p);
		snprintf(in, sizeof(in), "%u.%u.%u.%u", host >> 24,
		    (host >> 16) & 255, (host >> 8) & 255, host & 255);
		ck_assert_msg(matches(&l, in), "%s should match %s", item,
		    in);
		/* Flip the last network bit: outside. */
		host = a ^ (1u << (32 - p));
		snprintf(out, sizeof(out), "%u.%u.%u.%u", host >> 24,
		    (host >> 16) & 255, (host >> 8) & 255, host & 255);
		ck_assert_msg(!matches(&l, out), "%s should not match %s",
		    item, out);
	}
	for (p = 1; p <= 128; p++) {
		struct cidr_list l6;
		unsigned char addr[16];
		char text[INET6_ADDRSTRLEN];

		memset(addr, 0, sizeof(addr));
		addr[(p - 1) / 8] = (unsigned char)(0x80 >> ((p - 1) % 8));
		inet_ntop(AF_INET6, addr, text, sizeof(text));
		snprintf(item, sizeof(item), "%s/%u", text, p);
		list_of(&l6, item);
		ck_assert_msg(matches(&l6, text), "%s should match itself",
		    item);
		addr[(p - 1) / 8] = 0;
		inet_ntop(AF_INET6, addr, text, sizeof(text));
		if (p <= 96 || strncmp(text, "::ffff:", 7) != 0)
			ck_assert_msg(!matches(&l6, text), "%s should not "
			    "match %s", item, text);
	}
}
END_TEST

START_TEST(test_match_empty_and_odd)
{
	struct cidr_list l;
	struct sockaddr sa;

	memset(&l, 0, sizeof(l));
	ck_assert(!matches(&l, "10.0.0.1"));
	ck_assert(!matches(&l, "::1"));
	/* A family it does not know, or a short address, never matches. */
	list_of(&l, "0.0.0.0/0,::/0");
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	ck_assert(!cidr_list_match(&l, &sa, sizeof(sa)));
	sa.sa_family = AF_INET6;
	ck_assert(!cidr_list_match(&l, &sa, sizeof(sa)));
}
END_TEST

static Suite *
cidr_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("cidr");

	tc = tcase_create("Parse");
	tcase_add_test(tc, test_parse_forms);
	tcase_add_test(tc, test_parse_appends);
	tcase_add_test(tc, test_parse_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("Match");
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_match_every_prefix);
	tcase_add_test(tc, test_match_empty_and_odd);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(cidr_suite());
}
