/* slipway deploy, rollback, deploys, and log deploy:ID. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/deploy.h"
#include "slipway/run.h"

#define FOLLOW_POLL_MS 200

static volatile sig_atomic_t interrupted;

static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void put_clean(FILE *out, const char *s)
{
	cli_put_text(out, s ? s : "", isatty(fileno(out)));
}

static void print_notes(const struct strlist *notes)
{
	for (size_t i = 0; i < notes->len; i++)
		cli_error(0, "%s", notes->items[i]);
}

static double seconds(int64_t from, int64_t to)
{
	return to > from ? (double)(to - from) / 1000 : 0;
}

static const char *step_mark(enum sw_stage_status s)
{
	switch (s) {
	case SW_STAGE_PASSED: return "ok";
	case SW_STAGE_FAILED: return "FAILED";
	case SW_STAGE_SKIPPED: return "skipped";
	case SW_STAGE_RUNNING: return "running";
	default: return "pending";
	}
}

static void print_step(const struct sw_deploy_step *s)
{
	printf("  %-18s %-8s", s->name, step_mark(s->status));
	if (s->status == SW_STAGE_PASSED || s->status == SW_STAGE_FAILED)
		printf(" %5.1f s", seconds(s->started_ms, s->finished_ms));
	if (s->reason) {
		fputs("  ", stdout);
		put_clean(stdout, s->reason);
	}
	putchar('\n');
}

static void print_result(const struct sw_deploy_record *rec)
{
	printf("%s #%ld %s", rec->rollback ? "rollback" : "deploy", rec->id, sw_deploy_status_name(rec->status));
	if (rec->finished_ms)
		printf(" in %.1f s", seconds(rec->started_ms, rec->finished_ms));
	putchar('\n');
	if (rec->reason) {
		fputs("  ", stdout);
		put_clean(stdout, rec->reason);
		putchar('\n');
	}
	if (rec->state) {
		fputs("  ", stdout);
		put_clean(stdout, rec->state);
		putchar('\n');
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* Prints each step as it ends, with its log; returns 0 when the deploy
 * succeeded, 1 otherwise, 130 on Ctrl-C (the deploy goes on). */
static int follow(struct sw_store *st, long id)
{
	bool tty = isatty(STDOUT_FILENO);
	size_t shown = 0;
	int64_t offset = 0;
	struct sigaction sa = {.sa_handler = on_int}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	int r = 1;
	for (;;) {
		struct sw_deploy_record rec;
		char *err = NULL;
		if (sw_deploy_load(st, id, &rec, &err)) {
			cli_error(1, "%s", err);
			free(err);
			break;
		}
		bool done = sw_deploy_status_final(rec.status);
		/* Steps end in order: the first not ended is the one running. */
		while (shown < rec.nsteps) {
			const struct sw_deploy_step *s = &rec.steps[shown];
			bool ended = s->status != SW_STAGE_PENDING && s->status != SW_STAGE_RUNNING;
			if (s->status == SW_STAGE_PENDING && !done)
				break;
			if (s->status != SW_STAGE_PENDING) {
				char *log = sw_deploy_log_path(st, id, s->name);
				cli_print_new_log(log, &offset, tty, ended || done);
				free(log);
			}
			if (!ended && !done)
				break;
			if (s->status != SW_STAGE_PENDING)
				print_step(s);
			fflush(stdout);
			shown++;
			offset = 0;
		}
		if (done) {
			print_result(&rec);
			r = rec.status == SW_DEPLOY_SUCCEEDED ? 0 : 1;
			sw_deploy_record_free(&rec);
			break;
		}
		sw_deploy_record_free(&rec);
		if (interrupted) {
			printf("deploy #%ld goes on: `slipway deploys` shows it\n", id);
			r = 130;
			break;
		}
		sleep_ms(FOLLOW_POLL_MS);
	}
	sigaction(SIGINT, &old, NULL);
	return r;
}

static void print_plan(const struct sw_deploy_plan *plan, bool rollback)
{
	printf("would %s %.7s to %s (%s:%s)", rollback ? "roll back to" : "deploy", plan->commit, plan->environment,
	       plan->target, plan->path);
	if (*plan->current)
		printf(", replacing %.7s", plan->current);
	if (plan->run)
		printf(", proved by run #%ld", plan->run);
	putchar('\n');
}

