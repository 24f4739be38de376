/* An ssh:// target's sessions (core/deploy_ssh.c): the lock's session
 * runs slipway's own scripts one after the other, so that each costs no
 * session of its own.  The "ssh" here is a stand-in given through
 * SLIPWAY_SSH_COMMAND, as a user would give theirs: it runs the remote
 * command on this machine and counts the sessions it was asked for. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/deploy_internal.h"
#include "slipway/util.h"

static char dir[32];
static char *lock, *count;

/* Options up to "--", the host, then the remote command, run here; -O
 * (ending a master) does nothing.  DOWN in the directory makes it fail
 * as an unreachable host does. */
static const char fake_ssh[] =
	"#!/bin/sh\n"
	"d=$(dirname \"$0\")\n"
	"if [ -e \"$d/DOWN\" ]; then echo 'ssh: connect to host web9 port 22: Connection refused' >&2; exit 255; fi\n"
	"while [ $# -gt 0 ]; do case $1 in --) shift; break ;; -O) exit 0 ;; esac; shift; done\n"
	"shift\n"
	"echo x >> \"$d/sessions\"\n"
	"exec sh -c \"$1\"\n";

static void setup(void)
{
	strcpy(dir, "/tmp/sw-ssh-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	char *ssh = xasprintf("%s/ssh", dir);
	CHECK(sw_write_atomic(ssh, fake_ssh, sizeof fake_ssh - 1, false) == 0);
	CHECK(chmod(ssh, 0755) == 0);
	setenv("SLIPWAY_SSH_COMMAND", ssh, 1);
	free(ssh);
	lock = xasprintf("%s/target/.lock", dir);
	count = xasprintf("%s/sessions", dir);
}

static int sessions(void)
{
	size_t len = 0;
	char *text = sw_read_file(count, &len);
	int n = 0;
	for (size_t i = 0; text && i < len; i++)
		n += text[i] == '\n';
	free(text);
	unlink(count);
	return n;
}

static struct sw_ssh *open_target(void)
{
	struct sw_ssh *s = NULL;
	char *err = NULL;
	CHECK(sw_ssh_open("ssh://deploy@web1:2222", NULL, &s, &err) == 0);
	CHECK(err == NULL);
	return s;
}

static int take(struct sw_ssh *s, int *code, char **err)
{
	char *d = xasprintf("%s/target", dir);
	int fd = sw_ssh_lock(s, d, lock, code, err);
	free(d);
	return fd;
}

/* A target whose lock this test holds, in *fd. */
static struct sw_ssh *held(int *fd)
{
	struct sw_ssh *s = open_target();
	char *err = NULL;
	int code = 0;
	*fd = take(s, &code, &err);
	CHECK(*fd >= 0);
	CHECK(err == NULL);
	return s;
}

static void scripts_run_in_the_locks_session(void)
{
	int fd;
	struct sw_ssh *s = held(&fd);
	char *err = NULL, *out = NULL;
	CHECK_INT(sessions(), 1);
	CHECK_INT(sw_ssh_run(s, "echo one\necho two >&2\n", 5, &out, &err), 0);
	CHECK_STR(out, "one\ntwo\n");
	free(out);
	CHECK_INT(sw_ssh_run(s, "printf 'no newline'", 5, &out, &err), 0);
	CHECK_STR(out, "no newline");
	free(out);
	/* A script reading stdin reads nothing: the session's input is ours. */
	CHECK_INT(sw_ssh_run(s, "cat; echo read", 5, &out, &err), 0);
	CHECK_STR(out, "read\n");
	free(out);
	CHECK_INT(sessions(), 0);
	close(fd);
	sw_ssh_close(s, true);
}

static void a_failing_script_is_said_and_the_session_goes_on(void)
{
	int fd;
	struct sw_ssh *s = held(&fd);
	char *err = NULL, *out = NULL;
	sessions();
	CHECK_INT(sw_ssh_run(s, "echo 'no room left' >&2; exit 3\n", 5, NULL, &err), -1);
	CHECK_STR(err, "on ssh://deploy@web1:2222: no room left (exit code 3)");
	free(err);
	err = NULL;
	/* Not even a line that looks like the mark ends it early. */
	CHECK_INT(sw_ssh_run(s, "echo __slipway_1_1__ 0; echo after", 5, &out, &err), 0);
	CHECK_STR(out, "__slipway_1_1__ 0\nafter\n");
	free(out);
	CHECK_INT(sessions(), 0);
	close(fd);
	sw_ssh_close(s, true);
}

static void the_lock_is_held_until_its_fd_closes(void)
{
	struct sw_ssh *a = open_target(), *b = open_target();
	char *err = NULL;
	int code = 0, fd = take(a, &code, &err);
	CHECK(fd >= 0);
	CHECK_INT(take(b, &code, &err), -1);
	CHECK_INT(code, 1);
	CHECK(err == NULL);
	close(fd);
	/* The holder's shell ends at the end of its input, and flock with it. */
	int again = -1;
	for (int i = 0; i < 100 && again < 0; i++) {
		again = take(b, &code, &err);
		if (again < 0)
			sw_sleep_ms(20);
	}
	CHECK(again >= 0);
	close(again);
	sw_ssh_close(a, true);
	sw_ssh_close(b, true);
	sessions();
}

static void a_hung_script_times_out_and_later_ones_get_sessions(void)
{
	int fd;
	struct sw_ssh *s = held(&fd);
	char *err = NULL, *out = NULL;
	sessions();
	int64_t t0 = sw_mono_ms();
	CHECK_INT(sw_ssh_run(s, "sleep 3", 1, NULL, &err), -1);
	CHECK(sw_mono_ms() - t0 < 2500);
	CHECK_STR(err, "ssh://deploy@web1:2222 did not answer within 1 s");
	free(err);
	err = NULL;
	CHECK_INT(sw_ssh_run(s, "echo fresh", 5, &out, &err), 0);
	CHECK_STR(out, "fresh\n");
	free(out);
	CHECK_INT(sessions(), 1);
	close(fd);
	sw_ssh_close(s, true);
}

/* Data on a script's stdin goes through the lock's session too: bytes
 * of every value, more than a pipe holds, and the session goes on. */
static void data_goes_through_the_locks_session(void)
{
	int fd;
	struct sw_ssh *s = held(&fd);
	char *err = NULL, *out = NULL, *file = xasprintf("%s/got", dir);
	sessions();
	size_t len = 300000;
	char *data = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)(i * 7 + i / 251);
	char *script = xasprintf("cat > '%s'; echo stored", file);
	CHECK_INT(sw_ssh_run_input(s, script, data, len, 10, &out, &err), 0);
	CHECK_STR(out, "stored\n");
	free(out);
	size_t got = 0;
	char *back = sw_read_file(file, &got);
	CHECK(got == len && back && !memcmp(back, data, len));
	free(back);
	CHECK_INT(sw_ssh_run_input(s, "cat >/dev/null; echo 'bad tar' >&2; exit 2", "x", 1, 10, &out, &err), -1);
	CHECK_STR(err, "on ssh://deploy@web1:2222: bad tar (exit code 2)");
	CHECK_STR(out, "bad tar\n");
	free(out);
	free(err);
	err = NULL;
	CHECK_INT(sw_ssh_run(s, "echo after", 5, &out, &err), 0);
	CHECK_STR(out, "after\n");
	free(out);
	CHECK_INT(sessions(), 0);
	/* Without the lock's session, nothing is run: the caller sends it
	 * in a session of its own. */
	struct sw_ssh *plain = open_target();
	CHECK_INT(sw_ssh_run_input(plain, script, data, len, 10, &out, &err), 1);
	CHECK(out == NULL && err == NULL);
	sw_ssh_close(plain, true);
	free(script);
	free(data);
	free(file);
	close(fd);
	sw_ssh_close(s, true);
}

