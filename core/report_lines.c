/* Line parsers for what CI tools print (flake8, pytest, coverage.py, a user
 * regex), fed one line at a time while a stage runs. */
#include "slipway/report.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>


#include "slipway/metrics.h"
#include "slipway/regex.h"
#include "slipway/util.h"

/* Same limits as run.json keeps, so memory stays bounded on huge suites. */
#define MAX_FAILURES 200
/* Numeric columns between Name and Cover: Stmts Miss [Branch BrPart] ... */
#define MAX_COV_COLS 8

struct sw_line_parser {
	enum sw_parser_kind kind;
	struct sbuf line;		/* current line: colours stripped, valid UTF-8 */
	struct sw_metrics acc;		/* what was seen, merged into m by finish */
	/* pytest */
	bool summary_seen;
	bool in_short_summary;
	/* coverage: rows of the table being read, kept once its TOTAL shows */
	int cov_cols;			/* 0 outside a table */
	struct sw_file_coverage *rows;
	size_t nrows;
	/* regex */
	struct sw_regex *re;
	char *metric;
	double value;			/* of the last numeric match */
	bool value_seen;
	char *bad_text;			/* first match that was not a number */
};

static const char *const kind_names[] = {
	[SW_PARSE_FLAKE8] = "flake8",
	[SW_PARSE_PYTEST] = "pytest",
	[SW_PARSE_COVERAGE] = "coverage",
	[SW_PARSE_REGEX] = "regex",
};

