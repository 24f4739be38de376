/* The executor: waits for a slot, checks the commit out into a directory of
 * its own and runs each stage in a process group of its own, recording
 * every change in run.json; its parent, the guardian, ends what the run
 * left if the executor dies. */
#include "executor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioprio.h>

#include "slipway/cache.h"
#include "slipway/push.h"
#include "slipway/report.h"
#include "command.h"
#include "lines.h"
#include "session.h"

extern char **environ;

#define KILL_GRACE_MS 10000

struct stage_io {
	int fd;				/* the stage's output pipe */
	char *log_path;
	int log_fd;			/* -1 until the stage's first output */
	struct sw_lines lines;		/* the output cut into masked lines */
	struct sbuf out;		/* bytes waiting to be written to the log */
	struct sw_line_parser **parsers;
	size_t nparsers;
	int64_t bytes;
	pid_t pgid;			/* the stage's shell, leader of its group */
	int status;			/* its wait status, once exited */
	bool exited;
	bool abandoned;			/* its output was left open past the shell */
	bool cancelled;			/* a cancel arrived while this stage ran */
	int write_err;			/* errno of a failed log write, 0 if none */
	bool out_of_room;		/* ended because the disk filled */
};

struct executor {
	struct sw_exec_plan *plan;
	struct sw_run_record *rec;
	char *workdir;
	char *reports;
	int sigfd;			/* SIGTERM, SIGINT (cancel) and SIGCHLD */
	bool cancelled;
	bool failed;
	bool *gate_checked;
	struct stage_io *current;	/* the stage running now, or NULL */
	char *disk_full;		/* why the run failed for want of room, or NULL */
	struct sw_cache cache;		/* where stages' "cache" entries are kept */
	struct sbuf log_head;		/* lines the next stage's log starts with */
};

/* A push stage's process is slipway itself (cli's `__push`): the executor
 * is a fork of it, so the kernel's link to its own binary names it, even
 * when an install replaced the file meanwhile. */
#define SELF_EXE "/proc/self/exe"

static const char *stage_program(const struct sw_stage_config *sc)
{
	return sc->push ? SELF_EXE : "/bin/sh";
}

static void stage_argv(const struct sw_stage_config *sc, struct strlist *argv)
{
	if (!sc->push) {
		strlist_add_all(argv, (const char *const[]){"sh", "-c", sc->run, NULL});
		return;
	}
	strlist_add_all(argv, (const char *const[]){"slipway", SW_PUSH_COMMAND, "--", sc->push->image, NULL});
	if (sc->push->registry)
		strlist_add(argv, sc->push->registry);
}

/* ---- the stage environment ---- */

static bool stage_sets(const struct sw_stage_config *sc, const char *name)
{
	for (size_t i = 0; i < sc->nenv; i++)
		if (!strcmp(sc->env[i].name, name))
			return true;
	return false;
}

static char *push_result_path(struct executor *ex, const struct sw_stage_config *sc)
{
	char *dir = sw_store_run_dir(ex->plan->store, ex->rec->id);
	char *path = xasprintf("%s/push-%s.json", dir, sc->name);
	free(dir);
	return path;
}

/* Where the push writes what it pushed, and the engine main's docker.host
 * names when neither the caller (pass_env) nor the stage said another:
 * the push opens the engine as every face of slipway does. */
static void push_env(struct executor *ex, const struct sw_stage_config *sc, struct strlist *l)
{
	char *path = push_result_path(ex, sc);
	strlist_addf(l, "%s=%s", SW_PUSH_RESULT_ENV, path);
	free(path);
	const char *host = ex->plan->cfg->docker_host;
	bool given = stage_sets(sc, "DOCKER_HOST") ||
		     (strlist_has(&ex->plan->cfg->pass_env, "DOCKER_HOST") && sw_env_lookup(ex->plan->env, "DOCKER_HOST"));
	if (host && !given)
		strlist_addf(l, "DOCKER_HOST=%s", host);
}

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
	/* A stage's own env is the more particular: it wins over pass_env. */
	for (size_t i = 0; i < ex->plan->cfg->pass_env.len; i++) {
		const char *name = ex->plan->cfg->pass_env.items[i];
		const char *v = sw_env_lookup(env, name);
		if (v && !stage_sets(sc, name))
			strlist_addf(&l, "%s=%s", name, v);
	}
	for (size_t i = 0; i < sc->nenv; i++)
		strlist_addf(&l, "%s=%s", sc->env[i].name, sc->env[i].value);
	if (sc->push)
		push_env(ex, sc, &l);
	for (size_t i = 0; i < ex->plan->secrets->n; i++)
		strlist_addf(&l, "%s=%s", ex->plan->secrets->items[i].name, ex->plan->secrets->items[i].value);
	return l.items;	/* NULL-terminated, as every strlist */
}

