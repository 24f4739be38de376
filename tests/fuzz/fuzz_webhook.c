/* A push delivery's body as anybody on the network can send it, through
 * sw_webhook_read_push (core/webhook_payload.c).  The receiver checks the
 * signature first, but a hook's secret can leak: the reader is the next
 * line of defence.  The first byte picks the content type: even for JSON,
 * odd for GitHub's form; the rest is the body. */
#include "fuzz.h"

#include "slipway/webhook.h"

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return strlen(s) == n;
}

static bool no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void check_push(const struct sw_webhook_push *p)
{
	FUZZ_CHECK(p->delivery == NULL);
	FUZZ_CHECK(p->ref && *p->ref && no_controls(p->ref) && sw_utf8_valid(p->ref, strlen(p->ref)));
	FUZZ_CHECK(p->repository && *p->repository && no_controls(p->repository));
	FUZZ_CHECK(sw_utf8_valid(p->repository, strlen(p->repository)));
	FUZZ_CHECK(p->after && is_lower_hex(p->after, 40));
}

static bool same_push(const struct sw_webhook_push *a, const struct sw_webhook_push *b)
{
	return !strcmp(a->ref, b->ref) && !strcmp(a->repository, b->repository) && !strcmp(a->after, b->after) &&
	       a->deleted == b->deleted;
}

/* A JSON body read, then sent again as a form with every byte escaped:
 * the same push. */
static void check_as_form(const char *body, size_t len, const struct sw_webhook_push *want)
{
	struct sbuf form;
	sbuf_init(&form);
	sbuf_adds(&form, "payload=");
	for (size_t i = 0; i < len; i++)
		sbuf_addf(&form, "%%%02X", (unsigned char)body[i]);
	struct sw_webhook_push p;
	char *err = NULL;
	FUZZ_CHECK(sw_webhook_read_push("application/x-www-form-urlencoded", form.buf, form.len, &p, &err) == 0);
	FUZZ_CHECK(err == NULL && same_push(&p, want));
	sw_webhook_push_free(&p);
	sbuf_free(&form);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	bool json = (data[0] & 1) == 0;
	char *body = fuzz_copy(data + 1, size - 1);
	struct sw_webhook_push p;
	char *err = NULL;
	int status = sw_webhook_read_push(json ? "application/json" : "application/x-www-form-urlencoded", body,
					  size - 1, &p, &err);
	if (status == 0) {
		FUZZ_CHECK(err == NULL);
		check_push(&p);
		if (json)
			check_as_form(body, size - 1, &p);
	} else {
		/* Only what a body can be refused for: not 415, which is the
		 * content type's. */
		FUZZ_CHECK(status == 400 && fuzz_one_line(err) && no_controls(err));
		FUZZ_CHECK(!p.delivery && !p.repository && !p.ref && !p.after && !p.deleted);
	}
	sw_webhook_push_free(&p);
	free(err);
	free(body);
	return 0;
}
