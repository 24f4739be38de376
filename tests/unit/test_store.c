/* Unit tests of the run store: records round-trip, ids increase, a dead
 * executor reads as interrupted, the index and retention, a record a power
 * loss emptied. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/deploy_internal.h"
#include "slipway/store.h"
#include "unit.h"

static const char sha_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char sha_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static char *temp_dir(void)
{
	char *dir = xstrdup("/tmp/sw-store-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	return dir;
}

static void make_record(struct sw_run_record *rec, const char *sha, const char *branch)
{
	memset(rec, 0, sizeof *rec);
	rec->branch = xstrdup(branch);
	memcpy(rec->commit, sha, 41);
	rec->trigger = xstrdup("manual");
	rec->status = SW_RUN_QUEUED;
	rec->created_ms = 1764087645000;
	rec->nstages = 2;
	rec->stages = xcalloc(2, sizeof *rec->stages);
	rec->stages[0].name = xstrdup("lint");
	rec->stages[1].name = xstrdup("test");
	rec->stages[0].exit_code = rec->stages[1].exit_code = -1;
}

/* A finished run of sha on branch, its lock let go; returns its id. */
static long add_run(struct sw_store *st, const char *sha, const char *branch, enum sw_run_status status)
{
	struct sw_run_record rec;
	char *err = NULL;
	int lock;
	make_record(&rec, sha, branch);
	CHECK_INT(sw_store_create(st, &rec, &lock, NULL, &err), 0);
	rec.status = status;
	sw_store_save(st, &rec, false);
	close(lock);
	long id = rec.id;
	sw_run_record_free(&rec);
	return id;
}

