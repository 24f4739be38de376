/* Shared pieces of the command-line face: the command table, opening the
 * repository and store, output helpers. */
#ifndef SLIPWAY_CLI_H
#define SLIPWAY_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "slipway/repo.h"
#include "slipway/store.h"

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

struct cli_ctx {
	struct sw_repo *repo;
	struct sw_store *store;
};

/* Opens the repository around the current directory and its run store;
 * prints the error and returns 2 when that fails. */
int cli_open(struct cli_ctx *ctx);
void cli_close(struct cli_ctx *ctx);
/* "slipway: MESSAGE" on stderr, with control sequences neutralised: a
 * message may quote a branch name or a file.  Returns code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One message (its own newlines kept) on stderr, neutralised. */
void cli_put_message(const char *msg);
/* Prints "--help" text for a command and returns 0, or usage to stderr and 2. */
int cli_usage(const char *name, bool asked);
/* Text from outside, made safe for a terminal when out is one. */
void cli_put_text(FILE *out, const char *s, bool tty);
/* Colour escapes, empty when out is not a terminal or NO_COLOR is set. */
const char *cli_color(FILE *out, const char *code);
void cli_print_json(struct cJSON *json);
/* The run text names ("12", "#12", "latest"); 0 after printing why not. */
long cli_run_id(struct cli_ctx *ctx, const char *text);

/* Prints what a log gained since *offset (moved on).  On a terminal, each
 * line neutralised, and a last line without its newline held back unless
 * final. */
void cli_print_new_log(const char *path, int64_t *offset, bool tty, bool final);

/* Follows a run until it ends; returns 0 passed, 1 otherwise, 130 on Ctrl-C. */
int cli_follow_run(struct cli_ctx *ctx, long id, const char *only_stage, bool raw);

int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_containers(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_issues(int argc, char **argv);
int cmd_sentry(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_deploys(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_release_notes(int argc, char **argv);
int cmd_github(int argc, char **argv);
/* slipway __github-status: a run's statuses posted while it runs (hidden). */
int cmd_github_poster(int argc, char **argv);
/* slipway log deploy:ID [STEP] [--follow]: a deploy step's log. */
int cli_deploy_log(const char *id, const char *step, bool follow, bool raw);
/* status --json's "deploy": the current release and the last deploy;
 * null without a "deploy" section on main. */
struct cJSON *cli_deploy_status_json(struct cli_ctx *ctx);
/* status's line for the deploy: what serves, and the last deploy (an
 * interrupted one with what it left). */
struct sw_deploy_config;
void cli_deploy_status_line(struct cli_ctx *ctx, const struct sw_deploy_config *d);
/* status --json's "sentry": {"unresolved": N, "more": B, "regressions":
 * N} from one page, when Sentry is configured and answers; null otherwise. */
struct cJSON *cli_sentry_status_json(struct cli_ctx *ctx);
/* A Sentry client on repo's settings (the environment's alone for NULL),
 * its waits for rate limits told on stderr; NULL with *why (allocated)
 * saying what is missing or wrong. */
struct sw_sentry;
struct sw_sentry *cli_sentry_client(struct sw_repo *repo, char **why);
/* slipway __push -- IMAGE [REGISTRY]: a push stage's process (hidden). */
int cmd_push_stage(int argc, char **argv);
/* slipway history --merges: the merge records instead of the runs. */
int cmd_history_merges(bool json, const char *branch, long limit);

#endif
