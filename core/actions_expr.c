/* ${{ }} expressions resolved into shell text.  GitHub substitutes an
 * expression's value into the script before the shell reads it; here the
 * value is a variable the shell expands, so where the text sits (quotes,
 * here-documents, comments) decides how it is written. */
#include "slipway/actions_expr.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slipway/config.h"
#include "slipway/util.h"

bool sw_expr_has(const char *text)
{
	return text && strstr(text, "${{");
}

static void add_part(struct sw_expr_parts *p, const char *text, size_t len, bool var)
{
	if (!var && len == 0)
		return;
	if (!var && p->n && !p->items[p->n - 1].var) {
		struct sw_expr_part *last = &p->items[p->n - 1];
		size_t old = strlen(last->text);
		last->text = xrealloc(last->text, old + len + 1);
		memcpy(last->text + old, text, len);
		last->text[old + len] = '\0';
		return;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->items = xrealloc(p->items, p->cap * sizeof *p->items);
	}
	p->items[p->n].text = xstrndup(text, len);
	p->items[p->n++].var = var;
}

void sw_expr_parts_free(struct sw_expr_parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->items[i].text);
	free(p->items);
	memset(p, 0, sizeof *p);
}

/* "context.prop" or "context['prop']": the property, or NULL. */
static char *property(const char *expr, const char *context)
{
	size_t n = strlen(context);
	if (strncmp(expr, context, n))
		return NULL;
	const char *p = expr + n;
	if (*p == '.') {
		size_t len = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
		return len && !p[1 + len] ? xstrdup(p + 1) : NULL;
	}
	if (p[0] == '[' && p[1] == '\'') {
		const char *end = strchr(p + 2, '\'');
		if (end && end > p + 2 && !strcmp(end, "']"))
			return xstrndup(p + 2, (size_t)(end - p - 2));
	}
	return NULL;
}

static int secret_var(char *name, const struct sw_expr_ctx *ctx, struct sw_expr_parts *out)
{
	for (char *c = name; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	int r = sw_config_env_name_ok(name) ? 0 : -1;
	if (!r) {
		add_part(out, name, strlen(name), true);
		if (ctx->secrets && !strlist_has(ctx->secrets, name))
			strlist_add(ctx->secrets, name);
	}
	free(name);
	return r;
}

static int env_var(char *name, struct sw_expr_parts *out)
{
	int r = sw_config_env_name_ok(name) ? 0 : -1;
	if (!r)
		add_part(out, name, strlen(name), true);
	free(name);
	return r;
}

/* GitHub compares context properties without regard to case. */
static int matrix_value(char *key, const struct sw_expr_ctx *ctx, struct sw_expr_parts *out)
{
	int r = -1;
	for (size_t i = 0; ctx->matrix_keys && i < ctx->matrix_keys->len && r; i++)
		if (!strcasecmp(ctx->matrix_keys->items[i], key)) {
			const char *v = ctx->matrix_values->items[i];
			add_part(out, v, strlen(v), false);
			r = 0;
		}
	free(key);
	return r;
}

static int github_value(const char *expr, struct sw_expr_parts *out)
{
	static const char *const vars[][2] = {
		{"github.sha", "SLIPWAY_COMMIT"},
		{"github.ref_name", "SLIPWAY_BRANCH"},
		{"github.run_number", "SLIPWAY_RUN"},
	};
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		if (!strcmp(expr, vars[i][0])) {
			add_part(out, vars[i][1], strlen(vars[i][1]), true);
			return 0;
		}
	/* slipway runs branches only, so the ref is always a branch's. */
	if (!strcmp(expr, "github.ref")) {
		add_part(out, "refs/heads/", 11, false);
		add_part(out, "SLIPWAY_BRANCH", 14, true);
		return 0;
	}
	return -1;
}

/* One expression's inside, trimmed; its value appended to out. */
static int eval_one(const char *expr, const struct sw_expr_ctx *ctx, struct sw_expr_parts *out)
{
	char *prop;
	if ((prop = property(expr, "secrets")))
		return secret_var(prop, ctx, out);
	if ((prop = property(expr, "env")))
		return env_var(prop, out);
	if ((prop = property(expr, "matrix")))
		return matrix_value(prop, ctx, out);
	return github_value(expr, out);
}

static char *trimmed(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/* The expression starting at text ("${{"): its trimmed inside and where
 * it ends, or NULL when it never closes. */
static char *expr_at(const char *text, const char **end)
{
	const char *close = strstr(text + 3, "}}");
	if (!close)
		return NULL;
	*end = close + 2;
	return trimmed(text + 3, (size_t)(close - text - 3));
}

static char *describe(const char *inner)
{
	return inner ? xasprintf("${{ %s }}", inner) : xstrdup("${{ without its closing }}");
}

int sw_expr_expand(const char *text, const struct sw_expr_ctx *ctx, struct sw_expr_parts *out, char **bad)
{
	memset(out, 0, sizeof *out);
	for (const char *p = text; *p;) {
		const char *at = strstr(p, "${{");
		if (!at) {
			add_part(out, p, strlen(p), false);
			break;
		}
		add_part(out, p, (size_t)(at - p), false);
		char *inner = expr_at(at, &p);
		if (!inner || eval_one(inner, ctx, out)) {
			*bad = describe(inner);
			free(inner);
			sw_expr_parts_free(out);
			return -1;
		}
		free(inner);
	}
	return 0;
}

bool sw_expr_parts_have_var(const struct sw_expr_parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].var)
			return true;
	return false;
}

