/* The Branches panel (its data: branches.h). */
#ifndef SLIPWAY_TUI_VIEW_BRANCHES_H
#define SLIPWAY_TUI_VIEW_BRANCHES_H

#include "view.h"

extern const struct tui_view_ops tui_branches_ops;

#endif
