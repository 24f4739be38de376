/* slipway watch: the rules of main's "watch" section run by themselves.
 * A branch head that moves (local refs, seen through inotify; the remote's
 * after each fetch) gets a run; the integration branch, once a run proves
 * its head, is merged (auto_merge); main, once it moves to a proved
 * commit, is deployed (auto_deploy).  One watcher per repository. */
#ifndef SLIPWAY_WATCHER_H
#define SLIPWAY_WATCHER_H

#include <stdbool.h>
#include <stdint.h>

#include "slipway/repo.h"
#include "slipway/store.h"

/* One thing the watcher did or decided not to do, as its log shows it. */
struct sw_watch_event {
	const char *kind;	/* "start", "fetch", "run", "merge", "deploy", "skip", "error", "stop" */
	const char *branch;	/* NULL when none */
	const char *commit;	/* 40 hex, NULL when none */
	long id;		/* the run, merge-commit run or deploy started; 0 when none */
	const char *message;	/* one line for a person; raw: neutralise it to show it */
};

struct sw_watcher;

struct sw_watcher_options {
	bool once;		/* one pass, then return */
	char *const *env;	/* secrets, tokens, PATH for the runs and deploys started */
	/* Called from the loop, and from the webhook receiver's thread, one
	 * call at a time. */
	void (*log)(void *ud, const struct sw_watch_event *ev);
	void *ud;
	/* "127.0.0.1:PORT": GitHub push webhooks are taken there, signed with
	 * the secret GITHUB_WEBHOOK_SECRET (environment, else the secrets
	 * file); a push to a watched branch is fetched and acted on at once.
	 * NULL: none. */
	const char *listen;
	const char *listen_path;	/* NULL: "/" */
};

/* Runs until SIGTERM or SIGINT (the step under way is finished first;
 * runs and deploys started go on by themselves), or after one pass with
 * once.  SIGHUP makes it say that it re-reads the configuration, which it
 * does before every pass anyway.  SW_ERR_FAILED with *err when another
 * watcher holds the repository; SW_ERR_USAGE for a bad configuration. */
int sw_watcher_run(struct sw_repo *repo, struct sw_store *st, const struct sw_watcher_options *opt, char **err);

/* From any thread (the webhook receiver's): the remote says branch moved
 * to sha; the watcher fetches and acts at once.  Returns at once. */
void sw_watcher_poke(struct sw_watcher *w, const char *branch, const char *sha);
/* The port the webhook receiver listens on (0: none); for tests that
 * asked for port 0. */
int sw_watcher_listen_port(const struct sw_watcher *w);

/* Whether a watcher runs in this repository, and what it last did. */
struct sw_watcher_status {
	bool running;
	long pid;
	int64_t started_ms;
	char *last;		/* its last log line, raw; NULL when none */
	int64_t last_ms;
};
bool sw_watcher_status(struct sw_store *st, struct sw_watcher_status *out);
void sw_watcher_status_free(struct sw_watcher_status *s);

#endif
