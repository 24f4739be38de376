/* The Log view: a stage's output, following while it grows, searched,
 * wrapped or scrolled sideways. */
#ifndef SLIPWAY_TUI_VIEW_LOG_H
#define SLIPWAY_TUI_VIEW_LOG_H

#include "view.h"

#include <stdbool.h>

struct tui;

extern const struct tui_view_ops tui_log_ops;

void tui_log_open(struct tui *t, long run, const char *stage);
/* A log someone else appends to fd (which the view then owns): release is
 * called before fd closes, to stop the feeding; Esc returns to back_to
 * when it is not NULL.  title names the source ("container web-1"). */
typedef void (*tui_log_release_fn)(struct tui *t);
void tui_log_open_fd(struct tui *t, int fd, const char *title, tui_log_release_fn release,
		     struct tui_view *back_to);
/* A plain file's log (a deploy step's), followed as it grows and opened
 * when it appears; Esc returns to back_to when it is not NULL. */
void tui_log_open_file(struct tui *t, const char *path, const char *title, struct tui_view *back_to);
/* An unlinked file for a log a panel writes (a container's, an issue's
 * details): the Log view indexes, searches and follows it as a stage's.
 * -1 with errno. */
int tui_log_scratch(void);
/* The release of the log shown (NULL for a stage's): whose log it is. */
tui_log_release_fn tui_log_source(struct tui *t);
struct tui_view *tui_log_back_to(struct tui *t);
/* Keeps following the log's growth (called on log events). */
void tui_log_update(struct tui *t);
/* The log view's search (pattern from the '/' prompt), n/N, wrap, copy. */
unsigned tui_log_search(struct tui *t, const char *pattern);
unsigned tui_log_search_step(struct tui *t, int dir);
unsigned tui_log_toggle_wrap(struct tui *t);
/* Sideways by half a screen (dir -1: left, 1: right) while lines are cut. */
unsigned tui_log_scroll(struct tui *t, int dir);
unsigned tui_log_copy(struct tui *t);

#endif
