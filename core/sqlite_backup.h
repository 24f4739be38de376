/* A consistent copy of a live SQLite database, taken before a deploy stops
 * the release that writes it (core-internal; the deploy's). */
#ifndef SLIPWAY_CORE_SQLITE_BACKUP_H
#define SLIPWAY_CORE_SQLITE_BACKUP_H

/* Copies the SQLite database at src to dst with SQLite's online backup
 * API (sqlite3_backup_init/step/finish): a consistent copy even while
 * another process writes to src, unlike a copy of the file.  dst's
 * directory is made as needed (0700); dst is written under a temporary
 * name in that directory, fsync'ed and renamed into place, 0600, so that
 * a failed backup leaves no half-written dst.  A writer holding its lock
 * is waited for up to busy_ms in all.
 * 0 when copied; 1 when src does not exist (nothing made); -1 with *err
 * (allocated) naming the path at fault and SQLite's own message, e.g.
 * "cannot back up data/db.sqlite3: file is not a database". */
int sw_sqlite_backup(const char *src, const char *dst, int busy_ms, char **err);

#endif
