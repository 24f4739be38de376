/* The dashboard's settings: key bindings, colours and options, read in the
 * manner of tigrc from built-in defaults, the repository's slipway.json "ui"
 * section, the user's file and the command line, in that order. */
#ifndef SLIPWAY_TUI_SETTINGS_H
#define SLIPWAY_TUI_SETTINGS_H

#include <stdbool.h>

#include "slipway/config.h"
#include "slipway/util.h"

#define TUI_KEY_SPACE 0x400	/* key codes below this can be bound (ncurses' KEY_MAX is 0777) */
#define TUI_ELEMENTS 10

struct tui_builtin_theme {
	const char *name;
	const char *text;
};

/* The files of themes/, compiled in (themes_builtin.c, generated). */
extern const struct tui_builtin_theme tui_builtin_themes[];

struct tui_color_spec {
	short fg, bg;		/* -1: the terminal's default */
	unsigned attrs;		/* TUI_ATTR_* */
};

enum {
	TUI_ATTR_BOLD = 1,
	TUI_ATTR_DIM = 2,
	TUI_ATTR_REVERSE = 4,
	TUI_ATTR_UNDERLINE = 8,
};

struct tui_settings {
	int bindings[TUI_KEY_SPACE];		/* action, or -1 */
	struct tui_color_spec colors[TUI_ELEMENTS];
	char *theme;
	bool bell;				/* ring when a run ends (default on) */
	bool mouse;				/* click and wheel (default off) */
	bool read_only;
	bool confirm_typed;			/* protected targets need their name typed */
	struct strlist protected;		/* default: main, production */
	struct strlist warnings;		/* clashes, for the status line */
};

/* The element names of `color`, in enum tui_color order. */
extern const char *const tui_element_names[TUI_ELEMENTS];

/* Everything, in order: defaults, repo (may be NULL), the user's file
 * ($SLIPWAY_CONFIG or ~/.config/slipway/config, when it exists), then the
 * flags (theme may be NULL).  -1 with *err naming file and line. */
int tui_settings_load(struct tui_settings *s, const struct sw_config *repo, const char *theme_flag,
		      bool read_only_flag, char **err);
/* Applies text in the whole config syntax, as the user's file may use it. */
int tui_settings_apply(struct tui_settings *s, const char *text, const char *origin, char **err);
void tui_settings_defaults(struct tui_settings *s);
bool tui_settings_protected(const struct tui_settings *s, const char *branch);
void tui_settings_free(struct tui_settings *s);

#endif
