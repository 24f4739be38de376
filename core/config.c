/* slipway.json: reads the pipeline file into struct sw_config, checking it
 * with one-line errors that name the line or key path and suggest fixes. */
#include "slipway/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/json_check.h"
#include "slipway/regex.h"
#include "slipway/report.h"
#include "slipway/suggest.h"
#include "slipway/util.h"

#define QUOTE_MAX 256	/* room for QUOTE_CUT bytes escaped, plus quotes and "..." */
#define QUOTE_CUT 40
#define STAGE_NAME_MAX 64
#define METRIC_NAME_MAX 64
/* Bounds far above any real pipeline.  A branch's own slipway.json is read
 * at each of its runs, so whatever it holds must be answered at once: with
 * these, no check (duplicate names, gates against metrics) takes long. */
#define STAGES_MAX 1000
#define ENV_MAX 100		/* per stage */
#define BRANCHES_MAX 100	/* per stage */
#define PARSE_MAX 32		/* per stage */
#define REGEX_MAX 100		/* in the file: each is compiled to be checked */
#define SECRETS_MAX 100
#define PASS_ENV_MAX 100
#define GATES_MAX 100
#define PROTECTED_MAX 100
#define SHARED_MAX 100		/* "shared" and "backup" paths each */
#define DEFAULT_TIMEOUT 3600
#define DEFAULT_RETENTION 200

/* ---- messages ---------------------------------------------------------- */

/* Bytes of the valid UTF-8 character at p that is fit for a terminal
 * (not a C1 control), or 0. */
