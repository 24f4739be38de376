/* The GitHub client's pure parts (core/github.c): descriptions within
 * GitHub's 140 characters, how long a rate limit says to wait, which
 * state each stage and the run are posted with, GitHub's pull request
 * replies, and what each refusal is told as. */
#include "unit.h"

#include "core/http.h"
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

#define SHA_A "0123456789abcdef0123456789abcdef01234567"
#define SHA_B "89abcdef0123456789abcdef0123456789abcdef"

static void test_parse_pull(void)
{
	struct sw_github_pull pr;
	const char *json = "{\"number\": 7, \"state\": \"open\", \"html_url\": \"https://github.com/acme/x/pull/7\","
			   " \"head\": {\"ref\": \"development\", \"sha\": \"" SHA_A "\","
			   " \"repo\": {\"full_name\": \"acme/x\"}}, \"base\": {\"ref\": \"main\"}}";
	CHECK_INT(sw_github_parse_pull(json, strlen(json), &pr), 0);
	CHECK_INT(pr.number, 7);
	CHECK_STR(pr.url, "https://github.com/acme/x/pull/7");
	CHECK_STR(pr.head_sha, SHA_A);
	CHECK_STR(pr.head_ref, "development");
	CHECK_STR(pr.base_ref, "main");
	CHECK_STR(pr.head_repo, "acme/x");
	CHECK(pr.open);
	sw_github_pull_free(&pr);
	/* An address that is no web page, a head that is no commit id: not kept;
	 * escapes in an address are shown, not sent to the terminal. */
	json = "{\"number\": 8, \"state\": \"closed\", \"html_url\": \"javascript:x\", \"head\": {\"sha\": \"HEAD\"}}";
	CHECK_INT(sw_github_parse_pull(json, strlen(json), &pr), 0);
	CHECK_STR(pr.url, "");
	CHECK_STR(pr.head_sha, "");
	CHECK(!pr.open);
	CHECK(!pr.head_ref && !pr.head_repo);
	sw_github_pull_free(&pr);
	json = "{\"number\": 9, \"html_url\": \"https://h/p\\u001b[2J\"}";
	CHECK_INT(sw_github_parse_pull(json, strlen(json), &pr), 0);
	CHECK(!strchr(pr.url, 0x1b));
	sw_github_pull_free(&pr);
	const char *bad[] = {"[]", "{}", "{\"number\": 0}", "{\"number\": \"7\"}", "not json"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK_INT(sw_github_parse_pull(bad[i], strlen(bad[i]), &pr), -1);
		CHECK_INT(pr.number, 0);
	}
}

static void test_parse_pulls(void)
{
	struct sw_github_pull pr;
	/* GitHub ignores a head filter it cannot read and lists every open
	 * pull request: only one of branch into base, from this repository, fits. */
	const char *json =
		"[{\"number\": 1, \"state\": \"open\", \"head\": {\"ref\": \"other\"}, \"base\": {\"ref\": \"main\"}},"
		" {\"number\": 2, \"state\": \"open\", \"head\": {\"ref\": \"development\", \"repo\": {\"full_name\":"
		" \"fork/x\"}}, \"base\": {\"ref\": \"main\"}},"
		" {\"number\": 3, \"state\": \"open\", \"head\": {\"ref\": \"development\"}, \"base\": {\"ref\": \"release\"}},"
		" {\"number\": 4, \"state\": \"closed\", \"head\": {\"ref\": \"development\"}, \"base\": {\"ref\": \"main\"}},"
		" \"junk\","
		" {\"number\": 5, \"state\": \"open\", \"head\": {\"ref\": \"development\", \"sha\": \"" SHA_B "\","
		" \"repo\": {\"full_name\": \"Acme/X\"}}, \"base\": {\"ref\": \"main\"}}]";
	CHECK_INT(sw_github_parse_pulls(json, strlen(json), "acme/x", "development", "main", &pr), 0);
	CHECK_INT(pr.number, 5);
	CHECK_STR(pr.head_sha, SHA_B);
	sw_github_pull_free(&pr);
	CHECK_INT(sw_github_parse_pulls(json, strlen(json), "acme/x", "nothing", "main", &pr), 0);
	CHECK_INT(pr.number, 0);
	CHECK_INT(sw_github_parse_pulls("[]", 2, "acme/x", "development", "main", &pr), 0);
	CHECK_INT(pr.number, 0);
	CHECK_INT(sw_github_parse_pulls("{\"message\": \"x\"}", 16, "acme/x", "development", "main", &pr), -1);
}

