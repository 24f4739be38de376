/* Unit tests for slipway.json reading: the documented sample, defaults,
 * every kind of error message, and robustness against broken text. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slipway/config.h"
#include "slipway/util.h"
#include "unit.h"

/* A minimal valid stage, for tests about something else. */
#define ST "{'name': 'a', 'run': 'true'}"

/* Tests write JSON with single quotes, which read better in C. */
static char *jq(const char *s)
{
	char *d = xstrdup(s);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static bool cfg_is_empty(const struct sw_config *cfg)
{
	static const struct sw_config zero;
	return memcmp(cfg, &zero, sizeof zero) == 0;
}

/* The error for raw text of len bytes (NULL when it parses), checking the
 * contract every error keeps: one line, named source, an empty config. */
static char *error_of_len(const char *text, size_t len)
{
	struct sw_config cfg;
	char *err = NULL;
	/* A copy of exactly len bytes, so that reading past the end is caught. */
	char *copy = xmalloc(len);
	memcpy(copy, text, len);
	int r = sw_config_parse(&cfg, copy, len, "slipway.json", &err);
	free(copy);
	if (r == 0) {
		CHECK(err == NULL);
		sw_config_free(&cfg);
		return NULL;
	}
	CHECK_INT(r, -1);
	CHECK(err != NULL);
	CHECK(cfg_is_empty(&cfg));
	if (err) {
		if (strchr(err, '\n'))
			printf("  multi-line error: %s\n", err);
		CHECK(strchr(err, '\n') == NULL);
		CHECK(sw_utf8_valid(err, strlen(err)));
		CHECK(strncmp(err, "slipway.json:", 13) == 0);
	}
	return err;
}

static char *error_of(const char *text)
{
	return error_of_len(text, strlen(text));
}

#define CHECK_ERR_RAW(text, msg)                  \
	do {                                      \
		char *e_ = error_of(text);        \
		CHECK_STR(e_, msg);               \
		free(e_);                         \
	} while (0)

#define CHECK_ERR(text, msg)                      \
	do {                                      \
		char *t_ = jq(text);              \
		CHECK_ERR_RAW(t_, msg);           \
		free(t_);                         \
	} while (0)

static int parse_q(struct sw_config *cfg, const char *text)
{
	char *t = jq(text), *err = NULL;
	int r = sw_config_parse(cfg, t, strlen(t), "slipway.json", &err);
	if (r)
		printf("  unexpected error: %s\n", err);
	free(err);
	free(t);
	return r;
}

static char *fixture_path(const char *name)
{
	const char *src = getenv("SW_SRCDIR");
	return xasprintf("%s/tests/fixtures/config/%s", src && *src ? src : ".", name);
}

static char *read_fixture(const char *name, size_t *len)
{
	char *path = fixture_path(name);
	char *text = sw_read_file(path, len);
	if (!text)
		printf("  cannot read %s\n", path);
	free(path);
	return text;
}

static void test_sample(void)
{
	struct sw_config cfg;
	char *err = NULL, *path = fixture_path("sample.json");
	int r = sw_config_load_file(&cfg, path, &err);
	free(path);
	CHECK_INT(r, 0);
	if (r) {
		printf("  %s\n", err);
		free(err);
		return;
	}
	CHECK_INT(cfg.version, 1);
	CHECK_STR(cfg.main_branch, "main");
	CHECK_STR(cfg.integration_branch, "development");
	CHECK_INT(cfg.secrets.len, 2);
	CHECK_STR(cfg.secrets.items[0], "DOCKER_USERNAME");
	CHECK_STR(cfg.secrets.items[1], "DOCKER_TOKEN");
	CHECK_INT(cfg.retention_runs, 200);
	CHECK_INT(cfg.max_parallel, 1);
	CHECK_INT(cfg.nstages, 5);
	if (cfg.nstages == 5) {
		const struct sw_stage_config *s = cfg.stages;
		CHECK_STR(s[0].name, "setup");
		CHECK(strncmp(s[0].run, "/usr/bin/python3 -m venv", 24) == 0);
		CHECK_INT(s[0].nparse, 0);
		CHECK_INT(s[0].timeout, 3600);
		CHECK(!s[0].always);
		CHECK_STR(s[1].name, "lint");
		CHECK_STR(s[1].run, ".venv/bin/python -m flake8");
		CHECK_INT(s[1].nparse, 1);
		CHECK_INT(s[1].parse[0].kind, SW_PARSE_FLAKE8);
		CHECK(s[1].parse[0].pattern == NULL && s[1].parse[0].metric == NULL);
		CHECK_STR(s[2].name, "test");
		CHECK_INT(s[2].nparse, 1);
		CHECK_INT(s[2].parse[0].kind, SW_PARSE_PYTEST);
		CHECK_STR(s[2].junit, "junit.xml");
		CHECK_STR(s[2].cobertura, "coverage.xml");
		CHECK_INT(s[2].timeout, 600);
		CHECK(s[1].junit == NULL && s[1].cobertura == NULL);
		CHECK_STR(s[3].name, "image");
		CHECK_INT(s[3].branches.len, 1);
		CHECK_STR(s[3].branches.items[0], "development");
		CHECK_INT(s[3].nenv, 1);
		CHECK_STR(s[3].env[0].name, "IMAGE");
		CHECK_STR(s[3].env[0].value, "oc-lettings");
		CHECK_STR(s[4].name, "cleanup");
		CHECK(s[4].always);
		CHECK(sw_stage_matches(&s[3], "development"));
		CHECK(!sw_stage_matches(&s[3], "main"));
		CHECK(sw_stage_matches(&s[4], "main"));
	}
	CHECK_INT(cfg.ngates, 3);
	if (cfg.ngates == 3) {
		CHECK_STR(cfg.gates[0].name, "coverage_min");
		CHECK_STR(cfg.gates[0].metric, "coverage");
		CHECK(cfg.gates[0].is_min);
		CHECK(cfg.gates[0].limit == 80);
		CHECK_STR(cfg.gates[1].name, "lint_max");
		CHECK_STR(cfg.gates[1].metric, "lint");
		CHECK(!cfg.gates[1].is_min);
		CHECK(cfg.gates[1].limit == 0);
		CHECK_STR(cfg.gates[2].metric, "tests_failed");
	}
	sw_config_free(&cfg);
	CHECK(cfg_is_empty(&cfg));
}

static void test_defaults(void)
{
	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'stages': [" ST "]}"), 0);
	CHECK_INT(cfg.version, 1);
	CHECK_STR(cfg.main_branch, "main");
	CHECK_STR(cfg.integration_branch, "development");
	CHECK_INT(cfg.secrets.len, 0);
	CHECK_INT(cfg.ngates, 0);
	CHECK_INT(cfg.retention_runs, 200);
	CHECK_INT(cfg.max_parallel, 1);
	CHECK_INT(cfg.nstages, 1);
	CHECK_INT(cfg.stages[0].timeout, 3600);
	CHECK_INT(cfg.stages[0].branches.len, 0);
	CHECK_INT(cfg.stages[0].nenv, 0);
	CHECK_INT(cfg.stages[0].nparse, 0);
	CHECK(!cfg.stages[0].always);
	CHECK(!cfg.stages[0].allow_failure);
	CHECK(cfg.stages[0].junit == NULL);
	CHECK(sw_stage_matches(&cfg.stages[0], "anything/at-all"));
	sw_config_free(&cfg);
	CHECK_INT(parse_q(&cfg, "{'stages': [{'name': 'a', 'run': 'x', 'allow_failure': true}]}"), 0);
	CHECK(cfg.stages[0].allow_failure);
	sw_config_free(&cfg);
	CHECK_INT(parse_q(&cfg, "{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': '.venv', 'key': ['requirements.txt', "
				"'dev/req.txt']}, {'path': '~/.cache/pip', 'key': []}, {'path': './build/'}]}]}"), 0);
	CHECK_INT(cfg.stages[0].ncache, 3);
	if (cfg.stages[0].ncache == 3) {
		CHECK_STR(cfg.stages[0].cache[0].path, ".venv");
		CHECK_INT(cfg.stages[0].cache[0].key.len, 2);
		CHECK_STR(cfg.stages[0].cache[0].key.items[1], "dev/req.txt");
		CHECK_STR(cfg.stages[0].cache[1].path, "~/.cache/pip");
		CHECK_INT(cfg.stages[0].cache[1].key.len, 0);
		CHECK_INT(cfg.stages[0].cache[2].key.len, 0);
	}
	CHECK_INT(cfg.stages[0].nenv, 0);
	sw_config_free(&cfg);
}

