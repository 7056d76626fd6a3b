/*
 * msgframe.h - the msgserverd framing protocol, for servers and clients.
 *
 * Wire format: a frame is a 4-byte unsigned big-endian payload length N
 * followed by N payload bytes.  N = 0 is a valid (empty) frame.  Payloads are
 * opaque bytes.  A peer that announces more than the receiver's limit gets the
 * connection closed; see doc/protocol.txt and msgframe(3).
 *
 * Every call here is thread-safe (no shared state), never allocates, never
 * logs, never exits and never raises SIGPIPE.  Calls that do I/O return -1
 * with errno set on failure; msgframe_strerror() describes the errno values
 * that are specific to this protocol.
 */
#ifndef MSGFRAME_H
#define MSGFRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MSGFRAME_BUILDING) && defined(__GNUC__)
#define MSGFRAME_API __attribute__((visibility("default")))
#else
#define MSGFRAME_API
#endif

/* Size of the length prefix, in bytes. */
#define MSGFRAME_HEADER_SIZE 4

/* Store len as a big-endian length prefix in hdr[0..3]. */
MSGFRAME_API void msgframe_encode_header(unsigned char hdr[MSGFRAME_HEADER_SIZE],
    uint32_t len);

/* Read the payload length from a big-endian prefix. */
MSGFRAME_API uint32_t msgframe_decode_header(
    const unsigned char hdr[MSGFRAME_HEADER_SIZE]);

/*
 * Send one frame: header and payload leave through a single sendmsg(2)
 * (writev(2) when fd is not a socket), so they are never split into two
 * small segments.  Loops over short writes and EINTR.  Never raises SIGPIPE,
 * for sockets and pipes alike.  payload may be NULL when len is 0.
 * Returns 0, or -1 with errno set (EPIPE, ECONNRESET, EAGAIN on a timeout set
 * with SO_SNDTIMEO or a non-blocking fd, ...).  After a failure the stream
 * may hold part of the frame: close it.
 */
MSGFRAME_API int msgframe_send(int fd, const void *payload, uint32_t len);

/*
 * Receive one whole frame into buf (cap bytes).  Loops over short reads and
 * EINTR.  Returns:
 *    1  a frame was read; *len is its payload length (0 for an empty frame);
 *    0  the stream ended cleanly at a frame boundary (no byte of a new frame);
 *   -1  errno is EMSGSIZE when the header announces more than cap (nothing
 *       more than the header was read, nothing allocated; *len holds the
 *       announced length so the caller can report it), EPROTO when the stream
 *       ends inside a header or payload, or the error of read(2) itself
 *       (ECONNRESET, EAGAIN on an SO_RCVTIMEO timeout, ...).
 * buf may be NULL when cap is 0.
 */
MSGFRAME_API int msgframe_recv(int fd, void *buf, size_t cap, size_t *len);

/*
 * A description of err: for EMSGSIZE and EPROTO the protocol's meaning
 * ("frame larger than the receiver accepts", "stream ended inside a
 * frame"), for anything else strerror(3)'s text.  The string is static.
 */
MSGFRAME_API const char *msgframe_strerror(int err);

/*
 * Write exactly n bytes / read exactly n bytes, looping over short
 * transfers and EINTR.  write_full never raises SIGPIPE on sockets.
 * read_full returns n, or a smaller count when the stream ended early
 * (0 = ended before the first byte), or -1 with errno set.
 * write_full returns 0 or -1 with errno set.
 */
MSGFRAME_API ssize_t msgframe_read_full(int fd, void *buf, size_t n);
MSGFRAME_API int msgframe_write_full(int fd, const void *buf, size_t n);

/*
 * Scan a byte buffer for whole frames without copying them: the parser that
 * a buffered reader (or a server that echoes many frames per read) uses.
 * On return:
 *   scan->complete  bytes at the start of buf that form whole frames;
 *   scan->frames    how many frames those bytes hold;
 *   scan->has_next  1 when the bytes after `complete` hold the whole header
 *                   of the next, incomplete, frame;
 *   scan->next_len  that frame's announced payload length (when has_next).
 * Returns 0, or -1 with errno = EMSGSIZE when the next frame's header
 * announces more than max; `complete` and `frames` still describe the whole
 * frames before it.  Never reads past buf[len - 1].
 */
struct msgframe_scan {
	size_t		complete;
	size_t		frames;
	int		has_next;
	uint32_t	next_len;
};

MSGFRAME_API int msgframe_scan(const void *buf, size_t len, uint32_t max,
    struct msgframe_scan *scan);

#ifdef __cplusplus
}
#endif

#endif /* MSGFRAME_H */
