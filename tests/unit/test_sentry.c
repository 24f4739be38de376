/* The Sentry client's pure parts (core/sentry.c): the Link header's next
 * cursor, the issue count Sentry sends as a string, how long a 429 says to
 * wait, an event's stack frames and what is said of them, and the rule of
 * "new in this release". */
#include "unit.h"

#include <cjson/cJSON.h>
#include <limits.h>

#include "slipway/sentry.h"
#include "slipway/util.h"

/* sentry-cli's own test header (src/utils/http.rs test_parse_link_header). */
static const char *const cli_link =
	"<https://sentry.io/api/0/organizations/sentry/releases/?&cursor=100:-1:1>; rel=\"previous\"; "
	"results=\"false\"; cursor=\"100:-1:1\", "
	"<https://sentry.io/api/0/organizations/sentry/releases/?&cursor=100:1:0>; rel=\"next\"; "
	"results=\"true\"; cursor=\"100:1:0\"";

static void test_link_next(void)
{
	char *c = sw_sentry_link_next(cli_link);
	CHECK_STR(c, "100:1:0");
	free(c);
	/* The last page: a next link that says results="false". */
	CHECK(sw_sentry_link_next("<http://x/?cursor=0:0:1>; rel=\"previous\"; results=\"true\"; cursor=\"0:0:1\", "
				  "<http://x/?cursor=0:100:0>; rel=\"next\"; results=\"false\"; cursor=\"0:100:0\"") ==
	      NULL);
	/* Only a previous link, none at all, or garbage. */
	CHECK(sw_sentry_link_next("<http://x/>; rel=\"previous\"; results=\"true\"; cursor=\"1:0:1\"") == NULL);
	CHECK(sw_sentry_link_next("") == NULL);
	CHECK(sw_sentry_link_next(NULL) == NULL);
	CHECK(sw_sentry_link_next("rel=\"next\"; results=\"true\"; cursor=\"unterminated") == NULL);
	/* Next first, parameters in another order, a comma inside the URL. */
	c = sw_sentry_link_next("<http://x/?a=1,2&cursor=5:200:0>; cursor=\"5:200:0\"; results=\"true\"; rel=\"next\", "
				"<http://x/>; rel=\"previous\"; results=\"false\"; cursor=\"5:0:1\"");
	CHECK_STR(c, "5:200:0");
	free(c);
}

static bool count_of(const char *json, long long *n)
{
	cJSON *j = cJSON_Parse(json);
	bool ok = sw_sentry_json_count(j, n);
	cJSON_Delete(j);
	return ok;
}

static void test_count(void)
{
	long long n = -1;
	CHECK(count_of("\"150\"", &n));
	CHECK_INT(n, 150);
	CHECK(count_of("42", &n));
	CHECK_INT(n, 42);
	CHECK(count_of("\"12345678901\"", &n));
	CHECK_INT(n, 12345678901LL);
	CHECK(!count_of("\"\"", &n));
	CHECK(!count_of("\"12a\"", &n));
	CHECK(!count_of("\"-3\"", &n));
	CHECK(!count_of("-3", &n));
	CHECK(!count_of("null", &n));
	CHECK(!count_of("[1]", &n));
	CHECK(!sw_sentry_json_count(NULL, &n));
	/* Beyond a long long, a count is the biggest one, whether Sentry sends
	 * it as a string or as a number (casting 1e300 is undefined behaviour;
	 * found by fuzz_sentry). */
	CHECK(count_of("\"99999999999999999999\"", &n));
	CHECK_INT(n, LLONG_MAX);
	CHECK(count_of("1e300", &n));
	CHECK_INT(n, LLONG_MAX);
	CHECK(count_of("9223372036854775808", &n));
	CHECK_INT(n, LLONG_MAX);
	CHECK(count_of("1e999", &n));
	CHECK_INT(n, LLONG_MAX);
	CHECK(count_of("4.5e15", &n));
	CHECK_INT(n, 4500000000000000LL);
}

