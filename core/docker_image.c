/* Images (see slipway/docker.h): tag, and push with X-Registry-Auth, the
 * engine's errors inside its 200 stream made readable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/docker_internal.h"
#include "slipway/docker.h"

/* ---- images ---- */

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
	char *h = sw_base64(json, strlen(json), true);
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
	char *ei = docker_url_escape(image), *er = docker_url_escape(repo), *et = docker_url_escape(tag);
	char *path = xasprintf("/images/%s/tag?repo=%s&tag=%s", ei, er, et);
	free(ei);
	free(er);
	free(et);
	struct sbuf body;
	sbuf_init(&body);
	long status = 0;
	int rc = docker_request(d, "POST", path, &body, &status, err);
	free(path);
	if (rc == 0 && status != 201 && status != 200) {
		char *m = docker_engine_message(&body, status);
		if (status == 404 || no_such_image(m))
			rc = docker_fail(err, "cannot tag image %s: the engine has no such image; build it first (%s)", image, m);
		else
			rc = docker_fail(err, "cannot tag image %s as %s:%s: %s", image, repo, tag, m);
		free(m);
	}
	sbuf_free(&body);
	return rc;
}

static void push_message(struct push *p, const char *text, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j)
		return;
	const cJSON *ed = cJSON_GetObjectItemCaseSensitive(j, "errorDetail");
	const char *msg = docker_jstr(ed, "message") ? docker_jstr(ed, "message") : docker_jstr(j, "error");
	if (msg && !p->error)
		p->error = xstrdup(msg);
	const char *digest = docker_jstr(cJSON_GetObjectItemCaseSensitive(j, "aux"), "Digest");
	if (digest) {
		free(p->digest);
		p->digest = xstrdup(digest);
	}
	const char *status = docker_jstr(j, "status");
	/* Byte counts of a layer change many times a second: the log gets a
	 * layer's steps ("Pushing" once), not every count. */
	const char *id = docker_jstr(j, "id");
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

size_t docker_push_write(char *data, size_t size, size_t n, void *ud)
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

void docker_push_end(struct push *p)
{
	if (p->line.len)
		push_message(p, p->line.buf, p->line.len);
	sbuf_reset(&p->line);
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

int docker_push_error(const char *name, const struct sw_registry_auth *auth, const char *msg, char **err)
{
	const char *reg = auth && auth->server ? auth->server : "the registry";
	const char *refused = credentials_refused(msg);
	if (refused && auth && auth->username)
		return docker_fail(err, "cannot push %s: %s refused the credentials DOCKER_USERNAME and DOCKER_TOKEN "
			    "(from the secrets): %s", name, reg, refused);
	if (refused)
		return docker_fail(err, "cannot push %s: %s wants credentials: name DOCKER_USERNAME and DOCKER_TOKEN "
			    "in the secrets of main's slipway.json (%s)", name, reg, refused);
	if (strstr(msg, "connection refused") || strstr(msg, "no such host") || strstr(msg, "i/o timeout") ||
	    strstr(msg, "dial tcp"))
		return docker_fail(err, "cannot push %s: %s does not answer (%s)", name, reg, msg);
	if (no_such_image(msg))
		return docker_fail(err, "cannot push %s: the engine has no such image; build it first (%s)", name, msg);
	return docker_fail(err, "cannot push %s: %s", name, msg);
}

int sw_docker_push(struct sw_docker *d, const char *name, const struct sw_registry_auth *auth,
		   sw_docker_progress_fn fn, void *ud, char **digest, char **err)
{
	*digest = NULL;
	/* name:tag, where the tag follows the last ':' after the last '/'. */
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	char *repo = colon ? xstrndup(name, (size_t)(colon - name)) : xstrdup(name);
	char *er = docker_url_escape(repo);
	char *et = docker_url_escape(colon ? colon + 1 : "latest");
	char *path = xasprintf("/images/%s/push?tag=%s", er, et);
	free(er);
	free(et);
	free(repo);

	struct push p = {.fn = fn, .ud = ud};
	sbuf_init(&p.line);
	CURL *c = docker_easy(d, "POST", path);
	char *auth_value = sw_registry_auth_header(auth);
	char *h = xasprintf("X-Registry-Auth: %s", auth_value);
	struct curl_slist *headers = curl_slist_append(NULL, h);
	memset(h, 0, strlen(h));
	memset(auth_value, 0, strlen(auth_value));
	free(h);
	free(auth_value);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	struct stream s = {0};
	struct split sp = {.ud = &p, .c = c, .fn = docker_push_write};
	sbuf_init(&sp.errbody);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, docker_split_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sp);
	/* A push of a big image takes its time; a stalled one must not hang. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
	char *what = xasprintf("the push of %s", name);
	int rc = docker_run_stream(d, c, &s, what, &sp.errbody, err);
	free(what);
	if (rc == 0)
		docker_push_end(&p);
	if (rc && err && *err && strstr(*err, "answered")) {
		/* A 404 or 500 before the stream: the engine's message is in it. */
		char *m = *err;
		*err = NULL;
		rc = docker_push_error(name, auth, m, err);
		free(m);
	} else if (rc == 0 && p.error) {
		rc = docker_push_error(name, auth, p.error, err);
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
