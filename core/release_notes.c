/* Release notes (see slipway/release_notes.h): which two releases, from
 * the deploy journal or a FROM..TO; the commits between them and their
 * proving runs, from git and the run store; the two proving runs'
 * metrics; Sentry's issues of the time the release served; and the text
 * and JSON of it all. */
#include "slipway/release_notes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/deploy.h"
#include "slipway/merge.h"
#include "slipway/repo.h"
#include "slipway/run.h"
#include "slipway/store.h"
#include "slipway/util.h"

/* ---- which releases ---- */

static bool served(const struct sw_deploy_record *r)
{
	return r->status == SW_DEPLOY_SUCCEEDED && r->finished_ms;
}

static bool same_env(const struct sw_deploy_record *a, const struct sw_deploy_record *b)
{
	return a->environment && b->environment && !strcmp(a->environment, b->environment);
}

/* recs are newest first: the release that served before rec[i] there, and
 * the one that replaced it (NULL each when none). */
static const struct sw_deploy_record *served_before(const struct sw_deploy_record *recs, size_t n, size_t i)
{
	for (size_t k = i + 1; k < n; k++)
		if (served(&recs[k]) && same_env(&recs[k], &recs[i]))
			return &recs[k];
	return NULL;
}

static const struct sw_deploy_record *replaced_by(const struct sw_deploy_record *recs, size_t i)
{
	for (size_t k = i; k-- > 0;)
		if (served(&recs[k]) && same_env(&recs[k], &recs[i]))
			return &recs[k];
	return NULL;
}

/* The newest deploy that put commit into service, or n. */
static size_t deploy_of(const struct sw_deploy_record *recs, size_t n, const char *commit)
{
	for (size_t i = 0; i < n; i++)
		if (served(&recs[i]) && !strcmp(recs[i].commit, commit))
			return i;
	return n;
}

/* The deploy query names, or the newest succeeded one; n with *err when none. */
static size_t pick_deploy(struct sw_store *st, const struct sw_deploy_record *recs, size_t n, const char *text,
			  char **err)
{
	if (!text) {
		for (size_t i = 0; i < n; i++)
			if (served(&recs[i]) && !recs[i].rollback)
				return i;
		*err = xstrdup("no succeeded deploy yet: name two releases as FROM..TO");
		return n;
	}
	long id;
	if (sw_deploy_parse_id(st, text, &id, err))
		return n;
	for (size_t i = 0; i < n; i++)
		if (recs[i].id == id)
			return i;
	*err = n ? xasprintf("no deploy #%ld (the journal has #%ld to #%ld)", id, recs[n - 1].id, recs[0].id)
		 : xasprintf("no deploy #%ld: nothing was deployed yet", id);
	return n;
}

static void from_deploy(struct sw_release_notes *out, const struct sw_deploy_record *recs, size_t n, size_t i)
{
	const struct sw_deploy_record *r = &recs[i], *before = served_before(recs, n, i), *after = replaced_by(recs, i);
	out->deploy = r->id;
	out->environment = xstrdup_null(r->environment);
	out->status = sw_deploy_status_name(r->status);
	out->rollback = r->rollback;
	memcpy(out->to, r->commit, sizeof out->to);
	memcpy(out->from, r->previous, sizeof out->from);
	out->deployed_ms = served(r) ? r->finished_ms : 0;
	out->previous_ms = before ? before->finished_ms : 0;
	out->replaced_ms = served(r) && after ? after->finished_ms : 0;
	out->now.run = r->run;
	out->before.run = before ? before->run : 0;
}

/* FROM..TO: both resolved; their deploys (if any) give Sentry its window. */
static int from_range(struct sw_repo *repo, struct sw_release_notes *out, const struct sw_deploy_record *recs,
		      size_t n, const char *range, char **err)
{
	const char *dots = strstr(range, "..");
	if (!dots || dots == range || !dots[2] || strstr(dots + 2, "..")) {
		*err = xasprintf("\"%s\" is not FROM..TO (two commits or branches: v1..main, 9c1e2aa..4f5e6d7)", range);
		return -1;
	}
	char *from = xstrndup(range, (size_t)(dots - range));
	char *e = NULL;
	int rc = sw_repo_resolve(repo, from, out->from, &e);
	if (!rc)
		rc = sw_repo_resolve(repo, dots + 2, out->to, &e);
	if (rc)
		*err = xasprintf("%s: %s", range, e);
	free(e);
	free(from);
	if (rc)
		return -1;
	size_t t = deploy_of(recs, n, out->to), f = deploy_of(recs, n, out->from);
	if (t < n) {
		const struct sw_deploy_record *after = replaced_by(recs, t);
		out->deployed_ms = recs[t].finished_ms;
		out->replaced_ms = after ? after->finished_ms : 0;
	}
	if (f < n)
		out->previous_ms = recs[f].finished_ms;
	return 0;
}

