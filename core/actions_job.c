/* One workflow job's steps as slipway stages: each run: step a stage with
 * the job's env, branches, timeout and failure rules; the uses: steps go
 * to actions_uses.c, a matrix to actions_matrix.c. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "actions_internal.h"

/* ---- names ---- */

#define NAME_MAX_LEN 64

/* Stage names become file names: letters, digits, '-', '_', '.'. */
static char *sanitize(const char *s)
{
	struct sbuf sb;
	sbuf_init(&sb);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '_' || c == '.')
			sbuf_addc(&sb, (char)tolower(c));
		else if (sb.len && sb.buf[sb.len - 1] != '-')
			sbuf_addc(&sb, '-');
	}
	/* Room for a "-2" that makes it unique. */
	size_t n = sb.len < NAME_MAX_LEN - 4 ? sb.len : NAME_MAX_LEN - 4;
	while (n && strchr("-.", sb.buf[n - 1]))
		n--;
	size_t lead = 0;
	while (lead < n && strchr("-.", sb.buf[lead]))
		lead++;
	char *r = xstrndup(sb.buf ? sb.buf + lead : "", n - lead);
	sbuf_free(&sb);
	return r;
}

static char *unique_name(struct tr *tr, const char *base)
{
	char *name = sanitize(base);
	if (!*name) {
		free(name);
		name = xstrdup("stage");
	}
	char *try = xstrdup(name);
	for (int k = 2; strlist_has(&tr->names, try); k++) {
		free(try);
		try = xasprintf("%s-%d", name, k);
	}
	free(name);
	strlist_add(&tr->names, try);
	return try;
}

/* The name with the matrix values put in, and those of the combination
 * it does not show yet after it: "test-on-3.11-macos-latest". */
char *stage_base(const struct stage *st, const char *name)
{
	const struct job *job = st->job;
	struct sw_expr_ctx labels = {.matrix_keys = job->mkeys, .matrix_values = job->mvalues};
	struct sw_expr_parts parts;
	char *bad = NULL;
	char *text;
	if (!name)
		text = xasprintf("%s-%zu", job->id, st->index);
	else if (sw_expr_expand(name, &labels, &parts, &bad))
		text = xstrdup(name);
	else
		text = sw_expr_parts_text(&parts);
	sw_expr_parts_free(&parts);
	free(bad);
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, text);
	for (size_t i = 0; job->naming && i < job->naming->len; i++)
		if (!strstr(text, job->naming->items[i]))
			sbuf_addf(&sb, "-%s", job->naming->items[i]);
	free(text);
	return sbuf_detach(&sb);
}

/* ---- writing stages ---- */

static void add_strings(cJSON *obj, const char *key, const struct strlist *l)
{
	cJSON *a = cJSON_AddArrayToObject(obj, key);
	for (size_t i = 0; i < l->len; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->items[i]));
}

static void apply_step(struct tr *tr, struct stage *st, cJSON *s)
{
	if (st->where.limited)
		add_strings(s, "branches", &st->where.globs);
	if (st->env && st->env->child)
		cJSON_AddItemToObject(s, "env", cJSON_Duplicate(st->env, true));
	if (st->timeout)
		cJSON_AddNumberToObject(s, "timeout", st->timeout);
	if (st->allow_failure)
		cJSON_AddBoolToObject(s, "allow_failure", true);
	if (st->cond.always || st->job->always)
		cJSON_AddBoolToObject(s, "always", true);
	for (size_t i = 0; i < st->secrets.len; i++)
		if (!strlist_has(&tr->secrets, st->secrets.items[i]))
			strlist_add(&tr->secrets, st->secrets.items[i]);
}

cJSON *stage_emit(struct tr *tr, struct stage *st, const char *base, const char *run)
{
	cJSON *s = cJSON_CreateObject();
	char *name = unique_name(tr, base);
	cJSON_AddStringToObject(s, "name", name);
	cJSON_AddStringToObject(s, "run", run);
	free(name);
	if (st)
		apply_step(tr, st, s);
	cJSON_AddItemToArray(tr->stages, s);
	return s;
}

/* GitHub runs a step of several lines with bash -e: here `set -e` first,
 * the commands it needs before it one a line.  One line: joined by &&. */
