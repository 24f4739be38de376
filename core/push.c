/* A push stage (see slipway/push.h): the pure parts (expansion, names) and
 * the push itself, one engine call after another. */
#include "slipway/push.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/config.h"
#include "slipway/util.h"

#define TAG_MAX 128
#define DOCKER_HUB "https://index.docker.io/v1/"

/* ---- $NAME and ${NAME} ---- */

static bool name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static size_t name_len(const char *p)
{
	size_t n = 0;
	if (!name_start(p[0]))
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n;
}

struct var {
	char *name;
	char *dflt;	/* WORD of ${NAME:-WORD}, taken as it is; NULL without */
};

/* Reads the variable at p (just past the '$'); the bytes it took, or 0
 * when there is none. */
static size_t var_at(const char *p, struct var *v)
{
	bool braced = *p == '{';
	size_t n = name_len(p + braced), w = 0;
	if (n == 0)
		return 0;
	if (braced && !strncmp(p + 1 + n, ":-", 2)) {
		w = strcspn(p + 3 + n, "}");
		if (!p[3 + n + w])
			return 0;
		v->dflt = xstrndup(p + 3 + n, w);
		w += 2;
	}
	if (braced && p[1 + n + w] != '}') {
		free(v->dflt);
		v->dflt = NULL;
		return 0;
	}
	v->name = xstrndup(p + braced, n);
	return n + w + 2 * braced;
}

int sw_expand_vars(const char *s, char *const *env, char **out, char **err)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (const char *p = s; *p;) {
		if (*p != '$') {
			sbuf_addc(&sb, *p++);
			continue;
		}
		struct var var = {0};
		size_t took = var_at(p + 1, &var);
		const char *v = took ? sw_env_lookup(env, var.name) : NULL;
		if (var.dflt && (!v || !*v))
			v = var.dflt;
		if (!v) {
			*err = took ? xasprintf("%s: $%s is not set in the stage's environment", s, var.name)
				    : xasprintf("%s: a '$' at offset %zu starts no variable ($NAME, ${NAME} or "
						"${NAME:-DEFAULT})", s, (size_t)(p - s));
			free(var.name);
			free(var.dflt);
			sbuf_free(&sb);
			return -1;
		}
		sbuf_adds(&sb, v);
		free(var.name);
		free(var.dflt);
		p += 1 + took;
	}
	*out = sbuf_detach(&sb);
	return 0;
}

/* ---- names ---- */

/* docker's rule for the first component of a name: a registry when it
 * looks like a host, else a path on Docker Hub ("library/busybox"). */
static size_t domain_len(const char *ref)
{
	size_t n = strcspn(ref, "/");
	if (!ref[n])
		return 0;
	bool host = (n == 9 && !strncmp(ref, "localhost", 9)) || memchr(ref, '.', n) || memchr(ref, ':', n);
	return host ? n : 0;
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > TAG_MAX || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (; *t; t++)
		if (!isalnum((unsigned char)*t) && !strchr("_.-", *t))
			return false;
	return true;
}

/* Path components: lower-case letters and digits, joined by '.', '_' or '-'. */
static bool valid_path(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)p[i]) && !isdigit((unsigned char)p[i]) && !strchr("._-/", p[i]))
			return false;
	return p[0] != '/' && p[n - 1] != '/' && !strstr(p, "//");
}

int sw_push_target(const char *image, const char *registry, char **repo, char **tag, char **err)
{
	*repo = *tag = NULL;
	if (strchr(image, '@'))
		return *err = xasprintf("%s: a digest names what was pushed; push a tag", image), -1;
	size_t dom = domain_len(image);
	const char *path = image + (dom ? dom + 1 : 0);
	const char *colon = strchr(path, ':');
	size_t plen = colon ? (size_t)(colon - path) : strlen(path);
	const char *t = colon ? colon + 1 : "latest";
	if (!valid_path(path, plen))
		return *err = xasprintf("%s: not an image name (lower-case letters, digits, '.', '_', '-' and '/')",
					image), -1;
	if (!valid_tag(t))
		return *err = xasprintf("%s: invalid tag \"%s\" (up to %d letters, digits, '_', '.' and '-')", image, t,
					TAG_MAX), -1;
	if (registry)
		*repo = xasprintf("%s/%.*s", registry, (int)plen, path);
	else
		*repo = xstrndup(image, (size_t)(path - image) + plen);
	*tag = xstrdup(t);
	return 0;
}

