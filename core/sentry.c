/* The Sentry client (see slipway/sentry.h): settings in sentry-cli's order,
 * requests over libcurl with Sentry's pagination, rate limits and retries,
 * issues read with cJSON. */
#include "slipway/sentry.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "slipway/config.h"
#include "slipway/run.h"
#include "slipway/secrets.h"
#include "slipway/util.h"
#include "http.h"

#define CONNECT_TIMEOUT_MS 5000L
#define REQUEST_TIMEOUT_MS 30000L
#define QUICK_TIMEOUT_MS 5000L
/* sentry-cli retries 5xx; three tries in all, 0.5 s then 1 s apart. */
#define TRIES_MAX 3
#define BACKOFF_MS 500L
/* All waits for rate limits of one request together. */
#define RATE_WAIT_MAX_MS 60000L
#define PAGE_MAX 100
#define LIMIT_DEFAULT 1000
/* A reply larger than this is not one page of issues. */
#define BODY_MAX (64u << 20)

struct sw_sentry {
	struct sw_sentry_settings s;
	sw_sentry_note_fn note;
	void *ud;
	bool quick;
	const int *abort_flag;	/* set by another thread: give up now */
};

/* ---- errors ---- */

/* Sentry's detail may echo what was sent: a token never leaves in a message. */
static int sentry_fail(const struct sw_sentry *c, int code, char **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int sentry_fail(const struct sw_sentry *c, int code, char **err, const char *fmt, ...)
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

/* ---- settings ---- */

static const char *env_value(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static void set(char **dst, const char **from, const char *value, const char *where)
{
	if (*dst || !value || !*value)
		return;
	*dst = xstrdup(value);
	*from = where;
}

static int settings_from_config(struct sw_repo *repo, struct sw_sentry_settings *s, char **err)
{
	struct sw_config cfg;
	char *e = NULL;
	if (!repo)
		return 0;
	if (sw_project_config(repo, &cfg, &e) != SW_OK) {
		bool absent = e && !strncmp(e, "no slipway.json", 15);
		if (absent) {
			free(e);
			return 0;
		}
		*err = xasprintf("%s (it says which Sentry project to use: \"sentry\")", e);
		free(e);
		return -1;
	}
	const char *where = "main's slipway.json";
	set(&s->url, &s->url_from, cfg.sentry_url, where);
	set(&s->org, &s->org_from, cfg.sentry_org, where);
	set(&s->project, &s->project_from, cfg.sentry_project, where);
	sw_config_free(&cfg);
	return 0;
}

static int token_from_secrets(struct sw_sentry_settings *s, char **err)
{
	char *value;
	int r = sw_secrets_file_value("SENTRY_AUTH_TOKEN", &value, err);
	if (r == 0 && value)
		set(&s->token, &s->token_from, value, "the secrets file");
	free(value);
	return r;
}

static void trim_url(char *url)
{
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
}

int sw_sentry_settings_load(struct sw_repo *repo, struct sw_sentry_settings *s, char **err)
{
	memset(s, 0, sizeof *s);
	set(&s->url, &s->url_from, env_value("SENTRY_URL"), "SENTRY_URL");
	set(&s->token, &s->token_from, env_value("SENTRY_AUTH_TOKEN"), "SENTRY_AUTH_TOKEN");
	set(&s->org, &s->org_from, env_value("SENTRY_ORG"), "SENTRY_ORG");
	set(&s->project, &s->project_from, env_value("SENTRY_PROJECT"), "SENTRY_PROJECT");
	if (settings_from_config(repo, s, err) || (!s->token && token_from_secrets(s, err))) {
		sw_sentry_settings_free(s);
		return -1;
	}
	set(&s->url, &s->url_from, SW_SENTRY_DEFAULT_URL, "the default");
	trim_url(s->url);
	return 0;
}

char *sw_sentry_missing(const struct sw_sentry_settings *s)
{
	if (!s->org)
		return xstrdup("Sentry is not configured: set SENTRY_ORG or \"sentry\": {\"org\"} in main's slipway.json");
	if (!s->project)
		return xstrdup("Sentry is not configured: set SENTRY_PROJECT or \"sentry\": {\"project\"} in main's "
			       "slipway.json");
	if (!s->token) {
		char *file = sw_secrets_file_path();
		char *m = xasprintf("Sentry is not configured: set SENTRY_AUTH_TOKEN in the environment or in the "
				    "secrets file %s", file);
		free(file);
		return m;
	}
	if (strncmp(s->url, "https://", 8) && strncmp(s->url, "http://", 7))
		return xasprintf("Sentry is not configured: %s is not an http:// or https:// address (%s)", s->url,
				 s->url_from);
	return NULL;
}

void sw_sentry_settings_free(struct sw_sentry_settings *s)
{
	free(s->url);
	free(s->org);
	free(s->project);
	if (s->token)
		memset(s->token, 0, strlen(s->token));
	free(s->token);
	memset(s, 0, sizeof *s);
}

/* ---- the client ---- */

struct sw_sentry *sw_sentry_new(const struct sw_sentry_settings *s, sw_sentry_note_fn note, void *ud)
{
	static bool global;
	if (!global) {
		/* Once per process, before any thread (see sw_docker_open). */
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global = true;
	}
	struct sw_sentry *c = xcalloc(1, sizeof *c);
	c->s = *s;
	c->s.url = xstrdup(s->url);
	c->s.org = xstrdup(s->org);
	c->s.project = xstrdup(s->project);
	c->s.token = xstrdup(s->token);
	c->note = note;
	c->ud = ud;
	return c;
}

void sw_sentry_free(struct sw_sentry *c)
{
	if (!c)
		return;
	sw_sentry_settings_free(&c->s);
	free(c);
}

void sw_sentry_set_quick(struct sw_sentry *c, bool quick) { c->quick = quick; }

void sw_sentry_set_abort(struct sw_sentry *c, const int *flag) { c->abort_flag = flag; }

static bool aborted(const struct sw_sentry *c)
{
	return c->abort_flag && __atomic_load_n(c->abort_flag, __ATOMIC_SEQ_CST);
}

time_t sw_sentry_time(const char *iso)
{
	return sw_parse_rfc3339(iso);
}

void sw_sentry_age(const char *iso, char *out, size_t n)
{
	time_t t = sw_sentry_time(iso);
	if (t < 0)
		snprintf(out, n, "-");
	else
		sw_format_age(t, out, n);
}

/* ---- pure parts ---- */

/* The value of key="..." inside one Link entry [p, end), or NULL. */
static char *link_param(const char *p, const char *end, const char *key)
{
	size_t kl = strlen(key);
	for (const char *q = p; q + kl + 2 < end; q++) {
		if (strncasecmp(q, key, kl) || q[kl] != '=' || q[kl + 1] != '"' ||
		    (q > p && (isalnum((unsigned char)q[-1]) || q[-1] == '_')))
			continue;
		const char *v = q + kl + 2, *close = memchr(v, '"', (size_t)(end - v));
		return close ? xstrndup(v, (size_t)(close - v)) : NULL;
	}
	return NULL;
}

/* Entries are "<url>; k="v"; ...", separated by commas outside <>. */
static const char *link_entry_end(const char *p)
{
	const char *gt = strchr(p, '>');
	const char *comma = strchr(gt ? gt : p, ',');
	return comma ? comma : p + strlen(p);
}

char *sw_sentry_link_next(const char *link)
{
	for (const char *p = link; p && *p;) {
		const char *end = link_entry_end(p);
		char *rel = link_param(p, end, "rel");
		char *results = rel && !strcmp(rel, "next") ? link_param(p, end, "results") : NULL;
		char *cursor = results && !strcmp(results, "true") ? link_param(p, end, "cursor") : NULL;
		bool is_next = rel && !strcmp(rel, "next");
		free(rel);
		free(results);
		if (is_next)
			return cursor;
		p = *end ? end + 1 : end;
	}
	return NULL;
}

bool sw_sentry_json_count(const cJSON *v, long long *out)
{
	/* Beyond a long long, the biggest one, as strtoll makes of a string. */
	if (cJSON_IsNumber(v) && v->valuedouble >= 0) {
		*out = v->valuedouble < 0x1p63 ? (long long)v->valuedouble : LLONG_MAX;
		return true;
	}
	if (!cJSON_IsString(v) || !*v->valuestring)
		return false;
	char *end;
	long long n = strtoll(v->valuestring, &end, 10);
	if (*end || n < 0 || !isdigit((unsigned char)v->valuestring[0]))
		return false;
	*out = n;
	return true;
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

long sw_sentry_wait_ms(const char *reset, const char *retry_after, time_t now)
{
	long long secs = -1;
	if (reset && all_digits(reset))
		secs = strtoll(reset, NULL, 10) - (long long)now;
	else if (retry_after && all_digits(retry_after))
		secs = strtoll(retry_after, NULL, 10);
	else if (retry_after && *retry_after) {
		time_t t = curl_getdate(retry_after, NULL);
		if (t != (time_t)-1)
			secs = (long long)(t - now);
	}
	if (secs < 0 && !(reset || retry_after))
		return -1;
	if (secs < 1)
		secs = 1;
	return secs > 86400 ? 86400000L : (long)(secs * 1000);
}

/* ---- transport ---- */

struct reply {
	long status;
	struct sbuf body;
	char link[4096];
	char reset[32];
	char retry_after[64];
	bool too_big;
};

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t len = size * n;
	if (len > 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after a redirect or 100): forget the last one's. */
		r->link[0] = r->reset[0] = r->retry_after[0] = '\0';
		return len;
	}
	sw_http_header_value(data, len, "link:", r->link, sizeof r->link);
	sw_http_header_value(data, len, "x-sentry-rate-limit-reset:", r->reset, sizeof r->reset);
	sw_http_header_value(data, len, "retry-after:", r->retry_after, sizeof r->retry_after);
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	return sw_http_body_add(&r->body, &r->too_big, BODY_MAX, data, size * n);
}

static long request_timeout_ms(const struct sw_sentry *c)
{
	const char *t = getenv("SLIPWAY_HTTP_TIMEOUT_MS");
	if (t && all_digits(t) && atol(t) > 0)
		return atol(t);
	return c->quick ? QUICK_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
}

/* libcurl asks this a few times a second, even while nothing arrives. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return aborted(ud) ? 1 : 0;
}

static CURL *easy(struct sw_sentry *c, const char *method, const char *url, const char *json,
		  struct curl_slist **hdrs, struct reply *r)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	char *auth = xasprintf("Authorization: Bearer %s", c->s.token);
	*hdrs = curl_slist_append(NULL, auth);
	memset(auth, 0, strlen(auth));
	free(auth);
	*hdrs = curl_slist_append(*hdrs, "Accept: application/json");
	if (json)
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, request_timeout_ms(c));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "slipway");
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (strcmp(method, "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (json)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	if (c->abort_flag) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	}
	return h;
}

/* One try: any HTTP status is the caller's; a transport failure is an error. */
static int send_once(struct sw_sentry *c, const char *method, const char *url, const char *json, struct reply *r,
		     char **err)
{
	struct curl_slist *hdrs = NULL;
	sbuf_reset(&r->body);
	r->status = 0;
	r->too_big = false;
	CURL *h = easy(c, method, url, json, &hdrs, r);
	if (!h)
		return sentry_fail(c, SW_SENTRY_UNUSABLE, err, "cannot reach Sentry at %s: libcurl could not start", url);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (r->too_big)
		return sentry_fail(c, SW_SENTRY_UNUSABLE, err, "Sentry at %s sent more than %u MiB for %s", url,
				   BODY_MAX >> 20, method);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return sentry_fail(c, SW_SENTRY_UNUSABLE, err, "%s %s: stopped", method, url);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return sentry_fail(c, SW_SENTRY_UNUSABLE, err, "Sentry did not answer %s %s within %.1f s", method, url,
				   request_timeout_ms(c) / 1000.0);
	if (rc != CURLE_OK)
		return sentry_fail(c, SW_SENTRY_UNUSABLE, err, "cannot reach Sentry at %s: %s", url, curl_easy_strerror(rc));
	return 0;
}

/* In slices, so that a client told to stop does not sleep out a rate limit. */
static void sleep_ms(const struct sw_sentry *c, long ms)
{
	while (ms > 0 && !aborted(c)) {
		long slice = ms < 50 ? ms : 50;
		struct timespec ts = {0, slice * 1000000L};
		while (nanosleep(&ts, &ts))
			;
		ms -= slice;
	}
}

/* A 429: waits as Sentry says, within what is left of the bound; 0 to try again. */
static int rate_wait(struct sw_sentry *c, const char *method, const char *url, const struct reply *r,
		     long *waited, char **err)
{
	long ms = sw_sentry_wait_ms(r->reset[0] ? r->reset : NULL, r->retry_after[0] ? r->retry_after : NULL,
				    time(NULL));
	const char *why = r->reset[0] ? "X-Sentry-Rate-Limit-Reset" : r->retry_after[0] ? "Retry-After" : "no reset time given";
	if (ms < 0)
		ms = 1000;
	if (c->quick || *waited + ms > RATE_WAIT_MAX_MS)
		return sentry_fail(c, SW_SENTRY_UNUSABLE, err,
				   "Sentry rate-limited %s %s: it asks to wait %ld s more, beyond slipway's bound of %ld s",
				   method, url, (ms + 999) / 1000, RATE_WAIT_MAX_MS / 1000);
	if (c->note) {
		char *m = xasprintf("Sentry rate-limited %s %s: waiting %ld s (%s)", method, url, (ms + 999) / 1000, why);
		c->note(c->ud, m);
		free(m);
	}
	sleep_ms(c, ms);
	*waited += ms;
	return 0;
}

/* One request with Sentry's manners: 5xx tried again (TRIES_MAX in all,
 * with backoff), 429 waited out (RATE_WAIT_MAX_MS in all).  Any other
 * status is the caller's. */
static int sentry_send(struct sw_sentry *c, const char *method, const char *url, const char *json, struct reply *r,
		       char **err)
{
	long waited = 0, backoff = BACKOFF_MS;
	int tries = 0;
	for (;;) {
		int rc = aborted(c) ? sentry_fail(c, SW_SENTRY_UNUSABLE, err, "%s %s: stopped", method, url)
				    : send_once(c, method, url, json, r, err);
		if (rc)
			return rc;
		if (r->status == 429) {
			if ((rc = rate_wait(c, method, url, r, &waited, err)))
				return rc;
			continue;
		}
		if (r->status < 500 || ++tries >= (c->quick ? 1 : TRIES_MAX))
			return 0;
		sleep_ms(c, backoff);
		backoff *= 2;
	}
}

char *sw_sentry_detail(const char *body, size_t len, long status)
{
	cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "detail"));
	char *out;
	if (d && *d) {
		out = xasprintf("%.200s", d);
	} else if (len) {
		size_t n = 0;
		while (n < len && n < 200 && body[n] != '\r' && body[n] != '\n')
			n++;
		out = xasprintf("%.*s", (int)n, body);
	} else {
		out = xasprintf("HTTP %ld", status);
	}
	cJSON_Delete(j);
	/* Sentry's text reaches a terminal in the message: no escapes in it. */
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, out, strlen(out));
	free(out);
	return sb.buf ? sbuf_detach(&sb) : xstrdup("");
}

