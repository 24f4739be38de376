/* The container engine client (see slipway/docker.h): requests over libcurl
 * to a unix socket or TCP, bodies read with cJSON, parallel transfers with
 * a curl multi handle where the docker CLI would use one goroutine each. */
#include "slipway/docker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "slipway/config.h"
#include "slipway/run.h"

/* The newest API version this client was written against, and the oldest
 * it can speak: fields used here exist since 1.25 (Health, RestartCount). */
#define API_MAX_MAJOR 1
#define API_MAX_MINOR 43
#define API_MIN_MINOR 25

#define CONNECT_TIMEOUT_MS 3000L
/* A request that is not a stream; a hung engine must not hang the caller. */
#define REQUEST_TIMEOUT_MS 30000L
/* dockerd answers a stats request at its next collection tick (once a
 * second): the requests of one round go out together, or each batch would
 * cost a second. */
#define PARALLEL_MAX 128
#define FRAME_MAX (16u << 20)
/* Between the two samples CPU % is computed from. */
#define STATS_GAP_MS 300

struct sw_docker {
	char *host;		/* as given: unix:///path or tcp://host:port */
	char *socket;		/* the unix socket's path, or NULL */
	char *base;		/* http://localhost or http://host:port */
	char api[16];
	char *engine;
	bool podman;
};

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (err) {
		free(*err);
		*err = msg;
	} else {
		free(msg);
	}
	return -1;
}

const char *sw_docker_host_pick(const char *config_host)
{
	const char *env = getenv("DOCKER_HOST");
	if (env && *env)
		return env;
	if (config_host && *config_host)
		return config_host;
	return "unix:///var/run/docker.sock";
}

const char *sw_docker_host(const struct sw_docker *d) { return d->host; }
const char *sw_docker_engine(const struct sw_docker *d) { return d->engine; }
const char *sw_docker_api(const struct sw_docker *d) { return d->api; }
bool sw_docker_is_podman(const struct sw_docker *d) { return d->podman; }

const char *sw_health_name(enum sw_health h)
{
	static const char *const names[] = {"", "starting", "healthy", "unhealthy"};
	return names[h];
}

const char *sw_docker_action_name(enum sw_docker_action a)
{
	static const char *const names[] = {"start", "stop", "restart"};
	return names[a];
}

/* The stop flags are set by another thread or a signal handler. */
static bool asked_to_stop(volatile int *stop)
{
	return stop && __atomic_load_n(stop, __ATOMIC_SEQ_CST) != 0;
}

/* ---- transport ---- */

/* curl's own text for a failed connect says "localhost port 80", which is
 * not where the user's engine is: for a unix socket, connect first and
 * report the errno of that. */
static int probe_socket(const char *host, const char *path, char **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return fail(err, "cannot reach the container engine at %s: the socket path is longer than %zu bytes",
			    host, sizeof sa.sun_path - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, "cannot reach the container engine at %s: %s", host, strerror(errno));
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	int e = errno;
	close(fd);
	if (rc == 0)
		return 0;
	if (e == EACCES || e == EPERM)
		return fail(err, "cannot reach the container engine at %s: %s (is your user in the docker group? "
			    "sudo usermod -aG docker $USER, then log in again)", host, strerror(e));
	if (e == ECONNREFUSED)
		return fail(err, "cannot reach the container engine at %s: %s (the socket exists but no engine "
			    "listens: is dockerd or podman system service running?)", host, strerror(e));
	return fail(err, "cannot reach the container engine at %s: %s", host, strerror(e));
}

static int parse_host(struct sw_docker *d, const char *host, char **err)
{
	if (!strncmp(host, "unix://", 7)) {
		if (host[7] != '/')
			return fail(err, "container engine address %s: a unix socket needs an absolute path "
				    "(unix:///var/run/docker.sock)", host);
		d->socket = xstrdup(host + 7);
		d->base = xstrdup("http://localhost");
		return 0;
	}
	if (!strncmp(host, "tcp://", 6) || !strncmp(host, "http://", 7)) {
		const char *hp = strchr(host, '/') + 2;
		size_t n = strcspn(hp, "/");
		if (n == 0)
			return fail(err, "container engine address %s: no host after the scheme", host);
		d->base = xasprintf("http://%.*s", (int)n, hp);
		return 0;
	}
	if (!strncmp(host, "ssh://", 6))
		return fail(err, "container engine address %s: ssh:// is not supported here; run slipway on that "
			    "host, or forward its socket (ssh -L /tmp/docker.sock:/var/run/docker.sock)", host);
	return fail(err, "container engine address %s: expected unix:///PATH or tcp://HOST:PORT", host);
}

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
	sbuf_add(ud, data, size * n);
	return size * n;
}

static CURL *easy(const struct sw_docker *d, const char *method, const char *path)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	char *url = xasprintf("%s%s%s%s", d->base, d->api[0] ? "/v" : "", d->api, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	free(url);
	if (d->socket)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "slipway");
	if (strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (!strcmp(method, "POST")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
		}
	}
	return c;
}

/* The engine's {"message": ...} of an error body, else the body itself
 * (cut), else the status. */
static char *engine_message(const struct sbuf *body, long status)
{
	cJSON *j = body->len ? cJSON_ParseWithLength(body->buf, body->len) : NULL;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
	char *out;
	if (cJSON_IsString(m) && *m->valuestring) {
		out = xstrdup(m->valuestring);
	} else if (body->len) {
		size_t n = strcspn(body->buf, "\n");
		out = xasprintf("%.*s", (int)(n > 200 ? 200 : n), body->buf);
	} else {
		out = xasprintf("HTTP %ld", status);
	}
	cJSON_Delete(j);
	return out;
}

static int transport_error(const struct sw_docker *d, CURLcode rc, const char *what, char **err)
{
	if (d->socket && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) &&
	    probe_socket(d->host, d->socket, err))
		return -1;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return fail(err, "the container engine at %s did not answer %s in time", d->host, what);
	if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING)
		return fail(err, "the container engine at %s stopped in the middle of %s: %s", d->host, what,
			    curl_easy_strerror(rc));
	return fail(err, "cannot reach the container engine at %s: %s", d->host, curl_easy_strerror(rc));
}

