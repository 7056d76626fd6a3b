/*
 * testutil.c - start and drive the real programs for the end-to-end suites.
 *
 * Everything here is bounded in time and fails the running test with
 * ck_abort_msg() on an unexpected error; see testutil.h for the rules.
 * The helpers that abort must be called from the test's own thread: Check
 * reports a failure from another thread only in fork mode, and in no-fork
 * mode it longjmps, which is undefined from any other thread.
 */
#include <config.h>

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msgframe.h"
#include "testutil.h"

#define LISTEN_NEEDLE	"listening on 127.0.0.1:"
#define START_WAIT_MS	10000
#define POLL_STEP_MS	10

static unsigned	server_serial;

const char *
tu_program(const char *envname)
{
	const char	*path;

	path = getenv(envname);
	if (path == NULL || *path == '\0')
		ck_abort_msg("%s is not set: run the suite through "
		    "`make check` or set it to the built program", envname);
	return path;
}

/*
 * Move fd to a descriptor >= 3 without close-on-exec, so that dup2()ing it
 * onto 0, 1 or 2 can never clobber another of the child's new standard
 * descriptors (the parent may run with 0-2 closed, as CI may).  Only
 * async-signal-safe calls: this runs between fork and exec.
 */
static int
child_high_fd(int fd)
{
	return fcntl(fd, F_DUPFD, 3);
}

static void	child_fail(const char *) __attribute__((__noreturn__));

static void
child_fail(const char *what)
{
	char	 buf[256];
	int	 len;

	/* snprintf is not async-signal-safe in theory, but fine with glibc
	 * for %s/%d; the child is about to _exit() anyway. */
	len = snprintf(buf, sizeof(buf), "testutil child: %s: %s\n", what,
	    strerror(errno));
	if (len > 0)
		(void)write(STDERR_FILENO, buf, (size_t)len);
	_exit(127);
}

static void
print_log(const struct server *s, const char *why)
{
	char	*log;

	log = tn_read_file(s->logpath, NULL);
	fprintf(stderr, "---- %s: %s (pid %ld) ----\n%s---- end of %s ----\n",
	    why, s->logpath, (long)s->pid, log != NULL ? log : "(unreadable)\n",
	    s->logpath);
	free(log);
}

/*
 * Has pid exited?  WNOWAIT leaves the zombie in place, so that the final
 * status is still there for server_stop() to reap.
 */
static bool
child_exited(pid_t pid)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT)
	    == -1) {
		if (errno != EINTR)
			return true;	/* ECHILD: not ours, or reaped */
	}
	return info.si_pid == pid;
}

/* The port from the first "listening on 127.0.0.1:PORT " line, or -1. */
static int
parse_listen_port(const char *log)
{
	const char	*p;
	long		 port = 0;

	if ((p = strstr(log, LISTEN_NEEDLE)) == NULL)
		return -1;
	p += strlen(LISTEN_NEEDLE);
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9' && port <= 65535)
		port = port * 10 + (*p++ - '0');
	/* A digit at the very end may be half a line still being written. */
	if (*p == '\0' || port < 1 || port > 65535)
		return -1;
	return (int)port;
}

