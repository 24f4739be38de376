/* DORA figures from the deploy journal: a pure computation over records
 * and commit times (sw_dora_compute), and its feeding from the store and
 * git (sw_dora_from_store). */
#include "slipway/dora.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/repo.h"

#define DAY_MS 86400000LL

struct int64s {
	int64_t *v;
	size_t n, cap;
};

static void int64s_add(struct int64s *a, int64_t x)
{
	if (a->n == a->cap)
		a->v = xrealloc(a->v, (a->cap = a->cap ? 2 * a->cap : 16) * sizeof *a->v);
	a->v[a->n++] = x;
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t sw_dora_median(int64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_int64);
	return n % 2 ? v[n / 2] : v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
}

/* An interrupted deploy never wrote its finish: its last step's time, or
 * its start, is when it ended. */
static int64_t ended_ms(const struct sw_deploy_record *r)
{
	if (r->finished_ms)
		return r->finished_ms;
	int64_t t = r->started_ms;
	for (size_t i = 0; i < r->nsteps; i++) {
		if (r->steps[i].started_ms > t)
			t = r->steps[i].started_ms;
		if (r->steps[i].finished_ms > t)
			t = r->steps[i].finished_ms;
	}
	return t;
}

static const char *env_of(const struct sw_deploy_record *r)
{
	return r->environment ? r->environment : "";
}

/* Interrupted counts as failed: the change did not get out cleanly and the
 * target needs someone, whatever killed the process. */
static bool is_failure(const struct sw_deploy_record *r)
{
	return r->status == SW_DEPLOY_ROLLED_BACK || r->status == SW_DEPLOY_FAILED ||
	       r->status == SW_DEPLOY_INTERRUPTED;
}

static bool is_success(const struct sw_deploy_record *r)
{
	return r->status == SW_DEPLOY_SUCCEEDED;
}

struct series {
	const struct sw_deploy_record **r;	/* one environment's, oldest (lowest id) first */
	size_t n;
	int64_t since_ms, now_ms;
};

static bool in_window(const struct series *s, const struct sw_deploy_record *r)
{
	int64_t t = ended_ms(r);
	return sw_deploy_status_final(r->status) && t >= s->since_ms && t <= s->now_ms;
}

static void count_deploys(const struct series *s, struct sw_dora_figures *f)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct sw_deploy_record *r = s->r[i];
		if (r->rollback || !in_window(s, r))
			continue;
		f->deploys++;
		f->finished++;
		f->succeeded += is_success(r);
		f->failed += is_failure(r);
	}
	double days = (double)(s->now_ms - s->since_ms) / (double)DAY_MS;
	f->per_day = days > 0 ? (double)f->succeeded / days : 0;
	f->per_week = f->per_day * 7;
}

/* The environment served the previous succeeded deploy's commit: a
 * rollback in between went back to commits already counted. */
static const char *served_before(const struct series *s, size_t i)
{
	while (i-- > 0)
		if (!s->r[i]->rollback && is_success(s->r[i]))
			return s->r[i]->commit;
	return "";
}

static void lead_time(const struct series *s, const struct sw_dora_source *src, struct sw_dora_figures *f,
		      struct strlist *warnings)
{
	struct int64s lead = {0};
	for (size_t i = 0; i < s->n; i++) {
		const struct sw_deploy_record *r = s->r[i];
		if (r->rollback || !is_success(r) || !in_window(s, r))
			continue;
		const char *from = served_before(s, i);
		int64_t *times;
		size_t n;
		if (src->commits(src->ctx, from, r->commit, &times, &n)) {
			strlist_addf(warnings, "deploy #%ld: %.7s%s%.7s is not in the repository; left out of the lead time",
				     r->id, from, *from ? ".." : "", r->commit);
			continue;
		}
		for (size_t k = 0; k < n; k++)
			int64s_add(&lead, r->finished_ms > times[k] ? r->finished_ms - times[k] : 0);
		f->lead_deploys += n > 0;
		free(times);
	}
	f->lead_commits = lead.n;
	f->lead_median_ms = sw_dora_median(lead.v, lead.n);
	free(lead.v);
}

static void time_to_restore(const struct series *s, struct sw_dora_figures *f)
{
	struct int64s restore = {0};
	for (size_t i = 0; i < s->n; i++) {
		const struct sw_deploy_record *r = s->r[i];
		if (r->rollback || !is_failure(r) || !in_window(s, r))
			continue;
		size_t k = i + 1;
		while (k < s->n && !is_success(s->r[k]))
			k++;
		if (k == s->n) {
			f->unrestored++;
			continue;
		}
		int64_t from = ended_ms(r), to = ended_ms(s->r[k]);
		int64s_add(&restore, to > from ? to - from : 0);
	}
	f->restored = restore.n;
	f->restore_median_ms = sw_dora_median(restore.v, restore.n);
	free(restore.v);
}