/* One request; the body into out (may be NULL), the status into *status.
 * A transport failure is an error; any HTTP status is left to the caller. */
static int request(struct sw_docker *d, const char *method, const char *path, struct sbuf *out, long *status,
		   char **err)
{
	struct sbuf sink;
	sbuf_init(&sink);
	CURL *c = easy(d, method, path);
	if (!c)
		return fail(err, "cannot reach the container engine at %s: libcurl could not start", d->host);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	sbuf_free(&sink);
	if (rc != CURLE_OK) {
		char *what = xasprintf("%s %s", method, path);
		transport_error(d, rc, what, err);
		free(what);
		return -1;
	}
	return 0;
}

/* A GET whose 200 body is JSON; anything else is an error naming path. */
static cJSON *get_json(struct sw_docker *d, const char *path, long *status_out, char **err)
{
	struct sbuf body;
	sbuf_init(&body);
	long status = 0;
	cJSON *j = NULL;
	if (request(d, "GET", path, &body, &status, err) == 0) {
		if (status == 200) {
			j = cJSON_ParseWithLength(body.buf ? body.buf : "", body.len);
			if (!j)
				fail(err, "the container engine at %s answered GET %s with something that is not JSON",
				     d->host, path);
		} else {
			char *m = engine_message(&body, status);
			fail(err, "the container engine at %s answered GET %s with %ld: %s", d->host, path, status, m);
			free(m);
		}
	}
	if (status_out)
		*status_out = status;
	sbuf_free(&body);
	return j;
}

/* ---- version ---- */

static bool parse_api(const char *s, int *major, int *minor)
{
	return s && sscanf(s, "%d.%d", major, minor) == 2;
}

/* Settles the API version: the engine's own (at most API_MAX), refused
 * when older than API_MIN or when the engine wants newer than API_MAX. */
static int settle_api(struct sw_docker *d, const char *api, const char *min)
{
	int major, minor, min_major = 1, min_minor = API_MIN_MINOR;
	if (!parse_api(api, &major, &minor))
		return -1;
	if (parse_api(min, &min_major, &min_minor) &&
	    (min_major > API_MAX_MAJOR || (min_major == API_MAX_MAJOR && min_minor > API_MAX_MINOR)))
		return -2;
	if (major < 1 || (major == 1 && minor < API_MIN_MINOR))
		return -3;
	if (major > API_MAX_MAJOR || (major == API_MAX_MAJOR && minor > API_MAX_MINOR)) {
		major = API_MAX_MAJOR;
		minor = API_MAX_MINOR;
	}
	snprintf(d->api, sizeof d->api, "%d.%d", major, minor);
	return 0;
}

static int api_error(struct sw_docker *d, int why, const char *api, const char *min, char **err)
{
	if (why == -2)
		return fail(err, "the container engine at %s needs API %s or newer; slipway speaks up to %d.%d", d->host,
			    min, API_MAX_MAJOR, API_MAX_MINOR);
	if (why == -3)
		return fail(err, "the container engine at %s speaks API %s; slipway needs 1.%d or newer", d->host, api,
			    API_MIN_MINOR);
	return fail(err, "%s does not look like a container engine: it tells no API version", d->host);
}

/* The slow way, for an engine whose /_ping tells no version: /version
 * (podman takes half a second to answer it). */
static int negotiate_version(struct sw_docker *d, char **err)
{
	long status = 0;
	cJSON *v = get_json(d, "/version", &status, err);
	if (!v && status && status != 200)
		return fail(err, "%s does not look like a container engine: GET /version answered %ld", d->host, status);
	if (!v)
		return -1;
	const char *api = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "ApiVersion"));
	const char *min = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "MinAPIVersion"));
	int why = settle_api(d, api, min);
	if (why) {
		api_error(d, why, api, min, err);
		cJSON_Delete(v);
		return -1;
	}
	const char *name = "Docker Engine";
	const char *version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "Version"));
	const cJSON *comp;
	cJSON_ArrayForEach(comp, cJSON_GetObjectItemCaseSensitive(v, "Components"))
	{
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(comp, "Name"));
		if (n && strstr(n, "Podman")) {
			d->podman = true;
			name = "Podman Engine";
			const char *pv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(comp, "Version"));
			if (pv)
				version = pv;
		}
	}
	free(d->engine);
	d->engine = xasprintf("%s %s", name, version ? version : "");
	cJSON_Delete(v);
	return 0;
}

struct ping {
	char api[16];
	char server[128];
};

static size_t ping_header(char *data, size_t size, size_t n, void *ud)
{
	struct ping *p = ud;
	size_t len = size * n;
	const char *const keys[] = {"api-version:", "server:"};
	char *const dst[] = {p->api, p->server};
	size_t cap[] = {sizeof p->api, sizeof p->server};
	for (int k = 0; k < 2; k++) {
		size_t kl = strlen(keys[k]);
		if (len <= kl || strncasecmp(data, keys[k], kl))
			continue;
		const char *v = data + kl, *end = data + len;
		while (v < end && *v == ' ')
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		snprintf(dst[k], cap[k], "%.*s", (int)(end - v), v);
	}
	return len;
}

/* As the docker CLI does: the engine's API version from /_ping's headers,
 * its name and version from the Server header ("Docker/20.10.24 (linux)",
 * "Libpod/4.3.1 (linux)"). */
