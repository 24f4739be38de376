/* The shared view layer: selection, scrolling and paging for every view. */
#include "view.h"

#include <limits.h>

#include "tui.h"

int tui_move_target(long cur, int delta, long last)
{
	long to = delta == INT_MIN ? 0 : delta == INT_MAX ? last : cur + delta;
	if (to > last)
		to = last;
	return to < 0 ? 0 : (int)to;
}

static long rows_of(struct tui *t, struct tui_view *v)
{
	return v->ops->nrows ? v->ops->nrows(t, v) : 0;
}

/* The selection within the rows, the top where the selection (or, for a
 * text, the last page) is in view. */
static void keep_in_view(struct tui_view *v, long n)
{
	if (v->ops->scroll_only) {
		long max = n > v->height ? n - v->height : 0;
		v->top = tui_move_target(v->top, 0, max);
		return;
	}
	v->selected = tui_move_target(v->selected, 0, n - 1);
	if (v->selected < v->top)
		v->top = v->selected;
	if (v->selected >= v->top + v->height)
		v->top = v->selected - v->height + 1;
}

void tui_view_draw_rows(struct tui *t, struct tui_view *v, struct tui_rect r, bool focus)
{
	long n = rows_of(t, v);
	v->rows = r;
	v->height = r.h > 0 ? r.h : 0;
	keep_in_view(v, n);
	for (int i = 0; i < v->height; i++) {
		long row = (long)v->top + i;
		tui_fill(r.y + i, r.x, r.w, TUI_C_NORMAL);
		if (row < n)
			v->ops->draw_row(t, v, row, r.y + i, r,
					 focus && !v->ops->scroll_only && row == v->selected);
	}
}

unsigned tui_view_move(struct tui *t, struct tui_view *v, int delta)
{
	long n = rows_of(t, v);
	int *at = v->ops->scroll_only ? &v->top : &v->selected;
	long last = v->ops->scroll_only ? (n > v->height ? n - v->height : 0) : n - 1;
	int to = tui_move_target(*at, delta, last);
	unsigned r = TUI_REDRAW_BODY | TUI_HANDLED;
	/* "To the last" is news even where the view is already: a log at its
	 * bottom follows its growth again. */
	if (to == *at && delta != INT_MAX)
		return r;
	*at = to;
	return v->ops->moved ? r | v->ops->moved(t, v) : r;
}

unsigned tui_view_page(struct tui *t, struct tui_view *v, int dir)
{
	int h = v->height > 1 ? v->height - 1 : 1;
	return tui_view_move(t, v, dir * h);
}

unsigned tui_view_click(struct tui *t, struct tui_view *v, int y)
{
	if (v->ops->scroll_only || y < v->rows.y || y >= v->rows.y + v->rows.h)
		return 0;
	long row = (long)v->top + (y - v->rows.y);
	if (row >= rows_of(t, v))
		return 0;
	return tui_view_move(t, v, (int)(row - v->selected)) | TUI_REDRAW_ALL;
}
