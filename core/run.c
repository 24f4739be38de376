/* Starting and cancelling runs; which configuration a run uses. */
#include "slipway/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slipway/follow.h"
#include "slipway/github.h"
#include "slipway/secrets.h"
#include "slipway/suggest.h"
#include "command.h"
#include "executor.h"

#define CONFIG_FILE "slipway.json"

static int config_at(struct sw_repo *repo, const char *rev, const char *label, struct sw_config *cfg,
		     bool *found, char **err)
{
	size_t len;
	char *text = sw_repo_read_file(repo, rev, CONFIG_FILE, &len);
	*found = text != NULL || errno == EFBIG;
	if (!text && errno == EFBIG) {
		*err = xasprintf("%s:%s: larger than %u MiB: not a configuration file", label, CONFIG_FILE,
				 SW_READ_MAX >> 20);
		return -1;
	}
	if (!text)
		return 0;
	char *source = xasprintf("%s:%s", label, CONFIG_FILE);
	int r = sw_config_parse(cfg, text, len, source, err);
	free(source);
	free(text);
	return r;
}

/* The repository's default branch: the first of init.defaultBranch,
 * origin's HEAD, main and master that exists here. */
static char *default_branch(struct sw_repo *repo)
{
	char *cands[] = {sw_repo_config_string(repo, "init.defaultBranch"), sw_repo_remote_head(repo, "origin"),
			 xstrdup("main"), xstrdup("master")};
	char *found = NULL;
	for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
		if (!found && cands[i] && *cands[i] && sw_repo_local_branch_exists(repo, cands[i]))
			found = cands[i];
		else
			free(cands[i]);
	}
	return found ? found : xstrdup("main");
}

/* Main and its configuration, as the repository decides them: git config
 * slipway.main; else the default branch, or the branch that the default's
 * own slipway.json names.  Never the tested commit: a branch naming
 * itself main would choose its own secrets and gates.  *found is false
 * when main has no slipway.json. */
static int load_policy(struct sw_repo *repo, char **main_out, struct sw_config *policy, bool *found, char **err)
{
	char *main = sw_repo_config_string(repo, "slipway.main");
	bool pinned = main && *main;
	if (!pinned) {
		free(main);
		main = default_branch(repo);
	}
	if (config_at(repo, main, main, policy, found, err)) {
		free(main);
		return -1;
	}
	if (!pinned && *found && strcmp(policy->main_branch, main) && sw_repo_local_branch_exists(repo, policy->main_branch)) {
		free(main);
		main = xstrdup(policy->main_branch);
		sw_config_free(policy);
		if (config_at(repo, main, main, policy, found, err)) {
			free(main);
			return -1;
		}
	}
	*main_out = main;
	return 0;
}

/* What decides what reaches production moves from main's configuration
 * into cfg: secrets, gates, retention, parallelism, the branch names.
 * Every section that decides a merge or a deploy belongs here too: the
 * remote a merge pushes to is one. */
static void take_policy(struct sw_config *cfg, struct sw_config *policy)
{
	strlist_free(&cfg->secrets);
	cfg->secrets = policy->secrets;
	memset(&policy->secrets, 0, sizeof policy->secrets);
	/* What leaves the caller's environment is policy too: the executor
	 * wipes the rest so that a branch cannot reach for a token. */
	strlist_free(&cfg->pass_env);
	cfg->pass_env = policy->pass_env;
	memset(&policy->pass_env, 0, sizeof policy->pass_env);
	for (size_t i = 0; i < cfg->ngates; i++) {
		free(cfg->gates[i].name);
		free(cfg->gates[i].metric);
	}
	free(cfg->gates);
	cfg->gates = policy->gates;
	cfg->ngates = policy->ngates;
	policy->gates = NULL;
	policy->ngates = 0;
	cfg->retention_runs = policy->retention_runs;
	cfg->max_parallel = policy->max_parallel;
	free(cfg->integration_branch);
	cfg->integration_branch = policy->integration_branch;
	policy->integration_branch = NULL;
	free(cfg->remote);
	cfg->remote = policy->remote;
	policy->remote = NULL;
	/* Which engine's containers are production's is main's to say. */
	free(cfg->docker_host);
	cfg->docker_host = policy->docker_host;
	policy->docker_host = NULL;
	/* Which Sentry project a release is reported to is production's too. */
	char **mine[] = {&cfg->sentry_url, &cfg->sentry_org, &cfg->sentry_project};
	char **theirs[] = {&policy->sentry_url, &policy->sentry_org, &policy->sentry_project};
	for (size_t i = 0; i < 3; i++) {
		free(*mine[i]);
		*mine[i] = *theirs[i];
		*theirs[i] = NULL;
	}
	/* Where and how production is deployed, above all. */
	sw_deploy_config_free(cfg->deploy);
	cfg->deploy = policy->deploy;
	policy->deploy = NULL;
	/* Which repository a run's statuses go to: a branch pointing them at
	 * a repository of its own would turn a required check green there. */
	sw_github_config_free(cfg->github);
	cfg->github = policy->github;
	policy->github = NULL;
	/* What merges and deploys by itself, and which branches it runs. */
	sw_watch_config_free(cfg->watch);
	cfg->watch = policy->watch;
	policy->watch = NULL;
}

