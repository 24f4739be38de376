/* The JSON recogniser that turns a document cJSON refused into a syntax
 * error naming the line, the column and the mistake in words. */
#ifndef SLIPWAY_JSON_CHECK_H
#define SLIPWAY_JSON_CHECK_H

#include <stddef.h>

/* The message for text[0..len), which a JSON reader refused at byte
 * gave_up, e.g.  slipway.json:4:38: syntax error: trailing comma before '}'
 * (the mistake found by the recogniser, else the reader's position).  The
 * caller frees it. */
char *sw_json_diagnose(const char *text, size_t len, const char *source, size_t gave_up);

/* "SOURCE:LINE:COL: syntax error: MSG" for the byte at pos of text;
 * columns count characters, not bytes. */
char *sw_json_error_at(const char *text, size_t pos, const char *source, const char *msg);

#endif