static void
start(struct server *s, const char *const *args, const struct server_opts *o)
{
	extern char	**environ;
	const char	 *prog;
	const char	**argv;
	char		**envp, *log;
	char		  pidvar[32], journalvar[64];
	size_t		  nargs = 0, nenv = 0, nextra = 0, i, skip;
	pid_t		  parent;
	uint64_t	  deadline;
	int		  logfd, nullfd, port = -1;

	prog = tu_program("MSGSERVERD");
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	snprintf(s->logpath, sizeof(s->logpath), "./msgserverd-test-%ld-%u.log",
	    (long)getpid(), __atomic_add_fetch(&server_serial, 1,
	    __ATOMIC_RELAXED));

	while (args != NULL && args[nargs] != NULL)
		nargs++;
	/* Everything the child needs is built before fork: malloc after a
	 * fork in a threaded process may deadlock. */
	argv = calloc(nargs + 6, sizeof(*argv));
	ck_assert_msg(argv != NULL, "calloc failed");
	skip = o->no_default_bind ? 4 : 0;
	argv[0] = prog;
	argv[1] = "--bind";
	argv[2] = "127.0.0.1";
	argv[3] = "--port";
	argv[4] = "0";
	for (i = 0; i < nargs; i++)
		argv[5 + i - skip] = args[i];
	argv[5 + nargs - skip] = NULL;
	/* Our environment, then o->env, then LISTEN_PID (set in the child:
	 * only there is its PID known). */
	while (environ[nenv] != NULL)
		nenv++;
	while (o->env != NULL && o->env[nextra] != NULL)
		nextra++;
	envp = calloc(nenv + nextra + 3, sizeof(*envp));
	ck_assert_msg(envp != NULL, "calloc failed");
	for (i = 0; i < nenv; i++)
		envp[i] = environ[i];
	for (i = 0; i < nextra; i++)
		envp[nenv + i] = (char *)o->env[i];
	i = nenv + nextra;
	if (o->listen_fd != -1)
		envp[i++] = pidvar;

	/* O_APPEND: the server's threads each write whole lines. */
	logfd = open(s->logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0644);
	ck_assert_msg(logfd != -1, "cannot create %s: %s", s->logpath,
	    strerror(errno));
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_msg(nullfd != -1, "/dev/null: %s", strerror(errno));
	/* "Journal": what systemd sets when stderr is its stream. */
	if (o->journal) {
		struct stat st;

		ck_assert_int_eq(fstat(logfd, &st), 0);
		(void)snprintf(journalvar, sizeof(journalvar),
		    "JOURNAL_STREAM=%llu:%llu", (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
		envp[i++] = journalvar;
	}

	parent = getpid();
	s->pid = fork();
	if (s->pid == -1) {
		close(logfd);
		close(nullfd);
		free(argv);
		free(envp);
		ck_abort_msg("fork: %s", strerror(errno));
	}
	if (s->pid == 0) {
		struct rlimit	rl;
		int		hlog, hnull, hfd;

		/* A test killed by Check's timeout must not leave a daemon. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
			child_fail("prctl(PR_SET_PDEATHSIG)");
		/* The parent may have died before prctl() took effect. */
		if (getppid() != parent)
			_exit(127);
		if ((hlog = child_high_fd(logfd)) == -1 ||
		    (hnull = child_high_fd(nullfd)) == -1)
			child_fail("fcntl(F_DUPFD)");
		if (dup2(hnull, STDIN_FILENO) == -1 ||
		    dup2(hlog, STDOUT_FILENO) == -1 ||
		    dup2(hlog, STDERR_FILENO) == -1)
			child_fail("dup2");
		/* A passed socket goes to 3, as a service manager puts it. */
		if (o->listen_fd != -1) {
			if ((hfd = child_high_fd(o->listen_fd)) == -1 ||
			    dup2(hfd, 3) == -1)
				child_fail("dup2 of the passed socket");
			(void)snprintf(pidvar, sizeof(pidvar), "LISTEN_PID=%ld",
			    (long)getpid());
		}
		/* Sockets and pipes of other tests must not leak into it. */
		closefrom(o->listen_fd != -1 ? 4 : 3);
		if (o->nofile != 0) {
			if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
				child_fail("getrlimit");
			rl.rlim_cur = o->nofile;
			if (rl.rlim_max != RLIM_INFINITY &&
			    rl.rlim_max < o->nofile)
				rl.rlim_max = o->nofile;
			if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
				child_fail("setrlimit(RLIMIT_NOFILE)");
		}
		execve(prog, (char *const *)argv, envp);
		child_fail(prog);
	}
	close(logfd);
	close(nullfd);
	free(argv);
	free(envp);
	if (!o->wait_listening)
		return;

	deadline = tn_now_ms() + START_WAIT_MS;
	for (;;) {
		if ((log = tn_read_file(s->logpath, NULL)) != NULL) {
			port = parse_listen_port(log);
			free(log);
		}
		if (port > 0)
			break;
		if (child_exited(s->pid)) {
			print_log(s, "server exited during start-up");
			(void)waitpid(s->pid, NULL, 0);
			s->pid = -1;
			ck_abort_msg("%s exited before listening (see its log "
			    "above)", prog);
		}
		if (tn_now_ms() >= deadline) {
			print_log(s, "server did not start");
			kill(s->pid, SIGKILL);
			(void)waitpid(s->pid, NULL, 0);
			s->pid = -1;
			ck_abort_msg("%s: no \"" LISTEN_NEEDLE "\" line "
			    "within %d ms", prog, START_WAIT_MS);
		}
		tn_sleep_ms(POLL_STEP_MS);
	}
	s->port = port;
}

void
server_opts_init(struct server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen_fd = -1;
	o->wait_listening = true;
}

void
server_start(struct server *s, const char *const *args)
{
	struct server_opts o;

	server_opts_init(&o);
	start(s, args, &o);
}

void
server_start_nofile(struct server *s, const char *const *args,
    unsigned long nofile)
{
	struct server_opts o;

	server_opts_init(&o);
	o.nofile = nofile;
	start(s, args, &o);
}

void
server_start_opts(struct server *s, const char *const *args,
    const struct server_opts *o)
{
	start(s, args, o);
}

/*
 * For a server that will not stop: each thread's name, state and where it
 * sleeps in the kernel, so a hang can be told from a starved machine.
 */
static void
print_threads(pid_t pid)
{
	char path[512], comm[64], wchan[64], stat[512];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		comm[0] = wchan[0] = stat[0] = '\0';
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/comm",
		    (long)pid, de->d_name);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/wchan",
		    (long)pid, de->d_name);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(wchan, sizeof(wchan), f) == NULL)
				wchan[0] = '\0';
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/stat",
		    (long)pid, de->d_name);
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(stat, sizeof(stat), f) == NULL)
				stat[0] = '\0';
			stat[strcspn(stat, "\n")] = '\0';
			fclose(f);
		}
		fprintf(stderr, "  thread %s %s wchan=%s stat=%.80s\n",
		    de->d_name, comm, wchan, stat);
	}
	closedir(d);
}