char *stage_script(struct stage *st, const char *const *extra, const char *script)
{
	struct strlist cmds = {0};
	for (size_t i = 0; i < st->exports.len; i++)
		strlist_add(&cmds, st->exports.items[i]);
	for (const char *const *e = extra; e && *e; e++)
		strlist_add(&cmds, *e);
	struct sbuf sb;
	sbuf_init(&sb);
	bool lines = strchr(script, '\n') != NULL;
	if (lines) {
		st->job->tr->multiline = true;
		sbuf_adds(&sb, "set -e\n");
	}
	for (size_t i = 0; i < cmds.len; i++)
		sbuf_addf(&sb, "%s%s", cmds.items[i], lines ? "\n" : " && ");
	sbuf_adds(&sb, script);
	strlist_free(&cmds);
	return sbuf_detach(&sb);
}

char *stage_word(struct stage *st, const char *input, const char *text)
{
	struct sw_expr_parts parts;
	char *bad = NULL;
	if (sw_expr_expand(text, &st->ectx, &parts, &bad)) {
		tr_note(st->job->tr, st->step->line, "%s: %s: %s has no slipway equivalent; left out",
			st->title, input, bad);
		free(bad);
		return NULL;
	}
	char *w = sw_expr_shell_word(&parts);
	sw_expr_parts_free(&parts);
	return w;
}

const char *stage_input(const struct stage *st, const char *key)
{
	return sw_yaml_text(sw_yaml_get(sw_yaml_get(st->step, "with"), key));
}

/* ---- env ---- */

struct envvar {
	const char *name;
	const struct sw_ynode *value;
};

static size_t env_size(const struct sw_ynode *env)
{
	return env && env->kind == SW_YAML_MAPPING ? env->n : 0;
}

/* A later level's variable replaces an earlier one's, in its place. */
static void collect_env(const struct sw_ynode *env, struct envvar *vars, size_t *n)
{
	for (size_t i = 0; i < env_size(env); i++) {
		const char *name = sw_yaml_key(env, i);
		size_t k = 0;
		while (k < *n && strcmp(vars[k].name, name))
			k++;
		vars[k] = (struct envvar){name, sw_yaml_value(env, i)};
		*n += k == *n;
	}
}

/* `NAME: ${{ secrets.NAME }}`: the secret reaches the stage by that name
 * anyway, so the variable is not needed. */
static bool same_name_secret(struct stage *st, const char *name, const char *text)
{
	char *inner = sw_expr_whole(text);
	bool r = false;
	if (inner && !strncmp(inner, "secrets", 7)) {
		struct sw_expr_parts parts;
		char *bad = NULL;
		if (!sw_expr_expand(text, &st->ectx, &parts, &bad)) {
			r = parts.n == 1 && parts.items[0].var && !strcmp(parts.items[0].text, name);
			sw_expr_parts_free(&parts);
		}
		free(bad);
	}
	free(inner);
	return r;
}

static void add_env(struct stage *st, const struct envvar *v)
{
	struct tr *tr = st->job->tr;
	const char *text = sw_yaml_text(v->value);
	if (!text || !sw_config_env_name_ok(v->name)) {
		tr_note(tr, v->value->line, "env %s: %s; left out", v->name,
			text ? "not a name a stage's env can have" : "expected a value");
		return;
	}
	if (same_name_secret(st, v->name, text))
		return;
	struct sw_expr_parts parts;
	char *bad = NULL;
	if (sw_expr_expand(text, &st->ectx, &parts, &bad)) {
		tr_note(tr, v->value->line, "env %s: %s has no slipway equivalent; left out", v->name, bad);
		free(bad);
		return;
	}
	/* A stage's env is literal; a value made of variables is the shell's. */
	if (sw_expr_parts_have_var(&parts)) {
		char *word = sw_expr_shell_word(&parts);
		strlist_addf(&st->exports, "export %s=%s", v->name, word);
		free(word);
	} else {
		char *value = sw_expr_parts_text(&parts);
		cJSON_AddStringToObject(st->env, v->name, value);
		free(value);
	}
	sw_expr_parts_free(&parts);
}

/* The workflow's, the job's and the step's env, the nearest winning, and
 * the matrix combination as MATRIX_* variables. */