static void test_other_values(void)
{
	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'main': 'trunk', 'integration': 'dev', 'max_parallel_runs': 4,"
				" 'retention': {'runs': 10}, 'ui': {'theme': 'dark', 'protected': ['main', 'production'], 'read_only': true},"
				" 'stages': [{'name': 'a.b-c_1', 'run': 'x', 'timeout': 0.5,"
				" 'branches': 'release/*', 'env': {'A': '', 'B_2': 'v'}}]}"),
		  0);
	CHECK_STR(cfg.main_branch, "trunk");
	CHECK_STR(cfg.integration_branch, "dev");
	CHECK_STR(cfg.ui_theme, "dark");
	CHECK_INT(cfg.ui_protected.len, 2);
	CHECK(cfg.ui_read_only);
	CHECK_INT(cfg.max_parallel, 4);
	CHECK_INT(cfg.retention_runs, 10);
	CHECK_STR(cfg.stages[0].name, "a.b-c_1");
	CHECK_INT(cfg.stages[0].timeout, 1);
	CHECK_INT(cfg.stages[0].branches.len, 1);
	CHECK(sw_stage_matches(&cfg.stages[0], "release/1.2"));
	CHECK(!sw_stage_matches(&cfg.stages[0], "main"));
	CHECK_INT(cfg.stages[0].nenv, 2);
	CHECK_STR(cfg.stages[0].env[0].value, "");
	CHECK_STR(cfg.stages[0].env[1].name, "B_2");
	sw_config_free(&cfg);

	CHECK_INT(parse_q(&cfg, "{'stages': [{'name': 'a', 'run': 'x', 'timeout': 90.2,"
				" 'branches': ['main', 'feature-*']}]}"),
		  0);
	CHECK_INT(cfg.stages[0].timeout, 91);
	CHECK(sw_stage_matches(&cfg.stages[0], "main"));
	CHECK(sw_stage_matches(&cfg.stages[0], "feature-login"));
	CHECK(!sw_stage_matches(&cfg.stages[0], "development"));
	sw_config_free(&cfg);

	CHECK_INT(parse_q(&cfg, "{'ui': {'theme': 'High-contrast_2'}, 'stages': [" ST "]}"), 0);
	CHECK_STR(cfg.ui_theme, "High-contrast_2");
	sw_config_free(&cfg);
	CHECK_INT(parse_q(&cfg, "{'ui': {'theme': 'a123456789a123456789a123456789a123456789a123456789a123456789abcd'},"
				" 'stages': [" ST "]}"), 0);
	sw_config_free(&cfg);

	/* A byte order mark, and CRLF line ends. */
	CHECK_INT(parse_q(&cfg, "\xef\xbb\xbf{'stages': [" ST "]}\r\n"), 0);
	sw_config_free(&cfg);
}

static void test_syntax_errors(void)
{
	CHECK_ERR("{\n  'stages': [\n    {'name': 'a', 'run': 'b'},\n  ]\n}\n",
		  "slipway.json:3:30: syntax error: trailing comma before ']'");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'b', }]}",
		  "slipway.json:1:37: syntax error: trailing comma before '}'");
	CHECK_ERR("{\n  'main': 'main'\n  'stages': []\n}\n",
		  "slipway.json:2:17: syntax error: missing comma between members");
	CHECK_ERR("{'secrets': ['A' 'B']}",
		  "slipway.json:1:17: syntax error: missing comma between elements");
	CHECK_ERR("{\n  stages: []\n}\n",
		  "slipway.json:2:3: syntax error: unquoted key 'stages' (keys need double quotes)");
	CHECK_ERR("{\n  'main': 'main,\n  'stages': []\n}\n",
		  "slipway.json:2:11: syntax error: unterminated string");
	CHECK_ERR("{'main': 'ma", "slipway.json:1:10: syntax error: unterminated string");
	CHECK_ERR("{'stages': [", "slipway.json:1:13: syntax error: unexpected end of file");
	CHECK_ERR("{'stages': []", "slipway.json:1:14: syntax error: unexpected end of file");
	CHECK_ERR("{'stages': []}}",
		  "slipway.json:1:15: syntax error: unexpected '}' after the end of the document");
	CHECK_ERR("{'stages': }", "slipway.json:1:12: syntax error: unexpected '}'");
	CHECK_ERR("{'main' 'x'}",
		  "slipway.json:1:9: syntax error: expected ':' after the key, found '\"'");
	CHECK_ERR("{\n  // comment\n}",
		  "slipway.json:2:3: syntax error: expected a key in double quotes, found '/' "
		  "(JSON has no comments)");
	CHECK_ERR("{'main': main}",
		  "slipway.json:1:10: syntax error: unexpected 'main' (strings need double quotes)");
	CHECK_ERR("{'ui': {'a': True}}",
		  "slipway.json:1:14: syntax error: unexpected 'True' "
		  "(true, false and null are lower case)");
	CHECK_ERR("{'main': '\\q'}",
		  "slipway.json:1:11: syntax error: invalid escape '\\q' in string");
	CHECK_ERR("{'main': '\\ud800'}",
		  "slipway.json:1:11: syntax error: invalid \\u escape in string (unpaired surrogate)");
	CHECK_ERR("{'retention': {'runs': -}}",
		  "slipway.json:1:24: syntax error: invalid number (a digit must follow '-')");
	CHECK_ERR_RAW("{'stages': []}",
		      "slipway.json:1:2: syntax error: expected a key in double quotes, "
		      "found single quote (strings need double quotes)");
	/* Columns count characters, not bytes. */
	CHECK_ERR("{'main': '\xc3\xa9\xc3\xa9' x}",
		  "slipway.json:1:14: syntax error: missing comma between members");
	CHECK_ERR("", "slipway.json:1:1: syntax error: the file is empty");
	CHECK_ERR(" \n\t", "slipway.json:1:1: syntax error: the file is empty");
	char *e = error_of_len("{}\0 ", 4);
	CHECK_STR(e, "slipway.json:1:3: syntax error: unexpected byte 0x00 after the end of the document");
	free(e);
}

/* A value in a minimal document: {"stages": [{"name": "a", "run": "x", "timeout": V}]},
 * where V starts at column 50. */
#define IN_TIMEOUT(v) "{'stages': [{'name': 'a', 'run': 'x', 'timeout': " v "}]}"

/* What RFC 8259 forbids is refused before cJSON, which would take it. */
static void test_strict_json(void)
{
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'tr\tue'}]}",
		  "slipway.json:1:37: syntax error: control character 0x09 in string (write it as \\t)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'tr\x01ue'}]}",
		  "slipway.json:1:37: syntax error: control character 0x01 in string (write it as \\u0001)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'one\ntwo'}]}",
		  "slipway.json:1:34: syntax error: unterminated string");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'one\r\ntwo'}]}",
		  "slipway.json:1:34: syntax error: unterminated string");
	CHECK_ERR(IN_TIMEOUT("0012"), "slipway.json:1:50: syntax error: invalid number (no leading zeros)");
	CHECK_ERR(IN_TIMEOUT("-01"), "slipway.json:1:50: syntax error: invalid number (no leading zeros)");
	CHECK_ERR(IN_TIMEOUT("5."), "slipway.json:1:50: syntax error: invalid number (a digit must follow '.')");
	CHECK_ERR(IN_TIMEOUT("5.e3"), "slipway.json:1:50: syntax error: invalid number (a digit must follow '.')");
	CHECK_ERR(IN_TIMEOUT("-"), "slipway.json:1:50: syntax error: invalid number (a digit must follow '-')");
	CHECK_ERR(IN_TIMEOUT("1e"), "slipway.json:1:50: syntax error: invalid number (the exponent needs a digit)");
	CHECK_ERR(IN_TIMEOUT("1e+"), "slipway.json:1:50: syntax error: invalid number (the exponent needs a digit)");
	CHECK_ERR(IN_TIMEOUT(".5"), "slipway.json:1:50: syntax error: invalid number (a digit must come before '.')");
	CHECK_ERR(IN_TIMEOUT("+5"), "slipway.json:1:50: syntax error: invalid number (no '+' sign)");
	CHECK_ERR(IN_TIMEOUT("0x10"), "slipway.json:1:51: syntax error: unexpected 'x10' in a number");
	CHECK_ERR(IN_TIMEOUT("1.2.3"), "slipway.json:1:53: syntax error: unexpected '.' in a number");
	CHECK_ERR(IN_TIMEOUT("truex"),
		  "slipway.json:1:50: syntax error: unexpected 'truex' (strings need double quotes)");
	/* \u0000 would silently cut a command or a stage name short. */
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'true\\u0000; rm -rf x'}]}",
		  "slipway.json:1:39: syntax error: \\u0000 in string (slipway's strings cannot hold NUL)");
	CHECK_ERR("{'stages': [{'name': 'a\\u0000b', 'run': 'x'}]}",
		  "slipway.json:1:24: syntax error: \\u0000 in string (slipway's strings cannot hold NUL)");
	CHECK_ERR("{'main': '\\udc00'}",
		  "slipway.json:1:11: syntax error: invalid \\u escape in string (unpaired surrogate)");
	CHECK_ERR("{'main': '\\ud800\\u0041'}",
		  "slipway.json:1:11: syntax error: invalid \\u escape in string (unpaired surrogate)");
	CHECK_ERR("{'main': '\\u12'}",
		  "slipway.json:1:11: syntax error: invalid \\u escape in string (\\u needs four hex digits)");
	/* Text is UTF-8: no stray bytes, overlong forms or encoded surrogates. */
	CHECK_ERR("{'main': 'a\xff'}", "slipway.json:1:12: syntax error: invalid UTF-8 in string");
	CHECK_ERR("{'main': 'a\xc0\xaf'}", "slipway.json:1:12: syntax error: invalid UTF-8 in string");
	CHECK_ERR("{'main': 'a\xed\xa0\x80'}", "slipway.json:1:12: syntax error: invalid UTF-8 in string");
	CHECK_ERR("{'main': 'a\xe2\x82'}", "slipway.json:1:12: syntax error: invalid UTF-8 in string");
	/* Whitespace is space, tab, CR and LF only. */
	CHECK_ERR("{'stages': [" ST "]}\f", "slipway.json:1:43: syntax error: unexpected byte 0x0c "
					   "after the end of the document");
	CHECK_ERR("{\v'stages': [" ST "]}",
		  "slipway.json:1:2: syntax error: expected a key in double quotes, found byte 0x0b");

	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'stages': [{'name': 'a', 'run': '\\'\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 \xc3\xa9',"
				" 'timeout': 1E+2}], 'retention': {'runs': 2e0}, 'gates': {'lint_max': -0.5e-3}}"),
		  0);
	CHECK_STR(cfg.stages[0].run, "\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80 \xc3\xa9");
	CHECK_INT(cfg.stages[0].timeout, 100);
	CHECK_INT(cfg.retention_runs, 2);
	CHECK(cfg.gates[0].limit == -0.5e-3);
	sw_config_free(&cfg);
}

