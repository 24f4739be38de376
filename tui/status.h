/* The status line at the bottom: a message until the next one, an open
 * prompt, or the keys of the view in focus. */
#ifndef SLIPWAY_TUI_STATUS_H
#define SLIPWAY_TUI_STATUS_H

#include <stdbool.h>

struct tui;

void tui_set_status(struct tui *t, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tui_status_draw(struct tui *t);

#endif
