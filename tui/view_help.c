/* The help screen, generated from the action table: it cannot disagree
 * with the keys. */
#include "tui.h"

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	tui_box_title(t, r, "Help · keys (Esc or q closes)", true);
	v->height = r.h - 1;
	int max_top = TUI_ACT_COUNT > v->height ? TUI_ACT_COUNT - v->height : 0;
	if (v->top > max_top)
		v->top = max_top;
	for (int i = 0; i < v->height; i++) {
		int y = r.y + 1 + i, a = v->top + i;
		tui_fill(y, r.x, r.w, TUI_C_NORMAL);
		if (a >= TUI_ACT_COUNT)
			continue;
		tui_put(t, y, r.x + 2, 16, TUI_C_TITLE, tui_actions[a].keys);
		tui_put(t, y, r.x + 19, 14, TUI_C_NORMAL, tui_actions[a].name);
		tui_put(t, y, r.x + 34, r.w - 35, TUI_C_DIM, tui_actions[a].help);
	}
}

static unsigned move_by(struct tui *t, struct tui_view *v, int delta)
{
	(void)t;
	long top = delta == INT_MIN ? 0 : delta == INT_MAX ? TUI_ACT_COUNT : (long)v->top + delta;
	v->top = top < 0 ? 0 : (int)top;
	return TUI_REDRAW_BODY | TUI_HANDLED;
}

static const struct tui_hint hints[] = {
	{TUI_ACT_DOWN, "scroll", true}, {TUI_ACT_PAGE_DOWN, "page", true}, {TUI_ACT_QUIT, "close", false},
	{0, NULL, false},
};

const struct tui_view_ops tui_help_ops = {
	.name = "help",
	.hints = hints,
	.draw = draw,
	.move_by = move_by,
};