static void test_deep_nesting(void)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, "{\"ui\": ");
	for (int i = 0; i < 5000; i++)
		sbuf_addc(&sb, '[');
	char *e = error_of(sb.buf);
	CHECK_STR(e, "slipway.json:1:1007: syntax error: nesting too deep");
	free(e);
	sbuf_free(&sb);
}

static void test_type_errors(void)
{
	CHECK_ERR("{'stages': [" ST ", {'name': 'b', 'run': 'x'}, {'name': 'c', 'run': 'x', 'timeout': 'ten'}]}",
		  "slipway.json: stages[2].timeout: expected a number, got \"ten\"");
	CHECK_ERR("{'main': ['x'], 'stages': [" ST "]}",
		  "slipway.json: main: expected a string, got an array");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': {}}]}",
		  "slipway.json: stages[0].run: expected a string, got an object");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': ''}]}",
		  "slipway.json: stages[0].run: expected a non-empty string, got \"\"");
	CHECK_ERR("[]", "slipway.json: expected an object, got an array");
	CHECK_ERR("{'stages': " ST "}", "slipway.json: stages: expected an array, got an object");
	CHECK_ERR("{'stages': ['a']}", "slipway.json: stages[0]: expected an object, got \"a\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'always': 'yes'}]}",
		  "slipway.json: stages[0].always: expected true or false, got \"yes\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': {'path': '.venv'}}]}",
		  "slipway.json: stages[0].cache: expected an array of {\"path\": ..., \"key\": [...]}, got an object");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'key': []}]}]}",
		  "slipway.json: stages[0].cache[0]: missing required key \"path\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': '/tmp/x'}]}]}",
		  "slipway.json: stages[0].cache[0].path: expected a path in the work tree (relative, without \"..\") or under \"~/\", got \"/tmp/x\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': 'a/../../b'}]}]}",
		  "slipway.json: stages[0].cache[0].path: expected a path in the work tree (relative, without \"..\") or under \"~/\", got \"a/../../b\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': '.'}]}]}",
		  "slipway.json: stages[0].cache[0].path: expected a path in the work tree (relative, without \"..\") or under \"~/\", got \".\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': '~/'}]}]}",
		  "slipway.json: stages[0].cache[0].path: expected a path in the work tree (relative, without \"..\") or under \"~/\", got \"~/\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': 'v', 'key': ['../r.txt']}]}]}",
		  "slipway.json: stages[0].cache[0].key[0]: expected a file in the work tree (relative, without \"..\"), got \"../r.txt\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': 'v', 'key': 'r.txt'}]}]}",
		  "slipway.json: stages[0].cache[0].key: expected an array of file names, got \"r.txt\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': 'v', 'kye': []}]}]}",
		  "slipway.json: stages[0].cache[0]: unknown key \"kye\" (did you mean \"key\"?)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': 'v'}, {'path': 'v'}]}]}",
		  "slipway.json: stages[0].cache[1]: cache path \"v\" is listed twice");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'cache': [{'path': '1'}, {'path': '2'}, {'path': '3'},"
		  " {'path': '4'}, {'path': '5'}, {'path': '6'}, {'path': '7'}, {'path': '8'}, {'path': '9'}]}]}",
		  "slipway.json: stages[0].cache: 9 cache entries; at most 8");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'allow_failure': 1}]}",
		  "slipway.json: stages[0].allow_failure: expected true or false, got 1");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'allow_failures': true}]}",
		  "slipway.json: stages[0]: unknown key \"allow_failures\" (did you mean \"allow_failure\"?)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'timeout': 0}]}",
		  "slipway.json: stages[0].timeout: expected a positive number of seconds, got 0");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'timeout': null}]}",
		  "slipway.json: stages[0].timeout: expected a number, got null");
	CHECK_ERR("{'retention': {'runs': 1.5}, 'stages': [" ST "]}",
		  "slipway.json: retention.runs: expected a positive integer, got 1.5");
	CHECK_ERR("{'retention': 5, 'stages': [" ST "]}",
		  "slipway.json: retention: expected an object, got 5");
	CHECK_ERR("{'max_parallel_runs': 0, 'stages': [" ST "]}",
		  "slipway.json: max_parallel_runs: expected a positive integer, got 0");
	CHECK_ERR("{'version': 2, 'stages': [" ST "]}",
		  "slipway.json: version: unsupported version 2 (this slipway reads version 1)");
	CHECK_ERR("{'version': '1', 'stages': [" ST "]}",
		  "slipway.json: version: expected a number, got \"1\"");
	CHECK_ERR("{'ui': true, 'stages': [" ST "]}", "slipway.json: ui: expected an object, got true");
	/* A repository cannot rebind keys: only protections and a theme. */
	CHECK_ERR("{'ui': {'bind': 'j quit'}, 'stages': [" ST "]}", "slipway.json: ui: unknown key \"bind\"");
	/* Nor load a file of its own as a theme: a theme is a name, never a path. */
	CHECK_ERR("{'ui': {'theme': '../../../../x/evil'}, 'stages': [" ST "]}",
		  "slipway.json: ui.theme: invalid theme name \"../../../../x/evil\" "
		  "(up to 64 letters, digits, '-' and '_', not a path)");
	CHECK_ERR("{'ui': {'theme': '/etc/slipway/mine'}, 'stages': [" ST "]}",
		  "slipway.json: ui.theme: invalid theme name \"/etc/slipway/mine\" "
		  "(up to 64 letters, digits, '-' and '_', not a path)");
	CHECK_ERR("{'ui': {'theme': 'dark.theme'}, 'stages': [" ST "]}",
		  "slipway.json: ui.theme: invalid theme name \"dark.theme\" "
		  "(up to 64 letters, digits, '-' and '_', not a path)");
	CHECK_ERR("{'ui': {'theme': 'a123456789a123456789a123456789a123456789a123456789a123456789abcde'},"
		  " 'stages': [" ST "]}",
		  "slipway.json: ui.theme: invalid theme name "
		  "\"a123456789a123456789a123456789a123456789\"... "
		  "(up to 64 letters, digits, '-' and '_', not a path)");
	CHECK_ERR("{'ui': {'theme': ''}, 'stages': [" ST "]}",
		  "slipway.json: ui.theme: expected a non-empty string, got \"\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'branches': []}]}",
		  "slipway.json: stages[0].branches: expected at least one branch pattern");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'branches': ['main', 3]}]}",
		  "slipway.json: stages[0].branches[1]: expected a string, got 3");
	/* Shown values stay on one line and short. */
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'timeout': 'a\\'b\\nc'}]}",
		  "slipway.json: stages[0].timeout: expected a number, got \"a\\\"b\\u000ac\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'timeout':"
		  " '0123456789012345678901234567890123456789xyz'}]}",
		  "slipway.json: stages[0].timeout: expected a number, got "
		  "\"0123456789012345678901234567890123456789\"...");
}

