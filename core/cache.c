/* A stage's "cache" (GitHub's actions/cache, kept in the repository):
 * .git/slipway/cache/<key>/ holds data (a copy of the path, symlinks
 * kept), meta (where it was made) and stamp (its mtime is the last use).
 *
 * The key hashes the path and the names and contents of the key files,
 * nothing else: runs of any branch share an entry when those are equal.
 * Entries are copied both ways, never linked: a venv is changed in place
 * by the stages that use it, and the entry must stay as it was saved.
 * A tree made in one run's work tree names that tree in its files (a
 * venv's scripts have absolute shebangs, bin/activate sets VIRTUAL_ENV):
 * a restore into another work tree rewrites that prefix in its small text
 * files and symlinks, as virtualenv-clone does. */
#include "slipway/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#define RELOCATE_MAX (1u << 20)	/* larger files are not text a tool reads its path from */

/* ---- small helpers ---- */

static char *entry_path(const struct sw_cache *c, const char *key, const char *file)
{
	return file ? xasprintf("%s/%s/%s", c->dir, key, file) : xasprintf("%s/%s", c->dir, key);
}

static void format_size(char *buf, size_t n, unsigned long long bytes)
{
	if (bytes >= (1ull << 30))
		snprintf(buf, n, "%.1f GiB", (double)bytes / (1 << 30));
	else
		snprintf(buf, n, "%.1f MiB", (double)bytes / (1 << 20));
}

/* cp -a SRC DST; true when it succeeded.  Its messages are of no use in
 * the stage's log: what failed is said there in one line. */
static bool copy_tree(const char *src, const char *dst)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	struct strlist argv = {0}, envp = {0};
	strlist_add_all(&argv, (const char *const[]){"cp", "-a", "--", src, dst, NULL});
	strlist_add_all(&envp, (const char *const[]){"PATH=/usr/bin:/bin", "LC_ALL=C", NULL});
	pid_t pid;
	int err = posix_spawn(&pid, "/bin/cp", &fa, NULL, argv.items, envp.items);
	posix_spawn_file_actions_destroy(&fa);
	strlist_free(&argv);
	strlist_free(&envp);
	if (err)
		return false;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

typedef void (*walk_fn)(const char *path, const struct stat *st, void *ctx);

/* Calls fn on path and everything below it, symlinks not followed. */
static void walk(const char *path, walk_fn fn, void *ctx)
{
	struct stat st;
	if (lstat(path, &st))
		return;
	fn(path, &st, ctx);
	if (!S_ISDIR(st.st_mode))
		return;
	DIR *d = opendir(path);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *child = xasprintf("%s/%s", path, e->d_name);
		walk(child, fn, ctx);
		free(child);
	}
	closedir(d);
}

static void add_size(const char *path, const struct stat *st, void *ctx)
{
	(void)path;
	if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
		*(unsigned long long *)ctx += (unsigned long long)st->st_size;
}

static unsigned long long tree_size(const char *path)
{
	unsigned long long n = 0;
	walk(path, add_size, &n);
	return n;
}

static int lock_dir(const struct sw_cache *c, int how)
{
	char *path = xasprintf("%s/lock", c->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(path);
	while (fd >= 0 && flock(fd, how) && errno == EINTR)
		;
	return fd;
}

static void unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ---- the key ---- */

static void add_field(struct sbuf *sb, const char *s, size_t len)
{
	sbuf_addf(sb, "%zu:", len);
	sbuf_add(sb, s, len);
}

/* The entry's key into u->key; false (key empty) when a key file cannot
 * be read, named in *missing. */
static bool make_key(const struct sw_cache *c, struct sw_cache_use *u, char **missing)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, "slipway cache 1\n");
	add_field(&sb, u->spec->path, strlen(u->spec->path));
	for (size_t i = 0; i < u->spec->key.len; i++) {
		const char *name = u->spec->key.items[i];
		char *path = xasprintf("%s/%s", c->workdir, name);
		size_t len;
		char *text = sw_read_file(path, &len);
		free(path);
		if (!text) {
			*missing = xasprintf("%s (%s)", name, strerror(errno));
			sbuf_free(&sb);
			return false;
		}
		add_field(&sb, name, strlen(name));
		add_field(&sb, text, len);
		free(text);
	}
	git_oid oid;
	bool ok = git_odb_hash(&oid, sb.buf, sb.len, GIT_OBJECT_BLOB) == 0;
	if (ok)
		git_oid_tostr(u->key, sizeof u->key, &oid);
	sbuf_free(&sb);
	return ok;
}

