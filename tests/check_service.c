/*
 * check_service.c - the daemon as a service manager sees it, end to end:
 * sockets passed to it (socket activation), the sd_notify messages it
 * sends (readiness, status, stopping, watchdog), several --bind
 * addresses, journal priorities, and a stop that serves what was
 * accepted.  The "service manager" here is the test itself: it holds the
 * listening socket, binds the notification socket and reads it.  The same
 * behaviour under a real systemd is checked by tests/systemd.test.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msgframe.h"
#include "testutil.h"

/* A second under WATCHDOG_USEC=200000 should see about ten pings. */
#define WATCHDOG_USEC	"200000"

static int	listening_socket(int *port);
static int	notify_socket(char *name, size_t len);
static bool	next_message(int fd, char *buf, size_t len, int timeout_ms);
static bool	wait_message(int fd, const char *prefix, char *buf, size_t len,
		    int timeout_ms);
static int	count_messages(int fd, const char *prefix, int ms);
static int	exit_status(struct server *s, int timeout_ms);

/* A listening TCP socket on 127.0.0.1 and an ephemeral port. */
static int
listening_socket(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* An abstract datagram socket, as systemd's NOTIFY_SOCKET; its name in
 * name ("@..."). */
static int
notify_socket(char *name, size_t len)
{
	static unsigned serial;
	struct sockaddr_un sun;
	int fd;

	(void)snprintf(name, len, "@check_service.%ld.%u", (long)getpid(),
	    ++serial);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, name + 1, strlen(name) - 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(name))), 0);
	return fd;
}

