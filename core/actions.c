/* A GitHub Actions workflow as a whole: its triggers, its jobs in needs
 * order (slipway runs stages one after another), and the slipway.json
 * they make. */
#include "slipway/actions.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "actions_internal.h"
#include "slipway/json_print.h"
#include "slipway/suggest.h"

__attribute__((format(printf, 3, 0)))
static char *note_text(const struct tr *tr, int line, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
	char *full = line > 0 ? xasprintf("%s:%d: %s", tr->source, line, msg) : xasprintf("%s: %s", tr->source, msg);
	free(msg);
	return full;
}

size_t tr_note(struct tr *tr, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *full = note_text(tr, line, fmt, ap);
	va_end(ap);
	size_t i = 0;
	while (i < tr->notes->len && strcmp(tr->notes->items[i], full))
		i++;
	if (i == tr->notes->len)
		strlist_add(tr->notes, full);
	free(full);
	return i;
}

void tr_note_replace(struct tr *tr, size_t index, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *full = note_text(tr, line, fmt, ap);
	va_end(ap);
	free(tr->notes->items[index]);
	tr->notes->items[index] = full;
}

static int fail(char **err, const char *source, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char **err, const char *source, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	*err = line > 0 ? xasprintf("%s:%d: %s", source, line, msg) : xasprintf("%s: %s", source, msg);
	free(msg);
	return -1;
}

void python_note_free(struct python_note *pn)
{
	strlist_free(&pn->versions);
	free(pn->text);
	free(pn->rest);
	memset(pn, 0, sizeof *pn);
}

void tr_integration(struct tr *tr, const struct sw_branchset *where)
{
	if (tr->integration || !where->limited || where->globs.len != 1 || strpbrk(where->globs.items[0], "*?["))
		return;
	tr->integration = xstrdup(where->globs.items[0]);
}

/* ---- on: ---- */

struct triggers {
	const struct sw_ynode *push;	/* on.push's value, when push is one */
	bool pull_request;
	struct strlist others;
};

static void add_trigger(struct triggers *t, const char *name, const struct sw_ynode *value)
{
	if (!strcmp(name, "push"))
		t->push = value;
	else if (!strcmp(name, "pull_request") || !strcmp(name, "pull_request_target"))
		t->pull_request = true;
	else
		strlist_add(&t->others, name);
}

static void read_triggers(const struct sw_ynode *on, struct triggers *t)
{
	static char nothing[] = "";
	static const struct sw_ynode empty = {.kind = SW_YAML_SCALAR, .text = nothing};
	if (on->kind == SW_YAML_SCALAR)
		add_trigger(t, on->text, &empty);
	for (size_t i = 0; on->kind == SW_YAML_SEQUENCE && i < on->n; i++)
		if (sw_yaml_text(sw_yaml_item(on, i)))
			add_trigger(t, sw_yaml_text(sw_yaml_item(on, i)), &empty);
	for (size_t i = 0; on->kind == SW_YAML_MAPPING && i < on->n; i++)
		add_trigger(t, sw_yaml_key(on, i), sw_yaml_value(on, i));
}

char *tr_joined(const struct strlist *l)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (size_t i = 0; i < l->len; i++)
		sbuf_addf(&sb, "%s%s", i ? ", " : "", l->items[i]);
	return sbuf_detach(&sb);
}

/* on.push.branches limits every stage, unless pull requests also run the
 * workflow: those come from any branch. */
