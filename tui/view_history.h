/* The History view: past runs, newest first. */
#ifndef SLIPWAY_TUI_VIEW_HISTORY_H
#define SLIPWAY_TUI_VIEW_HISTORY_H

#include "view.h"

#include <stdbool.h>

struct tui;

extern const struct tui_view_ops tui_history_ops;

/* Over the main screen: the selected branch's runs, or with all every run. */
void tui_history_open(struct tui *t, bool all);
/* Rebuilt if runs or the branch changed since (tiled layout). */
void tui_history_fresh(struct tui *t);

#endif
