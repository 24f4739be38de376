/* The Branches panel: local and remote-tracking branches with ahead/behind,
 * last commit and the status of the last run on that exact head. */
#include "view_branches.h"

#include <curses.h>
#include <stdio.h>

#include "tui.h"

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

static void draw_row(struct tui *t, struct tui_view *v, long k, int y, struct tui_rect r, bool sel)
{
	(void)v;
	const struct tui_branch_row *row = tui_shown_branch(t, (size_t)k);
	const struct sw_branch *b = &row->b;
	enum tui_color base = sel ? TUI_C_SELECTED : TUI_C_NORMAL;
	tui_fill(y, r.x, r.w, base);
	if (sel)
		tui_mark_selected(t, y, r.x, true);
	int x = r.x + 1;
	const char *glyph = row->has_run ? tui_run_glyph(t, row->run_status) : " ";
	tui_put(t, y, x, 1, row->has_run && !sel ? tui_run_color(row->run_status) : base, glyph);
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

static void close_branches(struct tui *t, struct tui_view *v)
{
	(void)v;
	tui_branches_close(t);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)v;
	return (long)tui_branches(t)->nshown;
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	const struct tui_branches *l = tui_branches(t);
	char title[240];
	snprintf(title, sizeof title, "Branches %zu%s%s%s%s%.160s", l->nshown, l->filter ? " · filter: " : "",
		 l->filter ? l->filter : "", t->have_cfg ? "" : " · no slipway.json: run `slipway init`",
		 l->watch ? " · " : "", l->watch ? l->watch : "");
	tui_box_title(t, r, title, t->focus == v);
	tui_view_draw_rows(t, v, (struct tui_rect){r.y + 1, r.x, r.h - 1, r.w}, t->focus == v);
}

/* The Pipeline follows the selection. */
static unsigned moved(struct tui *t, struct tui_view *v)
{
	tui_select_branch(t, v->selected);
	return TUI_REDRAW_BODY;
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
	/* Last: at 80 columns it is the one that does not fit, quit stays. */
	{TUI_ACT_QUIT, "quit", false}, {TUI_ACT_MERGE, "merge", false}, {0, NULL, false},
};

const struct tui_view_ops tui_branches_ops = {
	.name = "branches",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.draw_row = draw_row,
	.moved = moved,
	.enter = enter,
	.close = close_branches,
};
