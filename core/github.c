/* The GitHub client (see slipway/github.h): a run's stages and the run
 * itself as commit statuses, and the pull requests of a merge, over
 * libcurl with GitHub's headers, rate limits and retries; the poster that
 * follows a run. */
#include "slipway/github.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "config.h"
#include "slipway/follow.h"
#include "slipway/run.h"
#include "slipway/secrets.h"
#include "slipway/util.h"
#include "http.h"

#define CONNECT_TIMEOUT_MS 5000L
#define REQUEST_TIMEOUT_MS 30000L
/* 5xx: three tries in all, 0.5 s then 1 s apart (as for Sentry). */
#define TRIES_MAX 3
#define BACKOFF_MS 500L
/* All waits for rate limits of one request together. */
#define RATE_WAIT_MAX_MS 60000L
#define BODY_MAX (1u << 20)
/* GitHub refuses a longer pull request title with 422. */
#define TITLE_MAX 256

struct sw_github {
	struct sw_github_settings s;
};

const char *sw_github_state_name(enum sw_github_state s)
{
	static const char *const names[] = {"pending", "success", "failure", "error"};
	return names[s];
}

/* ---- the statuses of a run ---- */

/* text with its control characters as spaces, cut to max bytes on a
 * character boundary and ending in "..." when cut. */
static char *cut_text(const char *text, size_t max)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (const char *p = text ? text : ""; *p; p++)
		sbuf_addc(&sb, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
	char *s = sb.buf ? sbuf_detach(&sb) : xstrdup("");
	size_t n = strlen(s);
	if (n <= max)
		return s;
	n = max - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(s + n, "...", 4);
	return s;
}

char *sw_github_description(const char *text)
{
	return cut_text(text, SW_GITHUB_DESCRIPTION_MAX);
}

static void add_status(struct sw_github_status **out, size_t *n, const char *context, enum sw_github_state state,
		       char *description)
{
	*out = xrealloc(*out, (*n + 1) * sizeof **out);
	(*out)[*n] = (struct sw_github_status){xstrdup(context), state, sw_github_description(description)};
	free(description);
	(*n)++;
}

static char *seconds_text(int64_t ms)
{
	return ms < 60000 ? xasprintf("%.1f s", ms / 1000.0) : xasprintf("%lld min %lld s", (long long)(ms / 60000),
									    (long long)(ms / 1000 % 60));
}

/* A stage the run never reached because it had failed, filled the disk or
 * could not check the commit out: tested by nothing. */
static bool skipped_unrun(const struct sw_stage_record *s)
{
	return !s->reason || strcmp(s->reason, "not run on this branch");
}

static void stage_state(const struct sw_run_record *rec, const struct sw_stage_record *s,
			enum sw_github_state *state, char **desc)
{
	bool ended = sw_run_status_final(rec->status);
	const char *why = s->reason && *s->reason ? s->reason : NULL;
	switch (s->status) {
	case SW_STAGE_PENDING:
	case SW_STAGE_RUNNING:
		*state = ended ? SW_GITHUB_ERROR : SW_GITHUB_PENDING;
		*desc = xstrdup(ended ? sw_run_status_name(rec->status) : s->status == SW_STAGE_RUNNING ? "running"
													  : "waiting");
		return;
	case SW_STAGE_PASSED: {
		char *t = seconds_text(s->duration_ms);
		*state = SW_GITHUB_SUCCESS;
		*desc = xasprintf("passed in %s", t);
		free(t);
		return;
	}
	case SW_STAGE_FAILED:
		*state = s->allowed_failure ? SW_GITHUB_SUCCESS : SW_GITHUB_FAILURE;
		*desc = s->allowed_failure ? xasprintf("failed, allowed: %s", why ? why : "allow_failure")
					   : why ? xasprintf("failed: %s", why)
						 : xasprintf("failed with exit code %d", s->exit_code);
		return;
	case SW_STAGE_SKIPPED:
		*state = skipped_unrun(s) ? SW_GITHUB_FAILURE : SW_GITHUB_SUCCESS;
		*desc = xasprintf("skipped: %s", why ? why : "not run");
		return;
	case SW_STAGE_CANCELLED:
		*state = SW_GITHUB_ERROR;
		*desc = xstrdup("cancelled");
		return;
	}
	*state = SW_GITHUB_ERROR;
	*desc = xstrdup("unknown");
}