int sw_parser_kind_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof *kind_names; i++)
		if (name && strcmp(name, kind_names[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- shared helpers ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of an escape sequence at s (s[0] is ESC): CSI (colours, ESC[...m)
 * and OSC (hyperlinks, ended by BEL or ESC \); other escapes are 2 bytes. */
static size_t escape_len(const char *s, size_t len)
{
	size_t i = 2;
	if (len < 2)
		return len;
	if (s[1] == '[') {
		while (i < len && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e))
			i++;
		return i < len ? i + 1 : len;
	}
	if (s[1] == ']') {
		while (i < len && s[i] != '\a' && !(s[i] == '\x1b' && i + 1 < len && s[i + 1] == '\\'))
			i++;
		return i >= len ? len : s[i] == '\a' ? i + 1 : i + 2;
	}
	return 2;
}

/* The line as a terminal would show it: after the last carriage return
 * (progress output), without escape sequences, invalid UTF-8 replaced. */
static void clean_line(struct sbuf *sb, const char *s, size_t len)
{
	sbuf_reset(sb);
	while (len > 0 && s[len - 1] == '\r')
		len--;
	for (size_t i = len; i > 0; i--) {
		if (s[i - 1] == '\r') {
			s += i;
			len -= i;
			break;
		}
	}
	while (len > 0) {
		const char *esc = memchr(s, '\x1b', len);
		size_t plain = esc ? (size_t)(esc - s) : len;
		sw_utf8_clean(sb, s, plain);
		s += plain;
		len -= plain;
		if (esc) {
			size_t n = escape_len(s, len);
			s += n;
			len -= n;
		}
	}
	if (!sb->buf)
		sbuf_add(sb, "", 0);
}

/* ---- flake8: path:line:col: CODE message ---- */

/* Skips digits at s; NULL when there are none. */
static const char *skip_digits(const char *s)
{
	const char *p = s;
	while (is_digit(*p))
		p++;
	return p == s ? NULL : p;
}

/* Matches ":line:col: CODE" at s (s[0] is ':'); returns the code or NULL. */
static const char *flake8_tail(const char *s, size_t *code_len)
{
	const char *p = skip_digits(s + 1);
	if (!p || *p != ':' || !(p = skip_digits(p + 1)) || p[0] != ':' || p[1] != ' ')
		return NULL;
	const char *code = p + 2, *q = code;
	while (*q >= 'A' && *q <= 'Z')
		q++;
	if (q == code || !(q = skip_digits(q)) || (*q && *q != ' '))
		return NULL;
	*code_len = (size_t)(q - code);
	return code;
}

static void feed_flake8(struct sw_line_parser *p, const char *s)
{
	size_t code_len = 0;
	const char *code = NULL, *colon = s;
	/* The first ":N:N: CODE" ends the path, which may itself hold ':' but
	 * is never empty.  The search never starts past the line's end: the
	 * buffer may still hold an older, longer line behind its NUL. */
	while (!code && (colon = strchr(colon, ':'))) {
		if (colon > s)
			code = flake8_tail(colon, &code_len);
		if (!code)
			colon++;
	}
	if (!code)
		return;
	if (strncmp(s, "./", 2) == 0)
		s += 2;
	char *path = xstrndup(s, (size_t)(colon - s));
	char *key = xstrndup(code, code_len);
	struct sw_lint *l = &p->acc.lint;
	l->count++;
	sw_count_add(&l->by_code, &l->ncodes, key, 1);
	sw_count_add(&l->by_file, &l->nfiles, path, 1);
	free(path);
	free(key);
}

/* ---- pytest: closing summary and the short test summary ---- */

/* s without the "=====" decoration pytest puts around section titles. */
static const char *strip_rule(const char *s, size_t *len)
{
	size_t n = strlen(s);
	while (*s == '=' || is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == '=' || is_space(s[n - 1])))
		n--;
	*len = n;
	return s;
}

static bool is_short_summary_header(const char *s)
{
	size_t n;
	const char *t = strip_rule(s, &n);
	static const char title[] = "short test summary info";
	return *s == '=' && n == sizeof title - 1 && memcmp(t, title, n) == 0;
}

/* "0.12s" or "65.20s (0:01:05)", the end of a summary line. */
static bool is_duration(const char *s, const char *end)
{
	const char *p = skip_digits(s);
	if (p && *p == '.')
		p = skip_digits(p + 1);
	if (!p || p >= end || *p != 's')
		return false;
	p++;
	return p == end || (end - p >= 3 && p[0] == ' ' && p[1] == '(' && end[-1] == ')');
}

static bool tok_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(tok, word, len) == 0;
}

/* a + b for counts (b >= 0), stopping at LONG_MAX: a forged summary line
 * must not overflow them. */
static long count_sum(long a, long b)
{
	return a > LONG_MAX - b ? LONG_MAX : a + b;
}

/* The counts of from added to to. */
static void add_counts(struct sw_tests *to, const struct sw_tests *from)
{
	to->passed = count_sum(to->passed, from->passed);
	to->failed = count_sum(to->failed, from->failed);
	to->skipped = count_sum(to->skipped, from->skipped);
	to->errors = count_sum(to->errors, from->errors);
	to->xfail = count_sum(to->xfail, from->xfail);
}

/* Where an outcome word counts; NULL for warnings, deselected, rerun and
 * plugins' words, which are not test results.  An xpass did pass. */
static long *outcome_field(struct sw_tests *t, const char *w, size_t len)
{
	if (tok_is(w, len, "passed") || tok_is(w, len, "xpassed"))
		return &t->passed;
	if (tok_is(w, len, "failed"))
		return &t->failed;
	if (tok_is(w, len, "skipped"))
		return &t->skipped;
	if (tok_is(w, len, "xfailed"))
		return &t->xfail;
	if (tok_is(w, len, "error") || tok_is(w, len, "errors"))
		return &t->errors;
	return NULL;
}

/* One "N word" item (or "no tests ran"); false when it is neither. */
static bool summary_item(struct sw_tests *t, const char *s, const char *end)
{
	static const char none[] = "no tests ran";
	if ((size_t)(end - s) == sizeof none - 1 && memcmp(s, none, sizeof none - 1) == 0)
		return true;
	const char *p = skip_digits(s);
	if (!p || p >= end || *p != ' ' || p + 1 == end)
		return false;
	for (const char *w = p + 1; w < end; w++)
		if (!((*w >= 'a' && *w <= 'z') || *w == ' '))
			return false;
	long *field = outcome_field(t, p + 1, (size_t)(end - p - 1));
	if (field)
		*field = count_sum(*field, strtol(s, NULL, 10));
	return true;
}

/* "== 3 passed, 1 failed in 0.12s ==" or its -q form without the rule. */
static bool parse_summary(const char *s, struct sw_tests *out)
{
	size_t n;
	const char *t = strip_rule(s, &n), *end = t + n, *in = NULL;
	for (const char *q = t; q + 4 <= end; q++)
		if (memcmp(q, " in ", 4) == 0)
			in = q;
	if (!in || in == t || !is_duration(in + 4, end))
		return false;
	struct sw_tests got = {0};
	for (const char *item = t;;) {
		const char *item_end = item;
		while (item_end < in && *item_end != ',')
			item_end++;
		if (!summary_item(&got, item, item_end))
			return false;
		if (item_end == in)
			break;
		for (item = item_end + 1; item < in && *item == ' ';)
			item++;
	}
	*out = got;
	return true;
}

/* Splits "nodeid - message": a parametrized id may hold " - " in brackets. */
static const char *message_sep(const char *s)
{
	int depth = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		else if (depth == 0 && strncmp(p, " - ", 3) == 0)
			return p;
	}
	return NULL;
}

