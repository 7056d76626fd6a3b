/*
 * check_metrics.c - the Prometheus endpoint, end to end: the real daemon
 * started with --metrics 127.0.0.1:0 (the port read from its "metrics on"
 * log line), scraped over HTTP by hand.
 *
 * Format:    the process collector alone, then every line of a scrape:
 *            HELP and TYPE before each family's samples, names and label
 *            values valid, counters ending in _total.
 * Numbers:   exact counts after known traffic, gauges under load, the
 *            close reasons of the stats line, metrics connections never
 *            counted as echo connections.
 * HTTP:      the error answers, HEAD, keep-alive, and what keeps the port
 *            safe to expose: requests too big or too slow are closed, idle
 *            clients and a flood of connections do not keep a scraper
 *            waiting, a scraper that never reads holds nobody up, and bad
 *            requests do not flood the log.
 * Command line: bad --metrics values, an unbindable one, IPv6.
 *
 * Threads in these tests never call ck_assert: they count what happened
 * and the test's own thread checks it after joining them.
 */
#include <config.h>

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "expo.h"
#include "msgframe.h"
#include "testutil.h"

#define METRICS_NEEDLE	"metrics on 127.0.0.1:"
#define REPLY_WAIT_MS	5000	/* the bound on a scrape */
#define COUNT_WAIT_MS	5000
#define GET_METRICS	"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n"

/* Families every scrape must have, with their types. */
static const struct {
	const char	*name;
	const char	*type;
} families[] = {
	{ "msgserverd_build_info", "gauge" },
	{ "msgserverd_connections_accepted_total", "counter" },
	{ "msgserverd_connections_rejected_total", "counter" },
	{ "msgserverd_connections_active", "gauge" },
	{ "msgserverd_connections_queued", "gauge" },
	{ "msgserverd_connections_closed_total", "counter" },
	{ "msgserverd_frames_total", "counter" },
	{ "msgserverd_bytes_total", "counter" },
	{ "msgserverd_workers", "gauge" },
	{ "msgserverd_workers_busy", "gauge" },
	{ "msgserverd_queue_capacity", "gauge" },
	{ "msgserverd_accept_pauses_total", "counter" },
	{ "process_cpu_seconds_total", "counter" },
	{ "process_resident_memory_bytes", "gauge" },
	{ "process_virtual_memory_bytes", "gauge" },
	{ "process_open_fds", "gauge" },
	{ "process_max_fds", "gauge" },
	{ "process_start_time_seconds", "gauge" },
};
#define NFAMILIES	(sizeof(families) / sizeof(families[0]))

/* --- HTTP by hand -------------------------------------------------------- */

/* A client connection and what it has read but not yet taken. */
struct hconn {
	int	 fd;
	char	*buf;
	size_t	 len;
	size_t	 cap;
	bool	 eof;		/* the last hconn_fill saw EOF or an error */
};

struct reply {
	int	 status;
	char	*head;		/* status line and headers */
	char	*body;
	size_t	 bodylen;
};

