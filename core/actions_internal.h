/* What the workflow importer's files share: actions.c reads the workflow
 * and orders its jobs, actions_job.c turns a job's steps into stages,
 * actions_matrix.c expands a matrix, actions_uses.c knows the common
 * actions. */
#ifndef SLIPWAY_CORE_ACTIONS_INTERNAL_H
#define SLIPWAY_CORE_ACTIONS_INTERNAL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "slipway/actions.h"
#include "slipway/actions_cond.h"
#include "slipway/actions_expr.h"
#include "slipway/config.h"
#include "slipway/util.h"
#include "slipway/yamltree.h"

/* The note of a setup-python step, which a matrix adds versions to. */
struct python_note {
	const struct sw_ynode *step;
	const char *job;
	size_t note;			/* its index in the notes */
	struct strlist versions;	/* what its combinations asked for */
	char *text, *rest;		/* what it says before and after them */
};

void python_note_free(struct python_note *pn);

/* The whole translation. */
struct tr {
	const char *source;
	struct strlist *notes;
	const struct sw_ynode *root;
	struct sw_branchset on;		/* what on: allows (on.push.branches) */
	struct strlist secrets;		/* in order of first use */
	struct strlist names;		/* stage names taken */
	cJSON *stages;
	bool venv;			/* the venv stage is written */
	struct python_note python;	/* the last setup-python step's note */
	bool multiline;			/* a stage got `set -e` */
	char *integration;		/* the branch the first image push is limited to */
};

/* One job, for one matrix combination. */
struct job {
	struct tr *tr;
	const char *id;
	const struct sw_ynode *node;
	const struct strlist *mkeys, *mvalues;	/* the combination, or NULL */
	const struct strlist *naming;		/* the values its stage names end in: 3.11, ubuntu */
	struct sw_branchset where;		/* on:, the job's if: and its needs' */
	bool always;				/* if: always() on the job */
	int timeout;				/* timeout-minutes in seconds, 0: none */
	bool allow_failure;			/* continue-on-error */
	bool python;				/* after setup-python: stages activate the venv */
	cJSON *cache;				/* an actions/cache waiting for the next run step */
	char *cache_what;			/* its step, for the note */
	char *cache_detail;			/* its paths and key */
	int cache_line;
	char *login;				/* a docker login waiting for a push */
	char *login_what;
	struct strlist login_secrets;
	int login_line;
};

/* One step being made into stages. */
struct stage {
	struct job *job;
	const struct sw_ynode *step;
	size_t index;			/* 1-based, in the job */
	char *title;			/* for notes: `job test, step "Lint"` */
	struct strlist secrets;		/* what this step's stages use */
	struct sw_expr_ctx ectx;
	struct sw_cond cond;
	struct sw_branchset where;	/* the job's, narrowed by the step's if: */
	cJSON *env;			/* literal values */
	struct strlist exports;		/* values the shell must expand: `export A="$B/x"` */
	int timeout;
	bool allow_failure;
};

/* A note "SOURCE:LINE: text", once however often it is said; its index
 * in tr->notes. */
size_t tr_note(struct tr *tr, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Says a note again, differently (a matrix adds to what it says). */
void tr_note_replace(struct tr *tr, size_t index, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "a, b, c"; allocated. */
char *tr_joined(const struct strlist *l);
/* Notes the keys of map that are not in known (NULL-ended). */
void tr_note_keys(struct tr *tr, const struct sw_ynode *map, const char *const *known, const char *what);
/* Notes the parts of an if: that are not translated. */
void tr_note_cond(struct tr *tr, int line, const char *who, const struct sw_cond *c);

/* One combination of a job (or the job, with no matrix): its stages. */
int job_combination(struct job *job, const struct sw_ynode *steps, char **err);
/* A job with a matrix: job_combination for each combination of it. */
int matrix_job(struct job *proto, const struct sw_ynode *matrix, const struct sw_ynode *steps, char **err);

/* A job's stages, once per combination of its matrix, on the branches
 * where (always: its if: says always()).  -1 with *err on an error. */
int job_translate(struct tr *tr, const char *id, int line, const struct sw_ynode *node,
		  const struct sw_branchset *where, bool always, char **err);

/* Writes a stage named from base (made valid and unique) running run,
 * with st's branches, env, secrets, timeout and failure rules when st is
 * given.  The stage, now in tr->stages. */
cJSON *stage_emit(struct tr *tr, struct stage *st, const char *base, const char *run);
/* The commands before a step's own: exports, then extra (NULL-ended). */
char *stage_script(struct stage *st, const char *const *extra, const char *script);
/* An input's text resolved into one shell word; NULL with a note. */
char *stage_word(struct stage *st, const char *input, const char *text);
/* The step's with: input key (a scalar's text), or NULL. */
const char *stage_input(const struct stage *st, const char *key);
/* The base a stage's name starts from: name + the matrix suffix. */
char *stage_base(const struct stage *st, const char *name);

/* A stage that pushes on one branch makes it the "integration" branch
 * (the first such stage). */
void tr_integration(struct tr *tr, const struct sw_branchset *where);

/* The waiting docker login is now in stage: its secrets are the file's. */
void login_used(struct job *job, const char *stage);

/* A uses: step. */
void uses_translate(struct stage *st, const char *uses);

#endif
