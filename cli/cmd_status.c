/* slipway status and slipway history. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/merge.h"
#include "slipway/docker.h"

#include "slipway/config.h"
#include "slipway/run.h"
#include "slipway/suggest.h"
#include "slipway/watcher.h"

struct last_run {
	long id;
	enum sw_run_status status;
	bool partial;
	struct sw_status_text text;
};

static bool last_run_of(struct cli_ctx *ctx, const char *sha, struct last_run *lr)
{
	lr->id = sw_store_last_for_commit(ctx->store, sha);
	struct sw_run_record rec;
	char *err = NULL;
	if (!lr->id || sw_store_load(ctx->store, lr->id, &rec, &err)) {
		free(err);
		return false;
	}
	lr->status = rec.status;
	lr->partial = rec.partial;
	lr->text = sw_run_status_text(&rec);
	sw_run_record_free(&rec);
	return true;
}

static cJSON *branch_json(struct cli_ctx *ctx, const struct sw_branch *b)
{
	cJSON *o = cJSON_CreateObject();
	struct sbuf sb;
	sbuf_init(&sb);
	sw_utf8_clean(&sb, b->name, strlen(b->name));
	cJSON_AddStringToObject(o, "name", sb.buf);
	cJSON_AddBoolToObject(o, "remote", b->remote);
	cJSON_AddStringToObject(o, "head", b->head);
	cJSON_AddNumberToObject(o, "ahead", b->ahead);
	cJSON_AddNumberToObject(o, "behind", b->behind);
	if (b->upstream)
		cJSON_AddStringToObject(o, "upstream", b->upstream);
	else
		cJSON_AddNullToObject(o, "upstream");
	cJSON_AddNumberToObject(o, "upstream_ahead", b->upstream_ahead);
	cJSON_AddNumberToObject(o, "upstream_behind", b->upstream_behind);
	cJSON *lc = cJSON_AddObjectToObject(o, "last_commit");
	sbuf_reset(&sb);
	sw_utf8_clean(&sb, b->subject, strlen(b->subject));
	cJSON_AddStringToObject(lc, "subject", sb.buf);
	sbuf_reset(&sb);
	sw_utf8_clean(&sb, b->author, strlen(b->author));
	cJSON_AddStringToObject(lc, "author", sb.buf);
	char iso[32];
	sw_iso_time(b->time, iso);
	cJSON_AddStringToObject(lc, "time", iso);
	sbuf_free(&sb);
	struct last_run lr;
	if (last_run_of(ctx, b->head, &lr)) {
		cJSON *r = cJSON_AddObjectToObject(o, "last_run");
		cJSON_AddNumberToObject(r, "id", (double)lr.id);
		cJSON_AddStringToObject(r, "status", sw_run_status_name(lr.status));
		cJSON_AddBoolToObject(r, "partial", lr.partial);
	} else {
		cJSON_AddNullToObject(o, "last_run");
	}
	return o;
}

static void print_branch_row(struct cli_ctx *ctx, const struct sw_branch *b, const char *current)
{
	char age[32], ab[24] = "", run[128] = "-";
	sw_format_age(b->time, age, sizeof age);
	if (b->ahead >= 0)
		snprintf(ab, sizeof ab, "+%d -%d", b->ahead, b->behind);
	struct last_run lr;
	if (last_run_of(ctx, b->head, &lr))
		snprintf(run, sizeof run, "#%ld %s", lr.id, lr.text.text);
	bool cur = !b->remote && current && !strcmp(current, b->name);
	printf("%c ", cur ? '*' : ' ');
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, b->name, strlen(b->name));
	printf("%-28s %-10s ", sb.buf, ab);
	sbuf_reset(&sb);
	sw_term_clean(&sb, run, strlen(run));
	printf("%-18s %5s  %.7s  ", sb.buf, age, b->head);
	sbuf_free(&sb);
	cli_put_text(stdout, b->author, true);
	fputs("  ", stdout);
	cli_put_text(stdout, b->subject, true);
	putchar('\n');
}

/* Per compose project, running/total and the unhealthy, when an engine
 * answers; null when none does (status works without one). */
