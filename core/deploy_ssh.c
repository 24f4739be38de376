/* An ssh:// deploy target: the system's OpenSSH client (or
 * SLIPWAY_SSH_COMMAND, as git's GIT_SSH_COMMAND), BatchMode so that
 * nothing waits for a password, one master connection per deploy
 * (ControlMaster in a private directory), so that a step costs no new
 * handshake.  Everything done on the target is a shell script sent on
 * ssh's stdin: no secret is on a command line there. */
#include "deploy_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slipway/util.h"

extern char **environ;

struct sw_ssh {
	char *url;
	char *user, *host, *port;	/* user and port may be NULL */
	char *control_dir;		/* mkdtemp'd; holds the master's socket */
};

void sw_sh_quote(struct sbuf *sb, const char *s)
{
	sbuf_addc(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sbuf_adds(sb, "'\\''");
		else
			sbuf_addc(sb, *s);
	}
	sbuf_addc(sb, '\'');
}

int sw_ssh_open(const char *url, struct sw_ssh **out, char **err)
{
	if (strncmp(url, "ssh://", 6)) {
		*err = xasprintf("%s is not an ssh:// target", url);
		return -1;
	}
	struct sw_ssh *s = xcalloc(1, sizeof *s);
	s->url = xstrdup(url);
	const char *h = url + 6, *at = strchr(h, '@');
	if (at) {
		s->user = xstrndup(h, (size_t)(at - h));
		h = at + 1;
	}
	const char *colon = strchr(h, ':');
	s->host = colon ? xstrndup(h, (size_t)(colon - h)) : xstrdup(h);
	s->port = colon ? xstrdup(colon + 1) : NULL;
	/* A socket's path is short (108 bytes): not under the store. */
	char tmpl[] = "/tmp/slipway-ssh-XXXXXX";
	if (!mkdtemp(tmpl)) {
		*err = xasprintf("cannot make a directory for the ssh connection: %s", strerror(errno));
		sw_ssh_close(s, false);
		return -1;
	}
	s->control_dir = xstrdup(tmpl);
	*out = s;
	return 0;
}

const char *sw_ssh_url(const struct sw_ssh *s)
{
	return s->url;
}

static void ssh_prefix(const struct sw_ssh *s, struct sbuf *sb, const char *extra)
{
	const char *cmd = getenv("SLIPWAY_SSH_COMMAND");
	sbuf_adds(sb, cmd && *cmd ? cmd : "ssh");
	sbuf_adds(sb, " -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=15 -o ControlMaster=auto "
		      "-o ControlPersist=60 -o ControlPath=");
	struct sbuf path = {0};
	sbuf_addf(&path, "%s/%%C", s->control_dir);
	sw_sh_quote(sb, path.buf);
	sbuf_free(&path);
	if (s->port) {
		sbuf_adds(sb, " -p ");
		sw_sh_quote(sb, s->port);
	}
	if (s->user) {
		sbuf_adds(sb, " -l ");
		sw_sh_quote(sb, s->user);
	}
	if (extra)
		sbuf_addf(sb, " %s", extra);
	sbuf_adds(sb, " -- ");
	sw_sh_quote(sb, s->host);
}

char *sw_ssh_line(const struct sw_ssh *s, const char *remote)
{
	struct sbuf sb = {0};
	ssh_prefix(s, &sb, NULL);
	sbuf_addc(&sb, ' ');
	sw_sh_quote(&sb, remote);
	return sb.buf;
}

/* The last line ssh or the script wrote on stderr, for a message. */
static char *last_line(const struct sbuf *sb)
{
	if (!sb->len)
		return xstrdup("");
	size_t end = sb->len;
	while (end && (sb->buf[end - 1] == '\n' || sb->buf[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start && sb->buf[start - 1] != '\n')
		start--;
	return xstrndup(sb->buf + start, end - start);
}

static char *connect_error(const struct sw_ssh *s, const char *why)
{
	const char *hint = "";
	if (strstr(why, "Host key verification failed") || strstr(why, "REMOTE HOST IDENTIFICATION"))
		hint = " (the host's key is not the one known_hosts has, or it is not there: check it with "
		       "`ssh-keyscan`, then add it to ~/.ssh/known_hosts)";
	else if (strstr(why, "Permission denied"))
		hint = " (is your key loaded in ssh-agent or in ~/.ssh, and in the target's authorized_keys?)";
	return xasprintf("cannot reach %s: %s%s", s->url, *why ? why : "ssh failed", hint);
}

/* Reads what is ready of fd into sb; false at EOF. */
static bool drain(int fd, struct sbuf *sb)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	sbuf_add(sb, buf, (size_t)n);
	return true;
}

int sw_ssh_run(struct sw_ssh *s, const char *script, int timeout_s, char **out, char **err)
{
	int in[2], o[2], e[2];
	if (out)
		*out = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) {
		*err = xasprintf("cannot run ssh: %s", strerror(errno));
		return -1;
	}
	char *line = sw_ssh_line(s, "sh -s");
	char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = {sh, dash_c, line, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, o[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, e[1], STDERR_FILENO);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	pid_t pid;
	int r = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(line);
	close(in[0]);
	close(o[1]);
	close(e[1]);
	if (r) {
		close(in[1]);
		close(o[0]);
		close(e[0]);
		*err = xasprintf("cannot run ssh: %s", strerror(r));
		return -1;
	}
	/* Scripts are small: a pipe's buffer takes them whole. */
	size_t len = strlen(script), done = 0;
	signal(SIGPIPE, SIG_IGN);
	while (done < len) {
		ssize_t n = write(in[1], script + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(in[1]);
	struct sbuf so = {0}, se = {0};
	bool o_open = true, e_open = true, timed_out = false;
	int64_t deadline = sw_mono_ms() + (int64_t)timeout_s * 1000;
	while (o_open || e_open) {
		struct pollfd p[2] = {{.fd = o_open ? o[0] : -1, .events = POLLIN}, {.fd = e_open ? e[0] : -1, .events = POLLIN}};
		int64_t left = deadline - sw_mono_ms();
		if (left <= 0) {
			timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			o_open = drain(o[0], &so);
		if (p[1].revents)
			e_open = drain(e[0], &se);
	}
	close(o[0]);
	close(e[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	char *why = last_line(&se);
	r = 0;
	if (timed_out) {
		*err = xasprintf("%s did not answer within %d s", s->url, timeout_s);
		r = -1;
	} else if (code == 255) {
		*err = connect_error(s, why);
		r = -1;
	} else if (code) {
		*err = *why ? xasprintf("on %s: %s (exit code %d)", s->url, why, code)
			    : xasprintf("on %s: exit code %d", s->url, code);
		r = -1;
	}
	free(why);
	sbuf_free(&se);
	if (out && !r)
		*out = so.buf ? so.buf : xstrdup("");
	else
		sbuf_free(&so);
	return r;
}

void sw_ssh_close(struct sw_ssh *s, bool end_master)
{
	if (!s)
		return;
	if (end_master && s->control_dir) {
		struct sbuf sb = {0};
		ssh_prefix(s, &sb, "-O exit");
		char *line = xasprintf("%s >/dev/null 2>&1", sb.buf);
		char sh[] = "sh", dash_c[] = "-c";
		char *argv[] = {sh, dash_c, line, NULL};
		pid_t pid;
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
		if (posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ) == 0)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		posix_spawn_file_actions_destroy(&fa);
		free(line);
		sbuf_free(&sb);
		sw_remove_tree(s->control_dir);
	}
	free(s->control_dir);
	free(s->url);
	free(s->user);
	free(s->host);
	free(s->port);
	free(s);
}
