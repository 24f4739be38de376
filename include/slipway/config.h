/* slipway.json: the project's pipeline, gates, secrets and retention. */
#ifndef SLIPWAY_CONFIG_H
#define SLIPWAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "slipway/report.h"
#include "slipway/util.h"

struct sw_parse_spec {
	enum sw_parser_kind kind;
	char *pattern;		/* SW_PARSE_REGEX only */
	char *metric;		/* SW_PARSE_REGEX only */
};

struct sw_env_var {
	char *name;
	char *value;
};

/* A "cache" entry: a path kept between runs, keyed on the content of files. */
#define SW_CACHE_MAX 8		/* entries in a stage */
#define SW_CACHE_KEYS_MAX 32	/* key files of a cache entry */
struct sw_cache_spec {
	char *path;			/* relative to the work tree, or "~/..." for $HOME */
	struct strlist key;		/* files relative to the work tree; may be empty */
};

/* A built-in push: the image the run built, pushed through the engine. */
struct sw_push_spec {
	char *image;		/* "$IMAGE:$SLIPWAY_COMMIT": $NAME and ${NAME} of the stage's env */
	char *registry;		/* "host:port" it is tagged into first, or NULL */
};

struct sw_stage_config {
	char *name;
	char *run;			/* the shell command; NULL for a push stage */
	struct sw_push_spec *push;	/* NULL for a shell stage */
	struct strlist branches;	/* glob patterns; empty: every branch */
	int timeout;			/* seconds, default 3600 */
	struct sw_env_var *env;
	size_t nenv;
	bool always;
	bool allow_failure;		/* a failed run of it does not fail the run */
	struct sw_parse_spec *parse;
	size_t nparse;
	char *junit;			/* report file names under $SLIPWAY_REPORTS, or NULL */
	char *cobertura;
	struct sw_cache_spec *cache;
	size_t ncache;
};

/* A gate: a limit on a metric; "min" gates fail below, "max" gates above. */
struct sw_gate {
	char *name;		/* as written: "coverage_min", "lint_max", "tests_failed_max", "<metric>_min" */
	char *metric;		/* "coverage", "lint", "tests_failed", or a custom metric */
	bool is_min;
	double limit;
};

/* The lifecycle hooks of a deploy, in the order CodeDeploy runs them. */
enum sw_hook {
	SW_HOOK_STOP,			/* in the outgoing release */
	SW_HOOK_BEFORE_INSTALL,
	SW_HOOK_AFTER_INSTALL,
	SW_HOOK_START,
	SW_HOOK_VALIDATE,
	SW_HOOK_COUNT
};
/* The hook's key in "deploy.hooks" and its step's name in the journal. */
const char *sw_hook_name(enum sw_hook h);

/* "deploy": where and how main is deployed.  Main's alone: a branch's
 * copy is never read (see sw_run_config). */
struct sw_deploy_config {
	char *target;			/* "local", "ssh://[user@]host[:port]" or "swarm" */
	char *path;			/* absolute: releases/, shared/ and current live there; NULL for swarm */
	char *environment;		/* default "production" */
	int keep;			/* releases kept, default 5, at least 2 */
	struct strlist shared;		/* relative paths kept in shared/ and linked into each release */
	struct strlist backup;		/* relative SQLite files backed up before stop */
	char *hooks[SW_HOOK_COUNT];	/* shell text, NULL when empty or absent */
	int hook_timeout;		/* seconds each hook may take, default 600 */
	char *health_url;		/* http(s) URL that must answer 2xx, or NULL */
	int health_timeout;		/* seconds validation may take, default 60 */
	bool health_containers;		/* the compose project's containers must be up and healthy */
	char *project;			/* the compose project: default the last part of path; NULL for swarm */
	/* "target": "swarm": the services updated, each to its image (the
	 * text names the commit as $SLIPWAY_COMMIT), in this order. */
	struct strlist services;
	struct strlist images;		/* images.items[i] is services.items[i]'s */
	/* "targets": a fleet of ssh:// hosts (target is then "fleet"), each
	 * given the whole lifecycle, in waves as the strategy allows. */
	struct strlist targets;
	int max_parallel;		/* hosts at once; 0: as many as min_healthy allows */
	int min_healthy;		/* hosts (or percent, with min_healthy_pct) that keep serving */
	bool min_healthy_pct;
	char *strategy;			/* "one_at_a_time", ..., "" for {max_parallel, min_healthy}; NULL: absent */
	int monitor;			/* seconds Swarm watches a new task before it counts, default 10 */
	int update_timeout;		/* seconds each service's update may take, default 300 */
};
/* The image of a swarm deploy's service i for commit (allocated), and
 * the commit named by an image a service runs ("" when it is not one of
 * this pattern's: sha gets 40 hex digits or ""). */
char *sw_deploy_image(const struct sw_deploy_config *d, size_t i, const char *commit);
void sw_deploy_image_commit(const struct sw_deploy_config *d, size_t i, const char *image, char sha[41]);
/* How many of a fleet's n hosts a wave takes: at most max_parallel, and
 * never so many that fewer than min_healthy keep serving.  0 with *err
 * when the strategy leaves no host to deploy to. */
