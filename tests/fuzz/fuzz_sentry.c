/* What the Sentry client reads of a reply (core/sentry.c, core/http.c),
 * without a Sentry: the headers it keeps (Link, X-Sentry-Rate-Limit-Reset,
 * Retry-After) read as its header callback does, the next page's cursor,
 * how long a 429 says to wait, a page of issues and an error body's
 * detail, and the token masked in a failure's message.  The input is a
 * reply (tests/fuzz/fuzz_http.h). */
#include "fuzz_http.h"

#include "slipway/sentry.h"

#define NOW 1764590000
#define URL "https://sentry.example/api/0/projects/acme/web/issues/?query=is%3Aunresolved"

/* As struct reply in core/sentry.c keeps them. */
struct headers {
	char link[4096];
	char reset[32];
	char retry_after[64];
};

/* As core/sentry.c's on_header: a new response forgets the last one's. */
static void on_header(void *ud, const char *line, size_t len)
{
	struct headers *h = ud;
	if (len > 5 && !strncmp(line, "HTTP/", 5)) {
		h->link[0] = h->reset[0] = h->retry_after[0] = '\0';
		return;
	}
	sw_http_header_value(line, len, "link:", h->link, sizeof h->link);
	sw_http_header_value(line, len, "x-sentry-rate-limit-reset:", h->reset, sizeof h->reset);
	sw_http_header_value(line, len, "retry-after:", h->retry_after, sizeof h->retry_after);
}

/* The cursor is one of the Link header's quoted values. */
static void check_cursor(const char *link)
{
	char *cursor = sw_sentry_link_next(link);
	if (cursor) {
		FUZZ_CHECK(!strchr(cursor, '"') && strstr(link, cursor));
		char *quoted = xasprintf("\"%s\"", cursor);
		FUZZ_CHECK(strstr(link, quoted));
		free(quoted);
	}
	free(cursor);
}

/* At least a second and at most a day, when either header says anything. */
static void check_wait(const struct headers *h)
{
	const char *reset = h->reset[0] ? h->reset : NULL, *retry = h->retry_after[0] ? h->retry_after : NULL;
	long ms = sw_sentry_wait_ms(reset, retry, NOW);
	if (!reset && !retry)
		FUZZ_CHECK(ms == -1);
	else
		FUZZ_CHECK(ms >= 1000 && ms <= 86400000L);
}

static bool cut_text(const char *s)
{
	return s && strlen(s) <= SW_SENTRY_TEXT_MAX + 3;
}

static void check_issue(const struct sw_sentry_issue *i)
{
	FUZZ_CHECK(i->id && i->short_id && i->level && i->status && i->permalink && i->first_seen && i->last_seen);
	FUZZ_CHECK(cut_text(i->title) && cut_text(i->culprit));
	FUZZ_CHECK(i->count >= 0 && i->user_count >= 0);
	char age[32];
	sw_sentry_age(i->first_seen, age, sizeof age);
	FUZZ_CHECK(age[0] != '\0');
	sw_sentry_time(i->last_seen);
	sw_sentry_issue_new_since(i, NOW);
	cJSON *j = sw_sentry_issue_to_json(i);
	char *text = cJSON_PrintUnformatted(j);
	FUZZ_CHECK(text != NULL);
	cJSON_free(text);
	cJSON_Delete(j);
}

/* A page read whole, then with room for two after one issue already read. */
static void check_page(const struct fuzz_reply *r)
{
	char *body = fuzz_copy(r->body, r->body_len);
	for (size_t room = 100; room; room = room == 100 ? 2 : 0) {
		struct sw_sentry_issue_list l = {0};
		size_t before = 0;
		if (room == 2) {
			l.items = xcalloc(1, sizeof *l.items);
			l.items[0] = (struct sw_sentry_issue){xstrdup("1"), xstrdup("WEB-1"), xstrdup("boom"),
							      xstrdup("app.py"), xstrdup("error"), xstrdup("unresolved"),
							      xstrdup("https://sentry.example/WEB-1"), xstrdup(""),
							      xstrdup(""), 1, 1};
			l.n = before = 1;
		}
		char *err = NULL;
		int rc = sw_sentry_page_read(NULL, URL, body, r->body_len, room, &l, &err);
		if (rc == 0) {
			FUZZ_CHECK(!err && l.n - before <= room);
			for (size_t i = 0; i < l.n; i++)
				check_issue(&l.items[i]);
		} else {
			FUZZ_CHECK(rc == SW_SENTRY_UNUSABLE && fuzz_one_line(err));
		}
		free(err);
		sw_sentry_issue_list_free(&l);
	}
	free(body);
}

/* The detail in the message of a refusal, as core/sentry.c words it. */
static void check_detail(const struct fuzz_reply *r)
{
	char *body = fuzz_copy(r->body, r->body_len);
	char *d = sw_sentry_detail(body, r->body_len, r->status);
	free(body);
	fuzz_check_clean(d);
	char *msg = xasprintf("Sentry refused GET %s (403: %s): the token lacks the permission", URL, d);
	fuzz_check_scrubbed(r->token, msg);
	free(msg);
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct headers h = {"", "", ""};
	struct fuzz_reply r;
	fuzz_reply_read(data, size, on_header, &h, &r);
	FUZZ_CHECK(strlen(h.link) < sizeof h.link && strlen(h.reset) < sizeof h.reset &&
		   strlen(h.retry_after) < sizeof h.retry_after);
	check_cursor(h.link);
	check_wait(&h);
	check_page(&r);
	check_detail(&r);
	fuzz_check_bounded(r.body, r.body_len);
	return 0;
}