static char *target_of(const struct sw_cache *c, const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (strncmp(path, "~/", 2) == 0)
		return xasprintf("%s/%.*s", c->home, (int)(n - 2), path + 2);
	return xasprintf("%s/%.*s", c->workdir, (int)n, path);
}

/* ---- moving a tree from one work tree to another ---- */

struct relocate {
	const char *from, *to;
	size_t from_len;
};

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

/* s with each `from` that ends a path component replaced by `to`, or
 * NULL when there is none: /w/5 is in /w/5/.venv, not in /w/55. */
static char *replaced(const struct relocate *r, const char *s, size_t len, size_t *out_len)
{
	struct sbuf sb;
	sbuf_init(&sb);
	bool any = false;
	size_t i = 0;
	while (i < len) {
		const char *hit = memmem(s + i, len - i, r->from, r->from_len);
		size_t at = hit ? (size_t)(hit - s) : len;
		sbuf_add(&sb, s + i, at - i);
		if (!hit)
			break;
		bool ends = at + r->from_len == len || !name_char(s[at + r->from_len]);
		sbuf_adds(&sb, ends ? r->to : r->from);
		any |= ends;
		i = at + r->from_len;
	}
	if (!any) {
		sbuf_free(&sb);
		return NULL;
	}
	*out_len = sb.len;
	return sbuf_detach(&sb);
}

static void relocate_file(const char *path, const struct relocate *r)
{
	size_t len, n;
	char *text = sw_read_file(path, &len);
	char *out = text && !memchr(text, '\0', len) ? replaced(r, text, len, &n) : NULL;
	int fd = out ? open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) : -1;
	if (fd >= 0) {
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd, out + off, n - off);
			if (w <= 0 && errno != EINTR)
				break;
			off += w > 0 ? (size_t)w : 0;
		}
		close(fd);
	}
	free(out);
	free(text);
}

static void relocate_link(const char *path, const struct relocate *r)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n <= 0)
		return;
	size_t len;
	char *to = replaced(r, buf, (size_t)n, &len);
	if (to && unlink(path) == 0 && symlink(to, path))
		fprintf(stderr, "slipway executor: cannot relink %s: %s\n", path, strerror(errno));
	free(to);
}

static void relocate_one(const char *path, const struct stat *st, void *ctx)
{
	if (S_ISREG(st->st_mode) && st->st_size <= RELOCATE_MAX)
		relocate_file(path, ctx);
	else if (S_ISLNK(st->st_mode))
		relocate_link(path, ctx);
}

/* The work tree the entry was saved from, as its meta says, or NULL. */
static char *saved_origin(const struct sw_cache *c, const char *key)
{
	char *path = entry_path(c, key, "meta");
	size_t len;
	char *meta = sw_read_file(path, &len);
	free(path);
	char *line = meta ? strstr(meta, "origin ") : NULL;
	char *origin = line ? xstrndup(line + 7, strcspn(line + 7, "\n")) : NULL;
	free(meta);
	return origin;
}

/* ---- restore ---- */

static bool restore_entry(const struct sw_cache *c, struct sw_cache_use *u)
{
	char *data = entry_path(c, u->key, "data");
	struct stat st;
	bool ok = false;
	if (lstat(data, &st) == 0) {
		char *parent = xstrdup(u->target);
		*strrchr(parent, '/') = '\0';
		sw_mkdirs(parent, 0755);
		free(parent);
		if (S_ISDIR(st.st_mode)) {
			char *from = xasprintf("%s/.", data);
			ok = sw_mkdirs(u->target, 0755) == 0 && copy_tree(from, u->target);
			free(from);
		} else {
			ok = copy_tree(data, u->target);
		}
	}
	free(data);
	return ok;
}

