/* Merging only what was tested: the proof, the lock, the fast-forward,
 * the push (or the pull request GitHub merges), the user's checkout of
 * main, and the record of each merge. */
#include "slipway/merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <git2.h>

#include "slipway/config.h"
#include "slipway/github.h"
#include "slipway/run.h"
#include "command.h"
#include "git_internal.h"

#define MERGES_DIR "merges"
#define LOCK_FILE "merge.lock"
/* What a push sends: libgit2 pushes references, not bare commit ids, and
 * local main must not move before the remote has taken the commit. */
#define PUSH_REF "refs/slipway/merging"
/* The merge commit under test: a ref keeps it while no branch has it. */
#define COMMIT_REF "refs/slipway/merge-commit"
#define TESTING_FILE "testing.json"	/* in MERGES_DIR: the merge under test */
#define MERGER_LOG "merger.log"

/* ---- the proof ---- */

bool sw_merge_run_proves(const struct sw_run_record *run, const char *branch, const char *sha)
{
	return run->status == SW_RUN_PASSED && !strcmp(run->commit, sha) &&
	       (!branch || (run->branch && !strcmp(run->branch, branch))) && sw_run_green(run);
}

/* Why run, a run of the head, proves nothing. */
static char *run_verdict(const struct sw_run_record *run)
{
	size_t i = sw_run_default_stage(run);
	const struct sw_stage_record *s = i < run->nstages ? &run->stages[i] : NULL;
	if (run->status == SW_RUN_PASSED)
		return xasprintf("last run #%ld ran only some stages (--stage)", run->id);
	if (!sw_run_status_final(run->status))
		return xasprintf("run #%ld is still %s: try again once it has passed", run->id,
				 sw_run_status_name(run->status));
	if (run->status == SW_RUN_FAILED && s && s->status == SW_STAGE_FAILED)
		return s->reason ? xasprintf("last run #%ld failed at stage %s (%s)", run->id, s->name, s->reason)
				 : xasprintf("last run #%ld failed at stage %s", run->id, s->name);
	return xasprintf("last run #%ld %s", run->id,
			 run->status == SW_RUN_FAILED ? "failed" : run->status == SW_RUN_CANCELLED ? "was cancelled"
											     : "was interrupted");
}

long sw_find_proof(struct sw_store *st, const char *branch, const char *sha, const char *run_hint, char **why)
{
	struct sw_run_record *runs;
	size_t n = sw_store_history(st, branch, -1, &runs, NULL);
	const struct sw_run_record *of_head = NULL;
	long proof = 0;
	for (size_t i = 0; i < n && !proof; i++) {
		if (sw_merge_run_proves(&runs[i], branch, sha))
			proof = runs[i].id;
		else if (!of_head && !strcmp(runs[i].commit, sha))
			of_head = &runs[i];
	}
	if (!proof && of_head)
		*why = run_verdict(of_head);
	else if (!proof && n && branch)
		*why = xasprintf("last run #%ld tested %.7s, an older commit: `slipway run %s` tests this one",
				 runs[0].id, runs[0].commit, run_hint);
	else if (!proof)
		*why = xasprintf("it has never been run: `slipway run %s` tests it", run_hint);
	sw_run_records_free(runs, n);
	return proof;
}

/* ---- the lock ---- */

/* One merge at a time per repository.  A flock ends with its process, so
 * a merge that crashed or was killed never leaves the lock stuck. */
static int take_lock(struct sw_store *st, int *fd_out, char **err)
{
	char *path = xasprintf("%s/%s", sw_store_root(st), LOCK_FILE);
	long pid;
	int e = sw_lock_take(path, fd_out, &pid);
	if (e && e != EWOULDBLOCK)
		*err = xasprintf("%s: cannot lock: %s", path, strerror(e));
	else if (e)
		*err = pid > 0 ? xasprintf("another merge is in progress (pid %ld): try again when it has ended", pid)
			       : xstrdup("another merge is in progress: try again when it has ended");
	free(path);
	return e == 0 ? SW_OK : e == EWOULDBLOCK ? SW_ERR_FAILED : SW_ERR_USAGE;
}

/* ---- the merge in progress ---- */

struct merge {
	git_repository *git;	/* the user's work tree, where HEAD may be main */
	struct sw_store *st;
	const struct sw_merge_options *opt;
	struct sw_config cfg;
	const char *branch;
	git_oid head, main;	/* the branch's head; main before */
	char head_sha[41], main_sha[41];
	long run;		/* the run that proved head; 0 when forced */
	bool have_heads;	/* head and main were read */
	enum sw_merge_via via;	/* SW_MERGE_VIA_COMMIT: main has moved, a merge commit is tested first */
	git_oid to;		/* where main goes: head, or the merge commit GitHub made */
	git_oid commit;		/* the merge commit under test, once made */
	char branch_head[41];	/* head before it became the merge commit */
	long test_run;		/* the run testing the merge commit */
	int lock;		/* the merge lock, which the merger inherits */
	const char *gitdir;
	struct sw_merge_result *res;	/* NULL when only planning */
	struct strlist *notes;
	char *token;		/* pull-request mode: GITHUB_TOKEN */
	const char *token_from;
	long pull;		/* the pull request merged, once known */
	char *pull_url;
};

static char *git_msg(const char *what)
{
	const git_error *e = git_error_last();
	return xasprintf("%s: %s", what, e && e->message ? e->message : "unknown git error");
}

static int branch_commit(git_repository *git, const char *name, git_oid *oid, char **err)
{
	git_reference *ref;
	git_object *obj = NULL;
	if (git_branch_lookup(&ref, git, name, GIT_BRANCH_LOCAL)) {
		*err = xasprintf("no local branch named \"%s\"", name);
		return SW_ERR_USAGE;
	}
	int r = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
	git_reference_free(ref);
	if (r) {
		*err = xasprintf("branch \"%s\" does not point at a commit", name);
		return SW_ERR_USAGE;
	}
	git_oid_cpy(oid, git_object_id(obj));
	git_object_free(obj);
	return SW_OK;
}

static int read_heads(struct merge *m, char **err)
{
	int r = branch_commit(m->git, m->branch, &m->head, err);
	if (r == SW_OK)
		r = branch_commit(m->git, m->cfg.main_branch, &m->main, err);
	git_oid_tostr(m->head_sha, sizeof m->head_sha, &m->head);
	git_oid_tostr(m->main_sha, sizeof m->main_sha, &m->main);
	m->have_heads = r == SW_OK;
	return r;
}

/* Main already has the head: the same commit, or one it descends from. */
static bool up_to_date(struct merge *m)
{
	return git_oid_equal(&m->head, &m->main) || git_graph_descendant_of(m->git, &m->main, &m->head) == 1;
}

static int check_proof(struct merge *m, char **err)
{
	char *why = NULL;
	m->run = sw_find_proof(m->st, m->branch, m->head_sha, m->branch, &why);
	if (m->run)
		return SW_OK;
	char *reason = xasprintf("%s@%.7s has no passed run; %s", m->branch, m->head_sha, why);
	free(why);
	if (!m->opt->force) {
		*err = reason;
		return SW_ERR_FAILED;
	}
	strlist_addf(m->notes, "forced: %s", reason);
	free(reason);
	return SW_OK;
}

/* Main's (base's) and the branch's changes together, in memory;
 * SW_ERR_FAILED with the paths when they conflict. */
