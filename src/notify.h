/*
 * notify.h - telling the service manager how we are: the sd_notify(3)
 * datagram protocol, written out here rather than linked from libsystemd
 * (HACKING says why).
 *
 * notify_init() reads NOTIFY_SOCKET once, at start-up, before threads
 * exist; afterwards notify_send() may be called from any thread.  Without
 * NOTIFY_SOCKET (not run by systemd, or Type=simple) nothing is sent and
 * every call is a cheap no-op.  The watchdog settings come from
 * WATCHDOG_USEC and WATCHDOG_PID (sd_watchdog_enabled(3)).
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Read the environment.  Returns 0; -1 with a reason in err when a
 * variable is set but unusable (a relative or too long NOTIFY_SOCKET, a
 * WATCHDOG_USEC that is not a positive number): the caller logs it as a
 * warning and runs on without that part.  Both parts are independent: a
 * bad WATCHDOG_USEC leaves notification on.  The variables are removed
 * from the environment, so nothing we ever run inherits them.
 */
int	notify_init(char *err, size_t errlen);

/* True when a service manager listens (NOTIFY_SOCKET was usable). */
bool	notify_enabled(void);

/* The watchdog interval the manager asked for, in microseconds; 0 when
 * there is none or it is meant for another process (WATCHDOG_PID). */
uint64_t notify_watchdog_usec(void);

/*
 * Send one datagram of newline-separated assignments ("READY=1",
 * "STATUS=..."): 0, or -1 with errno.  Never blocks (a full socket buffer
 * is EAGAIN), never raises SIGPIPE.
 */
int	notify_send(const char *msg);

/* Close the socket (at exit, for leak checkers). */
void	notify_close(void);

#endif /* NOTIFY_H */
