/* A run's session: every process a run started shares the session its
 * executor's first parent made, so ending the run ends that session. */
#ifndef SLIPWAY_CORE_SESSION_H
#define SLIPWAY_CORE_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The fields of a /proc/PID/stat file (path) after the command's name,
 * that is from field 3 (state) on, in buf; NULL when unreadable. */
char *sw_proc_stat(const char *path, char *buf, size_t size);
/* Sends sig (0: none) to every live process of session sid that started
 * at or after not_before_ms (wall clock; 0: any), the caller excepted;
 * returns how many there were. */
int sw_session_signal(pid_t sid, int sig, int64_t not_before_ms);
/* SIGTERM to what is left of session sid, SIGKILL to what is still
 * there after grace_ms. */
void sw_session_end(pid_t sid, int64_t not_before_ms, int grace_ms);
/* Ends what a dead run left in its session sid, if the session is still
 * the run's: its leader (pid sid) exited when the run started, and while
 * any process of the session lives the kernel never reuses that pid, so a
 * live process with pid sid means the id now names someone else's session. */
void sw_session_end_orphans(pid_t sid, int64_t run_created_ms);

#endif
