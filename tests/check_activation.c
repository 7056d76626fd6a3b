/*
 * check_activation.c - unit tests for socket activation (activation.h).
 *
 * The sockets must sit at descriptors 3, 4, ... as a service manager
 * leaves them, and those numbers may be Check's own in the test process.
 * So each case runs in a child of the test: the child puts the descriptors
 * in place, sets the variables, calls activation_listen_fds() and writes
 * what it saw to a pipe far above them; the test reads and asserts.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "testutil.h"

#define REPORT_FD	200	/* the child's pipe, above anything we place */
#define MAX_PLACED	4

/* What a case puts at descriptor 3 + i. */
enum kind {
	TCP_LISTEN,		/* a listening TCP socket */
	TCP_LISTEN_NONBLOCK,	/* the same, O_NONBLOCK (NonBlocking=yes) */
	TCP_UNBOUND,		/* a stream socket that does not listen */
	UDP,			/* a datagram socket */
	UNIX_LISTEN,		/* a listening Unix stream socket */
	PIPE_END,		/* not a socket at all */
	NOTHING			/* a closed descriptor */
};

/* What the child reports. */
struct report {
	int	n;
	char	err[256];
	char	names[MAX_PLACED][ACTIVATION_NAME_MAX];
	int	fds[MAX_PLACED];
	int	cloexec[MAX_PLACED];
	int	nonblock[MAX_PLACED];
	int	env_left;	/* any LISTEN_* variable still set */
};

static int	make(enum kind k);
static void	child(const enum kind *kinds, int nkinds, const char *pid,
		    const char *fds, const char *names);
static void	run(struct report *r, const enum kind *kinds, int nkinds,
		    const char *pid, const char *fds, const char *names);

static int
make(enum kind k)
{
	struct sockaddr_in sin;
	struct sockaddr_un sun;
	int fd = -1, p[2];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	switch (k) {
	case TCP_LISTEN:
	case TCP_LISTEN_NONBLOCK:
		fd = socket(AF_INET, SOCK_STREAM | (k == TCP_LISTEN_NONBLOCK ?
		    SOCK_NONBLOCK : 0), 0);
		if (fd == -1 || bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1 || listen(fd, 8) == -1)
			_exit(90);
		break;
	case TCP_UNBOUND:
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			_exit(90);
		break;
	case UDP:
		if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
			_exit(90);
		break;
	case UNIX_LISTEN:
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		/* Abstract: nothing to clean up in the file system. */
		(void)snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
		    "check_activation.%ld", (long)getpid());
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    listen(fd, 8) == -1)
			_exit(90);
		break;
	case PIPE_END:
		if (pipe(p) == -1)
			_exit(90);
		fd = p[0];
		break;
	case NOTHING:
		break;
	}
	return fd;
}