static void test_unknown_keys(void)
{
	CHECK_ERR("{'stages': [" ST ", {'name': 'b', 'run': 'x', 'brnaches': ['main']}]}",
		  "slipway.json: stages[1]: unknown key \"brnaches\" (did you mean \"branches\"?)");
	CHECK_ERR("{'stagse': [" ST "]}",
		  "slipway.json: unknown key \"stagse\" (did you mean \"stages\"?)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'branch': 'main'}]}",
		  "slipway.json: stages[0]: unknown key \"branch\" (did you mean \"branches\"?)");
	CHECK_ERR("{'Main': 'x', 'stages': [" ST "]}",
		  "slipway.json: unknown key \"Main\" (did you mean \"main\"?)");
	CHECK_ERR("{'frobnicate': 1, 'stages': [" ST "]}", "slipway.json: unknown key \"frobnicate\"");
	CHECK_ERR("{'x': 1, 'stages': [" ST "]}", "slipway.json: unknown key \"x\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'reports': {'junti': 'j.xml'}}]}",
		  "slipway.json: stages[0].reports: unknown key \"junti\" (did you mean \"junit\"?)");
	CHECK_ERR("{'retention': {'run': 5}, 'stages': [" ST "]}",
		  "slipway.json: retention: unknown key \"run\" (did you mean \"runs\"?)");
	/* Controls in keys are escaped, proper UTF-8 shown as it is. */
	CHECK_ERR("{'cl\xc3\xa9\xc2\x85\\u001b': 1, 'stages': [" ST "]}",
		  "slipway.json: unknown key \"cl\xc3\xa9\\xc2\\x85\\u001b\"");
	CHECK_ERR("{'stages': [" ST "], 'stages': [" ST "]}",
		  "slipway.json: duplicate key \"stages\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'run': 'y'}]}",
		  "slipway.json: stages[0]: duplicate key \"run\"");
	/* A typo is told as such, not as the key it stands for gone missing. */
	CHECK_ERR("{'stages': [{'name': 'a', 'rnu': 'x'}]}",
		  "slipway.json: stages[0]: unknown key \"rnu\" (did you mean \"run\"?)");
}

static void test_missing_and_stage_names(void)
{
	CHECK_ERR("{'stages': [{'name': 'a'}]}",
		  "slipway.json: stages[0]: missing required key \"run\" (or \"push\", for a built-in push)");
	CHECK_ERR("{'stages': [{'run': 'x'}]}",
		  "slipway.json: stages[0]: missing required key \"name\"");
	CHECK_ERR("{}", "slipway.json: missing required key \"stages\"");
	CHECK_ERR("{'stages': []}", "slipway.json: stages: expected at least one stage");
	CHECK_ERR("{'stages': [" ST ", {'name': 'b', 'run': 'x'}, " ST "]}",
		  "slipway.json: stages[2].name: duplicate stage name \"a\" (also stages[0])");
	CHECK_ERR("{'stages': [{'name': 'a b', 'run': 'x'}]}",
		  "slipway.json: stages[0].name: invalid stage name \"a b\" "
		  "(use up to 64 letters, digits, '_', '.' and '-')");
	CHECK_ERR("{'stages': [{'name': '..', 'run': 'x'}]}",
		  "slipway.json: stages[0].name: invalid stage name \"..\" "
		  "(use up to 64 letters, digits, '_', '.' and '-')");
	CHECK_ERR("{'stages': [{'name': 'a/b', 'run': 'x'}]}",
		  "slipway.json: stages[0].name: invalid stage name \"a/b\" "
		  "(use up to 64 letters, digits, '_', '.' and '-')");
}

static void test_push_stages(void)
{
	struct sw_config cfg;
	char *err = NULL;
	char *t = jq("{'stages': [{'name': 'p', 'push': {'image': '$IMAGE:${SLIPWAY_COMMIT}', "
		     "'registry': '127.0.0.1:5000'}, 'env': {'IMAGE': 'sample'}}, "
		     "{'name': 'q', 'push': {'image': 'registry.example.com/x/y:1'}}]}");
	CHECK_INT(sw_config_parse(&cfg, t, strlen(t), NULL, &err), 0);
	if (!err) {
		CHECK(cfg.stages[0].run == NULL);
		CHECK_STR(cfg.stages[0].push->image, "$IMAGE:${SLIPWAY_COMMIT}");
		CHECK_STR(cfg.stages[0].push->registry, "127.0.0.1:5000");
		CHECK(cfg.stages[1].push->registry == NULL);
		sw_config_free(&cfg);
	}
	free(t);
	free(err);
	CHECK_ERR("{'stages': [" ST ", {'name': 'b', 'run': 'x'}, {'name': 'c', 'run': 'x'}, "
		  "{'name': 'p', 'run': 'x', 'push': {'image': 'i'}}]}",
		  "slipway.json: stages[3]: \"push\" and \"run\" both given; a stage has one");
	CHECK_ERR("{'stages': [{'name': 'p', 'push': {'registry': 'r:1'}}]}",
		  "slipway.json: stages[0].push: missing required key \"image\"");
	CHECK_ERR("{'stages': [{'name': 'p', 'push': {'image': ''}}]}",
		  "slipway.json: stages[0].push.image: expected a non-empty string, got \"\"");
	CHECK_ERR("{'stages': [{'name': 'p', 'push': 'img'}]}",
		  "slipway.json: stages[0].push: expected an object, got \"img\"");
	CHECK_ERR("{'stages': [{'name': 'p', 'push': {'image': 'i', 'registy': 'r'}}]}",
		  "slipway.json: stages[0].push: unknown key \"registy\" (did you mean \"registry\"?)");
	static const char *const bad[] = {"http://127.0.0.1:5000", "127.0.0.1:5000/path", "host:", "host:0",
					  "host:65536", "host:5x", "-host", "a..b", "", "host:+5"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!sw_config_registry_ok(bad[i]));
	static const char *const good[] = {"127.0.0.1:5000", "localhost", "registry.example.com:443", "r-1.x"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		CHECK(sw_config_registry_ok(good[i]));
	CHECK_ERR("{'stages': [{'name': 'p', 'push': {'image': 'i', 'registry': 'https://r:5000'}}]}",
		  "slipway.json: stages[0].push.registry: invalid registry \"https://r:5000\" "
		  "(host:port, without a scheme or a path, e.g. \"127.0.0.1:5000\")");
}

static void test_parse_specs(void)
{
	CHECK_ERR("{'stages': [" ST ", {'name': 'b', 'run': 'x', 'parse': 'flak8'}]}",
		  "slipway.json: stages[1].parse: unknown parser \"flak8\" (did you mean \"flake8\"?)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': 'junit'}]}",
		  "slipway.json: stages[0].parse: unknown parser \"junit\" "
		  "(known: flake8, pytest, coverage, or a regex object)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': ['pytest', 'covrage']}]}",
		  "slipway.json: stages[0].parse[1]: unknown parser \"covrage\" "
		  "(did you mean \"coverage\"?)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': {'regex': 'n=(\\\\d+)'}}]}",
		  "slipway.json: stages[0].parse: missing required key \"metric\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': {'regx': 'a', 'metric': 'm'}}]}",
		  "slipway.json: stages[0].parse: unknown key \"regx\" (did you mean \"regex\"?)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': 'regex'}]}",
		  "slipway.json: stages[0].parse: a regex parser is an object: "
		  "{\"regex\": \"...\", \"metric\": \"...\"}");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': 5}]}",
		  "slipway.json: stages[0].parse: expected a parser name or a regex object, got 5");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': ['flake8', ['pytest']]}]}",
		  "slipway.json: stages[0].parse[1]: expected a parser name or a regex object, "
		  "got an array");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x',"
		  " 'parse': {'regex': 'x', 'metric': 'coverage'}}]}",
		  "slipway.json: stages[0].parse.metric: metric \"coverage\" is built in; "
		  "give this one another name");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': {'regex': 'x', 'metric': 'a b'}}]}",
		  "slipway.json: stages[0].parse.metric: invalid metric name \"a b\" "
		  "(use up to 64 letters, digits and '_', not starting with a digit)");
	/* Metric names are short: "did you mean" compares them with one another. */
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': {'regex': 'x', 'metric':"
		  " 'a123456789a123456789a123456789a123456789a123456789a123456789abcde'}}]}",
		  "slipway.json: stages[0].parse.metric: invalid metric name "
		  "\"a123456789a123456789a123456789a123456789\"... "
		  "(use up to 64 letters, digits and '_', not starting with a digit)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': ['flake8', 'flake8']}]}",
		  "slipway.json: stages[0].parse[1]: parser \"flake8\" is listed twice");
	/* A pattern pcre2 refuses is told by check-config, not at run time. */
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': {'regex': '(', 'metric': 'x'}}]}",
		  "slipway.json: stages[0].parse.regex: invalid regex at offset 1: "
		  "missing closing parenthesis");
	CHECK_ERR("{'stages': [" ST ", {'name': 'b', 'run': 'x', 'parse': ['pytest',"
		  " {'regex': 'n=(\\\\d+', 'metric': 'n'}]}]}",
		  "slipway.json: stages[1].parse[1].regex: invalid regex at offset 6: "
		  "missing closing parenthesis");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'parse': {'metric': 'x', 'regex': 'a{2,1}'}}]}",
		  "slipway.json: stages[0].parse.regex: invalid regex at offset 5: "
		  "numbers out of order in {} quantifier");

	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'stages': [{'name': 'a', 'run': 'x', 'parse': ['flake8',"
				" {'regex': 'warnings: (\\\\d+)', 'metric': 'warnings'}, 'coverage']}]}"),
		  0);
	const struct sw_stage_config *st = &cfg.stages[0];
	CHECK_INT(st->nparse, 3);
	CHECK_INT(st->parse[0].kind, SW_PARSE_FLAKE8);
	CHECK_INT(st->parse[1].kind, SW_PARSE_REGEX);
	CHECK_STR(st->parse[1].pattern, "warnings: (\\d+)");
	CHECK_STR(st->parse[1].metric, "warnings");
	CHECK_INT(st->parse[2].kind, SW_PARSE_COVERAGE);
	sw_config_free(&cfg);

	CHECK_INT(parse_q(&cfg, "{'stages': [{'name': 'a', 'run': 'x',"
				" 'parse': {'metric': 'size', 'regex': 'size=(\\\\d+)'}}]}"),
		  0);
	CHECK_INT(cfg.stages[0].nparse, 1);
	CHECK_INT(cfg.stages[0].parse[0].kind, SW_PARSE_REGEX);
	CHECK_STR(cfg.stages[0].parse[0].metric, "size");
	sw_config_free(&cfg);
}