size_t sw_deploy_wave_size(const struct sw_deploy_config *d, size_t n, char **err);
/* health.url for one host of a fleet: {host} becomes the host's name (the
 * target URL's, without user or port).  Allocated; NULL without a URL. */
char *sw_deploy_health_url(const struct sw_deploy_config *d, const char *target);

/* "github": the repository a run's statuses are posted to, and merges go through. */
struct sw_github_config {
	char *repo;			/* "owner/name" */
	char *api;			/* without a trailing '/'; default https://api.github.com */
	bool statuses;			/* post commit statuses; default true */
	bool pull_requests;		/* merge through a pull request GitHub merges (sw_merge) */
};

/* "watch": what `slipway watch` does by itself (main's only). */
struct sw_watch_config {
	struct strlist branches;	/* globs of the branches whose heads it runs; default "*" */
	int fetch_interval;		/* seconds between fetches of the remote; 0: none (default 60) */
	bool auto_merge;		/* merge the integration branch once a run proves it (default false) */
	bool auto_deploy;		/* deploy main when it moves to a proved commit (default false) */
};

struct sw_config {
	int version;
	char *main_branch;		/* default "main" */
	char *integration_branch;	/* default "development" */
	char *remote;			/* where a merge pushes main; default "origin" */
	struct strlist secrets;
	struct strlist pass_env;	/* from the caller's environment, not masked */
	struct sw_stage_config *stages;
	size_t nstages;
	struct sw_gate *gates;
	size_t ngates;
	int retention_runs;		/* default 200 */
	int max_parallel;		/* "max_parallel_runs", default 1 */
	/* Where the policy in force came from, in words for messages ("from
	 * main's slipway.json", "default: main has no slipway.json"): set with
	 * it by sw_run_config and sw_project_config, NULL before.  from_main:
	 * main's slipway.json decided all three. */
	struct sw_policy_origin {
		char *gates, *secrets, *retention;
		bool from_main;
	} from;
	/* "ui": what a repository may ask of the dashboard. */
	struct strlist ui_protected;	/* branches whose actions need their name typed */
	bool ui_read_only;
	char *ui_theme;
	/* "docker": where the container engine is when DOCKER_HOST is not
	 * set (unix:///PATH, tcp://HOST:PORT); NULL: docker's default. */
	char *docker_host;
	/* "sentry": which Sentry project holds this one's errors (url, org,
	 * project); NULL each when not set.  Tokens never live here. */
	char *sentry_url, *sentry_org, *sentry_project;
	/* "github": where runs are reported as commit statuses, or NULL when
	 * main has no such section.  Main's alone, like "deploy". */
	struct sw_github_config *github;
	/* "deploy", or NULL when main has none. */
	struct sw_deploy_config *deploy;
	/* "watch", or NULL when main has none (watch then runs every branch,
	 * merges and deploys nothing, and fetches every 60 s). */
	struct sw_watch_config *watch;
};

/* Parses text read from source (a file name or "branch:slipway.json", used
 * in messages).  On error returns -1 and sets *err to one line, e.g.
 *   slipway.json:4:12: syntax error: expected ',' or '}'
 *   slipway.json: stages[2].timeout: expected a number, got "ten"
 *   slipway.json: stages[1]: unknown key "brnaches" (did you mean "branches"?)
 * The caller frees *err. */
int sw_config_parse(struct sw_config *cfg, const char *text, size_t len, const char *source,
		    char **err);
int sw_config_load_file(struct sw_config *cfg, const char *path, char **err);
void sw_config_free(struct sw_config *cfg);

/* A theme is a name, looked up among the built-in themes and the user's
 * ~/.config/slipway/themes/NAME.theme, never a path: slipway.json may pick
 * one, and a path would let a cloned repository load a file of its own. */
#define SW_THEME_NAME_MAX 64
#define SW_THEME_NAME_RULE "up to 64 letters, digits, '-' and '_', not a path"
bool sw_theme_name_valid(const char *name);

/* A name slipway.json may set in a stage's environment: letters, digits
 * and '_', not a digit first, and not SLIPWAY_*, which slipway sets. */
bool sw_config_env_name_ok(const char *name);
/* A cache entry's path (relative, not climbing out, or under "~/") and
 * one of its key files (relative, not climbing out). */
bool sw_config_cache_path_ok(const char *path);
bool sw_config_cache_key_ok(const char *file);
/* A push stage's "registry": "host" or "host:port" (a name or an IPv4
 * address, port 1-65535), no scheme and no path. */
bool sw_config_registry_ok(const char *registry);
/* A deploy path's "shared" or "backup" entry: relative, not climbing out,
 * no "." or empty part. */
bool sw_config_release_path_ok(const char *path);
void sw_deploy_config_free(struct sw_deploy_config *d);
/* "owner/name": letters, digits, '.', '-' and '_' on each side of one '/'. */
bool sw_config_github_repo_ok(const char *repo);
void sw_github_config_free(struct sw_github_config *g);
void sw_watch_config_free(struct sw_watch_config *w);

/* The stage applies to this branch (its "branches" patterns). */
bool sw_stage_matches(const struct sw_stage_config *st, const char *branch);

#endif
