/* Pieces of a libcurl reply the API clients share (see core/http.h). */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void sw_http_header_value(const char *data, size_t len, const char *key, char *dst, size_t cap)
{
	size_t kl = strlen(key);
	if (len <= kl || strncasecmp(data, key, kl))
		return;
	const char *v = data + kl, *end = data + len;
	while (v < end && *v == ' ')
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	snprintf(dst, cap, "%.*s", (int)(end - v), v);
}

size_t sw_http_body_add(struct sbuf *body, bool *too_big, size_t max, const char *data, size_t len)
{
	if (body->len + len > max) {
		*too_big = true;
		return 0;
	}
	sbuf_add(body, data, len);
	return len;
}
