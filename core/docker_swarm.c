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
	s->mode = s->global ? "global"
		  : cJSON_GetObjectItemCaseSensitive(mode, "ReplicatedJob") ? "replicated-job"
		  : cJSON_GetObjectItemCaseSensitive(mode, "GlobalJob")	   ? "global-job"
									   : "replicated";
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
	if (!s->id || !s->image) {
		sw_service_free(s);
		return docker_fail(err, "the swarm at %s answered GET /services/%s without the service's id or image",
				   d->host, name);
	}
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

static void task_read(const cJSON *t, struct sw_task *k)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "Status");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(t, "Spec");
	k->id = dup_or_null(docker_jstr(t, "ID"));
	k->node = dup_or_null(docker_jstr(t, "NodeID"));
	k->state = dup_or_null(docker_jstr(st, "State"));
	k->desired = dup_or_null(docker_jstr(t, "DesiredState"));
	k->error = dup_or_null(docker_jstr(st, "Err"));
	k->image = dup_or_null(docker_jstr(cJSON_GetObjectItemCaseSensitive(spec, "ContainerSpec"), "Image"));
	k->slot = (int)docker_jint(t, "Slot", 0, 1 << 30);
	k->updated = dup_or_null(docker_jstr(t, "UpdatedAt"));
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
		task_read(t, &(*out)[(*n)++]);
	}
	cJSON_Delete(j);
	return 0;
}

static void task_free(struct sw_task *k)
{
	free(k->id);
	free(k->node);
	free(k->state);
	free(k->desired);
	free(k->error);
	free(k->image);
	free(k->updated);
	memset(k, 0, sizeof *k);
}

void sw_tasks_free(struct sw_task *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		task_free(&t[i]);
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
		sw_sleep_ms(FOLLOW_POLL_MS);
	}
	free(last);
	return r;
}

/* ---- every service with its tasks, for the faces ---- */

/* Ended tasks kept beside the current ones: the newest failures say why a
 * service is short of replicas, older history is docker service ps's. */
#define FAILED_TASKS_SHOWN 2

/* The manager is done with a task it wants shut down or removed: history. */
static bool task_current(const struct sw_task *k)
{
	return k->desired && strcmp(k->desired, "shutdown") && strcmp(k->desired, "remove");
}

static bool task_failed(const struct sw_task *k)
{
	return k->state && (!strcmp(k->state, "failed") || !strcmp(k->state, "rejected")) && k->error && *k->error;
}

static const char *node_hostname(const cJSON *nodes, const char *id)
{
	const cJSON *n;
	cJSON_ArrayForEach(n, nodes)
	{
		const char *nid = docker_jstr(n, "ID");
		if (nid && !strcmp(nid, id))
			return docker_jstr(cJSON_GetObjectItemCaseSensitive(n, "Description"), "Hostname");
	}
	return NULL;
}

static int cmp_slot_node(const void *a, const void *b)
{
	const struct sw_task *x = a, *y = b;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return strcmp(x->node ? x->node : "", y->node ? y->node : "");
}

/* The tasks of v (current ones by slot and node, then the newest
 * failures), their nodes named by hostname, and the counts. */
static void service_tasks(struct sw_swarm_service *v, const cJSON *tasks, const cJSON *nodes)
{
	size_t cap = (size_t)cJSON_GetArraySize(tasks), nfailed = 0;
	struct sw_task *failed = xcalloc(cap ? cap : 1, sizeof *failed);
	v->tasks = xcalloc(cap + 1, sizeof *v->tasks);
	const cJSON *t;
	cJSON_ArrayForEach(t, tasks)
	{
		const char *sid = docker_jstr(t, "ServiceID");
		if (!sid || strcmp(sid, v->s.id))
			continue;
		struct sw_task k = {0};
		task_read(t, &k);
		const char *host = k.node ? node_hostname(nodes, k.node) : NULL;
		if (host) {
			free(k.node);
			k.node = xstrdup(host);
		} else if (k.node && !*k.node) {
			free(k.node);
			k.node = NULL;
		}
		if (task_current(&k))
			v->tasks[v->ntasks++] = k;
		else if (task_failed(&k))
			failed[nfailed++] = k;
		else
			task_free(&k);
	}
	qsort(v->tasks, v->ntasks, sizeof *v->tasks, cmp_slot_node);
	long current = 0;
	for (size_t i = 0; i < v->ntasks; i++) {
		current += !strcmp(v->tasks[i].desired, "running");
		v->running += !strcmp(v->tasks[i].desired, "running") && v->tasks[i].state &&
			      !strcmp(v->tasks[i].state, "running");
	}
	v->desired = !strcmp(v->s.mode, "replicated") ? v->s.desired : current;
	qsort(failed, nfailed, sizeof *failed, cmp_updated_desc);
	for (size_t i = 0; i < nfailed; i++) {
		if (i < FAILED_TASKS_SHOWN)
			v->tasks[v->ntasks++] = failed[i];
		else
			task_free(&failed[i]);
	}
	free(failed);
}

static int cmp_service(const void *a, const void *b)
{
	const struct sw_swarm_service *x = a, *y = b;
	if (!x->s.stack != !y->s.stack)
		return x->s.stack ? -1 : 1;
	int c = x->s.stack ? strcmp(x->s.stack, y->s.stack) : 0;
	return c ? c : strcmp(x->s.name, y->s.name);
}

