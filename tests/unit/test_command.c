/* A command of slipway's own (core/command.c), as a deploy's hooks run:
 * its output masked into a log that grows, its exit said as a run says
 * it, and its group ended at a timeout or when its shell exits. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/command.h"
#include "core/session.h"
#include "slipway/secrets.h"
#include "slipway/util.h"

/* A directory for the log and the pid files, and a command run in it. */
struct fixture {
	char dir[32];
	char *log;
	struct sw_secrets sec;
	struct strlist env;
	struct sw_command cmd;
	struct sw_command_result res;
};

static void fixture_open(struct fixture *f, const char *shell, int timeout_s)
{
	memset(f, 0, sizeof *f);
	strcpy(f->dir, "/tmp/sw-unit-XXXXXX");
	CHECK(mkdtemp(f->dir) != NULL);
	f->log = xasprintf("%s/hook.log", f->dir);
	strlist_add(&f->env, "PATH=/usr/local/bin:/usr/bin:/bin");
	f->cmd = (struct sw_command){.shell = shell, .dir = f->dir, .log_path = f->log, .timeout_s = timeout_s};
}

static void fixture_setenv(struct fixture *f, const char *var)
{
	strlist_add(&f->env, var);
}

static int fixture_run(struct fixture *f)
{
	sw_command_result_free(&f->res);
	f->cmd.envp = f->env.items;
	return sw_command_run(&f->cmd, &f->res);
}

static char *fixture_log(struct fixture *f)
{
	size_t len;
	char *text = sw_read_file(f->log, &len);
	return text ? text : xstrdup("(no log)");
}

/* The pid a command wrote to NAME in the directory, or -1. */
static pid_t fixture_pid(struct fixture *f, const char *name)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	char *text = sw_read_file(path, NULL);
	pid_t pid = text ? (pid_t)atoi(text) : -1;
	free(text);
	free(path);
	return pid > 0 ? pid : -1;
}

/* A zombie is gone too: whoever adopted it (pid 1 of a container, say)
 * may never reap it. */
static bool running(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *fields = sw_proc_stat(path, buf, sizeof buf);
	while (fields && *fields == ' ')
		fields++;
	return kill(pid, 0) == 0 && fields && *fields != 'Z';
}

/* A SIGKILL is sent before it is delivered: a moment is allowed. */
static bool alive(pid_t pid)
{
	for (int i = 0; pid > 0 && i < 100; i++) {
		if (!running(pid))
			return false;
		usleep(10000);
	}
	return pid > 0;
}

static void fixture_close(struct fixture *f)
{
	sw_command_result_free(&f->res);
	sw_secrets_free(&f->sec);
	strlist_free(&f->env);
	sw_remove_tree(f->dir);
	free(f->log);
}

static void output_goes_to_the_log_and_a_second_run_appends(void)
{
	struct fixture f;
	fixture_open(&f, "echo out; echo err >&2; printf last", 10);
	CHECK_INT(fixture_run(&f), 0);
	CHECK_INT(f.res.exit_code, 0);
	CHECK(!f.res.timed_out);
	CHECK(f.res.reason == NULL);
	CHECK(f.res.duration_ms >= 0 && f.res.duration_ms < 5000);
	char *log = fixture_log(&f);
	CHECK_STR(log, "out\nerr\nlast");	/* the last line without its newline too */
	free(log);
	f.cmd.shell = "echo again";
	CHECK_INT(fixture_run(&f), 0);
	log = fixture_log(&f);
	CHECK_STR(log, "out\nerr\nlastagain\n");
	free(log);
	fixture_close(&f);
}

