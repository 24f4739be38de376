/* The actions workflows use most, each with what takes its place in
 * slipway: a stage, a setting of the job's next stage, or nothing, and
 * a note saying which.  Any other action is left out with a note. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "actions_internal.h"

static char *what(const struct stage *st, const char *uses)
{
	return xasprintf("%s (%s)", st->title, uses);
}

/* The with: inputs not in handled (NULL-ended), as ": its with: a, b is not translated". */
static char *other_inputs(const struct stage *st, const char *const *handled)
{
	const struct sw_ynode *with = sw_yaml_get(st->step, "with");
	struct strlist other = {0};
	for (size_t i = 0; with && with->kind == SW_YAML_MAPPING && i < with->n; i++) {
		bool found = false;
		for (const char *const *h = handled; *h && !found; h++)
			found = !strcmp(*h, sw_yaml_key(with, i));
		if (!found)
			strlist_add(&other, sw_yaml_key(with, i));
	}
	char *list = tr_joined(&other);
	char *r = other.len ? xasprintf("; its with: %s %s not translated", list, other.len > 1 ? "are" : "is")
			    : xstrdup("");
	free(list);
	strlist_free(&other);
	return r;
}

static void left_out(struct stage *st, const char *uses, const char *why)
{
	static const char *const none[] = {NULL};
	char *w = what(st, uses), *rest = other_inputs(st, none);
	tr_note(st->job->tr, st->step->line, "%s left out: %s%s", w, why, rest);
	free(w);
	free(rest);
}

/* An input's text with the matrix values put in; other expressions stay
 * as written (for notes and file names, not for a shell). */
static char *input_text(const struct stage *st, const char *text)
{
	struct sw_expr_ctx labels = {.matrix_keys = st->job->mkeys, .matrix_values = st->job->mvalues};
	struct sw_expr_parts parts;
	char *bad = NULL;
	char *r = sw_expr_expand(text, &labels, &parts, &bad) ? xstrdup(text) : sw_expr_parts_text(&parts);
	sw_expr_parts_free(&parts);
	free(bad);
	return r;
}

static const char *stage_name(const cJSON *stage)
{
	return cJSON_GetObjectItemCaseSensitive(stage, "name")->valuestring;
}

/* ---- setting up ---- */

static void use_checkout(struct stage *st, const char *uses)
{
	left_out(st, uses, "slipway runs every stage in a fresh checkout of the tested commit");
}

/* The venv stage, made by the first setup-python; what the note says. */
static char *venv_text(struct stage *st, const char *uses)
{
	struct tr *tr = st->job->tr;
	char *w = what(st, uses), *text;
	if (!tr->venv) {
		cJSON *venv = stage_emit(tr, NULL, "venv", "python3 -m venv --system-site-packages .venv");
		tr->venv = true;
		text = xasprintf("%s becomes stage \"%s\": a venv of this machine's python3, with its packages, that "
				 "the later stages of job %s activate", w, stage_name(venv), st->job->id);
	} else {
		text = xasprintf("%s: the later stages of job %s activate the venv made before", w, st->job->id);
	}
	free(w);
	return text;
}

/* setup-python puts a Python on PATH: here a venv of this machine's
 * python3, made once, that the job's later stages activate.  A matrix
 * visits the step once per combination: its one note lists every version. */
static void use_setup_python(struct stage *st, const char *uses)
{
	struct tr *tr = st->job->tr;
	struct python_note *pn = &tr->python;
	const char *asked = stage_input(st, "python-version");
	if (!asked)
		asked = stage_input(st, "python-version-file");
	char *version = asked ? input_text(st, asked) : xstrdup("(none given)");
	/* An alias can put one step in two jobs: each has its note. */
	bool first = pn->step != st->step || pn->job != st->job->id;
	if (first) {
		static const char *const handled[] = {"python-version", "python-version-file", NULL};
		python_note_free(pn);
		pn->step = st->step;
		pn->job = st->job->id;
		pn->text = venv_text(st, uses);
		pn->rest = other_inputs(st, handled);
	}
	if (!strlist_has(&pn->versions, version))
		strlist_add(&pn->versions, version);
	char *versions = tr_joined(&pn->versions);
	const char *verb = pn->versions.len > 1 ? "are" : "is";
	if (first)
		pn->note = tr_note(tr, st->step->line, "%s; python %s %s not installed%s", pn->text, versions, verb,
				   pn->rest);
	else
		tr_note_replace(tr, pn->note, st->step->line, "%s; python %s %s not installed%s", pn->text, versions,
				verb, pn->rest);
	st->job->python = true;
	free(versions);
	free(version);
}

