/* The Pipeline panel and the one decision of which run it shows: the run
 * pinned by :run, :show, :log or History, else the selected branch's last
 * run. */
#ifndef SLIPWAY_TUI_VIEW_PIPELINE_H
#define SLIPWAY_TUI_VIEW_PIPELINE_H

#include <stdbool.h>

#include "slipway/follow.h"
#include "slipway/store.h"
#include "view.h"

struct tui;

/* The run the Pipeline shows (its own data), followed while it runs. */
struct tui_run {
	bool loaded;
	struct sw_run_record rec;
	struct sw_follow *follow;
	long id;
	long pinned;		/* shown instead of the selected branch's; 0 when none */
};

extern const struct tui_view_ops tui_pipeline_ops;

void tui_pipeline_open(struct tui *t);
const struct tui_run *tui_shown_run(struct tui *t);
/* Shows the run the Pipeline should show now. */
void tui_pipeline_sync(struct tui *t);
/* Pins run id there until the branch selection moves (0: unpins). */
void tui_pipeline_pin(struct tui *t, long id);
/* Reads the shown run's record again; says so when it has just ended. */
void tui_pipeline_reload(struct tui *t);

#endif
