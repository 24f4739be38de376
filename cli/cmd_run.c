/* slipway run, log and cancel, and following a run as it goes. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "slipway/cmdline.h"
#include "slipway/follow.h"
#include "slipway/run.h"
#include "slipway/suggest.h"

extern char **environ;

#define FOLLOW_MIN_GAP_MS 30

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void catch_sigint(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_sigint;	/* no SA_RESTART: the wait returns at once */
	sigaction(SIGINT, &sa, NULL);
}

/* Copies what a log gained since *offset; on a terminal only whole lines,
 * neutralised, unless final (the stage ended) flushes the rest. */
void cli_print_new_log(const char *path, int64_t *offset, bool tty, bool final)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[65536];
	ssize_t n;
	while ((n = pread(fd, buf, sizeof buf, *offset)) > 0) {
		size_t use = (size_t)n;
		if (tty && !final) {
			char *nl = memrchr(buf, '\n', use);
			if (!nl)
				break;
			use = (size_t)(nl - buf) + 1;
		}
		if (tty) {
			struct sbuf sb;
			sbuf_init(&sb);
			for (size_t i = 0, start = 0; i <= use; i++)
				if (i == use || buf[i] == '\n') {
					sw_term_clean(&sb, buf + start, i - start);
					if (i < use)
						sbuf_addc(&sb, '\n');
					start = i + 1;
				}
			fwrite(sb.buf, 1, sb.len, stdout);
			sbuf_free(&sb);
		} else {
			fwrite(buf, 1, use, stdout);
		}
		*offset += (int64_t)use;
	}
	close(fd);
	fflush(stdout);
}

struct follow_state {
	int64_t *offsets;
	enum sw_stage_status *shown;
	bool tty;
	int executor_pid;	/* from the record, once the executor wrote it */
};

static void print_stage_end(const struct sw_stage_record *s)
{
	char dur[32];
	sw_format_duration(s->duration_ms, dur, sizeof dur);
	const char *green = cli_color(stdout, "\033[32m"), *red = cli_color(stdout, "\033[31m");
	const char *dim = cli_color(stdout, "\033[2m"), *off = cli_color(stdout, "\033[0m");
	switch (s->status) {
	case SW_STAGE_PASSED:
		printf("%s✓ %s passed%s (%s)\n", green, s->name, off, dur);
		break;
	case SW_STAGE_FAILED:
		printf("%s✗ %s failed%s%s (%s): ", red, s->name, s->allowed_failure ? " (allowed)" : "", off, dur);
		cli_put_text(stdout, s->reason ? s->reason : "failed", true);
		putchar('\n');
		break;
	default:
		printf("%s- %s %s%s%s%s\n", dim, s->name, sw_stage_status_name(s->status),
		       s->reason ? ": " : "", s->reason ? s->reason : "", off);
	}
}

static void show_stage(struct cli_ctx *ctx, const struct sw_run_record *rec, size_t i,
		       struct follow_state *fs, const char *only)
{
	const struct sw_stage_record *s = &rec->stages[i];
	if (only && strcmp(only, s->name))
		return;
	/* Pending, or ended and already shown: nothing new to read. */
	if (s->status == SW_STAGE_PENDING || (fs->shown[i] == s->status && s->status != SW_STAGE_RUNNING))
		return;
	char *path = sw_store_log_path(ctx->store, rec->id, s->name);
	if (fs->shown[i] == SW_STAGE_PENDING && s->status == SW_STAGE_RUNNING && !only)
		printf("%s▸ %s%s\n", cli_color(stdout, "\033[1m"), s->name, cli_color(stdout, "\033[0m"));
	bool ended = s->status != SW_STAGE_RUNNING;
	if (fs->shown[i] == SW_STAGE_PENDING && ended && s->started_ms && !only)
		printf("%s▸ %s%s\n", cli_color(stdout, "\033[1m"), s->name, cli_color(stdout, "\033[0m"));
	cli_print_new_log(path, &fs->offsets[i], fs->tty, ended);
	free(path);
	if (ended && fs->shown[i] != s->status && !only)
		print_stage_end(s);
	fs->shown[i] = s->status;
}

