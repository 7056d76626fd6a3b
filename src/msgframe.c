/*
 * msgframe.c - the msgserverd framing protocol: a 4-byte big-endian payload
 * length followed by that many payload bytes.  See msgframe.h (the
 * contract), msgframe(3) and doc/protocol.txt.
 *
 * Design notes:
 *   - No state, no allocation, no logging: every call works on its
 *     arguments and the descriptor only, so the library is thread-safe
 *     without locks and can be linked into anything.
 *   - SIGPIPE is never raised.  Sockets get MSG_NOSIGNAL.  Other
 *     descriptors (pipes, FIFOs) have no such flag, so the write runs with
 *     SIGPIPE blocked in the calling thread and a SIGPIPE the write itself
 *     raised is taken back with sigtimedwait(2) before the mask is restored
 *     (the "sigpipe trick" libcurl uses).  Changing the process-wide
 *     disposition instead would race with the caller's other threads.
 *   - Header and payload of a frame leave in one sendmsg(2): two send(2)
 *     calls would put two segments on the wire and, with Nagle's algorithm
 *     on, stall the second behind the peer's delayed ACK.
 *   - Internal code calls the static helpers, never the exported names,
 *     so no call goes through the PLT or can be interposed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msgframe.h"

/*
 * Systems without MSG_NOSIGNAL (older macOS) send through the
 * signal-masking path for sockets too: slower, but never a SIGPIPE.
 */
#ifdef MSG_NOSIGNAL
#define HAVE_MSG_NOSIGNAL	1
#else
#define HAVE_MSG_NOSIGNAL	0
#define MSG_NOSIGNAL		0
#endif

static inline uint32_t	get_be32(const unsigned char *);
static inline void	put_be32(unsigned char *, uint32_t);
static void		iov_advance(struct iovec **, int *, size_t);
static int		writev_nosigpipe(int, struct iovec *, int);
static int		send_iov(int, struct iovec *, int);
static ssize_t		read_full(int, void *, size_t);

/* Byte by byte: independent of host byte order and alignment. */
static inline uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/*
 * Consume n written bytes from the front of an iovec array, then drop any
 * empty entries left at the front, so *iovcnt == 0 means "all sent".
 * The array is the caller's private copy: entries are modified in place.
 */
static void
iov_advance(struct iovec **iovp, int *iovcnt, size_t n)
{
	struct iovec	*iov = *iovp;

	while (*iovcnt > 0 && n >= iov->iov_len) {
		n -= iov->iov_len;
		iov++;
		(*iovcnt)--;
	}
	if (*iovcnt > 0) {
		iov->iov_base = (unsigned char *)iov->iov_base + n;
		iov->iov_len -= n;
	}
	*iovp = iov;
}

/*
 * Write all of iov to a descriptor that is not a socket, with SIGPIPE
 * blocked in this thread only.  A SIGPIPE raised by our own EPIPE is
 * consumed before the old mask returns, so it is never delivered; one that
 * was already pending before we started belongs to the caller and is left
 * alone.  errno survives the mask restore.
 */
static int
writev_nosigpipe(int fd, struct iovec *iov, int iovcnt)
{
	sigset_t	 pipeset, oldset, pending;
	struct timespec	 zero = { 0, 0 };
	ssize_t		 n;
	int		 rc = 0, saved_errno = 0, was_pending, e;

	if (sigemptyset(&pipeset) == -1 || sigaddset(&pipeset, SIGPIPE) == -1)
		return -1;
	/* pthread_sigmask returns the error instead of setting errno. */
	if ((e = pthread_sigmask(SIG_BLOCK, &pipeset, &oldset)) != 0) {
		errno = e;
		return -1;
	}
	/*
	 * Checked after blocking: before, an unblocked pending SIGPIPE
	 * would already have been delivered, so only a blocked one can be
	 * pending here, and that one is the caller's.
	 */
	if (sigpending(&pending) == -1) {
		saved_errno = errno;
		(void)pthread_sigmask(SIG_SETMASK, &oldset, NULL);
		errno = saved_errno;
		return -1;
	}
	was_pending = sigismember(&pending, SIGPIPE) == 1;

	while (iovcnt > 0) {
		n = writev(fd, iov, iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved_errno = errno;
			rc = -1;
			break;
		}
		if (n == 0) {
			/* No progress and no error: retrying could spin. */
			saved_errno = EIO;
			rc = -1;
			break;
		}
		iov_advance(&iov, &iovcnt, (size_t)n);
	}

	if (rc == -1 && saved_errno == EPIPE && !was_pending) {
		/*
		 * Take back the SIGPIPE the failed write queued for this
		 * thread.  EAGAIN (nothing pending: SIGPIPE was ignored) is
		 * fine; only EINTR needs a retry.
		 */
		while (sigtimedwait(&pipeset, NULL, &zero) == -1 &&
		    errno == EINTR)
			;
	}
	/* Cannot fail: the how and the set are valid. */
	(void)pthread_sigmask(SIG_SETMASK, &oldset, NULL);
	if (rc == -1)
		errno = saved_errno;
	return rc;
}

/*
 * Send all of iov (1 or 2 entries, none empty) with sendmsg(2), falling
 * back to writev_nosigpipe() when fd is not a socket.
 */