static size_t utf8_char_len(const char *p, size_t avail)
{
	unsigned char c = (unsigned char)p[0];
	size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
	if (n == 0 || n > avail || (c == 0xc2 && (unsigned char)p[1] < 0xa0))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Shows a user string in a message: quoted, escaped and cut short, so the
 * message stays one readable line whatever the file holds. */
static const char *quote(char buf[QUOTE_MAX], const char *s)
{
	size_t o = 0, i = 0;
	buf[o++] = '"';
	while (i < QUOTE_CUT && s[i]) {
		unsigned char ch = (unsigned char)s[i];
		size_t n = ch < 0x80 ? 1 : utf8_char_len(s + i, strnlen(s + i, 4));
		if (ch == '"' || ch == '\\') {
			o += (size_t)snprintf(buf + o, QUOTE_MAX - o, "\\%c", ch);
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(buf + o, QUOTE_MAX - o, "\\u%04x", ch);
		} else if (n == 0) {
			o += (size_t)snprintf(buf + o, QUOTE_MAX - o, "\\x%02x", ch);
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
		}
		i += n ? n : 1;
	}
	buf[o++] = '"';
	if (s[i])
		o += (size_t)snprintf(buf + o, QUOTE_MAX - o, "...");
	buf[o] = '\0';
	return buf;
}

/* A value as a type error shows it: scalars as written, containers by kind. */
static const char *describe(char buf[QUOTE_MAX], const cJSON *v)
{
	if (cJSON_IsString(v))
		return quote(buf, v->valuestring);
	if (cJSON_IsNumber(v)) {
		snprintf(buf, QUOTE_MAX, "%.15g", v->valuedouble);
		return buf;
	}
	if (cJSON_IsTrue(v))
		return "true";
	if (cJSON_IsFalse(v))
		return "false";
	if (cJSON_IsNull(v))
		return "null";
	return cJSON_IsArray(v) ? "an array" : "an object";
}

/* ---- reading the JSON ---------------------------------------------------- */

/* cJSON's parse; NULL with *pos where it gave up. */
static cJSON *cjson_parse(const char *text, size_t len, size_t *pos)
{
	char *buf = xstrndup(text, len);
	const char *end = NULL;
	/* The length counts the NUL so that trailing junk is refused. */
	cJSON *root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
	*pos = end && end >= buf && (size_t)(end - buf) < len ? (size_t)(end - buf) : len;
	free(buf);
	return root;
}

/* Parses text into *root; on failure returns the message.  The strict
 * check comes first, so cJSON only ever reads proper JSON. */
static char *json_parse(const char *text, size_t len, const char *source, cJSON **root)
{
	char *err = sw_json_check(text, len, source);
	if (err)
		return err;
	size_t pos;
	if ((*root = cjson_parse(text, len, &pos)))
		return NULL;
	/* Out of memory, or a disagreement between the check and cJSON. */
	return sw_json_error_at(text, pos, source, "cJSON cannot read this");
}

/* ---- checking the document ---------------------------------------------- */

struct ctx {
	const char *source;
	struct sbuf path;	/* key path of the value being read: "stages[2].timeout" */
	char *err;
	size_t nregex;		/* regex parsers read so far */
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ctx *c, const char *fmt, ...)
{
	if (c->err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (c->path.len)
		c->err = xasprintf("%s: %s: %s", c->source, c->path.buf, msg);
	else
		c->err = xasprintf("%s: %s", c->source, msg);
	free(msg);
	return -1;
}

static int expected(struct ctx *c, const cJSON *v, const char *what)
{
	char d[QUOTE_MAX];
	return fail(c, "expected %s, got %s", what, describe(d, v));
}

static size_t path_key(struct ctx *c, const char *key)
{
	size_t mark = c->path.len;
	if (mark)
		sbuf_addc(&c->path, '.');
	sbuf_adds(&c->path, key);
	return mark;
}

static size_t path_index(struct ctx *c, size_t i)
{
	size_t mark = c->path.len;
	sbuf_addf(&c->path, "[%zu]", i);
	return mark;
}

static void path_pop(struct ctx *c, size_t mark)
{
	c->path.len = mark;
	if (c->path.buf)
		c->path.buf[mark] = '\0';
}

static int unknown_key(struct ctx *c, const char *key, const char *const *cands, size_t n)
{
	char q[QUOTE_MAX];
	const char *s = sw_suggest(key, cands, n);
	if (s)
		return fail(c, "unknown key %s (did you mean \"%s\"?)", quote(q, key), s);
	return fail(c, "unknown key %s", quote(q, key));
}

/* Refuses an array or object of more than max elements, before any check
 * that compares them with one another. */
static int check_count(struct ctx *c, const cJSON *v, size_t max, const char *what)
{
	size_t n = (size_t)cJSON_GetArraySize(v);
	if (n <= max)
		return 0;
	return fail(c, "%zu %s; at most %zu", n, what, max);
}

/* cJSON keeps both copies of a repeated key; the file means one.  Objects
 * read through a table of keys stop at the first unknown one, and the
 * others are bounded, so comparing with every earlier key stays cheap. */
static int check_duplicate(struct ctx *c, const cJSON *obj, const cJSON *kv)
{
	char q[QUOTE_MAX];
	for (const cJSON *o = obj->child; o != kv; o = o->next)
		if (strcmp(o->string, kv->string) == 0)
			return fail(c, "duplicate key %s", quote(q, kv->string));
	return 0;
}

typedef int (*key_fn)(struct ctx *c, const cJSON *v, void *target);

struct key_desc {
	const char *name;
	key_fn parse;
	bool required;
};

#define KEYS_MAX 16

static const struct key_desc *find_key(const struct key_desc *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int bad_key(struct ctx *c, const char *key, const struct key_desc *keys, size_t n)
{
	const char *names[KEYS_MAX];
	for (size_t i = 0; i < n && i < KEYS_MAX; i++)
		names[i] = keys[i].name;
	return unknown_key(c, key, names, n < KEYS_MAX ? n : KEYS_MAX);
}

/* Reads an object through its table of keys.  Unknown keys are reported
 * before missing ones: "runn" is better told as a typo of "run". */
static int parse_keys(struct ctx *c, const cJSON *obj, const struct key_desc *keys, size_t n,
		      void *target)
{
	if (!cJSON_IsObject(obj))
		return expected(c, obj, "an object");
	for (const cJSON *kv = obj->child; kv; kv = kv->next) {
		const struct key_desc *k = find_key(keys, n, kv->string);
		if (!k)
			return bad_key(c, kv->string, keys, n);
		if (check_duplicate(c, obj, kv))
			return -1;
		size_t mark = path_key(c, k->name);
		int r = k->parse(c, kv, target);
		path_pop(c, mark);
		if (r)
			return r;
	}
	for (size_t i = 0; i < n; i++)
		if (keys[i].required && !cJSON_GetObjectItemCaseSensitive(obj, keys[i].name))
			return fail(c, "missing required key \"%s\"", keys[i].name);
	return 0;
}

/* ---- scalar values ---- */

static int get_string_empty_ok(struct ctx *c, const cJSON *v, char **out)
{
	if (!cJSON_IsString(v))
		return expected(c, v, "a string");
	free(*out);
	*out = xstrdup(v->valuestring);
	return 0;
}

static int get_string(struct ctx *c, const cJSON *v, char **out)
{
	if (cJSON_IsString(v) && !v->valuestring[0])
		return expected(c, v, "a non-empty string");
	return get_string_empty_ok(c, v, out);
}

static int get_bool(struct ctx *c, const cJSON *v, bool *out)
{
	if (!cJSON_IsBool(v))
		return expected(c, v, "true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_posint(struct ctx *c, const cJSON *v, int *out)
{
	if (!cJSON_IsNumber(v))
		return expected(c, v, "a number");
	double d = v->valuedouble;
	if (!(d >= 1 && d <= INT_MAX) || islessgreater((double)(int)d, d))
		return expected(c, v, "a positive integer");
	*out = (int)d;
	return 0;
}

static bool valid_env_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

bool sw_config_env_name_ok(const char *name)
{
	return valid_env_name(name) && strncmp(name, "SLIPWAY_", 8) != 0;
}

/* Names the file may set in a process environment (stage env, secrets);
 * SLIPWAY_* belong to slipway, which tells the stage where things are. */
static int check_env_name(struct ctx *c, const char *name)
{
	char q[QUOTE_MAX];
	if (!valid_env_name(name))
		return fail(c, "invalid variable name %s (use letters, digits and '_', "
			       "not starting with a digit)", quote(q, name));
	if (strncmp(name, "SLIPWAY_", 8) == 0)
		return fail(c, "%s: SLIPWAY_* variables are set by slipway", quote(q, name));
	return 0;
}

static bool valid_metric_name(const char *s)
{
	return strlen(s) <= METRIC_NAME_MAX && valid_env_name(s);
}

static bool builtin_metric(const char *s)
{
	return !strcmp(s, "coverage") || !strcmp(s, "lint") || !strcmp(s, "tests_failed");
}

/* Stage names become directory and file names: no "/", no "." or "..". */
static bool valid_stage_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > STAGE_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* A report file under $SLIPWAY_REPORTS: relative and never climbing out. */
static bool valid_report_name(const char *s)
{
	if (!*s || *s == '/')
		return false;
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		p += *p == '/';
	}
	return true;
}

/* ---- stages ---- */

static int stage_name(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_stage_config *st = target;
	char q[QUOTE_MAX];
	if (get_string(c, v, &st->name))
		return -1;
	if (!valid_stage_name(st->name))
		return fail(c, "invalid stage name %s (use up to %d letters, digits, '_', '.' and '-')",
			    quote(q, st->name), STAGE_NAME_MAX);
	return 0;
}

static int stage_run(struct ctx *c, const cJSON *v, void *target)
{
	return get_string(c, v, &((struct sw_stage_config *)target)->run);
}

static int add_branch(struct ctx *c, const cJSON *v, struct strlist *l)
{
	char *s = NULL;
	if (get_string(c, v, &s))
		return -1;
	strlist_add(l, s);
	free(s);
	return 0;
}

/* Adds each element of array v to l with add, naming its index on error. */
static int add_each(struct ctx *c, const cJSON *v, int (*add)(struct ctx *, const cJSON *, struct strlist *),
		    struct strlist *l)
{
	size_t i = 0;
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		size_t mark = path_index(c, i);
		int r = add(c, e, l);
		path_pop(c, mark);
		if (r)
			return r;
	}
	return 0;
}

static int stage_branches(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_stage_config *st = target;
	if (cJSON_IsString(v))
		return add_branch(c, v, &st->branches);
	if (!cJSON_IsArray(v))
		return expected(c, v, "a branch pattern or an array of them");
	/* An empty list would mean "every branch", surely not what was meant. */
	if (!v->child)
		return fail(c, "expected at least one branch pattern");
	if (check_count(c, v, BRANCHES_MAX, "branch patterns"))
		return -1;
	return add_each(c, v, add_branch, &st->branches);
}

static int stage_timeout(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_stage_config *st = target;
	if (!cJSON_IsNumber(v))
		return expected(c, v, "a number");
	double d = v->valuedouble;
	if (!(d > 0 && d <= INT_MAX))
		return expected(c, v, "a positive number of seconds");
	/* Round a fraction up: a limit of 0.5s must not become 0. */
	st->timeout = (int)d;
	if (st->timeout < d)
		st->timeout++;
	return 0;
}

static int env_var(struct ctx *c, const cJSON *obj, const cJSON *kv, struct sw_env_var *ev)
{
	if (check_duplicate(c, obj, kv) || check_env_name(c, kv->string))
		return -1;
	ev->name = xstrdup(kv->string);
	size_t mark = path_key(c, kv->string);
	int r = get_string_empty_ok(c, kv, &ev->value);
	path_pop(c, mark);
	return r;
}

static int stage_env(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_stage_config *st = target;
	if (!cJSON_IsObject(v))
		return expected(c, v, "an object");
	if (check_count(c, v, ENV_MAX, "variables"))
		return -1;
	st->env = xcalloc((size_t)cJSON_GetArraySize(v), sizeof *st->env);
	for (const cJSON *kv = v->child; kv; kv = kv->next)
		if (env_var(c, v, kv, &st->env[st->nenv++]))
			return -1;
	return 0;
}

static int stage_always(struct ctx *c, const cJSON *v, void *target)
{
	return get_bool(c, v, &((struct sw_stage_config *)target)->always);
}

static int stage_allow_failure(struct ctx *c, const cJSON *v, void *target)
{
	return get_bool(c, v, &((struct sw_stage_config *)target)->allow_failure);
}

/* Compiled now, so that a bad pattern is told by check-config and not by
 * a failed run; the code is compiled again where it is used. */
static int regex_pattern(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_parse_spec *ps = target;
	size_t off;
	if (get_string(c, v, &ps->pattern))
		return -1;
	char *why = sw_regex_check(ps->pattern, &off);
	if (!why)
		return 0;
	fail(c, "invalid regex at offset %zu: %s", off, why);
	free(why);
	return -1;
}

static int regex_metric(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_parse_spec *ps = target;
	char q[QUOTE_MAX];
	if (get_string(c, v, &ps->metric))
		return -1;
	if (!valid_metric_name(ps->metric))
		return fail(c, "invalid metric name %s (use up to %d letters, digits and '_', "
			       "not starting with a digit)", quote(q, ps->metric), METRIC_NAME_MAX);
	if (builtin_metric(ps->metric))
		return fail(c, "metric %s is built in; give this one another name",
			    quote(q, ps->metric));
	return 0;
}

static const struct key_desc regex_keys[] = {
	{"regex", regex_pattern, true},
	{"metric", regex_metric, true},
};

static const char *const parser_names[] = {"flake8", "pytest", "coverage"};

static int parse_named(struct ctx *c, const char *name, struct sw_parse_spec *ps)
{
	char q[QUOTE_MAX];
	int kind = sw_parser_kind_from_name(name);
	if (kind >= 0 && kind != SW_PARSE_REGEX) {
		ps->kind = (enum sw_parser_kind)kind;
		return 0;
	}
	if (strcmp(name, "regex") == 0)
		return fail(c, "a regex parser is an object: {\"regex\": \"...\", \"metric\": \"...\"}");
	const char *s = sw_suggest(name, parser_names, 3);
	if (s)
		return fail(c, "unknown parser %s (did you mean \"%s\"?)", quote(q, name), s);
	return fail(c, "unknown parser %s (known: flake8, pytest, coverage, or a regex object)",
		    quote(q, name));
}

static int parse_spec(struct ctx *c, const cJSON *v, struct sw_parse_spec *ps)
{
	if (cJSON_IsString(v))
		return parse_named(c, v->valuestring, ps);
	if (!cJSON_IsObject(v))
		return expected(c, v, "a parser name or a regex object");
	if (++c->nregex > REGEX_MAX)
		return fail(c, "too many regex parsers: at most %d in a file", REGEX_MAX);
	ps->kind = SW_PARSE_REGEX;
	return parse_keys(c, v, regex_keys, sizeof regex_keys / sizeof *regex_keys, ps);
}

/* The same named parser twice would count every finding twice. */
static int check_parser_repeat(struct ctx *c, const struct sw_stage_config *st, const cJSON *e)
{
	const struct sw_parse_spec *last = &st->parse[st->nparse - 1];
	char q[QUOTE_MAX];
	for (size_t i = 0; i + 1 < st->nparse; i++) {
		const struct sw_parse_spec *p = &st->parse[i];
		if (p->kind != last->kind)
			continue;
		if (last->kind != SW_PARSE_REGEX)
			return fail(c, "parser %s is listed twice", quote(q, e->valuestring));
		if (strcmp(p->metric, last->metric) == 0)
			return fail(c, "metric %s is measured twice", quote(q, last->metric));
	}
	return 0;
}

static int stage_parse(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_stage_config *st = target;
	if (!cJSON_IsArray(v)) {
		st->parse = xcalloc(1, sizeof *st->parse);
		st->nparse = 1;
		return parse_spec(c, v, st->parse);
	}
	if (check_count(c, v, PARSE_MAX, "parsers"))
		return -1;
	st->parse = xcalloc((size_t)cJSON_GetArraySize(v), sizeof *st->parse);
	for (const cJSON *e = v->child; e; e = e->next) {
		size_t mark = path_index(c, st->nparse);
		st->nparse++;
		int r = parse_spec(c, e, &st->parse[st->nparse - 1]);
		if (!r)
			r = check_parser_repeat(c, st, e);
		path_pop(c, mark);
		if (r)
			return r;
	}
	return 0;
}

static int report_name(struct ctx *c, const cJSON *v, char **out)
{
	if (!cJSON_IsString(v))
		return expected(c, v, "a string");
	if (!valid_report_name(v->valuestring))
		return expected(c, v, "a relative file name without \"..\"");
	*out = xstrdup(v->valuestring);
	return 0;
}

static int report_junit(struct ctx *c, const cJSON *v, void *target)
{
	return report_name(c, v, &((struct sw_stage_config *)target)->junit);
}

static int report_cobertura(struct ctx *c, const cJSON *v, void *target)
{
	return report_name(c, v, &((struct sw_stage_config *)target)->cobertura);
}

static const struct key_desc report_keys[] = {
	{"junit", report_junit, false},
	{"cobertura", report_cobertura, false},
};

static int stage_reports(struct ctx *c, const cJSON *v, void *target)
{
	return parse_keys(c, v, report_keys, sizeof report_keys / sizeof *report_keys, target);
}

/* A cache path or key file: relative, never climbing out, naming
 * something below the top ("." alone would be the whole work tree). */
static bool valid_tree_path(const char *s)
{
	bool below = false;
	if (!*s || *s == '/')
		return false;
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		below |= !(n == 1 && p[0] == '.');
		p += n;
		p += *p == '/';
	}
	return below;
}

bool sw_config_cache_path_ok(const char *p)
{
	return valid_tree_path(strncmp(p, "~/", 2) == 0 ? p + 2 : p);
}

bool sw_config_cache_key_ok(const char *file)
{
	return valid_tree_path(file);
}

static int cache_path(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_cache_spec *cs = target;
	if (!cJSON_IsString(v))
		return expected(c, v, "a string");
	if (!sw_config_cache_path_ok(v->valuestring))
		return expected(c, v, "a path in the work tree (relative, without \"..\") or under \"~/\"");
	cs->path = xstrdup(v->valuestring);
	return 0;
}

static int add_cache_key(struct ctx *c, const cJSON *v, struct strlist *l)
{
	if (!cJSON_IsString(v))
		return expected(c, v, "a string");
	if (!sw_config_cache_key_ok(v->valuestring))
		return expected(c, v, "a file in the work tree (relative, without \"..\")");
	strlist_add(l, v->valuestring);
	return 0;
}

static int cache_key(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_cache_spec *cs = target;
	if (!cJSON_IsArray(v))
		return expected(c, v, "an array of file names");
	if (check_count(c, v, SW_CACHE_KEYS_MAX, "key files"))
		return -1;
	return add_each(c, v, add_cache_key, &cs->key);
}

static const struct key_desc cache_keys[] = {
	{"path", cache_path, true},
	{"key", cache_key, false},
};

static int check_cache_repeat(struct ctx *c, const struct sw_stage_config *st)
{
	const char *last = st->cache[st->ncache - 1].path;
	char q[QUOTE_MAX];
	for (size_t i = 0; i + 1 < st->ncache; i++)
		if (strcmp(st->cache[i].path, last) == 0)
			return fail(c, "cache path %s is listed twice", quote(q, last));
	return 0;
}

static int stage_cache(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_stage_config *st = target;
	if (!cJSON_IsArray(v))
		return expected(c, v, "an array of {\"path\": ..., \"key\": [...]}");
	if (check_count(c, v, SW_CACHE_MAX, "cache entries"))
		return -1;
	st->cache = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *st->cache);
	for (const cJSON *e = v->child; e; e = e->next) {
		size_t mark = path_index(c, st->ncache);
		st->ncache++;
		int r = parse_keys(c, e, cache_keys, sizeof cache_keys / sizeof *cache_keys,
				   &st->cache[st->ncache - 1]);
		if (!r)
			r = check_cache_repeat(c, st);
		path_pop(c, mark);
		if (r)
			return r;
	}
	return 0;
}

/* Letters, digits, '-' and '.' in each label of a host name or address. */
static bool valid_host(const char *s, size_t n)
{
	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && (s[i] != '.' || s[i + 1] == '.'))
			return false;
	return true;
}

