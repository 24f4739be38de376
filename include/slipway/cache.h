/* A stage's "cache": paths kept between runs in .git/slipway/cache/<key>/,
 * keyed on the content of files, restored before the stage and saved
 * after it passed. */
#ifndef SLIPWAY_CACHE_H
#define SLIPWAY_CACHE_H

#include <stdbool.h>

#include "slipway/config.h"
#include "slipway/util.h"

#define SW_CACHE_ENTRIES_MAX 20
#define SW_CACHE_TOTAL_MAX (2ull << 30)
#define SW_CACHE_ENTRY_MAX (1ull << 30)

/* One entry of a stage's cache, as the run uses it. */
struct sw_cache_use {
	const struct sw_cache_spec *spec;
	char *target;			/* absolute path of the cached tree */
	char key[41];			/* hex; empty when a key file is missing */
	bool hit;
};

struct sw_cache {
	char *dir;			/* .git/slipway/cache */
	char *workdir;			/* the run's work tree */
	char *home;			/* what "~/" means */
};

/* Before the stage: works out each entry's key and restores the hits.
 * Adds a line per entry to log ("cache hit .venv (key 3f2a1c9…)") and to
 * warn what the run should know (a missing key file).  Returns the uses,
 * *n of them, for sw_cache_save. */
struct sw_cache_use *sw_cache_restore(const struct sw_cache *c, const struct sw_stage_config *sc,
				      size_t *n, struct sbuf *log, struct strlist *warn);
/* After the stage passed: saves what missed, then drops the least
 * recently used entries beyond the bounds. */
void sw_cache_save(const struct sw_cache *c, struct sw_cache_use *uses, size_t n, struct sbuf *log);
void sw_cache_uses_free(struct sw_cache_use *uses, size_t n);

#endif
