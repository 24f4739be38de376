/* Unit tests for importing GitHub Actions workflows: the fixtures in
 * tests/fixtures/actions translated and their slipway.json checked with
 * cJSON, the expression and condition readers, the YAML tree's limits and
 * its errors. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/actions.h"
#include "slipway/actions_cond.h"
#include "slipway/actions_expr.h"
#include "slipway/config.h"
#include "slipway/json_print.h"
#include "slipway/util.h"
#include "slipway/yamltree.h"
#include "unit.h"

/* ---- helpers ---- */

static char *fixture_path(const char *name)
{
	const char *src = getenv("SW_SRCDIR");
	return xasprintf("%s/tests/fixtures/actions/%s", src && *src ? src : ".", name);
}

struct result {
	cJSON *json;		/* NULL on error */
	char *err;
	struct strlist notes;
};

static void result_free(struct result *r)
{
	cJSON_Delete(r->json);
	free(r->err);
	strlist_free(&r->notes);
}

/* The contract every translation keeps: JSON or one line of error that
 * names the file; notes of one line each, naming the file. */
static void check_contract(const struct result *r, const char *source, int rc, const char *text)
{
	size_t n = strlen(source);
	CHECK((rc == 0) == (text != NULL));
	CHECK((rc == 0) == (r->err == NULL));
	if (r->err) {
		CHECK(strchr(r->err, '\n') == NULL);
		CHECK(strncmp(r->err, source, n) == 0 && r->err[n] == ':');
	}
	for (size_t i = 0; i < r->notes.len; i++) {
		CHECK(strchr(r->notes.items[i], '\n') == NULL);
		CHECK(strncmp(r->notes.items[i], source, n) == 0 && r->notes.items[i][n] == ':');
	}
}

static struct result translate_text(const char *text, size_t len, const char *source)
{
	struct result r = {0};
	char *json = NULL;
	char *copy = xmalloc(len);	/* exactly len bytes: a read past the end is caught */
	memcpy(copy, text, len);
	int rc = sw_actions_translate(copy, len, source, &json, &r.notes, &r.err);
	free(copy);
	check_contract(&r, source, rc, json);
	if (json) {
		r.json = cJSON_Parse(json);
		CHECK(r.json != NULL);
		CHECK(json[strlen(json) - 1] == '\n');
	}
	free(json);
	return r;
}

static struct result translate_fixture(const char *name)
{
	char *path = fixture_path(name);
	size_t len = 0;
	char *text = sw_read_file(path, &len);
	CHECK(text != NULL);
	struct result r = text ? translate_text(text, len, name) : (struct result){0};
	free(text);
	free(path);
	return r;
}

static struct result translate_str(const char *text)
{
	return translate_text(text, strlen(text), "ci.yml");
}

static const cJSON *stages_of(const struct result *r)
{
	return cJSON_GetObjectItemCaseSensitive(r->json, "stages");
}

static const cJSON *stage(const struct result *r, const char *name)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, stages_of(r))
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "name");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return s;
	}
	printf("  no stage \"%s\"\n", name);
	return NULL;
}

static const char *str_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *top_str(const struct result *r, const char *key)
{
	return str_of(r->json, key);
}

/* A JSON array of strings as "a b c" (or "-" when absent). */
static char *words(const cJSON *a)
{
	if (!a)
		return xstrdup("-");
	struct sbuf sb;
	sbuf_init(&sb);
	const cJSON *e;
	cJSON_ArrayForEach(e, a)
	sbuf_addf(&sb, "%s%s", sb.len ? " " : "", cJSON_IsString(e) ? e->valuestring : "?");
	return sbuf_detach(&sb);
}

#define CHECK_WORDS(array, expected)             \
	do {                                     \
		char *w_ = words(array);         \
		CHECK_STR(w_, expected);         \
		free(w_);                        \
	} while (0)

static const cJSON *key_of(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* The names of the stages, in order. */
static char *names(const struct result *r)
{
	struct sbuf sb;
	sbuf_init(&sb);
	const cJSON *s;
	cJSON_ArrayForEach(s, stages_of(r))
	sbuf_addf(&sb, "%s%s", sb.len ? " " : "", str_of(s, "name"));
	return sbuf_detach(&sb);
}

/* The stages a run on branch would run (their "branches" globs). */
static char *stages_on(const struct result *r, const char *branch)
{
	struct sbuf sb;
	sbuf_init(&sb);
	const cJSON *s;
	cJSON_ArrayForEach(s, stages_of(r))
	{
		const cJSON *b = key_of(s, "branches"), *g;
		bool on = !b;
		cJSON_ArrayForEach(g, b)
		on |= sw_glob_match(g->valuestring, branch);
		if (on)
			sbuf_addf(&sb, "%s%s", sb.len ? " " : "", str_of(s, "name"));
	}
	return sbuf_detach(&sb);
}

#define CHECK_NAMES(r, expected)                 \
	do {                                     \
		char *n_ = names(r);             \
		CHECK_STR(n_, expected);         \
		free(n_);                        \
	} while (0)

#define CHECK_ON(r, branch, expected)                \
	do {                                         \
		char *n_ = stages_on(r, branch);     \
		CHECK_STR(n_, expected);             \
		free(n_);                            \
	} while (0)

/* A note that holds every one of the words given (NULL-ended). */
static bool has_note_v(const struct result *r, const char *const *parts)
{
	for (size_t i = 0; i < r->notes.len; i++) {
		bool all = true;
		for (const char *const *p = parts; *p && all; p++)
			all = strstr(r->notes.items[i], *p) != NULL;
		if (all)
			return true;
	}
	return false;
}

#define CHECK_NOTE(r, ...)                                                     \
	do {                                                                   \
		const char *const p_[] = {__VA_ARGS__, NULL};                  \
		if (!has_note_v(r, p_)) {                                      \
			printf("  no note with \"%s\"...; the notes:\n", p_[0]); \
			for (size_t i_ = 0; i_ < (r)->notes.len; i_++)          \
				printf("    %s\n", (r)->notes.items[i_]);        \
		}                                                              \
		CHECK(has_note_v(r, p_));                                      \
	} while (0)

/* slipway's own loader reads the output as it is, allow_failure and cache
 * included. */
static void check_loads(const struct result *r)
{
	cJSON *copy = cJSON_Duplicate(r->json, true);
	char *text = cJSON_Print(copy);
	struct sw_config cfg;
	char *err = NULL;
	int rc = sw_config_parse(&cfg, text, strlen(text), "slipway.json", &err);
	if (rc)
		printf("  the loader refuses it: %s\n", err);
	CHECK_INT(rc, 0);
	if (!rc)
		sw_config_free(&cfg);
	free(err);
	free(text);
	cJSON_Delete(copy);
}

static const char *run_of(const struct result *r, const char *name)
{
	return str_of(stage(r, name), "run");
}

static bool contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		printf("  expected \"%s\" in: %s\n", part, s ? s : "(null)");
	return s && strstr(s, part);
}