static int start(const struct sw_deploy_options *opt, bool follow_it, bool dry, bool json)
{
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	char *err = NULL;
	int r;
	if (dry) {
		struct sw_deploy_plan plan;
		r = sw_deploy_plan(ctx.repo, ctx.store, opt, &plan, &err);
		if (r == SW_OK)
			print_plan(&plan, opt->rollback);
		print_notes(&plan.notes);
		sw_deploy_plan_free(&plan);
	} else {
		long id = 0;
		struct strlist notes = {0};
		r = sw_deploy_start(ctx.repo, ctx.store, opt, &id, &notes, &err);
		print_notes(&notes);
		strlist_free(&notes);
		if (r == SW_OK && json && !follow_it) {
			struct sw_deploy_record rec;
			if (sw_deploy_load(ctx.store, id, &rec, &err) == 0) {
				cJSON *o = sw_deploy_record_to_json(&rec);
				cli_print_json(o);
				cJSON_Delete(o);
				sw_deploy_record_free(&rec);
			}
		} else if (r == SW_OK) {
			printf("%s #%ld started\n", opt->rollback ? "rollback" : "deploy", id);
			fflush(stdout);
			if (follow_it)
				r = follow(ctx.store, id);
			else
				printf("`slipway deploys` or `slipway log deploy:%ld` shows how it goes\n", id);
		}
	}
	if (err)
		cli_error(r ? r : 1, "%s", err);
	free(err);
	cli_close(&ctx);
	return r;
}

static int deploy_command(const char *name, int argc, char **argv, bool rollback)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {"follow", no_argument, NULL, 'F'},
					     {"dry-run", no_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	struct sw_deploy_options opt = {.rollback = rollback};
	bool follow_it = false, dry = false, json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f' && !rollback)
			opt.force = true;
		else if (c == 'F')
			follow_it = true;
		else if (c == 'd')
			dry = true;
		else if (c == 'j')
			json = true;
		else
			return cli_usage(name, false);
	}
	if (argc - optind > (rollback ? 0 : 1))
		return cli_usage(name, false);
	opt.ref = optind < argc ? argv[optind] : NULL;
	return start(&opt, follow_it, dry, json);
}

int cmd_deploy(int argc, char **argv)
{
	return deploy_command("deploy", argc, argv, false);
}

int cmd_rollback(int argc, char **argv)
{
	return deploy_command("rollback", argc, argv, true);
}

static void print_row(const struct sw_deploy_record *rec)
{
	char when[32];
	time_t t = (time_t)(rec->started_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
	printf("#%-4ld %-11s %-8s %.7s", rec->id, sw_deploy_status_name(rec->status),
	       rec->rollback ? "rollback" : "deploy", rec->commit);
	printf(" %s %-11s ", when, rec->environment ? rec->environment : "");
	if (rec->run)
		printf("run #%-4ld ", rec->run);
	else
		printf("%-9s ", rec->forced ? "forced" : "-");
	put_clean(stdout, rec->status == SW_DEPLOY_SUCCEEDED || !rec->reason ? rec->subject : rec->reason);
	putchar('\n');
	/* A fleet's hosts beneath it, each with its own deploy. */
	for (size_t i = 0; i < rec->nsteps; i++) {
		const struct sw_deploy_step *s = &rec->steps[i];
		if (!s->deploy && !(rec->target && !strcmp(rec->target, "fleet") && strcmp(s->name, "sentry")))
			continue;
		printf("      ");
		put_clean(stdout, s->name);
		printf("%*s", (int)(s->name && strlen(s->name) < 26 ? 26 - strlen(s->name) : 1), "");
		if (s->deploy)
			printf("#%-4ld %s\n", s->deploy, sw_stage_status_name(s->status));
		else
			printf("-     %s\n", sw_stage_status_name(s->status));
	}
}

int cmd_deploys(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"limit", required_argument, NULL, 'l'},
					     {NULL, 0, NULL, 0}};
	bool json = false;
	long limit = 20;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		if (c == 'j')
			json = true;
		else if (c == 'l' && (limit = strtol(optarg, &end, 10)) > 0 && !*end)
			continue;
		else
			return cli_usage("deploys", false);
	}
	if (optind != argc)
		return cli_usage("deploys", false);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	struct sw_deploy_record *recs;
	struct strlist warnings = {0};
	size_t n = sw_deploy_history(ctx.store, limit, &recs, &warnings);
	if (json) {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, sw_deploy_record_to_json(&recs[i]));
		cli_print_json(a);
		cJSON_Delete(a);
	} else if (!n) {
		puts("no deploy yet: `slipway deploy` deploys main's tested head");
	} else {
		for (size_t i = 0; i < n; i++)
			print_row(&recs[i]);
	}
	print_notes(&warnings);
	strlist_free(&warnings);
	sw_deploy_records_free(recs, n);
	cli_close(&ctx);
	return 0;
}