static void relocate_restored(const struct sw_cache *c, struct sw_cache_use *u)
{
	char *origin = saved_origin(c, u->key);
	if (strncmp(u->spec->path, "~/", 2) != 0 && origin && strcmp(origin, c->workdir) != 0) {
		struct relocate r = {.from = origin, .to = c->workdir, .from_len = strlen(origin)};
		walk(u->target, relocate_one, &r);
	}
	free(origin);
}

static void restore_one(const struct sw_cache *c, struct sw_cache_use *u, struct sbuf *log)
{
	int lock = lock_dir(c, LOCK_SH);
	u->hit = restore_entry(c, u);
	if (u->hit) {
		relocate_restored(c, u);
		char *stamp = entry_path(c, u->key, "stamp");
		utimensat(AT_FDCWD, stamp, NULL, 0);
		free(stamp);
	}
	unlock_dir(lock);
	sbuf_addf(log, "cache %s %s (key %.7s…)\n", u->hit ? "hit" : "miss", u->spec->path, u->key);
}

struct sw_cache_use *sw_cache_restore(const struct sw_cache *c, const struct sw_stage_config *sc,
				      size_t *n, struct sbuf *log, struct strlist *warn)
{
	struct sw_cache_use *uses = xcalloc(sc->ncache + 1, sizeof *uses);
	*n = sc->ncache;
	for (size_t i = 0; i < sc->ncache; i++) {
		struct sw_cache_use *u = &uses[i];
		char *missing = NULL;
		u->spec = &sc->cache[i];
		u->target = target_of(c, u->spec->path);
		if (make_key(c, u, &missing)) {
			restore_one(c, u, log);
			continue;
		}
		sbuf_addf(log, "cache of %s not used: key file %s\n", u->spec->path,
			  missing ? missing : "unreadable");
		strlist_addf(warn, "stage %s: cache of %s not used: key file %s", sc->name,
			     u->spec->path, missing ? missing : "unreadable");
		free(missing);
	}
	return uses;
}

/* ---- save and bounds ---- */

struct entry {
	char key[41];
	int64_t used;		/* ns: entries of one run are saved within a second */
	unsigned long long bytes;
};

static unsigned long long meta_bytes(const struct sw_cache *c, const char *key)
{
	char *path = entry_path(c, key, "meta");
	size_t len;
	char *meta = sw_read_file(path, &len);
	free(path);
	char *line = meta ? strstr(meta, "bytes ") : NULL;
	unsigned long long n = line ? strtoull(line + 6, NULL, 10) : 0;
	free(meta);
	return n;
}