static void add_failure(struct sw_tests *t, const char *id)
{
	if (t->nfailures >= MAX_FAILURES)
		return;
	const char *sep = message_sep(id);
	size_t id_len = sep ? (size_t)(sep - id) : strlen(id);
	const char *msg = sep ? sep + 3 : "";
	t->failures = xrealloc(t->failures, (t->nfailures + 1) * sizeof *t->failures);
	t->failures[t->nfailures].name = sw_capped_text(id, id_len);
	t->failures[t->nfailures].message = sw_capped_text(msg, strlen(msg));
	t->nfailures++;
}

/* A line of the -r short summary; false when the section has ended. */
static bool short_summary_line(struct sw_line_parser *p, const char *s)
{
	static const char *const others[] = {"SKIPPED ", "XFAIL ", "XPASS ", "PASSED "};
	if (strncmp(s, "FAILED ", 7) == 0) {
		add_failure(&p->acc.tests, s + 7);
		return true;
	}
	if (strncmp(s, "ERROR ", 6) == 0) {
		add_failure(&p->acc.tests, s + 6);
		return true;
	}
	for (size_t i = 0; i < sizeof others / sizeof *others; i++)
		if (strncmp(s, others[i], strlen(others[i])) == 0)
			return true;
	return false;
}

static void feed_pytest(struct sw_line_parser *p, const char *s)
{
	struct sw_tests got;
	if (is_short_summary_header(s)) {
		p->in_short_summary = true;
		return;
	}
	/* FAILED lines are only read in their section: test output elsewhere may say anything. */
	if (p->in_short_summary && short_summary_line(p, s))
		return;
	p->in_short_summary = false;
	if (!parse_summary(s, &got))
		return;
	/* Several pytest runs in one stage add up. */
	add_counts(&p->acc.tests, &got);
	p->summary_seen = true;
}

/* ---- coverage.py: Name Stmts Miss [Branch BrPart] Cover [Missing] ---- */

/* Splits s into whitespace-separated tokens; returns how many (at most max). */
static size_t tokenize(const char *s, const char **tok, size_t *tlen, size_t max)
{
	size_t n = 0;
	while (n < max) {
		while (is_space(*s))
			s++;
		if (!*s)
			break;
		tok[n] = s;
		while (*s && !is_space(*s))
			s++;
		tlen[n] = (size_t)(s - tok[n]);
		n++;
	}
	return n;
}

/* The number of numeric columns before "Cover" in a header; 0 if not one. */
static int coverage_header(const char *s)
{
	const char *tok[MAX_COV_COLS + 3];
	size_t len[MAX_COV_COLS + 3];
	size_t n = tokenize(s, tok, len, MAX_COV_COLS + 3);
	if (n < 4 || !tok_is(tok[0], len[0], "Name") || !tok_is(tok[1], len[1], "Stmts") ||
	    !tok_is(tok[2], len[2], "Miss"))
		return 0;
	for (size_t i = 3; i < n; i++)
		if (tok_is(tok[i], len[i], "Cover"))
			return (int)i - 1;
	return 0;
}

static bool tok_is_int(const char *tok, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_digit(tok[i]))
			return false;
	return len > 0;
}

static bool tok_percent(const char *tok, size_t len, double *pct)
{
	return len >= 2 && tok[len - 1] == '%' && is_digit(tok[0]) &&
	       sw_parse_number(tok, len - 1, pct);
}