static int merge_index(struct merge *m, const git_oid *base, git_index **idx, char **err)
{
	git_commit *ours = NULL, *theirs = NULL;
	*idx = NULL;
	if (git_commit_lookup(&ours, m->git, base) || git_commit_lookup(&theirs, m->git, &m->head) ||
	    git_merge_commits(idx, m->git, ours, theirs, NULL)) {
		*err = git_msg("cannot merge");
		git_commit_free(ours);
		git_commit_free(theirs);
		return SW_ERR_FAILED;
	}
	git_commit_free(ours);
	git_commit_free(theirs);
	if (!git_index_has_conflicts(*idx))
		return SW_OK;
	struct sbuf paths;
	sbuf_init(&paths);
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *anc, *our, *their;
	size_t n = 0;
	if (git_index_conflict_iterator_new(&it, *idx) == 0)
		while (git_index_conflict_next(&anc, &our, &their, it) == 0) {
			const git_index_entry *e = our ? our : their ? their : anc;
			if (n++ < 10)
				sbuf_addf(&paths, "%s%s", n > 1 ? ", " : "", e->path);
		}
	git_index_conflict_iterator_free(it);
	if (n > 10)
		sbuf_addf(&paths, " and %zu more", n - 10);
	*err = xasprintf("%s and %s conflict in %s: merge %s into %s, resolve, commit and test that; nothing was "
			 "changed", m->branch, m->cfg.main_branch, paths.buf, m->cfg.main_branch, m->branch);
	sbuf_free(&paths);
	return SW_ERR_FAILED;
}

/* Whether the merge in idx is the head's tree: then a merge commit of it
 * holds exactly what the run tested. */
static bool lands_head(struct merge *m, git_index *idx)
{
	git_commit *head = NULL;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	bool same = git_commit_lookup(&head, m->git, &m->head) == 0 && git_commit_tree(&tree, head) == 0 &&
		    git_diff_tree_to_index(&diff, m->git, tree, idx, NULL) == 0 && git_diff_num_deltas(diff) == 0;
	git_diff_free(diff);
	git_tree_free(tree);
	git_commit_free(head);
	return same;
}

static bool pr_mode(const struct merge *m)
{
	return m->cfg.github && m->cfg.github->pull_requests && !m->opt->no_push;
}

/* GitHub merges a pull request with a merge commit of base (main, here or
 * on the remote) and the head, which no run tests: it may be made only
 * when its tree is the head's, base having no changes the head lacks (main's
 * merge commits of earlier pull requests change nothing).  SW_OK with
 * *adds; SW_ERR_FAILED with *err when they conflict. */
static int base_adds(struct merge *m, const git_oid *base, bool *adds, char **err)
{
	git_index *idx;
	int r = merge_index(m, base, &idx, err);
	*adds = r == SW_OK && !lands_head(m, idx);
	git_index_free(idx);
	return r;
}

/* A fast-forward, a merge commit that can be made without conflicts, or
 * in pull-request mode a pull request whose merge commit is the head's tree. */
static int check_path(struct merge *m, char **err)
{
	bool ff = git_graph_descendant_of(m->git, &m->head, &m->main) == 1;
	if (pr_mode(m)) {
		m->via = SW_MERGE_VIA_PULL_REQUEST;
		bool adds = false;
		int r = ff ? SW_OK : base_adds(m, &m->main, &adds, err);
		if (adds) {
			*err = xasprintf("%s has changes %s@%.7s does not have: in pull-request mode GitHub makes the merge "
					 "commit, and no run would have tested it; merge %s into %s, run it and merge again; "
					 "nothing was changed", m->cfg.main_branch, m->branch, m->head_sha,
					 m->cfg.main_branch, m->branch);
			r = SW_ERR_FAILED;
		}
		return r;
	}
	if (ff)
		return SW_OK;
	m->via = SW_MERGE_VIA_COMMIT;
	git_index *idx;
	int r = merge_index(m, &m->main, &idx, err);
	git_index_free(idx);
	return r;
}

/* ---- pushing ---- */

struct push_state {
	struct sw_git_auth auth;	/* first: the auth callbacks' payload too */
	char *rejected;		/* the remote's reason for refusing main */
};

static int push_ref_status(const char *refname, const char *status, void *payload)
{
	struct push_state *ps = payload;
	(void)refname;
	if (status && !ps->rejected)
		ps->rejected = xstrdup(status);
	return 0;
}

/* The remote's URL without a password or token in it. */
static char *url_for_humans(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *at = strchr(host, '@'), *slash = strchr(host, '/');
	const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
	if (!scheme || !at || (slash && slash < at) || !colon)
		return xstrdup(url);
	return xasprintf("%.*s:***%s", (int)(colon - url), url, at);
}

/* Where a push goes: remote.NAME.pushurl when set, as git does. */
static const char *push_url(const git_remote *remote)
{
	const char *url = git_remote_pushurl(remote);
	return url ? url : git_remote_url(remote);
}

/* What a failure before main moved leaves: said after every such failure. */
static char *nothing_merged(struct merge *m, char *msg)
{
	char *all = m->via == SW_MERGE_VIA_PULL_REQUEST
			    ? xasprintf("%s; %s stays as it was here (%.7s) and on %s, nothing was merged", msg,
					m->cfg.main_branch, m->main_sha, m->cfg.remote)
			    : xasprintf("%s; local %s stays at %.7s, nothing was merged", msg, m->cfg.main_branch,
					m->main_sha);
	free(msg);
	return all;
}

/* What libgit2's error says of a remote: reached, trusted, logged in to. */
static char *remote_error(struct merge *m, const char *raw_url, int code, const struct sw_git_auth *auth)
{
	const git_error *e = git_error_last();
	const char *why = e && e->message ? e->message : "unknown error", *name = m->cfg.remote;
	char *url = url_for_humans(raw_url), *msg;
	/* libgit2 calls a local path that does not exist an unsupported protocol. */
	if (!strchr(raw_url, ':') && access(raw_url, F_OK))
		why = "no repository there";
	if (auth->cert_failed)
		msg = xasprintf("%s (%s) was not trusted: %s", name, url, auth->why);
	else if (code == GIT_EAUTH || auth->auth_failed)
		msg = xasprintf("authentication to %s (%s) failed: %s", name, url, auth->why ? auth->why : why);
	else
		msg = xasprintf("cannot reach %s (%s): %s", name, url, why);
	free(url);
	return msg;
}

/* dst: the remote's branch pushed to, main or (pull-request mode) the
 * merged branch. */
static char *push_error(struct merge *m, git_remote *remote, const char *dst, int code, const struct push_state *ps)
{
	const char *name = m->cfg.remote, *main = m->cfg.main_branch;
	char *url = url_for_humans(push_url(remote)), *msg;
	bool to_main = !strcmp(dst, main);
	if (ps->rejected)
		msg = xasprintf("%s (%s) refused the push to %s: %s", name, url, dst, ps->rejected);
	else if (code == GIT_ENONFASTFORWARD && to_main)
		msg = xasprintf("push rejected: %s's %s has commits %s does not have (someone pushed to it "
				"meanwhile): fetch, merge %s/%s into %s and test it", name, main, m->branch, name, main,
				m->branch);
	else if (code == GIT_ENONFASTFORWARD)
		msg = xasprintf("push rejected: %s's %s has commits %s@%.7s does not have (someone pushed to it): "
				"fetch, merge %s/%s into %s, run it and merge again", name, dst, m->branch, m->head_sha,
				name, dst, m->branch);
	else
		msg = remote_error(m, push_url(remote), code, &ps->auth);
	free(url);
	return nothing_merged(m, msg);
}