static cJSON *containers_json(struct sw_repo *repo)
{
	struct sw_docker *d;
	struct sw_container_list l;
	char *err = NULL;
	if (sw_docker_open_repo(repo, &d, &err)) {
		free(err);
		return cJSON_CreateNull();
	}
	cJSON *o = NULL;
	if (sw_docker_list(d, NULL, true, &l, &err) == 0) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "engine", sw_docker_engine(d));
		cJSON_AddStringToObject(o, "host", sw_docker_host(d));
		cJSON_AddItemToObject(o, "projects", sw_container_summary_json(&l));
		sw_container_list_free(&l);
	}
	free(err);
	sw_docker_close(d);
	return o ? o : cJSON_CreateNull();
}

/* Whether a watcher runs here, and what it did last. */
static void print_watch_line(struct cli_ctx *ctx)
{
	struct sw_watcher_status ws;
	if (!sw_watcher_status(ctx->store, &ws))
		return;
	char age[32] = "";
	if (ws.last_ms)
		sw_format_age((time_t)(ws.last_ms / 1000), age, sizeof age);
	if (ws.running)
		printf("watch: running (pid %ld)", ws.pid);
	else
		fputs("watch: not running", stdout);
	if (ws.last) {
		printf("; last, %s ago: ", age);
		cli_put_text(stdout, ws.last, isatty(STDOUT_FILENO));
	}
	putchar('\n');
	sw_watcher_status_free(&ws);
}

static cJSON *watch_json(struct cli_ctx *ctx)
{
	struct sw_watcher_status ws;
	if (!sw_watcher_status(ctx->store, &ws))
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "running", ws.running);
	if (ws.running)
		cJSON_AddNumberToObject(o, "pid", (double)ws.pid);
	else
		cJSON_AddNullToObject(o, "pid");
	sw_json_add_clean_string(o, "last", ws.last);
	char iso[32];
	if (ws.last_ms) {
		sw_iso_time((time_t)(ws.last_ms / 1000), iso);
		cJSON_AddStringToObject(o, "last_at", iso);
	} else {
		cJSON_AddNullToObject(o, "last_at");
	}
	sw_watcher_status_free(&ws);
	return o;
}

int cmd_status(int argc, char **argv)
{
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	if (argc > 2 || (argc == 2 && !json))
		return cli_usage("status", false);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	struct sw_config cfg = {0};
	char *err = NULL;
	bool have_cfg = sw_project_config(ctx.repo, &cfg, &err) == SW_OK;
	const char *main_b = have_cfg ? cfg.main_branch : "main";
	const char *integ = have_cfg ? cfg.integration_branch : "development";
	struct sw_branch *bs = NULL;
	size_t n = 0;
	char *berr = NULL;
	int r = 0;
	if (sw_repo_branches(ctx.repo, main_b, integ, true, &bs, &n, &berr)) {
		r = cli_error(2, "%s", berr);
		free(berr);
	} else if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "main", main_b);
		cJSON_AddStringToObject(o, "integration", integ);
		cJSON *arr = cJSON_AddArrayToObject(o, "branches");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, branch_json(&ctx, &bs[i]));
		cJSON_AddItemToObject(o, "containers", containers_json(ctx.repo));
		cJSON_AddItemToObject(o, "sentry", cli_sentry_status_json(&ctx));
		cJSON_AddItemToObject(o, "deploy", cli_deploy_status_json(&ctx));
		struct sw_merge_record m;
		if (sw_merge_testing(ctx.store, &m)) {
			cJSON *t = cJSON_AddObjectToObject(o, "merge_testing");
			sw_json_add_clean_string(t, "branch", m.branch);
			cJSON_AddStringToObject(t, "commit", m.to);
			cJSON_AddNumberToObject(t, "run", (double)m.run);
			sw_merge_record_free(&m);
		} else {
			cJSON_AddNullToObject(o, "merge_testing");
		}
		cJSON_AddItemToObject(o, "watch", watch_json(&ctx));
		cli_print_json(o);
		cJSON_Delete(o);
	} else {
		char *cur = sw_repo_current_branch(ctx.repo);
		if (!have_cfg)
			cli_error(0, "%s", err);
		printf("main: %s · integration: %s\n", main_b, integ);
		for (size_t i = 0; i < n; i++)
			print_branch_row(&ctx, &bs[i], cur);
		struct sw_merge_record m;
		if (sw_merge_testing(ctx.store, &m)) {
			fputs("merge: ", stdout);
			cli_put_text(stdout, m.branch, true);
			printf(" into %s is being tested: merge commit %.7s, run #%ld\n", main_b, m.to, m.run);
			sw_merge_record_free(&m);
		}
		print_watch_line(&ctx);
		if (have_cfg && cfg.deploy)
			cli_deploy_status_line(&ctx, cfg.deploy);
		free(cur);
	}
	free(err);
	sw_branches_free(bs, n);
	sw_config_free(&cfg);
	cli_close(&ctx);
	return r;
}