/* The one message per refusal; what (e.g. "project acme/web") names what
 * a 404 did not find. */
static int refused(struct sw_sentry *c, const char *method, const char *url, const struct reply *r,
		   const char *what, char **err)
{
	char *d = sw_sentry_detail(r->body.buf, r->body.len, r->status);
	int code = SW_SENTRY_REFUSED;
	if (r->status == 401) {
		sentry_fail(c, SW_SENTRY_UNUSABLE, err, "Sentry refused the token from %s (401 %s) at %s %s",
			    c->s.token_from, d, method, url);
		code = SW_SENTRY_UNUSABLE;
	} else if (r->status == 403) {
		sentry_fail(c, code, err, "Sentry refused %s %s (403: %s): the token lacks the permission", method, url, d);
	} else if (r->status == 404) {
		sentry_fail(c, code, err, "Sentry at %s has no %s (404 on %s %s)", c->s.url, what, method, url);
	} else if (r->status >= 500) {
		code = SW_SENTRY_UNUSABLE;
		int tries = c->quick ? 1 : TRIES_MAX;
		sentry_fail(c, code, err, "Sentry answered %s %s with %ld (%s) %d time%s", method, url, r->status, d,
			    tries, tries == 1 ? "" : "s");
	} else {
		sentry_fail(c, code, err, "Sentry answered %s %s with %ld: %s", method, url, r->status, d);
	}
	free(d);
	return code;
}

