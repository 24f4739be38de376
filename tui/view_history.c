/* The History view: past runs, newest first; Enter shows one in the
 * Pipeline panel (and from there its log and quality). */
#include "view_history.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "view_pipeline.h"

struct history {
	struct sw_run_record *runs;
	size_t n;
	unsigned generation;
	char *branch;		/* NULL: every branch */
	int status_w;		/* the status column: a partial run's "passed (lint only)" widens it */
};

static void draw_row(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool sel)
{
	const struct sw_run_record *rec = &((struct history *)v->data)->runs[row];
	enum tui_color base = sel ? TUI_C_SELECTED : TUI_C_NORMAL;
	tui_fill(y, r.x, r.w, base);
	if (sel)
		tui_mark_selected(t, y, r.x, true);
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
	char title[64];
	snprintf(title, sizeof title, "History%s%s · %zu runs%s", h && h->branch ? " of " : " of all branches",
		 h && h->branch ? h->branch : "", h ? h->n : 0, t->overlay == v ? " · Enter shows one" : "");
	tui_box_title(t, r, title, t->overlay == v);
	tui_view_draw_rows(t, v, (struct tui_rect){r.y + 1, r.x, r.h - 1, r.w}, t->overlay == v);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct history *h = v->data;
	return h ? (long)h->n : 0;
}

static unsigned enter(struct tui *t, struct tui_view *v)
{
	struct history *h = v->data;
	if (!h || (size_t)v->selected >= h->n)
		return TUI_HANDLED;
	long id = h->runs[v->selected].id;
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
	free(h->branch);
	free(h);
	v->data = NULL;
}

static void reload(struct tui *t, const char *branch)
{
	close_history(t, &t->views[TUI_V_HISTORY]);
	struct history *h = xcalloc(1, sizeof *h);
	h->branch = xstrdup_null(branch);
	h->n = sw_store_history(t->store, branch, -1, &h->runs, NULL);
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
