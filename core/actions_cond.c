/* if: conditions read for their branch meaning.  Each part of a condition
 * becomes a set of branches where it can be true; a part slipway cannot
 * follow counts as "every branch" and is listed, so the stage is never
 * limited where GitHub would have run it, except by a known part it is
 * joined to with &&. */
#include "slipway/actions_cond.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slipway/util.h"

/* ---- branch sets ---- */

void sw_branchset_free(struct sw_branchset *b)
{
	strlist_free(&b->globs);
	b->limited = false;
}

void sw_branchset_add(struct sw_branchset *b, const char *glob)
{
	b->limited = true;
	if (!strlist_has(&b->globs, glob))
		strlist_add(&b->globs, glob);
}

void sw_branchset_copy(struct sw_branchset *dst, const struct sw_branchset *src)
{
	memset(dst, 0, sizeof *dst);
	dst->limited = src->limited;
	for (size_t i = 0; i < src->globs.len; i++)
		strlist_add(&dst->globs, src->globs.items[i]);
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* x and y overlap in x (1), in y (2), or cannot be told apart (-1);
 * 0 when they never meet. */
static int overlap(const char *x, const char *y)
{
	if (!strcmp(x, y))
		return 1;
	bool gx = has_glob(x), gy = has_glob(y);
	if (!gx && !gy)
		return 0;
	/* A pattern matched by the other's text is the narrower one. */
	if (sw_glob_match(y, x))
		return 1;
	if (sw_glob_match(x, y))
		return 2;
	return gx && gy ? -1 : 0;
}

int sw_branchset_narrow(struct sw_branchset *a, const struct sw_branchset *b)
{
	if (!b->limited)
		return 0;
	if (!a->limited) {
		sw_branchset_free(a);
		sw_branchset_copy(a, b);
		return 0;
	}
	struct sw_branchset out = {.limited = true};
	int unresolved = 0;
	for (size_t i = 0; i < a->globs.len; i++)
		for (size_t j = 0; j < b->globs.len; j++) {
			int o = overlap(a->globs.items[i], b->globs.items[j]);
			unresolved += o < 0;
			if (o)
				sw_branchset_add(&out, o == 2 ? b->globs.items[j] : a->globs.items[i]);
		}
	sw_branchset_free(a);
	*a = out;
	return unresolved;
}

static void branches_union(struct sw_branchset *a, const struct sw_branchset *b)
{
	if (!a->limited)
		return;
	if (!b->limited) {
		sw_branchset_free(a);
		return;
	}
	for (size_t i = 0; i < b->globs.len; i++)
		sw_branchset_add(a, b->globs.items[i]);
}

char *sw_branchset_text(const struct sw_branchset *b)
{
	if (!b->limited)
		return xstrdup("every branch");
	if (!b->globs.len)
		return xstrdup("no branch");
	struct sbuf sb;
	sbuf_init(&sb);
	for (size_t i = 0; i < b->globs.len; i++)
		sbuf_addf(&sb, "%s%s", i ? ", " : "", b->globs.items[i]);
	return sbuf_detach(&sb);
}

/* ---- the expression reader ---- */

enum tok { T_END, T_STR, T_NUM, T_IDENT, T_OP, T_LP, T_RP, T_COMMA, T_BAD };

struct lexer {
	const char *s;
	size_t pos;
	enum tok t;
	size_t start, end;	/* the current token */
	char *text;		/* its text (a string's value, unquoted) */
	bool error;
	int depth;		/* of parse_unary, which every nesting goes through */
	const struct sw_expr_ctx *ctx;
};

/* Deeper than any condition a person writes; a fuzzer's 2 000 brackets
 * overflowed the stack of this recursive reader. */
#define COND_DEPTH_MAX 64

enum vkind { V_BOOL, V_STR, V_REF, V_REFNAME, V_OTHER };
enum status { ST_NONE, ST_SUCCESS, ST_ALWAYS, ST_FAILURE, ST_CANCELLED };

struct val {
	enum vkind kind;
	char *str;		/* V_STR */
	struct sw_cond c;	/* V_BOOL */
	bool constant;		/* V_BOOL: true or false whatever the branch */
	enum status status;	/* V_BOOL from a status function */
	size_t start, end;	/* where it was written */
};

static void lex_string(struct lexer *lx)
{
	struct sbuf sb;
	sbuf_init(&sb);
	size_t i = lx->pos + 1;
	for (;; i++) {
		if (!lx->s[i]) {
			lx->t = T_BAD;
			break;
		}
		if (lx->s[i] == '\'' && lx->s[i + 1] == '\'') {
			sbuf_addc(&sb, '\'');
			i++;
		} else if (lx->s[i] == '\'') {
			i++;
			break;
		} else {
			sbuf_addc(&sb, lx->s[i]);
		}
	}
	lx->text = sbuf_detach(&sb);
	lx->pos = i;
}

static size_t ident_len(const char *s)
{
	size_t n = 0;
	while (isalnum((unsigned char)s[n]) || (s[n] && strchr("_.-*", s[n])))
		n++;
	/* An index like github['ref'] belongs to the name before it. */
	if (n && s[n] == '[') {
		const char *close = strchr(s + n, ']');
		if (close)
			n = (size_t)(close - s) + 1;
	}
	return n;
}

static void lex_op(struct lexer *lx)
{
	static const char *const ops[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!"};
	for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
		size_t n = strlen(ops[k]);
		if (!strncmp(lx->s + lx->pos, ops[k], n)) {
			lx->t = T_OP;
			lx->text = xstrdup(ops[k]);
			lx->pos += n;
			return;
		}
	}
	lx->t = T_BAD;
	lx->pos++;
}

static void next(struct lexer *lx)
{
	free(lx->text);
	lx->text = NULL;
	lx->pos += strspn(lx->s + lx->pos, " \t\r\n");
	lx->start = lx->pos;
	char c = lx->s[lx->pos];
	static const char singles[] = "(),";
	static const enum tok single_toks[] = {T_LP, T_RP, T_COMMA};
	const char *sp = c ? strchr(singles, c) : NULL;
	if (!c) {
		lx->t = T_END;
	} else if (sp) {
		lx->t = single_toks[sp - singles];
		lx->pos++;
	} else if (c == '\'') {
		lx->t = T_STR;
		lex_string(lx);
	} else if (isdigit((unsigned char)c)) {
		lx->t = T_NUM;
		lx->pos += strspn(lx->s + lx->pos, "0123456789.xXabcdefABCDEF");
	} else if (isalpha((unsigned char)c) || c == '_') {
		size_t n = ident_len(lx->s + lx->pos);
		lx->t = T_IDENT;
		lx->text = xstrndup(lx->s + lx->pos, n);
		lx->pos += n;
	} else {
		lex_op(lx);
	}
	lx->end = lx->pos;
	if (lx->t == T_BAD)
		lx->error = true;
}

static bool is_op(const struct lexer *lx, const char *op)
{
	return lx->t == T_OP && !strcmp(lx->text, op);
}

static void val_free(struct val *v)
{
	free(v->str);
	sw_branchset_free(&v->c.where);
	strlist_free(&v->c.unchecked);
	memset(v, 0, sizeof *v);
}

static struct val constant(bool value, size_t start, size_t end)
{
	struct val v = {.kind = V_BOOL, .constant = true, .start = start, .end = end};
	v.c.where.limited = !value;
	return v;
}

/* A part with no slipway meaning: true anywhere, as far as we know. */
static struct val unknown(const struct lexer *lx, size_t start, size_t end)
{
	struct val v = {.kind = V_BOOL, .start = start, .end = end};
	while (end > start && isspace((unsigned char)lx->s[end - 1]))
		end--;
	char *text = xstrndup(lx->s + start, end - start);
	strlist_add(&v.c.unchecked, text);
	free(text);
	return v;
}

static struct val as_bool(const struct lexer *lx, struct val v)
{
	if (v.kind == V_BOOL)
		return v;
	size_t start = v.start, end = v.end;
	bool truthy = v.kind == V_REF || v.kind == V_REFNAME || (v.kind == V_STR && *v.str);
	bool known = v.kind != V_OTHER;
	val_free(&v);
	return known ? constant(truthy, start, end) : unknown(lx, start, end);
}

static struct val branch_set(const char *glob, size_t start, size_t end)
{
	struct val v = {.kind = V_BOOL, .start = start, .end = end};
	if (*glob)
		sw_branchset_add(&v.c.where, glob);
	return v;
}

enum match { M_EQUAL, M_PREFIX, M_SUFFIX, M_CONTAINS };

/* github.ref matched against text: it must name a branch (refs/heads/...),
 * since a tag's or a pull request's ref never matches a slipway run.
 * NULL: text says nothing about the branch's name (*always tells how). */
static const char *ref_branch(const char *text, enum match m, bool *always)
{
	*always = false;
	if (!strncmp(text, "refs/heads/", 11))
		return m == M_EQUAL || m == M_PREFIX ? text + 11 : NULL;
	if (m == M_PREFIX)
		*always = !strncmp("refs/heads/", text, strlen(text));
	return m == M_EQUAL || m == M_PREFIX || strchr(text, '/') ? NULL : text;
}

/* What `ref == text`, startsWith(ref, text) and the like say about the
 * branch, as a glob. */
static struct val ref_test(const struct lexer *lx, const struct val *ref, const char *text, enum match m,
			   size_t start, size_t end)
{
	const char *name = text;
	if (ref->kind == V_REF) {
		bool always;
		name = ref_branch(text, m, &always);
		if (!name && (m == M_EQUAL || m == M_PREFIX))
			return constant(always, start, end);
		if (!name)
			return unknown(lx, start, end);
	}
	if (!*name)
		return constant(m != M_EQUAL, start, end);
	if (has_glob(name) || strchr(name, '\\'))
		return unknown(lx, start, end);
	char *glob = xasprintf("%s%s%s", m == M_SUFFIX || m == M_CONTAINS ? "*" : "", name,
			       m == M_PREFIX || m == M_CONTAINS ? "*" : "");
	struct val v = branch_set(glob, start, end);
	free(glob);
	return v;
}

static bool is_ref(const struct val *v)
{
	return v->kind == V_REF || v->kind == V_REFNAME;
}

/* A constant true or false, or a string that reads as one (a matrix
 * value written true in YAML is a boolean on GitHub). */
static bool boolean_of(const struct val *v, bool *out)
{
	if (v->kind == V_BOOL && v->constant && !v->c.unchecked.len) {
		*out = !v->c.where.limited;
		return true;
	}
	/* '' and null are false, as 0 is. */
	if (v->kind == V_STR && (!strcasecmp(v->str, "true") || !strcasecmp(v->str, "false") || !*v->str)) {
		*out = !strcasecmp(v->str, "true");
		return true;
	}
	return false;
}

static struct val compare(const struct lexer *lx, struct val a, const char *op, struct val b)
{
	size_t start = a.start, end = b.end;
	bool eq = !strcmp(op, "=="), ne = !strcmp(op, "!=");
	bool ba, bb;
	struct val r;
	if ((eq || ne) && a.kind == V_STR && b.kind == V_STR)
		r = constant((strcasecmp(a.str, b.str) == 0) == eq, start, end);
	else if ((eq || ne) && (a.kind == V_BOOL || b.kind == V_BOOL) && boolean_of(&a, &ba) && boolean_of(&b, &bb))
		r = constant((ba == bb) == eq, start, end);
	else if (eq && is_ref(&a) && b.kind == V_STR)
		r = ref_test(lx, &a, b.str, M_EQUAL, start, end);
	else if (eq && a.kind == V_STR && is_ref(&b))
		r = ref_test(lx, &b, a.str, M_EQUAL, start, end);
	else
		r = unknown(lx, start, end);
	val_free(&a);
	val_free(&b);
	return r;
}

static void cond_join(struct val *a, struct val *b, bool and)
{
	if (and)
		sw_branchset_narrow(&a->c.where, &b->c.where);
	else
		branches_union(&a->c.where, &b->c.where);
	/* success() || failure() runs either way: an "always" stage. */
	bool either = !and && (a->c.after_failure != b->c.after_failure);
	a->c.always = a->c.always || b->c.always || either;
	a->c.after_failure = and ? a->c.after_failure || b->c.after_failure
				 : a->c.after_failure && b->c.after_failure;
	for (size_t i = 0; i < b->c.unchecked.len; i++)
		strlist_add(&a->c.unchecked, b->c.unchecked.items[i]);
	a->constant = a->constant && b->constant;
	a->status = ST_NONE;
	a->end = b->end;
	val_free(b);
}

static struct val parse_or(struct lexer *lx);

static struct val status_fn(const char *name, size_t start, size_t end)
{
	static const char *const names[] = {"success", "always", "failure", "cancelled"};
	struct val v = constant(true, start, end);
	v.constant = false;
	for (size_t i = 0; i < 4; i++)
		if (!strcasecmp(name, names[i]))
			v.status = (enum status)(ST_SUCCESS + i);
	v.c.always = v.status == ST_ALWAYS;
	v.c.after_failure = v.status == ST_FAILURE || v.status == ST_CANCELLED;
	return v;
}

static struct val call(const struct lexer *lx, const char *name, struct val *args, int nargs,
		       size_t start, size_t end)
{
	static const char *const fns[] = {"startsWith", "endsWith", "contains"};
	static const enum match modes[] = {M_PREFIX, M_SUFFIX, M_CONTAINS};
	bool status = !strcasecmp(name, "success") || !strcasecmp(name, "always") ||
		      !strcasecmp(name, "failure") || !strcasecmp(name, "cancelled");
	if (status && nargs == 0)
		return status_fn(name, start, end);
	for (size_t i = 0; i < 3 && nargs == 2; i++) {
		if (strcasecmp(name, fns[i]))
			continue;
		if (is_ref(&args[0]) && args[1].kind == V_STR)
			return ref_test(lx, &args[0], args[1].str, modes[i], start, end);
		if (i == 0 && args[0].kind == V_STR && args[1].kind == V_STR)
			return constant(!strncasecmp(args[0].str, args[1].str, strlen(args[1].str)), start, end);
	}
	return unknown(lx, start, end);
}

static struct val parse_call(struct lexer *lx, char *name, size_t start)
{
	struct val args[4];
	int nargs = 0;
	next(lx);
	while (lx->t != T_RP && !lx->error) {
		struct val a = parse_or(lx);
		if (nargs < 4)
			args[nargs++] = a;
		else
			val_free(&a);
		if (lx->t == T_COMMA)
			next(lx);
		else if (lx->t != T_RP)
			lx->error = true;
	}
	size_t end = lx->end;
	next(lx);
	struct val v = call(lx, name, args, nargs, start, end);
	for (int i = 0; i < nargs; i++)
		val_free(&args[i]);
	free(name);
	return v;
}

static struct val ident_value(struct lexer *lx, const char *name, size_t start, size_t end)
{
	struct val v = {.kind = V_OTHER, .start = start, .end = end};
	if (!strcmp(name, "github.ref"))
		v.kind = V_REF;
	else if (!strcmp(name, "github.ref_name"))
		v.kind = V_REFNAME;
	else if (!strcmp(name, "true") || !strcmp(name, "false"))
		v = constant(name[0] == 't', start, end);
	const struct strlist *keys = lx->ctx ? lx->ctx->matrix_keys : NULL;
	if (strncmp(name, "matrix.", 7) || !keys)
		return v;
	/* A key this combination lacks is null, which compares like ''. */
	v.kind = V_STR;
	for (size_t i = 0; i < keys->len && !v.str; i++)
		if (!strcasecmp(keys->items[i], name + 7))
			v.str = xstrdup(lx->ctx->matrix_values->items[i]);
	if (!v.str)
		v.str = xstrdup("");
	return v;
}

static struct val parse_primary(struct lexer *lx)
{
	size_t start = lx->start, end = lx->end;
	struct val v = {.kind = V_OTHER, .start = start, .end = end};
	if (lx->t == T_LP) {
		next(lx);
		v = parse_or(lx);
		if (lx->t != T_RP)
			lx->error = true;
		v.start = start;
		v.end = lx->end;
	} else if (lx->t == T_STR) {
		v.kind = V_STR;
		v.str = lx->text;
		lx->text = NULL;
	} else if (lx->t == T_IDENT) {
		char *name = lx->text;
		lx->text = NULL;
		next(lx);
		if (lx->t == T_LP)
			return parse_call(lx, name, start);
		v = ident_value(lx, name, start, end);
		free(name);
		return v;
	} else if (lx->t != T_NUM) {
		lx->error = true;
	}
	next(lx);
	return v;
}

static struct val negate(const struct lexer *lx, struct val v, size_t start)
{
	size_t end = v.end;
	if (v.constant) {
		bool was_true = !v.c.where.limited;
		val_free(&v);
		return constant(!was_true, start, end);
	}
	enum status st = v.status;
	val_free(&v);
	if (st == ST_CANCELLED || st == ST_FAILURE || st == ST_SUCCESS) {
		struct val r = status_fn(st == ST_SUCCESS ? "failure" : st == ST_FAILURE ? "success" : "always",
					 start, end);
		r.status = ST_NONE;
		return r;
	}
	return unknown(lx, start, end);
}

static struct val parse_unary(struct lexer *lx)
{
	if (lx->depth >= COND_DEPTH_MAX) {
		lx->error = true;
		return unknown(lx, lx->start, lx->end);
	}
	lx->depth++;
	struct val v;
	if (!is_op(lx, "!")) {
		v = parse_primary(lx);
	} else {
		size_t start = lx->start;
		next(lx);
		v = negate(lx, as_bool(lx, parse_unary(lx)), start);
	}
	lx->depth--;
	return v;
}

static struct val parse_compare(struct lexer *lx)
{
	struct val a = parse_unary(lx);
	if (lx->t != T_OP || is_op(lx, "&&") || is_op(lx, "||") || is_op(lx, "!"))
		return a;
	char *op = lx->text;
	lx->text = NULL;
	next(lx);
	struct val r = compare(lx, a, op, parse_unary(lx));
	free(op);
	return r;
}

/* Values stay what they are (a function's argument may be github.ref)
 * until && or || needs them as conditions. */
static struct val parse_and(struct lexer *lx)
{
	struct val a = parse_compare(lx);
	while (is_op(lx, "&&") && !lx->error) {
		next(lx);
		a = as_bool(lx, a);
		struct val b = as_bool(lx, parse_compare(lx));
		cond_join(&a, &b, true);
	}
	return a;
}

static struct val parse_or(struct lexer *lx)
{
	struct val a = parse_and(lx);
	while (is_op(lx, "||") && !lx->error) {
		next(lx);
		a = as_bool(lx, a);
		struct val b = as_bool(lx, parse_and(lx));
		cond_join(&a, &b, false);
	}
	return a;
}

void sw_cond_parse(const char *expr, const struct sw_expr_ctx *ctx, struct sw_cond *out)
{
	memset(out, 0, sizeof *out);
	char *inner = sw_expr_whole(expr);
	const char *text = inner ? inner : expr;
	struct lexer lx = {.s = text, .ctx = ctx};
	next(&lx);
	struct val v = lx.t == T_END ? constant(true, 0, 0) : as_bool(&lx, parse_or(&lx));
	/* Text left over, or ${{ }} in the middle: not something to follow. */
	if (lx.error || lx.t != T_END || strstr(text, "${{")) {
		val_free(&v);
		v = unknown(&lx, 0, strlen(text));
	}
	free(lx.text);
	*out = v.c;
	free(v.str);
	free(inner);
}

void sw_cond_free(struct sw_cond *c)
{
	sw_branchset_free(&c->where);
	strlist_free(&c->unchecked);
}