static int negotiate(struct sw_docker *d, char **err)
{
	struct ping p = {{0}, {0}};
	struct sbuf body;
	sbuf_init(&body);
	/* Before the version is settled, easy() asks the unversioned path. */
	CURL *c = easy(d, "GET", "/_ping");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ping_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &p);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	bool ok = body.len >= 2 && !strncmp(body.buf, "OK", 2);
	sbuf_free(&body);
	if (rc != CURLE_OK)
		return transport_error(d, rc, "GET /_ping", err);
	if (status != 200 || !ok)
		return fail(err, "%s does not look like a container engine: GET /_ping answered %ld", d->host, status);
	if (!p.api[0])
		return negotiate_version(d, err);
	int why = settle_api(d, p.api, NULL);
	if (why)
		return api_error(d, why, p.api, NULL, err);
	const char *slash = strchr(p.server, '/');
	size_t vl = slash ? strcspn(slash + 1, " ") : 0;
	if (!strncmp(p.server, "Libpod/", 7)) {
		d->podman = true;
		d->engine = xasprintf("Podman Engine %.*s", (int)vl, slash + 1);
	} else if (slash) {
		d->engine = xasprintf("Docker Engine %.*s", (int)vl, slash + 1);
	} else {
		d->engine = xstrdup("Docker Engine");
	}
	return 0;
}

/* "unix://~/PATH" is a socket under $HOME: a per-user engine (the demo's)
 * that one slipway.json can name for every user. */
static char *home_host(const char *host)
{
	const char *home = getenv("HOME");
	if (strncmp(host, "unix://~/", 9) || !home || home[0] != '/')
		return xstrdup(host);
	return xasprintf("unix://%s%s%s", home, home[strlen(home) - 1] == '/' ? "" : "/", host + 9);
}

int sw_docker_open(const char *host, struct sw_docker **out, char **err)
{
	static bool global;
	if (!global) {
		/* Once per process, before any thread: curl_global_init is not
		 * thread-safe on this libcurl. */
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global = true;
	}
	*out = NULL;
	struct sw_docker *d = xcalloc(1, sizeof *d);
	d->host = home_host(host);
	host = d->host;
	if (parse_host(d, host, err) || (d->socket && probe_socket(host, d->socket, err)) || negotiate(d, err)) {
		sw_docker_close(d);
		return -1;
	}
	*out = d;
	return 0;
}

int sw_docker_open_repo(struct sw_repo *repo, struct sw_docker **out, char **err)
{
	const char *env = getenv("DOCKER_HOST");
	if ((env && *env) || !repo)
		return sw_docker_open(sw_docker_host_pick(NULL), out, err);
	struct sw_config cfg;
	char *e = NULL;
	if (sw_project_config(repo, &cfg, &e) != SW_OK) {
		/* The one message for a repository without a slipway.json:
		 * nothing names another engine, so docker's default it is. */
		bool absent = e && !strncmp(e, "no slipway.json", 15);
		*out = NULL;
		if (!absent) {
			fail(err, "%s (it says where the container engine is: docker.host)", e);
			free(e);
			return -1;
		}
		free(e);
		return sw_docker_open(sw_docker_host_pick(NULL), out, err);
	}
	int rc = sw_docker_open(sw_docker_host_pick(cfg.docker_host), out, err);
	sw_config_free(&cfg);
	return rc;
}

void sw_docker_close(struct sw_docker *d)
{
	if (!d)
		return;
	free(d->host);
	free(d->socket);
	free(d->base);
	free(d->engine);
	free(d);
}

/* ---- parallel transfers ---- */

struct xfer {
	CURL *c;
	struct sbuf body;
	CURLcode rc;
	long status;
	bool done;
};

/* Runs n transfers (each set up by the caller, write callback included)
 * at most PARALLEL_MAX at once, until all are done or *stop. */
static void run_parallel(struct xfer *x, size_t n, size_t max, volatile int *stop)
{
	CURLM *m = curl_multi_init();
	size_t next = 0, active = 0;
	while (next < n || active) {
		while (next < n && active < max) {
			curl_easy_setopt(x[next].c, CURLOPT_PRIVATE, &x[next]);
			curl_multi_add_handle(m, x[next].c);
			next++;
			active++;
		}
		int running = 0;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *t;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			t->rc = msg->data.result;
			t->done = true;
			curl_easy_getinfo(t->c, CURLINFO_RESPONSE_CODE, &t->status);
			curl_multi_remove_handle(m, t->c);
			active--;
		}
		if (asked_to_stop(stop))
			break;
		if (active)
			curl_multi_poll(m, NULL, 0, 200, NULL);
	}
	for (size_t i = 0; i < next; i++)
		if (!x[i].done)
			curl_multi_remove_handle(m, x[i].c);
	curl_multi_cleanup(m);
}

/* ---- containers ---- */

/* RFC 3339 with optional fraction and zone ("2026-12-01T15:30:00.1234Z",
 * "...+01:00"); 0 for docker's zero time or anything else. */
static int64_t parse_time(const char *s)
{
	struct tm tm = {0};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p || tm.tm_year < 71)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	int64_t t = timegm(&tm);
	if ((*p == '+' || *p == '-') && p[1] && p[2] && p[3] == ':') {
		int hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = atoi(p + 4);
		int64_t off = hh * 3600 + mm * 60;
		t += *p == '+' ? -off : off;
	}
	return t;
}

static const char *jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void ports_text(const cJSON *ports, struct sbuf *sb)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, ports)
	{
		const char *type = jstr(p, "Type");
		const char *ip = jstr(p, "IP");
		long priv = (long)jnum(p, "PrivatePort"), pub = (long)jnum(p, "PublicPort");
		if (sb->len)
			sbuf_adds(sb, ", ");
		if (pub)
			sbuf_addf(sb, "%s%s%ld->", ip && *ip ? ip : "", ip && *ip ? ":" : "", pub);
		sbuf_addf(sb, "%ld/%s", priv, type ? type : "tcp");
	}
}

static void from_summary(struct sw_container *c, const cJSON *s)
{
	const char *id = jstr(s, "Id");
	snprintf(c->id, sizeof c->id, "%s", id ? id : "");
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(s, "Names");
	const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(names, 0));
	c->name = xstrdup(name ? name + (*name == '/') : c->id);
	c->image = xstrdup(jstr(s, "Image") ? jstr(s, "Image") : "");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(s, "Labels");
	c->project = xstrdup_null(jstr(labels, "com.docker.compose.project"));
	c->service = xstrdup_null(jstr(labels, "com.docker.compose.service"));
	c->state = xstrdup(jstr(s, "State") ? jstr(s, "State") : "unknown");
	c->created = (int64_t)jnum(s, "Created");
	struct sbuf sb;
	sbuf_init(&sb);
	ports_text(cJSON_GetObjectItemCaseSensitive(s, "Ports"), &sb);
	c->ports = sb.buf ? sbuf_detach(&sb) : xstrdup("");
}