/* A connection to 127.0.0.1:port; rcvbuf > 0 sets SO_RCVBUF first. */
static void
hconn_open_rcvbuf(struct hconn *h, int port, int rcvbuf)
{
	struct sockaddr_in sin;

	if (rcvbuf == 0)
		h->fd = tu_connect(port);
	else {
		h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert(h->fd != -1);
		ck_assert_int_eq(setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF,
		    &rcvbuf, sizeof(rcvbuf)), 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_msg(connect(h->fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == 0, "connect: %s", strerror(errno));
	}
	h->cap = 65536;
	h->len = 0;
	h->eof = false;
	h->buf = malloc(h->cap);
	ck_assert_ptr_nonnull(h->buf);
	h->buf[0] = '\0';
}

static void
hconn_open(struct hconn *h, int port)
{
	hconn_open_rcvbuf(h, port, 0);
}

static void
hconn_close(struct hconn *h)
{
	if (h->fd != -1)
		close(h->fd);
	h->fd = -1;
	free(h->buf);
	h->buf = NULL;
}

static void
hconn_send(struct hconn *h, const char *req, size_t len)
{
	ck_assert_msg(msgframe_write_full(h->fd, req, len) == 0,
	    "sending %zu bytes of request: %s", len, strerror(errno));
}

static void
hconn_puts(struct hconn *h, const char *req)
{
	hconn_send(h, req, strlen(req));
}

/* One more read before the deadline; false on EOF, error or time out. */
static bool
hconn_fill(struct hconn *h, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now;
	ssize_t n;
	int rc;

	if (h->cap - h->len < 4096) {
		h->cap *= 2;
		h->buf = realloc(h->buf, h->cap);
		ck_assert_ptr_nonnull(h->buf);
	}
	h->eof = false;
	if ((now = tn_now_ms()) >= deadline)
		return false;
	pfd.fd = h->fd;
	pfd.events = POLLIN;
	if ((rc = poll(&pfd, 1, (int)(deadline - now))) == -1 &&
	    errno == EINTR)
		return true;
	if (rc <= 0)
		return false;
	n = recv(h->fd, h->buf + h->len, h->cap - h->len - 1, 0);
	if (n == -1 && errno == EINTR)
		return true;
	if (n <= 0) {
		h->eof = true;
		return false;
	}
	h->len += (size_t)n;
	h->buf[h->len] = '\0';
	return true;
}

/* The value of header name in a reply head, or NULL (points into head). */
static const char *
header(const char *head, const char *name)
{
	const char *p;
	size_t n = strlen(name);

	for (p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
			return p + 3 + n + strspn(p + 3 + n, " ");
	return NULL;
}

/* Is header name's value exactly value? */
static bool
header_is(const char *head, const char *name, const char *value)
{
	const char *v = header(head, name);
	size_t n = strlen(value);

	return v != NULL && strncmp(v, value, n) == 0 &&
	    strncmp(v + n, "\r\n", 2) == 0;
}

/*
 * Take one whole answer off h within timeout_ms: its head, then as many
 * body bytes as Content-Length says (none after a HEAD).  False if the
 * connection ended or the time ran out first.
 */
static bool
read_reply(struct hconn *h, bool head_only, struct reply *r, int timeout_ms)
{
	uint64_t deadline = tn_now_ms() + (uint64_t)timeout_ms;
	const char *end, *cl;
	size_t hlen, blen;

	memset(r, 0, sizeof(*r));
	while ((end = strstr(h->buf, "\r\n\r\n")) == NULL)
		if (!hconn_fill(h, deadline))
			return false;
	hlen = (size_t)(end + 4 - h->buf);
	r->head = strndup(h->buf, hlen);
	ck_assert_ptr_nonnull(r->head);
	ck_assert_msg(sscanf(r->head, "HTTP/1.1 %d ", &r->status) == 1,
	    "not an HTTP/1.1 status line: %s", r->head);
	cl = header(r->head, "Content-Length");
	ck_assert_msg(cl != NULL, "no Content-Length in %s", r->head);
	blen = head_only ? 0 : strtoul(cl, NULL, 10);
	while (h->len < hlen + blen)
		if (!hconn_fill(h, deadline))
			return false;
	r->body = strndup(h->buf + hlen, blen);
	ck_assert_ptr_nonnull(r->body);
	r->bodylen = blen;
	memmove(h->buf, h->buf + hlen + blen, h->len - hlen - blen + 1);
	h->len -= hlen + blen;
	return true;
}

static void
reply_free(struct reply *r)
{
	free(r->head);
	free(r->body);
}

/* One request on a new connection; its answer in *r. */
static void
request(int port, const char *req, bool head_only, struct reply *r)
{
	struct hconn h;

	hconn_open(&h, port);
	hconn_puts(&h, req);
	ck_assert_msg(read_reply(&h, head_only, r, REPLY_WAIT_MS),
	    "%s after %zu bytes of the answer to: %.40s", h.eof ? "closed" :
	    "timed out", h.len, req);
	hconn_close(&h);
}

/* GET /metrics: the exposition (free it), after checking the answer. */
static char *
scrape(int port)
{
	struct reply r;
	char *body;

	request(port, GET_METRICS, false, &r);
	ck_assert_msg(r.status == 200, "GET /metrics: %s", r.head);
	ck_assert_msg(header_is(r.head, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8"), "Content-Type: %s",
	    r.head);
	body = r.body;
	r.body = NULL;
	reply_free(&r);
	return body;
}

/* --- The exposition format ------------------------------------------------ */

struct family {
	char	name[128];
	char	type[16];
	bool	help;
	bool	samples;
};

static bool
name_ok(const char *s, size_t n, bool colon)
{
	size_t i;

	if (n == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    !(colon && s[i] == ':'))
			return false;
	return true;
}

static struct family *
family(struct family *fam, int *nfam, const char *name, size_t n,
    const char *line)
{
	int i;

	ck_assert_msg(n < sizeof(fam[0].name), "name too long: %s", line);
	for (i = 0; i < *nfam; i++)
		if (strlen(fam[i].name) == n &&
		    strncmp(fam[i].name, name, n) == 0)
			return &fam[i];
	ck_assert_int_lt(*nfam, 64);
	memset(&fam[*nfam], 0, sizeof(fam[0]));
	memcpy(fam[*nfam].name, name, n);
	return &fam[(*nfam)++];
}

/* Check a {labels} list from p; returns the character after the '}'. */
static const char *
check_labels(const char *p, const char *line)
{
	const char *q;

	p++;
	while (*p != '}') {
		q = p + strcspn(p, "=");
		ck_assert_msg(*q == '=' && name_ok(p, (size_t)(q - p), false),
		    "bad label name: %s", line);
		ck_assert_msg(q[1] == '"', "label value not quoted: %s", line);
		for (p = q + 2; *p != '"'; p++) {
			ck_assert_msg(*p != '\0', "unterminated label: %s",
			    line);
			if (*p == '\\') {
				p++;
				ck_assert_msg(*p == '\\' || *p == '"' ||
				    *p == 'n', "bad escape: %s", line);
			}
		}
		p++;
		if (*p == ',')
			p++;
		else
			ck_assert_msg(*p == '}', "bad label list: %s", line);
	}
	return p + 1;
}

/* A sample's value: a float, NaN or +-Inf, maybe a timestamp after it. */
static void
check_value(const char *p, const char *line)
{
	char *end;

	ck_assert_msg(*p == ' ', "no space before the value: %s", line);
	p++;
	if (strcmp(p, "NaN") == 0 || strcmp(p, "+Inf") == 0 ||
	    strcmp(p, "-Inf") == 0)
		return;
	(void)strtod(p, &end);
	ck_assert_msg(end != p, "bad value: %s", line);
	if (*end == ' ') {
		(void)strtoll(end + 1, &end, 10);
	}
	ck_assert_msg(*end == '\0', "junk after the value: %s", line);
}

/*
 * Check text against format 0.0.4: every line blank, a comment, or
 * "name[{labels}] value"; each family's HELP and TYPE once, before its
 * samples, which stand together; counters named *_total.  Returns the
 * number of families.
 */
static int
check_exposition(const char *text)
{
	struct family fam[64], *f, *last = NULL;
	char *copy, *line, *save, *kw;
	const char *p, *name;
	size_t n;
	int nfam = 0;

	ck_assert_msg(*text != '\0' && text[strlen(text) - 1] == '\n',
	    "the exposition must end with a newline");
	copy = strdup(text);
	ck_assert_ptr_nonnull(copy);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(strchr(line, '\r') == NULL, "CR in: %s", line);
		if (line[0] == '#') {
			kw = line + 1;
			if (strncmp(kw, " HELP ", 6) != 0 &&
			    strncmp(kw, " TYPE ", 6) != 0)
				continue;	/* a plain comment */
			name = kw + 6;
			n = strcspn(name, " ");
			ck_assert_msg(name_ok(name, n, true) && name[n] == ' ',
			    "bad metric name: %s", line);
			f = family(fam, &nfam, name, n, line);
			ck_assert_msg(!f->samples, "%s after the samples",
			    line);
			if (kw[1] == 'H') {
				ck_assert_msg(!f->help, "second HELP: %s",
				    line);
				f->help = true;
				continue;
			}
			ck_assert_msg(f->type[0] == '\0', "second TYPE: %s",
			    line);
			ck_assert_msg(strlen(name + n + 1) < sizeof(f->type),
			    "bad type: %s", line);
			strcpy(f->type, name + n + 1);
			ck_assert_msg(strcmp(f->type, "counter") == 0 ||
			    strcmp(f->type, "gauge") == 0 ||
			    strcmp(f->type, "untyped") == 0 ||
			    strcmp(f->type, "summary") == 0 ||
			    strcmp(f->type, "histogram") == 0,
			    "unknown type: %s", line);
			ck_assert_msg(strcmp(f->type, "counter") != 0 ||
			    (n > 6 && strncmp(name + n - 6, "_total", 6) == 0),
			    "a counter not named *_total: %s", line);
			continue;
		}
		n = strcspn(line, "{ ");
		ck_assert_msg(name_ok(line, n, true), "bad sample name: %s",
		    line);
		f = family(fam, &nfam, line, n, line);
		ck_assert_msg(f->help && f->type[0] != '\0',
		    "a sample before its HELP and TYPE: %s", line);
		ck_assert_msg(f == last || !f->samples,
		    "the samples of %s are not together", f->name);
		f->samples = true;
		last = f;
		p = line + n;
		if (*p == '{')
			p = check_labels(p, line);
		check_value(p, line);
	}
	free(copy);
	return nfam;
}

/* The value of the sample "key" (name with its labels), if present. */
static bool
sample(const char *text, const char *key, double *v)
{
	const char *p;
	size_t n = strlen(key);

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ' ') {
			*v = strtod(p + n + 1, NULL);
			return true;
		}
	return false;
}

static double
value(const char *text, const char *key)
{
	double v = 0;

	ck_assert_msg(sample(text, key, &v), "no sample %s in:\n%s", key,
	    text);
	return v;
}

/* Scrape until key has the value want, for up to COUNT_WAIT_MS. */
static void
wait_value(int port, const char *key, double want)
{
	uint64_t deadline = tn_now_ms() + COUNT_WAIT_MS;
	double v;
	char *text;

	for (;;) {
		text = scrape(port);
		v = value(text, key);
		free(text);
		if (v == want)
			return;
		ck_assert_msg(tn_now_ms() < deadline, "%s is %g, not %g, "
		    "after %d ms", key, v, want, COUNT_WAIT_MS);
		tn_sleep_ms(20);
	}
}

/* --- Starting the daemon ---------------------------------------------------- */

static int
metrics_port(struct server *s)
{
	char *log, *p;
	int port = -1;

	/* Logged before "listening on", which server_start() waited for. */
	log = server_log_read(s);
	if ((p = strstr(log, METRICS_NEEDLE)) != NULL)
		port = atoi(p + strlen(METRICS_NEEDLE));
	free(log);
	ck_assert_msg(port > 0 && port < 65536, "no \"" METRICS_NEEDLE
	    "PORT\" line in %s", s->logpath);
	return port;
}

/* Start the daemon with --metrics 127.0.0.1:0 and args; the metrics port. */
static int
start_with_metrics(struct server *s, const char *const *args)
{
	const char *argv[16];
	size_t n = 0;

	argv[n++] = "--metrics";
	argv[n++] = "127.0.0.1:0";
	while (args != NULL && *args != NULL) {
		ck_assert_uint_lt(n, 15);
		argv[n++] = *args++;
	}
	argv[n] = NULL;
	server_start(s, argv);
	return metrics_port(s);
}

/* Send n frames of len bytes on a new connection, read every echo back,
 * and close it. */
static void
echo_traffic(int port, int n, uint32_t len)
{
	unsigned char payload[64], *out, *in;
	size_t each = MSGFRAME_HEADER_SIZE + len, total = each * (size_t)n;
	int fd, i;

	ck_assert_uint_le(len, sizeof(payload));
	out = malloc(total);
	in = malloc(total);
	ck_assert(out != NULL && in != NULL);
	for (i = 0; i < n; i++) {
		tn_fill_random(payload, len, (uint64_t)i);
		(void)tn_put_frame(out + each * (size_t)i, payload, len);
	}
	fd = tu_connect(port);
	ck_assert_int_eq(msgframe_write_full(fd, out, total), 0);
	ck_assert_int_eq(msgframe_read_full(fd, in, total), (ssize_t)total);
	ck_assert_int_eq(memcmp(in, out, total), 0);
	close(fd);
	free(out);
	free(in);
}

/* --- Format ----------------------------------------------------------------- */

/* Escaping, and the process collector alone, in this process. */
START_TEST(test_expo_writer)
{
	struct expo e;
	size_t i;
	double start;

	expo_init(&e);
	expo_family(&e, "t_total", EXPO_COUNTER, "back\\slash\nnew \"q\"");
	expo_sample(&e, "t_total", "l", "a\"b\\c\nd", 7);
	expo_sample(&e, "t_total", NULL, NULL, UINT64_MAX);
	expo_metric(&e, "g", EXPO_GAUGE, "a gauge", 0);
	ck_assert(!e.failed);
	ck_assert_str_eq(e.buf,
	    "# HELP t_total back\\\\slash\\nnew \"q\"\n"
	    "# TYPE t_total counter\n"
	    "t_total{l=\"a\\\"b\\\\c\\nd\"} 7\n"
	    "t_total 18446744073709551615\n"
	    "# HELP g a gauge\n# TYPE g gauge\ng 0\n");
	ck_assert_int_eq(check_exposition(e.buf), 2);

	expo_reset(&e);
	ck_assert_uint_eq(e.len, 0);
	start = expo_process_start_time();
	ck_assert_msg(start > (double)time(NULL) - 3600 &&
	    start <= (double)time(NULL) + 1, "start time %f", start);
	expo_process(&e, start);
	ck_assert_int_eq(check_exposition(e.buf), 6);
	for (i = NFAMILIES - 6; i < NFAMILIES; i++)
		ck_assert_msg(strstr(e.buf, families[i].name) != NULL,
		    "no %s in\n%s", families[i].name, e.buf);
	/* A negative start time is left out. */
	expo_reset(&e);
	expo_process(&e, -1);
	ck_assert_ptr_null(strstr(e.buf, "process_start_time_seconds"));
	expo_free(&e);
}
END_TEST

/*
 * A whole scrape: the format, every family with its type, the close
 * reasons exactly those of the stats line, the configured numbers.
 */
START_TEST(test_exposition)
{
	const char *const args[] = { "--threads", "3", "--queue", "7", NULL };
	struct server s;
	struct rlimit rl;
	char key[128], want[160], *text, *line, *p;
	double now = (double)time(NULL), start;
	size_t i;
	int port, reasons = 0, n;

	port = start_with_metrics(&s, args);
	text = scrape(port);
	ck_assert_int_eq(check_exposition(text), (int)NFAMILIES);
	for (i = 0; i < NFAMILIES; i++) {
		(void)snprintf(want, sizeof(want), "\n# TYPE %s %s\n",
		    families[i].name, families[i].type);
		ck_assert_msg(strstr(text, want) != NULL, "no \"%s\" in:\n%s",
		    want + 1, text);
	}
	(void)snprintf(key, sizeof(key), "msgserverd_build_info{version=\"%s\"}",
	    PACKAGE_VERSION);
	ck_assert(value(text, key) == 1);
	ck_assert(value(text, "msgserverd_workers") == 3);
	ck_assert(value(text, "msgserverd_queue_capacity") == 7);
	ck_assert(value(text, "msgserverd_workers_busy") == 0);
	ck_assert(value(text, "msgserverd_connections_accepted_total") == 0);
	ck_assert(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	/* Inherited from us; valgrind keeps a few for itself. */
	ck_assert(value(text, "process_max_fds") <= (double)rl.rlim_cur &&
	    value(text, "process_max_fds") > (double)rl.rlim_cur - 64);
	ck_assert(value(text, "process_open_fds") >= 3);
	ck_assert(value(text, "process_resident_memory_bytes") > 0);
	ck_assert(value(text, "process_virtual_memory_bytes") >
	    value(text, "process_resident_memory_bytes"));
	ck_assert(value(text, "process_cpu_seconds_total") >= 0);
	start = value(text, "process_start_time_seconds");
	ck_assert_msg(start > now - 60 && start < now + 1,
	    "start time %f, now %f", start, now);

	/* One sample per close reason the stats line names, no other. */
	line = server_stats_line(&s);
	for (p = line; (p = strstr(p, " closed_")) != NULL; p += n) {
		n = (int)strcspn(p + 8, "=");
		(void)snprintf(key, sizeof(key),
		    "msgserverd_connections_closed_total{reason=\"%.*s\"}", n,
		    p + 8);
		ck_assert(value(text, key) == 0);
		reasons++;
	}
	ck_assert_int_ge(reasons, 8);
	for (p = text, n = 0; (p = strstr(p, "\nmsgserverd_connections_closed_"
	    "total{")) != NULL; p++)
		n++;
	ck_assert_int_eq(n, reasons);
	free(line);
	free(text);
	server_stop_clean(&s);
}
END_TEST

/* --- Numbers ----------------------------------------------------------------- */

/*
 * 1000 frames of 10 bytes, then a close: exact counts, the same as the
 * stats line's; then 500 empty frames, and the counters add up.
 */
START_TEST(test_counts_exact)
{
	static const struct {
		int		frames;
		uint32_t	len;
	} rounds[] = { { 1000, 10 }, { 500, 0 } };
	struct server s;
	char *text, *line;
	long frames = 0, bytes = 0;
	int port, i;

	port = start_with_metrics(&s, NULL);
	for (i = 0; i < 2; i++) {
		echo_traffic(s.port, rounds[i].frames, rounds[i].len);
		frames += rounds[i].frames;
		bytes += (long)rounds[i].frames * rounds[i].len;
		/*
		 * Counts land when the worker gets to them, and a scrape may
		 * be up to 0.1 s old: wait (boundedly) for each exact value.
		 */
		wait_value(port, "msgserverd_connections_closed_total"
		    "{reason=\"client\"}", i + 1);
		wait_value(port, "msgserverd_frames_total", frames);
		wait_value(port, "msgserverd_bytes_total", bytes);
		wait_value(port, "msgserverd_connections_accepted_total", i + 1);
		wait_value(port, "msgserverd_connections_active", 0);
		text = scrape(port);
		ck_assert(value(text, "msgserverd_connections_queued") == 0);
		ck_assert(value(text, "msgserverd_frames_total") == frames);
		free(text);
		line = server_stats_line(&s);
		ck_assert_int_eq(tn_stat_value(line, "frames"), frames);
		ck_assert_int_eq(tn_stat_value(line, "bytes"), bytes);
		free(line);
	}
	server_stop_clean(&s);
}
END_TEST

/* One worker: a second client queues; active, busy and queued say so. */
START_TEST(test_gauges)
{
	const char *const args[] = { "--threads", "1", "--queue", "4", NULL };
	struct server s;
	unsigned char p[16];
	char *text;
	int port, a, b;

	port = start_with_metrics(&s, args);
	tn_fill_random(p, sizeof(p), 1);
	a = tu_connect(s.port);
	tu_echo_check(a, p, sizeof(p));
	b = tu_connect(s.port);
	ck_assert_int_eq(msgframe_send(b, p, sizeof(p)), 0);
	wait_value(port, "msgserverd_connections_queued", 1);
	text = scrape(port);
	ck_assert(value(text, "msgserverd_connections_active") == 1);
	ck_assert(value(text, "msgserverd_workers_busy") == 1);
	ck_assert(value(text, "msgserverd_connections_accepted_total") == 2);
	free(text);
	close(a);
	wait_value(port, "msgserverd_connections_queued", 0);
	wait_value(port, "msgserverd_frames_total", 2);
	close(b);
	wait_value(port, "msgserverd_connections_active", 0);
	server_stop_clean(&s);
}
END_TEST

/* --reject-when-full: the turned-away client is counted as rejected. */
START_TEST(test_rejected)
{
	const char *const args[] = { "--threads", "1", "--queue", "1",
	    "--reject-when-full", NULL };
	struct server s;
	unsigned char p[16];
	int port, a, b, c;

	port = start_with_metrics(&s, args);
	tn_fill_random(p, sizeof(p), 2);
	a = tu_connect(s.port);
	tu_echo_check(a, p, sizeof(p));
	b = tu_connect(s.port);
	wait_value(port, "msgserverd_connections_queued", 1);
	c = tu_connect(s.port);
	ck_assert(tn_wait_closed(c, COUNT_WAIT_MS));
	wait_value(port, "msgserverd_connections_rejected_total", 1);
	close(a);
	close(b);
	close(c);
	server_stop_clean(&s);
}
END_TEST

/* Scrapes are not echo connections: accepted_total stays 0. */
START_TEST(test_scrapes_not_counted)
{
	struct server s;
	char *text, *line;
	int port, i;

	port = start_with_metrics(&s, NULL);
	for (i = 0; i < 20; i++)
		free(scrape(port));
	text = scrape(port);
	ck_assert(value(text, "msgserverd_connections_accepted_total") == 0);
	ck_assert(value(text, "msgserverd_connections_active") == 0);
	free(text);
	line = server_stats_line(&s);
	ck_assert_int_eq(tn_stat_value(line, "accepted"), 0);
	ck_assert_int_eq(tn_stat_value(line, "closed_client"), 0);
	free(line);
	server_stop_clean(&s);
}
END_TEST

/* --- HTTP -------------------------------------------------------------------- */

static const struct {
	const char	*req;
	int		 status;
} bad_requests[] = {
	{ "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 404 },
	{ "GET /metricsx HTTP/1.1\r\nHost: t\r\n\r\n", 404 },
	{ "GET /metrics/ HTTP/1.1\r\nHost: t\r\n\r\n", 404 },
	{ "HEAD /favicon.ico HTTP/1.1\r\nHost: t\r\n\r\n", 404 },
	{ "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc",
	    405 },
	{ "PUT /metrics HTTP/1.1\r\nHost: t\r\n\r\n", 405 },
	{ "DELETE /metrics HTTP/1.0\r\n\r\n", 405 },
	{ "garbage\r\n\r\n", 400 },
	{ "\x16\x03\x01\x02\x05\x01\r\n\r\n", 400 },
	{ "GET /metrics\r\n\r\n", 400 },
	{ "GET  /metrics HTTP/1.1\r\nHost: t\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1 \r\nHost: t\r\n\r\n", 400 },
	{ "GET /metrics HTTP/2.0\r\nHost: t\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\nHost: t\r\nno colon\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\nHost : t\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", 400 },
	{ "GET http://t/metrics HTTP/1.1\r\nHost: t\r\n\r\n", 400 },
};

/* Each bad request: its status, "Connection: close", then the close. */
START_TEST(test_http_errors)
{
	struct server s;
	struct reply r;
	struct hconn h;
	const char *req;
	size_t i;
	int port;

	port = start_with_metrics(&s, NULL);
	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		req = bad_requests[i].req;
		hconn_open(&h, port);
		hconn_puts(&h, req);
		ck_assert_msg(read_reply(&h, strncmp(req, "HEAD ", 5) == 0,
		    &r, REPLY_WAIT_MS), "no answer to %s", req);
		ck_assert_msg(r.status == bad_requests[i].status,
		    "%s: got %s", req, r.head);
		ck_assert_msg(header_is(r.head, "Connection", "close"),
		    "%s: no Connection: close in %s", req, r.head);
		ck_assert_msg(r.status != 405 ||
		    header_is(r.head, "Allow", "GET, HEAD"),
		    "%s: no Allow: GET, HEAD in %s", req, r.head);
		ck_assert_msg(tn_wait_closed(h.fd, 3000), "%s: still open",
		    req);
		reply_free(&r);
		hconn_close(&h);
	}
	free(scrape(port));
	server_stop_clean(&s);
}
END_TEST

/* What a scrape may look like: queries, HTTP/1.0, bare LF, close. */
START_TEST(test_http_ok_variants)
{
	static const char *const reqs[] = {
		"GET /metrics?x=1&y HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /metrics HTTP/1.1\nhOsT:t\nAccept: */*\n\n",
		"\r\n\r\nGET /metrics HTTP/1.1\r\nHost: t\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
	};
	struct server s;
	struct reply r;
	struct hconn h;
	size_t i;
	int port;

	port = start_with_metrics(&s, NULL);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		request(port, reqs[i], false, &r);
		ck_assert_msg(r.status == 200, "%s: %s", reqs[i], r.head);
		ck_assert_msg(header(r.head, "Connection") == NULL,
		    "%s: not kept open: %s", reqs[i], r.head);
		ck_assert_int_eq(check_exposition(r.body), (int)NFAMILIES);
		reply_free(&r);
	}
	/* HTTP/1.0 and "Connection: close" get the answer, then a close. */
	hconn_open(&h, port);
	hconn_puts(&h, "GET /metrics HTTP/1.0\r\n\r\n");
	ck_assert(read_reply(&h, false, &r, REPLY_WAIT_MS));
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(header(r.head, "Connection"));
	ck_assert(tn_wait_closed(h.fd, 3000));
	reply_free(&r);
	hconn_close(&h);
	hconn_open(&h, port);
	hconn_puts(&h, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: "
	    "foo, Close\r\n\r\n");
	ck_assert(read_reply(&h, false, &r, REPLY_WAIT_MS));
	ck_assert_int_eq(r.status, 200);
	ck_assert(tn_wait_closed(h.fd, 3000));
	reply_free(&r);
	hconn_close(&h);
	server_stop_clean(&s);
}
END_TEST

/*
 * HEAD: the GET answer's headers, no body (the next bytes are the next
 * answer's).  Pipelined requests are answered in order on one connection,
 * which stays open.
 */
START_TEST(test_http_head_and_keepalive)
{
	static const char three[] = GET_METRICS
	    "HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\n" GET_METRICS;
	struct server s;
	struct reply r;
	struct hconn h;
	uint64_t t0;
	int port, i;

	port = start_with_metrics(&s, NULL);
	hconn_open(&h, port);
	hconn_puts(&h, "HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert(read_reply(&h, true, &r, REPLY_WAIT_MS));
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_gt(strtoul(header(r.head, "Content-Length"), NULL, 10),
	    1000);
	ck_assert_ptr_nonnull(strstr(r.head, "version=0.0.4"));
	ck_assert_msg(header(r.head, "Connection") == NULL, "HEAD not kept "
	    "alive: %s", r.head);
	reply_free(&r);
	t0 = tn_now_ms();
	ck_assert_msg(!hconn_fill(&h, t0 + 200) && h.len == 0,
	    "HEAD answered with a body: %s", h.buf);
	ck_assert_msg(tn_now_ms() - t0 >= 150, "closed after the HEAD "
	    "answer");

	hconn_puts(&h, three);
	for (i = 0; i < 3; i++) {
		t0 = tn_now_ms();
		ck_assert_msg(read_reply(&h, i == 1, &r, REPLY_WAIT_MS),
		    "answer %d of 3 missing after %llu ms (%zu bytes: %.60s)",
		    i + 1, (unsigned long long)(tn_now_ms() - t0), h.len,
		    h.buf);
		ck_assert_int_eq(r.status, 200);
		if (i != 1)
			ck_assert_int_eq(check_exposition(r.body),
			    (int)NFAMILIES);
		reply_free(&r);
	}
	ck_assert_msg(!tn_wait_closed(h.fd, 200), "keep-alive closed");
	hconn_close(&h);
	server_stop_clean(&s);
}
END_TEST

/* A head larger than a few KiB: 431 and closed, and others unaffected. */
START_TEST(test_http_oversized)
{
	struct server s;
	struct reply r;
	struct hconn h;
	char *big;
	size_t n = 16 * 1024;
	int port;

	port = start_with_metrics(&s, NULL);
	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memcpy(big, "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: ", 39);
	memset(big + 39, 'a', n - 39);
	hconn_open(&h, port);
	hconn_send(&h, big, 5000);	/* more than the server keeps */
	ck_assert(read_reply(&h, false, &r, REPLY_WAIT_MS));
	ck_assert_int_eq(r.status, 431);
	reply_free(&r);
	/* Whatever else comes is discarded, then the connection closes. */
	(void)send(h.fd, big + 5000, n - 5000, MSG_NOSIGNAL);
	ck_assert(tn_wait_closed(h.fd, 3000));
	hconn_close(&h);
	free(big);
	free(scrape(port));
	server_stop_clean(&s);
}
END_TEST

/* Half a request line and then nothing: closed after ~2 s, not before. */
START_TEST(test_http_slow_request)
{
	struct server s;
	struct hconn h;
	uint64_t t0, ms;
	int port;

	port = start_with_metrics(&s, NULL);
	hconn_open(&h, port);
	t0 = tn_now_ms();
	hconn_puts(&h, "GET /metr");
	ck_assert_msg(tn_wait_closed(h.fd, 6000), "a stalled request still "
	    "open after 6 s");
	ms = tn_now_ms() - t0;
	ck_assert_msg(ms >= 1500, "closed after %llu ms: too eager",
	    (unsigned long long)ms);
	hconn_close(&h);

	/* And a client that sends nothing at all. */
	hconn_open(&h, port);
	ck_assert(tn_wait_closed(h.fd, 6000));
	hconn_close(&h);
	free(scrape(port));
	server_stop_clean(&s);
}
END_TEST

#define IDLE_CLIENTS	5
#define FLOOD_HELD	64
#define FLOOD_MAX	20000	/* bounds the TIME_WAIT sockets left behind */
#define FLOOD_BURST	50	/* connections, then a 5 ms pause: <= 10000/s */

struct flood {
	int		 port;
	atomic_bool	 stop;
	atomic_ulong	 connects;	/* read by the test while it runs */
	int		 err;		/* first unexpected errno, 0 if none */
};

/*
 * Connect to the metrics port at up to 10000 connections a second: half
 * of them closed at once, half held (up to FLOOD_HELD, oldest closed
 * first) sending nothing or half a request.  Unpaced, a local flood on a
 * busy 2-core machine can outrun any accept loop; then the kernel's
 * accept queue fills and drops SYNs, the scraper's included, and the
 * scrape waits for TCP's 1 s and 3 s SYN retransmits, which is the
 * kernel's business, not the server's.
 */
static void *
flood_main(void *arg)
{
	struct flood *f = arg;
	unsigned long n;
	int held[FLOOD_HELD], nheld = 0, fd, i;

	for (i = 0; i < FLOOD_HELD; i++)
		held[i] = -1;
	while (!atomic_load(&f->stop) && atomic_load(&f->connects) <
	    FLOOD_MAX) {
		if ((fd = tn_try_connect(f->port)) == -1) {
			/* A full backlog makes connect wait and time out. */
			if (errno != ETIMEDOUT && errno != EAGAIN &&
			    errno != EINPROGRESS && f->err == 0)
				f->err = errno;
			continue;
		}
		n = atomic_fetch_add(&f->connects, 1) + 1;
		if (n % FLOOD_BURST == 0)
			tn_sleep_ms(5);
		if (n % 2 == 0) {
			close(fd);
			continue;
		}
		if (n % 3 == 0)
			(void)send(fd, "GET /me", 7, MSG_NOSIGNAL);
		if (held[nheld] != -1)
			close(held[nheld]);
		held[nheld] = fd;
		nheld = (nheld + 1) % FLOOD_HELD;
	}
	for (i = 0; i < FLOOD_HELD; i++)
		if (held[i] != -1)
			close(held[i]);
	return NULL;
}

/*
 * Five clients that connect and send nothing, and a flood of
 * connections: a scraper still gets every answer within 5 s, and the
 * echo port keeps echoing.
 */
START_TEST(test_idle_clients_and_flood)
{
	struct server s;
	struct flood f;
	pthread_t tid;
	unsigned char p[32];
	uint64_t t0, t1, worst = 0, ms;
	char *text;
	int port, idle[IDLE_CLIENTS], echo, i;

	port = start_with_metrics(&s, NULL);
	for (i = 0; i < IDLE_CLIENTS; i++)
		idle[i] = tu_connect(port);
	echo = tu_connect(s.port);
	tn_fill_random(p, sizeof(p), 3);
	memset(&f, 0, sizeof(f));
	f.port = port;
	atomic_init(&f.stop, false);
	atomic_init(&f.connects, 0);
	ck_assert_int_eq(pthread_create(&tid, NULL, flood_main, &f), 0);
	tn_sleep_ms(200);
	t1 = tn_now_ms();
	for (i = 0; i < 10; i++) {
		t0 = tn_now_ms();
		text = scrape(port);
		ms = tn_now_ms() - t0;
		worst = ms > worst ? ms : worst;
		ck_assert_int_eq(check_exposition(text), (int)NFAMILIES);
		free(text);
		t0 = tn_now_ms();
		tu_echo_check(echo, p, sizeof(p));
		ms = tn_now_ms() - t0;
		ck_assert_msg(ms < 1000, "an echo took %llu ms during the "
		    "flood", (unsigned long long)ms);
		tn_sleep_ms(100);
	}
	fprintf(stderr, "flood: %lu connections after %llu ms of scraping\n",
	    atomic_load(&f.connects), (unsigned long long)(tn_now_ms() - t1));
	atomic_store(&f.stop, true);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert_msg(f.err == 0, "flood: connect: %s", strerror(f.err));
	ck_assert_msg(atomic_load(&f.connects) > 100, "only %lu flood "
	    "connections", atomic_load(&f.connects));
	ck_assert_msg(worst < REPLY_WAIT_MS, "slowest scrape %llu ms",
	    (unsigned long long)worst);
	fprintf(stderr, "flood: %lu connections, slowest scrape %llu ms\n",
	    atomic_load(&f.connects), (unsigned long long)worst);
	for (i = 0; i < IDLE_CLIENTS; i++)
		close(idle[i]);
	close(echo);
	/* Only the echo connection was an echo connection. */
	text = scrape(port);
	ck_assert(value(text, "msgserverd_connections_accepted_total") == 1);
	free(text);
	server_stop_clean(&s);
}
END_TEST

/*
 * A scraper that pipelines requests and never reads, with a tiny receive
 * buffer, so that the server's writes to it block.  Another scraper is
 * answered meanwhile, the stuck one is closed once an answer has waited
 * 2 s (the verbose log says so), and stopping with such clients still
 * connected is clean.
 */
START_TEST(test_stuck_scraper)
{
	const char *const verbose[] = { "--verbose", NULL };
	struct server s;
	struct hconn stuck, other;
	char *reqs;
	size_t len = strlen(GET_METRICS), n = 200, i;
	uint64_t t0;
	int port;

	port = start_with_metrics(&s, verbose);
	reqs = malloc(len * n);
	ck_assert_ptr_nonnull(reqs);
	for (i = 0; i < n; i++)
		memcpy(reqs + i * len, GET_METRICS, len);
	hconn_open_rcvbuf(&stuck, port, 2048);
	hconn_send(&stuck, reqs, len * n);
	tn_sleep_ms(300);

	t0 = tn_now_ms();
	free(scrape(port));
	ck_assert_uint_lt(tn_now_ms() - t0, REPLY_WAIT_MS);

	ck_assert_msg(server_log_wait(&s, "answer not read", 6000),
	    "a scraper that does not read was not closed within 6 s");
	ck_assert(tn_wait_closed(stuck.fd, 1000));
	hconn_close(&stuck);

	/* Stop with one stuck and one half-sent request open. */
	hconn_open_rcvbuf(&stuck, port, 2048);
	hconn_send(&stuck, reqs, len * n);
	hconn_open(&other, port);
	hconn_puts(&other, "GET /");
	tn_sleep_ms(100);
	server_stop_clean(&s);
	hconn_close(&stuck);
	hconn_close(&other);
	free(reqs);
}
END_TEST

/* Bad requests are debug lines, at most about one a second. */
START_TEST(test_log_not_flooded)
{
	const char *const verbose[] = { "--verbose", NULL };
	struct server s;
	struct reply r;
	int port, i, pass, lines;

	for (pass = 0; pass < 2; pass++) {
		port = start_with_metrics(&s, pass == 0 ? NULL : verbose);
		for (i = 0; i < 50; i++) {
			request(port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n",
			    false, &r);
			ck_assert_int_eq(r.status, 404);
			reply_free(&r);
		}
		lines = server_log_count(&s, "metrics: ");
		if (pass == 0)
			ck_assert_msg(lines == 0, "%d lines without "
			    "--verbose", lines);
		else
			ck_assert_msg(lines >= 1 && lines <= 5, "%d lines for "
			    "50 bad requests with --verbose", lines);
		server_stop_clean(&s);
	}
}
END_TEST

/* --- Command line ----------------------------------------------------------- */

/*
 * Run the daemon on 127.0.0.1 port 0 with --metrics value; returns its
 * waitpid() status, its stderr in *err (free it).
 */
static int
run_metrics_value(const char *value, char **err)
{
	const char *argv[] = { NULL, "--bind", "127.0.0.1", "--port", "0",
	    "--metrics", NULL, NULL };
	char *out;
	size_t outlen;
	int status;

	argv[0] = tu_program("MSGSERVERD");
	argv[6] = value;
	status = tu_run(argv, NULL, 0, &out, &outlen, err, 10000);
	free(out);
	return status;
}

static const char *const bad_metrics[] = {
	"", "9464", "127.0.0.1", "127.0.0.1:", ":9464", "::1:9464", "[::1]",
	"127.0.0.1:65536", "127.0.0.1:http", "[::1]9464", "a b:1",
};

START_TEST(test_bad_metrics_value)
{
	char *err;
	int status;

	status = run_metrics_value(bad_metrics[_i], &err);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 64,
	    "--metrics '%s': status 0x%x, not exit 64; stderr: %s",
	    bad_metrics[_i], status, err);
	ck_assert_msg(strstr(err, "--metrics") != NULL &&
	    strstr(err, bad_metrics[_i]) != NULL, "the message names neither "
	    "the option nor the value: %s", err);
	free(err);
}
END_TEST

/*
 * An address in use (a running daemon's echo port), or not this host's
 * to bind (TEST-NET-1): a start-up failure, exit 71.
 */
START_TEST(test_metrics_unbindable)
{
	struct server s;
	char addr[64], *err;
	int status, i;

	server_start(&s, NULL);
	for (i = 0; i < 2; i++) {
		if (i == 0)
			(void)snprintf(addr, sizeof(addr), "127.0.0.1:%d",
			    s.port);
		else
			(void)snprintf(addr, sizeof(addr), "192.0.2.1:0");
		status = run_metrics_value(addr, &err);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 71,
		    "--metrics %s: status 0x%x, not exit 71; stderr: %s",
		    addr, status, err);
		ck_assert_msg(strstr(err, "--metrics") != NULL,
		    "the message does not name --metrics: %s", err);
		ck_assert_msg(i != 0 || strstr(err, "in use") != NULL,
		    "the message does not say it is in use: %s", err);
		free(err);
	}
	server_stop_clean(&s);
}
END_TEST