static void stage_env(struct stage *st)
{
	const struct sw_ynode *levels[] = {sw_yaml_get(st->job->tr->root, "env"), sw_yaml_get(st->job->node, "env"),
					   sw_yaml_get(st->step, "env")};
	struct envvar *vars = xcalloc(env_size(levels[0]) + env_size(levels[1]) + env_size(levels[2]), sizeof *vars);
	size_t n = 0;
	for (size_t i = 0; i < 3; i++)
		collect_env(levels[i], vars, &n);
	st->env = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++)
		add_env(st, &vars[i]);
	free(vars);
	for (size_t i = 0; st->job->mkeys && i < st->job->mkeys->len; i++) {
		char *name = xasprintf("MATRIX_%s", st->job->mkeys->items[i]);
		for (char *c = name; *c; c++)
			*c = isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
		if (!cJSON_GetObjectItemCaseSensitive(st->env, name))
			cJSON_AddStringToObject(st->env, name, st->job->mvalues->items[i]);
		free(name);
	}
}

/* ---- numbers and flags ---- */

/* timeout-minutes in seconds; 0 when absent or not a number (noted). */
static int minutes(struct tr *tr, const struct sw_ynode *n, const char *who)
{
	const char *t = sw_yaml_text(n);
	if (!n)
		return 0;
	char *end = NULL;
	double m = t ? strtod(t, &end) : 0;
	if (!t || end == t || *end || !(m > 0 && m <= 35791394)) {
		tr_note(tr, n->line, "%s: timeout-minutes %s is not translated", who, t ? t : "(not a number)");
		return 0;
	}
	int s = (int)(m * 60);
	return s < m * 60 ? s + 1 : s;
}

/* continue-on-error: true, or an expression that is true whatever the
 * branch, for this combination of the matrix. */
static bool continue_on_error(struct tr *tr, const struct sw_ynode *n, const struct sw_expr_ctx *ctx, const char *who)
{
	const char *t = sw_yaml_text(n);
	if (!t)
		return false;
	if (!strcasecmp(t, "true") || !strcasecmp(t, "false"))
		return t[0] == 't' || t[0] == 'T';
	struct sw_cond c;
	struct sw_expr_ctx quiet = {ctx->matrix_keys, ctx->matrix_values, NULL};
	sw_cond_parse(sw_expr_has(t) ? t : "", &quiet, &c);
	bool known = !c.unchecked.len && sw_expr_has(t) && (!c.where.limited || !c.where.globs.len);
	bool r = known && !c.where.limited;
	sw_cond_free(&c);
	if (!known)
		tr_note(tr, n->line, "%s: continue-on-error: %s is not translated (the stage may not fail)", who, t);
	return r;
}

/* ---- steps ---- */

static char *step_title(const struct job *job, const struct sw_ynode *step, size_t index)
{
	const char *name = sw_yaml_text(sw_yaml_get(step, "name"));
	return name ? xasprintf("job %s, step \"%s\"", job->id, name) : xasprintf("job %s, step %zu", job->id, index);
}

static void stage_end(struct stage *st)
{
	free(st->title);
	strlist_free(&st->secrets);
	sw_cond_free(&st->cond);
	sw_branchset_free(&st->where);
	cJSON_Delete(st->env);
	strlist_free(&st->exports);
}

/* The step's if: on top of the job's branches; false: it is left out. */
static bool step_where(struct stage *st)
{
	struct tr *tr = st->job->tr;
	const struct sw_ynode *cond = sw_yaml_get(st->step, "if");
	if (!cond) {
		sw_branchset_copy(&st->where, &st->job->where);
		return true;
	}
	sw_cond_parse(sw_yaml_text(cond) ? sw_yaml_text(cond) : "", &st->ectx, &st->cond);
	tr_note_cond(tr, cond->line, st->title, &st->cond);
	sw_branchset_copy(&st->where, &st->cond.where);
	if (sw_branchset_narrow(&st->where, &st->job->where))
		tr_note(tr, cond->line, "%s: its branches and the job's could not be intersected; "
			"the step's are kept", st->title);
	if (st->cond.after_failure) {
		tr_note(tr, cond->line, "%s left out: it runs only after a failure (if: %s), and a slipway stage "
			"cannot (an \"always\" stage runs either way)", st->title, cond->text);
		return false;
	}
	if (st->where.limited && !st->where.globs.len && !st->cond.where.globs.len && st->job->naming) {
		char *combo = tr_joined(st->job->naming);
		tr_note(tr, cond->line, "%s left out for %s: its if: is false there", st->title, combo);
		free(combo);
		return false;
	}
	if (st->where.limited && !st->where.globs.len) {
		tr_note(tr, cond->line, "%s left out: it never runs on a branch", st->title);
		return false;
	}
	return true;
}