static void test_reports(void)
{
	static const char *const bad[] = {"/tmp/junit.xml", "../junit.xml", "a/../../b.xml", "..", ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *text = xasprintf("{'stages': [{'name': 'a', 'run': 'x',"
				       " 'reports': {'junit': '%s'}}]}", bad[i]);
		char *want = xasprintf("slipway.json: stages[0].reports.junit: expected a relative "
				       "file name without \"..\", got \"%s\"", bad[i]);
		CHECK_ERR(text, want);
		free(text);
		free(want);
	}
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'reports': {'cobertura': 1}}]}",
		  "slipway.json: stages[0].reports.cobertura: expected a string, got 1");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'reports': ['junit.xml']}]}",
		  "slipway.json: stages[0].reports: expected an object, got an array");

	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'stages': [{'name': 'a', 'run': 'x',"
				" 'reports': {'cobertura': 'out/..cov.xml'}}]}"),
		  0);
	CHECK(cfg.stages[0].junit == NULL);
	CHECK_STR(cfg.stages[0].cobertura, "out/..cov.xml");
	sw_config_free(&cfg);
}

static void test_secrets_and_env(void)
{
	CHECK_ERR("{'secrets': ['DOCKER_USERNAME', 'DOCKER-TOKEN'], 'stages': [" ST "]}",
		  "slipway.json: secrets[1]: invalid variable name \"DOCKER-TOKEN\" "
		  "(use letters, digits and '_', not starting with a digit)");
	CHECK_ERR("{'secrets': ['1TOKEN'], 'stages': [" ST "]}",
		  "slipway.json: secrets[0]: invalid variable name \"1TOKEN\" "
		  "(use letters, digits and '_', not starting with a digit)");
	CHECK_ERR("{'secrets': [''], 'stages': [" ST "]}",
		  "slipway.json: secrets[0]: invalid variable name \"\" "
		  "(use letters, digits and '_', not starting with a digit)");
	CHECK_ERR("{'secrets': [5], 'stages': [" ST "]}",
		  "slipway.json: secrets[0]: expected a string, got 5");
	CHECK_ERR("{'secrets': 'TOKEN', 'stages': [" ST "]}",
		  "slipway.json: secrets: expected an array, got \"TOKEN\"");
	CHECK_ERR("{'secrets': ['A', 'B', 'A'], 'stages': [" ST "]}",
		  "slipway.json: secrets[2]: duplicate secret \"A\"");
	CHECK_ERR("{'secrets': ['SLIPWAY_RUN'], 'stages': [" ST "]}",
		  "slipway.json: secrets[0]: \"SLIPWAY_RUN\": SLIPWAY_* variables are set by slipway");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'env': {'MY-VAR': 'x'}}]}",
		  "slipway.json: stages[0].env: invalid variable name \"MY-VAR\" "
		  "(use letters, digits and '_', not starting with a digit)");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'env': {'PORT': 8000}}]}",
		  "slipway.json: stages[0].env.PORT: expected a string, got 8000");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'env': {'A': 'x', 'A': 'y'}}]}",
		  "slipway.json: stages[0].env: duplicate key \"A\"");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'env': {'SLIPWAY_COMMIT': 'x'}}]}",
		  "slipway.json: stages[0].env: \"SLIPWAY_COMMIT\": SLIPWAY_* variables are set by slipway");
	CHECK_ERR("{'stages': [{'name': 'a', 'run': 'x', 'env': ['A=1']}]}",
		  "slipway.json: stages[0].env: expected an object, got an array");

	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'secrets': ['_T0KEN', 'b'], 'stages': [" ST "]}"), 0);
	CHECK_INT(cfg.secrets.len, 2);
	CHECK_STR(cfg.secrets.items[0], "_T0KEN");
	sw_config_free(&cfg);
}

static void test_pass_env(void)
{
	CHECK_ERR("{'pass_env': ['DOCKER-HOST'], 'stages': [" ST "]}",
		  "slipway.json: pass_env[0]: invalid variable name \"DOCKER-HOST\" "
		  "(use letters, digits and '_', not starting with a digit)");
	CHECK_ERR("{'pass_env': ['SLIPWAY_RUN'], 'stages': [" ST "]}",
		  "slipway.json: pass_env[0]: \"SLIPWAY_RUN\": SLIPWAY_* variables are set by slipway");
	CHECK_ERR("{'pass_env': ['A', 'PATH'], 'stages': [" ST "]}",
		  "slipway.json: pass_env[1]: \"PATH\": every stage gets it from slipway already");
	CHECK_ERR("{'pass_env': ['A', 'A'], 'stages': [" ST "]}",
		  "slipway.json: pass_env[1]: duplicate variable \"A\"");
	CHECK_ERR("{'pass_env': 'A', 'stages': [" ST "]}",
		  "slipway.json: pass_env: expected an array, got \"A\"");
	CHECK_ERR("{'pass_env': ['A', 'REGISTRY'], 'secrets': ['REGISTRY'], 'stages': [" ST "]}",
		  "slipway.json: pass_env[1]: \"REGISTRY\" is also in \"secrets\": a variable is masked or not, "
		  "name it once");
	CHECK_ERR("{'pas_env': ['A'], 'stages': [" ST "]}",
		  "slipway.json: unknown key \"pas_env\" (did you mean \"pass_env\"?)");

	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'pass_env': ['DOCKER_HOST', 'REGISTRY'], 'stages': [" ST "]}"), 0);
	CHECK_INT(cfg.pass_env.len, 2);
	CHECK_STR(cfg.pass_env.items[1], "REGISTRY");
	CHECK_INT(cfg.secrets.len, 0);
	sw_config_free(&cfg);
}

