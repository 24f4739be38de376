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

static void add_secret(struct sw_secrets *s, const char *name, const char *value)
{
	s->items = xrealloc(s->items, (s->n + 1) * sizeof *s->items);
	s->items[s->n].name = xstrdup(name);
	s->items[s->n].value = xstrdup(value);
	s->n++;
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
			add_secret(all, line, eq + 1);
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

int sw_secrets_collect(const struct strlist *names, char *const *env, const char *file,
		       struct sw_secrets *out, struct strlist *missing, char **err)
{
	struct sw_secrets from_file = {0};
	memset(out, 0, sizeof *out);
	if (names->len && file && read_secrets_file(file, &from_file, err)) {
		sw_secrets_free(&from_file);
		return -1;
	}
	for (size_t i = 0; i < names->len; i++) {
		const char *v = sw_env_lookup(env, names->items[i]);
		for (size_t j = 0; !v && j < from_file.n; j++)
			if (strcmp(from_file.items[j].name, names->items[i]) == 0)
				v = from_file.items[j].value;
		if (v)
			add_secret(out, names->items[i], v);
		else
			strlist_add(missing, names->items[i]);
	}
	sw_secrets_free(&from_file);
	return 0;
}

static void mask_one(struct sbuf *sb, const char *value)
{
	size_t vlen = strlen(value);
	if (!vlen || !sb->buf || !memmem(sb->buf, sb->len, value, vlen))
		return;
	struct sbuf out;
	sbuf_init(&out);
	const char *p = sb->buf, *end = sb->buf + sb->len;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), value, vlen);
		if (!hit) {
			sbuf_add(&out, p, (size_t)(end - p));
			break;
		}
		sbuf_add(&out, p, (size_t)(hit - p));
		sbuf_adds(&out, "***");
		p = hit + vlen;
	}
	sbuf_free(sb);
	*sb = out;
}

void sw_secrets_mask(const struct sw_secrets *s, struct sbuf *sb)
{
	for (size_t i = 0; i < s->n; i++)
		mask_one(sb, s->items[i].value);
}

size_t sw_secrets_longest(const struct sw_secrets *s)
{
	size_t longest = 0;
	for (size_t i = 0; i < s->n; i++) {
		size_t len = strlen(s->items[i].value);
		if (len > longest)
			longest = len;
	}
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
	s->items = NULL;
	s->n = 0;
}