static enum sw_health health_of(const char *s)
{
	if (!s)
		return SW_HEALTH_NONE;
	if (!strcmp(s, "starting"))
		return SW_HEALTH_STARTING;
	if (!strcmp(s, "healthy"))
		return SW_HEALTH_HEALTHY;
	if (!strcmp(s, "unhealthy"))
		return SW_HEALTH_UNHEALTHY;
	return SW_HEALTH_NONE;
}

static void from_inspect(struct sw_container *c, const cJSON *j)
{
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(j, "State");
	const char *st = jstr(state, "Status");
	if (st) {
		free(c->state);
		c->state = xstrdup(st);
	}
	c->exit_code = (int)jnum(state, "ExitCode");
	c->started = parse_time(jstr(state, "StartedAt"));
	c->finished = parse_time(jstr(state, "FinishedAt"));
	c->health = health_of(jstr(cJSON_GetObjectItemCaseSensitive(state, "Health"), "Status"));
	c->restarts = (int)jnum(j, "RestartCount");
	const char *mode = jstr(cJSON_GetObjectItemCaseSensitive(j, "HostConfig"), "NetworkMode");
	c->host_network = mode && !strcmp(mode, "host");
}

static int cmp_container(const void *a, const void *b)
{
	const struct sw_container *x = a, *y = b;
	if (!x->project != !y->project)
		return x->project ? -1 : 1;
	int r = x->project ? strcmp(x->project, y->project) : 0;
	return r ? r : strcmp(x->name, y->name);
}

static char *url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e ? e : "");
	curl_free(e);
	return out;
}

/* GETs paths[0..n) in parallel, at most PARALLEL_MAX at once; out[i] is
 * the parsed body of a 200, NULL otherwise (a 404: the container went
 * away since it was listed).  The first transport failure is the error. */
static int get_json_all(struct sw_docker *d, char **paths, size_t n, cJSON **out, char **err)
{
	struct xfer *x = xcalloc(n ? n : 1, sizeof *x);
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		x[i].c = easy(d, "GET", paths[i]);
		sbuf_init(&x[i].body);
		curl_easy_setopt(x[i].c, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(x[i].c, CURLOPT_WRITEDATA, &x[i].body);
		curl_easy_setopt(x[i].c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	}
	run_parallel(x, n, PARALLEL_MAX, NULL);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (x[i].rc != CURLE_OK && rc == 0)
			rc = transport_error(d, x[i].rc, "GET /containers/ID/...", err);
		else if (x[i].status == 200)
			out[i] = cJSON_ParseWithLength(x[i].body.buf ? x[i].body.buf : "", x[i].body.len);
		curl_easy_cleanup(x[i].c);
		sbuf_free(&x[i].body);
	}
	free(x);
	return rc;
}

static int list_summaries(struct sw_docker *d, const char *project, bool all, struct sw_container_list *out,
			  char **err)
{
	struct sbuf path;
	sbuf_init(&path);
	sbuf_addf(&path, "/containers/json?all=%d", all ? 1 : 0);
	if (project) {
		cJSON *f = cJSON_CreateObject();
		cJSON *label = cJSON_AddArrayToObject(f, "label");
		char *want = xasprintf("com.docker.compose.project=%s", project);
		cJSON_AddItemToArray(label, cJSON_CreateString(want));
		free(want);
		char *text = cJSON_PrintUnformatted(f);
		char *esc = url_escape(text);
		sbuf_addf(&path, "&filters=%s", esc);
		free(esc);
		free(text);
		cJSON_Delete(f);
	}
	cJSON *arr = get_json(d, path.buf, NULL, err);
	sbuf_free(&path);
	if (!arr)
		return -1;
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return fail(err, "the container engine at %s answered GET /containers/json with something else than a "
			    "list", d->host);
	}
	size_t n = (size_t)cJSON_GetArraySize(arr);
	out->items = xcalloc(n ? n : 1, sizeof *out->items);
	const cJSON *s;
	cJSON_ArrayForEach(s, arr)
		from_summary(&out->items[out->n++], s);
	cJSON_Delete(arr);
	return 0;
}

/* Which containers of l have stats (the running ones), as paths of a
 * one-shot sample: the engine answers at once rather than waiting for a
 * second sample of its own. */
static size_t stats_paths(const struct sw_container_list *l, char **paths, size_t *which)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].state, "running")) {
			paths[n] = xasprintf("/containers/%s/stats?stream=false&one-shot=true", l->items[i].id);
			which[n++] = i;
		}
	return n;
}

static void free_all(char **paths, cJSON **json, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(paths[i]);
		cJSON_Delete(json[i]);
	}
}

static void gap(void)
{
	struct timespec t = {0, STATS_GAP_MS * 1000000L};
	nanosleep(&t, NULL);
}

/* The second samples, and CPU % and memory from the two (first[k] is
 * the sample of container which[k]). */
static int second_samples(struct sw_docker *d, struct sw_container_list *l, char **paths, cJSON **first,
			  const size_t *which, size_t n, char **err)
{
	cJSON **second = xcalloc(n ? n : 1, sizeof *second);
	gap();
	int rc = get_json_all(d, paths, n, second, err);
	for (size_t k = 0; k < n; k++) {
		if (rc == 0 && first[k] && second[k])
			sw_docker_stats_compute(second[k], cJSON_GetObjectItemCaseSensitive(first[k], "cpu_stats"),
						&l->items[which[k]]);
		cJSON_Delete(second[k]);
	}
	free(second);
	return rc;
}

/* The list, each container inspected (health, restarts and the start time
 * are only there), and with stats the first samples fetched in the same
 * parallel round as the inspections. */