static void push_branches(struct tr *tr, const struct sw_ynode *list, bool pull_request)
{
	struct sw_branchset b = {0};
	bool negated = false, any = false, empty = false;
	for (size_t i = 0; list->kind == SW_YAML_SEQUENCE && i < list->n; i++) {
		const char *g = sw_yaml_text(sw_yaml_item(list, i));
		negated |= g && g[0] == '!';
		any |= g && (!strcmp(g, "*") || !strcmp(g, "**"));
		empty |= g && !*g;
		if (g && *g)
			sw_branchset_add(&b, g);
	}
	if (list->kind == SW_YAML_SCALAR && *list->text)
		sw_branchset_add(&b, list->text);
	/* An unquoted `!name` is a YAML tag on an empty value, not a negation. */
	if (empty || (list->kind == SW_YAML_SCALAR && !*list->text))
		tr_note(tr, list->line, "on.push.branches: an empty pattern is left out (quote a '!' pattern: "
			"unquoted, YAML reads it as a tag)");
	if (!b.globs.len) {
		sw_branchset_free(&b);
		return;
	}
	char *text = sw_branchset_text(&b);
	if (pull_request)
		tr_note(tr, list->line, "on.push.branches (%s) not applied: pull_request runs the workflow "
			"for other branches too", text);
	else if (negated)
		tr_note(tr, list->line, "on.push.branches: patterns with '!' are not translated; "
			"the stages are not limited to %s", text);
	else if (!any) {
		tr_note(tr, list->line, "on.push.branches: every stage is limited to %s", text);
		sw_branchset_copy(&tr->on, &b);
	}
	free(text);
	sw_branchset_free(&b);
}

static void read_on(struct tr *tr)
{
	const struct sw_ynode *on = sw_yaml_get(tr->root, "on");
	if (!on) {
		tr_note(tr, tr->root->line, "no on: (the workflow never runs on GitHub); translated anyway");
		return;
	}
	struct triggers t = {0};
	read_triggers(on, &t);
	if (t.others.len && !t.push && !t.pull_request) {
		char *names = tr_joined(&t.others);
		tr_note(tr, on->line, "on: %s: slipway runs a branch when you start a run (`slipway run BRANCH`)",
			names);
		free(names);
	}
	const struct sw_ynode *branches = sw_yaml_get(t.push, "branches");
	if (branches)
		push_branches(tr, branches, t.pull_request);
	if (sw_yaml_get(t.push, "branches-ignore"))
		tr_note(tr, sw_yaml_get(t.push, "branches-ignore")->line,
			"on.push.branches-ignore is not translated: the stages run on those branches too");
	if (sw_yaml_get(t.push, "tags") && !branches && !t.pull_request)
		tr_note(tr, sw_yaml_get(t.push, "tags")->line,
			"on.push.tags: slipway runs branches, not tags; the stages are not limited");
	strlist_free(&t.others);
}

void tr_note_keys(struct tr *tr, const struct sw_ynode *map, const char *const *known, const char *what)
{
	struct strlist other = {0};
	for (size_t i = 0; i < map->n; i++) {
		bool found = false;
		for (const char *const *k = known; *k && !found; k++)
			found = !strcmp(*k, sw_yaml_key(map, i));
		if (!found)
			strlist_add(&other, sw_yaml_key(map, i));
	}
	if (other.len) {
		char *names = tr_joined(&other);
		tr_note(tr, map->line, "%s: %s: not translated", what, names);
		free(names);
	}
	strlist_free(&other);
}

/* ---- jobs in needs order ---- */

struct jobref {
	const char *id;
	int line;
	const struct sw_ynode *node;
	size_t *needs;
	size_t nneeds;
	bool placed;
	struct sw_branchset where;	/* for the jobs that need this one */
};

static long find_job(const struct jobref *jobs, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(jobs[i].id, id))
			return (long)i;
	return -1;
}

static int unknown_need(struct tr *tr, const struct jobref *jobs, size_t n, size_t i,
			const struct sw_ynode *item, char **err)
{
	const char **ids = xcalloc(n + 1, sizeof *ids);
	for (size_t k = 0; k < n; k++)
		ids[k] = jobs[k].id;
	const char *best = sw_suggest(item->text, ids, n);
	free(ids);
	if (best)
		return fail(err, tr->source, item->line, "job %s needs \"%s\": no such job (did you mean \"%s\"?)",
			    jobs[i].id, item->text, best);
	return fail(err, tr->source, item->line, "job %s needs \"%s\": no such job", jobs[i].id, item->text);
}

