/* The container engine client (see slipway/docker.h), its connection:
 * requests over libcurl to a unix socket or TCP, the API version settled,
 * bodies read with cJSON, parallel transfers with a curl multi handle where
 * the docker CLI would use one goroutine each.  Containers, streams and
 * images are in docker_containers.c, docker_stream.c and docker_image.c. */
#include "slipway/docker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/docker_internal.h"
#include "core/http.h"

#include "slipway/config.h"
#include "slipway/run.h"

int docker_fail(char **err, const char *fmt, ...)
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
bool docker_asked_to_stop(volatile int *stop)
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
		return docker_fail(err, "cannot reach the container engine at %s: the socket path is longer than %zu bytes",
			    host, sizeof sa.sun_path - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return docker_fail(err, "cannot reach the container engine at %s: %s", host, strerror(errno));
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	int e = errno;
	close(fd);
	if (rc == 0)
		return 0;
	if (e == EACCES || e == EPERM)
		return docker_fail(err, "cannot reach the container engine at %s: %s (is your user in the docker group? "
			    "sudo usermod -aG docker $USER, then log in again)", host, strerror(e));
	if (e == ECONNREFUSED)
		return docker_fail(err, "cannot reach the container engine at %s: %s (the socket exists but no engine "
			    "listens: is dockerd or podman system service running?)", host, strerror(e));
	return docker_fail(err, "cannot reach the container engine at %s: %s", host, strerror(e));
}

static int parse_host(struct sw_docker *d, const char *host, char **err)
{
	if (!strncmp(host, "unix://", 7)) {
		if (host[7] != '/')
			return docker_fail(err, "container engine address %s: a unix socket needs an absolute path "
				    "(unix:///var/run/docker.sock)", host);
		d->socket = xstrdup(host + 7);
		d->base = xstrdup("http://localhost");
		return 0;
	}
	if (!strncmp(host, "tcp://", 6) || !strncmp(host, "http://", 7)) {
		const char *hp = strchr(host, '/') + 2;
		size_t n = strcspn(hp, "/");
		if (n == 0)
			return docker_fail(err, "container engine address %s: no host after the scheme", host);
		d->base = xasprintf("http://%.*s", (int)n, hp);
		return 0;
	}
	if (!strncmp(host, "ssh://", 6))
		return docker_fail(err, "container engine address %s: ssh:// is not supported here; run slipway on that "
			    "host, or forward its socket (ssh -L /tmp/docker.sock:/var/run/docker.sock)", host);
	return docker_fail(err, "container engine address %s: expected unix:///PATH or tcp://HOST:PORT", host);
}

size_t docker_collect(char *data, size_t size, size_t n, void *ud)
{
	sbuf_add(ud, data, size * n);
	return size * n;
}

CURL *docker_easy(const struct sw_docker *d, const char *method, const char *path)
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
char *docker_engine_message(const struct sbuf *body, long status)
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

int docker_transport_error(const struct sw_docker *d, CURLcode rc, const char *what, char **err)
{
	if (d->socket && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR) &&
	    probe_socket(d->host, d->socket, err))
		return -1;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return docker_fail(err, "the container engine at %s did not answer %s in time", d->host, what);
	if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING)
		return docker_fail(err, "the container engine at %s stopped in the middle of %s: %s", d->host, what,
			    curl_easy_strerror(rc));
	return docker_fail(err, "cannot reach the container engine at %s: %s", d->host, curl_easy_strerror(rc));
}

/* One docker_request; the body into out (may be NULL), the status into *status.
 * A transport failure is an error; any HTTP status is left to the caller. */
int docker_request(struct sw_docker *d, const char *method, const char *path, struct sbuf *out, long *status,
		   char **err)
{
	return docker_request_json(d, method, path, NULL, NULL, out, status, err);
}