static bool stage_begin(struct stage *st, struct job *job, const struct sw_ynode *step, size_t index)
{
	memset(st, 0, sizeof *st);
	st->job = job;
	st->step = step;
	st->index = index;
	st->title = step_title(job, step, index);
	st->ectx = (struct sw_expr_ctx){job->mkeys, job->mvalues, &st->secrets};
	static const char *const known[] = {"name", "id", "if", "run", "uses", "with", "env", "shell",
					    "working-directory", "continue-on-error", "timeout-minutes", NULL};
	tr_note_keys(job->tr, step, known, st->title);
	if (!step_where(st))
		return false;
	stage_env(st);
	st->timeout = minutes(job->tr, sw_yaml_get(step, "timeout-minutes"), st->title);
	if (!st->timeout)
		st->timeout = job->timeout;
	st->allow_failure = job->allow_failure ||
			    continue_on_error(job->tr, sw_yaml_get(step, "continue-on-error"), &st->ectx, st->title);
	return true;
}

/* defaults.run.KEY of the job, else of the workflow. */
static const char *run_default(const struct job *job, const char *key)
{
	const struct sw_ynode *d = sw_yaml_get(sw_yaml_get(sw_yaml_get(job->node, "defaults"), "run"), key);
	if (!d)
		d = sw_yaml_get(sw_yaml_get(sw_yaml_get(job->tr->root, "defaults"), "run"), key);
	return sw_yaml_text(d);
}

static const char *step_setting(const struct stage *st, const char *key)
{
	const char *v = sw_yaml_text(sw_yaml_get(st->step, key));
	return v ? v : run_default(st->job, key);
}

/* ---- what a run step's commands are, for "parse" ---- */

static bool word_is(const char *w, const char *name)
{
	const char *base = strrchr(w, '/');
	return !strcmp(base ? base + 1 : w, name);
}

/* Wrappers that run the command after them: poetry run, python -m, ... */
static int skip_wrappers(char **w, int n, int i)
{
	for (;;) {
		while (i < n && strchr(w[i], '=') && w[i][0] != '-')
			i++;
		if (i + 1 < n && (word_is(w[i], "poetry") || word_is(w[i], "pipenv") || word_is(w[i], "uv") ||
				  word_is(w[i], "pdm") || word_is(w[i], "hatch")) && !strcmp(w[i + 1], "run"))
			i += 2;
		else if (i + 1 < n && !strncmp(strrchr(w[i], '/') ? strrchr(w[i], '/') + 1 : w[i], "python", 6) &&
			 !strcmp(w[i + 1], "-m"))
			i += 2;
		else if (i + 2 < n && word_is(w[i], "coverage") && !strcmp(w[i + 1], "run") && !strcmp(w[i + 2], "-m"))
			i += 3;
		else if (i < n && (word_is(w[i], "exec") || word_is(w[i], "time") || word_is(w[i], "env")))
			i++;
		else
			return i;
	}
}

static void command_parsers(char *cmd, bool found[3])
{
	char *w[64];
	int n = sw_split_words(cmd, w, 64);
	int i = skip_wrappers(w, n, 0);
	if (i >= n)
		return;
	if (word_is(w[i], "flake8"))
		found[0] = true;
	if (word_is(w[i], "pytest") || word_is(w[i], "py.test")) {
		found[1] = true;
		for (int k = i + 1; k < n; k++)
			found[2] |= !strcmp(w[k], "--cov") || !strncmp(w[k], "--cov=", 6);
	}
	if (word_is(w[i], "coverage") && i + 1 < n && !strcmp(w[i + 1], "report"))
		found[2] = true;
}

