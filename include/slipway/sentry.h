/* The Sentry client: a project's unresolved issues, their triage, releases
 * and deploy markers, over Sentry's Web API (/api/0/, a bearer token; the
 * README's Sentry section).  libcurl and cJSON; no terminal.
 *
 * Every call that fails returns non-zero and sets *err to one line naming
 * what failed and where (the URL, never the token).  Text from Sentry
 * (titles, culprits) is kept as it came: the faces neutralise it. */
#ifndef SLIPWAY_SENTRY_H
#define SLIPWAY_SENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cJSON;
struct sw_repo;

/* What a failure was, for the exit code: the API answered and refused
 * (1), or Sentry cannot be used as configured or reached (2). */
enum {
	SW_SENTRY_OK = 0,
	SW_SENTRY_REFUSED = 1,
	SW_SENTRY_UNUSABLE = 2,
};

#define SW_SENTRY_DEFAULT_URL "https://sentry.io/"
/* Titles and culprits longer than this are cut (a 10 KB title says no
 * more than its first line). */
#define SW_SENTRY_TEXT_MAX 1024

struct sw_sentry_settings {
	char *url;	/* without a trailing '/' */
	char *org, *project;
	char *token;
	/* Where each came from, in words ("SENTRY_ORG", "main's slipway.json",
	 * "the secrets file ~/.config/slipway/secrets"), for messages. */
	const char *url_from, *org_from, *project_from, *token_from;
};

/* sentry-cli's order: the environment (SENTRY_URL, SENTRY_AUTH_TOKEN,
 * SENTRY_ORG, SENTRY_PROJECT), then "sentry" in main's slipway.json (url,
 * org, project; repo NULL outside a repository), then SENTRY_AUTH_TOKEN in
 * the secrets file.  A slipway.json or secrets file that cannot be read is
 * an error (its message); missing settings are not (see sw_sentry_missing). */
int sw_sentry_settings_load(struct sw_repo *repo, struct sw_sentry_settings *s, char **err);
/* NULL when every setting is there, else one sentence naming the first
 * missing one and where to set it.  Allocated. */
char *sw_sentry_missing(const struct sw_sentry_settings *s);
void sw_sentry_settings_free(struct sw_sentry_settings *s);

/* Told before each wait for a rate limit: "Sentry rate-limited GET ...:
 * waiting 2 s (X-Sentry-Rate-Limit-Reset)". */
typedef void (*sw_sentry_note_fn)(void *ud, const char *msg);

struct sw_sentry;
/* A client on complete settings (copied).  Connect timeout 5 s, request
 * timeout 30 s (SLIPWAY_HTTP_TIMEOUT_MS overrides it, for tests). */
struct sw_sentry *sw_sentry_new(const struct sw_sentry_settings *s, sw_sentry_note_fn note, void *ud);
void sw_sentry_free(struct sw_sentry *c);
/* No retries and no waiting for rate limits: for status, which must stay fast. */
void sw_sentry_set_quick(struct sw_sentry *c, bool quick);
/* Another thread's stop: once *flag (read atomically) is non-zero, the
 * request under way and any wait give up, and the call fails ("stopped"). */
void sw_sentry_set_abort(struct sw_sentry *c, const int *flag);

struct sw_sentry_issue {
	char *id, *short_id;
	char *title, *culprit;		/* cut at SW_SENTRY_TEXT_MAX bytes */
	char *level, *status, *permalink;
	char *first_seen, *last_seen;	/* ISO 8601 as Sentry sent them; "" unknown */
	long long count, user_count;
};

struct sw_sentry_issue_list {
	struct sw_sentry_issue *items;
	size_t n;
	bool more;	/* Sentry has more than were read (limit or one page) */
};

struct sw_sentry_query {
	const char *status;	/* unresolved or resolved; NULL: unresolved */
	const char *level;	/* NULL: every level */
	const char *sort;	/* date, freq, new; NULL: date */
	size_t limit;		/* 0: 1000 */
	bool one_page;
	/* 0, or only issues first (last) seen then or later.  Sorted by that
	 * time (new, date), the listing ends at the first older issue. */
	time_t first_seen_after;	/* --since-deploy */
	time_t last_seen_after;
	time_t first_seen_before;	/* 0, or only issues not new since then (a later release's) */
};
/* The issue first appeared at since or later: new in the release deployed
 * then, a regression of it (since 0: never).  The one rule of "new in this
 * release", wherever it is shown or counted. */
bool sw_sentry_issue_new_since(const struct sw_sentry_issue *i, time_t since);
/* How many of items are new since since. */
size_t sw_sentry_count_new_since(const struct sw_sentry_issue *items, size_t n, time_t since);

/* Told once per page read, with that page's issues (owned by the list
 * being built); non-zero stops the listing. */
typedef int (*sw_sentry_page_fn)(void *ud, const struct sw_sentry_issue *items, size_t n);

/* The project's unresolved issues, following the Link header's next
 * cursor while it says results="true", up to q->limit. */
