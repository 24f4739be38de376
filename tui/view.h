/* The shared view layer (as tig's view.c and htop's Panel): a view says how
 * many rows it has and how to draw one; selection, scrolling and paging of
 * every view are done here, once. */
#ifndef SLIPWAY_TUI_VIEW_H
#define SLIPWAY_TUI_VIEW_H

#include <stdbool.h>

struct tui;
struct tui_view;

struct tui_rect {
	int y, x, h, w;
};

/* One key of a view's hint line: the key bound to a (and to the action
 * after it, with pair: "j/k scroll"), and what it does there. */
struct tui_hint {
	int a;
	const char *word;
	bool pair;
};

/* A panel is this table and one line in panels.def. */
struct tui_view_ops {
	const char *name;
	const struct tui_hint *hints;	/* its keys for the hint line, ended by a NULL word */
	/* The whole view: its title and anything around its rows, which it
	 * leaves to tui_view_draw_rows. */
	void (*draw)(struct tui *t, struct tui_view *v, struct tui_rect r);
	long (*nrows)(struct tui *t, struct tui_view *v);
	void (*draw_row)(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool selected);
	/* After the selection (or, scroll-only, the top) moved. */
	unsigned (*moved)(struct tui *t, struct tui_view *v);
	unsigned (*enter)(struct tui *t, struct tui_view *v);
	void (*close)(struct tui *t, struct tui_view *v);
	bool scroll_only;	/* no selection: moving scrolls (a text, not a list) */
};

struct tui_view {
	const struct tui_view_ops *ops;
	int selected;
	int top;
	int height;		/* rows shown last time, for paging */
	struct tui_rect rect;	/* where it was drawn last */
	struct tui_rect rows;	/* where its rows were, for the mouse */
	void *data;		/* the panel's own state */
};

/* Draws v's rows into r, one a line, the selection kept in view (and
 * marked when focus); lines past the last row are blanked. */
void tui_view_draw_rows(struct tui *t, struct tui_view *v, struct tui_rect r, bool focus);
/* Moves the selection, or the top of a scroll-only view, by delta rows
 * (INT_MIN/INT_MAX: to the first/last); returns what to redraw. */
unsigned tui_view_move(struct tui *t, struct tui_view *v, int delta);
/* A page (the rows shown, less one) up (dir -1) or down (1). */
unsigned tui_view_page(struct tui *t, struct tui_view *v, int dir);
/* Selects the row under screen line y (the mouse); 0 when there is none. */
unsigned tui_view_click(struct tui *t, struct tui_view *v, int y);
/* Where a move by delta (INT_MIN: to the first, INT_MAX: to the last) from
 * cur lands, kept within [0, last]. */
int tui_move_target(long cur, int delta, long last);

#endif