/* What a green run measured: "31 passed, coverage 91.4 %, lint 0". */
static char *passed_text(const struct sw_run_record *rec)
{
	const struct sw_metrics *m = &rec->metrics;
	struct sbuf sb;
	sbuf_init(&sb);
	if (m->tests.known)
		sbuf_addf(&sb, "%ld passed", m->tests.passed);
	if (m->tests.known && m->tests.skipped)
		sbuf_addf(&sb, ", %ld skipped", m->tests.skipped);
	if (m->coverage.known)
		sbuf_addf(&sb, "%scoverage %.1f %%", sb.len ? ", " : "", m->coverage.percent);
	if (m->lint.known)
		sbuf_addf(&sb, "%slint %ld", sb.len ? ", " : "", m->lint.count);
	if (!sb.len)
		sbuf_adds(&sb, "passed");
	return sbuf_detach(&sb);
}

static char *failed_text(const struct sw_run_record *rec)
{
	for (size_t i = 0; i < rec->nstages; i++) {
		const struct sw_stage_record *s = &rec->stages[i];
		if (s->status == SW_STAGE_FAILED && !s->allowed_failure)
			return s->reason && *s->reason ? xasprintf("%s failed: %s", s->name, s->reason)
						       : xasprintf("%s failed with exit code %d", s->name, s->exit_code);
	}
	if (rec->warnings.len)
		return xasprintf("failed: %s", rec->warnings.items[rec->warnings.len - 1]);
	return xstrdup("failed");
}

static void run_state(const struct sw_run_record *rec, enum sw_github_state *state, char **desc)
{
	*state = SW_GITHUB_PENDING;
	switch (rec->status) {
	case SW_RUN_QUEUED:
		*desc = xstrdup("queued");
		return;
	case SW_RUN_RUNNING:
		for (size_t i = 0; i < rec->nstages; i++)
			if (rec->stages[i].status == SW_STAGE_RUNNING) {
				*desc = xasprintf("running %s", rec->stages[i].name);
				return;
			}
		*desc = xstrdup("running");
		return;
	case SW_RUN_PASSED:
		*state = SW_GITHUB_SUCCESS;
		*desc = passed_text(rec);
		return;
	case SW_RUN_FAILED:
		*state = SW_GITHUB_FAILURE;
		*desc = failed_text(rec);
		return;
	case SW_RUN_CANCELLED:
		*state = SW_GITHUB_ERROR;
		*desc = xstrdup("cancelled");
		return;
	case SW_RUN_INTERRUPTED:
		*state = SW_GITHUB_ERROR;
		*desc = xstrdup("interrupted: the executor stopped before the run ended");
		return;
	}
	*state = SW_GITHUB_ERROR;
	*desc = xstrdup("unknown");
}

/* How many of rec's stages a --stage run selected: those up to its stage. */
static size_t selected_stages(const struct sw_run_record *rec)
{
	if (!rec->partial || !rec->only_stage)
		return rec->nstages;
	for (size_t i = 0; i < rec->nstages; i++)
		if (!strcmp(rec->stages[i].name, rec->only_stage))
			return i + 1;
	return rec->nstages;
}

size_t sw_github_run_statuses(const struct sw_run_record *rec, struct sw_github_status **out)
{
	size_t n = 0;
	*out = NULL;
	for (size_t i = 0; i < selected_stages(rec); i++) {
		enum sw_github_state state;
		char *desc, *context = xasprintf("slipway/%s", rec->stages[i].name);
		stage_state(rec, &rec->stages[i], &state, &desc);
		add_status(out, &n, context, state, desc);
		free(context);
	}
	if (!rec->partial) {
		enum sw_github_state state;
		char *desc;
		run_state(rec, &state, &desc);
		add_status(out, &n, "slipway", state, desc);
	}
	return n;
}

void sw_github_statuses_free(struct sw_github_status *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].context);
		free(s[i].description);
	}
	free(s);
}

/* ---- the token ---- */

int sw_github_token(char *const *env, const char *env_words, char **token, const char **from, char **err)
{
	const char *v = env ? sw_env_lookup(env, "GITHUB_TOKEN") : NULL;
	*token = NULL;
	if (v && *v) {
		*token = xstrdup(v);
		*from = env_words;
		return 0;
	}
	char *value;
	int r = sw_secrets_file_value("GITHUB_TOKEN", &value, err);
	if (r == 0 && value && *value) {
		*token = value;
		*from = "GITHUB_TOKEN in the secrets file";
	} else {
		free(value);
	}
	return r;
}

/* What a token needs for a purpose: the fine-grained permissions, then a
 * classic token's scope. */
static void permission(enum sw_github_purpose purpose, const char **fine, const char **classic)
{
	bool status = purpose == SW_GITHUB_FOR_STATUS;
	*fine = status ? "\"Commit statuses: write\"" : "\"Pull requests: write\" and \"Contents: write\"";
	*classic = status ? "repo:status" : "repo";
}

