/* Unit tests of secret masking: one pass over every occurrence, the cut of
 * a long line, multi-line values, refused lengths, masked files and
 * metrics.  The values are made up; none is a real secret. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slipway/metrics.h"
#include "slipway/secrets.h"
#include "slipway/util.h"
#include "unit.h"

static char *masked(const struct sw_secrets *s, const char *text)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, text);
	sw_secrets_mask(s, &sb);
	return sbuf_detach(&sb);
}

#define CHECK_MASKED(s, text, want)              \
	do {                                     \
		char *m_ = masked((s), (text));  \
		CHECK_STR(m_, (want));           \
		free(m_);                        \
	} while (0)

static char *repeat(char c, size_t n)
{
	char *p = xmalloc(n + 1);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

/* Cuts input into parts of part bytes as the executor cuts a long line
 * (emit_part), the last part masked whole; the parts joined by '\n'. */
static char *emit_in_parts(const struct sw_secrets *s, const char *input, size_t part, size_t hold)
{
	struct sbuf out, line;
	sbuf_init(&out);
	sbuf_init(&line);
	size_t n = strlen(input), at = 0;
	while (n - at > part - line.len) {
		size_t room = part - line.len;
		sbuf_add(&line, input + at, room);
		at += room;
		size_t cut = sw_secrets_cut(s, line.buf, line.len, hold, &out);
		sbuf_addc(&out, '\n');
		memmove(line.buf, line.buf + cut, line.len - cut);
		line.len -= cut;
	}
	sbuf_add(&line, input + at, n - at);
	sw_secrets_mask(s, &line);
	sbuf_add(&out, line.buf, line.len);
	sbuf_free(&line);
	return sbuf_detach(&out);
}

static void overlapping_secrets_are_masked_whole(void)
{
	struct sw_secrets s = {0};
	/* The short one first: masking it first left "***-Tok3n-Val". */
	sw_secrets_add(&s, "SHORT", "S3cr3t");
	sw_secrets_add(&s, "LONG", "S3cr3t-Tok3n-Val");
	CHECK_MASKED(&s, "a=S3cr3t-Tok3n-Val b=S3cr3t", "a=*** b=***");
	sw_secrets_free(&s);
	sw_secrets_add(&s, "A", "abcd");
	sw_secrets_add(&s, "B", "cdef");
	CHECK_MASKED(&s, "xabcdefx abcd cdef", "x***x *** ***");
	sw_secrets_free(&s);
}

static void nested_secret_is_masked_with_its_container(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "INNER", "Inn3r");
	sw_secrets_add(&s, "OUTER", "pre-Inn3r-post");
	CHECK_MASKED(&s, "1 pre-Inn3r-post 2 Inn3r 3 pre-Inn3r", "1 *** 2 *** 3 pre-***");
	sw_secrets_free(&s);
}

static void adjacent_and_repeated_occurrences_are_one_mask(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "A", "tok1");
	sw_secrets_add(&s, "B", "tok2");
	CHECK_MASKED(&s, "tok1tok2tok1", "***");
	CHECK_MASKED(&s, "tok1-tok1 tok2", "***-*** ***");
	sw_secrets_free(&s);
	/* Overlapping occurrences of one secret. */
	sw_secrets_add(&s, "A", "aaaa");
	CHECK_MASKED(&s, "b aaaaaaaaa b aaa", "b *** b aaa");
	sw_secrets_free(&s);
}

static void line_without_secret_is_left_alone(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "A", "tok1");
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, "nothing to see: tok tok2 ok1");
	const char *before = sb.buf;
	sw_secrets_mask(&s, &sb);
	CHECK(sb.buf == before);	/* no copy made */
	CHECK_STR(sb.buf, "nothing to see: tok tok2 ok1");
	sbuf_free(&sb);
	struct sbuf empty;
	sbuf_init(&empty);
	sw_secrets_mask(&s, &empty);
	CHECK_INT(empty.len, 0);
	sw_secrets_free(&s);
}

static void text_is_masked_in_place(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "A", "tok1");
	char *text = NULL;
	CHECK(!sw_secrets_mask_text(&s, &text));
	CHECK(text == NULL);
	text = xstrdup("clean");
	CHECK(!sw_secrets_mask_text(&s, &text));
	CHECK_STR(text, "clean");
	free(text);
	text = xstrdup("x tok1 y");
	CHECK(sw_secrets_mask_text(&s, &text));
	CHECK_STR(text, "x *** y");
	free(text);
	sw_secrets_free(&s);
}