void docker_services_read(const cJSON *services, const cJSON *tasks, const cJSON *nodes, struct sw_service_list *out)
{
	memset(out, 0, sizeof *out);
	if (!cJSON_IsArray(services))
		return;
	size_t cap = (size_t)cJSON_GetArraySize(services);
	out->items = xcalloc(cap ? cap : 1, sizeof *out->items);
	const cJSON *j;
	cJSON_ArrayForEach(j, services)
	{
		struct sw_swarm_service *v = &out->items[out->n];
		service_read(j, &v->s);
		if (!v->s.id || !v->s.name) {
			sw_service_free(&v->s);
			continue;
		}
		out->n++;
		service_tasks(v, cJSON_IsArray(tasks) ? tasks : NULL, cJSON_IsArray(nodes) ? nodes : NULL);
	}
	qsort(out->items, out->n, sizeof *out->items, cmp_service);
}

int sw_swarm_services(struct sw_docker *d, struct sw_service_list *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (d->podman)
		return 0;
	long status = 0;
	cJSON *services = docker_get_json(d, "/services", &status, err);
	if (!services && (status == 503 || status == 406)) {
		/* Not in a swarm, or a worker: no services to show here. */
		free(*err);
		*err = NULL;
		return 0;
	}
	if (!services)
		return -1;
	cJSON *tasks = NULL, *nodes = NULL;
	int r = 0;
	if (!cJSON_IsArray(services))
		r = docker_fail(err, "the swarm at %s answered GET /services with something that is not a list", d->host);
	else if (cJSON_GetArraySize(services) &&
		 (!(tasks = docker_get_json(d, "/tasks", NULL, err)) || !(nodes = docker_get_json(d, "/nodes", NULL, err))))
		r = -1;
	else if (tasks && (!cJSON_IsArray(tasks) || !cJSON_IsArray(nodes)))
		r = docker_fail(err, "the swarm at %s answered GET /tasks or /nodes with something that is not a list",
				d->host);
	if (!r)
		docker_services_read(services, tasks, nodes, out);
	cJSON_Delete(services);
	cJSON_Delete(tasks);
	cJSON_Delete(nodes);
	return r;
}

void sw_service_list_free(struct sw_service_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		sw_service_free(&l->items[i].s);
		sw_tasks_free(l->items[i].tasks, l->items[i].ntasks);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}

static void task_copy(struct sw_task *dst, const struct sw_task *src)
{
	*dst = *src;
	dst->id = xstrdup_null(src->id);
	dst->node = xstrdup_null(src->node);
	dst->state = xstrdup_null(src->state);
	dst->desired = xstrdup_null(src->desired);
	dst->error = xstrdup_null(src->error);
	dst->image = xstrdup_null(src->image);
	dst->updated = xstrdup_null(src->updated);
}

void sw_service_list_copy(struct sw_service_list *dst, const struct sw_service_list *src)
{
	dst->n = src->n;
	dst->items = src->n ? xcalloc(src->n, sizeof *dst->items) : NULL;
	for (size_t i = 0; i < src->n; i++) {
		const struct sw_swarm_service *from = &src->items[i];
		struct sw_swarm_service *to = &dst->items[i];
		*to = *from;
		struct sw_service *s = &to->s;
		s->id = xstrdup_null(s->id);
		s->name = xstrdup_null(s->name);
		s->image = xstrdup_null(s->image);
		s->previous_image = xstrdup_null(s->previous_image);
		s->update_state = xstrdup_null(s->update_state);
		s->update_message = xstrdup_null(s->update_message);
		s->update_started = xstrdup_null(s->update_started);
		s->stack = xstrdup_null(s->stack);
		to->tasks = xcalloc(from->ntasks ? from->ntasks : 1, sizeof *to->tasks);
		for (size_t k = 0; k < from->ntasks; k++)
			task_copy(&to->tasks[k], &from->tasks[k]);
	}
}

static void add_text(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *sw_service_to_json(const struct sw_swarm_service *v)
{
	cJSON *o = cJSON_CreateObject();
	add_text(o, "id", v->s.id);
	add_text(o, "name", v->s.name);
	add_text(o, "stack", v->s.stack);
	add_text(o, "image", v->s.image);
	add_text(o, "mode", v->s.mode);
	cJSON_AddNumberToObject(o, "replicas_running", (double)v->running);
	cJSON_AddNumberToObject(o, "replicas_desired", (double)v->desired);
	add_text(o, "update_state", v->s.update_state);
	add_text(o, "update_message", v->s.update_message);
	cJSON *arr = cJSON_AddArrayToObject(o, "tasks");
	for (size_t i = 0; i < v->ntasks; i++) {
		const struct sw_task *k = &v->tasks[i];
		cJSON *t = cJSON_CreateObject();
		add_text(t, "id", k->id);
		cJSON_AddNumberToObject(t, "slot", k->slot);
		add_text(t, "node", k->node);
		add_text(t, "state", k->state);
		add_text(t, "desired", k->desired);
		add_text(t, "error", k->error);
		add_text(t, "image", k->image);
		cJSON_AddItemToArray(arr, t);
	}
	return o;
}

char *sw_image_without_digest(const char *image)
{
	const char *at = image ? strstr(image, "@sha256:") : NULL;
	return at ? xstrndup(image, (size_t)(at - image)) : xstrdup(image ? image : "");
}
