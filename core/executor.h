/* The detached executor of one run (internal to the core). */
#ifndef SLIPWAY_CORE_EXECUTOR_H
#define SLIPWAY_CORE_EXECUTOR_H

#include "slipway/config.h"
#include "slipway/repo.h"
#include "slipway/secrets.h"
#include "slipway/store.h"

struct sw_exec_plan {
	struct sw_repo *repo;
	struct sw_store *store;
	struct sw_run_record *rec;	/* created, queued */
	struct sw_config *cfg;		/* stages of the commit + policy of main */
	struct sw_secrets *secrets;
	char *const *env;
	const char *only_stage;
	int lock_fd;
};

/* Runs in the detached process, the run's session made: becomes the
 * guardian and forks the executor under it.  Never returns. */
void sw_executor_main(struct sw_exec_plan *plan) __attribute__((noreturn));

#endif
