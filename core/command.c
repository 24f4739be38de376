/* Starting, reaping and naming the end of a command in a process group of
 * its own: one way for a run's stages and a deploy's hooks. */
#include "command.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "slipway/util.h"

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