char *sw_github_no_token(enum sw_github_purpose purpose)
{
	const char *fine, *classic;
	permission(purpose, &fine, &classic);
	char *file = sw_secrets_file_path();
	char *m = xasprintf("no GITHUB_TOKEN in the environment or in the secrets file %s (a token with %s)", file,
			    fine);
	free(file);
	return m;
}

/* ---- errors ---- */

static int github_fail(const struct sw_github *c, int code, char **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* GitHub's message may echo what was sent: a token never leaves in one. */
static int github_fail(const struct sw_github *c, int code, char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = sw_http_without_token(c ? c->s.token : NULL, xvasprintf(fmt, ap));
	va_end(ap);
	if (err) {
		free(*err);
		*err = msg;
	} else {
		free(msg);
	}
	return code;
}

/* ---- the client ---- */

struct sw_github *sw_github_new(const struct sw_github_settings *s)
{
	static bool global;
	if (!global) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global = true;
	}
	struct sw_github *c = xcalloc(1, sizeof *c);
	c->s.api = xstrdup(s->api);
	c->s.repo = xstrdup(s->repo);
	c->s.token = xstrdup(s->token);
	c->s.token_from = s->token_from;
	return c;
}

void sw_github_free(struct sw_github *c)
{
	if (!c)
		return;
	free(c->s.api);
	free(c->s.repo);
	if (c->s.token)
		memset(c->s.token, 0, strlen(c->s.token));
	free(c->s.token);
	free(c);
}

static bool all_digits(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

long sw_github_wait_ms(const char *remaining, const char *reset, const char *retry_after, time_t now)
{
	long long secs;
	if (all_digits(retry_after))
		secs = strtoll(retry_after, NULL, 10);
	else if (remaining && !strcmp(remaining, "0") && all_digits(reset))
		secs = strtoll(reset, NULL, 10) - (long long)now;
	else
		return -1;
	if (secs < 1)
		secs = 1;
	return secs > 86400 ? 86400000L : (long)(secs * 1000);
}

/* ---- transport ---- */

struct reply {
	long status;
	struct sbuf body;
	char remaining[32], reset[32], retry_after[64];
	bool too_big;
};

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t len = size * n;
	if (len > 5 && !strncmp(data, "HTTP/", 5)) {
		r->remaining[0] = r->reset[0] = r->retry_after[0] = '\0';
		return len;
	}
	sw_http_header_value(data, len, "x-ratelimit-remaining:", r->remaining, sizeof r->remaining);
	sw_http_header_value(data, len, "x-ratelimit-reset:", r->reset, sizeof r->reset);
	sw_http_header_value(data, len, "retry-after:", r->retry_after, sizeof r->retry_after);
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	return sw_http_body_add(&r->body, &r->too_big, BODY_MAX, data, size * n);
}

static long request_timeout_ms(void)
{
	const char *t = getenv("SLIPWAY_HTTP_TIMEOUT_MS");
	if (all_digits(t) && atol(t) > 0)
		return atol(t);
	return REQUEST_TIMEOUT_MS;
}

/* The method and its body: GET has none; a PUT without one sends an empty
 * body, as GitHub wants a Content-Length. */
