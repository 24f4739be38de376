/* Allocation, buffers, time and text helpers shared by the core and faces. */
#include "slipway/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void out_of_memory(void)
{
	static const char msg[] = "slipway: out of memory\n";
	ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)r;
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

int sw_split_words(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(line, " \t\r", &save); tok && n < max; tok = strtok_r(NULL, " \t\r", &save))
		w[n++] = tok;
	return n;
}

char *xstrdup_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		out_of_memory();
	char *s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void sbuf_init(struct sbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void sbuf_free(struct sbuf *sb)
{
	free(sb->buf);
	sbuf_init(sb);
}

static void sbuf_grow(struct sbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < sb->len + extra + 1)
		cap *= 2;
	sb->buf = xrealloc(sb->buf, cap);
	sb->cap = cap;
}

void sbuf_add(struct sbuf *sb, const char *data, size_t len)
{
	sbuf_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sbuf_adds(struct sbuf *sb, const char *s)
{
	sbuf_add(sb, s, strlen(s));
}

void sbuf_addc(struct sbuf *sb, char c)
{
	sbuf_add(sb, &c, 1);
}

void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	sbuf_adds(sb, s);
	free(s);
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *sbuf_detach(struct sbuf *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");
	sbuf_init(sb);
	return s;
}

void strlist_add(struct strlist *l, const char *s)
{
	if (l->len + 1 >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xrealloc(l->items, l->cap * sizeof *l->items);
	}
	l->items[l->len++] = xstrdup(s);
	l->items[l->len] = NULL;
}

void strlist_add_all(struct strlist *l, const char *const *v)
{
	for (; *v; v++)
		strlist_add(l, *v);
}

void strlist_addf(struct strlist *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_add(l, s);
	free(s);
}

bool strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->len = l->cap = 0;
}

/* SLIPWAY_NOW (seconds since the epoch) pins the wall clock: every time a
 * run records, and every age and duration shown, come out the same on
 * each machine, so tests can compare whole screens. */
int64_t sw_now_ms(void)
{
	const char *pinned = getenv("SLIPWAY_NOW");
	if (pinned && *pinned)
		return (int64_t)strtoll(pinned, NULL, 10) * 1000;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sw_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sw_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void sw_iso_time(time_t t, char out[32])
{
	struct tm tm;
	out[0] = '\0';
	if (t < 0 || !gmtime_r(&t, &tm))
		return;
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t sw_parse_iso_time(const char *s)
{
	struct tm tm = {0};
	if (!s)
		return -1;
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	return timegm(&tm);
}

time_t sw_parse_rfc3339(const char *s)
{
	struct tm tm = {0};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	time_t t = timegm(&tm);
	/* +HH:MM, digits only, within a day: anything else is no offset
	 * (and no atoi of an unbounded number). */
	bool digits = (*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		      p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5]);
	if (digits) {
		long hours = (p[1] - '0') * 10 + (p[2] - '0'), minutes = (p[4] - '0') * 10 + (p[5] - '0');
		if (hours < 24 && minutes < 60)
			t += (*p == '+' ? -1 : 1) * (hours * 3600L + minutes * 60L);
	}
	return t;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool sw_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_seq_len(p + i, len - i)))
			return false;
	return true;
}

static const char replacement[] = "\xef\xbf\xbd";

void sw_utf8_clean(struct sbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;
	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		sbuf_add(sb, s + start, i - start);
		sbuf_add(sb, replacement, 3);
		i++;
		start = i;
	}
	sbuf_add(sb, s + start, i - start);
}

void sw_term_clean(struct sbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0) {
			sbuf_add(sb, replacement, 3);
			i++;
		} else if (n == 1 && p[i] == '\t') {
			sbuf_addc(sb, ' ');
			i++;
		} else if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			sbuf_addc(sb, '^');
			sbuf_addc(sb, p[i] == 0x7f ? '?' : (char)(p[i] + 0x40));
			i++;
		} else if (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			/* C1 controls (U+0080..U+009F) act as escapes on some terminals. */
			sbuf_addf(sb, "\\u%04x", p[i + 1]);
			i += 2;
		} else {
			sbuf_add(sb, s + i, n);
			i += n;
		}
	}
}

