/*
 * notify.c - the sd_notify(3) datagram protocol (notify.h).
 *
 * The whole protocol is: an AF_UNIX SOCK_DGRAM socket, one sendto() per
 * message to the address in $NOTIFY_SOCKET ("/path" or "@abstract").
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errstr.h"
#include "notify.h"
#include "parse.h"

/* Written by notify_init() before threads start, read-only afterwards. */
static int			notify_fd = -1;
static struct sockaddr_un	notify_addr;
static socklen_t		notify_addrlen;
static uint64_t			watchdog_usec;

static int	read_socket(char *err, size_t errlen);
static int	read_watchdog(char *err, size_t errlen);

int
notify_init(char *err, size_t errlen)
{
	char err2[128];
	int a, b;

	err2[0] = '\0';
	a = read_socket(err, errlen);
	b = read_watchdog(err2, sizeof(err2));
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
	if (a == 0 && b == -1)
		(void)snprintf(err, errlen, "%s", err2);
	return a == -1 || b == -1 ? -1 : 0;
}

static int
read_socket(char *err, size_t errlen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (path == NULL || *path == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(notify_addr.sun_path)) {
		(void)snprintf(err, errlen, "NOTIFY_SOCKET is not an absolute "
		    "path or an @abstract name of at most %zu bytes: "
		    "not notifying the service manager",
		    sizeof(notify_addr.sun_path) - 1);
		return -1;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	/* An abstract name starts with a NUL and has no terminator. */
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (path[0] == '@' ? 0 : 1));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1) {
		(void)snprintf(err, errlen, "cannot create the notification "
		    "socket: %s", errstr(errno));
		return -1;
	}
	return 0;
}

static int
read_watchdog(char *err, size_t errlen)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	watchdog_usec = 0;
	if (usec == NULL || *usec == '\0')
		return 0;
	/* Meant for another process of the service: not ours to ping. */
	if (pid != NULL && *pid != '\0') {
		if (parse_uint(pid, 1, UINT32_MAX, &p) == -1) {
			(void)snprintf(err, errlen, "WATCHDOG_PID is not a "
			    "process ID: watchdog off");
			return -1;
		}
		if ((pid_t)p != getpid())
			return 0;
	}
	if (parse_uint(usec, 1, UINT64_MAX / 2, &v) == -1) {
		(void)snprintf(err, errlen, "WATCHDOG_USEC is not a positive "
		    "number of microseconds: watchdog off");
		return -1;
	}
	watchdog_usec = v;
	return 0;
}

bool
notify_enabled(void)
{
	return notify_fd != -1;
}

uint64_t
notify_watchdog_usec(void)
{
	return notify_fd != -1 ? watchdog_usec : 0;
}

int
notify_send(const char *msg)
{
	ssize_t n;

	if (notify_fd == -1)
		return 0;
	do {
		n = sendto(notify_fd, msg, strlen(msg),
		    MSG_DONTWAIT | MSG_NOSIGNAL,
		    (const struct sockaddr *)&notify_addr, notify_addrlen);
	} while (n == -1 && errno == EINTR);
	return n == -1 ? -1 : 0;
}

void
notify_close(void)
{
	if (notify_fd != -1)
		(void)close(notify_fd);
	notify_fd = -1;
}
