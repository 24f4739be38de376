/* The branch list behind the Branches panel: local and remote-tracking
 * branches with the last run on each head, ahead/behind counted a slice at
 * a time, and the filter that picks the rows shown.  It is the panel's own
 * data (its view's data pointer), reached through these functions. */
#ifndef SLIPWAY_TUI_BRANCHES_H
#define SLIPWAY_TUI_BRANCHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slipway/repo.h"
#include "slipway/store.h"

struct tui;

struct tui_branch_row {
	struct sw_branch b;
	long run_id;
	enum sw_run_status run_status;
	bool has_run;
};

struct tui_branches {
	struct tui_branch_row *rows;
	size_t n;
	size_t counted;		/* rows whose ahead/behind are known, in order */
	char main_sha[41];	/* "" when main does not resolve */
	char *filter;
	size_t *shown;		/* the rows the filter lets through, in order */
	size_t nshown;
	char *watch;		/* "watch: <what it did last>" while a watcher runs; else NULL */
};

void tui_branches_open(struct tui *t);
void tui_branches_close(struct tui *t);
const struct tui_branches *tui_branches(struct tui *t);
/* Reads the branches again, the selection kept on the same name. */
void tui_reload_branches(struct tui *t);
/* Counts ahead/behind of a few more branches; false when all are done. */
bool tui_count_some(struct tui *t, int64_t budget_ms);
bool tui_branches_all_counted(struct tui *t);
/* A run in progress on some branch's head; re-reads only those rows. */
bool tui_branches_running(struct tui *t);
void tui_branches_refresh_running(struct tui *t);
/* The shown row k, or the one under the cursor; NULL when there is none. */
struct tui_branch_row *tui_shown_branch(struct tui *t, size_t k);
struct tui_branch_row *tui_selected_branch(struct tui *t);
/* Selects shown row k; the Pipeline follows it. */
void tui_select_branch(struct tui *t, int k);
/* Selects the shown row of that branch, if there is one. */
void tui_select_branch_named(struct tui *t, const char *name);
/* The checked-out branch, where the dashboard opens. */
void tui_select_checked_out(struct tui *t);
/* The selected branch stays selected if the filter shows it; else the
 * first shown one is. */
void tui_set_filter(struct tui *t, const char *filter);

#endif
