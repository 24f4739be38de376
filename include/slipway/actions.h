/* Importing a GitHub Actions workflow: its jobs' steps become a
 * slipway.json, with notes on everything that could not be carried over
 * as it was (nothing is dropped without one). */
#ifndef SLIPWAY_ACTIONS_H
#define SLIPWAY_ACTIONS_H

#include <stddef.h>

#include "slipway/util.h"

/* A matrix of more combinations is left out (with a note), not expanded. */
#define SW_ACTIONS_MATRIX_MAX 8

/* Translates the workflow text (source names it in messages).  On success
 * *json_out is slipway.json text ("version": 1, "main", "integration",
 * "secrets", "stages") and notes holds one line per thing worth knowing,
 * each "SOURCE:LINE: ...".  On error (bad YAML, a needs cycle or unknown
 * job, a job with no steps, nothing to run) returns -1 with *err one line
 * naming the place. */
int sw_actions_translate(const char *yaml, size_t len, const char *source, char **json_out,
			 struct strlist *notes, char **err);

/* The workflows of the project in dir: the .yml and .yaml files of
 * .github/workflows, sorted, as paths relative to dir.  -1 when there is
 * no such directory. */
int sw_actions_workflows(const char *dir, struct strlist *out);

#endif
