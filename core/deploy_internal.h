/* What the deploy's modules share (core-internal): the journal's layout. */
#ifndef SLIPWAY_CORE_DEPLOY_INTERNAL_H
#define SLIPWAY_CORE_DEPLOY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "slipway/deploy.h"

#define DEPLOYS_DIR "deploys"		/* under the store's root */
#define DEPLOY_FILE "deploy.json"
#define DEPLOY_LOCK "lock"		/* held by the deploy's process while it lives */

/* Replaces deploy.json atomically (durable: fsync'ed). 0 or -errno. */
int sw_deploy_save(struct sw_store *st, const struct sw_deploy_record *rec, bool durable);
/* The ids in the journal, newest first. */
long *sw_deploy_ids(struct sw_store *st, size_t *n);

#endif