char *sw_expr_parts_text(const struct sw_expr_parts *p)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (size_t i = 0; i < p->n; i++)
		sbuf_addf(&sb, "%s%s", p->items[i].var ? "$" : "", p->items[i].text);
	return sbuf_detach(&sb);
}

/* $NAME, or ${NAME} when the text after it would run into the name. */
static void add_var(struct sbuf *sb, const char *name, const char *next)
{
	bool braces = next && (isalnum((unsigned char)*next) || *next == '_');
	sbuf_addf(sb, braces ? "${%s}" : "$%s", name);
}

static bool safe_bare(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_./:@%+=,-", *s))
			return false;
	return true;
}

char *sw_shell_quote(const char *s)
{
	if (safe_bare(s))
		return xstrdup(s);
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_addc(&sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sbuf_adds(&sb, "'\\''");
		else
			sbuf_addc(&sb, *s);
	}
	sbuf_addc(&sb, '\'');
	return sbuf_detach(&sb);
}

char *sw_expr_shell_word(const struct sw_expr_parts *p)
{
	if (!sw_expr_parts_have_var(p))
		return sw_shell_quote(p->n ? p->items[0].text : "");
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_addc(&sb, '"');
	for (size_t i = 0; i < p->n; i++) {
		const char *t = p->items[i].text;
		if (p->items[i].var) {
			add_var(&sb, t, i + 1 < p->n && !p->items[i + 1].var ? p->items[i + 1].text : NULL);
			continue;
		}
		for (; *t; t++) {
			if (strchr("\\$`\"", *t))
				sbuf_addc(&sb, '\\');
			sbuf_addc(&sb, *t);
		}
	}
	sbuf_addc(&sb, '"');
	return sbuf_detach(&sb);
}

/* ---- scripts ---- */

enum quoting { Q_NONE, Q_SINGLE, Q_DOUBLE, Q_COMMENT, Q_HEREDOC };

#define HEREDOCS_MAX 8

struct heredoc {
	char *delim;
	bool quoted;		/* <<'EOF': its body is literal */
	bool strip_tabs;	/* <<-EOF */
};

struct scan {
	const char *s;
	size_t i;
	enum quoting q;
	bool word_start;
	struct heredoc pending[HEREDOCS_MAX];
	int npending;
	struct heredoc body;	/* the here-document being read, in Q_HEREDOC */
	size_t quote_at;	/* in Q_SINGLE: where its opening quote is in out */
	struct sbuf out;
	const struct sw_expr_ctx *ctx;
	char *bad;
};

/* A here-document operator at sc->i ("<<"): copies it and its delimiter
 * word, and queues the body for the end of the line. */
