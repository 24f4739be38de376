/* A stage's output as lines: cut at newlines, masked, handed on one by
 * one (core-internal; the executor's, and its unit tests'). */
#ifndef SLIPWAY_CORE_LINES_H
#define SLIPWAY_CORE_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "slipway/secrets.h"
#include "slipway/util.h"

/* A line longer than this is handed on in parts. */
#define SW_LINE_MAX (64 * 1024)
_Static_assert(SW_SECRET_MAX <= SW_LINE_MAX / 2, "a cut line keeps the longest secret back");

/* One line (or part of one, newline false), masked already. */
typedef void sw_line_fn(void *ctx, const char *line, size_t len, bool newline);

struct sw_lines {
	const struct sw_secrets *secrets;
	size_t hold;				/* bytes a cut keeps back: the longest secret less one */
	struct sbuf line;			/* the incomplete last line */
	sw_line_fn *fn;
	void *ctx;
};

void sw_lines_init(struct sw_lines *l, const struct sw_secrets *secrets, sw_line_fn *fn, void *ctx);
/* Bytes as they came from the pipe, in pieces of any size. */
void sw_lines_feed(struct sw_lines *l, const char *buf, size_t n);
/* The output ended: a last line without its newline is handed on. */
void sw_lines_finish(struct sw_lines *l);
void sw_lines_free(struct sw_lines *l);

#endif