static int list(struct sw_docker *d, const char *project, bool all, bool stats, struct sw_container_list *out,
		char **err)
{
	*out = (struct sw_container_list){0};
	if (list_summaries(d, project, all, out, err))
		return -1;
	size_t n = out->n;
	char **paths = xcalloc(2 * n + 1, sizeof *paths);
	cJSON **json = xcalloc(2 * n + 1, sizeof *json);
	size_t *which = xcalloc(n + 1, sizeof *which);
	for (size_t i = 0; i < n; i++)
		paths[i] = xasprintf("/containers/%s/json", out->items[i].id);
	size_t m = stats ? stats_paths(out, paths + n, which) : 0;
	int rc = get_json_all(d, paths, n + m, json, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (json[i])
			from_inspect(&out->items[i], json[i]);
	if (rc == 0 && m)
		rc = second_samples(d, out, paths + n, json + n, which, m, err);
	free_all(paths, json, n + m);
	free(paths);
	free(json);
	free(which);
	if (rc) {
		sw_container_list_free(out);
		return rc;
	}
	qsort(out->items, out->n, sizeof *out->items, cmp_container);
	return 0;
}

int sw_docker_list(struct sw_docker *d, const char *project, bool all, struct sw_container_list *out, char **err)
{
	return list(d, project, all, false, out, err);
}

int sw_docker_list_stats(struct sw_docker *d, const char *project, bool all, struct sw_container_list *out,
			 char **err)
{
	return list(d, project, all, true, out, err);
}

static void container_free(struct sw_container *c)
{
	free(c->name);
	free(c->image);
	free(c->project);
	free(c->service);
	free(c->state);
	free(c->ports);
}

void sw_container_list_free(struct sw_container_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		container_free(&l->items[i]);
	free(l->items);
	*l = (struct sw_container_list){0};
}

long sw_container_find(const struct sw_container_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].name, name))
			return (long)i;
	size_t len = strlen(name);
	if (len < 4 || strspn(name, "0123456789abcdef") != len)
		return -1;
	long found = -1;
	for (size_t i = 0; i < l->n; i++)
		if (!strncmp(l->items[i].id, name, len)) {
			if (found >= 0)
				return -1;	/* ambiguous */
			found = (long)i;
		}
	return found;
}

/* ---- stats ---- */

static double cpu_total(const cJSON *cpu)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(cpu, "cpu_usage"), "total_usage");
}

void sw_docker_stats_compute(const cJSON *cur, const cJSON *pre_cpu, struct sw_container *c)
{
	const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(cur, "cpu_stats");
	if (!pre_cpu)
		pre_cpu = cJSON_GetObjectItemCaseSensitive(cur, "precpu_stats");
	double cpu_delta = cpu_total(cpu) - cpu_total(pre_cpu);
	double sys_delta = jnum(cpu, "system_cpu_usage") - jnum(pre_cpu, "system_cpu_usage");
	double online = jnum(cpu, "online_cpus");
	if (online <= 0)
		online = cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cpu, "cpu_usage"), "percpu_usage"));
	c->cpu_pct = cpu_delta > 0 && sys_delta > 0 ? cpu_delta / sys_delta * online * 100.0 : 0;

	const cJSON *mem = cJSON_GetObjectItemCaseSensitive(cur, "memory_stats");
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(mem, "stats");
	double usage = jnum(mem, "usage"), limit = jnum(mem, "limit");
	const cJSON *v1 = cJSON_GetObjectItemCaseSensitive(ms, "total_inactive_file");
	const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(ms, "inactive_file");
	double used = usage;
	if (cJSON_IsNumber(v1) && v1->valuedouble < usage)
		used = usage - v1->valuedouble;
	else if (cJSON_IsNumber(v2) && v2->valuedouble < usage)
		used = usage - v2->valuedouble;
	c->mem_used = used > 0 ? (uint64_t)used : 0;
	c->mem_limit = limit > 0 ? (uint64_t)limit : 0;
	c->mem_pct = limit > 0 ? used / limit * 100.0 : 0;
	c->has_stats = true;
}

int sw_docker_stats(struct sw_docker *d, struct sw_container_list *l, char **err)
{
	char **paths = xcalloc(l->n + 1, sizeof *paths);
	cJSON **first = xcalloc(l->n + 1, sizeof *first);
	size_t *which = xcalloc(l->n + 1, sizeof *which);
	for (size_t i = 0; i < l->n; i++)
		l->items[i].has_stats = false;
	size_t n = stats_paths(l, paths, which);
	int rc = get_json_all(d, paths, n, first, err);
	if (rc == 0)
		rc = second_samples(d, l, paths, first, which, n, err);
	free_all(paths, first, n);
	free(paths);
	free(first);
	free(which);
	return rc;
}

/* ---- actions ---- */

int sw_docker_act(struct sw_docker *d, const char *name, enum sw_docker_action a, bool *already, char **err)
{
	char *esc = url_escape(name);
	char *path = xasprintf("/containers/%s/%s", esc, sw_docker_action_name(a));
	free(esc);
	struct sbuf body;
	sbuf_init(&body);
	long status = 0;
	int rc = request(d, "POST", path, &body, &status, err);
	free(path);
	if (already)
		*already = status == 304;
	if (rc == 0 && status != 204 && status != 304) {
		char *m = engine_message(&body, status);
		rc = fail(err, "cannot %s container %s: %s (engine at %s)", sw_docker_action_name(a), name, m, d->host);
		free(m);
	}
	sbuf_free(&body);
	return rc;
}

char *sw_docker_act_outcome(const char *name, enum sw_docker_action a, bool already)
{
	static const char *const done[] = {"started", "stopped", "restarted"};
	if (already)
		return xasprintf("%s was already %s", name, a == SW_DOCKER_START ? "running" : "stopped");
	return xasprintf("%s %s", done[a], name);
}

/* ---- streams: logs and events ---- */

struct stream {
	volatile int *stop;
	bool stopped;		/* ended by the callback or *stop */
	/* logs */
	bool tty;
	unsigned char head[8];
	size_t head_len;
	size_t frame_left;
	int frame_stream;
	struct sbuf line[3];
	sw_docker_line_fn line_fn;
	/* events */
	struct sbuf ev;
	sw_docker_event_fn ev_fn;
	const char *project;
	void *ud;
};

