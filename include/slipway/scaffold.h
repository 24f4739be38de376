/* Making things a new user starts from: a starter slipway.json for an
 * existing project, and the demo repository built from the sample project. */
#ifndef SLIPWAY_SCAFFOLD_H
#define SLIPWAY_SCAFFOLD_H

#include <stdbool.h>

#include "slipway/util.h"

/* A starter configuration for the project in dir (flake8, pytest, Django,
 * Dockerfile detected); allocated JSON text.  found lists what was found,
 * chose each gate written or left out, and why.  Runs flake8 on dir when
 * the project is Python: a lint gate only when it passes today. */
char *sw_init_config(const char *dir, struct strlist *found, struct strlist *chose);

/* The sample project's directory: $SLIPWAY_SAMPLE, the source tree's
 * examples/sample, or the installed copy.  NULL when none exists. */
char *sw_sample_dir(void);

/* Creates (or reuses) the demo under dir: dir/origin.git (bare) and
 * dir/sample, a clone with main, development and feature branches.
 * Progress lines go to note.  -1 with *err. */
int sw_demo_create(const char *dir, const char *sample, bool *reused,
		   void (*note)(const char *line, void *arg), void *arg, char **err);

#endif