static int read_needs(struct tr *tr, struct jobref *jobs, size_t n, size_t i, char **err)
{
	const struct sw_ynode *needs = sw_yaml_get(jobs[i].node, "needs");
	if (!needs)
		return 0;
	bool one = needs->kind == SW_YAML_SCALAR;
	size_t count = one ? 1 : needs->kind == SW_YAML_SEQUENCE ? needs->n : 0;
	if (!one && needs->kind != SW_YAML_SEQUENCE)
		return fail(err, tr->source, needs->line, "job %s: needs: expected a job name or a list of them",
			    jobs[i].id);
	jobs[i].needs = xcalloc(count, sizeof *jobs[i].needs);
	for (size_t k = 0; k < count; k++) {
		const struct sw_ynode *item = one ? needs : sw_yaml_item(needs, k);
		long j = item->kind == SW_YAML_SCALAR ? find_job(jobs, n, item->text) : -1;
		if (item->kind != SW_YAML_SCALAR)
			return fail(err, tr->source, item->line, "job %s: needs: expected a job name", jobs[i].id);
		if (j < 0)
			return unknown_need(tr, jobs, n, i, item, err);
		jobs[i].needs[jobs[i].nneeds++] = (size_t)j;
	}
	return 0;
}

static bool ready(const struct jobref *jobs, size_t i)
{
	for (size_t k = 0; k < jobs[i].nneeds; k++)
		if (!jobs[jobs[i].needs[k]].placed)
			return false;
	return !jobs[i].placed;
}

/* Every job left waits on another left: walk their needs to a repeat. */
static int cycle_error(struct tr *tr, const struct jobref *jobs, size_t n, char **err)
{
	size_t cur = 0;
	while (jobs[cur].placed)
		cur++;
	bool *seen = xcalloc(n, sizeof *seen);
	while (!seen[cur]) {
		seen[cur] = true;
		for (size_t k = 0; k < jobs[cur].nneeds; k++)
			if (!jobs[jobs[cur].needs[k]].placed) {
				cur = jobs[cur].needs[k];
				break;
			}
	}
	struct sbuf path;
	sbuf_init(&path);
	size_t at = cur;
	do {
		sbuf_addf(&path, "%s -> ", jobs[at].id);
		for (size_t k = 0; k < jobs[at].nneeds; k++)
			if (!jobs[jobs[at].needs[k]].placed) {
				at = jobs[at].needs[k];
				break;
			}
	} while (at != cur);
	sbuf_adds(&path, jobs[cur].id);
	const struct sw_ynode *needs = sw_yaml_get(jobs[cur].node, "needs");
	int r = fail(err, tr->source, needs->line, "jobs need each other in a cycle: %s (each needs the next)",
		     path.buf);
	sbuf_free(&path);
	free(seen);
	return r;
}

/* A topological order that keeps the file's order where needs allow. */
static int order_jobs(struct tr *tr, struct jobref *jobs, size_t n, size_t *order, char **err)
{
	for (size_t placed = 0; placed < n; placed++) {
		size_t i = 0;
		while (i < n && !ready(jobs, i))
			i++;
		if (i == n)
			return cycle_error(tr, jobs, n, err);
		jobs[i].placed = true;
		order[placed] = i;
	}
	for (size_t i = 0; i < n; i++)
		jobs[i].placed = false;
	return 0;
}

void tr_note_cond(struct tr *tr, int line, const char *who, const struct sw_cond *c)
{
	if (!c->unchecked.len)
		return;
	char *parts = tr_joined(&c->unchecked);
	char *where = sw_branchset_text(&c->where);
	if (c->where.limited)
		tr_note(tr, line, "%s: if: limited to %s; not checked: %s", who, where, parts);
	else
		tr_note(tr, line, "%s: if: %s is not translated: it runs whether that holds or not", who, parts);
	free(where);
	free(parts);
}