static void the_log_is_private(void)
{
	struct fixture f;
	fixture_open(&f, "true", 10);
	mode_t old = umask(0);
	CHECK_INT(fixture_run(&f), 0);
	umask(old);
	struct stat st;
	CHECK_INT(stat(f.log, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	fixture_close(&f);
}

static void an_exit_code_is_a_failure_with_its_reason(void)
{
	struct fixture f;
	fixture_open(&f, "echo failing; exit 3", 10);
	CHECK_INT(fixture_run(&f), -1);
	CHECK_INT(f.res.exit_code, 3);
	CHECK(!f.res.timed_out);
	CHECK_STR(f.res.reason, "exit code 3");
	f.cmd.shell = "kill -9 $$";
	CHECK_INT(fixture_run(&f), -1);
	CHECK_INT(f.res.exit_code, 137);
	CHECK_STR(f.res.reason, "killed by signal 9");
	fixture_close(&f);
}

static void secrets_in_the_output_are_masked(void)
{
	struct fixture f;
	fixture_open(&f, "echo \"token=$TOKEN.\"; printf 's3cr3t-v4lue'", 10);
	sw_secrets_add(&f.sec, "TOKEN", "s3cr3t-v4lue");
	f.cmd.secrets = &f.sec;
	fixture_setenv(&f, "TOKEN=s3cr3t-v4lue");
	CHECK_INT(fixture_run(&f), 0);
	char *log = fixture_log(&f);
	CHECK_STR(log, "token=***.\n***");
	free(log);
	fixture_close(&f);
}

static void the_environment_given_reaches_the_command(void)
{
	struct fixture f;
	fixture_open(&f, "echo \"$FOO\"; pwd", 10);
	fixture_setenv(&f, "FOO=bar baz");
	CHECK_INT(fixture_run(&f), 0);
	char *log = fixture_log(&f);
	char *want = xasprintf("bar baz\n%s\n", f.dir);
	CHECK_STR(log, want);
	free(want);
	free(log);
	fixture_close(&f);
}

static void a_timeout_ends_the_whole_group(void)
{
	struct fixture f;
	fixture_open(&f, "sleep 30 & echo $! > child.pid; sleep 30", 1);
	int64_t t0 = sw_mono_ms();
	CHECK_INT(fixture_run(&f), -1);
	CHECK(sw_mono_ms() - t0 < 2500);
	CHECK(f.res.timed_out);
	CHECK_STR(f.res.reason, "timed out after 1 s");
	CHECK_INT(f.res.exit_code, 128 + SIGTERM);
	pid_t child = fixture_pid(&f, "child.pid");
	CHECK(child > 0);
	CHECK(!alive(child));
	fixture_close(&f);
}

static void a_command_that_ignores_term_is_killed(void)
{
	struct fixture f;
	fixture_open(&f, "trap '' TERM; echo waiting; sleep 30; sleep 30", 1);
	int64_t t0 = sw_mono_ms();
	CHECK_INT(fixture_run(&f), -1);
	int64_t took = sw_mono_ms() - t0;
	CHECK(took >= 5500 && took < 8000);	/* 1 s, then 5 s of grace */
	CHECK(f.res.timed_out);
	CHECK_INT(f.res.exit_code, 128 + SIGKILL);
	CHECK_STR(f.res.reason, "timed out after 1 s");
	char *log = fixture_log(&f);
	CHECK_STR(log, "waiting\n");
	free(log);
	fixture_close(&f);
}

/* The background child keeps the output open: its shell's exit ends it
 * (it is of the group), without waiting for the timeout. */
static void a_background_child_does_not_hold_the_command(void)
{
	struct fixture f;
	fixture_open(&f, "sleep 20 & echo $! > child.pid; echo started", 30);
	int64_t t0 = sw_mono_ms();
	CHECK_INT(fixture_run(&f), 0);
	CHECK(sw_mono_ms() - t0 < 3000);
	CHECK_INT(f.res.exit_code, 0);
	CHECK(f.res.reason == NULL);
	CHECK(!alive(fixture_pid(&f, "child.pid")));
	fixture_close(&f);
}

/* One that left the group is not the command's to end; its output is
 * read until it is quiet. */
static void a_process_outside_the_group_is_read_until_quiet(void)
{
	struct fixture f;
	fixture_open(&f, "setsid sh -c 'echo $$ > away.pid; echo away; exec sleep 20' & "
			 "while [ ! -s away.pid ]; do sleep 0.05; done; echo done", 30);
	int64_t t0 = sw_mono_ms();
	CHECK_INT(fixture_run(&f), 0);
	CHECK(sw_mono_ms() - t0 < 3000);
	CHECK_INT(f.res.exit_code, 0);
	char *log = fixture_log(&f);
	CHECK(strstr(log, "away\n") != NULL);
	CHECK(strstr(log, "done\n") != NULL);
	CHECK(strstr(log, "kept its output open") != NULL);
	free(log);
	pid_t away = fixture_pid(&f, "away.pid");
	CHECK(alive(away));
	if (away > 0)
		kill(away, SIGKILL);
	fixture_close(&f);
}

static void a_missing_directory_is_named(void)
{
	struct fixture f;
	fixture_open(&f, "true", 10);
	char *missing = xasprintf("%s/nowhere", f.dir);
	f.cmd.dir = missing;
	CHECK_INT(fixture_run(&f), -1);
	char *want = xasprintf("cannot start /bin/sh in %s: No such file or directory", missing);
	CHECK_STR(f.res.reason, want);
	char *log = fixture_log(&f);
	CHECK(strstr(log, want) != NULL);
	free(log);
	free(want);
	free(missing);
	fixture_close(&f);
}

static void a_log_that_cannot_be_written_runs_nothing(void)
{
	struct fixture f;
	fixture_open(&f, "touch ran", 10);
	free(f.log);
	f.log = xasprintf("%s/no/such/dir/hook.log", f.dir);
	f.cmd.log_path = f.log;
	CHECK_INT(fixture_run(&f), -1);
	char *want = xasprintf("cannot write the log %s: No such file or directory", f.log);
	CHECK_STR(f.res.reason, want);
	free(want);
	char *ran = xasprintf("%s/ran", f.dir);
	CHECK(access(ran, F_OK) != 0);
	free(ran);
	fixture_close(&f);
}

/* The command is not stopped for it, but its result says so. */
static void a_log_that_fills_fails_the_command(void)
{
	struct fixture f;
	fixture_open(&f, "echo hi; touch ran", 10);
	f.cmd.log_path = "/dev/full";
	CHECK_INT(fixture_run(&f), -1);
	CHECK_INT(f.res.exit_code, 0);
	CHECK_STR(f.res.reason, "cannot write the log /dev/full: No space left on device");
	char *ran = xasprintf("%s/ran", f.dir);
	CHECK(access(ran, F_OK) == 0);
	free(ran);
	fixture_close(&f);
}

/* A taker that loses by a hair reads the file before the winner noted its
 * pid, over a dead holder's: it names the live holder, not the dead one
 * and not nobody (watch.sh's two_watchers_at_once lost this race once). */
static void a_lock_names_its_live_holder(void)
{
	char dir[] = "/tmp/sw-unit-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *path = xasprintf("%s/x.lock", dir);
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	FILE *f = fopen(path, "w");
	fprintf(f, "%ld\n", (long)dead);
	fclose(f);
	int ready[2];
	CHECK(pipe(ready) == 0);
	pid_t holder = fork();
	if (holder == 0) {
		int fd = open(path, O_RDWR);
		flock(fd, LOCK_EX);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		usleep(200 * 1000);
		sw_lock_note_pid(fd);
		pause();
		_exit(0);
	}
	char c;
	CHECK(read(ready[0], &c, 1) == 1);
	CHECK(sw_lock_held(path));
	int fd;
	long pid;
	CHECK_INT(sw_lock_take(path, &fd, &pid), EWOULDBLOCK);
	CHECK_INT(fd, -1);
	CHECK_INT(pid, holder);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	CHECK(!sw_lock_held(path));
	CHECK_INT(sw_lock_take(path, &fd, &pid), 0);
	char buf[32] = "";
	CHECK(pread(fd, buf, sizeof buf - 1, 0) > 0);
	char *mine = xasprintf("%ld\n", (long)getpid());
	CHECK_STR(buf, mine);
	close(fd);
	close(ready[0]);
	close(ready[1]);
	unlink(path);
	rmdir(dir);
	free(mine);
	free(path);
}

int main(void)
{
	/* As a deploy's caller may have it: children reaped by whoever waits. */
	signal(SIGCHLD, SIG_DFL);
	RUN_TEST(output_goes_to_the_log_and_a_second_run_appends);
	RUN_TEST(the_log_is_private);
	RUN_TEST(an_exit_code_is_a_failure_with_its_reason);
	RUN_TEST(secrets_in_the_output_are_masked);
	RUN_TEST(the_environment_given_reaches_the_command);
	RUN_TEST(a_timeout_ends_the_whole_group);
	RUN_TEST(a_command_that_ignores_term_is_killed);
	RUN_TEST(a_background_child_does_not_hold_the_command);
	RUN_TEST(a_process_outside_the_group_is_read_until_quiet);
	RUN_TEST(a_missing_directory_is_named);
	RUN_TEST(a_log_that_cannot_be_written_runs_nothing);
	RUN_TEST(a_log_that_fills_fails_the_command);
	RUN_TEST(a_lock_names_its_live_holder);
	UNIT_EXIT();
}
