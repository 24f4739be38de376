/* slipway watch (see slipway/watcher.h): one loop that wakes on the refs'
 * inotify events, a poke (a webhook's), the fetch timer or a signal, and
 * then makes one pass of the rules.  Each pass reads main's policy again,
 * so a SIGHUP only has to wake it. */
#include "slipway/watcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <git2.h>

#include "slipway/config.h"
#include "slipway/deploy.h"
#include "slipway/merge.h"
#include "slipway/run.h"
#include "slipway/secrets.h"
#include "slipway/webhook.h"
#include "command.h"
#include "git_internal.h"

#define LOCK_FILE "watch.lock"
#define STATE_FILE "watch.json"	/* who watches, what it did last, the heads it has seen */
/* While something it started goes on, the watcher looks again this often:
 * a run's end is what lets a merge or a deploy go ahead. */
#define BUSY_POLL_MS 1000

struct sw_watcher {
	struct sw_repo *repo;
	struct sw_store *st;
	const struct sw_watcher_options *opt;
	git_repository *git;
	struct sw_config cfg;
	bool have_cfg;
	int ino, sigfd, wake[2];
	pthread_mutex_t mu;
	struct strlist poked;		/* "BRANCH SHA" from webhooks, under mu */
	pthread_mutex_t log_mu;		/* say() comes from the receiver's thread too */
	char *gh_repo;			/* github.repo, for the receiver's thread; under mu */
	struct sw_webhook *hook;
	int64_t started_ms, next_fetch;
	struct strlist said;		/* skips already logged: each is said once */
	struct strlist refused;		/* "MONO_MS KEY": merges refused, and when */
	struct strlist heads;		/* "BRANCH SHA" as last seen */
	bool busy;			/* a run, merge or deploy it started is going */
	char *last;
	int64_t last_ms;
};

/* ---- the log and the state file ---- */

static void save_state(struct sw_watcher *w)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddNumberToObject(o, "started_ms", (double)w->started_ms);
	if (w->last) {
		cJSON_AddStringToObject(o, "last", w->last);
		cJSON_AddNumberToObject(o, "last_ms", (double)w->last_ms);
	}
	cJSON *heads = cJSON_AddObjectToObject(o, "heads");
	for (size_t i = 0; i < w->heads.len; i++) {
		char *sp = strrchr(w->heads.items[i], ' ');
		*sp = '\0';
		cJSON_AddStringToObject(heads, w->heads.items[i], sp + 1);
		*sp = ' ';
	}
	char *text = cJSON_Print(o), *path = xasprintf("%s/%s", sw_store_root(w->st), STATE_FILE);
	sw_write_atomic(path, text, strlen(text), false);
	free(path);
	free(text);
	cJSON_Delete(o);
}

