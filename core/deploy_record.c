/* The deploy journal: .git/slipway/deploys/<id>/ with deploy.json,
 * replaced atomically at every step, a log per step, and the lock the
 * deploy's process holds for its whole life, which tells a reader whether
 * a deploy recorded as running still is. */
#include "slipway/deploy.h"

#include "slipway/config.h"
#include "slipway/run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "deploy_internal.h"
#include "command.h"
#include "record.h"

static const char *const status_names[] = {"running", "succeeded", "rolled_back", "failed", "interrupted"};

const char *sw_deploy_status_name(enum sw_deploy_status s)
{
	return status_names[s];
}

bool sw_deploy_status_final(enum sw_deploy_status s)
{
	return s != SW_DEPLOY_RUNNING;
}

char *sw_deploy_dir(struct sw_store *st, long id)
{
	return xasprintf("%s/%s/%ld", sw_store_root(st), DEPLOYS_DIR, id);
}

char *sw_deploy_log_path(struct sw_store *st, long id, const char *step)
{
	return xasprintf("%s/%s/%ld/%s.log", sw_store_root(st), DEPLOYS_DIR, id, step);
}

static void add_ms(cJSON *o, const char *key, int64_t ms)
{
	if (ms)
		cJSON_AddNumberToObject(o, key, (double)ms);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_sha(cJSON *o, const char *key, const char *sha)
{
	if (*sha)
		cJSON_AddStringToObject(o, key, sha);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *sw_deploy_record_to_json(const struct sw_deploy_record *rec)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "schema", 1);
	cJSON_AddNumberToObject(o, "id", (double)rec->id);
	cJSON_AddStringToObject(o, "kind", rec->rollback ? "rollback" : "deploy");
	sw_json_add_clean_string(o, "environment", rec->environment);
	sw_json_add_clean_string(o, "target", rec->target);
	sw_json_add_clean_string(o, "path", rec->path);
	add_sha(o, "commit", rec->commit);
	sw_json_add_clean_string(o, "subject", rec->subject);
	add_sha(o, "previous", rec->previous);
	if (rec->run)
		cJSON_AddNumberToObject(o, "run", (double)rec->run);
	else
		cJSON_AddNullToObject(o, "run");
	cJSON_AddBoolToObject(o, "forced", rec->forced);
	sw_json_add_clean_string(o, "who", rec->who);
	cJSON_AddStringToObject(o, "status", sw_deploy_status_name(rec->status));
	add_ms(o, "started_ms", rec->started_ms);
	add_ms(o, "finished_ms", rec->finished_ms);
	sw_json_add_clean_string(o, "reason", rec->reason);
	sw_json_add_clean_string(o, "state", rec->state);
	cJSON_AddNumberToObject(o, "pid", rec->pid);
	if (rec->parent)
		cJSON_AddNumberToObject(o, "parent", (double)rec->parent);
	else
		cJSON_AddNullToObject(o, "parent");
	cJSON *steps = cJSON_AddArrayToObject(o, "steps");
	for (size_t i = 0; i < rec->nsteps; i++) {
		const struct sw_deploy_step *s = &rec->steps[i];
		cJSON *j = cJSON_CreateObject();
		sw_json_add_clean_string(j, "name", s->name);
		cJSON_AddStringToObject(j, "status", sw_stage_status_name(s->status));
		add_ms(j, "started_ms", s->started_ms);
		add_ms(j, "finished_ms", s->finished_ms);
		sw_json_add_clean_string(j, "reason", s->reason);
		if (s->deploy)
			cJSON_AddNumberToObject(j, "deploy", (double)s->deploy);
		cJSON_AddItemToArray(steps, j);
	}
	return o;
}

static const char *string_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t ms_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (int64_t)v->valuedouble : 0;
}

static double id_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e15 ? v->valuedouble : 0;
}

static bool sha_of(const cJSON *o, const char *key, char out[41])
{
	const char *s = string_of(o, key);
	out[0] = '\0';
	if (!s)
		return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, key));
	if (strlen(s) != 40 || strspn(s, "0123456789abcdef") != 40)
		return false;
	memcpy(out, s, 41);
	return true;
}

