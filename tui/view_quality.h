/* The Quality view: what the shown run measured, its trend and its delta
 * against main. */
#ifndef SLIPWAY_TUI_VIEW_QUALITY_H
#define SLIPWAY_TUI_VIEW_QUALITY_H

#include "view.h"

struct tui;

extern const struct tui_view_ops tui_quality_ops;

void tui_quality_open(struct tui *t);
/* Rebuilt if runs changed since (tiled layout). */
void tui_quality_fresh(struct tui *t);

#endif