bool sw_config_registry_ok(const char *registry)
{
	const char *colon = strchr(registry, ':');
	size_t n = colon ? (size_t)(colon - registry) : strlen(registry);
	if (!valid_host(registry, n))
		return false;
	if (!colon)
		return true;
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	return isdigit((unsigned char)colon[1]) && !*end && !errno && port >= 1 && port <= 65535;
}

static int push_image(struct ctx *c, const cJSON *v, void *target)
{
	return get_string(c, v, &((struct sw_push_spec *)target)->image);
}

static int push_registry(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_push_spec *ps = target;
	char q[QUOTE_MAX];
	if (get_string(c, v, &ps->registry))
		return -1;
	/* With variables it is checked when the push knows them. */
	if (!strchr(ps->registry, '$') && !sw_config_registry_ok(ps->registry))
		return fail(c, "invalid registry %s (host:port, without a scheme or a path, e.g. \"127.0.0.1:5000\")",
			    quote(q, ps->registry));
	return 0;
}

static const struct key_desc push_keys[] = {
	{"image", push_image, true},
	{"registry", push_registry, false},
};

static int stage_push(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_stage_config *st = target;
	st->push = xcalloc(1, sizeof *st->push);
	return parse_keys(c, v, push_keys, sizeof push_keys / sizeof *push_keys, st->push);
}

/* "run" or "push": what the stage does is one or the other. */
static int check_stage_kind(struct ctx *c, const struct sw_stage_config *st)
{
	if (st->run && st->push)
		return fail(c, "\"push\" and \"run\" both given; a stage has one");
	if (!st->run && !st->push)
		return fail(c, "missing required key \"run\" (or \"push\", for a built-in push)");
	return 0;
}

static const struct key_desc stage_keys[] = {
	{"name", stage_name, true},
	{"run", stage_run, false},
	{"push", stage_push, false},
	{"branches", stage_branches, false},
	{"timeout", stage_timeout, false},
	{"env", stage_env, false},
	{"always", stage_always, false},
	{"allow_failure", stage_allow_failure, false},
	{"parse", stage_parse, false},
	{"reports", stage_reports, false},
	{"cache", stage_cache, false},
};

static int check_stage_unique(struct ctx *c, const struct sw_config *cfg, size_t i)
{
	char q[QUOTE_MAX];
	for (size_t j = 0; j < i; j++) {
		if (strcmp(cfg->stages[j].name, cfg->stages[i].name) != 0)
			continue;
		size_t mark = path_key(c, "name");
		fail(c, "duplicate stage name %s (also stages[%zu])", quote(q, cfg->stages[i].name), j);
		path_pop(c, mark);
		return -1;
	}
	return 0;
}

static int top_stages(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	if (!cJSON_IsArray(v))
		return expected(c, v, "an array");
	if (!v->child)
		return fail(c, "expected at least one stage");
	if (check_count(c, v, STAGES_MAX, "stages"))
		return -1;
	cfg->stages = xcalloc((size_t)cJSON_GetArraySize(v), sizeof *cfg->stages);
	for (const cJSON *e = v->child; e; e = e->next) {
		size_t i = cfg->nstages++;
		cfg->stages[i].timeout = DEFAULT_TIMEOUT;
		size_t mark = path_index(c, i);
		int r = parse_keys(c, e, stage_keys, sizeof stage_keys / sizeof *stage_keys,
				   &cfg->stages[i]);
		if (!r)
			r = check_stage_kind(c, &cfg->stages[i]);
		if (!r)
			r = check_stage_unique(c, cfg, i);
		path_pop(c, mark);
		if (r)
			return r;
	}
	return 0;
}

/* ---- the rest of the top level ---- */

static int top_version(struct ctx *c, const cJSON *v, void *target)
{
	char d[QUOTE_MAX];
	if (!cJSON_IsNumber(v))
		return expected(c, v, "a number");
	if (islessgreater(v->valuedouble, 1))
		return fail(c, "unsupported version %s (this slipway reads version 1)",
			    describe(d, v));
	((struct sw_config *)target)->version = 1;
	return 0;
}

static int top_main(struct ctx *c, const cJSON *v, void *target)
{
	return get_string(c, v, &((struct sw_config *)target)->main_branch);
}

static int top_integration(struct ctx *c, const cJSON *v, void *target)
{
	return get_string(c, v, &((struct sw_config *)target)->integration_branch);
}

static int top_remote(struct ctx *c, const cJSON *v, void *target)
{
	return get_string(c, v, &((struct sw_config *)target)->remote);
}

static int add_secret(struct ctx *c, const cJSON *v, struct strlist *l)
{
	char q[QUOTE_MAX];
	if (!cJSON_IsString(v))
		return expected(c, v, "a string");
	if (check_env_name(c, v->valuestring))
		return -1;
	if (strlist_has(l, v->valuestring))
		return fail(c, "duplicate secret %s", quote(q, v->valuestring));
	strlist_add(l, v->valuestring);
	return 0;
}