static int
send_iov(int fd, struct iovec *iov, int iovcnt)
{
	struct msghdr	msg;
	ssize_t		n;

	if (!HAVE_MSG_NOSIGNAL)
		return writev_nosigpipe(fd, iov, iovcnt);

	memset(&msg, 0, sizeof(msg));
	while (iovcnt > 0) {
		msg.msg_iov = iov;
		msg.msg_iovlen = iovcnt;
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			/*
			 * Only the first call can see ENOTSOCK (a socket
			 * stays a socket), so nothing has been sent yet
			 * and the fallback starts from the same iovec.
			 */
			if (errno == ENOTSOCK)
				return writev_nosigpipe(fd, iov, iovcnt);
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		iov_advance(&iov, &iovcnt, (size_t)n);
	}
	return 0;
}

/*
 * Read up to n bytes, stopping early only at end of stream.  read(2)
 * rather than recv(2) so pipes and files work as well as sockets.
 * Returns the count read (< n at end of stream) or -1; bytes read before
 * an error are lost, which is why callers must close after an error.
 */
static ssize_t
read_full(int fd, void *buf, size_t n)
{
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 r;

	while (got < n) {
		r = read(fd, p + got, n - got);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void
msgframe_encode_header(unsigned char hdr[MSGFRAME_HEADER_SIZE], uint32_t len)
{
	put_be32(hdr, len);
}

uint32_t
msgframe_decode_header(const unsigned char hdr[MSGFRAME_HEADER_SIZE])
{
	return get_be32(hdr);
}

int
msgframe_send(int fd, const void *payload, uint32_t len)
{
	unsigned char	hdr[MSGFRAME_HEADER_SIZE];
	struct iovec	iov[2];

	if (payload == NULL && len != 0) {
		errno = EINVAL;
		return -1;
	}
	put_be32(hdr, len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	/* iov_base is not const-qualified; the kernel only reads it. */
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	/* An empty frame is the header alone: no empty iovec entry. */
	return send_iov(fd, iov, len == 0 ? 1 : 2);
}

int
msgframe_recv(int fd, void *buf, size_t cap, size_t *len)
{
	unsigned char	hdr[MSGFRAME_HEADER_SIZE];
	ssize_t		n;
	uint32_t	plen;

	if (buf == NULL && cap != 0) {
		errno = EINVAL;
		return -1;
	}
	n = read_full(fd, hdr, sizeof(hdr));
	if (n == -1)
		return -1;
	if (n == 0)
		return 0;	/* clean end of stream, at a frame boundary */
	if ((size_t)n < sizeof(hdr)) {
		errno = EPROTO;
		return -1;
	}
	plen = get_be32(hdr);
	if (len != NULL)
		*len = plen;
	/*
	 * Refuse before reading any payload: the caller learns the
	 * announced size, and the stream still holds the payload for a
	 * caller that wants to skip it rather than close.
	 */
	if (plen > cap) {
		errno = EMSGSIZE;
		return -1;
	}
	if (plen == 0)
		return 1;	/* an empty frame, not end of stream */
	n = read_full(fd, buf, plen);
	if (n == -1)
		return -1;
	if ((size_t)n < plen) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}

const char *
msgframe_strerror(int err)
{
	switch (err) {
	case EMSGSIZE:
		return "frame larger than the receiver accepts";
	case EPROTO:
		return "stream ended inside a frame";
	default:
		/* glibc's strerror is thread-safe for known values. */
		return strerror(err);
	}
}

ssize_t
msgframe_read_full(int fd, void *buf, size_t n)
{
	/* The count must fit the return type. */
	if (n > SSIZE_MAX || (buf == NULL && n != 0)) {
		errno = EINVAL;
		return -1;
	}
	return read_full(fd, buf, n);
}

int
msgframe_write_full(int fd, const void *buf, size_t n)
{
	const unsigned char	*p = buf;
	struct iovec		 iov;
	ssize_t			 w;

	if (buf == NULL && n != 0) {
		errno = EINVAL;
		return -1;
	}
	if (n == 0)
		return 0;
	/* iov_base is not const-qualified; the kernel only reads it. */
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = n;
	if (!HAVE_MSG_NOSIGNAL)
		return writev_nosigpipe(fd, &iov, 1);
	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			/* As in send_iov: nothing sent yet on ENOTSOCK. */
			if (errno == ENOTSOCK)
				return writev_nosigpipe(fd, &iov, 1);
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The server's hot path: called on every read, so one pass, no calls, no
 * copies.  Overflow-free on 32-bit size_t: a length is only added to the
 * offset after it is known to fit in the bytes that remain, so the sum
 * never exceeds len.
 */
int
msgframe_scan(const void *buf, size_t len, uint32_t max,
    struct msgframe_scan *scan)
{
	const unsigned char	*p = buf;
	size_t			 off = 0, frames = 0, avail;
	uint32_t		 plen;
	int			 rc = 0;

	scan->has_next = 0;
	scan->next_len = 0;
	while ((avail = len - off) >= MSGFRAME_HEADER_SIZE) {
		plen = get_be32(p + off);
		if (plen > max) {
			/* Report the header so the caller can log its size. */
			scan->has_next = 1;
			scan->next_len = plen;
			errno = EMSGSIZE;
			rc = -1;
			break;
		}
		if (avail - MSGFRAME_HEADER_SIZE < plen) {
			scan->has_next = 1;
			scan->next_len = plen;
			break;
		}
		off += MSGFRAME_HEADER_SIZE + (size_t)plen;
		frames++;
	}
	scan->complete = off;
	scan->frames = frames;
	return rc;
}
