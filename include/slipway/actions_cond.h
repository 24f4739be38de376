/* The branch side of GitHub Actions' conditions: which branches a job or
 * a step of a workflow can run on, as slipway's stage "branches". */
#ifndef SLIPWAY_ACTIONS_COND_H
#define SLIPWAY_ACTIONS_COND_H

#include <stdbool.h>

#include "slipway/actions_expr.h"
#include "slipway/util.h"

/* A set of branches as glob patterns. */
struct sw_branchset {
	bool limited;		/* false: every branch */
	struct strlist globs;	/* when limited: where it may run (none: nowhere) */
};

void sw_branchset_free(struct sw_branchset *b);
void sw_branchset_copy(struct sw_branchset *dst, const struct sw_branchset *src);
void sw_branchset_add(struct sw_branchset *b, const char *glob);
/* Narrows a to the branches b also allows.  Two patterns whose overlap
 * cannot be computed ("feature/x*" and "*-fix") keep a's, and the count of
 * such pairs is returned so the caller can say so. */
int sw_branchset_narrow(struct sw_branchset *a, const struct sw_branchset *b);
/* "development", "main, release-*" or "every branch"; allocated. */
char *sw_branchset_text(const struct sw_branchset *b);

/* What an if: condition says, as far as slipway can follow it. */
struct sw_cond {
	struct sw_branchset where;	/* wider than GitHub's only by the unchecked parts */
	bool always;			/* always(), !cancelled(): runs after a failure too */
	bool after_failure;		/* failure(), cancelled(): only when something failed */
	struct strlist unchecked;	/* the parts with no slipway meaning, as written */
};

/* Reads a condition (with or without ${{ }}).  Understood: github.ref ==
 * 'refs/heads/B', github.ref_name == 'B' (either side), startsWith() of
 * them, matrix values, string constants, true/false, success(), always(),
 * failure(), cancelled(), and !, &&, || and parentheses over those.  The
 * rest is listed in unchecked and never narrows where, except under &&,
 * where the understood side still limits it. */
void sw_cond_parse(const char *expr, const struct sw_expr_ctx *ctx, struct sw_cond *out);
void sw_cond_free(struct sw_cond *c);

#endif
