/* Unit tests for the DORA figures: scripted series of deploy records with
 * commit times from a table, no git and no store. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/dora.h"
#include "slipway/util.h"
#include "unit.h"

#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL
#define NOW (100 * DAY)
#define SINCE (70 * DAY)

/* The commits a deploy of `to` brings over `from`, as git would say. */
struct brought {
	const char *from, *to;
	int64_t times[4];
	size_t n;
};

struct table {
	const struct brought *rows;
	size_t n;
	int calls;
};

static int table_commits(void *ctx, const char *from, const char *to, int64_t **times, size_t *n)
{
	struct table *t = ctx;
	t->calls++;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].from, from) && !strcmp(t->rows[i].to, to)) {
			*n = t->rows[i].n;
			*times = xcalloc(*n + 1, sizeof **times);
			memcpy(*times, t->rows[i].times, *n * sizeof **times);
			return 0;
		}
	return -1;
}

static char production[] = "production", staging[] = "staging";

static struct sw_deploy_record rec(long id, char *env, bool rollback, const char *commit,
				   enum sw_deploy_status st, int64_t finished)
{
	struct sw_deploy_record r = {0};
	r.id = id;
	r.rollback = rollback;
	r.environment = env;
	snprintf(r.commit, sizeof r.commit, "%s", commit);
	r.status = st;
	r.started_ms = finished ? finished - MIN : 0;
	r.finished_ms = finished;
	return r;
}

#define SUCC SW_DEPLOY_SUCCEEDED
#define ROLLED SW_DEPLOY_ROLLED_BACK
#define FAILED SW_DEPLOY_FAILED

static void compute(const struct sw_deploy_record *recs, size_t n, const char *env, struct table *t,
		    struct sw_dora_report *out)
{
	struct sw_dora_source src = {table_commits, t};
	sw_dora_compute(recs, n, SINCE, NOW, env, &src, out);
}

static void test_median(void)
{
	int64_t odd[] = {3, 1, 2}, even[] = {9000, 1000, 4000, 2000}, one[] = {7};
	CHECK_INT(sw_dora_median(odd, 3), 2);
	/* Of an even count, the mean of the middle two. */
	CHECK_INT(sw_dora_median(even, 4), 3000);
	CHECK_INT(sw_dora_median(one, 1), 7);
	CHECK_INT(sw_dora_median(NULL, 0), 0);
}

