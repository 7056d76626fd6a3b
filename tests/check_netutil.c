/*
 * check_netutil.c - unit tests for the socket helpers (src/netutil.h).
 *
 * "Core": addresses formatted, a connection made and its socket options,
 * socket timeouts set and cleared.  "Limits": unknown families, refused
 * and unresolvable connections, and a connect that only the timeout ends.
 * Only 127.0.0.1 with kernel-chosen ports, and every wait is bounded (poll
 * timeouts, SO_RCVTIMEO), so a broken implementation fails a test instead
 * of hanging the suite.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "netutil.h"
#include "testutil.h"

static int	listen_loopback(int, int *);
static Suite	*netutil_suite(void);
static long	 fd_table_size(void);
static int	 open_fds(void);

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A TCP listener on 127.0.0.1 with a kernel-chosen port. */
static int
listen_loopback(int backlog, int *port)
{
	struct sockaddr_in sin;
	socklen_t len;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	len = sizeof(sin);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	ck_assert_int_gt(*port, 0);
	return fd;
}

START_TEST(test_net_format_ipv4)
{
	struct sockaddr_in sin;
	char buf[NETUTIL_ADDRSTRLEN];
	const char *s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(8080);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr), 1);
	s = netutil_format_addr((struct sockaddr *)&sin, sizeof(sin), buf,
	    sizeof(buf));
	ck_assert_ptr_eq(s, buf);
	ck_assert_str_eq(s, "127.0.0.1:8080");

	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	sin.sin_port = 0;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin,
	    sizeof(sin), buf, sizeof(buf)), "0.0.0.0:0");

	ck_assert_int_eq(inet_pton(AF_INET, "255.255.255.255",
	    &sin.sin_addr), 1);
	sin.sin_port = htons(65535);
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin,
	    sizeof(sin), buf, sizeof(buf)), "255.255.255.255:65535");

	/* A truncated result is still NUL-terminated within buflen. */
	memset(buf, 'x', sizeof(buf));
	s = netutil_format_addr((struct sockaddr *)&sin, sizeof(sin), buf, 5);
	ck_assert_ptr_eq(s, buf);
	ck_assert_uint_eq(strlen(buf), 4);
	ck_assert_int_eq(buf[5], 'x');
}
END_TEST

