/*
 * check_tools.c - end-to-end tests of the client tools: msgclient and
 * msgbench ($MSGCLIENT, $MSGBENCH) against the real daemon ($MSGSERVERD),
 * and against small misbehaving servers run inside the test.
 *
 * msgclient: arguments, lines and binary data round-trip exactly; a closed
 *            port, a wrong echo, a silent server and a full stdout fail
 *            with the documented status and a clear message.
 * msgbench:  a clean run finds no mismatch; a corrupting server is caught;
 *            open loop (--rate) counts a server's pause as latency on every
 *            frame due meanwhile, where closed loop sees it only on the
 *            frames in flight; the rate offered is achieved; the percentile
 *            file and the interval lines agree with the report.
 *
 * Threads in these tests never call ck_assert: they only serve sockets,
 * and the test's own thread checks the results.
 */
#include <config.h>

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "msgframe.h"
#include "testutil.h"

#define RUN_TIMEOUT_MS		30000
#define BINARY_LEN		(300 * 1000)
#define TSRV_MAX_CONNS		8
#define CORRUPT_MAX_FRAME	(1024 * 1024)
/* The pausing server stops this long after its first connection... */
#define PAUSE_AFTER_MS		1000
/* ...for this long. */
#define PAUSE_MS		1000

/*
 * A misbehaving server run inside the test: an acceptor thread and a
 * thread per connection (at most TSRV_MAX_CONNS) running conn_main.
 */
struct tsrv {
	int		 lfd;
	int		 port;
	void		*(*conn_main)(void *);	/* gets a struct tsrv_conn */
	pthread_t	 acceptor;
	pthread_t	 conns[TSRV_MAX_CONNS];
	int		 fds[TSRV_MAX_CONNS];
	int		 nconns;
	pthread_mutex_t	 lock;
	_Atomic uint64_t pause_at;	/* pausing server: tn_now_ms() */
};

struct tsrv_conn {
	int		 fd;
	struct tsrv	*ts;
};

/* A command line with a usage mistake and the one line it must print. */
struct usage_case {
	const char	*args[4];
	const char	*msg;
};

static int	 listen_loopback(int *);
static int	 closed_port(void);
static void	*corrupt_conn_main(void *);
static void	*pause_conn_main(void *);
static void	 pause_wait(struct tsrv *);
static void	*tsrv_accept_main(void *);
static void	 tsrv_start(struct tsrv *, void *(*)(void *));
static void	 tsrv_stop(struct tsrv *);
static void	 port_str(char *, size_t, int);
static int	 run_tool(const char *const *, const void *, size_t, char **,
		    size_t *, char **);
static void	 expect_exit(int, int, const char *, const char *);
static void	 expect_usage(const char *, const char *,
		    const struct usage_case *, size_t);
static double	 json_number(const char *, const char *);
static int	 bench_run(int, const char *const *, char **, char **);

/* --- Helpers ------------------------------------------------------------ */

/* A TCP socket listening on 127.0.0.1 with a kernel-chosen port. */
static int
listen_loopback(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "bind: %s", strerror(errno));
	ck_assert_msg(listen(fd, 64) == 0, "listen: %s", strerror(errno));
	ck_assert_msg(getsockname(fd, (struct sockaddr *)&sin, &len) == 0,
	    "getsockname: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * A port on 127.0.0.1 that nothing listens on: bound by the kernel, then
 * released.  (Another process could take it meanwhile; unlikely enough.)
 */
static int
closed_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "bind: %s", strerror(errno));
	ck_assert_msg(getsockname(fd, (struct sockaddr *)&sin, &len) == 0,
	    "getsockname: %s", strerror(errno));
	close(fd);
	return ntohs(sin.sin_port);
}

/* Echoes every frame with its first payload byte flipped. */
static void *
corrupt_conn_main(void *arg)
{
	struct tsrv_conn	*cc = arg;
	unsigned char		*buf;
	size_t			 len;

	if ((buf = malloc(CORRUPT_MAX_FRAME)) == NULL)
		goto out;
	while (msgframe_recv(cc->fd, buf, CORRUPT_MAX_FRAME, &len) == 1) {
		if (len > 0)
			buf[0] ^= 0x01;
		if (msgframe_send(cc->fd, buf, (uint32_t)len) == -1)
			break;
	}
	free(buf);
out:
	/* tsrv_stop() closes the socket: no fd is reused under it. */
	free(cc);
	return NULL;
}

/*
 * Echoes bytes as they come, except for PAUSE_MS from PAUSE_AFTER_MS
 * after the first connection: a server that stops for a while, as a
 * garbage collector or a swapped-out process would.
 */
