/* The executor's line splitting and masking (core/lines.c): a stage's
 * output in pieces of any size becomes whole lines, masked, and a line too
 * long to keep is cut, never through a secret. */
#include "unit.h"

#include "core/lines.h"
#include "slipway/secrets.h"
#include "slipway/util.h"

/* What the executor would write: each part, and "\n" or "|" after it for
 * a line's end or a cut without one. */
struct seen {
	struct sbuf text;
	size_t parts, longest;
};

static void record(void *ctx, const char *line, size_t len, bool newline)
{
	struct seen *s = ctx;
	sbuf_add(&s->text, line, len);
	sbuf_addc(&s->text, newline ? '\n' : '|');
	s->parts++;
	if (len > s->longest)
		s->longest = len;
}

/* Secrets named TOKEN, taken from env ("TOKEN=..."). */
static void secrets_of(struct sw_secrets *sec, const char *value)
{
	struct strlist names = {0}, missing = {0}, env = {0};
	strlist_add(&names, "TOKEN");
	strlist_addf(&env, "TOKEN=%s", value);
	char *err = NULL;
	CHECK_INT(sw_secrets_collect(&names, env.items, "/nonexistent/secrets", sec, &missing, &err), 0);
	free(err);
	strlist_free(&names);
	strlist_free(&missing);
	strlist_free(&env);
}

static void pieces_of_any_size_become_lines(void)
{
	struct sw_secrets sec;
	secrets_of(&sec, "s3cr3t");
	struct seen s = {0};
	sbuf_init(&s.text);
	struct sw_lines l;
	sw_lines_init(&l, &sec, record, &s);
	static const char *const pieces[] = {"ab", "c\nde", "f\n", "\n", "g"};
	for (size_t i = 0; i < 5; i++)
		sw_lines_feed(&l, pieces[i], strlen(pieces[i]));
	CHECK_STR(s.text.buf, "abc\ndef\n\n");
	sw_lines_finish(&l);
	CHECK_STR(s.text.buf, "abc\ndef\n\ng|");	/* the last line, without its newline */
	sw_lines_finish(&l);
	CHECK_INT(s.parts, 4);				/* nothing left to finish twice */
	sw_lines_free(&l);
	sbuf_free(&s.text);
	sw_secrets_free(&sec);
}

static void a_secret_split_across_reads_is_masked(void)
{
	struct sw_secrets sec;
	secrets_of(&sec, "s3cr3t");
	struct seen s = {0};
	sbuf_init(&s.text);
	struct sw_lines l;
	sw_lines_init(&l, &sec, record, &s);
	const char *out = "login s3cr3t, again s3cr3t\n";
	for (size_t i = 0; out[i]; i++)		/* one byte a read */
		sw_lines_feed(&l, out + i, 1);
	CHECK_STR(s.text.buf, "login ***, again ***\n");
	sw_lines_free(&l);
	sbuf_free(&s.text);
	sw_secrets_free(&sec);
}

static void a_long_line_is_cut_but_not_through_a_secret(void)
{
	/* The secret straddles the place a plain cut would fall. */
	char secret[65];
	memset(secret, 'k', 64);
	secret[64] = '\0';
	struct sw_secrets sec;
	secrets_of(&sec, secret);
	struct seen s = {0};
	sbuf_init(&s.text);
	struct sw_lines l;
	sw_lines_init(&l, &sec, record, &s);
	struct sbuf in;
	sbuf_init(&in);
	for (size_t i = 0; i < SW_LINE_MAX - 10; i++)
		sbuf_addc(&in, 'a');
	sbuf_adds(&in, secret);
	for (size_t i = 0; i < SW_LINE_MAX; i++)
		sbuf_addc(&in, 'b');
	sbuf_addc(&in, '\n');
	for (size_t at = 0; at < in.len; at += 4096)
		sw_lines_feed(&l, in.buf + at, in.len - at < 4096 ? in.len - at : 4096);
	CHECK(s.parts >= 3);
	CHECK(s.longest <= SW_LINE_MAX);
	CHECK(strstr(s.text.buf, "k") == NULL);		/* not one byte of it got out */
	size_t masks = 0;
	for (const char *p = s.text.buf; (p = strstr(p, "***")); p += 3)
		masks++;
	CHECK_INT(masks, 1);
	sbuf_free(&in);
	sw_lines_free(&l);
	sbuf_free(&s.text);
	sw_secrets_free(&sec);
}

int main(void)
{
	RUN_TEST(pieces_of_any_size_become_lines);
	RUN_TEST(a_secret_split_across_reads_is_masked);
	RUN_TEST(a_long_line_is_cut_but_not_through_a_secret);
	UNIT_EXIT();
}
