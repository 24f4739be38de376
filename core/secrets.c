/* Secret lookup and masking.  Values live only in memory: the executor is
 * forked from the command that starts a run, so they never touch disk. */
#include "slipway/secrets.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *sw_secrets_file_path(void)
{
	const char *p = getenv("SLIPWAY_SECRETS_FILE");
	if (p && *p)
		return xstrdup(p);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && *xdg)
		return xasprintf("%s/slipway/secrets", xdg);
	const char *home = getenv("HOME");
	return xasprintf("%s/.config/slipway/secrets", home ? home : ".");
}

/* Lines of a multi-line value shorter than this are not masked on their
 * own: a "}" or "--" line would mask every such line of every log. */
#define MIN_LINE_PATTERN 4
/* Files are masked in windows of at least this many bytes. */
#define MASK_WINDOW (256 * 1024)
#define READ_CHUNK (64 * 1024)
/* How deep masking goes into the directories a stage leaves. */
#define MAX_DEPTH 32

static void add_item(struct sw_secrets *s, const char *name, const char *value)
{
	s->items = xrealloc(s->items, (s->n + 1) * sizeof *s->items);
	s->items[s->n].name = xstrdup(name);
	s->items[s->n].value = xstrdup(value);
	s->n++;
}

static void add_pattern(struct sw_secrets *s, const char *bytes, size_t len)
{
	if (!len)
		return;
	s->patterns = xrealloc(s->patterns, (s->npatterns + 1) * sizeof *s->patterns);
	s->patterns[s->npatterns++] = (struct sw_secret_pattern){bytes, len, memchr(bytes, '\n', len) != NULL};
}

/* The line at p (before end): its length without a trailing '\r'; *next
 * is where the following one starts. */
static size_t line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = (size_t)((nl ? nl : end) - p);
	*next = nl ? nl + 1 : end;
	return n && p[n - 1] == '\r' ? n - 1 : n;
}