static int fsync_dir_of(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) ? -errno : 0;
	close(fd);
	return r;
}

/* A new file at tmp: one left there (a crash, a failed unlink) may be a
 * record that a reader still has open, so it is replaced, not truncated. */
static int create_tmp(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	return fd;
}

static char *tmp_name(const char *path)
{
	return xasprintf("%s.tmp.%ld", path, (long)getpid());
}

/* The whole of data in a new file at tmp, fsync'ed with durable. */
static int write_tmp(const char *tmp, const char *data, size_t len, bool durable)
{
	int fd = create_tmp(tmp);
	if (fd < 0)
		return -errno;
	int err = 0;
	size_t off = 0;
	while (off < len && !err) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno != EINTR)
			err = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (!err && durable && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Unless writing it failed (err), tmp is renamed over path, and with
 * durable the directory fsync'ed; else it is removed.  Frees tmp. */
static int put_in_place(char *tmp, const char *path, int err, bool durable)
{
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	else if (durable)
		err = fsync_dir_of(path);
	free(tmp);
	return err;
}

int sw_write_atomic(const char *path, const char *data, size_t len, bool durable)
{
	char *tmp = tmp_name(path);
	return put_in_place(tmp, path, write_tmp(tmp, data, len, durable), durable);
}

/* kept becomes a second name of the fsync'ed file at tmp, in one step (a
 * name beside it, renamed over it): at every moment kept holds one whole
 * durable version or the other. */
static int link_kept(const char *tmp, const char *kept)
{
	char *ktmp = tmp_name(kept);
	int err = link(tmp, ktmp) ? -errno : 0;
	if (err == -EEXIST && unlink(ktmp) == 0)
		err = link(tmp, ktmp) ? -errno : 0;
	if (!err && rename(ktmp, kept))
		err = -errno;
	if (err)
		unlink(ktmp);
	free(ktmp);
	return err;
}

/* Renaming over a file makes ext4 allocate the new one's blocks at once
 * (auto_da_alloc), so the file it replaces always has blocks to free, and
 * with `discard` and no journal each free waits for the device: 0.1-3.7 ms
 * a rename on the benchmark's machine, more than a stage of `true`.
 * Swapped in with RENAME_EXCHANGE and the old one unlinked, a record
 * rewritten at every stage gets no blocks unless it lives long enough for
 * writeback.  What that gives up is auto_da_alloc's promise on a
 * journaling ext4: after a power loss (not a kill: the kernel's view is
 * whole at every step) a file swapped in and never fsync'ed can be found
 * empty.  The version before it would not help (it was not fsync'ed
 * either), so the last durable one is kept at a second name, which the
 * swaps leave alone: unlinking the old record then frees nothing either. */
int sw_write_kept(const char *path, const char *kept, const char *data, size_t len, bool durable)
{
	char *tmp = tmp_name(path);
	int err = write_tmp(tmp, data, len, durable);
	if (!err && !durable && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
		unlink(tmp);
		free(tmp);
		return 0;
	}
	/* Not durable: no RENAME_EXCHANGE here, or no file at path yet.  A
	 * file system without hard links keeps no fallback: not worth a
	 * failed save. */
	if (!err && durable)
		link_kept(tmp, kept);
	return put_in_place(tmp, path, err, durable);
}

char *sw_read_fd(int fd, size_t *lenp)
{
	struct sbuf sb;
	sbuf_init(&sb);
	char chunk[65536];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			sbuf_free(&sb);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		if (sb.len + (size_t)r > SW_READ_MAX) {
			sbuf_free(&sb);
			errno = EFBIG;
			return NULL;
		}
		sbuf_add(&sb, chunk, (size_t)r);
	}
	if (lenp)
		*lenp = sb.len;
	return sbuf_detach(&sb);
}

