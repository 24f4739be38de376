/* The History view: past runs and the merges into main, newest first;
 * Enter shows a run (a merge: the run that proved it) in the Pipeline
 * panel (and from there its log and quality). */
#include "view_history.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slipway/merge.h"
#include "tui.h"
#include "view_pipeline.h"

/* A row is a run or a merge, interleaved by time. */
struct history_row {
	bool merge;
	size_t i;		/* into runs or merges */
};

struct history {
	struct sw_run_record *runs;
	size_t n;
	struct sw_merge_record *merges;
	size_t nmerges;
	struct history_row *rows;	/* n + nmerges */
	unsigned generation;
	char *branch;		/* NULL: every branch */
	int status_w;		/* the status column: a partial run's "passed (lint only)" widens it */
};

/* Marked "merge" where a run has its id, in the run columns. */
static void draw_merge(struct tui *t, const struct history *h, const struct sw_merge_record *m, int y,
		       struct tui_rect r, enum tui_color base, bool sel)
{
	char buf[96], age[16] = "", proof[24] = "forced";
	int x = r.x + 3;
	snprintf(buf, sizeof buf, "merge  into %-*.40s", h->status_w - 5, m->main);
	x += tui_put(t, y, x, 8 + h->status_w, base, buf) + 1;
	tui_put(t, y, x, 22, base, m->branch);
	x = r.x + 33 + h->status_w;
	if (m->at_ms)
		sw_format_age((time_t)(m->at_ms / 1000), age, sizeof age);
	if (m->run)
		snprintf(proof, sizeof proof, "run #%ld", m->run);
	if (m->via == SW_MERGE_VIA_COMMIT)
		snprintf(proof, sizeof proof, "merge commit, run #%ld", m->run);
	if (m->via == SW_MERGE_VIA_PULL_REQUEST)
		snprintf(proof, sizeof proof, "PR #%ld, run #%ld", m->pull_request, m->run);
	if (m->failed)
		snprintf(buf, sizeof buf, "%.7s %4s FAILED: %s stayed at %.7s (%s) ", m->to, age, m->main, m->from, proof);
	else
		snprintf(buf, sizeof buf, "%.7s %4s from %.7s, %s, %s%s ", m->to, age, m->from, proof,
			 m->pushed ? "pushed to " : "not pushed", m->pushed && m->remote ? m->remote : "");
	x += tui_put(t, y, x, r.x + r.w - x, base, buf);
	tui_put(t, y, x, r.x + r.w - x, sel ? base : TUI_C_DIM, m->who ? m->who : "");
}

static void draw_row(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool sel)
{
	struct history *h = v->data;
	enum tui_color base = sel ? TUI_C_SELECTED : TUI_C_NORMAL;
	tui_fill(y, r.x, r.w, base);
	if (sel)
		tui_mark_selected(t, y, r.x, true);
	if (h->rows[row].merge) {
		draw_merge(t, h, &h->merges[h->rows[row].i], y, r, base, sel);
		return;
	}
	const struct sw_run_record *rec = &h->runs[h->rows[row].i];
	char buf[64], age[16] = "", dur[32] = "";
	int x = r.x + 1;
	tui_put(t, y, x, 1, sel ? base : tui_run_color(rec->status), tui_run_glyph(t, rec->status));
	x += 2;
	int sw = ((struct history *)v->data)->status_w;
	snprintf(buf, sizeof buf, "#%-5ld %-*.48s", rec->id, sw, sw_run_status_text(rec).text);
	x += tui_put(t, y, x, 8 + sw, base, buf) + 1;
	x += tui_put(t, y, x, 22, base, rec->branch ? rec->branch : "?");
	x = r.x + 33 + sw;
	if (rec->created_ms)
		sw_format_age((time_t)(rec->created_ms / 1000), age, sizeof age);
	if (rec->started_ms && rec->finished_ms)
		sw_format_duration(rec->finished_ms - rec->started_ms, dur, sizeof dur);
	snprintf(buf, sizeof buf, "%.7s %4s %7s ", rec->commit, age, dur);
	x += tui_put(t, y, x, r.x + r.w - x, base, buf);
	tui_put(t, y, x, r.x + r.w - x, sel ? base : TUI_C_DIM, rec->subject ? rec->subject : "");
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	struct history *h = v->data;
	char title[128], merges[32] = "";
	if (h && h->nmerges)
		snprintf(merges, sizeof merges, " · %zu merge%s", h->nmerges, h->nmerges == 1 ? "" : "s");
	/* An overlay, or the tile a click focused (large layouts). */
	bool focus = tui_panel_current(t, v);
	snprintf(title, sizeof title, "History%s%s · %zu runs%s%s", h && h->branch ? " of " : " of all branches",
		 h && h->branch ? h->branch : "", h ? h->n : 0, merges, focus ? " · Enter shows one" : "");
	tui_box_title(t, r, title, focus);
	tui_view_draw_rows(t, v, (struct tui_rect){r.y + 1, r.x, r.h - 1, r.w}, focus);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct history *h = v->data;
	return h ? (long)(h->n + h->nmerges) : 0;
}

