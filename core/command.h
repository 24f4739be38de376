/* Commands run to their end in a process group of their own: how one is
 * started, reaped and said to have ended, shared by the executor's stages
 * and a deploy's hooks (core-internal). */
#ifndef SLIPWAY_CORE_COMMAND_H
#define SLIPWAY_CORE_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

/* How long output that a process outside the group (setsid, say) keeps
 * open past the group's shell is still read once it is quiet: such a
 * process must not hold its command until the timeout. */
#define SW_ORPHAN_QUIET_MS 1000

/* Starts path with argv in dir, in a process group of its own with
 * default signals and an empty mask, stdin /dev/null and stdout and
 * stderr into out_fd.  0 or an errno value. */
int sw_spawn_group(const char *path, char *const *argv, const char *dir, int out_fd, char *const *envp,
		   pid_t *child);
/* Reaps the group's shell (pgid) once it exited, ending first what it
 * left in its group; true then, with its wait status.  Never blocks on a
 * shell still running. */
bool sw_group_reap(pid_t pgid, int *status);

/* A wait(2) status as a shell's exit code; why a command ended, as the
 * run records and the deploy journal both say it (NULL for exit 0). */
int sw_exit_code(int wait_status);
char *sw_exit_reason(int code, bool timed_out, int timeout_s, bool cancelled);

#endif