static void free_env(char **envp)
{
	for (size_t i = 0; envp[i]; i++)
		free(envp[i]);
	free(envp);
}

/* ---- output: lines to the log, masked, and to the parsers ---- */

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
}

/* A failed write is kept in write_err for the stage's loop to act on;
 * what follows is still read (and parsed), not written.  The log is
 * created at the stage's first output: a stage that prints nothing makes
 * no file, and creating one was most of what a stage of `true` cost
 * (bench/README.md). */
static void flush_out(struct stage_io *io)
{
	size_t off = 0;
	if (io->out.len && io->log_fd < 0 && !io->write_err) {
		io->log_fd = open_log(io->log_path);
		if (io->log_fd < 0)
			io->write_err = errno;
	}
	while (off < io->out.len && !io->write_err && io->log_fd >= 0) {
		ssize_t w = write(io->log_fd, io->out.buf + off, io->out.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			io->write_err = w < 0 ? errno : ENOSPC;
			break;
		}
		off += (size_t)w;
	}
	io->bytes += (int64_t)io->out.len;
	sbuf_reset(&io->out);
}

/* sw_lines' callback: a line that masking already went through, to the
 * parsers and the log. */
static void pass_line(void *ctx, const char *line, size_t len, bool newline)
{
	struct stage_io *io = ctx;
	for (size_t i = 0; i < io->nparsers; i++)
		sw_line_parser_feed(io->parsers[i], line, len);
	sbuf_add(&io->out, line, len);
	if (newline)
		sbuf_addc(&io->out, '\n');
	if (io->out.len >= 256 * 1024)
		flush_out(io);
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

static bool mask_text(char **text, void *secrets)
{
	return sw_secrets_mask_text(secrets, text);
}

/* Line parsers see masked lines; the reports are read from files and the
 * warnings and reasons quote them: all of it passes the mask of the logs. */
static void mask_record(struct executor *ex)
{
	struct sw_secrets *s = ex->plan->secrets;
	struct sw_run_record *rec = ex->rec;
	if (!s->npatterns)
		return;
	sw_metrics_rewrite_strings(&rec->metrics, mask_text, s);
	for (size_t i = 0; i < rec->warnings.len; i++)
		sw_secrets_mask_text(s, &rec->warnings.items[i]);
	for (size_t i = 0; i < rec->nstages; i++) {
		sw_secrets_mask_text(s, &rec->stages[i].reason);
		sw_secrets_mask_text(s, &rec->stages[i].image);
		sw_secrets_mask_text(s, &rec->stages[i].digest);
	}
}

/* The stage wrote its reports itself: they are masked where they are
 * kept, before they are parsed. */
static void read_reports(struct executor *ex, const struct sw_stage_config *sc)
{
	sw_secrets_mask_tree(ex->plan->secrets, ex->reports, &ex->rec->warnings);
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
	mask_record(ex);
}

static bool no_room(int err)
{
	return err == ENOSPC || err == EDQUOT;
}

/* The disk is full: the stage that may be filling it is ended at once (it
 * must not take the room given back), the run fails, later stages are
 * skipped, and the record's reserve is given back so that the saves that
 * say so can be written. */
static void out_of_room(struct executor *ex, const char *what, int err)
{
	if (ex->disk_full)
		return;
	ex->disk_full = xasprintf("disk full: %s could not be written (%s)", what, strerror(err));
	ex->failed = true;
	fprintf(stderr, "slipway executor: run %ld: %s\n", ex->rec->id, ex->disk_full);
	struct stage_io *io = ex->current;
	if (io && !io->exited) {
		io->out_of_room = true;
		kill(-io->pgid, SIGKILL);
	}
	strlist_add(&ex->rec->warnings, ex->disk_full);
	sw_store_release_reserve(ex->plan->store, ex->rec->id);
}

/* The last good record stays in place when a save fails (it is replaced
 * atomically); one that failed for want of room is tried again once the
 * reserve is given back. */
static void save(struct executor *ex, bool durable)
{
	int r = sw_store_save(ex->plan->store, ex->rec, durable);
	if (r && no_room(-r) && !ex->disk_full) {
		out_of_room(ex, "run.json", -r);
		r = sw_store_save(ex->plan->store, ex->rec, durable);
	}
	if (r)
		fprintf(stderr, "slipway executor: run %ld: cannot write run.json: %s\n", ex->rec->id, strerror(-r));
}

/* Drains the signals; true when one asked to cancel (SIGCHLD does not). */
static bool take_signal(struct executor *ex)
{
	struct signalfd_siginfo si;
	bool cancel = false;
	while (read(ex->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo != SIGCHLD)
			cancel = true;
	return cancel;
}

static void check_exit(struct stage_io *io)
{
	if (!io->exited)
		io->exited = sw_group_reap(io->pgid, &io->status);
}

/* SIGTERM to the stage's group now, SIGKILL after the grace (timeout, cancel). */
static void end_group(struct stage_io *io, int64_t *kill_at)
{
	if (io->exited)
		return;
	kill(-io->pgid, SIGTERM);
	if (*kill_at < 0)
		*kill_at = sw_mono_ms() + KILL_GRACE_MS;
}

static int poll_timeout(int64_t at)
{
	int64_t left = at - sw_mono_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* Pumps the stage's output until EOF and the shell's exit, acting on
 * timeout and cancel meanwhile: a shell may close its output and go on.
 * Output a process outside the group (setsid, say) keeps open past the
 * shell is read until it has been quiet for SW_ORPHAN_QUIET_MS, no longer:
 * such a process must not hold the run until the stage's timeout. */
static void pump_output(struct executor *ex, struct stage_io *io, int timeout_s, bool *timed_out)
{
	int64_t deadline = sw_mono_ms() + (int64_t)timeout_s * 1000, kill_at = -1, quiet_since = -1;
	bool eof = false;
	char buf[65536];
	while (!eof || !io->exited) {
		int64_t wake = -1;
		if (!*timed_out || io->exited)
			wake = deadline;
		if (kill_at >= 0 && !io->exited && (wake < 0 || kill_at < wake))
			wake = kill_at;
		if (io->exited) {
			if (quiet_since < 0)
				quiet_since = sw_mono_ms();
			if (quiet_since + SW_ORPHAN_QUIET_MS < wake)
				wake = quiet_since + SW_ORPHAN_QUIET_MS;
		}
		struct pollfd pfd[2] = {{.fd = eof ? -1 : io->fd, .events = POLLIN},
					{.fd = ex->sigfd, .events = POLLIN}};
		int r = poll(pfd, 2, wake < 0 ? -1 : poll_timeout(wake));
		if (r < 0 && errno == EINTR)
			continue;
		if (pfd[1].revents & POLLIN && take_signal(ex) && !io->cancelled) {
			ex->cancelled = io->cancelled = true;
			end_group(io, &kill_at);
			if (io->exited)
				deadline = sw_mono_ms();
		}
		if (pfd[1].revents)
			check_exit(io);
		int64_t now = sw_mono_ms();
		if (now >= deadline && !*timed_out && !io->exited) {
			*timed_out = true;
			end_group(io, &kill_at);
		}
		if (kill_at >= 0 && now >= kill_at && !io->exited) {
			kill(-io->pgid, SIGKILL);
			kill_at = -1;
		}
		if (r == 0 && io->exited && (now >= deadline || now >= quiet_since + SW_ORPHAN_QUIET_MS)) {
			io->abandoned = true;
			break;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = read(io->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = true;
			/* Usually the shell's exit: no need to wait for its SIGCHLD. */
			check_exit(io);
			continue;
		}
		if (io->exited)
			quiet_since = now;
		sw_lines_feed(&io->lines, buf, (size_t)n);
		/* Written at once: followers see a slow stage's lines as they come. */
		flush_out(io);
		if (io->write_err && no_room(io->write_err))
			out_of_room(ex, "the stage's log", io->write_err);
		else if (io->write_err && io->log_fd < 0 && kill_at < 0)
			end_group(io, &kill_at);	/* the log cannot be made */
	}
	sw_lines_finish(&io->lines);
	flush_out(io);
}

/* Lines of slipway's own in the stage's log (the cache's); like a
 * stage's first output, they create the log if it is not there yet. */
static void log_write(struct executor *ex, struct stage_io *io, struct sbuf *lines)
{
	sbuf_add(&io->out, lines->buf, lines->len);
	flush_out(io);
	if (io->write_err && no_room(io->write_err))
		out_of_room(ex, "the stage's log", io->write_err);
}

/* Starts the stage's shell in a group of its own; the read end of its
 * output goes to io->fd.  Returns 0 or an errno value. */
static int spawn_stage(struct executor *ex, const struct sw_stage_config *sc, struct stage_io *io)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return errno;
	char **envp = stage_env(ex, sc);
	struct strlist argv = {0};
	stage_argv(sc, &argv);
	int err = sw_spawn_group(stage_program(sc), argv.items, ex->workdir, p[1], envp, &io->pgid);
	strlist_free(&argv);
	free_env(envp);
	close(p[1]);
	if (err)
		close(p[0]);
	else
		io->fd = p[0];
	return err;
}

/* What the push stage wrote it pushed; read_reports masks it with the rest. */
static void read_push_result(struct executor *ex, const struct sw_stage_config *sc, struct sw_stage_record *s)
{
	struct sw_push_result res;
	char *path = push_result_path(ex, sc);
	if (sw_push_result_read(path, &res) == 0) {
		s->image = res.image;
		s->digest = res.digest;
	}
	unlink(path);
	free(path);
}

static int run_stage_process(struct executor *ex, size_t i, const struct sw_stage_config *sc)
{
	struct sw_stage_record *s = &ex->rec->stages[i];
	struct stage_io io = {.fd = -1, .log_fd = -1};
	sw_lines_init(&io.lines, ex->plan->secrets, pass_line, &io);
	bool timed_out = false;
	new_parsers(&io, sc, &ex->rec->warnings);
	io.log_path = sw_store_log_path(ex->plan->store, ex->rec->id, sc->name);
	int err = spawn_stage(ex, sc, &io);
	if (err) {
		s->reason = xasprintf("cannot start the stage: %s", strerror(err));
		io.log_fd = open_log(io.log_path);
		if (io.log_fd >= 0) {
			dprintf(io.log_fd, "slipway: cannot start %s in %s: %s\n", stage_program(sc), ex->workdir,
				strerror(err));
			close(io.log_fd);
		}
		free(io.log_path);
		finish_parsers(ex, &io);
		return -1;
	}
	if (ex->log_head.len)
		log_write(ex, &io, &ex->log_head);
	sbuf_reset(&ex->log_head);
	ex->current = &io;
	/* One save per stage: this one also records how the previous stage ended. */
	save(ex, false);
	pump_output(ex, &io, sc->timeout, &timed_out);
	ex->current = NULL;
	close(io.fd);
	if (io.log_fd >= 0)
		close(io.log_fd);
	free(io.log_path);
	sw_lines_free(&io.lines);
	sbuf_free(&io.out);
	s->log_bytes = io.bytes;
	if (io.abandoned)
		strlist_addf(&ex->rec->warnings, "stage %s: a process outside the stage's group kept its "
			     "output open; the log stops %d s after the stage's shell exited",
			     sc->name, SW_ORPHAN_QUIET_MS / 1000);
	s->exit_code = sw_exit_code(io.status);
	int log_err = io.write_err;
	if (io.out_of_room || (log_err && no_room(log_err)))
		s->reason = xstrdup(ex->disk_full ? ex->disk_full : "disk full");
	else if (log_err)
		s->reason = xasprintf("cannot write the stage's log: %s", strerror(log_err));
	else
		s->reason = sw_exit_reason(s->exit_code, timed_out, sc->timeout, io.cancelled);
	finish_parsers(ex, &io);
	if (sc->push)
		read_push_result(ex, sc, s);
	read_reports(ex, sc);
	if (io.cancelled && !io.out_of_room)
		return 1;
	return s->exit_code == 0 && !timed_out && !log_err && !io.out_of_room ? 0 : -1;
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
	if (ex->plan->cfg->from.gates)
		sbuf_addf(why, " (limit %s)", ex->plan->cfg->from.gates);
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
	if (ex->disk_full && !sc->always)
		return "the disk is full";
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

/* After the stage passed: its log ends with what was saved. */
static void save_cache(struct executor *ex, struct sw_stage_record *s, struct sw_cache_use *uses, size_t n)
{
	struct sbuf lines;
	sbuf_init(&lines);
	sw_cache_save(&ex->cache, uses, n, &lines);
	struct stage_io io = {.log_fd = -1};
	char *path = sw_store_log_path(ex->plan->store, ex->rec->id, s->name);
	/* No O_CREAT: the restore's "cache hit/miss" line made the log (a
	 * log is made at its first output), and a stage passes only if it could. */
	io.log_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	free(path);
	if (io.log_fd >= 0 && lines.len) {
		log_write(ex, &io, &lines);
		s->log_bytes += io.bytes;
	}
	if (io.log_fd >= 0)
		close(io.log_fd);
	sbuf_free(&io.out);
	sbuf_free(&lines);
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
	size_t ncache = 0;
	struct sw_cache_use *cache = sw_cache_restore(&ex->cache, sc, &ncache, &ex->log_head,
						      &ex->rec->warnings);
	int r = run_stage_process(ex, i, sc);
	sbuf_reset(&ex->log_head);
	/* An allowed failure is one of the stage's own command: a broken gate
	 * still fails the run, since the gates are main's and the stages the
	 * tested commit's (a branch must not loosen a gate by allowing its
	 * stage to fail).  A disk that filled is no failure of the stage. */
	bool allowed = r < 0 && sc->allow_failure && !ex->disk_full;
	/* A linter exits non-zero on findings: its gate still says why. */
	if (r <= 0 && !sc->always) {
		char *why = NULL;
		bool all = (r == 0 || allowed) && last_gate_stage(ex, i) && !ex->plan->only_stage;
		if (!check_gates(ex, sc, all, &why)) {
			char *both = s->reason ? xasprintf("%s (%s)", why, s->reason) : xstrdup(why);
			free(s->reason);
			free(why);
			s->reason = both;
			r = -1;
			allowed = false;
		}
	}
	if (r == 0 && ncache)
		save_cache(ex, s, cache, ncache);
	sw_cache_uses_free(cache, ncache);
	s->duration_ms = sw_mono_ms() - t0;
	s->finished_ms = sw_now_ms();
	s->status = r == 0 ? SW_STAGE_PASSED : r > 0 ? SW_STAGE_CANCELLED : SW_STAGE_FAILED;
	s->allowed_failure = allowed;
	if (r < 0 && !allowed)
		ex->failed = true;
}

static void block_signals(struct executor *ex)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ex->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
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

/* Waits as "queued" for one of max_parallel slots; SIGTERM cancels the
 * wait.  A run that must wait says so first, with the pid a cancel needs;
 * one that gets a slot at once is recorded running straight away. */
static int acquire_slot(struct executor *ex)
{
	char *dir = xasprintf("%s/slots", sw_store_root(ex->plan->store));
	sw_mkdirs(dir, 0755);
	int limit = ex->plan->cfg->max_parallel > 0 ? ex->plan->cfg->max_parallel : 1;
	int fd = try_slots(dir, limit);
	if (fd < 0) {
		save(ex, false);
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
	/* Blocks kept past its end: the executor can still say why a run
	 * failed when the disk it is on has filled. */
	if (sw_stdio_to_log(path, 0644))
		fallocate(STDOUT_FILENO, FALLOC_FL_KEEP_SIZE, 0, 64 * 1024);
	free(path);
	free(dir);
}

static bool prepare_workdir(struct executor *ex)
{
	char *err = NULL;
	ex->workdir = xasprintf("%s/work/%ld", sw_store_root(ex->plan->store), ex->rec->id);
	ex->cache.workdir = ex->workdir;
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

/* Not fsync'ed: the record was, when it was created (the run's start for
 * the README), and a crash leaves a queued or a running run interrupted
 * alike; the next stage's save replaces this one anyway. */
static void run_all(struct executor *ex)
{
	ex->rec->status = SW_RUN_RUNNING;
	ex->rec->started_ms = sw_now_ms();
	ex->rec->executor_pid = getpid();
	save(ex, false);
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

/* Where a run's work tree waits to be removed (gc knows the name too). */
static char *work_aside(const struct sw_exec_plan *plan)
{
	return xasprintf("%s/work/%ld.gone", sw_store_root(plan->store), plan->rec->id);
}

/* A failed run's work tree stays for inspection until gc; any other goes
 * before the record says the run ended, but only by name: removing it
 * (each directory freed costs a discard on some disks, 3.6 ms here) is
 * left to the guardian, after the run, or to gc if the guardian is killed. */
static void set_work_tree_aside(struct executor *ex)
{
	if (!ex->workdir || ex->rec->status == SW_RUN_FAILED)
		return;
	char *aside = work_aside(ex->plan);
	if (rename(ex->workdir, aside))
		sw_remove_tree(ex->workdir);
	free(aside);
}

static _Noreturn void execute(struct sw_exec_plan *plan)
{
	struct executor ex = {.plan = plan, .rec = plan->rec};
	prctl(PR_SET_NAME, "slipway-exec");	/* for ps and top: which process is which */
	close_inherited(plan);
	block_signals(&ex);
	ex.reports = sw_store_reports_dir(plan->store, plan->rec->id);
	const char *home = sw_env_lookup(plan->env, "HOME");
	ex.cache.dir = xasprintf("%s/cache", sw_store_root(plan->store));
	ex.cache.home = xstrdup(home && home[0] == '/' ? home : "/");
	sbuf_init(&ex.log_head);
	ex.gate_checked = xcalloc(plan->cfg->ngates + 1, sizeof *ex.gate_checked);
	ex.rec->executor_pid = getpid();
	ex.rec->session = getsid(0);
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
	ex.rec->status = final_status(&ex);
	ex.rec->finished_ms = sw_now_ms();
	set_work_tree_aside(&ex);
	/* The run's creation indexed it; another run on this commit may have since. */
	if (sw_store_last_for_commit(plan->store, ex.rec->commit) != ex.rec->id)
		sw_store_index_commit(plan->store, ex.rec->commit, ex.rec->id);
	/* Gate reasons and a failed checkout's words came after the last report. */
	mask_record(&ex);
	save(&ex, true);
	sw_store_release_reserve(plan->store, ex.rec->id);
	if (slot >= 0)
		close(slot);
	_exit(0);
}

/* ---- the guardian: the executor's parent for the run's whole life ----
 *
 * No process a run started may outlive it, not even when its executor is
 * killed -9, and only a parent hears of such a death for sure.  The run
 * has a session of its own (the executor's first parent made it); the
 * guardian does nothing but wait for the executor and then end whatever is
 * left in that session.  The executor starts each stage itself and ends
 * the stage's group when its shell exits: a stage costs what `sh -c`
 * costs, not a fork of the executor (libgit2 and all) as a per-stage
 * supervisor did (bench/README.md). */

/* Dispositions and mask come from whoever started the run: a dashboard's
 * handlers, or a SIGCHLD some parent ignored (children reaped unseen). */
static void reset_signals(void)
{
	static const int dflt[] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof dflt / sizeof *dflt; i++)
		signal(dflt[i], SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The environment block the kernel shows as /proc/PID/environ:
 * env_start and env_end, fields 50 and 51 of /proc/PID/stat. */
static bool env_block(char **start, char **end)
{
	char buf[2048], *save = NULL;
	char *p = sw_proc_stat("/proc/self/stat", buf, sizeof buf);
	unsigned long long from = 0, to = 0;
	int field = 3;
	for (char *tok = p ? strtok_r(p, " ", &save) : NULL; tok; tok = strtok_r(NULL, " ", &save), field++) {
		if (field == 50)
			from = strtoull(tok, NULL, 10);
		else if (field == 51)
			to = strtoull(tok, NULL, 10);
	}
	if (from == 0 || from >= to)
		return false;
	*start = (char *)(uintptr_t)from;
	*end = (char *)(uintptr_t)to;
	return true;
}

static void keep_var(struct strlist *env, char *const *from, const char *name)
{
	const char *v = sw_env_lookup(from, name);
	if (v)
		strlist_addf(env, "%s=%s", name, v);
}

/* The run keeps of its caller's environment what its stages are given
 * and what libgit2 reads; the rest may hold tokens that no policy gave
 * this run, and a stage can read /proc/PID/environ of its executor and
 * guardian, so the block itself is wiped, not only environ. */
static void keep_needed_env(struct sw_exec_plan *plan)
{
	static const char *const kept[] = {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "XDG_CONFIG_HOME",
					   "SLIPWAY_NOW"};
	struct strlist env = {0};
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
		keep_var(&env, plan->env, kept[i]);
	/* Main's pass_env names what the stages are given as it is. */
	for (size_t i = 0; i < plan->cfg->pass_env.len; i++)
		keep_var(&env, plan->env, plan->cfg->pass_env.items[i]);
	strlist_add(&env, "");
	free(env.items[env.len - 1]);
	env.items[env.len - 1] = NULL;
	char *from, *to;
	if (env_block(&from, &to))
		memset(from, 0, (size_t)(to - from));
	environ = env.items;
	plan->env = env.items;
}

/* The tree the executor set aside, once nothing of the run is left
 * running, at the lowest CPU and I/O priority: whatever the user does next
 * should not wait for it. */
static void remove_work_tree(struct sw_exec_plan *plan)
{
	char *aside = work_aside(plan);
	struct stat st;
	if (lstat(aside, &st) == 0) {
		setpriority(PRIO_PROCESS, 0, 19);
		syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0));
		sw_remove_tree(aside);
	}
	free(aside);
}

void sw_executor_main(struct sw_exec_plan *plan)
{
	keep_needed_env(plan);
	detach_stdio(plan->store, plan->rec->id);
	reset_signals();
	prctl(PR_SET_NAME, "slipway-guard");
	fflush(NULL);
	pid_t executor = fork();
	if (executor == 0)
		execute(plan);
	if (executor < 0)
		fprintf(stderr, "slipway: cannot start the executor of run %ld: %s\n", plan->rec->id,
			strerror(errno));
	/* Nothing kept open: the run's lock is the executor's alone, so a
	 * reader sees the run end the moment the executor does. */
	close_range(3, ~0U, 0);
	int status = 0;
	while (executor > 0 && waitpid(executor, &status, 0) < 0 && errno == EINTR)
		;
	/* Only the parent hears how the executor ended: when it could not
	 * say so itself, its log does. */
	if (executor > 0 && WIFSIGNALED(status))
		fprintf(stderr, "slipway: the executor of run %ld (pid %ld) was killed by signal %d (%s)\n",
			plan->rec->id, (long)executor, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (executor > 0 && WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "slipway: the executor of run %ld (pid %ld) exited with status %d\n",
			plan->rec->id, (long)executor, WEXITSTATUS(status));
	sw_session_end(getsid(0), 0, KILL_GRACE_MS);
	remove_work_tree(plan);
	_exit(0);
}