static bool is_key(const char *s)
{
	return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

/* A temporary directory of a save that died half way: tmp-<pid>-... */
static bool stale_tmp(const char *name)
{
	if (strncmp(name, "tmp-", 4) != 0)
		return false;
	long pid = strtol(name + 4, NULL, 10);
	return pid > 0 && pid != getpid() && kill((pid_t)pid, 0) && errno == ESRCH;
}

static size_t list_entries(const struct sw_cache *c, struct entry **out)
{
	size_t n = 0, cap = 0;
	*out = NULL;
	DIR *d = opendir(c->dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (stale_tmp(e->d_name)) {
			char *p = entry_path(c, e->d_name, NULL);
			sw_remove_tree(p);
			free(p);
		}
		if (!is_key(e->d_name))
			continue;
		if (n == cap)
			*out = xrealloc(*out, (cap = cap ? cap * 2 : 16) * sizeof **out);
		struct entry *en = &(*out)[n++];
		struct stat st;
		char *stamp = entry_path(c, e->d_name, "stamp");
		memcpy(en->key, e->d_name, 41);
		en->used = stat(stamp, &st) ? 0 : (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		en->bytes = meta_bytes(c, e->d_name);
		free(stamp);
	}
	if (d)
		closedir(d);
	return n;
}

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->used < y->used ? 1 : x->used > y->used ? -1 : 0;
}

/* Renamed away first: a reader never sees half an entry. */
static void drop_entry(const struct sw_cache *c, const char *key)
{
	char *from = entry_path(c, key, NULL);
	char *to = xasprintf("%s/tmp-%ld-drop-%s", c->dir, (long)getpid(), key);
	if (rename(from, to) == 0)
		sw_remove_tree(to);
	free(from);
	free(to);
}

static void prune(const struct sw_cache *c)
{
	struct entry *es;
	size_t n = list_entries(c, &es);
	unsigned long long total = 0;
	qsort(es, n, sizeof *es, newest_first);
	for (size_t i = 0; i < n; i++) {
		total += es[i].bytes;
		if (i >= SW_CACHE_ENTRIES_MAX || total > SW_CACHE_TOTAL_MAX)
			drop_entry(c, es[i].key);
	}
	free(es);
}

static bool write_meta(const char *tmp, const struct sw_cache *c, const struct sw_cache_use *u,
		       unsigned long long bytes)
{
	char *meta = xasprintf("path %s\norigin %s\nbytes %llu\n", u->spec->path, c->workdir, bytes);
	char *path = xasprintf("%s/meta", tmp), *stamp = xasprintf("%s/stamp", tmp);
	bool ok = sw_write_atomic(path, meta, strlen(meta), false) == 0 &&
		  sw_write_atomic(stamp, "", 0, false) == 0;
	free(stamp);
	free(path);
	free(meta);
	return ok;
}

/* Copies the tree into a temporary directory, then renames it into place. */
static const char *store_entry(const struct sw_cache *c, const struct sw_cache_use *u, size_t i,
			       unsigned long long bytes)
{
	char *tmp = xasprintf("%s/tmp-%ld-%zu", c->dir, (long)getpid(), i);
	char *data = xasprintf("%s/data", tmp), *final = entry_path(c, u->key, NULL);
	const char *why = NULL;
	sw_remove_tree(tmp);
	if (sw_mkdirs(tmp, 0755) || !copy_tree(u->target, data) || !write_meta(tmp, c, u, bytes))
		why = "the copy failed";
	int lock = why ? -1 : lock_dir(c, LOCK_EX);
	if (!why && rename(tmp, final))
		why = errno == EEXIST || errno == ENOTEMPTY ? "another run saved it first" : strerror(errno);
	if (!why)
		prune(c);
	unlock_dir(lock);
	sw_remove_tree(tmp);
	free(final);
	free(data);
	free(tmp);
	return why;
}

static void save_one(const struct sw_cache *c, const struct sw_cache_use *u, size_t i, struct sbuf *log)
{
	struct stat st;
	char size[32];
	if (lstat(u->target, &st)) {
		sbuf_addf(log, "cache not saved %s (key %.7s…): it does not exist\n", u->spec->path, u->key);
		return;
	}
	unsigned long long bytes = tree_size(u->target);
	format_size(size, sizeof size, bytes);
	if (bytes > SW_CACHE_ENTRY_MAX) {
		sbuf_addf(log, "cache not saved %s (key %.7s…): %s, over the 1 GiB an entry may hold\n",
			  u->spec->path, u->key, size);
		return;
	}
	const char *why = store_entry(c, u, i, bytes);
	if (why)
		sbuf_addf(log, "cache not saved %s (key %.7s…): %s\n", u->spec->path, u->key, why);
	else
		sbuf_addf(log, "cache saved %s (key %.7s…, %s)\n", u->spec->path, u->key, size);
}

void sw_cache_save(const struct sw_cache *c, struct sw_cache_use *uses, size_t n, struct sbuf *log)
{
	if (n && sw_mkdirs(c->dir, 0755))
		return;
	for (size_t i = 0; i < n; i++)
		if (uses[i].key[0] && !uses[i].hit)
			save_one(c, &uses[i], i, log);
}

void sw_cache_uses_free(struct sw_cache_use *uses, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(uses[i].target);
	free(uses);
}