static void set_method(CURL *h, const char *method, const char *json, struct curl_slist **hdrs)
{
	if (!strcmp(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (json)
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, json ? json : "");
	if (strcmp(method, "POST"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
}

static CURL *easy(struct sw_github *c, const struct sw_github_call *call, const char *json,
		  struct curl_slist **hdrs, struct reply *r)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	char *auth = xasprintf("Authorization: Bearer %s", c->s.token);
	*hdrs = curl_slist_append(NULL, auth);
	memset(auth, 0, strlen(auth));
	free(auth);
	*hdrs = curl_slist_append(*hdrs, "Accept: application/vnd.github+json");
	*hdrs = curl_slist_append(*hdrs, "X-GitHub-Api-Version: 2022-11-28");
	set_method(h, call->method, json, hdrs);
	curl_easy_setopt(h, CURLOPT_URL, call->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, request_timeout_ms());
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* GitHub refuses requests without one. */
	curl_easy_setopt(h, CURLOPT_USERAGENT, "slipway/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	return h;
}

static int send_once(struct sw_github *c, const struct sw_github_call *call, const char *json, struct reply *r,
		     char **err)
{
	struct curl_slist *hdrs = NULL;
	const char *url = call->url;
	sbuf_reset(&r->body);
	r->status = 0;
	r->too_big = false;
	CURL *h = easy(c, call, json, &hdrs, r);
	if (!h)
		return github_fail(c, SW_GITHUB_UNUSABLE, err, "cannot reach GitHub at %s: libcurl could not start", url);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (r->too_big)
		return github_fail(c, SW_GITHUB_UNUSABLE, err, "GitHub at %s sent more than %u MiB", url, BODY_MAX >> 20);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return github_fail(c, SW_GITHUB_UNUSABLE, err, "GitHub did not answer %s %s within %.1f s", call->method,
				   url, request_timeout_ms() / 1000.0);
	if (rc != CURLE_OK)
		return github_fail(c, SW_GITHUB_UNUSABLE, err, "cannot reach GitHub at %s: %s", url, curl_easy_strerror(rc));
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool rate_limited(const struct reply *r)
{
	return (r->status == 403 || r->status == 429) &&
	       sw_github_wait_ms(r->remaining[0] ? r->remaining : NULL, r->reset[0] ? r->reset : NULL,
				 r->retry_after[0] ? r->retry_after : NULL, time(NULL)) >= 0;
}

char *sw_github_until(const char *reset, const char *retry_after, long ms)
{
	if (!retry_after && all_digits(reset)) {
		time_t t = (time_t)strtoll(reset, NULL, 10);
		struct tm tm;
		char buf[32];
		if (gmtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm))
			return xasprintf("until %s (x-ratelimit-reset)", buf);
		/* Past any date (a year beyond an int): tm was left unset. */
		return xasprintf("for %ld s more (x-ratelimit-reset)", (ms + 999) / 1000);
	}
	return xasprintf("for %ld s more (retry-after)", (ms + 999) / 1000);
}

/* A rate limit: waited out within what is left of the bound; 0 to try again. */
static int rate_wait(struct sw_github *c, const struct sw_github_call *call, const struct reply *r, long *waited,
		     char **err)
{
	long ms = sw_github_wait_ms(r->remaining[0] ? r->remaining : NULL, r->reset[0] ? r->reset : NULL,
				    r->retry_after[0] ? r->retry_after : NULL, time(NULL));
	if (*waited + ms <= RATE_WAIT_MAX_MS) {
		sleep_ms(ms);
		*waited += ms;
		return 0;
	}
	char *until = sw_github_until(r->reset[0] ? r->reset : NULL, r->retry_after[0] ? r->retry_after : NULL, ms);
	int code = github_fail(c, SW_GITHUB_UNUSABLE, err,
			       "GitHub's rate limit for the token is used up %s, beyond slipway's wait of %ld s: %s %s "
			       "(%ld)", until, RATE_WAIT_MAX_MS / 1000, call->method, call->url, r->status);
	free(until);
	return code;
}

static int github_send(struct sw_github *c, const struct sw_github_call *call, const char *json, struct reply *r,
		       char **err)
{
	long waited = 0, backoff = BACKOFF_MS;
	int tries = 0;
	for (;;) {
		int rc = send_once(c, call, json, r, err);
		if (rc)
			return rc;
		if (rate_limited(r)) {
			if ((rc = rate_wait(c, call, r, &waited, err)))
				return rc;
			continue;
		}
		if (r->status < 500 || ++tries >= TRIES_MAX)
			return 0;
		sleep_ms(backoff);
		backoff *= 2;
	}
}

char *sw_github_message(const char *body, size_t len, long status)
{
	cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "message"));
	struct sbuf out;
	sbuf_init(&out);
	if (m && *m) {
		sbuf_addf(&out, "%.200s", m);
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "errors"))
		{
			const char *em = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));
			if (em)
				sbuf_addf(&out, "; %.200s", em);
		}
	} else if (len) {
		size_t n = 0;
		while (n < len && n < 200 && body[n] != '\r' && body[n] != '\n')
			n++;
		sbuf_addf(&out, "%.*s", (int)n, body);
	} else {
		sbuf_addf(&out, "HTTP %ld", status);
	}
	cJSON_Delete(j);
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, out.buf, out.len);
	sbuf_free(&out);
	return sb.buf ? sbuf_detach(&sb) : xstrdup("");
}

/* What GitHub's 422 means depends on what was asked. */
static char *invalid_text(const struct sw_github_call *call, const char *message)
{
	switch (call->purpose) {
	case SW_GITHUB_FOR_STATUS:
		return xasprintf("GitHub refused the status (422: %s) at POST %s", message, call->url);
	case SW_GITHUB_FOR_OPEN_PULL:
		return xasprintf("GitHub refused to open the pull request (422: %s) at POST %s", message, call->url);
	case SW_GITHUB_FOR_MERGE_PULL:
		return xasprintf("GitHub refused to merge pull request #%ld (422: %s)", call->pull, message);
	case SW_GITHUB_FOR_FIND_PULL:
		break;
	}
	return xasprintf("GitHub refused %s %s (422: %s)", call->method, call->url, message);
}

