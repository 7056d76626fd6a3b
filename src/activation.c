/*
 * activation.c - sockets from the service manager (activation.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "errstr.h"
#include "parse.h"

static int	read_count(int max, char *err, size_t errlen);
static int	read_names(struct activated_fd *out, int n, char *err,
		    size_t errlen);
static int	check_fd(int fd, char *err, size_t errlen);
static void	forget_environment(void);

int
activation_listen_fds(struct activated_fd *out, int max, char *err,
    size_t errlen)
{
	int i, n;

	n = read_count(max, err, errlen);
	if (n > 0 && read_names(out, n, err, errlen) == -1)
		n = -1;
	for (i = 0; i < n; i++) {
		out[i].fd = ACTIVATION_FD_START + i;
		if (check_fd(out[i].fd, err, errlen) == -1) {
			n = -1;
			break;
		}
	}
	forget_environment();
	return n;
}

/* LISTEN_FDS when LISTEN_PID is ours: 0 (not for us), n, or -1. */
static int
read_count(int max, char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint64_t v;

	if (pid == NULL || fds == NULL)
		return 0;
	if (parse_uint(pid, 1, UINT32_MAX, &v) == -1) {
		(void)snprintf(err, errlen, "LISTEN_PID='%.32s' from the "
		    "service manager is not a process ID", pid);
		return -1;
	}
	/* Set for our parent, inherited by mistake: not ours to take. */
	if ((pid_t)v != getpid())
		return 0;
	if (parse_uint(fds, 0, (uint64_t)max, &v) == -1) {
		(void)snprintf(err, errlen, "LISTEN_FDS='%.32s' from the "
		    "service manager is not a count from 0 to %d", fds, max);
		return -1;
	}
	return (int)v;
}

/* LISTEN_FDNAMES: one name per descriptor, or none at all. */
static int
read_names(struct activated_fd *out, int n, char *err, size_t errlen)
{
	const char *names = getenv("LISTEN_FDNAMES"), *p, *end;
	size_t len;
	int i;

	for (i = 0; i < n; i++)
		out[i].name[0] = '\0';
	if (names == NULL)
		return 0;
	for (i = 0, p = names; ; i++) {
		end = strchr(p, ':');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (i >= n) {
			(void)snprintf(err, errlen, "LISTEN_FDNAMES names more "
			    "sockets than the %d in LISTEN_FDS", n);
			return -1;
		}
		if (len >= ACTIVATION_NAME_MAX) {
			(void)snprintf(err, errlen, "LISTEN_FDNAMES: name %d "
			    "is longer than %d bytes", i + 1,
			    ACTIVATION_NAME_MAX - 1);
			return -1;
		}
		memcpy(out[i].name, p, len);
		out[i].name[len] = '\0';
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (i + 1 != n) {
		(void)snprintf(err, errlen, "LISTEN_FDNAMES names %d sockets "
		    "but LISTEN_FDS passed %d", i + 1, n);
		return -1;
	}
	return 0;
}

static int
check_fd(int fd, char *err, size_t errlen)
{
	struct stat st;
	socklen_t len;
	int type, listening, domain, flags;

	if (fstat(fd, &st) == -1) {
		(void)snprintf(err, errlen, "descriptor %d from the service "
		    "manager: %s", fd, errstr(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		(void)snprintf(err, errlen, "descriptor %d from the service "
		    "manager is not a socket", fd);
		return -1;
	}
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    (len = sizeof(domain), getsockopt(fd, SOL_SOCKET, SO_DOMAIN,
	    &domain, &len)) == -1 ||
	    (len = sizeof(listening), getsockopt(fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &listening, &len)) == -1) {
		(void)snprintf(err, errlen, "descriptor %d from the service "
		    "manager: %s", fd, errstr(errno));
		return -1;
	}
	if (type != SOCK_STREAM || (domain != AF_INET && domain != AF_INET6 &&
	    domain != AF_UNIX)) {
		(void)snprintf(err, errlen, "descriptor %d from the service "
		    "manager is not a stream socket of IPv4, IPv6 or Unix "
		    "(ListenStream= in the socket unit)", fd);
		return -1;
	}
	if (!listening) {
		(void)snprintf(err, errlen, "descriptor %d from the service "
		    "manager is not listening (Accept=no, ListenStream=)", fd);
		return -1;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    ((flags & O_NONBLOCK) != 0 &&
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		(void)snprintf(err, errlen, "descriptor %d from the service "
		    "manager: fcntl: %s", fd, errstr(errno));
		return -1;
	}
	return 0;
}

static void
forget_environment(void)
{
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
}