static void test_watch(void)
{
	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'stages': [" ST "]}"), 0);
	CHECK(cfg.watch == NULL);
	sw_config_free(&cfg);
	CHECK_INT(parse_q(&cfg, "{'watch': {}, 'stages': [" ST "]}"), 0);
	CHECK_INT(cfg.watch->branches.len, 1);
	CHECK_STR(cfg.watch->branches.items[0], "*");
	CHECK_INT(cfg.watch->fetch_interval, 60);
	CHECK(!cfg.watch->auto_merge && !cfg.watch->auto_deploy);
	sw_config_free(&cfg);
	CHECK_INT(parse_q(&cfg, "{'watch': {'branches': ['feature/*', 'development'], 'fetch_interval': 0, "
				"'auto_merge': true, 'auto_deploy': true}, 'stages': [" ST "]}"), 0);
	CHECK_INT(cfg.watch->branches.len, 2);
	CHECK_INT(cfg.watch->fetch_interval, 0);
	CHECK(cfg.watch->auto_merge && cfg.watch->auto_deploy);
	sw_config_free(&cfg);
	CHECK_ERR("{'watch': {'fetch_interval': 2}, 'stages': [" ST "]}",
		  "slipway.json: watch.fetch_interval: fetch_interval must be 0 (never fetch) or at least 5 seconds");
	CHECK_ERR("{'watch': {'branches': []}, 'stages': [" ST "]}",
		  "slipway.json: watch.branches: expected at least one branch pattern");
	CHECK_ERR("{'watch': {'auto_merg': true}, 'stages': [" ST "]}",
		  "slipway.json: watch: unknown key \"auto_merg\" (did you mean \"auto_merge\"?)");
}

/* "target": "swarm": services and an image naming the commit, none of a
 * release directory's keys; each error names its key path. */
static void test_deploy_swarm(void)
{
	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'stages': [" ST "], 'deploy': {'target': 'swarm', 'services': ['web', 'proxy'], "
				"'image': 'r:5000/site:$SLIPWAY_COMMIT'}}"), 0);
	const struct sw_deploy_config *d = cfg.deploy;
	CHECK(d->path == NULL);
	CHECK_STR(d->environment, "production");
	CHECK_INT(d->monitor, 10);
	CHECK_INT(d->update_timeout, 300);
	CHECK_INT(d->images.len, 2);
	char *img = sw_deploy_image(d, 1, "0123456789abcdef0123456789abcdef01234567");
	CHECK_STR(img, "r:5000/site:0123456789abcdef0123456789abcdef01234567");
	char sha[41];
	sw_deploy_image_commit(d, 0, img, sha);
	CHECK_STR(sha, "0123456789abcdef0123456789abcdef01234567");
	char *pinned = xasprintf("%s@sha256:%064d", img, 0);
	sw_deploy_image_commit(d, 0, pinned, sha);
	CHECK_STR(sha, "0123456789abcdef0123456789abcdef01234567");
	sw_deploy_image_commit(d, 0, "r:5000/site:latest", sha);
	CHECK_STR(sha, "");
	sw_deploy_image_commit(d, 0, "r:5000/other:0123456789abcdef0123456789abcdef01234567", sha);
	CHECK_STR(sha, "");
	sw_deploy_image_commit(d, 0, NULL, sha);
	CHECK_STR(sha, "");
	free(pinned);
	free(img);
	sw_config_free(&cfg);

	CHECK_INT(parse_q(&cfg, "{'stages': [" ST "], 'deploy': {'target': 'swarm', 'services': ['web', 'proxy'], "
				"'image': {'proxy': 'p:$SLIPWAY_COMMIT', 'web': 'w:$SLIPWAY_COMMIT'}, 'monitor': 3}}"), 0);
	CHECK_STR(cfg.deploy->images.items[0], "w:$SLIPWAY_COMMIT");
	CHECK_STR(cfg.deploy->images.items[1], "p:$SLIPWAY_COMMIT");
	CHECK_INT(cfg.deploy->monitor, 3);
	sw_config_free(&cfg);

#define SWARM(rest) "{'stages': [" ST "], 'deploy': {'target': 'swarm', " rest "}}"
	CHECK_ERR(SWARM("'image': 'a:$SLIPWAY_COMMIT'"),
		  "slipway.json: deploy: missing required key \"services\" (the Swarm services to update, e.g. "
		  "[\"site_web\", \"site_proxy\"])");
	CHECK_ERR(SWARM("'services': ['web']"),
		  "slipway.json: deploy: missing required key \"image\" (e.g. \"127.0.0.1:5000/site:$SLIPWAY_COMMIT\")");
	CHECK_ERR(SWARM("'services': ['web'], 'image': 'a:latest'"),
		  "slipway.json: deploy.image: the image \"a:latest\" must name the commit once, as $SLIPWAY_COMMIT "
		  "(e.g. \"127.0.0.1:5000/site:$SLIPWAY_COMMIT\"): it is how the release a service runs is known");
	CHECK_ERR(SWARM("'services': ['web', 'db'], 'image': {'web': 'a:$SLIPWAY_COMMIT'}"),
		  "slipway.json: deploy.image: no image for the service \"db\"");
	CHECK_ERR(SWARM("'services': ['web'], 'image': {'web': 'a:$SLIPWAY_COMMIT', 'wbe': 'b:$SLIPWAY_COMMIT'}"),
		  "slipway.json: deploy.image.wbe: \"wbe\" is not one of \"services\"");
	CHECK_ERR(SWARM("'services': ['web', 'web'], 'image': 'a:$SLIPWAY_COMMIT'"),
		  "slipway.json: deploy.services[1]: duplicate service \"web\"");
	CHECK_ERR(SWARM("'services': ['-web'], 'image': 'a:$SLIPWAY_COMMIT'"),
		  "slipway.json: deploy.services[0]: invalid service name \"-web\" (letters, digits, '_', '.' and '-', "
		  "as Swarm names them)");
	CHECK_ERR(SWARM("'services': [], 'image': 'a:$SLIPWAY_COMMIT'"),
		  "slipway.json: deploy.services: expected a non-empty array of service names, got an array");
	CHECK_ERR(SWARM("'services': ['web'], 'image': 'a:$SLIPWAY_COMMIT', 'path': '/srv/x'"),
		  "slipway.json: deploy.path: not used with \"target\": \"swarm\": Swarm keeps each service's releases "
		  "(its spec and the one before), and runs no hooks");
	CHECK_ERR(SWARM("'services': ['web'], 'image': 'a:$SLIPWAY_COMMIT', 'health': {'containers': true}"),
		  "slipway.json: deploy.health.containers: not used with \"target\": \"swarm\": Swarm itself watches "
		  "each task's health check during the update (\"monitor\")");
	CHECK_ERR("{'stages': [" ST "], 'deploy': {'path': '/srv/x', 'services': ['web']}}",
		  "slipway.json: deploy.services: only for \"target\": \"swarm\" (this target is local)");
	CHECK_ERR("{'stages': [" ST "], 'deploy': {'target': 'local'}}",
		  "slipway.json: deploy: missing required key \"path\"");
	CHECK_ERR("{'stages': [" ST "], 'deploy': {'target': 'swarn', 'path': '/srv/x'}}",
		  "slipway.json: deploy.target: invalid target \"swarn\" (\"local\", \"ssh://user@host[:port]\" or "
		  "\"swarm\")");
#undef SWARM
}

/* A fleet: "targets" instead of "target", waves as CodeDeploy's
 * configurations compute them, {host} in the health URL. */