static char *escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e ? e : "");
	curl_free(e);
	return out;
}

/* {base}/api/0/{kind}/{org}/...: org and project escaped. */
static char *project_url(const struct sw_sentry *c, const char *tail)
{
	char *o = escape(c->s.org), *p = escape(c->s.project);
	char *u = xasprintf("%s/api/0/projects/%s/%s/%s", c->s.url, o, p, tail);
	free(o);
	free(p);
	return u;
}

static char *org_url(const struct sw_sentry *c, const char *tail)
{
	char *o = escape(c->s.org);
	char *u = xasprintf("%s/api/0/organizations/%s/%s", c->s.url, o, tail);
	free(o);
	return u;
}

/* ---- issues ---- */

/* A copy of s cut at SW_SENTRY_TEXT_MAX bytes on a character boundary. */
static char *cut_text(const char *s)
{
	size_t n = strlen(s);
	if (n <= SW_SENTRY_TEXT_MAX)
		return xstrdup(s);
	n = SW_SENTRY_TEXT_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return xasprintf("%.*s...", (int)n, s);
}

static const char *const required_text[] = {"id", "shortId", "title", "level"};

static char *opt_text(const cJSON *o, const char *key)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	return cut_text(v ? v : "");
}

/* NULL when o is an issue, else the name of the first field it lacks. */
static const char *issue_read(const cJSON *o, struct sw_sentry_issue *i)
{
	for (size_t k = 0; k < sizeof required_text / sizeof *required_text; k++)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, required_text[k])))
			return required_text[k];
	if (!sw_sentry_json_count(cJSON_GetObjectItemCaseSensitive(o, "count"), &i->count))
		return "count";
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "userCount");
	if (!sw_sentry_json_count(u, &i->user_count))
		return "userCount";
	i->id = opt_text(o, "id");
	i->short_id = opt_text(o, "shortId");
	i->title = opt_text(o, "title");
	i->level = opt_text(o, "level");
	i->culprit = opt_text(o, "culprit");
	i->status = opt_text(o, "status");
	i->permalink = opt_text(o, "permalink");
	i->first_seen = opt_text(o, "firstSeen");
	i->last_seen = opt_text(o, "lastSeen");
	return NULL;
}

