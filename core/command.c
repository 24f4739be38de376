/* Starting, reaping and naming the end of a command in a process group of
 * its own: one way for a run's stages and a deploy's hooks. */
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slipway/util.h"
#include "lines.h"

#define COMMAND_KILL_GRACE_MS 5000
/* Without a pidfd (a kernel before 5.3) the shell's exit is looked for
 * this often while its output stays open. */
#define EXIT_CHECK_MS 100

/* posix_spawn (vfork-like) keeps the per-stage cost near a shell's own. */
int sw_spawn_group(const char *path, char *const *argv, const char *dir, int out_fd, char *const *envp,
		   pid_t *child)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, dflt;
	sigemptyset(&none);
	sigemptyset(&dflt);
	int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD};
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaddset(&dflt, sigs[i]);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	/* Only the output: the run's lock and slot must die with the executor. */
	sw_spawn_output_to(&fa, out_fd, dir);
	int err = posix_spawn(child, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return err;
}

/* Until the shell is reaped its pid, the group's id, cannot be reused:
 * the group is ended while that still holds. */
bool sw_group_reap(pid_t pgid, int *status)
{
	siginfo_t si = {0};
	if (waitid(P_PID, (id_t)pgid, &si, WEXITED | WNOHANG | WNOWAIT) && errno == ECHILD) {
		*status = 255 << 8;	/* not ours to wait for: never wait forever */
		return true;
	}
	if (si.si_pid != pgid)
		return false;
	kill(-pgid, SIGKILL);
	while (waitpid(pgid, status, 0) < 0 && errno == EINTR)
		;
	return true;
}

int sw_detach(void (*body)(void *), void *arg)
{
	/* A caller's parent may have left SIGCHLD ignored: children would be
	 * reaped unseen, and neither this wait nor the body's own could work. */
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &old);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* A caller's blocked signals (a watcher's, read by signalfd) are
		 * not the detached process's. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (setsid() < 0)
			_exit(1);
		pid_t again = fork();
		if (again == 0) {
			body(arg);
			_exit(0);
		}
		_exit(again < 0 ? 1 : 0);
	}
	int err = pid < 0 ? errno : 0, status = 0;
	pid_t r = pid;
	while (pid > 0 && (r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGCHLD, &old, NULL);
	if (!err && (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status)))
		err = ECHILD;
	return err;
}

bool sw_stdio_to_log(const char *path, int mode)
{
	int in = open("/dev/null", O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_APPEND, (mode_t)mode);
	if (in >= 0)
		dup2(in, STDIN_FILENO);
	if (out >= 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
	}
	if (in > 2)
		close(in);
	if (out > 2)
		close(out);
	return out >= 0;
}

int sw_exit_code(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : 255;
}

char *sw_exit_reason(int code, bool timed_out, int timeout_s, bool cancelled)
{
	if (cancelled)
		return xstrdup("cancelled");
	if (timed_out)
		return xasprintf("timed out after %d s", timeout_s);
	if (code > 128 && code < 160)
		return xasprintf("killed by signal %d", code - 128);
	return code ? xasprintf("exit code %d", code) : NULL;
}

/* ---- a command of slipway's own, run to its end ---- */

struct command_run {
	const struct sw_command *cmd;
	pid_t pgid;			/* the shell, leader of its group */
	int out_fd;			/* the read end of its output */
	int exit_fd;			/* readable once the shell exited; -1 without */
	int status;
	bool exited, eof, timed_out;
	int64_t deadline, kill_at;	/* monotonic ms; -1: none */
	int64_t exited_at, quiet_since;	/* the shell's exit, the output's last */
	struct sw_lines lines;
	int log_fd;
	int write_err;			/* errno of the first failed log write */
	struct sbuf line;
};