/* Without a slipway.json on main there is no policy to take: no secrets,
 * default retention, parallelism and remote (a branch must not choose
 * where main is pushed); the commit's gates only add checks. */
static void default_policy(struct sw_config *cfg)
{
	strlist_free(&cfg->secrets);
	strlist_free(&cfg->pass_env);
	free(cfg->remote);
	cfg->remote = xstrdup("origin");
	free(cfg->docker_host);
	cfg->docker_host = NULL;
	free(cfg->sentry_url);
	free(cfg->sentry_org);
	free(cfg->sentry_project);
	cfg->sentry_url = cfg->sentry_org = cfg->sentry_project = NULL;
	sw_deploy_config_free(cfg->deploy);
	cfg->deploy = NULL;
	sw_github_config_free(cfg->github);
	cfg->github = NULL;
	sw_watch_config_free(cfg->watch);
	cfg->watch = NULL;
	cfg->retention_runs = 200;
	cfg->max_parallel = 1;
}

/* Said once here, so that a gate's failure and check-config name the same
 * source.  own: the file cfg was read from, in words. */
static void set_origin(struct sw_config *cfg, const char *main, bool found, const char *own)
{
	struct sw_policy_origin *o = &cfg->from;
	free(o->gates);
	free(o->secrets);
	free(o->retention);
	o->from_main = found;
	if (found) {
		o->gates = xasprintf("from %s's slipway.json", main);
		o->secrets = xstrdup(o->gates);
		o->retention = xstrdup(o->gates);
	} else {
		o->gates = xasprintf("from %s", own);
		o->secrets = xasprintf("%s has no slipway.json", main);
		o->retention = xasprintf("default: %s has no slipway.json", main);
	}
}

/* cfg, read from own (a commit or the work tree), gets main's policy. */
static int apply_policy(struct sw_repo *repo, struct sw_config *cfg, const char *own, struct strlist *warnings,
			char **err)
{
	struct sw_config policy = {0};
	char *main = NULL;
	bool found;
	if (load_policy(repo, &main, &policy, &found, err))
		return -1;
	if (warnings && strcmp(cfg->main_branch, main))
		strlist_addf(warnings, "this commit's slipway.json names \"%s\" as main; the policy (secrets, gates, "
			     "retention) comes from %s's", cfg->main_branch, main);
	if (warnings && !found && (cfg->secrets.len || cfg->pass_env.len))
		strlist_addf(warnings, "%s has no slipway.json: no secrets or pass_env variables are given until one "
			     "is committed there", main);
	set_origin(cfg, main, found, own);
	free(cfg->main_branch);
	cfg->main_branch = main;
	if (found)
		take_policy(cfg, &policy);
	else
		default_policy(cfg);
	sw_config_free(&policy);
	return 0;
}

int sw_project_config(struct sw_repo *repo, struct sw_config *cfg, char **err)
{
	const char *wd = sw_repo_workdir(repo);
	char *path = wd ? xasprintf("%s/%s", wd, CONFIG_FILE) : NULL;
	const char *own = "HEAD's slipway.json";
	int r;
	if (path && access(path, F_OK) == 0) {
		r = sw_config_load_file(cfg, path, err);
		own = "the work tree's slipway.json";
	} else {
		bool found;
		r = config_at(repo, "HEAD", "HEAD", cfg, &found, err);
		if (r == 0 && !found) {
			*err = xstrdup("no slipway.json in this repository; run `slipway init` to write one");
			r = -1;
		}
	}
	free(path);
	if (r == 0 && apply_policy(repo, cfg, own, NULL, err)) {
		sw_config_free(cfg);
		r = -1;
	}
	return r ? SW_ERR_USAGE : SW_OK;
}