static void multi_line_secret_is_masked_line_by_line(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "CERT", "-----BEGIN-----\r\nline-one\nab\nline-two\n");
	/* Output comes a line at a time; a line under 4 bytes is not masked. */
	CHECK_MASKED(&s, "-----BEGIN-----\r", "***\r");
	CHECK_MASKED(&s, "got line-one", "got ***");
	CHECK_MASKED(&s, "ab", "ab");
	CHECK_MASKED(&s, "line-two", "***");
	/* Text that keeps line ends (a report) has it whole, short line too. */
	CHECK_MASKED(&s, "x -----BEGIN-----\r\nline-one\nab\nline-two y", "x *** y");
	/* The longest line, not the whole value, is what a cut must keep. */
	CHECK_INT(sw_secrets_longest(&s), 15);
	sw_secrets_free(&s);
	/* One line and its line end is a one-line secret, short or not. */
	sw_secrets_add(&s, "T", "ab\r\n");
	CHECK_MASKED(&s, "x ab y", "x *** y");
	CHECK_INT(sw_secrets_longest(&s), 2);
	sw_secrets_free(&s);
	sw_secrets_add(&s, "EMPTY", "");
	sw_secrets_add(&s, "NL", "\n");
	CHECK_INT(s.npatterns, 0);
	CHECK_MASKED(&s, "a\nb", "a\nb");
	sw_secrets_free(&s);
}

static void cut_with_no_secret_keeps_hold_back(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "A", "tok1");
	char *x = repeat('x', 64);
	struct sbuf m;
	sbuf_init(&m);
	CHECK_INT(sw_secrets_cut(&s, x, 64, 3, &m), 61);
	CHECK_INT(m.len, 61);
	sbuf_reset(&m);
	/* A hold as long as the line: nothing held, the whole masked. */
	memcpy(x, "tok1", 4);
	CHECK_INT(sw_secrets_cut(&s, x, 10, 10, &m), 10);
	CHECK_STR(m.buf, "***xxxxxx");
	sbuf_free(&m);
	free(x);
	sw_secrets_free(&s);
}

/* The bug: the short secret, whole before the 64-byte mark, was masked
 * before the hold-back was taken, so the long one never matched again. */
static void long_secret_across_the_cut_with_short_inside(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "SHORT", "Sh0rt");
	sw_secrets_add(&s, "LONG", "m-Sh0rt-Tok3n-Val-99");
	size_t hold = sw_secrets_longest(&s) - 1;
	char *xs = repeat('x', 50), *tail = repeat('x', 30);
	char *in = xasprintf("%s%s%s", xs, "m-Sh0rt-Tok3n-Val-99", tail);
	char *out = emit_in_parts(&s, in, 64, hold);
	char *want = xasprintf("%.45s\n%.5s***%s", xs, xs, tail);
	CHECK_STR(out, want);
	free(out);
	free(want);
	free(in);
	free(xs);
	free(tail);
	sw_secrets_free(&s);
}

/* A masked range across len - hold: the cut moves back to its start. */
static void cut_moves_back_before_a_masked_range(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "SHORT", "Sh0rt");
	sw_secrets_add(&s, "LONG", "m-Sh0rt-Tok3n-Val-99");
	char *xs = repeat('x', 40), *tail = repeat('x', 30);
	char *in = xasprintf("%s%s%s", xs, "m-Sh0rt-Tok3n-Val-99", tail);
	struct sbuf m;
	sbuf_init(&m);
	CHECK_INT(sw_secrets_cut(&s, in, 64, 19, &m), 40);
	CHECK_STR(m.buf, xs);
	sbuf_free(&m);
	char *out = emit_in_parts(&s, in, 64, 19);
	char *want = xasprintf("%s\n***%s", xs, tail);
	CHECK_STR(out, want);
	free(out);
	free(want);
	free(in);
	free(xs);
	free(tail);
	sw_secrets_free(&s);
}

/* Moving back would emit less than half the line: forward to its end. */
static void cut_moves_forward_past_a_masked_range(void)
{
	struct sw_secrets s = {0};
	char *secret = xasprintf("%s", "0123456789abcdefghijklmnopqrstuvw");	/* 33 bytes */
	sw_secrets_add(&s, "S", secret);
	char *in = xasprintf("%s%s%s", "xxxxxxxxxx", secret, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
	struct sbuf m;
	sbuf_init(&m);
	CHECK_INT(sw_secrets_cut(&s, in, 64, 32, &m), 43);
	CHECK_STR(m.buf, "xxxxxxxxxx***");
	sbuf_free(&m);
	free(in);
	free(secret);
	sw_secrets_free(&s);
}

/* A secret repeated over several parts: no byte of it is emitted. */
static void repeated_secret_over_many_parts(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "A", "aaaa");
	char *in = repeat('a', 200);
	char *out = emit_in_parts(&s, in, 64, 3);
	CHECK(strchr(out, 'a') == NULL);
	free(out);
	free(in);
	sw_secrets_free(&s);
}

