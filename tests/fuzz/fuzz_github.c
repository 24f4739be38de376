/* What the GitHub client reads of a reply to a status it posted
 * (core/github.c, core/http.c), without a GitHub: the rate-limit headers
 * (x-ratelimit-remaining, x-ratelimit-reset, retry-after) read as its
 * header callback does, how long they say to wait and the words for it,
 * the error body's message, and the token masked in a failure's message.
 * The input is a reply (tests/fuzz/fuzz_http.h). */
#include "fuzz_http.h"

#include <time.h>

#include "slipway/github.h"

#define NOW 1764590000
#define URL "https://api.github.com/repos/acme/web/statuses/4c7a1f0d9e3b2a6c5d8e7f9a0b1c2d3e4f5a6b7c"

/* As struct reply in core/github.c keeps them. */
struct headers {
	char remaining[32], reset[32], retry_after[64];
};

/* As core/github.c's on_header: a new response forgets the last one's. */
static void on_header(void *ud, const char *line, size_t len)
{
	struct headers *h = ud;
	if (len > 5 && !strncmp(line, "HTTP/", 5)) {
		h->remaining[0] = h->reset[0] = h->retry_after[0] = '\0';
		return;
	}
	sw_http_header_value(line, len, "x-ratelimit-remaining:", h->remaining, sizeof h->remaining);
	sw_http_header_value(line, len, "x-ratelimit-reset:", h->reset, sizeof h->reset);
	sw_http_header_value(line, len, "retry-after:", h->retry_after, sizeof h->retry_after);
}

static const char *given(const char *v)
{
	return v[0] ? v : NULL;
}

/* "until" a time is the time x-ratelimit-reset says, and only when it
 * is one. */
static void check_until(const char *until, const char *reset)
{
	if (!reset || strspn(reset, "0123456789") != strlen(reset))
		return;
	time_t t = (time_t)strtoll(reset, NULL, 10);
	struct tm tm;
	char when[64];
	if (!gmtime_r(&t, &tm)) {
		FUZZ_CHECK(strncmp(until, "until ", 6));
		return;
	}
	strftime(when, sizeof when, "until %Y-%m-%d %H:%M:%S UTC", &tm);
	if (strncmp(until, when, strlen(when)))
		fprintf(stderr, "reset %s, told %s\n", reset, until);
	FUZZ_CHECK(!strncmp(until, when, strlen(when)) || strncmp(until, "until ", 6));
}

/* A rate limit waits a second to a day, told in one line; without one a
 * 403 is a permission refused. */
static void check_rate_limit(const struct headers *h, const char *token)
{
	long ms = sw_github_wait_ms(given(h->remaining), given(h->reset), given(h->retry_after), NOW);
	if (ms < 0) {
		FUZZ_CHECK(ms == -1);
		return;
	}
	FUZZ_CHECK(ms >= 1000 && ms <= 86400000L);
	char *until = sw_github_until(given(h->reset), given(h->retry_after), ms);
	fuzz_check_clean(until);
	if (!given(h->retry_after))
		check_until(until, given(h->reset));
	char *msg = xasprintf("GitHub's rate limit for the token is used up %s, beyond slipway's wait of 60 s: POST "
			      "%s (403)", until, URL);
	fuzz_check_scrubbed(token, msg);
	free(msg);
	free(until);
}

/* The message in a refusal, as core/github.c words it. */
static void check_message(const struct fuzz_reply *r)
{
	char *body = fuzz_copy(r->body, r->body_len);
	char *m = sw_github_message(body, r->body_len, r->status);
	free(body);
	fuzz_check_clean(m);
	char *msg = xasprintf("GitHub refused the status (422: %s) at POST %s", m, URL);
	fuzz_check_scrubbed(r->token, msg);
	free(msg);
	free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct headers h = {"", "", ""};
	struct fuzz_reply r;
	fuzz_reply_read(data, size, on_header, &h, &r);
	FUZZ_CHECK(strlen(h.remaining) < sizeof h.remaining && strlen(h.reset) < sizeof h.reset &&
		   strlen(h.retry_after) < sizeof h.retry_after);
	check_rate_limit(&h, r.token);
	check_message(&r);
	fuzz_check_bounded(r.body, r.body_len);
	return 0;
}