static bool worktree_has_config(struct sw_repo *repo)
{
	const char *wd = sw_repo_workdir(repo);
	char *path = wd ? xasprintf("%s/%s", wd, CONFIG_FILE) : NULL;
	bool r = path && access(path, F_OK) == 0;
	free(path);
	return r;
}

int sw_run_config(struct sw_repo *repo, const char *sha, struct sw_config *cfg, struct strlist *warnings,
		  char **err)
{
	bool found;
	char short_sha[8];
	snprintf(short_sha, sizeof short_sha, "%.7s", sha);
	if (config_at(repo, sha, short_sha, cfg, &found, err))
		return SW_ERR_USAGE;
	if (!found) {
		*err = worktree_has_config(repo)
			       ? xstrdup("slipway.json is not committed: runs test commits, not the working tree — "
					 "commit it first (git add slipway.json && git commit)")
			       : xasprintf("commit %s has no slipway.json; run `slipway init` to write one", short_sha);
		return SW_ERR_USAGE;
	}
	if (apply_policy(repo, cfg, "this commit's slipway.json", warnings, err)) {
		sw_config_free(cfg);
		return SW_ERR_USAGE;
	}
	return SW_OK;
}

static void init_record(struct sw_run_record *rec, const struct sw_config *cfg, const char *branch,
			const char *sha, const struct sw_run_options *opt)
{
	memset(rec, 0, sizeof *rec);
	rec->branch = xstrdup(branch);
	memcpy(rec->commit, sha, 41);
	rec->trigger = xstrdup(opt->trigger ? opt->trigger : "manual");
	/* Later stages and the gates they measure are not run: what it passed
	 * is no green run, which only the whole pipeline makes. */
	rec->partial = opt->stage != NULL;
	rec->only_stage = xstrdup_null(opt->stage);
	rec->status = SW_RUN_QUEUED;
	rec->created_ms = sw_now_ms();
	rec->nstages = cfg->nstages;
	rec->stages = xcalloc(cfg->nstages, sizeof *rec->stages);
	for (size_t i = 0; i < cfg->nstages; i++) {
		rec->stages[i].name = xstrdup(cfg->stages[i].name);
		rec->stages[i].exit_code = -1;
	}
	rec->ngates = cfg->ngates;
	rec->gates = xcalloc(cfg->ngates, sizeof *rec->gates);
	for (size_t i = 0; i < cfg->ngates; i++) {
		rec->gates[i].name = xstrdup(cfg->gates[i].name);
		rec->gates[i].limit = cfg->gates[i].limit;
	}
}

static void executor_body(void *plan)
{
	sw_executor_main(plan);
}

/* The run gets a session of its own and its guardian is adopted by init
 * (sw_detach): the guardian ends its whole session when the run ends,
 * never the caller's. */
static int spawn_executor(struct sw_exec_plan *plan, char **err)
{
	int e = sw_detach(executor_body, plan);
	if (e)
		*err = xasprintf("cannot start the executor: %s", strerror(e));
	return e ? -1 : 0;
}

static bool stage_known(const struct sw_config *cfg, const char *name, char **err)
{
	const char **names = xcalloc(cfg->nstages + 1, sizeof *names);
	for (size_t i = 0; i < cfg->nstages; i++) {
		if (!strcmp(cfg->stages[i].name, name)) {
			free(names);
			return true;
		}
		names[i] = cfg->stages[i].name;
	}
	const char *best = sw_suggest(name, names, cfg->nstages);
	*err = best ? xasprintf("no stage named \"%s\" (did you mean \"%s\"?)", name, best)
		    : xasprintf("no stage named \"%s\"", name);
	free(names);
	return false;
}

/* A run tests a branch's head: the branch is what the stages' filters,
 * merges and history go by, so HEAD or a commit must name one. */