/* flake8, pytest (and coverage when it measures it) among the commands. */
static void add_parsers(cJSON *stage, const char *script)
{
	static const char *const names[] = {"flake8", "pytest", "coverage"};
	bool found[3] = {false, false, false};
	char *copy = xstrdup(script);
	/* A command continued with \ is one command. */
	for (char *c = copy; (c = strstr(c, "\\\n"));)
		c[0] = c[1] = ' ';
	for (char *p = copy; *p;) {
		size_t len = strcspn(p, "\n;&|");
		char c = p[len];
		p[len] = '\0';
		command_parsers(p, found);
		p += len + (c != '\0');
	}
	free(copy);
	int count = found[0] + found[1] + found[2];
	if (count == 1)
		for (int k = 0; k < 3; k++)
			if (found[k])
				cJSON_AddStringToObject(stage, "parse", names[k]);
	cJSON *list = count > 1 ? cJSON_AddArrayToObject(stage, "parse") : NULL;
	for (int k = 0; list && k < 3; k++)
		if (found[k])
			cJSON_AddItemToArray(list, cJSON_CreateString(names[k]));
}

/* ---- run steps ---- */

static bool is_posix_shell(const char *shell)
{
	return !shell || !strncmp(shell, "bash", 4) || !strcmp(shell, "sh") || !strncmp(shell, "sh ", 3);
}

/* shell: python: the script is Python source, given to python3 -c; only
 * matrix values can be substituted into it. */
static char *python_script(struct stage *st, const char *run)
{
	struct sw_expr_parts parts;
	char *bad = NULL;
	bool ok = !sw_expr_expand(run, &st->ectx, &parts, &bad) && !sw_expr_parts_have_var(&parts);
	if (!ok) {
		tr_note(st->job->tr, st->step->line, "%s left out: shell: python with %s in it", st->title,
			bad ? bad : "a secret or variable");
		sw_expr_parts_free(&parts);
		free(bad);
		return NULL;
	}
	char *text = sw_expr_parts_text(&parts);
	char *quoted = sw_shell_quote(text);
	char *r = xasprintf("python3 -c %s", quoted);
	free(text);
	free(quoted);
	sw_expr_parts_free(&parts);
	return r;
}

static char *shell_script(struct stage *st, const char *run)
{
	const char *shell = step_setting(st, "shell");
	if (shell && !strcmp(shell, "python"))
		return python_script(st, run);
	if (!is_posix_shell(shell)) {
		tr_note(st->job->tr, st->step->line, "%s left out: shell: %s is not translated (stages run "
			"with /bin/sh)", st->title, shell);
		return NULL;
	}
	char *bad = NULL;
	char *script = sw_expr_shell_script(run, &st->ectx, &bad);
	if (!script) {
		tr_note(st->job->tr, st->step->line, "%s left out: %s has no slipway equivalent; "
			"write this stage by hand", st->title, bad);
		free(bad);
		return NULL;
	}
	size_t n = strlen(script);
	while (n && strchr(" \t\r\n", script[n - 1]))
		script[--n] = '\0';
	return script;
}

void login_used(struct job *job, const char *stage)
{
	tr_note(job->tr, job->login_line, "%s becomes a `docker login` in stage \"%s\"", job->login_what, stage);
	for (size_t i = 0; i < job->login_secrets.len; i++)
		if (!strlist_has(&job->tr->secrets, job->login_secrets.items[i]))
			strlist_add(&job->tr->secrets, job->login_secrets.items[i]);
	free(job->login);
	job->login = NULL;
}

static void attach_cache(struct job *job, cJSON *stage)
{
	if (!job->cache)
		return;
	cJSON_AddItemToObject(stage, "cache", job->cache);
	const char *name = cJSON_GetObjectItemCaseSensitive(stage, "name")->valuestring;
	tr_note(job->tr, job->cache_line, "%s becomes \"cache\" of stage \"%s\": %s", job->cache_what, name,
		job->cache_detail);
	job->cache = NULL;
	job->cache_line = 0;
	free(job->cache_what);
	free(job->cache_detail);
	job->cache_what = job->cache_detail = NULL;
}

/* What a run step's script needs before it: the venv, a docker login
 * waiting for a push, its working directory. */
struct prelude {
	const char *cmds[4];
	int n;
	char *cd;
	bool login;
};

static bool prelude(struct stage *st, const char *script, struct prelude *p)
{
	struct job *job = st->job;
	memset(p, 0, sizeof *p);
	const char *dir = step_setting(st, "working-directory");
	char *word = dir && *dir && strcmp(dir, ".") ? stage_word(st, "working-directory", dir) : NULL;
	if (dir && *dir && strcmp(dir, ".") && !word)
		return false;
	if (job->python)
		p->cmds[p->n++] = ". .venv/bin/activate";
	p->login = job->login && strstr(script, "docker");
	if (p->login)
		p->cmds[p->n++] = job->login;
	if (word)
		p->cmds[p->n++] = p->cd = xasprintf("cd %s", word);
	free(word);
	return true;
}