int sw_github_refusal(const struct sw_github_call *call, long status, const char *message, const char *repo,
		      const char *token_from, char **out)
{
	const char *m = call->method, *url = call->url, *fine, *classic;
	bool merge = call->purpose == SW_GITHUB_FOR_MERGE_PULL;
	permission(call->purpose, &fine, &classic);
	if (status == 401)
		*out = xasprintf("GitHub refused the token from %s (401 %s) at %s %s", token_from, message, m, url);
	else if (status == 403)
		*out = xasprintf("GitHub refused %s %s (403: %s): the token needs %s on %s (%s for a classic token)", m,
				 url, message, fine, repo, classic);
	else if (status == 404)
		*out = xasprintf("GitHub has no repository %s, or the token from %s cannot see it (404 on %s %s)", repo,
				 token_from, m, url);
	else if (status == 405 && merge)
		*out = xasprintf("GitHub will not merge pull request #%ld: %s (required checks or reviews?)", call->pull,
				 message);
	else if (status == 409 && merge)
		*out = xasprintf("%s moved on GitHub since it was tested (409): run and merge the new head", call->branch);
	else if (status == 422)
		*out = invalid_text(call, message);
	else if (status >= 500)
		*out = xasprintf("GitHub answered %s %s with %ld (%s) %d times", m, url, status, message, TRIES_MAX);
	else
		*out = xasprintf("GitHub answered %s %s with %ld: %s", m, url, status, message);
	return status == 401 || status >= 500 ? SW_GITHUB_UNUSABLE : SW_GITHUB_REFUSED;
}

static int refused(struct sw_github *c, const struct sw_github_call *call, const struct reply *r, char **err)
{
	char *m = sw_github_message(r->body.buf, r->body.len, r->status), *msg;
	int code = sw_github_refusal(call, r->status, m, c->s.repo, c->s.token_from, &msg);
	github_fail(c, code, err, "%s", msg);
	free(msg);
	free(m);
	return code;
}

/* One request (body NULL: none): 0 with GitHub's 2xx answer in r (whose
 * body the caller frees), else the refusal, said. */
static int github_call(struct sw_github *c, const struct sw_github_call *call, const cJSON *body, struct reply *r,
		       char **err)
{
	char *json = body ? cJSON_PrintUnformatted(body) : NULL;
	sbuf_init(&r->body);
	int rc = github_send(c, call, json, r, err);
	if (rc == 0 && (r->status < 200 || r->status > 299))
		rc = refused(c, call, r, err);
	free(json);
	return rc;
}

int sw_github_post_status(struct sw_github *c, const char *sha, const struct sw_github_status *st, char **err)
{
	char *url = xasprintf("%s/repos/%s/statuses/%s", c->s.api, c->s.repo, sha);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "state", sw_github_state_name(st->state));
	cJSON_AddStringToObject(body, "context", st->context);
	cJSON_AddStringToObject(body, "description", st->description);
	struct sw_github_call call = {SW_GITHUB_FOR_STATUS, "POST", url, 0, NULL};
	struct reply r;
	int rc = github_call(c, &call, body, &r, err);
	sbuf_free(&r.body);
	cJSON_Delete(body);
	free(url);
	return rc;
}

/* ---- pull requests ---- */

