/* slipway demo: the sample project as a ready repository, then its
 * development pipeline. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slipway/scaffold.h"
#include "../tui/tui.h"

static void note(const char *line, void *arg)
{
	(void)arg;
	printf("demo: %s\n", line);
	fflush(stdout);
}

/* The development pipeline, then the dashboard on a terminal; elsewhere
 * (a pipe, a script) the run is followed as text. */
static int start_demo_run(void)
{
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	struct strlist args = {0};
	strlist_add_all(&args, (const char *const[]){"run", "development", tty ? NULL : "--follow", NULL});
	int r = cmd_run((int)args.len, args.items);
	strlist_free(&args);
	if (!tty)
		return r;
	return r ? r : tui_main(0, NULL);
}

static char *default_demo_dir(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg)
		return xasprintf("%s/slipway/demo", xdg);
	const char *home = getenv("HOME");
	return xasprintf("%s/.local/share/slipway/demo", home ? home : ".");
}

int cmd_demo(int argc, char **argv)
{
	bool run = true;
	const char *dir_arg = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-run"))
			run = false;
		else if (argv[i][0] != '-' && !dir_arg)
			dir_arg = argv[i];
		else
			return cli_usage("demo", false);
	}
	char *sample = sw_sample_dir();
	if (!sample)
		return cli_error(2, "the sample project was not found (set SLIPWAY_SAMPLE to examples/sample)");
	char *dir = dir_arg ? xstrdup(dir_arg) : default_demo_dir();
	char *err = NULL;
	bool reused = false;
	int r = sw_demo_create(dir, sample, &reused, note, NULL, &err);
	if (r) {
		r = cli_error(2, "%s", err);
		free(err);
	}
	char *repo = xasprintf("%s/sample", dir);
	if (!r)
		printf("demo: %s %s\n", reused ? "reusing" : "created", repo);
	if (!r && chdir(repo))
		r = cli_error(2, "%s: %s", repo, strerror(errno));
	if (!r && run)
		r = start_demo_run();
	free(repo);
	free(dir);
	free(sample);
	return r;
}