/* A row: name (may hold spaces), cols integers, then "NN%" and maybe Missing. */
static bool coverage_row(const char *s, int cols, size_t *name_len, double *pct)
{
	const char *start[MAX_COV_COLS + 1];	/* ring of recent token starts */
	int ints = 0;				/* integer tokens just before */
	size_t ntok = 0;
	for (const char *p = s; *p;) {
		while (is_space(*p))
			p++;
		const char *tok = p;
		while (*p && !is_space(*p))
			p++;
		size_t len = (size_t)(p - tok);
		if (!len)
			break;
		if (ints >= cols && ntok > (size_t)cols && tok_percent(tok, len, pct)) {
			const char *first = start[(ntok - (size_t)cols) % (MAX_COV_COLS + 1)];
			while (first > s && is_space(first[-1]))
				first--;
			*name_len = (size_t)(first - s);
			return true;
		}
		ints = tok_is_int(tok, len) ? ints + 1 : 0;
		start[ntok++ % (MAX_COV_COLS + 1)] = tok;
	}
	return false;
}

static void free_rows(struct sw_file_coverage *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].path);
	free(rows);
}

/* TOTAL closes the table: its rows become the result. */
static void coverage_total(struct sw_line_parser *p, double pct)
{
	struct sw_coverage *c = &p->acc.coverage;
	free_rows(c->files, c->nfiles);
	c->files = p->rows;
	c->nfiles = p->nrows;
	c->percent = pct;
	c->known = true;
	p->rows = NULL;
	p->nrows = 0;
	p->cov_cols = 0;
}

static void feed_coverage(struct sw_line_parser *p, const char *s)
{
	int cols = coverage_header(s);
	size_t name_len;
	double pct;
	if (cols > 0) {
		free_rows(p->rows, p->nrows);
		p->rows = NULL;
		p->nrows = 0;
		p->cov_cols = cols;
		return;
	}
	if (!p->cov_cols && strncmp(s, "TOTAL ", 6) == 0 && coverage_row(s, 2, &name_len, &pct) &&
	    name_len == 5) {
		/* A TOTAL line alone (e.g. `coverage report | tail -1`) still counts. */
		coverage_total(p, pct);
		return;
	}
	if (!p->cov_cols || (*s == '-' && strspn(s, "-") == strlen(s)))
		return;
	if (!coverage_row(s, p->cov_cols, &name_len, &pct)) {
		p->cov_cols = 0;
		return;
	}
	if (name_len == 5 && memcmp(s, "TOTAL", 5) == 0) {
		coverage_total(p, pct);
		return;
	}
	p->rows = xrealloc(p->rows, (p->nrows + 1) * sizeof *p->rows);
	p->rows[p->nrows].path = xstrndup(s, name_len);
	p->rows[p->nrows].percent = pct;
	p->nrows++;
}

/* ---- regex ---- */

static bool compile_regex(struct sw_line_parser *p, const char *pattern, char **err)
{
	p->re = sw_regex_new(pattern, false, err);
	return p->re != NULL;
}

/* At most max bytes of the valid UTF-8 s[0..len), never half a character. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static void regex_value(struct sw_line_parser *p, const char *s, size_t len)
{
	double v;
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	/* "(\d+%)" is a natural thing to write for a percentage. */
	size_t num_len = len > 1 && s[len - 1] == '%' ? len - 1 : len;
	if (sw_parse_number(s, num_len, &v)) {
		p->value = v;
		p->value_seen = true;
	} else if (!p->bad_text) {
		p->bad_text = sw_capped_text(s, utf8_prefix(s, len, 80));
	}
}

/* Where to look for the next match after [start, end). */
static void feed_regex(struct sw_line_parser *p, const char *s, size_t len)
{
	size_t off = 0, start, end, gs, ge;
	while (sw_regex_find(p->re, s, len, off, &start, &end, &gs, &ge)) {
		regex_value(p, s + gs, ge - gs);
		off = sw_regex_next(s, len, start, end);
	}
}

/* ---- the parser object ---- */

static struct sw_line_parser *parser_create(enum sw_parser_kind kind, const char *pattern,
					     const char *metric, char **err)
{
	if ((int)kind < 0 || (size_t)kind >= sizeof kind_names / sizeof *kind_names) {
		*err = xasprintf("unknown parser kind %d", (int)kind);
		return NULL;
	}
	if (kind == SW_PARSE_REGEX && (!pattern || !metric || !*metric)) {
		*err = xstrdup("a regex parser needs a pattern and a metric name");
		return NULL;
	}
	struct sw_line_parser *p = xcalloc(1, sizeof *p);
	p->kind = kind;
	sbuf_init(&p->line);
	if (kind == SW_PARSE_REGEX) {
		if (!compile_regex(p, pattern, err)) {
			sw_line_parser_free(p);
			return NULL;
		}
		p->metric = xstrdup(metric);
	}
	return p;
}

