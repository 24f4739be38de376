/* slipway merge and slipway history --merges. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/merge.h"
#include "slipway/run.h"

extern char **environ;

static void put_clean(const char *s)
{
	cli_put_text(stdout, s ? s : "", true);
}

static void print_merged(const struct sw_merge_record *rec)
{
	fputs("merged ", stdout);
	put_clean(rec->branch);
	printf("@%.7s into ", rec->head);
	put_clean(rec->main);
	if (rec->via == SW_MERGE_VIA_COMMIT)
		printf(": merge commit %.7s of %.7s, tested by run #%ld%s\n", rec->to, rec->from, rec->run,
		       rec->forced ? " (the branch's head forced: no run proves it)" : "");
	else if (rec->via == SW_MERGE_VIA_PULL_REQUEST && rec->run)
		printf(": pull request #%ld, merged by GitHub as %.7s, proved by run #%ld\n", rec->pull_request, rec->to,
		       rec->run);
	else if (rec->via == SW_MERGE_VIA_PULL_REQUEST)
		printf(": pull request #%ld, merged by GitHub as %.7s, forced (no run proves it)\n", rec->pull_request,
		       rec->to);
	else if (rec->run)
		printf(": fast-forward from %.7s, proved by run #%ld\n", rec->from, rec->run);
	else
		printf(": fast-forward from %.7s, forced (no run proves it)\n", rec->from);
	if (rec->via == SW_MERGE_VIA_PULL_REQUEST) {
		fputs("pull request: ", stdout);
		put_clean(rec->pull_request_url && *rec->pull_request_url ? rec->pull_request_url : "(no address given)");
		putchar('\n');
	} else if (rec->pushed) {
		fputs("pushed ", stdout);
		put_clean(rec->main);
		fputs(" to ", stdout);
		put_clean(rec->remote);
		putchar('\n');
	} else {
		puts("not pushed (--no-push)");
	}
}

static void add_notes(cJSON *o, const struct strlist *l)
{
	cJSON *notes = cJSON_AddArrayToObject(o, "notes");
	for (size_t i = 0; i < l->len; i++) {
		struct sbuf sb;
		sbuf_init(&sb);
		sw_utf8_clean(&sb, l->items[i], strlen(l->items[i]));
		cJSON_AddItemToArray(notes, cJSON_CreateString(sb.buf));
		sbuf_free(&sb);
	}
}

static void print_result_json(const struct sw_merge_result *res)
{
	cJSON *o = res->merged ? sw_merge_record_to_json(&res->rec) : cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "merged", res->merged);
	static const char *const checkout[] = {"elsewhere", "updated", "left"};
	cJSON_AddStringToObject(o, "checkout", checkout[res->checkout]);
	add_notes(o, &res->notes);
	cli_print_json(o);
	cJSON_Delete(o);
}

static void print_plan(const struct sw_merge_plan *plan)
{
	if (plan->action == SW_MERGE_NOTHING)
		return;	/* the note says so */
	fputs("would merge ", stdout);
	put_clean(plan->branch);
	printf("@%.7s (", plan->head);
	put_clean(plan->subject);
	fputs(") into ", stdout);
	put_clean(plan->main);
	if (plan->action == SW_MERGE_TEST_COMMIT)
		printf(": %.7s has moved, so a merge commit is made and tested by a run first; ", plan->from);
	else if (plan->action == SW_MERGE_PULL_REQUEST)
		fputs(" via pull request on GitHub, ", stdout);
	else
		printf(": fast-forward from %.7s, ", plan->from);
	if (plan->run)
		printf("%sproved by run #%ld\n", plan->action == SW_MERGE_TEST_COMMIT ? "the branch's head " : "",
		       plan->run);
	else
		puts("forced (no run proves it)");
	if (plan->action == SW_MERGE_PULL_REQUEST) {
		fputs("would push ", stdout);
		put_clean(plan->branch);
		printf("@%.7s to ", plan->head);
		put_clean(plan->remote);
		fputs(", open (or reuse) its pull request on ", stdout);
		put_clean(plan->github_repo);
		printf(" and merge it there while its head is %.7s\n", plan->head);
		return;
	}
	fputs("would push ", stdout);
	put_clean(plan->main);
	if (plan->remote) {
		fputs(" to ", stdout);
		put_clean(plan->remote);
		putchar('\n');
	} else {
		puts(": no, --no-push");
	}
}

static void print_plan_json(const struct sw_merge_plan *plan, const char *refused)
{
	cJSON *o = sw_merge_plan_to_json(plan);
	sw_json_add_clean_string(o, "refused", refused);
	add_notes(o, &plan->notes);
	cli_print_json(o);
	cJSON_Delete(o);
}

/* --dry-run: what the merge would do, by the same checks, moving nothing. */
static int dry_run(struct cli_ctx *ctx, const struct sw_merge_options *opt, bool json)
{
	struct sw_merge_plan plan;
	char *err = NULL;
	int r = sw_merge_plan(ctx->repo, ctx->store, opt, &plan, &err);
	if (json && r != SW_ERR_USAGE)
		print_plan_json(&plan, err);
	else if (r == SW_OK)
		print_plan(&plan);
	if (r != SW_OK)
		cli_error(r, "%s", err);
	for (size_t i = 0; i < plan.notes.len; i++)
		cli_error(0, "%s", plan.notes.items[i]);
	free(err);
	sw_merge_plan_free(&plan);
	return r;
}

