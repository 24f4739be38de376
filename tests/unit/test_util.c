/* Unit tests of the shared helpers: text cleaning, atomic writes, globs. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slipway/cmdline.h"
#include "slipway/secrets.h"
#include "slipway/suggest.h"
#include "slipway/util.h"
#include "unit.h"

static char *clean_term(const char *s, size_t len)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, s, len);
	return sbuf_detach(&sb);
}

static void term_clean_neutralises_escapes(void)
{
	char *s = clean_term("a\033[31mred\033]0;title\007\r", 20);
	CHECK_STR(s, "a^[[31mred^[]0;title^G^M");
	free(s);
	s = clean_term("\xc2\x9b" "2J", 4);	/* C1 CSI */
	CHECK_STR(s, "\\u009b2J");
	free(s);
	s = clean_term("caf\xc3\xa9 \xff", 7);
	CHECK_STR(s, "caf\xc3\xa9 \xef\xbf\xbd");
	free(s);
}

static void utf8_clean_replaces_invalid(void)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sw_utf8_clean(&sb, "ok\xe2\x82 \xed\xa0\x80!", 9);
	CHECK_STR(sb.buf, "ok\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
	sbuf_free(&sb);
}

static void iso_time_round_trip(void)
{
	char buf[32];
	sw_iso_time(1764087645, buf);
	CHECK_STR(buf, "2025-11-25T16:20:45Z");
	CHECK_INT(sw_parse_iso_time(buf), 1764087645);
	CHECK_INT(sw_parse_iso_time("yesterday"), -1);
}

static void atomic_write_replaces(void)
{
	char dir[] = "/tmp/sw-unit-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *path = xasprintf("%s/f.json", dir);
	CHECK_INT(sw_write_atomic(path, "one", 3, true), 0);
	CHECK_INT(sw_write_atomic(path, "two!", 4, false), 0);
	size_t len;
	char *text = sw_read_file(path, &len);
	CHECK_STR(text, "two!");
	CHECK_INT(len, 4);
	free(text);
	free(path);
	CHECK_INT(sw_remove_tree(dir), 0);
	CHECK(access(dir, F_OK) != 0);
}

static void glob_and_distance(void)
{
	CHECK(sw_glob_match("feature/*", "feature/a"));
	CHECK(sw_glob_match("development", "development"));
	CHECK(!sw_glob_match("main", "mainline"));
	CHECK_INT(sw_edit_distance("brnaches", "branches"), 2);
	CHECK_INT(sw_edit_distance("", "abc"), 3);
}

static void command_lines_parse_alike(void)
{
	struct sw_run_args r;
	char *err = NULL;
	char *run[] = {xstrdup("run"), xstrdup("development"), xstrdup("-s"), xstrdup("lint"),
		       xstrdup("--again"), xstrdup("--follow"), NULL};
	CHECK_INT(sw_run_args_parse(6, run, &r, &err), 0);
	CHECK_STR(r.ro.branch, "development");
	CHECK_STR(r.ro.stage, "lint");
	CHECK(r.ro.again && r.follow && !r.ro.trigger);
	/* A second parse starts afresh: the prompt parses many lines. */
	char *bad[] = {xstrdup("run"), xstrdup("--stage"), NULL};
	CHECK_INT(sw_run_args_parse(2, bad, &r, &err), -1);
	CHECK_STR(err, "run: --stage needs a value");
	free(err);
	char *two[] = {xstrdup("run"), xstrdup("a"), xstrdup("b"), NULL};
	CHECK_INT(sw_run_args_parse(3, two, &r, &err), -1);
	CHECK_STR(err, "run: one branch at most, got \"a\" and \"b\"");
	free(err);
	struct sw_log_args l;
	char *log[] = {xstrdup("log"), xstrdup("--raw"), xstrdup("latest"), xstrdup("test"), NULL};
	CHECK_INT(sw_log_args_parse(4, log, &l, &err), 0);
	CHECK(l.raw && !l.follow && !l.stages);
	CHECK_STR(l.run, "latest");
	CHECK_STR(l.stage, "test");
	char *unk[] = {xstrdup("log"), xstrdup("-x"), NULL};
	CHECK_INT(sw_log_args_parse(2, unk, &l, &err), -1);
	CHECK_STR(err, "log: -x is not an option");
	free(err);
	char **all[] = {run, bad, two, log, unk};
	for (size_t i = 0; i < 5; i++)
		for (char **a = all[i]; *a; a++)
			free(*a);
}

static void did_you_mean(void)
{
	static const char *const cmds[] = {"run", "status", "history", "log", "cancel"};
	CHECK_STR(sw_suggest("stauts", cmds, 5), "status");
	CHECK_STR(sw_suggest("rnu", cmds, 5), "run");
	CHECK_STR(sw_suggest("hist", cmds, 5), "history");	/* a prefix */
	CHECK(sw_suggest("x", cmds, 5) == NULL);		/* too short to guess at */
	CHECK(sw_suggest("frobnicate", cmds, 5) == NULL);
	static const char *const gates[] = {"coverage_min", "lint_max"};
	CHECK_STR(sw_suggest("lint_maximum", gates, 2), "lint_max");
	static const char *const tie[] = {"lint", "line"};
	CHECK_STR(sw_suggest("lin", tie, 2), "lint");		/* the earlier of equals */
	CHECK(sw_suggest("abc", cmds, 0) == NULL);
}