static void issue_free(struct sw_sentry_issue *i)
{
	free(i->id);
	free(i->short_id);
	free(i->title);
	free(i->culprit);
	free(i->level);
	free(i->status);
	free(i->permalink);
	free(i->first_seen);
	free(i->last_seen);
}

void sw_sentry_issue_list_free(struct sw_sentry_issue_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		issue_free(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

cJSON *sw_sentry_issue_to_json(const struct sw_sentry_issue *i)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", i->id);
	cJSON_AddStringToObject(o, "shortId", i->short_id);
	cJSON_AddStringToObject(o, "title", i->title);
	cJSON_AddStringToObject(o, "culprit", i->culprit);
	cJSON_AddStringToObject(o, "level", i->level);
	cJSON_AddStringToObject(o, "status", i->status);
	cJSON_AddNumberToObject(o, "count", (double)i->count);
	cJSON_AddNumberToObject(o, "userCount", (double)i->user_count);
	cJSON_AddStringToObject(o, "firstSeen", i->first_seen);
	cJSON_AddStringToObject(o, "lastSeen", i->last_seen);
	cJSON_AddStringToObject(o, "permalink", i->permalink);
	return o;
}

int sw_sentry_page_read(const struct sw_sentry *c, const char *url, const char *body, size_t len, size_t room,
			struct sw_sentry_issue_list *out, char **err)
{
	cJSON *j = cJSON_ParseWithLength(body ? body : "", len);
	if (!cJSON_IsArray(j)) {
		cJSON_Delete(j);
		return sentry_fail(c, SW_SENTRY_UNUSABLE, err, "Sentry answered GET %s with something that is not "
				   "a JSON list of issues", url);
	}
	size_t n = (size_t)cJSON_GetArraySize(j), k = 0;
	out->items = xrealloc(out->items, (out->n + n + 1) * sizeof *out->items);
	const cJSON *o;
	cJSON_ArrayForEach(o, j)
	{
		if (k == room)
			break;
		struct sw_sentry_issue *i = &out->items[out->n];
		memset(i, 0, sizeof *i);
		const char *lacks = issue_read(o, i);
		if (lacks) {
			cJSON_Delete(j);
			return sentry_fail(c, SW_SENTRY_UNUSABLE, err, "Sentry sent an issue without \"%s\" (item %zu of "
					   "GET %s)", lacks, k + 1, url);
		}
		out->n++;
		k++;
	}
	if (k < n)
		out->more = true;
	cJSON_Delete(j);
	return 0;
}

static char *issues_url(const struct sw_sentry *c, const struct sw_sentry_query *q, size_t per_page,
			const char *cursor)
{
	const char *status = q->status ? q->status : "unresolved";
	char *query = q->level ? xasprintf("is:%s level:%s", status, q->level) : xasprintf("is:%s", status);
	char *eq = escape(query), *es = escape(q->sort ? q->sort : "date");
	char *ec = cursor ? escape(cursor) : NULL;
	char *tail = xasprintf("issues/?query=%s&statsPeriod=&sort=%s&limit=%zu%s%s", eq, es, per_page,
			       ec ? "&cursor=" : "", ec ? ec : "");
	char *u = project_url(c, tail);
	free(query);
	free(eq);
	free(es);
	free(ec);
	free(tail);
	return u;
}

static char *project_name(const struct sw_sentry *c)
{
	return xasprintf("project %s/%s (check SENTRY_ORG and SENTRY_PROJECT, or \"sentry\" in main's slipway.json)",
			 c->s.org, c->s.project);
}

/* One page into out; *cursor becomes the next one, or NULL at the end. */
static int issues_page(struct sw_sentry *c, const struct sw_sentry_query *q, size_t limit, char **cursor,
		       struct sw_sentry_issue_list *out, char **err)
{
	size_t room = limit - out->n;
	char *url = issues_url(c, q, room < PAGE_MAX ? room : PAGE_MAX, *cursor);
	struct reply r = {0};
	sbuf_init(&r.body);
	int rc = sentry_send(c, "GET", url, NULL, &r, err);
	if (!rc && r.status != 200) {
		char *what = project_name(c);
		rc = refused(c, "GET", url, &r, what, err);
		/* A wrong org or project is the configuration's fault. */
		if (r.status == 404)
			rc = SW_SENTRY_UNUSABLE;
		free(what);
	}
	if (!rc)
		rc = sw_sentry_page_read(c, url, r.body.buf, r.body.len, room, out, err);
	free(*cursor);
	*cursor = rc ? NULL : sw_sentry_link_next(r.link);
	free(url);
	sbuf_free(&r.body);
	return rc;
}

bool sw_sentry_issue_new_since(const struct sw_sentry_issue *i, time_t since)
{
	time_t first = sw_sentry_time(i->first_seen);
	return since > 0 && first >= since;
}

size_t sw_sentry_count_new_since(const struct sw_sentry_issue *items, size_t n, time_t since)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += sw_sentry_issue_new_since(&items[i], since);
	return k;
}

