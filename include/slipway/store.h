/* The run store: .git/slipway/runs/<id>/ with run.json (replaced atomically
 * at every change), one log per stage, kept reports and the executor's own
 * diagnostics; an index from commit to its last run. */
#ifndef SLIPWAY_STORE_H
#define SLIPWAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slipway/metrics.h"
#include "slipway/util.h"

enum sw_run_status {
	SW_RUN_QUEUED,
	SW_RUN_RUNNING,
	SW_RUN_PASSED,
	SW_RUN_FAILED,
	SW_RUN_CANCELLED,
	SW_RUN_INTERRUPTED,
};

enum sw_stage_status {
	SW_STAGE_PENDING,
	SW_STAGE_RUNNING,
	SW_STAGE_PASSED,
	SW_STAGE_FAILED,
	SW_STAGE_SKIPPED,
	SW_STAGE_CANCELLED,
};

struct sw_stage_record {
	char *name;
	enum sw_stage_status status;
	int64_t started_ms, finished_ms;	/* 0 when not yet */
	int exit_code;				/* -1 when none */
	char *reason;				/* why it failed or was skipped; may be NULL */
	int64_t duration_ms;
	int64_t log_bytes;
	bool allowed_failure;			/* failed, but its "allow_failure" let the run go on */
	char *image;				/* a push stage's pushed name, or NULL */
	char *digest;				/* and its manifest's digest, "sha256:...", or NULL */
};

struct sw_gate_result {
	char *name;
	double limit;
	bool measured;
	double actual;
	bool passed;
};

struct sw_run_record {
	long id;
	char *branch;
	char commit[41];
	char *trigger;
	enum sw_run_status status;
	int64_t created_ms, started_ms, finished_ms;
	struct sw_stage_record *stages;
	size_t nstages;
	struct sw_metrics metrics;
	struct sw_gate_result *gates;
	size_t ngates;
	struct strlist missing_secrets;
	struct strlist warnings;
	int executor_pid;
	int session;				/* the run's session id: every process it started */
	char *subject;				/* the commit's subject, for lists */
	bool partial;				/* a --stage run: the stages up to only_stage */
	char *only_stage;			/* NULL unless partial */
};

struct sw_store;

/* Opens (creating) the store under gitdir/slipway.  -1 with *err. */
int sw_store_open(struct sw_store **out, const char *gitdir, char **err);
void sw_store_close(struct sw_store *st);
const char *sw_store_root(const struct sw_store *st);
/* Allocated paths: the run's directory, a stage's log, the reports dir. */
char *sw_store_run_dir(const struct sw_store *st, long id);
char *sw_store_log_path(const struct sw_store *st, long id, const char *stage);
char *sw_store_reports_dir(const struct sw_store *st, long id);

/* Gives rec a new id, creates its directory and writes run.json durably,
 * with room reserved for its last saves (sw_store_release_reserve).  The
 * returned fd holds the run's liveness lock (see sw_store_load); the
 * executor keeps it open for the run's whole life.  With busy, when the
 * commit's last run is still queued or running, creates nothing and sets
 * *busy to its id (0 otherwise): check and creation are one locked step.
 * On failure nothing is left behind; -1 with *err. */
int sw_store_create(struct sw_store *st, struct sw_run_record *rec, int *lock_fd, long *busy, char **err);
/* Gives back the room reserved beside a run's record: the disk is full
 * and its last saves need it, or the run has ended. */
void sw_store_release_reserve(struct sw_store *st, long id);
/* Replaces run.json atomically; durable adds fsync of file and directory,
 * and keeps that version as run.durable.json for sw_store_load to fall
 * back on (sw_write_kept). */
int sw_store_save(struct sw_store *st, const struct sw_run_record *rec, bool durable);
/* Reads a run.  A run recorded queued/running whose executor no longer
 * holds its lock is rewritten as interrupted before it is returned.  A
 * run.json found empty or cut short (a power loss) reads as the version
 * saved durably last.
 * -1 with *err when the run does not exist or cannot be read. */