static int cmp_id(const void *a, const void *b)
{
	const struct sw_deploy_record *x = *(const struct sw_deploy_record *const *)a;
	const struct sw_deploy_record *y = *(const struct sw_deploy_record *const *)b;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_env(const void *a, const void *b)
{
	return strcmp(((const struct sw_dora_figures *)a)->environment, ((const struct sw_dora_figures *)b)->environment);
}

/* The environments to report: the one asked for, or each with a deploy in
 * the window (a rollback alone is no deploy to count). */
static void pick_environments(const struct series *all, const char *env, struct sw_dora_report *out)
{
	out->envs = xcalloc(all->n + 1, sizeof *out->envs);
	if (env) {
		out->envs[out->n++].environment = xstrdup(env);
		return;
	}
	for (size_t i = 0; i < all->n; i++) {
		const char *name = env_of(all->r[i]);
		bool seen = false;
		for (size_t k = 0; k < out->n && !seen; k++)
			seen = !strcmp(out->envs[k].environment, name);
		if (!seen && !all->r[i]->rollback && in_window(all, all->r[i]))
			out->envs[out->n++].environment = xstrdup(name);
	}
	qsort(out->envs, out->n, sizeof *out->envs, cmp_env);
}

void sw_dora_compute(const struct sw_deploy_record *recs, size_t n, int64_t since_ms, int64_t now_ms, const char *env,
		     const struct sw_dora_source *src, struct sw_dora_report *out)
{
	memset(out, 0, sizeof *out);
	out->since_ms = since_ms;
	out->now_ms = now_ms;
	struct series all = {xcalloc(n + 1, sizeof *all.r), n, since_ms, now_ms};
	for (size_t i = 0; i < n; i++)
		all.r[i] = &recs[i];
	qsort(all.r, n, sizeof *all.r, cmp_id);
	pick_environments(&all, env, out);
	struct series one = {xcalloc(n + 1, sizeof *one.r), 0, since_ms, now_ms};
	for (size_t e = 0; e < out->n; e++) {
		struct sw_dora_figures *f = &out->envs[e];
		one.n = 0;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(env_of(all.r[i]), f->environment))
				one.r[one.n++] = all.r[i];
		count_deploys(&one, f);
		lead_time(&one, src, f, &out->warnings);
		time_to_restore(&one, f);
	}
	free(one.r);
	free(all.r);
}

static int git_commits(void *ctx, const char *from, const char *to, int64_t **times_ms, size_t *n)
{
	struct sw_repo *repo = ctx;
	if (*from)
		return sw_repo_commits_between(repo, from, to, times_ms, n);
	int64_t t = sw_repo_commit_time_ms(repo, to);
	if (t < 0)
		return -1;
	*times_ms = xcalloc(1, sizeof **times_ms);
	**times_ms = t;
	*n = 1;
	return 0;
}

void sw_dora_from_store(struct sw_repo *repo, struct sw_store *st, int64_t since_ms, int64_t now_ms, const char *env,
			struct sw_dora_report *out, struct strlist *warnings)
{
	struct sw_deploy_record *recs;
	size_t n = sw_deploy_history(st, -1, &recs, warnings);
	struct sw_dora_source src = {git_commits, repo};
	sw_dora_compute(recs, n, since_ms, now_ms, env, &src, out);
	sw_deploy_records_free(recs, n);
}

void sw_dora_report_free(struct sw_dora_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->envs[i].environment);
	free(r->envs);
	strlist_free(&r->warnings);
	memset(r, 0, sizeof *r);
}

/* Three decimals are all a rate per day needs, and keep 0.1666666... out. */
static double rounded(double x)
{
	return (double)(int64_t)(x * 1000 + 0.5) / 1000;
}