static void create_and_load(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	struct sw_run_record rec, back;
	make_record(&rec, sha_a, "feature/\033[31mx");
	int lock = -1;
	CHECK_INT(sw_store_create(st, &rec, &lock, NULL, &err), 0);
	CHECK_INT(rec.id, 1);
	rec.status = SW_RUN_RUNNING;
	rec.stages[0].status = SW_STAGE_PASSED;
	rec.stages[0].duration_ms = 1234;
	rec.stages[0].reason = xstrdup("bad \xff byte");
	CHECK_INT(sw_store_save(st, &rec, false), 0);
	CHECK_INT(sw_store_load(st, 1, &back, &err), 0);
	CHECK_INT(back.status, SW_RUN_RUNNING);
	CHECK_STR(back.branch, "feature/\033[31mx");
	CHECK_STR(back.stages[0].reason, "bad \xef\xbf\xbd byte");
	CHECK_INT(back.stages[0].duration_ms, 1234);
	sw_run_record_free(&back);
	close(lock);	/* the executor is gone: the next reader says so */
	CHECK_INT(sw_store_load(st, 1, &back, &err), 0);
	CHECK_INT(back.status, SW_RUN_INTERRUPTED);
	CHECK_INT(back.stages[1].status, SW_STAGE_CANCELLED);
	sw_run_record_free(&back);
	sw_run_record_free(&rec);
	CHECK_INT(sw_store_load(st, 7, &back, &err), -1);
	CHECK_STR(err, "no run 7");
	free(err);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

/* The executor's last save and its exit, played at the instant a reader
 * checks the lock: flock is the test's own, so the race is not left to
 * chance.  The store's flock calls come here before libc's. */
static struct {
	struct sw_store *st;
	struct sw_run_record *last;
	int lock;

	struct sw_deploy_record *last_deploy;
} finishing;

int flock(int fd, int op)
{
	if (finishing.last && op == (LOCK_SH | LOCK_NB)) {
		struct sw_run_record *last = finishing.last;
		finishing.last = NULL;
		sw_store_save(finishing.st, last, true);
		close(finishing.lock);
	}
	if (finishing.last_deploy && op == (LOCK_SH | LOCK_NB)) {
		struct sw_deploy_record *last = finishing.last_deploy;
		finishing.last_deploy = NULL;
		sw_deploy_save(finishing.st, last, true);
		close(finishing.lock);
	}
	return (int)syscall(SYS_flock, fd, op);
}

static void run_ending_while_read_is_not_interrupted(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	struct sw_run_record rec, back;
	make_record(&rec, sha_a, "main");
	int lock = -1;
	CHECK_INT(sw_store_create(st, &rec, &lock, NULL, &err), 0);
	rec.status = SW_RUN_RUNNING;
	rec.stages[0].status = SW_STAGE_PASSED;
	rec.stages[1].status = SW_STAGE_RUNNING;
	CHECK_INT(sw_store_save(st, &rec, false), 0);
	rec.status = SW_RUN_PASSED;
	rec.stages[1].status = SW_STAGE_PASSED;
	finishing.st = st;
	finishing.lock = lock;
	finishing.last = &rec;
	CHECK_INT(sw_store_load(st, rec.id, &back, &err), 0);
	CHECK(finishing.last == NULL);
	CHECK_INT(back.status, SW_RUN_PASSED);
	CHECK_INT(back.stages[1].status, SW_STAGE_PASSED);
	sw_run_record_free(&back);
	/* What the next reader finds on disk too. */
	sw_store_close(st);
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	CHECK_INT(sw_store_load(st, rec.id, &back, &err), 0);
	CHECK_INT(back.status, SW_RUN_PASSED);
	sw_run_record_free(&back);
	sw_run_record_free(&rec);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

/* The same race for a deploy's journal entry. */
static void deploy_ending_while_read_is_not_interrupted(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	struct sw_deploy_record rec = {.id = 1, .status = SW_DEPLOY_RUNNING, .started_ms = 1764087645000};
	rec.environment = xstrdup("production");
	rec.target = xstrdup("local");
	memcpy(rec.commit, sha_a, 41);
	char *ddir = xasprintf("%s/%s/1", sw_store_root(st), DEPLOYS_DIR), *lp = xasprintf("%s/%s", ddir, DEPLOY_LOCK);
	CHECK_INT(sw_mkdirs(ddir, 0755), 0);
	int lock = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	CHECK(lock >= 0 && syscall(SYS_flock, lock, LOCK_EX) == 0);
	CHECK_INT(sw_deploy_save(st, &rec, true), 0);
	rec.status = SW_DEPLOY_SUCCEEDED;
	rec.finished_ms = rec.started_ms + 1000;
	finishing.st = st;
	finishing.lock = lock;
	finishing.last_deploy = &rec;
	struct sw_deploy_record back;
	CHECK_INT(sw_deploy_load(st, 1, &back, &err), 0);
	CHECK(finishing.last_deploy == NULL);
	CHECK_INT(back.status, SW_DEPLOY_SUCCEEDED);
	sw_deploy_record_free(&back);
	CHECK_INT(sw_deploy_load(st, 1, &back, &err), 0);
	CHECK_INT(back.status, SW_DEPLOY_SUCCEEDED);
	sw_deploy_record_free(&back);
	sw_deploy_record_free(&rec);
	free(lp);
	free(ddir);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

static void json_contract(void)
{
	struct sw_run_record rec;
	make_record(&rec, sha_a, "main");
	rec.id = 3;
	cJSON *o = sw_run_record_to_json(&rec);
	static const char *const keys[] = {"schema", "id", "branch", "commit", "trigger", "status",
					   "started_at", "finished_at", "stages", "metrics", "gates",
					   "missing_secrets"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		CHECK(cJSON_GetObjectItemCaseSensitive(o, keys[i]) != NULL);
	cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "stages"), 0);
	static const char *const skeys[] = {"name", "status", "started_at", "finished_at",
					    "exit_code", "reason", "duration_ms"};
	for (size_t i = 0; i < sizeof skeys / sizeof *skeys; i++)
		CHECK(cJSON_GetObjectItemCaseSensitive(st, skeys[i]) != NULL);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(o, "status")->valuestring, "queued");
	cJSON_Delete(o);
	sw_run_record_free(&rec);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	struct sbuf sb;
	sbuf_init(&sb);
	char buf[4096];
	size_t n;
	while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(&sb, buf, n);
	if (f)
		fclose(f);
	return sbuf_detach(&sb);
}

/* Each save writes what the record holds now, byte for byte what the
 * uncached form prints, though stage texts are reused between saves. */
static void saves_reuse_no_stale_stage(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	struct sw_run_record rec;
	make_record(&rec, sha_a, "main");
	int lock = -1;
	CHECK_INT(sw_store_create(st, &rec, &lock, NULL, &err), 0);
	char *path = xasprintf("%s/slipway/runs/%ld/run.json", dir, rec.id);
	for (int step = 0; step < 6; step++) {
		struct sw_stage_record *s = &rec.stages[step % 2];
		switch (step) {
		case 1: s->status = SW_STAGE_RUNNING; break;
		case 2: s->reason = xstrdup("exit code 1"); s->exit_code = 1; break;
		case 3: s->log_bytes = 42; break;
		case 4: s->reason[0] = 'E'; break;	/* same pointer, new text */
		case 5: s->duration_ms = 7; s->status = SW_STAGE_PASSED; break;
		}
		CHECK_INT(sw_store_save(st, &rec, false), 0);
		cJSON *o = sw_run_record_to_json(&rec);
		char *want = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		char *got = read_text(path);
		got[strcspn(got, "\n")] = 0;
		CHECK_STR(got, want);
		free(got);
		free(want);
	}
	struct sw_run_record back;
	CHECK_INT(sw_store_load(st, rec.id, &back, &err), 0);
	CHECK_STR(back.stages[0].reason, "Exit code 1");
	CHECK_INT(back.stages[1].duration_ms, 7);
	CHECK_INT(back.stages[1].log_bytes, 42);
	sw_run_record_free(&back);
	close(lock);
	free(path);
	sw_run_record_free(&rec);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

static void index_and_gc(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	for (int i = 0; i < 5; i++) {
		const char *sha = i == 0 ? sha_b : sha_a;
		sw_store_index_commit(st, sha, add_run(st, sha, "x", SW_RUN_PASSED));
	}
	CHECK_INT(sw_store_last_for_commit(st, sha_a), 5);
	CHECK_INT(sw_store_last_for_commit(st, sha_b), 1);
	struct strlist heads = {0};
	strlist_add(&heads, sha_b);
	CHECK_INT(sw_store_gc(st, 2, &heads), 3);
	size_t n;
	long *ids = sw_store_list(st, &n);
	CHECK_INT(n, 2);
	CHECK_INT(ids[0], 1);	/* the last run of a branch head is kept */
	CHECK_INT(ids[1], 5);
	free(ids);
	strlist_free(&heads);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

static void last_passed_of_a_branch(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	static const char *const branch[] = {"main", "main", "feature", "main"};
	static const enum sw_run_status status[] = {SW_RUN_PASSED, SW_RUN_FAILED, SW_RUN_PASSED, SW_RUN_PASSED};
	for (int i = 0; i < 4; i++)
		add_run(st, sha_a, branch[i], status[i]);
	struct sw_run_record got;
	CHECK(sw_store_last_passed(st, "main", 0, &got));
	CHECK_INT(got.id, 4);
	sw_run_record_free(&got);
	CHECK(sw_store_last_passed(st, "main", 4, &got));	/* the run shown is left out */
	CHECK_INT(got.id, 1);
	sw_run_record_free(&got);
	CHECK(!sw_store_last_passed(st, "release", 0, &got));
	struct sw_run_record *runs;
	size_t n = sw_store_history(st, "main", 2, &runs, NULL);
	CHECK_INT(n, 2);
	CHECK_INT(runs[0].id, 4);
	CHECK_INT(runs[1].id, 2);
	sw_run_records_free(runs, n);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

static void expect_id(struct sw_store *st, const char *text, long want)
{
	long id = 0;
	char *err = NULL;
	CHECK_INT(sw_store_parse_id(st, text, &id, &err), 0);
	CHECK_INT(id, want);
	free(err);
}

static void expect_bad_id(struct sw_store *st, const char *text, const char *why)
{
	long id = 0;
	char *err = NULL;
	CHECK_INT(sw_store_parse_id(st, text, &id, &err), -1);
	CHECK_STR(err, why);
	free(err);
}

/* One reading of a run id for the commands and the dashboard's prompt. */
static void run_ids_as_people_write_them(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	expect_bad_id(st, "latest", "no run yet, so no latest one");
	CHECK_INT(sw_store_latest(st, "main"), 0);
	add_run(st, sha_a, "main", SW_RUN_PASSED);
	add_run(st, sha_b, "feature", SW_RUN_FAILED);
	expect_id(st, "latest", 2);
	expect_id(st, "1", 1);
	expect_id(st, "#12", 12);
	CHECK_INT(sw_store_latest(st, "main"), 1);
	CHECK_INT(sw_store_latest(st, "feature"), 2);
	CHECK_INT(sw_store_latest(st, NULL), 2);
	CHECK_INT(sw_store_latest(st, "release"), 0);
	expect_bad_id(st, "abc", "\"abc\" is not a run id (a number, #N or latest)");
	static const char *const bad[] = {"", "#", "0", "-1", "+1", " 1", "1x", "#latest", "Latest",
					  "99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		long id = 0;
		CHECK_INT(sw_store_parse_id(st, bad[i], &id, &err), -1);
		free(err);
		err = NULL;
	}
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

/* Finished records are read once and then copied, but never stale: a file
 * replaced under the same id is read again, a removed run is gone. */
static void finished_runs_are_cached_not_stale(void)
{
	char *dir = temp_dir();
	struct sw_store *st, *other;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	CHECK_INT(sw_store_open(&other, dir, &err), 0);
	struct sw_run_record rec, back;
	make_record(&rec, sha_a, "main");
	int lock;
	CHECK_INT(sw_store_create(st, &rec, &lock, NULL, &err), 0);
	close(lock);
	rec.status = SW_RUN_PASSED;
	rec.stages[0].reason = xstrdup("first");
	sw_store_save(st, &rec, false);
	for (int i = 0; i < 2; i++) {
		CHECK_INT(sw_store_load(st, 1, &back, &err), 0);
		CHECK_STR(back.stages[0].reason, "first");
		CHECK_STR(back.branch, "main");
		sw_run_record_free(&back);
	}
	free(rec.stages[0].reason);
	rec.stages[0].reason = xstrdup("second");
	sw_store_save(other, &rec, false);	/* another process rewrites it */
	CHECK_INT(sw_store_load(st, 1, &back, &err), 0);
	CHECK_STR(back.stages[0].reason, "second");
	sw_run_record_free(&back);
	char *run = sw_store_run_dir(st, 1);
	sw_remove_tree(run);
	free(run);
	size_t n;
	free(sw_store_list(st, &n));
	CHECK_INT(n, 0);
	CHECK_INT(sw_store_load(st, 1, &back, &err), -1);
	free(err);
	sw_run_record_free(&rec);
	sw_store_close(other);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

/* Out-of-range numbers in a hand-edited record are taken as absent, never
 * cast (undefined behaviour, caught by -fsanitize=float-cast-overflow). */
static void out_of_range_numbers_are_dropped(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	char *run = xasprintf("%s/slipway/runs/7", dir);
	CHECK_INT(sw_mkdirs(run, 0755), 0);
	char *path = xasprintf("%s/run.json", run);
	const char *text = "{\"schema\": 1, \"id\": 7, \"commit\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
			   " \"status\": \"passed\", \"executor_pid\": 1e300, \"session\": -1e300,"
			   " \"stages\": [{\"name\": \"a\", \"status\": \"passed\", \"duration_ms\": 1e300,"
			   " \"log_bytes\": -1e300, \"exit_code\": 1e20}],"
			   " \"metrics\": {\"tests\": {\"passed\": 1e300, \"failed\": -1e300}}}";
	CHECK_INT(sw_write_atomic(path, text, strlen(text), false), 0);
	struct sw_run_record rec;
	CHECK_INT(sw_store_load(st, 7, &rec, &err), 0);
	CHECK_INT(rec.id, 7);
	CHECK_INT(rec.executor_pid, 0);
	CHECK_INT(rec.stages[0].duration_ms, 0);
	CHECK_INT(rec.stages[0].log_bytes, 0);
	CHECK_INT(rec.stages[0].exit_code, -1);
	sw_run_record_free(&rec);
	free(path);
	free(run);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

/* What a power loss can leave of saves that were not fsync'ed (they are
 * swapped in with RENAME_EXCHANGE, which ext4's auto_da_alloc does not
 * cover): a run.json that names an empty or a zeroed file. */
static void lose_power(struct sw_store *st, long id, size_t len)
{
	char *run = sw_store_run_dir(st, id);
	char *path = xasprintf("%s/run.json", run);
	free(run);
	char *zeros = xcalloc(1, len + 1);
	CHECK_INT(sw_write_atomic(path, zeros, len, false), 0);
	free(zeros);
	free(path);
}

/* The status in run.json itself, or -1 when it is not a record. */
static int status_on_disk(struct sw_store *st, long id)
{
	char *run = sw_store_run_dir(st, id);
	char *path = xasprintf("%s/run.json", run);
	size_t len;
	char *text = sw_read_file(path, &len);
	struct sw_run_record rec;
	int status = text && sw_run_record_parse(text, len, &rec) == 0 ? (int)rec.status : -1;
	if (status >= 0)
		sw_run_record_free(&rec);
	free(text);
	free(path);
	free(run);
	return status;
}

/* Such a record reads as the version saved durably last (the start, then
 * the end), and is put back once the run is over; the saves in between
 * leave nothing else in the run's directory. */
static void empty_record_reads_as_the_durable_one(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	struct sw_run_record rec, back;
	make_record(&rec, sha_a, "main");
	int lock;
	CHECK_INT(sw_store_create(st, &rec, &lock, NULL, &err), 0);
	rec.status = SW_RUN_RUNNING;
	for (int i = 0; i < 3; i++) {
		rec.stages[0].duration_ms = i;
		CHECK_INT(sw_store_save(st, &rec, false), 0);
	}
	lose_power(st, rec.id, 0);
	CHECK_INT(sw_store_load(st, rec.id, &back, &err), 0);
	CHECK_INT(back.status, SW_RUN_QUEUED);	/* as created: the saves since are lost */
	CHECK_STR(back.branch, "main");
	sw_run_record_free(&back);
	lose_power(st, rec.id, 300);
	close(lock);	/* the power went: no executor holds the run */
	CHECK_INT(sw_store_load(st, rec.id, &back, &err), 0);
	CHECK_INT(back.status, SW_RUN_INTERRUPTED);
	sw_run_record_free(&back);
	CHECK_INT(status_on_disk(st, rec.id), SW_RUN_INTERRUPTED);	/* put back */

	rec.status = SW_RUN_PASSED;	/* a run's end is saved durably */
	CHECK_INT(sw_store_save(st, &rec, true), 0);
	lose_power(st, rec.id, 0);
	CHECK_INT(sw_store_load(st, rec.id, &back, &err), 0);
	CHECK_INT(back.status, SW_RUN_PASSED);
	sw_run_record_free(&back);
	CHECK_INT(status_on_disk(st, rec.id), SW_RUN_PASSED);

	char *run = sw_store_run_dir(st, rec.id);
	DIR *d = opendir(run);
	struct dirent *de;
	while (d && (de = readdir(d)))
		CHECK(!strstr(de->d_name, ".tmp."));
	if (d)
		closedir(d);
	free(run);
	sw_run_record_free(&rec);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

static void default_stage_is_the_one_that_matters(void)
{
	char setup[] = "setup", lint[] = "lint", test[] = "test", image[] = "image";
	struct sw_stage_record st[4] = {
		{.name = setup, .status = SW_STAGE_PASSED, .started_ms = 1},
		{.name = lint, .status = SW_STAGE_FAILED, .started_ms = 2, .allowed_failure = true},
		{.name = test, .status = SW_STAGE_PASSED, .started_ms = 3},
		{.name = image, .status = SW_STAGE_PENDING},
	};
	struct sw_run_record rec = {.stages = st, .nstages = 4};
	CHECK_INT(sw_run_default_stage(&rec), 1);
	st[2].status = SW_STAGE_FAILED;
	CHECK_INT(sw_run_default_stage(&rec), 2);
	st[1].status = SW_STAGE_PASSED;
	st[2].status = SW_STAGE_RUNNING;
	CHECK_INT(sw_run_default_stage(&rec), 2);
	st[0].started_ms = st[1].started_ms = st[2].started_ms = 0;
	st[2].status = SW_STAGE_PENDING;
	CHECK_INT(sw_run_default_stage(&rec), 0);
	rec.nstages = 0;
	CHECK_INT(sw_run_default_stage(&rec), 0);
}

/* A --stage run passed only the stages it ran: its record says so, it
 * reads "passed (lint only)", and it is never the branch's green run. */
static void partial_run_is_never_green(void)
{
	char *dir = temp_dir();
	struct sw_store *st;
	char *err = NULL;
	CHECK_INT(sw_store_open(&st, dir, &err), 0);
	add_run(st, sha_a, "main", SW_RUN_PASSED);
	struct sw_run_record rec, got;
	int lock;
	make_record(&rec, sha_b, "main");
	rec.partial = true;
	rec.only_stage = xstrdup("lint");
	CHECK_INT(sw_store_create(st, &rec, &lock, NULL, &err), 0);
	rec.status = SW_RUN_PASSED;
	sw_store_save(st, &rec, false);
	close(lock);
	CHECK_STR(sw_run_status_text(&rec).text, "passed (lint only)");
	CHECK(!sw_run_green(&rec));
	CHECK_INT(sw_store_load(st, rec.id, &got, &err), 0);
	CHECK(got.partial);
	CHECK_STR(got.only_stage, "lint");
	CHECK_STR(sw_run_status_text(&got).text, "passed (lint only)");
	sw_run_record_free(&got);
	CHECK(sw_store_last_passed(st, "main", 0, &got));
	CHECK_INT(got.id, 1);
	CHECK(sw_run_green(&got));
	CHECK_STR(sw_run_status_text(&got).text, "passed");
	sw_run_record_free(&got);
	CHECK(!sw_store_last_passed(st, "main", 1, &got));
	sw_run_record_free(&rec);
	sw_store_close(st);
	sw_remove_tree(dir);
	free(dir);
}

int main(void)
{
	RUN_TEST(create_and_load);
	RUN_TEST(run_ending_while_read_is_not_interrupted);
	RUN_TEST(deploy_ending_while_read_is_not_interrupted);
	RUN_TEST(json_contract);
	RUN_TEST(saves_reuse_no_stale_stage);
	RUN_TEST(index_and_gc);
	RUN_TEST(last_passed_of_a_branch);
	RUN_TEST(partial_run_is_never_green);
	RUN_TEST(run_ids_as_people_write_them);
	RUN_TEST(finished_runs_are_cached_not_stale);
	RUN_TEST(out_of_range_numbers_are_dropped);
	RUN_TEST(empty_record_reads_as_the_durable_one);
	RUN_TEST(default_stage_is_the_one_that_matters);
	UNIT_EXIT();
}
