/* The metrics a run measured: lookup by gate name, and the run.json form
 * (kept stable, since old runs are read back by newer versions). */
#include "slipway/metrics.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/util.h"

/* run.json must stay small and valid even when a suite fails wholesale. */
#define MAX_FAILURES 200
#define MAX_MESSAGE SW_MAX_MESSAGE

static void free_counts(struct sw_count *arr, size_t len)
{
	for (size_t i = 0; i < len; i++)
		free(arr[i].key);
	free(arr);
}

static void free_failures(struct sw_failure *arr, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		free(arr[i].name);
		free(arr[i].message);
	}
	free(arr);
}

void sw_metrics_free(struct sw_metrics *m)
{
	free_failures(m->tests.failures, m->tests.nfailures);
	free_counts(m->lint.by_code, m->lint.ncodes);
	free_counts(m->lint.by_file, m->lint.nfiles);
	for (size_t i = 0; i < m->coverage.nfiles; i++)
		free(m->coverage.files[i].path);
	free(m->coverage.files);
	for (size_t i = 0; i < m->ncustom; i++)
		free(m->custom[i].name);
	free(m->custom);
	memset(m, 0, sizeof *m);
}

static struct sw_count *copy_counts(const struct sw_count *src, size_t n)
{
	struct sw_count *c = xcalloc(n + 1, sizeof *c);
	for (size_t i = 0; i < n; i++)
		c[i] = (struct sw_count){xstrdup_null(src[i].key), src[i].n};
	return c;
}

void sw_metrics_copy(struct sw_metrics *dst, const struct sw_metrics *src)
{
	*dst = *src;
	dst->tests.failures = xcalloc(src->tests.nfailures + 1, sizeof *dst->tests.failures);
	for (size_t i = 0; i < src->tests.nfailures; i++)
		dst->tests.failures[i] = (struct sw_failure){xstrdup_null(src->tests.failures[i].name),
							     xstrdup_null(src->tests.failures[i].message)};
	dst->lint.by_code = copy_counts(src->lint.by_code, src->lint.ncodes);
	dst->lint.by_file = copy_counts(src->lint.by_file, src->lint.nfiles);
	dst->coverage.files = xcalloc(src->coverage.nfiles + 1, sizeof *dst->coverage.files);
	for (size_t i = 0; i < src->coverage.nfiles; i++)
		dst->coverage.files[i] = (struct sw_file_coverage){xstrdup_null(src->coverage.files[i].path),
								   src->coverage.files[i].percent};
	dst->custom = xcalloc(src->ncustom + 1, sizeof *dst->custom);
	for (size_t i = 0; i < src->ncustom; i++)
		dst->custom[i] = (struct sw_custom_metric){xstrdup_null(src->custom[i].name), src->custom[i].value};
}

/* a + b held to the range of long: counts read back from run.json may be
 * anything, and a key may come twice. */
static long clamped_sum(long a, long b)
{
	if (b > 0 && a > LONG_MAX - b)
		return LONG_MAX;
	if (b < 0 && a < LONG_MIN - b)
		return LONG_MIN;
	return a + b;
}