static void test_wait(void)
{
	time_t now = 1700000000;
	/* Until the reset, in epoch seconds. */
	CHECK_INT(sw_sentry_wait_ms("1700000003", NULL, now), 3000);
	/* Reset wins over Retry-After when both are given. */
	CHECK_INT(sw_sentry_wait_ms("1700000002", "10", now), 2000);
	CHECK_INT(sw_sentry_wait_ms(NULL, "7", now), 7000);
	/* A reset already past, or now: still a second, not a busy loop. */
	CHECK_INT(sw_sentry_wait_ms("1699999990", NULL, now), 1000);
	CHECK_INT(sw_sentry_wait_ms(NULL, "0", now), 1000);
	/* Retry-After as an HTTP date. */
	CHECK_INT(sw_sentry_wait_ms(NULL, "Tue, 14 Nov 2023 22:13:25 GMT", now), 5000);
	/* Nothing said. */
	CHECK_INT(sw_sentry_wait_ms(NULL, NULL, now), -1);
	/* Nonsense is a second, never a day of waiting on garbage. */
	CHECK_INT(sw_sentry_wait_ms("soon", NULL, now), 1000);
}

static void test_missing(void)
{
	struct sw_sentry_settings s = {0};
	s.url = xstrdup("https://sentry.io");
	char *m = sw_sentry_missing(&s);
	CHECK_STR(m, "Sentry is not configured: set SENTRY_ORG or \"sentry\": {\"org\"} in main's slipway.json");
	free(m);
	s.org = xstrdup("acme");
	s.project = xstrdup("web");
	s.token = xstrdup("t0k3n");
	CHECK(sw_sentry_missing(&s) == NULL);
	sw_sentry_settings_free(&s);
}

static char *event_text(const char *json, const char **lacks)
{
	cJSON *j = cJSON_Parse(json);
	struct sw_sentry_event e;
	*lacks = sw_sentry_event_read(j, &e);
	cJSON_Delete(j);
	if (*lacks)
		return NULL;
	struct sbuf sb;
	sbuf_init(&sb);
	sw_sentry_event_text(&e, &sb);
	sw_sentry_event_free(&e);
	return sbuf_detach(&sb);
}

/* The shape of docs.sentry.io's "Retrieve an Issue Event": entries[] of
 * which one is the exception, its values the chain, frames outermost first. */
static void test_event_frames(void)
{
	const char *lacks;
	char *t = event_text(
		"{\"eventID\": \"9999aaaa\", \"dateCreated\": \"2026-11-30T12:00:00Z\", \"entries\": ["
		"{\"type\": \"breadcrumbs\", \"data\": {\"values\": []}},"
		"{\"type\": \"exception\", \"data\": {\"values\": ["
		" {\"type\": \"KeyError\", \"value\": \"'user'\", \"stacktrace\": null},"
		" {\"type\": \"ZeroDivisionError\", \"value\": \"division\\nby zero\", \"stacktrace\": {\"frames\": ["
		"  {\"filename\": \"django/core/handlers/base.py\", \"function\": \"_get_response\", \"lineNo\": 113, \"inApp\": false},"
		"  {\"module\": \"app.views\", \"function\": \"index\", \"lineNo\": 42, \"inApp\": true},"
		"  {\"absPath\": \"/srv/app/calc.py\", \"lineNo\": null}]}}]}}]}",
		&lacks);
	CHECK(lacks == NULL);
	CHECK_STR(t, "latest event 9999aaaa, 2026-11-30T12:00:00Z\n"
		     "  KeyError: 'user'\n"
		     "    no stack frames\n"
		     "  ZeroDivisionError: division by zero\n"
		     "    django/core/handlers/base.py:113 in _get_response\n"
		     "    app.views:42 in index (in app)\n"
		     "    /srv/app/calc.py in ?\n");
	free(t);
	/* No exception: said, not an error. */
	t = event_text("{\"id\": \"e1\", \"entries\": [{\"type\": \"message\", \"data\": {}}]}", &lacks);
	CHECK_STR(t, "latest event e1\n  no stack frames: the event holds no exception\n");
	free(t);
	/* Shapes that are not an event name what is wrong. */
	CHECK(event_text("[1]", &lacks) == NULL);
	CHECK_STR(lacks, "an event object");
	CHECK(event_text("{\"id\": \"e\"}", &lacks) == NULL);
	CHECK_STR(lacks, "entries");
	CHECK(event_text("{\"entries\": [{\"type\": \"exception\", \"data\": {\"values\": 3}}]}", &lacks) == NULL);
	CHECK_STR(lacks, "entries[].data.values");
	CHECK(event_text("{\"entries\": [{\"type\": \"exception\", \"data\": {\"values\": ["
			 "{\"stacktrace\": {\"frames\": [1]}}]}}]}", &lacks) == NULL);
	CHECK_STR(lacks, "stacktrace.frames[]");
}

