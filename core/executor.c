/* The executor: waits for a slot, checks the commit out into a directory of
 * its own and has its guardian run each stage in a process group of its
 * own, recording every change in run.json. */
#include "executor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slipway/report.h"

#define MAX_LINE (64 * 1024)
#define KILL_GRACE_MS 10000

struct stage_io {
	int fd;				/* the stage's output pipe */
	int log_fd;
	struct sbuf line;		/* the incomplete last line */
	struct sbuf out;		/* bytes waiting to be written to the log */
	struct sw_line_parser **parsers;
	size_t nparsers;
	int64_t bytes;
	pid_t pgid;			/* the stage's shell, leader of its group */
	int spawn_err;			/* why the shell could not start */
	int status;			/* its wait status, once exited */
	bool exited;
	bool guardian_lost;
	bool cancelled;			/* a cancel arrived while this stage ran */
};

struct executor {
	struct sw_exec_plan *plan;
	struct sw_run_record *rec;
	char *workdir;
	char *reports;
	int sigfd;
	pid_t guardian;
	int guard_fd;			/* socket to the guardian, -1 before it starts */
	bool cancelled;
	bool failed;
	bool *gate_checked;
};

/* ---- the guardian: one per run, parent of every stage's process group ----
 *
 * No process a run started may outlive its executor, even one killed -9,
 * and only a parent hears of such a death.  So a child of the executor
 * starts each stage in a process group of its own and ends that group when
 * the stage's shell exits, when the executor asks (timeout, cancel), and
 * when the executor's end of their socket closes, which it does when the
 * executor dies however it dies.  One guardian per run, not one per stage:
 * a fork of the executor (libgit2 and all mapped) cost more than a stage
 * running `true` does (bench/README.md). */

enum guard_kind {
	GUARD_START,		/* executor: run stage `value`; carries the output pipe */
	GUARD_TERM,		/* executor: end the running stage's group */
	GUARD_STARTED,		/* guardian: the stage's pid (its group), or -errno */
	GUARD_EXITED,		/* guardian: the shell's wait status */
};

struct guard_msg {
	int32_t kind;
	int32_t value;
};

/* Sends one message, with fd attached when fd >= 0. */
static int guard_send(int sock, enum guard_kind kind, int value, int fd)
{
	struct guard_msg m = {.kind = kind, .value = value};
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof ctl.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	ssize_t n;
	while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof m ? 0 : -1;
}

/* 1: a message (an attached descriptor in *fd, else -1); 0: the peer is gone. */
static int guard_recv(int sock, struct guard_msg *m, int *fd)
{
	struct iovec iov = {.iov_base = m, .iov_len = sizeof *m};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof ctl.buf};
	if (fd)
		*fd = -1;
	ssize_t n;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof *m)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int got;
		memcpy(&got, CMSG_DATA(c), sizeof got);
		if (fd && *fd < 0)
			*fd = got;
		else
			close(got);
	}
	return 1;
}

/* posix_spawn (vfork-like) keeps the per-stage cost near a shell's own. */
static pid_t spawn_stage_shell(const char *cmd, const char *dir, int out_fd, char **envp, int *err)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, dflt;
	sigemptyset(&none);
	sigemptyset(&dflt);
	int sigs[] = {SIGTERM, SIGALRM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD};
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaddset(&dflt, sigs[i]);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	pid_t child;
	*err = posix_spawn(&child, "/bin/sh", &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (*err) {
		dprintf(out_fd, "slipway: cannot start /bin/sh in %s: %s\n", dir, strerror(*err));
		return -1;
	}
	return child;
}

static int wait_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

/* ---- the stage environment ---- */