static void test_parse_window(void)
{
	int64_t ms = 0;
	char name[32];
	CHECK_INT(sw_dora_parse_window("30d", &ms, name, sizeof name), 0);
	CHECK_INT(ms, 30 * DAY);
	CHECK_STR(name, "30 days");
	CHECK_INT(sw_dora_parse_window("2w", &ms, name, sizeof name), 0);
	CHECK_INT(ms, 14 * DAY);
	CHECK_STR(name, "2 weeks");
	CHECK_INT(sw_dora_parse_window("1h", &ms, name, sizeof name), 0);
	CHECK_INT(ms, HOUR);
	CHECK_STR(name, "1 hour");
	const char *bad[] = {"", "30", "d", "0d", "-1d", "+1d", " 3d", "3x", "3dd", "1.5d", "30D", "99999999d"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_INT(sw_dora_parse_window(bad[i], &ms, name, sizeof name), -1);
}

static void test_format_span(void)
{
	char s[32];
	sw_dora_format_span(45000, s, sizeof s);
	CHECK_STR(s, "45 s");
	sw_dora_format_span(12 * MIN + 5000, s, sizeof s);
	CHECK_STR(s, "12m 05s");
	sw_dora_format_span(2 * HOUR + 5 * MIN, s, sizeof s);
	CHECK_STR(s, "2h 05m");
	sw_dora_format_span(3 * DAY + 4 * HOUR + 30 * MIN, s, sizeof s);
	CHECK_STR(s, "3d 4h");
	sw_dora_format_span(-5, s, sizeof s);
	CHECK_STR(s, "0 s");
}

/* #1 before the window serves A; #2 brings two commits, #3 rolls back to
 * A, #4 brings one over B (the rollback's A was counted already). */
static const struct brought lead_rows[] = {
	{"", "A", {60 * DAY - HOUR}, 1},
	{"A", "B", {75 * DAY - HOUR, 75 * DAY - 3 * HOUR}, 2},
	{"B", "C", {80 * DAY - 2 * HOUR}, 1},
	{"C", "D", {90 * DAY - 4 * HOUR}, 1},
};

static void test_frequency_and_lead_time_odd(void)
{
	struct sw_deploy_record r[] = {
		rec(1, production, false, "A", SUCC, 60 * DAY),
		rec(2, production, false, "B", SUCC, 75 * DAY),
		rec(3, production, true, "A", SUCC, 76 * DAY),
		rec(4, production, false, "C", SUCC, 80 * DAY),
	};
	struct table t = {lead_rows, 4, 0};
	struct sw_dora_report rep;
	compute(r, 4, NULL, &t, &rep);
	CHECK_INT(rep.n, 1);
	const struct sw_dora_figures *f = &rep.envs[0];
	CHECK_STR(f->environment, "production");
	CHECK_INT(f->deploys, 2);
	CHECK_INT(f->succeeded, 2);
	CHECK(f->per_day > 2.0 / 30 - 1e-9 && f->per_day < 2.0 / 30 + 1e-9);
	CHECK(f->per_week > 14.0 / 30 - 1e-9 && f->per_week < 14.0 / 30 + 1e-9);
	CHECK_INT(f->lead_commits, 3);
	CHECK_INT(f->lead_deploys, 2);
	CHECK_INT(f->lead_median_ms, 2 * HOUR);
	CHECK_INT(t.calls, 2);
	CHECK_INT(f->failed, 0);
	CHECK_INT(f->finished, 2);
	CHECK_INT(f->restored + f->unrestored, 0);
	CHECK_INT(rep.warnings.len, 0);
	sw_dora_report_free(&rep);
}

static void test_lead_time_even(void)
{
	struct sw_deploy_record r[] = {
		rec(5, production, false, "D", SUCC, 90 * DAY),
		rec(1, production, false, "A", SUCC, 60 * DAY),
		rec(4, production, false, "C", SUCC, 80 * DAY),
		rec(2, production, false, "B", SUCC, 75 * DAY),
	};
	struct table t = {lead_rows, 4, 0};
	struct sw_dora_report rep;
	compute(r, 4, NULL, &t, &rep);
	/* 1h 2h 3h 4h, in any order of the journal. */
	CHECK_INT(rep.envs[0].lead_commits, 4);
	CHECK_INT(rep.envs[0].lead_median_ms, 2 * HOUR + 30 * MIN);
	CHECK_INT(rep.envs[0].succeeded, 3);
	sw_dora_report_free(&rep);
}

static void test_failure_restored_by_rollback(void)
{
	static const struct brought rows[] = {{"", "A", {71 * DAY}, 1}, {"A", "D", {80 * DAY}, 1}};
	struct sw_deploy_record r[] = {
		rec(1, production, false, "A", SUCC, 71 * DAY),
		rec(2, production, false, "B", ROLLED, 72 * DAY),
		rec(3, production, true, "A", SUCC, 72 * DAY + 30 * MIN),
		rec(4, production, false, "C", FAILED, 80 * DAY),
		rec(5, production, false, "D", SUCC, 80 * DAY + 2 * HOUR),
	};
	struct table t = {rows, 2, 0};
	struct sw_dora_report rep;
	compute(r, 5, NULL, &t, &rep);
	const struct sw_dora_figures *f = &rep.envs[0];
	/* The rollback is neither a deploy nor a failure, but it restores. */
	CHECK_INT(f->deploys, 4);
	CHECK_INT(f->failed, 2);
	CHECK_INT(f->finished, 4);
	CHECK_INT(f->restored, 2);
	CHECK_INT(f->unrestored, 0);
	CHECK_INT(f->restore_median_ms, 75 * MIN);
	/* D's commits are those over A, the last succeeded deploy. */
	CHECK_INT(f->lead_commits, 2);
	CHECK_INT(f->lead_median_ms, HOUR);
	sw_dora_report_free(&rep);
}

static void test_unrestored_and_interrupted(void)
{
	static const struct brought rows[] = {{"", "A", {71 * DAY}, 1}};
	struct sw_deploy_record r[] = {
		rec(1, production, false, "A", SUCC, 71 * DAY),
		rec(2, production, false, "B", FAILED, 90 * DAY),
		rec(3, production, false, "C", SW_DEPLOY_INTERRUPTED, 0),
	};
	/* The process died: no finish, its start says when. */
	r[2].started_ms = 95 * DAY;
	struct table t = {rows, 1, 0};
	struct sw_dora_report rep;
	compute(r, 3, NULL, &t, &rep);
	const struct sw_dora_figures *f = &rep.envs[0];
	CHECK_INT(f->deploys, 3);
	CHECK_INT(f->failed, 2);
	CHECK_INT(f->finished, 3);
	CHECK_INT(f->restored, 0);
	CHECK_INT(f->unrestored, 2);
	cJSON *j = sw_dora_report_to_json(&rep);
	const cJSON *ttr = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "environments"), 0),
					       "time_to_restore");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(ttr, "median_s")));
	CHECK_INT(cJSON_GetObjectItem(ttr, "unrestored")->valuedouble, 2);
	cJSON_Delete(j);
	sw_dora_report_free(&rep);
}