static int progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	struct stream *s = ud;
	if (asked_to_stop(s->stop)) {
		s->stopped = true;
		return 1;
	}
	return 0;
}

static bool put_bytes(struct stream *s, int stream, const char *p, size_t n)
{
	struct sbuf *line = &s->line[stream == 2 ? 2 : 1];
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n') {
			sbuf_addc(line, p[i]);
			continue;
		}
		size_t len = line->len;
		if (len && line->buf[len - 1] == '\r')
			len--;
		int r = s->line_fn(s->ud, stream == 2 ? 2 : 1, line->buf ? line->buf : "", len);
		sbuf_reset(line);
		if (r) {
			s->stopped = true;
			return false;
		}
	}
	return true;
}

static size_t logs_write(char *data, size_t size, size_t n, void *ud)
{
	struct stream *s = ud;
	size_t len = size * n, i = 0;
	if (s->tty)
		return put_bytes(s, 1, data, len) ? len : 0;
	while (i < len) {
		if (s->frame_left == 0) {
			while (i < len && s->head_len < 8)
				s->head[s->head_len++] = (unsigned char)data[i++];
			if (s->head_len < 8)
				break;
			s->frame_stream = s->head[0];
			s->frame_left = (size_t)s->head[4] << 24 | (size_t)s->head[5] << 16 | (size_t)s->head[6] << 8 |
					s->head[7];
			s->head_len = 0;
			if (s->frame_stream > 2 || s->frame_left > FRAME_MAX)
				return 0;	/* not a multiplexed stream after all */
			continue;
		}
		size_t take = len - i < s->frame_left ? len - i : s->frame_left;
		if (!put_bytes(s, s->frame_stream, data + i, take))
			return 0;
		i += take;
		s->frame_left -= take;
	}
	return len;
}

static void flush_lines(struct stream *s)
{
	for (int k = 1; k <= 2; k++) {
		if (s->line[k].len && !s->stopped)
			s->line_fn(s->ud, k, s->line[k].buf, s->line[k].len);
		sbuf_free(&s->line[k]);
	}
}

/* Runs a stream transfer to its end; 0 when it ended cleanly or was
 * stopped by the caller. */
static int run_stream(struct sw_docker *d, CURL *c, struct stream *s, const char *what, struct sbuf *errbody,
		      char **err)
{
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (s->stopped)
		return 0;
	if (status && status != 200) {
		char *m = engine_message(errbody, status);
		fail(err, "the container engine at %s answered %s with %ld: %s", d->host, what, status, m);
		free(m);
		return -1;
	}
	if (rc == CURLE_WRITE_ERROR)
		return fail(err, "the container engine at %s sent %s in a form slipway does not read", d->host, what);
	if (rc != CURLE_OK)
		return transport_error(d, rc, what, err);
	return 0;
}

/* The body of an error answer is collected apart from the stream: it is
 * one JSON object, not frames.  Which one it is shows in the status, known
 * only once the headers are in. */
struct split {
	void *ud;
	CURL *c;
	curl_write_callback fn;
	struct sbuf errbody;
};

static size_t split_write(char *data, size_t size, size_t n, void *ud)
{
	struct split *sp = ud;
	long status = 0;
	curl_easy_getinfo(sp->c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		sbuf_add(&sp->errbody, data, size * n);
		return size * n;
	}
	return sp->fn(data, size, n, sp->ud);
}

static bool container_tty(struct sw_docker *d, const char *name, char **err)
{
	char *esc = url_escape(name);
	char *path = xasprintf("/containers/%s/json", esc);
	free(esc);
	long status = 0;
	cJSON *j = get_json(d, path, &status, err);
	free(path);
	if (!j && status == 404)
		fail(err, "no container named %s on the engine at %s", name, d->host);
	bool tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "Config"), "Tty"));
	cJSON_Delete(j);
	return tty;
}

int sw_docker_logs(struct sw_docker *d, const char *name, long tail, bool follow, sw_docker_line_fn fn, void *ud,
		   volatile int *stop, char **err)
{
	char *e = NULL;
	bool tty = container_tty(d, name, &e);
	if (e) {
		fail(err, "%s", e);
		free(e);
		return -1;
	}
	char *esc = url_escape(name);
	struct sbuf pb;
	sbuf_init(&pb);
	sbuf_addf(&pb, "/containers/%s/logs?stdout=1&stderr=1&follow=%d", esc, follow ? 1 : 0);
	if (tail >= 0)
		sbuf_addf(&pb, "&tail=%ld", tail);
	char *path = sbuf_detach(&pb);
	free(esc);
	struct stream s = {.stop = stop, .tty = tty, .line_fn = fn, .ud = ud};
	for (int k = 0; k < 3; k++)
		sbuf_init(&s.line[k]);
	CURL *c = easy(d, "GET", path);
	struct split sp = {.ud = &s, .c = c, .fn = logs_write};
	sbuf_init(&sp.errbody);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, split_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sp);
	if (!follow)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	char *what = xasprintf("the log of %s", name);
	int rc = run_stream(d, c, &s, what, &sp.errbody, err);
	free(what);
	if (rc == 0)
		flush_lines(&s);
	for (int k = 0; k < 3; k++)
		sbuf_free(&s.line[k]);
	sbuf_free(&sp.errbody);
	curl_easy_cleanup(c);
	free(path);
	return rc;
}

static bool event_line(struct stream *s, const char *text, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j)
		return true;
	const char *type = jstr(j, "Type");
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(j, "Actor");
	const cJSON *attr = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
	struct sw_docker_event ev = {
		.action = jstr(j, "Action") ? jstr(j, "Action") : jstr(j, "status"),
		.id = jstr(actor, "ID") ? jstr(actor, "ID") : "",
		.name = jstr(attr, "name") ? jstr(attr, "name") : "",
		.project = jstr(attr, "com.docker.compose.project"),
		.time = (int64_t)jnum(j, "time"),
	};
	bool go = true;
	if ((!type || !strcmp(type, "container")) && ev.action &&
	    (!s->project || (ev.project && !strcmp(ev.project, s->project))))
		go = s->ev_fn(s->ud, &ev) == 0;
	cJSON_Delete(j);
	return go;
}

