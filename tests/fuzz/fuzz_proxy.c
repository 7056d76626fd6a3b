/*
 * fuzz_proxy.c - libFuzzer target for the PROXY protocol parser (proxy.c).
 *
 * The input is what a peer might send first.  proxy_parse() is given
 * every prefix of it, as reads would deliver it, and the answers must
 * tell one consistent story: PROXY_MORE for a while, then either
 * PROXY_DONE with the same header at every longer prefix, or PROXY_ERROR
 * from then on.  Never PROXY_MORE at or past the header bounds, never a
 * header longer than the bytes given.  Any out-of-bounds access (ASan) or
 * undefined behaviour (UBSan) is a finding too.
 * Build: CC=clang ./configure --enable-fuzzing.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proxy.h"

/* A DONE answer is well formed, and the same as the first one. */
static void
check_done(const struct proxy_header *h, const struct proxy_header *first,
    size_t len)
{
	check(h->consumed > 0 && h->consumed <= len);
	check(h->consumed <= (h->version == 1 ? PROXY_V1_MAX : PROXY_V2_MAX));
	check(h->error == NULL);
	if (h->kind == PROXY_ADDRS) {
		check(h->src.ss_family == AF_INET ||
		    h->src.ss_family == AF_INET6);
		check(h->src.ss_family == h->dst.ss_family);
		check(h->srclen > 0 && h->srclen == h->dstlen);
	} else
		check(h->kind == PROXY_LOCAL || h->kind == PROXY_UNKNOWN);
	if (first != NULL)
		check(h->consumed == first->consumed &&
		    h->kind == first->kind && h->version == first->version &&
		    memcmp(&h->src, &first->src, sizeof(h->src)) == 0 &&
		    memcmp(&h->dst, &first->dst, sizeof(h->dst)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h, first;
	enum proxy_status st, prev = PROXY_MORE;
	size_t k, limit;

	memset(&first, 0, sizeof(first));

	/* Past the longest header every answer is decided. */
	limit = size < PROXY_MAX_HEADER + 8 ? size : PROXY_MAX_HEADER + 8;
	for (k = 0; k <= limit; k++) {
		st = proxy_parse(data, k, &h);
		switch (st) {
		case PROXY_MORE:
			check(prev == PROXY_MORE);
			check(k < (h.version == 1 ? PROXY_V1_MAX :
			    PROXY_V2_MAX));
			break;
		case PROXY_DONE:
			check(prev != PROXY_ERROR);
			check_done(&h, prev == PROXY_DONE ? &first : NULL, k);
			if (prev == PROXY_MORE) {
				first = h;
				check(first.consumed == k);
			}
			break;
		case PROXY_ERROR:
			check(prev != PROXY_DONE);
			check(h.error != NULL && h.error[0] != '\0');
			break;
		default:
			abort();
		}
		prev = st;
	}
	/* The whole input answers as its longest prefix checked did. */
	check(proxy_parse(data, size, &h) == prev);
	return 0;
}