char *sw_push_server(const char *repo)
{
	size_t n = domain_len(repo);
	return n ? xstrndup(repo, n) : xstrdup(DOCKER_HUB);
}

/* ---- the push ---- */

static void say(sw_docker_progress_fn fn, void *ud, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(sw_docker_progress_fn fn, void *ud, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	fn(ud, line);
	free(line);
}

/* Tags image as repo:tag when that is another name. */
static int tag_into(struct sw_docker *d, const char *image, const char *repo, const char *tag,
		    sw_docker_progress_fn fn, void *ud, char **err)
{
	char *name = xasprintf("%s:%s", repo, tag);
	int rc = 0;
	if (strcmp(name, image) != 0) {
		rc = sw_docker_tag(d, image, repo, tag, err);
		if (rc == 0)
			say(fn, ud, "tagged %s as %s", image, name);
	}
	free(name);
	return rc;
}

static int push_name(struct sw_docker *d, const char *repo, const char *tag, char *const *env,
		     sw_docker_progress_fn fn, void *ud, struct sw_push_result *res, char **err)
{
	char *server = sw_push_server(repo);
	const char *user = sw_env_lookup(env, "DOCKER_USERNAME");
	const char *token = sw_env_lookup(env, "DOCKER_TOKEN");
	bool creds = user && *user && token && *token;
	struct sw_registry_auth auth = {creds ? user : NULL, creds ? token : NULL, server};
	/* Who, never with what: the token stays out of every line. */
	say(fn, ud, "pushing %s:%s to %s %s", repo, tag, server, creds ? "as DOCKER_USERNAME" : "without credentials");
	res->image = xasprintf("%s:%s", repo, tag);
	int rc = sw_docker_push(d, res->image, &auth, fn, ud, &res->digest, err);
	free(server);
	return rc;
}

/* A registry with variables could only be checked once they are known. */
static int expand_registry(const char *s, char *const *env, char **out, char **err)
{
	if (sw_expand_vars(s, env, out, err))
		return -1;
	if (sw_config_registry_ok(*out))
		return 0;
	*err = xasprintf("registry %s (from %s): not host:port (without a scheme or a path, e.g. 127.0.0.1:5000)",
			 *out, s);
	free(*out);
	*out = NULL;
	return -1;
}

int sw_push_run(const struct sw_push_request *req, char *const *env, sw_docker_progress_fn fn, void *ud,
		struct sw_push_result *res, char **err)
{
	char *image = NULL, *registry = NULL, *repo = NULL, *tag = NULL;
	struct sw_docker *d = NULL;
	memset(res, 0, sizeof *res);
	int rc = sw_expand_vars(req->image, env, &image, err);
	if (rc == 0 && req->registry)
		rc = expand_registry(req->registry, env, &registry, err);
	if (rc == 0)
		rc = sw_push_target(image, registry, &repo, &tag, err);
	if (rc == 0)
		rc = sw_docker_open_repo(NULL, &d, err);
	if (rc == 0) {
		say(fn, ud, "engine: %s at %s", sw_docker_engine(d), sw_docker_host(d));
		rc = tag_into(d, image, repo, tag, fn, ud, err);
	}
	if (rc == 0)
		rc = push_name(d, repo, tag, env, fn, ud, res, err);
	if (rc)
		sw_push_result_free(res);
	sw_docker_close(d);
	free(image);
	free(registry);
	free(repo);
	free(tag);
	return rc;
}

void sw_push_result_free(struct sw_push_result *res)
{
	free(res->image);
	free(res->digest);
	memset(res, 0, sizeof *res);
}

/* ---- the result file ---- */

int sw_push_result_write(const char *path, const struct sw_push_result *res)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "image", res->image);
	if (res->digest)
		cJSON_AddStringToObject(o, "digest", res->digest);
	else
		cJSON_AddNullToObject(o, "digest");
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	int r = sw_write_atomic(path, text, strlen(text), false);
	free(text);
	return r;
}

static char *json_string(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

int sw_push_result_read(const char *path, struct sw_push_result *res)
{
	size_t len;
	memset(res, 0, sizeof *res);
	char *text = sw_read_file(path, &len);
	cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
	free(text);
	res->image = json_string(o, "image");
	res->digest = json_string(o, "digest");
	cJSON_Delete(o);
	if (res->image)
		return 0;
	sw_push_result_free(res);
	return -1;
}
