/* Merging only what was tested: the proof, the lock, the fast-forward,
 * the push, the user's checkout of main, and the record of each merge. */
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
#include <unistd.h>

#include <cjson/cJSON.h>
#include <git2.h>

#include "slipway/config.h"
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
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int r = SW_OK;
	if (fd < 0) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		r = SW_ERR_USAGE;
	} else if (flock(fd, LOCK_EX | LOCK_NB)) {
		char buf[24] = "";
		int e = errno;
		long pid = pread(fd, buf, sizeof buf - 1, 0) > 0 ? strtol(buf, NULL, 10) : 0;
		*err = e != EWOULDBLOCK ? xasprintf("%s: cannot lock: %s", path, strerror(e))
		       : pid > 0 ? xasprintf("another merge is in progress (pid %ld): try again when it has ended", pid)
				 : xstrdup("another merge is in progress: try again when it has ended");
		close(fd);
		r = SW_ERR_FAILED;
	} else {
		/* Only for the message above, which without it names no pid: the
		 * lock itself is the flock. */
		char pid[24];
		int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		bool noted = ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) == len;
		(void)noted;
		*fd_out = fd;
	}
	free(path);
	return r;
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
	bool via_commit;	/* main has moved: a merge commit is tested first */
	git_oid commit;		/* that merge commit, once made */
	char branch_head[41];	/* head before it became the merge commit */
	long test_run;		/* the run testing the merge commit */
	int lock;		/* the merge lock, which the merger inherits */
	const char *gitdir;
	struct sw_merge_result *res;	/* NULL when only planning */
	struct strlist *notes;
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

/* Main's and the branch's changes together, in memory; SW_ERR_FAILED
 * with the paths when they conflict. */
