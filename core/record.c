/* The run record in memory and as run.json has it: status names and the
 * texts people read, the JSON form both ways, copies.  What keeps records
 * on disk is core/store.c. */
#include "record.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

static const char *const run_status_names[] = {
	"queued", "running", "passed", "failed", "cancelled", "interrupted",
};
static const char *const stage_status_names[] = {
	"pending", "running", "passed", "failed", "skipped", "cancelled",
};

const char *sw_run_status_name(enum sw_run_status s)
{
	return run_status_names[s];
}

struct sw_status_text sw_run_status_text(const struct sw_run_record *rec)
{
	struct sw_status_text t;
	const char *name = sw_run_status_name(rec->status);
	if (rec->partial && rec->only_stage)
		snprintf(t.text, sizeof t.text, "%s (%.64s only)", name, rec->only_stage);
	else
		snprintf(t.text, sizeof t.text, rec->partial ? "%s (partial)" : "%s", name);
	return t;
}

bool sw_run_green(const struct sw_run_record *rec)
{
	return rec->status == SW_RUN_PASSED && !rec->partial;
}

const char *sw_stage_status_name(enum sw_stage_status s)
{
	return stage_status_names[s];
}

bool sw_run_status_final(enum sw_run_status s)
{
	return s != SW_RUN_QUEUED && s != SW_RUN_RUNNING;
}

static int status_from_name(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int sw_stage_status_from_name(const char *s)
{
	return status_from_name(stage_status_names, sizeof stage_status_names / sizeof *stage_status_names, s);
}


static void add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[32];
	if (ms <= 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	sw_iso_time((time_t)(ms / 1000), buf);
	cJSON_AddStringToObject(o, key, buf);
}

void sw_json_add_clean_string(struct cJSON *o, const char *key, const char *s)
{
	if (!s) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	struct sbuf sb;
	sbuf_init(&sb);
	sw_utf8_clean(&sb, s, strlen(s));
	cJSON_AddStringToObject(o, key, sb.buf);
	sbuf_free(&sb);
}

char *sw_stage_pushed_text(const struct sw_stage_record *s)
{
	if (!s->image)
		return NULL;
	const char *hex = s->digest && !strncmp(s->digest, "sha256:", 7) ? s->digest + 7 : NULL;
	if (hex)
		return xasprintf("pushed %s sha256:%.12s", s->image, hex);
	return s->digest ? xasprintf("pushed %s %s", s->image, s->digest) : xasprintf("pushed %s", s->image);
}

cJSON *sw_stage_record_json(const struct sw_stage_record *s)
{
	cJSON *o = cJSON_CreateObject();
	sw_json_add_clean_string(o, "name", s->name);
	cJSON_AddStringToObject(o, "status", sw_stage_status_name(s->status));
	add_time(o, "started_at", s->started_ms);
	add_time(o, "finished_at", s->finished_ms);
	if (s->exit_code >= 0)
		cJSON_AddNumberToObject(o, "exit_code", s->exit_code);
	else
		cJSON_AddNullToObject(o, "exit_code");
	sw_json_add_clean_string(o, "reason", s->reason);
	cJSON_AddNumberToObject(o, "duration_ms", (double)s->duration_ms);
	cJSON_AddNumberToObject(o, "log_bytes", (double)s->log_bytes);
	if (s->allowed_failure)
		cJSON_AddBoolToObject(o, "allowed_failure", true);
	if (s->image) {
		sw_json_add_clean_string(o, "image", s->image);
		sw_json_add_clean_string(o, "digest", s->digest);
	}
	return o;
}

static cJSON *gate_to_json(const struct sw_gate_result *g)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", g->name);
	cJSON_AddNumberToObject(o, "limit", g->limit);
	if (g->measured)
		cJSON_AddNumberToObject(o, "actual", g->actual);
	else
		cJSON_AddNullToObject(o, "actual");
	cJSON_AddBoolToObject(o, "passed", g->passed);
	return o;
}

static cJSON *strlist_to_json(const struct strlist *l)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < l->len; i++) {
		struct sbuf sb;
		sbuf_init(&sb);
		sw_utf8_clean(&sb, l->items[i], strlen(l->items[i]));
		cJSON_AddItemToArray(a, cJSON_CreateString(sb.buf));
		sbuf_free(&sb);
	}
	return a;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool sw_stage_record_same(const struct sw_stage_record *a, const struct sw_stage_record *b)
{
	return a->status == b->status && a->started_ms == b->started_ms &&
	       a->finished_ms == b->finished_ms && a->exit_code == b->exit_code &&
	       a->duration_ms == b->duration_ms && a->log_bytes == b->log_bytes &&
	       a->allowed_failure == b->allowed_failure && same_text(a->name, b->name) &&
	       same_text(a->reason, b->reason) && same_text(a->image, b->image) && same_text(a->digest, b->digest);
}