static void test_parse_merged(void)
{
	char sha[41] = "";
	const char *ok = "{\"sha\": \"" SHA_A "\", \"merged\": true, \"message\": \"Pull Request successfully merged\"}";
	CHECK_INT(sw_github_parse_merged(ok, strlen(ok), sha), 0);
	CHECK_STR(sha, SHA_A);
	const char *bad[] = {"{\"sha\": \"" SHA_A "\", \"merged\": false}", "{\"sha\": \"abc\", \"merged\": true}",
			     "{\"merged\": true}", "[]", ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_INT(sw_github_parse_merged(bad[i], strlen(bad[i]), sha), -1);
}

/* refusal PURPOSE STATUS MESSAGE: the sentence, and *code its class. */
static char *refusal(enum sw_github_purpose purpose, const char *method, long status, const char *message, int *code)
{
	struct sw_github_call call = {purpose, method, "https://api/x", 12, "development"};
	char *out = NULL;
	*code = sw_github_refusal(&call, status, message, "acme/x", "GITHUB_TOKEN in the environment", &out);
	return out;
}

static void test_refusals(void)
{
	int code;
	char *m = refusal(SW_GITHUB_FOR_MERGE_PULL, "PUT", 405, "Pull Request is not mergeable", &code);
	CHECK_STR(m, "GitHub will not merge pull request #12: Pull Request is not mergeable (required checks or reviews?)");
	CHECK_INT(code, SW_GITHUB_REFUSED);
	free(m);
	m = refusal(SW_GITHUB_FOR_MERGE_PULL, "PUT", 409, "Head branch was modified.", &code);
	CHECK_STR(m, "development moved on GitHub since it was tested (409): run and merge the new head");
	free(m);
	m = refusal(SW_GITHUB_FOR_MERGE_PULL, "PUT", 422, "Validation Failed", &code);
	CHECK_STR(m, "GitHub refused to merge pull request #12 (422: Validation Failed)");
	free(m);
	m = refusal(SW_GITHUB_FOR_OPEN_PULL, "POST", 422, "Validation Failed; No commits between main and development",
		    &code);
	CHECK_STR(m, "GitHub refused to open the pull request (422: Validation Failed; No commits between main and "
		     "development) at POST https://api/x");
	free(m);
	m = refusal(SW_GITHUB_FOR_STATUS, "POST", 422, "Validation Failed", &code);
	CHECK_STR(m, "GitHub refused the status (422: Validation Failed) at POST https://api/x");
	free(m);
	/* 405 and 409 mean something of a merge only. */
	m = refusal(SW_GITHUB_FOR_FIND_PULL, "GET", 409, "Conflict", &code);
	CHECK_STR(m, "GitHub answered GET https://api/x with 409: Conflict");
	free(m);
	/* 403 names the permission of what was asked. */
	m = refusal(SW_GITHUB_FOR_STATUS, "POST", 403, "Resource not accessible", &code);
	CHECK_STR(m, "GitHub refused POST https://api/x (403: Resource not accessible): the token needs \"Commit statuses: "
		     "write\" on acme/x (repo:status for a classic token)");
	free(m);
	m = refusal(SW_GITHUB_FOR_MERGE_PULL, "PUT", 403, "Resource not accessible", &code);
	CHECK_STR(m, "GitHub refused PUT https://api/x (403: Resource not accessible): the token needs \"Pull requests: "
		     "write\" and \"Contents: write\" on acme/x (repo for a classic token)");
	CHECK_INT(code, SW_GITHUB_REFUSED);
	free(m);
	m = refusal(SW_GITHUB_FOR_FIND_PULL, "GET", 401, "Bad credentials", &code);
	CHECK_STR(m, "GitHub refused the token from GITHUB_TOKEN in the environment (401 Bad credentials) at GET "
		     "https://api/x");
	CHECK_INT(code, SW_GITHUB_UNUSABLE);
	free(m);
	m = refusal(SW_GITHUB_FOR_OPEN_PULL, "POST", 404, "Not Found", &code);
	CHECK_STR(m, "GitHub has no repository acme/x, or the token from GITHUB_TOKEN in the environment cannot see it "
		     "(404 on POST https://api/x)");
	free(m);
	m = refusal(SW_GITHUB_FOR_MERGE_PULL, "PUT", 502, "Bad Gateway", &code);
	CHECK_STR(m, "GitHub answered PUT https://api/x with 502 (Bad Gateway) 3 times");
	CHECK_INT(code, SW_GITHUB_UNUSABLE);
	free(m);
	char *none = sw_github_no_token(SW_GITHUB_FOR_MERGE_PULL);
	CHECK(strstr(none, "(a token with \"Pull requests: write\" and \"Contents: write\")") != NULL);
	free(none);
	none = sw_github_no_token(SW_GITHUB_FOR_STATUS);
	CHECK(strstr(none, "(a token with \"Commit statuses: write\")") != NULL);
	free(none);
}

/* An error message never names the token: whole, or the part of it that
 * a message cut at its 200th byte kept. */
static void test_token_scrub(void)
{
	const char *tok = "ghp_R4nd0mT0k3nV4lu3";
	char *m = sw_http_without_token(tok, xasprintf("bad credentials for %s and %s.", tok, tok));
	CHECK_STR(m, "bad credentials for *** and ***.");
	free(m);
	m = sw_http_without_token(tok, xstrdup("echoed: ghp_R4nd0mT (422: cut) at POST /x"));
	CHECK_STR(m, "echoed: *** (422: cut) at POST /x");
	free(m);
	/* a few of its first bytes are no token; a short token is not masked */
	m = sw_http_without_token(tok, xstrdup("ghp_R4n is a word"));
	CHECK_STR(m, "ghp_R4n is a word");
	free(m);
	m = sw_http_without_token("abc", xstrdup("abc abc"));
	CHECK_STR(m, "abc abc");
	free(m);
	m = sw_http_without_token(NULL, xstrdup("nothing"));
	CHECK_STR(m, "nothing");
	free(m);
}

int main(void)
{
	RUN_TEST(test_token_scrub);
	RUN_TEST(test_description);
	RUN_TEST(test_wait);
	RUN_TEST(test_until);
	RUN_TEST(test_failed_run);
	RUN_TEST(test_passed_and_pending);
	RUN_TEST(test_partial_and_cancelled);
	RUN_TEST(test_parse_pull);
	RUN_TEST(test_parse_pulls);
	RUN_TEST(test_parse_merged);
	RUN_TEST(test_refusals);
	UNIT_EXIT();
}
