/* Swarm services through the Engine API (see slipway/docker.h): what a
 * deploy to "target": "swarm" reads, updates, follows and rolls back.
 * Facts in ../shared/notes/apis.md, "Swarm services": an update names the
 * Version.Index just read (a stale one is refused), and UpdateStatus says
 * how the rolling update went, including Swarm's own rollback. */
#include "docker_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FOLLOW_POLL_MS 250
#define TASK_ERRORS_MAX 5

int sw_swarm_check(struct sw_docker *d, char **err)
{
	if (d->podman)
		return docker_fail(err, "the container engine at %s is podman, which has no Swarm: \"target\": \"swarm\" "
				   "needs a Docker Engine that is a swarm manager", d->host);
	long status = 0;
	cJSON *j = docker_get_json(d, "/swarm", &status, err);
	if (j) {
		cJSON_Delete(j);
		return 0;
	}
	if (status == 503 || status == 406) {
		char *why = *err;
		*err = xasprintf("the container engine at %s is not a swarm manager (`docker swarm init` makes it one): %s",
				 d->host, strstr(why, ": ") ? strstr(why, ": ") + 2 : why);
		free(why);
	}
	return -1;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static const char *spec_image(const cJSON *spec)
{
	const cJSON *tt = cJSON_GetObjectItemCaseSensitive(spec, "TaskTemplate");
	return docker_jstr(cJSON_GetObjectItemCaseSensitive(tt, "ContainerSpec"), "Image");
}

/* The service's JSON, for name (or id): 404 is "no service NAME". */
static cJSON *get_service(struct sw_docker *d, const char *name, char **err)
{
	char *e = docker_url_escape(name), *path = xasprintf("/services/%s", e);
	long status = 0;
	cJSON *j = docker_get_json(d, path, &status, err);
	if (!j && status == 404) {
		free(*err);
		*err = xasprintf("no service %s on the swarm at %s", name, d->host);
	}
	free(path);
	free(e);
	return j;
}

static void service_read(const cJSON *j, struct sw_service *s)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(j, "Spec");
	const cJSON *us = cJSON_GetObjectItemCaseSensitive(j, "UpdateStatus");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(spec, "Mode");
	s->id = dup_or_null(docker_jstr(j, "ID"));
	s->name = dup_or_null(docker_jstr(spec, "Name"));
	s->image = dup_or_null(spec_image(spec));
	s->previous_image = dup_or_null(spec_image(cJSON_GetObjectItemCaseSensitive(j, "PreviousSpec")));
	s->version = (long)docker_jint(cJSON_GetObjectItemCaseSensitive(j, "Version"), "Index", 0, TIME_MAX);
	s->update_state = dup_or_null(docker_jstr(us, "State"));
	s->update_message = dup_or_null(docker_jstr(us, "Message"));
	s->update_started = dup_or_null(docker_jstr(us, "StartedAt"));
	s->global = cJSON_GetObjectItemCaseSensitive(mode, "Global") != NULL;
	s->desired = (long)docker_jint(cJSON_GetObjectItemCaseSensitive(mode, "Replicated"), "Replicas", 0, TIME_MAX);
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(spec, "Labels");
	s->stack = dup_or_null(docker_jstr(labels, "com.docker.stack.namespace"));
}

int sw_service_inspect(struct sw_docker *d, const char *name, struct sw_service *s, char **err)
{
	memset(s, 0, sizeof *s);
	cJSON *j = get_service(d, name, err);
	if (!j)
		return -1;
	service_read(j, s);
	cJSON_Delete(j);
	if (!s->id || !s->image)
		return docker_fail(err, "the swarm at %s answered GET /services/%s without the service's id or image",
				   d->host, name);
	return 0;
}

void sw_service_free(struct sw_service *s)
{
	free(s->id);
	free(s->name);
	free(s->image);
	free(s->previous_image);
	free(s->update_state);
	free(s->update_message);
	free(s->update_started);
	free(s->stack);
	memset(s, 0, sizeof *s);
}

static cJSON *object_in(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsObject(v)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		v = cJSON_AddObjectToObject(o, key);
	}
	return v;
}

static void set_number(cJSON *o, const char *key, double n)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddNumberToObject(o, key, n);
}

static void set_string(cJSON *o, const char *key, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddStringToObject(o, key, v);
}