cJSON *sw_record_json(const struct sw_run_record *rec, sw_stage_json_fn *stage_json, void *ctx)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "schema", 1);
	cJSON_AddNumberToObject(o, "id", (double)rec->id);
	sw_json_add_clean_string(o, "branch", rec->branch);
	cJSON_AddStringToObject(o, "commit", rec->commit);
	sw_json_add_clean_string(o, "subject", rec->subject);
	cJSON_AddStringToObject(o, "trigger", rec->trigger ? rec->trigger : "manual");
	cJSON_AddStringToObject(o, "status", sw_run_status_name(rec->status));
	cJSON_AddBoolToObject(o, "partial", rec->partial);
	if (rec->partial)
		sw_json_add_clean_string(o, "only_stage", rec->only_stage);
	add_time(o, "created_at", rec->created_ms);
	add_time(o, "started_at", rec->started_ms);
	add_time(o, "finished_at", rec->finished_ms);
	cJSON *stages = cJSON_AddArrayToObject(o, "stages");
	for (size_t i = 0; i < rec->nstages; i++)
		cJSON_AddItemToArray(stages, stage_json ? stage_json(ctx, rec, i) : sw_stage_record_json(&rec->stages[i]));
	cJSON_AddItemToObject(o, "metrics", sw_metrics_to_json(&rec->metrics));
	cJSON *gates = cJSON_AddArrayToObject(o, "gates");
	for (size_t i = 0; i < rec->ngates; i++)
		cJSON_AddItemToArray(gates, gate_to_json(&rec->gates[i]));
	cJSON_AddItemToObject(o, "missing_secrets", strlist_to_json(&rec->missing_secrets));
	cJSON_AddItemToObject(o, "warnings", strlist_to_json(&rec->warnings));
	if (rec->executor_pid > 0)
		cJSON_AddNumberToObject(o, "executor_pid", rec->executor_pid);
	if (rec->session > 0)
		cJSON_AddNumberToObject(o, "session", rec->session);
	return o;
}

cJSON *sw_run_record_to_json(const struct sw_run_record *rec)
{
	return sw_record_json(rec, NULL, NULL);
}

static char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static double json_num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : dflt;
}

/* An integer field within [lo, hi], else dflt: casting 1e300 or NaN to an
 * integer is undefined behaviour, and a record may have been edited. */
static int64_t json_int(const cJSON *o, const char *key, int64_t dflt, int64_t lo, int64_t hi)
{
	double d = json_num(o, key, (double)dflt);
	return d >= (double)lo && d <= (double)hi ? (int64_t)d : dflt;
}

static int64_t json_time_ms(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	time_t t = cJSON_IsString(v) ? sw_parse_iso_time(v->valuestring) : -1;
	return t < 0 ? 0 : (int64_t)t * 1000;
}

static void stage_from_json(struct sw_stage_record *s, const cJSON *o)
{
	memset(s, 0, sizeof *s);
	s->name = json_str(o, "name");
	if (!s->name)
		s->name = xstrdup("?");
	char *status = json_str(o, "status");
	int st = status_from_name(stage_status_names, 6, status);
	free(status);
	s->status = st < 0 ? SW_STAGE_PENDING : (enum sw_stage_status)st;
	s->started_ms = json_time_ms(o, "started_at");
	s->finished_ms = json_time_ms(o, "finished_at");
	s->exit_code = (int)json_int(o, "exit_code", -1, -1, 255);
	s->reason = json_str(o, "reason");
	s->duration_ms = json_int(o, "duration_ms", 0, 0, INT64_C(1) << 52);
	s->log_bytes = json_int(o, "log_bytes", 0, 0, INT64_C(1) << 52);
	s->allowed_failure = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "allowed_failure"));
	s->image = json_str(o, "image");
	s->digest = s->image ? json_str(o, "digest") : NULL;
}

static void gate_from_json(struct sw_gate_result *g, const cJSON *o)
{
	g->name = json_str(o, "name");
	if (!g->name)
		g->name = xstrdup("?");
	g->limit = json_num(o, "limit", 0);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "actual");
	g->measured = cJSON_IsNumber(a) && isfinite(a->valuedouble);
	g->actual = g->measured ? a->valuedouble : 0;
	g->passed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "passed"));
}

static void strlist_from_json(struct strlist *l, const cJSON *a)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, a)
		if (cJSON_IsString(v))
			strlist_add(l, v->valuestring);
}

