/* slipway's command line: one table of commands, each a thin face over
 * a core entry point. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "slipway/config.h"
#include "slipway/github.h"
#include "slipway/push.h"
#include "slipway/run.h"
#include "slipway/suggest.h"
#include "slipway/util.h"
#include "../tui/tui.h"

static const struct cli_command commands[] = {
	{"run", cmd_run, "run [BRANCH] [--stage S] [--follow] [--again]",
	 "Start the pipeline on BRANCH (default: the checked-out branch; HEAD or a commit name\n"
	 "the branch whose head it is) and print the run id.\n"
	 "  --follow     show the stages and their output until the run ends\n"
	 "  --stage S    run the stages up to S only\n"
	 "  --again      start a new run even if this commit has one in progress"},
	{"status", cmd_status, "status [--json]",
	 "Branches with ahead/behind main and upstream, last commit, last run on each head."},
	{"history", cmd_history, "history [--json] [--merges] [--branch B] [--limit N]",
	 "Past runs, newest first.\n"
	 "  --merges     the merges into main instead: who, when, from -> to, the run that proved it,\n"
	 "               where main was pushed (and its pull request)"},
	{"log", cmd_log, "log [RUN [STAGE]] [--follow] [--raw] [--stages]",
	 "A stage's output (default: the failed stage, else the last one that ran) of RUN\n"
	 "(a number, #N, or latest: the newest run; default: the checked-out branch's newest).\n"
	 "  --follow     keep printing while the stage runs\n"
	 "  --raw        no neutralising of control sequences, even on a terminal\n"
	 "  --stages     the run's stage names instead, one a line"},
	{"merge", cmd_merge, "merge [BRANCH] [--force] [--no-push] [--dry-run] [--no-wait] [--json]",
	 "Fast-forward main to BRANCH (default: the integration branch) when a passed run tested\n"
	 "its exact head, and push main to the remote (\"remote\" in slipway.json, default origin).\n"
	 "When main has moved, a merge commit is tested by a run first and main moves only if it passes.\n"
	 "With \"github\": {\"pull_requests\": true}, the head is pushed to the remote's branch and GitHub\n"
	 "merges its pull request into main, only while its head is the tested commit (GITHUB_TOKEN).\n"
	 "  --force      merge without such a run; the merge is recorded as forced\n"
	 "  --no-push    move local main only (in pull-request mode: without GitHub)\n"
	 "  --dry-run    say what the merge would do (or why it is refused), move nothing\n"
	 "  --no-wait    when a merge commit is tested, print its run's id and return\n"
	 "  --json       print the merge record (with --dry-run: the plan)"},
	{"watch", cmd_watch, "watch [--once] [--json] [--listen 127.0.0.1:PORT [--path /hook]]",
	 "Run main's \"watch\" rules by themselves: a branch head that moves (local refs, and the\n"
	 "remote's after each fetch) gets a run; with auto_merge the integration branch is merged once\n"
	 "a run proves it; with auto_deploy main is deployed once it moves to a proved commit.\n"
	 "One watcher per repository; SIGTERM stops it after the step under way, SIGHUP says it\n"
	 "re-reads the configuration (it does before every pass).\n"
	 "  --once       one pass, then exit (for cron)\n"
	 "  --json       the log as JSON lines\n"
	 "  --listen A   take GitHub push webhooks at address:port A (signed with GITHUB_WEBHOOK_SECRET)\n"
	 "  --path P     the webhook's path (default /)"},
	{"deploy", cmd_deploy, "deploy [REF] [--force] [--follow] [--dry-run] [--json]",
	 "Deploy REF (default: main's head), a commit of main that a passed run tested, as main's\n"
	 "\"deploy\" section says: install it in releases/, back up the SQLite files, stop the\n"
	 "current release, switch current to the new one, start and validate it; a failure rolls\n"
	 "back to the previous release by itself.  The deploy runs detached; it prints its id.\n"
	 "  --follow     show the steps and their output until the deploy ends\n"
	 "  --force      deploy a commit no passed run tested (recorded as forced)\n"
	 "  --dry-run    say what would be deployed (or why not), start nothing\n"
	 "  --json       print the deploy record"},
	{"rollback", cmd_rollback, "rollback [--follow] [--dry-run] [--json]",
	 "Go back to the previous release by the same steps as a deploy (stop, switch, start,\n"
	 "validate); a failure goes forward again to the release that was current."},
	{"deploys", cmd_deploys, "deploys [--json] [--limit N]",
	 "The deploy journal, newest first: status, commit, when, environment, proving run.\n"
	 "`slipway log deploy:ID [STEP]` shows a step's output."},
	{"stats", cmd_stats, "stats [--json] [--since 30d] [--env ENV]",
	 "The DORA figures of the deploy journal, per environment, over the last 30 days or\n"
	 "the --since window (Nd, Nw or Nh): deploy frequency, lead time for changes (commit\n"
	 "to deploy), change failure rate, time to restore.  Each says how many deploys or\n"
	 "commits it is drawn from; rollbacks are not deploys.\n"
	 "  --since N[dwh]  the window: days, weeks or hours back from now\n"
	 "  --env ENV       one environment only\n"
	 "  --json          the figures as JSON"},
	{"containers", cmd_containers, "containers [--json] [--project P] [--all] [--no-stats]",
	 "The container engine's containers (DOCKER_HOST, else \"docker\": {\"host\"} in slipway.json,\n"
	 "else unix:///var/run/docker.sock), grouped by compose project: state, health, CPU %,\n"
	 "memory (as docker stats computes them), uptime, restarts, image and ports.\n"
	 "On a swarm manager, then its services: replicas running/desired, image, the\n"
	 "update's state and message, and each task's node, state and error.\n"
	 "  --project P  only the containers of compose project P (and the services of stack P)\n"
	 "  --all        stopped ones too\n"
	 "  --no-stats   leave out CPU and memory (they take a second to sample)\n"
	 "  --json       an object: engine, host, api, containers, projects (running/total/unhealthy),\n"
	 "               services (name, stack, image, mode, replicas_running, replicas_desired,\n"
	 "               update_state, update_message, tasks: id, node, state, desired, error, image)"},
	{"container", cmd_container, "container start|stop|restart NAME | logs NAME [--follow] [--tail N] | events [--project P]",
	 "Start, stop or restart one container, print its log (stdout and stderr as the\n"
	 "container wrote them), or follow the engine's container events (what the dashboard\n"
	 "follows: start, die, health_status: healthy, ...), one line each, until Ctrl-C.\n"
	 "  --follow     keep printing the log until the container stops or Ctrl-C\n"
	 "  --tail N     only the last N lines of the log\n"
	 "  --project P  only the events of compose project P"},
	{"issues", cmd_issues, "issues [--json] [--since-deploy] [--level L] [--sort date|freq|new] [--limit N] | resolve|ignore|unresolve ID",
	 "The Sentry project's unresolved issues: level, count, users, last seen, short id, title.\n"
	 "Settings: SENTRY_URL, SENTRY_ORG, SENTRY_PROJECT, SENTRY_AUTH_TOKEN, else \"sentry\":\n"
	 "{\"url\", \"org\", \"project\"} in main's slipway.json, and the token in the secrets file.\n"
	 "  --level L    only issues of level L (error, warning, fatal, ...)\n"
	 "  --sort S     date (last seen, the default), freq (events) or new (first seen)\n"
	 "  --limit N    read at most N issues (default 1000), 100 a request\n"
	 "  --since-deploy  only issues first seen since the serving release was deployed: its regressions\n"
	 "  --json       an array of issues as Sentry names their fields\n"
	 "  resolve|ignore|unresolve ID   triage one issue (its number or short id, PROJ-12)"},
	{"sentry", cmd_sentry, "sentry release [--deploy-env ENV]",
	 "Create the Sentry release of main's head (its commit sha) for the project; one that\n"
	 "exists already is fine.\n"
	 "  --deploy-env ENV  also mark a deploy of it to environment ENV, now"},
	{"release-notes", cmd_release_notes, "release-notes [--deploy ID | FROM..TO] [--markdown|--json]",
	 "What a release adds over the one it replaced (default: the newest succeeded deploy, against\n"
	 "the release it replaced): the commits between them (subject, author) with the green run that\n"
	 "proved each, the quality delta of the two releases' proving runs (tests, lint, coverage), and\n"
	 "the Sentry issues first seen while it served and those resolved since the previous release\n"
	 "(when Sentry is configured; said when it is not, the rest printed all the same).\n"
	 "  --deploy ID   the release that deploy ID (N, #N, deploy:N, latest) put in service\n"
	 "  FROM..TO      between two commits or branches instead (v1..main)\n"
	 "  --markdown    as a changelog section, outside text escaped for Markdown\n"
	 "  --json        the notes as JSON (the README's \"Release notes\" gives its shape)"},
	{"github", cmd_github, "github status [RUN]",
	 "Post a run's state (default: the latest run) to its commit on GitHub again, as commit\n"
	 "statuses: one context per stage (slipway/STAGE) and one for the run (slipway).  Runs post\n"
	 "them by themselves when main's slipway.json has \"github\": {\"repo\": \"OWNER/NAME\"}.\n"
	 "The token is GITHUB_TOKEN, from the environment or the secrets file.\n"
	 "Exit status: 0 posted, 1 GitHub refused, 2 not configured or not reachable."},
	{"cancel", cmd_cancel, "cancel RUN",
	 "Stop a queued or running run (a number, #N or latest); later stages are cancelled."},
	{"check-config", cmd_check_config, "check-config [FILE]",
	 "Validate slipway.json (default: the working tree's)."},
	{"init", cmd_init, "init [--force] [--from-actions [FILE]]",
	 "Write a starter slipway.json for the project found here.\n"
	 "  --force              replace an existing slipway.json\n"
	 "  --from-actions FILE  translate a GitHub Actions workflow instead (default: the\n"
	 "                       first of .github/workflows/*.yml and *.yaml); what could not\n"
	 "                       be carried over as it was is printed as notes"},
	{"gc", cmd_gc, "gc", "Remove old runs beyond retention.runs, and work trees of finished runs."},
	{"demo", cmd_demo, "demo [DIR] [--no-run]",
	 "Create (or reuse) the demo repository from the sample project in DIR\n"
	 "(default ~/.local/share/slipway/demo), start its development pipeline and\n"
	 "open the dashboard on it (on a terminal; otherwise follow the run as text)."},
};

static void print_help(void)
{
	printf("slipway %s: release manager for the terminal\n\nusage: slipway COMMAND [ARGS]\n\n",
	       PACKAGE_VERSION);
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		printf("  slipway %s\n", commands[i].usage);
	printf("\n  slipway [--read-only] [--theme NAME] [--script FILE [--dump FILE] [--size COLSxLINES]]\n"
	       "                       the dashboard (no command)\n"
	       "  slipway --check-keys  check the dashboard's settings: every warning (a key bound\n"
	       "                       twice, an action left without a key), not just the first\n");
	printf("\nslipway COMMAND --help tells more.  Exit codes: 0 success, 1 the run or action\n"
	       "failed, 2 bad usage or configuration, 130 interrupted while following.\n");
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[sizeof commands / sizeof *commands];
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		names[i] = commands[i].name;
	const char *near = sw_suggest(name, names, sizeof names / sizeof *names);
	if (near)
		return cli_error(2, "unknown command \"%s\"; did you mean \"%s\"?", name, near);
	return cli_error(2, "unknown command \"%s\"; see slipway --help", name);
}

int cli_usage(const char *name, bool asked)
{
	const struct cli_command *c = find_command(name);
	FILE *out = asked ? stdout : stderr;
	fprintf(out, "usage: slipway %s\n", c ? c->usage : name);
	if (asked && c)
		fprintf(out, "\n%s\n", c->help);
	return asked ? 0 : 2;
}

void cli_put_message(const char *msg)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (const char *p = msg; *p;) {
		size_t n = strcspn(p, "\n");
		sw_term_clean(&sb, p, n);
		p += n;
		if (*p)
			sbuf_addc(&sb, *p++);
	}
	sbuf_addc(&sb, '\n');
	fputs(sb.buf, stderr);
	sbuf_free(&sb);
}

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = xasprintf("slipway: %s", msg);
	cli_put_message(line);
	free(line);
	free(msg);
	return code;
}

int cli_open(struct cli_ctx *ctx)
{
	char *err = NULL;
	memset(ctx, 0, sizeof *ctx);
	if (sw_repo_open(&ctx->repo, ".", &err) ||
	    sw_store_open(&ctx->store, sw_repo_gitdir(ctx->repo), &err)) {
		cli_error(2, "%s", err);
		free(err);
		cli_close(ctx);
		return 2;
	}
	return 0;
}

void cli_close(struct cli_ctx *ctx)
{
	sw_store_close(ctx->store);
	sw_repo_close(ctx->repo);
	memset(ctx, 0, sizeof *ctx);
}

void cli_put_text(FILE *out, const char *s, bool tty)
{
	if (!tty) {
		fputs(s, out);
		return;
	}
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, s, strlen(s));
	fwrite(sb.buf, 1, sb.len, out);
	sbuf_free(&sb);
}

const char *cli_color(FILE *out, const char *code)
{
	const char *nc = getenv("NO_COLOR");
	if ((nc && *nc) || !isatty(fileno(out)))
		return "";
	return code;
}

void cli_print_json(struct cJSON *json)
{
	char *text = cJSON_Print(json);
	puts(text);
	free(text);
}

long cli_run_id(struct cli_ctx *ctx, const char *text)
{
	long id = 0;
	char *err = NULL;
	if (sw_store_parse_id(ctx->store, text, &id, &err)) {
		cli_error(2, "%s", err);
		free(err);
		return 0;
	}
	return id;
}

/* The dashboard's settings as it would read them here, each warning on
 * a line: 0 none, 1 some, 2 a line or theme that stops the dashboard. */
