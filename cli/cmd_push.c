/* slipway __push: the process of a push stage, started by the executor in
 * place of a shell (see slipway/push.h).  Its output is the stage's log;
 * its exit code the stage's. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slipway/push.h"
#include "slipway/util.h"

extern char **environ;

static void progress(void *ud, const char *line)
{
	(void)ud;
	puts(line);
	fflush(stdout);
}

static int push_failed(char *err)
{
	cli_error(1, "%s", err);
	free(err);
	return 1;
}

int cmd_push_stage(int argc, char **argv)
{
	int i = argc > 1 && !strcmp(argv[1], "--") ? 2 : 1;
	if (argc - i < 1 || argc - i > 2) {
		fprintf(stderr, "usage: slipway %s -- IMAGE [REGISTRY] (a push stage's process)\n", SW_PUSH_COMMAND);
		return 2;
	}
	struct sw_push_request req = {argv[i], argc - i == 2 ? argv[i + 1] : NULL};
	struct sw_push_result res;
	char *err = NULL;
	if (sw_push_run(&req, environ, progress, NULL, &res, &err))
		return push_failed(err);
	const char *path = getenv(SW_PUSH_RESULT_ENV);
	int r = path && *path ? sw_push_result_write(path, &res) : 0;
	if (r)
		err = xasprintf("pushed %s, but cannot write %s: %s", res.image, path, strerror(-r));
	else if (res.digest)
		printf("pushed %s digest %s\n", res.image, res.digest);
	else
		printf("pushed %s (the engine told no digest)\n", res.image);
	sw_push_result_free(&res);
	return err ? push_failed(err) : 0;
}