static void test_rollback_alone_is_no_deploy(void)
{
	struct sw_deploy_record r[] = {
		rec(1, production, false, "A", SUCC, 10 * DAY),
		rec(2, production, false, "B", SUCC, 20 * DAY),
		rec(3, production, true, "A", SUCC, 80 * DAY),
	};
	struct table t = {NULL, 0, 0};
	struct sw_dora_report rep;
	compute(r, 3, NULL, &t, &rep);
	CHECK_INT(rep.n, 0);
	sw_dora_report_free(&rep);
	compute(r, 3, "production", &t, &rep);
	CHECK_INT(rep.envs[0].deploys, 0);
	CHECK_INT(rep.envs[0].succeeded, 0);
	CHECK_INT(rep.envs[0].finished, 0);
	CHECK_INT(t.calls, 0);
	sw_dora_report_free(&rep);
}

static void test_running_is_left_out(void)
{
	struct sw_deploy_record r[] = {rec(1, production, false, "A", SW_DEPLOY_RUNNING, 0)};
	r[0].started_ms = 99 * DAY;
	struct table t = {NULL, 0, 0};
	struct sw_dora_report rep;
	compute(r, 1, NULL, &t, &rep);
	CHECK_INT(rep.n, 0);
	sw_dora_report_free(&rep);
}

static void test_window_edges(void)
{
	static const struct brought rows[] = {{"A", "B", {SINCE - HOUR}, 1}, {"B", "C", {NOW - HOUR}, 1}};
	struct sw_deploy_record r[] = {
		rec(1, production, false, "A", SUCC, SINCE - 1),
		rec(2, production, false, "B", SUCC, SINCE),
		rec(3, production, false, "C", SUCC, NOW),
		rec(4, production, false, "D", FAILED, NOW + 1),
	};
	struct table t = {rows, 2, 0};
	struct sw_dora_report rep;
	compute(r, 4, NULL, &t, &rep);
	const struct sw_dora_figures *f = &rep.envs[0];
	/* Both ends are in; a millisecond outside is not, yet #1 still says
	 * what the environment served before #2. */
	CHECK_INT(f->deploys, 2);
	CHECK_INT(f->succeeded, 2);
	CHECK_INT(f->failed, 0);
	CHECK_INT(f->lead_commits, 2);
	CHECK_INT(f->lead_median_ms, HOUR);
	CHECK_INT(rep.warnings.len, 0);
	sw_dora_report_free(&rep);
}

static void test_two_environments(void)
{
	static const struct brought rows[] = {
		{"", "A", {80 * DAY - HOUR}, 1}, {"", "B", {81 * DAY - 3 * HOUR}, 1}, {"A", "B", {81 * DAY - 5 * HOUR}, 1}};
	struct sw_deploy_record r[] = {
		rec(1, staging, false, "A", SUCC, 80 * DAY),
		rec(2, staging, false, "B", SUCC, 81 * DAY),
		rec(3, production, false, "B", SUCC, 81 * DAY),
		rec(4, production, false, "C", ROLLED, 82 * DAY),
	};
	struct table t = {rows, 3, 0};
	struct sw_dora_report rep;
	compute(r, 4, NULL, &t, &rep);
	CHECK_INT(rep.n, 2);
	/* By name; each environment's first deploy brings its commit alone. */
	CHECK_STR(rep.envs[0].environment, "production");
	CHECK_INT(rep.envs[0].lead_median_ms, 3 * HOUR);
	CHECK_INT(rep.envs[0].failed, 1);
	CHECK_INT(rep.envs[0].unrestored, 1);
	CHECK_STR(rep.envs[1].environment, "staging");
	CHECK_INT(rep.envs[1].lead_commits, 2);
	CHECK_INT(rep.envs[1].lead_median_ms, 3 * HOUR);
	CHECK_INT(rep.envs[1].failed, 0);
	sw_dora_report_free(&rep);
	compute(r, 4, "staging", &t, &rep);
	CHECK_INT(rep.n, 1);
	CHECK_STR(rep.envs[0].environment, "staging");
	CHECK_INT(rep.envs[0].deploys, 2);
	sw_dora_report_free(&rep);
}