int
server_stop(struct server *s, int sig, int timeout_ms)
{
	uint64_t	deadline;
	pid_t		r;
	int		status;

	ck_assert_msg(s->pid > 0, "server_stop: no server running");
	if (sig != 0 && kill(s->pid, sig) == -1)
		ck_abort_msg("kill(%ld, %d): %s", (long)s->pid, sig,
		    strerror(errno));

	deadline = tn_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		r = waitpid(s->pid, &status, WNOHANG);
		if (r == s->pid)
			break;
		if (r == -1 && errno != EINTR)
			ck_abort_msg("waitpid(%ld): %s", (long)s->pid,
			    strerror(errno));
		if (tn_now_ms() >= deadline) {
			fprintf(stderr, "server %ld still running %d ms "
			    "after signal %d: killing it\n", (long)s->pid,
			    timeout_ms, sig);
			print_threads(s->pid);
			kill(s->pid, SIGKILL);
			while (waitpid(s->pid, &status, 0) == -1 &&
			    errno == EINTR)
				continue;
			print_log(s, "server killed");
			s->pid = -1;
			return -1;
		}
		tn_sleep_ms(5);
	}
	s->pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		unlink(s->logpath);
	else {
		if (WIFEXITED(status))
			fprintf(stderr, "server exited with status %d\n",
			    WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			fprintf(stderr, "server killed by signal %d\n",
			    WTERMSIG(status));
		print_log(s, "server log");
	}
	return status;
}

bool
server_alive(struct server *s)
{
	return s->pid > 0 && !child_exited(s->pid);
}