/* Main has moved: the merge commit's run is followed, then the merge's
 * own process is waited for; Ctrl-C stops waiting, not the merge. */
static int await_tested_merge(struct cli_ctx *ctx, struct sw_merge_result *res, bool json, bool no_wait)
{
	if (!json || no_wait) {
		fputs("slipway: ", stderr);
		cli_put_text(stderr, res->rec.main, isatty(STDERR_FILENO));
		fprintf(stderr, " has moved: merge commit %.7s is tested by run #%ld, and main moves to it only if "
				"that passes\n", res->commit, res->testing);
	}
	if (no_wait) {
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddBoolToObject(o, "merged", false);
			cJSON_AddNumberToObject(o, "testing", (double)res->testing);
			cJSON_AddStringToObject(o, "commit", res->commit);
			cli_print_json(o);
			cJSON_Delete(o);
		} else {
			printf("%ld\n", res->testing);
		}
		return SW_OK;
	}
	if (!json && cli_follow_run(ctx, res->testing, NULL, false) == 130)
		return 130;
	struct sw_merge_record rec;
	if (sw_merge_wait(ctx->store, res->testing, &rec)) {
		cli_error(1, "the merge's process ended without saying how the merge went: main is where it was "
			     "unless `slipway history --merges` says otherwise");
		return SW_ERR_FAILED;
	}
	int r = rec.failed ? SW_ERR_FAILED : SW_OK;
	if (json) {
		cJSON *o = sw_merge_record_to_json(&rec);
		cJSON_AddBoolToObject(o, "merged", !rec.failed);
		cli_print_json(o);
		cJSON_Delete(o);
	} else if (rec.failed) {
		cli_error(r, "%s", rec.reason);
	} else {
		print_merged(&rec);
	}
	for (size_t i = 0; i < rec.notes.len; i++)
		cli_error(0, "%s", rec.notes.items[i]);
	sw_merge_record_free(&rec);
	return r;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {"no-push", no_argument, NULL, 'n'},
					     {"json", no_argument, NULL, 'j'},
					     {"dry-run", no_argument, NULL, 'd'}, {"no-wait", no_argument, NULL, 'w'},
					     {NULL, 0, NULL, 0}};
	struct sw_merge_options opt = {0};
	bool json = false, dry = false, no_wait = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f')
			opt.force = true;
		else if (c == 'n')
			opt.no_push = true;
		else if (c == 'j')
			json = true;
		else if (c == 'd')
			dry = true;
		else if (c == 'w')
			no_wait = true;
		else
			return cli_usage("merge", false);
	}
	if (argc - optind > 1)
		return cli_usage("merge", false);
	opt.branch = optind < argc ? argv[optind] : NULL;
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	opt.env = environ;
	if (dry) {
		int dr = dry_run(&ctx, &opt, json);
		cli_close(&ctx);
		return dr;
	}
	struct sw_merge_result res;
	char *err = NULL;
	int r = sw_merge(ctx.repo, ctx.store, &opt, &res, &err);
	if (r == SW_OK && res.testing)
		r = await_tested_merge(&ctx, &res, json, no_wait);
	else if (r != SW_OK)
		cli_error(r, "%s", err);
	else if (json)
		print_result_json(&res);
	else if (res.merged)
		print_merged(&res.rec);
	for (size_t i = 0; i < res.notes.len; i++)
		cli_error(0, "%s", res.notes.items[i]);
	free(err);
	sw_merge_result_free(&res);
	cli_close(&ctx);
	return r;
}

static void print_merge_row(const struct sw_merge_record *rec)
{
	char age[32] = "-", run[24] = "forced", pull[24] = "";
	if (rec->at_ms > 0)
		sw_format_age((time_t)(rec->at_ms / 1000), age, sizeof age);
	if (rec->run)
		snprintf(run, sizeof run, "run #%ld", rec->run);
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, rec->branch, strlen(rec->branch));
	printf("#%-4ld %5s  %-24s %.7s %s %.7s  %-10s ", rec->id, age, sb.buf, rec->from, rec->failed ? "✗" : "→",
	       rec->to, run);
	sbuf_reset(&sb);
	if (rec->pushed)
		sw_term_clean(&sb, rec->remote, strlen(rec->remote));
	if (rec->pull_request)
		snprintf(pull, sizeof pull, " PR #%ld", rec->pull_request);
	sbuf_adds(&sb, pull);
	printf("%-12s ", rec->failed ? "failed" : rec->pushed ? sb.buf : "not pushed");
	sbuf_free(&sb);
	put_clean(rec->who);
	putchar('\n');
}

int cmd_history_merges(bool json, const char *branch, long limit)
{
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	struct sw_merge_record *recs;
	struct strlist warnings = {0};
	size_t n = sw_merge_history(ctx.store, branch, limit, &recs, &warnings);
	for (size_t i = 0; i < warnings.len; i++)
		cli_error(0, "%s", warnings.items[i]);
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < n; i++) {
		if (json)
			cJSON_AddItemToArray(arr, sw_merge_record_to_json(&recs[i]));
		else
			print_merge_row(&recs[i]);
	}
	if (json) {
		cli_print_json(arr);
		cJSON_Delete(arr);
	}
	sw_merge_records_free(recs, n);
	strlist_free(&warnings);
	cli_close(&ctx);
	return 0;
}
