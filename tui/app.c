/* The dashboard's drawing and event loop: one poll() over the terminal, the
 * run store's inotify watches, the container and Sentry models' fds and a
 * timer that only ticks while something runs.  Handlers say what they dirtied; the loop repaints only that. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "slipway/run.h"
#include "script.h"
#include "view_containers.h"
#include "view_deploys.h"
#include "view_history.h"
#include "view_log.h"
#include "view_pipeline.h"
#include "view_quality.h"
#include "view_sentry.h"

#define MIN_COLS 80
#define MIN_LINES 24

static bool anything_running(struct tui *t)
{
	const struct tui_run *shown = tui_shown_run(t);
	return (shown->loaded && !sw_run_status_final(shown->rec.status)) || tui_branches_running(t) ||
	       tui_deploys_active(t);
}

/* ---- drawing ---- */

static void draw_too_small(void)
{
	erase();
	mvprintw(0, 0, "terminal too small (%dx%d): slipway needs %dx%d", COLS, LINES, MIN_COLS, MIN_LINES);
}

/* Each view drawn says where it is and, through tui_view_draw_rows, where
 * its rows are (none if it drew none): the mouse finds them there. */
static void draw_view(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	v->rect = r;
	v->rows = (struct tui_rect){0, 0, 0, 0};
	v->ops->draw(t, v, r);
	if (t->ndrawn < sizeof t->drawn / sizeof t->drawn[0])
		t->drawn[t->ndrawn++] = v;
}

void tui_overlay_close(struct tui *t)
{
	if (t->overlay && t->overlay->ops->close)
		t->overlay->ops->close(t, t->overlay);
	t->overlay = NULL;
}

unsigned tui_panel_toggle(struct tui *t, struct tui_view *v)
{
	if (t->overlay != v)
		tui_overlay_close(t);
	if (!tui_layout_four()) {
		t->overlay = v;
	} else if (t->tile != v) {
		t->tile = v;
		t->focus = v;
	} else if (t->focus == v) {
		t->tile = NULL;
		t->focus = &t->views[TUI_V_BRANCHES];
	} else {
		t->focus = v;
	}
	return TUI_REDRAW_ALL;
}

bool tui_panel_current(const struct tui *t, const struct tui_view *v)
{
	return t->overlay == v || (!t->overlay && t->focus == v);
}

bool tui_layout_four(void)
{
	return COLS >= 140 && LINES >= 40;
}

/* Returns the live panel drawn (Containers or Sentry), or NULL. */
static struct tui_view *draw_body(struct tui *t)
{
	int h = LINES - 1;
	struct tui_rect all = {0, 0, h, COLS};
	/* Focused in its tile when the terminal shrank: it takes the screen. */
	struct tui_view *over = t->overlay ? t->overlay : t->tile && t->focus == t->tile && !tui_layout_four() ? t->tile : NULL;
	t->ndrawn = 0;
	if (over) {
		if (over == &t->views[TUI_V_HISTORY] && !t->overlay)
			tui_history_fresh(t);	/* the tile a click focused, the screen shrunk since */
		draw_view(t, over, all);
		return over;
	}
	if (tui_layout_four()) {
		/* Room for four: runs (or a live panel) and quality stay in view beside the lists. */
		int left = COLS * 11 / 20, top = h * 3 / 5;
		if (!t->tile || t->tile == &t->views[TUI_V_HISTORY])
			tui_history_fresh(t);
		tui_quality_fresh(t);
		draw_view(t, &t->views[TUI_V_BRANCHES], (struct tui_rect){0, 0, top, left});
		draw_view(t, t->tile ? t->tile : &t->views[TUI_V_HISTORY], (struct tui_rect){top, 0, h - top, left});
		draw_view(t, &t->views[TUI_V_PIPELINE], (struct tui_rect){0, left, top, COLS - left});
		draw_view(t, &t->views[TUI_V_QUALITY], (struct tui_rect){top, left, h - top, COLS - left});
		return t->tile;
	}
	if (COLS >= 140) {
		int left = COLS * 11 / 20;
		draw_view(t, &t->views[TUI_V_BRANCHES], (struct tui_rect){0, 0, h, left});
		draw_view(t, &t->views[TUI_V_PIPELINE], (struct tui_rect){0, left, h, COLS - left});
		return NULL;
	}
	int top = h * 9 / 20;
	draw_view(t, &t->views[TUI_V_BRANCHES], (struct tui_rect){0, 0, top, COLS});
	draw_view(t, &t->views[TUI_V_PIPELINE], (struct tui_rect){top, 0, h - top, COLS});
	return NULL;
}

/* The live panels read (stats, a minute's refresh) only while on screen. */
static void shown(struct tui *t, const struct tui_view *drawn)
{
	tui_containers_shown(t, drawn == &t->views[TUI_V_CONTAINERS]);
	tui_sentry_shown(t, drawn == &t->views[TUI_V_SENTRY]);
	tui_deploys_shown(t, drawn == &t->views[TUI_V_DEPLOYS]);
}

void tui_draw(struct tui *t, unsigned what)
{
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		draw_too_small();
		t->ndrawn = 0;
		shown(t, NULL);
	} else {
		if (what & TUI_REDRAW_BODY)
			shown(t, draw_body(t));
		tui_status_draw(t);
	}
	refresh();
}

/* ---- input ---- */

static bool inside(struct tui_rect r, int y, int x)
{
	return y >= r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w;
}

/* The panel drawn under y,x last time, or NULL. */
static struct tui_view *view_at(struct tui *t, int y, int x)
{
	for (size_t i = 0; i < t->ndrawn; i++)
		if (inside(t->drawn[i]->rect, y, x))
			return t->drawn[i];
	return NULL;
}

