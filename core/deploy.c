/* Deploys: the plan (only a tested commit of main), the start (a lock per
 * target, the journal, a detached process) and the deploy itself, in
 * CodeDeploy's order with a rollback of its own.  The journal's form is
 * core/deploy_record.c.
 *
 * On the target (deploy.path):
 *   releases/<commit>/   the commit's tree, with shared paths linked in
 *   shared/              what outlives releases: the database, uploads, .env
 *   backups/<deploy>/    SQLite online backups taken before each stop
 *   current, previous    symlinks to releases/<commit>, each replaced by a
 *                        rename, so they always name a whole release
 *   .slipway-deploy.lock one deploy at a time (a flock: dies with its holder) */
#include "slipway/deploy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "slipway/config.h"
#include "slipway/docker.h"
#include "slipway/merge.h"
#include "slipway/repo.h"
#include "slipway/run.h"
#include "slipway/secrets.h"
#include "slipway/sentry.h"
#include "command.h"
#include "deploy_internal.h"
#include "sqlite_backup.h"

#define TARGET_LOCK ".slipway-deploy.lock"
#define JOURNAL_LOCK ".lock"
#define HEALTH_POLL_MS 500
#define HEALTH_REQUEST_MS 2000
#define BACKUP_BUSY_MS 10000

extern char **environ;

/* ---- the target's links ---- */

static bool is_sha(const char *s, size_t n)
{
	return n == 40 && strspn(s, "0123456789abcdef") >= 40;
}