static size_t events_write(char *data, size_t size, size_t n, void *ud)
{
	struct stream *s = ud;
	size_t len = size * n;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			sbuf_addc(&s->ev, data[i]);
			continue;
		}
		bool go = !s->ev.len || event_line(s, s->ev.buf, s->ev.len);
		sbuf_reset(&s->ev);
		if (!go) {
			s->stopped = true;
			return 0;
		}
	}
	return s->ev.len > FRAME_MAX ? 0 : len;
}

int sw_docker_events(struct sw_docker *d, const char *project, sw_docker_event_fn fn, void *ud, volatile int *stop,
		     char **err)
{
	char *filters = url_escape("{\"type\":[\"container\"]}");
	char *path = xasprintf("/events?filters=%s", filters);
	free(filters);
	struct stream s = {.stop = stop, .ev_fn = fn, .ud = ud, .project = project};
	sbuf_init(&s.ev);
	CURL *c = easy(d, "GET", path);
	struct split sp = {.ud = &s, .c = c, .fn = events_write};
	sbuf_init(&sp.errbody);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, split_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sp);
	int rc = run_stream(d, c, &s, "the event stream", &sp.errbody, err);
	if (rc == 0 && !s.stopped)
		rc = fail(err, "the container engine at %s closed its event stream", d->host);
	sbuf_free(&s.ev);
	sbuf_free(&sp.errbody);
	curl_easy_cleanup(c);
	free(path);
	return rc;
}

/* ---- JSON ---- */

cJSON *sw_container_to_json(const struct sw_container *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", c->id);
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "image", c->image);
	if (c->project)
		cJSON_AddStringToObject(o, "project", c->project);
	else
		cJSON_AddNullToObject(o, "project");
	if (c->service)
		cJSON_AddStringToObject(o, "service", c->service);
	cJSON_AddStringToObject(o, "state", c->state);
	if (c->health != SW_HEALTH_NONE)
		cJSON_AddStringToObject(o, "health", sw_health_name(c->health));
	else
		cJSON_AddNullToObject(o, "health");
	if (strcmp(c->state, "running") && strcmp(c->state, "created"))
		cJSON_AddNumberToObject(o, "exit_code", c->exit_code);
	cJSON_AddNumberToObject(o, "restarts", c->restarts);
	char t[32];
	sw_iso_time((time_t)c->created, t);
	cJSON_AddStringToObject(o, "created", t);
	if (c->started) {
		sw_iso_time((time_t)c->started, t);
		cJSON_AddStringToObject(o, "started", t);
	}
	if (!strcmp(c->state, "running") && c->started)
		cJSON_AddNumberToObject(o, "uptime_s", (double)(time(NULL) - c->started));
	cJSON_AddStringToObject(o, "ports", c->ports);
	if (c->has_stats) {
		cJSON_AddNumberToObject(o, "cpu_pct", (double)(long)(c->cpu_pct * 100 + 0.5) / 100);
		cJSON_AddNumberToObject(o, "mem_bytes", (double)c->mem_used);
		cJSON_AddNumberToObject(o, "mem_limit_bytes", (double)c->mem_limit);
		cJSON_AddNumberToObject(o, "mem_pct", (double)(long)(c->mem_pct * 100 + 0.5) / 100);
	}
	return o;
}

cJSON *sw_container_summary_json(const struct sw_container_list *l)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < l->n; i++) {
		const struct sw_container *c = &l->items[i];
		const char *p = c->project ? c->project : "";
		cJSON *proj = cJSON_GetObjectItemCaseSensitive(o, p);
		if (!proj) {
			proj = cJSON_AddObjectToObject(o, p);
			cJSON_AddNumberToObject(proj, "running", 0);
			cJSON_AddNumberToObject(proj, "total", 0);
			cJSON_AddArrayToObject(proj, "unhealthy");
		}
		cJSON *total = cJSON_GetObjectItemCaseSensitive(proj, "total");
		cJSON_SetNumberValue(total, total->valuedouble + 1);
		if (!strcmp(c->state, "running")) {
			cJSON *running = cJSON_GetObjectItemCaseSensitive(proj, "running");
			cJSON_SetNumberValue(running, running->valuedouble + 1);
		}
		if (c->health == SW_HEALTH_UNHEALTHY)
			cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(proj, "unhealthy"),
					     cJSON_CreateString(c->name));
	}
	return o;
}

/* ---- images ---- */