/* The command in cmd[0..len) runs flake8 with no exclusions of its own. */
static bool plain_flake8(const char *cmd, size_t len)
{
	char *copy = xstrndup(cmd, len), *w[64];
	int n = sw_split_words(copy, w, 64);
	int i = skip_wrappers(w, n, 0);
	bool yes = i < n && word_is(w[i], "flake8");
	for (int k = i + 1; yes && k < n; k++)
		yes = strncmp(w[k], "--exclude", 9) != 0 && strncmp(w[k], "--extend-exclude", 16) != 0;
	free(copy);
	return yes;
}

/* The venv stage makes .venv in the checkout, and flake8 would lint all of
 * it (a real project got 27253 findings so): each plain flake8 command of
 * the script gets --extend-exclude .venv.  NULL when none does. */
static char *flake8_skip_venv(const char *script)
{
	char *flat = xstrdup(script);
	struct sbuf out;
	sbuf_init(&out);
	bool any = false;
	/* A command continued with \ is one command; the length stays. */
	for (char *c = flat; (c = strstr(c, "\\\n"));)
		c[0] = c[1] = ' ';
	for (size_t at = 0; flat[at];) {
		size_t len = strcspn(flat + at, "\n;&|"), end = len;
		while (end && strchr(" \t\r", flat[at + end - 1]))
			end--;
		sbuf_add(&out, script + at, end);
		if (plain_flake8(flat + at, end)) {
			sbuf_adds(&out, " --extend-exclude .venv");
			any = true;
		}
		sbuf_add(&out, script + at + end, len - end + (flat[at + len] != '\0'));
		at += len + (flat[at + len] != '\0');
	}
	free(flat);
	if (!any) {
		sbuf_free(&out);
		return NULL;
	}
	return sbuf_detach(&out);
}

static void run_step(struct stage *st, const char *run)
{
	struct job *job = st->job;
	char *script = shell_script(st, run);
	struct prelude p;
	if (script && !script[strspn(script, " \t\r\n")]) {
		/* `run:` with nothing after it is YAML's null: a stage must run something. */
		tr_note(job->tr, st->step->line, "%s: run: is empty; left out", st->title);
		free(script);
		return;
	}
	if (!script || !prelude(st, script, &p)) {
		free(script);
		return;
	}
	char *lint = job->python ? flake8_skip_venv(script) : NULL;
	if (lint) {
		tr_note(job->tr, st->step->line, "%s: flake8 gets --extend-exclude .venv: the venv stage makes "
			"the venv in the checkout, and flake8 would lint it too", st->title);
		free(script);
		script = lint;
	}
	char *full = stage_script(st, p.cmds, script);
	char *base = stage_base(st, sw_yaml_text(sw_yaml_get(st->step, "name")));
	cJSON *stage = stage_emit(job->tr, st, base, full);
	add_parsers(stage, script);
	attach_cache(job, stage);
	if (p.login)
		login_used(job, cJSON_GetObjectItemCaseSensitive(stage, "name")->valuestring);
	if (strstr(script, "docker push"))
		tr_integration(job->tr, &st->where);
	free(base);
	free(full);
	free(p.cd);
	free(script);
}

static void step_translate(struct job *job, const struct sw_ynode *step, size_t index)
{
	struct stage st;
	if (stage_begin(&st, job, step, index)) {
		const char *run = sw_yaml_text(sw_yaml_get(step, "run"));
		const char *uses = sw_yaml_text(sw_yaml_get(step, "uses"));
		if (run)
			run_step(&st, run);
		else if (uses)
			uses_translate(&st, uses);
		else
			tr_note(job->tr, step->line, "%s has neither run: nor uses:; left out", st.title);
	}
	stage_end(&st);
}

/* ---- jobs ---- */