/* ---- commits, runs, metrics ---- */

/* The newest green run of sha in runs (newest first), or NULL. */
static const struct sw_run_record *proof_in(const struct sw_run_record *runs, size_t n, const char *sha)
{
	for (size_t i = 0; *sha && i < n; i++)
		if (sw_merge_run_proves(&runs[i], NULL, sha))
			return &runs[i];
	return NULL;
}

static const struct sw_run_record *run_in(const struct sw_run_record *runs, size_t n, long id)
{
	for (size_t i = 0; id && i < n; i++)
		if (runs[i].id == id)
			return &runs[i];
	return NULL;
}

/* A release's proving run: the deploy's, else the newest green run of it. */
static void quality_of(struct sw_notes_quality *q, const struct sw_run_record *runs, size_t n, const char *sha)
{
	const struct sw_run_record *r = run_in(runs, n, q->run);
	if (!r)
		r = proof_in(runs, n, sha);
	q->run = r ? r->id : 0;
	if (r)
		sw_metrics_copy(&q->metrics, &r->metrics);
}

static int add_commits(struct sw_repo *repo, struct sw_release_notes *out, const struct sw_run_record *runs,
		       size_t nruns, char **err)
{
	struct sw_commit *c;
	size_t n;
	if (sw_repo_log(repo, out->from, out->to, SW_NOTES_COMMITS_MAX, &c, &n, &out->commits_cut)) {
		*err = xasprintf("cannot list the commits %.7s%s%.7s: not both in this repository", out->from,
				 *out->from ? ".." : "", out->to);
		return -1;
	}
	out->commits = xcalloc(n + 1, sizeof *out->commits);
	for (size_t i = 0; i < n; i++) {
		struct sw_notes_commit *k = &out->commits[i];
		memcpy(k->sha, c[i].sha, sizeof k->sha);
		k->subject = c[i].subject;
		k->author = c[i].author;
		k->time = c[i].time;
		c[i].subject = c[i].author = NULL;
		const struct sw_run_record *p = proof_in(runs, nruns, k->sha);
		k->run = p ? p->id : 0;
		out->proved += p != NULL;
	}
	out->ncommits = n;
	sw_commits_free(c, n);
	return 0;
}

int sw_release_notes_build(struct sw_repo *repo, struct sw_store *st, const struct sw_notes_query *q,
			   struct sw_release_notes *out, char **err)
{
	memset(out, 0, sizeof *out);
	struct sw_deploy_record *recs;
	size_t n = sw_deploy_history(st, -1, &recs, NULL);
	int rc = 0;
	if (q->range) {
		rc = from_range(repo, out, recs, n, q->range, err);
	} else {
		size_t i = pick_deploy(st, recs, n, q->deploy, err);
		if (i < n)
			from_deploy(out, recs, n, i);
		rc = i < n ? 0 : -1;
	}
	sw_deploy_records_free(recs, n);
	struct sw_run_record *runs = NULL;
	size_t nruns = rc ? 0 : sw_store_history(st, NULL, -1, &runs, NULL);
	if (!rc)
		rc = add_commits(repo, out, runs, nruns, err);
	if (!rc) {
		quality_of(&out->now, runs, nruns, out->to);
		quality_of(&out->before, runs, nruns, out->from);
	}
	sw_run_records_free(runs, nruns);
	if (rc)
		sw_release_notes_free(out);
	return rc ? SW_ERR_USAGE : SW_OK;
}

/* ---- Sentry's part ---- */

