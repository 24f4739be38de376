/* Containers (see slipway/docker.h): the list with each one inspected,
 * stats as the docker CLI computes them, start/stop/restart, and the JSON
 * the faces print. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/docker_internal.h"
#include "slipway/docker.h"

/* ---- containers ---- */

/* 0 for docker's zero time (year 1: never) or anything not a time. */
static int64_t parse_time(const char *s)
{
	time_t t = sw_parse_rfc3339(s);
	return t > 0 ? (int64_t)t : 0;
}

static void ports_text(const cJSON *ports, struct sbuf *sb)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, ports)
	{
		const char *type = docker_jstr(p, "Type");
		const char *ip = docker_jstr(p, "IP");
		long priv = (long)docker_jint(p, "PrivatePort", 0, 65535);
		long pub = (long)docker_jint(p, "PublicPort", 0, 65535);
		if (sb->len)
			sbuf_adds(sb, ", ");
		if (pub)
			sbuf_addf(sb, "%s%s%ld->", ip && *ip ? ip : "", ip && *ip ? ":" : "", pub);
		sbuf_addf(sb, "%ld/%s", priv, type ? type : "tcp");
	}
}

void docker_container_summary(struct sw_container *c, const cJSON *s)
{
	const char *id = docker_jstr(s, "Id");
	snprintf(c->id, sizeof c->id, "%s", id ? id : "");
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(s, "Names");
	const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(names, 0));
	c->name = xstrdup(name ? name + (*name == '/') : c->id);
	c->image = xstrdup(docker_jstr(s, "Image") ? docker_jstr(s, "Image") : "");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(s, "Labels");
	c->project = xstrdup_null(docker_jstr(labels, "com.docker.compose.project"));
	c->service = xstrdup_null(docker_jstr(labels, "com.docker.compose.service"));
	c->state = xstrdup(docker_jstr(s, "State") ? docker_jstr(s, "State") : "unknown");
	c->created = docker_jint(s, "Created", 0, TIME_MAX);
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

void docker_container_inspect(struct sw_container *c, const cJSON *j)
{
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(j, "State");
	const char *st = docker_jstr(state, "Status");
	if (st) {
		free(c->state);
		c->state = xstrdup(st);
	}
	c->exit_code = (int)docker_jint(state, "ExitCode", INT_MIN, INT_MAX);
	c->started = parse_time(docker_jstr(state, "StartedAt"));
	c->finished = parse_time(docker_jstr(state, "FinishedAt"));
	c->health = health_of(docker_jstr(cJSON_GetObjectItemCaseSensitive(state, "Health"), "Status"));
	c->restarts = (int)docker_jint(j, "RestartCount", 0, INT_MAX);
	const char *mode = docker_jstr(cJSON_GetObjectItemCaseSensitive(j, "HostConfig"), "NetworkMode");
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
		char *esc = docker_url_escape(text);
		sbuf_addf(&path, "&filters=%s", esc);
		free(esc);
		free(text);
		cJSON_Delete(f);
	}
	cJSON *arr = docker_get_json(d, path.buf, NULL, err);
	sbuf_free(&path);
	if (!arr)
		return -1;
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return docker_fail(err, "the container engine at %s answered GET /containers/json with something else than a "
			    "list", d->host);
	}
	size_t n = (size_t)cJSON_GetArraySize(arr);
	out->items = xcalloc(n ? n : 1, sizeof *out->items);
	const cJSON *s;
	cJSON_ArrayForEach(s, arr)
		docker_container_summary(&out->items[out->n++], s);
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
	int rc = docker_get_json_all(d, paths, n, second, err);
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
	int rc = docker_get_json_all(d, paths, n + m, json, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (json[i])
			docker_container_inspect(&out->items[i], json[i]);
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

/* One of the engine's counters (nanoseconds, bytes; a uint64 there): a
 * number from 0 to below 2^64, else 0.  Anything else would make CPU % a
 * NaN and the byte counts integers out of range. */
static double counter(const cJSON *o, const char *key)
{
	double v = docker_jnum(o, key);
	return v >= 0 && v < 0x1p64 ? v : 0;
}

static double cpu_total(const cJSON *cpu)
{
	return counter(cJSON_GetObjectItemCaseSensitive(cpu, "cpu_usage"), "total_usage");
}

void sw_docker_stats_compute(const cJSON *cur, const cJSON *pre_cpu, struct sw_container *c)
{
	const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(cur, "cpu_stats");
	if (!pre_cpu)
		pre_cpu = cJSON_GetObjectItemCaseSensitive(cur, "precpu_stats");
	double cpu_delta = cpu_total(cpu) - cpu_total(pre_cpu);
	double sys_delta = counter(cpu, "system_cpu_usage") - counter(pre_cpu, "system_cpu_usage");
	double online = counter(cpu, "online_cpus");
	if (online <= 0)
		online = cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cpu, "cpu_usage"), "percpu_usage"));
	/* Less than a nanosecond of the system's is no progress (and no
	 * divisor a percentage stays finite by). */
	c->cpu_pct = cpu_delta > 0 && sys_delta >= 1 ? cpu_delta / sys_delta * online * 100.0 : 0;

	const cJSON *mem = cJSON_GetObjectItemCaseSensitive(cur, "memory_stats");
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(mem, "stats");
	double usage = counter(mem, "usage"), limit = counter(mem, "limit");
	double v1 = counter(ms, "total_inactive_file"), v2 = counter(ms, "inactive_file");
	double used = usage;
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ms, "total_inactive_file")) && v1 < usage)
		used = usage - v1;
	else if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ms, "inactive_file")) && v2 < usage)
		used = usage - v2;
	c->mem_used = (uint64_t)used;
	c->mem_limit = (uint64_t)limit;
	c->mem_pct = limit >= 1 ? used / limit * 100.0 : 0;
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
	int rc = docker_get_json_all(d, paths, n, first, err);
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
	char *esc = docker_url_escape(name);
	char *path = xasprintf("/containers/%s/%s", esc, sw_docker_action_name(a));
	free(esc);
	struct sbuf body;
	sbuf_init(&body);
	long status = 0;
	int rc = docker_request(d, "POST", path, &body, &status, err);
	free(path);
	if (already)
		*already = status == 304;
	if (rc == 0 && status != 204 && status != 304) {
		char *m = docker_engine_message(&body, status);
		rc = docker_fail(err, "cannot %s container %s: %s (engine at %s)", sw_docker_action_name(a), name, m, d->host);
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

/* ---- JSON ---- */

/* x rounded to hundredths; one out of a long's range has none to round
 * (and casting it would be undefined behaviour). */
static double hundredths(double x)
{
	return x > -1e15 && x < 1e15 ? (double)(long)(x * 100 + 0.5) / 100 : x;
}

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
		cJSON_AddNumberToObject(o, "cpu_pct", hundredths(c->cpu_pct));
		cJSON_AddNumberToObject(o, "mem_bytes", (double)c->mem_used);
		cJSON_AddNumberToObject(o, "mem_limit_bytes", (double)c->mem_limit);
		cJSON_AddNumberToObject(o, "mem_pct", hundredths(c->mem_pct));
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
