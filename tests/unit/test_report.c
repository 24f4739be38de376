/* Unit tests for the metrics and report parsers, fed with real flake8,
 * pytest and coverage.py outputs (tests/fixtures/reports) and broken ones. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/metrics.h"
#include "slipway/report.h"
#include "slipway/util.h"
#include "unit.h"

#define CHECK_NUM(a, b) CHECK(fabs((double)(a) - (double)(b)) < 1e-9)

static char *fixture(const char *name)
{
	const char *src = getenv("SW_SRCDIR");
	return xasprintf("%s/tests/fixtures/reports/%s", src && *src ? src : ".", name);
}

/* Feeds a fixture line by line, as a stage's output arrives. */
static void feed_fixture(struct sw_line_parser *p, const char *name)
{
	char *path = fixture(name);
	size_t len = 0;
	char *text = sw_read_file(path, &len);
	CHECK(text != NULL);
	for (size_t i = 0; text && i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		sw_line_parser_feed(p, text + i, n);
		i += n + 1;
	}
	free(text);
	free(path);
}

static void feed_str(struct sw_line_parser *p, const char *line)
{
	sw_line_parser_feed(p, line, strlen(line));
}

static struct sw_line_parser *new_parser(enum sw_parser_kind kind)
{
	char *err = NULL;
	struct sw_line_parser *p = sw_line_parser_new(kind, NULL, NULL, &err);
	CHECK(p != NULL);
	CHECK(err == NULL);
	free(err);
	return p;
}

/* Runs one parser over a fixture into m. */
static void parse_fixture(enum sw_parser_kind kind, const char *name, struct sw_metrics *m,
			  struct strlist *warnings)
{
	struct sw_line_parser *p = new_parser(kind);
	feed_fixture(p, name);
	sw_line_parser_finish(p, m, warnings);
	sw_line_parser_free(p);
}

static long count_of(const struct sw_count *arr, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(arr[i].key, key) == 0)
			return arr[i].n;
	return -1;
}

/* ---- metrics ---- */

static void test_kind_names(void)
{
	CHECK_INT(sw_parser_kind_from_name("flake8"), SW_PARSE_FLAKE8);
	CHECK_INT(sw_parser_kind_from_name("pytest"), SW_PARSE_PYTEST);
	CHECK_INT(sw_parser_kind_from_name("coverage"), SW_PARSE_COVERAGE);
	CHECK_INT(sw_parser_kind_from_name("regex"), SW_PARSE_REGEX);
	CHECK_INT(sw_parser_kind_from_name("pylint"), -1);
	CHECK_INT(sw_parser_kind_from_name(""), -1);
}

