/* Commands run to their end in a process group of their own: how one is
 * started, reaped and said to have ended, shared by the executor's stages
 * and a deploy's hooks (core-internal). */
#ifndef SLIPWAY_CORE_COMMAND_H
#define SLIPWAY_CORE_COMMAND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "slipway/secrets.h"

/* A command of slipway's own (a deploy's hooks) run to its end: /bin/sh -c
 * text in dir with envp, in a process group of its own, stdin /dev/null,
 * its output (stdout and stderr together) masked line by line with
 * secrets and appended to the log at log_path (created 0600 when absent);
 * after timeout_s the group gets SIGTERM, and SIGKILL 5 s later.  What
 * the shell leaves in its group when it exits is ended with it, as a
 * stage's is. */
struct sw_command {
	const char *shell;			/* the text for /bin/sh -c */
	const char *dir;
	char *const *envp;			/* NULL-terminated (NULL: none) */
	const char *log_path;
	const struct sw_secrets *secrets;	/* NULL: nothing to mask */
	int timeout_s;				/* <= 0: no limit */
};

struct sw_command_result {
	int exit_code;		/* as a shell says it: 128+N when killed by signal N;
				 * 127 when it could not start */
	bool timed_out;
	int64_t duration_ms;
	char *reason;		/* allocated; NULL when it exited 0: "exit code 3",
				 * "timed out after 5 s", "killed by signal 9",
				 * "cannot start /bin/sh in DIR: No such file or directory",
				 * "cannot write the log LOG_PATH: ..." */
};

/* 0 when the command exited 0 in time; -1 otherwise, with res->reason.
 * A log that cannot be opened runs nothing; one that fails later lets the
 * command run on and the result says so (exit_code stays its own).  The
 * caller's signal dispositions and mask are left alone (the shell is
 * watched through a pidfd), but the shell is reaped here: with SIGCHLD
 * ignored, or a waitpid(-1) of the caller's taking it first, its exit
 * code is lost (255). */
int sw_command_run(const struct sw_command *cmd, struct sw_command_result *res);
void sw_command_result_free(struct sw_command_result *res);

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

/* Runs body(arg), which never returns, in a process of its own: a
 * session of its own, adopted by init (double fork), so that neither a
 * closed terminal nor the caller's exit reaches it and the caller is left
 * no zombie.  It inherits the caller's descriptors (locks handed over).
 * 0 once it has started, else an errno value. */
int sw_detach(void (*body)(void *), void *arg);

/* A detached process's stdio: stdin /dev/null, stdout and stderr appended
 * to the log at path (made with mode).  False when the log cannot be
 * opened (stdout and stderr are then left as they were). */
bool sw_stdio_to_log(const char *path, int mode);

/* A lock file whose flock is the lock and whose text names the holder's
 * pid, for the messages that say who holds it.  sw_lock_take: 0 with
 * *fd held (closing it, or the process's end, lets go), EWOULDBLOCK with
 * *holder the pid (0 when none could be read), else an errno value.
 * sw_lock_note_pid: a process the lock was handed to says it is the
 * holder now.  sw_lock_held: someone holds it (never takes it). */
int sw_lock_take(const char *path, int *fd, long *holder);
void sw_lock_note_pid(int fd);
bool sw_lock_held(const char *path);

/* A wait(2) status as a shell's exit code; why a command ended, as the
 * run records and the deploy journal both say it (NULL for exit 0). */
int sw_exit_code(int wait_status);
char *sw_exit_reason(int code, bool timed_out, int timeout_s, bool cancelled);

#endif