static void add_figures(cJSON *o, const struct sw_dora_figures *f)
{
	cJSON_AddNumberToObject(o, "deploys", (double)f->deploys);
	cJSON *fr = cJSON_AddObjectToObject(o, "frequency");
	cJSON_AddNumberToObject(fr, "per_day", rounded(f->per_day));
	cJSON_AddNumberToObject(fr, "per_week", rounded(f->per_week));
	cJSON_AddNumberToObject(fr, "count", (double)f->succeeded);
	if (f->lead_commits) {
		cJSON *l = cJSON_AddObjectToObject(o, "lead_time");
		cJSON_AddNumberToObject(l, "median_s", (double)f->lead_median_ms / 1000);
		cJSON_AddNumberToObject(l, "commits", (double)f->lead_commits);
		cJSON_AddNumberToObject(l, "deploys", (double)f->lead_deploys);
	} else {
		cJSON_AddNullToObject(o, "lead_time");
	}
	if (f->finished) {
		cJSON *c = cJSON_AddObjectToObject(o, "change_failure_rate");
		cJSON_AddNumberToObject(c, "failed", (double)f->failed);
		cJSON_AddNumberToObject(c, "total", (double)f->finished);
		cJSON_AddNumberToObject(c, "pct", rounded(100.0 * (double)f->failed / (double)f->finished));
	} else {
		cJSON_AddNullToObject(o, "change_failure_rate");
	}
	if (f->restored || f->unrestored) {
		cJSON *t = cJSON_AddObjectToObject(o, "time_to_restore");
		if (f->restored)
			cJSON_AddNumberToObject(t, "median_s", (double)f->restore_median_ms / 1000);
		else
			cJSON_AddNullToObject(t, "median_s");
		cJSON_AddNumberToObject(t, "incidents", (double)f->restored);
		cJSON_AddNumberToObject(t, "unrestored", (double)f->unrestored);
	} else {
		cJSON_AddNullToObject(o, "time_to_restore");
	}
}

cJSON *sw_dora_report_to_json(const struct sw_dora_report *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "since_ms", (double)r->since_ms);
	cJSON *a = cJSON_AddArrayToObject(o, "environments");
	for (size_t i = 0; i < r->n; i++) {
		cJSON *e = cJSON_CreateObject();
		sw_json_add_clean_string(e, "environment", r->envs[i].environment);
		add_figures(e, &r->envs[i]);
		cJSON_AddItemToArray(a, e);
	}
	return o;
}

int sw_dora_parse_window(const char *text, int64_t *ms, char *name, size_t size)
{
	static const struct {
		char unit;
		int64_t ms;
		const char *one, *many;
	} units[] = {{'h', 3600000LL, "hour", "hours"}, {'d', DAY_MS, "day", "days"}, {'w', 7 * DAY_MS, "week", "weeks"}};
	size_t len = strlen(text);
	/* strtol would take blanks and signs; a window is digits and a unit. */
	if (len < 2 || len > 7 || strspn(text, "0123456789") != len - 1)
		return -1;
	long n = strtol(text, NULL, 10);
	for (size_t i = 0; n > 0 && i < sizeof units / sizeof *units; i++)
		if (text[len - 1] == units[i].unit) {
			*ms = n * units[i].ms;
			snprintf(name, size, "%ld %s", n, n == 1 ? units[i].one : units[i].many);
			return 0;
		}
	return -1;
}

void sw_dora_format_span(int64_t ms, char *out, size_t size)
{
	long s = (long)((ms < 0 ? 0 : ms) / 1000);
	if (s < 60)
		snprintf(out, size, "%ld s", s);
	else if (s < 3600)
		snprintf(out, size, "%ldm %02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, size, "%ldh %02ldm", s / 3600, s / 60 % 60);
	else
		snprintf(out, size, "%ldd %ldh", s / 86400, s / 3600 % 24);
}

char *sw_dora_summary(const struct sw_dora_report *r, const char *env, const char *window)
{
	const struct sw_dora_figures *f = NULL;
	for (size_t i = 0; i < r->n && !f; i++)
		if (!env || !strcmp(r->envs[i].environment, env))
			f = &r->envs[i];
	if (!f || !f->deploys)
		return xasprintf("last %s: no deploys", window);
	struct sbuf sb = {0};
	char span[32];
	sbuf_addf(&sb, "last %s: %zu deploy%s, %.2f a day", window, f->deploys, f->deploys == 1 ? "" : "s",
		  f->per_day);
	if (f->lead_commits) {
		sw_dora_format_span(f->lead_median_ms, span, sizeof span);
		sbuf_addf(&sb, " · lead time %s", span);
	}
	if (f->finished)
		sbuf_addf(&sb, " · failure rate %.0f%% (%zu of %zu)", 100.0 * (double)f->failed / (double)f->finished,
			  f->failed, f->finished);
	if (f->restored) {
		sw_dora_format_span(f->restore_median_ms, span, sizeof span);
		sbuf_addf(&sb, " · restore %s", span);
	}
	if (f->unrestored)
		sbuf_addf(&sb, " · %zu not restored", f->unrestored);
	return sb.buf;
}