static int record_from_json(struct sw_deploy_record *rec, const cJSON *o)
{
	memset(rec, 0, sizeof *rec);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id"), *run = cJSON_GetObjectItemCaseSensitive(o, "run");
	const char *status = string_of(o, "status"), *kind = string_of(o, "kind");
	int st = -1;
	for (size_t i = 0; status && i < sizeof status_names / sizeof *status_names; i++)
		if (!strcmp(status, status_names[i]))
			st = (int)i;
	if (!cJSON_IsNumber(id) || id->valuedouble < 1 || st < 0 || !kind || !sha_of(o, "commit", rec->commit) ||
	    !*rec->commit || !sha_of(o, "previous", rec->previous))
		return -1;
	rec->id = (long)id->valuedouble;
	rec->rollback = !strcmp(kind, "rollback");
	rec->status = (enum sw_deploy_status)st;
	rec->environment = xstrdup_null(string_of(o, "environment"));
	rec->target = xstrdup_null(string_of(o, "target"));
	rec->path = xstrdup_null(string_of(o, "path"));
	rec->subject = xstrdup_null(string_of(o, "subject"));
	rec->who = xstrdup_null(string_of(o, "who"));
	rec->reason = xstrdup_null(string_of(o, "reason"));
	rec->state = xstrdup_null(string_of(o, "state"));
	rec->run = cJSON_IsNumber(run) && run->valuedouble >= 1 ? (long)run->valuedouble : 0;
	rec->forced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "forced"));
	rec->started_ms = ms_of(o, "started_ms");
	rec->finished_ms = ms_of(o, "finished_ms");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "pid");
	rec->pid = cJSON_IsNumber(pid) ? (int)pid->valuedouble : 0;
	rec->parent = (long)id_of(o, "parent");
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(o, "steps");
	size_t n = cJSON_IsArray(steps) ? (size_t)cJSON_GetArraySize(steps) : 0;
	rec->steps = xcalloc(n + 1, sizeof *rec->steps);
	for (const cJSON *j = cJSON_IsArray(steps) ? steps->child : NULL; j; j = j->next) {
		const char *name = string_of(j, "name");
		int ss = sw_stage_status_from_name(string_of(j, "status"));
		if (!name || ss < 0)
			continue;
		struct sw_deploy_step *s = &rec->steps[rec->nsteps++];
		s->name = xstrdup(name);
		s->status = (enum sw_stage_status)ss;
		s->started_ms = ms_of(j, "started_ms");
		s->finished_ms = ms_of(j, "finished_ms");
		s->reason = xstrdup_null(string_of(j, "reason"));
		s->deploy = (long)id_of(j, "deploy");
	}
	return 0;
}

void sw_deploy_record_free(struct sw_deploy_record *rec)
{
	free(rec->environment);
	free(rec->target);
	free(rec->path);
	free(rec->who);
	free(rec->subject);
	free(rec->reason);
	free(rec->state);
	for (size_t i = 0; i < rec->nsteps; i++) {
		free(rec->steps[i].name);
		free(rec->steps[i].reason);
	}
	free(rec->steps);
	memset(rec, 0, sizeof *rec);
}

void sw_deploy_records_free(struct sw_deploy_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sw_deploy_record_free(&recs[i]);
	free(recs);
}

int sw_deploy_save(struct sw_store *st, const struct sw_deploy_record *rec, bool durable)
{
	cJSON *o = sw_deploy_record_to_json(rec);
	char *text = cJSON_Print(o), *dir = sw_deploy_dir(st, rec->id);
	char *path = xasprintf("%s/%s", dir, DEPLOY_FILE);
	int r = sw_write_atomic(path, text, strlen(text), durable);
	free(path);
	free(dir);
	free(text);
	cJSON_Delete(o);
	return r;
}

/* The lock is taken without waiting: held, the deploy's process lives. */
static bool deploy_alive(struct sw_store *st, long id)
{
	char *dir = sw_deploy_dir(st, id), *path = xasprintf("%s/%s", dir, DEPLOY_LOCK);
	bool alive = sw_lock_held(path);
	free(path);
	free(dir);
	return alive;
}

static int read_deploy(struct sw_store *st, long id, struct sw_deploy_record *rec, char **err)
{
	char *dir = sw_deploy_dir(st, id), *path = xasprintf("%s/%s", dir, DEPLOY_FILE);
	size_t len;
	char *text = sw_read_file(path, &len);
	cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
	int r = 0;
	if (!text) {
		*err = errno == ENOENT ? xasprintf("no deploy #%ld", id)
				       : xasprintf("cannot read %s: %s", path, strerror(errno));
		r = -1;
	} else if (!o || record_from_json(rec, o)) {
		*err = xasprintf("%s: not a valid deploy record", path);
		r = -1;
	}
	cJSON_Delete(o);
	free(text);
	free(path);
	free(dir);
	return r;
}

int sw_deploy_load(struct sw_store *st, long id, struct sw_deploy_record *rec, char **err)
{
	int r = read_deploy(st, id, rec, err);
	if (r || rec->status != SW_DEPLOY_RUNNING || deploy_alive(st, id))
		return r;
	/* The deploy saves its end before its lock goes: a record read before
	 * the lock was seen free may predate that save; one read after is
	 * the deploy's last word (as for runs, sw_store_load). */
	struct sw_deploy_record again = {0};
	char *again_err = NULL;
	if (read_deploy(st, id, &again, &again_err) == 0) {
		sw_deploy_record_free(rec);
		*rec = again;
	} else {
		sw_deploy_record_free(&again);
	}
	free(again_err);
	if (rec->status == SW_DEPLOY_RUNNING) {
		rec->status = SW_DEPLOY_INTERRUPTED;
		for (size_t i = 0; i < rec->nsteps; i++)
			if (rec->steps[i].status == SW_STAGE_RUNNING) {
				rec->steps[i].status = SW_STAGE_FAILED;
				free(rec->steps[i].reason);
				rec->steps[i].reason = xstrdup("interrupted: the deploy's process died");
				free(rec->reason);
				rec->reason = xasprintf("the deploy's process died during step %s", rec->steps[i].name);
			}
		if (!rec->reason)
			rec->reason = xstrdup("the deploy's process died");
		char cur[41] = "", prev[41] = "";
		/* Only a local target's links can be read from here. */
		if (rec->path && rec->target && !strcmp(rec->target, "local"))
			sw_deploy_current(rec->path, cur, prev);
		free(rec->state);
		rec->state = *cur ? xasprintf("current is %.7s%s; the next `slipway deploy` or `slipway rollback` "
					      "starts from there", cur, strcmp(cur, rec->commit) ? "" : " (this deploy's, not validated)")
				  : xstrdup("no release is current; the next `slipway deploy` starts from there");
		sw_deploy_save(st, rec, true);
	}
	return r;
}