/* 100 frames: the innermost SW_SENTRY_FRAMES_MAX kept, the rest counted. */
static void test_event_bounded(void)
{
	struct sbuf js;
	sbuf_init(&js);
	sbuf_adds(&js, "{\"id\": \"big\", \"entries\": [{\"type\": \"exception\", \"data\": {\"values\": [");
	for (int v = 0; v < 7; v++)
		sbuf_addf(&js, "%s{\"type\": \"E%d\"}", v ? "," : "", v);
	sbuf_adds(&js, ",{\"type\": \"Last\", \"stacktrace\": {\"frames\": [");
	for (int f = 1; f <= 100; f++)
		sbuf_addf(&js, "%s{\"filename\": \"f%d.py\", \"lineNo\": %d, \"function\": \"g\"}", f > 1 ? "," : "", f, f);
	sbuf_adds(&js, "]}}]}}]}");
	cJSON *j = cJSON_Parse(js.buf);
	struct sw_sentry_event e;
	CHECK(sw_sentry_event_read(j, &e) == NULL);
	CHECK_INT(e.n, SW_SENTRY_EXCEPTIONS_MAX);
	CHECK_INT(e.omitted, 8 - SW_SENTRY_EXCEPTIONS_MAX);
	CHECK_STR(e.exceptions[e.n - 1].type, "Last");
	CHECK_INT(e.exceptions[e.n - 1].nframes, SW_SENTRY_FRAMES_MAX);
	CHECK_INT(e.exceptions[e.n - 1].omitted, 100 - SW_SENTRY_FRAMES_MAX);
	CHECK_STR(e.exceptions[e.n - 1].frames[SW_SENTRY_FRAMES_MAX - 1].filename, "f100.py");
	struct sbuf sb;
	sbuf_init(&sb);
	sw_sentry_event_text(&e, &sb);
	CHECK(strstr(sb.buf, "  (3 earlier exceptions of the chain not shown)\n") != NULL);
	CHECK(strstr(sb.buf, "    (60 outer frames not shown)\n    f61.py:61 in g\n") != NULL);
	sbuf_free(&sb);
	sw_sentry_event_free(&e);
	cJSON_Delete(j);
	sbuf_free(&js);
}

static void test_new_since(void)
{
	char t0[] = "2026-11-25T10:00:00Z", t1[] = "2026-11-25T09:59:59.9Z", t2[] = "", t3[] = "2026-12-01T00:00:00Z";
	struct sw_sentry_issue it[] = {{.first_seen = t0}, {.first_seen = t1}, {.first_seen = t2}, {.first_seen = t3}};
	time_t since = sw_sentry_time("2026-11-25T10:00:00Z");
	CHECK(sw_sentry_issue_new_since(&it[0], since));
	CHECK(!sw_sentry_issue_new_since(&it[1], since));
	CHECK(!sw_sentry_issue_new_since(&it[2], since));
	/* Nothing deployed: nothing is new. */
	CHECK(!sw_sentry_issue_new_since(&it[3], 0));
	CHECK_INT(sw_sentry_count_new_since(it, 4, since), 2);
	CHECK_INT(sw_sentry_count_new_since(it, 4, 0), 0);
}

int main(void)
{
	RUN_TEST(test_link_next);
	RUN_TEST(test_count);
	RUN_TEST(test_wait);
	RUN_TEST(test_missing);
	RUN_TEST(test_event_frames);
	RUN_TEST(test_event_bounded);
	RUN_TEST(test_new_since);
	UNIT_EXIT();
}
