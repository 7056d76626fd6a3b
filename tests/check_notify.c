/*
 * check_notify.c - unit tests for the sd_notify sender (notify.h).
 *
 * Each test binds a datagram socket of its own as the "service manager",
 * points NOTIFY_SOCKET at it, and reads what notify_send() delivers.
 * notify.c keeps its state in statics: Check's default fork mode gives
 * every test a fresh copy.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"
#include "testutil.h"

/* A bound datagram socket: at path, or abstract when path starts '@'. */
static int
manager(const char *path)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	else {
		(void)unlink(path);
		len++;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sun, len) == 0, "bind: %s",
	    strerror(errno));
	return fd;
}

/* The next datagram, within a second. */
static void
expect(int fd, const char *want)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[512];
	ssize_t n;

	ck_assert_msg(poll(&pfd, 1, 1000) == 1, "no datagram for '%s'", want);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

static void
init_ok(void)
{
	char err[256] = "";

	ck_assert_msg(notify_init(err, sizeof(err)) == 0, "%s", err);
}

START_TEST(test_path_socket)
{
	char cwd[256], path[400];
	int fd;

	/* NOTIFY_SOCKET must be absolute; sun_path holds 107 bytes. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	(void)snprintf(path, sizeof(path), "%s/check_notify.%ld.sock", cwd,
	    (long)getpid());
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		(void)snprintf(path, sizeof(path), "/tmp/check_notify.%ld.sock",
		    (long)getpid());
	fd = manager(path);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
	init_ok();
	ck_assert(notify_enabled());
	ck_assert_ptr_null(getenv("NOTIFY_SOCKET"));
	ck_assert_int_eq(notify_send("READY=1\nSTATUS=hello"), 0);
	expect(fd, "READY=1\nSTATUS=hello");
	ck_assert_int_eq(notify_send("STOPPING=1"), 0);
	expect(fd, "STOPPING=1");
	notify_close();
	(void)close(fd);
	(void)unlink(path);
}
END_TEST

START_TEST(test_abstract_socket)
{
	char name[64];
	int fd;

	(void)snprintf(name, sizeof(name), "@check_notify.%ld",
	    (long)getpid());
	fd = manager(name);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	init_ok();
	ck_assert_int_eq(notify_send("WATCHDOG=1"), 0);
	expect(fd, "WATCHDOG=1");
	notify_close();
	(void)close(fd);
}
END_TEST

START_TEST(test_no_socket)
{
	ck_assert_int_eq(unsetenv("NOTIFY_SOCKET"), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "1000000", 1), 0);
	init_ok();
	ck_assert(!notify_enabled());
	/* No manager, no pings, and sending is a harmless no-op. */
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	ck_assert_int_eq(notify_send("READY=1"), 0);
}
END_TEST

START_TEST(test_bad_socket)
{
	const char *bad[] = { "relative/path", "x", "@", "/" };
	char err[256], longpath[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(setenv("NOTIFY_SOCKET", bad[i], 1), 0);
		err[0] = '\0';
		ck_assert_int_eq(notify_init(err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "NOTIFY_SOCKET is not an absolute "
		    "path") != NULL, "'%s': %s", bad[i], err);
		ck_assert(!notify_enabled());
	}
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", longpath, 1), 0);
	ck_assert_int_eq(notify_init(err, sizeof(err)), -1);
	ck_assert(!notify_enabled());
}
END_TEST

START_TEST(test_watchdog)
{
	char name[64], pid[32], err[256];
	int fd;

	(void)snprintf(name, sizeof(name), "@check_notify.wd.%ld",
	    (long)getpid());
	fd = manager(name);

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "2000000", 1), 0);
	(void)snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
	init_ok();
	ck_assert_uint_eq(notify_watchdog_usec(), 2000000);
	ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
	ck_assert_ptr_null(getenv("WATCHDOG_PID"));
	notify_close();

	/* For another process of the service: not ours to ping. */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "2000000", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_PID", "1", 1), 0);
	init_ok();
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	notify_close();

	/* Garbage: a warning's text, and notification still works. */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "soon", 1), 0);
	ck_assert_int_eq(unsetenv("WATCHDOG_PID"), 0);
	ck_assert_int_eq(notify_init(err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "WATCHDOG_USEC is not a positive number")
	    != NULL, "%s", err);
	ck_assert(notify_enabled());
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	ck_assert_int_eq(notify_send("READY=1"), 0);
	expect(fd, "READY=1");
	notify_close();

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "0", 1), 0);
	ck_assert_int_eq(notify_init(err, sizeof(err)), -1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	notify_close();
	(void)close(fd);
}
END_TEST

START_TEST(test_manager_gone)
{
	char name[64];
	int fd;

	(void)snprintf(name, sizeof(name), "@check_notify.gone.%ld",
	    (long)getpid());
	fd = manager(name);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	init_ok();
	(void)close(fd);
	/* An error, never a signal or a hang. */
	ck_assert_int_eq(notify_send("READY=1"), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	notify_close();
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc;

	tc = tcase_create("Core");
	tcase_add_test(tc, test_path_socket);
	tcase_add_test(tc, test_abstract_socket);
	tcase_add_test(tc, test_no_socket);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_bad_socket);
	tcase_add_test(tc, test_watchdog);
	tcase_add_test(tc, test_manager_gone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run_suite(notify_suite());
}
