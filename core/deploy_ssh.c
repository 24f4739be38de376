/* An ssh:// deploy target: the system's OpenSSH client (or
 * SLIPWAY_SSH_COMMAND, as git's GIT_SSH_COMMAND), BatchMode so that
 * nothing waits for a password, one master connection per deploy
 * (ControlMaster in a private directory), so that a step costs no new
 * handshake.  Everything done on the target is a shell script sent on
 * ssh's stdin: no secret is on a command line there. */
#include "deploy_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
	char *control_dir;		/* holds the master's socket */
	bool shared;			/* control_dir is its caller's (a fleet's), not ours to remove */
	/* The session that holds the target's lock (sw_ssh_lock) is a shell
	 * that runs our scripts one after the other: shell_in is its stdin
	 * (the caller's to close: the lock lives as long as it), shell_out
	 * its stdout (ours); -1 when there is none. */
	int shell_in, shell_out;
	unsigned shell_n;
	pid_t shell_pid;		/* its ssh, when this process started it; else 0 */
	/* A lock's session begun (sw_ssh_lock_begin) and not yet waited for:
	 * its ssh, its stdin and stdout, and the file its stderr goes to. */
	pid_t pend_pid;
	int pend_in, pend_out, pend_err;
	char *pend_errpath;
};

/* How long a master outlives its last session.  A fleet's masters wait
 * for the later waves, and the fleet ends them itself; either way a
 * process killed -9 leaves its master for this long at most. */
#define PERSIST_OWN_S 60
#define PERSIST_SHARED_S 600
#define LOCK_WAIT_S 60		/* for the lock's session to say it holds it */

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

char *sw_ssh_dir(char **err)
{
	/* A socket's path is short (108 bytes): not under the store. */
	char tmpl[] = "/tmp/slipway-ssh-XXXXXX";
	if (!mkdtemp(tmpl)) {
		*err = xasprintf("cannot make a directory for the ssh connection: %s", strerror(errno));
		return NULL;
	}
	return xstrdup(tmpl);
}

int sw_ssh_open(const char *url, const char *dir, struct sw_ssh **out, char **err)
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
	s->shell_in = s->shell_out = s->pend_in = s->pend_out = s->pend_err = -1;
	s->shared = dir != NULL;
	s->control_dir = dir ? xstrdup(dir) : sw_ssh_dir(err);
	if (!s->control_dir) {
		sw_ssh_close(s, false);
		return -1;
	}
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
		      "-o ControlPersist=");
	sbuf_addf(sb, "%d -o ControlPath=", s->shared ? PERSIST_SHARED_S : PERSIST_OWN_S);
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

/* Starts `sh -c line` with its stdin, stdout and stderr on the fds
 * given (-1: /dev/null), in a process group of its own when group (a
 * timeout then ends ssh and what it started): 0 with *pid, or an errno
 * value. */
static int spawn_line(const char *line, int in, int out, int err, bool group, pid_t *pid)
{
	char sh[] = "sh", dash_c[] = "-c", *l = xstrdup(line);
	char *argv[] = {sh, dash_c, l, NULL};
	const int fds[3] = {in, out, err};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++) {
		if (fds[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, fds[i], i);
		else
			posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i ? O_WRONLY : O_RDONLY, 0);
	}
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	if (group) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&attr, 0);
	}
	int r = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(l);
	return r;
}

static void shell_lost(struct sw_ssh *s)
{
	close(s->shell_out);
	s->shell_out = s->shell_in = -1;
}

/* script on the lock's session: its stdout and stderr, then a newline
 * and a line with a mark of this call's own and its exit code (the
 * newline first: output need not end with one).  data, when there is
 * some, is the script's stdin: in base64 in a here-document, which the
 * session's shell reads whole before it runs anything, so that what is
 * sent can never be taken for commands. */