void sw_release_notes_sentry(struct sw_sentry *c, struct sw_release_notes *n)
{
	n->sentry_read = true;
	if (!n->deployed_ms) {
		n->sentry_note = xasprintf("%.7s never served (no succeeded deploy of it): no issue is of its time", n->to);
		return;
	}
	char *err = NULL;
	struct sw_sentry_query fresh = {
		.sort = "new",
		.limit = SW_NOTES_ISSUES_MAX,
		.first_seen_after = (time_t)(n->deployed_ms / 1000),
		.first_seen_before = (time_t)(n->replaced_ms / 1000),
	};
	int64_t since = n->previous_ms ? n->previous_ms : n->deployed_ms;
	struct sw_sentry_query fixed = {
		.status = "resolved",
		.sort = "date",
		.limit = SW_NOTES_ISSUES_MAX,
		.last_seen_after = (time_t)(since / 1000),
	};
	if (sw_sentry_issues(c, &fresh, NULL, NULL, &n->new_issues, &err) ||
	    sw_sentry_issues(c, &fixed, NULL, NULL, &n->resolved, &err)) {
		sw_sentry_issue_list_free(&n->new_issues);
		n->sentry_note = err;
	}
}

void sw_release_notes_no_sentry(struct sw_release_notes *n, char *note)
{
	n->sentry_read = true;
	free(n->sentry_note);
	n->sentry_note = note;
}

void sw_release_notes_free(struct sw_release_notes *n)
{
	for (size_t i = 0; i < n->ncommits; i++) {
		free(n->commits[i].subject);
		free(n->commits[i].author);
	}
	free(n->commits);
	free(n->environment);
	sw_metrics_free(&n->now.metrics);
	sw_metrics_free(&n->before.metrics);
	free(n->sentry_note);
	sw_sentry_issue_list_free(&n->new_issues);
	sw_sentry_issue_list_free(&n->resolved);
	memset(n, 0, sizeof *n);
}

/* ---- the quality delta ---- */

struct measure {
	const char *name, *one, *many;	/* "tests passed"; the unit's words */
	bool percent;
	bool have_now, have_before;
	double now, before;
};

enum { M_PASSED, M_FAILED, M_SKIPPED, M_LINT, M_COVERAGE, M_COUNT };

static void measures(const struct sw_release_notes *n, struct measure m[M_COUNT])
{
	const struct sw_metrics *a = &n->now.metrics, *b = &n->before.metrics;
	bool ra = n->now.run, rb = n->before.run;
	m[M_PASSED] = (struct measure){"tests_passed", "passed", "passed", false, ra && a->tests.known,
				       rb && b->tests.known, (double)a->tests.passed, (double)b->tests.passed};
	m[M_FAILED] = (struct measure){"tests_failed", "failed", "failed", false, ra && a->tests.known,
				       rb && b->tests.known, (double)(a->tests.failed + a->tests.errors),
				       (double)(b->tests.failed + b->tests.errors)};
	m[M_SKIPPED] = (struct measure){"tests_skipped", "skipped", "skipped", false, ra && a->tests.known,
					rb && b->tests.known, (double)a->tests.skipped, (double)b->tests.skipped};
	m[M_LINT] = (struct measure){"lint", "finding", "findings", false, ra && a->lint.known, rb && b->lint.known,
				     (double)a->lint.count, (double)b->lint.count};
	m[M_COVERAGE] = (struct measure){"coverage", "", "", true, ra && a->coverage.known, rb && b->coverage.known,
					 a->coverage.percent, b->coverage.percent};
}

static cJSON *measure_json(const struct measure *m)
{
	cJSON *o = cJSON_CreateObject();
	if (m->have_now)
		cJSON_AddNumberToObject(o, "now", m->now);
	else
		cJSON_AddNullToObject(o, "now");
	if (m->have_before)
		cJSON_AddNumberToObject(o, "before", m->before);
	else
		cJSON_AddNullToObject(o, "before");
	if (m->have_now && m->have_before)
		cJSON_AddNumberToObject(o, "delta", m->now - m->before);
	else
		cJSON_AddNullToObject(o, "delta");
	return o;
}

/* "+2", "-1", "=" (coverage: "+4.0 points"); empty without both. */
static void delta_text(const struct measure *m, char *out, size_t size)
{
	double d = m->now - m->before;
	if (!m->have_now || !m->have_before)
		snprintf(out, size, "%s", "");
	else if (m->percent)
		snprintf(out, size, " (%+.1f points)", d);
	else if ((long)d == 0)
		snprintf(out, size, " (=)");
	else
		snprintf(out, size, " (%+.0f)", d);
}

