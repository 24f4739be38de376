/* The command lines of `run` and `log`, as the CLI and the dashboard's ':'
 * prompt both take them: one parser, so that `:run -s lint` means what
 * `slipway run -s lint` means. */
#ifndef SLIPWAY_CMDLINE_H
#define SLIPWAY_CMDLINE_H

#include <stdbool.h>

#include "slipway/run.h"

/* run [BRANCH] [--follow|-f] [--stage|-s S] [--again|-a] [--trigger T] */
struct sw_run_args {
	struct sw_run_options ro;	/* branch, stage, again, trigger; env is the caller's */
	bool follow;
};

/* log [RUN [STAGE]] [--follow|-f] [--raw|-r] [--stages|-s] */
struct sw_log_args {
	const char *run;		/* as written (N, #N, latest); NULL: the default */
	const char *stage;		/* NULL: sw_run_default_stage */
	bool follow, raw, stages;
};

/* argv[0] is the command's name.  The strings stay argv's.  0, or -1 with
 * *err saying what is wrong ("run: unknown option --frob"). */
int sw_run_args_parse(int argc, char **argv, struct sw_run_args *a, char **err);
int sw_log_args_parse(int argc, char **argv, struct sw_log_args *a, char **err);

#endif
