/*
 * netutil.h - socket helpers shared by the daemon and the client tools.
 * Functions return 0 / a descriptor on success, or -1 and write a one-line
 * reason into err (errlen bytes, NUL-terminated); they never log or exit.
 */
#ifndef NETUTIL_H
#define NETUTIL_H

#include <stddef.h>
#include <sys/socket.h>

/* Room for "[ffff:...:ffff%ifname]:65535". */
#define NETUTIL_ADDRSTRLEN 96

/*
 * Format a socket address as "1.2.3.4:80" or "[::1]:80" into buf.
 * Returns buf (never NULL; "?" for an unknown family).
 */
const char *netutil_format_addr(const struct sockaddr *sa, socklen_t len,
	    char *buf, size_t buflen);

/*
 * Resolve host and port (getaddrinfo, IPv4 and IPv6) and connect a blocking,
 * close-on-exec TCP socket with TCP_NODELAY set, trying each address in turn
 * until one answers within timeout_ms (0 = the kernel's own timeout).
 */
int	netutil_connect(const char *host, const char *port, int timeout_ms,
	    char *err, size_t errlen);

/*
 * A listening TCP socket: resolve host (getaddrinfo, AI_PASSIVE; NULL or
 * "" = every address; the first address that binds wins), bind with
 * SO_REUSEADDR (IPV6_V6ONLY off, so "::" serves IPv4 too), listen with
 * backlog.  Blocking and close-on-exec.  Fills *bound with the address it
 * got (the port chosen for "0").
 */
int	netutil_listen(const char *host, const char *port, int backlog,
	    struct sockaddr_storage *bound, socklen_t *boundlen, char *err,
	    size_t errlen);

/* Room for what netutil_split_hostport() writes, NUL included. */
#define NETUTIL_HOSTLEN	256
#define NETUTIL_PORTLEN	6

/*
 * Split "HOST:PORT" or "[IPV6]:PORT" into host and port, resolving
 * nothing.  An IPv6 literal must be bracketed, so the colon before the
 * port is never ambiguous.  HOST is a name or an address literal: not
 * empty, shorter than NETUTIL_HOSTLEN, no spaces, control characters or
 * brackets.  PORT is decimal, 0 to 65535, stored without leading zeros.
 * host (hostlen bytes) and port (portlen bytes) may be NULL: then s is
 * only checked.
 */
int	netutil_split_hostport(const char *s, char *host, size_t hostlen,
	    char *port, size_t portlen, char *err, size_t errlen);

/* Set SO_RCVTIMEO and SO_SNDTIMEO to timeout_ms (0 = none). */
int	netutil_set_timeouts(int fd, int timeout_ms);

/*
 * Grow the process's descriptor table now to hold descriptors 0 .. n - 1
 * (capped by RLIMIT_NOFILE), so that no later socket(), accept() or open()
 * has to grow it.  Call it while the process has one thread: growing the
 * table of a multithreaded process waits for an RCU grace period
 * (expand_files() calls synchronize_rcu() on Linux), which on a loaded
 * machine can block the calling thread for seconds.  The kernel never
 * shrinks the table, so once is enough.  Returns 0, or -1 with errno set
 * (the table is then as it was: harmless, only slower).
 */
int	netutil_presize_fds(unsigned long n);

#endif /* NETUTIL_H */