char *
server_log_read(struct server *s)
{
	char	*log;

	log = tn_read_file(s->logpath, NULL);
	ck_assert_msg(log != NULL, "cannot read %s: %s", s->logpath,
	    strerror(errno));
	return log;
}

int
server_log_count(struct server *s, const char *needle)
{
	const char	*p;
	char		*log;
	size_t		 nlen;
	int		 n = 0;

	nlen = strlen(needle);
	if (nlen == 0)
		return 0;
	log = server_log_read(s);
	for (p = log; (p = strstr(p, needle)) != NULL; p += nlen)
		n++;
	free(log);
	return n;
}

bool
server_log_wait(struct server *s, const char *needle, int timeout_ms)
{
	uint64_t	deadline;

	deadline = tn_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		if (server_log_count(s, needle) > 0)
			return true;
		if (tn_now_ms() >= deadline)
			return false;
		tn_sleep_ms(POLL_STEP_MS);
	}
}

long
server_cpu_ms(struct server *s)
{
	char		 path[64], *stat, *p;
	unsigned long	 utime, stime;
	long		 hz;
	int		 field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)s->pid);
	stat = tn_read_file(path, NULL);
	ck_assert_msg(stat != NULL, "%s: %s", path, strerror(errno));
	/* comm (field 2) may hold spaces and parentheses: skip to its end. */
	if ((p = strrchr(stat, ')')) == NULL) {
		free(stat);
		ck_abort_msg("%s: malformed", path);
	}
	/* p + 2 is field 3 (state); utime and stime are fields 14 and 15. */
	p += 2;
	for (field = 3; field < 14 && p != NULL; field++) {
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	}
	if (p == NULL || sscanf(p, "%lu %lu", &utime, &stime) != 2) {
		free(stat);
		ck_abort_msg("%s: no utime/stime", path);
	}
	free(stat);
	hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	return (long)((utime + stime) * 1000 / (unsigned long)hz);
}

long
server_rss_kib(struct server *s)
{
	char	 path[64], *status, *p;
	long	 kib;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)s->pid);
	status = tn_read_file(path, NULL);
	ck_assert_msg(status != NULL, "%s: %s", path, strerror(errno));
	if ((p = strstr(status, "\nVmRSS:")) == NULL ||
	    sscanf(p + 7, "%ld", &kib) != 1) {
		free(status);
		ck_abort_msg("%s: no VmRSS line", path);
	}
	free(status);
	return kib;
}

int
tu_connect(int port)
{
	int	fd;

	fd = tn_try_connect(port);
	ck_assert_msg(fd != -1, "connect to 127.0.0.1:%d: %s", port,
	    strerror(errno));
	return fd;
}

void
tu_echo_check(int fd, const void *payload, uint32_t len)
{
	unsigned char	*buf;
	size_t		 got = 0, i;
	int		 r, e;

	if (msgframe_send(fd, payload, len) == -1)
		ck_abort_msg("send of a %u-byte frame: %s", len,
		    msgframe_strerror(errno));
	buf = malloc(len != 0 ? len : 1);
	ck_assert_msg(buf != NULL, "malloc(%u) failed", len);
	r = msgframe_recv(fd, buf, len, &got);
	e = errno;
	if (r != 1) {
		free(buf);
		if (r == 0)
			ck_abort_msg("echo of a %u-byte frame: connection "
			    "closed instead", len);
		if (e == EMSGSIZE)
			ck_abort_msg("echo of a %u-byte frame: came back "
			    "announcing %zu bytes", len, got);
		ck_abort_msg("echo of a %u-byte frame: %s", len,
		    msgframe_strerror(e));
	}
	if (got != len) {
		free(buf);
		ck_abort_msg("echo of a %u-byte frame came back with %zu "
		    "bytes", len, got);
	}
	if (len != 0 && memcmp(buf, payload, len) != 0) {
		for (i = 0; i < len; i++)
			if (buf[i] != ((const unsigned char *)payload)[i])
				break;
		free(buf);
		ck_abort_msg("echo of a %u-byte frame differs at byte %zu",
		    len, i);
	}
	free(buf);
}