static int top_secrets(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	if (!cJSON_IsArray(v))
		return expected(c, v, "an array");
	if (check_count(c, v, SECRETS_MAX, "secrets"))
		return -1;
	return add_each(c, v, add_secret, &cfg->secrets);
}

/* Every stage gets these from slipway: passing the caller's would only
 * hide which one a stage sees. */
static bool stage_base_name(const char *name)
{
	static const char *const base[] = {"PATH", "HOME", "USER", "LANG", "TZ", "TERM"};
	for (size_t i = 0; i < sizeof base / sizeof *base; i++)
		if (!strcmp(name, base[i]))
			return true;
	return false;
}

static int add_pass_env(struct ctx *c, const cJSON *v, struct strlist *l)
{
	char q[QUOTE_MAX];
	if (!cJSON_IsString(v))
		return expected(c, v, "a string");
	if (check_env_name(c, v->valuestring))
		return -1;
	if (stage_base_name(v->valuestring))
		return fail(c, "%s: every stage gets it from slipway already", quote(q, v->valuestring));
	if (strlist_has(l, v->valuestring))
		return fail(c, "duplicate variable %s", quote(q, v->valuestring));
	strlist_add(l, v->valuestring);
	return 0;
}

/* "pass_env": variables handed from the caller's environment as they
 * are, unlike secrets: for addresses and settings that logs may show. */
static int top_pass_env(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	if (!cJSON_IsArray(v))
		return expected(c, v, "an array");
	if (check_count(c, v, PASS_ENV_MAX, "pass_env variables"))
		return -1;
	return add_each(c, v, add_pass_env, &cfg->pass_env);
}

/* A variable is a secret (masked) or not: never both. */
static int check_pass_env(struct ctx *c, const struct sw_config *cfg)
{
	char q[QUOTE_MAX];
	for (size_t i = 0; i < cfg->pass_env.len; i++)
		if (strlist_has(&cfg->secrets, cfg->pass_env.items[i])) {
			path_key(c, "pass_env");
			path_index(c, i);
			return fail(c, "%s is also in \"secrets\": a variable is masked or not, name it once",
				    quote(q, cfg->pass_env.items[i]));
		}
	return 0;
}

/* The gate names worth suggesting, the usual ones first. */
static const char *const gate_names[] = {
	"coverage_min", "lint_max", "tests_failed_max", "coverage_max", "lint_min", "tests_failed_min",
};

static int gate_value(struct ctx *c, const cJSON *v, struct sw_gate *g)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return expected(c, v, "a number");
	if (strcmp(g->metric, "coverage") == 0 && !(v->valuedouble >= 0 && v->valuedouble <= 100))
		return expected(c, v, "a percentage from 0 to 100");
	g->limit = v->valuedouble;
	return 0;
}

/* "<metric>_min" or "<metric>_max"; whether a custom metric is measured
 * is checked once every stage is read (see check_gates). */
static int parse_gate(struct ctx *c, const cJSON *obj, const cJSON *kv, struct sw_gate *g)
{
	const char *key = kv->string;
	size_t n = strlen(key);
	if (check_duplicate(c, obj, kv))
		return -1;
	char *metric = n > 4 ? xstrndup(key, n - 4) : NULL;
	bool ok = metric && valid_metric_name(metric) &&
		  (strcmp(key + n - 4, "_min") == 0 || strcmp(key + n - 4, "_max") == 0);
	if (!ok) {
		free(metric);
		return unknown_key(c, key, gate_names, sizeof gate_names / sizeof *gate_names);
	}
	g->name = xstrdup(key);
	g->metric = metric;
	g->is_min = strcmp(key + n - 4, "_min") == 0;
	size_t mark = path_key(c, key);
	int r = gate_value(c, kv, g);
	path_pop(c, mark);
	return r;
}

static int top_gates(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	if (!cJSON_IsObject(v))
		return expected(c, v, "an object");
	if (check_count(c, v, GATES_MAX, "gates"))
		return -1;
	cfg->gates = xcalloc((size_t)cJSON_GetArraySize(v), sizeof *cfg->gates);
	for (const cJSON *kv = v->child; kv; kv = kv->next)
		if (parse_gate(c, v, kv, &cfg->gates[cfg->ngates++]))
			return -1;
	return 0;
}

static int retention_runs(struct ctx *c, const cJSON *v, void *target)
{
	return get_posint(c, v, &((struct sw_config *)target)->retention_runs);
}

static const struct key_desc retention_keys[] = {
	{"runs", retention_runs, false},
};

static int top_retention(struct ctx *c, const cJSON *v, void *target)
{
	return parse_keys(c, v, retention_keys, 1, target);
}

static int top_max_parallel(struct ctx *c, const cJSON *v, void *target)
{
	return get_posint(c, v, &((struct sw_config *)target)->max_parallel);
}

/* A repository may only add protections and pick a theme: a cloned
 * repository can never rebind keys or lift a protection. */
static int ui_protected(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	if (!cJSON_IsArray(v))
		return expected(c, v, "an array of branch names");
	if (check_count(c, v, PROTECTED_MAX, "branches"))
		return -1;
	return add_each(c, v, add_branch, &cfg->ui_protected);
}

static int ui_read_only(struct ctx *c, const cJSON *v, void *target)
{
	return get_bool(c, v, &((struct sw_config *)target)->ui_read_only);
}

static int ui_theme(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	char q[QUOTE_MAX];
	if (get_string(c, v, &cfg->ui_theme))
		return -1;
	if (!sw_theme_name_valid(cfg->ui_theme))
		return fail(c, "invalid theme name %s (%s)", quote(q, cfg->ui_theme), SW_THEME_NAME_RULE);
	return 0;
}

static const struct key_desc ui_keys[] = {
	{"protected", ui_protected, false},
	{"read_only", ui_read_only, false},
	{"theme", ui_theme, false},
};

static int top_ui(struct ctx *c, const cJSON *v, void *target)
{
	return parse_keys(c, v, ui_keys, sizeof ui_keys / sizeof *ui_keys, target);
}

static int docker_host(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	char q[QUOTE_MAX];
	if (get_string(c, v, &cfg->docker_host))
		return -1;
	if (strncmp(cfg->docker_host, "unix:///", 8) && strncmp(cfg->docker_host, "unix://~/", 9) &&
	    strncmp(cfg->docker_host, "tcp://", 6))
		return fail(c, "invalid engine address %s (unix:///PATH, unix://~/PATH or tcp://HOST:PORT)",
			    quote(q, cfg->docker_host));
	return 0;
}

static const struct key_desc docker_keys[] = {
	{"host", docker_host, false},
};

static int top_docker(struct ctx *c, const cJSON *v, void *target)
{
	return parse_keys(c, v, docker_keys, sizeof docker_keys / sizeof *docker_keys, target);
}

static int sentry_url(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	char q[QUOTE_MAX];
	if (get_string(c, v, &cfg->sentry_url))
		return -1;
	if (strncmp(cfg->sentry_url, "https://", 8) && strncmp(cfg->sentry_url, "http://", 7))
		return fail(c, "invalid Sentry address %s (https://HOST/ or http://HOST:PORT/)", quote(q, cfg->sentry_url));
	return 0;
}

static int sentry_org(struct ctx *c, const cJSON *v, void *target)
{
	return get_string(c, v, &((struct sw_config *)target)->sentry_org);
}

static int sentry_project(struct ctx *c, const cJSON *v, void *target)
{
	return get_string(c, v, &((struct sw_config *)target)->sentry_project);
}

static const struct key_desc sentry_keys[] = {
	{"url", sentry_url, false},
	{"org", sentry_org, false},
	{"project", sentry_project, false},
};

/* A token here would be committed for every clone to read: said before
 * the generic unknown-key message, with where tokens go instead. */
static int top_sentry(struct ctx *c, const cJSON *v, void *target)
{
	if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "token")) {
		size_t mark = path_key(c, "token");
		int r = fail(c, "a token does not belong in slipway.json: set SENTRY_AUTH_TOKEN in the environment "
			     "or in the secrets file (~/.config/slipway/secrets, mode 600)");
		path_pop(c, mark);
		return r;
	}
	return parse_keys(c, v, sentry_keys, sizeof sentry_keys / sizeof *sentry_keys, target);
}

/* ---- github ---- */

bool sw_config_github_repo_ok(const char *repo)
{
	const char *slash = strchr(repo, '/');
	if (!slash || slash == repo || !slash[1] || strchr(slash + 1, '/'))
		return false;
	for (const char *p = repo; *p; p++)
		if (p != slash && !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '.' && *p != '-' && *p != '_')
			return false;
	/* "." and ".." would climb out of /repos/ in the URL. */
	return strcmp(slash + 1, ".") && strcmp(slash + 1, "..") && strncmp(repo, "./", 2) && strncmp(repo, "../", 3);
}

static int github_repo(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_github_config *g = ((struct sw_config *)target)->github;
	char q[QUOTE_MAX];
	if (get_string(c, v, &g->repo))
		return -1;
	if (!sw_config_github_repo_ok(g->repo))
		return fail(c, "invalid GitHub repository %s (OWNER/NAME)", quote(q, g->repo));
	return 0;
}