static bool wanted(const struct sw_sentry_query *q, const struct sw_sentry_issue *i)
{
	if (q->first_seen_after && !sw_sentry_issue_new_since(i, q->first_seen_after))
		return false;
	if (q->first_seen_before && sw_sentry_issue_new_since(i, q->first_seen_before))
		return false;
	return !q->last_seen_after || sw_sentry_time(i->last_seen) >= q->last_seen_after;
}

/* Keeps, in order, the issues the query wants; the rest are freed.
 * Returns how many are kept. */
static size_t keep_wanted(const struct sw_sentry_query *q, struct sw_sentry_issue *items, size_t n)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (wanted(q, &items[i]))
			items[kept++] = items[i];
		else
			issue_free(&items[i]);
	}
	return kept;
}

/* Sorted by the time a lower bound is on (newest first), a page whose last
 * issue is older than the bound is the last one worth reading. */
static bool past_the_bound(const struct sw_sentry_query *q, const struct sw_sentry_issue *page, size_t n)
{
	const char *sort = q->sort ? q->sort : "date";
	if (!n)
		return false;
	if (q->first_seen_after && !strcmp(sort, "new"))
		return !sw_sentry_issue_new_since(&page[n - 1], q->first_seen_after);
	return q->last_seen_after && !strcmp(sort, "date") && sw_sentry_time(page[n - 1].last_seen) < q->last_seen_after;
}

