/* slipway check-config, init and gc. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/actions.h"
#include "slipway/config.h"
#include "slipway/run.h"
#include "slipway/scaffold.h"

/* One item of the policy and where it came from (which may name a branch). */
static void __attribute__((format(printf, 2, 3))) policy_line(const char *from, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("  ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fputs(" (", stdout);
	cli_put_text(stdout, from, isatty(STDOUT_FILENO));
	puts(")");
}

static bool has_gate(const struct sw_config *cfg, const struct sw_gate *g)
{
	for (size_t i = 0; i < cfg->ngates; i++)
		if (!strcmp(cfg->gates[i].name, g->name) && !islessgreater(cfg->gates[i].limit, g->limit))
			return true;
	return false;
}

/* What the file asks for that its runs do not get: a branch that loosens
 * a gate or adds a secret should hear that it has no effect. */
static void print_unused(const struct sw_config *own, const struct sw_config *cfg)
{
	struct strlist l = {0};
	for (size_t i = 0; i < own->ngates; i++)
		if (!has_gate(cfg, &own->gates[i]))
			strlist_addf(&l, "gate %s: %g", own->gates[i].name, own->gates[i].limit);
	for (size_t i = 0; i < own->secrets.len; i++)
		if (!strlist_has(&cfg->secrets, own->secrets.items[i]))
			strlist_addf(&l, "secret %s", own->secrets.items[i]);
	if (own->retention_runs != cfg->retention_runs)
		strlist_addf(&l, "retention: %d runs", own->retention_runs);
	for (size_t i = 0; i < l.len; i++)
		printf("%s%s", i ? ", " : "not used from this file: ", l.items[i]);
	if (l.len) {
		fputs(" (", stdout);
		cli_put_text(stdout, cfg->main_branch, isatty(STDOUT_FILENO));
		puts(cfg->from.from_main ? "'s slipway.json decides)" : " has no slipway.json)");
	}
	strlist_free(&l);
}

/* What runs of the checked-out branch get (main's policy over own, this
 * file), each item with where it came from. */
static int print_policy(struct cli_ctx *ctx, const struct sw_config *own)
{
	struct sw_config cfg = {0};
	char *err = NULL;
	if (sw_project_config(ctx->repo, &cfg, &err)) {
		cli_error(2, "cannot tell the policy in force: %s", err);
		free(err);
		return 2;
	}
	char *branch = sw_repo_current_branch(ctx->repo);
	fputs("in force on ", stdout);
	cli_put_text(stdout, branch ? branch : "a detached HEAD", isatty(STDOUT_FILENO));
	fputs(" (main: ", stdout);
	cli_put_text(stdout, cfg.main_branch, isatty(STDOUT_FILENO));
	puts(")");
	const struct sw_policy_origin *from = &cfg.from;
	for (size_t i = 0; i < cfg.ngates; i++)
		policy_line(from->gates, "gate %s: %g", cfg.gates[i].name, cfg.gates[i].limit);
	if (!cfg.ngates)
		policy_line(from->gates, "gates: none");
	for (size_t i = 0; i < cfg.secrets.len; i++)
		policy_line(from->secrets, "secret %s", cfg.secrets.items[i]);
	if (!cfg.secrets.len)
		policy_line(from->secrets, "secrets: none");
	policy_line(from->retention, "retention: %d runs", cfg.retention_runs);
	print_unused(own, &cfg);
	free(branch);
	sw_config_free(&cfg);
	return 0;
}

/* slipway check-config [FILE]: FILE alone is only checked; the work
 * tree's is checked and the policy its runs get printed. */
int cmd_check_config(int argc, char **argv)
{
	if (argc > 2)
		return cli_usage("check-config", false);
	char *path = NULL;
	struct cli_ctx ctx = {0};
	if (argc == 2) {
		path = xstrdup(argv[1]);
	} else {
		if (cli_open(&ctx))
			return 2;
		const char *wd = sw_repo_workdir(ctx.repo);
		path = xasprintf("%s/slipway.json", wd ? wd : ".");
	}
	struct sw_config cfg = {0};
	char *err = NULL;
	int r = 0;
	if (access(path, F_OK) && argc == 1) {
		r = cli_error(2, "%s: no such file; run `slipway init` to write one", path);
	} else if (sw_config_load_file(&cfg, path, &err)) {
		cli_put_message(err);
		r = 2;
	} else {
		printf("%s: ok (%zu stages, %zu gates, %zu secrets)\n", path, cfg.nstages, cfg.ngates,
		       cfg.secrets.len);
		if (ctx.repo)
			r = print_policy(&ctx, &cfg);
	}
	free(err);
	free(path);
	sw_config_free(&cfg);
	if (ctx.repo)
		cli_close(&ctx);
	return r;
}

struct init_args {
	bool force;
	bool from_actions;
	const char *file;	/* --from-actions FILE, or NULL: the first workflow */
};

static bool parse_init_args(int argc, char **argv, struct init_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			a->force = true;
		else if (!strcmp(argv[i], "--from-actions") && !a->from_actions)
			a->from_actions = true;
		else if (a->from_actions && !a->file && argv[i][0] != '-' && !strcmp(argv[i - 1], "--from-actions"))
			a->file = argv[i];
		else
			return false;
	}
	return true;
}

static void print_outside(const char *prefix, const char *text)
{
	fputs(prefix, stdout);
	cli_put_text(stdout, text, isatty(STDOUT_FILENO));
	putchar('\n');
}

/* The workflow to translate: FILE as given, else the first of the
 * project's (saying so when there are others).  NULL after an error. */
static char *pick_workflow(const char *wd, const char *file, char **source)
{
	if (file) {
		*source = xstrdup(file);
		return xstrdup(file);
	}
	struct strlist found = {0};
	if (sw_actions_workflows(wd, &found) || !found.len) {
		cli_error(2, "no workflow in %s/.github/workflows (name one: --from-actions FILE)", wd);
		strlist_free(&found);
		return NULL;
	}
	if (found.len > 1) {
		print_outside("taking ", found.items[0]);
		for (size_t i = 1; i < found.len; i++)
			print_outside("  also there (--from-actions FILE takes it): ", found.items[i]);
	}
	*source = xstrdup(found.items[0]);
	char *path = xasprintf("%s/%s", wd, found.items[0]);
	strlist_free(&found);
	return path;
}

static int stage_count(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "stages"));
	cJSON_Delete(j);
	return n;
}