/* ---- (1) the reference deployment ---- */

static void reference_stages_by_branch(void)
{
	struct result r = translate_fixture("reference.yml");
	if (!r.json)
		return;
	CHECK_INT(key_of(r.json, "version")->valueint, 1);
	CHECK_STR(top_str(&r, "main"), "main");
	CHECK_STR(top_str(&r, "integration"), "development");
	CHECK_WORDS(key_of(r.json, "secrets"), "SENTRY_DSN DOCKER_USERNAME DOCKER_TOKEN");
	CHECK_NAMES(&r, "venv install-requirements lint test image push");
	CHECK_ON(&r, "development", "venv install-requirements lint test image push");
	CHECK_ON(&r, "feature/login", "venv install-requirements lint test");
	CHECK_ON(&r, "main", "venv install-requirements lint test");
	CHECK_WORDS(key_of(stage(&r, "image"), "branches"), "development");
	CHECK_WORDS(key_of(stage(&r, "push"), "branches"), "development");
	check_loads(&r);
	result_free(&r);
}

static void reference_stage_contents(void)
{
	struct result r = translate_fixture("reference.yml");
	if (!r.json)
		return;
	CHECK_STR(run_of(&r, "venv"), "python3 -m venv --system-site-packages .venv");
	CHECK_STR(run_of(&r, "install-requirements"), ". .venv/bin/activate && pip install -r requirements.txt");
	CHECK_STR(run_of(&r, "lint"), ". .venv/bin/activate && flake8 --extend-exclude .venv");
	CHECK_STR(str_of(stage(&r, "lint"), "parse"), "flake8");
	CHECK_WORDS(key_of(stage(&r, "test"), "parse"), "pytest coverage");
	CHECK_INT(key_of(stage(&r, "test"), "timeout")->valueint, 600);
	CHECK(key_of(stage(&r, "install-requirements"), "parse") == NULL);
	/* The cache step goes to the next run step, keyed on hashFiles' files. */
	const cJSON *cache = key_of(stage(&r, "install-requirements"), "cache");
	CHECK_INT(cJSON_GetArraySize(cache), 1);
	CHECK_STR(str_of(cJSON_GetArrayItem(cache, 0), "path"), "~/.cache/pip");
	CHECK_WORDS(key_of(cJSON_GetArrayItem(cache, 0), "key"), "requirements.txt");
	CHECK(key_of(stage(&r, "lint"), "cache") == NULL);
	/* The workflow's env; SENTRY_DSN arrives as the secret of that name. */
	const cJSON *env = key_of(stage(&r, "test"), "env");
	CHECK_STR(str_of(env, "DJANGO_SETTINGS_MODULE"), "oc_lettings_site.settings");
	CHECK(key_of(env, "SENTRY_DSN") == NULL);
	CHECK_STR(run_of(&r, "image"), "docker build -t \"$DOCKER_USERNAME/oc-lettings:$SLIPWAY_COMMIT\" "
				       "-t \"$DOCKER_USERNAME/oc-lettings:latest\" .");
	CHECK_STR(run_of(&r, "push"), "printf '%s\\n' \"$DOCKER_TOKEN\" | docker login --username "
				      "\"$DOCKER_USERNAME\" --password-stdin && docker push "
				      "\"$DOCKER_USERNAME/oc-lettings:$SLIPWAY_COMMIT\" && docker push "
				      "\"$DOCKER_USERNAME/oc-lettings:latest\"");
	result_free(&r);
}

static void reference_notes(void)
{
	struct result r = translate_fixture("reference.yml");
	CHECK_NOTE(&r, "reference.yml:17:", "actions/checkout@v4", "left out", "fresh checkout");
	CHECK_NOTE(&r, "reference.yml:18:", "actions/setup-python@v5", "stage \"venv\"", "python 3.11 is not installed");
	CHECK_NOTE(&r, "reference.yml:22:", "actions/cache@v4", "\"cache\" of stage \"install-requirements\"",
		   "restore-keys is not translated");
	CHECK_NOTE(&r, "reference.yml:35:", "codecov/codecov-action@v4", "left out");
	CHECK_NOTE(&r, "reference.yml:44:", "docker/login-action@v3", "DOCKER_USERNAME, DOCKER_TOKEN", "stage \"push\"");
	CHECK_NOTE(&r, "reference.yml:49:", "docker/build-push-action@v5", "\"image\" (docker build)",
		   "\"push\" (docker push)", "on development");
	CHECK_NOTE(&r, "secrets SENTRY_DSN, DOCKER_USERNAME, DOCKER_TOKEN");
	CHECK_NOTE(&r, "one after another");
	CHECK_NOTE(&r, "reference.yml:30:", "flake8 gets --extend-exclude .venv");
	/* Every step is either a stage or a note: seven uses: steps, all noted. */
	CHECK_INT(r.notes.len, 10);
	result_free(&r);
}

/* ---- (2) Django with poetry ---- */

