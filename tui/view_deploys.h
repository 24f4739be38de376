/* The Deploys panel: the release serving in the environment (and the one
 * before it), the last deploys and rollbacks, a deploy's steps live, and
 * the keys that deploy main's tested head and roll back. */
#ifndef SLIPWAY_TUI_VIEW_DEPLOYS_H
#define SLIPWAY_TUI_VIEW_DEPLOYS_H

#include "view.h"

#include <stdbool.h>

struct tui;

extern const struct tui_view_ops tui_deploys_ops;

/* The P key: over the main screen at 80x24; on a large layout it takes the
 * History tile's place and the focus (P on it again gives the tile back). */
unsigned tui_deploys_toggle(struct tui *t);
/* The panel is open and the keys go to it. */
bool tui_deploys_current(struct tui *t);
/* After a repaint: the journal is polled only while the panel is shown. */
void tui_deploys_shown(struct tui *t, bool shown);
/* A deploy runs and the panel, or one of its step logs, is on screen: the
 * loop's timer keeps ticking for it. */
bool tui_deploys_active(struct tui *t);
/* The timer's tick: the journal read again, every POLL_MS at most. */
void tui_deploys_tick(struct tui *t);
/* R: read the journal and the target again now. */
void tui_deploys_refresh(struct tui *t);
/* D and B: the core's plan, refused on screen or asked (the environment's
 * name typed when it is protected); then the deploy or rollback. */
unsigned tui_deploys_ask(struct tui *t, bool rollback);
unsigned tui_deploys_start(struct tui *t, bool rollback);
/* l: the selected step's log (of the selected deploy, in the list). */
unsigned tui_deploys_log(struct tui *t);
/* o: the selected deploy's release notes (the core's, as `slipway
 * release-notes --deploy ID`) in the Log view, Sentry's part appended
 * when the Sentry model has read it. */
unsigned tui_deploys_notes(struct tui *t);
/* Esc on a deploy's steps: back to the list; false when there was none. */
bool tui_deploys_back(struct tui *t);
void tui_deploys_free(struct tui *t);
/* Scripted mode: no deploy is running (the panel has its last state). */
bool tui_deploys_settled(struct tui *t);

#endif
