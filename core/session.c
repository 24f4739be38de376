/* Finding and ending the processes of a run's session through /proc. */
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slipway/util.h"

/* Boot time in ms of the wall clock: /proc/PID/stat counts a process's
 * start in clock ticks since boot. */
static int64_t boot_ms(void)
{
	static int64_t cached = -1;
	if (cached >= 0)
		return cached;
	struct timespec real, boot;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	cached = ((int64_t)real.tv_sec - boot.tv_sec) * 1000 + ((int64_t)real.tv_nsec - boot.tv_nsec) / 1000000;
	return cached;
}

struct proc_stat {
	char state;
	int session;
	int64_t started_ms;	/* wall clock */
};

char *sw_proc_stat(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return NULL;
	buf[len] = '\0';
	/* "pid (comm) state ...": comm may hold anything, even ')'. */
	char *p = strrchr(buf, ')');
	return p ? p + 1 : NULL;
}

static int read_stat(long pid, struct proc_stat *ps)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	/* state ppid pgrp session ... starttime (field 22) */
	char *p = sw_proc_stat(path, buf, sizeof buf);
	unsigned long long ticks;
	if (!p || sscanf(p, " %c %*d %*d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &ps->state, &ps->session, &ticks) != 3)
		return -1;
	ps->started_ms = boot_ms() + (int64_t)(ticks * 1000 / (unsigned long long)sysconf(_SC_CLK_TCK));
	return 0;
}

int sw_session_signal(pid_t sid, int sig, int64_t not_before_ms)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	pid_t self = getpid();
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		struct proc_stat ps;
		if (*end || pid <= 0 || pid == self || read_stat(pid, &ps))
			continue;
		if (ps.session != sid || ps.state == 'Z' || ps.state == 'X' || ps.started_ms < not_before_ms)
			continue;
		if (sig)
			kill((pid_t)pid, sig);
		n++;
	}
	closedir(d);
	return n;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

void sw_session_end(pid_t sid, int64_t not_before_ms, int grace_ms)
{
	if (!sw_session_signal(sid, SIGTERM, not_before_ms))
		return;
	for (int64_t until = sw_mono_ms() + grace_ms; sw_mono_ms() < until;) {
		pause_ms(50);
		if (!sw_session_signal(sid, 0, not_before_ms))
			return;
	}
	for (int i = 0; i < 50 && sw_session_signal(sid, SIGKILL, not_before_ms); i++)
		pause_ms(20);
}

/* A reader should not stall on a dead run's leftovers: they get a second
 * to end cleanly, as a stage that is cancelled gets more. */
#define ORPHAN_GRACE_MS 1000
/* /proc's start times are in clock ticks and boot time moves with NTP. */
#define START_SLACK_MS 2000

void sw_session_end_orphans(pid_t sid, int64_t run_created_ms)
{
	if (sid <= 1 || sid == getsid(0) || kill(sid, 0) == 0 || errno == EPERM)
		return;
	/* A run older than the boot left nothing running, and its session id
	 * may name anyone's session now: every process started since would
	 * pass the start-time check below. */
	if (run_created_ms < boot_ms())
		return;
	sw_session_end(sid, run_created_ms - START_SLACK_MS, ORPHAN_GRACE_MS);
}