static void use_setup_other(struct stage *st, const char *uses)
{
	const char *tool = strchr(uses, '-') + 1;
	char *name = xstrndup(tool, strcspn(tool, "@"));
	char *why = xasprintf("the stages use this machine's %s; install it here", name);
	left_out(st, uses, why);
	free(why);
	free(name);
}

/* ---- caching ---- */

static cJSON *cache_entry(const char *path, const struct strlist *files)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "path", path);
	cJSON *key = cJSON_AddArrayToObject(e, "key");
	for (size_t i = 0; i < files->len; i++)
		cJSON_AddItemToArray(key, cJSON_CreateString(files->items[i]));
	return e;
}

static bool cache_has(const cJSON *cache, const char *path)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cache)
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(e, "path")->valuestring, path))
			return true;
	return false;
}

/* Why slipway.json could not take this path as a cache entry, or NULL. */
static const char *cache_path_refused(const struct job *job, const char *p)
{
	if (sw_expr_has(p))
		return "it has an expression";
	if (!sw_config_cache_path_ok(p))
		return "a stage caches paths in the work tree or under ~/ only";
	if (cache_has(job->cache, p))
		return "it is cached already";
	if (cJSON_GetArraySize(job->cache) >= SW_CACHE_MAX)
		return "a stage has at most " SW_STR(SW_CACHE_MAX) " cache entries";
	return NULL;
}

static void add_paths(struct stage *st, const char *paths, const struct strlist *files, struct strlist *kept)
{
	struct job *job = st->job;
	char *copy = input_text(st, paths);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		char *p = line + strspn(line, " \t");
		size_t n = strlen(p);
		while (n && strchr(" \t\r", p[n - 1]))
			p[--n] = '\0';
		if (!n)
			continue;
		const char *why = cache_path_refused(job, p);
		if (why) {
			tr_note(job->tr, st->step->line, "%s: cache path %s left out: %s", st->title, p, why);
			continue;
		}
		if (!job->cache)
			job->cache = cJSON_CreateArray();
		cJSON_AddItemToArray(job->cache, cache_entry(p, files));
		strlist_add(kept, p);
	}
	free(copy);
}

/* The files hashFiles() names in the key, as slipway.json can take them. */
static void key_files(struct stage *st, const char *key, struct strlist *files)
{
	struct strlist all = {0};
	sw_expr_hash_files(key, &all);
	for (size_t i = 0; i < all.len; i++) {
		const char *f = all.items[i];
		if (!sw_config_cache_key_ok(f))
			tr_note(st->job->tr, st->step->line, "%s: key file %s left out: a key file is in the work tree",
				st->title, f);
		else if (files->len == SW_CACHE_KEYS_MAX)
			tr_note(st->job->tr, st->step->line, "%s: key file %s left out: a cache entry has at most "
				SW_STR(SW_CACHE_KEYS_MAX) " key files", st->title, f);
		else
			strlist_add(files, f);
	}
	strlist_free(&all);
}

/* Two caches before one run step both go to it. */
static void cache_pending(struct job *job, const char *w, const char *detail, int line)
{
	char *what_all = job->cache_what ? xasprintf("%s and %s", job->cache_what, w) : xstrdup(w);
	char *detail_all = job->cache_detail ? xasprintf("%s; %s", job->cache_detail, detail) : xstrdup(detail);
	free(job->cache_what);
	free(job->cache_detail);
	job->cache_what = what_all;
	job->cache_detail = detail_all;
	job->cache_line = job->cache_line ? job->cache_line : line;
}

static void use_cache(struct stage *st, const char *uses)
{
	struct job *job = st->job;
	const char *path = stage_input(st, "path"), *key = stage_input(st, "key");
	if (!path) {
		left_out(st, uses, "it names no path");
		return;
	}
	struct strlist files = {0}, kept = {0};
	key_files(st, key ? key : "", &files);
	add_paths(st, path, &files, &kept);
	if (kept.len) {
		static const char *const handled[] = {"path", "key", NULL};
		char *w = what(st, uses), *rest = other_inputs(st, handled);
		char *paths = tr_joined(&kept), *keys = tr_joined(&files);
		char *detail = xasprintf("%s, keyed on %s%s", paths, files.len ? keys : "nothing", rest);
		cache_pending(job, w, detail, st->step->line);
		free(detail);
		free(paths);
		free(keys);
		free(w);
		free(rest);
	}
	strlist_free(&files);
	strlist_free(&kept);
}

/* ---- docker ---- */

/* The login waits for the job's push: a stage of its own would log this
 * machine's docker in for good, for a job that needs it once. */