/* slipway.json text translated from a workflow, its notes printed;
 * NULL after an error. */
static char *config_from_actions(const char *wd, const char *file, char **source)
{
	char *path = pick_workflow(wd, file, source);
	if (!path)
		return NULL;
	size_t len = 0;
	char *yaml = sw_read_file(path, &len);
	char *json = NULL, *err = NULL;
	struct strlist notes = {0};
	if (!yaml)
		cli_error(2, "%s: cannot read: %s", *source, strerror(errno));
	else if (sw_actions_translate(yaml, len, *source, &json, &notes, &err))
		cli_error(2, "%s", err);
	for (size_t i = 0; i < notes.len; i++)
		print_outside("note: ", notes.items[i]);
	strlist_free(&notes);
	free(err);
	free(yaml);
	free(path);
	return json;
}

/* A plain init in a project that has workflows: one line saying so. */
static void hint_actions(const char *wd)
{
	struct strlist found = {0};
	if (!sw_actions_workflows(wd, &found) && found.len)
		print_outside("hint: `slipway init --from-actions --force` translates the GitHub Actions workflow ",
			      found.items[0]);
	strlist_free(&found);
}

static int write_config(const char *path, const char *text)
{
	int w = sw_write_atomic(path, text, strlen(text), true);
	return w ? cli_error(2, "%s: cannot write: %s", path, strerror(-w)) : 0;
}

static int init_from_actions(const char *wd, const char *path, const char *file)
{
	char *source = NULL;
	char *text = config_from_actions(wd, file, &source);
	int r = text ? write_config(path, text) : 2;
	int n = r ? 0 : stage_count(text);
	if (!r)
		printf("wrote %s: %d stage%s from %s; check it with `slipway check-config` and commit it\n", path,
		       n, n == 1 ? "" : "s", source);
	free(source);
	free(text);
	return r;
}

static int init_starter(const char *wd, const char *path)
{
	struct strlist what = {0}, chose = {0};
	char *text = sw_init_config(wd, &what, &chose);
	int r = write_config(path, text);
	for (size_t i = 0; !r && i < what.len; i++)
		printf("found: %s\n", what.items[i]);
	for (size_t i = 0; !r && i < chose.len; i++)
		print_outside("gate: ", chose.items[i]);
	if (!r)
		printf("wrote %s; check it with `slipway check-config` and commit it\n", path);
	if (!r)
		hint_actions(wd);
	free(text);
	strlist_free(&what);
	strlist_free(&chose);
	return r;
}

int cmd_init(int argc, char **argv)
{
	struct init_args a;
	if (!parse_init_args(argc, argv, &a))
		return cli_usage("init", false);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	const char *wd = sw_repo_workdir(ctx.repo);
	if (!wd) {
		cli_close(&ctx);
		return cli_error(2, "a bare repository has no work tree to write slipway.json into");
	}
	char *path = xasprintf("%s/slipway.json", wd);
	int r;
	if (!a.force && access(path, F_OK) == 0)
		r = cli_error(2, "%s already exists (--force replaces it)", path);
	else if (a.from_actions)
		r = init_from_actions(wd, path, a.file);
	else
		r = init_starter(wd, path);
	free(path);
	cli_close(&ctx);
	return r;
}

int cmd_gc(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage("gc", false);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	int removed = 0;
	char *err = NULL;
	int r = sw_run_gc(ctx.repo, ctx.store, &removed, &err);
	if (r) {
		cli_error(r, "%s", err);
		free(err);
	} else {
		printf("removed %d run%s\n", removed, removed == 1 ? "" : "s");
	}
	cli_close(&ctx);
	return r;
}