int docker_request_json(struct sw_docker *d, const char *method, const char *path, const char *json,
			const char *header, struct sbuf *out, long *status, char **err)
{
	struct sbuf sink;
	sbuf_init(&sink);
	CURL *c = docker_easy(d, method, path);
	if (!c)
		return docker_fail(err, "cannot reach the container engine at %s: libcurl could not start", d->host);
	struct curl_slist *h = header ? curl_slist_append(NULL, header) : NULL;
	if (json) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	}
	if (h)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, docker_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	sbuf_free(&sink);
	if (rc != CURLE_OK) {
		char *what = xasprintf("%s %s", method, path);
		docker_transport_error(d, rc, what, err);
		free(what);
		return -1;
	}
	return 0;
}

/* A GET whose 200 body is JSON; anything else is an error naming path. */
cJSON *docker_get_json(struct sw_docker *d, const char *path, long *status_out, char **err)
{
	struct sbuf body;
	sbuf_init(&body);
	long status = 0;
	cJSON *j = NULL;
	if (docker_request(d, "GET", path, &body, &status, err) == 0) {
		if (status == 200) {
			j = cJSON_ParseWithLength(body.buf ? body.buf : "", body.len);
			if (!j)
				docker_fail(err, "the container engine at %s answered GET %s with something that is not JSON",
				     d->host, path);
		} else {
			char *m = docker_engine_message(&body, status);
			docker_fail(err, "the container engine at %s answered GET %s with %ld: %s", d->host, path, status, m);
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
		return docker_fail(err, "the container engine at %s needs API %s or newer; slipway speaks up to %d.%d", d->host,
			    min, API_MAX_MAJOR, API_MAX_MINOR);
	if (why == -3)
		return docker_fail(err, "the container engine at %s speaks API %s; slipway needs 1.%d or newer", d->host, api,
			    API_MIN_MINOR);
	return docker_fail(err, "%s does not look like a container engine: it tells no API version", d->host);
}

int docker_version_read(struct sw_docker *d, const cJSON *v, char **err)
{
	const char *api = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "ApiVersion"));
	const char *min = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "MinAPIVersion"));
	int why = settle_api(d, api, min);
	if (why)
		return api_error(d, why, api, min, err);
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
	return 0;
}

/* The slow way, for an engine whose /_ping tells no version: /version
 * (podman takes half a second to answer it). */
static int negotiate_version(struct sw_docker *d, char **err)
{
	long status = 0;
	cJSON *v = docker_get_json(d, "/version", &status, err);
	if (!v && status && status != 200)
		return docker_fail(err, "%s does not look like a container engine: GET /version answered %ld", d->host, status);
	if (!v)
		return -1;
	int rc = docker_version_read(d, v, err);
	cJSON_Delete(v);
	return rc;
}

/* api-version and server, as the Sentry and GitHub clients read theirs. */
size_t docker_ping_header(char *data, size_t size, size_t n, void *ud)
{
	struct ping *p = ud;
	sw_http_header_value(data, size * n, "api-version:", p->api, sizeof p->api);
	sw_http_header_value(data, size * n, "server:", p->server, sizeof p->server);
	return size * n;
}

int docker_ping_read(struct sw_docker *d, const struct ping *p, char **err)
{
	int why = settle_api(d, p->api, NULL);
	if (why)
		return api_error(d, why, p->api, NULL, err);
	const char *slash = strchr(p->server, '/');
	size_t vl = slash ? strcspn(slash + 1, " ") : 0;
	free(d->engine);
	if (!strncmp(p->server, "Libpod/", 7)) {
		d->podman = true;
		d->engine = xasprintf("Podman Engine %.*s", (int)vl, slash + 1);
	} else if (slash) {
		d->engine = xasprintf("Docker Engine %.*s", (int)vl, slash + 1);
	} else {
		d->engine = xstrdup("Docker Engine");
	}
	return 0;
}

/* As the docker CLI does: the engine's API version from /_ping's headers,
 * its name and version from the Server header ("Docker/20.10.24 (linux)",
 * "Libpod/4.3.1 (linux)"). */
