/* What a push delivery's body says (core/webhook_payload.c): the JSON or
 * the form's payload field, and the fields slipway watch needs. */
#include "unit.h"

#include <stdbool.h>

#include "slipway/util.h"
#include "slipway/webhook.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"
#define ZEROS "0000000000000000000000000000000000000000"

static char *push_json(const char *ref, const char *after, const char *deleted)
{
	return xasprintf("{\"ref\":\"%s\",\"before\":\"" ZEROS "\",\"after\":\"%s\",\"repository\":{\"id\":7,"
			 "\"full_name\":\"acme/shop\"},\"pusher\":{\"name\":\"ann\"}%s%s}",
			 ref, after, deleted ? ",\"deleted\":" : "", deleted ? deleted : "");
}

/* 0, or the status with the error's text in *why (allocated). */
static int read_push(const char *type, const char *body, struct sw_webhook_push *p, char **why)
{
	*why = NULL;
	int status = sw_webhook_read_push(type, body, strlen(body), p, why);
	CHECK((status == 0) == (*why == NULL));
	return status;
}

static void expect_refused(const char *type, const char *body, int status, const char *words)
{
	struct sw_webhook_push p;
	char *why;
	CHECK_INT(read_push(type, body, &p, &why), status);
	if (!why || !strstr(why, words))
		printf("  for %.60s: %s\n", body, why ? why : "(accepted)");
	CHECK(why && strstr(why, words) && !strchr(why, '\n'));
	free(why);
	sw_webhook_push_free(&p);
}

static void test_read_push(void)
{
	struct sw_webhook_push p;
	char *why, *json = push_json("refs/heads/development", SHA, "false");
	CHECK_INT(read_push("application/json", json, &p, &why), 0);
	CHECK_STR(p.repository, "acme/shop");
	CHECK_STR(p.ref, "refs/heads/development");
	CHECK_STR(p.after, SHA);
	CHECK(!p.deleted);
	CHECK(p.delivery == NULL);
	sw_webhook_push_free(&p);
	free(json);
	/* Upper-case hex comes out lower; a deletion told by the flag, or by
	 * zeros when an older payload has none. */
	json = push_json("refs/heads/gone", "0123456789ABCDEF0123456789ABCDEF01234567", "true");
	CHECK_INT(read_push("Application/JSON; charset=utf-8", json, &p, &why), 0);
	CHECK_STR(p.after, SHA);
	CHECK(p.deleted);
	sw_webhook_push_free(&p);
	free(json);
	json = push_json("refs/heads/gone", ZEROS, NULL);
	CHECK_INT(read_push("application/json", json, &p, &why), 0);
	CHECK(p.deleted);
	sw_webhook_push_free(&p);
	free(json);

	/* A form: '+' is a space, %XX a byte, other fields are passed over. */
	CHECK_INT(read_push("application/x-www-form-urlencoded",
			    "x=1&payload=%7B%22ref%22%3A%22refs%2Fheads%2Fa+b%22%2C%22after%22%3A%22" SHA
			    "%22%2C%22repository%22%3A%7B%22full_name%22%3A%22acme%2Fshop%22%7D%7D&y=2",
			    &p, &why),
		  0);
	CHECK_STR(p.ref, "refs/heads/a b");
	CHECK_STR(p.repository, "acme/shop");
	sw_webhook_push_free(&p);

	expect_refused("application/json", "{\"ref\":", 400, "not JSON");
	expect_refused("application/json", "", 400, "not JSON");
	/* cJSON alone would take this: one document, then more bytes. */
	expect_refused("application/json", "{} {}", 400, "not JSON");
	expect_refused("application/json", "[1]", 400, "not a JSON object");
	expect_refused("application/json", "{\"after\":\"" SHA "\",\"repository\":{\"full_name\":\"a/b\"}}", 400,
		       "\"ref\"");
	expect_refused("application/json", "{\"ref\":\"r\",\"after\":\"" SHA "\",\"repository\":{}}", 400,
		       "\"repository.full_name\"");
	expect_refused("application/json", "{\"ref\":\"r\",\"after\":\"" SHA "\",\"repository\":\"a/b\"}", 400,
		       "\"repository.full_name\"");
	expect_refused("application/json", "{\"ref\":\"r\",\"repository\":{\"full_name\":\"a/b\"}}", 400, "\"after\"");
	expect_refused("application/json", "{\"ref\":\"r\",\"after\":\"abc\",\"repository\":{\"full_name\":\"a/b\"}}",
		       400, "40 hex digits");
	expect_refused("application/json",
		       "{\"ref\":\"r\",\"after\":\"" SHA "\",\"deleted\":1,\"repository\":{\"full_name\":\"a/b\"}}", 400,
		       "\"deleted\"");
	expect_refused("application/json",
		       "{\"ref\":\"r\\n\\u001b[2J\",\"after\":\"" SHA "\",\"repository\":{\"full_name\":\"a/b\"}}", 400,
		       "control character");
	expect_refused("application/json", "{\"ref\":\"r\\u0000x\"}", 400, "not JSON");
	expect_refused("application/x-www-form-urlencoded", "other=1", 400, "no payload field");
	expect_refused("application/x-www-form-urlencoded", "payload=%7", 400, "two hex digits");
	expect_refused("application/x-www-form-urlencoded", "payload=%zz", 400, "two hex digits");
	expect_refused("application/x-www-form-urlencoded", "payload=", 400, "not JSON");
	expect_refused(NULL, "{}", 415, "no Content-Type");
	expect_refused("text/plain", "{}", 415, "Content-Type \"text/plain\"");
	/* application/jsonx is not application/json. */
	expect_refused("application/jsonx", "{}", 415, "only application/json");
	expect_refused("text/\x1b[31mplain", "{}", 415, "^[[31m");
}

int main(void)
{
	RUN_TEST(test_read_push);
	UNIT_EXIT();
}