void sw_count_add(struct sw_count **arr, size_t *len, const char *key, long n)
{
	size_t lo = 0, hi = *len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp((*arr)[mid].key, key);
		if (c == 0) {
			(*arr)[mid].n = clamped_sum((*arr)[mid].n, n);
			return;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* No capacity field in the interface, so grow one slot at a time. */
	*arr = xrealloc(*arr, (*len + 1) * sizeof **arr);
	memmove(*arr + lo + 1, *arr + lo, (*len - lo) * sizeof **arr);
	(*arr)[lo].key = xstrdup(key);
	(*arr)[lo].n = n;
	(*len)++;
}

void sw_metrics_set_custom(struct sw_metrics *m, const char *name, double value)
{
	for (size_t i = 0; i < m->ncustom; i++) {
		if (strcmp(m->custom[i].name, name) == 0) {
			m->custom[i].value = value;
			return;
		}
	}
	m->custom = xrealloc(m->custom, (m->ncustom + 1) * sizeof *m->custom);
	m->custom[m->ncustom].name = xstrdup(name);
	m->custom[m->ncustom].value = value;
	m->ncustom++;
}

/* The keys changed: two may now be one (two paths differing by a secret). */
static void rewrite_counts(struct sw_count **arr, size_t *len, sw_text_rewrite fn, void *ctx)
{
	bool changed = false;
	for (size_t i = 0; i < *len; i++)
		changed |= fn(&(*arr)[i].key, ctx);
	if (!changed)
		return;
	struct sw_count *old = *arr;
	size_t n = *len;
	*arr = NULL;
	*len = 0;
	for (size_t i = 0; i < n; i++)
		sw_count_add(arr, len, old[i].key, old[i].n);
	free_counts(old, n);
}

static void rewrite_custom(struct sw_metrics *m, sw_text_rewrite fn, void *ctx)
{
	bool changed = false;
	for (size_t i = 0; i < m->ncustom; i++)
		changed |= fn(&m->custom[i].name, ctx);
	if (!changed)
		return;
	struct sw_custom_metric *old = m->custom;
	size_t n = m->ncustom;
	m->custom = NULL;
	m->ncustom = 0;
	for (size_t i = 0; i < n; i++) {
		sw_metrics_set_custom(m, old[i].name, old[i].value);
		free(old[i].name);
	}
	free(old);
}

void sw_metrics_rewrite_strings(struct sw_metrics *m, sw_text_rewrite fn, void *ctx)
{
	for (size_t i = 0; i < m->tests.nfailures; i++) {
		fn(&m->tests.failures[i].name, ctx);
		fn(&m->tests.failures[i].message, ctx);
	}
	rewrite_counts(&m->lint.by_code, &m->lint.ncodes, fn, ctx);
	rewrite_counts(&m->lint.by_file, &m->lint.nfiles, fn, ctx);
	bool changed = false;
	for (size_t i = 0; i < m->coverage.nfiles; i++)
		changed |= fn(&m->coverage.files[i].path, ctx);
	if (changed)
		sw_coverage_sort(m->coverage.files, m->coverage.nfiles);
	rewrite_custom(m, fn, ctx);
}

static bool get_tests(const struct sw_tests *t, const char *name, double *value)
{
	if (strcmp(name, "tests_failed") == 0)
		*value = (double)t->failed + (double)t->errors;	/* either may be at LONG_MAX */
	else if (strcmp(name, "tests_passed") == 0)
		*value = (double)t->passed;
	else if (strcmp(name, "tests_skipped") == 0)
		*value = (double)t->skipped;
	else
		return false;
	return true;
}

static bool is_tests_name(const char *name)
{
	return strcmp(name, "tests_failed") == 0 || strcmp(name, "tests_passed") == 0 ||
	       strcmp(name, "tests_skipped") == 0;
}

bool sw_metrics_get(const struct sw_metrics *m, const char *name, double *value)
{
	/* Built-in names shadow custom metrics, so a regex cannot fake them. */
	if (strcmp(name, "coverage") == 0) {
		*value = m->coverage.percent;
		return m->coverage.known;
	}
	if (strcmp(name, "lint") == 0) {
		*value = (double)m->lint.count;
		return m->lint.known;
	}
	if (is_tests_name(name))
		return m->tests.known && get_tests(&m->tests, name, value);
	for (size_t i = 0; i < m->ncustom; i++) {
		if (strcmp(m->custom[i].name, name) == 0) {
			*value = m->custom[i].value;
			return true;
		}
	}
	return false;
}

/* Valid UTF-8 of at most cap bytes, cut on a character boundary. */
static char *clean_text(const char *s, size_t cap)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sw_utf8_clean(&sb, s, strlen(s));
	if (sb.len > cap) {
		static const char ellipsis[] = "\xe2\x80\xa6";
		size_t cut = cap - (sizeof ellipsis - 1);
		while (cut > 0 && ((unsigned char)sb.buf[cut] & 0xc0) == 0x80)
			cut--;
		sb.len = cut;
		sbuf_add(&sb, ellipsis, sizeof ellipsis - 1);
	}
	return sbuf_detach(&sb);
}