/* A line under the run's for each image it pushed. */
static void print_pushed(const struct sw_run_record *rec)
{
	for (size_t i = 0; i < rec->nstages; i++) {
		char *pushed = sw_stage_pushed_text(&rec->stages[i]);
		if (!pushed)
			continue;
		fputs("       ", stdout);
		cli_put_text(stdout, pushed, true);
		putchar('\n');
		free(pushed);
	}
}

static void print_history_row(const struct sw_run_record *rec)
{
	char age[32] = "-", dur[32] = "-";
	if (rec->created_ms)
		sw_format_age((time_t)(rec->created_ms / 1000), age, sizeof age);
	if (rec->finished_ms && rec->started_ms)
		sw_format_duration(rec->finished_ms - rec->started_ms, dur, sizeof dur);
	struct sbuf sb;
	sbuf_init(&sb);
	struct sw_status_text status = sw_run_status_text(rec);
	sw_term_clean(&sb, status.text, strlen(status.text));
	printf("#%-5ld %-11s ", rec->id, sb.buf);
	sbuf_reset(&sb);
	sw_term_clean(&sb, rec->branch ? rec->branch : "?", strlen(rec->branch ? rec->branch : "?"));
	printf("%-24s %.7s %5s %8s  %-7s ", sb.buf, rec->commit, age, dur, rec->trigger ? rec->trigger : "");
	sbuf_free(&sb);
	cli_put_text(stdout, rec->subject ? rec->subject : "", true);
	putchar('\n');
	print_pushed(rec);
}

/* A branch history knows nothing of, neither in the repository nor in
 * the runs, is a typo far more often than a branch without runs. */
static int no_such_branch(struct cli_ctx *ctx, const char *name)
{
	struct sw_branch *bs = NULL;
	size_t n = 0;
	char *err = NULL;
	if (sw_repo_branches(ctx->repo, "main", NULL, false, &bs, &n, &err))
		free(err);
	const char **names = xcalloc(n + 1, sizeof *names);
	for (size_t i = 0; i < n; i++)
		names[i] = bs[i].name;
	const char *near = sw_suggest(name, names, n);
	if (near)
		cli_error(2, "no branch \"%s\" (did you mean \"%s\"?)", name, near);
	else
		cli_error(2, "no branch \"%s\", and no run of one by that name", name);
	free(names);
	sw_branches_free(bs, n);
	return 2;
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"branch", required_argument, NULL, 'b'},
		{"limit", required_argument, NULL, 'n'}, {"merges", no_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
	bool json = false, merges = false;
	const char *branch = NULL;
	long limit = -1;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jb:n:", opts, NULL)) != -1) {
		char *end;
		if (c == 'j')
			json = true;
		else if (c == 'm')
			merges = true;
		else if (c == 'b')
			branch = optarg;
		else if (c == 'n' && (limit = strtol(optarg, &end, 10)) >= 0 && !*end)
			continue;
		else
			return c == 'n' ? cli_error(2, "--limit: expected a number, got \"%s\"", optarg)
					: cli_usage("history", false);
	}
	if (optind != argc)
		return cli_usage("history", false);
	if (merges)
		return cmd_history_merges(json, branch, limit);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	struct sw_run_record *runs;
	struct strlist warnings = {0};
	size_t n = sw_store_history(ctx.store, branch, limit, &runs, &warnings);
	if (!n && branch && !sw_repo_branch_exists(ctx.repo, branch)) {
		sw_run_records_free(runs, n);
		strlist_free(&warnings);
		int r = no_such_branch(&ctx, branch);
		cli_close(&ctx);
		return r;
	}
	for (size_t i = 0; i < warnings.len; i++)
		cli_error(0, "%s", warnings.items[i]);
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < n; i++) {
		if (json)
			cJSON_AddItemToArray(arr, sw_run_record_to_json(&runs[i]));
		else
			print_history_row(&runs[i]);
	}
	if (json) {
		cli_print_json(arr);
		cJSON_Delete(arr);
	}
	sw_run_records_free(runs, n);
	strlist_free(&warnings);
	cli_close(&ctx);
	return 0;
}
