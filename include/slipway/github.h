/* The GitHub client: a run's state posted to its commit as commit statuses
 * (one context per stage and one for the run), and the pull request a
 * merge goes through in pull-request mode, over GitHub's REST API with a
 * bearer token (the README's GitHub statuses section, and Merging only what
 * was tested).  libcurl and cJSON; no terminal.
 *
 * Every call that fails returns non-zero and sets *err to one line naming
 * what failed and where (the URL, never the token). */
#ifndef SLIPWAY_GITHUB_H
#define SLIPWAY_GITHUB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "slipway/repo.h"
#include "slipway/store.h"

/* Exit-code classes, as for Sentry: GitHub answered and refused (1), or
 * it cannot be used as configured or reached (2). */
enum {
	SW_GITHUB_OK = 0,
	SW_GITHUB_REFUSED = 1,
	SW_GITHUB_UNUSABLE = 2,
};

/* GitHub cuts nothing: a longer description is refused with 422. */
#define SW_GITHUB_DESCRIPTION_MAX 140
/* The hidden command that posts a run's statuses while it runs (started by
 * sw_run_start, like the executor's __push). */
#define SW_GITHUB_STATUS_COMMAND "__github-status"
/* The file in a run's directory where every post and failure is told. */
#define SW_GITHUB_LOG "github.log"

enum sw_github_state {
	SW_GITHUB_PENDING,
	SW_GITHUB_SUCCESS,
	SW_GITHUB_FAILURE,
	SW_GITHUB_ERROR,
};
const char *sw_github_state_name(enum sw_github_state s);

struct sw_github_status {
	char *context;			/* "slipway" or "slipway/STAGE" */
	enum sw_github_state state;
	char *description;		/* at most SW_GITHUB_DESCRIPTION_MAX bytes */
};

/* The statuses that say where rec stands, the stages' first and the run's
 * last.  A stage a --stage run did not select is left out (its context
 * keeps what a whole run said), and so is the run's own context for such
 * a partial run: it is no green run.  A stage skipped because it is not
 * run on the branch is success ("skipped: not run on this branch"); one
 * skipped because the run had already failed is failure, so that a
 * required check never turns green on a commit nothing tested. */
size_t sw_github_run_statuses(const struct sw_run_record *rec, struct sw_github_status **out);
void sw_github_statuses_free(struct sw_github_status *s, size_t n);

struct sw_github_settings {
	char *api;		/* without a trailing '/' */
	char *repo;		/* "owner/name" */
	char *token;
	const char *token_from;	/* in words, for messages: "GITHUB_TOKEN in the environment of slipway run" */
};

/* What a request is for: its refusals say what to do about them, and name
 * the permission it needs. */
enum sw_github_purpose {
	SW_GITHUB_FOR_STATUS,		/* POST statuses/SHA */
	SW_GITHUB_FOR_FIND_PULL,	/* GET pulls, pulls/N */
	SW_GITHUB_FOR_OPEN_PULL,	/* POST pulls */
	SW_GITHUB_FOR_MERGE_PULL,	/* PUT pulls/N/merge */
};

/* GITHUB_TOKEN from env (a NULL-terminated environ, may be NULL), else from
 * the secrets file.  0 with *token NULL when it is in neither; -1 with
 * *err when the secrets file cannot be read.  *from says which. */
int sw_github_token(char *const *env, const char *env_words, char **token, const char **from, char **err);
/* One sentence for a token found nowhere, naming where it goes and the
 * permission it needs for purpose. */
char *sw_github_no_token(enum sw_github_purpose purpose);

struct sw_github;
/* A client on complete settings (copied).  Connect timeout 5 s, request
 * timeout 30 s (SLIPWAY_HTTP_TIMEOUT_MS overrides it, for tests). */
struct sw_github *sw_github_new(const struct sw_github_settings *s);
void sw_github_free(struct sw_github *c);

/* POST {api}/repos/{repo}/statuses/{sha}.  5xx tried again (3 tries in
 * all), rate limits waited out within 60 s in all; the code says what a
 * failure was. */
int sw_github_post_status(struct sw_github *c, const char *sha, const struct sw_github_status *st, char **err);

/* A pull request as GitHub describes it. */
struct sw_github_pull {
	long number;		/* 0: none */
	char *url;		/* html_url, neutralised for a terminal; "" when GitHub gave none */
	char head_sha[41];	/* the commit its head branch is at; "" when not given */
	char *head_ref, *base_ref;	/* branch names, raw (only compared) */
	char *head_repo;	/* head.repo.full_name, raw; NULL when not given */
	bool open;
};
void sw_github_pull_free(struct sw_github_pull *pr);