static char **stage_env(struct executor *ex, const struct sw_stage_config *sc)
{
	struct strlist l = {0};
	char *const *env = ex->plan->env;
	static const char *const passed[] = {"PATH", "HOME", "USER", "LANG", "TZ"};
	static const char *const dflt[] = {"/usr/local/bin:/usr/bin:/bin", "/", "nobody", "C.UTF-8", "UTC"};
	for (size_t i = 0; i < sizeof passed / sizeof *passed; i++) {
		const char *v = sw_env_lookup(env, passed[i]);
		strlist_addf(&l, "%s=%s", passed[i], v ? v : dflt[i]);
	}
	strlist_add(&l, "TERM=dumb");
	strlist_addf(&l, "SLIPWAY_COMMIT=%s", ex->rec->commit);
	strlist_addf(&l, "SLIPWAY_BRANCH=%s", ex->rec->branch);
	strlist_addf(&l, "SLIPWAY_RUN=%ld", ex->rec->id);
	strlist_addf(&l, "SLIPWAY_REPORTS=%s", ex->reports);
	strlist_addf(&l, "SLIPWAY_STAGE=%s", sc->name);
	for (size_t i = 0; i < sc->nenv; i++)
		strlist_addf(&l, "%s=%s", sc->env[i].name, sc->env[i].value);
	for (size_t i = 0; i < ex->plan->secrets->n; i++)
		strlist_addf(&l, "%s=%s", ex->plan->secrets->items[i].name, ex->plan->secrets->items[i].value);
	strlist_add(&l, "");
	free(l.items[l.len - 1]);
	l.items[l.len - 1] = NULL;
	return l.items;
}

static void free_env(char **envp)
{
	for (size_t i = 0; envp[i]; i++)
		free(envp[i]);
	free(envp);
}

/* ---- the guardian's side ---- */

/* Reaps child once it exits; sigfd reports SIGCHLD. */
static bool reaped(int sigfd, pid_t child, int *status)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	pid_t r;
	while ((r = waitpid(child, status, WNOHANG)) < 0 && errno == EINTR)
		;
	return r == child || (r < 0 && errno == ECHILD);
}

/* Runs stage i until its shell exits; false when the executor is gone.
 * A shell that cannot start is reported as started with -errno, then as
 * exited 127, as a shell reports a command it cannot run. */
static bool guard_stage(struct executor *ex, int sock, int sigfd, size_t i, int out_fd)
{
	const struct sw_stage_config *sc = &ex->plan->cfg->stages[i];
	char **envp = stage_env(ex, sc);
	int err = 0;
	pid_t child = spawn_stage_shell(sc->run, ex->workdir, out_fd, envp, &err);
	free_env(envp);
	close(out_fd);
	bool executor_alive = guard_send(sock, GUARD_STARTED, child > 0 ? child : -err, -1) == 0;
	int status = 127 << 8;
	int64_t kill_at = -1;
	if (child > 0 && !executor_alive) {
		kill(-child, SIGTERM);
		kill_at = sw_mono_ms() + KILL_GRACE_MS;
	}
	while (child > 0) {
		struct pollfd pfd[2] = {{.fd = sigfd, .events = POLLIN},
					{.fd = executor_alive ? sock : -1, .events = POLLIN}};
		int64_t left = kill_at < 0 ? -1 : kill_at - sw_mono_ms();
		int r = poll(pfd, 2, kill_at < 0 ? -1 : (int)(left > 0 ? left : 0));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			kill(-child, SIGKILL);
			kill_at = -1;
			continue;
		}
		if (pfd[0].revents && reaped(sigfd, child, &status)) {
			/* What the shell left running in its group ends with it. */
			kill(-child, SIGKILL);
			break;
		}
		if (!pfd[1].revents)
			continue;
		struct guard_msg m;
		if (!guard_recv(sock, &m, NULL))
			executor_alive = false;
		if ((!executor_alive || m.kind == GUARD_TERM) && kill_at < 0) {
			kill(-child, SIGTERM);
			kill_at = sw_mono_ms() + KILL_GRACE_MS;
		}
	}
	return executor_alive && guard_send(sock, GUARD_EXITED, status, -1) == 0;
}

static _Noreturn void guard(struct executor *ex, int sock)
{
	/* Only the socket: the run's lock and slot must die with the executor. */
	if (sock != 3)
		sock = dup2(sock, 3);
	fcntl(sock, F_SETFD, FD_CLOEXEC);
	close_range(4, ~0U, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0)
		_exit(1);
	struct guard_msg m;
	int out_fd;
	while (guard_recv(sock, &m, &out_fd)) {
		if (m.kind != GUARD_START || out_fd < 0 || m.value < 0 ||
		    (size_t)m.value >= ex->plan->cfg->nstages) {
			if (out_fd >= 0)
				close(out_fd);
			continue;
		}
		if (!guard_stage(ex, sock, sigfd, (size_t)m.value, out_fd))
			break;
	}
	_exit(0);
}