/* In the child: place the descriptors, call, report, exit. */
static void
child(const enum kind *kinds, int nkinds, const char *pid, const char *fds,
    const char *names)
{
	struct activated_fd out[MAX_PLACED];
	struct report r;
	char pidbuf[32];
	int made[MAX_PLACED], i, flags;

	for (i = 0; i < nkinds; i++)
		made[i] = make(kinds[i]);
	/* Above 3 + MAX_PLACED first, then into place: no clobbering. */
	for (i = 0; i < nkinds; i++)
		if (made[i] != -1) {
			if (dup2(made[i], 50 + i) == -1)
				_exit(91);
			(void)close(made[i]);
		}
	for (i = 0; i < nkinds; i++) {
		(void)close(3 + i);
		if (made[i] != -1 && dup2(50 + i, 3 + i) == -1)
			_exit(92);
		(void)close(50 + i);
	}
	if (pid != NULL && strcmp(pid, "self") == 0) {
		(void)snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)getpid());
		pid = pidbuf;
	}
	if (pid != NULL)
		(void)setenv("LISTEN_PID", pid, 1);
	if (fds != NULL)
		(void)setenv("LISTEN_FDS", fds, 1);
	if (names != NULL)
		(void)setenv("LISTEN_FDNAMES", names, 1);

	memset(&r, 0, sizeof(r));
	r.n = activation_listen_fds(out, MAX_PLACED, r.err, sizeof(r.err));
	for (i = 0; i < r.n && i < MAX_PLACED; i++) {
		memcpy(r.names[i], out[i].name, sizeof(r.names[i]));
		r.fds[i] = out[i].fd;
		r.cloexec[i] = (fcntl(out[i].fd, F_GETFD) & FD_CLOEXEC) != 0;
		flags = fcntl(out[i].fd, F_GETFL);
		r.nonblock[i] = flags != -1 && (flags & O_NONBLOCK) != 0;
	}
	r.env_left = getenv("LISTEN_PID") != NULL ||
	    getenv("LISTEN_FDS") != NULL || getenv("LISTEN_FDNAMES") != NULL;
	if (write(REPORT_FD, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(93);
	_exit(0);
}

static void
run(struct report *r, const enum kind *kinds, int nkinds, const char *pid,
    const char *fds, const char *names)
{
	int p[2], status;
	ssize_t n;
	pid_t kid;

	ck_assert_int_le(nkinds, MAX_PLACED);
	ck_assert_int_eq(pipe(p), 0);
	kid = fork();
	ck_assert_int_ne(kid, -1);
	if (kid == 0) {
		if (dup2(p[1], REPORT_FD) == -1)
			_exit(94);
		(void)close(p[0]);
		(void)close(p[1]);
		child(kinds, nkinds, pid, fds, names);
	}
	(void)close(p[1]);
	n = read(p[0], r, sizeof(*r));
	(void)close(p[0]);
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child failed with status 0x%x", status);
	ck_assert_int_eq(n, (ssize_t)sizeof(*r));
	/* Whatever happened, nothing we run may inherit the variables. */
	ck_assert_int_eq(r->env_left, 0);
}

START_TEST(test_two_named_sockets)
{
	enum kind k[] = { TCP_LISTEN, TCP_LISTEN_NONBLOCK };
	struct report r;

	run(&r, k, 2, "self", "2", "echo:metrics");
	ck_assert_msg(r.n == 2, "n=%d: %s", r.n, r.err);
	ck_assert_int_eq(r.fds[0], 3);
	ck_assert_int_eq(r.fds[1], 4);
	ck_assert_str_eq(r.names[0], "echo");
	ck_assert_str_eq(r.names[1], "metrics");
	/* Close-on-exec set; NonBlocking= undone for our blocking accept. */
	ck_assert_int_eq(r.cloexec[0], 1);
	ck_assert_int_eq(r.cloexec[1], 1);
	ck_assert_int_eq(r.nonblock[1], 0);
}
END_TEST

START_TEST(test_unix_and_no_names)
{
	enum kind k[] = { UNIX_LISTEN, TCP_LISTEN };
	struct report r;

	run(&r, k, 2, "self", "2", NULL);
	ck_assert_msg(r.n == 2, "n=%d: %s", r.n, r.err);
	ck_assert_str_eq(r.names[0], "");
	ck_assert_str_eq(r.names[1], "");
}
END_TEST

START_TEST(test_not_for_us)
{
	enum kind k[] = { TCP_LISTEN };
	struct report r;

	/* Another PID (our parent's, say): leave the sockets alone. */
	run(&r, k, 1, "1", "1", NULL);
	ck_assert_int_eq(r.n, 0);
	/* No variables at all: not socket-activated. */
	run(&r, k, 1, NULL, NULL, NULL);
	ck_assert_int_eq(r.n, 0);
	/* LISTEN_FDS=0 for us: nothing passed. */
	run(&r, k, 1, "self", "0", NULL);
	ck_assert_int_eq(r.n, 0);
}
END_TEST

START_TEST(test_bad_descriptors)
{
	struct {
		enum kind	 k;
		const char	*want;
	} cases[] = {
		{ PIPE_END, "descriptor 3 from the service manager is not a "
		    "socket" },
		{ TCP_UNBOUND, "descriptor 3 from the service manager is not "
		    "listening" },
		{ UDP, "descriptor 3 from the service manager is not a stream "
		    "socket" },
		{ NOTHING, "descriptor 3 from the service manager: Bad file "
		    "descriptor" },
	};
	struct report r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&r, &cases[i].k, 1, "self", "1", NULL);
		ck_assert_int_eq(r.n, -1);
		ck_assert_msg(strstr(r.err, cases[i].want) != NULL,
		    "case %zu: got '%s'", i, r.err);
	}
}
END_TEST

START_TEST(test_second_descriptor_named)
{
	enum kind k[] = { TCP_LISTEN, UDP };
	struct report r;

	run(&r, k, 2, "self", "2", NULL);
	ck_assert_int_eq(r.n, -1);
	ck_assert_msg(strstr(r.err, "descriptor 4 ") != NULL, "got '%s'",
	    r.err);
}
END_TEST

START_TEST(test_bad_variables)
{
	struct {
		const char	*pid, *fds, *names, *want;
	} cases[] = {
		{ "abc", "1", NULL, "LISTEN_PID='abc' from the service manager "
		    "is not a process ID" },
		{ "self", "abc", NULL, "LISTEN_FDS='abc' from the service "
		    "manager is not a count from 0 to 4" },
		{ "self", "-1", NULL, "LISTEN_FDS='-1'" },
		{ "self", "99999999999999999999", NULL, "LISTEN_FDS='" },
		{ "self", "5", NULL, "is not a count from 0 to 4" },
		{ "self", "1", "a:b", "LISTEN_FDNAMES names more sockets than "
		    "the 1 in LISTEN_FDS" },
		{ "self", "2", "a", "LISTEN_FDNAMES names 1 sockets but "
		    "LISTEN_FDS passed 2" },
	};
	enum kind k[] = { TCP_LISTEN, TCP_LISTEN };
	char longname[ACTIVATION_NAME_MAX + 8];
	struct report r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&r, k, 2, cases[i].pid, cases[i].fds, cases[i].names);
		ck_assert_int_eq(r.n, -1);
		ck_assert_msg(strstr(r.err, cases[i].want) != NULL,
		    "case %zu: got '%s'", i, r.err);
	}
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	run(&r, k, 1, "self", "1", longname);
	ck_assert_int_eq(r.n, -1);
	ck_assert_msg(strstr(r.err, "is longer than 63 bytes") != NULL,
	    "got '%s'", r.err);
}
END_TEST

static Suite *
activation_suite(void)
{
	Suite *s = suite_create("activation");
	TCase *tc;

	tc = tcase_create("Core");
	tcase_add_test(tc, test_two_named_sockets);
	tcase_add_test(tc, test_unix_and_no_names);
	tcase_add_test(tc, test_not_for_us);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_bad_descriptors);
	tcase_add_test(tc, test_second_descriptor_named);
	tcase_add_test(tc, test_bad_variables);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run_suite(activation_suite());
}
