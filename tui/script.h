/* The scripted mode: the dashboard run headless from a file of keys and
 * ':' commands, writing its screen as plain text, for tests and automation. */
#ifndef SLIPWAY_TUI_SCRIPT_H
#define SLIPWAY_TUI_SCRIPT_H

#include <stdbool.h>

struct tui;
struct tui_script;

/* NULL (with a message on stderr) when the file cannot be read. */
struct tui_script *tui_script_open(const char *path);
/* Runs the next line (or waits for the run a :wait-run names); returns
 * what to redraw.  *exit_code becomes 1 when a step fails. */
unsigned tui_script_step(struct tui *t, struct tui_script *s, int *exit_code);
bool tui_script_done(const struct tui_script *s);
void tui_script_free(struct tui_script *s);
/* Writes the screen as plain UTF-8 text, trailing blanks removed. */
int tui_dump(const char *path);

#endif
