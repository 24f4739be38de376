/* The Branches panel: local and remote-tracking branches with ahead/behind,
 * last commit and the status of the last run on that exact head. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* "+2 -0" against main, then "↑1↓3" against the upstream when they differ. */
static void format_counts(struct tui *t, const struct sw_branch *b, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	if (!b->counted) {
		snprintf(out, n, "%s", tui_glyph(t, TUI_G_ELLIPSIS));
		return;
	}
	if (b->ahead >= 0)
		len = (size_t)snprintf(out, n, "+%d -%d", b->ahead, b->behind);
	if (b->upstream && (b->upstream_ahead > 0 || b->upstream_behind > 0) && len < n)
		snprintf(out + len, n - len, " %s%d%s%d", tui_glyph(t, TUI_G_UP), b->upstream_ahead,
			 tui_glyph(t, TUI_G_DOWN), b->upstream_behind);
}

static void draw_row(struct tui *t, const struct tui_branch_row *row, int y, struct tui_rect r, bool sel,
		     bool focus)
{
	const struct sw_branch *b = &row->b;
	enum tui_color base = sel && focus ? TUI_C_SELECTED : TUI_C_NORMAL;
	tui_fill(y, r.x, r.w, base);
	if (sel && focus)
		tui_mark_selected(t, y, r.x, true);
	int x = r.x + 1;
	const char *glyph = row->has_run ? tui_run_glyph(t, row->run_status) : " ";
	tui_put(t, y, x, 1, row->has_run && !(sel && focus) ? tui_run_color(row->run_status) : base, glyph);
	x += 2;
	int name_w = r.w >= 100 ? 30 : 22;
	tui_put(t, y, x, name_w, base, b->name);
	x += name_w + 1;
	char ab[48] = "", age[16];
	format_counts(t, b, ab, sizeof ab);
	tui_put(t, y, x, 12, base, ab);
	x += 13;
	sw_format_age(b->time, age, sizeof age);
	tui_put(t, y, x, 4, base, age);
	x += 5;
	int author_w = r.w >= 100 ? 16 : 8;
	tui_put(t, y, x, author_w, base, b->author);
	x += author_w + 1;
	tui_put(t, y, x, r.x + r.w - x, base, b->subject);
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	size_t *idx, n;
	tui_visible_branches(t, &idx, &n);
	char title[160];
	snprintf(title, sizeof title, "Branches %zu%s%s%s", n, t->filter ? " · filter: " : "",
		 t->filter ? t->filter : "", t->have_cfg ? "" : " · no slipway.json: run `slipway init`");
	tui_box_title(t, r, title, t->focus == v);
	v->height = r.h - 1;
	v->selected = clamp(v->selected, 0, n ? (int)n - 1 : 0);
	if (v->selected < v->top)
		v->top = v->selected;
	if (v->selected >= v->top + v->height)
		v->top = v->selected - v->height + 1;
	for (int i = 0; i < v->height; i++) {
		int y = r.y + 1 + i;
		size_t k = (size_t)(v->top + i);
		if (k < n)
			draw_row(t, &t->branches[idx[k]], y, r, (int)k == v->selected, t->focus == v);
		else
			tui_fill(y, r.x, r.w, TUI_C_NORMAL);
	}
	free(idx);
}

static unsigned move_by(struct tui *t, struct tui_view *v, int delta)
{
	size_t *idx, n;
	tui_visible_branches(t, &idx, &n);
	free(idx);
	int to = tui_move_target(v->selected, delta, (long)n - 1);
	if (to != v->selected)
		tui_select_branch(t, to);
	return TUI_REDRAW_BODY | TUI_HANDLED;
}

static unsigned enter(struct tui *t, struct tui_view *v)
{
	(void)v;
	t->focus = &t->views[TUI_V_PIPELINE];
	return TUI_REDRAW_ALL;
}

static const struct tui_hint hints[] = {
	{TUI_ACT_RUN, "run", false}, {TUI_ACT_ENTER, "open", false}, {TUI_ACT_FILTER, "filter", false},
	{TUI_ACT_HISTORY, "history", false}, {TUI_ACT_PROMPT, "command", false}, {TUI_ACT_HELP, "help", false},
	{TUI_ACT_QUIT, "quit", false}, {0, NULL, false},
};

const struct tui_view_ops tui_branches_ops = {
	.name = "branches",
	.hints = hints,
	.draw = draw,
	.move_by = move_by,
	.enter = enter,
};
