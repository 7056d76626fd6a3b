/*
 * check_log.c - unit tests for the logger (src/log.h).
 *
 * Each test points descriptor 2 at a pipe (or a file) for its duration and
 * restores it, so they work with and without Check's fork mode, and checks
 * the lines written, word for word where the stamp allows.
 *
 * "Core": the line format, the levels, the error texts (errno's, or the
 * number given to log_warnc and log_infoc), syslog, fatal and fatalx.
 * "Limits": a message too long for a line, a newline inside a message, and
 * lines from many threads at once.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

/* Log capture: the saved descriptor 2 and the pipe's read end. */
struct capture {
	int	saved;
	int	rfd;
};

static void	capture_start(struct capture *c);
static char	*capture_end(struct capture *c);
static int	count_char(const char *s, char ch);
static void	assert_line_format(const char *line, const char *ident,
		    long pid, const char *rest);
static void	*log_thread(void *arg);
static Suite	*log_suite(void);

/* Point descriptor 2 at a fresh pipe. */
static void
capture_start(struct capture *c)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	c->saved = dup(STDERR_FILENO);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(close(fds[1]), 0);
	c->rfd = fds[0];
}

/* Restore descriptor 2 and return everything written meanwhile. */
static char *
capture_end(struct capture *c)
{
	char *buf;
	size_t len = 0, cap = 4096;
	ssize_t n;

	/* Closing the last write end lets read() reach EOF. */
	ck_assert_int_eq(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(close(c->saved), 0);
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	for (;;) {
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = read(c->rfd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	ck_assert_int_eq(close(c->rfd), 0);
	return buf;
}

static int
count_char(const char *s, char ch)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == ch;
	return n;
}

/*
 * Check "YYYY-MM-DDTHH:MM:SS.mmmZ IDENT[PID]: REST\n" and that the stamp is
 * the current UTC time, give or take a minute.
 */
static void
assert_line_format(const char *line, const char *ident, long pid,
    const char *rest)
{
	char want[1200];
	regex_t re;
	struct tm tm;
	time_t stamp, now;
	const char *p;

	ck_assert_int_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	    "[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z ", REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "bad stamp: %s",
	    line);
	regfree(&re);

	(void)snprintf(want, sizeof(want), "%s[%ld]: %s\n", ident, pid, rest);
	ck_assert_str_eq(line + 25, want);

	memset(&tm, 0, sizeof(tm));
	p = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm);
	ck_assert_ptr_nonnull(p);
	stamp = timegm(&tm);
	now = time(NULL);
	ck_assert_msg(stamp <= now + 60 && stamp >= now - 60,
	    "stamp not UTC now: %s", line);
}

START_TEST(test_log_format)
{
	struct capture c;
	char *out, *l2, *l3;

	log_init("msgserverd", 0, LOG_NORMAL);
	capture_start(&c);
	log_warnx("hello %d", 42);
	out = capture_end(&c);
	assert_line_format(out, "msgserverd", (long)getpid(),
	    "warning: hello 42");
	free(out);

	/* Info has no level word; error and debug have theirs. */
	log_init("testident", 0, LOG_VERBOSE);
	capture_start(&c);
	log_info("listening on %s", "127.0.0.1:8080");
	log_error("cannot %s", "bind");
	log_debug("conn %d", 7);
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 3);
	/* Split into three NUL-terminated lines, each keeping its '\n'. */
	l2 = strndup(strchr(out, '\n') + 1, strlen(out));
	ck_assert_ptr_nonnull(l2);
	l3 = strdup(strchr(l2, '\n') + 1);
	ck_assert_ptr_nonnull(l3);
	strchr(out, '\n')[1] = '\0';
	strchr(l2, '\n')[1] = '\0';
	assert_line_format(out, "testident", (long)getpid(),
	    "listening on 127.0.0.1:8080");
	assert_line_format(l2, "testident", (long)getpid(),
	    "error: cannot bind");
	assert_line_format(l3, "testident", (long)getpid(), "debug: conn 7");
	free(l3);
	free(l2);
	free(out);
}
END_TEST

