/*
 * msgclient - send frames to a framed echo server (msgserverd) and print
 * the echoes after checking each one against what was sent.
 *
 * A sender thread produces frames (from the arguments, from lines of
 * standard input or from raw chunks of it) and sends them; the main thread
 * receives the echoes in order, compares them and writes them out.  The two
 * share a bounded queue of the frames in flight: it holds the bytes to
 * compare against, and its bound keeps a large input from piling up in
 * memory while the server is slower than the input.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cliopt.h"
#include "errstr.h"
#include "msgframe.h"
#include "netutil.h"

#define DEFAULT_CHUNK		(64 * 1024)
#define DEFAULT_MAX_FRAME	(16 * 1024 * 1024)
#define DEFAULT_TIMEOUT_MS	(10 * 1000)
#define MAX_TIMEOUT_MS		(24 * 3600 * 1000)

/*
 * The bound on frames in flight.  A frame larger than MAX_INFLIGHT_BYTES
 * still goes, alone.
 */
#define MAX_INFLIGHT_FRAMES	256
#define MAX_INFLIGHT_BYTES	(4 * 1024 * 1024)

/* The line reader's first buffer; it grows up to --max-frame + 1. */
#define READER_INITIAL		(64 * 1024)

/* Everything that is not one of the sysexits(3) codes below. */
#define EXIT_OTHER		1

enum mode {
	MODE_ARGS,		/* one frame per MESSAGE argument */
	MODE_LINES,		/* one frame per line of standard input */
	MODE_RAW		/* standard input in --chunk sized frames */
};

struct options {
	const char	*host;
	const char	*port;
	enum mode	 mode;
	size_t		 chunk;
	uint32_t	 max_frame;
	int		 timeout_ms;
	char		**messages;
	int		 nmessages;
};

/* A frame in flight: sent, its echo not yet verified. */
struct frame {
	struct frame	*next;
	uint64_t	 number;	/* 1-based, for messages */
	uint32_t	 len;
	unsigned char	 data[];
};

/* State shared by the sender thread and the receiver (main) thread. */
struct pipeline {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* any change below */
	struct frame	*head;		/* oldest frame in flight */
	struct frame	*tail;
	size_t		 nframes;
	size_t		 nbytes;
	int		 sender_done;	/* no frame will be added */
	int		 failed;	/* an error ends the run */
	int		 status;	/* exit status of the first error */
	char		 msg[512];	/* and its message */
	int		 fd;
	const struct options *opt;
};

/* A buffered reader of lines from a file descriptor. */
struct reader {
	int		 fd;
	unsigned char	*buf;
	size_t		 cap;
	size_t		 start;		/* first byte not yet returned */
	size_t		 scanned;	/* bytes after start known to hold no '\n' */
	size_t		 end;		/* end of the bytes read */
	int		 eof;
};

static void		 usage(FILE *);
static void		 version(void);
static int		 parse_options(int, char **, struct options *);
static const char	*addr_name(const struct options *, char *, size_t);
static void		 fail(struct pipeline *, int, const char *, ...)
			    __attribute__((format(printf, 3, 4)));
static int		 wait_for_room(struct pipeline *, uint32_t);
static int		 submit(struct pipeline *, struct frame *);
static struct frame	*frame_new(const void *, size_t, uint64_t);
static void		 send_args(struct pipeline *);
static void		 send_lines(struct pipeline *);
static void		 send_raw(struct pipeline *);
static void		*sender_main(void *);
static int		 reader_fill(struct reader *, size_t);
static int		 reader_line(struct reader *, size_t,
			    const unsigned char **, size_t *);
static struct frame	*next_in_flight(struct pipeline *);
static void		 retire(struct pipeline *, struct frame *);
static int		 receive_echo(struct pipeline *, struct frame *,
			    unsigned char **, size_t *);
static int		 write_echo(struct pipeline *, const unsigned char *,
			    size_t);
static int		 flush_stdout(struct pipeline *);
static void		 receiver_loop(struct pipeline *);
static void		 discard_in_flight(struct pipeline *);
static int		 close_stdout(int);

/* For messages: the last component of argv[0], set before any thread. */
static const char *progname;

