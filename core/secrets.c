/* Secret lookup and masking.  Values live only in memory: the executor is
 * forked from the command that starts a run, so they never touch disk. */
#include "slipway/secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

size_t sw_secrets_longest(const struct sw_secrets *s)
{
	size_t longest = 0;
	for (size_t i = 0; i < s->npatterns; i++)
		if (!s->patterns[i].multiline && s->patterns[i].len > longest)
			longest = s->patterns[i].len;
	return longest;
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
