/* What the live models of the faces (docker_watch.c, sentry_watch.c)
 * share: a mutex and a condition on the monotonic clock for their threads,
 * a stop flag their clients poll, a generation bumped by every change, and
 * a pipe whose read end wakes the face's poll().  Not public API. */
#ifndef SLIPWAY_CORE_WATCH_H
#define SLIPWAY_CORE_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct sw_watch {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int wake[2];
	/* Read by the clients without the mutex: atomic stores and loads. */
	int stop;
	unsigned generation;	/* under mu */
};

void sw_watch_init(struct sw_watch *b);
void sw_watch_destroy(struct sw_watch *b);
bool sw_watch_stopped(struct sw_watch *b);
/* Sets the stop flag and wakes every waiting thread; join them after. */
void sw_watch_signal_stop(struct sw_watch *b);
/* Tells the face something changed (a full pipe already says so). */
void sw_watch_wake(struct sw_watch *b);
/* Waits on the condition for at most ms (under mu). */
void sw_watch_wait_ms(struct sw_watch *b, int64_t ms);
void sw_watch_drain(struct sw_watch *b);
unsigned sw_watch_generation(struct sw_watch *b);
/* Replaces *field by a copy of text (NULL allowed). */
void sw_watch_set_text(char **field, const char *text);

#endif
