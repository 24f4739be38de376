/* The Pipeline panel and the one decision of which run it shows: the run
 * pinned by :run, :show, :log or History, else the selected branch's last
 * run. */
#ifndef SLIPWAY_TUI_VIEW_PIPELINE_H
#define SLIPWAY_TUI_VIEW_PIPELINE_H

#include "view.h"

struct tui;

extern const struct tui_view_ops tui_pipeline_ops;

/* Shows the run the Pipeline should show now. */
void tui_pipeline_sync(struct tui *t);
/* Pins run id there until the branch selection moves (0: unpins). */
void tui_pipeline_pin(struct tui *t, long id);
/* Reads the shown run's record again; says so when it has just ended. */
void tui_pipeline_reload(struct tui *t);

#endif