static void add_string(cJSON *obj, const char *key, const char *s)
{
	char *clean = clean_text(s ? s : "", MAX_MESSAGE);
	cJSON_AddStringToObject(obj, key, clean);
	free(clean);
}

/* Object keys are cleaned too: paths and codes come from tool output. */
static void add_number(cJSON *obj, const char *key, double v)
{
	char *clean = clean_text(key, SIZE_MAX);
	cJSON_AddNumberToObject(obj, clean, v);
	free(clean);
}

static cJSON *tests_to_json(const struct sw_tests *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "passed", (double)t->passed);
	cJSON_AddNumberToObject(o, "failed", (double)t->failed);
	cJSON_AddNumberToObject(o, "skipped", (double)t->skipped);
	cJSON_AddNumberToObject(o, "errors", (double)t->errors);
	cJSON_AddNumberToObject(o, "xfail", (double)t->xfail);
	cJSON *arr = cJSON_AddArrayToObject(o, "failures");
	for (size_t i = 0; i < t->nfailures && i < MAX_FAILURES; i++) {
		cJSON *f = cJSON_CreateObject();
		add_string(f, "name", t->failures[i].name);
		add_string(f, "message", t->failures[i].message);
		cJSON_AddItemToArray(arr, f);
	}
	return o;
}

static cJSON *counts_to_json(const struct sw_count *arr, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < len; i++)
		add_number(o, arr[i].key, (double)arr[i].n);
	return o;
}

static cJSON *lint_to_json(const struct sw_lint *l)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", (double)l->count);
	cJSON_AddItemToObject(o, "by_code", counts_to_json(l->by_code, l->ncodes));
	cJSON_AddItemToObject(o, "by_file", counts_to_json(l->by_file, l->nfiles));
	return o;
}

static cJSON *coverage_to_json(const struct sw_coverage *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "percent", c->percent);
	cJSON *arr = cJSON_AddArrayToObject(o, "files");
	for (size_t i = 0; i < c->nfiles; i++) {
		cJSON *f = cJSON_CreateObject();
		add_string(f, "path", c->files[i].path);
		cJSON_AddNumberToObject(f, "percent", c->files[i].percent);
		cJSON_AddItemToArray(arr, f);
	}
	return o;
}

cJSON *sw_metrics_to_json(const struct sw_metrics *m)
{
	cJSON *o = cJSON_CreateObject();
	if (m->tests.known)
		cJSON_AddItemToObject(o, "tests", tests_to_json(&m->tests));
	if (m->lint.known)
		cJSON_AddItemToObject(o, "lint", lint_to_json(&m->lint));
	if (m->coverage.known)
		cJSON_AddItemToObject(o, "coverage", coverage_to_json(&m->coverage));
	if (m->ncustom) {
		cJSON *c = cJSON_AddObjectToObject(o, "custom");
		for (size_t i = 0; i < m->ncustom; i++)
			add_number(c, m->custom[i].name, m->custom[i].value);
	}
	return o;
}

/* run.json may be hand-edited or from another version: take what fits,
 * never converting an out-of-range double (undefined behaviour). */
static long to_long(double v)
{
	if (isnan(v))
		return 0;
	if (v >= (double)LONG_MAX)
		return LONG_MAX;
	if (v <= (double)LONG_MIN)
		return LONG_MIN;
	return (long)v;
}

static long json_long(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(it) ? to_long(it->valuedouble) : 0;
}

static double json_double(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(it) && isfinite(it->valuedouble) ? it->valuedouble : 0.0;
}

static char *json_text(const cJSON *obj, const char *key, size_t cap)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	return clean_text(cJSON_IsString(it) ? it->valuestring : "", cap);
}

