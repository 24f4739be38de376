/* Merging a branch into main: only the exact commit a passed run of that
 * branch tested, fast-forward; when main has moved, a merge commit that a
 * run tests before main moves to it (a merge queue of one); in pull-request
 * mode, through a pull request that GitHub merges only if its head is still
 * that commit.  Pushed to the policy's remote, one merge at a time, each
 * one recorded in the store (.git/slipway/merges/). */
#ifndef SLIPWAY_MERGE_H
#define SLIPWAY_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slipway/repo.h"
#include "slipway/store.h"
#include "slipway/util.h"

struct sw_merge_options {
	const char *branch;	/* NULL: the integration branch */
	bool force;		/* merge without a run that proves the head; recorded */
	bool no_push;		/* move local main only */
	char *const *env;	/* for the run of a merge commit (secrets, PATH...) */
};

/* How main reached `to`. */
enum sw_merge_via {
	SW_MERGE_VIA_FAST_FORWARD,
	SW_MERGE_VIA_COMMIT,		/* a merge commit of from and head, tested by run */
	SW_MERGE_VIA_PULL_REQUEST,	/* a pull request GitHub merged, head proved by run */
};
/* "fast-forward", "merge-commit", "pull-request": the records' "via". */
const char *sw_merge_via_name(enum sw_merge_via via);

struct sw_merge_record {
	long id;
	char *who;		/* "Name <email>" from git, else the login name */
	int64_t at_ms;
	char *branch;
	char *main;
	char from[41], to[41];	/* main before and after */
	long run;		/* the run that proved `to`; 0 when forced without one */
	bool forced;
	bool pushed;
	char *remote;		/* the remote pushed to; NULL when not pushed */
	enum sw_merge_via via;
	long pull_request;	/* via a pull request: its number; else 0 */
	char *pull_request_url;	/* and GitHub's page for it (neutralised); else NULL */
	char head[41];		/* the branch's head merged (`to` for a fast-forward) */
	long head_run;		/* the run that proved head; 0 when forced */
	bool failed;		/* main stayed at from: the merge commit's run failed, ... */
	char *reason;		/* ... as this says; NULL when merged */
	struct strlist notes;	/* what the user should know besides (checkout left) */
};

enum sw_merge_checkout {
	SW_CHECKOUT_ELSEWHERE,	/* main is not checked out in this work tree */
	SW_CHECKOUT_UPDATED,	/* it was, clean, and now has the new main */
	SW_CHECKOUT_LEFT,	/* it was, with changes (or in the way): files left as they were */
};

struct sw_merge_result {
	bool merged;		/* false: main already had the branch's head, or testing */
	long testing;		/* the run testing merge commit `commit`: main moves
				 * when it passes, by a process of its own (sw_merge_wait) */
	char commit[41];
	struct sw_merge_record rec;	/* filled when merged; when testing, as far as known */
	enum sw_merge_checkout checkout;
	struct strlist notes;	/* what the user should know besides (forced, checkout left) */
};

/* Whether run proves that branch's head sha may become main: a passed run
 * of that branch (stages are chosen per branch), on that exact commit, of
 * every stage (not a --stage run).  The one place this is decided. */
bool sw_merge_run_proves(const struct sw_run_record *run, const char *branch, const char *sha);
/* The newest green run of sha on branch (NULL: on any branch), or 0 with
 * *why (allocated) saying what the runs show instead, run_hint being the
 * branch a `slipway run` would test it on.  The rule merge and deploy
 * share. */
long sw_find_proof(struct sw_store *st, const char *branch, const char *sha, const char *run_hint, char **why);

enum sw_merge_action {
	SW_MERGE_FAST_FORWARD,	/* main moves to the branch's head */
	SW_MERGE_NOTHING,	/* main already has it */
	SW_MERGE_TEST_COMMIT,	/* main has moved: a merge commit is made and tested first */
	SW_MERGE_PULL_REQUEST,	/* "github": {"pull_requests": true}: the head is pushed to the
				 * remote's branch and GitHub merges a pull request of it */
};

/* What sw_merge would do now, as far as it can be known without moving
 * anything (a push can still be refused by the remote). */
struct sw_merge_plan {
	enum sw_merge_action action;
	char *branch, *main;	/* NULL when the configuration could not be read */
	char head[41], from[41];	/* the branch's head; main now ("" when unknown) */
	char *subject;		/* the head commit's first line, raw: neutralise it to show it */
	long run;		/* the run that proves head; 0: none (refused, or --force) */
	char *remote;		/* where main is pushed; NULL with no_push */
	char *github_repo;	/* SW_MERGE_PULL_REQUEST: where the pull request is; else NULL */
	struct strlist notes;	/* as sw_merge's ("forced: ...", "nothing to merge") */
};

/* The checks sw_merge makes, without its lock and without moving
 * anything: the one place the rule is applied, for sw_merge itself, the
 * CLI's --dry-run and the dashboard's confirmation.  SW_OK with the plan;
 * SW_ERR_FAILED with *err the refusal sw_merge would give (no proof, main
 * diverged, in pull-request mode main with changes the head lacks);
 * SW_ERR_USAGE with *err for a bad branch, configuration, remote or, in
 * pull-request mode, no GITHUB_TOKEN (opt->env, then the secrets file).
 * out is filled as far as known in every case; free it. */
int sw_merge_plan(struct sw_repo *repo, struct sw_store *st, const struct sw_merge_options *opt,
		  struct sw_merge_plan *out, char **err);
void sw_merge_plan_free(struct sw_merge_plan *plan);
struct cJSON *sw_merge_plan_to_json(const struct sw_merge_plan *plan);

/* Merges opt->branch into main as the repository's policy names them
 * (see sw_run_config).  SW_OK when merged or when main already has the
 * head (res->merged false); SW_ERR_FAILED with *err when refused (no proof,
 * main diverged, another merge running), when the push failed or GitHub
 * refused the pull request's merge, with main as it was here and on the
 * remote; SW_ERR_USAGE with *err for a bad branch or configuration.  res
 * is filled in either case; free it. */
int sw_merge(struct sw_repo *repo, struct sw_store *st, const struct sw_merge_options *opt,
	     struct sw_merge_result *res, char **err);
void sw_merge_result_free(struct sw_merge_result *res);

/* Waits until the merge whose merge commit run tests has ended (main moved
 * or not) and gives its record: 0, or -1 when there is none (its process
 * was killed before it could write one). */
int sw_merge_wait(struct sw_store *st, long run, struct sw_merge_record *rec);
/* The merge whose merge commit is under test now, if any: true with *rec
 * (to: the merge commit, run: its run).  For status lines. */
bool sw_merge_testing(struct sw_store *st, struct sw_merge_record *rec);

/* Recorded merges, newest first: of one branch (NULL: all), at most limit
 * (< 0: all).  Records that cannot be read are named in warnings. */
size_t sw_merge_history(struct sw_store *st, const char *branch, long limit, struct sw_merge_record **out,
			struct strlist *warnings);
void sw_merge_record_free(struct sw_merge_record *rec);
void sw_merge_records_free(struct sw_merge_record *recs, size_t n);
struct cJSON *sw_merge_record_to_json(const struct sw_merge_record *rec);

#endif