/* [::1]:0 serves over IPv6 (skipped where this host has no ::1). */
START_TEST(test_metrics_ipv6)
{
	const char *const args[] = { "--metrics", "[::1]:0", NULL };
	struct sockaddr_in6 sin6;
	struct server s;
	struct reply r;
	struct hconn h;
	char *log, *p;
	int fd, port = -1;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin6,
	    sizeof(sin6)) == -1) {
		fprintf(stderr, "test_metrics_ipv6: no ::1 here, skipped\n");
		if (fd != -1)
			close(fd);
		return;
	}
	close(fd);
	server_start(&s, args);
	log = server_log_read(&s);
	if ((p = strstr(log, "metrics on [::1]:")) != NULL)
		port = atoi(p + 17);
	free(log);
	ck_assert_msg(port > 0, "no \"metrics on [::1]:PORT\" line");
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(fd != -1);
	sin6.sin6_port = htons((uint16_t)port);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0,
	    "connect [::1]:%d: %s", port, strerror(errno));
	h.fd = fd;
	h.cap = 65536;
	h.len = 0;
	h.eof = false;
	h.buf = calloc(1, h.cap);
	ck_assert_ptr_nonnull(h.buf);
	hconn_puts(&h, GET_METRICS);
	ck_assert(read_reply(&h, false, &r, REPLY_WAIT_MS));
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(check_exposition(r.body), (int)NFAMILIES);
	reply_free(&r);
	hconn_close(&h);
	server_stop_clean(&s);
}
END_TEST