static void say(struct sw_watcher *w, const char *kind, const char *branch, const char *commit, long id,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void say(struct sw_watcher *w, const char *kind, const char *branch, const char *commit, long id,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	struct sw_watch_event ev = {kind, branch, commit, id, msg};
	pthread_mutex_lock(&w->log_mu);
	if (w->opt->log)
		w->opt->log(w->opt->ud, &ev);
	free(w->last);
	w->last = msg;
	w->last_ms = sw_now_ms();
	save_state(w);
	pthread_mutex_unlock(&w->log_mu);
}

/* A skip worth saying once, not at every pass while nothing changes. */
static bool first_time(struct sw_watcher *w, const char *key)
{
	for (size_t i = 0; i < w->said.len; i++)
		if (!strcmp(w->said.items[i], key))
			return false;
	strlist_add(&w->said, key);
	return true;
}

/* A merge refused (GitHub said no, the push was rejected, the remote
 * did not answer) is asked again for the same head only this long after:
 * the next pass would mostly get the same answer, and a remote that was
 * down may be up by then.  A new head is asked at once. */
#define REFUSED_RETRY_MS (10 * 60 * 1000)

static bool refused_lately(const struct sw_watcher *w, const char *key)
{
	for (size_t i = 0; i < w->refused.len; i++) {
		const char *sp = strchr(w->refused.items[i], ' ');
		if (sp && !strcmp(sp + 1, key))
			return sw_mono_ms() - strtoll(w->refused.items[i], NULL, 10) < REFUSED_RETRY_MS;
	}
	return false;
}

static void note_refused(struct sw_watcher *w, const char *key)
{
	char *item = xasprintf("%lld %s", (long long)sw_mono_ms(), key);
	for (size_t i = 0; i < w->refused.len; i++) {
		const char *sp = strchr(w->refused.items[i], ' ');
		if (sp && !strcmp(sp + 1, key)) {
			free(w->refused.items[i]);
			w->refused.items[i] = item;
			return;
		}
	}
	strlist_add(&w->refused, item);
	free(item);
}

/* ---- heads ---- */

static const char *seen_head(const struct sw_watcher *w, const char *branch)
{
	size_t n = strlen(branch);
	for (size_t i = 0; i < w->heads.len; i++)
		if (!strncmp(w->heads.items[i], branch, n) && w->heads.items[i][n] == ' ')
			return w->heads.items[i] + n + 1;
	return NULL;
}

static void set_head(struct sw_watcher *w, const char *branch, const char *sha)
{
	size_t n = strlen(branch);
	for (size_t i = 0; i < w->heads.len; i++)
		if (!strncmp(w->heads.items[i], branch, n) && w->heads.items[i][n] == ' ') {
			free(w->heads.items[i]);
			w->heads.items[i] = xasprintf("%s %s", branch, sha);
			return;
		}
	strlist_addf(&w->heads, "%s %s", branch, sha);
}

/* The heads a watcher that ran before saw: a restart carries on from them. */
static bool load_heads(struct sw_watcher *w)
{
	char *path = xasprintf("%s/%s", sw_store_root(w->st), STATE_FILE);
	size_t len;
	char *text = sw_read_file(path, &len);
	free(path);
	cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
	const cJSON *heads = cJSON_GetObjectItemCaseSensitive(o, "heads"), *h;
	bool found = cJSON_IsObject(heads);
	cJSON_ArrayForEach(h, heads)
		if (cJSON_IsString(h) && strlen(h->valuestring) == 40)
			set_head(w, h->string, h->valuestring);
	cJSON_Delete(o);
	free(text);
	return found;
}

static bool watched_branch(const struct sw_watcher *w, const char *name)
{
	const struct sw_watch_config *wc = w->cfg.watch;
	if (!wc)
		return true;
	for (size_t i = 0; i < wc->branches.len; i++)
		if (sw_glob_match(wc->branches.items[i], name))
			return true;
	return false;
}

static bool run_going(struct sw_store *st, long id)
{
	struct sw_run_record rec;
	char *err = NULL;
	if (sw_store_load(st, id, &rec, &err)) {
		free(err);
		return false;
	}
	bool going = !sw_run_status_final(rec.status);
	sw_run_record_free(&rec);
	return going;
}

/* The newest run of sha is queued or running: what depends on it waits. */
static bool head_run_going(struct sw_watcher *w, const char *sha)
{
	long id = sw_store_last_for_commit(w->st, sha);
	return id && run_going(w->st, id);
}

/* Every watched local branch whose head moved since it was seen, and that
 * no run has tested, gets one. */
static void run_moved_heads(struct sw_watcher *w, bool first_pass)
{
	struct sw_branch *bs;
	size_t n;
	char *err = NULL;
	if (sw_repo_branches(w->repo, w->cfg.main_branch, w->cfg.integration_branch, false, &bs, &n, &err)) {
		if (first_time(w, err))
			say(w, "error", NULL, NULL, 0, "cannot read the branches: %s", err);
		free(err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sw_branch *b = &bs[i];
		if (b->remote || !watched_branch(w, b->name))
			continue;
		const char *seen = seen_head(w, b->name);
		if (seen && !strcmp(seen, b->head))
			continue;
		set_head(w, b->name, b->head);
		long last = sw_store_last_for_commit(w->st, b->head);
		if (last) {
			w->busy |= run_going(w->st, last);
			continue;
		}
		/* A watcher's first start ever: heads as they are now have not
		 * moved; only what moves from here on is run. */
		if (first_pass)
			continue;
		struct sw_run_options ro = {.branch = b->name, .trigger = "watch", .env = w->opt->env};
		long id = 0;
		bool existing;
		if (sw_run_start(w->repo, w->st, &ro, &id, &existing, &err)) {
			say(w, "error", b->name, b->head, 0, "%s@%.7s moved, but its run could not start: %s", b->name,
			    b->head, err);
			free(err);
			err = NULL;
			continue;
		}
		w->busy = true;
		say(w, "run", b->name, b->head, id, "%s@%.7s moved: run #%ld started", b->name, b->head, id);
	}
	sw_branches_free(bs, n);
	pthread_mutex_lock(&w->log_mu);
	save_state(w);
	pthread_mutex_unlock(&w->log_mu);
}

/* ---- fetching ---- */

/* A local branch the remote has moved ahead of follows it; one checked
 * out here is left alone (its files would not follow), and so is one that
 * has commits of its own. */
static void follow_remote(struct sw_watcher *w, const char *remote)
{
	git_branch_iterator *it;
	if (git_branch_iterator_new(&it, w->git, GIT_BRANCH_REMOTE))
		return;
	git_reference *ref;
	git_branch_t type;
	size_t plen = strlen(remote);
	while (git_branch_next(&ref, &type, it) == 0) {
		const char *full = git_reference_shorthand(ref);
		const git_oid *theirs = git_reference_target(ref);
		if (!theirs || strncmp(full, remote, plen) || full[plen] != '/' || !strcmp(full + plen + 1, "HEAD") ||
		    !watched_branch(w, full + plen + 1)) {
			git_reference_free(ref);
			continue;
		}
		const char *name = full + plen + 1;
		git_reference *local = NULL;
		git_commit *c = NULL;
		char sha[41];
		git_oid_tostr(sha, sizeof sha, theirs);
		if (git_branch_lookup(&local, w->git, name, GIT_BRANCH_LOCAL)) {
			if (git_commit_lookup(&c, w->git, theirs) == 0 && git_branch_create(&local, w->git, name, c, 0) == 0)
				say(w, "fetch", name, sha, 0, "%s is new on %s: local %s made at %.7s", name, remote, name, sha);
		} else if (!git_oid_equal(git_reference_target(local), theirs)) {
			const git_oid *ours = git_reference_target(local);
			char key[128];
			snprintf(key, sizeof key, "ff %s %s", name, sha);
			if (git_branch_is_checked_out(local) == 1 && !git_repository_is_bare(w->git)) {
				if (first_time(w, key))
					say(w, "skip", name, sha, 0, "%s moved on %s to %.7s, but it is checked out here: "
					    "not moved (git pull brings it)", name, remote, sha);
			} else if (git_graph_descendant_of(w->git, theirs, ours) != 1) {
				if (git_graph_descendant_of(w->git, ours, theirs) != 1 && first_time(w, key))
					say(w, "skip", name, sha, 0, "%s on %s (%.7s) and here have diverged: not moved",
					    name, remote, sha);
			} else {
				git_reference *moved = NULL;
				if (git_reference_set_target(&moved, local, theirs, "slipway watch: fast-forward to the remote") == 0)
					say(w, "fetch", name, sha, 0, "%s moved on %s: local %s fast-forwarded to %.7s", name,
					    remote, name, sha);
				git_reference_free(moved);
			}
		}
		git_commit_free(c);
		git_reference_free(local);
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
}

static void fetch(struct sw_watcher *w)
{
	const char *name = w->cfg.remote ? w->cfg.remote : "origin";
	git_remote *remote;
	if (git_remote_lookup(&remote, w->git, name)) {
		if (first_time(w, "no remote"))
			say(w, "skip", NULL, NULL, 0, "no remote named \"%s\" to fetch: only local branches are watched",
			    name);
		return;
	}
	struct sw_git_auth auth = {.env = w->opt->env, .url = git_remote_url(remote)};
	git_fetch_options fo;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	sw_git_auth_callbacks(&fo.callbacks, &auth);
	if (git_remote_fetch(remote, NULL, &fo, "slipway watch: fetch")) {
		const git_error *e = git_error_last();
		char *why = xstrdup(auth.why ? auth.why : e && e->message ? e->message : "unknown error");
		char *key = xasprintf("fetch failed: %s", why);
		if (first_time(w, key))
			say(w, "error", NULL, NULL, 0, "cannot fetch %s: %s", name, why);
		free(key);
		free(why);
	} else {
		follow_remote(w, name);
	}
	sw_git_auth_free(&auth);
	git_remote_free(remote);
}

/* ---- merging and deploying ---- */

static bool failed_merge_of(struct sw_store *st, const char *branch, const char *head, char **reason)
{
	struct sw_merge_record *recs;
	size_t n = sw_merge_history(st, branch, 10, &recs, NULL);
	bool failed = false;
	for (size_t i = 0; i < n && !failed; i++)
		if (!strcmp(recs[i].head, head) && recs[i].failed) {
			failed = true;
			*reason = xstrdup(recs[i].reason ? recs[i].reason : "it failed");
		}
	sw_merge_records_free(recs, n);
	return failed;
}

static void maybe_merge(struct sw_watcher *w)
{
	const char *integ = w->cfg.integration_branch;
	struct sw_merge_record testing;
	if (sw_merge_testing(w->st, &testing)) {
		sw_merge_record_free(&testing);
		w->busy = true;
		return;
	}
	struct sw_merge_options o = {.branch = integ, .env = w->opt->env};
	struct sw_merge_plan plan;
	char *err = NULL;
	int r = sw_merge_plan(w->repo, w->st, &o, &plan, &err);
	char key[160];
	snprintf(key, sizeof key, "merge %s %s", integ, plan.head);
	char *reason = NULL;
	if (plan.head[0] && head_run_going(w, plan.head)) {
		w->busy = true;	/* its run goes on: looked at again when it ends */
	} else if (r == SW_OK && plan.action != SW_MERGE_NOTHING && failed_merge_of(w->st, integ, plan.head, &reason)) {
		if (first_time(w, key))
			say(w, "skip", integ, plan.head, 0, "%s@%.7s is not merged again: its merge failed (%s)", integ,
			    plan.head, reason);
	} else if (r == SW_OK && plan.action != SW_MERGE_NOTHING && refused_lately(w, key)) {
		/* said when it was refused */
	} else if (r == SW_OK && plan.action != SW_MERGE_NOTHING) {
		struct sw_merge_result res;
		char *merr = NULL;
		if (sw_merge(w->repo, w->st, &o, &res, &merr)) {
			note_refused(w, key);
			if (first_time(w, key))
				say(w, "error", integ, plan.head, 0, "auto_merge of %s@%.7s refused: %s (asked again in %d "
				    "min, or when the branch moves)", integ, plan.head, merr, REFUSED_RETRY_MS / 60000);
		} else if (res.testing) {
			w->busy = true;
			say(w, "merge", integ, plan.head, res.testing, "%s@%.7s is proved; %s has moved, so merge commit "
			    "%.7s is tested by run #%ld first", integ, plan.head, plan.main, res.commit, res.testing);
		} else if (res.merged && res.rec.via == SW_MERGE_VIA_PULL_REQUEST) {
			say(w, "merge", integ, plan.head, res.rec.run, "merged %s@%.7s into %s (pull request #%ld, merged "
			    "by GitHub as %.7s, proved by run #%ld)", integ, plan.head, plan.main, res.rec.pull_request,
			    res.rec.to, res.rec.run);
		} else if (res.merged) {
			say(w, "merge", integ, plan.head, res.rec.run, "merged %s@%.7s into %s (fast-forward, proved by "
			    "run #%ld)%s", integ, plan.head, plan.main, res.rec.run, res.rec.pushed ? ", pushed" : "");
		}
		free(merr);
		sw_merge_result_free(&res);
	} else if (r != SW_OK && first_time(w, key)) {
		say(w, "skip", integ, plan.head[0] ? plan.head : NULL, 0, "%s is not merged: %s", integ, err);
	}
	free(reason);
	free(err);
	sw_merge_plan_free(&plan);
}

static void maybe_deploy(struct sw_watcher *w)
{
	if (!w->cfg.deploy) {
		if (first_time(w, "no deploy"))
			say(w, "skip", NULL, NULL, 0, "auto_deploy is on, but deploy is not configured in main's "
			    "slipway.json");
		return;
	}
	struct sw_deploy_options o = {0};
	struct sw_deploy_plan plan;
	char *err = NULL;
	int r = sw_deploy_plan(w->repo, w->st, &o, &plan, &err);
	char key[160];
	snprintf(key, sizeof key, "deploy %s", plan.commit);
	struct sw_deploy_record *last = NULL;
	size_t n = r == SW_OK ? sw_deploy_history(w->st, 1, &last, NULL) : 0;
	if (plan.commit[0] && head_run_going(w, plan.commit)) {
		w->busy = true;
	} else if (plan.commit[0] && !strcmp(plan.current, plan.commit)) {
		/* serving already: nothing to say */
	} else if (r != SW_OK) {
		if (first_time(w, key))
			say(w, "skip", w->cfg.main_branch, plan.commit[0] ? plan.commit : NULL, 0, "%s is not deployed: %s",
			    w->cfg.main_branch, err);
	} else if (n && !sw_deploy_status_final(last[0].status)) {
		w->busy = true;
	} else if (n && !strcmp(last[0].commit, plan.commit) && last[0].status != SW_DEPLOY_SUCCEEDED) {
		if (first_time(w, key))
			say(w, "skip", w->cfg.main_branch, plan.commit, last[0].id, "%s@%.7s is not deployed again: deploy "
			    "#%ld %s", w->cfg.main_branch, plan.commit, last[0].id, sw_deploy_status_name(last[0].status));
	} else {
		long id = 0;
		struct strlist notes = {0};
		char *derr = NULL;
		if (sw_deploy_start(w->repo, w->st, &o, &id, &notes, &derr)) {
			if (first_time(w, key))
				say(w, "error", w->cfg.main_branch, plan.commit, 0, "auto_deploy of %s@%.7s: %s",
				    w->cfg.main_branch, plan.commit, derr);
		} else {
			w->busy = true;
			say(w, "deploy", w->cfg.main_branch, plan.commit, id, "%s moved to %.7s: deploy #%ld to %s started",
			    w->cfg.main_branch, plan.commit, id, plan.environment);
		}
		free(derr);
		strlist_free(&notes);
	}
	sw_deploy_records_free(last, n);
	free(err);
	sw_deploy_plan_free(&plan);
}

/* ---- the loop ---- */

static int load_config(struct sw_watcher *w)
{
	struct sw_config cfg;
	char *err = NULL;
	if (sw_project_config(w->repo, &cfg, &err)) {
		if (first_time(w, err))
			say(w, "error", NULL, NULL, 0, "%s: the rules of the last good configuration stay", err);
		free(err);
		return w->have_cfg ? 0 : -1;
	}
	if (w->have_cfg)
		sw_config_free(&w->cfg);
	w->cfg = cfg;
	w->have_cfg = true;
	pthread_mutex_lock(&w->mu);
	free(w->gh_repo);
	w->gh_repo = cfg.github ? xstrdup(cfg.github->repo) : NULL;
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static bool take_pokes(struct sw_watcher *w)
{
	char buf[64];
	while (read(w->wake[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&w->mu);
	bool any = w->poked.len > 0;
	strlist_free(&w->poked);
	pthread_mutex_unlock(&w->mu);
	return any;
}

static void pass(struct sw_watcher *w, bool first, bool fetch_now)
{
	if (load_config(w))
		return;
	w->busy = false;
	const struct sw_watch_config *wc = w->cfg.watch;
	int interval = wc ? wc->fetch_interval : 60;
	int64_t now = sw_mono_ms();
	if (fetch_now || (interval > 0 && now >= w->next_fetch)) {
		fetch(w);
		w->next_fetch = now + (int64_t)interval * 1000;
	}
	run_moved_heads(w, first);
	if (wc && wc->auto_merge)
		maybe_merge(w);
	if (wc && wc->auto_deploy)
		maybe_deploy(w);
}

static void watch_dir(struct sw_watcher *w, const char *dir)
{
	inotify_add_watch(w->ino, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_ONLYDIR);
}

/* refs/heads and every directory under it (feature/x lives in one). */
static void watch_refs(struct sw_watcher *w, const char *dir)
{
	watch_dir(w, dir);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			char *sub = xasprintf("%s/%s", dir, de->d_name);
			watch_refs(w, sub);
			free(sub);
		}
	if (d)
		closedir(d);
}

/* Drains inotify.  Directories made under refs/heads since (a first
 * feature/ branch) are watched too: adding a watch again is harmless. */
static void take_inotify(struct sw_watcher *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(w->ino, buf, sizeof buf) > 0)
		;
	char *heads = xasprintf("%s/refs/heads", sw_repo_gitdir(w->repo));
	watch_refs(w, heads);
	free(heads);
}

static int take_lock(struct sw_store *st, int *fd, char **err)
{
	char *path = xasprintf("%s/%s", sw_store_root(st), LOCK_FILE);
	long pid;
	int e = sw_lock_take(path, fd, &pid);
	if (e && e != EWOULDBLOCK)
		*err = xasprintf("%s: %s", path, strerror(e));
	else if (e)
		*err = pid > 0 ? xasprintf("another watcher is running in this repository (pid %ld)", pid)
			       : xstrdup("another watcher is running in this repository");
	free(path);
	return e == 0 ? SW_OK : e == EWOULDBLOCK ? SW_ERR_FAILED : SW_ERR_USAGE;
}

/* ---- webhooks ---- */

static void hook_log(void *ud, const char *line)
{
	/* The event's kind says it already. */
	if (!strncmp(line, "webhook: ", 9))
		line += 9;
	say(ud, "webhook", NULL, NULL, 0, "%s", line);
}

/* On the receiver's thread, after its reply: only queues. */
static void hook_push(void *ud, const struct sw_webhook_push *p)
{
	struct sw_watcher *w = ud;
	pthread_mutex_lock(&w->mu);
	char *repo = xstrdup_null(w->gh_repo);
	pthread_mutex_unlock(&w->mu);
	bool other = repo && strcmp(repo, p->repository);
	if (other)
		say(w, "skip", NULL, NULL, 0, "a push to %s, not %s (github.repo): ignored", p->repository, repo);
	free(repo);
	if (other)
		return;
	if (p->deleted || strncmp(p->ref, "refs/heads/", 11))
		return;
	say(w, "webhook", p->ref + 11, p->after, 0, "%s moved to %.7s on GitHub (delivery %s): fetching", p->ref + 11,
	    p->after, p->delivery);
	sw_watcher_poke(w, p->ref + 11, p->after);
}

static int start_hook(struct sw_watcher *w, char **err)
{
	const char *v = w->opt->env ? sw_env_lookup(w->opt->env, "GITHUB_WEBHOOK_SECRET") : NULL;
	char *secret = v && *v ? xstrdup(v) : NULL;
	if (!secret && sw_secrets_file_value("GITHUB_WEBHOOK_SECRET", &secret, err))
		return -1;
	if (!secret || !*secret) {
		char *file = sw_secrets_file_path();
		*err = xasprintf("--listen needs the webhook's secret: set GITHUB_WEBHOOK_SECRET in the environment or "
				 "in the secrets file %s (the same as in the GitHub hook's settings)", file);
		free(file);
		free(secret);
		return -1;
	}
	struct sw_webhook_options o = {.listen = w->opt->listen, .path = w->opt->listen_path, .secret = secret,
				       .secret_len = strlen(secret), .on_push = hook_push, .log = hook_log, .ud = w};
	int r = sw_webhook_start(&o, &w->hook, err);
	memset(secret, 0, strlen(secret));
	free(secret);
	return r;
}

int sw_watcher_listen_port(const struct sw_watcher *w)
{
	return w->hook ? sw_webhook_port(w->hook) : 0;
}

void sw_watcher_poke(struct sw_watcher *w, const char *branch, const char *sha)
{
	pthread_mutex_lock(&w->mu);
	strlist_addf(&w->poked, "%s %s", branch, sha);
	pthread_mutex_unlock(&w->mu);
	ssize_t n = write(w->wake[1], "!", 1);
	(void)n;
}

static void close_watcher(struct sw_watcher *w)
{
	/* First: its thread may still say something. */
	if (w->hook)
		sw_webhook_stop(w->hook);
	pthread_mutex_destroy(&w->log_mu);
	if (w->have_cfg)
		sw_config_free(&w->cfg);
	if (w->ino >= 0)
		close(w->ino);
	if (w->sigfd >= 0)
		close(w->sigfd);
	close(w->wake[0]);
	close(w->wake[1]);
	pthread_mutex_destroy(&w->mu);
	strlist_free(&w->poked);
	free(w->gh_repo);
	strlist_free(&w->said);
	strlist_free(&w->refused);
	strlist_free(&w->heads);
	free(w->last);
	git_repository_free(w->git);
}

int sw_watcher_run(struct sw_repo *repo, struct sw_store *st, const struct sw_watcher_options *opt, char **err)
{
	struct sw_watcher w = {.repo = repo, .st = st, .opt = opt, .ino = -1, .sigfd = -1};
	int lock;
	int r = take_lock(st, &lock, err);
	if (r != SW_OK)
		return r;
	git_libgit2_init();
	pthread_mutex_init(&w.mu, NULL);
	pthread_mutex_init(&w.log_mu, NULL);
	if (pipe2(w.wake, O_CLOEXEC | O_NONBLOCK) || git_repository_open(&w.git, sw_repo_gitdir(repo))) {
		*err = xstrdup("cannot start the watcher: cannot open the repository or a pipe");
		close(lock);
		git_libgit2_shutdown();
		return SW_ERR_USAGE;
	}
	w.started_ms = sw_now_ms();
	bool resumed = load_heads(&w);
	if (load_config(&w)) {
		*err = xstrdup(w.last ? w.last : "no configuration");
		close_watcher(&w);
		close(lock);
		git_libgit2_shutdown();
		return SW_ERR_USAGE;
	}
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	w.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	w.ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	char *heads = xasprintf("%s/refs/heads", sw_repo_gitdir(repo));
	watch_refs(&w, heads);
	free(heads);
	watch_dir(&w, sw_repo_gitdir(repo));	/* packed-refs */
	if (opt->listen && start_hook(&w, err)) {
		close_watcher(&w);
		close(lock);
		sigprocmask(SIG_SETMASK, &old, NULL);
		git_libgit2_shutdown();
		return SW_ERR_USAGE;
	}
	char listening[64] = "";
	if (w.hook)
		snprintf(listening, sizeof listening, "; webhooks on port %d", sw_webhook_port(w.hook));
	say(&w, "start", NULL, NULL, 0, "watching %s (pid %ld)%s%s", sw_repo_workdir(repo) ? sw_repo_workdir(repo)
	    : sw_repo_gitdir(repo), (long)getpid(), listening, resumed ? "" : ": heads as they are now are taken as seen");
	bool first = !resumed, stop = false, fetch_now = false;
	while (!stop) {
		pass(&w, first, fetch_now);
		first = fetch_now = false;
		if (opt->once)
			break;
		const struct sw_watch_config *wc = w.cfg.watch;
		int interval = wc ? wc->fetch_interval : 60;
		int64_t wait = interval > 0 ? w.next_fetch - sw_mono_ms() : -1;
		if (w.busy && (wait < 0 || wait > BUSY_POLL_MS))
			wait = BUSY_POLL_MS;
		if (wait < 0 && interval > 0)
			wait = 0;
		struct pollfd pfd[3] = {{.fd = w.ino, .events = POLLIN}, {.fd = w.sigfd, .events = POLLIN},
					{.fd = w.wake[0], .events = POLLIN}};
		int n = poll(pfd, 3, wait < 0 ? -1 : wait > INT_MAX ? INT_MAX : (int)wait);
		if (n < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			take_inotify(&w);
		if (pfd[2].revents & POLLIN)
			fetch_now = take_pokes(&w);
		struct signalfd_siginfo si;
		while (read(w.sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
			if (si.ssi_signo == SIGHUP)
				say(&w, "start", NULL, NULL, 0, "SIGHUP: main's configuration is read again");
			else
				stop = true;
		}
	}
	say(&w, "stop", NULL, NULL, 0, opt->once ? "one pass done" : "stopped");
	close_watcher(&w);
	close(lock);
	sigprocmask(SIG_SETMASK, &old, NULL);
	git_libgit2_shutdown();
	return SW_OK;
}

bool sw_watcher_status(struct sw_store *st, struct sw_watcher_status *out)
{
	memset(out, 0, sizeof *out);
	char *lock = xasprintf("%s/%s", sw_store_root(st), LOCK_FILE), *path = xasprintf("%s/%s", sw_store_root(st),
										    STATE_FILE);
	out->running = sw_lock_held(lock);
	size_t len;
	char *text = sw_read_file(path, &len);
	cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "pid"), *started = cJSON_GetObjectItemCaseSensitive(o,
														"started_ms");
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(o, "last"), *at = cJSON_GetObjectItemCaseSensitive(o, "last_ms");
	out->pid = cJSON_IsNumber(pid) ? (long)pid->valuedouble : 0;
	out->started_ms = cJSON_IsNumber(started) ? (int64_t)started->valuedouble : 0;
	out->last = cJSON_IsString(last) ? xstrdup(last->valuestring) : NULL;
	out->last_ms = cJSON_IsNumber(at) ? (int64_t)at->valuedouble : 0;
	bool known = o != NULL;
	cJSON_Delete(o);
	free(text);
	free(path);
	free(lock);
	return known;
}

void sw_watcher_status_free(struct sw_watcher_status *s)
{
	free(s->last);
	memset(s, 0, sizeof *s);
}