int sw_sentry_issues(struct sw_sentry *c, const struct sw_sentry_query *q, sw_sentry_page_fn fn, void *ud,
		     struct sw_sentry_issue_list *out, char **err)
{
	memset(out, 0, sizeof *out);
	size_t limit = q->limit ? q->limit : LIMIT_DEFAULT;
	bool filtered = q->first_seen_after || q->last_seen_after || q->first_seen_before;
	char *cursor = NULL;
	int rc;
	do {
		size_t before = out->n;
		rc = issues_page(c, q, limit, &cursor, out, err);
		size_t got = out->n - before;
		if (!rc && past_the_bound(q, out->items + before, got)) {
			free(cursor);
			cursor = NULL;
		}
		if (!rc && filtered)
			out->n = before + keep_wanted(q, out->items + before, got);
		if (!rc && fn && fn(ud, out->items + before, out->n - before))
			break;
	} while (!rc && cursor && out->n < limit && !q->one_page);
	if (!rc && cursor)
		out->more = true;
	free(cursor);
	if (rc)
		sw_sentry_issue_list_free(out);
	return rc;
}

/* ---- an issue's latest event ---- */

static const char *str_of(const cJSON *o, const char *key)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	return v && *v ? v : NULL;
}

static void frame_read(const cJSON *f, struct sw_sentry_frame *out)
{
	const char *file = str_of(f, "filename");
	if (!file)
		file = str_of(f, "module");
	if (!file)
		file = str_of(f, "absPath");
	out->filename = cut_text(file ? file : "");
	out->function = opt_text(f, "function");
	const cJSON *ln = cJSON_GetObjectItemCaseSensitive(f, "lineNo");
	out->line = cJSON_IsNumber(ln) && ln->valuedouble >= 1 && ln->valuedouble < 1e9 ? (long)ln->valuedouble : 0;
	out->in_app = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "inApp"));
}

/* The innermost SW_SENTRY_FRAMES_MAX frames of one exception; none is no error. */
static const char *exception_read(const cJSON *v, struct sw_sentry_exception *e)
{
	e->type = opt_text(v, "type");
	e->value = opt_text(v, "value");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(v, "stacktrace");
	if (!st || cJSON_IsNull(st))
		return NULL;
	const cJSON *frames = cJSON_GetObjectItemCaseSensitive(st, "frames");
	if (!cJSON_IsObject(st) || (frames && !cJSON_IsNull(frames) && !cJSON_IsArray(frames)))
		return "stacktrace.frames";
	size_t n = (size_t)cJSON_GetArraySize(frames), i = 0;
	e->omitted = n > SW_SENTRY_FRAMES_MAX ? n - SW_SENTRY_FRAMES_MAX : 0;
	e->frames = xcalloc(n - e->omitted + 1, sizeof *e->frames);
	const cJSON *f;
	cJSON_ArrayForEach(f, frames)
	{
		if (i++ < e->omitted)
			continue;
		if (!cJSON_IsObject(f))
			return "stacktrace.frames[]";
		frame_read(f, &e->frames[e->nframes++]);
	}
	return NULL;
}