static void poetry_stages(void)
{
	struct result r = translate_fixture("django-poetry.yml");
	if (!r.json)
		return;
	CHECK_NAMES(&r, "venv install-poetry install-dependencies check-migrations run-tests print-the-commit");
	CHECK_ON(&r, "main", "venv install-poetry install-dependencies check-migrations run-tests print-the-commit");
	CHECK_ON(&r, "release/2.1", "venv install-poetry install-dependencies check-migrations run-tests print-the-commit");
	CHECK_ON(&r, "feature/cart", "venv");
	CHECK_WORDS(key_of(stage(&r, "run-tests"), "branches"), "main release/**");
	CHECK_WORDS(key_of(r.json, "secrets"), "DJANGO_SECRET_KEY DB_PASSWORD");
	CHECK_STR(run_of(&r, "install-poetry"), "export SECRET_KEY=\"$DJANGO_SECRET_KEY\" && "
						"export DATABASE_URL=\"postgres://postgres:$DB_PASSWORD@localhost:5432/shop\" && "
						". .venv/bin/activate && cd backend && pip install poetry");
	CHECK(contains(run_of(&r, "install-dependencies"), "&& poetry install --no-interaction"));
	/* Several lines: set -e first, as bash -e ran them. */
	CHECK(contains(run_of(&r, "run-tests"), "set -e\nexport SECRET_KEY="));
	CHECK(contains(run_of(&r, "run-tests"), "\ncd backend\npoetry run pytest --cov=shop"));
	CHECK_WORDS(key_of(stage(&r, "run-tests"), "parse"), "pytest coverage");
	CHECK(key_of(stage(&r, "check-migrations"), "parse") == NULL);
	CHECK(key_of(stage(&r, "install-poetry"), "parse") == NULL);
	const cJSON *env = key_of(stage(&r, "run-tests"), "env");
	CHECK_STR(str_of(env, "PYTEST_ADDOPTS"), "-p no:cacheprovider");
	CHECK_STR(str_of(env, "DEBUG"), "false");
	CHECK_STR(str_of(env, "DJANGO_SETTINGS_MODULE"), "shop.settings.ci");
	CHECK(key_of(env, "SECRET_KEY") == NULL && key_of(env, "DATABASE_URL") == NULL);
	CHECK(key_of(key_of(stage(&r, "install-poetry"), "env"), "PYTEST_ADDOPTS") == NULL);
	CHECK_INT(key_of(stage(&r, "check-migrations"), "timeout")->valueint, 1200);
	/* working-directory: . overrides the default; '...' keeps its meaning. */
	const char *print = run_of(&r, "print-the-commit");
	CHECK(print && !strstr(print, "cd "));
	CHECK(contains(print, "echo 'testing '\"$SLIPWAY_COMMIT\"' on '\"$SLIPWAY_BRANCH\""));
	check_loads(&r);
	result_free(&r);
}

static void poetry_notes(void)
{
	struct result r = translate_fixture("django-poetry.yml");
	CHECK_NOTE(&r, "django-poetry.yml:5:", "on.push.branches", "main, release/**");
	CHECK_NOTE(&r, "django-poetry.yml:12:", "services (postgres) are not started");
	CHECK_NOTE(&r, "django-poetry.yml:27:", "python 3.12 is not installed", "with: cache is not translated");
	CHECK_NOTE(&r, "django-poetry.yml:47:", "step \"Notify\" left out", "failure()");
	CHECK_NOTE(&r, "set -e");
	result_free(&r);
}

/* ---- (3) matrices ---- */

static void matrix_expanded(void)
{
	struct result r = translate_fixture("matrix.yml");
	if (!r.json)
		return;
	CHECK_NAMES(&r, "venv test-on-3.10-ubuntu-latest linux-only-3.10-ubuntu-latest "
			"test-on-3.11-ubuntu-latest linux-only-3.11-ubuntu-latest test-on-3.11-macos-latest "
			"test-on-3.12-ubuntu-latest linux-only-3.12-ubuntu-latest test-on-3.12-macos-latest "
			"test-on-3.13-ubuntu-latest linux-only-3.13-ubuntu-latest");
	const cJSON *env = key_of(stage(&r, "test-on-3.11-macos-latest"), "env");
	CHECK_STR(str_of(env, "MATRIX_PYTHON_VERSION"), "3.11");
	CHECK_STR(str_of(env, "MATRIX_OS"), "macos-latest");
	CHECK_STR(str_of(env, "TARGET"), "py3.11-macos-latest");
	CHECK(key_of(env, "MATRIX_EXPERIMENTAL") == NULL);
	CHECK_STR(str_of(key_of(stage(&r, "test-on-3.13-ubuntu-latest"), "env"), "MATRIX_EXPERIMENTAL"), "true");
	CHECK_STR(str_of(stage(&r, "test-on-3.10-ubuntu-latest"), "parse"), "pytest");
	/* continue-on-error: ${{ matrix.experimental == true }}, per combination. */
	CHECK(cJSON_IsTrue(key_of(stage(&r, "test-on-3.13-ubuntu-latest"), "allow_failure")));
	CHECK(cJSON_IsTrue(key_of(stage(&r, "linux-only-3.13-ubuntu-latest"), "allow_failure")));
	CHECK(key_of(stage(&r, "test-on-3.12-ubuntu-latest"), "allow_failure") == NULL);
	check_loads(&r);
	result_free(&r);
}

static void matrix_notes(void)
{
	struct result r = translate_fixture("matrix.yml");
	CHECK_NOTE(&r, "matrix.yml:11:", "job test", "6 combinations");
	CHECK_NOTE(&r, "python 3.10, 3.11, 3.12, 3.13 are not installed");
	CHECK_NOTE(&r, "runs-on macos-latest", "on this machine");
	CHECK_NOTE(&r, "step \"Linux only\" left out for 3.11, macos-latest");
	CHECK_NOTE(&r, "fail-fast: false");
	CHECK_NOTE(&r, "matrix.yml:38:", "job everywhere left out", "12 combinations", "more than the 8");
	result_free(&r);
}

/* The venv is made in the checkout: flake8 must not lint it, unless the
 * command says itself what to exclude; with no venv stage, nothing changes. */
static void flake8_skips_the_venv(void)
{
	struct result r = translate_str("on: push\njobs:\n  t:\n    steps:\n"
					"      - uses: actions/setup-python@v5\n"
					"      - run: python -m flake8 src/ && flake8 --exclude=migrations . ; echo flake8\n"
					"      - run: |\n          flake8 \\\n            --max-line-length 99\n          pytest\n");
	if (r.json) {
		CHECK_STR(run_of(&r, "t-2"), ". .venv/bin/activate && python -m flake8 src/ --extend-exclude .venv && "
					       "flake8 --exclude=migrations . ; echo flake8");
		CHECK(contains(run_of(&r, "t-3"), "flake8 \\\n  --max-line-length 99 --extend-exclude .venv\npytest"));
		CHECK_NOTE(&r, "ci.yml:6:", "flake8 gets --extend-exclude .venv");
	}
	result_free(&r);
	r = translate_str("on: push\njobs:\n  t:\n    steps:\n      - run: flake8 src/\n");
	if (r.json)
		CHECK_STR(run_of(&r, "t-1"), "flake8 src/");
	result_free(&r);
}