static void secrets_are_masked(void)
{
	struct strlist names = {0}, missing = {0};
	strlist_add(&names, "TOKEN");
	strlist_add(&names, "ABSENT");
	struct strlist env = {0};
	strlist_add_all(&env, (const char *const[]){"TOKEN=s3cr3t", "OTHER=x", NULL});
	struct sw_secrets s;
	char *err = NULL;
	CHECK_INT(sw_secrets_collect(&names, env.items, "/nonexistent/secrets", &s, &missing, &err), 0);
	CHECK_INT(s.n, 1);
	CHECK_INT(missing.len, 1);
	CHECK_STR(missing.items[0], "ABSENT");
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, "login s3cr3t and s3cr3ts3cr3t");
	sw_secrets_mask(&s, &sb);
	CHECK_STR(sb.buf, "login *** and ***");	/* adjacent: one masked range */
	sbuf_free(&sb);
	sw_secrets_free(&s);
	strlist_free(&names);
	strlist_free(&missing);
	strlist_free(&env);
}

static void secrets_file_must_be_private(void)
{
	char dir[] = "/tmp/sw-unit-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *path = xasprintf("%s/secrets", dir);
	sw_write_atomic(path, "# comment\nTOKEN=fromfile\n\nBAD LINE\n", 35, false);
	chmod(path, 0644);
	struct strlist names = {0}, missing = {0};
	strlist_add(&names, "TOKEN");
	struct sw_secrets s;
	char *err = NULL;
	char *env[] = {NULL};
	CHECK_INT(sw_secrets_collect(&names, env, path, &s, &missing, &err), -1);
	CHECK(err && strstr(err, "chmod 600"));
	free(err);
	err = NULL;
	chmod(path, 0600);
	CHECK_INT(sw_secrets_collect(&names, env, path, &s, &missing, &err), -1);
	CHECK(err && strstr(err, ":4: expected KEY=VALUE"));
	free(err);
	err = NULL;
	sw_write_atomic(path, "TOKEN=fromfile\n", 15, false);
	chmod(path, 0600);
	CHECK_INT(sw_secrets_collect(&names, env, path, &s, &missing, &err), 0);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.items[0].value, "fromfile");
	sw_secrets_free(&s);
	strlist_free(&names);
	strlist_free(&missing);
	free(path);
	sw_remove_tree(dir);
}

static void now_can_be_pinned(void)
{
	char age[16];
	setenv("SLIPWAY_NOW", "1767225690", 1);
	CHECK_INT(sw_now_ms(), 1767225690000LL);
	sw_format_age(1767225600, age, sizeof age);
	CHECK_STR(age, "1m");
	unsetenv("SLIPWAY_NOW");
	CHECK(sw_now_ms() != 1767225690000LL);
}

static void rfc3339_with_fractions_and_zones(void)
{
	CHECK_INT(sw_parse_rfc3339("2026-12-01T15:30:00Z"), 1796139000);
	CHECK_INT(sw_parse_rfc3339("2026-12-01T15:30:00.123456789Z"), 1796139000);
	CHECK_INT(sw_parse_rfc3339("2026-12-01T16:30:00.5+01:00"), 1796139000);
	CHECK_INT(sw_parse_rfc3339("2026-12-01T14:30:00-01:00"), 1796139000);
	CHECK_INT(sw_parse_rfc3339("2026-12-01T15:30:00"), 1796139000);
	CHECK_INT(sw_parse_rfc3339("yesterday"), -1);
	CHECK_INT(sw_parse_rfc3339(NULL), -1);
	CHECK_INT(sw_parse_rfc3339("2026-12-01T21:00:00+05:30"), 1796139000);
	/* No offset that is not one: letters, minutes past an hour, an endless number. */
	CHECK_INT(sw_parse_rfc3339("2026-12-01T15:30:00+ab:cd"), 1796139000);
	CHECK_INT(sw_parse_rfc3339("2026-12-01T15:30:00+01:99"), 1796139000);
	CHECK_INT(sw_parse_rfc3339("2026-12-01T15:30:00+01:99999999999999999999"), 1796139000);
}

int main(void)
{
	RUN_TEST(term_clean_neutralises_escapes);
	RUN_TEST(utf8_clean_replaces_invalid);
	RUN_TEST(iso_time_round_trip);
	RUN_TEST(rfc3339_with_fractions_and_zones);
	RUN_TEST(now_can_be_pinned);
	RUN_TEST(atomic_write_replaces);
	RUN_TEST(glob_and_distance);
	RUN_TEST(did_you_mean);
	RUN_TEST(command_lines_parse_alike);
	RUN_TEST(secrets_are_masked);
	RUN_TEST(secrets_file_must_be_private);
	UNIT_EXIT();
}