/* ---- JSON ---- */

static void add_time(cJSON *o, const char *key, int64_t ms)
{
	char iso[32];
	if (!ms) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	sw_iso_time((time_t)(ms / 1000), iso);
	cJSON_AddStringToObject(o, key, iso);
}

static void add_id(cJSON *o, const char *key, long id)
{
	if (id)
		cJSON_AddNumberToObject(o, key, (double)id);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *commits_json(const struct sw_release_notes *n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n->ncommits; i++) {
		const struct sw_notes_commit *k = &n->commits[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "sha", k->sha);
		sw_json_add_clean_string(o, "subject", k->subject);
		sw_json_add_clean_string(o, "author", k->author);
		add_time(o, "time", (int64_t)k->time * 1000);
		add_id(o, "run", k->run);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *quality_json(const struct sw_release_notes *n)
{
	struct measure m[M_COUNT];
	measures(n, m);
	cJSON *o = cJSON_CreateObject();
	add_id(o, "run", n->now.run);
	add_id(o, "previous_run", n->before.run);
	for (int i = 0; i < M_COUNT; i++)
		cJSON_AddItemToObject(o, m[i].name, measure_json(&m[i]));
	return o;
}

static cJSON *issues_json(const struct sw_sentry_issue_list *l)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, sw_sentry_issue_to_json(&l->items[i]));
	return a;
}

cJSON *sw_release_notes_to_json(const struct sw_release_notes *n)
{
	cJSON *o = cJSON_CreateObject();
	add_id(o, "deploy", n->deploy);
	sw_json_add_clean_string(o, "environment", n->environment);
	sw_json_add_clean_string(o, "status", n->status);
	cJSON_AddBoolToObject(o, "rollback", n->rollback);
	sw_json_add_clean_string(o, "from", *n->from ? n->from : NULL);
	cJSON_AddStringToObject(o, "to", n->to);
	add_time(o, "deployed_at", n->deployed_ms);
	add_time(o, "previous_deployed_at", n->previous_ms);
	add_time(o, "replaced_at", n->replaced_ms);
	cJSON_AddItemToObject(o, "commits", commits_json(n));
	cJSON_AddBoolToObject(o, "commits_cut", n->commits_cut);
	cJSON_AddNumberToObject(o, "proved", (double)n->proved);
	cJSON_AddItemToObject(o, "quality", quality_json(n));
	if (n->sentry_read && !n->sentry_note) {
		cJSON *s = cJSON_AddObjectToObject(o, "sentry");
		cJSON_AddItemToObject(s, "new", issues_json(&n->new_issues));
		cJSON_AddItemToObject(s, "resolved", issues_json(&n->resolved));
	} else {
		cJSON_AddNullToObject(o, "sentry");
	}
	sw_json_add_clean_string(o, "sentry_note", n->sentry_note);
	return o;
}

/* ---- text and Markdown ---- */

/* Outside text for a terminal; in Markdown also what would format it. */
static void put(struct sbuf *out, enum sw_notes_format f, const char *s)
{
	struct sbuf clean;
	sbuf_init(&clean);
	sw_term_clean(&clean, s ? s : "", strlen(s ? s : ""));
	for (size_t i = 0; i < clean.len; i++) {
		if (f == SW_NOTES_MARKDOWN && strchr("\\`*_[]<>|#", clean.buf[i]))
			sbuf_addc(out, '\\');
		sbuf_addc(out, clean.buf[i]);
	}
	sbuf_free(&clean);
}

/* A title in a list: one line of a changelog, not a kilobyte. */
#define TITLE_MAX 160

static void put_cut(struct sbuf *out, enum sw_notes_format f, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n <= max) {
		put(out, f, s);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	char *cut = xstrndup(s, max);
	put(out, f, cut);
	sbuf_adds(out, "...");
	free(cut);
}

static void iso_of(int64_t ms, char out[32])
{
	sw_iso_time((time_t)(ms / 1000), out);
}