static void *
pause_conn_main(void *arg)
{
	struct tsrv_conn	*pc = arg;
	unsigned char		 buf[16384];
	ssize_t			 n;

	for (;;) {
		pause_wait(pc->ts);
		n = recv(pc->fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Bytes that came just before the pause wait it out too. */
		pause_wait(pc->ts);
		if (tn_send_tolerant(pc->fd, buf, (size_t)n, 10000, NULL) !=
		    (size_t)n)
			break;
	}
	free(pc);
	return NULL;
}

static void
pause_wait(struct tsrv *ts)
{
	uint64_t	at = atomic_load(&ts->pause_at), now = tn_now_ms();

	if (at != 0 && now >= at && now < at + PAUSE_MS)
		tn_sleep_ms((int)(at + PAUSE_MS - now));
}

static void *
tsrv_accept_main(void *arg)
{
	struct tsrv		*cs = arg;
	struct tsrv_conn	*cc;
	struct timeval		 tv = { 10, 0 };
	uint64_t		 unset = 0;
	int			 fd;

	for (;;) {
		fd = accept4(cs->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;		/* tsrv_stop() shut lfd down */
		}
		(void)atomic_compare_exchange_strong(&cs->pause_at, &unset,
		    tn_now_ms() + PAUSE_AFTER_MS);
		/* Bounded waits, so a stuck client cannot hang the test. */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		pthread_mutex_lock(&cs->lock);
		if (cs->nconns == TSRV_MAX_CONNS ||
		    (cc = malloc(sizeof(*cc))) == NULL) {
			pthread_mutex_unlock(&cs->lock);
			close(fd);
			continue;
		}
		cc->fd = fd;
		cc->ts = cs;
		if (pthread_create(&cs->conns[cs->nconns], NULL,
		    cs->conn_main, cc) != 0) {
			pthread_mutex_unlock(&cs->lock);
			free(cc);
			close(fd);
			continue;
		}
		cs->fds[cs->nconns++] = fd;
		pthread_mutex_unlock(&cs->lock);
	}
	return NULL;
}

static void
tsrv_start(struct tsrv *cs, void *(*conn_main)(void *))
{
	memset(cs, 0, sizeof(*cs));
	cs->conn_main = conn_main;
	ck_assert(pthread_mutex_init(&cs->lock, NULL) == 0);
	cs->lfd = listen_loopback(&cs->port);
	ck_assert(pthread_create(&cs->acceptor, NULL, tsrv_accept_main,
	    cs) == 0);
}

/* Wake the acceptor (shutdown makes accept fail) and the connections. */
static void
tsrv_stop(struct tsrv *cs)
{
	int	i;

	(void)shutdown(cs->lfd, SHUT_RDWR);
	ck_assert(pthread_join(cs->acceptor, NULL) == 0);
	close(cs->lfd);
	pthread_mutex_lock(&cs->lock);
	for (i = 0; i < cs->nconns; i++)
		(void)shutdown(cs->fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&cs->lock);
	for (i = 0; i < cs->nconns; i++) {
		ck_assert(pthread_join(cs->conns[i], NULL) == 0);
		close(cs->fds[i]);
	}
	pthread_mutex_destroy(&cs->lock);
}

static void
port_str(char *buf, size_t len, int port)
{
	snprintf(buf, len, "%d", port);
}

static int
run_tool(const char *const *argv, const void *in, size_t inlen, char **out,
    size_t *outlen, char **err)
{
	return tu_run(argv, in, inlen, out, outlen, err, RUN_TIMEOUT_MS);
}

/* The tool exited (not killed) with exactly want. */
static void
expect_exit(int status, int want, const char *what, const char *err)
{
	ck_assert_msg(WIFEXITED(status), "%s: killed by signal %d; stderr: %s",
	    what, WIFSIGNALED(status) ? WTERMSIG(status) : 0, err);
	ck_assert_msg(WEXITSTATUS(status) == want, "%s: exit %d, want %d; "
	    "stderr: %s", what, WEXITSTATUS(status), want, err);
}

/*
 * Each case makes the tool in $env exit with EX_USAGE, print nothing on
 * stdout and exactly "NAME: MSG" and the --help hint on stderr.
 */
static void
expect_usage(const char *env, const char *name, const struct usage_case *t,
    size_t n)
{
	char	*out, *err, want[512];
	size_t	 outlen, i;
	int	 status;

	for (i = 0; i < n; i++) {
		const char *argv[] = { tu_program(env), t[i].args[0],
		    t[i].args[1], t[i].args[2], t[i].args[3], NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
		expect_exit(status, EX_USAGE, t[i].args[0], err);
		(void)snprintf(want, sizeof(want), "%s: %s\n"
		    "Try '%s --help' for more information.\n", name,
		    t[i].msg, name);
		ck_assert_str_eq(err, want);
		ck_assert_str_eq(out, "");
		free(out);
		free(err);
	}
}

/* The number after "key": in a flat-enough JSON text; fails if absent. */
static double
json_number(const char *json, const char *key)
{
	char		 pat[64];
	const char	*p;
	char		*end;
	double		 v;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	ck_assert_msg(p != NULL, "no key %s in JSON: %s", key, json);
	p += strlen(pat);
	while (*p == ' ')
		p++;
	ck_assert_msg(*p == ':', "no ':' after %s in JSON: %s", key, json);
	v = strtod(p + 1, &end);
	ck_assert_msg(end != p + 1, "no number for %s in JSON: %s", key,
	    json);
	return v;
}

/* --- msgclient ----------------------------------------------------------- */

START_TEST(test_client_args)
{
	struct server	 s;
	char		 port[16], *out, *err;
	size_t		 outlen;
	int		 status;
	const char	*want = "hello\n\nwith  spaces\n";

	server_start(&s, NULL);
	port_str(port, sizeof(port), s.port);
	{
		const char *argv[] = { tu_program("MSGCLIENT"), "-H",
		    "127.0.0.1", "-p", port, "hello", "", "with  spaces",
		    NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	expect_exit(status, 0, "msgclient MESSAGE...", err);
	ck_assert_msg(outlen == strlen(want) && memcmp(out, want, outlen) == 0,
	    "stdout '%s', want '%s'", out, want);
	free(out);
	free(err);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_client_lines)
{
	struct server	 s;
	char		 port[16], *out, *err, *in, *want;
	size_t		 outlen, inlen = 0, wantlen = 0, cap = 200000;
	int		 status, i;

	/* Empty lines, a last line without newline, and enough to pipeline. */
	in = malloc(cap);
	want = malloc(cap);
	ck_assert(in != NULL && want != NULL);
	for (i = 0; i < 5000; i++) {
		inlen += (size_t)snprintf(in + inlen, cap - inlen, "%s\n",
		    i % 3 == 0 ? "" : "line");
		wantlen += (size_t)snprintf(want + wantlen, cap - wantlen,
		    "%s\n", i % 3 == 0 ? "" : "line");
	}
	inlen += (size_t)snprintf(in + inlen, cap - inlen, "last");
	wantlen += (size_t)snprintf(want + wantlen, cap - wantlen, "last\n");

	server_start(&s, NULL);
	port_str(port, sizeof(port), s.port);
	{
		const char *argv[] = { tu_program("MSGCLIENT"), "-H",
		    "127.0.0.1", "-p", port, NULL };

		status = run_tool(argv, in, inlen, &out, &outlen, &err);
	}
	expect_exit(status, 0, "msgclient < lines", err);
	ck_assert_msg(outlen == wantlen && memcmp(out, want, wantlen) == 0,
	    "stdout (%zu bytes) differs from the %zu expected", outlen,
	    wantlen);
	free(out);
	free(err);
	free(in);
	free(want);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_client_raw_binary)
{
	static const char *chunks[] = { NULL, "1000", "333" };
	struct server	 s;
	unsigned char	*in;
	char		 port[16], *out, *err;
	size_t		 outlen, i;
	int		 status;

	in = malloc(BINARY_LEN);
	ck_assert(in != NULL);
	tn_fill_random(in, BINARY_LEN, 42);
	/* Make sure of the bytes a text-minded client would mangle. */
	in[0] = '\0';
	in[1] = '\n';
	in[BINARY_LEN / 2] = '\r';
	in[BINARY_LEN - 1] = '\0';

	server_start(&s, NULL);
	port_str(port, sizeof(port), s.port);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		const char *argv[] = { tu_program("MSGCLIENT"), "-H",
		    "127.0.0.1", "-p", port, "-r", "--chunk", chunks[i],
		    NULL };

		if (chunks[i] == NULL)
			argv[6] = NULL;
		status = run_tool(argv, in, BINARY_LEN, &out, &outlen, &err);
		expect_exit(status, 0, "msgclient -r", err);
		ck_assert_msg(outlen == BINARY_LEN &&
		    memcmp(out, in, BINARY_LEN) == 0, "--chunk %s: %zu bytes "
		    "out, not the %d bytes in", chunks[i] != NULL ? chunks[i] :
		    "default", outlen, BINARY_LEN);
		free(out);
		free(err);
	}
	free(in);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_client_closed_port)
{
	char	 port[16], *out, *err;
	size_t	 outlen;
	int	 status;

	port_str(port, sizeof(port), closed_port());
	{
		const char *argv[] = { tu_program("MSGCLIENT"), "-H",
		    "127.0.0.1", "-p", port, "hello", NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	expect_exit(status, EX_UNAVAILABLE, "msgclient to a closed port", err);
	ck_assert_msg(strncmp(err, "msgclient: ", 11) == 0 &&
	    strstr(err, port) != NULL, "the message should start with "
	    "'msgclient: ' and name port %s: %s", port, err);
	ck_assert_msg(outlen == 0, "printed '%s'", out);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_client_stdout_full)
{
	struct server	 s;
	char		 port[16], *out, *err;
	size_t		 outlen;
	int		 status;

	if (access("/dev/full", W_OK) != 0)
		return;		/* not Linux-like: nothing to test with */
	server_start(&s, NULL);
	port_str(port, sizeof(port), s.port);
	{
		/* tu_run captures stdout, so a shell points it at /dev/full. */
		const char *argv[] = { "/bin/sh", "-c",
		    "exec \"$0\" -H 127.0.0.1 -p \"$1\" hello >/dev/full",
		    tu_program("MSGCLIENT"), port, NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	expect_exit(status, EX_IOERR, "msgclient > /dev/full", err);
	ck_assert_msg(strstr(err, "msgclient: ") != NULL &&
	    strstr(err, "standard output") != NULL, "the message should "
	    "say standard output failed: %s", err);
	free(out);
	free(err);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_client_detects_corruption)
{
	struct tsrv	 cs;
	char			 port[16], *out, *err;
	size_t			 outlen;
	int			 status;

	tsrv_start(&cs, corrupt_conn_main);
	port_str(port, sizeof(port), cs.port);
	{
		const char *argv[] = { tu_program("MSGCLIENT"), "-H",
		    "127.0.0.1", "-p", port, "hello", NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	tsrv_stop(&cs);
	expect_exit(status, EX_DATAERR, "msgclient against a corrupting "
	    "server", err);
	ck_assert_msg(strstr(err, "differs") != NULL, "the message should "
	    "say the echo differs: %s", err);
	ck_assert_msg(outlen == 0, "printed a wrong echo: '%s'", out);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_client_timeout)
{
	char		 port[16], *out, *err;
	size_t		 outlen;
	int		 lfd, p, status;

	/* The kernel completes the handshake; nobody ever answers. */
	lfd = listen_loopback(&p);
	port_str(port, sizeof(port), p);
	{
		const char *argv[] = { tu_program("MSGCLIENT"), "-H",
		    "127.0.0.1", "-p", port, "-T", "0.5", "hello", NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	close(lfd);
	expect_exit(status, EX_IOERR, "msgclient against a silent server",
	    err);
	/* The message, not the clock, shows -T was used: loaded CI is slow. */
	ck_assert_msg(strstr(err, "msgclient: ") != NULL && strstr(err,
	    "no echo") != NULL && strstr(err, "0.500 s") != NULL, "the "
	    "message should say no echo came within 0.500 s: %s", err);
	free(out);
	free(err);
}
END_TEST

/* Each mistake gets exactly one line and the --help hint, as msgserverd. */
START_TEST(test_client_usage)
{
	static const struct usage_case bad[] = {
		{ { "--no-such-option" },
		    "unrecognized option '--no-such-option'" },
		{ { "-p", "0" }, "invalid value '0' for --port: must be "
		    "between 1 and 65535" },
		{ { "-p", "70000" }, "invalid value '70000' for --port: "
		    "must be between 1 and 65535" },
		{ { "-T", "-1" }, "invalid value '-1' for --timeout: must be a "
		    "number of seconds between 0 and 86400, with at most 3 "
		    "decimals" },
		{ { "-m", "12Q" }, "invalid value '12Q' for --max-frame: must "
		    "be a size between 1 and 4294967295, in bytes or with a K, "
		    "M or G suffix" },
		{ { "-c", "0" }, "invalid value '0' for --chunk: must be "
		    "between 1 and 4294967295" },
		{ { "-r", "message" },
		    "extra operand 'message': --raw sends standard input" },
		{ { "-r", "-c", "2K", "-m" }, "option '--max-frame' requires "
		    "an argument" },
		{ { "-r", "-c", "2K", "-m1K" }, "invalid value '2K' for "
		    "--chunk: must be at most --max-frame (1K)" },
	};
	expect_usage("MSGCLIENT", "msgclient", bad,
	    sizeof(bad) / sizeof(bad[0]));
}
END_TEST

/* --- msgbench ------------------------------------------------------------ */

START_TEST(test_bench_clean_run)
{
	struct server	 s;
	char		 port[16], *out, *err;
	size_t		 outlen;
	int		 status;

	server_start(&s, NULL);
	port_str(port, sizeof(port), s.port);
	{
		const char *argv[] = { tu_program("MSGBENCH"), "-H",
		    "127.0.0.1", "-p", port, "-c", "8", "-d", "4", "-n", "200",
		    "-s", "1:2000", "--json", "-q", NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	expect_exit(status, 0, "msgbench against msgserverd", err);
	ck_assert_msg(json_number(out, "mismatches") == 0, "mismatches: %s",
	    out);
	ck_assert_msg(json_number(out, "errors") == 0, "errors: %s", out);
	ck_assert_msg(json_number(out, "failed") == 0, "failed: %s", out);
	ck_assert_msg(json_number(out, "established") == 8, "established: %s",
	    out);
	ck_assert_msg(json_number(out, "frames") == 8 * 200, "frames: %s",
	    out);
	ck_assert_msg(json_number(out, "frames_per_s") > 0, "frames/s: %s",
	    out);
	ck_assert_msg(json_number(out, "p50") > 0, "latency: %s", out);
	ck_assert_msg(json_number(out, "client_stall_ms") >= 0, "stall: %s",
	    out);
	free(out);
	free(err);
	server_stop_clean(&s);
}
END_TEST

/*
 * A load generator that is held up makes the server look slow: msgbench
 * must notice.  Stop it with SIGSTOP for 2 s in the middle of a run; it
 * must report a stall of about that length and warn about it.  A thread
 * stopped while asleep counts only what exceeds its wait (up to 100 ms),
 * hence the margin.
 */
#define STALL_STOP_MS	2000
#define STALL_MARGIN_MS	500

START_TEST(test_bench_reports_stall)
{
	const char	*outpath = "check_tools_stall.out";
	const char	*errpath = "check_tools_stall.err";
	struct server	 s;
	char		 port[16], *out, *err;
	uint64_t	 deadline;
	pid_t		 pid;
	int		 status, ofd, efd;

	server_start(&s, NULL);
	port_str(port, sizeof(port), s.port);
	ofd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert(ofd != -1 && efd != -1);
	{
		const char *argv[] = { tu_program("MSGBENCH"), "-H",
		    "127.0.0.1", "-p", port, "-c", "2", "-j", "1", "-t", "4",
		    "--json", NULL };

		pid = fork();
		ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
		if (pid == 0) {
			if (dup2(ofd, STDOUT_FILENO) == -1 ||
			    dup2(efd, STDERR_FILENO) == -1)
				_exit(127);
			execv(argv[0], (char *const *)argv);
			_exit(127);
		}
	}
	close(ofd);
	close(efd);
	tn_sleep_ms(1000);
	ck_assert(kill(pid, SIGSTOP) == 0);
	tn_sleep_ms(STALL_STOP_MS);
	ck_assert(kill(pid, SIGCONT) == 0);
	deadline = tn_now_ms() + RUN_TIMEOUT_MS;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (tn_now_ms() > deadline) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			ck_abort_msg("msgbench still running after %d ms",
			    RUN_TIMEOUT_MS);
		}
		tn_sleep_ms(10);
	}
	out = tn_read_file(outpath, NULL);
	err = tn_read_file(errpath, NULL);
	ck_assert(out != NULL && err != NULL);
	(void)unlink(outpath);
	(void)unlink(errpath);
	expect_exit(status, 0, "msgbench stopped for a while", err);
	ck_assert_msg(json_number(out, "client_stall_ms") >=
	    STALL_STOP_MS - STALL_MARGIN_MS, "a %d ms stop not reported: %s",
	    STALL_STOP_MS, out);
	ck_assert_msg(strstr(err, "was held up for") != NULL,
	    "no warning on stderr: %s", err);
	free(out);
	free(err);
	server_stop_clean(&s);
}
END_TEST

/*
 * msgbench sizes its descriptor table for every connection before its
 * threads start (a table grown by a thread's socket() waits for an RCU
 * grace period: a stall of the load generator's own, netutil.h).  At 10
 * connections/s, half a second in, only a few sockets exist, yet the
 * table (FDSize in /proc) must already hold 1500.
 */
#define PRESIZE_CONNS	1500

START_TEST(test_bench_presizes_fds)
{
	struct server	 s;
	struct rlimit	 rl;
	char		 port[16], conns[16], path[64], line[256];
	FILE		*f;
	long		 size = -1;
	pid_t		 pid;
	int		 status, null;

	ck_assert(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * PRESIZE_CONNS)
		return;		/* msgbench could not run: nothing to see */
	server_start(&s, NULL);
	port_str(port, sizeof(port), s.port);
	snprintf(conns, sizeof(conns), "%d", PRESIZE_CONNS);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ck_assert(null != -1);
	{
		const char *argv[] = { tu_program("MSGBENCH"), "-H",
		    "127.0.0.1", "-p", port, "-c", conns, "-j", "2",
		    "--connect-rate", "10", "-t", "10", "-q", NULL };

		pid = fork();
		ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
		if (pid == 0) {
			if (dup2(null, STDOUT_FILENO) == -1 ||
			    dup2(null, STDERR_FILENO) == -1)
				_exit(127);
			execv(argv[0], (char *const *)argv);
			_exit(127);
		}
	}
	close(null);
	tn_sleep_ms(500);
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "FDSize: %ld", &size) == 1)
				break;
		fclose(f);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	server_stop_clean(&s);
	ck_assert_msg(size >= PRESIZE_CONNS, "msgbench -c %d had a descriptor "
	    "table of %ld", PRESIZE_CONNS, size);
}
END_TEST

START_TEST(test_bench_table)
{
	struct server	 s;
	char		 port[16], *out, *err;
	size_t		 outlen;
	int		 status;

	server_start(&s, NULL);
	port_str(port, sizeof(port), s.port);
	{
		const char *argv[] = { tu_program("MSGBENCH"), "-H",
		    "127.0.0.1", "-p", port, "-c", "4", "-t", "0.5", NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	expect_exit(status, 0, "msgbench -t 0.5", err);
	ck_assert_msg(strstr(out, "frames/s") != NULL &&
	    strstr(out, "p99.9") != NULL && strstr(out, "mismatches") != NULL &&
	    strstr(out, "client stall") != NULL,
	    "the table lacks a figure: %s", out);
	free(out);
	free(err);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_bench_detects_corruption)
{
	struct tsrv	 cs;
	char			 port[16], *out, *err;
	size_t			 outlen;
	int			 status;

	tsrv_start(&cs, corrupt_conn_main);
	port_str(port, sizeof(port), cs.port);
	{
		const char *argv[] = { tu_program("MSGBENCH"), "-H",
		    "127.0.0.1", "-p", port, "-c", "2", "-d", "2", "-n", "20",
		    "--json", NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	tsrv_stop(&cs);
	expect_exit(status, 1, "msgbench against a corrupting server", err);
	ck_assert_msg(json_number(out, "mismatches") > 0, "no mismatch "
	    "found: %s", out);
	ck_assert_msg(strstr(err, "differs") != NULL, "no mismatch message: "
	    "%s", err);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_bench_closed_port)
{
	char	 port[16], *out, *err;
	size_t	 outlen;
	int	 status;

	port_str(port, sizeof(port), closed_port());
	{
		const char *argv[] = { tu_program("MSGBENCH"), "-H",
		    "127.0.0.1", "-p", port, "-c", "3", "-t", "1", "--json",
		    NULL };

		status = run_tool(argv, NULL, 0, &out, &outlen, &err);
	}
	expect_exit(status, 1, "msgbench to a closed port", err);
	ck_assert_msg(json_number(out, "failed") == 3, "failed: %s", out);
	ck_assert_msg(strstr(err, port) != NULL, "the message should name "
	    "port %s: %s", port, err);
	free(out);
	free(err);
}
END_TEST

/* The same wording as msgclient and msgserverd for the same mistakes. */
START_TEST(test_bench_usage)
{
	static const struct usage_case bad[] = {
		{ { "--no-such-option" },
		    "unrecognized option '--no-such-option'" },
		{ { "-c", "0" }, "invalid value '0' for --connections: must be "
		    "between 1 and 1000000" },
		{ { "-d", "x" }, "invalid value 'x' for --depth: must be a "
		    "whole number between 1 and 65536" },
		{ { "-s", "9:3" }, "invalid value '9:3' for --size: must be "
		    "MIN:MAX with MIN <= MAX <= 1G, in bytes or with a K, M or "
		    "G suffix" },
		{ { "-s", "2G" },
		    "invalid value '2G' for --size: must be between 0 and 1G" },
		{ { "-t", "0" }, "invalid value '0' for --duration: must be "
		    "between 0.001 and 604800 seconds" },
		{ { "-t", "1", "-n", "5" },
		    "--duration and --frames exclude each other" },
		{ { "extra-argument" }, "extra operand 'extra-argument'" },
		{ { "--json=1" }, "option '--json' doesn't allow an argument" },
		{ { "--timeout" }, "option '--timeout' requires an argument" },
		{ { "--rate", "0" }, "invalid value '0' for --rate: must be "
		    "between 1 and 10000000" },
		{ { "--rate", "10000001" }, "invalid value '10000001' for "
		    "--rate: must be between 1 and 10000000" },
		{ { "--rate", "-5" }, "invalid value '-5' for --rate: must be "
		    "a whole number between 1 and 10000000" },
		{ { "--rate", "2k" }, "invalid value '2k' for --rate: must be "
		    "a whole number between 1 and 10000000" },
		{ { "--rate" }, "option '--rate' requires an argument" },
		{ { "-i", "0.05" }, "invalid value '0.05' for --interval: must "
		    "be between 0.1 and 604800 seconds" },
		{ { "--percentiles", "" },
		    "invalid value '' for --percentiles: must not be empty" },
	};
	expect_usage("MSGBENCH", "msgbench", bad,
	    sizeof(bad) / sizeof(bad[0]));
}
END_TEST

/*
 * Run msgbench against 127.0.0.1:port with args (NULL-terminated, at
 * most 16) after -H and -p; its stdout and stderr to *out and *err.
 */
static int
bench_run(int port, const char *const *args, char **out, char **err)
{
	const char	*argv[24];
	char		 p[16];
	size_t		 n = 0, outlen;

	port_str(p, sizeof(p), port);
	argv[n++] = tu_program("MSGBENCH");
	argv[n++] = "-H";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = p;
	while (*args != NULL && n < sizeof(argv) / sizeof(argv[0]) - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	return run_tool(argv, NULL, 0, out, &outlen, err);
}

/*
 * A server that stops echoing for PAUSE_MS, a third of the way into a 3 s
 * run.  Open loop (2000 frames/s), every frame due during the pause waits
 * for its end, so about a quarter of the frames see hundreds of ms and
 * p99 shows the pause.  Closed loop, only the 4 frames in flight when it
 * began wait (of tens of thousands): the maximum shows the pause, p99
 * does not.  Coordinated omission is exactly the closed-loop figure.
 */
START_TEST(test_bench_open_loop_pause)
{
	static const char *open_args[] = { "-c", "4", "-d", "64", "-t", "3",
	    "--rate", "2000", "--json", "-q", NULL };
	static const char *closed_args[] = { "-c", "4", "-d", "1", "-t", "3",
	    "--json", "-q", NULL };
	struct tsrv	 ts;
	char		*open_out, *closed_out, *err;
	double		 open_p99, closed_p99, closed_max;
	int		 status;

	tsrv_start(&ts, pause_conn_main);
	status = bench_run(ts.port, open_args, &open_out, &err);
	tsrv_stop(&ts);
	expect_exit(status, 0, "msgbench --rate against a pausing server", err);
	free(err);
	/* A fresh server: a pause of its own, at the same point. */
	tsrv_start(&ts, pause_conn_main);
	status = bench_run(ts.port, closed_args, &closed_out, &err);
	tsrv_stop(&ts);
	expect_exit(status, 0, "msgbench against a pausing server", err);
	free(err);

	open_p99 = json_number(open_out, "p99");
	closed_p99 = json_number(closed_out, "p99");
	closed_max = json_number(closed_out, "max");
	ck_assert_msg(open_p99 >= 300000, "open loop: p99 %.1f us does not "
	    "show a %d ms pause: %s", open_p99, PAUSE_MS, open_out);
	ck_assert_msg(closed_max >= PAUSE_MS * 500.0, "closed loop: max "
	    "%.1f us, no frame saw the pause: %s", closed_max, closed_out);
	ck_assert_msg(closed_p99 < 100000 && closed_p99 * 5 < open_p99,
	    "closed loop p99 %.1f us, open loop %.1f us: no contrast",
	    closed_p99, open_p99);
	free(open_out);
	free(closed_out);
}
END_TEST

/* A modest rate against the real server is met, and no warning says not. */
START_TEST(test_bench_rate_achieved)
{
	static const char *args[] = { "-c", "4", "-t", "2", "--rate", "2000",
	    "--json", NULL };
	struct server	 s;
	char		*out, *err;
	double		 got;
	int		 status;

	server_start(&s, NULL);
	status = bench_run(s.port, args, &out, &err);
	expect_exit(status, 0, "msgbench --rate 2000", err);
	ck_assert_msg(json_number(out, "rate_offered") == 2000, "%s", out);
	got = json_number(out, "rate_achieved");
	ck_assert_msg(got >= 1900 && got <= 2100, "achieved %.1f frames/s of "
	    "2000: %s", got, out);
	ck_assert_msg(json_number(out, "errors") == 0, "%s", out);
	ck_assert_msg(strstr(err, "achieved") == NULL, "a shortfall warning "
	    "at %.1f frames/s: %s", got, err);
	free(out);
	free(err);
	server_stop_clean(&s);
}
END_TEST

/*
 * --percentiles: HdrHistogram's header, the last line at percentile 1,
 * and the footer's count and maximum those of the JSON report; the JSON's
 * nines in order.
 */
START_TEST(test_bench_percentiles_file)
{
	static const char *path = "check_tools_percentiles.hgrm";
	static const char *args[] = { "-c", "4", "-d", "4", "-n", "300",
	    "--json", "-q", "--percentiles", "check_tools_percentiles.hgrm",
	    NULL };
	static const char *nines[] = { "p50", "p90", "p99", "p999", "p9999",
	    "p99999", "max" };
	struct server	 s;
	unsigned long long count, total;
	char		*out, *err, *text, *foot, *last;
	double		 max, value, pct, prev = 0, v;
	size_t		 i;
	int		 status;

	server_start(&s, NULL);
	status = bench_run(s.port, args, &out, &err);
	expect_exit(status, 0, "msgbench --percentiles", err);
	text = tn_read_file(path, NULL);
	ck_assert_msg(text != NULL, "no file %s", path);
	(void)unlink(path);
	ck_assert_msg(strncmp(text, "       Value     Percentile TotalCount "
	    "1/(1-Percentile)\n\n", 57) == 0, "header: %.80s", text);
	foot = strstr(text, "#[Max");
	ck_assert_msg(foot != NULL && sscanf(foot, "#[Max = %lf, Total count "
	    "= %llu]", &max, &count) == 2, "footer: %s", text);
	ck_assert_uint_eq(count, (unsigned long long)json_number(out,
	    "frames"));
	ck_assert_uint_eq(count, 4 * 300);
	/* The JSON has one decimal, the file three. */
	ck_assert_msg(max - json_number(out, "max") < 0.051 &&
	    json_number(out, "max") - max < 0.051, "max %.3f, JSON %s", max,
	    out);
	/* The last data line: the maximum at percentile 1, every frame. */
	*strstr(text, "#[Mean") = '\0';
	last = strrchr(text, '\n');
	ck_assert(last != NULL);
	*last = '\0';
	last = strrchr(text, '\n');
	ck_assert(last != NULL && sscanf(last + 1, "%lf %lf %llu", &value,
	    &pct, &total) == 3);
	ck_assert_msg(pct == 1.0 && total == count && value == max,
	    "last line: %s", last + 1);
	for (i = 0; i < sizeof(nines) / sizeof(nines[0]); i++) {
		v = json_number(out, nines[i]);
		ck_assert_msg(v >= prev, "%s %.1f below the one before: %s",
		    nines[i], v, out);
		prev = v;
	}
	free(text);
	free(out);
	free(err);
	server_stop_clean(&s);
}
END_TEST

/* --interval: a line per half second on stderr, the same in --json. */
START_TEST(test_bench_intervals)
{
	static const char *args[] = { "-c", "2", "-t", "2", "-i", "0.5",
	    "--json", NULL };
	struct server	 s;
	unsigned long long sum = 0;
	const char	*p;
	char		*out, *err;
	int		 status, lines = 0, entries = 0;

	server_start(&s, NULL);
	status = bench_run(s.port, args, &out, &err);
	expect_exit(status, 0, "msgbench -i 0.5", err);
	for (p = err; (p = strstr(p, " frames/s ")) != NULL; p++)
		if (strstr(p, " p99 ") != NULL)
			lines++;
	ck_assert_msg(lines >= 3 && lines <= 5, "%d interval lines: %s",
	    lines, err);
	p = strstr(out, "\"intervals\": [");
	ck_assert_msg(p != NULL, "no intervals in %s", out);
	while ((p = strstr(p, "\"frames\": ")) != NULL) {
		sum += strtoull(p + 10, NULL, 10);
		entries++;
		p++;
	}
	ck_assert_int_eq(entries, lines);
	ck_assert_msg(sum == (unsigned long long)json_number(out, "frames"),
	    "intervals hold %llu frames: %s", sum, out);
	free(out);
	free(err);
	server_stop_clean(&s);
}
END_TEST

START_TEST(test_tools_version_help)
{
	static const char *envs[] = { "MSGCLIENT", "MSGBENCH" };
	static const char *opts[] = { "--version", "-V", "--help", "-h" };
	char	*out, *err;
	size_t	 outlen, i, j;
	int	 status;

	for (i = 0; i < 2; i++) {
		for (j = 0; j < 4; j++) {
			const char *argv[] = { tu_program(envs[i]), opts[j],
			    NULL };

			status = run_tool(argv, NULL, 0, &out, &outlen, &err);
			expect_exit(status, 0, opts[j], err);
			ck_assert_msg(j >= 2 || strstr(out, PACKAGE_VERSION) !=
			    NULL, "%s %s: %s", envs[i], opts[j], out);
			ck_assert_msg(j < 2 || strstr(out, "--timeout") != NULL,
			    "%s %s: %s", envs[i], opts[j], out);
			/* Both look where msgserverd listens by default. */
			ck_assert_msg(j < 2 || strstr(out,
			    "(default 127.0.0.1)") != NULL, "%s %s: %s",
			    envs[i], opts[j], out);
			free(out);
			free(err);
		}
	}
}
END_TEST

static Suite *
tools_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("tools");

	tc = tcase_create("msgclient");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_client_args);
	tcase_add_test(tc, test_client_lines);
	tcase_add_test(tc, test_client_raw_binary);
	tcase_add_test(tc, test_client_closed_port);
	tcase_add_test(tc, test_client_stdout_full);
	tcase_add_test(tc, test_client_detects_corruption);
	tcase_add_test(tc, test_client_timeout);
	tcase_add_test(tc, test_client_usage);
	suite_add_tcase(s, tc);

	tc = tcase_create("msgbench");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bench_clean_run);
	tcase_add_test(tc, test_bench_reports_stall);
	tcase_add_test(tc, test_bench_table);
	tcase_add_test(tc, test_bench_presizes_fds);
	tcase_add_test(tc, test_bench_detects_corruption);
	tcase_add_test(tc, test_bench_closed_port);
	tcase_add_test(tc, test_bench_usage);
	tcase_add_test(tc, test_tools_version_help);
	suite_add_tcase(s, tc);

	tc = tcase_create("msgbench open loop");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bench_open_loop_pause);
	tcase_add_test(tc, test_bench_rate_achieved);
	tcase_add_test(tc, test_bench_percentiles_file);
	tcase_add_test(tc, test_bench_intervals);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(tools_suite());
}
