/* Run records on disk: atomic run.json, per-stage logs, liveness locks and
 * the commit index.  Readers never see a half-written record. */
#include "slipway/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "command.h"
#include "record.h"
#include "session.h"

/* A stage's JSON text as last saved, with the stage it was printed from:
 * an executor rewrites run.json at every stage, and printing the finished
 * stages' numbers and times again each time was most of a save's cost. */
struct stage_text {
	struct sw_stage_record was;	/* name and reason are copies */
	char *json;
};

/* A finished run's record as read: finished records never change (only
 * gc removes them), so a dashboard walking the runs at every change parses
 * each once.  The file's identity is kept too, in case an id comes back. */
struct cached_run {
	long id;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct sw_run_record rec;
};

struct sw_store {
	char *root;	/* gitdir/slipway */
	char *runs;	/* root/runs */
	char *index;	/* root/index */
	long texts_run;			/* the run the texts are of */
	struct stage_text *texts;
	size_t ntexts;
	struct cached_run *cache;
	size_t ncache;
};

int sw_store_open(struct sw_store **out, const char *gitdir, char **err)
{
	struct sw_store *st = xcalloc(1, sizeof *st);
	st->root = xasprintf("%s/slipway", gitdir);
	st->runs = xasprintf("%s/runs", st->root);
	st->index = xasprintf("%s/index", st->root);
	int r = sw_mkdirs(st->runs, 0755);
	if (!r)
		r = sw_mkdirs(st->index, 0755);
	if (r) {
		*err = xasprintf("%s: cannot create the run store: %s", st->root, strerror(-r));
		sw_store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

static void forget_stage_texts(struct sw_store *st)
{
	for (size_t i = 0; i < st->ntexts; i++) {
		free(st->texts[i].was.name);
		free(st->texts[i].was.reason);
		free(st->texts[i].was.image);
		free(st->texts[i].was.digest);
		free(st->texts[i].json);
	}
	free(st->texts);
	st->texts = NULL;
	st->ntexts = 0;
}

void sw_store_close(struct sw_store *st)
{
	if (!st)
		return;
	forget_stage_texts(st);
	for (size_t i = 0; i < st->ncache; i++)
		sw_run_record_free(&st->cache[i].rec);
	free(st->cache);
	free(st->root);
	free(st->runs);
	free(st->index);
	free(st);
}

const char *sw_store_root(const struct sw_store *st)
{
	return st->root;
}

char *sw_store_run_dir(const struct sw_store *st, long id)
{
	return xasprintf("%s/%ld", st->runs, id);
}

char *sw_store_log_path(const struct sw_store *st, long id, const char *stage)
{
	return xasprintf("%s/%ld/logs/%s.log", st->runs, id, stage);
}

char *sw_store_reports_dir(const struct sw_store *st, long id)
{
	return xasprintf("%s/%ld/reports", st->runs, id);
}

/* ---- files ---- */

/* Stage i of rec as JSON, printed again only when it changed since st last
 * printed it: the executor saves at every stage. */
static cJSON *stage_item(void *ctx, const struct sw_run_record *rec, size_t i)
{
	struct sw_store *st = ctx;
	const struct sw_stage_record *s = &rec->stages[i];
	if (st->texts_run != rec->id || st->ntexts != rec->nstages) {
		forget_stage_texts(st);
		st->texts = xcalloc(rec->nstages, sizeof *st->texts);
		st->ntexts = rec->nstages;
		st->texts_run = rec->id;
	}
	struct stage_text *t = &st->texts[i];
	if (!t->json || !sw_stage_record_same(&t->was, s)) {
		cJSON *o = sw_stage_record_json(s);
		free(t->json);
		t->json = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		free(t->was.name);
		free(t->was.reason);
		free(t->was.image);
		free(t->was.digest);
		t->was = *s;
		t->was.name = xstrdup_null(s->name);
		t->was.reason = xstrdup_null(s->reason);
		t->was.image = xstrdup_null(s->image);
		t->was.digest = xstrdup_null(s->digest);
	}
	return cJSON_CreateRaw(t->json);
}


/* run.json as last saved durably (a second name of that file while no
 * other save came since): the record a power loss cannot empty. */
static char *kept_path(struct sw_store *st, long id)
{
	return xasprintf("%s/%ld/run.durable.json", st->runs, id);
}

int sw_store_save(struct sw_store *st, const struct sw_run_record *rec, bool durable)
{
	cJSON *o = sw_record_json(rec, stage_item, st);
	/* Unformatted: it is rewritten at every stage, and printing dominates. */
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *path = xasprintf("%s/%ld/run.json", st->runs, rec->id);
	char *kept = kept_path(st, rec->id);
	size_t len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	int r = sw_write_kept(path, kept, text, len, durable);
	free(kept);
	free(path);
	free(text);
	return r;
}

static long max_run_id(struct sw_store *st)
{
	DIR *d = opendir(st->runs);
	long max = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char *end;
		long id = strtol(de->d_name, &end, 10);
		if (*end == '\0' && id > max)
			max = id;
	}
	if (d)
		closedir(d);
	return max;
}

static int lock_store(struct sw_store *st)
{
	char *path = xasprintf("%s/.lock", st->runs);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(path);
	if (fd >= 0)
		flock(fd, LOCK_EX);
	return fd;
}

static int make_run_dirs(struct sw_store *st, long id)
{
	char *dir = sw_store_run_dir(st, id);
	int r = mkdir(dir, 0755) ? -errno : 0;
	if (!r) {
		char *logs = xasprintf("%s/logs", dir), *reports = xasprintf("%s/reports", dir);
		r = sw_mkdirs(logs, 0755);
		if (!r)
			r = sw_mkdirs(reports, 0755);
		free(logs);
		free(reports);
	}
	free(dir);
	return r;
}

static int open_run_lock(struct sw_store *st, long id)
{
	char *path = xasprintf("%s/%ld/lock", st->runs, id);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(path);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Room kept beside a running record: when the disk fills, giving it back
 * lets the executor still write how the run ended. */
#define RESERVE_BYTES (1u << 20)

static int make_reserve(struct sw_store *st, long id)
{
	char *path = xasprintf("%s/%ld/reserve", st->runs, id);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return -errno;
	int r = posix_fallocate(fd, 0, RESERVE_BYTES);
	close(fd);
	return -r;
}

void sw_store_release_reserve(struct sw_store *st, long id)
{
	char *path = xasprintf("%s/%ld/reserve", st->runs, id);
	unlink(path);
	free(path);
}

/* The commit's last run, when it is still queued or running. */
static long busy_run(struct sw_store *st, const char *sha)
{
	long id = sw_store_last_for_commit(st, sha);
	struct sw_run_record rec;
	char *err = NULL;
	if (!id || sw_store_load(st, id, &rec, &err)) {
		free(err);
		return 0;
	}
	bool busy = !sw_run_status_final(rec.status);
	sw_run_record_free(&rec);
	return busy ? id : 0;
}

/* Under the store's lock, so that two starts on one commit at the same
 * instant make one run: the check and the index entry are one step. */
int sw_store_create(struct sw_store *st, struct sw_run_record *rec, int *lock_fd, long *busy, char **err)
{
	int sl = lock_store(st);
	*lock_fd = -1;
	if (busy && (*busy = busy_run(st, rec->commit))) {
		if (sl >= 0)
			close(sl);
		return 0;
	}
	long id = max_run_id(st) + 1;
	int r;
	while ((r = make_run_dirs(st, id)) == -EEXIST)
		id++;
	if (r == 0) {
		rec->id = id;
		*lock_fd = open_run_lock(st, id);
		r = *lock_fd < 0 ? -errno : sw_store_save(st, rec, true);
		if (r == 0)
			r = make_reserve(st, id);
		if (r == 0)
			sw_store_index_commit(st, rec->commit, id);
	}
	if (r) {
		*err = xasprintf("%s/%ld: cannot create the run: %s", st->runs, id, strerror(-r));
		/* Nothing half-made stays for history to warn about. */
		char *dir = sw_store_run_dir(st, id);
		sw_remove_tree(dir);
		free(dir);
		if (*lock_fd >= 0)
			close(*lock_fd);
		*lock_fd = -1;
		rec->id = 0;
	}
	if (sl >= 0)
		close(sl);
	return r ? -1 : 0;
}

bool sw_store_run_alive(struct sw_store *st, long id)
{
	char *path = xasprintf("%s/%ld/lock", st->runs, id);
	bool alive = sw_lock_held(path);
	free(path);
	return alive;
}

/* The executor is gone (its lock is free), and maybe its guardian too,
 * which would have ended what the run left running: the reader does it,
 * so that no process outlives its run whatever was killed in what order. */
static void mark_interrupted(struct sw_store *st, struct sw_run_record *rec)
{
	if (rec->session > 0)
		sw_session_end_orphans(rec->session, rec->created_ms);
	sw_store_release_reserve(st, rec->id);
	rec->status = SW_RUN_INTERRUPTED;
	if (!rec->finished_ms)
		rec->finished_ms = sw_now_ms();
	for (size_t i = 0; i < rec->nstages; i++) {
		struct sw_stage_record *s = &rec->stages[i];
		if (s->status != SW_STAGE_RUNNING && s->status != SW_STAGE_PENDING)
			continue;
		if (s->status == SW_STAGE_RUNNING)
			s->duration_ms = rec->finished_ms - s->started_ms;
		s->status = SW_STAGE_CANCELLED;
		free(s->reason);
		s->reason = xstrdup("interrupted: the run's executor stopped");
	}
	sw_store_save(st, rec, true);
}

static void drop_cached(struct sw_store *st, size_t i)
{
	sw_run_record_free(&st->cache[i].rec);
	st->cache[i] = st->cache[--st->ncache];
}

/* The cached record of run id if f is still the file it was read from. */
static const struct sw_run_record *cached(struct sw_store *st, long id, const struct stat *f)
{
	for (size_t i = 0; i < st->ncache; i++) {
		struct cached_run *c = &st->cache[i];
		if (c->id != id)
			continue;
		if (c->dev == f->st_dev && c->ino == f->st_ino && c->size == f->st_size &&
		    c->mtime.tv_sec == f->st_mtim.tv_sec && c->mtime.tv_nsec == f->st_mtim.tv_nsec)
			return &c->rec;
		drop_cached(st, i);
		return NULL;
	}
	return NULL;
}

static void cache_run(struct sw_store *st, long id, const struct stat *f, const struct sw_run_record *rec)
{
	st->cache = xrealloc(st->cache, (st->ncache + 1) * sizeof *st->cache);
	struct cached_run *c = &st->cache[st->ncache++];
	*c = (struct cached_run){.id = id, .dev = f->st_dev, .ino = f->st_ino, .size = f->st_size,
				 .mtime = f->st_mtim};
	sw_run_record_copy(&c->rec, rec);
}

/* Forgets the cached runs that are not among ids (gc removed them). */
static void cache_keep(struct sw_store *st, const long *ids, size_t n)
{
	for (size_t i = st->ncache; i-- > 0;) {
		bool found = false;
		for (size_t k = 0; k < n && !found; k++)
			found = ids[k] == st->cache[i].id;
		if (!found)
			drop_cached(st, i);
	}
}

/* For a run.json found empty or cut short: after a power loss, a record
 * saved without fsync may be (sw_write_kept).  The version saved durably
 * last is read instead: the run's start, or its end.  A finished run's is
 * put back in run.json's place (an unfinished one's is, marked
 * interrupted, once its executor is found gone). */
static int load_kept(struct sw_store *st, long id, struct sw_run_record *rec)
{
	char *path = kept_path(st, id);
	size_t len = 0;
	char *text = sw_read_file(path, &len);
	free(path);
	int r = text ? sw_run_record_parse(text, len, rec) : -1;
	free(text);
	if (r == 0 && sw_run_status_final(rec->status) && !sw_store_run_alive(st, id))
		sw_store_save(st, rec, true);
	return r;
}

/* Run id's record as run.json holds it now (or as it was kept, *kept). */
static int read_record(struct sw_store *st, long id, struct sw_run_record *rec, bool *kept, char **err)
{
	char *path = xasprintf("%s/%ld/run.json", st->runs, id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat f;
	bool have_stat = fd >= 0 && fstat(fd, &f) == 0;
	const struct sw_run_record *hit = have_stat ? cached(st, id, &f) : NULL;
	*kept = false;
	if (hit) {
		close(fd);
		free(path);
		sw_run_record_copy(rec, hit);
		return 0;
	}
	size_t len = 0;
	char *text = fd >= 0 ? sw_read_fd(fd, &len) : NULL;
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (!text) {
		*err = e == ENOENT ? xasprintf("no run %ld", id) : xasprintf("%s: %s", path, strerror(e));
		free(path);
		return -1;
	}
	int r = sw_run_record_parse(text, len, rec);
	free(text);
	*kept = r && load_kept(st, id, rec) == 0;
	if (r && !*kept) {
		*err = xasprintf("%s: not a valid run record", path);
		free(path);
		return -1;
	}
	free(path);
	if (have_stat && !*kept && sw_run_status_final(rec->status))
		cache_run(st, id, &f, rec);
	return 0;
}

int sw_store_load(struct sw_store *st, long id, struct sw_run_record *rec, char **err)
{
	bool kept;
	if (read_record(st, id, rec, &kept, err))
		return -1;
	if (sw_run_status_final(rec->status) || sw_store_run_alive(st, id))
		return 0;
	/* The executor saves how the run ended before its lock goes: the
	 * record read before the lock was seen free may be the one before
	 * that save, and only one read after it is the executor's last word.
	 * (Marking the run on the first read overwrote a run that had just
	 * passed, and ended what its guardian was still doing.) */
	struct sw_run_record again;
	char *again_err = NULL;
	if (read_record(st, id, &again, &kept, &again_err) == 0) {
		sw_run_record_free(rec);
		*rec = again;
	}
	free(again_err);
	if (!sw_run_status_final(rec->status))
		mark_interrupted(st, rec);
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* The numeric names in dir, ascending: run ids. */
static long *list_ids(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	long *ids = NULL;
	size_t len = 0, cap = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char *end;
		long id = strtol(de->d_name, &end, 10);
		if (*end || id <= 0)
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			ids = xrealloc(ids, cap * sizeof *ids);
		}
		ids[len++] = id;
	}
	if (d)
		closedir(d);
	if (len)
		qsort(ids, len, sizeof *ids, cmp_long);
	*n = len;
	return ids;
}

long *sw_store_list(struct sw_store *st, size_t *n)
{
	long *ids = list_ids(st->runs, n);
	cache_keep(st, ids, *n);
	return ids;
}

int sw_store_parse_id(struct sw_store *st, const char *text, long *id, char **err)
{
	if (!strcmp(text, "latest")) {
		*id = sw_store_latest(st, NULL);
		if (!*id)
			*err = xstrdup("no run yet, so no latest one");
		return *id ? 0 : -1;
	}
	if (!sw_parse_record_id(text, id)) {
		*err = xasprintf("\"%s\" is not a run id (a number, #N or latest)", text);
		return -1;
	}
	return 0;
}

struct run_filter {
	const char *branch;	/* NULL: every branch */
	bool green_only;
	long except;		/* a run id left out, 0: none */
};

static bool run_matches(const struct sw_run_record *r, const struct run_filter *f)
{
	return (!f->branch || (r->branch && !strcmp(r->branch, f->branch))) &&
	       (!f->green_only || sw_run_green(r)) && r->id != f->except;
}

/* Reads records from the newest back, keeping those f matches, and stops
 * at limit (< 0: none): callers that want a few recent runs do not pay for
 * every run the store keeps. */
static size_t walk_runs(struct sw_store *st, const struct run_filter *f, long limit, struct sw_run_record **runs,
			struct strlist *warnings)
{
	size_t count, n = 0;
	long *ids = sw_store_list(st, &count);
	*runs = xcalloc(count + 1, sizeof **runs);
	for (size_t i = count; i-- > 0 && (limit < 0 || (long)n < limit);) {
		char *err = NULL;
		struct sw_run_record *r = &(*runs)[n];
		if (sw_store_load(st, ids[i], r, &err)) {
			if (warnings)
				strlist_add(warnings, err);
			free(err);
			continue;
		}
		if (run_matches(r, f))
			n++;
		else
			sw_run_record_free(r);
	}
	free(ids);
	return n;
}

size_t sw_store_history(struct sw_store *st, const char *branch, long limit, struct sw_run_record **runs,
			struct strlist *warnings)
{
	struct run_filter f = {.branch = branch};
	return walk_runs(st, &f, limit, runs, warnings);
}

bool sw_store_last_passed(struct sw_store *st, const char *branch, long except, struct sw_run_record *rec)
{
	struct run_filter f = {.branch = branch, .green_only = true, .except = except};
	struct sw_run_record *runs;
	size_t n = walk_runs(st, &f, 1, &runs, NULL);
	if (n)
		*rec = runs[0];
	free(runs);
	return n > 0;
}

long sw_store_latest(struct sw_store *st, const char *branch)
{
	struct run_filter f = {.branch = branch};
	size_t n;
	if (!branch) {
		long *ids = sw_store_list(st, &n);
		long id = n ? ids[n - 1] : 0;
		free(ids);
		return id;
	}
	struct sw_run_record *runs;
	n = walk_runs(st, &f, 1, &runs, NULL);
	long id = n ? runs[0].id : 0;
	sw_run_records_free(runs, n);
	return id;
}

void sw_run_records_free(struct sw_run_record *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sw_run_record_free(&runs[i]);
	free(runs);
}

static char *index_path(struct sw_store *st, const char *sha)
{
	return xasprintf("%s/%.2s/%s", st->index, sha, sha + 2);
}

long sw_store_last_for_commit(struct sw_store *st, const char *sha)
{
	char *path = index_path(st, sha);
	char *text = sw_read_file(path, NULL);
	free(path);
	long id = text ? strtol(text, NULL, 10) : 0;
	free(text);
	return id > 0 ? id : 0;
}

void sw_store_index_commit(struct sw_store *st, const char *sha, long id)
{
	char *dir = xasprintf("%s/%.2s", st->index, sha);
	sw_mkdirs(dir, 0755);
	free(dir);
	char *path = index_path(st, sha);
	char *text = xasprintf("%ld\n", id);
	sw_write_atomic(path, text, strlen(text), false);
	free(text);
	free(path);
}

static bool gc_protected(struct sw_store *st, long id, const struct strlist *keep_heads)
{
	struct sw_run_record rec;
	char *err = NULL;
	if (sw_store_load(st, id, &rec, &err)) {
		free(err);
		return false;
	}
	bool keep = !sw_run_status_final(rec.status) ||
		    (strlist_has(keep_heads, rec.commit) && sw_store_last_for_commit(st, rec.commit) == id);
	sw_run_record_free(&rec);
	return keep;
}

/* A tree set aside that changed this recently may be its guardian's work
 * in progress: the next run's start must not take it over. */
#define ASIDE_QUIET_S 60

/* Trees an executor set aside ("<id>.gone") are its guardian's to remove
 * after the run; those a killed guardian left are removed here. */
static void remove_trees_set_aside(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);
	while (d && (de = readdir(d))) {
		char *end;
		long id = strtol(de->d_name, &end, 10);
		if (id <= 0 || strcmp(end, ".gone"))
			continue;
		char *work = xasprintf("%s/%s", dir, de->d_name);
		struct stat f;
		if (lstat(work, &f) == 0 && now - f.st_ctime >= ASIDE_QUIET_S && now - f.st_mtime >= ASIDE_QUIET_S)
			sw_remove_tree(work);
		free(work);
	}
	if (d)
		closedir(d);
}

/* Work trees of failed runs are kept for inspection until gc.  Only the
 * trees there are checked: a run's start should not cost a lock per run kept. */
static void remove_dead_work_trees(struct sw_store *st)
{
	char *dir = xasprintf("%s/work", st->root);
	size_t n;
	long *ids = list_ids(dir, &n);
	for (size_t i = 0; i < n; i++) {
		if (sw_store_run_alive(st, ids[i]))
			continue;
		char *work = xasprintf("%s/%ld", dir, ids[i]);
		sw_remove_tree(work);
		free(work);
	}
	free(ids);
	remove_trees_set_aside(dir);
	free(dir);
}

int sw_store_gc(struct sw_store *st, int keep, const struct strlist *keep_heads)
{
	remove_dead_work_trees(st);
	size_t n;
	long *ids = sw_store_list(st, &n);
	int removed = 0;
	size_t excess = n > (size_t)keep ? n - (size_t)keep : 0;
	for (size_t i = 0; i < n && excess > 0; i++) {
		if (gc_protected(st, ids[i], keep_heads))
			continue;
		char *dir = sw_store_run_dir(st, ids[i]);
		if (sw_remove_tree(dir) == 0)
			removed++;
		free(dir);
		excess--;
	}
	free(ids);
	return removed;
}