static void too_long_secrets_are_refused(void)
{
	struct strlist names = {0}, missing = {0};
	strlist_add(&names, "OK");
	strlist_add(&names, "BIG_TOKEN");
	char *big = repeat('k', 40000);
	char *ok = xasprintf("OK=%s", "fine-value");
	char *bad = xasprintf("BIG_TOKEN=%s", big);
	char *env[] = {ok, bad, NULL};
	struct sw_secrets s;
	char *err = NULL;
	CHECK_INT(sw_secrets_collect(&names, env, NULL, &s, &missing, &err), -1);
	CHECK_STR(err, "secret BIG_TOKEN is 40000 bytes long: slipway masks secrets of at most 32768 bytes");
	CHECK_INT(s.n, 0);
	free(err);
	err = NULL;
	free(bad);
	bad = xasprintf("BIG_TOKEN=first line\n%s\nlast", big);
	env[1] = bad;
	CHECK_INT(sw_secrets_collect(&names, env, NULL, &s, &missing, &err), -1);
	CHECK_STR(err, "secret BIG_TOKEN has a line of 40000 bytes: slipway masks secret lines of at most 32768 bytes");
	free(err);
	err = NULL;
	free(bad);
	big[32768] = '\0';
	bad = xasprintf("BIG_TOKEN=%s", big);
	env[1] = bad;
	CHECK_INT(sw_secrets_collect(&names, env, NULL, &s, &missing, &err), 0);
	CHECK_INT(s.n, 2);
	CHECK_INT(sw_secrets_longest(&s), 32768);
	sw_secrets_free(&s);
	free(bad);
	free(ok);
	free(big);
	strlist_free(&names);
	strlist_free(&missing);
}

static char *read_all(const char *path)
{
	char *text = sw_read_file(path, NULL);
	return text ? text : xstrdup("(unreadable)");
}

static void write_text(const char *path, const char *text)
{
	CHECK_INT(sw_write_atomic(path, text, strlen(text), false), 0);
}

static ino_t inode_of(const char *path)
{
	struct stat st;
	return lstat(path, &st) ? 0 : st.st_ino;
}

/* Larger than a masking window, with secrets across window boundaries. */
static char *big_report(size_t *len)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (int i = 0; sb.len < 700 * 1024; i++)
		sbuf_addf(&sb, "<testcase name=\"case %d\"/>%s", i, i % 997 == 0 ? "fil3-s3cr3t" : "");
	*len = sb.len;
	return sbuf_detach(&sb);
}

static void files_are_masked_where_they_are_kept(void)
{
	char dir[] = "/tmp/sw-unit-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "F", "fil3-s3cr3t");
	char *sub = xasprintf("%s/html", dir), *a = xasprintf("%s/junit.xml", dir);
	char *b = xasprintf("%s/html/index.html", dir), *clean = xasprintf("%s/clean.txt", dir);
	char *outside = xasprintf("%s.outside", dir), *link = xasprintf("%s/link", dir);
	char *big = xasprintf("%s/big.xml", dir);
	mkdir(sub, 0755);
	write_text(a, "<testcase name=\"fil3-s3cr3t\"/>");
	chmod(a, 0640);
	write_text(b, "<p>fil3-s3cr3t and fil3-s3cr3t</p>");
	write_text(clean, "nothing here");
	write_text(outside, "fil3-s3cr3t outside");
	CHECK_INT(symlink(outside, link), 0);
	size_t len;
	char *text = big_report(&len);
	write_text(big, text);
	ino_t clean_ino = inode_of(clean);
	struct strlist warnings = {0};
	sw_secrets_mask_tree(&s, dir, &warnings);
	CHECK_INT(warnings.len, 0);
	char *got = read_all(a);
	CHECK_STR(got, "<testcase name=\"***\"/>");
	free(got);
	struct stat st;
	CHECK(stat(a, &st) == 0 && (st.st_mode & 0777) == 0640);
	got = read_all(b);
	CHECK_STR(got, "<p>*** and ***</p>");
	free(got);
	CHECK(inode_of(clean) == clean_ino);	/* not rewritten */
	got = read_all(outside);
	CHECK_STR(got, "fil3-s3cr3t outside");	/* a link is not followed */
	free(got);
	struct sbuf want;
	sbuf_init(&want);
	sbuf_add(&want, text, len);
	sw_secrets_mask(&s, &want);
	got = read_all(big);
	CHECK(strcmp(got, want.buf) == 0);
	free(got);
	sbuf_free(&want);
	free(text);
	strlist_free(&warnings);
	unlink(outside);
	sw_remove_tree(dir);
	free(sub);
	free(a);
	free(b);
	free(clean);
	free(outside);
	free(link);
	free(big);
	sw_secrets_free(&s);
}

