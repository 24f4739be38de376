/* An API's reply as the Sentry and GitHub harnesses take it: a status line
 * ("HTTP/1.1 429 Too Many Requests"), header lines, an empty line and the
 * body; another status line after the empty one is the reply after a
 * redirect or a 100 Continue.  An input that does not start with "HTTP/"
 * is the body of a 200 without headers.  The header lines go to the
 * client's header reading one at a time with their line ends, as libcurl
 * hands them over. */
#ifndef SLIPWAY_TESTS_FUZZ_HTTP_H
#define SLIPWAY_TESTS_FUZZ_HTTP_H

#include "fuzz.h"

#include "core/http.h"

struct fuzz_reply {
	long status;
	/* What Authorization: Bearer says the client sent, else a made-up
	 * token: an API may echo it, and no message may. */
	char token[128];
	const uint8_t *body;
	size_t body_len;
};

typedef void (*fuzz_header_fn)(void *ud, const char *line, size_t len);

/* The status of a status line, else the last one's. */
static inline void fuzz_status(struct fuzz_reply *r, const char *line)
{
	long status;
	if (sscanf(line, "HTTP/%*s %ld", &status) == 1)
		r->status = status;
}

static inline void fuzz_reply_read(const uint8_t *data, size_t size, fuzz_header_fn fn, void *ud,
				   struct fuzz_reply *r)
{
	*r = (struct fuzz_reply){.status = 200, .body = data, .body_len = size};
	snprintf(r->token, sizeof r->token, "%s", "fuzz_t0k3n_4f8a1c2e9b7d6350");
	if (size < 5 || memcmp(data, "HTTP/", 5))
		return;
	size_t i = 0;
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) + 1 : size - i;
		char *line = fuzz_copy(data + i, n);
		bool blank = (n == 1 && line[0] == '\n') || (n == 2 && !memcmp(line, "\r\n", 2));
		i += n;
		if (!blank) {
			char *text = xstrndup(line, n);
			fuzz_status(r, text);
			free(text);
			char token[sizeof r->token] = "";
			sw_http_header_value(line, n, "authorization: bearer ", token, sizeof token);
			FUZZ_CHECK(strlen(token) < sizeof token);
			if (*token)
				memcpy(r->token, token, sizeof token);
			fn(ud, line, n);
		}
		free(line);
		if (blank && (size - i < 5 || memcmp(data + i, "HTTP/", 5)))
			break;
	}
	r->body = data + i;
	r->body_len = size - i;
}

/* msg, as the client's failure has it, never names the token (one with
 * the mask's '*' in it could be remade by masking; one shorter than 4
 * bytes is not masked). */
static inline void fuzz_check_scrubbed(const char *token, const char *msg)
{
	char *out = sw_http_without_token(token, xstrdup(msg));
	FUZZ_CHECK(out != NULL);
	if (strlen(token) >= 4 && !strchr(token, '*') && strstr(out, token))
		fprintf(stderr, "token %s left in: %s\n", token, out);
	FUZZ_CHECK(strlen(token) < 4 || strchr(token, '*') || !strstr(out, token));
	free(out);
}

/* A message fit for a terminal, in one line. */
static inline void fuzz_check_clean(const char *msg)
{
	FUZZ_CHECK(fuzz_one_line(msg));
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
}

/* The body through the bounded reader, in pieces: it keeps at most max
 * bytes and says when there were more. */
static inline void fuzz_check_bounded(const uint8_t *body, size_t len)
{
	size_t max = len / 2;
	struct sbuf sb;
	sbuf_init(&sb);
	bool too_big = false;
	for (size_t i = 0; i < len && !too_big; i += 7) {
		size_t n = len - i < 7 ? len - i : 7;
		size_t took = sw_http_body_add(&sb, &too_big, max, (const char *)body + i, n);
		FUZZ_CHECK(took == (too_big ? 0 : n));
	}
	FUZZ_CHECK(sb.len <= max && too_big == (len > max));
	sbuf_free(&sb);
}

#endif