char *sw_read_file(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *text = sw_read_fd(fd, lenp);
	int e = errno;
	close(fd);
	errno = e;
	return text;
}

int sw_mkdirs(const char *path, int mode)
{
	char *p = xstrdup(path);
	int err = 0;
	for (char *s = p + 1; *s && !err; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) && errno != EEXIST)
			err = -errno;
		*s = '/';
	}
	if (!err && mkdir(p, (mode_t)mode) && errno != EEXIST)
		err = -errno;
	free(p);
	return err;
}

int sw_remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) ? -errno : 0;
	/* Trees checked out from git may hold read-only directories. */
	chmod(path, 0700);
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	int err = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *child = xasprintf("%s/%s", path, de->d_name);
		int r = sw_remove_tree(child);
		if (r && !err)
			err = r;
		free(child);
	}
	closedir(d);
	if (rmdir(path) && !err)
		err = -errno;
	return err;
}

bool sw_glob_match(const char *pattern, const char *name)
{
	return fnmatch(pattern, name, 0) == 0;
}

size_t sw_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xmalloc((lb + 1) * sizeof *row);
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

/* strtod follows LC_NUMERIC, which the dashboard may set to a locale with a
 * decimal comma; the tools and XML reports always print '.'. */
bool sw_parse_number(const char *s, size_t len, double *out)
{
	char buf[64], *end;
	if (!s || len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *dot = strchr(buf, '.');
	if (dot)
		*dot = *localeconv()->decimal_point;
	double v = strtod(buf, &end);
	if (end != buf + len || !isfinite(v))
		return false;
	*out = v;
	return true;
}

void sw_spawn_output_to(posix_spawn_file_actions_t *fa, int out_fd, const char *dir)
{
	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(fa, out_fd, STDERR_FILENO);
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
	posix_spawn_file_actions_addchdir_np(fa, dir);
}

const char *sw_env_lookup(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

void sw_format_age(time_t t, char *out, size_t n)
{
	long d = (long)(sw_now_ms() / 1000 - t);
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(out, n, "%lds", d);
	else if (d < 3600)
		snprintf(out, n, "%ldm", d / 60);
	else if (d < 86400)
		snprintf(out, n, "%ldh", d / 3600);
	else
		snprintf(out, n, "%ldd", d / 86400);
}

void sw_format_duration(int64_t ms, char *out, size_t n)
{
	if (ms < 60000)
		snprintf(out, n, "%.1fs", (double)ms / 1000);
	else
		snprintf(out, n, "%ldm%02lds", (long)(ms / 60000), (long)(ms / 1000 % 60));
}

bool sw_parse_record_id(const char *text, long *id)
{
	const char *num = text + (text[0] == '#');
	char *end;
	errno = 0;
	long n = strtol(num, &end, 10);
	/* strtol also takes blanks and signs: " 3" and "+3" are not ids. */
	if (*num < '0' || *num > '9' || errno || *end || n <= 0)
		return false;
	*id = n;
	return true;
}

static int cmp_id_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x < y) - (x > y);
}

long *sw_list_ids(const char *dir, const char *suffix, size_t *n)
{
	long *ids = NULL;
	size_t cap = 0, slen = strlen(suffix);
	*n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len <= slen || strcmp(e->d_name + len - slen, suffix) || e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char *num = xstrndup(e->d_name, len - slen);
		long id;
		bool ok = sw_parse_record_id(num, &id);
		free(num);
		if (!ok)
			continue;
		if (*n == cap)
			ids = xrealloc(ids, (cap = cap ? 2 * cap : 16) * sizeof *ids);
		ids[(*n)++] = id;
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(ids, *n, sizeof *ids, cmp_id_desc);
	return ids;
}

char *sw_base64(const void *data, size_t n, bool url)
{
	static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *abc = url ? safe : std;
	const unsigned char *in = data;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		*o++ = abc[v >> 18 & 63];
		*o++ = abc[v >> 12 & 63];
		*o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*o = '\0';
	return out;
}