static void test_deploy_fleet(void)
{
	struct sw_config cfg;
	char *err = NULL;
#define FLEET(rest) "{'stages': [" ST "], 'deploy': {'path': '/srv/x', 'targets': ['ssh://d@web1', " \
		    "'ssh://d@web2:2222', 'ssh://web3'], 'health': {'url': 'http://{host}:8080/ok?h={host}'}" rest "}}"
	CHECK_INT(parse_q(&cfg, FLEET("")), 0);
	CHECK_STR(cfg.deploy->target, "fleet");
	CHECK_INT(cfg.deploy->targets.len, 3);
	/* one_at_a_time by default */
	CHECK_INT(sw_deploy_wave_size(cfg.deploy, 3, &err), 1);
	char *url = sw_deploy_health_url(cfg.deploy, "ssh://d@web2:2222");
	CHECK_STR(url, "http://web2:8080/ok?h=web2");
	free(url);
	url = sw_deploy_health_url(cfg.deploy, "ssh://web3");
	CHECK_STR(url, "http://web3:8080/ok?h=web3");
	free(url);
	sw_config_free(&cfg);

	static const struct {
		const char *strategy;
		size_t hosts, wave;
	} cases[] = {
		{"'one_at_a_time'", 9, 1},
		{"'half_at_a_time'", 9, 4},
		{"'half_at_a_time'", 1, 1},
		{"'all_at_once'", 9, 9},
		{"{'max_parallel': 2, 'min_healthy': 1}", 3, 2},
		{"{'max_parallel': 2, 'min_healthy': '66%'}", 3, 1},
		{"{'max_parallel': 3}", 9, 3},
		{"{'min_healthy': '50%'}", 9, 4},
		{"{'min_healthy': 0}", 9, 9},
		{"{'max_parallel': 5, 'min_healthy': '10%'}", 9, 5},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *text = xasprintf(FLEET(", 'strategy': %s"), cases[i].strategy);
		CHECK_INT(parse_q(&cfg, text), 0);
		size_t got = sw_deploy_wave_size(cfg.deploy, cases[i].hosts, &err);
		if (got != cases[i].wave)
			printf("  strategy %s with %zu hosts\n", cases[i].strategy, cases[i].hosts);
		CHECK_INT(got, cases[i].wave);
		sw_config_free(&cfg);
		free(text);
	}
	CHECK_INT(parse_q(&cfg, FLEET(", 'strategy': {'min_healthy': '100%'}")), 0);
	CHECK_INT(sw_deploy_wave_size(cfg.deploy, 3, &err), 0);
	CHECK_STR(err, "deploy.strategy: with 3 hosts, min_healthy 100% keeps 3 serving: none is left to deploy to "
		       "(lower min_healthy)");
	free(err);
	sw_config_free(&cfg);

	CHECK_ERR(FLEET(", 'strategy': 'one_at_time'"),
		  "slipway.json: deploy.strategy: unknown strategy \"one_at_time\" (one_at_a_time, half_at_a_time, "
		  "all_at_once, or {\"max_parallel\": N, \"min_healthy\": \"66%\"}); did you mean \"one_at_a_time\"?");
	CHECK_ERR(FLEET(", 'strategy': {'min_healthy': '66'}"),
		  "slipway.json: deploy.strategy.min_healthy: invalid min_healthy \"66\" (a count of hosts, or a "
		  "percentage from \"0%\" to \"100%\")");
	CHECK_ERR(FLEET(", 'strategy': {'max_parallel': 0}"),
		  "slipway.json: deploy.strategy.max_parallel: expected a positive integer, got 0");
	CHECK_ERR(FLEET(", 'target': 'local'"),
		  "slipway.json: deploy.targets: a deploy has one \"target\" or a fleet of \"targets\", not both");
	CHECK_ERR("{'stages': [" ST "], 'deploy': {'path': '/srv/x', 'strategy': 'all_at_once'}}",
		  "slipway.json: deploy.strategy: only for a fleet of \"targets\"");
	CHECK_ERR("{'stages': [" ST "], 'deploy': {'path': '/srv/x', 'targets': ['ssh://a', 'local']}}",
		  "slipway.json: deploy.targets[1]: invalid target \"local\" (\"ssh://user@host[:port]\": a fleet's "
		  "hosts are reached by ssh)");
	CHECK_ERR("{'stages': [" ST "], 'deploy': {'path': '/srv/x', 'targets': ['ssh://a', 'ssh://a']}}",
		  "slipway.json: deploy.targets[1]: duplicate target \"ssh://a\"");
	CHECK_ERR("{'stages': [" ST "], 'deploy': {'path': '~/x', 'targets': ['ssh://a']}}",
		  "slipway.json: deploy.path: an ssh target's path must be absolute: \"~/\" would be each host's home");
#undef FLEET
}

/* A stage measuring a custom metric "warnings", for the gate tests. */
#define WARN_ST "{'name': 'w', 'run': 'x', 'parse': {'regex': 'w=(\\\\d+)', 'metric': 'warnings'}}"

static void test_gates(void)
{
	struct sw_config cfg;
	CHECK_INT(parse_q(&cfg, "{'gates': {'warnings_max': 3, 'coverage_min': 72.5,"
				" 'tests_failed_max': 0}, 'stages': [" WARN_ST "]}"),
		  0);
	CHECK_INT(cfg.ngates, 3);
	CHECK_STR(cfg.gates[0].name, "warnings_max");
	CHECK_STR(cfg.gates[0].metric, "warnings");
	CHECK(!cfg.gates[0].is_min);
	CHECK(cfg.gates[0].limit == 3);
	CHECK(cfg.gates[1].is_min);
	CHECK(cfg.gates[1].limit == 72.5);
	sw_config_free(&cfg);

	CHECK_INT(parse_q(&cfg, "{'gates': {}, 'stages': [" ST "]}"), 0);
	CHECK_INT(cfg.ngates, 0);
	sw_config_free(&cfg);

	CHECK_ERR("{'gates': {'foo_min': 1}, 'stages': [" WARN_ST "]}",
		  "slipway.json: gates.foo_min: no stage measures metric \"foo\"");
	CHECK_ERR("{'gates': {'warning_max': 1}, 'stages': [" WARN_ST "]}",
		  "slipway.json: gates.warning_max: no stage measures metric \"warning\" "
		  "(did you mean \"warnings\"?)");
	CHECK_ERR("{'gates': {'coverag_min': 1}, 'stages': [" ST "]}",
		  "slipway.json: gates.coverag_min: no stage measures metric \"coverag\" "
		  "(did you mean \"coverage\"?)");
	CHECK_ERR("{'gates': {'coverage': 80}, 'stages': [" ST "]}",
		  "slipway.json: gates: unknown key \"coverage\" (did you mean \"coverage_min\"?)");
	CHECK_ERR("{'gates': {'lint_maximum': 0}, 'stages': [" ST "]}",
		  "slipway.json: gates: unknown key \"lint_maximum\" (did you mean \"lint_max\"?)");
	CHECK_ERR("{'gates': {'_min': 0}, 'stages': [" ST "]}",
		  "slipway.json: gates: unknown key \"_min\"");
	CHECK_ERR("{'gates': {'coverage_min': '80'}, 'stages': [" ST "]}",
		  "slipway.json: gates.coverage_min: expected a number, got \"80\"");
	CHECK_ERR("{'gates': {'coverage_min': 120}, 'stages': [" ST "]}",
		  "slipway.json: gates.coverage_min: expected a percentage from 0 to 100, got 120");
	CHECK_ERR("{'gates': {'lint_max': 0, 'lint_max': 1}, 'stages': [" ST "]}",
		  "slipway.json: gates: duplicate key \"lint_max\"");
	CHECK_ERR("{'gates': [80], 'stages': [" ST "]}",
		  "slipway.json: gates: expected an object, got an array");
}

/* pre, n items joined by commas (item is a format taking the index), post. */
static char *repeat(const char *pre, const char *item, size_t n, const char *post)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, pre);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_addc(&sb, ',');
		sbuf_addf(&sb, item, i);
	}
	sbuf_adds(&sb, post);
	char *text = jq(sb.buf);
	sbuf_free(&sb);
	return text;
}

#define CHECK_MANY(pre, item, n, post, msg)                  \
	do {                                                 \
		char *t_ = repeat(pre, item, n, post);       \
		char *e_ = error_of(t_);                     \
		CHECK_STR(e_, msg);                          \
		free(e_);                                    \
		free(t_);                                    \
	} while (0)

#define CHECK_MANY_OK(pre, item, n, post)                     \
	do {                                                  \
		char *t_ = repeat(pre, item, n, post);        \
		char *e_ = error_of(t_);                      \
		if (e_)                                       \
			printf("  unexpected error: %s\n", e_); \
		CHECK(e_ == NULL);                            \
		free(e_);                                     \
		free(t_);                                     \
	} while (0)

#define MANY 200000

/* A branch's own slipway.json is read at each of its runs: whatever it
 * holds is answered at once (no check is quadratic in it), and the counts
 * have bounds far above any real pipeline. */