/* runs-on: slipway runs stages on its own machine, which is Linux. */
static void note_runs_on(struct job *job)
{
	const struct sw_ynode *runs_on = sw_yaml_get(job->node, "runs-on");
	if (!runs_on)
		return;
	struct sw_expr_ctx ctx = {job->mkeys, job->mvalues, NULL};
	struct sw_expr_parts parts = {0};
	char *bad = NULL;
	const char *text = sw_yaml_text(runs_on);
	char *on = text && !sw_expr_expand(text, &ctx, &parts, &bad) ? sw_expr_parts_text(&parts) : NULL;
	if (!(on && (strstr(on, "ubuntu") || strstr(on, "linux") || strstr(on, "self-hosted"))))
		tr_note(job->tr, runs_on->line, "job %s: runs-on %s: its stages run here, on this machine", job->id,
			on ? on : "(a list or a group)");
	sw_expr_parts_free(&parts);
	free(bad);
	free(on);
}

static void job_notes(struct job *job)
{
	struct tr *tr = job->tr;
	note_runs_on(job);
	const struct sw_ynode *services = sw_yaml_get(job->node, "services");
	struct strlist names = {0};
	for (size_t i = 0; services && services->kind == SW_YAML_MAPPING && i < services->n; i++)
		strlist_add(&names, sw_yaml_key(services, i));
	char *list = tr_joined(&names);
	if (services)
		tr_note(tr, services->line, "job %s: services (%s) are not started: run them on this machine, "
			"or add stages that start them with docker run", job->id, list);
	free(list);
	strlist_free(&names);
	if (sw_yaml_get(job->node, "container"))
		tr_note(tr, sw_yaml_get(job->node, "container")->line,
			"job %s: container: its stages run on this machine, not in that container", job->id);
}

static void job_finish(struct job *job)
{
	if (job->cache)
		tr_note(job->tr, job->cache_line, "%s left out: no run step follows it in job %s", job->cache_what,
			job->id);
	if (job->login)
		tr_note(job->tr, job->login_line, "%s left out: nothing after it in job %s pushes with docker",
			job->login_what, job->id);
	cJSON_Delete(job->cache);
	free(job->cache_what);
	free(job->cache_detail);
	free(job->login);
	free(job->login_what);
	strlist_free(&job->login_secrets);
}

int job_combination(struct job *job, const struct sw_ynode *steps, char **err)
{
	struct tr *tr = job->tr;
	char *who = xasprintf("job %s", job->id);
	struct sw_expr_ctx ctx = {job->mkeys, job->mvalues, NULL};
	job->timeout = minutes(tr, sw_yaml_get(job->node, "timeout-minutes"), who);
	job->allow_failure = continue_on_error(tr, sw_yaml_get(job->node, "continue-on-error"), &ctx, who);
	free(who);
	job_notes(job);
	int r = 0;
	for (size_t i = 0; i < steps->n && !r; i++) {
		const struct sw_ynode *step = sw_yaml_item(steps, i);
		if (step->kind == SW_YAML_MAPPING) {
			step_translate(job, step, i + 1);
			continue;
		}
		*err = xasprintf("%s:%d: job %s, step %zu: expected a mapping", tr->source, step->line, job->id, i + 1);
		r = -1;
	}
	job_finish(job);
	return r;
}

int job_translate(struct tr *tr, const char *id, int line, const struct sw_ynode *node,
		  const struct sw_branchset *where, bool always, char **err)
{
	const struct sw_ynode *steps = sw_yaml_get(node, "steps");
	const struct sw_ynode *uses = sw_yaml_get(node, "uses");
	if (uses) {
		tr_note(tr, uses->line, "job %s left out: it calls a reusable workflow (%s); import that one too", id,
			sw_yaml_text(uses) ? sw_yaml_text(uses) : "?");
		return 0;
	}
	if (!steps || steps->kind != SW_YAML_SEQUENCE || !steps->n) {
		*err = xasprintf("%s:%d: job %s has no steps", tr->source, steps ? steps->line : line, id);
		return -1;
	}
	static const char *const known[] = {"name", "runs-on", "needs", "if", "env", "steps", "strategy",
					    "timeout-minutes", "continue-on-error", "services", "container",
					    "defaults", "permissions", NULL};
	char *who = xasprintf("job %s", id);
	tr_note_keys(tr, node, known, who);
	free(who);
	struct job job = {.tr = tr, .id = id, .node = node, .where = *where, .always = always};
	const struct sw_ynode *matrix = sw_yaml_get(sw_yaml_get(node, "strategy"), "matrix");
	if (matrix)
		return matrix_job(&job, matrix, steps, err);
	return job_combination(&job, steps, err);
}