/* Where a job can run: what on: allows, its if:, and (unless it runs
 * always) where every job it needs can run, since GitHub skips a job
 * whose needs were skipped.  false: it is left out (noted). */
static bool job_where(struct tr *tr, struct jobref *jobs, size_t i, bool *always)
{
	struct jobref *j = &jobs[i];
	const struct sw_ynode *cond = sw_yaml_get(j->node, "if");
	struct sw_cond c = {0};
	char *who = xasprintf("job %s", j->id);
	struct sw_expr_ctx ctx = {0};
	sw_cond_parse(sw_yaml_text(cond) ? sw_yaml_text(cond) : "", &ctx, &c);
	tr_note_cond(tr, cond ? cond->line : 0, who, &c);
	*always = c.always;
	/* Where patterns cannot be intersected, the job's own are kept. */
	sw_branchset_copy(&j->where, &c.where);
	int unresolved = sw_branchset_narrow(&j->where, &tr->on);
	for (size_t k = 0; k < j->nneeds && !c.always; k++)
		unresolved += sw_branchset_narrow(&j->where, &jobs[j->needs[k]].where);
	if (unresolved)
		tr_note(tr, cond ? cond->line : j->line, "%s: its branches and those of on: or of its needs could "
			"not be intersected; its own are kept", who);
	bool keep = !c.after_failure && !(j->where.limited && !j->where.globs.len);
	if (c.after_failure)
		tr_note(tr, cond->line, "%s left out: it runs only after a failure (if: %s), and a slipway "
			"stage cannot (an \"always\" stage runs either way)", who, cond->text);
	else if (!keep)
		tr_note(tr, cond ? cond->line : j->line, "%s left out: it never runs on a branch", who);
	sw_cond_free(&c);
	free(who);
	return keep;
}

static int translate_jobs(struct tr *tr, const struct sw_ynode *jobs_node, char **err)
{
	size_t n = jobs_node->n;
	struct jobref *jobs = xcalloc(n, sizeof *jobs);
	size_t *order = xcalloc(n, sizeof *order);
	int r = 0;
	for (size_t i = 0; i < n && !r; i++) {
		jobs[i].id = sw_yaml_key(jobs_node, i);
		jobs[i].line = sw_yaml_key_line(jobs_node, i);
		jobs[i].node = sw_yaml_value(jobs_node, i);
		if (jobs[i].node->kind != SW_YAML_MAPPING)
			r = fail(err, tr->source, jobs[i].line, "job %s: expected a mapping", jobs[i].id);
	}
	for (size_t i = 0; i < n && !r; i++)
		r = read_needs(tr, jobs, n, i, err);
	if (!r)
		r = order_jobs(tr, jobs, n, order, err);
	for (size_t k = 0; k < n && !r; k++) {
		struct jobref *j = &jobs[order[k]];
		bool always = false;
		if (job_where(tr, jobs, order[k], &always))
			r = job_translate(tr, j->id, j->line, j->node, &j->where, always, err);
	}
	for (size_t i = 0; i < n; i++) {
		free(jobs[i].needs);
		sw_branchset_free(&jobs[i].where);
	}
	free(jobs);
	free(order);
	return r;
}

/* ---- the whole ---- */

static int check_root(struct tr *tr, const struct sw_ynode **jobs, char **err)
{
	if (!tr->root)
		return fail(err, tr->source, 0, "empty: no workflow in it");
	if (tr->root->kind != SW_YAML_MAPPING)
		return fail(err, tr->source, tr->root->line, "expected a workflow (a mapping with jobs:)");
	*jobs = sw_yaml_get(tr->root, "jobs");
	if (!*jobs)
		return fail(err, tr->source, tr->root->line, "no jobs: in the workflow");
	if ((*jobs)->kind != SW_YAML_MAPPING || !(*jobs)->n)
		return fail(err, tr->source, (*jobs)->line, "jobs: expected a mapping of jobs");
	static const char *const known[] = {"name", "run-name", "on", "env", "jobs", "defaults", "permissions", NULL};
	tr_note_keys(tr, tr->root, known, "workflow");
	return 0;
}