static bool is_sha(const char *s)
{
	return s && strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static const char *string_at(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* GitHub's page for it: a link only, shown on terminals and in records. */
static char *clean_url(const char *url)
{
	if (!url || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
		return xstrdup("");
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, url, strnlen(url, 300));
	return sb.buf ? sbuf_detach(&sb) : xstrdup("");
}

static int pull_from_json(const cJSON *o, struct sw_github_pull *pr)
{
	memset(pr, 0, sizeof *pr);
	const cJSON *num = cJSON_GetObjectItemCaseSensitive(o, "number");
	if (!cJSON_IsNumber(num) || num->valuedouble < 1 || num->valuedouble > 1e12)
		return -1;
	const cJSON *head = cJSON_GetObjectItemCaseSensitive(o, "head");
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(o, "base");
	const char *sha = string_at(head, "sha"), *state = string_at(o, "state");
	pr->number = (long)num->valuedouble;
	pr->url = clean_url(string_at(o, "html_url"));
	if (is_sha(sha))
		memcpy(pr->head_sha, sha, 41);
	pr->head_ref = xstrdup_null(string_at(head, "ref"));
	pr->base_ref = xstrdup_null(string_at(base, "ref"));
	pr->head_repo = xstrdup_null(string_at(cJSON_GetObjectItemCaseSensitive(head, "repo"), "full_name"));
	pr->open = state && !strcmp(state, "open");
	return 0;
}

void sw_github_pull_free(struct sw_github_pull *pr)
{
	free(pr->url);
	free(pr->head_ref);
	free(pr->base_ref);
	free(pr->head_repo);
	memset(pr, 0, sizeof *pr);
}

int sw_github_parse_pull(const char *json, size_t len, struct sw_github_pull *pr)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	int r = cJSON_IsObject(o) ? pull_from_json(o, pr) : -1;
	if (r)
		memset(pr, 0, sizeof *pr);
	cJSON_Delete(o);
	return r;
}

static bool pull_fits(const struct sw_github_pull *pr, const char *repo, const char *branch, const char *base)
{
	return pr->open && pr->head_ref && !strcmp(pr->head_ref, branch) && pr->base_ref &&
	       !strcmp(pr->base_ref, base) && (!pr->head_repo || !strcasecmp(pr->head_repo, repo));
}

int sw_github_parse_pulls(const char *json, size_t len, const char *repo, const char *branch, const char *base,
			  struct sw_github_pull *pr)
{
	cJSON *list = cJSON_ParseWithLength(json, len);
	const cJSON *o;
	memset(pr, 0, sizeof *pr);
	int r = cJSON_IsArray(list) ? 0 : -1;
	if (r == 0)
		cJSON_ArrayForEach(o, list)
		{
			struct sw_github_pull one;
			if (pull_from_json(o, &one) == 0 && pull_fits(&one, repo, branch, base)) {
				*pr = one;
				break;
			}
			sw_github_pull_free(&one);
		}
	cJSON_Delete(list);
	return r;
}

int sw_github_parse_merged(const char *json, size_t len, char sha[41])
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const char *s = string_at(o, "sha");
	int r = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "merged")) && is_sha(s) ? 0 : -1;
	if (r == 0)
		memcpy(sha, s, 41);
	cJSON_Delete(o);
	return r;
}

/* For a query string: everything but RFC 3986's unreserved characters
 * percent-encoded (a branch may hold '&', '#' or '+'). */
static void add_escaped(struct sbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-._~", ch))
			sbuf_addc(sb, (char)ch);
		else
			sbuf_addf(sb, "%%%02X", ch);
	}
}

int sw_github_find_pull(struct sw_github *c, const char *branch, const char *base, struct sw_github_pull *pr,
			char **err)
{
	const char *slash = strchr(c->s.repo, '/');
	char *head = xasprintf("%.*s:%s", (int)(slash ? slash - c->s.repo : 0), c->s.repo, branch);
	struct sbuf url;
	sbuf_init(&url);
	sbuf_addf(&url, "%s/repos/%s/pulls?head=", c->s.api, c->s.repo);
	add_escaped(&url, head);
	sbuf_adds(&url, "&base=");
	add_escaped(&url, base);
	sbuf_adds(&url, "&state=open");
	struct sw_github_call call = {SW_GITHUB_FOR_FIND_PULL, "GET", url.buf, 0, branch};
	struct reply r;
	memset(pr, 0, sizeof *pr);
	int rc = github_call(c, &call, NULL, &r, err);
	if (rc == 0 && sw_github_parse_pulls(r.body.buf ? r.body.buf : "", r.body.len, c->s.repo, branch, base, pr))
		rc = github_fail(c, SW_GITHUB_UNUSABLE, err, "GitHub's answer to GET %s is no list of pull requests",
				 url.buf);
	sbuf_free(&r.body);
	sbuf_free(&url);
	free(head);
	return rc;
}

/* The pull request a call answered with (201 or 200). */
static int pull_reply(struct sw_github *c, const struct sw_github_call *call, const struct reply *r,
		      struct sw_github_pull *pr, char **err)
{
	if (sw_github_parse_pull(r->body.buf ? r->body.buf : "", r->body.len, pr) == 0)
		return 0;
	return github_fail(c, SW_GITHUB_UNUSABLE, err, "GitHub's answer to %s %s is no pull request", call->method,
			   call->url);
}

int sw_github_get_pull(struct sw_github *c, long number, struct sw_github_pull *pr, char **err)
{
	char *url = xasprintf("%s/repos/%s/pulls/%ld", c->s.api, c->s.repo, number);
	struct sw_github_call call = {SW_GITHUB_FOR_FIND_PULL, "GET", url, number, NULL};
	struct reply r;
	memset(pr, 0, sizeof *pr);
	int rc = github_call(c, &call, NULL, &r, err);
	if (rc == 0)
		rc = pull_reply(c, &call, &r, pr, err);
	sbuf_free(&r.body);
	free(url);
	return rc;
}