/* A click moves the focus to the panel clicked: an overlay has it already;
 * a tile beside the lists (History's place in the large layout) becomes
 * the focused tile.  A text (Quality, the Log) has no rows to take it. */
static void focus_on(struct tui *t, struct tui_view *v)
{
	if (t->overlay == v || v->ops->scroll_only)
		return;
	if (v != &t->views[TUI_V_BRANCHES] && v != &t->views[TUI_V_PIPELINE])
		t->tile = v;
	t->focus = v;
}

/* With `set mouse on`: the wheel scrolls the panel under the pointer, a
 * click focuses a panel and selects the row under it, a double click acts
 * as Enter on that row. */
static unsigned on_mouse(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return 0;
	struct tui_view *v = view_at(t, ev.y, ev.x);
	if (!v)
		return 0;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED))
		return tui_view_move(t, v, ev.bstate & BUTTON4_PRESSED ? -3 : 3);
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)))
		return 0;
	focus_on(t, v);
	unsigned r = tui_view_click(t, v, ev.y);
	/* Enter only on a row: not on a title, a header or the blank below. */
	if (r && (ev.bstate & BUTTON1_DOUBLE_CLICKED) && (t->overlay ? t->overlay : t->focus) == v && v->ops->enter)
		r |= v->ops->enter(t, v);
	return r | TUI_REDRAW_ALL;
}

unsigned tui_handle_key(struct tui *t, int key)
{
	if (key == KEY_RESIZE)
		return TUI_REDRAW_ALL;
	if (t->prompt.mode != TUI_PROMPT_NONE)
		return tui_prompt_key(t, key);
	if (t->prompt.asking)
		return tui_confirm_key(t, key);
	if (key == KEY_MOUSE)
		return on_mouse(t);
	int a = tui_key_action(t, key);
	if (a < 0)
		return 0;
	if (t->status) {
		free(t->status);
		t->status = NULL;
		t->status_error = false;
	}
	return tui_do_action(t, (enum tui_action)a) | TUI_REDRAW_STATUS;
}

/* ---- events ---- */

static unsigned on_store_events(struct tui *t, int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	bool any = false;
	while (read(fd, buf, sizeof buf) > 0)
		any = true;
	if (any) {
		tui_reload_branches(t);
		tui_pipeline_sync(t);
		t->generation++;
	}
	return any ? TUI_REDRAW_ALL : 0;
}

static unsigned on_run_events(struct tui *t)
{
	unsigned bits = sw_follow_read(tui_shown_run(t)->follow);
	if (bits & (SW_FOLLOW_RECORD | SW_FOLLOW_EXIT)) {
		tui_pipeline_reload(t);
		tui_branches_refresh_running(t);
	}
	if ((bits & SW_FOLLOW_LOG) && t->overlay == &t->views[TUI_V_LOG])
		tui_log_update(t);
	return bits ? TUI_REDRAW_ALL : 0;
}

static unsigned on_tick(struct tui *t)
{
	t->spinner++;
	tui_branches_refresh_running(t);
	tui_deploys_tick(t);
	if (t->overlay == &t->views[TUI_V_LOG])
		tui_log_update(t);
	return TUI_REDRAW_ALL;
}

static int poll_timeout(struct tui *t)
{
	if (t->next_tick == 0 || !tui_branches_all_counted(t))
		return 0;
	if (!anything_running(t))
		return -1;
	int64_t left = t->next_tick - sw_mono_ms();
	return left < 0 ? 0 : (int)left;
}

/* One round of the loop: waits for input or an event, handles it. */
unsigned tui_wait_events(struct tui *t, bool keys, int max_wait_ms)
{
	const struct tui_run *shown = tui_shown_run(t);
	struct pollfd pfd[6] = {
		{.fd = keys ? STDIN_FILENO : -1, .events = POLLIN},
		{.fd = t->runs_watch, .events = POLLIN},
		{.fd = shown->follow ? sw_follow_fd(shown->follow) : -1, .events = POLLIN},
		{.fd = tui_containers_fd(t), .events = POLLIN},
		{.fd = tui_sentry_fd(t), .events = POLLIN},
		{.fd = tui_merge_fd(t), .events = POLLIN},
	};
	int timeout = poll_timeout(t);
	if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms))
		timeout = max_wait_ms;
	int r = poll(pfd, 6, timeout);
	unsigned dirty = 0;
	/* SIGWINCH interrupts the wait: ncurses then has KEY_RESIZE to give. */
	if (r < 0 && errno == EINTR && keys)
		pfd[0].revents = POLLIN;
	else if (r < 0)
		return 0;
	if (sw_mono_ms() >= t->next_tick) {
		t->next_tick = sw_mono_ms() + TUI_TICK_MS;
		dirty |= on_tick(t);
	}
	/* Ahead/behind counts fill in a slice at a time, input kept responsive. */
	if (!tui_branches_all_counted(t)) {
		tui_count_some(t, 30);
		dirty |= TUI_REDRAW_BODY;
	}
	if (pfd[1].revents & POLLIN)
		dirty |= on_store_events(t, t->runs_watch);
	if (pfd[2].revents & POLLIN)
		dirty |= on_run_events(t);
	if (pfd[3].revents & POLLIN)
		dirty |= tui_containers_event(t);
	if (pfd[4].revents & POLLIN)
		dirty |= tui_sentry_event(t);
	if (pfd[5].revents & POLLIN)
		dirty |= tui_merge_event(t);
	if (pfd[0].revents & POLLIN) {
		int key;
		while ((key = getch()) != ERR)
			dirty |= tui_handle_key(t, key);
	}
	return dirty;
}