/* Starts the run's guardian unless it runs already. */
static bool guardian_up(struct executor *ex)
{
	if (ex->guard_fd >= 0)
		return true;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return false;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		guard(ex, sv[1]);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return false;
	}
	ex->guardian = pid;
	ex->guard_fd = sv[0];
	return true;
}

/* Closing its socket ends the guardian: it reads that as the executor gone. */
static void guardian_down(struct executor *ex)
{
	if (ex->guard_fd < 0)
		return;
	close(ex->guard_fd);
	ex->guard_fd = -1;
	while (waitpid(ex->guardian, NULL, 0) < 0 && errno == EINTR)
		;
	ex->guardian = 0;
}

/* After the guardian vanished (killed, say), the stage is the executor's to end. */
static void guardian_lost(struct executor *ex, struct stage_io *io)
{
	if (io->pgid > 0)
		kill(-io->pgid, SIGKILL);
	io->guardian_lost = true;
	guardian_down(ex);
}

/* ---- output: lines to the log, masked, and to the parsers ---- */

static void flush_out(struct stage_io *io)
{
	size_t off = 0;
	while (off < io->out.len) {
		ssize_t w = write(io->log_fd, io->out.buf + off, io->out.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	io->bytes += (int64_t)io->out.len;
	sbuf_reset(&io->out);
}

static void emit_line(struct executor *ex, struct stage_io *io, bool newline)
{
	sw_secrets_mask(ex->plan->secrets, &io->line);
	for (size_t i = 0; i < io->nparsers; i++)
		sw_line_parser_feed(io->parsers[i], io->line.buf ? io->line.buf : "", io->line.len);
	sbuf_add(&io->out, io->line.buf ? io->line.buf : "", io->line.len);
	if (newline)
		sbuf_addc(&io->out, '\n');
	sbuf_reset(&io->line);
	if (io->out.len >= 256 * 1024)
		flush_out(io);
}

static void take_output(struct executor *ex, struct stage_io *io, const char *buf, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t take = nl ? (size_t)(nl - buf) : n;
		size_t room = MAX_LINE - io->line.len;
		if (take >= room) {
			sbuf_add(&io->line, buf, room);
			emit_line(ex, io, true);
			buf += room;
			n -= room;
			continue;
		}
		sbuf_add(&io->line, buf, take);
		if (!nl)
			return;
		emit_line(ex, io, true);
		buf += take + 1;
		n -= take + 1;
	}
}

/* ---- one stage ---- */

static void new_parsers(struct stage_io *io, const struct sw_stage_config *sc, struct strlist *warn)
{
	io->parsers = xcalloc(sc->nparse, sizeof *io->parsers);
	for (size_t i = 0; i < sc->nparse; i++) {
		char *err = NULL;
		struct sw_line_parser *p = sw_line_parser_new(sc->parse[i].kind, sc->parse[i].pattern,
							      sc->parse[i].metric, &err);
		if (p)
			io->parsers[io->nparsers++] = p;
		else
			strlist_addf(warn, "stage %s: %s", sc->name, err ? err : "parser failed");
		free(err);
	}
}

static void finish_parsers(struct executor *ex, struct stage_io *io)
{
	for (size_t i = 0; i < io->nparsers; i++) {
		sw_line_parser_finish(io->parsers[i], &ex->rec->metrics, &ex->rec->warnings);
		sw_line_parser_free(io->parsers[i]);
	}
	free(io->parsers);
}

static void read_reports(struct executor *ex, const struct sw_stage_config *sc)
{
	if (sc->junit) {
		char *p = xasprintf("%s/%s", ex->reports, sc->junit);
		sw_report_junit(p, &ex->rec->metrics, &ex->rec->warnings);
		free(p);
	}
	if (sc->cobertura) {
		char *p = xasprintf("%s/%s", ex->reports, sc->cobertura);
		sw_report_cobertura(p, &ex->rec->metrics, &ex->rec->warnings);
		free(p);
	}
}

static void save(struct executor *ex, bool durable)
{
	if (sw_store_save(ex->plan->store, ex->rec, durable))
		fprintf(stderr, "slipway executor: cannot write run.json of run %ld\n", ex->rec->id);
}

static bool take_signal(struct executor *ex)
{
	struct signalfd_siginfo si;
	bool got = false;
	while (read(ex->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		got = true;
	return got;
}

/* Takes the guardian's news of the running stage: its exit, or its own end. */
static void take_guardian(struct executor *ex, struct stage_io *io)
{
	struct guard_msg m;
	if (!guard_recv(ex->guard_fd, &m, NULL)) {
		guardian_lost(ex, io);
		return;
	}
	if (m.kind == GUARD_STARTED && m.value > 0)
		io->pgid = m.value;
	else if (m.kind == GUARD_STARTED)
		io->spawn_err = -m.value;
	else if (m.kind == GUARD_EXITED) {
		io->status = m.value;
		io->exited = true;
	}
}

static void end_stage(struct executor *ex, struct stage_io *io)
{
	if (ex->guard_fd < 0 || guard_send(ex->guard_fd, GUARD_TERM, 0, -1))
		guardian_lost(ex, io);
}

/* Pumps the stage's output until EOF and the shell's exit, acting on
 * timeout and cancel meanwhile: a shell may close its output and go on. */
static void pump_output(struct executor *ex, struct stage_io *io, int timeout_s, bool *timed_out)
{
	int64_t deadline = sw_mono_ms() + (int64_t)timeout_s * 1000;
	bool term_sent = false, eof = false;
	char buf[65536];
	while (!eof || (!io->exited && ex->guard_fd >= 0)) {
		bool listen = !io->exited && ex->guard_fd >= 0;
		struct pollfd pfd[3] = {{.fd = eof ? -1 : io->fd, .events = POLLIN},
					{.fd = ex->sigfd, .events = POLLIN},
					{.fd = listen ? ex->guard_fd : -1, .events = POLLIN}};
		int64_t left = deadline - sw_mono_ms();
		int r = poll(pfd, 3, term_sent ? -1 : (int)(left > 0 ? left : 0));
		if (r < 0 && errno == EINTR)
			continue;
		if (pfd[1].revents & POLLIN && take_signal(ex) && !io->cancelled) {
			ex->cancelled = io->cancelled = true;
			end_stage(ex, io);
		}
		if (pfd[2].revents)
			take_guardian(ex, io);
		if (r == 0 && !term_sent) {
			*timed_out = true;
			term_sent = true;
			end_stage(ex, io);
			continue;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = read(io->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = true;
			continue;
		}
		take_output(ex, io, buf, (size_t)n);
		/* Written at once: followers see a slow stage's lines as they come. */
		flush_out(io);
	}
	if (io->line.len)
		emit_line(ex, io, false);
	flush_out(io);
}

static int open_log(struct executor *ex, const char *stage)
{
	char *path = sw_store_log_path(ex->plan->store, ex->rec->id, stage);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	free(path);
	return fd;
}

/* Has the guardian start stage i; the read end of its output goes to
 * io->fd.  Its answers come while the output is pumped: the executor
 * saves the record meanwhile instead of waiting for them. */
static int spawn_stage(struct executor *ex, size_t i, struct stage_io *io)
{
	int p[2];
	if (!guardian_up(ex) || pipe2(p, O_CLOEXEC))
		return -1;
	int sent = guard_send(ex->guard_fd, GUARD_START, (int)i, p[1]);
	close(p[1]);
	if (sent) {
		close(p[0]);
		guardian_down(ex);
		io->guardian_lost = true;
		return -1;
	}
	io->fd = p[0];
	return 0;
}

static char *exit_reason(int code, bool timed_out, int timeout_s, bool cancelled)
{
	if (cancelled)
		return xstrdup("cancelled");
	if (timed_out)
		return xasprintf("timed out after %d s", timeout_s);
	if (code > 128 && code < 160)
		return xasprintf("killed by signal %d", code - 128);
	return code ? xasprintf("exit code %d", code) : NULL;
}

static char *stage_failure(const struct stage_io *io)
{
	if (io->guardian_lost)
		return xstrdup("the stage's guardian process died");
	if (io->spawn_err)
		return xasprintf("cannot start the stage: %s", strerror(io->spawn_err));
	return NULL;
}

static int run_stage_process(struct executor *ex, size_t i, const struct sw_stage_config *sc)
{
	struct sw_stage_record *s = &ex->rec->stages[i];
	struct stage_io io = {.fd = -1};
	bool timed_out = false;
	io.log_fd = open_log(ex, sc->name);
	new_parsers(&io, sc, &ex->rec->warnings);
	if (io.log_fd < 0 || spawn_stage(ex, i, &io)) {
		s->reason = io.guardian_lost ? xstrdup("cannot start the stage: its guardian process died")
					     : xasprintf("cannot start the stage: %s", strerror(errno));
		if (io.log_fd >= 0)
			close(io.log_fd);
		finish_parsers(ex, &io);
		return -1;
	}
	/* One save per stage: this one also records how the previous stage ended. */
	save(ex, false);
	pump_output(ex, &io, sc->timeout, &timed_out);
	close(io.fd);
	close(io.log_fd);
	sbuf_free(&io.line);
	sbuf_free(&io.out);
	s->log_bytes = io.bytes;
	s->exit_code = io.exited ? wait_status_code(io.status) : 255;
	s->reason = stage_failure(&io);
	if (!s->reason)
		s->reason = exit_reason(s->exit_code, timed_out, sc->timeout, io.cancelled);
	finish_parsers(ex, &io);
	read_reports(ex, sc);
	if (io.cancelled)
		return 1;
	return s->exit_code == 0 && io.exited && !timed_out ? 0 : -1;
}

/* ---- gates ---- */

static bool stage_produces(const struct sw_stage_config *sc, const char *metric)
{
	for (size_t i = 0; i < sc->nparse; i++) {
		const struct sw_parse_spec *p = &sc->parse[i];
		if ((p->kind == SW_PARSE_FLAKE8 && !strcmp(metric, "lint")) ||
		    (p->kind == SW_PARSE_PYTEST && !strcmp(metric, "tests_failed")) ||
		    (p->kind == SW_PARSE_COVERAGE && !strcmp(metric, "coverage")) ||
		    (p->kind == SW_PARSE_REGEX && p->metric && !strcmp(metric, p->metric)))
			return true;
	}
	return (sc->junit && !strcmp(metric, "tests_failed")) ||
	       (sc->cobertura && !strcmp(metric, "coverage"));
}

static const char *metric_label(const char *metric)
{
	if (!strcmp(metric, "tests_failed"))
		return "test results";
	return metric;
}

static void check_gate(struct executor *ex, size_t g, struct sbuf *why)
{
	const struct sw_gate *gate = &ex->plan->cfg->gates[g];
	struct sw_gate_result *r = &ex->rec->gates[g];
	ex->gate_checked[g] = true;
	r->measured = sw_metrics_get(&ex->rec->metrics, gate->metric, &r->actual);
	r->passed = r->measured && (gate->is_min ? r->actual >= gate->limit : r->actual <= gate->limit);
	if (r->passed)
		return;
	if (why->len)
		sbuf_adds(why, "; ");
	if (!r->measured)
		sbuf_addf(why, "gate %s: no %s measured", gate->name, metric_label(gate->metric));
	else
		sbuf_addf(why, "gate %s: %g %s %g", gate->name, r->actual, gate->is_min ? "<" : ">", gate->limit);
}

/* Checks the gates this stage measures (or, with all, every one left). */
static bool check_gates(struct executor *ex, const struct sw_stage_config *sc, bool all, char **reason)
{
	struct sbuf why;
	sbuf_init(&why);
	for (size_t g = 0; g < ex->plan->cfg->ngates; g++)
		if (!ex->gate_checked[g] && (all || stage_produces(sc, ex->plan->cfg->gates[g].metric)))
			check_gate(ex, g, &why);
	if (!why.len) {
		sbuf_free(&why);
		return true;
	}
	*reason = sbuf_detach(&why);
	return false;
}

/* ---- the run ---- */

static bool stage_selected(struct executor *ex, size_t i)
{
	const char *only = ex->plan->only_stage;
	if (!only)
		return true;
	for (size_t j = 0; j < i; j++)
		if (!strcmp(ex->plan->cfg->stages[j].name, only))
			return false;
	return true;
}

static const char *skip_reason(struct executor *ex, size_t i, const struct sw_stage_config *sc)
{
	if (ex->cancelled && !sc->always)
		return "cancelled";
	if (ex->failed && !sc->always)
		return "an earlier stage failed";
	if (!sw_stage_matches(sc, ex->rec->branch))
		return "not run on this branch";
	if (!stage_selected(ex, i))
		return "not selected";
	return NULL;
}

static bool last_gate_stage(struct executor *ex, size_t i)
{
	for (size_t j = i + 1; j < ex->plan->cfg->nstages; j++) {
		const struct sw_stage_config *sc = &ex->plan->cfg->stages[j];
		if (!sc->always && sw_stage_matches(sc, ex->rec->branch) && stage_selected(ex, j))
			return false;
	}
	return true;
}

static void run_stage(struct executor *ex, size_t i)
{
	const struct sw_stage_config *sc = &ex->plan->cfg->stages[i];
	struct sw_stage_record *s = &ex->rec->stages[i];
	const char *skip = skip_reason(ex, i, sc);
	if (skip) {
		s->status = ex->cancelled && !sc->always ? SW_STAGE_CANCELLED : SW_STAGE_SKIPPED;
		s->reason = xstrdup(skip);
		return;
	}
	s->status = SW_STAGE_RUNNING;
	s->started_ms = sw_now_ms();
	int64_t t0 = sw_mono_ms();
	int r = run_stage_process(ex, i, sc);
	/* A linter exits non-zero on findings: its gate still says why. */
	if (r <= 0 && !sc->always) {
		char *why = NULL;
		bool all = r == 0 && last_gate_stage(ex, i) && !ex->plan->only_stage;
		if (!check_gates(ex, sc, all, &why)) {
			char *both = s->reason ? xasprintf("%s (%s)", why, s->reason) : xstrdup(why);
			free(s->reason);
			free(why);
			s->reason = both;
			r = -1;
		}
	}
	s->duration_ms = sw_mono_ms() - t0;
	s->finished_ms = sw_now_ms();
	s->status = r == 0 ? SW_STAGE_PASSED : r > 0 ? SW_STAGE_CANCELLED : SW_STAGE_FAILED;
	if (r < 0)
		ex->failed = true;
}

static void block_signals(struct executor *ex)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ex->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

static volatile sig_atomic_t queue_cancelled;

static void on_queue_term(int sig)
{
	(void)sig;
	queue_cancelled = 1;
}

static int try_slots(const char *dir, int limit)
{
	for (int i = 0; i < limit; i++) {
		char *path = xasprintf("%s/%d.lock", dir, i);
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		free(path);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

/* Waits as "queued" for one of max_parallel slots; SIGTERM cancels the wait. */
static int acquire_slot(struct executor *ex)
{
	char *dir = xasprintf("%s/slots", sw_store_root(ex->plan->store));
	sw_mkdirs(dir, 0755);
	int limit = ex->plan->cfg->max_parallel > 0 ? ex->plan->cfg->max_parallel : 1;
	int fd = try_slots(dir, limit);
	if (fd < 0) {
		char *path = xasprintf("%s/%ld.lock", dir, ex->rec->id % limit);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		free(path);
		struct sigaction sa = {0}, old;
		sa.sa_handler = on_queue_term;	/* no SA_RESTART: flock returns EINTR */
		sigaction(SIGTERM, &sa, &old);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		while (fd >= 0 && !queue_cancelled && flock(fd, LOCK_EX) && errno == EINTR)
			;
		sigprocmask(SIG_BLOCK, &set, NULL);
		sigaction(SIGTERM, &old, NULL);
		if (queue_cancelled)
			ex->cancelled = true;
	}
	free(dir);
	return fd;
}

static void detach_stdio(struct sw_store *st, long id)
{
	char *dir = sw_store_run_dir(st, id);
	char *path = xasprintf("%s/executor.log", dir);
	int in = open("/dev/null", O_RDONLY);
	int out = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
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
	free(path);
	free(dir);
}

static bool prepare_workdir(struct executor *ex)
{
	char *err = NULL;
	ex->workdir = xasprintf("%s/work/%ld", sw_store_root(ex->plan->store), ex->rec->id);
	sw_remove_tree(ex->workdir);
	if (sw_mkdirs(ex->workdir, 0755) == 0 &&
	    sw_repo_checkout(ex->plan->repo, ex->rec->commit, ex->workdir, &err) == 0)
		return true;
	strlist_addf(&ex->rec->warnings, "checkout of %s failed: %s", ex->rec->commit,
		     err ? err : strerror(errno));
	free(err);
	return false;
}

static enum sw_run_status final_status(struct executor *ex)
{
	if (ex->cancelled)
		return SW_RUN_CANCELLED;
	return ex->failed ? SW_RUN_FAILED : SW_RUN_PASSED;
}

static void run_all(struct executor *ex)
{
	ex->rec->status = SW_RUN_RUNNING;
	ex->rec->started_ms = sw_now_ms();
	ex->rec->executor_pid = getpid();
	save(ex, true);
	if (!prepare_workdir(ex)) {
		ex->failed = true;
		for (size_t i = 0; i < ex->rec->nstages; i++) {
			ex->rec->stages[i].status = SW_STAGE_SKIPPED;
			ex->rec->stages[i].reason = xstrdup("the commit could not be checked out");
		}
		return;
	}
	for (size_t i = 0; i < ex->plan->cfg->nstages; i++)
		run_stage(ex, i);
}

/* Keeps only the run's lock (as fd 3): descriptors the caller had open, a
 * dashboard's or a pipe's, must not stay open for the run's whole life.
 * The repository is opened again since its descriptors went too. */
static void close_inherited(struct sw_exec_plan *plan)
{
	char *err = NULL;
	char *gitdir = xstrdup(sw_repo_gitdir(plan->repo));
	if (plan->lock_fd != 3)
		plan->lock_fd = dup2(plan->lock_fd, 3);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	close_range(4, ~0U, 0);
	if (sw_repo_open(&plan->repo, gitdir, &err)) {
		fprintf(stderr, "slipway executor: %s\n", err);
		free(err);
	}
	free(gitdir);
}

void sw_executor_main(struct sw_exec_plan *plan)
{
	struct executor ex = {.plan = plan, .rec = plan->rec, .guard_fd = -1};
	setsid();
	detach_stdio(plan->store, plan->rec->id);
	close_inherited(plan);
	block_signals(&ex);
	ex.reports = sw_store_reports_dir(plan->store, plan->rec->id);
	ex.gate_checked = xcalloc(plan->cfg->ngates + 1, sizeof *ex.gate_checked);
	ex.rec->executor_pid = getpid();
	save(&ex, false);
	int slot = acquire_slot(&ex);
	if (take_signal(&ex))
		ex.cancelled = true;
	if (!ex.cancelled)
		run_all(&ex);
	for (size_t i = 0; i < ex.rec->nstages && ex.cancelled; i++)
		if (ex.rec->stages[i].status == SW_STAGE_PENDING) {
			ex.rec->stages[i].status = SW_STAGE_CANCELLED;
			ex.rec->stages[i].reason = xstrdup("cancelled");
		}
	guardian_down(&ex);
	ex.rec->status = final_status(&ex);
	ex.rec->finished_ms = sw_now_ms();
	sw_store_index_commit(plan->store, ex.rec->commit, ex.rec->id);
	save(&ex, true);
	if (ex.rec->status != SW_RUN_FAILED && ex.workdir)
		sw_remove_tree(ex.workdir);
	if (slot >= 0)
		close(slot);
	_exit(0);
}
