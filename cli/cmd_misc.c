/* slipway check-config, init and gc. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int cmd_init(int argc, char **argv)
{
	bool force = argc == 2 && !strcmp(argv[1], "--force");
	if (argc > 2 || (argc == 2 && !force))
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
	int r = 0;
	if (!force && access(path, F_OK) == 0) {
		r = cli_error(2, "%s already exists (--force replaces it)", path);
	} else {
		struct strlist what = {0};
		char *text = sw_init_config(wd, &what);
		int w = sw_write_atomic(path, text, strlen(text), true);
		if (w)
			r = cli_error(2, "%s: cannot write: %s", path, strerror(-w));
		for (size_t i = 0; !r && i < what.len; i++)
			printf("found: %s\n", what.items[i]);
		if (!r)
			printf("wrote %s; check it with `slipway check-config` and commit it\n", path);
		free(text);
		strlist_free(&what);
	}
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