long *sw_deploy_ids(struct sw_store *st, size_t *n)
{
	char *dir = xasprintf("%s/%s", sw_store_root(st), DEPLOYS_DIR);
	long *ids = sw_list_ids(dir, "", n);
	free(dir);
	return ids;
}

size_t sw_deploy_history(struct sw_store *st, long limit, struct sw_deploy_record **out, struct strlist *warnings)
{
	size_t n, kept = 0;
	long *ids = sw_deploy_ids(st, &n);
	*out = xcalloc(n + 1, sizeof **out);
	for (size_t i = 0; i < n && (limit < 0 || (long)kept < limit); i++) {
		char *err = NULL;
		if (sw_deploy_load(st, ids[i], &(*out)[kept], &err) == 0) {
			if ((*out)[kept].parent)
				sw_deploy_record_free(&(*out)[kept]);
			else
				kept++;
		}
		else if (warnings)
			strlist_add(warnings, err);
		free(err);
	}
	free(ids);
	return kept;
}

int sw_deploy_parse_id(struct sw_store *st, const char *text, long *id, char **err)
{
	const char *t = strncmp(text, "deploy:", 7) == 0 ? text + 7 : text;
	if (!strcmp(t, "latest")) {
		struct sw_deploy_record *last;
		size_t n = sw_deploy_history(st, 1, &last, NULL);
		*id = n ? last[0].id : 0;
		sw_deploy_records_free(last, n);
		if (!*id)
			*err = xstrdup("no deploy yet, so no latest one");
		return *id ? 0 : -1;
	}
	if (!sw_parse_record_id(t, id)) {
		*err = xasprintf("\"%s\" is not a deploy id (a number, #N, deploy:N or latest)", text);
		return -1;
	}
	return 0;
}

void sw_deploy_serving(struct sw_store *st, const struct sw_deploy_config *d, char cur[41], char prev[41])
{
	cur[0] = prev[0] = '\0';
	if (!strcmp(d->target, "local")) {
		sw_deploy_current(d->path, cur, prev);
		return;
	}
	struct sw_deploy_record *recs;
	size_t n = sw_deploy_history(st, 50, &recs, NULL);
	for (size_t i = 0; i < n && !*cur; i++) {
		const struct sw_deploy_record *r = &recs[i];
		/* A swarm's path is its engine's address, which may be written
		 * in more than one way. */
		if (!r->path || (d->path && strcmp(r->path, d->path)) || !r->target || strcmp(r->target, d->target))
			continue;
		if (r->status == SW_DEPLOY_SUCCEEDED) {
			memcpy(cur, r->commit, 41);
			memcpy(prev, r->previous, 41);
		} else if (r->status == SW_DEPLOY_ROLLED_BACK) {
			memcpy(cur, r->previous, 41);
		} else {
			break;	/* failed or interrupted: only the target knows */
		}
	}
	sw_deploy_records_free(recs, n);
}

int64_t sw_deploy_current_since(struct sw_store *st, const char *environment, char sha[41])
{
	struct sw_deploy_record *recs;
	size_t n = sw_deploy_history(st, -1, &recs, NULL);
	int64_t at = 0;
	if (sha)
		sha[0] = '\0';
	for (size_t i = 0; i < n && !at; i++) {
		const struct sw_deploy_record *r = &recs[i];
		if (environment && (!r->environment || strcmp(r->environment, environment)))
			continue;
		if (r->status == SW_DEPLOY_SUCCEEDED && r->finished_ms) {
			at = r->finished_ms;
			if (sha)
				memcpy(sha, r->commit, 41);
		}
	}
	sw_deploy_records_free(recs, n);
	return at;
}

time_t sw_deploy_regressions_since(struct sw_repo *repo, struct sw_store *st, char **environment)
{
	struct sw_config cfg;
	char *err = NULL;
	bool have = sw_project_config(repo, &cfg, &err) == SW_OK;
	free(err);
	const char *env = have && cfg.deploy ? cfg.deploy->environment : NULL;
	int64_t at = sw_deploy_current_since(st, env, NULL);
	if (environment)
		*environment = xstrdup_null(env);
	if (have)
		sw_config_free(&cfg);
	return (time_t)(at / 1000);
}
