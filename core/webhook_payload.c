/* What a push delivery's body says (see slipway/webhook.h): its JSON, sent
 * as it is or as a form's payload field, and the fields slipway watch
 * needs.  Apart from the server so that the fuzz harness links cJSON and
 * this alone. */
#include "slipway/webhook.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "slipway/json_check.h"
#include "slipway/util.h"
#include "webhook_internal.h"

char *sw_webhook_quoted(const char *s)
{
	size_t len = strlen(s);
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_addc(&sb, '"');
	sw_term_clean(&sb, s, len > SW_WEBHOOK_QUOTED_MAX ? SW_WEBHOOK_QUOTED_MAX : len);
	sbuf_adds(&sb, len > SW_WEBHOOK_QUOTED_MAX ? "...\"" : "\"");
	return sbuf_detach(&sb);
}

/* "application/json; charset=utf-8" is application/json. */
static bool media_type_is(const char *content_type, const char *type)
{
	size_t n = strlen(type);
	if (strncasecmp(content_type, type, n))
		return false;
	const char *p = content_type + n;
	p += strspn(p, " \t");
	return *p == '\0' || *p == ';';
}

int sw_webhook_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0, len) with '+' a space and %XX a byte, as forms encode. */
static int form_decode(const char *s, size_t len, struct sbuf *out, char **err)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			sbuf_addc(out, ' ');
		} else if (s[i] != '%') {
			sbuf_addc(out, s[i]);
		} else if (i + 2 < len && sw_webhook_hex_value(s[i + 1]) >= 0 && sw_webhook_hex_value(s[i + 2]) >= 0) {
			sbuf_addc(out, (char)(sw_webhook_hex_value(s[i + 1]) << 4 | sw_webhook_hex_value(s[i + 2])));
			i += 2;
		} else {
			*err = xasprintf("the form's payload field has a '%%' at byte %zu not followed by two hex digits",
					 i);
			return -1;
		}
	}
	return 0;
}

/* GitHub's form is the one field payload=<the JSON, encoded>. */
static int form_payload(const char *body, size_t len, struct sbuf *out, char **err)
{
	static const char key[] = "payload=";
	for (size_t i = 0; i < len;) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - body) : len;
		if (end - i >= sizeof key - 1 && !memcmp(body + i, key, sizeof key - 1))
			return form_decode(body + i + sizeof key - 1, end - i - (sizeof key - 1), out, err);
		i = end + 1;
	}
	*err = xstrdup("the form has no payload field");
	return -1;
}

/* A non-empty string of no control characters: a ref or a repository name
 * goes to logs and to git as it is. */
static const char *text_field(const cJSON *obj, const char *key, const char *name, char **err)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
	if (!s || !*s) {
		*err = xasprintf("the payload has no field \"%s\" (a non-empty string)", name);
		return NULL;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*err = xasprintf("the payload's field \"%s\" holds a control character", name);
			return NULL;
		}
	return s;
}

static bool is_commit_id(const char *s)
{
	size_t n = 0;
	while (s[n] && sw_webhook_hex_value(s[n]) >= 0)
		n++;
	return n == 40 && !s[n];
}

static int push_fields(const cJSON *root, struct sw_webhook_push *out, char **err)
{
	if (!cJSON_IsObject(root)) {
		*err = xstrdup("the payload is not a JSON object");
		return -1;
	}
	const char *ref = text_field(root, "ref", "ref", err);
	const char *repo = ref ? text_field(cJSON_GetObjectItemCaseSensitive(root, "repository"), "full_name",
					    "repository.full_name", err)
			       : NULL;
	const char *after = repo ? text_field(root, "after", "after", err) : NULL;
	if (!after)
		return -1;
	if (!is_commit_id(after)) {
		*err = xstrdup("the payload's field \"after\" is not a commit id of 40 hex digits");
		return -1;
	}
	const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(root, "deleted");
	if (deleted && !cJSON_IsBool(deleted)) {
		*err = xstrdup("the payload's field \"deleted\" is not true or false");
		return -1;
	}
	out->ref = xstrdup(ref);
	out->repository = xstrdup(repo);
	out->after = xstrdup(after);
	for (char *p = out->after; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	/* An older payload without the flag: a deletion moves the ref to zeros. */
	out->deleted = deleted ? cJSON_IsTrue(deleted) : strspn(out->after, "0") == 40;
	return 0;
}

static int read_json(const char *json, size_t len, struct sw_webhook_push *out, char **err)
{
	/* Strict: cJSON alone takes trailing bytes and cuts strings at \u0000. */
	char *bad = sw_json_check(json, len, "payload");
	if (bad) {
		struct sbuf sb;
		sbuf_init(&sb);
		sbuf_adds(&sb, "the body is not JSON: ");
		sw_term_clean(&sb, bad, strlen(bad));
		free(bad);
		*err = sbuf_detach(&sb);
		return -1;
	}
	cJSON *root = cJSON_ParseWithLength(json, len);
	int r = push_fields(root, out, err);
	cJSON_Delete(root);
	return r;
}

int sw_webhook_read_push(const char *content_type, const char *body, size_t len, struct sw_webhook_push *out,
			 char **err)
{
	*out = (struct sw_webhook_push){0};
	if (!content_type || !*content_type) {
		*err = xstrdup("no Content-Type: application/json or application/x-www-form-urlencoded");
		return 415;
	}
	if (media_type_is(content_type, "application/json"))
		return read_json(body ? body : "", len, out, err) ? 400 : 0;
	if (!media_type_is(content_type, "application/x-www-form-urlencoded")) {
		char *ct = sw_webhook_quoted(content_type);
		*err = xasprintf("Content-Type %s: only application/json and application/x-www-form-urlencoded", ct);
		free(ct);
		return 415;
	}
	struct sbuf json;
	sbuf_init(&json);
	int r = form_payload(body ? body : "", len, &json, err);
	if (r == 0)
		r = read_json(json.buf ? json.buf : "", json.len, out, err);
	sbuf_free(&json);
	return r ? 400 : 0;
}

void sw_webhook_push_free(struct sw_webhook_push *p)
{
	free(p->delivery);
	free(p->repository);
	free(p->ref);
	free(p->after);
	*p = (struct sw_webhook_push){0};
}