static void matrix_include_only_and_limits(void)
{
	struct result r = translate_str("on: push\njobs:\n  t:\n    strategy:\n      matrix:\n"
					"        include:\n          - {db: postgres}\n          - {db: mysql}\n"
					"    steps:\n      - run: make test DB=${{ matrix.db }}\n");
	CHECK_NAMES(&r, "t-1-postgres t-1-mysql");
	CHECK_STR(run_of(&r, "t-1-mysql"), "make test DB=mysql");
	result_free(&r);
	r = translate_str("on: push\njobs:\n  t:\n    strategy:\n      matrix: ${{ fromJSON(needs.a.outputs.m) }}\n"
			  "    steps:\n      - run: make\n  u:\n    steps:\n      - run: true\n");
	CHECK_NOTE(&r, "job t left out", "an expression");
	CHECK_NAMES(&r, "u-1");
	result_free(&r);
	/* 8 combinations are expanded, 9 are not. */
	r = translate_str("on: push\njobs:\n  t:\n    strategy:\n      matrix:\n        a: [1, 2]\n        b: [1, 2]\n"
			  "        c: [1, 2]\n    steps:\n      - run: echo\n");
	CHECK_INT(cJSON_GetArraySize(stages_of(&r)), 8);
	result_free(&r);
	r = translate_str("on: push\njobs:\n  t:\n    strategy:\n      matrix:\n        a: [1, 2, 3]\n        b: [1, 2, 3]\n"
			  "    steps:\n      - run: echo\n  u:\n    steps:\n      - run: true\n");
	CHECK_NOTE(&r, "ci.yml:6:", "job t left out", "9 combinations");
	CHECK_NAMES(&r, "u-1");
	result_free(&r);
}

/* ---- (4) test, build, deploy ---- */

static void deploy_order_and_branches(void)
{
	struct result r = translate_fixture("deploy.yml");
	if (!r.json)
		return;
	CHECK_NAMES(&r, "lint-1 unit-tests release-notes-check build-image push-image deploy-to-staging "
			"deploy-to-production tag-the-release clean-up");
	CHECK_ON(&r, "development", "lint-1 unit-tests build-image push-image deploy-to-staging");
	CHECK_ON(&r, "main", "lint-1 unit-tests build-image push-image deploy-to-production tag-the-release clean-up");
	CHECK_ON(&r, "release/3.0", "lint-1 unit-tests release-notes-check");
	CHECK_ON(&r, "feature/x", "");
	CHECK_WORDS(key_of(stage(&r, "lint-1"), "branches"), "main development release/*");
	CHECK_WORDS(key_of(stage(&r, "release-notes-check"), "branches"), "release/*");
	CHECK_WORDS(key_of(stage(&r, "build-image"), "branches"), "main development");
	/* Needs build, so never where build never runs, on top of its own if:. */
	CHECK_WORDS(key_of(stage(&r, "deploy-to-staging"), "branches"), "development");
	CHECK(cJSON_IsTrue(key_of(stage(&r, "lint-1"), "allow_failure")));
	CHECK(cJSON_IsTrue(key_of(stage(&r, "clean-up"), "always")));
	CHECK_INT(key_of(stage(&r, "push-image"), "timeout")->valueint, 900);
	CHECK_WORDS(key_of(stage(&r, "unit-tests"), "parse"), "pytest coverage");
	CHECK_STR(str_of(stage(&r, "lint-1"), "parse"), "flake8");
	check_loads(&r);
	result_free(&r);
}

static void deploy_env_and_secrets(void)
{
	struct result r = translate_fixture("deploy.yml");
	if (!r.json)
		return;
	CHECK_WORDS(key_of(r.json, "secrets"), "REGISTRY_TOKEN STAGING_DEPLOY_KEY PRODUCTION_DEPLOY_KEY");
	CHECK_STR(run_of(&r, "build-image"), "docker build -t \"$IMAGE:$SLIPWAY_COMMIT\" .");
	CHECK_STR(str_of(key_of(stage(&r, "build-image"), "env"), "IMAGE"), "registry.example.com/shop");
	CHECK_STR(run_of(&r, "push-image"), "docker push \"$IMAGE:$SLIPWAY_COMMIT\"");
	CHECK(key_of(key_of(stage(&r, "push-image"), "env"), "REGISTRY_TOKEN") == NULL);
	CHECK_STR(run_of(&r, "deploy-to-staging"),
		  "export DEPLOY_KEY=\"$STAGING_DEPLOY_KEY\" && ./deploy.sh staging \"$IMAGE:$SLIPWAY_COMMIT\"");
	CHECK_STR(run_of(&r, "tag-the-release"), "git tag \"v$SLIPWAY_RUN\"");
	result_free(&r);
}

static void deploy_notes(void)
{
	struct result r = translate_fixture("deploy.yml");
	CHECK_NOTE(&r, "deploy.yml:6:", "every stage is limited to main, development, release/*");
	CHECK_NOTE(&r, "deploy.yml:43:", "job deploy-staging", "limited to development",
		   "not checked: github.event_name == 'push'");
	CHECK_NOTE(&r, "deploy.yml:62:", "step \"Tag the release\"",
		   "contains(github.event.head_commit.message, '[release]') is not translated",
		   "runs whether that holds or not");
	CHECK_NOTE(&r, "deploy.yml:64:", "step \"Announce\" left out", "${{ github.actor }}");
	CHECK_NOTE(&r, "deploy.yml:52:", "job deploy-production: environment: not translated");
	result_free(&r);
}

/* ---- (5) errors ---- */

static void check_error(const char *fixture, const char *expected)
{
	struct result r = translate_fixture(fixture);
	CHECK(r.json == NULL);
	CHECK_STR(r.err, expected);
	result_free(&r);
}