static void test_no_data(void)
{
	struct sw_deploy_record r[] = {rec(1, production, false, "A", SUCC, 10 * DAY)};
	struct table t = {NULL, 0, 0};
	struct sw_dora_report rep;
	compute(r, 1, NULL, &t, &rep);
	CHECK_INT(rep.n, 0);
	cJSON *j = sw_dora_report_to_json(&rep);
	char *s = cJSON_PrintUnformatted(j);
	CHECK_STR(s, "{\"since_ms\":6048000000,\"environments\":[]}");
	free(s);
	cJSON_Delete(j);
	sw_dora_report_free(&rep);
	/* An environment asked for is reported, with no figure but the count. */
	compute(NULL, 0, "production", &t, &rep);
	CHECK_INT(rep.n, 1);
	j = sw_dora_report_to_json(&rep);
	s = cJSON_PrintUnformatted(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "environments"), 0));
	CHECK_STR(s, "{\"environment\":\"production\",\"deploys\":0,\"frequency\":{\"per_day\":0,\"per_week\":0,"
		     "\"count\":0},\"lead_time\":null,\"change_failure_rate\":null,\"time_to_restore\":null}");
	free(s);
	cJSON_Delete(j);
	sw_dora_report_free(&rep);
}

static void test_unknown_commit_is_left_out(void)
{
	struct sw_deploy_record r[] = {rec(1, production, false, "A", SUCC, 80 * DAY)};
	struct table t = {NULL, 0, 0};
	struct sw_dora_report rep;
	compute(r, 1, NULL, &t, &rep);
	CHECK_INT(rep.envs[0].succeeded, 1);
	CHECK_INT(rep.envs[0].lead_commits, 0);
	CHECK_INT(rep.warnings.len, 1);
	CHECK_STR(rep.warnings.items[0], "deploy #1: A is not in the repository; left out of the lead time");
	sw_dora_report_free(&rep);
}

static void test_json_figures(void)
{
	static const struct brought rows[] = {{"", "A", {80 * DAY - 90 * 1000}, 1}};
	struct sw_deploy_record r[] = {
		rec(1, production, false, "A", SUCC, 80 * DAY),
		rec(2, production, false, "B", ROLLED, 81 * DAY),
		rec(3, production, false, "B", FAILED, 82 * DAY),
		rec(4, production, true, "A", SUCC, 82 * DAY + 45000),
	};
	struct table t = {rows, 1, 0};
	struct sw_dora_report rep;
	compute(r, 4, NULL, &t, &rep);
	cJSON *j = sw_dora_report_to_json(&rep);
	char *s = cJSON_PrintUnformatted(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "environments"), 0));
	CHECK_STR(s, "{\"environment\":\"production\",\"deploys\":3,\"frequency\":{\"per_day\":0.033,\"per_week\":0.233,"
		     "\"count\":1},\"lead_time\":{\"median_s\":90,\"commits\":1,\"deploys\":1},"
		     "\"change_failure_rate\":{\"failed\":2,\"total\":3,\"pct\":66.667},"
		     "\"time_to_restore\":{\"median_s\":43245,\"incidents\":2,\"unrestored\":0}}");
	free(s);
	cJSON_Delete(j);
	sw_dora_report_free(&rep);
}

int main(void)
{
	RUN_TEST(test_median);
	RUN_TEST(test_parse_window);
	RUN_TEST(test_format_span);
	RUN_TEST(test_frequency_and_lead_time_odd);
	RUN_TEST(test_lead_time_even);
	RUN_TEST(test_failure_restored_by_rollback);
	RUN_TEST(test_unrestored_and_interrupted);
	RUN_TEST(test_rollback_alone_is_no_deploy);
	RUN_TEST(test_running_is_left_out);
	RUN_TEST(test_window_edges);
	RUN_TEST(test_two_environments);
	RUN_TEST(test_no_data);
	RUN_TEST(test_unknown_commit_is_left_out);
	RUN_TEST(test_json_figures);
	UNIT_EXIT();
}
