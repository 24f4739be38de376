/* The GitHub client's pure parts (core/github.c): descriptions within
 * GitHub's 140 characters, how long a rate limit says to wait, and which
 * state each stage and the run are posted with. */
#include "unit.h"

#include "slipway/github.h"
#include "slipway/store.h"
#include "slipway/util.h"

static void test_description(void)
{
	char *d = sw_github_description("31 passed, coverage 91.4 %");
	CHECK_STR(d, "31 passed, coverage 91.4 %");
	free(d);
	/* A newline or an escape from a stage's reason is a space. */
	d = sw_github_description("exit\ncode \x1b[31m1");
	CHECK_STR(d, "exit code  [31m1");
	free(d);
	char long_text[400];
	memset(long_text, 'x', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	d = sw_github_description(long_text);
	CHECK_INT(strlen(d), SW_GITHUB_DESCRIPTION_MAX);
	CHECK(!strcmp(d + SW_GITHUB_DESCRIPTION_MAX - 3, "..."));
	free(d);
	/* Cut on a character boundary: 2-byte "é"s all the way. */
	struct sbuf sb;
	sbuf_init(&sb);
	for (int i = 0; i < 100; i++)
		sbuf_adds(&sb, "\xc3\xa9");
	d = sw_github_description(sb.buf);
	CHECK(strlen(d) <= SW_GITHUB_DESCRIPTION_MAX);
	CHECK_INT(strlen(d) % 2, 1);	/* whole "é"s then "..." */
	free(d);
	sbuf_free(&sb);
	d = sw_github_description(NULL);
	CHECK_STR(d, "");
	free(d);
}

static void test_wait(void)
{
	time_t now = 1700000000;
	/* Primary limit: until x-ratelimit-reset. */
	CHECK_INT(sw_github_wait_ms("0", "1700000003", NULL, now), 3000);
	/* Retry-After wins (a secondary limit). */
	CHECK_INT(sw_github_wait_ms("0", "1700003600", "7", now), 7000);
	CHECK_INT(sw_github_wait_ms(NULL, NULL, "2", now), 2000);
	/* A reset already past, or retry-after 0: at least a second. */
	CHECK_INT(sw_github_wait_ms("0", "1699999990", NULL, now), 1000);
	CHECK_INT(sw_github_wait_ms(NULL, NULL, "0", now), 1000);
	/* Requests left, or no headers at all: no rate limit (a 403 is a permission). */
	CHECK_INT(sw_github_wait_ms("4999", "1700000003", NULL, now), -1);
	CHECK_INT(sw_github_wait_ms(NULL, NULL, NULL, now), -1);
	CHECK_INT(sw_github_wait_ms("0", "soon", NULL, now), -1);
	/* An hour away: the caller's bound decides, the wait is told as it is. */
	CHECK_INT(sw_github_wait_ms("0", "1700003600", NULL, now), 3600000);
}

static void test_until(void)
{
	char *u = sw_github_until("1700003600", NULL, 3600000);
	CHECK_STR(u, "until 2023-11-14 23:13:20 UTC (x-ratelimit-reset)");
	free(u);
	u = sw_github_until("1700003600", "7", 7000);
	CHECK_STR(u, "for 7 s more (retry-after)");
	free(u);
	/* A reset past any date gmtime_r knows is told in seconds, not read
	 * from the struct tm it left unset (found by fuzz_github). */
	u = sw_github_until("99999999999999999999", NULL, 86400000);
	CHECK_STR(u, "for 86400 s more (x-ratelimit-reset)");
	free(u);
}

static void stage(struct sw_run_record *rec, const char *name, enum sw_stage_status st, const char *reason)
{
	rec->stages = xrealloc(rec->stages, (rec->nstages + 1) * sizeof *rec->stages);
	rec->stages[rec->nstages++] = (struct sw_stage_record){.name = xstrdup(name), .status = st,
								.exit_code = 1, .reason = xstrdup_null(reason),
								.duration_ms = 1500};
}

static const struct sw_github_status *find(const struct sw_github_status *s, size_t n, const char *context)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].context, context))
			return &s[i];
	return NULL;
}

