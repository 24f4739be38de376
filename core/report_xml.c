/* JUnit and Cobertura XML reports, streamed through expat in 64 KiB chunks
 * so a huge report is never held whole (or parsed from text in memory);
 * metrics change only on success. */
#include "slipway/report.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "slipway/metrics.h"
#include "slipway/util.h"

#define CHUNK 65536
/* Same limits as run.json keeps, so memory stays bounded on huge suites. */
#define MAX_FAILURES 200
#define MAX_MESSAGE SW_MAX_MESSAGE

/* ---- shared helpers ---- */

/* Why parsing stopped early (bad root, entity declaration), or NULL. */
struct xml_common {
	XML_Parser xp;
	int depth;
	char *fail;
};

static void stop(struct xml_common *c, char *why)
{
	if (!c->fail)
		c->fail = why;
	else
		free(why);
	XML_StopParser(c->xp, XML_FALSE);
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

static bool attr_number(const XML_Char **atts, const char *name, double *out)
{
	const char *v = attr(atts, name);
	return v && sw_parse_number(v, strlen(v), out);
}

/* A rate 0..1 as a percentage with two decimals, so 0.6818 prints 68.18. */
static double rate_percent(double rate)
{
	double p = rate < 0 ? 0 : rate > 1 ? 100 : rate * 100;
	return (double)(long)(p * 100 + 0.5) / 100;
}

/* Reports never declare entities; refusing them defuses entity bombs. */
static void XMLCALL on_entity_decl(void *data, const XML_Char *name, int is_param,
				   const XML_Char *value, int value_len, const XML_Char *base,
				   const XML_Char *system_id, const XML_Char *public_id,
				   const XML_Char *notation)
{
	struct xml_common *c = data;
	(void)name, (void)is_param, (void)value, (void)value_len, (void)base;
	(void)system_id, (void)public_id, (void)notation;
	stop(c, xstrdup("entity declarations are not allowed"));
}

struct xml_handlers {
	XML_StartElementHandler start;
	XML_EndElementHandler end;
	XML_CharacterDataHandler text;	/* may be NULL */
};

/* Where a report is read from: a file, streamed, or text in memory. */
struct xml_source {
	const char *name;	/* the path, or what warnings call the text */
	FILE *f;		/* NULL: text and len */
	const char *text;
	size_t len;
};

/* 0, or -1 with a warning saying where expat stopped and why. */
static int parse_result(struct xml_common *c, enum XML_Status st, const char *what,
			const char *name, struct strlist *warnings)
{
	if (st == XML_STATUS_OK)
		return 0;
	strlist_addf(warnings, "%s report %s: line %lu: %s", what, name,
		     (unsigned long)XML_GetCurrentLineNumber(c->xp),
		     c->fail ? c->fail : XML_ErrorString(XML_GetErrorCode(c->xp)));
	return -1;
}

/* Feeds the file to expat; 0, or -1 with a warning added. */
static int parse_stream(struct xml_common *c, FILE *f, const char *what, const char *path,
			struct strlist *warnings)
{
	enum XML_Status st = XML_STATUS_OK;
	bool final = false;
	while (st == XML_STATUS_OK && !final) {
		void *buf = XML_GetBuffer(c->xp, CHUNK);
		size_t n = buf ? fread(buf, 1, CHUNK, f) : 0;
		if (!buf || ferror(f)) {
			strlist_addf(warnings, "%s report %s: %s", what, path,
				     buf ? strerror(errno) : "out of memory");
			return -1;
		}
		final = n < CHUNK;
		st = XML_ParseBuffer(c->xp, (int)n, final);
	}
	return parse_result(c, st, what, path, warnings);
}

/* Text goes in chunks too: expat counts lengths in an int. */
static int parse_text(struct xml_common *c, const char *text, size_t len, const char *what,
		      const char *name, struct strlist *warnings)
{
	for (;;) {
		size_t n = len < CHUNK ? len : CHUNK;
		bool final = n == len;
		enum XML_Status st = XML_Parse(c->xp, text, (int)n, final);
		if (st != XML_STATUS_OK || final)
			return parse_result(c, st, what, name, warnings);
		text += n;
		len -= n;
	}
}

/* Runs a parser made for the report over src; c must begin the data. */
static int parse_source(struct xml_common *c, const struct xml_handlers *h, const char *what,
			const struct xml_source *src, struct strlist *warnings)
{
	c->xp = XML_ParserCreate(NULL);
	int r = -1;
	if (!c->xp) {
		strlist_addf(warnings, "%s report %s: out of memory", what, src->name);
	} else {
		XML_SetUserData(c->xp, c);
		XML_SetElementHandler(c->xp, h->start, h->end);
		if (h->text)
			XML_SetCharacterDataHandler(c->xp, h->text);
		XML_SetEntityDeclHandler(c->xp, on_entity_decl);
		r = src->f ? parse_stream(c, src->f, what, src->name, warnings)
			   : parse_text(c, src->text, src->len, what, src->name, warnings);
		XML_ParserFree(c->xp);
	}
	free(c->fail);
	c->fail = NULL;
	return r;
}

/* A report's parse from either source: JUnit's or Cobertura's. */
typedef int (*report_fn)(const struct xml_source *src, struct sw_metrics *m,
			 struct strlist *warnings);

static int report_file(report_fn parse, const char *what, const char *path,
		       struct sw_metrics *m, struct strlist *warnings)
{
	/* "e": close-on-exec, as stages are forked while reports are read. */
	FILE *f = fopen(path, "rbe");
	if (!f) {
		if (errno == ENOENT)
			strlist_addf(warnings, "%s report %s: not found", what, path);
		else
			strlist_addf(warnings, "%s report %s: %s", what, path, strerror(errno));
		return -1;
	}
	struct xml_source src = {.name = path, .f = f};
	int r = parse(&src, m, warnings);
	fclose(f);
	return r;
}

static void free_failures(struct sw_failure *arr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(arr[i].name);
		free(arr[i].message);
	}
	free(arr);
}