static bool mask_cb(char **text, void *secrets)
{
	return sw_secrets_mask_text(secrets, text);
}

static void metrics_strings_are_masked(void)
{
	struct sw_secrets s = {0};
	sw_secrets_add(&s, "M", "m3tr1c");
	struct sw_metrics m = {0};
	m.tests.known = true;
	m.tests.failures = xcalloc(1, sizeof *m.tests.failures);
	m.tests.failures[0] = (struct sw_failure){xstrdup("test_m3tr1c"), xstrdup("got m3tr1c")};
	m.tests.nfailures = 1;
	m.lint.known = true;
	sw_count_add(&m.lint.by_file, &m.lint.nfiles, "a/m3tr1c-1.py", 2);
	sw_count_add(&m.lint.by_file, &m.lint.nfiles, "a/b.py", 1);
	sw_count_add(&m.lint.by_code, &m.lint.ncodes, "E1m3tr1c", 1);
	m.coverage.known = true;
	m.coverage.files = xcalloc(2, sizeof *m.coverage.files);
	m.coverage.files[0] = (struct sw_file_coverage){xstrdup("zzz.py"), 50};
	m.coverage.files[1] = (struct sw_file_coverage){xstrdup("m3tr1c.py"), 50};
	m.coverage.nfiles = 2;
	sw_metrics_set_custom(&m, "m3tr1c_size", 1);
	sw_metrics_rewrite_strings(&m, mask_cb, &s);
	CHECK_STR(m.tests.failures[0].name, "test_***");
	CHECK_STR(m.tests.failures[0].message, "got ***");
	/* Sorted again: '*' comes before 'b'. */
	CHECK_INT(m.lint.nfiles, 2);
	CHECK_STR(m.lint.by_file[0].key, "a/***-1.py");
	CHECK_INT(m.lint.by_file[0].n, 2);
	CHECK_STR(m.lint.by_file[1].key, "a/b.py");
	CHECK_STR(m.lint.by_code[0].key, "E1***");
	CHECK_STR(m.coverage.files[0].path, "***.py");
	CHECK_STR(m.custom[0].name, "***_size");
	sw_metrics_free(&m);
	/* Two files that differed by a secret are one now. */
	sw_count_add(&m.lint.by_file, &m.lint.nfiles, "x/m3tr1c/a.py", 2);
	sw_count_add(&m.lint.by_file, &m.lint.nfiles, "x/s3c0nd/a.py", 1);
	sw_secrets_add(&s, "S", "s3c0nd");
	sw_metrics_rewrite_strings(&m, mask_cb, &s);
	CHECK_INT(m.lint.nfiles, 1);
	CHECK_STR(m.lint.by_file[0].key, "x/***/a.py");
	CHECK_INT(m.lint.by_file[0].n, 3);
	sw_metrics_free(&m);
	sw_secrets_free(&s);
}

int main(void)
{
	RUN_TEST(overlapping_secrets_are_masked_whole);
	RUN_TEST(nested_secret_is_masked_with_its_container);
	RUN_TEST(adjacent_and_repeated_occurrences_are_one_mask);
	RUN_TEST(line_without_secret_is_left_alone);
	RUN_TEST(text_is_masked_in_place);
	RUN_TEST(multi_line_secret_is_masked_line_by_line);
	RUN_TEST(cut_with_no_secret_keeps_hold_back);
	RUN_TEST(long_secret_across_the_cut_with_short_inside);
	RUN_TEST(cut_moves_back_before_a_masked_range);
	RUN_TEST(cut_moves_forward_past_a_masked_range);
	RUN_TEST(repeated_secret_over_many_parts);
	RUN_TEST(too_long_secrets_are_refused);
	RUN_TEST(files_are_masked_where_they_are_kept);
	RUN_TEST(metrics_strings_are_masked);
	UNIT_EXIT();
}