/* The release a link (current, previous) names: "releases/<commit>". */
static void read_link(const char *path, const char *name, char sha[41])
{
	char *link = xasprintf("%s/%s", path, name), buf[PATH_MAX];
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	free(link);
	sha[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	const char *base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	if (is_sha(base, strlen(base)))
		memcpy(sha, base, 41);
}

void sw_deploy_current(const char *path, char sha[41], char previous[41])
{
	read_link(path, "current", sha);
	read_link(path, "previous", previous);
}

/* name -> releases/<sha>, replacing what was there by one rename. */
static int set_link(const char *path, const char *name, const char *sha, char **err)
{
	char *tmp = xasprintf("%s/.%s.%d", path, name, (int)getpid()), *link = xasprintf("%s/%s", path, name);
	char *to = xasprintf("releases/%s", sha);
	unlink(tmp);
	int r = symlink(to, tmp) || rename(tmp, link) ? -1 : 0;
	if (r) {
		*err = xasprintf("cannot point %s at %s: %s", link, to, strerror(errno));
		unlink(tmp);
	} else {
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	free(to);
	free(link);
	free(tmp);
	return r;
}

static long running_deploy(struct sw_store *st)
{
	struct sw_deploy_record *recs;
	size_t n = sw_deploy_history(st, 20, &recs, NULL);
	long id = 0;
	for (size_t i = 0; i < n && !id; i++)
		if (recs[i].status == SW_DEPLOY_RUNNING)
			id = recs[i].id;
	sw_deploy_records_free(recs, n);
	return id;
}

static char *busy_message(struct sw_store *st, const char *path)
{
	long busy = running_deploy(st);
	return busy ? xasprintf("deploy #%ld to %s is in progress: `slipway deploys` shows it", busy, path)
		    : xasprintf("another deploy to %s is in progress", path);
}

/* ---- an ssh:// target's side of things ---- */

#define SSH_QUICK_S 60		/* a query or a small script on the target */
/* A release's tar up to this size goes through the lock's session (in
 * base64, which its shell holds whole while it reads it). */
#define INLINE_TAR_MAX (4u << 20)

static void quoted_path(struct sbuf *sb, const char *a, const char *b)
{
	char *p = b ? xasprintf("%s/%s", a, b) : xstrdup(a);
	sw_sh_quote(sb, p);
	free(p);
}

static void sha_of_link(const char *target, char sha[41])
{
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	sha[0] = '\0';
	if (is_sha(base, strlen(base)))
		memcpy(sha, base, 41);
}

/* current and previous as the target's links say. */
static int ssh_links(struct sw_ssh *ssh, const char *path, char cur[41], char prev[41], char **err)
{
	struct sbuf sc = {0};
	sbuf_adds(&sc, "printf 'c:%s\\n' \"$(readlink ");
	quoted_path(&sc, path, "current");
	sbuf_adds(&sc, ")\"; printf 'p:%s\\n' \"$(readlink ");
	quoted_path(&sc, path, "previous");
	sbuf_adds(&sc, ")\"\n");
	char *out = NULL;
	int r = sw_ssh_run(ssh, sc.buf, SSH_QUICK_S, &out, err);
	sbuf_free(&sc);
	cur[0] = prev[0] = '\0';
	char *save = NULL;
	for (char *line = out ? strtok_r(out, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "c:", 2))
			sha_of_link(line + 2, cur);
		else if (!strncmp(line, "p:", 2))
			sha_of_link(line + 2, prev);
	}
	free(out);
	return r;
}

/* ---- the plan ---- */

struct prepared {
	struct sw_config cfg;
	struct sw_deploy_plan plan;
	struct sw_ssh *ssh;		/* an ssh:// target's connection; NULL for local */
	int lock_fd;			/* its lock when a start planned it, else -1 */
};

static int ssh_lock(struct sw_ssh *ssh, const char *path, struct sw_store *st, char **err);
static char *ssh_lock_error(struct sw_ssh *ssh, const char *path, struct sw_store *st, int code, char *why);

static void plan_note_interrupted(struct sw_store *st, struct sw_deploy_plan *plan)
{
	struct sw_deploy_record *last;
	size_t n = sw_deploy_history(st, 1, &last, NULL);
	if (n && last[0].status == SW_DEPLOY_INTERRUPTED)
		strlist_addf(&plan->notes, "deploy #%ld was interrupted: %s; %s", last[0].id, last[0].reason,
			     last[0].state ? last[0].state : "");
	sw_deploy_records_free(last, n);
}

/* One host of a fleet deploy, deployed as a target of its own by the
 * fleet's process. */
struct host_opts {
	const char *target;		/* ssh://... one of main's "targets" */
	long parent;			/* the fleet's deploy */
	long run;			/* the run that proved the commit, for the record */
	const char *commit;		/* what the fleet deploys (or goes back to) */
	const char *ssh_dir;		/* the fleet's master connections (sw_ssh_dir), or NULL */
	/* The host's lock as the fleet took it: its session (sw_ssh_shell;
	 * -1 when the fleet holds none), or why it could not be taken. */
	int shell_in, shell_out;
	const char *lock_err;
};

static bool is_swarm(const struct sw_deploy_config *d)
{
	return !strcmp(d->target, "swarm");
}

/* One deploy per target: a lock in the target's directory, or for a
 * swarm (which has none of ours) in the store. */
static char *target_lock_path(struct sw_store *st, const struct sw_deploy_config *d)
{
	if (is_swarm(d) || d->targets.len)
		return xasprintf("%s/%s/%s.lock", sw_store_root(st), DEPLOYS_DIR, d->target);
	return xasprintf("%s/%s", d->path, TARGET_LOCK);
}

/* A swarm's plan: the engine must be a manager with every service, and
 * what serves is what the first service's image names (its previous spec's
 * is what a rollback goes back to). */
static int swarm_plan(struct prepared *p, char previous[41], char **err)
{
	const struct sw_deploy_config *d = p->cfg.deploy;
	struct sw_docker *dk = NULL;
	char *why = NULL;
	if (sw_docker_open(sw_docker_host_pick(p->cfg.docker_host), &dk, &why) || sw_swarm_check(dk, &why)) {
		*err = xasprintf("deploy.target: %s", why);
		free(why);
		if (dk)
			sw_docker_close(dk);
		return SW_ERR_FAILED;
	}
	p->plan.path = xstrdup(sw_docker_host(dk));
	int r = SW_OK;
	for (size_t i = 0; i < d->services.len && r == SW_OK; i++) {
		struct sw_service s;
		if (sw_service_inspect(dk, d->services.items[i], &s, &why)) {
			*err = xasprintf("deploy.services[%zu]: %s (`docker service ls` lists those there; `docker stack "
					 "deploy` makes a stack's)", i, why);
			free(why);
			r = SW_ERR_FAILED;
			break;
		}
		char cur[41], prev[41];
		sw_deploy_image_commit(d, i, s.image, cur);
		sw_deploy_image_commit(d, i, s.previous_image, prev);
		if (i == 0) {
			memcpy(p->plan.current, cur, 41);
			memcpy(previous, prev, 41);
		} else if (strcmp(cur, p->plan.current)) {
			strlist_addf(&p->plan.notes, "%s runs %s, not the release %s runs (%.7s)", d->services.items[i],
				     s.image, d->services.items[0], *p->plan.current ? p->plan.current : "none");
		}
		sw_service_free(&s);
	}
	sw_docker_close(dk);
	return r;
}

/* start: the plan of a deploy about to start, which on an ssh target
 * takes the target's lock first. */
static int prepare(struct sw_repo *repo, struct sw_store *st, const struct sw_deploy_options *opt,
		   const struct host_opts *h, bool start, struct prepared *p, char **err)
{
	memset(p, 0, sizeof *p);
	p->lock_fd = -1;
	struct sw_deploy_plan *plan = &p->plan;
	if (sw_project_config(repo, &p->cfg, err))
		return SW_ERR_USAGE;
	struct sw_deploy_config *dm = p->cfg.deploy;
	const struct sw_deploy_config *d = dm;
	const char *main = p->cfg.main_branch;
	if (!d) {
		*err = xasprintf("%s's slipway.json has no \"deploy\" section: add one (see slipway.json(5)) and "
				 "commit it to %s", main, main);
		return SW_ERR_USAGE;
	}
	if (h && !d->targets.len) {
		*err = xasprintf("%s's slipway.json has no fleet of \"targets\" any more", main);
		return SW_ERR_FAILED;
	}
	/* One host of a fleet is deployed as a target of its own. */
	if (h) {
		free(dm->target);
		dm->target = xstrdup(h->target);
		char *url = sw_deploy_health_url(d, h->target);
		free(dm->health_url);
		dm->health_url = url;
	}
	bool fleet = !h && d->targets.len;
	if (fleet && !sw_deploy_wave_size(d, d->targets.len, err))
		return SW_ERR_USAGE;
	plan->environment = xstrdup(d->environment);
	plan->target = xstrdup(d->target);
	char previous[41] = "";
	bool swarm = is_swarm(d);
	if (swarm) {
		int r = swarm_plan(p, previous, err);
		if (r)
			return r;
	} else {
		plan->path = xstrdup(d->path);
	}
	if (fleet)
		sw_deploy_serving(st, d, plan->current, previous);
	if (!swarm && !fleet && strcmp(d->target, "local")) {
		if (sw_ssh_open(d->target, h ? h->ssh_dir : NULL, &p->ssh, err))
			return SW_ERR_USAGE;
		/* The first connection: what cannot reach the target stops here,
		 * and a start's is the lock's session, where the rest then runs
		 * (a deploy under way there stops it too).  A fleet's host goes
		 * on in the session its fleet took, or says why there is none. */
		if (start && h && h->shell_in >= 0) {
			sw_ssh_adopt(p->ssh, h->shell_in, h->shell_out);
			p->lock_fd = h->shell_in;
		} else if (start && h && h->lock_err) {
			*err = xstrdup(h->lock_err);
			return SW_ERR_FAILED;
		} else if (start && (p->lock_fd = ssh_lock(p->ssh, d->path, st, err)) < 0) {
			return SW_ERR_FAILED;
		}
		if (ssh_links(p->ssh, d->path, plan->current, previous, err))
			return SW_ERR_FAILED;
		if (d->health_containers && sw_ssh_run(p->ssh, "docker ps -q >/dev/null\n", SSH_QUICK_S, NULL, err)) {
			char *e = xasprintf("deploy.health.containers: the container engine on %s does not answer: %s",
					    d->target, *err);
			free(*err);
			*err = e;
			return SW_ERR_FAILED;
		}
	}
	/* Validation would fail after the switch: said before anything moves. */
	if (d->health_containers && !p->ssh && !swarm && !fleet) {
		struct sw_docker *dk;
		char *why = NULL;
		if (sw_docker_open(sw_docker_host_pick(p->cfg.docker_host), &dk, &why)) {
			*err = xasprintf("deploy.health.containers: %s", why);
			free(why);
			return SW_ERR_FAILED;
		}
		sw_docker_close(dk);
	}
	/* Before the rest: a deploy under way may have switched already.  (On
	 * an ssh target, the lock taken at the start says it.) */
	char *lock = target_lock_path(st, d);
	bool busy = !p->ssh && !h && sw_lock_held(lock);
	free(lock);
	if (busy) {
		*err = busy_message(st, plan->path);
		return SW_ERR_FAILED;
	}
	if (!p->ssh && !swarm && !fleet)
		sw_deploy_current(d->path, plan->current, previous);
	plan_note_interrupted(st, plan);
	if (opt->rollback) {
		if (!*previous) {
			*err = swarm ? xasprintf("nothing to roll back to: the service %s's previous spec runs no release "
						 "of %s", d->services.items[0], d->images.items[0])
			       : fleet ? xasprintf("nothing to roll back to: no fleet deploy with a release before it "
						   "succeeded last")
				       : xasprintf("nothing to roll back to: %s%s%s/previous names no release",
						   h ? "on " : "", h ? h->target : "", d->path);
			return SW_ERR_FAILED;
		}
		memcpy(plan->commit, previous, 41);
		return SW_OK;
	}
	const char *ref = h ? h->commit : opt->ref ? opt->ref : main;
	char main_sha[41];
	if (sw_repo_resolve(repo, ref, plan->commit, err))
		return SW_ERR_USAGE;
	if (sw_repo_resolve(repo, main, main_sha, err))
		return SW_ERR_USAGE;
	char *why = NULL;
	if (!sw_repo_contains(repo, main_sha, plan->commit)) {
		why = xasprintf("%s (%.7s) is not on %s: only %s's commits are deployed (merge it first)", ref,
				plan->commit, main, main);
	} else if (h) {
		/* The fleet's deploy proved it, and a host already on it (left
		 * there by a fleet deploy that could not go back) gets it again. */
		plan->run = h->run;
	} else if (!(plan->run = sw_find_proof(st, NULL, plan->commit, main, &why))) {
		char *r = xasprintf("%s@%.7s has no passed run; %s", ref, plan->commit, why);
		free(why);
		why = r;
	} else if (!strcmp(plan->commit, plan->current)) {
		why = xasprintf("%s@%.7s is already the current release in %s: nothing to deploy (--force "
				"installs it again)", ref, plan->commit, d->environment);
	}
	if (why && !opt->force) {
		*err = why;
		return SW_ERR_FAILED;
	}
	if (why)
		strlist_addf(&plan->notes, "forced: %s", why);
	free(why);
	return SW_OK;
}

static void prepared_free(struct prepared *p)
{
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	sw_ssh_close(p->ssh, true);
	sw_config_free(&p->cfg);
	sw_deploy_plan_free(&p->plan);
}

int sw_deploy_plan(struct sw_repo *repo, struct sw_store *st, const struct sw_deploy_options *opt,
		   struct sw_deploy_plan *plan, char **err)
{
	struct prepared p;
	int r = prepare(repo, st, opt, NULL, false, &p, err);
	*plan = p.plan;
	memset(&p.plan, 0, sizeof p.plan);
	prepared_free(&p);
	return r;
}

void sw_deploy_plan_free(struct sw_deploy_plan *plan)
{
	free(plan->environment);
	free(plan->target);
	free(plan->path);
	strlist_free(&plan->notes);
	memset(plan, 0, sizeof *plan);
}

/* ---- the deploy's process ---- */

struct deployer {
	struct sw_store *st;
	struct sw_repo *repo;
	const struct sw_config *cfg;
	const struct sw_deploy_config *d;
	struct sw_deploy_record *rec;
	struct sw_secrets secrets;
	char **envp;			/* the hooks' environment, without SLIPWAY_RELEASE */
	char *release;			/* releases/<commit>, absolute */
	char *outgoing;			/* the release that served before; NULL when none */
	char old_previous[41];		/* what previous named before: restored by a rollback */
	struct sw_docker *docker;	/* opened at the first container check */
	struct sw_ssh *ssh;		/* an ssh:// target; NULL for local */
	/* A fleet's: one master connection per host for the whole deploy,
	 * its rollbacks included, opened side by side at its start. */
	char *ssh_dir;
	struct sw_ssh **hosts_ssh;
	/* Per host: its lock asked for and not yet waited for; why it could
	 * not be taken (NULL when it is held, or when the host's own deploy
	 * is to ask again: another deploy held it). */
	bool *locking;
	char **lock_errs;
	bool stopped, switched, started;
	/* Each container's restarts when the health step began: an engine
	 * that restarts a crashing container at once shows it "running". */
	struct sw_container_list base;
	bool have_base;
	char *bad_container;		/* the one the last containers check blamed */
	int live_fd, target_fd;		/* the locks this deploy's process holds */
};

static void save(struct deployer *dp)
{
	sw_deploy_save(dp->st, dp->rec, true);
}

static size_t step_index(struct deployer *dp, const char *name)
{
	struct sw_deploy_record *rec = dp->rec;
	for (size_t i = 0; i < rec->nsteps; i++)
		if (!strcmp(rec->steps[i].name, name))
			return i;
	rec->steps = xrealloc(rec->steps, (rec->nsteps + 1) * sizeof *rec->steps);
	rec->steps[rec->nsteps] = (struct sw_deploy_step){.name = xstrdup(name), .status = SW_STAGE_PENDING};
	return rec->nsteps++;
}

static size_t step_begin(struct deployer *dp, const char *name)
{
	size_t i = step_index(dp, name);
	struct sw_deploy_step *s = &dp->rec->steps[i];
	s->status = SW_STAGE_RUNNING;
	s->started_ms = sw_now_ms();
	save(dp);
	return i;
}

/* Ends step i; reason is taken (may be NULL).  Returns 0 when it passed. */
static int step_end(struct deployer *dp, size_t i, enum sw_stage_status status, char *reason)
{
	struct sw_deploy_step *s = &dp->rec->steps[i];
	s->status = status;
	if (!s->started_ms)
		s->started_ms = sw_now_ms();
	s->finished_ms = sw_now_ms();
	free(s->reason);
	s->reason = reason;
	sw_secrets_mask_text(&dp->secrets, &s->reason);
	save(dp);
	return status == SW_STAGE_FAILED ? -1 : 0;
}

static void step_skip(struct deployer *dp, const char *name, const char *why)
{
	size_t i = step_index(dp, name);
	step_end(dp, i, SW_STAGE_SKIPPED, xstrdup(why));
}

/* A line of slipway's own in a step's log. */
static void step_log(struct deployer *dp, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void step_log(struct deployer *dp, const char *step, const char *fmt, ...)
{
	char *path = sw_deploy_log_path(dp->st, dp->rec->id, step);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	struct sbuf sb = {0};
	sbuf_adds(&sb, "slipway: ");
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	sbuf_adds(&sb, line);
	sbuf_addc(&sb, '\n');
	sw_secrets_mask(&dp->secrets, &sb);
	ssize_t w = write(fd, sb.buf, sb.len);
	(void)w;
	sbuf_free(&sb);
	free(line);
	close(fd);
}

/* The hooks see what the executor's stages see of the caller (PATH, HOME,
 * main's pass_env), the secrets main names, where they are, and the
 * engine slipway's own checks use, so that docker-compose reaches it. */
static char **hook_env(struct deployer *dp)
{
	static const char *const kept[] = {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "XDG_RUNTIME_DIR",
					   "SSH_AUTH_SOCK"};
	struct strlist env = {0};
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		const char *v = getenv(kept[i]);
		if (v)
			strlist_addf(&env, "%s=%s", kept[i], v);
	}
	for (size_t i = 0; i < dp->cfg->pass_env.len; i++) {
		const char *v = getenv(dp->cfg->pass_env.items[i]);
		if (v)
			strlist_addf(&env, "%s=%s", dp->cfg->pass_env.items[i], v);
	}
	for (size_t i = 0; i < dp->secrets.n; i++)
		strlist_addf(&env, "%s=%s", dp->secrets.items[i].name, dp->secrets.items[i].value);
	const char *host = sw_docker_host_pick(dp->cfg->docker_host);
	if (!strncmp(host, "unix://~/", 9) && getenv("HOME"))
		strlist_addf(&env, "DOCKER_HOST=unix://%s/%s", getenv("HOME"), host + 9);
	else
		strlist_addf(&env, "DOCKER_HOST=%s", host);
	if (dp->d->project)
		strlist_addf(&env, "COMPOSE_PROJECT_NAME=%s", dp->d->project);
	strlist_addf(&env, "SLIPWAY_COMMIT=%s", dp->rec->commit);
	strlist_addf(&env, "SLIPWAY_PREVIOUS=%s", dp->rec->previous);
	strlist_addf(&env, "SLIPWAY_ENVIRONMENT=%s", dp->d->environment);
	strlist_addf(&env, "SLIPWAY_TARGET=%s", dp->d->target);
	strlist_addf(&env, "SLIPWAY_DEPLOY=%ld", dp->rec->id);
	if (dp->d->path)
		strlist_addf(&env, "SLIPWAY_DEPLOY_PATH=%s", dp->d->path);
	strlist_add(&env, "");
	free(env.items[env.len - 1]);
	env.items[env.len - 1] = NULL;
	return env.items;
}

/* What a hook on an ssh target is given: the variables of slipway's own,
 * the secrets and main's pass_env, not the caller's PATH, HOME or engine,
 * which are the target's own there. */
static bool remote_var(const char *kv)
{
	static const char *const local[] = {"PATH=", "HOME=", "USER=", "LANG=", "LC_ALL=", "TZ=", "XDG_RUNTIME_DIR=",
					    "SSH_AUTH_SOCK=", "DOCKER_HOST="};
	for (size_t i = 0; i < sizeof local / sizeof *local; i++)
		if (!strncmp(kv, local[i], strlen(local[i])))
			return false;
	return true;
}

static char *remote_hook_script(struct deployer *dp, char *const *envp, const char *dir, const char *text)
{
	struct sbuf sb = {0};
	for (size_t i = 0; envp[i]; i++) {
		const char *eq = strchr(envp[i], '=');
		if (!eq || !remote_var(envp[i]))
			continue;
		sbuf_addf(&sb, "%.*s=", (int)(eq - envp[i]), envp[i]);
		sw_sh_quote(&sb, eq + 1);
		sbuf_addf(&sb, "; export %.*s\n", (int)(eq - envp[i]), envp[i]);
	}
	sbuf_adds(&sb, "cd ");
	sw_sh_quote(&sb, dir);
	sbuf_adds(&sb, " || exit 1\nexec /bin/sh -c ");
	sw_sh_quote(&sb, text);
	sbuf_adds(&sb, " </dev/null\n");
	(void)dp;
	return sb.buf;
}

/* The script goes on ssh's stdin from a file of the journal's (0600,
 * removed after): the secrets it exports never reach a command line. */
static char *ssh_script_path(struct deployer *dp, const char *name)
{
	char *dir = sw_deploy_dir(dp->st, dp->rec->id), *path = xasprintf("%s/%s.sh", dir, name);
	free(dir);
	return path;
}

static char *ssh_script_line(struct deployer *dp, const char *name, const char *script, char **jdir)
{
	char *path = ssh_script_path(dp, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ssize_t w = write(fd, script, strlen(script));
		(void)w;
		close(fd);
	}
	*jdir = sw_deploy_dir(dp->st, dp->rec->id);
	char *ssh = sw_ssh_line(dp->ssh, "sh -s");
	struct sbuf sb = {0};
	sbuf_addf(&sb, "%s < ", ssh);
	sw_sh_quote(&sb, path);
	free(ssh);
	free(path);
	return sb.buf;
}

static void ssh_script_done(struct deployer *dp, const char *name)
{
	char *path = ssh_script_path(dp, name);
	unlink(path);
	free(path);
}

/* What a script said (NULL: nothing), a line each into step's log; text
 * is cut up. */
static void log_lines(struct deployer *dp, const char *step, char *text)
{
	char *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
		step_log(dp, step, "%s", l);
}

/* A script of slipway's own on the target for step: its output goes to
 * the step's log.  0, or -1 with *err. */
static int ssh_step_script(struct deployer *dp, const char *step, const char *script, char **err)
{
	char *out = NULL;
	int r = sw_ssh_run(dp->ssh, script, SSH_QUICK_S, &out, err);
	log_lines(dp, step, out);
	free(out);
	return r;
}

/* Runs hook h in dir as step name: skipped when the hook is empty. */
static int run_hook(struct deployer *dp, enum sw_hook h, const char *dir, const char *name)
{
	const char *text = dp->d->hooks[h];
	if (!text) {
		step_skip(dp, name, "no hook");
		return 0;
	}
	size_t i = step_begin(dp, name);
	size_t n = 0;
	while (dp->envp[n])
		n++;
	char **envp = xcalloc(n + 2, sizeof *envp), *commit_var = NULL;
	memcpy(envp, dp->envp, n * sizeof *envp);
	envp[n] = xasprintf("SLIPWAY_RELEASE=%s", dir);
	/* SLIPWAY_COMMIT is the commit of the release the hook runs in: the
	 * outgoing one's for its stop and for a rollback's start, so that a
	 * hook that picks images by it starts what that release built. */
	const char *own = dp->outgoing && !strcmp(dir, dp->outgoing) ? dp->rec->previous : dp->rec->commit;
	for (size_t k = 0; k < n; k++)
		if (!strncmp(envp[k], "SLIPWAY_COMMIT=", 15))
			envp[k] = commit_var = xasprintf("SLIPWAY_COMMIT=%s", own);
	char *log = sw_deploy_log_path(dp->st, dp->rec->id, name);
	step_log(dp, name, "%s hook in %s%s%s: %s", sw_hook_name(h), dp->ssh ? sw_ssh_url(dp->ssh) : "",
		 dp->ssh ? ":" : "", dir, text);
	char *script = dp->ssh ? remote_hook_script(dp, envp, dir, text) : NULL, *line = NULL, *jdir = NULL;
	if (script)
		line = ssh_script_line(dp, name, script, &jdir);
	struct sw_command cmd = {.shell = line ? line : text, .dir = jdir ? jdir : dir, .envp = envp, .log_path = log,
				 .secrets = &dp->secrets, .timeout_s = dp->d->hook_timeout};
	struct sw_command_result res;
	int r = sw_command_run(&cmd, &res);
	if (script)
		ssh_script_done(dp, name);
	free(script);
	free(line);
	free(jdir);
	free(log);
	free(envp[n]);
	free(commit_var);
	free(envp);
	char *reason = res.reason ? xasprintf("%s hook: %s", sw_hook_name(h), res.reason) : NULL;
	sw_command_result_free(&res);
	return step_end(dp, i, r ? SW_STAGE_FAILED : SW_STAGE_PASSED, reason);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static char *parent_of(const char *path)
{
	char *p = xstrdup(path), *slash = strrchr(p, '/');
	if (slash)
		*slash = '\0';
	return p;
}

/* Each shared path lives in shared/ and is a link in the release.  The
 * first release that has one seeds it; one that nobody has yet starts as
 * an empty directory.  What a release brings in its place is dropped:
 * the data is shared's, never a release's. */
/* A shared path nobody has yet is made as a directory, unless its name
 * says it is a file (".env", "db.sqlite3"): an empty directory there would
 * let the release start on no settings at all. */
static bool file_like(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return base[0] == '.' || strchr(base, '.') != NULL;
}

static char *missing_shared(const struct sw_deploy_config *d, const char *p)
{
	return xasprintf("shared/%s is missing: neither %s/shared/%s nor the release has it; create it on the "
			 "target before deploying", p, d->path, p);
}

static int link_shared(struct deployer *dp, const char *tmp, char **err)
{
	for (size_t i = 0; i < dp->d->shared.len; i++) {
		const char *p = dp->d->shared.items[i];
		char *in_shared = xasprintf("%s/shared/%s", dp->d->path, p), *in_release = xasprintf("%s/%s", tmp, p);
		char *sp = parent_of(in_shared), *rp = parent_of(in_release);
		int r = sw_mkdirs(sp, 0755) || sw_mkdirs(rp, 0755) ? -1 : 0;
		if (!r && !exists(in_shared)) {
			if (exists(in_release) && rename(in_release, in_shared) == 0) {
				step_log(dp, "install", "shared/%s: seeded from this release's copy", p);
			} else if (!exists(in_release) && file_like(p)) {
				*err = missing_shared(dp->d, p);
				free(sp);
				free(rp);
				free(in_shared);
				free(in_release);
				return -1;
			} else if (mkdir(in_shared, 0755) == 0)
				step_log(dp, "install", "shared/%s: made as an empty directory", p);
			else
				r = -1;
		}
		if (!r && exists(in_release) && sw_remove_tree(in_release))
			r = -1;
		if (!r && symlink(in_shared, in_release))
			r = -1;
		if (r)
			*err = xasprintf("cannot link %s into the release: %s", in_shared, strerror(errno));
		free(sp);
		free(rp);
		free(in_shared);
		free(in_release);
		if (r)
			return -1;
	}
	return 0;
}

/* The commit's tree, written aside and renamed into place whole. */
static bool release_installed(struct deployer *dp)
{
	if (!dp->ssh)
		return exists(dp->release);
	struct sbuf sc = {0};
	char *e = NULL;
	sbuf_adds(&sc, "test -d ");
	sw_sh_quote(&sc, dp->release);
	sbuf_addc(&sc, '\n');
	int r = sw_ssh_run(dp->ssh, sc.buf, SSH_QUICK_S, NULL, &e);
	free(e);
	sbuf_free(&sc);
	return r == 0;
}

/* The last line of a step's log, for the step's reason: what a script
 * said on stderr before it failed.  NULL when there is none. */
static char *log_last_line(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char buf[1024];
	off_t size = lseek(fd, 0, SEEK_END), from = size > (off_t)sizeof buf ? size - (off_t)sizeof buf : 0;
	ssize_t n = pread(fd, buf, sizeof buf, from);
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	ssize_t start = n;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	return n > start ? xstrndup(buf + start, (size_t)(n - start)) : NULL;
}

/* tar of the tree in memory: NULL when it is bigger than max, or tar
 * failed (the caller then streams it). */
static char *tree_tar(const char *tree, size_t max, size_t *len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return NULL;
	char a0[] = "tar", a1[] = "-C", a3[] = "-cf", a4[] = "-", a5[] = ".", *dir = xstrdup(tree);
	char *argv[] = {a0, a1, dir, a3, a4, a5, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	pid_t pid;
	int e = posix_spawnp(&pid, "tar", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(dir);
	close(p[1]);
	struct sbuf sb = {0};
	bool big = false;
	char buf[65536];
	ssize_t n;
	while (!e && !big && ((n = read(p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))) {
		if (n > 0)
			sbuf_add(&sb, buf, (size_t)n);
		big = sb.len > max;
	}
	close(p[0]);
	int status = -1;
	if (!e) {
		if (big)
			kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (e || big || !WIFEXITED(status) || WEXITSTATUS(status)) {
		sbuf_free(&sb);
		return NULL;
	}
	*len = sb.len;
	return sb.buf ? sb.buf : xstrdup("");
}

/* A tree too big for the lock's session: `tar | ssh` in a session of its
 * own, remote reading it. */
static char *ssh_install_streamed(struct deployer *dp, const char *tree, const char *jdir, const char *remote)
{
	struct sbuf line = {0};
	char *ssh = sw_ssh_line(dp->ssh, remote), *err = NULL;
	sbuf_adds(&line, "tar -C ");
	sw_sh_quote(&line, tree);
	sbuf_addf(&line, " -cf - . | %s", ssh);
	free(ssh);
	char *log = sw_deploy_log_path(dp->st, dp->rec->id, "install");
	struct sw_command cmd = {.shell = line.buf, .dir = jdir, .envp = dp->envp, .log_path = log,
				 .secrets = &dp->secrets, .timeout_s = dp->d->hook_timeout};
	struct sw_command_result res;
	if (sw_command_run(&cmd, &res)) {
		char *said = log_last_line(log);
		err = said ? xasprintf("cannot install the release on %s: %s (%s)", sw_ssh_url(dp->ssh), said, res.reason)
			   : xasprintf("cannot install the release on %s: %s", sw_ssh_url(dp->ssh), res.reason);
		free(said);
	}
	sw_command_result_free(&res);
	sbuf_free(&line);
	free(log);
	return err;
}

/* On an ssh target: the tree is written here and sent by tar over the
 * deploy's connection into releases/.<commit>.<id>.new there, where the
 * same session links it and renames it into place, as a local install
 * does.  (The script is paths only: no secret is on the command line.) */
static char *ssh_install(struct deployer *dp, const char *tmp_name)
{
	char *jdir = sw_deploy_dir(dp->st, dp->rec->id), *tree = xasprintf("%s/tree", jdir), *err = NULL;
	char *tmp = xasprintf("%s/releases/%s", dp->d->path, tmp_name);
	if (exists(tree))
		sw_remove_tree(tree);
	if (sw_repo_checkout(dp->repo, dp->rec->commit, tree, &err)) {
		free(tree);
		free(jdir);
		free(tmp);
		return err;
	}
	/* What link_shared does, in sh. */
	struct sbuf sc = {0};
	sbuf_adds(&sc, "set -e\ncd ");
	sw_sh_quote(&sc, dp->d->path);
	sbuf_adds(&sc, "\nnew=");
	sw_sh_quote(&sc, tmp);
	sbuf_adds(&sc, "\n");
	for (size_t k = 0; k < dp->d->shared.len; k++) {
		sbuf_adds(&sc, "p=");
		sw_sh_quote(&sc, dp->d->shared.items[k]);
		struct sbuf none = {0};
		if (file_like(dp->d->shared.items[k])) {
			char *m = missing_shared(dp->d, dp->d->shared.items[k]);
			sbuf_adds(&none, "echo ");
			sw_sh_quote(&none, m);
			sbuf_adds(&none, " >&2; exit 1");
			free(m);
		} else {
			sbuf_adds(&none, "mkdir \"shared/$p\"; echo \"shared/$p: made as an empty directory\"");
		}
		sbuf_addf(&sc, "\nmkdir -p \"$(dirname \"shared/$p\")\" \"$(dirname \"$new/$p\")\"\n"
			       "if [ ! -e \"shared/$p\" ] && [ ! -L \"shared/$p\" ]; then\n"
			       "  if [ -e \"$new/$p\" ]; then mv \"$new/$p\" \"shared/$p\"; echo \"shared/$p: seeded from this release's copy\";\n"
			       "  else %s; fi\nfi\n"
			       "rm -rf \"$new/$p\"\nln -s \"$PWD/shared/$p\" \"$new/$p\"\n", none.buf);
		sbuf_free(&none);
	}
	sbuf_adds(&sc, "rel=");
	sw_sh_quote(&sc, dp->release);
	sbuf_addf(&sc, "\nif [ -e \"$rel\" ]; then mv \"$rel\" \"$rel.%ld.old\"; fi\nmv \"$new\" \"$rel\"\n"
		  "[ ! -e \"$rel.%ld.old\" ] || rm -rf \"$rel.%ld.old\"\n", dp->rec->id, dp->rec->id, dp->rec->id);
	struct sbuf remote = {0};
	sbuf_adds(&remote, "t=");
	sw_sh_quote(&remote, tmp);
	sbuf_adds(&remote, "; { [ ! -e \"$t\" ] || rm -rf \"$t\"; } && mkdir -p \"$t\" && tar -xf - -C \"$t\" && sh -c ");
	sw_sh_quote(&remote, sc.buf);
	/* What failed leaves no half-made release behind. */
	sbuf_adds(&remote, " || { c=$?; rm -rf \"$t\"; exit $c; }");
	/* A small tree goes in the lock's session, which costs no session of
	 * its own; a big one (or when that session is gone) in one of its own. */
	size_t len = 0;
	char *data = tree_tar(tree, INLINE_TAR_MAX, &len), *told = NULL;
	int r = data ? sw_ssh_run_input(dp->ssh, remote.buf, data, len, dp->d->hook_timeout, &told, &err) : 1;
	free(data);
	log_lines(dp, "install", told);
	free(told);
	if (r < 0) {
		char *e = strncmp(err, "on ", 3) ? xasprintf("cannot install the release on %s: %s", sw_ssh_url(dp->ssh), err)
						 : xasprintf("cannot install the release %s", err);
		free(err);
		err = e;
	}
	if (r > 0)
		err = ssh_install_streamed(dp, tree, jdir, remote.buf);
	if (!err)
		step_log(dp, "install", "sent the tree of %.7s to %s:%s", dp->rec->commit, sw_ssh_url(dp->ssh),
			 dp->release);
	sw_remove_tree(tree);
	sbuf_free(&remote);
	sbuf_free(&sc);
	free(tree);
	free(jdir);
	free(tmp);
	return err;
}

static int install(struct deployer *dp)
{
	if (dp->rec->rollback && release_installed(dp)) {
		step_skip(dp, "install", "installed already");
		return 0;
	}
	size_t i = step_begin(dp, "install");
	if (dp->ssh) {
		char *name = xasprintf(".%s.%ld.new", dp->rec->commit, dp->rec->id);
		char *err = ssh_install(dp, name);
		free(name);
		return step_end(dp, i, err ? SW_STAGE_FAILED : SW_STAGE_PASSED, err);
	}
	char *releases = xasprintf("%s/releases", dp->d->path);
	char *tmp = xasprintf("%s/.%s.%ld.new", releases, dp->rec->commit, dp->rec->id);
	char *old = xasprintf("%s/.%s.%ld.old", releases, dp->rec->commit, dp->rec->id);
	char *err = NULL;
	int r = sw_mkdirs(releases, 0755);
	if (r)
		err = xasprintf("cannot make %s: %s", releases, strerror(-r));
	if (!err && exists(tmp))
		sw_remove_tree(tmp);
	if (!err && sw_repo_checkout(dp->repo, dp->rec->commit, tmp, &err) == 0)
		step_log(dp, "install", "wrote the tree of %.7s into %s", dp->rec->commit, dp->release);
	if (!err)
		link_shared(dp, tmp, &err);
	if (!err && exists(dp->release) && rename(dp->release, old))
		err = xasprintf("cannot move the earlier %s aside: %s", dp->release, strerror(errno));
	if (!err && rename(tmp, dp->release))
		err = xasprintf("cannot rename %s to %s: %s", tmp, dp->release, strerror(errno));
	if (exists(old))
		sw_remove_tree(old);
	if (err && exists(tmp))
		sw_remove_tree(tmp);
	free(old);
	free(tmp);
	free(releases);
	return step_end(dp, i, err ? SW_STAGE_FAILED : SW_STAGE_PASSED, err);
}

static int backup(struct deployer *dp)
{
	if (!dp->d->backup.len) {
		step_skip(dp, "backup", "nothing to back up (deploy.backup)");
		return 0;
	}
	size_t i = step_begin(dp, "backup");
	char *err = NULL;
	if (dp->ssh) {
		/* The sqlite3 shell's .backup is the same online backup API. */
		struct sbuf sc = {0};
		sbuf_adds(&sc, "cd ");
		sw_sh_quote(&sc, dp->d->path);
		sbuf_adds(&sc, " || exit 1\n");
		for (size_t k = 0; k < dp->d->backup.len; k++) {
			sbuf_adds(&sc, "b=");
			sw_sh_quote(&sc, dp->d->backup.items[k]);
			sbuf_addf(&sc, "\ndst=\"$PWD/backups/%ld/$b\"\n"
				  "if [ ! -e \"shared/$b\" ]; then echo \"shared/$b: not there yet, nothing to back up\"\n"
				  "else command -v sqlite3 >/dev/null || { echo \"the target has no sqlite3 to back up shared/$b\" >&2; exit 1; }\n"
				  "  mkdir -p \"$(dirname \"$dst\")\" && sqlite3 \"shared/$b\" \".backup '$dst'\" && chmod 600 \"$dst\" &&"
				  " echo \"shared/$b: backed up to $dst\" || exit 1\nfi\n", dp->rec->id);
		}
		ssh_step_script(dp, "backup", sc.buf, &err);
		sbuf_free(&sc);
	}
	for (size_t k = 0; k < dp->d->backup.len && !err && !dp->ssh; k++) {
		const char *b = dp->d->backup.items[k];
		char *src = xasprintf("%s/shared/%s", dp->d->path, b);
		char *dst = xasprintf("%s/backups/%ld/%s", dp->d->path, dp->rec->id, b);
		char *why = NULL;
		int r = sw_sqlite_backup(src, dst, BACKUP_BUSY_MS, &why);
		if (r == 1)
			step_log(dp, "backup", "shared/%s: not there yet, nothing to back up", b);
		else if (r == 0)
			step_log(dp, "backup", "shared/%s: backed up to %s", b, dst);
		else
			err = why, why = NULL;
		free(why);
		free(dst);
		free(src);
	}
	return step_end(dp, i, err ? SW_STAGE_FAILED : SW_STAGE_PASSED, err);
}

/* name -> releases/<sha>, by one rename; on the target, as a line of sh. */
static void link_line(struct sbuf *sc, const char *name, const char *sha)
{
	sbuf_addf(sc, "ln -sfn releases/%s .%s.tmp && mv -Tf .%s.tmp %s || exit 1\n", sha, name, name, name);
}

static int target_link(struct deployer *dp, const char *name, const char *sha, char **err)
{
	if (!dp->ssh)
		return set_link(dp->d->path, name, sha, err);
	struct sbuf sc = {0};
	sbuf_adds(&sc, "cd ");
	sw_sh_quote(&sc, dp->d->path);
	sbuf_adds(&sc, " || exit 1\n");
	link_line(&sc, name, sha);
	int r = sw_ssh_run(dp->ssh, sc.buf, SSH_QUICK_S, NULL, err);
	sbuf_free(&sc);
	return r;
}

static void target_links(struct deployer *dp, char cur[41], char prev[41])
{
	char *err = NULL;
	if (!dp->ssh)
		sw_deploy_current(dp->d->path, cur, prev);
	else if (ssh_links(dp->ssh, dp->d->path, cur, prev, &err))
		free(err);
}

static int switch_current(struct deployer *dp, const char *step, const char *to, const char *previous)
{
	size_t i = step_begin(dp, step);
	char *err = NULL;
	bool prev = *previous && strcmp(previous, to);
	if (dp->ssh) {
		/* One session: each costs the target's shell start. */
		struct sbuf sc = {0};
		sbuf_adds(&sc, "cd ");
		sw_sh_quote(&sc, dp->d->path);
		sbuf_adds(&sc, " || exit 1\n");
		if (prev)
			link_line(&sc, "previous", previous);
		link_line(&sc, "current", to);
		sw_ssh_run(dp->ssh, sc.buf, SSH_QUICK_S, NULL, &err);
		sbuf_free(&sc);
	} else if (!prev || set_link(dp->d->path, "previous", previous, &err) == 0) {
		set_link(dp->d->path, "current", to, &err);
	}
	if (!err)
		step_log(dp, step, "current -> releases/%s", to);
	return step_end(dp, i, err ? SW_STAGE_FAILED : SW_STAGE_PASSED, err);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* NULL when the URL answered 2xx; else why not (allocated). */
static char *check_url(const char *url)
{
	CURL *c = curl_easy_init();
	if (!c)
		return xstrdup("cannot start libcurl");
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)HEALTH_REQUEST_MS);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* A proxy is for the world outside; production's own address is not. */
	curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return xasprintf("%s: %s", url, *ebuf ? ebuf : curl_easy_strerror(rc));
	if (code < 200 || code > 299)
		return xasprintf("%s answered %ld", url, code);
	return NULL;
}

/* A query of the health checks on the target: the script sc (freed) run
 * there.  NULL with its output in *out, or the error (*out NULL). */
static char *ssh_ask(struct deployer *dp, struct sbuf *sc, char **out)
{
	char *err = NULL;
	int r = sw_ssh_run(dp->ssh, sc->buf, SSH_QUICK_S, out, &err);
	sbuf_free(sc);
	if (!r)
		return NULL;
	free(*out);
	*out = NULL;
	return err;
}

/* On an ssh target, from there: the URL is the target's own address. */
static char *ssh_check_url(struct deployer *dp, const char *url)
{
	struct sbuf sc = {0};
	sbuf_adds(&sc, "command -v curl >/dev/null || { echo nocurl; exit 0; }\n"
		       "code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --noproxy '*' ");
	sw_sh_quote(&sc, url);
	sbuf_adds(&sc, "); echo \"$? $code\"\n");
	char *out, *err = ssh_ask(dp, &sc, &out);
	if (err)
		return err;
	int rc = -1;
	long code = 0;
	char *why = NULL;
	if (!strncmp(out, "nocurl", 6))
		why = xasprintf("the target has no curl to check %s", url);
	else if (sscanf(out, "%d %ld", &rc, &code) < 1)
		why = xasprintf("%s: no answer from curl on the target", url);
	else if (rc == 7)
		why = xasprintf("%s: connection refused (on %s)", url, sw_ssh_url(dp->ssh));
	else if (rc == 28)
		why = xasprintf("%s: no answer within %d ms (on %s)", url, HEALTH_REQUEST_MS, sw_ssh_url(dp->ssh));
	else if (rc)
		why = xasprintf("%s: curl failed with code %d (on %s)", url, rc, sw_ssh_url(dp->ssh));
	else if (code < 200 || code > 299)
		why = xasprintf("%s answered %ld", url, code);
	free(out);
	return why;
}

static char *ssh_check_containers(struct deployer *dp)
{
	struct sbuf sc = {0};
	sbuf_adds(&sc, "docker ps -a --filter ");
	char *label = xasprintf("label=com.docker.compose.project=%s", dp->d->project);
	sw_sh_quote(&sc, label);
	free(label);
	sbuf_adds(&sc, " --format '{{.Names}}\t{{.State}}\t{{.Status}}'\n");
	char *out, *err = ssh_ask(dp, &sc, &out);
	if (err)
		return err;
	char *why = NULL, *save = NULL;
	size_t n = 0;
	for (char *l = strtok_r(out, "\n", &save); l && !why; l = strtok_r(NULL, "\n", &save), n++) {
		char *state = strchr(l, '\t'), *status = state ? strchr(state + 1, '\t') : NULL;
		if (!status)
			continue;
		*state++ = '\0';
		*status++ = '\0';
		if (strcmp(state, "running"))
			why = xasprintf("container %s is %s (%s)", l, state, status);
		else if (strstr(status, "(health: starting)"))
			why = xasprintf("container %s is starting", l);
		else if (strstr(status, "(unhealthy)"))
			why = xasprintf("container %s is unhealthy", l);
	}
	if (!why && !n)
		why = xasprintf("no container of compose project \"%s\" exists on %s", dp->d->project,
				sw_ssh_url(dp->ssh));
	free(out);
	return why;
}

static char *check_containers(struct deployer *dp)
{
	char *err = NULL;
	if (dp->ssh)
		return ssh_check_containers(dp);
	if (!dp->docker && sw_docker_open(sw_docker_host_pick(dp->cfg->docker_host), &dp->docker, &err))
		return err;
	struct sw_container_list l;
	if (sw_docker_list(dp->docker, dp->d->project, true, &l, &err))
		return err;
	char *why = NULL;
	if (!l.n)
		why = xasprintf("no container of compose project \"%s\" exists", dp->d->project);
	free(dp->bad_container);
	dp->bad_container = NULL;
	for (size_t i = 0; i < l.n && !why; i++) {
		const struct sw_container *c = &l.items[i];
		const struct sw_container *before = NULL;
		for (size_t k = 0; dp->have_base && k < dp->base.n && !before; k++)
			if (!strcmp(dp->base.items[k].id, c->id))
				before = &dp->base.items[k];
		/* A one-off that finished (a migration, say) is done, not down. */
		if (!strcmp(c->state, "exited") && c->exit_code == 0)
			continue;
		if (before && c->restarts > before->restarts)
			why = xasprintf("container %s restarted %d time%s during validation", c->name,
					c->restarts - before->restarts, c->restarts - before->restarts == 1 ? "" : "s");
		else if (strcmp(c->state, "running"))
			why = !strcmp(c->state, "exited") ? xasprintf("container %s exited (code %d)", c->name, c->exit_code)
							  : xasprintf("container %s is %s", c->name, c->state);
		else if (c->health == SW_HEALTH_STARTING || c->health == SW_HEALTH_UNHEALTHY)
			why = xasprintf("container %s is %s", c->name, sw_health_name(c->health));
		if (why)
			dp->bad_container = xstrdup(c->name);
	}
	if (!dp->have_base) {
		dp->base = l;
		dp->have_base = true;
	} else {
		sw_container_list_free(&l);
	}
	return why;
}

struct tail_ctx {
	struct deployer *dp;
	const char *step;
};

static int tail_line(void *ud, int stream, const char *line, size_t len)
{
	struct tail_ctx *t = ud;
	(void)stream;
	step_log(t->dp, t->step, "%s| %.*s", t->dp->bad_container, (int)len, line);
	return 0;
}

/* Why a container keeps failing is in its own output: the last of it goes
 * into the step's log, beside the verdict. */
#define CONTAINER_TAIL 15

static void log_container_tail(struct deployer *dp, const char *step)
{
	struct tail_ctx t = {dp, step};
	char *err = NULL;
	step_log(dp, step, "the last %d lines of %s's log:", CONTAINER_TAIL, dp->bad_container);
	if (sw_docker_logs(dp->docker, dp->bad_container, CONTAINER_TAIL, false, tail_line, &t, NULL, &err))
		step_log(dp, step, "(its log cannot be read: %s)", err);
	free(err);
}

/* Every container of the project up (and healthy where it has a check),
 * and the URL answering 2xx, within health.timeout. */
static int health(struct deployer *dp, const char *step)
{
	const struct sw_deploy_config *d = dp->d;
	if (!d->health_url && !d->health_containers) {
		step_skip(dp, step, "nothing to check (deploy.health has no url, and containers is false)");
		return 0;
	}
	size_t i = step_begin(dp, step);
	int64_t start = sw_mono_ms(), deadline = start + (int64_t)d->health_timeout * 1000;
	if (dp->have_base)
		sw_container_list_free(&dp->base);
	dp->have_base = false;
	char *last = NULL;
	for (;;) {
		char *why = d->health_containers ? check_containers(dp) : NULL;
		if (!why && d->health_url)
			why = dp->ssh ? ssh_check_url(dp, d->health_url) : check_url(d->health_url);
		if (!why) {
			step_log(dp, step, "healthy after %.1f s", (double)(sw_mono_ms() - start) / 1000);
			free(last);
			return step_end(dp, i, SW_STAGE_PASSED, NULL);
		}
		if (!last || strcmp(last, why))
			step_log(dp, step, "%s", why);
		free(last);
		last = why;
		if (sw_mono_ms() + HEALTH_POLL_MS > deadline)
			break;
		sw_sleep_ms(HEALTH_POLL_MS);
	}
	char *reason = xasprintf("%s (still, after %d s)", last, d->health_timeout);
	free(last);
	if (dp->bad_container && dp->docker)
		log_container_tail(dp, step);
	return step_end(dp, i, SW_STAGE_FAILED, reason);
}

/* ---- the deploy ---- */

static char *release_dir(const struct deployer *dp, const char *sha)
{
	return xasprintf("%s/releases/%s", dp->d->path, sha);
}

static void finish(struct deployer *dp, enum sw_deploy_status status, char *state)
{
	/* What the deploy never came to is said, not left pending. */
	for (size_t i = 0; i < dp->rec->nsteps; i++)
		if (dp->rec->steps[i].status == SW_STAGE_PENDING) {
			dp->rec->steps[i].status = SW_STAGE_SKIPPED;
			free(dp->rec->steps[i].reason);
			dp->rec->steps[i].reason = xstrdup(status == SW_DEPLOY_SUCCEEDED ? "not needed" : "not reached");
		}
	dp->rec->status = status;
	dp->rec->finished_ms = sw_now_ms();
	free(dp->rec->state);
	dp->rec->state = state;
	save(dp);
}

static const char *failed_reason(const struct sw_deploy_record *rec)
{
	for (size_t i = rec->nsteps; i-- > 0;)
		if (rec->steps[i].status == SW_STAGE_FAILED)
			return rec->steps[i].reason ? rec->steps[i].reason : rec->steps[i].name;
	return "a step failed";
}

static void set_reason(struct deployer *dp)
{
	const struct sw_deploy_step *s = NULL;
	for (size_t i = 0; i < dp->rec->nsteps && !s; i++)
		if (dp->rec->steps[i].status == SW_STAGE_FAILED)
			s = &dp->rec->steps[i];
	free(dp->rec->reason);
	dp->rec->reason = s ? xasprintf("%s failed: %s", s->name, s->reason ? s->reason : "see its log")
			    : xstrdup("a step failed");
}

/* Back to the release that served before: stop the new one, point current
 * at the old, start and validate it. */
static void roll_back(struct deployer *dp)
{
	set_reason(dp);
	const char *prev = dp->rec->previous;
	if (dp->started || dp->switched)
		run_hook(dp, SW_HOOK_STOP, dp->release, "rollback-stop");
	if (!*prev) {
		char *state = dp->switched ? xasprintf("current is %.7s, the release that failed: there is no earlier "
						       "release to go back to; fix it and deploy again",
						       dp->rec->commit)
					   : xstrdup("no release is current; fix it and deploy again");
		finish(dp, SW_DEPLOY_FAILED, state);
		return;
	}
	int r = 0;
	if (dp->switched) {
		r = switch_current(dp, "rollback-switch", prev, "");
		char *ignored = NULL;
		if (!r && *dp->old_previous && target_link(dp, "previous", dp->old_previous, &ignored))
			step_log(dp, "rollback-switch", "%s", ignored);
		free(ignored);
	}
	if (!r && dp->stopped)
		r = run_hook(dp, SW_HOOK_START, dp->outgoing, "rollback-start");
	if (!r && dp->stopped)
		r = run_hook(dp, SW_HOOK_VALIDATE, dp->outgoing, "rollback-validate");
	if (!r && dp->stopped)
		r = health(dp, "rollback-health");
	if (!r) {
		finish(dp, SW_DEPLOY_ROLLED_BACK,
		       xasprintf("current is %.7s again, the release that served before%s", prev,
				 dp->stopped ? ", and it passed its health check" : ": it was never stopped"));
		return;
	}
	char cur[41], p2[41];
	target_links(dp, cur, p2);
	finish(dp, SW_DEPLOY_FAILED,
	       xasprintf("going back failed too (%s): current is %.7s; `slipway deploys` and the step logs "
			 "(`slipway log deploy:%ld`) show what ran; fix it and run `slipway rollback` or deploy again",
			 failed_reason(dp->rec), *cur ? cur : "none", dp->rec->id));
}

static int cmp_mtime_desc(const void *a, const void *b)
{
	const struct { char *name; int64_t t; } *x = a, *y = b;
	return (x->t < y->t) - (x->t > y->t);
}

/* Keeps the newest keep releases, current and previous always among
 * them, and as many backups. */
static void ssh_prune(struct deployer *dp)
{
	char *err = NULL;
	struct sbuf sc = {0};
	sbuf_adds(&sc, "cd ");
	sw_sh_quote(&sc, dp->d->path);
	/* The links read here, in the same session. */
	sbuf_addf(&sc, " || exit 0\ncur=$(readlink current); cur=${cur##*/}\nprev=$(readlink previous); prev=${prev##*/}\n"
		  "room=%d\n[ -z \"$cur\" ] || room=$((room - 1))\n[ -z \"$prev\" ] || room=$((room - 1))\n"
		  "n=0\nfor r in $(ls -1t releases 2>/dev/null); do\n"
		  "  case $r in \"$cur\"|\"$prev\") continue ;; esac\n  [ ${#r} = 40 ] || continue\n"
		  "  n=$((n + 1)); [ $n -le $room ] || rm -rf \"releases/$r\"\ndone\n"
		  "n=0\nfor b in $(ls -1 backups 2>/dev/null | sort -rn); do n=$((n + 1)); [ $n -le %d ] || rm -rf \"backups/$b\"; done\n",
		  dp->d->keep, dp->d->keep);
	if (sw_ssh_run(dp->ssh, sc.buf, SSH_QUICK_S, NULL, &err))
		free(err);
	sbuf_free(&sc);
}

static void prune(struct deployer *dp, const char *dirname, bool releases)
{
	if (dp->ssh) {
		if (releases)
			ssh_prune(dp);
		return;
	}
	char *dir = xasprintf("%s/%s", dp->d->path, dirname), cur[41], prev[41];
	sw_deploy_current(dp->d->path, cur, prev);
	/* Releases by when they were installed (ns: several deploys fit in a
	 * second), backups by their deploy's id. */
	struct entry { char *name; int64_t t; } *e = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		long id = 0;
		if (releases ? !is_sha(de->d_name, strlen(de->d_name)) : !sw_parse_record_id(de->d_name, &id))
			continue;
		if (releases && (!strcmp(de->d_name, cur) || !strcmp(de->d_name, prev)))
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) == 0) {
			e = xrealloc(e, (n + 1) * sizeof *e);
			e[n++] = (struct entry){xstrdup(de->d_name),
						releases ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : id};
		}
		free(p);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(e, n, sizeof *e, cmp_mtime_desc);
	size_t room = (size_t)dp->d->keep - (releases ? (*cur != 0) + (*prev != 0) : 0);
	for (size_t i = 0; i < n; i++) {
		if (i >= room) {
			char *p = xasprintf("%s/%s", dir, e[i].name);
			sw_remove_tree(p);
			free(p);
		}
		free(e[i].name);
	}
	free(e);
	free(dir);
}

static void sentry_note(void *ud, const char *msg)
{
	step_log(ud, "sentry", "%s", msg);
}

/* After a succeeded deploy: the release (version: the commit) and a
 * deploy marker in Sentry, where it is configured.  Sentry is told, not
 * asked: its failure is the step's, never the deploy's. */
static void mark_in_sentry(struct deployer *dp)
{
	struct sw_sentry_settings ss;
	char *err = NULL;
	if (sw_sentry_settings_load(dp->repo, &ss, &err)) {
		step_end(dp, step_index(dp, "sentry"), SW_STAGE_FAILED, err);
		return;
	}
	char *missing = sw_sentry_missing(&ss);
	if (missing && !ss.org && !ss.project && !ss.token) {
		step_skip(dp, "sentry", "Sentry is not configured");
		free(missing);
		sw_sentry_settings_free(&ss);
		return;
	}
	if (missing) {
		step_skip(dp, "sentry", missing);
		free(missing);
		sw_sentry_settings_free(&ss);
		return;
	}
	size_t i = step_begin(dp, "sentry");
	struct sw_sentry *c = sw_sentry_new(&ss, sentry_note, dp);
	bool existed = false;
	int r = sw_sentry_release(c, dp->rec->commit, &existed, &err);
	if (!r) {
		step_log(dp, "sentry", "release %s %s", dp->rec->commit, existed ? "was there already" : "created");
		r = sw_sentry_deploy(c, dp->rec->commit, dp->d->environment, (time_t)(dp->rec->started_ms / 1000),
				     (time_t)(sw_now_ms() / 1000), &err);
	}
	if (!r)
		step_log(dp, "sentry", "marked a deploy of it to %s", dp->d->environment);
	sw_sentry_free(c);
	sw_sentry_settings_free(&ss);
	step_end(dp, i, r ? SW_STAGE_FAILED : SW_STAGE_PASSED, err);
}

static void deploy(struct deployer *dp)
{
	char *state;
	if (install(dp) || backup(dp)) {
		set_reason(dp);
		state = *dp->rec->previous ? xasprintf("nothing was changed: current is still %.7s", dp->rec->previous)
					   : xstrdup("nothing was changed: no release is current");
		finish(dp, SW_DEPLOY_FAILED, state);
		return;
	}
	if (dp->outgoing) {
		dp->stopped = true;
		if (run_hook(dp, SW_HOOK_STOP, dp->outgoing, "stop")) {
			roll_back(dp);
			return;
		}
	} else {
		step_skip(dp, "stop", "no release was current");
	}
	if (run_hook(dp, SW_HOOK_BEFORE_INSTALL, dp->release, "before_install") ||
	    run_hook(dp, SW_HOOK_AFTER_INSTALL, dp->release, "after_install")) {
		roll_back(dp);
		return;
	}
	dp->switched = true;
	if (switch_current(dp, "switch", dp->rec->commit, dp->rec->previous)) {
		roll_back(dp);
		return;
	}
	dp->started = true;
	if (run_hook(dp, SW_HOOK_START, dp->release, "start") ||
	    run_hook(dp, SW_HOOK_VALIDATE, dp->release, "validate") || health(dp, "health")) {
		roll_back(dp);
		return;
	}
	prune(dp, "releases", true);
	prune(dp, "backups", false);
	if (dp->rec->parent) {
		char *why = xasprintf("fleet deploy #%ld marks the release once every host has it", dp->rec->parent);
		step_skip(dp, "sentry", why);
		free(why);
	} else {
		mark_in_sentry(dp);
	}
	state = *dp->rec->previous ? xasprintf("current is %.7s; previous is %.7s (`slipway rollback` goes back)",
					       dp->rec->commit, dp->rec->previous)
				   : xasprintf("current is %.7s", dp->rec->commit);
	finish(dp, SW_DEPLOY_SUCCEEDED, state);
}

/* ---- a fleet of hosts ---- */

/* A host's record is read when a save renames it into its directory,
 * and every host's at least this often whatever happens. */
#define FLEET_POLL_MS 250

/* In a fleet's process, the locks it holds and its inotify descriptor,
 * and in a child starting a host's deploy, the pipe it reports on (see
 * deployer_main). */
static int fleet_fds[4] = {-1, -1, -1, -1};

static int start_one(struct sw_repo *repo, struct sw_store *st, const struct sw_deploy_options *opt,
		     const struct host_opts *h, long *id, struct strlist *notes, char **err);

/* A host's step is named by its target without the scheme, which has no
 * '/' (config.c's ssh_target_ok): it is a log file's name too. */
static const char *host_name(const char *target)
{
	return strncmp(target, "ssh://", 6) ? target : target + 6;
}

static void fleet_steps(const struct sw_deploy_config *d, bool rollback, struct strlist *steps)
{
	for (size_t i = 0; i < d->targets.len; i++)
		strlist_add(steps, host_name(d->targets.items[i]));
	if (!rollback)
		strlist_add(steps, "sentry");
}

/* Where a host's deploy left that host. */
enum host_end {
	HOST_NEW,		/* it serves the fleet's commit */
	HOST_OLD,		/* it serves what it served before (nothing was changed, or it went back) */
	HOST_UNKNOWN,		/* neither can be said: going back failed, or its process died */
	HOST_UNREACHED,		/* its deploy could not start (unreachable, locked): it was not changed */
};

static enum host_end host_end(const struct sw_deploy_record *r)
{
	if (r->status == SW_DEPLOY_SUCCEEDED)
		return r->rollback ? HOST_OLD : HOST_NEW;
	if (r->status == SW_DEPLOY_ROLLED_BACK)
		return HOST_OLD;
	if (r->status == SW_DEPLOY_FAILED && !r->rollback)
		for (size_t i = 0; i < r->nsteps; i++)
			if (!strcmp(r->steps[i].name, "switch"))
				return r->steps[i].status == SW_STAGE_PASSED ? HOST_UNKNOWN : HOST_OLD;
	return HOST_UNKNOWN;
}

struct host_run {
	size_t target;			/* index in deploy.targets */
	size_t step;			/* the fleet's step for it */
	long id;			/* its deploy; 0 when it could not start */
	bool ended;
	enum host_end end;
	char *shown;			/* the host's step the fleet's step says it is at */
};

static void one_line(char *s)
{
	for (; s && *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

/* In a child of the fleet's process: starts host h's deploy (or rollback)
 * and says on fd what it did, a line each: "N note", then "I id" or
 * "E error". */
static _Noreturn void host_starter(struct deployer *dp, struct host_run *h, bool rollback, int fd)
{
	/* The deploy it starts must not hold the pipe: the fleet reads it
	 * to its end (see deployer_main). */
	fleet_fds[2] = fd;
	const char *target = dp->d->targets.items[h->target];
	struct host_opts ho = {target, dp->rec->id, dp->rec->run, dp->rec->commit, dp->ssh_dir, -1, -1, NULL};
	/* Its host's lock is the deploy's to go on with; the others' are
	 * not (a deploy killed would not free them with the fleet's end). */
	for (size_t i = 0; dp->hosts_ssh && i < dp->d->targets.len; i++) {
		if (dp->hosts_ssh[i] && i == h->target)
			sw_ssh_shell(dp->hosts_ssh[i], &ho.shell_in, &ho.shell_out);
		else if (dp->hosts_ssh[i])
			sw_ssh_unlock(dp->hosts_ssh[i]);
	}
	ho.lock_err = dp->lock_errs ? dp->lock_errs[h->target] : NULL;
	struct sw_deploy_options o = {.rollback = rollback};
	struct strlist notes = {0};
	char *why = NULL;
	long id = 0;
	int r = start_one(dp->repo, dp->st, &o, &ho, &id, &notes, &why);
	struct sbuf out = {0};
	for (size_t i = 0; i < notes.len; i++) {
		one_line(notes.items[i]);
		sbuf_addf(&out, "N %s\n", notes.items[i]);
	}
	one_line(why);
	if (r)
		sbuf_addf(&out, "E %s\n", why ? why : "the host's deploy could not start");
	else
		sbuf_addf(&out, "I %ld\n", id);
	for (size_t off = 0; off < out.len;) {
		ssize_t w = write(fd, out.buf + off, out.len - off);
		if (w <= 0 && errno != EINTR)
			break;
		off += w > 0 ? (size_t)w : 0;
	}
	_exit(0);
}

/* What a starter said, into h and the fleet's step. */
static void host_started(struct deployer *dp, struct host_run *h, bool rollback, const char *said)
{
	const char *target = dp->d->targets.items[h->target], *step = dp->rec->steps[h->step].name;
	char *why = NULL;
	h->id = 0;
	for (const char *p = said ? said : ""; *p;) {
		size_t n = strcspn(p, "\n");
		if (p[0] == 'N' && p[1] == ' ')
			step_log(dp, step, "%.*s", (int)(n - 2), p + 2);
		else if (p[0] == 'I' && p[1] == ' ')
			h->id = strtol(p + 2, NULL, 10);
		else if (p[0] == 'E' && p[1] == ' ' && !why)
			why = xasprintf("%.*s", (int)(n - 2), p + 2);
		p += n + (p[n] == '\n');
	}
	if (h->id > 0) {
		step_log(dp, step, "%s #%ld on %s started", rollback ? "rollback" : "deploy", h->id, target);
		dp->rec->steps[h->step].deploy = h->id;
		save(dp);
		free(why);
		return;
	}
	if (!why)
		why = xasprintf("the process starting the deploy on %s died", target);
	step_log(dp, step, "%s", why);
	h->id = 0;
	h->ended = true;
	h->end = HOST_UNREACHED;
	step_end(dp, h->step, SW_STAGE_FAILED, why);
}

/* Starts the deploys of hosts[0..n) side by side: each costs the host's
 * ssh handshake and lock, which one after the other a wave would pay n
 * times over. */
static void hosts_start(struct deployer *dp, struct host_run *hosts, size_t n, bool rollback)
{
	pid_t *pids = xcalloc(n, sizeof *pids);
	int *fds = xcalloc(n, sizeof *fds);
	/* The wave's locks, asked for with the fleet's start: the first wave
	 * waits for its handshakes here, the later ones find theirs taken. */
	for (size_t i = 0; dp->locking && i < n; i++) {
		size_t t = hosts[i].target;
		if (!dp->locking[t])
			continue;
		dp->locking[t] = false;
		int code;
		char *why = NULL;
		if (sw_ssh_lock_wait(dp->hosts_ssh[t], &code, &why) < 0 && code != 1)
			dp->lock_errs[t] = ssh_lock_error(dp->hosts_ssh[t], dp->d->path, dp->st, code, why), why = NULL;
		free(why);
	}
	for (size_t i = 0; i < n; i++) {
		step_begin(dp, dp->rec->steps[hosts[i].step].name);
		int p[2];
		fds[i] = -1;
		if (pipe2(p, O_CLOEXEC))
			continue;
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] == 0) {
			close(p[0]);
			host_starter(dp, &hosts[i], rollback, p[1]);
		}
		close(p[1]);
		if (pids[i] < 0)
			close(p[0]);
		else
			fds[i] = p[0];
	}
	for (size_t i = 0; i < n; i++) {
		struct sbuf said = {0};
		char buf[4096];
		ssize_t got;
		while (fds[i] >= 0 && ((got = read(fds[i], buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR)))
			if (got > 0)
				sbuf_add(&said, buf, (size_t)got);
		if (fds[i] >= 0)
			close(fds[i]);
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
		host_started(dp, &hosts[i], rollback, said.buf);
		sbuf_free(&said);
	}
	free(pids);
	free(fds);
}

/* One look at a host's deploy: its step in the fleet's record follows it,
 * and ends when it has ended. */
static void host_poll(struct deployer *dp, struct host_run *h)
{
	struct sw_deploy_record r;
	char *err = NULL;
	const char *step = dp->rec->steps[h->step].name;
	if (sw_deploy_load(dp->st, h->id, &r, &err)) {
		step_log(dp, step, "%s", err);
		h->ended = true;
		h->end = HOST_UNKNOWN;
		step_end(dp, h->step, SW_STAGE_FAILED, err);
		return;
	}
	if (!sw_deploy_status_final(r.status)) {
		size_t now = sw_deploy_default_step(&r);
		const char *at = now < r.nsteps ? r.steps[now].name : NULL;
		if (at && (!h->shown || strcmp(h->shown, at))) {
			free(h->shown);
			h->shown = xstrdup(at);
			free(dp->rec->steps[h->step].reason);
			dp->rec->steps[h->step].reason = xasprintf("#%ld at %s", h->id, at);
			/* Where a host is, for the Deploys view: not worth an fsync. */
			sw_deploy_save(dp->st, dp->rec, false);
		}
		sw_deploy_record_free(&r);
		return;
	}
	h->ended = true;
	h->end = host_end(&r);
	double s = (double)(r.finished_ms - r.started_ms) / 1000;
	step_log(dp, step, "%s #%ld %s in %.1f s%s%s", r.rollback ? "rollback" : "deploy", r.id,
		 sw_deploy_status_name(r.status), s, r.state ? ": " : "", r.state ? r.state : "");
	if (r.status == SW_DEPLOY_SUCCEEDED)
		step_end(dp, h->step, SW_STAGE_PASSED, NULL);
	else
		step_end(dp, h->step, SW_STAGE_FAILED,
			 xasprintf("#%ld %s: %s", r.id, sw_deploy_status_name(r.status), r.reason ? r.reason : "see its log"));
	sw_deploy_record_free(&r);
}

/* Runs hosts[0..n) in waves of wave, each wave's hosts at once; a host
 * that does not succeed ends it after its wave (the others of the wave are
 * waited for, never abandoned mid-deploy).  True when every host did. */
/* Waits at most FLEET_POLL_MS for a save into one of the n watched
 * directories (in: inotify, or -1 to sleep instead): true when one came,
 * each such host marked in moved. */
static bool wait_saves(int in, const int *watch, size_t n, bool *moved)
{
	if (in < 0) {
		sw_sleep_ms(FLEET_POLL_MS / 5);
		return false;
	}
	struct pollfd p = {.fd = in, .events = POLLIN};
	if (poll(&p, 1, FLEET_POLL_MS) <= 0)
		return false;
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t got;
	bool any = false;
	while ((got = read(in, ev, sizeof ev)) > 0)
		for (char *e = ev; e < ev + got;) {
			const struct inotify_event *ie = (const void *)e;
			for (size_t i = 0; i < n; i++)
				if (watch[i] == ie->wd)
					moved[i] = any = true;
			e += sizeof *ie + ie->len;
		}
	return any;
}

static bool run_hosts(struct deployer *dp, struct host_run *hosts, size_t n, size_t wave, bool rollback)
{
	bool ok = true;
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	fleet_fds[3] = in;
	for (size_t w = 0; w < n && ok; w += wave) {
		size_t end = w + wave < n ? w + wave : n, left = 0;
		hosts_start(dp, hosts + w, end - w, rollback);
		int *watch = xcalloc(end - w, sizeof *watch);
		for (size_t i = w; i < end; i++) {
			left += !hosts[i].ended;
			watch[i - w] = -1;
			if (in >= 0 && !hosts[i].ended) {
				char *dir = sw_deploy_dir(dp->st, hosts[i].id);
				watch[i - w] = inotify_add_watch(in, dir, IN_MOVED_TO);
				free(dir);
			}
		}
		bool *moved = xcalloc(end - w, sizeof *moved), first = true;
		while (left) {
			/* Only the hosts whose record moved are read again, and every
			 * host when nothing did for a while (a process killed -9
			 * saves nothing), and at first (what ended before its watch
			 * was set says nothing more). */
			bool all = first || !wait_saves(in, watch, end - w, moved);
			first = false;
			for (size_t i = w; i < end; i++) {
				if (!hosts[i].ended && (all || moved[i - w])) {
					host_poll(dp, &hosts[i]);
					left -= hosts[i].ended;
				}
				moved[i - w] = false;
			}
		}
		free(moved);
		for (size_t i = w; i < end; i++) {
			if (watch[i - w] >= 0)
				inotify_rm_watch(in, watch[i - w]);
			ok &= hosts[i].id && hosts[i].end == (rollback ? HOST_OLD : HOST_NEW);
		}
		free(watch);
	}
	if (in >= 0)
		close(in);
	fleet_fds[3] = -1;
	return ok;
}

/* Every host's lock, asked for at once: the session that takes it is the
 * host's master connection, so that its handshake is paid once per fleet
 * deploy, and off its wave's path but the first's; and the fleet holds
 * each host from its start to its end, rollbacks included, where another
 * deploy could have come in between two waves.  A host that cannot be
 * reached is said by its own deploy; one whose lock another deploy holds
 * is asked again by it, in its turn. */
static void fleet_connect(struct deployer *dp)
{
	size_t n = dp->d->targets.len;
	char *err = NULL;
	if (!(dp->ssh_dir = sw_ssh_dir(&err))) {
		free(err);
		return;
	}
	dp->hosts_ssh = xcalloc(n, sizeof *dp->hosts_ssh);
	dp->locking = xcalloc(n, sizeof *dp->locking);
	dp->lock_errs = xcalloc(n, sizeof *dp->lock_errs);
	char *lock = xasprintf("%s/%s", dp->d->path, TARGET_LOCK);
	for (size_t i = 0; i < n; i++) {
		if (sw_ssh_open(dp->d->targets.items[i], dp->ssh_dir, &dp->hosts_ssh[i], &err) ||
		    sw_ssh_lock_begin(dp->hosts_ssh[i], dp->d->path, lock, &err)) {
			free(err);
			err = NULL;
			continue;
		}
		dp->locking[i] = true;
	}
	free(lock);
}

static void fleet_disconnect(struct deployer *dp)
{
	size_t n = dp->hosts_ssh ? dp->d->targets.len : 0;
	for (size_t i = 0; i < n; i++)
		if (dp->hosts_ssh[i])
			sw_ssh_unlock(dp->hosts_ssh[i]);
	for (size_t i = 0; i < n; i++) {
		if (dp->hosts_ssh[i])
			sw_ssh_disconnect(dp->hosts_ssh[i]);
		sw_ssh_close(dp->hosts_ssh[i], false);
		free(dp->lock_errs[i]);
	}
	if (dp->ssh_dir)
		sw_remove_tree(dp->ssh_dir);
	free(dp->ssh_dir);
	free(dp->hosts_ssh);
	free(dp->locking);
	free(dp->lock_errs);
	dp->ssh_dir = NULL;
	dp->hosts_ssh = NULL;
	dp->locking = NULL;
	dp->lock_errs = NULL;
}

/* What each host serves, for the state line: "web1 and web3 run 3f2a1c9;
 * web2 is unknown (see deploy #7)". */
static char *fleet_state(struct deployer *dp, const struct host_run *hosts, size_t n, const char *sha_new,
			 const char *sha_old)
{
	struct sbuf sb = {0};
	for (int e = HOST_NEW; e <= HOST_UNREACHED; e++) {
		size_t count = 0;
		struct sbuf names = {0};
		for (size_t i = 0; i < n; i++)
			if ((int)hosts[i].end == e) {
				sbuf_addf(&names, "%s%s", count ? ", " : "", host_name(dp->d->targets.items[hosts[i].target]));
				count++;
			}
		if (!count) {
			sbuf_free(&names);
			continue;
		}
		if (sb.len)
			sbuf_adds(&sb, "; ");
		if (e == HOST_NEW)
			sbuf_addf(&sb, "%s %s %.7s", names.buf, count == 1 ? "runs" : "run", sha_new);
		else if (e == HOST_OLD && *sha_old)
			sbuf_addf(&sb, "%s %s %.7s", names.buf, count == 1 ? "runs" : "run", sha_old);
		else if (e == HOST_OLD)
			sbuf_addf(&sb, "%s %s what %s before", names.buf, count == 1 ? "runs" : "run",
				  count == 1 ? "it ran" : "they ran");
		else if (e == HOST_UNKNOWN)
			sbuf_addf(&sb, "%s: unknown, see %s deploy", names.buf, count == 1 ? "its" : "each one's");
		else
			sbuf_addf(&sb, "%s %s not changed", names.buf, count == 1 ? "was" : "were");
		sbuf_free(&names);
	}
	return sb.buf ? sb.buf : xstrdup("no host was reached");
}

static void fleet_deploy(struct deployer *dp)
{
	const struct sw_deploy_config *d = dp->d;
	size_t n = d->targets.len, back_n = 0;
	char *err = NULL;
	size_t wave = sw_deploy_wave_size(d, n, &err);
	free(err);
	if (!wave)
		wave = 1;
	struct host_run *hosts = xcalloc(n, sizeof *hosts), *back = xcalloc(n, sizeof *back);
	for (size_t i = 0; i < n; i++)
		hosts[i] = (struct host_run){.target = i, .step = i, .end = HOST_OLD};
	fleet_connect(dp);
	bool rollback = dp->rec->rollback, ok = run_hosts(dp, hosts, n, wave, rollback);
	const char *prev = dp->rec->previous;
	if (ok && rollback) {
		finish(dp, SW_DEPLOY_SUCCEEDED, fleet_state(dp, hosts, n, prev, dp->rec->commit));
	} else if (ok) {
		mark_in_sentry(dp);
		char *st = fleet_state(dp, hosts, n, dp->rec->commit, prev);
		finish(dp, SW_DEPLOY_SUCCEEDED,
		       *prev ? xasprintf("%s; the release before was %.7s (`slipway rollback` goes back)", st, prev)
			     : xstrdup(st));
		free(st);
	} else if (rollback) {
		set_reason(dp);
		finish(dp, SW_DEPLOY_FAILED, fleet_state(dp, hosts, n, dp->rec->previous, dp->rec->commit));
	} else {
		/* Every host that took the release goes back, so that the fleet
		 * never ends split between two releases. */
		set_reason(dp);
		for (size_t i = 0; i < n; i++)
			if (hosts[i].end == HOST_NEW) {
				char *name = xasprintf("rollback-%s", host_name(d->targets.items[i]));
				back[back_n++] = (struct host_run){.target = i, .step = step_index(dp, name), .end = HOST_NEW};
				free(name);
			}
		bool all = run_hosts(dp, back, back_n, wave, true);
		for (size_t i = 0; i < back_n; i++)
			hosts[back[i].target].end = back[i].id ? (back[i].end == HOST_OLD ? HOST_OLD : HOST_UNKNOWN) : HOST_NEW;
		bool split = false;
		for (size_t i = 0; i < n; i++)
			split |= hosts[i].end != HOST_OLD && hosts[i].end != HOST_UNREACHED;
		char *st = fleet_state(dp, hosts, n, dp->rec->commit, prev);
		bool back_all = all && !split;
		if (!back_all) {
			char *why = xasprintf("going back failed on some hosts: %s; fix them and run `slipway rollback` or "
					      "deploy again", st);
			free(st);
			st = why;
		}
		finish(dp, back_all ? SW_DEPLOY_ROLLED_BACK : SW_DEPLOY_FAILED, st);
	}
	/* It is over: the next deploy need not wait for the connections' end. */
	close(dp->target_fd);
	dp->target_fd = fleet_fds[1] = -1;
	fleet_disconnect(dp);
	for (size_t i = 0; i < n; i++) {
		free(hosts[i].shown);
		free(back[i].shown);
	}
	free(hosts);
	free(back);
}

/* ---- a deploy on a swarm ---- */

static void swarm_steps(const struct sw_deploy_config *d, bool rollback, struct strlist *steps)
{
	for (size_t i = 0; i < d->services.len; i++)
		strlist_addf(steps, "%s-%s", rollback ? "rollback" : "update", d->services.items[i]);
	if (!rollback) {
		strlist_add(steps, "health");
		strlist_add(steps, "sentry");
	}
}

struct swarm_note {
	struct deployer *dp;
	const char *step;
};

static void swarm_note(void *ud, const char *state, const char *message)
{
	struct swarm_note *n = ud;
	if (message)
		step_log(n->dp, n->step, "Swarm: %s (%s)", state, message);
	else
		step_log(n->dp, n->step, "Swarm: %s", state);
}

/* Asks for one change of the service s just read (an update, or a
 * rollback with image NULL) and follows it to its end: 0 with *state,
 * else -1 with *why. */
static int swarm_change(struct deployer *dp, const struct sw_service *s, const char *step, const char *image,
			char **state, char **why)
{
	const char *name = s->name ? s->name : s->id, *before = s->update_started;
	if (image)
		step_log(dp, step, "%s → %s (Swarm watches each new task for %d s)", s->image, image, dp->d->monitor);
	else
		step_log(dp, step, "%s → its previous spec's %s", s->image, s->previous_image ? s->previous_image : "?");
	struct swarm_note note = {dp, step};
	/* The push stage's credentials, when main names them as secrets. */
	const char *user = NULL, *token = NULL;
	for (size_t i = 0; i < dp->secrets.n; i++) {
		if (!strcmp(dp->secrets.items[i].name, "DOCKER_USERNAME"))
			user = dp->secrets.items[i].value;
		else if (!strcmp(dp->secrets.items[i].name, "DOCKER_TOKEN"))
			token = dp->secrets.items[i].value;
	}
	char *server = image ? sw_image_registry(image) : NULL;
	struct sw_registry_auth auth = {user, token, server};
	if (image && user && token)
		step_log(dp, step, "the nodes pull from %s as DOCKER_USERNAME", server);
	int r = image ? sw_service_update(dp->docker, name, image, dp->d->monitor, dp->rec->forced,
					  user && token ? &auth : NULL, why)
		      : sw_service_rollback(dp->docker, name, why);
	free(server);
	if (!r)
		r = sw_service_follow(dp->docker, name, before, dp->d->update_timeout, swarm_note, &note, state, why);
	return r;
}

/* Service i to the release: passed when Swarm completed the update.
 * *undo: what going back needs (0 nothing, 1 a rollback: the update began
 * or completed; Swarm's own rollback needs none). */
static int swarm_update(struct deployer *dp, size_t i, int *undo)
{
	const char *name = dp->d->services.items[i];
	char *step = xasprintf("update-%s", name), *image = sw_deploy_image(dp->d, i, dp->rec->commit);
	size_t k = step_begin(dp, step);
	*undo = 0;
	struct sw_service s;
	char *why = NULL, *state = NULL;
	int r = sw_service_inspect(dp->docker, name, &s, &why);
	char cur[41] = "";
	if (!r)
		sw_deploy_image_commit(dp->d, i, s.image, cur);
	bool there = !r && !strcmp(cur, dp->rec->commit) && !dp->rec->forced;
	if (r) {
		r = step_end(dp, k, SW_STAGE_FAILED, why);
	} else if (there) {
		step_log(dp, step, "%s runs %s already", name, image);
		r = step_end(dp, k, SW_STAGE_PASSED, NULL);
	} else if (swarm_change(dp, &s, step, image, &state, &why)) {
		*undo = 1;
		r = step_end(dp, k, SW_STAGE_FAILED, why);
	} else if (!strcmp(state, "completed")) {
		*undo = 1;
		r = step_end(dp, k, SW_STAGE_PASSED, NULL);
	} else {
		char *tasks = sw_service_task_errors(dp->docker, name, image);
		if (tasks)
			step_log(dp, step, "%s", tasks);
		*undo = !strcmp(state, "rollback_completed") ? 0 : 1;
		why = !strcmp(state, "rollback_completed")
			      ? xasprintf("Swarm rolled %s back: its new tasks failed%s%s", name, tasks ? ": " : "",
					  tasks ? tasks : "")
			      : xasprintf("the update of %s ended %s%s%s", name, state, tasks ? ": " : "", tasks ? tasks : "");
		free(tasks);
		r = step_end(dp, k, SW_STAGE_FAILED, why);
	}
	sw_service_free(&s);
	free(state);
	free(image);
	free(step);
	return r;
}

/* Asks Swarm to take each service in undo back to its previous spec, last
 * updated first; true when every one of them got there. */
static bool swarm_back(struct deployer *dp, const int *undo)
{
	bool all = true;
	for (size_t i = dp->d->services.len; i-- > 0;) {
		const char *name = dp->d->services.items[i];
		char *step = xasprintf("rollback-%s", name);
		if (!undo[i]) {
			free(step);
			continue;
		}
		size_t k = step_begin(dp, step);
		char *why = NULL, *state = NULL;
		struct sw_service s;
		if (!sw_service_inspect(dp->docker, name, &s, &why) && !swarm_change(dp, &s, step, NULL, &state, &why) &&
		    strcmp(state, "rollback_completed"))
			why = xasprintf("the rollback of %s ended %s", name, state);
		sw_service_free(&s);
		all &= !why;
		step_end(dp, k, why ? SW_STAGE_FAILED : SW_STAGE_PASSED, why);
		free(state);
		free(step);
	}
	return all;
}

static char *service_names(const struct sw_deploy_config *d)
{
	struct sbuf sb = {0};
	for (size_t i = 0; i < d->services.len; i++)
		sbuf_addf(&sb, "%s%s", i ? ", " : "", d->services.items[i]);
	return sb.buf;
}

static void swarm_deploy(struct deployer *dp)
{
	const struct sw_deploy_config *d = dp->d;
	char *why = NULL;
	if (sw_docker_open(sw_docker_host_pick(dp->cfg->docker_host), &dp->docker, &why)) {
		step_end(dp, 0, SW_STAGE_FAILED, why);
		dp->docker = NULL;
		set_reason(dp);
		finish(dp, SW_DEPLOY_FAILED, xstrdup("nothing was changed"));
		return;
	}
	int *undo = xcalloc(d->services.len, sizeof *undo);
	char *names = service_names(d);
	if (dp->rec->rollback) {
		for (size_t i = 0; i < d->services.len; i++)
			undo[i] = 1;
		bool ok = swarm_back(dp, undo);
		if (!ok)
			set_reason(dp);
		finish(dp, ok ? SW_DEPLOY_SUCCEEDED : SW_DEPLOY_FAILED,
		       ok ? xasprintf("%s run %.7s again, the release before", names, dp->rec->commit)
			  : xasprintf("going back failed (%s): `slipway log deploy:%ld` shows what Swarm said; "
				      "`docker service ps` shows the tasks", failed_reason(dp->rec), dp->rec->id));
		free(names);
		free(undo);
		return;
	}
	bool failed = false;
	for (size_t i = 0; i < d->services.len && !failed; i++)
		failed = swarm_update(dp, i, &undo[i]) != 0;
	if (!failed)
		failed = health(dp, "health") != 0;
	if (failed) {
		set_reason(dp);
		bool back = swarm_back(dp, undo);
		const char *prev = dp->rec->previous;
		finish(dp, back ? SW_DEPLOY_ROLLED_BACK : SW_DEPLOY_FAILED,
		       back ? (*prev ? xasprintf("%s run %.7s again, the release that served before", names, prev)
				     : xasprintf("%s run what they ran before", names))
			    : xasprintf("going back failed too (%s): `slipway log deploy:%ld` shows what Swarm said; fix "
					"it and run `slipway rollback` or deploy again", failed_reason(dp->rec), dp->rec->id));
	} else {
		mark_in_sentry(dp);
		finish(dp, SW_DEPLOY_SUCCEEDED,
		       *dp->rec->previous ? xasprintf("%s run %.7s; the release before was %.7s (`slipway rollback` asks "
						      "Swarm to go back)", names, dp->rec->commit, dp->rec->previous)
					  : xasprintf("%s run %.7s", names, dp->rec->commit));
	}
	free(names);
	free(undo);
}

/* The detached process: its stdio goes to the journal's deployer.log, and
 * the locks it inherited (the target's, its own liveness) die with it. */
static _Noreturn void deployer_main(struct deployer *dp)
{
	char *dir = sw_deploy_dir(dp->st, dp->rec->id), *log = xasprintf("%s/deployer.log", dir);
	sw_stdio_to_log(log, 0600);
	free(log);
	free(dir);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_NAME, "slipway-deploy");
	dp->rec->pid = (int)getpid();
	/* A host's deploy is forked from its fleet's process: the fleet's
	 * locks are not its to hold (its liveness would outlive the fleet's
	 * process, and the fleet's lock its end). */
	if (dp->rec->parent) {
		for (size_t i = 0; i < sizeof fleet_fds / sizeof *fleet_fds; i++)
			if (fleet_fds[i] >= 0 && fleet_fds[i] != dp->live_fd && fleet_fds[i] != dp->target_fd)
				close(fleet_fds[i]);
	} else {
		fleet_fds[0] = dp->live_fd;
		fleet_fds[1] = dp->target_fd;
	}
	save(dp);
	if (is_swarm(dp->d))
		swarm_deploy(dp);
	else if (!dp->rec->parent && dp->d->targets.len)
		fleet_deploy(dp);
	else
		deploy(dp);
	if (dp->docker)
		sw_docker_close(dp->docker);
	if (dp->have_base)
		sw_container_list_free(&dp->base);
	free(dp->bad_container);
	sw_ssh_close(dp->ssh, true);
	fflush(NULL);
	_exit(0);
}

static void deployer_body(void *dp)
{
	deployer_main(dp);
}

/* ---- the start ---- */

static int open_lock(const char *path, bool wait)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0 && flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* A new id and its directory, under the journal's lock; the returned fd
 * is the deploy's liveness lock. */
static int new_record(struct sw_store *st, struct sw_deploy_record *rec, char **err)
{
	char *root = xasprintf("%s/%s", sw_store_root(st), DEPLOYS_DIR), *lock = xasprintf("%s/%s", root, JOURNAL_LOCK);
	int r = sw_mkdirs(root, 0755), jl = r ? -1 : open_lock(lock, true), live = -1;
	if (jl >= 0) {
		size_t n;
		long *ids = sw_deploy_ids(st, &n);
		rec->id = n ? ids[0] + 1 : 1;
		free(ids);
		char *dir = sw_deploy_dir(st, rec->id), *lp = xasprintf("%s/%s", dir, DEPLOY_LOCK);
		if (mkdir(dir, 0755) == 0 && (live = open_lock(lp, false)) >= 0 && sw_deploy_save(st, rec, true)) {
			close(live);
			live = -1;
		}
		if (live < 0)
			*err = xasprintf("cannot record the deploy in %s: %s", dir, strerror(errno));
		free(lp);
		free(dir);
		close(jl);
	} else {
		*err = xasprintf("cannot open the deploy journal %s: %s", root, strerror(errno));
	}
	free(lock);
	free(root);
	return live;
}

/* The target's lock on an ssh target: flock(1) there, held by a process
 * that lives as long as its stdin, whose write end is returned: the
 * deploy's process holds it, and its death (even by kill -9) closes it,
 * which ends the remote holder and frees the lock. */
static int ssh_lock(struct sw_ssh *ssh, const char *path, struct sw_store *st, char **err)
{
	char *lock = xasprintf("%s/%s", path, TARGET_LOCK), *why = NULL;
	int code, fd = sw_ssh_lock(ssh, path, lock, &code, &why);
	free(lock);
	if (fd < 0)
		*err = ssh_lock_error(ssh, path, st, code, why);
	else
		free(why);
	return fd;
}

/* What a lock not taken says, from sw_ssh_lock's code and why (taken). */
static char *ssh_lock_error(struct sw_ssh *ssh, const char *path, struct sw_store *st, int code, char *why)
{
	char *lock = xasprintf("%s/%s", path, TARGET_LOCK), *err;
	if (code == 1)
		err = busy_message(st, path);
	else if (code == 127)
		err = xasprintf("cannot lock %s on %s: the target has no flock (util-linux)", lock, sw_ssh_url(ssh));
	else if (why)
		err = why, why = NULL;
	else
		err = xasprintf("cannot lock %s on %s (ssh exit code %d)", lock, sw_ssh_url(ssh), code);
	free(why);
	free(lock);
	return err;
}

static const char *const deploy_steps[] = {"install", "backup", "stop", "before_install", "after_install",
					   "switch", "start", "validate", "health", "sentry"};

/* Plans, locks, records and starts one deploy: of the configured target,
 * of a whole fleet, or (h) of one host for a fleet's deploy. */
static int start_one(struct sw_repo *repo, struct sw_store *st, const struct sw_deploy_options *opt,
		     const struct host_opts *h, long *id, struct strlist *notes, char **err)
{
	struct prepared p;
	int r = prepare(repo, st, opt, h, true, &p, err);
	if (r) {
		prepared_free(&p);
		return r;
	}
	const struct sw_deploy_config *d = p.cfg.deploy;
	bool swarm = is_swarm(d), fleet = !h && d->targets.len;
	struct deployer dp = {.st = st, .repo = repo, .cfg = &p.cfg, .d = d};
	char *lock = target_lock_path(st, d), *dir = swarm || fleet ? xstrdup(lock) : xstrdup(d->path);
	if (swarm || fleet)
		*strrchr(dir, '/') = '\0';
	int target = -1, live = -1;
	r = p.ssh ? 0 : sw_mkdirs(dir, 0755);
	if (p.ssh)
		target = p.lock_fd, p.lock_fd = -1;
	else if (r)
		*err = xasprintf("cannot make the deploy path %s: %s", dir, strerror(-r));
	else if ((target = open_lock(lock, false)) < 0)
		*err = errno != EWOULDBLOCK ? xasprintf("cannot lock %s: %s", lock, strerror(errno))
					    : busy_message(st, p.plan.path);
	free(dir);
	free(lock);
	struct strlist missing = {0};
	if (target >= 0) {
		char *file = sw_secrets_file_path();
		if (sw_secrets_collect(&p.cfg.secrets, environ, file, &dp.secrets, &missing, err)) {
			close(target);
			target = -1;
		}
		free(file);
	}
	struct sw_deploy_record rec = {0};
	if (target >= 0) {
		rec.rollback = opt->rollback;
		rec.environment = xstrdup(d->environment);
		rec.target = xstrdup(d->target);
		rec.path = xstrdup(p.plan.path);
		memcpy(rec.commit, p.plan.commit, 41);
		memcpy(rec.previous, p.plan.current, 41);
		rec.run = p.plan.run;
		rec.parent = h ? h->parent : 0;
		rec.forced = opt->force && !opt->rollback;
		rec.who = sw_repo_who(repo);
		rec.subject = sw_repo_subject(repo, rec.commit);
		rec.started_ms = sw_now_ms();
		struct strlist steps = {0};
		if (swarm)
			swarm_steps(d, opt->rollback, &steps);
		else if (fleet)
			fleet_steps(d, opt->rollback, &steps);
		for (size_t i = 0; !swarm && !fleet && i < sizeof deploy_steps / sizeof *deploy_steps; i++)
			strlist_add(&steps, deploy_steps[i]);
		rec.steps = xcalloc(steps.len, sizeof *rec.steps);
		for (size_t i = 0; i < steps.len; i++)
			rec.steps[rec.nsteps++] = (struct sw_deploy_step){.name = xstrdup(steps.items[i])};
		strlist_free(&steps);
		live = new_record(st, &rec, err);
	}
	if (live < 0) {
		if (target >= 0)
			close(target);
		sw_deploy_record_free(&rec);
		sw_secrets_free(&dp.secrets);
		strlist_free(&missing);
		prepared_free(&p);
		return SW_ERR_FAILED;
	}
	for (size_t i = 0; i < missing.len; i++)
		strlist_addf(&p.plan.notes, "secret %s is set nowhere: the hooks run without it", missing.items[i]);
	strlist_free(&missing);
	for (size_t i = 0; i < p.plan.notes.len; i++)
		strlist_add(notes, p.plan.notes.items[i]);
	dp.rec = &rec;
	if (!swarm && !fleet) {
		dp.release = release_dir(&dp, rec.commit);
		dp.outgoing = *rec.previous ? release_dir(&dp, rec.previous) : NULL;
		char cur[41];
		sw_deploy_current(d->path, cur, dp.old_previous);
	}
	dp.envp = hook_env(&dp);
	*id = rec.id;

	dp.ssh = p.ssh;
	dp.live_fd = live;
	dp.target_fd = target;
	int start_err = sw_detach(deployer_body, &dp);
	/* The connection is the deploy's now; this process only lets go. */
	sw_ssh_close(p.ssh, start_err != 0);
	p.ssh = NULL;
	close(live);
	close(target);
	r = SW_OK;
	if (start_err) {
		*err = xasprintf("cannot start the deploy's process: %s", strerror(start_err));
		rec.status = SW_DEPLOY_FAILED;
		rec.reason = xstrdup("its process could not start");
		rec.state = xstrdup("nothing was changed");
		sw_deploy_save(st, &rec, true);
		r = SW_ERR_FAILED;
	}
	for (size_t i = 0; dp.envp[i]; i++)
		free(dp.envp[i]);
	free(dp.envp);
	free(dp.release);
	free(dp.outgoing);
	sw_deploy_record_free(&rec);
	sw_secrets_free(&dp.secrets);
	prepared_free(&p);
	return r;
}

int sw_deploy_start(struct sw_repo *repo, struct sw_store *st, const struct sw_deploy_options *opt, long *id,
		    struct strlist *notes, char **err)
{
	return start_one(repo, st, opt, NULL, id, notes, err);
}

/* The step a deploy's log opens on, for the CLI and the dashboard alike:
 * the first that failed, else the last that started; nsteps when none did. */
size_t sw_deploy_default_step(const struct sw_deploy_record *rec)
{
	size_t last = rec->nsteps;
	for (size_t i = 0; i < rec->nsteps; i++) {
		if (rec->steps[i].status == SW_STAGE_FAILED)
			return i;
		if (rec->steps[i].status != SW_STAGE_PENDING && rec->steps[i].status != SW_STAGE_SKIPPED)
			last = i;
	}
	return last;
}