static int resolve_branch(struct sw_repo *repo, const char *name, char **branch, char sha[41], char **err)
{
	*branch = NULL;
	if ((!name || !strcmp(name, "HEAD")) && sw_repo_head_unborn(repo)) {
		*err = xstrdup("this branch has no commit yet: commit slipway.json first "
			       "(git add slipway.json && git commit)");
		return -1;
	}
	if (!name || !strcmp(name, "HEAD")) {
		*branch = sw_repo_current_branch(repo);
		if (!*branch) {
			*err = xstrdup("HEAD is detached: name the branch to run (slipway run BRANCH)");
			return -1;
		}
		return sw_repo_resolve(repo, *branch, sha, err);
	}
	if (sw_repo_resolve(repo, name, sha, err))
		return -1;
	if (sw_repo_branch_exists(repo, name)) {
		*branch = xstrdup(name);
		return 0;
	}
	*branch = sw_repo_branch_at(repo, sha);
	if (!*branch) {
		*err = xasprintf("%s is not the head of a branch: slipway runs branches (slipway run BRANCH)", name);
		return -1;
	}
	return 0;
}

/* A run of the checked-out branch tests its last commit: what the work
 * tree holds beyond it is left out, and the user should know. */
static void note_uncommitted(struct sw_repo *repo, const char *branch, const char *sha, struct strlist *warnings)
{
	char *current = sw_repo_current_branch(repo);
	bool here = current && !strcmp(current, branch);
	free(current);
	struct strlist paths = {0};
	int n = here ? sw_repo_uncommitted(repo, &paths, 3) : 0;
	if (n > 0) {
		struct sbuf list;
		sbuf_init(&list);
		for (size_t i = 0; i < paths.len; i++)
			sbuf_addf(&list, "%s%s", i ? ", " : "", paths.items[i]);
		strlist_addf(warnings, "the work tree has %d uncommitted change%s (%s%s): this run tests commit %.7s "
			     "without %s", n, n == 1 ? "" : "s", list.buf, (size_t)n > paths.len ? ", ..." : "", sha,
			     n == 1 ? "it" : "them");
		sbuf_free(&list);
	}
	strlist_free(&paths);
}

/* ---- the GitHub poster ---- */

/* What the poster keeps of the caller's environment: no token, since a
 * stage can read /proc/PID/environ of every process of its user. */
static char **poster_env(char *const *env)
{
	static const char *const kept[] = {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "XDG_CONFIG_HOME",
					   "SLIPWAY_NOW", "SLIPWAY_SECRETS_FILE", "SLIPWAY_HTTP_TIMEOUT_MS",
					   "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"};
	struct strlist l = {0};
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		const char *v = sw_env_lookup(env, kept[i]);
		if (v)
			strlist_addf(&l, "%s=%s", kept[i], v);
	}
	strlist_add(&l, "");
	free(l.items[l.len - 1]);
	l.items[l.len - 1] = NULL;
	return l.items;
}

/* Everything the poster's exec needs, made before the fork: a caller may
 * have threads (the dashboard), and its child should only exec. */
struct poster_exec {
	char *log;
	char *argv[7];
	char **envp;
};

static void poster_exec_init(struct poster_exec *pe, struct sw_repo *repo, struct sw_store *st, long id,
			     char *const *env, const char *from)
{
	char *dir = sw_store_run_dir(st, id);
	pe->log = xasprintf("%s/%s", dir, SW_GITHUB_LOG);
	free(dir);
	char *argv[] = {xstrdup("slipway"), xstrdup(SW_GITHUB_STATUS_COMMAND), xstrdup("--token-from"), xstrdup(from),
			xstrdup(sw_repo_gitdir(repo)), xasprintf("%ld", id), NULL};
	memcpy(pe->argv, argv, sizeof argv);
	pe->envp = poster_env(env);
}

static void poster_exec_free(struct poster_exec *pe)
{
	free(pe->log);
	for (size_t i = 0; pe->argv[i]; i++)
		free(pe->argv[i]);
	for (size_t i = 0; pe->envp[i]; i++)
		free(pe->envp[i]);
	free(pe->envp);
}

/* The poster's stdin is a pipe with the token in it: never in its
 * arguments, environment or a file.  Its output is the run's github.log. */