static void fixture_errors(void)
{
	check_error("bad-yaml.yml", "bad-yaml.yml:7:1: found unexpected end of stream "
				    "(while scanning a quoted scalar at line 5)");
	check_error("bad-indent.yml", "bad-indent.yml:6:6: did not find expected key "
				      "(while parsing a block mapping at line 4)");
	check_error("cycle.yml", "cycle.yml:4: jobs need each other in a cycle: build -> deploy -> test -> build "
				 "(each needs the next)");
	check_error("unknown-need.yml", "unknown-need.yml:7: job deploy needs \"biuld\": no such job "
					"(did you mean \"build\"?)");
	check_error("no-steps.yml", "no-steps.yml:7: job lint has no steps");
	check_error("alias-bomb.yml", "alias-bomb.yml:7:12: the document grows past 100000 nodes with its "
				      "aliases expanded (an alias bomb?)");
}

static void check_str_error(const char *text, const char *expected)
{
	struct result r = translate_str(text);
	CHECK(r.json == NULL);
	CHECK_STR(r.err, expected);
	result_free(&r);
}

static void workflow_errors(void)
{
	check_str_error("", "ci.yml: empty: no workflow in it");
	check_str_error("- a\n- b\n", "ci.yml:1: expected a workflow (a mapping with jobs:)");
	check_str_error("on: push\n", "ci.yml:1: no jobs: in the workflow");
	/* A flow sequence's scalar folds its line breaks in: still one line. */
	check_str_error("on: push\njobs:\n  a:\n    steps: [{run: x}]\n  b:\n    needs: [a, \"t\\n\\tx\"]\n"
			"    steps: [{run: y}]\n",
			"ci.yml:6: job b needs \"t\\n\\x09x\": no such job");
	check_str_error("on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n",
			"ci.yml: nothing to run: no step became a stage (the notes say why)");
	check_str_error("on: push\njobs:\n  a:\n    needs: a\n    steps:\n      - run: x\n",
			"ci.yml:4: jobs need each other in a cycle: a -> a (each needs the next)");
	check_str_error("on: push\njobs:\n  a:\n    steps: [echo]\n", "ci.yml:4: job a, step 1: expected a mapping");
	check_str_error("on: push\non: pull_request\njobs: {}\n", "ci.yml:2:1: duplicate key \"on\"");
	check_str_error("x: 1\n---\ny: 2\n", "ci.yml:2:1: a second YAML document (a workflow is one)");
	check_str_error("base: &b {run: x}\njobs:\n  a:\n    steps:\n      - <<: *b\n",
			"ci.yml:5:9: merge keys (<<) are not supported: repeat the keys or use an alias for the "
			"whole value");
	check_str_error("a: &a [1, *a]\n", "ci.yml:1:11: alias *a is inside the node it names");
	check_str_error("a: *nowhere\n", "ci.yml:1:4: alias *nowhere: no anchor &nowhere before it");
	check_str_error("? [a, b]\n: c\n", "ci.yml:1:3: only plain text can be a mapping key");
	check_str_error("a: \"\\0\"\n", "ci.yml:1:4: a NUL character in a string");
	check_str_error("a: \xff\n", "ci.yml:1:4: invalid leading UTF-8 octet");
}

static void nesting_limit(void)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (int i = 0; i < SW_YAML_DEPTH_MAX + 1; i++)
		sbuf_addc(&sb, '[');
	struct result r = translate_str(sb.buf);
	CHECK_STR(r.err, "ci.yml:1:65: nested deeper than 64 levels");
	result_free(&r);
	sbuf_free(&sb);
}

/* Every cut of a real workflow: an error or a translation, never a crash. */
static void every_prefix(void)
{
	char *path = fixture_path("deploy.yml");
	size_t len = 0;
	char *text = sw_read_file(path, &len);
	CHECK(text != NULL);
	int ok = 0;
	for (size_t n = 0; text && n <= len; n++) {
		struct result r = translate_text(text, n, "deploy.yml");
		ok += r.json != NULL;
		result_free(&r);
	}
	CHECK(ok > 0);
	free(text);
	free(path);
}

/* ---- anchors, steps of note ---- */

static void anchors_resolved(void)
{
	struct result r = translate_fixture("anchors.yml");
	if (!r.json)
		return;
	CHECK_NAMES(&r, "greet one-2 greet-2 two-2");
	CHECK_STR(run_of(&r, "greet-2"), "echo hello");
	CHECK_STR(str_of(key_of(stage(&r, "two-2"), "env"), "TZ"), "UTC");
	result_free(&r);
}

static void steps_noted(void)
{
	struct result r = translate_str(
		"on: push\njobs:\n  a:\n    runs-on: windows-latest\n    steps:\n"
		"      - uses: actions/setup-node@v4\n        with: {node-version: 20}\n"
		"      - uses: ./.github/actions/local\n"
		"      - uses: some/thing@v1\n"
		"      - name: PowerShell\n        shell: pwsh\n        run: Write-Host hi\n"
		"      - name: Py\n        shell: python\n        run: print('hi')\n"
		"      - name: Nothing\n"
		"      - name: Cache\n        uses: actions/cache@v4\n        with: {path: node_modules, key: x}\n"
		"      - name: Odd env\n        run: echo\n        env: {my-var: 1, GH: '${{ github.actor }}'}\n"
		"      - name: Late\n        run: sleep 1\n        timeout-minutes: 0.5\n        frobnicate: 1\n"
		"      - name: Empty\n        run:\n"
		"      - name: Blank\n        run: '  '\n");
	CHECK_NOTE(&r, "ci.yml:4:", "runs-on windows-latest");
	CHECK_NOTE(&r, "ci.yml:6:", "actions/setup-node@v4", "this machine's node");
	CHECK_NOTE(&r, "ci.yml:8:", "a local action");
	CHECK_NOTE(&r, "ci.yml:9:", "some/thing@v1", "no slipway equivalent");
	CHECK_NOTE(&r, "ci.yml:10:", "\"PowerShell\" left out", "shell: pwsh");
	CHECK_NOTE(&r, "ci.yml:16:", "\"Nothing\" has neither run: nor uses:");
	CHECK_NOTE(&r, "\"Cache\"", "\"cache\" of stage \"odd-env\"", "keyed on nothing");
	CHECK_NOTE(&r, "env my-var", "left out");
	CHECK_NOTE(&r, "env GH: ${{ github.actor }} has no slipway equivalent");
	CHECK_NOTE(&r, "\"Late\": frobnicate: not translated");
	CHECK_NOTE(&r, "ci.yml:27:", "\"Empty\": run: is empty; left out");
	CHECK_NOTE(&r, "ci.yml:29:", "\"Blank\": run: is empty; left out");
	CHECK_NAMES(&r, "py odd-env late");
	CHECK_STR(run_of(&r, "py"), "python3 -c 'print('\\''hi'\\'')'");
	CHECK_INT(key_of(stage(&r, "late"), "timeout")->valueint, 30);
	const cJSON *cache = key_of(stage(&r, "odd-env"), "cache");
	CHECK_STR(str_of(cJSON_GetArrayItem(cache, 0), "path"), "node_modules");
	CHECK_WORDS(key_of(cJSON_GetArrayItem(cache, 0), "key"), "");
	result_free(&r);
}