static int shell_run(struct sw_ssh *s, const char *script, const void *data, size_t len, int timeout_s, char **out,
		     char **err)
{
	char *mark = xasprintf("\n__slipway_%d_%u__ ", (int)getpid(), ++s->shell_n);
	struct sbuf cmd = {0}, so = {0};
	/* The session may have been another process's before (a fleet's
	 * host deploys share their host's, in turn): what a script of one
	 * killed before its end still said comes before this start line. */
	sbuf_addf(&cmd, "printf '%%s\\n' '%sstart'; ", mark + 1);
	if (data)
		sbuf_addf(&cmd, "base64 -d <<'%.*sdata' | ", (int)strlen(mark + 1) - 1, mark + 1);
	sbuf_adds(&cmd, "sh -c ");
	sw_sh_quote(&cmd, script);
	sbuf_adds(&cmd, data ? " 2>&1\n" : " </dev/null 2>&1\n");
	if (data) {
		char *b = sw_base64(data, len, false);
		for (size_t i = 0, n = strlen(b); i < n; i += 76) {
			sbuf_add(&cmd, b + i, n - i < 76 ? n - i : 76);
			sbuf_addc(&cmd, '\n');
		}
		free(b);
		sbuf_addf(&cmd, "%.*sdata\n", (int)strlen(mark + 1) - 1, mark + 1);
	}
	sbuf_addf(&cmd, "printf '\\n%%s %%s\\n' %s $?\n", mark + 1);
	int64_t deadline = sw_mono_ms() + (int64_t)timeout_s * 1000;
	bool sent = true;
	signal(SIGPIPE, SIG_IGN);
	int code = -1;
	size_t mlen = strlen(mark), done = 0;
	char *start = xasprintf("%sstart\n", mark + 1);
	size_t slen = strlen(start);
	bool started = false;
	while (sent) {
		char *st = !started && so.len ? memmem(so.buf, so.len, start, slen) : NULL;
		if (st) {
			size_t skip = (size_t)(st - so.buf) + slen;
			memmove(so.buf, so.buf + skip, so.len - skip);
			so.len -= skip;
			started = true;
		}
		char *m = started && so.len ? memmem(so.buf, so.len, mark, mlen) : NULL;
		if (m && memchr(m + mlen, '\n', so.len - (size_t)(m - so.buf) - mlen)) {
			code = atoi(m + mlen);
			so.len = (size_t)(m - so.buf);
			so.buf[so.len] = '\0';
			break;
		}
		/* What is sent goes a pipe's atomic write at a time, and what
		 * the session says is read meanwhile: neither end waits for
		 * the other, and the deadline holds for both. */
		int64_t left = deadline - sw_mono_ms();
		struct pollfd p[2] = {{.fd = s->shell_out, .events = POLLIN},
				      {.fd = done < cmd.len ? s->shell_in : -1, .events = POLLOUT}};
		if (left <= 0 || (poll(p, 2, (int)left) < 0 && errno != EINTR))
			break;
		if (p[0].revents && !drain(s->shell_out, &so))
			break;
		if (p[1].revents & (POLLERR | POLLHUP)) {
			sent = false;
		} else if (p[1].revents) {
			size_t chunk = cmd.len - done < PIPE_BUF ? cmd.len - done : PIPE_BUF;
			ssize_t n = write(s->shell_in, cmd.buf + done, chunk);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				sent = false;
			done += n > 0 ? (size_t)n : 0;
		}
	}
	sbuf_free(&cmd);
	free(mark);
	free(start);
	if (code < 0) {
		/* The session is gone, or a script of ours hangs in it: the
		 * lock cannot be trusted to be held any more. */
		*err = sw_mono_ms() >= deadline ? xasprintf("%s did not answer within %d s", s->url, timeout_s)
						 : xasprintf("lost the session holding the lock on %s", s->url);
		shell_lost(s);
		sbuf_free(&so);
		return -1;
	}
	if (code) {
		char *why = last_line(&so);
		*err = *why ? xasprintf("on %s: %s (exit code %d)", s->url, why, code)
			    : xasprintf("on %s: exit code %d", s->url, code);
		free(why);
		if (out && data)
			*out = so.buf ? so.buf : xstrdup("");
		else
			sbuf_free(&so);
		return -1;
	}
	if (out)
		*out = so.buf ? so.buf : xstrdup("");
	else
		sbuf_free(&so);
	return 0;
}

int sw_ssh_run_input(struct sw_ssh *s, const char *script, const void *data, size_t len, int timeout_s, char **out,
		     char **err)
{
	if (out)
		*out = NULL;
	if (s->shell_in < 0)
		return 1;
	return shell_run(s, script, data ? data : "", len, timeout_s, out, err);
}

int sw_ssh_run(struct sw_ssh *s, const char *script, int timeout_s, char **out, char **err)
{
	int in[2], o[2], e[2];
	if (out)
		*out = NULL;
	/* No session of its own: each costs the target's shell start. */
	if (s->shell_in >= 0)
		return shell_run(s, script, NULL, 0, timeout_s, out, err);
	if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) {
		*err = xasprintf("cannot run ssh: %s", strerror(errno));
		return -1;
	}
	char *line = sw_ssh_line(s, "sh -s");
	pid_t pid;
	int r = spawn_line(line, in[0], o[1], e[1], true, &pid);
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

static void pend_clear(struct sw_ssh *s)
{
	if (s->pend_err >= 0)
		close(s->pend_err);
	if (s->pend_errpath)
		unlink(s->pend_errpath);
	free(s->pend_errpath);
	s->pend_errpath = NULL;
	s->pend_err = s->pend_in = s->pend_out = -1;
	s->pend_pid = 0;
}

