/* The Containers panel: every container of the engine under its compose
 * project, kept fresh by the engine's events; start, stop, restart and the
 * log of the selected one. */
#ifndef SLIPWAY_TUI_VIEW_CONTAINERS_H
#define SLIPWAY_TUI_VIEW_CONTAINERS_H

#include "view.h"

#include <stdbool.h>

#include "slipway/docker.h"

struct tui;

extern const struct tui_view_ops tui_containers_ops;

/* The C key: over the main screen at 80x24; on a large layout it takes the
 * History tile's place and the focus (C on it again gives the tile back). */
unsigned tui_containers_toggle(struct tui *t);
/* The panel is open and the keys go to it. */
bool tui_containers_current(struct tui *t);
/* The model's fd for the loop's poll(), -1 before the panel first opened;
 * its events: the list, a log growing, an action's outcome. */
int tui_containers_fd(struct tui *t);
unsigned tui_containers_event(struct tui *t);
/* After a repaint: stats are read only while the panel is on screen. */
void tui_containers_shown(struct tui *t, bool shown);
/* u, d, b: asks first (naming the container), then acts on a thread. */
unsigned tui_containers_ask(struct tui *t, enum sw_docker_action a);
unsigned tui_containers_act(struct tui *t, const char *name, enum sw_docker_action a);
/* The '/' filter on names, as typed. */
void tui_containers_filter(struct tui *t, const char *filter);
/* R: list again now, and try a lost engine again now. */
void tui_containers_refresh(struct tui *t);
/* y: the selected container's id. */
unsigned tui_containers_copy(struct tui *t);
/* Stops the model (at the end: once opened, the panel keeps it). */
void tui_containers_free(struct tui *t);
/* Scripted mode: the model gave its first answer (a list or an error). */
bool tui_containers_settled(struct tui *t);

#endif