static int github_api(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_github_config *g = ((struct sw_config *)target)->github;
	char q[QUOTE_MAX];
	if (get_string(c, v, &g->api))
		return -1;
	if (strncmp(g->api, "https://", 8) && strncmp(g->api, "http://", 7))
		return fail(c, "invalid GitHub API address %s (https://HOST or http://HOST:PORT)", quote(q, g->api));
	size_t n = strlen(g->api);
	while (n > 0 && g->api[n - 1] == '/')
		g->api[--n] = '\0';
	return 0;
}

static int github_statuses(struct ctx *c, const cJSON *v, void *target)
{
	return get_bool(c, v, &((struct sw_config *)target)->github->statuses);
}

static int github_pull_requests(struct ctx *c, const cJSON *v, void *target)
{
	return get_bool(c, v, &((struct sw_config *)target)->github->pull_requests);
}

static const struct key_desc github_keys[] = {
	{"repo", github_repo, true},
	{"api", github_api, false},
	{"statuses", github_statuses, false},
	{"pull_requests", github_pull_requests, false},
};

/* As for Sentry: a token committed here is every clone's to read. */
static int top_github(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "token")) {
		size_t mark = path_key(c, "token");
		int r = fail(c, "a token does not belong in slipway.json: set GITHUB_TOKEN in the environment "
			     "or in the secrets file (~/.config/slipway/secrets, mode 600)");
		path_pop(c, mark);
		return r;
	}
	if (!cfg->github) {
		cfg->github = xcalloc(1, sizeof *cfg->github);
		cfg->github->statuses = true;
	}
	if (parse_keys(c, v, github_keys, sizeof github_keys / sizeof *github_keys, target))
		return -1;
	if (!cfg->github->api)
		cfg->github->api = xstrdup("https://api.github.com");
	return 0;
}

/* ---- watch ---- */

static struct sw_watch_config *watch_of(void *target)
{
	return ((struct sw_config *)target)->watch;
}

static int watch_branches(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_stage_config tmp = {0};
	int r = stage_branches(c, v, &tmp);
	struct strlist *l = &watch_of(target)->branches;
	strlist_free(l);
	*l = tmp.branches;
	return r;
}

static int watch_fetch_interval(struct ctx *c, const cJSON *v, void *target)
{
	if (cJSON_IsNumber(v) && !(v->valuedouble > 0) && !(v->valuedouble < 0)) {
		watch_of(target)->fetch_interval = 0;
		return 0;
	}
	if (get_posint(c, v, &watch_of(target)->fetch_interval))
		return -1;
	/* A remote asked every second or so is a remote hammered. */
	if (watch_of(target)->fetch_interval < 5)
		return fail(c, "fetch_interval must be 0 (never fetch) or at least 5 seconds");
	return 0;
}

static int watch_auto_merge(struct ctx *c, const cJSON *v, void *target)
{
	return get_bool(c, v, &watch_of(target)->auto_merge);
}

static int watch_auto_deploy(struct ctx *c, const cJSON *v, void *target)
{
	return get_bool(c, v, &watch_of(target)->auto_deploy);
}

static const struct key_desc watch_keys[] = {
	{"branches", watch_branches, false},
	{"fetch_interval", watch_fetch_interval, false},
	{"auto_merge", watch_auto_merge, false},
	{"auto_deploy", watch_auto_deploy, false},
};

static int top_watch(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	if (!cfg->watch) {
		cfg->watch = xcalloc(1, sizeof *cfg->watch);
		cfg->watch->fetch_interval = 60;
	}
	if (parse_keys(c, v, watch_keys, sizeof watch_keys / sizeof *watch_keys, target))
		return -1;
	if (!cfg->watch->branches.len)
		strlist_add(&cfg->watch->branches, "*");
	return 0;
}

void sw_watch_config_free(struct sw_watch_config *w)
{
	if (!w)
		return;
	strlist_free(&w->branches);
	free(w);
}

void sw_github_config_free(struct sw_github_config *g)
{
	if (!g)
		return;
	free(g->repo);
	free(g->api);
	free(g);
}

/* ---- deploy ---- */

static const char *const hook_names[SW_HOOK_COUNT] = {"stop", "before_install", "after_install", "start",
						      "validate"};

const char *sw_hook_name(enum sw_hook h)
{
	return h < SW_HOOK_COUNT ? hook_names[h] : "?";
}

bool sw_config_release_path_ok(const char *path)
{
	if (!*path || *path == '/')
		return false;
	for (const char *p = path;;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (!*p)
			return true;
		p++;
	}
}

static struct sw_deploy_config *deploy_of(void *target)
{
	return ((struct sw_config *)target)->deploy;
}

/* "ssh://[user@]host[:port]": what OpenSSH is given, checked here so that
 * a typo is told with its key path, not by ssh at deploy time. */
static bool ssh_target_ok(const char *t)
{
	if (strncmp(t, "ssh://", 6))
		return false;
	const char *h = t + 6, *at = strchr(h, '@');
	if (at) {
		for (const char *u = h; u < at; u++)
			if (!isalnum((unsigned char)*u) && !strchr("._-", *u))
				return false;
		if (at == h)
			return false;
		h = at + 1;
	}
	/* What follows the user is a host[:port], as a registry's is. */
	return sw_config_registry_ok(h);
}

static int deploy_target(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	char q[QUOTE_MAX];
	if (get_string(c, v, &d->target))
		return -1;
	if (strcmp(d->target, "local") && strcmp(d->target, "swarm") && !ssh_target_ok(d->target))
		return fail(c, "invalid target %s (\"local\", \"ssh://user@host[:port]\" or \"swarm\")",
			    quote(q, d->target));
	return 0;
}

static int deploy_path(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	char q[QUOTE_MAX];
	if (get_string(c, v, &d->path))
		return -1;
	size_t n = strlen(d->path);
	bool home = !strncmp(d->path, "~/", 2);
	if ((d->path[0] != '/' && !home) || strstr(d->path, "/../") || (n >= 3 && !strcmp(d->path + n - 3, "/..")))
		return fail(c, "invalid path %s (an absolute directory, e.g. \"/srv/site\", or one under \"~/\")",
			    quote(q, d->path));
	while (n > 1 && d->path[n - 1] == '/')
		d->path[--n] = '\0';
	if (n == 1)
		return fail(c, "the path cannot be \"/\": releases/, shared/ and current are made there");
	return 0;
}