static _Noreturn void exec_poster(const struct poster_exec *pe, int in)
{
	int out = open(pe->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	int null = open("/dev/null", O_RDWR);
	dup2(in, STDIN_FILENO);
	dup2(out >= 0 ? out : null, STDOUT_FILENO);
	dup2(out >= 0 ? out : null, STDERR_FILENO);
	close_range(3, ~0U, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGHUP, SIG_IGN);
	execve("/proc/self/exe", pe->argv, pe->envp);
	_exit(127);
}

/* A process of its own, in a session of its own: posting must not hold a
 * stage up while GitHub is slow, and the guardian ends the run's session
 * before the last state is posted.  Double fork, as for the executor. */
static int spawn_poster(struct sw_repo *repo, struct sw_store *st, long id, char *const *env, const char *token,
			const char *from)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return -1;
	/* Written before the fork, far below a pipe's capacity: it does not
	 * block, and no SIGPIPE can come from a poster that died early. */
	if (write(p[1], token, strlen(token)) < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	close(p[1]);
	struct poster_exec pe;
	poster_exec_init(&pe, repo, st, id, env, from);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		exec_poster(&pe, p[0]);
	}
	int fork_err = errno;
	close(p[0]);
	poster_exec_free(&pe);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	errno = fork_err;
	return pid > 0 ? 0 : -1;
}

/* The token for the run's statuses, looked for before the run is created:
 * a run that cannot post them says so in its warnings. */
static char *poster_token(const struct sw_config *cfg, const struct sw_run_options *opt, const char **from,
			  struct strlist *warnings)
{
	if (!cfg->github || !cfg->github->statuses)
		return NULL;
	/* GitHub takes statuses only for commits it has: a merge commit under
	 * test reaches it with main's push, after the run. */
	if (opt->commit) {
		strlist_add(warnings, "GitHub statuses are not posted for a merge commit before it is pushed");
		return NULL;
	}
	char *token = NULL, *err = NULL;
	if (sw_github_token(opt->env, "GITHUB_TOKEN in the environment of slipway run", &token, from, &err) == 0 &&
	    !token)
		err = sw_github_no_token(SW_GITHUB_FOR_STATUS);
	if (err)
		strlist_addf(warnings, "GitHub statuses are not posted: %s", err);
	free(err);
	return token;
}

/* The run exists and its executor has started: a poster that cannot be
 * started is told in github.log, since the record is the executor's now. */
static void start_poster(struct sw_repo *repo, struct sw_store *st, const struct sw_run_options *opt, long id,
			 char *token, const char *from)
{
	if (!token)
		return;
	if (spawn_poster(repo, st, id, opt->env, token, from)) {
		int e = errno;
		char *dir = sw_store_run_dir(st, id);
		char *path = xasprintf("%s/%s", dir, SW_GITHUB_LOG);
		FILE *f = fopen(path, "a");
		if (f) {
			fprintf(f, "not posted: cannot start slipway %s: %s\n", SW_GITHUB_STATUS_COMMAND, strerror(e));
			fclose(f);
		}
		free(path);
		free(dir);
	}
	memset(token, 0, strlen(token));
}

static int start_new(struct sw_repo *repo, struct sw_store *st, const struct sw_run_options *opt,
		     struct sw_config *cfg, struct sw_run_record *rec, long *busy, char **err)
{
	struct sw_secrets secrets = {0};
	char *file = sw_secrets_file_path();
	int r = sw_secrets_collect(&cfg->secrets, opt->env, file, &secrets, &rec->missing_secrets, err);
	free(file);
	int lock_fd = -1;
	const char *from = NULL;
	char *token = r == 0 ? poster_token(cfg, opt, &from, &rec->warnings) : NULL;
	if (r == 0)
		r = sw_store_create(st, rec, &lock_fd, opt->again ? NULL : busy, err);
	if (r == 0 && !*busy) {
		struct sw_exec_plan plan = {repo, st, rec, cfg, &secrets, opt->env, opt->stage, lock_fd};
		r = spawn_executor(&plan, err);
		close(lock_fd);
		if (r == 0)
			start_poster(repo, st, opt, rec->id, token, from);
	}
	free(token);
	sw_secrets_free(&secrets);
	return r ? SW_ERR_USAGE : SW_OK;
}

