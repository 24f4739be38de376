/* inotify watch of one run directory and its logs/ subdirectory. */
#include "slipway/follow.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "slipway/util.h"

struct sw_follow {
	int fd;
	int wd_run, wd_logs;
};

struct sw_follow *sw_follow_open(const char *run_dir)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct sw_follow *f = xcalloc(1, sizeof *f);
	f->fd = fd;
	f->wd_run = inotify_add_watch(fd, run_dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF);
	char *logs = xasprintf("%s/logs", run_dir);
	f->wd_logs = inotify_add_watch(fd, logs, IN_MODIFY | IN_CREATE);
	free(logs);
	if (f->wd_run < 0) {
		int e = errno;
		sw_follow_close(f);
		errno = e;
		return NULL;
	}
	return f;
}

int sw_follow_fd(const struct sw_follow *f)
{
	return f->fd;
}

static unsigned event_bits(const struct sw_follow *f, const struct inotify_event *ev)
{
	if (ev->wd == f->wd_logs)
		return SW_FOLLOW_LOG;
	if (ev->mask & IN_DELETE_SELF)
		return SW_FOLLOW_EXIT;
	if (ev->len && strcmp(ev->name, "run.json") == 0)
		return SW_FOLLOW_RECORD;
	if ((ev->mask & IN_CLOSE_WRITE) && ev->len && strcmp(ev->name, "lock") == 0)
		return SW_FOLLOW_EXIT;
	return 0;
}

unsigned sw_follow_read(struct sw_follow *f)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	unsigned bits = 0;
	for (;;) {
		ssize_t n = read(f->fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			bits |= event_bits(f, ev);
			p += sizeof *ev + ev->len;
		}
	}
	return bits;
}

unsigned sw_follow_wait(struct sw_follow *f, int timeout_ms)
{
	struct pollfd pfd = {.fd = f->fd, .events = POLLIN};
	/* EINTR returns too, so a caller's signal flag is seen at once. */
	int r = poll(&pfd, 1, timeout_ms);
	return r > 0 ? sw_follow_read(f) : 0;
}

void sw_follow_close(struct sw_follow *f)
{
	if (!f)
		return;
	close(f->fd);
	free(f);
}
