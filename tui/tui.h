/* The ncurses dashboard: shared state, panels as tables of operations, and
 * one action table from which keys, help and ':' commands all come.  The
 * dashboard does no work of its own: actions call the core's entry points. */
#ifndef SLIPWAY_TUI_H
#define SLIPWAY_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slipway/config.h"
#include "slipway/follow.h"
#include "slipway/repo.h"
#include "slipway/store.h"
#include "branches.h"
#include "prompt.h"
#include "settings.h"
#include "status.h"
#include "view.h"

/* The timer's period while something runs (spinner, durations). */
#define TUI_TICK_MS 100

/* What a handler dirtied; the loop repaints only that. */
enum {
	TUI_REDRAW_BODY = 1,
	TUI_REDRAW_STATUS = 2,
	TUI_REDRAW_ALL = 3,
	TUI_HANDLED = 4,	/* a key was taken even if nothing changed */
};

enum tui_panel {
#define TUI_PANEL(id, ops) TUI_V_##id,
#include "panels.def"
#undef TUI_PANEL
	TUI_V_COUNT
};

struct tui {
	struct sw_repo *repo;
	struct sw_store *store;
	struct sw_config cfg;
	bool have_cfg;
	char *cfg_error;
	char *main_branch, *integration;
	struct tui_merge *merging;	/* a merge under way, or NULL */

	struct tui_view views[TUI_V_COUNT];
	struct tui_view *focus;		/* branches, pipeline or the tiled panel */
	struct tui_view *overlay;	/* log, quality, history, help, containers or sentry over them, or NULL */
	struct tui_view *tile;		/* containers, sentry, deploys or history in History's tile (large layouts), or NULL */
	struct tui_view *drawn[4];	/* the panels on screen, as last drawn: the mouse's targets */
	size_t ndrawn;

	char *status;			/* the last message, shown until the next */
	bool status_error;
	struct tui_prompt prompt;

	bool quit;
	struct tui_settings settings;
	bool utf8;
	bool colors;
	bool headless;			/* scripted mode: no terminal behind the screen */
	int spinner;
	unsigned generation;		/* bumped when runs change: tiled panels rebuild on it */
	int runs_watch;			/* inotify fd on the runs directory */
	int64_t next_tick;
	long bell_run;			/* the run the bell last rang for */
};

/* Actions: the one table (actions.c). */
enum tui_action {
#define TUI_ACTION_ENUM(id, name, keys, help) TUI_ACT_##id,
#include "actions.def"
#undef TUI_ACTION_ENUM
	TUI_ACT_COUNT
};

struct tui_action_info {
	const char *name;
	const char *keys;	/* default keys, space separated */
	const char *help;
};

extern const struct tui_action_info tui_actions[TUI_ACT_COUNT];
/* The action a key is bound to, or -1. */
int tui_key_action(struct tui *t, int key);
/* "j", "<Down>", "<C-c>" -> key code; -1 when unknown. */
int tui_key_parse(const char *name);
void tui_key_name(int key, char *out, size_t n);
unsigned tui_do_action(struct tui *t, enum tui_action a);
/* Cancels a run through the core (after the user confirmed). */
unsigned tui_cancel_run(struct tui *t, long id);
/* Merges branch into main through the core (after the user confirmed). */
unsigned tui_merge_branch(struct tui *t, const char *branch);
/* The merge under way (in a thread of its own): its wake-up fd for the
 * loop, or -1; its end taken when that fd is readable; its end waited for
 * (scripted mode after each key, and the dashboard's end). */
int tui_merge_fd(const struct tui *t);
unsigned tui_merge_event(struct tui *t);
unsigned tui_merge_settle(struct tui *t);
/* Runs a ':' command line; messages go to the status line. */
unsigned tui_command(struct tui *t, const char *line);

/* Drawing (draw.c). */
enum tui_color {
	TUI_C_NORMAL = 0,
	TUI_C_TITLE,
	TUI_C_TITLE_FOCUS,
	TUI_C_SELECTED,
	TUI_C_PASSED,
	TUI_C_FAILED,
	TUI_C_RUNNING,
	TUI_C_DIM,
	TUI_C_STATUS,
	TUI_C_ERROR,
	TUI_C_COUNT
};
void tui_colors_init(struct tui *t);

enum tui_glyph {
#define TUI_GLYPH(id, utf8, ascii) TUI_G_##id,
#include "glyphs.def"
#undef TUI_GLYPH
	TUI_G_COUNT
};
/* The glyph in the locale's form: UTF-8, or ASCII without it. */
const char *tui_glyph(const struct tui *t, enum tui_glyph g);
/* Columns s takes when drawn. */
int tui_text_width(const struct tui *t, const char *s);
/* Draws untrusted text neutralised, measured in columns, cut to w columns;
 * returns the columns used. */
int tui_put(struct tui *t, int y, int x, int w, enum tui_color c, const char *s);
/* As tui_put, but text longer than w ends in an ellipsis. */
int tui_put_cut(struct tui *t, int y, int x, int w, enum tui_color c, const char *s);
void tui_fill(int y, int x, int w, enum tui_color c);
void tui_box_title(struct tui *t, struct tui_rect r, const char *title, bool focus);
void tui_mark_selected(struct tui *t, int y, int x, bool focus);
const char *tui_run_glyph(struct tui *t, enum sw_run_status s);
const char *tui_stage_glyph(struct tui *t, enum sw_stage_status s);
enum tui_color tui_run_color(enum sw_run_status s);
enum tui_color tui_stage_color(enum sw_stage_status s);

/* One step of something that runs in steps (a run's stage, a deploy's
 * step): glyph (a spinner while running), name, duration, status, reason. */
struct tui_step {
	const char *name;
	int name_w;			/* columns for the name; 0: 16 */
	enum sw_stage_status status;
	int64_t started_ms, duration_ms;
	const char *note;		/* before the reason, dim ("(allowed) "); may be NULL */
	const char *reason;		/* untrusted: drawn neutralised; may be NULL */
};
/* Draws s as row y of r, selected or not: Pipeline and Deploys alike. */
void tui_draw_step(struct tui *t, int y, struct tui_rect r, bool sel, const struct tui_step *s);

/* Copies text to the terminal's clipboard (OSC 52); what names it. */
void tui_copy(struct tui *t, const char *what, const char *text);
/* Draws text already neutralised; *used gets the bytes drawn. */
int tui_put_clean(struct tui *t, int y, int x, int w, enum tui_color c, const char *s, size_t len,
		  size_t *used);

/* The loop's pieces, shared with the scripted mode (script.c). */
void tui_draw(struct tui *t, unsigned what);
unsigned tui_handle_key(struct tui *t, int key);
/* Waits for input (keys: the terminal's too) or an event, at most
 * max_wait_ms when that is >= 0, and handles what came. */
unsigned tui_wait_events(struct tui *t, bool keys, int max_wait_ms);
/* The terminal has room for four tiles (Quality and History, or
 * Containers, beside the lists). */
bool tui_layout_four(void);
/* Closes the open overlay, if any. */
void tui_overlay_close(struct tui *t);
/* A panel that tiles (Containers, Sentry): over the screen at 80x24; with
 * room for four tiles, into the tile (focused), then focus, then out. */
unsigned tui_panel_toggle(struct tui *t, struct tui_view *v);
/* The panel is what the keys act on: the overlay, or the focused tile. */
bool tui_panel_current(const struct tui *t, const struct tui_view *v);
/* Tab in the ':' prompt: completes a command or a branch name. */
void tui_complete(struct tui *t);

/* The dashboard's entry point: argv after the program name. */
int tui_main(int argc, char **argv);

#endif