static void empty_branch_patterns_left_out(void)
{
	struct result r = translate_str("on:\n  push:\n    branches: [main, !development, '']\n"
					"jobs:\n  a:\n    steps:\n      - run: make\n");
	CHECK_NOTE(&r, "ci.yml:3:", "an empty pattern is left out", "YAML reads it as a tag");
	CHECK_WORDS(key_of(stage(&r, "a-1"), "branches"), "main");
	result_free(&r);
	r = translate_str("on:\n  push:\n    branches: ['']\njobs:\n  a:\n    steps:\n      - run: make\n");
	CHECK_NOTE(&r, "ci.yml:3:", "an empty pattern is left out");
	CHECK(stage(&r, "a-1") && !key_of(stage(&r, "a-1"), "branches"));
	result_free(&r);
}

static void cache_paths_slipway_refuses_left_out(void)
{
	struct result r = translate_str(
		"on: push\njobs:\n  a:\n    steps:\n"
		"      - uses: actions/cache@v4\n        with:\n"
		"          path: |\n            ~/.cache/pip\n            /var/cache\n            ../up\n            ~/.cache/pip\n"
		"          key: ${{ hashFiles('requirements.txt', '/etc/passwd', '../x') }}\n"
		"      - uses: actions/cache@v4\n        with: {path: ~/.cache/pip, key: x}\n"
		"      - run: pip install -r requirements.txt\n");
	CHECK_NOTE(&r, "ci.yml:5:", "cache path /var/cache left out", "in the work tree or under ~/");
	CHECK_NOTE(&r, "ci.yml:5:", "cache path ../up left out");
	CHECK_NOTE(&r, "ci.yml:5:", "cache path ~/.cache/pip left out: it is cached already");
	CHECK_NOTE(&r, "ci.yml:13:", "cache path ~/.cache/pip left out: it is cached already");
	CHECK_NOTE(&r, "ci.yml:5:", "key file /etc/passwd left out");
	CHECK_NOTE(&r, "ci.yml:5:", "key file ../x left out");
	const cJSON *cache = key_of(stage(&r, "a-3"), "cache");
	CHECK_INT(cJSON_GetArraySize(cache), 1);
	CHECK_WORDS(key_of(cJSON_GetArrayItem(cache, 0), "key"), "requirements.txt");
	result_free(&r);
}

static void names_made_valid(void)
{
	struct result r = translate_str("on: push\njobs:\n  a:\n    steps:\n"
					"      - {name: 'Run tests (unit) / fast!', run: x}\n"
					"      - {name: 'Run tests (unit) / fast!', run: y}\n"
					"      - {name: '✅', run: z}\n"
					"      - {name: '..hidden..', run: w}\n");
	CHECK_NAMES(&r, "run-tests-unit-fast run-tests-unit-fast-2 stage hidden");
	check_loads(&r);
	result_free(&r);
}

/* ---- expressions ---- */

static char *script(const char *text, char **bad)
{
	struct strlist secrets = {0}, keys = {0}, values = {0};
	strlist_add(&keys, "os");
	strlist_add(&values, "ubuntu-latest");
	struct sw_expr_ctx ctx = {&keys, &values, &secrets};
	*bad = NULL;
	char *r = sw_expr_shell_script(text, &ctx, bad);
	strlist_free(&secrets);
	strlist_free(&keys);
	strlist_free(&values);
	return r;
}

#define CHECK_SCRIPT(in, out)                  \
	do {                                   \
		char *x_, *s_ = script(in, &x_); \
		CHECK_STR(s_, out);            \
		free(s_);                      \
		free(x_);                      \
	} while (0)

#define CHECK_REFUSED(in, what)                \
	do {                                   \
		char *x_, *s_ = script(in, &x_); \
		CHECK(s_ == NULL);             \
		CHECK_STR(x_, what);           \
		free(s_);                      \
		free(x_);                      \
	} while (0)

static void expressions_in_scripts(void)
{
	CHECK_SCRIPT("echo ${{ github.sha }}", "echo $SLIPWAY_COMMIT");
	CHECK_SCRIPT("echo ${{github.sha}}x", "echo ${SLIPWAY_COMMIT}x");
	CHECK_SCRIPT("echo \"${{ secrets.token }} on ${{ github.ref }}\"",
		     "echo \"$TOKEN on refs/heads/$SLIPWAY_BRANCH\"");
	CHECK_SCRIPT("echo '${{ env.A }}'", "echo \"$A\"");
	CHECK_SCRIPT("echo 'a ${{ env.A }} b'", "echo 'a '\"$A\"' b'");
	CHECK_SCRIPT("echo '${{ matrix.os }}' ${{ secrets['X'] }}", "echo 'ubuntu-latest' $X");
	CHECK_SCRIPT("echo \\'${{ env.A }}", "echo \\'$A");
	CHECK_SCRIPT("echo \"it's ${{ env.A }}\"", "echo \"it's $A\"");
	CHECK_SCRIPT("cat <<EOF\nit's ${{ env.A }}\nEOF\necho '${{ env.B }}'",
		     "cat <<EOF\nit's $A\nEOF\necho \"$B\"");
	CHECK_SCRIPT("# ${{ github.actor }} is kept in a comment\necho ${{ env.A }}",
		     "# ${{ github.actor }} is kept in a comment\necho $A");
	CHECK_REFUSED("cat <<'EOF'\n${{ env.A }}\nEOF", "${{ env.A }} inside a quoted here-document");
	CHECK_REFUSED("echo ${{ github.actor }}", "${{ github.actor }}");
	CHECK_REFUSED("echo ${{ secrets.SLIPWAY_X }}", "${{ secrets.SLIPWAY_X }}");
	CHECK_REFUSED("echo ${{ env.a-b }}", "${{ env.a-b }}");
	CHECK_REFUSED("echo ${{ matrix.python }}", "${{ matrix.python }}");
	CHECK_REFUSED("echo ${{ github.sha", "${{ without its closing }}");
}