int sw_run_start(struct sw_repo *repo, struct sw_store *st, const struct sw_run_options *opt,
		 long *id, bool *existing, char **err)
{
	char sha[41], *branch = NULL;
	struct sw_config cfg = {0};
	struct strlist warnings = {0};
	*existing = false;
	if (opt->commit) {
		branch = xstrdup(opt->branch);
		snprintf(sha, sizeof sha, "%s", opt->commit);
	}
	if ((!opt->commit && resolve_branch(repo, opt->branch, &branch, sha, err)) ||
	    sw_run_config(repo, sha, &cfg, &warnings, err) ||
	    (opt->stage && !stage_known(&cfg, opt->stage, err))) {
		free(branch);
		sw_config_free(&cfg);
		strlist_free(&warnings);
		return SW_ERR_USAGE;
	}
	if (!opt->commit)
		note_uncommitted(repo, branch, sha, &warnings);
	for (size_t i = 0; i < cfg.pass_env.len; i++)
		if (!sw_env_lookup(opt->env, cfg.pass_env.items[i]))
			strlist_addf(&warnings, "pass_env %s is not set in the environment of slipway run: the stages "
				     "run without it", cfg.pass_env.items[i]);
	struct strlist heads = {0};
	sw_repo_heads(repo, &heads);
	sw_store_gc(st, cfg.retention_runs, &heads);
	strlist_free(&heads);
	struct sw_run_record rec;
	init_record(&rec, &cfg, branch, sha, opt);
	rec.warnings = warnings;
	rec.subject = sw_repo_subject(repo, sha);
	long busy = 0;
	int r = start_new(repo, st, opt, &cfg, &rec, &busy, err);
	*id = busy ? busy : rec.id;
	*existing = busy != 0;
	sw_run_record_free(&rec);
	free(branch);
	sw_config_free(&cfg);
	return r;
}

/* Waits until the run is final, at most timeout_ms. */
static bool wait_final(struct sw_store *st, long id, int timeout_ms)
{
	char *dir = sw_store_run_dir(st, id);
	struct sw_follow *f = sw_follow_open(dir);
	free(dir);
	int64_t deadline = sw_mono_ms() + timeout_ms;
	bool done = false;
	while (!done) {
		struct sw_run_record rec;
		char *err = NULL;
		if (sw_store_load(st, id, &rec, &err)) {
			free(err);
			break;
		}
		done = sw_run_status_final(rec.status);
		sw_run_record_free(&rec);
		int64_t left = deadline - sw_mono_ms();
		if (done || left <= 0 || !f)
			break;
		sw_follow_wait(f, (int)(left < 1000 ? left : 1000));
	}
	sw_follow_close(f);
	return done;
}

int sw_run_cancel(struct sw_store *st, long id, char **err)
{
	struct sw_run_record rec;
	if (sw_store_load(st, id, &rec, err))
		return SW_ERR_USAGE;
	int r = SW_OK;
	if (sw_run_status_final(rec.status)) {
		*err = xasprintf("run %ld has already ended (%s)", id, sw_run_status_text(&rec).text);
		r = SW_ERR_FAILED;
	} else if (rec.executor_pid <= 0 || kill(rec.executor_pid, SIGTERM)) {
		*err = xasprintf("run %ld: cannot signal its executor: %s", id,
				 rec.executor_pid <= 0 ? "not started yet" : strerror(errno));
		r = SW_ERR_FAILED;
	} else if (!wait_final(st, id, 30000)) {
		*err = xasprintf("run %ld: cancel sent; the run is still finishing its cleanup stages", id);
		r = SW_ERR_FAILED;
	}
	sw_run_record_free(&rec);
	return r;
}

int sw_run_gc(struct sw_repo *repo, struct sw_store *st, int *removed, char **err)
{
	/* Retention is policy: from main, as when a run starts, not the work tree. */
	struct sw_config cfg = {0};
	char sha[41], *cerr = NULL;
	int keep = 200;
	if (sw_repo_resolve(repo, "HEAD", sha, &cerr) == 0 && sw_run_config(repo, sha, &cfg, NULL, &cerr) == SW_OK)
		keep = cfg.retention_runs;
	free(cerr);
	sw_config_free(&cfg);
	struct strlist heads = {0};
	sw_repo_heads(repo, &heads);
	*removed = sw_store_gc(st, keep, &heads);
	strlist_free(&heads);
	(void)err;
	return SW_OK;
}