static void write_log(struct command_run *r, const char *p, size_t n)
{
	while (n > 0 && !r->write_err) {
		ssize_t w = write(r->log_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			r->write_err = w < 0 ? errno : ENOSPC;
		else {
			p += w;
			n -= (size_t)w;
		}
	}
}

/* sw_lines' callback: each line in one write, as it comes, for whoever
 * follows the log. */
static void log_line(void *ctx, const char *line, size_t len, bool newline)
{
	struct command_run *r = ctx;
	sbuf_reset(&r->line);
	sbuf_add(&r->line, line, len);
	if (newline)
		sbuf_addc(&r->line, '\n');
	write_log(r, r->line.buf, r->line.len);
}

/* A line of slipway's own in the log, masked like the command's. */
static void log_note(struct command_run *r, const char *text)
{
	sw_lines_feed(&r->lines, text, strlen(text));
	sw_lines_feed(&r->lines, "\n", 1);
}

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

static int start_shell(struct command_run *r)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return errno;
	static char *const no_env[] = {NULL};
	struct strlist argv = {0};
	strlist_add_all(&argv, (const char *const[]){"sh", "-c", r->cmd->shell, NULL});
	int err = sw_spawn_group("/bin/sh", argv.items, r->cmd->dir, p[1], r->cmd->envp ? r->cmd->envp : no_env,
				 &r->pgid);
	strlist_free(&argv);
	close(p[1]);
	if (err) {
		close(p[0]);
		return err;
	}
	r->out_fd = p[0];
	/* Not reaped yet, so the pid is still the shell's. */
	r->exit_fd = pidfd_of(r->pgid);
	return 0;
}

