/* The four DORA figures (deploy frequency, lead time for changes, change
 * failure rate, time to restore) drawn from slipway's own deploy journal
 * and the repository's commit times, per environment, over a window. */
#ifndef SLIPWAY_DORA_H
#define SLIPWAY_DORA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slipway/deploy.h"
#include "slipway/util.h"

struct sw_repo;
struct sw_store;
struct cJSON;

/* Where commit times come from: git in slipway, a table in tests. */
struct sw_dora_source {
	/* The committer times (ms, allocated) of the commits a deploy of to
	 * brought to an environment that served from before: those reachable
	 * from to and not from from; with from "" (a first deploy), to alone.
	 * -1 when a commit is unknown. */
	int (*commits)(void *ctx, const char *from, const char *to, int64_t **times_ms, size_t *n);
	void *ctx;
};

struct sw_dora_figures {
	char *environment;
	size_t deploys;			/* deploys (not rollbacks) that ended in the window */
	/* Deploy frequency: succeeded deploys, not rollbacks. */
	size_t succeeded;
	double per_day, per_week;
	/* Lead time for changes, over every commit the succeeded deploys brought. */
	size_t lead_commits, lead_deploys;	/* deploys that brought a commit; 0 commits: no figure */
	int64_t lead_median_ms;
	/* Change failure rate: rolled back, failed or interrupted over all ended. */
	size_t failed, finished;	/* 0 finished: no figure */
	/* Time to restore: each failure until the next succeeded deploy or rollback. */
	size_t restored, unrestored;	/* both 0: no figure */
	int64_t restore_median_ms;	/* when restored > 0 */
};

struct sw_dora_report {
	int64_t since_ms, now_ms;
	struct sw_dora_figures *envs;	/* by name; only environments with a deploy in the window */
	size_t n;
	struct strlist warnings;	/* deploys left out of the lead time, and why */
};

/* The figures of the deploys and rollbacks in recs (any order) that ended
 * in [since_ms, now_ms]; the ones before count only as what an
 * environment served already and as restorations.  env: one environment
 * (reported even when empty), or NULL for all. */
void sw_dora_compute(const struct sw_deploy_record *recs, size_t n, int64_t since_ms, int64_t now_ms, const char *env,
		     const struct sw_dora_source *src, struct sw_dora_report *out);
/* The same from the store's journal and the repository's commits; the
 * journal's unreadable records are named in warnings (may be NULL). */
void sw_dora_from_store(struct sw_repo *repo, struct sw_store *st, int64_t since_ms, int64_t now_ms, const char *env,
			struct sw_dora_report *out, struct strlist *warnings);
void sw_dora_report_free(struct sw_dora_report *r);
struct cJSON *sw_dora_report_to_json(const struct sw_dora_report *r);

/* The median of n values (sorted in place); of an even count, the mean of
 * the two middle ones.  0 when n is 0. */
int64_t sw_dora_median(int64_t *v, size_t n);
/* "Nd", "Nw" or "Nh" (N > 0) into ms, and "30 days" into name.  -1 when it
 * is none of these. */
int sw_dora_parse_window(const char *text, int64_t *ms, char *name, size_t size);
/* "45 s", "12m 05s", "2h 05m", "3d 4h". */
void sw_dora_format_span(int64_t ms, char *out, size_t size);
/* The report's figures for env (NULL: the first) on one line, as the
 * Deploys panel shows them: "last 30 days: 3 deploys, 0.10 a day · lead
 * time 2h 05m · failure rate 33% (1 of 3) · restore 12m 05s".  Allocated. */
char *sw_dora_summary(const struct sw_dora_report *r, const char *env, const char *window);

#endif