static int find_remote(struct merge *m, git_remote **remote, char **err)
{
	const char *name = m->cfg.remote, *main = m->cfg.main_branch;
	if (git_remote_lookup(remote, m->git, name)) {
		*remote = NULL;
		*err = xasprintf("no remote named \"%s\" to push %s to: add it (git remote add %s URL), name another "
				 "in slipway.json (\"remote\"), or merge with --no-push", name, main, name);
		return SW_ERR_USAGE;
	}
	return SW_OK;
}

/* Only whether there is a remote to push to; carry_out looks it up again. */
static int check_remote(struct merge *m, char **err)
{
	git_remote *remote;
	int r = find_remote(m, &remote, err);
	git_remote_free(remote);
	return r;
}

/* Looked up with the other checks, so that a dry run says when it is
 * missing; kept only as long as the merge, and wiped. */
static int check_token(struct merge *m, char **err)
{
	char *e = NULL;
	if (sw_github_token(m->opt->env, "GITHUB_TOKEN in the environment", &m->token, &m->token_from, &e)) {
		*err = e;
		return SW_ERR_USAGE;
	}
	if (m->token)
		return SW_OK;
	char *none = sw_github_no_token(SW_GITHUB_FOR_MERGE_PULL);
	*err = xasprintf("%s's slipway.json merges through pull requests (\"github\": {\"pull_requests\": true}), "
			 "and there is %s", m->cfg.main_branch, none);
	free(none);
	return SW_ERR_USAGE;
}

static void drop_token(struct merge *m)
{
	if (m->token)
		memset(m->token, 0, strlen(m->token));
	free(m->token);
	m->token = NULL;
	free(m->pull_url);
	m->pull_url = NULL;
}

/* The rule, every refusal in the order sw_merge gives them, for sw_merge
 * and sw_merge_plan alike; *nothing when main already has the head. */
static int check_all(struct merge *m, bool *nothing, char **err)
{
	int r = read_heads(m, err);
	*nothing = r == SW_OK && up_to_date(m);
	if (*nothing)
		strlist_addf(m->notes, "%s already has %s@%.7s: nothing to merge", m->cfg.main_branch, m->branch,
			     m->head_sha);
	if (r != SW_OK || *nothing)
		return r;
	r = check_proof(m, err);
	if (r == SW_OK)
		r = check_path(m, err);
	if (r == SW_OK && !m->opt->no_push)
		r = check_remote(m, err);
	if (r == SW_OK && m->via == SW_MERGE_VIA_PULL_REQUEST)
		r = check_token(m, err);
	return r;
}

/* Sends the head to the remote's branch dst (main, or in pull-request mode
 * the merged branch), which it takes only as a fast-forward: local main
 * moves after the remote has it, so a refused push leaves everything as it
 * was. */
static int push_head(struct merge *m, git_remote *remote, const char *dst, char **err)
{
	git_reference *tmp;
	if (git_reference_create(&tmp, m->git, PUSH_REF, &m->head, 1, "slipway merge: the commit to push")) {
		*err = git_msg("cannot prepare the push");
		return SW_ERR_FAILED;
	}
	char *spec = xasprintf("%s:refs/heads/%s", PUSH_REF, dst);
	git_strarray specs = {&spec, 1};
	struct push_state ps = {.auth = {.env = m->opt->env, .url = push_url(remote)}};
	git_push_options po;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	sw_git_auth_callbacks(&po.callbacks, &ps.auth);
	po.callbacks.push_update_reference = push_ref_status;
	int code = git_remote_push(remote, &specs, &po);
	int r = SW_OK;
	if (code || ps.rejected) {
		*err = push_error(m, remote, dst, code, &ps);
		r = SW_ERR_FAILED;
	}
	git_reference_delete(tmp);
	git_reference_free(tmp);
	free(ps.rejected);
	sw_git_auth_free(&ps.auth);
	free(spec);
	return r;
}

/* ---- local main and its checkout ---- */

static int move_main(struct merge *m, char **err)
{
	char *name = xasprintf("refs/heads/%s", m->cfg.main_branch);
	char *log = m->via == SW_MERGE_VIA_COMMIT
			    ? xasprintf("slipway merge: merge commit of %s@%.7s, tested by run #%ld", m->branch,
					m->branch_head, m->test_run)
		    : m->via == SW_MERGE_VIA_PULL_REQUEST
			    ? xasprintf("slipway merge: pull request #%ld of %s@%.7s, merged by GitHub", m->pull, m->branch,
					m->head_sha)
		    : m->run ? xasprintf("slipway merge: fast-forward to %s@%.7s, run #%ld", m->branch, m->head_sha, m->run)
			     : xasprintf("slipway merge: fast-forward to %s@%.7s, forced", m->branch, m->head_sha);
	git_reference *ref = NULL;
	int r = git_reference_create_matching(&ref, m->git, name, &m->to, 1, &m->main, log);
	git_reference_free(ref);
	free(log);
	free(name);
	if (r == 0)
		return SW_OK;
	bool local = m->opt->no_push || m->via == SW_MERGE_VIA_PULL_REQUEST;
	*err = git_msg(local ? "cannot move main" : "pushed, but local main could not follow");
	return SW_ERR_FAILED;
}

/* Main is this work tree's checked-out branch. */
static bool main_checked_out(struct merge *m)
{
	git_reference *head;
	if (git_repository_is_bare(m->git) || git_repository_head(&head, m->git))
		return false;
	bool yes = git_reference_is_branch(head) && !strcmp(git_reference_shorthand(head), m->cfg.main_branch);
	git_reference_free(head);
	return yes;
}

/* Changes to tracked files, staged or not; untracked files do not count,
 * and a checkout stops rather than overwrite one. */
static bool checkout_dirty(struct merge *m)
{
	git_status_options so;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	git_status_list *list;
	if (git_status_list_new(&list, m->git, &so))
		return true;
	bool dirty = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return dirty;
}

/* The files of the old main become the new main's: only the files the
 * merge changed are written, and libgit2 stops before writing any if one
 * is in the way. */
static int checkout_new_main(struct merge *m)
{
	git_commit *old = NULL, *new = NULL;
	git_tree *baseline = NULL;
	int r = git_commit_lookup(&old, m->git, &m->main) || git_commit_lookup(&new, m->git, &m->to) ||
		git_commit_tree(&baseline, old);
	if (r == 0) {
		git_checkout_options co;
		git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
		co.checkout_strategy = GIT_CHECKOUT_SAFE;
		co.baseline = baseline;
		r = git_checkout_tree(m->git, (git_object *)new, &co);
	}
	git_tree_free(baseline);
	git_commit_free(new);
	git_commit_free(old);
	return r;
}