static void final_notes(struct tr *tr, size_t njobs)
{
	if (tr->secrets.len) {
		char *names = tr_joined(&tr->secrets);
		tr_note(tr, 0, "secrets %s: give slipway their values, in the environment of `slipway run` or as "
			"KEY=VALUE lines in ~/.config/slipway/secrets (mode 0600)", names);
		free(names);
	}
	if (njobs > 1)
		tr_note(tr, 0, "the jobs' stages run one after another, in needs order, and a failed stage "
			"stops the ones after it (GitHub runs jobs that do not need each other side by side)");
	if (tr->multiline)
		tr_note(tr, 0, "stages run with /bin/sh -c where steps ran with bash -e: steps of several lines "
			"start with `set -e`; one that needs bash must call it");
}

static char *output(struct tr *tr)
{
	cJSON *top = cJSON_CreateObject();
	cJSON_AddNumberToObject(top, "version", 1);
	cJSON_AddStringToObject(top, "main", "main");
	cJSON_AddStringToObject(top, "integration", tr->integration ? tr->integration : "development");
	cJSON *secrets = cJSON_AddArrayToObject(top, "secrets");
	for (size_t i = 0; i < tr->secrets.len; i++)
		cJSON_AddItemToArray(secrets, cJSON_CreateString(tr->secrets.items[i]));
	cJSON_AddItemToObject(top, "stages", tr->stages);
	tr->stages = NULL;
	char *text = sw_json_print(top, 2);
	cJSON_Delete(top);
	return text;
}

int sw_actions_translate(const char *yaml, size_t len, const char *source, char **json_out,
			 struct strlist *notes, char **err)
{
	*json_out = NULL;
	*err = NULL;
	struct sw_ydoc doc;
	if (sw_yaml_parse(&doc, yaml, len, source, err)) {
		sw_yaml_free(&doc);
		return -1;
	}
	struct tr tr = {.source = source, .notes = notes, .root = doc.root, .stages = cJSON_CreateArray()};
	const struct sw_ynode *jobs = NULL;
	int r = check_root(&tr, &jobs, err);
	if (!r)
		read_on(&tr);
	if (!r)
		r = translate_jobs(&tr, jobs, err);
	if (!r && !cJSON_GetArraySize(tr.stages))
		r = fail(err, source, 0, "nothing to run: no step became a stage (the notes say why)");
	if (!r) {
		final_notes(&tr, jobs->n);
		*json_out = output(&tr);
	}
	cJSON_Delete(tr.stages);
	sw_branchset_free(&tr.on);
	strlist_free(&tr.secrets);
	strlist_free(&tr.names);
	python_note_free(&tr.python);
	free(tr.integration);
	sw_yaml_free(&doc);
	return r;
}

/* ---- finding the workflows ---- */

static bool is_workflow_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && ((n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml")));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sw_actions_workflows(const char *dir, struct strlist *out)
{
	char *path = xasprintf("%s/.github/workflows", dir);
	DIR *d = opendir(path);
	free(path);
	if (!d)
		return -1;
	struct strlist names = {0};
	struct dirent *de;
	while ((de = readdir(d)))
		if (is_workflow_name(de->d_name))
			strlist_add(&names, de->d_name);
	closedir(d);
	if (names.len > 1)
		qsort(names.items, names.len, sizeof *names.items, cmp_str);
	for (size_t i = 0; i < names.len; i++)
		strlist_addf(out, ".github/workflows/%s", names.items[i]);
	strlist_free(&names);
	return 0;
}