/* The values of the event's first exception entry; NULL when it has none. */
static const cJSON *exception_values(const cJSON *entries, const char **lacks)
{
	const cJSON *en;
	cJSON_ArrayForEach(en, entries)
	{
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(en, "type"));
		if (!type || strcmp(type, "exception"))
			continue;
		const cJSON *values = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(en, "data"), "values");
		if (!cJSON_IsArray(values))
			*lacks = "entries[].data.values";
		return values;
	}
	return NULL;
}

const char *sw_sentry_event_read(const cJSON *j, struct sw_sentry_event *out)
{
	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(j))
		return "an event object";
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(j, "entries");
	if (!cJSON_IsArray(entries))
		return "entries";
	const char *id = str_of(j, "eventID");
	out->id = cut_text(id ? id : str_of(j, "id") ? str_of(j, "id") : "");
	out->date = opt_text(j, "dateCreated");
	const char *lacks = NULL;
	const cJSON *values = exception_values(entries, &lacks);
	if (lacks || !values) {
		if (lacks)
			sw_sentry_event_free(out);
		return lacks;
	}
	size_t n = (size_t)cJSON_GetArraySize(values), i = 0;
	out->omitted = n > SW_SENTRY_EXCEPTIONS_MAX ? n - SW_SENTRY_EXCEPTIONS_MAX : 0;
	out->exceptions = xcalloc(n - out->omitted + 1, sizeof *out->exceptions);
	const cJSON *v;
	cJSON_ArrayForEach(v, values)
	{
		if (i++ < out->omitted)
			continue;
		lacks = cJSON_IsObject(v) ? exception_read(v, &out->exceptions[out->n]) : "entries[].data.values[]";
		out->n++;
		if (lacks) {
			sw_sentry_event_free(out);
			return lacks;
		}
	}
	return NULL;
}

void sw_sentry_event_free(struct sw_sentry_event *e)
{
	for (size_t i = 0; i < e->n; i++) {
		struct sw_sentry_exception *x = &e->exceptions[i];
		for (size_t k = 0; k < x->nframes; k++) {
			free(x->frames[k].filename);
			free(x->frames[k].function);
		}
		free(x->frames);
		free(x->type);
		free(x->value);
	}
	free(e->exceptions);
	free(e->id);
	free(e->date);
	memset(e, 0, sizeof *e);
}