static void update_checkout(struct merge *m, bool dirty)
{
	const char *wd = git_repository_workdir(m->git), *main = m->cfg.main_branch;
	int wd_len = (int)strlen(wd) - (wd[0] && wd[strlen(wd) - 1] == '/');
	m->res->checkout = SW_CHECKOUT_UPDATED;
	if (!dirty && checkout_new_main(m) == 0)
		return;
	m->res->checkout = SW_CHECKOUT_LEFT;
	char *why = dirty ? xstrdup("has uncommitted changes") : git_msg("could not be updated");
	strlist_addf(&m->res->notes,
		     "%s is checked out in %.*s, which %s: its files were left as they were (the old %s, %.7s), so "
		     "`git status` shows the merge undone there; `git read-tree -m -u %.7s %s` brings them to the new "
		     "%s and keeps your changes", main, wd_len, wd, why, main, m->main_sha, m->main_sha, main, main);
	free(why);
}

/* ---- the record ---- */

const char *sw_merge_via_name(enum sw_merge_via via)
{
	return via == SW_MERGE_VIA_COMMIT ? "merge-commit" : via == SW_MERGE_VIA_PULL_REQUEST ? "pull-request"
											 : "fast-forward";
}

cJSON *sw_merge_record_to_json(const struct sw_merge_record *rec)
{
	cJSON *o = cJSON_CreateObject();
	char iso[32];
	sw_iso_time((time_t)(rec->at_ms / 1000), iso);
	cJSON_AddNumberToObject(o, "schema", 1);
	cJSON_AddNumberToObject(o, "id", (double)rec->id);
	sw_json_add_clean_string(o, "who", rec->who);
	cJSON_AddStringToObject(o, "at", iso);
	sw_json_add_clean_string(o, "branch", rec->branch);
	sw_json_add_clean_string(o, "main", rec->main);
	cJSON_AddStringToObject(o, "from", rec->from);
	cJSON_AddStringToObject(o, "to", rec->to);
	if (rec->run)
		cJSON_AddNumberToObject(o, "run", (double)rec->run);
	else
		cJSON_AddNullToObject(o, "run");
	cJSON_AddBoolToObject(o, "forced", rec->forced);
	cJSON_AddBoolToObject(o, "pushed", rec->pushed);
	sw_json_add_clean_string(o, "remote", rec->remote);
	cJSON_AddStringToObject(o, "status", rec->failed ? "failed" : "merged");
	cJSON_AddStringToObject(o, "via", sw_merge_via_name(rec->via));
	if (rec->pull_request)
		cJSON_AddNumberToObject(o, "pull_request", (double)rec->pull_request);
	else
		cJSON_AddNullToObject(o, "pull_request");
	sw_json_add_clean_string(o, "pull_request_url", rec->pull_request_url);
	cJSON_AddStringToObject(o, "head", rec->head[0] ? rec->head : rec->to);
	if (rec->head_run)
		cJSON_AddNumberToObject(o, "head_run", (double)rec->head_run);
	else
		cJSON_AddNullToObject(o, "head_run");
	sw_json_add_clean_string(o, "reason", rec->reason);
	cJSON *notes = cJSON_AddArrayToObject(o, "notes");
	for (size_t i = 0; i < rec->notes.len; i++) {
		struct sbuf sb;
		sbuf_init(&sb);
		sw_utf8_clean(&sb, rec->notes.items[i], strlen(rec->notes.items[i]));
		cJSON_AddItemToArray(notes, cJSON_CreateString(sb.buf));
		sbuf_free(&sb);
	}
	return o;
}

static const char *json_string(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool is_sha(const char *s)
{
	return s && strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static int record_from_json(struct sw_merge_record *rec, const cJSON *o)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id"), *run = cJSON_GetObjectItemCaseSensitive(o, "run");
	const char *branch = json_string(o, "branch"), *main = json_string(o, "main");
	const char *from = json_string(o, "from"), *to = json_string(o, "to"), *at = json_string(o, "at");
	memset(rec, 0, sizeof *rec);
	if (!cJSON_IsNumber(id) || id->valuedouble < 1 || !branch || !main || !is_sha(from) || !is_sha(to))
		return -1;
	rec->id = (long)id->valuedouble;
	rec->who = xstrdup_null(json_string(o, "who"));
	rec->at_ms = at ? (int64_t)sw_parse_iso_time(at) * 1000 : 0;
	rec->branch = xstrdup(branch);
	rec->main = xstrdup(main);
	memcpy(rec->from, from, 41);
	memcpy(rec->to, to, 41);
	rec->run = cJSON_IsNumber(run) && run->valuedouble >= 1 ? (long)run->valuedouble : 0;
	rec->forced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "forced"));
	rec->pushed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "pushed"));
	rec->remote = xstrdup_null(json_string(o, "remote"));
	/* Records before merge commits were tested name neither. */
	const char *head = json_string(o, "head"), *status = json_string(o, "status"), *via = json_string(o, "via");
	memcpy(rec->head, is_sha(head) ? head : to, 41);
	const cJSON *head_run = cJSON_GetObjectItemCaseSensitive(o, "head_run");
	rec->head_run = cJSON_IsNumber(head_run) && head_run->valuedouble >= 1 ? (long)head_run->valuedouble
	                : !via ? rec->run : 0;
	rec->failed = status && !strcmp(status, "failed");
	rec->via = !via ? SW_MERGE_VIA_FAST_FORWARD
		   : !strcmp(via, "merge-commit") ? SW_MERGE_VIA_COMMIT
		   : !strcmp(via, "pull-request") ? SW_MERGE_VIA_PULL_REQUEST : SW_MERGE_VIA_FAST_FORWARD;
	const cJSON *pull = cJSON_GetObjectItemCaseSensitive(o, "pull_request");
	rec->pull_request = cJSON_IsNumber(pull) && pull->valuedouble >= 1 ? (long)pull->valuedouble : 0;
	rec->pull_request_url = xstrdup_null(json_string(o, "pull_request_url"));
	rec->reason = xstrdup_null(json_string(o, "reason"));
	const cJSON *notes = cJSON_GetObjectItemCaseSensitive(o, "notes"), *note;
	cJSON_ArrayForEach(note, notes)
		if (cJSON_IsString(note))
			strlist_add(&rec->notes, note->valuestring);
	return 0;
}

void sw_merge_record_free(struct sw_merge_record *rec)
{
	free(rec->who);
	free(rec->branch);
	free(rec->main);
	free(rec->remote);
	free(rec->pull_request_url);
	free(rec->reason);
	strlist_free(&rec->notes);
	memset(rec, 0, sizeof *rec);
}

void sw_merge_records_free(struct sw_merge_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sw_merge_record_free(&recs[i]);
	free(recs);
}

/* Under the merge lock: ids are never taken twice.  Written whole, durably,
 * or not at all. */
static void write_record(struct merge *m, struct sw_merge_record *rec)
{
	char *dir = xasprintf("%s/%s", sw_store_root(m->st), MERGES_DIR);
	size_t n;
	sw_mkdirs(dir, 0755);
	long *ids = sw_list_ids(dir, ".json", &n);
	rec->id = n ? ids[0] + 1 : 1;
	free(ids);
	cJSON *o = sw_merge_record_to_json(rec);
	char *text = cJSON_Print(o), *path = xasprintf("%s/%ld.json", dir, rec->id);
	int r = sw_write_atomic(path, text, strlen(text), true);
	if (r)
		strlist_addf(&m->res->notes, "the merge could not be recorded in %s: %s", path, strerror(-r));
	free(path);
	free(text);
	cJSON_Delete(o);
	free(dir);
}