static void print_run_header(const struct sw_run_record *rec)
{
	printf("run %ld · ", rec->id);
	cli_put_text(stdout, rec->branch ? rec->branch : "?", true);
	printf(" · %.7s · %s\n", rec->commit, rec->trigger ? rec->trigger : "manual");
}

static int run_exit_code(const struct sw_run_record *rec, const char *only)
{
	if (only) {
		struct sw_stage_record *s = sw_run_find_stage(rec, only);
		return s && s->status == SW_STAGE_PASSED ? 0 : 1;
	}
	return rec->status == SW_RUN_PASSED ? 0 : 1;
}

static void print_run_end(const struct sw_run_record *rec)
{
	const char *c = cli_color(stdout, rec->status == SW_RUN_PASSED ? "\033[32m" : "\033[31m");
	printf("%srun %ld ", c, rec->id);
	cli_put_text(stdout, sw_run_status_text(rec).text, true);
	printf("%s\n", cli_color(stdout, "\033[0m"));
	for (size_t i = 0; i < rec->missing_secrets.len; i++)
		printf("note: secret %s was not set\n", rec->missing_secrets.items[i]);
	for (size_t i = 0; i < rec->warnings.len; i++) {
		fputs("warning: ", stdout);
		cli_put_text(stdout, rec->warnings.items[i], true);
		putchar('\n');
	}
}

/* One pass over the record; returns true when the run (or stage) ended. */
static bool follow_step(struct cli_ctx *ctx, long id, struct follow_state *fs, const char *only,
			int *code)
{
	struct sw_run_record rec;
	char *err = NULL;
	if (sw_store_load(ctx->store, id, &rec, &err)) {
		*code = cli_error(2, "%s", err);
		free(err);
		return true;
	}
	if (!fs->offsets) {
		fs->offsets = xcalloc(rec.nstages + 1, sizeof *fs->offsets);
		fs->shown = xcalloc(rec.nstages + 1, sizeof *fs->shown);
		if (!only)
			print_run_header(&rec);
	}
	for (size_t i = 0; i < rec.nstages; i++)
		show_stage(ctx, &rec, i, fs, only);
	struct sw_stage_record *st = only ? sw_run_find_stage(&rec, only) : NULL;
	bool done = sw_run_status_final(rec.status) ||
		    (st && st->status != SW_STAGE_PENDING && st->status != SW_STAGE_RUNNING);
	if (done && !only)
		print_run_end(&rec);
	fs->executor_pid = rec.executor_pid;
	*code = run_exit_code(&rec, only);
	sw_run_record_free(&rec);
	fflush(stdout);
	return done;
}

