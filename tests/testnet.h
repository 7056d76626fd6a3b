/*
 * testnet.h - test helpers that need no Check: time, sockets, pseudorandom
 * data, frames, and the hostile clients' routines.
 *
 * The Check suites get these through testutil.h; soak_client, which must
 * build where Check is not installed, includes this header alone.  Nothing
 * here aborts or asserts: failures come back as -1 (errno set), false or a
 * short count, for the caller to judge.  Every wait is bounded by a
 * timeout or by the caller's stop flag, and all of it is safe to call
 * from any thread.
 */
#ifndef TESTNET_H
#define TESTNET_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock (clock.h). */
uint64_t tn_now_ms(void);
/* Sleep ms milliseconds, resuming after signals. */
void	tn_sleep_ms(int ms);

/*
 * One step of xorshift64 (Marsaglia, shifts 13, 7, 17): the one generator
 * of test data here, reproducible from its seed.  *state must not be 0.
 * Inline, so that suites which link nothing else need not link this.
 */
static inline uint64_t
tn_xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* Fill buf with n pseudorandom bytes from seed (any value, 0 too). */
void	tn_fill_random(void *buf, size_t n, uint64_t seed);
/* Write a frame (header, then payload[0..len)) to dst; returns its size. */
size_t	tn_put_frame(unsigned char *dst, const void *payload, uint32_t len);

/*
 * cap bytes of garbage from seed, for a server whose --max-frame is
 * max_frame (no header made on purpose announces more):
 *   kind 0  uniformly random bytes;
 *   kind 1  mostly valid frames of random small lengths, with a few random
 *           bytes slipped in now and then (framing lost from there on);
 *   kind 2  valid frames of random lengths (up to 48 KiB), the last one cut
 *           off by the end of the stream.
 * What the server makes of it is what msgframe_scan() says.  Returns cap.
 */
size_t	tn_make_garbage(unsigned char *buf, size_t cap, uint64_t seed,
	    int kind, uint32_t max_frame);

/* The whole of a file, NUL-terminated (free it); NULL if it cannot be
 * read.  The length goes to *lenp unless lenp is NULL. */
char	*tn_read_file(const char *path, size_t *lenp);
/* The value of the whole word "key=N" in a stats line, or -1. */
long	tn_stat_value(const char *line, const char *key);

/*
 * A blocking TCP connection to sa with TCP_NODELAY and timeout_ms as
 * SO_RCVTIMEO/SO_SNDTIMEO (which on Linux bound connect() too), or -1
 * with errno set.
 */
int	tn_connect_addr(const struct sockaddr *sa, socklen_t salen,
	    int timeout_ms);
/* Same to 127.0.0.1:port, with 10 s timeouts. */
int	tn_try_connect(int port);
void	tn_set_nonblock(int fd);
/* Close with SO_LINGER {1, 0}: the peer sees a reset. */
void	tn_close_reset(int fd);
/*
 * Wait up to timeout_ms for the peer to close fd: true on end of stream or
 * reset, false while it is still open or if poll(2) fails (data read
 * meanwhile is discarded).
 */
bool	tn_wait_closed(int fd, int timeout_ms);

/*
 * For hostile clients, which expect to be cut off.  stop, when not NULL,
 * ends the call early once it is set (checked between system calls).
 *
 * tn_send_tolerant: write what the peer lets us; the peer closing or
 * resetting ends the write quietly, and so does a send timeout (EAGAIN)
 * once timeout_ms has passed.  Returns the bytes written.
 */
size_t	tn_send_tolerant(int fd, const void *buf, size_t len, int timeout_ms,
	    const atomic_bool *stop);
/* Read into buf until the peer closes, cap bytes arrived or timeout_ms
 * passed; returns the bytes read. */
size_t	tn_read_until_closed(int fd, void *buf, size_t cap, int timeout_ms,
	    const atomic_bool *stop);
/*
 * End a connection the way a storm of clients does, by way % 4: closed at
 * once, reset at once, closed after half a header, reset inside a
 * payload.  fd is closed in every case.
 */
void	tn_drop(int fd, unsigned way);

#endif /* TESTNET_H */
