/* The help screen, generated from the action table: it cannot disagree
 * with the keys. */
#include "view_help.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

static void draw_row(struct tui *t, struct tui_view *v, long a, int y, struct tui_rect r, bool sel)
{
	(void)v;
	(void)sel;
	tui_put(t, y, r.x + 2, 16, TUI_C_TITLE, tui_actions[a].keys);
	tui_put(t, y, r.x + 19, 14, TUI_C_NORMAL, tui_actions[a].name);
	tui_put(t, y, r.x + 34, r.w - 35, TUI_C_DIM, tui_actions[a].help);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)t;
	(void)v;
	return TUI_ACT_COUNT;
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	tui_box_title(t, r, "Help · keys (Esc or q closes)", true);
	tui_view_draw_rows(t, v, (struct tui_rect){r.y + 1, r.x, r.h - 1, r.w}, true);
}

static const struct tui_hint hints[] = {
	{TUI_ACT_DOWN, "scroll", true}, {TUI_ACT_PAGE_DOWN, "page", true}, {TUI_ACT_QUIT, "close", false},
	{0, NULL, false},
};

const struct tui_view_ops tui_help_ops = {
	.name = "help",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.draw_row = draw_row,
	.scroll_only = true,
};