static bool
next_message(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return false;
	n = recv(fd, buf, len - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Skip messages until one starts with prefix, within timeout_ms. */
static bool
wait_message(int fd, const char *prefix, char *buf, size_t len,
    int timeout_ms)
{
	uint64_t deadline = tn_now_ms() + (uint64_t)timeout_ms;
	uint64_t now;

	while ((now = tn_now_ms()) < deadline)
		if (next_message(fd, buf, len, (int)(deadline - now)) &&
		    strncmp(buf, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* How many messages starting with prefix arrive within ms. */
static int
count_messages(int fd, const char *prefix, int ms)
{
	uint64_t deadline = tn_now_ms() + (uint64_t)ms, now;
	char buf[512];
	int n = 0;

	while ((now = tn_now_ms()) < deadline)
		if (next_message(fd, buf, sizeof(buf), (int)(deadline - now)) &&
		    strncmp(buf, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/*
 * The exit status of a server that exits on its own.  Its log is kept
 * for a non-zero status (testutil shows it); once the caller has the
 * status it expected, nothing is left to look at: remove it.
 */
static int
exit_status(struct server *s, int timeout_ms)
{
	int st = server_stop(s, 0, timeout_ms);

	ck_assert_msg(st != -1, "the server did not exit");
	ck_assert_msg(WIFEXITED(st), "status 0x%x", st);
	(void)unlink(s->logpath);
	return WEXITSTATUS(st);
}

/*
 * Serve a passed socket; after a stop the socket still listens (it is
 * ours, as systemd's would be), and a second instance serves the
 * connection that waited in its backlog meanwhile.
 */
START_TEST(test_socket_activation)
{
	const char *env[] = { "LISTEN_FDS=1", "LISTEN_FDNAMES=echo", NULL };
	const char *args[] = { "-t", "2", NULL };
	struct server_opts o;
	struct server s;
	unsigned char hello[] = "hello";
	int lfd, port, fd, waiting;

	lfd = listening_socket(&port);
	server_opts_init(&o);
	o.listen_fd = lfd;
	o.env = env;
	o.no_default_bind = true;
	server_start_opts(&s, args, &o);
	ck_assert_int_eq(s.port, port);
	ck_assert(server_log_wait(&s, "(sockets from the service manager)",
	    1000));
	fd = tu_connect(port);
	tu_echo_check(fd, hello, 5);
	(void)close(fd);
	server_stop_clean(&s);

	/* Not shut down: a client still gets into the backlog... */
	waiting = tu_connect(port);
	ck_assert(msgframe_send(waiting, hello, 5) == 0);
	/* ...and the next instance serves it. */
	server_start_opts(&s, args, &o);
	tu_echo_check(waiting, hello, 5);
	tu_echo_check(waiting, hello, 5);
	(void)close(waiting);
	server_stop_clean(&s);
	(void)close(lfd);
}
END_TEST

/* Bad sockets or variables from the service manager: exit 78 (EX_CONFIG)
 * with the reason, never a crash. */
START_TEST(test_activation_errors)
{
	const char *fds_garbage[] = { "LISTEN_FDS=abc", NULL };
	const char *fds_one[] = { "LISTEN_FDS=1", NULL };
	const char *names[] = { "LISTEN_FDS=1", "LISTEN_FDNAMES=a:b", NULL };
	struct server_opts o;
	struct server s;
	int fd;

	server_opts_init(&o);
	o.wait_listening = false;
	o.no_default_bind = true;
	o.listen_fd = fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ne(fd, -1);

	o.env = fds_garbage;
	server_start_opts(&s, NULL, &o);
	ck_assert(server_log_wait(&s, "LISTEN_FDS='abc' from the service "
	    "manager is not a count", 10000));
	ck_assert_int_eq(exit_status(&s, 10000), 78);

	o.env = fds_one;
	server_start_opts(&s, NULL, &o);
	ck_assert_int_eq(exit_status(&s, 10000), 78);

	o.env = names;
	server_start_opts(&s, NULL, &o);
	ck_assert(server_log_wait(&s, "LISTEN_FDNAMES names more sockets",
	    10000));
	ck_assert_int_eq(exit_status(&s, 10000), 78);
	(void)close(fd);
}
END_TEST

/* The messages themselves (the log is removed after a clean stop, so
 * this one reads it before). */
START_TEST(test_activation_error_text)
{
	const char *env[] = { "LISTEN_FDS=1", NULL };
	struct server_opts o;
	struct server s;
	char *log;
	int fd;

	server_opts_init(&o);
	o.wait_listening = false;
	o.no_default_bind = true;
	o.listen_fd = fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	o.env = env;
	server_start_opts(&s, NULL, &o);
	ck_assert(server_log_wait(&s, "descriptor 3 from the service manager "
	    "is not a socket", 10000));
	log = server_log_read(&s);
	ck_assert_msg(strstr(log, "error: ") != NULL, "%s", log);
	free(log);
	ck_assert_int_eq(exit_status(&s, 10000), 78);
	(void)close(fd);
}
END_TEST

/* READY with a status, status updates, STOPPING; watchdog pings that stop
 * while the process is stopped and resume after. */
START_TEST(test_notify)
{
	const char *args[] = { "-t", "2", NULL };
	char name[64], var[96], buf[512];
	const char *env[] = { var, "WATCHDOG_USEC=" WATCHDOG_USEC, NULL };
	struct server_opts o;
	struct server s;
	unsigned char payload[10] = "0123456789";
	int nfd, fd, pings, i;

	nfd = notify_socket(name, sizeof(name));
	(void)snprintf(var, sizeof(var), "NOTIFY_SOCKET=%s", name);
	server_opts_init(&o);
	o.env = env;
	server_start_opts(&s, args, &o);
	ck_assert(wait_message(nfd, "READY=1", buf, sizeof(buf), 5000));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=0 active, 0 queued "
	    "connections, 0 frames echoed");
	ck_assert(server_log_wait(&s, "watchdog: pinging the service manager "
	    "every 100 ms", 1000));

	/* Twenty in 2 s; a loaded machine may delay many, never add any. */
	pings = count_messages(nfd, "WATCHDOG=1", 2000);
	ck_assert_msg(pings >= 3 && pings <= 22, "%d pings in 2 s", pings);

	/* Stopped: no pings (what makes WatchdogSec= restart a hung one). */
	ck_assert_int_eq(kill(s.pid, SIGSTOP), 0);
	tn_sleep_ms(100);
	while (next_message(nfd, buf, sizeof(buf), 0))
		continue;
	ck_assert_int_eq(count_messages(nfd, "WATCHDOG=1", 600), 0);
	ck_assert_int_eq(kill(s.pid, SIGCONT), 0);
	ck_assert(wait_message(nfd, "WATCHDOG=1", buf, sizeof(buf), 2000));

	/* Traffic shows in the status line within its 2 s interval. */
	fd = tu_connect(s.port);
	for (i = 0; i < 3; i++)
		tu_echo_check(fd, payload, sizeof(payload));
	ck_assert(wait_message(nfd, "STATUS=1 active, 0 queued connections, "
	    "3 frames echoed", buf, sizeof(buf), 5000));
	(void)close(fd);

	ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
	ck_assert(wait_message(nfd, "STOPPING=1", buf, sizeof(buf), 5000));
	server_stop_clean(&s);
	(void)close(nfd);
}
END_TEST

/* Two --bind addresses: two sockets, both served, both in the log. */
START_TEST(test_bind_twice)
{
	const char *args[] = { "--bind", "127.0.0.2", "-t", "2", NULL };
	unsigned char hello[] = "hi";
	struct server s;
	char *log, *p;
	int port2, fd;
	struct sockaddr_in sin;

	server_start(&s, args);
	log = server_log_read(&s);
	p = strstr(log, ", 127.0.0.2:");
	ck_assert_msg(p != NULL, "%s", log);
	port2 = atoi(p + strlen(", 127.0.0.2:"));
	free(log);
	ck_assert_int_gt(port2, 0);

	fd = tu_connect(s.port);
	tu_echo_check(fd, hello, 2);
	(void)close(fd);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port2);
	sin.sin_addr.s_addr = inet_addr("127.0.0.2");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	tu_echo_check(fd, hello, 2);
	(void)close(fd);
	server_stop_clean(&s);
}
END_TEST

/*
 * One worker, busy with client A; client B waits in the queue with frames
 * sent.  A stop serves B anyway: every frame echoed, then a clean close.
 */
START_TEST(test_stop_serves_queued)
{
	const char *args[] = { "-t", "1", "-v", NULL };
	unsigned char frames[3 * (MSGFRAME_HEADER_SIZE + 4)], got[8];
	unsigned char word[4] = "abcd";
	struct server s;
	size_t off = 0;
	int a, b, i;

	server_start(&s, args);
	a = tu_connect(s.port);
	tu_echo_check(a, word, 4);	/* the worker is A's now */
	b = tu_connect(s.port);
	for (i = 0; i < 3; i++)
		off += tn_put_frame(frames + off, word, 4);
	ck_assert(msgframe_write_full(b, frames, off) == 0);
	/* Queued, not served: nothing comes back yet. */
	ck_assert(!tn_wait_closed(b, 300));

	ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(msgframe_read_full(b, got, 8), 8);
		ck_assert_int_eq(memcmp(got, frames, 8), 0);
	}
	ck_assert(tn_wait_closed(b, 5000));
	ck_assert(tn_wait_closed(a, 5000));
	ck_assert(server_log_wait(&s, "serving 1 queued connections", 5000));
	ck_assert_int_eq(server_stop(&s, 0, TU_STOP_TIMEOUT_MS), 0);
	(void)close(a);
	(void)close(b);
}
END_TEST

/* stderr is the journal: "<N>" priorities, no stamp of our own. */
START_TEST(test_journal_priorities)
{
	const char *args[] = { "-t", "2", "--queue", "2000", NULL };
	const char *other[] = { "JOURNAL_STREAM=0:0", NULL };
	struct server_opts o;
	struct server s;
	char *log;

	server_opts_init(&o);
	o.nofile = 256;		/* --queue 2000 needs more: a warning */
	o.journal = true;
	server_start_opts(&s, args, &o);
	log = server_log_read(&s);
	ck_assert_msg(strstr(log, "<6>msgserverd " PACKAGE_VERSION
	    " listening on 127.0.0.1:") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "<4>warning: open-file limit is 256") !=
	    NULL, "%s", log);
	ck_assert_msg(strstr(log, "Z msgserverd[") == NULL, "%s", log);
	free(log);
	server_stop_clean(&s);

	/* A JOURNAL_STREAM that is not our stderr changes nothing. */
	o.journal = false;
	o.env = other;
	server_start_opts(&s, args, &o);
	log = server_log_read(&s);
	ck_assert_msg(strstr(log, "<6>") == NULL && strstr(log,
	    "Z msgserverd[") != NULL, "%s", log);
	free(log);
	server_stop_clean(&s);
}
END_TEST

static Suite *
service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc;

	tc = tcase_create("Core");
	tcase_add_test(tc, test_socket_activation);
	tcase_add_test(tc, test_notify);
	tcase_add_test(tc, test_bind_twice);
	tcase_add_test(tc, test_stop_serves_queued);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_activation_errors);
	tcase_add_test(tc, test_activation_error_text);
	tcase_add_test(tc, test_journal_priorities);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run_suite(service_suite());
}
