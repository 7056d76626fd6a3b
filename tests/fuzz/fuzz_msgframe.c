/*
 * fuzz_msgframe.c - libFuzzer target for libmsgframe's frame decoding.
 *
 * The input is a byte stream as a peer might send it.  Two decoders read
 * it and must agree with each other and with the protocol:
 *   - msgframe_scan(), the zero-copy parser the daemon runs on every read,
 *     under several limits;
 *   - msgframe_recv(), the blocking reader, fed the same bytes through a
 *     pipe.
 * Any disagreement, out-of-bounds access (ASan) or undefined behaviour
 * (UBSan) is a finding.  Build: CC=clang ./configure --enable-fuzzing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "msgframe.h"

/* Walk the frames by hand: the reference scan() must match. */
static void
check_scan(const uint8_t *data, size_t size, uint32_t max)
{
	struct msgframe_scan sc;
	size_t off = 0, frames = 0;
	uint32_t len;
	int rc;

	rc = msgframe_scan(data, size, max, &sc);
	for (;;) {
		if (size - off < MSGFRAME_HEADER_SIZE)
			break;
		len = msgframe_decode_header(data + off);
		if (len > max) {
			check(rc == -1 && errno == EMSGSIZE);
			check(sc.has_next && sc.next_len == len);
			break;
		}
		if (size - off - MSGFRAME_HEADER_SIZE < len) {
			check(rc == 0 && sc.has_next && sc.next_len == len);
			break;
		}
		off += MSGFRAME_HEADER_SIZE + len;
		frames++;
	}
	check(sc.complete == off && sc.frames == frames);
	if (size - off < MSGFRAME_HEADER_SIZE)
		check(rc == 0 && !sc.has_next);
}

/* The blocking reader over a pipe must see the same frames. */
static void
check_recv(const uint8_t *data, size_t size, uint32_t max)
{
	static unsigned char buf[65536];
	struct msgframe_scan sc;
	size_t off = 0, len;
	int fds[2], rc;

	/* A pipe holds 64 KiB: larger inputs would block the writer. */
	if (size > 60000 || pipe(fds) == -1)
		return;
	if (size > 0 && write(fds[1], data, size) != (ssize_t)size)
		abort();
	close(fds[1]);
	if (max > sizeof(buf))
		max = sizeof(buf);
	(void)msgframe_scan(data, size, max, &sc);
	for (;;) {
		rc = msgframe_recv(fds[0], buf, max, &len);
		if (rc != 1)
			break;
		check(off + MSGFRAME_HEADER_SIZE + len <= size);
		check(memcmp(buf, data + off + MSGFRAME_HEADER_SIZE, len) == 0);
		off += MSGFRAME_HEADER_SIZE + len;
	}
	check(off == sc.complete);
	if (rc == 0)
		check(off == size);
	else if (errno == EMSGSIZE)
		check(sc.has_next && len == sc.next_len && len > max);
	else
		check(errno == EPROTO && off < size);
	close(fds[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t limits[] = { 0, 1, 16, 1024, 65536, UINT32_MAX };
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		check_scan(data, size, limits[i]);
	check_recv(data, size, 1024);
	return 0;
}