/* ---- JUnit ---- */

/* Worst first: a failed assertion beats a teardown error beats a skip. */
enum outcome { PASSED, SKIPPED, XFAILED, ERRORED, FAILED };

struct junit {
	struct xml_common c;
	struct sw_tests tests;	/* committed to m only when the document parsed */
	int case_depth;		/* of the open <testcase>; 0 outside one */
	enum outcome outcome;
	char *name;
	char *message;
	int text_depth;		/* of the <failure>/<error> whose text is the message */
	struct sbuf text;
};

static char *case_name(const XML_Char **atts)
{
	const char *name = attr(atts, "name"), *cls = attr(atts, "classname");
	if (!cls || !*cls)
		cls = attr(atts, "file");
	if (!name)
		name = "";
	if (!cls || !*cls)
		return sw_capped_text(name, strlen(name));
	char *full = xasprintf("%s::%s", cls, name);
	char *capped = sw_capped_text(full, strlen(full));
	free(full);
	return capped;
}

static void case_start(struct junit *j, const XML_Char **atts)
{
	j->case_depth = j->c.depth;
	j->outcome = PASSED;
	free(j->name);
	free(j->message);
	j->name = case_name(atts);
	j->message = NULL;
}

/* A direct child of <testcase> saying how it went; others (flakyFailure,
 * system-out, properties) leave it passed. */
static void outcome_start(struct junit *j, const char *el, const XML_Char **atts)
{
	enum outcome o;
	const char *type = attr(atts, "type");
	if (strcmp(el, "failure") == 0)
		o = FAILED;
	else if (strcmp(el, "error") == 0)
		o = ERRORED;
	else if (strcmp(el, "skipped") == 0)
		o = type && strcmp(type, "pytest.xfail") == 0 ? XFAILED : SKIPPED;
	else
		return;
	if (o <= j->outcome)
		return;
	j->outcome = o;
	free(j->message);
	j->message = NULL;
	const char *msg = attr(atts, "message");
	if (msg && *msg)
		j->message = sw_capped_text(msg, strlen(msg));
	else if (o >= ERRORED)
		j->text_depth = j->c.depth;
	sbuf_reset(&j->text);
}

static void XMLCALL junit_start(void *data, const XML_Char *el, const XML_Char **atts)
{
	struct junit *j = data;
	j->c.depth++;
	if (j->c.depth == 1 && strcmp(el, "testsuites") != 0 && strcmp(el, "testsuite") != 0)
		stop(&j->c, xasprintf("not a JUnit report (root element <%s>)", el));
	else if (!j->case_depth && strcmp(el, "testcase") == 0)
		case_start(j, atts);
	else if (j->case_depth && j->c.depth == j->case_depth + 1)
		outcome_start(j, el, atts);
}

