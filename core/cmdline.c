/* getopt_long for the faces: no message of its own on stderr (the dashboard
 * owns the terminal), state reset for each line (the prompt parses many). */
#include "slipway/cmdline.h"

#include <getopt.h>
#include <string.h>

#include "slipway/util.h"

/* Runs getopt_long over argv (options and operands in any order, as the
 * CLI always took them); each option goes to take(c, optarg, ctx).  On
 * return, *rest is the index of the first operand. */
static int parse(int argc, char **argv, const char *shorts, const struct option *longs,
		 void (*take)(int c, const char *arg, void *ctx), void *ctx, int *rest, char **err)
{
	opterr = 0;
	optind = 0;	/* GNU: reinitialise, whatever the last parse left */
	int c;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == ':' || c == '?') {
			*err = xasprintf("%s: %s %s", argv[0], argv[optind - 1],
					 c == ':' ? "needs a value" : "is not an option");
			return -1;
		}
		take(c, optarg, ctx);
	}
	*rest = optind;
	return 0;
}

static void take_run(int c, const char *arg, void *ctx)
{
	struct sw_run_args *a = ctx;
	switch (c) {
	case 'f': a->follow = true; break;
	case 's': a->ro.stage = arg; break;
	case 'a': a->ro.again = true; break;
	case 't': a->ro.trigger = arg; break;
	}
}

int sw_run_args_parse(int argc, char **argv, struct sw_run_args *a, char **err)
{
	static const struct option longs[] = {
		{"follow", no_argument, NULL, 'f'}, {"stage", required_argument, NULL, 's'},
		{"again", no_argument, NULL, 'a'}, {"trigger", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0}};
	memset(a, 0, sizeof *a);
	int rest;
	if (parse(argc, argv, ":fs:a", longs, take_run, a, &rest, err))
		return -1;
	if (argc - rest > 1) {
		*err = xasprintf("%s: one branch at most, got \"%s\" and \"%s\"", argv[0], argv[rest],
				 argv[rest + 1]);
		return -1;
	}
	a->ro.branch = rest < argc ? argv[rest] : NULL;
	return 0;
}

static void take_log(int c, const char *arg, void *ctx)
{
	(void)arg;	/* log's options take no value */
	struct sw_log_args *a = ctx;
	switch (c) {
	case 'f': a->follow = true; break;
	case 'r': a->raw = true; break;
	case 's': a->stages = true; break;
	}
}

int sw_log_args_parse(int argc, char **argv, struct sw_log_args *a, char **err)
{
	static const struct option longs[] = {
		{"follow", no_argument, NULL, 'f'}, {"raw", no_argument, NULL, 'r'},
		{"stages", no_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
	memset(a, 0, sizeof *a);
	int rest;
	if (parse(argc, argv, ":frs", longs, take_log, a, &rest, err))
		return -1;
	if (argc - rest > 2 || (a->stages && argc - rest > 1)) {
		*err = xasprintf("%s: %s", argv[0], a->stages ? "--stages takes a run, not a stage"
							       : "a run and a stage at most");
		return -1;
	}
	a->run = rest < argc ? argv[rest] : NULL;
	a->stage = rest + 1 < argc ? argv[rest + 1] : NULL;
	return 0;
}