static void head_text(const struct sw_release_notes *n, enum sw_notes_format f, struct sbuf *out)
{
	bool md = f == SW_NOTES_MARKDOWN;
	char at[32];
	sbuf_addf(out, md ? "## Release %.7s\n\n" : "release %.7s\n", n->to);
	if (n->deploy) {
		sbuf_addf(out, md ? "%s #%ld to " : "  %s #%ld to ", n->rollback ? "Rollback" : "Deploy", n->deploy);
		put(out, f, n->environment);
		sbuf_addf(out, ", %s", n->status);
		if (n->deployed_ms) {
			iso_of(n->deployed_ms, at);
			sbuf_addf(out, " at %s", at);
		}
		sbuf_adds(out, md ? ". " : "\n");
	}
	if (*n->from)
		sbuf_addf(out, md ? "Changes from %.7s to %.7s.\n\n" : "  from %.7s to %.7s\n\n", n->from, n->to);
	else
		sbuf_addf(out, md ? "A first release: all of %.7s's history.\n\n" : "  a first release: all of %.7s's history\n\n",
			  n->to);
}

static void commits_text(const struct sw_release_notes *n, enum sw_notes_format f, struct sbuf *out)
{
	bool md = f == SW_NOTES_MARKDOWN;
	if (md)
		sbuf_addf(out, "### Commits\n\n%zu commit%s, %zu proved by a green run.\n\n", n->ncommits,
			  n->ncommits == 1 ? "" : "s", n->proved);
	else
		sbuf_addf(out, "commits: %zu, %zu proved by a green run\n", n->ncommits, n->proved);
	if (!n->ncommits)
		sbuf_addf(out, md ? "None: %.7s adds no commit to %.7s.\n" : "  none: %.7s adds no commit to %.7s\n", n->to,
			  *n->from ? n->from : "nothing");
	for (size_t i = 0; i < n->ncommits; i++) {
		const struct sw_notes_commit *k = &n->commits[i];
		char run[32] = "no green run";
		if (k->run)
			snprintf(run, sizeof run, "run #%ld", k->run);
		if (md) {
			sbuf_adds(out, "- ");
			put(out, f, k->subject);
			sbuf_addf(out, " (`%.7s`, ", k->sha);
			put(out, f, k->author);
			sbuf_addf(out, ", %s)\n", run);
		} else {
			sbuf_addf(out, "  %.7s  %-14s ", k->sha, run);
			put(out, f, k->subject);
			sbuf_adds(out, " (");
			put(out, f, k->author);
			sbuf_adds(out, ")\n");
		}
	}
	if (n->commits_cut)
		sbuf_addf(out, md ? "\nOnly the newest %d are listed.\n" : "  (only the newest %d are listed)\n",
			  SW_NOTES_COMMITS_MAX);
	sbuf_addc(out, '\n');
}

static void measure_cell(const struct measure *m, bool now, char *out, size_t size)
{
	bool have = now ? m->have_now : m->have_before;
	double v = now ? m->now : m->before;
	if (!have)
		snprintf(out, size, "-");
	else if (m->percent)
		snprintf(out, size, "%.1f%%", v);
	else
		snprintf(out, size, "%.0f", v);
}

static void quality_table(const struct measure *m, struct sbuf *out)
{
	static const char *const labels[M_COUNT] = {"tests passed", "tests failed", "tests skipped", "lint findings",
						     "coverage"};
	sbuf_adds(out, "| measure | this release | previous | change |\n|---|---|---|---|\n");
	for (int i = 0; i < M_COUNT; i++) {
		char a[32], b[32], d[32] = "-";
		measure_cell(&m[i], true, a, sizeof a);
		measure_cell(&m[i], false, b, sizeof b);
		if (m[i].have_now && m[i].have_before)
			snprintf(d, sizeof d, m[i].percent ? "%+.1f" : "%+.0f", m[i].now - m[i].before);
		sbuf_addf(out, "| %s | %s | %s | %s |\n", labels[i], a, b, d);
	}
}