static void test_bounds(void)
{
	CHECK_MANY("{'stages': [", "{'name': 's%zu', 'run': 'x'}", MANY, "]}",
		   "slipway.json: stages: 200000 stages; at most 1000");
	CHECK_MANY("{'stages': [", "{'name': 's%zu', 'run': 'x'}", 1001, "]}",
		   "slipway.json: stages: 1001 stages; at most 1000");
	CHECK_MANY_OK("{'stages': [", "{'name': 's%zu', 'run': 'x'}", 1000, "]}");
	CHECK_MANY("{'stages': [{'name': 'a', 'run': 'x', 'env': {", "'V%zu': ''", MANY, "}}]}",
		   "slipway.json: stages[0].env: 200000 variables; at most 100");
	CHECK_MANY_OK("{'stages': [{'name': 'a', 'run': 'x', 'env': {", "'V%zu': ''", 100, "}}]}");
	CHECK_MANY("{'stages': [" ST "], 'secrets': [", "'S%zu'", MANY, "]}",
		   "slipway.json: secrets: 200000 secrets; at most 100");
	CHECK_MANY_OK("{'stages': [" ST "], 'secrets': [", "'S%zu'", 100, "]}");
	CHECK_MANY("{'stages': [" ST "], 'gates': {", "'m%zu_max': 1", MANY, "}}",
		   "slipway.json: gates: 200000 gates; at most 100");
	/* 100 gates are read through, to the first that nothing measures. */
	CHECK_MANY("{'stages': [" ST "], 'gates': {", "'m%zu_max': 1", 100, "}}",
		   "slipway.json: gates.m0_max: no stage measures metric \"m0\"");
	CHECK_MANY("{'stages': [{'name': 'a', 'run': 'x', 'branches': [", "'b%zu/*'", MANY, "]}]}",
		   "slipway.json: stages[0].branches: 200000 branch patterns; at most 100");
	CHECK_MANY_OK("{'stages': [{'name': 'a', 'run': 'x', 'branches': [", "'b%zu/*'", 100, "]}]}");
	CHECK_MANY("{'stages': [{'name': 'a', 'run': 'x', 'parse': [", "{'regex': 'x', 'metric': 'm%zu'}",
		   MANY, "]}]}", "slipway.json: stages[0].parse: 200000 parsers; at most 32");
	CHECK_MANY_OK("{'stages': [{'name': 'a', 'run': 'x', 'parse': [", "{'regex': 'x', 'metric': 'm%zu'}",
		      32, "]}]}");
	/* Each pattern is compiled to be checked, which takes its time. */
	CHECK_MANY("{'stages': [", "{'name': 's%zu', 'run': 'x', 'parse': {'regex': 'x', 'metric': 'm'}}",
		   101, "]}", "slipway.json: stages[100].parse: too many regex parsers: at most 100 in a file");
	CHECK_MANY_OK("{'stages': [", "{'name': 's%zu', 'run': 'x', 'parse': {'regex': 'x', 'metric': 'm'}}",
		      100, "]}");
	CHECK_MANY("{'stages': [" ST "], 'ui': {'protected': [", "'b%zu'", MANY, "]}}",
		   "slipway.json: ui.protected: 200000 branches; at most 100");
	CHECK_MANY_OK("{'stages': [" ST "], 'ui': {'protected': [", "'b%zu'", 100, "]}}");
}

/* Objects of 200,000 keys wherever one can be: each is refused at its
 * first unknown or repeated key, not compared key against key. */
static void test_large_objects(void)
{
	CHECK_MANY("{'stages': [" ST "], 'ui': {", "'k%zu': 1", MANY, "}}",
		   "slipway.json: ui: unknown key \"k0\"");
	CHECK_MANY("{'stages': [" ST "], 'retention': {", "'runs': 1", MANY, "}}",
		   "slipway.json: retention: duplicate key \"runs\"");
	CHECK_MANY("{", "'stages': [{'name': 's%zu', 'run': 'x'}]", MANY, "}",
		   "slipway.json: duplicate key \"stages\"");
	CHECK_MANY("{'stages': [{'run': 'x', ", "'name': 's%zu'", MANY, "}]}",
		   "slipway.json: stages[0]: duplicate key \"name\"");
	CHECK_MANY("{'stages': [{'name': 'a', 'run': 'x', 'parse': {'metric': 'm', ", "'regex': '%zu'",
		   MANY, "}}]}", "slipway.json: stages[0].parse: duplicate key \"regex\"");
	CHECK_MANY("{'stages': [" ST "], 'gates': {", "'lint_max': %zu", MANY, "}}",
		   "slipway.json: gates: 200000 gates; at most 100");
	CHECK_MANY("{'stages': [{'name': 'a', 'run': 'x', 'env': {", "'V': '%zu'", MANY, "}}]}",
		   "slipway.json: stages[0].env: 200000 variables; at most 100");
	CHECK_MANY("{'stages': [{'name': 'a', 'run': {", "'k%zu': 1", MANY, "}}]}",
		   "slipway.json: stages[0].run: expected a string, got an object");
}

/* 1000 stages at their bounds: 100 variables and the three named parsers
 * each, a regex metric "m<stage>" in the last 100, then the gates given. */
static char *largest_pipeline(const char *gates)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, "{\"stages\": [");
	for (size_t i = 0; i < 1000; i++) {
		sbuf_addf(&sb, "%s{\"name\": \"s%zu\", \"run\": \"x\", \"env\": {", i ? "," : "", i);
		for (size_t j = 0; j < 100; j++)
			sbuf_addf(&sb, "%s\"V%zu\": \"\"", j ? "," : "", j);
		sbuf_adds(&sb, "}, \"parse\": [\"flake8\", \"pytest\", \"coverage\"");
		if (i >= 900)
			sbuf_addf(&sb, ", {\"regex\": \"x\", \"metric\": \"m%zu\"}", i);
		sbuf_adds(&sb, "]}");
	}
	sbuf_addf(&sb, "], \"gates\": {%s}}", gates);
	return sbuf_detach(&sb);
}

/* 100 gates on the metrics of the last stages, the last gate on extra. */
static char *last_gates(const char *extra)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (size_t k = 0; k < 99; k++)
		sbuf_addf(&sb, "\"m%zu_max\": 1, ", 999 - k);
	sbuf_addf(&sb, "\"%s_max\": 1", extra);
	return sbuf_detach(&sb);
}

/* Within the bounds, what multiplies stays quick too: every stage at its
 * bounds, gates looked up among all their metrics. */
static void test_bounds_together(void)
{
	char *gates = last_gates("m900");
	char *text = largest_pipeline(gates);
	char *e = error_of(text);
	CHECK(e == NULL);
	free(e);
	free(text);
	free(gates);
	gates = last_gates("m9999");
	text = largest_pipeline(gates);
	e = error_of(text);
	CHECK_STR(e, "slipway.json: gates.m9999_max: no stage measures metric \"m9999\" "
		     "(did you mean \"m999\"?)");
	free(e);
	free(text);
	free(gates);
}

static void test_load_file_errors(void)
{
	struct sw_config cfg;
	char *err = NULL;
	CHECK_INT(sw_config_load_file(&cfg, "/nonexistent/slipway.json", &err), -1);
	CHECK_STR(err, "/nonexistent/slipway.json: cannot read: No such file or directory");
	CHECK(cfg_is_empty(&cfg));
	free(err);
}

/* The position of the sample's closing brace: every shorter prefix is cut. */
static size_t last_brace(const char *text, size_t len)
{
	while (len > 0 && text[len - 1] != '}')
		len--;
	return len ? len - 1 : 0;
}

static void test_truncations(void)
{
	size_t len;
	char *text = read_fixture("sample.json", &len);
	CHECK(text != NULL);
	if (!text)
		return;
	size_t end = last_brace(text, len);
	CHECK(end > 100);
	for (size_t n = 0; n <= end; n++) {
		char *e = error_of_len(text, n);
		if (!e)
			printf("  prefix of %zu bytes parsed\n", n);
		CHECK(e != NULL);
		CHECK(e && strstr(e, ": syntax error: ") != NULL);
		free(e);
	}
	char *e = error_of_len(text, len);
	CHECK(e == NULL);
	free(e);
	free(text);
}

/* Single-byte damage anywhere: no crash, no leak, and a well-formed error
 * whenever it is refused (error_of_len checks the form). */
static void test_mutations(void)
{
	static const char repl[] = "\"{}[],: x0\\\n\x80";
	size_t len;
	char *text = read_fixture("sample.json", &len);
	if (!text)
		return;
	char *buf = xmalloc(len);
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof repl - 1; k++) {
			memcpy(buf, text, len);
			buf[i] = repl[k];
			free(error_of_len(buf, len));
		}
		/* And deleted. */
		memcpy(buf, text, i);
		memcpy(buf + i, text + i + 1, len - i - 1);
		free(error_of_len(buf, len - 1));
	}
	free(buf);
	free(text);
}

int main(void)
{
	RUN_TEST(test_sample);
	RUN_TEST(test_watch);
	RUN_TEST(test_deploy_swarm);
	RUN_TEST(test_deploy_fleet);
	RUN_TEST(test_defaults);
	RUN_TEST(test_other_values);
	RUN_TEST(test_syntax_errors);
	RUN_TEST(test_strict_json);
	RUN_TEST(test_deep_nesting);
	RUN_TEST(test_type_errors);
	RUN_TEST(test_unknown_keys);
	RUN_TEST(test_missing_and_stage_names);
	RUN_TEST(test_push_stages);
	RUN_TEST(test_parse_specs);
	RUN_TEST(test_reports);
	RUN_TEST(test_secrets_and_env);
	RUN_TEST(test_pass_env);
	RUN_TEST(test_gates);
	RUN_TEST(test_bounds);
	RUN_TEST(test_large_objects);
	RUN_TEST(test_bounds_together);
	RUN_TEST(test_load_file_errors);
	RUN_TEST(test_truncations);
	RUN_TEST(test_mutations);
	UNIT_EXIT();
}