static long run_to_show(struct tui *t, const struct history *h, size_t row)
{
	if (!h->rows[row].merge)
		return h->runs[h->rows[row].i].id;
	const struct sw_merge_record *m = &h->merges[h->rows[row].i];
	if (!m->run)
		tui_set_status(t, true, "merge of %s@%.7s was forced: no run proves it", m->branch, m->to);
	return m->run;
}

static unsigned enter(struct tui *t, struct tui_view *v)
{
	struct history *h = v->data;
	if (!h || (size_t)v->selected >= h->n + h->nmerges)
		return TUI_HANDLED;
	long id = run_to_show(t, h, (size_t)v->selected);
	if (!id)
		return TUI_REDRAW_STATUS;
	t->overlay = NULL;
	t->focus = &t->views[TUI_V_PIPELINE];
	tui_pipeline_pin(t, id);
	tui_set_status(t, false, "showing run %ld (R returns to the selected branch's)", id);
	v->ops->close(t, v);
	return TUI_REDRAW_ALL;
}

static void close_history(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct history *h = v->data;
	if (!h)
		return;
	sw_run_records_free(h->runs, h->n);
	sw_merge_records_free(h->merges, h->nmerges);
	free(h->rows);
	free(h->branch);
	free(h);
	v->data = NULL;
}

/* Newest first, both lists being so: a merge goes above the runs that
 * were created before it. */
static void interleave(struct history *h)
{
	size_t a = 0, b = 0, k = 0;
	h->rows = xcalloc(h->n + h->nmerges + 1, sizeof *h->rows);
	while (a < h->n || b < h->nmerges) {
		bool merge = b < h->nmerges && (a == h->n || h->merges[b].at_ms >= h->runs[a].created_ms);
		h->rows[k++] = (struct history_row){merge, merge ? b++ : a++};
	}
}

static void reload(struct tui *t, const char *branch)
{
	close_history(t, &t->views[TUI_V_HISTORY]);
	struct history *h = xcalloc(1, sizeof *h);
	h->branch = xstrdup_null(branch);
	h->n = sw_store_history(t->store, branch, -1, &h->runs, NULL);
	/* A merge record that cannot be read is left out; `slipway history
	 * --merges` names it. */
	struct strlist unreadable = {0};
	h->nmerges = sw_merge_history(t->store, branch, -1, &h->merges, &unreadable);
	strlist_free(&unreadable);
	interleave(h);
	h->status_w = 11;
	for (size_t i = 0; i < h->n; i++) {
		int len = (int)strlen(sw_run_status_text(&h->runs[i]).text);
		if (len > h->status_w)
			h->status_w = len > 28 ? 28 : len;
	}
	h->generation = t->generation;
	t->views[TUI_V_HISTORY].data = h;
}

static const char *selected_name(struct tui *t)
{
	struct tui_branch_row *b = tui_selected_branch(t);
	return b ? b->b.name : NULL;
}

/* Tiled: the selected branch's runs, rebuilt when runs or the branch change. */
void tui_history_fresh(struct tui *t)
{
	struct history *h = t->views[TUI_V_HISTORY].data;
	const char *branch = selected_name(t);
	bool same = h && h->generation == t->generation &&
		    ((!h->branch && !branch) || (h->branch && branch && !strcmp(h->branch, branch)));
	if (!same)
		reload(t, branch);
}

void tui_history_open(struct tui *t, bool all)
{
	reload(t, all ? NULL : selected_name(t));
	t->views[TUI_V_HISTORY].selected = t->views[TUI_V_HISTORY].top = 0;
	t->overlay = &t->views[TUI_V_HISTORY];
}

static const struct tui_hint hints[] = {
	{TUI_ACT_DOWN, "move", true}, {TUI_ACT_ENTER, "show", false}, {TUI_ACT_QUIT, "back", false},
	{0, NULL, false},
};

const struct tui_view_ops tui_history_ops = {
	.name = "history",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.draw_row = draw_row,
	.enter = enter,
	.close = close_history,
};