static int negotiate(struct sw_docker *d, char **err)
{
	struct ping p = {{0}, {0}};
	struct sbuf body;
	sbuf_init(&body);
	/* Before the version is settled, docker_easy() asks the unversioned path. */
	CURL *c = docker_easy(d, "GET", "/_ping");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, docker_ping_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &p);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, docker_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	bool ok = body.len >= 2 && !strncmp(body.buf, "OK", 2);
	sbuf_free(&body);
	if (rc != CURLE_OK)
		return docker_transport_error(d, rc, "GET /_ping", err);
	if (status != 200 || !ok)
		return docker_fail(err, "%s does not look like a container engine: GET /_ping answered %ld", d->host, status);
	if (!p.api[0])
		return negotiate_version(d, err);
	return docker_ping_read(d, &p, err);
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
			docker_fail(err, "%s (it says where the container engine is: docker.host)", e);
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

/* Runs n transfers (each set up by the caller, write callback included)
 * at most PARALLEL_MAX at once, until all are done or *stop. */
void docker_run_parallel(struct xfer *x, size_t n, size_t max, volatile int *stop)
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
		if (docker_asked_to_stop(stop))
			break;
		if (active)
			curl_multi_poll(m, NULL, 0, 200, NULL);
	}
	for (size_t i = 0; i < next; i++)
		if (!x[i].done)
			curl_multi_remove_handle(m, x[i].c);
	curl_multi_cleanup(m);
}

const char *docker_jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

double docker_jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int64_t docker_jint(const cJSON *o, const char *key, int64_t lo, int64_t hi)
{
	double d = docker_jnum(o, key);
	return d >= (double)lo && d <= (double)hi ? (int64_t)d : 0;
}

char *docker_url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e ? e : "");
	curl_free(e);
	return out;
}

/* GETs paths[0..n) in parallel, at most PARALLEL_MAX at once; out[i] is
 * the parsed body of a 200, NULL otherwise (a 404: the container went
 * away since it was listed).  The first transport failure is the error. */
int docker_get_json_all(struct sw_docker *d, char **paths, size_t n, cJSON **out, char **err)
{
	struct xfer *x = xcalloc(n ? n : 1, sizeof *x);
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		x[i].c = docker_easy(d, "GET", paths[i]);
		sbuf_init(&x[i].body);
		curl_easy_setopt(x[i].c, CURLOPT_WRITEFUNCTION, docker_collect);
		curl_easy_setopt(x[i].c, CURLOPT_WRITEDATA, &x[i].body);
		curl_easy_setopt(x[i].c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	}
	docker_run_parallel(x, n, PARALLEL_MAX, NULL);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (x[i].rc != CURLE_OK && rc == 0)
			rc = docker_transport_error(d, x[i].rc, "GET /containers/ID/...", err);
		else if (x[i].status == 200)
			out[i] = cJSON_ParseWithLength(x[i].body.buf ? x[i].body.buf : "", x[i].body.len);
		curl_easy_cleanup(x[i].c);
		sbuf_free(&x[i].body);
	}
	free(x);
	return rc;
}

static int progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	struct stream *s = ud;
	if (docker_asked_to_stop(s->stop)) {
		s->stopped = true;
		return 1;
	}
	return 0;
}

/* Runs a stream transfer to its end; 0 when it ended cleanly or was
 * stopped by the caller. */
int docker_run_stream(struct sw_docker *d, CURL *c, struct stream *s, const char *what, struct sbuf *errbody,
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
		char *m = docker_engine_message(errbody, status);
		docker_fail(err, "the container engine at %s answered %s with %ld: %s", d->host, what, status, m);
		free(m);
		return -1;
	}
	if (rc == CURLE_WRITE_ERROR)
		return docker_fail(err, "the container engine at %s sent %s in a form slipway does not read", d->host, what);
	if (rc != CURLE_OK)
		return docker_transport_error(d, rc, what, err);
	return 0;
}

size_t docker_split_write(char *data, size_t size, size_t n, void *ud)
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