int sw_github_open_pull(struct sw_github *c, const char *branch, const char *base, const char *title,
			const char *body, struct sw_github_pull *pr, char **err)
{
	char *url = xasprintf("%s/repos/%s/pulls", c->s.api, c->s.repo), *t = cut_text(title, TITLE_MAX);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "title", t);
	cJSON_AddStringToObject(o, "head", branch);
	cJSON_AddStringToObject(o, "base", base);
	cJSON_AddStringToObject(o, "body", body);
	struct sw_github_call call = {SW_GITHUB_FOR_OPEN_PULL, "POST", url, 0, branch};
	struct reply r;
	memset(pr, 0, sizeof *pr);
	int rc = github_call(c, &call, o, &r, err);
	if (rc == 0)
		rc = pull_reply(c, &call, &r, pr, err);
	sbuf_free(&r.body);
	cJSON_Delete(o);
	free(t);
	free(url);
	return rc;
}

int sw_github_merge_pull(struct sw_github *c, long number, const char *branch, const char *sha, const char *title,
			 const char *message, char merged[41], char **err)
{
	char *url = xasprintf("%s/repos/%s/pulls/%ld/merge", c->s.api, c->s.repo, number);
	char *t = cut_text(title, TITLE_MAX);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "sha", sha);
	cJSON_AddStringToObject(o, "merge_method", "merge");
	cJSON_AddStringToObject(o, "commit_title", t);
	cJSON_AddStringToObject(o, "commit_message", message);
	struct sw_github_call call = {SW_GITHUB_FOR_MERGE_PULL, "PUT", url, number, branch};
	struct reply r;
	int rc = github_call(c, &call, o, &r, err);
	if (rc == 0 && sw_github_parse_merged(r.body.buf ? r.body.buf : "", r.body.len, merged))
		rc = github_fail(c, SW_GITHUB_UNUSABLE, err, "GitHub answered PUT %s with %ld but did not say it merged "
				 "pull request #%ld", url, r.status, number);
	sbuf_free(&r.body);
	cJSON_Delete(o);
	free(t);
	free(url);
	return rc;
}

/* ---- a run's statuses ---- */

/* The client for run rec, with main's "github" settings. */
static int run_client(struct sw_repo *repo, const struct sw_run_record *rec, const char *token,
		      const char *token_from, struct sw_github **out, char **err)
{
	struct sw_config cfg = {0};
	*out = NULL;
	if (sw_run_config(repo, rec->commit, &cfg, NULL, err) != SW_OK)
		return SW_GITHUB_UNUSABLE;
	int r = SW_GITHUB_UNUSABLE;
	if (!cfg.github || !cfg.github->statuses) {
		*err = xasprintf("%s's slipway.json has %s: no statuses are posted", cfg.main_branch,
				 cfg.github ? "\"github\": {\"statuses\": false}" : "no \"github\" section");
	} else if (!token) {
		*err = sw_github_no_token(SW_GITHUB_FOR_STATUS);
	} else {
		struct sw_github_settings s = {cfg.github->api, cfg.github->repo, xstrdup(token), token_from};
		*out = sw_github_new(&s);
		memset(s.token, 0, strlen(s.token));
		free(s.token);
		r = SW_GITHUB_OK;
	}
	sw_config_free(&cfg);
	return r;
}

int sw_github_post_run(struct sw_repo *repo, struct sw_store *st, long id, const char *token, const char *token_from,
		       sw_github_posted_fn fn, void *ud, char **err)
{
	struct sw_run_record rec;
	struct sw_github *c;
	if (sw_store_load(st, id, &rec, err))
		return SW_GITHUB_UNUSABLE;
	int r = run_client(repo, &rec, token, token_from, &c, err);
	struct sw_github_status *s = NULL;
	size_t n = r ? 0 : sw_github_run_statuses(&rec, &s);
	for (size_t i = 0; i < n && !r; i++) {
		r = sw_github_post_status(c, rec.commit, &s[i], err);
		if (fn)
			fn(ud, &s[i], r ? *err : NULL);
	}
	sw_github_statuses_free(s, n);
	sw_github_free(c);
	sw_run_record_free(&rec);
	return r;
}

/* ---- the poster ---- */

struct poster {
	struct sw_github *c;
	FILE *log;
	struct sw_github_status *posted;	/* what GitHub has now, by context */
	size_t nposted;
	char *last_err;				/* the last failure, NULL once all is posted */
};