static void quality_lines(const struct measure *m, struct sbuf *out)
{
	char d0[32], d1[32], d2[32];
	if (!m[M_PASSED].have_now) {
		sbuf_adds(out, "  tests     not measured\n");
	} else {
		delta_text(&m[M_PASSED], d0, sizeof d0);
		delta_text(&m[M_FAILED], d1, sizeof d1);
		delta_text(&m[M_SKIPPED], d2, sizeof d2);
		sbuf_addf(out, "  tests     %.0f passed%s, %.0f failed%s, %.0f skipped%s\n", m[M_PASSED].now, d0,
			  m[M_FAILED].now, d1, m[M_SKIPPED].now, d2);
	}
	delta_text(&m[M_LINT], d0, sizeof d0);
	if (m[M_LINT].have_now)
		sbuf_addf(out, "  lint      %.0f finding%s%s\n", m[M_LINT].now, (long)m[M_LINT].now == 1 ? "" : "s", d0);
	else
		sbuf_adds(out, "  lint      not measured\n");
	delta_text(&m[M_COVERAGE], d0, sizeof d0);
	if (m[M_COVERAGE].have_now)
		sbuf_addf(out, "  coverage  %.1f%%%s\n", m[M_COVERAGE].now, d0);
	else
		sbuf_adds(out, "  coverage  not measured\n");
}

static void quality_text(const struct sw_release_notes *n, enum sw_notes_format f, struct sbuf *out)
{
	bool md = f == SW_NOTES_MARKDOWN;
	sbuf_adds(out, md ? "### Quality\n\n" : "quality");
	if (!n->now.run) {
		sbuf_addf(out, md ? "No green run proved %.7s.\n\n" : ": no green run proved %.7s\n\n", n->to);
		return;
	}
	if (n->before.run)
		sbuf_addf(out, md ? "Run #%ld against run #%ld, the previous release's.\n\n" : " (run #%ld against run #%ld)\n",
			  n->now.run, n->before.run);
	else
		sbuf_addf(out, md ? "Run #%ld; the previous release has no green run to compare with.\n\n"
				  : " (run #%ld; the previous release has no green run to compare with)\n",
			  n->now.run);
	struct measure m[M_COUNT];
	measures(n, m);
	if (md)
		quality_table(m, out);
	else
		quality_lines(m, out);
	sbuf_addc(out, '\n');
}

void sw_release_notes_text(const struct sw_release_notes *n, enum sw_notes_format f, struct sbuf *out)
{
	head_text(n, f, out);
	commits_text(n, f, out);
	quality_text(n, f, out);
}

static void issues_text(const struct sw_sentry_issue_list *l, enum sw_notes_format f, struct sbuf *out)
{
	bool md = f == SW_NOTES_MARKDOWN;
	for (size_t i = 0; i < l->n; i++) {
		const struct sw_sentry_issue *it = &l->items[i];
		sbuf_adds(out, md ? "- " : "    ");
		put(out, f, it->short_id);
		sbuf_adds(out, md ? " (" : "  ");
		put(out, f, it->level);
		sbuf_addf(out, md ? ", %lld events): " : ", %lld events  ", it->count);
		put_cut(out, f, it->title, TITLE_MAX);
		sbuf_addc(out, '\n');
	}
	if (l->more)
		sbuf_addf(out, md ? "- ... and more than %d\n" : "    ... and more than %d\n", SW_NOTES_ISSUES_MAX);
}

void sw_release_notes_sentry_text(const struct sw_release_notes *n, enum sw_notes_format f, struct sbuf *out)
{
	bool md = f == SW_NOTES_MARKDOWN;
	char at[32], since[32];
	sbuf_adds(out, md ? "### Sentry\n\n" : "sentry");
	if (!n->sentry_read || n->sentry_note) {
		sbuf_adds(out, md ? "" : ": ");
		put(out, f, n->sentry_read ? n->sentry_note : "not asked");
		sbuf_addc(out, '\n');
		return;
	}
	iso_of(n->deployed_ms, at);
	iso_of(n->previous_ms ? n->previous_ms : n->deployed_ms, since);
	sbuf_addf(out, md ? "New in this release (first seen since %s): %zu\n\n" : "\n  new in this release (first seen since %s): %zu\n",
		  at, n->new_issues.n);
	issues_text(&n->new_issues, f, out);
	sbuf_addf(out, md ? "\nResolved since %s (last seen since then): %zu\n\n" : "  resolved since %s (last seen since then): %zu\n",
		  since, n->resolved.n);
	issues_text(&n->resolved, f, out);
}