/* Off by default: no metrics line, no metrics thread. */
START_TEST(test_metrics_off_by_default)
{
	struct server s;

	server_start(&s, NULL);
	ck_assert_int_eq(server_log_count(&s, "metrics"), 0);
	server_stop_clean(&s);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("metrics");

	tc = tcase_create("Format");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_expo_writer);
	tcase_add_test(tc, test_exposition);
	suite_add_tcase(s, tc);

	tc = tcase_create("Numbers");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_counts_exact);
	tcase_add_test(tc, test_gauges);
	tcase_add_test(tc, test_rejected);
	tcase_add_test(tc, test_scrapes_not_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("HTTP");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_http_errors);
	tcase_add_test(tc, test_http_ok_variants);
	tcase_add_test(tc, test_http_head_and_keepalive);
	tcase_add_test(tc, test_http_oversized);
	tcase_add_test(tc, test_http_slow_request);
	tcase_add_test(tc, test_idle_clients_and_flood);
	tcase_add_test(tc, test_stuck_scraper);
	tcase_add_test(tc, test_log_not_flooded);
	suite_add_tcase(s, tc);

	tc = tcase_create("Command line");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_bad_metrics_value, 0,
	    (int)(sizeof(bad_metrics) / sizeof(bad_metrics[0])));
	tcase_add_test(tc, test_metrics_unbindable);
	tcase_add_test(tc, test_metrics_ipv6);
	tcase_add_test(tc, test_metrics_off_by_default);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(metrics_suite());
}