/* POST /services/ID/update with spec under the version just read. */
static int post_update(struct sw_docker *d, const char *name, const cJSON *svc, const cJSON *spec, const char *query,
		       const struct sw_registry_auth *auth, char **err)
{
	const char *id = docker_jstr(svc, "ID");
	long version = (long)docker_jint(cJSON_GetObjectItemCaseSensitive(svc, "Version"), "Index", 0, TIME_MAX);
	if (!id || !spec)
		return docker_fail(err, "the swarm at %s answered GET /services/%s without its id or spec", d->host,
				   name);
	char *e = docker_url_escape(id);
	char *path = xasprintf("/services/%s/update?version=%ld%s", e, version, query);
	char *body = cJSON_PrintUnformatted(spec);
	struct sbuf out;
	sbuf_init(&out);
	long status = 0;
	/* The nodes pull the image with these credentials (as docker service
	 * update --with-registry-auth sends them). */
	char *header = NULL;
	if (auth && auth->username) {
		char *v = sw_registry_auth_header(auth);
		header = xasprintf("X-Registry-Auth: %s", v);
		memset(v, 0, strlen(v));
		free(v);
	}
	int r = docker_request_json(d, "POST", path, body, header, &out, &status, err);
	if (header) {
		memset(header, 0, strlen(header));
		free(header);
	}
	if (!r && status != 200) {
		char *m = docker_engine_message(&out, status);
		r = docker_fail(err, "the swarm at %s refused to update the service %s (%ld): %s", d->host, name, status,
				m);
		free(m);
	}
	sbuf_free(&out);
	free(body);
	free(path);
	free(e);
	return r;
}

int sw_service_update(struct sw_docker *d, const char *name, const char *image, int monitor_s, bool force,
		      const struct sw_registry_auth *auth, char **err)
{
	cJSON *svc = get_service(d, name, err);
	if (!svc)
		return -1;
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(svc, "Spec");
	int r = -1;
	if (!cJSON_IsObject(spec)) {
		docker_fail(err, "the swarm at %s answered GET /services/%s without its spec", d->host, name);
	} else {
		cJSON *tt = object_in(spec, "TaskTemplate");
		set_string(object_in(tt, "ContainerSpec"), "Image", image);
		if (force)
			set_number(tt, "ForceUpdate", docker_jnum(tt, "ForceUpdate") + 1);
		/* A new task that fails its health check within the monitor
		 * window fails the update, and Swarm itself goes back. */
		cJSON *uc = object_in(spec, "UpdateConfig");
		set_string(uc, "FailureAction", "rollback");
		set_number(uc, "Monitor", (double)monitor_s * 1e9);
		r = post_update(d, name, svc, spec, "", auth, err);
	}
	cJSON_Delete(svc);
	return r;
}

int sw_service_rollback(struct sw_docker *d, const char *name, char **err)
{
	cJSON *svc = get_service(d, name, err);
	if (!svc)
		return -1;
	int r;
	if (!cJSON_GetObjectItemCaseSensitive(svc, "PreviousSpec"))
		r = docker_fail(err, "the service %s has no previous spec on the swarm at %s: nothing to go back to",
				name, d->host);
	else
		r = post_update(d, name, svc, cJSON_GetObjectItemCaseSensitive(svc, "Spec"), "&rollback=previous", NULL,
				err);
	cJSON_Delete(svc);
	return r;
}

int sw_service_tasks(struct sw_docker *d, const char *name, struct sw_task **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	cJSON *f = cJSON_CreateObject();
	cJSON *names = cJSON_AddArrayToObject(f, "service");
	cJSON_AddItemToArray(names, cJSON_CreateString(name));
	char *ftext = cJSON_PrintUnformatted(f);
	cJSON_Delete(f);
	char *e = docker_url_escape(ftext), *path = xasprintf("/tasks?filters=%s", e);
	cJSON *j = docker_get_json(d, path, NULL, err);
	free(path);
	free(e);
	free(ftext);
	if (!j)
		return -1;
	if (!cJSON_IsArray(j)) {
		cJSON_Delete(j);
		return docker_fail(err, "the swarm at %s answered GET /tasks with something that is not a list", d->host);
	}
	size_t cap = (size_t)cJSON_GetArraySize(j);
	*out = xcalloc(cap ? cap : 1, sizeof **out);
	const cJSON *t;
	cJSON_ArrayForEach(t, j)
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "Status");
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(t, "Spec");
		struct sw_task *k = &(*out)[(*n)++];
		k->id = dup_or_null(docker_jstr(t, "ID"));
		k->node = dup_or_null(docker_jstr(t, "NodeID"));
		k->state = dup_or_null(docker_jstr(st, "State"));
		k->desired = dup_or_null(docker_jstr(t, "DesiredState"));
		k->error = dup_or_null(docker_jstr(st, "Err"));
		k->image = dup_or_null(docker_jstr(cJSON_GetObjectItemCaseSensitive(spec, "ContainerSpec"), "Image"));
		k->slot = (int)docker_jint(t, "Slot", 0, 1 << 30);
		k->updated = dup_or_null(docker_jstr(t, "UpdatedAt"));
	}
	cJSON_Delete(j);
	return 0;
}

