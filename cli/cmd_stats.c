/* slipway stats: the DORA figures of the deploy journal, as text or JSON. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/dora.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_frequency(const struct sw_dora_figures *f)
{
	printf("  deploy frequency     %.2f a day, %.1f a week (%zu succeeded %s)\n", f->per_day, f->per_week,
	       f->succeeded, plural(f->succeeded, "deploy", "deploys"));
}

static void print_lead_time(const struct sw_dora_figures *f)
{
	char span[32];
	if (!f->lead_commits) {
		puts("  lead time            no succeeded deploy brought a commit");
		return;
	}
	sw_dora_format_span(f->lead_median_ms, span, sizeof span);
	printf("  lead time            %s median, of %zu %s in %zu %s\n", span, f->lead_commits,
	       plural(f->lead_commits, "commit", "commits"), f->lead_deploys, plural(f->lead_deploys, "deploy", "deploys"));
}

static void print_failure_rate(const struct sw_dora_figures *f)
{
	if (!f->finished) {
		puts("  change failure rate  no deploy ended (rollbacks are not counted)");
		return;
	}
	printf("  change failure rate  %.0f%% (%zu of %zu %s)\n", 100.0 * (double)f->failed / (double)f->finished,
	       f->failed, f->finished, plural(f->finished, "deploy", "deploys"));
}

static void print_restore(const struct sw_dora_figures *f)
{
	char span[32];
	if (!f->restored && !f->unrestored) {
		puts("  time to restore      no failed deploy");
		return;
	}
	fputs("  time to restore      ", stdout);
	if (f->restored) {
		sw_dora_format_span(f->restore_median_ms, span, sizeof span);
		printf("%s median, of %zu %s", span, f->restored, plural(f->restored, "incident", "incidents"));
	}
	if (f->unrestored)
		printf("%s%zu not restored yet", f->restored ? "; " : "", f->unrestored);
	putchar('\n');
}

static void print_text(const struct sw_dora_report *r, const char *env, const char *window)
{
	bool tty = isatty(STDOUT_FILENO);
	if (!r->n || (env && !r->envs[0].deploys)) {
		fputs(env ? "no deploys to " : "no deploys", stdout);
		cli_put_text(stdout, env ? env : "", tty);
		printf(" in the last %s\n", window);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct sw_dora_figures *f = &r->envs[i];
		cli_put_text(stdout, *f->environment ? f->environment : "(no environment)", tty);
		printf(", last %s: %zu %s\n", window, f->deploys, plural(f->deploys, "deploy", "deploys"));
		print_frequency(f);
		print_lead_time(f);
		print_failure_rate(f);
		print_restore(f);
	}
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"since", required_argument, NULL, 's'},
					     {"env", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
	bool json = false;
	const char *env = NULL;
	int64_t window_ms = 30 * 86400000LL;
	char window[32] = "30 days";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'e')
			env = optarg;
		else if (c != 's')
			return cli_usage("stats", false);
		else if (sw_dora_parse_window(optarg, &window_ms, window, sizeof window))
			return cli_error(2, "--since \"%s\": give a number and a unit, as 30d, 2w or 12h", optarg);
	}
	if (optind != argc)
		return cli_usage("stats", false);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	int64_t now = sw_now_ms();
	struct sw_dora_report r;
	struct strlist warnings = {0};
	sw_dora_from_store(ctx.repo, ctx.store, now - window_ms, now, env, &r, &warnings);
	if (json) {
		cJSON *o = sw_dora_report_to_json(&r);
		cli_print_json(o);
		cJSON_Delete(o);
	} else {
		print_text(&r, env, window);
	}
	for (size_t i = 0; i < warnings.len; i++)
		cli_error(0, "%s", warnings.items[i]);
	for (size_t i = 0; i < r.warnings.len; i++)
		cli_error(0, "%s", r.warnings.items[i]);
	strlist_free(&warnings);
	sw_dora_report_free(&r);
	cli_close(&ctx);
	return 0;
}
