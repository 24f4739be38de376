/* A Python project's coverage floor from its INI and TOML files, and a
 * flake8 run over it, for the gates slipway init writes. */
#include "slipway/pyproject.h"

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

/* ---- INI and simple TOML ---- */

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool is_section(const char *line, const char *section)
{
	size_t n = strlen(section);
	return line[0] == '[' && !strncmp(line + 1, section, n) && line[n + 1] == ']';
}

/* key's value as "key = value" or "key: value", at the line's start. */
static char *key_value(char *line, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n))
		return NULL;
	char *p = line + n;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=' || *p == ':' ? p + 1 : NULL;
}

/* key's value in [section] of text, with its continuation lines (INI's
 * indented ones, or a TOML array's up to its ']'); NULL when absent.
 * *has_section tells whether the section is there at all. */
static char *ini_value(const char *text, const char *section, const char *key, bool *has_section)
{
	char *copy = xstrdup(text), *save = NULL;
	bool in = false, more = false, value = false;
	struct sbuf sb;
	sbuf_init(&sb);
	*has_section = false;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool indented = line[0] == ' ' || line[0] == '\t';
		char *t = trim(line);
		if (value && (more || (indented && *t))) {
			sbuf_addf(&sb, " %s", t);
			more = more && !strchr(t, ']');
			continue;
		}
		if (value)
			break;
		if (t[0] == '[' && !indented) {
			in = is_section(t, section);
			*has_section = *has_section || in;
		} else if (in && !indented && *t != '#' && *t != ';') {
			char *v = key_value(t, key);
			if (v) {
				value = true;
				sbuf_adds(&sb, trim(v));
				more = sb.buf[0] == '[' && !strchr(sb.buf, ']');
			}
		}
	}
	free(copy);
	if (!value) {
		sbuf_free(&sb);
		return NULL;
	}
	return sbuf_detach(&sb);
}

static bool parse_percent(const char *s, double *out)
{
	while (*s && strchr(" \t=\"',", *s))
		s++;
	char *end;
	double v = strtod(s, &end);
	if (end == s || !(v >= 0 && v <= 100))
		return false;
	*out = v;
	return true;
}

/* --cov-fail-under=N, --cov-fail-under N, or a TOML array's
 * "--cov-fail-under", "N". */
static bool addopts_floor(const char *addopts, double *out)
{
	const char *p = strstr(addopts, "--cov-fail-under");
	return p && parse_percent(p + strlen("--cov-fail-under"), out);
}

struct source {
	const char *file, *section;
	bool always;	/* the file decides even without the section */
};

/* The first of sources that the tool would read: its key's text. */
static char *first_value(const char *dir, const struct source *src, size_t n, const char *key,
			 const struct source **from)
{
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, src[i].file);
		char *text = sw_read_file(path, NULL);
		free(path);
		if (!text)
			continue;
		bool has_section;
		char *v = ini_value(text, src[i].section, key, &has_section);
		free(text);
		if (v || has_section || src[i].always) {
			*from = &src[i];
			return v;
		}
	}
	return NULL;
}

bool sw_py_coverage_floor(const char *dir, double *percent, char **where)
{
	static const struct source pytest[] = {
		{"pytest.ini", "pytest", true},
		{"pyproject.toml", "tool.pytest.ini_options", false},
		{"tox.ini", "pytest", false},
		{"setup.cfg", "tool:pytest", false},
	};
	static const struct source coverage[] = {
		{".coveragerc", "report", true},
		{"setup.cfg", "coverage:report", false},
		{"tox.ini", "coverage:report", false},
		{"pyproject.toml", "tool.coverage.report", false},
	};
	const struct source *from = NULL;
	char *v = first_value(dir, pytest, 4, "addopts", &from);
	bool ok = v && addopts_floor(v, percent);
	free(v);
	if (ok) {
		*where = xasprintf("%s [%s] addopts --cov-fail-under", from->file, from->section);
		return true;
	}
	v = first_value(dir, coverage, 4, "fail_under", &from);
	ok = v && parse_percent(v, percent);
	free(v);
	if (ok)
		*where = xasprintf("%s [%s] fail_under", from->file, from->section);
	return ok;
}

/* ---- flake8 ---- */

/* "path:12:5: E501 ..." is a finding; anything else (a warning, a
 * traceback) is not. */
static bool finding_line(const char *s)
{
	for (const char *p = strchr(s, ':'); p; p = strchr(p + 1, ':')) {
		size_t a = strspn(p + 1, "0123456789");
		if (a && p[1 + a] == ':') {
			size_t b = strspn(p + 2 + a, "0123456789");
			if (b && p[2 + a + b] == ':' && p[3 + a + b] == ' ')
				return true;
		}
	}
	return false;
}

struct tally {
	struct sbuf line;
	int findings;
	char last_other[160];	/* the last line that is not a finding: why it failed */
};

static void tally_line(struct tally *t)
{
	if (finding_line(t->line.buf))
		t->findings++;
	else if (t->line.len)
		snprintf(t->last_other, sizeof t->last_other, "%s", t->line.buf);
	sbuf_reset(&t->line);
}

static void tally_bytes(struct tally *t, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			tally_line(t);
		else if (t->line.len < 4096)
			sbuf_addc(&t->line, buf[i]);
	}
}

static int spawn_flake8(const char *dir, const char *python, int out_fd, pid_t *pid)
{
	struct strlist argv = {0};
	strlist_add_all(&argv, (const char *const[]){python, "-m", "flake8", "--extend-exclude", ".venv", NULL});
	posix_spawn_file_actions_t fa;
	sw_spawn_output_to(&fa, out_fd, dir);
	int err = posix_spawn(pid, python, &fa, NULL, argv.items, environ);
	posix_spawn_file_actions_destroy(&fa);
	strlist_free(&argv);
	return err;
}

/* Reads the output to its end or the deadline; false on the deadline. */
static bool read_all(int fd, struct tally *t, int timeout_ms)
{
	int64_t deadline = sw_mono_ms() + timeout_ms;
	char buf[8192];
	for (;;) {
		int64_t left = deadline - sw_mono_ms();
		struct pollfd p = {fd, POLLIN, 0};
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return false;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		tally_bytes(t, buf, (size_t)n);
	}
}

int sw_py_flake8_findings(const char *dir, const char *python, int timeout_ms, char **why)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC)) {
		*why = xasprintf("cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid;
	int err = spawn_flake8(dir, python, fds[1], &pid);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		*why = xasprintf("%s: %s", python, strerror(err));
		return -1;
	}
	struct tally t = {.findings = 0};
	sbuf_init(&t.line);
	bool done = read_all(fds[0], &t, timeout_ms);
	close(fds[0]);
	if (!done)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (t.line.len)
		tally_line(&t);
	sbuf_free(&t.line);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	/* flake8 exits 1 with findings; 1 with none is python's own failure
	 * ("No module named flake8"). */
	if (done && (code == 0 || (code == 1 && t.findings)))
		return t.findings;
	if (!done)
		*why = xasprintf("it did not finish within %d s", timeout_ms / 1000);
	else
		*why = xasprintf("%s -m flake8 exited %d%s%s", python, code, t.last_other[0] ? ": " : "",
				 t.last_other);
	return -1;
}