int sw_sentry_issues(struct sw_sentry *c, const struct sw_sentry_query *q, sw_sentry_page_fn fn, void *ud,
		     struct sw_sentry_issue_list *out, char **err);
void sw_sentry_issue_list_free(struct sw_sentry_issue_list *l);
struct cJSON *sw_sentry_issue_to_json(const struct sw_sentry_issue *i);

/* An issue's latest event, for its stack frames: each exception of the
 * chain as Sentry sends it (the one raised last, last), and its frames
 * outermost first, the innermost last, as Sentry shows them.  Bounded:
 * the last SW_SENTRY_EXCEPTIONS_MAX exceptions, the innermost
 * SW_SENTRY_FRAMES_MAX frames of each, texts cut at SW_SENTRY_TEXT_MAX. */
#define SW_SENTRY_EXCEPTIONS_MAX 5
#define SW_SENTRY_FRAMES_MAX 40

struct sw_sentry_frame {
	char *filename;		/* else the module, else the absolute path; "" unknown */
	char *function;		/* "" unknown */
	long line;		/* 0 unknown */
	bool in_app;
};

struct sw_sentry_exception {
	char *type, *value;	/* "" unknown */
	struct sw_sentry_frame *frames;
	size_t nframes;
	size_t omitted;		/* outer frames left out */
};

struct sw_sentry_event {
	char *id;		/* Sentry's eventID (or id) */
	char *date;		/* ISO 8601 as sent (dateCreated); "" unknown */
	struct sw_sentry_exception *exceptions;
	size_t n;
	size_t omitted;		/* earlier exceptions of the chain left out */
};

/* GET /api/0/organizations/{org}/issues/{id}/events/latest/: an event
 * without an exception is no error (n 0). */
int sw_sentry_latest_event(struct sw_sentry *c, const char *issue_id, struct sw_sentry_event *out, char **err);
void sw_sentry_event_free(struct sw_sentry_event *e);
/* What the faces show of it, a line each ("    app/views.py:42 in index
 * (in app)"); the text is as Sentry sent it, for the face to neutralise. */
struct sbuf;
void sw_sentry_event_text(const struct sw_sentry_event *e, struct sbuf *out);

/* The numeric id of ref: ref itself when all digits, else the issue whose
 * short id (PROJ-12) it is, through Sentry's short id lookup.  Allocated. */
int sw_sentry_issue_id(struct sw_sentry *c, const char *ref, char **id, char **err);
/* status: "resolved", "ignored" or "unresolved". */
int sw_sentry_issue_set_status(struct sw_sentry *c, const char *id, const char *status, char **err);

/* Creates release version for the project; *existed when Sentry answered
 * 208 (it had it already): not an error. */
int sw_sentry_release(struct sw_sentry *c, const char *version, bool *existed, char **err);
/* A deploy marker of release version in environment env. */
int sw_sentry_deploy(struct sw_sentry *c, const char *version, const char *env, time_t started, time_t finished,
		     char **err);

/* An ISO 8601 time as Sentry sends it (fractions of seconds and all) in
 * seconds since the epoch; -1 when it is not one. */
time_t sw_sentry_time(const char *iso);
/* "3m" since such a time, "-" when it is not one: the age both faces show. */
void sw_sentry_age(const char *iso, char *out, size_t n);

/* The pure parts, exposed for the unit tests and tests/fuzz/fuzz_sentry.c. */

/* The cursor of the Link header's rel="next" entry when it says
 * results="true" (allocated), else NULL. */
char *sw_sentry_link_next(const char *link);
/* An issue's count: a number, or the string Sentry sends ("150"); one
 * beyond a long long is LLONG_MAX. */
bool sw_sentry_json_count(const struct cJSON *v, long long *out);
/* An event from Sentry's JSON (an object with "entries"): NULL, or the
 * name of what it lacks or holds in the wrong shape. */
const char *sw_sentry_event_read(const struct cJSON *j, struct sw_sentry_event *out);
/* Milliseconds to wait after a 429: until X-Sentry-Rate-Limit-Reset (epoch
 * seconds) or for Retry-After (seconds or an HTTP date), whichever is
 * given, at least 1 s; NULL headers are absent.  -1 when neither is. */
long sw_sentry_wait_ms(const char *reset, const char *retry_after, time_t now);
/* A page of issues, the body [body, body + len) of a 200 to GET url,
 * appended to out: at most room of them, out->more when there were more.
 * SW_SENTRY_UNUSABLE with *err when it is not a list of issues (c may be
 * NULL; a message never names its token). */
int sw_sentry_page_read(const struct sw_sentry *c, const char *url, const char *body, size_t len, size_t room,
			struct sw_sentry_issue_list *out, char **err);
/* What an error body says: Sentry's {"detail": ...}, else the body's
 * first line, either cut at 200 bytes, else "HTTP status"; safe for a
 * terminal.  Allocated. */
char *sw_sentry_detail(const char *body, size_t len, long status);

#endif
