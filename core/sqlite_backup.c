/* SQLite's online backup into a temporary file beside the destination,
 * checked, then renamed into place (see core/sqlite_backup.h). */
#include "core/sqlite_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "slipway/util.h"

/* With a rollback journal the source's read lock is let go between
 * steps, so a writer of the live database waits for one step at most,
 * not for the whole copy. */
#define STEP_PAGES 256
#define BUSY_SLEEP_MS 10

struct backup {
	const char *src;
	const char *dst;
	char *tmp;		/* the copy until it is checked, beside dst */
	int busy_ms;
	char **err;
};

static int fail(struct backup *b, char *msg)
{
	*b->err = msg;
	return -1;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* mkstemp makes it 0600 whatever the umask: a backup of production data
 * is no one else's to read. */
static int make_tmp(struct backup *b)
{
	char *dir = dir_of(b->dst);
	int e = sw_mkdirs(dir, 0700);
	if (e) {
		int r = fail(b, xasprintf("cannot make %s: %s", dir, strerror(-e)));
		free(dir);
		return r;
	}
	free(dir);
	b->tmp = xasprintf("%s.tmp.XXXXXX", b->dst);
	int fd = mkostemp(b->tmp, O_CLOEXEC);
	if (fd < 0) {
		free(b->tmp);
		b->tmp = NULL;
		return fail(b, xasprintf("cannot write %s: %s", b->dst, strerror(errno)));
	}
	close(fd);
	return 0;
}

/* What SQLite may have left beside the database at path. */
static void remove_sidecars(const char *path)
{
	static const char *const sidecars[] = {"-journal", "-wal", "-shm"};
	for (size_t i = 0; i < sizeof sidecars / sizeof *sidecars; i++) {
		char *p = xasprintf("%s%s", path, sidecars[i]);
		unlink(p);
		free(p);
	}
}

/* Which side an error of a step is on: SQLite does not say, but these
 * codes can only come from reading the source or filling the copy. */
static char *step_error(const struct backup *b, int rc)
{
	switch (rc) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return xasprintf("cannot back up %s: %s", b->src, sqlite3_errstr(rc));
	case SQLITE_FULL:
		return xasprintf("cannot write %s: %s", b->dst, sqlite3_errstr(rc));
	default:
		return xasprintf("cannot back up %s to %s: %s", b->src, b->dst, sqlite3_errstr(rc));
	}
}

/* Steps to the end; a locked source is slept on, busy_ms in all. */
static int step_all(struct backup *b, sqlite3_backup *bk)
{
	int waited = 0, rc;
	while ((rc = sqlite3_backup_step(bk, STEP_PAGES)) == SQLITE_OK || rc == SQLITE_BUSY ||
	       rc == SQLITE_LOCKED) {
		if (rc == SQLITE_OK)
			continue;
		if (waited >= b->busy_ms)
			return fail(b, xasprintf("cannot back up %s: the database stayed locked for %d ms",
						 b->src, waited));
		int nap = b->busy_ms - waited < BUSY_SLEEP_MS ? b->busy_ms - waited : BUSY_SLEEP_MS;
		int slept = sqlite3_sleep(nap);
		waited += slept > 0 ? slept : nap;
	}
	return rc == SQLITE_DONE ? 0 : fail(b, step_error(b, rc));
}

static int copy_into(struct backup *b, sqlite3 *from, sqlite3 *to)
{
	sqlite3_backup *bk = sqlite3_backup_init(to, "main", from, "main");
	if (!bk)
		return fail(b, xasprintf("cannot write %s: %s", b->dst, sqlite3_errmsg(to)));
	int r = step_all(b, bk);
	int rc = sqlite3_backup_finish(bk);
	if (!r && rc != SQLITE_OK)
		r = fail(b, step_error(b, rc));
	return r;
}

/* The header says WAL (file format versions, bytes 18 and 19, are 2):
 * read without SQLite, which would need the lock a writer may hold. */
static bool is_wal(const char *path)
{
	unsigned char h[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool wal = fd >= 0 && pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h && h[18] == 2 && h[19] == 2;
	if (fd >= 0)
		close(fd);
	return wal;
}

/* A writer committing between two steps restarts the copy, for ever
 * under steady writes.  In WAL mode a reader blocks no writer, so the
 * copy holds one snapshot throughout; with a rollback journal it would
 * hold writers off for the whole copy, so there steps let them in.  If
 * the snapshot cannot be had, the steps take their chances. */
static void hold_snapshot(sqlite3 *from)
{
	if (sqlite3_exec(from, "BEGIN; SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(from, "ROLLBACK", NULL, NULL, NULL);
}

/* Read-only and never created: a mistyped path must not leave an empty
 * database behind for the release to find. */
static int copy(struct backup *b)
{
	sqlite3 *from = NULL, *to = NULL;
	int r;
	if (sqlite3_open_v2(b->src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		r = fail(b, xasprintf("cannot back up %s: %s", b->src, sqlite3_errmsg(from)));
	else if (sqlite3_open_v2(b->tmp, &to, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		r = fail(b, xasprintf("cannot write %s: %s", b->dst, sqlite3_errmsg(to)));
	else {
		if (is_wal(b->src))
			hold_snapshot(from);
		r = copy_into(b, from, to);
	}
	sqlite3_close(to);
	sqlite3_close(from);
	return r;
}

/* On a connection of its own, so that it reads what reached the file;
 * read-write because a copy of a WAL database needs its -shm. */
static int check(struct backup *b)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_open_v2(b->tmp, &db, SQLITE_OPEN_READWRITE, NULL);
	/* One file, whatever the source's mode: a backup is copied and opened
	 * read-only later, where a WAL copy would want its -shm. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	const unsigned char *verdict = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	int r = 0;
	if (!verdict)
		r = fail(b, xasprintf("cannot check the copy of %s: %s", b->src,
				      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
	else if (strcmp((const char *)verdict, "ok") != 0)
		r = fail(b, xasprintf("cannot back up %s: the copy fails SQLite's quick_check: %s", b->src,
				      (const char *)verdict));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

/* A directory opens read-only for fsync too. */
static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = fsync(fd) ? -errno : 0;
	close(fd);
	return e;
}

/* A hot journal or WAL left by the dst this replaces would be played into
 * the new file when it is next opened: they go first. */
static int put_in_place(struct backup *b)
{
	int e = fsync_path(b->tmp);
	if (!e) {
		remove_sidecars(b->dst);
		e = rename(b->tmp, b->dst) ? -errno : 0;
	}
	if (!e) {
		char *dir = dir_of(b->dst);
		e = fsync_path(dir);
		free(dir);
	}
	return e ? fail(b, xasprintf("cannot write %s: %s", b->dst, strerror(-e))) : 0;
}

int sw_sqlite_backup(const char *src, const char *dst, int busy_ms, char **err)
{
	struct backup b = {src, dst, NULL, busy_ms, err};
	struct stat st;
	*err = NULL;
	if (stat(src, &st))
		return errno == ENOENT ? 1 : fail(&b, xasprintf("cannot back up %s: %s", src, strerror(errno)));
	int r = make_tmp(&b);
	if (!r)
		r = copy(&b);
	if (!r)
		r = check(&b);
	if (!r)
		r = put_in_place(&b);
	if (r && b.tmp) {
		unlink(b.tmp);
		remove_sidecars(b.tmp);
	}
	free(b.tmp);
	return r;
}