static int64_t earliest(int64_t a, int64_t b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Output a process outside the group keeps open past the shell is read
 * until it has been quiet for SW_ORPHAN_QUIET_MS, or until the deadline;
 * but for that long after the exit at least, since the group the shell's
 * reaping killed may not have closed its end yet. */
static int64_t orphan_limit(const struct command_run *r)
{
	int64_t quiet = r->quiet_since + SW_ORPHAN_QUIET_MS, grace = r->exited_at + SW_ORPHAN_QUIET_MS;
	return earliest(quiet, r->deadline < 0 ? -1 : r->deadline > grace ? r->deadline : grace);
}

/* When the loop must wake with nothing to read; -1: never. */
static int64_t next_wake(const struct command_run *r)
{
	if (r->exited)
		return orphan_limit(r);
	int64_t at = earliest(r->timed_out ? -1 : r->deadline, r->kill_at);
	return r->exit_fd < 0 ? earliest(at, sw_mono_ms() + EXIT_CHECK_MS) : at;
}

static int poll_ms(int64_t at)
{
	if (at < 0)
		return -1;
	int64_t left = at - sw_mono_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* SIGTERM at the deadline, SIGKILL after the grace, to the whole group. */
static void enforce_deadline(struct command_run *r, int64_t now)
{
	if (r->exited)
		return;
	if (r->deadline >= 0 && now >= r->deadline && !r->timed_out) {
		r->timed_out = true;
		kill(-r->pgid, SIGTERM);
		r->kill_at = now + COMMAND_KILL_GRACE_MS;
	}
	if (r->kill_at >= 0 && now >= r->kill_at) {
		kill(-r->pgid, SIGKILL);
		r->kill_at = -1;
	}
}

static void read_output(struct command_run *r, int64_t now)
{
	char buf[65536];
	ssize_t n = read(r->out_fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		r->eof = true;
		return;
	}
	if (r->exited)
		r->quiet_since = now;
	sw_lines_feed(&r->lines, buf, (size_t)n);
}

static bool output_abandoned(const struct command_run *r, int64_t now)
{
	return r->exited && !r->eof && now >= orphan_limit(r);
}

static void pump(struct command_run *r)
{
	while (!r->eof || !r->exited) {
		struct pollfd pfd[2] = {{.fd = r->eof ? -1 : r->out_fd, .events = POLLIN},
					{.fd = r->exited ? -1 : r->exit_fd, .events = POLLIN}};
		if (poll(pfd, 2, poll_ms(next_wake(r))) < 0 && errno == EINTR)
			continue;
		int64_t now = sw_mono_ms();
		if (!r->exited && sw_group_reap(r->pgid, &r->status)) {
			r->exited = true;
			r->exited_at = r->quiet_since = now;
		}
		enforce_deadline(r, now);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_output(r, now);
		if (output_abandoned(r, now)) {
			sw_lines_finish(&r->lines);	/* the note starts a line of its own */
			log_note(r, "slipway: a process outside the command's group kept its output open; "
				    "the log stops here");
			break;
		}
	}
}

static char *run_reason(const struct command_run *r, int code)
{
	if (r->write_err)
		return xasprintf("cannot write the log %s: %s", r->cmd->log_path, strerror(r->write_err));
	return sw_exit_reason(code, r->timed_out, r->cmd->timeout_s, false);
}

static void start_failed(struct command_run *r, int err, struct sw_command_result *res)
{
	res->exit_code = 127;
	res->reason = xasprintf("cannot start /bin/sh in %s: %s", r->cmd->dir, strerror(err));
	char *note = xasprintf("slipway: %s", res->reason);
	log_note(r, note);
	free(note);
}

int sw_command_run(const struct sw_command *cmd, struct sw_command_result *res)
{
	static const struct sw_secrets no_secrets;
	int64_t t0 = sw_mono_ms();
	memset(res, 0, sizeof *res);
	struct command_run r = {.cmd = cmd, .out_fd = -1, .exit_fd = -1, .kill_at = -1, .quiet_since = -1};
	r.deadline = cmd->timeout_s > 0 ? t0 + (int64_t)cmd->timeout_s * 1000 : -1;
	r.log_fd = open(cmd->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (r.log_fd < 0) {
		res->exit_code = 127;
		res->reason = xasprintf("cannot write the log %s: %s", cmd->log_path, strerror(errno));
		return -1;
	}
	sbuf_init(&r.line);
	sw_lines_init(&r.lines, cmd->secrets ? cmd->secrets : &no_secrets, log_line, &r);
	int err = start_shell(&r);
	if (err)
		start_failed(&r, err, res);
	else
		pump(&r);
	sw_lines_finish(&r.lines);
	if (!err) {
		res->exit_code = sw_exit_code(r.status);
		res->timed_out = r.timed_out;
		res->reason = run_reason(&r, res->exit_code);
	}
	res->duration_ms = sw_mono_ms() - t0;
	sw_lines_free(&r.lines);
	sbuf_free(&r.line);
	close(r.log_fd);
	if (r.out_fd >= 0)
		close(r.out_fd);
	if (r.exit_fd >= 0)
		close(r.exit_fd);
	return res->reason ? -1 : 0;
}

void sw_command_result_free(struct sw_command_result *res)
{
	free(res->reason);
	res->reason = NULL;
}

/* ---- a lock that says who holds it ---- */

void sw_lock_note_pid(int fd)
{
	/* Written whole with one pwrite and only then cut to length, so a
	 * reader sees a number or nothing, never a half. */
	char pid[24];
	int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	bool noted = pwrite(fd, pid, (size_t)len, 0) == len && ftruncate(fd, len) == 0;
	(void)noted;
}

/* The holder notes its pid just after its flock succeeded, so a taker
 * that lost by a hair may read nothing yet, or a dead holder's pid: it
 * waits a moment for a live one rather than name nobody. */
static long lock_holder(int fd)
{
	for (int tries = 0; tries < 100; tries++) {
		char buf[24] = "";
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		char *end;
		long pid = n > 0 ? strtol(buf, &end, 10) : 0;
		if (pid > 0 && *end == '\n' && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			return pid;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

int sw_lock_take(const char *path, int *fd_out, long *holder)
{
	*fd_out = -1;
	*holder = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		if (e == EWOULDBLOCK)
			*holder = lock_holder(fd);
		close(fd);
		return e;
	}
	sw_lock_note_pid(fd);
	*fd_out = fd;
	return 0;
}

bool sw_lock_held(const char *path)
{
	/* Read-only, so a check makes no IN_CLOSE_WRITE event for followers. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}