/* A growable output buffer for tu_run(). */
struct outbuf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

/* Read what fd has into ob; returns false at EOF or on error. */
static bool
outbuf_drain(struct outbuf *ob, int fd)
{
	char	*nd;
	ssize_t	 n;

	for (;;) {
		if (ob->cap - ob->len < 4096) {
			nd = realloc(ob->data, ob->cap * 2);
			if (nd == NULL)
				return false;
			ob->data = nd;
			ob->cap *= 2;
		}
		n = read(fd, ob->data + ob->len, ob->cap - ob->len - 1);
		if (n > 0) {
			ob->len += (size_t)n;
			ob->data[ob->len] = '\0';
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		return false;
	}
}

int
tu_run(const char *const *argv, const void *in, size_t inlen, char **out,
    size_t *outlen, char **err, int timeout_ms)
{
	struct outbuf	 ob[2];
	struct pollfd	 pfd[3];
	sigset_t	 pipeset, oldset;
	struct timespec	 zero = { 0, 0 };
	const unsigned char *inp = in;
	size_t		 inoff = 0;
	uint64_t	 deadline, now;
	pid_t		 pid, r;
	ssize_t		 n;
	int		 pin[2], pout[2], perr[2], fds[3], status, i;
	bool		 timedout = false;

	ck_assert_msg(argv != NULL && argv[0] != NULL, "tu_run: no argv");
	for (i = 0; i < 2; i++) {
		ob[i].cap = 4096;
		ob[i].len = 0;
		ob[i].data = malloc(ob[i].cap);
		ck_assert_msg(ob[i].data != NULL, "malloc failed");
		ob[i].data[0] = '\0';
	}
	if (pipe2(pin, O_CLOEXEC) == -1 || pipe2(pout, O_CLOEXEC) == -1 ||
	    pipe2(perr, O_CLOEXEC) == -1)
		ck_abort_msg("pipe2: %s", strerror(errno));

	pid = fork();
	if (pid == -1)
		ck_abort_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		int	a, b, c;

		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((a = child_high_fd(pin[0])) == -1 ||
		    (b = child_high_fd(pout[1])) == -1 ||
		    (c = child_high_fd(perr[1])) == -1)
			child_fail("fcntl(F_DUPFD)");
		if (dup2(a, STDIN_FILENO) == -1 ||
		    dup2(b, STDOUT_FILENO) == -1 ||
		    dup2(c, STDERR_FILENO) == -1)
			child_fail("dup2");
		closefrom(3);
		execv(argv[0], (char *const *)argv);
		child_fail(argv[0]);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	fds[0] = pin[1];
	fds[1] = pout[0];
	fds[2] = perr[0];
	for (i = 0; i < 3; i++)
		tn_set_nonblock(fds[i]);
	if (inlen == 0) {
		close(fds[0]);
		fds[0] = -1;
	}

	/*
	 * A child that exits without reading all its input makes write()
	 * fail with EPIPE and raise SIGPIPE at this thread: keep it blocked
	 * here and discard it afterwards, leaving other threads alone.
	 */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &oldset);

	deadline = tn_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	while (fds[0] != -1 || fds[1] != -1 || fds[2] != -1) {
		now = tn_now_ms();
		if (now >= deadline) {
			timedout = true;
			break;
		}
		for (i = 0; i < 3; i++) {
			pfd[i].fd = fds[i];	/* poll skips fd -1 */
			pfd[i].events = i == 0 ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, 3, (int)(deadline - now)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0] != -1 && pfd[0].revents != 0) {
			n = write(fds[0], inp + inoff, inlen - inoff);
			if (n > 0)
				inoff += (size_t)n;
			if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
			    inoff == inlen) {
				close(fds[0]);	/* done, or child closed */
				fds[0] = -1;
			}
		}
		for (i = 1; i < 3; i++) {
			if (fds[i] != -1 && pfd[i].revents != 0 &&
			    !outbuf_drain(&ob[i - 1], fds[i])) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	for (i = 0; i < 3; i++)
		if (fds[i] != -1)
			close(fds[i]);
	while (sigtimedwait(&pipeset, NULL, &zero) == SIGPIPE)
		continue;
	pthread_sigmask(SIG_SETMASK, &oldset, NULL);

	/* Outputs closed; the child may still be running a little longer. */
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			ck_abort_msg("waitpid: %s", strerror(errno));
		if (timedout || tn_now_ms() >= deadline) {
			timedout = true;
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) == -1 &&
			    errno == EINTR)
				continue;
			break;
		}
		tn_sleep_ms(5);
	}
	if (timedout) {
		fprintf(stderr, "%s timed out; stdout:\n%s\nstderr:\n%s\n",
		    argv[0], ob[0].data, ob[1].data);
		free(ob[0].data);
		free(ob[1].data);
		ck_abort_msg("%s did not finish within %d ms", argv[0],
		    timeout_ms);
	}
	if (out != NULL)
		*out = ob[0].data;
	else
		free(ob[0].data);
	if (outlen != NULL)
		*outlen = ob[0].len;
	if (err != NULL)
		*err = ob[1].data;
	else
		free(ob[1].data);
	return status;
}