/* The record of this merge as far as it went; to: main after. */
static void fill_record(struct merge *m, struct sw_merge_record *rec, const char *to)
{
	rec->who = sw_git_who(m->git);
	rec->at_ms = sw_now_ms();
	rec->branch = xstrdup(m->branch);
	rec->main = xstrdup(m->cfg.main_branch);
	memcpy(rec->from, m->main_sha, 41);
	memcpy(rec->to, to, 41);
	bool tested_commit = m->via == SW_MERGE_VIA_COMMIT;
	memcpy(rec->head, tested_commit ? m->branch_head : m->head_sha, 41);
	rec->via = m->via;
	rec->pull_request = m->pull;
	rec->pull_request_url = xstrdup_null(m->pull_url);
	rec->run = tested_commit ? m->test_run : m->run;
	rec->head_run = m->run;
	rec->forced = m->run == 0;	/* only --force gets this far without a proof */
}

static void record_merge(struct merge *m, bool pushed)
{
	struct sw_merge_record *rec = &m->res->rec;
	char to[41];
	git_oid_tostr(to, sizeof to, &m->to);
	fill_record(m, rec, to);
	rec->pushed = pushed;
	rec->remote = pushed ? xstrdup(m->cfg.remote) : NULL;
	/* The merger's notes reach its waiting caller only through here. */
	if (m->via == SW_MERGE_VIA_COMMIT)
		for (size_t i = 0; i < m->res->notes.len; i++)
			strlist_add(&rec->notes, m->res->notes.items[i]);
	m->res->merged = true;
	write_record(m, rec);
}

size_t sw_merge_history(struct sw_store *st, const char *branch, long limit, struct sw_merge_record **out,
			struct strlist *warnings)
{
	char *dir = xasprintf("%s/%s", sw_store_root(st), MERGES_DIR);
	size_t n, kept = 0;
	long *ids = sw_list_ids(dir, ".json", &n);
	*out = xcalloc(n + 1, sizeof **out);
	for (size_t i = 0; i < n && (limit < 0 || (long)kept < limit); i++) {
		char *path = xasprintf("%s/%ld.json", dir, ids[i]);
		size_t len;
		char *text = sw_read_file(path, &len);
		cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
		struct sw_merge_record *rec = &(*out)[kept];
		if (!o || record_from_json(rec, o))
			strlist_addf(warnings, "%s: not a valid merge record", path);
		else if (branch && strcmp(rec->branch, branch))
			sw_merge_record_free(rec);
		else
			kept++;
		cJSON_Delete(o);
		free(text);
		free(path);
	}
	free(ids);
	free(dir);
	return kept;
}

/* ---- the merge ---- */

/* Everything that can refuse is asked before anything moves; the push
 * goes first, so that what fails after it is only local and says so. */
static int carry_out(struct merge *m, char **err)
{
	git_remote *remote = NULL;
	bool checked_out = main_checked_out(m);
	bool dirty = checked_out && checkout_dirty(m);
	int r = m->opt->no_push ? SW_OK : find_remote(m, &remote, err);
	git_oid_cpy(&m->to, &m->head);
	if (r == SW_OK && remote)
		r = push_head(m, remote, m->cfg.main_branch, err);
	if (r == SW_OK)
		r = move_main(m, err);
	if (r == SW_OK && checked_out)
		update_checkout(m, dirty);
	if (r == SW_OK)
		record_merge(m, remote != NULL);
	git_remote_free(remote);
	return r;
}

/* ---- pull-request mode ---- */

static char *head_subject(struct merge *m);

/* Where the remote's main and the merged branch are. */
struct remote_heads {
	git_oid main, branch;
	bool has_main, has_branch;
};

static void find_head(const git_remote_head *const *heads, size_t n, const char *branch, git_oid *oid, bool *has)
{
	char *name = xasprintf("refs/heads/%s", branch);
	*has = false;
	for (size_t i = 0; i < n && !*has; i++)
		if (!strcmp(heads[i]->name, name)) {
			git_oid_cpy(oid, &heads[i]->oid);
			*has = true;
		}
	free(name);
}

/* Fetches the remote's main and branch as git fetch does (into their
 * remote-tracking branches), so that their commits can be looked at here.
 * *err (allocated) says what went wrong with the remote. */
static int fetch_heads(struct merge *m, git_remote *remote, struct remote_heads *h, char **err)
{
	const char *name = m->cfg.remote, *main = m->cfg.main_branch;
	char *spec[] = {xasprintf("+refs/heads/%s:refs/remotes/%s/%s", main, name, main),
			xasprintf("+refs/heads/%s:refs/remotes/%s/%s", m->branch, name, m->branch)};
	git_strarray specs = {spec, 2};
	struct sw_git_auth auth = {.env = m->opt->env, .url = git_remote_url(remote)};
	git_fetch_options fo;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	sw_git_auth_callbacks(&fo.callbacks, &auth);
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	const git_remote_head **heads = NULL;
	size_t n = 0;
	/* The list of the remote's refs outlives the connection (libgit2's
	 * git_remote_ls). */
	int code = git_remote_fetch(remote, &specs, &fo, "slipway merge: fetch");
	if (!code)
		code = git_remote_ls(&heads, &n, remote);
	if (code)
		*err = remote_error(m, git_remote_url(remote), code, &auth);
	find_head(heads, n, main, &h->main, &h->has_main);
	find_head(heads, n, m->branch, &h->branch, &h->has_branch);
	sw_git_auth_free(&auth);
	free(spec[0]);
	free(spec[1]);
	return code ? SW_ERR_FAILED : SW_OK;
}

/* GitHub merges into the remote's main, which may be ahead of ours. */
static int check_remote_main(struct merge *m, const struct remote_heads *h, char **err)
{
	const char *name = m->cfg.remote, *main = m->cfg.main_branch;
	bool adds = false;
	int r = SW_OK;
	if (!h->has_main)
		*err = xasprintf("%s has no branch %s for the pull request to go into", name, main);
	else if (git_oid_equal(&h->main, &m->head) || git_graph_descendant_of(m->git, &h->main, &m->head) == 1)
		*err = xasprintf("%s's %s already has %s@%.7s (merged on GitHub?): `git fetch %s` and fast-forward %s to "
				 "%s/%s", name, main, m->branch, m->head_sha, name, main, name, main);
	else if (git_graph_descendant_of(m->git, &m->head, &h->main) != 1 &&
		 (r = base_adds(m, &h->main, &adds, err)) == SW_OK && adds)
		*err = xasprintf("%s's %s (%.7s) has changes %s@%.7s does not have (merged on GitHub meanwhile?): merge "
				 "%s/%s into %s, run it and merge again", name, main, git_oid_tostr_s(&h->main),
				 m->branch, m->head_sha, name, main, m->branch);
	else
		return r;
	if (r == SW_OK)
		*err = nothing_merged(m, *err);
	return SW_ERR_FAILED;
}

/* The remote's branch is the pull request's head: pushed unless it is the
 * head already, or has it and more (then GitHub's own check of the head,
 * 409, says that the branch moved after the run). */
static bool needs_push(struct merge *m, const struct remote_heads *h)
{
	return !h->has_branch ||
	       (!git_oid_equal(&h->branch, &m->head) && git_graph_descendant_of(m->git, &h->branch, &m->head) != 1);
}