static int deploy_environment(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	char q[QUOTE_MAX];
	if (get_string(c, v, &d->environment))
		return -1;
	for (const char *p = d->environment; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return fail(c, "invalid environment name %s (letters, digits, '.', '_' and '-')",
				    quote(q, d->environment));
	return 0;
}

static int deploy_keep(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	if (get_posint(c, v, &d->keep))
		return -1;
	if (d->keep < 2)
		return fail(c, "keep must be at least 2: the current release and the previous one are always kept");
	return 0;
}

static int add_release_path(struct ctx *c, const cJSON *v, struct strlist *l)
{
	char q[QUOTE_MAX];
	if (!cJSON_IsString(v))
		return expected(c, v, "a string");
	if (!sw_config_release_path_ok(v->valuestring))
		return expected(c, v, "a path in the release (relative, without \".\" or \"..\" parts)");
	if (strlist_has(l, v->valuestring))
		return fail(c, "duplicate path %s", quote(q, v->valuestring));
	strlist_add(l, v->valuestring);
	return 0;
}

static int release_paths(struct ctx *c, const cJSON *v, struct strlist *l)
{
	if (!cJSON_IsArray(v))
		return expected(c, v, "an array of paths");
	if (check_count(c, v, SHARED_MAX, "paths"))
		return -1;
	return add_each(c, v, add_release_path, l);
}

static int deploy_shared(struct ctx *c, const cJSON *v, void *target)
{
	return release_paths(c, v, &deploy_of(target)->shared);
}

static int deploy_backup(struct ctx *c, const cJSON *v, void *target)
{
	return release_paths(c, v, &deploy_of(target)->backup);
}

static int deploy_hook(struct ctx *c, const cJSON *v, void *target, enum sw_hook h)
{
	struct sw_deploy_config *d = deploy_of(target);
	if (get_string_empty_ok(c, v, &d->hooks[h]))
		return -1;
	/* An empty hook is skipped, as CodeDeploy skips an absent one. */
	if (!d->hooks[h][strspn(d->hooks[h], " \t\n")]) {
		free(d->hooks[h]);
		d->hooks[h] = NULL;
	}
	return 0;
}

static int hook_stop(struct ctx *c, const cJSON *v, void *t) { return deploy_hook(c, v, t, SW_HOOK_STOP); }
static int hook_before(struct ctx *c, const cJSON *v, void *t) { return deploy_hook(c, v, t, SW_HOOK_BEFORE_INSTALL); }
static int hook_after(struct ctx *c, const cJSON *v, void *t) { return deploy_hook(c, v, t, SW_HOOK_AFTER_INSTALL); }
static int hook_start(struct ctx *c, const cJSON *v, void *t) { return deploy_hook(c, v, t, SW_HOOK_START); }
static int hook_validate(struct ctx *c, const cJSON *v, void *t) { return deploy_hook(c, v, t, SW_HOOK_VALIDATE); }

static const struct key_desc hook_keys[] = {
	{"stop", hook_stop, false},
	{"before_install", hook_before, false},
	{"after_install", hook_after, false},
	{"start", hook_start, false},
	{"validate", hook_validate, false},
};

static int deploy_hooks(struct ctx *c, const cJSON *v, void *target)
{
	return parse_keys(c, v, hook_keys, sizeof hook_keys / sizeof *hook_keys, target);
}

static int deploy_hook_timeout(struct ctx *c, const cJSON *v, void *target)
{
	return get_posint(c, v, &deploy_of(target)->hook_timeout);
}

static int health_url(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	char q[QUOTE_MAX];
	if (get_string(c, v, &d->health_url))
		return -1;
	if (strncmp(d->health_url, "http://", 7) && strncmp(d->health_url, "https://", 8))
		return fail(c, "invalid health URL %s (http://HOST[:PORT]/PATH or https://...)", quote(q, d->health_url));
	return 0;
}

static int health_timeout(struct ctx *c, const cJSON *v, void *target)
{
	return get_posint(c, v, &deploy_of(target)->health_timeout);
}

static int health_containers(struct ctx *c, const cJSON *v, void *target)
{
	return get_bool(c, v, &deploy_of(target)->health_containers);
}

static const struct key_desc health_keys[] = {
	{"url", health_url, false},
	{"timeout", health_timeout, false},
	{"containers", health_containers, false},
};

static int deploy_health(struct ctx *c, const cJSON *v, void *target)
{
	return parse_keys(c, v, health_keys, sizeof health_keys / sizeof *health_keys, target);
}

/* As docker-compose makes a project name of a directory's: lower case
 * letters, digits, '_' and '-', starting with a letter or digit. */
static bool compose_project_ok(const char *s)
{
	if (!*s || !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static int deploy_project(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	char q[QUOTE_MAX];
	if (get_string(c, v, &d->project))
		return -1;
	if (!compose_project_ok(d->project))
		return fail(c, "invalid compose project name %s (lower-case letters, digits, '_' and '-')",
			    quote(q, d->project));
	return 0;
}

/* A service's name as Swarm takes it: letters, digits, '_', '.' and '-',
 * starting with a letter or digit (a stack's are STACK_NAME). */
static bool service_name_ok(const char *s)
{
	if (!isalnum((unsigned char)*s) || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static int add_service(struct ctx *c, const cJSON *v, struct strlist *l)
{
	char q[QUOTE_MAX];
	if (!cJSON_IsString(v))
		return expected(c, v, "a service name");
	if (!service_name_ok(v->valuestring))
		return fail(c, "invalid service name %s (letters, digits, '_', '.' and '-', as Swarm names them)",
			    quote(q, v->valuestring));
	if (strlist_has(l, v->valuestring))
		return fail(c, "duplicate service %s", quote(q, v->valuestring));
	strlist_add(l, v->valuestring);
	return 0;
}

static int deploy_services(struct ctx *c, const cJSON *v, void *target)
{
	if (!cJSON_IsArray(v) || !cJSON_GetArraySize(v))
		return expected(c, v, "a non-empty array of service names");
	if (check_count(c, v, SHARED_MAX, "services"))
		return -1;
	return add_each(c, v, add_service, &deploy_of(target)->services);
}

/* The commit must be in the image's name: it is how slipway tells which
 * release a service runs, and what a rollback goes back to. */
static int check_image(struct ctx *c, const char *image)
{
	char q[QUOTE_MAX];
	const char *at = strstr(image, "$SLIPWAY_COMMIT");
	if (!at || strstr(at + 1, "$SLIPWAY_COMMIT"))
		return fail(c, "the image %s must name the commit once, as $SLIPWAY_COMMIT (e.g. "
			    "\"127.0.0.1:5000/site:$SLIPWAY_COMMIT\"): it is how the release a service runs is known",
			    quote(q, image));
	return 0;
}

/* One image for every service, or {"service": "image", ...}: kept in
 * images as "service=image" until the services are known (top_deploy). */
static int deploy_image(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	if (cJSON_IsString(v)) {
		if (!v->valuestring[0])
			return expected(c, v, "a non-empty string");
		if (check_image(c, v->valuestring))
			return -1;
		strlist_addf(&d->images, "=%s", v->valuestring);
		return 0;
	}
	if (!cJSON_IsObject(v) || !v->child)
		return expected(c, v, "an image, or an object naming each service's");
	if (check_count(c, v, SHARED_MAX, "images"))
		return -1;
	for (const cJSON *kv = v->child; kv; kv = kv->next) {
		size_t mark = path_key(c, kv->string);
		int r = check_duplicate(c, v, kv);
		if (!r && (!cJSON_IsString(kv) || !kv->valuestring[0]))
			r = expected(c, kv, "an image");
		if (!r)
			r = check_image(c, kv->valuestring);
		path_pop(c, mark);
		if (r)
			return r;
		strlist_addf(&d->images, "%s=%s", kv->string, kv->valuestring);
	}
	return 0;
}

static int add_target(struct ctx *c, const cJSON *v, struct strlist *l)
{
	char q[QUOTE_MAX];
	if (!cJSON_IsString(v))
		return expected(c, v, "an ssh:// URL");
	if (!ssh_target_ok(v->valuestring))
		return fail(c, "invalid target %s (\"ssh://user@host[:port]\": a fleet's hosts are reached by ssh)",
			    quote(q, v->valuestring));
	if (strlist_has(l, v->valuestring))
		return fail(c, "duplicate target %s", quote(q, v->valuestring));
	strlist_add(l, v->valuestring);
	return 0;
}

static int deploy_targets(struct ctx *c, const cJSON *v, void *target)
{
	if (!cJSON_IsArray(v) || !cJSON_GetArraySize(v))
		return expected(c, v, "a non-empty array of ssh:// URLs");
	if (check_count(c, v, SHARED_MAX, "targets"))
		return -1;
	return add_each(c, v, add_target, &deploy_of(target)->targets);
}

static int strategy_max_parallel(struct ctx *c, const cJSON *v, void *target)
{
	return get_posint(c, v, &deploy_of(target)->max_parallel);
}

/* "66%" of the hosts, or a count of them. */
static int strategy_min_healthy(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	char q[QUOTE_MAX];
	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= 0 && v->valuedouble <= SHARED_MAX) || islessgreater((double)(int)v->valuedouble, v->valuedouble))
			return expected(c, v, "a count of hosts (0 or more) or a percentage such as \"66%\"");
		d->min_healthy = (int)v->valuedouble;
		d->min_healthy_pct = false;
		return 0;
	}
	const char *s = cJSON_GetStringValue(v);
	char *end = NULL;
	long pct = s && isdigit((unsigned char)*s) ? strtol(s, &end, 10) : -1;
	if (pct < 0 || pct > 100 || strcmp(end, "%") || end - s > 3)
		return fail(c, "invalid min_healthy %s (a count of hosts, or a percentage from \"0%%\" to \"100%%\")",
			    s ? quote(q, s) : describe(q, v));
	d->min_healthy = (int)pct;
	d->min_healthy_pct = true;
	return 0;
}

static const struct key_desc strategy_keys[] = {
	{"max_parallel", strategy_max_parallel, false},
	{"min_healthy", strategy_min_healthy, false},
};

/* CodeDeploy's named configurations, or its two numbers. */
static int deploy_strategy(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_deploy_config *d = deploy_of(target);
	char q[QUOTE_MAX];
	static const char *const named[] = {"one_at_a_time", "half_at_a_time", "all_at_once"};
	if (cJSON_IsString(v)) {
		for (size_t i = 0; i < sizeof named / sizeof *named; i++)
			if (!strcmp(v->valuestring, named[i])) {
				free(d->strategy);
				d->strategy = xstrdup(named[i]);
				return 0;
			}
		const char *s = sw_suggest(v->valuestring, named, sizeof named / sizeof *named);
		return fail(c, "unknown strategy %s (one_at_a_time, half_at_a_time, all_at_once, or "
			    "{\"max_parallel\": N, \"min_healthy\": \"66%%\"})%s%s%s", quote(q, v->valuestring),
			    s ? "; did you mean \"" : "", s ? s : "", s ? "\"?" : "");
	}
	free(d->strategy);
	d->strategy = xstrdup("");
	return parse_keys(c, v, strategy_keys, sizeof strategy_keys / sizeof *strategy_keys, target);
}

static int deploy_monitor(struct ctx *c, const cJSON *v, void *target)
{
	return get_posint(c, v, &deploy_of(target)->monitor);
}

static int deploy_update_timeout(struct ctx *c, const cJSON *v, void *target)
{
	return get_posint(c, v, &deploy_of(target)->update_timeout);
}

static const struct key_desc deploy_keys[] = {
	{"target", deploy_target, false},
	{"path", deploy_path, false},
	{"services", deploy_services, false},
	{"image", deploy_image, false},
	{"targets", deploy_targets, false},
	{"strategy", deploy_strategy, false},
	{"monitor", deploy_monitor, false},
	{"update_timeout", deploy_update_timeout, false},
	{"environment", deploy_environment, false},
	{"keep", deploy_keep, false},
	{"shared", deploy_shared, false},
	{"backup", deploy_backup, false},
	{"hooks", deploy_hooks, false},
	{"hook_timeout", deploy_hook_timeout, false},
	{"health", deploy_health, false},
	{"project", deploy_project, false},
};

/* The last part of path as a compose project name: what docker-compose
 * would call a project in a directory of that name, so that each release
 * (releases/<commit>) is one and the same project. */
static char *default_project(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *p = xstrdup(base);
	size_t o = 0;
	for (const char *s = base; *s; s++) {
		unsigned char ch = (unsigned char)tolower((unsigned char)*s);
		if (isalnum(ch) || ch == '_' || ch == '-')
			p[o++] = (char)ch;
	}
	p[o] = '\0';
	while (p[0] && !isalnum((unsigned char)p[0]))
		memmove(p, p + 1, strlen(p));
	if (!p[0]) {
		free(p);
		p = xstrdup("slipway");
	}
	return p;
}

/* Swarm keeps the releases (each service's spec and the one before), so
 * what a release directory needs has no place here: said, not ignored. */
static int swarm_deploy_check(struct ctx *c, const cJSON *v, struct sw_deploy_config *d)
{
	static const char *const unused[] = {"path", "keep", "shared", "backup", "hooks", "hook_timeout", "project"};
	for (size_t i = 0; i < sizeof unused / sizeof *unused; i++)
		if (cJSON_GetObjectItemCaseSensitive(v, unused[i])) {
			size_t mark = path_key(c, unused[i]);
			int r = fail(c, "not used with \"target\": \"swarm\": Swarm keeps each service's releases "
				     "(its spec and the one before), and runs no hooks");
			path_pop(c, mark);
			return r;
		}
	if (d->health_containers) {
		size_t mark = path_key(c, "health");
		path_key(c, "containers");
		int r = fail(c, "not used with \"target\": \"swarm\": Swarm itself watches each task's health "
			     "check during the update (\"monitor\")");
		path_pop(c, mark);
		return r;
	}
	if (!d->services.len)
		return fail(c, "missing required key \"services\" (the Swarm services to update, e.g. "
			    "[\"site_web\", \"site_proxy\"])");
	if (!d->images.len)
		return fail(c, "missing required key \"image\" (e.g. \"127.0.0.1:5000/site:$SLIPWAY_COMMIT\")");
	/* images: "=IMAGE" for all, or "service=IMAGE" each; in services' order. */
	struct strlist by = {0};
	const char *all = d->images.items[0][0] == '=' ? d->images.items[0] + 1 : NULL;
	int r = 0;
	for (size_t i = 0; i < d->services.len && !r; i++) {
		const char *img = all;
		size_t n = strlen(d->services.items[i]);
		for (size_t j = 0; j < d->images.len && !img; j++)
			if (!strncmp(d->images.items[j], d->services.items[i], n) && d->images.items[j][n] == '=')
				img = d->images.items[j] + n + 1;
		if (!img) {
			char q[QUOTE_MAX];
			size_t mark = path_key(c, "image");
			r = fail(c, "no image for the service %s", quote(q, d->services.items[i]));
			path_pop(c, mark);
		} else {
			strlist_add(&by, img);
		}
	}
	for (size_t j = 0; j < d->images.len && !r && !all; j++) {
		char *name = xstrdup(d->images.items[j]);
		*strchr(name, '=') = '\0';
		if (!strlist_has(&d->services, name)) {
			char q[QUOTE_MAX];
			size_t mark = path_key(c, "image");
			path_key(c, name);
			r = fail(c, "%s is not one of \"services\"", quote(q, name));
			path_pop(c, mark);
		}
		free(name);
	}
	strlist_free(&d->images);
	d->images = by;
	if (!r && !d->environment)
		d->environment = xstrdup("production");
	return r;
}

static int top_deploy(struct ctx *c, const cJSON *v, void *target)
{
	struct sw_config *cfg = target;
	if (!cfg->deploy) {
		cfg->deploy = xcalloc(1, sizeof *cfg->deploy);
		cfg->deploy->keep = 5;
		cfg->deploy->hook_timeout = 600;
		cfg->deploy->health_timeout = 60;
		cfg->deploy->monitor = 10;
		cfg->deploy->update_timeout = 300;
	}
	if (parse_keys(c, v, deploy_keys, sizeof deploy_keys / sizeof *deploy_keys, target))
		return -1;
	struct sw_deploy_config *d = cfg->deploy;
	if (d->targets.len && d->target) {
		size_t mark = path_key(c, "targets");
		int r = fail(c, "a deploy has one \"target\" or a fleet of \"targets\", not both");
		path_pop(c, mark);
		return r;
	}
	if (cJSON_GetObjectItemCaseSensitive(v, "strategy") && !d->targets.len) {
		size_t mark = path_key(c, "strategy");
		int r = fail(c, "only for a fleet of \"targets\"");
		path_pop(c, mark);
		return r;
	}
	if (d->targets.len)
		d->target = xstrdup("fleet");
	if (!d->target)
		d->target = xstrdup("local");
	if (!strcmp(d->target, "swarm"))
		return swarm_deploy_check(c, v, d);
	static const char *const swarm_only[] = {"services", "image", "monitor", "update_timeout"};
	for (size_t i = 0; i < sizeof swarm_only / sizeof *swarm_only; i++)
		if (cJSON_GetObjectItemCaseSensitive(v, swarm_only[i])) {
			size_t mark = path_key(c, swarm_only[i]);
			int r = fail(c, "only for \"target\": \"swarm\" (this target is %s)", d->target);
			path_pop(c, mark);
			return r;
		}
	if (!d->path)
		return fail(c, "missing required key \"path\"");
	/* "~/" is the deploying user's home: a demo or a per-user site needs
	 * no root.  On an ssh target it would be another machine's. */
	if (!strncmp(d->path, "~/", 2)) {
		const char *h = getenv("HOME");
		size_t mark = path_key(c, "path");
		int r = 0;
		if (strcmp(d->target, "local"))
			r = fail(c, "an ssh target's path must be absolute: \"~/\" would be %s home",
				 d->targets.len ? "each host's" : "this machine's");
		else if (!h || h[0] != '/')
			r = fail(c, "\"~/\" needs HOME set to an absolute directory");
		path_pop(c, mark);
		if (r)
			return r;
		char *full = xasprintf("%s/%s", strcmp(h, "/") ? h : "", d->path + 2);
		free(d->path);
		d->path = full;
	}
	if (!d->environment)
		d->environment = xstrdup("production");
	if (!d->project)
		d->project = default_project(d->path);
	for (size_t i = 0; i < d->backup.len; i++) {
		bool under = false;
		for (size_t j = 0; j < d->shared.len && !under; j++) {
			size_t n = strlen(d->shared.items[j]);
			under = !strcmp(d->backup.items[i], d->shared.items[j]) ||
				(!strncmp(d->backup.items[i], d->shared.items[j], n) && d->backup.items[i][n] == '/');
		}
		if (!under) {
			char q[QUOTE_MAX];
			size_t mark = path_key(c, "backup");
			path_index(c, i);
			int r = fail(c, "%s is not under a \"shared\" path: a database in the release would be "
				     "replaced by the next one", quote(q, d->backup.items[i]));
			path_pop(c, mark);
			return r;
		}
	}
	return 0;
}

void sw_deploy_config_free(struct sw_deploy_config *d)
{
	if (!d)
		return;
	free(d->target);
	free(d->path);
	free(d->environment);
	strlist_free(&d->shared);
	strlist_free(&d->backup);
	for (size_t i = 0; i < SW_HOOK_COUNT; i++)
		free(d->hooks[i]);
	free(d->health_url);
	free(d->project);
	strlist_free(&d->services);
	strlist_free(&d->images);
	strlist_free(&d->targets);
	free(d->strategy);
	free(d);
}

size_t sw_deploy_wave_size(const struct sw_deploy_config *d, size_t n, char **err)
{
	if (!n)
		return 0;
	size_t wave, healthy = 0;
	const char *s = d->strategy;
	if (s && !strcmp(s, "all_at_once")) {
		wave = n;
	} else if (s && !strcmp(s, "half_at_a_time")) {
		/* CodeDeploy's: up to half, fractions rounded down. */
		wave = n / 2 ? n / 2 : 1;
	} else if (!s || *s) {
		wave = 1;
	} else {
		/* A percentage of hosts is rounded up, as CodeDeploy rounds it. */
		healthy = d->min_healthy_pct ? ((size_t)d->min_healthy * n + 99) / 100 : (size_t)d->min_healthy;
		wave = healthy >= n ? 0 : n - healthy;
		if (d->max_parallel && (size_t)d->max_parallel < wave)
			wave = (size_t)d->max_parallel;
	}
	if (!wave)
		*err = xasprintf("deploy.strategy: with %zu host%s, min_healthy %d%s keeps %zu serving: none is left to "
				 "deploy to (lower min_healthy)", n, n == 1 ? "" : "s", d->min_healthy,
				 d->min_healthy_pct ? "%" : "", healthy);
	return wave;
}

char *sw_deploy_health_url(const struct sw_deploy_config *d, const char *target)
{
	if (!d->health_url)
		return NULL;
	const char *at = strstr(d->health_url, "{host}");
	if (!at)
		return xstrdup(d->health_url);
	/* ssh://[user@]host[:port], as ssh_target_ok let it in. */
	const char *h = strncmp(target, "ssh://", 6) ? target : target + 6;
	const char *u = strchr(h, '@');
	if (u)
		h = u + 1;
	size_t hn = strcspn(h, ":");
	struct sbuf sb = {0};
	for (const char *p = d->health_url; *p;) {
		at = strstr(p, "{host}");
		if (!at) {
			sbuf_adds(&sb, p);
			break;
		}
		sbuf_addf(&sb, "%.*s%.*s", (int)(at - p), p, (int)hn, h);
		p = at + 6;
	}
	return sb.buf;
}

char *sw_deploy_image(const struct sw_deploy_config *d, size_t i, const char *commit)
{
	const char *img = d->images.items[i], *at = strstr(img, "$SLIPWAY_COMMIT");
	return xasprintf("%.*s%s%s", (int)(at - img), img, commit, at + strlen("$SLIPWAY_COMMIT"));
}

void sw_deploy_image_commit(const struct sw_deploy_config *d, size_t i, const char *image, char sha[41])
{
	*sha = '\0';
	const char *img = d->images.items[i], *at = strstr(img, "$SLIPWAY_COMMIT");
	const char *rest = at + strlen("$SLIPWAY_COMMIT");
	size_t pre = (size_t)(at - img), post = strlen(rest), n = image ? strlen(image) : 0;
	/* What the engine shows may carry the digest it pinned: name@sha256:... */
	const char *digest = image ? strstr(image, "@sha256:") : NULL;
	if (digest)
		n = (size_t)(digest - image);
	if (n != pre + 40 + post || strncmp(image, img, pre) || strncmp(image + pre + 40, rest, post))
		return;
	for (size_t k = 0; k < 40; k++)
		if (!isxdigit((unsigned char)image[pre + k]) || isupper((unsigned char)image[pre + k]))
			return;
	memcpy(sha, image + pre, 40);
	sha[40] = '\0';
}

static const struct key_desc top_keys[] = {
	{"version", top_version, false},
	{"main", top_main, false},
	{"integration", top_integration, false},
	{"remote", top_remote, false},
	{"secrets", top_secrets, false},
	{"pass_env", top_pass_env, false},
	{"stages", top_stages, true},
	{"gates", top_gates, false},
	{"retention", top_retention, false},
	{"max_parallel_runs", top_max_parallel, false},
	{"ui", top_ui, false},
	{"docker", top_docker, false},
	{"sentry", top_sentry, false},
	{"deploy", top_deploy, false},
	{"github", top_github, false},
	{"watch", top_watch, false},
};

static bool stage_measures(const struct sw_config *cfg, const char *metric)
{
	for (size_t i = 0; i < cfg->nstages; i++)
		for (size_t j = 0; j < cfg->stages[i].nparse; j++) {
			const struct sw_parse_spec *p = &cfg->stages[i].parse[j];
			if (p->kind == SW_PARSE_REGEX && strcmp(p->metric, metric) == 0)
				return true;
		}
	return false;
}

static int unmeasured(struct ctx *c, const struct sw_config *cfg, const char *metric)
{
	struct strlist known = {0};
	char q[QUOTE_MAX];
	strlist_add(&known, "coverage");
	strlist_add(&known, "lint");
	strlist_add(&known, "tests_failed");
	for (size_t i = 0; i < cfg->nstages; i++)
		for (size_t j = 0; j < cfg->stages[i].nparse; j++)
			if (cfg->stages[i].parse[j].kind == SW_PARSE_REGEX)
				strlist_add(&known, cfg->stages[i].parse[j].metric);
	const char *s = sw_suggest(metric, (const char *const *)known.items, known.len);
	if (s)
		fail(c, "no stage measures metric %s (did you mean \"%s\"?)", quote(q, metric), s);
	else
		fail(c, "no stage measures metric %s", quote(q, metric));
	strlist_free(&known);
	return -1;
}

static int check_gates(struct ctx *c, const struct sw_config *cfg)
{
	for (size_t i = 0; i < cfg->ngates; i++) {
		const struct sw_gate *g = &cfg->gates[i];
		if (builtin_metric(g->metric) || stage_measures(cfg, g->metric))
			continue;
		path_key(c, "gates");
		path_key(c, g->name);
		return unmeasured(c, cfg, g->metric);
	}
	return 0;
}

static void config_defaults(struct sw_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->version = 1;
	cfg->main_branch = xstrdup("main");
	cfg->integration_branch = xstrdup("development");
	cfg->remote = xstrdup("origin");
	cfg->retention_runs = DEFAULT_RETENTION;
	cfg->max_parallel = 1;
}

/* ---- interface ---------------------------------------------------------- */

int sw_config_parse(struct sw_config *cfg, const char *text, size_t len, const char *source,
		    char **err)
{
	struct ctx c = {.source = source ? source : "slipway.json"};
	cJSON *root = NULL;
	memset(cfg, 0, sizeof *cfg);
	*err = json_parse(text ? text : "", text ? len : 0, c.source, &root);
	if (*err)
		return -1;
	struct sw_config tmp;
	config_defaults(&tmp);
	sbuf_init(&c.path);
	int r = parse_keys(&c, root, top_keys, sizeof top_keys / sizeof *top_keys, &tmp);
	if (!r)
		r = check_gates(&c, &tmp);
	if (!r)
		r = check_pass_env(&c, &tmp);
	cJSON_Delete(root);
	sbuf_free(&c.path);
	if (r) {
		sw_config_free(&tmp);
		*err = c.err;
		return -1;
	}
	*cfg = tmp;
	return 0;
}

int sw_config_load_file(struct sw_config *cfg, const char *path, char **err)
{
	size_t len;
	memset(cfg, 0, sizeof *cfg);
	char *text = sw_read_file(path, &len);
	if (!text) {
		*err = errno == EFBIG ? xasprintf("%s: larger than %u MiB: not a configuration file", path, SW_READ_MAX >> 20)
				      : xasprintf("%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	int r = sw_config_parse(cfg, text, len, path, err);
	free(text);
	return r;
}

static void stage_free(struct sw_stage_config *st)
{
	free(st->name);
	free(st->run);
	if (st->push) {
		free(st->push->image);
		free(st->push->registry);
		free(st->push);
	}
	strlist_free(&st->branches);
	for (size_t i = 0; i < st->nenv; i++) {
		free(st->env[i].name);
		free(st->env[i].value);
	}
	free(st->env);
	for (size_t i = 0; i < st->nparse; i++) {
		free(st->parse[i].pattern);
		free(st->parse[i].metric);
	}
	free(st->parse);
	free(st->junit);
	free(st->cobertura);
	for (size_t i = 0; i < st->ncache; i++) {
		free(st->cache[i].path);
		strlist_free(&st->cache[i].key);
	}
	free(st->cache);
}

void sw_config_free(struct sw_config *cfg)
{
	free(cfg->main_branch);
	free(cfg->integration_branch);
	free(cfg->remote);
	free(cfg->docker_host);
	free(cfg->sentry_url);
	free(cfg->sentry_org);
	free(cfg->sentry_project);
	sw_deploy_config_free(cfg->deploy);
	sw_github_config_free(cfg->github);
	sw_watch_config_free(cfg->watch);
	strlist_free(&cfg->secrets);
	strlist_free(&cfg->pass_env);
	for (size_t i = 0; i < cfg->nstages; i++)
		stage_free(&cfg->stages[i]);
	free(cfg->stages);
	for (size_t i = 0; i < cfg->ngates; i++) {
		free(cfg->gates[i].name);
		free(cfg->gates[i].metric);
	}
	free(cfg->gates);
	strlist_free(&cfg->ui_protected);
	free(cfg->ui_theme);
	free(cfg->from.gates);
	free(cfg->from.secrets);
	free(cfg->from.retention);
	memset(cfg, 0, sizeof *cfg);
}

/* ASCII by design: the dashboard runs in the user's locale, where
 * isalnum() may take bytes of a legacy charset for letters. */
bool sw_theme_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > SW_THEME_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_')
			return false;
	return true;
}

bool sw_stage_matches(const struct sw_stage_config *st, const char *branch)
{
	if (st->branches.len == 0)
		return true;
	for (size_t i = 0; i < st->branches.len; i++)
		if (sw_glob_match(st->branches.items[i], branch))
			return true;
	return false;
}