struct sw_line_parser *sw_line_parser_new(enum sw_parser_kind kind, const char *pattern,
					  const char *metric, char **err)
{
	char *msg = NULL;
	struct sw_line_parser *p = parser_create(kind, pattern, metric, &msg);
	if (err)
		*err = msg;
	else
		free(msg);
	return p;
}

void sw_line_parser_feed(struct sw_line_parser *p, const char *line, size_t len)
{
	if (!line)
		len = 0;
	clean_line(&p->line, line, len);
	switch (p->kind) {
	case SW_PARSE_FLAKE8:
		feed_flake8(p, p->line.buf);
		break;
	case SW_PARSE_PYTEST:
		feed_pytest(p, p->line.buf);
		break;
	case SW_PARSE_COVERAGE:
		feed_coverage(p, p->line.buf);
		break;
	case SW_PARSE_REGEX:
		feed_regex(p, p->line.buf, p->line.len);
		break;
	}
}

static void finish_lint(struct sw_line_parser *p, struct sw_metrics *m)
{
	struct sw_lint *from = &p->acc.lint, *to = &m->lint;
	/* No finding at all is the good case, not an unknown one. */
	to->known = true;
	to->count += from->count;
	for (size_t i = 0; i < from->ncodes; i++)
		sw_count_add(&to->by_code, &to->ncodes, from->by_code[i].key, from->by_code[i].n);
	for (size_t i = 0; i < from->nfiles; i++)
		sw_count_add(&to->by_file, &to->nfiles, from->by_file[i].key, from->by_file[i].n);
}

static void finish_tests(struct sw_line_parser *p, struct sw_metrics *m,
			 struct strlist *warnings)
{
	struct sw_tests *from = &p->acc.tests, *to = &m->tests;
	if (!p->summary_seen) {
		strlist_add(warnings, "pytest: no summary line found in the output");
		return;
	}
	to->known = true;
	add_counts(to, from);
	for (size_t i = 0; i < from->nfailures && to->nfailures < MAX_FAILURES; i++) {
		to->failures = xrealloc(to->failures, (to->nfailures + 1) * sizeof *to->failures);
		to->failures[to->nfailures++] = from->failures[i];
		from->failures[i].name = from->failures[i].message = NULL;
	}
}

static void finish_coverage(struct sw_line_parser *p, struct sw_metrics *m,
			    struct strlist *warnings)
{
	struct sw_coverage *from = &p->acc.coverage;
	if (!from->known) {
		strlist_add(warnings, "coverage: no TOTAL line found in the output");
		return;
	}
	sw_coverage_sort(from->files, from->nfiles);
	free_rows(m->coverage.files, m->coverage.nfiles);
	m->coverage = *from;
	memset(from, 0, sizeof *from);
}

static void finish_regex(struct sw_line_parser *p, struct sw_metrics *m,
			 struct strlist *warnings)
{
	const char *name = p->metric;
	if (p->value_seen)
		sw_metrics_set_custom(m, name, p->value);
	else if (p->bad_text)
		strlist_addf(warnings, "regex metric %s: matched \"%s\", which is not a number",
			     name, p->bad_text);
	else
		strlist_addf(warnings, "regex metric %s: the pattern never matched the output", name);
}

void sw_line_parser_finish(struct sw_line_parser *p, struct sw_metrics *m,
			   struct strlist *warnings)
{
	switch (p->kind) {
	case SW_PARSE_FLAKE8:
		finish_lint(p, m);
		break;
	case SW_PARSE_PYTEST:
		finish_tests(p, m, warnings);
		break;
	case SW_PARSE_COVERAGE:
		finish_coverage(p, m, warnings);
		break;
	case SW_PARSE_REGEX:
		finish_regex(p, m, warnings);
		break;
	}
	/* What was merged is m's now; a second finish adds nothing twice. */
	sw_metrics_free(&p->acc);
	p->summary_seen = p->value_seen = false;
}

void sw_line_parser_free(struct sw_line_parser *p)
{
	if (!p)
		return;
	sbuf_free(&p->line);
	sw_metrics_free(&p->acc);
	free_rows(p->rows, p->nrows);
	sw_regex_free(p->re);
	free(p->metric);
	free(p->bad_text);
	free(p);
}
