/* Pieces of a libcurl reply the API clients share (see core/http.h). */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
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

char *sw_http_without_token(const char *token, char *msg)
{
	if (!token || strlen(token) < 4 || !strstr(msg, token))
		return msg;
	struct sbuf sb;
	sbuf_init(&sb);
	for (const char *p = msg, *hit; *p; p = hit + strlen(token)) {
		hit = strstr(p, token);
		if (!hit) {
			sbuf_adds(&sb, p);
			break;
		}
		sbuf_add(&sb, p, (size_t)(hit - p));
		sbuf_adds(&sb, "***");
	}
	free(msg);
	return sbuf_detach(&sb);
}