/* A child that goes on in the session (in, so) with script: it exits 0
 * when the script said want. */
static pid_t in_child(int in, int so, const char *script, const char *want)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct sw_ssh *c = NULL;
		char *e = NULL, *o = NULL;
		if (sw_ssh_open("ssh://deploy@web1:2222", dir, &c, &e))
			_exit(2);
		sw_ssh_adopt(c, in, so);
		int r = sw_ssh_run(c, script, 5, &o, &e);
		_exit(r == 0 && want && !strcmp(o, want) ? 0 : 1);
	}
	return pid;
}

/* A fleet's host deploy goes on in the session its fleet's process holds
 * (sw_ssh_shell, then sw_ssh_adopt in the child); a child killed in the
 * middle of a script leaves what it said unread, which the next one to
 * use the session never takes for its own. */
static void a_child_goes_on_in_its_parents_session(void)
{
	int fd;
	struct sw_ssh *s = held(&fd);
	char *err = NULL, *out = NULL;
	sessions();
	int in, so;
	sw_ssh_shell(s, &in, &so);
	CHECK(in == fd && so >= 0);
	int status = 0;
	pid_t pid = in_child(in, so, "echo from the child", "from the child\n");
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pid = in_child(in, so, "echo stale; sleep 1; echo stale too", NULL);
	sw_sleep_ms(300);
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_INT(sw_ssh_run(s, "echo mine", 5, &out, &err), 0);
	CHECK_STR(out, "mine\n");
	free(out);
	CHECK_INT(sessions(), 0);
	close(fd);
	sw_ssh_close(s, true);
}

static void an_unreachable_target_is_named(void)
{
	char *down = xasprintf("%s/DOWN", dir);
	CHECK(sw_write_atomic(down, "", 0, false) == 0);
	struct sw_ssh *s = open_target();
	char *err = NULL;
	int code = 0;
	CHECK_INT(take(s, &code, &err), -1);
	CHECK_INT(code, 255);
	CHECK_STR(err, "cannot reach ssh://deploy@web1:2222: ssh: connect to host web9 port 22: Connection refused");
	free(err);
	sw_ssh_close(s, true);
	unlink(down);
	free(down);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setup();
	RUN_TEST(scripts_run_in_the_locks_session);
	RUN_TEST(a_failing_script_is_said_and_the_session_goes_on);
	RUN_TEST(the_lock_is_held_until_its_fd_closes);
	RUN_TEST(a_hung_script_times_out_and_later_ones_get_sessions);
	RUN_TEST(data_goes_through_the_locks_session);
	RUN_TEST(a_child_goes_on_in_its_parents_session);
	RUN_TEST(an_unreachable_target_is_named);
	sw_remove_tree(dir);
	free(lock);
	free(count);
	UNIT_EXIT();
}