/* Keeps text up to just past the cap: enough to know it was cut. */
static void XMLCALL junit_text(void *data, const XML_Char *s, int len)
{
	struct junit *j = data;
	if (!j->text_depth || j->c.depth != j->text_depth)
		return;
	size_t n = (size_t)len;
	while (j->text.len == 0 && n > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
		s++;
		n--;
	}
	if (j->text.len > MAX_MESSAGE)
		return;
	size_t room = MAX_MESSAGE + 1 - j->text.len;
	sbuf_add(&j->text, s, n < room ? n : room);
}

static void text_done(struct junit *j)
{
	size_t n = j->text.len;
	while (n > 0 && strchr(" \t\r\n", j->text.buf[n - 1]))
		n--;
	j->message = sw_capped_text(j->text.len ? j->text.buf : "", n);
	j->text_depth = 0;
}

static void case_done(struct junit *j)
{
	struct sw_tests *t = &j->tests;
	long *count[] = {&t->passed, &t->skipped, &t->xfail, &t->errors, &t->failed};
	(*count[j->outcome])++;
	j->case_depth = 0;
	if (j->outcome < ERRORED || t->nfailures >= MAX_FAILURES)
		return;
	t->failures = xrealloc(t->failures, (t->nfailures + 1) * sizeof *t->failures);
	t->failures[t->nfailures].name = j->name;
	t->failures[t->nfailures].message = j->message ? j->message : xstrdup("");
	t->nfailures++;
	j->name = j->message = NULL;
}

static void XMLCALL junit_end(void *data, const XML_Char *el)
{
	struct junit *j = data;
	(void)el;
	if (j->text_depth && j->c.depth == j->text_depth)
		text_done(j);
	else if (j->case_depth && j->c.depth == j->case_depth)
		case_done(j);
	j->c.depth--;
}

static int junit_parse(const struct xml_source *src, struct sw_metrics *m, struct strlist *warnings)
{
	struct junit j = {0};
	sbuf_init(&j.text);
	static const struct xml_handlers h = {junit_start, junit_end, junit_text};
	int r = parse_source(&j.c, &h, "junit", src, warnings);
	if (r == 0) {
		free_failures(m->tests.failures, m->tests.nfailures);
		m->tests = j.tests;
		m->tests.known = true;
	} else {
		free_failures(j.tests.failures, j.tests.nfailures);
	}
	free(j.name);
	free(j.message);
	sbuf_free(&j.text);
	return r;
}

int sw_report_junit(const char *path, struct sw_metrics *m, struct strlist *warnings)
{
	return report_file(junit_parse, "junit", path, m, warnings);
}

int sw_report_junit_text(const char *text, size_t len, const char *name, struct sw_metrics *m,
			 struct strlist *warnings)
{
	struct xml_source src = {.name = name, .text = text, .len = len};
	return junit_parse(&src, m, warnings);
}

/* ---- Cobertura ---- */

struct class_entry {
	char *path;
	double rate;
	long lines;		/* weight when classes of one file are merged */
};

struct cobertura {
	struct xml_common c;
	bool have_total;
	double total;
	struct class_entry *classes;
	size_t nclasses;
	int class_depth;	/* of the open <class>; 0 outside one */
};

/* Root line-rate, or lines-covered / lines-valid from writers that omit it. */
static void coverage_root(struct cobertura *cb, const XML_Char **atts)
{
	double rate, covered, valid;
	if (attr_number(atts, "line-rate", &rate)) {
		cb->total = rate_percent(rate);
	} else if (attr_number(atts, "lines-covered", &covered) &&
		   attr_number(atts, "lines-valid", &valid)) {
		cb->total = valid > 0 ? rate_percent(covered / valid) : 100.0;
	} else {
		stop(&cb->c, xstrdup("no line-rate on <coverage>"));
		return;
	}
	cb->have_total = true;
}