/* A GitHub call's code and its *gerr, as a merge's refusal. */
static int github_failed(struct merge *m, int code, char *gerr, char **err)
{
	if (!code)
		return SW_OK;
	*err = nothing_merged(m, gerr);
	return SW_ERR_FAILED;
}

/* What the pull request and its merge commit say of the proof. */
static char *proof_text(struct merge *m)
{
	return m->run ? xasprintf("%s@%s passed every stage in slipway run #%ld.", m->branch, m->head_sha, m->run)
		      : xasprintf("Merged with slipway merge --force: no slipway run proves %s@%s.", m->branch,
				  m->head_sha);
}

static int open_pull(struct merge *m, struct sw_github *gh, struct sw_github_pull *pr, char **err)
{
	char *subject = head_subject(m), *proof = proof_text(m), *gerr = NULL;
	char *title = subject && *subject ? xstrdup(subject) : xasprintf("%s@%.7s", m->branch, m->head_sha);
	char *body = xasprintf("%s\n\n`slipway merge` merges this pull request only while its head is that commit.",
			       proof);
	int code = sw_github_open_pull(gh, m->branch, m->cfg.main_branch, title, body, pr, &gerr);
	int r = github_failed(m, code, gerr, err);
	free(body);
	free(title);
	free(proof);
	free(subject);
	return r;
}

/* GitHub moves a pull request's head to a pushed commit a moment after
 * the push: merged before, the head would look moved (409). */
static void wait_for_pull_head(struct merge *m, struct sw_github *gh, struct sw_github_pull *pr)
{
	for (int i = 0; i < 10 && strcmp(pr->head_sha, m->head_sha); i++) {
		struct sw_github_pull now;
		char *gerr = NULL;
		if (i) {
			struct timespec ts = {1, 0};
			nanosleep(&ts, NULL);
		}
		if (sw_github_get_pull(gh, pr->number, &now, &gerr)) {
			free(gerr);	/* the merge asks again, and says */
			return;
		}
		sw_github_pull_free(pr);
		*pr = now;
	}
}

static int merge_pull(struct merge *m, struct sw_github *gh, const struct sw_github_pull *pr, char merged[41],
		      char **err)
{
	const char *repo = m->cfg.github->repo, *slash = strchr(repo, '/');
	char *title = xasprintf("Merge pull request #%ld from %.*s/%s", pr->number, (int)(slash - repo), repo,
				m->branch);
	char *proof = proof_text(m), *gerr = NULL;
	int code = sw_github_merge_pull(gh, pr->number, m->branch, m->head_sha, title, proof, merged, &gerr);
	int r = github_failed(m, code, gerr, err);
	if (r == SW_OK) {
		m->pull = pr->number;
		m->pull_url = xstrdup(pr->url);
	}
	free(proof);
	free(title);
	return r;
}

/* GitHub has merged: local main follows the remote's.  What keeps it from
 * following is a note, not a failure, since the merge is done. */
static bool follow_remote_main(struct merge *m, git_remote *remote, const char *merged)
{
	struct remote_heads h;
	git_commit *c = NULL;
	char *why = NULL;
	git_oid_fromstr(&m->to, merged);
	if (fetch_heads(m, remote, &h, &why) == SW_OK && git_commit_lookup(&c, m->git, &m->to))
		why = xasprintf("GitHub's merge commit %s is not on %s's %s", merged, m->cfg.remote, m->cfg.main_branch);
	else if (!why && git_graph_descendant_of(m->git, &m->to, &m->main) != 1)
		why = xasprintf("it has commits %s's %s does not have", m->cfg.remote, m->cfg.main_branch);
	else if (!why)
		move_main(m, &why);
	git_commit_free(c);
	if (why)
		strlist_addf(m->notes, "pull request #%ld was merged on GitHub (%s's %s is now %.7s), but local %s stays at "
			     "%.7s: %s; `git fetch %s` and `git merge --ff-only %s/%s` on %s bring it there", m->pull,
			     m->cfg.remote, m->cfg.main_branch, merged, m->cfg.main_branch, m->main_sha, why,
			     m->cfg.remote, m->cfg.remote, m->cfg.main_branch, m->cfg.main_branch);
	free(why);
	return !why;
}

/* Found before anything is pushed, so that a token or repository GitHub
 * refuses stops the merge before the remote's branch moves. */
static int carry_out_pr(struct merge *m, char **err)
{
	git_remote *remote = NULL;
	struct sw_github_settings s = {m->cfg.github->api, m->cfg.github->repo, m->token, m->token_from};
	struct sw_github *gh = sw_github_new(&s);
	struct sw_github_pull pr = {0};
	struct remote_heads h;
	char merged[41] = "", *gerr = NULL;
	bool checked_out = main_checked_out(m), dirty = checked_out && checkout_dirty(m), push = false;
	int r = find_remote(m, &remote, err);
	if (r == SW_OK && (r = fetch_heads(m, remote, &h, &gerr)))
		*err = nothing_merged(m, gerr);
	if (r == SW_OK)
		r = check_remote_main(m, &h, err);
	if (r == SW_OK) {
		int code = sw_github_find_pull(gh, m->branch, m->cfg.main_branch, &pr, &gerr);
		r = github_failed(m, code, gerr, err);
	}
	if (r == SW_OK && (push = needs_push(m, &h)))
		r = push_head(m, remote, m->branch, err);
	if (r == SW_OK && !pr.number)
		r = open_pull(m, gh, &pr, err);
	else if (r == SW_OK && push)
		wait_for_pull_head(m, gh, &pr);
	if (r == SW_OK)
		r = merge_pull(m, gh, &pr, merged, err);
	if (r == SW_OK && follow_remote_main(m, remote, merged) && checked_out)
		update_checkout(m, dirty);
	if (r == SW_OK)
		record_merge(m, true);
	sw_github_pull_free(&pr);
	sw_github_free(gh);
	git_remote_free(remote);
	return r;
}

/* ---- a merge commit, tested before main moves ---- */

static char *merges_path(struct sw_store *st, const char *name)
{
	return xasprintf("%s/%s/%s", sw_store_root(st), MERGES_DIR, name);
}

/* Written without the index or work tree: the user's checkout is not
 * touched, and the commit is kept by COMMIT_REF only. */
static int make_commit(struct merge *m, char **err)
{
	git_index *idx;
	int r = merge_index(m, &m->main, &idx, err);
	if (r != SW_OK)
		return r;
	git_oid tree_id;
	git_tree *tree = NULL;
	git_commit *ours = NULL, *theirs = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	char *msg = xasprintf("Merge branch '%s' into %s\n", m->branch, m->cfg.main_branch);
	int g = git_index_write_tree_to(&tree_id, idx, m->git);
	if (!g)
		g = git_tree_lookup(&tree, m->git, &tree_id);
	if (!g)
		g = git_commit_lookup(&ours, m->git, &m->main) || git_commit_lookup(&theirs, m->git, &m->head);
	/* The committer git would name; slipway when git knows none. */
	if (!g && git_signature_default(&sig, m->git))
		g = git_signature_now(&sig, "slipway", "slipway@localhost");
	const git_commit *parents[] = {ours, theirs};
	if (!g)
		g = git_commit_create(&m->commit, m->git, NULL, sig, sig, NULL, msg, tree, 2, parents);
	if (!g)
		g = git_reference_create(&ref, m->git, COMMIT_REF, &m->commit, 1, "slipway merge: the merge commit to test");
	if (g) {
		*err = git_msg("cannot make the merge commit");
		r = SW_ERR_FAILED;
	}
	git_reference_free(ref);
	git_signature_free(sig);
	git_commit_free(ours);
	git_commit_free(theirs);
	git_tree_free(tree);
	git_index_free(idx);
	free(msg);
	return r;
}