static int merge_index(struct merge *m, git_index **idx, char **err)
{
	git_commit *ours = NULL, *theirs = NULL;
	*idx = NULL;
	if (git_commit_lookup(&ours, m->git, &m->main) || git_commit_lookup(&theirs, m->git, &m->head) ||
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

/* A fast-forward, or a merge commit that can be made without conflicts. */
static int check_path(struct merge *m, char **err)
{
	if (git_graph_descendant_of(m->git, &m->head, &m->main) == 1)
		return SW_OK;
	m->via_commit = true;
	git_index *idx;
	int r = merge_index(m, &idx, err);
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

static char *push_error(struct merge *m, git_remote *remote, int code, const struct push_state *ps)
{
	const git_error *e = git_error_last();
	const char *why = e && e->message ? e->message : "unknown error";
	const char *name = m->cfg.remote, *main = m->cfg.main_branch, *raw = push_url(remote);
	char *url = url_for_humans(raw), *msg;
	/* libgit2 calls a local path that does not exist an unsupported protocol. */
	if (!strchr(raw, ':') && access(raw, F_OK))
		why = "no repository there";
	if (ps->rejected)
		msg = xasprintf("%s (%s) refused the push to %s: %s", name, url, main, ps->rejected);
	else if (code == GIT_ENONFASTFORWARD)
		msg = xasprintf("push rejected: %s's %s has commits %s does not have (someone pushed to it "
				"meanwhile): fetch, merge %s/%s into %s and test it", name, main, m->branch, name, main,
				m->branch);
	else if (ps->auth.cert_failed)
		msg = xasprintf("%s (%s) was not trusted: %s", name, url, ps->auth.why);
	else if (code == GIT_EAUTH || ps->auth.auth_failed)
		msg = xasprintf("authentication to %s (%s) failed: %s", name, url, ps->auth.why ? ps->auth.why : why);
	else
		msg = xasprintf("cannot reach %s (%s): %s", name, url, why);
	char *all = xasprintf("%s; local %s stays at %.7s, nothing was merged", msg, main, m->main_sha);
	free(msg);
	free(url);
	return all;
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
	return r;
}

/* Sends the head to the remote's main, which it takes only as a
 * fast-forward: local main moves after the remote has it, so a refused
 * push leaves everything as it was. */
static int push_head(struct merge *m, git_remote *remote, char **err)
{
	git_reference *tmp;
	if (git_reference_create(&tmp, m->git, PUSH_REF, &m->head, 1, "slipway merge: the commit to push")) {
		*err = git_msg("cannot prepare the push");
		return SW_ERR_FAILED;
	}
	char *spec = xasprintf("%s:refs/heads/%s", PUSH_REF, m->cfg.main_branch);
	git_strarray specs = {&spec, 1};
	struct push_state ps = {.auth = {.env = m->opt->env, .url = push_url(remote)}};
	git_push_options po;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	sw_git_auth_callbacks(&po.callbacks, &ps.auth);
	po.callbacks.push_update_reference = push_ref_status;
	int code = git_remote_push(remote, &specs, &po);
	int r = SW_OK;
	if (code || ps.rejected) {
		*err = push_error(m, remote, code, &ps);
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
	char *log = m->via_commit ? xasprintf("slipway merge: merge commit of %s@%.7s, tested by run #%ld", m->branch,
					      m->branch_head, m->test_run)
		    : m->run ? xasprintf("slipway merge: fast-forward to %s@%.7s, run #%ld", m->branch, m->head_sha, m->run)
			     : xasprintf("slipway merge: fast-forward to %s@%.7s, forced", m->branch, m->head_sha);
	git_reference *ref = NULL;
	int r = git_reference_create_matching(&ref, m->git, name, &m->head, 1, &m->main, log);
	git_reference_free(ref);
	free(log);
	free(name);
	if (r == 0)
		return SW_OK;
	*err = git_msg(m->opt->no_push ? "cannot move main" : "pushed, but local main could not follow");
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
	int r = git_commit_lookup(&old, m->git, &m->main) || git_commit_lookup(&new, m->git, &m->head) ||
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
	cJSON_AddStringToObject(o, "via", rec->via_commit ? "merge-commit" : "fast-forward");
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
	rec->via_commit = via && !strcmp(via, "merge-commit");
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
	memcpy(rec->head, m->via_commit ? m->branch_head : m->head_sha, 41);
	rec->via_commit = m->via_commit;
	rec->run = m->via_commit ? m->test_run : m->run;
	rec->head_run = m->run;
	rec->forced = m->run == 0;	/* only --force gets this far without a proof */
}

static void record_merge(struct merge *m, bool pushed)
{
	struct sw_merge_record *rec = &m->res->rec;
	fill_record(m, rec, m->head_sha);
	rec->pushed = pushed;
	rec->remote = pushed ? xstrdup(m->cfg.remote) : NULL;
	/* The merger's notes reach its waiting caller only through here. */
	if (m->via_commit)
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
	if (r == SW_OK && remote)
		r = push_head(m, remote, err);
	if (r == SW_OK)
		r = move_main(m, err);
	if (r == SW_OK && checked_out)
		update_checkout(m, dirty);
	if (r == SW_OK)
		record_merge(m, remote != NULL);
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
	int r = merge_index(m, &idx, err);
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
	close_range(4, ~0U, 0);
	char *log = merges_path(m->st, MERGER_LOG);
	int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), in = open("/dev/null", O_RDONLY);
	free(log);
	dup2(in, STDIN_FILENO);
	if (out >= 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
	}
	if (in > 2)
		close(in);
	if (out > 2)
		close(out);
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
		if (recs[i].via_commit && recs[i].run == run) {
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
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	/* The merge's process holds the lock while its merge commit is tested;
	 * a file it left when killed says nothing. */
	bool held = fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	if (fd >= 0)
		close(fd);
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
	out->action = nothing ? SW_MERGE_NOTHING : m->via_commit ? SW_MERGE_TEST_COMMIT : SW_MERGE_FAST_FORWARD;
	out->branch = xstrdup_null(m->branch);
	out->main = xstrdup_null(m->cfg.main_branch);
	if (m->have_heads) {
		memcpy(out->head, m->head_sha, 41);
		memcpy(out->from, m->main_sha, 41);
	}
	out->subject = head_subject(m);
	out->run = m->run;
	out->remote = m->opt->no_push ? NULL : xstrdup_null(m->cfg.remote);
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
	cJSON_AddStringToObject(o, "action", plan->action == SW_MERGE_NOTHING       ? "nothing"
					     : plan->action == SW_MERGE_TEST_COMMIT ? "merge-commit"
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
		r = m.via_commit ? start_test(repo, &m, err) : carry_out(&m, err);
	if (lock >= 0)
		close(lock);
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