START_TEST(test_log_levels)
{
	struct capture c;
	char *out;

	/* Quiet: errors only. */
	log_init("msgserverd", 0, LOG_QUIET);
	ck_assert_int_eq(log_get_verbosity(), LOG_QUIET);
	capture_start(&c);
	errno = EIO;
	log_warn("w");
	log_warnx("wx");
	log_info("i");
	log_debug("d");
	log_error("only this");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 1);
	ck_assert_ptr_nonnull(strstr(out, ": error: only this\n"));
	free(out);

	/* Normal: no debug. */
	log_set_verbosity(LOG_NORMAL);
	ck_assert_int_eq(log_get_verbosity(), LOG_NORMAL);
	capture_start(&c);
	log_debug("hidden");
	log_info("shown");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 1);
	ck_assert_ptr_null(strstr(out, "hidden"));
	ck_assert_ptr_nonnull(strstr(out, "]: shown\n"));
	free(out);

	/* Verbose, and more verbose (-vv): debug shown. */
	log_set_verbosity(LOG_VERBOSE);
	capture_start(&c);
	log_debug("detail %s", "one");
	log_set_verbosity(2);
	log_debug("detail %s", "two");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 2);
	ck_assert_ptr_nonnull(strstr(out, "]: debug: detail one\n"));
	ck_assert_ptr_nonnull(strstr(out, "]: debug: detail two\n"));
	free(out);
}
END_TEST

START_TEST(test_log_errno)
{
	struct capture c;
	char want[256], *out;

	log_init("msgserverd", 0, LOG_NORMAL);
	capture_start(&c);
	errno = ENOENT;
	log_warn("open %s", "/nonexistent");
	/* errno survives the call, for the caller's own checks. */
	ck_assert_int_eq(errno, ENOENT);
	errno = EAGAIN;
	log_warnx("plain");
	ck_assert_int_eq(errno, EAGAIN);
	log_info("x");
	log_debug("x");
	log_error("x");
	ck_assert_int_eq(errno, EAGAIN);
	out = capture_end(&c);
	(void)snprintf(want, sizeof(want),
	    "]: warning: open /nonexistent: %s\n", strerror(ENOENT));
	ck_assert_ptr_nonnull(strstr(out, want));
	ck_assert_ptr_nonnull(strstr(out, "]: warning: plain\n"));
	free(out);
}
END_TEST

/*
 * log_warnc and log_infoc append ": " and the text of the error number
 * they are given, not errno's, and leave errno alone.  They are shown
 * unless --quiet, as log_warn and log_info are.
 */
START_TEST(test_log_errc)
{
	static const struct {
		bool		 warn;	/* log_warnc, else log_infoc */
		int		 err;
		const char	*msg;
		const char	*word;	/* the level word */
	} t[] = {
		{ true, EDEADLK, "pthread_mutex_lock queue", "warning: " },
		{ false, ECONNRESET, "closed 127.0.0.1:4242", "" },
		/* A number with no name still gets its text. */
		{ true, 99999, "odd", "warning: " },
	};
	struct capture c;
	char want[256], *out;
	size_t i;

	log_init("msgserverd", 0, LOG_NORMAL);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		capture_start(&c);
		errno = ENOENT;
		if (t[i].warn)
			log_warnc(t[i].err, "%s", t[i].msg);
		else
			log_infoc(t[i].err, "%s", t[i].msg);
		ck_assert_int_eq(errno, ENOENT);
		out = capture_end(&c);
		(void)snprintf(want, sizeof(want), "%s%s: %s", t[i].word,
		    t[i].msg, strerror(t[i].err));
		assert_line_format(out, "msgserverd", (long)getpid(), want);
		free(out);
	}

	log_set_verbosity(LOG_QUIET);
	capture_start(&c);
	log_warnc(EIO, "w");
	log_infoc(EIO, "i");
	log_error("only this");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 1);
	ck_assert_ptr_nonnull(strstr(out, "]: error: only this\n"));
	free(out);
}
END_TEST

START_TEST(test_log_truncate)
{
	struct capture c;
	char *big, *out;
	size_t len;

	big = malloc(5000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	log_init("msgserverd", 0, LOG_NORMAL);
	capture_start(&c);
	log_info("%s", big);
	/* A newline inside the message cannot start a forged line. */
	log_info("user %s", "evil\nmsgserverd[1]: error: forged");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 2);
	len = strcspn(out, "\n");
	ck_assert_uint_le(len, 1030);
	ck_assert_uint_ge(len, 1000);
	ck_assert_int_eq(memcmp(out + len - 4, "a...", 4), 0);
	ck_assert_ptr_nonnull(strstr(out,
	    "]: user evil?msgserverd[1]: error: forged\n"));
	free(out);
	free(big);
}
END_TEST