static void heredoc_op(struct scan *sc)
{
	size_t i = sc->i + 2;
	bool strip = sc->s[i] == '-';
	i += strip;
	while (sc->s[i] == ' ' || sc->s[i] == '\t')
		i++;
	struct sbuf delim;
	sbuf_init(&delim);
	bool quoted = false;
	char q = 0;
	for (; sc->s[i] && sc->s[i] != '\n'; i++) {
		char c = sc->s[i];
		if (q) {
			if (c == q)
				q = 0;
			else
				sbuf_addc(&delim, c);
		} else if (c == '\'' || c == '"') {
			q = c;
			quoted = true;
		} else if (c == '\\') {
			quoted = true;
		} else if (strchr(" \t;&|<>()", c)) {
			break;
		} else {
			sbuf_addc(&delim, c);
		}
	}
	sbuf_add(&sc->out, sc->s + sc->i, i - sc->i);
	sc->i = i;
	if (delim.len && sc->npending < HEREDOCS_MAX)
		sc->pending[sc->npending++] = (struct heredoc){sbuf_detach(&delim), quoted, strip};
	sbuf_free(&delim);
}

/* At the start of a line inside a here-document: is it the last line? */
static bool heredoc_ends_here(const struct scan *sc)
{
	const char *line = sc->s + sc->i;
	if (sc->body.strip_tabs)
		line += strspn(line, "\t");
	size_t n = strlen(sc->body.delim);
	return !strncmp(line, sc->body.delim, n) && (line[n] == '\n' || line[n] == '\0');
}

static void next_body(struct scan *sc);

static void end_body(struct scan *sc)
{
	size_t n = strcspn(sc->s + sc->i, "\n");
	sbuf_add(&sc->out, sc->s + sc->i, n);
	sc->i += n;
	free(sc->body.delim);
	sc->body.delim = NULL;
	if (sc->s[sc->i] == '\n') {
		sbuf_addc(&sc->out, '\n');
		sc->i++;
		next_body(sc);
	} else {
		sc->q = Q_NONE;
	}
}

/* After a newline: the next queued here-document's body, or plain text. */
static void next_body(struct scan *sc)
{
	if (!sc->npending) {
		sc->q = Q_NONE;
		sc->word_start = true;
		return;
	}
	sc->body = sc->pending[0];
	memmove(sc->pending, sc->pending + 1, (size_t)--sc->npending * sizeof *sc->pending);
	sc->q = Q_HEREDOC;
	if (heredoc_ends_here(sc))
		end_body(sc);
}

/* Inside '...' a variable is spliced in as '"$X"', without the empty ''
 * it would leave at either end of the quotes.  Returns the bytes of the
 * script it took (the closing quote, when it ends there). */
static size_t splice_single(struct scan *sc, const char *name, bool last, const char *next)
{
	if (sc->out.len == sc->quote_at + 1)
		sc->out.buf[--sc->out.len] = '\0';
	else
		sbuf_addc(&sc->out, '\'');
	sbuf_addf(&sc->out, "\"$%s\"", name);
	if (last && *next == '\'') {
		sc->q = Q_NONE;
		return 1;
	}
	sc->quote_at = sc->out.len;
	sbuf_addc(&sc->out, '\'');
	return 0;
}

/* A resolved expression's parts, written for where the text is. */
static int splice(struct scan *sc, const struct sw_expr_parts *p, const char **next)
{
	for (size_t i = 0; i < p->n; i++) {
		const char *t = p->items[i].text;
		const char *after = i + 1 < p->n ? (p->items[i + 1].var ? "$" : p->items[i + 1].text) : *next;
		if (!p->items[i].var)
			sbuf_adds(&sc->out, t);
		else if (sc->q == Q_SINGLE)
			*next += splice_single(sc, t, i + 1 == p->n, *next);
		else if (sc->q == Q_HEREDOC && sc->body.quoted)
			return -1;
		else
			add_var(&sc->out, t, after);
	}
	return 0;
}