static void test_failed_run(void)
{
	struct sw_run_record rec = {.status = SW_RUN_FAILED};
	stage(&rec, "lint", SW_STAGE_FAILED, "lint 3 > lint_max 0");
	stage(&rec, "test", SW_STAGE_SKIPPED, "an earlier stage failed");
	stage(&rec, "deploy", SW_STAGE_SKIPPED, "not run on this branch");
	struct sw_github_status *s;
	size_t n = sw_github_run_statuses(&rec, &s);
	CHECK_INT(n, 4);
	CHECK_STR(s[0].context, "slipway/lint");
	CHECK_INT(s[0].state, SW_GITHUB_FAILURE);
	CHECK_STR(s[0].description, "failed: lint 3 > lint_max 0");
	/* Tested by nothing: a required check must not turn green. */
	CHECK_INT(s[1].state, SW_GITHUB_FAILURE);
	CHECK_STR(s[1].description, "skipped: an earlier stage failed");
	/* Not this branch's to run: the pipeline passes without it. */
	CHECK_INT(s[2].state, SW_GITHUB_SUCCESS);
	CHECK_STR(s[2].description, "skipped: not run on this branch");
	CHECK_STR(s[3].context, "slipway");
	CHECK_INT(s[3].state, SW_GITHUB_FAILURE);
	CHECK_STR(s[3].description, "lint failed: lint 3 > lint_max 0");
	sw_github_statuses_free(s, n);
	sw_run_record_free(&rec);
}

static void test_passed_and_pending(void)
{
	struct sw_run_record rec = {.status = SW_RUN_RUNNING};
	stage(&rec, "lint", SW_STAGE_PASSED, NULL);
	stage(&rec, "test", SW_STAGE_RUNNING, NULL);
	struct sw_github_status *s;
	size_t n = sw_github_run_statuses(&rec, &s);
	CHECK_STR(s[0].description, "passed in 1.5 s");
	CHECK_INT(s[1].state, SW_GITHUB_PENDING);
	CHECK_STR(find(s, n, "slipway")->description, "running test");
	CHECK_INT(find(s, n, "slipway")->state, SW_GITHUB_PENDING);
	sw_github_statuses_free(s, n);
	rec.status = SW_RUN_PASSED;
	rec.stages[1].status = SW_STAGE_PASSED;
	rec.metrics.tests.known = true;
	rec.metrics.tests.passed = 31;
	rec.metrics.coverage.known = true;
	rec.metrics.coverage.percent = 91.44;
	n = sw_github_run_statuses(&rec, &s);
	CHECK_INT(find(s, n, "slipway")->state, SW_GITHUB_SUCCESS);
	CHECK_STR(find(s, n, "slipway")->description, "31 passed, coverage 91.4 %");
	sw_github_statuses_free(s, n);
	/* Interrupted: what was still running is an error, not pending forever. */
	rec.status = SW_RUN_INTERRUPTED;
	rec.stages[1].status = SW_STAGE_RUNNING;
	n = sw_github_run_statuses(&rec, &s);
	CHECK_INT(s[1].state, SW_GITHUB_ERROR);
	CHECK_INT(find(s, n, "slipway")->state, SW_GITHUB_ERROR);
	sw_github_statuses_free(s, n);
	sw_run_record_free(&rec);
}

static void test_partial_and_cancelled(void)
{
	struct sw_run_record rec = {.status = SW_RUN_PASSED, .partial = true, .only_stage = xstrdup("lint")};
	stage(&rec, "lint", SW_STAGE_PASSED, NULL);
	stage(&rec, "test", SW_STAGE_SKIPPED, "not selected");
	struct sw_github_status *s;
	size_t n = sw_github_run_statuses(&rec, &s);
	/* Only what ran: neither "test" nor the run's own context. */
	CHECK_INT(n, 1);
	CHECK_STR(s[0].context, "slipway/lint");
	sw_github_statuses_free(s, n);
	rec.partial = false;
	rec.status = SW_RUN_CANCELLED;
	rec.stages[1].status = SW_STAGE_CANCELLED;
	n = sw_github_run_statuses(&rec, &s);
	CHECK_INT(s[1].state, SW_GITHUB_ERROR);
	CHECK_STR(find(s, n, "slipway")->description, "cancelled");
	CHECK_INT(find(s, n, "slipway")->state, SW_GITHUB_ERROR);
	sw_github_statuses_free(s, n);
	sw_run_record_free(&rec);
}

int main(void)
{
	RUN_TEST(test_description);
	RUN_TEST(test_wait);
	RUN_TEST(test_until);
	RUN_TEST(test_failed_run);
	RUN_TEST(test_passed_and_pending);
	RUN_TEST(test_partial_and_cancelled);
	UNIT_EXIT();
}
