/* Unit tests of the online backup of a live SQLite database: real files in
 * a temporary directory, with other connections writing, reading and
 * holding locks in this process. */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/sqlite_backup.h"
#include "slipway/util.h"
#include "unit.h"

/* Enough rows for several steps of 256 pages, so that a writer can come
 * in between them. */
#define ROWS 20000
#define ROW_TEXT "printf('row %d %s', id, hex(zeroblob(100)))"

static char *tmp_dir(void)
{
	char *dir = xstrdup("/tmp/slipway-test-backup.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	return dir;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		printf("  %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
	CHECK_INT(rc, SQLITE_OK);
	sqlite3_free(msg);
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	return db;
}

/* Table t of ROWS rows whose text follows from the id; wal as asked. */
static sqlite3 *make_db(const char *path, bool wal)
{
	sqlite3 *db = open_db(path);
	if (wal)
		exec_ok(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0");
	exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
		    "WITH RECURSIVE c(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM c WHERE id < " SW_STR(ROWS) ")"
		    " INSERT INTO t SELECT id, " ROW_TEXT " FROM c");
	return db;
}

/* The one number sql gives on a connection of its own; -1 if it fails. */
static long long query_num(const char *path, const char *sql)
{
	sqlite3 *db = open_db(path);
	sqlite3_stmt *st = NULL;
	long long n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		printf("  %s on %s: %s\n", sql, path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Rows of t whose text is what make_db wrote. */
static long long good_rows(const char *path)
{
	return query_num(path, "SELECT count(*) FROM t WHERE v = " ROW_TEXT);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Entries of dir other than . and .. : a failed backup leaves none of its
 * temporary files. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void cleanup(char *dir)
{
	CHECK_INT(sw_remove_tree(dir), 0);
	free(dir);
}

static void copies_every_row_into_new_directories(void)
{
	char *dir = tmp_dir();
	char *src = xasprintf("%s/db.sqlite3", dir);
	char *parent = xasprintf("%s/backups/2026/12", dir);
	char *dst = xasprintf("%s/db.sqlite3", parent);
	sqlite3_close(make_db(src, false));
	char *err = NULL;
	CHECK_INT(sw_sqlite_backup(src, dst, 1000, &err), 0);
	CHECK(err == NULL);
	CHECK_INT(query_num(dst, "SELECT count(*) FROM t"), ROWS);
	CHECK_INT(good_rows(dst), ROWS);
	struct stat st;
	CHECK_INT(stat(dst, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(stat(parent, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0700);
	CHECK_INT(entries(parent), 1);
	/* A second backup replaces the first. */
	sqlite3 *db = open_db(src);
	exec_ok(db, "DELETE FROM t WHERE id > 10");
	sqlite3_close(db);
	CHECK_INT(sw_sqlite_backup(src, dst, 1000, &err), 0);
	CHECK_INT(query_num(dst, "SELECT count(*) FROM t"), 10);
	CHECK_INT(entries(parent), 1);
	free(err);
	free(src);
	free(dst);
	free(parent);
	cleanup(dir);
}

/* Each transfer moves one unit from account 1 to account 2 and logs one
 * row in t, in one transaction: a copy that is consistent has as many new
 * rows as units moved, and the sum unchanged. */
#define TRANSFERS 300

static void *transfer(void *arg)
{
	sqlite3 *db = arg;
	for (int i = 0; i < TRANSFERS; i++) {
		exec_ok(db, "BEGIN IMMEDIATE;"
			    "UPDATE acct SET bal = bal - 1 WHERE id = 1;"
			    "UPDATE acct SET bal = bal + 1 WHERE id = 2;"
			    "INSERT INTO t(v) VALUES ('transfer');"
			    "COMMIT");
		sqlite3_sleep(1);
	}
	return NULL;
}

static void consistent_while_a_wal_writer_commits(void)
{
	char *dir = tmp_dir();
	char *src = xasprintf("%s/db.sqlite3", dir);
	char *dst = xasprintf("%s/backup.sqlite3", dir);
	char *wal = xasprintf("%s-wal", src);
	sqlite3 *w = make_db(src, true);
	exec_ok(w, "CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER);"
		   "INSERT INTO acct VALUES (1, 1000), (2, 0)");
	/* All of it is still in the WAL, which a copy of the file would miss. */
	struct stat st;
	CHECK_INT(stat(wal, &st), 0);
	CHECK(st.st_size > 0);
	pthread_t th;
	CHECK_INT(pthread_create(&th, NULL, transfer, w), 0);
	char *err = NULL;
	CHECK_INT(sw_sqlite_backup(src, dst, 5000, &err), 0);
	if (err)
		printf("  %s\n", err);
	pthread_join(th, NULL);
	CHECK_INT(good_rows(dst), ROWS);
	CHECK_INT(query_num(dst, "SELECT sum(bal) FROM acct"), 1000);
	/* One snapshot, taken while the writer went on: not restarted until
	 * the writes stopped. */
	long long moved = query_num(dst, "SELECT bal FROM acct WHERE id = 2");
	CHECK(moved >= 0 && moved < TRANSFERS);
	CHECK_INT(query_num(dst, "SELECT count(*) FROM t") - ROWS, moved);
	/* Taken afterwards, it has every transfer. */
	CHECK_INT(sw_sqlite_backup(src, dst, 5000, &err), 0);
	CHECK_INT(query_num(dst, "SELECT bal FROM acct WHERE id = 2"), TRANSFERS);
	sqlite3_close(w);
	free(err);
	free(src);
	free(dst);
	free(wal);
	cleanup(dir);
}

static void consistent_beside_an_open_reader(void)
{
	for (int wal = 0; wal <= 1; wal++) {
		char *dir = tmp_dir();
		char *src = xasprintf("%s/db.sqlite3", dir);
		char *dst = xasprintf("%s/backup.sqlite3", dir);
		sqlite3_close(make_db(src, wal));
		sqlite3 *r = open_db(src);
		sqlite3_stmt *st = NULL;
		exec_ok(r, "BEGIN");
		CHECK_INT(sqlite3_prepare_v2(r, "SELECT count(*) FROM t", -1, &st, NULL), SQLITE_OK);
		CHECK_INT(sqlite3_step(st), SQLITE_ROW);
		char *err = NULL;
		CHECK_INT(sw_sqlite_backup(src, dst, 1000, &err), 0);
		CHECK(err == NULL);
		CHECK_INT(good_rows(dst), ROWS);
		sqlite3_finalize(st);
		exec_ok(r, "COMMIT");
		sqlite3_close(r);
		free(err);
		free(src);
		free(dst);
		cleanup(dir);
	}
}

/* A writer in the middle of its transaction, with the whole file locked
 * (rollback journal: no reader gets in). */
static sqlite3 *lock_exclusively(const char *src)
{
	sqlite3 *w = open_db(src);
	exec_ok(w, "BEGIN EXCLUSIVE; INSERT INTO t(v) VALUES ('late')");
	return w;
}

static void fails_when_a_writer_keeps_its_lock(void)
{
	char *dir = tmp_dir();
	char *src = xasprintf("%s/db.sqlite3", dir);
	char *dst = xasprintf("%s/backup.sqlite3", dir);
	sqlite3_close(make_db(src, false));
	sqlite3 *w = lock_exclusively(src);
	char *err = NULL;
	int64_t t0 = sw_mono_ms();
	CHECK_INT(sw_sqlite_backup(src, dst, 200, &err), -1);
	int64_t took = sw_mono_ms() - t0;
	CHECK(took >= 180 && took < 2000);
	char *want = xasprintf("cannot back up %s: the database stayed locked for 200 ms", src);
	CHECK_STR(err, want);
	CHECK(!exists(dst));
	CHECK_INT(entries(dir), 2);	/* db.sqlite3 and its journal */
	exec_ok(w, "ROLLBACK");
	sqlite3_close(w);
	free(want);
	free(err);
	free(src);
	free(dst);
	cleanup(dir);
}

static void *commit_later(void *arg)
{
	sqlite3_sleep(100);
	exec_ok(arg, "COMMIT");
	return NULL;
}

static void waits_for_a_lock_let_go_in_time(void)
{
	char *dir = tmp_dir();
	char *src = xasprintf("%s/db.sqlite3", dir);
	char *dst = xasprintf("%s/backup.sqlite3", dir);
	sqlite3_close(make_db(src, false));
	sqlite3 *w = lock_exclusively(src);
	pthread_t th;
	CHECK_INT(pthread_create(&th, NULL, commit_later, w), 0);
	char *err = NULL;
	int64_t t0 = sw_mono_ms();
	CHECK_INT(sw_sqlite_backup(src, dst, 2000, &err), 0);
	CHECK(sw_mono_ms() - t0 >= 90);
	if (err)
		printf("  %s\n", err);
	pthread_join(th, NULL);
	/* The copy came after the commit, with its row. */
	CHECK_INT(query_num(dst, "SELECT count(*) FROM t"), ROWS + 1);
	CHECK_INT(good_rows(dst), ROWS);
	sqlite3_close(w);
	free(err);
	free(src);
	free(dst);
	cleanup(dir);
}

static void missing_source_makes_nothing(void)
{
	char *dir = tmp_dir();
	char *src = xasprintf("%s/db.sqlite3", dir);
	char *dst = xasprintf("%s/backups/db.sqlite3", dir);
	char *err = NULL;
	CHECK_INT(sw_sqlite_backup(src, dst, 1000, &err), 1);
	CHECK(err == NULL);
	CHECK_INT(entries(dir), 0);
	free(src);
	free(dst);
	cleanup(dir);
}

static void text_file_is_no_database(void)
{
	char *dir = tmp_dir();
	char *src = xasprintf("%s/db.sqlite3", dir);
	char *dst = xasprintf("%s/backup.sqlite3", dir);
	const char text[] = "DATABASE_URL=sqlite:///db.sqlite3\nnot a database, a settings file\n";
	CHECK_INT(sw_write_atomic(src, text, sizeof text - 1, false), 0);
	char *err = NULL;
	CHECK_INT(sw_sqlite_backup(src, dst, 1000, &err), -1);
	char *want = xasprintf("cannot back up %s: file is not a database", src);
	CHECK_STR(err, want);
	CHECK(!exists(dst));
	CHECK_INT(entries(dir), 1);
	size_t len = 0;
	char *after = sw_read_file(src, &len);
	CHECK_STR(after, text);
	free(after);
	free(want);
	free(err);
	free(src);
	free(dst);
	cleanup(dir);
}

static void unwritable_destination_is_named(void)
{
	char *dir = tmp_dir();
	char *src = xasprintf("%s/db.sqlite3", dir);
	char *ro = xasprintf("%s/ro", dir);
	char *dst = xasprintf("%s/backup.sqlite3", ro);
	sqlite3_close(make_db(src, false));
	CHECK_INT(mkdir(ro, 0500), 0);
	char *err = NULL;
	int r = sw_sqlite_backup(src, dst, 1000, &err);
	/* root writes there all the same. */
	if (geteuid() != 0) {
		CHECK_INT(r, -1);
		CHECK(err && strstr(err, dst));
		CHECK_INT(entries(ro), 0);
	}
	free(err);
	err = NULL;
	/* A file where its directory should be stops root too. */
	char *blocked = xasprintf("%s/db.sqlite3/backups/backup.sqlite3", dir);
	CHECK_INT(sw_sqlite_backup(src, blocked, 1000, &err), -1);
	char *want = xasprintf("cannot make %s/db.sqlite3/backups: Not a directory", dir);
	CHECK_STR(err, want);
	CHECK_INT(good_rows(src), ROWS);
	chmod(ro, 0700);
	free(want);
	free(blocked);
	free(err);
	free(src);
	free(ro);
	free(dst);
	cleanup(dir);
}

int main(void)
{
	RUN_TEST(copies_every_row_into_new_directories);
	RUN_TEST(consistent_while_a_wal_writer_commits);
	RUN_TEST(consistent_beside_an_open_reader);
	RUN_TEST(fails_when_a_writer_keeps_its_lock);
	RUN_TEST(waits_for_a_lock_let_go_in_time);
	RUN_TEST(missing_source_makes_nothing);
	RUN_TEST(text_file_is_no_database);
	RUN_TEST(unwritable_destination_is_named);
	UNIT_EXIT();
}