static void expressions_as_words(void)
{
	struct strlist secrets = {0};
	struct sw_expr_ctx ctx = {NULL, NULL, &secrets};
	struct sw_expr_parts p;
	char *bad = NULL;
	CHECK_INT(sw_expr_expand("a$b `c` ${{ secrets.K }}/\"x\"", &ctx, &p, &bad), 0);
	char *w = sw_expr_shell_word(&p);
	CHECK_STR(w, "\"a\\$b \\`c\\` $K/\\\"x\\\"\"");
	free(w);
	sw_expr_parts_free(&p);
	CHECK_WORDS(NULL, "-");
	CHECK(strlist_has(&secrets, "K"));
	char *q = sw_shell_quote("it's here");
	CHECK_STR(q, "'it'\\''s here'");
	free(q);
	q = sw_shell_quote("src/app.py");
	CHECK_STR(q, "src/app.py");
	free(q);
	struct strlist files = {0};
	sw_expr_hash_files("${{ runner.os }}-${{ hashFiles('a.txt', '**/b.lock') }}-${{ hashFiles('c') }}", &files);
	CHECK_INT(files.len, 3);
	CHECK(files.len == 3 && !strcmp(files.items[1], "**/b.lock"));
	strlist_free(&files);
	strlist_free(&secrets);
}

/* ---- conditions ---- */

static char *cond_text(const char *expr, bool *always, bool *after_failure, char **unchecked)
{
	struct sw_cond c;
	struct sw_expr_ctx ctx = {0};
	sw_cond_parse(expr, &ctx, &c);
	char *where = sw_branchset_text(&c.where);
	*always = c.always;
	*after_failure = c.after_failure;
	struct sbuf sb;
	sbuf_init(&sb);
	for (size_t i = 0; i < c.unchecked.len; i++)
		sbuf_addf(&sb, "%s%s", i ? " | " : "", c.unchecked.items[i]);
	*unchecked = sbuf_detach(&sb);
	sw_cond_free(&c);
	return where;
}

#define CHECK_COND(expr, where, unchecked_)                                  \
	do {                                                                  \
		bool al_, fa_;                                                \
		char *u_, *w_ = cond_text(expr, &al_, &fa_, &u_);              \
		CHECK_STR(w_, where);                                         \
		CHECK_STR(u_, unchecked_);                                    \
		free(w_);                                                     \
		free(u_);                                                     \
	} while (0)

static void conditions_to_branches(void)
{
	CHECK_COND("github.ref == 'refs/heads/main'", "main", "");
	CHECK_COND("${{ 'refs/heads/main' == github.ref }}", "main", "");
	CHECK_COND("github.ref_name == 'dev' || github.ref == 'refs/heads/main'", "dev, main", "");
	CHECK_COND("(github.ref_name == 'a' || github.ref_name == 'b') && github.ref_name == 'b'", "b", "");
	CHECK_COND("github.ref == 'refs/heads/a' && github.ref == 'refs/heads/b'", "no branch", "");
	CHECK_COND("github.ref == 'refs/tags/v1'", "no branch", "");
	CHECK_COND("startsWith(github.ref, 'refs/heads/release/')", "release/*", "");
	CHECK_COND("startsWith(github.ref, 'refs/tags/')", "no branch", "");
	CHECK_COND("endsWith(github.ref_name, '-rc')", "*-rc", "");
	CHECK_COND("success() && github.ref == 'refs/heads/main'", "main", "");
	CHECK_COND("", "every branch", "");
	CHECK_COND("true", "every branch", "");
	CHECK_COND("false", "no branch", "");
	CHECK_COND("!false", "every branch", "");
	/* What cannot be followed never narrows, except beside && */
	CHECK_COND("github.event_name == 'push'", "every branch", "github.event_name == 'push'");
	CHECK_COND("github.ref == 'refs/heads/main' && github.event_name == 'push'", "main",
		   "github.event_name == 'push'");
	CHECK_COND("github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch'", "every branch",
		   "github.event_name == 'workflow_dispatch'");
	CHECK_COND("github.ref != 'refs/heads/main'", "every branch", "github.ref != 'refs/heads/main'");
	CHECK_COND("!(github.ref == 'refs/heads/main')", "every branch", "!(github.ref == 'refs/heads/main')");
	CHECK_COND("github.ref == 'refs/heads/main' &&", "every branch", "github.ref == 'refs/heads/main' &&");
	CHECK_COND("github.ref == 'refs/heads/*'", "every branch", "github.ref == 'refs/heads/*'");
	CHECK_COND("${{ github.ref }} == 'x'", "every branch", "${{ github.ref }} == 'x'");
}

/* A fuzzer's 2 000 brackets overflowed the recursive reader's stack:
 * deep nesting is a condition not followed, like any other. */
static void deep_conditions_are_not_followed(void)
{
	struct sbuf e;
	sbuf_init(&e);
	for (int i = 0; i < 200000; i++)	/* past any stack, without the limit */
		sbuf_adds(&e, i % 2 ? "(" : "!");
	sbuf_adds(&e, "true");
	struct sw_cond c;
	struct sw_expr_ctx ctx = {0};
	sw_cond_parse(e.buf, &ctx, &c);
	CHECK_INT(c.unchecked.len, 1);
	CHECK(c.unchecked.len && strlen(c.unchecked.items[0]) == e.len);
	sw_cond_free(&c);
	sbuf_free(&e);
	/* 30 levels, as deep as anyone writes, are read. */
	CHECK_COND("((((((((((((((((((((((((((((((github.ref == 'refs/heads/main'))))))))))))))))))))))))))))))",
		   "main", "");
}

