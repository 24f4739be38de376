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

/* A token's first bytes that a message cut through it kept: this many are
 * as telling as the whole, and random text does not begin a token by chance. */
#define TOKEN_CUT_MIN 8

/* How many of token's first bytes p starts with. */
static size_t token_prefix(const char *p, const char *token)
{
	size_t n = 0;
	while (p[n] && token[n] && p[n] == token[n])
		n++;
	return n;
}

char *sw_http_without_token(const char *token, char *msg)
{
	size_t tlen = token ? strlen(token) : 0;
	if (tlen < 4)
		return msg;
	struct sbuf sb;
	sbuf_init(&sb);
	bool masked = false;
	for (const char *p = msg; *p;) {
		size_t n = token_prefix(p, token);
		/* The whole token, or the part of it before a cut (a detail kept
		 * to its first 200 bytes ends in the middle of one). */
		if (n == tlen || n >= TOKEN_CUT_MIN) {
			sbuf_adds(&sb, "***");
			p += n;
			masked = true;
		} else {
			sbuf_addc(&sb, *p++);
		}
	}
	if (!masked) {
		sbuf_free(&sb);
		return msg;
	}
	free(msg);
	return sbuf_detach(&sb);
}

