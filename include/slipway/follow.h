/* Following a run as it changes, without polling: inotify on its directory
 * tells when run.json is replaced, a log grows or the executor goes away. */
#ifndef SLIPWAY_FOLLOW_H
#define SLIPWAY_FOLLOW_H

enum {
	SW_FOLLOW_RECORD = 1,	/* run.json was replaced */
	SW_FOLLOW_LOG = 2,	/* a stage log grew */
	SW_FOLLOW_EXIT = 4,	/* the executor closed its lock: it ended or died */
};

struct sw_follow;

/* NULL with errno set when the directory cannot be watched. */
struct sw_follow *sw_follow_open(const char *run_dir);
/* A descriptor to poll() for reading. */
int sw_follow_fd(const struct sw_follow *f);
/* Drains pending events and returns what changed (SW_FOLLOW_* bits). */
unsigned sw_follow_read(struct sw_follow *f);
/* Waits up to timeout_ms (-1: forever) for a change; returns its bits, 0 on
 * timeout or when a signal interrupted the wait. */
unsigned sw_follow_wait(struct sw_follow *f, int timeout_ms);
void sw_follow_close(struct sw_follow *f);

#endif