static void conditions_on_status(void)
{
	bool always, after;
	char *u, *w = cond_text("always()", &always, &after, &u);
	CHECK(always && !after);
	free(w);
	free(u);
	w = cond_text("${{ !cancelled() }}", &always, &after, &u);
	CHECK(always && !after);
	free(w);
	free(u);
	w = cond_text("failure() && github.ref == 'refs/heads/main'", &always, &after, &u);
	CHECK(!always && after);
	CHECK_STR(w, "main");
	free(w);
	free(u);
	w = cond_text("success() || failure()", &always, &after, &u);
	CHECK(always && !after);
	free(w);
	free(u);
}

static void branch_sets(void)
{
	struct sw_branchset a = {0}, b = {0};
	sw_branchset_add(&a, "main");
	sw_branchset_add(&a, "release/*");
	sw_branchset_add(&b, "release/1.0");
	sw_branchset_add(&b, "*");
	CHECK_INT(sw_branchset_narrow(&a, &b), 0);
	char *t = sw_branchset_text(&a);
	CHECK_STR(t, "main, release/1.0, release/*");
	free(t);
	sw_branchset_free(&b);
	sw_branchset_add(&b, "*-fix");
	CHECK_INT(sw_branchset_narrow(&a, &b), 1);
	sw_branchset_free(&a);
	sw_branchset_free(&b);
}

/* ---- the YAML tree and JSON layout ---- */

static void yaml_tree(void)
{
	struct sw_ydoc doc;
	char *err = NULL;
	const char *text = "on: push\nlist: &l\n  - 'a'\n  - b\nagain: *l\n";
	CHECK_INT(sw_yaml_parse(&doc, text, strlen(text), "t.yml", &err), 0);
	const struct sw_ynode *list = sw_yaml_get(doc.root, "list");
	CHECK(list && list->kind == SW_YAML_SEQUENCE && list->n == 2);
	CHECK(list == sw_yaml_get(doc.root, "again"));
	CHECK_INT(sw_yaml_item(list, 0)->line, 3);
	CHECK(!sw_yaml_item(list, 0)->plain && sw_yaml_item(list, 1)->plain);
	CHECK_STR(sw_yaml_text(sw_yaml_get(doc.root, "on")), "push");
	CHECK_INT(sw_yaml_key_line(doc.root, 2), 5);
	CHECK(sw_yaml_get(doc.root, "missing") == NULL && sw_yaml_get(list, "x") == NULL);
	sw_yaml_free(&doc);
	free(err);
}

static void json_layout(void)
{
	cJSON *j = cJSON_Parse("{\"a\": 1, \"l\": [\"x\", \"y\"], \"s\": [{\"name\": \"n\", \"env\": {\"K\": \"v\"}}],"
			       " \"e\": [], \"o\": {}}");
	char *text = sw_json_print(j, 2);
	CHECK_STR(text, "{\n  \"a\": 1,\n  \"l\": [\"x\", \"y\"],\n  \"s\": [\n    {\n      \"name\": \"n\",\n"
			"      \"env\": {\"K\": \"v\"}\n    }\n  ],\n  \"e\": [],\n  \"o\": {}\n}\n");
	free(text);
	cJSON_Delete(j);
}

/* ---- discovery ---- */

static void workflows_found(void)
{
	char tmpl[] = "/tmp/sw-actions-XXXXXX";
	char *dir = mkdtemp(tmpl);
	CHECK(dir != NULL);
	if (!dir)
		return;
	struct strlist l = {0};
	CHECK_INT(sw_actions_workflows(dir, &l), -1);
	char *wf = xasprintf("%s/.github/workflows", dir);
	CHECK_INT(sw_mkdirs(wf, 0755), 0);
	CHECK_INT(sw_actions_workflows(dir, &l), 0);
	CHECK_INT(l.len, 0);
	const char *files[] = {"release.yaml", "ci.yml", ".hidden.yml", "notes.txt", "b.yml"};
	for (size_t i = 0; i < 5; i++) {
		char *p = xasprintf("%s/%s", wf, files[i]);
		CHECK_INT(sw_write_atomic(p, "x", 1, false), 0);
		free(p);
	}
	CHECK_INT(sw_actions_workflows(dir, &l), 0);
	CHECK_INT(l.len, 3);
	if (l.len == 3) {
		CHECK_STR(l.items[0], ".github/workflows/b.yml");
		CHECK_STR(l.items[1], ".github/workflows/ci.yml");
		CHECK_STR(l.items[2], ".github/workflows/release.yaml");
	}
	strlist_free(&l);
	sw_remove_tree(dir);
	free(wf);
}

int main(void)
{
	RUN_TEST(reference_stages_by_branch);
	RUN_TEST(reference_stage_contents);
	RUN_TEST(reference_notes);
	RUN_TEST(poetry_stages);
	RUN_TEST(poetry_notes);
	RUN_TEST(matrix_expanded);
	RUN_TEST(matrix_notes);
	RUN_TEST(matrix_include_only_and_limits);
	RUN_TEST(flake8_skips_the_venv);
	RUN_TEST(deploy_order_and_branches);
	RUN_TEST(deploy_env_and_secrets);
	RUN_TEST(deploy_notes);
	RUN_TEST(fixture_errors);
	RUN_TEST(workflow_errors);
	RUN_TEST(nesting_limit);
	RUN_TEST(every_prefix);
	RUN_TEST(anchors_resolved);
	RUN_TEST(steps_noted);
	RUN_TEST(empty_branch_patterns_left_out);
	RUN_TEST(cache_paths_slipway_refuses_left_out);
	RUN_TEST(names_made_valid);
	RUN_TEST(expressions_in_scripts);
	RUN_TEST(expressions_as_words);
	RUN_TEST(conditions_to_branches);
	RUN_TEST(conditions_on_status);
	RUN_TEST(deep_conditions_are_not_followed);
	RUN_TEST(branch_sets);
	RUN_TEST(yaml_tree);
	RUN_TEST(json_layout);
	RUN_TEST(workflows_found);
	UNIT_EXIT();
}