static void test_count_add_order(void)
{
	struct sw_count *arr = NULL;
	size_t n = 0;
	const char *keys[] = {"W291", "E501", "F401", "E501", "C901", "W291", "E501", "Z1", "A0"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		sw_count_add(&arr, &n, keys[i], 1);
	sw_count_add(&arr, &n, "F401", 10);
	CHECK_INT(n, 6);
	for (size_t i = 1; i < n; i++)
		CHECK(strcmp(arr[i - 1].key, arr[i].key) < 0);
	CHECK_STR(arr[0].key, "A0");
	CHECK_STR(arr[5].key, "Z1");
	CHECK_INT(count_of(arr, n, "E501"), 3);
	CHECK_INT(count_of(arr, n, "F401"), 11);
	CHECK_INT(count_of(arr, n, "W291"), 2);
	for (size_t i = 0; i < n; i++)
		free(arr[i].key);
	free(arr);
}

/* A run.json may repeat a key with any count: the sum stays within a long
 * (found by fuzz_record). */
static void test_count_add_extremes(void)
{
	struct sw_count *arr = NULL;
	size_t n = 0;
	sw_count_add(&arr, &n, "E1", LONG_MAX);
	sw_count_add(&arr, &n, "E1", 4);
	sw_count_add(&arr, &n, "E2", LONG_MIN);
	sw_count_add(&arr, &n, "E2", -4);
	CHECK(count_of(arr, n, "E1") == LONG_MAX);
	CHECK(count_of(arr, n, "E2") == LONG_MIN);
	for (size_t i = 0; i < n; i++)
		free(arr[i].key);
	free(arr);
	struct sw_metrics m;
	cJSON *json = cJSON_Parse("{\"lint\": {\"by_code\": {\"E1\": 9e18, \"E1\": 9e18}}}");
	sw_metrics_from_json(&m, json);
	cJSON_Delete(json);
	CHECK_INT(m.lint.ncodes, 1);
	if (m.lint.ncodes == 1)
		CHECK(m.lint.by_code[0].n == LONG_MAX);
	sw_metrics_free(&m);
}

static void test_metrics_get(void)
{
	struct sw_metrics m = {0};
	double v = -1;
	CHECK(!sw_metrics_get(&m, "coverage", &v));
	CHECK(!sw_metrics_get(&m, "lint", &v));
	CHECK(!sw_metrics_get(&m, "tests_failed", &v));
	CHECK(!sw_metrics_get(&m, "bundle_kb", &v));
	m.tests = (struct sw_tests){.known = true, .passed = 7, .failed = 2, .errors = 1,
				    .skipped = 3};
	m.lint = (struct sw_lint){.known = true, .count = 4};
	m.coverage = (struct sw_coverage){.known = true, .percent = 87.5};
	sw_metrics_set_custom(&m, "bundle_kb", 120);
	sw_metrics_set_custom(&m, "bundle_kb", 118.5);
	sw_metrics_set_custom(&m, "coverage", 1);
	CHECK_INT(m.ncustom, 2);
	CHECK(sw_metrics_get(&m, "coverage", &v) && v == 87.5);
	CHECK(sw_metrics_get(&m, "lint", &v) && v == 4);
	CHECK(sw_metrics_get(&m, "tests_failed", &v) && v == 3);
	CHECK(sw_metrics_get(&m, "tests_passed", &v) && v == 7);
	CHECK(sw_metrics_get(&m, "tests_skipped", &v) && v == 3);
	CHECK(sw_metrics_get(&m, "bundle_kb", &v) && v == 118.5);
	CHECK(!sw_metrics_get(&m, "bundle", &v));
	/* Counts at their cap add up without overflowing a long. */
	m.tests.failed = m.tests.errors = LONG_MAX;
	CHECK(sw_metrics_get(&m, "tests_failed", &v) && v == 2.0 * (double)LONG_MAX);
	sw_metrics_free(&m);
	CHECK(m.custom == NULL && m.ncustom == 0);
}

static void fill_sample(struct sw_metrics *m)
{
	m->tests = (struct sw_tests){.known = true, .passed = 5, .failed = 2, .skipped = 1,
				     .errors = 1, .xfail = 1};
	m->tests.failures = xcalloc(2, sizeof *m->tests.failures);
	m->tests.failures[0] = (struct sw_failure){xstrdup("tests/a.py::t[x - y]"),
						   xstrdup("AssertionError: \"q\"\n\tdone")};
	m->tests.failures[1] = (struct sw_failure){xstrdup("tests/b.py::u"), xstrdup("")};
	m->tests.nfailures = 2;
	m->lint.known = true;
	m->lint.count = 3;
	sw_count_add(&m->lint.by_code, &m->lint.ncodes, "F401", 2);
	sw_count_add(&m->lint.by_code, &m->lint.ncodes, "E501", 1);
	sw_count_add(&m->lint.by_file, &m->lint.nfiles, "pkg/x.py", 3);
	m->coverage.known = true;
	m->coverage.percent = 68.18;
	m->coverage.files = xcalloc(2, sizeof *m->coverage.files);
	m->coverage.files[0] = (struct sw_file_coverage){xstrdup("text.py"), 44.44};
	m->coverage.files[1] = (struct sw_file_coverage){xstrdup("calc.py"), 84.62};
	m->coverage.nfiles = 2;
	sw_metrics_set_custom(m, "bundle_kb", 118.5);
	sw_metrics_set_custom(m, "p95_ms", 12);
}

static void check_sample(const struct sw_metrics *m)
{
	CHECK(m->tests.known);
	CHECK_INT(m->tests.passed, 5);
	CHECK_INT(m->tests.failed, 2);
	CHECK_INT(m->tests.skipped, 1);
	CHECK_INT(m->tests.errors, 1);
	CHECK_INT(m->tests.xfail, 1);
	CHECK_INT(m->tests.nfailures, 2);
	if (m->tests.nfailures == 2) {
		CHECK_STR(m->tests.failures[0].name, "tests/a.py::t[x - y]");
		CHECK_STR(m->tests.failures[0].message, "AssertionError: \"q\"\n\tdone");
		CHECK_STR(m->tests.failures[1].message, "");
	}
	CHECK(m->lint.known);
	CHECK_INT(m->lint.count, 3);
	CHECK_INT(m->lint.ncodes, 2);
	CHECK_INT(count_of(m->lint.by_code, m->lint.ncodes, "F401"), 2);
	CHECK_INT(count_of(m->lint.by_file, m->lint.nfiles, "pkg/x.py"), 3);
	CHECK(m->coverage.known);
	CHECK_NUM(m->coverage.percent, 68.18);
	CHECK_INT(m->coverage.nfiles, 2);
	if (m->coverage.nfiles == 2) {
		CHECK_STR(m->coverage.files[0].path, "text.py");
		CHECK_NUM(m->coverage.files[1].percent, 84.62);
	}
	double v;
	CHECK(sw_metrics_get(m, "bundle_kb", &v) && v == 118.5);
	CHECK(sw_metrics_get(m, "p95_ms", &v) && v == 12);
}

static void test_json_round_trip(void)
{
	struct sw_metrics m = {0}, back;
	fill_sample(&m);
	cJSON *json = sw_metrics_to_json(&m);
	char *text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	/* Through text, as run.json is written and read. */
	cJSON *parsed = cJSON_Parse(text);
	CHECK(parsed != NULL);
	CHECK(strstr(text, "\"by_code\":{\"E501\":1,\"F401\":2}") != NULL);
	CHECK(strstr(text, "\"percent\":68.18") != NULL);
	sw_metrics_from_json(&back, parsed);
	check_sample(&back);
	cJSON_Delete(parsed);
	free(text);
	sw_metrics_free(&back);
	sw_metrics_free(&m);
}

static void test_json_sections_absent(void)
{
	struct sw_metrics m = {0}, back;
	cJSON *json = sw_metrics_to_json(&m);
	char *text = cJSON_PrintUnformatted(json);
	CHECK_STR(text, "{}");
	sw_metrics_from_json(&back, json);
	CHECK(!back.tests.known && !back.lint.known && !back.coverage.known && !back.ncustom);
	free(text);
	cJSON_Delete(json);
	m.lint.known = true;
	json = sw_metrics_to_json(&m);
	text = cJSON_PrintUnformatted(json);
	CHECK_STR(text, "{\"lint\":{\"count\":0,\"by_code\":{},\"by_file\":{}}}");
	free(text);
	cJSON_Delete(json);
}

static void test_json_clean_and_caps(void)
{
	struct sw_metrics m = {0}, back;
	m.tests.known = true;
	m.tests.failures = xcalloc(300, sizeof *m.tests.failures);
	for (int i = 0; i < 300; i++) {
		m.tests.failures[i].name = xasprintf("t%d caf\xe9", i);
		m.tests.failures[i].message = xmalloc(10001);
		memset(m.tests.failures[i].message, 'x', 10000);
		m.tests.failures[i].message[10000] = '\0';
	}
	m.tests.nfailures = 300;
	sw_metrics_set_custom(&m, "bad\xff", 1);
	cJSON *json = sw_metrics_to_json(&m);
	char *text = cJSON_PrintUnformatted(json);
	CHECK(sw_utf8_valid(text, strlen(text)));
	const cJSON *arr = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "tests"), "failures");
	CHECK_INT(cJSON_GetArraySize(arr), 200);
	const cJSON *f0 = cJSON_GetArrayItem(arr, 0);
	CHECK_STR(cJSON_GetObjectItem(f0, "name")->valuestring, "t0 caf\xef\xbf\xbd");
	CHECK(strlen(cJSON_GetObjectItem(f0, "message")->valuestring) <= 4096);
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "custom"), "bad\xef\xbf\xbd"));
	sw_metrics_from_json(&back, json);
	CHECK_INT(back.tests.nfailures, 200);
	free(text);
	cJSON_Delete(json);
	sw_metrics_free(&back);
	sw_metrics_free(&m);
}