int sw_ssh_lock_begin(struct sw_ssh *s, const char *dir, const char *lock, char **err)
{
	struct sbuf remote = {0};
	sbuf_adds(&remote, "mkdir -p ");
	sw_sh_quote(&remote, dir);
	sbuf_adds(&remote, " && exec flock -n ");
	sw_sh_quote(&remote, lock);
	sbuf_adds(&remote, " sh -c 'echo locked; exec sh'");
	char *line = sw_ssh_line(s, remote.buf);
	sbuf_free(&remote);
	/* ssh's complaints go to a file in our private directory: read if
	 * it fails, and nobody's to drain once it holds. */
	static unsigned n;
	s->pend_errpath = xasprintf("%s/lock.%d.%u.err", s->control_dir, (int)getpid(), ++n);
	s->pend_err = open(s->pend_errpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int in[2] = {-1, -1}, out[2] = {-1, -1}, e = 0;
	if (s->pend_err < 0 || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		e = errno;
	else
		e = spawn_line(line, in[0], out[1], s->pend_err, false, &s->pend_pid);
	free(line);
	if (in[0] >= 0)
		close(in[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (e) {
		*err = xasprintf("cannot lock %s on %s: %s", lock, s->url, strerror(e));
		if (in[1] >= 0)
			close(in[1]);
		if (out[0] >= 0)
			close(out[0]);
		pend_clear(s);
		return -1;
	}
	s->pend_in = in[1];
	s->pend_out = out[0];
	return 0;
}

int sw_ssh_lock_wait(struct sw_ssh *s, int *code, char **err)
{
	*code = -1;
	if (s->pend_pid <= 0) {
		*err = xasprintf("cannot lock on %s: no lock was asked for", s->url);
		return -1;
	}
	/* Exactly the line: what follows is the shell's to say. */
	char buf[8] = "";
	size_t n = 0;
	int64_t deadline = sw_mono_ms() + LOCK_WAIT_S * 1000;
	while (n < 7) {
		struct pollfd pfd = {.fd = s->pend_out, .events = POLLIN};
		int64_t left = deadline - sw_mono_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		ssize_t got = read(s->pend_out, buf + n, 7 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	if (n == 7 && !memcmp(buf, "locked\n", 7)) {
		s->shell_in = s->pend_in;
		s->shell_out = s->pend_out;
		s->shell_pid = s->pend_pid;
		pend_clear(s);
		return s->shell_in;
	}
	close(s->pend_in);
	close(s->pend_out);
	int status = 0;
	while (waitpid(s->pend_pid, &status, 0) < 0 && errno == EINTR)
		;
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (*code == 255) {
		size_t len = 0;
		struct sbuf se = {.buf = sw_read_file(s->pend_errpath, &len)};
		se.len = se.buf ? len : 0;
		char *why = last_line(&se);
		*err = connect_error(s, why);
		free(why);
		free(se.buf);
	}
	pend_clear(s);
	return -1;
}

int sw_ssh_lock(struct sw_ssh *s, const char *dir, const char *lock, int *code, char **err)
{
	*code = -1;
	return sw_ssh_lock_begin(s, dir, lock, err) ? -1 : sw_ssh_lock_wait(s, code, err);
}

void sw_ssh_shell(const struct sw_ssh *s, int *in, int *out)
{
	*in = s->shell_in;
	*out = s->shell_out;
}

void sw_ssh_adopt(struct sw_ssh *s, int in, int out)
{
	s->shell_in = in;
	s->shell_out = out;
	s->shell_pid = 0;
}

void sw_ssh_unlock(struct sw_ssh *s)
{
	if (s->shell_in >= 0)
		close(s->shell_in);
	if (s->shell_out >= 0)
		close(s->shell_out);
	s->shell_in = s->shell_out = -1;
	if (s->pend_in >= 0)
		close(s->pend_in);
	if (s->pend_out >= 0)
		close(s->pend_out);
	s->pend_in = s->pend_out = -1;
}

void sw_ssh_disconnect(struct sw_ssh *s)
{
	/* A lock's session still being opened when we let go of it ends by
	 * itself (its shell reads the end of its stdin), leaving its master
	 * behind for the exit below; one that holds the lock ends with the
	 * master, even with a script of ours hung in it. */
	if (s->pend_pid > 0 && s->pend_in < 0) {
		while (waitpid(s->pend_pid, NULL, 0) < 0 && errno == EINTR)
			;
		pend_clear(s);
	}
	struct sbuf sb = {0};
	ssh_prefix(s, &sb, "-O exit");
	pid_t pid;
	if (spawn_line(sb.buf, -1, -1, -1, false, &pid) == 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	sbuf_free(&sb);
	if (s->shell_pid > 0 && s->shell_in < 0) {
		while (waitpid(s->shell_pid, NULL, 0) < 0 && errno == EINTR)
			;
		s->shell_pid = 0;
	}
}

void sw_ssh_close(struct sw_ssh *s, bool end_master)
{
	if (!s)
		return;
	if (s->shell_out >= 0)
		close(s->shell_out);
	if (s->pend_out >= 0)
		close(s->pend_out);
	if (s->pend_in >= 0)
		close(s->pend_in);
	if (end_master && !s->shared && s->control_dir) {
		sw_ssh_disconnect(s);
		sw_remove_tree(s->control_dir);
	}
	pend_clear(s);
	free(s->control_dir);
	free(s->url);
	free(s->user);
	free(s->host);
	free(s->port);
	free(s);
}
