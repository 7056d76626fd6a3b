/*
 * daemon.c - detaching, the pidfile and dropping root.
 *
 * None of this logs: by the time these run the log may be about to move
 * (detaching) or stderr may already be /dev/null, so every failure goes back
 * to the caller as a message and the caller logs it where logging now goes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "daemon.h"
#include "errstr.h"
#include "log.h"
#include "msgframe.h"

/* getpwnam_r buffer limits: start at the system's hint, stop growing here. */
#define PW_BUF_MIN	1024
#define PW_BUF_MAX	(1024 * 1024)

static int	seterr(char *err, size_t errlen, const char *fmt, ...)
		    LOG_PRINTF(3, 4);

/* The child's end of the readiness pipe; -1 when not detached (or done). */
static int	ready_fd = -1;

int
daemon_detach(char *err, size_t errlen)
{
	unsigned char status;
	ssize_t n;
	pid_t pid;
	int fds[2], nullfd, saved;

	/* Close-on-exec: nothing the daemon runs may hold the parent up. */
	if (pipe2(fds, O_CLOEXEC) == -1)
		return seterr(err, errlen, "cannot create a pipe: %s",
		    errstr(errno));
	/* Anything still buffered would otherwise be written twice. */
	(void)fflush(NULL);
	if ((pid = fork()) == -1) {
		saved = errno;
		(void)close(fds[0]);
		(void)close(fds[1]);
		errno = saved;
		return seterr(err, errlen, "cannot fork: %s", errstr(errno));
	}
	if (pid != 0) {
		/*
		 * The parent.  Closing our copy of the write end makes read()
		 * see EOF if the child dies without reporting.  _exit: the
		 * child owns the atexit handlers and stdio buffers now.
		 */
		(void)close(fds[1]);
		do {
			n = read(fds[0], &status, 1);
		} while (n == -1 && errno == EINTR);
		_exit(n == 1 ? status : 1);
	}

	(void)close(fds[0]);
	ready_fd = fds[1];
	/* A new session: no controlling terminal, no terminal signals. */
	if (setsid() == -1)
		return seterr(err, errlen, "setsid: %s", errstr(errno));
	/* Do not keep the directory we started in busy (unmountable). */
	if (chdir("/") == -1)
		return seterr(err, errlen, "chdir /: %s", errstr(errno));
	if ((nullfd = open("/dev/null", O_RDWR)) == -1)
		return seterr(err, errlen, "cannot open /dev/null: %s",
		    errstr(errno));
	/*
	 * Keep 0, 1 and 2 open on /dev/null rather than closed, or the next
	 * socket would get one of them and a stray printf would write into
	 * a client's connection.
	 */
	if (dup2(nullfd, STDIN_FILENO) == -1 ||
	    dup2(nullfd, STDOUT_FILENO) == -1 ||
	    dup2(nullfd, STDERR_FILENO) == -1) {
		saved = errno;
		if (nullfd > STDERR_FILENO)
			(void)close(nullfd);
		errno = saved;
		return seterr(err, errlen, "cannot redirect to /dev/null: %s",
		    errstr(errno));
	}
	if (nullfd > STDERR_FILENO && close(nullfd) == -1)
		return seterr(err, errlen, "close /dev/null: %s",
		    errstr(errno));
	return 0;
}

void
daemon_ready(int status)
{
	unsigned char b;
	int saved = errno;

	if (ready_fd == -1)
		return;
	b = (unsigned char)(status < 0 || status > 255 ? 1 : status);
	/* If this fails the parent sees EOF and exits 1: nothing to add. */
	(void)msgframe_write_full(ready_fd, &b, 1);
	(void)close(ready_fd);
	ready_fd = -1;
	errno = saved;
}

int
pidfile_write(const char *path, char *err, size_t errlen)
{
	char buf[32];
	int fd, len, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return seterr(err, errlen, "cannot create pidfile %s: %s",
		    path, errstr(errno));
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (msgframe_write_full(fd, buf, (size_t)len) == -1) {
		saved = errno;
		(void)close(fd);
		/* A truncated PID would make someone signal the wrong process. */
		(void)unlink(path);
		errno = saved;
		return seterr(err, errlen, "cannot write pidfile %s: %s",
		    path, errstr(errno));
	}
	/* close() is where NFS and full disks report deferred errors. */
	if (close(fd) == -1) {
		saved = errno;
		(void)unlink(path);
		errno = saved;
		return seterr(err, errlen, "cannot write pidfile %s: %s",
		    path, errstr(errno));
	}
	return 0;
}

void
pidfile_remove(const char *path)
{
	int saved = errno;

	if (path != NULL)
		(void)unlink(path);
	errno = saved;
}

int
privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd pw, *res = NULL;
	char *buf;
	long hint;
	size_t len;
	int rc;

	hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	len = hint > PW_BUF_MIN ? (size_t)hint : PW_BUF_MIN;
	for (;;) {
		if ((buf = malloc(len)) == NULL)
			return seterr(err, errlen, "cannot look up user %s: %s",
			    user, errstr(errno));
		rc = getpwnam_r(user, &pw, buf, len, &res);
		/* ERANGE: an entry with many fields; the hint is only that. */
		if (rc != ERANGE || len >= PW_BUF_MAX)
			break;
		free(buf);
		len *= 2;
	}
	if (rc == 0 && res != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		free(buf);
		return 0;
	}
	free(buf);
	/* Not found is (NULL, 0) in glibc, ENOENT or ESRCH elsewhere. */
	if (rc == 0 || rc == ENOENT || rc == ESRCH) {
		errno = ENOENT;
		return seterr(err, errlen, "unknown user %s", user);
	}
	errno = rc;
	return seterr(err, errlen, "cannot look up user %s: %s", user,
	    errstr(rc));
}

int
privdrop(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	/*
	 * Groups first: once the uid is gone we may no longer change them.
	 * Only root may call setgroups(); a non-root user running as itself
	 * has no extra privileges to shed, so EPERM is fine there.
	 */
	if (setgroups(1, &gid) == -1 && !(errno == EPERM && geteuid() != 0))
		return seterr(err, errlen, "cannot drop privileges to %s: "
		    "setgroups: %s", user, errstr(errno));
	if (setresgid(gid, gid, gid) == -1)
		return seterr(err, errlen, "cannot drop privileges to %s: "
		    "setresgid: %s", user, errstr(errno));
	if (setresuid(uid, uid, uid) == -1)
		return seterr(err, errlen, "cannot drop privileges to %s: "
		    "setresuid: %s", user, errstr(errno));
	/* Trust but verify: a saved set-user-ID of 0 would let us back. */
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid) {
		errno = EPERM;
		return seterr(err, errlen, "cannot drop privileges to %s: "
		    "ids did not change", user);
	}
	if (uid != 0 && setuid(0) != -1) {
		errno = EPERM;
		return seterr(err, errlen, "cannot drop privileges to %s: "
		    "root could be regained", user);
	}
	return 0;
}

/* Fill err and return -1; errno is left as the caller set it. */
static int
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return -1;
}
