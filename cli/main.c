/* slipway's command line: one table of commands, each a thin face over
 * a core entry point. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "slipway/run.h"
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
	{"history", cmd_history, "history [--json] [--branch B] [--limit N]",
	 "Past runs, newest first."},
	{"log", cmd_log, "log RUN [STAGE] [--follow] [--raw]",
	 "A stage's output (default: the failed stage, else the last one that ran).\n"
	 "  --follow     keep printing while the stage runs\n"
	 "  --raw        no neutralising of control sequences, even on a terminal"},
	{"cancel", cmd_cancel, "cancel RUN", "Stop a queued or running run; later stages are cancelled."},
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
	printf("\n  slipway [--read-only] [--script FILE [--dump FILE] [--size COLSxLINES]]\n"
	       "                       the dashboard (no command)\n");
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

long cli_parse_run_id(const char *s)
{
	char *end;
	errno = 0;
	long id = strtol(s[0] == '#' ? s + 1 : s, &end, 10);
	return errno || *end || id <= 0 ? -1 : id;
}

int main(int argc, char **argv)
{
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
	const struct cli_command *c = find_command(argv[1]);
	if (!c) {
		cli_error(2, "unknown command \"%s\"; see slipway --help", argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return cli_usage(c->name, true);
	return c->fn(argc - 1, argv + 1);
}