static char *base64url(const unsigned char *in, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		*o++ = abc[v >> 18 & 63];
		*o++ = abc[v >> 12 & 63];
		*o++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

char *sw_registry_auth_header(const struct sw_registry_auth *auth)
{
	cJSON *o = cJSON_CreateObject();
	if (auth && auth->username) {
		cJSON_AddStringToObject(o, "username", auth->username);
		cJSON_AddStringToObject(o, "password", auth->password ? auth->password : "");
		if (auth->server)
			cJSON_AddStringToObject(o, "serveraddress", auth->server);
	}
	char *json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *h = base64url((const unsigned char *)json, strlen(json));
	/* The JSON held the password: not left in freed memory either. */
	memset(json, 0, strlen(json));
	free(json);
	return h;
}

static bool no_such_image(const char *msg)
{
	return strstr(msg, "No such image") || strstr(msg, "does not exist") || strstr(msg, "image not known");
}

int sw_docker_tag(struct sw_docker *d, const char *image, const char *repo, const char *tag, char **err)
{
	char *ei = url_escape(image), *er = url_escape(repo), *et = url_escape(tag);
	char *path = xasprintf("/images/%s/tag?repo=%s&tag=%s", ei, er, et);
	free(ei);
	free(er);
	free(et);
	struct sbuf body;
	sbuf_init(&body);
	long status = 0;
	int rc = request(d, "POST", path, &body, &status, err);
	free(path);
	if (rc == 0 && status != 201 && status != 200) {
		char *m = engine_message(&body, status);
		if (status == 404 || no_such_image(m))
			rc = fail(err, "cannot tag image %s: the engine has no such image; build it first (%s)", image, m);
		else
			rc = fail(err, "cannot tag image %s as %s:%s: %s", image, repo, tag, m);
		free(m);
	}
	sbuf_free(&body);
	return rc;
}

struct push {
	struct sbuf line;
	sw_docker_progress_fn fn;
	void *ud;
	char *error;
	char *digest;
};

static void push_message(struct push *p, const char *text, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j)
		return;
	const cJSON *ed = cJSON_GetObjectItemCaseSensitive(j, "errorDetail");
	const char *msg = jstr(ed, "message") ? jstr(ed, "message") : jstr(j, "error");
	if (msg && !p->error)
		p->error = xstrdup(msg);
	const char *digest = jstr(cJSON_GetObjectItemCaseSensitive(j, "aux"), "Digest");
	if (digest) {
		free(p->digest);
		p->digest = xstrdup(digest);
	}
	const char *status = jstr(j, "status");
	/* Byte counts of a layer change many times a second: the log gets a
	 * layer's steps ("Pushing" once), not every count. */
	const char *id = jstr(j, "id");
	if (status && p->fn && !cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "progressDetail"),
								   "current")) {
		char *line = id ? xasprintf("%s: %s", id, status) : xstrdup(status);
		p->fn(p->ud, line);
		free(line);
	}
	/* Podman tells the digest only in a status line. */
	const char *at = status ? strstr(status, "digest: sha256:") : NULL;
	if (at && !p->digest)
		p->digest = xstrndup(at + 8, strcspn(at + 8, " "));
	cJSON_Delete(j);
}

static size_t push_write(char *data, size_t size, size_t n, void *ud)
{
	struct push *p = ud;
	size_t len = size * n;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n' && data[i] != '\r') {
			sbuf_addc(&p->line, data[i]);
			continue;
		}
		if (p->line.len)
			push_message(p, p->line.buf, p->line.len);
		sbuf_reset(&p->line);
	}
	return p->line.len > FRAME_MAX ? 0 : len;
}

/* The engines' words for a registry that wants credentials it was not
 * given or refused those it was: dockerd says "no basic auth credentials"
 * when none were sent, both say "unauthorized: authentication required"
 * for wrong ones (podman after a sentence on the blob it was checking); a
 * registry may say "denied".  Returns where the words start, or NULL. */
static const char *credentials_refused(const char *msg)
{
	static const char *const words[] = {"unauthorized", "authentication required", "denied",
					    "no basic auth credentials"};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		const char *at = strstr(msg, words[i]);
		if (at)
			return at;
	}
	return NULL;
}

/* What the engine said about a failed push, with what to do about it. */
static int push_error(const char *name, const struct sw_registry_auth *auth, const char *msg, char **err)
{
	const char *reg = auth && auth->server ? auth->server : "the registry";
	const char *refused = credentials_refused(msg);
	if (refused && auth && auth->username)
		return fail(err, "cannot push %s: %s refused the credentials DOCKER_USERNAME and DOCKER_TOKEN "
			    "(from the secrets): %s", name, reg, refused);
	if (refused)
		return fail(err, "cannot push %s: %s wants credentials: name DOCKER_USERNAME and DOCKER_TOKEN "
			    "in the secrets of main's slipway.json (%s)", name, reg, refused);
	if (strstr(msg, "connection refused") || strstr(msg, "no such host") || strstr(msg, "i/o timeout") ||
	    strstr(msg, "dial tcp"))
		return fail(err, "cannot push %s: %s does not answer (%s)", name, reg, msg);
	if (no_such_image(msg))
		return fail(err, "cannot push %s: the engine has no such image; build it first (%s)", name, msg);
	return fail(err, "cannot push %s: %s", name, msg);
}

int sw_docker_push(struct sw_docker *d, const char *name, const struct sw_registry_auth *auth,
		   sw_docker_progress_fn fn, void *ud, char **digest, char **err)
{
	*digest = NULL;
	/* name:tag, where the tag follows the last ':' after the last '/'. */
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	char *repo = colon ? xstrndup(name, (size_t)(colon - name)) : xstrdup(name);
	char *er = url_escape(repo);
	char *et = url_escape(colon ? colon + 1 : "latest");
	char *path = xasprintf("/images/%s/push?tag=%s", er, et);
	free(er);
	free(et);
	free(repo);

	struct push p = {.fn = fn, .ud = ud};
	sbuf_init(&p.line);
	CURL *c = easy(d, "POST", path);
	char *auth_value = sw_registry_auth_header(auth);
	char *h = xasprintf("X-Registry-Auth: %s", auth_value);
	struct curl_slist *headers = curl_slist_append(NULL, h);
	memset(h, 0, strlen(h));
	memset(auth_value, 0, strlen(auth_value));
	free(h);
	free(auth_value);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	struct stream s = {0};
	struct split sp = {.ud = &p, .c = c, .fn = push_write};
	sbuf_init(&sp.errbody);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, split_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sp);
	/* A push of a big image takes its time; a stalled one must not hang. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
	char *what = xasprintf("the push of %s", name);
	int rc = run_stream(d, c, &s, what, &sp.errbody, err);
	free(what);
	if (rc == 0 && p.line.len)
		push_message(&p, p.line.buf, p.line.len);
	if (rc && err && *err && strstr(*err, "answered")) {
		/* A 404 or 500 before the stream: the engine's message is in it. */
		char *m = *err;
		*err = NULL;
		rc = push_error(name, auth, m, err);
		free(m);
	} else if (rc == 0 && p.error) {
		rc = push_error(name, auth, p.error, err);
	}
	if (rc == 0)
		*digest = p.digest;
	else
		free(p.digest);
	free(p.error);
	sbuf_free(&p.line);
	sbuf_free(&sp.errbody);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	free(path);
	return rc;
}