static void log_line(struct poster *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_line(struct poster *p, const char *fmt, ...)
{
	if (!p->log)
		return;
	char when[32];
	sw_iso_time(time(NULL), when);
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(p->log, "%s %s\n", when, msg);
	fflush(p->log);
	free(msg);
}

static bool already_posted(const struct poster *p, const struct sw_github_status *s)
{
	for (size_t i = 0; i < p->nposted; i++)
		if (!strcmp(p->posted[i].context, s->context))
			return p->posted[i].state == s->state && !strcmp(p->posted[i].description, s->description);
	return false;
}

static void remember(struct poster *p, const struct sw_github_status *s)
{
	for (size_t i = 0; i < p->nposted; i++)
		if (!strcmp(p->posted[i].context, s->context)) {
			p->posted[i].state = s->state;
			free(p->posted[i].description);
			p->posted[i].description = xstrdup(s->description);
			return;
		}
	p->posted = xrealloc(p->posted, (p->nposted + 1) * sizeof *p->posted);
	p->posted[p->nposted++] = (struct sw_github_status){xstrdup(s->context), s->state, xstrdup(s->description)};
}

/* Posts what changed since the last post.  After a failure, only the
 * run's last state is tried again: a GitHub that is down is not asked at
 * every stage. */
static void post_changes(struct poster *p, const struct sw_run_record *rec)
{
	bool final = sw_run_status_final(rec->status);
	if (p->last_err && !final)
		return;
	struct sw_github_status *s;
	size_t n = sw_github_run_statuses(rec, &s);
	free(p->last_err);
	p->last_err = NULL;
	for (size_t i = 0; i < n && !p->last_err; i++) {
		char *err = NULL;
		if (already_posted(p, &s[i]))
			continue;
		if (sw_github_post_status(p->c, rec->commit, &s[i], &err)) {
			log_line(p, "not posted %s %s: %s", s[i].context, sw_github_state_name(s[i].state), err);
			p->last_err = err;
			break;
		}
		log_line(p, "posted %s %s: %s", s[i].context, sw_github_state_name(s[i].state), s[i].description);
		remember(p, &s[i]);
	}
	sw_github_statuses_free(s, n);
}

/* The executor has saved the record for the last time: the failure goes
 * where the run's other warnings are. */
static void warn_in_record(struct sw_store *st, long id, const char *msg)
{
	struct sw_run_record rec;
	char *err = NULL;
	if (sw_store_load(st, id, &rec, &err)) {
		free(err);
		return;
	}
	strlist_addf(&rec.warnings, "GitHub statuses: %s (github.log in the run's directory has each post; `slipway "
		     "github status %ld` posts them again)", msg, id);
	sw_store_save(st, &rec, false);
	sw_run_record_free(&rec);
}

static FILE *open_log(struct sw_store *st, long id)
{
	char *dir = sw_store_run_dir(st, id);
	char *path = xasprintf("%s/%s", dir, SW_GITHUB_LOG);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	free(path);
	free(dir);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!f && fd >= 0)
		close(fd);
	return f;
}

/* Waits for the record to change (or 1 s) and reads it again. */
static int next_record(struct sw_store *st, long id, struct sw_follow *f, struct sw_run_record *rec)
{
	char *err = NULL;
	if (f)
		sw_follow_wait(f, 1000);
	else
		sleep_ms(1000);
	if (sw_store_load(st, id, rec, &err)) {
		free(err);
		return -1;
	}
	return 0;
}

int sw_github_watch_run(struct sw_repo *repo, struct sw_store *st, long id, const char *token,
			const char *token_from)
{
	struct poster p = {.log = open_log(st, id)};
	struct sw_run_record rec;
	char *err = NULL;
	int r = sw_store_load(st, id, &rec, &err) ? SW_GITHUB_UNUSABLE : SW_OK;
	if (r == SW_OK) {
		r = run_client(repo, &rec, token, token_from, &p.c, &err);
		if (r)
			sw_run_record_free(&rec);
	}
	if (r) {
		log_line(&p, "not posted: %s", err);
		if (p.log)
			fclose(p.log);
		free(err);
		return r;
	}
	char *dir = sw_store_run_dir(st, id);
	struct sw_follow *f = sw_follow_open(dir);
	free(dir);
	for (;;) {
		post_changes(&p, &rec);
		bool final = sw_run_status_final(rec.status);
		sw_run_record_free(&rec);
		if (final || next_record(st, id, f, &rec))
			break;
	}
	sw_follow_close(f);
	if (p.last_err)
		warn_in_record(st, id, p.last_err);
	r = p.last_err ? SW_GITHUB_UNUSABLE : SW_GITHUB_OK;
	free(p.last_err);
	sw_github_statuses_free(p.posted, p.nposted);
	sw_github_free(p.c);
	if (p.log)
		fclose(p.log);
	return r;
}