START_TEST(test_net_format_ipv6)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
	char buf[NETUTIL_ADDRSTRLEN];

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	sin6.sin6_addr = in6addr_loopback;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), "[::1]:443");

	sin6.sin6_addr = in6addr_any;
	sin6.sin6_port = 0;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), "[::]:0");

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1:2",
	    &sin6.sin6_addr), 1);
	sin6.sin6_port = htons(65535);
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), "[2001:db8::1:2]:65535");

	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:10.0.0.1",
	    &sin6.sin6_addr), 1);
	sin6.sin6_port = htons(1);
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), "[::ffff:10.0.0.1]:1");

	/* The length accept() reports for a sockaddr_storage works too. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &sin6, sizeof(sin6));
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&ss,
	    sizeof(ss), buf, sizeof(buf)), "[::ffff:10.0.0.1]:1");
}
END_TEST

START_TEST(test_net_format_unknown)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	char buf[NETUTIL_ADDRSTRLEN];

	/* Unix sockets (from the service manager) have names too. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/run/msgserverd.sock");
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sun,
	    sizeof(sun), buf, sizeof(buf)), "unix:/run/msgserverd.sock");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "\0echo", 5);
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 5), buf,
	    sizeof(buf)), "unix:@echo");
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sun,
	    (socklen_t)offsetof(struct sockaddr_un, sun_path), buf,
	    sizeof(buf)), "unix:");

	/* A family it does not know. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_APPLETALK;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin,
	    sizeof(sin), buf, sizeof(buf)), "?");

	/* A length too short for the family must not be read past. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_str_eq(netutil_format_addr((struct sockaddr *)&sin,
	    sizeof(sin) - 1, buf, sizeof(buf)), "?");
	ck_assert_str_eq(netutil_format_addr(NULL, 0, buf, sizeof(buf)), "?");
}
END_TEST

START_TEST(test_net_connect_ok)
{
	static const int timeouts[] = { 2000, 0 };
	static const char *const hosts[] = { "127.0.0.1", "localhost" };
	struct sockaddr_storage local, peer;
	socklen_t llen, plen;
	char port[16], err[256], c;
	size_t i, j;
	int lfd, fd, afd, lport, one, flags;
	socklen_t olen;

	lfd = listen_loopback(16, &lport);
	(void)snprintf(port, sizeof(port), "%d", lport);
	for (i = 0; i < NELEM(hosts); i++) {
		for (j = 0; j < NELEM(timeouts); j++) {
			err[0] = '\0';
			/*
			 * "localhost" may resolve to ::1 first, which nobody
			 * listens on: netutil_connect must move on.
			 */
			fd = netutil_connect(hosts[i], port, timeouts[j], err,
			    sizeof(err));
			ck_assert_msg(fd >= 0, "connect %s port %s: %s",
			    hosts[i], port, err);

			/* Blocking, close-on-exec, TCP_NODELAY. */
			flags = fcntl(fd, F_GETFL);
			ck_assert_int_ne(flags, -1);
			ck_assert_int_eq(flags & O_NONBLOCK, 0);
			flags = fcntl(fd, F_GETFD);
			ck_assert_int_ne(flags, -1);
			ck_assert_int_ne(flags & FD_CLOEXEC, 0);
			one = 0;
			olen = sizeof(one);
			ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP,
			    TCP_NODELAY, &one, &olen), 0);
			ck_assert_int_ne(one, 0);

			/* The listener's next connection is this one. */
			plen = sizeof(peer);
			afd = accept(lfd, (struct sockaddr *)&peer, &plen);
			ck_assert_int_ne(afd, -1);
			llen = sizeof(local);
			ck_assert_int_eq(getsockname(fd,
			    (struct sockaddr *)&local, &llen), 0);
			ck_assert_uint_eq(llen, plen);
			ck_assert(memcmp(&local, &peer, llen) == 0);

			/* And it carries data, both ways. */
			ck_assert_int_eq(netutil_set_timeouts(fd, 5000), 0);
			ck_assert_int_eq(netutil_set_timeouts(afd, 5000), 0);
			ck_assert_int_eq(write(fd, "x", 1), 1);
			ck_assert_int_eq(read(afd, &c, 1), 1);
			ck_assert_int_eq(c, 'x');
			ck_assert_int_eq(write(afd, "y", 1), 1);
			ck_assert_int_eq(read(fd, &c, 1), 1);
			ck_assert_int_eq(c, 'y');
			ck_assert_int_eq(close(afd), 0);
			ck_assert_int_eq(close(fd), 0);
		}
	}
	ck_assert_int_eq(close(lfd), 0);
}
END_TEST

START_TEST(test_net_connect_refused)
{
	char port[16], err[256], small[8];
	int lfd, lport, fd;

	/* A port that was just ours and is now closed: nothing listens. */
	lfd = listen_loopback(1, &lport);
	ck_assert_int_eq(close(lfd), 0);
	(void)snprintf(port, sizeof(port), "%d", lport);

	err[0] = '\0';
	errno = 0;
	fd = netutil_connect("127.0.0.1", port, 2000, err, sizeof(err));
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_msg(strstr(err, port) != NULL, "no port in \"%s\"", err);
	ck_assert_msg(strstr(err, "127.0.0.1") != NULL, "no host in \"%s\"",
	    err);
	ck_assert_msg(strstr(err, strerror(ECONNREFUSED)) != NULL,
	    "no reason in \"%s\"", err);

	/* Same with no timeout of our own. */
	fd = netutil_connect("127.0.0.1", port, 0, err, sizeof(err));
	ck_assert_int_eq(fd, -1);
	ck_assert_ptr_nonnull(strstr(err, port));

	/* A short buffer is truncated, not overrun; NULL is allowed. */
	memset(small, 'x', sizeof(small));
	fd = netutil_connect("127.0.0.1", port, 2000, small, 4);
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(strlen(small), 3);
	ck_assert_int_eq(small[4], 'x');
	ck_assert_int_eq(netutil_connect("127.0.0.1", port, 2000, NULL, 0),
	    -1);
}
END_TEST