static void drop_commit_ref(struct merge *m)
{
	git_reference *ref;
	if (git_reference_lookup(&ref, m->git, COMMIT_REF) == 0) {
		git_reference_delete(ref);
		git_reference_free(ref);
	}
}

/* What `slipway status` and the dashboard show while the run goes. */
static void write_testing(struct merge *m)
{
	struct sw_merge_record rec = {0};
	char sha[41];
	git_oid_tostr(sha, sizeof sha, &m->commit);
	fill_record(m, &rec, sha);
	cJSON *o = sw_merge_record_to_json(&rec);
	cJSON_ReplaceItemInObjectCaseSensitive(o, "status", cJSON_CreateString("testing"));
	char *text = cJSON_Print(o), *path = merges_path(m->st, TESTING_FILE);
	char *dir = xasprintf("%s/%s", sw_store_root(m->st), MERGES_DIR);
	sw_mkdirs(dir, 0755);	/* the first merge's */
	free(dir);
	sw_write_atomic(path, text, strlen(text), false);
	free(path);
	free(text);
	cJSON_Delete(o);
	sw_merge_record_free(&rec);
}

/* Main stayed where it was: said in the record, which the caller waits for. */
static void record_failed(struct merge *m, char *reason)
{
	struct sw_merge_record *rec = &m->res->rec;
	char sha[41];
	git_oid_tostr(sha, sizeof sha, &m->commit);
	fill_record(m, rec, sha);
	rec->failed = true;
	rec->reason = reason;
	write_record(m, rec);
}

/* The executor holds its run's lock until it has saved how the run ended. */
static void wait_for_run(struct sw_store *st, long id)
{
	char *dir = sw_store_run_dir(st, id), *path = xasprintf("%s/lock", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && flock(fd, LOCK_SH) < 0 && errno == EINTR)
		;
	if (fd >= 0)
		close(fd);
	free(path);
	free(dir);
}

/* What the merge commit's run says, as a refusal. */
static char *test_failed(struct merge *m, const struct sw_run_record *run, const char *load_err)
{
	char *verdict = !run ? xasprintf("its record cannot be read (%s)", load_err)
			: run->status == SW_RUN_PASSED ? xstrdup("it ran only some stages")
			: run_verdict(run);
	/* run_verdict speaks of "last run #N": here it is the merge commit's. */
	const char *v = !strncmp(verdict, "last ", 5) ? verdict + 5 : verdict;
	char *why = xasprintf("the merge commit %.7s of %s@%.7s and %s@%.7s did not pass: %s; %s stays at %.7s",
			      git_oid_tostr_s(&m->commit), m->branch, m->branch_head, m->cfg.main_branch, m->main_sha,
			      v, m->cfg.main_branch, m->main_sha);
	free(verdict);
	return why;
}

/* The merge's own process: waits for the run, then moves main (and
 * pushes) only if the run passed and main is still where the merge
 * commit was made from.  It holds the merge lock all along. */
static _Noreturn void merger_main(void *arg)
{
	struct merge *m = arg;
	prctl(PR_SET_NAME, "slipway-merge");
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	git_repository_free(m->git);
	m->git = NULL;
	/* Nothing of the caller's but the merge lock. */
	if (m->lock != 3)
		m->lock = dup2(m->lock, 3);
	sw_lock_note_pid(m->lock);
	close_range(4, ~0U, 0);
	char *log = merges_path(m->st, MERGER_LOG);
	sw_stdio_to_log(log, 0644);
	free(log);
	struct sw_merge_result res = {0};
	m->res = &res;
	m->notes = &res.notes;
	if (git_repository_open(&m->git, m->gitdir)) {
		fprintf(stderr, "slipway merge: %s\n", git_msg("cannot open the repository"));
		_exit(1);
	}
	wait_for_run(m->st, m->test_run);
	struct sw_run_record run;
	char *err = NULL;
	bool loaded = sw_store_load(m->st, m->test_run, &run, &err) == 0;
	char sha[41];
	git_oid_tostr(sha, sizeof sha, &m->commit);
	git_oid now;
	char *moved = NULL;
	if (loaded && sw_merge_run_proves(&run, m->cfg.main_branch, sha) &&
	    branch_commit(m->git, m->cfg.main_branch, &now, &moved) == SW_OK && !git_oid_equal(&now, &m->main))
		moved = xasprintf("%s moved to %.7s while run #%ld tested the merge commit %.7s: nothing was merged; "
				  "`slipway merge %s` makes and tests a new one", m->cfg.main_branch,
				  git_oid_tostr_s(&now), m->test_run, sha, m->branch);
	if (loaded && sw_merge_run_proves(&run, m->cfg.main_branch, sha) && !moved) {
		git_oid_cpy(&m->head, &m->commit);
		memcpy(m->head_sha, sha, 41);
		char *why = NULL;
		if (carry_out(m, &why) != SW_OK)
			record_failed(m, why);
	} else {
		record_failed(m, moved ? moved : test_failed(m, loaded ? &run : NULL, err));
	}
	if (loaded)
		sw_run_record_free(&run);
	free(err);
	for (size_t i = 0; i < res.notes.len; i++)
		fprintf(stderr, "slipway merge: %s\n", res.notes.items[i]);
	if (res.rec.failed)
		fprintf(stderr, "slipway merge: %s\n", res.rec.reason);
	drop_commit_ref(m);
	char *testing = merges_path(m->st, TESTING_FILE);
	unlink(testing);
	free(testing);
	_exit(0);
}

/* Makes the merge commit, starts its run and hands the merge lock to the
 * merge's own process, which finishes the merge when the run has ended. */
static int start_test(struct sw_repo *repo, struct merge *m, char **err)
{
	memcpy(m->branch_head, m->head_sha, 41);
	int r = make_commit(m, err);
	if (r != SW_OK)
		return r;
	char sha[41];
	git_oid_tostr(sha, sizeof sha, &m->commit);
	struct sw_run_options ro = {.branch = m->cfg.main_branch, .commit = sha, .trigger = "merge", .env = m->opt->env};
	bool existing;
	char *why = NULL;
	if (sw_run_start(repo, m->st, &ro, &m->test_run, &existing, &why) != SW_OK) {
		*err = xasprintf("cannot test the merge commit: %s; nothing was changed", why);
		free(why);
		drop_commit_ref(m);
		return SW_ERR_FAILED;
	}
	write_testing(m);
	int e = sw_detach(merger_main, m);
	if (e) {
		*err = xasprintf("cannot start the merge's process: %s; run #%ld tests the merge commit, and %s stays "
				 "where it is", strerror(e), m->test_run, m->cfg.main_branch);
		char *testing = merges_path(m->st, TESTING_FILE);
		unlink(testing);
		free(testing);
		return SW_ERR_FAILED;
	}
	m->res->testing = m->test_run;
	memcpy(m->res->commit, sha, 41);
	fill_record(m, &m->res->rec, sha);	/* as far as it is known: names, from, head */
	return SW_OK;
}