static int check_keys(void)
{
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	struct sw_config cfg = {0};
	char *err = NULL;
	bool have_cfg = sw_project_config(ctx.repo, &cfg, &err) == SW_OK;
	free(err);
	err = NULL;
	struct tui_settings s;
	int r = tui_settings_load(&s, have_cfg ? &cfg : NULL, NULL, false, &err) ? 2 : 0;
	if (r)
		cli_error(2, "%s", err);
	for (size_t i = 0; !r && i < s.warnings.len; i++) {
		cli_put_text(stdout, s.warnings.items[i], true);
		putchar('\n');
	}
	if (!r && s.warnings.len)
		r = 1;
	else if (!r)
		puts("keys: no warnings");
	free(err);
	tui_settings_free(&s);
	sw_config_free(&cfg);
	cli_close(&ctx);
	return r;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--check-keys"))
		return check_keys();
	/* No command, or only dashboard options: the dashboard. */
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") && strcmp(argv[1], "-h") &&
			 strcmp(argv[1], "--version")))
		return tui_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_help();
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("slipway %s\n", PACKAGE_VERSION);
		return 0;
	}
	/* The executor's, not a user's: not in the table, nor in --help. */
	if (!strcmp(argv[1], SW_PUSH_COMMAND))
		return cmd_push_stage(argc - 1, argv + 1);
	if (!strcmp(argv[1], SW_GITHUB_STATUS_COMMAND))
		return cmd_github_poster(argc - 1, argv + 1);
	const struct cli_command *c = find_command(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return cli_usage(c->name, true);
	return c->fn(argc - 1, argv + 1);
}
