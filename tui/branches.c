/* The branch list behind the Branches panel, its filter and selection. */
#include "branches.h"

#include <stdlib.h>
#include <string.h>

#include "slipway/watcher.h"
#include "tui.h"
#include "view_pipeline.h"

static void load_last_run(struct tui *t, struct tui_branch_row *row)
{
	row->run_id = sw_store_last_for_commit(t->store, row->b.head);
	row->has_run = false;
	struct sw_run_record rec;
	char *err = NULL;
	if (!row->run_id || sw_store_load(t->store, row->run_id, &rec, &err)) {
		free(err);
		return;
	}
	row->has_run = true;
	row->run_status = rec.status;
	sw_run_record_free(&rec);
}

static void free_rows(struct tui_branch_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].b.name);
		free(rows[i].b.upstream);
		free(rows[i].b.subject);
		free(rows[i].b.author);
	}
	free(rows);
}

static int cmp_row_name(const void *a, const void *b)
{
	const struct tui_branch_row *x = *(const struct tui_branch_row *const *)a;
	const struct tui_branch_row *y = *(const struct tui_branch_row *const *)b;
	return strcmp(x->b.name, y->b.name);
}

/* Counts of branches whose head and main did not move are kept: a reload
 * after every run must not walk thousands of histories again. */
static void keep_counts(struct tui_branch_row *old, size_t nold, bool main_moved, struct tui_branch_row *rows,
			size_t n)
{
	if (main_moved || nold == 0)
		return;
	struct tui_branch_row **by_name = xcalloc(nold, sizeof *by_name);
	for (size_t i = 0; i < nold; i++)
		by_name[i] = &old[i];
	qsort(by_name, nold, sizeof *by_name, cmp_row_name);
	for (size_t i = 0; i < n; i++) {
		struct tui_branch_row key_row = {.b = {.name = rows[i].b.name}}, *key = &key_row;
		struct tui_branch_row **hit = bsearch(&key, by_name, nold, sizeof *by_name, cmp_row_name);
		struct sw_branch *o = hit ? &(*hit)->b : NULL, *b = &rows[i].b;
		if (!o || !o->counted || strcmp(o->head, b->head))
			continue;
		b->ahead = o->ahead;
		b->behind = o->behind;
		b->upstream_ahead = o->upstream_ahead;
		b->upstream_behind = o->upstream_behind;
		if (o->upstream && !b->upstream)
			b->upstream = xstrdup(o->upstream);
		b->counted = true;
	}
	free(by_name);
}

static struct tui_branches *list(struct tui *t)
{
	return t->views[TUI_V_BRANCHES].data;
}

const struct tui_branches *tui_branches(struct tui *t)
{
	return list(t);
}

void tui_branches_open(struct tui *t)
{
	t->views[TUI_V_BRANCHES].data = xcalloc(1, sizeof(struct tui_branches));
}

void tui_branches_close(struct tui *t)
{
	struct tui_branches *l = list(t);
	if (!l)
		return;
	free_rows(l->rows, l->n);
	free(l->shown);
	free(l->filter);
	free(l->watch);
	free(l);
	t->views[TUI_V_BRANCHES].data = NULL;
}

static void apply_filter(struct tui_branches *l)
{
	free(l->shown);
	l->shown = xcalloc(l->n + 1, sizeof *l->shown);
	l->nshown = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!l->filter || strstr(l->rows[i].b.name, l->filter))
			l->shown[l->nshown++] = i;
}

struct tui_branch_row *tui_shown_branch(struct tui *t, size_t k)
{
	struct tui_branches *l = list(t);
	return l && k < l->nshown ? &l->rows[l->shown[k]] : NULL;
}

struct tui_branch_row *tui_selected_branch(struct tui *t)
{
	int s = t->views[TUI_V_BRANCHES].selected;
	return s >= 0 ? tui_shown_branch(t, (size_t)s) : NULL;
}

/* Shown row of the branch named name, or -1. */
static int shown_row(struct tui *t, const char *name)
{
	struct tui_branches *l = list(t);
	for (size_t k = 0; name && k < l->nshown; k++)
		if (!strcmp(l->rows[l->shown[k]].b.name, name))
			return (int)k;
	return -1;
}