#define TU_LOG_WAIT_MS	5000

/* SIGTERM the server and require a clean exit 0. */
void
server_stop_clean(struct server *s)
{
	int	status;

	ck_assert_msg(server_alive(s), "the server died during the test");
	status = server_stop(s, SIGTERM, TU_STOP_TIMEOUT_MS);
	ck_assert_msg(status != -1, "server did not exit within %d ms of "
	    "SIGTERM", TU_STOP_TIMEOUT_MS);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "server did not exit cleanly after SIGTERM (status 0x%x)",
	    status);
}

/* "127.0.0.1:PORT" of our end of fd: what the server logs for us. */
void
tu_local_addr(int fd, char *buf, size_t len)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);

	ck_assert_msg(getsockname(fd, (struct sockaddr *)&sin, &slen) == 0,
	    "getsockname: %s", strerror(errno));
	snprintf(buf, len, "127.0.0.1:%u", (unsigned)ntohs(sin.sin_port));
}

/*
 * Send SIGUSR1 and return a copy of the stats line it produces (the text
 * from "stats:" to the end of the line).
 */
char *
server_stats_line(struct server *s)
{
	uint64_t	 deadline;
	char		*log, *p, *last, *end, *copy;
	int		 before;

	before = server_log_count(s, "stats:");
	ck_assert_msg(kill(s->pid, SIGUSR1) == 0, "kill: %s", strerror(errno));
	deadline = tn_now_ms() + TU_LOG_WAIT_MS;
	for (;;) {
		log = server_log_read(s);
		last = NULL;
		for (p = log; (p = strstr(p, "stats:")) != NULL; p++)
			last = p;
		if (last != NULL && server_log_count(s, "stats:") > before &&
		    (end = strchr(last, '\n')) != NULL) {
			*end = '\0';
			/* The message itself starts with "stats:". */
			ck_assert_msg(last - log >= 2 &&
			    strncmp(last - 2, ": ", 2) == 0,
			    "stats line does not start with \"stats:\"");
			copy = strdup(last);
			free(log);
			ck_assert_msg(copy != NULL, "strdup failed");
			return copy;
		}
		free(log);
		if (tn_now_ms() >= deadline)
			ck_abort_msg("no stats line within %d ms of SIGUSR1",
			    TU_LOG_WAIT_MS);
		tn_sleep_ms(10);
	}
}

/* Open descriptors of the server, from /proc. */
int
server_fd_count(struct server *s)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)s->pid);
	d = opendir(path);
	ck_assert_msg(d != NULL, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}