static void test_json_garbage(void)
{
	struct sw_metrics m;
	const char *text = "{\"tests\":{\"passed\":\"7\",\"failed\":1e300,\"failures\":[1,{\"name\":3},"
			   "{\"name\":\"ok\",\"message\":\"caf\xe9\"}]},\"lint\":[],\"coverage\":"
			   "{\"percent\":\"x\",\"files\":{}},\"custom\":{\"a\":\"1\",\"b\":2}}";
	cJSON *json = cJSON_Parse(text);
	CHECK(json != NULL);
	sw_metrics_from_json(&m, json);
	CHECK(m.tests.known);
	CHECK_INT(m.tests.passed, 0);
	CHECK(m.tests.failed > 0);
	CHECK_INT(m.tests.nfailures, 2);
	if (m.tests.nfailures == 2) {
		CHECK_STR(m.tests.failures[0].name, "");
		CHECK_STR(m.tests.failures[1].message, "caf\xef\xbf\xbd");
	}
	CHECK(!m.lint.known);
	CHECK(m.coverage.known && m.coverage.percent == 0 && m.coverage.nfiles == 0);
	CHECK_INT(m.ncustom, 1);
	sw_metrics_free(&m);
	sw_metrics_from_json(&m, NULL);
	CHECK(!m.tests.known && !m.ncustom);
	cJSON_Delete(json);
}

/* ---- flake8 ---- */

static void check_flake8_fixture(const struct sw_metrics *m)
{
	CHECK(m->lint.known);
	CHECK_INT(m->lint.count, 6);
	CHECK_INT(m->lint.ncodes, 5);
	CHECK_INT(count_of(m->lint.by_code, m->lint.ncodes, "F401"), 2);
	CHECK_INT(count_of(m->lint.by_code, m->lint.ncodes, "E501"), 1);
	CHECK_INT(m->lint.nfiles, 3);
	CHECK_INT(count_of(m->lint.by_file, m->lint.nfiles, "pkg/text.py"), 4);
	CHECK_INT(count_of(m->lint.by_file, m->lint.nfiles, "tests/test_calc.py"), 1);
	CHECK(!m->tests.known && !m->coverage.known && !m->ncustom);
}