/* The patterns point into the value, which outlives them. */
static void add_patterns(struct sw_secrets *s, const char *v)
{
	const char *end = v + strlen(v);
	/* Line ends around a value are not part of it as a program prints it. */
	while (v < end && (*v == '\n' || *v == '\r'))
		v++;
	while (end > v && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	add_pattern(s, v, (size_t)(end - v));
	if (!memchr(v, '\n', (size_t)(end - v)))
		return;
	for (const char *p = v, *next; p < end; p = next) {
		size_t n = line_at(p, end, &next);
		if (n >= MIN_LINE_PATTERN)
			add_pattern(s, p, n);
	}
}

void sw_secrets_add(struct sw_secrets *s, const char *name, const char *value)
{
	add_item(s, name, value);
	add_patterns(s, s->items[s->n - 1].value);
}

/* Parses KEY=VALUE lines; blank lines and # comments are allowed. */
static int parse_secrets_file(const char *file, const char *text, struct sw_secrets *all, char **err)
{
	int lineno = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		char *line = xstrndup(p, len);
		char *eq = strchr(line, '=');
		bool blank = strspn(line, " \t\r") == len || line[strspn(line, " \t")] == '#';
		if (!blank && (!eq || eq == line)) {
			*err = xasprintf("%s:%d: expected KEY=VALUE", file, lineno);
			free(line);
			return -1;
		}
		if (!blank) {
			*eq = '\0';
			size_t vlen = strlen(eq + 1);
			if (vlen && eq[vlen] == '\r')
				eq[vlen] = '\0';
			add_item(all, line, eq + 1);
		}
		free(line);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

static int read_secrets_file(const char *file, struct sw_secrets *all, char **err)
{
	struct stat sb;
	if (stat(file, &sb))
		return 0;
	if (sb.st_mode & 077) {
		*err = xasprintf("%s: mode %03o lets others read it; run: chmod 600 %s",
				 file, (unsigned)(sb.st_mode & 0777), file);
		return -1;
	}
	char *text = sw_read_file(file, NULL);
	if (!text) {
		*err = xasprintf("%s: cannot read: %s", file, strerror(errno));
		return -1;
	}
	int r = parse_secrets_file(file, text, all, err);
	free(text);
	return r;
}

/* A longer pattern could be cut through where the executor cuts a long
 * line (emit_part): the run is refused rather than a secret shown. */
static int check_length(const struct sw_secrets *s, size_t first, const char *name, char **err)
{
	size_t longest = 0;
	bool multiline = first < s->npatterns && s->patterns[first].multiline;
	for (size_t i = first; i < s->npatterns; i++)
		if (!s->patterns[i].multiline && s->patterns[i].len > longest)
			longest = s->patterns[i].len;
	if (longest <= SW_SECRET_MAX)
		return 0;
	if (multiline)
		*err = xasprintf("secret %s has a line of %zu bytes: slipway masks secret lines of at most %d bytes",
				 name, longest, SW_SECRET_MAX);
	else
		*err = xasprintf("secret %s is %zu bytes long: slipway masks secrets of at most %d bytes",
				 name, longest, SW_SECRET_MAX);
	return -1;
}

int sw_secrets_collect(const struct strlist *names, char *const *env, const char *file,
		       struct sw_secrets *out, struct strlist *missing, char **err)
{
	struct sw_secrets from_file = {0};
	memset(out, 0, sizeof *out);
	if (names->len && file && read_secrets_file(file, &from_file, err)) {
		sw_secrets_free(&from_file);
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < names->len && !r; i++) {
		const char *v = sw_env_lookup(env, names->items[i]);
		for (size_t j = 0; !v && j < from_file.n; j++)
			if (strcmp(from_file.items[j].name, names->items[i]) == 0)
				v = from_file.items[j].value;
		size_t first = out->npatterns;
		if (!v) {
			strlist_add(missing, names->items[i]);
			continue;
		}
		sw_secrets_add(out, names->items[i], v);
		r = check_length(out, first, names->items[i], err);
	}
	sw_secrets_free(&from_file);
	if (r)
		sw_secrets_free(out);
	return r;
}

/* ---- masking: the union of every occurrence, in one pass ---- */

struct range {
	size_t start, end;
};

struct ranges {
	struct range *r;
	size_t n, cap;
};

static void add_range(struct ranges *rs, size_t start, size_t end)
{
	struct range *last = rs->n ? &rs->r[rs->n - 1] : NULL;
	/* One pattern's occurrences come in order: most join the last here. */
	if (last && start >= last->start && start <= last->end) {
		if (end > last->end)
			last->end = end;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 8;
		rs->r = xrealloc(rs->r, rs->cap * sizeof *rs->r);
	}
	rs->r[rs->n++] = (struct range){start, end};
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted, and apart by at least one byte: each range becomes one "***",
 * so no byte of an occurrence overlapping another one is left out. */
static void merge_ranges(struct ranges *rs)
{
	if (rs->n < 2)
		return;
	qsort(rs->r, rs->n, sizeof *rs->r, cmp_range);
	size_t last = 0;
	for (size_t i = 1; i < rs->n; i++) {
		if (rs->r[i].start > rs->r[last].end)
			rs->r[++last] = rs->r[i];
		else if (rs->r[i].end > rs->r[last].end)
			rs->r[last].end = rs->r[i].end;
	}
	rs->n = last + 1;
}

/* Every occurrence of every pattern, overlapping ones too.  Nothing is
 * allocated when there is none: most lines hold no secret. */
static size_t find_ranges(const struct sw_secrets *s, const char *buf, size_t len, struct ranges *rs)
{
	for (size_t i = 0; i < s->npatterns && len; i++) {
		const struct sw_secret_pattern *p = &s->patterns[i];
		const char *at = buf, *end = buf + len, *hit;
		while ((hit = memmem(at, (size_t)(end - at), p->bytes, p->len))) {
			size_t start = (size_t)(hit - buf);
			add_range(rs, start, start + p->len);
			at = hit + 1;
		}
	}
	merge_ranges(rs);
	return rs->n;
}

/* buf[0, len) with each range that ends within it as "***". */
static void put_masked(struct sbuf *out, const char *buf, size_t len, const struct ranges *rs)
{
	size_t at = 0;
	for (size_t i = 0; i < rs->n && rs->r[i].end <= len; i++) {
		sbuf_add(out, buf + at, rs->r[i].start - at);
		sbuf_adds(out, "***");
		at = rs->r[i].end;
	}
	sbuf_add(out, buf + at, len - at);
}

void sw_secrets_mask(const struct sw_secrets *s, struct sbuf *sb)
{
	struct ranges rs = {0};
	if (!find_ranges(s, sb->buf, sb->len, &rs))
		return;
	struct sbuf out;
	sbuf_init(&out);
	put_masked(&out, sb->buf, sb->len, &rs);
	free(rs.r);
	sbuf_free(sb);
	*sb = out;
}

bool sw_secrets_mask_text(const struct sw_secrets *s, char **text)
{
	struct ranges rs = {0};
	size_t len = *text ? strlen(*text) : 0;
	if (!find_ranges(s, *text, len, &rs))
		return false;
	struct sbuf out;
	sbuf_init(&out);
	put_masked(&out, *text, len, &rs);
	free(rs.r);
	free(*text);
	*text = sbuf_detach(&out);
	return true;
}

/* The mask is found on the raw bytes first: masking a short secret before
 * the cut is chosen could break a longer one that runs across it. */
size_t sw_secrets_cut(const struct sw_secrets *s, const char *buf, size_t len, size_t hold,
		      struct sbuf *masked)
{
	struct ranges rs = {0};
	size_t cut = hold < len ? len - hold : len;
	find_ranges(s, buf, len, &rs);
	for (size_t i = 0; i < rs.n; i++) {
		if (rs.r[i].start < cut && cut < rs.r[i].end) {
			cut = rs.r[i].start >= len / 2 ? rs.r[i].start : rs.r[i].end;
			break;
		}
	}
	put_masked(masked, buf, cut, &rs);
	free(rs.r);
	return cut;
}

static size_t longest_pattern(const struct sw_secrets *s, bool multiline_too)
{
	size_t longest = 0;
	for (size_t i = 0; i < s->npatterns; i++)
		if ((multiline_too || !s->patterns[i].multiline) && s->patterns[i].len > longest)
			longest = s->patterns[i].len;
	return longest;
}

size_t sw_secrets_longest(const struct sw_secrets *s)
{
	return longest_pattern(s, false);
}

/* ---- masking the files a stage leaves ---- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends up to READ_CHUNK bytes of fd; 0 at its end, -errno. */
static ssize_t read_more(int fd, struct sbuf *buf, char *chunk)
{
	for (;;) {
		ssize_t n = read(fd, chunk, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		sbuf_add(buf, chunk, (size_t)n);
		return n;
	}
}

/* Masks what buf holds but its last hold bytes, which stay for the next
 * window, writing it to out unless out < 0.  1 when masking changed
 * something, 0 when not, -errno. */
static int mask_window(const struct sw_secrets *s, struct sbuf *buf, size_t hold, int out)
{
	if (!buf->len)
		return 0;
	struct sbuf masked;
	sbuf_init(&masked);
	size_t cut = sw_secrets_cut(s, buf->buf, buf->len, hold, &masked);
	int r = masked.len != cut || memcmp(masked.buf, buf->buf, cut) ? 1 : 0;
	int w = out >= 0 ? write_all(out, masked.buf, masked.len) : 0;
	sbuf_free(&masked);
	memmove(buf->buf, buf->buf + cut, buf->len - cut);
	buf->len -= cut;
	buf->buf[buf->len] = '\0';
	return w ? w : r;
}

/* Reads in to its end, masking it in windows cut as a long output line is
 * (sw_secrets_cut); writes the result to out unless out < 0, when it stops
 * at the first change.  1 when masking changed something, 0, -errno. */
static int mask_stream(const struct sw_secrets *s, int in, int out, size_t hold)
{
	size_t window = hold > MASK_WINDOW / 4 ? hold * 4 : MASK_WINDOW;
	char *chunk = xmalloc(READ_CHUNK);
	struct sbuf buf;
	sbuf_init(&buf);
	int r = 0, changed = 0;
	for (;;) {
		ssize_t n = read_more(in, &buf, chunk);
		if (n > 0 && buf.len < window)
			continue;
		/* At the end of the file, nothing is kept back. */
		r = n < 0 ? (int)n : mask_window(s, &buf, n ? hold : 0, out);
		changed |= r > 0;
		if (r < 0 || n == 0 || (changed && out < 0))
			break;
	}
	free(chunk);
	sbuf_free(&buf);
	return r < 0 ? r : changed;
}

/* Replaces path by a masked copy made beside it in dir.  0 or -errno. */
static int rewrite_masked(const struct sw_secrets *s, int in, const char *dir, const char *path,
			  mode_t mode, size_t hold)
{
	char *tmp = xasprintf("%s/.slipway-mask-XXXXXX", dir);
	int out = mkostemp(tmp, O_CLOEXEC);
	int r = out < 0 ? -errno : 0;
	if (!r && (fchmod(out, mode & 0777) || lseek(in, 0, SEEK_SET) < 0))
		r = -errno;
	if (!r)
		r = mask_stream(s, in, out, hold);
	if (out >= 0 && close(out) && r >= 0)
		r = -errno;
	if (out >= 0 && r >= 0 && rename(tmp, path))
		r = -errno;
	if (out >= 0 && r < 0)
		unlink(tmp);
	free(tmp);
	return r < 0 ? r : 0;
}

/* Read once to find whether it holds a secret (most files do not), and
 * again to write the masked copy.  0 or -errno. */
static int mask_file(const struct sw_secrets *s, const char *dir, const char *path, size_t hold)
{
	int in = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	int r = fstat(in, &st) ? -errno : S_ISREG(st.st_mode) ? mask_stream(s, in, -1, hold) : 0;
	if (r == 1)
		r = rewrite_masked(s, in, dir, path, st.st_mode, hold);
	close(in);
	return r < 0 ? r : 0;
}

static void mask_dir(const struct sw_secrets *s, const char *dir, size_t hold, int depth,
		     struct strlist *warnings);

static void mask_entry(const struct sw_secrets *s, const char *dir, const char *name, size_t hold,
		       int depth, struct strlist *warnings)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	int r = 0;
	/* lstat: a link the stage left must not make us rewrite its target. */
	if (lstat(path, &st))
		r = errno == ENOENT ? 0 : -errno;
	else if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH)
		mask_dir(s, path, hold, depth + 1, warnings);
	else if (S_ISREG(st.st_mode))
		r = mask_file(s, dir, path, hold);
	if (r < 0)
		strlist_addf(warnings, "%s: cannot mask the secrets it may hold: %s", path, strerror(-r));
	free(path);
}

/* Names first, then the files: a rewrite renames into the directory. */
static void mask_dir(const struct sw_secrets *s, const char *dir, size_t hold, int depth,
		     struct strlist *warnings)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			strlist_addf(warnings, "%s: cannot mask the secrets it may hold: %s", dir, strerror(errno));
		return;
	}
	struct strlist names = {0};
	for (struct dirent *de; (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strlist_add(&names, de->d_name);
	closedir(d);
	for (size_t i = 0; i < names.len; i++)
		mask_entry(s, dir, names.items[i], hold, depth, warnings);
	strlist_free(&names);
}

void sw_secrets_mask_tree(const struct sw_secrets *s, const char *dir, struct strlist *warnings)
{
	/* Files keep their line ends: a multi-line value can be whole in them. */
	size_t longest = longest_pattern(s, true);
	if (longest)
		mask_dir(s, dir, longest - 1, 0, warnings);
}

void sw_secrets_free(struct sw_secrets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		/* Scrub before free: core dumps and reused heap should not keep them. */
		memset(s->items[i].value, 0, strlen(s->items[i].value));
		free(s->items[i].name);
		free(s->items[i].value);
	}
	free(s->items);
	free(s->patterns);
	memset(s, 0, sizeof *s);
}

int sw_secrets_file_value(const char *name, char **value, char **err)
{
	static char *const no_env[] = {NULL};
	struct strlist names = {0}, missing = {0};
	struct sw_secrets found;
	strlist_add(&names, name);
	char *file = sw_secrets_file_path();
	int r = sw_secrets_collect(&names, no_env, file, &found, &missing, err);
	*value = r == 0 && found.n ? xstrdup(found.items[0].value) : NULL;
	if (r == 0)
		sw_secrets_free(&found);
	strlist_free(&names);
	strlist_free(&missing);
	free(file);
	return r;
}