START_TEST(test_net_connect_bad_service)
{
	char err[256];

	/* Resolution fails locally (no DNS involved): a service name. */
	err[0] = '\0';
	ck_assert_int_eq(netutil_connect("127.0.0.1", "no-such-service-zq",
	    1000, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no-such-service-zq") != NULL,
	    "no port in \"%s\"", err);
	ck_assert_msg(strstr(err, "127.0.0.1") != NULL, "no host in \"%s\"",
	    err);
}
END_TEST

START_TEST(test_net_connect_timeout)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	char port[16], err[256];
	int lfd, lport, fillers[16], nfill, stalled, fd, rc;
	uint64_t t0;
	int64_t elapsed;

	/*
	 * A listener with backlog 0 that never accepts: once its accept
	 * queue is full the kernel drops further SYNs, so a connect neither
	 * succeeds nor fails and only our timeout can end it.
	 */
	lfd = listen_loopback(0, &lport);
	(void)snprintf(port, sizeof(port), "%d", lport);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)lport);
	stalled = 0;
	for (nfill = 0; nfill < (int)NELEM(fillers) && !stalled; nfill++) {
		fillers[nfill] = socket(AF_INET,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ck_assert_int_ne(fillers[nfill], -1);
		rc = connect(fillers[nfill], (struct sockaddr *)&sin,
		    sizeof(sin));
		ck_assert(rc == 0 || errno == EINPROGRESS);
		if (rc == 0)
			continue;
		pfd.fd = fillers[nfill];
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rc = poll(&pfd, 1, 150);
		ck_assert_int_ne(rc, -1);
		stalled = rc == 0;
	}
	ck_assert_msg(stalled, "could not fill the accept queue");

	t0 = clock_now_ns();
	errno = 0;
	fd = netutil_connect("127.0.0.1", port, 300, err, sizeof(err));
	elapsed = (int64_t)((clock_now_ns() - t0) / CLOCK_NS_PER_MS);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_msg(strstr(err, port) != NULL, "no port in \"%s\"", err);
	ck_assert_msg(strstr(err, strerror(ETIMEDOUT)) != NULL,
	    "no reason in \"%s\"", err);
	ck_assert_msg(elapsed >= 250 && elapsed < 3000,
	    "timed out after %lld ms, want about 300", (long long)elapsed);

	while (nfill > 0)
		ck_assert_int_eq(close(fillers[--nfill]), 0);
	ck_assert_int_eq(close(lfd), 0);
}
END_TEST

