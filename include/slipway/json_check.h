/* A strict JSON (RFC 8259) recogniser that names the first mistake in a
 * document with its line and column, in words a person can act on. */
#ifndef SLIPWAY_JSON_CHECK_H
#define SLIPWAY_JSON_CHECK_H

#include <stddef.h>

/* NULL when text[0..len) is one JSON document that slipway can hold: RFC
 * 8259's grammar, UTF-8, no \u0000 and no unpaired surrogate (RFC 8259
 * leaves those two to the reader; in a C string they cut or garble text).
 * Otherwise the message, e.g.
 *   slipway.json:4:38: syntax error: trailing comma before '}'
 * to be freed by the caller. */
char *sw_json_check(const char *text, size_t len, const char *source);

/* "SOURCE:LINE:COL: syntax error: MSG" for the byte at pos of text;
 * columns count characters, not bytes. */
char *sw_json_error_at(const char *text, size_t pos, const char *source, const char *msg);

#endif