static int scan_expr(struct scan *sc)
{
	const char *start = sc->s + sc->i, *end = NULL;
	char *inner = expr_at(start, &end);
	struct sw_expr_parts parts = {0};
	int r = inner ? eval_one(inner, sc->ctx, &parts) : -1;
	if (!r && splice(sc, &parts, &end)) {
		sc->bad = xasprintf("${{ %s }} inside a quoted here-document", inner);
		r = -1;
	} else if (r && inner && sc->q == Q_COMMENT) {
		/* A comment: what it says does not run. */
		sbuf_add(&sc->out, start, (size_t)(end - start));
		r = 0;
	} else if (r && !sc->bad) {
		sc->bad = describe(inner);
	}
	if (!r)
		sc->i = (size_t)(end - sc->s);
	sw_expr_parts_free(&parts);
	free(inner);
	return r;
}

static void copy(struct scan *sc, size_t n)
{
	for (size_t k = 0; k < n && sc->s[sc->i]; k++)
		sbuf_addc(&sc->out, sc->s[sc->i++]);
}

static void scan_plain(struct scan *sc, char c)
{
	bool was_start = sc->word_start;
	sc->word_start = strchr(" \t;&|()", c) != NULL;
	if (c == '\\') {
		copy(sc, 2);
	} else if (c == '<' && sc->s[sc->i + 1] == '<' && sc->s[sc->i + 2] != '<') {
		heredoc_op(sc);
	} else {
		if (c == '\'') {
			sc->q = Q_SINGLE;
			sc->quote_at = sc->out.len;
		}
		else if (c == '"')
			sc->q = Q_DOUBLE;
		else if (c == '#' && was_start)
			sc->q = Q_COMMENT;
		copy(sc, 1);
	}
}

static void scan_char(struct scan *sc)
{
	char c = sc->s[sc->i];
	if (c == '\n' && sc->q != Q_SINGLE && sc->q != Q_DOUBLE) {
		copy(sc, 1);
		if (sc->q == Q_HEREDOC && heredoc_ends_here(sc))
			end_body(sc);
		else if (sc->q != Q_HEREDOC)
			next_body(sc);
		return;
	}
	switch (sc->q) {
	case Q_NONE:
		scan_plain(sc, c);
		return;
	case Q_SINGLE:
		sc->q = c == '\'' ? Q_NONE : Q_SINGLE;
		break;
	case Q_DOUBLE:
		if (c == '\\') {
			copy(sc, 2);
			return;
		}
		sc->q = c == '"' ? Q_NONE : Q_DOUBLE;
		break;
	default:
		break;
	}
	copy(sc, 1);
}

char *sw_expr_shell_script(const char *script, const struct sw_expr_ctx *ctx, char **bad)
{
	struct scan sc = {.s = script, .q = Q_NONE, .word_start = true, .ctx = ctx};
	sbuf_init(&sc.out);
	int r = 0;
	while (!r && sc.s[sc.i]) {
		if (!strncmp(sc.s + sc.i, "${{", 3))
			r = scan_expr(&sc);
		else
			scan_char(&sc);
	}
	for (int k = 0; k < sc.npending; k++)
		free(sc.pending[k].delim);
	free(sc.body.delim);
	if (r) {
		*bad = sc.bad;
		sbuf_free(&sc.out);
		return NULL;
	}
	return sbuf_detach(&sc.out);
}

/* ---- small things ---- */

static void hash_args(const char *p, struct strlist *files)
{
	for (;;) {
		p += strspn(p, " \t");
		if (*p != '\'')
			return;
		const char *end = strchr(p + 1, '\'');
		if (!end)
			return;
		char *f = xstrndup(p + 1, (size_t)(end - p - 1));
		if (*f && !strlist_has(files, f))
			strlist_add(files, f);
		free(f);
		p = end + 1 + strspn(end + 1, " \t");
		if (*p != ',')
			return;
		p++;
	}
}

void sw_expr_hash_files(const char *text, struct strlist *files)
{
	for (const char *p = text; (p = strstr(p, "hashFiles(")); p += 10)
		hash_args(p + 10, files);
}

char *sw_expr_whole(const char *text)
{
	const char *s = text + strspn(text, " \t\n");
	const char *end = NULL;
	if (strncmp(s, "${{", 3))
		return NULL;
	char *inner = expr_at(s, &end);
	if (inner && end[strspn(end, " \t\n")] == '\0' && !strstr(inner, "${{"))
		return inner;
	free(inner);
	return NULL;
}