int sw_store_load(struct sw_store *st, long id, struct sw_run_record *rec, char **err);
/* A run record from run.json's text (len bytes).  -1 when it is not one;
 * rec then holds nothing to free. */
int sw_run_record_parse(const char *text, size_t len, struct sw_run_record *rec);
/* Run ids, ascending. */
long *sw_store_list(struct sw_store *st, size_t *n);
/* A run as people name it, wherever they do (the commands, the dashboard's
 * `:` prompt): "12", "#12", or "latest", the newest run of any branch.
 * 0 with *id; -1 with *err when text is none of these or there is no run. */
int sw_store_parse_id(struct sw_store *st, const char *text, long *id, char **err);
/* The newest run of branch (NULL: of any branch); 0 when there is none. */
long sw_store_latest(struct sw_store *st, const char *branch);
/* Run records, newest first: of one branch (NULL: every one), at most limit
 * (< 0: all).  Records that cannot be read are named in warnings. */
size_t sw_store_history(struct sw_store *st, const char *branch, long limit, struct sw_run_record **runs,
			struct strlist *warnings);
/* The newest green run (sw_run_green) of branch other than run except
 * (0: none), read from the newest back; false when there is none. */
bool sw_store_last_passed(struct sw_store *st, const char *branch, long except, struct sw_run_record *rec);
void sw_run_records_free(struct sw_run_record *runs, size_t n);
/* dst becomes a deep copy of src. */
void sw_run_record_copy(struct sw_run_record *dst, const struct sw_run_record *src);
/* The last run of a commit, from the index; 0 when none. */
long sw_store_last_for_commit(struct sw_store *st, const char *sha);
void sw_store_index_commit(struct sw_store *st, const char *sha, long id);
/* Removes the oldest runs beyond keep, sparing runs in progress and the
 * last run of each commit in keep_heads.  Returns how many were removed. */
int sw_store_gc(struct sw_store *st, int keep, const struct strlist *keep_heads);
/* The executor of the run still holds its lock. */
bool sw_store_run_alive(struct sw_store *st, long id);

void sw_run_record_free(struct sw_run_record *rec);
/* What a push stage pushed, as the faces show it: "pushed NAME sha256:" and
 * the digest's first 12 hex digits, as docker shortens ids ("pushed NAME"
 * without a digest); NULL for a stage that pushed nothing.  Allocated. */
char *sw_stage_pushed_text(const struct sw_stage_record *s);
/* Adds s to o as the records keep strings: invalid UTF-8 replaced, NULL
 * as null (run.json and the merge records alike). */
void sw_json_add_clean_string(struct cJSON *o, const char *key, const char *s);
struct cJSON *sw_run_record_to_json(const struct sw_run_record *rec);
const char *sw_run_status_name(enum sw_run_status s);
/* A run's status as people read it wherever it is shown: "passed", or for
 * a partial run "passed (lint only)".  A value, so that one call fits in
 * an argument list: sw_run_status_text(rec).text. */
struct sw_status_text {
	char text[96];
};
struct sw_status_text sw_run_status_text(const struct sw_run_record *rec);
/* The run passed whole: the green run that merge and deploy need and
 * that main's metrics are compared with.  A partial run never is. */
bool sw_run_green(const struct sw_run_record *rec);
const char *sw_stage_status_name(enum sw_stage_status s);
bool sw_run_status_final(enum sw_run_status s);
/* The stage record named name, or NULL. */
struct sw_stage_record *sw_run_find_stage(const struct sw_run_record *rec, const char *name);
/* The stage a run opens on wherever one is shown (`slipway log RUN`, :log,
 * the dashboard's cursor): the first that failed the run, else the first
 * allowed to fail that did, else the last started, else the first.  Its
 * index, or rec->nstages when the run has no stages. */
size_t sw_run_default_stage(const struct sw_run_record *rec);

#endif
