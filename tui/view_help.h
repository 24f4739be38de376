/* The help screen, from the action table. */
#ifndef SLIPWAY_TUI_VIEW_HELP_H
#define SLIPWAY_TUI_VIEW_HELP_H

#include "view.h"

extern const struct tui_view_ops tui_help_ops;

#endif