static void test_flake8_real(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_FLAKE8, "flake8.txt", &m, &w);
	check_flake8_fixture(&m);
	CHECK_INT(w.len, 0);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_flake8_color(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_FLAKE8, "flake8_color.txt", &m, &w);
	check_flake8_fixture(&m);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_flake8_nonutf8(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_FLAKE8, "flake8_nonutf8.txt", &m, &w);
	CHECK_INT(m.lint.count, 2);
	CHECK_INT(count_of(m.lint.by_file, m.lint.nfiles, "pkg/caf\xef\xbf\xbd.py"), 1);
	CHECK_INT(count_of(m.lint.by_file, m.lint.nfiles, "pkg/ok.py"), 1);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_flake8_odd_lines(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	struct sw_line_parser *p = new_parser(SW_PARSE_FLAKE8);
	feed_str(p, "./src/a.py:1:1: W291 trailing whitespace\r");
	feed_str(p, "C:\\proj\\b.py:10:2: E101 indentation\n");
	feed_str(p, "a.py:3:1: SIM102 use a single if");
	feed_str(p, "weird: name.py:2:4: E999 SyntaxError: x:1:2: F401 not this");
	feed_str(p, "a.py:3: E501 no column");
	feed_str(p, "a.py:x:1: E501 no line");
	feed_str(p, "2     F401 'os' imported but unused");
	feed_str(p, "6");
	feed_str(p, "");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK_INT(m.lint.count, 4);
	CHECK_INT(count_of(m.lint.by_file, m.lint.nfiles, "src/a.py"), 1);
	CHECK_INT(count_of(m.lint.by_file, m.lint.nfiles, "C:\\proj\\b.py"), 1);
	CHECK_INT(count_of(m.lint.by_file, m.lint.nfiles, "weird: name.py"), 1);
	CHECK_INT(count_of(m.lint.by_code, m.lint.ncodes, "SIM102"), 1);
	CHECK_INT(count_of(m.lint.by_code, m.lint.ncodes, "E999"), 1);
	CHECK_INT(count_of(m.lint.by_code, m.lint.ncodes, "F401"), -1);
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* An empty line never reads past its end, nor behind its NUL where a
 * longer line held before may still lie (issue 13, defect 2). */
static void test_flake8_blank_lines(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	struct sw_line_parser *p = new_parser(SW_PARSE_FLAKE8);
	feed_str(p, "");
	feed_str(p, "a.py:1:1: E101 x");
	feed_str(p, "");
	feed_str(p, "");
	feed_str(p, ":1:1: E101 no path");
	feed_str(p, "");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK_INT(m.lint.count, 1);
	CHECK_INT(count_of(m.lint.by_file, m.lint.nfiles, "a.py"), 1);
	CHECK_INT(count_of(m.lint.by_file, m.lint.nfiles, ""), -1);
	CHECK_INT((long)m.lint.nfiles, 1);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_flake8_merge_and_clean(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	/* A clean run is known: zero findings, not "never measured". */
	struct sw_line_parser *p = new_parser(SW_PARSE_FLAKE8);
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	double v = -1;
	CHECK(sw_metrics_get(&m, "lint", &v) && v == 0);
	parse_fixture(SW_PARSE_FLAKE8, "flake8.txt", &m, &w);
	parse_fixture(SW_PARSE_FLAKE8, "flake8.txt", &m, &w);
	CHECK_INT(m.lint.count, 12);
	CHECK_INT(count_of(m.lint.by_code, m.lint.ncodes, "F401"), 4);
	CHECK_INT(w.len, 0);
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* ---- pytest ---- */

static void check_pytest_fixture(const struct sw_metrics *m)
{
	const struct sw_tests *t = &m->tests;
	CHECK(t->known);
	CHECK_INT(t->passed, 5);
	CHECK_INT(t->failed, 2);
	CHECK_INT(t->skipped, 1);
	CHECK_INT(t->xfail, 1);
	CHECK_INT(t->errors, 1);
	CHECK_INT(t->nfailures, 3);
	if (t->nfailures != 3)
		return;
	CHECK_STR(t->failures[0].name, "tests/test_calc.py::test_add_wrong");
	CHECK_STR(t->failures[0].message, "AssertionError: maths is broken");
	CHECK_STR(t->failures[1].name, "tests/test_calc.py::test_param[a - b]");
	/* pytest shortens it to the terminal width, counting colour codes. */
	CHECK(strncmp(t->failures[1].message, "AssertionError: assert 'a - b'", 30) == 0);
	CHECK_STR(t->failures[2].name, "tests/test_calc.py::test_with_error");
	CHECK_STR(t->failures[2].message, "RuntimeError: fixture exploded");
}

static void test_pytest_real(void)
{
	const char *files[] = {"pytest.txt", "pytest_q.txt", "pytest_color.txt",
			       "pytest_cov_branch.txt"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		struct sw_metrics m = {0};
		struct strlist w = {0};
		parse_fixture(SW_PARSE_PYTEST, files[i], &m, &w);
		check_pytest_fixture(&m);
		CHECK_INT(w.len, 0);
		CHECK(!m.lint.known && !m.coverage.known);
		double v;
		CHECK(sw_metrics_get(&m, "tests_failed", &v) && v == 3);
		sw_metrics_free(&m);
		strlist_free(&w);
	}
}

static void test_pytest_warnings_xpassed(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_PYTEST, "pytest_warnings.txt", &m, &w);
	CHECK(m.tests.known);
	CHECK_INT(m.tests.passed, 3);
	CHECK_INT(m.tests.failed + m.tests.errors + m.tests.skipped, 0);
	CHECK_INT(m.tests.nfailures, 0);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_pytest_nothing_ran(void)
{
	const char *files[] = {"pytest_empty.txt", "pytest_deselected_q.txt"};
	for (size_t i = 0; i < 2; i++) {
		struct sw_metrics m = {0};
		struct strlist w = {0};
		parse_fixture(SW_PARSE_PYTEST, files[i], &m, &w);
		CHECK(m.tests.known);
		CHECK_INT(m.tests.passed + m.tests.failed + m.tests.errors, 0);
		CHECK_INT(w.len, 0);
		sw_metrics_free(&m);
		strlist_free(&w);
	}
}

static void test_pytest_collect_errors(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_PYTEST, "pytest_collect_errors.txt", &m, &w);
	CHECK(m.tests.known);
	CHECK_INT(m.tests.errors, 2);
	CHECK_INT(m.tests.passed, 0);
	CHECK_INT(m.tests.nfailures, 2);
	if (m.tests.nfailures == 2) {
		CHECK_STR(m.tests.failures[0].name, "tests/test_a.py");
		CHECK_STR(m.tests.failures[0].message, "");
		CHECK_STR(m.tests.failures[1].name, "tests/test_b.py");
	}
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_pytest_no_summary(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	m.tests.known = true;
	m.tests.passed = 9;
	parse_fixture(SW_PARSE_PYTEST, "pytest_truncated.txt", &m, &w);
	CHECK_INT(w.len, 1);
	if (w.len == 1)
		CHECK_STR(w.items[0], "pytest: no summary line found in the output");
	CHECK_INT(m.tests.passed, 9);
	CHECK_INT(m.tests.nfailures, 0);
	strlist_free(&w);
	sw_metrics_free(&m);
	/* flake8 output is not pytest output either. */
	parse_fixture(SW_PARSE_PYTEST, "flake8.txt", &m, &w);
	CHECK_INT(w.len, 1);
	CHECK(!m.tests.known);
	strlist_free(&w);
}

static void test_pytest_nonutf8(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_PYTEST, "pytest_nonutf8.txt", &m, &w);
	CHECK_INT(m.tests.failed, 1);
	CHECK_INT(m.tests.passed, 3);
	CHECK_INT(m.tests.nfailures, 1);
	if (m.tests.nfailures == 1)
		CHECK_STR(m.tests.failures[0].message,
			  "AssertionError: caf\xef\xbf\xbd != caf\xc3\xa9");
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_pytest_summary_forms(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	struct sw_line_parser *p = new_parser(SW_PARSE_PYTEST);
	/* Not summaries: */
	feed_str(p, "collected 4 items / 1 deselected / 3 selected");
	feed_str(p, "!!!!!!! Interrupted: 2 errors during collection !!!!!!!");
	feed_str(p, "it ran in 3s");
	feed_str(p, "== 3 passed in a hurry ==");
	feed_str(p, "FAILED outside/the/section.py::t - ignored");
	/* Summaries, added up: */
	feed_str(p, "==== 3 passed, 1 failed, 2 skipped, 1 xfailed, 1 error in 0.12s ====");
	feed_str(p, "1 passed, 2 errors, 1 rerun, 3 warnings in 65.20s (0:01:05)");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK_INT(w.len, 0);
	CHECK_INT(m.tests.passed, 4);
	CHECK_INT(m.tests.failed, 1);
	CHECK_INT(m.tests.skipped, 2);
	CHECK_INT(m.tests.xfail, 1);
	CHECK_INT(m.tests.errors, 3);
	CHECK_INT(m.tests.nfailures, 0);
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* Counts stop at LONG_MAX: a forged summary never overflows them, in one
 * line, across lines or across parsers (found by fuzz_lines). */
static void test_pytest_huge_counts(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	struct sw_line_parser *p = new_parser(SW_PARSE_PYTEST);
	feed_str(p, "== 9223372036854775807 passed, 5 passed, 99999999999999999999 failed in 1s ==");
	feed_str(p, "== 3 passed, 1 failed in 1s ==");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	p = new_parser(SW_PARSE_PYTEST);
	feed_str(p, "== 9223372036854775807 passed, 1 skipped, 1 error in 1s ==");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK_INT(w.len, 0);
	CHECK(m.tests.passed == LONG_MAX);
	CHECK(m.tests.failed == LONG_MAX);
	CHECK_INT(m.tests.skipped, 1);
	CHECK_INT(m.tests.errors, 1);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_pytest_failure_caps(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	struct sw_line_parser *p = new_parser(SW_PARSE_PYTEST);
	feed_str(p, "=========== short test summary info ===========");
	struct sbuf line;
	sbuf_init(&line);
	for (int i = 0; i < 300; i++) {
		sbuf_reset(&line);
		sbuf_addf(&line, "FAILED t.py::test_%d - ", i);
		/* A 64 KiB message of two-byte characters: cut on a character boundary. */
		for (int k = 0; k < 32768; k++)
			sbuf_adds(&line, "\xc3\xa9");
		sw_line_parser_feed(p, line.buf, line.len);
	}
	sbuf_free(&line);
	feed_str(p, "300 failed in 1.00s");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK_INT(m.tests.failed, 300);
	CHECK_INT(m.tests.nfailures, 200);
	if (m.tests.nfailures == 200) {
		CHECK_STR(m.tests.failures[199].name, "t.py::test_199");
		CHECK(strlen(m.tests.failures[0].message) <= 4096);
		CHECK(strlen(m.tests.failures[0].message) > 4000);
		CHECK(sw_utf8_valid(m.tests.failures[0].message, strlen(m.tests.failures[0].message)));
	}
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* ---- coverage ---- */

static void test_coverage_real(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_COVERAGE, "pytest.txt", &m, &w);
	CHECK_INT(w.len, 0);
	CHECK(m.coverage.known);
	CHECK_NUM(m.coverage.percent, 68);
	CHECK_INT(m.coverage.nfiles, 3);
	if (m.coverage.nfiles == 3) {
		CHECK_STR(m.coverage.files[0].path, "pkg/text.py");
		CHECK_NUM(m.coverage.files[0].percent, 44);
		CHECK_STR(m.coverage.files[1].path, "pkg/calc.py");
		CHECK_NUM(m.coverage.files[1].percent, 85);
		CHECK_STR(m.coverage.files[2].path, "pkg/__init__.py");
	}
	CHECK(!m.tests.known && !m.lint.known);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_coverage_branch_columns(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_COVERAGE, "pytest_cov_branch.txt", &m, &w);
	CHECK_NUM(m.coverage.percent, 68);
	CHECK_INT(m.coverage.nfiles, 3);
	if (m.coverage.nfiles == 3)
		CHECK_NUM(m.coverage.files[1].percent, 79);
	sw_metrics_free(&m);
	parse_fixture(SW_PARSE_COVERAGE, "coverage_report.txt", &m, &w);
	CHECK_NUM(m.coverage.percent, 67.86);
	CHECK_INT(m.coverage.nfiles, 3);
	if (m.coverage.nfiles == 3) {
		CHECK_STR(m.coverage.files[0].path, "pkg/text.py");
		CHECK_NUM(m.coverage.files[0].percent, 44.44);
		CHECK_NUM(m.coverage.files[1].percent, 78.95);
	}
	CHECK_INT(w.len, 0);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_coverage_odd_tables(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	struct sw_line_parser *p = new_parser(SW_PARSE_COVERAGE);
	/* Numbers outside a table are not rows. */
	feed_str(p, "TOTAL 10 2 80%");
	feed_str(p, "Name                Stmts   Miss  Cover   Missing");
	feed_str(p, "-------------------------------------------------");
	feed_str(p, "my dir/odd 1.py        10      5    50%   1-5");
	feed_str(p, "123.py                  4      0   100%");
	feed_str(p, "-------------------------------------------------");
	feed_str(p, "\x1b[1mTOTAL\x1b[0m                  14      5    64%");
	feed_str(p, "Name  Stmts  Miss  Cover");
	feed_str(p, "half.py  3  1");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK_INT(w.len, 0);
	CHECK_NUM(m.coverage.percent, 64);
	CHECK_INT(m.coverage.nfiles, 2);
	if (m.coverage.nfiles == 2) {
		CHECK_STR(m.coverage.files[0].path, "my dir/odd 1.py");
		CHECK_STR(m.coverage.files[1].path, "123.py");
	}
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_coverage_no_total(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	m.coverage.known = true;
	m.coverage.percent = 50;
	parse_fixture(SW_PARSE_COVERAGE, "pytest_truncated.txt", &m, &w);
	CHECK_INT(w.len, 1);
	if (w.len == 1)
		CHECK_STR(w.items[0], "coverage: no TOTAL line found in the output");
	CHECK(m.coverage.known && m.coverage.percent == 50);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_only_own_section(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	fill_sample(&m);
	parse_fixture(SW_PARSE_COVERAGE, "pytest.txt", &m, &w);
	CHECK_NUM(m.coverage.percent, 68);
	CHECK_INT(m.tests.passed, 5);
	CHECK_INT(m.tests.nfailures, 2);
	CHECK_INT(m.lint.count, 3);
	parse_fixture(SW_PARSE_FLAKE8, "flake8.txt", &m, &w);
	CHECK_INT(m.lint.count, 9);
	CHECK_INT(m.tests.passed, 5);
	CHECK_NUM(m.coverage.percent, 68);
	CHECK_INT(m.ncustom, 2);
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* ---- regex ---- */

static struct sw_line_parser *regex_parser(const char *pattern, const char *metric)
{
	char *err = NULL;
	struct sw_line_parser *p = sw_line_parser_new(SW_PARSE_REGEX, pattern, metric, &err);
	CHECK(p != NULL);
	CHECK(err == NULL);
	free(err);
	return p;
}

static void test_regex_values(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	double v;
	struct sw_line_parser *p = regex_parser("bundle: (\\d+(?:\\.\\d+)?) ?kB", "bundle_kb");
	feed_str(p, "bundle: 120 kB");
	feed_str(p, "\x1b[32mbundle: 118.5kB\x1b[0m \xff");
	feed_str(p, "nothing here");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK(sw_metrics_get(&m, "bundle_kb", &v) && v == 118.5);
	/* Whole match, last match on a line wins, a trailing % is allowed. */
	p = regex_parser("\\d+%", "pct");
	feed_str(p, "a 10% b 20% c");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK(sw_metrics_get(&m, "pct", &v) && v == 20);
	/* Unicode in the pattern and in the text. */
	p = regex_parser("durée: (\\S+) s", "duree");
	feed_str(p, "durée: 2.5 s \xe9\xe9");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK(sw_metrics_get(&m, "duree", &v) && v == 2.5);
	CHECK_INT(w.len, 0);
	CHECK_INT(m.ncustom, 3);
	CHECK(!m.tests.known && !m.lint.known && !m.coverage.known);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_regex_on_pytest_output(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	double v;
	struct sw_line_parser *p = regex_parser("(\\d+) passed", "passed");
	feed_fixture(p, "pytest_color.txt");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK(sw_metrics_get(&m, "passed", &v) && v == 5);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_regex_errors(void)
{
	char *err = NULL;
	struct sw_line_parser *p = sw_line_parser_new(SW_PARSE_REGEX, "size: (\\d+", "size", &err);
	CHECK(p == NULL);
	CHECK(err && strstr(err, "missing closing parenthesis"));
	free(err);
	err = NULL;
	p = sw_line_parser_new(SW_PARSE_REGEX, NULL, "size", &err);
	CHECK(p == NULL && err != NULL);
	free(err);
	err = NULL;
	p = sw_line_parser_new(SW_PARSE_REGEX, "\xff(\\d+)", "size", &err);
	CHECK(p == NULL && err != NULL);
	free(err);
}

static void test_regex_warnings(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	double v;
	struct sw_line_parser *p = regex_parser("size: (\\w+)", "size");
	feed_str(p, "size: big");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	p = regex_parser("size: (\\d+)", "size");
	feed_str(p, "no size");
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK(!sw_metrics_get(&m, "size", &v));
	CHECK_INT(w.len, 2);
	if (w.len == 2) {
		CHECK_STR(w.items[0], "regex metric size: matched \"big\", which is not a number");
		CHECK_STR(w.items[1], "regex metric size: the pattern never matched the output");
	}
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* The quoted match is cut to 80 bytes on a character boundary: a
 * warning is valid UTF-8 (found by fuzz_lines). */
static void test_regex_warning_cut(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	char line[128] = "size: ";
	memset(line + 6, 'a', 79);
	strcpy(line + 6 + 79, "\xc3\xa9t\xc3\xa9");
	struct sw_line_parser *p = regex_parser("size: (\\S+)", "size");
	feed_str(p, line);
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	char *expect = xasprintf("regex metric size: matched \"%.79s\", which is not a number", line + 6);
	CHECK_INT(w.len, 1);
	if (w.len == 1) {
		CHECK(sw_utf8_valid(w.items[0], strlen(w.items[0])));
		CHECK_STR(w.items[0], expect);
	}
	free(expect);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_regex_empty_and_long(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	double v;
	struct sw_line_parser *p = regex_parser("\\d*", "n");
	char *line = xmalloc(65536);
	memset(line, 'a', 65536);
	memcpy(line + 65530, "42", 2);
	line[100] = '\xe9';
	sw_line_parser_feed(p, line, 65536);
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK(sw_metrics_get(&m, "n", &v) && v == 42);
	/* A 64 KiB flake8 message still counts. */
	p = new_parser(SW_PARSE_FLAKE8);
	memcpy(line, "a.py:1:1: E501 ", 15);
	sw_line_parser_feed(p, line, 65536);
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	CHECK_INT(m.lint.count, 1);
	free(line);
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* ---- JUnit ---- */

static int junit_fixture(const char *name, struct sw_metrics *m, struct strlist *w)
{
	char *path = fixture(name);
	int r = sw_report_junit(path, m, w);
	free(path);
	return r;
}

static int cobertura_fixture(const char *name, struct sw_metrics *m, struct strlist *w)
{
	char *path = fixture(name);
	int r = sw_report_cobertura(path, m, w);
	free(path);
	return r;
}

static void test_junit_real(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	/* The XML replaces what the line parser found. */
	parse_fixture(SW_PARSE_PYTEST, "pytest.txt", &m, &w);
	CHECK_INT(junit_fixture("junit.xml", &m, &w), 0);
	CHECK_INT(w.len, 0);
	const struct sw_tests *t = &m.tests;
	CHECK(t->known);
	CHECK_INT(t->passed, 5);
	CHECK_INT(t->failed, 2);
	CHECK_INT(t->errors, 1);
	CHECK_INT(t->skipped, 1);
	CHECK_INT(t->xfail, 1);
	CHECK_INT(t->nfailures, 3);
	if (t->nfailures == 3) {
		CHECK_STR(t->failures[0].name, "tests.test_calc::test_add_wrong");
		CHECK_STR(t->failures[0].message,
			  "AssertionError: maths is broken\nassert 4 == 5\n +  where 4 = add(2, 2)");
		CHECK_STR(t->failures[1].name, "tests.test_calc::test_with_error");
		CHECK_STR(t->failures[1].message,
			  "failed on setup with \"RuntimeError: fixture exploded\"");
		CHECK_STR(t->failures[2].name, "tests.test_calc::test_param[a - b]");
	}
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_junit_bare_testsuite(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	CHECK_INT(junit_fixture("junit_testsuite.xml", &m, &w), 0);
	CHECK_INT(w.len, 0);
	const struct sw_tests *t = &m.tests;
	CHECK_INT(t->passed, 2);
	CHECK_INT(t->failed, 2);
	CHECK_INT(t->errors, 1);
	CHECK_INT(t->skipped, 1);
	CHECK_INT(t->nfailures, 3);
	if (t->nfailures == 3) {
		CHECK_STR(t->failures[0].name, "com.example.CalcTest::divides");
		CHECK_STR(t->failures[0].message,
			  "expected:<2> but was:<3>\n\tat com.example.CalcTest.divides(CalcTest.java:21)");
		CHECK_STR(t->failures[1].message, "NPE in parse");
		CHECK_STR(t->failures[2].name, "calc_test.go::TestGo");
		CHECK_STR(t->failures[2].message, "calc_test.go:9: got 3, want 4 — ünïcode");
	}
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* A broken report leaves m as it was and says why. */
static void check_broken(int (*report)(const char *, struct sw_metrics *, struct strlist *),
			 const char *what, const char *name, const char *why)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	fill_sample(&m);
	char *path = fixture(name);
	CHECK_INT(report(path, &m, &w), -1);
	char *expect = xasprintf("%s report %s: %s", what, path, why);
	CHECK_INT(w.len, 1);
	if (w.len == 1)
		CHECK_STR(w.items[0], expect);
	check_sample(&m);
	free(expect);
	free(path);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_junit_broken(void)
{
	check_broken(sw_report_junit, "junit", "junit_mismatched.xml", "line 6: mismatched tag");
	check_broken(sw_report_junit, "junit", "junit_truncated.xml", "line 7: unclosed token");
	check_broken(sw_report_junit, "junit", "junit_bad_utf8.xml",
		     "line 4: not well-formed (invalid token)");
	check_broken(sw_report_junit, "junit", "nonexistent.xml", "not found");
	check_broken(sw_report_junit, "junit", "coverage.xml",
		     "line 2: not a JUnit report (root element <coverage>)");
	check_broken(sw_report_junit, "junit", "flake8.txt", "line 1: not well-formed (invalid token)");
}

static void test_xml_entity_bomb(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	char *path = xasprintf("/tmp/sw_test_report_%ld.xml", (long)getpid());
	const char *bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE t [<!ENTITY a \"aaaaaaaaaa\">\n"
			   "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<testsuite>&b;</testsuite>\n";
	CHECK_INT(sw_write_atomic(path, bomb, strlen(bomb), false), 0);
	CHECK_INT(sw_report_junit(path, &m, &w), -1);
	CHECK_INT(w.len, 1);
	if (w.len == 1)
		CHECK(strstr(w.items[0], "entity declarations are not allowed") != NULL);
	CHECK(!m.tests.known);
	unlink(path);
	free(path);
	strlist_free(&w);
}

/* Far past one 64 KiB chunk, and past the 200 failures kept. */
static void test_junit_large(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"big\">\n");
	for (int i = 0; i < 5000; i++) {
		if (i % 10)
			sbuf_addf(&sb, "<testcase classname=\"big.mod\" name=\"test_%d\" time=\"0.1\"/>\n", i);
		else
			sbuf_addf(&sb, "<testcase classname=\"big.mod\" name=\"test_%d\"><failure>%0*d"
				       "</failure></testcase>\n", i, 6000, 7);
	}
	sbuf_adds(&sb, "</testsuite></testsuites>\n");
	char *path = xasprintf("/tmp/sw_test_report_%ld.xml", (long)getpid());
	CHECK_INT(sw_write_atomic(path, sb.buf, sb.len, false), 0);
	CHECK(sb.len > 4 * 65536);
	CHECK_INT(sw_report_junit(path, &m, &w), 0);
	CHECK_INT(m.tests.passed, 4500);
	CHECK_INT(m.tests.failed, 500);
	CHECK_INT(m.tests.nfailures, 200);
	if (m.tests.nfailures == 200) {
		CHECK_STR(m.tests.failures[1].name, "big.mod::test_10");
		CHECK(strlen(m.tests.failures[1].message) <= 4096);
		CHECK(strncmp(m.tests.failures[1].message, "000", 3) == 0);
	}
	/* From memory too, in more than one chunk. */
	struct sw_metrics mt = {0};
	CHECK_INT(sw_report_junit_text(sb.buf, sb.len, "big", &mt, &w), 0);
	CHECK_INT(mt.tests.passed, 4500);
	CHECK_INT(mt.tests.failed, 500);
	sw_metrics_free(&mt);
	unlink(path);
	free(path);
	sbuf_free(&sb);
	sw_metrics_free(&m);
	strlist_free(&w);
}

/* ---- Cobertura ---- */

static void test_cobertura_real(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	parse_fixture(SW_PARSE_COVERAGE, "pytest_cov_branch.txt", &m, &w);
	CHECK_INT(cobertura_fixture("coverage.xml", &m, &w), 0);
	CHECK_INT(w.len, 0);
	CHECK(m.coverage.known);
	CHECK_NUM(m.coverage.percent, 68.18);
	CHECK_INT(m.coverage.nfiles, 3);
	if (m.coverage.nfiles == 3) {
		CHECK_STR(m.coverage.files[0].path, "text.py");
		CHECK_NUM(m.coverage.files[0].percent, 44.44);
		CHECK_STR(m.coverage.files[1].path, "calc.py");
		CHECK_NUM(m.coverage.files[1].percent, 84.62);
		CHECK_STR(m.coverage.files[2].path, "__init__.py");
		CHECK_NUM(m.coverage.files[2].percent, 100);
	}
	cJSON *json = sw_metrics_to_json(&m);
	char *text = cJSON_PrintUnformatted(json);
	CHECK(strstr(text, "{\"path\":\"text.py\",\"percent\":44.44}") != NULL);
	free(text);
	cJSON_Delete(json);
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_cobertura_merge(void)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	CHECK_INT(cobertura_fixture("cobertura_java.xml", &m, &w), 0);
	CHECK_INT(w.len, 0);
	CHECK_NUM(m.coverage.percent, 50);
	CHECK_INT(m.coverage.nfiles, 2);
	if (m.coverage.nfiles == 2) {
		/* Calc.java: 3 of 4 lines and 0 of 2 (not 37.5, the plain mean);
		 * a tie goes by path. */
		CHECK_STR(m.coverage.files[0].path, "com/example/Calc.java");
		CHECK_NUM(m.coverage.files[0].percent, 50);
		CHECK_STR(m.coverage.files[1].path, "com/example/Util.java");
	}
	sw_metrics_free(&m);
	strlist_free(&w);
}

static void test_cobertura_broken(void)
{
	check_broken(sw_report_cobertura, "cobertura", "coverage_truncated.xml",
		     "line 29: unclosed token");
	check_broken(sw_report_cobertura, "cobertura", "junit.xml",
		     "line 1: not a Cobertura report (root element <testsuites>)");
	check_broken(sw_report_cobertura, "cobertura", "missing/coverage.xml", "not found");
}

/* ---- reports in memory ---- */

typedef int (*report_path_fn)(const char *, struct sw_metrics *, struct strlist *);
typedef int (*report_text_fn)(const char *, size_t, const char *, struct sw_metrics *,
			      struct strlist *);

static char *metrics_text(const struct sw_metrics *m)
{
	cJSON *json = sw_metrics_to_json(m);
	char *text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	return text;
}

/* Text in memory reads as the file holding it does, warnings included. */
static void check_text_like_file(report_path_fn report, report_text_fn report_text,
				 const char *name)
{
	struct sw_metrics a = {0}, b = {0};
	struct strlist wa = {0}, wb = {0};
	char *path = fixture(name);
	size_t len = 0;
	char *text = sw_read_file(path, &len);
	CHECK(text != NULL);
	CHECK_INT(report_text(text, len, path, &b, &wb), report(path, &a, &wa));
	char *ja = metrics_text(&a), *jb = metrics_text(&b);
	CHECK_STR(jb, ja);
	CHECK_INT(wb.len, wa.len);
	for (size_t i = 0; i < wa.len && i < wb.len; i++)
		CHECK_STR(wb.items[i], wa.items[i]);
	free(ja);
	free(jb);
	free(text);
	free(path);
	sw_metrics_free(&a);
	sw_metrics_free(&b);
	strlist_free(&wa);
	strlist_free(&wb);
}

static void test_reports_in_memory(void)
{
	static const char *const junit[] = {"junit.xml", "junit_testsuite.xml", "junit_truncated.xml",
					    "junit_mismatched.xml", "junit_bad_utf8.xml", "coverage.xml"};
	static const char *const cobertura[] = {"coverage.xml", "cobertura_java.xml",
						"coverage_truncated.xml", "junit.xml", "flake8.txt"};
	for (size_t i = 0; i < sizeof junit / sizeof *junit; i++)
		check_text_like_file(sw_report_junit, sw_report_junit_text, junit[i]);
	for (size_t i = 0; i < sizeof cobertura / sizeof *cobertura; i++)
		check_text_like_file(sw_report_cobertura, sw_report_cobertura_text, cobertura[i]);
	struct sw_metrics m = {0};
	struct strlist w = {0};
	CHECK_INT(sw_report_junit_text("", 0, "empty", &m, &w), -1);
	CHECK_INT(w.len, 1);
	if (w.len == 1)
		CHECK_STR(w.items[0], "junit report empty: line 1: no element found");
	CHECK(!m.tests.known);
	sw_metrics_free(&m);
	strlist_free(&w);
}

int main(void)
{
	RUN_TEST(test_kind_names);
	RUN_TEST(test_count_add_order);
	RUN_TEST(test_count_add_extremes);
	RUN_TEST(test_metrics_get);
	RUN_TEST(test_json_round_trip);
	RUN_TEST(test_json_sections_absent);
	RUN_TEST(test_json_clean_and_caps);
	RUN_TEST(test_json_garbage);
	RUN_TEST(test_flake8_real);
	RUN_TEST(test_flake8_color);
	RUN_TEST(test_flake8_nonutf8);
	RUN_TEST(test_flake8_odd_lines);
	RUN_TEST(test_flake8_blank_lines);
	RUN_TEST(test_flake8_merge_and_clean);
	RUN_TEST(test_pytest_real);
	RUN_TEST(test_pytest_warnings_xpassed);
	RUN_TEST(test_pytest_nothing_ran);
	RUN_TEST(test_pytest_collect_errors);
	RUN_TEST(test_pytest_no_summary);
	RUN_TEST(test_pytest_nonutf8);
	RUN_TEST(test_pytest_summary_forms);
	RUN_TEST(test_pytest_huge_counts);
	RUN_TEST(test_pytest_failure_caps);
	RUN_TEST(test_coverage_real);
	RUN_TEST(test_coverage_branch_columns);
	RUN_TEST(test_coverage_odd_tables);
	RUN_TEST(test_coverage_no_total);
	RUN_TEST(test_only_own_section);
	RUN_TEST(test_regex_values);
	RUN_TEST(test_regex_on_pytest_output);
	RUN_TEST(test_regex_errors);
	RUN_TEST(test_regex_warnings);
	RUN_TEST(test_regex_warning_cut);
	RUN_TEST(test_regex_empty_and_long);
	RUN_TEST(test_junit_real);
	RUN_TEST(test_junit_bare_testsuite);
	RUN_TEST(test_junit_broken);
	RUN_TEST(test_xml_entity_bomb);
	RUN_TEST(test_junit_large);
	RUN_TEST(test_cobertura_real);
	RUN_TEST(test_cobertura_merge);
	RUN_TEST(test_cobertura_broken);
	RUN_TEST(test_reports_in_memory);
	UNIT_EXIT();
}
