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

/* A splitter whose secret is secret, and what it handed on. */
struct fixture {
	struct sw_secrets sec;
	struct seen s;
	struct sw_lines l;
};

static void fixture_open(struct fixture *f, const char *secret)
{
	memset(f, 0, sizeof *f);
	secrets_of(&f->sec, secret);
	sbuf_init(&f->s.text);
	sw_lines_init(&f->l, &f->sec, record, &f->s);
}

static void fixture_close(struct fixture *f)
{
	sw_lines_free(&f->l);
	sbuf_free(&f->s.text);
	sw_secrets_free(&f->sec);
}

static void pieces_of_any_size_become_lines(void)
{
	struct fixture f;
	fixture_open(&f, "s3cr3t");
	static const char *const pieces[] = {"ab", "c\nde", "f\n", "\n", "g"};
	for (size_t i = 0; i < 5; i++)
		sw_lines_feed(&f.l, pieces[i], strlen(pieces[i]));
	CHECK_STR(f.s.text.buf, "abc\ndef\n\n");
	sw_lines_finish(&f.l);
	CHECK_STR(f.s.text.buf, "abc\ndef\n\ng|");	/* the last line, without its newline */
	sw_lines_finish(&f.l);
	CHECK_INT(f.s.parts, 4);				/* nothing left to finish twice */
	fixture_close(&f);
}

static void a_secret_split_across_reads_is_masked(void)
{
	struct fixture f;
	fixture_open(&f, "s3cr3t");
	const char *out = "login s3cr3t, again s3cr3t\n";
	for (size_t i = 0; out[i]; i++)		/* one byte a read */
		sw_lines_feed(&f.l, out + i, 1);
	CHECK_STR(f.s.text.buf, "login ***, again ***\n");
	fixture_close(&f);
}

static void a_long_line_is_cut_but_not_through_a_secret(void)
{
	/* The secret straddles the place a plain cut would fall. */
	char secret[65];
	memset(secret, 'k', 64);
	secret[64] = '\0';
	struct fixture f;
	fixture_open(&f, secret);
	struct sbuf in;
	sbuf_init(&in);
	for (size_t i = 0; i < SW_LINE_MAX - 10; i++)
		sbuf_addc(&in, 'a');
	sbuf_adds(&in, secret);
	for (size_t i = 0; i < SW_LINE_MAX; i++)
		sbuf_addc(&in, 'b');
	sbuf_addc(&in, '\n');
	for (size_t at = 0; at < in.len; at += 4096)
		sw_lines_feed(&f.l, in.buf + at, in.len - at < 4096 ? in.len - at : 4096);
	CHECK(f.s.parts >= 3);
	CHECK(f.s.longest <= SW_LINE_MAX);
	CHECK(strstr(f.s.text.buf, "k") == NULL);		/* not one byte of it got out */
	size_t masks = 0;
	for (const char *p = f.s.text.buf; (p = strstr(p, "***")); p += 3)
		masks++;
	CHECK_INT(masks, 1);
	sbuf_free(&in);
	fixture_close(&f);
}

int main(void)
{
	RUN_TEST(pieces_of_any_size_become_lines);
	RUN_TEST(a_secret_split_across_reads_is_masked);
	RUN_TEST(a_long_line_is_cut_but_not_through_a_secret);
	UNIT_EXIT();
}