static int record_from_json(struct sw_run_record *rec, const cJSON *o)
{
	memset(rec, 0, sizeof *rec);
	rec->id = (long)json_int(o, "id", 0, 0, INT32_MAX);
	char *commit = json_str(o, "commit");
	char *status = json_str(o, "status");
	int st = status_from_name(run_status_names, 6, status);
	bool ok = rec->id > 0 && commit && strlen(commit) == 40 && st >= 0;
	if (commit && strlen(commit) == 40)
		memcpy(rec->commit, commit, 41);
	free(commit);
	free(status);
	if (!ok)
		return -1;
	rec->status = (enum sw_run_status)st;
	rec->branch = json_str(o, "branch");
	rec->subject = json_str(o, "subject");
	rec->trigger = json_str(o, "trigger");
	rec->partial = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "partial"));
	rec->only_stage = rec->partial ? json_str(o, "only_stage") : NULL;
	rec->created_ms = json_time_ms(o, "created_at");
	rec->started_ms = json_time_ms(o, "started_at");
	rec->finished_ms = json_time_ms(o, "finished_at");
	rec->executor_pid = (int)json_int(o, "executor_pid", 0, 0, INT32_MAX);
	rec->session = (int)json_int(o, "session", 0, 0, INT32_MAX);
	const cJSON *stages = cJSON_GetObjectItemCaseSensitive(o, "stages");
	rec->nstages = (size_t)cJSON_GetArraySize(stages);
	rec->stages = xcalloc(rec->nstages, sizeof *rec->stages);
	size_t i = 0;
	const cJSON *v;
	cJSON_ArrayForEach(v, stages)
		stage_from_json(&rec->stages[i++], v);
	const cJSON *gates = cJSON_GetObjectItemCaseSensitive(o, "gates");
	rec->ngates = (size_t)cJSON_GetArraySize(gates);
	rec->gates = xcalloc(rec->ngates, sizeof *rec->gates);
	i = 0;
	cJSON_ArrayForEach(v, gates)
		gate_from_json(&rec->gates[i++], v);
	sw_metrics_from_json(&rec->metrics, cJSON_GetObjectItemCaseSensitive(o, "metrics"));
	strlist_from_json(&rec->missing_secrets, cJSON_GetObjectItemCaseSensitive(o, "missing_secrets"));
	strlist_from_json(&rec->warnings, cJSON_GetObjectItemCaseSensitive(o, "warnings"));
	return 0;
}

void sw_run_record_free(struct sw_run_record *rec)
{
	for (size_t i = 0; i < rec->nstages; i++) {
		free(rec->stages[i].name);
		free(rec->stages[i].reason);
		free(rec->stages[i].image);
		free(rec->stages[i].digest);
	}
	free(rec->stages);
	for (size_t i = 0; i < rec->ngates; i++)
		free(rec->gates[i].name);
	free(rec->gates);
	sw_metrics_free(&rec->metrics);
	strlist_free(&rec->missing_secrets);
	strlist_free(&rec->warnings);
	free(rec->branch);
	free(rec->trigger);
	free(rec->subject);
	free(rec->only_stage);
	memset(rec, 0, sizeof *rec);
}

struct sw_stage_record *sw_run_find_stage(const struct sw_run_record *rec, const char *name)
{
	for (size_t i = 0; i < rec->nstages; i++)
		if (strcmp(rec->stages[i].name, name) == 0)
			return &rec->stages[i];
	return NULL;
}

size_t sw_run_default_stage(const struct sw_run_record *rec)
{
	size_t last = 0, allowed = rec->nstages;
	for (size_t i = 0; i < rec->nstages; i++) {
		const struct sw_stage_record *s = &rec->stages[i];
		if (s->status == SW_STAGE_FAILED && !s->allowed_failure)
			return i;
		if (s->status == SW_STAGE_FAILED && allowed == rec->nstages)
			allowed = i;
		if (s->started_ms)
			last = i;
	}
	if (allowed < rec->nstages)
		return allowed;
	return last < rec->nstages ? last : rec->nstages;
}

static void strlist_copy(struct strlist *dst, const struct strlist *src)
{
	memset(dst, 0, sizeof *dst);
	for (size_t i = 0; i < src->len; i++)
		strlist_add(dst, src->items[i]);
}

void sw_run_record_copy(struct sw_run_record *dst, const struct sw_run_record *src)
{
	*dst = *src;
	dst->branch = xstrdup_null(src->branch);
	dst->trigger = xstrdup_null(src->trigger);
	dst->subject = xstrdup_null(src->subject);
	dst->only_stage = xstrdup_null(src->only_stage);
	dst->stages = xcalloc(src->nstages + 1, sizeof *dst->stages);
	for (size_t i = 0; i < src->nstages; i++) {
		dst->stages[i] = src->stages[i];
		dst->stages[i].name = xstrdup_null(src->stages[i].name);
		dst->stages[i].reason = xstrdup_null(src->stages[i].reason);
		dst->stages[i].image = xstrdup_null(src->stages[i].image);
		dst->stages[i].digest = xstrdup_null(src->stages[i].digest);
	}
	sw_metrics_copy(&dst->metrics, &src->metrics);
	dst->gates = xcalloc(src->ngates + 1, sizeof *dst->gates);
	for (size_t i = 0; i < src->ngates; i++) {
		dst->gates[i] = src->gates[i];
		dst->gates[i].name = xstrdup_null(src->gates[i].name);
	}
	strlist_copy(&dst->missing_secrets, &src->missing_secrets);
	strlist_copy(&dst->warnings, &src->warnings);
}

int sw_run_record_parse(const char *text, size_t len, struct sw_run_record *rec)
{
	memset(rec, 0, sizeof *rec);
	cJSON *o = cJSON_ParseWithLength(text, len);
	int r = o ? record_from_json(rec, o) : -1;
	cJSON_Delete(o);
	return r;
}