/* A descriptor that becomes readable when the executor exits, or -1. */
static int executor_exit_fd(int pid)
{
#ifdef SYS_pidfd_open
	if (pid > 0)
		return (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	return -1;
}

/* At most ~30 reads of the record a second, however fast a run changes;
 * but the run's end is shown at once, not after the rest of a gap. */
static void coalesce(struct sw_follow *f, int64_t last_step)
{
	for (;;) {
		int64_t left = FOLLOW_MIN_GAP_MS - (sw_mono_ms() - last_step);
		if (left <= 0 || interrupted)
			break;
		if (!f) {
			struct timespec ts = {0, (long)left * 1000000L};
			nanosleep(&ts, NULL);
			break;
		}
		if (sw_follow_wait(f, (int)left) & SW_FOLLOW_EXIT)
			return;
	}
	if (f)
		sw_follow_read(f);
}

/* The same gap, slept on the executor's pidfd with the run unwatched:
 * woken by every change, the follower took the CPU from the executor
 * three times a stage, and closing a watch waits for the kernel (an SRCU
 * grace period, 12-18 ms here), which costs nothing in a gap but held the
 * prompt back at the follower's exit (bench/README.md).  True when the
 * executor ended (or a signal came): the run needs no watch any more. */
static bool sleep_gap(int exit_fd, int64_t last_step)
{
	for (;;) {
		int64_t left = FOLLOW_MIN_GAP_MS - (sw_mono_ms() - last_step);
		if (interrupted)
			return true;
		if (left <= 0)
			return false;
		struct pollfd p = {.fd = exit_fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

int cli_follow_run(struct cli_ctx *ctx, long id, const char *only_stage, bool raw)
{
	char *dir = sw_store_run_dir(ctx->store, id);
	struct sw_follow *f = sw_follow_open(dir);
	bool watched = f != NULL;	/* else: timed reads, no inotify at all */
	struct follow_state fs = {.tty = !raw && isatty(STDOUT_FILENO)};
	int code = 1, exit_fd = -1;
	catch_sigint();
	int64_t last_step = sw_mono_ms();
	while (!follow_step(ctx, id, &fs, only_stage, &code)) {
		if (interrupted)
			break;
		if (watched && !f) {
			/* Watched again, then read again: a change in between is seen. */
			f = sw_follow_open(dir);
			watched = f != NULL;
			continue;
		}
		if (exit_fd < 0 && f)
			exit_fd = executor_exit_fd(fs.executor_pid);
		/* The timeout is only a backstop: every change wakes the wait. */
		sw_follow_wait(f, f ? 5000 : 200);
		if (exit_fd >= 0) {
			sw_follow_close(f);
			f = NULL;
			if (!sleep_gap(exit_fd, last_step)) {
				f = sw_follow_open(dir);
				watched = f != NULL;
			}
		} else {
			coalesce(f, last_step);
		}
		last_step = sw_mono_ms();
	}
	if (exit_fd >= 0)
		close(exit_fd);
	sw_follow_close(f);
	free(dir);
	free(fs.offsets);
	free(fs.shown);
	if (interrupted) {
		fprintf(stderr, "\nslipway: stopped following; run %ld goes on. Follow it again with: "
				"slipway log %ld --follow\n", id, id);
		return 130;
	}
	return code;
}

/* What the run will not do as the user may think (work tree changes left
 * out, a variable not set) is said when it starts, not only at its end. */
static void print_start_warnings(struct cli_ctx *ctx, long id)
{
	struct sw_run_record rec;
	char *err = NULL;
	if (sw_store_load(ctx->store, id, &rec, &err)) {
		free(err);
		return;
	}
	for (size_t i = 0; i < rec.warnings.len; i++) {
		fputs("slipway: warning: ", stderr);
		cli_put_text(stderr, rec.warnings.items[i], isatty(STDERR_FILENO));
		fputc('\n', stderr);
	}
	sw_run_record_free(&rec);
}

/* A command line the shared parser refused: what is wrong, then the usage. */
static int bad_args(const char *name, char *err)
{
	cli_error(2, "%s", err);
	free(err);
	return cli_usage(name, false);
}

int cmd_run(int argc, char **argv)
{
	struct sw_run_args a;
	char *perr = NULL;
	if (sw_run_args_parse(argc, argv, &a, &perr))
		return bad_args("run", perr);
	struct sw_run_options ro = a.ro;
	ro.env = environ;
	bool follow = a.follow;
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	long id = 0;
	bool existing = false;
	char *err = NULL;
	int r = sw_run_start(ctx.repo, ctx.store, &ro, &id, &existing, &err);
	if (r) {
		cli_error(r, "%s", err);
		free(err);
	} else if (existing) {
		fprintf(stderr, "slipway: run %ld is already in progress on this commit "
				"(--again starts another)\n", id);
	}
	if (!r && !existing)
		print_start_warnings(&ctx, id);
	if (!r && !follow)
		printf("%ld\n", id);
	if (!r && follow)
		r = cli_follow_run(&ctx, id, NULL, false);
	cli_close(&ctx);
	return r;
}

/* Says why nothing was printed: an empty log looks like a broken command. */
static void say_log_empty(const struct sw_run_record *rec, const struct sw_stage_record *s)
{
	if (!s->started_ms)
		cli_error(0, "stage %s of run %ld did not run (%s%s%s)", s->name, rec->id,
			  sw_stage_status_name(s->status), s->reason ? ": " : "", s->reason ? s->reason : "");
	else if (s->status == SW_STAGE_RUNNING)
		cli_error(0, "stage %s of run %ld has printed nothing yet (--follow waits for it)", s->name,
			  rec->id);
	else
		cli_error(0, "stage %s of run %ld printed nothing", s->name, rec->id);
}

static void print_log_once(struct cli_ctx *ctx, const struct sw_run_record *rec,
			   const struct sw_stage_record *s, bool tty)
{
	char *path = sw_store_log_path(ctx->store, rec->id, s->name);
	int64_t off = 0;
	cli_print_new_log(path, &off, tty, true);
	free(path);
	if (!off)
		say_log_empty(rec, s);
}

/* The run `slipway log` shows: the one named, else the checked-out
 * branch's newest.  0 after saying why there is none. */
static long log_run_id(struct cli_ctx *ctx, const char *named)
{
	if (named)
		return cli_run_id(ctx, named);
	char *branch = sw_repo_current_branch(ctx->repo);
	long id = branch ? sw_store_latest(ctx->store, branch) : 0;
	if (!branch)
		cli_error(2, "HEAD is detached: name a run (slipway log RUN, or latest)");
	else if (!id)
		cli_error(2, "branch %s has no run yet (slipway log latest shows the newest of any branch)",
			  branch);
	free(branch);
	return id;
}

static void no_such_stage(const struct sw_run_record *rec, const char *name)
{
	const char **names = xcalloc(rec->nstages + 1, sizeof *names);
	for (size_t i = 0; i < rec->nstages; i++)
		names[i] = rec->stages[i].name;
	const char *near = sw_suggest(name, names, rec->nstages);
	if (near)
		cli_error(2, "run %ld has no stage \"%s\" (did you mean \"%s\"?)", rec->id, name, near);
	else
		cli_error(2, "run %ld has no stage \"%s\"", rec->id, name);
	free(names);
}

/* The stage asked for, else the one a run opens on wherever it is shown
 * (sw_run_default_stage); NULL after saying there is none. */
static const struct sw_stage_record *log_stage(const struct sw_run_record *rec, const char *name)
{
	if (!name) {
		size_t i = sw_run_default_stage(rec);
		if (i < rec->nstages)
			return &rec->stages[i];
		cli_error(2, "run %ld has no stages", rec->id);
		return NULL;
	}
	const struct sw_stage_record *s = sw_run_find_stage(rec, name);
	if (!s)
		no_such_stage(rec, name);
	return s;
}

static void print_stage_names(const struct sw_run_record *rec)
{
	for (size_t i = 0; i < rec->nstages; i++) {
		cli_put_text(stdout, rec->stages[i].name, isatty(STDOUT_FILENO));
		putchar('\n');
	}
}

int cmd_log(int argc, char **argv)
{
	struct sw_log_args a;
	char *perr = NULL;
	if (sw_log_args_parse(argc, argv, &a, &perr))
		return bad_args("log", perr);
	bool follow = a.follow, raw = a.raw, stages = a.stages;
	if (a.run && !strncmp(a.run, "deploy:", 7) && !stages)
		return cli_deploy_log(a.run, a.stage, follow, raw);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	struct sw_run_record rec;
	char *err = NULL;
	long id = log_run_id(&ctx, a.run);
	if (!id || sw_store_load(ctx.store, id, &rec, &err)) {
		if (id)
			cli_error(2, "%s", err);
		free(err);
		cli_close(&ctx);
		return 2;
	}
	const struct sw_stage_record *s = stages ? NULL : log_stage(&rec, a.stage);
	int r = 0;
	if (stages)
		print_stage_names(&rec);
	else if (!s)
		r = 2;
	else if (follow && !sw_run_status_final(rec.status))
		r = cli_follow_run(&ctx, id, s->name, raw);
	else
		print_log_once(&ctx, &rec, s, !raw && isatty(STDOUT_FILENO));
	sw_run_record_free(&rec);
	cli_close(&ctx);
	return r;
}

int cmd_cancel(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage("cancel", false);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	char *err = NULL;
	long id = cli_run_id(&ctx, argv[1]);
	int r = id ? sw_run_cancel(ctx.store, id, &err) : 2;
	if (r && id) {
		cli_error(r, "%s", err);
		free(err);
	} else if (!r) {
		printf("run %ld cancelled\n", id);
	}
	cli_close(&ctx);
	return r;
}
