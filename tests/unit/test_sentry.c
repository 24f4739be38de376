/* The Sentry client's pure parts (core/sentry.c): the Link header's next
 * cursor, the issue count Sentry sends as a string, and how long a 429
 * says to wait. */
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

int main(void)
{
	RUN_TEST(test_link_next);
	RUN_TEST(test_count);
	RUN_TEST(test_wait);
	RUN_TEST(test_missing);
	UNIT_EXIT();
}
