/*
 * activation.h - listening sockets passed by the service manager
 * (socket activation, sd_listen_fds(3)), read without libsystemd.
 *
 * systemd (or systemd-socket-activate, or any manager speaking the same
 * protocol) starts us with the sockets open from descriptor 3 on and three
 * variables: LISTEN_PID (ours, or the sockets are not for us), LISTEN_FDS
 * (how many) and optionally LISTEN_FDNAMES (colon-separated names, one per
 * descriptor: FileDescriptorName= in the .socket unit).  Call once, from
 * the main thread, before any thread or descriptor of our own exists.
 */
#ifndef ACTIVATION_H
#define ACTIVATION_H

#include <stddef.h>

#define ACTIVATION_FD_START	3	/* SD_LISTEN_FDS_START */
#define ACTIVATION_MAX_FDS	64	/* more is a configuration error */
#define ACTIVATION_NAME_MAX	64

struct activated_fd {
	int	fd;
	char	name[ACTIVATION_NAME_MAX];	/* "" when none was given */
};

/*
 * Take the passed sockets into out[0..max): each checked to be a
 * listening SOCK_STREAM socket of family IPv4, IPv6 or Unix, made
 * close-on-exec and blocking (NonBlocking= in the unit would otherwise
 * break our blocking accept).  The three variables are removed from the
 * environment whatever the outcome.  Returns how many (0 when none were
 * passed to this process), or -1 with a reason naming the variable or the
 * descriptor in err; nothing is closed on failure (the caller exits).
 */
int	activation_listen_fds(struct activated_fd *out, int max, char *err,
	    size_t errlen);

#endif /* ACTIVATION_H */