START_TEST(test_log_syslog)
{
	struct capture c;
	char *out;

	/* Syslog mode writes nothing to stderr (no LOG_PERROR). */
	capture_start(&c);
	log_init("msgserverd-test", 1, LOG_NORMAL);
	log_info("check_log: syslog test line");
	log_init("msgserverd", 0, LOG_NORMAL);
	log_info("back");
	out = capture_end(&c);
	ck_assert_int_eq(count_char(out, '\n'), 1);
	ck_assert_ptr_nonnull(strstr(out, " msgserverd["));
	ck_assert_ptr_nonnull(strstr(out, "]: back\n"));
	free(out);
}
END_TEST

#define LOG_THREADS		8
#define LOG_LINES		300

static void *
log_thread(void *arg)
{
	int i, t = (int)(intptr_t)arg;

	for (i = 0; i < LOG_LINES; i++) {
		/* Change the verbosity under the others' feet (TSan). */
		if (t == 0 && i % 50 == 0)
			log_set_verbosity(LOG_NORMAL);
		log_info("thread %d line %d %s", t, i,
		    "padding-padding-padding-padding-padding-padding");
	}
	return NULL;
}

/* Concurrent lines never interleave. */
START_TEST(test_log_threads)
{
	pthread_t tids[LOG_THREADS];
	char path[] = "check_log.XXXXXX";
	char *buf, *line, *save;
	int fd, saved, i, t, n, lines = 0;
	int seen[LOG_THREADS] = { 0 };
	off_t size;

	/* A file, not a pipe: the lines outgrow a pipe's buffer. */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);

	log_init("msgserverd", 0, LOG_NORMAL);
	for (i = 0; i < LOG_THREADS; i++)
		ck_assert_int_eq(pthread_create(&tids[i], NULL, log_thread,
		    (void *)(intptr_t)i), 0);
	for (i = 0; i < LOG_THREADS; i++)
		ck_assert_int_eq(pthread_join(tids[i], NULL), 0);

	ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(close(saved), 0);
	size = lseek(fd, 0, SEEK_END);
	ck_assert_int_gt(size, 0);
	buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
	buf[size] = '\0';
	ck_assert_int_eq(close(fd), 0);

	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		n = -1;
		t = -1;
		/* Whole: the stamp, the ident, one message, the padding. */
		ck_assert_msg(strncmp(line + 23, "Z msgserverd[", 13) == 0 &&
		    count_char(line, 'Z') == 1 &&
		    sscanf(strstr(line, "]: ") + 3, "thread %d line %d ",
		    &t, &n) == 2 &&
		    strcmp(strrchr(line, ' '), " padding-padding-padding-"
		    "padding-padding-padding") == 0,
		    "mangled line: %s", line);
		ck_assert_int_ge(t, 0);
		ck_assert_int_lt(t, LOG_THREADS);
		/* Each thread's lines arrive in its own order. */
		ck_assert_int_eq(n, seen[t]);
		seen[t]++;
		lines++;
	}
	ck_assert_int_eq(lines, LOG_THREADS * LOG_LINES);
	free(buf);
}
END_TEST

/* fatal/fatalx log at error level and exit with the status given. */
START_TEST(test_fatal)
{
	char buf[512];
	ssize_t n;
	pid_t pid;
	int fds[2], status, which;

	for (which = 0; which < 2; which++) {
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			if (dup2(fds[1], STDERR_FILENO) == -1)
				_exit(99);
			log_init("msgserverd", 0, LOG_QUIET);
			if (which == 0) {
				errno = EACCES;
				fatal(3, "cannot open %s", "x");
			}
			fatalx(4, "boom %d", 1);
		}
		ck_assert_int_eq(close(fds[1]), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), which == 0 ? 3 : 4);
		n = read(fds[0], buf, sizeof(buf) - 1);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_int_eq(close(fds[0]), 0);
		if (which == 0) {
			char want[128];

			(void)snprintf(want, sizeof(want),
			    "]: error: cannot open x: %s\n", strerror(EACCES));
			ck_assert_ptr_nonnull(strstr(buf, want));
		} else
			ck_assert_ptr_nonnull(strstr(buf,
			    "]: error: boom 1\n"));
	}
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("log");

	tc = tcase_create("Core");
	tcase_add_test(tc, test_log_format);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_log_errno);
	tcase_add_test(tc, test_log_errc);
	tcase_add_test(tc, test_log_syslog);
	tcase_add_test(tc, test_fatal);
	suite_add_tcase(s, tc);

	tc = tcase_create("Limits");
	tcase_add_test(tc, test_log_truncate);
	tcase_add_test(tc, test_log_threads);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run_suite(log_suite());
}