static void use_docker_login(struct stage *st, const char *uses)
{
	struct job *job = st->job;
	const char *user = stage_input(st, "username"), *pass = stage_input(st, "password");
	const char *registry = stage_input(st, "registry");
	if (!user || !pass) {
		left_out(st, uses, "without a username and a password it has nothing to log in with");
		return;
	}
	/* Its own list: the secrets of these inputs, not of the step's env. */
	struct strlist secrets = {0};
	struct strlist *step_secrets = st->ectx.secrets;
	st->ectx.secrets = &secrets;
	char *u = stage_word(st, "username", user), *p = stage_word(st, "password", pass);
	char *r = registry ? stage_word(st, "registry", registry) : xstrdup("");
	st->ectx.secrets = step_secrets;
	if (u && p && r) {
		free(job->login);
		job->login = xasprintf("printf '%%s\\n' %s | docker login --username %s --password-stdin%s%s", p, u,
				       *r ? " " : "", r);
		char *names = tr_joined(&secrets), *w = what(st, uses);
		free(job->login_what);
		job->login_what = secrets.len ? xasprintf("%s, with the secrets %s,", w, names) : xstrdup(w);
		/* The stage that logs in is a later one: it takes these secrets. */
		strlist_free(&job->login_secrets);
		job->login_secrets = secrets;
		memset(&secrets, 0, sizeof secrets);
		job->login_line = st->step->line;
		free(names);
		free(w);
	}
	strlist_free(&secrets);
	free(u);
	free(p);
	free(r);
}

/* tags:, build-args: and the like are lists: one a line, or comma-separated. */
static void list_input(const char *text, struct strlist *out)
{
	char *copy = xstrdup(text ? text : "");
	for (char *item = strtok(copy, "\n,"); item; item = strtok(NULL, "\n,")) {
		item += strspn(item, " \t");
		size_t n = strlen(item);
		while (n && strchr(" \t\r", item[n - 1]))
			item[--n] = '\0';
		if (n)
			strlist_add(out, item);
	}
	free(copy);
}

static void add_option(struct stage *st, struct sbuf *cmd, const char *flag, const char *input)
{
	struct strlist items = {0};
	list_input(stage_input(st, input), &items);
	for (size_t i = 0; i < items.len; i++) {
		char *w = stage_word(st, input, items.items[i]);
		if (w)
			sbuf_addf(cmd, " %s %s", flag, w);
		free(w);
	}
	strlist_free(&items);
}

static void tag_words(struct stage *st, struct strlist *words)
{
	struct strlist tags = {0};
	list_input(stage_input(st, "tags"), &tags);
	for (size_t i = 0; i < tags.len; i++) {
		char *w = stage_word(st, "tags", tags.items[i]);
		if (w)
			strlist_add(words, w);
		free(w);
	}
	strlist_free(&tags);
}

static char *build_command(struct stage *st, const struct strlist *tags)
{
	struct sbuf cmd;
	sbuf_init(&cmd);
	sbuf_adds(&cmd, "docker build");
	add_option(st, &cmd, "-f", "file");
	add_option(st, &cmd, "--target", "target");
	add_option(st, &cmd, "--build-arg", "build-args");
	add_option(st, &cmd, "--label", "labels");
	for (size_t i = 0; i < tags->len; i++)
		sbuf_addf(&cmd, " -t %s", tags->items[i]);
	const char *context = stage_input(st, "context");
	char *ctx = context ? stage_word(st, "context", context) : xstrdup(".");
	sbuf_addf(&cmd, " %s", ctx ? ctx : ".");
	free(ctx);
	return sbuf_detach(&cmd);
}

/* push: true, false, or a condition (push only on some branches): the
 * push stage's branches, narrowed from the build's.  false: no push. */
static bool push_where(struct stage *st, struct sw_branchset *out)
{
	const char *push = stage_input(st, "push");
	sw_branchset_copy(out, &st->where);
	if (!push || !strcasecmp(push, "false"))
		return false;
	if (!strcasecmp(push, "true"))
		return true;
	struct sw_cond c;
	sw_cond_parse(push, &st->ectx, &c);
	char *who = xasprintf("%s: push", st->title);
	tr_note_cond(st->job->tr, st->step->line, who, &c);
	sw_branchset_narrow(out, &c.where);
	sw_cond_free(&c);
	free(who);
	return !(out->limited && !out->globs.len);
}