/* The open pull request from branch (of the client's repository) into
 * base: GET pulls?head=OWNER:BRANCH&base=BASE&state=open.  0 with
 * pr->number 0 when there is none. */
int sw_github_find_pull(struct sw_github *c, const char *branch, const char *base, struct sw_github_pull *pr,
			char **err);
/* GET pulls/{number}. */
int sw_github_get_pull(struct sw_github *c, long number, struct sw_github_pull *pr, char **err);
/* POST pulls: opens one from branch into base; title cut to what GitHub
 * takes. */
int sw_github_open_pull(struct sw_github *c, const char *branch, const char *base, const char *title,
			const char *body, struct sw_github_pull *pr, char **err);
/* PUT pulls/{number}/merge with a merge commit, and sha: GitHub refuses
 * (409) when the pull request's head is another commit.  branch names the
 * head in that refusal.  0 with merged the merge commit GitHub made. */
int sw_github_merge_pull(struct sw_github *c, long number, const char *branch, const char *sha, const char *title,
			 const char *message, char merged[41], char **err);

/* Told each status as it was posted (err NULL) or why not. */
typedef void (*sw_github_posted_fn)(void *ud, const struct sw_github_status *st, const char *err);

/* Posts every status of run id (sw_github_run_statuses) with the policy of
 * main (sw_run_config: "github" is main's alone).  Stops at the first
 * failure, whose code it returns.  SW_GITHUB_UNUSABLE with *err when the
 * run cannot be read or main has no "github" section with statuses on. */
int sw_github_post_run(struct sw_repo *repo, struct sw_store *st, long id, const char *token, const char *token_from,
		       sw_github_posted_fn fn, void *ud, char **err);

/* The poster's whole life (SW_GITHUB_STATUS_COMMAND): posts what changed
 * each time run.json does, until the run has ended and its last state is
 * posted.  Each post and failure goes to the run's github.log; when any
 * failed, the last failure is added to the run's warnings.  Never fails
 * the run. */
int sw_github_watch_run(struct sw_repo *repo, struct sw_store *st, long id, const char *token,
			const char *token_from);

/* The pure parts, exposed for the unit tests and tests/fuzz/fuzz_github.c. */

/* text cut to SW_GITHUB_DESCRIPTION_MAX bytes on a character boundary,
 * ending in "..." when cut; control characters become spaces. */
char *sw_github_description(const char *text);
/* Milliseconds a refusal asks to wait: Retry-After's seconds, else the
 * time until x-ratelimit-reset (epoch seconds) when x-ratelimit-remaining
 * is 0; at least 1 s.  -1 when the headers (NULL: absent) say no rate
 * limit: a 403 then is a missing permission. */
long sw_github_wait_ms(const char *remaining, const char *reset, const char *retry_after, time_t now);
/* How long a rate limit lasts, in words: "until 2026-12-01 19:45:10 UTC
 * (x-ratelimit-reset)" without a Retry-After (in seconds when the reset is
 * past any date), else "for 8 s more (retry-after)" from ms, what
 * sw_github_wait_ms said.  Allocated. */
char *sw_github_until(const char *reset, const char *retry_after, long ms);
/* What an error body says: GitHub's {"message": ...} and its errors'
 * messages, else the body's first line, each cut at 200 bytes, else "HTTP
 * status"; safe for a terminal.  Allocated. */
char *sw_github_message(const char *body, size_t len, long status);

/* One pull request object (GitHub's JSON): 0, or -1 when it is none. */
int sw_github_parse_pull(const char *json, size_t len, struct sw_github_pull *pr);
/* A list of them: the first open one whose head is branch of repo (when
 * the head's repository is given; GitHub's names ignore case) and whose
 * base is base; GitHub ignores a filter it cannot read and answers with
 * every open pull request.  0 (pr->number 0 when none fits), or -1 when
 * json is no list. */
int sw_github_parse_pulls(const char *json, size_t len, const char *repo, const char *branch, const char *base,
			  struct sw_github_pull *pr);
/* A merge's answer, {"sha", "merged": true}: 0 with sha, else -1. */
int sw_github_parse_merged(const char *json, size_t len, char sha[41]);

/* A request, as its refusal names it. */
struct sw_github_call {
	enum sw_github_purpose purpose;
	const char *method;	/* GET, POST or PUT */
	const char *url;
	long pull;		/* the pull request being merged */
	const char *branch;	/* its head branch */
};
/* The sentence for GitHub's refusal (status, with its message already
 * neutralised) of call on repo with the token from token_from, into *out;
 * returns the exit-code class. */
int sw_github_refusal(const struct sw_github_call *call, long status, const char *message, const char *repo,
		      const char *token_from, char **out);

#endif
