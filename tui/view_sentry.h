/* The Sentry panel: the project's unresolved issues, live (the core's
 * model, slipway/sentry_watch.h); sorted by last seen or by count, one's
 * details, resolve and ignore. */
#ifndef SLIPWAY_TUI_VIEW_SENTRY_H
#define SLIPWAY_TUI_VIEW_SENTRY_H

#include "view.h"

#include <stdbool.h>

struct tui;

extern const struct tui_view_ops tui_sentry_ops;

/* The E key: over the main screen at 80x24; on a large layout it takes the
 * History tile's place and the focus (E on it again gives the tile back). */
unsigned tui_sentry_toggle(struct tui *t);
/* The panel is open and the keys go to it. */
bool tui_sentry_current(struct tui *t);
/* The model's fd for the loop's poll(), -1 before the panel first opened. */
int tui_sentry_fd(struct tui *t);
unsigned tui_sentry_event(struct tui *t);
/* After a repaint: the list is read again every minute only while shown. */
void tui_sentry_shown(struct tui *t, bool shown);
/* The resolve and ignore keys: ask first (naming the short id), then act
 * on a thread; status is "resolved" or "ignored". */
unsigned tui_sentry_ask(struct tui *t, const char *status);
unsigned tui_sentry_triage(struct tui *t, const char *short_id, const char *status);
/* The sort key: last seen, or count. */
unsigned tui_sentry_toggle_sort(struct tui *t);
/* The '/' filter on titles, as typed. */
void tui_sentry_filter(struct tui *t, const char *filter);
/* R: list again now. */
void tui_sentry_refresh(struct tui *t);
/* y: the selected issue's permalink. */
unsigned tui_sentry_copy(struct tui *t);
/* Release notes' Sentry part, read by the panel's model (started if need
 * be, the panel left as it is) and appended to fd, which it owns. */
struct sw_release_notes;
void tui_sentry_notes(struct tui *t, const struct sw_release_notes *n, int fd);
/* Gives up what the model reads for a log (an event, notes' Sentry part). */
void tui_sentry_read_cancel(struct tui *t);
void tui_sentry_free(struct tui *t);
/* Scripted mode: the model has the whole list, or why there is none. */
bool tui_sentry_settled(struct tui *t);

#endif