void sw_tasks_free(struct sw_task *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].id);
		free(t[i].node);
		free(t[i].state);
		free(t[i].desired);
		free(t[i].error);
		free(t[i].image);
		free(t[i].updated);
	}
	free(t);
}

static int cmp_updated_desc(const void *a, const void *b)
{
	const struct sw_task *x = a, *y = b;
	return strcmp(y->updated ? y->updated : "", x->updated ? x->updated : "");
}

char *sw_service_task_errors(struct sw_docker *d, const char *name, const char *image)
{
	struct sw_task *t;
	size_t n;
	char *err = NULL;
	if (sw_service_tasks(d, name, &t, &n, &err)) {
		free(err);
		return NULL;
	}
	/* RFC 3339 times of one engine sort as text. */
	qsort(t, n, sizeof *t, cmp_updated_desc);
	struct sbuf sb = {0};
	size_t shown = 0;
	for (size_t i = 0; i < n && shown < TASK_ERRORS_MAX; i++) {
		if (!t[i].error || !*t[i].error || (image && t[i].image && strcmp(t[i].image, image)))
			continue;
		bool seen = sb.buf && strstr(sb.buf, t[i].error);
		if (seen)
			continue;
		sbuf_addf(&sb, "%stask %.12s (%s): %s", shown ? "; " : "", t[i].id ? t[i].id : "?",
			  t[i].state ? t[i].state : "?", t[i].error);
		shown++;
	}
	sw_tasks_free(t, n);
	return sb.buf;
}

char *sw_image_registry(const char *image)
{
	/* docker's rule: a first part with a '.' or a ':', or "localhost", is
	 * a registry; otherwise the image is Docker Hub's. */
	const char *slash = strchr(image, '/');
	if (!slash)
		return xstrdup("docker.io");
	size_t n = (size_t)(slash - image);
	if (memchr(image, '.', n) || memchr(image, ':', n) || (n == 9 && !strncmp(image, "localhost", 9)))
		return xasprintf("%.*s", (int)n, image);
	return xstrdup("docker.io");
}

static bool final_state(const char *s)
{
	return s && (!strcmp(s, "completed") || !strcmp(s, "rollback_completed") || !strcmp(s, "paused") ||
		     !strcmp(s, "rollback_paused"));
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int sw_service_follow(struct sw_docker *d, const char *name, const char *before, int timeout_s,
		      sw_service_note_fn note, void *ud, char **state, char **err)
{
	*state = NULL;
	int64_t deadline = sw_mono_ms() + (int64_t)timeout_s * 1000;
	char *last = NULL;
	int r = -1;
	for (;;) {
		struct sw_service s;
		if (sw_service_inspect(d, name, &s, err))
			break;
		/* Until the manager has begun this update, UpdateStatus is the
		 * last one's (or absent). */
		bool ours = s.update_state && (!before || !s.update_started || strcmp(before, s.update_started));
		if (ours && (!last || strcmp(last, s.update_state))) {
			if (note)
				note(ud, s.update_state, s.update_message);
			free(last);
			last = xstrdup(s.update_state);
		}
		if (ours && final_state(s.update_state)) {
			*state = xstrdup(s.update_state);
			sw_service_free(&s);
			r = 0;
			break;
		}
		sw_service_free(&s);
		if (sw_mono_ms() + FOLLOW_POLL_MS > deadline) {
			docker_fail(err, "the update of %s was still %s after %d s", name, last ? last : "not begun",
				    timeout_s);
			break;
		}
		sleep_ms(FOLLOW_POLL_MS);
	}
	free(last);
	return r;
}