static const struct option longopts[] = {
	{ "host",	required_argument,	NULL,	'H' },
	{ "port",	required_argument,	NULL,	'p' },
	{ "raw",	no_argument,		NULL,	'r' },
	{ "chunk",	required_argument,	NULL,	'c' },
	{ "timeout",	required_argument,	NULL,	'T' },
	{ "max-frame",	required_argument,	NULL,	'm' },
	{ "help",	no_argument,		NULL,	'h' },
	{ "version",	no_argument,		NULL,	'V' },
	{ NULL,		0,			NULL,	0 }
};

static void
usage(FILE *fp)
{
	char	chunk[CLIOPT_FMTLEN], maxframe[CLIOPT_FMTLEN];
	char	timeout[CLIOPT_FMTLEN];

	(void)cliopt_fmt_size(DEFAULT_CHUNK, chunk, sizeof(chunk));
	(void)cliopt_fmt_size(DEFAULT_MAX_FRAME, maxframe, sizeof(maxframe));
	(void)cliopt_fmt_ms(DEFAULT_TIMEOUT_MS, timeout, sizeof(timeout));
	fprintf(fp,
	    "Usage: %s [-H HOST] [-p PORT] [options] [MESSAGE...]\n"
	    "Send frames to a framed echo server, check each echo and print it.\n"
	    "Each MESSAGE is one frame, its echo printed on its own line.  Without\n"
	    "MESSAGE, each line of standard input is one frame (the newline is not\n"
	    "sent; an empty line is an empty frame).\n"
	    "\n"
	    "  -H, --host HOST       server name or address (default %s)\n"
	    "  -p, --port PORT       server port (default %s)\n"
	    "  -r, --raw             send standard input as binary frames of\n"
	    "                        --chunk bytes and write the echoes unchanged\n"
	    "  -c, --chunk SIZE      frame size with --raw (default %s)\n"
	    "  -T, --timeout SEC     limit on connecting and on waiting for each\n"
	    "                        echo, 0 = none (default %s)\n"
	    "  -m, --max-frame SIZE  largest frame sent or echo accepted\n"
	    "                        (default %s)\n"
	    "  -h, --help            show this help and exit\n"
	    "  -V, --version         show the version and exit\n"
	    "\n"
	    "SIZE takes a K, M or G suffix (powers of 1024).  Exit status: 0 ok,\n"
	    "64 usage, 65 an echo differed from what was sent, 69 cannot connect,\n"
	    "74 I/O error, timeout or connection closed, 1 any other error.\n",
	    progname, CLIOPT_DEFAULT_HOST, CLIOPT_DEFAULT_PORT, chunk, timeout,
	    maxframe);
}

static void
version(void)
{
	printf("msgclient (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
}

/* Returns -1 to go on, or the exit status for main to return. */
static int
parse_options(int argc, char **argv, struct options *opt)
{
	struct cliopt	 c;
	uint64_t	 v, chunk = DEFAULT_CHUNK;
	const char	*chunkarg = NULL;
	char		 max[CLIOPT_FMTLEN];
	int		 ch;

	c.prog = progname;
	c.longopts = longopts;
	c.err = stderr;
	opt->host = CLIOPT_DEFAULT_HOST;
	opt->port = CLIOPT_DEFAULT_PORT;
	opt->mode = MODE_LINES;
	opt->max_frame = DEFAULT_MAX_FRAME;
	opt->timeout_ms = DEFAULT_TIMEOUT_MS;

	/* Quiet, and ':' for a missing argument: cliopt words the errors. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":H:p:rc:T:m:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (cliopt_string(&c, ch, optarg, &opt->host) == -1)
				return EX_USAGE;
			break;
		case 'p':
			if (cliopt_uint(&c, ch, optarg, 1, 65535, &v) == -1)
				return EX_USAGE;
			opt->port = optarg;
			break;
		case 'r':
			opt->mode = MODE_RAW;
			break;
		case 'c':
			/* Checked against --max-frame below, in any order. */
			if (cliopt_size(&c, ch, optarg, 1, UINT32_MAX,
			    &chunk) == -1)
				return EX_USAGE;
			chunkarg = optarg;
			break;
		case 'T':
			if (cliopt_seconds(&c, ch, optarg, 0, MAX_TIMEOUT_MS,
			    &v) == -1)
				return EX_USAGE;
			opt->timeout_ms = (int)v;
			break;
		case 'm':
			if (cliopt_size(&c, ch, optarg, 1, UINT32_MAX,
			    &v) == -1)
				return EX_USAGE;
			opt->max_frame = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return close_stdout(EXIT_SUCCESS);
		case 'V':
			version();
			return close_stdout(EXIT_SUCCESS);
		default:
			/* ':' (missing argument) or '?' (anything else). */
			cliopt_getopt_error(&c, ch, argc, argv);
			return EX_USAGE;
		}
	}
	opt->messages = argv + optind;
	opt->nmessages = argc - optind;

	if (opt->nmessages > 0 && opt->mode == MODE_RAW) {
		cliopt_usage_error(&c, "extra operand '%s': --raw sends "
		    "standard input", opt->messages[0]);
		return EX_USAGE;
	}
	if (opt->nmessages > 0)
		opt->mode = MODE_ARGS;
	if (chunk > opt->max_frame) {
		/* The default chunk shrinks to a small --max-frame. */
		if (chunkarg != NULL) {
			cliopt_bad_value(&c, 'c', chunkarg, "must be at most "
			    "--max-frame (%s)", cliopt_fmt_size(opt->max_frame,
			    max, sizeof(max)));
			return EX_USAGE;
		}
		chunk = opt->max_frame;
	}
	opt->chunk = (size_t)chunk;
	return -1;
}