void tui_reload_branches(struct tui *t)
{
	struct tui_branches *l = list(t);
	struct tui_branch_row *sel = tui_selected_branch(t);
	char *keep = sel ? xstrdup(sel->b.name) : NULL;
	struct sw_branch *bs;
	size_t n;
	char *err = NULL;
	if (sw_repo_branches(t->repo, t->main_branch, t->integration, false, &bs, &n, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
		free(keep);
		return;
	}
	char old_main[41];
	memcpy(old_main, l->main_sha, sizeof old_main);
	if (sw_repo_resolve(t->repo, t->main_branch, l->main_sha, &err))
		l->main_sha[0] = '\0';
	free(err);
	struct tui_branch_row *rows = xcalloc(n + 1, sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		rows[i].b = bs[i];
		load_last_run(t, &rows[i]);
	}
	free(bs);
	keep_counts(l->rows, l->n, strcmp(old_main, l->main_sha) != 0, rows, n);
	free_rows(l->rows, l->n);
	l->rows = rows;
	l->n = n;
	/* A watcher's news comes with the runs it starts: read with them. */
	struct sw_watcher_status ws;
	free(l->watch);
	l->watch = NULL;
	if (sw_watcher_status(t->store, &ws) && ws.running)
		l->watch = xasprintf("watch: %s", ws.last ? ws.last : "running");
	sw_watcher_status_free(&ws);
	/* Names and subjects paint first; the counts fill in from the loop. */
	l->counted = 0;
	apply_filter(l);
	int k = shown_row(t, keep);
	if (k >= 0)
		t->views[TUI_V_BRANCHES].selected = k;
	free(keep);
}

bool tui_count_some(struct tui *t, int64_t budget_ms)
{
	struct tui_branches *l = list(t);
	int64_t end = sw_mono_ms() + budget_ms;
	for (; l->counted < l->n; l->counted++) {
		struct sw_branch *b = &l->rows[l->counted].b;
		if (b->counted)
			continue;
		sw_repo_count(t->repo, l->main_sha[0] ? l->main_sha : NULL, b);
		if (sw_mono_ms() >= end)
			break;
	}
	return l->counted < l->n;
}

bool tui_branches_all_counted(struct tui *t)
{
	return list(t)->counted >= list(t)->n;
}

bool tui_branches_running(struct tui *t)
{
	struct tui_branches *l = list(t);
	for (size_t i = 0; i < l->n; i++)
		if (l->rows[i].has_run && !sw_run_status_final(l->rows[i].run_status))
			return true;
	return false;
}

/* Branch glyphs of runs in progress: only those records are read again. */
void tui_branches_refresh_running(struct tui *t)
{
	struct tui_branches *l = list(t);
	for (size_t i = 0; i < l->n; i++)
		if (l->rows[i].has_run && !sw_run_status_final(l->rows[i].run_status))
			load_last_run(t, &l->rows[i]);
}

void tui_select_branch(struct tui *t, int k)
{
	t->views[TUI_V_BRANCHES].selected = k;
	tui_pipeline_pin(t, 0);
}

void tui_select_branch_named(struct tui *t, const char *name)
{
	int k = shown_row(t, name);
	if (k >= 0)
		t->views[TUI_V_BRANCHES].selected = k;
}

/* Moving the selection moves the Pipeline too. */
void tui_set_filter(struct tui *t, const char *filter)
{
	struct tui_branch_row *b = tui_selected_branch(t);
	char *was = b ? xstrdup(b->b.name) : NULL;
	struct tui_branches *l = list(t);
	free(l->filter);
	l->filter = filter && *filter ? xstrdup(filter) : NULL;
	apply_filter(l);
	int k = shown_row(t, was);
	if (k < 0)
		tui_select_branch(t, 0);
	else
		t->views[TUI_V_BRANCHES].selected = k;
	free(was);
}

void tui_select_checked_out(struct tui *t)
{
	char *head = sw_repo_current_branch(t->repo);
	struct tui_branches *l = list(t);
	for (size_t k = 0; head && k < l->nshown; k++) {
		const struct sw_branch *b = &l->rows[l->shown[k]].b;
		if (!b->remote && !strcmp(b->name, head))
			t->views[TUI_V_BRANCHES].selected = (int)k;
	}
	free(head);
}
