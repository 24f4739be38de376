/* Starting, executing and cancelling runs.  A run tests one exact commit in
 * a directory of its own, in a detached executor that outlives the terminal. */
#ifndef SLIPWAY_RUN_H
#define SLIPWAY_RUN_H

#include <stdbool.h>

#include "slipway/config.h"
#include "slipway/repo.h"
#include "slipway/store.h"

struct sw_run_options {
	const char *branch;	/* NULL: the checked-out branch */
	const char *trigger;	/* "manual" when NULL */
	const char *stage;	/* run the stages up to this one only; NULL: all */
	bool again;		/* a new run even when this head has one in progress */
	const char *commit;	/* test this commit as a run of branch (which must be
				 * given) although branch is not there: a merge
				 * commit before main moves to it; NULL: branch's head */
	char *const *env;	/* where secrets and PATH/HOME/... come from */
};

/* Exit-code classes for the faces: usage/config errors are SW_ERR_USAGE. */
enum { SW_OK = 0, SW_ERR_FAILED = 1, SW_ERR_USAGE = 2 };

/* The project's configuration as the working tree has it (slipway.json in
 * the work tree, else at HEAD), with main's policy (see sw_run_config):
 * main is the repository's choice (git config slipway.main, else the
 * default branch or the main its slipway.json names), never a commit's.
 * SW_ERR_USAGE with *err when absent or bad. */
int sw_project_config(struct sw_repo *repo, struct sw_config *cfg, char **err);
/* The configuration a run of commit sha uses: stages from the commit;
 * main_branch, integration_branch, secrets, gates and retention from main
 * (no secrets when main has no slipway.json).  What a run should be told
 * (the commit names another main, say) is added to warnings (may be NULL). */
int sw_run_config(struct sw_repo *repo, const char *sha, struct sw_config *cfg, struct strlist *warnings,
		  char **err);

/* Starts a run, or finds the one in progress on the same head (*existing).
 * Returns SW_OK, or SW_ERR_USAGE with *err. */
int sw_run_start(struct sw_repo *repo, struct sw_store *st, const struct sw_run_options *opt,
		 long *id, bool *existing, char **err);
/* Cancels a queued or running run and waits (bounded) until it has ended. */
int sw_run_cancel(struct sw_store *st, long id, char **err);
/* Applies retention: the policy's retention.runs, sparing branch heads. */
int sw_run_gc(struct sw_repo *repo, struct sw_store *st, int *removed, char **err);

#endif