/* "host:port", with brackets around an IPv6 address. */
static const char *
addr_name(const struct options *opt, char *buf, size_t len)
{
	if (strchr(opt->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%s", opt->host, opt->port);
	else
		snprintf(buf, len, "%s:%s", opt->host, opt->port);
	return buf;
}

/*
 * Record the first error and stop both threads: shutdown() wakes a thread
 * blocked in send or recv on the socket.
 */
static void
fail(struct pipeline *p, int status, const char *fmt, ...)
{
	va_list	ap;

	if (pthread_mutex_lock(&p->lock) != 0)
		abort();
	if (!p->failed) {
		p->failed = 1;
		p->status = status;
		va_start(ap, fmt);
		vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
		va_end(ap);
		(void)shutdown(p->fd, SHUT_RDWR);
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Wait until a frame of len bytes may be sent; -1 once the run failed. */
static int
wait_for_room(struct pipeline *p, uint32_t len)
{
	int	failed;

	if (pthread_mutex_lock(&p->lock) != 0)
		abort();
	while (!p->failed && p->nframes > 0 &&
	    (p->nframes >= MAX_INFLIGHT_FRAMES ||
	    p->nbytes + len > MAX_INFLIGHT_BYTES))
		pthread_cond_wait(&p->cond, &p->lock);
	failed = p->failed;
	pthread_mutex_unlock(&p->lock);
	return failed ? -1 : 0;
}

/*
 * Send f and queue it for the receiver.  It is queued only once sent, so the
 * receiver never waits for an echo of bytes still on their way, and the
 * sender alone touches f while it sends.  Takes ownership of f.
 */
static int
submit(struct pipeline *p, struct frame *f)
{
	char	name[NETUTIL_ADDRSTRLEN + 16];

	if (wait_for_room(p, f->len) == -1) {
		free(f);
		return -1;
	}
	if (msgframe_send(p->fd, f->data, f->len) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			fail(p, EX_IOERR, "timed out sending frame %llu to %s: "
			    "the server is not reading",
			    (unsigned long long)f->number,
			    addr_name(p->opt, name, sizeof(name)));
		else
			fail(p, EX_IOERR, "sending frame %llu to %s: %s",
			    (unsigned long long)f->number,
			    addr_name(p->opt, name, sizeof(name)),
			    errstr(errno));
		free(f);
		return -1;
	}

	if (pthread_mutex_lock(&p->lock) != 0)
		abort();
	if (p->failed) {
		/* Nobody will check it: the receiver has stopped. */
		pthread_mutex_unlock(&p->lock);
		free(f);
		return -1;
	}
	if (p->tail == NULL)
		p->head = f;
	else
		p->tail->next = f;
	p->tail = f;
	p->nframes++;
	p->nbytes += f->len;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static struct frame *
frame_new(const void *data, size_t len, uint64_t number)
{
	struct frame	*f;

	if ((f = malloc(sizeof(*f) + len)) == NULL)
		return NULL;
	f->next = NULL;
	f->number = number;
	f->len = (uint32_t)len;
	if (len > 0)
		memcpy(f->data, data, len);
	return f;
}

static void
send_args(struct pipeline *p)
{
	struct frame	*f;
	size_t		 len;
	int		 i;

	for (i = 0; i < p->opt->nmessages; i++) {
		len = strlen(p->opt->messages[i]);
		if (len > p->opt->max_frame) {
			fail(p, EXIT_OTHER, "message %d is %zu bytes, more "
			    "than --max-frame (%u)", i + 1, len,
			    p->opt->max_frame);
			return;
		}
		if ((f = frame_new(p->opt->messages[i], len, i + 1)) == NULL) {
			fail(p, EXIT_OTHER, "%s", errstr(errno));
			return;
		}
		if (submit(p, f) == -1)
			return;
	}
}

static void
send_lines(struct pipeline *p)
{
	struct reader		 r;
	struct frame		*f;
	const unsigned char	*line;
	size_t			 len;
	uint64_t		 n;
	int			 rv;

	memset(&r, 0, sizeof(r));
	r.fd = STDIN_FILENO;
	for (n = 1;; n++) {
		rv = reader_line(&r, p->opt->max_frame, &line, &len);
		if (rv == 0)
			break;
		if (rv == -1) {
			if (errno == EMSGSIZE)
				fail(p, EXIT_OTHER, "line %llu is longer than "
				    "--max-frame (%u bytes)",
				    (unsigned long long)n, p->opt->max_frame);
			else
				fail(p, EX_IOERR, "reading standard input: %s",
				    errstr(errno));
			break;
		}
		if ((f = frame_new(line, len, n)) == NULL) {
			fail(p, EXIT_OTHER, "%s", errstr(errno));
			break;
		}
		if (submit(p, f) == -1)
			break;
	}
	free(r.buf);
}

static void
send_raw(struct pipeline *p)
{
	struct frame	*f;
	ssize_t		 n;
	uint64_t	 number;

	for (number = 1;; number++) {
		if ((f = malloc(sizeof(*f) + p->opt->chunk)) == NULL) {
			fail(p, EXIT_OTHER, "%s", errstr(errno));
			return;
		}
		/* Short only at the end of input; 0 when it is over. */
		if ((n = msgframe_read_full(STDIN_FILENO, f->data,
		    p->opt->chunk)) <= 0) {
			if (n == -1)
				fail(p, EX_IOERR, "reading standard input: %s",
				    errstr(errno));
			free(f);
			return;
		}
		f->next = NULL;
		f->number = number;
		f->len = (uint32_t)n;
		if (submit(p, f) == -1)
			return;
	}
}

static void *
sender_main(void *arg)
{
	struct pipeline	*p = arg;

	switch (p->opt->mode) {
	case MODE_ARGS:
		send_args(p);
		break;
	case MODE_LINES:
		send_lines(p);
		break;
	case MODE_RAW:
		send_raw(p);
		break;
	}

	if (pthread_mutex_lock(&p->lock) != 0)
		abort();
	p->sender_done = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * Make room for and read more input: 1 when bytes were added, 0 at end of
 * input, -1 on error (EMSGSIZE when a line would exceed max bytes).
 */
static int
reader_fill(struct reader *r, size_t max)
{
	unsigned char	*nb;
	size_t		 ncap;
	ssize_t		 n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		/* Room for the longest line plus its newline, no more. */
		if (r->cap > max) {
			errno = EMSGSIZE;
			return -1;
		}
		ncap = r->cap == 0 ? READER_INITIAL : r->cap * 2;
		if (ncap > (size_t)max + 1)
			ncap = (size_t)max + 1;
		if ((nb = realloc(r->buf, ncap)) == NULL)
			return -1;
		r->buf = nb;
		r->cap = ncap;
	}
	do {
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

/*
 * The next line, without its newline; the last line may lack one.
 * Returns 1 and points *line into the reader's buffer (valid until the
 * next call), 0 at end of input, or -1 with errno set.
 */
static int
reader_line(struct reader *r, size_t max, const unsigned char **line,
    size_t *len)
{
	unsigned char	*nl;
	size_t		 avail;

	for (;;) {
		avail = r->end - r->start;
		nl = r->scanned < avail ? memchr(r->buf + r->start + r->scanned,
		    '\n', avail - r->scanned) : NULL;
		if (nl != NULL) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			if (*len > max) {
				errno = EMSGSIZE;
				return -1;
			}
			r->start += *len + 1;
			r->scanned = 0;
			return 1;
		}
		r->scanned = avail;
		if (r->eof) {
			if (avail == 0)
				return 0;
			if (avail > max) {
				errno = EMSGSIZE;
				return -1;
			}
			*line = r->buf + r->start;
			*len = avail;
			r->start = r->end;
			r->scanned = 0;
			return 1;
		}
		if (reader_fill(r, max) == -1)
			return -1;
	}
}

/*
 * The oldest frame in flight, left in the queue (the sender only appends),
 * or NULL when the sender is done and every echo arrived, or the run failed.
 */
static struct frame *
next_in_flight(struct pipeline *p)
{
	struct frame	*f;

	if (pthread_mutex_lock(&p->lock) != 0)
		abort();
	if (p->head == NULL && !p->sender_done && !p->failed) {
		/* Nothing to wait for right now: show what we have. */
		pthread_mutex_unlock(&p->lock);
		if (flush_stdout(p) == -1)
			return NULL;
		if (pthread_mutex_lock(&p->lock) != 0)
			abort();
	}
	while (p->head == NULL && !p->sender_done && !p->failed)
		pthread_cond_wait(&p->cond, &p->lock);
	f = p->failed ? NULL : p->head;
	pthread_mutex_unlock(&p->lock);
	return f;
}

/* Drop the verified head frame and let the sender go on. */
static void
retire(struct pipeline *p, struct frame *f)
{
	if (pthread_mutex_lock(&p->lock) != 0)
		abort();
	p->head = f->next;
	if (p->head == NULL)
		p->tail = NULL;
	p->nframes--;
	p->nbytes -= f->len;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	free(f);
}

/*
 * Receive the echo of f into *buf (grown as needed) and compare it.
 * Returns 0 when it matches, -1 after recording the error.
 */
static int
receive_echo(struct pipeline *p, struct frame *f, unsigned char **buf,
    size_t *cap)
{
	char		 name[NETUTIL_ADDRSTRLEN + 16];
	unsigned char	*nb;
	size_t		 len = 0, i;
	int		 rv;

	if (f->len > *cap) {
		if ((nb = realloc(*buf, f->len)) == NULL) {
			fail(p, EXIT_OTHER, "%s", errstr(errno));
			return -1;
		}
		*buf = nb;
		*cap = f->len;
	}
	addr_name(p->opt, name, sizeof(name));

	/* The echo may not be longer than the frame: cap is f->len. */
	rv = msgframe_recv(p->fd, *buf, f->len, &len);
	if (rv == 0) {
		fail(p, EX_IOERR, "%s closed the connection before echoing "
		    "frame %llu", name, (unsigned long long)f->number);
		return -1;
	}
	if (rv == -1) {
		if (errno == EMSGSIZE)
			fail(p, EX_DATAERR, "echo of frame %llu from %s is %zu "
			    "bytes, but %u were sent",
			    (unsigned long long)f->number, name, len, f->len);
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			fail(p, EX_IOERR, "no echo of frame %llu from %s within "
			    "%d.%03d s", (unsigned long long)f->number, name,
			    p->opt->timeout_ms / 1000,
			    p->opt->timeout_ms % 1000);
		else if (errno == EPROTO)
			fail(p, EX_IOERR, "%s closed the connection inside the "
			    "echo of frame %llu", name,
			    (unsigned long long)f->number);
		else
			fail(p, EX_IOERR, "receiving from %s: %s", name,
			    errstr(errno));
		return -1;
	}
	if (len != f->len) {
		fail(p, EX_DATAERR, "echo of frame %llu from %s is %zu bytes, "
		    "but %u were sent", (unsigned long long)f->number, name,
		    len, f->len);
		return -1;
	}
	if (len > 0 && memcmp(*buf, f->data, len) != 0) {
		for (i = 0; (*buf)[i] == f->data[i]; i++)
			;
		fail(p, EX_DATAERR, "echo of frame %llu from %s differs from "
		    "what was sent at byte %zu of %zu",
		    (unsigned long long)f->number, name, i, len);
		return -1;
	}
	return 0;
}

static int
write_echo(struct pipeline *p, const unsigned char *buf, size_t len)
{
	if ((len > 0 && fwrite(buf, 1, len, stdout) != len) ||
	    (p->opt->mode != MODE_RAW && putchar('\n') == EOF)) {
		fail(p, EX_IOERR, "writing standard output: %s",
		    errstr(errno));
		return -1;
	}
	return 0;
}

static int
flush_stdout(struct pipeline *p)
{
	if (fflush(stdout) == EOF) {
		fail(p, EX_IOERR, "writing standard output: %s",
		    errstr(errno));
		return -1;
	}
	return 0;
}

/* Verify and print every echo until the sender is done or an error. */
static void
receiver_loop(struct pipeline *p)
{
	struct frame	*f;
	unsigned char	*buf = NULL;
	size_t		 cap = 0;

	while ((f = next_in_flight(p)) != NULL) {
		if (receive_echo(p, f, &buf, &cap) == -1 ||
		    write_echo(p, buf, f->len) == -1)
			break;
		retire(p, f);
	}
	free(buf);
}

/* After a failure: free the frames whose echoes will never be checked. */
static void
discard_in_flight(struct pipeline *p)
{
	struct frame	*f;

	if (pthread_mutex_lock(&p->lock) != 0)
		abort();
	while ((f = p->head) != NULL) {
		p->head = f->next;
		free(f);
	}
	p->tail = NULL;
	p->nframes = p->nbytes = 0;
	pthread_mutex_unlock(&p->lock);
}

/*
 * Flush and close stdout and report a failure (the GNU close_stdout idea):
 * a full disk or a closed pipe must not pass for success.
 */
static int
close_stdout(int status)
{
	int	err;

	err = 0;
	if (fflush(stdout) == EOF || ferror(stdout))
		err = errno != 0 ? errno : EIO;
	if (fclose(stdout) == EOF && err == 0)
		err = errno;
	/* A run that already failed has said why; keep its status. */
	if (err == 0 || status != EXIT_SUCCESS)
		return status;
	fprintf(stderr, "%s: writing standard output: %s\n", progname,
	    errstr(err));
	return EX_IOERR;
}

int
main(int argc, char *argv[])
{
	/*
	 * Static: after a failure the sender thread, stuck reading standard
	 * input, still uses them while exit() runs after main returned.
	 */
	static struct options	 opt;
	static struct pipeline	 p;
	pthread_t		 sender;
	char			 err[256], name[NETUTIL_ADDRSTRLEN + 16];
	int			 rv, fd;

	progname = cliopt_progname(argc > 0 ? argv[0] : NULL, "msgclient");
	if ((rv = parse_options(argc, argv, &opt)) != -1)
		return rv;

	fd = netutil_connect(opt.host, opt.port, opt.timeout_ms, err,
	    sizeof(err));
	if (fd == -1) {
		/* netutil's reason normally names the address already. */
		if (strstr(err, opt.port) != NULL)
			fprintf(stderr, "%s: %s\n", progname, err);
		else
			fprintf(stderr, "%s: cannot connect to %s: %s\n",
			    progname, addr_name(&opt, name, sizeof(name)), err);
		return close_stdout(EX_UNAVAILABLE);
	}
	if (netutil_set_timeouts(fd, opt.timeout_ms) == -1) {
		fprintf(stderr, "%s: setting socket timeouts: %s\n", progname,
		    errstr(errno));
		(void)close(fd);
		return close_stdout(EXIT_OTHER);
	}

	p.fd = fd;
	p.opt = &opt;
	if ((rv = pthread_mutex_init(&p.lock, NULL)) != 0 ||
	    (rv = pthread_cond_init(&p.cond, NULL)) != 0 ||
	    (rv = pthread_create(&sender, NULL, sender_main, &p)) != 0) {
		fprintf(stderr, "%s: starting: %s\n", progname, errstr(rv));
		return close_stdout(EXIT_OTHER);
	}

	receiver_loop(&p);

	/*
	 * After a failure the sender may sit in a read of standard input that
	 * will never return: leave it to exit() instead of joining it.
	 */
	rv = p.failed ? pthread_detach(sender) : pthread_join(sender, NULL);
	if (rv != 0) {
		fprintf(stderr, "%s: pthread_%s: %s\n", progname,
		    p.failed ? "detach" : "join", errstr(rv));
		return close_stdout(EXIT_OTHER);
	}
	if (p.failed) {
		discard_in_flight(&p);
		fprintf(stderr, "%s: %s\n", progname, p.msg);
		return close_stdout(p.status);
	}
	if (close(fd) == -1) {
		fprintf(stderr, "%s: close: %s\n", progname, errstr(errno));
		return close_stdout(EX_IOERR);
	}
	return close_stdout(EXIT_SUCCESS);
}
