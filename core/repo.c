/* Git access for the engine, on libgit2: no git subprocesses. */
#include "slipway/repo.h"

#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "slipway/util.h"
#include "git_internal.h"

struct sw_repo {
	git_repository *git;
	/* Graph walks get a handle of their own: libgit2 1.5 caches an object
	 * either parsed or raw, and the tips peeled for listing would make every
	 * walk inflate its commits again (7x slower with thousands of branches). */
	git_repository *walker;
	char *gitdir;
	char *workdir;
};

static char *git_error_text(const char *what)
{
	const git_error *e = git_error_last();
	return xasprintf("%s: %s", what, e && e->message ? e->message : "unknown git error");
}

static char *strip_slash(const char *path)
{
	char *s = xstrdup(path);
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

int sw_repo_open(struct sw_repo **out, const char *path, char **err)
{
	git_libgit2_init();
	git_repository *git;
	if (git_repository_open_ext(&git, path, 0, NULL)) {
		*err = xasprintf("not inside a git repository: %s", path);
		git_libgit2_shutdown();
		return -1;
	}
	struct sw_repo *r = xcalloc(1, sizeof *r);
	r->git = git;
	r->gitdir = strip_slash(git_repository_commondir(git));
	const char *wd = git_repository_workdir(git);
	r->workdir = wd ? strip_slash(wd) : NULL;
	*out = r;
	return 0;
}

void sw_repo_close(struct sw_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	git_repository_free(repo->walker);
	free(repo->gitdir);
	free(repo->workdir);
	free(repo);
	git_libgit2_shutdown();
}

const char *sw_repo_gitdir(const struct sw_repo *repo)
{
	return repo->gitdir;
}

const char *sw_repo_workdir(const struct sw_repo *repo)
{
	return repo->workdir;
}

char *sw_repo_current_branch(struct sw_repo *repo)
{
	git_reference *head;
	if (git_repository_head(&head, repo->git))
		return NULL;
	char *name = NULL;
	if (git_reference_is_branch(head))
		name = xstrdup(git_reference_shorthand(head));
	git_reference_free(head);
	return name;
}

/* Branch names first, so "main" never resolves to a tag or a sha prefix. */
static int lookup_commit(struct sw_repo *repo, const char *name, git_commit **commit)
{
	git_reference *ref = NULL;
	git_object *obj = NULL;
	if (git_branch_lookup(&ref, repo->git, name, GIT_BRANCH_LOCAL) == 0 ||
	    git_branch_lookup(&ref, repo->git, name, GIT_BRANCH_REMOTE) == 0) {
		int r = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
		git_reference_free(ref);
		if (r)
			return -1;
	} else if (git_revparse_single(&obj, repo->git, name) == 0) {
		git_object *peeled;
		int r = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
		git_object_free(obj);
		if (r)
			return -1;
		obj = peeled;
	} else {
		return -1;
	}
	*commit = (git_commit *)obj;
	return 0;
}

int sw_repo_resolve(struct sw_repo *repo, const char *name, char sha[41], char **err)
{
	git_commit *c;
	if (lookup_commit(repo, name, &c)) {
		*err = xasprintf("no branch or commit named \"%s\"", name);
		return -1;
	}
	git_oid_tostr(sha, 41, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

bool sw_repo_branch_exists(struct sw_repo *repo, const char *name)
{
	git_reference *ref;
	if (git_branch_lookup(&ref, repo->git, name, GIT_BRANCH_LOCAL) &&
	    git_branch_lookup(&ref, repo->git, name, GIT_BRANCH_REMOTE))
		return false;
	git_reference_free(ref);
	return true;
}

bool sw_repo_local_branch_exists(struct sw_repo *repo, const char *name)
{
	git_reference *ref;
	if (git_branch_lookup(&ref, repo->git, name, GIT_BRANCH_LOCAL))
		return false;
	git_reference_free(ref);
	return true;
}

char *sw_repo_config_string(struct sw_repo *repo, const char *key)
{
	git_config *cfg = NULL;
	git_buf buf = {0};
	char *value = NULL;
	if (git_repository_config_snapshot(&cfg, repo->git) == 0 && git_config_get_string_buf(&buf, cfg, key) == 0)
		value = xstrdup(buf.ptr);
	git_buf_dispose(&buf);
	git_config_free(cfg);
	return value;
}

char *sw_repo_remote_head(struct sw_repo *repo, const char *remote)
{
	char *name = xasprintf("refs/remotes/%s/HEAD", remote);
	git_reference *ref = NULL;
	char *branch = NULL;
	size_t plen = strlen(name) - strlen("HEAD");
	if (git_reference_lookup(&ref, repo->git, name) == 0 && git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC &&
	    strncmp(git_reference_symbolic_target(ref), name, plen) == 0)
		branch = xstrdup(git_reference_symbolic_target(ref) + plen);
	git_reference_free(ref);
	free(name);
	return branch;
}

char *sw_repo_branch_at(struct sw_repo *repo, const char *sha)
{
	char *cur = sw_repo_current_branch(repo), cur_sha[41], *err = NULL;
	if (cur && sw_repo_resolve(repo, cur, cur_sha, &err) == 0 && !strcmp(cur_sha, sha))
		return cur;
	free(cur);
	free(err);
	git_oid want;
	git_branch_iterator *it = NULL;
	git_reference *ref;
	git_branch_t type;
	char *found = NULL;
	if (git_oid_fromstr(&want, sha) || git_branch_iterator_new(&it, repo->git, GIT_BRANCH_LOCAL))
		return NULL;
	while (!found && git_branch_next(&ref, &type, it) == 0) {
		const git_oid *at = git_reference_target(ref);
		if (at && git_oid_equal(at, &want))
			found = xstrdup(git_reference_shorthand(ref));
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
	return found;
}

bool sw_repo_head_unborn(struct sw_repo *repo)
{
	return git_repository_head_unborn(repo->git) == 1;
}

int sw_repo_uncommitted(struct sw_repo *repo, struct strlist *paths, size_t max)
{
	if (!repo->workdir)
		return 0;
	git_status_options opts;
	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	git_status_list *list = NULL;
	if (git_status_list_new(&list, repo->git, &opts))
		return 0;
	size_t n = git_status_list_entrycount(list);
	for (size_t i = 0; i < n && paths->len < max; i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
		if (d && d->new_file.path)
			strlist_add(paths, d->new_file.path);
	}
	git_status_list_free(list);
	return (int)n;
}

/* The size from the object's header, before any of it is read: a commit
 * may hold a huge file where slipway.json should be. */
static bool blob_too_big(struct sw_repo *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	size_t size = 0;
	git_object_t type;
	bool big = git_repository_odb(&odb, repo->git) == 0 && git_odb_read_header(&size, &type, odb, id) == 0 &&
		   size > SW_READ_MAX;
	git_odb_free(odb);
	if (big)
		errno = EFBIG;
	return big;
}

char *sw_repo_read_file(struct sw_repo *repo, const char *rev, const char *path, size_t *len)
{
	git_commit *c;
	if (lookup_commit(repo, rev, &c))
		return NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *data = NULL;
	errno = 0;
	if (git_commit_tree(&tree, c) == 0 && git_tree_entry_bypath(&entry, tree, path) == 0 &&
	    git_tree_entry_type(entry) == GIT_OBJECT_BLOB && !blob_too_big(repo, git_tree_entry_id(entry)) &&
	    git_blob_lookup(&blob, repo->git, git_tree_entry_id(entry)) == 0) {
		size_t n = (size_t)git_blob_rawsize(blob);
		data = xstrndup(git_blob_rawcontent(blob), n);
		if (len)
			*len = n;
	}
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return data;
}

int sw_repo_checkout(struct sw_repo *repo, const char *sha, const char *dir, char **err)
{
	git_commit *c;
	if (lookup_commit(repo, sha, &c)) {
		*err = xasprintf("commit %s not found", sha);
		return -1;
	}
	git_checkout_options opts;
	git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
	opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
	opts.target_directory = dir;
	int r = git_checkout_tree(repo->git, (git_object *)c, &opts);
	git_commit_free(c);
	if (r) {
		*err = git_error_text("checkout");
		return -1;
	}
	return 0;
}

char *sw_repo_subject(struct sw_repo *repo, const char *sha)
{
	git_commit *c;
	if (lookup_commit(repo, sha, &c))
		return NULL;
	const char *s = git_commit_summary(c);
	char *subject = xstrdup_null(s);
	git_commit_free(c);
	return subject;
}

static void fill_commit_info(git_commit *c, struct sw_branch *b)
{
	const char *s = git_commit_summary(c);
	const git_signature *a = git_commit_author(c);
	b->subject = xstrdup(s ? s : "");
	b->author = xstrdup(a && a->name ? a->name : "");
	b->time = (time_t)git_commit_time(c);
}

static bool fill_branch(git_reference *ref, git_branch_t type, struct sw_branch *b)
{
	git_commit *c;
	const char *name = git_reference_shorthand(ref);
	size_t len = strlen(name);
	/* origin/HEAD is an alias, not a branch. */
	if (type == GIT_BRANCH_REMOTE && len > 5 && strcmp(name + len - 5, "/HEAD") == 0)
		return false;
	if (git_reference_peel((git_object **)&c, ref, GIT_OBJECT_COMMIT))
		return false;
	memset(b, 0, sizeof *b);
	b->name = xstrdup(name);
	b->remote = type == GIT_BRANCH_REMOTE;
	git_oid_tostr(b->head, sizeof b->head, git_commit_id(c));
	b->ahead = b->behind = -1;
	b->upstream_ahead = b->upstream_behind = -1;
	fill_commit_info(c, b);
	git_commit_free(c);
	return true;
}

static git_repository *walker(struct sw_repo *repo)
{
	if (!repo->walker && git_repository_open(&repo->walker, repo->gitdir))
		repo->walker = NULL;
	return repo->walker ? repo->walker : repo->git;
}

static bool ahead_behind(struct sw_repo *repo, const char *a, const char *b, int *ahead, int *behind)
{
	git_oid x, y;
	size_t na, nb;
	if (git_oid_fromstr(&x, a) || git_oid_fromstr(&y, b) ||
	    git_graph_ahead_behind(&na, &nb, walker(repo), &x, &y))
		return false;
	*ahead = (int)na;
	*behind = (int)nb;
	return true;
}

/* Upstreams are looked up here, not when listing: each lookup reads the
 * configuration again, too slow for a first screen of thousands. */
static void find_upstream(struct sw_repo *repo, struct sw_branch *b)
{
	git_reference *ref, *up;
	if (b->remote || b->upstream || git_branch_lookup(&ref, repo->git, b->name, GIT_BRANCH_LOCAL))
		return;
	if (git_branch_upstream(&up, ref) == 0) {
		b->upstream = xstrdup(git_reference_shorthand(up));
		git_reference_free(up);
	}
	git_reference_free(ref);
}

void sw_repo_count(struct sw_repo *repo, const char *main_sha, struct sw_branch *b)
{
	char up[41];
	char *err = NULL;
	if (!main_sha || !ahead_behind(repo, b->head, main_sha, &b->ahead, &b->behind))
		b->ahead = b->behind = -1;
	find_upstream(repo, b);
	b->upstream_ahead = b->upstream_behind = 0;
	if (b->upstream && sw_repo_resolve(repo, b->upstream, up, &err) == 0)
		ahead_behind(repo, b->head, up, &b->upstream_ahead, &b->upstream_behind);
	free(err);
	b->counted = true;
}

struct sort_ctx {
	const char *main_branch, *integration;
};

static int pin_rank(const struct sw_branch *b, const struct sort_ctx *ctx)
{
	if (!b->remote && strcmp(b->name, ctx->main_branch) == 0)
		return 0;
	if (!b->remote && ctx->integration && strcmp(b->name, ctx->integration) == 0)
		return 1;
	return 2;
}

static int branch_cmp(const void *pa, const void *pb, void *arg)
{
	const struct sw_branch *a = pa, *b = pb;
	int ra = pin_rank(a, arg), rb = pin_rank(b, arg);
	if (ra != rb)
		return ra - rb;
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return strcmp(a->name, b->name);
}

int sw_repo_branches(struct sw_repo *repo, const char *main_branch, const char *integration, bool counts,
		     struct sw_branch **out, size_t *n, char **err)
{
	git_branch_iterator *it;
	if (git_branch_iterator_new(&it, repo->git, GIT_BRANCH_ALL)) {
		*err = git_error_text("listing branches");
		return -1;
	}
	struct sw_branch *list = NULL;
	size_t len = 0, cap = 0;
	git_reference *ref;
	git_branch_t type;
	while (git_branch_next(&ref, &type, it) == 0) {
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			list = xrealloc(list, cap * sizeof *list);
		}
		if (fill_branch(ref, type, &list[len]))
			len++;
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
	struct sort_ctx ctx = {main_branch, integration};
	if (len > 1)
		qsort_r(list, len, sizeof *list, branch_cmp, &ctx);
	char main_sha[41], *merr = NULL;
	bool have_main = sw_repo_resolve(repo, main_branch, main_sha, &merr) == 0;
	free(merr);
	for (size_t i = 0; counts && i < len; i++)
		sw_repo_count(repo, have_main ? main_sha : NULL, &list[i]);
	*out = list;
	*n = len;
	return 0;
}

void sw_branches_free(struct sw_branch *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(b[i].name);
		free(b[i].upstream);
		free(b[i].subject);
		free(b[i].author);
	}
	free(b);
}

void sw_repo_heads(struct sw_repo *repo, struct strlist *heads)
{
	git_branch_iterator *it;
	if (git_branch_iterator_new(&it, repo->git, GIT_BRANCH_ALL))
		return;
	git_reference *ref;
	git_branch_t type;
	while (git_branch_next(&ref, &type, it) == 0) {
		git_object *obj;
		if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0) {
			char sha[41];
			git_oid_tostr(sha, sizeof sha, git_object_id(obj));
			strlist_add(heads, sha);
			git_object_free(obj);
		}
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
}

/* As git names a committer: its environment first, then user.name and
 * user.email, and the login name when neither says. */
char *sw_git_who(git_repository *git)
{
	const char *name = getenv("GIT_COMMITTER_NAME"), *email = getenv("GIT_COMMITTER_EMAIL");
	if (!name || !*name) {
		name = getenv("GIT_AUTHOR_NAME");
		email = getenv("GIT_AUTHOR_EMAIL");
	}
	if (name && *name)
		return email && *email ? xasprintf("%s <%s>", name, email) : xstrdup(name);
	git_signature *sig;
	if (git_signature_default(&sig, git) == 0) {
		char *s = xasprintf("%s <%s>", sig->name, sig->email);
		git_signature_free(sig);
		return s;
	}
	struct passwd *pw = getpwuid(getuid());
	return xstrdup(pw ? pw->pw_name : "unknown");
}

char *sw_repo_who(struct sw_repo *repo)
{
	return sw_git_who(repo->git);
}

bool sw_repo_contains(struct sw_repo *repo, const char *tip, const char *sha)
{
	git_oid t, c;
	if (git_oid_fromstr(&t, tip) || git_oid_fromstr(&c, sha))
		return false;
	return git_oid_equal(&t, &c) || git_graph_descendant_of(repo->git, &t, &c) == 1;
}

int64_t sw_repo_commit_time_ms(struct sw_repo *repo, const char *sha)
{
	git_oid oid;
	git_commit *c;
	if (git_oid_fromstr(&oid, sha) || git_commit_lookup(&c, repo->git, &oid))
		return -1;
	int64_t ms = (int64_t)git_commit_time(c) * 1000;
	git_commit_free(c);
	return ms;
}

int sw_repo_log(struct sw_repo *repo, const char *from_sha, const char *to_sha, size_t max, struct sw_commit **out,
		size_t *n, bool *cut)
{
	git_oid to, from;
	git_revwalk *walk;
	git_repository *git = walker(repo);
	*out = NULL;
	*n = 0;
	*cut = false;
	if (git_oid_fromstr(&to, to_sha) || (*from_sha && git_oid_fromstr(&from, from_sha)))
		return -1;
	if (git_revwalk_new(&walk, git))
		return -1;
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	int r = git_revwalk_push(walk, &to);
	if (!r && *from_sha)
		r = git_revwalk_hide(walk, &from);
	git_oid oid;
	while (!r && git_revwalk_next(&oid, walk) == 0) {
		if (*n == max) {
			*cut = true;
			break;
		}
		git_commit *c;
		if (git_commit_lookup(&c, git, &oid)) {
			r = -1;
			break;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		struct sw_commit *e = &(*out)[(*n)++];
		git_oid_tostr(e->sha, sizeof e->sha, &oid);
		const char *subject = git_commit_summary(c);
		const git_signature *a = git_commit_author(c);
		e->subject = xstrdup(subject ? subject : "");
		e->author = xstrdup(a && a->name ? a->name : "");
		e->time = (time_t)git_commit_time(c);
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	if (r) {
		sw_commits_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void sw_commits_free(struct sw_commit *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].subject);
		free(c[i].author);
	}
	free(c);
}

int sw_repo_commits_between(struct sw_repo *repo, const char *from_sha, const char *to_sha, int64_t **times_ms,
			    size_t *n)
{
	git_oid to, from;
	git_revwalk *walk;
	git_repository *git = walker(repo);
	*times_ms = NULL;
	*n = 0;
	if (git_oid_fromstr(&to, to_sha) || (*from_sha && git_oid_fromstr(&from, from_sha)))
		return -1;
	if (git_revwalk_new(&walk, git))
		return -1;
	int r = git_revwalk_push(walk, &to);
	if (!r && *from_sha)
		r = git_revwalk_hide(walk, &from);
	size_t cap = 0;
	git_oid oid;
	while (!r && git_revwalk_next(&oid, walk) == 0) {
		git_commit *c;
		if (git_commit_lookup(&c, git, &oid)) {
			r = -1;
			break;
		}
		if (*n == cap)
			*times_ms = xrealloc(*times_ms, (cap = cap ? 2 * cap : 16) * sizeof **times_ms);
		(*times_ms)[(*n)++] = (int64_t)git_commit_time(c) * 1000;
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	if (r) {
		free(*times_ms);
		*times_ms = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