int sw_merge_wait(struct sw_store *st, long run, struct sw_merge_record *rec)
{
	char *path = xasprintf("%s/%s", sw_store_root(st), LOCK_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	while (fd >= 0 && flock(fd, LOCK_SH) < 0 && errno == EINTR)
		;
	if (fd >= 0)
		close(fd);
	struct sw_merge_record *recs;
	size_t n = sw_merge_history(st, NULL, 20, &recs, NULL);
	int r = -1;
	for (size_t i = 0; i < n && r; i++)
		if (recs[i].via == SW_MERGE_VIA_COMMIT && recs[i].run == run) {
			*rec = recs[i];
			memset(&recs[i], 0, sizeof recs[i]);
			r = 0;
		}
	sw_merge_records_free(recs, n);
	return r;
}

bool sw_merge_testing(struct sw_store *st, struct sw_merge_record *rec)
{
	char *lock = xasprintf("%s/%s", sw_store_root(st), LOCK_FILE), *path = merges_path(st, TESTING_FILE);
	/* The merge's process holds the lock while its merge commit is tested;
	 * a file it left when killed says nothing. */
	bool held = sw_lock_held(lock);
	size_t len;
	char *text = held ? sw_read_file(path, &len) : NULL;
	cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
	cJSON_AddNumberToObject(o, "id", 1);
	bool ok = o && record_from_json(rec, o) == 0;
	cJSON_Delete(o);
	free(text);
	free(path);
	free(lock);
	return ok;
}

/* The branch's name, main's and the remote come from the policy, never
 * from the commit being merged. */
static int prepare(struct sw_repo *repo, struct merge *m, char **err)
{
	const char *wd = sw_repo_workdir(repo);
	if (git_repository_open(&m->git, wd ? wd : sw_repo_gitdir(repo))) {
		*err = git_msg("cannot open the repository");
		return SW_ERR_USAGE;
	}
	if (sw_project_config(repo, &m->cfg, err))
		return SW_ERR_USAGE;
	m->branch = m->opt->branch ? m->opt->branch : m->cfg.integration_branch;
	if (!strcmp(m->branch, m->cfg.main_branch)) {
		*err = xasprintf("%s is main: name the branch to merge into it (slipway merge BRANCH)", m->branch);
		return SW_ERR_USAGE;
	}
	return SW_OK;
}

static char *head_subject(struct merge *m)
{
	git_commit *c;
	if (!m->have_heads || git_commit_lookup(&c, m->git, &m->head))
		return NULL;
	const char *summary = git_commit_summary(c);
	char *s = xstrdup(summary ? summary : "");
	git_commit_free(c);
	return s;
}

static void fill_plan(struct merge *m, struct sw_merge_plan *out, bool nothing)
{
	static const enum sw_merge_action by_via[] = {[SW_MERGE_VIA_FAST_FORWARD] = SW_MERGE_FAST_FORWARD,
						      [SW_MERGE_VIA_COMMIT] = SW_MERGE_TEST_COMMIT,
						      [SW_MERGE_VIA_PULL_REQUEST] = SW_MERGE_PULL_REQUEST};
	out->action = nothing ? SW_MERGE_NOTHING : by_via[m->via];
	out->branch = xstrdup_null(m->branch);
	out->main = xstrdup_null(m->cfg.main_branch);
	if (m->have_heads) {
		memcpy(out->head, m->head_sha, 41);
		memcpy(out->from, m->main_sha, 41);
	}
	out->subject = head_subject(m);
	out->run = m->run;
	out->remote = m->opt->no_push ? NULL : xstrdup_null(m->cfg.remote);
	if (m->via == SW_MERGE_VIA_PULL_REQUEST)
		out->github_repo = xstrdup(m->cfg.github->repo);
}

int sw_merge_plan(struct sw_repo *repo, struct sw_store *st, const struct sw_merge_options *opt,
		  struct sw_merge_plan *out, char **err)
{
	memset(out, 0, sizeof *out);
	git_libgit2_init();
	struct merge m = {.st = st, .opt = opt, .notes = &out->notes};
	bool nothing = false;
	int r = prepare(repo, &m, err);
	if (r == SW_OK)
		r = check_all(&m, &nothing, err);
	fill_plan(&m, out, nothing);
	drop_token(&m);
	sw_config_free(&m.cfg);
	git_repository_free(m.git);
	git_libgit2_shutdown();
	return r;
}

void sw_merge_plan_free(struct sw_merge_plan *plan)
{
	free(plan->branch);
	free(plan->main);
	free(plan->subject);
	free(plan->remote);
	free(plan->github_repo);
	strlist_free(&plan->notes);
	memset(plan, 0, sizeof *plan);
}

static void add_sha_or_null(cJSON *o, const char *key, const char *sha)
{
	if (sha[0])
		cJSON_AddStringToObject(o, key, sha);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *sw_merge_plan_to_json(const struct sw_merge_plan *plan)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "schema", 1);
	cJSON_AddStringToObject(o, "action", plan->action == SW_MERGE_NOTHING		? "nothing"
					     : plan->action == SW_MERGE_TEST_COMMIT	? "merge-commit"
					     : plan->action == SW_MERGE_PULL_REQUEST ? "pull-request"
										      : "fast-forward");
	sw_json_add_clean_string(o, "branch", plan->branch);
	sw_json_add_clean_string(o, "main", plan->main);
	add_sha_or_null(o, "from", plan->from);
	add_sha_or_null(o, "to", plan->head);
	sw_json_add_clean_string(o, "subject", plan->subject);
	if (plan->run)
		cJSON_AddNumberToObject(o, "run", (double)plan->run);
	else
		cJSON_AddNullToObject(o, "run");
	cJSON_AddBoolToObject(o, "push", plan->remote != NULL);
	sw_json_add_clean_string(o, "remote", plan->remote);
	sw_json_add_clean_string(o, "github", plan->github_repo);
	return o;
}

int sw_merge(struct sw_repo *repo, struct sw_store *st, const struct sw_merge_options *opt,
	     struct sw_merge_result *res, char **err)
{
	memset(res, 0, sizeof *res);
	git_libgit2_init();
	struct merge m = {.st = st, .opt = opt, .res = res, .notes = &res->notes};
	int lock = -1;
	bool nothing = false;
	int r = prepare(repo, &m, err);
	if (r == SW_OK)
		r = take_lock(st, &lock, err);
	/* Checked under the lock: a merge that just ended has moved main. */
	if (r == SW_OK)
		r = check_all(&m, &nothing, err);
	m.lock = lock;
	m.gitdir = sw_repo_gitdir(repo);
	if (r == SW_OK && !nothing)
		r = m.via == SW_MERGE_VIA_COMMIT	   ? start_test(repo, &m, err)
		    : m.via == SW_MERGE_VIA_PULL_REQUEST ? carry_out_pr(&m, err)
							 : carry_out(&m, err);
	if (lock >= 0)
		close(lock);
	drop_token(&m);
	sw_config_free(&m.cfg);
	git_repository_free(m.git);
	git_libgit2_shutdown();
	return r;
}

void sw_merge_result_free(struct sw_merge_result *res)
{
	sw_merge_record_free(&res->rec);
	strlist_free(&res->notes);
	memset(res, 0, sizeof *res);
}
