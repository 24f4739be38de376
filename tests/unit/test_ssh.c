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
	RUN_TEST(an_unreachable_target_is_named);
	sw_remove_tree(dir);
	free(lock);
	free(count);
	UNIT_EXIT();
}