static void failures_from_json(struct sw_tests *t, const cJSON *arr)
{
	const cJSON *f;
	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(f, arr) {
		if (t->nfailures >= MAX_FAILURES)
			break;
		if (!cJSON_IsObject(f))
			continue;
		t->failures = xrealloc(t->failures, (t->nfailures + 1) * sizeof *t->failures);
		t->failures[t->nfailures].name = json_text(f, "name", MAX_MESSAGE);
		t->failures[t->nfailures].message = json_text(f, "message", MAX_MESSAGE);
		t->nfailures++;
	}
}

static void tests_from_json(struct sw_tests *t, const cJSON *o)
{
	t->known = true;
	t->passed = json_long(o, "passed");
	t->failed = json_long(o, "failed");
	t->skipped = json_long(o, "skipped");
	t->errors = json_long(o, "errors");
	t->xfail = json_long(o, "xfail");
	failures_from_json(t, cJSON_GetObjectItemCaseSensitive(o, "failures"));
}

static void counts_from_json(struct sw_count **arr, size_t *len, const cJSON *o)
{
	const cJSON *it;
	if (!cJSON_IsObject(o))
		return;
	cJSON_ArrayForEach(it, o) {
		if (!cJSON_IsNumber(it) || !it->string)
			continue;
		char *key = clean_text(it->string, SIZE_MAX);
		sw_count_add(arr, len, key, to_long(it->valuedouble));
		free(key);
	}
}

static void lint_from_json(struct sw_lint *l, const cJSON *o)
{
	l->known = true;
	l->count = json_long(o, "count");
	counts_from_json(&l->by_code, &l->ncodes, cJSON_GetObjectItemCaseSensitive(o, "by_code"));
	counts_from_json(&l->by_file, &l->nfiles, cJSON_GetObjectItemCaseSensitive(o, "by_file"));
}

static void coverage_from_json(struct sw_coverage *c, const cJSON *o)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "files"), *f;
	c->known = true;
	c->percent = json_double(o, "percent");
	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(f, arr) {
		if (!cJSON_IsObject(f))
			continue;
		c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof *c->files);
		c->files[c->nfiles].path = json_text(f, "path", SIZE_MAX);
		c->files[c->nfiles].percent = json_double(f, "percent");
		c->nfiles++;
	}
}

static void custom_from_json(struct sw_metrics *m, const cJSON *o)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, o) {
		if (!cJSON_IsNumber(it) || !it->string || !isfinite(it->valuedouble))
			continue;
		char *name = clean_text(it->string, SIZE_MAX);
		sw_metrics_set_custom(m, name, it->valuedouble);
		free(name);
	}
}

/* m is overwritten (not freed first): pass a zeroed or freed struct. */
void sw_metrics_from_json(struct sw_metrics *m, const cJSON *json)
{
	memset(m, 0, sizeof *m);
	if (!cJSON_IsObject(json))
		return;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "tests");
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(json, "lint");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(json, "coverage");
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(json, "custom");
	if (cJSON_IsObject(t))
		tests_from_json(&m->tests, t);
	if (cJSON_IsObject(l))
		lint_from_json(&m->lint, l);
	if (cJSON_IsObject(c))
		coverage_from_json(&m->coverage, c);
	if (cJSON_IsObject(x))
		custom_from_json(m, x);
}

char *sw_capped_text(const char *s, size_t len)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	if (len <= SW_MAX_MESSAGE)
		return xstrndup(s, len);
	size_t cut = SW_MAX_MESSAGE - (sizeof ellipsis - 1);
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	char *d = xmalloc(cut + sizeof ellipsis);
	memcpy(d, s, cut);
	memcpy(d + cut, ellipsis, sizeof ellipsis);
	return d;
}

static int cmp_file_coverage(const void *a, const void *b)
{
	const struct sw_file_coverage *x = a, *y = b;
	if (x->percent < y->percent || x->percent > y->percent)
		return x->percent < y->percent ? -1 : 1;
	return strcmp(x->path, y->path);
}

void sw_coverage_sort(struct sw_file_coverage *files, size_t n)
{
	if (n > 1)
		qsort(files, n, sizeof *files, cmp_file_coverage);
}
