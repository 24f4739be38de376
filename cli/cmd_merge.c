/* slipway merge and slipway history --merges. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/merge.h"
#include "slipway/run.h"

static void put_clean(const char *s)
{
	cli_put_text(stdout, s ? s : "", true);
}

static void print_merged(const struct sw_merge_record *rec)
{
	fputs("merged ", stdout);
	put_clean(rec->branch);
	printf("@%.7s into ", rec->to);
	put_clean(rec->main);
	printf(": fast-forward from %.7s, ", rec->from);
	if (rec->run)
		printf("proved by run #%ld\n", rec->run);
	else
		puts("forced (no run proves it)");
	if (rec->pushed) {
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
	printf(": fast-forward from %.7s, ", plan->from);
	if (plan->run)
		printf("proved by run #%ld\n", plan->run);
	else
		puts("forced (no run proves it)");
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

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {"no-push", no_argument, NULL, 'n'},
					     {"json", no_argument, NULL, 'j'},
					     {"dry-run", no_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
	struct sw_merge_options opt = {0};
	bool json = false, dry = false;
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
		else
			return cli_usage("merge", false);
	}
	if (argc - optind > 1)
		return cli_usage("merge", false);
	opt.branch = optind < argc ? argv[optind] : NULL;
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	if (dry) {
		int dr = dry_run(&ctx, &opt, json);
		cli_close(&ctx);
		return dr;
	}
	struct sw_merge_result res;
	char *err = NULL;
	int r = sw_merge(ctx.repo, ctx.store, &opt, &res, &err);
	if (r != SW_OK)
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
	char age[32] = "-", run[24] = "forced";
	if (rec->at_ms > 0)
		sw_format_age((time_t)(rec->at_ms / 1000), age, sizeof age);
	if (rec->run)
		snprintf(run, sizeof run, "run #%ld", rec->run);
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, rec->branch, strlen(rec->branch));
	printf("#%-4ld %5s  %-24s %.7s → %.7s  %-10s ", rec->id, age, sb.buf, rec->from, rec->to, run);
	sbuf_reset(&sb);
	if (rec->pushed)
		sw_term_clean(&sb, rec->remote, strlen(rec->remote));
	printf("%-12s ", rec->pushed ? sb.buf : "not pushed");
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
