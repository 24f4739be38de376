/* The pieces the live models share (see watch.h). */
#include "core/watch.h"

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "slipway/util.h"

void sw_watch_init(struct sw_watch *b)
{
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pipe2(b->wake, O_CLOEXEC | O_NONBLOCK))
		abort();
}

void sw_watch_destroy(struct sw_watch *b)
{
	close(b->wake[0]);
	close(b->wake[1]);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->mu);
}

bool sw_watch_stopped(struct sw_watch *b)
{
	return __atomic_load_n(&b->stop, __ATOMIC_SEQ_CST) != 0;
}

void sw_watch_signal_stop(struct sw_watch *b)
{
	pthread_mutex_lock(&b->mu);
	__atomic_store_n(&b->stop, 1, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->mu);
}

void sw_watch_wake(struct sw_watch *b)
{
	ssize_t r = write(b->wake[1], "x", 1);
	(void)r;
}

void sw_watch_wait_ms(struct sw_watch *b, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&b->cond, &b->mu, &ts);
}

void sw_watch_drain(struct sw_watch *b)
{
	char buf[256];
	while (read(b->wake[0], buf, sizeof buf) > 0)
		;
}

unsigned sw_watch_generation(struct sw_watch *b)
{
	pthread_mutex_lock(&b->mu);
	unsigned g = b->generation;
	pthread_mutex_unlock(&b->mu);
	return g;
}

void sw_watch_set_text(char **field, const char *text)
{
	free(*field);
	*field = xstrdup_null(text);
}
