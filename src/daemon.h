/*
 * daemon.h - the daemon's process chores: detaching, the pidfile, dropping
 * root.
 *
 * Each call returns 0, or -1 with a one-line reason in err (errlen bytes,
 * NUL-terminated) and errno set; none of them logs or exits, except that
 * daemon_detach() never returns in the parent.  Call them from the main
 * thread before any other thread exists: fork(2) copies only the calling
 * thread, and set*id(2) must apply to every thread.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Fork into the background.  The parent stays attached to the terminal (or
 * to the init system that started it) and waits on a pipe until the child
 * calls daemon_ready(), then exits with the status the child reported; if
 * the child dies first it exits 1.  The child becomes a session leader,
 * changes to "/" and points descriptors 0, 1 and 2 at /dev/null (switch
 * logging to syslog first), then returns 0.
 * On -1 the caller may be either the original process (fork failed) or the
 * child (a later step failed); in both cases it should log, call
 * daemon_ready(status) and exit.
 */
int	daemon_detach(char *err, size_t errlen);

/*
 * Release the waiting parent with an exit status (0 = serving; 0..255).
 * Only the first call does anything; a no-op when not detached.  Keeps
 * errno.
 */
void	daemon_ready(int status);

/*
 * Create or truncate path (mode 0644, close-on-exec) and write "PID\n".
 * A partly written file is removed again.
 */
int	pidfile_write(const char *path, char *err, size_t errlen);

/* Remove the pidfile; errors (already gone, no permission after dropping
 * privileges) are ignored.  Keeps errno. */
void	pidfile_remove(const char *path);

/*
 * Look up user: its uid and primary gid.  Fails with errno ENOENT when no
 * such user exists (exit EX_NOUSER), with the lookup's own errno otherwise.
 */
int	privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err,
	    size_t errlen);

/*
 * Become uid/gid (from privdrop_lookup; user names them in messages) for
 * good: supplementary groups reduced to gid, real, effective and saved gid
 * and uid set, then checked (setuid(0) must fail).  Dropping groups may
 * fail with EPERM only when not running as root (a non-root user
 * "dropping" to itself).
 */
int	privdrop(const char *user, uid_t uid, gid_t gid, char *err,
	    size_t errlen);

#endif /* DAEMON_H */
