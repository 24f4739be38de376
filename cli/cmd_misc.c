/* slipway check-config, init and gc. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/actions.h"
#include "slipway/config.h"
#include "slipway/run.h"
#include "slipway/scaffold.h"

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
		cli_close(&ctx);
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
	}
	free(err);
	free(path);
	sw_config_free(&cfg);
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
	if (!r)
		printf("wrote %s: %d stages from %s; check it with `slipway check-config` and commit it\n", path,
		       stage_count(text), source);
	free(source);
	free(text);
	return r;
}

static int init_starter(const char *wd, const char *path)
{
	struct strlist what = {0};
	char *text = sw_init_config(wd, &what);
	int r = write_config(path, text);
	for (size_t i = 0; !r && i < what.len; i++)
		printf("found: %s\n", what.items[i]);
	if (!r)
		printf("wrote %s; check it with `slipway check-config` and commit it\n", path);
	if (!r)
		hint_actions(wd);
	free(text);
	strlist_free(&what);
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