static void class_start(struct cobertura *cb, const XML_Char **atts)
{
	const char *file = attr(atts, "filename");
	double rate;
	/* A class without a file or rate says nothing usable about a file. */
	if (!file || !attr_number(atts, "line-rate", &rate))
		return;
	cb->classes = xrealloc(cb->classes, (cb->nclasses + 1) * sizeof *cb->classes);
	cb->classes[cb->nclasses].path = xstrdup(file);
	cb->classes[cb->nclasses].rate = rate;
	cb->classes[cb->nclasses].lines = 0;
	cb->nclasses++;
	cb->class_depth = cb->c.depth;
}

static void XMLCALL cobertura_start(void *data, const XML_Char *el, const XML_Char **atts)
{
	struct cobertura *cb = data;
	cb->c.depth++;
	if (cb->c.depth == 1 && strcmp(el, "coverage") != 0)
		stop(&cb->c, xasprintf("not a Cobertura report (root element <%s>)", el));
	else if (cb->c.depth == 1)
		coverage_root(cb, atts);
	else if (!cb->class_depth && strcmp(el, "class") == 0)
		class_start(cb, atts);
	/* class > lines > line; method lines repeat these deeper down. */
	else if (cb->class_depth && cb->c.depth == cb->class_depth + 2 && strcmp(el, "line") == 0)
		cb->classes[cb->nclasses - 1].lines++;
}

static void XMLCALL cobertura_end(void *data, const XML_Char *el)
{
	struct cobertura *cb = data;
	(void)el;
	if (cb->class_depth == cb->c.depth)
		cb->class_depth = 0;
	cb->c.depth--;
}

static int cmp_class_path(const void *a, const void *b)
{
	return strcmp(((const struct class_entry *)a)->path, ((const struct class_entry *)b)->path);
}

/* Classes of one file (inner classes in Java) merged, weighted by lines. */
static double merged_rate(const struct class_entry *c, size_t n)
{
	double sum = 0, plain = 0;
	long lines = 0;
	for (size_t i = 0; i < n; i++) {
		sum += c[i].rate * (double)c[i].lines;
		plain += c[i].rate;
		lines += c[i].lines;
	}
	return lines > 0 ? sum / (double)lines : plain / (double)n;
}

/* Moves the class paths into cov->files, one per file, lowest first. */
static void build_files(struct cobertura *cb, struct sw_coverage *cov)
{
	struct class_entry *c = cb->classes;
	if (cb->nclasses > 1)
		qsort(c, cb->nclasses, sizeof *c, cmp_class_path);
	cov->files = xcalloc(cb->nclasses, sizeof *cov->files);
	for (size_t i = 0, run; i < cb->nclasses; i += run) {
		for (run = 1; i + run < cb->nclasses && strcmp(c[i].path, c[i + run].path) == 0;)
			run++;
		cov->files[cov->nfiles].path = c[i].path;
		cov->files[cov->nfiles].percent = rate_percent(merged_rate(c + i, run));
		cov->nfiles++;
		c[i].path = NULL;
	}
	sw_coverage_sort(cov->files, cov->nfiles);
}

static void commit_coverage(struct cobertura *cb, struct sw_metrics *m)
{
	for (size_t i = 0; i < m->coverage.nfiles; i++)
		free(m->coverage.files[i].path);
	free(m->coverage.files);
	memset(&m->coverage, 0, sizeof m->coverage);
	m->coverage.known = true;
	m->coverage.percent = cb->total;
	build_files(cb, &m->coverage);
}

static int cobertura_parse(const struct xml_source *src, struct sw_metrics *m,
			   struct strlist *warnings)
{
	struct cobertura cb = {0};
	static const struct xml_handlers h = {cobertura_start, cobertura_end, NULL};
	int r = parse_source(&cb.c, &h, "cobertura", src, warnings);
	if (r == 0)
		commit_coverage(&cb, m);
	for (size_t i = 0; i < cb.nclasses; i++)
		free(cb.classes[i].path);
	free(cb.classes);
	return r;
}

int sw_report_cobertura(const char *path, struct sw_metrics *m, struct strlist *warnings)
{
	return report_file(cobertura_parse, "cobertura", path, m, warnings);
}

int sw_report_cobertura_text(const char *text, size_t len, const char *name,
			     struct sw_metrics *m, struct strlist *warnings)
{
	struct xml_source src = {.name = name, .text = text, .len = len};
	return cobertura_parse(&src, m, warnings);
}