/* A value may span lines; each line of the text is one thing. */
static void add_flat(struct sbuf *out, const char *s)
{
	for (; *s; s++)
		sbuf_addc(out, *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void frame_text(const struct sw_sentry_frame *f, struct sbuf *out)
{
	sbuf_adds(out, "    ");
	add_flat(out, *f->filename ? f->filename : "?");
	if (f->line)
		sbuf_addf(out, ":%ld", f->line);
	sbuf_adds(out, " in ");
	add_flat(out, *f->function ? f->function : "?");
	sbuf_adds(out, f->in_app ? " (in app)\n" : "\n");
}

void sw_sentry_event_text(const struct sw_sentry_event *e, struct sbuf *out)
{
	sbuf_adds(out, "latest event ");
	add_flat(out, *e->id ? e->id : "?");
	if (*e->date) {
		sbuf_adds(out, ", ");
		add_flat(out, e->date);
	}
	sbuf_addc(out, '\n');
	if (!e->n)
		sbuf_adds(out, "  no stack frames: the event holds no exception\n");
	if (e->omitted)
		sbuf_addf(out, "  (%zu earlier exception%s of the chain not shown)\n", e->omitted, e->omitted == 1 ? "" : "s");
	for (size_t i = 0; i < e->n; i++) {
		const struct sw_sentry_exception *x = &e->exceptions[i];
		sbuf_adds(out, "  ");
		add_flat(out, *x->type ? x->type : "exception");
		if (*x->value) {
			sbuf_adds(out, ": ");
			add_flat(out, x->value);
		}
		sbuf_addc(out, '\n');
		if (!x->nframes)
			sbuf_adds(out, "    no stack frames\n");
		if (x->omitted)
			sbuf_addf(out, "    (%zu outer frame%s not shown)\n", x->omitted, x->omitted == 1 ? "" : "s");
		for (size_t k = 0; k < x->nframes; k++)
			frame_text(&x->frames[k], out);
	}
}

int sw_sentry_latest_event(struct sw_sentry *c, const char *issue_id, struct sw_sentry_event *out, char **err)
{
	memset(out, 0, sizeof *out);
	char *eid = escape(issue_id);
	char *tail = xasprintf("issues/%s/events/latest/", eid);
	char *url = org_url(c, tail);
	struct reply r = {0};
	sbuf_init(&r.body);
	int rc = sentry_send(c, "GET", url, NULL, &r, err);
	if (!rc && r.status != 200) {
		char *what = xasprintf("latest event of issue %s", issue_id);
		rc = refused(c, "GET", url, &r, what, err);
		free(what);
	}
	if (!rc) {
		cJSON *j = cJSON_ParseWithLength(r.body.buf ? r.body.buf : "", r.body.len);
		const char *lacks = j ? sw_sentry_event_read(j, out) : NULL;
		if (!j)
			rc = sentry_fail(c, SW_SENTRY_UNUSABLE, err, "Sentry answered GET %s with something that is not JSON",
					 url);
		else if (lacks)
			rc = sentry_fail(c, SW_SENTRY_UNUSABLE, err, "Sentry sent an event without %s (GET %s)", lacks, url);
		cJSON_Delete(j);
	}
	sbuf_free(&r.body);
	free(url);
	free(tail);
	free(eid);
	return rc;
}

/* ---- triage ---- */

int sw_sentry_issue_id(struct sw_sentry *c, const char *ref, char **id, char **err)
{
	*id = NULL;
	if (all_digits(ref)) {
		*id = xstrdup(ref);
		return 0;
	}
	char *eq = escape(ref);
	char *tail = xasprintf("issues/?query=%s&shortIdLookup=1&statsPeriod=&limit=%d", eq, PAGE_MAX);
	char *url = project_url(c, tail);
	free(eq);
	free(tail);
	struct reply r = {0};
	sbuf_init(&r.body);
	struct sw_sentry_issue_list l = {0};
	int rc = sentry_send(c, "GET", url, NULL, &r, err);
	if (!rc && r.status != 200) {
		char *what = project_name(c);
		rc = refused(c, "GET", url, &r, what, err);
		free(what);
	}
	if (!rc)
		rc = sw_sentry_page_read(c, url, r.body.buf, r.body.len, PAGE_MAX, &l, err);
	for (size_t i = 0; !rc && i < l.n && !*id; i++)
		if (!strcasecmp(l.items[i].short_id, ref))
			*id = xstrdup(l.items[i].id);
	if (!rc && !*id)
		rc = sentry_fail(c, SW_SENTRY_REFUSED, err, "Sentry project %s/%s has no issue %s", c->s.org,
				 c->s.project, ref);
	sw_sentry_issue_list_free(&l);
	sbuf_free(&r.body);
	free(url);
	return rc;
}

/* A write of body to url; any 2xx is success (releases answer 201 or 208). */
static int sentry_write(struct sw_sentry *c, const char *method, const char *url, cJSON *body, const char *what,
			long *status, char **err)
{
	char *json = cJSON_PrintUnformatted(body);
	struct reply r = {0};
	sbuf_init(&r.body);
	int rc = sentry_send(c, method, url, json, &r, err);
	*status = r.status;
	if (!rc && (r.status < 200 || r.status > 299))
		rc = refused(c, method, url, &r, what, err);
	free(json);
	sbuf_free(&r.body);
	return rc;
}

int sw_sentry_issue_set_status(struct sw_sentry *c, const char *id, const char *status, char **err)
{
	char *eid = escape(id);
	char *tail = xasprintf("issues/%s/", eid);
	char *url = org_url(c, tail);
	char *what = xasprintf("issue %s in organization %s", id, c->s.org);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "status", status);
	long st;
	int rc = sentry_write(c, "PUT", url, body, what, &st, err);
	cJSON_Delete(body);
	free(what);
	free(url);
	free(tail);
	free(eid);
	return rc;
}

/* ---- releases ---- */

int sw_sentry_release(struct sw_sentry *c, const char *version, bool *existed, char **err)
{
	char *url = org_url(c, "releases/");
	char *what = xasprintf("organization %s", c->s.org);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "version", version);
	cJSON *projects = cJSON_AddArrayToObject(body, "projects");
	cJSON_AddItemToArray(projects, cJSON_CreateString(c->s.project));
	long st = 0;
	int rc = sentry_write(c, "POST", url, body, what, &st, err);
	*existed = rc == 0 && st == 208;
	cJSON_Delete(body);
	free(what);
	free(url);
	return rc;
}

int sw_sentry_deploy(struct sw_sentry *c, const char *version, const char *env, time_t started, time_t finished,
		     char **err)
{
	char *ev = escape(version);
	char *tail = xasprintf("releases/%s/deploys/", ev);
	char *url = org_url(c, tail);
	char *what = xasprintf("release %s in organization %s", version, c->s.org);
	char t0[32], t1[32];
	sw_iso_time(started, t0);
	sw_iso_time(finished, t1);
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "environment", env);
	cJSON_AddStringToObject(body, "dateStarted", t0);
	cJSON_AddStringToObject(body, "dateFinished", t1);
	long st;
	int rc = sentry_write(c, "POST", url, body, what, &st, err);
	cJSON_Delete(body);
	free(what);
	free(url);
	free(tail);
	free(ev);
	return rc;
}