int cli_deploy_log(const char *text, const char *step, bool follow_it, bool raw)
{
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	long id;
	char *err = NULL;
	struct sw_deploy_record rec;
	if (sw_deploy_parse_id(ctx.store, text, &id, &err) || sw_deploy_load(ctx.store, id, &rec, &err)) {
		cli_error(2, "%s", err);
		free(err);
		cli_close(&ctx);
		return 2;
	}
	const struct sw_deploy_step *s = NULL;
	for (size_t i = 0; step && i < rec.nsteps; i++)
		if (!strcmp(rec.steps[i].name, step))
			s = &rec.steps[i];
	size_t dflt = sw_deploy_default_step(&rec);
	if (!step && dflt < rec.nsteps)
		s = &rec.steps[dflt];
	int r = 0;
	if (!s && step) {
		struct sbuf names = {0};
		for (size_t i = 0; i < rec.nsteps; i++)
			sbuf_addf(&names, "%s%s", i ? ", " : "", rec.steps[i].name);
		r = cli_error(2, "deploy #%ld has no step \"%s\" (its steps: %s)", id, step, names.buf ? names.buf : "");
		sbuf_free(&names);
	} else if (!s) {
		cli_error(0, "deploy #%ld has not started a step yet", id);
	} else {
		bool tty = !raw && isatty(STDOUT_FILENO);
		char *path = sw_deploy_log_path(ctx.store, id, s->name);
		int64_t off = 0;
		char *name = xstrdup(s->name);
		for (;;) {
			bool done = sw_deploy_status_final(rec.status);
			cli_print_new_log(path, &off, tty, done);
			fflush(stdout);
			const struct sw_deploy_step *now = NULL;
			for (size_t i = 0; i < rec.nsteps; i++)
				if (!strcmp(rec.steps[i].name, name))
					now = &rec.steps[i];
			if (!follow_it || done || (now && now->status != SW_STAGE_RUNNING && now->status != SW_STAGE_PENDING))
				break;
			sleep_ms(FOLLOW_POLL_MS);
			sw_deploy_record_free(&rec);
			if (sw_deploy_load(ctx.store, id, &rec, &err)) {
				r = cli_error(1, "%s", err);
				free(err);
				memset(&rec, 0, sizeof rec);
				break;
			}
		}
		if (!follow_it || r == 0)
			cli_print_new_log(path, &off, tty, true);
		free(name);
		free(path);
	}
	sw_deploy_record_free(&rec);
	cli_close(&ctx);
	return r;
}

cJSON *cli_deploy_status_json(struct cli_ctx *ctx)
{
	struct sw_config cfg;
	char *err = NULL;
	if (sw_project_config(ctx->repo, &cfg, &err)) {
		free(err);
		return cJSON_CreateNull();
	}
	if (!cfg.deploy) {
		sw_config_free(&cfg);
		return cJSON_CreateNull();
	}
	cJSON *o = cJSON_CreateObject();
	char cur[41], prev[41];
	sw_deploy_serving(ctx->store, cfg.deploy, cur, prev);
	sw_json_add_clean_string(o, "environment", cfg.deploy->environment);
	sw_json_add_clean_string(o, "target", cfg.deploy->target);
	sw_json_add_clean_string(o, "path", cfg.deploy->path);
	if (*cur)
		cJSON_AddStringToObject(o, "current", cur);
	else
		cJSON_AddNullToObject(o, "current");
	if (*prev)
		cJSON_AddStringToObject(o, "previous", prev);
	else
		cJSON_AddNullToObject(o, "previous");
	struct sw_deploy_record *recs;
	size_t n = sw_deploy_history(ctx->store, 1, &recs, NULL);
	if (n) {
		cJSON *last = cJSON_AddObjectToObject(o, "last");
		cJSON_AddNumberToObject(last, "id", (double)recs[0].id);
		cJSON_AddStringToObject(last, "status", sw_deploy_status_name(recs[0].status));
		cJSON_AddStringToObject(last, "commit", recs[0].commit);
		sw_json_add_clean_string(last, "reason", recs[0].reason);
	} else {
		cJSON_AddNullToObject(o, "last");
	}
	sw_deploy_records_free(recs, n);
	sw_config_free(&cfg);
	return o;
}

void cli_deploy_status_line(struct cli_ctx *ctx, const struct sw_deploy_config *d)
{
	char cur[41], prev[41];
	sw_deploy_serving(ctx->store, d, cur, prev);
	put_clean(stdout, d->environment);
	if (*cur)
		printf(": current %.7s", cur);
	else
		fputs(": no release current", stdout);
	struct sw_deploy_record *recs;
	size_t n = sw_deploy_history(ctx->store, 1, &recs, NULL);
	if (n) {
		char age[32] = "-";
		sw_format_age((time_t)(recs[0].started_ms / 1000), age, sizeof age);
		printf(" · last %s #%ld %s %s ago", recs[0].rollback ? "rollback" : "deploy", recs[0].id,
		       sw_deploy_status_name(recs[0].status), age);
		if (recs[0].status != SW_DEPLOY_SUCCEEDED && recs[0].reason) {
			fputs(": ", stdout);
			put_clean(stdout, recs[0].reason);
		}
		if (recs[0].status == SW_DEPLOY_INTERRUPTED && recs[0].state) {
			fputs("; ", stdout);
			put_clean(stdout, recs[0].state);
		}
	}
	putchar('\n');
	sw_deploy_records_free(recs, n);
}
