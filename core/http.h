/* Pieces of a libcurl reply that the API clients (Sentry, GitHub, the
 * container engine's /_ping) share (core-internal). */
#ifndef SLIPWAY_CORE_HTTP_H
#define SLIPWAY_CORE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "slipway/util.h"

/* When the header line data[0, len) is key ("retry-after:", any case),
 * its value, trimmed, into dst. */
void sw_http_header_value(const char *data, size_t len, const char *key, char *dst, size_t cap);
/* A body callback's work: data appended to body unless that would pass
 * max, then *too_big and 0 (libcurl stops).  Returns what it took. */
size_t sw_http_body_add(struct sbuf *body, bool *too_big, size_t max, const char *data, size_t len);

/* msg (taken) with every occurrence of token (4 bytes or more) as "***",
 * and every run of its first 8 bytes or more (a message cut through the
 * token kept those): an API's message may echo what was sent. */
char *sw_http_without_token(const char *token, char *msg);

#endif
