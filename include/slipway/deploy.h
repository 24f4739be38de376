/* Deploys: a tested commit of main installed as a release on the target
 * (releases/<commit>, shared/ linked in, SQLite files backed up), switched
 * to by one rename of the `current` symlink, started and validated by the
 * hooks and health check of main's "deploy" section, and rolled back by
 * itself when any of that fails.  Each deploy runs detached, like a run,
 * and is journalled in the store (.git/slipway/deploys/<id>/deploy.json,
 * replaced atomically at every step, and a log per step). */
#ifndef SLIPWAY_DEPLOY_H
#define SLIPWAY_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "slipway/store.h"
#include "slipway/util.h"

struct sw_repo;
struct sw_config;
struct cJSON;

enum sw_deploy_status {
	SW_DEPLOY_RUNNING,
	SW_DEPLOY_SUCCEEDED,
	SW_DEPLOY_ROLLED_BACK,	/* it failed, and the previous release serves again */
	SW_DEPLOY_FAILED,	/* it failed, and so did going back (or there was nothing to go back to) */
	SW_DEPLOY_INTERRUPTED,	/* its process died: see the steps for how far it got */
};

struct sw_deploy_step {
	char *name;			/* "install", "stop", ..., "rollback-switch" */
	enum sw_stage_status status;	/* as a stage's: pending, running, passed, failed, skipped */
	int64_t started_ms, finished_ms;
	char *reason;			/* why it failed or was skipped; may be NULL */
	long deploy;			/* a fleet's host step: that host's own deploy (0: none) */
};

struct sw_deploy_record {
	long id;
	bool rollback;			/* `slipway rollback`, not a deploy */
	char *environment, *target, *path;
	char commit[41];		/* the release deployed (or rolled back to) */
	char previous[41];		/* the release current pointed at before; "" when none */
	long run;			/* the green run that proved commit; 0 when forced or a rollback */
	bool forced;
	char *who;
	char *subject;			/* the commit's subject, for lists */
	int64_t started_ms, finished_ms;
	enum sw_deploy_status status;
	char *reason;			/* what failed; NULL when it succeeded */
	char *state;			/* what the target is left in, and what to run; NULL while running */
	struct sw_deploy_step *steps;
	size_t nsteps;
	int pid;			/* the deploy's process */
	long parent;			/* one host's deploy of fleet deploy #parent; 0 otherwise */
};

struct sw_deploy_options {
	const char *ref;		/* NULL: main's head */
	bool force;			/* deploy a commit no green run proved */
	bool rollback;			/* go back to the previous release instead */
};

/* What sw_deploy_start would do, checked without starting anything: the
 * one place the rules are applied, for the CLI's refusal, the dashboard's
 * confirmation and the deploy itself. */
struct sw_deploy_plan {
	char commit[41];
	char current[41];		/* the release serving now; "" when none */
	long run;			/* the proving run; 0 when forced */
	char *environment, *target, *path;
	struct strlist notes;		/* "forced: ...", "deploy #4 was interrupted at step start ..." */
};

/* SW_OK with plan; SW_ERR_USAGE with *err when there is no "deploy" on
 * main or the ref is unknown; SW_ERR_FAILED with *err when the commit is
 * not main's or no green run proved it (without force), e.g.
 * "main@9c1e2aa has no passed run; last run #31 failed at stage test". */
int sw_deploy_plan(struct sw_repo *repo, struct sw_store *st, const struct sw_deploy_options *opt,
		   struct sw_deploy_plan *plan, char **err);
void sw_deploy_plan_free(struct sw_deploy_plan *plan);

/* Plans, takes the target's lock (one deploy per target; a flock, so a
 * killed deploy leaves none), records the deploy and starts it detached:
 * a closed terminal does not stop it.  SW_OK with *id; what the user
 * should know besides (the plan's notes) is added to notes. */
int sw_deploy_start(struct sw_repo *repo, struct sw_store *st, const struct sw_deploy_options *opt, long *id,
		    struct strlist *notes, char **err);

/* The journal. */
char *sw_deploy_dir(struct sw_store *st, long id);
char *sw_deploy_log_path(struct sw_store *st, long id, const char *step);
/* Reads a deploy; one recorded running whose process is gone reads (and is
 * rewritten) as interrupted.  -1 with *err. */
int sw_deploy_load(struct sw_store *st, long id, struct sw_deploy_record *rec, char **err);
/* Deploys newest first, at most limit (< 0: all); unreadable ones named in
 * warnings (may be NULL).  A fleet's per-host deploys are not among them:
 * the fleet's own record (each host a step naming its deploy) stands for
 * them, in lists and in the DORA figures alike. */
size_t sw_deploy_history(struct sw_store *st, long limit, struct sw_deploy_record **out, struct strlist *warnings);
/* "3", "#3", "deploy:3" or "latest".  -1 with *err. */
int sw_deploy_parse_id(struct sw_store *st, const char *text, long *id, char **err);
void sw_deploy_record_free(struct sw_deploy_record *rec);
void sw_deploy_records_free(struct sw_deploy_record *recs, size_t n);
struct cJSON *sw_deploy_record_to_json(const struct sw_deploy_record *rec);
const char *sw_deploy_status_name(enum sw_deploy_status s);
bool sw_deploy_status_final(enum sw_deploy_status s);

/* The release the target's `current` points at ("" when none), read from
 * the target itself: what serves, whatever the journal says. */
void sw_deploy_current(const char *path, char sha[41], char previous[41]);
/* What serves, for the faces, without a connection: a local target's
 * links, an ssh target's as its journal last left them ("" each when the
 * last deploy there failed or was interrupted: only the target knows). */
struct sw_deploy_config;
void sw_deploy_serving(struct sw_store *st, const struct sw_deploy_config *d, char cur[41], char prev[41]);
/* When the release serving in environment (NULL: any) was deployed: the
 * newest succeeded deploy's or rollback's end, in ms (0: none), and its
 * commit into sha (may be NULL).  Regressions are counted from there. */
int64_t sw_deploy_current_since(struct sw_store *st, const char *environment, char sha[41]);
/* The moment regressions are counted from, for every face (issues
 * --since-deploy, the Sentry panel's marks, status, release notes): when
 * the release serving in the environment main's "deploy" section names
 * (any, without one) was deployed, in seconds; 0 when nothing was.
 * *environment (may be NULL) gets that name, or NULL; allocated. */
time_t sw_deploy_regressions_since(struct sw_repo *repo, struct sw_store *st, char **environment);

/* The step a deploy's log opens on: the first that failed, else the last
 * that started; rec->nsteps when none started. */
size_t sw_deploy_default_step(const struct sw_deploy_record *rec);

#endif