START_TEST(test_net_set_timeouts)
{
	struct timeval tv;
	socklen_t len;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);

	ck_assert_int_eq(netutil_set_timeouts(fd, 1500), 0);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len),
	    0);
	ck_assert_int_eq(tv.tv_sec, 1);
	/* The kernel may round to its clock tick: allow a few ms. */
	ck_assert(tv.tv_usec >= 490000 && tv.tv_usec <= 510000);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len),
	    0);
	ck_assert_int_eq(tv.tv_sec, 1);
	ck_assert(tv.tv_usec >= 490000 && tv.tv_usec <= 510000);

	/* 0 removes them again. */
	ck_assert_int_eq(netutil_set_timeouts(fd, 0), 0);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len),
	    0);
	ck_assert(tv.tv_sec == 0 && tv.tv_usec == 0);
	len = sizeof(tv);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len),
	    0);
	ck_assert(tv.tv_sec == 0 && tv.tv_usec == 0);

	errno = 0;
	ck_assert_int_eq(netutil_set_timeouts(fd, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(close(fd), 0);

	/* Not a socket. */
	ck_assert_int_eq(netutil_set_timeouts(-1, 100), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

static const struct {
	const char	*s, *host, *port;
} hostports_ok[] = {
	{ "127.0.0.1:9464", "127.0.0.1", "9464" },
	{ "localhost:0", "localhost", "0" },
	{ "[::1]:9464", "::1", "9464" },
	{ "[::]:65535", "::", "65535" },
	{ "[fe80::1%eth0]:80", "fe80::1%eth0", "80" },
	{ "0.0.0.0:09464", "0.0.0.0", "9464" },
	{ "metrics.example:1", "metrics.example", "1" },
};

START_TEST(test_net_split_hostport_ok)
{
	char host[NETUTIL_HOSTLEN], port[NETUTIL_PORTLEN], err[128];

	ck_assert_int_eq(netutil_split_hostport(hostports_ok[_i].s, host,
	    sizeof(host), port, sizeof(port), err, sizeof(err)), 0);
	ck_assert_str_eq(host, hostports_ok[_i].host);
	ck_assert_str_eq(port, hostports_ok[_i].port);
	/* Checking only, with nowhere to write. */
	ck_assert_int_eq(netutil_split_hostport(hostports_ok[_i].s, NULL, 0,
	    NULL, 0, NULL, 0), 0);
}
END_TEST

static const struct {
	const char	*s, *why;	/* why: a word the reason must hold */
} hostports_bad[] = {
	{ "", "HOST:PORT" },
	{ "9464", "HOST:PORT" },
	{ ":9464", "empty" },
	{ "127.0.0.1:", "port" },
	{ "127.0.0.1:http", "port" },
	{ "127.0.0.1:65536", "port" },
	{ "127.0.0.1:-1", "port" },
	{ "127.0.0.1:+80", "port" },
	{ "127.0.0.1:99999999999999999999999", "port" },
	{ "127.0.0.1:80:81", "brackets" },
	{ "::1:9464", "brackets" },
	{ "[::1]9464", "[ADDRESS]:PORT" },
	{ "[::1]", "[ADDRESS]:PORT" },
	{ "[::1:9464", "[ADDRESS]:PORT" },
	{ "[]:9464", "empty" },
	{ "[[::1]]:9464", "[ADDRESS]:PORT" },
	{ "[::1[]:9464", "bracket" },
	{ "a]b:9464", "bracket" },
	{ "local host:9464", "spaces" },
	{ "localhost:94\n64", "control" },
};

START_TEST(test_net_split_hostport_bad)
{
	char host[NETUTIL_HOSTLEN], port[NETUTIL_PORTLEN], err[128];

	strcpy(host, "untouched");
	strcpy(port, "none");
	ck_assert_int_eq(netutil_split_hostport(hostports_bad[_i].s, host,
	    sizeof(host), port, sizeof(port), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, hostports_bad[_i].why) != NULL,
	    "'%s': reason \"%s\" lacks \"%s\"", hostports_bad[_i].s, err,
	    hostports_bad[_i].why);
	ck_assert_str_eq(host, "untouched");
	ck_assert_str_eq(port, "none");
	ck_assert_int_eq(netutil_split_hostport(hostports_bad[_i].s, NULL, 0,
	    NULL, 0, NULL, 0), -1);
}
END_TEST

/* The buffers bound what is accepted, and so does NETUTIL_HOSTLEN. */
START_TEST(test_net_split_hostport_lengths)
{
	char s[NETUTIL_HOSTLEN + 16], host[NETUTIL_HOSTLEN], port[8];
	char err[128];

	memset(s, 'a', NETUTIL_HOSTLEN - 1);
	strcpy(s + NETUTIL_HOSTLEN - 1, ":80");
	ck_assert_int_eq(netutil_split_hostport(s, host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(host), NETUTIL_HOSTLEN - 1);
	ck_assert_int_eq(netutil_split_hostport(s, host, 10, port,
	    sizeof(port), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));

	memset(s, 'a', NETUTIL_HOSTLEN);
	strcpy(s + NETUTIL_HOSTLEN, ":80");
	ck_assert_int_eq(netutil_split_hostport(s, NULL, 0, NULL, 0, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));

	ck_assert_int_eq(netutil_split_hostport("h:65535", host,
	    sizeof(host), port, NETUTIL_PORTLEN - 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "room"));
}
END_TEST


/* The descriptor table's size, FDSize in /proc/self/status (Linux). */
static long
fd_table_size(void)
{
	char	 line[256];
	FILE	*f;
	long	 n = -1;

	f = fopen("/proc/self/status", "r");
	ck_assert_msg(f != NULL, "/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "FDSize: %ld", &n) == 1)
			break;
	fclose(f);
	ck_assert_msg(n > 0, "no FDSize in /proc/self/status");
	return n;
}

static int
open_fds(void)
{
	int	fd, n = 0;

	for (fd = 0; fd < 8192; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/*
 * netutil_presize_fds() grows the table (so a multithreaded process never
 * has to, see netutil.h), leaves no descriptor behind, disturbs none in
 * use, and stops at RLIMIT_NOFILE.
 */
START_TEST(test_net_presize_fds)
{
	struct rlimit	rl;
	int		before, high;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max >= 4096 ? 4096 : rl.rlim_max;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	ck_assert_msg(rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= 4096,
	    "RLIMIT_NOFILE %llu < 4096", (unsigned long long)rl.rlim_cur);
	ck_assert_msg(fd_table_size() < 1500, "table already %ld",
	    fd_table_size());
	before = open_fds();

	ck_assert_int_eq(netutil_presize_fds(1500), 0);
	ck_assert_msg(fd_table_size() >= 1500, "table %ld after presizing "
	    "to 1500", fd_table_size());
	ck_assert_int_eq(open_fds(), before);
	ck_assert_int_eq(netutil_presize_fds(0), 0);

	/* A descriptor where the probe would go stays as it was. */
	high = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 2999);
	ck_assert_int_eq(high, 2999);
	ck_assert_int_eq(netutil_presize_fds(3000), 0);
	ck_assert_int_ne(fcntl(high, F_GETFD), -1);
	ck_assert_int_eq(open_fds(), before + 1);
	close(high);

	/* Beyond the limit: as far as the limit, and no error. */
	rl.rlim_cur = 3500;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_int_eq(netutil_presize_fds(1000000), 0);
	ck_assert_int_eq(open_fds(), before);
}
END_TEST

static Suite *
netutil_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("netutil");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_net_format_ipv4);
	tcase_add_test(tc, test_net_format_ipv6);
	tcase_add_test(tc, test_net_connect_ok);
	tcase_add_test(tc, test_net_set_timeouts);
	tcase_add_loop_test(tc, test_net_split_hostport_ok, 0,
	    (int)(sizeof(hostports_ok) / sizeof(hostports_ok[0])));
	tcase_add_loop_test(tc, test_net_split_hostport_bad, 0,
	    (int)(sizeof(hostports_bad) / sizeof(hostports_bad[0])));
	tcase_add_test(tc, test_net_split_hostport_lengths);
	/* Every wait inside is bounded well below this. */
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_net_format_unknown);
	tcase_add_test(tc, test_net_connect_refused);
	tcase_add_test(tc, test_net_connect_bad_service);
	tcase_add_test(tc, test_net_connect_timeout);
	tcase_add_test(tc, test_net_presize_fds);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(netutil_suite());
}