static cJSON *push_stage(struct stage *st, const struct strlist *tags, struct sw_branchset *where)
{
	struct job *job = st->job;
	struct sbuf cmd;
	sbuf_init(&cmd);
	if (job->login)
		sbuf_addf(&cmd, "%s && ", job->login);
	for (size_t i = 0; i < tags->len; i++)
		sbuf_addf(&cmd, "%sdocker push %s", i ? " && " : "", tags->items[i]);
	char *script = stage_script(st, NULL, cmd.buf);
	char *base = stage_base(st, "push");
	/* The push may be limited further than the build. */
	struct sw_branchset build = st->where;
	st->where = *where;
	cJSON *s = stage_emit(job->tr, st, base, script);
	st->where = build;
	tr_integration(job->tr, where);
	if (job->login)
		login_used(job, stage_name(s));
	free(base);
	free(script);
	sbuf_free(&cmd);
	return s;
}

static void build_push_note(struct stage *st, const char *uses, const cJSON *image, const cJSON *push,
			    const struct sw_branchset *where, bool wanted)
{
	static const char *const handled[] = {"context", "file", "tags", "push", "build-args", "target",
					      "labels", NULL};
	char *w = what(st, uses), *rest = other_inputs(st, handled), *on = sw_branchset_text(where);
	if (push)
		tr_note(st->job->tr, st->step->line, "%s becomes stages \"%s\" (docker build) and \"%s\" "
			"(docker push), on %s%s", w, stage_name(image), stage_name(push), on, rest);
	else
		tr_note(st->job->tr, st->step->line, "%s becomes stage \"%s\" (docker build)%s%s", w,
			stage_name(image), wanted ? "; no tag is left to push" : "", rest);
	free(w);
	free(rest);
	free(on);
}

static void use_build_push(struct stage *st, const char *uses)
{
	struct strlist tags = {0};
	tag_words(st, &tags);
	char *cmd = build_command(st, &tags);
	char *script = stage_script(st, NULL, cmd);
	char *base = stage_base(st, "image");
	cJSON *image = stage_emit(st->job->tr, st, base, script);
	struct sw_branchset where;
	bool wanted = push_where(st, &where);
	cJSON *push = wanted && tags.len ? push_stage(st, &tags, &where) : NULL;
	build_push_note(st, uses, image, push, &where, wanted);
	sw_branchset_free(&where);
	free(base);
	free(script);
	free(cmd);
	strlist_free(&tags);
}

/* ---- the table ---- */

static void use_buildx(struct stage *st, const char *uses)
{
	left_out(st, uses, "docker build uses the engine's own builder");
}

static void use_qemu(struct stage *st, const char *uses)
{
	left_out(st, uses, "images are built for this machine's platform");
}

static void use_metadata(struct stage *st, const char *uses)
{
	left_out(st, uses, "the tags it computes are not known here; write them into the build's tags");
}

static void use_coverage_upload(struct stage *st, const char *uses)
{
	left_out(st, uses, "it uploads coverage to an outside service; slipway keeps a run's coverage "
			   "when a stage parses it (\"parse\": \"coverage\")");
}

static void use_upload(struct stage *st, const char *uses)
{
	left_out(st, uses, "files a stage writes under $SLIPWAY_REPORTS are kept with the run");
}

static void use_download(struct stage *st, const char *uses)
{
	left_out(st, uses, "every stage runs in the same work tree, so earlier stages' files are there");
}

struct known_action {
	const char *name;	/* owner/repo, before the @ */
	void (*fn)(struct stage *st, const char *uses);
};

static const struct known_action known[] = {
	{"actions/checkout", use_checkout},
	{"actions/setup-python", use_setup_python},
	{"actions/cache", use_cache},
	{"actions/cache/restore", use_cache},
	{"actions/upload-artifact", use_upload},
	{"actions/download-artifact", use_download},
	{"docker/login-action", use_docker_login},
	{"docker/build-push-action", use_build_push},
	{"docker/setup-buildx-action", use_buildx},
	{"docker/setup-qemu-action", use_qemu},
	{"docker/metadata-action", use_metadata},
	{"codecov/codecov-action", use_coverage_upload},
	{"coverallsapp/github-action", use_coverage_upload},
};

void uses_translate(struct stage *st, const char *uses)
{
	size_t n = strcspn(uses, "@");
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strlen(known[i].name) == n && !strncasecmp(uses, known[i].name, n)) {
			known[i].fn(st, uses);
			return;
		}
	if (!strncasecmp(uses, "actions/setup-", 14))
		use_setup_other(st, uses);
	else if (!strncmp(uses, "./", 2))
		left_out(st, uses, "a local action, whose steps are not read; copy them here as run steps");
	else if (!strncmp(uses, "docker://", 9))
		left_out(st, uses, "a container action; run it with docker run in a stage");
	else
		left_out(st, uses, "no slipway equivalent; if it matters, add a stage that does its work");
}
