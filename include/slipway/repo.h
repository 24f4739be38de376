/* The project's git repository through libgit2: branches, commits, reading
 * a file at a commit, and writing a commit's tree into a directory. */
#ifndef SLIPWAY_REPO_H
#define SLIPWAY_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "slipway/util.h"

struct sw_repo;

struct sw_branch {
	char *name;		/* "feature/x" or "origin/feature/x" */
	bool remote;
	char head[41];
	int ahead, behind;	/* against main; -1 when main is unknown or not counted yet */
	char *upstream;		/* NULL when none */
	int upstream_ahead, upstream_behind;
	bool counted;		/* the four counts are filled in */
	char *subject;
	char *author;
	time_t time;
};

/* Finds the repository containing path.  -1 with *err (caller frees). */
int sw_repo_open(struct sw_repo **out, const char *path, char **err);
void sw_repo_close(struct sw_repo *repo);
/* The .git directory shared by all work trees, without trailing slash. */
const char *sw_repo_gitdir(const struct sw_repo *repo);
/* The work tree, or NULL for a bare repository. */
const char *sw_repo_workdir(const struct sw_repo *repo);
/* The checked-out branch's short name; NULL when detached. */
char *sw_repo_current_branch(struct sw_repo *repo);
/* Resolves a local branch, a remote-tracking branch ("origin/x") or a commit
 * to the 40-hex commit id.  -1 with *err naming what was not found. */
int sw_repo_resolve(struct sw_repo *repo, const char *name, char sha[41], char **err);
bool sw_repo_branch_exists(struct sw_repo *repo, const char *name);
bool sw_repo_local_branch_exists(struct sw_repo *repo, const char *name);
/* A value of the repository's git configuration (local, global, system), or NULL. */
char *sw_repo_config_string(struct sw_repo *repo, const char *key);
/* The branch a remote's HEAD points at ("main" for origin/HEAD -> origin/main), or NULL. */
char *sw_repo_remote_head(struct sw_repo *repo, const char *remote);
/* A local branch whose head is sha, the checked-out one first; NULL when none. */
char *sw_repo_branch_at(struct sw_repo *repo, const char *sha);
/* HEAD names a branch with no commit yet (a new repository). */
bool sw_repo_head_unborn(struct sw_repo *repo);
/* How many paths of the work tree differ from HEAD (staged, changed or
 * untracked and not ignored); the first max of them are added to paths. */
int sw_repo_uncommitted(struct sw_repo *repo, struct strlist *paths, size_t max);
/* A file's content at a commit (40 hex or a branch); NULL when absent, or
 * with errno EFBIG when larger than SW_READ_MAX. */
char *sw_repo_read_file(struct sw_repo *repo, const char *rev, const char *path, size_t *len);
/* Writes the commit's tree into dir (created), never touching the index or
 * the user's work tree.  -1 with *err. */
int sw_repo_checkout(struct sw_repo *repo, const char *sha, const char *dir, char **err);
/* The commit's subject line (allocated), or NULL. */
char *sw_repo_subject(struct sw_repo *repo, const char *sha);
/* Local and remote-tracking branches, most recent commit first, with main
 * and the integration branch pinned on top.  Without counts, ahead/behind
 * are left for sw_repo_count: a first screen need not wait for them. */
int sw_repo_branches(struct sw_repo *repo, const char *main_branch, const char *integration, bool counts,
		     struct sw_branch **out, size_t *n, char **err);
/* Fills b's ahead/behind against main (40 hex, or NULL) and its upstream. */
void sw_repo_count(struct sw_repo *repo, const char *main_sha, struct sw_branch *b);
/* The head commits of all branches, cheaply (no graph walks). */
void sw_repo_heads(struct sw_repo *repo, struct strlist *heads);
void sw_branches_free(struct sw_branch *b, size_t n);

/* Who is acting, as git names a committer (GIT_COMMITTER_*, user.name and
 * user.email, else the login name).  Allocated. */
char *sw_repo_who(struct sw_repo *repo);
/* sha is tip or one of its ancestors (both 40 hex). */
bool sw_repo_contains(struct sw_repo *repo, const char *tip, const char *sha);

/* The committer time of a commit (40 hex) in ms since the epoch; -1 when
 * it is not in the repository. */
int64_t sw_repo_commit_time_ms(struct sw_repo *repo, const char *sha);
/* One commit as a log lists it. */
struct sw_commit {
	char sha[41];
	char *subject, *author;	/* as git has them (untrusted text) */
	time_t time;		/* committer time */
};
/* The commits reachable from to_sha and not from from_sha ("": none), as
 * `git log FROM..TO` lists them (newest first), at most max; *cut when
 * there were more.  -1 when either is not a commit here. */
int sw_repo_log(struct sw_repo *repo, const char *from_sha, const char *to_sha, size_t max, struct sw_commit **out,
		size_t *n, bool *cut);
void sw_commits_free(struct sw_commit *c, size_t n);
/* The committer times (ms, allocated into *times_ms) of every commit
 * reachable from to_sha and not from from_sha ("": none, so all of to_sha's
 * history), as `git rev-list FROM..TO`.  -1 when either is not a commit here. */
int sw_repo_commits_between(struct sw_repo *repo, const char *from_sha, const char *to_sha, int64_t **times_ms,
			    size_t *n);

#endif
